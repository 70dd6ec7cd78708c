use clap::Parser;
use std::process::ExitCode;

// A trace of 100,000 requests is millions of small strings; mimalloc makes them cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cors_tui::pages::use_small_pages();
    cors_tui::error::exit_code(cors_tui::run::run(cors_tui::cli::Cli::parse()))
}
