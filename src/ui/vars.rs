//! The variable tracker: variables as rows, the state at Start and after each step as columns,
//! ending at the current step; a value the step changed is marked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::{panel, truncate};
use crate::app::{App, Panel};
use crate::engine::VARIABLES;
use crate::safe_text::escape;

const NAME_WIDTH: u16 = 17;
/// Value columns are as wide as fits between these bounds; more columns beat wider ones.
const MIN_VALUE_WIDTH: u16 = 14;
const MAX_VALUE_WIDTH: u16 = 26;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let block = panel(app, " Variable tracker ", Panel::Variables);
    let inner = block.inner(area);
    let available = inner.width.saturating_sub(NAME_WIDTH + 1);
    let fits = usize::from(available / (MIN_VALUE_WIDTH + 1)).max(1);
    // Columns: None = Start, Some(i) = after step i; the newest end at the current step.
    let after_steps = (app.cursor + 1).min(fits);
    let columns: Vec<Option<usize>> = (after_steps < fits)
        .then_some(None)
        .into_iter()
        .chain((app.cursor + 1 - after_steps..=app.cursor).map(Some))
        .collect();
    let values: Vec<_> = columns
        .iter()
        .map(|column| column.map(|i| app.trace.variables(i)))
        .collect();
    let shown = u16::try_from(columns.len()).unwrap_or(1).max(1);
    let value_width = (available / shown)
        .saturating_sub(1)
        .clamp(MIN_VALUE_WIDTH.min(available), MAX_VALUE_WIDTH);
    let header = Row::new(
        std::iter::once(Cell::from("Variable")).chain(columns.iter().map(|c| match c {
            None => Cell::from("Start"),
            Some(i) if *i == app.cursor => {
                Cell::from(Span::styled(format!("After step {} ▼", i + 1), theme.key))
            }
            Some(i) => Cell::from(format!("After step {}", i + 1)),
        })),
    )
    .style(theme.title);
    let tracked = &VARIABLES[..app.trace.initial_variables.len().min(VARIABLES.len())];
    let offset =
        usize::from(app.scroll[Panel::Variables.index()]).min(tracked.len().saturating_sub(1));
    let rows = tracked.iter().enumerate().skip(offset).map(|(v, name)| {
        let cells = columns
            .iter()
            .zip(&values)
            .map(|(column, row)| match (column, row) {
                (Some(i), Some(row)) => {
                    let changed = app.trace.steps[*i].changed.contains(v);
                    let text = format!(
                        "{}{}",
                        if changed { "*" } else { "" },
                        escape(&row[v].text())
                    );
                    let text = truncate(&text, usize::from(value_width));
                    let style = if changed && *i == app.cursor {
                        theme.changed
                    } else if changed {
                        theme.note
                    } else {
                        theme.base
                    };
                    Cell::from(Line::from(Span::styled(text, style)))
                }
                _ => Cell::from(truncate(
                    &escape(&app.trace.initial_variables[v].text()),
                    usize::from(value_width),
                )),
            });
        Row::new(
            std::iter::once(Cell::from(Span::styled(name.to_string(), theme.title))).chain(cells),
        )
    });
    let widths = std::iter::once(Constraint::Length(NAME_WIDTH))
        .chain(columns.iter().map(|_| Constraint::Length(value_width)));
    let title_hint = if columns.first().is_some_and(|c| c.is_some()) {
        " (older steps scrolled off)"
    } else {
        ""
    };
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block.title_bottom(Line::from(Span::styled(
            format!(" * changed by that step{title_hint} "),
            theme.muted,
        ))));
    frame.render_widget(table, area);
}
