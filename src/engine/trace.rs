//! The engine's output: an immutable list of steps, each telling what happened and the tracker
//! values it changed, plus a record per request of every HTTP message exchanged.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::scenario::recording::Recorded;
use crate::server::{Explanation, ServerNote};

use super::cors_error::CorsError;
use super::event::StepEvent;
use super::tracker::Cell;
use crate::http::{HttpRequest, HttpResponse};
use crate::scenario::{BrowserProfile, CacheMode, Credentials, Outcome, Via};

/// The variable tracker's rows, in the order they are shown. The last, the copies caches
/// hold of the current URL, is tracked only where a cache can answer (a CDN in the stack, or
/// answers the browser may keep); elsewhere a trace's values stop before it.
pub const VARIABLES: [&str; 10] = [
    "Request",
    "Origin",
    "AllowedOrigins",
    "Preflight",
    "Matched Rule",
    "Request Allowed",
    "Response Received",
    "Exposed Headers",
    "Preflight Cache",
    "Cached Copies",
];

/// Index of a variable in [`VARIABLES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    Request = 0,
    Origin,
    AllowedOrigins,
    Preflight,
    MatchedRule,
    RequestAllowed,
    ResponseReceived,
    ExposedHeaders,
    PreflightCache,
    CachedCopies,
}

/// A set of tracked variables (indices into [`VARIABLES`]), as bits: a step's "changed".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VarSet(u16);

impl VarSet {
    pub fn insert(&mut self, var: usize) {
        if var < VARIABLES.len() {
            self.0 |= 1 << var;
        }
    }

    pub fn contains(self, var: usize) -> bool {
        var < VARIABLES.len() && self.0 & (1 << var) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The variables in the order they are shown.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..VARIABLES.len()).filter(move |&var| self.contains(var))
    }
}

impl FromIterator<usize> for VarSet {
    fn from_iter<I: IntoIterator<Item = usize>>(vars: I) -> Self {
        let mut set = VarSet::default();
        for var in vars {
            set.insert(var);
        }
        set
    }
}

/// Where a step sits in the process flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The page issues the request; the browser decides whether a preflight is needed.
    Request,
    /// The browser sends OPTIONS and the server answers with its CORS headers.
    Preflight,
    /// The browser checks the preflight answer.
    PreflightCheck,
    /// The actual request goes out and the server answers.
    Actual,
    /// The browser runs the CORS check on the answer: allowed or blocked.
    ResponseCheck,
}

impl Stage {
    /// The name `--json` writes (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Request => "request",
            Stage::Preflight => "preflight",
            Stage::PreflightCheck => "preflight_check",
            Stage::Actual => "actual",
            Stage::ResponseCheck => "response_check",
        }
    }
}

/// What a step concluded, for colour and symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing decided yet (a message went out, an answer came back).
    Info,
    /// A check passed; the request goes on.
    Pass,
    Allowed,
    Blocked,
    /// A raw request was sent; nothing enforces CORS on it.
    Sent,
}

impl Verdict {
    /// The name `--json` writes (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Info => "info",
            Verdict::Pass => "pass",
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
            Verdict::Sent => "sent",
        }
    }
}

pub use crate::scenario::ExchangeKind;

/// One HTTP message and its answer. `--json` writes the server's note as its explanation
/// (`server_explanation`); a saved trace reads it back as that text.
#[derive(Clone, Debug, Eq, Deserialize)]
pub struct Exchange {
    pub kind: ExchangeKind,
    pub request: HttpRequest,
    pub response: HttpResponse,
    pub matched_rule: Option<usize>,
    /// Why the server answered as it did.
    #[serde(rename = "server_explanation", deserialize_with = "deserialize_note")]
    pub server: ServerNote,
    /// Which of the browser's cookies went with the request and why the others stayed home
    /// (`None`: the jar holds nothing for the URL). Told in the step's words, so a saved trace
    /// keeps it as text.
    #[serde(skip)]
    pub cookies: Option<Box<super::cookies::CookieDecision>>,
}

impl Exchange {
    /// Why the server answered as it did, in words.
    pub fn server_explanation(&self) -> Explanation<'_> {
        self.server.explain(&self.request, &self.response)
    }
}

/// Two exchanges are equal when their messages are and the server's explanation says the same,
/// whether it is held as facts or as the text a saved trace read back.
impl PartialEq for Exchange {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.request == other.request
            && self.response == other.response
            && self.matched_rule == other.matched_rule
            && (self.server == other.server
                || self.server_explanation().to_string() == other.server_explanation().to_string())
    }
}

impl Serialize for Exchange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut exchange = serializer.serialize_struct("Exchange", 5)?;
        exchange.serialize_field("kind", &self.kind)?;
        exchange.serialize_field("request", &self.request)?;
        exchange.serialize_field("response", &self.response)?;
        exchange.serialize_field("matched_rule", &self.matched_rule)?;
        exchange.serialize_field("server_explanation", &Narrated(self.server_explanation()))?;
        exchange.end()
    }
}

/// Writes a `Display` value as a JSON string without building it first.
struct Narrated<T>(T);

impl<T: std::fmt::Display> Serialize for Narrated<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

fn deserialize_note<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ServerNote, D::Error> {
    String::deserialize(deserializer).map(ServerNote::Saved)
}

#[derive(Clone, Debug, Eq)]
pub struct RequestRecord {
    /// 1-based.
    pub index: usize,
    pub origin: Option<String>,
    /// As sent (normalized for browser requests).
    pub method: String,
    pub url: String,
    pub via: Via,
    /// What in the page sent it: fetch(), XMLHttpRequest, or an element.
    pub initiator: crate::scenario::Initiator,
    pub credentials: Credentials,
    pub cache: CacheMode,
    pub same_origin: bool,
    /// A preflight went out on the wire.
    pub preflight: bool,
    /// A preflight was needed but served from the preflight cache.
    pub cache_hit: bool,
    pub outcome: Outcome,
    pub failed_at: Option<ExchangeKind>,
    pub cors_error: Option<CorsError>,
    /// Chromium's console message for a blocked request, as facts ([`Self::error`] writes it).
    pub console: Option<super::cors_error::ConsoleLine>,
    /// The rule that matched the last exchange (0-based).
    pub matched_rule: Option<usize>,
    /// Response headers script can read (lowercased).
    pub exposed_headers: Vec<String>,
    pub exchanges: Vec<Exchange>,
    /// Headers the page set that fetch() silently dropped (forbidden request-headers).
    pub dropped_headers: Vec<String>,
    pub expect: Option<Outcome>,
    pub note: Option<String>,
    /// Where the other browser profile would decide this request differently.
    pub profile_notes: Vec<super::profile_note::ProfileNote>,
    /// The verdict as facts; [`RequestRecord::summary_text`] puts it in one paragraph.
    pub summary: super::summary::Summary,
    /// Why a preflight was needed (empty when none was).
    pub preflight_reasons: Vec<super::fetch_rules::PreflightReason>,
    /// Range of this request's steps in [`Trace::steps`] (0-based, end exclusive).
    pub steps: std::ops::Range<usize>,
}

/// Facts compare as facts; a saved trace's summary, held in words, compares by its words.
impl PartialEq for RequestRecord {
    fn eq(&self, other: &Self) -> bool {
        // Every field named, so a new one cannot be left out of the comparison.
        let RequestRecord {
            index,
            origin,
            method,
            url,
            via,
            initiator,
            credentials,
            cache,
            same_origin,
            preflight,
            cache_hit,
            outcome,
            failed_at,
            cors_error,
            console,
            matched_rule,
            exposed_headers,
            exchanges,
            dropped_headers,
            expect,
            note,
            profile_notes,
            summary,
            preflight_reasons,
            steps,
        } = self;
        *index == other.index
            && *origin == other.origin
            && *method == other.method
            && *url == other.url
            && *via == other.via
            && *initiator == other.initiator
            && *credentials == other.credentials
            && *cache == other.cache
            && *same_origin == other.same_origin
            && *preflight == other.preflight
            && *cache_hit == other.cache_hit
            && *outcome == other.outcome
            && *failed_at == other.failed_at
            && *cors_error == other.cors_error
            && *console == other.console
            && *matched_rule == other.matched_rule
            && *exposed_headers == other.exposed_headers
            && *exchanges == other.exchanges
            && *dropped_headers == other.dropped_headers
            && *expect == other.expect
            && *note == other.note
            && *profile_notes == other.profile_notes
            && *preflight_reasons == other.preflight_reasons
            && *steps == other.steps
            && (*summary == other.summary || self.summary_text() == other.summary_text())
    }
}

impl RequestRecord {
    /// The console message for a blocked request: Chromium's, or Firefox's for a recording
    /// Firefox wrote.
    pub fn error(&self) -> Option<String> {
        self.console.as_ref().map(ToString::to_string)
    }

    /// Whether Firefox recorded this request, so the page saw Firefox's errors.
    pub fn recorded_by_firefox(&self) -> bool {
        matches!(&self.console, Some(super::cors_error::ConsoleLine::Failure(facts)) if facts.firefox.is_some())
    }

    /// A record's exchanges grouped by hop: each hop's optional preflight, then its actual request.
    pub fn hops(&self) -> Vec<Hop<'_>> {
        let mut hops: Vec<Hop> = Vec::new();
        for exchange in &self.exchanges {
            match exchange.kind {
                ExchangeKind::Preflight => hops.push(Hop {
                    preflight: Some(exchange),
                    actual: None,
                }),
                ExchangeKind::Actual => match hops.last_mut() {
                    Some(hop) if hop.actual.is_none() => hop.actual = Some(exchange),
                    _ => hops.push(Hop {
                        preflight: None,
                        actual: Some(exchange),
                    }),
                },
            }
        }
        hops
    }

    pub fn expectation_met(&self) -> bool {
        self.expect.is_none_or(|e| e == self.outcome)
    }

    /// How an element fared with its answer: a no-cors `<img>` or `<script>`, or one that
    /// passed the CORS check; `None` for any other request.
    pub fn element_outcome(&self) -> Option<super::fetch_rules::ElementOutcome> {
        match *self.summary.ending {
            super::summary::Ended::Unchecked(super::summary::UncheckedBy::Element(outcome)) => {
                Some(outcome)
            }
            super::summary::Ended::Allowed { element, .. } => element,
            _ => None,
        }
    }

    /// Why Chromium's Opaque Response Blocking withheld a no-cors answer (an element's, or a
    /// no-cors fetch()'s body); `None` when it did not.
    pub fn withheld_by_orb(&self) -> Option<super::orb::OrbBlocked> {
        use super::summary::{Ended, UncheckedBy};
        match *self.summary.ending {
            Ended::Unchecked(UncheckedBy::Element(
                super::fetch_rules::ElementOutcome::Withheld(why),
            ))
            | Ended::Unchecked(UncheckedBy::NoCorsFetch {
                withheld: Some(why),
                ..
            }) => Some(why),
            _ => None,
        }
    }

    /// The answer's Cross-Origin-Resource-Policy that refused a no-cors load (an element's or a
    /// no-cors fetch()'s); `None` when none did.
    pub fn refused_by_corp(&self) -> Option<super::corp::CorpPolicy> {
        use super::summary::{Ended, UncheckedBy};
        match *self.summary.ending {
            Ended::Unchecked(UncheckedBy::Element(
                super::fetch_rules::ElementOutcome::Refused(policy),
            ))
            | Ended::Unchecked(UncheckedBy::NoCorsFetch {
                refused: Some(policy),
                ..
            }) => Some(policy),
            _ => None,
        }
    }

    /// A live probe held the actual request back: it ended "sent" with no actual exchange.
    pub fn held_back(&self) -> bool {
        self.outcome == Outcome::Sent
            && !self
                .exchanges
                .iter()
                .any(|e| e.kind == ExchangeKind::Actual)
    }
}

/// A step in words: the execution table's cells and the explanation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepText {
    pub action: String,
    pub request_type: String,
    pub cors_headers: String,
    pub decision: String,
    pub result: String,
    pub explanation: String,
    /// How the other browser profile would decide this step, where it differs.
    pub profile_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based.
    pub n: usize,
    /// 1-based index of the request it belongs to.
    pub request: usize,
    pub stage: Stage,
    pub verdict: Verdict,
    /// What happened, as facts; [`crate::narrate`] puts it in words.
    pub event: StepEvent,
    /// Index into the request's exchanges of the HTTP exchange this step shows.
    pub exchange: Option<usize>,
    /// Which variables this step changed.
    pub changed: VarSet,
    /// The tracker values the step keeps; [`Trace::variables`] and [`Row`] give the whole row.
    pub kept: Kept,
}

/// Steps between two that keep the tracker's whole row, so that the row after any step is
/// found within this many steps back.
pub const WHOLE_ROW_EVERY: usize = 32;

/// The tracker values a step keeps: those it changed, and now and then the whole row. A
/// recording's 500,000 steps each holding the whole row took 90 MB; most steps change two or
/// three values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kept {
    vars: VarSet,
    values: Box<[Arc<Cell>]>,
}

impl Kept {
    /// The values of `vars` in `row`.
    pub fn of(row: &[Arc<Cell>], vars: VarSet) -> Self {
        let vars: VarSet = vars.iter().filter(|&var| var < row.len()).collect();
        Kept {
            vars,
            values: vars.iter().map(|var| Arc::clone(&row[var])).collect(),
        }
    }

    /// Every value of `row`.
    pub fn whole(row: &[Arc<Cell>]) -> Self {
        Kept::of(row, (0..row.len()).collect())
    }

    /// Each kept variable's index and value.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Arc<Cell>)> {
        self.vars.iter().zip(self.values.iter())
    }
}

/// The tracker's whole row as steps go by, for a view or report that reads steps in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(Vec<Arc<Cell>>);

impl Row {
    /// The row before the first step it is given.
    pub fn new(before: &[Arc<Cell>]) -> Self {
        Row(before.to_vec())
    }

    /// Moves past `step`: the row after it.
    pub fn after(&mut self, step: &Step) -> &[Arc<Cell>] {
        for (var, value) in step.kept.iter() {
            if let Some(slot) = self.0.get_mut(var) {
                slot.clone_from(value);
            }
        }
        &self.0
    }

    pub fn values(&self) -> &[Arc<Cell>] {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub title: String,
    pub description: String,
    pub profile: BrowserProfile,
    /// Values of [`VARIABLES`] before the first step.
    pub initial_variables: Vec<Arc<Cell>>,
    pub requests: Vec<RequestRecord>,
    pub steps: Vec<Step>,
}

impl Trace {
    pub fn failed_expectations(&self) -> impl Iterator<Item = &RequestRecord> {
        self.requests.iter().filter(|r| !r.expectation_met())
    }

    /// The tracker's values after step `at` (0-based): each found in the nearest step back that
    /// keeps it, at most [`WHOLE_ROW_EVERY`] steps back for a trace the engine made.
    pub fn variables(&self, at: usize) -> Vec<Arc<Cell>> {
        let mut row: Vec<Option<&Arc<Cell>>> = vec![None; self.initial_variables.len()];
        let mut missing = row.len();
        for step in self.steps[..(at + 1).min(self.steps.len())].iter().rev() {
            for (var, value) in step.kept.iter() {
                if let Some(slot @ None) = row.get_mut(var) {
                    *slot = Some(value);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        row.iter()
            .zip(&self.initial_variables)
            .map(|(found, initial)| Arc::clone(found.unwrap_or(initial)))
            .collect()
    }

    /// The request a step belongs to.
    pub fn request_of(&self, step: &Step) -> &RequestRecord {
        &self.requests[step.request - 1]
    }

    /// The hop step `at` belongs to (0, then one more per redirect followed): how many actual
    /// requests went out before the step's own exchange. A step without one comes before its
    /// hop's messages, so it counts what the request's earlier steps sent.
    pub fn hop_at(&self, at: usize) -> usize {
        let Some(step) = self.steps.get(at) else {
            return 0;
        };
        let request = self.request_of(step);
        let sent = step.exchange.unwrap_or_else(|| {
            let earlier = self.steps.get(request.steps.start..at).unwrap_or_default();
            earlier
                .iter()
                .filter_map(|s| s.exchange)
                .max()
                .map_or(0, |e| e + 1)
        });
        hops_before(request.exchanges.get(..sent).unwrap_or(&request.exchanges))
    }
}

/// The hop the next exchange belongs to, after `exchanges`: every actual request ends a hop.
pub fn hops_before(exchanges: &[Exchange]) -> usize {
    exchanges
        .iter()
        .filter(|e| e.kind == ExchangeKind::Actual)
        .count()
}

impl RequestRecord {
    /// Whether this replay of a request agrees with what the browser recorded: the same outcome
    /// and, for a request blocked on both sides, the same failure point (the same exchange of
    /// the same hop) and, for a recorded network error, that error. `None` when the recording
    /// does not say whether the browser blocked it.
    pub fn agrees_with(&self, recorded: &Recorded) -> Option<bool> {
        let blocked = recorded.blocked?;
        let replay_blocked = self.outcome == crate::scenario::Outcome::Blocked;
        if blocked != replay_blocked {
            return Some(false);
        }
        if !blocked {
            return Some(true);
        }
        let place_agrees = match (recorded.failed_at, &recorded.failed_url) {
            (Some(kind), Some(url)) => {
                let last = self.exchanges.last();
                self.failed_at == Some(kind) && last.is_some_and(|e| e.request.url == *url)
            }
            _ => true,
        };
        let network_agrees = match recorded.error.as_deref() {
            Some(code)
                if recorded.status == 0
                    && code.starts_with("net::")
                    && code != "net::ERR_FAILED" =>
            {
                self.cors_error.map(|e| e.name()) == Some(code)
                    || self.error().is_some_and(|line| line.ends_with(code))
            }
            _ => true,
        };
        Some(place_agrees && network_agrees)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(words: &str) -> Arc<Cell> {
        Arc::new(Cell::Words(words.into()))
    }

    fn step(n: usize, kept: Kept) -> Step {
        Step {
            n,
            request: 1,
            stage: Stage::Request,
            verdict: Verdict::Info,
            event: StepEvent::Saved(Box::default()),
            exchange: None,
            changed: VarSet::default(),
            kept,
        }
    }

    #[test]
    fn the_row_after_a_step_is_its_own_values_over_the_nearest_ones_before() {
        let (a, b, c) = (cell("a"), cell("b"), cell("c"));
        let initial = vec![a.clone(), a.clone(), a.clone()];
        let changed =
            |row: &[Arc<Cell>], vars: &[usize]| Kept::of(row, vars.iter().copied().collect());
        let steps = vec![
            step(1, changed(&[b.clone(), a.clone(), a.clone()], &[0])),
            step(2, changed(&[b.clone(), c.clone(), a.clone()], &[1])),
            // A value past the trace's row (a row it does not track) is never read.
            step(
                3,
                changed(&[b.clone(), c.clone(), b.clone(), c.clone()], &[2, 3]),
            ),
            step(4, Kept::default()),
        ];
        let trace = Trace {
            title: String::new(),
            description: String::new(),
            profile: BrowserProfile::Chromium,
            initial_variables: initial.clone(),
            requests: Vec::new(),
            steps,
        };
        let expected = [
            vec![b.clone(), a.clone(), a.clone()],
            vec![b.clone(), c.clone(), a.clone()],
            vec![b.clone(), c.clone(), b.clone()],
            vec![b.clone(), c.clone(), b.clone()],
        ];
        let mut row = Row::new(&initial);
        for (at, expected) in expected.iter().enumerate() {
            assert_eq!(
                &trace.variables(at),
                expected,
                "looking back from step {}",
                at + 1
            );
            assert_eq!(
                row.after(&trace.steps[at]),
                expected.as_slice(),
                "going forward"
            );
        }
        assert_eq!(trace.steps[2].kept.iter().count(), 2);
        assert_eq!(
            Kept::of(&initial, [0, 5].into_iter().collect())
                .iter()
                .count(),
            1,
            "only variables within the row are kept"
        );
        assert_eq!(
            Kept::whole(&expected[0])
                .iter()
                .map(|(var, _)| var)
                .collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn the_engine_keeps_the_whole_row_every_few_steps_and_otherwise_what_changed() {
        let Ok(scenario) = crate::scenario::load_str(crate::scenario::BUILTIN_BASIC, "basic.json")
        else {
            panic!("the built-in lesson loads")
        };
        let trace = crate::engine::run(&scenario, BrowserProfile::Chromium);
        assert!(trace.steps.len() > WHOLE_ROW_EVERY / 4);
        for step in &trace.steps {
            let kept: Vec<usize> = step.kept.iter().map(|(var, _)| var).collect();
            if step.n % WHOLE_ROW_EVERY == 1 {
                assert_eq!(kept.len(), trace.initial_variables.len(), "step {}", step.n);
            } else {
                assert_eq!(
                    kept,
                    step.changed.iter().collect::<Vec<_>>(),
                    "step {}",
                    step.n
                );
            }
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        use Stage::*;
        for stage in [Request, Preflight, PreflightCheck, Actual, ResponseCheck] {
            assert_eq!(serde_json::to_value(stage).ok(), Some(stage.name().into()));
        }
        use Verdict::*;
        for verdict in [Info, Pass, Allowed, Blocked, Sent] {
            assert_eq!(
                serde_json::to_value(verdict).ok(),
                Some(verdict.name().into())
            );
        }
        for kind in [ExchangeKind::Preflight, ExchangeKind::Actual] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.name().into()));
        }
    }
}

/// One hop of a request: its preflight and actual exchanges, as far as they went.
#[derive(Default)]
pub struct Hop<'a> {
    pub preflight: Option<&'a Exchange>,
    pub actual: Option<&'a Exchange>,
}

impl Hop<'_> {
    /// The browser followed (or refused to follow) a redirect from this hop.
    pub fn redirects(&self) -> bool {
        self.actual
            .is_some_and(|a| a.response.redirect_location().is_some())
    }

    /// What this hop asked of the server: (method, unsafe header names).
    pub fn asked(&self) -> (String, Vec<String>) {
        let requested = |name| self.preflight.and_then(|p| p.request.header(name));
        let method = match (self.actual, requested("Access-Control-Request-Method")) {
            (Some(actual), _) => actual.request.method.to_string(),
            (None, Some(method)) => method,
            (None, None) => "GET".to_string(),
        };
        let headers = requested("Access-Control-Request-Headers")
            .map(|v| v.split(',').map(|h| h.trim().to_string()).collect())
            .unwrap_or_default();
        (method, headers)
    }
}
