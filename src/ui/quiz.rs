//! The quiz overlay: one question at a time, the hint, the verdict, then the score.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::{App, QuizState};
use crate::safe_text::escape;

pub fn render(app: &App, state: &QuizState, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let total = state.items.len();
    let title;
    if state.items.is_empty() {
        title = " Quiz (Esc closes".to_string();
        lines.push(Line::from(
            "This lesson has no questions yet. Enter or Esc closes.",
        ));
    } else if state.finished {
        title = " Quiz · done (Esc closes".to_string();
        lines.push(Line::from(Span::styled(
            format!("Score: {} / {total}", state.score),
            theme.title,
        )));
        lines.push(Line::from(""));
        lines.push(Line::from("Enter or Esc closes the quiz."));
    } else {
        let item = &state.items[state.current];
        title = format!(
            " Quiz · question {} of {total} · score {} (Esc leaves",
            state.current + 1,
            state.score
        );
        lines.push(Line::from(Span::styled(
            escape(&item.question).into_owned(),
            theme.title,
        )));
        lines.push(Line::from(""));
        for (i, choice) in item.choices.iter().enumerate() {
            let letter = (b'a' + i as u8) as char;
            let (mark, style) = match state.chosen {
                Some(_) if i == item.answer => ("✓ ", theme.allowed),
                Some(chosen) if chosen == i => ("✗ ", theme.blocked),
                _ => ("  ", theme.base),
            };
            lines.push(Line::from(Span::styled(
                format!("{mark}{letter}) {}", escape(&choice.text)),
                style,
            )));
        }
        lines.push(Line::from(""));
        if state.hint
            && let Some(hint) = &item.hint
        {
            lines.push(Line::from(Span::styled(
                format!("Hint: {}", escape(hint)),
                theme.note,
            )));
        }
        match state.chosen {
            None => lines.push(Line::from(Span::styled(
                "1-6 or a-f to answer · h hint (lights the step) · Esc leave",
                theme.muted,
            ))),
            Some(chosen) if chosen == item.answer => {
                lines.push(Line::from(Span::styled(
                    "Right. Enter for the next question.",
                    theme.allowed,
                )));
                explain(&mut lines, app, item);
            }
            Some(chosen) => {
                let letter = |i: usize| (b'a' + i as u8) as char;
                lines.push(Line::from(Span::styled(
                    format!(
                        "Not quite: the answer is {}). Enter for the next question.",
                        letter(item.answer)
                    ),
                    theme.blocked,
                )));
                // Why the chosen answer is wrong comes first: it is what the student believed.
                if let Some(why) = item.choices.get(chosen).and_then(|c| c.why.as_ref()) {
                    lines.push(Line::from(Span::styled(
                        format!("Not {}): {}", letter(chosen), escape(why)),
                        theme.base,
                    )));
                }
                explain(&mut lines, app, item);
            }
        }
    }
    let width = area.width.saturating_sub(4).min(90);
    // At the bottom, so the flow and the table (where a hint or an answer points) stay in view
    // once they are shown; an explanation taller than the screen scrolls.
    super::render_scrolled_overlay(app, frame, area, width, lines, &title, true);
}

/// Why the right answer is right: its own explanation, the step that shows it (now on screen
/// behind the quiz), and the question's hint.
fn explain(lines: &mut Vec<Line<'static>>, app: &App, item: &crate::analysis::lesson::QuizItem) {
    let theme = &app.theme;
    let mut why = String::new();
    if let Some(right) = item.choices.get(item.answer).and_then(|c| c.why.as_ref()) {
        why.push_str(right);
        why.push(' ');
    }
    if let Some(step) = item.step {
        why.push_str(&format!("Step {step}, behind this box, shows why. "));
    }
    if let Some(hint) = &item.hint {
        why.push_str(hint);
    }
    if !why.is_empty() {
        lines.push(Line::from(Span::styled(
            escape(&why).into_owned(),
            theme.note,
        )));
    }
}
