//! The execution table: one row per step, the current one lit. Only the visible rows are
//! built, so a trace of any length renders in constant time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::{panel, truncate, verdict_style, verdict_symbol};
use crate::app::{App, Future, Panel};
use crate::safe_text::escape;

const HEADERS: [&str; 6] = [
    "Step",
    "Action",
    "Request Type",
    "CORS Headers Sent",
    "Browser Decision",
    "Result",
];

fn widths() -> [Constraint; 6] {
    [
        Constraint::Length(7),
        Constraint::Fill(4),
        Constraint::Fill(3),
        Constraint::Fill(4),
        Constraint::Fill(4),
        Constraint::Fill(4),
    ]
}

/// Rows that fit in a table area (borders and the header row excluded).
fn visible_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// The first row shown and how many: the cursor stays in view, near the middle.
fn window(app: &App, visible: usize) -> (usize, usize) {
    let total = match app.future {
        Future::Dimmed => app.trace.steps.len(),
        Future::Hidden => app.cursor + 1,
    };
    if visible == 0 || total == 0 {
        return (0, 0);
    }
    let first = app
        .cursor
        .saturating_sub(visible / 2)
        .min(total.saturating_sub(visible));
    (first, visible.min(total - first))
}

/// The step under a mouse click at (`column`, `row`) on a terminal of size `area`.
pub fn step_at(app: &App, area: Rect, column: u16, row: u16) -> Option<usize> {
    let table = super::screen_layout(app, area)?.table;
    let inside = column > table.x && column < table.right().saturating_sub(1);
    let first_row_y = table.y + 2; // border, then the header row
    if !inside || row < first_row_y || row >= table.bottom().saturating_sub(1) {
        return None;
    }
    let (first, count) = window(app, visible_rows(table));
    let offset = usize::from(row - first_row_y);
    (offset < count).then_some(first + offset)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let total = app.trace.steps.len();
    let title = format!(
        " Execution table · {} step{}{} ",
        total,
        if total == 1 { "" } else { "s" },
        if app.future == Future::Hidden {
            " · future hidden (f)"
        } else {
            ""
        }
    );
    let block = panel(app, title, Panel::Table);
    let inner = block.inner(area);
    let (first, count) = window(app, visible_rows(area));
    // Column widths as the table will lay them out, to cut long cells with a visible "…".
    let columns = Layout::horizontal(widths()).spacing(1).split(inner);
    let cut =
        |i: usize, text: &str| truncate(text, usize::from(columns.get(i).map_or(0, |c| c.width)));
    let rows = app.trace.steps[first..first + count].iter().map(|step| {
        let index = step.n - 1;
        let current = index == app.cursor;
        let style = if current {
            theme.current
        } else if index > app.cursor {
            theme.dim
        } else {
            theme.base
        };
        let result_style = if current || index > app.cursor {
            style
        } else {
            verdict_style(app, step.verdict)
        };
        let marker = if current { "▶" } else { " " };
        // Δ: changed by the last what-if edit; ★: a key moment.
        let moment = if app.step_changed(index) {
            "Δ"
        } else if app.moment_at(index).is_some() {
            "★"
        } else {
            " "
        };
        // Only the rows drawn are put in words.
        let text = app.trace.text(step);
        Row::new(vec![
            Cell::from(format!("{marker}{:>4}{moment}", step.n)),
            Cell::from(cut(1, &escape(&text.action))),
            Cell::from(cut(2, &escape(&text.request_type))),
            Cell::from(cut(3, &escape(&text.cors_headers))),
            Cell::from(cut(4, &escape(&text.decision))),
            Cell::from(Line::from(Span::styled(
                cut(
                    5,
                    &format!("{}{}", verdict_symbol(step.verdict), escape(&text.result)),
                ),
                result_style,
            ))),
        ])
        .style(style)
    });
    let header = Row::new(
        HEADERS
            .iter()
            .enumerate()
            .map(|(i, h)| Cell::from(cut(i, h))),
    )
    .style(theme.title);
    let table = Table::new(rows, widths())
        .header(header)
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}
