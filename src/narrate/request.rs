//! The start of a fetch in words: same-origin or CORS, simple or preflighted, and what the
//! preflight cache said.

use crate::engine::event::{HopTarget, RequestStart};
use crate::engine::fetch_rules::{
    CHROMIUM_LONGEST_CACHED_URL, UnsafeHeader, is_safelisted_method, sorted_names,
    unsafe_request_headers,
};
use crate::engine::preflight_cache::{CHROMIUM_MOST_RESULTS, Lookup};
use crate::engine::{RequestRecord, StepText};
use crate::http::syntax::origin_of;
use crate::scenario::Header;
use crate::scenario::{BrowserProfile, Initiator};

use super::DASH;

/// Why a request needs a preflight, long ("PUT is not a CORS-safelisted method (GET, HEAD,
/// POST)") and short ("method PUT"), in the order the browser finds them.
fn preflight_reasons(
    method: &str,
    kept: &[Header],
    unsafe_headers: &[UnsafeHeader],
) -> (Vec<String>, Vec<String>) {
    let reasons = crate::engine::fetch_rules::preflight_reasons(method, unsafe_headers)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut short = Vec::new();
    if !is_safelisted_method(method) {
        short.push(format!("method {method}"));
    }
    short.extend(unsafe_headers.iter().map(|h| {
        let content_type = (h.name == "content-type")
            .then(|| {
                kept.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            })
            .flatten();
        match content_type {
            Some((_, value)) => format!("content-type: {value}"),
            None => h.name.clone(),
        }
    }));
    (reasons, short)
}

/// What the preflight cache said, for a request with `method` and the CORS-unsafe header
/// names `sorted`.
pub fn lookup_detail(lookup: &Lookup, method: &str, sorted: &[String]) -> String {
    match lookup {
        Lookup::NotRecorded => "the recording has no OPTIONS for this request: served from the preflight cache, or not recorded".to_string(),
        Lookup::Bypassed(mode) => format!(
            "Chromium does not consult the preflight cache for cache mode '{}'",
            mode.name()
        ),
        Lookup::UrlTooLong { length } => format!(
            "Chromium keeps no preflight result for a URL of {} characters or more, and this one has {length} (observed in Chromium 148)",
            CHROMIUM_LONGEST_CACHED_URL + 1
        ),
        Lookup::Empty => "no live cache entry for this origin and URL".to_string(),
        Lookup::Covered { expires } => covered(method, sorted, *expires),
        Lookup::CoveredIfKept { expires, held } => format!(
            "{}, if Chromium still holds them: it keeps at most {CHROMIUM_MOST_RESULTS} preflight results and, past that, drops ten at random, and it would hold {held} now (inferred from Chromium's source; in Chromium 148, 1,100 URLs fetched twice sent 1,228 preflights, not 1,100)",
            covered(method, sorted, *expires)
        ),
        Lookup::MissingMethod => format!("the cache has no live entry for method {method}"),
        Lookup::MissingHeader(name) => format!("the cache has no live entry for header {name}"),
    }
}

/// Live entries cover the request's method and its CORS-unsafe header names `sorted`.
fn covered(method: &str, sorted: &[String], expires: u64) -> String {
    format!(
        "cached entries for this origin and URL cover {method}{} (earliest expiry at t={expires}s)",
        if sorted.is_empty() {
            String::new()
        } else {
            format!(" and {}", sorted.join(", "))
        }
    )
}

/// "Profiles differ: under … this request would …": where the other profile's cache decides
/// differently.
pub fn cache_profile_note(
    theirs: &Lookup,
    profile: BrowserProfile,
    method: &str,
    sorted: &[String],
) -> String {
    format!(
        "Profiles differ: under {} this request would {} ({}).",
        profile.other().label(),
        if theirs.hit() {
            "skip the preflight, served from the cache"
        } else {
            "send a preflight"
        },
        lookup_detail(theirs, method, sorted)
    )
}

/// Where the hop goes: method, URL and the Origin it carries.
fn target<'a>(
    record: &'a RequestRecord,
    start: &'a RequestStart,
) -> (usize, &'a str, &'a str, &'a str) {
    match &start.hop {
        Some(hop) => (hop.number, &hop.method, &hop.url, &hop.origin),
        None => (
            0,
            &record.method,
            &record.url,
            record.origin.as_deref().unwrap_or("null"),
        ),
    }
}

pub fn start(record: &RequestRecord, start: &RequestStart, profile: BrowserProfile) -> StepText {
    let (hop, method, url, origin) = target(record, start);
    let kept = &start.kept;
    let unsafe_headers = unsafe_request_headers(kept);
    let sorted = sorted_names(&unsafe_headers);
    let needs_preflight = !is_safelisted_method(method) || !unsafe_headers.is_empty();
    let (reasons, short) = preflight_reasons(method, kept, &unsafe_headers);
    let cache_hit = start.lookup.as_ref().is_some_and(Lookup::hit);
    let (request_type, decision, result) = if !needs_preflight {
        (
            "Simple CORS request",
            if kept.is_empty() {
                format!("No preflight: {method} is CORS-safelisted and no headers are set")
            } else {
                format!("No preflight: {method} and every header are CORS-safelisted")
            },
            "Send it with Origin",
        )
    } else if cache_hit {
        (
            "Preflighted CORS request (cache hit)",
            format!("Preflight needed ({}) but cached", short.join(", ")),
            "Skip the preflight; send it",
        )
    } else {
        (
            "Preflighted CORS request",
            format!("Preflight needed: {} not safelisted", short.join(", ")),
            "Send OPTIONS first",
        )
    };
    let parsed = url::Url::parse(url).ok();
    let mut explanation = if hop == 0 {
        format!(
            "{} The URL's origin is {}, so this is a cross-origin request in 'cors' mode and the browser adds Origin: {origin} (Fetch §\"main fetch\").",
            super::initiator::calls(record, url, method),
            parsed.as_ref().and_then(origin_of).unwrap_or_default()
        )
    } else {
        format!(
            "Following redirect {hop}, the browser fetches {url} with {method} and Origin: {origin}, and decides again whether this hop needs a preflight (Fetch §\"HTTP-redirect fetch\" runs main fetch again)."
        )
    };
    explanation.push_str(super::initiator::credentials(record));
    if needs_preflight {
        explanation.push_str(&format!(
            " A preflight is needed because {} (Fetch §\"CORS-safelisted method\", §\"CORS-safelisted request-header\").",
            reasons.join("; ")
        ));
        if let Some(lookup) = &start.lookup {
            explanation.push_str(&format!(
                " Preflight cache (cache mode '{}', t={}s): {}.",
                record.cache.name(),
                start.now,
                lookup_detail(lookup, method, &sorted)
            ));
        }
    } else {
        let set = if kept.is_empty() && record.initiator.is_element() {
            "an element's request carries no headers a script chose".to_string()
        } else if kept.is_empty() {
            "the script set no headers".to_string()
        } else {
            let names: Vec<&str> = kept.iter().map(|(n, _)| &**n).collect();
            format!(
                "{} {} safelisted",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" }
            )
        };
        explanation.push_str(&format!(
            " No preflight is needed: {method} is a CORS-safelisted method and {set} (Fetch §\"CORS-safelisted request-header\")."
        ));
    }
    if hop == 0 && !record.dropped_headers.is_empty() {
        explanation.push_str(&dropped_note(&record.dropped_headers));
    }
    if let Some(space) = start.allowed_local {
        explanation.push_str(&format!(
            " The page is on the public internet and the URL's host is a {} address: Chromium sends this only because the user allowed the site to reach the local network when it asked (the scenario's local_network_access: granted; Local Network Access, observed in Chromium 156, adds no header for it).",
            space.name()
        ));
    }
    let path = parsed.as_ref().map(super::path_of).unwrap_or_default();
    StepText {
        action: request_action(record.initiator, hop, method, &path),
        request_type: request_type.to_string(),
        cors_headers: DASH.to_string(),
        decision,
        result: result.to_string(),
        explanation,
        profile_note: start
            .other_lookup
            .as_ref()
            .map(|theirs| cache_profile_note(theirs, profile, method, &sorted)),
    }
}

/// "Page calls fetch(): GET /path" (or its XMLHttpRequest or element), or the hop a redirect
/// leads to.
pub fn request_action(initiator: Initiator, hop: usize, method: &str, path: &str) -> String {
    match hop {
        0 => super::initiator::action(initiator, method, path),
        _ => format!("Browser follows the redirect: {method} {path}"),
    }
}

/// What fetch() dropped from the page's headers, said once at the page's own request.
pub fn dropped_note(dropped: &[String]) -> String {
    format!(
        " fetch() silently dropped {}: scripts may not set forbidden request-headers (Fetch §\"forbidden request-header\"), so the browser sends its own values or none.",
        dropped.join(", ")
    )
}

/// A request on the page's own origin: no preflight, no CORS check.
pub fn same_origin_start(record: &RequestRecord, hop: Option<&HopTarget>) -> StepText {
    let (number, method, url, origin) = match hop {
        Some(hop) => (
            hop.number,
            hop.method.as_str(),
            hop.url.as_str(),
            hop.origin.as_str(),
        ),
        None => (
            0,
            record.method.as_str(),
            record.url.as_str(),
            record.origin.as_deref().unwrap_or_default(),
        ),
    };
    let path = url::Url::parse(url)
        .map(|u| super::path_of(&u))
        .unwrap_or_default();
    let dropped = if number == 0 && !record.dropped_headers.is_empty() {
        dropped_note(&record.dropped_headers)
    } else {
        String::new()
    };
    StepText {
        action: request_action(record.initiator, number, method, &path),
        request_type: "Same-origin request".to_string(),
        cors_headers: DASH.to_string(),
        decision: "No CORS: same origin".to_string(),
        result: "Send it; no checks".to_string(),
        explanation: format!(
            "The page's origin {origin} is the URL's origin, so the request is same-origin: no preflight and no CORS check, whatever the method or headers (Fetch §\"main fetch\": response tainting stays 'basic').{dropped}"
        ),
        profile_note: None,
    }
}
