//! A configuration audit: per rule, what is dangerous (matches or shares more than meant), broken
//! (can never work as written) or merely noisy, each with a one-line why. Pure: rules in,
//! findings out.

use serde::Serialize;

use crate::engine::{CorsError, Trace};
use crate::scenario::{CorsConfiguration, CorsRule, Field, Provider, Scenario, ServerKind};
use crate::server::s3::glob_match;
use crate::server::{header_entry_matches, origin_entry_matches};

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

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Findings on a CloudFront policy given alone: what it settles whatever behavior it is
/// attached to.
pub fn audit_cloudfront_policy(policy: &crate::server::cloudfront::Policy) -> Vec<Finding> {
    use crate::server::cloudfront::Policy;
    let Policy::ResponseHeaders(headers, _) = policy else {
        return Vec::new();
    };
    match &headers.cors {
        Some(cors) if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") => {
            vec![Finding {
                severity: Severity::Broken,
                rule: None,
                subject: "*".to_string(),
                title: "the response headers policy allows every origin with credentials"
                    .to_string(),
                why: format!(
                    "{} sends Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true; browsers refuse that pair for a request with credentials. List the origins instead.",
                    headers.name
                ),
            }]
        }
        _ => Vec::new(),
    }
}

/// Findings on a CloudFront cache behavior, in CloudFront's terms
/// (`shared/reference/aws-cors-surfaces.md` §4).
fn audit_cloudfront(behavior: &crate::server::cloudfront::Behavior) -> Vec<Finding> {
    let finding = |severity, subject: &str, title: &str, why: String| Finding {
        severity,
        rule: None,
        subject: subject.to_string(),
        title: title.to_string(),
        why,
    };
    let mut findings = Vec::new();
    let cache = &behavior.cache;
    let cors = behavior
        .response_headers
        .as_ref()
        .and_then(|p| Some((p.name.clone(), p.cors.as_ref()?)));
    // A policy that overrides the origin adds the CORS headers per request, cached or not.
    let policy_decides = cors.as_ref().is_some_and(|(_, c)| c.origin_override);
    let in_key = cache.headers.covers("Origin");
    let forwarded = behavior.forwards_header("Origin");
    if cache.caches() && !in_key && !policy_decides {
        if forwarded {
            findings.push(finding(
                Severity::Broken,
                "Origin",
                "Origin is forwarded but not in the cache key",
                format!(
                    "{} keys on the path{} only, while the origin's answer depends on Origin. The first answer stored is replayed to every request at that edge until it expires: after an <img> without crossorigin, curl or a crawler (no Origin), every fetch() gets an answer without Access-Control-Allow-Origin; after one site's fetch(), another site gets the first site's origin. Put Origin in the cache key (a custom cache policy), or add the headers with a response headers policy.",
                    capitalized(&cache.described()),
                    if cache.gzip || cache.brotli { " and Accept-Encoding" } else { "" }
                ),
            ));
        } else {
            findings.push(finding(
                Severity::Broken,
                "Origin",
                "the origin never sees Origin",
                format!(
                    "Neither {} nor an origin request policy includes Origin, so CloudFront strips it: a bucket or server behind it answers as if no page asked, without CORS headers, and that answer is cached for everyone. Put Origin in the cache key, or add the headers with a response headers policy.",
                    cache.described()
                ),
            ));
        }
    }
    if let Some((name, cors)) = &cors
        && !cors.origin_override
        && cache.caches()
        && !in_key
        && forwarded
    {
        findings.push(finding(
            Severity::Broken,
            "OriginOverride",
            "the origin's own Access-Control-Allow-Origin wins over the policy's",
            format!(
                "The response headers policy {name} has OriginOverride false, so where the origin sent a CORS header CloudFront keeps it; with Origin out of the cache key that header was made for whichever request came first. Set OriginOverride true, or put Origin in the cache key."
            ),
        ));
    }
    if !behavior.allows("OPTIONS") {
        findings.push(finding(
            Severity::Broken,
            "OPTIONS",
            "OPTIONS is not an allowed method",
            format!(
                "The behavior allows only {}: every preflight (a PUT or DELETE, a JSON POST, a custom header) gets CloudFront's own 403 page, without CORS headers. Allow GET, HEAD, OPTIONS.",
                behavior.allowed_methods.join(", ")
            ),
        ));
    }
    if behavior.cached_options
        && !policy_decides
        && !(cache.headers.covers("Access-Control-Request-Method")
            && cache.headers.covers("Access-Control-Request-Headers")
            && in_key)
    {
        findings.push(finding(
            Severity::Broken,
            "OPTIONS",
            "preflight answers are cached without the preflight's headers in the key",
            "OPTIONS is cached, but Origin, Access-Control-Request-Method and Access-Control-Request-Headers are not all in the cache key: the first preflight's answer is replayed to preflights from other origins or asking for other methods and headers. Put all three in the cache key, or do not cache OPTIONS.".to_string(),
        ));
    }
    if let Some((name, cors)) = &cors
        && cors.allow_credentials
        && cors.allow_origins.iter().any(|o| o == "*")
    {
        findings.push(finding(
            Severity::Broken,
            "*",
            "the response headers policy allows every origin with credentials",
            format!(
                "{name} sends Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true; browsers refuse that pair for a request with credentials. List the origins instead."
            ),
        ));
    }
    if cache.legacy && cache.headers == crate::server::cloudfront::Selection::All {
        findings.push(finding(
            Severity::Noisy,
            "*",
            "every header is forwarded, so nothing is cached",
            "The legacy setting that forwards all headers turns caching off for this behavior: CORS works, at the cost of every request reaching the origin.".to_string(),
        ));
    }
    findings
}

/// Findings on a stack of layers (`whole`: the stack ends at the function, so what the layers
/// lack is known to be missing), given what the function is known to answer.
pub fn audit_layers(
    front: &[crate::server::FrontLayer],
    whole: bool,
    answers: &[&crate::scenario::CannedResponse],
) -> Vec<Finding> {
    use crate::server::FrontLayer;
    let mut findings = Vec::new();
    for layer in front {
        if let FrontLayer::CloudFront(cloudfront) = layer {
            findings.extend(audit_cloudfront(&cloudfront.behavior));
            continue;
        }
        if let FrontLayer::RestApi(api) = layer {
            findings.extend(audit_rest_api(api, whole));
            continue;
        }
        if let FrontLayer::HttpApi { cors, routes, .. } = layer {
            findings.extend(audit_http_api(
                cors.as_ref(),
                routes,
                answers.iter().copied(),
            ));
            continue;
        }
        let FrontLayer::FunctionUrl { cors: Some(cors) } = layer else {
            continue;
        };
        let finding = |severity, subject: &str, title: String, why: &str| Finding {
            severity,
            rule: None,
            subject: subject.to_string(),
            title,
            why: why.to_string(),
        };
        if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
            findings.push(finding(
                Severity::Dangerous,
                "*",
                "the function URL allows every origin with credentials".to_string(),
                "AllowOrigins \"*\" with AllowCredentials true: the Lambda API accepts it, and the URL reflects each page's Origin rather than sending \"*\" (inferred from two observations), so any site's scripts can read answers made with the user's cookies.",
            ));
        }
        for (key, entries) in [
            ("AllowHeaders", &cors.allow_headers),
            ("ExposeHeaders", &cors.expose_headers),
        ] {
            for entry in entries.iter().filter(|e| e.contains(',')) {
                findings.push(finding(
                    Severity::Broken,
                    entry,
                    format!("{key} entry '{entry}' lists several headers in one"),
                    "The Lambda API accepts it, but it is one header name with commas in it (observed): list each header as its own entry.",
                ));
            }
        }
        if let Some(age) = cors.max_age.filter(|age| *age > 7200) {
            findings.push(finding(
                Severity::Noisy,
                "MaxAge",
                format!("MaxAge {age} is longer than Chromium keeps a preflight"),
                "Chromium caches a preflight for 2 hours at most (Firefox 24 hours): the rest is never used.",
            ));
        }
        let sets_own = |answer: &crate::scenario::CannedResponse| {
            answer
                .headers
                .iter()
                .find(|(name, _)| {
                    name.eq_ignore_ascii_case("Access-Control-Allow-Origin")
                        || name.eq_ignore_ascii_case("Access-Control-Allow-Credentials")
                })
                .map(|(name, _)| name.clone())
        };
        if let Some(name) = answers.iter().copied().filter_map(sets_own).next() {
            findings.push(finding(
                Severity::Broken,
                &name,
                format!("the function sets {name} and the function URL adds it again"),
                "With Cors configured, the URL appends its own Access-Control-Allow-Origin (and -Credentials) after the function's headers, so the answer carries two values and browsers refuse it (observed). Remove the header from the function, or remove Cors from the URL and let the function answer every request, OPTIONS included.",
            ));
        }
    }
    findings
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

/// Findings on an API Gateway HTTP API: routes that take preflights to an authorizer, entries
/// that can never match, and CORS headers the function sets in vain (`answers`: what the
/// function is known to answer, if anything).
pub fn audit_http_api<'a>(
    cors: Option<&crate::server::http_api::Cors>,
    routes: &[crate::server::http_api::Route],
    mut answers: impl Iterator<Item = &'a crate::scenario::CannedResponse>,
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

/// Findings on an API Gateway REST API: preflights refused by an authorizer or an API key,
/// resources whose preflighted methods have no OPTIONS, and errors API Gateway will answer
/// without CORS headers (judged only when `whole`: the resources and the gateway responses
/// are both known).
pub fn audit_rest_api(api: &crate::server::rest_api::RestApi, whole: bool) -> Vec<Finding> {
    use crate::server::rest_api::{Authorization, ResponseType};
    let mut findings = Vec::new();
    let finding = |severity, subject: String, title: String, why: String| Finding {
        severity,
        rule: None,
        subject,
        title,
        why,
    };
    let mut guarded = false;
    if let Some(deployed) = &api.deployed {
        let listed = |api: &crate::server::rest_api::RestApi| -> Vec<String> {
            api.resources
                .iter()
                .flat_map(|r| {
                    r.methods
                        .iter()
                        .map(move |m| format!("{} {}", m.http_method, r.path))
                })
                .collect()
        };
        let (saved, live) = (listed(api), listed(deployed));
        let missing: Vec<&String> = saved.iter().filter(|m| !live.contains(m)).collect();
        findings.push(finding(
            Severity::Broken,
            api.stage.clone().unwrap_or_else(|| "stage".to_string()),
            "the stage serves a deployment older than the saved API".to_string(),
            format!(
                "Browsers meet what is deployed, not what is saved: {}. Deploy the API to the stage (create-deployment, the console's Deploy API).",
                if missing.is_empty() {
                    "the saved methods or gateway responses differ from the deployed ones".to_string()
                } else {
                    format!(
                        "{} saved but not deployed",
                        missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                    )
                }
            ),
        ));
    }
    for resource in &api.resources {
        let options = resource
            .methods
            .iter()
            .find(|m| m.http_method == "OPTIONS" || m.http_method == "ANY");
        for method in &resource.methods {
            guarded |= method.authorization != Authorization::None || method.api_key_required;
        }
        if let Some(options) = options {
            let literals = options.mock_literals();
            let literal = |name: &str| {
                literals
                    .iter()
                    .find(|(header, _)| header.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim())
            };
            if literal("Access-Control-Allow-Origin") == Some("*")
                && literal("Access-Control-Allow-Credentials") == Some("true")
            {
                findings.push(finding(
                    Severity::Broken,
                    format!("{} {}", options.http_method, resource.path),
                    format!(
                        "{} {} answers '*' with credentials allowed",
                        options.http_method, resource.path
                    ),
                    "API Gateway deploys it (mappings are plain strings), but with credentials: 'include' a browser refuses Access-Control-Allow-Origin: *, so every credentialed request fails its preflight. Name the origin (and the function must name it too).".to_string(),
                ));
            }
        }
        match options {
            Some(options)
                if options.authorization != Authorization::None || options.api_key_required =>
            {
                let what = if options.authorization != Authorization::None {
                    format!("its {} authorizer", options.authorization.name())
                } else {
                    "its API key".to_string()
                };
                findings.push(finding(
                    Severity::Broken,
                    format!("{} {}", options.http_method, resource.path),
                    format!(
                        "{} {} refuses preflights with {what}",
                        options.http_method, resource.path
                    ),
                    "A preflight never carries credentials or an x-api-key, so this method answers every preflight 401 or 403 and the browser blocks the request. Set authorizationType NONE and apiKeyRequired false on OPTIONS (SAM: Auth.AddDefaultAuthorizerToCorsPreflight and AddApiKeyRequiredToCorsPreflight false).".to_string(),
                ));
            }
            None if resource
                .methods
                .iter()
                .any(|m| matches!(m.http_method.as_str(), "PUT" | "PATCH" | "DELETE")) =>
            {
                findings.push(finding(
                    Severity::Broken,
                    resource.path.clone(),
                    format!("{} has no OPTIONS method for its preflighted methods", resource.path),
                    "PUT, PATCH and DELETE from a page always send a preflight first; without an OPTIONS (or ANY) method API Gateway answers it 403 Missing Authentication Token (recorded). Enable CORS on the resource: a MOCK OPTIONS method.".to_string(),
                ));
            }
            _ => {}
        }
    }
    let dressed = |kind: ResponseType| {
        api.gateway_responses.iter().any(|g| {
            g.kind == kind
                && g.headers
                    .iter()
                    .any(|(h, _)| h.eq_ignore_ascii_case("Access-Control-Allow-Origin"))
        })
    };
    if whole
        && guarded
        && !dressed(ResponseType::Default4xx)
        && !dressed(ResponseType::Unauthorized)
    {
        findings.push(finding(
            Severity::Broken,
            "DEFAULT_4XX".to_string(),
            "the authorizer's 401 and 403 will reach the page as CORS errors".to_string(),
            "Methods here have an authorizer or an API key, and no DEFAULT_4XX (or UNAUTHORIZED) gateway response maps Access-Control-Allow-Origin, so API Gateway's own 401 and 403 carry no CORS header and the browser hides them (documented). Map gatewayresponse.header.Access-Control-Allow-Origin on DEFAULT_4XX and DEFAULT_5XX.".to_string(),
        ));
    }
    if api.resources.is_empty() {
        for kind in [ResponseType::Default4xx, ResponseType::Default5xx] {
            if !dressed(kind) {
                findings.push(finding(
                    Severity::Noisy,
                    kind.name().to_string(),
                    format!("{} maps no Access-Control-Allow-Origin", kind.name()),
                    format!(
                        "API Gateway's own {} carry no CORS header, so a page sees them as CORS failures and cannot tell the user what went wrong. Map gatewayresponse.header.Access-Control-Allow-Origin (method.request.header.origin, or '*' without credentials).",
                        if kind == ResponseType::Default4xx {
                            "4XX errors (an authorizer's 401, a missing method's 403, throttling's 429)"
                        } else {
                            "5XX errors (an integration's timeout 504, a malformed Lambda answer's 502)"
                        }
                    ),
                ));
            }
        }
    }
    findings
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

    /// The titles of a behavior's findings: `managed` names its cache, origin request and
    /// response headers policies; `methods` its allowed methods, OPTIONS cached when last.
    fn cloudfront(
        methods: &[&str],
        cache: crate::server::cloudfront::config::CachePolicy,
        origin_request: Option<&str>,
        response_headers: Option<crate::server::cloudfront::ResponseHeadersPolicy>,
    ) -> Vec<String> {
        use crate::server::cloudfront::{Behavior, config};
        let behavior = Behavior {
            allowed_methods: methods
                .iter()
                .filter(|m| **m != "cached")
                .map(|m| m.to_string())
                .collect(),
            cached_options: methods.last() == Some(&"cached"),
            cache,
            origin_request: origin_request.and_then(config::managed_origin_request),
            response_headers,
        };
        audit_cloudfront(&behavior)
            .into_iter()
            .map(|f| f.title)
            .collect()
    }

    fn cache(name: &str) -> crate::server::cloudfront::config::CachePolicy {
        crate::server::cloudfront::config::managed_cache(name).unwrap()
    }

    fn origin_in_key() -> crate::server::cloudfront::config::CachePolicy {
        let mut policy = cache("CachingOptimized");
        policy.headers = crate::server::cloudfront::Selection::Only(vec![
            "Origin".to_string(),
            "Access-Control-Request-Method".to_string(),
            "Access-Control-Request-Headers".to_string(),
        ]);
        policy
    }

    const ALL: [&str; 7] = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

    #[test]
    fn cloudfront_origin_forwarded_but_not_keyed_is_flagged_and_keyed_is_not() {
        let flagged = cloudfront(&ALL, cache("CachingOptimized"), Some("CORS-S3Origin"), None);
        assert_eq!(flagged, ["Origin is forwarded but not in the cache key"]);
        assert!(cloudfront(&ALL, origin_in_key(), None, None).is_empty());
        // Nothing is stored, so nothing is replayed.
        assert!(cloudfront(&ALL, cache("CachingDisabled"), Some("CORS-S3Origin"), None).is_empty());
    }

    #[test]
    fn cloudfront_origin_never_forwarded_is_flagged_unless_a_policy_adds_the_headers() {
        let flagged = cloudfront(&ALL, cache("CachingOptimized"), None, None);
        assert_eq!(flagged, ["the origin never sees Origin"]);
        let policy = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        let mut overriding = policy.clone().unwrap();
        if let Some(cors) = overriding.cors.as_mut() {
            cors.origin_override = true;
        }
        assert!(cloudfront(&ALL, cache("CachingOptimized"), None, Some(overriding)).is_empty());
    }

    #[test]
    fn cloudfront_options_not_allowed_is_flagged() {
        let flagged = cloudfront(&["GET", "HEAD"], origin_in_key(), None, None);
        assert_eq!(flagged, ["OPTIONS is not an allowed method"]);
        assert!(cloudfront(&["GET", "HEAD", "OPTIONS"], origin_in_key(), None, None).is_empty());
    }

    #[test]
    fn cloudfront_cached_preflights_need_their_headers_in_the_key() {
        let mut origin_only = cache("CachingOptimized");
        origin_only.headers =
            crate::server::cloudfront::Selection::Only(vec!["Origin".to_string()]);
        let cached = ["GET", "HEAD", "OPTIONS", "cached"];
        assert_eq!(
            cloudfront(&cached, origin_only, None, None),
            ["preflight answers are cached without the preflight's headers in the key"]
        );
        assert!(cloudfront(&cached, origin_in_key(), None, None).is_empty());
    }

    #[test]
    fn cloudfront_origin_override_false_over_a_forwarded_origin_is_flagged() {
        let simple = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        let flagged = cloudfront(
            &ALL,
            cache("CachingOptimized"),
            Some("CORS-S3Origin"),
            simple,
        );
        assert!(
            flagged.contains(
                &"the origin's own Access-Control-Allow-Origin wins over the policy's".to_string()
            ),
            "{flagged:?}"
        );
        let simple = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        assert!(cloudfront(&ALL, origin_in_key(), Some("CORS-S3Origin"), simple).is_empty());
    }

    #[test]
    fn cloudfront_legacy_all_headers_is_flagged_as_no_caching() {
        let mut all = cache("CachingOptimized");
        all.legacy = true;
        all.headers = crate::server::cloudfront::Selection::All;
        all.ttl = crate::server::cloudfront::config::Ttl {
            min: 0,
            default: 0,
            max: 0,
        };
        assert_eq!(
            cloudfront(&ALL, all, None, None),
            ["every header is forwarded, so nothing is cached"]
        );
        let mut whitelist = origin_in_key();
        whitelist.legacy = true;
        assert!(cloudfront(&ALL, whitelist, None, None).is_empty());
    }

    #[test]
    fn cloudfront_policy_star_with_credentials_is_flagged() {
        let mut policy =
            crate::server::cloudfront::config::managed_response_headers("SimpleCORS").unwrap();
        if let Some(cors) = policy.cors.as_mut() {
            cors.allow_credentials = true;
        }
        assert_eq!(
            cloudfront(&ALL, origin_in_key(), None, Some(policy.clone())),
            ["the response headers policy allows every origin with credentials"]
        );
        if let Some(cors) = policy.cors.as_mut() {
            cors.allow_origins = vec!["https://app.example".to_string()];
        }
        assert!(cloudfront(&ALL, origin_in_key(), None, Some(policy)).is_empty());
    }

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
