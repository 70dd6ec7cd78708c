//! `cors-tui probe`: asks a live server. The engine says what the browser would send next, this
//! module sends exactly that over the network and records the real answer, and the engine then
//! judges the answers as it judges a recording. The engine itself never does I/O.

use crate::scenario::{Header, Shared};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use url::Url;

use crate::engine::{self, ExchangeKind};
use crate::http::HttpRequest;
use crate::scenario::{
    BrowserProfile, CannedResponse, Recorder, Scenario, Server, ServerKind, Via,
};
use crate::server::{ServerAnswer, ServerNote};

/// How careful a probe is.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// For the whole of each HTTP exchange: resolving, connecting, sending and receiving.
    pub timeout: Duration,
    /// Response bodies are cut at this many bytes (the CORS verdict needs only the headers).
    pub max_body_bytes: u64,
    /// A PEM file of extra root certificates (a local development CA), trusted besides the
    /// system's roots.
    pub cacert: Option<PathBuf>,
    /// Send the actual request whatever its method; by default only the safe GET, HEAD and OPTIONS are sent,
    /// since anything else may change data on the server.
    pub send_actual: bool,
    /// Follow a redirect from a public address into private, loopback or link-local space
    /// (a cloud metadata service, a router's admin page); by default the probe stops there.
    pub allow_private_redirects: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            cacert: None,
            send_actual: false,
            allow_private_redirects: false,
        }
    }
}

/// Why a probe could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("{method} {url}: cannot resolve the host name {host}")]
    Dns {
        method: String,
        url: String,
        host: String,
    },
    #[error("{method} {url}: the connection was refused (is the server running on that port?)")]
    Refused { method: String, url: String },
    #[error("{method} {url}: no answer within {seconds} s")]
    Timeout {
        method: String,
        url: String,
        seconds: u64,
    },
    #[error(
        "{method} {url}: the TLS handshake failed: {reason} (for a local development CA, pass --cacert FILE)"
    )]
    Tls {
        method: String,
        url: String,
        reason: String,
    },
    #[error("{method} {url}: {reason}")]
    Other {
        method: String,
        url: String,
        reason: String,
    },
}

/// An HTTP client that sends requests exactly as the engine built them: no headers of its
/// own, no redirects followed behind our back, errors as answers (a 403 is a CORS fact).
pub struct Client {
    agent: Agent,
    options: ProbeOptions,
}

fn root_certs(cacert: Option<&Path>) -> Result<RootCerts, ProbeError> {
    let Some(path) = cacert else {
        return Ok(RootCerts::PlatformVerifier);
    };
    let ca_error = |reason: String| ProbeError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    // Bounded and refusing devices, as every input is (`--cacert /dev/zero`).
    let (_, pem) = crate::scenario::open_input(path)
        .map_err(|e| ca_error(e.0.first().map_or_else(String::new, |e| e.message.clone())))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(pem.bytes()) {
        match item.map_err(|e| ca_error(e.to_string()))? {
            ureq::tls::PemItem::Certificate(cert) => certs.push(cert),
            _ => continue,
        }
    }
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in it".to_string()));
    }
    // The system's roots stay trusted: --cacert adds to them.
    let system = rustls_native_certs::load_native_certs();
    certs.extend(
        system
            .certs
            .into_iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    Ok(RootCerts::Specific(Arc::new(certs)))
}

impl Client {
    pub fn new(options: ProbeOptions) -> Result<Self, ProbeError> {
        let tls = TlsConfig::builder()
            .root_certs(root_certs(options.cacert.as_deref())?)
            .build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .timeout_global(Some(options.timeout))
            .allow_non_standard_methods(true)
            .tls_config(tls)
            .build()
            .into();
        Ok(Client { agent, options })
    }

    /// Sends one request and returns the answer, without following a redirect.
    pub fn send(&self, request: &HttpRequest) -> Result<CannedResponse, ProbeError> {
        // RFC 6761 §6.4 reserves `.invalid`: a resolver should say at once that such a name
        // does not exist, rather than ask a DNS server that may take seconds to answer.
        if let Some(host) = Url::parse(&request.url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
            .filter(|host| {
                let host = host.trim_end_matches('.');
                host == "invalid" || host.ends_with(".invalid")
            })
        {
            return Err(ProbeError::Dns {
                method: request.method.to_string(),
                url: request.url.to_string(),
                host,
            });
        }
        let fail = |reason: String| ProbeError::Other {
            method: request.method.to_string(),
            url: request.url.to_string(),
            reason,
        };
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            // The client writes Host from the URL, the same value the engine shows.
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(&**name, &**value);
            }
        }
        let with_body = !matches!(
            request.method.as_str(),
            "GET" | "HEAD" | "OPTIONS" | "DELETE"
        );
        let sent = if with_body {
            builder
                .body("")
                .map_err(|e| fail(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| self.error(request, e)))
        } else {
            builder
                .body(())
                .map_err(|e| fail(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| self.error(request, e)))
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let headers: Vec<Header> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    Shared::from(name.as_str()),
                    Shared::from(String::from_utf8_lossy(value.as_bytes())),
                )
            })
            .collect();
        let encoding = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-encoding"))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.eq_ignore_ascii_case("identity"));
        let mut body = Vec::new();
        if request.method != "HEAD" {
            response
                .body_mut()
                .as_reader()
                .take(self.options.max_body_bytes)
                .read_to_end(&mut body)
                .map_err(|e| fail(format!("reading the body: {e}")))?;
        }
        // The probe asks for compression as Chromium does, but only shows bodies, never needs
        // them: an encoded one is described, not decoded.
        let body = match encoding {
            Some(encoding) if !body.is_empty() => {
                format!("({} bytes, {encoding}-encoded)", body.len())
            }
            _ => String::from_utf8_lossy(&body).into_owned(),
        };
        Ok(CannedResponse {
            status,
            headers: headers.into(),
            body,
            network_error: None,
        })
    }

    fn error(&self, request: &HttpRequest, err: ureq::Error) -> ProbeError {
        let host_of = |url: &str| {
            Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default()
        };
        let method = request.method.to_string();
        let url = request.url.to_string();
        match err {
            ureq::Error::HostNotFound => ProbeError::Dns {
                method,
                host: host_of(&url),
                url,
            },
            ureq::Error::Timeout(_) => ProbeError::Timeout {
                method,
                url,
                seconds: self.options.timeout.as_secs(),
            },
            ureq::Error::Io(io)
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                ProbeError::Tls {
                    method,
                    url,
                    reason: io.get_ref().map(ToString::to_string).unwrap_or_default(),
                }
            }
            // std reports a failed getaddrinfo as an uncategorised I/O error with this text.
            ureq::Error::Io(io) if io.to_string().contains("failed to lookup address") => {
                ProbeError::Dns {
                    method,
                    host: host_of(&url),
                    url,
                }
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                ProbeError::Refused { method, url }
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                ProbeError::Timeout {
                    method,
                    url,
                    seconds: self.options.timeout.as_secs(),
                }
            }
            ureq::Error::Tls(reason) => ProbeError::Tls {
                method,
                url,
                reason: reason.to_string(),
            },
            ureq::Error::Rustls(reason) => ProbeError::Tls {
                method,
                url,
                reason: reason.to_string(),
            },
            other => ProbeError::Other {
                method,
                url,
                reason: other.to_string(),
            },
        }
    }
}

/// The User-Agent of the Chromium release whose requests the probe copies.
const CHROMIUM_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36";

/// `Sec-Fetch-Site` for a request from `origin` to `url` (Fetch Metadata): same origin, same
/// site (scheme and registrable domain, from the public suffix list), or neither.
fn fetch_site(origin: &str, url: &Url) -> &'static str {
    let Ok(from) = Url::parse(origin) else {
        return "cross-site";
    };
    if from.origin() == url.origin() {
        return "same-origin";
    }
    if crate::http::syntax::site_of(&from) == crate::http::syntax::site_of(url) {
        "same-site"
    } else {
        "cross-site"
    }
}

/// Whether Chromium treats `url` as a secure context's target (https, or a loopback host),
/// where it adds its default client hints.
fn potentially_trustworthy(url: &Url) -> bool {
    url.scheme() == "https"
        || matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        || url.host_str().is_some_and(|h| h.ends_with(".localhost"))
}

/// The headers Chromium adds to every request that take no part in CORS, so that the server
/// sees what a page's request really looks like. Read from Chromium 148's own requests to a
/// loopback server: the preflight carries User-Agent, Sec-Fetch-Site, Referer,
/// Accept-Encoding and Accept-Language; the request adds the default client hints.
pub fn chromium_incidental_headers(kind: ExchangeKind, origin: &str, url: &Url) -> Vec<Header> {
    let site = fetch_site(origin, url);
    let mut headers: Vec<Header> = vec![
        ("User-Agent".into(), CHROMIUM_USER_AGENT.into()),
        ("Sec-Fetch-Site".into(), site.into()),
    ];
    // strict-origin-when-cross-origin, the default policy: the origin alone, never the path.
    if origin != "null" && site != "same-origin" {
        headers.push(("Referer".into(), format!("{origin}/").into()));
    }
    headers.push(("Accept-Encoding".into(), "gzip, deflate, br, zstd".into()));
    headers.push(("Accept-Language".into(), "en-US,en;q=0.9".into()));
    if kind == ExchangeKind::Actual && potentially_trustworthy(url) {
        headers.extend([
            (
                "sec-ch-ua".into(),
                "\"Chromium\";v=\"148\", \"Not/A)Brand\";v=\"99\"".into(),
            ),
            ("sec-ch-ua-mobile".into(), "?0".into()),
            ("sec-ch-ua-platform".into(), "\"Linux\"".into()),
        ]);
    }
    headers
}

/// The request as it goes on the wire: the engine's headers plus, from a browser, Chromium's
/// incidental ones (a raw client sends only what the scenario gives it).
fn on_the_wire(kind: ExchangeKind, request: &HttpRequest, via: Via) -> HttpRequest {
    if via != Via::Browser {
        return request.clone();
    }
    let origin = request
        .header("Origin")
        .unwrap_or_else(|| "null".to_string());
    let mut wire = request.clone();
    if let Ok(url) = Url::parse(&request.url) {
        for (name, value) in chromium_incidental_headers(kind, &origin, &url) {
            if !wire
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                wire.headers.push((name, value));
            }
        }
    }
    wire
}

/// Whether an address is not on the public internet: loopback, private (RFC 1918, unique
/// local), link-local (where cloud metadata services answer), shared (CGNAT) or unspecified.
fn is_private_address(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
        }
        std::net::IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_address(std::net::IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Whether `url`'s host is, or resolves to, a private address (see [`is_private_address`]).
fn is_private_target(url: &Url) -> bool {
    use std::net::ToSocketAddrs;
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private_address(ip.into()),
        Some(url::Host::Ipv6(ip)) => is_private_address(ip.into()),
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
                || (name, url.port_or_known_default().unwrap_or(80))
                    .to_socket_addrs()
                    .is_ok_and(|mut addrs| addrs.any(|a| is_private_address(a.ip())))
        }
        None => false,
    }
}

/// What the probe did beyond the answers: redirect hops and held-back requests, per request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeNotes(pub Vec<Vec<String>>);

/// The live server, answering the engine's exchanges one at a time: it sends each as the
/// browser would, unless the probe's care says not to, and keeps every answer for the scenario
/// it returns.
struct LiveAnswers<'a> {
    client: &'a Client,
    requests: &'a [crate::scenario::RequestSpec],
    /// Each request's answers so far, per hop.
    answers: Vec<crate::scenario::ResponseOverrides>,
    /// The requests the probe held back (an unsafe method, a private redirect, an unreachable
    /// later hop).
    held_back: Vec<bool>,
    /// Whether each request starts in private space, worked out (a name lookup) only when a
    /// redirect leads to a private address.
    start_is_private: Vec<Option<bool>>,
    notes: &'a mut ProbeNotes,
    /// The first hop's failure ends the probe.
    failure: Option<ProbeError>,
}

impl engine::driver::Answers for LiveAnswers<'_> {
    fn answer(&mut self, asked: &engine::driver::Asked) -> Option<ServerAnswer> {
        if self.failure.is_some() {
            return None;
        }
        let i = asked.request - 1;
        let (spec, exchange, hop) = (self.requests.get(i)?, asked.message, asked.hop);
        // Why the probe stops before this exchange, if it does. Each stop holds the request
        // back at this hop; the hops before it keep their answers.
        let stop = if asked.kind == ExchangeKind::Actual
            && !self.client.options.send_actual
            // The safe methods of RFC 9110 §9.2.1: they change nothing on the server. A later
            // hop is unsafe only if the first was (redirects keep or drop to GET).
            && !matches!(exchange.method.as_str(), "GET" | "HEAD" | "OPTIONS")
        {
            Some(format!(
                "{} was not sent: a probe sends only GET, HEAD and OPTIONS unless given --send-actual",
                exchange.method
            ))
        } else if hop > 0
            && !self.client.options.allow_private_redirects
            // A redirect from the public internet into private space (a metadata service at
            // 169.254.169.254, an admin page at 10.0.0.1): the user's machine would be the one
            // sending it.
            && Url::parse(&exchange.url).is_ok_and(|to| is_private_target(&to))
            && !*self.start_is_private[i].get_or_insert_with(|| is_private_target(&spec.url))
        {
            Some(format!(
                "the probe stopped: redirect {hop} leads from {}, a public address, to {}, a private, loopback or link-local one (a metadata service or an admin page may answer there; Chromium's Local Network Access refuses such requests without the user's permission): the probe did not send it; pass --allow-private-redirects to follow it",
                spec.url, exchange.url
            ))
        } else {
            None
        };
        if let Some(note) = stop {
            self.notes.0[i].push(note);
            self.held_back[i] = true;
            return None;
        }
        let wire = on_the_wire(asked.kind, exchange, spec.via);
        let answer = match self.client.send(&wire) {
            Ok(answer) => answer,
            // A later hop that cannot be reached ends its request, not the whole probe. The
            // first hop's failure is the probe's.
            Err(err) if hop > 0 => {
                self.notes.0[i].push(format!("the probe stopped at redirect {hop}: {err}"));
                self.held_back[i] = true;
                return None;
            }
            Err(err) => {
                self.failure = Some(err);
                return None;
            }
        };
        let response = crate::server::canned(&answer);
        let answers = self.answers[i].at_hop_mut(hop);
        match asked.kind {
            // A redirected preflight is a CORS failure: its answer is judged as it is.
            ExchangeKind::Preflight => answers.preflight = Some(answer),
            ExchangeKind::Actual => answers.actual = Some(answer),
        }
        Some(ServerAnswer {
            response,
            note: ServerNote::Recorded {
                by: Recorder::Probe,
                answered: true,
            },
        })
    }

    fn allowed_origins_text(&self) -> String {
        Recorder::Probe.no_rules().to_string()
    }

    fn matched_rule_text(&self, _note: &ServerNote) -> String {
        Recorder::Probe.no_rules().to_string()
    }
}

/// Probes every request of `scenario` in order against the live server at its URLs: each
/// request's preflight and actual answers are filled in from the network, so that the
/// engine's run of the result is the verdict on the real server.
pub fn probe_scenario(
    client: &Client,
    mut scenario: Scenario,
    profile: BrowserProfile,
    live_url: &str,
) -> Result<(Scenario, ProbeNotes), ProbeError> {
    scenario.server = Server {
        url: scenario.server.url.clone(),
        kind: ServerKind::Recorded {
            by: Recorder::Probe,
        },
        front: Vec::new(),
        rules_from: Some(format!("the live server at {live_url}")),
    };
    for request in std::sync::Arc::make_mut(&mut scenario.requests).iter_mut() {
        request.responses = Default::default();
        request.preflight_not_recorded = false;
        request.actual_withheld = false;
    }
    let mut notes = ProbeNotes(vec![Vec::new(); scenario.requests.len()]);
    for (request, notes) in scenario.requests.iter().zip(notes.0.iter_mut()) {
        if request.via != Via::Browser {
            continue;
        }
        let origin = request.origin.as_deref().unwrap_or("null");
        let extras: Vec<String> =
            chromium_incidental_headers(ExchangeKind::Preflight, origin, &request.url)
                .into_iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
        notes.push(format!(
            "besides the headers shown, the probe sent what Chromium adds to every request ({}; and its client hints on a request to https or localhost)",
            extras.join("; ")
        ));
    }
    // One pass: the engine asks for each exchange in turn and the live server answers it, so
    // the preflight cache holds what the earlier answers put in it, exactly as in the browser.
    let mut live = LiveAnswers {
        client,
        requests: &scenario.requests,
        answers: vec![Default::default(); scenario.requests.len()],
        held_back: vec![false; scenario.requests.len()],
        start_is_private: vec![None; scenario.requests.len()],
        notes: &mut notes,
        failure: None,
    };
    // After a failure every later exchange is held back at once: nothing more is sent.
    engine::Requests::answered_by(&scenario, profile, Box::new(&mut live)).for_each(drop);
    if let Some(err) = live.failure.take() {
        return Err(err);
    }
    let LiveAnswers {
        answers, held_back, ..
    } = live;
    for ((spec, answers), held_back) in std::sync::Arc::make_mut(&mut scenario.requests)
        .iter_mut()
        .zip(answers)
        .zip(held_back)
    {
        spec.responses = answers;
        spec.actual_withheld = held_back;
    }
    Ok((scenario, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(origin: &str, url: &str) -> &'static str {
        match Url::parse(url) {
            Ok(url) => fetch_site(origin, &url),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_told_from_public_ones() {
        let private = |text: &str| match Url::parse(text) {
            Ok(url) => is_private_target(&url),
            Err(e) => panic!("{text}: {e}"),
        };
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1:8080/admin",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://127.0.0.1:9/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://localhost/",
            "http://app.localhost/",
        ] {
            assert!(private(url), "{url}");
        }
        for url in [
            "http://93.184.216.34/",
            "http://172.32.0.1/",
            "http://[2606:4700::1]/",
        ] {
            assert!(!private(url), "{url}");
        }
    }

    #[test]
    fn fetch_site_follows_registrable_domains_and_schemes() {
        assert_eq!(
            site("https://app.example.com", "https://app.example.com/x"),
            "same-origin"
        );
        assert_eq!(
            site("https://app.example.com", "https://api.example.com/x"),
            "same-site"
        );
        assert_eq!(
            site("https://a.shop.co.uk", "https://b.shop.co.uk/"),
            "same-site"
        );
        assert_eq!(
            site("https://shop.co.uk", "https://other.co.uk/"),
            "cross-site"
        );
        // Schemeful: http and https of one domain are different sites.
        assert_eq!(
            site("http://example.com", "https://example.com/"),
            "cross-site"
        );
        assert_eq!(
            site("http://127.0.0.1:8776", "http://localhost:8775/"),
            "cross-site"
        );
        assert_eq!(site("null", "https://example.com/"), "cross-site");
    }

    #[test]
    fn client_hints_only_go_to_trustworthy_targets_and_never_on_a_preflight() {
        let names = |kind, url: &str| -> Vec<String> {
            let Ok(url) = Url::parse(url) else {
                panic!("{url}")
            };
            chromium_incidental_headers(kind, "https://app.example", &url)
                .into_iter()
                .map(|(n, _)| n.to_string())
                .collect()
        };
        let hints = |names: &[String]| names.iter().any(|n| n == "sec-ch-ua");
        assert!(hints(&names(ExchangeKind::Actual, "https://api.example/")));
        assert!(hints(&names(
            ExchangeKind::Actual,
            "http://localhost:8080/"
        )));
        assert!(!hints(&names(ExchangeKind::Actual, "http://api.example/")));
        assert!(!hints(&names(
            ExchangeKind::Preflight,
            "https://api.example/"
        )));
        assert!(
            names(ExchangeKind::Preflight, "https://api.example/").contains(&"Referer".to_string())
        );
    }
}
