use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cors_tui::cli::main_with(cors_tui::cli::Cli::parse())
}
