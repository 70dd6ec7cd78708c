//! A redirect in words: the browser follows it, or refuses to.

use crate::engine::fetch_rules::cors_check;
use crate::engine::fetch_rules::{MAX_REDIRECTS, chromium_scheme_error, redirect_hop};
use crate::engine::{CorsError, CorsFailure, Exchange, RequestRecord, Step, StepText, hops_before};
use crate::scenario::{BrowserProfile, Credentials};

use super::{cors_header_text, status_text};

/// Where the two profiles part on a redirect to a URL that is not http(s), for a CORS request
/// (`cors`) or a no-cors one.
pub fn scheme_note(profile: BrowserProfile, scheme: &str, cors: bool) -> String {
    match profile {
        BrowserProfile::Chromium => format!(
            "The Fetch standard makes every redirect to a URL that is not http(s) the same network error; Chromium tells the '{scheme}:' scheme apart."
        ),
        BrowserProfile::Standard => format!(
            "Chromium reports this redirect as {}.",
            chromium_scheme_error(scheme, cors).name()
        ),
    }
}

/// What the redirect answer says and where it leads.
struct Redirect {
    /// 0 for the page's own request, then one more per redirect followed.
    hop: usize,
    location: String,
    next: Option<url::Url>,
    /// The Origin this hop's request carried (the page's own for a same-origin hop).
    origin: String,
}

fn redirect(record: &RequestRecord, exchange: &Exchange, step: &Step) -> Redirect {
    let at = step.exchange.unwrap_or_default();
    let hop = hops_before(record.exchanges.get(..at).unwrap_or_default());
    let location = exchange.response.header("Location").unwrap_or_default();
    let next = url::Url::parse(&exchange.request.url)
        .ok()
        .and_then(|url| url.join(&location).ok());
    let origin = exchange
        .request
        .header("Origin")
        .or_else(|| record.origin.clone())
        .unwrap_or_else(|| "null".to_string());
    Redirect {
        hop,
        location,
        next,
        origin,
    }
}

/// Who answered a redirect, and where it leads: the server, or a cache in its place.
fn answered_with_location(exchange: &Exchange, location: &str) -> String {
    let status = status_text(&exchange.response);
    match exchange.server.cache_word() {
        Some(_) => format!(
            "The answer came from a cache, not the server: {status}, with Location: {location}."
        ),
        None => format!("The server answered {status} with Location: {location}."),
    }
}

pub fn blocked(
    record: &RequestRecord,
    exchange: &Exchange,
    step: &Step,
    failure: &CorsFailure,
    (cors_checked, profile): (bool, BrowserProfile),
) -> StepText {
    let Redirect {
        hop,
        location,
        next,
        origin,
    } = redirect(record, exchange, step);
    let response = &exchange.response;
    let passed = !cors_checked
        || cors_check(
            response,
            &origin,
            record.credentials == Credentials::Include,
        )
        .is_ok();
    let why = match failure.error {
        CorsError::TooManyRedirects => format!(
            "this is redirect {} and fetch follows at most {MAX_REDIRECTS} (Fetch §\"HTTP-redirect fetch\").",
            hop + 1
        ),
        CorsError::InvalidRedirect => format!(
            "its Location '{location}' is not an http(s) URL (Fetch §\"HTTP-redirect fetch\")."
        ),
        CorsError::RedirectContainsCredentials => format!(
            "its Location {location} carries a username or password, which fetch refuses for a CORS request (Fetch §\"HTTP-redirect fetch\")."
        ),
        CorsError::UnsafeRedirect | CorsError::UnknownUrlScheme => format!(
            "its Location '{location}' is not an http(s) URL (Fetch §\"HTTP-redirect fetch\"), and Chromium reports this scheme as {}.",
            failure.error.name()
        ),
        CorsError::MixedContent => format!(
            "its Location {location} is an http: URL and the page was loaded over HTTPS, so the new request is mixed content, blocked before it is sent (observed in Chromium 156)."
        ),
        CorsError::LocalNetworkAccessPermissionDenied | CorsError::InsecureLocalNetwork => {
            format!(
                "its Location {location} is a {} address and the page is on the public internet, so Chromium's Local Network Access refuses the new request before it is sent (observed in Chromium 156): {}",
                failure.address_space().name(),
                failure.reason_text()
            )
        }
        CorsError::CorsDisabledScheme => format!(
            "its Location '{location}' is not an http(s) URL (Fetch §\"HTTP-redirect fetch\"); Chromium reports it as a CORS error at the new URL: {}",
            failure.reason_text()
        ),
        _ => format!(
            "fetch runs the CORS check on every answer to a CORS request, redirects included, before it follows one (Fetch §\"HTTP fetch\"): {} A redirect added by another layer (an http→https rule, a login page, a load balancer) often carries no CORS headers.",
            failure.reason_text()
        ),
    };
    StepText {
        action: "Browser checks the redirect".to_string(),
        request_type: format!("Actual {}", exchange.request.method),
        cors_headers: cors_header_text(&response.headers),
        decision: format!("Fail: {}", failure.error.name()),
        result: "Blocked: the redirect is not followed".to_string(),
        explanation: format!(
            "{} The browser does not follow it: {why} {}. Console: {}",
            answered_with_location(exchange, &location),
            super::initiator::fails_sentence_for(record),
            record.error().unwrap_or_default()
        ),
        profile_note: next
            .filter(|next| passed && !matches!(next.scheme(), "http" | "https"))
            .map(|next| scheme_note(profile, next.scheme(), !record.via.is_no_cors())),
    }
}

pub fn followed(
    record: &RequestRecord,
    exchange: &Exchange,
    step: &Step,
    cors_checked: bool,
) -> StepText {
    let Redirect {
        hop,
        location,
        next,
        origin,
    } = redirect(record, exchange, step);
    let (request, response) = (&exchange.request, &exchange.response);
    let method = request.method.as_str();
    let page_origin = record.origin.as_deref().unwrap_or("null");
    let next_text = next.as_ref().map(url::Url::to_string).unwrap_or_default();

    let mut changes = Vec::new();
    let from = url::Url::parse(&request.url).ok();
    let (Some(from), Some(to)) = (from.as_ref(), next.as_ref()) else {
        return StepText::default();
    };
    let next_hop = redirect_hop((response.status, method), (from, to), &origin, page_origin);
    if next_hop.method != method {
        changes.push(format!(
            "a {} turns {method} into GET and drops the body and its headers",
            response.status
        ));
    }
    let sent_authorization = request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    if next_hop.cross_origin() && sent_authorization {
        changes.push("the hop goes to another origin, so Authorization is removed".to_string());
    }
    if !cors_checked && next_hop.to_origin.as_deref() != Some(page_origin) {
        changes.push(format!(
            "the redirect leaves the page's origin, so from here this is a CORS request: it carries Origin: {page_origin}, and every answer must pass the CORS check"
        ));
    }
    if next_hop.tainted && origin != "null" {
        changes.push(format!(
            "the redirect leads from {} to another origin, so the request's origin is tainted and the next hops send Origin: null; their answers must allow \"null\" (or *)",
            next_hop.from_origin.as_deref().unwrap_or_default()
        ));
    }
    let changes_text = if changes.is_empty() {
        "The request goes on unchanged.".to_string()
    } else {
        sentence(&changes)
    };
    StepText {
        action: "Browser checks the redirect".to_string(),
        request_type: format!("Actual {method}"),
        cors_headers: cors_header_text(&response.headers),
        decision: if cors_checked {
            "Pass: follow the redirect".to_string()
        } else {
            "Follow (same-origin: no CORS check)".to_string()
        },
        result: format!("Follow {} to {next_text}", response.status),
        explanation: format!(
            "The server answered {} with Location: {location}. {} so the browser follows it to {next_text} (Fetch §\"HTTP-redirect fetch\", redirect {} of at most {MAX_REDIRECTS}). {changes_text}",
            status_text(response),
            if cors_checked {
                "The redirect itself passes the CORS check (Fetch §\"HTTP fetch\"),"
            } else {
                "A same-origin answer needs no CORS check,"
            },
            hop + 1
        ),
        profile_note: None,
    }
}

/// A no-cors request (an element without `crossorigin`, a `mode: 'no-cors'` fetch) follows a
/// redirect: no CORS check at this hop or the next, and the answer stays opaque.
pub fn no_cors_followed(record: &RequestRecord, exchange: &Exchange, step: &Step) -> StepText {
    let Redirect {
        hop,
        location,
        next,
        origin,
    } = redirect(record, exchange, step);
    let (request, response) = (&exchange.request, &exchange.response);
    let method = request.method.as_str();
    let (Ok(from), Some(next)) = (url::Url::parse(&request.url), next) else {
        return StepText::default();
    };
    let mut changes = Vec::new();
    let page_origin = record.origin.as_deref().unwrap_or("null");
    let next_method = redirect_hop(
        (response.status, method),
        (&from, &next),
        &origin,
        page_origin,
    )
    .method;
    if next_method != method {
        changes.push(format!(
            "a {} turns {method} into GET and drops the body and its headers",
            response.status
        ));
    }
    changes.push(
        "the next hop is still a no-cors request: no preflight, no CORS check, and whatever it answers stays opaque to the page's scripts".to_string(),
    );
    let changes_text = sentence(&changes);
    StepText {
        action: "Browser follows the redirect".to_string(),
        request_type: format!("No-cors {method}"),
        cors_headers: cors_header_text(&response.headers),
        decision: "Follow (no-cors: no CORS check)".to_string(),
        result: format!("Follow {} to {next}", response.status),
        explanation: format!(
            "{} A no-cors request follows a redirect like any other fetch, to {next} (Fetch §\"HTTP-redirect fetch\", redirect {} of at most {MAX_REDIRECTS}), without a CORS check: its CORS headers, present or not, change nothing. {changes_text}",
            answered_with_location(exchange, &location),
            hop + 1
        ),
        profile_note: None,
    }
}

/// `changes`, joined into one sentence that starts with a capital and ends with a full stop.
fn sentence(changes: &[String]) -> String {
    let text = changes.join("; ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
