//! The pure engine: a validated [`Scenario`] in, an immutable [`Trace`] out. No terminal, no
//! I/O, no clock: the same scenario always gives the same trace.
mod browser;
pub(crate) mod cookies;
pub mod corp;
pub(crate) mod cors_error;
pub(crate) mod driver;
pub mod event;
pub mod fetch_rules;
pub(crate) mod http_cache;
pub mod orb;
pub(crate) mod preflight_cache;
pub(crate) mod preflight_check;
pub(crate) mod profile_note;
pub mod summary;
pub mod trace;
pub mod tracker;

pub use browser::Requests;
pub use cors_error::{CorsError, CorsFailure};
pub use event::StepEvent;
pub use trace::{
    Exchange, ExchangeKind, Hop, Kept, RequestRecord, Row, Stage, Step, StepText, Trace, VARIABLES,
    VarSet, Verdict, hops_before,
};

use crate::scenario::{BrowserProfile, Scenario};

/// The profile a run uses: an explicit choice (the command line) wins over the scenario's own
/// `browser` key, which wins over the default (Chromium).
pub fn effective_profile(scenario: &Scenario, requested: Option<BrowserProfile>) -> BrowserProfile {
    requested.or(scenario.browser).unwrap_or_default()
}

/// Runs every request of `scenario` through the browser's CORS algorithm under `profile`.
pub fn run(scenario: &Scenario, profile: BrowserProfile) -> Trace {
    browser::simulate(scenario, profile, |_| {})
}

/// [`run`], calling `progress` with the number of requests done after each one (for a
/// progress bar while a large recording replays).
pub fn run_with_progress(
    scenario: &Scenario,
    profile: BrowserProfile,
    progress: impl FnMut(usize),
) -> Trace {
    browser::simulate(scenario, profile, progress)
}
