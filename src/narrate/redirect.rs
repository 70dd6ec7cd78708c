//! A redirect in words: the browser follows it, or refuses to.

use crate::engine::fetch_rules::cors_check;
use crate::engine::fetch_rules::{MAX_REDIRECTS, chromium_scheme_error, redirect_hop};
use crate::engine::{CorsError, CorsFailure, Exchange, RequestRecord, Step, StepText, hops_before};
use crate::scenario::{BrowserProfile, Credentials};

use super::{cors_header_text, status_text};

/// Where the two profiles part on a redirect to a URL that is not http(s).
pub fn scheme_note(profile: BrowserProfile, scheme: &str) -> String {
    match profile {
        BrowserProfile::Chromium => format!(
            "The Fetch standard makes every redirect to a URL that is not http(s) the same network error; Chromium tells the '{scheme}:' scheme apart."
        ),
        BrowserProfile::Standard => format!(
            "Chromium reports this redirect as {}.",
            chromium_scheme_error(scheme).name()
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
            match exchange.server.cache_word() {
                Some(_) => format!(
                    "The answer came from a cache, not the server: {}, with Location: {location}.",
                    status_text(response)
                ),
                None => format!(
                    "The server answered {} with Location: {location}.",
                    status_text(response)
                ),
            },
            super::initiator::fails_sentence(record.initiator),
            record.error().unwrap_or_default()
        ),
        profile_note: next
            .filter(|next| passed && !matches!(next.scheme(), "http" | "https"))
            .map(|next| scheme_note(profile, next.scheme())),
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
        let mut text = changes.join("; ");
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + &text[1..];
        }
        text + "."
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
