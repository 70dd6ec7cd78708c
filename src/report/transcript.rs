//! `--transcript`: the whole lesson as Markdown, ready to hand out — concepts, configuration,
//! process flow, execution table, variable tracker, key moments, quiz with answers.

use std::io::{self, Write};

use crate::analysis::lesson::key_moments;
use crate::engine::{CorsError, ExchangeKind, RequestRecord, Trace, VARIABLES};
use crate::safe_text::escape;

use crate::scenario::{Credentials, Outcome, Scenario, ServerKind, Via};

/// Text made safe for Markdown: control characters escaped, and the characters Markdown or HTML
/// would act on (`* _ ` < > |`) written literally.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape(text).chars() {
        match c {
            '*' | '_' | '`' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn cell(text: &str) -> String {
    md(text)
}

/// The path a request took through the process flow, as one line.
fn flow_line(request: &RequestRecord) -> String {
    let status = |kind: ExchangeKind| {
        request
            .exchanges
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.response.status.to_string())
            .unwrap_or_default()
    };
    let mut parts = vec![format!(
        "`{} {}`",
        cell(&request.method),
        cell(&request.url)
    )];
    // Blocked before it went out: no preflight, no server, no CORS check.
    if let Some(error) = request.cors_error
        && error.is_refused_before_sending()
        && request.failed_at.is_none()
    {
        let why = if error == crate::engine::CorsError::MixedContent {
            "mixed content (https page, http URL)"
        } else {
            "local network access (public page, local address)"
        };
        parts.push(format!(
            "{why} → **blocked** before it was sent ({})",
            error.name()
        ));
        return parts.join(" → ");
    }
    if request.via == Via::Raw {
        parts.push(format!(
            "raw client → server {}",
            status(ExchangeKind::Actual)
        ));
        parts.push("**sent** (no browser)".to_string());
        return parts.join(" → ");
    }
    if request.via == Via::NoCors {
        parts.push(format!(
            "fetch() no-cors → server {}",
            status(ExchangeKind::Actual)
        ));
        parts.push(
            match (request.refused_by_corp(), request.withheld_by_orb()) {
                (Some(policy), _) => format!("**rejected**: {} (not CORS)", policy.network_error()),
                (None, Some(_)) => "**opaque**: status 0, nothing readable; ORB withheld the body (net::ERR_ABORTED)".to_string(),
                (None, None) => "**opaque**: status 0, nothing readable".to_string(),
            },
        );
        return parts.join(" → ");
    }
    if request.via == Via::Element {
        use crate::engine::fetch_rules::ElementOutcome;
        parts.push(format!(
            "`{}`, no-cors → server {}",
            request.initiator.markup(),
            status(ExchangeKind::Actual)
        ));
        let script = request.initiator == crate::scenario::Initiator::Script;
        parts.push(match request.element_outcome() {
            Some(ElementOutcome::Withheld(_)) => {
                format!(
                    "**withheld** by ORB ({}; not CORS)",
                    crate::engine::orb::BLOCKED_BY_ORB
                )
            }
            Some(ElementOutcome::Refused(policy)) => format!(
                "**refused** by its Cross-Origin-Resource-Policy ({}; not CORS)",
                policy.network_error()
            ),
            Some(ElementOutcome::ErrorStatus | ElementOutcome::WrongType) if script => {
                "**does not run** (no CORS check)".to_string()
            }
            Some(ElementOutcome::ErrorStatus | ElementOutcome::WrongType) => {
                "**not shown** (no CORS check)".to_string()
            }
            _ if script => {
                "**runs**, its source and errors hidden from the page (no CORS check)".to_string()
            }
            _ => "**shown**, opaque to scripts (no CORS check)".to_string(),
        });
        return parts.join(" → ");
    }
    parts.push(if request.same_origin {
        "preflight? no (same-origin)".to_string()
    } else if request.preflight {
        "preflight? **yes**".to_string()
    } else if request.cache_hit {
        "preflight? yes, **cached**".to_string()
    } else {
        "preflight? no (simple)".to_string()
    });
    if request.preflight {
        parts.push(format!("OPTIONS {}", status(ExchangeKind::Preflight)));
        if request.failed_at == Some(ExchangeKind::Preflight) {
            parts.push("check ✗".to_string());
        } else {
            parts.push("check ✓".to_string());
        }
    }
    if request.failed_at != Some(ExchangeKind::Preflight) {
        parts.push(format!("actual {}", status(ExchangeKind::Actual)));
        parts.push(
            if request.failed_at == Some(ExchangeKind::Actual) {
                "CORS check ✗"
            } else {
                "CORS check ✓"
            }
            .to_string(),
        );
    }
    parts.push(match request.outcome {
        Outcome::Allowed => "**allowed**".to_string(),
        Outcome::Blocked => format!(
            "**blocked** ({})",
            request.cors_error.map_or("", |e| e.name())
        ),
        Outcome::Sent => "**sent**".to_string(),
    });
    parts.join(" → ")
}

/// One sentence per idea the lesson touches, in the order a class meets them.
fn concepts(scenario: &Scenario, trace: &Trace) -> Vec<String> {
    let requests = &trace.requests;
    let mut out = Vec::new();
    if requests
        .iter()
        .any(|r| r.via == Via::Browser && !r.same_origin && !r.preflight && !r.cache_hit)
    {
        out.push("A cross-origin GET, HEAD or POST with only CORS-safelisted headers is a *simple request*: the browser sends it at once, with an `Origin` header.".to_string());
    }
    if let Some(r) = requests.iter().find(|r| r.preflight) {
        out.push(format!(
            "Any other method or header makes the browser *preflight*: an `OPTIONS` request asks the server first (here request #{}: {}).",
            r.index,
            cell(&crate::narrate::rules::reasons_text(&r.preflight_reasons))
        ));
    }
    let decisions = || {
        requests
            .iter()
            .flat_map(|r| r.exchanges.iter().filter_map(|e| e.cookies.as_deref()))
    };
    if decisions().next().is_some() {
        out.push("Which cookies go with a request is decided before any CORS check: by the credentials mode (fetch()'s default sends none to another origin, even on the same site), then by each cookie's `Secure` and `SameSite`: a request from another *site* (scheme and registrable domain) carries only `SameSite=None; Secure` cookies, and none where third-party cookies are blocked.".to_string());
    }
    if decisions().any(|d| !d.refused.is_empty()) {
        out.push("A browser refuses to store some cookies at all: `SameSite=None` without `Secure`, a `Secure` cookie over plain http.".to_string());
    }
    let logged_out = requests.iter().any(|r| {
        r.outcome == Outcome::Allowed
            && r.exchanges
                .iter()
                .any(|e| e.server.session_seen().is_some_and(|seen| !seen.present))
    });
    if logged_out {
        out.push("A request can pass the CORS check and still be logged out: CORS decides whether the page reads the answer, not who the server thinks is asking.".to_string());
    }
    if requests.iter().any(|r| r.cache_hit) {
        out.push("A passed preflight is cached per origin and URL for `Access-Control-Max-Age` seconds, so the next identical request skips it.".to_string());
    }
    if requests
        .iter()
        .any(|r| r.outcome == Outcome::Blocked && r.failed_at == Some(ExchangeKind::Actual))
    {
        out.push("The browser, not the server, enforces CORS: a blocked response still reached the browser; the page just cannot read it.".to_string());
    }
    if requests.iter().any(|r| r.via == Via::Raw) {
        out.push("Clients without a browser (curl, servers) ignore CORS entirely, which is why \"it works in curl\".".to_string());
    }
    if requests.iter().any(|r| r.via == Via::Element) {
        out.push("An `<img>` or `<script>` without `crossorigin` sends no Origin and gets no CORS check: to a server or a cache it looks like curl. The page can show the image or run the script, but not read them: a canvas it draws the image on is tainted, and the script's errors reach it only as \"Script error.\".".to_string());
    }
    if requests.iter().any(|r| r.withheld_by_orb().is_some()) {
        out.push("Chromium's Opaque Response Blocking (ORB) withholds another site's HTML, JSON or XML from an `<img>`, a `<script>` or a no-cors fetch(), whatever CORS headers come with it: DevTools says `net::ERR_BLOCKED_BY_ORB`. Not CORS; often the answer is an error page, and its status is the real failure.".to_string());
    }
    if requests.iter().any(|r| r.refused_by_corp().is_some()) {
        out.push("An answer's `Cross-Origin-Resource-Policy` (`same-origin`, `same-site`) refuses no-cors loads from other origins or sites, and a cross-origin isolated page (`Cross-Origin-Embedder-Policy: require-corp`) takes a missing one as `same-origin`: DevTools says `net::ERR_BLOCKED_BY_RESPONSE`. Not CORS; a CORS request is not held to it.".to_string());
    }
    if requests
        .iter()
        .any(|r| r.via == Via::Browser && r.initiator.is_element())
    {
        out.push("With `crossorigin`, an `<img>` or `<script>` (and every `@font-face` font) is a CORS request: without `Access-Control-Allow-Origin` the image, script or font does not load at all.".to_string());
    }
    if requests
        .iter()
        .any(|r| r.initiator == crate::scenario::Initiator::Xhr)
    {
        out.push("XMLHttpRequest follows the same CORS rules as fetch(); `withCredentials = true` is fetch's `credentials: 'include'`.".to_string());
    }
    if requests
        .iter()
        .any(|r| r.credentials == Credentials::Include && r.via == Via::Browser)
    {
        out.push("With credentials the server must echo the exact origin and send `Access-Control-Allow-Credentials: true`; `*` is refused.".to_string());
    }
    if requests.iter().any(|r| {
        matches!(
            r.cors_error,
            Some(
                CorsError::MissingAllowOriginHeader | CorsError::PreflightMissingAllowOriginHeader
            )
        )
    }) {
        out.push("No `Access-Control-Allow-Origin` in the answer is the most common failure: the server's rules did not match the request.".to_string());
    }
    if requests
        .iter()
        .any(|r| r.outcome == Outcome::Allowed && !r.same_origin && r.via == Via::Browser)
    {
        out.push("Script can read only the CORS-safelisted response headers plus those listed in `Access-Control-Expose-Headers`.".to_string());
    }
    if let ServerKind::Bucket {
        provider,
        cors: Some(config),
    } = &scenario.server.kind
        && config.rules.len() > 1
    {
        out.push(match provider {
            crate::scenario::Provider::Gcs => {
                "GCS uses the first rule whose origin and method match; the browser then checks the requested headers against its responseHeader list.".to_string()
            }
            other => format!(
                "{} uses the first rule whose origin, method and headers all match.",
                other.short()
            ),
        });
    }
    if trace.requests.iter().any(|r| !r.profile_notes.is_empty()) {
        out.push("Shipping browsers and the Fetch standard part ways in a few places; this lesson shows one.".to_string());
    }
    out
}

pub fn write(out: &mut impl Write, scenario: &Scenario, trace: &Trace) -> io::Result<()> {
    writeln!(out, "# {}\n", cell(&trace.title))?;
    if !trace.description.is_empty() {
        writeln!(out, "{}\n", md(&trace.description))?;
    }
    writeln!(
        out,
        "_Browser: {}. Written by cors-tui {}._\n",
        trace.profile.label(),
        env!("CARGO_PKG_VERSION")
    )?;

    writeln!(out, "## Concept snapshot\n")?;
    for concept in concepts(scenario, trace) {
        writeln!(out, "- {concept}")?;
    }

    writeln!(out, "\n## Server configuration\n\n```")?;
    for line in super::server_lines(scenario) {
        writeln!(out, "{}", escape(&line).replace('`', "'"))?;
    }
    writeln!(out, "```\n\n## Process flow\n")?;
    for request in &trace.requests {
        writeln!(out, "{}. {}", request.index, flow_line(request))?;
    }

    writeln!(out, "\n## Execution table\n")?;
    writeln!(
        out,
        "| Step | Request | Action | Request Type | CORS Headers Sent | Browser Decision | Result |"
    )?;
    writeln!(out, "| ---: | ---: | --- | --- | --- | --- | --- |")?;
    for step in &trace.steps {
        let text = trace.text(step);
        writeln!(
            out,
            "| {} | #{} | {} | {} | {} | {} | {} |",
            step.n,
            step.request,
            cell(&text.action),
            cell(&text.request_type),
            cell(&text.cors_headers),
            cell(&text.decision),
            cell(&text.result)
        )?;
    }

    writeln!(out, "\n## Variable tracker\n")?;
    let tracked = &VARIABLES[..trace.initial_variables.len().min(VARIABLES.len())];
    writeln!(out, "| After | {} |", tracked.join(" | "))?;
    writeln!(out, "| --- |{}", " --- |".repeat(tracked.len()))?;
    let values = |vars: &[std::sync::Arc<crate::engine::tracker::Cell>],
                  changed: crate::engine::VarSet| {
        vars.iter()
            .enumerate()
            .map(|(i, v)| {
                let v = v.text();
                if changed.contains(i) {
                    format!("**{}**", cell(&v))
                } else {
                    cell(&v)
                }
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    writeln!(
        out,
        "| Start | {} |",
        values(&trace.initial_variables, crate::engine::VarSet::default())
    )?;
    let mut row = crate::engine::Row::new(&trace.initial_variables);
    for step in &trace.steps {
        writeln!(
            out,
            "| step {} | {} |",
            step.n,
            values(row.after(step), step.changed)
        )?;
    }
    writeln!(out, "\nValues in bold changed at that step.")?;

    let moments = key_moments(scenario, trace);
    if !moments.is_empty() {
        writeln!(out, "\n## Key moments\n")?;
        for moment in moments {
            writeln!(
                out,
                "- **Step {}: {}** {}",
                moment.step,
                md(&moment.question),
                md(&moment.answer)
            )?;
        }
    }

    if !scenario.quiz.is_empty() {
        writeln!(out, "\n## Quiz\n")?;
        for (i, question) in scenario.quiz.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, md(&question.question))?;
            for (c, choice) in question.choices.iter().enumerate() {
                writeln!(
                    out,
                    "   - {}) {}",
                    (b'a' + c as u8) as char,
                    md(&choice.text)
                )?;
            }
        }
        writeln!(out, "\n### Answers\n")?;
        for (i, question) in scenario.quiz.iter().enumerate() {
            let letter = (b'a' + question.answer as u8) as char;
            let mut line = format!(
                "{}. {letter}) {}",
                i + 1,
                md(&question.choices[question.answer].text)
            );
            if let Some(hint) = &question.hint {
                line.push_str(&format!(" — {}", md(hint)));
            }
            if let Some(step) = question.step {
                line.push_str(&format!(" (step {step})"));
            }
            writeln!(out, "{line}")?;
            if let Some(why) = &question.choices[question.answer].why {
                writeln!(out, "   - Why: {}", md(why))?;
            }
            for (c, choice) in question.choices.iter().enumerate() {
                if c != question.answer
                    && let Some(why) = &choice.why
                {
                    writeln!(out, "   - Not {}): {}", (b'a' + c as u8) as char, md(why))?;
                }
            }
        }
    }

    writeln!(out, "\n## Requests\n")?;
    for request in &trace.requests {
        writeln!(
            out,
            "- **#{} {} {}**: {}",
            request.index,
            md(&request.method),
            md(&request.url),
            md(&request.summary_text())
        )?;
        if let Some(error) = &request.error() {
            writeln!(out, "  - Console: `{}`", escape(error).replace('`', "'"))?;
        }
        for note in &request.profile_notes {
            writeln!(out, "  - {}", md(&note.to_string()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn markdown_and_html_characters_are_literal() {
        assert_eq!(
            md("ACAO: * | <b>x_y</b>"),
            "ACAO: \\* \\| &lt;b&gt;x\\_y&lt;/b&gt;"
        );
        assert_eq!(md("bell\u{7}"), "bell\\x07");
    }
}
