//! The browser's own HTTP cache, as far as CORS meets it: a GET's answer stored with the
//! request header values its `Vary` names, and reused for a later GET or HEAD of the same URL
//! while fresh, whoever asked first (a HEAD's own answer is not kept: Chromium 156,
//! `tests/fixtures/chromium/lab/cache-answers-a-head-from-a-get.json`). A redirect is kept too,
//! and the next fetch goes straight to where it led. Observed in headless Chromium 148
//! (127.0.0.1, `max-age=3600`):
//! an `<img>` without `crossorigin` stores an answer without Access-Control-Allow-Origin, and
//! a later `fetch()` of the URL is served that copy and blocked, the server seeing one request;
//! with `Vary: Origin` the fetch goes to the server and passes.
//!
//! Entries are kept apart by the page's site, as Chromium partitions its cache by top-frame
//! site. An answer is fresh, in Chromium's order, for its `Cache-Control: max-age`; else until
//! its `Expires`; else, for a 200, 203 or 206, for a tenth of the time since its
//! `Last-Modified` (heuristic freshness, RFC 9111 §4.2.2; observed in Chromium 148: a plain
//! `<img>` of an answer last modified a year ago, then a `fetch()` of it, and the server saw one
//! request); else, for a 300, 301, 308 or 410, for good (observed in Chromium 156: a fixed
//! server is not asked again). Its `Age`, or the time since its `Date`, counts against that.
//! An answer that fails the CORS check is not kept (observed: the same fetch again reaches the
//! server), while a kept copy that fails it stays, and so does a redirect that failed it.
//! A kept answer served again does not store its `Set-Cookie` cookies again (observed in
//! Chromium 156, `tests/fixtures/chromium/cached-answer-sets-no-cookie.observed.json`).
//! Revalidation is not simulated.

use crate::http::{HttpRequest, HttpResponse};
use crate::scenario::{CacheMode, CannedResponse, Scenario, ServerKind};
pub use crate::server::{FreshBy, Stored};

/// The wall-clock time the simulated run starts at, for answers without a `Date`: the age of a
/// `Last-Modified` is counted from it. Thursday 1 January 2026, 00:00:00 UTC.
pub const RUN_STARTS_AT: std::time::Duration = std::time::Duration::from_secs(1_767_225_600);

/// Whether the browser may keep an answer in `scenario`, so that requests of one URL from
/// every origin are linked: a simulated server (a recording's answers already are what the
/// cache served) whose fixed or scripted answers carry `Cache-Control: max-age`, `Expires` or
/// `Last-Modified`, or are a 300, 301, 308 or 410, or a bucket (its answers to GET carry
/// `Last-Modified`) when the page asks for one URL twice.
pub fn answers_may_be_kept(scenario: &Scenario) -> bool {
    let kept = |answer: &CannedResponse| {
        permanent_status(answer.status)
            || answer.headers.iter().any(|(name, value)| {
                (name.eq_ignore_ascii_case("Cache-Control")
                    && value.to_ascii_lowercase().contains("max-age"))
                    || name.eq_ignore_ascii_case("Last-Modified")
                    || name.eq_ignore_ascii_case("Expires")
            })
    };
    match &scenario.server.kind {
        ServerKind::Recorded { .. } => false,
        ServerKind::Static { actual, .. } if kept(actual) => true,
        ServerKind::Bucket { .. } if asks_twice(scenario) => true,
        _ => scenario.requests.iter().any(|r| {
            (0..=r.responses.after_redirect.len())
                .filter_map(|hop| r.responses.at_hop(hop)?.actual.as_ref())
                .any(kept)
        }),
    }
}

/// Whether pages of one site ask for one URL with GET twice: only then can the cache answer.
fn asks_twice(scenario: &Scenario) -> bool {
    let mut seen = foldhash::HashSet::default();
    scenario
        .requests
        .iter()
        .filter(|r| {
            (r.method.eq_ignore_ascii_case("GET") || r.method.eq_ignore_ascii_case("HEAD"))
                && r.via != crate::scenario::Via::Raw
        })
        .any(|r| !seen.insert((partition(r.origin.as_deref()), r.url.as_str())))
}

struct Entry {
    /// The site of the page that asked (scheme and registrable domain).
    partition: Option<(String, String)>,
    url: String,
    response: HttpResponse,
    stored: Stored,
    /// The request's values of the headers `Vary` names ("" when absent).
    varied: Vec<String>,
}

/// The entries stored so far, oldest first; a new answer for a URL and the same varied values
/// replaces the old one.
#[derive(Default)]
pub struct HttpCache {
    entries: Vec<Entry>,
}

/// Whether the browser may serve `status` again: any answer but a partial one (Chromium 156
/// reused 201, 202, 300, 303, 400, 403, 418, 500 and 503 answers with `max-age`, not a 206:
/// `tests/fixtures/chromium/lab/cache-keeps-any-status-with-max-age.json`). A kept redirect
/// sends the next fetch straight to where it led (`cache-keeps-a-redirect-with-max-age.json`).
fn storable_status(status: u16) -> bool {
    status != 206
}

/// The statuses Chromium gives a heuristic freshness from `Last-Modified`
/// (`HttpResponseHeaders::GetFreshnessLifetimes`: 200, 203 and 206).
fn heuristic_status(status: u16) -> bool {
    matches!(status, 200 | 203 | 206)
}

/// The statuses Chromium holds fresh for good when nothing says otherwise (the same function:
/// 300, 301, 308 and 410; observed in Chromium 156,
/// `tests/fixtures/chromium/lab/cache-keeps-a-permanent-answer-for-good.json`).
pub fn permanent_status(status: u16) -> bool {
    matches!(status, 300 | 301 | 308 | 410)
}

fn directives(response: &HttpResponse) -> Vec<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Cache-Control"))
        .flat_map(|(_, value)| value.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect()
}

/// A date header of `response`, as seconds since 1970; `None` when absent or not a date.
fn date_of(response: &HttpResponse, name: &str) -> Option<u64> {
    let at = httpdate::parse_http_date(response.header(name)?.trim()).ok()?;
    Some(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs())
}

/// How fresh an answer arrived: for how long, why, and how old it already was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lifetime {
    fresh_for: u64,
    by: FreshBy,
    initial_age: u64,
}

/// How long `response`, received `now` seconds into the run, stays fresh, as Chromium counts
/// it (`HttpResponseHeaders::GetFreshnessLifetimes`, each branch observed in Chromium 156:
/// `cache-keeps-a-permanent-answer-for-good.json`); `None`: it is not to be reused without
/// asking the server.
fn freshness(response: &HttpResponse, now: u64) -> Option<Lifetime> {
    let directives = directives(response);
    let pragma_no_cache = response.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("Pragma") && value.to_ascii_lowercase().contains("no-cache")
    });
    if pragma_no_cache
        || !storable_status(response.status)
        || directives
            .iter()
            .any(|d| d == "no-store" || d == "no-cache")
    {
        return None;
    }
    // Without a Date, Chromium dates the answer by when it arrived.
    let arrived = RUN_STARTS_AT.as_secs().saturating_add(now);
    let dated = date_of(response, "Date").unwrap_or(arrived);
    let age = response
        .header("Age")
        .and_then(|age| age.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let lifetime = |fresh_for: u64, by| Lifetime {
        fresh_for,
        by,
        initial_age: age.max(arrived.saturating_sub(dated)),
    };
    let explicit = directives.iter().find_map(|d| {
        d.strip_prefix("max-age=")
            .and_then(|age| age.trim_matches('"').parse().ok())
    });
    if let Some(max_age) = explicit {
        return Some(lifetime(max_age, FreshBy::MaxAge));
    }
    // "0" is already expired; any other value that is not a date is as if absent.
    if response.header("Expires").is_some_and(|e| e.trim() == "0") {
        return None;
    }
    if let Some(expires) = date_of(response, "Expires") {
        return (expires > dated).then(|| lifetime(expires - dated, FreshBy::Expires));
    }
    // must-revalidate forbids only the guess: an explicit lifetime above still counts.
    let revalidate = directives.iter().any(|d| d == "must-revalidate");
    if heuristic_status(response.status)
        && !revalidate
        && let Some(last_modified) = date_of(response, "Last-Modified")
        && last_modified <= dated
    {
        return Some(lifetime(
            (dated - last_modified) / 10,
            FreshBy::LastModified,
        ));
    }
    permanent_status(response.status).then(|| lifetime(u64::MAX, FreshBy::Permanent))
}

fn vary_names(response: &HttpResponse) -> Vec<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Vary"))
        .flat_map(|(_, value)| value.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The cache partition of a page at `origin`: its site; none for an opaque origin.
fn partition(origin: Option<&str>) -> Option<(String, String)> {
    let url = url::Url::parse(origin?).ok()?;
    Some(crate::http::syntax::site_of(&url))
}

fn values(request: &HttpRequest, names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|name| request.header(name).unwrap_or_default())
        .collect()
}

impl HttpCache {
    /// A stored answer `request` may be served, fresh at `now` (any age under force-cache),
    /// whose `Vary` headers have the values `request` has.
    pub fn lookup(
        &self,
        (page, request): (Option<&str>, &HttpRequest),
        mode: CacheMode,
        now: u64,
    ) -> Option<(HttpResponse, Stored)> {
        let partition = partition(page);
        let head = request.method == "HEAD";
        if (request.method != "GET" && !head)
            || matches!(
                mode,
                CacheMode::NoStore | CacheMode::Reload | CacheMode::NoCache
            )
        {
            return None;
        }
        let stale_ok = matches!(mode, CacheMode::ForceCache | CacheMode::OnlyIfCached);
        self.entries.iter().rev().find_map(|entry| {
            let fresh = entry.stored.is_fresh(now);
            let varies = entry.stored.vary.iter().any(|v| v == "*");
            (entry.url == request.url
                && entry.partition == partition
                && (fresh || stale_ok)
                && !varies
                && entry.varied == values(request, &entry.stored.vary))
            .then(|| {
                // A HEAD is served the stored GET's status and headers, without its body.
                let mut response = entry.response.clone();
                if head {
                    response.body.clear();
                }
                (response, entry.stored.clone())
            })
        })
    }

    /// The copies of `url` stored for a page at `page`, fresh at `now`, oldest first, with the
    /// Access-Control-Allow-Origin each carries.
    pub fn copies(
        &self,
        (page, url): (Option<&str>, &str),
        now: u64,
    ) -> impl Iterator<Item = (&Stored, Option<String>)> {
        let partition = partition(page);
        self.entries
            .iter()
            .filter(move |e| e.url == url && e.partition == partition && e.stored.is_fresh(now))
            .map(|e| (&e.stored, e.response.header("Access-Control-Allow-Origin")))
    }

    /// Drops what request `by_request` stored for `url`: its answer failed the CORS check.
    pub fn forget(&mut self, (by_request, url): (usize, &str)) {
        self.entries
            .retain(|e| !(e.stored.by_request == by_request && e.url == url));
    }

    /// Stores the answer to a GET the network gave, when it may be stored.
    pub fn store(
        &mut self,
        (page, request): (Option<&str>, &HttpRequest),
        response: &HttpResponse,
        (mode, by_request, now): (CacheMode, usize, u64),
    ) {
        let partition = partition(page);
        if request.method != "GET" || mode == CacheMode::NoStore {
            return;
        }
        let Some(lifetime) = freshness(response, now).filter(|l| l.fresh_for > l.initial_age)
        else {
            return;
        };
        let vary = vary_names(response);
        let varied = values(request, &vary);
        self.entries.retain(|e| {
            !(e.url == request.url
                && e.partition == partition
                && e.varied == varied
                && e.stored.vary == vary)
        });
        self.entries.push(Entry {
            partition,
            url: request.url.to_string(),
            response: response.clone(),
            stored: Stored {
                at: now,
                max_age: lifetime.fresh_for,
                fresh_by: lifetime.by,
                initial_age: lifetime.initial_age,
                by_request,
                origin: request.header("Origin"),
                vary,
            },
            varied,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: Option<&str> = Some("https://app.example");

    fn get(origin: Option<&str>) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: "https://cdn.example/logo.png".into(),
            headers: origin
                .map(|o| vec![("Origin".into(), o.into())])
                .unwrap_or_default()
                .into(),
        }
    }

    fn answer(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            body: String::new(),
        }
    }

    #[test]
    fn an_answer_without_vary_is_reused_for_a_request_with_origin() {
        let mut cache = HttpCache::default();
        cache.store(
            (PAGE, &get(None)),
            &answer(&[("Cache-Control", "max-age=3600")]),
            (CacheMode::Default, 1, 0),
        );
        let (_, stored) = cache
            .lookup(
                (PAGE, &get(Some("https://app.example"))),
                CacheMode::Default,
                5,
            )
            .unwrap();
        assert_eq!((stored.by_request, stored.origin), (1, None));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 3600)
                .is_none()
        );
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::ForceCache, 9000)
                .is_some()
        );
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Reload, 5)
                .is_none()
        );
    }

    #[test]
    fn vary_origin_keeps_requests_from_other_origins_apart() {
        let mut cache = HttpCache::default();
        let varied = answer(&[("Cache-Control", "max-age=60"), ("Vary", "Origin")]);
        cache.store((PAGE, &get(None)), &varied, (CacheMode::Default, 1, 0));
        assert!(
            cache
                .lookup(
                    (PAGE, &get(Some("https://app.example"))),
                    CacheMode::Default,
                    1
                )
                .is_none()
        );
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 1)
                .is_some()
        );
    }

    #[test]
    fn each_site_has_its_own_partition() {
        let mut cache = HttpCache::default();
        let answer = answer(&[("Cache-Control", "max-age=60")]);
        cache.store((PAGE, &get(None)), &answer, (CacheMode::Default, 1, 0));
        let same_site = Some("https://www.app.example");
        assert!(
            cache
                .lookup((same_site, &get(None)), CacheMode::Default, 1)
                .is_some()
        );
        let other = Some("https://admin.example");
        assert!(
            cache
                .lookup((other, &get(None)), CacheMode::Default, 1)
                .is_none()
        );
    }

    #[test]
    fn only_explicitly_fresh_answers_are_stored() {
        let mut cache = HttpCache::default();
        for control in ["no-store", "no-cache, max-age=60", "max-age=0"] {
            cache.store(
                (PAGE, &get(None)),
                &answer(&[("Cache-Control", control)]),
                (CacheMode::Default, 1, 0),
            );
        }
        cache.store((PAGE, &get(None)), &answer(&[]), (CacheMode::Default, 1, 0));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::ForceCache, 0)
                .is_none()
        );
    }

    #[test]
    fn a_head_is_served_a_get_s_copy_but_its_own_answer_is_not_kept() {
        let head = HttpRequest {
            method: "HEAD".into(),
            ..get(None)
        };
        let kept = HttpResponse {
            body: "logo".into(),
            ..answer(&[("Cache-Control", "max-age=60")])
        };
        let mut cache = HttpCache::default();
        cache.store((PAGE, &head), &kept, (CacheMode::Default, 1, 0));
        assert!(cache.lookup((PAGE, &head), CacheMode::Default, 1).is_none());
        cache.store((PAGE, &get(None)), &kept, (CacheMode::Default, 2, 0));
        let (served, stored) = cache
            .lookup((PAGE, &head), CacheMode::Default, 1)
            .expect("the GET's copy");
        assert_eq!(
            (served.status, served.body.as_str(), stored.by_request),
            (200, "", 2)
        );
    }

    /// How long and by what an answer received at the run's start is fresh.
    fn fresh(response: &HttpResponse) -> Option<(u64, FreshBy)> {
        freshness(response, 0).map(|l| (l.fresh_for, l.by))
    }

    fn with_status(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            ..answer(headers)
        }
    }

    #[test]
    fn max_age_keeps_any_status_but_a_partial_answer() {
        let max_age = [("Cache-Control", "max-age=60")];
        for status in [
            201, 202, 300, 301, 302, 303, 307, 308, 400, 403, 404, 418, 500, 503,
        ] {
            let answer = with_status(status, &max_age);
            assert_eq!(fresh(&answer), Some((60, FreshBy::MaxAge)), "{status}");
        }
        assert_eq!(fresh(&with_status(206, &max_age)), None);
    }

    #[test]
    fn a_permanent_answer_is_fresh_for_good_unless_told_otherwise() {
        for status in [300, 301, 308, 410] {
            let answer = with_status(status, &[]);
            assert_eq!(
                fresh(&answer),
                Some((u64::MAX, FreshBy::Permanent)),
                "{status}"
            );
            // must-revalidate and an old Date do not shorten it.
            let told = with_status(
                status,
                &[
                    ("Cache-Control", "must-revalidate"),
                    ("Date", "Wed, 01 Jan 2025 00:00:00 GMT"),
                ],
            );
            assert_eq!(
                fresh(&told),
                Some((u64::MAX, FreshBy::Permanent)),
                "{status}"
            );
        }
        for status in [302, 303, 307, 404] {
            assert_eq!(fresh(&with_status(status, &[])), None, "{status}");
        }
        for told in [
            ("Cache-Control", "no-cache"),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            ("Expires", "Wed, 01 Jan 2020 00:00:00 GMT"),
        ] {
            assert_eq!(fresh(&with_status(301, &[told])), None, "{told:?}");
        }
        let short = with_status(301, &[("Cache-Control", "max-age=60")]);
        assert_eq!(fresh(&short), Some((60, FreshBy::MaxAge)));
    }

    /// Expires counts from Date, or from when the answer arrived (1 January 2026); "0" is in
    /// the past, and a value that is not a date is as if absent.
    #[test]
    fn expires_gives_a_lifetime_to_any_status() {
        let next_day = [("Expires", "Fri, 02 Jan 2026 00:00:00 GMT")];
        assert_eq!(fresh(&answer(&next_day)), Some((86_400, FreshBy::Expires)));
        assert_eq!(
            fresh(&with_status(404, &next_day)),
            Some((86_400, FreshBy::Expires))
        );
        let dated = answer(&[
            ("Expires", "Fri, 02 Jan 2026 00:00:00 GMT"),
            ("Date", "Fri, 02 Jan 2026 23:00:00 GMT"),
        ]);
        assert_eq!(fresh(&dated), None);
        let modified = ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT");
        assert_eq!(fresh(&answer(&[("Expires", "0"), modified])), None);
        assert_eq!(
            fresh(&answer(&[("Expires", "soon"), modified])),
            Some((365 * 86_400 / 10, FreshBy::LastModified))
        );
        let both = answer(&[
            ("Cache-Control", "max-age=60"),
            ("Expires", "Wed, 01 Jan 2020 00:00:00 GMT"),
        ]);
        assert_eq!(fresh(&both), Some((60, FreshBy::MaxAge)));
    }

    /// A copy is as old as its Age, or as the time since its Date, when it arrives: one older
    /// than its max-age is never stored, and one younger goes stale sooner.
    #[test]
    fn age_and_date_count_against_the_lifetime() {
        let mut cache = HttpCache::default();
        let over = answer(&[("Cache-Control", "max-age=60"), ("Age", "100")]);
        cache.store((PAGE, &get(None)), &over, (CacheMode::Default, 1, 0));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 0)
                .is_none()
        );
        let under = answer(&[("Cache-Control", "max-age=60"), ("Age", "30")]);
        cache.store((PAGE, &get(None)), &under, (CacheMode::Default, 2, 0));
        let (_, stored) = cache
            .lookup((PAGE, &get(None)), CacheMode::Default, 29)
            .expect("fresh for 30 s more");
        assert_eq!((stored.age(29), stored.initial_age), (59, 30));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 30)
                .is_none()
        );
        let old = answer(&[
            ("Cache-Control", "max-age=3600"),
            ("Date", "Wed, 31 Dec 2025 00:00:00 GMT"),
        ]);
        assert_eq!(freshness(&old, 0).map(|l| l.initial_age), Some(86_400));
    }

    /// Without max-age, an answer with Last-Modified is fresh for a tenth of its age, counted
    /// from its Date, or from when it arrived (the run starts on 1 January 2026).
    #[test]
    fn last_modified_gives_a_heuristic_freshness() {
        let year_old = answer(&[("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")]);
        assert_eq!(
            fresh(&year_old),
            Some((365 * 86_400 / 10, FreshBy::LastModified))
        );
        let dated = answer(&[
            ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"),
            ("Date", "Sat, 11 Jan 2025 00:00:00 GMT"),
        ]);
        assert_eq!(fresh(&dated), Some((86_400, FreshBy::LastModified)));
        let explicit = answer(&[
            ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"),
            ("Cache-Control", "max-age=60"),
        ]);
        assert_eq!(fresh(&explicit), Some((60, FreshBy::MaxAge)));
        assert_eq!(fresh(&answer(&[])), None);
        let told = |name: &str, value: &str| {
            answer(&[
                ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"),
                (name, value),
            ])
        };
        assert_eq!(fresh(&told("Cache-Control", "no-cache")), None);
        assert_eq!(fresh(&told("Pragma", "no-cache")), None);
        assert_eq!(fresh(&told("Cache-Control", "must-revalidate")), None);
        assert_eq!(
            fresh(&told("Cache-Control", "max-age=60, must-revalidate")),
            Some((60, FreshBy::MaxAge))
        );
        let not_found = HttpResponse {
            status: 404,
            ..year_old
        };
        assert_eq!(fresh(&not_found), None);
    }

    #[test]
    fn a_forgotten_answer_is_not_reused() {
        let mut cache = HttpCache::default();
        let kept = answer(&[("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")]);
        cache.store((PAGE, &get(None)), &kept, (CacheMode::Default, 1, 0));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 1)
                .is_some()
        );
        cache.forget((1, "https://cdn.example/logo.png"));
        assert!(
            cache
                .lookup((PAGE, &get(None)), CacheMode::Default, 1)
                .is_none()
        );
    }
}
