//! Input formats beyond the scenario file, each parsed into the types the engine takes.

pub mod apigateway;
pub mod azure;
pub mod cloudformation;
pub mod cloudfront;
pub mod config;
pub mod convert;
pub mod convert_aws;
pub mod har;
pub mod openapi;
pub(crate) mod reading;
pub mod s3;
pub mod saved;
pub mod yaml;

/// A document that deploys layers in front of a function: a CloudFormation or SAM template, or
/// an API Gateway OpenAPI export; None when `text` is neither.
pub fn aws_stacks(
    text: &str,
    file: &str,
) -> Option<Result<cloudformation::Template, crate::scenario::LoadErrors>> {
    cloudformation::load(text, file)
        .or_else(|| openapi::load(text, file))
        .or_else(|| cloudfront::load(text, file))
}

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
    if har::is_har(text) {
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
pub(crate) mod tests {
    use super::*;

    /// A configuration file from `tests/fixtures/configs/`.
    pub(crate) fn config_fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/configs/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

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
