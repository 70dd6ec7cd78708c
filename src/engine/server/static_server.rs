//! A server with fixed answers: one for every OPTIONS request, one for everything else.

use super::{ServerAnswer, canned, scripted_source};
use crate::engine::ExchangeKind;
use crate::engine::http::HttpRequest;
use crate::scenario::{CannedResponse, ResponseOverrides};

/// `overrides` are the answers scripted for this hop (`hop` 0: the page's own request).
pub fn answer(
    preflight: &CannedResponse,
    actual: &CannedResponse,
    request: &HttpRequest,
    overrides: &ResponseOverrides,
    hop: usize,
) -> ServerAnswer {
    let scripted = |kind| text!("this request's ", scripted_source(hop, kind));
    let (response, source) = if request.method == "OPTIONS" {
        match &overrides.preflight {
            Some(r) => (r, scripted(ExchangeKind::Preflight)),
            None => (preflight, "the server's fixed preflight answer".to_string()),
        }
    } else {
        match &overrides.actual {
            Some(r) => (r, scripted(ExchangeKind::Actual)),
            None => (actual, "the server's fixed answer".to_string()),
        }
    };
    ServerAnswer {
        response: canned(response),
        matched_rule: None,
        explanation: text!(
            "A static server does not evaluate CORS: it answers ",
            request.method,
            " with ",
            source,
            ", whatever the request says."
        ),
    }
}
