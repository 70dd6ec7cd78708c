//! An input from open to load: the file is opened (a large one mapped), told apart by its
//! content (scenario, recording, saved trace), parsed, and given `--config` rules; then traced.

use std::path::{Path, PathBuf};

use crate::engine::{self, Trace};
use crate::formats::config::{self as config_format, ConfigError};
use crate::formats::har;
use crate::report::saved;
use crate::scenario::recording::Recording;
use crate::scenario::{self, BrowserProfile, LoadError, LoadErrors, Scenario, ServerKind};

/// The loaded input: the scenario and where it came from.
pub struct Loaded {
    pub scenario: Scenario,
    pub source: String,
    /// For a browser recording (HAR): what the browser recorded, per request.
    pub recording: Option<Recording>,
    /// For a saved trace: the trace itself, replayed as it was (not re-simulated).
    pub saved: Option<Trace>,
    /// The spelling of the rules `--config` gave, for writing a fix back the same way.
    pub config_spelling: Option<crate::formats::config::Spelling>,
}

impl Loaded {
    /// A browser recording, loaded from `source`.
    fn from_recording(import: har::HarImport, source: String) -> Loaded {
        Loaded {
            scenario: import.scenario,
            source,
            recording: Some(import.recording),
            saved: None,
            config_spelling: None,
        }
    }

    /// The trace to show: the saved one, taken out rather than copied (a saved recording's
    /// trace can take hundreds of MB), or a fresh simulation under `profile`.
    pub fn trace(&mut self, requested: Option<BrowserProfile>) -> Trace {
        self.trace_with_progress(requested, &mut |_| {})
    }

    /// [`trace`](Self::trace), telling `progress` how many requests are done.
    pub fn trace_with_progress(
        &mut self,
        requested: Option<BrowserProfile>,
        progress: &mut dyn FnMut(usize),
    ) -> Trace {
        match self.saved.take() {
            Some(trace) => {
                progress(trace.requests.len());
                trace
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
pub(crate) fn whole_input_error(file: &str, key: &str, message: impl Into<String>) -> LoadErrors {
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line: 0,
        column: 0,
        key: key.to_string(),
        message: message.into(),
    }])
}

/// Reads a CORS configuration file of any provider, in any spelling.
pub(crate) fn read_config(
    path: &Path,
) -> Result<(config_format::LoadedConfig, String), ConfigError> {
    let (name, text) = scenario::read_input(path).map_err(ConfigError::Unreadable)?;
    config_format::load_config(&text, &name).map(|config| (config, name))
}

/// What a file that failed to load as a scenario is instead, when it is a configuration
/// cors-tui reads elsewhere.
fn not_a_scenario(text: &str, name: &str) -> Option<String> {
    if let Some(Ok(template)) = crate::formats::aws_stacks(text, name) {
        let article = if template.source.starts_with('O') {
            "an"
        } else {
            "a"
        };
        return Some(format!("{article} {}", template.source));
    }
    if let Some(Ok(export)) = crate::formats::apigateway::load(text, name) {
        return Some(format!("the output of {}", export.describe()));
    }
    config_format::load_config(text, name)
        .ok()
        .map(|loaded| format!("a bucket's CORS configuration ({})", loaded.spelling.name()))
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
/// A name that is no file but a built-in lesson's (`rule-order`, `rule-order.json`) opens that
/// lesson, from any folder.
pub fn open(file: Option<&PathBuf>, show_secrets: bool) -> Result<Opened, LoadErrors> {
    let file = match file {
        Some(path) if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() => {
            match scenario::lessons::find(&path.to_string_lossy()) {
                Some(lesson) => Some((
                    format!("built-in lesson {}", lesson.name),
                    scenario::Input::Read(lesson.text.as_bytes().to_vec()),
                )),
                None => Some(scenario::open_input(path).map_err(|mut errors| {
                    for error in &mut errors.0 {
                        error
                            .message
                            .push_str(" (`cors-tui lessons` lists the built-in lessons)");
                    }
                    errors
                })?),
            }
        }
        Some(path) => Some(scenario::open_input(path)?),
        None => None,
    };
    Ok(Opened { file, show_secrets })
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
            // An API Gateway export configures the API layer in front, not a bucket.
            let (name, text) = scenario::read_input(path)?;
            if let Some(template) = crate::formats::aws_stacks(&text, &name) {
                let template = template?;
                let spelling = template.describe();
                if loaded.recording.is_some() {
                    return Err(whole_input_error(
                        &name,
                        "",
                        "--config with a template or an OpenAPI export applies to a scenario with its layers, not to a recording",
                    ));
                }
                template
                    .apply_to(&mut loaded.scenario.server)
                    .map_err(|message| whole_input_error(&name, "", &message))?;
                loaded.scenario.server.rules_from = Some(format!("{name} ({spelling})"));
                return Ok(loaded);
            }
            if let Some(export) = crate::formats::apigateway::load(&text, &name) {
                let export = export?;
                let spelling = export.describe();
                if loaded.recording.is_some() {
                    return Err(whole_input_error(
                        &name,
                        "",
                        "--config with an API Gateway export applies to a scenario with that API as a layer, not to a recording",
                    ));
                }
                export
                    .apply_to(&mut loaded.scenario.server)
                    .map_err(|message| whole_input_error(&name, "", &message))?;
                loaded.scenario.server.rules_from = Some(format!("{name} ({spelling})"));
                return Ok(loaded);
            }
            let (rules, name) = read_config(path).map_err(|e| e.errors().clone())?;
            if loaded.recording.is_some() {
                // Replay what the page sent against these rules instead of the recorded answers.
                for request in std::sync::Arc::make_mut(&mut loaded.scenario.requests).iter_mut() {
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
            loaded.scenario.server.rules_from = Some(format!("{name} ({})", rules.spelling.name()));
            loaded.config_spelling = Some(rules.spelling);
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
                config_spelling: None,
            });
        };
        // A large recording is parsed from the mapped file in place, its pages let go of behind
        // the reading, so that it is never wholly in memory.
        if matches!(input, scenario::Input::Mapped(_)) && har::is_har_bytes(input.bytes()) {
            let release = |offset: usize| input.release_before(offset);
            let import =
                har::load_har_bytes(input.bytes(), &name, self.show_secrets, Some(&release))?;
            return Ok(Loaded::from_recording(import, name));
        }
        let text = input.text(&name)?;
        // A HAR is told apart by content, whatever its file name.
        let kind = detect(text);
        if kind == InputKind::Har {
            let import = har::load_har(text, &name, self.show_secrets)?;
            return Ok(Loaded::from_recording(import, name));
        }
        if kind == InputKind::SavedTrace {
            let (scenario, trace, recording) = saved::load_saved_trace(text, &name)?;
            return Ok(Loaded {
                scenario,
                source: name,
                recording,
                saved: Some(trace),
                config_spelling: None,
            });
        }
        let scenario = scenario::load_str(text, &name).map_err(|errors| {
            match not_a_scenario(text, &name) {
                Some(what) => whole_input_error(
                    &name,
                    "",
                    format!(
                        "this is {what}, not a scenario: `cors-tui audit {0}` checks it, and `cors-tui --config {0} LESSON` runs a lesson against it",
                        crate::safe_text::escape(&name)
                    ),
                ),
                None => errors,
            }
        })?;
        crate::analysis::lesson::check_steps(&scenario, text, &name)?;
        Ok(Loaded {
            scenario,
            source: name,
            recording: None,
            saved: None,
            config_spelling: None,
        })
    }
}

/// What the built-in scenario is called on screen.
const BUILTIN_SOURCE: &str = "built-in basic scenario";

/// What an input file holds, told apart by content whatever its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Har,
    SavedTrace,
    Scenario,
}

/// Tells a HAR, a saved trace and a scenario apart: at once by the first key, as every
/// exporter and cors-tui write them; otherwise by the top-level keys in any order (a HAR that
/// an editor or a script reordered opens too). Anything else is read as a scenario, whose
/// errors then say what is wrong.
pub fn detect(text: &str) -> InputKind {
    if crate::formats::har::is_har(text) {
        return InputKind::Har;
    }
    if saved::is_saved_trace(text) {
        return InputKind::SavedTrace;
    }
    #[derive(serde::Deserialize)]
    struct TopLevel {
        log: Option<serde::de::IgnoredAny>,
        tool: Option<serde::de::IgnoredAny>,
        server: Option<serde::de::IgnoredAny>,
        requests: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_str::<TopLevel>(text) {
        Ok(top) if top.server.is_none() && top.requests.is_none() => {
            if top.log.is_some() {
                InputKind::Har
            } else if top.tool.is_some() {
                InputKind::SavedTrace
            } else {
                InputKind::Scenario
            }
        }
        _ => InputKind::Scenario,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_har_is_known_by_its_log_key_in_any_position() {
        assert_eq!(detect(r#"{"log": {"entries": []}}"#), InputKind::Har);
        assert_eq!(
            detect(r#"{"_comment": "x", "log": {"entries": []}}"#),
            InputKind::Har
        );
        assert_eq!(
            detect(r#"{"title": "t", "server": {}, "requests": [], "log": 1}"#),
            InputKind::Scenario
        );
        assert_eq!(
            detect(r#"{"x": 1, "tool": "cors-tui"}"#),
            InputKind::SavedTrace
        );
        assert_eq!(detect("[1, 2"), InputKind::Scenario);
    }
}
