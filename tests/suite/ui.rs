//! The terminal UI drawn to ratatui's TestBackend: snapshots of whole screens at several steps
//! and sizes, key sequences, mouse, help and hostile text.

use cors_tui::app::keymap::{KEYMAP, LIST_KEYMAP};
use cors_tui::app::requests::Facet;
use cors_tui::app::{Action, App, Panel};
use cors_tui::engine;
use cors_tui::scenario::{BrowserProfile, Outcome, load_file, load_str};
use cors_tui::terminal::mouse_actions;
use cors_tui::theme::{Theme, ThemeName};
use cors_tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use ratatui::style::Color;

fn app_from(text: &str, theme: ThemeName) -> App {
    let scenario = match load_str(text, "test.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    App::new(scenario, trace, "test.json".to_string(), Theme::new(theme))
}

fn app(name: &str) -> App {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let scenario = match load_file(std::path::Path::new(&path)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    App::new(scenario, trace, path, Theme::new(ThemeName::Default))
}

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    if let Err(e) = terminal.draw(|frame| ui::render(app, frame)) {
        panic!("{e}");
    }
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn key(app: &mut App, code: KeyCode) {
    let event = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(action) = app.action_for_key(&event) {
        app.update(action);
    }
}

fn at_step(mut app: App, step: usize) -> App {
    app.update(Action::Jump(step - 1));
    app
}

#[test]
fn basic_screens_at_several_steps_and_sizes() {
    for (step, width, height) in [
        (1, 120, 40),
        (6, 120, 40),
        (11, 120, 40),
        (6, 80, 24),
        (11, 80, 24),
        (8, 160, 48),
    ] {
        let app = at_step(app("basic"), step);
        insta::assert_snapshot!(
            format!("basic_step{step}_{width}x{height}"),
            text(&draw(&app, width, height))
        );
    }
}

#[test]
fn every_shipped_scenario_renders_its_blocked_or_last_step() {
    for name in [
        "method-not-allowed",
        "curl-vs-browser",
        "static-preflight-status",
        "preflight-cache",
        "authorization-star",
        "gcs-upload",
        "azure-blob",
    ] {
        let mut app = app(name);
        key(&mut app, KeyCode::Char('b'));
        if app.cursor == 0 {
            key(&mut app, KeyCode::End);
        }
        insta::assert_snapshot!(format!("{name}_120x40"), text(&draw(&app, 120, 40)));
    }
}

#[test]
fn styles_carry_the_current_row_and_verdicts() {
    let app = at_step(app("basic"), 11);
    insta::assert_snapshot!(
        "basic_step11_styles_100x30",
        format!("{:?}", draw(&app, 100, 30))
    );
}

#[test]
fn help_overlay_lists_every_bound_key() {
    let mut app = app("basic");
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    let screen = text(&draw(&app, 160, 80));
    for binding in KEYMAP {
        for k in binding.keys {
            assert!(screen.contains(&k.label()), "help lacks {}", k.label());
        }
        assert!(
            screen.contains(binding.help),
            "help lacks {:?}",
            binding.help
        );
    }
    insta::assert_snapshot!("help_100x30", text(&draw(&app, 100, 30)));
    key(&mut app, KeyCode::Esc);
    assert!(!app.help && !app.quit, "Esc closes help before it quits");
}

#[test]
fn forward_then_back_returns_the_identical_screen() {
    for k in 1..=10 {
        let mut app = app("basic");
        let before = draw(&app, 120, 40);
        for _ in 0..k {
            key(&mut app, KeyCode::Right);
        }
        for _ in 0..k {
            key(&mut app, KeyCode::Left);
        }
        assert_eq!(draw(&app, 120, 40), before, "k = {k}");
    }
}

#[test]
fn a_step_looks_the_same_however_it_was_reached() {
    let mut stepped = app("rule-order");
    for _ in 0..5 {
        key(&mut stepped, KeyCode::Char(' '));
    }
    let mut jumped = app("rule-order");
    key(&mut jumped, KeyCode::End);
    key(&mut jumped, KeyCode::Char('6'));
    key(&mut jumped, KeyCode::Enter);
    let mut back = app("rule-order");
    key(&mut back, KeyCode::End);
    for _ in 0..(back.trace.steps.len() - 6) {
        key(&mut back, KeyCode::Backspace);
    }
    assert_eq!(stepped.cursor, 5);
    let screen = draw(&stepped, 100, 32);
    assert_eq!(draw(&jumped, 100, 32), screen);
    assert_eq!(draw(&back, 100, 32), screen);
}

#[test]
fn end_then_home_and_jump_keys() {
    let mut app = app("basic");
    let first = draw(&app, 100, 30);
    key(&mut app, KeyCode::End);
    assert_eq!(app.cursor, app.trace.steps.len() - 1);
    key(&mut app, KeyCode::Home);
    assert_eq!(draw(&app, 100, 30), first);
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.cursor, 0);
    key(&mut app, KeyCode::Char('9'));
    key(&mut app, KeyCode::Char('9'));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.cursor, 8, "digits 9 9 ⌫ then Enter jump to step 9");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.cursor, 8, "n on the last request stays");
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(
        app.cursor, 3,
        "N from a request's first step goes to the previous request"
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.cursor, 8);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
    let mut ctrl_c = self::app("basic");
    if let Some(action) =
        ctrl_c.action_for_key(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
    {
        ctrl_c.update(action);
    }
    assert!(ctrl_c.quit);
}

#[test]
fn tab_cycles_focus_and_arrows_scroll_the_focused_panel() {
    let mut app = app("basic");
    assert_eq!(app.focus, Panel::Table);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.cursor, 1, "↓ in the table moves the step");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Panel::Explanation);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.scroll[Panel::Explanation.index()], 10);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.scroll[Panel::Explanation.index()], 9);
    assert_eq!(app.cursor, 1);
}

#[test]
fn future_rows_can_be_hidden() {
    let mut app = at_step(app("basic"), 3);
    let dimmed = text(&draw(&app, 120, 50));
    assert!(
        dimmed.contains("Fail: MissingAllow"),
        "step 11's row is shown, dimmed"
    );
    key(&mut app, KeyCode::Char('f'));
    let hidden = text(&draw(&app, 120, 50));
    assert!(
        !hidden.contains("Fail: MissingAllow"),
        "rows after the cursor are hidden"
    );
    assert!(hidden.contains("future hidden"));
}

#[test]
fn clicking_a_table_row_jumps_to_that_step() {
    let app = app("basic");
    let area = Rect::new(0, 0, 120, 40);
    let table = ui::layout(area).map(|a| a.table);
    let Some(table) = table else { panic!("layout") };
    // Border, header, then step 1 on the first row: step 4 is three rows lower.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: table.x + 10,
        row: table.y + 2 + 3,
        modifiers: KeyModifiers::NONE,
    };
    assert_eq!(mouse_actions(&app, area, click), vec![Action::Jump(3)]);
    let header = MouseEvent {
        row: table.y + 1,
        ..click
    };
    assert!(mouse_actions(&app, area, header).is_empty());
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click
    };
    assert_eq!(mouse_actions(&app, area, wheel), vec![Action::ScrollDown]);
}

#[test]
fn autoplay_advances_and_stops_at_the_end() {
    let mut app = app("basic");
    key(&mut app, KeyCode::Char('p'));
    assert!(app.autoplay);
    let slow = app.autoplay_interval();
    key(&mut app, KeyCode::Char('+'));
    assert!(app.autoplay_interval() < slow);
    let mut pauses = 0;
    for _ in 0..40 {
        app.update(Action::Tick);
        // It waits at each key moment until played on.
        if !app.autoplay && app.cursor < app.last_step() {
            assert!(app.moment_at(app.cursor).is_some());
            pauses += 1;
            key(&mut app, KeyCode::Char('p'));
        }
    }
    assert!(pauses > 0);
    assert_eq!(app.cursor, app.trace.steps.len() - 1);
    assert!(!app.autoplay);
}

#[test]
fn tiny_terminals_never_panic_and_say_what_they_need() {
    let app = at_step(app("basic"), 5);
    for (w, h) in [
        (1, 1),
        (2, 1),
        (1, 5),
        (10, 3),
        (40, 10),
        (59, 20),
        (60, 19),
        (60, 20),
        (61, 21),
        (79, 23),
        (119, 33),
        (120, 34),
        (300, 100),
    ] {
        let screen = text(&draw(&app, w, h));
        if w < ui::MIN_WIDTH || h < ui::MIN_HEIGHT {
            if w >= 30 && h >= 4 {
                assert!(screen.contains("needs a terminal"), "{w}x{h}");
            }
        } else {
            assert!(screen.contains("Execution table"), "{w}x{h}");
        }
    }
    insta::assert_snapshot!("too_small_40x10", text(&draw(&app, 40, 10)));
    insta::assert_snapshot!("minimum_60x20", text(&draw(&app, 60, 20)));
}

#[test]
fn no_color_theme_uses_no_colours_but_keeps_symbols() {
    let mut app = at_step(app("basic"), 11);
    app.theme = Theme::select(ThemeName::HighContrast, true);
    let buffer = draw(&app, 120, 40);
    for cell in buffer.content() {
        assert!(
            cell.fg == Color::Reset && cell.bg == Color::Reset,
            "coloured cell {cell:?}"
        );
    }
    let screen = text(&buffer);
    assert!(screen.contains("✗ BLOCKED") && screen.contains('▶'));
}

#[test]
fn high_contrast_theme_renders() {
    let mut app = at_step(app("basic"), 6);
    app.theme = Theme::new(ThemeName::HighContrast);
    let buffer = draw(&app, 120, 40);
    assert!(buffer.content().iter().any(|c| c.bg == Color::Black));
}

#[test]
fn hostile_scenario_text_is_shown_escaped() {
    let hostile = r#"{
      "title": "evil\u001b]0;pwned\u0007",
      "server": { "type": "s3", "url": "https://b.s3.amazonaws.com",
        "cors": { "CORSRules": [ { "ID": "x\u001b[2J", "AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET"] } ] } },
      "requests": [ { "origin": "https://a.example", "note": "bidi \u202e override", "headers": { "X-Evil": "a\u001bb" } } ]
    }"#;
    let mut app = app_from(hostile, ThemeName::Default);
    for _ in 0..4 {
        key(&mut app, KeyCode::Right);
        let buffer = draw(&app, 160, 48);
        for cell in buffer.content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(cors_tui::safe_text::is_unsafe_char),
                "raw control in {:?}",
                cell.symbol()
            );
        }
    }
    let screen = text(&draw(&app, 160, 48));
    assert!(screen.contains("evil\\x1b]0;pwned\\x07"));
    assert!(screen.contains("x\\x1b[2J"));
}

#[test]
fn a_long_trace_renders_only_what_is_visible() {
    let mut text = String::from(
        r#"{"server": {"type": "s3", "url": "https://b.s3.amazonaws.com", "cors": {"CORSRules": [{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET"]}]}}, "requests": ["#,
    );
    for i in 0..20_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(r#"{"origin": "https://a.example"}"#);
    }
    text.push_str("]}");
    let mut app = app_from(&text, ThemeName::Default);
    key(&mut app, KeyCode::End);
    let screen = self::text(&draw(&app, 120, 40));
    assert!(screen.contains("step 60000 / 60000"), "{screen}");
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('0'));
    key(&mut app, KeyCode::Char('0'));
    key(&mut app, KeyCode::Char('0'));
    key(&mut app, KeyCode::Char('0'));
    key(&mut app, KeyCode::Enter);
    assert!(self::text(&draw(&app, 120, 40)).contains("step 30000 / 60000"));
}

#[test]
fn quiz_answers_hints_and_scores() {
    let mut app = app("basic");
    key(&mut app, KeyCode::Char('Q'));
    let Some(total) = app.quiz.as_ref().map(|q| q.items.len()) else {
        panic!("quiz opens")
    };
    assert_eq!(
        total, 3,
        "three authored questions; no what-if about letting the attacker's origin in"
    );
    // Unanswered, the question stands alone: the table and the flow would answer it.
    let hidden = text(&draw(&app, 120, 40));
    assert!(!hidden.contains("Execution table"), "{hidden}");
    assert!(!hidden.contains("BLOCKED"), "{hidden}");
    assert!(
        hidden.contains("The lesson is hidden until you answer"),
        "{hidden}"
    );
    insta::assert_snapshot!("quiz_hidden_80x24", text(&draw(&app, 80, 24)));
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.cursor, 3, "the hint lights step 4");
    insta::assert_snapshot!("quiz_hint_120x40", text(&draw(&app, 120, 40)));
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.quiz.as_ref().map(|q| q.score), Some(1));
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(
        app.quiz.as_ref().map(|q| q.score),
        Some(1),
        "one answer per question"
    );
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('1'));
    // A wrong answer shows the view again, on the step that explains, and says so.
    let explained = text(&draw(&app, 120, 40));
    assert!(explained.contains("Not quite"), "{explained}");
    assert!(
        explained.contains("Not a): S3 sends * only when the matched rule's origin is *"),
        "the wrong answer chosen is explained: {explained}"
    );
    assert!(
        explained.contains("behind this box, shows why"),
        "{explained}"
    );
    assert!(explained.contains("Execution table"), "{explained}");
    insta::assert_snapshot!("quiz_wrong_200x55", text(&draw(&app, 200, 55)));
    // On a small screen the explanation still shows, and scrolls when it does not fit.
    let small = text(&draw(&app, 80, 24));
    assert!(small.contains("Not a): S3 sends * only"), "{small}");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.overlay_scroll, 1, "↓ scrolls the quiz");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    assert!(app.quiz.as_ref().is_some_and(|q| q.finished));
    assert_eq!(
        app.quiz.as_ref().map(|q| q.score),
        Some(2),
        "b, a (wrong), c"
    );
    insta::assert_snapshot!("quiz_score_100x30", text(&draw(&app, 100, 30)));
    key(&mut app, KeyCode::Esc);
    assert!(
        app.quiz.is_none() && !app.quit,
        "Esc leaves the quiz, not the app"
    );
}

#[test]
fn what_if_edits_rerun_mark_changed_steps_and_undo() {
    let mut app = app("basic");
    key(&mut app, KeyCode::End);
    let before = draw(&app, 120, 40);
    key(&mut app, KeyCode::Char('e'));
    let options = app.edit_options();
    let Some(target) = options
        .iter()
        .position(|o| o.label.contains("AllowedOrigins has https://malicious.com"))
    else {
        panic!("the editor offers the blocked origin")
    };
    for _ in 0..target {
        key(&mut app, KeyCode::Down);
    }
    insta::assert_snapshot!("whatif_editor_120x40", text(&draw(&app, 120, 40)));
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.trace.requests[2].outcome,
        cors_tui::scenario::Outcome::Allowed
    );
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("2 steps changed"))
    );
    key(&mut app, KeyCode::Esc);
    let screen = text(&draw(&app, 120, 40));
    assert!(
        screen.contains("Δ") && screen.contains("✓ ALLOWED"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(
        app.trace.requests[2].outcome,
        cors_tui::scenario::Outcome::Blocked
    );
    app.status = None;
    assert_eq!(
        draw(&app, 120, 40),
        before,
        "undo restores the very same screen"
    );
    key(&mut app, KeyCode::Char('w'));
    assert!(app.save_requested, "w asks the terminal loop to save");
}

#[test]
fn audit_overlay_lists_the_rules_findings_and_closes_with_esc() {
    let mut app = app("null-origin");
    key(&mut app, KeyCode::Char('a'));
    assert!(app.audit_open);
    let shown = text(&draw(&app, 120, 40));
    assert!(shown.contains("Audit of the server's rules"), "{shown}");
    assert!(shown.contains("DANGEROUS"), "{shown}");
    insta::assert_snapshot!("null-origin_audit_120x40", shown);
    key(&mut app, KeyCode::Esc);
    assert!(
        !app.audit_open && !app.quit,
        "Esc closes the audit, not the app"
    );
}

#[test]
fn a_probe_that_held_the_request_back_says_so() {
    // A saved probe: the live server's preflight answer, and a PUT the probe did not send.
    let saved = r#"{"title": "Probe: PUT http://127.0.0.1:8080/items from https://app.example",
      "server": {"type": "probed", "url": "http://127.0.0.1:8080/items"},
      "requests": [{"origin": "https://app.example", "method": "PUT", "url": "http://127.0.0.1:8080/items",
        "headers": {"Content-Type": "application/json"}, "actual_sent": false,
        "responses": {"preflight": {"status": 204, "headers": {
          "access-control-allow-origin": "https://app.example",
          "access-control-allow-methods": "GET, PUT",
          "access-control-allow-headers": "content-type"}}}}]}"#;
    let mut app = app_from(saved, ThemeName::Default);
    key(&mut app, KeyCode::End);
    let screen = text(&draw(&app, 120, 40));
    assert!(screen.contains("held back") && screen.contains("not sent"));
    assert!(screen.contains("the one the live"), "{screen}");
    insta::assert_snapshot!("probe_held_back_120x40", screen);
}

fn draw_loading(headline: &str, done: usize, total: usize, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let theme = Theme::new(ThemeName::Default);
    if let Err(e) =
        terminal.draw(|frame| ui::render_loading(frame, &theme, headline, Some((done, total))))
    {
        panic!("{e}");
    }
    text(terminal.backend().buffer())
}

#[test]
fn loading_screen_shows_how_many_requests_are_done() {
    insta::assert_snapshot!(
        "loading_40k_of_100k_80x24",
        draw_loading("Simulating session.har", 40_000, 100_000, 80, 24)
    );
    let done = draw_loading("session.har", 100_000, 100_000, 80, 24);
    assert!(done.contains("100,000 of 100,000 requests"), "{done}");
    let one = draw_loading("basic.json", 0, 1, 60, 20);
    assert!(
        one.contains("0 of 1 request ") || one.contains("0 of 1 request│"),
        "{one}"
    );
    // Past the end or with nothing to do, the bar is full rather than out of range.
    assert!(draw_loading("x", 5, 3, 60, 20).contains("5 of 3"));
    assert!(draw_loading("x", 0, 0, 60, 20).contains("0 of 0"));
    // A terminal smaller than the box still draws.
    assert!(draw_loading("x", 1, 2, 20, 3).contains("cors"));
}

#[test]
fn loading_screen_says_what_it_reads_before_the_engine_runs() {
    let mut terminal = match Terminal::new(TestBackend::new(80, 24)) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let theme = Theme::new(ThemeName::Default);
    if let Err(e) =
        terminal.draw(|frame| ui::render_loading(frame, &theme, "Reading big.har", None))
    {
        panic!("{e}");
    }
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("Reading big.har…"), "{screen}");
    assert!(
        !screen.contains("requests") && !screen.contains('█'),
        "{screen}"
    );
}

#[test]
fn loading_screen_escapes_the_file_name() {
    let screen = draw_loading("Simulating evil\u{1b}[2J\u{202e}.har", 1, 2, 80, 24);
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
    assert!(screen.contains(r"evil\x1b[2J\u{202e}.har"), "{screen}");
}

/// The flow starts again at each redirect: at the hop to the CDN it shows that hop's GET, its
/// 200 and the failed check, and at the followed redirect a passed check, not the final verdict.
#[test]
fn the_flow_follows_each_redirect_hop() {
    let followed = at_step(app("redirects"), 12);
    let screen = text(&draw(&followed, 120, 40));
    insta::assert_snapshot!("redirects_followed_120x40", screen);
    assert!(!screen.contains("BLOCKED"), "the verdict is not known yet");

    let at_cdn = at_step(app("redirects"), 15);
    let screen = text(&draw(&at_cdn, 120, 40));
    insta::assert_snapshot!("redirects_hop_blocked_120x40", screen);
    assert!(screen.contains("hop 2/2"), "{screen}");
    assert!(screen.contains("GET ← 302"), "{screen}");
    assert!(screen.contains("BLOCKED"));
}

/// D18: a title as long as its file is cut, so the step counter after it always shows.
#[test]
fn a_very_long_title_never_hides_the_step_counter() {
    let path = format!("{}/scenarios/basic.json", env!("CARGO_MANIFEST_DIR"));
    let mut lesson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
            .unwrap_or_default();
    lesson["title"] = "T".repeat(200_000).into();
    let app = app_from(&lesson.to_string(), ThemeName::Default);
    for width in [80, 120, 200] {
        let screen = text(&draw(&app, width, 30));
        let first = screen.lines().next().unwrap_or_default();
        assert!(first.contains("step 1 / 11"), "{width}: {first}");
        assert!(first.contains("T…"), "{width}: {first}");
    }
}

#[test]
fn a_recorded_network_error_is_shown_as_no_answer() {
    // A replayed Chromium export: the fetch to a port nothing listens on.
    let saved = r#"{"title": "Recorded: api.har",
      "server": {"type": "recorded", "url": "http://127.0.0.1:41009/nothing"},
      "requests": [{"origin": "http://127.0.0.1:41000", "url": "http://127.0.0.1:41009/nothing",
        "responses": {"actual": {"status": 0, "network_error": "net::ERR_CONNECTION_REFUSED"}}}]}"#;
    let mut app = app_from(saved, ThemeName::Default);
    key(&mut app, KeyCode::End);
    let screen = text(&draw(&app, 120, 40));
    assert!(screen.contains("net::ERR_CONNECTION_REFUSED"), "{screen}");
    assert!(!screen.contains("MissingAllowOriginHeader"), "{screen}");
    insta::assert_snapshot!("recorded_network_error_120x40", screen);
}

/// A stack: the server panel shows the function URL in front of the function, lit where it
/// acted: answering the preflight itself, then doubling the function's own header.
#[test]
fn a_function_url_in_front_of_its_function_says_what_it_did() {
    let answered = at_step(app("function-url-duplicate-origin"), 2);
    let screen = text(&draw(&answered, 120, 40));
    assert!(screen.contains("answered this OPTIONS itself"), "{screen}");
    insta::assert_snapshot!("function_url_preflight_120x40", screen);

    let mut doubled = at_step(app("function-url-duplicate-origin"), 5);
    let large = text(&draw(&doubled, 200, 55));
    assert!(large.contains("MultipleAllowOriginValues"), "{large}");
    let screen = text(&draw(&doubled, 100, 30));
    insta::assert_snapshot!("function_url_doubled_100x30", screen);

    // The audit names the clash before any request shows it.
    key(&mut doubled, KeyCode::Char('a'));
    let screen = text(&draw(&doubled, 120, 40));
    assert!(
        screen.contains("the function sets Access-Control-Allow-Origin and the function URL"),
        "{screen}"
    );
}

/// CloudFront in front of a bucket: the panel says the edge served a stored copy and lists
/// what the edges hold, and the Why panel says whose request filled the entry.
#[test]
fn cloudfront_shows_the_stored_answer_it_replayed() {
    let hit = at_step(app("cloudfront-first-answer-cached"), 4);
    let screen = text(&draw(&hit, 120, 40));
    assert!(screen.contains("cache HIT"), "{screen}");
    assert!(screen.contains("Stored at the edges"), "{screen}");
    insta::assert_snapshot!("cloudfront_hit_120x40", screen);
    let small = text(&draw(&hit, 80, 24));
    assert!(small.contains("? help"), "{small}");
    insta::assert_snapshot!("cloudfront_hit_80x24", small);
}

/// The no-cors views: a fetch in mode 'no-cors' resolves opaque, and an answer the browser's own
/// cache hands over is marked as not sent; CloudFront's whole panel at a large size.
#[test]
fn no_cors_and_cached_answers_say_so_on_screen() {
    let opaque = at_step(app("no-cors-is-not-a-fix"), 5);
    let screen = text(&draw(&opaque, 120, 40));
    assert!(screen.contains("→ OPAQUE"), "{screen}");
    insta::assert_snapshot!("no_cors_opaque_120x40", screen);

    let cached = at_step(app("browser-cache-without-vary"), 4);
    let screen = text(&draw(&cached, 100, 30));
    assert!(screen.contains("200 cached"), "{screen}");
    assert!(screen.contains("Browser takes GET"), "{screen}");
    insta::assert_snapshot!("browser_cache_hit_100x30", screen);

    let hit = at_step(app("cloudfront-first-answer-cached"), 4);
    let screen = text(&draw(&hit, 200, 55));
    assert!(screen.contains("Cached Copies"), "{screen}");
    assert!(screen.contains("cache HIT"), "{screen}");
    insta::assert_snapshot!("cloudfront_hit_200x55", screen);
}

/// A what-if edit of a scenario too large to re-run at once is worked out on another thread:
/// the view stays live and says how far it is, then shows the edit; undo is instant.
#[test]
fn a_large_what_if_edit_runs_off_the_ui_thread() {
    use crate::generate;
    let scenario = generate::generated_scenario_text(cors_tui::app::WHATIF_IN_PLACE * 5);
    let mut app = app_from(&scenario, ThemeName::Default);
    let before = app.trace.clone();
    key(&mut app, KeyCode::Char('e'));
    assert!(
        !app.edit_options().is_empty(),
        "a bucket's rules can be edited"
    );
    key(&mut app, KeyCode::Enter);
    assert!(
        app.recomputing.is_some(),
        "the edit is worked out elsewhere"
    );
    let waiting = text(&draw(&app, 120, 40));
    assert!(waiting.contains("re-running"), "{waiting}");
    // Keys still work meanwhile, and a second edit waits for the first.
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("still being worked out"))
    );
    app.wait_background();
    assert!(app.recomputing.is_none());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("changed (marked Δ)")),
        "{:?}",
        app.status
    );
    key(&mut app, KeyCode::Char('u'));
    assert!(app.trace == before, "undo restores the trace in view");
}

/// An HTTP API in front of its function: the server panel shows the route the request took and
/// what API Gateway did, answering one preflight itself and refusing another at the authorizer.
#[test]
fn an_http_api_shows_its_routes_and_what_it_did() {
    let answered = at_step(app("http-api-authorizer-preflight"), 2);
    let screen = text(&draw(&answered, 120, 40));
    assert!(
        screen.contains("answered this preflight itself"),
        "{screen}"
    );
    insta::assert_snapshot!("http_api_preflight_120x40", screen);

    let refused = at_step(app("http-api-authorizer-preflight"), 7);
    let screen = text(&draw(&refused, 200, 55));
    assert!(screen.contains("authorizer refused it"), "{screen}");
    assert!(
        screen.contains("ANY /admin/{proxy+}  [JWT authorizer]  ◀ this request"),
        "{screen}"
    );
    insta::assert_snapshot!("http_api_refused_200x55", screen);

    let dropped = at_step(app("http-api-drops-function-headers"), 2);
    let screen = text(&draw(&dropped, 120, 40));
    assert!(
        screen.contains("dropped the integration's CORS"),
        "{screen}"
    );
    insta::assert_snapshot!("http_api_dropped_120x40", screen);
}

/// A REST API: the server panel lists its methods and says a gateway response answered, with
/// no CORS header.
#[test]
fn a_rest_api_shows_its_methods_and_its_gateway_responses() {
    let refused = at_step(app("rest-api-gateway-responses"), 7);
    let screen = text(&draw(&refused, 200, 55));
    assert!(
        screen.contains("answered with a gateway response: no CORS header"),
        "{screen}"
    );
    insta::assert_snapshot!("rest_api_gateway_response_200x55", screen);

    // On a projector-sized 80x24 the blocked step still names the hidden 401.
    let small = text(&draw(&refused, 80, 24));
    assert!(small.contains("step 7 / 8"), "{small}");
    assert!(small.contains("401"), "{small}");
    insta::assert_snapshot!("rest_api_gateway_response_80x24", small);
}

/// A REST API whose stage serves an older deployment: the panel lists the deployed methods
/// and says the saved API differs.
#[test]
fn a_rest_api_stage_shows_its_deployment_not_the_saved_api() {
    let refused = at_step(app("rest-api-not-deployed"), 5);
    let screen = text(&draw(&refused, 200, 55));
    assert!(
        screen.contains("Methods (stage prod, as deployed: the saved API differs)"),
        "{screen}"
    );
    assert!(!screen.contains("OPTIONS /orders  Mock"), "{screen}");
    insta::assert_snapshot!("rest_api_not_deployed_200x55", screen);
}

/// The process flow draws the branch each request takes: straight down from the decision for a
/// simple request, back from the check for a preflighted one, and the check's failure once it
/// is made; a raw client is no browser.
#[test]
fn the_flow_draws_the_branch_taken() {
    let simple = at_step(app("basic"), 1);
    for (width, height) in [(80, 24), (120, 40), (200, 55)] {
        let screen = text(&draw(&simple, width, height));
        assert!(
            screen.contains("no: simple ↓"),
            "{width}x{height}: {screen}"
        );
        assert!(!screen.contains("then ↓"), "{screen}");
        insta::assert_snapshot!(format!("flow_simple_{width}x{height}"), screen);
    }
    let passed = at_step(app("basic"), 6);
    let screen = text(&draw(&passed, 120, 40));
    assert!(screen.contains("no ↓"), "{screen}");
    assert!(screen.contains("if the check passes ──"), "{screen}");
    let before_check = at_step(app("static-preflight-status"), 2);
    let screen = text(&draw(&before_check, 120, 40));
    assert!(!screen.contains("check failed"), "not known yet: {screen}");
    let failed = at_step(app("static-preflight-status"), 3);
    for (width, height) in [(80, 24), (120, 40), (200, 55)] {
        let screen = text(&draw(&failed, width, height));
        assert!(
            screen.contains("check failed"),
            "{width}x{height}: {screen}"
        );
        insta::assert_snapshot!(format!("flow_preflight_failed_{width}x{height}"), screen);
    }
    let raw = (1..=9)
        .map(|n| at_step(app("curl-vs-browser"), n))
        .map(|a| text(&draw(&a, 120, 40)))
        .find(|screen| screen.contains("Raw client"));
    let Some(screen) = raw else {
        panic!("curl-vs-browser has a raw request");
    };
    assert!(screen.contains("no browser ↓"), "{screen}");
    assert!(!screen.contains("no: simple"), "{screen}");
}

/// Overlays are modal and scroll: keys behind the help do not move the lesson, and at 80x24 its
/// last line can be reached.
#[test]
fn the_help_overlay_is_modal_and_scrolls() {
    let mut app = app("basic");
    key(&mut app, KeyCode::Char('?'));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.cursor, 0, "keys behind the help do nothing");
    assert!(app.help && app.pending.is_empty());
    let first = text(&draw(&app, 80, 24));
    assert!(first.contains("↑↓ scroll, lines 1-"), "{first}");
    for _ in 0..40 {
        key(&mut app, KeyCode::Down);
    }
    let last = text(&draw(&app, 80, 24));
    assert!(
        last.contains("ACRM/ACRH"),
        "the last lines are reached: {last}"
    );
    insta::assert_snapshot!("help_scrolled_80x24", last);
    key(&mut app, KeyCode::Char('?'));
    assert!(!app.help && !app.quit);
}

/// `/` in help filters its lines as you type, so a key is found without scrolling at 80x24:
/// letters that are keys elsewhere (`q`, `j`) go to the filter, Enter keeps it and gives the
/// keys back, Esc clears it, and Esc again closes help.
#[test]
fn typing_filters_the_help() {
    let mut app = app("basic");
    key(&mut app, KeyCode::Char('?'));
    key(&mut app, KeyCode::Char('/'));
    for c in "quiz".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(app.help && !app.quit, "q went to the filter");
    let screen = text(&draw(&app, 80, 24));
    assert!(screen.contains("/quiz▏"), "{screen}");
    let quiz = KEYMAP
        .iter()
        .find(|b| b.help.contains("quiz"))
        .expect("a key opens the quiz");
    assert!(screen.contains(quiz.help), "{screen}");
    for binding in KEYMAP
        .iter()
        .filter(|b| !b.help.to_lowercase().contains("quiz"))
    {
        assert!(
            !screen.contains(binding.help),
            "{:?} kept: {screen}",
            binding.help
        );
    }
    assert!(
        !screen.contains("ACRM/ACRH"),
        "the legend does not match: {screen}"
    );
    insta::assert_snapshot!("help_filtered_80x24", screen);

    // The legend is searched too: Δ is found by its meaning.
    for _ in 0.."quiz".len() {
        key(&mut app, KeyCode::Backspace);
    }
    for c in "what-if edit".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen.contains("Δ changed by the last what-if edit"),
        "{screen}"
    );
    assert!(screen.contains("matching “what-if edit”"), "{screen}");

    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Char('Z'));
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen.contains("No key matches “what-if editZ”."),
        "{screen}"
    );

    key(&mut app, KeyCode::Esc);
    assert!(
        app.help && app.help_search.query.is_empty(),
        "Esc clears the filter first"
    );
    key(&mut app, KeyCode::Esc);
    assert!(!app.help && !app.quit, "then Esc closes help");
    assert_eq!(app.cursor, 0, "nothing typed reached the lesson");

    // Reopened, help starts unfiltered.
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help_search.query.is_empty() && !app.help_search.typing);
}

/// Esc Esc after a what-if edit no longer loses it silently: quitting asks first; q again
/// quits, any other key stays, and once saved nothing asks.
#[test]
fn quitting_with_unsaved_edits_asks_first() {
    let mut app = app("basic");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char(' '));
    assert!(app.unsaved());
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit && app.confirm_quit, "the second Esc asks");
    let screen = text(&draw(&app, 80, 24));
    assert!(screen.contains("Unsaved what-if edits"), "{screen}");
    key(&mut app, KeyCode::Right);
    assert!(!app.quit && !app.confirm_quit, "any other key stays");
    key(&mut app, KeyCode::Char('q'));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit, "q twice quits without the edits");

    let mut saved = self::app("basic");
    key(&mut saved, KeyCode::Char('e'));
    key(&mut saved, KeyCode::Char(' '));
    key(&mut saved, KeyCode::Esc);
    saved.mark_saved();
    key(&mut saved, KeyCode::Char('q'));
    assert!(saved.quit, "nothing to lose: q quits at once");
}

/// A lesson opens on its title card: its story and its question, at every size; any key begins.
#[test]
fn a_lesson_opens_on_its_title_card() {
    let mut app = app("wildcard-credentials");
    app.title_card = true;
    for (width, height) in [(80, 24), (120, 40), (200, 55)] {
        let screen = text(&draw(&app, width, height));
        assert!(
            screen.contains("The question:"),
            "{width}x{height}: {screen}"
        );
        insta::assert_snapshot!(format!("title_card_{width}x{height}"), screen);
    }
    key(&mut app, KeyCode::Right);
    assert!(
        !app.title_card && app.cursor == 0,
        "the key begins at step 1"
    );
}

/// Autoplay stops at a key moment, and the request's note heads the Why panel.
#[test]
fn autoplay_waits_at_key_moments_and_the_note_comes_first() {
    let mut app = app("basic");
    app.update(cors_tui::app::Action::ToggleAutoplay);
    let first = app.moments.first().map(|m| m.step - 1);
    let Some(first) = first else {
        panic!("basic has key moments");
    };
    for _ in 0..first + 5 {
        app.update(cors_tui::app::Action::Tick);
    }
    assert_eq!(app.cursor, first, "stopped at the first key moment");
    assert!(!app.autoplay);
    let screen = text(&draw(&app, 200, 55));
    assert!(screen.contains("Paused at a key moment"), "{screen}");
    let note = screen.find("Lesson note:");
    let action = screen.find("Decision:");
    assert!(
        matches!((note, action), (Some(n), Some(a)) if n < a),
        "{screen}"
    );
}

/// z gives the focused panel the whole screen: at projector sizes the Why panel shows its whole
/// text and the table its full rows; Tab moves to the next panel, z gives the others back.
#[test]
fn z_zooms_the_focused_panel() {
    let mut app = at_step(app("basic"), 11);
    let normal = text(&draw(&app, 80, 24));
    key(&mut app, KeyCode::Char('z'));
    assert!(app.zoom);
    let table = text(&draw(&app, 80, 24));
    assert!(!table.contains("Process flow"), "{table}");
    assert!(table.contains("Execution table"), "{table}");
    assert_ne!(table, normal);
    insta::assert_snapshot!("zoom_table_80x24", table);
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    let why = text(&draw(&app, 120, 40));
    assert!(
        why.contains("DevTools CorsError: MissingAllowOriginHeader"),
        "{why}"
    );
    assert!(
        why.contains("Console: Access to fetch") && !why.contains("Browser console:"),
        "the console line is said once, in the explanation: {why}"
    );
    assert!(!why.contains("Execution table"), "{why}");
    insta::assert_snapshot!("zoom_why_120x40", why);
    key(&mut app, KeyCode::Char('z'));
    assert!(!app.zoom);
    assert!(text(&draw(&app, 120, 40)).contains("Process flow"));
}

/// At 80 columns the status line keeps what the teacher needs (step, playing, typed digits,
/// unsaved edits, zoom, profile) before the title, and the footer keeps `? help` and quit.
#[test]
fn the_status_line_and_footer_keep_the_essentials_at_80_columns() {
    let mut app = app("basic");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Char('p'));
    key(&mut app, KeyCode::Char('1'));
    app.status = None;
    let screen = text(&draw(&app, 80, 24));
    let first = screen.lines().next().unwrap_or_default();
    for wanted in [
        "step ",
        "go to 1",
        "▶ 1.0 s",
        "● unsaved",
        "zoom",
        "Chromium",
    ] {
        assert!(first.contains(wanted), "{wanted} missing from: {first}");
    }
    let last = screen.lines().last().unwrap_or_default();
    assert!(last.contains("? help") && last.contains("quit"), "{last}");
    insta::assert_snapshot!("status_line_80x24", screen);
    let wide = text(&draw(&app, 200, 55));
    let first = wide.lines().next().unwrap_or_default();
    for wanted in [
        "go to step: 1",
        "▶ playing",
        "● unsaved edits (w saves)",
        "zoomed (z)",
    ] {
        assert!(first.contains(wanted), "{wanted} missing from: {first}");
    }
}

/// Nothing a class must read is dark grey: the footer, the Why panel's labels and the quiz's
/// instructions use a readable grey; dark grey is kept for what is off the path (skipped flow
/// nodes, steps not reached) and for borders.
#[test]
fn what_a_class_reads_is_never_dark_grey() {
    use ratatui::style::Color;
    let app = at_step(app("basic"), 6);
    let buffer = draw(&app, 120, 40);
    let area = buffer.area;
    let dark = |x: u16, y: u16| buffer[(x, y)].fg == Color::DarkGray;
    let footer = area.height - 1;
    for x in 0..area.width {
        assert!(
            !dark(x, footer) || buffer[(x, footer)].symbol() == " ",
            "the footer is dark grey at column {x}"
        );
    }
    let screen = text(&buffer);
    for (y, line) in screen.lines().enumerate() {
        for label in ["Decision:", "Result:"] {
            if let Some(at) = line.find(label) {
                let x = line[..at].chars().count() as u16;
                assert!(!dark(x, y as u16), "{label} is dark grey on row {y}");
            }
        }
    }
}

/// r switches the Why panel between the lesson register (the note, the decision and result,
/// the console line; no Fetch section numbers, no provider table codes) and the spec register.
#[test]
fn r_switches_between_the_lesson_and_the_spec_register() {
    let mut app = at_step(app("basic"), 2);
    let spec = text(&draw(&app, 120, 40));
    assert!(
        spec.contains("S3 (B5)"),
        "the spec cites S3's behaviour table: {spec}"
    );
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.register, cors_tui::app::Register::Lesson);
    let lesson = text(&draw(&app, 120, 40));
    assert!(lesson.contains("Lesson note:"), "{lesson}");
    assert!(
        !lesson.contains("S3 (B5)") && !lesson.contains("Fetch §"),
        "{lesson}"
    );
    assert!(
        lesson.contains("lesson"),
        "the header says which register: {lesson}"
    );
    for (width, height) in [(80, 24), (120, 40), (200, 55)] {
        insta::assert_snapshot!(
            format!("register_lesson_{width}x{height}"),
            text(&draw(&app, width, height))
        );
    }
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.register, cors_tui::app::Register::Spec);
}

/// ] and [ jump the Why panel between its sections, as drawn at the panel's width.
#[test]
fn brackets_jump_between_the_why_sections() {
    let mut app = at_step(app("basic"), 11);
    let _ = draw(&app, 120, 40);
    let sections = app.why_sections.borrow().clone();
    assert!(sections.len() >= 4, "{sections:?}");
    key(&mut app, KeyCode::Char(']'));
    key(&mut app, KeyCode::Char(']'));
    let at = app.scroll[cors_tui::app::Panel::Explanation.index()];
    assert_eq!(at, sections[2], "two sections down: {sections:?}");
    let screen = text(&draw(&app, 120, 40));
    assert!(screen.contains("Browser runs the CORS check"), "{screen}");
    key(&mut app, KeyCode::Char('['));
    assert_eq!(
        app.scroll[cors_tui::app::Panel::Explanation.index()],
        sections[1]
    );
}

/// The cookie lesson draws the Cookie line the browser sent, and the server panel lights the
/// answer a request without the session cookie gets.
#[test]
fn the_cookie_lesson_shows_the_cookie_line_and_the_logged_out_answer() {
    let app = at_step(app("cookies-and-samesite"), 8);
    let screen = text(&draw(&app, 200, 55));
    assert!(screen.contains("Cookie:   cart=3-items"), "{screen}");
    assert!(
        screen.contains("Chromium treats as SameSite=Lax"),
        "the Why panel says why the session stayed home: {screen}"
    );
    insta::assert_snapshot!("cookies_partner_200x55", screen);
    insta::assert_snapshot!("cookies_partner_120x40", text(&draw(&app, 120, 40)));
    insta::assert_snapshot!("cookies_partner_80x24", text(&draw(&app, 80, 24)));
    let first = at_step(self::app("cookies-and-samesite"), 2);
    let screen = text(&draw(&first, 200, 55));
    assert!(
        screen.contains("Cookie:   session=4f9c2e71; cart=3-items"),
        "{screen}"
    );
    // The server panel, zoomed, lights the answer each request got.
    let mut first = first;
    first.focus = cors_tui::app::Panel::Config;
    key(&mut first, KeyCode::Char('z'));
    let zoomed = text(&draw(&first, 120, 40));
    assert!(
        zoomed.contains("▶ OPTIONS, and requests with the cookie session: 200"),
        "{zoomed}"
    );
    let mut partner = at_step(self::app("cookies-and-samesite"), 8);
    partner.focus = cors_tui::app::Panel::Config;
    key(&mut partner, KeyCode::Char('z'));
    let zoomed = text(&draw(&partner, 120, 40));
    assert!(
        zoomed.contains("▶ Without the cookie session: 401"),
        "{zoomed}"
    );
}

/// A fixture recording's import, and its full path.
fn recording_import(path: &str) -> (cors_tui::formats::har::HarImport, String) {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_default();
    match cors_tui::formats::har::load_har(&text, path, false) {
        Ok(import) => (import, full),
        Err(e) => panic!("{e}"),
    }
}

fn recording_app(path: &str) -> App {
    let (import, full) = recording_import(path);
    let trace = engine::run(&import.scenario, BrowserProfile::Chromium);
    let mut app = App::new(import.scenario, trace, full, Theme::new(ThemeName::Default));
    app.recording = Some(import.recording);
    app.list.open = true;
    app
}

/// Replayed against `--config` rules, the list's header says whose rules decide, and the Why
/// panel says the rules end a request otherwise than the browser did, not that the replay
/// disagrees.
#[test]
fn a_recording_against_other_rules_says_so_on_the_list_and_the_step() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opened = cors_tui::session::open(
        Some(&root.join("tests/fixtures/chromium/bucket.har")),
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut loaded = opened
        .load(Some(&root.join("tests/fixtures/configs/cli.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    let trace = loaded.trace(None);
    let mut app = App::new(
        loaded.scenario.clone(),
        trace,
        "bucket.har".to_string(),
        Theme::new(ThemeName::Default),
    );
    app.recording = loaded.recording.take();
    app.list.open = true;
    let list = text(&draw(&app, 200, 40));
    assert!(
        list.contains("9 CORS requests · 9 blocked") && list.contains("│  against the rules of "),
        "{list}"
    );
    assert!(list.contains("cli.json"), "{list}");
    key(&mut app, KeyCode::Enter);
    let mut step = text(&draw(&app, 200, 60));
    // The request's verdict comes at its last step.
    for _ in 0..3 {
        if step.contains("Recorded by the browser") {
            break;
        }
        key(&mut app, KeyCode::Right);
        step = text(&draw(&app, 200, 60));
    }
    assert!(
        step.contains("the rules replayed here end it otherwise"),
        "{step}"
    );
    assert!(!step.contains("DISAGREES"), "{step}");
}

/// A recording opens on its requests list: totals on top, one row per request with its
/// status, verdict and cause; b keeps the blocked ones, / searches, Enter steps into the
/// highlighted request and Esc comes back to the same row.
#[test]
fn a_recording_opens_on_its_requests_list() {
    let mut app = recording_app("tests/fixtures/chromium/api.har");
    let screen = text(&draw(&app, 200, 55));
    assert!(
        screen.contains("21 CORS requests · 9 blocked · 1 failed · 1 real 400 hidden by CORS"),
        "{screen}"
    );
    assert!(screen.contains("Requests · 21 of 21 shown"), "{screen}");
    insta::assert_snapshot!("requests_list_200x55", screen);
    insta::assert_snapshot!("requests_list_80x24", text(&draw(&app, 80, 24)));
    key(&mut app, KeyCode::Char('b'));
    let blocked = text(&draw(&app, 120, 40));
    assert!(blocked.contains("Requests · 10 of 21 shown"), "{blocked}");
    assert!(blocked.contains("blocked only"), "{blocked}");
    assert!(blocked.contains("real 400 hidden by CORS"), "{blocked}");
    // The first screen says what to change: the highlighted request's console line and fix.
    for words in [
        "╭ #1 GET http://127.0.0.1:41002/no-cors",
        "Console: Access to fetch at 'http://127.0.0.1:41002/no-cors",
        "Fix: The server has no rules to change",
        "Access-Control-Allow-Origin: http://127.0.0.1:41000",
        "y copies the fix",
    ] {
        assert!(blocked.contains(words), "{words:?}: {blocked}");
    }
    insta::assert_snapshot!("requests_list_blocked_120x40", blocked);
    // Moving the highlight moves the details with it.
    key(&mut app, KeyCode::Char('j'));
    let next = text(&draw(&app, 120, 40));
    assert!(
        next.contains("╭ #3 GET") && next.contains("WildcardOriginNotAllowed"),
        "{next}"
    );
    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('/'));
    for c in "put-creds".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.list.visible, [11], "the search finds #12 by its URL");
    key(&mut app, KeyCode::Enter);
    assert!(!app.list.open, "Enter steps into the request");
    assert_eq!(app.trace.steps[app.cursor].request, 12);
    key(&mut app, KeyCode::Esc);
    assert!(
        app.list.open && !app.quit,
        "Esc returns to the list, not out of the program"
    );
    assert_eq!(app.list.current(), Some(11), "at the same row");
    key(&mut app, KeyCode::Esc);
    assert!(app.list.search.query.is_empty(), "Esc clears the search");
    assert_eq!(app.list.visible.len(), 21);
    // h, o and c keep one host, origin or cause at a time, the busiest first; Esc shows all.
    key(&mut app, KeyCode::Char('h'));
    let host = text(&draw(&app, 120, 40));
    assert!(host.contains("host: 127.0.0.1:41002"), "{host}");
    assert!(host.contains("Requests · 20 of 21 shown"), "{host}");
    insta::assert_snapshot!("requests_list_host_120x40", host);
    key(&mut app, KeyCode::Char('c'));
    let Some((Facet::Cause, cause)) = app.list.narrowed.clone() else {
        panic!("c narrows to a cause: {:?}", app.list.narrowed);
    };
    assert!(!app.list.visible.is_empty());
    for &i in &app.list.visible {
        let request = &app.trace.requests[i];
        assert_eq!(request.outcome, Outcome::Blocked, "#{}", request.index);
        assert_eq!(request.cors_error.map(|e| e.name()), Some(cause.as_str()));
    }
    // s keeps one recorded status: 200 is the commonest here, and the status column says so.
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.list.narrowed, Some((Facet::Status, "200".to_string())));
    let status = text(&draw(&app, 120, 40));
    assert!(status.contains("status: 200"), "{status}");
    // The table's rows start with the request's number (the details pane below does not).
    let rows = status.lines().filter(|line| {
        line.trim_start_matches('│')
            .split_whitespace()
            .next()
            .is_some_and(|first| first.parse::<usize>().is_ok())
    });
    assert!(rows.clone().count() > 5);
    for row in rows {
        assert!(row.contains(" 200 "), "{row}");
    }
    key(&mut app, KeyCode::Char('s'));
    assert!(
        matches!(&app.list.narrowed, Some((Facet::Status, next)) if next != "200"),
        "the next status: {:?}",
        app.list.narrowed
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.list.narrowed, None, "Esc clears the status");
    assert_eq!(app.list.visible.len(), 21);
    // Help over the list lists the list's keys.
    key(&mut app, KeyCode::Char('?'));
    let help = text(&draw(&app, 160, 60));
    for binding in LIST_KEYMAP {
        assert!(help.contains(binding.help), "help lacks {:?}", binding.help);
    }
    insta::assert_snapshot!("requests_list_help_100x30", text(&draw(&app, 100, 30)));
    key(&mut app, KeyCode::Esc);
    assert!(!app.help && app.list.open);
    // y copies the highlighted request's proven fix (OSC 52), headers and server snippets.
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Char('y'));
    let copied = app.copy_requested.take().unwrap_or_default();
    assert!(copied.starts_with("Fix for request #1: "), "{copied}");
    assert!(copied.contains("Access-Control-Allow-Origin: http://127.0.0.1:41000"));
    assert!(copied.contains("# nginx") && copied.contains("CorsLayer::new()"));
    assert!(app.status.as_deref().is_some_and(|s| s.contains("OSC 52")));
    let copied_screen = text(&draw(&app, 200, 55));
    assert!(
        copied_screen.contains("Copied the fix for request #1"),
        "the list shows what y did: {copied_screen}"
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.copy_requested.is_none(),
        "#2 is allowed: nothing to copy"
    );
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("Request #2 has no proven fix"))
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

/// A large recording opens on its requests list while it is replayed on another thread: the
/// rows replayed so far and running totals; stepping in and copying a fix wait for the end,
/// and the view then holds exactly the trace of a replay made first.
#[test]
fn a_recording_replayed_on_another_thread_shows_its_list_as_it_goes() {
    use cors_tui::app::ReplayPart;
    let whole = recording_app("tests/fixtures/chromium/api.har");
    let (import, path) = recording_import("tests/fixtures/chromium/api.har");
    let scenario = import.scenario.clone();
    let mut held = import.scenario;
    let total = held.requests.len();
    std::sync::Arc::make_mut(&mut held.requests).clear();

    // The replay's parts handed over by hand: the first five requests, then the rest.
    let (hand, parts) = std::sync::mpsc::channel();
    let mut run = engine::Requests::new(&scenario, BrowserProfile::Chromium);
    let mut steps = Vec::new();
    let mut part = |n: usize| {
        let (records, more): (Vec<_>, Vec<Vec<_>>) = run.by_ref().take(n).unzip();
        steps.extend(more.into_iter().flatten());
        ReplayPart::Requests(records)
    };
    let first = part(5);
    let rest = part(total);
    drop(run);
    let _ = hand.send(first);
    let mut app = App::replaying(
        held,
        total,
        BrowserProfile::Chromium,
        parts,
        path.clone(),
        Theme::new(ThemeName::Default),
    );
    app.recording = Some(import.recording);
    app.list.open = true;
    let screen = text(&draw(&app, 120, 40));
    assert!(
        screen.contains("Replaying: 5 of 21 CORS requests · 3 blocked so far"),
        "{screen}"
    );
    assert!(screen.contains("Requests · 5 of 5 shown"), "{screen}");
    insta::assert_snapshot!("requests_list_replaying_120x40", screen);
    insta::assert_snapshot!("requests_list_replaying_80x24", text(&draw(&app, 80, 24)));
    // Moving and filtering work; stepping in and copying wait, and say why.
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.list.visible, [0, 2, 4]);
    key(&mut app, KeyCode::Enter);
    assert!(app.list.open, "Enter waits for the replay");
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("Still replaying the recording (5 of 21 requests)")),
        "{:?}",
        app.status
    );
    let waiting = text(&draw(&app, 120, 40));
    assert!(
        waiting.contains("Still replaying the recording (5 of 21 requests)"),
        "the list says why: {waiting}"
    );
    key(&mut app, KeyCode::Char('y'));
    assert!(app.copy_requested.is_none());

    let _ = hand.send(rest);
    let _ = hand.send(ReplayPart::Done(steps, Box::new(scenario)));
    app.wait_replay();
    assert!(app.replaying.is_none());
    assert_eq!(
        app.trace, whole.trace,
        "the same trace as a replay made first"
    );
    assert_eq!(app.scenario, whole.scenario);
    assert_eq!(
        app.list.visible.len(),
        10,
        "the filter kept, over every request"
    );
    key(&mut app, KeyCode::Char('b'));
    let screen = text(&draw(&app, 200, 55));
    assert_eq!(screen, text(&draw(&whole, 200, 55)), "then the same screen");
    key(&mut app, KeyCode::Enter);
    assert!(!app.list.open, "Enter steps in once the replay is done");
}

/// One HTTP/1.1 exchange with the lab, as a browser's page makes it: the status, the headers
/// and the body of the answer.
fn lab_exchange(
    door: &str,
    (method, host, target): (&str, &str, &str),
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(door).unwrap_or_else(|e| panic!("{e}"));
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream
        .write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| ((*n).into(), (*v).into()))
        .collect();
    (status, headers, body.to_string())
}

/// `serve`: the view shows the URL to open, then, as a browser runs the lesson (here driven by
/// hand, the way the lab's page drives it), what it did on each request's step and in the
/// header.
#[test]
fn the_view_fills_in_as_a_browser_runs_the_lesson() {
    let mut app = app("basic");
    let options = cors_tui::lab::ServeOptions {
        listen: std::net::Ipv4Addr::LOCALHOST.into(),
        longest_wait: 30,
    };
    let live =
        cors_tui::lab::serve(&app.scenario, "basic", &options).unwrap_or_else(|e| panic!("{e}"));
    let url = url::Url::parse(&live.url).unwrap_or_else(|e| panic!("{e}"));
    let entrance = format!("127.0.0.1:{}", url.port().unwrap_or(0));
    app.live = Some(live);
    let before = text(&draw(&app, 160, 45));
    assert!(before.contains("lab: open http://localhost:"), "{before}");
    assert!(
        before.contains("not run yet (open http://localhost:"),
        "{before}"
    );

    // The entrance gives this browser its doors: example.com becomes a name under localhost.
    let (status, headers, _) = lab_exchange(
        &entrance,
        ("GET", "localhost", "/__cors-tui-lab/start"),
        &[],
        "",
    );
    assert_eq!(status, 302);
    let page = headers
        .iter()
        .find(|(n, _)| n == "Location")
        .map(|(_, v)| url::Url::parse(v).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|| panic!("no Location in {headers:?}"));
    assert_eq!(page.host_str(), Some("example.com.localhost"));
    let door = format!("127.0.0.1:{}", page.port().unwrap_or(0));
    let origin = page.origin().ascii_serialization();
    let (_, _, next) = lab_exchange(
        &door,
        ("GET", "example.com.localhost", "/__cors-tui-lab/next"),
        &[],
        "",
    );
    let step: serde_json::Value = serde_json::from_str(&next).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(step["index"], 0);
    assert!(
        step["expected"]
            .as_str()
            .is_some_and(|e| e.starts_with("The simulation: allowed")),
        "{step}"
    );
    // The lesson's request, to the bucket under its localhost name, with the browser's Origin:
    // the bucket is asked with the lesson's, and its answer comes back in the browser's names.
    let photo =
        url::Url::parse(step["url"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        photo.host_str(),
        Some("bucket-name.s3.amazonaws.com.localhost")
    );
    let (status, headers, _) = lab_exchange(
        &format!("127.0.0.1:{}", photo.port().unwrap_or(0)),
        (
            "GET",
            "bucket-name.s3.amazonaws.com.localhost",
            photo.path(),
        ),
        &[("Origin", &origin)],
        "",
    );
    assert_eq!(status, 200);
    assert!(
        headers.contains(&("Access-Control-Allow-Origin".to_string(), origin.clone())),
        "{headers:?}"
    );
    let (status, _, _) = lab_exchange(
        &door,
        ("POST", "example.com.localhost", "/__cors-tui-lab/result"),
        &[(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        )],
        // As the page reports it: fetch() lists Content-Length too, which the lab leaves out.
        r#"{"index":0,"resolved":true,"readable":["content-length","content-type","etag","last-modified"]}"#,
    );
    assert_eq!(status, 204);
    let after = text(&draw(&app, 160, 45));
    assert!(after.contains("browser: 1/3 agree"), "{after}");
    assert!(
        after.contains(
            "Browser:  no preflight, sent, resolved, reads content-type, etag, last-modified"
        ) && !after.contains("DISAGREES"),
        "{after}"
    );
}

/// The Why panel of a blocked request in a large run behind CloudFront: past the size fixes are
/// listed for (600 requests), the view still works out the request's own fix when it is shown;
/// past the size where that would hold up the view (6,000), a thread of its own works it out,
/// the panel says so meanwhile, and the fix is the one worked out at once.
#[test]
fn a_large_runs_blocked_request_shows_its_fix_once_worked_out() {
    let first_blocked = |app: &App| {
        app.trace
            .steps
            .iter()
            .position(|s| s.verdict == cors_tui::engine::Verdict::Blocked)
            .map(|at| at + 1)
            .unwrap_or_else(|| panic!("a blocked step"))
    };
    let near = app_from(
        &crate::cli::repeated_cloudfront_lesson(300, |_| {}),
        ThemeName::Default,
    );
    let step = first_blocked(&near);
    let screen = text(&draw(&at_step(near, step), 200, 70));
    assert!(
        screen.contains("Fix: Allow PUT and OPTIONS in the cache behavior"),
        "{screen}"
    );
    let far = app_from(
        &crate::cli::repeated_cloudfront_lesson(3_000, |_| {}),
        ThemeName::Default,
    );
    let step = first_blocked(&far);
    let mut far = at_step(far, step);
    let screen = text(&draw(&far, 200, 70));
    assert!(
        screen.contains(
            "Fix: being worked out: each change it tries is proven by re-running all 6,000 requests"
        ),
        "{screen}"
    );
    assert!(far.working_out_fix());
    far.update(Action::CopyFix);
    assert!(far.copy_requested.is_none());
    assert!(
        far.status
            .as_deref()
            .is_some_and(|s| s.starts_with("The fix for request #2 is still being worked out")),
        "{:?}",
        far.status
    );
    far.wait_fix();
    assert!(!far.working_out_fix());
    let screen = text(&draw(&far, 200, 70));
    assert!(
        screen.contains("Fix: Allow PUT and OPTIONS in the cache behavior"),
        "{screen}"
    );
    assert!(!screen.contains("Fix: being worked out"), "{screen}");
    far.update(Action::CopyFix);
    let copied = far.copy_requested.clone().unwrap_or_default();
    assert!(copied.contains("PUT"), "{copied}");
}

/// Mixed content: refused before any CORS decision, the flow shows nothing sent and nothing
/// checked; refused at a redirect, the hop was sent and its check is where it ended.
#[test]
fn the_flow_shows_mixed_content_never_sent() {
    let blocked = at_step(app("mixed-content"), 1);
    let wide = text(&draw(&blocked, 120, 40));
    for shown in [
        "mixed content",
        "✗ never sent",
        "none: not sent",
        "✗ BLOCKED",
    ] {
        assert!(wide.contains(shown), "{shown}: {wide}");
    }
    assert!(!wide.contains("no: simple"), "{wide}");
    insta::assert_snapshot!("mixed_content_120x40", wide);
    let narrow = text(&draw(&blocked, 80, 24));
    assert!(narrow.contains("actual: never sent"), "{narrow}");
    insta::assert_snapshot!("mixed_content_80x24", narrow);

    let recorded =
        std::fs::read_to_string("tests/fixtures/chromium/lab/mixed-content-after-redirects.json")
            .expect("the observation file is in the repository");
    let at_redirect = at_step(app_from(&recorded, ThemeName::Default), 3);
    let screen = text(&draw(&at_redirect, 120, 40));
    for shown in ["302 Found", "✗ to http:", "✗ BLOCKED"] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }
    insta::assert_snapshot!("mixed_content_at_redirect_120x40", screen);
}

/// Local Network Access refuses a public page's call to localhost before any CORS decision: the
/// flow says so, and a PUT that would need a preflight sends none.
#[test]
fn the_flow_shows_a_local_network_refusal_never_sent() {
    let refused = at_step(app("local-network-access"), 2);
    let screen = text(&draw(&refused, 120, 40));
    for shown in ["local network", "✗ never sent", "skipped", "✗ BLOCKED"] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }
    insta::assert_snapshot!("local_network_access_120x40", screen);

    // Refused at a redirect: the hop was sent and its check passed; the next one never goes.
    let redirected = r#"{"server": {"type": "static", "url": "https://api.example",
      "preflight": {"status": 204}, "actual": {"status": 200}},
      "requests": [{"origin": "https://app.example", "url": "https://api.example/r",
        "responses": {"actual": {"status": 302, "headers": {
          "Location": "http://127.0.0.1:8080/after", "Access-Control-Allow-Origin": "*"}}}}]}"#;
    let mut at_redirect = app_from(redirected, ThemeName::Default);
    key(&mut at_redirect, KeyCode::End);
    let screen = text(&draw(&at_redirect, 120, 40));
    for shown in ["302 Found", "✗ to local", "✗ BLOCKED", "`loopback`"] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }

    // A real DevTools export: the preflight Chromium refused is listed with status 0, and the
    // flow shows the request as never sent, not as a preflight that failed its check.
    let mut recorded = recording_app("tests/fixtures/chromium/local-network.har");
    recorded.list.open = false;
    key(&mut recorded, KeyCode::End);
    let screen = text(&draw(&recorded, 120, 40));
    for shown in ["local network", "✗ never sent", "✗ BLOCKED"] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }
    assert!(!screen.contains("✗ fail"), "{screen}");
}

/// An `<img>` whose answer Chromium's Opaque Response Blocking withheld: the flow's result says
/// so, and the Why panel names ORB and the real failure under it (S3's 403).
#[test]
fn the_flow_shows_an_answer_orb_withheld() {
    let withheld = at_step(app("orb-is-not-cors"), 4);
    let wide = text(&draw(&withheld, 120, 40));
    for shown in ["→ WITHHELD", "ORB", "403 Forbidden"] {
        assert!(wide.contains(shown), "{shown}: {wide}");
    }
    assert!(!wide.contains("→ SHOWN"), "{wide}");
    insta::assert_snapshot!("orb_withheld_120x40", wide);
    let narrow = text(&draw(&withheld, 80, 24));
    insta::assert_snapshot!("orb_withheld_80x24", narrow);
    let shown = text(&draw(&at_step(app("orb-is-not-cors"), 2), 120, 40));
    assert!(shown.contains("→ SHOWN"), "{shown}");
}

/// An `<img>` its answer's Cross-Origin-Resource-Policy refused, and a no-cors load a cross-origin
/// isolated page refused: the flow's result says so, and the tracker names the policy.
#[test]
fn the_flow_shows_an_answer_its_resource_policy_refused() {
    let refused = at_step(app("corp-is-not-cors"), 2);
    let wide = text(&draw(&refused, 120, 40));
    for shown in ["→ REFUSED", "Refused by its CORP"] {
        assert!(wide.contains(shown), "{shown}: {wide}");
    }
    insta::assert_snapshot!("corp_refused_120x40", wide);
    let isolated = text(&draw(&at_step(app("coep-require-corp"), 2), 80, 24));
    assert!(isolated.contains("→ Refused by"), "{isolated}");
    insta::assert_snapshot!("coep_refused_80x24", isolated);
}
