//! A saved trace — `cors-tui --json` output — opened again as it was, without re-simulating,
//! so a teacher can prepare a run and share it.

use serde::Deserialize;

use crate::engine::Trace;
use crate::report::document::{RequestDoc, StepDoc, Variables};
use crate::scenario::recording::{Recording, Skipped};
use crate::scenario::{BrowserProfile, LoadError, LoadErrors, Scenario, load_str, serde_error};

/// The document as `report::json` writes it; the steps and requests in the same types.
#[derive(Deserialize)]
struct Document<'a> {
    tool: String,
    title: String,
    description: String,
    browser: BrowserProfile,
    #[serde(borrow)]
    requests: Vec<RequestDoc<'a>>,
    #[serde(borrow)]
    steps: Vec<StepDoc<'a>>,
    initial_variables: Variables<'a>,
    #[serde(default)]
    recording: Option<RecordingDoc>,
    scenario: serde_json::Value,
}

#[derive(Deserialize)]
struct RecordingDoc {
    entries: usize,
    skipped: Vec<Skipped>,
}

/// Whether `text` is a saved trace: a JSON object whose first key is `"tool"`.
pub fn is_saved_trace(text: &str) -> bool {
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    body.strip_prefix('{')
        .map(|rest| {
            rest.trim_start_matches([' ', '\t', '\r', '\n'])
                .starts_with("\"tool\"")
        })
        .unwrap_or(false)
}

fn problem(file: &str, key: &str, message: impl Into<String>) -> LoadErrors {
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line: 1,
        column: 1,
        key: key.to_string(),
        message: message.into(),
    }])
}

/// Reads a saved trace, the scenario it was made from and, for a replayed recording, what the
/// browser recorded.
pub fn load_saved_trace(
    text: &str,
    file: &str,
) -> Result<(Scenario, Trace, Option<Recording>), LoadErrors> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let doc: Document = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = err.path().to_string();
        LoadErrors(vec![serde_error(file, &key, err.inner())])
    })?;
    if doc.tool != "cors-tui" {
        return Err(problem(
            file,
            "tool",
            format!("not a cors-tui trace (tool \"{}\")", doc.tool),
        ));
    }
    let scenario_text = serde_json::to_string(&doc.scenario).unwrap_or_default();
    let scenario = load_str(&scenario_text, &format!("{file} (its scenario)"))?;
    let initial_variables = doc.initial_variables.0.into_owned();
    let mut steps = Vec::with_capacity(doc.steps.len());
    for (i, s) in doc.steps.into_iter().enumerate() {
        let key = format!("steps[{i}]");
        if s.n != i + 1 || s.request == 0 || s.request > doc.requests.len() {
            return Err(problem(
                file,
                &key,
                "steps must count from 1 and point at a request",
            ));
        }
        steps.push(s.into_step());
    }
    let mut requests = Vec::with_capacity(doc.requests.len());
    let mut recorded = Vec::new();
    for (i, r) in doc.requests.into_iter().enumerate() {
        let key = format!("requests[{i}]");
        let [first, last] = r.steps;
        if r.index != i + 1 || first == 0 || first > last + 1 || last > steps.len() {
            return Err(problem(
                file,
                &key,
                "index must count from 1 and steps must lie within the trace",
            ));
        }
        if steps[first - 1..last]
            .iter()
            .any(|s| s.exchange.is_some_and(|e| e >= r.exchanges.len()))
        {
            return Err(problem(
                file,
                &key,
                "a step points at an exchange the request does not have",
            ));
        }
        let (record, rec) = r.into_record();
        if let Some(rec) = rec {
            recorded.push(rec);
        }
        requests.push(record);
    }
    if steps.iter().any(|s| {
        requests
            .get(s.request - 1)
            .is_none_or(|r| !r.steps.contains(&(s.n - 1)))
    }) {
        return Err(problem(
            file,
            "steps",
            "a step lies outside its request's steps",
        ));
    }
    if scenario.requests.len() != requests.len() {
        return Err(problem(
            file,
            "scenario",
            "the scenario and the trace list different numbers of requests",
        ));
    }
    let recording = match doc.recording {
        Some(r) if recorded.len() == requests.len() => Some(Recording {
            recorded,
            entries: r.entries,
            skipped: r.skipped,
        }),
        Some(_) => {
            return Err(problem(
                file,
                "requests",
                "a replayed recording needs `recorded` on every request",
            ));
        }
        None => None,
    };
    let trace = Trace {
        title: doc.title,
        description: doc.description,
        profile: doc.browser,
        initial_variables,
        requests,
        steps,
    };
    Ok((scenario, trace, recording))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use crate::scenario::BUILTIN_BASIC;

    #[test]
    fn a_saved_trace_reads_back_to_the_same_trace() {
        let Ok(scenario) = load_str(BUILTIN_BASIC, "basic.json") else {
            panic!("loads")
        };
        let trace = engine::run(&scenario, BrowserProfile::Standard);
        let mut json = Vec::new();
        if let Err(e) = crate::report::json::write(&mut json, &scenario, &trace, None, false) {
            panic!("{e}");
        }
        let text = String::from_utf8(json).unwrap_or_default();
        assert!(is_saved_trace(&text));
        let Ok((again, reread, _)) = load_saved_trace(&text, "saved.json") else {
            panic!("reads")
        };
        // The trace read back holds its steps' words as written: it writes the same bytes.
        let mut rewritten = Vec::new();
        if let Err(e) = crate::report::json::write(&mut rewritten, &again, &reread, None, false) {
            panic!("{e}");
        }
        assert_eq!(String::from_utf8(rewritten).unwrap_or_default(), text);
        assert_eq!(reread.requests, trace.requests);
        assert_eq!(again, scenario);
    }

    #[test]
    fn a_damaged_trace_is_bad_input_not_a_panic() {
        let broken = r#"{"tool": "cors-tui", "title": "t", "description": "", "browser": "chromium", "requests": [], "steps": [{"n": 1, "request": 3}], "initial_variables": {}, "scenario": {}}"#;
        assert!(load_saved_trace(broken, "x").is_err());
        assert!(load_saved_trace(r#"{"tool": "other"}"#, "x").is_err());
    }
}
