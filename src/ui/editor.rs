//! The what-if editor: toggles over the current request and the first rule.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::truncate;
use crate::app::App;
use crate::safe_text::escape;

pub fn render(app: &App, selected: usize, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let options = app.edit_options();
    let height = (options.len() as u16 + 3)
        .min(area.height.saturating_sub(2))
        .max(3);
    let width = area.width.saturating_sub(4).min(80);
    let popup = super::overlay_area(area, width, height, true);
    let visible = usize::from(height.saturating_sub(3)).max(1);
    let first = selected.saturating_sub(visible.saturating_sub(1));
    let inner = usize::from(width.saturating_sub(2));
    let mut lines: Vec<Line> = options
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, option)| {
            let mark = match option.state.as_str() {
                "on" => "[x]".to_string(),
                "off" => "[ ]".to_string(),
                value => format!("[{value}]"),
            };
            let text = truncate(
                &format!(
                    "{} {mark} {}",
                    if i == selected { "▶" } else { " " },
                    escape(&option.label)
                ),
                inner,
            );
            Line::from(Span::styled(
                text,
                if i == selected {
                    theme.current
                } else {
                    theme.base
                },
            ))
        })
        .collect();
    if options.is_empty() {
        lines.push(Line::from("No what-if edits for this step's request (they work on bucket rules and browser requests)."));
    }
    lines.push(Line::from(Span::styled(
        "↑/↓ choose · Space toggle and re-run · u undo · w save as new file · Esc close",
        theme.muted,
    )));
    frame.render_widget(Clear, popup);
    let block = super::overlay_block(app, format!(" What if… ({} edits so far) ", app.undo.len()));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
