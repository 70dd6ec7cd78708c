//! The CORS-preflight cache (§"CORS-preflight cache"), with Chromium's reading of it beside the
//! standard's.
//!
//! One store serves both profiles so that a step can say how the other profile would have used
//! the very same cache:
//! - the standard merges one entry per method and per header name, keyed by origin and URL;
//! - Chromium keeps one result per origin and URL, replaced by each new preflight, and treats
//!   `*` as a wildcard only in a result written by a preflight without credentials.

use foldhash::HashMap;

use super::fetch_rules::{chromium_caches_preflight_for, is_safelisted_method, max_age};
use crate::scenario::BrowserProfile;

/// A time for each profile, since they parse and cap max-age differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerProfile {
    pub chromium: u64,
    pub standard: u64,
}

impl PerProfile {
    pub fn get(self, profile: BrowserProfile) -> u64 {
        match profile {
            BrowserProfile::Chromium => self.chromium,
            BrowserProfile::Standard => self.standard,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntryName {
    Method(String),
    Header(String),
}

/// An entry of the cache; its origin and URL are the key it is kept under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub credentials: bool,
    pub name: EntryName,
    pub expires_at: PerProfile,
    /// Which preflight last wrote it (Chromium reads only the newest per origin and URL).
    pub written_by: u64,
}

impl Entry {
    /// Whether either profile still reads it at `now`.
    fn live(&self, now: u64) -> bool {
        now < self.expires_at.chromium || now < self.expires_at.standard
    }
}

/// Entries grouped by (origin, URL), the key every lookup starts from, so a trace with many
/// URLs stays linear.
#[derive(Clone, Debug, Default)]
pub struct PreflightCache {
    by_url: HashMap<(String, String), Vec<Entry>>,
    /// How many origin and URL pairs hold an entry Chromium still reads, kept as entries come
    /// and go: past [`CHROMIUM_MOST_RESULTS`], Chromium drops results at random.
    chromium_pairs: usize,
    preflights: u64,
    pruned_at: u64,
    /// Bumped by every change, so that a summary can be reused until the next one.
    revision: u64,
}

/// Chromium keeps at most this many preflight results (one per origin and URL) and, past it,
/// drops ten at random to make room (`kMaxCacheEntries` and `kPurgeUnit` in
/// `services/network/cors/preflight_cache.cc`). Observed in Chromium 148
/// (`tests/fixtures/chromium/preflight-cache.observed.json`): 40 URLs fetched twice sent 40
/// preflights, 1,100 URLs fetched twice sent 1,228. Which results go cannot be known, so a hit
/// past this is said to be likely, not certain.
pub const CHROMIUM_MOST_RESULTS: usize = 1024;

/// The result of looking a request up: whether the cache serves it, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Live entries for this origin and URL cover the method and every header; the earliest
    /// of them expires at `expires` (seconds into the run).
    Covered { expires: u64 },
    /// As `Covered`, if Chromium still holds them: it holds `held` results, more than
    /// [`CHROMIUM_MOST_RESULTS`], and may have dropped these at random.
    CoveredIfKept { expires: u64, held: usize },
    /// No live entry for this origin and URL.
    Empty,
    /// Live entries, but none for the request's method.
    MissingMethod,
    /// Live entries, but none for this header.
    MissingHeader(String),
    /// Chromium does not consult the cache for this cache mode.
    Bypassed(crate::scenario::CacheMode),
    /// Chromium keeps nothing for a URL of `length` characters
    /// ([`CHROMIUM_LONGEST_CACHED_URL`](super::fetch_rules::CHROMIUM_LONGEST_CACHED_URL)).
    UrlTooLong { length: usize },
    /// A recording without the OPTIONS: served from the cache, or not recorded.
    NotRecorded,
}

impl Lookup {
    /// The cache serves the preflight: none goes out.
    pub fn hit(&self) -> bool {
        matches!(
            self,
            Lookup::Covered { .. } | Lookup::CoveredIfKept { .. } | Lookup::NotRecorded
        )
    }
}

pub struct Query<'a> {
    pub origin: &'a str,
    pub url: &'a str,
    pub credentials_include: bool,
    pub method: &'a str,
    /// Lowercased CORS-unsafe header names.
    pub unsafe_names: &'a [String],
    pub now: u64,
}

impl PreflightCache {
    fn entries_for(&self, origin: &str, url: &str) -> &[Entry] {
        self.by_url
            .get(&(origin.to_string(), url.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Forgets entries no profile would still use. Nothing expires while time stands still,
    /// so this only works when `now` moved.
    pub fn prune(&mut self, now: u64) {
        if now == self.pruned_at {
            return;
        }
        self.pruned_at = now;
        self.revision += 1;
        self.by_url.retain(|_, entries| {
            entries.retain(|e| e.live(now));
            !entries.is_empty()
        });
        self.chromium_pairs = self
            .by_url
            .values()
            .filter(|entries| chromium_reads(entries, now))
            .count();
    }

    /// Changes whenever the cache does: a [`summary`](Self::summary) stays true while neither
    /// this nor the time moves.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// A one-line summary for the variable tracker: the entries for the current origin and
    /// URL, and how many other origin/URL pairs have entries.
    /// What the cache holds for `origin` and `url` at `now`: the live entries' names, and how
    /// many other origin and URL pairs hold entries.
    pub fn summary(
        &self,
        now: u64,
        profile: BrowserProfile,
        origin: &str,
        url: &str,
    ) -> (Vec<String>, usize) {
        let here = self.by_url.get(&(origin.to_string(), url.to_string()));
        let others = self.by_url.len() - usize::from(here.is_some());
        let live = here
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|e| now < e.expires_at.get(profile))
            .map(|e| match &e.name {
                EntryName::Method(m) => m.clone(),
                EntryName::Header(h) => h.clone(),
            })
            .collect();
        (live, others)
    }

    fn entry_matches(entry: &Entry, q: &Query, profile: BrowserProfile) -> bool {
        q.now < entry.expires_at.get(profile) && (entry.credentials || !q.credentials_include)
    }

    /// Looks the request up as `profile` would (the cache-mode rule is the caller's).
    pub fn lookup(&self, q: &Query, profile: BrowserProfile) -> Lookup {
        if profile == BrowserProfile::Chromium && !chromium_caches_preflight_for(q.url) {
            return Lookup::UrlTooLong {
                length: q.url.len(),
            };
        }
        let here = self.entries_for(q.origin, q.url);
        let newest = here.iter().map(|e| e.written_by).max();
        let usable: Vec<&Entry> = here
            .iter()
            .filter(|e| Self::entry_matches(e, q, profile))
            .filter(|e| profile == BrowserProfile::Standard || Some(e.written_by) == newest)
            .collect();
        let wildcard_ok = |e: &Entry| match profile {
            BrowserProfile::Standard => true,
            BrowserProfile::Chromium => !e.credentials,
        };
        let method_ok = is_safelisted_method(q.method)
            || usable.iter().any(|e| match &e.name {
                EntryName::Method(m) => m == q.method || (m == "*" && wildcard_ok(e)),
                EntryName::Header(_) => false,
            });
        // Names held by a usable entry, and whether a usable `*` entry may cover names: one
        // pass over the entries, so a request with thousands of headers stays linear.
        let mut cached_names: foldhash::HashSet<String> = foldhash::HashSet::default();
        let mut star = false;
        for e in &usable {
            if let EntryName::Header(h) = &e.name {
                if h == "*" {
                    star |= wildcard_ok(e);
                } else {
                    cached_names.insert(h.to_ascii_lowercase());
                }
            }
        }
        let missing_header = q.unsafe_names.iter().find(|name| {
            let covered_by_star =
                star && (profile == BrowserProfile::Chromium || name.as_str() != "authorization");
            !cached_names.contains(&name.to_ascii_lowercase()) && !covered_by_star
        });
        if usable.is_empty() {
            return Lookup::Empty;
        }
        match (method_ok, missing_header) {
            (true, None) => {
                let expires = usable
                    .iter()
                    .map(|e| e.expires_at.get(profile))
                    .min()
                    .unwrap_or(q.now);
                match profile {
                    BrowserProfile::Chromium if self.chromium_pairs > CHROMIUM_MOST_RESULTS => {
                        Lookup::CoveredIfKept {
                            expires,
                            held: self.chromium_pairs,
                        }
                    }
                    _ => Lookup::Covered { expires },
                }
            }
            (false, _) => Lookup::MissingMethod,
            (true, Some(name)) => Lookup::MissingHeader(name.clone()),
        }
    }

    /// Stores what a successful preflight allowed (§"CORS-preflight fetch", step "max-age"),
    /// with `Access-Control-Max-Age` as each profile reads it.
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &mut self,
        origin: &str,
        url: &str,
        credentials: bool,
        methods: &[String],
        headers: &[String],
        max_age_header: Option<&str>,
        now: u64,
    ) {
        self.preflights += 1;
        self.revision += 1;
        let written_by = self.preflights;
        let chromium_seconds = if chromium_caches_preflight_for(url) {
            max_age(max_age_header, BrowserProfile::Chromium).0
        } else {
            0
        };
        let expires_at = PerProfile {
            chromium: now.saturating_add(chromium_seconds),
            standard: now.saturating_add(max_age(max_age_header, BrowserProfile::Standard).0),
        };
        let names = methods.iter().map(|m| EntryName::Method(m.clone())).chain(
            headers
                .iter()
                .map(|h| EntryName::Header(h.to_ascii_lowercase())),
        );
        let entries = self
            .by_url
            .entry((origin.to_string(), url.to_string()))
            .or_default();
        let read_before = chromium_reads(entries, now);
        // Where each name's entries are, so that storing thousands of header names stays
        // linear.
        let mut at: foldhash::HashMap<EntryName, Vec<usize>> = foldhash::HashMap::default();
        for (i, e) in entries.iter().enumerate() {
            at.entry(e.name.clone()).or_default().push(i);
        }
        for name in names {
            let existing = at.get(&name).and_then(|list| {
                list.iter()
                    .copied()
                    .find(|&i| entries[i].credentials || !credentials)
            });
            match existing {
                Some(i) => {
                    let entry = &mut entries[i];
                    entry.expires_at = expires_at;
                    entry.written_by = written_by;
                }
                None => {
                    at.entry(name.clone()).or_default().push(entries.len());
                    entries.push(Entry {
                        credentials,
                        name,
                        expires_at,
                        written_by,
                    });
                }
            }
        }
        entries.retain(|e| e.live(now));
        match (read_before, chromium_reads(entries, now)) {
            (false, true) => self.chromium_pairs += 1,
            (true, false) => self.chromium_pairs -= 1,
            _ => {}
        }
    }

    /// The standard's "clear cache entries" for a CORS fetch whose preflight passed and whose
    /// actual response then failed (§"main fetch": a cors-with-preflight fetch that returns a
    /// network error). Chromium keeps them: observed in Chromium 148 under `serve --check`, the
    /// same POST right after such a failure went out without a preflight
    /// (`tests/fixtures/chromium/preflight-cache.observed.json`).
    pub fn clear_for_standard(&mut self, origin: &str, url: &str, now: u64) {
        self.revision += 1;
        let key = (origin.to_string(), url.to_string());
        if let Some(entries) = self.by_url.get_mut(&key) {
            for entry in entries.iter_mut() {
                entry.expires_at.standard = entry.expires_at.standard.min(now);
            }
            entries.retain(|e| e.live(now));
            if entries.is_empty() {
                self.by_url.remove(&key);
            }
        }
    }

    /// Drops every entry for `origin` and `url`: a CORS fetch that needed a preflight failed.
    pub fn clear(&mut self, origin: &str, url: &str, now: u64) {
        self.revision += 1;
        let removed = self.by_url.remove(&(origin.to_string(), url.to_string()));
        if removed.is_some_and(|entries| chromium_reads(&entries, now)) {
            self.chromium_pairs -= 1;
        }
    }
}

/// Whether Chromium reads any of one origin and URL's entries at `now`.
fn chromium_reads(entries: &[Entry], now: u64) -> bool {
    entries.iter().any(|e| now < e.expires_at.chromium)
}

#[cfg(test)]
mod tests {
    use super::*;
    use BrowserProfile::{Chromium, Standard};

    const O: &str = "https://a.example";
    const U: &str = "https://b.example/k";

    fn q<'a>(method: &'a str, names: &'a [String], include: bool, now: u64) -> Query<'a> {
        Query {
            origin: O,
            url: U,
            credentials_include: include,
            method,
            unsafe_names: names,
            now,
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entries_expire_after_max_age() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &strings(&["PUT"]), &[], Some("10"), 0);
        assert!(cache.lookup(&q("PUT", &[], false, 9), Standard).hit());
        assert!(!cache.lookup(&q("PUT", &[], false, 10), Standard).hit());
    }

    #[test]
    fn chromium_keeps_nothing_for_a_url_of_1024_characters_or_more() {
        let mut cache = PreflightCache::default();
        let long = format!("{U}?q={}", "a".repeat(1024 - U.len() - 3));
        assert_eq!(long.len(), 1024);
        cache.store(O, &long, false, &strings(&["PUT"]), &[], Some("600"), 0);
        let asked = |url| Query {
            url,
            ..q("PUT", &[], false, 1)
        };
        assert!(!cache.lookup(&asked(&long), Chromium).hit());
        assert!(cache.lookup(&asked(&long), Standard).hit());
        let shorter = &long[..1023];
        cache.store(O, shorter, false, &strings(&["PUT"]), &[], Some("600"), 0);
        assert!(cache.lookup(&asked(shorter), Chromium).hit());
    }

    #[test]
    fn past_1024_results_a_chromium_hit_is_likely_not_certain() {
        let mut cache = PreflightCache::default();
        let url = |i: usize| format!("{U}/{i}");
        let crowded = |cache: &PreflightCache, now| {
            let q = Query {
                url: &url(0),
                ..q("PUT", &[], false, now)
            };
            (cache.lookup(&q, Chromium), cache.lookup(&q, Standard))
        };
        for i in 0..CHROMIUM_MOST_RESULTS {
            cache.store(O, &url(i), false, &strings(&["PUT"]), &[], Some("600"), 0);
        }
        assert_eq!(crowded(&cache, 0).0, Lookup::Covered { expires: 600 });
        cache.store(
            O,
            &url(1024),
            false,
            &strings(&["PUT"]),
            &[],
            Some("600"),
            0,
        );
        assert_eq!(
            crowded(&cache, 0),
            (
                Lookup::CoveredIfKept {
                    expires: 600,
                    held: 1025
                },
                Lookup::Covered { expires: 600 }
            )
        );
        // A failed fetch clears its pair; and results Chromium no longer reads do not count.
        cache.clear(O, &url(1024), 0);
        assert_eq!(crowded(&cache, 0).0, Lookup::Covered { expires: 600 });
        cache.store(
            O,
            &url(2000),
            false,
            &strings(&["PUT"]),
            &[],
            Some("86400"),
            0,
        );
        cache.store(
            O,
            &url(2001),
            false,
            &strings(&["PUT"]),
            &[],
            Some("86400"),
            0,
        );
        cache.prune(7300);
        assert_eq!(cache.chromium_pairs, 0, "Chromium caps Max-Age at 7200 s");
    }

    #[test]
    fn after_a_blocked_answer_only_the_standard_forgets_the_preflight() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &strings(&["PUT"]), &[], Some("600"), 0);
        cache.clear_for_standard(O, U, 1);
        assert!(cache.lookup(&q("PUT", &[], false, 2), Chromium).hit());
        assert!(!cache.lookup(&q("PUT", &[], false, 2), Standard).hit());
        assert_eq!(cache.chromium_pairs, 1);
    }

    #[test]
    fn credentialed_entries_serve_uncredentialed_requests_but_not_the_reverse() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &strings(&["PUT"]), &[], Some("100"), 0);
        assert!(!cache.lookup(&q("PUT", &[], true, 1), Standard).hit());
        cache.store(O, U, true, &strings(&["DELETE"]), &[], Some("100"), 0);
        assert!(cache.lookup(&q("DELETE", &[], false, 1), Chromium).hit());
    }

    #[test]
    fn star_never_covers_authorization_in_the_standard() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &[], &strings(&["*"]), Some("100"), 0);
        let auth = strings(&["authorization"]);
        assert!(!cache.lookup(&q("GET", &auth, false, 1), Standard).hit());
        assert!(cache.lookup(&q("GET", &auth, false, 1), Chromium).hit());
        assert!(
            cache
                .lookup(&q("GET", &strings(&["x-any"]), false, 1), Standard)
                .hit()
        );
    }

    #[test]
    fn chromium_ignores_star_written_by_a_credentialed_preflight() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, true, &strings(&["*", "PUT"]), &[], Some("100"), 0);
        assert!(!cache.lookup(&q("DELETE", &[], true, 1), Chromium).hit());
        assert!(cache.lookup(&q("DELETE", &[], true, 1), Standard).hit());
    }

    #[test]
    fn chromium_keeps_only_the_newest_preflight_per_url() {
        let mut cache = PreflightCache::default();
        cache.store(
            O,
            U,
            false,
            &strings(&["PUT"]),
            &strings(&["x-a"]),
            Some("100"),
            0,
        );
        cache.store(
            O,
            U,
            false,
            &strings(&["PUT"]),
            &strings(&["x-b"]),
            Some("100"),
            1,
        );
        let xa = strings(&["x-a"]);
        assert!(cache.lookup(&q("PUT", &xa, false, 2), Standard).hit());
        assert!(!cache.lookup(&q("PUT", &xa, false, 2), Chromium).hit());
    }

    #[test]
    fn each_profile_reads_max_age_its_own_way() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &strings(&["PUT"]), &[], Some("86400"), 0);
        assert!(
            !cache.lookup(&q("PUT", &[], false, 7300), Chromium).hit(),
            "capped at 2 h"
        );
        assert!(cache.lookup(&q("PUT", &[], false, 7300), Standard).hit());
        cache.store(O, U, false, &strings(&["DELETE"]), &[], Some("-1"), 8000);
        assert!(
            !cache.lookup(&q("DELETE", &[], false, 8001), Chromium).hit(),
            "negative: not cached"
        );
        assert!(
            cache.lookup(&q("DELETE", &[], false, 8001), Standard).hit(),
            "negative: default 5 s"
        );
    }

    #[test]
    fn clear_removes_the_url_entries() {
        let mut cache = PreflightCache::default();
        cache.store(O, U, false, &strings(&["PUT"]), &[], Some("100"), 0);
        cache.clear(O, U, 0);
        assert_eq!(cache.summary(1, Standard, O, U), (vec![], 0));
    }

    #[test]
    fn the_summary_counts_the_other_origin_and_url_groups() {
        let mut cache = PreflightCache::default();
        let other = "https://c.example";
        let put = strings(&["PUT"]);
        cache.store(O, U, false, &put, &[], Some("10"), 0);
        cache.store(
            O,
            "https://b.example/other",
            false,
            &put,
            &[],
            Some("10"),
            0,
        );
        cache.store(other, U, false, &put, &[], Some("100"), 0);
        cache.store(other, U, false, &strings(&["DELETE"]), &[], Some("100"), 0);
        assert_eq!(cache.summary(1, Standard, O, U), (strings(&["PUT"]), 2));
        cache.clear(O, "https://b.example/other", 1);
        assert_eq!(cache.summary(1, Standard, O, U), (strings(&["PUT"]), 1));
        // At t=20 only the other origin's entries are left.
        cache.prune(20);
        assert_eq!(cache.summary(20, Standard, O, U), (vec![], 1));
        assert_eq!(
            cache.summary(20, Standard, other, U),
            (strings(&["PUT", "DELETE"]), 0)
        );
    }
}
