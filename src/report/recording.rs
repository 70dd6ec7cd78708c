//! `--print` for a recording: what a developer with a HAR asks first. Which requests were
//! blocked, why (grouped by cause, then by page origin and by host and path pattern), one
//! request of each group with Chromium's console line and the fix for the group, the errors
//! CORS hid, and the allowed requests in a line each (counted when many). Every step of every
//! request only on request (`--steps all`, `--request N`).
//!
//! It runs the replay one request at a time and keeps a line per request and a representative
//! per group, so memory is bounded by the groups and the largest request, not by the file.

use std::io::{self, Write};

use crate::analysis::fix::{self, Fix, Scope};
use crate::engine::corp::CorpPolicy;
use crate::engine::{self, RequestRecord, Trace};
use crate::narrate::{count, counted};
use crate::safe_text::escape;
use crate::scenario::recording::Recording;
use crate::scenario::{BrowserProfile, Outcome, Scenario};

use super::text::{wrap, write_fix};

/// Allowed requests listed one per line up to this many; beyond, counted by host.
const LISTED_ALLOWED: usize = 30;
/// Groups whose fix is proven while a large run goes on, each on a thread of its own; the
/// others' once it has ended.
const PROVEN_AS_IT_RUNS: usize = 12;
/// Request numbers named per group; beyond, "and N more".
const LISTED_MEMBERS: usize = 12;

/// What a group of failed requests has in common.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cause {
    /// Blocked by CORS with this DevTools `CorsError`.
    Cors(&'static str),
    /// Blocked by CORS, but the server had answered an error status: CORS hid it.
    Hidden { status: i64, error: &'static str },
    /// No answer at all (`net::ERR_…`).
    Network(&'static str),
}

/// The report's sections of failed requests, in the order they are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Cors,
    Hidden,
    Network,
}

impl Section {
    const ALL: [(Section, &'static str); 3] = [
        (Section::Cors, "BLOCKED BY CORS"),
        (Section::Hidden, "A REAL ERROR HIDDEN BY CORS"),
        (Section::Network, "NO ANSWER (NETWORK ERRORS)"),
    ];
}

impl Cause {
    fn section(&self) -> Section {
        match self {
            Cause::Cors(_) => Section::Cors,
            Cause::Hidden { .. } => Section::Hidden,
            Cause::Network(_) => Section::Network,
        }
    }
}

/// One request, as the report's lists need it.
struct Line {
    index: usize,
    method: String,
    url: String,
    outcome: Outcome,
    status: i64,
    agrees: Option<bool>,
}

struct Group {
    cause: Cause,
    members: Vec<usize>,
    /// (page origin, requests), in order of first appearance.
    origins: Tally,
    /// (host and path pattern, requests).
    places: Tally,
    representative: RequestRecord,
    fix: Option<Fix>,
    /// What the representative asks of the server, and how many members ask the same: the
    /// group's fix is theirs, not the others'.
    asks: Option<fix::Asks>,
    alike: usize,
}

/// How many requests each key (an origin, a place) has, in the order the keys came: found by
/// hash, as a recording may hold 100,000 different places.
#[derive(Default)]
struct Tally {
    counts: Vec<(String, usize)>,
    at: foldhash::HashMap<String, usize>,
}

impl Tally {
    fn of(key: String) -> Tally {
        let mut tally = Tally::default();
        tally.add(key);
        tally
    }

    fn add(&mut self, key: String) {
        match self.at.get(&key) {
            Some(&at) => self.counts[at].1 += 1,
            None => {
                self.at.insert(key.clone(), self.counts.len());
                self.counts.push((key, 1));
            }
        }
    }
}

/// A URL's host and path with its variable segments (numbers, long hex or ids) as `{id}`, and
/// without its query: requests to `/users/42/export` and `/users/7/export` are one place.
pub fn place_of(url: &url::Url) -> String {
    let is_variable = |segment: &str| {
        let hexlike = segment.len() >= 16
            && segment
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '_');
        !segment.is_empty() && (segment.bytes().all(|b| b.is_ascii_digit()) || hexlike)
    };
    let mut place = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        place.push_str(&format!(":{port}"));
    }
    for (i, segment) in url.path().split('/').enumerate() {
        if i > 0 {
            place.push('/');
        }
        place.push_str(if is_variable(segment) {
            "{id}"
        } else {
            segment
        });
    }
    place
}

/// Replays the recording and writes the report; returns the requests whose expectation failed.
/// `trace` is the whole run when the caller has made it already (to write every step after
/// the report), so it is not made again.
pub fn write(
    out: &mut impl Write,
    scenario: &Scenario,
    (profile, trace): (BrowserProfile, Option<&Trace>),
    recording: &Recording,
    all: bool,
    width: u16,
) -> io::Result<Vec<RequestRecord>> {
    let w = usize::from(width);
    let scope = Scope::new(scenario);
    // A change a redirect carries further is proven on the whole run, for a recording small
    // enough to re-run for each group.
    let made;
    let whole = match trace {
        Some(trace) => Some(trace),
        None if scope.is_none() && scenario.requests.len() <= fix::MAX_REQUESTS_FOR_FIXES => {
            made = engine::run(scenario, profile);
            Some(&made)
        }
        None => None,
    };
    let mut lines: Vec<Line> = Vec::with_capacity(scenario.requests.len());
    let mut groups: Vec<Group> = Vec::new();
    let mut failed = Vec::new();
    // The whole run, when there is one, is not run again; else a run for verdicts alone: the
    // report shows no steps.
    let records: Box<dyn Iterator<Item = RequestRecord> + '_> = match whole {
        Some(trace) => Box::new(trace.requests.iter().cloned()),
        None => Box::new(
            engine::Requests::for_verdicts(scenario, profile).map(|(record, _steps)| record),
        ),
    };
    std::thread::scope(|threads| {
        // Rules, a layer in front or a redirect meet every request, so a group's fix is proven on
        // the whole run; when the run is too large to keep, against its verdicts as they are made,
        // on the other core while this one runs it.
        let mut proofs = (whole.is_none() && scope.is_none())
            .then(|| fix::ProvingAsItRuns::new(threads, scenario, profile));
        for record in records {
            if let Some(proofs) = &proofs {
                proofs.verdict(record.outcome);
            }
            let recorded = recording.recorded.get(record.index - 1);
            let status = recorded.map_or(0, |r| r.status);
            lines.push(Line {
                index: record.index,
                method: record.method.clone(),
                url: record.url.clone(),
                outcome: record.outcome,
                status,
                agrees: recorded.and_then(|r| record.agrees_with(r)),
            });
            if !record.expectation_met() {
                failed.push(RequestRecord {
                    exchanges: Vec::new(),
                    ..record.clone()
                });
            }
            if record.outcome != Outcome::Blocked {
                continue;
            }
            let error = record.cors_error.map_or("unknown", |e| e.name());
            let cause = match record.cors_error {
                Some(e) if e.is_network_error() => Cause::Network(error),
                _ if (400..=599).contains(&status) => Cause::Hidden { status, error },
                _ => Cause::Cors(error),
            };
            let origin = record.origin.clone().unwrap_or_else(|| "null".to_string());
            let place = place_at(scenario, record.index, &record.url);
            match groups.iter_mut().find(|g| g.cause == cause) {
                Some(group) => {
                    group.members.push(record.index);
                    group.origins.add(origin);
                    group.places.add(place);
                    if group.asks.is_some() && group.asks == fix::Asks::of(scenario, &record) {
                        group.alike += 1;
                    }
                }
                None => {
                    // The first request of a group stands for it: its fix is the group's.
                    let fix = match (&cause, &scope, whole) {
                        (Cause::Network(_), _, _) | (_, None, None) => None,
                        (_, Some(scope), _) => fix::streamed_fix(scenario, profile, scope, &record),
                        (_, None, Some(trace)) => fix::fix_for(scenario, trace, &record),
                    };
                    let asks = fix::Asks::of(scenario, &record);
                    if let Some(proofs) = &mut proofs
                        && !matches!(cause, Cause::Network(_))
                        && proofs.proving() < PROVEN_AS_IT_RUNS
                    {
                        proofs.prove(RequestRecord {
                            exchanges: Vec::new(),
                            ..record.clone()
                        });
                    }
                    groups.push(Group {
                        cause,
                        asks,
                        alike: 1,
                        members: vec![record.index],
                        origins: Tally::of(origin),
                        places: Tally::of(place),
                        representative: RequestRecord {
                            exchanges: Vec::new(),
                            ..record
                        },
                        fix,
                    });
                }
            }
        }
        if let Some(proofs) = proofs {
            let (outcomes, mut proven) = proofs.finish();
            let base = fix::Baseline::new(profile, outcomes);
            for group in &mut groups {
                if group.fix.is_some() || matches!(group.cause, Cause::Network(_)) {
                    continue;
                }
                group.fix = match proven.remove(&group.representative.index) {
                    Some(fix) => fix,
                    // Past the groups proven as it ran.
                    None => fix::fix_against(scenario, &base, &group.representative),
                };
            }
        }
    });
    write_report(out, (recording, scenario), &lines, &groups, all, w)?;
    Ok(failed)
}

/// Where a recording is replayed against other rules than its own answers (`--config`): what
/// the rules are, as the server names them.
pub fn replayed_against(scenario: &Scenario) -> Option<&str> {
    match scenario.server.kind {
        crate::scenario::ServerKind::Recorded { .. } => None,
        _ => Some(
            scenario
                .server
                .rules_from
                .as_deref()
                .unwrap_or("other rules"),
        ),
    }
}

/// The place of request `index` (1-based) of `scenario`, from its parsed URL; `url` as it is
/// for a request the scenario does not hold.
fn place_at(scenario: &Scenario, index: usize, url: &str) -> String {
    match scenario.requests.get(index.wrapping_sub(1)) {
        Some(request) => place_of(&request.url),
        None => url.to_string(),
    }
}

/// How many of a recording's withheld loads are listed one per line.
const WITHHELD_LISTED: usize = 10;

/// The recording's no-cors loads Chromium's Opaque Response Blocking withheld or their own
/// Cross-Origin-Resource-Policy refused: not CORS, but what the console shows beside CORS
/// errors, so the report says what they are.
fn write_withheld_loads(out: &mut impl Write, recording: &Recording, w: usize) -> io::Result<()> {
    let withheld: Vec<(&crate::scenario::recording::Skipped, _)> = recording
        .skipped
        .iter()
        .filter_map(|s| s.withheld.as_ref().map(|load| (s, load)))
        .collect();
    if withheld.is_empty() {
        return Ok(());
    }
    let corp = withheld
        .iter()
        .filter(|(_, load)| load.by_resource_policy())
        .count();
    let orb: Vec<_> = withheld
        .iter()
        .filter(|(_, load)| !load.by_resource_policy())
        .collect();
    writeln!(out)?;
    writeln!(
        out,
        "NOT CORS: {}",
        crate::narrate::no_cors::withheld_loads_counted(orb.len(), corp, false)
    )?;
    for (skipped, load) in withheld.iter().take(WITHHELD_LISTED) {
        let line = format!(
            "   {} {} — {}",
            escape(&skipped.method),
            escape(&skipped.url),
            escape(&crate::narrate::no_cors::withheld_load(load))
        );
        writeln!(out, "{}", wrap(&line, w, "     "))?;
    }
    if withheld.len() > WITHHELD_LISTED {
        writeln!(
            out,
            "   … and {} more (--all lists every skipped entry)",
            count(withheld.len() - WITHHELD_LISTED)
        )?;
    }
    if !orb.is_empty() {
        let explained = crate::narrate::no_cors::withheld_loads_explained(
            orb.iter().any(|(_, load)| load.status >= 400),
            orb.iter().any(|(_, load)| load.inferred),
        );
        writeln!(out, "{}", wrap(&format!("   {explained}"), w, "   "))?;
    }
    if corp > 0 {
        let explained = crate::narrate::no_cors::refused_loads_explained(
            withheld
                .iter()
                .any(|(_, load)| load.error == CorpPolicy::SameOriginByCoep.network_error()),
        );
        writeln!(out, "{}", wrap(&format!("   {explained}"), w, "   "))?;
    }
    Ok(())
}

fn write_report(
    out: &mut impl Write,
    (recording, scenario): (&Recording, &Scenario),
    lines: &[Line],
    groups: &[Group],
    all: bool,
    w: usize,
) -> io::Result<()> {
    let in_section = |section: Section| -> Vec<&Group> {
        groups
            .iter()
            .filter(|g| g.cause.section() == section)
            .collect()
    };
    let requests_in =
        |section: Section| -> usize { in_section(section).iter().map(|g| g.members.len()).sum() };
    let by_cors = requests_in(Section::Cors);
    let hidden = requests_in(Section::Hidden);
    let network = requests_in(Section::Network);
    let allowed: Vec<&Line> = lines
        .iter()
        .filter(|l| l.outcome == Outcome::Allowed)
        .collect();
    writeln!(out, "RECORDING")?;
    let headline = format!(
        "{} entr{}: {} cross-origin request{} replayed · {} allowed · {} blocked by CORS{}{} · {} same-origin or not CORS (skipped{}).",
        count(recording.entries),
        if recording.entries == 1 { "y" } else { "ies" },
        count(lines.len()),
        plural(lines.len()),
        count(allowed.len()),
        count(by_cors + hidden),
        match hidden {
            0 => String::new(),
            n => format!(" ({} hiding a real error)", count(n)),
        },
        match network {
            0 => String::new(),
            n => format!(" · {} failed with a network error", count(n)),
        },
        count(recording.skipped.len()),
        if all || recording.skipped.is_empty() {
            ""
        } else {
            "; --all lists them"
        }
    );
    writeln!(out, "{}", wrap(&headline, w, ""))?;
    let disagree: Vec<usize> = lines
        .iter()
        .filter(|l| l.agrees == Some(false))
        .map(|l| l.index)
        .collect();
    let verdict = if let Some(rules) = replayed_against(scenario) {
        changed_by_rules(rules, lines)
    } else if disagree.is_empty() {
        let unknown = lines.iter().filter(|l| l.agrees.is_none()).count();
        match unknown {
            0 => "The replay agrees with what the browser recorded on every request.".to_string(),
            1 => "The replay agrees with the recording wherever it says what the browser did (1 entry does not: Firefox records no verdict).".to_string(),
            n => format!(
                "The replay agrees with the recording wherever it says what the browser did ({} entries do not: Firefox records no verdict).",
                count(n)
            ),
        }
    } else {
        format!(
            "The replay DISAGREES with the recording on {}: {}. Each is worth a look (--print --request N).",
            count(disagree.len()),
            members_text(&disagree)
        )
    };
    writeln!(out, "{}", wrap(&verdict, w, ""))?;
    write_withheld_loads(out, recording, w)?;
    if all {
        for skipped in &recording.skipped {
            writeln!(
                out,
                "  skipped: {} {} ({})",
                escape(&skipped.method),
                escape(&skipped.url),
                escape(&skipped.reason)
            )?;
        }
    }

    let mut number = 0;
    for (section, title) in Section::ALL {
        let members = in_section(section);
        if members.is_empty() {
            continue;
        }
        let requests: usize = members.iter().map(|g| g.members.len()).sum();
        writeln!(out)?;
        writeln!(
            out,
            "{title}: {}, {}",
            counted(requests, "request"),
            counted(members.len(), "cause")
        )?;
        for group in members {
            number += 1;
            write_group(out, number, group, recording, w)?;
        }
    }

    writeln!(out)?;
    writeln!(out, "ALLOWED: {}", counted(allowed.len(), "request"))?;
    if allowed.len() <= LISTED_ALLOWED || all {
        for line in &allowed {
            let text = format!(
                "#{} {} {} ({})",
                line.index,
                escape(&line.method),
                escape(&line.url),
                line.status
            );
            say(out, "   ", &text, w)?;
            // --all: how the importer rebuilt each one too.
            if all && let Some(recorded) = recording.recorded.get(line.index - 1) {
                for note in &recorded.notes {
                    say(out, "     ", &escape(note), w)?;
                }
            }
        }
    } else {
        let mut tally = Tally::default();
        for line in &allowed {
            tally.add(place_at(scenario, line.index, &line.url));
        }
        let mut places = tally.counts;
        places.sort_by_key(|place| std::cmp::Reverse(place.1));
        for (place, n) in places.iter().take(LISTED_ALLOWED) {
            writeln!(out, "   {} × {}", count(*n), escape(place))?;
        }
        if places.len() > LISTED_ALLOWED {
            writeln!(
                out,
                "   and {} more places",
                count(places.len() - LISTED_ALLOWED)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        wrap(
            "Every step of one request: --print --request N. Every step of every request: --print --steps all.",
            w,
            ""
        )
    )?;
    Ok(())
}

fn write_group(
    out: &mut impl Write,
    number: usize,
    group: &Group,
    recording: &Recording,
    w: usize,
) -> io::Result<()> {
    let head = match &group.cause {
        Cause::Cors(error) => format!("[{number}] {error}"),
        Cause::Hidden { status, error } => format!(
            "[{number}] {status} {}, reported as {error}",
            crate::http::reason_phrase(u16::try_from(*status).unwrap_or(0))
        ),
        Cause::Network(error) => format!("[{number}] {error}"),
    };
    let text = format!(
        "{head} — {}: {}",
        counted(group.members.len(), "request"),
        members_text(&group.members)
    );
    writeln!(out, "{}", wrap(&text, w, "    "))?;
    let tally = |tally: &[(String, usize)]| -> String {
        let shown: Vec<String> = tally
            .iter()
            .take(LISTED_MEMBERS)
            .map(|(key, n)| format!("{} ({})", escape(key), count(*n)))
            .collect();
        match tally.len().saturating_sub(LISTED_MEMBERS) {
            0 => shown.join(", "),
            more => format!("{}, and {} more", shown.join(", "), count(more)),
        }
    };
    say(
        out,
        "   ",
        &format!("from: {}", tally(&group.origins.counts)),
        w,
    )?;
    say(
        out,
        "   ",
        &format!("to:   {}", tally(&group.places.counts)),
        w,
    )?;
    let r = &group.representative;
    let recorded = recording.recorded.get(r.index - 1);
    let example = format!(
        "e.g. #{} {} {} (recorded: {}{})",
        r.index,
        escape(&r.method),
        escape(&r.url),
        recorded.map_or(0, |rec| rec.status),
        recorded
            .and_then(|rec| rec.error.as_deref())
            .map(|e| format!(", {}", escape(e)))
            .unwrap_or_default()
    );
    say(out, "   ", &example, w)?;
    match &group.cause {
        Cause::Hidden { status, .. } => say(
            out,
            "   ",
            &format!(
                "The server answered {status} without CORS headers, and the page saw only a CORS failure: fix the error itself, or have error answers carry the CORS headers too, so the page can read what went wrong."
            ),
            w,
        )?,
        // A network error's own note (below) says what failed.
        Cause::Network(_) | Cause::Cors(_) => {}
    }
    if let Some(console) = &r.error() {
        say(out, "   ", &format!("Console: {}", escape(console)), w)?;
    }
    if let Some(recorded) = recorded {
        for note in &recorded.notes {
            say(out, "   ", &escape(note), w)?;
        }
    }
    if let Some(fix) = &group.fix {
        write_fix(out, fix, r.index, w)?;
        // The proven headers as the servers it most likely is would set them.
        if fix.proven
            && let Some(policy) = &fix.policy
        {
            for snippet in super::server_snippets::snippets(policy) {
                say(out, "   ", &format!("In {}:", snippet.server), w)?;
                for line in &snippet.lines {
                    writeln!(out, "       {}", escape(line))?;
                }
            }
        }
        let others = group.members.len() - group.alike;
        let text = match (group.alike, others) {
            (_, 0) if group.members.len() > 1 => {
                "The same change is the fix for every request of this group; --print --request N shows each.".to_string()
            }
            (_, 0) => String::new(),
            (1, 1) => "The other request of this group asks for something else (another origin, method, request headers or credentials mode), so this change is not its fix: --print --request N shows its own.".to_string(),
            (1, _) => format!(
                "The other {} requests of this group ask for something else (another origin, method, request headers or credentials mode), so this change is not theirs: --print --request N shows each one's fix.",
                count(others)
            ),
            (alike, _) => format!(
                "The same change is the fix for the {} of this group that ask what #{} asks (its origin, method, request headers and credentials mode); {} for something else: --print --request N shows each one's fix.",
                counted(alike, "request"),
                r.index,
                match others {
                    1 => "the other request asks".to_string(),
                    n => format!("the other {} ask", count(n)),
                }
            ),
        };
        if !text.is_empty() {
            say(out, "   ", &text, w)?;
        }
    }
    Ok(())
}

/// What the rules a recording was replayed against change: the requests that end otherwise
/// than the browser recorded, in each direction. They are the point of `--config`, not a
/// fault of the replay.
fn changed_by_rules(rules: &str, lines: &[Line]) -> String {
    let otherwise = |outcome: Outcome| -> Vec<usize> {
        lines
            .iter()
            .filter(|l| l.agrees == Some(false) && l.outcome == outcome)
            .map(|l| l.index)
            .collect()
    };
    let (now_blocked, now_allowed) = (otherwise(Outcome::Blocked), otherwise(Outcome::Allowed));
    let mut text = format!(
        "Replayed against the rules of {} in place of the answers the browser recorded: ",
        escape(rules)
    );
    if now_blocked.is_empty() && now_allowed.is_empty() {
        text.push_str("every request ends as the browser recorded it.");
        return text;
    }
    let parts: Vec<String> = [
        (&now_blocked, "let through", "blocked by these rules"),
        (&now_allowed, "blocked", "allowed by them"),
    ]
    .into_iter()
    .filter(|(requests, ..)| !requests.is_empty())
    .map(|(requests, browser, rules)| {
        format!(
            "{} the browser {browser} {} {rules} ({})",
            counted(requests.len(), "request"),
            if requests.len() == 1 { "is" } else { "are" },
            members_text(requests)
        )
    })
    .collect();
    text.push_str(&parts.join("; "));
    text.push('.');
    text
}

/// `text` wrapped to `w` columns, every line indented by `indent`.
fn say(out: &mut impl Write, indent: &str, text: &str, w: usize) -> io::Result<()> {
    let continued = format!("{indent}  ");
    writeln!(out, "{}", wrap(&format!("{indent}{text}"), w, &continued))
}

/// `#1, #2, …` up to [`LISTED_MEMBERS`], then how many more: only those listed are put in
/// words (a group may hold 100,000 requests).
pub(super) fn members_text(members: &[usize]) -> String {
    let shown: Vec<String> = members
        .iter()
        .take(LISTED_MEMBERS)
        .map(|index| format!("#{index}"))
        .collect();
    match members.len().saturating_sub(LISTED_MEMBERS) {
        0 => shown.join(", "),
        more => format!("{} and {} more", shown.join(", "), count(more)),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn places_fold_ids_and_drop_queries() {
        let place_of = |url: &str| match url::Url::parse(url) {
            Ok(url) => super::place_of(&url),
            Err(err) => panic!("{url}: {err}"),
        };
        assert_eq!(
            place_of("https://api.example/users/42/export.json?x=1"),
            "https://api.example/users/{id}/export.json"
        );
        assert_eq!(
            place_of("https://api.example:8443/o/3f2a9c1e4b5d6a7f8e9d/items"),
            "https://api.example:8443/o/{id}/items"
        );
        assert_eq!(
            place_of("https://api.example/v2/star"),
            "https://api.example/v2/star"
        );
        assert_eq!(place_of("https://api.example/"), "https://api.example/");
    }
}
