//! A server with fixed answers: one for every OPTIONS request, one for everything else; or,
//! for a function behind other layers, one answer for every request.

use super::{ServerAnswer, ServerNote, canned};
use crate::engine::http::HttpRequest;
use crate::scenario::{CannedResponse, ResponseOverrides};

/// `overrides` are the answers scripted for this hop (`hop` 0: the page's own request).
pub fn answer(
    preflight: Option<&CannedResponse>,
    actual: &CannedResponse,
    request: &HttpRequest,
    overrides: &ResponseOverrides,
    hop: usize,
) -> ServerAnswer {
    let (fixed, scripted) = if request.method == "OPTIONS" {
        (preflight.unwrap_or(actual), overrides.preflight.as_ref())
    } else {
        (actual, overrides.actual.as_ref())
    };
    ServerAnswer {
        response: canned(scripted.unwrap_or(fixed)),
        note: ServerNote::Static {
            hop,
            scripted: scripted.is_some(),
            behind: false,
            one_answer: preflight.is_none(),
            lambda: None,
        },
    }
}
