//! Which recorded entries make up each exchange: a preflight paired with the request it guarded,
//! a redirect linked to the entry it led to, and entries that are not CORS set aside. Planning
//! reads only a few fields of each entry (its [`Key`]): the plan is made before any request is
//! built, and its keys are let go of before the requests take the entries' place.

use url::Url;

use super::{
    Entry, NO_ORIGIN, Page, find_header, header, is_preflight, is_provisional, is_redirect, millis,
};
use crate::http::syntax::{normalize_method, origin_of};
use crate::scenario::recording::Skipped;
use crate::scenario::{Shared, TextPool};

/// What planning reads of a kept entry.
#[derive(Debug)]
pub(super) struct Key {
    /// Among the kept entries, in file order.
    pub index: usize,
    /// Among all the file's entries.
    pub position: usize,
    /// Milliseconds since the epoch (unparseable times sort first).
    pub time: i64,
    pub preflight: bool,
    /// As recorded.
    pub method: Shared,
    pub url: Shared,
    /// The request's `Origin` header.
    pub origin: Option<Shared>,
    /// A preflight's `Access-Control-Request-Method`.
    pub requested_method: Option<Shared>,
    /// The origin of the URL itself.
    pub own_origin: Option<Shared>,
    /// Where a redirect leads, resolved and without its fragment.
    pub redirect_to: Option<Box<str>>,
    /// For a request recorded with only provisional headers (rare): where its page may be told.
    pub provisional: Option<Box<Provisional>>,
}

/// What tells the page of a request recorded with only provisional headers.
#[derive(Debug)]
pub(super) struct Provisional {
    /// The origin of its `Referer`.
    referer: Option<String>,
    pageref: Option<String>,
}

impl Key {
    pub fn of(entry: &Entry, index: usize, position: usize, texts: &mut TextPool) -> Key {
        let redirect_to = is_redirect(entry)
            .then(|| {
                let target = Url::parse(&entry.request.url)
                    .ok()?
                    .join(&entry.response.redirect_url)
                    .ok()?;
                Some(Box::from(without_fragment(target.as_str())))
            })
            .flatten();
        let provisional = is_provisional(entry).then(|| {
            Box::new(Provisional {
                referer: header(&entry.request.headers, "Referer").and_then(url_origin),
                pageref: entry.pageref.as_deref().map(str::to_string),
            })
        });
        let shared =
            |name: &str| find_header(&entry.request.headers, name).map(|h| h.value.shared());
        Key {
            index,
            position,
            time: millis(&entry.started),
            preflight: is_preflight(entry),
            method: entry.request.method.shared(),
            url: entry.request.url.shared(),
            origin: shared("Origin"),
            requested_method: shared("Access-Control-Request-Method"),
            own_origin: url_origin(&entry.request.url).map(|origin| texts.text(&origin)),
            redirect_to,
            provisional,
        }
    }

    fn skip(&self, reason: &str) -> Skipped {
        Skipped {
            method: self.method.to_string(),
            url: self.url.to_string(),
            reason: reason.to_string(),
            withheld: None,
        }
    }
}

/// One exchange: which entries it is made of, by their index among the kept entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Planned {
    pub preflight: Option<usize>,
    pub actual: Option<usize>,
    /// The hops the browser recorded after a redirect, each with its own preflight.
    pub hops: Vec<(Option<usize>, usize)>,
    /// The origin of the page that sent it (`null` when the recording does not say).
    pub origin: String,
    /// The file position of its main entry (the request, else its preflight).
    pub position: usize,
}

/// A recording's exchanges in the order the page issued them, and the entries set aside.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Plan {
    pub exchanges: Vec<Planned>,
    pub skipped: Vec<(usize, Skipped)>,
}

/// A fragment is never sent: a Location's `#access_token=…` is not in the next request's URL.
fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(head, _)| head)
}

pub(super) fn url_origin(url: &str) -> Option<String> {
    Url::parse(url).ok().and_then(|u| origin_of(&u))
}

/// The origins of a recording's pages, by page id: Chrome's page `title` is its URL.
pub(super) fn page_origins(pages: &[Page]) -> foldhash::HashMap<String, String> {
    pages
        .iter()
        .filter_map(|p| {
            let url = Url::parse(&p.title).ok()?;
            Some((p.id.clone(), origin_of(&url)?))
        })
        .collect()
}

/// The page's origin for `key`: its Origin header, or, for a same-origin request without
/// one, the Origin its `next` hop carries when that names the entry's own origin.
/// For a request with only provisional headers, `provisional` is its page's origin.
pub(super) fn page_origin<'k>(
    key: &'k Key,
    next: Option<&'k Key>,
    provisional: Option<&'k str>,
) -> Option<&'k str> {
    key.origin
        .as_deref()
        .or_else(|| {
            let hop_origin = next?.origin.as_deref()?;
            (key.own_origin.as_deref()? == hop_origin).then_some(hop_origin)
        })
        .or(provisional)
}

/// Plans the exchanges of `keys` (kept entries in file order).
pub(super) fn plan(keys: &[Key], pages: &foldhash::HashMap<String, String>) -> Plan {
    let kept = keys.len();
    // The page that made each request recorded with only provisional headers: its `Referer`
    // (the requesting document), else the page the entry belongs to.
    let provisional: Vec<Option<String>> = keys
        .iter()
        .map(|key| {
            let from = key.provisional.as_ref()?;
            from.referer
                .clone()
                .or_else(|| pages.get(from.pageref.as_deref()?).cloned())
        })
        .collect();

    // Pair each preflight with the request it guarded: same URL, origin and method, nearest in
    // time (Chrome lists the actual request first and stamps it earlier).
    // Candidate requests by (URL, method, origin), so pairing stays linear in the file.
    let mut candidates: foldhash::HashMap<(&str, String, Option<&str>), Vec<usize>> =
        foldhash::HashMap::default();
    // Requests recorded with provisional headers carry no Origin: by URL and method alone.
    let mut unsent: foldhash::HashMap<(&str, String), Vec<usize>> = foldhash::HashMap::default();
    for (a, key) in keys.iter().enumerate() {
        if key.preflight {
            continue;
        }
        if provisional[a].is_some() {
            unsent
                .entry((&*key.url, normalize_method(&key.method)))
                .or_default()
                .push(a);
        }
        let candidate = (
            &*key.url,
            normalize_method(&key.method),
            key.origin.as_deref(),
        );
        candidates.entry(candidate).or_default().push(a);
    }
    let (next_hop, followup) = redirect_chains(keys);
    let mut guarded: Vec<Option<usize>> = vec![None; kept];
    let mut paired = vec![false; kept];
    for (p, pre) in keys.iter().enumerate().filter(|(_, key)| key.preflight) {
        let method = pre.requested_method.as_deref().unwrap_or("").to_string();
        let wanted = (&*pre.url, method, pre.origin.as_deref());
        let nearest = |list: &Vec<usize>| {
            list.iter()
                .copied()
                .filter(|&a| !paired[a])
                .min_by_key(|&a| (i128::from(keys[a].time) - i128::from(pre.time)).abs())
        };
        // Firefox sends a redirected request's preflight with the page's Origin, though the
        // request itself carries `Origin: null` (observed in Firefox 153 on the wire and in
        // its export, `tests/fixtures/firefox/redirects.har`).
        let tainted_hop = |list: &Vec<usize>| {
            list.iter()
                .copied()
                .filter(|&a| followup[a] && !paired[a])
                .min_by_key(|&a| (i128::from(keys[a].time) - i128::from(pre.time)).abs())
        };
        let best = candidates
            .get(&wanted)
            .and_then(nearest)
            .or_else(|| unsent.get(&(wanted.0, wanted.1.clone())).and_then(nearest))
            .or_else(|| {
                candidates
                    .get(&(wanted.0, wanted.1.clone(), Some("null")))
                    .and_then(tainted_hop)
            });
        if let Some(a) = best {
            paired[a] = true;
            guarded[a] = Some(p);
        }
    }

    // Exchanges in the order the page issued them: actual requests, and preflights whose
    // request was never recorded.
    let mut exchanges: Vec<(Option<usize>, Option<usize>, &str)> = Vec::new();
    let mut skipped = Vec::new();
    let guarding: foldhash::HashSet<usize> = guarded.iter().flatten().copied().collect();
    for (i, key) in keys.iter().enumerate() {
        if key.preflight {
            if !guarding.contains(&i) {
                let origin = page_origin(key, None, provisional[i].as_deref());
                exchanges.push((Some(i), None, origin.unwrap_or("null")));
            }
            continue;
        }
        if followup[i] {
            // Replayed as a later hop of the request whose redirect led here.
            continue;
        }
        let next = next_hop[i].map(|j| &keys[j]);
        let Some(origin) = page_origin(key, next, provisional[i].as_deref()) else {
            skipped.push((key.position, key.skip(NO_ORIGIN)));
            continue;
        };
        // A same-origin request that a redirect sent to another origin is CORS from there on.
        if key.own_origin.as_deref() == Some(origin) && next_hop[i].is_none() {
            skipped.push((key.position, key.skip("same-origin: CORS does not apply")));
            continue;
        }
        exchanges.push((guarded[i], Some(i), origin));
    }
    exchanges.sort_by_key(|(p, a, _)| a.or(*p).map_or(0, |i| keys[i].time));
    let exchanges = exchanges
        .into_iter()
        .filter_map(|(preflight, actual, origin)| {
            let main = actual.or(preflight)?;
            let hops = std::iter::successors(actual.and_then(|a| next_hop[a]), |&j| next_hop[j])
                .map(|j| (guarded[j].map(|p| keys[p].index), keys[j].index))
                .collect();
            Some(Planned {
                preflight: preflight.map(|p| keys[p].index),
                actual: actual.map(|a| keys[a].index),
                hops,
                origin: origin.to_string(),
                position: keys[main].position,
            })
        })
        .collect();
    Plan { exchanges, skipped }
}

/// Links each cross-origin request's redirect to the entry it led to: the nearest later request
/// for the resolved `redirectURL` (browsers record every hop as an entry of its own). Returns
/// each entry's next hop and whether it is a later hop of another entry.
fn redirect_chains(keys: &[Key]) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut next_hop = vec![None; keys.len()];
    let mut followup = vec![false; keys.len()];
    if keys.iter().all(|key| key.redirect_to.is_none()) {
        return (next_hop, followup);
    }
    let mut by_url: foldhash::HashMap<&str, Vec<usize>> = foldhash::HashMap::default();
    for (i, key) in keys.iter().enumerate() {
        if !key.preflight {
            by_url
                .entry(without_fragment(&key.url))
                .or_default()
                .push(i);
        }
    }
    // Each chain's first entry, as a union-find forest: a link that would lead back into its own
    // chain (A → B → A at the same time) is refused, so every entry is a start or a later hop.
    let mut chain_start: Vec<usize> = (0..keys.len()).collect();
    let find = |chain_start: &mut [usize], mut i: usize| {
        while chain_start[i] != i {
            chain_start[i] = chain_start[chain_start[i]];
            i = chain_start[i];
        }
        i
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| keys[i].time);
    for i in order {
        let key = &keys[i];
        let Some(target) = key.redirect_to.as_deref().filter(|_| !key.preflight) else {
            continue;
        };
        let best = by_url.get(target).and_then(|list| {
            list.iter()
                .copied()
                .filter(|&j| j != i && !followup[j] && keys[j].time >= key.time)
                .min_by_key(|&j| keys[j].time - key.time)
        });
        // A chain starts at a CORS request, or at a same-origin one (which sends no Origin for
        // a GET) whose redirect leaves for another origin: that hop carries the page's Origin.
        if let Some(j) = best.filter(|&j| page_origin(key, Some(&keys[j]), None).is_some()) {
            // `j` starts a chain of its own (it is no one's later hop yet).
            let start = find(&mut chain_start, i);
            if start != j {
                chain_start[j] = start;
                next_hop[i] = Some(j);
                followup[j] = true;
            }
        }
    }
    (next_hop, followup)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept entry's key, from the fields an export writes.
    fn key(index: usize, method: &str, url: &str, millis: u32, extra: &str) -> Key {
        let text = format!(
            r#"{{"startedDateTime":"2026-01-01T00:00:{:02}.{:03}Z","request":{{"method":"{method}","url":"{url}","headers":[{extra}]}},"response":{{"status":200}}}}"#,
            millis / 1000,
            millis % 1000
        );
        let entry = match serde_json::from_str(&text) {
            Ok(entry) => crate::formats::har::Keeper::new(&[], None).entry(entry),
            Err(e) => panic!("{e}: {text}"),
        };
        Key::of(&entry, index, index, &mut TextPool::default())
    }

    const FROM_APP: &str = r#"{"name":"Origin","value":"https://app.example"}"#;

    fn preflight_for(method: &str) -> String {
        format!(r#"{FROM_APP},{{"name":"Access-Control-Request-Method","value":"{method}"}}"#)
    }

    fn planned(keys: &[Key]) -> Plan {
        plan(keys, &foldhash::HashMap::default())
    }

    #[test]
    fn a_preflight_guards_the_request_nearest_in_time_with_its_url_method_and_origin() {
        let url = "https://api.example/items";
        let keys = [
            key(0, "PUT", url, 1_000, FROM_APP),
            key(1, "PUT", url, 5_000, FROM_APP),
            // Stamped just before the second PUT: it guards that one, not the first.
            key(2, "OPTIONS", url, 4_990, &preflight_for("PUT")),
            key(3, "DELETE", url, 6_000, FROM_APP),
        ];
        let plan = planned(&keys);
        let pairs: Vec<(Option<usize>, Option<usize>)> = plan
            .exchanges
            .iter()
            .map(|e| (e.preflight, e.actual))
            .collect();
        assert_eq!(
            pairs,
            [(None, Some(0)), (Some(2), Some(1)), (None, Some(3))]
        );
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn a_preflight_whose_request_was_not_recorded_is_an_exchange_of_its_own() {
        let keys = [key(
            0,
            "OPTIONS",
            "https://api.example/items",
            1_000,
            &preflight_for("PATCH"),
        )];
        let plan = planned(&keys);
        assert_eq!(plan.exchanges.len(), 1);
        assert_eq!(plan.exchanges[0].preflight, Some(0));
        assert_eq!(plan.exchanges[0].actual, None);
        assert_eq!(&*plan.exchanges[0].origin, "https://app.example");
    }

    #[test]
    fn a_same_origin_request_is_set_aside_unless_a_redirect_takes_it_elsewhere() {
        let same = r#"{"name":"Origin","value":"https://api.example"}"#;
        let keys = [key(0, "POST", "https://api.example/login", 1_000, same)];
        let plan = planned(&keys);
        assert!(plan.exchanges.is_empty());
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.skipped[0].1.reason.starts_with("same-origin"));
    }

    #[test]
    fn exchanges_come_in_the_order_the_page_started_them() {
        let keys = [
            key(0, "GET", "https://api.example/b", 2_000, FROM_APP),
            key(1, "GET", "https://api.example/a", 1_000, FROM_APP),
        ];
        let order: Vec<Option<usize>> = planned(&keys).exchanges.iter().map(|e| e.actual).collect();
        assert_eq!(order, [Some(1), Some(0)]);
    }
}
