//! A server with fixed answers: one for every OPTIONS request, one for everything else; or,
//! for a function behind other layers, one answer for every request.

use super::{ServerAnswer, ServerNote, canned};
use crate::http::HttpRequest;
use crate::server::stack::CannedResponse;
use crate::server::stack::ResponseOverrides;
use crate::server::stack::Session;

/// What a server that reads a session cookie found on a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSeen {
    pub cookie: String,
    /// The request carried the cookie: the user is logged in.
    pub present: bool,
}

/// `overrides` are the answers scripted for this hop (`hop` 0: the page's own request).
/// With a `session`, a request other than OPTIONS without its cookie gets the logged-out
/// answer (a preflight never carries cookies; whether it is answered is another lesson).
pub fn answer(
    (preflight, actual): (Option<&CannedResponse>, &CannedResponse),
    session: Option<&Session>,
    request: &HttpRequest,
    overrides: &ResponseOverrides,
    hop: usize,
) -> ServerAnswer {
    let options = request.method == "OPTIONS";
    let (fixed, scripted) = if options {
        (preflight.unwrap_or(actual), overrides.preflight.as_ref())
    } else {
        (actual, overrides.actual.as_ref())
    };
    let seen = session
        .filter(|_| !options && scripted.is_none())
        .map(|session| SessionSeen {
            cookie: session.cookie.clone(),
            present: carries_cookie(request, &session.cookie),
        });
    let fixed = match (&seen, session) {
        (Some(SessionSeen { present: false, .. }), Some(session)) => &session.logged_out,
        _ => fixed,
    };
    ServerAnswer {
        response: canned(scripted.unwrap_or(fixed)),
        note: ServerNote::Static {
            hop,
            scripted: scripted.is_some(),
            behind: false,
            one_answer: preflight.is_none(),
            lambda: None,
            session: seen.map(Box::new),
        },
    }
}

/// Whether the request's `Cookie` header holds a cookie named `name`.
fn carries_cookie(request: &HttpRequest, name: &str) -> bool {
    request.headers.iter().any(|(header, value)| {
        header.eq_ignore_ascii_case("cookie")
            && value
                .split(';')
                .any(|pair| pair.trim().split('=').next() == Some(name))
    })
}
