//! What an audit finds in a layer's configuration. Each kind of layer audits its own, in its
//! module (`cloudfront::audit`, `http_api::audit`, `rest_api::audit`, `function_url::audit`);
//! `analysis::audit` gathers them with what the storage services' rules and the requests show.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Dangerous,
    Broken,
    Noisy,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Dangerous => "dangerous",
            Severity::Broken => "broken",
            Severity::Noisy => "noisy",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// 0-based rule index, when the finding is about one rule.
    pub rule: Option<usize>,
    /// The value the finding is about (an origin, a method…).
    pub subject: String,
    pub title: String,
    pub why: String,
}

/// `text` with its first letter capitalized: a finding's title made from a phrase.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
