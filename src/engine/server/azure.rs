//! Azure Blob Storage's CORS answers, as Microsoft's "CORS support for Azure Storage" page and
//! the Azurite emulator describe them (`shared/reference/peers-and-config-formats.md` §3.4).
//!
//! - Rules are tried in order; the first whose `AllowedOrigins` holds the Origin (exact and
//!   case-sensitive, or `*`), whose `AllowedMethods` holds the method (a preflight's
//!   Access-Control-Request-Method), and — on a preflight — whose `AllowedHeaders` cover every
//!   requested header (case-insensitive; `x-ms-meta-*` is a prefix, `*` alone allows any) wins.
//! - Preflight: a match gets 200 echoing the Origin, the requested method and headers,
//!   `MaxAgeInSeconds` and Access-Control-Allow-Credentials: true; no match gets 403
//!   `CorsPreflightFailure`; a preflight without Origin or Access-Control-Request-Method gets
//!   400.
//! - Actual request: a match adds Access-Control-Allow-Origin (`*` when the rule's origins are
//!   `*`, else the Origin with Access-Control-Allow-Credentials: true and Vary: Origin) and
//!   Access-Control-Expose-Headers; no match adds nothing.

use super::rules::{
    add_before_server, content_type_for, first_match, object_key, overridden_operation, stable_id,
};
use super::s3::requested_headers;
use super::{Scripted, ServerAnswer};
use crate::engine::http::{HttpRequest, HttpResponse};
use crate::scenario::{CorsConfiguration, CorsRule};

const VERSION: &str = "2025-01-05";

/// An `AllowedOrigins` entry: the whole origin, case-sensitive, or `*`.
pub(crate) fn origin_entry_matches(entry: &str, origin: &str) -> bool {
    entry.trim() == "*" || entry.trim() == origin
}

fn origin_matches(rule: &CorsRule, origin: &str) -> bool {
    rule.allowed_origins
        .iter()
        .any(|o| origin_entry_matches(o, origin))
}

/// `x-ms-meta-*` is a prefix; anything else is a whole name; both case-insensitive.
pub fn header_matches(pattern: &str, header: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let header = header.trim().to_ascii_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) => header.starts_with(prefix),
        None => pattern == header,
    }
}

fn rule_mismatch(
    rule: &CorsRule,
    origin: &str,
    method: &str,
    headers: Option<&[String]>,
) -> Option<String> {
    if !origin_matches(rule, origin) {
        return Some(text!(
            "origin ",
            origin,
            " is not in AllowedOrigins [",
            rule.allowed_origins.join(","),
            "] (Azure compares whole origins, case-sensitively)"
        ));
    }
    if !rule.allowed_methods.iter().any(|m| m.trim() == method) {
        return Some(text!(
            "method ",
            method,
            " is not in AllowedMethods [",
            rule.allowed_methods.join(","),
            "]"
        ));
    }
    for header in headers.unwrap_or_default() {
        if !rule
            .allowed_headers
            .iter()
            .any(|a| header_matches(a, header))
        {
            return Some(text!(
                "header ",
                header.to_ascii_lowercase(),
                " is not covered by AllowedHeaders [",
                rule.allowed_headers.join(","),
                "]"
            ));
        }
    }
    None
}

fn request_id(sequence: usize) -> Vec<(String, String)> {
    let h = stable_id(sequence);
    vec![
        (
            "x-ms-request-id".to_string(),
            format!(
                "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                (h >> 32) as u32,
                (h >> 16) as u16,
                h as u16,
                h.rotate_left(7) as u16,
                h.rotate_left(23) & 0xffff_ffff_ffff
            ),
        ),
        ("x-ms-version".to_string(), VERSION.to_string()),
    ]
}

fn server_header() -> (String, String) {
    (
        "Server".to_string(),
        "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0".to_string(),
    )
}

fn error_response(status: u16, code: &str, message: &str, sequence: usize) -> HttpResponse {
    let mut headers = request_id(sequence);
    let id = headers[0].1.clone();
    headers.push(("x-ms-error-code".to_string(), code.to_string()));
    headers.push(("Content-Type".to_string(), "application/xml".to_string()));
    headers.push(server_header());
    HttpResponse {
        status,
        headers,
        body: text!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>",
            code,
            "</Code><Message>",
            quick_xml::escape::partial_escape(message),
            "\nRequestId:",
            id,
            "</Message></Error>"
        ),
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
    let (Some(origin), Some(method)) = (
        request.header("Origin"),
        request.header("Access-Control-Request-Method"),
    ) else {
        return ServerAnswer {
            response: error_response(400, "InvalidCorsHeaderValue", "A required CORS header is not present.", sequence),
            matched_rule: None,
            explanation: "Azure: a preflight needs both Origin and Access-Control-Request-Method; without them the answer is 400.".to_string(),
        };
    };
    let failure = |text: String| ServerAnswer {
        response: error_response(
            403,
            "CorsPreflightFailure",
            "CORS not enabled or no matching rule found for this request.",
            sequence,
        ),
        matched_rule: None,
        explanation: text,
    };
    let Some(config) = cors else {
        return failure("Azure: CORS is not enabled for the Blob service (no rules), so every preflight gets 403 CorsPreflightFailure with no Access-Control-* headers.".to_string());
    };
    let acrh = request.header("Access-Control-Request-Headers");
    let requested = requested_headers(acrh.as_deref());
    let (matched, trail) = first_match(config, |rule| {
        rule_mismatch(rule, &origin, &method, Some(&requested))
    });
    let Some(index) = matched else {
        return failure(text!(
            "Azure: ",
            trail,
            " So Azure answers 403 CorsPreflightFailure \"CORS not enabled or no matching rule found for this request.\" with no Access-Control-* headers."
        ));
    };
    let rule = &config.rules[index];
    let mut headers = request_id(sequence);
    headers.push(("Access-Control-Allow-Origin".to_string(), origin));
    headers.push(("Access-Control-Allow-Methods".to_string(), method));
    if let Some(acrh) = &acrh {
        headers.push(("Access-Control-Allow-Headers".to_string(), acrh.clone()));
    }
    let max_age = rule.max_age_seconds.unwrap_or(0);
    headers.push(("Access-Control-Max-Age".to_string(), max_age.to_string()));
    headers.push((
        "Access-Control-Allow-Credentials".to_string(),
        "true".to_string(),
    ));
    headers.push(("Content-Length".to_string(), "0".to_string()));
    headers.push(server_header());
    ServerAnswer {
        response: HttpResponse {
            status: 200,
            headers,
            body: String::new(),
        },
        matched_rule: Some(index),
        explanation: text!(
            "Azure: ",
            trail,
            " Azure answers 200 echoing the Origin (even for a \"*\" rule), the requested method",
            if acrh.is_some() {
                " and the requested headers"
            } else {
                ""
            },
            ", MaxAgeInSeconds ",
            max_age,
            " and Access-Control-Allow-Credentials: true."
        ),
    }
}

fn operation(
    request: &HttpRequest,
    override_response: Option<Scripted>,
    sequence: usize,
) -> (HttpResponse, String) {
    if let Some(answer) = override_response {
        return overridden_operation(answer, request_id(sequence));
    }
    let key = object_key(&request.url);
    let mut headers = request_id(sequence);
    let etag = ("ETag".to_string(), "\"0x8DD2A1B2C3D4E5F\"".to_string());
    let (status, body, description) = match request.method.as_str() {
        "GET" | "HEAD" => {
            let content_type = key.as_deref().map_or("application/xml", content_type_for);
            headers.push(("Content-Type".to_string(), content_type.to_string()));
            headers.push(("Content-Length".to_string(), "2048".to_string()));
            headers.push(etag);
            headers.push((
                "Last-Modified".to_string(),
                "Wed, 01 Jan 2025 12:00:00 GMT".to_string(),
            ));
            headers.push(("x-ms-blob-type".to_string(), "BlockBlob".to_string()));
            let body = if request.method == "GET" {
                text!("(2048 bytes of ", content_type, ")")
            } else {
                String::new()
            };
            (200, body, "Get Blob succeeds".to_string())
        }
        "PUT" => {
            headers.push(etag);
            headers.push(("Content-Length".to_string(), "0".to_string()));
            (
                201,
                String::new(),
                "Put Blob succeeds (201 Created)".to_string(),
            )
        }
        "DELETE" => (
            202,
            String::new(),
            "Delete Blob succeeds (202 Accepted)".to_string(),
        ),
        other => {
            return (
                error_response(
                    405,
                    "UnsupportedHttpVerb",
                    "The resource doesn't support specified Http Verb.",
                    sequence,
                ),
                text!(
                    "The Blob service has no ",
                    other,
                    " operation on a blob: 405 UnsupportedHttpVerb."
                ),
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

/// The names to list in Access-Control-Expose-Headers: the response's headers that match a
/// prefix entry, then the literal entries.
fn exposed(rule: &CorsRule, response: &HttpResponse) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in &response.headers {
        let by_prefix = rule
            .expose_headers
            .iter()
            .any(|e| e.trim().ends_with('*') && header_matches(e, name));
        if by_prefix && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.clone());
        }
    }
    for entry in &rule.expose_headers {
        let entry = entry.trim();
        if !entry.ends_with('*') && !names.iter().any(|n| n.eq_ignore_ascii_case(entry)) {
            names.push(entry.to_string());
        }
    }
    names
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
            explanation: text!(op_text, " Azure: without Origin no CORS headers are added."),
        };
    };
    let Some(config) = cors else {
        return ServerAnswer {
            response,
            matched_rule: None,
            explanation: text!(
                op_text,
                " Azure: CORS is not enabled for the Blob service, so the response carries no CORS headers."
            ),
        };
    };
    let (matched, trail) = first_match(config, |rule| {
        rule_mismatch(rule, &origin, &request.method, None)
    });
    let Some(index) = matched else {
        if !config.rules.is_empty() {
            add_before_server(
                &mut response,
                vec![("Vary".to_string(), "Origin".to_string())],
            );
        }
        return ServerAnswer {
            explanation: text!(
                op_text,
                " Azure: ",
                trail,
                " The response carries no Access-Control-* headers (only Vary: Origin); the operation itself still happened."
            ),
            response,
            matched_rule: None,
        };
    };
    let rule = &config.rules[index];
    let star = rule.allowed_origins.iter().any(|o| o.trim() == "*");
    let mut added = Vec::new();
    let names = exposed(rule, &response);
    if !names.is_empty() {
        added.push(("Access-Control-Expose-Headers".to_string(), names.join(",")));
    }
    if star {
        added.push(("Access-Control-Allow-Origin".to_string(), "*".to_string()));
    } else {
        added.push(("Access-Control-Allow-Origin".to_string(), origin));
        added.push((
            "Access-Control-Allow-Credentials".to_string(),
            "true".to_string(),
        ));
        added.push(("Vary".to_string(), "Origin".to_string()));
    }
    add_before_server(&mut response, added);
    ServerAnswer {
        response,
        matched_rule: Some(index),
        explanation: text!(
            op_text,
            " Azure: ",
            trail,
            " ",
            if star {
                "The rule's origins are \"*\", so Azure answers Access-Control-Allow-Origin: * and no Access-Control-Allow-Credentials (unlike its preflight answer)."
            } else {
                "Azure echoes the Origin with Access-Control-Allow-Credentials: true and Vary: Origin."
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsConfiguration {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CorsConfiguration {
            rules: vec![CorsRule {
                id: None,
                allowed_origins: v(origins),
                allowed_methods: v(methods),
                allowed_headers: v(headers),
                expose_headers: v(&["x-ms-meta-*", "x-ms-request-id"]),
                max_age_seconds: Some(200),
            }],
        }
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            url: "https://acct.blob.core.windows.net/c/photo.jpg".to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn prefix_headers_match_and_others_fail_with_403() {
        let cfg = config(
            &["https://app.example"],
            &["PUT"],
            &["x-ms-meta-*", "content-type"],
        );
        let ok = answer(
            Some(&cfg),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "PUT"),
                    (
                        "Access-Control-Request-Headers",
                        "content-type,x-ms-meta-owner",
                    ),
                ],
            ),
            None,
            1,
        );
        assert_eq!(ok.response.status, 200);
        assert_eq!(
            ok.response
                .header("Access-Control-Allow-Credentials")
                .as_deref(),
            Some("true")
        );
        let refused = answer(
            Some(&cfg),
            &request(
                "OPTIONS",
                &[
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "x-ms-blob-type"),
                ],
            ),
            None,
            1,
        );
        assert_eq!(refused.response.status, 403);
        assert_eq!(
            refused.response.header("x-ms-error-code").as_deref(),
            Some("CorsPreflightFailure")
        );
    }

    #[test]
    fn origins_are_case_sensitive_and_star_answers_star_on_actual_requests() {
        let exact = config(&["https://App.example"], &["GET"], &[]);
        let miss = answer(
            Some(&exact),
            &request("GET", &[("Origin", "https://app.example")]),
            None,
            1,
        );
        assert_eq!(miss.matched_rule, None);
        assert_eq!(miss.response.header("Vary").as_deref(), Some("Origin"));
        let star = config(&["*"], &["GET"], &[]);
        let hit = answer(
            Some(&star),
            &request("GET", &[("Origin", "https://app.example")]),
            None,
            1,
        );
        assert_eq!(
            hit.response
                .header("Access-Control-Allow-Origin")
                .as_deref(),
            Some("*")
        );
        assert_eq!(
            hit.response.header("Access-Control-Allow-Credentials"),
            None
        );
        assert_eq!(
            hit.response
                .header("Access-Control-Expose-Headers")
                .as_deref(),
            Some("x-ms-request-id")
        );
    }
}
