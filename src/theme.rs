//! Colours with meaning. Every meaning is also carried by a symbol or text (✓ ✗ ▶ *), so the
//! monochrome theme (NO_COLOR) loses nothing but colour.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeName {
    Default,
    HighContrast,
    Monochrome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
    pub base: Style,
    /// What is not on the path or not reached yet: skipped flow nodes, future table rows.
    pub dim: Style,
    /// Secondary text a class still has to read (labels, instructions, the footer): readable
    /// on a projector, never dark grey.
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub focus_border: Style,
    /// The current step, row or flow node.
    pub current: Style,
    pub allowed: Style,
    pub blocked: Style,
    pub pass: Style,
    pub sent: Style,
    /// A variable this step changed.
    pub changed: Style,
    pub key: Style,
    pub note: Style,
    pub header_bar: Style,
}

impl Theme {
    pub fn new(name: ThemeName) -> Self {
        match name {
            ThemeName::Default => Theme {
                name,
                base: Style::new(),
                dim: Style::new().fg(Color::DarkGray),
                muted: Style::new().fg(Color::Gray),
                title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                border: Style::new().fg(Color::DarkGray),
                focus_border: Style::new().fg(Color::Cyan),
                current: Style::new()
                    .bg(Color::Blue)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD),
                allowed: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
                blocked: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                pass: Style::new().fg(Color::Green),
                sent: Style::new().fg(Color::Yellow),
                changed: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                note: Style::new().fg(Color::Magenta),
                header_bar: Style::new().bg(Color::DarkGray).fg(Color::White),
            },
            ThemeName::HighContrast => Theme {
                name,
                base: Style::new().fg(Color::White).bg(Color::Black),
                dim: Style::new().fg(Color::Gray).bg(Color::Black),
                muted: Style::new().fg(Color::White).bg(Color::Black),
                title: Style::new()
                    .fg(Color::LightYellow)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                border: Style::new().fg(Color::White).bg(Color::Black),
                focus_border: Style::new()
                    .fg(Color::LightYellow)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                current: Style::new()
                    .bg(Color::LightYellow)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                allowed: Style::new()
                    .fg(Color::LightGreen)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                blocked: Style::new()
                    .fg(Color::LightRed)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                pass: Style::new().fg(Color::LightGreen).bg(Color::Black),
                sent: Style::new().fg(Color::LightCyan).bg(Color::Black),
                changed: Style::new()
                    .fg(Color::Black)
                    .bg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD),
                key: Style::new()
                    .fg(Color::LightYellow)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                note: Style::new()
                    .fg(Color::LightMagenta)
                    .bg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                header_bar: Style::new()
                    .bg(Color::White)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD),
            },
            ThemeName::Monochrome => Theme {
                name,
                base: Style::new(),
                dim: Style::new().add_modifier(Modifier::DIM),
                muted: Style::new(),
                title: Style::new().add_modifier(Modifier::BOLD),
                border: Style::new(),
                focus_border: Style::new().add_modifier(Modifier::BOLD),
                current: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                allowed: Style::new().add_modifier(Modifier::BOLD),
                blocked: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                pass: Style::new(),
                sent: Style::new(),
                changed: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                key: Style::new().add_modifier(Modifier::BOLD),
                note: Style::new().add_modifier(Modifier::ITALIC),
                header_bar: Style::new().add_modifier(Modifier::REVERSED),
            },
        }
    }

    /// The theme for this run: `NO_COLOR` (any non-empty value, see no-color.org) wins.
    pub fn select(requested: ThemeName, no_color: bool) -> Self {
        if no_color {
            Theme::new(ThemeName::Monochrome)
        } else {
            Theme::new(requested)
        }
    }
}
