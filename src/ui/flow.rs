//! The process flow: client request → preflight? → OPTIONS → preflight check → actual request →
//! CORS check → allowed/blocked, with the current step's node lit and the branch taken marked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{panel, truncate};
use crate::app::{App, Panel};
use crate::engine::{CorsError, ExchangeKind, RequestRecord, Stage, Step, Verdict};
use crate::http::reason_phrase;
use crate::scenario::{Initiator, Outcome, Via};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The current step is here.
    Current,
    /// Already passed through in this request.
    Done,
    /// Not on this request's path (no preflight, cache hit, never sent).
    Skipped,
    /// Not reached yet.
    Ahead,
}

struct Node {
    label: String,
    /// For the two-line flow on narrow terminals.
    short: &'static str,
    detail: String,
    state: State,
    verdict: Option<Verdict>,
}

fn status_of(request: &RequestRecord, kind: ExchangeKind) -> Option<String> {
    request.exchanges.iter().find(|e| e.kind == kind).map(|e| {
        let phrase = reason_phrase(e.response.status);
        if let Some(cache) = e.server.cache_word() {
            // The answer came from a cache: the status and which cache, no phrase.
            format!("{} {cache}", e.response.status)
        } else if e.response.status == 0 {
            // Recorded as status 0: the browser got no answer.
            "no answer".to_string()
        } else if phrase.is_empty() {
            e.response.status.to_string()
        } else {
            format!("{} {phrase}", e.response.status)
        }
    })
}

fn order(stage: Stage) -> u8 {
    match stage {
        Stage::Request => 0,
        Stage::Preflight => 1,
        Stage::PreflightCheck => 2,
        Stage::Actual => 3,
        Stage::ResponseCheck => 4,
    }
}

/// The seven nodes as of `step` (only what the browser knows by then); `hop` is (this hop,
/// hops) for a redirected request.
fn nodes(request: &RequestRecord, step: &Step, hop: Option<(usize, usize)>) -> [Node; 7] {
    let at = order(step.stage);
    let reached = |stage: Stage| at >= order(stage);
    let state_for = |stage: Stage| {
        if step.stage == stage {
            State::Current
        } else if reached(stage) {
            State::Done
        } else {
            State::Ahead
        }
    };
    let raw = request.via != Via::Browser;
    let never_sent = refused_before_sending(request);
    let decision = if never_sent && request.cors_error == Some(CorsError::MixedContent) {
        "mixed content"
    } else if never_sent {
        "local network"
    } else if request.via == Via::Raw {
        "no browser"
    } else if matches!(request.via, Via::Element | Via::NoCors) {
        "no: no-cors"
    } else if request.same_origin {
        "no: same-origin"
    } else if request.preflight {
        "yes"
    } else if request.cache_hit {
        "cached"
    } else {
        "no: simple"
    };
    let (preflight_state, check_state, skip_text) = if request.preflight {
        (
            state_for(Stage::Preflight),
            state_for(Stage::PreflightCheck),
            "",
        )
    } else if request.cache_hit {
        (State::Skipped, State::Skipped, "skipped: cache hit")
    } else {
        (State::Skipped, State::Skipped, "skipped")
    };
    let preflight_failed = request.failed_at == Some(ExchangeKind::Preflight);
    // A live probe may hold the actual request back: the run ends with nothing to judge.
    let withheld = request.held_back();
    // A recorded network error ends the request without an answer to check.
    let network_error = request
        .cors_error
        .is_some_and(|e| e.is_recorded_network_error());
    let final_verdict = matches!(
        step.verdict,
        Verdict::Allowed | Verdict::Blocked | Verdict::Sent
    ) || (withheld && step.stage == Stage::Actual);
    let check_verdict = |stage: Stage| {
        if reached(stage) {
            trace_verdict(request, stage)
        } else {
            None
        }
    };
    let actual_state = if never_sent || (preflight_failed && reached(Stage::PreflightCheck)) {
        State::Skipped
    } else {
        state_for(Stage::Actual)
    };
    let response_state =
        if raw || withheld || never_sent || (preflight_failed && reached(Stage::PreflightCheck)) {
            State::Skipped
        } else {
            state_for(Stage::ResponseCheck)
        };
    // The request step covers both the call and the preflight decision.
    let request_state = if step.stage == Stage::Request {
        State::Current
    } else {
        State::Done
    };
    [
        Node {
            label: match (raw, hop) {
                (true, _) if request.via == Via::Element => request.initiator.markup().to_string(),
                (true, _) if request.via == Via::NoCors => "no-cors fetch".to_string(),
                (true, _) => "Raw client".to_string(),
                (false, Some((0, of))) if of > 1 => {
                    format!("{} 1/{of}", request.initiator.markup())
                }
                (false, Some((at, of))) if of > 1 => format!("hop {}/{of}", at + 1),
                (false, _) if request.initiator == Initiator::Xhr => "XHR".to_string(),
                (false, _) => request.initiator.markup().to_string(),
            },
            short: match (request.via, request.initiator) {
                (Via::Raw, _) => "raw",
                (Via::NoCors, _) => "no-cors",
                (_, Initiator::Xhr) => "XHR",
                (_, initiator) => initiator.markup(),
            },
            detail: request.method.clone(),
            state: request_state,
            verdict: None,
        },
        Node {
            label: "Preflight?".to_string(),
            short: "preflight?",
            detail: decision.to_string(),
            state: request_state,
            verdict: None,
        },
        Node {
            label: "OPTIONS".to_string(),
            short: "OPTIONS",
            detail: if request.preflight {
                if reached(Stage::Preflight) {
                    status_of(request, ExchangeKind::Preflight).unwrap_or_default()
                } else {
                    String::new()
                }
            } else {
                skip_text.to_string()
            },
            state: preflight_state,
            verdict: None,
        },
        Node {
            label: "Check".to_string(),
            short: "check",
            detail: match check_verdict(Stage::PreflightCheck) {
                Some(Verdict::Blocked) if network_error => "✗ no answer".to_string(),
                Some(Verdict::Blocked) => "✗ fail".to_string(),
                Some(_) => "✓ pass".to_string(),
                None if !request.preflight => skip_text.to_string(),
                None => String::new(),
            },
            state: check_state,
            verdict: check_verdict(Stage::PreflightCheck),
        },
        Node {
            label: if raw { "Request" } else { "Actual" }.to_string(),
            short: if raw { "request" } else { "actual" },
            detail: if actual_state == State::Skipped {
                "never sent".to_string()
            } else if withheld && reached(Stage::Actual) {
                "held back".to_string()
            } else if reached(Stage::Actual) {
                status_of(request, ExchangeKind::Actual).unwrap_or_default()
            } else {
                String::new()
            },
            state: actual_state,
            verdict: None,
        },
        Node {
            label: "CORS check".to_string(),
            short: "CORS check",
            detail: if never_sent {
                "none: not sent".to_string()
            } else if matches!(request.via, Via::Element | Via::NoCors) {
                "none: no-cors".to_string()
            } else if raw {
                "none: no browser".to_string()
            } else {
                match check_verdict(Stage::ResponseCheck) {
                    Some(Verdict::Blocked) if network_error => "✗ no answer".to_string(),
                    // The redirect passed; the URL it sent the browser to is refused before
                    // it is sent: mixed content, or an address Local Network Access guards.
                    Some(Verdict::Blocked)
                        if request.cors_error == Some(CorsError::MixedContent) =>
                    {
                        "✗ to http:".to_string()
                    }
                    Some(Verdict::Blocked)
                        if request
                            .cors_error
                            .is_some_and(CorsError::is_refused_before_sending) =>
                    {
                        "✗ to local".to_string()
                    }
                    Some(Verdict::Blocked) => "✗ fail".to_string(),
                    Some(_) if request.hops().last().is_some_and(|h| h.redirects()) => {
                        "✓ follow".to_string()
                    }
                    Some(_) => "✓ pass".to_string(),
                    None => String::new(),
                }
            },
            state: response_state,
            verdict: check_verdict(Stage::ResponseCheck),
        },
        Node {
            label: "Result".to_string(),
            short: "result",
            detail: if final_verdict {
                match request.outcome {
                    Outcome::Allowed => "✓ ALLOWED".to_string(),
                    Outcome::Blocked => "✗ BLOCKED".to_string(),
                    Outcome::Sent if withheld => "not sent".to_string(),
                    Outcome::Sent if request.via == Via::Element => {
                        use crate::engine::fetch_rules::ElementOutcome;
                        let script = request.initiator == Initiator::Script;
                        match request.element_outcome() {
                            Some(ElementOutcome::Withheld(_)) => "→ WITHHELD",
                            Some(ElementOutcome::Refused(_)) => "→ REFUSED",
                            Some(ElementOutcome::Loads) | None if script => "→ RUNS",
                            Some(ElementOutcome::Loads) | None => "→ SHOWN",
                            Some(_) if script => "→ NOT RUN",
                            Some(_) => "→ NOT SHOWN",
                        }
                        .to_string()
                    }
                    Outcome::Sent if request.via == Via::NoCors => {
                        if request.refused_by_corp().is_some() {
                            "→ REFUSED".to_string()
                        } else {
                            "→ OPAQUE".to_string()
                        }
                    }
                    Outcome::Sent => "→ SENT".to_string(),
                }
            } else {
                "?".to_string()
            },
            state: if final_verdict {
                State::Current
            } else {
                State::Ahead
            },
            verdict: final_verdict.then_some(step.verdict),
        },
    ]
}

/// The verdict of the step of `stage` in this request, if it has one.
fn trace_verdict(request: &RequestRecord, stage: Stage) -> Option<Verdict> {
    match stage {
        Stage::PreflightCheck if request.preflight => {
            Some(if request.failed_at == Some(ExchangeKind::Preflight) {
                Verdict::Blocked
            } else {
                Verdict::Pass
            })
        }
        Stage::ResponseCheck if request.failed_at != Some(ExchangeKind::Preflight) => {
            Some(match request.outcome {
                Outcome::Blocked => Verdict::Blocked,
                _ => Verdict::Allowed,
            })
        }
        _ => None,
    }
}

fn node_style(app: &App, node: &Node) -> Style {
    let theme = &app.theme;
    match (node.state, node.verdict) {
        (State::Current, _) => theme.current,
        (_, Some(Verdict::Blocked)) => theme.blocked,
        (_, Some(Verdict::Allowed | Verdict::Pass)) => theme.pass,
        (State::Done, _) => theme.base,
        (State::Skipped | State::Ahead, _) => theme.dim,
    }
}

fn marker(node: &Node) -> &'static str {
    match node.state {
        State::Current => "▶ ",
        _ => "",
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, boxed: bool) {
    let block = panel(app, " Process flow ", Panel::Table);
    let block = block
        .border_style(app.theme.border)
        .border_type(BorderType::Rounded);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(step) = app.trace.steps.get(app.cursor) else {
        return;
    };
    let request = app.trace.request_of(step);
    let hop = app.trace.hop_at(app.cursor);
    let hops = request.hops().len();
    let view = hop_view(request, hop);
    let request = view.as_ref().unwrap_or(request);
    // A refused request went nowhere: not even the preflight a recording lists for it.
    let refused = (refused_before_sending(request) && request.preflight).then(|| RequestRecord {
        preflight: false,
        ..request.clone()
    });
    let request = refused.as_ref().unwrap_or(request);
    let nodes = nodes(request, step, Some((hop.min(hops.saturating_sub(1)), hops)));
    if boxed {
        render_boxes(app, frame, inner, &nodes, request);
    } else {
        render_lines(app, frame, inner, &nodes, request);
    }
}

/// For a redirected request, the record as of the hop the cursor is at (that hop's exchanges,
/// method and checks), so the flow starts again at every redirect. `None` without redirects.
fn hop_view(request: &RequestRecord, hop: usize) -> Option<RequestRecord> {
    let hops = request.hops();
    if hops.len() < 2 {
        return None;
    }
    let hop = hop.min(hops.len() - 1);
    let current = &hops[hop];
    let last = hop == hops.len() - 1;
    let method = current.asked().0;
    Some(RequestRecord {
        // A later hop says what sent it there: the previous hop's redirect status.
        method: match hop.checked_sub(1).and_then(|p| hops.get(p)?.actual) {
            Some(previous) => format!("{method} ← {}", previous.response.status),
            None => method,
        },
        preflight: current.preflight.is_some(),
        cache_hit: last && request.cache_hit,
        outcome: if last {
            request.outcome
        } else {
            Outcome::Allowed
        },
        failed_at: if last { request.failed_at } else { None },
        exchanges: current
            .preflight
            .into_iter()
            .chain(current.actual)
            .cloned()
            .collect(),
        ..request.clone()
    })
}

/// Mixed content and Local Network Access are refused before any CORS decision: nothing was
/// sent and nothing checked, and no exchange was answered (a recording holds the refused
/// request, or its preflight, with status 0). Refused at a redirect, the hop itself was sent
/// and checked.
fn refused_before_sending(request: &RequestRecord) -> bool {
    request
        .cors_error
        .is_some_and(CorsError::is_refused_before_sending)
        && request.exchanges.iter().all(|e| e.response.status == 0)
}

/// Why the request goes straight to the actual request, when it does; "no" when it does not.
fn branch_label(request: &RequestRecord) -> &'static str {
    if refused_before_sending(request) {
        "✗ never sent"
    } else if request.preflight {
        "no"
    } else if request.via == Via::Raw {
        "no browser"
    } else if matches!(request.via, Via::Element | Via::NoCors) {
        "no: no-cors"
    } else if request.same_origin {
        "no: same-origin"
    } else if request.cache_hit {
        "no: cached"
    } else {
        "no: simple"
    }
}

fn render_lines(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    nodes: &[Node; 7],
    request: &RequestRecord,
) {
    let theme = &app.theme;
    let arrow = || Span::styled(" → ", theme.dim);
    let node_span = |i: usize| {
        let node = &nodes[i];
        let text = if node.detail.is_empty() {
            format!("{}{}", marker(node), node.short)
        } else {
            format!("{}{}: {}", marker(node), node.short, node.detail)
        };
        Span::styled(text, node_style(app, node))
    };
    let failed = nodes[3].verdict == Some(Verdict::Blocked);
    // The preflight path is the branch taken, or a dim "if yes" that was not.
    let top = if request.preflight {
        Line::from(vec![
            node_span(0),
            arrow(),
            node_span(1),
            Span::styled(" ─yes→ ", theme.key),
            node_span(2),
            arrow(),
            node_span(3),
        ])
    } else {
        Line::from(vec![
            node_span(0),
            arrow(),
            node_span(1),
            Span::styled(
                format!(" · if yes → {} → {}", nodes[2].short, nodes[3].short),
                theme.dim,
            ),
        ])
    };
    // The branch taken into the actual request: from the check, or straight from the decision.
    let (branch, style) = match (request.preflight, failed) {
        (true, true) => ("  └ check failed: never sent ↓ ".to_string(), theme.blocked),
        (true, false) => ("  └ if the check passes ↓ ".to_string(), theme.key),
        (false, _) => (format!("  └ {} ↓ ", branch_label(request)), theme.key),
    };
    let bottom = Line::from(vec![
        Span::styled(branch, style),
        node_span(4),
        arrow(),
        node_span(5),
        arrow(),
        node_span(6),
    ]);
    let width = usize::from(area.width);
    let clip = |line: Line<'static>| -> Line<'static> {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        if unicode_width::UnicodeWidthStr::width(text.as_str()) <= width {
            line
        } else {
            // Too narrow for every label: keep styles by cutting span by span.
            let mut used = 0;
            let mut spans = Vec::new();
            for span in line.spans {
                let w = unicode_width::UnicodeWidthStr::width(span.content.as_ref());
                if used + w > width {
                    spans.push(Span::styled(
                        truncate(&span.content, width.saturating_sub(used)),
                        span.style,
                    ));
                    break;
                }
                used += w;
                spans.push(span);
            }
            Line::from(spans)
        }
    };
    frame.render_widget(
        Paragraph::new(vec![clip(top), clip(bottom)]).style(theme.base),
        area,
    );
}

fn render_boxes(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    nodes: &[Node; 7],
    request: &RequestRecord,
) {
    let theme = &app.theme;
    let [row_a, between, row_b, _] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Fill(1),
    ])
    .areas(area);
    let four = |row: Rect| {
        Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(5),
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Fill(1),
        ])
        .split(row)
    };
    let top = four(row_a);
    let bottom = four(row_b);
    let draw = |frame: &mut Frame, i: usize, rect: Rect| {
        let node = &nodes[i];
        let style = node_style(app, node);
        let title = format!(" {} ", node.label);
        let block = Block::bordered()
            .border_type(if node.state == State::Current {
                BorderType::Double
            } else {
                BorderType::Rounded
            })
            .border_style(style)
            .title(Span::styled(
                truncate(&title, usize::from(rect.width.saturating_sub(2))),
                style,
            ));
        let detail = truncate(
            &format!("{}{}", marker(node), node.detail),
            usize::from(rect.width.saturating_sub(2)),
        );
        frame.render_widget(
            Paragraph::new(Span::styled(detail, style))
                .block(block)
                .centered(),
            rect,
        );
    };
    let arrow = |frame: &mut Frame, rect: Rect, text: &str, style: Style| {
        let middle = Rect {
            y: rect.y + 1,
            height: 1,
            ..rect
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text.to_string(), style)).centered(),
            middle,
        );
    };
    // Only what the browser knows by this step: a failure once the check has been made.
    let failed = nodes[3].verdict == Some(Verdict::Blocked);
    draw(frame, 0, top[0]);
    arrow(frame, top[1], "→", theme.base);
    draw(frame, 1, top[2]);
    arrow(
        frame,
        top[3],
        "yes→",
        if request.preflight {
            theme.key
        } else {
            theme.dim
        },
    );
    draw(frame, 2, top[4]);
    arrow(frame, top[5], "→", theme.base);
    draw(frame, 3, top[6]);
    // The actual request sits under the decision: reached straight down ("no"), or from the
    // check, back along the connector ("if it passes").
    draw(frame, 4, bottom[2]);
    arrow(frame, bottom[3], "→", theme.base);
    draw(frame, 5, bottom[4]);
    arrow(frame, bottom[5], "→", theme.base);
    draw(frame, 6, bottom[6]);
    let center = |rect: Rect| usize::from((rect.x + rect.width / 2).saturating_sub(between.x));
    let (down, back) = (center(top[2]), center(top[6]));
    let no = format!("{} ", branch_label(request));
    let no_style = if request.preflight {
        theme.dim
    } else if refused_before_sending(request) {
        theme.blocked
    } else {
        theme.key
    };
    let back_style = match (request.preflight, failed) {
        (true, true) => theme.blocked,
        (true, false) => theme.key,
        (false, _) => theme.dim,
    };
    let back_label = if failed {
        " ✗ check failed: never sent "
    } else {
        " if the check passes "
    };
    let no_width = unicode_width::UnicodeWidthStr::width(no.as_str());
    let run = back.saturating_sub(down + 1);
    let label_width = unicode_width::UnicodeWidthStr::width(back_label).min(run);
    let left = (run - label_width) / 2;
    let connector = Line::from(vec![
        Span::raw(" ".repeat(down.saturating_sub(no_width))),
        Span::styled(no, no_style),
        Span::styled("↓", if failed { theme.dim } else { theme.key }),
        Span::styled("─".repeat(left), back_style),
        Span::styled(truncate(back_label, label_width), back_style),
        Span::styled("─".repeat(run - label_width - left), back_style),
        Span::styled("╯", back_style),
    ]);
    frame.render_widget(Paragraph::new(connector), between);
}
