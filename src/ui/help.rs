//! The help overlay, listing every key from the same table that dispatches them; `/` filters it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::help_lines;
use crate::app::App;
use crate::app::keymap::{KEYMAP, LIST_KEYMAP};
use crate::app::search::Search;
use crate::safe_text::escape;

/// What the symbols of the requests list mean.
const LIST_LEGEND: &[&str] =
    &["✓ allowed   ✗ blocked   Cause: Chromium's CorsError, or the real error CORS hid"];

/// What the symbols of the step view mean.
const STEP_LEGEND: &[&str] = &[
    "▶ current step   ★ key moment   ✓ allowed/passed   ✗ blocked   → sent (no browser)   * changed by the step",
    "Δ changed by the last what-if edit   ⚖ the other browser profile decides this step differently",
    "ACAO/ACAC/ACAM/ACAH/ACEH/ACMA = Access-Control-Allow-Origin/-Credentials/-Methods/-Headers, -Expose-Headers, -Max-Age; ACRM/ACRH = -Request-Method/-Headers",
];

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let in_list = app.list.open;
    let mut keys = help_lines(if in_list { LIST_KEYMAP } else { KEYMAP });
    let legend = if in_list {
        LIST_LEGEND
    } else {
        keys.push(("0-9".to_string(), "type a step number, then Enter to jump"));
        keys.push((
            "mouse".to_string(),
            "click a table row to jump to it; the wheel scrolls",
        ));
        STEP_LEGEND
    };
    // Measured over every key, so the column stays put as the filter narrows.
    let key_width = keys
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let filter = &app.help_search;
    let query = filter.query.to_lowercase();
    let search = Search::new(&query);
    let mut lines: Vec<Line> = Vec::new();
    if filter.is_active() {
        let cursor = if filter.typing { "▏" } else { "" };
        lines.push(Line::from(Span::styled(
            format!("/{}{cursor}", escape(&filter.query)),
            theme.key,
        )));
    }
    let mut matched = 0;
    for (keys, help) in keys
        .iter()
        .filter(|(keys, help)| search.has(keys) || search.has(help))
    {
        matched += 1;
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:<key_width$}  "), theme.key),
            Span::raw(*help),
        ]));
    }
    if matched == 0 {
        lines.push(Line::from(Span::styled(
            format!("No key matches “{}”.", escape(&filter.query)),
            theme.muted,
        )));
    }
    let legend: Vec<&&str> = legend.iter().filter(|line| search.has(line)).collect();
    if !legend.is_empty() {
        lines.push(Line::from(""));
        lines.extend(
            legend
                .into_iter()
                .map(|line| Line::from(Span::styled(*line, theme.muted))),
        );
    }
    let width = area.width.saturating_sub(4).min(100);
    let what = if in_list {
        " Requests list keys"
    } else {
        " Keys"
    };
    let title = if filter.query.is_empty() {
        format!("{what} (/ filters, ? or Esc to close")
    } else {
        format!("{what} matching “{}” (Esc clears", escape(&filter.query))
    };
    super::render_scrolled_overlay(app, frame, area, width, lines, &title, false);
}
