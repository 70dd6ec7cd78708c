//! One function per command, between the parsed command line and the library: open, load,
//! trace, then report, view, audit, convert or probe. Each returns how it finished or an
//! [`Error`]; `error::exit_code` turns that into the exit status, in one place.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::analysis::audit::{self, Finding, Severity};
use crate::app::App;
use clap::CommandFactory;

use crate::cli::{Cli, Command, ConvertTarget, ProbeArgs, ThemeArg};
use crate::engine;
use crate::error::{Error, Finished};
use crate::formats::apigateway;
use crate::formats::config::{self as config_format, ConfigError};
use crate::formats::convert::{self, Target};
use crate::formats::convert_aws::{self, AwsTarget};
use crate::report;
use crate::safe_text::escape;
use crate::scenario::{self, BrowserProfile, LoadErrors, Scenario, ServerKind};
use crate::session::{Loaded, open, read_config, whole_input_error};
use crate::theme::{Theme, ThemeName};

/// What a headless run prints, from `cors-tui`'s flags or `probe`'s.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    pub print: bool,
    pub json: bool,
    pub transcript: bool,
    pub pretty: bool,
    pub all: bool,
    /// `--steps all`: a recording's report, then every step of every request.
    pub steps_all: bool,
    /// `--request N`: print only that request.
    pub request: Option<usize>,
    pub browser: Option<BrowserProfile>,
    pub width: Option<u16>,
}

impl Output {
    fn of(cli: &Cli) -> Output {
        Output {
            print: cli.print,
            json: cli.json,
            transcript: cli.transcript,
            pretty: cli.pretty,
            all: cli.all,
            steps_all: cli.steps == Some(crate::cli::Steps::All),
            request: cli.request,
            browser: cli.browser.map(Into::into),
            width: cli.width,
        }
    }

    /// Whether the interactive view is wanted instead: no report asked for, and a terminal.
    fn interactive(&self) -> bool {
        !self.print && !self.json && !self.transcript && stdout_is_terminal()
    }
}

/// How the interactive view opens.
#[derive(Clone, Copy, Debug)]
struct View {
    browser: Option<BrowserProfile>,
    theme: ThemeArg,
    quiz: bool,
}

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

/// Tells on stderr which expectations failed.
fn expectation_status(records: &[engine::RequestRecord]) -> Finished {
    let failed: Vec<_> = records.iter().filter(|r| !r.expectation_met()).collect();
    if failed.is_empty() {
        return Finished::Clean;
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
            escape(&request.summary_text())
        );
    }
    Finished::Flagged
}

/// Runs the headless modes; the binary adds the terminal UI on top.
pub fn run_headless(output: Output, loaded: &mut Loaded) -> Result<Finished, Error> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let pretty = output.pretty || stdout_is_terminal();
    // Written while the engine runs, so a large run never exists as a whole trace: always for
    // --json, and for --print past the size where fixes are worked out.
    if let Some(n) = output.request {
        let total = loaded.scenario.requests.len();
        if output.json || output.transcript || loaded.saved.is_some() {
            return Err(Error::Usage(
                "--request N goes with --print, on a scenario or a recording".to_string(),
            ));
        }
        if n == 0 || n > total {
            return Err(Error::Usage(format!(
                "--request {n}: the input has requests 1 to {total}"
            )));
        }
        let profile = engine::effective_profile(&loaded.scenario, output.browser);
        let record = report::text::write_request(
            &mut out,
            &loaded.scenario,
            profile,
            n,
            print_width(output.width),
        )?;
        out.flush()?;
        return Ok(expectation_status(record.as_slice()));
    }
    // A recording's report: the blocked requests by cause, each group's fix, the allowed ones
    // in a line each; every step only with --steps all.
    if let Some(recording) = &loaded.recording
        && !output.json
        && !output.transcript
    {
        let profile = engine::effective_profile(&loaded.scenario, output.browser);
        let width = print_width(output.width);
        // Every step of a recording small enough to hold: from the run the report uses too.
        let small = loaded.scenario.requests.len() <= crate::analysis::fix::MAX_REQUESTS_FOR_FIXES;
        let trace = (output.steps_all && small).then(|| match &loaded.saved {
            Some(saved) => saved.clone(),
            None => engine::run(&loaded.scenario, profile),
        });
        let failed = report::recording::write(
            &mut out,
            &loaded.scenario,
            (profile, trace.as_ref()),
            recording,
            output.all,
            width,
        )?;
        if output.steps_all {
            writeln!(out)?;
            match &trace {
                Some(trace) => report::text::write(&mut out, &loaded.scenario, trace, width)?,
                // The report above has each group's fix: no FIXES after the steps.
                None => drop(report::text::stream(
                    &mut out,
                    &loaded.scenario,
                    (profile, false),
                    width,
                )?),
            }
        }
        out.flush()?;
        return Ok(expectation_status(&failed));
    }
    let large = loaded.scenario.requests.len() > crate::analysis::fix::MAX_REQUESTS_FOR_FIXES;
    let streams = output.json || (!output.transcript && large);
    if loaded.saved.is_none() && streams {
        let profile = engine::effective_profile(&loaded.scenario, output.browser);
        let recording = loaded.recording.as_ref();
        let failed = if output.json {
            report::json::run_and_write(&mut out, &loaded.scenario, profile, recording, pretty)?
        } else {
            let width = print_width(output.width);
            report::text::stream(&mut out, &loaded.scenario, (profile, true), width)?
        };
        out.flush()?;
        return Ok(expectation_status(&failed));
    }
    let trace = loaded.trace(output.browser);
    if output.transcript {
        report::transcript::write(&mut out, &loaded.scenario, &trace)?;
    } else if output.json {
        report::json::write(
            &mut out,
            &loaded.scenario,
            &trace,
            loaded.recording.as_ref(),
            pretty,
        )?;
    } else {
        report::text::write(
            &mut out,
            &loaded.scenario,
            &trace,
            print_width(output.width),
        )?;
    }
    out.flush()?;
    Ok(expectation_status(&trace.requests))
}

/// Whether standard output is a terminal (where the TUI would draw).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// The whole program, minus process exit: parse, load, run, report.
pub fn run(cli: Cli) -> Result<Finished, Error> {
    match &cli.command {
        Some(Command::Audit { file, json }) => return run_audit(file, *json),
        Some(Command::Convert { to, file }) => return run_convert(file, *to),
        Some(Command::Probe(args)) => return run_probe(args),
        Some(Command::Lessons) => return list_lessons(),
        Some(Command::Serve {
            file,
            check,
            chromium,
            listen,
            print,
            json,
            max_wait,
        }) => {
            if *check {
                let options = crate::lab::CheckOptions {
                    chromium: chromium.clone(),
                    longest_wait: *max_wait,
                    json: *json,
                };
                return run_serve_check(file, &options);
            }
            let options = crate::lab::ServeOptions {
                listen: listen.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
                longest_wait: *max_wait,
            };
            let report = match (*json, *print || !io::stdout().is_terminal()) {
                (true, _) => Some(LabReport::Json),
                (false, true) => Some(LabReport::Text),
                (false, false) => None,
            };
            return run_serve(file, &options, (report, cli.theme));
        }
        Some(Command::Completions { shell }) => {
            let mut out = io::stdout().lock();
            clap_complete::generate(*shell, &mut Cli::command(), "cors-tui", &mut out);
            out.flush()?;
            return Ok(Finished::Clean);
        }
        Some(Command::Man) => {
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            out.flush()?;
            return Ok(Finished::Clean);
        }
        Some(Command::Lesson { .. }) | None => {}
    }
    let output = Output::of(&cli);
    let file = match &cli.command {
        Some(Command::Lesson { name }) => match scenario::lessons::find(name) {
            Some(lesson) => Some(std::path::PathBuf::from(lesson.name)),
            None => {
                return Err(Error::Usage(format!(
                    "no lesson '{}': `cors-tui lessons` lists them, 1 to {}",
                    escape(name),
                    scenario::lessons::LESSONS.len()
                )));
            }
        },
        _ => cli.file.clone(),
    };
    let opened = open(file.as_ref(), cli.show_secrets)?;
    if output.interactive() {
        let reading = format!("Reading {}", opened.name());
        let config = cli.config.clone();
        let view = View {
            browser: output.browser,
            theme: cli.theme,
            quiz: cli.quiz,
        };
        let name = opened.name().to_string();
        return run_interactive(view, (name, reading), None, move || {
            opened.load(config.as_ref())
        });
    }
    let mut loaded = opened.load(cli.config.as_ref())?;
    if cli.quiz {
        return print_quiz(output.browser, &mut loaded);
    }
    if let Some(path) = &cli.fix_out {
        // Refused before the run, so a report is never followed by "cannot write".
        crate::output_file::check_target(path, false).map_err(|err| {
            Error::Usage(format!(
                "--fix-out {}: {err}",
                escape(&path.display().to_string())
            ))
        })?;
    }
    let finished = run_headless(output, &mut loaded)?;
    if let Some(path) = &cli.fix_out {
        write_fix_out(path, output.browser, &mut loaded)?;
    }
    Ok(finished)
}

/// `--fix-out FILE`: the first blocked request's proven fix, as a file to apply, and how.
fn write_fix_out(
    path: &std::path::Path,
    browser: Option<BrowserProfile>,
    loaded: &mut Loaded,
) -> Result<(), Error> {
    let shown = escape(&path.display().to_string()).into_owned();
    let large = loaded.scenario.requests.len() > crate::analysis::fix::MAX_REQUESTS_FOR_FIXES;
    // Fixes are proven on verdicts alone for a bucket with nothing in front, and for any input
    // too large to keep whole: a run of any size gets its fix. A saved trace's verdicts are its
    // own, so it is proven on the whole trace.
    let on_verdicts = loaded.saved.is_none()
        && (large || crate::analysis::fix::rules_alone_decide(&loaded.scenario));
    let scope = crate::analysis::fix::Scope::new(&loaded.scenario);
    if !on_verdicts && large && scope.is_none() {
        return Err(Error::Usage(format!(
            "--fix-out {shown}: proving a fix re-runs the whole input, and it has more than {} requests; take the request with --print --request N",
            crate::analysis::fix::MAX_REQUESTS_FOR_FIXES
        )));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A bucket: every proven rule fix made in turn, as one configuration.
    if let scenario::ServerKind::Bucket { provider, .. } = loaded.scenario.server.kind {
        let combined = if on_verdicts {
            let profile = engine::effective_profile(&loaded.scenario, browser);
            crate::analysis::fix::combined_bucket_fix_streamed(&loaded.scenario, profile)
        } else {
            let trace = loaded.trace(browser);
            crate::analysis::fix::combined_bucket_fix(&loaded.scenario, &trace)
        };
        let Some(combined) = combined else {
            return Err(Error::Usage(format!(
                "--fix-out {shown}: no blocked request has a proven change to the bucket's rules to write"
            )));
        };
        let spelling = loaded
            .config_spelling
            .unwrap_or_else(|| report::pasteable::default_spelling(provider));
        // The first fixed request's URL names the bucket where the server's does not (GCS
        // paths).
        let first = combined.fixed.first().map_or(1, |(index, _)| *index);
        let url = loaded
            .scenario
            .requests
            .get(first - 1)
            .map_or_else(|| loaded.scenario.server.url.clone(), |r| r.url.clone());
        let pasteable =
            report::pasteable::bucket_configuration(&url, &combined.rules, spelling, &file_name)
                .map_err(|reasons| {
                    Error::Usage(format!(
                        "--fix-out {shown}: the fixed rules cannot be written as given: {}",
                        escape(&reasons.join("; "))
                    ))
                })?;
        write_fix_file(path, &shown, &pasteable.text)?;
        let mut out = io::stdout().lock();
        writeln!(out)?;
        let numbers: Vec<String> = combined
            .fixed
            .iter()
            .map(|(index, _)| format!("#{index}"))
            .collect();
        if let [one] = numbers.as_slice() {
            writeln!(
                out,
                "Wrote {shown}: the whole configuration with the fix for request {one}:"
            )?;
        } else {
            writeln!(
                out,
                "Wrote {shown}: the whole configuration with the fixes for requests {}, each worked out on the rules the ones before it left:",
                numbers.join(", ")
            )?;
        }
        for (index, fix) in &combined.fixed {
            writeln!(
                out,
                "  #{index}: {}",
                escape(fix.summary.trim_end_matches('.'))
            )?;
            for caveat in &fix.caveats {
                writeln!(out, "    note: {}", escape(caveat))?;
            }
        }
        writeln!(out, "Apply it:")?;
        for line in pasteable.apply {
            writeln!(out, "  {}", escape(&line))?;
        }
        writeln!(
            out,
            "Then run the same input again to see what is left (--config {shown})."
        )?;
        return Ok(());
    }
    // A server without rules: the headers the first request with a proven fix needs.
    let found = if on_verdicts && scope.is_none() {
        let profile = engine::effective_profile(&loaded.scenario, browser);
        crate::analysis::fix::first_proven_fix_streamed(&loaded.scenario, profile)
    } else {
        let trace = loaded.trace(browser);
        (0..trace.requests.len()).find_map(|i| {
            crate::analysis::fix::fix_at(&loaded.scenario, &trace, scope.as_ref(), i)
                .filter(|f| f.proven)
                .map(|f| (i + 1, f))
        })
    };
    let Some((index, fix)) = found else {
        return Err(Error::Usage(format!(
            "--fix-out {shown}: no blocked request has a proven fix to write"
        )));
    };
    let Some(policy) = &fix.policy else {
        return Err(Error::Usage(format!(
            "--fix-out {shown}: the fix for request #{index} is a change to the page or the API's settings, not a file: --print shows it"
        )));
    };
    write_fix_file(
        path,
        &shown,
        &report::pasteable::headers_file(&fix, policy, index),
    )?;
    let mut out = io::stdout().lock();
    writeln!(out)?;
    writeln!(
        out,
        "Wrote {shown}: the headers request #{index} needs, as nginx, Express and tower-http set them."
    )?;
    writeln!(
        out,
        "  Copy the block for your server into its configuration."
    )?;
    writeln!(out, "Then run the same input again to see what is left.")?;
    Ok(())
}

/// Writes `text` to the `--fix-out` file, never over one that is there.
fn write_fix_file(path: &std::path::Path, shown: &str, text: &str) -> Result<(), Error> {
    crate::output_file::write_whole(path, false, |out| out.write_all(text.as_bytes()))
        .map_err(|err| Error::Usage(format!("--fix-out {shown}: cannot write it: {err}")))
}

/// The built-in lessons, one a line: the name to open it by, and its title.
fn list_lessons() -> Result<Finished, Error> {
    let mut out = io::stdout().lock();
    let width = scenario::lessons::LESSONS
        .iter()
        .map(|lesson| lesson.name.len())
        .max()
        .unwrap_or(0);
    for (number, lesson) in scenario::lessons::LESSONS.iter().enumerate() {
        let scenario = scenario::load_str(lesson.text, lesson.name)?;
        writeln!(
            out,
            "{:>2}  {:width$}  {}",
            number,
            lesson.name,
            escape(&scenario.title)
        )?;
    }
    writeln!(
        out,
        "\nOpen one with `cors-tui lesson N` or `cors-tui NAME` (the view); `cors-tui --print N` (or --transcript, --quiz) prints it."
    )?;
    Ok(Finished::Clean)
}

/// What the thread that reads the view's input hands it.
enum Opening {
    /// The input, whose trace the view makes (a lesson, a saved trace, a small recording).
    Whole(Loaded),
    /// A large recording, being replayed on the reading thread: `loaded` holds its scenario
    /// without its `total` requests until the replay hands them back.
    Replaying {
        loaded: Loaded,
        total: usize,
        profile: BrowserProfile,
    },
}

/// Reads the view's input on a thread of its own and tells `tell` what it is; a large
/// recording is then replayed there, its parts handed to `hand`. The replay runs on the thread
/// that imported the recording so that it reuses the memory the import let go of.
fn open_in_background(
    load: impl FnOnce() -> Result<Loaded, LoadErrors>,
    requested: Option<BrowserProfile>,
    tell: &std::sync::mpsc::Sender<Result<Opening, LoadErrors>>,
    hand: &std::sync::mpsc::Sender<crate::app::ReplayPart>,
) {
    let mut loaded = match load() {
        Ok(loaded) => loaded,
        Err(errors) => {
            let _ = tell.send(Err(errors));
            return;
        }
    };
    let total = loaded.scenario.requests.len();
    if loaded.recording.is_none()
        || loaded.saved.is_some()
        || total <= crate::app::REPLAYED_IN_VIEW_ABOVE
    {
        let _ = tell.send(Ok(Opening::Whole(loaded)));
        return;
    }
    let profile = engine::effective_profile(&loaded.scenario, requested);
    let held = crate::app::held_while_replayed(&mut loaded.scenario);
    let scenario = std::mem::replace(&mut loaded.scenario, held);
    let _ = tell.send(Ok(Opening::Replaying {
        loaded,
        total,
        profile,
    }));
    crate::app::replay_in_parts(scenario, profile, hand);
}

/// The interactive view of what `load` gives (the input `name`): it runs on the loading screen,
/// under `loading` until it is done.
fn run_interactive(
    view: View,
    (name, loading): (String, String),
    live: Option<crate::lab::Live>,
    load: impl FnOnce() -> Result<Loaded, LoadErrors> + Send + 'static,
) -> Result<Finished, Error> {
    let requested = view.browser;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = match view.theme {
        ThemeArg::Default => ThemeName::Default,
        ThemeArg::HighContrast => ThemeName::HighContrast,
    };
    let open_quiz = view.quiz;
    let theme = Theme::select(theme_name, no_color);
    let build = move |show: &mut crate::terminal::ShowLoading| -> Result<App, LoadErrors> {
        show(&loading, None);
        let (tell, told) = std::sync::mpsc::channel();
        let (hand, parts) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("open".into())
            .spawn(move || open_in_background(load, requested, &tell, &hand))
            .map_err(|err| {
                whole_input_error(
                    &name,
                    "",
                    format!("no thread could be started to read it: {err}"),
                )
            })?;
        let opened = told.recv().map_err(|_| {
            whole_input_error(&name, "", "the thread reading it stopped before its end")
        })??;
        let (mut app, recording, saved) = match opened {
            Opening::Replaying {
                loaded,
                total,
                profile,
            } => {
                let app =
                    App::replaying(loaded.scenario, total, profile, parts, loaded.source, theme);
                (app, loaded.recording, false)
            }
            Opening::Whole(mut loaded) => {
                let saved = loaded.saved.is_some();
                let headline = if saved {
                    format!("Opening the saved trace {}", loaded.source)
                } else {
                    format!("Simulating {}", loaded.source)
                };
                let total = loaded.scenario.requests.len();
                let trace = loaded.trace_with_progress(requested, &mut |done| {
                    show(&headline, Some((done, total)));
                });
                let app = App::new(loaded.scenario, trace, loaded.source, theme);
                (app, loaded.recording, saved)
            }
        };
        // A lesson opens on its story; a recording or a saved trace opens on its first step.
        let lesson = recording.is_none()
            && !saved
            && !open_quiz
            && !app.scenario.description.trim().is_empty();
        app.recording = recording;
        app.live = live;
        // A recording opens on its requests list, the way DevTools' network panel does.
        app.list.open = app.recording.is_some();
        app.title_card = lesson;
        // A lesson speaks plainly first; a recording is read by a developer.
        if lesson {
            app.register = crate::app::Register::Lesson;
        }
        if open_quiz {
            app.update(crate::app::Action::OpenQuiz);
        }
        Ok(app)
    };
    match crate::terminal::run(&theme, build) {
        Ok(Ok(ended)) if ended.work_panicked > 0 => Err(Error::WorkPanicked(ended.work_panicked)),
        Ok(Ok(_)) => Ok(Finished::Clean),
        // The terminal is restored by now: the errors go where a headless run puts them.
        Ok(Err(errors)) => Err(errors.into()),
        Err(err) => Err(Error::Terminal(err)),
    }
}

/// Converts to an HTTP API's or a function URL's `Cors`: from one of those (an export, a
/// template, an OpenAPI document) or from a bucket's rules.
fn run_convert_aws(file: &Path, to: AwsTarget) -> Result<Finished, Error> {
    let (name, text) = scenario::read_input(file)?;
    let not_convertible = |reasons: Vec<String>| Error::NotConvertible {
        file: name.clone(),
        product: to.product(),
        reasons,
    };
    let aws = match crate::formats::aws_stacks(&text, &name) {
        Some(template) => {
            let template = template?;
            let layers: Vec<_> = template.stacks.into_iter().map(|s| s.layer).collect();
            Some(layers)
        }
        None => apigateway::load(&text, &name).transpose()?.map(|export| {
            vec![match export {
                apigateway::Export::Api { cors, .. } => crate::server::FrontLayer::HttpApi {
                    cors,
                    routes: Vec::new(),
                    stage: None,
                },
                apigateway::Export::FunctionUrl { cors } => {
                    crate::server::FrontLayer::FunctionUrl { cors }
                }
                _ => crate::server::FrontLayer::FunctionUrl { cors: None },
            }]
        }),
    };
    let converted = match aws {
        Some(layers) => {
            let source =
                convert_aws::source_of(&layers).map_err(|reason| not_convertible(vec![reason]))?;
            convert_aws::write(source.cors, Some(source.from), to, Vec::new())
        }
        None => {
            let loaded =
                config_format::load_config(&text, &name).map_err(|e| e.errors().clone())?;
            eprintln!(
                "cors-tui: read {} as {}",
                escape(&name),
                loaded.spelling.describe()
            );
            let mut notes = Vec::new();
            convert_aws::from_bucket(&loaded, &mut notes)
                .and_then(|cors| convert_aws::write(cors, None, to, notes))
        }
    }
    .map_err(not_convertible)?;
    for note in &converted.notes {
        eprintln!("cors-tui: note: {}", escape(note));
    }
    let mut out = io::stdout().lock();
    writeln!(out, "{}", converted.text)?;
    Ok(Finished::Clean)
}

fn run_convert(file: &Path, to: ConvertTarget) -> Result<Finished, Error> {
    match to {
        ConvertTarget::HttpApi => return run_convert_aws(file, AwsTarget::HttpApi),
        ConvertTarget::FunctionUrl => return run_convert_aws(file, AwsTarget::FunctionUrl),
        _ => {}
    }
    let (loaded, name) = read_config(file)?;
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
        ConvertTarget::HttpApi | ConvertTarget::FunctionUrl => return Ok(Finished::Clean),
    };
    let converted = convert::convert(&loaded, target).map_err(|reasons| Error::NotConvertible {
        file: name.clone(),
        product: target.provider().rules_noun(),
        reasons,
    })?;
    for note in &converted.notes {
        eprintln!("cors-tui: note: {}", escape(note));
    }
    let mut out = io::stdout().lock();
    writeln!(out, "{}", converted.text)?;
    Ok(Finished::Clean)
}

/// The lesson or scenario `file` names, for the lab: not a recording or a saved trace, which
/// hold answers rather than a server to run.
fn lesson_for_the_lab(file: &Path, command: &str) -> Result<(String, Loaded), Error> {
    let opened = crate::session::open(Some(&file.to_path_buf()), false)?;
    let name = opened.name().to_string();
    let loaded = opened.load(None)?;
    if loaded.recording.is_some() || loaded.saved.is_some() {
        return Err(Error::Usage(format!(
            "{command}: {} is a recording or a saved trace; the lab runs lessons and scenarios",
            escape(&name)
        )));
    }
    Ok((name, loaded))
}

/// `serve FILE`: the lab's doors open for a browser the person starts, and the lesson in the
/// view with what that browser does beside it; `headless`: no view, the comparison printed
/// once the browser has run every request (or Ctrl-C).
/// How `serve` reports without the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabReport {
    Text,
    Json,
}

fn run_serve(
    file: &Path,
    options: &crate::lab::ServeOptions,
    (report, theme): (Option<LabReport>, ThemeArg),
) -> Result<Finished, Error> {
    let (name, loaded) = lesson_for_the_lab(file, "serve")?;
    let live = crate::lab::serve(&loaded.scenario, &name, options)?;
    if let Some(warning) = &live.warning {
        eprintln!("cors-tui: warning: {}", escape(warning));
    }
    let Some(report) = report else {
        // The lab compares with Chromium: the view shows Chromium's run.
        let view = View {
            browser: Some(BrowserProfile::Chromium),
            theme,
            quiz: false,
        };
        let opening = format!("Opening {}", escape(&name));
        return run_interactive(view, (name, opening), Some(live), move || Ok(loaded));
    };
    // The URL goes where the person reads it: with --json, stdout is the document's.
    let invitation = format!("Open {} in a browser to run the lesson.", live.url);
    if report == LabReport::Json {
        eprintln!("{invitation}");
    } else {
        let mut out = io::stdout().lock();
        writeln!(out, "{invitation}")?;
        out.flush()?;
    }
    let mut out = io::stdout().lock();
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, interrupted.clone())
            .map_err(|e| Error::Usage(format!("serve: cannot watch for Ctrl-C: {e}")))?;
    }
    while !live.finished() && !interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let agrees = match report {
        LabReport::Text => live.write_report(&loaded.scenario, &mut out)?,
        LabReport::Json => {
            let documents = live.documents(&loaded.scenario);
            crate::report::json::write_value(&mut out, &documents, true)?;
            live.finished()
                && documents
                    .iter()
                    .all(|d| d.requests.iter().all(|r| r.agrees != Some(false)))
        }
    };
    out.flush()?;
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Usage(
            "serve: interrupted; the lab is stopped".to_string(),
        ));
    }
    Ok(if agrees {
        Finished::Clean
    } else {
        Finished::Flagged
    })
}

/// `serve --check FILE`: the lesson in headless Chromium, next to the simulation.
fn run_serve_check(file: &Path, options: &crate::lab::CheckOptions) -> Result<Finished, Error> {
    let (name, loaded) = lesson_for_the_lab(file, "serve --check")?;
    let mut out = io::stdout().lock();
    let agrees = crate::lab::check(&loaded.scenario, &name, options, &mut out)?;
    out.flush()?;
    Ok(if agrees {
        Finished::Clean
    } else {
        Finished::Flagged
    })
}

fn run_audit(file: &Path, json: bool) -> Result<Finished, Error> {
    let (name, text) = scenario::read_input(file)?;
    let audited = audit_input(&text, &name)?;
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
    written?;
    out.flush()?;
    Ok(if blocking {
        Finished::Flagged
    } else {
        Finished::Clean
    })
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
        let front: Vec<&str> = scenario.server.front.iter().map(|l| l.name()).collect();
        let (provider, rules) = match &scenario.server.kind {
            ServerKind::Bucket { provider, cors } => (
                Some(*provider),
                cors.as_ref().map(|c| c.rules.clone()).unwrap_or_default(),
            ),
            _ if !front.is_empty() => (None, Vec::new()),
            _ => {
                return Err(whole_input_error(
                    name,
                    "server.type",
                    "audit reads a bucket's CORS rules or the layers in front of a function; this scenario's server has fixed answers (static or recorded)",
                ));
            }
        };
        let findings = audit::audit_scenario(&scenario, &trace).unwrap_or_default();
        let origin = match provider {
            Some(provider) => provider.server_noun(),
            None => "a function",
        };
        let format = if front.is_empty() {
            format!("cors-tui scenario ({origin})")
        } else {
            format!(
                "cors-tui scenario ({} in front of {origin})",
                front.join(", ")
            )
        };
        return Ok(Audited {
            file: name.to_string(),
            format,
            provider,
            rules,
            findings,
            notes: Vec::new(),
        });
    }
    if let Some(template) = crate::formats::aws_stacks(text, name) {
        let template = template?;
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        for stack in &template.stacks {
            for mut finding in audit::audit_layers(std::slice::from_ref(&stack.layer), true, &[]) {
                finding.subject = format!("{} {}", stack.id, finding.subject);
                findings.push(finding);
            }
            notes.extend(stack.notes.iter().map(|n| format!("{}: {n}", stack.id)));
        }
        // A policy alone is judged for what it settles by itself; the rest depends on the
        // behavior it is attached to.
        for policy in &template.policies {
            findings.extend(crate::server::cloudfront::audit::policy(policy));
            if let crate::server::cloudfront::Policy::Cache(cache, _) = policy
                && cache.caches()
                && !cache.headers.covers("Origin")
            {
                notes.push(format!(
                    "{}: Origin is not in this cache key; where an origin request policy forwards Origin, the first answer stored is replayed to every origin",
                    policy.describe()
                ));
            }
        }
        // A bucket the template deploys is judged by S3's rules, each finding naming it.
        for (id, rules) in &template.buckets {
            for mut finding in audit::audit_rules(crate::scenario::Provider::S3, rules) {
                let rule = finding.rule.map(|i| format!(" rule #{}", i + 1));
                finding.subject = format!("{id}{} {}", rule.unwrap_or_default(), finding.subject);
                findings.push(finding);
            }
        }
        findings.sort_by_key(|f| f.severity);
        return Ok(Audited {
            file: name.to_string(),
            format: template.describe(),
            provider: None,
            rules: Vec::new(),
            findings,
            notes,
        });
    }
    if let Some(export) = apigateway::load(text, name) {
        let export = export?;
        let findings = match &export {
            apigateway::Export::Api { cors, .. } => {
                crate::server::http_api::audit::audit(cors.as_ref(), &[], std::iter::empty())
            }
            apigateway::Export::Routes(routes) => {
                crate::server::http_api::audit::audit(None, routes, std::iter::empty())
            }
            apigateway::Export::Rest { api, .. } => {
                crate::server::rest_api::audit::audit(api, false)
            }
            apigateway::Export::FunctionUrl { cors } => audit::audit_layers(
                &[crate::server::FrontLayer::FunctionUrl { cors: cors.clone() }],
                false,
                &[],
            ),
        };
        return Ok(Audited {
            file: name.to_string(),
            format: export.describe(),
            provider: None,
            rules: Vec::new(),
            findings,
            notes: Vec::new(),
        });
    }
    match config_format::load_config(text, name) {
        Ok(loaded) => Ok(Audited {
            file: name.to_string(),
            format: loaded.spelling.describe().to_string(),
            provider: Some(loaded.provider()),
            findings: audit::audit_rules(loaded.provider(), &loaded.config),
            rules: loaded.config.rules,
            notes: Vec::new(),
        }),
        // The provider would refuse it: each refusal is a broken finding, not a failure to read.
        Err(ConfigError::Rejected { provider, errors }) => Ok(Audited {
            file: name.to_string(),
            format: "CORS configuration".to_string(),
            provider: Some(provider),
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
            notes: Vec::new(),
        }),
        Err(ConfigError::Unreadable(errors)) => Err(errors),
    }
}

/// The quiz as a sheet of questions, for when there is no terminal to take it on.
fn print_quiz(browser: Option<BrowserProfile>, loaded: &mut Loaded) -> Result<Finished, Error> {
    let trace = loaded.trace(browser);
    let items = crate::analysis::lesson::quiz(&loaded.scenario, &trace);
    let mut out = io::stdout().lock();
    let mut write = || -> io::Result<()> {
        writeln!(out, "Quiz: {}", escape(&trace.title))?;
        for (i, item) in items.iter().enumerate() {
            writeln!(out, "\n{}. {}", i + 1, escape(&item.question))?;
            for (c, choice) in item.choices.iter().enumerate() {
                writeln!(
                    out,
                    "   {}) {}",
                    (b'a' + c as u8) as char,
                    escape(&choice.text)
                )?;
            }
        }
        writeln!(
            out,
            "\nTake it interactively on a terminal, or see the answers with --transcript."
        )
    };
    write()?;
    Ok(Finished::Clean)
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
    // From an HTTPS page the browser sends nothing to an http: URL, and neither does the probe.
    let parsed = url::Url::parse(&url).ok();
    let refused = parsed.as_ref().is_some_and(|parsed| {
        engine::fetch_rules::mixed_content(&origin, parsed, scenario::Initiator::Fetch)
            == engine::fetch_rules::MixedContent::Blocked
    });
    // The probe judges a live server's answers; Chromium's Local Network Access would decide
    // before any were asked for, so the header says what it would do.
    let local = parsed.as_ref().and_then(|parsed| {
        engine::fetch_rules::local_network_access(&origin, parsed, &Default::default())
    });
    let description = match local {
        _ if refused => "From an HTTPS page the browser sends nothing to an http: URL (mixed content), so nothing was sent to the live server.".to_string(),
        Some(failure) if failure.error == engine::CorsError::InsecureLocalNetwork => format!(
            "The browser's requests were sent to the live server and its real answers are judged step by step, but Chromium would send nothing: a page on the public internet that is not a secure context may not reach a {} address at all (Local Network Access, InsecureLocalNetwork).",
            failure.address_space().name()
        ),
        Some(failure) => format!(
            "The browser's requests were sent to the live server and its real answers are judged step by step, as if the user had allowed the page to reach the local network: Chromium asks first, since a page on the public internet is calling a {} address, and sends nothing without it (Local Network Access, LocalNetworkAccessPermissionDenied).",
            failure.address_space().name()
        ),
        None => "The browser's requests were sent to the live server; its real answers are judged step by step.".to_string(),
    };
    let document = serde_json::json!({
        "title": format!("Probe: {} {url} from {origin}", args.method),
        "description": description,
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
    for request in std::sync::Arc::make_mut(&mut scenario.requests).iter_mut() {
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

fn run_probe(args: &ProbeArgs) -> Result<Finished, Error> {
    if let Some(problem) = save_target_problem(args) {
        return Err(Error::Usage(problem));
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
    let scenario = scenario?;
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
        Err(err) => return Err(Error::Probe(err.to_string())),
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
    let mut loaded = Loaded {
        scenario,
        source,
        recording: None,
        saved: None,
        config_spelling: None,
    };
    if let Some(path) = &args.save {
        let trace = loaded.trace(None);
        let saved = crate::output_file::write_whole(path, args.force, |mut out| {
            report::json::write(&mut out, &loaded.scenario, &trace, None, true)
        });
        if let Err(err) = saved {
            return Err(Error::Usage(format!(
                "cannot write {}: {err}",
                escape(&path.display().to_string())
            )));
        }
    }
    let output = Output {
        print: args.print,
        json: args.json,
        pretty: args.pretty,
        browser: requested,
        width: args.width,
        ..Output::default()
    };
    if output.interactive() {
        let view = View {
            browser: requested,
            theme: ThemeArg::Default,
            quiz: false,
        };
        let name = loaded.source.clone();
        return run_interactive(view, (name.clone(), name), None, move || Ok(loaded));
    }
    run_headless(output, &mut loaded)
}

/// The probe's own notes (redirect hops, requests held back) join each request's note.
fn with_probe_notes(mut scenario: Scenario, notes: crate::probe::ProbeNotes) -> Scenario {
    for (request, notes) in std::sync::Arc::make_mut(&mut scenario.requests)
        .iter_mut()
        .zip(notes.0)
    {
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
