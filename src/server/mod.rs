//! The server side: how each kind of server answers a request, as pure functions of its
//! configuration and the request. Each kind is one module: the storage services share the
//! [`bucket`] skeleton and bring their own hooks; the static server and recorded answers stand
//! alone. An answer carries facts ([`ServerNote`]), narrated only when a view asks.

mod azure;
pub mod bucket;
mod gcs;
mod recorded;
pub mod s3;
mod static_server;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::engine::ExchangeKind;
use crate::engine::http::{HttpRequest, HttpResponse};
use crate::scenario::{
    CannedResponse, CorsConfiguration, Provider, Recorder, ResponseOverrides, Server, ServerKind,
};

pub use bucket::Storage;

/// The storage service behind `provider`.
fn storage(provider: Provider) -> &'static dyn Storage {
    match provider {
        Provider::S3 => &s3::S3,
        Provider::Gcs => &gcs::Gcs,
        Provider::Azure => &azure::Azure,
    }
}

/// Whether a rule's origin entry covers `origin`, as `provider`'s server compares them: S3
/// globs one `*`; GCS and Azure take whole origins or `*` alone.
pub fn origin_entry_matches(provider: Provider, entry: &str, origin: &str) -> bool {
    match provider {
        Provider::S3 => s3::glob_match(entry, origin, false),
        Provider::Gcs => gcs::entry_matches(entry, origin),
        Provider::Azure => azure::origin_entry_matches(entry, origin),
    }
}

/// Whether a rule's header entry lets a preflight ask for `header`: S3 globs, Azure takes
/// prefixes ending in `*`; GCS's `responseHeader` is judged by the browser (whole names, or `*`).
pub fn header_entry_matches(provider: Provider, entry: &str, header: &str) -> bool {
    match provider {
        Provider::S3 => s3::glob_match(entry, header, true),
        Provider::Azure => azure::header_matches(entry, header),
        Provider::Gcs => entry.trim() == "*" || entry.trim().eq_ignore_ascii_case(header),
    }
}

/// A scenario's server, ready to answer: built once per run so every answer's facts can share
/// its configuration.
pub struct Answerer<'a> {
    server: &'a Server,
    config: Option<Arc<CorsConfiguration>>,
}

impl<'a> Answerer<'a> {
    pub fn new(server: &'a Server) -> Self {
        let config = match &server.kind {
            ServerKind::Bucket { cors, .. } => cors.clone().map(Arc::new),
            _ => None,
        };
        Answerer { server, config }
    }

    /// Answers `request`. A server sees only the request, so only a recording, which holds one
    /// answer per role, looks at `kind`. `overrides` are the answers scripted for `hop`.
    /// `sequence` numbers the exchange so generated ids are stable.
    pub fn answer(
        &self,
        kind: ExchangeKind,
        request: &HttpRequest,
        (overrides, hop): (&ResponseOverrides, usize),
        sequence: usize,
    ) -> ServerAnswer {
        match &self.server.kind {
            ServerKind::Bucket { provider, .. } => {
                let scripted = overrides
                    .actual
                    .as_ref()
                    .map(|response| Scripted { response, hop });
                let (response, note) = bucket::answer(
                    *provider,
                    storage(*provider),
                    self.config.as_ref(),
                    request,
                    scripted,
                    sequence,
                );
                ServerAnswer {
                    response,
                    note: ServerNote::Bucket(note),
                }
            }
            ServerKind::Recorded { by } => recorded::answer(kind, overrides, *by),
            ServerKind::Static { preflight, actual } => {
                static_server::answer(preflight, actual, request, overrides, hop)
            }
        }
    }
}

/// A server's answer and the facts behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAnswer {
    pub response: HttpResponse,
    pub note: ServerNote,
}

/// Why a server answered as it did, as facts; [`ServerNote::explain`] puts them in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerNote {
    Bucket(bucket::Note),
    /// A static server's fixed answer, or the one scripted for `hop`.
    Static {
        hop: usize,
        scripted: bool,
    },
    /// A recorded answer, or none (`answered: false`: the request was never sent).
    Recorded {
        by: Recorder,
        answered: bool,
    },
    /// The explanation as a saved trace holds it.
    Saved(String),
}

impl ServerNote {
    /// The 0-based index of the CORS rule that matched, for rule-based servers.
    pub fn matched_rule(&self) -> Option<usize> {
        match self {
            ServerNote::Bucket(note) => note.matched_rule(),
            _ => None,
        }
    }

    /// The explanation of the answer `response` to `request`.
    pub fn explain<'a>(
        &'a self,
        request: &'a HttpRequest,
        response: &'a HttpResponse,
    ) -> Explanation<'a> {
        Explanation {
            note: self,
            seen: bucket::Seen { request, response },
        }
    }
}

/// A server's explanation, written when displayed.
pub struct Explanation<'a> {
    note: &'a ServerNote,
    seen: bucket::Seen<'a>,
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let method = &self.seen.request.method;
        match self.note {
            ServerNote::Bucket(note) => storage(note.provider).narrate(note, self.seen, f),
            ServerNote::Static { hop, scripted } => {
                let source = match (scripted, self.seen.request.method == "OPTIONS") {
                    (true, true) => format!(
                        "this request's {}",
                        scripted_source(*hop, ExchangeKind::Preflight)
                    ),
                    (true, false) => {
                        format!(
                            "this request's {}",
                            scripted_source(*hop, ExchangeKind::Actual)
                        )
                    }
                    (false, true) => "the server's fixed preflight answer".to_string(),
                    (false, false) => "the server's fixed answer".to_string(),
                };
                write!(
                    f,
                    "A static server does not evaluate CORS: it answers {method} with {source}, whatever the request says."
                )
            }
            ServerNote::Recorded { by, answered } => match (answered, by) {
                (false, _) => write!(f, "The recording holds no answer to this {method}."),
                (true, Recorder::Browser) => write!(
                    f,
                    "The recording holds this answer to the {method}: it is replayed as the browser received it."
                ),
                (true, Recorder::Probe) => write!(
                    f,
                    "The live server gave this answer when the probe sent the {method} exactly as above."
                ),
            },
            ServerNote::Saved(text) => f.write_str(text),
        }
    }
}

/// A scripted answer and the hop it is scripted for, which the explanation names.
#[derive(Clone, Copy)]
pub struct Scripted<'a> {
    pub response: &'a CannedResponse,
    pub hop: usize,
}

/// Where the scenario keeps the scripted answer of `kind` at `hop` (0: the page's own request,
/// then one per redirect followed).
pub fn scripted_source(hop: usize, kind: ExchangeKind) -> Cow<'static, str> {
    match (hop, kind) {
        (0, ExchangeKind::Preflight) => Cow::Borrowed("responses.preflight"),
        (0, ExchangeKind::Actual) => Cow::Borrowed("responses.actual"),
        _ => Cow::Owned(format!(
            "responses.after_redirect[{}].{}",
            hop - 1,
            kind.name()
        )),
    }
}

/// The answer `overrides` script for an exchange of `kind`.
pub fn scripted_for(overrides: &ResponseOverrides, kind: ExchangeKind) -> Option<&CannedResponse> {
    match kind {
        ExchangeKind::Preflight => overrides.preflight.as_ref(),
        ExchangeKind::Actual => overrides.actual.as_ref(),
    }
}

pub(crate) fn canned(response: &CannedResponse) -> HttpResponse {
    HttpResponse {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
    }
}
