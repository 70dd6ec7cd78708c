//! `cors-tui probe`: asks a live server. The engine says what the browser would send next, this
//! module sends exactly that over the network and records the real answer, and the engine then
//! judges the answers as it judges a recording. The engine itself never does I/O.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use url::Url;

use crate::engine::http::HttpRequest;
use crate::engine::{self, ExchangeKind};
use crate::scenario::Recorder;
use crate::scenario::{BrowserProfile, CannedResponse, Scenario, Server, ServerKind};

/// Redirects an actual request follows before giving up, as fetch does (20).
const MAX_REDIRECTS: usize = 20;

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
    /// Send the actual request whatever its method; by default only GET and HEAD are sent,
    /// since anything else may change data on the server.
    pub send_actual: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            cacert: None,
            send_actual: false,
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
    let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
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
        let fail = |reason: String| ProbeError::Other {
            method: request.method.clone(),
            url: request.url.clone(),
            reason,
        };
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            // The client writes Host from the URL, the same value the engine shows.
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(name.as_str(), value.as_str());
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
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        if request.method != "HEAD" {
            response
                .body_mut()
                .as_reader()
                .take(self.options.max_body_bytes)
                .read_to_end(&mut body)
                .map_err(|e| fail(format!("reading the body: {e}")))?;
        }
        Ok(CannedResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    fn error(&self, request: &HttpRequest, err: ureq::Error) -> ProbeError {
        let method = request.method.clone();
        let url = request.url.clone();
        match err {
            ureq::Error::HostNotFound => ProbeError::Dns {
                method,
                host: Url::parse(&url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default(),
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

/// What the probe did beyond the answers: redirect hops and held-back requests, per request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeNotes(pub Vec<Vec<String>>);

/// Follows an actual request's redirects as fetch does (same method for 307/308; GET for a
/// POST on 301/302 and for anything but HEAD on 303), noting each hop. Returns the final
/// answer.
fn send_following(
    client: &Client,
    request: &HttpRequest,
    notes: &mut Vec<String>,
) -> Result<CannedResponse, ProbeError> {
    let mut current = request.clone();
    for _ in 0..=MAX_REDIRECTS {
        let answer = client.send(&current)?;
        let location = answer
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.clone());
        let (true, Some(location)) = ((300..400).contains(&answer.status), location) else {
            return Ok(answer);
        };
        let Some(next) = Url::parse(&current.url)
            .ok()
            .and_then(|base| base.join(&location).ok())
        else {
            notes.push(format!(
                "{} {} answered {} with a Location that is not a URL: {location}",
                current.method, current.url, answer.status
            ));
            return Ok(answer);
        };
        let method = match answer.status {
            301 | 302 if current.method == "POST" => "GET".to_string(),
            303 if current.method != "HEAD" => "GET".to_string(),
            _ => current.method.clone(),
        };
        notes.push(format!(
            "redirect: {} {} answered {} → {} {next} (the browser also runs the CORS check on each redirect answer, and a redirect to another origin makes the Origin \"null\"; cors-tui judges only the final answer)",
            current.method, current.url, answer.status, method
        ));
        current.url = next.to_string();
        current.method = method;
    }
    Err(ProbeError::Other {
        method: request.method.clone(),
        url: request.url.clone(),
        reason: format!("more than {MAX_REDIRECTS} redirects"),
    })
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
        rules_from: Some(format!("the live server at {live_url}")),
    };
    for request in &mut scenario.requests {
        request.responses = Default::default();
        request.preflight_not_recorded = false;
        request.actual_withheld = false;
    }
    let mut notes = ProbeNotes(vec![Vec::new(); scenario.requests.len()]);
    for i in 0..scenario.requests.len() {
        // The engine runs the requests so far, so the preflight cache holds what the earlier
        // answers put in it, exactly as in the browser.
        loop {
            let prefix = Scenario {
                requests: scenario.requests[..=i].to_vec(),
                ..scenario.clone()
            };
            let trace = engine::run(&prefix, profile);
            let Some(record) = trace.requests.get(i) else {
                break;
            };
            let spec = &mut scenario.requests[i];
            let pending = record.exchanges.iter().find(|e| match e.kind {
                ExchangeKind::Preflight => spec.responses.preflight.is_none(),
                ExchangeKind::Actual => spec.responses.actual.is_none(),
            });
            let Some(exchange) = pending else {
                break;
            };
            match exchange.kind {
                ExchangeKind::Preflight => {
                    // A redirected preflight is a CORS failure: its answer is judged as it is.
                    spec.responses.preflight = Some(client.send(&exchange.request)?);
                }
                ExchangeKind::Actual => {
                    let safe = matches!(exchange.request.method.as_str(), "GET" | "HEAD");
                    if !safe && !client.options.send_actual {
                        spec.actual_withheld = true;
                        notes.0[i].push(format!(
                            "{} was not sent: a probe sends only GET and HEAD unless given --send-actual",
                            exchange.request.method
                        ));
                        break;
                    }
                    let answer = send_following(client, &exchange.request, &mut notes.0[i])?;
                    spec.responses.actual = Some(answer);
                    break;
                }
            }
        }
    }
    Ok((scenario, notes))
}
