//! The audit overlay: the server's rules judged by its provider's semantics, worst first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::analysis::audit::Severity;
use crate::app::App;
use crate::safe_text::escape;
use crate::scenario::ServerKind;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let rules = match &app.scenario.server.kind {
        ServerKind::Bucket {
            provider,
            cors: Some(config),
        } => {
            lines.push(Line::from(Span::styled(
                format!(
                    "{} rule(s), judged by {}'s own matching and answers.",
                    config.rules.len(),
                    provider.product()
                ),
                theme.muted,
            )));
            config.rules.as_slice()
        }
        _ => &[],
    };
    match &app.audit {
        None => lines.push(Line::from(
            "Nothing to audit: this server's answers are fixed (static) or recorded, not computed from rules.",
        )),
        Some(findings) if findings.is_empty() => lines.push(Line::from(Span::styled(
            "No findings: nothing dangerous, broken or noisy.",
            theme.allowed,
        ))),
        Some(findings) => {
            for finding in findings {
                let style = match finding.severity {
                    Severity::Dangerous => theme.blocked,
                    Severity::Broken => theme.note,
                    Severity::Noisy => theme.muted,
                };
                let subject = finding
                    .rule
                    .and_then(|i| rules.get(i).map(|r| format!("rule {}", r.label(i))))
                    .unwrap_or_else(|| finding.subject.clone());
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{:<10}", finding.severity.name().to_uppercase()),
                        style,
                    ),
                    Span::styled(format!("{}: ", escape(&subject)), theme.title),
                    Span::raw(escape(&finding.title).into_owned()),
                ]));
                lines.push(Line::from(Span::raw(format!("  {}", escape(&finding.why)))));
            }
            let count = |s| findings.iter().filter(|f| f.severity == s).count();
            lines.push(Line::from(Span::styled(
                format!(
                    "{} dangerous, {} broken, {} noisy. `cors-tui audit FILE` prints this for CI.",
                    count(Severity::Dangerous),
                    count(Severity::Broken),
                    count(Severity::Noisy)
                ),
                theme.muted,
            )));
        }
    }
    let width = area.width.saturating_sub(4).min(110);
    super::render_scrolled_overlay(
        app,
        frame,
        area,
        width,
        lines,
        " Audit of the server's rules (a or Esc to close",
        false,
    );
}
