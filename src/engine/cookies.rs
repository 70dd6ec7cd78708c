//! The browser's cookie jar: which cookies a request carries, and why the others stay home.
//!
//! Storage and sending follow RFC 6265bis as Chromium ships it, checked in headless Chromium
//! 148 (`tests/fixtures/chromium/cookies.observed.json`): a `SameSite=None` cookie without `Secure` is
//! never stored; a cookie without `SameSite` is treated as `Lax`; a request to another *site*
//! (scheme and registrable domain, so `app.example.com` and `api.example.com` are the same
//! site) carries only `SameSite=None` cookies, and none at all when third-party cookies are
//! blocked. The credentials mode decides first: `omit` sends none, `same-origin` none to
//! another origin. Ports never matter to cookies.

use url::Url;

use crate::http::syntax::site_of;
use crate::scenario::{Cookies, Credentials, ThirdPartyCookies};

/// A cookie's `SameSite` attribute as it was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
    /// No attribute: Chromium treats it as `Lax`.
    Unspecified,
}

/// A cookie the browser holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCookie {
    pub name: String,
    pub value: String,
    /// The host it was set for, or the `Domain` it covers (without a leading dot).
    pub domain: String,
    /// Only for exactly `domain` (no `Domain` attribute).
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub same_site: SameSite,
    /// `Partitioned` (CHIPS): kept under the site it was set on, sent only from there.
    pub partition: Option<(String, String)>,
}

/// Why the browser never stored a cookie a site set (Chromium's `ExcludeSameSiteNoneInsecure`
/// and its kin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `SameSite=None` without `Secure`.
    SameSiteNoneInsecure,
    /// `Secure` set over plain http (not localhost).
    SecureOverHttp,
    /// A `Domain` that is not the setting host or one of its parents.
    DomainMismatch,
    /// A `Domain` that is a public suffix (`s3.amazonaws.com`, `cloudfront.net`): every
    /// customer's subdomain would get it.
    PublicSuffixDomain,
    /// Not a `Set-Cookie` line at all.
    Unparsable,
    /// `SameSite=Lax` or `Strict` (or none, taken as `Lax`) on an answer to a request from
    /// another site: only a `SameSite=None` cookie may be set there.
    SameSiteFromAnotherSite,
    /// Set by an answer to a request from another site while the browser blocks third-party
    /// cookies (a `Partitioned` one is kept, under the page's site).
    ThirdPartyBlocked,
}

/// What became of a `Set-Cookie` line on an answer the browser received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetByAnswer {
    /// Stored (a `Partitioned` cookie, under the page's site).
    Stored { name: String, partitioned: bool },
    /// Not stored, and why.
    Refused { name: String, reason: Refusal },
    /// Not looked at: the request did not include credentials (`omit`, or `same-origin` to
    /// another origin), so its answer's cookies are ignored.
    Ignored { name: String },
}

/// A cookie the browser refused to store, named for the host it was meant for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedCookie {
    pub name: String,
    pub host: String,
    pub reason: Refusal,
}

/// Why a stored cookie that matches the request's host and path stayed home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exclusion {
    /// `credentials: 'omit'`.
    CredentialsOmit,
    /// `credentials: 'same-origin'` (fetch's default) and the request goes to another origin.
    CredentialsSameOrigin,
    /// `Secure`, and the request is plain http.
    SecureOnly,
    SameSiteStrict,
    SameSiteLax,
    /// No `SameSite`, treated as `Lax`.
    SameSiteUnspecifiedTreatedAsLax,
    /// The browser blocks third-party cookies, and the request goes to another site.
    ThirdPartyBlocked,
    /// `Partitioned`, and set under another top-level site.
    OtherPartition,
}

/// What the browser did with its cookies for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieDecision {
    /// Name and value of each cookie sent, in the `Cookie` header's order.
    pub sent: Vec<(String, String)>,
    pub withheld: Vec<(String, Exclusion)>,
    /// Cookies set for this host that the browser never stored.
    pub refused: Vec<(String, Refusal)>,
    /// The request went to another site than the page's.
    pub cross_site: bool,
    /// What became of each `Set-Cookie` line on the answer.
    pub set_by_answer: Vec<SetByAnswer>,
}

impl CookieDecision {
    /// The `Cookie` header's value, when a cookie is sent.
    pub fn header(&self) -> Option<String> {
        (!self.sent.is_empty()).then(|| {
            self.sent
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
    refused: Vec<RefusedCookie>,
    third_party_blocked: bool,
}

impl CookieJar {
    /// The jar after each site set its cookies, in order (a later cookie of the same name,
    /// domain and path replaces the earlier one).
    pub fn new(cookies: &Cookies) -> Self {
        let mut jar = CookieJar {
            third_party_blocked: cookies.third_party == ThirdPartyCookies::Blocked,
            ..CookieJar::default()
        };
        for set in &cookies.jar {
            match store(&set.set_by, &set.line) {
                Ok(cookie) => {
                    jar.cookies.retain(|c| {
                        !(c.name == cookie.name
                            && c.domain == cookie.domain
                            && c.path == cookie.path)
                    });
                    jar.cookies.push(cookie);
                }
                Err(refused) => jar.refused.push(refused),
            }
        }
        jar
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty() && self.refused.is_empty()
    }

    /// Notes a cookie the browser never stored, once however often it was set.
    fn refuse(&mut self, refused: RefusedCookie) {
        if !self.refused.contains(&refused) {
            self.refused.push(refused);
        }
    }

    /// Takes the `Set-Cookie` `lines` of an answer from `url` to a request with `credentials`
    /// from a page at `page`, as Chromium 156 does (`tests/fixtures/chromium/lab/
    /// cookies-set-by-answers.json`): only a request that includes credentials stores them,
    /// before and whatever the CORS check decides; from another site only a `SameSite=None;
    /// Secure` cookie, and none but a `Partitioned` one while third-party cookies are blocked.
    pub fn set_by_answer<'a>(
        &mut self,
        (page, url): (Option<&Url>, &Url),
        credentials: Credentials,
        lines: impl Iterator<Item = &'a str>,
    ) -> Vec<SetByAnswer> {
        let page_site = page.map(site_of);
        let cross_site = page_site.as_ref() != Some(&site_of(url));
        let same_origin = page.is_some_and(|p| p.origin() == url.origin());
        let included = credentials == Credentials::Include
            || (credentials == Credentials::SameOrigin && same_origin);
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        lines
            .map(|line| {
                let name = line
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                if !included {
                    return SetByAnswer::Ignored { name };
                }
                let mut cookie = match store(url, line) {
                    Ok(cookie) => cookie,
                    Err(refused) => {
                        self.refuse(refused.clone());
                        return SetByAnswer::Refused {
                            name: refused.name,
                            reason: refused.reason,
                        };
                    }
                };
                let partitioned = cookie.partition.is_some();
                let reason = if cross_site && self.third_party_blocked && !partitioned {
                    Some(Refusal::ThirdPartyBlocked)
                } else if cross_site && cookie.same_site != SameSite::None {
                    Some(Refusal::SameSiteFromAnotherSite)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.refuse(RefusedCookie {
                        name: cookie.name.clone(),
                        host: host.clone(),
                        reason,
                    });
                    return SetByAnswer::Refused {
                        name: cookie.name,
                        reason,
                    };
                }
                // A partitioned cookie is kept under the site of the page that fetched it.
                if partitioned {
                    cookie.partition.clone_from(&page_site);
                }
                let name = cookie.name.clone();
                // A cookie of that name stored now is no longer one the host never got.
                self.refused.retain(|r| !(r.name == name && r.host == host));
                self.cookies.retain(|c| {
                    !(c.name == cookie.name
                        && c.domain == cookie.domain
                        && c.path == cookie.path
                        && c.partition == cookie.partition)
                });
                self.cookies.push(cookie);
                SetByAnswer::Stored { name, partitioned }
            })
            .collect()
    }

    /// Which cookies go with a request to `url` from a page at `page` (its origin; `None`
    /// for an opaque origin), and why each other one for that host and path stays home.
    /// `None` when the jar holds nothing for the URL.
    pub fn decide(
        &self,
        page: Option<&Url>,
        url: &Url,
        credentials: Credentials,
    ) -> Option<CookieDecision> {
        let host = url.host_str()?.to_ascii_lowercase();
        let page_site = page.map(site_of);
        let cross_site = page_site.as_ref() != Some(&site_of(url));
        let same_origin = page.is_some_and(|p| p.origin() == url.origin());
        let mut decision = CookieDecision {
            cross_site,
            refused: self
                .refused
                .iter()
                .filter(|r| r.host == host)
                .map(|r| (r.name.clone(), r.reason))
                .collect(),
            ..CookieDecision::default()
        };
        for cookie in self
            .cookies
            .iter()
            .filter(|c| domain_matches(c, &host) && path_matches(&c.path, url.path()))
        {
            let exclusion = if credentials == Credentials::Omit {
                Some(Exclusion::CredentialsOmit)
            } else if credentials == Credentials::SameOrigin && !same_origin {
                Some(Exclusion::CredentialsSameOrigin)
            } else if cookie.secure && !is_secure(url) {
                Some(Exclusion::SecureOnly)
            } else if cookie
                .partition
                .as_ref()
                .is_some_and(|site| page_site.as_ref() != Some(site))
            {
                Some(Exclusion::OtherPartition)
            } else if cross_site && cookie.partition.is_none() {
                if self.third_party_blocked {
                    Some(Exclusion::ThirdPartyBlocked)
                } else {
                    match cookie.same_site {
                        SameSite::None => None,
                        SameSite::Lax => Some(Exclusion::SameSiteLax),
                        SameSite::Strict => Some(Exclusion::SameSiteStrict),
                        SameSite::Unspecified => Some(Exclusion::SameSiteUnspecifiedTreatedAsLax),
                    }
                }
            } else {
                None
            };
            match exclusion {
                Some(why) => decision.withheld.push((cookie.name.clone(), why)),
                None => decision
                    .sent
                    .push((cookie.name.clone(), cookie.value.clone())),
            }
        }
        let nothing =
            decision.sent.is_empty() && decision.withheld.is_empty() && decision.refused.is_empty();
        (!nothing).then_some(decision)
    }
}

/// The cookie `line` makes when `set_by` answers with it, or why the browser refuses it.
fn store(set_by: &Url, line: &str) -> Result<StoredCookie, RefusedCookie> {
    let host = set_by.host_str().unwrap_or_default().to_ascii_lowercase();
    let parsed = cookie::Cookie::parse(line).map_err(|_| RefusedCookie {
        name: line
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        host: host.clone(),
        reason: Refusal::Unparsable,
    })?;
    let refuse = |reason| RefusedCookie {
        name: parsed.name().to_string(),
        host: host.clone(),
        reason,
    };
    let secure = parsed.secure().unwrap_or(false);
    let same_site = match parsed.same_site() {
        Some(cookie::SameSite::Strict) => SameSite::Strict,
        Some(cookie::SameSite::Lax) => SameSite::Lax,
        Some(cookie::SameSite::None) => SameSite::None,
        None => SameSite::Unspecified,
    };
    if secure && !is_secure(set_by) {
        return Err(refuse(Refusal::SecureOverHttp));
    }
    if same_site == SameSite::None && !secure {
        return Err(refuse(Refusal::SameSiteNoneInsecure));
    }
    let (domain, host_only) = match parsed.domain() {
        Some(domain) => {
            let domain = domain.trim_start_matches('.').to_ascii_lowercase();
            if host != domain && !host.ends_with(&format!(".{domain}")) {
                return Err(refuse(Refusal::DomainMismatch));
            }
            if psl::suffix_str(&domain) == Some(domain.as_str()) {
                // A public suffix is allowed only as the host itself, and then host-only.
                if domain != host {
                    return Err(refuse(Refusal::PublicSuffixDomain));
                }
                (domain, true)
            } else {
                (domain, false)
            }
        }
        None => (host.clone(), true),
    };
    let path = match parsed.path() {
        Some(path) if path.starts_with('/') => path.to_string(),
        _ => default_path(set_by.path()),
    };
    let partition = parsed
        .partitioned()
        .unwrap_or(false)
        .then(|| site_of(set_by));
    Ok(StoredCookie {
        name: parsed.name().to_string(),
        value: parsed.value().to_string(),
        domain,
        host_only,
        path,
        secure,
        same_site,
        partition,
    })
}

/// RFC 6265 §5.1.4: the directory of the setting URL's path.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(at) => path[..at].to_string(),
    }
}

fn domain_matches(cookie: &StoredCookie, host: &str) -> bool {
    host == cookie.domain || (!cookie.host_only && host.ends_with(&format!(".{}", cookie.domain)))
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// https, or a loopback host, which Chromium treats as secure for cookies (observed: a
/// `Secure` cookie set by `http://localhost` is stored and sent back).
fn is_secure(url: &Url) -> bool {
    url.scheme() == "https" || matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SetCookie;

    fn url(s: &str) -> Url {
        match Url::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn jar(lines: &[(&str, &str)], third_party: ThirdPartyCookies) -> CookieJar {
        CookieJar::new(&Cookies {
            jar: lines
                .iter()
                .map(|(by, line)| SetCookie {
                    set_by: url(by),
                    line: line.to_string(),
                })
                .collect(),
            third_party,
        })
    }

    fn sent(d: &Option<CookieDecision>) -> Vec<&str> {
        d.iter()
            .flat_map(|d| d.sent.iter().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// The six cookies of the Chromium 148 check, set by the API's own page.
    fn six(third_party: ThirdPartyCookies) -> CookieJar {
        let by = "https://api.other.example/set";
        jar(
            &[
                (by, "none_secure=1; SameSite=None; Secure; Path=/"),
                (by, "none_insecure=1; SameSite=None; Path=/"),
                (by, "lax=1; SameSite=Lax; Path=/"),
                (by, "strict=1; SameSite=Strict; Path=/"),
                (by, "unspecified=1; Path=/"),
                (by, "secure_lax=1; Secure; SameSite=Lax; Path=/"),
            ],
            third_party,
        )
    }

    #[test]
    fn another_site_gets_only_samesite_none_and_none_at_all_when_third_party_is_blocked() {
        let page = url("https://app.example");
        let api = url("https://api.other.example/echo");
        let allowed = six(ThirdPartyCookies::Allowed);
        let d = allowed.decide(Some(&page), &api, Credentials::Include);
        assert_eq!(sent(&d), ["none_secure"]);
        let Some(d) = d else { panic!("a decision") };
        assert!(d.cross_site);
        assert_eq!(
            d.refused,
            [("none_insecure".to_string(), Refusal::SameSiteNoneInsecure)]
        );
        assert!(d.withheld.contains(&(
            "unspecified".to_string(),
            Exclusion::SameSiteUnspecifiedTreatedAsLax
        )));
        assert!(
            d.withheld
                .contains(&("strict".to_string(), Exclusion::SameSiteStrict))
        );
        let blocked = six(ThirdPartyCookies::Blocked);
        assert!(sent(&blocked.decide(Some(&page), &api, Credentials::Include)).is_empty());
    }

    #[test]
    fn the_same_site_on_another_origin_gets_every_cookie_with_include_and_none_without() {
        let by = "https://api.app.example/set";
        let jar = jar(
            &[
                (by, "lax=1; SameSite=Lax"),
                (by, "strict=1; SameSite=Strict"),
            ],
            ThirdPartyCookies::Blocked,
        );
        let page = url("https://app.example");
        let api = url("https://api.app.example/echo");
        assert_eq!(
            sent(&jar.decide(Some(&page), &api, Credentials::Include)),
            ["lax", "strict"]
        );
        let d = jar.decide(Some(&page), &api, Credentials::SameOrigin);
        assert!(sent(&d).is_empty());
        assert!(d.is_some_and(|d| {
            d.withheld
                .iter()
                .all(|(_, why)| *why == Exclusion::CredentialsSameOrigin)
        }));
        assert!(sent(&jar.decide(Some(&page), &api, Credentials::Omit)).is_empty());
    }

    #[test]
    fn a_public_suffix_domain_is_refused_and_ports_do_not_matter() {
        let jar = jar(
            &[
                (
                    "https://my-bucket.s3.amazonaws.com/",
                    "a=1; Domain=s3.amazonaws.com",
                ),
                ("https://shop.example:8443/", "b=1"),
                ("https://shop.example/", "c=1; Domain=other.example"),
            ],
            ThirdPartyCookies::Allowed,
        );
        let page = url("https://shop.example:9000");
        let d = jar.decide(
            Some(&page),
            &url("https://shop.example/x"),
            Credentials::Include,
        );
        assert_eq!(sent(&d), ["b"]);
        assert_eq!(
            d.map(|d| d.refused),
            Some(vec![("c".to_string(), Refusal::DomainMismatch)])
        );
        let bucket = jar.decide(
            Some(&page),
            &url("https://my-bucket.s3.amazonaws.com/k"),
            Credentials::Include,
        );
        assert_eq!(
            bucket.map(|d| d.refused),
            Some(vec![("a".to_string(), Refusal::PublicSuffixDomain)])
        );
    }

    #[test]
    fn paths_secure_and_partitions_are_kept() {
        let jar = jar(
            &[
                (
                    "https://api.example/account/login",
                    "a=1; SameSite=None; Secure",
                ),
                ("https://api.example/", "b=1; Path=/admin"),
                (
                    "https://api.example/",
                    "c=1; SameSite=None; Secure; Partitioned",
                ),
            ],
            ThirdPartyCookies::Allowed,
        );
        let own = url("https://api.example");
        assert_eq!(
            sent(&jar.decide(
                Some(&own),
                &url("https://api.example/account/x"),
                Credentials::Include
            )),
            ["a", "c"]
        );
        assert_eq!(
            sent(&jar.decide(
                Some(&own),
                &url("https://api.example/administrator"),
                Credentials::Include
            )),
            ["c"],
            "/admin does not path-match /administrator"
        );
        let other = url("https://shop.example");
        let d = jar.decide(
            Some(&other),
            &url("https://api.example/account/x"),
            Credentials::Include,
        );
        assert_eq!(sent(&d), ["a"]);
        assert!(d.is_some_and(|d| {
            d.withheld
                .contains(&("c".to_string(), Exclusion::OtherPartition))
        }));
        let http = jar.decide(
            Some(&own),
            &url("http://api.example/account/x"),
            Credentials::Include,
        );
        assert!(http.is_some_and(|d| {
            d.withheld
                .contains(&("a".to_string(), Exclusion::SecureOnly))
        }));
    }

    #[test]
    fn an_opaque_origin_is_another_site_and_a_later_cookie_replaces_an_earlier_one() {
        let by = "https://api.example/";
        let jar = jar(
            &[
                (by, "s=old; SameSite=None; Secure"),
                (by, "s=new; SameSite=None; Secure"),
            ],
            ThirdPartyCookies::Allowed,
        );
        let d = jar.decide(None, &url("https://api.example/"), Credentials::Include);
        assert_eq!(
            d.as_ref().and_then(CookieDecision::header).as_deref(),
            Some("s=new")
        );
        assert!(d.is_some_and(|d| d.cross_site));
        assert!(
            jar.decide(
                None,
                &url("https://elsewhere.example/"),
                Credentials::Include
            )
            .is_none()
        );
    }

    /// Chromium 156 (`tests/fixtures/chromium/lab/cookies-set-by-answers*.json`): an answer to a
    /// request with credentials stores its cookies; from another site only `SameSite=None;
    /// Secure` ones, and only a `Partitioned` one while third-party cookies are blocked.
    #[test]
    fn answers_set_cookies_only_where_chromium_keeps_them() {
        let page = url("https://app.example");
        let api = url("https://api.example/login");
        let names = |set: &[SetByAnswer]| -> Vec<String> {
            set.iter()
                .map(|s| match s {
                    SetByAnswer::Stored { name, .. } => format!("{name} stored"),
                    SetByAnswer::Refused { name, reason } => format!("{name} {reason:?}"),
                    SetByAnswer::Ignored { name } => format!("{name} ignored"),
                })
                .collect()
        };
        let lines = [
            "a=1; SameSite=None; Secure",
            "b=1",
            "c=1; SameSite=None",
            "d=1; SameSite=None; Secure; Partitioned",
        ];
        let mut open = jar(&[], ThirdPartyCookies::Allowed);
        let set = open.set_by_answer(
            (Some(&page), &api),
            Credentials::Include,
            lines.iter().copied(),
        );
        assert_eq!(
            names(&set),
            [
                "a stored",
                "b SameSiteFromAnotherSite",
                "c SameSiteNoneInsecure",
                "d stored"
            ]
        );
        let back = open.decide(Some(&page), &api, Credentials::Include);
        assert_eq!(sent(&back), ["a", "d"]);
        let elsewhere = url("https://other.example");
        let there = open.decide(Some(&elsewhere), &api, Credentials::Include);
        assert_eq!(
            sent(&there),
            ["a"],
            "the partitioned cookie stays with its page's site"
        );

        let mut blocked = jar(&[], ThirdPartyCookies::Blocked);
        let set = blocked.set_by_answer(
            (Some(&page), &api),
            Credentials::Include,
            lines.iter().copied(),
        );
        assert_eq!(names(&set)[0], "a ThirdPartyBlocked");
        assert_eq!(names(&set)[3], "d stored");

        let mut same_origin = jar(&[], ThirdPartyCookies::Allowed);
        let set = same_origin.set_by_answer(
            (Some(&page), &api),
            Credentials::SameOrigin,
            lines.iter().copied(),
        );
        assert!(set.iter().all(|s| matches!(s, SetByAnswer::Ignored { .. })));

        // On the page's own site, a cookie without SameSite is kept.
        let shop = url("https://www.shop.example");
        let mut site = jar(&[], ThirdPartyCookies::Blocked);
        let set = site.set_by_answer(
            (Some(&shop), &url("https://api.shop.example/login")),
            Credentials::Include,
            ["h=1", "i=1; SameSite=Strict"].into_iter(),
        );
        assert_eq!(names(&set), ["h stored", "i stored"]);

        // A cookie refused once and set again as SameSite=None; Secure is no longer refused.
        let again = open.set_by_answer(
            (Some(&page), &api),
            Credentials::Include,
            ["b=2; SameSite=None; Secure"].into_iter(),
        );
        assert_eq!(names(&again), ["b stored"]);
        let back = open.decide(Some(&page), &api, Credentials::Include);
        assert!(back.is_some_and(|d| d.refused.iter().all(|(name, _)| name != "b")));
    }
}
