//! What happened at a step, as facts: the engine records these, and [`crate::narrate`] puts
//! them in words when a view shows them. Everything a step's words need that its request's
//! record already holds (the exchange's messages, the origin, the outcome) is read from there,
//! not copied here.

use super::cors_error::CorsFailure;
use super::preflight_cache::Lookup;
use super::trace::StepText;
use crate::scenario::Header;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepEvent {
    /// The step's words as a saved trace holds them (read back, there are no facts left).
    Saved(Box<StepText>),
    /// The page's fetch (or a redirect's next hop) starts as a CORS request: simple, or in need
    /// of a preflight, which the cache may serve.
    RequestStart(Box<RequestStart>),
    /// The request stays on the page's origin: no preflight, no CORS check. `hop`: where a
    /// redirect's hop goes (`None` at the page's own request).
    SameOriginStart { hop: Option<Box<HopTarget>> },
    /// A same-origin request went out and the server answered.
    SameOriginSent,
    /// The same-origin answer reaches the page whole (a 'basic' response).
    SameOriginRead,
    /// The preflight went out and the server answered (the step's exchange). `page_origin`:
    /// Firefox sent it with the page's Origin though the request after a redirect carries
    /// `null`.
    PreflightSent { page_origin: bool },
    /// The preflight answer passed every check. `unsafe_names`: the request's CORS-unsafe
    /// header names in request order, as the checks name them.
    PreflightPassed { unsafe_names: Vec<String> },
    /// The preflight answer failed a check: the actual request is never sent.
    PreflightFailed {
        failure: Box<CorsFailure>,
        unsafe_names: Vec<String>,
    },
    /// The actual request went out and the server answered (the step's exchange).
    ActualSent { why: WhySent },
    /// The answer is a redirect the browser follows (`cors_checked`: it passed the CORS check
    /// first; a same-origin hop needs none).
    RedirectFollowed { cors_checked: bool },
    /// The answer is a redirect the browser refuses to follow.
    RedirectBlocked {
        failure: Box<CorsFailure>,
        cors_checked: bool,
    },
    /// A no-cors request's answer is a redirect, followed with no CORS check.
    NoCorsRedirectFollowed,
    /// An HTTPS page asked for an `http:` URL: blocked as mixed content before anything was
    /// sent (no preflight, no CORS check).
    MixedContentBlocked,
    /// A page on the public internet asked for a loopback or local address: refused by
    /// Chromium's Local Network Access before anything was sent.
    LocalNetworkBlocked {
        /// Where the scenario's `addresses` put the page's host and the URL's host (`None`: the
        /// name was taken as it is).
        resolved: Box<(Option<std::net::IpAddr>, Option<std::net::IpAddr>)>,
    },
    /// An HTTPS page's image at an `http:` URL (`from`) is asked for at `https:` instead.
    MixedContentUpgraded { from: Box<str> },
    /// The page calls fetch() with `mode: 'no-cors'`.
    NoCorsStart,
    /// A no-cors fetch's answer came back: the promise resolves with an opaque response.
    NoCorsResolved,
    /// A page's `<img>` without `crossorigin` asks for the URL: no-cors, no Origin.
    ImageStart,
    /// The image's answer came back: shown, opaque to scripts, no CORS check.
    ImageLoaded,
    /// A raw client (like curl) sends the request: no browser, no CORS.
    RawStart,
    /// The raw request went out and the server answered; the client reads all of it.
    RawSent,
    /// A live probe held the actual request back (`target.number` > 0: at a redirect's hop it
    /// did not reach).
    Withheld { target: Box<HopTarget> },
    /// The recording holds a network error in place of an answer to the step's exchange.
    NoAnswer { failure: Box<CorsFailure> },
    /// The answer passed the CORS check: the script reads it.
    ResponseAllowed,
    /// The answer failed the CORS check.
    ResponseBlocked { failure: Box<CorsFailure> },
}

/// Why the browser sends the actual request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhySent {
    NoPreflightNeeded,
    CachedPreflight,
    PreflightPassed,
}

/// A CORS fetch starting at a hop: what the browser decides before anything is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestStart {
    /// Where a redirect's hop goes; `None` at the page's own request, which the record holds.
    pub hop: Option<HopTarget>,
    /// The headers the script set that fetch() kept (forbidden ones dropped, repeats joined),
    /// in request order.
    pub kept: Vec<Header>,
    /// The preflight cache's answer, when a preflight is needed.
    pub lookup: Option<Lookup>,
    /// The other profile's answer, where it decides differently.
    pub other_lookup: Option<Lookup>,
    /// Seconds into the run.
    pub now: u64,
    /// The address space a public page reached because the user allowed it (Chromium's Local
    /// Network Access), when it did.
    pub allowed_local: Option<super::fetch_rules::AddressSpace>,
}

/// A redirect's hop: its number (1 for the first redirect), method, URL and the Origin sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopTarget {
    pub number: usize,
    pub method: String,
    pub url: String,
    pub origin: String,
}
