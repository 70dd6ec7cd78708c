//! `--json`: the trace as one JSON document. Strings stay exact, but characters that could act
//! on a terminal (DEL, C1 controls, bidi overrides…) are written as `\uXXXX` escapes, which any
//! JSON reader decodes back to the same text.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use std::sync::Arc;

use std::borrow::Cow;

use super::document::{FixGroupDoc, RequestDoc, StepDoc, Variables};
use crate::analysis::fix::{AskedAlike, Fix};
use crate::engine::{RequestRecord, Requests, Row, Step, Trace};
use crate::safe_text::is_unsafe_char;
use crate::scenario::recording::Recording;
use crate::scenario::write;
use crate::scenario::{BrowserProfile, Scenario};

#[derive(Serialize)]
struct RecordingDoc<'a> {
    entries: usize,
    skipped: &'a [crate::scenario::recording::Skipped],
}

#[derive(Serialize)]
struct Expectations {
    checked: usize,
    met: usize,
    failed: Vec<usize>,
}

/// Writes any serializable value with the terminal-safe escaping of [`write`].
pub fn write_value(out: &mut impl Write, value: &impl Serialize, pretty: bool) -> io::Result<()> {
    write_json(out, value, pretty)?;
    out.write_all(b"\n")
}

/// `value` as terminal-safe JSON, without a final newline.
fn write_json<T: Serialize + ?Sized>(
    out: &mut impl Write,
    value: &T,
    pretty: bool,
) -> io::Result<()> {
    if pretty {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(PrettyFormatter::new()));
        value.serialize(&mut serializer).map_err(io::Error::other)
    } else {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(CompactFormatter));
        value.serialize(&mut serializer).map_err(io::Error::other)
    }
}

/// One level of indentation, as serde_json's pretty printer writes it.
const INDENT: &[u8] = b"  ";

/// `value` as JSON for a place `depth` levels deep in the document: when indented, every line
/// after the first moves right by `depth` levels.
fn nested_json(value: &impl Serialize, pretty: bool, depth: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_nested(&mut out, value, pretty, depth)?;
    Ok(out)
}

/// [`nested_json`], appended to `out`.
fn write_nested<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
    pretty: bool,
    depth: usize,
) -> io::Result<()> {
    if pretty {
        let formatter = TerminalSafe(Indented {
            depth,
            has_value: false,
        });
        let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
        value.serialize(&mut serializer).map_err(io::Error::other)
    } else {
        write_json(out, value, false)
    }
}

/// serde_json's pretty layout (two spaces a level) for a value that starts `depth` levels deep.
struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    fn new_line<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(INDENT)?;
        }
        Ok(())
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.new_line(w)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.new_line(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The document's frame (its braces, keys and commas), written around values serde writes, so
/// that steps and requests go out one at a time and a value set aside on disk is copied in
/// whole. The bytes are serde_json's for the whole document, compact or indented.
struct Frame<'a> {
    out: &'a mut Vec<u8>,
    pretty: bool,
    /// How deep the next item is, in levels of [`INDENT`].
    depth: usize,
    /// Whether the object or array just opened is still empty (no comma before its first item).
    empty: bool,
}

impl<'a> Frame<'a> {
    /// A frame for a value `depth` levels deep in the document.
    fn new(out: &'a mut Vec<u8>, pretty: bool, depth: usize) -> Self {
        Frame {
            out,
            pretty,
            depth,
            empty: true,
        }
    }

    fn new_line(&mut self) {
        if self.pretty {
            self.out.push(b'\n');
            for _ in 0..self.depth {
                self.out.extend_from_slice(INDENT);
            }
        }
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    /// The closing bracket, on a line of its own when indented and not empty.
    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.empty {
            self.new_line();
        }
        self.out.push(bracket);
        self.empty = false;
    }

    /// Before an array item or a key: a comma unless it is the first, and a new line.
    fn item(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.new_line();
        self.empty = false;
    }

    /// A key: one of the document's own names, which need no escaping. Its value follows.
    fn key(&mut self, name: &str) -> &mut Self {
        self.item();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out
            .extend_from_slice(if self.pretty { b"\": " } else { b"\":" });
        self
    }

    /// A value, through serde.
    fn value(&mut self, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
        write_nested(self.out, value, self.pretty, self.depth)?;
        self.empty = false;
        Ok(())
    }

    /// A value already written as JSON for this depth.
    fn raw(&mut self, json: &[u8]) {
        self.out.extend_from_slice(json);
        self.empty = false;
    }

    /// A value already written as JSON for this depth, copied from `source` straight to
    /// `sink` after what this frame holds.
    fn copied(&mut self, source: &mut impl io::Read, sink: &mut impl Write) -> io::Result<()> {
        self.flush_to(sink)?;
        io::copy(source, sink)?;
        self.empty = false;
        Ok(())
    }

    /// Hands what is written so far to `sink`, so the buffer stays small.
    fn flush_to(&mut self, sink: &mut impl Write) -> io::Result<()> {
        sink.write_all(self.out)?;
        self.out.clear();
        Ok(())
    }
}

/// The scenario as [`write::to_raw`] makes it, handed to `sink` a request at a time: for a
/// recording, its requests are most of the document's end.
fn write_scenario(json: &mut Frame, scenario: &Scenario, sink: &mut impl Write) -> io::Result<()> {
    // The keys around `requests`, written in the schema's order.
    let around = serde_json::to_value(write::without_requests(scenario))?;
    let serde_json::Value::Object(around) = around else {
        return Err(io::Error::other("a scenario is written as an object"));
    };
    json.open(b'{');
    let mut keys = around.iter();
    for (key, value) in keys.by_ref() {
        if key == "requests" {
            break;
        }
        json.key(key).value(value)?;
    }
    json.key("requests").open(b'[');
    for request in scenario.requests.iter() {
        json.item();
        json.value(&write::request(request))?;
        json.flush_to(sink)?;
    }
    json.close(b']');
    for (key, value) in keys {
        json.key(key).value(value)?;
    }
    json.close(b'}');
    json.flush_to(sink)
}

/// Where the document's steps and requests come from.
enum Source<'a> {
    /// A trace already in memory (a saved trace, or a small run that also gets fixes).
    Done(&'a Trace),
    /// The engine, run while writing: each request's steps are written and dropped.
    Live(LiveRun<'a>),
}

/// A live run while its document is written. `steps` comes before `requests` in the document,
/// so each request item is set aside on disk, with the punctuation around it, when its steps
/// are written, and copied back for `requests`: memory stays flat however many requests there
/// are.
struct LiveRun<'a> {
    run: &'a mut dyn Iterator<Item = Batch>,
    items: SetAside,
    /// The document's end, made on the engine's thread once the run is over, while the
    /// writer still has steps to write.
    tail: Box<dyn FnOnce() -> io::Result<Tail> + 'a>,
}

/// Requests the engine hands the writer at once, with their steps' JSON when the engine's thread
/// wrote it.
struct Batch {
    requests: Vec<(RequestRecord, Vec<Step>)>,
    steps_json: Option<StepsJson>,
}

/// Where the `steps` array's items sit in the document, in levels of indentation.
const STEPS_DEPTH: usize = 2;

/// A batch's steps put in words and written as the `steps` array's items, one after another.
struct StepsJson {
    bytes: Vec<u8>,
    /// Where each step's JSON ends in `bytes`.
    ends: Vec<usize>,
}

impl StepsJson {
    /// Writes the steps of `requests`; `row` holds the tracker's values before them and is moved
    /// past them.
    fn of(
        requests: &[(RequestRecord, Vec<Step>)],
        row: &mut Row,
        profile: BrowserProfile,
        pretty: bool,
    ) -> io::Result<StepsJson> {
        let mut json = StepsJson {
            bytes: Vec::new(),
            ends: Vec::new(),
        };
        for (record, steps) in requests {
            for step in steps {
                let text = crate::narrate::step(step, record, profile);
                let doc = StepDoc::new(step, text, row.after(step));
                write_nested(&mut json.bytes, &doc, pretty, STEPS_DEPTH)?;
                json.ends.push(json.bytes.len());
            }
        }
        Ok(json)
    }

    /// Each step's JSON, in order.
    fn items(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }
}

/// The document's end, written after everything the engine made.
struct Tail {
    /// Past [`crate::analysis::fix::MAX_REQUESTS_FOR_FIXES`] requests, where a change reaches
    /// every request: the blocked requests by what they ask, each group's fix proven.
    fix_groups: Vec<AskedAlike>,
    recording: Option<Vec<u8>>,
    /// The input, so a saved trace opens again (and what-if edits have rules to change).
    scenario: SetAside,
}

impl Tail {
    fn new(
        scenario: &Scenario,
        recording: Option<&Recording>,
        fix_groups: Vec<AskedAlike>,
        pretty: bool,
    ) -> io::Result<Self> {
        let recording = recording.map(|recording| RecordingDoc {
            entries: recording.entries,
            skipped: &recording.skipped,
        });
        let mut scenario_json =
            SetAside::new(scenario.requests.len() > crate::analysis::fix::MAX_REQUESTS_FOR_FIXES)?;
        write_scenario(
            &mut Frame::new(&mut Vec::new(), pretty, 1),
            scenario,
            &mut scenario_json,
        )?;
        Ok(Tail {
            fix_groups,
            recording: recording
                .map(|recording| nested_json(&recording, pretty, 1))
                .transpose()?,
            scenario: scenario_json,
        })
    }
}

/// JSON set aside to be copied into the document later: in memory, or, when it may run to
/// tens of MB (a live run's request items, a large recording's scenario), in a temporary file.
enum SetAside {
    Memory(Vec<u8>),
    File(io::BufWriter<std::fs::File>),
}

impl SetAside {
    fn new(large: bool) -> io::Result<Self> {
        Ok(if large {
            SetAside::File(io::BufWriter::new(tempfile::tempfile()?))
        } else {
            SetAside::Memory(Vec::new())
        })
    }

    /// Writes what was set aside as `json`'s next value, straight to `sink`.
    fn copy_into(self, json: &mut Frame, sink: &mut impl Write) -> io::Result<()> {
        match self {
            SetAside::Memory(bytes) => json.copied(&mut bytes.as_slice(), sink),
            SetAside::File(file) => {
                let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                io::Seek::rewind(&mut file)?;
                json.copied(&mut file, sink)
            }
        }
    }
}

impl Write for SetAside {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            SetAside::Memory(memory) => memory.write(bytes),
            SetAside::File(file) => file.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            SetAside::Memory(_) => Ok(()),
            SetAside::File(file) => file.flush(),
        }
    }
}

/// The whole document, written as the `Source` gives it.
struct Document<'a> {
    scenario: &'a Scenario,
    title: &'a str,
    description: &'a str,
    profile: BrowserProfile,
    initial_variables: &'a [Arc<crate::engine::tracker::Cell>],
    source: Source<'a>,
    recording: Option<&'a Recording>,
    fixes: Vec<Option<Fix>>,
}

impl Document<'_> {
    /// Writes the document; returns the records of the requests whose expectation failed.
    fn write(self, out: &mut impl Write, pretty: bool) -> io::Result<Vec<RequestRecord>> {
        let mut buf = Vec::with_capacity(1 << 16);
        let mut json = Frame::new(&mut buf, pretty, 0);
        json.open(b'{');
        // First, so a saved trace is recognised by its opening bytes.
        json.key("tool").value("cors-tui")?;
        json.key("version").value(env!("CARGO_PKG_VERSION"))?;
        json.key("title").value(self.title)?;
        json.key("description").value(self.description)?;
        json.key("browser").value(self.profile.name())?;
        json.key("server")
            .value(&super::server_lines(self.scenario))?;
        json.key("initial_variables")
            .value(&Variables(Cow::Borrowed(self.initial_variables)))?;
        json.key("steps").open(b'[');
        let recorded = self.recording.map(|r| r.recorded.as_slice());
        let (checked, failed, tail) = match self.source {
            Source::Done(trace) => {
                let mut row = Row::new(&trace.initial_variables);
                for step in &trace.steps {
                    json.item();
                    json.value(&StepDoc::new(step, trace.text(step), row.after(step)))?;
                    json.flush_to(out)?;
                }
                json.close(b']');
                json.key("requests").open(b'[');
                for (i, r) in trace.requests.iter().enumerate() {
                    let recorded = recorded.and_then(|all| all.get(i));
                    let fix = self.fixes.get(i).and_then(Option::as_ref);
                    json.item();
                    json.value(&RequestDoc::new(r, recorded, fix))?;
                    json.flush_to(out)?;
                }
                json.close(b']');
                let checked = trace.requests.iter().filter(|r| r.expect.is_some()).count();
                let failed = trace.failed_expectations().cloned().collect();
                let fix_groups = crate::analysis::fix::fixes_by_group(self.scenario, trace);
                (
                    checked,
                    failed,
                    Tail::new(self.scenario, self.recording, fix_groups, pretty)?,
                )
            }
            Source::Live(LiveRun {
                run,
                mut items,
                tail,
            }) => {
                // The whole `requests` value, brackets and all, goes to the spill file.
                let mut item_buf = Vec::new();
                let mut requests = Frame::new(&mut item_buf, pretty, 1);
                requests.open(b'[');
                let (mut checked, mut failed) = (0, Vec::new());
                // Without the whole trace, a fix is proven on the request's group alone, where
                // that is all a change can reach (a recording, scripted answers).
                let scope = crate::analysis::fix::Scope::new(self.scenario);
                let mut row = Row::new(self.initial_variables);
                for batch in run {
                    let mut written = batch.steps_json.as_ref().map(StepsJson::items);
                    for (record, record_steps) in batch.requests {
                        for step in &record_steps {
                            json.item();
                            let variables = row.after(step);
                            match written.as_mut().and_then(Iterator::next) {
                                // Written at STEPS_DEPTH, which is where this item sits: the
                                // live-run test holds the bytes to a finished trace's.
                                Some(bytes) => json.raw(bytes),
                                None => {
                                    let text = crate::narrate::step(step, &record, self.profile);
                                    json.value(&StepDoc::new(step, text, variables))?;
                                }
                            }
                            json.flush_to(out)?;
                        }
                        let recorded = recorded.and_then(|all| all.get(record.index - 1));
                        let fix = scope.as_ref().and_then(|scope| {
                            crate::analysis::fix::streamed_fix(
                                self.scenario,
                                self.profile,
                                scope,
                                &record,
                            )
                        });
                        requests.item();
                        requests.value(&RequestDoc::new(&record, recorded, fix.as_ref()))?;
                        requests.flush_to(&mut items)?;
                        checked += usize::from(record.expect.is_some());
                        if !record.expectation_met() {
                            failed.push(record);
                        }
                    }
                }
                requests.close(b']');
                requests.flush_to(&mut items)?;
                json.close(b']');
                json.key("requests");
                items.copy_into(&mut json, out)?;
                (checked, failed, tail()?)
            }
        };
        let expectations = Expectations {
            checked,
            met: checked - failed.len(),
            failed: failed.iter().map(|r| r.index).collect(),
        };
        if !tail.fix_groups.is_empty() {
            json.key("fix_groups").open(b'[');
            for group in &tail.fix_groups {
                json.item();
                json.value(&FixGroupDoc::new(group))?;
                json.flush_to(out)?;
            }
            json.close(b']');
        }
        json.key("expectations").value(&expectations)?;
        if let Some(recording) = tail.recording {
            json.key("recording")
                .copied(&mut recording.as_slice(), out)?;
        }
        json.key("scenario");
        tail.scenario.copy_into(&mut json, out)?;
        json.close(b'}');
        json.flush_to(out)?;
        out.write_all(b"\n")?;
        Ok(failed)
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
        fixes: crate::analysis::fix::fixes(scenario, trace),
    };
    document.write(out, pretty).map(drop)
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
    if scenario.requests.len() <= crate::analysis::fix::MAX_REQUESTS_FOR_FIXES {
        let trace = crate::engine::run(scenario, profile);
        write(out, scenario, &trace, recording, pretty)?;
        return Ok(trace.failed_expectations().cloned().collect());
    }
    let items = SetAside::new(true)?;
    let run = Requests::new(scenario, profile);
    let initial_variables = run.initial_variables().to_vec();
    // The engine runs on its own thread, a batch of requests ahead of the writer: making the
    // steps and writing them take about as long as each other.
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Batch>(8);
        let before = initial_variables.clone();
        // Where a change reaches every request, the blocked requests are grouped as they come,
        // and each new group's fix is proven on a thread of its own against the verdicts as
        // they are made.
        let grouped = crate::analysis::fix::Scope::new(scenario).is_none();
        let engine = scope.spawn(move || {
            let mut proofs = crate::analysis::fix::ProvingAsItRuns::new(scope, scenario, profile);
            let mut blocked = crate::analysis::fix::BlockedAlike::default();
            let mut run = run.peekable();
            let mut row = Row::new(&before);
            let mut written_here = false;
            while run.peek().is_some() {
                let requests: Vec<_> = run.by_ref().take(LIVE_BATCH).collect();
                if grouped {
                    for (record, _) in &requests {
                        proofs.verdict(record.outcome);
                        if let Some(first) = blocked.add(scenario, record)
                            && proofs.proving() < crate::analysis::fix::FIXED_GROUPS
                        {
                            proofs.prove(first.clone());
                        }
                    }
                }
                // Running the engine takes less than writing its steps: this thread writes
                // every other batch's steps, and the writer the rest.
                written_here = !written_here;
                let steps_json = if written_here {
                    Some(StepsJson::of(&requests, &mut row, profile, pretty)?)
                } else {
                    for step in requests.iter().flat_map(|(_, steps)| steps) {
                        row.after(step);
                    }
                    None
                };
                let batch = Batch {
                    requests,
                    steps_json,
                };
                if batches.send(batch).is_err() {
                    // The writer stopped (a closed pipe): stop simulating too.
                    return Err(io::Error::other("the writer stopped"));
                }
            }
            drop(batches);
            // The run's own memory goes before the last proofs make theirs.
            drop(run);
            let fix_groups = if grouped {
                blocked.fixes(
                    scenario,
                    profile,
                    proofs.finish(),
                    crate::analysis::fix::FIXED_GROUPS,
                )
            } else {
                Vec::new()
            };
            Tail::new(scenario, recording, fix_groups, pretty)
        });
        let tail = move || {
            engine
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the engine's thread panicked")))
        };
        let mut requests = received.into_iter();
        let document = Document {
            scenario,
            title: &scenario.title,
            description: &scenario.description,
            profile,
            initial_variables: &initial_variables,
            source: Source::Live(LiveRun {
                run: &mut requests,
                items,
                tail: Box::new(tail),
            }),
            recording,
            fixes: Vec::new(),
        };
        document.write(out, pretty)
    })
}

/// Requests the engine hands the writer at a time.
const LIVE_BATCH: usize = 256;

/// Every character `is_unsafe_char` flags, beyond the C0 controls JSON escapes anyway, is DEL
/// or starts with one of these UTF-8 lead bytes: only characters starting with them are
/// decoded and checked.
const UNSAFE_LEAD_BYTES: [u8; 5] = [0x7f, 0xc2, 0xd8, 0xe2, 0xef];

/// A formatter that also escapes terminal-active characters serde_json leaves raw.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Only characters starting with one of UNSAFE_LEAD_BYTES are decoded.
        let bytes = fragment.as_bytes();
        // Most text is ASCII without DEL: one fast pass, and it is written as it is.
        if fragment.is_ascii() && memchr::memchr(0x7f, bytes).is_none() {
            return writer.write_all(bytes);
        }
        let [del, c2, d8, e2, ef] = UNSAFE_LEAD_BYTES;
        let next_candidate = |from: usize| {
            let rest = &bytes[from..];
            match (
                memchr::memchr3(c2, e2, ef, rest),
                memchr::memchr2(del, d8, rest),
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
    use proptest::prelude::*;

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
        std::sync::Arc::make_mut(&mut scenario.requests)[0].expect =
            Some(crate::scenario::Outcome::Blocked);
        let lesson = scenario.requests.clone();
        while scenario.requests.len() <= crate::analysis::fix::MAX_REQUESTS_FOR_FIXES {
            std::sync::Arc::make_mut(&mut scenario.requests).extend(lesson.iter().cloned());
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

        // Indented too, byte for byte, and the same data as serde_json's own pretty printer.
        let (mut finished, mut live) = (Vec::new(), Vec::new());
        assert!(write(&mut finished, &scenario, &trace, None, true).is_ok());
        assert!(run_and_write(&mut live, &scenario, profile, None, true).is_ok());
        assert!(finished == live, "the streamed indented document differs");
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&finished) else {
            panic!("the indented document is JSON")
        };
        // Past 500 requests a bucket's fixes come by group: the lesson's blocked requests ask
        // alike from one copy to the next, so each group holds one request of each copy.
        let copies = scenario.requests.len() / lesson.len();
        let Some(groups) = value["fix_groups"].as_array() else {
            panic!("a large run of a bucket has fix_groups")
        };
        assert!(!groups.is_empty());
        for group in groups {
            assert_eq!(group["requests"].as_array().map(Vec::len), Some(copies));
            // The lesson keeps one origin out on purpose: its block is not to be fixed.
            let on_purpose = group["origin"] == "https://malicious.com";
            assert_eq!(group["fix"]["proven"], !on_purpose, "{group}");
            let allowed = if on_purpose { 0 } else { copies };
            assert_eq!(group["allowed"], allowed, "{group}");
        }
        let mut reprinted = Vec::new();
        assert!(write_value(&mut reprinted, &value, true).is_ok());
        assert!(
            reprinted == finished,
            "indentation differs from serde_json's"
        );
    }

    #[test]
    fn every_unsafe_character_starts_with_a_scanned_byte() {
        // serde_json escapes below U+0020 itself; the formatter must catch all the rest.
        let missed: Vec<char> = (' '..=char::MAX)
            .filter(|&c| is_unsafe_char(c))
            .filter(|c| {
                let mut buf = [0; 4];
                let first = c.encode_utf8(&mut buf).as_bytes()[0];
                !UNSAFE_LEAD_BYTES.contains(&first)
            })
            .collect();
        assert_eq!(missed, Vec::<char>::new());
    }

    fn serde_compact(value: &impl Serialize) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(write_json(&mut out, value, false).is_ok());
        out
    }

    /// Every shipped scenario and every well-formed HAR fixture, with what each recorded.
    fn shipped_inputs() -> Vec<(String, Scenario, Option<Recording>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let list = |dir: &str| {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .collect();
            files.sort();
            files
        };
        let mut inputs = Vec::new();
        for file in list("scenarios") {
            let Ok(scenario) = crate::scenario::load_file(&file) else {
                panic!("{} loads", file.display())
            };
            inputs.push((file.display().to_string(), scenario, None));
        }
        for file in list("tests/fixtures/har") {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if let Ok(import) = crate::formats::har::load_har(&text, &name, false) {
                inputs.push((name, import.scenario, Some(import.recording)));
            }
        }
        assert!(inputs.iter().filter(|i| i.2.is_some()).count() >= 4);
        assert!(inputs.len() >= 20, "{}", inputs.len());
        inputs
    }

    #[test]
    fn steps_and_requests_read_back_through_the_types_that_wrote_them() {
        use super::super::document::{RequestDoc, StepDoc};
        let (mut steps, mut requests) = (0, 0);
        for (name, scenario, recording) in shipped_inputs() {
            for profile in [BrowserProfile::Chromium, BrowserProfile::Standard] {
                let trace = crate::engine::run(&scenario, profile);
                let mut row = Row::new(&trace.initial_variables);
                for step in &trace.steps {
                    let variables = row.after(step);
                    let written = StepDoc::new(step, trace.text(step), variables);
                    let text = serde_compact(&written);
                    let read: Result<StepDoc, _> = serde_json::from_slice(&text);
                    match read {
                        Ok(doc) => {
                            // Read back, the step holds its words as written.
                            let back = doc.into_step();
                            // It keeps its whole row: read after any row, it gives its own.
                            let mut back_row = Row::new(&trace.initial_variables);
                            assert_eq!(
                                String::from_utf8_lossy(&serde_compact(&StepDoc::new(
                                    &back,
                                    trace.text(&back),
                                    back_row.after(&back)
                                ))),
                                String::from_utf8_lossy(&text),
                                "{name} step {}",
                                step.n
                            );
                        }
                        Err(e) => panic!("{name} step {}: {e}", step.n),
                    }
                    steps += 1;
                }
                for (i, record) in trace.requests.iter().enumerate() {
                    let recorded = recording.as_ref().and_then(|r| r.recorded.get(i));
                    let text = serde_compact(&RequestDoc::new(record, recorded, None));
                    let read: Result<RequestDoc, _> = serde_json::from_slice(&text);
                    match read {
                        Ok(doc) => {
                            let (again, recorded_again) = doc.into_record();
                            assert_eq!(&again, record, "{name} request {}", record.index);
                            assert_eq!(recorded_again.as_ref(), recorded);
                        }
                        Err(e) => panic!("{name} request {}: {e}", record.index),
                    }
                    requests += 1;
                }
            }
        }
        assert!(steps > 100 && requests > 50, "{steps} {requests}");
    }

    /// The scenario at the document's end, a request at a time and through `write::to_raw`.
    fn assert_scenario_bytes(name: &str, scenario: &Scenario) {
        for pretty in [false, true] {
            let mut streamed = Vec::new();
            let written = write_scenario(
                &mut Frame::new(&mut Vec::new(), pretty, 1),
                scenario,
                &mut streamed,
            );
            assert!(written.is_ok());
            let serde = nested_json(&write::to_raw(scenario), pretty, 1).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&serde),
                "{name} pretty={pretty}"
            );
        }
    }

    #[test]
    fn a_streamed_scenario_is_the_serde_bytes_for_every_shipped_input() {
        for (name, scenario, _) in shipped_inputs() {
            assert_scenario_bytes(&name, &scenario);
        }
    }

    #[test]
    fn a_written_scenario_keeps_every_request_field() {
        use crate::scenario::{CannedResponse, Outcome};
        let Some((_, mut scenario, _)) = shipped_inputs().into_iter().next() else {
            panic!("a shipped scenario")
        };
        let Some(request) = std::sync::Arc::make_mut(&mut scenario.requests).first_mut() else {
            panic!("a request")
        };
        // A repeated name (the list is written as pairs, so neither is lost) and names and
        // values that need escaping.
        request.headers = vec![
            ("X-One".into(), "1".into()),
            ("X-\"q\u{1b}[2J".into(), "\u{202e}evil".into()),
            ("X-One".into(), "2".into()),
        ]
        .into();
        request.wait_seconds = 7;
        request.actual_withheld = true;
        request.preflight_not_recorded = true;
        request.expect = Some(Outcome::Blocked);
        request.note = Some("line\nbreak".into());
        request.responses.actual = Some(CannedResponse {
            status: 418,
            headers: vec![("Access-Control-Allow-Origin".into(), "*".into())].into(),
            body: "tea".into(),
            network_error: None,
        });
        request.responses.preflight = Some(CannedResponse {
            status: 204,
            headers: crate::http::Headers::new(),
            body: String::new(),
            network_error: None,
        });
        let text = String::from_utf8_lossy(
            &nested_json(&write::to_raw(&scenario), false, 1).unwrap_or_default(),
        )
        .into_owned();
        for expected in [
            r#""headers":[["X-One","1"],["X-\"q\u001b[2J","\u202eevil"],["X-One","2"]]"#,
            r#""wait_seconds":7"#,
            r#""actual_sent":false"#,
            r#""preflight_recorded":false"#,
            r#""responses":{"preflight":{"status":204},"actual":{"status":418,"#,
            r#""body":"tea""#,
            r#""note":"line\nbreak""#,
            r#"\u001b[2J"#,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert_scenario_bytes("every field", &scenario);
    }

    /// Text that reaches every branch of the escaper: plain runs, quotes, backslashes, C0 and
    /// C1 controls, DEL, bidi and other unsafe characters, and harmless non-ASCII of every
    /// UTF-8 length.
    fn tricky_text() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            "[a-z ]{0,40}",
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\u{7f}\u{9b}\u{85}".to_string()),
            Just("\u{202e}\u{2066}\u{200b}\u{feff}\u{061c}".to_string()),
            Just("—§é😀".to_string()),
            any::<char>().prop_map(String::from),
            (0u8..0x20).prop_map(|b| char::from(b).to_string()),
        ];
        proptest::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #[test]
        fn strings_are_written_terminal_safe_and_read_back_whole(text in tricky_text()) {
            let written = serde_compact(&text);
            let json = String::from_utf8_lossy(&written);
            proptest::prop_assert!(
                !json.chars().any(is_unsafe_char),
                "{json:?} shows an unsafe character raw"
            );
            let back: Result<String, _> = serde_json::from_slice(&written);
            proptest::prop_assert_eq!(back.ok(), Some(text));
        }
    }

    fn is_unsafe_char_visible_in_output(c: char) -> bool {
        c != '\n' && is_unsafe_char(c)
    }
}
