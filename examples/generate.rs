//! Writes the benchmark's generated inputs, to time the real binary on them:
//! `cargo run --release --example generate -- har 100000 > big.har`
//! `cargo run --release --example generate -- scenario 100000 > big.json`

#[path = "../benches/support/generate.rs"]
mod generate;

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args.get(1).and_then(|n| n.parse::<usize>().ok());
    let text = match (args.first().map(String::as_str), count) {
        (Some("har"), Some(n)) => generate::generated_har(n),
        (Some("scenario"), Some(n)) => generate::generated_scenario_text(n),
        _ => {
            eprintln!("usage: generate har|scenario COUNT");
            return ExitCode::from(2);
        }
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("generate: {err}");
            ExitCode::FAILURE
        }
    }
}
