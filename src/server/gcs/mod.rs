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

pub(crate) mod config;

use crate::http::Header;
use std::fmt;

use super::bucket::{
    Decision, Joined, Mismatch, Note, Performed, Seen, Storage, content_type_for, object_key,
    stable_id, write_operation, write_trail,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::server::rules::CorsRule;

/// Where GCS's documentation does not say what happens, the explanation admits it.
const UNVERIFIED: &str = "(GCS's documentation does not say whether Access-Control-Allow-Credentials is ever sent; cors-tui assumes it is not.)";

/// An `origin` or `method` entry: the whole value, or `*`.
pub(crate) fn entry_matches(entry: &str, value: &str) -> bool {
    entry == "*" || entry == value
}

const SERVER: &str = "UploadServer";

/// Google Cloud Storage, as documented.
pub struct Gcs;

impl Storage for Gcs {
    fn server(&self) -> &'static str {
        SERVER
    }

    fn ids(&self, sequence: usize) -> Vec<Header> {
        let hash = stable_id(sequence);
        vec![(
            "X-GUploader-UploadID".into(),
            format!("ABPtcPo{hash:016x}{:08x}", hash.rotate_left(29) as u32).into(),
        )]
    }

    /// What the storage operation answers before CORS: success for the XML API's methods.
    fn operation(&self, request: &HttpRequest, sequence: usize) -> Result<Performed, HttpResponse> {
        let key = object_key(&request.url);
        let mut headers = self.ids(sequence);
        let (status, body) = match request.method.as_str() {
            "GET" | "HEAD" => {
                let content_type = key.as_deref().map_or("application/xml", content_type_for);
                headers.push(("x-goog-generation".into(), "1735732800000000".into()));
                headers.push(("x-goog-storage-class".into(), "STANDARD".into()));
                headers.push(("ETag".into(), "\"9b2cf535f27731c974343645a3985328\"".into()));
                headers.push(("Content-Type".into(), content_type.into()));
                let body = if request.method == "GET" {
                    format!("(object data, {content_type})")
                } else {
                    String::new()
                };
                (200, body)
            }
            "PUT" | "POST" => {
                headers.push(("x-goog-generation".into(), "1735732800000001".into()));
                headers.push(("Content-Length".into(), "0".into()));
                (200, String::new())
            }
            "DELETE" => (204, String::new()),
            _ => {
                headers.push(("Content-Type".into(), "application/xml".into()));
                return Err(HttpResponse {
                    status: 405,
                    headers: headers.into(),
                    body: "<?xml version='1.0' encoding='UTF-8'?><Error><Code>MethodNotAllowed</Code></Error>".to_string(),
                });
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
            _ if !exists => {
                return write!(f, "GCS's XML API has no {} operation: 405.", request.method);
            }
            "GET" | "HEAD" => "reading the object succeeds",
            "PUT" | "POST" => "the upload succeeds",
            _ => "deleting the object succeeds",
        };
        write!(f, "The operation is modelled as succeeding: {description}.")
    }

    /// Every refused preflight is a plain 200 without CORS headers.
    fn refuse_preflight(
        &self,
        _why: Decision,
        _request: &HttpRequest,
        sequence: usize,
    ) -> HttpResponse {
        let mut headers = self.ids(sequence);
        headers.push(("Content-Length".into(), "0".into()));
        headers.push(("Server".into(), SERVER.into()));
        HttpResponse {
            status: 200,
            headers: headers.into(),
            body: String::new(),
        }
    }

    /// Whole origins and methods, or `*`; GCS checks no requested headers itself.
    fn mismatch(
        &self,
        rule: &CorsRule,
        origin: &str,
        method: &str,
        _headers: Option<&[String]>,
    ) -> Option<Mismatch> {
        if !rule
            .allowed_origins
            .iter()
            .any(|o| entry_matches(o, origin))
        {
            Some(Mismatch::Origin)
        } else if !rule
            .allowed_methods
            .iter()
            .any(|m| entry_matches(m, method))
        {
            Some(Mismatch::Method)
        } else {
            None
        }
    }

    fn allow_preflight(
        &self,
        rule: &CorsRule,
        origin: &str,
        _method: &str,
        _request: &HttpRequest,
    ) -> Vec<Header> {
        let mut headers: Vec<Header> = vec![
            ("Access-Control-Allow-Origin".into(), origin.into()),
            (
                "Access-Control-Allow-Methods".into(),
                rule.allowed_methods.join(",").into(),
            ),
        ];
        if !rule.expose_headers.is_empty() {
            headers.push((
                "Access-Control-Allow-Headers".into(),
                rule.expose_headers.join(",").into(),
            ));
        }
        if let Some(max_age) = rule.max_age_seconds {
            headers.push(("Access-Control-Max-Age".into(), max_age.to_string().into()));
        }
        headers.push(("Vary".into(), "Origin".into()));
        headers
    }

    fn allow_actual(&self, rule: &CorsRule, origin: &str, _response: &HttpResponse) -> Vec<Header> {
        let mut added: Vec<Header> = vec![("Access-Control-Allow-Origin".into(), origin.into())];
        if !rule.expose_headers.is_empty() {
            added.push((
                "Access-Control-Expose-Headers".into(),
                rule.expose_headers.join(",").into(),
            ));
        }
        added.push(("Vary".into(), "Origin".into()));
        added
    }

    fn narrate(&self, note: &Note, seen: Seen, f: &mut fmt::Formatter) -> fmt::Result {
        let request = seen.request;
        let trail = |f: &mut fmt::Formatter| {
            write_trail(note, f, |rule, mismatch, f| match mismatch {
                Mismatch::Origin => write!(
                    f,
                    "origin {} is not in origin [{}] (GCS compares whole origins)",
                    request.header("Origin").unwrap_or_default(),
                    Joined(&rule.allowed_origins, ", ")
                ),
                Mismatch::Method | Mismatch::Header(_) => write!(
                    f,
                    "method {} is not in method [{}]",
                    match note.operation {
                        Some(_) => request.method.to_string(),
                        None => request
                            .header("Access-Control-Request-Method")
                            .unwrap_or_default(),
                    },
                    Joined(&rule.allowed_methods, ", ")
                ),
            })
        };
        if note.operation.is_none() {
            return match note.decision {
                Decision::NotCors => f.write_str("GCS: an OPTIONS request without Origin and Access-Control-Request-Method is not a preflight; it gets no CORS headers."),
                Decision::NoConfiguration | Decision::BadMethod => f.write_str("GCS: the bucket has no CORS configuration, so the preflight's answer carries no Access-Control-* headers."),
                Decision::NoRuleMatched => {
                    f.write_str("GCS: ")?;
                    trail(f)?;
                    f.write_str(" The answer carries no Access-Control-* headers.")
                }
                Decision::Matched(_) => {
                    let Some(rule) = note.matched() else {
                        return Ok(());
                    };
                    f.write_str("GCS: ")?;
                    trail(f)?;
                    f.write_str(" GCS answers 200 with the Origin echoed in Access-Control-Allow-Origin, the rule's methods, ")?;
                    if rule.expose_headers.is_empty() {
                        f.write_str("no Access-Control-Allow-Headers (the rule has no responseHeader, so any non-safelisted request header fails in the browser)")?;
                    } else {
                        write!(
                            f,
                            "its responseHeader list as Access-Control-Allow-Headers ({}); GCS does not compare it with the requested headers, the browser does",
                            Joined(&rule.expose_headers, ",")
                        )?;
                    }
                    if rule.max_age_seconds.is_some() {
                        f.write_str(", and maxAgeSeconds as Access-Control-Max-Age")?;
                    }
                    write!(f, ". {UNVERIFIED}")
                }
            };
        }
        write_operation(self, note.operation, seen, f)?;
        match note.decision {
            Decision::NotCors => f.write_str(" GCS: without Origin no CORS headers are added."),
            Decision::NoConfiguration | Decision::BadMethod => f.write_str(" GCS: the bucket has no CORS configuration, so the response carries no CORS headers."),
            Decision::NoRuleMatched => {
                f.write_str(" GCS: ")?;
                trail(f)?;
                f.write_str(" The response carries no CORS headers; the operation itself still happened.")
            }
            Decision::Matched(_) => {
                let Some(rule) = note.matched() else {
                    return Ok(());
                };
                f.write_str(" GCS: ")?;
                trail(f)?;
                f.write_str(" The response echoes the Origin in Access-Control-Allow-Origin")?;
                if !rule.expose_headers.is_empty() {
                    write!(
                        f,
                        " and exposes responseHeader ({})",
                        Joined(&rule.expose_headers, ",")
                    )?;
                }
                write!(f, ". {UNVERIFIED}")
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
        crate::server::bucket::answer_with(Provider::Gcs, config, request, scripted, sequence)
    }

    fn config(origins: &[&str], methods: &[&str], response_header: &[&str]) -> CorsConfiguration {
        crate::server::bucket::one_rule((origins, methods), (&[], response_header), Some(3600))
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> HttpRequest {
        crate::server::bucket::request_to(
            "https://storage.googleapis.com/b/photo.jpg",
            method,
            headers,
        )
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
