//! `--print`: the execution table, the variable tracker and each request's verdict as plain
//! text, with no terminal escape codes. Every piece of scenario text goes through
//! [`escape`](crate::safe_text::escape).

use std::io::{self, Write};

use comfy_table::{Cell, ContentArrangement, Table, presets};

use crate::engine::http::ABBREVIATIONS;
use crate::engine::{RequestRecord, Trace, VARIABLES, Verdict};
use crate::safe_text::escape;
use crate::scenario::{Outcome, Scenario};

fn table(width: u16) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    table
}

fn marker(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Info => "",
        Verdict::Pass => "✓ ",
        Verdict::Allowed => "✓ ",
        Verdict::Blocked => "✗ ",
        Verdict::Sent => "→ ",
    }
}

fn outcome_word(request: &RequestRecord) -> &'static str {
    match request.outcome {
        Outcome::Allowed => "ALLOWED",
        Outcome::Blocked => "BLOCKED",
        Outcome::Sent if request.held_back() => "NOT SENT (the probe held it back)",
        Outcome::Sent => "SENT (no browser)",
    }
}

/// Wraps `text` to `width` columns, keeping its leading spaces and indenting continuation lines.
/// Linear in the text: each line's width is counted as it grows, not again for every word.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let body = text.trim_start_matches(' ');
    let mut lines = Vec::new();
    let mut line = text[..text.len() - body.len()].to_string();
    let lead = line.len();
    let indent_width = indent.chars().count();
    let mut line_width = lead;
    for word in body.split(' ') {
        let word_width = word.chars().count();
        if line.len() > lead && line_width + word_width + 1 > width {
            lines.push(std::mem::take(&mut line));
            line.push_str(indent);
            line_width = indent_width;
        } else if line.len() > lead {
            line.push(' ');
            line_width += 1;
        }
        line.push_str(word);
        line_width += word_width;
    }
    lines.push(line);
    lines.join("\n")
}

/// The most characters a table cell shows. Longer text (a 100 KB URL, thousands of header
/// names) is cut with a note of how much was left out: the table is an overview, and laying out
/// a cell costs the table far more than its length. Each request's section below gives its
/// summary and console line in full.
const CELL_CHARACTERS: usize = 400;

/// A table cell's text: escaped, and cut at [`CELL_CHARACTERS`].
fn cell(text: &str) -> String {
    let escaped = escape(text);
    match escaped.char_indices().nth(CELL_CHARACTERS) {
        None => escaped.into_owned(),
        Some((cut, _)) => {
            let left = escaped[cut..].chars().count();
            format!("{}… [{left} more characters]", &escaped[..cut])
        }
    }
}

/// For a recording: how many exchanges, how many blocked and why, and where the replay
/// disagrees with what the browser recorded.
pub fn write_recording_summary(
    out: &mut impl Write,
    trace: &Trace,
    recording: &crate::formats::har::Recording,
    all: bool,
    width: u16,
) -> io::Result<()> {
    let w = usize::from(width);
    let blocked: Vec<_> = trace
        .requests
        .iter()
        .filter(|r| r.outcome == Outcome::Blocked)
        .collect();
    writeln!(out, "RECORDING")?;
    writeln!(
        out,
        "{} entries: {} cross-origin exchange(s), {} blocked; {} same-origin or not CORS (skipped).",
        recording.entries,
        trace.requests.len(),
        blocked.len(),
        recording.skipped.len()
    )?;
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
    let mut reasons: Vec<(&'static str, usize)> = Vec::new();
    for request in &blocked {
        let name = request.cors_error.map_or("unknown", |e| e.name());
        match reasons.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 += 1,
            None => reasons.push((name, 1)),
        }
    }
    for (name, count) in reasons {
        writeln!(out, "  {count} × {name}")?;
    }
    for (request, recorded) in trace.requests.iter().zip(&recording.recorded) {
        let verdict = match recorded.blocked {
            Some(blocked) if blocked == (request.outcome == Outcome::Blocked) => " (agrees)",
            Some(_) => " — DISAGREES with the recording",
            None => " (the recording does not say whether the browser blocked it)",
        };
        let recorded_text = format!(
            "recorded status {}{}",
            recorded.status,
            recorded
                .error
                .as_deref()
                .map(|e| format!(", {}", escape(e)))
                .unwrap_or_default()
        );
        let line = format!(
            "#{} {} {} — replay: {}; {}{}",
            request.index,
            escape(&request.method),
            escape(&request.url),
            request.outcome.name(),
            recorded_text,
            verdict
        );
        writeln!(out, "{}", wrap(&line, w, "   "))?;
        for note in &recorded.notes {
            writeln!(out, "   {}", wrap(&escape(note), w, "   "))?;
        }
    }
    writeln!(out)
}

pub fn write(
    out: &mut impl Write,
    scenario: &Scenario,
    trace: &Trace,
    width: u16,
) -> io::Result<()> {
    let w = usize::from(width);
    writeln!(out, "{}", escape(&trace.title))?;
    if !trace.description.is_empty() {
        writeln!(out, "{}", wrap(&escape(&trace.description), w, ""))?;
    }
    writeln!(out, "Browser profile: {}", trace.profile.label())?;
    writeln!(out)?;
    writeln!(out, "SERVER")?;
    for line in super::server_lines(scenario) {
        writeln!(out, "{}", wrap(&escape(&line), w, "      "))?;
    }

    writeln!(out)?;
    writeln!(out, "EXECUTION TABLE")?;
    let mut steps = table(width);
    steps.set_header(vec![
        "Step",
        "Req",
        "Action",
        "Request Type",
        "CORS Headers Sent",
        "Browser Decision",
        "Result",
    ]);
    for step in &trace.steps {
        steps.add_row(vec![
            Cell::new(step.n),
            Cell::new(format!("#{}", step.request)),
            Cell::new(cell(&step.action)),
            Cell::new(cell(&step.request_type)),
            Cell::new(cell(&step.cors_headers)),
            Cell::new(cell(&step.decision)),
            Cell::new(format!("{}{}", marker(step.verdict), cell(&step.result))),
        ]);
    }
    writeln!(out, "{steps}")?;
    let legend: Vec<String> = ABBREVIATIONS
        .iter()
        .map(|(short, full)| format!("{short} = {full}"))
        .collect();
    writeln!(out, "{}", wrap(&legend.join(", "), w, ""))?;

    writeln!(out)?;
    writeln!(
        out,
        "VARIABLE TRACKER (value after each step; * = changed by that step)"
    )?;
    let per_chunk = ((w.saturating_sub(20)) / 24).max(1);
    let columns: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..trace.steps.len()).map(Some))
        .collect();
    for chunk in columns.chunks(per_chunk) {
        let mut tracker = table(width);
        let mut header = vec!["Variable".to_string()];
        header.extend(chunk.iter().map(|c| match c {
            None => "Start".to_string(),
            Some(i) => format!("After step {}", i + 1),
        }));
        tracker.set_header(header);
        for (v, name) in VARIABLES.iter().enumerate() {
            let mut row = vec![name.to_string()];
            for column in chunk {
                row.push(match column {
                    None => cell(&trace.initial_variables[v]),
                    Some(i) => {
                        let step = &trace.steps[*i];
                        let star = if step.changed.contains(&v) { "* " } else { "" };
                        format!("{star}{}", cell(&step.variables[v]))
                    }
                });
            }
            tracker.add_row(row);
        }
        writeln!(out, "{tracker}")?;
    }

    writeln!(out)?;
    writeln!(out, "REQUESTS")?;
    let fixes = crate::fix::fixes(scenario, trace);
    if trace.requests.len() > crate::fix::MAX_REQUESTS_FOR_FIXES {
        writeln!(
            out,
            "(Fixes are worked out for up to {} requests.)",
            crate::fix::MAX_REQUESTS_FOR_FIXES
        )?;
    }
    for request in &trace.requests {
        let expectation = match request.expect {
            None => String::new(),
            Some(e) if e == request.outcome => format!("  (expected {}: ok)", e.name()),
            Some(e) => format!("  (EXPECTED {}: MISMATCH)", e.name().to_uppercase()),
        };
        writeln!(
            out,
            "#{} {} {} from {} — {}{}",
            request.index,
            escape(&request.method),
            escape(&request.url),
            escape(request.origin.as_deref().unwrap_or("(no Origin)")),
            outcome_word(request),
            expectation
        )?;
        if let Some(note) = &request.note {
            writeln!(
                out,
                "   {}",
                wrap(&format!("Note: {}", escape(note)), w, "   ")
            )?;
        }
        writeln!(out, "   {}", wrap(&escape(&request.summary), w, "   "))?;
        if let Some(error) = &request.error {
            writeln!(
                out,
                "   {}",
                wrap(&format!("Console: {}", escape(error)), w, "   ")
            )?;
        }
        for note in &request.profile_notes {
            writeln!(out, "   {}", wrap(&escape(note), w, "   "))?;
        }
        if let Some(fix) = fixes.get(request.index - 1).and_then(Option::as_ref) {
            write_fix(out, fix, request.index, w)?;
        }
    }

    writeln!(out)?;
    writeln!(out, "WHY, STEP BY STEP")?;
    for step in &trace.steps {
        writeln!(
            out,
            "{}",
            wrap(
                &format!(
                    "{:>3}. [#{}] {}",
                    step.n,
                    step.request,
                    escape(&step.explanation)
                ),
                w,
                "     "
            )
        )?;
        if let Some(note) = &step.profile_note {
            writeln!(out, "     {}", wrap(&escape(note), w, "     "))?;
        }
    }

    let checked = trace.requests.iter().filter(|r| r.expect.is_some()).count();
    let failed: Vec<_> = trace.failed_expectations().collect();
    writeln!(out)?;
    if failed.is_empty() {
        writeln!(out, "Expectations: {checked} of {checked} met.")?;
    } else {
        writeln!(
            out,
            "Expectations: {} of {checked} met.",
            checked - failed.len()
        )?;
        for request in failed {
            writeln!(
                out,
                "{}",
                wrap(
                    &format!(
                        "Expectation failed: request #{} expected {} but was {}: {}",
                        request.index,
                        request.expect.map_or("", |e| e.name()),
                        request.outcome.name(),
                        escape(&request.summary)
                    ),
                    w,
                    "  "
                )
            )?;
        }
    }
    Ok(())
}

fn write_fix(
    out: &mut impl Write,
    fix: &crate::fix::Fix,
    index: usize,
    w: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "   {}",
        wrap(&format!("Fix: {}", escape(&fix.summary)), w, "   ")
    )?;
    for line in fix.diff.iter().chain(&fix.headers) {
        writeln!(out, "     {}", wrap(&escape(line), w, "       "))?;
    }
    for caveat in &fix.caveats {
        writeln!(
            out,
            "   {}",
            wrap(&format!("Note: {}", escape(caveat)), w, "   ")
        )?;
    }
    if !fix.diff.is_empty() || !fix.headers.is_empty() {
        let proof = if !fix.proven {
            format!("Re-run with the change: request #{index} is still blocked.")
        } else if fix.side_effects.is_empty() {
            format!(
                "Proof: re-run with the change, request #{index} is allowed and no other request changes outcome."
            )
        } else {
            let changes: Vec<String> = fix
                .side_effects
                .iter()
                .map(|(i, before, after)| {
                    format!("#{i} goes from {} to {}", before.name(), after.name())
                })
                .collect();
            format!(
                "Proof: re-run with the change, request #{index} is allowed; also {}.",
                changes.join(", ")
            )
        };
        writeln!(out, "   {}", wrap(&proof, w, "   "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_indents() {
        assert_eq!(wrap("aaa bbb ccc", 7, "  "), "aaa bbb\n  ccc");
        assert_eq!(wrap("short", 80, ""), "short");
        assert_eq!(wrap("  rule one two", 10, "    "), "  rule one\n    two");
    }
}
