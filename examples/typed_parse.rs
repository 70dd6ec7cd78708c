//! The yardstick for `cors-tui --json big.har`, end to end: a program that reads a HAR and
//! parses it into HAR 1.2's own model (every field, strings owned), as a HAR tool would start.
//! `cargo run --release --example typed_parse -- big.har` prints the entry count; time it
//! alongside the replay, for example with `/usr/bin/time`.

#[path = "../benches/support/har_model.rs"]
#[allow(dead_code)] // Parsed into, never read: only the parse is timed.
mod har_model;

use std::process::ExitCode;

// The same allocator as cors-tui, so the two are compared on their work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: typed_parse FILE.har");
        return ExitCode::from(2);
    };
    let parsed = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<har_model::Har>(&text).map_err(|e| e.to_string()));
    match parsed {
        Ok(har) => {
            println!("{} entries", har.log.entries.len());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("typed_parse: {path}: {err}");
            ExitCode::FAILURE
        }
    }
}
