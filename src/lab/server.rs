//! The lab's one listener on loopback: every host of the lesson is mapped to it (by Chromium's
//! `--host-rules`), so the browser sends the lesson's own origins and host names. It speaks
//! HTTPS or plain HTTP on the same port, told apart by a connection's first byte (a TLS
//! handshake starts with 0x16, an HTTP request with a method's letter).
//! Blocking, a scoped thread per connection; `httparse` reads each request's head, and heads
//! and bodies are bounded.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// One request as it arrived: its method, target, headers and body.
#[derive(Clone, Debug)]
pub struct Arrived {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// It came over TLS: its URL is https.
    pub secure: bool,
    /// The port it came to on this machine (which of the lab's doors).
    pub local_port: u16,
}

impl Arrived {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to send back.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The longest request head read, and the largest body: far above what a lesson's page sends.
const MOST_HEAD_BYTES: usize = 64 << 10;
const MOST_BODY_BYTES: usize = 1 << 20;
/// How long a connection may sit idle before it is closed.
const IDLE: Duration = Duration::from_secs(30);
/// The most connections one door keeps open at once.
const MOST_CONNECTIONS: usize = 64;

/// A TLS listener on 127.0.0.1 with a certificate for `hosts` (the browser is told to accept
/// it: it is made for this run and never leaves the machine).
pub struct Listener {
    tcp: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    /// The base64 SHA-256 of the certificate's public key, for Chromium's
    /// `--ignore-certificate-errors-spki-list`: trusted that way, its answers are cached as
    /// a real site's are (an answer with a certificate error never is).
    pub spki_sha256: String,
}

impl Listener {
    pub fn bind(hosts: &[String]) -> io::Result<Listener> {
        Listener::bind_at(hosts, "127.0.0.1:0")
    }

    /// A listener on `address` (a port of 0: any free one).
    pub fn bind_at(hosts: &[String], address: &str) -> io::Result<Listener> {
        let certified = rcgen::generate_simple_self_signed(hosts.to_vec())
            .map_err(|e| io::Error::other(format!("cannot make the lab's certificate: {e}")))?;
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .map_err(io::Error::other)?;
        use base64::Engine as _;
        use rcgen::PublicKeyData as _;
        let spki = certified.signing_key.subject_public_key_info();
        let spki_sha256 = base64::engine::general_purpose::STANDARD
            .encode(ring::digest::digest(&ring::digest::SHA256, &spki));
        Ok(Listener {
            tcp: TcpListener::bind(address)?,
            tls: Arc::new(tls),
            spki_sha256,
        })
    }

    pub fn port(&self) -> io::Result<u16> {
        Ok(self.tcp.local_addr()?.port())
    }

    /// Serves connections until `stop` is set, each on its own scoped thread, answering every
    /// request with `answer`.
    pub fn serve<F>(&self, stop: &AtomicBool, answer: &F) -> io::Result<()>
    where
        F: Fn(Arrived) -> Reply + Sync,
    {
        self.tcp.set_nonblocking(true)?;
        let open = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            while !stop.load(Ordering::Relaxed) {
                match self.tcp.accept() {
                    // A browser keeps a handful open per host; past the bound a connection is
                    // closed at once, so no one can make the lab spawn threads without end.
                    Ok(_) if open.load(Ordering::Relaxed) >= MOST_CONNECTIONS => {}
                    Ok((stream, _)) => {
                        let tls = self.tls.clone();
                        open.fetch_add(1, Ordering::Relaxed);
                        let open = &open;
                        scope.spawn(move || {
                            // A connection that breaks ends itself; the run goes on.
                            let _ = serve_connection(stream, tls, stop, answer);
                            open.fetch_sub(1, Ordering::Relaxed);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }
}

/// Serves every listener until `stop`; the first one that fails ends them all.
pub fn serve_all<F>(listeners: &[Listener], stop: &AtomicBool, answer: &F) -> io::Result<()>
where
    F: Fn(Arrived) -> Reply + Sync,
{
    std::thread::scope(|scope| {
        let served: Vec<_> = listeners
            .iter()
            .map(|listener| {
                scope.spawn(move || {
                    let served = listener.serve(stop, answer);
                    if served.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    served
                })
            })
            .collect();
        served
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a door failed")))
            })
            .collect::<io::Result<Vec<()>>>()
            .map(|_| ())
    })
}

fn serve_connection<F>(
    stream: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    stop: &AtomicBool,
    answer: &F,
) -> io::Result<()>
where
    F: Fn(Arrived) -> Reply,
{
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TICK))?;
    let local_port = stream.local_addr()?.port();
    let mut idle = Duration::ZERO;
    let mut first = [0u8; 1];
    let handshake = loop {
        if stop.load(Ordering::Relaxed) || idle > IDLE {
            return Ok(());
        }
        match stream.peek(&mut first) {
            Ok(0) => return Ok(()),
            Ok(_) => break first[0] == TLS_HANDSHAKE,
            Err(e) if is_timeout(&e) => idle += TICK,
            Err(e) => return Err(e),
        }
    };
    if handshake {
        let connection = rustls::ServerConnection::new(tls).map_err(io::Error::other)?;
        let stream = rustls::StreamOwned::new(connection, stream);
        serve_requests(stream, (true, local_port), stop, answer)
    } else {
        serve_requests(stream, (false, local_port), stop, answer)
    }
}

/// The first byte of a TLS record carrying a handshake (the ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;
/// How long one read waits before the connection looks at `stop` again.
const TICK: Duration = Duration::from_millis(200);

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Answers the requests of one connection, one after another, until it closes, idles or the
/// lab stops.
fn serve_requests<S, F>(
    mut stream: S,
    (secure, local_port): (bool, u16),
    stop: &AtomicBool,
    answer: &F,
) -> io::Result<()>
where
    S: io::Read + Write,
    F: Fn(Arrived) -> Reply,
{
    let mut buffer: Vec<u8> = Vec::new();
    let mut idle = Duration::ZERO;
    loop {
        if stop.load(Ordering::Relaxed) || idle > IDLE {
            return Ok(());
        }
        match read_request(&mut stream, &mut buffer)? {
            Got::Waiting => idle += TICK,
            Got::Closed => return Ok(()),
            Got::Request(mut arrived) => {
                idle = Duration::ZERO;
                arrived.secure = secure;
                arrived.local_port = local_port;
                let close = arrived
                    .header("Connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                write_reply(&mut stream, &answer(arrived))?;
                if close {
                    return Ok(());
                }
            }
        }
    }
}

enum Got {
    Request(Arrived),
    /// Nothing whole yet, and no byte for a while.
    Waiting,
    Closed,
}

/// Reads until one whole request sits in `buffer`, and takes it out.
fn read_request(stream: &mut impl io::Read, buffer: &mut Vec<u8>) -> io::Result<Got> {
    loop {
        if let Some(arrived) = take_request(buffer)? {
            return Ok(Got::Request(arrived));
        }
        let mut chunk = [0u8; 16 << 10];
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(Got::Closed),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) => return Ok(Got::Waiting),
            Err(e) => return Err(e),
        }
    }
}

/// One whole request from the front of `buffer`, removed from it; `None` until it is all there.
/// A head or body over its bound, or a head that does not parse, is an error: the connection
/// closes.
pub fn take_request(buffer: &mut Vec<u8>) -> io::Result<Option<Arrived>> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buffer) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) if buffer.len() > MOST_HEAD_BYTES => {
            return Err(io::Error::other("request head too large"));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(io::Error::other(e)),
    };
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .map_or(Ok(0), |(_, v)| v.trim().parse::<usize>())
        .map_err(|_| io::Error::other("bad Content-Length"))?;
    if headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("Transfer-Encoding"))
    {
        return Err(io::Error::other("chunked request bodies are not read"));
    }
    if length > MOST_BODY_BYTES {
        return Err(io::Error::other("request body too large"));
    }
    let Some(end) = head.checked_add(length).filter(|&end| end <= buffer.len()) else {
        return Ok(None);
    };
    let arrived = Arrived {
        method: request.method.unwrap_or("GET").to_string(),
        target: request.path.unwrap_or("/").to_string(),
        headers,
        body: buffer[head..end].to_vec(),
        secure: false,
        local_port: 0,
    };
    buffer.drain(..end);
    Ok(Some(arrived))
}

fn write_reply(stream: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        crate::http::reason_phrase(reply.status)
    );
    for (name, value) in &reply.headers {
        // A value with a line break would start a header of its own.
        if name.eq_ignore_ascii_case("Content-Length") || value.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    // A 204 or 304 carries no body, and says no length.
    if !matches!(reply.status, 204 | 304) {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !matches!(reply.status, 204 | 304) {
        stream.write_all(&reply.body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_taken_whole_or_not_at_all() {
        let mut buffer =
            b"PUT /a?b=1 HTTP/1.1\r\nHost: x.example\r\nContent-Length: 3\r\n\r\nab".to_vec();
        assert!(matches!(take_request(&mut buffer), Ok(None)));
        buffer.extend_from_slice(b"cGET / HTTP/1.1\r\n");
        let Ok(Some(arrived)) = take_request(&mut buffer) else {
            panic!("a whole request")
        };
        assert_eq!(
            (arrived.method.as_str(), arrived.target.as_str()),
            ("PUT", "/a?b=1")
        );
        assert_eq!(arrived.body, b"abc");
        assert_eq!(arrived.header("host"), Some("x.example"));
        assert_eq!(buffer, b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn oversized_and_chunked_requests_close_the_connection() {
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(MOST_HEAD_BYTES + 2, b'a');
        assert!(take_request(&mut big).is_err());
        let mut body = b"PUT / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n".to_vec();
        assert!(take_request(&mut body).is_err());
        let mut chunked = b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        assert!(take_request(&mut chunked).is_err());
    }

    #[test]
    fn a_reply_never_splits_a_header() {
        let mut out = Vec::new();
        let reply = Reply {
            status: 204,
            headers: vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "x\r\nSet-Cookie: y".to_string()),
            ],
            body: b"ignored".to_vec(),
        };
        assert!(write_reply(&mut out, &reply).is_ok());
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\nA: 1\r\n\r\n");
    }

    /// Past the bound, a new connection is closed at once; those already open are served.
    #[test]
    fn a_door_keeps_at_most_its_bound_of_connections() {
        use std::io::Read;
        let Ok(listener) = Listener::bind(&["lab.test".to_string()]) else {
            panic!("cannot listen on loopback")
        };
        let Ok(port) = listener.port() else {
            panic!("no port")
        };
        let stop = AtomicBool::new(false);
        let answer = |_: Arrived| Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        };
        std::thread::scope(|scope| {
            let serving = scope.spawn(|| listener.serve(&stop, &answer));
            let connect =
                || TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
            let held: Vec<TcpStream> = (0..MOST_CONNECTIONS).map(|_| connect()).collect();
            // Every one of them is taken in before the next comes.
            std::thread::sleep(Duration::from_millis(300));
            let mut refused = connect();
            let _ = refused.set_read_timeout(Some(Duration::from_secs(5)));
            let mut byte = [0u8; 1];
            let read = refused.read(&mut byte);
            assert!(
                matches!(read, Ok(0))
                    || read.is_err_and(|e| e.kind() == io::ErrorKind::ConnectionReset),
                "the connection past the bound stays open"
            );
            stop.store(true, Ordering::Relaxed);
            drop(held);
            assert!(serving.join().is_ok_and(|served| served.is_ok()));
        });
    }
}
