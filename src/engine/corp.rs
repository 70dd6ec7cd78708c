//! `Cross-Origin-Resource-Policy` (Fetch §"cross-origin resource policy check"): a server's
//! answer may forbid no-cors loads from other origins (`same-origin`) or other sites
//! (`same-site`), and a page's `Cross-Origin-Embedder-Policy: require-corp` takes a missing
//! policy as `same-origin`. It is not CORS: it applies to an `<img>` or `<script>` without
//! `crossorigin` and to a no-cors fetch(), never to a CORS request (with or without the embedder
//! policy), and no CORS header lifts it. Observed in Chromium 156
//! (`tests/fixtures/chromium/cross-origin-resource-policy.observed.json`,
//! `cross-origin-embedder-policy.observed.json`).

use crate::http::HttpResponse;
use crate::http::syntax::{origin_of, site_of};
use crate::scenario::{BrowserProfile, EmbedderPolicy};

/// The policy that refused an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CorpPolicy {
    SameOrigin,
    SameSite,
    /// None (or none Fetch knows), which the page's `Cross-Origin-Embedder-Policy:
    /// require-corp` takes to be `same-origin`.
    SameOriginByCoep,
}

/// Firefox's name for a load an answer's `Cross-Origin-Resource-Policy` refused (observed in
/// Firefox 153 over WebDriver BiDi; its HAR export records no error at all).
pub const FIREFOX_CORP_FAILED: &str = "NS_ERROR_DOM_CORP_FAILED";

impl CorpPolicy {
    /// The header's value.
    pub fn value(self) -> &'static str {
        match self {
            CorpPolicy::SameOrigin | CorpPolicy::SameOriginByCoep => "same-origin",
            CorpPolicy::SameSite => "same-site",
        }
    }

    /// The policy behind DevTools' network error `error`, if it is one of theirs.
    pub fn of_network_error(error: &str) -> Option<CorpPolicy> {
        [
            CorpPolicy::SameOrigin,
            CorpPolicy::SameSite,
            CorpPolicy::SameOriginByCoep,
        ]
        .into_iter()
        .find(|policy| policy.network_error() == error)
    }

    /// DevTools' network error for a load it refused.
    pub fn network_error(self) -> &'static str {
        match self {
            CorpPolicy::SameOrigin => "net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin",
            CorpPolicy::SameSite => "net::ERR_BLOCKED_BY_RESPONSE.NotSameSite",
            CorpPolicy::SameOriginByCoep => {
                "net::ERR_BLOCKED_BY_RESPONSE.NotSameOriginAfterDefaultedToSameOriginByCoep"
            }
        }
    }
}

/// The policy that refuses `response`, at `url`, to a no-cors load from the page at `page`,
/// whose `Cross-Origin-Embedder-Policy` is `coep`; `None` when it may have it. Only an exact
/// lowercase `same-origin`, `same-site` or `cross-origin` counts: any other value
/// (`Same-Origin`, a list, two header lines) is ignored, as Chromium 156 did, and under
/// `require-corp` an answer without one counts as `same-origin` (observed in Chromium 156,
/// `tests/fixtures/chromium/cross-origin-embedder-policy.observed.json`).
pub fn refuses(
    page: &str,
    url: &url::Url,
    response: &HttpResponse,
    (profile, coep): (BrowserProfile, EmbedderPolicy),
) -> Option<CorpPolicy> {
    let header = crate::http::combined_header(&response.headers, "Cross-Origin-Resource-Policy");
    let policy = match header.as_deref().map(str::trim) {
        Some("same-origin") => CorpPolicy::SameOrigin,
        Some("same-site") => CorpPolicy::SameSite,
        Some("cross-origin") => return None,
        _ if coep == EmbedderPolicy::RequireCorp => CorpPolicy::SameOriginByCoep,
        _ => return None,
    };
    let same_origin = origin_of(url).as_deref() == Some(page);
    let allowed = match policy {
        CorpPolicy::SameOrigin | CorpPolicy::SameOriginByCoep => same_origin,
        CorpPolicy::SameSite => same_origin || same_site(page, url, profile),
    };
    (!allowed).then_some(policy)
}

/// Fetch's same-site test for CORP: the same registrable domain, and no step down from an
/// https: page to an http: answer. Chromium 156 refused a `same-site` answer from
/// `http://127.0.0.1:41321` to a page at `http://127.0.0.1:41320`: an address is taken to be
/// same-site only with its own origin there (observed; names on one registrable domain passed).
fn same_site(page: &str, url: &url::Url, profile: BrowserProfile) -> bool {
    let Ok(page_url) = url::Url::parse(page) else {
        return false;
    };
    let address = |u: &url::Url| matches!(u.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    if profile == BrowserProfile::Chromium && (address(&page_url) || address(url)) {
        return false;
    }
    let (page_scheme, page_site) = site_of(&page_url);
    let (_, target_site) = site_of(url);
    page_site == target_site && !(page_scheme == "https" && url.scheme() != "https")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(page: &str, url: &str, value: &str) -> Option<CorpPolicy> {
        let url = url::Url::parse(url).unwrap_or_else(|e| panic!("{e}"));
        let response = crate::http::test_response(200, &[("Cross-Origin-Resource-Policy", value)]);
        refuses(
            page,
            &url,
            &response,
            (BrowserProfile::Chromium, EmbedderPolicy::UnsafeNone),
        )
    }

    #[test]
    fn same_origin_and_same_site_refuse_what_they_say() {
        let page = "https://app.example.com";
        assert_eq!(
            refused(page, "https://app.example.com/a.png", "same-origin"),
            None
        );
        assert_eq!(
            refused(page, "https://api.example.com/a.png", "same-origin"),
            Some(CorpPolicy::SameOrigin)
        );
        assert_eq!(
            refused(page, "https://api.example.com/a.png", "same-site"),
            None
        );
        assert_eq!(
            refused(page, "https://cdn.other.net/a.png", "same-site"),
            Some(CorpPolicy::SameSite)
        );
        // An https: page does not take an http: answer as same-site.
        assert_eq!(
            refused(page, "http://api.example.com/a.png", "same-site"),
            Some(CorpPolicy::SameSite)
        );
        assert_eq!(
            refused(page, "https://cdn.other.net/a.png", "cross-origin"),
            None
        );
    }

    #[test]
    fn only_an_exact_value_counts() {
        let page = "https://app.example.com";
        for value in ["Same-Origin", "same-origin, cross-origin", "bogus", ""] {
            assert_eq!(
                refused(page, "https://cdn.other.net/a", value),
                None,
                "{value}"
            );
        }
    }

    #[test]
    fn an_address_is_same_site_only_with_its_own_origin_in_chromium() {
        let page = "http://127.0.0.1:41320";
        assert_eq!(
            refused(page, "http://127.0.0.1:41321/a", "same-site"),
            Some(CorpPolicy::SameSite)
        );
        assert_eq!(refused(page, "http://127.0.0.1:41320/a", "same-site"), None);
        let url = url::Url::parse("http://127.0.0.1:41321/a").unwrap_or_else(|e| panic!("{e}"));
        let response =
            crate::http::test_response(200, &[("Cross-Origin-Resource-Policy", "same-site")]);
        assert_eq!(
            refuses(
                page,
                &url,
                &response,
                (BrowserProfile::Standard, EmbedderPolicy::UnsafeNone)
            ),
            None
        );
    }

    #[test]
    fn require_corp_takes_a_missing_policy_as_same_origin() {
        let page = "https://editor.example";
        let url =
            url::Url::parse("https://media.example.net/a.png").unwrap_or_else(|e| panic!("{e}"));
        let isolated = (BrowserProfile::Chromium, EmbedderPolicy::RequireCorp);
        let bare = crate::http::test_response(200, &[]);
        assert_eq!(
            refuses(page, &url, &bare, isolated),
            Some(CorpPolicy::SameOriginByCoep)
        );
        let odd =
            crate::http::test_response(200, &[("Cross-Origin-Resource-Policy", "Cross-Origin")]);
        assert_eq!(
            refuses(page, &url, &odd, isolated),
            Some(CorpPolicy::SameOriginByCoep)
        );
        let open =
            crate::http::test_response(200, &[("Cross-Origin-Resource-Policy", "cross-origin")]);
        assert_eq!(refuses(page, &url, &open, isolated), None);
        let credentialless = (BrowserProfile::Chromium, EmbedderPolicy::Credentialless);
        assert_eq!(refuses(page, &url, &bare, credentialless), None);
        let own = url::Url::parse("https://editor.example/a.png").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(refuses(page, &own, &bare, isolated), None);
    }
}
