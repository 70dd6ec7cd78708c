//! `--print`: the execution table, the variable tracker and each request's verdict as plain
//! text, with no terminal escape codes. Every piece of scenario text goes through
//! [`escape`](crate::safe_text::escape).

use std::io::{self, Write};

use super::table::Table;
use crate::analysis::fix::FIXED_GROUPS;
use crate::engine::{RequestRecord, Row, Trace, VARIABLES, Verdict};
use crate::http::ABBREVIATIONS;
use crate::narrate::{count, counted};
use crate::safe_text::escape;
use crate::scenario::{BrowserProfile, Outcome, Scenario};

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
    use crate::engine::fetch_rules::ElementOutcome;
    let script = request.initiator == crate::scenario::Initiator::Script;
    match request.outcome {
        Outcome::Allowed => "ALLOWED",
        Outcome::Blocked => "BLOCKED",
        Outcome::Sent if request.held_back() => "NOT SENT (the probe held it back)",
        Outcome::Sent => match request.element_outcome() {
            Some(ElementOutcome::Loads) if script => "RUNS (a <script>, no CORS check)",
            Some(ElementOutcome::Loads) => "SHOWN (an <img>, no CORS check)",
            Some(ElementOutcome::Withheld(_)) => "WITHHELD BY ORB (no CORS check)",
            Some(ElementOutcome::Refused(_)) => {
                "REFUSED BY CORP (its Cross-Origin-Resource-Policy; no CORS check)"
            }
            Some(_) if script => "DOES NOT RUN (a <script>, no CORS check)",
            Some(_) => "NOT SHOWN (an <img>, no CORS check)",
            None if request.via == crate::scenario::Via::NoCors => {
                if request.refused_by_corp().is_some() {
                    "REJECTED BY CORP (its Cross-Origin-Resource-Policy; mode 'no-cors')"
                } else {
                    "OPAQUE (mode 'no-cors': the script reads nothing)"
                }
            }
            None => "SENT (no browser)",
        },
    }
}

/// Wraps `text` to `width` columns, keeping its leading spaces and indenting continuation lines.
/// Linear in the text: each line's width is counted as it grows, not again for every word.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    if char_count(text) <= width {
        return text.to_string();
    }
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let mut out =
        String::with_capacity(text.len() + text.len() / width.max(1) * (indent.len() + 1));
    out.push_str(&text[..lead]);
    // Where the line being made starts in `out`.
    let mut line_start = 0;
    let indent_width = char_count(indent);
    let mut line_width = lead;
    for word in body.split(' ') {
        let word_width = char_count(word);
        let line_len = out.len() - line_start;
        if line_len > lead && line_width + word_width + 1 > width {
            out.push('\n');
            line_start = out.len();
            out.push_str(indent);
            line_width = indent_width;
        } else if line_len > lead {
            out.push(' ');
            line_width += 1;
        }
        out.push_str(word);
        line_width += word_width;
    }
    out
}

/// Characters in `text`: its length, when it is ASCII (nearly always).
fn char_count(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// The most characters a table cell shows. Longer text (a 100 KB URL, thousands of header
/// names) is cut with a note of how much was left out: the table is an overview, and laying out
/// a cell costs the table far more than its length. Each request's section below gives its
/// summary and console line in full.
const CELL_CHARACTERS: usize = 400;

/// A table cell's text: escaped, and cut at [`CELL_CHARACTERS`].
fn cell(text: &str) -> String {
    let escaped = escape(text);
    if escaped.len() <= CELL_CHARACTERS {
        // No more characters than bytes: nothing to cut.
        return escaped.into_owned();
    }
    match escaped.char_indices().nth(CELL_CHARACTERS) {
        None => escaped.into_owned(),
        Some((cut, _)) => {
            let left = escaped[cut..].chars().count();
            format!("{}… [{left} more characters]", &escaped[..cut])
        }
    }
}

/// The title, the profile and the server.
fn write_head(
    out: &mut impl Write,
    scenario: &Scenario,
    title: &str,
    description: &str,
    profile: BrowserProfile,
    w: usize,
) -> io::Result<()> {
    writeln!(out, "{}", escape(title))?;
    if !description.is_empty() {
        writeln!(out, "{}", wrap(&escape(description), w, ""))?;
    }
    writeln!(out, "Browser profile: {}", profile.label())?;
    writeln!(out)?;
    writeln!(out, "SERVER")?;
    for line in super::server_lines(scenario) {
        writeln!(out, "{}", wrap(&escape(&line), w, "      "))?;
    }

    Ok(())
}

/// The execution table, the variable tracker, each request's verdict and why each step
/// happened, for `steps` and the `requests` they belong to; `start` holds the variables before
/// the first of them. `fixes` is indexed by request number (empty when not worked out).
#[allow(clippy::too_many_arguments)]
fn write_part(
    out: &mut impl Write,
    start: &[std::sync::Arc<crate::engine::tracker::Cell>],
    start_label: &str,
    steps: &[crate::engine::Step],
    requests: &[RequestRecord],
    fixes: &[Option<crate::analysis::fix::Fix>],
    fixes_worked_out: bool,
    (width, profile): (u16, crate::scenario::BrowserProfile),
) -> io::Result<()> {
    let w = usize::from(width);
    // Each step in words once: the table and the explanations both read them.
    let first_request = requests.first().map_or(1, |r| r.index);
    let texts: Vec<_> = steps
        .iter()
        .filter_map(|step| {
            let record = requests.get(step.request.checked_sub(first_request)?)?;
            Some(crate::narrate::step(step, record, profile))
        })
        .collect();
    writeln!(out)?;
    writeln!(out, "EXECUTION TABLE")?;
    let mut table_of_steps = Table::new(
        [
            "Step",
            "Req",
            "Action",
            "Request Type",
            "CORS Headers Sent",
            "Browser Decision",
            "Result",
        ]
        .map(String::from)
        .to_vec(),
    );
    for (step, text) in steps.iter().zip(&texts) {
        table_of_steps.row(vec![
            step.n.to_string(),
            format!("#{}", step.request),
            cell(&text.action),
            cell(&text.request_type),
            cell(&text.cors_headers),
            cell(&text.decision),
            format!("{}{}", marker(step.verdict), cell(&text.result)),
        ]);
    }
    table_of_steps.write(out, w)?;
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
    let mut row = Row::new(start);
    let rows: Vec<Vec<_>> = steps.iter().map(|step| row.after(step).to_vec()).collect();
    let per_chunk = ((w.saturating_sub(20)) / 24).max(1);
    let columns: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..steps.len()).map(Some))
        .collect();
    for chunk in columns.chunks(per_chunk) {
        let mut header = vec!["Variable".to_string()];
        header.extend(chunk.iter().map(|c| match c {
            None => start_label.to_string(),
            Some(i) => format!("After step {}", steps[*i].n),
        }));
        let mut tracker = Table::new(header);
        for (v, name) in VARIABLES.iter().enumerate().take(start.len()) {
            let mut row = vec![name.to_string()];
            for column in chunk {
                row.push(match column {
                    None => cell(&start[v].text()),
                    Some(i) => {
                        let step = &steps[*i];
                        let star = if step.changed.contains(v) { "* " } else { "" };
                        format!("{star}{}", cell(&rows[*i][v].text()))
                    }
                });
            }
            tracker.row(row);
        }
        tracker.write(out, w)?;
    }

    writeln!(out)?;
    writeln!(out, "REQUESTS")?;
    if !fixes_worked_out {
        writeln!(
            out,
            "(Past {} requests, each fix is proven by running them all again: the blocked requests' fixes follow in FIXES, one per group that asks alike.)",
            crate::analysis::fix::MAX_REQUESTS_FOR_FIXES
        )?;
    }
    for request in requests {
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
        writeln!(
            out,
            "   {}",
            wrap(&escape(&request.summary_text()), w, "   ")
        )?;
        if let Some(error) = &request.error() {
            writeln!(
                out,
                "   {}",
                wrap(&format!("Console: {}", escape(error)), w, "   ")
            )?;
        }
        for note in &request.profile_notes {
            writeln!(out, "   {}", wrap(&escape(&note.to_string()), w, "   "))?;
        }
        if let Some(fix) = fixes
            .get(request.index - first_request)
            .and_then(Option::as_ref)
        {
            write_fix(out, fix, request.index, w)?;
        }
    }

    writeln!(out)?;
    writeln!(out, "WHY, STEP BY STEP")?;
    for (step, text) in steps.iter().zip(&texts) {
        writeln!(
            out,
            "{}",
            wrap(
                &format!(
                    "{:>3}. [#{}] {}",
                    step.n,
                    step.request,
                    escape(&text.explanation)
                ),
                w,
                "     "
            )
        )?;
        if let Some(note) = &text.profile_note {
            writeln!(out, "     {}", wrap(&escape(note), w, "     "))?;
        }
    }

    Ok(())
}

/// How many requests' expectations were checked, and each one that failed.
fn write_expectations(
    out: &mut impl Write,
    checked: usize,
    failed: &[&RequestRecord],
    w: usize,
) -> io::Result<()> {
    writeln!(out)?;
    if failed.is_empty() {
        writeln!(out, "Expectations: {checked} of {checked} met.")?;
    } else {
        writeln!(
            out,
            "Expectations: {} of {checked} met.",
            checked - failed.len()
        )?;
        for request in failed.iter().copied() {
            writeln!(
                out,
                "{}",
                wrap(
                    &format!(
                        "Expectation failed: request #{} expected {} but was {}: {}",
                        request.index,
                        request.expect.map_or("", |e| e.name()),
                        request.outcome.name(),
                        escape(&request.summary_text())
                    ),
                    w,
                    "  "
                )
            )?;
        }
    }
    Ok(())
}

/// Requests per part when a run too large to hold is printed as it is simulated.
pub const PART_REQUESTS: usize = 1_000;

/// `--print` of a run too large to hold whole (more requests than fixes are worked out for):
/// the engine runs a part of [`PART_REQUESTS`] at a time, and each part is written and dropped,
/// so memory is bounded by a part, not the run. With `fixes`, FIXES follows the parts where
/// fixes reach every request (a recording's report, printed before the steps, has its own).
/// Returns the requests whose expectation failed.
pub fn stream(
    out: &mut impl Write,
    scenario: &Scenario,
    (profile, fixes): (BrowserProfile, bool),
    width: u16,
) -> io::Result<Vec<RequestRecord>> {
    let w = usize::from(width);
    let total = scenario.requests.len();
    let parts = total.div_ceil(PART_REQUESTS);
    let mut run = crate::engine::Requests::new(scenario, profile);
    let mut start = Row::new(run.initial_variables());
    // Without the whole trace, fixes are proven on each request's group where that is all a
    // change can reach (a recording, scripted answers); elsewhere they need the whole run.
    let scope = crate::analysis::fix::Scope::new(scenario);
    let mut failed: Vec<RequestRecord> = Vec::new();
    let mut checked = 0;
    write_head(
        out,
        scenario,
        &scenario.title,
        &scenario.description,
        profile,
        w,
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "{} requests, printed in {} parts of up to {}: each part has its own execution table, variable tracker and verdicts.{}",
                count(total),
                count(parts),
                count(PART_REQUESTS),
                if scope.is_some() || !fixes {
                    ""
                } else {
                    " The blocked requests' fixes come after the last part (FIXES): each is proven by re-running the whole run."
                }
            ),
            w,
            ""
        )
    )?;
    // The engine runs on its own thread, a part ahead of the writer: putting a part in words
    // and laying out its tables takes longer than running it.
    std::thread::scope(|threads| -> io::Result<()> {
        let (ran, parts_ran) = std::sync::mpsc::sync_channel(1);
        // Where a change reaches every request, fixes are proven on the whole run. This thread
        // groups the blocked requests as it goes; each new group's fix is proven on a thread of
        // its own at once, against the verdicts as they come, while the writer (the slower)
        // writes the parts; what is left is proven once the run has ended.
        let grouped = fixes && scope.is_none();
        let fixes = threads.spawn(move || {
            let mut proofs = crate::analysis::fix::ProvingAsItRuns::new(threads, scenario, profile);
            let mut blocked = crate::analysis::fix::BlockedAlike::default();
            loop {
                let (records, steps): (Vec<RequestRecord>, Vec<Vec<crate::engine::Step>>) =
                    run.by_ref().take(PART_REQUESTS).unzip();
                let steps: Vec<crate::engine::Step> = steps.into_iter().flatten().collect();
                if grouped {
                    for record in &records {
                        proofs.verdict(record.outcome);
                        if let Some(first) = blocked.add(scenario, record)
                            && proofs.proving() < FIXED_GROUPS
                        {
                            proofs.prove(first.clone());
                        }
                    }
                }
                if records.is_empty() {
                    break;
                }
                // A writer that stopped (a closed pipe) takes no more.
                if ran.send((records, steps)).is_err() {
                    return Vec::new();
                }
            }
            // The run's own memory goes before the last proofs make theirs.
            drop(run);
            if !grouped {
                return Vec::new();
            }
            blocked.fixes(scenario, profile, proofs.finish(), FIXED_GROUPS)
        });
        for part in 1..=parts {
            let Ok((records, steps)) = parts_ran.recv() else {
                break;
            };
            let (Some(first), Some(last)) = (records.first(), records.last()) else {
                break;
            };
            writeln!(out)?;
            writeln!(
                out,
                "PART {part} OF {parts}: REQUESTS #{} TO #{}",
                first.index, last.index
            )?;
            let start_label = match steps.first() {
                Some(step) if part > 1 => format!("Before step {}", step.n),
                _ => "Start".to_string(),
            };
            let fixes: Vec<_> = records
                .iter()
                .map(|record| {
                    let scope = scope.as_ref()?;
                    crate::analysis::fix::streamed_fix(scenario, profile, scope, record)
                })
                .collect();
            write_part(
                out,
                start.values(),
                &start_label,
                &steps,
                &records,
                &fixes,
                // Without a scope, the fixes follow the last part.
                true,
                (width, profile),
            )?;
            for step in &steps {
                start.after(step);
            }
            for record in records {
                checked += usize::from(record.expect.is_some());
                if !record.expectation_met() {
                    failed.push(record);
                }
            }
        }
        let groups = fixes.join().unwrap_or_default();
        write_fixes_of_blocked(out, &groups, w)
    })?;
    let failed_refs: Vec<&RequestRecord> = failed.iter().collect();
    write_expectations(out, checked, &failed_refs, w)?;
    Ok(failed)
}

/// The FIXES section of a streamed report: the blocked requests grouped by what they ask of the
/// server, largest group first, each with its first request's fix proven on the whole run and
/// how many of the group the same re-run allows.
fn write_fixes_of_blocked(
    out: &mut impl Write,
    groups: &[crate::analysis::fix::AskedAlike],
    w: usize,
) -> io::Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let blocked: usize = groups.iter().map(|g| g.members.len()).sum();
    writeln!(out)?;
    writeln!(
        out,
        "FIXES: {}, {}",
        counted(blocked, "blocked request"),
        match groups.len() {
            1 => "all asking alike".to_string(),
            n => format!("in {} groups that ask alike", count(n)),
        }
    )?;
    for (number, group) in groups.iter().take(FIXED_GROUPS).enumerate() {
        let asks = &group.asks;
        let headers = match asks.headers() {
            [] => "no headers to allow".to_string(),
            names => format!("headers {}", names.join(", ")),
        };
        let head = format!(
            "[{}] {} from {}: {} with {}{} — {}",
            number + 1,
            counted(group.members.len(), "request"),
            escape(asks.origin()),
            escape(asks.method()),
            escape(&headers),
            if asks.credentials() {
                ", credentials included"
            } else {
                ""
            },
            super::recording::members_text(&group.members)
        );
        writeln!(out, "{}", wrap(&head, w, "    "))?;
        let Some(fix) = &group.fix else {
            writeln!(out, "   No fix was found.")?;
            continue;
        };
        let first = group.members.first().copied().unwrap_or(1);
        write_fix(out, fix, first, w)?;
        if group.members.len() > 1 && fix.proven {
            let allowed = group.allowed();
            let text = if allowed == group.members.len() {
                format!(
                    "The same re-run allows all {} requests of this group.",
                    count(group.members.len())
                )
            } else {
                format!(
                    "The same re-run allows {} of this group's {} requests; the others stay blocked: --print --request N works out each one's fix.",
                    count(allowed),
                    count(group.members.len())
                )
            };
            writeln!(out, "   {}", wrap(&text, w, "   "))?;
        }
    }
    if groups.len() > FIXED_GROUPS {
        let rest: usize = groups[FIXED_GROUPS..].iter().map(|g| g.members.len()).sum();
        let text = format!(
            "And {} more groups ({}) that ask for other origins, methods or headers: --print --request N works out each one's fix.",
            count(groups.len() - FIXED_GROUPS),
            counted(rest, "request")
        );
        writeln!(out, "{}", wrap(&text, w, ""))?;
    }
    Ok(())
}

/// `--print --request N`: the head, then request `n` alone (its execution table, tracker,
/// verdict and steps), from a run of the requests before it; what came before shows only in the
/// variables it starts from. Returns the request, for its expectation.
pub fn write_request(
    out: &mut impl Write,
    scenario: &Scenario,
    profile: BrowserProfile,
    n: usize,
    width: u16,
) -> io::Result<Option<RequestRecord>> {
    let w = usize::from(width);
    let total = scenario.requests.len();
    let head = |mut out: &mut dyn Write| -> io::Result<()> {
        write_head(
            &mut out,
            scenario,
            &scenario.title,
            &scenario.description,
            profile,
            w,
        )?;
        writeln!(out)?;
        writeln!(out, "REQUEST #{n} OF {total}")
    };
    let label = |steps: &[crate::engine::Step]| match steps.first() {
        Some(step) if n > 1 => format!("Before step {}", step.n),
        _ => "Start".to_string(),
    };
    // A small run is run whole: its fixes are proven against the whole run.
    if total <= crate::analysis::fix::MAX_REQUESTS_FOR_FIXES {
        let trace = crate::engine::run(scenario, profile);
        let Some(record) = trace.requests.get(n - 1) else {
            return Ok(None);
        };
        let steps = &trace.steps[record.steps.clone()];
        let start = match record.steps.start.checked_sub(1) {
            Some(before) => trace.variables(before),
            None => trace.initial_variables.clone(),
        };
        let fix = crate::analysis::fix::fixes(scenario, &trace)
            .into_iter()
            .nth(n - 1)
            .flatten();
        head(out)?;
        write_part(
            out,
            &start,
            &label(steps),
            steps,
            std::slice::from_ref(record),
            &[fix],
            true,
            (width, profile),
        )?;
        return Ok(Some(record.clone()));
    }
    // A large one is streamed up to the request and dropped as it goes; a fix is proven on the
    // request's own group where that is all a change can reach, and otherwise against the
    // verdicts of one more streamed run.
    let mut run = crate::engine::Requests::new(scenario, profile);
    let mut start = Row::new(run.initial_variables());
    let scope = crate::analysis::fix::Scope::new(scenario);
    for (record, steps) in run.by_ref() {
        if record.index < n {
            for step in &steps {
                start.after(step);
            }
            continue;
        }
        head(out)?;
        let fix = match &scope {
            Some(scope) => crate::analysis::fix::streamed_fix(scenario, profile, scope, &record),
            None if record.outcome == crate::scenario::Outcome::Blocked => {
                let base = crate::analysis::fix::Baseline::of(scenario, profile);
                crate::analysis::fix::fix_against(scenario, &base, &record)
            }
            None => None,
        };
        write_part(
            out,
            start.values(),
            &label(&steps),
            &steps,
            std::slice::from_ref(&record),
            &[fix],
            true,
            (width, profile),
        )?;
        return Ok(Some(record));
    }
    Ok(None)
}

/// The whole report of a finished trace.
pub fn write(
    out: &mut impl Write,
    scenario: &Scenario,
    trace: &Trace,
    width: u16,
) -> io::Result<()> {
    let w = usize::from(width);
    write_head(
        out,
        scenario,
        &trace.title,
        &trace.description,
        trace.profile,
        w,
    )?;
    let fixes = crate::analysis::fix::fixes(scenario, trace);
    let each_fixed = trace.requests.len() <= crate::analysis::fix::MAX_REQUESTS_FOR_FIXES
        || crate::analysis::fix::Scope::new(scenario).is_some();
    write_part(
        out,
        &trace.initial_variables,
        "Start",
        &trace.steps,
        &trace.requests,
        &fixes,
        each_fixed,
        (width, trace.profile),
    )?;
    // A large trace (a saved one) whose changes reach every request: its fixes by group.
    if !each_fixed {
        let groups = crate::analysis::fix::fixes_by_group(scenario, trace);
        write_fixes_of_blocked(out, &groups, w)?;
    }
    let checked = trace.requests.iter().filter(|r| r.expect.is_some()).count();
    let failed: Vec<_> = trace.failed_expectations().collect();
    write_expectations(out, checked, &failed, w)
}

pub(crate) fn write_fix(
    out: &mut impl Write,
    fix: &crate::analysis::fix::Fix,
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
            format!(
                "Proof: re-run with the change, request #{index} is allowed; also {}.",
                side_effects_text(&fix.side_effects)
            )
        };
        writeln!(out, "   {}", wrap(&proof, w, "   "))?;
    }
    Ok(())
}

/// Side effects listed one by one up to this many; beyond, counted per change of verdict.
const SIDE_EFFECTS_LISTED: usize = 12;

/// Who else a fix flips: each request named when there are few; when a recording has many,
/// a count per change of verdict with the first few named.
fn side_effects_text(side_effects: &[(usize, Outcome, Outcome)]) -> String {
    if side_effects.len() <= SIDE_EFFECTS_LISTED {
        return side_effects
            .iter()
            .map(|(i, before, after)| {
                format!("#{i} goes from {} to {}", before.name(), after.name())
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut changes: Vec<((Outcome, Outcome), Vec<usize>)> = Vec::new();
    for &(i, before, after) in side_effects {
        match changes
            .iter_mut()
            .find(|(change, _)| *change == (before, after))
        {
            Some((_, requests)) => requests.push(i),
            None => changes.push(((before, after), vec![i])),
        }
    }
    changes
        .iter()
        .map(|((before, after), requests)| {
            let named: Vec<String> = requests
                .iter()
                .take(SIDE_EFFECTS_LISTED)
                .map(|i| format!("#{i}"))
                .collect();
            let more = match requests.len().saturating_sub(SIDE_EFFECTS_LISTED) {
                0 => String::new(),
                more => format!(" and {} more", count(more)),
            };
            format!(
                "{} other request{} go{} from {} to {} ({}{more})",
                count(requests.len()),
                if requests.len() == 1 { "" } else { "s" },
                if requests.len() == 1 { "es" } else { "" },
                before.name(),
                after.name(),
                named.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::{Outcome, side_effects_text, wrap};

    #[test]
    fn many_side_effects_are_counted_per_change_of_verdict() {
        let few: Vec<_> = (2..4)
            .map(|i| (i, Outcome::Blocked, Outcome::Allowed))
            .collect();
        assert_eq!(
            side_effects_text(&few),
            "#2 goes from blocked to allowed, #3 goes from blocked to allowed"
        );
        let mut many: Vec<_> = (2..702)
            .map(|i| (i, Outcome::Blocked, Outcome::Allowed))
            .collect();
        many.push((702, Outcome::Allowed, Outcome::Blocked));
        assert_eq!(
            side_effects_text(&many),
            "700 other requests go from blocked to allowed (#2, #3, #4, #5, #6, #7, #8, #9, #10, #11, #12, #13 and 688 more); 1 other request goes from allowed to blocked (#702)"
        );
    }

    #[test]
    fn wrap_breaks_at_spaces_and_indents() {
        assert_eq!(wrap("aaa bbb ccc", 7, "  "), "aaa bbb\n  ccc");
        assert_eq!(wrap("short", 80, ""), "short");
        assert_eq!(wrap("  rule one two", 10, "    "), "  rule one\n    two");
    }
}
