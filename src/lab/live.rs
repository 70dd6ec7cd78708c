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

/// What the browser has done so far, shared with the view.
#[derive(Default)]
struct Shared {
    seen: Vec<Seen>,
    user_agent: Option<String>,
}

/// A lab serving in the background. Dropping it stops the doors.
pub struct Live {
    /// The URL to open in a browser.
    pub url: String,
    /// A warning to show, when the lab is reachable from other machines.
    pub warning: Option<String>,
    simulated: Vec<Side>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

/// One request's real side next to the simulated one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    pub simulated: String,
    pub real: String,
    pub agrees: bool,
    /// Why they may differ when the browser's own settings, not CORS, decide it.
    pub note: Option<&'static str>,
}

/// Starts the lab's doors for `scenario` and returns at once; the browser is the person's.
pub fn serve(scenario: &Scenario, name: &str, options: &ServeOptions) -> Result<Live, Error> {
    let usage = |message: String| Error::Usage(format!("serve: {message}"));
    if let Some(why) = not_runnable(scenario, options.longest_wait) {
        return Err(usage(format!(
            "{} cannot run in the browser: {}",
            escape(name),
            escape(&why)
        )));
    }
    if options.listen.is_unspecified() {
        return Err(usage(
            "--listen takes this machine's address on the classroom network (say 192.168.1.20), \
             which goes into the URLs the browsers are given; 0.0.0.0 and :: are not one"
                .to_string(),
        ));
    }
    let trace = engine::run(scenario, BrowserProfile::Chromium);
    let urls = lesson_urls(scenario, &trace);
    let hosts = hosts(&urls).map_err(usage)?;
    let address = options.listen;
    let loopback = address.is_loopback();
    // On loopback each lesson host is a name under localhost, one door per scheme and port;
    // from other machines (a classroom) those names do not resolve, so each lesson origin
    // gets a door of its own on the address.
    let wanted: Vec<(String, u16, Option<String>)> = if loopback {
        names::schemes_and_ports(urls.iter())
            .into_iter()
            .map(|(scheme, port)| (scheme, port, None))
            .collect()
    } else {
        origins_of(&urls)
            .into_iter()
            .map(|origin| (String::new(), 0, Some(origin)))
            .collect()
    };
    let mut listeners = Vec::new();
    let mut doors = Vec::new();
    let mut ports = Vec::new();
    for (scheme, port, origin) in wanted {
        let listener =
            Listener::bind_at(&hosts, &std::net::SocketAddr::new(address, 0).to_string())
                .map_err(|e| usage(format!("cannot listen on {address}: {e}")))?;
        let local = listener.port().map_err(|e| usage(e.to_string()))?;
        match origin {
            None => doors.push(Door {
                scheme,
                port,
                local,
            }),
            Some(origin) => ports.push((origin, local)),
        }
        listeners.push(listener);
    }
    let shown = match address {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    let names = if loopback {
        Names::Loopback { doors }
    } else {
        Names::Ports {
            ports,
            address: shown,
        }
    };
    let first_page = scenario
        .requests
        .iter()
        .find(|r| r.via != crate::scenario::Via::Raw)
        .and_then(|r| r.origin.clone())
        .filter(|origin| origin != "null")
        .unwrap_or_else(|| format!("https://{}", super::LAB_HOST));
    let url = format!("{}{LAB_PATH}start", names.outward_origin(&first_page));
    let warning = (!loopback).then(|| {
        format!(
            "the lab listens on {address}: anyone who can reach this machine can open it and its lesson's answers"
        )
    });
    let simulated: Vec<Side> = trace.requests.iter().map(Side::simulated).collect();
    let shared = Arc::new(Mutex::new(Shared {
        seen: vec![Seen::default(); scenario.requests.len()],
        user_agent: None,
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let scenario = scenario.clone();
        let shared = shared.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            run_doors(
                &scenario,
                &trace,
                (&names, &urls),
                &listeners,
                (&stop, &shared),
            )
        })
    };
    Ok(Live {
        url,
        warning,
        simulated,
        shared,
        stop,
        thread: Some(thread),
    })
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

/// Serves the doors until stopped, answering as the lesson's server and keeping what the
/// browser did where the view reads it.
fn run_doors(
    scenario: &Scenario,
    trace: &Trace,
    (names, urls): (&Names, &[url::Url]),
    listeners: &[Listener],
    (stop, shared): (&AtomicBool, &Mutex<Shared>),
) -> std::io::Result<()> {
    let lesson_urls: HashSet<String> = urls.iter().map(|u| u.to_string()).collect();
    let fresh = || Run::new(scenario, trace, names);
    let run = Mutex::new(fresh());
    let answer = |arrived: Arrived| -> Reply {
        let Ok(mut run) = run.lock() else {
            return super::page::not_found();
        };
        // Opening the URL again starts the lesson again (the browser keeps its caches).
        if arrived.target.starts_with(&format!("{LAB_PATH}start")) {
            *run = fresh();
        }
        let reply = run.answer(arrived, &lesson_urls);
        if let Ok(mut shared) = shared.lock() {
            shared.seen.clone_from(&run.seen);
            shared.user_agent.clone_from(&run.user_agent);
        }
        reply
    };
    server::serve_all(listeners, stop, &answer)
}

impl Live {
    /// Request `index` (0-based) as the browser made it so far, beside the simulation; `None`
    /// until the browser reported it.
    pub fn compared(&self, index: usize) -> Option<Compared> {
        let shared = self.shared.lock().ok()?;
        let seen = shared.seen.get(index)?;
        seen.result.as_ref()?;
        let simulated = self.simulated.get(index)?;
        let real = Side::real(seen);
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
        })
    }

    /// Requests the browser has reported, and how many of them disagree.
    pub fn progress(&self) -> (usize, usize) {
        let compared: Vec<Compared> = (0..self.simulated.len())
            .filter_map(|i| self.compared(i))
            .collect();
        (
            compared.len(),
            compared.iter().filter(|c| !c.agrees).count(),
        )
    }

    /// Every request has been reported.
    pub fn finished(&self) -> bool {
        self.progress().0 == self.simulated.len()
    }

    /// Writes each request's simulated and real side, as `serve --check` does; `Ok(true)` when
    /// every request the browser reported agrees and it reported them all.
    pub fn write_report(
        &self,
        scenario: &Scenario,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<bool> {
        let browser = self
            .user_agent()
            .unwrap_or_else(|| "a browser that never opened the page".to_string());
        writeln!(
            out,
            "{} — run in {} next to the simulation",
            escape(&scenario.title),
            escape(&browser)
        )?;
        let mut disagree = Vec::new();
        for (i, spec) in scenario.requests.iter().enumerate() {
            let compared = self.compared(i);
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
                escape(spec.url.as_str())
            )?;
            if let Some(c) = compared {
                writeln!(out, "   simulated: {}", escape(&c.simulated))?;
                writeln!(out, "   browser:   {}", escape(&c.real))?;
                if let Some(note) = c.note {
                    writeln!(out, "   note: {note}")?;
                }
                if !c.agrees {
                    disagree.push(format!("#{}", i + 1));
                }
            }
        }
        let (reported, _) = self.progress();
        let total = scenario.requests.len();
        if disagree.is_empty() && reported == total {
            writeln!(out, "Every request agrees ({total} of {total}).")?;
        } else if disagree.is_empty() {
            writeln!(out, "{reported} of {total} requests run; they agree.")?;
        } else {
            writeln!(
                out,
                "{} of {total} requests disagree: {}.",
                disagree.len(),
                disagree.join(", ")
            )?;
        }
        Ok(disagree.is_empty() && reported == total)
    }

    /// The browser's `User-Agent`, once it has opened the lab's page.
    pub fn user_agent(&self) -> Option<String> {
        self.shared.lock().ok()?.user_agent.clone()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
