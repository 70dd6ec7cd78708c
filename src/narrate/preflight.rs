//! The preflight in words: what it asks, and how the browser judged the answer.

use crate::engine::preflight_check::{PreflightInput, PreflightPass, check_preflight};
use crate::engine::{CorsFailure, Exchange, RequestRecord, StepText};
use crate::scenario::{BrowserProfile, Credentials, Provider};
use crate::server::ServerNote;

use super::{cors_header_text, origin_sent, path_of_request, status_text};

const REQUEST_TYPE: &str = "Preflight (OPTIONS)";

/// The method the preflight asks about.
fn asked_method(exchange: &Exchange) -> String {
    exchange
        .request
        .header("Access-Control-Request-Method")
        .unwrap_or_default()
}

pub fn sent(exchange: &Exchange, page_origin: bool) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    let method = asked_method(exchange);
    let asked_headers = match request.header("Access-Control-Request-Headers") {
        Some(sorted) => format!(
            " and Access-Control-Request-Headers: {sorted} (lowercased, sorted, comma-joined without spaces)"
        ),
        None => String::new(),
    };
    StepText {
        action: format!(
            "Browser sends preflight OPTIONS {}",
            path_of_request(request)
        ),
        request_type: REQUEST_TYPE.to_string(),
        cors_headers: cors_header_text(&request.headers),
        decision: format!("Ask the server whether {method} may be sent"),
        result: [status_text(response), cors_header_text(&response.headers)].join("; "),
        explanation: format!(
            "The preflight asks in advance: OPTIONS with Access-Control-Request-Method: {method}{asked_headers} and Origin, never with cookies (Fetch §\"CORS-preflight fetch\").{} {}",
            if page_origin {
                " Firefox sends it with the page's Origin, not the null the redirected request carries, and checks the answer against that (observed in Firefox 153; the Fetch standard and Chromium send null)."
            } else {
                ""
            },
            exchange.server_explanation()
        ),
        profile_note: None,
    }
}

/// The browser's judgement of the preflight answer under `profile` and under the other one.
fn judged(
    record: &RequestRecord,
    exchange: &Exchange,
    unsafe_names: &[String],
    profile: BrowserProfile,
) -> (
    Result<PreflightPass, CorsFailure>,
    Result<PreflightPass, CorsFailure>,
) {
    let origin = origin_sent(&exchange.request);
    let method = asked_method(exchange);
    let input = PreflightInput {
        response: &exchange.response,
        url: &exchange.request.url,
        origin: &origin,
        credentials_include: record.credentials == Credentials::Include,
        method: &method,
        unsafe_names,
    };
    (
        check_preflight(&input, profile),
        check_preflight(&input, profile.other()),
    )
}

/// Where the other profile judges this preflight differently, in a sentence.
fn preflight_profile_note(
    mine: &Result<PreflightPass, CorsFailure>,
    theirs: &Result<PreflightPass, CorsFailure>,
    profile: BrowserProfile,
) -> Option<String> {
    crate::engine::profile_note::ProfileNote::of_preflight(mine, theirs, profile)
        .map(|note| note.to_string())
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

pub fn passed(
    record: &RequestRecord,
    exchange: &Exchange,
    unsafe_names: &[String],
    profile: BrowserProfile,
) -> StepText {
    let (mine, theirs) = judged(record, exchange, unsafe_names, profile);
    let profile_note = preflight_profile_note(&mine, &theirs, profile);
    let explanation = match &mine {
        Ok(pass) => format!(
            "The browser checks the preflight answer (Fetch §\"CORS-preflight fetch\"): {}. {}; the entries (methods: {}; headers: {}) are keyed by origin {} and URL {} (Fetch §\"CORS-preflight cache\").",
            pass.checks
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            pass.max_age_rule,
            listed(&pass.methods),
            listed(&pass.headers),
            origin_sent(&exchange.request),
            exchange.request.url
        ),
        Err(_) => String::new(),
    };
    StepText {
        action: "Browser checks the preflight answer".to_string(),
        request_type: REQUEST_TYPE.to_string(),
        cors_headers: cors_header_text(&exchange.response.headers),
        decision: "Pass: every check holds".to_string(),
        result: format!(
            "Preflight OK; cached {} s",
            mine.as_ref().map_or(0, |pass| pass.max_age)
        ),
        explanation,
        profile_note,
    }
}

/// Why a storage service's 403 reads as a missing header in Chromium's console; nothing when
/// a layer in front added the header, so the status is what fails.
fn refusal_hint(exchange: &Exchange) -> &'static str {
    if exchange
        .response
        .header("Access-Control-Allow-Origin")
        .is_some()
    {
        return "";
    }
    let answered_by = match &exchange.server {
        ServerNote::Through { answer, .. } => answer.as_ref(),
        note => note,
    };
    match (answered_by, exchange.response.status) {
        (ServerNote::Bucket(note), 403) if note.provider == Provider::S3 => {
            " S3 answers 403 with no CORS headers whenever no rule matches, so Chromium reports the missing Access-Control-Allow-Origin (it checks that before the status)."
        }
        (ServerNote::Bucket(note), 403) if note.provider == Provider::Azure => {
            " Azure answers 403 CorsPreflightFailure with no CORS headers whenever no rule matches, so Chromium reports the missing Access-Control-Allow-Origin (it checks that before the status)."
        }
        _ => "",
    }
}

pub fn failed(
    record: &RequestRecord,
    exchange: &Exchange,
    failure: &CorsFailure,
    unsafe_names: &[String],
    profile: BrowserProfile,
) -> StepText {
    let (mine, theirs) = judged(record, exchange, unsafe_names, profile);
    let method = asked_method(exchange);
    let note = super::rules::failure_note(failure)
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    StepText {
        action: "Browser checks the preflight answer".to_string(),
        request_type: REQUEST_TYPE.to_string(),
        cors_headers: cors_header_text(&exchange.response.headers),
        decision: format!("Fail: {}", failure.error.name()),
        result: format!("Blocked: {method} is never sent"),
        explanation: format!(
            "The preflight fails (Fetch §\"CORS-preflight fetch\"): {}{note}{} The actual {method} is never sent, {}, and cached entries for this origin and URL are cleared. Console: {}",
            failure.reason_text(),
            refusal_hint(exchange),
            super::initiator::fails_for(record),
            record.error().unwrap_or_default()
        ),
        profile_note: preflight_profile_note(&mine, &theirs, profile),
    }
}
