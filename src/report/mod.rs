//! Headless views of a trace: plain text and JSON. Both read the same trace; neither re-runs the
//! engine.

pub(crate) mod audit;
pub mod document;
pub mod json;
pub(crate) mod pasteable;
pub mod recording;
pub mod saved;
pub(crate) mod server_snippets;
mod table;
pub mod text;
pub(crate) mod transcript;

use crate::scenario::{Recorder, Scenario, ServerKind};

/// One line per CORS rule (or static answer) describing the server, for reports and the TUI.
pub fn server_lines(scenario: &Scenario) -> Vec<String> {
    let mut lines = server_description(scenario);
    // A replay's source is in its title; a bucket's rules may come from --config.
    if let (Some(source), false) = (
        &scenario.server.rules_from,
        matches!(scenario.server.kind, ServerKind::Recorded { .. }),
    ) {
        lines.insert(1, format!("  rules from {source}"));
    }
    lines
}

fn server_description(scenario: &Scenario) -> Vec<String> {
    // Show the bucket URL as people write it, without the root path's slash.
    let url = crate::scenario::write::server_url(&scenario.server.url);
    if scenario.server.front.is_empty() {
        return origin_description(scenario, url);
    }
    // A stack: each front layer, outermost first, then the origin server behind them.
    let mut lines = Vec::new();
    for layer in &scenario.server.front {
        lines.push(format!("{} at {url}", layer.summary()));
    }
    for (i, line) in origin_description(scenario, url).into_iter().enumerate() {
        lines.push(if i == 0 {
            format!("  in front of: {line}")
        } else {
            format!("  {line}")
        });
    }
    lines
}

fn origin_description(scenario: &Scenario, url: &str) -> Vec<String> {
    match &scenario.server.kind {
        ServerKind::Bucket {
            provider,
            cors: None,
        } => vec![
            format!("{} {url}", provider.server_noun()),
            format!(
                "  no CORS configuration ({})",
                provider.no_rules_behaviour()
            ),
        ],
        ServerKind::Bucket {
            provider,
            cors: Some(config),
        } => {
            let mut lines = vec![format!(
                "{} {url}, {} CORS rule(s), first match wins",
                provider.server_noun(),
                config.rules.len()
            )];
            for (i, rule) in config.rules.iter().enumerate() {
                lines.push(format!(
                    "  rule {}: {}",
                    rule.label(i),
                    rule.summary(*provider)
                ));
            }
            lines
        }
        ServerKind::Recorded {
            by: Recorder::Browser(_),
        } => vec![format!(
            "Recorded answers (each request is answered as the browser recorded it), first URL {url}"
        )],
        ServerKind::Recorded {
            by: Recorder::Probe,
        } => vec![format!(
            "Live answers (each request is answered as the live server answered the probe), first URL {url}"
        )],
        ServerKind::Static {
            preflight,
            actual,
            session,
            ..
        } => {
            let describe = |r: &crate::scenario::CannedResponse| {
                let headers: Vec<String> =
                    r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                if headers.is_empty() {
                    format!("{} (no headers)", r.status)
                } else {
                    format!("{} with {}", r.status, headers.join("; "))
                }
            };
            let mut lines = vec![
                if scenario.server.front.is_empty() {
                    format!("Static server {url}")
                } else {
                    "the function (fixed answers)".to_string()
                },
                match preflight {
                    Some(preflight) => format!("  OPTIONS (preflight) → {}", describe(preflight)),
                    None => "  OPTIONS → the same as other requests".to_string(),
                },
                format!("  other requests → {}", describe(actual)),
            ];
            if let Some(session) = session {
                lines.push(format!(
                    "  without the session cookie {} → {}",
                    session.cookie,
                    describe(&session.logged_out)
                ));
            }
            lines
        }
    }
}
