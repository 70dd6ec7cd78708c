//! Engine and report throughput on a generated scenario of 100,000 requests.
//!
//! `cargo bench --bench engine`

use std::fmt::Write as _;

use cors_tui::engine;
use cors_tui::report;
use cors_tui::scenario::{self, BrowserProfile, Scenario};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// A lesson-like mix: simple GETs, preflighted PUTs (some cache hits), blocked origins.
pub fn generated_scenario_text(requests: usize) -> String {
    let mut text = String::from(
        r#"{"title": "generated", "server": {"type": "s3", "url": "https://bucket.s3.amazonaws.com",
  "cors": {"CORSRules": [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"],
    "AllowedHeaders": ["Content-Type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]}},
  "requests": ["#,
    );
    for i in 0..requests {
        if i > 0 {
            text.push(',');
        }
        let _ = match i % 4 {
            0 => write!(
                text,
                r#"{{"origin": "https://app.example", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 97
            ),
            1 => write!(
                text,
                r#"{{"origin": "https://app.example", "method": "PUT", "url": "https://bucket.s3.amazonaws.com/o{}", "headers": {{"Content-Type": "application/json"}}, "wait_seconds": 1}}"#,
                i % 13
            ),
            2 => write!(
                text,
                r#"{{"origin": "https://evil.example", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 97
            ),
            _ => write!(
                text,
                r#"{{"origin": "https://app.example", "method": "DELETE", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 13
            ),
        };
    }
    text.push_str("]}");
    text
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
