//! A configuration audit: per rule, what is dangerous (matches or shares more than meant), broken
//! (can never work as written) or merely noisy, each with a one-line why. Pure: rules in,
//! findings out.

pub use crate::server::audit::{Finding, Severity};

use crate::engine::{CorsError, Trace};
use crate::scenario::{CorsConfiguration, CorsRule, Field, Provider, Scenario, ServerKind};
use crate::server::s3::glob_match;
use crate::server::{header_entry_matches, origin_entry_matches};

/// Findings on a scenario's bucket and what its requests met: `None` when the server has no
/// rules to audit (static or recorded answers).
pub fn audit_scenario(scenario: &Scenario, trace: &Trace) -> Option<Vec<Finding>> {
    let origin = match &scenario.server.kind {
        ServerKind::Bucket { provider, cors } => {
            Some(audit_bucket(*provider, cors.as_ref(), trace))
        }
        ServerKind::Static { .. } | ServerKind::Recorded { .. } => None,
    };
    if scenario.server.front.is_empty() {
        return origin;
    }
    let mut findings = audit_front(scenario);
    findings.extend(origin.into_iter().flatten());
    findings.sort_by_key(|f| (f.severity, f.rule));
    Some(findings)
}

/// Findings on the layers in front of the origin server.
fn audit_front(scenario: &Scenario) -> Vec<Finding> {
    let answers: Vec<&crate::scenario::CannedResponse> = function_answers(scenario).collect();
    audit_layers(&scenario.server.front, true, &answers)
}

/// Findings on a stack of layers (`whole`: the stack ends at the function, so what the layers
/// lack is known to be missing), given what the function is known to answer: each layer's own
/// audit.
pub fn audit_layers(
    front: &[crate::server::FrontLayer],
    whole: bool,
    answers: &[&crate::scenario::CannedResponse],
) -> Vec<Finding> {
    use crate::server::{FrontLayer, cloudfront, function_url, http_api, rest_api};
    front
        .iter()
        .flat_map(|layer| match layer {
            FrontLayer::CloudFront(layer) => cloudfront::audit::behavior(&layer.behavior),
            FrontLayer::RestApi(api) => rest_api::audit::audit(api, whole),
            FrontLayer::HttpApi { cors, routes, .. } => {
                http_api::audit::audit(cors.as_ref(), routes, answers.iter().copied())
            }
            FrontLayer::FunctionUrl { cors: Some(cors) } => function_url::audit(cors, answers),
            FrontLayer::FunctionUrl { cors: None } => Vec::new(),
        })
        .collect()
}
/// The answers the function behind the layers gives: its fixed one and those scripted per request.
fn function_answers(scenario: &Scenario) -> impl Iterator<Item = &crate::scenario::CannedResponse> {
    scenario
        .requests
        .iter()
        .filter_map(|r| r.responses.actual.as_ref())
        .chain(match &scenario.server.kind {
            ServerKind::Static { actual, .. } => Some(actual),
            _ => None,
        })
}

/// Findings on a bucket's rules (or their absence) and on what the traced requests met.
pub fn audit_bucket(
    provider: Provider,
    cors: Option<&CorsConfiguration>,
    trace: &Trace,
) -> Vec<Finding> {
    let mut findings = match cors {
        Some(config) => audit_rules(provider, config),
        None => vec![Finding {
            severity: Severity::Broken,
            rule: None,
            subject: "cors".to_string(),
            title: format!("the {} has no CORS configuration", provider.server_noun()),
            why: format!(
                "With no rules, {} ({}), so browsers block every cross-origin read.",
                provider.short(),
                provider.no_rules_behaviour()
            ),
        }],
    };
    findings.extend(audit_requests(provider, trace));
    findings.sort_by_key(|f| (f.severity, f.rule));
    findings
}

/// Findings on S3 rules, most severe first, then in rule order.
pub fn audit_s3(config: &CorsConfiguration) -> Vec<Finding> {
    audit_rules(Provider::S3, config)
}

/// Findings on a provider's rules, most severe first, then in rule order.
pub fn audit_rules(provider: Provider, config: &CorsConfiguration) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, rule) in config.rules.iter().enumerate() {
        match provider {
            Provider::S3 => origin_findings(i, rule, config, &mut findings),
            Provider::Gcs | Provider::Azure => {
                whole_origin_findings(provider, i, rule, config, &mut findings)
            }
        }
        if provider == Provider::Gcs {
            gcs_findings(i, rule, &mut findings);
        }
        invisible_character_findings(provider, i, rule, &mut findings);
        if let Some(earlier) = shadowing_rule(provider, config, i) {
            findings.push(Finding {
                severity: Severity::Broken,
                rule: Some(i),
                subject: rule.label(i),
                title: format!("never used: rule {} comes first and matches everything this rule matches", config.rules[earlier].label(earlier)),
                why: format!(
                    "{} uses the first rule that matches, so every request this rule would answer is answered by the earlier one. Move it up or merge the two.",
                    provider.short()
                ),
            });
        }
    }
    findings.sort_by_key(|f| (f.severity, f.rule));
    findings
}

/// Values holding a control, bidi or zero-width character: no browser sends such an origin,
/// method or header name, so the entry never matches; and a bidi override or an escape
/// sequence can make the file read as something it does not say.
fn invisible_character_findings(
    provider: Provider,
    i: usize,
    rule: &CorsRule,
    findings: &mut Vec<Finding>,
) {
    let lists = [
        (Field::Origins, &rule.allowed_origins),
        (Field::Methods, &rule.allowed_methods),
        (Field::AllowedHeaders, &rule.allowed_headers),
        (Field::ExposeHeaders, &rule.expose_headers),
    ];
    for (field, list) in lists {
        for value in list.iter() {
            let Some(c) = value.chars().find(|&c| crate::safe_text::is_unsafe_char(c)) else {
                continue;
            };
            findings.push(Finding {
                severity: Severity::Broken,
                rule: Some(i),
                subject: value.clone(),
                title: format!(
                    "{} entry \"{value}\" holds the invisible character U+{:04X}",
                    provider.field(field),
                    c as u32
                ),
                why: "No browser sends an origin, method or header name with a control, bidi or zero-width character in it, so this entry never matches; and such a character can make the file show something other than what it says. Retype the value.".to_string(),
            });
        }
    }
}

/// Origins for GCS and Azure, which compare whole origins (or `*` alone).
fn whole_origin_findings(
    provider: Provider,
    i: usize,
    rule: &CorsRule,
    config: &CorsConfiguration,
    findings: &mut Vec<Finding>,
) {
    let short = provider.short();
    let field = provider.field(Field::Origins);
    for origin in &rule.allowed_origins {
        let mut push = |severity, title: String, why: String| {
            findings.push(Finding {
                severity,
                rule: Some(i),
                subject: origin.clone(),
                title,
                why,
            });
        };
        let origin_text = origin.trim();
        if origin_text == "*" {
            let why = match provider {
                Provider::Gcs => "Fine for public, uncredentialed content: GCS echoes any origin but sends no Access-Control-Allow-Credentials, so no cookies ride along.".to_string(),
                _ => "Fine for public, uncredentialed content: Azure answers requests with Access-Control-Allow-Origin: * (its preflights echo the origin), and a browser never shares a credentialed response with *.".to_string(),
            };
            push(Severity::Noisy, "\"*\" for public reads".to_string(), why);
        } else if origin_text.contains('*') {
            push(
                Severity::Broken,
                format!("\"{origin_text}\" is not a wildcard for {short}"),
                format!(
                    "{short} compares whole origins and treats only \"*\" alone as a wildcard, so this entry matches no real origin. List each origin in the {field} list."
                ),
            );
        } else if origin_text == "null" {
            let (severity, why) = match provider {
                Provider::Azure => (
                    Severity::Dangerous,
                    "Every sandboxed iframe, data: or file: page on any site sends Origin: null, and Azure echoes it with Access-Control-Allow-Credentials: true.",
                ),
                _ => (
                    Severity::Noisy,
                    "Every sandboxed iframe, data: or file: page on any site sends Origin: null; GCS sends no Access-Control-Allow-Credentials, so only uncredentialed responses are shared.",
                ),
            };
            push(
                severity,
                "allows the null origin".to_string(),
                why.to_string(),
            );
        } else if origin_text.ends_with('/') {
            push(
                Severity::Broken,
                format!("\"{origin_text}\" ends with a slash"),
                "Browsers send origins without a path or trailing slash, so this entry never matches. Drop the slash.".to_string(),
            );
        } else if let Some((severity, title, why)) =
            plain_http_finding(origin_text, config, "the responses", |entry, https| {
                entry.trim() == https
            })
        {
            push(severity, title, why);
        }
    }
}

/// An `http://` origin: dangerous next to its `https://` twin (listed, or matched by a
/// wildcard), noisy when it is this machine. `the_responses` names what an attacker reads;
/// `covers` is whether an entry, as the provider reads it, allows the https:// origin.
fn plain_http_finding(
    origin: &str,
    config: &CorsConfiguration,
    the_responses: &str,
    covers: impl Fn(&str, &str) -> bool,
) -> Option<(Severity, String, String)> {
    let host = origin.strip_prefix("http://")?;
    let https = format!("https://{host}");
    let also_https = config
        .rules
        .iter()
        .any(|r| r.allowed_origins.iter().any(|o| covers(o, &https)));
    if also_https {
        Some((
            Severity::Dangerous,
            format!("allows http:// next to {https}"),
            format!(
                "A network attacker can inject script into the unencrypted http:// page and read {the_responses} as that origin. Drop the http:// origin."
            ),
        ))
    } else if ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|l| host.starts_with(l))
    {
        Some((
            Severity::Noisy,
            "a local development origin".to_string(),
            "Any page served from this machine's port matches. Fine while developing; remove it from production rules.".to_string(),
        ))
    } else {
        None
    }
}

/// GCS's own traps: methods compared exactly, and `responseHeader` doubling as the allowed
/// request headers.
fn gcs_findings(i: usize, rule: &CorsRule, findings: &mut Vec<Finding>) {
    let mut push = |severity, subject: String, title: String, why: String| {
        findings.push(Finding {
            severity,
            rule: Some(i),
            subject,
            title,
            why,
        });
    };
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        push(
            Severity::Broken,
            rule.label(i),
            "an entry without origin or method never matches".to_string(),
            "GCS stores it, but a request needs both its origin and its method listed.".to_string(),
        );
    }
    for method in &rule.allowed_methods {
        if method != "*" && *method != method.to_ascii_uppercase() {
            push(
                Severity::Broken,
                method.clone(),
                format!("method \"{method}\" is not upper case"),
                "Browsers send methods upper case (GET, PUT) and GCS compares them exactly, so this entry never matches.".to_string(),
            );
        }
    }
    let uploads = rule
        .allowed_methods
        .iter()
        .any(|m| matches!(m.as_str(), "PUT" | "POST" | "PATCH" | "*"));
    let lists_content_type = rule
        .expose_headers
        .iter()
        .any(|h| h.trim() == "*" || h.trim().eq_ignore_ascii_case("content-type"));
    if uploads && !lists_content_type {
        push(
            Severity::Broken,
            "responseHeader".to_string(),
            "uploads allowed but Content-Type is not in responseHeader".to_string(),
            "An upload with Content-Type: application/json (or any type but the three form types) is preflighted, and GCS's Access-Control-Allow-Headers is exactly responseHeader; without Content-Type there the browser blocks it.".to_string(),
        );
    }
}

fn origin_findings(
    i: usize,
    rule: &CorsRule,
    config: &CorsConfiguration,
    findings: &mut Vec<Finding>,
) {
    let writes = rule
        .allowed_methods
        .iter()
        .any(|m| matches!(m.as_str(), "PUT" | "POST" | "DELETE"));
    for origin in &rule.allowed_origins {
        let mut push = |severity, title: String, why: String| {
            findings.push(Finding {
                severity,
                rule: Some(i),
                subject: origin.clone(),
                title,
                why,
            });
        };
        if origin == "*" {
            if writes {
                push(
                    Severity::Noisy,
                    "\"*\" lets every site send writes from a browser".to_string(),
                    format!(
                        "S3 answers Access-Control-Allow-Origin: * (never with credentials), so any page may send {} here; that is harmless only while the bucket policy requires signed requests.",
                        rule.allowed_methods.join("/")
                    ),
                );
            } else {
                push(
                    Severity::Noisy,
                    "\"*\" for public reads".to_string(),
                    "Fine for public, uncredentialed content: S3 answers * without Access-Control-Allow-Credentials, so no cookies ride along and nothing private is shared.".to_string(),
                );
            }
            continue;
        }
        if origin == "null" {
            push(
                Severity::Dangerous,
                "allows the null origin".to_string(),
                "Every sandboxed iframe, data: or file: page on any site sends Origin: null, and S3 echoes it with Access-Control-Allow-Credentials: true.".to_string(),
            );
            continue;
        }
        if let Some(star) = origin.find('*') {
            let (before, after) = (&origin[..star], &origin[star + 1..]);
            if after.is_empty() {
                let example = format!("{before}evil.example");
                push(
                    Severity::Dangerous,
                    format!("\"{origin}\" matches any origin that starts with {before}"),
                    format!(
                        "S3's * matches any run of characters, so {example} matches too, and S3 echoes it with Access-Control-Allow-Credentials: true: any such site can read responses with the user's cookies."
                    ),
                );
            } else if before.ends_with("://") && !after.starts_with('.') {
                let example = format!("{before}evil{after}");
                push(
                    Severity::Dangerous,
                    format!("\"{origin}\" matches more than its domain"),
                    format!(
                        "S3's * matches any run of characters, dots included, so {example} matches too. Write {before}*.{} to allow only subdomains.",
                        after.trim_start_matches('.')
                    ),
                );
            } else if before.ends_with("://") && after.starts_with('.') {
                push(
                    Severity::Noisy,
                    format!("\"{origin}\" trusts every subdomain"),
                    format!(
                        "Any host under {} matches, and S3 echoes it with Access-Control-Allow-Credentials: true: a forgotten subdomain someone has taken over, or a cross-site scripting flaw on any of them, reads responses with the user's cookies. List the subdomains that need it.",
                        after.trim_start_matches('.')
                    ),
                );
            } else if !before.contains("://") {
                push(
                    Severity::Dangerous,
                    format!("\"{origin}\" puts the wildcard in the scheme"),
                    format!(
                        "This matches http:// as well as https:// (and any other scheme) for {after}: an attacker on the network can serve the http:// page."
                    ),
                );
            }
        }
        if let Some((severity, title, why)) =
            plain_http_finding(origin, config, "the bucket's responses", |entry, https| {
                glob_match(entry, https, false)
            })
        {
            push(severity, title, why);
        }
    }
}

/// Whether pattern `wide` matches every value pattern `narrow` can match.
fn pattern_covers(wide: &str, narrow: &str, ignore_case: bool) -> bool {
    if wide == "*" || wide == narrow || (ignore_case && wide.eq_ignore_ascii_case(narrow)) {
        return true;
    }
    // A literal is covered when the wider glob matches it; a glob only by an equal or total one.
    !narrow.contains('*') && glob_match(wide, narrow, ignore_case)
}

/// The first earlier rule that matches every request rule `index` could match.
fn shadowing_rule(provider: Provider, config: &CorsConfiguration, index: usize) -> Option<usize> {
    let rule = &config.rules[index];
    let origin_covered = |wide: &str, narrow: &str| match provider {
        Provider::S3 => pattern_covers(wide, narrow, false),
        _ => origin_entry_matches(provider, wide, narrow),
    };
    let header_covered = |wide: &str, narrow: &str| match provider {
        Provider::S3 => pattern_covers(wide, narrow, true),
        _ => {
            wide.trim() == "*"
                || (!narrow.contains('*') && header_entry_matches(provider, wide, narrow))
                || wide.trim().eq_ignore_ascii_case(narrow.trim())
        }
    };
    config.rules[..index].iter().position(|earlier| {
        !rule.allowed_origins.is_empty()
            && rule.allowed_origins.iter().all(|o| {
                earlier
                    .allowed_origins
                    .iter()
                    .any(|e| origin_covered(e, o))
            })
            && rule.allowed_methods.iter().all(|m| {
                earlier
                    .allowed_methods
                    .iter()
                    .any(|e| e == m || (provider == Provider::Gcs && e == "*"))
            })
            // GCS picks a rule by origin and method only.
            && (provider == Provider::Gcs
                || rule.allowed_headers.iter().all(|h| {
                    earlier
                        .allowed_headers
                        .iter()
                        .any(|e| header_covered(e, h))
                }))
    })
}

/// Findings that need the scenario's requests: a `*` rule answering credentialed requests.
pub fn audit_requests(provider: Provider, trace: &Trace) -> Vec<Finding> {
    let short = provider.short();
    trace
        .requests
        .iter()
        .filter(|r| matches!(r.cors_error, Some(CorsError::WildcardOriginNotAllowed | CorsError::PreflightWildcardOriginNotAllowed)))
        .map(|r| Finding {
            severity: Severity::Broken,
            rule: r.matched_rule,
            subject: format!("request #{}", r.index),
            title: format!("\"*\" answers a request sent with credentials (request #{})", r.index),
            why: format!("A rule listing \"*\" makes {short} answer Access-Control-Allow-Origin: * without credentials support, and a browser refuses * for credentials: 'include'. List the exact origin ({short} then echoes it and adds Access-Control-Allow-Credentials: true)."),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CorsRule {
            id: None,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            expose_headers: vec![],
            max_age_seconds: None,
        }
    }

    fn audit(rules: Vec<CorsRule>) -> Vec<(Severity, String)> {
        audit_s3(&CorsConfiguration { rules })
            .into_iter()
            .map(|f| (f.severity, f.title))
            .collect()
    }

    fn severities(rules: Vec<CorsRule>) -> Vec<Severity> {
        audit(rules).into_iter().map(|f| f.0).collect()
    }

    #[test]
    fn an_http_api_is_judged_by_its_routes_its_entries_and_its_function() {
        let text = r#"{"server": {"url": "https://a1.execute-api.us-east-1.amazonaws.com", "layers": [
            {"type": "http_api",
             "cors": {"AllowOrigins": ["https://*.app.example", "https://app.example/", "https://a.example,https://b.example"], "MaxAge": 86400},
             "routes": [{"RouteKey": "$default", "AuthorizationType": "JWT"}, {"RouteKey": "GET /open"}]},
            {"type": "static", "actual": {"status": 200, "headers": {"Access-Control-Allow-Origin": "https://admin.example"}}}]},
          "requests": [{"origin": "https://app.example", "url": "https://a1.execute-api.us-east-1.amazonaws.com/open"}]}"#;
        let scenario = match crate::scenario::load_str(text, "t.json") {
            Ok(scenario) => scenario,
            Err(e) => panic!("{e:?}"),
        };
        let trace = crate::engine::run(&scenario, crate::scenario::BrowserProfile::Chromium);
        let found: Vec<(Severity, String)> = audit_scenario(&scenario, &trace)
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.severity, f.title))
            .collect();
        let broken = |title: &str| (Severity::Broken, title.to_string());
        assert_eq!(
            found,
            [
                broken("route $default takes preflights to its JWT authorizer"),
                broken(
                    "AllowOrigins entry 'https://a.example,https://b.example' lists several origins in one"
                ),
                broken(
                    "AllowOrigins entry 'https://*.app.example' is not a wildcard API Gateway documents"
                ),
                broken("AllowOrigins entry 'https://app.example/' is not an origin"),
                broken("the function sets Access-Control-Allow-Origin, which API Gateway drops"),
                (
                    Severity::Noisy,
                    "MaxAge 86400 is longer than Chromium keeps a preflight".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_rest_api_is_judged_by_its_options_methods_and_gateway_responses() {
        let layer = |resources: &str, responses: &str| {
            format!(
                r#"{{"server": {{"url": "https://r4.execute-api.us-east-1.amazonaws.com", "layers": [
                {{"type": "rest_api", "resources": {resources}, "gatewayResponses": {responses}}},
                {{"type": "static", "actual": {{"status": 200}}}}]}},
              "requests": [{{"origin": "https://app.example", "url": "https://r4.execute-api.us-east-1.amazonaws.com/a"}}]}}"#
            )
        };
        let titles = |text: String| -> Vec<String> {
            let scenario = match crate::scenario::load_str(&text, "t.json") {
                Ok(scenario) => scenario,
                Err(e) => panic!("{e:?}"),
            };
            let trace = crate::engine::run(&scenario, crate::scenario::BrowserProfile::Chromium);
            audit_scenario(&scenario, &trace)
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.title)
                .collect()
        };
        let guarded = r#"[{"path": "/a", "resourceMethods": {
            "GET": {"authorizationType": "CUSTOM", "methodIntegration": {"type": "AWS_PROXY"}},
            "OPTIONS": {"authorizationType": "CUSTOM", "methodIntegration": {"type": "MOCK"}}}},
            {"path": "/b", "resourceMethods": {"DELETE": {"methodIntegration": {"type": "AWS_PROXY"}}}}]"#;
        assert_eq!(
            titles(layer(guarded, "[]")),
            [
                "OPTIONS /a refuses preflights with its CUSTOM authorizer",
                "/b has no OPTIONS method for its preflighted methods",
                "the authorizer's 401 and 403 will reach the page as CORS errors",
            ]
        );
        let dressed = r#"[{"responseType": "DEFAULT_4XX", "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}]"#;
        assert_eq!(titles(layer(guarded, dressed)).len(), 2);
        let star = r#"[{"path": "/a", "resourceMethods": {"OPTIONS": {"methodIntegration": {"type": "MOCK",
            "integrationResponses": {"200": {"responseParameters": {
                "method.response.header.Access-Control-Allow-Origin": "'*'",
                "method.response.header.Access-Control-Allow-Credentials": "'true'"}}}}}}}]"#;
        assert_eq!(
            titles(layer(star, "[]")),
            ["OPTIONS /a answers '*' with credentials allowed"]
        );
    }

    #[test]
    fn suffix_wildcard_without_a_dot_is_dangerous_and_with_a_dot_is_noisy() {
        let bad = audit(vec![rule(&["https://*example.com"], &["GET"], &[])]);
        assert_eq!(bad[0].0, Severity::Dangerous);
        assert!(bad[0].1.contains("matches more than its domain"));
        let subdomains = audit(vec![rule(&["https://*.example.com"], &["GET"], &[])]);
        assert_eq!(subdomains.len(), 1);
        assert_eq!(subdomains[0].0, Severity::Noisy);
        assert!(subdomains[0].1.contains("trusts every subdomain"));
    }

    #[test]
    fn http_beside_a_wildcard_that_covers_its_https_twin_is_dangerous() {
        let bad = audit(vec![rule(
            &["https://*.example.com", "http://app.example.com"],
            &["GET"],
            &[],
        )]);
        assert!(
            bad.iter()
                .any(|(s, t)| *s == Severity::Dangerous && t.contains("allows http:// next to")),
            "{bad:?}"
        );
        let alone = audit(vec![rule(&["http://app.example.com"], &["GET"], &[])]);
        assert!(alone.is_empty(), "{alone:?}");
    }

    #[test]
    fn trailing_wildcard_echoes_any_origin_with_that_prefix() {
        let found = audit(vec![rule(&["https://*"], &["GET"], &[])]);
        assert_eq!(found[0].0, Severity::Dangerous);
        let prefix = audit(vec![rule(&["https://app.example*"], &["GET"], &[])]);
        assert_eq!(prefix[0].0, Severity::Dangerous);
        assert!(severities(vec![rule(&["https://app.example"], &["GET"], &[])]).is_empty());
    }

    #[test]
    fn null_and_http_downgrade_are_dangerous() {
        assert_eq!(
            severities(vec![rule(&["null"], &["GET"], &[])]),
            vec![Severity::Dangerous]
        );
        assert_eq!(
            severities(vec![rule(
                &["https://app.example", "http://app.example"],
                &["GET"],
                &[]
            )]),
            vec![Severity::Dangerous]
        );
        assert!(
            severities(vec![rule(&["http://legacy.example"], &["GET"], &[])]).is_empty(),
            "http alone is not a downgrade"
        );
        assert_eq!(
            severities(vec![rule(&["http://localhost:3000"], &["GET"], &[])]),
            vec![Severity::Noisy]
        );
    }

    #[test]
    fn star_for_public_reads_is_noisy_not_dangerous() {
        let found = audit(vec![rule(&["*"], &["GET", "HEAD"], &[])]);
        assert_eq!(
            found,
            vec![(Severity::Noisy, "\"*\" for public reads".to_string())]
        );
    }

    #[test]
    fn shadowed_rules_are_broken_and_partial_overlap_is_not() {
        let shadowed = severities(vec![
            rule(&["*"], &["GET", "PUT"], &["*"]),
            rule(&["https://a.example"], &["GET"], &["Content-Type"]),
        ]);
        assert!(shadowed.contains(&Severity::Broken));
        let reachable = severities(vec![
            rule(&["*"], &["GET"], &[]),
            rule(&["https://a.example"], &["GET", "PUT"], &[]),
        ]);
        assert!(
            !reachable.contains(&Severity::Broken),
            "PUT only reaches the second rule"
        );
        let headers = severities(vec![
            rule(&["*"], &["GET"], &[]),
            rule(&["https://a.example"], &["GET"], &["x-amz-*"]),
        ]);
        assert!(
            !headers.contains(&Severity::Broken),
            "requests with x-amz headers reach the second rule"
        );
    }

    fn titles(provider: Provider, rules: Vec<CorsRule>) -> Vec<(Severity, String)> {
        audit_rules(provider, &CorsConfiguration { rules })
            .into_iter()
            .map(|f| (f.severity, f.title))
            .collect()
    }

    #[test]
    fn whole_origin_providers_flag_partial_wildcards_and_weigh_null_by_credentials() {
        for provider in [Provider::Gcs, Provider::Azure] {
            let partial = titles(
                provider,
                vec![rule(&["https://*.a.example"], &["GET"], &[])],
            );
            assert_eq!(partial[0].0, Severity::Broken, "{provider:?}");
            assert!(partial[0].1.contains("is not a wildcard"));
            let exact = titles(provider, vec![rule(&["https://a.example"], &["GET"], &[])]);
            assert!(exact.is_empty(), "{provider:?}: {exact:?}");
        }
        // Azure echoes null with credentials; GCS never sends credentials.
        let azure = titles(Provider::Azure, vec![rule(&["null"], &["GET"], &[])]);
        assert_eq!(azure[0].0, Severity::Dangerous);
        let gcs = titles(Provider::Gcs, vec![rule(&["null"], &["GET"], &[])]);
        assert_eq!(gcs[0].0, Severity::Noisy);
    }

    #[test]
    fn gcs_uploads_need_content_type_in_response_header_and_methods_in_upper_case() {
        let mut upload = rule(&["https://a.example"], &["GET", "PUT"], &[]);
        let missing = titles(Provider::Gcs, vec![upload.clone()]);
        assert_eq!(
            missing,
            [(
                Severity::Broken,
                "uploads allowed but Content-Type is not in responseHeader".to_string()
            )]
        );
        upload.expose_headers = vec!["Content-Type".to_string()];
        assert!(titles(Provider::Gcs, vec![upload]).is_empty());
        let lower = titles(
            Provider::Gcs,
            vec![rule(&["https://a.example"], &["get"], &[])],
        );
        assert_eq!(lower[0].1, "method \"get\" is not upper case");
        // The same rules mean nothing special to S3.
        assert!(
            titles(
                Provider::S3,
                vec![rule(&["https://a.example"], &["GET", "PUT"], &[])]
            )
            .is_empty()
        );
    }

    #[test]
    fn shadowing_follows_each_providers_matching() {
        // Azure's prefix x-ms-meta-* covers x-ms-meta-a; GCS ignores headers when choosing.
        let wide = rule(&["https://a.example"], &["GET"], &["x-ms-meta-*"]);
        let narrow = rule(&["https://a.example"], &["GET"], &["x-ms-meta-a"]);
        let azure = titles(Provider::Azure, vec![wide.clone(), narrow.clone()]);
        assert!(
            azure.iter().any(|t| t.1.starts_with("never used")),
            "{azure:?}"
        );
        let reversed = titles(Provider::Azure, vec![narrow, wide]);
        assert!(
            !reversed.iter().any(|t| t.1.starts_with("never used")),
            "{reversed:?}"
        );
    }
}
