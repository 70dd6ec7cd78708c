//! A Lambda function URL in front of its function (`AWS::Lambda::Url`), as
//! `shared/reference/aws-cors-surfaces.md` §3 describes it. Its configuration is the `Cors`
//! object of `aws lambda get-function-url-config`, in AWS's spelling.
//!
//! Evidence, as each explanation says it:
//! - observed: with `Cors` set, the Lambda service answers OPTIONS itself, without invoking the
//!   function: 200, the Origin reflected, the configured AllowHeaders and AllowMethods lists,
//!   `Vary: Origin`, and Access-Control-Allow-Credentials when allowed (§3.2, vector F1);
//!   without `Cors` the OPTIONS reaches the function (F5); on every other answer it appends
//!   Access-Control-Allow-Origin, -Credentials and `Vary: Origin` after the function's own
//!   headers, so a function that sets them too sends them twice (§3.3, F2–F4);
//! - inferred: a `*` configuration reflects the Origin; an Origin outside AllowOrigins gets no
//!   CORS headers (the preflight still 200); Max-Age and Expose-Headers are sent when
//!   configured; the service does not compare the requested method and headers itself.

use crate::http::Header;
use std::fmt;
use std::sync::Arc;

use super::Refusal;
use super::bucket::{Joined, stable_id};
use crate::http::{HttpRequest, HttpResponse};

/// The methods AllowMethods may list (CloudFormation's enum); OPTIONS is not one.
pub const METHODS: [&str; 7] = ["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"];

use super::audit::Finding;
pub use super::aws_cors::{Cors, RawCors};

/// The configuration, or every refusal the Lambda API would answer an update with.
pub fn validate(raw: RawCors) -> Result<Cors, Vec<Refusal>> {
    let mut refusals: Vec<Refusal> = Vec::new();
    let (cors, max_age) = raw.accept(0..=86_400);
    if cors.allow_origins.is_empty() {
        refusals.push((
            "AllowOrigins",
            None,
            "InvalidParameterValueException: You can't leave AllowOrigins as empty when Cors is enabled.".to_string(),
        ));
    }
    let mut check_list =
        |key: &'static str, items: &[String], most: usize, longest: Option<usize>| {
            if items.len() > most {
                refusals.push((
                    key,
                    None,
                    format!(
                        "{key} holds {} items; the Lambda API takes at most {most}",
                        items.len()
                    ),
                ));
            }
            let Some(longest) = longest else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                if item.is_empty() || item.len() > longest {
                    refusals.push((
                        key,
                        Some(i),
                        format!("each {key} entry must be 1 to {longest} characters long"),
                    ));
                }
            }
        };
    check_list("AllowOrigins", &cors.allow_origins, 100, Some(253));
    // Each method's length (at most 6) is implied by the list of methods checked below.
    check_list("AllowMethods", &cors.allow_methods, 6, None);
    check_list("AllowHeaders", &cors.allow_headers, 100, Some(1024));
    check_list("ExposeHeaders", &cors.expose_headers, 100, Some(1024));
    for (i, method) in cors.allow_methods.iter().enumerate() {
        if !METHODS.contains(&method.as_str()) {
            refusals.push((
                "AllowMethods",
                Some(i),
                format!(
                    "'{method}' is not a method a function URL's Cors takes: GET, PUT, HEAD, POST, PATCH, DELETE or * (OPTIONS is answered by the service itself)"
                ),
            ));
        }
    }
    if let Err(age) = max_age {
        refusals.push((
            "MaxAge",
            None,
            format!("MaxAge {age} is outside 0 to 86400 seconds"),
        ));
    }
    if refusals.is_empty() {
        Ok(cors)
    } else {
        Err(refusals)
    }
}

/// Whether AllowOrigins covers `origin`: the whole origin, or `*` (inferred: no source shows a
/// partial wildcard).
pub fn allows_origin(cors: &Cors, origin: &str) -> bool {
    cors.allow_origins.iter().any(|o| o == "*" || o == origin)
}

/// What the function URL did with one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Cors is configured, so the service answered the OPTIONS itself.
    AnsweredOptions {
        cors: Arc<Cors>,
        origin_allowed: bool,
    },
    /// No Cors: the OPTIONS went on to the function, and nothing is added to its answer.
    NoCors,
    /// On the way back up: the headers the service appended, and those the function had sent
    /// already (now twice).
    Appended {
        cors: Arc<Cors>,
        added: Vec<String>,
        doubled: Vec<String>,
    },
    /// On the way back up: nothing appended, because the request has no Origin or AllowOrigins
    /// does not cover it.
    NotAllowed { has_origin: bool },
}

/// A function URL layer: its `Cors`, if any.
pub struct FunctionUrl {
    pub cors: Option<Arc<Cors>>,
}

impl FunctionUrl {
    /// On the way down: the service answers OPTIONS itself when Cors is configured.
    pub fn answer_itself(
        &self,
        request: &HttpRequest,
        sequence: usize,
    ) -> Option<(HttpResponse, Note)> {
        let cors = self.cors.as_ref()?;
        if request.method != "OPTIONS" {
            return None;
        }
        let origin = request.header("Origin");
        let allowed = origin.as_deref().is_some_and(|o| allows_origin(cors, o));
        let mut headers: Vec<Header> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), "0".into()),
            request_id(sequence),
        ];
        if let (true, Some(origin)) = (allowed, origin) {
            headers.push(("Access-Control-Allow-Origin".into(), origin.into()));
            if !cors.allow_headers.is_empty() {
                headers.push((
                    "Access-Control-Allow-Headers".into(),
                    cors.allow_headers.join(",").into(),
                ));
            }
            headers.push(("Vary".into(), "Origin".into()));
            if !cors.allow_methods.is_empty() {
                headers.push((
                    "Access-Control-Allow-Methods".into(),
                    cors.allow_methods.join(",").into(),
                ));
            }
            if cors.allow_credentials {
                headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
            }
            if let Some(age) = cors.max_age.filter(|age| *age > 0) {
                headers.push(("Access-Control-Max-Age".into(), age.to_string().into()));
            }
        }
        let response = HttpResponse {
            status: 200,
            headers: headers.into(),
            body: String::new(),
        };
        Some((
            response,
            Note::AnsweredOptions {
                cors: Arc::clone(cors),
                origin_allowed: allowed,
            },
        ))
    }

    /// On the way back up: appends the configured CORS headers after the function's own.
    pub fn pass_up(&self, request: &HttpRequest, response: &mut HttpResponse) -> Note {
        let Some(cors) = &self.cors else {
            return Note::NoCors;
        };
        let origin = request.header("Origin");
        let Some(origin) = origin.filter(|o| allows_origin(cors, o)) else {
            return Note::NotAllowed {
                has_origin: request.header("Origin").is_some(),
            };
        };
        let mut added: Vec<Header> = vec![("Access-Control-Allow-Origin".into(), origin.into())];
        if cors.allow_credentials {
            added.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        added.push(("Vary".into(), "Origin".into()));
        if !cors.expose_headers.is_empty() {
            added.push((
                "Access-Control-Expose-Headers".into(),
                cors.expose_headers.join(",").into(),
            ));
        }
        let doubled = added
            .iter()
            .filter(|(name, _)| {
                name.starts_with("Access-Control-")
                    && response
                        .headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .map(|(name, _)| name.to_string())
            .collect();
        let names = added.iter().map(|(name, _)| name.to_string()).collect();
        response.headers.extend(added);
        Note::Appended {
            cors: Arc::clone(cors),
            added: names,
            doubled,
        }
    }
}

fn request_id(sequence: usize) -> Header {
    let h = stable_id(sequence);
    (
        "x-amzn-RequestId".into(),
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (h >> 32) as u32,
            (h >> 16) as u16,
            h as u16,
            h.rotate_left(11) as u16,
            h.rotate_left(37) & 0xffff_ffff_ffff
        )
        .into(),
    )
}

impl Note {
    /// The explanation, with each behaviour's evidence.
    pub fn narrate(&self, request: &HttpRequest, f: &mut fmt::Formatter) -> fmt::Result {
        let origin = request.header("Origin").unwrap_or_default();
        match self {
            Note::AnsweredOptions {
                cors,
                origin_allowed: true,
            } => {
                write!(
                    f,
                    "Lambda function URL: Cors is configured, so the Lambda service answers the OPTIONS itself without invoking the function (observed): 200 with the Origin reflected in Access-Control-Allow-Origin{}",
                    if cors.allow_origins.iter().any(|o| o == "*") {
                        " (even for \"*\", inferred)"
                    } else {
                        ""
                    }
                )?;
                if !cors.allow_headers.is_empty() {
                    f.write_str(", the whole AllowHeaders list")?;
                }
                if !cors.allow_methods.is_empty() {
                    f.write_str(", the whole AllowMethods list")?;
                }
                f.write_str(", Vary: Origin")?;
                if cors.allow_credentials {
                    f.write_str(", Access-Control-Allow-Credentials: true")?;
                }
                f.write_str(
                    ". It lists what is configured, not what was asked: the browser compares (inferred).",
                )?;
                if cors.max_age.is_some_and(|age| age > 0) {
                    f.write_str(" MaxAge is sent as Access-Control-Max-Age (inferred).")?;
                }
                Ok(())
            }
            Note::AnsweredOptions {
                cors,
                origin_allowed: false,
            } => write!(
                f,
                "Lambda function URL: Cors is configured, so the Lambda service answers the OPTIONS itself without invoking the function (observed). Origin {} is not in AllowOrigins [{}]: cors-tui assumes it answers 200 without any Access-Control-* header (inferred: no recording shows this case).",
                if origin.is_empty() { "(none)" } else { &origin },
                Joined(&cors.allow_origins, ", ")
            ),
            Note::NoCors => f.write_str(
                "The function URL has no Cors configuration: it passes every request, OPTIONS included, to the function and adds no CORS header (observed).",
            ),
            Note::NotAllowed { has_origin: false } => f.write_str(
                "The function URL adds no CORS header: the request has no Origin (inferred).",
            ),
            Note::NotAllowed { has_origin: true } => write!(
                f,
                "The function URL adds no CORS header: Origin {origin} is not in AllowOrigins (inferred)."
            ),
            Note::Appended {
                cors,
                added,
                doubled,
            } => {
                write!(
                    f,
                    "The function URL appends its Cors headers after the function's own (observed): {}",
                    Joined(added, ", ")
                )?;
                if cors.allow_origins.iter().any(|o| o == "*") {
                    f.write_str(" (the Origin reflected even for \"*\", inferred)")?;
                }
                f.write_str(".")?;
                if added.iter().any(|name| name == "Access-Control-Expose-Headers") {
                    f.write_str(" ExposeHeaders as Access-Control-Expose-Headers is inferred from the documentation: no recording shows it.")?;
                }
                if !doubled.is_empty() {
                    write!(
                        f,
                        " The function had set {} itself, so the answer carries {it} twice: the URL does not replace {it} (observed; AWS's documentation says the configured ones take precedence, recordings show both).",
                        Joined(doubled, ", "),
                        it = if doubled.len() == 1 { "it" } else { "them" }
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// A function URL's audit: its Cors object, and what the function behind it is known to answer
/// (`answers`).
pub fn audit(cors: &Cors, answers: &[&crate::server::stack::CannedResponse]) -> Vec<Finding> {
    use crate::server::audit::Severity;
    let mut findings = Vec::new();
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
    let sets_own = |answer: &crate::server::stack::CannedResponse| {
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
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::bucket::request_to;

    /// Vector F1's configuration.
    fn f1() -> FunctionUrl {
        FunctionUrl {
            cors: Some(Arc::new(Cors {
                allow_origins: vec!["https://localhost:8080".into()],
                allow_methods: vec!["GET".into(), "POST".into()],
                allow_headers: vec![
                    "authorization".into(),
                    "content-type".into(),
                    "x-books-authorization".into(),
                ],
                expose_headers: vec![],
                max_age: None,
                allow_credentials: true,
            })),
        }
    }

    const URL: &str = "https://abc.lambda-url.us-east-1.on.aws/";

    #[test]
    fn f1_the_service_answers_the_preflight_with_the_configured_lists() {
        let request = request_to(
            URL,
            "OPTIONS",
            &[
                ("Origin", "https://localhost:8080"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
        );
        let Some((response, _)) = f1().answer_itself(&request, 1) else {
            panic!("a configured function URL answers OPTIONS itself");
        };
        let names: Vec<&str> = response.headers.iter().map(|(n, _)| &**n).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "Content-Length",
                "x-amzn-RequestId",
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Headers",
                "Vary",
                "Access-Control-Allow-Methods",
                "Access-Control-Allow-Credentials"
            ]
        );
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("Access-Control-Allow-Headers").as_deref(),
            Some("authorization,content-type,x-books-authorization")
        );
        assert_eq!(
            response.header("Access-Control-Allow-Methods").as_deref(),
            Some("GET,POST")
        );
    }

    #[test]
    fn f2_f3_the_actual_answer_gains_the_headers_and_doubles_the_functions_own() {
        let request = request_to(URL, "GET", &[("Origin", "https://localhost:8080")]);
        let mut plain = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())].into(),
            body: String::new(),
        };
        let note = f1().pass_up(&request, &mut plain);
        assert_eq!(
            plain.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://localhost:8080")
        );
        assert!(matches!(note, Note::Appended { ref doubled, .. } if doubled.is_empty()));
        let mut own = HttpResponse {
            status: 200,
            headers: vec![
                (
                    "Access-Control-Allow-Origin".into(),
                    "https://localhost:8080".into(),
                ),
                ("Access-Control-Allow-Credentials".into(), "true".into()),
            ]
            .into(),
            body: String::new(),
        };
        let note = f1().pass_up(&request, &mut own);
        assert_eq!(
            own.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://localhost:8080, https://localhost:8080")
        );
        assert!(matches!(note, Note::Appended { ref doubled, .. } if doubled.len() == 2));
    }

    #[test]
    fn f4_star_and_a_function_that_echoes_give_two_origins() {
        let layer = FunctionUrl {
            cors: Some(Arc::new(Cors {
                allow_origins: vec!["*".into()],
                ..Cors::default()
            })),
        };
        let request = request_to(URL, "GET", &[("Origin", "http://127.0.0.1:5500")]);
        let mut echoed = HttpResponse {
            status: 200,
            headers: vec![(
                "Access-Control-Allow-Origin".into(),
                "http://127.0.0.1:5500".into(),
            )]
            .into(),
            body: String::new(),
        };
        layer.pass_up(&request, &mut echoed);
        let values: Vec<&str> = echoed
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Access-Control-Allow-Origin"))
            .map(|(_, v)| &**v)
            .collect();
        assert_eq!(values.len(), 2, "{values:?}");
        assert!(values.iter().all(|v| v.contains("127.0.0.1:5500")));
    }

    #[test]
    fn what_no_recording_shows_is_said_to_be_inferred() {
        let layer = FunctionUrl {
            cors: Some(Arc::new(Cors {
                allow_origins: vec!["*".into()],
                expose_headers: vec!["X-Request-Id".into()],
                ..Cors::default()
            })),
        };
        let request = request_to(URL, "GET", &[("Origin", "https://a.example")]);
        let mut response = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        let note = crate::server::ServerNote::FunctionUrl(Box::new(
            layer.pass_up(&request, &mut response),
        ));
        let words = note.explain(&request, &response).to_string();
        assert!(
            words.contains("reflected even for \"*\", inferred"),
            "{words}"
        );
        assert!(
            words.contains("Access-Control-Expose-Headers is inferred"),
            "{words}"
        );
        assert!(words.contains("(observed)"), "{words}");
    }

    #[test]
    fn f5_without_cors_the_options_reaches_the_function() {
        let layer = FunctionUrl { cors: None };
        let request = request_to(URL, "OPTIONS", &[("Origin", "https://a.example")]);
        assert!(layer.answer_itself(&request, 1).is_none());
    }

    #[test]
    fn f6_empty_allow_origins_is_refused_with_awss_message() {
        let refused = validate(RawCors::default());
        let Err(refusals) = refused else {
            panic!("an empty AllowOrigins is refused");
        };
        assert!(
            refusals[0]
                .2
                .contains("You can't leave AllowOrigins as empty")
        );
    }

    #[test]
    fn options_is_not_a_method_cors_takes() {
        let raw = RawCors {
            allow_origins: Some(vec!["*".into()]),
            allow_methods: Some(vec!["GET".into(), "OPTIONS".into()]),
            ..RawCors::default()
        };
        let Err(refusals) = validate(raw) else {
            panic!("OPTIONS is refused");
        };
        assert_eq!(refusals.len(), 1);
        assert_eq!((refusals[0].0, refusals[0].1), ("AllowMethods", Some(1)));
    }

    #[test]
    fn star_is_reflected_and_an_unlisted_origin_gets_nothing() {
        let layer = FunctionUrl {
            cors: Some(Arc::new(Cors {
                allow_origins: vec!["*".into()],
                ..Cors::default()
            })),
        };
        let request = request_to(URL, "GET", &[("Origin", "http://127.0.0.1:5500")]);
        let mut response = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        layer.pass_up(&request, &mut response);
        assert_eq!(
            response.header("Access-Control-Allow-Origin").as_deref(),
            Some("http://127.0.0.1:5500")
        );
        let narrow = f1();
        let stranger = request_to(URL, "GET", &[("Origin", "https://evil.example")]);
        let mut response = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        let note = narrow.pass_up(&stranger, &mut response);
        assert!(response.headers.is_empty());
        assert_eq!(note, Note::NotAllowed { has_origin: true });
    }
}
