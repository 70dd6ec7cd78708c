//! `cors-tui serve FILE`: the lab for a browser the person opens themselves. The lab's doors
//! listen in the background, the URL to open is printed (and shown in the view), and what the
//! browser does comes in request by request, for the view to show beside the simulation.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::names::{self, Door, Names};
use super::server::{self, Arrived, Listener, Reply};
use super::{LAB_PATH, Run, Seen, Side, hosts, lesson_urls, not_runnable};
use crate::engine::{self, Trace};
use crate::error::Error;
use crate::safe_text::escape;
use crate::scenario::{BrowserProfile, Scenario};

/// How `serve` listens.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The address to listen on: loopback unless a classroom network is meant.
    pub listen: std::net::IpAddr,
    /// The longest wait between requests the page sits through (seconds).
    pub longest_wait: u64,
}

/// What one browser has done so far, shared with the view.
#[derive(Default)]
struct Shared {
    seen: Vec<Seen>,
    user_agent: Option<String>,
}

/// The most browsers one lab runs the lesson for at once (each has doors and threads of its
/// own); a classroom is well under it.
const MOST_BROWSERS: usize = 40;

/// What every browser's run shares: the lesson, its simulated run, and where to listen.
struct Lesson {
    scenario: Scenario,
    trace: Trace,
    urls: Vec<url::Url>,
    hosts: Vec<String>,
    address: std::net::IpAddr,
    /// The origin the lab's page starts on.
    first_page: String,
}

/// The browsers that opened the URL, oldest first, and the threads serving their doors.
#[derive(Default)]
struct Browsers {
    runs: Vec<Arc<Mutex<Shared>>>,
    threads: Vec<JoinHandle<std::io::Result<()>>>,
}

/// A lab serving in the background. Dropping it stops every door.
pub struct Live {
    /// The URL to open in a browser.
    pub url: String,
    /// A warning to show, when the lab is reachable from other machines.
    pub warning: Option<String>,
    simulated: Vec<Side>,
    /// Per request: whether its readable headers are compared.
    reads: Vec<bool>,
    browsers: Arc<Mutex<Browsers>>,
    stop: Arc<AtomicBool>,
    entrance: Option<JoinHandle<std::io::Result<()>>>,
}

/// One request's real side next to the simulated one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    pub simulated: String,
    pub real: String,
    pub agrees: bool,
    /// Why they may differ when the browser's own settings, not CORS, decide it.
    pub note: Option<&'static str>,
    /// The browser, short (`Firefox 133`), from its `User-Agent`.
    pub browser: String,
}

/// Opens the lab's entrance for `scenario` and returns at once; the browsers are the people's.
/// Each browser that opens the URL gets doors of its own, so a class can run the lesson at
/// once and each run is told apart.
pub fn serve(scenario: &Scenario, name: &str, options: &ServeOptions) -> Result<Live, Error> {
    let usage = |message: String| Error::Usage(format!("serve: {message}"));
    if let Some(why) = not_runnable(scenario, options.longest_wait) {
        return Err(usage(format!(
            "{} cannot run in the browser: {}",
            escape(name),
            escape(&why)
        )));
    }
    let address = options.listen;
    if address.is_unspecified() {
        return Err(usage(
            "--listen takes this machine's address on the classroom network (say 192.168.1.20), \
             which goes into the URLs the browsers are given; 0.0.0.0 and :: are not one"
                .to_string(),
        ));
    }
    let trace = engine::run(scenario, BrowserProfile::Chromium);
    let mut urls = lesson_urls(scenario, &trace);
    let hosts = hosts(&urls).map_err(usage)?;
    let first_page = super::first_page(scenario);
    // The lab's own host, where a lesson that starts on an opaque origin starts, needs a door.
    if let Ok(page) = url::Url::parse(&first_page)
        && !urls.contains(&page)
    {
        urls.push(page);
    }
    let entrance = Listener::bind_at(&hosts, &std::net::SocketAddr::new(address, 0).to_string())
        .map_err(|e| usage(format!("cannot listen on {address}: {e}")))?;
    let port = entrance.port().map_err(|e| usage(e.to_string()))?;
    let host = if address.is_loopback() {
        "localhost".to_string()
    } else {
        shown(address)
    };
    let url = format!("http://{host}:{port}{LAB_PATH}start");
    let warning = (!address.is_loopback()).then(|| {
        format!(
            "the lab listens on {address}: anyone who can reach this machine can open it and its lesson's answers"
        )
    });
    let simulated: Vec<Side> = trace.requests.iter().map(Side::simulated).collect();
    let reads: Vec<bool> = trace.requests.iter().map(super::reads_headers).collect();
    let lesson = Arc::new(Lesson {
        scenario: scenario.clone(),
        trace,
        urls,
        hosts,
        address,
        first_page,
    });
    let browsers: Arc<Mutex<Browsers>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (browsers, stop) = (browsers.clone(), stop.clone());
        std::thread::spawn(move || {
            let answer = |arrived: Arrived| -> Reply {
                if !arrived.target.starts_with(&format!("{LAB_PATH}start")) {
                    return super::page::not_found();
                }
                match welcome(&lesson, &browsers, &stop) {
                    Ok(page) => super::page::redirect(&page),
                    Err(why) => super::page::unavailable(&why),
                }
            };
            server::serve_all(std::slice::from_ref(&entrance), &stop, &answer)
        })
    };
    Ok(Live {
        url,
        warning,
        simulated,
        reads,
        browsers,
        stop,
        entrance: Some(thread),
    })
}

/// `address` as a URL's host.
fn shown(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    }
}

/// Opens doors for a browser that came to the entrance, and where its page starts.
fn welcome(
    lesson: &Arc<Lesson>,
    browsers: &Arc<Mutex<Browsers>>,
    stop: &Arc<AtomicBool>,
) -> Result<String, String> {
    let mut all = browsers.lock().map_err(|_| "the lab failed".to_string())?;
    if all.runs.len() >= MOST_BROWSERS {
        return Err(format!(
            "the lab runs the lesson for at most {MOST_BROWSERS} browsers; start it again for more"
        ));
    }
    let (names, listeners) = doors(lesson).map_err(|e| format!("cannot open doors: {e}"))?;
    let page = format!("{}{LAB_PATH}run", names.outward_origin(&lesson.first_page));
    let shared = Arc::new(Mutex::new(Shared {
        seen: vec![Seen::default(); lesson.scenario.requests.len()],
        user_agent: None,
    }));
    all.runs.push(shared.clone());
    let (lesson, stop) = (lesson.clone(), stop.clone());
    all.threads.push(std::thread::spawn(move || {
        run_doors(&lesson, &names, &listeners, (&stop, &shared))
    }));
    Ok(page)
}

/// One browser's doors: on loopback each lesson host is a name under localhost, one door per
/// scheme and port; from other machines (a classroom) those names would be their own, so each
/// lesson origin gets a door of its own on the address.
fn doors(lesson: &Lesson) -> std::io::Result<(Names, Vec<Listener>)> {
    let bind = || {
        let at = std::net::SocketAddr::new(lesson.address, 0).to_string();
        let listener = Listener::bind_at(&lesson.hosts, &at)?;
        let port = listener.port()?;
        Ok::<_, std::io::Error>((listener, port))
    };
    let mut listeners = Vec::new();
    if lesson.address.is_loopback() {
        let mut doors = Vec::new();
        for (scheme, port) in names::schemes_and_ports(lesson.urls.iter()) {
            let (listener, local) = bind()?;
            doors.push(Door {
                scheme,
                port,
                local,
            });
            listeners.push(listener);
        }
        return Ok((Names::Loopback { doors }, listeners));
    }
    let mut ports = Vec::new();
    for origin in origins_of(&lesson.urls) {
        let (listener, local) = bind()?;
        ports.push((origin, local));
        listeners.push(listener);
    }
    let address = shown(lesson.address);
    Ok((Names::Ports { ports, address }, listeners))
}

/// The origins of `urls`, each once, in order.
fn origins_of(urls: &[url::Url]) -> Vec<String> {
    let mut origins: Vec<String> = Vec::new();
    for url in urls {
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

/// Serves one browser's doors until stopped, answering as the lesson's server and keeping
/// what the browser did where the view reads it.
fn run_doors(
    lesson: &Lesson,
    names: &Names,
    listeners: &[Listener],
    (stop, shared): (&AtomicBool, &Mutex<Shared>),
) -> std::io::Result<()> {
    let lesson_urls: HashSet<String> = lesson.urls.iter().map(|u| u.to_string()).collect();
    let run = Mutex::new(Run::new(&lesson.scenario, &lesson.trace, names));
    let answer = |arrived: Arrived| -> Reply {
        let Ok(mut run) = run.lock() else {
            return super::page::not_found();
        };
        let reply = run.answer(arrived, &lesson_urls);
        if let Ok(mut shared) = shared.lock() {
            shared.seen.clone_from(&run.seen);
            shared.user_agent.clone_from(&run.user_agent);
        }
        reply
    };
    server::serve_all(listeners, stop, &answer)
}

/// The browser a `User-Agent` names, short: `Firefox 133`, `Chrome 148`, `Safari 17.4`.
fn browser_of(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent else {
        return "a browser".to_string();
    };
    let version_of = |product: &str| {
        agent
            .split_whitespace()
            .find_map(|token| token.strip_prefix(product)?.strip_prefix('/'))
            .map(|v| v.split('.').next().unwrap_or(v).to_string())
    };
    for (product, shown) in [
        ("Firefox", "Firefox"),
        ("Edg", "Edge"),
        ("HeadlessChrome", "Headless Chrome"),
        ("Chrome", "Chrome"),
    ] {
        if let Some(version) = version_of(product) {
            return format!("{shown} {version}");
        }
    }
    if agent.contains("Safari/")
        && let Some(version) = version_of("Version")
    {
        return format!("Safari {version}");
    }
    escape(agent).chars().take(40).collect()
}

impl Live {
    /// The browsers that opened the URL so far, oldest first.
    fn runs(&self) -> Vec<Arc<Mutex<Shared>>> {
        self.browsers
            .lock()
            .map(|b| b.runs.clone())
            .unwrap_or_default()
    }

    fn compare(&self, shared: &Shared, index: usize) -> Option<Compared> {
        let seen = shared.seen.get(index)?;
        seen.result.as_ref()?;
        let simulated = self.simulated.get(index)?;
        let real = Side::real(seen, self.reads.get(index).copied().unwrap_or(false));
        let only_cookies = *simulated != real
            && Side {
                cookies: Vec::new(),
                ..simulated.clone()
            } == Side {
                cookies: Vec::new(),
                ..real.clone()
            };
        Some(Compared {
            simulated: simulated.describe(),
            real: real.describe(),
            agrees: *simulated == real,
            note: only_cookies.then_some(
                "only the cookies differ: the browser's third-party cookie setting decides them (the lesson takes Chrome's default, allowed, unless it says blocked)",
            ),
            browser: browser_of(shared.user_agent.as_deref()),
        })
    }

    /// Request `index` (0-based) as each browser made it so far, beside the simulation, oldest
    /// browser first; empty until one reported it.
    pub fn compared(&self, index: usize) -> Vec<Compared> {
        self.runs()
            .iter()
            .filter_map(|run| self.compare(&*run.lock().ok()?, index))
            .collect()
    }

    /// How many browsers opened the URL, how many ran every request, and how many of those
    /// (or of the ones still running) disagree somewhere so far.
    pub fn progress(&self) -> Progress {
        let mut progress = Progress::default();
        for run in self.runs() {
            let Ok(shared) = run.lock() else { continue };
            let compared: Vec<Compared> = (0..self.simulated.len())
                .filter_map(|i| self.compare(&shared, i))
                .collect();
            progress.browsers += 1;
            progress.reported = compared.len();
            if compared.len() == self.simulated.len() {
                progress.finished += 1;
            }
            if compared.iter().any(|c| !c.agrees) {
                progress.disagree += 1;
            }
        }
        progress.requests = self.simulated.len();
        progress
    }

    /// Some browser has run every request.
    pub fn finished(&self) -> bool {
        self.progress().finished > 0
    }

    /// Each browser's run as `--json` writes it, oldest browser first.
    pub fn documents(&self, scenario: &Scenario) -> Vec<super::RunDocument> {
        let mut documents = Vec::new();
        for run in self.runs() {
            let Ok(shared) = run.lock() else { continue };
            let requests: Vec<super::RequestDocument> = scenario
                .requests
                .iter()
                .zip(&self.simulated)
                .enumerate()
                .map(|(i, (spec, simulated))| {
                    let real = shared
                        .seen
                        .get(i)
                        .filter(|seen| seen.result.is_some())
                        .map(|seen| Side::real(seen, self.reads.get(i).copied().unwrap_or(false)));
                    super::RequestDocument::new(
                        (i + 1, &spec.method, spec.url.as_str()),
                        simulated,
                        real.as_ref(),
                        None,
                    )
                })
                .collect();
            documents.push(super::RunDocument {
                lesson: scenario.title.clone(),
                browser: shared
                    .user_agent
                    .clone()
                    .unwrap_or_else(|| "a browser".to_string()),
                agrees: requests.iter().all(|r| r.agrees == Some(true)),
                requests,
            });
        }
        documents
    }

    /// Writes each browser's run, request by request, beside the simulation, as `serve
    /// --check` does; `Ok(true)` when some browser ran every request and none disagrees (a
    /// browser still running counts for what it has run).
    pub fn write_report(
        &self,
        scenario: &Scenario,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<bool> {
        let runs = self.runs();
        if runs.is_empty() {
            writeln!(out, "No browser opened {}.", self.url)?;
            return Ok(false);
        }
        let (mut none_disagree, mut one_finished) = (true, false);
        for run in runs {
            let Ok(shared) = run.lock() else { continue };
            let agent = shared
                .user_agent
                .clone()
                .unwrap_or_else(|| "a browser".to_string());
            writeln!(
                out,
                "{} — run in {} next to the simulation",
                escape(&scenario.title),
                escape(&agent)
            )?;
            let mut disagree = Vec::new();
            let mut reported = 0;
            for (i, spec) in scenario.requests.iter().enumerate() {
                let compared = self.compare(&shared, i);
                let verdict = match &compared {
                    None => "not run",
                    Some(c) if c.agrees => "agrees",
                    Some(_) => "DISAGREES",
                };
                writeln!(
                    out,
                    "#{} {} {} — {verdict}",
                    i + 1,
                    escape(&spec.method),
                    escape(&crate::narrate::shown_path(spec.url.as_str()))
                )?;
                let Some(c) = compared else { continue };
                reported += 1;
                writeln!(out, "   simulated: {}", escape(&c.simulated))?;
                writeln!(out, "   browser:   {}", escape(&c.real))?;
                if let Some(note) = c.note {
                    writeln!(out, "   note: {note}")?;
                }
                if !c.agrees {
                    disagree.push(format!("#{}", i + 1));
                }
            }
            let total = scenario.requests.len();
            super::write_summary(out, (reported, total), &disagree)?;
            none_disagree &= disagree.is_empty();
            one_finished |= reported == total;
        }
        Ok(none_disagree && one_finished)
    }
}

/// Where the browsers are: how many opened the URL, ran every request, disagree somewhere; and
/// how many requests the newest has reported, of how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub browsers: usize,
    pub finished: usize,
    pub disagree: usize,
    pub reported: usize,
    pub requests: usize,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.entrance.take() {
            let _ = thread.join();
        }
        let threads = self
            .browsers
            .lock()
            .map(|mut b| std::mem::take(&mut b.threads))
            .unwrap_or_default();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_agent_names_its_browser_short() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36";
        assert_eq!(browser_of(Some(chrome)), "Chrome 148");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_of(Some(firefox)), "Firefox 133");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
        assert_eq!(browser_of(Some(safari)), "Safari 17");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(browser_of(Some(edge)), "Edge 131");
        assert_eq!(browser_of(None), "a browser");
    }
}
