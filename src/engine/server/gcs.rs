//! Google Cloud Storage's CORS answers, as its documentation describes them
//! (cloud.google.com/storage/docs/cross-origin and the bucket resource's `cors` field;
//! `shared/reference/peers-and-config-formats.md` §3.3). Not checked against a live bucket:
//! every explanation says so where GCS's documentation is silent.
//!
//! - A rule matches when the Origin equals one of its `origin` entries (or the entry is `*`) and
//!   the method (a preflight's Access-Control-Request-Method) equals one of its `method`
//!   entries (or `*`). The first matching rule wins. GCS does not check requested headers
//!   itself: it lists `responseHeader` in Access-Control-Allow-Headers and the browser decides.
//! - A match echoes the Origin in Access-Control-Allow-Origin; the response carries
//!   `responseHeader` as Access-Control-Allow-Headers (preflight) or
//!   Access-Control-Expose-Headers (actual request). No Access-Control-Allow-Credentials.
//! - No match: the answer carries no CORS headers at all.

use super::rules::{
    add_before_server, content_type_for, first_match, object_key, overridden_operation, stable_id,
};
use super::{Scripted, ServerAnswer};
use crate::engine::http::{HttpRequest, HttpResponse};
use crate::scenario::{CorsConfiguration, CorsRule};

/// Where GCS's documentation does not say what happens, the explanation admits it.
const UNVERIFIED: &str = "(GCS's documentation does not say whether Access-Control-Allow-Credentials is ever sent; cors-tui assumes it is not.)";

/// An `origin` or `method` entry: the whole value, or `*`.
pub(crate) fn entry_matches(entry: &str, value: &str) -> bool {
    entry == "*" || entry == value
}

fn rule_mismatch(rule: &CorsRule, origin: &str, method: &str) -> Option<String> {
    if !rule
        .allowed_origins
        .iter()
        .any(|o| entry_matches(o, origin))
    {
        return Some(text!(
            "origin ",
            origin,
            " is not in origin [",
            rule.allowed_origins.join(", "),
            "] (GCS compares whole origins)"
        ));
    }
    if !rule
        .allowed_methods
        .iter()
        .any(|m| entry_matches(m, method))
    {
        return Some(text!(
            "method ",
            method,
            " is not in method [",
            rule.allowed_methods.join(", "),
            "]"
        ));
    }
    None
}

fn find_rule(config: &CorsConfiguration, origin: &str, method: &str) -> (Option<usize>, String) {
    first_match(config, |rule| rule_mismatch(rule, origin, method))
}

fn upload_id(sequence: usize) -> (String, String) {
    let hash = stable_id(sequence);
    (
        "X-GUploader-UploadID".to_string(),
        format!("ABPtcPo{hash:016x}{:08x}", hash.rotate_left(29) as u32),
    )
}

fn server_header() -> (String, String) {
    ("Server".to_string(), "UploadServer".to_string())
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

fn no_cors_preflight(sequence: usize, explanation: String) -> ServerAnswer {
    ServerAnswer {
        response: HttpResponse {
            status: 200,
            headers: vec![
                upload_id(sequence),
                ("Content-Length".to_string(), "0".to_string()),
                server_header(),
            ],
            body: String::new(),
        },
        matched_rule: None,
        explanation,
    }
}

fn preflight(
    cors: Option<&CorsConfiguration>,
    request: &HttpRequest,
    sequence: usize,
) -> ServerAnswer {
    let (Some(origin), Some(method)) = (
        request.header("Origin"),
        request.header("Access-Control-Request-Method"),
    ) else {
        return no_cors_preflight(
            sequence,
            "GCS: an OPTIONS request without Origin and Access-Control-Request-Method is not a preflight; it gets no CORS headers.".to_string(),
        );
    };
    let Some(config) = cors else {
        return no_cors_preflight(
            sequence,
            "GCS: the bucket has no CORS configuration, so the preflight's answer carries no Access-Control-* headers.".to_string(),
        );
    };
    let (matched, trail) = find_rule(config, &origin, &method);
    let Some(index) = matched else {
        return no_cors_preflight(
            sequence,
            text!(
                "GCS: ",
                trail,
                " The answer carries no Access-Control-* headers."
            ),
        );
    };
    let rule = &config.rules[index];
    let mut headers = vec![
        upload_id(sequence),
        ("Access-Control-Allow-Origin".to_string(), origin.clone()),
        (
            "Access-Control-Allow-Methods".to_string(),
            rule.allowed_methods.join(","),
        ),
    ];
    if !rule.expose_headers.is_empty() {
        headers.push((
            "Access-Control-Allow-Headers".to_string(),
            rule.expose_headers.join(","),
        ));
    }
    if let Some(max_age) = rule.max_age_seconds {
        headers.push(("Access-Control-Max-Age".to_string(), max_age.to_string()));
    }
    headers.push(("Vary".to_string(), "Origin".to_string()));
    headers.push(("Content-Length".to_string(), "0".to_string()));
    headers.push(server_header());
    let allow_headers = if rule.expose_headers.is_empty() {
        "no Access-Control-Allow-Headers (the rule has no responseHeader, so any non-safelisted request header fails in the browser)".to_string()
    } else {
        text!(
            "its responseHeader list as Access-Control-Allow-Headers (",
            rule.expose_headers.join(","),
            "); GCS does not compare it with the requested headers, the browser does"
        )
    };
    ServerAnswer {
        response: HttpResponse {
            status: 200,
            headers,
            body: String::new(),
        },
        matched_rule: Some(index),
        explanation: format!(
            "GCS: {trail} GCS answers 200 with the Origin echoed in Access-Control-Allow-Origin, the rule's methods, {allow_headers}{}. {UNVERIFIED}",
            if rule.max_age_seconds.is_some() {
                ", and maxAgeSeconds as Access-Control-Max-Age"
            } else {
                ""
            }
        ),
    }
}

/// What the storage operation answers before CORS: success unless overridden.
fn operation(
    request: &HttpRequest,
    override_response: Option<Scripted>,
    sequence: usize,
) -> (HttpResponse, String) {
    if let Some(answer) = override_response {
        return overridden_operation(answer, vec![upload_id(sequence)]);
    }
    let key = object_key(&request.url);
    let mut headers = vec![upload_id(sequence)];
    let (status, body, description) = match request.method.as_str() {
        "GET" | "HEAD" => {
            let content_type = key.as_deref().map_or("application/xml", content_type_for);
            headers.push((
                "x-goog-generation".to_string(),
                "1735732800000000".to_string(),
            ));
            headers.push(("x-goog-storage-class".to_string(), "STANDARD".to_string()));
            headers.push((
                "ETag".to_string(),
                "\"9b2cf535f27731c974343645a3985328\"".to_string(),
            ));
            headers.push(("Content-Type".to_string(), content_type.to_string()));
            let body = if request.method == "GET" {
                text!("(object data, ", content_type, ")")
            } else {
                String::new()
            };
            (200, body, "reading the object succeeds".to_string())
        }
        "PUT" | "POST" => {
            headers.push((
                "x-goog-generation".to_string(),
                "1735732800000001".to_string(),
            ));
            headers.push(("Content-Length".to_string(), "0".to_string()));
            (200, String::new(), "the upload succeeds".to_string())
        }
        "DELETE" => (
            204,
            String::new(),
            "deleting the object succeeds".to_string(),
        ),
        other => {
            headers.push(("Content-Type".to_string(), "application/xml".to_string()));
            return (
                HttpResponse {
                    status: 405,
                    headers,
                    body: "<?xml version='1.0' encoding='UTF-8'?><Error><Code>MethodNotAllowed</Code></Error>".to_string(),
                },
                text!("GCS's XML API has no ", other, " operation: 405."),
            );
        }
    };
    headers.push(server_header());
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
            explanation: text!(op_text, " GCS: without Origin no CORS headers are added."),
        };
    };
    let Some(config) = cors else {
        return ServerAnswer {
            response,
            matched_rule: None,
            explanation: text!(
                op_text,
                " GCS: the bucket has no CORS configuration, so the response carries no CORS headers."
            ),
        };
    };
    let (matched, trail) = find_rule(config, &origin, &request.method);
    let Some(index) = matched else {
        return ServerAnswer {
            explanation: text!(
                op_text,
                " GCS: ",
                trail,
                " The response carries no CORS headers; the operation itself still happened."
            ),
            response,
            matched_rule: None,
        };
    };
    let rule = &config.rules[index];
    let mut added = vec![("Access-Control-Allow-Origin".to_string(), origin)];
    if !rule.expose_headers.is_empty() {
        added.push((
            "Access-Control-Expose-Headers".to_string(),
            rule.expose_headers.join(","),
        ));
    }
    added.push(("Vary".to_string(), "Origin".to_string()));
    add_before_server(&mut response, added);
    ServerAnswer {
        response,
        matched_rule: Some(index),
        explanation: format!(
            "{op_text} GCS: {trail} The response echoes the Origin in Access-Control-Allow-Origin{}. {UNVERIFIED}",
            if rule.expose_headers.is_empty() {
                String::new()
            } else {
                format!(
                    " and exposes responseHeader ({})",
                    rule.expose_headers.join(",")
                )
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str], methods: &[&str], response_header: &[&str]) -> CorsConfiguration {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CorsConfiguration {
            rules: vec![CorsRule {
                id: None,
                allowed_origins: v(origins),
                allowed_methods: v(methods),
                allowed_headers: Vec::new(),
                expose_headers: v(response_header),
                max_age_seconds: Some(3600),
            }],
        }
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            url: "https://storage.googleapis.com/b/photo.jpg".to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_matching_preflight_lists_response_header_whatever_was_requested() {
        let cfg = config(&["https://app.example"], &["PUT"], &["Content-Type"]);
        let a = answer(
            Some(&cfg),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "x-custom"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(a.matched_rule, Some(0));
        assert_eq!(
            a.response.header("Access-Control-Allow-Headers").as_deref(),
            Some("Content-Type")
        );
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(a.response.header("Access-Control-Allow-Credentials"), None);
    }

    #[test]
    fn star_origin_is_echoed_and_partial_wildcards_are_literal() {
        let star = config(&["*"], &["GET"], &[]);
        let a = answer(
            Some(&star),
            &request("GET", &[("Origin", "https://x.example")]),
            None,
            1,
        );
        assert_eq!(
            a.response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://x.example")
        );
        let partial = config(&["https://*.example"], &["GET"], &[]);
        let b = answer(
            Some(&partial),
            &request("GET", &[("Origin", "https://x.example")]),
            None,
            1,
        );
        assert_eq!(b.matched_rule, None);
        assert_eq!(b.response.header("Access-Control-Allow-Origin"), None);
    }

    #[test]
    fn an_unmatched_preflight_is_200_without_cors_headers() {
        let cfg = config(&["https://app.example"], &["GET"], &[]);
        let a = answer(
            Some(&cfg),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "DELETE"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(a.response.status, 200);
        assert!(
            a.response
                .headers
                .iter()
                .all(|(n, _)| !n.starts_with("Access-Control"))
        );
        assert!(
            a.explanation
                .contains("method DELETE is not in method [GET]")
        );
    }
}
