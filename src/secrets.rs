//! Secrets in what a browser recorded or a live server answered — cookies, credentials,
//! tokens in URLs and headers — replaced by numbered stand-ins before anything is shown or
//! written, unless the user asks to see them (`--show-secrets`). HARs are shared to ask for
//! help, probe traces to show a colleague, and screens in class.
//!
//! A stand-in is `[masked:N]`: the same value gets the same number throughout one output, so
//! a request can still be matched to its preflight and a cache key still tells two tokens
//! apart, yet nothing of the value is in it (a hash of a short code could be brute-forced).
//! Names are matched by pattern, not by a list of known names: `client_secret`,
//! `X-Goog-Signature` and `x-acme-api-key` are all secrets.

use crate::scenario::Header;
use std::collections::HashMap;

use url::Url;

use crate::scenario::{CannedResponse, ResponseOverrides, Scenario};

/// Parts of a query parameter's or header's name that mark its value as a secret.
const SECRET_NAME_PARTS: [&str; 11] = [
    "token",
    "secret",
    "sig",
    "key",
    "auth",
    "pass",
    "session",
    "code",
    "jwt",
    "credential",
    "cookie",
];

/// Names that match a pattern above but never hold a secret.
const NOT_SECRET: [&str; 3] = ["token_type", "code_challenge_method", "keywords"];

/// Whether a query or fragment parameter's value is a secret, by its name.
pub fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !NOT_SECRET.contains(&name.as_str()) && SECRET_NAME_PARTS.iter().any(|p| name.contains(p))
}

/// Whether a header's value is a secret, by its name. The CORS headers never are, though
/// `Access-Control-Allow-Credentials` names credentials: they are what is being debugged.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.starts_with("access-control-") || name.starts_with("sec-") {
        return false;
    }
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "set-cookie2"
    ) || [
        "token",
        "secret",
        "api-key",
        "apikey",
        "password",
        "signature",
        "session",
    ]
    .iter()
    .any(|p| name.contains(p))
        || name.starts_with("x-auth")
        || (name.starts_with("x-") && name.ends_with("-key"))
}

/// Header names whose value is a URL, or holds URLs, that may carry tokens.
const URL_HEADERS: [&str; 5] = ["location", "content-location", "referer", "link", "refresh"];

/// A value the importer put in place of one that was not recorded; not a secret.
const NOT_RECORDED: &str = "(value not recorded)";

/// Gives each distinct secret of one output its number.
#[derive(Default)]
pub struct Masker {
    numbers: HashMap<String, usize>,
}

impl Masker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The stand-in for `value`.
    pub fn mask(&mut self, value: &str) -> String {
        let next = self.numbers.len() + 1;
        let n = *self.numbers.entry(value.to_string()).or_insert(next);
        format!("[masked:{n}]")
    }

    /// `pairs` (a query, or a fragment such as OAuth's `#access_token=…` or a hash route's
    /// `#/cb?access_token=…`) with the values of secret parameters masked, everything else
    /// byte for byte; `None` when nothing is secret.
    fn pairs(&mut self, pairs: &str) -> Option<String> {
        // A hash route keeps its parameters after its own `?`.
        if let Some((route, query)) = pairs.split_once('?') {
            return self.pairs(query).map(|masked| format!("{route}?{masked}"));
        }
        let mut changed = false;
        let masked: Vec<String> = pairs
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() => {
                    let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                        .map(|(k, _)| k.into_owned())
                        .next()
                        .unwrap_or_default();
                    if is_secret_param(&decoded) {
                        changed = true;
                        format!("{name}={}", self.mask(value))
                    } else {
                        pair.to_string()
                    }
                }
                _ => pair.to_string(),
            })
            .collect();
        changed.then(|| masked.join("&"))
    }

    /// A URL as text (absolute, or relative as a `Location` may be) with its password and
    /// secret parameters masked; `None` when nothing is secret.
    pub fn url_text(&mut self, text: &str) -> Option<String> {
        let (head, fragment) = match text.split_once('#') {
            Some((head, fragment)) => (head, Some(fragment)),
            None => (text, None),
        };
        let (before_query, query) = match head.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (head, None),
        };
        let userinfo = self.userinfo(before_query);
        let masked_query = query.and_then(|q| self.pairs(q));
        let masked_fragment = fragment.and_then(|f| self.pairs(f));
        if userinfo.is_none() && masked_query.is_none() && masked_fragment.is_none() {
            return None;
        }
        let mut out = userinfo.unwrap_or_else(|| before_query.to_string());
        if let Some(query) = masked_query.as_deref().or(query) {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = masked_fragment.as_deref().or(fragment) {
            out.push('#');
            out.push_str(fragment);
        }
        Some(out)
    }

    /// `scheme://user:password@host…` with the password masked; `None` without one.
    fn userinfo(&mut self, before_query: &str) -> Option<String> {
        let (scheme, rest) = before_query.split_once("://")?;
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let (userinfo, host) = authority.rsplit_once('@')?;
        let (user, password) = userinfo.split_once(':')?;
        if password.is_empty() {
            return None;
        }
        let masked = self.mask(password);
        Some(format!("{scheme}://{user}:{masked}@{host}{path}"))
    }

    pub fn url(&mut self, url: &mut Url) {
        if let Some(masked) = self
            .url_text(url.as_str())
            .and_then(|m| Url::parse(&m).ok())
        {
            *url = masked;
        }
    }

    /// Free text (an error message, a `Link` header, a title) with every http(s) URL in it
    /// masked; `None` when nothing is secret.
    pub fn text(&mut self, text: &str) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(start) = rest
            .find("http://")
            .into_iter()
            .chain(rest.find("https://"))
            .min()
        {
            out.push_str(&rest[..start]);
            let url_len = rest[start..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ',' | ')')
                })
                .unwrap_or(rest.len() - start);
            let url = &rest[start..start + url_len];
            match self.url_text(url) {
                Some(masked) => {
                    changed = true;
                    out.push_str(&masked);
                }
                None => out.push_str(url),
            }
            rest = &rest[start + url_len..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }

    /// A header list with every secret value masked, and the URLs in URL-bearing headers.
    pub fn headers(&mut self, headers: &mut [Header]) {
        for (name, value) in headers.iter_mut() {
            if is_secret_header(name) {
                if &**value != NOT_RECORDED {
                    *value = self.mask(value).into();
                }
            } else if URL_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
                && let Some(masked) = self.text(value).or_else(|| self.url_text(value))
            {
                *value = masked.into();
            }
        }
    }

    fn response(&mut self, response: &mut CannedResponse) {
        self.headers(&mut response.headers);
    }

    fn responses(&mut self, responses: &mut ResponseOverrides) {
        if let Some(r) = &mut responses.preflight {
            self.response(r);
        }
        if let Some(r) = &mut responses.actual {
            self.response(r);
        }
        for hop in &mut responses.after_redirect {
            self.responses(hop);
        }
    }

    /// Every request's URL, headers and recorded answers, the server's URL and the title and
    /// description, which may quote a URL.
    pub fn scenario(&mut self, scenario: &mut Scenario) {
        for text in [&mut scenario.title, &mut scenario.description] {
            if let Some(masked) = self.text(text) {
                *text = masked;
            }
        }
        self.url(&mut scenario.server.url);
        for request in std::sync::Arc::make_mut(&mut scenario.requests).iter_mut() {
            self.url(&mut request.url);
            self.headers(&mut request.headers);
            self.responses(&mut request.responses);
            if let Some(note) = &mut request.note
                && let Some(masked) = self.text(note)
            {
                *note = masked;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_secrets_share_a_number_and_nothing_of_them_shows() {
        let mut masker = Masker::new();
        assert_eq!(masker.mask("482913"), "[masked:1]");
        assert_eq!(masker.mask("7731"), "[masked:2]");
        assert_eq!(masker.mask("482913"), "[masked:1]");
    }

    #[test]
    fn names_are_matched_by_pattern() {
        for name in [
            "X-Goog-Signature",
            "client_secret",
            "sessionid",
            "jwt",
            "api-key",
            "private_token",
            "auth_token",
            "X-Amz-Credential",
        ] {
            assert!(is_secret_param(name), "{name}");
        }
        for name in ["page", "state", "token_type", "part"] {
            assert!(!is_secret_param(name), "{name}");
        }
        for name in [
            "Authorization",
            "X-Api-Key",
            "X-Amz-Security-Token",
            "x-acme-key",
            "X-Auth-User",
            "Set-Cookie",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "Access-Control-Allow-Credentials",
            "Access-Control-Allow-Headers",
            "Content-Type",
            "Sec-Fetch-Site",
        ] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn urls_lose_passwords_and_tokens_and_keep_the_rest() {
        let mut masker = Masker::new();
        let masked = masker.url_text(
            "https://user:SEC1@api.example.net/d?client_secret=SEC2&X-Goog-Signature=SEC3&page=2",
        );
        assert_eq!(
            masked.as_deref(),
            Some(
                "https://user:[masked:1]@api.example.net/d?client_secret=[masked:2]&X-Goog-Signature=[masked:3]&page=2"
            )
        );
        let route = masker.url_text("https://app.example/#/cb?access_token=SEC5&state=x");
        assert_eq!(
            route.as_deref(),
            Some("https://app.example/#/cb?access_token=[masked:4]&state=x")
        );
        assert_eq!(masker.url_text("/plain?page=2"), None, "nothing secret");
        let mut url = match Url::parse("https://b.example/k?X-Amz-Signature=deadbeef&part=1") {
            Ok(url) => url,
            Err(e) => panic!("{e}"),
        };
        masker.url(&mut url);
        assert_eq!(
            url.as_str(),
            "https://b.example/k?X-Amz-Signature=[masked:5]&part=1"
        );
    }

    #[test]
    fn urls_inside_text_and_link_headers_are_masked() {
        let mut masker = Masker::new();
        let safari = masker.text("Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200 (https://api.example.net/x?token=SEC6)");
        assert!(safari.is_some_and(|t| !t.contains("SEC6") && t.contains("Status code: 200")));
        let mut headers: Vec<Header> = vec![
            (
                "Link".into(),
                "<https://cdn.example/a?sig=SEC7>; rel=preload"
                    .to_string()
                    .into(),
            ),
            ("X-Api-Key".into(), "SEC8".into()),
            ("Accept".into(), "x".into()),
        ];
        masker.headers(&mut headers);
        assert_eq!(
            headers[0].1,
            "<https://cdn.example/a?sig=[masked:2]>; rel=preload".into()
        );
        assert_eq!(headers[1].1, "[masked:3]".into());
        assert_eq!(headers[2].1, "x".into());
    }
}
