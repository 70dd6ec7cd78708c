//! What can go wrong in a run, and the one place a run's end becomes an exit status:
//! 0 when everything held, 1 when an expectation failed or an audit found something dangerous
//! or broken, 2 for bad input, bad arguments or output that could not be written; 101, as for any
//! panic, when the view's background work panicked.

use std::io;
use std::process::ExitCode;

use crate::formats::config::ConfigError;
use crate::safe_text::escape;
use crate::scenario::LoadErrors;

/// How a run that did its work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// Everything held.
    Clean,
    /// A request's `expect` disagrees with its outcome, or an audit found something dangerous
    /// or broken.
    Flagged,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Inputs that cannot be read or are not valid, each placed at file:line:col.
    #[error("{0}")]
    Input(LoadErrors),
    /// A CORS configuration that cannot be read, or that its provider would refuse.
    #[error("{0}")]
    Config(ConfigError),
    /// Arguments that cannot work together, or a file that cannot be written, in words (what
    /// they quote of the user's input is escaped already).
    #[error("cors-tui: {0}")]
    Usage(String),
    /// `convert`: the target provider cannot hold these rules.
    #[error("cors-tui: {} cannot be written as {product}:{}", escape(.file), .reasons.iter().map(|r| format!("\n  {}", escape(r))).collect::<String>())]
    NotConvertible {
        file: String,
        product: &'static str,
        reasons: Vec<String>,
    },
    /// The probe could not reach or read the live server.
    #[error("cors-tui: probe: {}", escape(.0))]
    Probe(String),
    /// The interactive view could not drive the terminal.
    #[error("cors-tui: terminal error: {0}")]
    Terminal(io::Error),
    /// Work the view did in the background (a replay, a fix, a what-if re-run) panicked; the
    /// view stayed up and the panics were told once it ended.
    #[error(
        "cors-tui: the view's background work stopped with {} (told above): a bug in cors-tui",
        if *.0 == 1 { "a panic".to_string() } else { format!("{} panics", .0) }
    )]
    WorkPanicked(usize),
    /// Standard output could not be written.
    #[error("cors-tui: cannot write output: {0}")]
    Output(#[from] io::Error),
}

impl From<LoadErrors> for Error {
    fn from(errors: LoadErrors) -> Self {
        Error::Input(errors)
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}

/// The status a process ended by a panic exits with.
pub const PANIC_STATUS: u8 = 101;

/// The exit status of a run, with its error (if any) told on standard error. A closed pipe
/// (`cors-tui --json x | head`) is not an error worth reporting.
pub fn exit_code(result: Result<Finished, Error>) -> ExitCode {
    match result {
        Ok(Finished::Clean) => ExitCode::from(0),
        Ok(Finished::Flagged) => ExitCode::from(1),
        Err(Error::Output(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(0),
        Err(err) => {
            eprintln!("{err}");
            // A panic in the view's background work ends the run as a panic on its thread does.
            ExitCode::from(match err {
                Error::WorkPanicked(_) => PANIC_STATUS,
                _ => 2,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_the_view_held_ends_the_run_as_a_panic_does() {
        assert_eq!(
            exit_code(Err(Error::WorkPanicked(1))),
            ExitCode::from(PANIC_STATUS)
        );
        assert_eq!(
            Error::WorkPanicked(2).to_string(),
            "cors-tui: the view's background work stopped with 2 panics (told above): a bug in cors-tui"
        );
        assert_eq!(exit_code(Ok(Finished::Clean)), ExitCode::from(0));
    }
}
