//! Rendering: a pure function of `&App` into a frame. Layout adapts from 80×24 to a projector;
//! below the minimum it says how large a terminal it needs.

mod audit;
mod config;
mod editor;
mod explain;
mod flow;
mod help;
mod quiz;
mod requests;
mod table;
mod vars;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Gauge, Padding, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::keymap::{KEYMAP, keys_label};
use crate::app::{App, Panel};
use crate::safe_text::escape;
use crate::theme::Theme;

pub use table::step_at;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 20;

/// Where each panel goes for a terminal of a given size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub flow: Rect,
    /// `None` when the configuration shares the explanation's slot (narrow terminals).
    pub config: Option<Rect>,
    pub table: Rect,
    pub vars: Rect,
    pub explain: Rect,
    pub footer: Rect,
    /// Boxes-and-arrows flow (wide) or the two-line flow (narrow).
    pub boxed_flow: bool,
}

impl Areas {
    /// Everything between the header and the footer of `area`.
    pub fn body(&self, area: Rect) -> Rect {
        Rect {
            y: self.header.bottom(),
            height: self.footer.y.saturating_sub(self.header.bottom()),
            ..area
        }
    }
}

/// The layout for `area`, or `None` when it is below the minimum size.
pub fn layout(area: Rect) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let wide = area.width >= 120 && area.height >= 34;
    let flow_height = if wide { 9 } else { 4 };
    let table_height = if wide {
        (area.height / 3).max(8)
    } else {
        (area.height / 3).clamp(6, 12)
    };
    let [header, top, table, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(flow_height),
        Constraint::Length(table_height),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let vars_share = if area.width >= 120 { 45 } else { 50 };
    let [vars, explain] = Layout::horizontal([
        Constraint::Percentage(vars_share),
        Constraint::Percentage(100 - vars_share),
    ])
    .areas(bottom);
    if wide {
        let [flow, config] =
            Layout::horizontal([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(top);
        Some(Areas {
            header,
            flow,
            config: Some(config),
            table,
            vars,
            explain,
            footer,
            boxed_flow: true,
        })
    } else {
        Some(Areas {
            header,
            flow: top,
            config: None,
            table,
            vars,
            explain,
            footer,
            boxed_flow: false,
        })
    }
}

/// The layout as the app draws it: with `zoom`, the focused panel takes the whole body and the
/// others get no room.
pub fn screen_layout(app: &App, area: Rect) -> Option<Areas> {
    let mut areas = layout(area)?;
    if !app.zoom {
        return Some(areas);
    }
    let body = areas.body(area);
    let none = Rect::new(area.x, area.y, 0, 0);
    areas.flow = none;
    areas.table = none;
    areas.vars = none;
    areas.explain = none;
    areas.config = Some(none);
    match app.focus {
        Panel::Table => areas.table = body,
        Panel::Variables => areas.vars = body,
        Panel::Config => areas.config = Some(body),
        Panel::Explanation => areas.explain = body,
    }
    Some(areas)
}

/// The panel drawn at `position` on a terminal of size `area`.
pub fn panel_at(app: &App, area: Rect, position: ratatui::layout::Position) -> Option<Panel> {
    let areas = screen_layout(app, area)?;
    if areas.table.contains(position) {
        Some(Panel::Table)
    } else if areas.vars.contains(position) {
        Some(Panel::Variables)
    } else if areas.config.is_some_and(|c| c.contains(position)) {
        Some(Panel::Config)
    } else if areas.explain.contains(position) {
        // On narrow terminals the configuration shares this slot while focused.
        Some(if areas.config.is_none() && app.focus == Panel::Config {
            Panel::Config
        } else {
            Panel::Explanation
        })
    } else {
        None
    }
}

/// Draws the whole screen for the app's state.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = &app.theme;
    frame.render_widget(Block::new().style(theme.base), area);
    let Some(areas) = screen_layout(app, area) else {
        let message = format!(
            "cors-tui needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}. Enlarge it, or press q to quit.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(message)
                .style(theme.base)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    if app.list.open && !app.title_card {
        requests::render(app, frame, area);
        if app.help {
            help::render(app, frame, area);
        }
        return;
    }
    header(app, frame, areas.header);
    if app.quiz_hides_view()
        && let Some(state) = &app.quiz
    {
        let body = areas.body(area);
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                " The lesson is hidden until you answer: it would give the answer away. h shows the hint's step.",
                theme.muted,
            )))
            .wrap(Wrap { trim: true }),
            body,
        );
        footer(app, frame, areas.footer);
        quiz::render(app, state, frame, area);
        return;
    }
    flow::render(app, frame, areas.flow, areas.boxed_flow);
    table::render(app, frame, areas.table);
    vars::render(app, frame, areas.vars);
    match areas.config {
        Some(config_area) => {
            config::render(app, frame, config_area);
            explain::render(app, frame, areas.explain);
        }
        None if app.focus == Panel::Config => config::render(app, frame, areas.explain),
        None => explain::render(app, frame, areas.explain),
    }
    footer(app, frame, areas.footer);
    if app.title_card {
        title_card(app, frame, area);
    } else if let Some(state) = &app.quiz {
        quiz::render(app, state, frame, area);
    } else if let Some(selected) = app.editor {
        editor::render(app, selected, frame, area);
    } else if app.help {
        help::render(app, frame, area);
    } else if app.audit_open {
        audit::render(app, frame, area);
    }
}

/// The screen shown while the input is parsed and the engine runs, before the app exists: what
/// is happening to which input (shown escaped: it holds a file name) and, while simulating, how
/// many of how many requests are done.
pub fn render_loading(
    frame: &mut Frame,
    theme: &Theme,
    headline: &str,
    progress: Option<(usize, usize)>,
) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base), area);
    let box_area = overlay_area(area, area.width.min(72), area.height.min(5), false);
    let block = Block::bordered()
        .padding(Padding::horizontal(1))
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(" cors-tui ", theme.header_bar));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let [what, _, bar] = Layout::vertical([Constraint::Length(1); 3]).areas(inner);
    let headline = format!(
        "{}{}",
        escape(headline),
        if progress.is_none() { "…" } else { "" }
    );
    frame.render_widget(Paragraph::new(headline).style(theme.title), what);
    let Some((done, total)) = progress else {
        return;
    };
    let requests = if total == 1 { "request" } else { "requests" };
    let label = format!(
        "{} of {} {requests}",
        crate::narrate::count(done),
        crate::narrate::count(total)
    );
    frame.render_widget(
        Gauge::default()
            .ratio(if total == 0 {
                1.0
            } else {
                done.min(total) as f64 / total as f64
            })
            .label(label)
            .gauge_style(theme.current)
            .use_unicode(true),
        bar,
    );
}

/// Where an overlay goes: centred horizontally, `width` × `height`, in the middle of `area` or
/// just above the footer (so the flow and table stay in view).
pub(crate) fn overlay_area(area: Rect, width: u16, height: u16, at_bottom: bool) -> Rect {
    let below = if at_bottom {
        Constraint::Length(1)
    } else {
        Constraint::Fill(1)
    };
    let [_, middle, _] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(height), below]).areas(area);
    let [_, popup, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    popup
}

/// The double-bordered, lit frame every overlay (help, quiz, what-if) is drawn in.
pub(crate) fn overlay_block<'a>(app: &App, title: impl Into<String>) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.focus_border)
        .title(Span::styled(title.into(), app.theme.title))
        .style(app.theme.base)
}

/// A lesson's title card: its title, its story and the question it answers, before step 1.
fn title_card(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let scenario = &app.scenario;
    let mut lines = vec![
        Line::from(Span::styled(
            escape(&scenario.title).into_owned(),
            theme.title,
        )),
        Line::from(""),
        Line::from(escape(scenario.description.trim()).into_owned()),
    ];
    if let Some(moment) = app.moments.first() {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled("The question: ", theme.note),
            Span::raw(escape(&moment.question).into_owned()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "{} request(s), {} steps. Any key begins at step 1; ? lists the keys once inside; q quits.",
            app.trace.requests.len(),
            app.trace.steps.len()
        ),
        theme.muted,
    )));
    let width = area.width.saturating_sub(4).min(90);
    render_scrolled_overlay(
        app,
        frame,
        area,
        width,
        lines,
        " Lesson (any key to begin",
        false,
    );
}

/// A modal overlay of `lines`, `width` wide, as tall as they need up to the screen, scrolled
/// to `app.overlay_scroll`, centred or (`bottom`) at the bottom of the screen; `title` is
/// closed with a hint to scroll when they do not fit.
pub(crate) fn render_scrolled_overlay(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    width: u16,
    lines: Vec<Line<'_>>,
    title: &str,
    bottom: bool,
) {
    // The rows the lines take once word-wrapped at this width.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = u16::try_from(paragraph.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX);
    let height = rows.saturating_add(2).min(area.height);
    let visible = height.saturating_sub(2);
    let top = app.overlay_scroll.min(rows.saturating_sub(visible));
    let title = if rows > visible {
        format!(
            "{title}; ↑↓ scroll, lines {}-{} of {rows}) ",
            top + 1,
            (top + visible).min(rows)
        )
    } else {
        format!("{title}) ")
    };
    let popup = overlay_area(area, width, height, bottom);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        paragraph.scroll((top, 0)).block(overlay_block(app, title)),
        popup,
    );
}

/// A bordered panel, its border lit when focused.
fn panel<'a>(app: &App, title: impl Into<Line<'a>>, focus: Panel) -> Block<'a> {
    let theme = &app.theme;
    let focused = app.focus == focus;
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            theme.focus_border
        } else {
            theme.border
        })
        .title(title.into().style(theme.title))
        .style(theme.base)
}

/// Cuts `text` to `width` columns, ending with "…" when something was cut.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let total = app.trace.steps.len();
    let width = usize::from(area.width);
    // What must always show, whatever the width: where the lesson is, what the view is doing
    // (playing, a step number being typed, edits not saved) and which browser is simulated.
    let mut state = vec![Span::styled(" cors-tui ", theme.header_bar), Span::raw(" ")];
    if let Some(step) = app.trace.steps.get(app.cursor) {
        state.push(Span::styled(
            format!("step {} / {total}", step.n),
            theme.key,
        ));
    }
    // Short forms on a narrow terminal, so that all of them fit at 80 columns.
    let wide = width >= 120;
    if !app.pending.is_empty() {
        let text = if wide {
            format!("  go to step: {}▏ (Enter)", app.pending)
        } else {
            format!("  go to {}▏", app.pending)
        };
        state.push(Span::styled(text, theme.current));
    }
    if app.autoplay {
        let seconds = app.autoplay_interval().as_secs_f64();
        let text = if wide {
            format!("  ▶ playing, {seconds:.2} s/step")
        } else {
            format!("  ▶ {seconds:.1} s")
        };
        state.push(Span::styled(text, theme.key));
    }
    if app.unsaved() {
        let text = if wide {
            "  ● unsaved edits (w saves)"
        } else {
            "  ● unsaved"
        };
        state.push(Span::styled(text, theme.note));
    }
    if app.zoom {
        state.push(Span::styled(
            if wide { "  zoomed (z)" } else { "  zoom" },
            theme.key,
        ));
    }
    if app.register == crate::app::Register::Lesson {
        state.push(Span::styled(
            if wide {
                "  lesson register (r)"
            } else {
                "  lesson"
            },
            theme.key,
        ));
    }
    state.push(Span::raw(format!("  │  {}", app.trace.profile.label())));
    // `serve`: how far the person's browser is, and whether it agrees so far.
    if let Some(live) = &app.live {
        let progress = live.progress();
        let (text, style) = match progress {
            crate::lab::Progress { browsers: 0, .. } => {
                (format!("  │  lab: open {}", escape(&live.url)), theme.note)
            }
            crate::lab::Progress {
                browsers: 1,
                disagree: 0,
                reported,
                requests,
                ..
            } => (
                format!("  │  browser: {reported}/{requests} agree"),
                theme.allowed,
            ),
            crate::lab::Progress {
                browsers: 1,
                reported,
                ..
            } => (
                format!("  │  browser DISAGREES ({reported} run)"),
                theme.blocked,
            ),
            crate::lab::Progress {
                browsers,
                finished,
                disagree: 0,
                ..
            } => (
                format!("  │  {browsers} browsers, {finished} done, all agree"),
                theme.allowed,
            ),
            crate::lab::Progress {
                browsers, disagree, ..
            } => (
                format!("  │  {browsers} browsers, {disagree} DISAGREE"),
                theme.blocked,
            ),
        };
        state.push(Span::styled(text, style));
    }
    let used: usize = state.iter().map(|s| s.width()).sum();
    // Then the title and the request, cut to what is left.
    let mut room = width.saturating_sub(used);
    let mut spans = state;
    let title = escape(&app.trace.title).into_owned();
    let request = app.trace.steps.get(app.cursor).map(|step| {
        let request = app.trace.request_of(step);
        let path = url::Url::parse(&request.url)
            .map_or_else(|_| request.url.clone(), |u| u.path().to_string());
        format!(
            "request {}/{}: {} {} from {}",
            request.index,
            app.trace.requests.len(),
            escape(&request.method),
            escape(&path),
            escape(request.origin.as_deref().unwrap_or("(no Origin)"))
        )
    });
    for (text, style, share) in [(Some(title), theme.title, 2), (request, theme.base, 1)] {
        let Some(text) = text else { continue };
        if room < 8 {
            break;
        }
        // The title takes up to half of what is left, the request the rest.
        let budget = if share == 2 { (room / 2).max(8) } else { room }.saturating_sub(5);
        let shown = truncate(&text, budget);
        room = room.saturating_sub(unicode_width::UnicodeWidthStr::width(shown.as_str()) + 5);
        spans.push(Span::raw("  │  "));
        spans.push(Span::styled(shown, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

fn footer(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    if let Some(status) = &app.status {
        let line = Line::from(Span::styled(escape(status).into_owned(), theme.note));
        frame.render_widget(Paragraph::new(line).style(theme.base), area);
        return;
    }
    let hints = key_hints(theme, KEYMAP, area.width, |_| true);
    frame.render_widget(Paragraph::new(Line::from(hints)).style(theme.base), area);
}

/// The footer's key hints from `keymap`: its footer keys that `shown` lets through, as many as
/// fit in `width`, with help and quit always last.
pub(crate) fn key_hints(
    theme: &crate::theme::Theme,
    keymap: &[crate::app::keymap::Binding],
    width: u16,
    shown: impl Fn(&crate::app::keymap::Binding) -> bool,
) -> Vec<Span<'static>> {
    let item = |binding: &crate::app::keymap::Binding| {
        let keys: Vec<String> = binding.keys.iter().take(2).map(|k| k.label()).collect();
        vec![
            Span::styled(keys.join("/"), theme.key),
            Span::styled(format!(" {}  ", binding.short), theme.muted),
        ]
    };
    let essential = |b: &&crate::app::keymap::Binding| {
        matches!(
            b.action,
            crate::app::Action::ToggleHelp | crate::app::Action::Quit
        )
    };
    let offered = || keymap.iter().filter(|b| b.in_footer && shown(b));
    let tail: Vec<Span> = offered().filter(essential).flat_map(item).collect();
    let mut room = usize::from(width).saturating_sub(tail.iter().map(|s| s.width()).sum::<usize>());
    let mut spans = Vec::new();
    for binding in offered().filter(|b| !essential(b)) {
        let pair = item(binding);
        let width: usize = pair.iter().map(|s| s.width()).sum();
        if width > room {
            break;
        }
        room -= width;
        spans.extend(pair);
    }
    spans.extend(tail);
    spans
}

/// Where a request's fix is still being proven on another thread: what takes the time, and
/// that it shows here once done.
pub(crate) fn fix_working_line<'a>(app: &App, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(
        format!(
            "Fix: being worked out: each change it tries is proven by re-running all {} requests. It shows here once done.",
            crate::narrate::count(app.trace.requests.len())
        ),
        theme.muted,
    ))
}

/// A request's fix as the views show it: what to change, the rules' diff or the headers, the
/// notes beside it (who made the answer, what else it allows), and `proven` when the re-run
/// allowed the request. Its text comes from the recording in part: it is shown escaped.
pub(crate) fn fix_lines<'a>(
    theme: &Theme,
    fix: &crate::analysis::fix::Fix,
    proven: &'a str,
) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from(Span::styled(
        format!("Fix: {}", escape(&fix.summary)),
        theme.allowed,
    ))];
    lines.extend(
        fix.diff
            .iter()
            .chain(&fix.headers)
            .map(|line| Line::from(escape(line).into_owned())),
    );
    lines.extend(fix.caveats.iter().map(|caveat| {
        Line::from(Span::styled(
            format!("Note: {}", escape(caveat)),
            theme.note,
        ))
    }));
    if fix.proven {
        lines.push(Line::from(Span::styled(proven, theme.muted)));
    }
    lines
}

/// `keys  description` lines for the help overlay, one per binding.
pub fn help_lines(keymap: &[crate::app::keymap::Binding]) -> Vec<(String, &'static str)> {
    keymap.iter().map(|b| (keys_label(b), b.help)).collect()
}

pub(crate) fn verdict_style(app: &App, verdict: crate::engine::Verdict) -> Style {
    use crate::engine::Verdict::*;
    match verdict {
        Info => app.theme.base,
        Pass => app.theme.pass,
        Allowed => app.theme.allowed,
        Blocked => app.theme.blocked,
        Sent => app.theme.sent,
    }
}

pub(crate) fn verdict_symbol(verdict: crate::engine::Verdict) -> &'static str {
    use crate::engine::Verdict::*;
    match verdict {
        Info => "",
        Pass => "✓ ",
        Allowed => "✓ ",
        Blocked => "✗ ",
        Sent => "→ ",
    }
}
