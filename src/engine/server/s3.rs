//! Amazon S3's CORS answers, as recorded against AWS (`shared/reference/s3-cors-semantics.md`;
//! the section letters A–C below refer to it).

use std::fmt::Write as _;

use super::rules::{
    add_before_server, content_type_for, first_match, object_key, overridden_operation, stable_id,
};
use super::{Scripted, ServerAnswer};
use crate::engine::http::{HttpRequest, HttpResponse};
use crate::scenario::s3_rules::S3_METHODS;
use crate::scenario::{CorsConfiguration, CorsRule};

/// What S3 sends on every CORS-matched response (A6).
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/// Whole-string glob with `*` matching any run of characters, the empty run included (C2, C4).
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The names in an `Access-Control-Request-Headers` value: split on `,`, trimmed, empty ones
/// dropped (C4).
pub(crate) fn requested_headers(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Why `rule` does not match, or `None` when it does (C2–C4).
fn rule_mismatch(
    rule: &CorsRule,
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<String> {
    if !rule
        .allowed_origins
        .iter()
        .any(|o| glob_match(o, origin, false))
    {
        return Some(text!(
            "origin ",
            origin,
            " matches none of AllowedOrigins [",
            rule.allowed_origins.join(", "),
            "]"
        ));
    }
    if !rule.allowed_methods.iter().any(|m| m == method) {
        return Some(text!(
            "method ",
            method,
            " is not in AllowedMethods [",
            rule.allowed_methods.join(", "),
            "]"
        ));
    }
    // Plain names are looked up in a set and only patterns are globbed: a request may ask for
    // thousands of headers of a rule that lists as many.
    let (patterns, names): (Vec<&String>, Vec<&String>) =
        rule.allowed_headers.iter().partition(|a| a.contains('*'));
    let names: foldhash::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    for header in headers {
        if !names.contains(&header.to_lowercase())
            && !patterns.iter().any(|a| glob_match(a, header, true))
        {
            return Some(if rule.allowed_headers.is_empty() {
                text!(
                    "header ",
                    header.to_ascii_lowercase(),
                    " was requested but the rule has no AllowedHeaders"
                )
            } else {
                text!(
                    "header ",
                    header.to_ascii_lowercase(),
                    " matches none of AllowedHeaders [",
                    rule.allowed_headers.join(", "),
                    "]"
                )
            });
        }
    }
    None
}

/// First matching rule wins (C1); the text lists how each rule tried fared.
fn find_rule(
    config: &CorsConfiguration,
    origin: &str,
    method: &str,
    headers: &[String],
) -> (Option<usize>, String) {
    first_match(config, |rule| rule_mismatch(rule, origin, method, headers))
}

/// The CORS headers of a matched rule (A6; the actual request drops ACAH, B5).
fn cors_headers(
    rule: &CorsRule,
    origin: &str,
    requested: Option<&[String]>,
) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
    headers.push((
        "Access-Control-Allow-Origin".to_string(),
        if wildcard {
            "*".to_string()
        } else {
            origin.to_string()
        },
    ));
    headers.push((
        "Access-Control-Allow-Methods".to_string(),
        rule.allowed_methods.join(", "),
    ));
    if let Some(requested) = requested {
        let lowered: Vec<String> = requested.iter().map(|h| h.to_ascii_lowercase()).collect();
        headers.push((
            "Access-Control-Allow-Headers".to_string(),
            lowered.join(", "),
        ));
    }
    if !rule.expose_headers.is_empty() {
        headers.push((
            "Access-Control-Expose-Headers".to_string(),
            rule.expose_headers.join(", "),
        ));
    }
    if let Some(max_age) = rule.max_age_seconds {
        headers.push(("Access-Control-Max-Age".to_string(), max_age.to_string()));
    }
    if !wildcard {
        headers.push((
            "Access-Control-Allow-Credentials".to_string(),
            "true".to_string(),
        ));
    }
    headers.push(("Vary".to_string(), VARY.to_string()));
    headers
}

/// Stable, S3-looking ids so traces are a pure function of the scenario.
fn request_ids(sequence: usize) -> Vec<(String, String)> {
    let hash = stable_id(sequence);
    vec![
        ("x-amz-request-id".to_string(), format!("{hash:016X}")),
        (
            "x-amz-id-2".to_string(),
            format!("{:x}/{hash:x}=", hash.rotate_left(17)),
        ),
    ]
}

fn error_response(
    status: u16,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
    sequence: usize,
) -> HttpResponse {
    let ids = request_ids(sequence);
    // Values from the request (a method, a header name) go into the body as XML text: `&`,
    // `<` and `>` escaped, so the body stays well formed whatever was sent. (S3 answers with
    // well-formed XML; which other characters it escapes is not recorded.)
    use quick_xml::escape::partial_escape;
    let mut body = text!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>",
        code,
        "</Code><Message>",
        partial_escape(message),
        "</Message>"
    );
    for (name, value) in extra {
        let _ = write!(body, "<{name}>{}</{name}>", partial_escape(*value));
    }
    let _ = write!(
        body,
        "<RequestId>{}</RequestId><HostId>{}</HostId></Error>",
        ids[0].1, ids[1].1
    );
    let mut headers = ids;
    headers.push(("Content-Type".to_string(), "application/xml".to_string()));
    headers.push(("Transfer-Encoding".to_string(), "chunked".to_string()));
    headers.push(("Server".to_string(), "AmazonS3".to_string()));
    HttpResponse {
        status,
        headers,
        body,
    }
}

pub fn answer(
    cors: Option<&CorsConfiguration>,
    request: &HttpRequest,
    operation_override: Option<Scripted>,
    sequence: usize,
) -> ServerAnswer {
    if request.method == "OPTIONS" {
        preflight(cors, request, sequence)
    } else {
        actual(cors, request, operation_override, sequence)
    }
}

fn preflight(
    cors: Option<&CorsConfiguration>,
    request: &HttpRequest,
    sequence: usize,
) -> ServerAnswer {
    let acrm = request.header("Access-Control-Request-Method");
    let method_element = acrm.clone().unwrap_or_else(|| "OPTIONS".to_string());
    let Some(origin) = request.header("Origin") else {
        return ServerAnswer {
            response: error_response(400, "BadRequest", "Insufficient information. Origin request header needed.", &[], sequence),
            matched_rule: None,
            explanation: "S3 (A1): an OPTIONS request without Origin is answered 400 BadRequest, with no CORS headers.".to_string(),
        };
    };
    let Some(config) = cors else {
        return ServerAnswer {
            response: error_response(
                403,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                &[("Method", &method_element), ("ResourceType", "BUCKET")],
                sequence,
            ),
            matched_rule: None,
            explanation: "S3 (A3): the bucket has no CORS configuration, so every preflight gets 403 AccessForbidden \"CORS is not enabled for this bucket.\" with no Access-Control-* headers.".to_string(),
        };
    };
    let method = match acrm.as_deref() {
        Some(m) if S3_METHODS.contains(&m) => m.to_string(),
        other => {
            let shown = other.unwrap_or("null");
            return ServerAnswer {
                response: error_response(
                    400,
                    "BadRequest",
                    &text!("Invalid Access-Control-Request-Method: ", shown),
                    &[],
                    sequence,
                ),
                matched_rule: None,
                explanation: text!(
                    "S3 (A4): a preflight's Access-Control-Request-Method must be one of GET, PUT, HEAD, POST, DELETE (case-sensitive); '",
                    shown,
                    "' gets 400 BadRequest."
                ),
            };
        }
    };
    let requested = requested_headers(request.header("Access-Control-Request-Headers").as_deref());
    let (matched, trail) = find_rule(config, &origin, &method, &requested);
    match matched {
        None => {
            let resource = if object_key(&request.url).is_some() {
                "OBJECT"
            } else {
                "BUCKET"
            };
            ServerAnswer {
                response: error_response(
                    403,
                    "AccessForbidden",
                    NOT_ALLOWED,
                    &[("Method", &method), ("ResourceType", resource)],
                    sequence,
                ),
                matched_rule: None,
                explanation: text!(
                    "S3 (A5): ",
                    trail,
                    " So S3 answers 403 AccessForbidden with no Access-Control-* headers and no Vary."
                ),
            }
        }
        Some(index) => {
            let rule = &config.rules[index];
            let has_acrh = request.header("Access-Control-Request-Headers").is_some();
            let mut headers = request_ids(sequence);
            headers.extend(cors_headers(
                rule,
                &origin,
                has_acrh.then_some(requested.as_slice()),
            ));
            headers.push(("Content-Length".to_string(), "0".to_string()));
            headers.push(("Server".to_string(), "AmazonS3".to_string()));
            let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
            ServerAnswer {
                response: HttpResponse {
                    status: 200,
                    headers,
                    body: String::new(),
                },
                matched_rule: Some(index),
                explanation: text!(
                    "S3 (A6): ",
                    trail,
                    " S3 answers 200 with ",
                    if wildcard {
                        "Access-Control-Allow-Origin: * (the rule lists \"*\") and no Access-Control-Allow-Credentials"
                    } else {
                        "the Origin echoed in Access-Control-Allow-Origin, Access-Control-Allow-Credentials: true"
                    },
                    ", the rule's whole AllowedMethods list",
                    if has_acrh {
                        ", the requested header names echoed in lowercase"
                    } else {
                        ""
                    },
                    if rule.expose_headers.is_empty() {
                        ""
                    } else {
                        ", its ExposeHeaders"
                    },
                    if rule.max_age_seconds.is_some() {
                        ", its MaxAgeSeconds as Access-Control-Max-Age"
                    } else {
                        ""
                    },
                    "."
                ),
            }
        }
    }
}

/// What the S3 operation itself answers, before CORS (B7): success unless overridden.
fn operation(
    request: &HttpRequest,
    override_response: Option<Scripted>,
    sequence: usize,
) -> (HttpResponse, String) {
    if let Some(answer) = override_response {
        return overridden_operation(answer, request_ids(sequence));
    }
    let key = object_key(&request.url);
    let mut headers = request_ids(sequence);
    let server = ("Server".to_string(), "AmazonS3".to_string());
    let etag = || {
        (
            "ETag".to_string(),
            "\"9b2cf535f27731c974343645a3985328\"".to_string(),
        )
    };
    let (status, body, description) = match (request.method.as_str(), &key) {
        ("GET" | "HEAD", Some(key)) => {
            let content_type = content_type_for(key);
            headers.push((
                "Last-Modified".to_string(),
                "Wed, 01 Jan 2025 12:00:00 GMT".to_string(),
            ));
            headers.push(etag());
            headers.push(("Accept-Ranges".to_string(), "bytes".to_string()));
            headers.push(("Content-Type".to_string(), content_type.to_string()));
            headers.push(("Content-Length".to_string(), "2048".to_string()));
            let body = if request.method == "GET" {
                text!("(2048 bytes of ", content_type, ")")
            } else {
                String::new()
            };
            (
                200,
                body,
                text!(request.method, " of object ", key, " succeeds"),
            )
        }
        ("GET" | "HEAD", None) => {
            headers.push(("Content-Type".to_string(), "application/xml".to_string()));
            let body = if request.method == "GET" {
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">…</ListBucketResult>".to_string()
            } else {
                String::new()
            };
            (200, body, "listing the bucket succeeds".to_string())
        }
        ("PUT", _) => {
            headers.push(etag());
            headers.push(("Content-Length".to_string(), "0".to_string()));
            (
                200,
                String::new(),
                "the upload (PutObject) succeeds".to_string(),
            )
        }
        ("POST", _) => (
            204,
            String::new(),
            "the POST succeeds with S3's default 204 No Content".to_string(),
        ),
        ("DELETE", _) => (
            204,
            String::new(),
            "DeleteObject succeeds (204 No Content)".to_string(),
        ),
        (other, _) => {
            let response = error_response(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                &[("Method", other), ("ResourceType", "OBJECT")],
                sequence,
            );
            return (
                response,
                text!("S3 has no ", other, " operation: 405 MethodNotAllowed."),
            );
        }
    };
    headers.push(server);
    (
        HttpResponse {
            status,
            headers,
            body,
        },
        text!(
            "The operation is modelled as succeeding: ",
            description,
            "."
        ),
    )
}

fn actual(
    cors: Option<&CorsConfiguration>,
    request: &HttpRequest,
    override_response: Option<Scripted>,
    sequence: usize,
) -> ServerAnswer {
    let (mut response, op_text) = operation(request, override_response, sequence);
    let Some(origin) = request.header("Origin") else {
        return ServerAnswer {
            response,
            matched_rule: None,
            explanation: text!(
                op_text,
                " S3 (B1): without Origin the request is not cross-origin to S3, so no CORS headers are added."
            ),
        };
    };
    let Some(config) = cors else {
        return ServerAnswer {
            response,
            matched_rule: None,
            explanation: text!(
                op_text,
                " S3 (B2): the bucket has no CORS configuration, so the response carries no CORS headers, and S3 does not refuse the request either."
            ),
        };
    };
    let acrm = request.header("Access-Control-Request-Method");
    let method = acrm.clone().unwrap_or_else(|| request.method.clone());
    let requested = requested_headers(request.header("Access-Control-Request-Headers").as_deref());
    let (matched, trail) = find_rule(config, &origin, &method, &requested);
    let method_note = if acrm.is_some() {
        text!(
            " (S3 (B4) matches the Access-Control-Request-Method ",
            method,
            ", not the real method)"
        )
    } else {
        String::new()
    };
    match matched {
        None => ServerAnswer {
            explanation: text!(
                op_text,
                " S3 (B3): ",
                trail,
                method_note,
                " S3 still performs the operation and answers ",
                response.status,
                "; it only leaves out every CORS header (and Vary). Enforcing CORS is the browser's job."
            ),
            response,
            matched_rule: None,
        },
        Some(index) => {
            let rule = &config.rules[index];
            // Keep the operation's own headers, then add CORS ones before Server (B5, B6).
            add_before_server(&mut response, cors_headers(rule, &origin, None));
            ServerAnswer {
                response,
                matched_rule: Some(index),
                explanation: text!(
                    op_text,
                    " S3 (B5): ",
                    trail,
                    method_note,
                    " The response carries the rule's CORS headers (as on a preflight, minus Access-Control-Allow-Headers)."
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::CannedResponse;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CorsRule {
            id: None,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            expose_headers: vec!["ETag".to_string()],
            max_age_seconds: Some(3000),
        }
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            url: "https://b.s3.amazonaws.com/photo.jpg".to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn config(rules: Vec<CorsRule>) -> CorsConfiguration {
        CorsConfiguration { rules }
    }

    #[test]
    fn c2_origin_glob_is_anchored_and_star_matches_empty_and_dots() {
        assert!(glob_match(
            "http://*.origin.com",
            "http://test.origin.com",
            false
        ));
        assert!(!glob_match(
            "http://*.origin.com",
            "http://test.origin.com/",
            false
        ));
        assert!(glob_match("start*end", "startend", false));
        assert!(!glob_match("*suffix", "foo.suffix.get", false));
        assert!(glob_match("prefix*", "prefix.suffix", false));
        assert!(
            !glob_match("https://example.com", "https://EXAMPLE.com", false),
            "case-sensitive"
        );
        assert!(glob_match("*", "localhost:4566", false));
    }

    #[test]
    fn a1_preflight_without_origin_is_400() {
        let a = answer(
            Some(&config(vec![rule(&["*"], &["GET"], &[])])),
            &request("OPTIONS", &[("Access-Control-Request-Method", "GET")]),
            None,
            1,
        );
        assert_eq!(a.response.status, 400);
        assert!(a.response.body.contains(
            "<Message>Insufficient information. Origin request header needed.</Message>"
        ));
    }

    #[test]
    fn a3_no_configuration_is_403_bucket_with_method_options_when_acrm_missing() {
        let a = answer(
            None,
            &request("OPTIONS", &[("Origin", "https://a")]),
            None,
            1,
        );
        assert_eq!(a.response.status, 403);
        assert!(a.response.body.contains("<Code>AccessForbidden</Code><Message>CORSResponse: CORS is not enabled for this bucket.</Message><Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType>"));
    }

    #[test]
    fn a4_lowercase_or_missing_acrm_is_400() {
        let c = config(vec![rule(&["*"], &["GET"], &[])]);
        let a = answer(
            Some(&c),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://a"),
                    ("Access-Control-Request-Method", "get"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(a.response.status, 400);
        assert!(
            a.response
                .body
                .contains("Invalid Access-Control-Request-Method: get")
        );
        let a = answer(
            Some(&c),
            &request("OPTIONS", &[("Origin", "https://a")]),
            None,
            1,
        );
        assert!(
            a.response
                .body
                .contains("Invalid Access-Control-Request-Method: null")
        );
    }

    #[test]
    fn a5_no_matching_rule_is_403_object_with_s3s_typo() {
        let c = config(vec![rule(&["https://a"], &["GET"], &[])]);
        let a = answer(
            Some(&c),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://evil"),
                    ("Access-Control-Request-Method", "GET"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(a.response.status, 403);
        assert!(a.response.body.contains("evalution of Origin"));
        assert!(
            a.response
                .body
                .contains("<ResourceType>OBJECT</ResourceType>")
        );
        assert!(a.response.header("Vary").is_none());
        assert!(a.response.header("Access-Control-Allow-Origin").is_none());
    }

    #[test]
    fn a6_match_echoes_origin_lists_all_methods_and_lowercases_requested_headers() {
        let c = config(vec![rule(&["https://a"], &["GET", "PUT"], &["*"])]);
        let a = answer(
            Some(&c),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://a"),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "Content-Type,X-Amz-Date"),
                ],
            ),
            None,
            1,
        );
        let r = &a.response;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://a")
        );
        assert_eq!(
            r.header("Access-Control-Allow-Credentials").as_deref(),
            Some("true")
        );
        assert_eq!(
            r.header("Access-Control-Allow-Methods").as_deref(),
            Some("GET, PUT")
        );
        assert_eq!(
            r.header("Access-Control-Allow-Headers").as_deref(),
            Some("content-type, x-amz-date")
        );
        assert_eq!(r.header("Access-Control-Max-Age").as_deref(), Some("3000"));
        assert_eq!(r.header("Vary").as_deref(), Some(VARY));
        assert_eq!(a.matched_rule, Some(0));
    }

    #[test]
    fn a6_star_rule_answers_star_without_credentials() {
        let c = config(vec![rule(&["https://a", "*"], &["GET"], &[])]);
        let a = answer(
            Some(&c),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://a"),
                    ("Access-Control-Request-Method", "GET"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("*")
        );
        assert!(
            a.response
                .header("Access-Control-Allow-Credentials")
                .is_none()
        );
    }

    #[test]
    fn c4_rule_without_allowed_headers_rejects_any_requested_header_but_x_amz_star_covers_them() {
        let none = config(vec![rule(&["*"], &["PUT"], &[])]);
        let req = request(
            "OPTIONS",
            &[
                ("Origin", "https://a"),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "x-amz-date"),
            ],
        );
        assert_eq!(answer(Some(&none), &req, None, 1).response.status, 403);
        let amz = config(vec![rule(&["*"], &["PUT"], &["X-Amz-*"])]);
        assert_eq!(answer(Some(&amz), &req, None, 1).response.status, 200);
    }

    #[test]
    fn c1_first_matching_rule_wins() {
        let c = config(vec![
            rule(&["*"], &["HEAD"], &[]),
            rule(&["http://*.sample.com"], &["HEAD"], &[]),
        ]);
        let a = answer(
            Some(&c),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "http://www.sample.com"),
                    ("Access-Control-Request-Method", "HEAD"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(a.matched_rule, Some(0));
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("*")
        );
    }

    #[test]
    fn b3_unmatched_actual_request_still_succeeds_without_cors_headers() {
        let c = config(vec![rule(&["https://a"], &["GET"], &[])]);
        let a = answer(
            Some(&c),
            &request("GET", &[("Origin", "https://evil")]),
            None,
            1,
        );
        assert_eq!(a.response.status, 200);
        assert!(a.response.header("Access-Control-Allow-Origin").is_none());
        assert!(a.response.header("Vary").is_none());
    }

    #[test]
    fn b4_actual_request_matches_on_acrm_when_present() {
        let c = config(vec![rule(&["https://a"], &["GET"], &[])]);
        let a = answer(
            Some(&c),
            &request(
                "GET",
                &[
                    ("Origin", "https://a"),
                    ("Access-Control-Request-Method", "PUT"),
                ],
            ),
            None,
            1,
        );
        assert!(a.response.header("Access-Control-Allow-Origin").is_none());
    }

    #[test]
    fn b5_matched_actual_request_has_no_allow_headers() {
        let c = config(vec![rule(&["https://a"], &["GET"], &["*"])]);
        let a = answer(
            Some(&c),
            &request("GET", &[("Origin", "https://a")]),
            None,
            1,
        );
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://a")
        );
        assert!(a.response.header("Access-Control-Allow-Headers").is_none());
        assert_eq!(
            a.response
                .header("Access-Control-Expose-Headers")
                .as_deref(),
            Some("ETag")
        );
    }

    #[test]
    fn b6_cors_headers_also_go_on_error_responses() {
        let c = config(vec![rule(&["https://a"], &["GET"], &[])]);
        let missing = CannedResponse {
            status: 404,
            headers: vec![],
            body: "NoSuchKey".to_string(),
            network_error: None,
        };
        let scripted = Scripted {
            response: &missing,
            source: "responses.actual",
        };
        let a = answer(
            Some(&c),
            &request("GET", &[("Origin", "https://a")]),
            Some(scripted),
            1,
        );
        assert_eq!(a.response.status, 404);
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://a")
        );
    }
}

#[cfg(test)]
mod error_body_tests {
    use super::error_response;

    #[test]
    fn request_values_in_an_error_body_are_escaped() {
        let answer = error_response(
            403,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed.",
            &[("Method", "<x>&y"), ("ResourceType", "OBJECT")],
            1,
        );
        assert!(
            answer
                .body
                .contains("<Method>&lt;x&gt;&amp;y</Method><ResourceType>OBJECT</ResourceType>"),
            "{}",
            answer.body
        );
    }
}
