//! The server side: how each kind of server answers a request. Pure functions of the server's
//! configuration and the request.

mod azure;
mod gcs;
mod rules;
pub mod s3;
mod static_server;

use super::ExchangeKind;
use super::http::{HttpRequest, HttpResponse};
use std::borrow::Cow;

use crate::scenario::{CannedResponse, Provider, Recorder, ResponseOverrides, Server, ServerKind};

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

/// A server's answer and the reasoning behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAnswer {
    pub response: HttpResponse,
    /// For rule-based servers: the 0-based index of the CORS rule that matched.
    pub matched_rule: Option<usize>,
    /// Why the server answered this way, citing the behaviour it follows.
    pub explanation: String,
}

/// A scripted answer and where the scenario keeps it, which the explanation names.
#[derive(Clone, Copy)]
pub struct Scripted<'a> {
    pub response: &'a CannedResponse,
    pub source: &'a str,
}

/// Where the scenario keeps the scripted answer of `kind` at `hop` (0: the page's own request,
/// then one per redirect followed).
pub fn scripted_source(hop: usize, kind: ExchangeKind) -> Cow<'static, str> {
    match (hop, kind) {
        (0, ExchangeKind::Preflight) => Cow::Borrowed("responses.preflight"),
        (0, ExchangeKind::Actual) => Cow::Borrowed("responses.actual"),
        _ => Cow::Owned(text!(
            "responses.after_redirect[",
            hop - 1,
            "].",
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

/// Answers `request`. A server sees only the request, so only a recording, which holds one
/// answer per role, looks at `kind`. `overrides` are the answers scripted for `hop`.
/// `sequence` numbers the exchange so generated ids are stable.
pub fn answer(
    server: &Server,
    kind: ExchangeKind,
    request: &HttpRequest,
    (overrides, hop): (&ResponseOverrides, usize),
    sequence: usize,
) -> ServerAnswer {
    match &server.kind {
        ServerKind::Bucket { provider, cors } => {
            let cors = cors.as_ref();
            let source = scripted_source(hop, ExchangeKind::Actual);
            let actual = overrides.actual.as_ref().map(|response| Scripted {
                response,
                source: &source,
            });
            match provider {
                Provider::S3 => s3::answer(cors, request, actual, sequence),
                Provider::Gcs => gcs::answer(cors, request, actual, sequence),
                Provider::Azure => azure::answer(cors, request, actual, sequence),
            }
        }
        ServerKind::Recorded { by } => recorded_answer(kind, request, overrides, *by),
        ServerKind::Static { preflight, actual } => {
            static_server::answer(preflight, actual, request, overrides, hop)
        }
    }
}

pub(crate) fn canned(response: &CannedResponse) -> HttpResponse {
    HttpResponse {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
    }
}

/// The recorded answer; a request with nothing recorded (never sent) gets no response at all,
/// shown as status 0 as browsers record it.
fn recorded_answer(
    kind: ExchangeKind,
    request: &HttpRequest,
    overrides: &ResponseOverrides,
    by: Recorder,
) -> ServerAnswer {
    match scripted_for(overrides, kind) {
        Some(response) => ServerAnswer {
            response: canned(response),
            matched_rule: None,
            explanation: match by {
                Recorder::Browser => text!(
                    "The recording holds this answer to the ",
                    request.method,
                    ": it is replayed as the browser received it."
                ),
                Recorder::Probe => text!(
                    "The live server gave this answer when the probe sent the ",
                    request.method,
                    " exactly as above."
                ),
            },
        },
        None => ServerAnswer {
            response: HttpResponse {
                status: 0,
                headers: Vec::new(),
                body: String::new(),
            },
            matched_rule: None,
            explanation: text!(
                "The recording holds no answer to this ",
                request.method,
                "."
            ),
        },
    }
}
