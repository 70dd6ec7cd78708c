//! The one key table: dispatch, the footer hints and the help overlay all read it, so help
//! never drifts from behaviour.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Action;
use super::requests::Facet;

/// A key as the table writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
            Key::Char(c) => !ctrl && event.code == KeyCode::Char(c),
            Key::Code(code) => event.code == code,
        }
    }

    /// How help and the footer name it.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".to_string(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Code(KeyCode::Right) => "→".to_string(),
            Key::Code(KeyCode::Left) => "←".to_string(),
            Key::Code(KeyCode::Up) => "↑".to_string(),
            Key::Code(KeyCode::Down) => "↓".to_string(),
            Key::Code(KeyCode::Enter) => "Enter".to_string(),
            Key::Code(KeyCode::Backspace) => "Backspace".to_string(),
            Key::Code(KeyCode::Home) => "Home".to_string(),
            Key::Code(KeyCode::End) => "End".to_string(),
            Key::Code(KeyCode::PageUp) => "PgUp".to_string(),
            Key::Code(KeyCode::PageDown) => "PgDn".to_string(),
            Key::Code(KeyCode::Tab) => "Tab".to_string(),
            Key::Code(KeyCode::BackTab) => "Shift-Tab".to_string(),
            Key::Code(KeyCode::Esc) => "Esc".to_string(),
            Key::Code(other) => format!("{other:?}"),
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// One word for the footer.
    pub short: &'static str,
    pub help: &'static str,
    /// Shown in the footer (the main keys only).
    pub in_footer: bool,
}

use KeyCode::*;

pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: &[
            Key::Code(Right),
            Key::Char('l'),
            Key::Char(' '),
            Key::Code(Enter),
        ],
        action: Action::Next,
        short: "next",
        help: "next step (Enter after digits: jump to that step)",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(Left), Key::Char('h'), Key::Code(Backspace)],
        action: Action::Prev,
        short: "back",
        help: "previous step",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(Home), Key::Char('g')],
        action: Action::First,
        short: "first",
        help: "first step",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(End), Key::Char('G')],
        action: Action::Last,
        short: "last",
        help: "last step",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('n')],
        action: Action::NextRequest,
        short: "request",
        help: "next request",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('N')],
        action: Action::PrevRequest,
        short: "prev request",
        help: "previous request",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('b')],
        action: Action::NextBlocked,
        short: "blocked",
        help: "next blocked request",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(Tab)],
        action: Action::FocusNext,
        short: "focus",
        help: "focus the next panel",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(BackTab)],
        action: Action::FocusPrev,
        short: "focus back",
        help: "focus the previous panel",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(Up), Key::Char('k')],
        action: Action::ScrollUp,
        short: "up",
        help: "scroll the focused panel up",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(Down), Key::Char('j')],
        action: Action::ScrollDown,
        short: "down",
        help: "scroll the focused panel down",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(PageUp)],
        action: Action::PageUp,
        short: "page up",
        help: "scroll the focused panel a page up",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(PageDown)],
        action: Action::PageDown,
        short: "page down",
        help: "scroll the focused panel a page down",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char(']')],
        action: Action::WhySection(true),
        short: "next section",
        help: "Why: next section (note, decision, spec, console, fix, HTTP exchange)",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('[')],
        action: Action::WhySection(false),
        short: "previous section",
        help: "Why: previous section",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('r')],
        action: Action::ToggleRegister,
        short: "register",
        help: "Why: the lesson register (read aloud) or the spec (Fetch steps, citations)",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('z')],
        action: Action::ToggleZoom,
        short: "zoom",
        help: "zoom the focused panel to the whole screen (Tab: the next); z again: all panels",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('f')],
        action: Action::ToggleFuture,
        short: "future",
        help: "dim or hide the steps not reached yet",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('p')],
        action: Action::ToggleAutoplay,
        short: "play",
        help: "autoplay on/off",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('+'), Key::Char('=')],
        action: Action::Faster,
        short: "faster",
        help: "autoplay faster",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('-')],
        action: Action::Slower,
        short: "slower",
        help: "autoplay slower",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('e')],
        action: Action::OpenEditor,
        short: "what-if",
        help: "what-if editor: toggle origins, methods, headers, credentials",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('u')],
        action: Action::Undo,
        short: "undo",
        help: "undo the last what-if edit",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('w')],
        action: Action::Save,
        short: "save",
        help: "save the edited scenario as a new file (never over the original)",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('Q')],
        action: Action::OpenQuiz,
        short: "quiz",
        help: "quiz: 1-6 or a-f answer, h hint, Enter next, Esc leave",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('a')],
        action: Action::ToggleAudit,
        short: "audit",
        help: "audit the server's rules: dangerous, broken and noisy entries, each with why",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('y')],
        action: Action::CopyFix,
        short: "copy fix",
        help: "copy the request's proven fix to the clipboard (OSC 52; works over SSH)",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('L')],
        action: Action::OpenList,
        short: "requests",
        help: "the requests list (b, o, h, s, c filter it; / searches; Esc returns to it)",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('?')],
        action: Action::ToggleHelp,
        short: "help",
        help: "this help",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('q'), Key::Code(Esc), Key::Ctrl('c')],
        action: Action::Quit,
        short: "quit",
        help: "quit (Esc first closes what is open; asks first when what-if edits are unsaved)",
        in_footer: true,
    },
];

/// The requests list's keys (while a search is typed, keys are its text).
pub const LIST_KEYMAP: &[Binding] = &[
    Binding {
        keys: &[Key::Code(Enter), Key::Code(Right), Key::Char('l')],
        action: Action::ListOpenRequest,
        short: "step in",
        help: "step through the highlighted request (Esc comes back to this row)",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(Up), Key::Char('k')],
        action: Action::ListMove(-1),
        short: "up",
        help: "the row above",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(Down), Key::Char('j')],
        action: Action::ListMove(1),
        short: "down",
        help: "the row below",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(PageUp)],
        action: Action::ListMove(-20),
        short: "page up",
        help: "20 rows up",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(PageDown)],
        action: Action::ListMove(20),
        short: "page down",
        help: "20 rows down",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(Home), Key::Char('g')],
        action: Action::ListMove(isize::MIN / 2),
        short: "first",
        help: "the first row",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Code(End), Key::Char('G')],
        action: Action::ListMove(isize::MAX / 2),
        short: "last",
        help: "the last row",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('b')],
        action: Action::ListToggleBlocked,
        short: "blocked only",
        help: "only the blocked requests, or all again",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('/')],
        action: Action::ListSearch(super::search::SearchEdit::Start),
        short: "search",
        help: "search URLs, origins, causes and header names and values (Enter keeps it)",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('y')],
        action: Action::CopyFix,
        short: "copy fix",
        help: "copy the highlighted request's proven fix to the clipboard (OSC 52; works over SSH)",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('o')],
        action: Action::ListNarrow(Facet::Origin),
        short: "origin",
        help: "only one origin's requests, the busiest first; again: the next origin, then all",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('h')],
        action: Action::ListNarrow(Facet::Host),
        short: "host",
        help: "only one host's requests, the busiest first; again: the next host, then all",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('s')],
        action: Action::ListNarrow(Facet::Status),
        short: "status",
        help: "only one recorded status (— is none), the commonest first; again: the next, then all",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('c')],
        action: Action::ListNarrow(Facet::Cause),
        short: "cause",
        help: "only one cause's blocked requests, the commonest first; again: the next, then all",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Code(Esc)],
        action: Action::ListClear,
        short: "clear",
        help: "clear the search, then the origin, host, status or cause",
        in_footer: false,
    },
    Binding {
        keys: &[Key::Char('?')],
        action: Action::ToggleHelp,
        short: "help",
        help: "this help",
        in_footer: true,
    },
    Binding {
        keys: &[Key::Char('q')],
        action: Action::Quit,
        short: "quit",
        help: "quit (Ctrl-C too)",
        in_footer: true,
    },
];

/// The action bound to a key press in the requests list, if any.
pub fn list_action_for(event: &KeyEvent) -> Option<Action> {
    LIST_KEYMAP
        .iter()
        .find(|binding| binding.keys.iter().any(|key| key.matches(event)))
        .map(|binding| binding.action)
}

/// The action bound to a key press, if any. Digits are handled by the caller (they build a
/// step number).
pub fn action_for(event: &KeyEvent) -> Option<Action> {
    KEYMAP
        .iter()
        .find(|binding| binding.keys.iter().any(|key| key.matches(event)))
        .map(|binding| binding.action)
}

/// `→/l/Space/Enter` for a binding.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join("/")
}
