//! Command-line interface: argument parsing and the headless entry point.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::App;
use crate::audit::{self, Finding, Severity};
use crate::engine::{self, Trace};
use crate::formats::convert::{self, Target};
use crate::formats::har::{self, Recording};
use crate::formats::s3::{self as s3_format, ConfigError};
use crate::formats::saved;
use crate::report;
use crate::safe_text::escape;
use crate::scenario::{self, BrowserProfile, LoadError, LoadErrors, Scenario, ServerKind};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConvertTarget {
    /// {"CORSRules": [...]} as `aws s3api put-bucket-cors` takes it
    S3Json,
    /// <CORSConfiguration> XML for the REST API
    S3Xml,
    /// a bare array of rules, as the S3 console's editor takes it
    S3Console,
    /// CloudFormation/CDK's CorsConfiguration
    Cloudformation,
    /// Google Cloud Storage's CORS file, as `gcloud storage buckets update --cors-file` takes it
    Gcs,
    /// Azure's <Cors> XML for Set Blob Service Properties
    Azure,
    /// Azure Resource Manager JSON ({"corsRules": [...]}), as ARM templates and Bicep take it
    AzureJson,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check CORS rules (a configuration file, or a scenario's bucket) for dangerous, broken and
    /// noisy entries. Exits 1 when something dangerous or broken is found.
    Audit {
        /// CORS configuration (S3, GCS or Azure, any spelling) or scenario file; `-` reads standard
        /// input.
        file: PathBuf,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a browser's real preflight (and, for GET, HEAD and OPTIONS, the request itself) to
    /// a live server, then step through its real answers.
    Probe(ProbeArgs),
    /// Rewrite a CORS configuration in another spelling or for another provider (S3, GCS,
    /// Azure), naming what the target cannot express.
    Convert {
        /// The spelling to write.
        #[arg(long, value_enum)]
        to: ConvertTarget,
        /// CORS configuration (S3, GCS or Azure, any spelling); `-` reads standard input.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CredentialsArg {
    Omit,
    SameOrigin,
    Include,
}

impl CredentialsArg {
    fn name(self) -> &'static str {
        match self {
            CredentialsArg::Omit => "omit",
            CredentialsArg::SameOrigin => "same-origin",
            CredentialsArg::Include => "include",
        }
    }
}

/// `cors-tui probe`: what to ask a live server, and how to show the answer.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The URL the page would fetch.
    #[arg(required_unless_present = "scenario", conflicts_with = "scenario")]
    pub url: Option<String>,
    /// The page's origin, e.g. https://app.example.
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub origin: Option<String>,
    /// The method fetch() is called with.
    #[arg(long, default_value = "GET", conflicts_with = "scenario")]
    pub method: String,
    /// A header the page sets, as 'Name: value' (repeatable).
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        conflicts_with = "scenario"
    )]
    pub headers: Vec<String>,
    /// fetch()'s credentials mode.
    #[arg(
        long,
        value_enum,
        default_value = "same-origin",
        conflicts_with = "scenario"
    )]
    pub credentials: CredentialsArg,
    /// Also send actual requests other than GET, HEAD and OPTIONS (they may change data).
    #[arg(long)]
    pub send_actual: bool,
    /// Follow a redirect from a public address into private, loopback or link-local space
    /// (by default the probe stops there).
    #[arg(long)]
    pub allow_private_redirects: bool,
    /// Seconds to wait for each exchange.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Bytes of each response body to keep (the verdict needs only the headers).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: u64,
    /// Extra root certificates (PEM), e.g. a local development CA; the system's stay trusted.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Run every request of this scenario against the live server instead of its simulated one.
    #[arg(long, value_name = "FILE", requires = "server_url")]
    pub scenario: Option<PathBuf>,
    /// With --scenario: the live server that takes the place of the scenario's server.
    #[arg(long, value_name = "URL", requires = "scenario")]
    pub server_url: Option<String>,
    /// Write the probe as a saved trace that opens again (`cors-tui FILE`); never over an
    /// existing file unless --force.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// With --save: replace the file if it exists.
    #[arg(long, requires = "save")]
    pub force: bool,
    /// Show cookies, authorization, API keys and URL tokens unmasked (output and --save).
    #[arg(long)]
    pub show_secrets: bool,
    /// Print the result as plain text.
    #[arg(long, conflicts_with = "json")]
    pub print: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Indent the JSON.
    #[arg(long, requires = "json")]
    pub pretty: bool,
    /// Browser behaviour to judge the answers by.
    #[arg(long, value_enum)]
    pub browser: Option<BrowserArg>,
    /// Line width for --print.
    #[arg(long, value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

/// Step through the browser's CORS algorithm against an S3 bucket or any server.
#[derive(Debug, Parser)]
#[command(name = "cors-tui", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Scenario file (JSON); `-` reads standard input. Without one, the built-in basic lesson.
    pub file: Option<PathBuf>,

    /// Replace the scenario bucket's rules with these (S3 in any spelling, GCS's CORS JSON, or
    /// Azure's XML or ARM JSON); the provider is detected from the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the execution table, variable tracker and verdicts as plain text.
    #[arg(long, conflicts_with = "json")]
    pub print: bool,

    /// Print the whole trace as one JSON document.
    #[arg(long, conflicts_with = "transcript")]
    pub json: bool,

    /// Print the lesson as Markdown: concepts, configuration, flow, table, tracker, key
    /// moments and quiz with answers.
    #[arg(long, conflicts_with = "print")]
    pub transcript: bool,

    /// Indent the JSON (the default on a terminal; piped output is one line).
    #[arg(long, requires = "json")]
    pub pretty: bool,

    /// For a recording, also list the entries that are not cross-origin CORS requests.
    #[arg(long)]
    pub all: bool,

    /// Show secrets from recordings (cookies, authorization, tokens in URLs) instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,

    /// Take the lesson's quiz (the scenario's questions plus questions computed from the trace).
    /// Piped, it prints the questions without answers.
    #[arg(long, conflicts_with_all = ["json", "print", "transcript"])]
    pub quiz: bool,

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
    /// For a browser recording (HAR): what the browser recorded, per request.
    pub recording: Option<Recording>,
    /// For a saved trace: the trace itself, replayed as it was (not re-simulated).
    pub saved: Option<Trace>,
}

impl Loaded {
    /// The trace to show: the saved one, or a fresh simulation under `profile`.
    pub fn trace(&self, requested: Option<BrowserProfile>) -> Trace {
        self.trace_with_progress(requested, &mut |_| {})
    }

    /// [`trace`](Self::trace), telling `progress` how many requests are done.
    pub fn trace_with_progress(
        &self,
        requested: Option<BrowserProfile>,
        progress: &mut dyn FnMut(usize),
    ) -> Trace {
        match &self.saved {
            Some(trace) => {
                progress(trace.requests.len());
                trace.clone()
            }
            None => engine::run_with_progress(
                &self.scenario,
                engine::effective_profile(&self.scenario, requested),
                progress,
            ),
        }
    }
}

/// An error about an input as a whole: there is no line or column to point at.
fn whole_input_error(file: &str, key: &str, message: impl Into<String>) -> LoadErrors {
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line: 0,
        column: 0,
        key: key.to_string(),
        message: message.into(),
    }])
}

/// Reads a CORS configuration file of any provider, in any spelling.
fn read_config(path: &Path) -> Result<(s3_format::LoadedConfig, String), ConfigError> {
    let (name, text) = scenario::read_input(path).map_err(ConfigError::Unreadable)?;
    s3_format::load_config(&text, &name).map(|config| (config, name))
}

/// An input opened but not parsed yet. Opening is quick (a large file is mapped); parsing a
/// large recording takes a second or more, which the interactive view spends on its loading
/// screen.
pub struct Opened {
    /// The file's name and bytes; `None` for the built-in basic scenario.
    file: Option<(String, scenario::Input)>,
    show_secrets: bool,
}

/// Opens the input file (`None`: the built-in basic scenario).
pub fn open(file: Option<&PathBuf>, show_secrets: bool) -> Result<Opened, LoadErrors> {
    Ok(Opened {
        file: file.map(|path| scenario::open_input(path)).transpose()?,
        show_secrets,
    })
}

impl Opened {
    /// The name the input goes by.
    pub fn name(&self) -> &str {
        self.file
            .as_ref()
            .map_or(BUILTIN_SOURCE, |(name, _)| name.as_str())
    }

    /// Parses the input, with `--config` rules in place of its bucket's own.
    pub fn load(self, config: Option<&PathBuf>) -> Result<Loaded, LoadErrors> {
        let stdin_twice = config.is_some_and(|c| c.as_os_str() == "-")
            && self
                .file
                .as_ref()
                .is_some_and(|(name, _)| name == "<stdin>");
        if stdin_twice {
            return Err(whole_input_error(
                "<stdin>",
                "",
                "standard input can be read once: give the scenario or the --config rules as a file",
            ));
        }
        let mut loaded = self.parse()?;
        if loaded.saved.is_some() && config.is_some() {
            return Err(whole_input_error(
                &loaded.source,
                "",
                "a saved trace replays exactly as it was recorded; --config applies to scenarios and HAR files",
            ));
        }
        if let Some(path) = config {
            let (rules, name) = read_config(path).map_err(|e| e.errors().clone())?;
            if loaded.recording.is_some() {
                // Replay what the page sent against these rules instead of the recorded answers.
                for request in &mut loaded.scenario.requests {
                    request.responses = Default::default();
                    request.preflight_not_recorded = false;
                }
            } else if !matches!(loaded.scenario.server.kind, ServerKind::Bucket { .. }) {
                return Err(whole_input_error(
                    &name,
                    "",
                    "--config replaces a storage bucket's rules, but this scenario's server is \"static\"",
                ));
            }
            let provider = rules.provider();
            loaded.scenario.server.kind = ServerKind::Bucket {
                provider,
                cors: Some(rules.config),
            };
            loaded.scenario.server.rules_from =
                Some(format!("{name} ({})", rules.spelling.describe()));
        }
        Ok(loaded)
    }

    fn parse(self) -> Result<Loaded, LoadErrors> {
        let Some((name, input)) = self.file else {
            return Ok(Loaded {
                scenario: scenario::load_str(scenario::BUILTIN_BASIC, "<built-in basic.json>")?,
                source: BUILTIN_SOURCE.to_string(),
                recording: None,
                saved: None,
            });
        };
        // A recording can be hundreds of MB: parsed from the file's bytes where they lie.
        let text = input.text(&name)?;
        // A HAR is told apart by content, whatever its file name.
        let kind = crate::formats::detect(text);
        if kind == crate::formats::InputKind::Har {
            let import = har::load_har(text, &name, self.show_secrets)?;
            return Ok(Loaded {
                scenario: import.scenario,
                source: name,
                recording: Some(import.recording),
                saved: None,
            });
        }
        if kind == crate::formats::InputKind::SavedTrace {
            let (scenario, trace, recording) = saved::load_saved_trace(text, &name)?;
            return Ok(Loaded {
                scenario,
                source: name,
                recording,
                saved: Some(trace),
            });
        }
        let scenario = scenario::load_str(text, &name)?;
        crate::lesson::check_steps(&scenario, text, &name)?;
        Ok(Loaded {
            scenario,
            source: name,
            recording: None,
            saved: None,
        })
    }
}

/// What the built-in scenario is called on screen.
const BUILTIN_SOURCE: &str = "built-in basic scenario";

/// `--width`, else the terminal's own width when the report goes to one, else `$COLUMNS`
/// (which shells seldom export), else 120.
fn print_width(requested: Option<u16>) -> u16 {
    if let Some(width) = requested {
        return width;
    }
    if stdout_is_terminal()
        && let Ok((columns, _)) = ratatui::crossterm::terminal::size()
        && columns > 0
    {
        return columns.max(40);
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
fn expectation_status(records: &[engine::RequestRecord]) -> u8 {
    let failed: Vec<_> = records.iter().filter(|r| !r.expectation_met()).collect();
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
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let pretty = cli.pretty || stdout_is_terminal();
    // Written while the engine runs, so a large run never exists as a whole trace: always for
    // --json, and for --print past the size where fixes are worked out.
    let large = loaded.scenario.requests.len() > crate::fix::MAX_REQUESTS_FOR_FIXES;
    let streams = cli.json || (!cli.transcript && large);
    if loaded.saved.is_none() && streams {
        let profile = engine::effective_profile(&loaded.scenario, cli.browser.map(Into::into));
        let recording = loaded.recording.as_ref();
        let failed = if cli.json {
            report::json::run_and_write(&mut out, &loaded.scenario, profile, recording, pretty)?
        } else {
            let width = print_width(cli.width);
            report::text::stream(
                &mut out,
                &loaded.scenario,
                profile,
                recording,
                cli.all,
                width,
            )?
        };
        out.flush()?;
        return Ok(expectation_status(&failed));
    }
    let trace = loaded.trace(cli.browser.map(Into::into));
    if cli.transcript {
        report::transcript::write(&mut out, &loaded.scenario, &trace)?;
    } else if cli.json {
        report::json::write(
            &mut out,
            &loaded.scenario,
            &trace,
            loaded.recording.as_ref(),
            pretty,
        )?;
    } else {
        if let Some(recording) = &loaded.recording {
            report::text::write_recording_summary(
                &mut out,
                &trace,
                recording,
                cli.all,
                print_width(cli.width),
            )?;
        }
        report::text::write(&mut out, &loaded.scenario, &trace, print_width(cli.width))?;
    }
    out.flush()?;
    Ok(expectation_status(&trace.requests))
}

/// Whether standard output is a terminal (where the TUI would draw).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// The whole program, minus process exit: parse, load, run, report.
pub fn main_with(cli: Cli) -> ExitCode {
    match &cli.command {
        Some(Command::Audit { file, json }) => return run_audit(file, *json),
        Some(Command::Convert { to, file }) => return run_convert(file, *to),
        Some(Command::Probe(args)) => return run_probe(args),
        None => {}
    }
    let opened = match open(cli.file.as_ref(), cli.show_secrets) {
        Ok(opened) => opened,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if !cli.print && !cli.json && !cli.transcript && stdout_is_terminal() {
        let reading = format!("Reading {}", opened.name());
        let config = cli.config.clone();
        return run_interactive(&cli, reading, move || opened.load(config.as_ref()));
    }
    let loaded = match opened.load(cli.config.as_ref()) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if cli.quiz {
        return print_quiz(&cli, &loaded);
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

/// The interactive view of what `load` gives: it runs on the loading screen, under `loading`
/// until it is done.
fn run_interactive(
    cli: &Cli,
    loading: String,
    load: impl FnOnce() -> Result<Loaded, LoadErrors>,
) -> ExitCode {
    let requested: Option<BrowserProfile> = cli.browser.map(Into::into);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = match cli.theme {
        ThemeArg::Default => ThemeName::Default,
        ThemeArg::HighContrast => ThemeName::HighContrast,
    };
    let open_quiz = cli.quiz;
    let theme = Theme::select(theme_name, no_color);
    let build = move |show: &mut crate::terminal::ShowLoading| -> Result<App, LoadErrors> {
        show(&loading, None);
        let loaded = load()?;
        let headline = if loaded.saved.is_some() {
            format!("Opening the saved trace {}", loaded.source)
        } else {
            format!("Simulating {}", loaded.source)
        };
        let total = loaded.scenario.requests.len();
        let trace = loaded.trace_with_progress(requested, &mut |done| {
            show(&headline, Some((done, total)));
        });
        let mut app = App::new(loaded.scenario, trace, loaded.source, theme);
        app.recording = loaded.recording;
        if open_quiz {
            app.update(crate::app::Action::OpenQuiz);
        }
        Ok(app)
    };
    match crate::terminal::run(&theme, build) {
        Ok(Ok(())) => ExitCode::from(EXIT_OK),
        // The terminal is restored by now: the errors go where a headless run puts them.
        Ok(Err(errors)) => {
            eprintln!("{errors}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(err) => {
            eprintln!("cors-tui: terminal error: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn finish_output(result: io::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(err) => {
            eprintln!("cors-tui: cannot write output: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run_convert(file: &Path, to: ConvertTarget) -> ExitCode {
    let (loaded, name) = match read_config(file) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    eprintln!(
        "cors-tui: read {} as {}",
        escape(&name),
        loaded.spelling.describe()
    );
    let target = match to {
        ConvertTarget::S3Json => Target::S3Json,
        ConvertTarget::S3Xml => Target::S3Xml,
        ConvertTarget::S3Console => Target::S3Console,
        ConvertTarget::Cloudformation => Target::CloudFormation,
        ConvertTarget::Gcs => Target::Gcs,
        ConvertTarget::Azure => Target::AzureXml,
        ConvertTarget::AzureJson => Target::AzureJson,
    };
    match convert::convert(&loaded, target) {
        Ok(converted) => {
            for note in &converted.notes {
                eprintln!("cors-tui: note: {}", escape(note));
            }
            let mut out = io::stdout().lock();
            finish_output(writeln!(out, "{}", converted.text).map(|_| EXIT_OK))
        }
        Err(errors) => {
            eprintln!(
                "cors-tui: {} cannot be written as {} rules:",
                escape(&name),
                target.provider().product()
            );
            for error in errors {
                eprintln!("  {}", escape(&error));
            }
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run_audit(file: &Path, json: bool) -> ExitCode {
    let (name, text) = match scenario::read_input(file) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let audited = match audit_input(&text, &name) {
        Ok(audited) => audited,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let blocking = audited
        .findings
        .iter()
        .any(|f| matches!(f.severity, Severity::Dangerous | Severity::Broken));
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = if json {
        report::audit::write_json(&mut out, &audited)
    } else {
        report::audit::write_text(&mut out, &audited)
    };
    finish_output(written.and_then(|_| out.flush()).map(|_| {
        if blocking {
            EXIT_EXPECTATION_FAILED
        } else {
            EXIT_OK
        }
    }))
}

/// Audits a configuration in any S3 spelling, or the bucket (and requests) of a scenario.
fn audit_input(text: &str, name: &str) -> Result<report::audit::Audited, LoadErrors> {
    use report::audit::Audited;
    let is_scenario = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get("server").is_some() && v.get("requests").is_some());
    if is_scenario {
        let scenario = scenario::load_str(text, name)?;
        let trace = engine::run(&scenario, engine::effective_profile(&scenario, None));
        let ServerKind::Bucket { provider, cors } = &scenario.server.kind else {
            return Err(whole_input_error(
                name,
                "server.type",
                "audit reads a bucket's CORS rules; this scenario's server has fixed answers (static or recorded)",
            ));
        };
        let provider = *provider;
        let findings = audit::audit_bucket(provider, cors.as_ref(), &trace);
        let rules = cors.as_ref().map(|c| c.rules.clone()).unwrap_or_default();
        return Ok(Audited {
            file: name.to_string(),
            format: format!("cors-tui scenario ({})", provider.server_noun()),
            provider,
            rules,
            findings,
        });
    }
    match s3_format::load_config(text, name) {
        Ok(loaded) => Ok(Audited {
            file: name.to_string(),
            format: loaded.spelling.describe().to_string(),
            provider: loaded.provider(),
            findings: audit::audit_rules(loaded.provider(), &loaded.config),
            rules: loaded.config.rules,
        }),
        // The provider would refuse it: each refusal is a broken finding, not a failure to read.
        Err(ConfigError::Rejected { provider, errors }) => Ok(Audited {
            file: name.to_string(),
            format: "CORS configuration".to_string(),
            provider,
            rules: Vec::new(),
            findings: errors
                .0
                .into_iter()
                .map(|e| Finding {
                    severity: Severity::Broken,
                    rule: None,
                    subject: format!("{}:{}:{} {}", e.file, e.line, e.column, e.key),
                    title: "the provider rejects this configuration".to_string(),
                    why: e.message,
                })
                .collect(),
        }),
        Err(ConfigError::Unreadable(errors)) => Err(errors),
    }
}

/// The quiz as a sheet of questions, for when there is no terminal to take it on.
fn print_quiz(cli: &Cli, loaded: &Loaded) -> ExitCode {
    let trace = loaded.trace(cli.browser.map(Into::into));
    let items = crate::lesson::quiz(&loaded.scenario, &trace);
    let mut out = io::stdout().lock();
    let mut write = || -> io::Result<()> {
        writeln!(out, "Quiz: {}", escape(&trace.title))?;
        for (i, item) in items.iter().enumerate() {
            writeln!(out, "\n{}. {}", i + 1, escape(&item.question))?;
            for (c, choice) in item.choices.iter().enumerate() {
                writeln!(out, "   {}) {}", (b'a' + c as u8) as char, escape(choice))?;
            }
        }
        writeln!(
            out,
            "\nTake it interactively on a terminal, or see the answers with --transcript."
        )
    };
    finish_output(write().map(|_| EXIT_OK))
}

/// The single request `probe URL --origin …` describes, as a scenario: the scenario loader
/// checks the origin, method and headers as it checks a file's.
fn probe_request_scenario(args: &ProbeArgs) -> Result<Scenario, LoadErrors> {
    let bad = |message: String| whole_input_error("<command line>", "", message);
    let url = args.url.clone().unwrap_or_default();
    let origin = args.origin.clone().unwrap_or_default();
    let mut headers = serde_json::Map::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad(format!(
                "--header {}: write it as 'Name: value'",
                escape(header)
            )));
        };
        headers.insert(
            name.trim().to_string(),
            serde_json::Value::String(value.trim().to_string()),
        );
    }
    let document = serde_json::json!({
        "title": format!("Probe: {} {url} from {origin}", args.method),
        "description": "The browser's requests were sent to the live server; its real answers are judged step by step.",
        "server": {"type": "recorded", "url": url},
        "requests": [{
            "origin": origin,
            "method": args.method,
            "url": url,
            "headers": headers,
            "credentials": args.credentials.name(),
        }],
    });
    scenario::load_str(&document.to_string(), "<command line>")
}

/// A scenario whose server URLs are moved onto `server_url` (scheme, host and port), paths
/// and queries kept: the lesson, run against the teacher's own server.
fn retarget(mut scenario: Scenario, server_url: &str) -> Result<Scenario, LoadErrors> {
    let bad = |message: String| whole_input_error("<command line>", "--server-url", message);
    let live =
        url::Url::parse(server_url).map_err(|e| bad(format!("{}: {e}", escape(server_url))))?;
    let old = scenario.server.url.origin();
    let move_url = |url: &mut url::Url| {
        if url.origin() == old {
            let _ = url.set_scheme(live.scheme());
            let _ = url.set_host(live.host_str());
            let _ = url.set_port(live.port());
        }
    };
    move_url(&mut scenario.server.url);
    for request in &mut scenario.requests {
        move_url(&mut request.url);
    }
    Ok(scenario)
}

/// Why `--save` cannot write where it is told, found before any request is sent.
fn save_target_problem(args: &ProbeArgs) -> Option<String> {
    let save = args.save.as_ref()?;
    let same_as_lesson = args.scenario.as_ref().is_some_and(|lesson| {
        match (std::fs::canonicalize(lesson), std::fs::canonicalize(save)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    });
    if same_as_lesson {
        return Some(format!(
            "cannot write {}: it is the --scenario file, which a trace would replace",
            escape(&save.display().to_string())
        ));
    }
    crate::output_file::check_target(save, args.force)
        .err()
        .map(|err| {
            format!(
                "cannot write {}: {err}",
                escape(&save.display().to_string())
            )
        })
}

fn run_probe(args: &ProbeArgs) -> ExitCode {
    if let Some(problem) = save_target_problem(args) {
        eprintln!("cors-tui: {problem}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let requested = args.browser.map(Into::into);
    let (scenario, live_url) = match (&args.scenario, &args.server_url) {
        (Some(file), Some(server_url)) => {
            let loaded = open(Some(file), false)
                .and_then(|opened| opened.load(None))
                .and_then(|loaded| {
                    if loaded.recording.is_some() || loaded.saved.is_some() {
                        Err(whole_input_error(
                            &loaded.source,
                            "",
                            "--scenario takes a scenario file, not a recording or a saved trace",
                        ))
                    } else {
                        retarget(loaded.scenario, server_url)
                    }
                });
            (loaded, server_url.clone())
        }
        _ => (
            probe_request_scenario(args),
            args.url.clone().unwrap_or_default(),
        ),
    };
    let scenario = match scenario {
        Ok(scenario) => scenario,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let profile = engine::effective_profile(&scenario, requested);
    let options = crate::probe::ProbeOptions {
        timeout: std::time::Duration::from_secs(args.timeout),
        max_body_bytes: args.max_body,
        cacert: args.cacert.clone(),
        send_actual: args.send_actual,
        allow_private_redirects: args.allow_private_redirects,
    };
    let probed = crate::probe::Client::new(options)
        .and_then(|client| crate::probe::probe_scenario(&client, scenario, profile, &live_url));
    let mut scenario = match probed {
        Ok((scenario, notes)) => with_probe_notes(scenario, notes),
        Err(err) => {
            eprintln!("cors-tui: probe: {}", escape(&err.to_string()));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    scenario.browser = Some(profile);
    let mut source = format!("live probe of {live_url}");
    if !args.show_secrets {
        // What the user sent (-H Authorization, ?token=) and what the server answered
        // (Set-Cookie) is masked in every output, the saved trace included.
        let mut masker = crate::secrets::Masker::new();
        masker.scenario(&mut scenario);
        if let Some(masked) = masker.text(&source) {
            source = masked;
        }
    }
    let loaded = Loaded {
        scenario,
        source,
        recording: None,
        saved: None,
    };
    if let Some(path) = &args.save {
        let trace = loaded.trace(None);
        let saved = crate::output_file::write_whole(path, args.force, |mut out| {
            report::json::write(&mut out, &loaded.scenario, &trace, None, true)
        });
        if let Err(err) = saved {
            eprintln!(
                "cors-tui: cannot write {}: {err}",
                escape(&path.display().to_string())
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    }
    let cli = Cli {
        command: None,
        file: None,
        config: None,
        print: args.print,
        json: args.json,
        transcript: false,
        pretty: args.pretty,
        all: false,
        show_secrets: args.show_secrets,
        quiz: false,
        browser: args.browser,
        theme: ThemeArg::Default,
        width: args.width,
    };
    if !cli.print && !cli.json && stdout_is_terminal() {
        return run_interactive(&cli, loaded.source.clone(), move || Ok(loaded));
    }
    finish_output(run_headless(&cli, &loaded))
}

/// The probe's own notes (redirect hops, requests held back) join each request's note.
fn with_probe_notes(mut scenario: Scenario, notes: crate::probe::ProbeNotes) -> Scenario {
    for (request, notes) in scenario.requests.iter_mut().zip(notes.0) {
        if notes.is_empty() {
            continue;
        }
        let mut text = request.note.take().unwrap_or_default();
        for note in notes {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&note);
        }
        request.note = Some(text);
    }
    scenario
}
