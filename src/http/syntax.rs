//! HTTP and Fetch vocabulary shared by the scenario validator and the engine: tokens, header
//! values, method normalization and the names fetch() refuses.

/// Fetch §"CORS-safelisted method": the methods a request may use without a preflight.
pub fn is_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// RFC 9110 `token`: what a method or a header name must be.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Fetch's "header value": no NUL, CR or LF (fetch() throws a TypeError otherwise).
pub fn is_valid_header_value(value: &str) -> bool {
    !value.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n'))
}

/// HTTP tab-or-space and newline bytes that fetch trims from both ends of a header value.
pub fn normalize_header_value(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Fetch §"forbidden method": fetch() throws for these, whatever their case.
pub fn is_forbidden_method(method: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Fetch §"normalize a method": six methods are uppercased, everything else is kept as written
/// (so `patch` stays `patch`).
pub fn normalize_method(method: &str) -> String {
    for known in ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"] {
        if known.eq_ignore_ascii_case(method) {
            return known.to_string();
        }
    }
    method.to_string()
}

/// Fetch §"forbidden request-header": names a page's script cannot set. fetch() drops them
/// silently. `X-HTTP-Method(-Override)`/`X-Method-Override` are forbidden only when their value
/// names a forbidden method.
pub fn is_forbidden_request_header(name: &str, value: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const NAMES: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    if NAMES.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-") {
        return true;
    }
    if matches!(
        lower.as_str(),
        "x-http-method" | "x-http-method-override" | "x-method-override"
    ) {
        return value
            .split(',')
            .any(|m| is_forbidden_method(normalize_header_value(m)));
    }
    false
}

/// The serialization of `url`'s origin, or `None` for an opaque origin.
pub fn origin_of(url: &url::Url) -> Option<String> {
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// What a request asks the server for: the URL's path and, after `?`, its query, whole.
pub fn path_and_query(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// Whether `code` is a network error code as Chromium writes one: `net::ERR_` and then capital
/// letters, digits and underscores (`net::ERR_CONNECTION_REFUSED`).
pub fn is_network_error_code(code: &str) -> bool {
    code.strip_prefix("net::ERR_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// A URL's site: its scheme and registrable domain (from the public suffix list), or its host
/// when it has none (an IP address, `localhost`).
pub fn site_of(url: &url::Url) -> (String, String) {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let registrable = match url.host() {
        Some(url::Host::Domain(_)) => psl::domain_str(&host).map(str::to_string),
        _ => None,
    };
    (url.scheme().to_string(), registrable.unwrap_or(host))
}

#[cfg(test)]
mod tests {
    #[test]
    fn network_error_codes_are_chromium_spelled() {
        assert!(super::is_network_error_code("net::ERR_CONNECTION_REFUSED"));
        assert!(super::is_network_error_code(
            "net::ERR_HTTP2_PROTOCOL_ERROR"
        ));
        for odd in [
            "net::ERR_",
            "net::ERR_FA]LED",
            "net::err_failed",
            "ERR_FAILED",
            "",
        ] {
            assert!(!super::is_network_error_code(odd), "{odd}");
        }
    }

    use super::*;

    #[test]
    fn methods_normalize_as_fetch_says() {
        assert_eq!(normalize_method("post"), "POST");
        assert_eq!(normalize_method("delete"), "DELETE");
        assert_eq!(normalize_method("patch"), "patch");
        assert!(is_forbidden_method("trace"));
        assert!(!is_forbidden_method("PATCH"));
    }

    #[test]
    fn forbidden_headers_include_prefixes_and_method_overrides() {
        assert!(is_forbidden_request_header("Origin", "x"));
        assert!(is_forbidden_request_header("Sec-Fetch-Mode", "cors"));
        assert!(is_forbidden_request_header("Proxy-Authorization", "x"));
        assert!(is_forbidden_request_header(
            "X-HTTP-Method-Override",
            "TRACE"
        ));
        assert!(!is_forbidden_request_header(
            "X-HTTP-Method-Override",
            "PATCH"
        ));
        assert!(!is_forbidden_request_header("Authorization", "Bearer x"));
    }

    #[test]
    fn tokens_and_values() {
        assert!(is_token("x-amz-date"));
        assert!(!is_token("bad name"));
        assert!(!is_token(""));
        assert!(is_valid_header_value("a b"));
        assert!(!is_valid_header_value("a\r\nInjected: 1"));
    }
}
