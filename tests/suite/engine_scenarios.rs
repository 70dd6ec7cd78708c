//! The shipped scenarios, checked step by step against the Fetch standard and S3's recorded
//! behaviour (not just their `expect` keys).

use cors_tui::engine::{self, CorsError, ExchangeKind, RequestRecord, Trace, VARIABLES};
use cors_tui::scenario::{BrowserProfile, Outcome, load_file};

fn run(name: &str, profile: BrowserProfile) -> Trace {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let scenario = match load_file(std::path::Path::new(&path)) {
        Ok(s) => s,
        Err(e) => panic!("{name} does not load: {e}"),
    };
    engine::run(&scenario, profile)
}

fn chromium(name: &str) -> Trace {
    run(name, BrowserProfile::Chromium)
}

fn header(record: &RequestRecord, kind: ExchangeKind, name: &str) -> Option<String> {
    record
        .exchanges
        .iter()
        .find(|e| e.kind == kind)
        .and_then(|e| e.request.header(name))
}

fn response_header(record: &RequestRecord, kind: ExchangeKind, name: &str) -> Option<String> {
    record
        .exchanges
        .iter()
        .find(|e| e.kind == kind)
        .and_then(|e| e.response.header(name))
}

#[test]
fn basic_lesson_matches_the_classic_table() {
    let trace = chromium("basic");
    let [get, post, evil] = &trace.requests[..] else {
        panic!("three requests")
    };
    assert_eq!((get.outcome, get.preflight), (Outcome::Allowed, false));
    assert!(
        get.exposed_headers.contains(&"etag".to_string()),
        "ExposeHeaders ETag"
    );
    assert_eq!((post.outcome, post.preflight), (Outcome::Allowed, true));
    assert_eq!(
        header(
            post,
            ExchangeKind::Preflight,
            "Access-Control-Request-Method"
        )
        .as_deref(),
        Some("POST")
    );
    assert_eq!(
        header(
            post,
            ExchangeKind::Preflight,
            "Access-Control-Request-Headers"
        )
        .as_deref(),
        Some("content-type")
    );
    assert_eq!(evil.outcome, Outcome::Blocked);
    assert_eq!(evil.failed_at, Some(ExchangeKind::Actual));
    assert_eq!(evil.cors_error, Some(CorsError::MissingAllowOriginHeader));
    assert_eq!(
        evil.exchanges[0].response.status, 200,
        "S3 serves it anyway (B3)"
    );
    for name in [
        "Origin",
        "AllowedOrigins",
        "Request Allowed",
        "Response Received",
    ] {
        assert!(VARIABLES.contains(&name), "{name}");
    }
    let last = trace.variables(trace.steps.len() - 1);
    let var = |n: &str| last[VARIABLES.iter().position(|v| *v == n).unwrap_or(0)].to_string();
    assert_eq!(var("Origin"), "https://malicious.com");
    assert_eq!(var("AllowedOrigins"), "https://example.com");
    assert_eq!(var("Request Allowed"), "no");
    assert!(var("Response Received").starts_with("yes (200)"));
}

#[test]
fn wildcard_origin_fails_only_with_credentials() {
    let trace = chromium("wildcard-credentials");
    assert_eq!(trace.requests[0].outcome, Outcome::Allowed);
    assert_eq!(
        trace.requests[1].cors_error,
        Some(CorsError::WildcardOriginNotAllowed)
    );
    assert_eq!(
        response_header(
            &trace.requests[1],
            ExchangeKind::Actual,
            "Access-Control-Allow-Credentials"
        ),
        None
    );
}

#[test]
fn missing_method_gets_s3s_403_and_chromes_acao_error() {
    let trace = chromium("method-not-allowed");
    let put = &trace.requests[0];
    assert_eq!(
        put.cors_error,
        Some(CorsError::PreflightMissingAllowOriginHeader)
    );
    assert_eq!(put.exchanges.len(), 1, "the PUT itself is never sent");
    assert_eq!(put.exchanges[0].response.status, 403);
    assert!(
        put.exchanges[0]
            .response
            .body
            .contains("<Method>PUT</Method><ResourceType>OBJECT</ResourceType>")
    );
    assert_eq!(
        trace.requests[1].method, "DELETE",
        "fetch normalizes delete"
    );
    assert_eq!(trace.requests[2].outcome, Outcome::Allowed);
}

#[test]
fn custom_headers_are_preflighted_sorted_and_lowercased() {
    let trace = chromium("custom-header");
    assert_eq!(trace.requests[0].failed_at, Some(ExchangeKind::Preflight));
    assert_eq!(
        header(
            &trace.requests[1],
            ExchangeKind::Preflight,
            "Access-Control-Request-Headers"
        )
        .as_deref(),
        Some("content-type,x-amz-meta-author")
    );
    assert_eq!(
        response_header(
            &trace.requests[1],
            ExchangeKind::Preflight,
            "Access-Control-Allow-Headers"
        )
        .as_deref(),
        Some("content-type, x-amz-meta-author")
    );
    assert!(!trace.requests[2].preflight, "text/plain POST is simple");
}

#[test]
fn authorization_under_star_parts_the_profiles() {
    let chromium = chromium("authorization-star");
    let standard = run("authorization-star", BrowserProfile::Standard);
    assert_eq!(chromium.requests[0].outcome, Outcome::Allowed);
    assert_eq!(
        standard.requests[0].cors_error,
        Some(CorsError::HeaderDisallowedByPreflightResponse)
    );
    assert!(
        standard.requests[0]
            .error()
            .as_deref()
            .is_some_and(|e| e.contains("Request header field authorization"))
    );
    assert!(
        !chromium.requests[0].profile_notes.is_empty(),
        "the step says where they part"
    );
    assert_eq!(standard.requests[1].outcome, Outcome::Allowed);
}

#[test]
fn expose_headers_decide_what_script_reads() {
    let trace = chromium("expose-headers");
    assert!(
        !trace.requests[0]
            .exposed_headers
            .contains(&"etag".to_string())
    );
    assert!(
        trace.requests[1]
            .exposed_headers
            .contains(&"etag".to_string())
    );
    assert!(
        trace.requests[0]
            .exposed_headers
            .contains(&"content-type".to_string())
    );
}

#[test]
fn preflight_cache_hits_misses_and_cache_modes() {
    let trace = chromium("preflight-cache");
    let hits: Vec<bool> = trace.requests.iter().map(|r| r.cache_hit).collect();
    let preflights: Vec<bool> = trace.requests.iter().map(|r| r.preflight).collect();
    assert_eq!(hits, [false, true, false, false]);
    assert_eq!(preflights, [true, false, true, true]);
    let standard = run("preflight-cache", BrowserProfile::Standard);
    assert!(
        standard.requests[3].cache_hit,
        "the standard ignores the cache mode"
    );
}

#[test]
fn chromium_caps_max_age_at_two_hours() {
    let chromium = chromium("max-age");
    let standard = run("max-age", BrowserProfile::Standard);
    let sent = |t: &Trace| t.requests.iter().map(|r| r.preflight).collect::<Vec<_>>();
    assert_eq!(sent(&chromium), [true, false, true]);
    assert_eq!(sent(&standard), [true, false, false]);
}

#[test]
fn raw_requests_are_sent_as_written() {
    let trace = chromium("curl-vs-browser");
    assert_eq!(trace.requests[0].outcome, Outcome::Sent);
    assert_eq!(
        trace.requests[0].exchanges[0].request.header("Origin"),
        None
    );
    assert_eq!(trace.requests[2].outcome, Outcome::Blocked);
    let options = &trace.requests[3].exchanges[0];
    assert_eq!(options.response.status, 400);
    assert!(
        options
            .response
            .body
            .contains("Invalid Access-Control-Request-Method: null")
    );
}

#[test]
fn null_origin_is_matched_as_a_string() {
    let trace = chromium("null-origin");
    assert_eq!(trace.requests[0].outcome, Outcome::Allowed);
    assert_eq!(
        response_header(
            &trace.requests[0],
            ExchangeKind::Actual,
            "Access-Control-Allow-Origin"
        )
        .as_deref(),
        Some("null")
    );
    assert_eq!(trace.requests[1].failed_at, Some(ExchangeKind::Preflight));
}

#[test]
fn first_matching_rule_wins() {
    let trace = chromium("rule-order");
    assert_eq!(trace.requests[0].matched_rule, Some(0));
    assert_eq!(
        trace.requests[0].cors_error,
        Some(CorsError::WildcardOriginNotAllowed)
    );
    assert_eq!(trace.requests[2].matched_rule, Some(1));
    assert_eq!(trace.requests[2].outcome, Outcome::Allowed);
}

#[test]
fn bucket_without_cors_refuses_preflights() {
    let trace = chromium("no-cors-config");
    assert_eq!(
        trace.requests[0].cors_error,
        Some(CorsError::MissingAllowOriginHeader)
    );
    let preflight = &trace.requests[1].exchanges[0];
    assert_eq!(preflight.response.status, 403);
    assert!(
        preflight
            .response
            .body
            .contains("CORSResponse: CORS is not enabled for this bucket.")
    );
}

#[test]
fn preflight_needs_an_ok_status() {
    let trace = chromium("static-preflight-status");
    assert_eq!(
        trace.requests[0].cors_error,
        Some(CorsError::PreflightInvalidStatus)
    );
    assert!(trace.requests[0].error().as_deref().is_some_and(|e| e.ends_with("Response to preflight request doesn't pass access control check: It does not have HTTP ok status.")));
    assert_eq!(trace.requests[1].outcome, Outcome::Allowed);
}

#[test]
fn a_server_error_without_cors_headers_reads_as_a_cors_failure() {
    let trace = chromium("masked-error");
    let failed = &trace.requests[1];
    assert_eq!(failed.cors_error, Some(CorsError::MissingAllowOriginHeader));
    assert!(failed.summary_text().contains("CORS hid a real error"));
    assert!(failed.cache_hit, "the first request's preflight is reused");
}

/// The basic lesson's quiz answers agree with what the engine computes.
#[test]
fn basic_quiz_answers_match_the_trace() {
    let path = format!("{}/scenarios/basic.json", env!("CARGO_MANIFEST_DIR"));
    let Ok(scenario) = load_file(std::path::Path::new(&path)) else {
        panic!("loads")
    };
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    let answer = |i: usize| {
        scenario.quiz[i].choices[scenario.quiz[i].answer]
            .text
            .clone()
    };
    assert!(trace.requests[1].preflight_reasons.iter().any(|r| matches!(
        r,
        cors_tui::engine::fetch_rules::PreflightReason::Header(h)
            if h.reason == cors_tui::engine::fetch_rules::Unsafe::NotSimpleContentType {
                essence: "application/json".to_string()
            }
    )));
    assert_eq!(answer(0), "Content-Type: application/json");
    let acao = response_header(
        &trace.requests[1],
        ExchangeKind::Preflight,
        "Access-Control-Allow-Origin",
    );
    assert_eq!(acao.as_deref(), Some(answer(1).as_str()));
    // Question 3 transfers: adding the attacker's origin is the one change that lets it read.
    assert!(answer(2).starts_with("Add https://malicious.com to AllowedOrigins"));
    let mut widened = scenario.clone();
    if let cors_tui::scenario::ServerKind::Bucket {
        cors: Some(config), ..
    } = &mut widened.server.kind
    {
        config.rules[0]
            .allowed_origins
            .push("https://malicious.com".to_string());
    }
    let rerun = engine::run(&widened, BrowserProfile::Chromium);
    assert_eq!(
        trace.requests[2].outcome,
        cors_tui::scenario::Outcome::Blocked
    );
    assert_eq!(
        rerun.requests[2].outcome,
        cors_tui::scenario::Outcome::Allowed
    );
    for moment in &scenario.moments {
        assert!(moment.step <= trace.steps.len());
    }
    assert_eq!(
        trace.steps[scenario.moments[0].step - 1].stage,
        cors_tui::engine::Stage::Preflight
    );
    assert_eq!(
        trace.steps[scenario.moments[1].step - 1].verdict,
        cors_tui::engine::Verdict::Blocked
    );
}

fn answer_of(scenario: &cors_tui::scenario::Scenario, question: usize) -> String {
    let q = &scenario.quiz[question];
    q.choices[q.answer].text.clone()
}

fn loaded(name: &str) -> cors_tui::scenario::Scenario {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    match load_file(std::path::Path::new(&path)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Every shipped lesson has moments and a quiz, pointing at steps that exist.
#[test]
fn every_lesson_has_moments_and_a_quiz_within_its_trace() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.path()
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    for name in names {
        let scenario = loaded(&name);
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        assert!(
            !scenario.moments.is_empty() && scenario.quiz.len() >= 2,
            "{name}"
        );
        for moment in &scenario.moments {
            assert!(
                (1..=trace.steps.len()).contains(&moment.step),
                "{name}: moment at step {}",
                moment.step
            );
        }
        for q in &scenario.quiz {
            assert!(
                q.step.is_none_or(|s| (1..=trace.steps.len()).contains(&s)),
                "{name}: {}",
                q.question
            );
        }
    }
}

/// Quiz answers that are facts of the trace agree with the engine.
#[test]
fn quiz_answers_agree_with_the_engine() {
    let status = |name: &str, request: usize, kind: ExchangeKind| {
        let trace = engine::run(&loaded(name), BrowserProfile::Chromium);
        trace.requests[request]
            .exchanges
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.response.status)
    };
    let preflights = |name: &str| {
        engine::run(&loaded(name), BrowserProfile::Chromium)
            .requests
            .iter()
            .filter(|r| r.preflight)
            .count()
    };
    assert_eq!(
        answer_of(&loaded("method-not-allowed"), 0),
        status("method-not-allowed", 0, ExchangeKind::Preflight)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert!(
        answer_of(&loaded("no-cors-config"), 0).starts_with(
            &status("no-cors-config", 1, ExchangeKind::Preflight)
                .map(|s| s.to_string())
                .unwrap_or_default()
        )
    );
    assert_eq!(
        answer_of(&loaded("curl-vs-browser"), 1),
        status("curl-vs-browser", 3, ExchangeKind::Actual)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert_eq!(
        answer_of(&loaded("masked-error"), 0),
        status("masked-error", 1, ExchangeKind::Actual)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    // custom-header's second question predicts: one more x-amz-* header still passes.
    assert!(answer_of(&loaded("custom-header"), 1).starts_with("It passes"));
    let mut more = loaded("custom-header");
    std::sync::Arc::make_mut(&mut more.requests)[1]
        .headers
        .push(("x-amz-meta-title".into(), "Q4".into()));
    let more = engine::run(&more, BrowserProfile::Chromium);
    assert!(more.requests[1].preflight);
    assert_eq!(more.requests[1].failed_at, None);
    assert_eq!(
        more.requests[1].outcome,
        cors_tui::scenario::Outcome::Allowed
    );
    // wildcard-credentials' last question: naming the origin fixes the credentialed fetch.
    let mut named = loaded("wildcard-credentials");
    assert!(answer_of(&named, 2).starts_with("It is blocked; list the page's origin"));
    let page = named.requests[1].origin.clone().unwrap_or_default();
    if let cors_tui::scenario::ServerKind::Bucket {
        cors: Some(config), ..
    } = &mut named.server.kind
    {
        config.rules[0].allowed_origins = vec![page];
    }
    let named = engine::run(&named, BrowserProfile::Chromium);
    assert_eq!(
        named.requests[1].outcome,
        cors_tui::scenario::Outcome::Allowed
    );
    assert_eq!(
        answer_of(&loaded("max-age"), 1),
        preflights("max-age").to_string()
    );
    assert_eq!(
        answer_of(&loaded("preflight-cache"), 1),
        preflights("preflight-cache").to_string()
    );
    let max_age_trace = engine::run(&loaded("max-age"), BrowserProfile::Chromium);
    let max_age = max_age_trace.text(&max_age_trace.steps[2]).result.clone();
    assert!(
        max_age.contains(answer_of(&loaded("max-age"), 0).as_str()),
        "{max_age}"
    );
    let standard = engine::run(&loaded("authorization-star"), BrowserProfile::Standard);
    assert_eq!(
        standard.requests[0].failed_at,
        Some(ExchangeKind::Preflight),
        "answer b: blocked at the preflight"
    );
    let rule_order = engine::run(&loaded("rule-order"), BrowserProfile::Chromium);
    assert_eq!(
        rule_order.requests[0].matched_rule,
        Some(0),
        "public-read answers"
    );
}

#[test]
fn gcs_lists_response_header_and_the_browser_refuses_what_it_lacks() {
    let trace = chromium("gcs-upload");
    let [get, put, other] = &trace.requests[..] else {
        panic!("three requests")
    };
    assert_eq!(get.outcome, Outcome::Allowed);
    assert_eq!(
        response_header(get, ExchangeKind::Actual, "Access-Control-Allow-Origin").as_deref(),
        Some("https://app.example"),
        "GCS echoes the origin"
    );
    assert_eq!(
        response_header(
            get,
            ExchangeKind::Actual,
            "Access-Control-Allow-Credentials"
        ),
        None
    );
    assert_eq!(put.outcome, Outcome::Blocked);
    assert_eq!(
        header(
            put,
            ExchangeKind::Preflight,
            "Access-Control-Request-Headers"
        )
        .as_deref(),
        Some("content-type")
    );
    assert_eq!(
        response_header(put, ExchangeKind::Preflight, "Access-Control-Allow-Headers").as_deref(),
        Some("x-goog-resumable"),
        "GCS answers its responseHeader list, not the requested names"
    );
    assert_eq!(
        put.cors_error,
        Some(CorsError::HeaderDisallowedByPreflightResponse)
    );
    assert_eq!(other.cors_error, Some(CorsError::MissingAllowOriginHeader));
    let answer = other
        .exchanges
        .iter()
        .find(|e| e.kind == ExchangeKind::Actual)
        .map(|e| e.response.status);
    assert_eq!(
        answer,
        Some(200),
        "GCS serves the object, without CORS headers"
    );
}

#[test]
fn azure_echoes_prefix_matched_headers_and_refuses_with_cors_preflight_failure() {
    let trace = chromium("azure-blob");
    let [put, get, delete, admin] = &trace.requests[..] else {
        panic!("four requests")
    };
    assert_eq!(put.outcome, Outcome::Allowed);
    assert_eq!(
        response_header(put, ExchangeKind::Preflight, "Access-Control-Allow-Headers").as_deref(),
        Some("content-type,x-ms-blob-type,x-ms-meta-owner"),
        "Azure echoes the requested headers"
    );
    let put_status = put
        .exchanges
        .iter()
        .find(|e| e.kind == ExchangeKind::Actual)
        .map(|e| e.response.status);
    assert_eq!(put_status, Some(201));
    assert_eq!(get.outcome, Outcome::Allowed);
    assert_eq!(
        response_header(
            get,
            ExchangeKind::Actual,
            "Access-Control-Allow-Credentials"
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(delete.outcome, Outcome::Blocked);
    assert_eq!(
        response_header(delete, ExchangeKind::Preflight, "x-ms-error-code").as_deref(),
        Some("CorsPreflightFailure")
    );
    assert_eq!(
        delete.cors_error,
        Some(CorsError::PreflightMissingAllowOriginHeader)
    );
    assert_eq!(
        response_header(admin, ExchangeKind::Actual, "Vary").as_deref(),
        Some("Origin")
    );
    assert_eq!(admin.cors_error, Some(CorsError::MissingAllowOriginHeader));
}

fn fixture(name: &str) -> Trace {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    match load_file(std::path::Path::new(&path)) {
        Ok(scenario) => engine::run(&scenario, BrowserProfile::Chromium),
        Err(e) => panic!("{name} does not load: {e}"),
    }
}

/// What each hop sent: (method, URL, Origin), preflights included.
fn hops_sent(record: &RequestRecord) -> Vec<(String, String, String)> {
    record
        .exchanges
        .iter()
        .map(|e| {
            let origin = e.request.header("Origin").unwrap_or_default();
            (
                e.request.method.to_string(),
                e.request.url.to_string(),
                origin,
            )
        })
        .collect()
}

/// Every case of the fixture was run in headless Chromium 148; these are its outcomes, the
/// requests its servers saw, and its console lines.
#[test]
fn redirects_follow_what_chromium_did() {
    let trace = fixture("redirects-chromium");
    let outcome = |i: usize| (trace.requests[i].outcome, trace.requests[i].cors_error);
    let page = "http://127.0.0.1:8776";
    let sent = |method: &str, url: &str, origin: &str| {
        (method.to_string(), url.to_string(), origin.to_string())
    };

    // c1: the redirect has no ACAO; Chromium names the URL that answered it.
    assert_eq!(
        outcome(0),
        (Outcome::Blocked, Some(CorsError::MissingAllowOriginHeader))
    );
    assert_eq!(
        trace.requests[0].error().as_deref(),
        Some(
            "Access to fetch at 'http://localhost:8775/r1' from origin 'http://127.0.0.1:8776' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        )
    );
    assert_eq!(
        trace.requests[0].exchanges.len(),
        1,
        "the redirect is not followed"
    );

    // c2: a hop to another origin sends Origin: null, so the page's origin no longer matches.
    assert_eq!(
        outcome(1),
        (Outcome::Blocked, Some(CorsError::AllowOriginMismatch))
    );
    assert_eq!(
        hops_sent(&trace.requests[1]),
        [
            sent("GET", "http://localhost:8775/r2", page),
            sent("GET", "http://127.0.0.2:8777/final", "null"),
        ]
    );
    assert_eq!(
        trace.requests[1].error().as_deref(),
        Some(
            "Access to fetch at 'http://127.0.0.2:8777/final' (redirected from 'http://localhost:8775/r2') from origin 'http://127.0.0.1:8776' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://127.0.0.1:8776' that is not equal to the supplied origin. Have the server send the header with a valid value."
        )
    );

    // c3: a 307 keeps PUT, and the new URL gets a preflight of its own; the origin is kept.
    assert_eq!(outcome(2), (Outcome::Allowed, None));
    assert_eq!(
        hops_sent(&trace.requests[2]),
        [
            sent("OPTIONS", "http://localhost:8775/r3", page),
            sent("PUT", "http://localhost:8775/r3", page),
            sent("OPTIONS", "http://localhost:8775/final", page),
            sent("PUT", "http://localhost:8775/final", page),
        ]
    );

    // c4: ACAO * lets the tainted request through.
    assert_eq!(outcome(3), (Outcome::Allowed, None));

    // c5: a 301 turns POST into GET and drops Content-Type.
    assert_eq!(outcome(4), (Outcome::Allowed, None));
    let get = &trace.requests[4].exchanges[1].request;
    assert_eq!(get.method, "GET");
    assert_eq!(get.header("Content-Type"), None);

    // c6: a 307 to another origin: the preflight there is sent with Origin: null.
    assert_eq!(outcome(5), (Outcome::Allowed, None));
    assert_eq!(
        hops_sent(&trace.requests[5])[2],
        sent("OPTIONS", "http://127.0.0.2:8777/echo", "null")
    );

    // d1: the 21st redirect ends in a network error, after 21 requests.
    assert_eq!(
        outcome(6),
        (Outcome::Blocked, Some(CorsError::TooManyRedirects))
    );
    assert_eq!(trace.requests[6].exchanges.len(), 21);
    assert_eq!(
        trace.requests[6].error().as_deref(),
        Some("Failed to load resource: net::ERR_TOO_MANY_REDIRECTS")
    );
    // d2: a Location that is no URL.
    assert_eq!(
        outcome(7),
        (Outcome::Blocked, Some(CorsError::InvalidRedirect))
    );
    assert_eq!(
        trace.requests[7].error().as_deref(),
        Some("Failed to load resource: net::ERR_INVALID_REDIRECT")
    );
    // d3: credentials in the Location; Chromium's message leaves the location empty.
    assert_eq!(
        outcome(8),
        (
            Outcome::Blocked,
            Some(CorsError::RedirectContainsCredentials)
        )
    );
    assert!(trace.requests[8].error().as_deref().is_some_and(|e| e.ends_with(
        "has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests."
    )));
    // d4: the second redirect fails; the console names it and where the request started.
    assert_eq!(
        outcome(9),
        (Outcome::Blocked, Some(CorsError::MissingAllowOriginHeader))
    );
    assert!(trace.requests[9].error().as_deref().is_some_and(|e| e.starts_with(
        "Access to fetch at 'http://localhost:8775/r1' (redirected from 'http://localhost:8775/r7') from origin 'http://127.0.0.1:8776'"
    )));
    // d5: Authorization is removed at the hop to another origin, so that hop needs no preflight.
    assert_eq!(outcome(10), (Outcome::Allowed, None));
    let hops = &trace.requests[10].exchanges;
    assert_eq!(hops.len(), 3);
    assert!(hops[1].request.header("Authorization").is_some());
    assert_eq!(hops[2].request.header("Authorization"), None);
    assert_eq!(hops[2].request.method, "GET");
    // d6: a 302 without Location is handed to the page as it is.
    assert_eq!(outcome(11), (Outcome::Allowed, None));

    // d7-d12: a Location that parses but is not http(s). Chromium tells the schemes apart: an
    // unsafe redirect, an unknown scheme, or a CORS error at the new URL.
    let disabled = |to: &str, from: &str| {
        format!(
            "Access to fetch at '{to}' (redirected from '{from}') from origin '{page}' has been blocked by CORS policy: Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app."
        )
    };
    let cases = [
        (
            12,
            CorsError::CorsDisabledScheme,
            disabled("ftp://example.com/x", "http://localhost:8775/ftp"),
        ),
        (
            13,
            CorsError::UnsafeRedirect,
            "Failed to load resource: net::ERR_UNSAFE_REDIRECT".to_string(),
        ),
        (
            14,
            CorsError::CorsDisabledScheme,
            disabled("javascript:alert(1)", "http://localhost:8775/js"),
        ),
        (
            15,
            CorsError::UnsafeRedirect,
            "Failed to load resource: net::ERR_UNSAFE_REDIRECT".to_string(),
        ),
        // ws: was an unknown scheme in Chromium 148; 156 makes it a CORS error, with 156's list
        // of schemes (`tests/fixtures/chromium/lab/redirect-schemes.json`).
        (
            16,
            CorsError::CorsDisabledScheme,
            disabled("ws://localhost:8775/w", "http://localhost:8775/ws"),
        ),
        // The console names where the request started, not the hop that redirected to ftp:.
        (
            17,
            CorsError::CorsDisabledScheme,
            disabled("ftp://example.com/x", "http://localhost:8775/twohop"),
        ),
    ];
    for (i, error, console) in cases {
        assert_eq!(outcome(i), (Outcome::Blocked, Some(error)), "request {i}");
        assert_eq!(trace.requests[i].error().as_deref(), Some(console.as_str()));
        assert_eq!(
            trace.requests[i].profile_notes.len(),
            1,
            "the standard differs"
        );
    }
    assert_eq!(
        trace.requests[17].exchanges.len(),
        2,
        "the first hop is followed"
    );
}

#[test]
fn the_standard_makes_every_redirect_away_from_http_one_network_error() {
    let path = format!(
        "{}/tests/fixtures/redirects-chromium.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(scenario) = load_file(std::path::Path::new(&path)) else {
        panic!("the fixture loads")
    };
    let trace = engine::run(&scenario, BrowserProfile::Standard);
    for i in 12..=17 {
        let request = &trace.requests[i];
        assert_eq!(
            request.cors_error,
            Some(CorsError::InvalidRedirect),
            "request {i}"
        );
        assert!(
            request.profile_notes[0]
                .to_string()
                .starts_with("Chromium reports this redirect as "),
            "{:?}",
            request.profile_notes
        );
    }
}

#[test]
fn the_redirect_lesson_teaches_the_login_trap_and_origin_null() {
    let trace = chromium("redirects");
    let outcomes: Vec<Outcome> = trace.requests.iter().map(|r| r.outcome).collect();
    use Outcome::{Allowed, Blocked};
    assert_eq!(outcomes, [Allowed, Blocked, Blocked, Allowed]);
    let login = &trace.requests[1];
    assert_eq!(login.exchanges.len(), 1, "the login page is never fetched");
    assert!(login.summary_text().starts_with("Blocked at the redirect"));
    let cdn = &trace.requests[2];
    assert_eq!(
        cdn.exchanges[1].request.header("Origin").as_deref(),
        Some("null")
    );
    assert!(
        cdn.summary_text()
            .contains("where the browser sent Origin: null")
    );
    // Steps 10-15: the call, the GET and its redirect belong to hop 0; the hop to the CDN is 1.
    let hops: Vec<usize> = (9..15).map(|at| trace.hop_at(at)).collect();
    assert_eq!(hops, [0, 0, 0, 1, 1, 1]);
    // The answer at the CDN is the one scripted for the hop, and its explanation says where.
    assert!(
        cdn.exchanges[1]
            .server_explanation()
            .to_string()
            .contains("the answer the lesson scripts for this request's redirect 1")
    );
}

/// A same-origin request that a redirect sends to another origin becomes a CORS request there,
/// with the page's own Origin (not null), as headless Chromium 148 did.
#[test]
fn same_origin_requests_become_cors_requests_when_redirected_away() {
    let trace = fixture("redirects-same-origin-chromium");
    let page = "http://127.0.0.1:8776";
    let sso = &trace.requests[0];
    assert_eq!(
        (sso.outcome, sso.cors_error, sso.same_origin),
        (
            Outcome::Blocked,
            Some(CorsError::MissingAllowOriginHeader),
            false
        )
    );
    assert_eq!(
        sso.error().as_deref(),
        Some(
            "Access to fetch at 'http://127.0.0.2:8777/login' (redirected from 'http://127.0.0.1:8776/sso') from origin 'http://127.0.0.1:8776' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        )
    );
    // The same-origin GET carried no Origin; the hop away carries the page's.
    assert_eq!(sso.exchanges[0].request.header("Origin"), None);
    assert_eq!(
        sso.exchanges[1].request.header("Origin").as_deref(),
        Some(page)
    );

    assert_eq!(trace.requests[1].outcome, Outcome::Allowed);
    // The PUT is preflighted at the other origin, with the page's Origin.
    let put = &trace.requests[2];
    assert_eq!(put.outcome, Outcome::Allowed);
    assert_eq!(
        hops_sent(put),
        [
            ("PUT".to_string(), format!("{page}/sso3"), page.to_string()),
            (
                "OPTIONS".to_string(),
                "http://127.0.0.2:8777/echo".to_string(),
                page.to_string()
            ),
            (
                "PUT".to_string(),
                "http://127.0.0.2:8777/echo".to_string(),
                page.to_string()
            ),
        ]
    );
    // A redirect that stays home stays same-origin.
    let local = &trace.requests[3];
    assert_eq!((local.outcome, local.same_origin), (Outcome::Allowed, true));
    assert_eq!(local.exchanges.len(), 2);
}

/// A record of what headless Chromium did, `tests/fixtures/chromium/NAME.observed.json`.
fn observed(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/chromium/{name}.observed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match serde_json::from_str(&text) {
        Ok(record) => record,
        Err(e) => panic!("{name}.observed.json parses: {e}"),
    }
}

/// Every cookie Chromium 148 sent (or kept home) in `tests/fixtures/chromium/cookies.observed.json`,
/// the engine sends (or keeps home) too, in the same order.
#[test]
fn cookies_go_where_chromium_sent_them() {
    let record = observed("cookies");
    let jar: Vec<serde_json::Value> = record["jar_set_by"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|by| {
            record["jar"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |line| serde_json::json!({"set_by": by, "set_cookie": line}))
        })
        .collect();
    let cases = record["cases"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 12);
    for case in &cases {
        let url = case["url"].as_str().unwrap_or_default();
        let Ok(target) = url::Url::parse(url) else {
            panic!("{url}")
        };
        let mut request = serde_json::json!({
            "origin": record["page"],
            "url": url,
            "method": case.get("method").cloned().unwrap_or("GET".into()),
            "credentials": case["credentials"],
            "via": case.get("via").cloned().unwrap_or("browser".into()),
        });
        if let Some(content_type) = case.get("content_type") {
            request["headers"] = serde_json::json!({"Content-Type": content_type});
        }
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": target.origin().ascii_serialization(),
                       "preflight": {"status": 204}, "actual": {"status": 200}},
            "cookies": jar,
            "third_party_cookies": case["third_party"],
            "requests": [request],
        });
        let Ok(scenario) = cors_tui::scenario::load_str(&scenario.to_string(), "cookies-chromium")
        else {
            panic!("case {case} loads")
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let sent = trace.requests[0]
            .exchanges
            .iter()
            .find(|e| e.kind == ExchangeKind::Actual)
            .and_then(|e| e.request.header("Cookie"));
        assert_eq!(sent.as_deref(), case["cookie"].as_str(), "{case}");
    }
}

/// Each element and API request headless Chromium 148 made in
/// `tests/fixtures/chromium/destinations.observed.json` is sent with the same Origin, Cookie,
/// Sec-Fetch-Mode, Sec-Fetch-Dest and Accept, ends the same way, and a blocked one gets
/// Chromium's console line word for word.
#[test]
fn images_scripts_fonts_and_xhr_go_as_chromium_sent_them() {
    let record = observed("destinations");
    let cases = record["cases"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 12);
    for case in &cases {
        let url = case["url"].as_str().unwrap_or_default();
        let Ok(target) = url::Url::parse(url) else {
            panic!("{url}")
        };
        let mut headers = serde_json::Map::new();
        if let Some(acao) = case["answer_acao"].as_str() {
            headers.insert("Access-Control-Allow-Origin".into(), acao.into());
        }
        if let Some(acac) = case["answer_acac"].as_str() {
            headers.insert("Access-Control-Allow-Credentials".into(), acac.into());
        }
        let mut request = serde_json::json!({
            "origin": record["page"],
            "url": url,
            "via": case["via"],
        });
        for key in ["crossorigin", "credentials"] {
            if let Some(value) = case.get(key) {
                request[key] = value.clone();
            }
        }
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": target.origin().ascii_serialization(),
                       "preflight": {"status": 204}, "actual": {"status": 200, "headers": headers}},
            "cookies": [{"set_by": "http://localhost:8012/set",
                         "set_cookie": "c=1; SameSite=None; Secure; Path=/"}],
            "requests": [request],
        });
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "destinations") {
            Ok(s) => s,
            Err(e) => panic!("case {case} loads: {e}"),
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let request = &trace.requests[0];
        let Some(sent) = request
            .exchanges
            .iter()
            .find(|e| e.kind == ExchangeKind::Actual)
        else {
            panic!("{case}: the request is sent")
        };
        for (header, key) in [
            ("Origin", "origin"),
            ("Cookie", "cookie"),
            ("Sec-Fetch-Mode", "sec_fetch_mode"),
            ("Sec-Fetch-Dest", "sec_fetch_dest"),
            ("Accept", "accept"),
        ] {
            if key == "accept" && case.get(key).is_none() {
                continue;
            }
            assert_eq!(
                sent.request.header(header).as_deref(),
                case[key].as_str(),
                "{header} in {case}"
            );
        }
        let saw = case["page_saw"].as_str().unwrap_or_default();
        let expected = if saw.starts_with("load")
            && case.get("crossorigin").is_none()
            && matches!(case["via"].as_str(), Some("img" | "script"))
        {
            Outcome::Sent
        } else if saw.starts_with("load") {
            Outcome::Allowed
        } else {
            Outcome::Blocked
        };
        assert_eq!(request.outcome, expected, "{case}");
        if expected == Outcome::Blocked {
            assert_eq!(
                request.error().as_deref(),
                case["console"].as_str(),
                "{case}"
            );
        }
    }
}

/// The destinations lesson's first question, proven: without the bucket's CORS rules only the
/// plain <img> (and the plain <script>) still do their job; every CORS-mode request fails.
#[test]
fn without_cors_rules_only_the_unchecked_elements_still_work() {
    let scenario = loaded("images-fonts-scripts-and-xhr");
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    use Outcome::{Allowed, Blocked, Sent};
    let outcomes: Vec<Outcome> = trace.requests.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Sent, Allowed, Blocked, Allowed, Sent, Allowed, Blocked, Allowed
        ]
    );
    let mut bare = scenario.clone();
    if let cors_tui::scenario::ServerKind::Bucket { cors, .. } = &mut bare.server.kind {
        *cors = None;
    }
    let rerun = engine::run(&bare, BrowserProfile::Chromium);
    let outcomes: Vec<Outcome> = rerun.requests.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Sent, Blocked, Blocked, Blocked, Sent, Blocked, Blocked, Blocked
        ]
    );
    assert_eq!(answer_of(&scenario, 0), scenario.quiz[0].choices[0].text);
    assert!(
        rerun.requests[3]
            .error()
            .as_deref()
            .is_some_and(|e| e.starts_with("Access to font at"))
    );
}

/// Chromium 148 kept the preflight result for a URL of 1,023 characters and sent OPTIONS again
/// for one of 1,024 or more (`tests/fixtures/chromium/preflight-cache.observed.json`); the
/// Fetch standard has no such limit, so the standard profile keeps it.
#[test]
fn chromium_keeps_no_preflight_result_for_a_long_url() {
    let record = observed("preflight-cache");
    let cases = record["same_url_twice"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(cases.len(), 3);
    let server = record["server"].as_str().unwrap_or_default();
    for case in &cases {
        let length = case["length"].as_u64().unwrap_or_default() as usize;
        let stem = format!("{server}/l?q=");
        let url = format!("{stem}{}", "a".repeat(length - stem.len()));
        let put = serde_json::json!({
            "origin": record["page"], "method": "PUT", "url": url, "headers": {"x-test": "1"},
        });
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": server,
                       "preflight": {"status": 204, "headers": {
                           "Access-Control-Allow-Origin": record["page"],
                           "Access-Control-Allow-Methods": "PUT",
                           "Access-Control-Allow-Headers": "x-test",
                           "Access-Control-Max-Age": "600"}},
                       "actual": {"status": 200, "headers": {
                           "Access-Control-Allow-Origin": record["page"]}}},
            "requests": [put.clone(), put],
        });
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "long-url") {
            Ok(s) => s,
            Err(e) => panic!("case {case} loads: {e}"),
        };
        let preflights = |profile| {
            engine::run(&scenario, profile)
                .requests
                .iter()
                .filter(|r| r.preflight)
                .count()
        };
        assert_eq!(
            Some(preflights(BrowserProfile::Chromium) as u64),
            case["preflights"].as_u64(),
            "{case}"
        );
        assert_eq!(preflights(BrowserProfile::Standard), 1, "{case}");
    }
}

/// Chromium 148 fetched 40 URLs twice with 40 preflights; past 1,024 results it drops some at
/// random, so 1,100 URLs twice took 1,228 (`preflight-cache.observed.json`). The simulation
/// matches the first exactly; for the second it sends one preflight per URL and says each hit
/// of the second pass is likely, not certain.
#[test]
fn past_1024_preflight_results_chromium_hits_are_said_to_be_uncertain() {
    let record = observed("preflight-cache");
    let cases = record["distinct_urls_then_again"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(cases.len(), 2);
    let server = record["server"].as_str().unwrap_or_default();
    for case in &cases {
        let urls = case["urls"].as_u64().unwrap_or_default() as usize;
        let put = |i: usize| {
            serde_json::json!({
                "origin": record["page"], "method": "PUT",
                "url": format!("{server}/items/{i}"), "headers": {"x-test": "1"},
            })
        };
        let requests: Vec<_> = (0..urls).chain(0..urls).map(put).collect();
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": server,
                       "preflight": {"status": 204, "headers": {
                           "Access-Control-Allow-Origin": record["page"],
                           "Access-Control-Allow-Methods": "PUT",
                           "Access-Control-Allow-Headers": "x-test",
                           "Access-Control-Max-Age": "600"}},
                       "actual": {"status": 200, "headers": {
                           "Access-Control-Allow-Origin": record["page"]}}},
            "requests": requests,
        });
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "many-urls") {
            Ok(s) => s,
            Err(e) => panic!("case {case} loads: {e}"),
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let preflights = trace.requests.iter().filter(|r| r.preflight).count() as u64;
        let observed = case["preflights"].as_u64().unwrap_or_default();
        let uncertain = trace.requests[urls..]
            .iter()
            .filter(|r| {
                trace
                    .text(&trace.steps[r.steps.start])
                    .explanation
                    .contains("if Chromium still holds them")
            })
            .count();
        if urls <= 1024 {
            assert_eq!(preflights, observed, "{case}");
            assert_eq!(uncertain, 0, "{case}");
        } else {
            assert_eq!(preflights, urls as u64, "{case}");
            assert!(observed > preflights, "{case}");
            assert_eq!(uncertain, urls, "{case}");
        }
    }
}

/// Chromium 148 kept a passed preflight's result when the answer to the request it guarded
/// failed the CORS check: the same POST again sent no OPTIONS (`after_a_blocked_answer` in
/// `preflight-cache.observed.json`). The standard clears the entries, so it preflights again.
#[test]
fn chromium_keeps_a_preflight_result_after_the_answer_it_guarded_is_blocked() {
    let record = observed("preflight-cache");
    let case = &record["after_a_blocked_answer"];
    let page = "https://shop.example";
    let post = |answer: serde_json::Value| {
        serde_json::json!({
            "origin": page, "method": "POST", "url": "https://api.example/orders",
            "headers": {"Content-Type": "application/json"}, "responses": {"actual": answer},
        })
    };
    let scenario = serde_json::json!({
        "server": {"type": "static", "url": "https://api.example",
                   "preflight": {"status": 204, "headers": {
                       "Access-Control-Allow-Origin": page,
                       "Access-Control-Allow-Methods": "POST",
                       "Access-Control-Allow-Headers": "content-type",
                       "Access-Control-Max-Age": "600"}},
                   "actual": {"status": 200}},
        "requests": [
            post(serde_json::json!({"status": 201})),
            post(serde_json::json!({"status": 201, "headers": {"Access-Control-Allow-Origin": "*"}})),
        ],
    });
    let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "kept") {
        Ok(s) => s,
        Err(e) => panic!("loads: {e}"),
    };
    let run = |profile| engine::run(&scenario, profile);
    let chromium = run(BrowserProfile::Chromium);
    let outcomes: Vec<Outcome> = chromium.requests.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::Blocked, Outcome::Allowed]);
    let preflights = |trace: &Trace| trace.requests.iter().filter(|r| r.preflight).count() as u64;
    assert_eq!(Some(preflights(&chromium)), case["preflights"].as_u64());
    assert_eq!(preflights(&run(BrowserProfile::Standard)), 2);
}

/// The browser's HTTP cache as Chromium 148 keeps it (the observations in
/// `tests/fixtures/chromium/lab/`, which the lab test runs in the browser too): how many of
/// each observation's requests reached the server.
#[test]
fn the_http_cache_keeps_what_chromium_keeps() {
    for (name, reached) in [
        (
            "cache-keeps-a-credentialed-answer-for-an-anonymous-fetch",
            [true, false].as_slice(),
        ),
        (
            "cache-keeps-an-anonymous-answer-for-a-credentialed-fetch",
            &[true, false],
        ),
        ("cache-drops-an-answer-that-failed-cors", &[true, true]),
        ("cache-keeps-a-copy-that-failed-cors", &[true, false, false]),
    ] {
        let path = format!("tests/fixtures/chromium/lab/{name}.json");
        let scenario = load_file(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let server_saw: Vec<bool> = trace
            .requests
            .iter()
            .map(|record| {
                record.exchanges.iter().any(|e| {
                    e.kind == ExchangeKind::Actual
                        && !matches!(e.server, cors_tui::server::ServerNote::BrowserCache { .. })
                })
            })
            .collect();
        assert_eq!(server_saw, reached, "{name}");
        for record in &trace.requests {
            assert_eq!(
                Some(record.outcome),
                scenario.requests[record.index - 1].expect,
                "{name} #{}",
                record.index
            );
        }
    }
}

/// A 301 without Cache-Control is kept for good: after the server's fix, the same fetch still
/// follows the stored, failed 301 without reaching the server; skipping the cache or calling
/// the final URL reaches the fixed server. The fix says why a server change alone cannot help.
#[test]
fn a_permanent_redirect_is_kept_after_the_server_is_fixed() {
    let path = format!(
        "{}/scenarios/permanent-redirect-cached.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let scenario = load_file(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    let served_by_cache: Vec<Option<cors_tui::server::FreshBy>> = trace
        .requests
        .iter()
        .map(|record| {
            record.exchanges.iter().find_map(|e| match &e.server {
                cors_tui::server::ServerNote::BrowserCache { stored, .. } => Some(stored.fresh_by),
                _ => None,
            })
        })
        .collect();
    assert_eq!(
        served_by_cache,
        [None, Some(cors_tui::server::FreshBy::Permanent), None, None]
    );
    let outcomes: Vec<Outcome> = trace.requests.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Blocked,
            Outcome::Blocked,
            Outcome::Allowed,
            Outcome::Allowed
        ]
    );
    let fix = cors_tui::analysis::fix::fix_for(&scenario, &trace, &trace.requests[1])
        .expect("a fix for the cached 301");
    assert!(fix.proven, "{fix:?}");
    assert!(
        fix.diff
            .iter()
            .any(|line| line.contains("cache: 'no-store'"))
    );
    assert!(
        fix.caveats.iter().any(|c| c.contains("302 or 307")),
        "{:?}",
        fix.caveats
    );
}

/// Each request headless Chromium 156 made in
/// `tests/fixtures/chromium/local-network-access.observed.json` is refused before it is sent,
/// or sent, as Chromium did, with Chromium's console line word for word; a page on a local
/// address is not restricted, and the standard profile (no Local Network Access) sends all.
#[test]
fn local_network_access_refuses_what_chromium_refused() {
    let record = observed("local-network-access");
    let runs = record["runs"].as_array().cloned().unwrap_or_default();
    let mut cases = 0;
    for run in &runs {
        let page = run["page"].as_str().unwrap_or_default();
        let simulated_page = run["simulated_page"].as_str().unwrap_or(page);
        for case in run["cases"].as_array().into_iter().flatten() {
            cases += 1;
            let url = case["url"].as_str().unwrap_or_default();
            let simulated_url = case["simulated_url"].as_str().unwrap_or(url);
            let Ok(target) = url::Url::parse(simulated_url) else {
                panic!("{simulated_url}")
            };
            // A redirect to the address refused: the first server answers 302 to it.
            let responses = match case.get("redirect_to") {
                Some(location) => serde_json::json!({"actual": {"status": 302, "headers": {
                    "Location": location, "Access-Control-Allow-Origin": "*"}}}),
                None => serde_json::json!({}),
            };
            let scenario = serde_json::json!({
                "server": {"type": "static", "url": target.origin().ascii_serialization(),
                           "preflight": {"status": 204, "headers": {
                               "Access-Control-Allow-Origin": "*",
                               "Access-Control-Allow-Methods": "PUT",
                               "Access-Control-Allow-Headers": "x-custom"}},
                           "actual": {"status": 200,
                                      "headers": {"Access-Control-Allow-Origin": "*"}}},
                "requests": [{
                    "origin": simulated_page,
                    "url": simulated_url,
                    "method": case.get("method").cloned().unwrap_or("GET".into()),
                    "headers": case.get("headers").cloned().unwrap_or(serde_json::json!({})),
                    "via": case["via"],
                    "responses": responses,
                }],
                "local_network_access": run.get("local_network_access").cloned()
                    .unwrap_or("denied".into()),
            });
            let Ok(scenario) = cors_tui::scenario::load_str(&scenario.to_string(), "lna") else {
                panic!("case {case} loads")
            };
            let trace = engine::run(&scenario, BrowserProfile::Chromium);
            let request = &trace.requests[0];
            let sent = request.exchanges.iter().any(|e| e.response.status != 0);
            assert_eq!(Some(sent), case["server_saw"].as_bool(), "{case}");
            if let Some(location) = case.get("redirect_to").and_then(|l| l.as_str()) {
                let reached = request
                    .exchanges
                    .iter()
                    .any(|e| e.request.url.as_ref() == location && e.response.status != 0);
                assert_eq!(Some(reached), case["target_saw"].as_bool(), "{case}");
            }
            if let Some(methods) = case.get("methods_seen") {
                let sent: Vec<String> = request
                    .exchanges
                    .iter()
                    .map(|e| e.request.method.to_string())
                    .collect();
                assert_eq!(serde_json::json!(sent), *methods, "{case}");
            }
            assert_eq!(
                request.cors_error.map(CorsError::name),
                case["cors_error"].as_str(),
                "{case}"
            );
            // The console line, with the simulated stand-ins put back.
            let console = request.error().map(|line| {
                line.replace(simulated_url, url)
                    .replace(simulated_page, page)
            });
            assert_eq!(console.as_deref(), case["console"].as_str(), "{case}");
            // Local Network Access is Chromium's; mixed content is every browser's.
            let standard = engine::run(&scenario, BrowserProfile::Standard);
            assert!(
                !matches!(
                    standard.requests[0].cors_error,
                    Some(
                        CorsError::LocalNetworkAccessPermissionDenied
                            | CorsError::InsecureLocalNetwork
                    )
                ),
                "{case}"
            );
        }
    }
    assert_eq!(cases, 28);
}

/// An answer the browser's HTTP cache serves again does not store its cookies again
/// (`tests/fixtures/chromium/cached-answer-sets-no-cookie.observed.json`): a later cookie of the
/// same name stays, and goes with the next request, as it did in Chromium 156.
#[test]
fn a_cached_answer_does_not_set_its_cookie_again() {
    let record = observed("cached-answer-sets-no-cookie");
    let answer = |cache: &str, cookie: &str| {
        serde_json::json!({"actual": {"status": 200, "headers": {
            "Cache-Control": cache, "Set-Cookie": cookie}}})
    };
    let steps = record["requests"].as_array().cloned().unwrap_or_default();
    let requests: Vec<serde_json::Value> = steps
        .iter()
        .map(|step| {
            let url = step["url"].as_str().unwrap_or_default();
            let responses = if url.ends_with("/set2") {
                answer("no-store", "c=2; Path=/")
            } else {
                answer("max-age=3600", "c=1; Path=/")
            };
            serde_json::json!({"origin": record["page"], "url": url, "responses": responses})
        })
        .collect();
    let scenario = serde_json::json!({
        "server": {"type": "static", "url": record["page"],
                   "preflight": {"status": 204}, "actual": {"status": 200}},
        "requests": requests,
    });
    let Ok(scenario) = cors_tui::scenario::load_str(&scenario.to_string(), "cached-cookie") else {
        panic!("the scenario loads")
    };
    let trace = engine::run(&scenario, BrowserProfile::Chromium);
    assert_eq!(trace.requests.len(), steps.len());
    for (record, step) in trace.requests.iter().zip(&steps) {
        let actual = record
            .exchanges
            .iter()
            .find(|e| e.kind == ExchangeKind::Actual);
        let from_cache = actual
            .is_some_and(|e| matches!(e.server, cors_tui::server::ServerNote::BrowserCache { .. }));
        assert_eq!(Some(!from_cache), step["server_saw"].as_bool(), "{step}");
        if let Some(sent) = step.get("cookie_sent") {
            let cookie = actual.and_then(|e| e.request.header("Cookie"));
            assert_eq!(cookie.as_deref(), sent.as_str(), "{step}");
        }
    }
}

/// Each of the 150 no-cors loads headless Chromium 156 made in
/// `tests/fixtures/chromium/opaque-response-blocking.observed.json`: an `<img>` or `<script>`
/// without `crossorigin` shows or runs the answer, or fails, as Chromium's did, and Opaque
/// Response Blocking withholds exactly the answers Chromium withheld (`net::ERR_BLOCKED_BY_ORB`
/// for an element; `net::ERR_ABORTED` for a no-cors fetch(), which still resolves). The standard
/// profile (no ORB) withholds nothing.
#[test]
fn opaque_response_blocking_withholds_what_chromium_withheld() {
    use cors_tui::engine::fetch_rules::ElementOutcome;
    use cors_tui::engine::summary::{Ended, UncheckedBy};
    let record = observed("opaque-response-blocking");
    let mut checked = 0;
    for case in record["cases"].as_array().into_iter().flatten() {
        let via = case["via"].as_str().unwrap_or_default();
        let body_name = case["body"].as_str().unwrap_or_default();
        let body = match body_name {
            "png" => "(67 bytes of image/png)".to_string(),
            name => record["bodies"][name]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let mut headers = serde_json::Map::new();
        if let Some(content_type) = case["content_type"].as_str() {
            headers.insert("Content-Type".into(), content_type.into());
        }
        if case["nosniff"] == true {
            headers.insert("X-Content-Type-Options".into(), "nosniff".into());
        }
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": "http://127.0.0.1:41311",
                       "preflight": {"status": 204, "headers": {}},
                       "actual": {"status": case["status"], "headers": headers, "body": body}},
            "requests": [{"origin": "http://127.0.0.1:41310", "via": via,
                          "url": "http://127.0.0.1:41311/r"}],
        });
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "orb.json") {
            Ok(s) => s,
            Err(e) => panic!("{case}: {e}"),
        };
        let what = format!(
            "{via} {} {} {body_name}",
            case["status"], case["content_type"]
        );
        let error = case["network_error"].as_str();
        for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
            let trace = engine::run(&scenario, profile);
            let request = &trace.requests[0];
            assert_eq!(request.outcome, Outcome::Sent, "{what}");
            let chromium = profile == BrowserProfile::Chromium;
            match (via, &*request.summary.ending) {
                ("no-cors", Ended::Unchecked(UncheckedBy::NoCorsFetch { withheld, .. })) => {
                    assert_eq!(case["page_saw"], "resolved opaque 0", "{what}");
                    let aborted = error == Some("net::ERR_ABORTED");
                    assert_eq!(
                        withheld.is_some(),
                        aborted && chromium,
                        "{what} ({profile:?})"
                    );
                }
                (_, Ended::Unchecked(UncheckedBy::Element(outcome))) if chromium => {
                    let withheld = matches!(outcome, ElementOutcome::Withheld(_));
                    assert_eq!(withheld, error == Some("net::ERR_BLOCKED_BY_ORB"), "{what}");
                    let loads = *outcome == ElementOutcome::Loads;
                    assert_eq!(loads, case["page_saw"] == "load", "{what}: {outcome:?}");
                }
                (_, Ended::Unchecked(UncheckedBy::Element(outcome))) => {
                    assert!(!matches!(outcome, ElementOutcome::Withheld(_)), "{what}");
                }
                (_, ending) => panic!("{what}: {ending:?}"),
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 150);
}

/// Replays each load of an observation file of resource policies (`relation` is the page's
/// Cross-Origin-Embedder-Policy when `coep`) and checks it against what Chromium did: a CORS
/// request (`cors`, `img-anon`) is allowed whatever the policies say; a no-cors fetch() rejects
/// and an element fails exactly where Chromium refused them, with DevTools' network error.
/// Returns how many loads were checked.
fn replay_resource_policy_loads(record: &serde_json::Value, coep: bool) -> usize {
    use cors_tui::engine::fetch_rules::ElementOutcome;
    use cors_tui::engine::summary::{Ended, UncheckedBy};
    let mut checked = 0;
    for case in record["cases"].as_array().into_iter().flatten() {
        let via = case["via"].as_str().unwrap_or_default();
        let (content_type, body) = match via {
            "img" | "img-anon" => ("image/png", "(67 bytes of image/png)"),
            "script" => ("text/javascript", "1;"),
            _ => ("text/plain", "hello"),
        };
        let mut headers = serde_json::json!({
            "Access-Control-Allow-Origin": "*", "Content-Type": content_type});
        if let Some(corp) = case["corp"].as_str() {
            headers["Cross-Origin-Resource-Policy"] = corp.into();
        }
        let url = format!("{}/r", case["target"].as_str().unwrap_or_default());
        let request = match via {
            "cors" => serde_json::json!({"origin": case["page"], "url": url}),
            "img-anon" => serde_json::json!({"origin": case["page"], "via": "img",
                                             "crossorigin": "anonymous", "url": url}),
            _ => serde_json::json!({"origin": case["page"], "via": via, "url": url}),
        };
        let mut scenario = serde_json::json!({
            "server": {"type": "static", "url": case["target"],
                       "preflight": {"status": 204, "headers": {}},
                       "actual": {"status": 200, "headers": headers, "body": body}},
            "requests": [request],
        });
        if coep {
            scenario["cross_origin_embedder_policy"] = case["relation"].clone();
        }
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "policy.json") {
            Ok(s) => s,
            Err(e) => panic!("{case}: {e}"),
        };
        let what = format!("{} {via} {}", case["relation"], case["corp"]);
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let request = &trace.requests[0];
        let error = case["network_error"].as_str();
        let saw = case["page_saw"].as_str().unwrap_or_default();
        match (via, &*request.summary.ending) {
            ("cors" | "img-anon", _) => assert_eq!(request.outcome, Outcome::Allowed, "{what}"),
            ("no-cors", Ended::Unchecked(UncheckedBy::NoCorsFetch { refused, .. })) => {
                assert_eq!(refused.is_some(), saw.starts_with("rejected"), "{what}");
                assert_eq!(refused.map(|p| p.network_error()), error, "{what}");
            }
            (_, Ended::Unchecked(UncheckedBy::Element(outcome))) => {
                let refused = match outcome {
                    ElementOutcome::Refused(policy) => Some(policy.network_error()),
                    _ => None,
                };
                assert_eq!(refused, error, "{what}");
                assert_eq!(*outcome == ElementOutcome::Loads, saw == "load", "{what}");
            }
            (_, ending) => panic!("{what}: {ending:?}"),
        }
        checked += 1;
    }
    checked
}

/// Each load headless Chromium 156 made in
/// `tests/fixtures/chromium/cross-origin-resource-policy.observed.json`: an answer's
/// `Cross-Origin-Resource-Policy` refuses a no-cors `<img>`, `<script>` or fetch() from another
/// origin (`same-origin`) or site (`same-site`; an address is same-site only with its own
/// origin), with DevTools' network error; a CORS fetch() is not held to it; any value but the
/// exact lowercase ones is ignored.
#[test]
fn cross_origin_resource_policy_refuses_what_chromium_refused() {
    let record = observed("cross-origin-resource-policy");
    assert_eq!(replay_resource_policy_loads(&record, false), 84);
}

/// Each load headless Chromium 156 made in
/// `tests/fixtures/chromium/cross-origin-embedder-policy.observed.json`: a page whose
/// Cross-Origin-Embedder-Policy is `require-corp` takes an answer without
/// Cross-Origin-Resource-Policy to be `same-origin`, so its no-cors loads from another site
/// fail; `credentialless` asks nothing of such an answer; neither touches a CORS request.
#[test]
fn cross_origin_embedder_policy_refuses_what_chromium_refused() {
    let record = observed("cross-origin-embedder-policy");
    assert_eq!(replay_resource_policy_loads(&record, true), 40);
}

/// A scenario's `addresses` say where a name is: a public page's call to an intranet name at a
/// private address is refused by Local Network Access, as a call to the address itself was in
/// Chromium 156, and the console line names the `local` address space; without the entry, the
/// name is taken to be public and the call goes out.
#[test]
fn an_intranet_name_the_scenario_resolves_is_behind_local_network_access() {
    let text = |addresses: &str| {
        format!(
            r#"{{{addresses}
            "server": {{"type": "static", "url": "https://api.intranet.example",
                        "preflight": {{"status": 204, "headers": {{}}}},
                        "actual": {{"status": 200, "headers": {{"Access-Control-Allow-Origin": "*"}}}}}},
            "requests": [{{"origin": "https://dashboard.example", "url": "https://api.intranet.example/status"}}]}}"#
        )
    };
    let run = |text: String| {
        let scenario = match cors_tui::scenario::load_str(&text, "intranet.json") {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        engine::run(&scenario, BrowserProfile::Chromium)
    };
    let resolved = run(text(
        r#""addresses": {"api.intranet.example": "10.20.0.7"},"#,
    ));
    let request = &resolved.requests[0];
    assert_eq!(request.outcome, Outcome::Blocked);
    assert_eq!(
        request.cors_error,
        Some(CorsError::LocalNetworkAccessPermissionDenied)
    );
    let console = request.console.as_ref().map(ToString::to_string);
    assert!(
        console
            .as_deref()
            .is_some_and(|line| line.contains("access the `local` address space")),
        "{console:?}"
    );
    let step = resolved.text(&resolved.steps[request.steps.start]);
    assert!(
        step.explanation
            .contains("10.20.0.7, by the scenario's addresses"),
        "{}",
        step.explanation
    );
    let unresolved = run(text(""));
    assert_eq!(unresolved.requests[0].outcome, Outcome::Allowed);
}

/// Each `<script>` headless Chromium 156 loaded in
/// `tests/fixtures/chromium/script-types.observed.json`, without and with crossorigin: it runs
/// or fails as Chromium's did. An image, video or CSV type never runs; under `nosniff` only a
/// JavaScript type does (no type included); ORB withholds the data types first without
/// crossorigin.
#[test]
fn a_script_runs_by_its_type_as_chromium_ran_it() {
    use cors_tui::engine::fetch_rules::ElementOutcome;
    let record = observed("script-types");
    let mut checked = 0;
    for case in record["cases"].as_array().into_iter().flatten() {
        let mut headers = serde_json::json!({"Access-Control-Allow-Origin": "*"});
        if let Some(content_type) = case["content_type"].as_str() {
            headers["Content-Type"] = content_type.into();
        }
        if case["nosniff"] == true {
            headers["X-Content-Type-Options"] = "nosniff".into();
        }
        let mut request = serde_json::json!({"origin": "http://127.0.0.1:41330", "via": "script",
                                             "url": "http://127.0.0.1:41331/s"});
        if case["mode"] == "cors" {
            request["crossorigin"] = "anonymous".into();
        }
        let scenario = serde_json::json!({
            "server": {"type": "static", "url": "http://127.0.0.1:41331",
                       "preflight": {"status": 204, "headers": {}},
                       "actual": {"status": 200, "headers": headers,
                                  "body": "window.__ran = (window.__ran || 0) + 1;"}},
            "requests": [request],
        });
        let scenario = match cors_tui::scenario::load_str(&scenario.to_string(), "script.json") {
            Ok(s) => s,
            Err(e) => panic!("{case}: {e}"),
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let request = &trace.requests[0];
        let runs = request.element_outcome() == Some(ElementOutcome::Loads);
        assert_eq!(runs, case["page_saw"] == "load", "{case}");
        checked += 1;
    }
    assert_eq!(checked, 40);
}
