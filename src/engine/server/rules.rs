//! What the rule-based servers share: trying rules in order and saying how each fared, and a
//! stable per-exchange number for ids.

use std::fmt::Write as _;

use super::{Scripted, canned};
use crate::engine::http::HttpResponse;
use crate::scenario::{CorsConfiguration, CorsRule};

/// First matching rule wins; the text lists how each rule tried fared. `mismatch` says why a
/// rule does not match, or `None` when it does.
pub(crate) fn first_match(
    config: &CorsConfiguration,
    mut mismatch: impl FnMut(&CorsRule) -> Option<String>,
) -> (Option<usize>, String) {
    let mut trail = String::new();
    for (i, rule) in config.rules.iter().enumerate() {
        match mismatch(rule) {
            None => {
                let _ = write!(trail, "Rule {} matches (first match wins).", rule.label(i));
                return (Some(i), trail);
            }
            Some(why) => {
                let _ = write!(trail, "Rule {} does not match: {why}. ", rule.label(i));
            }
        }
    }
    trail.push_str("No rule matches.");
    (None, trail)
}

/// Adds CORS headers to an operation's answer just before its `Server` header, where the
/// services put them.
pub(crate) fn add_before_server(response: &mut HttpResponse, headers: Vec<(String, String)>) {
    let at = response
        .headers
        .iter()
        .position(|(n, _)| n == "Server")
        .unwrap_or(response.headers.len());
    response.headers.splice(at..at, headers);
}

/// The scenario's own answer for the operation (`responses.actual`), under the service's id
/// headers.
pub(crate) fn overridden_operation(
    scripted: Scripted,
    mut ids: Vec<(String, String)>,
) -> (HttpResponse, String) {
    let mut response = canned(scripted.response);
    ids.append(&mut response.headers);
    response.headers = ids;
    let text = text!(
        "The operation answers ",
        response.status,
        " (this request's ",
        scripted.source,
        ")."
    );
    (response, text)
}

/// A stable 64-bit number per exchange (FNV-1a), so generated ids are a pure function of the
/// scenario.
pub(crate) fn stable_id(sequence: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sequence.to_le_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The object name in a URL's path, if any.
pub(crate) fn object_key(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let key = parsed.path().trim_start_matches('/');
    (!key.is_empty()).then(|| key.to_string())
}

/// A plausible Content-Type for an object name.
pub(crate) fn content_type_for(key: &str) -> &'static str {
    let ext = key.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "json" => "application/json",
        "txt" => "text/plain",
        "html" => "text/html",
        "css" => "text/css",
        "js" => "text/javascript",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        _ => "binary/octet-stream",
    }
}
