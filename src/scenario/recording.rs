//! What a browser recording tells beyond the requests it holds: per request, what the browser
//! recorded (status, error, where it stopped, how the importer rebuilt it), and the entries that
//! were not CORS exchanges. Made by the HAR importer, kept in saved traces, read by the reports
//! and the view.

use serde::{Deserialize, Serialize};

use super::ExchangeKind;

/// What the browser recorded for one exchange, to compare with the replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Status of the recorded actual request (0: no response).
    pub status: i64,
    /// Chrome's `_error` (e.g. `net::ERR_FAILED`).
    pub error: Option<String>,
    /// Whether the browser kept the response from the page: Chrome, Edge and Safari record it
    /// (`_error`, status 0); Firefox does not, so `None` unless nothing arrived.
    pub blocked: Option<bool>,
    /// Where the browser stopped, as far as the recording shows: at the preflight of a request
    /// it never sent, or at an answer (or network error) of the request; `None` when it does
    /// not show.
    #[serde(default)]
    pub failed_at: Option<ExchangeKind>,
    /// The URL of the request that failed there (a later hop's, after a redirect).
    #[serde(default)]
    pub failed_url: Option<String>,
    /// How the importer rebuilt the request (credentials, headers, missing preflight…). Most
    /// repeat from one request to the next, so each is held once.
    pub notes: Vec<crate::http::Shared>,
}

/// What a recording tells beyond the requests themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// One per request of the scenario, in the same order.
    pub recorded: Vec<Recorded>,
    /// Entries in the file.
    pub entries: usize,
    /// Entries that are not cross-origin CORS requests (same-origin, no-cors, navigations…).
    pub skipped: Vec<Skipped>,
}

/// A recorded entry that is not a cross-origin CORS exchange, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub method: String,
    pub url: String,
    pub reason: String,
    /// A no-cors load whose answer ORB withheld or its CORP refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Box<WithheldLoad>>,
}

/// A no-cors load (an `<img>` or `<script>` without `crossorigin`, a `fetch()` with
/// `mode: 'no-cors'`) whose answer Chromium withheld (Opaque Response Blocking) or its own
/// `Cross-Origin-Resource-Policy` refused, as DevTools recorded it: not CORS, but what the page's
/// console shows in its place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldLoad {
    /// DevTools' network error: `net::ERR_BLOCKED_BY_ORB` for an element; `net::ERR_ABORTED`
    /// for a no-cors fetch() that got an answer, which ORB most likely withheld (`inferred`).
    pub error: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// DevTools' resource type: `image`, `script`, `fetch`…
    pub resource_type: Option<String>,
    pub inferred: bool,
    /// The answer's `Cross-Origin-Resource-Policy`, for a load it refused
    /// (`net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin` or `.NotSameSite`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

impl WithheldLoad {
    /// Refused by the answer's own `Cross-Origin-Resource-Policy`, not by ORB.
    pub fn by_resource_policy(&self) -> bool {
        crate::engine::corp::CorpPolicy::of_network_error(&self.error).is_some()
            || self.error == crate::engine::corp::FIREFOX_CORP_FAILED
    }
}
