//! The application state and its update function: what the user is looking at, and how each
//! action changes it. No terminal here; the UI renders `&App`.

pub mod fixes;
pub mod keymap;
pub mod requests;
pub mod search;

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::analysis::lesson::{KeyMoment, QuizItem, key_moments, quiz};
use crate::analysis::whatif;
use crate::engine::{Trace, Verdict};
use crate::scenario::Scenario;
use crate::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Prev,
    First,
    Last,
    NextRequest,
    PrevRequest,
    NextBlocked,
    FocusNext,
    FocusPrev,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    ToggleFuture,
    ToggleAutoplay,
    Faster,
    Slower,
    ToggleHelp,
    ToggleAudit,
    Quit,
    /// Jump to a 0-based step (mouse click, or digits then Enter).
    Jump(usize),
    /// A periodic tick while autoplay runs.
    Tick,
    OpenQuiz,
    /// Pick a choice (0-based) of the current question.
    QuizAnswer(usize),
    QuizHint,
    QuizNext,
    QuizClose,
    OpenEditor,
    EditorUp,
    EditorDown,
    /// Apply the selected what-if edit and re-run the engine.
    EditorApply,
    EditorClose,
    /// Undo the last what-if edit.
    Undo,
    /// Ask for the edited scenario to be written to a new file.
    Save,
    /// Quit although there are unsaved what-if edits (the second ask).
    QuitAnyway,
    /// Scroll the open overlay (help, audit) by lines; `i32::MIN` goes to its top.
    OverlayScroll(i32),
    /// Leave the lesson's title card for its first step.
    CloseTitleCard,
    /// Give the focused panel the whole screen, or give the others back.
    ToggleZoom,
    /// Switch the Why panel between the lesson register and the spec register.
    ToggleRegister,
    /// Scroll the Why panel to its next (true) or previous section.
    WhySection(bool),
    /// Copy the current request's fix to the clipboard (OSC 52).
    CopyFix,
    /// Show the requests list (a recording opens on it).
    OpenList,
    /// Move the list's highlight by rows.
    ListMove(isize),
    /// Step into the highlighted request.
    ListOpenRequest,
    /// Keep only blocked requests in the list, or all again.
    ListToggleBlocked,
    /// Keep only the next value of a column (origin, host, cause), or all again.
    ListNarrow(requests::Facet),
    /// Clear the search, or else the narrowing.
    ListClear,
    /// Type the list's search (`/`).
    ListSearch(search::SearchEdit),
    /// Type the help's filter (`/` while help is open).
    HelpSearch(search::SearchEdit),
}

impl Action {
    /// What the requests list does while its recording is still replayed: moving, filtering,
    /// searching, help and quitting. The rest needs the whole trace.
    pub fn works_while_replaying(&self) -> bool {
        matches!(
            self,
            Action::Tick
                | Action::Quit
                | Action::QuitAnyway
                | Action::ToggleHelp
                | Action::OverlayScroll(_)
                | Action::ListMove(_)
                | Action::ListToggleBlocked
                | Action::ListNarrow(_)
                | Action::ListClear
                | Action::ListSearch(_)
                | Action::HelpSearch(_)
        )
    }
}

/// How the Why panel speaks: `Lesson` is what a teacher reads aloud (the key moment, the
/// request's note, the decision and result, the console line and the fix); `Spec` adds the
/// Fetch steps and the provider's behaviour with their citations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Register {
    Lesson,
    Spec,
}

/// The quiz in progress: one question at a time, then the score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuizState {
    pub items: Vec<QuizItem>,
    pub current: usize,
    /// The choice picked for the current question, if any.
    pub chosen: Option<usize>,
    pub hint: bool,
    pub score: usize,
    pub finished: bool,
}

/// The panels that Tab cycles through and ↑/↓ scroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Table,
    Variables,
    Config,
    Explanation,
}

impl Panel {
    pub const ALL: [Panel; 4] = [
        Panel::Table,
        Panel::Variables,
        Panel::Config,
        Panel::Explanation,
    ];

    pub fn index(self) -> usize {
        Panel::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// How rows past the current step show in the execution table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Future {
    Dimmed,
    Hidden,
}

pub const AUTOPLAY_SPEEDS_MS: [u64; 7] = [250, 500, 1000, 1500, 2000, 3000, 5000];

pub struct App {
    /// Shared with the thread that works out fixes on the whole run.
    pub scenario: std::sync::Arc<Scenario>,
    pub trace: Trace,
    /// Where the scenario came from (file name or "built-in").
    pub source: String,
    /// The current step (0-based index into `trace.steps`).
    pub cursor: usize,
    pub focus: Panel,
    /// Scroll offsets per panel (lines), indexed by `Panel::index`.
    pub scroll: [u16; 4],
    pub future: Future,
    pub autoplay: bool,
    /// Index into `AUTOPLAY_SPEEDS_MS`.
    pub speed: usize,
    /// Digits typed so far (a step number to jump to on Enter).
    pub pending: String,
    pub help: bool,
    /// The help's filter (`/`): only the keys whose line has it are listed.
    pub help_search: search::SearchInput,
    /// The audit overlay is open.
    pub audit_open: bool,
    /// Findings on the server's rules (`None`: a server without rules).
    pub audit: Option<Vec<crate::analysis::audit::Finding>>,
    pub quit: bool,
    pub theme: Theme,
    /// The lesson's key moments (the scenario's own, or derived from the trace), less those
    /// on steps the last what-if edit changed.
    pub moments: Vec<KeyMoment>,
    /// Every key moment of the trace in view.
    all_moments: Vec<KeyMoment>,
    pub quiz: Option<QuizState>,
    /// The what-if editor's selected option, when it is open.
    pub editor: Option<usize>,
    /// Earlier states, newest last: undoing one is instant, its analyses kept with it.
    pub undo: Vec<Snapshot>,
    /// A what-if edit of a large scenario being worked out off the UI thread.
    pub recomputing: Option<Recomputing>,
    /// A large recording being replayed on another thread (see [`App::replaying`]).
    pub replaying: Option<Replaying>,
    /// Per step: whether the last what-if edit changed it.
    pub changed: Vec<bool>,
    /// Set when the user asked to save; the terminal loop writes the file and clears it.
    pub save_requested: bool,
    /// A one-line message for the footer (saved, refused edit, …).
    pub status: Option<String>,
    /// The first line the open overlay shows.
    pub overlay_scroll: u16,
    /// Quit was asked with unsaved what-if edits: the next key decides.
    pub confirm_quit: bool,
    /// A lesson opens on its title card (its story and its question) until a key is pressed.
    pub title_card: bool,
    /// The focused panel has the whole screen.
    pub zoom: bool,
    /// How the Why panel speaks; lessons open in `Lesson`, recordings in `Spec`.
    pub register: Register,
    /// The Why panel's section starts (wrapped rows), as last drawn: ] and [ jump to them.
    pub why_sections: std::cell::RefCell<Vec<u16>>,
    /// Changes to the state so far (edits and undos), and that count when it was last saved.
    changes: u64,
    saved_changes: u64,
    /// Per request: the fix that would allow it, when it is blocked.
    fixes: fixes::LazyFixes,
    /// For a replayed recording: what the browser recorded, per request.
    pub recording: Option<crate::scenario::recording::Recording>,
    /// The requests list: a recording opens on it; `L` (or Esc in a recording) shows it.
    pub list: requests::RequestList,
    /// Text the terminal loop is to put on the clipboard (OSC 52), then clear.
    pub copy_requested: Option<String>,
    /// `serve`: the lab the person's browser runs the lesson in, what it did so far.
    pub live: Option<crate::lab::Live>,
}

/// A state the view can return to: the scenario, its trace and what was worked out from them.
pub struct Snapshot {
    scenario: std::sync::Arc<Scenario>,
    trace: Trace,
    changed: Vec<bool>,
    worked_out: WorkedOut,
}

/// What is worked out from a scenario and its trace: every key moment, the fixes, the audit.
pub struct WorkedOut {
    moments: Vec<KeyMoment>,
    fixes: fixes::LazyFixes,
    audit: Option<Vec<crate::analysis::audit::Finding>>,
}

impl WorkedOut {
    fn of(scenario: &Scenario, trace: &Trace) -> Self {
        WorkedOut {
            moments: key_moments(scenario, trace),
            fixes: fixes::LazyFixes::new(trace.requests.len()),
            audit: crate::analysis::audit::audit_scenario(scenario, trace),
        }
    }
}

/// Up to this many requests a what-if edit is re-run at once (a few milliseconds); a larger
/// scenario is re-run on another thread while the view stays live and shows its progress.
pub const WHATIF_IN_PLACE: usize = 2_000;

/// A what-if edit being re-run on another thread.
pub struct Recomputing {
    pub label: String,
    /// Requests re-run so far, of `total`.
    pub done: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub total: usize,
    result: std::sync::mpsc::Receiver<(Scenario, Trace, WorkedOut)>,
}

/// A recording being replayed on another thread: the requests list shows the requests replayed
/// so far, their totals growing; stepping into one waits until the replay is done.
pub struct Replaying {
    parts: std::sync::mpsc::Receiver<ReplayPart>,
    /// Requests in the recording.
    pub total: usize,
}

/// What a replay on another thread hands the view.
pub enum ReplayPart {
    /// The next requests' records (the list's rows).
    Requests(Vec<crate::engine::RequestRecord>),
    /// The replay is done: every step, and the scenario it ran, handed back.
    Done(Vec<crate::engine::Step>, Box<Scenario>),
}

/// A recording of more requests than this opens on its requests list while it is replayed
/// (see [`App::replaying`]); a smaller one is replayed first (a few milliseconds).
pub const REPLAYED_IN_VIEW_ABOVE: usize = 2_000;

/// Requests a replay on another thread hands over at once: small parts, whose lists the view
/// copies and lets go of at once (parts of 1,000, freed on another thread than the one that
/// made them, were measured to hold 20 MB more of a 100,000-request replay).
const REPLAY_PART: usize = 200;

/// What the view holds while `scenario` is replayed on another thread ([`App::replaying`]): a
/// copy without its requests (most of a recording), made without copying them.
pub fn held_while_replayed(scenario: &mut Scenario) -> Scenario {
    let requests = std::mem::take(&mut scenario.requests);
    let held = scenario.clone();
    scenario.requests = requests;
    held
}

/// Runs `scenario` under `profile`, handing each part to the view as it is done; then hands
/// the scenario back. A view that has gone stops it.
pub fn replay_in_parts(
    scenario: Scenario,
    profile: crate::scenario::BrowserProfile,
    parts: &std::sync::mpsc::Sender<ReplayPart>,
) {
    let mut run = crate::engine::Requests::new(&scenario, profile);
    // The steps stay here until the end: the list needs only the records, and a list that
    // grows on the thread that fills it reuses the memory the import let go of.
    let mut steps = Vec::new();
    loop {
        let mut records = Vec::with_capacity(REPLAY_PART);
        for (record, request_steps) in run.by_ref().take(REPLAY_PART) {
            records.push(record);
            steps.extend(request_steps);
        }
        if records.is_empty() {
            break;
        }
        if parts.send(ReplayPart::Requests(records)).is_err() {
            return;
        }
    }
    drop(run);
    let _ = parts.send(ReplayPart::Done(steps, Box::new(scenario)));
}

impl App {
    /// The view of a recording replayed on another thread ([`replay_in_parts`]): it opens at
    /// once on the requests list, which fills as the replay goes (a large recording's replay
    /// takes a second or more). The rest of the view opens once it is done. `held` is the
    /// scenario without its `total` requests, until the replay hands them back.
    pub fn replaying(
        held: Scenario,
        total: usize,
        profile: crate::scenario::BrowserProfile,
        parts: std::sync::mpsc::Receiver<ReplayPart>,
        source: String,
        theme: Theme,
    ) -> App {
        let initial_variables = crate::engine::Requests::new(&held, profile)
            .initial_variables()
            .to_vec();
        let trace = Trace {
            title: held.title.clone(),
            description: held.description.clone(),
            profile,
            initial_variables,
            requests: Vec::with_capacity(total),
            steps: Vec::new(),
        };
        let mut app = App::new(held, trace, source, theme);
        app.replaying = Some(Replaying { parts, total });
        // The first screen of rows is there from the first frame (a part takes milliseconds).
        app.poll_replay(true);
        app
    }

    /// Takes the parts a replay on another thread has done (see [`App::replaying`]); with
    /// `wait`, waits for one first.
    fn poll_replay(&mut self, wait: bool) {
        let Some(replaying) = &self.replaying else {
            return;
        };
        let mut grew = false;
        let mut done = None;
        let mut first = wait;
        loop {
            let part = if std::mem::take(&mut first) {
                replaying
                    .parts
                    .recv()
                    .map_err(|_| std::sync::mpsc::TryRecvError::Disconnected)
            } else {
                replaying.parts.try_recv()
            };
            match part {
                Ok(ReplayPart::Requests(records)) => {
                    self.trace.requests.extend(records);
                    grew = true;
                }
                Ok(ReplayPart::Done(steps, scenario)) => {
                    self.trace.steps = steps;
                    done = Some(scenario);
                    break;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.replaying = None;
                    self.status = Some("The replay stopped before its end.".to_string());
                    break;
                }
            }
        }
        if let Some(scenario) = done {
            self.replaying = None;
            let worked_out = WorkedOut::of(&scenario, &self.trace);
            self.scenario = std::sync::Arc::from(scenario);
            self.show_worked_out(worked_out);
        }
        if grew || self.replaying.is_none() {
            self.list.refilter(&self.trace, self.recording.as_ref());
        }
    }

    /// Waits for a replay on another thread to end (for tests and scripts).
    pub fn wait_replay(&mut self) {
        while self.replaying.is_some() {
            self.poll_replay(true);
        }
    }

    pub fn new(scenario: Scenario, trace: Trace, source: String, theme: Theme) -> Self {
        let WorkedOut {
            moments: all_moments,
            fixes,
            audit,
        } = WorkedOut::of(&scenario, &trace);
        let moments = all_moments.clone();
        App {
            list: requests::RequestList::new(&trace, false),
            copy_requested: None,
            live: None,
            audit,
            audit_open: false,
            moments,
            all_moments,
            fixes,
            recording: None,
            quiz: None,
            editor: None,
            undo: Vec::new(),
            recomputing: None,
            replaying: None,
            changed: Vec::new(),
            save_requested: false,
            overlay_scroll: 0,
            confirm_quit: false,
            title_card: false,
            zoom: false,
            register: Register::Spec,
            why_sections: std::cell::RefCell::new(Vec::new()),
            changes: 0,
            saved_changes: 0,
            status: None,
            scenario: std::sync::Arc::new(scenario),
            trace,
            source,
            cursor: 0,
            focus: Panel::Table,
            scroll: [0; 4],
            future: Future::Dimmed,
            autoplay: false,
            speed: 2,
            pending: String::new(),
            help: false,
            help_search: search::SearchInput::default(),
            quit: false,
            theme,
        }
    }

    /// The what-if edits offered for the current step's request.
    pub fn edit_options(&self) -> Vec<whatif::EditOption> {
        self.trace
            .steps
            .get(self.cursor)
            .map(|step| whatif::options(&self.scenario, step))
            .unwrap_or_default()
    }

    fn apply_selected_edit(&mut self) {
        if self.recomputing.is_some() {
            self.status =
                Some("A what-if edit is still being worked out: wait for it.".to_string());
            return;
        }
        let options = self.edit_options();
        let Some(option) = self.editor.and_then(|i| options.get(i)) else {
            return;
        };
        let Some(scenario) = whatif::apply(&self.scenario, &option.edit) else {
            self.status =
                Some("A rule needs origins and methods (the service refuses it otherwise): edit not applied.".to_string());
            return;
        };
        let profile = self.trace.profile;
        let label = option.label.clone();
        if scenario.requests.len() <= WHATIF_IN_PLACE {
            let trace = crate::engine::run(&scenario, profile);
            let worked_out = WorkedOut::of(&scenario, &trace);
            self.take_edit(&label, scenario, trace, worked_out);
            return;
        }
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (send, result) = std::sync::mpsc::channel();
        let progress = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            let trace = crate::engine::run_with_progress(&scenario, profile, |n| {
                progress.store(n, std::sync::atomic::Ordering::Relaxed);
            });
            let worked_out = WorkedOut::of(&scenario, &trace);
            // The view may have gone: nothing is waiting then.
            let _ = send.send((scenario, trace, worked_out));
        });
        self.recomputing = Some(Recomputing {
            label,
            done,
            total: self.scenario.requests.len(),
            result,
        });
        self.poll_background();
    }

    /// Takes a what-if edit worked out on another thread once it is ready, and says how far it
    /// is until then. The event loop calls it every turn.
    pub fn poll_background(&mut self) {
        self.poll_replay(false);
        self.fixes.take_answers();
        let Some(recomputing) = &self.recomputing else {
            return;
        };
        match recomputing.result.try_recv() {
            Ok((scenario, trace, worked_out)) => {
                let label = recomputing.label.clone();
                self.recomputing = None;
                self.take_edit(&label, scenario, trace, worked_out);
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                let done = recomputing.done.load(std::sync::atomic::Ordering::Relaxed);
                self.status = Some(format!(
                    "What-if: {} — re-running {done} of {} requests…",
                    recomputing.label, recomputing.total
                ));
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.recomputing = None;
                self.status = Some("What-if: the edit could not be worked out.".to_string());
            }
        }
    }

    /// Waits for a what-if edit being worked out on another thread (for tests and scripts).
    pub fn wait_background(&mut self) {
        if let Some(recomputing) = self.recomputing.take()
            && let Ok((scenario, trace, worked_out)) = recomputing.result.recv()
        {
            self.take_edit(&recomputing.label, scenario, trace, worked_out);
        }
    }

    /// Shows an edited scenario's trace, marking the steps it changed; the state before it can
    /// be undone.
    fn take_edit(&mut self, label: &str, scenario: Scenario, trace: Trace, worked_out: WorkedOut) {
        let changed = whatif::changed_steps(&self.trace, &trace);
        let count = changed.iter().filter(|c| **c).count();
        let previous = self.replace_state(Snapshot {
            scenario: std::sync::Arc::new(scenario),
            trace,
            changed,
            worked_out,
        });
        self.undo.push(previous);
        self.status = Some(format!(
            "What-if: {label} → {count} step{} changed (marked Δ). u undoes, w saves as a new file.",
            if count == 1 { "" } else { "s" }
        ));
    }

    /// Puts `next` in view and returns the state it replaces.
    fn replace_state(&mut self, next: Snapshot) -> Snapshot {
        self.changes += 1;
        let scenario = std::mem::replace(&mut self.scenario, next.scenario);
        let trace = std::mem::replace(&mut self.trace, next.trace);
        let changed = std::mem::replace(&mut self.changed, next.changed);
        let worked_out = self.show_worked_out(next.worked_out);
        self.cursor = self.cursor.min(self.last_step());
        self.list.refilter(&self.trace, self.recording.as_ref());
        Snapshot {
            scenario,
            trace,
            changed,
            worked_out,
        }
    }

    /// Shows what was worked out from the scenario and trace in view; returns what it replaces.
    fn show_worked_out(&mut self, next: WorkedOut) -> WorkedOut {
        let previous = WorkedOut {
            moments: std::mem::replace(&mut self.all_moments, next.moments),
            fixes: std::mem::replace(&mut self.fixes, next.fixes),
            audit: std::mem::replace(&mut self.audit, next.audit),
        };
        // A moment written for a step the edit changed explains what no longer happens.
        self.moments = self
            .all_moments
            .iter()
            .filter(|m| !self.step_changed(m.step - 1))
            .cloned()
            .collect();
        previous
    }

    /// Whether the last what-if edit changed a 0-based step.
    pub fn step_changed(&self, step: usize) -> bool {
        self.changed.get(step).copied().unwrap_or(false)
    }

    /// The key moment at a 0-based step, if there is one.
    pub fn moment_at(&self, step: usize) -> Option<&KeyMoment> {
        self.moments.iter().find(|m| m.step == step + 1)
    }

    pub fn last_step(&self) -> usize {
        self.trace.steps.len().saturating_sub(1)
    }

    pub fn autoplay_interval(&self) -> Duration {
        Duration::from_millis(AUTOPLAY_SPEEDS_MS[self.speed])
    }

    /// Keys while the quiz is open: 1-6 or a-f answer, h hints, Enter goes on, ↑↓ scroll a long
    /// explanation, Esc/q leaves.
    fn quiz_action(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => Some(Action::Quit),
            KeyCode::Char(c @ '1'..='6') => Some(Action::QuizAnswer(c as usize - '1' as usize)),
            KeyCode::Char(c @ 'a'..='f') => Some(Action::QuizAnswer(c as usize - 'a' as usize)),
            KeyCode::Char('h') => Some(Action::QuizHint),
            KeyCode::Enter | KeyCode::Right | KeyCode::Char(' ') => Some(Action::QuizNext),
            KeyCode::Esc | KeyCode::Char('q') => Some(Action::QuizClose),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::OverlayScroll(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::OverlayScroll(1)),
            KeyCode::PageUp => Some(Action::OverlayScroll(-10)),
            KeyCode::PageDown => Some(Action::OverlayScroll(10)),
            _ => None,
        }
    }

    /// Keys while the requests list has the screen.
    fn list_action(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl {
            return (key.code == KeyCode::Char('c')).then_some(Action::Quit);
        }
        if self.list.search.typing {
            return search::SearchEdit::of_key(key).map(Action::ListSearch);
        }
        keymap::list_action_for(key)
    }

    /// Whether the quiz hides the lesson behind it: while a question waits for its answer
    /// (and no hint was asked for), the table, the flow and the explanations would give it away.
    pub fn quiz_hides_view(&self) -> bool {
        self.quiz.as_ref().is_some_and(|state| {
            !state.items.is_empty() && !state.finished && state.chosen.is_none() && !state.hint
        })
    }

    /// Whether quitting now would lose what-if edits: the scenario differs from the file and
    /// has changed since it was last saved.
    pub fn unsaved(&self) -> bool {
        !self.undo.is_empty() && self.changes != self.saved_changes
    }

    /// The edited scenario was written to a file.
    pub fn mark_saved(&mut self) {
        self.saved_changes = self.changes;
    }

    /// Keys while an overlay (help, audit) is open: it is modal, scrolls, and closes with its
    /// own key, Esc or q; nothing reaches the lesson behind it.
    fn overlay_action(key: &KeyEvent, close: Action, own: char) -> Option<Action> {
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Action::Quit)
            }
            KeyCode::Esc | KeyCode::Char('q') => Some(close),
            KeyCode::Char(c) if c == own => Some(close),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::OverlayScroll(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::OverlayScroll(1)),
            KeyCode::PageUp => Some(Action::OverlayScroll(-10)),
            KeyCode::PageDown | KeyCode::Char(' ') => Some(Action::OverlayScroll(10)),
            KeyCode::Home | KeyCode::Char('g') => Some(Action::OverlayScroll(i32::MIN)),
            _ => None,
        }
    }

    /// Keys while help is open: `/` filters its lines as you type (Enter keeps the filter, Esc
    /// clears it, and Esc again closes help); otherwise as any overlay.
    fn help_action(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if self.help_search.typing {
            // Arrows and pages still scroll what the filter kept.
            return search::SearchEdit::of_key(key)
                .map(Action::HelpSearch)
                .or_else(|| Self::overlay_action(key, Action::ToggleHelp, '?'));
        }
        match key.code {
            KeyCode::Char('/') => Some(Action::HelpSearch(search::SearchEdit::Start)),
            KeyCode::Esc if !self.help_search.query.is_empty() => {
                Some(Action::HelpSearch(search::SearchEdit::Cancel))
            }
            _ => Self::overlay_action(key, Action::ToggleHelp, '?'),
        }
    }

    /// Maps a key press to an action (digits accumulate a step number instead).
    pub fn action_for_key(&mut self, key: &KeyEvent) -> Option<Action> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        if self.title_card {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            return Some(match key.code {
                KeyCode::Char('c') if ctrl => Action::Quit,
                KeyCode::Char('q') => Action::Quit,
                _ => Action::CloseTitleCard,
            });
        }
        if self.confirm_quit {
            // Asked once already: the same key again quits, w saves, anything else stays.
            self.confirm_quit = false;
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            return match key.code {
                KeyCode::Char('q') | KeyCode::Esc => Some(Action::QuitAnyway),
                KeyCode::Char('c') if ctrl => Some(Action::QuitAnyway),
                KeyCode::Char('w') => Some(Action::Save),
                _ => {
                    self.status = Some("Not quitting: the edits are still here.".to_string());
                    None
                }
            };
        }
        if self.quiz.is_some() {
            return self.quiz_action(key);
        }
        if self.editor.is_some() {
            return match key.code {
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Action::Quit)
                }
                KeyCode::Up | KeyCode::Char('k') => Some(Action::EditorUp),
                KeyCode::Down | KeyCode::Char('j') => Some(Action::EditorDown),
                KeyCode::Char(' ') | KeyCode::Enter => Some(Action::EditorApply),
                KeyCode::Char('u') => Some(Action::Undo),
                KeyCode::Char('w') => Some(Action::Save),
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('e') => Some(Action::EditorClose),
                _ => None,
            };
        }
        if self.help {
            return self.help_action(key);
        }
        if self.audit_open {
            return Self::overlay_action(key, Action::ToggleAudit, 'a');
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.list.open {
            return self.list_action(key);
        }
        // In a recording, Esc goes back to the list rather than out of the program.
        if key.code == KeyCode::Esc && self.recording.is_some() && self.pending.is_empty() {
            return Some(Action::OpenList);
        }
        if let KeyCode::Char(c) = key.code
            && c.is_ascii_digit()
            && !ctrl
        {
            if self.pending.len() < 9 {
                self.pending.push(c);
            }
            return None;
        }
        if !self.pending.is_empty() {
            match key.code {
                KeyCode::Enter => {
                    let number: usize = self.pending.parse().unwrap_or(1);
                    self.pending.clear();
                    return Some(Action::Jump(number.saturating_sub(1)));
                }
                KeyCode::Backspace => {
                    self.pending.pop();
                    return None;
                }
                KeyCode::Esc => {
                    self.pending.clear();
                    return None;
                }
                _ => self.pending.clear(),
            }
        }
        keymap::action_for(key)
    }

    /// The fix for request `index` (0-based), worked out the first time it is asked for.
    pub fn fix_of(&self, index: usize) -> fixes::FixState<'_> {
        self.fixes.of(&self.scenario, &self.trace, index)
    }

    /// A fix is being worked out on another thread (the event loop redraws often meanwhile).
    pub fn working_out_fix(&self) -> bool {
        self.fixes.working()
    }

    /// Waits for the fix being worked out on another thread (for tests and scripts).
    pub fn wait_fix(&self) {
        self.fixes.wait();
    }

    fn set_cursor(&mut self, step: usize) {
        let step = step.min(self.last_step());
        if step != self.cursor {
            self.cursor = step;
            // A new step shows its own explanation and variables from the top.
            self.scroll[Panel::Explanation.index()] = 0;
        }
    }

    fn scroll_by(&mut self, delta: i32) {
        let slot = &mut self.scroll[self.focus.index()];
        *slot = (i32::from(*slot) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }

    pub fn update(&mut self, action: Action) {
        if action != Action::Tick {
            // A message stays until the next thing the user does.
            self.status = None;
        }
        if let Some(replaying) = &self.replaying
            && !action.works_while_replaying()
        {
            self.status = Some(format!(
                "Still replaying the recording ({} of {} requests): this works once it is done.",
                crate::narrate::count(self.trace.requests.len()),
                crate::narrate::count(replaying.total)
            ));
            return;
        }
        let steps = &self.trace.steps;
        match action {
            Action::Next => self.set_cursor(self.cursor + 1),
            Action::Prev => self.set_cursor(self.cursor.saturating_sub(1)),
            Action::First => self.set_cursor(0),
            Action::Last => self.set_cursor(self.last_step()),
            Action::Jump(step) => self.set_cursor(step),
            Action::NextRequest => {
                let current = steps.get(self.cursor).map_or(0, |s| s.request);
                let next = self.trace.requests.get(current).map(|r| r.steps.start);
                if let Some(next) = next {
                    self.set_cursor(next);
                }
            }
            Action::PrevRequest => {
                let step = steps.get(self.cursor);
                let request = step.map(|s| &self.trace.requests[s.request - 1]);
                if let Some(request) = request {
                    let target = if self.cursor > request.steps.start || request.index == 1 {
                        request.steps.start
                    } else {
                        self.trace.requests[request.index - 2].steps.start
                    };
                    self.set_cursor(target);
                }
            }
            Action::NextBlocked => {
                let found = steps
                    .iter()
                    .skip(self.cursor + 1)
                    .find(|s| s.verdict == Verdict::Blocked)
                    .or_else(|| steps.iter().find(|s| s.verdict == Verdict::Blocked))
                    .map(|s| s.n - 1);
                if let Some(step) = found {
                    self.set_cursor(step);
                }
            }
            Action::FocusNext => {
                self.focus = Panel::ALL[(self.focus.index() + 1) % Panel::ALL.len()]
            }
            Action::FocusPrev => {
                self.focus =
                    Panel::ALL[(self.focus.index() + Panel::ALL.len() - 1) % Panel::ALL.len()]
            }
            Action::ScrollUp if self.focus == Panel::Table => {
                self.set_cursor(self.cursor.saturating_sub(1))
            }
            Action::ScrollDown if self.focus == Panel::Table => self.set_cursor(self.cursor + 1),
            Action::PageUp if self.focus == Panel::Table => {
                self.set_cursor(self.cursor.saturating_sub(10))
            }
            Action::PageDown if self.focus == Panel::Table => self.set_cursor(self.cursor + 10),
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
            Action::ToggleFuture => {
                self.future = match self.future {
                    Future::Dimmed => Future::Hidden,
                    Future::Hidden => Future::Dimmed,
                }
            }
            Action::ToggleAutoplay => {
                self.autoplay = !self.autoplay;
                if self.autoplay && self.cursor == self.last_step() {
                    self.set_cursor(0);
                }
            }
            Action::Faster => self.speed = self.speed.saturating_sub(1),
            Action::Slower => self.speed = (self.speed + 1).min(AUTOPLAY_SPEEDS_MS.len() - 1),
            Action::Tick => {
                if self.autoplay {
                    if self.cursor >= self.last_step() {
                        self.autoplay = false;
                    } else {
                        self.set_cursor(self.cursor + 1);
                        // A key moment is for the class to discuss: autoplay waits there.
                        if self.moment_at(self.cursor).is_some() {
                            self.autoplay = false;
                            self.status = Some("Paused at a key moment: p plays on.".to_string());
                        }
                    }
                }
            }
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_search = search::SearchInput::default();
                self.audit_open = false;
                self.overlay_scroll = 0;
            }
            Action::ToggleAudit => {
                self.audit_open = !self.audit_open;
                self.help = false;
                self.overlay_scroll = 0;
            }
            Action::OverlayScroll(i32::MIN) => self.overlay_scroll = 0,
            Action::OverlayScroll(delta) => {
                self.overlay_scroll =
                    (i32::from(self.overlay_scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
            }
            Action::CopyFix => {
                // The request in view: the list's highlighted row, or the current step's.
                let index = if self.list.open {
                    self.list.current()
                } else {
                    self.trace.steps.get(self.cursor).map(|s| s.request - 1)
                };
                let state = index.map(|i| (i, self.fix_of(i)));
                self.status = Some(match state {
                    Some((i, fixes::FixState::Ready(Some(fix)))) if fix.proven => {
                        self.copy_requested = Some(crate::report::pasteable::fix_text(fix, i + 1));
                        format!(
                            "Copied the fix for request #{} to the clipboard (OSC 52). If nothing arrives, this terminal does not pass OSC 52 on (tmux needs set-clipboard on): --print --fix-out FILE writes it instead.",
                            i + 1
                        )
                    }
                    Some((i, fixes::FixState::Working)) => format!(
                        "The fix for request #{} is still being worked out (each change it tries re-runs all {} requests): press y again once it shows.",
                        i + 1,
                        crate::narrate::count(self.trace.requests.len())
                    ),
                    Some((i, fixes::FixState::Ready(_))) => format!(
                        "Request #{} has no proven fix to copy: it is not blocked, or no change was proven.",
                        i + 1
                    ),
                    None => "No request to copy a fix for.".to_string(),
                });
            }
            Action::OpenList => {
                // Back at the row of the request being stepped through.
                let current = self.trace.steps.get(self.cursor).map(|s| s.request - 1);
                self.list.open = true;
                if let Some(index) = current {
                    self.list.select_request(index);
                }
            }
            Action::ListMove(delta) => self.list.move_by(delta),
            Action::ListOpenRequest => {
                if let Some(start) = self
                    .list
                    .current()
                    .and_then(|i| self.trace.requests.get(i))
                    .map(|r| r.steps.start)
                {
                    self.list.open = false;
                    self.set_cursor(start);
                }
            }
            Action::ListToggleBlocked => {
                self.list.blocked_only = !self.list.blocked_only;
                self.list.refilter(&self.trace, self.recording.as_ref());
            }
            Action::ListNarrow(facet) => {
                self.list
                    .narrow_next(facet, &self.trace, self.recording.as_ref())
            }
            Action::ListClear => {
                if self.list.search.query.is_empty() {
                    self.list.narrowed = None;
                } else {
                    self.list.search.apply(search::SearchEdit::Cancel);
                }
                self.list.refilter(&self.trace, self.recording.as_ref());
            }
            Action::ListSearch(edit) => {
                if let Some(before) = self.list.search.apply(edit) {
                    // A longer search keeps a subset of the rows: only they are searched again.
                    match edit {
                        search::SearchEdit::Char(_) => {
                            self.list
                                .narrow(&self.trace, self.recording.as_ref(), &before)
                        }
                        _ => self.list.refilter(&self.trace, self.recording.as_ref()),
                    }
                }
            }
            Action::HelpSearch(edit) => {
                if self.help_search.apply(edit).is_some() {
                    self.overlay_scroll = 0;
                }
            }
            Action::Quit if self.unsaved() => {
                self.confirm_quit = true;
                self.status = Some(
                    "Unsaved what-if edits: q again quits without them, w saves them, any other key stays."
                        .to_string(),
                );
            }
            Action::Quit | Action::QuitAnyway => self.quit = true,
            Action::CloseTitleCard => self.title_card = false,
            Action::WhySection(forward) => {
                let slot = Panel::Explanation.index();
                let at = self.scroll[slot];
                let sections = self.why_sections.borrow();
                let target = if forward {
                    sections.iter().copied().find(|&row| row > at)
                } else {
                    sections.iter().copied().rev().find(|&row| row < at)
                };
                if let Some(row) = target {
                    self.scroll[slot] = row;
                }
            }
            Action::ToggleRegister => {
                self.register = match self.register {
                    Register::Lesson => Register::Spec,
                    Register::Spec => Register::Lesson,
                };
                self.status = Some(match self.register {
                    Register::Lesson => "Lesson register: what to read aloud. r shows the spec.".to_string(),
                    Register::Spec => {
                        "Spec register: the Fetch steps and the provider's behaviour, with citations. r for the lesson.".to_string()
                    }
                });
            }
            Action::ToggleZoom => {
                self.zoom = !self.zoom;
                self.status = Some(if self.zoom {
                    "Zoomed: Tab shows the next panel, z gives the others back.".to_string()
                } else {
                    "All panels.".to_string()
                });
            }
            Action::OpenQuiz => {
                let items = quiz(&self.scenario, &self.trace);
                self.help = false;
                self.overlay_scroll = 0;
                self.quiz = Some(QuizState {
                    items,
                    current: 0,
                    chosen: None,
                    hint: false,
                    score: 0,
                    finished: false,
                });
            }
            Action::QuizAnswer(choice) => {
                if let Some(state) = &mut self.quiz
                    && let Some(item) = state.items.get(state.current)
                    && state.chosen.is_none()
                    && choice < item.choices.len()
                {
                    state.chosen = Some(choice);
                    if choice == item.answer {
                        state.score += 1;
                    }
                    // The view, shown again, opens on the step that explains the answer.
                    if let Some(step) = item.step {
                        self.set_cursor(step.saturating_sub(1));
                    }
                }
            }
            Action::QuizHint => {
                let step = self.quiz.as_mut().and_then(|state| {
                    state.hint = true;
                    state.items.get(state.current).and_then(|item| item.step)
                });
                // The hint lights the row it points at.
                if let Some(step) = step {
                    self.set_cursor(step.saturating_sub(1));
                }
            }
            Action::QuizNext => {
                if let Some(state) = &mut self.quiz {
                    if state.finished || state.items.is_empty() {
                        self.quiz = None;
                    } else if state.chosen.is_some() {
                        self.overlay_scroll = 0;
                        state.current += 1;
                        state.chosen = None;
                        state.hint = false;
                        state.finished = state.current >= state.items.len();
                    }
                }
            }
            Action::QuizClose => self.quiz = None,
            Action::OpenEditor => {
                self.help = false;
                self.editor = Some(0);
            }
            Action::EditorClose => self.editor = None,
            Action::EditorUp => {
                if let Some(selected) = &mut self.editor {
                    *selected = selected.saturating_sub(1);
                }
            }
            Action::EditorDown => {
                let count = self.edit_options().len();
                if let Some(selected) = &mut self.editor {
                    *selected = (*selected + 1).min(count.saturating_sub(1));
                }
            }
            Action::EditorApply => self.apply_selected_edit(),
            Action::Undo => match self.undo.pop() {
                Some(snapshot) => {
                    self.replace_state(snapshot);
                    self.status = Some("Undone.".to_string());
                }
                None => self.status = Some("Nothing to undo.".to_string()),
            },
            Action::Save => self.save_requested = true,
        }
    }
}
