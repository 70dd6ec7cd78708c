//! Engine invariants over random scenarios (proptest).

use cors_tui::engine::{self, ExchangeKind, Trace, VARIABLES};
use cors_tui::scenario::{
    BrowserProfile, CacheMode, CorsConfiguration, CorsRule, Credentials, Outcome, Provider,
    RequestSpec, ResponseOverrides, Scenario, Server, ServerKind, Via,
};
use proptest::prelude::*;
use url::Url;

const BUCKET: &str = "https://bucket.s3.amazonaws.com";
const ORIGINS: [&str; 5] = [
    "https://app.example",
    "https://evil.example",
    "http://app.example",
    "null",
    BUCKET,
];

fn url(text: &str) -> Url {
    match Url::parse(text) {
        Ok(u) => u,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn rule_strategy() -> impl Strategy<Value = CorsRule> {
    let origins = prop::sample::subsequence(
        vec![
            "*",
            "https://app.example",
            "https://*.example",
            "http://app.example",
            "null",
        ],
        1..=2,
    );
    let methods = prop::sample::subsequence(vec!["GET", "PUT", "HEAD", "POST", "DELETE"], 1..=3);
    let headers =
        prop::sample::subsequence(vec!["*", "Content-Type", "x-amz-*", "Authorization"], 0..=2);
    let expose = prop::sample::subsequence(vec!["ETag", "x-amz-request-id"], 0..=2);
    let max_age = prop::option::of(prop_oneof![Just(-1i64), 0i64..20, Just(86_400)]);
    (origins, methods, headers, expose, max_age).prop_map(|(o, m, h, e, max_age)| CorsRule {
        id: None,
        allowed_origins: o.into_iter().map(String::from).collect(),
        allowed_methods: m.into_iter().map(String::from).collect(),
        allowed_headers: h.into_iter().map(String::from).collect(),
        expose_headers: e.into_iter().map(String::from).collect(),
        max_age_seconds: max_age,
    })
}

fn request_strategy() -> impl Strategy<Value = RequestSpec> {
    let origin = prop::sample::select(ORIGINS.to_vec());
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "HEAD", "patch"]);
    let path = prop::sample::select(vec!["/a.txt", "/b.json", "/"]);
    let header = prop::sample::select(vec![
        ("Content-Type", "text/plain"),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer t"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("Accept", "application/json"),
        ("Range", "bytes=-5"),
        ("Origin", "https://forged.example"),
    ]);
    let headers = prop::collection::vec(header, 0..3);
    let credentials = prop::sample::select(vec![
        Credentials::Omit,
        Credentials::SameOrigin,
        Credentials::Include,
    ]);
    let cache = prop::sample::select(vec![
        CacheMode::Default,
        CacheMode::NoStore,
        CacheMode::ForceCache,
    ]);
    let via = prop::sample::select(vec![Via::Browser, Via::Browser, Via::Browser, Via::Raw]);
    let wait = prop_oneof![Just(0u64), 1u64..10, Just(7_300)];
    // A live probe holds some requests back after their preflight.
    let withheld = prop::sample::select(vec![false, false, false, true]);
    (
        origin,
        method,
        path,
        headers,
        credentials,
        cache,
        (via, withheld),
        wait,
    )
        .prop_map(
            |(origin, method, path, headers, credentials, cache, (via, withheld), wait)| {
                RequestSpec {
                    origin: Some(origin.to_string()),
                    method: method.to_string(),
                    url: url(&format!("{BUCKET}{path}")),
                    headers: headers
                        .into_iter()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect(),
                    credentials: if via == Via::Raw {
                        Credentials::SameOrigin
                    } else {
                        credentials
                    },
                    cache: if via == Via::Raw {
                        CacheMode::Default
                    } else {
                        cache
                    },
                    via,
                    expect: None,
                    note: None,
                    responses: ResponseOverrides::default(),
                    wait_seconds: wait,
                    preflight_not_recorded: false,
                    actual_withheld: withheld,
                }
            },
        )
}

fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    let cors = prop::option::of(prop::collection::vec(rule_strategy(), 1..4));
    // The same rules judged by each provider's matching and answers.
    let provider = prop::sample::select(Provider::ALL.to_vec());
    (
        cors,
        provider,
        prop::collection::vec(request_strategy(), 1..8),
    )
        .prop_map(|(rules, provider, requests)| Scenario {
            title: "generated".to_string(),
            description: String::new(),
            browser: None,
            server: Server {
                url: url(BUCKET),
                kind: ServerKind::Bucket {
                    provider,
                    cors: rules.map(|rules| CorsConfiguration { rules }),
                },
                rules_from: None,
            },
            requests,
            moments: Vec::new(),
            quiz: Vec::new(),
        })
}

fn check_structure(trace: &Trace, scenario: &Scenario) -> Result<(), TestCaseError> {
    prop_assert_eq!(trace.requests.len(), scenario.requests.len());
    let mut next_step = 0;
    for (i, request) in trace.requests.iter().enumerate() {
        prop_assert_eq!(request.index, i + 1);
        prop_assert_eq!(request.steps.start, next_step, "steps are contiguous");
        prop_assert!(!request.steps.is_empty());
        next_step = request.steps.end;
        for step in &trace.steps[request.steps.clone()] {
            prop_assert_eq!(step.request, request.index);
            prop_assert_eq!(step.variables.len(), VARIABLES.len());
            if let Some(ex) = step.exchange {
                prop_assert!(ex < request.exchanges.len());
            }
        }
    }
    prop_assert_eq!(next_step, trace.steps.len());
    for (i, step) in trace.steps.iter().enumerate() {
        prop_assert_eq!(step.n, i + 1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_trace_is_a_pure_function_of_the_scenario(scenario in scenario_strategy()) {
        let first = engine::run(&scenario, BrowserProfile::Chromium);
        let second = engine::run(&scenario, BrowserProfile::Chromium);
        prop_assert_eq!(&first, &second);
        check_structure(&first, &scenario)?;
        check_structure(&engine::run(&scenario, BrowserProfile::Standard), &scenario)?;
    }

    #[test]
    fn outcomes_are_consistent_with_the_wire(scenario in scenario_strategy(), standard in any::<bool>()) {
        let profile = if standard { BrowserProfile::Standard } else { BrowserProfile::Chromium };
        let trace = engine::run(&scenario, profile);
        for (request, spec) in trace.requests.iter().zip(&scenario.requests) {
            let blocked = request.outcome == Outcome::Blocked;
            prop_assert_eq!(blocked, request.error.is_some());
            prop_assert_eq!(blocked, request.cors_error.is_some());
            match (spec.via, spec.actual_withheld) {
                (Via::Raw, _) => prop_assert_eq!(request.outcome, Outcome::Sent),
                (Via::Browser, false) => prop_assert_ne!(request.outcome, Outcome::Sent),
                // Held back: no verdict on the request, unless its preflight already failed.
                (Via::Browser, true) => prop_assert!(
                    request.outcome == Outcome::Sent
                        || request.failed_at == Some(ExchangeKind::Preflight)
                ),
            }
            // A request the probe held back never reaches the server; its preflight may.
            if spec.actual_withheld {
                prop_assert!(request.exchanges.iter().all(|e| e.kind == ExchangeKind::Preflight));
                prop_assert!(request.outcome != Outcome::Allowed);
            }
            prop_assert_eq!(request.preflight, request.exchanges.iter().any(|e| e.kind == ExchangeKind::Preflight));
            if request.failed_at == Some(ExchangeKind::Preflight) {
                prop_assert!(request.exchanges.iter().all(|e| e.kind == ExchangeKind::Preflight), "a failed preflight stops the request");
            }
            // The browser never lets a page set Origin.
            if spec.via == Via::Browser {
                for exchange in &request.exchanges {
                    prop_assert_eq!(exchange.request.header("Origin"), spec.origin.clone().filter(|_| !request.same_origin || !matches!(request.method.as_str(), "GET" | "HEAD")));
                }
            }
            // Same-origin requests never preflight and are never blocked.
            if request.same_origin {
                prop_assert!(!request.preflight);
                let expected = if spec.actual_withheld { Outcome::Sent } else { Outcome::Allowed };
                prop_assert_eq!(request.outcome, expected);
            }
            for exchange in request.exchanges.iter().filter(|e| e.kind == ExchangeKind::Preflight) {
                prop_assert_eq!(exchange.request.method.as_str(), "OPTIONS");
                if let Some(names) = exchange.request.header("Access-Control-Request-Headers") {
                    let list: Vec<&str> = names.split(',').collect();
                    let mut sorted = list.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    prop_assert_eq!(&list, &sorted, "ACRH is sorted and deduplicated");
                    prop_assert!(names.chars().all(|c| !c.is_ascii_uppercase() && c != ' '));
                }
                prop_assert_eq!(exchange.request.header("Cookie"), None, "preflights carry no credentials");
            }
        }
    }

    #[test]
    fn a_credentialed_request_is_never_allowed_through_a_wildcard(scenario in scenario_strategy()) {
        for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
            let trace = engine::run(&scenario, profile);
            for request in &trace.requests {
                if request.outcome == Outcome::Allowed && !request.same_origin && request.credentials == Credentials::Include {
                    let actual = request.exchanges.iter().find(|e| e.kind == ExchangeKind::Actual);
                    prop_assert!(actual.is_some());
                    if let Some(actual) = actual {
                        let allow_origin = actual.response.header("Access-Control-Allow-Origin");
                        let allow_credentials = actual.response.header("Access-Control-Allow-Credentials");
                        prop_assert_ne!(allow_origin.as_deref(), Some("*"));
                        prop_assert_eq!(allow_credentials.as_deref(), Some("true"));
                    }
                }
            }
        }
    }

    #[test]
    fn cross_origin_requests_without_preflight_are_simple(scenario in scenario_strategy()) {
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        for request in &trace.requests {
            if request.via == Via::Browser && !request.same_origin && !request.preflight && !request.cache_hit {
                prop_assert!(matches!(request.method.as_str(), "GET" | "HEAD" | "POST"), "{}", request.method);
            }
        }
    }

    /// Where no step notes a difference, the two profiles decide every request the same way.
    #[test]
    fn profiles_part_only_where_a_step_says_so(scenario in scenario_strategy()) {
        let chromium = engine::run(&scenario, BrowserProfile::Chromium);
        let standard = engine::run(&scenario, BrowserProfile::Standard);
        let noted = chromium.steps.iter().any(|s| s.profile_note.is_some());
        if !noted {
            for (a, b) in chromium.requests.iter().zip(&standard.requests) {
                prop_assert_eq!(a.outcome, b.outcome);
                prop_assert_eq!(a.preflight, b.preflight);
                prop_assert_eq!(a.cors_error, b.cors_error);
            }
        }
    }
}
