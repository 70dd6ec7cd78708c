//! Command-line interface: argument parsing and the headless entry point.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use crate::app::App;
use crate::engine::{self, Trace};
use crate::report;
use crate::safe_text::escape;
use crate::scenario::{self, BrowserProfile, LoadErrors, Scenario};
use crate::ui::theme::{Theme, ThemeName};

/// Exit status when every expectation held.
pub const EXIT_OK: u8 = 0;
/// Exit status when a request's `expect` disagrees with its outcome.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Exit status for bad input (unreadable or invalid file, bad arguments).
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BrowserArg {
    /// Chromium as it ships (default)
    Chromium,
    /// The letter of the WHATWG Fetch standard
    Standard,
}

impl From<BrowserArg> for BrowserProfile {
    fn from(arg: BrowserArg) -> Self {
        match arg {
            BrowserArg::Chromium => BrowserProfile::Chromium,
            BrowserArg::Standard => BrowserProfile::Standard,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    /// Colours on the terminal's own background
    Default,
    /// Bright text on black, for projectors
    HighContrast,
}

/// Step through the browser's CORS algorithm against an S3 bucket or any server.
#[derive(Debug, Parser)]
#[command(name = "cors-tui", version, about, long_about = None)]
pub struct Cli {
    /// Scenario file (JSON); `-` reads standard input. Without one, the built-in basic lesson.
    pub file: Option<PathBuf>,

    /// Print the execution table, variable tracker and verdicts as plain text.
    #[arg(long, conflicts_with = "json")]
    pub print: bool,

    /// Print the whole trace as one JSON document.
    #[arg(long)]
    pub json: bool,

    /// Indent the JSON (the default on a terminal; piped output is one line).
    #[arg(long, requires = "json")]
    pub pretty: bool,

    /// Browser behaviour to simulate (overrides the scenario's "browser" key).
    #[arg(long, value_enum)]
    pub browser: Option<BrowserArg>,

    /// Colours for the interactive view (NO_COLOR turns colour off whatever this says).
    #[arg(long, value_enum, default_value = "default")]
    pub theme: ThemeArg,

    /// Line width for --print (default: the terminal's width, or 120 when piped).
    #[arg(long, value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

/// The loaded input: the scenario and where it came from.
pub struct Loaded {
    pub scenario: Scenario,
    pub source: String,
}

pub fn load(file: Option<&PathBuf>) -> Result<Loaded, LoadErrors> {
    match file {
        None => Ok(Loaded {
            scenario: scenario::load_str(scenario::BUILTIN_BASIC, "<built-in basic.json>")?,
            source: "built-in basic scenario".to_string(),
        }),
        Some(path) => Ok(Loaded {
            scenario: scenario::load_file(path)?,
            source: if path.as_os_str() == "-" {
                "<stdin>".to_string()
            } else {
                path.display().to_string()
            },
        }),
    }
}

fn print_width(requested: Option<u16>) -> u16 {
    if let Some(width) = requested {
        return width;
    }
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
    {
        return columns.max(40);
    }
    120
}

/// Tells on stderr which expectations failed; returns the exit status.
fn expectation_status(trace: &Trace) -> u8 {
    let failed: Vec<_> = trace.failed_expectations().collect();
    if failed.is_empty() {
        return EXIT_OK;
    }
    let mut stderr = io::stderr().lock();
    for request in &failed {
        let _ = writeln!(
            stderr,
            "cors-tui: expectation failed: request #{} ({} {}) expected {} but was {}: {}",
            request.index,
            escape(&request.method),
            escape(&request.url),
            request.expect.map_or("", |e| e.name()),
            request.outcome.name(),
            escape(&request.summary)
        );
    }
    EXIT_EXPECTATION_FAILED
}

/// Runs the headless modes; the binary adds the terminal UI on top.
pub fn run_headless(cli: &Cli, loaded: &Loaded) -> io::Result<u8> {
    let profile = engine::effective_profile(&loaded.scenario, cli.browser.map(Into::into));
    let trace = engine::run(&loaded.scenario, profile);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if cli.json {
        report::json::write(
            &mut out,
            &loaded.scenario,
            &trace,
            cli.pretty || stdout_is_terminal(),
        )?;
    } else {
        report::text::write(&mut out, &loaded.scenario, &trace, print_width(cli.width))?;
    }
    out.flush()?;
    Ok(expectation_status(&trace))
}

/// Whether standard output is a terminal (where the TUI would draw).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// The whole program, minus process exit: parse, load, run, report.
pub fn main_with(cli: Cli) -> ExitCode {
    let loaded = match load(cli.file.as_ref()) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if !cli.print && !cli.json && stdout_is_terminal() {
        return run_interactive(&cli, loaded);
    }
    match run_headless(&cli, &loaded) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`cors-tui --json x | head`) is not an error worth reporting.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(err) => {
            eprintln!("cors-tui: cannot write output: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run_interactive(cli: &Cli, loaded: Loaded) -> ExitCode {
    let profile = engine::effective_profile(&loaded.scenario, cli.browser.map(Into::into));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = match cli.theme {
        ThemeArg::Default => ThemeName::Default,
        ThemeArg::HighContrast => ThemeName::HighContrast,
    };
    let requests = loaded.scenario.requests.len();
    let build = move || {
        let trace = engine::run(&loaded.scenario, profile);
        App::new(
            loaded.scenario,
            trace,
            loaded.source,
            Theme::select(theme_name, no_color),
        )
    };
    match crate::terminal::run(requests, build) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(err) => {
            eprintln!("cors-tui: terminal error: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
