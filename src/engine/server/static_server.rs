//! A server with fixed answers: one for every OPTIONS request, one for everything else.

use super::{ServerAnswer, canned};
use crate::engine::http::HttpRequest;
use crate::scenario::{CannedResponse, ResponseOverrides};

pub fn answer(
    preflight: &CannedResponse,
    actual: &CannedResponse,
    request: &HttpRequest,
    overrides: &ResponseOverrides,
) -> ServerAnswer {
    let (response, source) = if request.method == "OPTIONS" {
        match &overrides.preflight {
            Some(r) => (r, "this request's responses.preflight"),
            None => (preflight, "the server's fixed preflight answer"),
        }
    } else {
        match &overrides.actual {
            Some(r) => (r, "this request's responses.actual"),
            None => (actual, "the server's fixed answer"),
        }
    };
    ServerAnswer {
        response: canned(response),
        matched_rule: None,
        explanation: format!(
            "A static server does not evaluate CORS: it answers {} with {source}, whatever the request says.",
            request.method
        ),
    }
}
