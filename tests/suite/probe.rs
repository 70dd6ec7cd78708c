//! `cors-tui probe` against real servers on loopback: what they received must be what a
//! browser sends, and the verdict must be the engine's for the same answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::probe;

/// One request as the server read it: the request line and the header lines, as sent.
#[derive(Clone, Debug)]
struct Received {
    line: String,
    headers: Vec<String>,
}

/// A loopback server that answers each request with a scripted response and records what it
/// received. It stops when dropped.
struct ScriptedServer {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Status and headers for a request's method and path.
type Answer = (u16, Vec<(String, String)>);
type Script = Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>;
type StaticScript = fn(method: &str, path: &str) -> (u16, Vec<(&'static str, &'static str)>);

fn scripted(answers: StaticScript) -> Script {
    Arc::new(move |method, path| {
        let (status, headers) = answers(method, path);
        let owned = headers
            .into_iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect();
        (status, owned)
    })
}

fn read_request<S: Read>(reader: &mut BufReader<S>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end().to_string();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        headers.push(header);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        line: line.trim_end().to_string(),
        headers,
    })
}

/// Reads one request from the connection, records it and writes the scripted answer.
fn serve_one<S: Read + Write>(stream: S, script: &Script, seen: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let mut parts = request.line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    seen.lock().map(|mut s| s.push(request)).ok();
    let (status, headers) = script(&method, &path);
    let mut response = format!("HTTP/1.1 {status} Scripted\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("Content-Length: 2\r\nConnection: close\r\n\r\nok");
    let stream = reader.get_mut();
    stream.write_all(response.as_bytes()).ok();
    stream.flush().ok();
}

impl ScriptedServer {
    fn start(answers: StaticScript) -> Self {
        Self::start_with(scripted(answers), None)
    }

    /// With `tls`, every connection is served over TLS with that configuration.
    fn start_with(script: Script, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        listener.set_nonblocking(true).ok();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (received.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).ok();
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                match &tls {
                    None => serve_one(stream, &script, &seen),
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                            continue;
                        };
                        serve_one(rustls::StreamOwned::new(connection, stream), &script, &seen);
                    }
                }
            }
        });
        ScriptedServer {
            port,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn https_url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// Header lines with lower-cased names, sorted: HTTP/1.1 header order and case carry no
/// meaning, and the client writes names in lower case.
fn header_set(received: &Received) -> Vec<String> {
    let mut lines: Vec<String> = received
        .headers
        .iter()
        .map(|h| match h.split_once(':') {
            Some((n, v)) => format!("{}: {}", n.to_ascii_lowercase(), v.trim()),
            None => h.clone(),
        })
        .collect();
    lines.sort();
    lines
}

fn allow_app_put(method: &str, path: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    match (method, path) {
        ("OPTIONS", _) => (
            204,
            vec![
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Methods", "GET, PUT"),
                ("Access-Control-Allow-Headers", "content-type, x-trace"),
            ],
        ),
        (_, "/private") => (200, vec![("Content-Type", "application/json")]),
        _ => (
            200,
            vec![
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Content-Type", "application/json"),
            ],
        ),
    }
}

#[test]
fn the_preflight_is_sent_as_chromium_sends_it_and_put_is_held_back() {
    let server = ScriptedServer::start(allow_app_put);
    let url = server.url("/items/7");
    let (doc, code) = probe(&[
        &url,
        "--origin",
        "https://app.example",
        "--method",
        "put",
        "-H",
        "X-Trace: 1",
        "-H",
        "Content-Type: application/json",
    ]);
    assert_eq!(code, 0);
    let received = server.received();
    assert_eq!(received.len(), 1, "only the preflight: {received:?}");
    assert_eq!(received[0].line, "OPTIONS /items/7 HTTP/1.1");
    assert_eq!(
        header_set(&received[0]),
        crate::common::chromium_preflight(server.port, "content-type,x-trace")
    );

    let request = &doc["requests"][0];
    assert_eq!(
        request["outcome"], "sent",
        "the verdict on the PUT itself is open"
    );
    assert_eq!(request["preflight"], true);
    let note = request["note"].as_str().unwrap_or_default();
    assert!(note.contains("--send-actual"), "{note}");
    // From a public page to this loopback server, Chromium would ask the user first.
    let description = doc["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("as if the user had allowed") && description.contains("loopback"),
        "{description}"
    );
}

#[test]
fn send_actual_sends_the_request_and_the_verdict_is_the_engines() {
    let server = ScriptedServer::start(allow_app_put);
    let url = server.url("/items/7");
    let (doc, _) = probe(&[
        &url,
        "--origin",
        "https://app.example",
        "--method",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--send-actual",
    ]);
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(
        lines,
        ["OPTIONS /items/7 HTTP/1.1", "PUT /items/7 HTTP/1.1"]
    );
    let actual = &server.received()[1];
    let sent = header_set(actual);
    for expected in [
        "origin: https://app.example",
        "content-type: application/json",
        "sec-fetch-mode: cors",
        "sec-fetch-site: cross-site",
        "accept: */*",
        "content-length: 0",
        "sec-ch-ua-mobile: ?0",
    ] {
        assert!(sent.iter().any(|h| h == expected), "{expected} in {sent:?}");
    }
    assert!(!sent.iter().any(|h| h.starts_with("access-control-request")));
    assert_eq!(doc["requests"][0]["outcome"], "allowed");
}

#[test]
fn a_get_without_allow_origin_is_blocked_with_chromiums_error() {
    let server = ScriptedServer::start(allow_app_put);
    let url = server.url("/private");
    let (doc, _) = probe(&[&url, "--origin", "https://app.example"]);
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(
        lines,
        ["GET /private HTTP/1.1"],
        "a simple GET needs no preflight"
    );
    let request = &doc["requests"][0];
    assert_eq!(request["outcome"], "blocked");
    assert_eq!(request["cors_error"], "MissingAllowOriginHeader");
}

fn redirecting(method: &str, path: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    match (method, path) {
        ("OPTIONS", _) => (302, vec![("Location", "/elsewhere")]),
        (_, "/old") => (
            301,
            vec![("Location", "/new"), ("Access-Control-Allow-Origin", "*")],
        ),
        _ => (200, vec![("Access-Control-Allow-Origin", "*")]),
    }
}

#[test]
fn a_redirected_preflight_fails_and_an_actual_request_follows_its_redirects() {
    let server = ScriptedServer::start(redirecting);
    let (doc, _) = probe(&[
        &server.url("/upload"),
        "--origin",
        "https://app.example",
        "--method",
        "DELETE",
    ]);
    assert_eq!(doc["requests"][0]["outcome"], "blocked");
    assert_eq!(doc["requests"][0]["failed_at"], "preflight");
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(
        lines,
        ["OPTIONS /upload HTTP/1.1"],
        "a preflight is never followed"
    );

    let server = ScriptedServer::start(redirecting);
    let (doc, _) = probe(&[&server.url("/old"), "--origin", "https://app.example"]);
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(lines, ["GET /old HTTP/1.1", "GET /new HTTP/1.1"]);
    assert_eq!(doc["requests"][0]["outcome"], "allowed");
    let hops = &doc["requests"][0]["exchanges"];
    assert_eq!(hops[0]["response"]["status"], 301);
    assert!(
        hops[1]["request"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/new"))
    );
}

#[test]
fn connection_errors_are_clear_and_exit_2() {
    // Bind and drop: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let output = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args([
            "probe",
            &format!("http://127.0.0.1:{port}/x"),
            "--origin",
            "https://app.example",
            "--json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connection was refused"), "{stderr}");
}

#[test]
fn a_saved_probe_opens_again_as_it_was() {
    let server = ScriptedServer::start(allow_app_put);
    let dir = std::env::temp_dir().join(format!("cors-tui-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let saved = dir.join("probe.json");
    let (doc, _) = probe(&[
        &server.url("/items"),
        "--origin",
        "https://app.example",
        "--save",
        saved.to_str().unwrap_or_default(),
    ]);
    let reopened = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("--json")
        .arg(&saved)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let again: Value = serde_json::from_slice(&reopened.stdout).unwrap_or_default();
    assert_eq!(again["requests"], doc["requests"]);
    assert_eq!(
        again["server"], doc["server"],
        "still live answers, not a browser's"
    );
    assert_eq!(server.received().len(), 1, "reopening sends nothing");
    std::fs::remove_dir_all(&dir).ok();
}

/// A development CA and a server certificate it signed for 127.0.0.1: the CA's PEM (for
/// --cacert) and the server's TLS configuration.
fn development_ca() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};

    let ca_key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .unwrap_or_else(|e| panic!("{e}"));
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut server_params =
        CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
    server_params.subject_alt_names =
        vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]))];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .unwrap_or_else(|e| panic!("{e}"));
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .unwrap_or_else(|e| panic!("{e}"));
    (ca_cert.pem(), Arc::new(config))
}

#[test]
fn https_works_with_a_development_ca_and_fails_clearly_without_it() {
    let (ca_pem, tls) = development_ca();
    let server = ScriptedServer::start_with(scripted(allow_app_put), Some(tls));
    let dir = std::env::temp_dir().join(format!("cors-tui-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let ca_file = dir.join("dev-ca.pem");
    std::fs::write(&ca_file, ca_pem).ok();

    let url = server.https_url("/items");
    let (doc, code) = probe(&[
        &url,
        "--origin",
        "https://app.example",
        "--cacert",
        ca_file.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["requests"][0]["outcome"], "allowed");
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(lines, ["GET /items HTTP/1.1"]);

    // Without the CA the certificate is unknown: a TLS error, said as one.
    let output = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["probe", &url, "--origin", "https://app.example", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TLS"), "{stderr}");
    assert_eq!(server.received().len(), 1, "nothing reached the server");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_silent_server_times_out_and_bodies_are_capped() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    // Accepts, reads nothing, answers nothing, until the probe gives up.
    let silent = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            std::thread::sleep(Duration::from_millis(1500));
            drop(stream);
        }
    });
    let output = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args([
            "probe",
            &format!("http://127.0.0.1:{port}/slow"),
            "--origin",
            "https://app.example",
        ])
        .args(["--timeout", "1", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no answer within 1 s"), "{stderr}");
    silent.join().ok();

    let server = ScriptedServer::start(allow_app_put);
    let (doc, _) = probe(&[
        &server.url("/items"),
        "--origin",
        "https://app.example",
        "--max-body",
        "1",
    ]);
    assert_eq!(doc["requests"][0]["exchanges"][0]["response"]["body"], "o");
}

fn redirect_without_cors(_: &str, path: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    match path {
        "/bad" => (302, vec![("Location", "/new")]),
        _ => (200, vec![("Access-Control-Allow-Origin", "*")]),
    }
}

#[test]
fn each_redirect_answer_must_pass_the_cors_check_and_another_origin_taints() {
    // A redirect without Access-Control-Allow-Origin stops the browser at the redirect.
    let server = ScriptedServer::start(redirect_without_cors);
    let (doc, _) = probe(&[&server.url("/bad"), "--origin", "https://app.example"]);
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(lines, ["GET /bad HTTP/1.1"], "never followed");
    let request = &doc["requests"][0];
    assert_eq!(request["outcome"], "blocked");
    assert_eq!(request["cors_error"], "MissingAllowOriginHeader");
    let summary = request["summary"].as_str().unwrap_or_default();
    assert!(summary.starts_with("Blocked at the redirect"), "{summary}");

    // A hop to another origin: the next request carries Origin: null, so a final answer that
    // names the page's origin is refused, as the browser refuses it.
    let target = ScriptedServer::start(|_, _| {
        (
            200,
            vec![("Access-Control-Allow-Origin", "https://app.example")],
        )
    });
    let elsewhere = target.url("/final");
    let hop: Script = Arc::new(move |_, _| {
        (
            307,
            vec![
                ("Location".to_string(), elsewhere.clone()),
                ("Access-Control-Allow-Origin".to_string(), "*".to_string()),
            ],
        )
    });
    let first = ScriptedServer::start_with(hop, None);
    let (doc, _) = probe(&[&first.url("/start"), "--origin", "https://app.example"]);
    let followed = target.received();
    assert_eq!(followed.len(), 1);
    assert!(
        header_set(&followed[0]).contains(&"origin: null".to_string()),
        "{:?}",
        followed[0]
    );
    let request = &doc["requests"][0];
    assert_eq!(request["outcome"], "blocked");
    assert_eq!(request["cors_error"], "AllowOriginMismatch");
    let error = request["error"].as_str().unwrap_or_default();
    assert!(error.contains("(redirected from '"), "{error}");
}

fn moved_put(method: &str, path: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    let allow = ("Access-Control-Allow-Origin", "https://app.example");
    match (method, path) {
        ("OPTIONS", _) => (204, vec![allow, ("Access-Control-Allow-Methods", "PUT")]),
        (_, "/v1") => (307, vec![("Location", "/v2"), allow]),
        _ => (200, vec![allow]),
    }
}

/// As Chromium does (checked in headless Chromium 148): a 307 keeps the PUT, and the new URL
/// gets a preflight of its own before the PUT goes there.
#[test]
fn a_redirected_put_is_preflighted_again_at_its_new_url() {
    let server = ScriptedServer::start(moved_put);
    let (doc, _) = probe(&[
        &server.url("/v1"),
        "--origin",
        "https://app.example",
        "--method",
        "PUT",
        "--send-actual",
    ]);
    let lines: Vec<String> = server.received().iter().map(|r| r.line.clone()).collect();
    assert_eq!(
        lines,
        [
            "OPTIONS /v1 HTTP/1.1",
            "PUT /v1 HTTP/1.1",
            "OPTIONS /v2 HTTP/1.1",
            "PUT /v2 HTTP/1.1"
        ]
    );
    assert_eq!(doc["requests"][0]["outcome"], "allowed");
}

/// `probe --json` of a URL whose host does not resolve, for a page at `origin`.
fn probe_a_host_that_does_not_resolve(origin: &str) -> std::process::Output {
    Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["probe", "http://no-such-host.invalid/x", "--origin", origin])
        .args(["--timeout", "5", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_host_that_does_not_resolve_is_named() {
    let output = probe_a_host_that_does_not_resolve("http://app.example");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot resolve the host name no-such-host.invalid"),
        "{stderr}"
    );
}

/// From an HTTPS page, a browser sends nothing to an http: URL (mixed content): the probe
/// sends nothing either, and says why, so the host is never looked up.
#[test]
fn an_http_url_probed_for_an_https_page_is_mixed_content_and_not_sent() {
    let output = probe_a_host_that_does_not_resolve("https://app.example");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let request = &document["requests"][0];
    assert_eq!(request["outcome"], "blocked");
    assert_eq!(request["cors_error"], "blocked:mixed-content");
    // Listed as DevTools lists it: asked for, never answered.
    assert_eq!(request["exchanges"].as_array().map(Vec::len), Some(1));
    assert_eq!(request["exchanges"][0]["response"]["status"], 0);
    let error = request["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("Mixed Content: The page at 'https://app.example/'"),
        "{error}"
    );
    let description = document["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("nothing was sent to the live server"),
        "{description}"
    );
}

#[test]
fn a_lessons_raw_client_requests_go_out_as_the_raw_client_sends_them() {
    let server = ScriptedServer::start(allow_app_put);
    let lesson = format!(
        "{}/scenarios/curl-vs-browser.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args([
            "probe",
            "--scenario",
            &lesson,
            "--server-url",
            &server.url(""),
            "--json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let received = server.received();
    let lines: Vec<&str> = received.iter().map(|r| r.line.as_str()).collect();
    // Raw GET, raw GET with Origin, the browser's GET, and the raw OPTIONS (a safe method).
    assert_eq!(
        lines,
        [
            "GET /stats.json HTTP/1.1",
            "GET /stats.json HTTP/1.1",
            "GET /stats.json HTTP/1.1",
            "OPTIONS /stats.json HTTP/1.1"
        ]
    );
    let raw = header_set(&received[0]);
    assert!(
        raw.contains(&"user-agent: curl/8.5.0".to_string()),
        "{raw:?}"
    );
    assert!(!raw.iter().any(|h| h.starts_with("sec-fetch")), "{raw:?}");
    assert!(!raw.iter().any(|h| h.starts_with("origin")), "{raw:?}");
    let browser = header_set(&received[2]);
    assert!(
        browser.contains(&"sec-fetch-site: cross-site".to_string()),
        "{browser:?}"
    );
    assert_eq!(doc["requests"][3]["outcome"], "sent");
    assert_eq!(
        doc["requests"][3]["exchanges"][0]["response"]["status"],
        204
    );
}

/// D6: `--save` never replaces a file without `--force`, never writes through a link, never
/// replaces the lesson it was given, and refuses a FIFO, all before a request is sent.
#[test]
fn save_never_destroys_what_the_user_had() {
    let server = ScriptedServer::start(allow_app_put);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "probe".to_string(),
            server.url("/items"),
            "--origin".into(),
            "https://app.example".into(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::cargo_bin("cors-tui")
            .unwrap_or_else(|e| panic!("{e}"))
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let path = |name: &str| dir.path().join(name).display().to_string();

    std::fs::write(path("existing.json"), "mine").ok();
    let refused = run(&["--save", &path("existing.json")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --force to replace it"));
    assert_eq!(
        std::fs::read_to_string(path("existing.json")).unwrap_or_default(),
        "mine"
    );
    assert!(
        server.received().is_empty(),
        "refused before sending anything"
    );

    let forced = run(&["--save", &path("existing.json"), "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    let saved = std::fs::read_to_string(path("existing.json")).unwrap_or_default();
    assert!(saved.starts_with("{\n  \"tool\": \"cors-tui\""), "{saved}");

    std::fs::write(path("victim.txt"), "keep").ok();
    std::os::unix::fs::symlink(path("victim.txt"), path("link.json")).ok();
    assert_eq!(run(&["--save", &path("link.json")]).status.code(), Some(2));
    assert_eq!(
        run(&["--save", &path("link.json"), "--force"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_to_string(path("victim.txt")).unwrap_or_default(),
        "keep"
    );

    let made = std::process::Command::new("mkfifo")
        .arg(path("fifo"))
        .status();
    if made.is_ok_and(|s| s.success()) {
        let fifo = run(&["--save", &path("fifo"), "--force"]);
        assert_eq!(fifo.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&fifo.stderr).contains("not a regular file"));
    }

    let lesson = path("lesson.json");
    std::fs::copy(
        format!(
            "{}/scenarios/curl-vs-browser.json",
            env!("CARGO_MANIFEST_DIR")
        ),
        &lesson,
    )
    .ok();
    let before = std::fs::read_to_string(&lesson).unwrap_or_default();
    let sent_before = server.received().len();
    let over_lesson = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args([
            "probe",
            "--scenario",
            &lesson,
            "--server-url",
            &server.url(""),
        ])
        .args(["--save", &lesson, "--force", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(over_lesson.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&over_lesson.stderr).contains("it is the --scenario file"));
    assert_eq!(std::fs::read_to_string(&lesson).unwrap_or_default(), before);
    assert_eq!(server.received().len(), sent_before);
}

fn sets_a_cookie(method: &str, _: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    match method {
        "OPTIONS" => (
            204,
            vec![
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Headers", "authorization"),
            ],
        ),
        _ => (
            200,
            vec![
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Set-Cookie", "session=SERVERSECRET"),
            ],
        ),
    }
}

/// D7: the probe masks what the user sent and what the server answered, in its output and in
/// the saved trace, unless --show-secrets.
#[test]
fn the_probe_masks_secrets_unless_asked_for() {
    let server = ScriptedServer::start(sets_a_cookie);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("probe.json");
    let url = server.url("/me?token=URLSECRET");
    let args = [
        url.as_str(),
        "--origin",
        "https://app.example",
        "-H",
        "Authorization: Bearer CLIENTSECRET",
        "--credentials",
        "include",
        "--save",
        saved.to_str().unwrap_or_default(),
    ];
    let (doc, code) = probe(&args);
    assert_eq!(code, 0, "{doc}");
    let written = std::fs::read_to_string(&saved).unwrap_or_default();
    for text in [doc.to_string(), written] {
        for secret in ["URLSECRET", "CLIENTSECRET", "SERVERSECRET"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("[masked:"), "{text}");
    }
    let server_saw = server.received();
    assert!(
        server_saw
            .iter()
            .any(|r| r.line.contains("token=URLSECRET")),
        "the real value is what was sent"
    );
    let mut shown_args = args.to_vec();
    shown_args.truncate(7);
    shown_args.push("--show-secrets");
    let (shown, _) = probe(&shown_args);
    let shown = shown.to_string();
    assert!(shown.contains("CLIENTSECRET") && shown.contains("SERVERSECRET"));
}

fn to_a_dead_port(_: &str, _: &str) -> (u16, Vec<(&'static str, &'static str)>) {
    (
        302,
        vec![
            // Port 9 (discard) has no listener on loopback here.
            ("Location", "http://127.0.0.1:9/gone"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    )
}

/// D17: a redirect hop that cannot be reached ends that request, with a note and a step that
/// say so; the hop already made stays in the trace, instead of the whole probe failing.
#[test]
fn a_later_hop_that_fails_keeps_the_hops_before_it() {
    let server = ScriptedServer::start(to_a_dead_port);
    let (doc, code) = probe(&[&server.url("/start"), "--origin", "https://app.example"]);
    assert_eq!(code, 0, "{doc}");
    let request = &doc["requests"][0];
    assert_eq!(request["exchanges"][0]["response"]["status"], 302, "{doc}");
    assert_eq!(request["exchanges"].as_array().map(Vec::len), Some(1));
    assert_eq!(request["outcome"], "sent");
    assert!(
        request["note"]
            .as_str()
            .is_some_and(|n| n.contains("the probe stopped at redirect 1: GET http://127.0.0.1:9/gone: the connection was refused")),
        "{doc}"
    );
    let steps = doc["steps"].as_array().cloned().unwrap_or_default();
    let last = steps.last().cloned().unwrap_or_default();
    assert_eq!(
        last["decision"],
        "Not sent: the probe stopped at redirect 1 (see the note)"
    );
    assert!(
        steps.iter().any(|s| s["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("302 Found"))),
        "the first hop's answer is a step"
    );
    assert_eq!(server.received().len(), 1);
    // Saved, it opens again as it was.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("partial.json");
    let (_, code) = probe(&[
        &server.url("/start"),
        "--origin",
        "https://app.example",
        "--save",
        saved.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 0);
    let reopened = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("--json")
        .arg(&saved)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reopened.status.code(), Some(0));
}
