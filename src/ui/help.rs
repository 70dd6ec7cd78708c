//! The help overlay, listing every key from the same table that dispatches them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::help_lines;
use crate::app::App;
use crate::app::keymap::{KEYMAP, LIST_KEYMAP};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let in_list = app.list.open;
    let bindings = help_lines(if in_list { LIST_KEYMAP } else { KEYMAP });
    let key_width = bindings
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .into_iter()
        .map(|(keys, help)| {
            Line::from(vec![
                Span::styled(format!("{keys:<key_width$}  "), theme.key),
                Span::raw(help),
            ])
        })
        .collect();
    if in_list {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "✓ allowed   ✗ blocked   Cause: Chromium's CorsError, or the real error CORS hid",
            theme.muted,
        )));
    } else {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<key_width$}  ", "0-9"), theme.key),
            Span::raw("type a step number, then Enter to jump"),
        ]));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<key_width$}  ", "mouse"), theme.key),
            Span::raw("click a table row to jump to it; the wheel scrolls"),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("▶ current step   ★ key moment   ✓ allowed/passed   ✗ blocked   → sent (no browser)   * changed by the step", theme.muted)));
        lines.push(Line::from(Span::styled("ACAO/ACAC/ACAM/ACAH/ACEH/ACMA = Access-Control-Allow-Origin/-Credentials/-Methods/-Headers, -Expose-Headers, -Max-Age; ACRM/ACRH = -Request-Method/-Headers", theme.muted)));
    }
    let width = area.width.saturating_sub(4).min(100);
    let title = if in_list {
        " Requests list keys (? or Esc to close"
    } else {
        " Keys (? or Esc to close"
    };
    super::render_scrolled_overlay(app, frame, area, width, lines, title, false);
}
