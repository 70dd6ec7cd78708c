//! `cors-tui audit`: findings as text or JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::audit::{Finding, Severity};
use crate::safe_text::escape;
use crate::scenario::{CorsRule, Provider};

/// What was audited and what was found.
pub struct Audited {
    pub file: String,
    pub format: String,
    /// The storage service whose rules were judged; None for a stack of layers, each judged by
    /// its own service's behaviour.
    pub provider: Option<Provider>,
    pub rules: Vec<CorsRule>,
    pub findings: Vec<Finding>,
    /// What was read with less than full evidence, or left unread.
    pub notes: Vec<String>,
}

fn count(audited: &Audited, severity: Severity) -> usize {
    audited
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .count()
}

pub fn write_text(out: &mut impl Write, audited: &Audited) -> io::Result<()> {
    match audited.provider {
        Some(provider) => writeln!(
            out,
            "{}: {}, {} rule(s), judged by {}'s rules",
            escape(&audited.file),
            audited.format,
            audited.rules.len(),
            provider.product()
        )?,
        None => writeln!(
            out,
            "{}: {}, each layer judged by its service's behaviour",
            escape(&audited.file),
            audited.format,
        )?,
    }
    for note in &audited.notes {
        writeln!(out, "note: {}", escape(note))?;
    }
    for finding in &audited.findings {
        let rule = finding
            .rule
            .and_then(|i| audited.rules.get(i).map(|r| format!("rule {}", r.label(i))))
            .unwrap_or_else(|| escape(&finding.subject).into_owned());
        writeln!(
            out,
            "{:<10} {}: {}",
            finding.severity.name().to_uppercase(),
            escape(&rule),
            escape(&finding.title)
        )?;
        writeln!(out, "{:<10} {}", "", escape(&finding.why))?;
    }
    writeln!(
        out,
        "{} finding(s): {} dangerous, {} broken, {} noisy.",
        audited.findings.len(),
        count(audited, Severity::Dangerous),
        count(audited, Severity::Broken),
        count(audited, Severity::Noisy)
    )
}

#[derive(Serialize)]
struct Document<'a> {
    file: &'a str,
    format: &'a str,
    provider: Option<Provider>,
    rules: usize,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    dangerous: usize,
    broken: usize,
    noisy: usize,
}

pub fn write_json(out: &mut impl Write, audited: &Audited) -> io::Result<()> {
    let document = Document {
        file: &audited.file,
        format: &audited.format,
        provider: audited.provider,
        rules: audited.rules.len(),
        findings: &audited.findings,
        notes: &audited.notes,
        dangerous: count(audited, Severity::Dangerous),
        broken: count(audited, Severity::Broken),
        noisy: count(audited, Severity::Noisy),
    };
    super::json::write_value(out, &document, true)
}
