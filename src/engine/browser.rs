//! The browser side: runs each request of a scenario through the Fetch standard's CORS
//! algorithm (or Chromium's reading of it) against the scenario's server, recording a step for
//! every decision.

use crate::scenario::{Header, TextPool};
use std::sync::Arc;

use super::cors_error::{ConsoleFacts, ConsoleLine, CorsError, CorsFailure, FirefoxFacts};
use super::driver::{Answers, Asked};
use super::event::{HopTarget, RequestStart, StepEvent, WhySent};
use super::fetch_rules::{
    AddressSpace, ElementOutcome, MAX_REDIRECTS, MixedContent, PreflightReason, UnsafeHeader,
    address_space, address_space_in, chromium_scheme_error, cors_check, element_outcome,
    exposed_headers, is_safelisted_method, local_network_access, mixed_content, preflight_reasons,
    redirect_hop, sorted_names, unsafe_request_headers,
};
use super::http_cache::HttpCache;
use super::preflight_cache::{Lookup, PreflightCache, Query};
use super::preflight_check::{PreflightInput, PreflightPass, check_preflight};
use super::profile_note::ProfileNote;
use super::summary::{AllowedBy, Ended, HopEnd, Route, Summary, UncheckedBy};
use super::trace::{
    Exchange, ExchangeKind, Kept, RequestRecord, Stage, Step, Trace, VARIABLES, Var, VarSet,
    Verdict, hops_before,
};
use super::tracker::{
    Allowed, CacheHolder, CachedCopy, Cell, Exposed, OriginSent, PreflightState, Received,
};
use crate::http::syntax::{is_forbidden_request_header, normalize_method, origin_of};
use crate::http::{HttpRequest, HttpResponse};
use crate::scenario::{
    BrowserProfile, CacheMode, Credentials, Initiator, LocalNetworkAccess, Outcome, Recorder,
    RecordingBrowser, RequestSpec, Scenario, ServerKind, Via,
};
use crate::server::{self, Answerer, ServerNote};

/// Runs `scenario` under `profile` (the scenario's own `browser` key is the caller's business),
/// telling `progress` how many requests are done after each one.
pub fn simulate(
    scenario: &Scenario,
    profile: BrowserProfile,
    mut progress: impl FnMut(usize),
) -> Trace {
    let mut run = Requests::new(scenario, profile);
    let initial_variables = run.initial_variables().to_vec();
    let mut requests = Vec::with_capacity(scenario.requests.len());
    let mut steps = Vec::new();
    for (record, request_steps) in run.by_ref() {
        requests.push(record);
        steps.extend(request_steps);
        progress(requests.len());
    }
    Trace {
        title: scenario.title.clone(),
        description: scenario.description.clone(),
        profile,
        initial_variables,
        requests,
        steps,
    }
}

/// The run one request at a time: each item is a request's record and its steps, numbered as
/// in the whole trace. A consumer that writes and drops them (`--json` on a large recording)
/// never holds the whole trace.
pub struct Requests<'a> {
    sim: Simulation<'a>,
    next: usize,
}

impl<'a> Requests<'a> {
    /// The run against the scenario's own (simulated or recorded) server.
    pub fn new(scenario: &'a Scenario, profile: BrowserProfile) -> Self {
        Self::answered_by(scenario, profile, Box::new(Answerer::new(&scenario.server)))
    }

    /// The run for its verdicts alone: as [`Requests::new`], but each request comes without
    /// steps (its record's `steps` range is empty) and the tracker is not kept, and the run
    /// keeps no shared copy of each header text, which only a kept trace needs.
    pub fn for_verdicts(scenario: &'a Scenario, profile: BrowserProfile) -> Self {
        let mut run = Self::new(scenario, profile);
        run.sim.keeps_steps = false;
        run.sim.texts = TextPool::passing_through();
        run
    }

    /// The run with every exchange answered by `answers` (a live server, for a probe).
    pub fn answered_by(
        scenario: &'a Scenario,
        profile: BrowserProfile,
        answers: Box<dyn Answers + Send + 'a>,
    ) -> Self {
        Requests {
            sim: Simulation::new(scenario, profile, answers),
            next: 0,
        }
    }

    /// Values of the tracked variables before the first step.
    pub fn initial_variables(&self) -> &[Arc<Cell>] {
        &self.sim.initial
    }
}

impl Iterator for Requests<'_> {
    type Item = (RequestRecord, Vec<Step>);

    fn next(&mut self) -> Option<Self::Item> {
        let sim = &mut self.sim;
        let spec = sim.scenario.requests.get(self.next)?;
        self.next += 1;
        sim.now = sim.now.saturating_add(spec.wait_seconds);
        sim.cache.prune(sim.now);
        // Mixed content is decided before anything else: an HTTPS page's request to an http:
        // URL is blocked, or, for an image, asked for at https: instead.
        let page_origin = spec.origin.as_deref().unwrap_or("null");
        let upgraded;
        let spec = match (
            spec.via,
            mixed_content(page_origin, &spec.url, spec.initiator),
        ) {
            (Via::Raw, _) | (_, MixedContent::None) => spec,
            (_, MixedContent::Blocked) => {
                let failure = CorsFailure::new(CorsError::MixedContent, "");
                sim.refused_before_sending(self.next, spec, failure);
                return sim.next_record();
            }
            (_, MixedContent::Upgraded(url)) => {
                sim.upgraded_from = Some(spec.url.as_str().into());
                upgraded = RequestSpec {
                    url,
                    ..spec.clone()
                };
                &upgraded
            }
        };
        // Then Chromium's Local Network Access.
        match sim.local_network(page_origin, &spec.url, spec.via) {
            Err(failure) => {
                sim.refused_before_sending(self.next, spec, failure);
                return sim.next_record();
            }
            // Said on the request's first step; an element's or a no-cors fetch's has none.
            Ok(Some(space)) if spec.via == Via::Browser => sim.allowed_local = Some(space),
            Ok(_) => {}
        }
        match spec.via {
            Via::Browser => sim.browser_request(self.next, spec),
            Via::Raw => sim.raw_request(self.next, spec),
            Via::Element => sim.image_request(self.next, spec),
            Via::NoCors => sim.no_cors_request(self.next, spec),
        }
        sim.next_record()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.sim.scenario.requests.len() - self.next;
        (left, Some(left))
    }
}

impl Simulation<'_> {
    /// The request just finished, with its steps.
    fn next_record(&mut self) -> Option<(RequestRecord, Vec<Step>)> {
        let record = self.finished.take()?;
        self.steps_before += self.steps.len();
        Some((record, std::mem::take(&mut self.steps)))
    }

    /// Chromium's Local Network Access for a request `via` from `page_origin` to `url`: `Err`
    /// when it is refused, `Ok(Some(space))` when it goes only by the user's permission (which
    /// a page that is not a secure context cannot be given). A recording's answers show what
    /// was sent, so only a simulated server's requests are judged.
    fn local_network(
        &self,
        page_origin: &str,
        url: &url::Url,
        via: Via,
    ) -> Result<Option<AddressSpace>, CorsFailure> {
        if via == Via::Raw
            || self.profile != BrowserProfile::Chromium
            || matches!(self.scenario.server.kind, ServerKind::Recorded { .. })
        {
            return Ok(None);
        }
        match local_network_access(page_origin, url, &self.scenario.addresses) {
            None => Ok(None),
            Some(failure)
                if self.scenario.local_network_access == LocalNetworkAccess::Granted
                    && failure.error == CorsError::LocalNetworkAccessPermissionDenied =>
            {
                Ok(Some(address_space_in(url, &self.scenario.addresses)))
            }
            Some(failure) => Err(failure),
        }
    }

    /// The `http(s)` URL a redirect leads to, as the browser sends the next hop: each hop is a
    /// new fetch, checked as the first was, for mixed content (an image goes on at `https:`)
    /// and Local Network Access (observed in Chromium 156). `Err` when it is refused there.
    fn next_hop_url(
        &self,
        original: &RequestSpec,
        next: url::Url,
    ) -> Result<url::Url, CorsFailure> {
        let page_origin = original.origin.as_deref().unwrap_or("null");
        let next = match mixed_content(page_origin, &next, original.initiator) {
            MixedContent::None => next,
            MixedContent::Upgraded(upgraded) => upgraded,
            MixedContent::Blocked => {
                return Err(CorsFailure::new(CorsError::MixedContent, next.as_str()));
            }
        };
        self.local_network(page_origin, &next, original.via)?;
        Ok(next)
    }

    /// A request the browser refuses before sending it (mixed content, Local Network Access):
    /// nothing is sent, and the console says why.
    fn refused_before_sending(&mut self, index: usize, spec: &RequestSpec, failure: CorsFailure) {
        let first_step = self.steps_before + self.steps.len();
        let method = match spec.via {
            Via::Element => "GET".to_string(),
            _ => normalize_method(&spec.method),
        };
        self.start_request(index, spec, &method);
        self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::No));
        // The request as DevTools lists it: asked for, never sent, status 0.
        let mut headers = vec![host_header(spec, &mut self.texts)];
        headers.extend(spec.headers.iter().cloned());
        let request = HttpRequest {
            method: self.texts.text(&method).into(),
            url: self.url_text(spec.url.as_str()),
            headers: headers.into(),
        };
        self.exchanges.push(Exchange {
            kind: ExchangeKind::Actual,
            request,
            response: HttpResponse {
                status: 0,
                headers: crate::http::Headers::new(),
                body: String::new(),
            },
            matched_rule: None,
            server: ServerNote::NotSent(failure.error),
            cookies: None,
        });
        let ex = self.exchanges.len() - 1;
        self.push_event(
            index,
            (Stage::Request, Verdict::Blocked),
            if failure.error == CorsError::MixedContent {
                StepEvent::MixedContentBlocked
            } else {
                let host_of = |url: Option<url::Url>| {
                    url.and_then(|u| u.host_str().and_then(|h| self.scenario.addresses.of(h)))
                };
                let page = spec.origin.as_deref().and_then(|o| url::Url::parse(o).ok());
                let target = url::Url::parse(&failure.parameter).ok();
                StepEvent::LocalNetworkBlocked {
                    resolved: Box::new((host_of(page), host_of(target))),
                }
            },
            ex,
        );
        let ending = Ending {
            outcome: Outcome::Blocked,
            preflight_reasons: Vec::new(),
            failed_at: None,
            summary: Summary::new(Ended::NotSent(failure.clone())),
            failure: Some(failure),
            exposed: Vec::new(),
        };
        self.finish_outside_cors(index, spec, method, first_step, ending);
    }
}

/// How one request ended.
struct Ending {
    outcome: Outcome,
    preflight_reasons: Vec<PreflightReason>,
    failed_at: Option<ExchangeKind>,
    failure: Option<CorsFailure>,
    exposed: Vec<String>,
    summary: Summary,
}

/// How one hop of a fetch ended.
enum Fetched {
    /// The request is over; `cache_hit` says whether its last preflight came from the cache.
    Ended { ending: Ending, cache_hit: bool },
    /// A probe held the actual request back; the record is already finished.
    Withheld,
    /// The browser follows a redirect: the request as it goes to the next hop.
    Redirect(Box<RequestSpec>),
}

/// One hop of a browser request: the request as it goes out at this hop (`spec`, with the
/// headers it carries in `kept`), and the page's own request (`original`, with what fetch()
/// dropped from it), which the record and the first step describe.
#[derive(Clone, Copy)]
struct HopInput<'s> {
    original: &'s RequestSpec,
    spec: &'s RequestSpec,
    /// 0 for the page's own request, then one more per redirect followed.
    number: usize,
    kept: &'s [Header],
    dropped: &'s [String],
    first_step: usize,
}

impl HopInput<'_> {
    /// Whether the probe held this hop's actual request back: it says so for the request, and
    /// this is the hop it stopped at, the first without a recorded answer (an earlier hop that
    /// was answered, a redirect, is replayed as it was).
    fn withheld(&self) -> bool {
        self.original.actual_withheld
            && self
                .original
                .responses
                .at_hop(self.number)
                .is_none_or(|answers| answers.actual.is_none())
    }
}

/// Whether a preflight was answered, or held back by the driver (a probe that does not send it).
enum Sent {
    Answered,
    HeldBack,
}

/// Where a redirected request started, for the console's "(redirected from …)" message.
struct Redirected {
    initial_url: String,
    page_origin: String,
}

/// Request-body header names dropped when a redirect turns the request into a GET.
const REQUEST_BODY_HEADERS: [&str; 4] = [
    "content-encoding",
    "content-language",
    "content-location",
    "content-type",
];

/// Who sends a request no CORS check applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unchecked {
    /// A raw client, like curl.
    Raw,
    /// The page's `<img>` without `crossorigin`, in no-cors mode.
    Image,
    /// The page's fetch() with `mode: 'no-cors'`.
    NoCors,
}

struct Simulation<'a> {
    scenario: &'a Scenario,
    /// One copy of each header name and value the browser writes: a trace holds every
    /// exchange's headers, and they repeat from one request to the next.
    texts: TextPool,
    /// The URL of the last exchange, which the next one (a preflight's actual request) shares.
    /// Not pooled: URLs rarely repeat across requests, and a pool would keep all of them.
    recent_url: crate::http::Text,
    /// One copy of each tracker value: most repeat from one request to the next, and every
    /// step holds its tracker.
    cells: foldhash::HashSet<Arc<Cell>>,
    /// False for a run whose verdicts alone are wanted (a fix's proof): it makes no steps and
    /// tracks no values, which decide nothing.
    keeps_steps: bool,
    server: Box<dyn Answers + Send + 'a>,
    profile: BrowserProfile,
    cache: PreflightCache,
    now: u64,
    vars: Vec<Arc<Cell>>,
    initial: Vec<Arc<Cell>>,
    changed: VarSet,
    /// The current request's steps; earlier ones were handed out (see [`Requests`]).
    steps: Vec<Step>,
    /// How many steps were handed out before `steps[0]`.
    steps_before: usize,
    /// The record of the request just run, until [`Requests`] hands it out.
    finished: Option<RequestRecord>,
    exchanges: Vec<Exchange>,
    profile_notes: Vec<ProfileNote>,
    sequence: usize,
    /// The (origin, URL) the current request's cache entries live under.
    cache_key: (String, String),
    /// The cache's summary for `cache_key`, with the cache revision and time it was made at.
    cache_summary: Option<(u64, u64, Arc<Cell>)>,
    /// Set once the current request follows a redirect.
    redirected: Option<Redirected>,
    /// The `http:` URL of an image the browser asks for at `https:` instead (mixed content),
    /// until its request starts.
    upgraded_from: Option<Box<str>>,
    /// The address space the next request reaches by the user's Local Network Access
    /// permission, for its first step to say.
    allowed_local: Option<AddressSpace>,
    /// What in the page sent the current request: its console line names it.
    initiator: Initiator,
    /// Whether browser requests show `Accept-Encoding`: a CDN in the stack keys its cache on it.
    shows_accept_encoding: bool,
    http_cache: HttpCache,
    /// False for a recording, whose answers already are what the browser's cache served.
    answers_simulated: bool,
    /// What CloudFront's edges hold, as the exchanges' facts tell it.
    edge_copies: Vec<EdgeCopy>,
    cookie_jar: super::cookies::CookieJar,
}

/// An answer a CDN edge stored.
struct EdgeCopy {
    edge: Option<String>,
    /// The path and the query strings in its key; OPTIONS answers apart.
    path: String,
    options: bool,
    at: u64,
    ttl: u64,
    origin: Option<String>,
    acao: Option<String>,
}

/// Whether a cache can answer in `scenario`: a CDN in the stack, or answers the browser may
/// keep (`Cache-Control: max-age`); a recording's answers already are what caches served.
fn caches_can_answer(scenario: &Scenario) -> bool {
    let server = &scenario.server;
    if matches!(server.kind, ServerKind::Recorded { .. }) {
        return false;
    }
    server
        .front
        .iter()
        .any(|layer| matches!(layer, server::FrontLayer::CloudFront(_)))
        || super::http_cache::answers_may_be_kept(scenario)
}

/// The path and query a request asks for, whole: narration cuts a long query where it shows it.
fn path_of(spec: &RequestSpec) -> String {
    crate::http::syntax::path_and_query(&spec.url)
}

fn host_header(spec: &RequestSpec, texts: &mut TextPool) -> Header {
    let host = match (spec.url.host_str(), spec.url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    };
    texts.header("Host", &host)
}

/// An actual request's headers in the order Chromium sends them: Host, Accept unless the script
/// set one, Origin (when it is sent), the script's own, then the Sec-Fetch headers.
fn actual_headers(
    spec: &RequestSpec,
    kept: &[Header],
    origin: Option<&str>,
    same_origin: bool,
    texts: &mut TextPool,
) -> Vec<Header> {
    let mut headers = Vec::with_capacity(kept.len() + 6);
    headers.push(host_header(spec, texts));
    if !kept.iter().any(|(n, _)| n.eq_ignore_ascii_case("accept")) {
        headers.push(texts.header("Accept", spec.initiator.accept()));
    }
    headers.extend(origin.map(|origin| texts.header("Origin", origin)));
    headers.extend(kept.iter().cloned());
    headers.push(texts.header("Sec-Fetch-Mode", "cors"));
    if same_origin {
        headers.push(texts.header("Sec-Fetch-Site", "same-origin"));
    }
    headers.push(texts.header("Sec-Fetch-Dest", spec.initiator.destination()));
    headers
}

/// What Chromium 148 sends on every request, preflights included (observed against a server
/// on 127.0.0.1).
const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

impl<'a> Simulation<'a> {
    fn new(
        scenario: &'a Scenario,
        profile: BrowserProfile,
        server: Box<dyn Answers + Send + 'a>,
    ) -> Self {
        let tracks_caches = caches_can_answer(scenario);
        let tracked = VARIABLES.len() - usize::from(!tracks_caches);
        // One shared "not reached yet" for every row.
        let unset = Arc::new(Cell::Unset);
        let mut vars = vec![unset; tracked];
        if tracks_caches {
            vars[Var::CachedCopies as usize] = Arc::new(Cell::NothingCached);
        }
        vars[Var::AllowedOrigins as usize] =
            Arc::new(Cell::Words(Arc::from(server.allowed_origins_text())));
        vars[Var::PreflightCache as usize] = Arc::new(Cell::PreflightCache {
            live: Vec::new(),
            others: 0,
        });
        Simulation {
            scenario,
            texts: TextPool::default(),
            recent_url: Default::default(),
            cells: foldhash::HashSet::default(),
            keeps_steps: true,
            server,
            profile,
            cache: PreflightCache::default(),
            now: 0,
            initial: vars.clone(),
            vars,
            changed: VarSet::default(),
            steps: Vec::new(),
            steps_before: 0,
            finished: None,
            exchanges: Vec::new(),
            profile_notes: Vec::new(),
            sequence: 0,
            cache_key: (String::new(), String::new()),
            cache_summary: None,
            redirected: None,
            upgraded_from: None,
            allowed_local: None,
            initiator: Initiator::Fetch,
            shows_accept_encoding: scenario
                .server
                .front
                .iter()
                .any(|layer| matches!(layer, server::FrontLayer::CloudFront(_))),
            http_cache: HttpCache::default(),
            answers_simulated: !matches!(scenario.server.kind, ServerKind::Recorded { .. }),
            edge_copies: Vec::new(),
            cookie_jar: super::cookies::CookieJar::new(&scenario.cookies),
        }
    }

    /// `url` as an exchange holds it: shared with the exchange before when it has the same.
    fn url_text(&mut self, url: &str) -> crate::http::Text {
        if self.recent_url != url {
            self.recent_url = url.into();
        }
        self.recent_url.clone()
    }

    fn set(&mut self, var: Var, value: Cell) {
        if !self.keeps_steps {
            return;
        }
        let index = var as usize;
        // A row this trace does not track (Cached Copies where no cache can answer).
        if self
            .vars
            .get(index)
            .is_some_and(|current| **current != value)
        {
            self.vars[index] = match self.cells.get(&value) {
                Some(same) => Arc::clone(same),
                None => {
                    let cell = Arc::new(value);
                    self.cells.insert(Arc::clone(&cell));
                    cell
                }
            };
            self.changed.insert(index);
        }
    }

    fn set_shared(&mut self, var: Var, value: Arc<Cell>) {
        if !self.keeps_steps {
            return;
        }
        let index = var as usize;
        if self
            .vars
            .get(index)
            .is_some_and(|current| *current != value)
        {
            self.vars[index] = value;
            self.changed.insert(index);
        }
    }

    /// The cache's summary for the current request, made again only when the cache or the
    /// time changed (every step shows it).
    fn cache_summary(&mut self) -> Arc<Cell> {
        let revision = self.cache.revision();
        match &self.cache_summary {
            Some((at_revision, at_time, summary))
                if *at_revision == revision && *at_time == self.now =>
            {
                summary.clone()
            }
            _ => {
                let (origin, url) = &self.cache_key;
                let (live, others) = self.cache.summary(self.now, self.profile, origin, url);
                let summary = Arc::new(Cell::PreflightCache { live, others });
                self.cache_summary = Some((revision, self.now, summary.clone()));
                summary
            }
        }
    }

    /// Records a step told as facts, about the request's exchange `exchange`.
    fn push_event(
        &mut self,
        request: usize,
        (stage, verdict): (Stage, Verdict),
        event: StepEvent,
        exchange: usize,
    ) {
        self.push_step(request, (stage, verdict), event, Some(exchange));
    }

    /// Records a step told as facts.
    fn push_step(
        &mut self,
        request: usize,
        (stage, verdict): (Stage, Verdict),
        event: StepEvent,
        exchange: Option<usize>,
    ) {
        if !self.keeps_steps {
            return;
        }
        let cache_summary = self.cache_summary();
        self.set_shared(Var::PreflightCache, cache_summary);
        let changed = std::mem::take(&mut self.changed);
        let n = self.steps_before + self.steps.len() + 1;
        let kept = if n % super::trace::WHOLE_ROW_EVERY == 1 {
            Kept::whole(&self.vars)
        } else {
            Kept::of(&self.vars, changed)
        };
        self.steps.push(Step {
            n,
            request,
            stage,
            verdict,
            event,
            exchange,
            changed,
            kept,
        });
    }

    /// Sends `request` as the request's next exchange and shows the rule that answered it in
    /// the tracker: returns the exchange's index, the answer, and why the server gave it; `None`
    /// when the driver held it back.
    fn exchange(
        &mut self,
        (index, kind): (usize, ExchangeKind),
        request: HttpRequest,
        spec: &RequestSpec,
    ) -> Option<(usize, HttpResponse)> {
        self.sequence += 1;
        let mut request = request;
        if spec.via != Via::Raw && self.shows_accept_encoding {
            // Every browser sends it; shown only where a layer's answer depends on it.
            request.headers.push(
                self.texts
                    .header("Accept-Encoding", BROWSER_ACCEPT_ENCODING),
            );
        }
        // A preflight never carries cookies; a raw client sends only what was written.
        let cookies = (kind == ExchangeKind::Actual && spec.via != Via::Raw)
            .then(|| self.cookies_for(spec, &request))
            .flatten();
        if let Some(header) = cookies.as_ref().and_then(|d| d.header()) {
            request.headers.push(self.texts.header("Cookie", &header));
        }
        request.headers = self.texts.headers(request.headers);
        // The browser's own HTTP cache, for what a browser sends (a recording holds what it
        // served already).
        let cached = kind == ExchangeKind::Actual && spec.via != Via::Raw && self.answers_simulated;
        if cached
            && let Some((response, stored)) =
                self.http_cache
                    .lookup((spec.origin.as_deref(), &request), spec.cache, self.now)
        {
            let age = stored.age(self.now);
            self.set(
                Var::MatchedRule,
                Cell::BrowserCache {
                    stored_at: stored.at,
                },
            );
            self.exchanges.push(Exchange {
                kind,
                request,
                response: response.clone(),
                matched_rule: None,
                server: ServerNote::BrowserCache {
                    stored: Box::new(stored),
                    age,
                },
                cookies,
            });
            return Some((self.exchanges.len() - 1, response));
        }
        let answer = self.server.answer(&Asked {
            request: index,
            kind,
            hop: hops_before(&self.exchanges),
            message: &request,
            scripted: &spec.responses,
            sequence: self.sequence,
            now: self.now,
            edge: spec.edge.as_deref(),
        })?;
        if cached {
            self.http_cache.store(
                (spec.origin.as_deref(), &request),
                &answer.response,
                (spec.cache, index, self.now),
            );
        }
        self.note_edge_copies(&answer.note, &request, spec);
        // A recording's requests already carry the cookies its answers set.
        let mut cookies = cookies;
        if kind == ExchangeKind::Actual && spec.via != Via::Raw && self.answers_simulated {
            let set = self.cookies_set_by(spec, &request, &answer.response);
            if !set.is_empty() {
                cookies.get_or_insert_default().set_by_answer = set;
            }
        }
        let matched_rule = answer.note.matched_rule();
        let rule_text = self.server.matched_rule_text(&answer.note);
        self.set(Var::MatchedRule, Cell::Words(Arc::from(rule_text)));
        let response = answer.response.clone();
        self.exchanges.push(Exchange {
            kind,
            request,
            response: answer.response,
            matched_rule,
            server: answer.note,
            cookies,
        });
        Some((self.exchanges.len() - 1, response))
    }

    /// What the cookie jar takes from the `Set-Cookie` lines of `response`, the network's
    /// answer to `request`.
    fn cookies_set_by(
        &mut self,
        spec: &RequestSpec,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Vec<super::cookies::SetByAnswer> {
        let mut lines = response
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Set-Cookie"))
            .map(|(_, value)| value.as_ref())
            .peekable();
        if lines.peek().is_none() {
            return Vec::new();
        }
        let Ok(url) = url::Url::parse(&request.url) else {
            return Vec::new();
        };
        let page = spec
            .origin
            .as_deref()
            .and_then(|origin| url::Url::parse(origin).ok());
        let credentials = self.credentials_for_cookies(spec, &url);
        self.cookie_jar
            .set_by_answer((page.as_ref(), &url), credentials, lines)
    }

    /// The credentials mode cookies go by: the request's, but "omit" for a no-cors load from
    /// another origin when the page's Cross-Origin-Embedder-Policy is `credentialless` (HTML
    /// §"Cross-Origin-Embedder-Policy").
    fn credentials_for_cookies(&self, spec: &RequestSpec, url: &url::Url) -> Credentials {
        let cross_origin = spec.origin.as_deref() != origin_of(url).as_deref();
        if self.scenario.embedder_policy == crate::scenario::EmbedderPolicy::Credentialless
            && spec.via.is_no_cors()
            && cross_origin
        {
            Credentials::Omit
        } else {
            spec.credentials
        }
    }

    /// What the cookie jar gives a request the page (or its `<img>`) sends to `request.url`.
    fn cookies_for(
        &self,
        spec: &RequestSpec,
        request: &HttpRequest,
    ) -> Option<Box<super::cookies::CookieDecision>> {
        if self.cookie_jar.is_empty() {
            return None;
        }
        let url = url::Url::parse(&request.url).ok()?;
        let page = spec
            .origin
            .as_deref()
            .and_then(|origin| url::Url::parse(origin).ok());
        // An element without `crossorigin` has credentials "include" from validation on.
        let credentials = self.credentials_for_cookies(spec, &url);
        self.cookie_jar
            .decide(page.as_ref(), &url, credentials)
            .map(Box::new)
    }

    fn start_request(&mut self, index: usize, spec: &RequestSpec, method: &str) {
        self.cache_key = (
            spec.origin.clone().unwrap_or_else(|| "null".to_string()),
            spec.url.to_string(),
        );
        self.cache_summary = None;
        self.redirected = None;
        self.initiator = spec.initiator;
        self.exchanges.clear();
        self.profile_notes.clear();
        self.set(
            Var::Request,
            Cell::Request {
                number: index,
                method: Arc::from(method),
                path: Arc::from(path_of(spec)),
                after_redirect: None,
            },
        );
        self.set(
            Var::Origin,
            Cell::Origin(match spec.origin.as_deref() {
                Some(origin) => OriginSent::Page(Arc::from(origin)),
                None => OriginSent::NoPage,
            }),
        );
        for var in [Var::Preflight, Var::MatchedRule, Var::ExposedHeaders] {
            self.set(var, Cell::Unset);
        }
        self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::Pending));
        self.set(Var::ResponseReceived, Cell::ResponseReceived(Received::No));
        self.show_cached_copies(spec);
        if let Some(from) = self.upgraded_from.take() {
            self.push_step(
                index,
                (Stage::Request, Verdict::Info),
                StepEvent::MixedContentUpgraded { from },
                None,
            );
        }
    }

    /// The tracker's Cached Copies: what the current request's edge and the browser hold for
    /// its URL now.
    fn show_cached_copies(&mut self, spec: &RequestSpec) {
        if Var::CachedCopies as usize >= self.vars.len() {
            return;
        }
        let now = self.now;
        let mut copies: Vec<CachedCopy> = self
            .edge_copies
            .iter()
            .filter(|c| {
                c.edge.as_deref() == spec.edge.as_deref()
                    && c.path.split('?').next() == Some(spec.url.path())
                    && now < c.at.saturating_add(c.ttl)
            })
            .map(|c| CachedCopy {
                holder: CacheHolder::Edge { options: c.options },
                at: c.at,
                origin: c.origin.clone(),
                acao: c.acao.clone(),
            })
            .collect();
        copies.extend(
            self.http_cache
                .copies((spec.origin.as_deref(), spec.url.as_str()), now)
                .map(|(stored, acao)| CachedCopy {
                    holder: CacheHolder::Browser,
                    at: stored.at,
                    origin: stored.origin.clone(),
                    acao,
                }),
        );
        self.set(Var::CachedCopies, Cell::CachedCopies(copies));
    }

    /// Notes what CloudFront stored on the way back from an exchange.
    fn note_edge_copies(&mut self, note: &ServerNote, request: &HttpRequest, spec: &RequestSpec) {
        use crate::server::cloudfront::{Caching, Note};
        for cloudfront in note.cloudfront_notes() {
            if let Note::Miss {
                key,
                now,
                caching: Caching::Stored { ttl, .. },
                stored_acao,
                ..
            } = cloudfront
            {
                // The new copy replaces the one under the same key.
                let origin = request.header("Origin");
                self.edge_copies.retain(|c| {
                    let same_entry =
                        c.edge == key.edge && c.path == key.path && c.options == key.options;
                    !(same_entry && (!key.holds_origin() || c.origin == origin))
                });
                self.edge_copies.push(EdgeCopy {
                    edge: key.edge.clone(),
                    path: key.path.clone(),
                    options: key.options,
                    at: *now,
                    ttl: *ttl,
                    origin,
                    acao: stored_acao.clone(),
                });
            }
        }
        self.show_cached_copies(spec);
    }

    /// [`Self::finish_request`] for a request no CORS check started on: a raw client's, a
    /// no-cors one, or one blocked before it was sent. It is not same-origin, no preflight came
    /// from the cache, and fetch() dropped none of its headers.
    fn finish_outside_cors(
        &mut self,
        index: usize,
        spec: &RequestSpec,
        method: String,
        first_step: usize,
        ending: Ending,
    ) {
        self.finish_request(
            index,
            spec,
            method,
            false,
            false,
            Vec::new(),
            first_step,
            ending,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_request(
        &mut self,
        index: usize,
        spec: &RequestSpec,
        method: String,
        same_origin: bool,
        cache_hit: bool,
        dropped: Vec<String>,
        first_step: usize,
        ending: Ending,
    ) {
        // Moved out at its exact length: a trace keeps hundreds of thousands of these lists, and
        // the working list keeps its room for the next request.
        let exchanges: Vec<Exchange> = self.exchanges.drain(..).collect();
        // An answer that failed the CORS check is never read to its end, so the browser's cache
        // does not keep it (observed in Chromium 148: the same fetch again reached the server).
        // A redirect has no body to read: one that failed is kept, and fails again without
        // asking (observed in Chromium 156). A 301 without Location (S3's PermanentRedirect) is
        // no redirect but an answer, and is dropped like one (observed in Chromium 156).
        if ending.outcome == Outcome::Blocked
            && ending.failed_at == Some(ExchangeKind::Actual)
            && let Some(failed) = exchanges.last()
            && failed.kind == ExchangeKind::Actual
            && failed.response.redirect_location().is_none()
            && !matches!(failed.server, ServerNote::BrowserCache { .. })
        {
            self.http_cache.forget((index, &failed.request.url));
        }
        let matched_rule = exchanges.last().and_then(|e| e.matched_rule);
        let url = spec.url.to_string();
        let origin = spec.origin.clone();
        // A redirected request failed at its last hop, whose URL its last exchange went to.
        let failed_url = exchanges
            .last()
            .map_or(url.as_str(), |e| e.request.url.as_str());
        let firefox = self.recorded_by_firefox().then(|| {
            FirefoxFacts::of(
                ending.failure.as_ref(),
                exchanges.last().map(|e| &e.response),
            )
        });
        let error = ending.failure.as_ref().map(|f| {
            self.console_message(f, failed_url, origin.as_deref().unwrap_or("null"), firefox)
        });
        self.finished = Some(RequestRecord {
            index,
            origin,
            method,
            url,
            via: spec.via,
            initiator: spec.initiator,
            credentials: spec.credentials,
            cache: spec.cache,
            same_origin,
            preflight: exchanges.iter().any(|e| e.kind == ExchangeKind::Preflight),
            cache_hit,
            outcome: ending.outcome,
            failed_at: ending.failed_at,
            cors_error: ending.failure.as_ref().map(|f| f.error),
            console: error,
            matched_rule,
            exposed_headers: ending.exposed,
            exchanges,
            dropped_headers: dropped,
            expect: spec.expect,
            note: spec.note.clone(),
            profile_notes: std::mem::take(&mut self.profile_notes),
            summary: ending.summary,
            preflight_reasons: ending.preflight_reasons,
            steps: first_step..self.steps_before + self.steps.len(),
        });
    }

    fn raw_request(&mut self, index: usize, spec: &RequestSpec) {
        let first_step = self.steps_before + self.steps.len();
        let method = spec.method.clone();
        self.start_request(index, spec, &method);
        if spec.actual_withheld {
            self.hold_back_raw(index, spec, first_step);
            return;
        }
        let mut headers = vec![
            host_header(spec, &mut self.texts),
            self.texts.header("User-Agent", "curl/8.5.0"),
        ];
        if !spec
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
        {
            headers.push(self.texts.header("Accept", "*/*"));
        }
        if let Some(origin) = &spec.origin {
            headers.push(self.texts.header("Origin", origin));
        }
        headers.extend(spec.headers.iter().cloned());
        self.send_unchecked(index, spec, (method, headers), first_step, Unchecked::Raw);
    }

    /// A page's `<img>` or `<script>` without `crossorigin`: a no-cors GET with no Origin
    /// (observed in Chromium 148), whose answer the page shows or runs but its scripts cannot
    /// read; no CORS check.
    fn image_request(&mut self, index: usize, spec: &RequestSpec) {
        let first_step = self.steps_before + self.steps.len();
        let method = "GET".to_string();
        self.start_request(index, spec, &method);
        if spec.actual_withheld {
            self.hold_back_raw(index, spec, first_step);
            return;
        }
        let headers = vec![
            host_header(spec, &mut self.texts),
            self.texts.header("Accept", spec.initiator.accept()),
            self.texts.header("Sec-Fetch-Mode", "no-cors"),
            self.texts
                .header("Sec-Fetch-Dest", spec.initiator.destination()),
        ];
        self.set(Var::Origin, Cell::Origin(OriginSent::NoCors));
        self.send_unchecked(index, spec, (method, headers), first_step, Unchecked::Image);
    }

    /// fetch() with `mode: 'no-cors'` (observed in Chromium 148): Origin only on a POST, the
    /// script's headers only where CORS-safelisted (a JSON Content-Type is dropped), and the
    /// promise resolves with an opaque response: type "opaque", status 0, no headers, no body.
    fn no_cors_request(&mut self, index: usize, spec: &RequestSpec) {
        let first_step = self.steps_before + self.steps.len();
        let method = normalize_method(&spec.method);
        self.start_request(index, spec, &method);
        if spec.actual_withheld {
            self.hold_back_raw(index, spec, first_step);
            return;
        }
        let mut headers = vec![
            host_header(spec, &mut self.texts),
            self.texts.header("Accept", "*/*"),
        ];
        if method == "POST"
            && let Some(origin) = &spec.origin
        {
            headers.push(self.texts.header("Origin", origin));
        }
        headers.extend(
            spec.headers
                .iter()
                .filter(|(name, value)| {
                    !is_forbidden_request_header(name, value)
                        && super::fetch_rules::unsafe_header_reason(name, value).is_none()
                })
                .cloned(),
        );
        headers.push(self.texts.header("Sec-Fetch-Mode", "no-cors"));
        headers.push(self.texts.header("Sec-Fetch-Dest", "empty"));
        if method != "POST" {
            self.set(Var::Origin, Cell::Origin(OriginSent::NoCorsGet));
        }
        self.send_unchecked(
            index,
            spec,
            (method, headers),
            first_step,
            Unchecked::NoCors,
        );
    }

    /// Sends a request no CORS check applies to, and ends it as sent: a raw client's, or an
    /// element's in no-cors mode.
    fn send_unchecked(
        &mut self,
        index: usize,
        spec: &RequestSpec,
        (method, headers): (String, Vec<Header>),
        first_step: usize,
        who: Unchecked,
    ) {
        let (preflight, allowed, start, sent) = match who {
            Unchecked::Raw => (
                PreflightState::NoBrowser,
                Allowed::NoBrowser,
                StepEvent::RawStart,
                StepEvent::RawSent,
            ),
            Unchecked::Image => (
                PreflightState::NoCors,
                Allowed::NoCorsCheck,
                StepEvent::ImageStart,
                StepEvent::ImageLoaded,
            ),
            Unchecked::NoCors => (
                PreflightState::NoCors,
                Allowed::NoCorsCheck,
                StepEvent::NoCorsStart,
                StepEvent::NoCorsResolved,
            ),
        };
        self.set(Var::Preflight, Cell::Preflight(preflight));
        self.set(Var::RequestAllowed, Cell::RequestAllowed(allowed));
        self.push_step(index, (Stage::Request, Verdict::Info), start, None);
        let request = HttpRequest {
            method: self.texts.text(&method).into(),
            url: self.url_text(spec.url.as_str()),
            headers: headers.into(),
        };
        let Some((mut ex, mut response)) =
            self.exchange((index, ExchangeKind::Actual), request, spec)
        else {
            self.hold_back_raw(index, spec, first_step);
            return;
        };
        // A no-cors request follows redirects as any fetch does, with no CORS check at any hop
        // (Fetch §"HTTP-redirect fetch"); a raw client, like curl, does not.
        let mut at = std::borrow::Cow::Borrowed(spec);
        let mut hop = 0;
        let page = spec.origin.as_deref().unwrap_or("null");
        // Fetch checks an answer's Cross-Origin-Resource-Policy at every hop, a redirect's
        // included: one it refuses ends the request there.
        let policies = (self.profile, self.scenario.embedder_policy);
        let refused_at = |exchange: &Exchange, response: &HttpResponse| {
            url::Url::parse(&exchange.request.url)
                .ok()
                .and_then(|url| super::corp::refuses(page, &url, response, policies))
        };
        let mut refused = None;
        loop {
            if who == Unchecked::Raw {
                break;
            }
            refused = refused_at(&self.exchanges[ex], &response);
            let Some(location) = response.redirect_location().filter(|_| refused.is_none()) else {
                break;
            };
            self.set(
                Var::ResponseReceived,
                Cell::ResponseReceived(Received::Redirect {
                    status: response.status,
                }),
            );
            let sent = self.exchanges[ex].request.clone();
            let next = match self.unchecked_hop(spec, &at, (&sent, &response), &location, hop) {
                Ok(next) => next,
                Err(failure) => {
                    let ending = self.redirect_refused(index, ex, failure, false, Vec::new());
                    self.finish_outside_cors(index, spec, method, first_step, ending);
                    return;
                }
            };
            self.push_event(
                index,
                (Stage::ResponseCheck, Verdict::Info),
                StepEvent::NoCorsRedirectFollowed,
                ex,
            );
            hop += 1;
            let (next_spec, request) = next;
            self.set(
                Var::Request,
                Cell::Request {
                    number: index,
                    method: Arc::from(next_spec.method.as_str()),
                    path: Arc::from(path_of(&next_spec)),
                    after_redirect: Some(hop),
                },
            );
            let Some(answered) = self.exchange((index, ExchangeKind::Actual), request, &next_spec)
            else {
                self.hold_back_raw(index, spec, first_step);
                return;
            };
            (ex, response) = answered;
            at = std::borrow::Cow::Owned(next_spec);
        }
        let status = response.status;
        // Opaque Response Blocking looks at an answer the page may not read: one from another
        // origin than the page's, at any hop (Chromium only; Fetch has no ORB yet).
        let opaque = page == "null"
            || self.exchanges.iter().any(|e| {
                url::Url::parse(&e.request.url)
                    .ok()
                    .and_then(|url| origin_of(&url))
                    .as_deref()
                    != Some(page)
            });
        // `refused`: the last answer's Cross-Origin-Resource-Policy (Fetch §"HTTP fetch"), which
        // comes before ORB looks at the body (inferred order).
        let (received, exposed, by) = match who {
            Unchecked::Raw => (
                Received::FullyReadable { status },
                Exposed::AllNoBrowser,
                UncheckedBy::Raw,
            ),
            Unchecked::NoCors => {
                let withheld = match super::orb::decide(&response, true) {
                    super::orb::Orb::Blocked(why)
                        if opaque
                            && refused.is_none()
                            && self.profile == BrowserProfile::Chromium =>
                    {
                        Some(why)
                    }
                    _ => None,
                };
                let received = if refused.is_some() {
                    Received::RefusedByCorp { status }
                } else {
                    Received::Opaque { status }
                };
                (
                    received,
                    Exposed::NoneOpaque,
                    UncheckedBy::NoCorsFetch { withheld, refused },
                )
            }
            Unchecked::Image => {
                let outcome = match refused {
                    Some(policy) => ElementOutcome::Refused(policy),
                    None => element_outcome(spec.initiator, &response, self.profile, opaque),
                };
                let received = match outcome {
                    ElementOutcome::Loads if spec.initiator == Initiator::Script => {
                        Received::ScriptRun { status }
                    }
                    ElementOutcome::Loads => Received::Shown { status },
                    ElementOutcome::ErrorStatus => Received::NotLoaded { status },
                    ElementOutcome::WrongType => Received::WrongType { status },
                    ElementOutcome::Withheld(_) => Received::WithheldByOrb { status },
                    ElementOutcome::Refused(_) => Received::RefusedByCorp { status },
                };
                (received, Exposed::NoneOpaque, UncheckedBy::Element(outcome))
            }
        };
        let summary = Summary::new(Ended::Unchecked(by));
        self.set(Var::ResponseReceived, Cell::ResponseReceived(received));
        self.set(Var::ExposedHeaders, Cell::ExposedHeaders(exposed));
        self.push_event(index, (Stage::Actual, Verdict::Sent), sent, ex);
        self.finish_outside_cors(
            index,
            spec,
            method,
            first_step,
            Ending {
                outcome: Outcome::Sent,
                preflight_reasons: Vec::new(),
                failed_at: None,
                failure: None,
                exposed: Vec::new(),
                summary,
            },
        );
    }

    /// The next hop of a no-cors request whose answer at `hop` redirects to `location`: the
    /// request as it goes there (Fetch §"HTTP-redirect fetch": a 301 or 302 turns a POST into a
    /// GET, a 303 anything but GET and HEAD; an Origin, sent only on a POST, becomes `null` once
    /// the request has left the page's origin for another), or why it is not followed.
    fn unchecked_hop(
        &mut self,
        original: &RequestSpec,
        at: &RequestSpec,
        (sent, response): (&HttpRequest, &HttpResponse),
        location: &str,
        hop: usize,
    ) -> Result<(RequestSpec, HttpRequest), CorsFailure> {
        let next_url = at
            .url
            .join(location)
            .map_err(|_| CorsFailure::new(CorsError::InvalidRedirect, location))?;
        if !matches!(next_url.scheme(), "http" | "https") {
            let error = match self.profile {
                BrowserProfile::Chromium => chromium_scheme_error(next_url.scheme(), false),
                BrowserProfile::Standard => CorsError::InvalidRedirect,
            };
            return Err(CorsFailure::new(error, location));
        }
        if hop == MAX_REDIRECTS {
            return Err(CorsFailure::new(CorsError::TooManyRedirects, ""));
        }
        let page_origin = original.origin.as_deref().unwrap_or("null");
        let next_url = self.next_hop_url(original, next_url)?;
        let origin = sent.header("Origin");
        let next = redirect_hop(
            (response.status, sent.method.as_ref()),
            (&at.url, &next_url),
            origin.as_deref().unwrap_or(page_origin),
            page_origin,
        );
        let method = next.method.to_string();
        let body_dropped = method != sent.method.as_ref();
        let tainted = next.tainted;
        let mut headers: Vec<Header> = sent
            .headers
            .iter()
            .filter(|(name, _)| {
                // The next hop gets its own Host, Origin and cookies.
                let own = ["Host", "Origin", "Cookie"]
                    .iter()
                    .any(|own| name.eq_ignore_ascii_case(own));
                let body = REQUEST_BODY_HEADERS
                    .iter()
                    .any(|b| name.eq_ignore_ascii_case(b));
                !(own || (body_dropped && body))
            })
            .cloned()
            .collect();
        let next_spec = RequestSpec {
            method,
            url: next_url,
            responses: original
                .responses
                .at_hop(hop + 1)
                .cloned()
                .unwrap_or_default(),
            ..at.clone()
        };
        headers.insert(0, host_header(&next_spec, &mut self.texts));
        if origin.is_some() && next_spec.method == "POST" {
            let origin = if tainted { "null" } else { page_origin };
            headers.insert(1, self.texts.header("Origin", origin));
        }
        let request = HttpRequest {
            method: self.texts.text(&next_spec.method).into(),
            url: self.url_text(next_spec.url.as_str()),
            headers: headers.into(),
        };
        Ok((next_spec, request))
    }

    /// A redirect at exchange `ex` the browser does not follow (`cors_checked`: it failed the
    /// CORS check or came after it): the request ends there, blocked; a no-cors fetch rejects,
    /// an element fails.
    fn redirect_refused(
        &mut self,
        index: usize,
        ex: usize,
        failure: CorsFailure,
        cors_checked: bool,
        preflight_reasons: Vec<PreflightReason>,
    ) -> Ending {
        self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::No));
        self.push_event(
            index,
            (Stage::ResponseCheck, Verdict::Blocked),
            StepEvent::RedirectBlocked {
                failure: Box::new(failure.clone()),
                cors_checked,
            },
            ex,
        );
        Ending {
            outcome: Outcome::Blocked,
            preflight_reasons,
            failed_at: Some(ExchangeKind::Actual),
            summary: Summary::new(Ended::BlockedAtRedirect(failure.clone())),
            failure: Some(failure),
            exposed: Vec::new(),
        }
    }

    /// A raw request a probe did not send.
    fn hold_back_raw(&mut self, index: usize, spec: &RequestSpec, first_step: usize) {
        let method = spec.method.clone();
        let nothing = (Vec::new(), Vec::new());
        self.withhold_actual(
            index,
            spec,
            method,
            first_step,
            nothing.0,
            nothing.1,
            (false, false),
            0,
        );
    }

    /// A live probe held the request back: after its preflight (an unsafe method), or at a
    /// later hop it stopped before (`hop` > 0: a private address, an unreachable host). The run
    /// ends there, with no verdict on the response it did not get.
    #[allow(clippy::too_many_arguments)]
    fn withhold_actual(
        &mut self,
        index: usize,
        spec: &RequestSpec,
        method: String,
        first_step: usize,
        dropped: Vec<String>,
        reasons: Vec<PreflightReason>,
        (same_origin, cache_hit): (bool, bool),
        hop: usize,
    ) {
        self.set(
            Var::RequestAllowed,
            Cell::RequestAllowed(Allowed::NotSentByProbe),
        );
        let summary = Summary::new(Ended::Withheld {
            hop,
            url: spec.url.to_string(),
            method: method.clone(),
            preflighted: self
                .exchanges
                .iter()
                .any(|e| e.kind == ExchangeKind::Preflight),
        });
        let target = Box::new(HopTarget {
            number: hop,
            method: method.clone(),
            url: spec.url.to_string(),
            origin: String::new(),
        });
        self.push_step(
            index,
            (Stage::Actual, Verdict::Info),
            StepEvent::Withheld { target },
            None,
        );
        self.finish_request(
            index,
            spec,
            method,
            same_origin,
            cache_hit,
            dropped,
            first_step,
            Ending {
                outcome: Outcome::Sent,
                preflight_reasons: reasons,
                failed_at: None,
                failure: None,
                exposed: Vec::new(),
                summary,
            },
        );
    }

    fn browser_request(&mut self, index: usize, spec: &RequestSpec) {
        let first_step = self.steps_before + self.steps.len();
        let method = normalize_method(&spec.method);
        let origin = spec.origin.clone().unwrap_or_else(|| "null".to_string());
        self.start_request(index, spec, &method);

        // What fetch() keeps of the page's headers: forbidden names dropped, repeats combined.
        let mut kept: Vec<Header> = Vec::new();
        let mut kept_at: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
        let mut dropped = Vec::new();
        for (name, value) in &spec.headers {
            if is_forbidden_request_header(name, value) {
                dropped.push(name.to_string());
            } else if let Some(&at) = kept_at.get(&name.to_ascii_lowercase()) {
                let existing = &mut kept[at];
                existing.1 = format!("{}, {value}", existing.1).into();
            } else {
                kept_at.insert(name.to_ascii_lowercase(), kept.len());
                kept.push((name.clone(), value.clone()));
            }
        }
        let url_origin = origin_of(&spec.url);
        let same_origin = origin != "null" && url_origin.as_deref() == Some(origin.as_str());

        // Response tainting (Fetch §"main fetch"): 'basic' while the request stays on the
        // page's origin, 'cors' for good once it leaves it.
        let mut cors = !same_origin;
        let mut hop = 0;
        let mut next: Option<Box<RequestSpec>> = None;
        loop {
            let current = next.as_deref().unwrap_or(spec);
            // Forbidden headers were dropped once, at the page's own request.
            let hop_kept = match hop {
                0 => kept.as_slice(),
                _ => current.headers.as_slice(),
            };
            let input = HopInput {
                original: spec,
                spec: current,
                number: hop,
                kept: hop_kept,
                dropped: &dropped,
                first_step,
            };
            let fetched = if cors {
                self.cors_fetch(index, input)
            } else {
                self.same_origin_fetch(index, input)
            };
            match fetched {
                Fetched::Ended {
                    mut ending,
                    cache_hit,
                } => {
                    if hop > 0 {
                        ending.summary.at_hop = Some(Box::new(HopEnd {
                            url: current.url.to_string(),
                            redirects: hop,
                            origin_null: current.origin.as_deref() == Some("null")
                                && spec.origin.as_deref() != Some("null"),
                        }));
                    }
                    self.finish_request(
                        index, spec, method, !cors, cache_hit, dropped, first_step, ending,
                    );
                    return;
                }
                Fetched::Withheld => return,
                Fetched::Redirect(following) => {
                    cors |= origin_of(&following.url).as_deref() != Some(origin.as_str());
                    next = Some(following);
                    hop += 1;
                }
            }
        }
    }

    /// Fetch from the CORS decision on: preflight when needed, the actual request, its CORS
    /// check; a redirect answer comes back as the next hop.
    fn cors_fetch(&mut self, index: usize, input: HopInput) -> Fetched {
        let HopInput {
            spec,
            number: hop,
            kept,
            dropped,
            first_step,
            ..
        } = input;
        let method = normalize_method(&spec.method);
        let origin = spec.origin.clone().unwrap_or_else(|| "null".to_string());
        // A later hop the probe never sent anything to (not even its preflight) ends here.
        let nothing_sent = input
            .original
            .responses
            .at_hop(hop)
            .is_none_or(|answers| answers.preflight.is_none() && answers.actual.is_none());
        if hop > 0 && input.withheld() && nothing_sent {
            self.withhold_actual(
                index,
                spec,
                method,
                first_step,
                dropped.to_vec(),
                Vec::new(),
                (false, false),
                hop,
            );
            return Fetched::Withheld;
        }
        let include = spec.credentials == Credentials::Include;
        let unsafe_headers = unsafe_request_headers(kept);
        let sorted = sorted_names(&unsafe_headers);
        let method_safe = is_safelisted_method(&method);
        let needs_preflight = !method_safe || !unsafe_headers.is_empty();
        let reasons = preflight_reasons(&method, &unsafe_headers);

        let url = spec.url.to_string();
        let query = Query {
            origin: &origin,
            url: &url,
            credentials_include: include,
            method: &method,
            unsafe_names: &sorted,
            now: self.now,
        };
        let (lookup, other_lookup) = if needs_preflight && spec.preflight_not_recorded {
            (Some(Lookup::NotRecorded), None)
        } else if needs_preflight {
            let mine = self.cache_lookup(&query, spec.cache, self.profile);
            let theirs = self.cache_lookup(&query, spec.cache, self.profile.other());
            let differs = mine.hit() != theirs.hit();
            (Some(mine), differs.then_some(theirs))
        } else {
            (None, None)
        };
        let cache_hit = lookup.as_ref().is_some_and(Lookup::hit);
        if let Some(theirs) = &other_lookup {
            self.profile_notes.push(ProfileNote::CacheLookup {
                profile: self.profile,
                theirs: theirs.clone(),
                method: method.clone(),
                sorted: sorted.clone(),
            });
        }
        self.set(
            Var::Preflight,
            Cell::Preflight(if !needs_preflight {
                PreflightState::NotNeeded
            } else if cache_hit {
                PreflightState::CacheHit
            } else {
                PreflightState::Needed
            }),
        );
        let start = RequestStart {
            hop: (hop > 0).then(|| HopTarget {
                number: hop,
                method: method.clone(),
                url: url.clone(),
                origin: origin.clone(),
            }),
            kept: kept.to_vec(),
            lookup,
            other_lookup,
            now: self.now,
            allowed_local: self.allowed_local.take(),
        };
        self.push_step(
            index,
            (Stage::Request, Verdict::Info),
            StepEvent::RequestStart(Box::new(start)),
            None,
        );

        if needs_preflight && !cache_hit {
            let passed = self.preflight(
                index,
                spec,
                &origin,
                &method,
                include,
                &unsafe_headers,
                &sorted,
            );
            match passed {
                Err(mut ending) => {
                    ending.preflight_reasons = reasons;
                    return Fetched::Ended {
                        ending: *ending,
                        cache_hit: false,
                    };
                }
                Ok(Sent::HeldBack) => {
                    let route = (false, false);
                    let dropped = dropped.to_vec();
                    self.withhold_actual(
                        index, spec, method, first_step, dropped, reasons, route, hop,
                    );
                    return Fetched::Withheld;
                }
                Ok(Sent::Answered) => {}
            }
        }

        // The actual request, unless the driver holds it back.
        let request = HttpRequest {
            method: self.texts.text(&method).into(),
            url: self.url_text(&url),
            headers: actual_headers(spec, kept, Some(&origin), false, &mut self.texts).into(),
        };
        let answered = if input.withheld() {
            None
        } else {
            self.exchange((index, ExchangeKind::Actual), request, spec)
        };
        let Some((ex, response)) = answered else {
            let route = (false, cache_hit);
            let dropped = dropped.to_vec();
            self.withhold_actual(
                index, spec, method, first_step, dropped, reasons, route, hop,
            );
            return Fetched::Withheld;
        };
        if let Some(failure) = self.recorded_network_error(spec, ExchangeKind::Actual) {
            let at = (ExchangeKind::Actual, ex);
            let mut ending = self.end_with_network_error(index, at, failure);
            ending.preflight_reasons = reasons;
            return Fetched::Ended { ending, cache_hit };
        }
        self.set(
            Var::ResponseReceived,
            Cell::ResponseReceived(Received::Yes {
                status: response.status,
            }),
        );
        let why = if !needs_preflight {
            WhySent::NoPreflightNeeded
        } else if cache_hit {
            WhySent::CachedPreflight
        } else {
            WhySent::PreflightPassed
        };
        self.push_event(
            index,
            (Stage::Actual, Verdict::Info),
            StepEvent::ActualSent { why },
            ex,
        );

        if let Some(redirect) = self.redirect(
            index,
            input,
            &method,
            (&response, ex),
            &reasons,
            (true, cache_hit),
        ) {
            return redirect;
        }

        // The CORS check on the actual response (Fetch §"HTTP fetch", §"CORS check").
        let checked = cors_check(&response, &origin, include);
        let ending = match checked {
            Ok(()) => {
                let exposed = exposed_headers(&response, include);
                self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::Yes));
                self.set(
                    Var::ExposedHeaders,
                    Cell::ExposedHeaders(Exposed::Listed(exposed.clone())),
                );
                let acao = response
                    .header("Access-Control-Allow-Origin")
                    .unwrap_or_default();
                let by = if acao == "*" {
                    AllowedBy::AnyOrigin
                } else {
                    AllowedBy::Origin {
                        origin: origin.to_string(),
                        credentials: include,
                    }
                };
                self.push_event(
                    index,
                    (Stage::ResponseCheck, Verdict::Allowed),
                    StepEvent::ResponseAllowed,
                    ex,
                );
                let route = if !needs_preflight {
                    Route::Simple
                } else if cache_hit {
                    Route::CachedPreflight
                } else {
                    Route::PreflightPassed
                };
                Ending {
                    outcome: Outcome::Allowed,
                    preflight_reasons: reasons.clone(),
                    failed_at: None,
                    failure: None,
                    exposed,
                    summary: Summary::new(Ended::Allowed {
                        route,
                        by,
                        element: self.initiator.is_element().then(|| {
                            super::fetch_rules::cors_element(
                                self.initiator,
                                &self.exchanges[ex].response,
                                self.profile,
                            )
                        }),
                    }),
                }
            }
            Err(failure) => {
                if needs_preflight {
                    self.cache.clear_for_standard(&origin, &url, self.now);
                }
                self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::No));
                self.set(
                    Var::ResponseReceived,
                    Cell::ResponseReceived(Received::Hidden {
                        status: response.status,
                    }),
                );
                self.push_event(
                    index,
                    (Stage::ResponseCheck, Verdict::Blocked),
                    StepEvent::ResponseBlocked {
                        failure: Box::new(failure.clone()),
                    },
                    ex,
                );
                Ending {
                    outcome: Outcome::Blocked,
                    preflight_reasons: reasons.clone(),
                    failed_at: Some(ExchangeKind::Actual),
                    summary: Summary::new(Ended::BlockedAtActual(failure.clone())),
                    failure: Some(failure),
                    exposed: Vec::new(),
                }
            }
        };
        Fetched::Ended { ending, cache_hit }
    }

    /// Whether the server's answers are a recording Firefox wrote, whose console lines and
    /// quirks the replay then follows.
    fn recorded_by_firefox(&self) -> bool {
        matches!(
            self.scenario.server.kind,
            ServerKind::Recorded {
                by: Recorder::Browser(RecordingBrowser::Firefox)
            }
        )
    }

    /// The console line for `failure` at `url`, naming where a redirected request started and
    /// the page's origin (not the `null` a tainted hop sends); with `firefox`, what Firefox's own
    /// line names too.
    fn console_message(
        &self,
        failure: &CorsFailure,
        url: &str,
        origin: &str,
        firefox: Option<FirefoxFacts>,
    ) -> ConsoleLine {
        // Chromium follows a redirect to a scheme it refuses, then fails at the new URL (the
        // failure's Location): the console names it, redirected from the first.
        // So does Local Network Access, refusing the new URL (its parameter).
        let at_new_url = failure.error == CorsError::CorsDisabledScheme
            || (failure.error.is_refused_before_sending()
                && failure.error != CorsError::MixedContent
                && failure.parameter != url);
        let refused = at_new_url
            .then(|| url::Url::parse(url).ok()?.join(&failure.parameter).ok())
            .flatten();
        let (url, redirected_from, origin) = match (&self.redirected, &refused) {
            (Some(r), _) => (
                refused.as_ref().map_or(url, url::Url::as_str),
                Some(r.initial_url.as_str()),
                r.page_origin.as_str(),
            ),
            (None, Some(next)) => (next.as_str(), Some(url), origin),
            (None, None) => (url, None, origin),
        };
        ConsoleLine::Failure(Box::new(ConsoleFacts {
            failure: failure.clone(),
            url: url.to_string(),
            redirected_from: redirected_from.map(str::to_string),
            origin: origin.to_string(),
            initiator: self.initiator,
            firefox,
        }))
    }

    /// Fetch §"HTTP fetch" and §"HTTP-redirect fetch" for an answer to the actual request at
    /// `hop`: `None` unless it is a redirect (a redirect status with a Location; without one,
    /// fetch hands the answer to the page as it is). A redirect must pass the CORS check
    /// before the browser follows it.
    fn redirect(
        &mut self,
        index: usize,
        input: HopInput,
        method: &str,
        (response, ex): (&HttpResponse, usize),
        reasons: &[PreflightReason],
        (cors_checked, cache_hit): (bool, bool),
    ) -> Option<Fetched> {
        let HopInput {
            original,
            spec,
            number: hop,
            kept,
            ..
        } = input;
        let location = response.redirect_location()?;
        let origin = spec.origin.as_deref().unwrap_or("null");
        let include = spec.credentials == Credentials::Include;
        let page_origin = original.origin.as_deref().unwrap_or("null");
        // The next hop's own refusal counts last, after the redirect's checks.
        let (next_url, hop_refused) = match spec.url.join(&location).ok() {
            Some(next) if matches!(next.scheme(), "http" | "https") => {
                match self.next_hop_url(original, next.clone()) {
                    Ok(next) => (Some(next), None),
                    Err(refused) => (Some(next), Some(refused)),
                }
            }
            other => (other, None),
        };
        let checked = if cors_checked {
            cors_check(response, origin, include)
        } else {
            Ok(())
        };
        let passed = checked.is_ok();
        let failure = if let Err(failure) = checked {
            Some(failure)
        } else {
            match &next_url {
                Some(next) if matches!(next.scheme(), "http" | "https") => {
                    let credentials = !next.username().is_empty() || next.password().is_some();
                    // A same-origin request may redirect to credentials on its own origin.
                    let refused = cors_checked || origin_of(next).as_deref() != Some(page_origin);
                    if hop == MAX_REDIRECTS {
                        Some(CorsFailure::new(CorsError::TooManyRedirects, ""))
                    } else if credentials && refused {
                        // Chromium reports this with an empty location.
                        Some(CorsFailure::new(CorsError::RedirectContainsCredentials, ""))
                    } else {
                        hop_refused
                    }
                }
                Some(next) if self.profile == BrowserProfile::Chromium => Some(CorsFailure::new(
                    chromium_scheme_error(next.scheme(), true),
                    location.as_str(),
                )),
                _ => Some(CorsFailure::new(
                    CorsError::InvalidRedirect,
                    location.as_str(),
                )),
            }
        };
        // Where the two profiles part: a redirect that passed the CORS check, to a Location that
        // parses but is not http(s).
        let scheme_note = next_url
            .as_ref()
            .filter(|next| passed && !matches!(next.scheme(), "http" | "https"))
            .map(|next| ProfileNote::RedirectScheme {
                profile: self.profile,
                scheme: next.scheme().to_string(),
            });
        self.set(
            Var::ResponseReceived,
            Cell::ResponseReceived(Received::Redirect {
                status: response.status,
            }),
        );
        if let Some(failure) = failure {
            if let Some(note) = scheme_note {
                self.profile_notes.push(note);
            }
            let ending = self.redirect_refused(index, ex, failure, cors_checked, reasons.to_vec());
            return Some(Fetched::Ended { ending, cache_hit });
        }
        let next_url = next_url?;

        // What the request becomes at the next hop (Fetch §"HTTP-redirect fetch").
        let next = redirect_hop(
            (response.status, method),
            (&spec.url, &next_url),
            origin,
            page_origin,
        );
        let (next_method, tainted) = (next.method, next.tainted);
        let mut headers = kept.to_vec();
        if next_method != method {
            headers.retain(|(n, _)| {
                !REQUEST_BODY_HEADERS
                    .iter()
                    .any(|b| n.eq_ignore_ascii_case(b))
            });
        }
        if next.cross_origin() {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        }
        self.push_event(
            index,
            (Stage::ResponseCheck, Verdict::Pass),
            StepEvent::RedirectFollowed { cors_checked },
            ex,
        );

        self.redirected.get_or_insert_with(|| Redirected {
            initial_url: original.url.to_string(),
            page_origin: page_origin.to_string(),
        });
        let responses = original
            .responses
            .at_hop(hop + 1)
            .cloned()
            .unwrap_or_default();
        // A browser's recording may lack a hop's preflight (served from its cache); a probe
        // sends every preflight the engine asks for.
        let recorded = matches!(
            self.scenario.server.kind,
            ServerKind::Recorded {
                by: Recorder::Browser(_)
            }
        );
        let next = RequestSpec {
            origin: Some(if tainted { "null" } else { origin }.to_string()),
            method: next_method.to_string(),
            url: next_url,
            headers: headers.into(),
            preflight_not_recorded: recorded && responses.preflight.is_none(),
            actual_withheld: false,
            responses,
            ..spec.clone()
        };
        if tainted {
            self.set(Var::Origin, Cell::Origin(OriginSent::Tainted));
        }
        self.set(
            Var::Request,
            Cell::Request {
                number: index,
                method: Arc::from(next.method.as_str()),
                path: Arc::from(path_of(&next)),
                after_redirect: Some(hop + 1),
            },
        );
        self.cache_key = (
            next.origin.clone().unwrap_or_default(),
            next.url.to_string(),
        );
        self.cache_summary = None;
        Some(Fetched::Redirect(Box::new(next)))
    }

    fn cache_lookup(
        &self,
        query: &Query,
        cache_mode: CacheMode,
        profile: BrowserProfile,
    ) -> Lookup {
        if profile == BrowserProfile::Chromium
            && matches!(
                cache_mode,
                CacheMode::NoStore | CacheMode::NoCache | CacheMode::Reload
            )
        {
            return Lookup::Bypassed(cache_mode);
        }
        self.cache.lookup(query, profile)
    }

    /// The network error a recording holds in place of an answer to the exchange just made.
    fn recorded_network_error(
        &self,
        spec: &RequestSpec,
        kind: ExchangeKind,
    ) -> Option<CorsFailure> {
        if !matches!(self.scenario.server.kind, ServerKind::Recorded { .. }) {
            return None;
        }
        // A hop's spec holds that hop's answers.
        let scripted = server::scripted_for(&spec.responses, kind)?;
        let code = scripted.network_error.as_deref()?;
        // How DevTools records a preflight that Local Network Access refused (Chromium 156,
        // `tests/fixtures/chromium/local-network.har`): a CORS error, at the URL refused. A page
        // that is not a secure context cannot be given the permission.
        if code == super::cors_error::LOCAL_NETWORK_ACCESS_CHECKS {
            let insecure = spec.origin.as_deref().is_some_and(|origin| {
                origin.starts_with("http:")
                    && url::Url::parse(origin)
                        .is_ok_and(|page| address_space(&page) != AddressSpace::Loopback)
            });
            let error = if insecure {
                CorsError::InsecureLocalNetwork
            } else {
                CorsError::LocalNetworkAccessPermissionDenied
            };
            return Some(CorsFailure::new(error, spec.url.as_str()));
        }
        Some(CorsFailure::new(CorsError::from_recorded(code), code))
    }

    /// Ends a request whose exchange `at` got no answer: the browser recorded a network error
    /// (or, with `net::ERR_FAILED`, only that it failed).
    #[allow(clippy::too_many_arguments)]
    fn end_with_network_error(
        &mut self,
        index: usize,
        (kind, ex): (ExchangeKind, usize),
        failure: CorsFailure,
    ) -> Ending {
        let code = &failure.parameter;
        let preflight = kind == ExchangeKind::Preflight;
        if preflight {
            self.set(
                Var::Preflight,
                Cell::Preflight(PreflightState::NoAnswer(Arc::from(code.as_ref()))),
            );
        }
        self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::No));
        self.set(
            Var::ResponseReceived,
            Cell::ResponseReceived(Received::NoAnswer),
        );
        let summary = Summary::new(Ended::NoAnswer(failure.clone()));
        let stage = if preflight {
            Stage::PreflightCheck
        } else {
            Stage::ResponseCheck
        };
        self.push_event(
            index,
            (stage, Verdict::Blocked),
            StepEvent::NoAnswer {
                failure: Box::new(failure.clone()),
            },
            ex,
        );
        Ending {
            outcome: Outcome::Blocked,
            preflight_reasons: Vec::new(),
            failed_at: Some(kind),
            failure: Some(failure),
            exposed: Vec::new(),
            summary,
        }
    }

    /// Sends the preflight and checks its answer; `Err` ends the request as blocked.
    #[allow(clippy::too_many_arguments)]
    fn preflight(
        &mut self,
        index: usize,
        spec: &RequestSpec,
        origin: &str,
        method: &str,
        include: bool,
        unsafe_headers: &[UnsafeHeader],
        sorted: &[String],
    ) -> Result<Sent, Box<Ending>> {
        // Firefox sends a redirected request's preflight with the page's Origin, not the `null`
        // the request itself carries, and checks the answer against it (observed in Firefox
        // 153, on the wire and in `tests/fixtures/firefox/redirects.har`).
        let page_origin = self
            .redirected
            .as_ref()
            .filter(|_| origin == "null" && self.recorded_by_firefox())
            .map(|r| r.page_origin.clone());
        let origin = page_origin.as_deref().unwrap_or(origin);
        let url = spec.url.to_string();
        // Its own room: a trace keeps every preflight's header list.
        let mut headers = Vec::with_capacity(7);
        headers.push(host_header(spec, &mut self.texts));
        headers.push(self.texts.header("Accept", "*/*"));
        headers.push(self.texts.header("Access-Control-Request-Method", method));
        if !sorted.is_empty() {
            headers.push(
                self.texts
                    .header("Access-Control-Request-Headers", &sorted.join(",")),
            );
        }
        headers.push(self.texts.header("Origin", origin));
        headers.push(self.texts.header("Sec-Fetch-Mode", "cors"));
        headers.push(self.texts.header("Sec-Fetch-Dest", "empty"));
        let request = HttpRequest {
            method: self.texts.text("OPTIONS").into(),
            url: self.url_text(&url),
            headers: headers.into(),
        };
        let Some((ex, response)) = self.exchange((index, ExchangeKind::Preflight), request, spec)
        else {
            return Ok(Sent::HeldBack);
        };
        if let Some(failure) = self.recorded_network_error(spec, ExchangeKind::Preflight) {
            let at = (ExchangeKind::Preflight, ex);
            return Err(Box::new(self.end_with_network_error(index, at, failure)));
        }
        self.set(
            Var::Preflight,
            Cell::Preflight(PreflightState::Sent {
                status: response.status,
            }),
        );
        self.push_event(
            index,
            (Stage::Preflight, Verdict::Info),
            StepEvent::PreflightSent {
                page_origin: page_origin.is_some(),
            },
            ex,
        );

        let unsafe_names: Vec<String> = unsafe_headers.iter().map(|h| h.name.clone()).collect();
        let input = PreflightInput {
            response: &response,
            url: &url,
            origin,
            credentials_include: include,
            method,
            unsafe_names: &unsafe_names,
        };
        let mine = check_preflight(&input, self.profile);
        let theirs = check_preflight(&input, self.profile.other());
        if let Some(note) = ProfileNote::of_preflight(&mine, &theirs, self.profile) {
            self.profile_notes.push(note);
        }
        match mine {
            Ok(PreflightPass {
                methods,
                headers,
                max_age,
                ..
            }) => {
                let max_age_header = response.header("Access-Control-Max-Age");
                self.cache.store(
                    origin,
                    &url,
                    include,
                    &methods,
                    &headers,
                    max_age_header.as_deref(),
                    self.now,
                );
                self.set(
                    Var::Preflight,
                    Cell::Preflight(PreflightState::Passed {
                        status: response.status,
                        max_age,
                    }),
                );
                self.push_event(
                    index,
                    (Stage::PreflightCheck, Verdict::Pass),
                    StepEvent::PreflightPassed { unsafe_names },
                    ex,
                );
                Ok(Sent::Answered)
            }
            Err(failure) => {
                self.cache.clear(origin, &url, self.now);
                self.set(
                    Var::Preflight,
                    Cell::Preflight(PreflightState::Failed(failure.error)),
                );
                self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::No));
                self.set(
                    Var::ResponseReceived,
                    Cell::ResponseReceived(Received::NeverSent),
                );
                self.push_event(
                    index,
                    (Stage::PreflightCheck, Verdict::Blocked),
                    StepEvent::PreflightFailed {
                        failure: Box::new(failure.clone()),
                        unsafe_names,
                    },
                    ex,
                );
                Err(Box::new(Ending {
                    outcome: Outcome::Blocked,
                    // The caller knows why the preflight was needed.
                    preflight_reasons: Vec::new(),
                    failed_at: Some(ExchangeKind::Preflight),
                    summary: Summary::new(Ended::BlockedAtPreflight {
                        failure: failure.clone(),
                        method: method.to_string(),
                    }),
                    failure: Some(failure),
                    exposed: Vec::new(),
                }))
            }
        }
    }

    /// A request on the page's own origin (response tainting 'basic'): no preflight and no
    /// CORS check; a redirect comes back as the next hop.
    fn same_origin_fetch(&mut self, index: usize, input: HopInput) -> Fetched {
        let HopInput {
            spec,
            number: hop,
            kept,
            dropped,
            first_step,
            ..
        } = input;
        let method = normalize_method(&spec.method);
        let origin = spec.origin.clone().unwrap_or_default();
        self.set(Var::Preflight, Cell::Preflight(PreflightState::SameOrigin));
        let hop_target = (hop > 0).then(|| {
            Box::new(HopTarget {
                number: hop,
                method: method.clone(),
                url: spec.url.to_string(),
                origin: origin.clone(),
            })
        });
        self.push_step(
            index,
            (Stage::Request, Verdict::Info),
            StepEvent::SameOriginStart { hop: hop_target },
            None,
        );
        if input.withheld() {
            let route = (true, false);
            let dropped = dropped.to_vec();
            self.withhold_actual(
                index,
                spec,
                method,
                first_step,
                dropped,
                Vec::new(),
                route,
                hop,
            );
            return Fetched::Withheld;
        }
        // Fetch §"append a request Origin header": same-origin requests carry Origin too,
        // except GET and HEAD.
        let sends_origin = method != "GET" && method != "HEAD";
        let request = HttpRequest {
            method: self.texts.text(&method).into(),
            url: self.url_text(spec.url.as_str()),
            headers: actual_headers(
                spec,
                kept,
                sends_origin.then_some(origin.as_str()),
                true,
                &mut self.texts,
            )
            .into(),
        };
        let Some((ex, response)) = self.exchange((index, ExchangeKind::Actual), request, spec)
        else {
            let dropped = dropped.to_vec();
            self.withhold_actual(
                index,
                spec,
                method,
                first_step,
                dropped,
                Vec::new(),
                (true, false),
                hop,
            );
            return Fetched::Withheld;
        };
        if let Some(failure) = self.recorded_network_error(spec, ExchangeKind::Actual) {
            let at = (ExchangeKind::Actual, ex);
            let ending = self.end_with_network_error(index, at, failure);
            return Fetched::Ended {
                ending,
                cache_hit: false,
            };
        }
        self.set(
            Var::ResponseReceived,
            Cell::ResponseReceived(Received::Yes {
                status: response.status,
            }),
        );
        self.push_event(
            index,
            (Stage::Actual, Verdict::Info),
            StepEvent::SameOriginSent,
            ex,
        );
        let no_reasons: [PreflightReason; 0] = [];
        if let Some(redirect) = self.redirect(
            index,
            input,
            &method,
            (&response, ex),
            &no_reasons,
            (false, false),
        ) {
            return redirect;
        }
        let exposed: Vec<String> = {
            let mut names: Vec<String> = Vec::new();
            let mut seen = foldhash::HashSet::default();
            for (n, _) in &response.headers {
                let lower = n.to_ascii_lowercase();
                if !matches!(lower.as_str(), "set-cookie" | "set-cookie2")
                    && seen.insert(lower.clone())
                {
                    names.push(lower);
                }
            }
            names
        };
        self.set(Var::RequestAllowed, Cell::RequestAllowed(Allowed::Yes));
        self.set(
            Var::ExposedHeaders,
            Cell::ExposedHeaders(Exposed::AllButSetCookie),
        );
        self.push_event(
            index,
            (Stage::ResponseCheck, Verdict::Allowed),
            StepEvent::SameOriginRead,
            ex,
        );
        Fetched::Ended {
            ending: Ending {
                outcome: Outcome::Allowed,
                preflight_reasons: Vec::new(),
                failed_at: None,
                failure: None,
                exposed,
                summary: Summary::new(Ended::SameOrigin),
            },
            cache_hit: false,
        }
    }
}

/// The engine's decisions, as facts: which steps a request takes and why, with no words.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::CorsError;

    /// A run for its verdicts alone decides every request as the whole run does: every lesson
    /// and every HAR fixture, under both profiles (the steps and tracker it skips decide nothing).
    #[test]
    fn a_run_for_verdicts_alone_decides_as_the_whole_run() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut scenarios: Vec<(String, Scenario)> = crate::scenario::lessons::LESSONS
            .iter()
            .filter_map(|lesson| {
                let scenario = load_str(lesson.text, lesson.name).ok()?;
                Some((lesson.name.to_string(), scenario))
            })
            .collect();
        assert_eq!(scenarios.len(), crate::scenario::lessons::LESSONS.len());
        for dir in [
            "tests/fixtures/har",
            "tests/fixtures/chromium",
            "tests/fixtures/field",
        ] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = entry.path();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let name = path.display().to_string();
                if path.extension().is_some_and(|e| e == "har")
                    && let Ok(import) = crate::formats::har::load_har(&text, &name, false)
                {
                    scenarios.push((name, import.scenario));
                }
            }
        }
        assert!(scenarios.len() > crate::scenario::lessons::LESSONS.len() + 5);
        for (name, scenario) in &scenarios {
            for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
                let whole: Vec<(Outcome, Option<CorsError>)> = Requests::new(scenario, profile)
                    .map(|(record, _)| (record.outcome, record.cors_error))
                    .collect();
                let alone: Vec<(Outcome, Option<CorsError>)> =
                    Requests::for_verdicts(scenario, profile)
                        .map(|(record, steps)| {
                            assert!(steps.is_empty());
                            (record.outcome, record.cors_error)
                        })
                        .collect();
                assert_eq!(whole, alone, "{name} under {profile:?}");
            }
        }
    }
    use crate::engine::preflight_cache::Lookup;
    use crate::scenario::load_str;

    /// A static server allowing `https://app.example` for GET and PUT with Content-Type,
    /// cached 600 s, and the requests given.
    fn run(requests: &str, profile: BrowserProfile) -> Trace {
        let text = format!(
            r#"{{"server": {{"type": "static", "url": "https://api.example",
                "preflight": {{"status": 204, "headers": {{
                    "Access-Control-Allow-Origin": "https://app.example",
                    "Access-Control-Allow-Methods": "GET, PUT",
                    "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "600"}}}},
                "actual": {{"status": 200, "headers": {{
                    "Access-Control-Allow-Origin": "https://app.example"}}}}}},
              "requests": {requests}}}"#
        );
        match load_str(&text, "test.json") {
            Ok(scenario) => simulate(&scenario, profile, |_| {}),
            Err(e) => panic!("{e}"),
        }
    }

    fn events(trace: &Trace, request: usize) -> Vec<&StepEvent> {
        let record = &trace.requests[request - 1];
        trace.steps[record.steps.clone()]
            .iter()
            .map(|s| &s.event)
            .collect()
    }

    #[test]
    fn a_simple_get_is_sent_at_once_and_checked() {
        let trace = run(
            r#"[{"origin": "https://app.example", "url": "https://api.example/a"}]"#,
            BrowserProfile::Chromium,
        );
        let events = events(&trace, 1);
        assert!(
            matches!(&events[..], [StepEvent::RequestStart(start), StepEvent::ActualSent { why: WhySent::NoPreflightNeeded }, StepEvent::ResponseAllowed] if start.lookup.is_none() && start.kept.is_empty())
        );
    }

    #[test]
    fn an_https_pages_redirect_to_http_is_blocked_as_mixed_content_or_upgraded_for_an_image() {
        let to_http = |path: &str| {
            format!(
                r#"{{"actual": {{"status": 302, "headers": {{"Location": "http://api.example{path}", "Access-Control-Allow-Origin": "*"}}}}}}"#
            )
        };
        let requests = format!(
            r#"[{{"origin": "https://app.example", "url": "https://api.example/a", "responses": {fetch}}},
               {{"via": "no-cors", "origin": "https://app.example", "url": "https://api.example/b", "responses": {no_cors}}},
               {{"via": "img", "origin": "https://app.example", "url": "https://api.example/c", "responses": {image}}}]"#,
            fetch = to_http("/a2"),
            no_cors = to_http("/b2"),
            image = to_http("/c2"),
        );
        let trace = run(&requests, BrowserProfile::Chromium);
        for (record, blocked_url) in trace
            .requests
            .iter()
            .zip(["http://api.example/a2", "http://api.example/b2"])
        {
            assert_eq!(record.outcome, Outcome::Blocked);
            assert_eq!(record.cors_error, Some(CorsError::MixedContent));
            assert!(
                record.error().is_some_and(|line| line
                    .starts_with("Mixed Content: The page at 'https://app.example/'")
                    && line.contains(&format!("insecure resource '{blocked_url}'"))),
                "{:?}",
                record.error()
            );
            // The hop to http: is never sent.
            assert_eq!(record.exchanges.len(), 1);
        }
        let image = &trace.requests[2];
        assert_eq!(image.outcome, Outcome::Sent);
        let last = image.exchanges.last().map(|e| e.request.url.to_string());
        assert_eq!(last.as_deref(), Some("https://api.example/c2"));
    }

    /// Fetch checks Cross-Origin-Resource-Policy at every hop: a redirect that says
    /// same-origin ends a no-cors load from another origin there, its next hop never asked.
    #[test]
    fn a_redirect_s_resource_policy_refuses_the_load_at_that_hop() {
        let requests = r#"[{"via": "img", "origin": "https://app.example", "url": "https://api.example/a.png",
            "responses": {"actual": {"status": 302, "headers": {"Location": "https://api.example/b.png",
                                                                 "Cross-Origin-Resource-Policy": "same-origin"}},
                          "after_redirect": [{"actual": {"status": 200, "headers": {}}}]}}]"#;
        let trace = run(requests, BrowserProfile::Chromium);
        let image = &trace.requests[0];
        assert_eq!(
            image.element_outcome(),
            Some(ElementOutcome::Refused(
                super::super::corp::CorpPolicy::SameOrigin
            ))
        );
        assert_eq!(image.exchanges.len(), 1);
        assert!(matches!(
            &events(&trace, 1)[..],
            [StepEvent::ImageStart, StepEvent::ImageLoaded]
        ));
    }

    /// A no-cors request follows redirects with no CORS check at any hop (the answers here
    /// carry no CORS headers at all); Chromium 156, `tests/fixtures/chromium/lab/
    /// redirect-schemes.json`.
    #[test]
    fn a_no_cors_request_follows_redirects_unchecked() {
        let hop = |status: u16, location: &str| {
            format!(
                r#"{{"actual": {{"status": {status}, "headers": {{"Location": "{location}"}}}}}}"#
            )
        };
        let to = |status: u16, location: &str, then: &str| {
            format!(
                r#"{{"actual": {{"status": {status}, "headers": {{"Location": "{location}"}}}}, "after_redirect": [{then}]}}"#
            )
        };
        let done = r#"{"actual": {"status": 200, "headers": {}}}"#;
        let image = to(301, "https://cdn.example/a.png", done);
        let post = to(307, "https://cdn.example/p", done);
        let posted = to(302, "https://cdn.example/p", done);
        let requests = format!(
            r#"[{{"via": "img", "origin": "https://app.example", "url": "https://api.example/a.png", "responses": {image}}},
               {{"via": "no-cors", "method": "POST", "headers": {{"Content-Type": "text/plain"}}, "origin": "https://app.example", "url": "https://api.example/p", "responses": {post}}},
               {{"via": "no-cors", "method": "POST", "headers": {{"Content-Type": "text/plain"}}, "origin": "https://app.example", "url": "https://api.example/p", "responses": {posted}}},
               {{"via": "no-cors", "origin": "https://app.example", "url": "https://api.example/f", "responses": {ftp}}},
               {{"via": "img", "origin": "https://app.example", "url": "https://api.example/d", "responses": {data}}}]"#,
            ftp = hop(302, "ftp://files.example/x"),
            data = hop(302, "data:image/gif,x"),
        );
        let trace = run(&requests, BrowserProfile::Chromium);
        let image = &trace.requests[0];
        assert_eq!(image.outcome, Outcome::Sent);
        assert!(matches!(
            &events(&trace, 1)[..],
            [
                StepEvent::ImageStart,
                StepEvent::NoCorsRedirectFollowed,
                StepEvent::ImageLoaded
            ]
        ));
        let urls: Vec<&str> = image
            .exchanges
            .iter()
            .map(|e| e.request.url.as_ref())
            .collect();
        assert_eq!(
            urls,
            ["https://api.example/a.png", "https://cdn.example/a.png"]
        );
        assert!(
            image
                .exchanges
                .iter()
                .all(|e| e.request.header("Origin").is_none())
        );
        // A 307 keeps the POST, and its Origin, null once the request left for another origin.
        let kept = &trace.requests[1].exchanges[1].request;
        assert_eq!(
            (kept.method.as_ref(), kept.header("Origin").as_deref()),
            ("POST", Some("null"))
        );
        assert_eq!(kept.header("Content-Type").as_deref(), Some("text/plain"));
        // A 302 makes it a GET: no body, no Content-Type, no Origin.
        let turned = &trace.requests[2].exchanges[1].request;
        assert_eq!(turned.method.as_ref(), "GET");
        assert_eq!(
            (turned.header("Origin"), turned.header("Content-Type")),
            (None, None)
        );
        // Another scheme fails it: an unknown scheme in no-cors mode, data: an unsafe redirect.
        let failed: Vec<_> = trace.requests[3..]
            .iter()
            .map(|r| (r.outcome, r.cors_error))
            .collect();
        assert_eq!(
            failed,
            [
                (Outcome::Blocked, Some(CorsError::UnknownUrlScheme)),
                (Outcome::Blocked, Some(CorsError::UnsafeRedirect))
            ]
        );
    }

    /// A 301 without Location is an answer, not a redirect: failing the CORS check, it is not
    /// kept, though a 301 is otherwise kept for good (Chromium 156, `tests/fixtures/chromium/
    /// lab/cache-keeps-a-permanent-answer-for-good.json`).
    #[test]
    fn a_failed_301_without_location_is_not_kept() {
        let answer = |acao: bool| {
            let allow = if acao {
                r#", "Access-Control-Allow-Origin": "*""#
            } else {
                ""
            };
            format!(
                r#"{{"origin": "https://app.example", "url": "https://api.example/b", "responses": {{"actual": {{"status": 301, "headers": {{"Content-Type": "application/xml"{allow}}}}}}}}}"#
            )
        };
        let trace = run(
            &format!("[{}, {}]", answer(false), answer(true)),
            BrowserProfile::Chromium,
        );
        let outcomes: Vec<Outcome> = trace.requests.iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, [Outcome::Blocked, Outcome::Allowed]);
        assert!(!matches!(
            trace.requests[1].exchanges[0].server,
            ServerNote::BrowserCache { .. }
        ));
    }

    #[test]
    fn an_img_without_crossorigin_sends_no_origin_and_is_never_checked() {
        // The static server's answer allows only https://app.example; the image shows anyway.
        let trace = run(
            r#"[{"via": "img", "origin": "https://other.example", "url": "https://api.example/logo.png"}]"#,
            BrowserProfile::Chromium,
        );
        assert!(matches!(
            &events(&trace, 1)[..],
            [StepEvent::ImageStart, StepEvent::ImageLoaded]
        ));
        let record = &trace.requests[0];
        assert_eq!(record.outcome, Outcome::Sent);
        let sent = &record.exchanges[0].request;
        assert_eq!(sent.header("Origin"), None);
        assert_eq!(sent.header("Sec-Fetch-Mode").as_deref(), Some("no-cors"));
        assert_eq!(record.credentials, Credentials::Include);
    }

    #[test]
    fn a_put_is_preflighted_then_served_from_the_cache() {
        let put = r#"{"origin": "https://app.example", "method": "PUT", "url": "https://api.example/a",
                      "headers": {"Content-Type": "application/json"}}"#;
        let trace = run(&format!("[{put}, {put}]"), BrowserProfile::Chromium);
        let first = events(&trace, 1);
        assert!(matches!(
            &first[..],
            [
                StepEvent::RequestStart(start),
                StepEvent::PreflightSent { page_origin: false },
                StepEvent::PreflightPassed { unsafe_names },
                StepEvent::ActualSent { why: WhySent::PreflightPassed },
                StepEvent::ResponseAllowed,
            ] if start.lookup == Some(Lookup::Empty) && unsafe_names == &["content-type"]
        ));
        let second = events(&trace, 2);
        assert!(matches!(
            &second[..],
            [
                StepEvent::RequestStart(start),
                StepEvent::ActualSent { why: WhySent::CachedPreflight },
                StepEvent::ResponseAllowed,
            ] if matches!(start.lookup, Some(Lookup::Covered { expires: 600 }))
        ));
    }

    #[test]
    fn an_unlisted_method_fails_the_preflight_and_is_never_sent() {
        let trace = run(
            r#"[{"origin": "https://app.example", "method": "DELETE", "url": "https://api.example/a"}]"#,
            BrowserProfile::Chromium,
        );
        let events = events(&trace, 1);
        assert!(matches!(
            &events[..],
            [
                StepEvent::RequestStart(_),
                StepEvent::PreflightSent { page_origin: false },
                StepEvent::PreflightFailed { failure, .. },
            ] if failure.error == CorsError::MethodDisallowedByPreflightResponse
        ));
        assert_eq!(
            trace.requests[0].exchanges.len(),
            1,
            "only the OPTIONS went out"
        );
    }

    #[test]
    fn another_origin_is_answered_but_blocked_at_the_cors_check() {
        let trace = run(
            r#"[{"origin": "https://evil.example", "url": "https://api.example/a"}]"#,
            BrowserProfile::Chromium,
        );
        let events = events(&trace, 1);
        assert!(matches!(
            events.last(),
            Some(StepEvent::ResponseBlocked { failure }) if failure.error == CorsError::AllowOriginMismatch
        ));
    }

    #[test]
    fn chromium_skips_the_cache_for_no_store_and_the_standard_does_not() {
        let put =
            r#"{"origin": "https://app.example", "method": "PUT", "url": "https://api.example/a"}"#;
        let no_store = r#"{"origin": "https://app.example", "method": "PUT", "url": "https://api.example/a", "cache": "no-store"}"#;
        let requests = format!("[{put}, {no_store}]");
        let chromium = run(&requests, BrowserProfile::Chromium);
        let Some(StepEvent::RequestStart(start)) = events(&chromium, 2).first().copied() else {
            panic!("a request starts with its decision");
        };
        assert_eq!(start.lookup, Some(Lookup::Bypassed(CacheMode::NoStore)));
        assert!(matches!(start.other_lookup, Some(Lookup::Covered { .. })));
        let standard = run(&requests, BrowserProfile::Standard);
        assert!(matches!(
            &events(&standard, 2)[..],
            [
                StepEvent::RequestStart(_),
                StepEvent::ActualSent {
                    why: WhySent::CachedPreflight
                },
                _
            ]
        ));
    }

    #[test]
    fn a_same_origin_request_needs_no_cors() {
        let trace = run(
            r#"[{"origin": "https://api.example", "method": "PUT", "url": "https://api.example/a"}]"#,
            BrowserProfile::Chromium,
        );
        assert!(matches!(
            &events(&trace, 1)[..],
            [
                StepEvent::SameOriginStart { hop: None },
                StepEvent::SameOriginSent,
                StepEvent::SameOriginRead
            ]
        ));
    }
}
