//! HTTP messages as the trace records them.

use serde::{Deserialize, Serialize};

use super::{Headers, Text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Shared: every exchange of a request, and a request sent again, hold one copy.
    pub method: Text,
    pub url: Text,
    pub headers: Headers,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: String,
}

/// All values of header `name` (case-insensitive), combined with `", "` as a browser combines
/// repeated header lines; `None` when absent.
pub fn combined_header(headers: &Headers, name: &str) -> Option<String> {
    let mut values = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| &**v);
    let first = values.next()?;
    let mut combined = first.to_string();
    for value in values {
        combined.push_str(", ");
        combined.push_str(value);
    }
    Some(combined)
}

/// The body of an answer the simulation describes rather than holds (an object in a bucket):
/// "(2048 bytes of image/png)".
pub fn describe_body(length: usize, content_type: &str) -> String {
    format!("({length} bytes of {content_type})")
}

/// The type a body made by [`describe_body`] stands for; `None` for a body held as it is.
pub fn described_body(body: &str) -> Option<&str> {
    let inner = body.strip_prefix('(')?.strip_suffix(')')?;
    let (length, content_type) = inner.split_once(" bytes of ")?;
    (!length.is_empty() && length.bytes().all(|b| b.is_ascii_digit()) && !content_type.is_empty())
        .then_some(content_type)
}

/// Which exchange of a hop: the preflight, or the request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeKind {
    Preflight,
    Actual,
}

impl ExchangeKind {
    /// The name `--json` writes (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            ExchangeKind::Preflight => "preflight",
            ExchangeKind::Actual => "actual",
        }
    }
}

/// An answer with `status` and `headers` and no body, for unit tests.
#[cfg(test)]
pub fn test_response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect(),
        body: String::new(),
    }
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<String> {
        combined_header(&self.headers, name)
    }

    /// `GET /photo.jpg HTTP/1.1`
    pub fn request_line(&self) -> String {
        let target = url::Url::parse(&self.url)
            .map(|u| super::syntax::path_and_query(&u))
            .unwrap_or_else(|_| self.url.to_string());
        format!("{} {target} HTTP/1.1", self.method)
    }
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        combined_header(&self.headers, name)
    }

    /// Where a redirect leads: its `Location`, when the status is one fetch follows (301, 302,
    /// 303, 307, 308). Without a Location a redirect status is a final answer.
    pub fn redirect_location(&self) -> Option<String> {
        if matches!(self.status, 301 | 302 | 303 | 307 | 308) {
            self.header("Location")
        } else {
            None
        }
    }

    /// `HTTP/1.1 403 Forbidden`
    pub fn status_line(&self) -> String {
        format!("HTTP/1.1 {} {}", self.status, reason_phrase(self.status))
    }
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Whether a header name belongs to the CORS protocol (what the table's "CORS headers" shows).
pub fn is_cors_header(name: &str) -> bool {
    const PREFIX: &[u8] = b"access-control-";
    name.eq_ignore_ascii_case("origin")
        || name
            .as_bytes()
            .get(..PREFIX.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(PREFIX))
}

/// The short names the execution table uses for CORS headers (full names everywhere else).
pub const ABBREVIATIONS: [(&str, &str); 8] = [
    ("ACAO", "Access-Control-Allow-Origin"),
    ("ACAC", "Access-Control-Allow-Credentials"),
    ("ACAM", "Access-Control-Allow-Methods"),
    ("ACAH", "Access-Control-Allow-Headers"),
    ("ACEH", "Access-Control-Expose-Headers"),
    ("ACMA", "Access-Control-Max-Age"),
    ("ACRM", "Access-Control-Request-Method"),
    ("ACRH", "Access-Control-Request-Headers"),
];

/// `ACAO` for `Access-Control-Allow-Origin`; other names unchanged.
pub fn abbreviate_header(name: &str) -> &str {
    ABBREVIATIONS
        .iter()
        .find(|(_, full)| full.eq_ignore_ascii_case(name))
        .map_or(name, |(short, _)| short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_headers_are_origin_and_the_access_control_family_in_any_case() {
        for name in [
            "Origin",
            "ORIGIN",
            "Access-Control-Allow-Origin",
            "access-control-x",
        ] {
            assert!(is_cors_header(name), "{name}");
        }
        for name in [
            "Originator",
            "Access-Control",
            "access-controls-x",
            "Vary",
            "Ä",
            "",
        ] {
            assert!(!is_cors_header(name), "{name}");
        }
    }

    #[test]
    fn repeated_header_lines_combine_with_comma_space() {
        let headers: super::Headers = vec![
            ("Access-Control-Allow-Origin".into(), "https://a".into()),
            ("access-control-allow-origin".into(), "https://b".into()),
        ]
        .into();
        assert_eq!(
            combined_header(&headers, "ACCESS-CONTROL-ALLOW-ORIGIN").as_deref(),
            Some("https://a, https://b")
        );
        assert_eq!(combined_header(&headers, "vary"), None);
    }

    #[test]
    fn request_line_uses_path_and_query() {
        let request = HttpRequest {
            method: "GET".into(),
            url: "https://b.s3.amazonaws.com/k.txt?versionId=1".into(),
            headers: Headers::new(),
        };
        assert_eq!(request.request_line(), "GET /k.txt?versionId=1 HTTP/1.1");
    }
}
