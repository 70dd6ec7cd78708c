//! The live lab: a lesson run in a real browser, next to the simulation. `serve --check` starts
//! one HTTPS listener on loopback that answers as the lesson's server does (the same layers
//! the engine asks), maps every host of the lesson to it in a headless Chromium it starts
//! (`--host-rules`), so the browser sends the lesson's own origins, and has a page on each
//! origin run the lesson's requests with real `fetch()`, in order. What reached the server and
//! what each fetch resolved to are then held against the simulated run.

mod chromium;
mod live;
mod names;
mod page;
pub(crate) mod server;

pub use live::{Live, Progress, ServeOptions, serve};

use std::collections::HashSet;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::{self, ExchangeKind, RequestRecord, Trace};
use crate::http::HttpRequest;
use crate::safe_text::escape;
use crate::scenario::{
    BrowserProfile, Outcome, ResponseOverrides, Scenario, ThirdPartyCookies, Via,
};
use crate::server::{Answerer, Moment};

use server::{Arrived, Reply};

/// Where the lab's own pages live on every origin; nothing a lesson asks for is under it.
const LAB_PATH: &str = "/__cors-tui-lab/";
/// The longest wait between requests the lab sits through unless told otherwise: it waits in
/// real time.
pub const LONGEST_WAIT_SECONDS: u64 = 30;

/// The host the lab's page starts on when the lesson's first page has an opaque origin (it
/// runs that request in a sandboxed frame, whatever host holds it).
const LAB_HOST: &str = "lab.cors-tui.test";

/// Why a lesson cannot be run in the browser, in words; `None` when it can. `longest_wait` is
/// the longest wait between requests the lab sits through in real time.
pub fn not_runnable(scenario: &Scenario, longest_wait: u64) -> Option<String> {
    if scenario.requests.iter().all(|spec| spec.via == Via::Raw) {
        return Some("every request is a raw client's: nothing for a browser to do".into());
    }
    let set_by = scenario.cookies.jar.iter().map(|cookie| &cookie.set_by);
    for url in set_by {
        if let Err(why) = mappable(url) {
            return Some(why);
        }
    }
    for (i, spec) in scenario.requests.iter().enumerate() {
        let n = i + 1;
        if spec.via == Via::Raw {
            // The lab sends it itself, as curl would.
            continue;
        }
        if spec.wait_seconds > longest_wait {
            return Some(format!(
                "request #{n} waits {} s, and the lab waits in real time (at most {longest_wait} s; \
                 --max-wait {} runs it)",
                spec.wait_seconds,
                scenario
                    .requests
                    .iter()
                    .map(|r| r.wait_seconds)
                    .max()
                    .unwrap_or(0)
            ));
        }
        let Some(origin) = spec.origin.as_deref() else {
            return Some(format!("request #{n} comes from no page"));
        };
        if origin != "null" {
            let Ok(page) = url::Url::parse(origin) else {
                return Some(format!(
                    "request #{n} comes from {origin}, which is no origin"
                ));
            };
            if let Err(why) = mappable(&page) {
                return Some(why);
            }
        }
        if let Err(why) = mappable(&spec.url) {
            return Some(why);
        }
    }
    None
}

/// Why not, when the browser cannot be sent to the lab for `url`: its host is an address or
/// `localhost` (the lab maps names), or its scheme is not http or https.
fn mappable(url: &url::Url) -> Result<&str, String> {
    let Some(host) = url.host_str() else {
        return Err(format!("{} names no host", url.as_str()));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{} is neither http nor https", url.as_str()));
    }
    if host.parse::<std::net::IpAddr>().is_ok()
        || host.starts_with('[')
        || host.eq_ignore_ascii_case("localhost")
    {
        return Err(format!("{host} is not a name the lab can map"));
    }
    Ok(host)
}

/// The origin the lab's page starts on: the first browser request's page, or the lab's own
/// host when that page's origin is opaque (the page then makes it in a sandboxed frame).
fn first_page(scenario: &Scenario) -> String {
    scenario
        .requests
        .iter()
        .find(|r| r.via != Via::Raw)
        .and_then(|r| r.origin.clone())
        .filter(|origin| origin != "null")
        .unwrap_or_else(|| format!("https://{LAB_HOST}"))
}

/// The URLs the lesson's pages and requests name and its redirects reach (in the simulated
/// run), and the URLs that set its cookies, each once, in that order. Anything else the browser
/// asks for (its icon) is not the lesson's, and gets a 404 from the lab, not an answer from the
/// lesson's server.
fn lesson_urls(scenario: &Scenario, trace: &Trace) -> Vec<url::Url> {
    let pages = scenario
        .requests
        .iter()
        .filter_map(|spec| spec.origin.as_deref().and_then(|o| url::Url::parse(o).ok()));
    let reached = trace
        .requests
        .iter()
        .flat_map(|r| r.exchanges.iter())
        .filter_map(|e| url::Url::parse(&e.request.url).ok());
    let asked = scenario.requests.iter().map(|spec| spec.url.clone());
    let cookies = scenario.cookies.jar.iter().map(|c| c.set_by.clone());
    let mut seen = HashSet::new();
    pages
        .chain(asked)
        .chain(reached)
        .chain(cookies)
        .filter(|url| seen.insert(url.clone()))
        .collect()
}

/// Every host of the lesson's URLs ([`lesson_urls`]) and the lab's own; why not, when one of
/// them cannot be mapped to the lab.
fn hosts(urls: &[url::Url]) -> Result<Vec<String>, String> {
    let mut hosts: Vec<String> = vec![LAB_HOST.to_string()];
    for url in urls {
        let host = mappable(url)?;
        if !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_string());
        }
    }
    Ok(hosts)
}

/// What the real browser did for one request.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// The OPTIONS that reached the server: its `Access-Control-Request-Headers`.
    preflights: Vec<Option<String>>,
    /// The requests that reached the server otherwise (the actual request, and each redirect).
    actual: usize,
    /// The names of the cookies the first of them carried.
    cookies: Vec<String>,
    /// What the page's fetch came to.
    result: Option<page::Outcome>,
}

/// The run as it goes: where the page is, and what each request saw.
struct Run<'a> {
    scenario: &'a Scenario,
    /// The simulated run: a raw client's request is sent as the simulation sent it.
    trace: &'a Trace,
    answerer: Answerer<'a>,
    /// The request the page runs now (0-based); `None` between requests.
    window: Option<usize>,
    /// The next request to hand out.
    next: usize,
    seen: Vec<Seen>,
    /// Seconds into the run, as the engine counts them.
    now: u64,
    sequence: usize,
    /// How many of the lesson's cookies the browser has been given so far.
    cookies_set: usize,
    /// Where the lesson's names are for the browser.
    names: &'a names::Names,
    /// The browser's `User-Agent`, as its first request to the lab's page gave it.
    user_agent: Option<String>,
}

/// How `serve --check` runs.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The browser to start; `None`: the first Chromium on PATH.
    pub chromium: Option<std::path::PathBuf>,
    /// The longest wait between requests to sit through (seconds).
    pub longest_wait: u64,
    /// Write a [`RunDocument`] instead of the text report.
    pub json: bool,
}

/// Runs `scenario` in headless Chromium and writes each request's simulated and real outcome
/// to `out`. `Ok(true)` when every request agrees.
pub fn check(
    scenario: &Scenario,
    name: &str,
    options: &CheckOptions,
    out: &mut impl Write,
) -> Result<bool, crate::error::Error> {
    let usage = |message: String| crate::error::Error::Usage(message);
    let cannot_run = |why: String| {
        usage(format!(
            "serve --check: {} cannot run in the browser: {}",
            escape(name),
            escape(&why)
        ))
    };
    if let Some(why) = not_runnable(scenario, options.longest_wait) {
        return Err(cannot_run(why));
    }
    let browser = chromium::find(options.chromium.as_deref()).map_err(usage)?;
    let trace = engine::run(scenario, BrowserProfile::Chromium);
    let urls = lesson_urls(scenario, &trace);
    let hosts = hosts(&urls).map_err(cannot_run)?;
    let lesson_urls: HashSet<String> = urls.iter().map(|u| u.to_string()).collect();
    let listener = server::Listener::bind(&hosts)
        .map_err(|e| usage(format!("serve --check: cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .port()
        .map_err(|e| usage(format!("serve --check: {e}")))?;
    let run = Mutex::new(Run::new(scenario, &trace, &names::Names::Exact));
    let stop = AtomicBool::new(false);
    // Ctrl-C or a TERM ends the run early, and the browser with it (it is stopped on the way
    // out), rather than leaving a headless Chromium behind.
    let interrupted = std::sync::Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, interrupted.clone())
            .map_err(|e| usage(format!("serve --check: cannot watch for Ctrl-C: {e}")))?;
    }
    let first_page = first_page(scenario);
    let lab = chromium::Lab {
        hosts: &hosts,
        port,
        spki_sha256: &listener.spki_sha256,
        third_party_cookies_blocked: scenario.cookies.third_party == ThirdPartyCookies::Blocked,
    };
    let started =
        chromium::start(&browser, lab, &format!("{first_page}{LAB_PATH}run")).map_err(usage)?;
    // The browser's start and the requests themselves get 30 s; the lesson's waits come on top.
    let budget: u64 = 30
        + scenario
            .requests
            .iter()
            .map(|r| r.wait_seconds)
            .sum::<u64>();
    let deadline = Instant::now() + Duration::from_secs(budget);
    let answer = |arrived: Arrived| -> Reply {
        let Ok(mut run) = run.lock() else {
            return page::not_found();
        };
        run.answer(arrived, &lesson_urls)
    };
    let served = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            while Instant::now() < deadline
                && !stop.load(Ordering::Relaxed)
                && !interrupted.load(Ordering::Relaxed)
            {
                let finished = run
                    .lock()
                    .map_or(true, |run| run.next >= scenario.requests.len());
                if finished {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.store(true, Ordering::Relaxed);
        });
        let served = listener.serve(&stop, &answer);
        stop.store(true, Ordering::Relaxed);
        let _ = watcher.join();
        served
    });
    let console = started.finish();
    if interrupted.load(Ordering::Relaxed) {
        return Err(usage(
            "serve --check: interrupted; the browser is stopped".to_string(),
        ));
    }
    served.map_err(|e| usage(format!("serve --check: the lab's server failed: {e}")))?;
    let run = run
        .into_inner()
        .map_err(|_| usage("serve --check: the lab's server failed".to_string()))?;
    // Not one report came back: the browser never ran the page, which says nothing of CORS.
    let browser_ran = run
        .seen
        .iter()
        .zip(scenario.requests.iter())
        .any(|(seen, spec)| spec.via != Via::Raw && seen.result.is_some());
    if !browser_ran {
        return Err(usage(format!(
            "serve --check: {} never ran the lab's page within {} s ({} console line(s) printed)",
            escape(&browser.version),
            budget,
            console.len()
        )));
    }
    if options.json {
        let document = run_document(scenario, &trace, &run.seen, (&browser.version, &console));
        crate::report::json::write_value(out, &document, true)?;
        return Ok(document.agrees);
    }
    write_comparison(
        out,
        scenario,
        &trace,
        &run.seen,
        (&browser.version, &console),
    )
}

/// The run as `--json` writes it.
fn run_document(
    scenario: &Scenario,
    trace: &Trace,
    seen: &[Seen],
    (version, console): (&str, &[String]),
) -> RunDocument {
    let requests: Vec<RequestDocument> = trace
        .requests
        .iter()
        .zip(seen)
        .map(|(record, seen)| {
            let simulated = Side::simulated(record);
            let real = Side::real(seen, reads_headers(record));
            let blocked = record.outcome == Outcome::Blocked || real.read == Some(false);
            let console_matches = blocked
                .then(|| lines_chromium_may_print(record))
                .filter(|lines| !lines.is_empty())
                .map(|lines| lines.iter().any(|line| console.contains(line)));
            RequestDocument::new(
                (record.index, &record.method, &record.url),
                &simulated,
                Some(&real),
                console_matches,
            )
        })
        .collect();
    RunDocument {
        lesson: scenario.title.clone(),
        browser: version.to_string(),
        agrees: requests.iter().all(|r| r.agrees == Some(true)),
        requests,
    }
}

impl<'a> Run<'a> {
    /// A run about to start: nothing handed out, nothing seen.
    fn new(scenario: &'a Scenario, trace: &'a Trace, names: &'a names::Names) -> Run<'a> {
        Run {
            scenario,
            trace,
            answerer: Answerer::new(&scenario.server),
            window: None,
            next: 0,
            seen: vec![Seen::default(); scenario.requests.len()],
            now: 0,
            sequence: 0,
            cookies_set: 0,
            names,
            user_agent: None,
        }
    }

    fn answer(&mut self, arrived: Arrived, lesson_urls: &HashSet<String>) -> Reply {
        let authority = arrived
            .header("Host")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let origin = self
            .names
            .lesson_origin((arrived.secure, arrived.local_port), &authority);
        let mut reply = self.answer_lesson(&origin, arrived, lesson_urls);
        for (name, value) in &mut reply.headers {
            *value = self.names.outward_header(name, value);
        }
        reply
    }

    /// The answer to a request for `origin` (the lesson's), as the lesson's server gives it.
    fn answer_lesson(
        &mut self,
        origin: &str,
        mut arrived: Arrived,
        lesson_urls: &HashSet<String>,
    ) -> Reply {
        if let Some(what) = arrived.target.strip_prefix(LAB_PATH) {
            if self.user_agent.is_none() {
                self.user_agent = arrived.header("User-Agent").map(str::to_string);
            }
            return self.control(what, origin, &arrived);
        }
        let url = format!("{origin}{}", arrived.target);
        if let Some(reply) = self.set_cookie(&url) {
            return reply;
        }
        let Some(window) = self.window.filter(|_| lesson_urls.contains(&url)) else {
            return page::not_found();
        };
        let Some(spec) = self.scenario.requests.get(window) else {
            return page::not_found();
        };
        // The server is asked with the lesson's origin, whatever name the browser used.
        for (name, value) in &mut arrived.headers {
            if name.eq_ignore_ascii_case("Origin") {
                *value = self.names.inward_origin(value);
            }
        }
        let preflight = arrived.method == "OPTIONS"
            && arrived.header("Access-Control-Request-Method").is_some();
        let seen = &mut self.seen[window];
        let hop = self
            .trace
            .requests
            .get(window)
            .map_or(seen.actual, |record| network_hop(record, seen.actual));
        let kind = if preflight {
            seen.preflights.push(
                arrived
                    .header("Access-Control-Request-Headers")
                    .map(str::to_string),
            );
            ExchangeKind::Preflight
        } else {
            if seen.actual == 0 {
                seen.cookies = cookie_names(arrived.header("Cookie"));
            }
            seen.actual += 1;
            ExchangeKind::Actual
        };
        let message = HttpRequest {
            method: arrived.method.clone().into(),
            url: url.into(),
            headers: arrived
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().into(), value.as_str().into()))
                .collect(),
        };
        self.sequence += 1;
        // What the lesson scripts for this hop (0: the request itself, then each redirect).
        let none = ResponseOverrides::default();
        let scripted = spec.responses.at_hop(hop).unwrap_or(&none);
        let answer = self.answerer.answer(
            kind,
            &message,
            (scripted, hop),
            Moment {
                now: self.now,
                edge: spec.edge.as_deref(),
                sequence: self.sequence,
            },
        );
        let mut reply = Reply {
            status: answer.response.status,
            headers: answer
                .response
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: answer.response.body.into_bytes(),
        };
        // An answer with content of its own (a JSON error, an XML page) is served as it is:
        // what the element (and ORB) make of it is part of the lesson.
        let no_content = reply.body.is_empty()
            || crate::http::described_body(&String::from_utf8_lossy(&reply.body)).is_some();
        if kind == ExchangeKind::Actual
            && (200..300).contains(&reply.status)
            && no_content
            && let Some((content_type, body)) = page::stand_in(spec.initiator)
        {
            reply
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("Content-Type"));
            reply
                .headers
                .push(("Content-Type".into(), content_type.into()));
            reply.body = body.to_vec();
        }
        reply
    }

    /// The page that gives the browser the lesson's next cookie: the lesson's `Set-Cookie`
    /// line, answered at the URL that set it (so its default path is the lesson's), marked by
    /// the lab's query.
    fn set_cookie(&mut self, url: &str) -> Option<Reply> {
        let cookie = self.scenario.cookies.jar.get(self.cookies_set)?;
        if url != cookie_page(&cookie.set_by) {
            return None;
        }
        self.cookies_set += 1;
        let mut reply = page::runner();
        reply
            .headers
            .push(("Set-Cookie".into(), cookie.line.clone()));
        Some(reply)
    }

    /// What the simulation says of request `index`, for the page to show: its verdict, and the
    /// console line to look for in DevTools when it is blocked (in the browser's names).
    fn expected(&self, index: usize) -> Option<String> {
        let record = self.trace.requests.get(index)?;
        let verdict = match record.outcome {
            Outcome::Allowed => "allowed: the page reads the answer",
            Outcome::Sent => "sent, with no CORS check",
            Outcome::Blocked => "blocked",
        };
        let mut said = format!("The simulation: {verdict}.");
        if let Some(line) = record.error() {
            let mut line = line.replace(&record.url, &self.names.outward_url(&record.url));
            if let Some(origin) = &record.origin {
                line = line.replace(
                    &format!("origin '{origin}'"),
                    &format!("origin '{}'", self.names.outward_origin(origin)),
                );
            }
            said.push_str(&format!(" DevTools' console should say: {line}"));
        }
        Some(said)
    }

    /// Sends the raw clients' requests that come next, as the simulation sent them, through the
    /// lesson's server: no browser is involved, and the client reads whatever comes back.
    fn send_raw_requests(&mut self) {
        while let Some(spec) = self.scenario.requests.get(self.next)
            && spec.via == Via::Raw
        {
            let index = self.next;
            self.now += spec.wait_seconds;
            let sent = self.trace.requests.get(index).and_then(|record| {
                record
                    .exchanges
                    .iter()
                    .find(|e| e.kind == ExchangeKind::Actual)
            });
            if let Some(exchange) = sent {
                self.sequence += 1;
                self.answerer.answer(
                    ExchangeKind::Actual,
                    &exchange.request,
                    (&spec.responses, 0),
                    Moment {
                        now: self.now,
                        edge: spec.edge.as_deref(),
                        sequence: self.sequence,
                    },
                );
                self.seen[index].actual += 1;
            }
            self.seen[index].result = Some(page::Outcome {
                index,
                resolved: sent.is_some(),
                error: None,
                readable: None,
            });
            self.next += 1;
        }
    }

    /// The lab's own pages: the runner, the next request to make, and what it came to.
    fn control(&mut self, what: &str, here: &str, arrived: &Arrived) -> Reply {
        let path = what.split('?').next().unwrap_or(what);
        match path {
            "run" | "start" => {
                let mut runner = page::runner();
                // The lesson's pages are sent with its Cross-Origin-Embedder-Policy.
                let coep = self.scenario.embedder_policy;
                if coep != crate::scenario::EmbedderPolicy::UnsafeNone {
                    runner
                        .headers
                        .push(("Cross-Origin-Embedder-Policy".into(), coep.value().into()));
                }
                runner
            }
            "next" => {
                // The cookies the browser holds when the lesson starts come first, each from
                // a visit to the URL that set it.
                if let Some(cookie) = self.scenario.cookies.jar.get(self.cookies_set) {
                    let page = self.names.outward_url(&cookie_page(&cookie.set_by));
                    return page::json(&page::Next::go(page));
                }
                self.send_raw_requests();
                let Some(spec) = self.scenario.requests.get(self.next) else {
                    return page::json(&page::Next::DONE);
                };
                // A page with an opaque origin is a sandboxed frame in whichever page is here.
                let elsewhere = spec
                    .origin
                    .as_deref()
                    .is_some_and(|origin| origin != "null" && origin != here);
                if elsewhere {
                    let there = self
                        .names
                        .outward_origin(spec.origin.as_deref().unwrap_or_default());
                    return page::json(&page::Next::go(format!("{there}{LAB_PATH}run")));
                }
                if self.window != Some(self.next) {
                    self.now += spec.wait_seconds;
                    self.window = Some(self.next);
                }
                let url = self.names.outward_url(spec.url.as_str());
                page::json(&page::Next::request(
                    self.next,
                    spec,
                    url,
                    self.expected(self.next),
                ))
            }
            "result" if arrived.method == "POST" => {
                let Ok(outcome) = serde_json::from_slice::<page::Outcome>(&arrived.body) else {
                    return page::bad_request();
                };
                if let Some(window) = self.window.filter(|&w| w == outcome.index) {
                    self.seen[window].result = Some(outcome);
                    self.window = None;
                    self.next = window + 1;
                }
                page::no_content()
            }
            _ => page::not_found(),
        }
    }
}

/// The query that marks a visit to a URL that set one of the lesson's cookies.
const COOKIE_MARK: &str = "__cors-tui-lab=set-cookie";

/// Where the lab gives the browser a cookie `set_by` set: that URL, with the lab's query.
fn cookie_page(set_by: &url::Url) -> String {
    let mut page = set_by.clone();
    page.set_fragment(None);
    page.set_query(Some(COOKIE_MARK));
    page.to_string()
}

/// The names in a `Cookie` header, sorted: the order cookies are listed in is not the lesson's.
fn cookie_names(header: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = header
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| pair.split('=').next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// A lab run as `--json` writes it: the lesson, the browser, and each request's two sides.
#[derive(Debug, serde::Serialize)]
pub struct RunDocument {
    pub lesson: String,
    /// The browser's `User-Agent` (or, under `--check`, Chromium's version line).
    pub browser: String,
    pub requests: Vec<RequestDocument>,
    /// Every request ran and agrees.
    pub agrees: bool,
}

/// One request in a [`RunDocument`].
#[derive(Debug, serde::Serialize)]
pub struct RequestDocument {
    /// 1-based, as the lesson numbers it.
    pub index: usize,
    pub method: String,
    pub url: String,
    pub simulated: SideDocument,
    /// `None`: the browser has not run it.
    pub browser: Option<SideDocument>,
    pub agrees: Option<bool>,
    /// For a blocked request under `--check`: whether Chromium printed the simulation's
    /// console line word for word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_matches: Option<bool>,
}

/// What one side did with a request.
#[derive(Debug, serde::Serialize)]
pub struct SideDocument {
    pub preflight: bool,
    /// The preflight's `Access-Control-Request-Headers`.
    pub preflight_headers: Option<String>,
    /// The request itself reached the server.
    pub sent: bool,
    /// The cookies it carried (names, sorted).
    pub cookies: Vec<String>,
    /// The page could read the answer (an element: it loaded); `None`: never ran.
    pub read: Option<bool>,
    /// The response headers a fetch() or XMLHttpRequest could read (names, sorted, without
    /// `Content-Length`); absent for other requests and for blocked ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readable: Option<Vec<String>>,
}

impl RequestDocument {
    /// Request `index` (1-based) with its simulated side and, once the browser ran it, its own.
    fn new(
        (index, method, url): (usize, &str, &str),
        simulated: &Side,
        real: Option<&Side>,
        console_matches: Option<bool>,
    ) -> RequestDocument {
        RequestDocument {
            index,
            method: method.to_string(),
            url: url.to_string(),
            simulated: SideDocument::from(simulated),
            browser: real.map(SideDocument::from),
            agrees: real.map(|real| real == simulated),
            console_matches,
        }
    }
}

impl From<&Side> for SideDocument {
    fn from(side: &Side) -> SideDocument {
        SideDocument {
            preflight: side.preflight.is_some(),
            preflight_headers: side.preflight.clone().flatten(),
            sent: side.sent,
            cookies: side.cookies.clone(),
            read: side.read,
            readable: side.readable.clone(),
        }
    }
}

/// One request's side in the comparison: whether a preflight went out (and which headers it
/// asked for), whether the request itself reached the server, and whether the page could read
/// the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Side {
    preflight: Option<Option<String>>,
    sent: bool,
    /// The cookies the request itself carried (names, sorted).
    cookies: Vec<String>,
    read: Option<bool>,
    /// For a fetch() or XMLHttpRequest the page could read: the response headers it could read
    /// (names, sorted), but `Content-Length`, which the lab's server adds to every answer.
    readable: Option<Vec<String>>,
}

/// Whether the lab compares the headers a request's script could read: a CORS-mode fetch() or
/// XMLHttpRequest (an element's script reads no headers, and a no-cors answer is opaque).
pub(super) fn reads_headers(record: &RequestRecord) -> bool {
    record.via == Via::Browser
        && matches!(
            record.initiator,
            crate::scenario::Initiator::Fetch | crate::scenario::Initiator::Xhr
        )
}

/// `names` lowercased, sorted and once each, without `content-length`.
fn header_names<'n>(names: impl IntoIterator<Item = &'n String>) -> Vec<String> {
    let mut names: Vec<String> = names
        .into_iter()
        .map(|name| name.to_ascii_lowercase())
        .filter(|name| name != "content-length")
        .collect();
    names.sort();
    names.dedup();
    names
}

impl Side {
    fn simulated(record: &RequestRecord) -> Side {
        let preflight = record
            .exchanges
            .iter()
            .find(|e| e.kind == ExchangeKind::Preflight)
            .map(|e| {
                e.request
                    .header("Access-Control-Request-Headers")
                    .map(|h| h.to_string())
            });
        // The request itself as it reached the server: not when the browser's cache answered,
        // nor when the browser blocked it before it went out.
        let reached = record.exchanges.iter().find(|e| {
            e.kind == ExchangeKind::Actual
                && !matches!(
                    e.server,
                    crate::server::ServerNote::BrowserCache { .. }
                        | crate::server::ServerNote::NotSent(_)
                )
        });
        Side {
            preflight,
            sent: reached.is_some(),
            cookies: cookie_names(reached.and_then(|e| e.request.header("Cookie")).as_deref()),
            readable: (reads_headers(record) && record.outcome == Outcome::Allowed)
                .then(|| header_names(&record.exposed_headers)),
            read: Some(
                matches!(record.outcome, Outcome::Allowed | Outcome::Sent)
                    && match *record.summary.ending {
                        // An element, no-cors or allowed by CORS: whether it loads its answer.
                        _ if record.element_outcome().is_some() => {
                            record.element_outcome()
                                == Some(engine::fetch_rules::ElementOutcome::Loads)
                        }
                        // A no-cors fetch() its answer's CORP refused rejects.
                        _ if record.refused_by_corp().is_some() => false,
                        _ => record.exchanges.last().is_none_or(|exchange| {
                            engine::fetch_rules::element_loads(
                                record.initiator,
                                exchange.response.status,
                            )
                        }),
                    },
            ),
        }
    }

    /// What the browser did; `reads`: whether the request's readable headers are compared
    /// ([`reads_headers`]).
    fn real(seen: &Seen, reads: bool) -> Side {
        let readable = seen
            .result
            .as_ref()
            .filter(|result| result.resolved && reads)
            .and_then(|result| result.readable.as_ref())
            .map(header_names);
        Side {
            readable,
            preflight: seen.preflights.first().cloned(),
            sent: seen.actual > 0,
            cookies: seen.cookies.clone(),
            read: seen.result.as_ref().map(|r| r.resolved),
        }
    }

    fn describe(&self) -> String {
        let preflight = match &self.preflight {
            None => "no preflight".to_string(),
            Some(None) => "preflight".to_string(),
            Some(Some(headers)) => format!("preflight (headers: {headers})"),
        };
        let sent = match (self.sent, self.cookies.as_slice()) {
            (false, _) => "not sent".to_string(),
            (true, []) => "sent".to_string(),
            (true, names) => format!("sent with cookies {}", names.join(", ")),
        };
        let read = match self.read {
            Some(true) => "resolved",
            Some(false) => "rejected",
            None => "never ran",
        };
        match &self.readable {
            Some(names) if names.is_empty() => {
                format!("{preflight}, {sent}, {read}, no header readable")
            }
            Some(names) => format!("{preflight}, {sent}, {read}, reads {}", names.join(", ")),
            None => format!("{preflight}, {sent}, {read}"),
        }
    }
}

fn write_comparison(
    out: &mut impl Write,
    scenario: &Scenario,
    trace: &Trace,
    seen: &[Seen],
    (version, console): (&str, &[String]),
) -> Result<bool, crate::error::Error> {
    writeln!(
        out,
        "{} — run in {} next to the simulation",
        escape(&scenario.title),
        escape(version)
    )?;
    let mut disagree = Vec::new();
    // Lines another request's simulation accounts for are not shown against this one, where
    // several requests go to one URL.
    let claimed: HashSet<String> = trace
        .requests
        .iter()
        .flat_map(lines_chromium_may_print)
        .filter(|line| console.contains(line))
        .collect();
    for (record, seen) in trace.requests.iter().zip(seen) {
        let simulated = Side::simulated(record);
        let real = Side::real(seen, reads_headers(record));
        let agrees = simulated == real;
        writeln!(
            out,
            "#{} {} {} — {}",
            record.index,
            escape(&record.method),
            escape(&crate::narrate::shown_path(&record.url)),
            if agrees { "agrees" } else { "DISAGREES" }
        )?;
        writeln!(out, "   simulated: {}", escape(&simulated.describe()))?;
        if record.via == Via::Raw {
            writeln!(
                out,
                "   the lab:   {} (a raw client, as curl: no browser)",
                escape(&real.describe())
            )?;
        } else {
            writeln!(out, "   Chromium:  {}", escape(&real.describe()))?;
        }
        if let Some(error) = seen.result.as_ref().and_then(|r| r.error.as_deref()) {
            writeln!(out, "   fetch(): {}", escape(error))?;
        }
        // Chromium's console lines about this URL, and whether the simulation's is among them.
        // A redirected request's line names the URL it was redirected from after the one it
        // failed at.
        let at = format!("at '{}'", record.url);
        let from = format!("(redirected from '{}')", record.url);
        let simulated_line = record.error();
        // A mixed-content line names the URL blocked, a redirect's next one included.
        let printed: Vec<&String> = console
            .iter()
            .filter(|c| {
                c.contains(&at)
                    || c.contains(&from)
                    || simulated_line.as_deref() == Some(c.as_str())
            })
            .collect();
        let blocked = record.outcome == Outcome::Blocked || real.read == Some(false);
        let may_print = lines_chromium_may_print(record);
        match &simulated_line {
            _ if !blocked => {}
            Some(line) if printed.iter().any(|p| p.as_str() == line.as_str()) => {
                writeln!(out, "   console: the same line, word for word")?;
            }
            Some(_) if printed.iter().any(|p| may_print.contains(p)) => {
                writeln!(
                    out,
                    "   console: the same line, word for word, naming another of the disallowed headers (Chromium names one, in an order of its own)"
                )?;
            }
            // A network error's line reaches DevTools, not the browser's log: Chromium printed
            // no CORS line instead, and that is all the lab can see.
            Some(line) if line.starts_with(NETWORK_ERROR_LINE) && printed.is_empty() => {
                writeln!(
                    out,
                    "   console: {} (DevTools shows it; Chromium's log does not, and printed no CORS line)",
                    escape(line)
                )?;
            }
            _ => {
                if let Some(line) = &simulated_line {
                    writeln!(out, "   simulated console: {}", escape(line))?;
                }
                for line in printed
                    .iter()
                    .filter(|line| !claimed.contains(line.as_str()))
                {
                    writeln!(out, "   Chromium console:  {}", escape(line))?;
                }
            }
        }
        if !agrees {
            disagree.push(format!("#{}", record.index));
        }
    }
    let total = trace.requests.len();
    write_summary(out, (total, total), &disagree)?;
    Ok(disagree.is_empty())
}

/// How Chromium's DevTools starts a network error's line (`net::ERR_…`).
const NETWORK_ERROR_LINE: &str = "Failed to load resource:";

/// The hop (0: the request itself, then each redirect) the `n`th request of `record` to reach
/// the server is at: the browser skips the hops its HTTP cache answers, as the simulation did
/// (a redirect it kept).
fn network_hop(record: &RequestRecord, n: usize) -> usize {
    record
        .exchanges
        .iter()
        .filter(|exchange| exchange.kind == ExchangeKind::Actual)
        .enumerate()
        .filter(|(_, exchange)| {
            !matches!(
                exchange.server,
                crate::server::ServerNote::BrowserCache { .. }
            )
        })
        .nth(n)
        .map_or(n, |(hop, _)| hop)
}

/// The console lines Chromium may print for a blocked `record`: the simulation's, or, when the
/// preflight answer disallows several request headers, the same line naming any one of them
/// (Chromium picks one by its internal header order: `tests/fixtures/chromium/lab/`).
fn lines_chromium_may_print(record: &RequestRecord) -> Vec<String> {
    use crate::engine::cors_error::ConsoleLine;
    match &record.console {
        Some(ConsoleLine::Failure(facts)) if facts.failure.all_disallowed.len() > 1 => facts
            .failure
            .all_disallowed
            .iter()
            .map(|name| {
                let mut facts = facts.clone();
                facts.failure.parameter.clone_from(name);
                ConsoleLine::Failure(facts).to_string()
            })
            .collect(),
        Some(line) => vec![line.to_string()],
        None => Vec::new(),
    }
}

/// The last line of a run's report: every request agrees, the ones run so far agree, or which
/// disagree (`disagree`: their numbers, `#2`).
fn write_summary(
    out: &mut impl Write,
    (reported, total): (usize, usize),
    disagree: &[String],
) -> std::io::Result<()> {
    if !disagree.is_empty() {
        writeln!(
            out,
            "{} of {total} requests disagree: {}.",
            disagree.len(),
            disagree.join(", ")
        )
    } else if reported == total {
        writeln!(out, "Every request agrees ({total} of {total}).")
    } else {
        writeln!(out, "{reported} of {total} requests run; they agree.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrived(method: &str, host: &str, target: &str, headers: &[(&str, &str)]) -> Arrived {
        let mut all = vec![("Host".to_string(), host.to_string())];
        all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        Arrived {
            method: method.to_string(),
            target: target.to_string(),
            headers: all,
            body: Vec::new(),
            secure: true,
            local_port: 443,
        }
    }

    fn body(reply: &Reply) -> serde_json::Value {
        serde_json::from_slice(&reply.body).unwrap_or_default()
    }

    /// The lab hands out the lesson's requests in order, sends the page to the origin that
    /// makes each, answers only the lesson's URLs while a request runs, and records what came.
    #[test]
    fn the_lab_runs_a_lesson_request_by_request() {
        let Some(Ok(basic)) = crate::scenario::lessons::find("basic")
            .map(|l| crate::scenario::load_str(l.text, "basic"))
        else {
            panic!("the basic lesson loads")
        };
        let trace = engine::run(&basic, BrowserProfile::Chromium);
        let lesson_urls: HashSet<String> =
            [basic.requests[0].url.to_string()].into_iter().collect();
        let mut run = Run::new(&basic, &trace, &names::Names::Exact);
        let next = |run: &mut Run, host: &str| {
            let asked = arrived("GET", host, "/__cors-tui-lab/next", &[]);
            body(&run.answer(asked, &lesson_urls))
        };
        let report = |run: &mut Run, host: &str, outcome: &str| {
            let mut posted = arrived("POST", host, "/__cors-tui-lab/result", &[]);
            posted.body = outcome.as_bytes().to_vec();
            run.answer(posted, &lesson_urls).status
        };
        let bucket = "bucket-name.s3.amazonaws.com";
        let photo = "/photo.jpg";
        // Nothing is answered for the lesson outside a request, nor anything else inside one.
        let early = arrived("GET", bucket, photo, &[("Origin", "https://example.com")]);
        assert_eq!(run.answer(early, &lesson_urls).status, 404);
        assert_eq!(next(&mut run, "example.com")["index"], 0);
        let icon = arrived("GET", "example.com", "/favicon.ico", &[]);
        assert_eq!(run.answer(icon, &lesson_urls).status, 404);
        let get = arrived("GET", bucket, photo, &[("Origin", "https://example.com")]);
        let answer = run.answer(get, &lesson_urls);
        assert!(
            answer.headers.iter().any(|(n, v)| n
                .eq_ignore_ascii_case("Access-Control-Allow-Origin")
                && v == "https://example.com"),
            "{:?}",
            answer.headers
        );
        assert_eq!(
            report(
                &mut run,
                "example.com",
                // As fetch() lists them, Content-Length too (the lab's server adds it).
                r#"{"index":0,"resolved":true,"readable":["content-length","content-type","etag","last-modified"]}"#
            ),
            204
        );
        // A report for a request not running now changes nothing.
        assert_eq!(
            report(&mut run, "example.com", r#"{"index":2,"resolved":true}"#),
            204
        );
        assert_eq!(run.next, 1);
        assert_eq!(next(&mut run, "example.com")["method"], "POST");
        let preflight = arrived(
            "OPTIONS",
            bucket,
            photo,
            &[
                ("Origin", "https://example.com"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        );
        run.answer(preflight, &lesson_urls);
        assert_eq!(run.seen[1].preflights, [Some("content-type".to_string())]);
        report(&mut run, "example.com", r#"{"index":1,"resolved":true}"#);
        // Request #3 comes from another page: the page goes there first.
        assert_eq!(
            next(&mut run, "example.com")["go"],
            "https://malicious.com/__cors-tui-lab/run"
        );
        assert_eq!(next(&mut run, "malicious.com")["index"], 2);
        report(&mut run, "malicious.com", r#"{"index":2,"resolved":false}"#);
        assert_eq!(next(&mut run, "malicious.com")["done"], true);
        assert_eq!(
            Side::real(&run.seen[0], reads_headers(&trace.requests[0])),
            Side::simulated(&trace.requests[0])
        );
        assert_eq!(
            Side::real(&run.seen[2], reads_headers(&trace.requests[2])).read,
            Some(false)
        );
    }

    fn lesson(name: &str) -> Scenario {
        match crate::scenario::lessons::find(name).map(|l| crate::scenario::load_str(l.text, name))
        {
            Some(Ok(scenario)) => scenario,
            _ => panic!("the {name} lesson loads"),
        }
    }

    /// Where two requests go to one URL, the line Chromium printed for the first is not shown
    /// against the second; a line the simulation did not foresee is.
    #[test]
    fn a_console_line_is_shown_against_the_request_it_is_not_claimed_by() {
        let text = r#"{"server": {"type": "static", "url": "https://api.example",
            "preflight": {"status": 204, "headers": {}},
            "actual": {"status": 200, "headers": {"Access-Control-Allow-Origin": "https://app.example/"}}},
            "requests": [
                {"origin": "https://app.example", "url": "https://api.example/same"},
                {"origin": "https://app.example", "url": "https://api.example/same", "via": "xhr"}]}"#;
        let scenario =
            crate::scenario::load_str(text, "same-url.json").unwrap_or_else(|e| panic!("{e:?}"));
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let fetch_line = trace.requests[0].error().unwrap_or_default();
        let unforeseen = "Access to XMLHttpRequest at 'https://api.example/same' from origin 'https://app.example' has been blocked by CORS policy: something else.".to_string();
        let seen = Seen {
            actual: 1,
            result: Some(page::Outcome {
                index: 0,
                resolved: false,
                error: None,
                readable: None,
            }),
            ..Seen::default()
        };
        let mut out = Vec::new();
        let console = [fetch_line.clone(), unforeseen.clone()];
        write_comparison(
            &mut out,
            &scenario,
            &trace,
            &[seen.clone(), seen],
            ("Chromium", &console),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let out = String::from_utf8_lossy(&out);
        let (first, second) = out.split_once("#2 ").unwrap_or_else(|| panic!("{out}"));
        assert!(
            first.contains("console: the same line, word for word"),
            "{out}"
        );
        assert!(
            second.contains(&format!("Chromium console:  {unforeseen}")),
            "{out}"
        );
        assert!(!second.contains(&fetch_line), "{out}");
    }

    fn idle_run<'a>(scenario: &'a Scenario, trace: &'a Trace) -> Run<'a> {
        Run::new(scenario, trace, &names::Names::Exact)
    }

    #[test]
    fn lessons_the_lab_cannot_run_say_why() {
        assert_eq!(not_runnable(&lesson("basic"), 30), None);
        let max_age = lesson("max-age");
        assert_eq!(
            not_runnable(&max_age, 30).as_deref(),
            Some(
                "request #2 waits 3600 s, and the lab waits in real time (at most 30 s; \
                 --max-wait 3700 runs it)"
            )
        );
        assert_eq!(not_runnable(&max_age, 3700), None);
        assert_eq!(
            not_runnable(&lesson("curl-vs-browser"), 30),
            None,
            "the lab sends raw requests itself"
        );
        for runs in [
            "images-fonts-scripts-and-xhr",
            "null-origin",
            "dangerous-rules",
            "cookies-and-samesite",
        ] {
            assert_eq!(not_runnable(&lesson(runs), 30), None, "{runs}");
        }
        let mut local = lesson("basic");
        std::sync::Arc::make_mut(&mut local.requests)[0].url =
            url::Url::parse("http://127.0.0.1:9000/photo.jpg").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            not_runnable(&local, 30).as_deref(),
            Some("127.0.0.1 is not a name the lab can map")
        );
    }

    /// The lesson's cookies are given first, each by a visit to the URL that set it; an
    /// element's answer carries a body it can use; an opaque origin's request is made where the
    /// page is; an http page is told from an https one.
    #[test]
    fn cookies_come_first_and_elements_get_a_usable_body() {
        let cookies = lesson("cookies-and-samesite");
        let trace = engine::run(&cookies, BrowserProfile::Chromium);
        let urls: HashSet<String> = [cookies.requests[0].url.to_string()].into();
        let mut run = idle_run(&cookies, &trace);
        let asked = arrived("GET", "app.example.com", "/__cors-tui-lab/next", &[]);
        let go = body(&run.answer(asked.clone(), &urls));
        assert_eq!(
            go["go"],
            "https://api.example.com/login?__cors-tui-lab=set-cookie"
        );
        let visit = arrived(
            "GET",
            "api.example.com",
            "/login?__cors-tui-lab=set-cookie",
            &[],
        );
        let given = run.answer(visit, &urls);
        assert!(
            given.headers.contains(&(
                "Set-Cookie".into(),
                "session=4f9c2e71; Secure; HttpOnly; Path=/".into()
            )),
            "{:?}",
            given.headers
        );
        assert_eq!(
            body(&run.answer(asked.clone(), &urls))["go"],
            "https://api.example.com/cart?__cors-tui-lab=set-cookie"
        );
        // Served over http, the same path is another origin's.
        let mut plain = arrived("GET", "app.example.com", "/__cors-tui-lab/next", &[]);
        plain.secure = false;
        run.cookies_set = cookies.cookies.jar.len();
        assert_eq!(
            body(&run.answer(plain, &urls))["go"],
            "https://app.example.com/__cors-tui-lab/run"
        );
        assert_eq!(body(&run.answer(asked, &urls))["index"], 0);

        let null = lesson("null-origin");
        let trace = engine::run(&null, BrowserProfile::Chromium);
        let mut run = idle_run(&null, &trace);
        let asked = arrived("GET", LAB_HOST, "/__cors-tui-lab/next", &[]);
        let step = body(&run.answer(asked, &urls));
        assert_eq!(
            (step["index"].clone(), step["sandboxed"].clone()),
            (0.into(), true.into())
        );

        let elements = lesson("images-fonts-scripts-and-xhr");
        let trace = engine::run(&elements, BrowserProfile::Chromium);
        let urls: HashSet<String> = [elements.requests[3].url.to_string()].into();
        let mut run = idle_run(&elements, &trace);
        run.window = Some(3);
        let font = arrived(
            "GET",
            "static-assets.s3.amazonaws.com",
            "/fonts/inter.woff2",
            &[("Origin", "https://shop.example")],
        );
        let answer = run.answer(font, &urls);
        assert_eq!(
            answer.body,
            page::stand_in(crate::scenario::Initiator::Font)
                .map(|(_, b)| b.to_vec())
                .unwrap_or_default()
        );
        assert!(
            answer
                .headers
                .contains(&("Content-Type".into(), "font/ttf".into()))
        );
    }

    #[test]
    fn cookie_names_are_compared_as_a_set() {
        assert_eq!(cookie_names(Some("b=1; a=2;c")), ["a", "b", "c"]);
        assert!(cookie_names(None).is_empty());
    }
}
