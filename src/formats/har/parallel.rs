//! Reads a large HAR's entries on two threads: the main thread from the first entry, a helper
//! from an entry near the middle of the file.
//!
//! The helper's starting point is a guess made from the bytes, so it is only trusted when the
//! main thread, parsing entry by entry, lands exactly on it: from an entry's first byte the rest
//! of the array parses the same whoever does it. Anything unexpected (a bad guess, a syntax
//! error, a duplicate key) gives `None`, and the caller parses the file the ordinary way, which
//! also places the error.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Creator, Entries, Entry, Har, Log, Page};

/// Below this, a second thread costs more than it saves.
const PARALLEL_FROM_BYTES: usize = 8 << 20;

/// The whole file, or `None` where the ordinary parse must decide.
pub(super) fn parse(text: &str) -> Option<Har<'_>> {
    if text.len() < PARALLEL_FROM_BYTES
        || std::thread::available_parallelism().map_or(1, usize::from) < 2
    {
        return None;
    }
    parse_in_two(text)
}

pub(super) fn parse_in_two(text: &str) -> Option<Har<'_>> {
    let mut log = None;
    let end = object(text, skip_space(text, 0), |key, at| {
        if key != "log" {
            return skip_value(text, at);
        }
        if log.is_some() {
            // A second `log` is an error for the ordinary parse to report.
            return None;
        }
        let (value, end) = parse_log(text, at)?;
        log = Some(value);
        Some(end)
    })?;
    // As `serde_json::from_str`: nothing but whitespace may follow.
    (skip_space(text, end) == text.len()).then_some(Har { log: log? })
}

fn parse_log(text: &str, at: usize) -> Option<(Log<'_>, usize)> {
    let (mut creator, mut entries, mut pages) = (None, None, None);
    let end = object(text, at, |key, at| match key {
        "creator" if creator.is_none() => {
            let (value, end) = value_at::<Creator>(text, at)?;
            creator = Some(value);
            Some(end)
        }
        "pages" if pages.is_none() => {
            let (value, end) = value_at::<Vec<Page>>(text, at)?;
            pages = Some(value);
            Some(end)
        }
        "entries" if entries.is_none() => {
            let (value, end) = parse_entries(text, at)?;
            entries = Some(value);
            Some(end)
        }
        // A second `creator`, `pages` or `entries` is an error for the ordinary parse to report.
        "creator" | "pages" | "entries" => None,
        _ => skip_value(text, at),
    })?;
    let log = Log {
        creator: creator.unwrap_or_default(),
        pages: pages.unwrap_or_default(),
        entries: entries.unwrap_or_default(),
    };
    Some((log, end))
}

/// The entries array starting at `at`; returns the entries and the position after `]`.
fn parse_entries(text: &str, at: usize) -> Option<(Entries<'_>, usize)> {
    let open = skip_space(text, at);
    if text.as_bytes().get(open) != Some(&b'[') {
        return None;
    }
    let first = skip_space(text, open + 1);
    let Some(split) = split_guess(text, first) else {
        return run_of_entries(text, first, usize::MAX, &AtomicBool::new(false))
            .map(|run| (run.entries, run.end));
    };
    let give_up = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| run_of_entries(text, split, usize::MAX, &give_up));
        let head = run_of_entries(text, first, split, &AtomicBool::new(false));
        let Some(mut head) = head else {
            give_up.store(true, Ordering::Relaxed);
            return None;
        };
        if head.closed {
            // The array ended before the guess.
            give_up.store(true, Ordering::Relaxed);
            return Some((head.entries, head.end));
        }
        let tail = if head.end == split {
            // From an entry's first byte, the rest parses the same on either thread.
            helper.join().ok().flatten()?
        } else {
            // The main thread stepped over the guess, which was not an entry's start: it
            // parses the rest itself.
            give_up.store(true, Ordering::Relaxed);
            run_of_entries(text, head.end, usize::MAX, &AtomicBool::new(false))?
        };
        head.entries.append(tail.entries);
        Some((head.entries, tail.end))
    })
}

/// Entries parsed from one position on.
struct Run<'a> {
    entries: Entries<'a>,
    /// Past the closing `]` if `closed`, else the entry start the run stopped at.
    end: usize,
    closed: bool,
}

/// Parses entries from `at` (an entry's first byte, or the closing `]`) until the array
/// closes or the next entry would start at or past `stop`.
fn run_of_entries<'a>(
    text: &'a str,
    mut at: usize,
    stop: usize,
    give_up: &AtomicBool,
) -> Option<Run<'a>> {
    let bytes = text.as_bytes();
    let mut entries = Entries::default();
    if bytes.get(at) == Some(&b']') {
        return Some(Run {
            entries,
            end: at + 1,
            closed: true,
        });
    }
    loop {
        if at >= stop {
            return Some(Run {
                entries,
                end: at,
                closed: false,
            });
        }
        if give_up.load(Ordering::Relaxed) {
            return None;
        }
        let (entry, end) = value_at::<Entry>(text, at)?;
        entries.push(entry);
        let after = skip_space(text, end);
        match bytes.get(after) {
            Some(b',') => at = skip_space(text, after + 1),
            Some(b']') => {
                return Some(Run {
                    entries,
                    end: after + 1,
                    closed: true,
                });
            }
            _ => return None,
        }
    }
}

/// A likely entry start near the middle of the array: the first entry's opening bytes (its
/// `{`, the whitespace after it and its first key), after a comma. Exporters write every entry
/// with the same layout and key order, so this finds one in nearly every real file. A string
/// cannot hold those bytes (its quotes are escaped), so a wrong guess is an object with the
/// same first key nested in an entry, which the main thread then steps over.
fn split_guess(text: &str, first: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(first) != Some(&b'{') {
        return None;
    }
    let key_start = skip_space(text, first + 1);
    if bytes.get(key_start) != Some(&b'"') {
        return None;
    }
    let key_end = key_start + 1 + memchr::memchr(b'"', bytes.get(key_start + 1..)?)?;
    let opening = bytes.get(first..=key_end)?;
    let middle = first + (bytes.len() - first) / 2;
    memchr::memmem::find_iter(bytes.get(middle..)?, opening)
        .map(|found| middle + found)
        .take(64)
        .find(|&start| {
            let before = bytes[..start].trim_ascii_end();
            before.last() == Some(&b',')
        })
}

/// Calls `member` for each key of the object at `at` (with the position of its value); it
/// returns where the value ends. Returns the position after `}`.
fn object(
    text: &str,
    at: usize,
    mut member: impl FnMut(&str, usize) -> Option<usize>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_space(text, at);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(text, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Some(at + 1);
    }
    loop {
        let (key, end) = value_at::<std::borrow::Cow<str>>(text, at)?;
        let colon = skip_space(text, end);
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        let end = member(&key, colon + 1)?;
        let after = skip_space(text, end);
        match bytes.get(after) {
            Some(b',') => at = skip_space(text, after + 1),
            Some(b'}') => return Some(after + 1),
            _ => return None,
        }
    }
}

fn skip_value(text: &str, at: usize) -> Option<usize> {
    value_at::<IgnoredAny>(text, at).map(|(_, end)| end)
}

/// The JSON value at `at` and the position after it.
fn value_at<'a, T: Deserialize<'a>>(text: &'a str, at: usize) -> Option<(T, usize)> {
    let mut values = serde_json::Deserializer::from_str(text.get(at..)?).into_iter::<T>();
    let value = values.next()?.ok()?;
    Some((value, at + values.byte_offset()))
}

/// The position of the first byte from `at` that is not JSON whitespace.
fn skip_space(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = at;
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry in Chrome's layout; `n` makes each one distinct, `body` is the response text.
    fn entry(n: usize, body: &str) -> serde_json::Value {
        serde_json::json!({
            "_initiator": {"type": "script"},
            "_resourceType": "fetch",
            "startedDateTime": format!("2024-05-01T10:00:{:02}.000Z", n % 60),
            "request": {
                "method": "GET",
                "url": format!("https://api.example/items/{n}"),
                "headers": [{"name": "Origin", "value": "https://app.example"}],
                "cookies": []
            },
            "response": {
                "status": 200,
                "headers": [{"name": "Access-Control-Allow-Origin", "value": "*"}],
                "content": {"text": body},
                "redirectURL": ""
            }
        })
    }

    fn har(entries: Vec<serde_json::Value>, pretty: bool) -> String {
        let har = serde_json::json!({
            "log": {"version": "1.2", "creator": {"name": "WebInspector"}, "pages": [], "entries": entries}
        });
        let text = if pretty {
            serde_json::to_string_pretty(&har)
        } else {
            serde_json::to_string(&har)
        };
        text.unwrap_or_default()
    }

    /// What the ordinary parse makes of `text`, to compare with.
    fn ordinary(text: &str) -> String {
        format!("{:?}", serde_json::from_str::<Har>(text).ok())
    }

    fn in_two(text: &str) -> String {
        format!("{:?}", parse_in_two(text))
    }

    /// Where the helper would start on `text`.
    fn guess(text: &str) -> Option<usize> {
        let array = text.find(r#""entries":"#)? + text[text.find(r#""entries":"#)?..].find('[')?;
        split_guess(text, skip_space(text, array + 1))
    }

    #[test]
    fn both_halves_together_are_the_ordinary_parse() {
        for pretty in [false, true] {
            let text = har((0..40).map(|n| entry(n, "")).collect(), pretty);
            assert!(guess(&text).is_some_and(|at| at > text.len() / 2));
            assert_eq!(in_two(&text), ordinary(&text));
            assert!(in_two(&text).contains("total: 40"));
        }
    }

    #[test]
    fn a_guess_inside_an_entry_is_caught() {
        // Entry 10 holds a long array of objects that open as an entry does and parse as one,
        // so the guess lands inside it and the helper reads them as entries until that array
        // closes.
        let mut entries: Vec<_> = (0..20).map(|n| entry(n, "")).collect();
        let lookalikes: Vec<_> = (0..400)
            .map(|n| serde_json::json!({"_initiator": {"type": "other"}, "n": n}))
            .collect();
        if let Some(fields) = entries[10].as_object_mut() {
            fields.insert("_lookalikes".to_string(), lookalikes.into());
        }
        let text = har(entries, false);
        let (start, end) = (text.find("_lookalikes"), text.find("items/11"));
        assert!(guess(&text) > start && guess(&text) < end);
        assert_eq!(in_two(&text), ordinary(&text));
        assert!(in_two(&text).contains("total: 20"));
    }

    #[test]
    fn anything_unexpected_is_left_to_the_ordinary_parse() {
        let good = har((0..30).map(|n| entry(n, "")).collect(), false);
        let last_entry = good.rfind("},{").unwrap_or(0);
        let late = good.find("items/25").unwrap_or(0);
        let broken = [
            // A syntax error in the helper's half only.
            format!(
                "{}{}",
                &good[..late],
                good[late..].replacen("\"status\":200", "\"status\":20x", 1)
            ),
            format!("{good}}}"),
            format!("{good} trailing"),
            good.replacen(r#""log":{"#, r#""log":{"entries":[],"#, 1),
            format!("{{\"log\":{{}},{}", &good[1..]),
            good[..last_entry].to_string(),
        ];
        for (case, text) in broken.iter().enumerate() {
            assert_eq!(in_two(text), "None", "case {case}");
        }
    }

    #[test]
    fn small_and_empty_recordings() {
        for text in [
            r#"{"log": {"entries": []}}"#.to_string(),
            r#"{"log": {}}"#.to_string(),
            har(vec![entry(0, "")], true),
        ] {
            assert_eq!(in_two(&text), ordinary(&text), "{text}");
            assert_ne!(in_two(&text), "None");
        }
        assert_eq!(in_two(r#"{"other": 1}"#), "None");
    }
}
