//! The application state and its update function: what the user is looking at, and how each
//! action changes it. No terminal here; the UI renders `&App`.

pub mod keymap;

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::engine::{Trace, Verdict};
use crate::lesson::{KeyMoment, key_moments};
use crate::scenario::Scenario;
use crate::ui::theme::Theme;

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
    Quit,
    /// Jump to a 0-based step (mouse click, or digits then Enter).
    Jump(usize),
    /// A periodic tick while autoplay runs.
    Tick,
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
    pub scenario: Scenario,
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
    pub quit: bool,
    pub theme: Theme,
    /// The lesson's key moments (the scenario's own, or derived from the trace).
    pub moments: Vec<KeyMoment>,
}

impl App {
    pub fn new(scenario: Scenario, trace: Trace, source: String, theme: Theme) -> Self {
        let moments = key_moments(&scenario, &trace);
        App {
            moments,
            scenario,
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
            quit: false,
            theme,
        }
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

    /// Maps a key press to an action (digits accumulate a step number instead).
    pub fn action_for_key(&mut self, key: &KeyEvent) -> Option<Action> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if let KeyCode::Char(c) = key.code
            && c.is_ascii_digit()
            && !ctrl
            && !self.help
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
        if self.help && matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
            return Some(Action::ToggleHelp);
        }
        keymap::action_for(key)
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
                    }
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::Quit => self.quit = true,
        }
    }
}
