//! The requests list: one row per request, its verdict and cause, the totals on top, the
//! filter and the search below, and where there is room, the highlighted request's verdict,
//! console line and fix under the rows. Untrusted text (URLs, origins, the search) is shown
//! escaped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Paragraph, Row, Table, Wrap};

use super::key_hints;
use crate::app::App;
use crate::app::fixes::FixState;
use crate::app::keymap::LIST_KEYMAP;
use crate::app::requests::{NO_ANSWER, cause, no_answer, recorded_status, totals, totals_so_far};
use crate::safe_text::escape;
use crate::scenario::Outcome;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let recording = app.recording.as_ref();
    let mut top = vec![
        Span::styled(" cors-tui ", theme.header_bar),
        Span::raw(" "),
        Span::styled(
            match &app.replaying {
                Some(replaying) => totals_so_far(&app.trace, replaying.total),
                None => totals(&app.trace, recording),
            },
            theme.title,
        ),
    ];
    if app.list.blocked_only {
        top.push(Span::styled("  │  blocked only", theme.key));
    }
    if let Some((facet, value)) = &app.list.narrowed {
        top.push(Span::styled(
            format!("  │  {}: {}", facet.name(), escape(value)),
            theme.key,
        ));
    }
    if !app.list.search.query.is_empty() || app.list.search.typing {
        let cursor = if app.list.search.typing { "▏" } else { "" };
        top.push(Span::styled(
            format!("  │  /{}{cursor}", escape(&app.list.search.query)),
            theme.current,
        ));
    }
    // Against --config rules, the verdicts are the rules', not the recorded answers'.
    if let Some(rules) = crate::report::recording::replayed_against(&app.scenario) {
        top.push(Span::styled(
            format!("  │  against the rules of {}", escape(rules)),
            theme.note,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(top)), head);

    let list = &app.list;
    // With room to spare, the highlighted request's verdict and fix sit under the rows, so the
    // first screen of a recording says what to change.
    let (body, details) = if body.height >= DETAILS_FROM_ROWS {
        // The rows take what they need (borders and header besides), at most 55% of the
        // screen, and the details the rest.
        let needed = u16::try_from(list.visible.len().saturating_add(3)).unwrap_or(u16::MAX);
        let rows_height = needed.clamp(6, body.height.saturating_mul(11) / 20);
        let [rows, details] =
            Layout::vertical([Constraint::Length(rows_height), Constraint::Fill(1)]).areas(body);
        (rows, Some(details))
    } else {
        (body, None)
    };
    if let Some(area) = details {
        render_details(app, frame, area);
    }
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.focus_border)
        .title(Span::styled(
            format!(
                " Requests · {} of {} shown ",
                crate::narrate::count(list.visible.len()),
                crate::narrate::count(app.trace.requests.len())
            ),
            theme.title,
        ));
    let inner_rows = usize::from(body.height.saturating_sub(3));
    // Keep the highlighted row on screen: scroll so it sits in view.
    let first = list
        .selected
        .saturating_sub(inner_rows.saturating_sub(1))
        .min(list.visible.len().saturating_sub(inner_rows));
    let wide = body.width >= 120;
    let rows: Vec<Row> = list
        .visible
        .iter()
        .enumerate()
        .skip(first)
        .take(inner_rows)
        .filter_map(|(row, &index)| {
            let request = app.trace.requests.get(index)?;
            let (verdict, style) = match request.outcome {
                Outcome::Allowed => ("✓ allowed", theme.allowed),
                // No answer came: not CORS's doing (a network error).
                Outcome::Blocked if no_answer(request) => ("✗ failed", theme.blocked),
                Outcome::Blocked => ("✗ blocked", theme.blocked),
                Outcome::Sent => ("→ sent", theme.sent),
            };
            let status = recorded_status(request, recording)
                .map_or_else(|| NO_ANSWER.to_string(), |s| s.to_string());
            let url = if wide {
                request.url.clone()
            } else {
                url::Url::parse(&request.url)
                    .map(|u| crate::narrate::path_of(&u))
                    .unwrap_or_else(|_| request.url.clone())
            };
            let mut cells = vec![
                Cell::from(format!("{}", request.index)),
                Cell::from(escape(&request.method).into_owned()),
                Cell::from(escape(&url).into_owned()),
            ];
            if wide {
                cells.push(Cell::from(
                    escape(request.origin.as_deref().unwrap_or("—")).into_owned(),
                ));
            }
            cells.push(Cell::from(status));
            cells.push(Cell::from(Span::styled(verdict, style)));
            cells.push(Cell::from(cause(request, recording)));
            let row_style = if row == list.selected {
                theme.current.add_modifier(Modifier::REVERSED)
            } else {
                theme.base
            };
            Some(Row::new(cells).style(row_style))
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec!["#", "Method", "URL", "Origin", "Status", "Verdict", "Cause"],
            vec![
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Fill(3),
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Fill(2),
            ],
        )
    } else {
        (
            vec!["#", "Method", "Path", "Status", "Verdict", "Cause"],
            vec![
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Fill(2),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Fill(2),
            ],
        )
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.muted))
        .block(block);
    frame.render_widget(table, body);
    if list.visible.is_empty() {
        let message = if !list.search.query.is_empty() {
            "No request matches. Esc clears the search."
        } else if list.narrowed.is_some() {
            "No request matches. Esc shows every origin, host and cause."
        } else {
            "No request was blocked. b shows them all."
        };
        let spot = Rect {
            x: body.x + 2,
            y: body.y + 2,
            width: body.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(Paragraph::new(message).style(theme.muted), spot);
    }

    // What the last key did (a fix copied, a key that waits for the replay) shows in place of
    // the keys, as on the other screens.
    if let Some(status) = &app.status {
        let line = Span::styled(escape(status).into_owned(), theme.note);
        frame.render_widget(Paragraph::new(Line::from(line)), foot);
        return;
    }
    let keys = if list.search.typing {
        vec![Span::styled(
            " type to search URLs, origins, causes and headers · Enter keep · Esc clear",
            theme.muted,
        )]
    } else {
        // While replaying, only the keys that work then; Enter and y say, when pressed, that
        // they wait for the end.
        let replaying = app.replaying.is_some();
        let lead = if replaying {
            Span::styled(" replaying…  ", theme.muted)
        } else {
            Span::raw(" ")
        };
        let room = foot.width.saturating_sub(lead.width() as u16);
        let mut keys = vec![lead];
        keys.extend(key_hints(theme, LIST_KEYMAP, room, |binding| {
            !replaying || binding.action.works_while_replaying()
        }));
        keys
    };
    frame.render_widget(Paragraph::new(Line::from(keys)).style(theme.base), foot);
}

/// The list's height from which the highlighted request's details show under it.
const DETAILS_FROM_ROWS: u16 = 16;

/// The highlighted request: its verdict in words, its fix (worked out when first shown; after
/// the replay, for a large recording), and Chromium's console line.
fn render_details(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let request = app
        .list
        .current()
        .and_then(|index| app.trace.requests.get(index));
    let title = match request {
        Some(request) => format!(
            " #{} {} {} ",
            request.index,
            escape(&request.method),
            escape(&request.url)
        ),
        None => " No request highlighted ".to_string(),
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(
            crate::ui::truncate(&title, usize::from(area.width.saturating_sub(4))),
            theme.title,
        ));
    let mut lines: Vec<Line> = Vec::new();
    if let Some(request) = request {
        let style = match request.outcome {
            Outcome::Allowed => theme.allowed,
            Outcome::Blocked => theme.blocked,
            Outcome::Sent => theme.sent,
        };
        lines.push(Line::from(Span::styled(
            escape(&request.summary_text()).into_owned(),
            style,
        )));
        // The fix first: on a small screen it is what must show; the console line, which
        // the developer has seen already, comes after it.
        if request.outcome == Outcome::Blocked {
            if app.replaying.is_some() {
                lines.push(Line::from(Span::styled(
                    "The fix is worked out once the replay ends.",
                    theme.muted,
                )));
            } else {
                match app.fix_of(request.index - 1) {
                    FixState::Ready(Some(fix)) => lines.extend(crate::ui::fix_lines(
                        theme,
                        fix,
                        "Proven: re-run with the change, this request is allowed. y copies the fix; Enter steps through the request.",
                    )),
                    FixState::Working => lines.push(crate::ui::fix_working_line(app, theme)),
                    FixState::Ready(None) => {}
                }
            }
            if let Some(console) = request.error() {
                lines.push(Line::from(vec![
                    Span::styled("Console: ", theme.muted),
                    Span::styled(escape(&console).into_owned(), theme.blocked),
                ]));
            }
        }
    }
    let inner = block.inner(area);
    frame.render_widget(block.style(theme.base), area);
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .style(theme.base);
    // What does not fit is in the Why panel a key away: say so rather than cut it silently.
    if paragraph.line_count(inner.width) > usize::from(inner.height) && inner.height > 1 {
        let [text, more] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        frame.render_widget(paragraph, text);
        frame.render_widget(
            Paragraph::new(Span::styled(
                "… more: Enter steps into the request, where the Why panel shows it all",
                theme.muted,
            )),
            more,
        );
    } else {
        frame.render_widget(paragraph, inner);
    }
}
