//! An API Gateway HTTP API's audit: its CorsConfiguration and routes.

use crate::server::audit::{Finding, Severity};

/// Findings on an API Gateway HTTP API: routes that take preflights to an authorizer, entries
/// that can never match, and CORS headers the function sets in vain (`answers`: what the
/// function is known to answer, if anything).
pub fn audit<'a>(
    cors: Option<&crate::server::http_api::Cors>,
    routes: &[crate::server::http_api::Route],
    mut answers: impl Iterator<Item = &'a crate::server::stack::CannedResponse>,
) -> Vec<Finding> {
    use crate::server::http_api::Authorization;
    let mut findings = Vec::new();
    let finding = |severity, subject: &str, title: String, why: String| Finding {
        severity,
        rule: None,
        subject: subject.to_string(),
        title,
        why,
    };
    // Without CorsConfiguration the function must answer the preflight, and the authorizer
    // refuses it before it can: the same finding either way.
    for route in routes {
        if route.authorization != Authorization::None && route.takes_options() {
            findings.push(finding(
                Severity::Broken,
                &route.key,
                format!(
                    "route {} takes preflights to its {} authorizer",
                    route.key,
                    route.authorization.name()
                ),
                format!(
                    "A route that matches OPTIONS takes the preflight before API Gateway's own CORS answer (documented), and a browser never sends Authorization on a preflight, so the authorizer refuses every preflight it sees and the browser blocks the request. Add a route OPTIONS {} with AuthorizationType NONE.",
                    route.key.split_once(' ').map_or("/{proxy+}", |(_, path)| path)
                ),
            ));
        }
    }
    let Some(cors) = cors else {
        return findings;
    };
    for origin in cors.allow_origins.iter().filter(|e| e.contains(',')) {
        findings.push(finding(
            Severity::Broken,
            origin,
            format!("AllowOrigins entry '{origin}' lists several origins in one"),
            "API Gateway compares each entry with the request's Origin whole, so this one matches nothing a browser sends: list each origin as its own entry.".to_string(),
        ));
    }
    for (key, entries) in [
        ("AllowHeaders", &cors.allow_headers),
        ("ExposeHeaders", &cors.expose_headers),
    ] {
        for entry in entries.iter().filter(|e| e.contains(',')) {
            findings.push(finding(
                Severity::Noisy,
                entry,
                format!("{key} entry '{entry}' lists several headers in one"),
                format!("It works only because API Gateway joins {key} with commas on the wire (inferred); the console and every tool show it as one odd name. List each header as its own entry."),
            ));
        }
    }
    for origin in &cors.allow_origins {
        // A list typed into one entry is reported above.
        let documented =
            matches!(origin.as_str(), "*" | "https://*" | "http://*") || origin.contains(',');
        if !documented && origin.contains('*') {
            findings.push(finding(
                Severity::Broken,
                origin,
                format!("AllowOrigins entry '{origin}' is not a wildcard API Gateway documents"),
                "API Gateway documents only \"*\", \"https://*\" and \"http://*\"; cors-tui compares any other entry whole, so it matches no browser Origin (inferred: no source shows a partial wildcard working). List each origin.".to_string(),
            ));
        } else if !documented
            && url::Url::parse(origin).is_ok_and(|url| url.path() != "/" || origin.ends_with('/'))
        {
            findings.push(finding(
                Severity::Broken,
                origin,
                format!("AllowOrigins entry '{origin}' is not an origin"),
                "A browser's Origin is scheme, host and port, never a path or a trailing slash, so this entry matches nothing.".to_string(),
            ));
        }
    }
    if let Some(age) = cors.max_age.filter(|age| *age > 7200) {
        findings.push(finding(
            Severity::Noisy,
            "MaxAge",
            format!("MaxAge {age} is longer than Chromium keeps a preflight"),
            "Chromium caches a preflight for 2 hours at most (Firefox 24 hours): the rest is never used.".to_string(),
        ));
    }
    let own = answers.find_map(|answer| {
        answer
            .headers
            .iter()
            .find(|(name, _)| crate::server::http_api::is_cors_header(name))
            .map(|(name, _)| name.clone())
    });
    if let Some(name) = own {
        findings.push(finding(
            Severity::Broken,
            &name,
            format!("the function sets {name}, which API Gateway drops"),
            "With CorsConfiguration set, API Gateway ignores the CORS headers an integration returns and sends its own (documented): whatever the function decides (another origin, credentials) never reaches the browser. Change CorsConfiguration instead, or remove it and let the function answer CORS, OPTIONS included.".to_string(),
        ));
    }
    findings.sort_by_key(|f| f.severity);
    findings
}
