//! Amazon S3's CORS answers, as recorded against AWS (`shared/reference/s3-cors-semantics.md`;
//! the section letters A–C below refer to it).

pub(crate) mod config;

use crate::http::Header;
use std::fmt::{self, Write as _};

use super::bucket::{
    Decision, Joined, Mismatch, Note, Performed, Seen, Storage, content_type_for, object_key,
    requested_headers, stable_id, write_operation, write_trail,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::server::rules::CorsRule;
use config::S3_METHODS;

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

/// Amazon S3, as recorded.
pub struct S3;

impl S3 {
    /// The CORS headers of a matched rule (A6; the actual request drops ACAH, B5).
    fn cors_headers(rule: &CorsRule, origin: &str, requested: Option<&[String]>) -> Vec<Header> {
        let mut headers: Vec<Header> = Vec::new();
        let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
        headers.push((
            "Access-Control-Allow-Origin".into(),
            if wildcard { "*".into() } else { origin.into() },
        ));
        headers.push((
            "Access-Control-Allow-Methods".into(),
            rule.allowed_methods.join(", ").into(),
        ));
        if let Some(requested) = requested {
            let lowered: Vec<String> = requested.iter().map(|h| h.to_ascii_lowercase()).collect();
            headers.push((
                "Access-Control-Allow-Headers".into(),
                lowered.join(", ").into(),
            ));
        }
        if !rule.expose_headers.is_empty() {
            headers.push((
                "Access-Control-Expose-Headers".into(),
                rule.expose_headers.join(", ").into(),
            ));
        }
        if let Some(max_age) = rule.max_age_seconds {
            headers.push(("Access-Control-Max-Age".into(), max_age.to_string().into()));
        }
        if !wildcard {
            headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        headers.push(("Vary".into(), VARY.into()));
        headers
    }

    fn error_response(
        &self,
        status: u16,
        code: &str,
        message: &str,
        extra: &[(&str, &str)],
        sequence: usize,
    ) -> HttpResponse {
        let ids = self.ids(sequence);
        // Values from the request (a method, a header name) go into the body as XML text: `&`,
        // `<` and `>` escaped, so the body stays well formed whatever was sent. (S3 answers
        // with well-formed XML; which other characters it escapes is not recorded.)
        use quick_xml::escape::partial_escape;
        let mut body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>",
            partial_escape(message)
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
        headers.push(("Content-Type".into(), "application/xml".into()));
        headers.push(("Transfer-Encoding".into(), "chunked".into()));
        headers.push(("Server".into(), "AmazonS3".into()));
        HttpResponse {
            status,
            headers: headers.into(),
            body,
        }
    }

    /// The method an actual request is matched on: its Access-Control-Request-Method when it
    /// carries one (B4).
    fn matched_method(request: &HttpRequest) -> (String, bool) {
        match request.header("Access-Control-Request-Method") {
            Some(method) => (method, true),
            None => (request.method.to_string(), false),
        }
    }
}

impl Storage for S3 {
    fn server(&self) -> &'static str {
        "AmazonS3"
    }

    /// Stable, S3-looking ids so traces are a pure function of the scenario.
    fn ids(&self, sequence: usize) -> Vec<Header> {
        let hash = stable_id(sequence);
        vec![
            ("x-amz-request-id".into(), format!("{hash:016X}").into()),
            (
                "x-amz-id-2".into(),
                format!("{:x}/{hash:x}=", hash.rotate_left(17)).into(),
            ),
        ]
    }

    /// What the S3 operation itself answers, before CORS (B7): success unless S3 has no such
    /// operation.
    fn operation(&self, request: &HttpRequest, sequence: usize) -> Result<Performed, HttpResponse> {
        let key = object_key(&request.url);
        let mut headers = self.ids(sequence);
        let etag = || ("ETag".into(), "\"9b2cf535f27731c974343645a3985328\"".into());
        let (status, body) = match (request.method.as_str(), &key) {
            ("GET" | "HEAD", Some(key)) => {
                let content_type = content_type_for(key);
                headers.push((
                    "Last-Modified".into(),
                    "Wed, 01 Jan 2025 12:00:00 GMT".into(),
                ));
                headers.push(etag());
                headers.push(("Accept-Ranges".into(), "bytes".into()));
                headers.push(("Content-Type".into(), content_type.into()));
                headers.push(("Content-Length".into(), "2048".into()));
                let body = if request.method == "GET" {
                    crate::http::describe_body(2048, content_type)
                } else {
                    String::new()
                };
                (200, body)
            }
            ("GET" | "HEAD", None) => {
                headers.push(("Content-Type".into(), "application/xml".into()));
                let body = if request.method == "GET" {
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">…</ListBucketResult>".to_string()
                } else {
                    String::new()
                };
                (200, body)
            }
            ("PUT", _) => {
                headers.push(etag());
                headers.push(("Content-Length".into(), "0".into()));
                (200, String::new())
            }
            ("POST" | "DELETE", _) => (204, String::new()),
            (other, _) => {
                return Err(self.error_response(
                    405,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    &[("Method", other), ("ResourceType", "OBJECT")],
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
        let method = request.method.as_str();
        if !exists {
            return write!(f, "S3 has no {method} operation: 405 MethodNotAllowed.");
        }
        f.write_str("The operation is modelled as succeeding: ")?;
        match (method, object_key(&request.url)) {
            ("GET" | "HEAD", Some(key)) => write!(f, "{method} of object {key} succeeds")?,
            ("GET" | "HEAD", None) => f.write_str("listing the bucket succeeds")?,
            ("PUT", _) => f.write_str("the upload (PutObject) succeeds")?,
            ("POST", _) => f.write_str("the POST succeeds with S3's default 204 No Content")?,
            _ => f.write_str("DeleteObject succeeds (204 No Content)")?,
        }
        f.write_str(".")
    }

    /// A1 (no Origin), A3 (no configuration), A4 (a method outside S3's five), in S3's order.
    fn admit_preflight(
        &self,
        origin: Option<String>,
        method: Option<String>,
        configured: bool,
    ) -> Result<(String, String), Decision> {
        let origin = origin.ok_or(Decision::NotCors)?;
        if !configured {
            return Err(Decision::NoConfiguration);
        }
        match method {
            Some(method) if S3_METHODS.contains(&method.as_str()) => Ok((origin, method)),
            _ => Err(Decision::BadMethod),
        }
    }

    fn refuse_preflight(
        &self,
        why: Decision,
        request: &HttpRequest,
        sequence: usize,
    ) -> HttpResponse {
        let acrm = request.header("Access-Control-Request-Method");
        match why {
            Decision::NotCors => self.error_response(
                400,
                "BadRequest",
                "Insufficient information. Origin request header needed.",
                &[],
                sequence,
            ),
            Decision::NoConfiguration => self.error_response(
                403,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                &[
                    ("Method", acrm.as_deref().unwrap_or("OPTIONS")),
                    ("ResourceType", "BUCKET"),
                ],
                sequence,
            ),
            Decision::BadMethod => self.error_response(
                400,
                "BadRequest",
                &format!(
                    "Invalid Access-Control-Request-Method: {}",
                    acrm.as_deref().unwrap_or("null")
                ),
                &[],
                sequence,
            ),
            Decision::NoRuleMatched | Decision::Matched(_) => {
                let resource = if object_key(&request.url).is_some() {
                    "OBJECT"
                } else {
                    "BUCKET"
                };
                self.error_response(
                    403,
                    "AccessForbidden",
                    NOT_ALLOWED,
                    &[
                        ("Method", acrm.as_deref().unwrap_or_default()),
                        ("ResourceType", resource),
                    ],
                    sequence,
                )
            }
        }
    }

    /// S3 matches an actual request on its Access-Control-Request-Method and -Headers when it
    /// carries them (B4).
    fn actual_match(&self, request: &HttpRequest) -> (String, Option<Vec<String>>) {
        let (method, _) = Self::matched_method(request);
        let headers =
            requested_headers(request.header("Access-Control-Request-Headers").as_deref());
        (method, Some(headers))
    }

    /// C2–C4: origins glob case-sensitively, methods are exact, headers glob case-insensitively.
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
            .any(|o| glob_match(o, origin, false))
        {
            return Some(Mismatch::Origin);
        }
        if !rule.allowed_methods.iter().any(|m| m == method) {
            return Some(Mismatch::Method);
        }
        // Plain names are looked up in a set and only patterns are globbed: a request may ask
        // for thousands of headers of a rule that lists as many.
        let (patterns, names): (Vec<&String>, Vec<&String>) =
            rule.allowed_headers.iter().partition(|a| a.contains('*'));
        let names: foldhash::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        headers
            .unwrap_or_default()
            .iter()
            .find(|header| {
                !names.contains(&header.to_lowercase())
                    && !patterns.iter().any(|a| glob_match(a, header, true))
            })
            .map(|header| Mismatch::Header(header.to_ascii_lowercase()))
    }

    fn allow_preflight(
        &self,
        rule: &CorsRule,
        origin: &str,
        _method: &str,
        request: &HttpRequest,
    ) -> Vec<Header> {
        let acrh = request.header("Access-Control-Request-Headers");
        let requested = requested_headers(acrh.as_deref());
        Self::cors_headers(rule, origin, acrh.is_some().then_some(requested.as_slice()))
    }

    /// B5, B6: the operation keeps its own headers and gains the rule's, minus ACAH.
    fn allow_actual(&self, rule: &CorsRule, origin: &str, _response: &HttpResponse) -> Vec<Header> {
        Self::cors_headers(rule, origin, None)
    }

    fn narrate(&self, note: &Note, seen: Seen, f: &mut fmt::Formatter) -> fmt::Result {
        let request = seen.request;
        let origin = request.header("Origin").unwrap_or_default();
        let trail = |f: &mut fmt::Formatter| {
            write_trail(note, f, |rule, mismatch, f| match mismatch {
                Mismatch::Origin => write!(
                    f,
                    "origin {origin} matches none of AllowedOrigins [{}]",
                    Joined(&rule.allowed_origins, ", ")
                ),
                Mismatch::Method => write!(
                    f,
                    "method {} is not in AllowedMethods [{}]",
                    if note.operation.is_some() {
                        Self::matched_method(request).0
                    } else {
                        request
                            .header("Access-Control-Request-Method")
                            .unwrap_or_default()
                    },
                    Joined(&rule.allowed_methods, ", ")
                ),
                Mismatch::Header(header) if rule.allowed_headers.is_empty() => write!(
                    f,
                    "header {header} was requested but the rule has no AllowedHeaders"
                ),
                Mismatch::Header(header) => write!(
                    f,
                    "header {header} matches none of AllowedHeaders [{}]",
                    Joined(&rule.allowed_headers, ", ")
                ),
            })
        };
        if note.operation.is_none() {
            return match note.decision {
                Decision::NotCors => f.write_str("S3 (A1): an OPTIONS request without Origin is answered 400 BadRequest, with no CORS headers."),
                Decision::NoConfiguration => f.write_str("S3 (A3): the bucket has no CORS configuration, so every preflight gets 403 AccessForbidden \"CORS is not enabled for this bucket.\" with no Access-Control-* headers."),
                Decision::BadMethod => write!(
                    f,
                    "S3 (A4): a preflight's Access-Control-Request-Method must be one of GET, PUT, HEAD, POST, DELETE (case-sensitive); '{}' gets 400 BadRequest.",
                    request
                        .header("Access-Control-Request-Method")
                        .as_deref()
                        .unwrap_or("null")
                ),
                Decision::NoRuleMatched => {
                    f.write_str("S3 (A5): ")?;
                    trail(f)?;
                    f.write_str(" So S3 answers 403 AccessForbidden with no Access-Control-* headers and no Vary.")
                }
                Decision::Matched(_) => {
                    f.write_str("S3 (A6): ")?;
                    trail(f)?;
                    let Some(rule) = note.matched() else {
                        return Ok(());
                    };
                    let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
                    f.write_str(" S3 answers 200 with ")?;
                    f.write_str(if wildcard {
                        "Access-Control-Allow-Origin: * (the rule lists \"*\") and no Access-Control-Allow-Credentials"
                    } else {
                        "the Origin echoed in Access-Control-Allow-Origin, Access-Control-Allow-Credentials: true"
                    })?;
                    f.write_str(", the rule's whole AllowedMethods list")?;
                    if request.header("Access-Control-Request-Headers").is_some() {
                        f.write_str(", the requested header names echoed in lowercase")?;
                    }
                    if !rule.expose_headers.is_empty() {
                        f.write_str(", its ExposeHeaders")?;
                    }
                    if rule.max_age_seconds.is_some() {
                        f.write_str(", its MaxAgeSeconds as Access-Control-Max-Age")?;
                    }
                    f.write_str(".")
                }
            };
        }
        write_operation(self, note.operation, seen, f)?;
        let (method, by_acrm) = Self::matched_method(request);
        let method_note = |f: &mut fmt::Formatter| {
            if by_acrm {
                write!(
                    f,
                    " (S3 (B4) matches the Access-Control-Request-Method {method}, not the real method)"
                )
            } else {
                Ok(())
            }
        };
        match note.decision {
            Decision::NotCors => f.write_str(" S3 (B1): without Origin the request is not cross-origin to S3, so no CORS headers are added."),
            Decision::NoConfiguration | Decision::BadMethod => f.write_str(" S3 (B2): the bucket has no CORS configuration, so the response carries no CORS headers, and S3 does not refuse the request either."),
            Decision::NoRuleMatched => {
                f.write_str(" S3 (B3): ")?;
                trail(f)?;
                method_note(f)?;
                write!(
                    f,
                    " S3 still performs the operation and answers {}; it only leaves out every CORS header (and Vary). Enforcing CORS is the browser's job.",
                    seen.response.status
                )
            }
            Decision::Matched(_) => {
                f.write_str(" S3 (B5): ")?;
                trail(f)?;
                method_note(f)?;
                f.write_str(" The response carries the rule's CORS headers (as on a preflight, minus Access-Control-Allow-Headers).")
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
        crate::server::bucket::answer_with(Provider::S3, config, request, scripted, sequence)
    }
    use crate::server::stack::CannedResponse;

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
        crate::server::bucket::request_to("https://b.s3.amazonaws.com/photo.jpg", method, headers)
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
            headers: crate::http::Headers::new(),
            body: "NoSuchKey".to_string(),
            network_error: None,
        };
        let scripted = crate::server::Scripted {
            response: &missing,
            hop: 0,
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
    use super::S3;

    #[test]
    fn request_values_in_an_error_body_are_escaped() {
        let answer = S3.error_response(
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
