//! Engine invariants over random scenarios (proptest).

use cors_tui::engine::RequestRecord;
use cors_tui::engine::{self, CorsError, ExchangeKind, Trace, VARIABLES};
use cors_tui::scenario::{
    BrowserProfile, CacheMode, CannedResponse, Cookies, CorsConfiguration, CorsRule, Credentials,
    EmbedderPolicy, Initiator, LocalNetworkAccess, Outcome, Provider, RequestSpec,
    ResponseOverrides, Scenario, Server, ServerKind, SetCookie, ThirdPartyCookies, Via,
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

/// An answer at some hop: a redirect somewhere, or a final answer with some CORS headers.
fn answer_strategy() -> impl Strategy<Value = CannedResponse> {
    let status = prop::sample::select(vec![200u16, 301, 302, 303, 307, 308, 403]);
    let location = prop::sample::select(vec![
        None,
        Some("/b.json"),
        Some("https://cdn.example.net/x"),
        Some("https://app.example/back"),
        Some("https://u:p@cdn.example.net/"),
        Some("ftp://files.example/"),
    ]);
    let allow_origin = prop::sample::select(vec![
        None,
        Some("*"),
        Some("null"),
        Some("https://app.example"),
    ]);
    let allow_credentials = any::<bool>();
    (status, location, allow_origin, allow_credentials).prop_map(
        |(status, location, allow_origin, allow_credentials)| {
            let mut headers = cors_tui::scenario::Headers::new();
            if let Some(location) = location {
                headers.push(("Location".to_string().into(), location.to_string().into()));
            }
            if let Some(value) = allow_origin {
                headers.push((
                    "Access-Control-Allow-Origin".to_string().into(),
                    value.to_string().into(),
                ));
            }
            if allow_credentials {
                headers.push((
                    "Access-Control-Allow-Credentials".to_string().into(),
                    "true".to_string().into(),
                ));
            }
            CannedResponse {
                status,
                headers,
                body: String::new(),
                network_error: None,
            }
        },
    )
}

/// Mostly the server's own answers; sometimes a scripted answer, redirects and later hops.
fn responses_strategy() -> impl Strategy<Value = ResponseOverrides> {
    let hop = answer_strategy().prop_map(|actual| ResponseOverrides {
        actual: Some(actual),
        ..ResponseOverrides::default()
    });
    prop_oneof![
        3 => Just(ResponseOverrides::default()),
        1 => (answer_strategy(), prop::collection::vec(hop, 0..4)).prop_map(|(actual, hops)| {
            ResponseOverrides {
                preflight: None,
                actual: Some(actual),
                after_redirect: hops,
            }
        }),
    ]
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
    let via = prop::sample::select(vec![
        Via::Browser,
        Via::Browser,
        Via::Browser,
        Via::Raw,
        Via::Element,
        Via::NoCors,
    ]);
    let wait = prop_oneof![Just(0u64), 1u64..10, Just(7_300)];
    // A live probe holds some requests back after their preflight.
    let withheld = prop::sample::select(vec![false, false, false, true]);
    // What sent it: fetch() mostly; XMLHttpRequest; an element (in CORS mode when via is
    // browser, no-cors when via is element; a font only in CORS mode).
    let initiator = prop::sample::select(vec![
        Initiator::Fetch,
        Initiator::Fetch,
        Initiator::Xhr,
        Initiator::Img,
        Initiator::Script,
        Initiator::Font,
    ]);
    (
        origin,
        method,
        path,
        headers,
        credentials,
        cache,
        (via, withheld, initiator),
        (wait, responses_strategy()),
    )
        .prop_map(
            |(
                origin,
                method,
                path,
                headers,
                credentials,
                cache,
                (via, withheld, initiator),
                (wait, responses),
            )| {
                let initiator = match (via, initiator) {
                    (Via::Element, Initiator::Script) => Initiator::Script,
                    (Via::Element, _) => Initiator::Img,
                    (Via::Browser, any) => any,
                    _ => Initiator::Fetch,
                };
                // An element's request is a GET with no script-set headers; without crossorigin
                // it always sends cookies, a font never to another origin.
                let img = initiator.is_element();
                RequestSpec {
                    origin: Some(origin.to_string()),
                    // A no-cors fetch takes only GET, HEAD and POST.
                    method: if img
                        || (via == Via::NoCors && !matches!(method, "GET" | "HEAD" | "POST"))
                    {
                        "GET"
                    } else {
                        method
                    }
                    .to_string(),
                    url: url(&format!("{BUCKET}{path}")),
                    headers: headers
                        .into_iter()
                        .filter(|_| !img)
                        .map(|(n, v)| ((*n).into(), (*v).into()))
                        .collect(),
                    credentials: match (via, initiator, credentials) {
                        (Via::Raw, _, _) => Credentials::SameOrigin,
                        (Via::Element, _, _) => Credentials::Include,
                        (_, Initiator::Font, _) => Credentials::SameOrigin,
                        (
                            _,
                            Initiator::Xhr | Initiator::Img | Initiator::Script,
                            Credentials::Omit,
                        ) => Credentials::SameOrigin,
                        (Via::Browser | Via::NoCors, _, credentials) => credentials,
                    },
                    cache: if via == Via::Browser && initiator == Initiator::Fetch {
                        cache
                    } else {
                        CacheMode::Default
                    },
                    via,
                    initiator,
                    expect: None,
                    note: None,
                    responses,
                    wait_seconds: wait,
                    preflight_not_recorded: false,
                    edge: None,
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
        cookies_strategy(),
        prop::sample::select(vec![
            LocalNetworkAccess::Denied,
            LocalNetworkAccess::Granted,
        ]),
        prop::sample::select(vec![
            EmbedderPolicy::UnsafeNone,
            EmbedderPolicy::RequireCorp,
            EmbedderPolicy::Credentialless,
        ]),
    )
        .prop_map(
            |(rules, provider, requests, cookies, local, coep)| Scenario {
                title: "generated".to_string(),
                description: String::new(),
                browser: None,
                server: Server {
                    url: url(BUCKET),
                    kind: ServerKind::Bucket {
                        provider,
                        cors: rules.map(|rules| CorsConfiguration { rules }),
                    },
                    front: Vec::new(),
                    rules_from: None,
                },
                requests: requests.into(),
                moments: Vec::new(),
                quiz: Vec::new(),
                cookies,
                local_network_access: local,
                embedder_policy: coep,
                addresses: Default::default(),
            },
        )
}

/// Cookies the bucket (or another host) set earlier, with every SameSite and Secure mix.
fn cookies_strategy() -> impl Strategy<Value = Cookies> {
    let line = (
        prop::sample::select(vec!["s", "t", "u"]),
        prop::sample::select(vec![
            "",
            "; SameSite=None",
            "; SameSite=Lax",
            "; SameSite=Strict",
        ]),
        any::<bool>(),
        prop::sample::select(vec![
            BUCKET,
            "https://cdn.example.net",
            "http://bucket.s3.amazonaws.com",
        ]),
    )
        .prop_map(|(name, same_site, secure, by)| SetCookie {
            set_by: url(by),
            line: format!(
                "{name}=1{same_site}{}",
                if secure { "; Secure" } else { "" }
            ),
        });
    (
        prop::collection::vec(line, 0..4),
        prop::sample::select(vec![ThirdPartyCookies::Allowed, ThirdPartyCookies::Blocked]),
    )
        .prop_map(|(jar, third_party)| Cookies { jar, third_party })
}

fn engine_origin(url: &Url) -> Option<String> {
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Redirects as fetch follows them: each later hop goes where the one before pointed, every
/// redirect the browser followed passed its CORS check (once the request was cross-origin, and
/// unless it is a no-cors request, which no hop checks), once Origin is null it stays null, and
/// there are at most 20 redirects.
fn check_redirects(request: &RequestRecord) -> Result<(), TestCaseError> {
    let hops = request.hops();
    prop_assert!(hops.len() <= 21, "{} hops", hops.len());
    let mut null = false;
    for (i, pair) in hops.windows(2).enumerate() {
        let (Some(from), Some(to)) = (pair[0].actual, pair[1].preflight.or(pair[1].actual)) else {
            return Err(TestCaseError::fail(format!(
                "hop {i} has no actual request before the next"
            )));
        };
        let location = from.response.header("Location").unwrap_or_default();
        let target = Url::parse(&from.request.url).and_then(|u| u.join(&location));
        prop_assert_eq!(
            target.map(|u| u.to_string()).ok(),
            Some(to.request.url.to_string())
        );
        prop_assert!(matches!(from.response.status, 301 | 302 | 303 | 307 | 308));
        if let Some(origin) = from.request.header("Origin") {
            if origin == "null" {
                null = true;
            }
            let include = request.credentials == Credentials::Include;
            let cross_origin =
                engine_origin(&Url::parse(&from.request.url).unwrap_or_else(|_| url(BUCKET)))
                    .as_deref()
                    != Some(origin.as_str());
            if (cross_origin || origin == "null") && !request.via.is_no_cors() {
                prop_assert!(
                    cors_tui::engine::fetch_rules::cors_check(&from.response, &origin, include)
                        .is_ok(),
                    "a followed redirect passed the CORS check"
                );
            }
        }
        if null {
            let sent = to.request.header("Origin");
            // A no-cors request sends Origin only on a POST: a redirect to a GET drops it.
            if request.via.is_no_cors() && to.request.method != "POST" {
                prop_assert_eq!(sent.as_deref(), None);
            } else {
                prop_assert_eq!(sent.as_deref(), Some("null"));
            }
        }
    }
    if request.outcome == Outcome::Allowed
        && let Some(last) = hops.last()
    {
        prop_assert!(
            !last.redirects(),
            "an allowed request ends on a final answer: {:?}",
            last.actual.map(|a| &a.response)
        );
    }
    Ok(())
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
            // Every step tracks the same rows: all of them, or all but Cached Copies.
            prop_assert!(trace.initial_variables.len() + 1 >= VARIABLES.len());
            if let Some(ex) = step.exchange {
                prop_assert!(ex < request.exchanges.len());
            }
        }
    }
    prop_assert_eq!(next_step, trace.steps.len());
    for (i, step) in trace.steps.iter().enumerate() {
        prop_assert_eq!(step.n, i + 1);
    }
    // A step keeps only the values it changed: the row found by looking back from any step is
    // the row reached by going forward, and every value that differs was marked changed.
    let mut row = cors_tui::engine::Row::new(&trace.initial_variables);
    for (i, step) in trace.steps.iter().enumerate() {
        let before = row.values().to_vec();
        let after = row.after(step).to_vec();
        prop_assert_eq!(after.len(), trace.initial_variables.len());
        for (var, (was, is)) in before.iter().zip(&after).enumerate() {
            prop_assert!(
                was == is || step.changed.contains(var),
                "step {} var {var}",
                step.n
            );
        }
        prop_assert_eq!(&trace.variables(i), &after, "step {}", step.n);
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
        for (request, spec) in trace.requests.iter().zip(scenario.requests.iter()) {
            let blocked = request.outcome == Outcome::Blocked;
            prop_assert_eq!(blocked, request.console.is_some());
            prop_assert_eq!(blocked, request.cors_error.is_some());
            // The probe holds a request back at the first hop it has no answer for: the hops
            // before it were sent and are replayed as they were answered.
            let answered = (0..)
                .take_while(|&hop| {
                    spec.responses.at_hop(hop).is_some_and(|a| a.actual.is_some())
                })
                .count();
            match (spec.via, spec.actual_withheld) {
                (Via::Raw, _) => prop_assert_eq!(request.outcome, Outcome::Sent),
                // No preflight, no verdict: a no-cors fetch.
                // It follows redirects; one to a scheme that is not http(s), or the 21st, fails
                // it there.
                (Via::NoCors, _) => prop_assert!(request.outcome == Outcome::Sent || failed_at_a_redirect(request)),
                // No Origin, no preflight, no verdict: an <img> without crossorigin.
                (Via::Element, _) => {
                    prop_assert!(request.outcome == Outcome::Sent || failed_at_a_redirect(request));
                    let no_cors = |e: &cors_tui::engine::Exchange| {
                        e.kind == ExchangeKind::Actual && e.request.header("Origin").is_none()
                    };
                    prop_assert!(request.exchanges.iter().all(no_cors), "an <img> sent Origin");
                }
                (Via::Browser, false) => prop_assert_ne!(request.outcome, Outcome::Sent),
                // Held back at once: no verdict on the request, unless its preflight failed.
                (Via::Browser, true) if answered == 0 => prop_assert!(
                    request.outcome == Outcome::Sent
                        || request.failed_at == Some(ExchangeKind::Preflight)
                ),
                (Via::Browser, true) => {}
            }
            // A request the probe held back reaches the server only at the hops it answered;
            // its preflights may.
            if spec.actual_withheld {
                let actuals = request
                    .exchanges
                    .iter()
                    .filter(|e| e.kind == ExchangeKind::Actual)
                    .count();
                prop_assert!(actuals <= answered, "{} actual(s), {} answered", actuals, answered);
                if answered == 0 {
                    prop_assert!(request.outcome != Outcome::Allowed);
                }
            }
            prop_assert_eq!(request.preflight, request.exchanges.iter().any(|e| e.kind == ExchangeKind::Preflight));
            if request.failed_at == Some(ExchangeKind::Preflight) {
                prop_assert_eq!(request.exchanges.last().map(|e| e.kind), Some(ExchangeKind::Preflight), "a failed preflight stops the request");
            }
            // The browser never lets a page set Origin; a redirect may only make it null. On
            // the page's own origin, a GET or HEAD carries none.
            if spec.via == Via::Browser {
                let mut left_home = false;
                for exchange in &request.exchanges {
                    let target = Url::parse(&exchange.request.url).ok().and_then(|u| engine_origin(&u));
                    left_home |= target != spec.origin;
                    let sent = exchange.request.header("Origin");
                    if !left_home && matches!(exchange.request.method.as_str(), "GET" | "HEAD") {
                        prop_assert_eq!(sent, None);
                    } else if sent.as_deref() != Some("null") || spec.origin.as_deref() == Some("null") {
                        prop_assert_eq!(sent, spec.origin.clone());
                    }
                }
            }
            check_redirects(request)?;
            // Same-origin requests never preflight and CORS never blocks them; only a bad
            // redirect can end one: a network error, or (in Chromium) one to a scheme that is
            // not http(s).
            if request.same_origin {
                prop_assert!(!request.preflight);
                // Held back (at once, or at a later hop the probe did not reach): sent, no verdict.
                let held_back = spec.actual_withheld && request.outcome == Outcome::Sent;
                let bad_redirect = request.cors_error.is_some_and(|e| {
                    e.is_network_error()
                        || matches!(e, CorsError::RedirectContainsCredentials | CorsError::CorsDisabledScheme)
                });
                prop_assert!(
                    request.outcome == Outcome::Allowed || held_back || bad_redirect,
                    "{:?}",
                    request.cors_error
                );
                if spec.actual_withheld && answered == 0 {
                    prop_assert_eq!(request.outcome, Outcome::Sent);
                }
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

    /// Cookies never go with a preflight or with credentials 'omit', go to another origin
    /// only with 'include', and to another site only when SameSite=None and Secure (and
    /// third-party cookies are not blocked).
    #[test]
    fn cookies_go_only_where_the_credentials_mode_and_samesite_let_them(scenario in scenario_strategy()) {
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        for (request, spec) in trace.requests.iter().zip(scenario.requests.iter()) {
            for exchange in &request.exchanges {
                let Some(cookie) = exchange.request.header("Cookie") else { continue };
                prop_assert!(spec.via != Via::Raw, "a raw request sends only what was written");
                prop_assert!(exchange.kind == ExchangeKind::Actual, "a preflight carries no cookies");
                prop_assert!(request.credentials != Credentials::Omit || spec.via == Via::Element);
                let target = url(&exchange.request.url);
                let page = spec.origin.as_deref().and_then(|o| Url::parse(o).ok());
                let same_origin = page.as_ref().is_some_and(|p| p.origin() == target.origin());
                prop_assert!(
                    same_origin || request.credentials == Credentials::Include || spec.via == Via::Element,
                    "only 'include' sends cookies to another origin"
                );
                let same_site = page.as_ref().is_some_and(|p| {
                    p.scheme() == target.scheme() && p.host_str() == target.host_str()
                });
                if !same_site {
                    prop_assert!(scenario.cookies.third_party == ThirdPartyCookies::Allowed);
                    for pair in cookie.split("; ") {
                        let name = pair.split('=').next().unwrap_or_default();
                        // Only a line the browser stored can have set it: Secure over https.
                        let stored_as_none = scenario.cookies.jar.iter().any(|c| {
                            c.line.starts_with(&format!("{name}="))
                                && c.set_by.host_str() == target.host_str()
                                && c.set_by.scheme() == "https"
                                && c.line.contains("SameSite=None")
                                && c.line.contains("Secure")
                        });
                        prop_assert!(stored_as_none, "{name} went to another site");
                    }
                }
            }
        }
    }

    #[test]
    fn a_credentialed_request_is_never_allowed_through_a_wildcard(scenario in scenario_strategy()) {
        for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
            let trace = engine::run(&scenario, profile);
            for request in &trace.requests {
                if request.outcome == Outcome::Allowed && !request.same_origin && request.credentials == Credentials::Include {
                    let actual = request.exchanges.iter().rfind(|e| e.kind == ExchangeKind::Actual);
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
        for (request, spec) in trace.requests.iter().zip(scenario.requests.iter()) {
            // A request the probe stopped at a later hop never reached that hop's preflight.
            let stopped = spec.actual_withheld && request.outcome == Outcome::Sent;
            if request.via == Via::Browser && !request.same_origin && !request.preflight && !request.cache_hit && !stopped {
                // A redirect may have turned the method into a GET on the way.
                let last = request.exchanges.iter().rfind(|e| e.kind == ExchangeKind::Actual);
                let method = last.map_or(request.method.as_str(), |e| e.request.method.as_str());
                prop_assert!(matches!(method, "GET" | "HEAD" | "POST"), "{}", method);
            }
        }
    }

    /// Where no step notes a difference, the two profiles decide every request the same way.
    #[test]
    fn profiles_part_only_where_a_step_says_so(scenario in scenario_strategy()) {
        let chromium = engine::run(&scenario, BrowserProfile::Chromium);
        let standard = engine::run(&scenario, BrowserProfile::Standard);
        let noted = chromium.steps.iter().any(|s| chromium.text(s).profile_note.is_some());
        if !noted {
            for (a, b) in chromium.requests.iter().zip(&standard.requests) {
                prop_assert_eq!(a.outcome, b.outcome);
                prop_assert_eq!(a.preflight, b.preflight);
                prop_assert_eq!(a.cors_error, b.cors_error);
            }
        }
    }
}

/// Whether `request` failed at a redirect it did not follow: a Location that is no http(s)
/// URL, or one redirect too many.
fn failed_at_a_redirect(request: &RequestRecord) -> bool {
    request.outcome == Outcome::Blocked
        && request.failed_at == Some(ExchangeKind::Actual)
        && matches!(
            request.cors_error,
            Some(
                CorsError::UnsafeRedirect
                    | CorsError::UnknownUrlScheme
                    | CorsError::InvalidRedirect
                    | CorsError::TooManyRedirects
            )
        )
        && request
            .exchanges
            .last()
            .is_some_and(|e| e.response.redirect_location().is_some())
}
