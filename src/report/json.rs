//! `--json`: the trace as one JSON document. Strings stay exact, but characters that could act
//! on a terminal (DEL, C1 controls, bidi overrides…) are written as `\uXXXX` escapes, which any
//! JSON reader decodes back to the same text.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::engine::{
    Exchange, ExchangeKind, RequestRecord, Stage, Step, Trace, VARIABLES, Verdict,
};
use crate::fix::Fix;
use crate::formats::har::{Recorded, Recording};
use crate::safe_text::is_unsafe_char;
use crate::scenario::Scenario;

#[derive(Serialize)]
struct Document<'a> {
    /// First, so a saved trace is recognised by its opening bytes.
    tool: &'static str,
    version: &'static str,
    title: &'a str,
    description: &'a str,
    browser: &'static str,
    server: Vec<String>,
    requests: Vec<RequestDoc<'a>>,
    steps: Vec<StepDoc<'a>>,
    initial_variables: Variables<'a>,
    expectations: Expectations,
    /// For a recording: its size and what was not replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    recording: Option<RecordingDoc<'a>>,
    /// The input, so a saved trace opens again (and what-if edits have rules to change).
    scenario: serde_json::Value,
}

#[derive(Serialize)]
struct RecordingDoc<'a> {
    entries: usize,
    skipped: &'a [crate::formats::har::Skipped],
}

#[derive(Serialize)]
struct Expectations {
    checked: usize,
    met: usize,
    failed: Vec<usize>,
}

#[derive(Serialize)]
struct RequestDoc<'a> {
    index: usize,
    origin: Option<&'a str>,
    method: &'a str,
    url: &'a str,
    via: &'static str,
    credentials: &'static str,
    cache: &'static str,
    same_origin: bool,
    preflight: bool,
    preflight_cache_hit: bool,
    outcome: &'static str,
    expect: Option<&'static str>,
    expectation_met: bool,
    failed_at: Option<ExchangeKind>,
    error: Option<&'a str>,
    cors_error: Option<&'static str>,
    matched_rule: Option<usize>,
    exposed_headers: &'a [String],
    dropped_headers: &'a [String],
    summary: &'a str,
    preflight_reasons: &'a [String],
    profile_notes: &'a [String],
    note: Option<&'a str>,
    /// First and last step numbers (1-based, inclusive).
    steps: [usize; 2],
    exchanges: &'a [Exchange],
    /// For a recording: what the browser recorded, and whether the replay agrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded: Option<&'a Recorded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agrees: Option<bool>,
    /// For a blocked request: the smallest change that allows it, proven by a re-run.
    fix: Option<&'a Fix>,
}

#[derive(Serialize)]
struct StepDoc<'a> {
    n: usize,
    request: usize,
    stage: Stage,
    verdict: Verdict,
    action: &'a str,
    request_type: &'a str,
    cors_headers: &'a str,
    decision: &'a str,
    result: &'a str,
    variables: Variables<'a>,
    changed: Vec<&'static str>,
    explanation: &'a str,
    profile_note: Option<&'a str>,
    /// Index into the request's `exchanges` of the exchange this step shows.
    exchange: Option<usize>,
}

/// Variables as a JSON object in tracker order.
struct Variables<'a>(&'a [std::sync::Arc<str>]);

impl Serialize for Variables<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in VARIABLES.iter().zip(self.0) {
            map.serialize_entry(name, &**value)?;
        }
        map.end()
    }
}

fn request_doc<'a>(
    r: &'a RequestRecord,
    recorded: Option<&'a Recorded>,
    fix: Option<&'a Fix>,
) -> RequestDoc<'a> {
    RequestDoc {
        index: r.index,
        origin: r.origin.as_deref(),
        method: &r.method,
        url: &r.url,
        via: r.via.name(),
        credentials: r.credentials.name(),
        cache: r.cache.name(),
        same_origin: r.same_origin,
        preflight: r.preflight,
        preflight_cache_hit: r.cache_hit,
        outcome: r.outcome.name(),
        expect: r.expect.map(|e| e.name()),
        expectation_met: r.expectation_met(),
        failed_at: r.failed_at,
        error: r.error.as_deref(),
        cors_error: r.cors_error.map(|e| e.name()),
        matched_rule: r.matched_rule,
        exposed_headers: &r.exposed_headers,
        dropped_headers: &r.dropped_headers,
        summary: &r.summary,
        preflight_reasons: &r.preflight_reasons,
        profile_notes: &r.profile_notes,
        note: r.note.as_deref(),
        steps: [r.steps.start + 1, r.steps.end],
        exchanges: &r.exchanges,
        recorded,
        agrees: recorded
            .and_then(|rec| rec.blocked)
            .map(|blocked| blocked == (r.outcome == crate::scenario::Outcome::Blocked)),
        fix,
    }
}

fn step_doc(s: &Step) -> StepDoc<'_> {
    StepDoc {
        n: s.n,
        request: s.request,
        stage: s.stage,
        verdict: s.verdict,
        action: &s.action,
        request_type: &s.request_type,
        cors_headers: &s.cors_headers,
        decision: &s.decision,
        result: &s.result,
        variables: Variables(&s.variables),
        changed: s.changed.iter().map(|&i| VARIABLES[i]).collect(),
        explanation: &s.explanation,
        profile_note: s.profile_note.as_deref(),
        exchange: s.exchange,
    }
}

/// Writes any serializable value with the terminal-safe escaping of [`write`].
pub fn write_value(out: &mut impl Write, value: &impl Serialize, pretty: bool) -> io::Result<()> {
    if pretty {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(PrettyFormatter::new()));
        value.serialize(&mut serializer).map_err(io::Error::other)?;
    } else {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(CompactFormatter));
        value.serialize(&mut serializer).map_err(io::Error::other)?;
    }
    out.write_all(b"\n")
}

/// Writes the document: indented for people (`pretty`), or on one line for pipes and scripts.
pub fn write(
    out: &mut impl Write,
    scenario: &Scenario,
    trace: &Trace,
    recording: Option<&Recording>,
    pretty: bool,
) -> io::Result<()> {
    let recorded = recording.map(|r| r.recorded.as_slice());
    let failed: Vec<usize> = trace.failed_expectations().map(|r| r.index).collect();
    let fixes = crate::fix::fixes(scenario, trace);
    let checked = trace.requests.iter().filter(|r| r.expect.is_some()).count();
    let document = Document {
        tool: "cors-tui",
        version: env!("CARGO_PKG_VERSION"),
        title: &trace.title,
        description: &trace.description,
        browser: trace.profile.name(),
        server: super::server_lines(scenario),
        requests: trace
            .requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                request_doc(
                    r,
                    recorded.and_then(|all| all.get(i)),
                    fixes.get(i).and_then(Option::as_ref),
                )
            })
            .collect(),
        steps: trace.steps.iter().map(step_doc).collect(),
        initial_variables: Variables(&trace.initial_variables),
        expectations: Expectations {
            checked,
            met: checked - failed.len(),
            failed,
        },
        recording: recording.map(|r| RecordingDoc {
            entries: r.entries,
            skipped: &r.skipped,
        }),
        scenario: crate::scenario::write::to_json(scenario),
    };
    if pretty {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(PrettyFormatter::new()));
        document
            .serialize(&mut serializer)
            .map_err(io::Error::other)?;
    } else {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(CompactFormatter));
        document
            .serialize(&mut serializer)
            .map_err(io::Error::other)?;
    }
    out.write_all(b"\n")
}

/// A formatter that also escapes terminal-active characters serde_json leaves raw.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Every character `is_unsafe_char` flags (beyond what serde_json escapes) is DEL or
        // starts with one of these UTF-8 lead bytes; most fragments contain none.
        if !fragment
            .bytes()
            .any(|b| matches!(b, 0x7f | 0xc2 | 0xd8 | 0xe2 | 0xef))
        {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe_char(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_active_characters_are_unicode_escaped_and_round_trip() {
        let value = serde_json::json!({"origin": "https://a\u{7f}\u{9b}\u{202e}.example\u{1b}"});
        let mut out = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut out, TerminalSafe(PrettyFormatter::new()));
        value.serialize(&mut serializer).ok();
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(
            text.contains("\\u007f\\u009b\\u202e.example\\u001b"),
            "{text}"
        );
        assert!(!text.chars().any(is_unsafe_char_visible_in_output));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, value);
    }

    fn is_unsafe_char_visible_in_output(c: char) -> bool {
        c != '\n' && is_unsafe_char(c)
    }
}
