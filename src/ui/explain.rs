//! Why this step happened: the decision, the rule or standard step behind it, the exact HTTP
//! messages, and for a blocked request the browser's own console message.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{panel, verdict_style, verdict_symbol};
use crate::app::fixes::FixState;
use crate::app::{App, Panel};
use crate::engine::Verdict;
use crate::http::HttpRequest;
use crate::safe_text::escape;

const BODY_LINES: usize = 6;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    // Where each section starts (a line index), for ] and [ to jump between them.
    let mut starts: Vec<usize> = Vec::new();
    let title;
    if let Some(step) = app.trace.steps.get(app.cursor) {
        let request = app.trace.request_of(step);
        let text = app.trace.text(step);
        title = format!(" Why · step {} · {} ", step.n, escape(&text.request_type));
        starts.push(lines.len());
        if let Some(moment) = app.moment_at(app.cursor) {
            lines.push(Line::from(Span::styled(
                format!("★ Key moment: {}", escape(&moment.question)),
                theme.note,
            )));
            lines.push(Line::from(escape(&moment.answer).into_owned()));
            lines.push(Line::from(""));
        }
        // The plain-language note first: what a teacher reads aloud for this request.
        starts.push(lines.len());
        if let Some(note) = &request.note {
            lines.push(Line::from(vec![
                Span::styled("Lesson note: ", theme.note),
                Span::raw(escape(note).into_owned()),
            ]));
            lines.push(Line::from(""));
        }
        starts.push(lines.len());
        lines.push(Line::from(Span::styled(
            escape(&text.action).into_owned(),
            theme.title,
        )));
        lines.push(Line::from(vec![
            Span::styled("Decision: ", theme.muted),
            Span::raw(escape(&text.decision).into_owned()),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Result:   ", theme.muted),
            Span::styled(
                format!("{}{}", verdict_symbol(step.verdict), escape(&text.result)),
                verdict_style(app, step.verdict),
            ),
        ]));
        // Which cookies went decides who the server thinks is asking: shown beside the result.
        if let Some(decision) = step
            .exchange
            .and_then(|at| request.exchanges.get(at))
            .and_then(|exchange| exchange.cookies.as_deref())
        {
            let sent = decision
                .header()
                .unwrap_or_else(|| "(none sent)".to_string());
            lines.push(Line::from(vec![
                Span::styled("Cookie:   ", theme.muted),
                Span::styled(escape(&sent).into_owned(), theme.key),
            ]));
        }
        // `serve`: what the person's browser did with this request, beside the simulation.
        if let Some(live) = &app.live {
            let compared = live.compared(request.index - 1);
            if compared.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("Browser:  ", theme.muted),
                    Span::styled(
                        format!("not run yet (open {})", escape(&live.url)),
                        theme.note,
                    ),
                ]));
            }
            // One line per browser (a class may run the lesson in several at once).
            let several = compared.len() > 1;
            for compared in &compared {
                let (mark, style) = if compared.agrees {
                    ("agrees", theme.allowed)
                } else {
                    ("DISAGREES", theme.blocked)
                };
                let label = if several {
                    format!("{}: ", escape(&compared.browser))
                } else {
                    "Browser:  ".to_string()
                };
                lines.push(Line::from(vec![
                    Span::styled(label, theme.muted),
                    Span::styled(format!("{} — {mark}", escape(&compared.real)), style),
                ]));
            }
            if let Some(differs) = compared.iter().find(|c| !c.agrees) {
                lines.push(Line::from(vec![
                    Span::styled("Simulated: ", theme.muted),
                    Span::raw(escape(&differs.simulated).into_owned()),
                ]));
                if let Some(note) = differs.note {
                    lines.push(Line::from(Span::styled(note, theme.note)));
                }
            }
        }
        // The lesson register leaves the Fetch steps and citations to the spec register, when
        // the lesson says the request in plain words.
        let plain = app.register == crate::app::Register::Lesson && request.note.is_some();
        if !plain {
            lines.push(Line::from(""));
            starts.push(lines.len());
            lines.push(Line::from(escape(&text.explanation).into_owned()));
        }
        if plain {
            lines.push(Line::from(Span::styled(
                "(r: the Fetch steps and the provider's behaviour behind this step)",
                theme.muted,
            )));
        } else if let Some(note) = &text.profile_note {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!("⚖ {}", escape(note)),
                theme.note,
            )));
        }
        if step.verdict == Verdict::Blocked
            && let Some(error) = &request.error()
        {
            lines.push(Line::from(""));
            starts.push(lines.len());
            // The explanation may quote the console line already: say it once.
            if plain || !text.explanation.contains(error.as_str()) {
                lines.push(Line::from(Span::styled("Browser console:", theme.blocked)));
                lines.push(Line::from(Span::styled(
                    escape(error).into_owned(),
                    theme.blocked,
                )));
            }
            if let Some(name) = request.cors_error {
                lines.push(Line::from(vec![
                    Span::styled("DevTools CorsError: ", theme.muted),
                    Span::styled(name.name(), theme.blocked),
                ]));
            }
        }
        if step.verdict == Verdict::Blocked {
            match app.fix_of(request.index - 1) {
                FixState::Ready(Some(fix)) => {
                    lines.push(Line::from(""));
                    starts.push(lines.len());
                    lines.extend(super::fix_lines(
                        theme,
                        fix,
                        "Proven: re-run with the change, this request is allowed (e opens the what-if editor).",
                    ));
                }
                FixState::Working => {
                    lines.push(Line::from(""));
                    lines.push(super::fix_working_line(app, theme));
                }
                FixState::Ready(None) => {}
            }
        }
        if let Some(exchange) = step.exchange.and_then(|e| request.exchanges.get(e)) {
            lines.push(Line::from(""));
            starts.push(lines.len());
            lines.push(Line::from(Span::styled("HTTP exchange", theme.title)));
            push_request(&mut lines, app, &exchange.request);
            lines.push(Line::from(Span::styled(
                format!("← {}", exchange.response.status_line()),
                theme.key,
            )));
            for (name, value) in &exchange.response.headers {
                lines.push(header_line(app, name, value));
            }
            if !exchange.response.body.is_empty() {
                let body: Vec<&str> = exchange.response.body.lines().collect();
                for line in body.iter().take(BODY_LINES) {
                    lines.push(Line::from(Span::styled(
                        format!("  {}", escape(line)),
                        theme.muted,
                    )));
                }
                if body.len() > BODY_LINES {
                    lines.push(Line::from(Span::styled(
                        format!("  … {} more lines", body.len() - BODY_LINES),
                        theme.muted,
                    )));
                }
            }
        }
        if let Some(recorded) = app
            .recording
            .as_ref()
            .and_then(|r| r.recorded.get(request.index - 1))
        {
            lines.push(Line::from(""));
            starts.push(lines.len());
            // Against other rules (--config), ending otherwise is what the rules change.
            let against = crate::report::recording::replayed_against(&app.scenario).is_some();
            let verdict = match (request.agrees_with(recorded), against) {
                (Some(true), false) => "the replay agrees",
                (Some(false), false) => "the replay DISAGREES",
                (Some(true), true) => "the rules replayed here end it as the browser did",
                (Some(false), true) => "the rules replayed here end it otherwise",
                (None, _) => "the recording does not say whether it was blocked",
            };
            lines.push(Line::from(Span::styled(
                format!(
                    "Recorded by the browser: status {}{}; {verdict}.",
                    recorded.status,
                    recorded
                        .error
                        .as_deref()
                        .map(|e| format!(", {}", escape(e)))
                        .unwrap_or_default()
                ),
                theme.note,
            )));
            for note in &recorded.notes {
                lines.push(Line::from(Span::styled(
                    format!("  {}", escape(note)),
                    theme.muted,
                )));
            }
        }
    } else {
        title = " Why ".to_string();
    }
    // The sections' first rows once wrapped at this panel's width, for ] and [.
    let inner = area.width.saturating_sub(2);
    starts.dedup();
    // Each line wraps on its own, so the rows before a section are the sum over the segments
    // before it: one pass over the lines, not one per section.
    let mut rows: Vec<u16> = Vec::with_capacity(starts.len());
    let (mut counted, mut before) = (0, 0usize);
    for &at in &starts {
        let at = at.min(lines.len());
        before += Paragraph::new(lines[counted..at].to_vec())
            .wrap(Wrap { trim: false })
            .line_count(inner);
        counted = at;
        rows.push(u16::try_from(before).unwrap_or(u16::MAX));
    }
    app.why_sections.replace(rows);
    let scroll = app.scroll[Panel::Explanation.index()];
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(panel(app, title, Panel::Explanation));
    frame.render_widget(paragraph, area);
}

fn push_request(lines: &mut Vec<Line<'static>>, app: &App, request: &HttpRequest) {
    lines.push(Line::from(Span::styled(
        format!("→ {}", escape(&request.request_line())),
        app.theme.key,
    )));
    for (name, value) in &request.headers {
        lines.push(header_line(app, name, value));
    }
}

fn header_line(app: &App, name: &str, value: &str) -> Line<'static> {
    let style = if crate::http::is_cors_header(name) {
        app.theme.title
    } else if name.eq_ignore_ascii_case("cookie") || name.eq_ignore_ascii_case("set-cookie") {
        // Which cookies went decides who the server thinks is asking.
        app.theme.key
    } else {
        app.theme.base
    };
    Line::from(vec![
        Span::styled(format!("  {}: ", escape(name)), style),
        Span::raw(escape(value).into_owned()),
    ])
}
