//! Engine and report throughput on a generated scenario of 100,000 requests.
//!
//! `cargo bench --bench engine`

#[path = "support/generate.rs"]
mod generate;
#[path = "support/har_model.rs"]
#[allow(dead_code)] // Parsed into, never read: the benchmark times the parse alone.
mod har_model;

use cors_tui::engine;
use cors_tui::report;
use cors_tui::scenario::{self, BrowserProfile, Scenario};
use generate::{generated_har, generated_scenario_text};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // As the program does at its start (and for the yardstick too: one process, one setting).
    cors_tui::pages::use_small_pages();
    divan::main();
}

fn scenario(requests: usize) -> Scenario {
    match scenario::load_str(&generated_scenario_text(requests), "generated.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[divan::bench(sample_count = 5)]
fn load_100k(bencher: divan::Bencher) {
    let text = generated_scenario_text(100_000);
    bencher.bench(|| scenario::load_str(divan::black_box(&text), "generated.json").is_ok());
}

#[divan::bench(sample_count = 5)]
fn engine_100k(bencher: divan::Bencher) {
    let scenario = scenario(100_000);
    bencher.bench(|| {
        engine::run(divan::black_box(&scenario), BrowserProfile::Chromium)
            .steps
            .len()
    });
}

#[divan::bench(sample_count = 5)]
fn json_report_100k(bencher: divan::Bencher) {
    let scenario = scenario(100_000);
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    bencher.bench(|| {
        let mut sink = std::io::sink();
        report::json::write(&mut sink, &scenario, &trace, None, false).is_ok()
    });
}

/// `--json` of the 100,000-request scenario as the program streams it, the engine on a thread
/// of its own: the yardstick for its `--print`.
#[divan::bench(sample_count = 3)]
fn scenario_json_100k(bencher: divan::Bencher) {
    let scenario = scenario(100_000);
    bencher.bench(|| {
        let mut sink = std::io::sink();
        report::json::run_and_write(
            &mut sink,
            divan::black_box(&scenario),
            BrowserProfile::Chromium,
            None,
            false,
        )
        .map_or(0, |records| records.len())
    });
}

/// `--print` of the same scenario, every step in its parts' tables (issue 17's target: within
/// 2 times `scenario_json_100k`).
#[divan::bench(sample_count = 3)]
fn scenario_print_100k(bencher: divan::Bencher) {
    let scenario = scenario(100_000);
    bencher.bench(|| {
        let mut sink = std::io::sink();
        report::text::stream(
            &mut sink,
            divan::black_box(&scenario),
            (BrowserProfile::Chromium, true),
            100,
        )
        .map_or(0, |records| records.len())
    });
}

/// The generated recording, imported as `cors-tui` reads a HAR.
fn import(text: &str) -> Option<cors_tui::formats::har::HarImport> {
    cors_tui::formats::har::load_har(text, "bench.har", false).ok()
}

/// The yardstick for the replay: a bare typed serde_json parse of the whole file into HAR 1.2's
/// own model (every field, strings owned), as a tool that reads HARs would start.
#[divan::bench(sample_count = 3)]
fn har_typed_parse_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| {
        serde_json::from_str::<har_model::Har>(divan::black_box(&text))
            .map_or(0, |har| har.log.entries.len())
    });
}

/// The least a parse can do: only the fields the replay reads, borrowed from the text.
#[divan::bench(sample_count = 3)]
fn har_parse_only_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| cors_tui::formats::har::parse_only(divan::black_box(&text)).unwrap_or(0));
}

/// Loading the recording from a file as `cors-tui` does: mapped, and read as a stream whose
/// pages are let go of behind the reading, so that the file is never wholly in memory.
#[divan::bench(sample_count = 3)]
fn har_load_from_file_100k(bencher: divan::Bencher) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("generated.har");
    if std::fs::write(&path, generated_har(100_000)).is_err() {
        return;
    }
    bencher.bench(|| {
        cors_tui::session::open(Some(divan::black_box(&path)), false)
            .and_then(|opened| opened.load(None))
            .map_or(0, |loaded| loaded.scenario.requests.len())
    });
}

/// Loading the recording from text already in memory (standard input, a small file).
#[divan::bench(sample_count = 3)]
fn har_load_from_memory_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| import(divan::black_box(&text)).map_or(0, |i| i.scenario.requests.len()));
}

#[divan::bench(sample_count = 3)]
fn har_replay_json_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| {
        let Some(import) = import(divan::black_box(&text)) else {
            return 0;
        };
        let mut sink = std::io::sink();
        report::json::run_and_write(
            &mut sink,
            &import.scenario,
            BrowserProfile::Chromium,
            Some(&import.recording),
            false,
        )
        .map_or(0, |records| records.len())
    });
}

/// `--print` of the recording: the grouped report (issue 18's target: within 2× the parse).
#[divan::bench(sample_count = 3)]
fn har_report_print_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| {
        let Some(import) = import(divan::black_box(&text)) else {
            return 0;
        };
        let mut sink = std::io::sink();
        report::recording::write(
            &mut sink,
            &import.scenario,
            (BrowserProfile::Chromium, None),
            &import.recording,
            false,
            100,
        )
        .map_or(0, |records| records.len())
    });
}

/// The first keystroke of the requests list's search over a replayed 100,000-request
/// recording (issue 18's target: under 100 ms): every URL, origin and header name and value.
/// Later keystrokes search only the rows left.
#[divan::bench(sample_count = 5)]
fn requests_list_search_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    let Some(import) = import(&text) else {
        return;
    };
    let trace = cors_tui::engine::run(&import.scenario, BrowserProfile::Chromium);
    let mut list = cors_tui::app::requests::RequestList::new(&trace, true);
    bencher.bench_local(|| {
        // A query that matches nothing reads every URL, origin and header: the worst case.
        list.search.query = divan::black_box("x-no-such-header".to_string());
        list.refilter(&trace, Some(&import.recording));
        list.visible.len()
    });
}

/// The requests list's `h`, `o`, `s` and `c` over a replayed 100,000-request recording (issue 18's
/// target: under 100 ms a keystroke): each counts its column's values and filters every row.
#[divan::bench(args = ["host", "origin", "status", "cause"], sample_count = 5)]
fn requests_list_narrow_100k(bencher: divan::Bencher, column: &str) {
    use cors_tui::app::requests::{Facet, RequestList};
    let text = generated_har(100_000);
    let Some(import) = import(&text) else {
        return;
    };
    let trace = cors_tui::engine::run(&import.scenario, BrowserProfile::Chromium);
    let facet = match column {
        "host" => Facet::Host,
        "origin" => Facet::Origin,
        "status" => Facet::Status,
        _ => Facet::Cause,
    };
    bencher.bench_local(|| {
        let mut list = RequestList::new(&trace, true);
        list.narrow_next(divan::black_box(facet), &trace, Some(&import.recording));
        list.visible.len()
    });
}

/// From the file to the interactive view's first frame, as the view opens a large recording:
/// the import, then the requests list with its first rows and running totals while the replay
/// goes on on another thread (issue 18's target: within 1.5 s).
#[divan::bench(sample_count = 3)]
fn recording_list_while_replayed_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench_local(|| {
        let import = import(divan::black_box(&text))?;
        let mut scenario = import.scenario;
        let total = scenario.requests.len();
        let held = cors_tui::app::held_while_replayed(&mut scenario);
        let (hand, parts) = std::sync::mpsc::channel();
        let replay = std::thread::spawn(move || {
            cors_tui::app::replay_in_parts(scenario, BrowserProfile::Chromium, &hand);
        });
        let mut app = cors_tui::app::App::replaying(
            held,
            total,
            BrowserProfile::Chromium,
            parts,
            "bench.har".to_string(),
            cors_tui::theme::Theme::new(cors_tui::theme::ThemeName::Default),
        );
        app.recording = Some(import.recording);
        app.list.open = true;
        let Ok(mut terminal) = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40));
        let _ = terminal.draw(|frame| cors_tui::ui::render(&app, frame));
        // Dropped after the sample is timed: the replay stops at its next part.
        Some((app.list.visible.len(), app, replay))
    });
}

/// From the file to the view with the whole replay done (the final totals): import, replay,
/// the view's own analyses, one draw.
#[divan::bench(sample_count = 3)]
fn recording_first_frame_100k(bencher: divan::Bencher) {
    let text = generated_har(100_000);
    bencher.bench(|| {
        let Some(import) = import(divan::black_box(&text)) else {
            return 0;
        };
        let trace = cors_tui::engine::run(&import.scenario, BrowserProfile::Chromium);
        let mut app = cors_tui::app::App::new(
            import.scenario,
            trace,
            "bench.har".to_string(),
            cors_tui::theme::Theme::new(cors_tui::theme::ThemeName::Default),
        );
        app.recording = Some(import.recording);
        app.list.open = true;
        let Ok(mut terminal) = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40));
        let _ = terminal.draw(|frame| cors_tui::ui::render(&app, frame));
        app.list.visible.len()
    });
}

/// The basic lesson with one input grown to `n`, for the hostile sizes of the robustness
/// review (D4): each bench runs at two sizes, a quarter and the whole, so that linear work
/// shows as a time four times larger, not sixteen.
fn hostile_lesson(grow: impl FnOnce(&mut serde_json::Value)) -> Scenario {
    let mut lesson: serde_json::Value =
        serde_json::from_str(scenario::BUILTIN_BASIC).unwrap_or_default();
    lesson["moments"] = serde_json::json!([]);
    lesson["quiz"] = serde_json::json!([]);
    grow(&mut lesson);
    match scenario::load_str(&lesson.to_string(), "hostile.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// `--json` (engine, fixes and their proofs) with `n` script headers on one request.
#[divan::bench(args = [7_500, 30_000], sample_count = 3)]
fn hostile_script_headers_json(bencher: divan::Bencher, n: usize) {
    let scenario = hostile_lesson(|lesson| {
        let headers: serde_json::Map<String, serde_json::Value> =
            (0..n).map(|i| (format!("x-h{i}"), "v".into())).collect();
        lesson["requests"][0]["headers"] = headers.into();
    });
    bencher.bench(|| {
        let mut sink = std::io::sink();
        report::json::run_and_write(&mut sink, &scenario, BrowserProfile::Chromium, None, false)
            .map_or(0, |failed| failed.len())
    });
}

/// `--print` with a request URL of `n` characters and no place to break it.
#[divan::bench(args = [25_000, 100_000], sample_count = 3)]
fn hostile_long_url_print(bencher: divan::Bencher, n: usize) {
    let scenario = hostile_lesson(|lesson| {
        let url = format!("https://bucket-name.s3.amazonaws.com/{}", "a".repeat(n));
        lesson["requests"][0]["url"] = url.into();
    });
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    bencher.bench(|| {
        let mut sink = std::io::sink();
        report::text::write(&mut sink, &scenario, &trace, 120).is_ok()
    });
}

/// `--print` of a bucket whose one rule lists `n` origins.
#[divan::bench(args = [50_000, 200_000], sample_count = 3)]
fn hostile_many_origins_print(bencher: divan::Bencher, n: usize) {
    let scenario = hostile_lesson(|lesson| {
        let origins: Vec<String> = (0..n).map(|i| format!("https://o{i}.example")).collect();
        lesson["server"]["cors"]["CORSRules"][0]["AllowedOrigins"] = origins.into();
    });
    bencher.bench(|| {
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let mut sink = std::io::sink();
        report::text::write(&mut sink, &scenario, &trace, 120).is_ok()
    });
}
