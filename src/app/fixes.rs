//! Each request's fix, worked out the first time the view shows it: a large recording's fixes
//! would hold up its first frame.
//!
//! A fix is proven by re-running what the change can reach. Where that is the request's own
//! group (a recording's answers, [`Scope`]), it takes moments and is worked out at once. Where
//! it is the whole run (rules, a layer in front, a redirect) and the run is large, each change
//! tried re-runs every request: a thread of its own works it out, on the run's verdicts alone,
//! while the view stays live and says so. Nothing is capped by size.

use std::cell::{OnceCell, RefCell};
use std::sync::{Arc, mpsc};

use crate::analysis::fix::{self, Baseline, Fix, Scope};
use crate::engine::{RequestRecord, Trace};
use crate::scenario::{Outcome, Scenario};

/// Up to this many requests a fix that re-runs the whole run is worked out at once, within a
/// frame or two (measured: 0.3 s for three re-runs of 5,000 requests behind CloudFront); past
/// it, on the worker.
const AT_ONCE: usize = 1_000;

/// How a request's fix stands.
#[derive(Clone, Copy, Debug)]
pub enum FixState<'a> {
    /// Worked out: the fix, or `None` where the request is not blocked or no change was found.
    Ready(Option<&'a Fix>),
    /// Being worked out on the worker: it shows once done.
    Working,
}

impl<'a> FixState<'a> {
    /// The fix, once worked out.
    pub fn fix(self) -> Option<&'a Fix> {
        match self {
            FixState::Ready(fix) => fix,
            FixState::Working => None,
        }
    }
}

pub struct LazyFixes {
    /// Boxed: a fix is a few hundred bytes, and a large recording has a cell per request,
    /// most never asked for.
    cells: Vec<OnceCell<Option<Box<Fix>>>>,
    scope: OnceCell<Option<Scope>>,
    /// Started the first time a fix needs it.
    worker: RefCell<Option<Worker>>,
}

/// The thread that proves fixes on the whole run, one request at a time: the latest asked
/// for first, as the person moves on before an earlier one is done.
struct Worker {
    ask: mpsc::Sender<RequestRecord>,
    answers: mpsc::Receiver<(usize, Option<Box<Fix>>)>,
    /// The request (0-based) last handed to it, until its answer comes.
    asked: Option<usize>,
}

impl Worker {
    /// `None` where no thread can be started: the fix is then worked out at once.
    fn start(scenario: Arc<Scenario>, trace: &Trace) -> Option<Worker> {
        let outcomes: Vec<Outcome> = trace.requests.iter().map(|r| r.outcome).collect();
        let profile = trace.profile;
        let (ask, asked) = mpsc::channel::<RequestRecord>();
        let (tell, answers) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("fixes".into())
            .spawn(move || {
                // Re-runs of one change to the server are kept, for the next request that needs it.
                let base = Baseline::new(profile, outcomes);
                // Ends when the view lets go of its side.
                while let Ok(mut record) = asked.recv() {
                    while let Ok(newer) = asked.try_recv() {
                        record = newer;
                    }
                    let found = fix::fix_against(&scenario, &base, &record).map(Box::new);
                    if tell.send((record.index - 1, found)).is_err() {
                        return;
                    }
                }
            });
        spawned.ok()?;
        Some(Worker {
            ask,
            answers,
            asked: None,
        })
    }
}

impl LazyFixes {
    pub fn new(requests: usize) -> Self {
        LazyFixes {
            cells: vec![OnceCell::new(); requests],
            scope: OnceCell::new(),
            worker: RefCell::new(None),
        }
    }

    /// The requests a change to one request's answers can reach, made once.
    fn scope(&self, scenario: &Scenario) -> Option<&Scope> {
        self.scope.get_or_init(|| Scope::new(scenario)).as_ref()
    }

    /// Request `index`'s fix (0-based): worked out at once where that is quick, otherwise
    /// handed to the worker the first time it is asked for.
    pub fn of(&self, scenario: &Arc<Scenario>, trace: &Trace, index: usize) -> FixState<'_> {
        let Some(cell) = self.cells.get(index) else {
            return FixState::Ready(None);
        };
        if let Some(fix) = cell.get() {
            return FixState::Ready(fix.as_deref());
        }
        let Some(record) = trace.requests.get(index) else {
            return FixState::Ready(None);
        };
        let scope = self.scope(scenario);
        let at_once = || {
            let fix = cell.get_or_init(|| fix::fix_at(scenario, trace, scope, index).map(Box::new));
            FixState::Ready(fix.as_deref())
        };
        if record.outcome != Outcome::Blocked || scope.is_some() || trace.requests.len() <= AT_ONCE
        {
            return at_once();
        }
        self.take_answers();
        if let Some(fix) = cell.get() {
            return FixState::Ready(fix.as_deref());
        }
        let mut worker = self.worker.borrow_mut();
        if worker.is_none() {
            *worker = Worker::start(Arc::clone(scenario), trace);
        }
        let Some(worker) = worker.as_mut() else {
            return at_once();
        };
        if worker.asked != Some(index) && worker.ask.send(record.clone()).is_ok() {
            worker.asked = Some(index);
        }
        FixState::Working
    }

    /// Files the fixes the worker has finished.
    pub fn take_answers(&self) {
        if let Some(worker) = self.worker.borrow_mut().as_mut() {
            while let Ok((index, fix)) = worker.answers.try_recv() {
                self.file(worker, index, fix);
            }
        }
    }

    /// Keeps the fix the worker proved for request `index`; the one asked for is no longer
    /// awaited.
    fn file(&self, worker: &mut Worker, index: usize, fix: Option<Box<Fix>>) {
        if let Some(cell) = self.cells.get(index) {
            let _ = cell.set(fix);
        }
        if worker.asked == Some(index) {
            worker.asked = None;
        }
    }

    /// A fix is being worked out on the worker.
    pub fn working(&self) -> bool {
        self.worker
            .borrow()
            .as_ref()
            .is_some_and(|worker| worker.asked.is_some())
    }

    /// Waits for the fix being worked out (for tests and scripts).
    pub fn wait(&self) {
        let mut worker = self.worker.borrow_mut();
        let Some(worker) = worker.as_mut() else {
            return;
        };
        while worker.asked.is_some() {
            match worker.answers.recv() {
                Ok((index, fix)) => self.file(worker, index, fix),
                Err(_) => worker.asked = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in lesson (a bucket's rules: every fix re-runs the whole run) repeated past
    /// [`AT_ONCE`] requests.
    fn large_lesson() -> (Arc<Scenario>, Trace) {
        let Ok(mut scenario) =
            crate::scenario::load_str(crate::scenario::BUILTIN_BASIC, "basic.json")
        else {
            panic!("the built-in lesson loads")
        };
        let lesson = scenario.requests.clone();
        while scenario.requests.len() <= AT_ONCE {
            Arc::make_mut(&mut scenario.requests).extend(lesson.iter().cloned());
        }
        let trace = crate::engine::run(&scenario, crate::scenario::BrowserProfile::Chromium);
        (Arc::new(scenario), trace)
    }

    #[test]
    fn a_large_runs_fix_is_worked_out_on_the_worker_as_it_would_be_at_once() {
        let (scenario, trace) = large_lesson();
        assert!(Scope::new(&scenario).is_none());
        let blocked: Vec<usize> = trace
            .requests
            .iter()
            .filter(|r| r.outcome == Outcome::Blocked)
            .map(|r| r.index - 1)
            .take(2)
            .collect();
        let [first, second] = blocked[..] else {
            panic!("two blocked requests")
        };
        let fixes = LazyFixes::new(trace.requests.len());
        assert!(!fixes.working());
        assert!(matches!(
            fixes.of(&scenario, &trace, first),
            FixState::Working
        ));
        // The person moved on: the latest request asked for is the one worked out.
        assert!(matches!(
            fixes.of(&scenario, &trace, second),
            FixState::Working
        ));
        assert!(fixes.working());
        fixes.wait();
        assert!(!fixes.working());
        let at_once = fix::fix_at(&scenario, &trace, None, second);
        assert!(at_once.is_some());
        assert_eq!(fixes.of(&scenario, &trace, second).fix(), at_once.as_ref());
        // An allowed request has no fix, and asks nothing of the worker.
        let allowed = trace
            .requests
            .iter()
            .position(|r| r.outcome == Outcome::Allowed)
            .unwrap_or_else(|| panic!("an allowed request"));
        assert!(matches!(
            fixes.of(&scenario, &trace, allowed),
            FixState::Ready(None)
        ));
        assert!(!fixes.working());
    }
}
