//! Answers replayed from a recording: a browser's HAR or a probe of a live server.

use super::{ServerAnswer, ServerNote, canned, scripted_for};
use crate::http::ExchangeKind;
use crate::http::HttpResponse;
use crate::server::stack::Recorder;
use crate::server::stack::ResponseOverrides;

/// The recorded answer; a request with nothing recorded (never sent) gets no response at all,
/// shown as status 0 as browsers record it.
pub fn answer(kind: ExchangeKind, overrides: &ResponseOverrides, by: Recorder) -> ServerAnswer {
    let recorded = scripted_for(overrides, kind);
    ServerAnswer {
        response: recorded.map_or_else(
            || HttpResponse {
                status: 0,
                headers: crate::http::Headers::new(),
                body: String::new(),
            },
            canned,
        ),
        note: ServerNote::Recorded {
            by,
            answered: recorded.is_some(),
        },
    }
}
