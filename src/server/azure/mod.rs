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

pub(crate) mod config;

use crate::http::Header;
use std::fmt;

use super::bucket::{
    Decision, Joined, Mismatch, Note, Performed, Seen, Storage, content_type_for, object_key,
    stable_id, write_operation, write_trail,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::server::rules::CorsConfiguration;
use crate::server::rules::CorsRule;

const VERSION: &str = "2025-01-05";

/// An `AllowedOrigins` entry: the whole origin, case-sensitive, or `*`.
pub(crate) fn origin_entry_matches(entry: &str, origin: &str) -> bool {
    entry.trim() == "*" || entry.trim() == origin
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

const SERVER: &str = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0";

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
            names.push(name.to_string());
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

/// Azure Blob Storage, as documented and as Azurite answers.
pub struct Azure;

impl Azure {
    fn error_response(
        &self,
        status: u16,
        code: &str,
        message: &str,
        sequence: usize,
    ) -> HttpResponse {
        let mut headers = self.ids(sequence);
        let id = headers[0].1.clone();
        headers.push(("x-ms-error-code".into(), code.into()));
        headers.push(("Content-Type".into(), "application/xml".into()));
        headers.push(("Server".into(), SERVER.into()));
        HttpResponse {
            status,
            headers: headers.into(),
            body: format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{}\nRequestId:{id}</Message></Error>",
                quick_xml::escape::partial_escape(message),
            ),
        }
    }
}

impl Storage for Azure {
    fn server(&self) -> &'static str {
        SERVER
    }

    fn ids(&self, sequence: usize) -> Vec<Header> {
        let h = stable_id(sequence);
        vec![
            (
                "x-ms-request-id".into(),
                format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    (h >> 32) as u32,
                    (h >> 16) as u16,
                    h as u16,
                    h.rotate_left(7) as u16,
                    h.rotate_left(23) & 0xffff_ffff_ffff
                )
                .into(),
            ),
            ("x-ms-version".into(), VERSION.into()),
        ]
    }

    fn operation(&self, request: &HttpRequest, sequence: usize) -> Result<Performed, HttpResponse> {
        let key = object_key(&request.url);
        let mut headers = self.ids(sequence);
        let etag = ("ETag".into(), "\"0x8DD2A1B2C3D4E5F\"".into());
        let (status, body) = match request.method.as_str() {
            "GET" | "HEAD" => {
                let content_type = key.as_deref().map_or("application/xml", content_type_for);
                headers.push(("Content-Type".into(), content_type.into()));
                headers.push(("Content-Length".into(), "2048".into()));
                headers.push(etag);
                headers.push((
                    "Last-Modified".into(),
                    "Wed, 01 Jan 2025 12:00:00 GMT".into(),
                ));
                headers.push(("x-ms-blob-type".into(), "BlockBlob".into()));
                let body = if request.method == "GET" {
                    crate::http::describe_body(2048, content_type)
                } else {
                    String::new()
                };
                (200, body)
            }
            "PUT" => {
                headers.push(etag);
                headers.push(("Content-Length".into(), "0".into()));
                (201, String::new())
            }
            "DELETE" => (202, String::new()),
            _ => {
                return Err(self.error_response(
                    405,
                    "UnsupportedHttpVerb",
                    "The resource doesn't support specified Http Verb.",
                    sequence,
                ));
            }
        };
        Ok((status, headers, body))
    }

    fn describe_operation(
        &self,
        request: &HttpRequest,
        exists: bool,
        f: &mut fmt::Formatter,
    ) -> fmt::Result {
        let description = match request.method.as_str() {
            other if !exists => {
                return write!(
                    f,
                    "The Blob service has no {other} operation on a blob: 405 UnsupportedHttpVerb."
                );
            }
            "GET" | "HEAD" => "Get Blob succeeds",
            "PUT" => "Put Blob succeeds (201 Created)",
            _ => "Delete Blob succeeds (202 Accepted)",
        };
        write!(f, "The operation is modelled as succeeding: {description}.")
    }

    fn refuse_preflight(
        &self,
        why: Decision,
        _request: &HttpRequest,
        sequence: usize,
    ) -> HttpResponse {
        match why {
            Decision::NotCors => self.error_response(
                400,
                "InvalidCorsHeaderValue",
                "A required CORS header is not present.",
                sequence,
            ),
            _ => self.error_response(
                403,
                "CorsPreflightFailure",
                "CORS not enabled or no matching rule found for this request.",
                sequence,
            ),
        }
    }

    /// Whole origins (case-sensitive) or `*`; exact methods; headers by name or prefix.
    fn mismatch(
        &self,
        rule: &CorsRule,
        origin: &str,
        method: &str,
        headers: Option<&[String]>,
    ) -> Option<Mismatch> {
        if !rule
            .allowed_origins
            .iter()
            .any(|o| origin_entry_matches(o, origin))
        {
            return Some(Mismatch::Origin);
        }
        if !rule.allowed_methods.iter().any(|m| m.trim() == method) {
            return Some(Mismatch::Method);
        }
        headers
            .unwrap_or_default()
            .iter()
            .find(|header| {
                !rule
                    .allowed_headers
                    .iter()
                    .any(|a| header_matches(a, header))
            })
            .map(|header| Mismatch::Header(header.to_ascii_lowercase()))
    }

    /// A match echoes the Origin (even for `*`), the method and headers asked for, and
    /// always allows credentials.
    fn allow_preflight(
        &self,
        rule: &CorsRule,
        origin: &str,
        method: &str,
        request: &HttpRequest,
    ) -> Vec<Header> {
        let mut headers: Vec<Header> = vec![
            ("Access-Control-Allow-Origin".into(), origin.into()),
            ("Access-Control-Allow-Methods".into(), method.into()),
        ];
        if let Some(acrh) = request.header("Access-Control-Request-Headers") {
            headers.push(("Access-Control-Allow-Headers".into(), acrh.into()));
        }
        let max_age = rule.max_age_seconds.unwrap_or(0);
        headers.push(("Access-Control-Max-Age".into(), max_age.to_string().into()));
        headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        headers
    }

    fn allow_actual(&self, rule: &CorsRule, origin: &str, response: &HttpResponse) -> Vec<Header> {
        let mut added: Vec<Header> = Vec::new();
        let names = exposed(rule, response);
        if !names.is_empty() {
            added.push((
                "Access-Control-Expose-Headers".into(),
                names.join(",").into(),
            ));
        }
        if rule.allowed_origins.iter().any(|o| o.trim() == "*") {
            added.push(("Access-Control-Allow-Origin".into(), "*".into()));
        } else {
            added.push(("Access-Control-Allow-Origin".into(), origin.into()));
            added.push(("Access-Control-Allow-Credentials".into(), "true".into()));
            added.push(("Vary".into(), "Origin".into()));
        }
        added
    }

    /// A Blob service with rules says Vary: Origin even when none matched.
    fn unmatched_actual(&self, config: &CorsConfiguration) -> Vec<Header> {
        if config.rules.is_empty() {
            Vec::new()
        } else {
            vec![("Vary".into(), "Origin".into())]
        }
    }

    fn narrate(&self, note: &Note, seen: Seen, f: &mut fmt::Formatter) -> fmt::Result {
        let request = seen.request;
        let trail = |f: &mut fmt::Formatter| {
            write_trail(note, f, |rule, mismatch, f| match mismatch {
                Mismatch::Origin => write!(
                    f,
                    "origin {} is not in AllowedOrigins [{}] (Azure compares whole origins, case-sensitively)",
                    request.header("Origin").unwrap_or_default(),
                    Joined(&rule.allowed_origins, ",")
                ),
                Mismatch::Method => write!(
                    f,
                    "method {} is not in AllowedMethods [{}]",
                    match note.operation {
                        Some(_) => request.method.to_string(),
                        None => request
                            .header("Access-Control-Request-Method")
                            .unwrap_or_default(),
                    },
                    Joined(&rule.allowed_methods, ",")
                ),
                Mismatch::Header(header) => write!(
                    f,
                    "header {header} is not covered by AllowedHeaders [{}]",
                    Joined(&rule.allowed_headers, ",")
                ),
            })
        };
        if note.operation.is_none() {
            return match note.decision {
                Decision::NotCors => f.write_str("Azure: a preflight needs both Origin and Access-Control-Request-Method; without them the answer is 400."),
                Decision::NoConfiguration | Decision::BadMethod => f.write_str("Azure: CORS is not enabled for the Blob service (no rules), so every preflight gets 403 CorsPreflightFailure with no Access-Control-* headers."),
                Decision::NoRuleMatched => {
                    f.write_str("Azure: ")?;
                    trail(f)?;
                    f.write_str(" So Azure answers 403 CorsPreflightFailure \"CORS not enabled or no matching rule found for this request.\" with no Access-Control-* headers.")
                }
                Decision::Matched(_) => {
                    let Some(rule) = note.matched() else {
                        return Ok(());
                    };
                    f.write_str("Azure: ")?;
                    trail(f)?;
                    f.write_str(" Azure answers 200 echoing the Origin (even for a \"*\" rule), the requested method")?;
                    if request.header("Access-Control-Request-Headers").is_some() {
                        f.write_str(" and the requested headers")?;
                    }
                    write!(
                        f,
                        ", MaxAgeInSeconds {} and Access-Control-Allow-Credentials: true.",
                        rule.max_age_seconds.unwrap_or(0)
                    )
                }
            };
        }
        write_operation(self, note.operation, seen, f)?;
        match note.decision {
            Decision::NotCors => f.write_str(" Azure: without Origin no CORS headers are added."),
            Decision::NoConfiguration | Decision::BadMethod => f.write_str(" Azure: CORS is not enabled for the Blob service, so the response carries no CORS headers."),
            Decision::NoRuleMatched => {
                f.write_str(" Azure: ")?;
                trail(f)?;
                f.write_str(" The response carries no Access-Control-* headers (only Vary: Origin); the operation itself still happened.")
            }
            Decision::Matched(_) => {
                let Some(rule) = note.matched() else {
                    return Ok(());
                };
                f.write_str(" Azure: ")?;
                trail(f)?;
                f.write_str(if rule.allowed_origins.iter().any(|o| o.trim() == "*") {
                    " The rule's origins are \"*\", so Azure answers Access-Control-Allow-Origin: * and no Access-Control-Allow-Credentials (unlike its preflight answer)."
                } else {
                    " Azure echoes the Origin with Access-Control-Allow-Credentials: true and Vary: Origin."
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::provider::Provider;
    use crate::server::rules::CorsConfiguration;

    fn answer(
        config: Option<&CorsConfiguration>,
        request: &HttpRequest,
        scripted: Option<crate::server::Scripted>,
        sequence: usize,
    ) -> crate::server::bucket::Answered {
        crate::server::bucket::answer_with(Provider::Azure, config, request, scripted, sequence)
    }

    fn config(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsConfiguration {
        let exposed = ["x-ms-meta-*", "x-ms-request-id"];
        crate::server::bucket::one_rule((origins, methods), (headers, &exposed), Some(200))
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> HttpRequest {
        crate::server::bucket::request_to(
            "https://acct.blob.core.windows.net/c/photo.jpg",
            method,
            headers,
        )
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
