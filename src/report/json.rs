//! `--json`: the trace as one JSON document. Strings stay exact, but characters that could act
//! on a terminal (DEL, C1 controls, bidi overrides…) are written as `\uXXXX` escapes, which any
//! JSON reader decodes back to the same text.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use std::cell::RefCell;
use std::sync::Arc;

use crate::engine::{
    Exchange, ExchangeKind, RequestRecord, Requests, Stage, Step, Trace, VARIABLES, Verdict,
};
use crate::fix::Fix;
use crate::formats::har::{Recorded, Recording};
use crate::safe_text::is_unsafe_char;
use crate::scenario::write::ScenarioJson;
use crate::scenario::{BrowserProfile, Scenario};

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
    changed: Changed<'a>,
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

/// The names of the variables a step changed.
struct Changed<'a>(&'a [usize]);

impl Serialize for Changed<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|&i| VARIABLES[i]))
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
        changed: Changed(&s.changed),
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

/// Where the document's steps and requests come from.
enum Source<'a> {
    /// A trace already in memory (a saved trace, or a small run that also gets fixes).
    Done(&'a Trace),
    /// The engine, run while writing: each request's steps are written and dropped.
    Live(RefCell<LiveRun<'a>>),
}

/// A live run while its document is written. `steps` comes before `requests` in the document,
/// so each request item is set aside on disk, one line of JSON, when its steps are written,
/// and read back for `requests`: memory stays flat however many requests there are.
struct LiveRun<'a> {
    run: &'a mut dyn Iterator<Item = LiveRequest>,
    items: io::BufWriter<std::fs::File>,
    checked: usize,
    failed: Vec<RequestRecord>,
}

/// The whole document, written as the `Source` gives it.
struct Document<'a> {
    scenario: &'a Scenario,
    title: &'a str,
    description: &'a str,
    profile: BrowserProfile,
    initial_variables: &'a [Arc<str>],
    source: Source<'a>,
    recording: Option<&'a Recording>,
    fixes: Vec<Option<Fix>>,
}

/// One request of a live run as the engine's thread hands it over: its steps, and its
/// `requests` item already written (that thread has time to spare; the writer has none).
struct LiveRequest {
    steps: Vec<Step>,
    item: Vec<u8>,
    checked: bool,
    /// The record, when the request's expectation failed (for the exit status).
    failed: Option<RequestRecord>,
}

impl LiveRequest {
    fn new(record: RequestRecord, steps: Vec<Step>, recorded: Option<&Recorded>) -> Self {
        let mut item = Vec::with_capacity(4096);
        // Writing to memory cannot fail.
        let _ = write_value(&mut item, &request_doc(&record, recorded, None), false);
        LiveRequest {
            steps,
            item,
            checked: record.expect.is_some(),
            failed: (!record.expectation_met()).then_some(record),
        }
    }
}

/// The steps of a live run, written as the engine makes them.
struct LiveSteps<'d, 'a>(&'d RefCell<LiveRun<'a>>);

impl Serialize for LiveSteps<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut seq = serializer.serialize_seq(None)?;
        let mut live = self.0.borrow_mut();
        let live = &mut *live;
        for request in &mut *live.run {
            for step in &request.steps {
                seq.serialize_element(&step_doc(step))?;
            }
            live.items
                .write_all(&request.item)
                .map_err(S::Error::custom)?;
            live.checked += usize::from(request.checked);
            live.failed.extend(request.failed);
        }
        seq.end()
    }
}

/// A live run's request items, read back from disk as they were written.
struct LiveRequests<'d, 'a>(&'d RefCell<LiveRun<'a>>);

impl Serialize for LiveRequests<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use io::{BufRead, Seek};
        use serde::ser::Error;
        let mut live = self.0.borrow_mut();
        live.items.flush().map_err(S::Error::custom)?;
        let file = live.items.get_mut();
        file.rewind().map_err(S::Error::custom)?;
        let mut seq = serializer.serialize_seq(None)?;
        for line in io::BufReader::new(file).lines() {
            let item = serde_json::value::RawValue::from_string(line.map_err(S::Error::custom)?)
                .map_err(S::Error::custom)?;
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

/// The request items, with what the browser recorded and the fix when there is one.
struct RequestDocs<'a> {
    records: &'a [RequestRecord],
    recorded: Option<&'a [Recorded]>,
    fixes: &'a [Option<Fix>],
}

impl Serialize for RequestDocs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.records.iter().enumerate().map(|(i, r)| {
            request_doc(
                r,
                self.recorded.and_then(|all| all.get(i)),
                self.fixes.get(i).and_then(Option::as_ref),
            )
        }))
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        // First, so a saved trace is recognised by its opening bytes.
        map.serialize_entry("tool", "cors-tui")?;
        map.serialize_entry("version", env!("CARGO_PKG_VERSION"))?;
        map.serialize_entry("title", self.title)?;
        map.serialize_entry("description", self.description)?;
        map.serialize_entry("browser", self.profile.name())?;
        map.serialize_entry("server", &super::server_lines(self.scenario))?;
        map.serialize_entry("initial_variables", &Variables(self.initial_variables))?;
        let expectations = match &self.source {
            Source::Done(trace) => {
                map.serialize_entry("steps", &SerializeIter(|| trace.steps.iter().map(step_doc)))?;
                map.serialize_entry(
                    "requests",
                    &RequestDocs {
                        records: &trace.requests,
                        recorded: self.recording.map(|r| r.recorded.as_slice()),
                        fixes: &self.fixes,
                    },
                )?;
                let failed: Vec<usize> = trace.failed_expectations().map(|r| r.index).collect();
                let checked = trace.requests.iter().filter(|r| r.expect.is_some()).count();
                Expectations {
                    checked,
                    met: checked - failed.len(),
                    failed,
                }
            }
            Source::Live(live) => {
                map.serialize_entry("steps", &LiveSteps(live))?;
                map.serialize_entry("requests", &LiveRequests(live))?;
                let live = live.borrow();
                Expectations {
                    checked: live.checked,
                    met: live.checked - live.failed.len(),
                    failed: live.failed.iter().map(|r| r.index).collect(),
                }
            }
        };
        map.serialize_entry("expectations", &expectations)?;
        if let Some(recording) = self.recording {
            map.serialize_entry(
                "recording",
                &RecordingDoc {
                    entries: recording.entries,
                    skipped: &recording.skipped,
                },
            )?;
        }
        // The input, so a saved trace opens again (and what-if edits have rules to change).
        map.serialize_entry("scenario", &ScenarioJson(self.scenario))?;
        map.end()
    }
}

/// Serializes what a closure's iterator yields, as a JSON array.
struct SerializeIter<F>(F);

impl<F, I> Serialize for SerializeIter<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// Writes the document for a trace already made: indented for people (`pretty`), or on one
/// line for pipes and scripts.
pub fn write(
    out: &mut impl Write,
    scenario: &Scenario,
    trace: &Trace,
    recording: Option<&Recording>,
    pretty: bool,
) -> io::Result<()> {
    let document = Document {
        scenario,
        title: &trace.title,
        description: &trace.description,
        profile: trace.profile,
        initial_variables: &trace.initial_variables,
        source: Source::Done(trace),
        recording,
        fixes: crate::fix::fixes(scenario, trace),
    };
    write_value(out, &document, pretty)
}

/// Runs the engine while writing its document, so memory stays flat however many requests
/// there are; returns the records of the requests whose expectation failed (for the exit
/// status). Fixes are re-runs of the whole scenario, so they are only worked out (on a full
/// trace) where the scenario is small enough to have them.
pub fn run_and_write(
    out: &mut impl Write,
    scenario: &Scenario,
    profile: BrowserProfile,
    recording: Option<&Recording>,
    pretty: bool,
) -> io::Result<Vec<RequestRecord>> {
    if scenario.requests.len() <= crate::fix::MAX_REQUESTS_FOR_FIXES {
        let trace = crate::engine::run(scenario, profile);
        write(out, scenario, &trace, recording, pretty)?;
        return Ok(trace.failed_expectations().cloned().collect());
    }
    let items = io::BufWriter::new(tempfile::tempfile()?);
    let run = Requests::new(scenario, profile);
    let initial_variables = run.initial_variables().to_vec();
    // The engine runs on its own thread, a batch of requests ahead of the writer: making the
    // steps and writing them take about as long as each other.
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Vec<LiveRequest>>(8);
        let recorded = recording.map(|r| r.recorded.as_slice());
        scope.spawn(move || {
            let mut run = run.peekable();
            while run.peek().is_some() {
                let batch: Vec<LiveRequest> = run
                    .by_ref()
                    .take(LIVE_BATCH)
                    .map(|(record, steps)| {
                        let recorded = recorded.and_then(|all| all.get(record.index - 1));
                        LiveRequest::new(record, steps, recorded)
                    })
                    .collect();
                if batches.send(batch).is_err() {
                    // The writer stopped (a closed pipe): stop simulating too.
                    return;
                }
            }
        });
        let mut steps = received.into_iter().flatten();
        let document = Document {
            scenario,
            title: &scenario.title,
            description: &scenario.description,
            profile,
            initial_variables: &initial_variables,
            source: Source::Live(RefCell::new(LiveRun {
                run: &mut steps,
                items,
                checked: 0,
                failed: Vec::new(),
            })),
            recording,
            fixes: Vec::new(),
        };
        write_value(out, &document, pretty)?;
        match document.source {
            Source::Live(live) => Ok(live.into_inner().failed),
            Source::Done(_) => Ok(Vec::new()),
        }
    })
}

/// Requests the engine hands the writer at a time.
const LIVE_BATCH: usize = 256;

/// A formatter that also escapes terminal-active characters serde_json leaves raw.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Every character `is_unsafe_char` flags (beyond what serde_json escapes) is DEL or
        // starts with one of these UTF-8 lead bytes; only those characters are decoded.
        let bytes = fragment.as_bytes();
        // Most text is ASCII without DEL: one fast pass, and it is written as it is.
        if fragment.is_ascii() && memchr::memchr(0x7f, bytes).is_none() {
            return writer.write_all(bytes);
        }
        let next_candidate = |from: usize| {
            let rest = &bytes[from..];
            match (
                memchr::memchr3(0xc2, 0xe2, 0xef, rest),
                memchr::memchr2(0x7f, 0xd8, rest),
            ) {
                (Some(a), Some(b)) => Some(from + a.min(b)),
                (a, b) => a.or(b).map(|i| from + i),
            }
        };
        let mut written = 0;
        let mut from = 0;
        while let Some(at) = next_candidate(from) {
            // A lead byte or DEL always starts a character.
            let Some(c) = fragment[at..].chars().next() else {
                break;
            };
            from = at + c.len_utf8();
            if is_unsafe_char(c) {
                writer.write_all(&bytes[written..at])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                written = from;
            }
        }
        writer.write_all(&bytes[written..])
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

    #[test]
    fn a_live_run_writes_the_same_document_as_a_finished_trace() {
        let Ok(mut scenario) =
            crate::scenario::load_str(crate::scenario::BUILTIN_BASIC, "basic.json")
        else {
            panic!("the built-in scenario loads")
        };
        // One failing expectation per copy of the lesson, so the exit status has work to do.
        scenario.requests[0].expect = Some(crate::scenario::Outcome::Blocked);
        let lesson = scenario.requests.clone();
        while scenario.requests.len() <= crate::fix::MAX_REQUESTS_FOR_FIXES {
            scenario.requests.extend(lesson.iter().cloned());
        }
        let profile = BrowserProfile::Chromium;
        let trace = crate::engine::run(&scenario, profile);
        let mut finished = Vec::new();
        let mut live = Vec::new();
        assert!(write(&mut finished, &scenario, &trace, None, false).is_ok());
        let failed = run_and_write(&mut live, &scenario, profile, None, false);
        let expected: Vec<RequestRecord> = trace.failed_expectations().cloned().collect();
        assert!(!expected.is_empty());
        assert_eq!(failed.ok(), Some(expected));
        assert!(finished.len() > 100_000);
        assert!(finished == live, "the streamed document differs");

        // Indented, a live run writes each request item on one line; the data are the same.
        let (mut finished, mut live) = (Vec::new(), Vec::new());
        assert!(write(&mut finished, &scenario, &trace, None, true).is_ok());
        assert!(run_and_write(&mut live, &scenario, profile, None, true).is_ok());
        let parse = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).ok();
        assert!(parse(&finished).is_some() && parse(&finished) == parse(&live));
    }

    #[test]
    fn every_unsafe_character_starts_with_a_scanned_byte() {
        // serde_json escapes below U+0020 itself; the formatter must catch all the rest.
        let missed: Vec<char> = (' '..=char::MAX)
            .filter(|&c| is_unsafe_char(c))
            .filter(|c| {
                let mut buf = [0; 4];
                let first = c.encode_utf8(&mut buf).as_bytes()[0];
                !matches!(first, 0x7f | 0xc2 | 0xd8 | 0xe2 | 0xef)
            })
            .collect();
        assert_eq!(missed, Vec::<char>::new());
    }

    fn is_unsafe_char_visible_in_output(c: char) -> bool {
        c != '\n' && is_unsafe_char(c)
    }
}
