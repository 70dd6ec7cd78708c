//! What happened at a step, as facts: the engine records these, and [`crate::narrate`] puts
//! them in words when a view shows them. Everything a step's words need that its request's
//! record already holds (the exchange's messages, the origin, the outcome) is read from there,
//! not copied here.

use super::cors_error::CorsFailure;
use super::trace::StepText;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepEvent {
    /// Words written when the step was made (steps not yet told as facts), or read back from a
    /// saved trace.
    Text(Box<StepText>),
    /// The preflight went out and the server answered (the step's exchange).
    PreflightSent,
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
