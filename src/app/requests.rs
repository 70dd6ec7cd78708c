//! The requests list, in the spirit of DevTools' network panel: a recording opens on it. Each
//! row is one request with its verdict and cause; filters keep the blocked ones or one origin,
//! host, status or cause, `/` searches URLs, causes and header names and values, Enter steps into a
//! request and Esc comes back to the same row. Only state and decisions live here;
//! `ui::requests` draws it.

use std::borrow::Cow;

use super::search::{Search, SearchInput};
use crate::engine::{RequestRecord, Trace};
use crate::narrate::count;
use crate::scenario::Outcome;
use crate::scenario::recording::Recording;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestList {
    /// The list has the screen (rather than the steps of one request).
    pub open: bool,
    /// 0-based indexes into the trace's requests that pass the filter and the search.
    pub visible: Vec<usize>,
    /// Index into `visible` of the highlighted row.
    pub selected: usize,
    pub blocked_only: bool,
    /// Only the requests with this value in this column.
    pub narrowed: Option<(Facet, String)>,
    /// What `/` searches for: URLs, origins, causes, header names and values.
    pub search: SearchInput,
}

/// A column the list can be narrowed to one value of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facet {
    Origin,
    Host,
    Status,
    Cause,
}

impl Facet {
    pub fn name(self) -> &'static str {
        match self {
            Facet::Origin => "origin",
            Facet::Host => "host",
            Facet::Status => "status",
            Facet::Cause => "cause",
        }
    }

    /// The request's value in this column: `None` for a request without an origin (a raw
    /// client) or, for the cause, one that was not blocked. The status is the recorded one.
    fn of<'r>(
        self,
        request: &'r RequestRecord,
        recording: Option<&Recording>,
    ) -> Option<Cow<'r, str>> {
        match self {
            Facet::Origin => request.origin.as_deref().map(Cow::Borrowed),
            Facet::Host => Some(Cow::Borrowed(host_of(&request.url))),
            Facet::Status => Some(
                recorded_status(request, recording).map_or(Cow::Borrowed(NO_ANSWER), |status| {
                    Cow::Owned(status.to_string())
                }),
            ),
            Facet::Cause => (request.outcome == Outcome::Blocked)
                .then(|| Cow::Borrowed(request.cors_error.map_or("blocked", |e| e.name()))),
        }
    }
}

/// The status column's value for a request that got no answer.
pub const NO_ANSWER: &str = "—";

/// The host (and port) of an absolute URL as the engine holds it (parsed and serialized, so
/// the authority follows `://`, with no user or password left in it).
fn host_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or(after_scheme)
}

/// The cause column: DevTools' CorsError, or the real error CORS hid.
pub fn cause(request: &RequestRecord, recording: Option<&Recording>) -> String {
    // A no-cors load is never blocked by CORS, but something else may have stopped it.
    if request.withheld_by_orb().is_some() {
        return "withheld by ORB (not CORS)".to_string();
    }
    if request.refused_by_corp().is_some() {
        return "refused by its CORP (not CORS)".to_string();
    }
    if request.outcome != Outcome::Blocked {
        return String::new();
    }
    let name = request.cors_error.map_or("blocked", |e| e.name());
    match recorded_status(request, recording) {
        Some(status) if (400..=599).contains(&status) => {
            format!("real {status} hidden by CORS ({name})")
        }
        _ => name.to_string(),
    }
}

/// The status the browser recorded, or the last answer's in a simulation (`None`: no answer).
pub fn recorded_status(request: &RequestRecord, recording: Option<&Recording>) -> Option<i64> {
    match recording.and_then(|r| r.recorded.get(request.index - 1)) {
        Some(recorded) => (recorded.status != 0).then_some(recorded.status),
        None => request
            .exchanges
            .last()
            .map(|exchange| i64::from(exchange.response.status)),
    }
}

/// Whether `request` ended with no answer at all, a network error rather than CORS's refusal.
pub fn no_answer(request: &RequestRecord) -> bool {
    request.outcome == Outcome::Blocked
        && request
            .cors_error
            .is_some_and(|e| e.is_recorded_network_error())
}

/// The header line's totals: "412 CORS requests · 3 blocked · 1 real 401 hidden by CORS", and
/// the requests that got no answer apart ("· 1 failed": a network error).
pub fn totals(trace: &Trace, recording: Option<&Recording>) -> String {
    let (failed, blocked): (Vec<&RequestRecord>, Vec<&RequestRecord>) = trace
        .requests
        .iter()
        .filter(|r| r.outcome == Outcome::Blocked)
        .partition(|r| no_answer(r));
    let mut text = format!(
        "{} CORS request{} · {} blocked",
        count(trace.requests.len()),
        if trace.requests.len() == 1 { "" } else { "s" },
        count(blocked.len())
    );
    if !failed.is_empty() {
        text.push_str(&format!(" · {} failed", count(failed.len())));
    }
    let mut hidden: Vec<(i64, usize)> = Vec::new();
    for request in &blocked {
        if let Some(status) = recorded_status(request, recording)
            && (400..=599).contains(&status)
        {
            match hidden.iter_mut().find(|(s, _)| *s == status) {
                Some((_, n)) => *n += 1,
                None => hidden.push((status, 1)),
            }
        }
    }
    hidden.sort_unstable();
    for (status, n) in hidden {
        text.push_str(&format!(" · {} real {status} hidden by CORS", count(n)));
    }
    // Not in the list (no Origin, not CORS), but what the console shows beside CORS errors.
    let (orb, corp) = recording.map_or((0, 0), |r| {
        r.skipped
            .iter()
            .filter_map(|s| s.withheld.as_ref())
            .fold((0, 0), |(orb, corp), load| {
                if load.by_resource_policy() {
                    (orb, corp + 1)
                } else {
                    (orb + 1, corp)
                }
            })
    });
    if orb + corp > 0 {
        text.push_str(&format!(
            " · {} (not CORS; --print lists them)",
            crate::narrate::no_cors::withheld_loads_counted(orb, corp, true)
        ));
    }
    text
}

/// The header line while the recording is replayed: how far, and what it found so far.
pub fn totals_so_far(trace: &Trace, total: usize) -> String {
    let blocked = trace
        .requests
        .iter()
        .filter(|r| r.outcome == Outcome::Blocked)
        .count();
    format!(
        "Replaying: {} of {} CORS requests · {} blocked so far",
        count(trace.requests.len()),
        count(total),
        count(blocked)
    )
}

impl RequestList {
    /// Applies the filter and the search again. When the search only grew (a keystroke) and
    /// nothing else changed, only the rows left are searched again.
    pub fn narrow(&mut self, trace: &Trace, recording: Option<&Recording>, previous_query: &str) {
        let query = self.search.query.to_lowercase();
        if previous_query.is_empty() || !query.starts_with(&previous_query.to_lowercase()) {
            self.refilter(trace, recording);
            return;
        }
        let keep = self.current();
        let search = Search::new(&query);
        let rows = std::mem::take(&mut self.visible);
        self.visible = matching(&rows, trace, &search);
        self.reselect(keep);
    }

    /// The list over every request of `trace`, open or not.
    pub fn new(trace: &Trace, open: bool) -> Self {
        let mut list = RequestList {
            open,
            ..RequestList::default()
        };
        // Nothing is narrowed yet: no column needs the recording.
        list.refilter(trace, None);
        list
    }

    /// The request the highlighted row stands for (0-based), if any row is left.
    pub fn current(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// Narrows the list to the next value of `facet`: the first (the one with most requests
    /// among those the blocked filter keeps) when another facet or none narrowed it, then each
    /// in turn, then none.
    pub fn narrow_next(&mut self, facet: Facet, trace: &Trace, recording: Option<&Recording>) {
        let mut counts: std::collections::HashMap<Cow<str>, usize> = Default::default();
        let blocked_only = self.blocked_only;
        for request in trace
            .requests
            .iter()
            .filter(|r| !blocked_only || r.outcome == Outcome::Blocked)
        {
            if let Some(value) = facet.of(request, recording) {
                *counts.entry(value).or_default() += 1;
            }
        }
        let mut values: Vec<(Cow<str>, usize)> = counts.into_iter().collect();
        values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let next = match &self.narrowed {
            Some((narrowed, current)) if *narrowed == facet => values
                .iter()
                .position(|(value, _)| value == current)
                .and_then(|at| values.get(at + 1)),
            _ => values.first(),
        };
        self.narrowed = next.map(|(value, _)| (facet, value.to_string()));
        self.refilter(trace, recording);
    }

    /// Whether the blocked filter and the narrowing keep `request` (the search aside).
    fn keeps(&self, request: &RequestRecord, recording: Option<&Recording>) -> bool {
        (!self.blocked_only || request.outcome == Outcome::Blocked)
            && self.narrowed.as_ref().is_none_or(|(facet, value)| {
                facet.of(request, recording).as_deref() == Some(value.as_str())
            })
    }

    /// Applies the filters and the search again, keeping the same request highlighted when it
    /// is still in the list.
    pub fn refilter(&mut self, trace: &Trace, recording: Option<&Recording>) {
        let keep = self.current();
        let query = self.search.query.to_lowercase();
        let search = Search::new(&query);
        let rows: Vec<usize> = trace
            .requests
            .iter()
            .enumerate()
            .filter(|(_, r)| self.keeps(r, recording))
            .map(|(i, _)| i)
            .collect();
        self.visible = if query.is_empty() {
            rows
        } else {
            matching(&rows, trace, &search)
        };
        self.reselect(keep);
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Highlights request `keep` again after the rows changed, or the first row when it left.
    fn reselect(&mut self, keep: Option<usize>) {
        self.selected = 0;
        if let Some(index) = keep {
            self.select_request(index);
        }
    }

    /// Highlights the row of request `index` (0-based), when it is in the list.
    pub fn select_request(&mut self, index: usize) {
        if let Some(row) = self.visible.iter().position(|&i| i == index) {
            self.selected = row;
        }
    }
}

/// The rows of `rows` whose request `search` finds, in order. A long list is searched in
/// chunks on every core: a keystroke reads each request's headers, which for 100,000 requests
/// is more than one core reads in 100 ms (benches/engine.rs, requests_list_search_100k).
fn matching(rows: &[usize], trace: &Trace, search: &Search) -> Vec<usize> {
    let keep = |chunk: &[usize]| -> Vec<usize> {
        chunk
            .iter()
            .copied()
            .filter(|&i| trace.requests.get(i).is_some_and(|r| finds(search, r)))
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if rows.len() < 10_000 || threads < 2 {
        return keep(rows);
    }
    let size = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = rows
            .chunks(size)
            .map(|chunk| scope.spawn(move || keep(chunk)))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_default())
            .collect()
    })
}

/// Whether `search` is in the request's method, URL, origin or cause, or in a header name or
/// value of any message it sent or got.
fn finds(search: &Search, request: &RequestRecord) -> bool {
    search.has(&request.method)
        || search.has(&request.url)
        || request.origin.as_deref().is_some_and(|o| search.has(o))
        || Facet::Cause
            .of(request, None)
            .is_some_and(|cause| search.has(&cause))
        || request.exchanges.iter().any(|exchange| {
            exchange
                .request
                .headers
                .iter()
                .chain(&exchange.response.headers)
                .any(|(name, value)| search.has(name) || search.has(value))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{BrowserProfile, load_str};

    fn trace(name: &str) -> Trace {
        let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        match load_str(&text, name) {
            Ok(s) => crate::engine::run(&s, BrowserProfile::Chromium),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_filter_keeps_blocked_requests_and_the_highlight_stays_put() {
        let trace = trace("dangerous-rules");
        let mut list = RequestList::new(&trace, true);
        assert_eq!(list.visible, [0, 1, 2, 3, 4]);
        list.select_request(4);
        list.blocked_only = true;
        list.refilter(&trace, None);
        assert_eq!(list.visible, [4], "only the attacker's request is blocked");
        assert_eq!(list.current(), Some(4));
        list.blocked_only = false;
        list.refilter(&trace, None);
        assert_eq!(
            list.current(),
            Some(4),
            "the same request stays highlighted"
        );
        list.move_by(10);
        assert_eq!(list.current(), Some(4), "the last row is as far as it goes");
        list.move_by(-2);
        assert_eq!(list.current(), Some(2));
    }

    #[test]
    fn each_press_narrows_to_the_next_origin_busiest_first_then_all() {
        let trace = trace("basic");
        let mut list = RequestList::new(&trace, true);
        list.narrow_next(Facet::Origin, &trace, None);
        assert_eq!(
            list.narrowed,
            Some((Facet::Origin, "https://example.com".to_string()))
        );
        assert_eq!(list.visible, [0, 1], "the origin with most requests first");
        list.narrow_next(Facet::Origin, &trace, None);
        assert_eq!(list.visible, [2]);
        list.narrow_next(Facet::Origin, &trace, None);
        assert_eq!(list.narrowed, None, "after the last origin, all again");
        assert_eq!(list.visible, [0, 1, 2]);
        // With only blocked requests shown, only the origins of blocked ones are offered.
        list.blocked_only = true;
        list.narrow_next(Facet::Origin, &trace, None);
        assert_eq!(
            list.narrowed,
            Some((Facet::Origin, "https://malicious.com".to_string()))
        );
        assert_eq!(list.visible, [2]);
    }

    #[test]
    fn ties_go_in_order_and_another_column_starts_afresh() {
        let trace = trace("dangerous-rules");
        let mut list = RequestList::new(&trace, true);
        let mut seen = Vec::new();
        loop {
            list.narrow_next(Facet::Origin, &trace, None);
            let Some((_, origin)) = &list.narrowed else {
                break;
            };
            assert_eq!(list.visible.len(), 1, "{origin}: one request each");
            seen.push(origin.clone());
        }
        assert_eq!(
            seen,
            [
                "http://app.example.com",
                "https://app.example.com",
                "https://evil.example",
                "https://old-campaign.example.com",
                "null"
            ]
        );
        list.narrow_next(Facet::Origin, &trace, None);
        list.narrow_next(Facet::Cause, &trace, None);
        assert_eq!(
            list.narrowed,
            Some((Facet::Cause, "MissingAllowOriginHeader".to_string())),
            "another column replaces the origin rather than adding to it"
        );
        assert_eq!(list.visible, [4], "only blocked requests have a cause");
        list.narrow_next(Facet::Host, &trace, None);
        assert_eq!(
            list.narrowed,
            Some((Facet::Host, "user-exports.s3.amazonaws.com".to_string()))
        );
        assert_eq!(list.visible, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_host_is_the_authority_with_its_port() {
        assert_eq!(host_of("https://a.example:8443/x?y#z"), "a.example:8443");
        assert_eq!(host_of("http://[::1]:3000"), "[::1]:3000");
        assert_eq!(host_of("https://b.example?q"), "b.example");
        assert_eq!(host_of("not a url"), "not a url");
    }

    #[test]
    fn search_finds_a_cause_by_name() {
        let trace = trace("basic");
        let mut list = RequestList::new(&trace, true);
        list.search.query = "missingallow".to_string();
        list.refilter(&trace, None);
        assert_eq!(list.visible, [2]);
    }

    #[test]
    fn search_looks_in_urls_origins_and_header_names_and_values() {
        let trace = trace("basic");
        let mut list = RequestList::new(&trace, true);
        list.search.query = "MALICIOUS".to_string();
        list.refilter(&trace, None);
        assert_eq!(list.visible, [2], "an origin, case-insensitive");
        list.search.query = "application/json".to_string();
        list.refilter(&trace, None);
        assert_eq!(list.visible, [1], "a request header's value");
        list.search.query = "access-control-request-method".to_string();
        list.refilter(&trace, None);
        assert_eq!(
            list.visible,
            [0, 1],
            "a response header's value: S3's Vary names it"
        );
        list.search.query = "nowhere".to_string();
        list.refilter(&trace, None);
        assert!(list.visible.is_empty());
        assert_eq!(list.current(), None);
    }

    #[test]
    fn a_longer_search_narrows_the_rows_left_and_a_shorter_one_starts_over() {
        let trace = trace("basic");
        let mut list = RequestList::new(&trace, true);
        list.search.query = "Malic".to_string();
        list.narrow(&trace, None, "");
        assert_eq!(list.visible, [2], "malicious.com");
        list.search.query = "Malicious.c".to_string();
        list.narrow(&trace, None, "Malic");
        assert_eq!(list.visible, [2]);
        list.search.query = "p".to_string();
        list.narrow(&trace, None, "Malicious.c");
        assert_eq!(
            list.visible,
            [0, 1, 2],
            "a different search reads every row again"
        );
        let search = Search::new("content-t");
        assert!(search.has("Content-Type"));
        assert!(Search::new("über").has("ÜBER"));
        assert!(!Search::new("abcd").has("abc"));
    }

    /// A request that got no answer failed at the network: counted apart from CORS's refusals.
    #[test]
    fn totals_count_the_requests_that_got_no_answer_apart() {
        let har = std::fs::read_to_string(format!(
            "{}/tests/fixtures/firefox/api.har",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap_or_default();
        let import = match crate::formats::har::load_har(&har, "api.har", true) {
            Ok(import) => import,
            Err(e) => panic!("{e:?}"),
        };
        let trace = crate::engine::run(&import.scenario, BrowserProfile::Chromium);
        assert_eq!(
            totals(&trace, Some(&import.recording)),
            "21 CORS requests · 9 blocked · 1 failed · 1 real 400 hidden by CORS"
        );
        let dead = trace.requests.iter().filter(|r| no_answer(r)).count();
        assert_eq!(dead, 1, "the fetch to the port where nothing listens");
    }

    #[test]
    fn totals_count_the_real_errors_cors_hid() {
        let trace = trace("masked-error");
        assert_eq!(
            totals(&trace, None),
            "2 CORS requests · 1 blocked · 1 real 500 hidden by CORS"
        );
        assert_eq!(
            cause(&trace.requests[1], None),
            "real 500 hidden by CORS (MissingAllowOriginHeader)"
        );
        assert_eq!(cause(&trace.requests[0], None), "");
        let orb = self::trace("orb-is-not-cors");
        assert_eq!(cause(&orb.requests[1], None), "withheld by ORB (not CORS)");
        assert_eq!(cause(&orb.requests[0], None), "");
        let corp = self::trace("corp-is-not-cors");
        assert_eq!(
            cause(&corp.requests[0], None),
            "refused by its CORP (not CORS)"
        );
    }

    #[test]
    fn totals_count_the_loads_orb_withheld() {
        use crate::scenario::recording::{Recording, Skipped, WithheldLoad};
        let trace = trace("masked-error");
        let skipped = |withheld: Option<Box<WithheldLoad>>| Skipped {
            method: "GET".to_string(),
            url: "https://bucket.example/missing.jpg".to_string(),
            reason: String::new(),
            withheld,
        };
        let load = WithheldLoad {
            error: "net::ERR_BLOCKED_BY_ORB".to_string(),
            status: 404,
            content_type: Some("application/xml".to_string()),
            resource_type: Some("image".to_string()),
            inferred: false,
            resource_policy: None,
        };
        let recording = Recording {
            recorded: Vec::new(),
            entries: 4,
            skipped: vec![skipped(Some(Box::new(load))), skipped(None)],
        };
        assert_eq!(
            totals(&trace, Some(&recording)),
            "2 CORS requests · 1 blocked · 1 real 500 hidden by CORS · 1 load withheld by ORB (not CORS; --print lists them)"
        );
    }
}
