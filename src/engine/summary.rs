//! A request's verdict as facts: what ended it and why. `narrate::summary` puts it in the
//! paragraph the reports and the view show.

use super::cors_error::CorsFailure;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub ending: Box<Ended>,
    /// Where a redirected request ended, when it ended past its first hop.
    pub at_hop: Option<Box<HopEnd>>,
}

/// What ended the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Words as a saved trace holds them.
    Words(String),
    /// The response passed the CORS check.
    Allowed {
        route: Route,
        by: AllowedBy,
        /// For an element: whether it loads the answer, CORS aside.
        element: Option<super::fetch_rules::ElementOutcome>,
    },
    /// Same-origin: CORS does not apply.
    SameOrigin,
    /// Sent without a CORS check: by a raw client, a no-cors fetch() or an element.
    Unchecked(UncheckedBy),
    /// A probe held the request back at hop `hop` (0: the page's own request).
    Withheld {
        hop: usize,
        url: String,
        method: String,
        preflighted: bool,
    },
    BlockedAtActual(CorsFailure),
    BlockedAtRedirect(CorsFailure),
    /// The preflight failed, so `method` was never sent.
    BlockedAtPreflight {
        failure: CorsFailure,
        method: String,
    },
    /// No answer came: a network error.
    NoAnswer(CorsFailure),
    /// Blocked before anything was sent: mixed content.
    NotSent(CorsFailure),
}

/// How an allowed request got past the preflight step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// A simple request: no preflight.
    Simple,
    /// The preflight cache answered.
    CachedPreflight,
    /// A preflight was needed (the record's reasons say why) and passed.
    PreflightPassed,
}

/// What in the response let the script read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedBy {
    /// `Access-Control-Allow-Origin: *`, without credentials.
    AnyOrigin,
    /// The origin named (and, with credentials, `Access-Control-Allow-Credentials: true`).
    Origin { origin: String, credentials: bool },
}

/// Who sent a request no CORS check applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UncheckedBy {
    Raw,
    /// `withheld`: why Chromium's Opaque Response Blocking emptied the opaque response;
    /// `refused`: the answer's `Cross-Origin-Resource-Policy` made the fetch reject.
    NoCorsFetch {
        withheld: Option<super::orb::OrbBlocked>,
        refused: Option<super::corp::CorpPolicy>,
    },
    /// An `<img>` or `<script>` without `crossorigin`, and how it fared with the answer.
    Element(super::fetch_rules::ElementOutcome),
}

/// Where a redirected request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopEnd {
    pub url: String,
    /// Redirects followed.
    pub redirects: usize,
    /// The browser sent `Origin: null` there (a cross-origin redirect tainted the request).
    pub origin_null: bool,
}

impl Summary {
    pub fn new(ending: Ended) -> Self {
        Summary {
            ending: Box::new(ending),
            at_hop: None,
        }
    }

    /// A saved trace's words.
    pub fn words(text: impl Into<String>) -> Self {
        Summary::new(Ended::Words(text.into()))
    }
}
