//! The variable tracker's values as facts. The engine sets them; `narrate::tracker` puts them
//! in words when a view shows them.

use std::sync::Arc;

use super::cors_error::CorsError;

/// One tracked variable's value after a step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// Not reached yet in this request.
    Unset,
    /// Words as they were given: a saved trace's, or a server layer's own account of its
    /// rules and the rule that answered.
    Words(Arc<str>),
    /// Request: the request being run, numbered from 1.
    Request {
        number: usize,
        method: Arc<str>,
        /// Path and query.
        path: Arc<str>,
        /// The redirect this hop follows (1 for the first), for a hop after the first.
        after_redirect: Option<usize>,
    },
    Origin(OriginSent),
    Preflight(PreflightState),
    /// Matched Rule, when the browser's HTTP cache answered instead of the server.
    BrowserCache {
        stored_at: u64,
    },
    RequestAllowed(Allowed),
    ResponseReceived(Received),
    ExposedHeaders(Exposed),
    /// Preflight Cache: the live entries for the request's origin and URL, and how many other
    /// origin and URL pairs hold entries.
    PreflightCache {
        live: Vec<String>,
        others: usize,
    },
    /// Cached Copies: what the request's edge and the browser hold for its URL.
    CachedCopies(Vec<CachedCopy>),
    /// Cached Copies before the first request.
    NothingCached,
}

/// The Origin header the request carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OriginSent {
    /// The page's origin.
    Page(Arc<str>),
    /// The scenario names no page (a raw client).
    NoPage,
    /// An element's no-cors request sends none.
    NoCors,
    /// A no-cors fetch() sends none with a GET (or HEAD).
    NoCorsGet,
    /// A cross-origin redirect made the request's origin opaque.
    Tainted,
}

/// Where the request stands with its preflight.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PreflightState {
    /// A raw client sends no preflight.
    NoBrowser,
    /// A no-cors request sends no preflight.
    NoCors,
    NotNeeded,
    /// Not needed: a same-origin request.
    SameOrigin,
    /// Needed, and the preflight cache answers for it.
    CacheHit,
    Needed,
    /// Sent, and answered with `status`.
    Sent {
        status: u16,
    },
    /// Sent, and no answer came: the network error's code.
    NoAnswer(Arc<str>),
    /// Passed, its answer cached for `max_age` seconds.
    Passed {
        status: u16,
        max_age: u64,
    },
    Failed(CorsError),
}

/// Whether the browser lets the script have the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Allowed {
    Pending,
    Yes,
    No,
    /// A probe held the request back.
    NotSentByProbe,
    /// A raw client has no CORS check.
    NoBrowser,
    /// A no-cors request has no CORS check.
    NoCorsCheck,
}

/// What came back, as the script sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Received {
    No,
    Yes {
        status: u16,
    },
    /// A raw client reads all of it.
    FullyReadable {
        status: u16,
    },
    /// A no-cors fetch() resolves with an opaque response.
    Opaque {
        status: u16,
    },
    /// A no-cors `<script>` runs, unreadable to the page.
    ScriptRun {
        status: u16,
    },
    /// A no-cors `<img>` (or font) shows, unreadable to scripts.
    Shown {
        status: u16,
    },
    /// An element's answer with a status it does not load (`fetch_rules::element_loads`).
    NotLoaded {
        status: u16,
    },
    /// A no-cors element's 2xx answer of the wrong kind: no image, or a type no script runs as.
    WrongType {
        status: u16,
    },
    /// A no-cors element's answer Chromium's Opaque Response Blocking withheld.
    WithheldByOrb {
        status: u16,
    },
    /// A no-cors answer its own `Cross-Origin-Resource-Policy` refused to the page.
    RefusedByCorp {
        status: u16,
    },
    /// Received, but the CORS check hides it from the script.
    Hidden {
        status: u16,
    },
    Redirect {
        status: u16,
    },
    /// Sent, and no answer came.
    NoAnswer,
    /// Never sent (its preflight failed).
    NeverSent,
}

/// The response headers the script can read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exposed {
    /// A raw client reads them all.
    AllNoBrowser,
    /// An opaque response exposes none.
    NoneOpaque,
    /// A same-origin response exposes all but Set-Cookie.
    AllButSetCookie,
    /// These, after the CORS check (none when empty).
    Listed(Vec<String>),
}

/// A copy of the current URL's answer a cache holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CachedCopy {
    pub holder: CacheHolder,
    /// When it was stored, in seconds into the run.
    pub at: u64,
    /// The Origin of the request it answered.
    pub origin: Option<String>,
    /// Its Access-Control-Allow-Origin.
    pub acao: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheHolder {
    /// A CloudFront edge; `options` for a cached preflight answer.
    Edge {
        options: bool,
    },
    Browser,
}
