//! The fix for a blocked request: the smallest change to the bucket's rules that lets it
//! through, proven by re-running the scenario — or, for a server without rules, the headers it
//! must send. Pure: scenario and trace in, a checked suggestion out.

use crate::scenario::Header;
use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

use crate::engine::fetch_rules::{is_safelisted_method, sorted_names, unsafe_request_headers};
use crate::engine::{self, CorsError, Hop, RequestRecord, Trace};
use crate::http::syntax::normalize_method;
use crate::scenario::{
    CacheMode, CannedResponse, CorsConfiguration, CorsRule, Credentials, Field, Outcome, Provider,
    RequestSpec, Scenario, ServerKind, Via,
};
use crate::server::aws_answers::{self, AnswerSource};
use crate::server::{ServerNote, header_entry_matches, origin_entry_matches};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What to change, in a sentence.
    pub summary: String,
    /// The rules before (`-`) and after (`+`), one line per rule that changed.
    pub diff: Vec<String>,
    /// What a server without rules must send instead (header lines).
    pub headers: Vec<String>,
    /// Caveats: what else the change allows.
    pub caveats: Vec<String>,
    /// The re-run: the request is allowed with the change.
    pub proven: bool,
    /// Other requests whose outcome the change flips: (index, before, after).
    pub side_effects: Vec<(usize, Outcome, Outcome)>,
    /// For a server without rules: what its answers must say, for writing the fix as a
    /// server's own configuration (nginx, Express, tower-http). Not in `--json`: `headers`
    /// says the same.
    #[serde(skip)]
    pub policy: Option<HeaderPolicy>,
    /// For a bucket: its whole configuration with the change made, to be written in the
    /// spelling the user gave.
    #[serde(skip)]
    pub rules: Option<Vec<CorsRule>>,
}

/// The CORS answer a server without rules must give one kind of request: the headers of
/// [`Fix::headers`] as facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderPolicy {
    pub origin: String,
    pub credentials: bool,
    /// The method, when it needs `Access-Control-Allow-Methods` (not GET, HEAD or POST).
    pub method: Option<String>,
    /// The method the page sends, whatever it needs.
    pub page_method: String,
    /// Request headers the preflight asks for, lowercased.
    pub headers: Vec<String>,
    /// A preflight comes first and its answer must change: OPTIONS must be answered with a 2xx
    /// and these headers. False where the recorded preflight passed.
    pub preflight: bool,
    /// Who made the answer that failed, where AWS's headers say: the servers to write the fix
    /// for follow from it.
    pub source: Option<AnswerSource>,
    /// What the failing answer already said in Access-Control-Allow-Origin.
    pub sent: SentOrigin,
}

/// The Access-Control-Allow-Origin of the answer a header fix mends: a configuration that
/// adds the header is right only where there was none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentOrigin {
    /// None, or one the browser took: the fix adds it.
    Missing,
    /// One value, for another origin: the fix replaces it.
    Other(String),
    /// Sent more than once (the values as the browser joined them): one of the places that
    /// adds it must stop; adding it once more would not help.
    MoreThanOnce(String),
}

/// Rules compared by content, not number (an inserted rule shifts the numbers after it).
fn diff(provider: Provider, before: &[CorsRule], after: &[CorsRule]) -> Vec<String> {
    let old: Vec<String> = before.iter().map(|r| r.summary(provider)).collect();
    let new: Vec<String> = after.iter().map(|r| r.summary(provider)).collect();
    let mut lines = Vec::new();
    for (i, content) in old.iter().enumerate() {
        if !new.contains(content) {
            lines.push(format!("- rule {}: {content}", before[i].label(i)));
        }
    }
    for (i, content) in new.iter().enumerate() {
        if !old.contains(content) {
            lines.push(format!("+ rule {}: {content}", after[i].label(i)));
        }
    }
    lines
}

/// What the request needs from a rule: (origin, method, unsafe header names).
fn needs(scenario: &Scenario, record: &RequestRecord) -> (String, String, Vec<String>) {
    let spec = &scenario.requests[record.index - 1];
    let method = normalize_method(&spec.method);
    let headers = sorted_names(&unsafe_request_headers(&spec.headers));
    (
        record.origin.clone().unwrap_or_else(|| "null".to_string()),
        method,
        headers,
    )
}

/// What a request asks of the server's CORS answer: its origin, method and unsafe header
/// names, and whether it sends credentials. A fix grants exactly this, so requests that ask
/// the same are mended by the same change, and the others are not (another origin's
/// Access-Control-Allow-Origin is not theirs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Asks {
    needs: (String, String, Vec<String>),
    credentials: bool,
}

impl Asks {
    pub fn origin(&self) -> &str {
        &self.needs.0
    }

    pub fn method(&self) -> &str {
        &self.needs.1
    }

    /// The request headers that are not safelisted, lowercased and sorted.
    pub fn headers(&self) -> &[String] {
        &self.needs.2
    }

    pub fn credentials(&self) -> bool {
        self.credentials
    }

    pub fn of(scenario: &Scenario, record: &RequestRecord) -> Option<Asks> {
        let spec = scenario.requests.get(record.index.checked_sub(1)?)?;
        Some(Asks {
            needs: needs(scenario, record),
            credentials: spec.credentials == Credentials::Include,
        })
    }
}

/// The run a change is proven against: its profile and each request's verdict.
pub trait Verdicts {
    fn profile(&self) -> crate::scenario::BrowserProfile;
    /// The verdict of request `index` (1-based).
    fn outcome(&self, index: usize) -> Option<Outcome>;
    /// Each request's verdict when `changed`, a change to the scenario of this run, runs.
    fn rerun(&self, _original: &Scenario, changed: &Scenario) -> Rc<[Outcome]> {
        verdicts_of(changed, self.profile())
    }
}

/// Each request's verdict when `scenario` runs under `profile`. Streamed: only the verdicts are
/// kept, so proving costs time, not memory.
fn verdicts_of(scenario: &Scenario, profile: crate::scenario::BrowserProfile) -> Rc<[Outcome]> {
    verdicts_until(scenario, profile, || false)
}

/// [`verdicts_of`], stopping early (with the verdicts so far) once `stop` says so.
fn verdicts_until(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
    stop: impl Fn() -> bool,
) -> Rc<[Outcome]> {
    engine::Requests::for_verdicts(scenario, profile)
        .take_while(|_| !stop())
        .map(|(record, _steps)| record.outcome)
        .collect()
}

/// Request `index` (1-based) as it ends when `scenario` runs under `profile`: the run stops
/// there, and keeps no other request.
fn record_of(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
    index: usize,
) -> Option<RequestRecord> {
    engine::Requests::new(scenario, profile)
        .nth(index.checked_sub(1)?)
        .map(|(record, _steps)| record)
}

impl Verdicts for Trace {
    fn profile(&self) -> crate::scenario::BrowserProfile {
        self.profile
    }

    fn outcome(&self, index: usize) -> Option<Outcome> {
        self.requests.get(index.checked_sub(1)?).map(|r| r.outcome)
    }
}

/// A run's verdicts alone, for a run too large to keep whole (a streamed report, a recording's
/// `--fix-out`). It remembers each re-run of a change to the server alone by the server it ran
/// against: requests that need the same change are proven by one re-run.
#[derive(Debug)]
pub struct Baseline {
    profile: crate::scenario::BrowserProfile,
    outcomes: Outcomes,
    reruns: RefCell<foldhash::HashMap<String, Rc<[Outcome]>>>,
}

#[derive(Debug)]
enum Outcomes {
    Known(Vec<Outcome>),
    /// Still being made by a run on another thread.
    Coming(std::sync::Arc<VerdictsComing>),
}

/// A run's verdicts as its engine makes them, for proving fixes while the run is still being
/// written out: a reader waits for a verdict not made yet, until the run has ended.
#[derive(Debug, Default)]
pub struct VerdictsComing {
    /// The verdicts so far, and whether the run has ended (or given up).
    made: std::sync::Mutex<(Vec<Outcome>, bool)>,
    more: std::sync::Condvar,
    given_up: std::sync::atomic::AtomicBool,
}

impl VerdictsComing {
    pub fn push(&self, outcome: Outcome) {
        if let Ok(mut made) = self.made.lock() {
            made.0.push(outcome);
        }
        self.more.notify_all();
    }

    /// No more verdicts come: readers of later ones get none.
    pub fn end(&self) {
        if let Ok(mut made) = self.made.lock() {
            made.1 = true;
        }
        self.more.notify_all();
    }

    /// The run stopped before its end (its output was closed): what is proven against it will
    /// not be shown, so proofs stop as soon as they can.
    pub fn give_up(&self) {
        self.given_up
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.end();
    }

    fn given_up(&self) -> bool {
        self.given_up.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Verdict `index` (1-based), waiting for it.
    fn get(&self, index: usize) -> Option<Outcome> {
        let mut made = self.made.lock().ok()?;
        while made.0.len() < index && !made.1 {
            made = self.more.wait(made).ok()?;
        }
        made.0.get(index.checked_sub(1)?).copied()
    }

    /// Every verdict made, once the run has ended.
    pub fn all(&self) -> Vec<Outcome> {
        self.made
            .lock()
            .map(|made| made.0.clone())
            .unwrap_or_default()
    }
}

/// Fixes proven while a run too large to keep whole goes on: the run hands each verdict over as
/// it is made, and each blocked request asked for is proven on a thread of its own against
/// those verdicts ([`fix_against`]; a proof waits for the verdicts it compares). A report that
/// writes as it runs leaves a core free, and the proofs take it. Dropped before
/// [`ProvingAsItRuns::finish`] (the run stopped), it gives the proofs up, so none waits for a
/// verdict that will not come or re-runs for a report that will not be written.
pub struct ProvingAsItRuns<'scope, 'env> {
    threads: &'scope std::thread::Scope<'scope, 'env>,
    scenario: &'env Scenario,
    profile: crate::scenario::BrowserProfile,
    coming: std::sync::Arc<VerdictsComing>,
    provers: Vec<std::thread::ScopedJoinHandle<'scope, (usize, Option<Fix>)>>,
}

impl<'scope, 'env> ProvingAsItRuns<'scope, 'env> {
    pub fn new(
        threads: &'scope std::thread::Scope<'scope, 'env>,
        scenario: &'env Scenario,
        profile: crate::scenario::BrowserProfile,
    ) -> Self {
        ProvingAsItRuns {
            threads,
            scenario,
            profile,
            coming: std::sync::Arc::default(),
            provers: Vec::new(),
        }
    }

    /// The next request's verdict.
    pub fn verdict(&self, outcome: Outcome) {
        self.coming.push(outcome);
    }

    /// How many fixes are being proven.
    pub fn proving(&self) -> usize {
        self.provers.len()
    }

    /// Proves `record`'s fix (kept without its exchanges, it is run again up to itself). Where
    /// no thread can be started, nothing is proven early: the caller proves what is missing
    /// once the run has ended.
    pub fn prove(&mut self, record: RequestRecord) {
        let (scenario, profile) = (self.scenario, self.profile);
        let coming = std::sync::Arc::clone(&self.coming);
        let prover = std::thread::Builder::new().spawn_scoped(self.threads, move || {
            let base = Baseline::coming(profile, coming);
            (record.index, fix_against(scenario, &base, &record))
        });
        if let Ok(prover) = prover {
            self.provers.push(prover);
        }
    }

    /// Once the run has ended: every verdict, and each fix proven, by its request's number.
    pub fn finish(mut self) -> (Vec<Outcome>, foldhash::HashMap<usize, Option<Fix>>) {
        self.coming.end();
        let proven = std::mem::take(&mut self.provers)
            .into_iter()
            .filter_map(|prover| prover.join().ok())
            .collect();
        (self.coming.all(), proven)
    }
}

impl Drop for ProvingAsItRuns<'_, '_> {
    fn drop(&mut self) {
        if !self.provers.is_empty() {
            self.coming.give_up();
        }
    }
}

impl Baseline {
    /// `outcomes`: each request's verdict, in order.
    pub fn new(profile: crate::scenario::BrowserProfile, outcomes: Vec<Outcome>) -> Self {
        Baseline {
            profile,
            outcomes: Outcomes::Known(outcomes),
            reruns: RefCell::default(),
        }
    }

    /// The verdicts of a run still going on another thread, each waited for when needed.
    pub fn coming(
        profile: crate::scenario::BrowserProfile,
        outcomes: std::sync::Arc<VerdictsComing>,
    ) -> Self {
        Baseline {
            profile,
            outcomes: Outcomes::Coming(outcomes),
            reruns: RefCell::default(),
        }
    }

    /// The verdicts of `scenario` run under `profile`, streamed.
    pub fn of(scenario: &Scenario, profile: crate::scenario::BrowserProfile) -> Self {
        Baseline::new(profile, verdicts_of(scenario, profile).to_vec())
    }
}

impl Verdicts for Baseline {
    fn profile(&self) -> crate::scenario::BrowserProfile {
        self.profile
    }

    fn outcome(&self, index: usize) -> Option<Outcome> {
        match &self.outcomes {
            Outcomes::Known(outcomes) => outcomes.get(index.checked_sub(1)?).copied(),
            Outcomes::Coming(coming) => coming.get(index),
        }
    }

    /// A change to the server alone is re-run once, however many requests need it: it is kept
    /// by the server it makes. A change to a request's own answers is re-run each time.
    fn rerun(&self, original: &Scenario, changed: &Scenario) -> Rc<[Outcome]> {
        // A run given up (its output closed) wants no proof: the re-run stops there.
        let given_up = || match &self.outcomes {
            Outcomes::Coming(coming) => coming.given_up(),
            Outcomes::Known(_) => false,
        };
        let run = |scenario: &Scenario| verdicts_until(scenario, self.profile, given_up);
        if changed.requests != original.requests {
            return run(changed);
        }
        let server = format!("{:?}", changed.server);
        if let Some(outcomes) = self.reruns.borrow().get(&server) {
            return outcomes.clone();
        }
        let outcomes = run(changed);
        self.reruns.borrow_mut().insert(server, outcomes.clone());
        outcomes
    }
}

/// Runs `changed`, a change to `original`, and checks request `index` is allowed; reports who
/// else's verdict differs from `base`, the run of `original`.
fn prove(
    base: &(impl Verdicts + ?Sized),
    original: &Scenario,
    changed: &Scenario,
    index: usize,
) -> (bool, Vec<(usize, Outcome, Outcome)>) {
    let rerun = base.rerun(original, changed);
    let mut proven = false;
    let mut side_effects = Vec::new();
    for (i, &after) in rerun.iter().enumerate() {
        let request = i + 1;
        if request == index {
            proven = after == Outcome::Allowed;
        } else if let Some(before) = base.outcome(request)
            && before != after
        {
            side_effects.push((request, before, after));
        }
    }
    (proven, side_effects)
}

/// Which requests a change to one request's own answers can affect, for a server whose answers
/// are each request's own (recorded or scripted): the requests that share its preflight-cache
/// key (origin and URL), since the cache is the one thing requests share. A fix is then proven
/// by running that group twice, unchanged and changed, not the whole scenario, so a recording
/// of any size gets its fixes.
pub struct Scope {
    /// The 0-based indices of the requests, a group (one key) after another, each in order.
    members: Vec<usize>,
    /// Where each group starts in `members`, by the group's number, and then where the last ends.
    bounds: Vec<usize>,
    /// Each request's group, by number.
    group_of: Vec<usize>,
    /// Each request's start, in seconds into the run (the sum of the waits before it).
    starts: Vec<u64>,
}

impl Scope {
    /// `None` where a change can reach further: a redirect (its hops have keys of their own),
    /// or rules and layers every request meets.
    pub fn new(scenario: &Scenario) -> Option<Scope> {
        if !matches!(
            scenario.server.kind,
            ServerKind::Static { .. } | ServerKind::Recorded { .. }
        ) || !scenario.server.front.is_empty()
        {
            return None;
        }
        let redirects = |r: &crate::scenario::ResponseOverrides| {
            !r.after_redirect.is_empty()
                || r.actual
                    .as_ref()
                    .is_some_and(|a| matches!(a.status, 301 | 302 | 303 | 307 | 308))
        };
        if let ServerKind::Static { actual, .. } = &scenario.server.kind
            && matches!(actual.status, 301 | 302 | 303 | 307 | 308)
        {
            return None;
        }
        if scenario.requests.iter().any(|r| redirects(&r.responses)) {
            return None;
        }
        // An answer the browser may keep in its HTTP cache links requests of one URL from
        // every origin.
        if engine::http_cache::answers_may_be_kept(scenario) {
            return None;
        }
        // Numbers the keys in order of first use; then lays the groups out one after another,
        // so a scenario of many keys is a few lists rather than a list per key.
        let mut numbers: foldhash::HashMap<(Option<&str>, &str), usize> =
            foldhash::HashMap::default();
        let mut sizes = Vec::new();
        let mut starts = Vec::with_capacity(scenario.requests.len());
        let mut now: u64 = 0;
        let group_of: Vec<usize> = scenario
            .requests
            .iter()
            .map(|r| {
                now = now.saturating_add(r.wait_seconds);
                starts.push(now);
                let next = sizes.len();
                let group = *numbers
                    .entry((r.origin.as_deref(), r.url.as_str()))
                    .or_insert(next);
                if group == next {
                    sizes.push(0);
                }
                sizes[group] += 1;
                group
            })
            .collect();
        let bounds: Vec<usize> = std::iter::once(0)
            .chain(sizes.iter().scan(0, |end, size| {
                *end += size;
                Some(*end)
            }))
            .collect();
        let mut filled = bounds.clone();
        let mut members = vec![0; group_of.len()];
        for (i, &group) in group_of.iter().enumerate() {
            members[filled[group]] = i;
            filled[group] += 1;
        }
        Some(Scope {
            members,
            bounds,
            group_of,
            starts,
        })
    }

    /// The group of the request at 0-based `index`: the indices of the requests with its key.
    fn group(&self, index: usize) -> Option<&[usize]> {
        let group = *self.group_of.get(index)?;
        self.members.get(self.bounds[group]..self.bounds[group + 1])
    }

    /// Runs request `index`'s group with `changed` in its place, and as it is: whether the
    /// request is then allowed, and who else changes outcome.
    fn prove(
        &self,
        scenario: &Scenario,
        profile: crate::scenario::BrowserProfile,
        index: usize,
        changed: RequestSpec,
    ) -> (bool, Vec<(usize, Outcome, Outcome)>) {
        let Some(group) = self.group(index - 1) else {
            return (false, Vec::new());
        };
        let mut changed = Some(changed);
        let mut previous = 0;
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for &i in group.iter() {
            let mut spec = scenario.requests[i].clone();
            // The same times as in the whole run, for the cache's expiries.
            let start = self.starts[i];
            spec.wait_seconds = start - previous;
            previous = start;
            let mine = if i == index - 1 { changed.take() } else { None };
            let replaced = match mine {
                Some(change) => RequestSpec {
                    wait_seconds: spec.wait_seconds,
                    ..change
                },
                None => spec.clone(),
            };
            before.push(spec);
            after.push(replaced);
        }
        let run = |requests: Vec<RequestSpec>| {
            let part = Scenario {
                title: String::new(),
                description: String::new(),
                browser: scenario.browser,
                server: scenario.server.clone(),
                requests: requests.into(),
                moments: Vec::new(),
                quiz: Vec::new(),
                cookies: scenario.cookies.clone(),
                local_network_access: scenario.local_network_access,
                embedder_policy: scenario.embedder_policy,
                addresses: scenario.addresses.clone(),
            };
            engine::run(&part, profile).requests
        };
        let (was, now) = (run(before), run(after));
        let mut proven = false;
        let mut side_effects = Vec::new();
        for ((&i, a), b) in group.iter().zip(&was).zip(&now) {
            if i == index - 1 {
                proven = b.outcome == Outcome::Allowed;
            } else if a.outcome != b.outcome {
                side_effects.push((i + 1, a.outcome, b.outcome));
            }
        }
        (proven, side_effects)
    }
}

fn with_rules(scenario: &Scenario, provider: Provider, rules: Vec<CorsRule>) -> Scenario {
    let mut changed = scenario.clone();
    changed.server.kind = ServerKind::Bucket {
        provider,
        cors: Some(CorsConfiguration { rules }),
    };
    changed
}

/// A bucket's rules with every proven fix made in turn, for `--fix-out`: one configuration
/// that allows every request a rule change can.
#[derive(Clone, Debug)]
pub struct CombinedFix {
    /// The whole configuration, every fix made.
    pub rules: Vec<CorsRule>,
    /// Each fix, in the order made, with the request (1-based) it was worked out for.
    pub fixed: Vec<(usize, Fix)>,
}

/// Every proven rule fix for a bucket, made one after another: the first blocked request's,
/// then the first request still blocked under the changed rules whose fix is proven, and so
/// on, each worked out on the rules the earlier ones left. `trace` is the scenario's run, the
/// first round's. `None` for a server without rules, or when no blocked request has a proven
/// rule fix.
pub fn combined_bucket_fix(scenario: &Scenario, trace: &Trace) -> Option<CombinedFix> {
    let mut later = None;
    combine_rule_fixes(scenario, |current, round| {
        let trace = match round {
            0 => trace,
            _ => later.insert(engine::run(current, trace.profile)),
        };
        trace.requests.iter().find_map(|record| {
            let fix = fix_for(current, trace, record)?;
            proven_rules(fix).map(|(fix, rules)| (record.index, fix, rules))
        })
    })
}

/// [`combined_bucket_fix`] for a run of any size: each round replays the scenario keeping only
/// the verdicts and the blocked requests' records (without their messages), each fix is proven
/// against those verdicts ([`fix_against`]), and requests that need the same change share its
/// proof. `None` as [`combined_bucket_fix`].
pub fn combined_bucket_fix_streamed(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
) -> Option<CombinedFix> {
    if !matches!(scenario.server.kind, ServerKind::Bucket { .. }) {
        return None;
    }
    combine_rule_fixes(scenario, |current, _round| {
        let (base, blocked) = verdicts_and_blocked(current, profile);
        blocked.iter().find_map(|record| {
            let fix = fix_against(current, &base, record)?;
            proven_rules(fix).map(|(fix, rules)| (record.index, fix, rules))
        })
    })
}

/// The first blocked request with a proven fix, and that fix, for a run of any size: the
/// scenario is replayed keeping only the verdicts and the blocked requests' records (without
/// their messages), and each fix is proven against those verdicts ([`fix_against`]).
pub fn first_proven_fix_streamed(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
) -> Option<(usize, Fix)> {
    let (base, blocked) = verdicts_and_blocked(scenario, profile);
    blocked.iter().find_map(|record| {
        fix_against(scenario, &base, record)
            .filter(|fix| fix.proven)
            .map(|fix| (record.index, fix))
    })
}

/// One streamed run: each request's verdict, and the blocked requests' records without their
/// exchanges (a fix that reads them runs the request again).
fn verdicts_and_blocked(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
) -> (Baseline, Vec<RequestRecord>) {
    let mut outcomes = Vec::with_capacity(scenario.requests.len());
    let mut blocked = Vec::new();
    for (record, _steps) in engine::Requests::new(scenario, profile) {
        outcomes.push(record.outcome);
        if record.outcome == Outcome::Blocked {
            blocked.push(RequestRecord {
                exchanges: Vec::new(),
                ..record
            });
        }
    }
    (Baseline::new(profile, outcomes), blocked)
}

/// A fix with the rules it proved, when it is a proven change to the rules.
fn proven_rules(fix: Fix) -> Option<(Fix, Vec<CorsRule>)> {
    let rules = fix.rules.clone().filter(|_| fix.proven)?;
    Some((fix, rules))
}

/// The rounds of a combined fix: `next` finds, on the scenario as the earlier rounds left it
/// (and the round's number), the request whose proven fix comes next and that fix's rules.
fn combine_rule_fixes(
    scenario: &Scenario,
    mut next: impl FnMut(&Scenario, usize) -> Option<(usize, Fix, Vec<CorsRule>)>,
) -> Option<CombinedFix> {
    let ServerKind::Bucket { provider, .. } = scenario.server.kind else {
        return None;
    };
    let mut current = scenario.clone();
    let mut fixed: Vec<(usize, Fix)> = Vec::new();
    // Each round allows at least the request it fixed, so there are never more rounds than
    // requests.
    for round in 0..scenario.requests.len() {
        let Some((index, fix, rules)) = next(&current, round) else {
            break;
        };
        current = with_rules(&current, provider, rules);
        fixed.push((index, fix));
    }
    let (_, last) = fixed.last()?;
    Some(CombinedFix {
        rules: last.rules.clone()?,
        fixed,
    })
}

/// Proving a fix re-runs the whole scenario, so fixes are offered for lessons and recordings of
/// up to this many requests.
pub const MAX_REQUESTS_FOR_FIXES: usize = 500;

/// The fix for each request (None where it is not blocked, or where proving a fix would re-run
/// a scenario too large for it).
pub fn fixes(scenario: &Scenario, trace: &Trace) -> Vec<Option<Fix>> {
    let scope = Scope::new(scenario);
    if scope.is_none() && trace.requests.len() > MAX_REQUESTS_FOR_FIXES {
        return vec![None; trace.requests.len()];
    }
    trace
        .requests
        .iter()
        .map(|r| fix_in(scenario, Proof::new(trace, scope.as_ref()), r))
        .collect()
}

/// The fix for request `index` (0-based) alone, as [`fixes`] gives it: for a view that works
/// out only the fixes it shows. `scope` is [`Scope::new`] of the scenario, made once. Without
/// a scope, every change tried re-runs the whole trace: a view hands a large one to a thread
/// of its own ([`fix_against`] on its verdicts).
pub fn fix_at(
    scenario: &Scenario,
    trace: &Trace,
    scope: Option<&Scope>,
    index: usize,
) -> Option<Fix> {
    let record = trace.requests.get(index)?;
    fix_in(scenario, Proof::new(trace, scope), record)
}

/// The fix for `record`, with only the scenario and the record: for a run written as it goes
/// (a large recording), where no whole trace exists. `None` where the fix needs one.
pub fn streamed_fix(
    scenario: &Scenario,
    profile: crate::scenario::BrowserProfile,
    scope: &Scope,
    record: &RequestRecord,
) -> Option<Fix> {
    let proof = Proof {
        profile,
        base: None,
        scope: Some(scope),
    };
    fix_in(scenario, proof, record)
}

/// How a fix is proven: by re-running the request's group (`scope`) or the whole scenario
/// against `base`, the verdicts of the run it changes (the whole trace, or its verdicts alone).
#[derive(Clone, Copy)]
struct Proof<'a> {
    profile: crate::scenario::BrowserProfile,
    base: Option<&'a dyn Verdicts>,
    scope: Option<&'a Scope>,
}

impl<'a> Proof<'a> {
    fn new(trace: &'a Trace, scope: Option<&'a Scope>) -> Self {
        Proof {
            profile: trace.profile,
            base: Some(trace),
            scope,
        }
    }
}

/// The smallest rule change that allows `record`, or the headers to send; `None` when the
/// request is not blocked.
pub fn fix_for(scenario: &Scenario, trace: &Trace, record: &RequestRecord) -> Option<Fix> {
    fix_in(scenario, Proof::new(trace, None), record)
}

/// What a request no change can mend gets: nothing when it is not blocked, and for a network
/// error the browser recorded, why no header helps. `None` for a request a change may mend.
fn beyond_any_change(record: &RequestRecord) -> Option<Option<Fix>> {
    if record.outcome != Outcome::Blocked {
        return Some(None);
    }
    // A network error the browser recorded: no server answered, so no header can help.
    match record.cors_error {
        Some(CorsError::NoAnswerRecorded) => Some(Some(no_fix(
            "No fix can be proposed: the recording shows the request failed before any answer, but not why. DevTools' console or Issues panel names the reason".to_string(),
        ))),
        Some(error) if error.is_recorded_network_error() => Some(Some(no_fix(
            "No CORS header fixes this network error: no server answered. Check the URL's host and port, that the server is running and reachable from the browser, and its certificate".to_string(),
        ))),
        Some(CorsError::MixedContent) => Some(Some(no_fix(mixed_content_advice(record)))),
        Some(CorsError::LocalNetworkAccessPermissionDenied | CorsError::InsecureLocalNetwork) => {
            Some(Some(no_fix(local_network_advice(record))))
        }
        _ => None,
    }
}

/// What to change for a request blocked as mixed content: the URL, as no answer is ever asked
/// for. At a redirect, the server's Location.
fn mixed_content_advice(record: &RequestRecord) -> String {
    let blocked = refused_url(record);
    let https = |url: &str| {
        url::Url::parse(url)
            .ok()
            .and_then(|url| engine::fetch_rules::at_https(&url))
            .map_or_else(|| url.to_string(), |url| url.to_string())
    };
    if blocked.is_empty() {
        format!(
            "No server or CORS change fixes this: the browser never sends it. Call {} from the page instead, once the server answers HTTPS there (S3, API Gateway, CloudFront and Lambda function URLs all do); where the page builds the URL from a setting, fix the setting",
            https(&record.url)
        )
    } else {
        format!(
            "No CORS header fixes this: the server's redirect leads to {blocked}, which an HTTPS page may not fetch. Make it redirect to {} instead (behind a load balancer or CDN that ends TLS, a server that builds Location from the scheme it sees writes http:; have it honour X-Forwarded-Proto, or send a relative Location)",
            https(blocked)
        )
    }
}

/// The URL a request refused before it was sent was refused at, as its failure names it: a
/// redirect's target; for mixed content at the first hop, nothing.
fn refused_url(record: &RequestRecord) -> &str {
    match &record.console {
        Some(engine::cors_error::ConsoleLine::Failure(facts)) => &facts.failure.parameter,
        _ => "",
    }
}

/// What to change for a request Local Network Access refused: nothing on the server, as no
/// answer is ever asked for. At a redirect, the server's Location.
fn local_network_advice(record: &RequestRecord) -> String {
    let refused = refused_url(record);
    let secure = record.cors_error == Some(CorsError::LocalNetworkAccessPermissionDenied);
    let how = if secure {
        "without the user's permission"
    } else {
        "from a page that is not a secure context"
    };
    let prompt = if secure {
        ", or allow the site when Chrome asks to reach devices on the local network (site settings: Local network access)"
    } else {
        ""
    };
    if !refused.is_empty() && refused != record.url {
        return format!(
            "No CORS header fixes this: the server's redirect leads to {refused}, which a page on the public internet may not reach {how} (Local Network Access). Make it redirect to a public address the page can reach{prompt}"
        );
    }
    format!(
        "No CORS header fixes this: the browser never sends it, because a page on the public internet may not reach {} {how} (Local Network Access). While developing, serve the page from the same machine or network (http://localhost); in production, call the API at its public https: address{prompt}",
        record.url
    )
}

/// Whether a change to the bucket's rules is all a fix can be: a bucket with no layer in
/// front, whose answers the browser does not keep.
pub fn rules_alone_decide(scenario: &Scenario) -> bool {
    matches!(scenario.server.kind, ServerKind::Bucket { .. })
        && scenario.server.front.is_empty()
        && !engine::http_cache::answers_may_be_kept(scenario)
}

/// Blocked requests that ask the same of the server, with the fix of the first of them.
#[derive(Debug)]
pub struct AskedAlike {
    pub asks: Asks,
    /// DevTools' cause, the same for every member.
    pub cors_error: Option<CorsError>,
    /// The requests (1-based), in order.
    pub members: Vec<usize>,
    /// The first member's fix, proven on the whole run; `None` where none was worked out.
    pub fix: Option<Fix>,
}

impl AskedAlike {
    /// How many members the fix's re-run allows: the first when it is proven, and the others
    /// among the requests it flips to allowed.
    pub fn allowed(&self) -> usize {
        let Some(fix) = &self.fix else {
            return 0;
        };
        let members: foldhash::HashSet<usize> = self.members.iter().copied().collect();
        usize::from(fix.proven)
            + fix
                .side_effects
                .iter()
                .filter(|(i, _, after)| members.contains(i) && *after == Outcome::Allowed)
                .count()
    }
}

/// Groups of blocked requests whose fix a run too large for a fix each works out: each re-runs
/// the whole run for every change it tries.
pub const FIXED_GROUPS: usize = 12;

/// The blocked requests of a finished trace grouped as [`BlockedAlike`] groups them, the
/// [`FIXED_GROUPS`] largest with their fix: for a trace too large for a fix each (more than
/// [`MAX_REQUESTS_FOR_FIXES`] requests) whose changes reach every request. Empty otherwise.
pub fn fixes_by_group(scenario: &Scenario, trace: &Trace) -> Vec<AskedAlike> {
    if trace.requests.len() <= MAX_REQUESTS_FOR_FIXES || Scope::new(scenario).is_some() {
        return Vec::new();
    }
    let mut blocked = BlockedAlike::default();
    for record in &trace.requests {
        blocked.add(scenario, record);
    }
    let outcomes = trace.requests.iter().map(|r| r.outcome).collect();
    blocked.fixes(
        scenario,
        trace.profile,
        (outcomes, Default::default()),
        FIXED_GROUPS,
    )
}

/// The blocked requests of a run too large to keep whole, grouped as the run goes by what they
/// ask of the server ([`Asks`]) and by DevTools' cause: only each group's first request is kept
/// whole (without its exchanges), and the others' numbers.
#[derive(Default)]
pub struct BlockedAlike {
    groups: Vec<(AskedAlike, RequestRecord)>,
    at: foldhash::HashMap<(Asks, Option<CorsError>), usize>,
}

impl BlockedAlike {
    /// Files `record` when it is blocked; returns it (without its exchanges) when it is the
    /// first of a new group, whose fix is then the group's.
    pub fn add(&mut self, scenario: &Scenario, record: &RequestRecord) -> Option<&RequestRecord> {
        if record.outcome != Outcome::Blocked {
            return None;
        }
        let asks = Asks::of(scenario, record)?;
        let key = (asks, record.cors_error);
        if let Some(&g) = self.at.get(&key) {
            self.groups[g].0.members.push(record.index);
            return None;
        }
        let group = AskedAlike {
            asks: key.0.clone(),
            cors_error: key.1,
            members: vec![record.index],
            fix: None,
        };
        let first = RequestRecord {
            exchanges: Vec::new(),
            ..record.clone()
        };
        self.at.insert(key, self.groups.len());
        self.groups.push((group, first));
        self.groups.last().map(|(_, first)| first)
    }

    /// The groups, largest first, the `limit` largest with the fix of their first request.
    /// `early` holds the fixes proven while the run went on, by the first request's number;
    /// the others are proven here against `outcomes`, the run's verdicts ([`fix_against`]), on
    /// as many threads as the machine has cores, as each change tried re-runs the whole
    /// scenario.
    pub fn fixes(
        self,
        scenario: &Scenario,
        profile: crate::scenario::BrowserProfile,
        (outcomes, mut early): (Vec<Outcome>, foldhash::HashMap<usize, Option<Fix>>),
        limit: usize,
    ) -> Vec<AskedAlike> {
        let mut groups = self.groups;
        groups.sort_by_key(|(group, _)| std::cmp::Reverse(group.members.len()));
        let mut unproven: Vec<usize> = Vec::new();
        for (at, (group, first)) in groups.iter_mut().enumerate().take(limit) {
            match early.remove(&first.index) {
                Some(fix) => group.fix = fix,
                None => unproven.push(at),
            }
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, unproven.len().max(1));
        // Each thread keeps its own re-runs: groups that need the same change to the server
        // share one when they are on the same thread.
        let prove_share = |share: Vec<usize>| -> Vec<(usize, Option<Fix>)> {
            let base = Baseline::new(profile, outcomes.clone());
            share
                .into_iter()
                .map(|at| (at, fix_against(scenario, &base, &groups[at].1)))
                .collect()
        };
        let mut shares: Vec<Vec<usize>> = (0..threads).map(|_| Vec::new()).collect();
        for (nth, at) in unproven.into_iter().enumerate() {
            shares[nth % threads].push(at);
        }
        // The first share is proven on this thread, which reuses the memory the run let go of.
        let mine = shares.remove(0);
        let proven: Vec<(usize, Option<Fix>)> = std::thread::scope(|scope| {
            let mut proven = Vec::new();
            let mut workers = Vec::new();
            let prove_share = &prove_share;
            for share in shares {
                // Without another thread, this one proves the share too.
                let kept = share.clone();
                match std::thread::Builder::new().spawn_scoped(scope, move || prove_share(share)) {
                    Ok(worker) => workers.push(worker),
                    Err(_) => proven.extend(prove_share(kept)),
                }
            }
            proven.extend(prove_share(mine));
            for worker in workers {
                proven.extend(worker.join().unwrap_or_default());
            }
            proven
        });
        for (at, fix) in proven {
            groups[at].0.fix = fix;
        }
        groups.into_iter().map(|(group, _)| group).collect()
    }
}

/// The fix for `record`, proven against `base`, the run's verdicts alone: for a run too large
/// to keep whole, where [`fixes`] stops at [`MAX_REQUESTS_FOR_FIXES`]. Any server gets its fix
/// this way (rules, layers in front, redirects, answers the browser keeps); each candidate is
/// proven by streaming the whole scenario again, and candidates that change the server the
/// same way share one re-run.
/// `record` may be kept without its exchanges, as a large run keeps a blocked request: the
/// request is then run again for the facts of what each layer did.
pub fn fix_against(scenario: &Scenario, base: &Baseline, record: &RequestRecord) -> Option<Fix> {
    let proof = Proof {
        profile: base.profile,
        base: Some(base),
        scope: None,
    };
    if record.exchanges.is_empty() && record.outcome == Outcome::Blocked {
        let whole = record_of(scenario, base.profile, record.index)?;
        return fix_in(scenario, proof, &whole);
    }
    fix_in(scenario, proof, record)
}

fn fix_in(scenario: &Scenario, proof: Proof, record: &RequestRecord) -> Option<Fix> {
    if let Some(answer) = beyond_any_change(record) {
        return answer;
    }

    let hops = record.hops();
    if let (Some(scope), ServerKind::Static { .. } | ServerKind::Recorded { .. }) =
        (proof.scope, &scenario.server.kind)
        && hops.len() == 1
        && !hops[0].redirects()
    {
        // The change is this request's own answers: its group is all it can reach.
        let change =
            |changed: RequestSpec| scope.prove(scenario, proof.profile, record.index, changed);
        return Some(header_fix(scenario, change, record, 0, &hops[0]));
    }
    // Every other fix is proven on the whole run.
    let trace = proof.base?;
    // A cached copy that a fresh answer would fail the same way (Access-Control-Allow-Origin:
    // * under credentials) is not the cause: the server's fix below is.
    if let Some(fix) = browser_cache_fix(scenario, trace, record).filter(|fix| fix.proven) {
        return Some(fix);
    }
    if hops.len() > 1 || hops.last().is_some_and(|h| h.redirects()) {
        return Some(redirect_fix(scenario, trace, record, &hops));
    }
    if let Some(fix) = cloudfront_fix(scenario, trace, record) {
        return Some(fix);
    }
    if let Some(fix) = function_url_fix(scenario, trace, record) {
        return Some(fix);
    }
    if let Some(fix) = http_api_fix(scenario, trace, record) {
        return Some(fix);
    }
    if let Some(fix) = rest_api_fix(scenario, trace, record) {
        return Some(fix);
    }
    match &scenario.server.kind {
        ServerKind::Bucket { provider, cors } => {
            Some(rules_fix(scenario, trace, record, *provider, cors.as_ref()))
        }
        ServerKind::Static { .. } | ServerKind::Recorded { .. } => {
            let first = hops.into_iter().next().unwrap_or_default();
            Some(header_fix(
                scenario,
                whole_run(scenario, trace, record.index),
                record,
                0,
                &first,
            ))
        }
    }
}

/// Proves a change to request `index` by running the whole scenario with it.
fn whole_run<'a>(
    scenario: &'a Scenario,
    trace: &'a dyn Verdicts,
    index: usize,
) -> impl FnOnce(RequestSpec) -> (bool, Vec<(usize, Outcome, Outcome)>) + 'a {
    move |changed| {
        let mut whole = scenario.clone();
        if let Some(spec) = std::sync::Arc::make_mut(&mut whole.requests).get_mut(index - 1) {
            *spec = changed;
        }
        prove(trace, scenario, &whole, index)
    }
}

fn rules_fix(
    scenario: &Scenario,
    base: &(impl Verdicts + ?Sized),
    record: &RequestRecord,
    provider: Provider,
    cors: Option<&CorsConfiguration>,
) -> Fix {
    let short = provider.short();
    let field = |f| provider.field(f);
    let (origin, method, headers) = needs(scenario, record);
    let include = scenario.requests[record.index - 1].credentials == Credentials::Include;
    if let Some(methods) = provider.methods()
        && !methods.contains(&method.as_str())
    {
        return no_fix(format!(
            "No {short} configuration can allow {method}: {} takes only {}.",
            field(Field::Methods),
            methods.join(", ")
        ));
    }
    let rules: Vec<CorsRule> = cors.map(|c| c.rules.clone()).unwrap_or_default();
    let trusted = rules.iter().any(|rule| {
        rule.allowed_origins
            .iter()
            .any(|o| origin_entry_matches(provider, o, &origin))
    });
    // The lesson means to keep this origin out when it expects it blocked, the bucket has rules
    // and none admits it, and no other request from it is expected to pass or be sent (the
    // page's own origin, seen working from curl, is not an intruder): offering to let it in
    // would teach the opposite. (A block of an origin the rules do trust, for a method, a
    // header or credentials, and a bucket with no configuration at all, still get their fix:
    // that is how the lesson's failure is mended.)
    let meant_out = !rules.is_empty() && !trusted && meant_to_be_blocked(scenario, record);
    if meant_out {
        return capitalized(no_fix(format!(
            "nothing to fix: this block is CORS working as intended. The scenario expects {origin} to be kept out, and no rule lets it in; adding it to {} would let that site's scripts read the responses.",
            field(Field::Origins)
        )));
    }
    let mut candidates: Vec<(usize, Vec<CorsRule>, String, Vec<String>)> = Vec::new();

    // A credentialed request answered by a "*" rule: a rule for the exact origin, first.
    if matches!(
        record.cors_error,
        Some(CorsError::WildcardOriginNotAllowed | CorsError::PreflightWildcardOriginNotAllowed)
    ) && let Some(matched) = record.matched_rule.or_else(|| {
        // A copy from the browser's cache names no rule: the "*" rule that answered the
        // request that stored it is the first one for this method.
        rules.iter().position(|rule| {
            rule.allowed_origins.iter().any(|o| o == "*") && rule.allowed_methods.contains(&method)
        })
    }) && let Some(star) = rules.get(matched)
    {
        let mut specific = star.clone();
        specific.id = None;
        specific.allowed_origins = vec![origin.clone()];
        let mut after = rules.clone();
        after.insert(matched, specific);
        candidates.push((
            1,
            after,
            format!(
                "add a rule for {origin} before rule {}: its \"*\" makes {short} answer Access-Control-Allow-Origin: *, which a request with credentials cannot use; for a listed origin {short} echoes it with Access-Control-Allow-Credentials: true",
                star.label(matched)
            ),
            Vec::new(),
        ));
    }

    // Otherwise: complete the rule that needs the fewest additions.
    for (i, rule) in rules.iter().enumerate() {
        if include && rule.allowed_origins.iter().any(|o| o == "*") {
            continue; // The server would answer "*", which credentials cannot use.
        }
        let mut changed = rule.clone();
        let mut added = Vec::new();
        let mut caveats = Vec::new();
        if !rule
            .allowed_origins
            .iter()
            .any(|o| origin_entry_matches(provider, o, &origin))
        {
            changed.allowed_origins.push(origin.clone());
            added.push(format!("{origin} to {}", field(Field::Origins)));
            caveats.push(grants_read_access(&origin));
        }
        let others: Vec<&String> = rule
            .allowed_origins
            .iter()
            .filter(|o| **o != origin)
            .collect();
        if !rule.allowed_methods.contains(&method) {
            changed.allowed_methods.push(method.clone());
            added.push(format!("{method} to {}", field(Field::Methods)));
            if !others.is_empty() {
                caveats.push(format!(
                    "this also lets {} use {method}",
                    others
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        // The rule's own entries may be patterns; what is added here are plain names, kept
        // in a set so that a request with thousands of headers stays linear.
        let existing = changed.preflight_headers(provider).to_vec();
        let mut added_names = foldhash::HashSet::default();
        for header in &headers {
            if !added_names.contains(&header.to_ascii_lowercase())
                && !existing
                    .iter()
                    .any(|h| header_entry_matches(provider, h, header))
            {
                added_names.insert(header.to_ascii_lowercase());
                changed.preflight_headers_mut(provider).push(header.clone());
                added.push(format!("{header} to {}", field(Field::AllowedHeaders)));
            }
        }
        if added.is_empty() {
            continue;
        }
        let mut after = rules.clone();
        after[i] = changed;
        candidates.push((
            added.len(),
            after,
            format!("add {} in rule {}", added.join(", "), rule.label(i)),
            caveats,
        ));
    }

    // No rule to build on: a new one, for exactly this request.
    let mut fresh = CorsRule {
        id: None,
        allowed_origins: vec![origin.clone()],
        allowed_methods: vec![method.clone()],
        allowed_headers: Vec::new(),
        expose_headers: Vec::new(),
        max_age_seconds: None,
    };
    *fresh.preflight_headers_mut(provider) = headers.clone();
    if is_safelisted_method(&method)
        && method != "GET"
        && !fresh.allowed_methods.contains(&"GET".to_string())
    {
        fresh.allowed_methods.insert(0, "GET".to_string());
    }
    let mut appended = rules.clone();
    appended.push(fresh);
    candidates.push((
        usize::MAX,
        appended,
        if rules.is_empty() {
            format!("give the bucket a CORS configuration with one rule for {origin} and {method}")
        } else {
            format!("add a rule for {origin} and {method}")
        },
        vec![grants_read_access(&origin)],
    ));

    candidates.sort_by_key(|c| c.0);
    let mut fallback = None;
    for (_, after, summary, caveats) in candidates {
        let changed = with_rules(scenario, provider, after.clone());
        let (proven, side_effects) = prove(base, scenario, &changed, record.index);
        let fix = Fix {
            summary: format!("{summary}."),
            diff: diff(provider, &rules, &after),
            rules: Some(after.clone()),
            headers: Vec::new(),
            caveats,
            proven,
            side_effects,
            policy: None,
        };
        if proven {
            return capitalized(fix);
        }
        fallback.get_or_insert(fix);
    }
    if provider == Provider::Gcs && include {
        return capitalized(no_fix(
            "no change to the rules alone lets this request through: GCS does not send Access-Control-Allow-Credentials (its documentation describes none), so fetch with credentials: \"include\" cannot read the answer; send the request without credentials (a signed URL carries its own authorization)".to_string(),
        ));
    }
    capitalized(fallback.unwrap_or_else(|| {
        no_fix("no change to the rules alone lets this request through".to_string())
    }))
}

/// Whether the scenario means this request's origin to be kept out: it expects the request
/// blocked, and no other request from that origin is expected to pass or be sent (the page's
/// own origin, seen working from curl, is not an intruder).
pub fn meant_to_be_blocked(scenario: &Scenario, record: &RequestRecord) -> bool {
    record.expect == Some(Outcome::Blocked)
        && !scenario
            .requests
            .iter()
            .any(|r| r.origin == record.origin && r.expect.is_some_and(|e| e != Outcome::Blocked))
}

/// What adding an origin to the rules means, said beside every fix that adds one: a recording
/// cannot tell the page's own site from an attacker's.
fn grants_read_access(origin: &str) -> String {
    format!("this lets scripts on {origin} read the responses: add it only if that site is yours")
}

/// A suggestion that changes nothing: the summary says why no change helps.
fn no_fix(summary: String) -> Fix {
    Fix {
        summary,
        diff: Vec::new(),
        headers: Vec::new(),
        caveats: Vec::new(),
        proven: false,
        side_effects: Vec::new(),
        policy: None,
        rules: None,
    }
}

fn capitalized(mut fix: Fix) -> Fix {
    let mut chars = fix.summary.chars();
    if let Some(first) = chars.next() {
        fix.summary = first.to_uppercase().chain(chars).collect();
    }
    fix
}

/// For a server without rules: the headers its answers must carry.
/// The answer with `set` headers in place of any of the same name.
fn answer_with(
    base: Option<&crate::http::HttpResponse>,
    status: Option<u16>,
    set: &[Header],
) -> CannedResponse {
    // Shared with the trace's answer: copied as it is changed.
    let mut headers = base.map(|r| r.headers.clone()).unwrap_or_default();
    headers.retain(|(n, _)| !set.iter().any(|(s, _)| s.eq_ignore_ascii_case(n)));
    headers.extend(set.iter().cloned());
    CannedResponse {
        status: status
            .or(base.map(|r| r.status))
            .filter(|s| *s != 0)
            .unwrap_or(200),
        headers,
        body: base.map(|r| r.body.clone()).unwrap_or_default(),
        // The fixed answer is one the server gives.
        network_error: None,
    }
}

/// The CORS headers a function URL with Cors adds itself, which a function behind it must not
/// send too.
const ADDED_BY_FUNCTION_URL: [&str; 3] = [
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
];

/// The exchange at which `record` failed, with the facts of what the server's layers and the
/// caches did. A saved trace keeps words, not facts: its configuration is run again, so a fix
/// that reads those facts is the same for a reopened trace.
fn failed_exchange(
    scenario: &Scenario,
    trace: &dyn Verdicts,
    record: &RequestRecord,
) -> Option<engine::Exchange> {
    let failed_in = |record: &RequestRecord| {
        record
            .exchanges
            .iter()
            .rev()
            .find(|exchange| Some(exchange.kind) == record.failed_at)
            .cloned()
    };
    let saved = matches!(
        record.exchanges.last().map(|e| &e.server),
        Some(ServerNote::Saved(_))
    );
    if !saved {
        return failed_in(record);
    }
    failed_in(&record_of(scenario, trace.profile(), record.index)?)
}

/// When the answer that failed came from the browser's own HTTP cache, stored by another
/// request: the change is to the request that stored it (an `<img>` gains
/// `crossorigin="anonymous"`, so its request carries Origin and the answer its CORS headers) or
/// to this one (`cache: 'no-store'` skips the stored copy), whichever the re-run proves first.
fn browser_cache_fix(
    scenario: &Scenario,
    trace: &dyn Verdicts,
    record: &RequestRecord,
) -> Option<Fix> {
    // Only where the browser may keep an answer (and only then is a saved trace run again).
    if !engine::http_cache::answers_may_be_kept(scenario) {
        return None;
    }
    let failed = failed_exchange(scenario, trace, record)?;
    let ServerNote::BrowserCache { stored, .. } = &failed.server else {
        return None;
    };
    let storer = scenario.requests.get(stored.by_request.checked_sub(1)?)?;
    let permanent = stored.fresh_by == crate::server::FreshBy::Permanent;
    let status = failed.response.status;
    let no_vary = if permanent {
        format!(
            "a {status} without max-age, Expires or no-cache stays fresh for good (observed in Chromium 156)"
        )
    } else if stored.vary.is_empty() {
        "it had no Vary, so the browser reuses it for every request of the URL".to_string()
    } else {
        "its Vary matched this request".to_string()
    };
    let why = format!(
        "the answer came from the browser's HTTP cache: request #{} stored it at t={} s {}, and {no_vary}",
        stored.by_request,
        stored.at,
        match &stored.origin {
            Some(origin) => format!("with Origin {origin}"),
            None => "without Origin".to_string(),
        },
    );
    let mut candidates: Vec<(Scenario, String, Vec<String>)> = Vec::new();
    if storer.via == Via::Element {
        let mut changed = scenario.clone();
        if let Some(spec) =
            std::sync::Arc::make_mut(&mut changed.requests).get_mut(stored.by_request - 1)
        {
            spec.via = Via::Browser;
            spec.credentials = Credentials::SameOrigin;
        }
        candidates.push((
            changed,
            format!("add crossorigin=\"anonymous\" to the <img> of request #{}: {why}. With it the image's request carries Origin, so the answer stored has the CORS headers", stored.by_request),
            vec![
                "- <img src=\"…\">".to_string(),
                "+ <img src=\"…\" crossorigin=\"anonymous\">".to_string(),
            ],
        ));
    }
    let mut changed = scenario.clone();
    if let Some(spec) = std::sync::Arc::make_mut(&mut changed.requests).get_mut(record.index - 1) {
        spec.cache = CacheMode::NoStore;
    }
    candidates.push((
        changed,
        format!("fetch without the HTTP cache: {why}"),
        vec!["+ fetch(url, { cache: 'no-store' })".to_string()],
    ));
    for (changed, summary, diff) in candidates {
        let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
        let fix = Fix {
            summary,
            diff,
            headers: Vec::new(),
            caveats: if permanent {
                vec![
                    format!("A browser that holds the {status} does not ask the server about this URL again, so a fix on the server reaches it only at another URL (the one the redirect leads to) or once its cache is cleared"),
                    "From now on, send a redirect that may change as a 302 or 307, or with `Cache-Control: no-store` or a short max-age".to_string(),
                ]
            } else {
                vec![
                    "On the server side, `Vary: Origin` on every answer of the URL keeps such copies apart; Amazon S3 sends it only to requests with Origin".to_string(),
                ]
            },
            proven,
            side_effects,
            policy: None,
            rules: None,
        };
        if proven {
            return Some(capitalized(fix));
        }
    }
    None
}

/// For CloudFront in front of an origin, when CloudFront's own doing failed the request: its
/// 403 for a method the behavior does not allow, or a cached copy stored for another Origin (or
/// none) because the cache key does not hold Origin. The change is to the behavior's methods or
/// its cache policy, proven by re-running the whole timeline. `None` when CloudFront passed the
/// origin's answer through as it came: the origin's own rules are then what to change.
fn cloudfront_fix(
    scenario: &Scenario,
    trace: &dyn Verdicts,
    record: &RequestRecord,
) -> Option<Fix> {
    use crate::server::FrontLayer;
    use crate::server::cloudfront::{self, Note};
    let at = scenario
        .server
        .front
        .iter()
        .position(|layer| matches!(layer, FrontLayer::CloudFront(_)))?;
    let FrontLayer::CloudFront(layer) = &scenario.server.front[at] else {
        return None;
    };
    let failed = failed_exchange(scenario, trace, record)?;
    let acts = crate::server::front_notes(&failed.server, scenario.server.front.len());
    let (ServerNote::CloudFront(note), _) = acts.get(at).copied().flatten()? else {
        return None;
    };
    let mut behavior = (*layer.behavior).clone();
    let key_caveat = "A response headers policy with a CorsConfig would add the CORS headers on cache hits too (documented), whatever was stored first".to_string();
    let (summary, diff, caveat) = match note.as_ref() {
        Note::MethodNotAllowed { allowed } => {
            // The preflight and the request it asks for both pass the behavior's method check.
            let mut needed = vec![record.method.to_ascii_uppercase()];
            if record.preflight {
                needed.push("OPTIONS".to_string());
            }
            let set = cloudfront::config::ALLOWED_SETS
                .iter()
                .find(|set| needed.iter().all(|m| set.contains(&m.as_str())))?;
            behavior.allowed_methods = set.iter().map(|m| m.to_string()).collect();
            (
                format!(
                    "allow {} in the cache behavior: CloudFront refuses {} with its own 403 before the origin sees it",
                    needed.join(" and "),
                    failed.request.method
                ),
                vec![
                    format!("- AllowedMethods: {}", allowed.join(", ")),
                    format!("+ AllowedMethods: {}", set.join(", ")),
                ],
                if set.len() > 3 {
                    "All seven methods reach the origin then: the origin must refuse what it should (for a bucket, its policy and permissions do)".to_string()
                } else {
                    "OPTIONS reaches the origin then: the origin must answer preflights itself (a bucket does, from its CORS rules)".to_string()
                },
            )
        }
        Note::Hit { key, stored, .. } if !key.holds_origin() => {
            let stored_for = match &stored.origin {
                Some(origin) => format!("for Origin {origin}"),
                None => "for a request without Origin".to_string(),
            };
            (
                format!(
                    "put Origin in the cache key: CloudFront replayed a copy stored at t={} s {stored_for}, because its cache key does not hold Origin. With Origin in the key, each Origin (and no Origin) gets its own copy",
                    stored.at
                ),
                origin_in_cache_key(&mut behavior),
                key_caveat,
            )
        }
        Note::Miss { withheld, .. } if withheld.iter().any(|h| h == "Origin") => (
            "put Origin in the cache key: CloudFront does not forward it, so the origin answers as if no page asked, without CORS headers. In the key, it is also forwarded, and each Origin gets its own copy".to_string(),
            origin_in_cache_key(&mut behavior),
            key_caveat,
        ),
        _ => return None,
    };
    let mut changed = scenario.clone();
    changed.server.front[at] = FrontLayer::CloudFront(Box::new(cloudfront::CloudFront {
        behavior: std::sync::Arc::new(behavior),
        written: layer.written.clone(),
    }));
    let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
    Some(capitalized(Fix {
        summary,
        diff,
        headers: Vec::new(),
        caveats: vec![caveat],
        proven,
        side_effects,
        policy: None,
        rules: None,
    }))
}

/// Puts Origin (and, when OPTIONS is cached, the preflight's headers) in the behavior's cache
/// key, in the spelling it uses: a custom cache policy, or the legacy header whitelist. The
/// diff lines say so.
fn origin_in_cache_key(behavior: &mut crate::server::cloudfront::Behavior) -> Vec<String> {
    use crate::server::cloudfront::Selection;
    let mut names = vec!["Origin".to_string()];
    if behavior.cached_options {
        names.push("Access-Control-Request-Headers".to_string());
        names.push("Access-Control-Request-Method".to_string());
    }
    let before = behavior.cache.described();
    let cache = &mut behavior.cache;
    let mut headers = match &cache.headers {
        Selection::Only(given) => given.clone(),
        _ => Vec::new(),
    };
    for name in &names {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            headers.push(name.clone());
        }
    }
    cache.headers = Selection::Only(headers.clone());
    let ttl = cache.ttl;
    let change = if cache.legacy {
        format!(
            "+ ForwardedValues Headers: [{}] (a whitelisted header is in the cache key and forwarded)",
            headers.join(", ")
        )
    } else {
        cache.name = std::sync::Arc::from("origin-in-cache-key");
        cache.managed = false;
        format!(
            "+ a custom cache policy, the same TTLs (min {} s, default {} s, max {} s) and: HeadersConfig {{HeaderBehavior: whitelist, Headers: [{}]}}",
            ttl.min,
            ttl.default,
            ttl.max,
            headers.join(", ")
        )
    };
    let mut lines = vec![format!("- {before}: the cache key has no Origin"), change];
    if !cache.legacy {
        // The policy as the CLI takes it, the rest of the key kept as it was.
        lines.push(format!(
            "  aws cloudfront create-cache-policy --cache-policy-config '{}'",
            cache_policy_config(cache, &headers)
        ));
        lines.push(
            "  then set the behavior's CachePolicyId to the new policy's Id (aws cloudfront update-distribution)"
                .to_string(),
        );
    }
    lines.push(
        "  then invalidate the paths (aws cloudfront create-invalidation --paths …) so the stored copies go".to_string(),
    );
    lines
}

/// A cache policy as `aws cloudfront create-cache-policy --cache-policy-config` takes it.
fn cache_policy_config(
    cache: &crate::server::cloudfront::config::CachePolicy,
    headers: &[String],
) -> String {
    use crate::server::cloudfront::Selection;
    let items = |names: &[String]| serde_json::json!({"Quantity": names.len(), "Items": names});
    let selection = |key: &str, names_key: &str, selection: &Selection| match selection {
        Selection::None => serde_json::json!({ key: "none" }),
        Selection::All => serde_json::json!({ key: "all" }),
        Selection::Only(names) => serde_json::json!({ key: "whitelist", names_key: items(names) }),
        Selection::AllExcept(names) => {
            serde_json::json!({ key: "allExcept", names_key: items(names) })
        }
    };
    serde_json::json!({
        "Name": cache.name.as_ref(),
        "MinTTL": cache.ttl.min,
        "DefaultTTL": cache.ttl.default,
        "MaxTTL": cache.ttl.max,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": cache.gzip,
            "EnableAcceptEncodingBrotli": cache.brotli,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": items(headers)},
            "CookiesConfig": selection("CookieBehavior", "Cookies", &cache.cookies),
            "QueryStringsConfig": selection("QueryStringBehavior", "QueryStrings", &cache.query),
        }
    })
    .to_string()
}

/// For a function URL in front of a function: the change to the URL's Cors or to the function's
/// answers that lets `record` through, proven by re-running the scenario. `None` when the
/// server has no function URL with Cors.
fn function_url_fix(
    scenario: &Scenario,
    trace: &dyn Verdicts,
    record: &RequestRecord,
) -> Option<Fix> {
    use crate::server::FrontLayer;
    let at = scenario
        .server
        .front
        .iter()
        .position(|layer| matches!(layer, FrontLayer::FunctionUrl { cors: Some(_) }))?;
    let FrontLayer::FunctionUrl { cors: Some(cors) } = &scenario.server.front[at] else {
        return None;
    };
    let (origin, method, headers) = needs(scenario, record);
    let include = scenario.requests[record.index - 1].credentials == Credentials::Include;
    // As for a bucket's rules: an origin the lesson means to keep out is not let in.
    if !crate::server::function_url::allows_origin(cors, &origin)
        && meant_to_be_blocked(scenario, record)
    {
        return Some(capitalized(no_fix(format!(
            "nothing to fix: this block is CORS working as intended. The scenario expects {origin} to be kept out, and the function URL's AllowOrigins does not list it; adding it would let that site's scripts read the responses."
        ))));
    }

    // What the function's answers carry that the URL adds again.
    let doubled = |answer: &CannedResponse| {
        answer.headers.iter().any(|(name, _)| {
            ADDED_BY_FUNCTION_URL
                .iter()
                .any(|added| name.eq_ignore_ascii_case(added))
        })
    };
    let spec = &scenario.requests[record.index - 1];
    let function_doubles = match &scenario.server.kind {
        ServerKind::Static { actual, .. } => {
            doubled(spec.responses.actual.as_ref().unwrap_or(actual))
        }
        _ => false,
    };

    let mut widened = cors.clone();
    let mut lines = Vec::new();
    let mut add = |key: &str, list: &mut Vec<String>, value: &str| {
        if !list
            .iter()
            .any(|v| v == "*" || v.eq_ignore_ascii_case(value))
        {
            lines.push(format!("+ function URL Cors {key}: {value}"));
            list.push(value.to_string());
        }
    };
    add("AllowOrigins", &mut widened.allow_origins, &origin);
    if !is_safelisted_method(&method) {
        add("AllowMethods", &mut widened.allow_methods, &method);
    }
    for header in &headers {
        add("AllowHeaders", &mut widened.allow_headers, header);
    }
    if include && !widened.allow_credentials {
        lines.push("+ function URL Cors AllowCredentials: true".to_string());
        widened.allow_credentials = true;
    }

    let mut changed = scenario.clone();
    changed.server.front[at] = FrontLayer::FunctionUrl {
        cors: Some(widened),
    };
    let mut removed = Vec::new();
    if function_doubles {
        let strip = |answer: &mut CannedResponse, removed: &mut Vec<String>| {
            answer.headers.retain(|(name, value)| {
                let drop = ADDED_BY_FUNCTION_URL
                    .iter()
                    .any(|added| name.eq_ignore_ascii_case(added));
                if drop {
                    removed.push(format!("- function's answer: {name}: {value}"));
                }
                !drop
            });
        };
        if let Some(actual) = std::sync::Arc::make_mut(&mut changed.requests)
            .get_mut(record.index - 1)
            .and_then(|spec| spec.responses.actual.as_mut())
        {
            strip(actual, &mut removed);
        }
        if let ServerKind::Static { actual, .. } = &mut changed.server.kind {
            strip(actual, &mut removed);
        }
    }
    let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
    let summary = match (lines.is_empty(), removed.is_empty()) {
        (true, false) => "Remove these headers from the function's answers: the function URL already adds them, and two values are refused".to_string(),
        (false, true) => format!("Allow the request in the function URL's Cors: {}", grants_read_access(&origin)),
        (false, false) => format!("Allow the request in the function URL's Cors and remove the headers the function sets itself (the URL adds them): {}", grants_read_access(&origin)),
        (true, true) => "The function URL's Cors already allows this request and the function adds no CORS header of its own; the answer itself must change".to_string(),
    };
    let mut diff = removed;
    diff.extend(lines);
    Some(capitalized(Fix {
        summary,
        diff,
        headers: Vec::new(),
        caveats: Vec::new(),
        proven,
        side_effects,
        policy: None,
        rules: None,
    }))
}

/// For an HTTP API in front of a function: the change to its CorsConfiguration or routes that
/// lets `record` through, proven by re-running the scenario; or why no CORS change can. `None`
/// when the server has no HTTP API.
fn http_api_fix(scenario: &Scenario, trace: &dyn Verdicts, record: &RequestRecord) -> Option<Fix> {
    use crate::server::{FrontLayer, http_api};
    let at = scenario
        .server
        .front
        .iter()
        .position(|layer| matches!(layer, FrontLayer::HttpApi { .. }))?;
    let FrontLayer::HttpApi {
        cors,
        routes,
        stage,
    } = &scenario.server.front[at]
    else {
        return None;
    };
    // What the API did with each exchange, worked out again from its configuration: a saved
    // trace keeps only the words.
    let api = http_api::HttpApi {
        cors: cors.clone().map(std::sync::Arc::new),
        routes: routes.clone().into(),
        stage: stage.clone(),
    };
    let notes: Vec<http_api::Note> = record
        .exchanges
        .iter()
        .filter_map(|exchange| Some(api.answer_itself(&exchange.request, 0)?.1))
        .collect();
    let captured = notes.iter().find_map(|note| match note {
        http_api::Note::Refused {
            route,
            preflight: true,
            ..
        } => Some(route.as_str()),
        _ => None,
    });
    for note in &notes {
        match note {
            http_api::Note::Refused {
                route,
                authorization,
                preflight: false,
            } => {
                return Some(capitalized(no_fix(format!(
                    "no CORS change fixes this: route {route}'s {} authorizer refused the request because it carries no Authorization, and API Gateway's own error has no CORS header, so the browser reports CORS and hides the {}. Send the token (fetch's headers: {{Authorization: 'Bearer …'}}), and make the page handle an expired one",
                    authorization.name(),
                    if *authorization == http_api::Authorization::AwsIam {
                        "403"
                    } else {
                        "401"
                    }
                ))));
            }
            http_api::Note::NotFound { .. } => {
                return Some(capitalized(no_fix(format!(
                    "no CORS change fixes this: no route of the HTTP API takes {} {}, so API Gateway answers 404 Not Found itself, with no CORS header. Add a route for it (or check the URL{})",
                    record.method,
                    record.url,
                    if stage.is_some() {
                        " and its stage"
                    } else {
                        ""
                    }
                ))));
            }
            _ => {}
        }
    }
    let (origin, method, headers) = needs(scenario, record);
    let include = scenario.requests[record.index - 1].credentials == Credentials::Include;
    let known = cors
        .as_ref()
        .is_some_and(|c| http_api::origin_match(c, &origin).is_some());
    if !known && meant_to_be_blocked(scenario, record) {
        return Some(capitalized(no_fix(format!(
            "nothing to fix: this block is CORS working as intended. The scenario expects {origin} to be kept out, and the HTTP API's AllowOrigins does not list it; adding it would let that site's scripts read the responses."
        ))));
    }
    let need = http_api::Need {
        origin: &origin,
        unsafe_method: (!is_safelisted_method(&method)).then_some(method.as_str()),
        headers: &headers,
        credentials: include,
    };
    let widened = http_api::widen(cors.as_ref(), routes, &need, captured);
    let mut changed = scenario.clone();
    changed.server.front[at] = FrontLayer::HttpApi {
        cors: Some(widened.cors),
        routes: widened.routes,
        stage: stage.clone(),
    };
    let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
    let spec = &scenario.requests[record.index - 1];
    let function_sets_cors = match &scenario.server.kind {
        ServerKind::Static { actual, .. } => spec
            .responses
            .actual
            .as_ref()
            .unwrap_or(actual)
            .headers
            .iter()
            .any(|(name, _)| crate::server::http_api::is_cors_header(name)),
        _ => false,
    };
    let caveats = if function_sets_cors && cors.is_some() {
        vec!["The function's own Access-Control-* headers never reach the browser while CorsConfiguration is set: remove them, or they mislead whoever reads the function next.".to_string()]
    } else {
        Vec::new()
    };
    let summary = if widened.lines.is_empty() {
        "the HTTP API's CorsConfiguration and routes already allow this request; the function's answer itself must change".to_string()
    } else if captured.is_some() && widened.lines.len() == 1 {
        "give the preflight a route without an authorizer: a route that matches OPTIONS takes the preflight before API Gateway's CORS answer, and a preflight never carries the token".to_string()
    } else {
        format!(
            "allow the request in the HTTP API's CorsConfiguration: {}",
            grants_read_access(&origin)
        )
    };
    Some(capitalized(Fix {
        summary,
        diff: widened.lines,
        headers: Vec::new(),
        caveats,
        proven,
        side_effects,
        policy: None,
        rules: None,
    }))
}

/// What a blocked request needs: its origin, method, unsafe headers, and credentials.
struct Need<'a> {
    origin: &'a str,
    method: &'a str,
    headers: &'a [String],
    include: bool,
}

/// One round of a REST API fix: the changes `record`'s exchanges call for, made to `changed`.
struct RestRound {
    lines: Vec<String>,
    function_needs_header: bool,
    /// The function must echo the Origin: it names another site already.
    echoes: bool,
    errors_fixed: Option<u16>,
}

fn rest_api_round(
    changed: &mut Scenario,
    at: usize,
    record: &RequestRecord,
    need: &Need,
) -> Option<RestRound> {
    use crate::engine::ExchangeKind;
    use crate::server::{FrontLayer, rest_api};
    let FrontLayer::RestApi(api) = &changed.server.front[at] else {
        return None;
    };
    let mut raw = api.written.clone();
    let mut round = RestRound {
        lines: Vec::new(),
        function_needs_header: false,
        echoes: false,
        errors_fixed: None,
    };
    // What the API did with the exchange that failed (the last one sent), worked out again
    // from its configuration.
    if let Some(exchange) = record.exchanges.last() {
        let path = api.resource_for(&exchange.request).map(|r| r.path.clone());
        let note = api
            .answer_itself(&exchange.request, 0)
            .map(|(response, note)| (response.status, note.inner().clone()));
        match (exchange.kind, note, path) {
            (
                ExchangeKind::Preflight,
                Some((
                    _,
                    rest_api::Note::Gateway {
                        refused:
                            rest_api::Refused::ApiKey { .. } | rest_api::Refused::Authorizer { .. },
                        ..
                    },
                )),
                Some(path),
            ) => round.lines.extend(raw.open_preflight(&path)),
            (ExchangeKind::Preflight, Some(_), Some(path)) => {
                round.lines.extend(raw.allow_preflight(
                    &path,
                    need.origin,
                    need.method,
                    need.headers,
                    need.include,
                ));
            }
            (ExchangeKind::Actual, Some((status, rest_api::Note::Gateway { .. })), _) => {
                round.lines.extend(raw.cors_on_errors(need.include));
                round.errors_fixed = Some(status);
            }
            (ExchangeKind::Actual, None, _) => round.function_needs_header = true,
            _ => {}
        }
    }
    // A change reaches the browser once deployed: the stage then serves the saved API.
    raw.deployed = None;
    let changed_api = raw.validate(api.stage.clone()).ok()?;
    changed.server.front[at] = FrontLayer::RestApi(Box::new(changed_api));
    if round.function_needs_header {
        let mut set: Vec<Header> = vec![("Access-Control-Allow-Origin".into(), need.origin.into())];
        if need.include {
            set.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        let spec = &mut std::sync::Arc::make_mut(&mut changed.requests)[record.index - 1];
        // A function that names one site already must name this one too without losing the
        // other: it echoes the Origin, so the change is to this request's answer alone, with
        // Vary: Origin.
        let named = |answer: &crate::scenario::CannedResponse| {
            crate::http::combined_header(&answer.headers, "Access-Control-Allow-Origin")
                .filter(|value| value != "*" && value != need.origin && !value.contains(','))
        };
        if spec.responses.actual.is_none()
            && let ServerKind::Static { actual, .. } = &changed.server.kind
            && let Some(other) = named(actual)
        {
            let mut echoed = actual.clone();
            echoed
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("Access-Control-Allow-Origin"));
            echoed
                .headers
                .push(("Access-Control-Allow-Origin".into(), need.origin.into()));
            round.lines.push(format!(
                "~ the function's answer: Access-Control-Allow-Origin: the request's Origin when it is a site it allows ({}, not always {other})",
                need.origin
            ));
            if crate::http::combined_header(&echoed.headers, "Vary")
                .is_none_or(|vary| !vary.to_ascii_lowercase().contains("origin"))
            {
                echoed.headers.push(("Vary".into(), "Origin".into()));
                round.lines.push(
                    "+ the function's answer: Vary: Origin (the answer now depends on the Origin)"
                        .to_string(),
                );
            }
            round.echoes = true;
            spec.responses.actual = Some(echoed);
        }
        let own = spec.responses.actual.is_some();
        let answer = match (&mut changed.server.kind, own) {
            (_, true) => spec.responses.actual.as_mut(),
            (ServerKind::Static { actual, .. }, false) => Some(actual),
            _ => None,
        };
        if let Some(answer) = answer {
            for (name, value) in set {
                if answer
                    .headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case(&name) && *v == value)
                {
                    continue;
                }
                let before = crate::http::combined_header(&answer.headers, &name);
                answer
                    .headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                round.lines.push(match before {
                    Some(before) => {
                        format!("~ the function's answer: {name}: {value} (instead of {before})")
                    }
                    None => format!("+ the function's answer: {name}: {value}"),
                });
                answer.headers.push((name, value));
            }
        }
    }
    Some(round)
}

/// For a REST API in front of a function: the change to its methods, its gateway responses or
/// the function's answer that lets `record` through, proven by re-running the scenario. `None`
/// when the server has no REST API.
fn rest_api_fix(scenario: &Scenario, trace: &dyn Verdicts, record: &RequestRecord) -> Option<Fix> {
    use crate::server::FrontLayer;
    let at = scenario
        .server
        .front
        .iter()
        .position(|layer| matches!(layer, FrontLayer::RestApi(_)))?;
    let (origin, method, headers) = needs(scenario, record);
    let include = scenario.requests[record.index - 1].credentials == Credentials::Include;
    if meant_to_be_blocked(scenario, record) {
        return Some(capitalized(no_fix(format!(
            "nothing to fix: this block is CORS working as intended. The scenario expects {origin} to be kept out; letting it in would let that site's scripts read the responses."
        ))));
    }
    let need = Need {
        origin: &origin,
        method: &method,
        headers: &headers,
        include,
    };
    // The saved API may already let it through: then the fix is to deploy it.
    if let FrontLayer::RestApi(api) = &scenario.server.front[at]
        && api.deployed.is_some()
    {
        let mut saved = api.written.clone();
        saved.deployed = None;
        if let Ok(live) = saved.validate(api.stage.clone()) {
            let mut changed = scenario.clone();
            changed.server.front[at] = FrontLayer::RestApi(Box::new(live));
            let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
            if proven {
                let stage = api.stage.as_deref().unwrap_or("its stage");
                return Some(capitalized(Fix {
                    summary: format!(
                        "deploy the API to {stage}: the saved configuration already lets this request through, but the stage still serves the deployment from before the change"
                    ),
                    diff: vec![format!(
                        "+ aws apigateway create-deployment --rest-api-id <id> --stage-name {stage} (the console's Deploy API)"
                    )],
                    headers: Vec::new(),
                    caveats: Vec::new(),
                    proven,
                    side_effects,
                    policy: None,
                    rules: None,
                }));
            }
        }
    }
    // A change can let the request one exchange further (the preflight passes, then the actual
    // answer fails): change, run again, and go on from where it now fails, a few times at most.
    let mut changed = scenario.clone();
    let mut lines = Vec::new();
    let mut function_needs_header = false;
    let mut echoes = false;
    let mut errors_fixed = None;
    let mut current = record.clone();
    for _ in 0..3 {
        let round = rest_api_round(&mut changed, at, &current, &need)?;
        function_needs_header |= round.function_needs_header;
        echoes |= round.echoes;
        errors_fixed = errors_fixed.or(round.errors_fixed);
        let progressed = !round.lines.is_empty();
        lines.extend(round.lines);
        if !progressed {
            break;
        }
        match record_of(&changed, trace.profile(), record.index) {
            Some(rerun) if rerun.outcome != Outcome::Allowed => current = rerun,
            _ => break,
        }
    }
    let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
    let redeploy = lines.iter().any(|line| line.contains(" REST API "));
    let summary = match (errors_fixed, function_needs_header, lines.is_empty()) {
        (_, _, true) => "no change to the REST API's methods or gateway responses lets this request through".to_string(),
        (Some(status), _, _) => format!(
            "add CORS headers to the DEFAULT_4XX and DEFAULT_5XX gateway responses: API Gateway answered {status} itself, and without them the browser reports a CORS error and hides the {status} from the page. The page can then read the real error (and, for a 401, send a valid token)"
        ),
        (None, true, _) if echoes => format!(
            "one fixed Access-Control-Allow-Origin cannot serve two sites: have the function echo the request's Origin when it is one it allows, and say Vary: Origin so that no cache hands one site's answer to the other: {}",
            grants_read_access(&origin)
        ),
        (None, true, _) if redeploy => format!(
            "let the preflight through at the REST API's OPTIONS method, and return the same headers from the function (with a proxy integration API Gateway adds none){}: {}",
            if include { "; with credentials * is refused, so both name the origin" } else { "" },
            grants_read_access(&origin)
        ),
        (None, true, _) if lines.iter().any(|line| line.starts_with("~ the function's answer")) => "with a proxy integration the function's headers reach the browser as they are: return each CORS header once, with the one value this request needs (a header named in both headers and multiValueHeaders is merged into two values)".to_string(),
        (None, true, _) => "with a proxy integration API Gateway adds no CORS header: the function must return them on every answer, errors included".to_string(),
        (None, false, _) => format!(
            "let the preflight through at the REST API's OPTIONS method: {}",
            grants_read_access(&origin)
        ),
    };
    Some(capitalized(Fix {
        summary,
        diff: lines,
        headers: Vec::new(),
        caveats: {
            let mut caveats = Vec::new();
            if redeploy {
                caveats.push("A REST API's changes take effect only once the API is deployed to its stage again (create-deployment).".to_string());
            }
            if errors_fixed.is_some() {
                caveats.push("In a SAM template these are the Api's GatewayResponses (DEFAULT_4XX: ResponseParameters: Headers: Access-Control-Allow-Origin); in CloudFormation an AWS::ApiGateway::GatewayResponse per type; in CDK api.addGatewayResponse.".to_string());
            }
            caveats
        },
        proven,
        side_effects,
        policy: None,
        rules: None,
    }))
}

/// The fix for a request that was redirected, or blocked at a redirect.
fn redirect_fix(
    scenario: &Scenario,
    trace: &dyn Verdicts,
    record: &RequestRecord,
    hops: &[Hop],
) -> Fix {
    let last = hops.len() - 1;
    let failing = &hops[last];
    match record.cors_error {
        Some(error) if error.is_network_error() => {
            return no_fix(
                "No CORS header fixes this network error: fix the redirect itself (its Location, or the loop), or request the final URL directly".to_string(),
            );
        }
        Some(CorsError::CorsDisabledScheme) => {
            return no_fix(
                "No CORS header fixes this: a cross-origin fetch can only be redirected to an http(s) URL; fix the redirect's Location".to_string(),
            );
        }
        Some(CorsError::RedirectContainsCredentials) => {
            return no_fix(
                "No CORS header fixes this: the redirect's Location must not carry a username or password; send credentials in a header instead".to_string(),
            );
        }
        _ => {}
    }
    // The hop's first message: its preflight, or the request itself.
    let first = failing.preflight.or(failing.actual);
    let sent_origin = first.and_then(|e| e.request.header("Origin"));
    let page_origin = record.origin.as_deref().unwrap_or("null");
    if last > 0
        && sent_origin.as_deref() == Some("null")
        && page_origin != "null"
        && let Some(target) = first
    {
        // The redirect tainted the origin: no answer can name the page's origin any more.
        let mut changed = scenario.clone();
        if let Some(spec) =
            std::sync::Arc::make_mut(&mut changed.requests).get_mut(record.index - 1)
        {
            if let Ok(url) = url::Url::parse(&target.request.url) {
                spec.url = url;
            }
            let (method, _) = failing.asked();
            spec.method = method;
            let mut final_answers = spec.responses.at_hop(last).cloned().unwrap_or_default();
            final_answers.after_redirect.clear();
            spec.responses = final_answers;
        }
        let (proven, side_effects) = prove(trace, scenario, &changed, record.index);
        let diff = vec![
            format!("- fetch('{}')", scenario.requests[record.index - 1].url),
            format!("+ fetch('{}')", target.request.url),
        ];
        if !proven && matches!(scenario.server.kind, ServerKind::Recorded { .. }) {
            // Asked directly, that server still refuses: say what its answers must carry too.
            if let Some(direct) = record_of(&changed, trace.profile(), record.index) {
                let rerun = Baseline::of(&changed, trace.profile());
                let hop = direct.hops().into_iter().next().unwrap_or_default();
                let mut fix = header_fix(
                    &changed,
                    whole_run(&changed, &rerun, direct.index),
                    &direct,
                    0,
                    &hop,
                );
                fix.summary = format!(
                    "Request {} directly (the redirect to another origin made the browser send Origin: null), and have that server's answers carry these headers:",
                    target.request.url,
                );
                fix.diff = diff;
                fix.caveats.push(
                    "answering Access-Control-Allow-Origin: null instead would let every sandboxed iframe and file:// page in as well".to_string(),
                );
                return fix;
            }
        }
        return Fix {
            summary: format!(
                "Request {} directly: the redirect to another origin made the browser send Origin: null, which that answer does not allow.",
                target.request.url
            ),
            diff,
            headers: Vec::new(),
            caveats: vec![
                "answering Access-Control-Allow-Origin: null instead would let every sandboxed iframe and file:// page in as well".to_string(),
            ],
            proven,
            side_effects,
            policy: None,
        rules: None,
        };
    }
    let mut fix = header_fix(
        scenario,
        whole_run(scenario, trace, record.index),
        record,
        last,
        failing,
    );
    let leaves_origin = failing.actual.is_some_and(|a| {
        let from = url::Url::parse(&a.request.url).ok();
        let to = a.response.redirect_location();
        match (from, to) {
            (Some(from), Some(to)) => from.join(&to).is_ok_and(|to| to.origin() != from.origin()),
            _ => false,
        }
    });
    if !fix.proven && leaves_origin {
        fix.caveats.push(
            "these headers get the redirect followed, but the request still fails at the next hop (a redirect to another origin makes the browser send Origin: null there): answer a fetch() with a status such as 401 and these headers instead of redirecting it".to_string(),
        );
    }
    fix
}

/// For a server without rules (or a redirect's answer): the headers the answers at `hop` must
/// carry, proven by replaying the request with answers that carry them.
fn header_fix(
    scenario: &Scenario,
    prove_change: impl FnOnce(RequestSpec) -> (bool, Vec<(usize, Outcome, Outcome)>),
    record: &RequestRecord,
    hop: usize,
    exchanges: &Hop,
) -> Fix {
    let (origin, method, headers) = match hop {
        0 => needs(scenario, record),
        _ => {
            let (method, headers) = exchanges.asked();
            let origin = record.origin.clone().unwrap_or_else(|| "null".to_string());
            (origin, method, headers)
        }
    };
    let include = scenario.requests[record.index - 1].credentials == Credentials::Include;
    let pair = |n: &str, v: String| -> Header { (n.into(), v.into()) };
    let mut actual_set = vec![pair("Access-Control-Allow-Origin", origin.clone())];
    if include {
        actual_set.push(pair("Access-Control-Allow-Credentials", "true".to_string()));
    }
    let needs_preflight = exchanges.preflight.is_some()
        || (hop == 0 && record.cache_hit)
        || !is_safelisted_method(&method)
        || !headers.is_empty();
    let mut preflight_set = actual_set.clone();
    if !is_safelisted_method(&method) {
        preflight_set.push(pair("Access-Control-Allow-Methods", method.clone()));
    }
    if !headers.is_empty() {
        preflight_set.push(pair("Access-Control-Allow-Headers", headers.join(", ")));
    }
    // The browser only sends the request after its preflight passed: that answer stays as it is.
    let preflight_passed = exchanges.preflight.is_some() && exchanges.actual.is_some();
    let mut lines = Vec::new();
    if needs_preflight && preflight_passed {
        lines.push(format!(
            "OPTIONS answer: passes as recorded (the browser went on to send the {method}); leave it as it is"
        ));
    } else if needs_preflight {
        lines.push("OPTIONS answer: a 2xx status (204 No Content), and".to_string());
        lines.extend(preflight_set.iter().map(|(n, v)| format!("  {n}: {v}")));
    }
    lines.push(if exchanges.redirects() {
        format!("{method} redirect answer (the browser checks it before it follows):")
    } else {
        format!("{method} answer (whatever its status, errors included):")
    });
    lines.extend(actual_set.iter().map(|(n, v)| format!("  {n}: {v}")));

    // Replay this request with answers that carry the headers; nothing else changes.
    let mut spec = scenario.requests[record.index - 1].clone();
    if hop == 0 {
        spec.preflight_not_recorded = false;
    }
    let answers = spec.responses.at_hop_mut(hop);
    if needs_preflight && !preflight_passed {
        answers.preflight = Some(answer_with(
            exchanges.preflight.map(|e| &e.response),
            Some(204),
            &preflight_set,
        ));
    }
    answers.actual = Some(answer_with(
        exchanges.actual.map(|e| &e.response),
        None,
        &actual_set,
    ));
    let (proven, side_effects) = prove_change(spec);
    let mut caveats = Vec::new();
    // As for a bucket's rules: an origin the scenario means to keep out is named as such.
    if meant_to_be_blocked(scenario, record) {
        caveats.push(format!(
            "the scenario expects {origin} to be kept out: sending these headers would let that site's scripts read the answers, so send them only if that site is yours"
        ));
    }
    if include {
        caveats
            .push("with credentials, \"*\" is not accepted anywhere: name the origin".to_string());
    }
    // The answer that failed, and who made it, where AWS's headers say.
    let failed = match (record.failed_at, exchanges.preflight) {
        (Some(crate::engine::ExchangeKind::Preflight), Some(preflight)) => Some((preflight, true)),
        _ => exchanges.actual.map(|actual| (actual, false)),
    };
    let source =
        failed.and_then(|(exchange, _)| aws_answers::source_of(&exchange.response, &origin));
    if let Some(advice) = failed
        .zip(source)
        .and_then(|((exchange, preflight), source)| {
            aws_answers::advice((&exchange.response, source), &origin, preflight, &method)
        })
    {
        caveats.push(advice);
    }
    let said =
        failed.and_then(|(exchange, _)| exchange.response.header("Access-Control-Allow-Origin"));
    let sent = match said {
        Some(values)
            if matches!(
                record.cors_error,
                Some(CorsError::MultipleAllowOriginValues)
                    | Some(CorsError::PreflightMultipleAllowOriginValues)
            ) =>
        {
            lines.push(format!("  (once: the recorded answer carried '{values}')"));
            caveats.push(sent_twice_advice(
                &record.url,
                failed.map(|(exchange, _)| &exchange.response),
            ));
            SentOrigin::MoreThanOnce(values)
        }
        Some(other) if other != origin && other != "*" => SentOrigin::Other(other),
        _ => SentOrigin::Missing,
    };
    // An answer that already names another origin is a policy: this one may be out on purpose.
    if !meant_to_be_blocked(scenario, record)
        && let SentOrigin::Other(named) = &sent
        && named != "null"
        && !named.contains(',')
    {
        caveats.push(format!(
            "the server already answers Access-Control-Allow-Origin: {named}, so it may keep {origin} out on purpose: send these headers only if {origin} is meant to read these answers"
        ));
    }
    let summary = match source {
        Some(AnswerSource::CloudFrontCopy) => {
            "CloudFront served a copy stored for another request: with Origin in its cache key, each origin gets an answer that carries these headers."
        }
        Some(AnswerSource::CloudFrontRefused) => {
            "CloudFront refused the request before the origin saw it: its cache behaviour must allow the method, and the origin's answers must carry these headers."
        }
        Some(AnswerSource::RestApiIntegration) => {
            "API Gateway passed the integration's answers through: the function's answers must carry these headers."
        }
        Some(AnswerSource::HttpApi) => {
            "The answers came from an API Gateway HTTP API: its CorsConfiguration (or, without one, the function) must give these headers."
        }
        Some(AnswerSource::HttpApiRoute) => {
            "API Gateway's HTTP API answered itself (no route, or an authorizer refused): the answers must carry these headers."
        }
        _ => "The server has no rules to change: its answers must carry these headers.",
    };
    Fix {
        summary: summary.to_string(),
        diff: Vec::new(),
        headers: lines,
        caveats,
        proven,
        side_effects,
        policy: Some(HeaderPolicy {
            origin,
            credentials: include,
            method: (!is_safelisted_method(&method)).then_some(method.clone()),
            page_method: method,
            headers,
            preflight: needs_preflight && !preflight_passed,
            source,
            sent,
        }),
        rules: None,
    }
}

/// Why an answer carried Access-Control-Allow-Origin more than once, where the recording says
/// who made it, and what to change.
fn sent_twice_advice(url: &str, answer: Option<&crate::http::HttpResponse>) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if host.contains(".lambda-url.") && host.ends_with(".on.aws") {
        return "This answer came from a Lambda function URL: with Cors set on the URL, Lambda adds Access-Control-Allow-Origin (and -Credentials) to every answer after the function's own (observed; its documentation says the URL's take precedence), so the browser got both. Remove them from the function's answers, or the Cors from the URL.".to_string();
    }
    if answer.and_then(|a| aws_answers::source_of(a, "")) == Some(AnswerSource::RestApiIntegration)
    {
        return "This answer came through an API Gateway REST API from its integration: with a Lambda proxy integration, a header the function sets in both headers and multiValueHeaders is merged into one comma-joined value (recorded), and a backend behind an HTTP integration may add it as well. Set Access-Control-Allow-Origin in one place.".to_string();
    }
    "Two places add Access-Control-Allow-Origin (a proxy, CDN or load balancer in front and the application, or two middlewares in one application): keep it in one and remove it from the other. A configuration that adds it would make a third copy, so none is written here.".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{BrowserProfile, load_str};

    /// Verdicts still coming are waited for; once the run ends, later ones are none; once it
    /// is given up (its output closed), a proof's re-run stops at once.
    #[test]
    fn verdicts_coming_are_waited_for_and_a_given_up_run_proves_nothing() {
        let scenario = load("basic");
        let coming = std::sync::Arc::new(VerdictsComing::default());
        let base = Baseline::coming(BrowserProfile::Chromium, std::sync::Arc::clone(&coming));
        let later = std::sync::Arc::clone(&coming);
        let pusher = std::thread::spawn(move || {
            later.push(Outcome::Allowed);
            later.push(Outcome::Blocked);
            later.end();
        });
        // Waits for the second verdict, then finds no third.
        assert_eq!(base.outcome(2), Some(Outcome::Blocked));
        assert_eq!(base.outcome(3), None);
        assert!(pusher.join().is_ok());
        assert_eq!(coming.all(), [Outcome::Allowed, Outcome::Blocked]);
        // A whole re-run while the run goes on; none once it is given up.
        assert_eq!(
            base.rerun(&scenario, &scenario).len(),
            scenario.requests.len()
        );
        // A change to a request is re-run each time (never kept by server).
        let mut changed = scenario.clone();
        if let Some(first) = std::sync::Arc::make_mut(&mut changed.requests).first_mut() {
            first.wait_seconds += 1;
        }
        assert_eq!(
            base.rerun(&scenario, &changed).len(),
            scenario.requests.len()
        );
        coming.give_up();
        assert!(base.rerun(&scenario, &changed).is_empty());
    }

    /// Who added Access-Control-Allow-Origin twice, by what the recording shows: a function
    /// URL's host, a REST API's marks, or neither.
    #[test]
    fn a_header_sent_twice_is_traced_to_the_layer_that_adds_it() {
        let url = sent_twice_advice("https://abcdefghij.lambda-url.us-east-1.on.aws/items", None);
        assert!(url.contains("Lambda function URL"), "{url}");
        let rest = crate::http::test_response(200, &[("x-amz-apigw-id", "aKdGAEyDoAMEkMg=")]);
        let rest = sent_twice_advice(
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/x",
            Some(&rest),
        );
        assert!(rest.contains("multiValueHeaders"), "{rest}");
        let plain = sent_twice_advice("https://api.example/x", None);
        assert!(plain.contains("Two places add"), "{plain}");
    }

    fn load(name: &str) -> Scenario {
        let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        match load_str(&text, name) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// A large run's verdicts share a re-run between requests that need the same change to the
    /// server, and only then: a change that also gives one request its own answer is re-run,
    /// not served the re-run of the same server without it.
    #[test]
    fn a_rerun_is_shared_only_by_changes_to_the_server_alone() {
        let Ok(original) = load_str(
            r#"{"server": {"type": "static", "url": "https://api.example",
                          "preflight": {"status": 204}, "actual": {"status": 200}},
               "requests": [{"origin": "https://app.example", "url": "https://api.example/a"},
                            {"origin": "https://app.example", "url": "https://api.example/b"}]}"#,
            "t.json",
        ) else {
            panic!("loads")
        };
        let profile = BrowserProfile::Chromium;
        let base = Baseline::of(&original, profile);
        assert_eq!(base.outcome(1), Some(Outcome::Blocked));
        let mut answered = original.clone();
        std::sync::Arc::make_mut(&mut answered.requests)[0]
            .responses
            .actual = Some(CannedResponse {
            status: 200,
            headers: vec![("Access-Control-Allow-Origin".into(), "*".into())].into(),
            body: String::new(),
            network_error: None,
        });
        // The same server both times; only the first change gives request #1 an answer.
        assert_eq!(base.rerun(&original, &answered)[0], Outcome::Allowed);
        assert_eq!(base.rerun(&original, &original)[0], Outcome::Blocked);
        assert_eq!(base.rerun(&original, &answered)[0], Outcome::Allowed);
    }

    /// A fix proven against the run's verdicts alone (a large run's way) is the fix proven on
    /// the whole trace, for every blocked request of every lesson under both profiles: rules,
    /// every layer in front, redirects and answers the browser keeps. The record is given
    /// without its exchanges, as a large run keeps it.
    #[test]
    fn a_fix_proven_on_verdicts_alone_is_the_fix_proven_on_the_whole_trace() {
        let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| Some(e.path().file_stem()?.to_str()?.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let mut compared = 0;
        for name in &names {
            let scenario = load(name);
            for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
                let trace = engine::run(&scenario, profile);
                let base =
                    Baseline::new(profile, trace.requests.iter().map(|r| r.outcome).collect());
                for record in trace
                    .requests
                    .iter()
                    .filter(|r| r.outcome == Outcome::Blocked)
                {
                    let stripped = RequestRecord {
                        exchanges: Vec::new(),
                        ..record.clone()
                    };
                    assert_eq!(
                        fix_against(&scenario, &base, &stripped),
                        fix_for(&scenario, &trace, record),
                        "{name} #{} under {profile:?}",
                        record.index
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 60, "{compared} blocked requests compared");
    }

    /// Two requests blocked for two missing methods: the combined fix makes both changes, the
    /// second on the rules the first left, and the rules at the end allow both.
    #[test]
    fn the_combined_bucket_fix_makes_every_proven_change_in_turn() {
        let scenario = load("method-not-allowed");
        let profile = BrowserProfile::Chromium;
        let Some(combined) = combined_bucket_fix(&scenario, &engine::run(&scenario, profile))
        else {
            panic!("a combined fix")
        };
        let fixed: Vec<usize> = combined.fixed.iter().map(|(index, _)| *index).collect();
        assert_eq!(fixed, vec![1, 2]);
        let Some(rule) = combined.rules.first() else {
            panic!("a rule")
        };
        assert!(rule.allowed_methods.iter().any(|m| m == "PUT"));
        assert!(rule.allowed_methods.iter().any(|m| m == "DELETE"));
        let ServerKind::Bucket { provider, .. } = scenario.server.kind else {
            panic!("a bucket")
        };
        let after = engine::run(&with_rules(&scenario, provider, combined.rules), profile);
        assert!(after.requests.iter().all(|r| r.outcome == Outcome::Allowed));
        // A server without rules has no combined fix: its fix is headers, written per request.
        let masked = load("masked-error");
        assert!(combined_bucket_fix(&masked, &engine::run(&masked, profile)).is_none());
    }

    /// Every recording and scripted lesson the scope applies to: proving a fix on the
    /// request's group gives the same verdict and side effects as proving it on the whole run.
    #[test]
    fn a_fix_proven_on_its_group_agrees_with_the_whole_run() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut inputs: Vec<(String, Scenario)> = Vec::new();
        for dir in ["tests/fixtures/har", "tests/fixtures/chromium", "scenarios"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .collect();
            files.sort();
            for file in files {
                let name = file.display().to_string();
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                if name.ends_with(".har") {
                    if let Ok(import) = crate::formats::har::load_har(&text, &name, false) {
                        inputs.push((name, import.scenario));
                    }
                } else if dir == "scenarios"
                    && let Ok(scenario) = load_str(&text, &name)
                {
                    inputs.push((name, scenario));
                }
            }
        }
        let mut compared = 0;
        for (name, scenario) in &inputs {
            let Some(scope) = Scope::new(scenario) else {
                continue;
            };
            for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
                let trace = engine::run(scenario, profile);
                for record in trace
                    .requests
                    .iter()
                    .filter(|r| r.outcome == Outcome::Blocked)
                {
                    let scoped = fix_in(scenario, Proof::new(&trace, Some(&scope)), record);
                    let whole = fix_for(scenario, &trace, record);
                    assert_eq!(scoped, whole, "{name} request {}", record.index);
                    compared += 1;
                }
            }
        }
        assert!(compared >= 40, "{compared}");
    }

    #[test]
    fn a_function_url_fix_removes_the_functions_doubled_header_or_widens_cors() {
        let scenario = load("function-url-duplicate-origin");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let Some(doubled) = fix_for(&scenario, &trace, &trace.requests[0]) else {
            panic!("request #1 is blocked");
        };
        assert!(doubled.proven, "{doubled:?}");
        assert_eq!(
            doubled.diff,
            ["- function's answer: Access-Control-Allow-Origin: https://app.example"]
        );
        assert!(doubled.side_effects.is_empty());

        // The stranger kept out on purpose is not let in...
        let Some(kept_out) = fix_for(&scenario, &trace, &trace.requests[2]) else {
            panic!("request #3 is blocked");
        };
        assert!(kept_out.diff.is_empty() && !kept_out.proven);
        // ...but an origin the lesson wants in is added to AllowOrigins, and the function's
        // own header goes, or the two would still clash.
        let mut wanted = scenario.clone();
        std::sync::Arc::make_mut(&mut wanted.requests)[2].expect = Some(Outcome::Allowed);
        let trace = engine::run(&wanted, BrowserProfile::Chromium);
        let Some(widened) = fix_for(&wanted, &trace, &trace.requests[2]) else {
            panic!("request #3 is blocked");
        };
        assert!(widened.proven, "{widened:?}");
        assert!(
            widened
                .diff
                .contains(&"+ function URL Cors AllowOrigins: https://evil.example".to_string())
        );
    }

    #[test]
    fn every_blocked_request_in_every_s3_scenario_gets_a_proven_fix() {
        for name in [
            "basic",
            "method-not-allowed",
            "custom-header",
            "no-cors-config",
            "null-origin",
            "rule-order",
            "wildcard-credentials",
            "curl-vs-browser",
        ] {
            let scenario = load(name);
            let trace = engine::run(&scenario, BrowserProfile::Chromium);
            for record in trace
                .requests
                .iter()
                .filter(|r| r.outcome == Outcome::Blocked)
            {
                let Some(fix) = fix_for(&scenario, &trace, record) else {
                    panic!("{name} #{}", record.index)
                };
                if fix.summary.starts_with("Nothing to fix") {
                    // basic's malicious.com: a block the lesson means.
                    assert!(
                        meant_to_be_blocked(&scenario, record),
                        "{name} #{}",
                        record.index
                    );
                    assert_eq!((name, record.index), ("basic", 3));
                    continue;
                }
                assert!(fix.proven, "{name} #{}: {fix:?}", record.index);
                assert!(!fix.diff.is_empty(), "{name} #{}", record.index);
                assert!(
                    !fix.diff
                        .iter()
                        .any(|l| l.starts_with('+') && l.contains("AllowedOrigins [*")),
                    "never widens to *"
                );
            }
        }
    }

    #[test]
    fn the_basic_lessons_intended_block_gets_no_fix_but_the_page_origin_does() {
        let scenario = load("basic");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let Some(fix) = fix_for(&scenario, &trace, &trace.requests[2]) else {
            panic!("blocked")
        };
        assert!(
            fix.summary.starts_with(
                "Nothing to fix: this block is CORS working as intended. The scenario expects https://malicious.com to be kept out"
            ),
            "{}",
            fix.summary
        );
        assert!(fix.diff.is_empty() && !fix.proven);
        // Without the expectation (a recording cannot tell an intruder from the page's own
        // site), the fix adds the origin and says what that grants.
        let mut unexpected = scenario.clone();
        std::sync::Arc::make_mut(&mut unexpected.requests)[2].expect = None;
        let trace = engine::run(&unexpected, BrowserProfile::Chromium);
        let Some(fix) = fix_for(&unexpected, &trace, &trace.requests[2]) else {
            panic!("blocked")
        };
        assert_eq!(
            fix.summary,
            "Add https://malicious.com to AllowedOrigins in rule #1 (ID example-com)."
        );
        assert!(fix.diff.iter().any(|l| l.starts_with("+ rule #1 (ID example-com): AllowedOrigins [https://example.com, https://malicious.com]")));
        assert_eq!(
            fix.caveats,
            [
                "this lets scripts on https://malicious.com read the responses: add it only if that site is yours"
            ]
        );
    }

    #[test]
    fn a_credentialed_request_behind_star_gets_its_own_rule_first() {
        let scenario = load("rule-order");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let Some(fix) = fix_for(&scenario, &trace, &trace.requests[0]) else {
            panic!("blocked")
        };
        assert!(
            fix.summary
                .starts_with("Add a rule for https://shop.example before rule #1 (ID public-read)"),
            "{}",
            fix.summary
        );
        assert!(fix.proven);
    }

    #[test]
    fn static_server_fixes_are_proven_for_every_blocked_request() {
        for name in ["masked-error", "static-preflight-status"] {
            let scenario = load(name);
            let trace = engine::run(&scenario, BrowserProfile::Chromium);
            for record in trace
                .requests
                .iter()
                .filter(|r| r.outcome == Outcome::Blocked)
            {
                let fix = fix_for(&scenario, &trace, record);
                assert!(
                    fix.is_some_and(|f| f.proven && f.side_effects.is_empty()),
                    "{name} #{}",
                    record.index
                );
            }
        }
    }

    #[test]
    fn static_servers_get_the_headers_to_send() {
        let scenario = load("static-preflight-status");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let Some(fix) = fix_for(&scenario, &trace, &trace.requests[0]) else {
            panic!("blocked")
        };
        assert!(fix.headers.iter().any(|l| l.contains("2xx")));
        assert!(
            fix.headers
                .iter()
                .any(|l| l == "  Access-Control-Allow-Headers: authorization, content-type")
        );
    }

    #[test]
    fn redirect_fixes_name_the_hop_that_failed() {
        let scenario = load("redirects");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let fix = |i: usize| fix_for(&scenario, &trace, &trace.requests[i]);

        // The CDN hand-off: Origin: null at the CDN, so the page should call the CDN itself.
        let Some(direct) = fix(2) else {
            panic!("request #3 is blocked")
        };
        assert!(direct.proven && direct.side_effects.is_empty());
        assert_eq!(
            direct.diff,
            [
                "- fetch('https://api.example.com/files/report.pdf')",
                "+ fetch('https://cdn.example.net/report.pdf')"
            ]
        );

        // The login redirect: CORS headers on the 302 are not enough, and the fix says why.
        let Some(login) = fix(1) else {
            panic!("request #2 is blocked")
        };
        assert!(!login.proven);
        assert_eq!(
            login.headers[0],
            "GET redirect answer (the browser checks it before it follows):"
        );
        assert!(
            login
                .caveats
                .iter()
                .any(|c| c.contains("status such as 401"))
        );
    }

    #[test]
    fn a_redirect_without_cors_headers_gets_them_and_the_network_errors_get_none() {
        let path = format!(
            "{}/tests/fixtures/redirects-chromium.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let scenario = match load_str(&text, "redirects-chromium.json") {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        for i in [0, 9] {
            // c1 and d4: the first and the second redirect lack Access-Control-Allow-Origin.
            let fix = fix_for(&scenario, &trace, &trace.requests[i]);
            assert!(
                fix.as_ref().is_some_and(|f| f.proven
                    && f.side_effects.is_empty()
                    && f.headers
                        .iter()
                        .any(|h| h == "  Access-Control-Allow-Origin: http://127.0.0.1:8776")),
                "#{}: {fix:?}",
                i + 1
            );
        }
        for i in [6, 7, 8] {
            let fix = fix_for(&scenario, &trace, &trace.requests[i]);
            assert!(
                fix.as_ref().is_some_and(|f| !f.proven
                    && f.headers.is_empty()
                    && f.summary.starts_with("No CORS header fixes this")),
                "#{}: {fix:?}",
                i + 1
            );
        }
    }
}
