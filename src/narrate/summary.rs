//! A request's verdict in one paragraph: what happened and why.

use crate::engine::RequestRecord;
use crate::engine::summary::{AllowedBy, Ended, HopEnd, Route, Summary, UncheckedBy};
use crate::scenario::Initiator;

use super::{cors_header_text, masked_error, status_text};

/// `record`'s verdict in words.
pub fn summary(record: &RequestRecord) -> String {
    let Summary { ending, at_hop } = &record.summary;
    let mut text = ended(record, ending);
    if let Some(HopEnd {
        url,
        redirects,
        origin_null,
    }) = at_hop.as_deref()
    {
        let null = if *origin_null {
            ", where the browser sent Origin: null"
        } else {
            ""
        };
        text.push_str(&format!(
            " That was at {url} after {redirects} redirect(s){null}."
        ));
    }
    text
}

fn ended(record: &RequestRecord, ending: &Ended) -> String {
    // The answer the request ended on.
    let last = record.exchanges.last().map(|e| &e.response);
    match ending {
        Ended::Words(words) => words.clone(),
        Ended::Allowed { route, by, .. } => {
            let route = match route {
                Route::Simple => "a simple request (no preflight)".to_string(),
                Route::CachedPreflight => "the preflight was served from the cache".to_string(),
                Route::PreflightPassed => format!(
                    "the preflight was needed because {}, and it passed",
                    super::rules::reasons_text(&record.preflight_reasons)
                ),
            };
            let by = match by {
                AllowedBy::AnyOrigin => {
                    "Access-Control-Allow-Origin is * and the request carries no credentials"
                        .to_string()
                }
                AllowedBy::Origin {
                    origin,
                    credentials: true,
                } => format!(
                    "Access-Control-Allow-Origin equals {origin} and Access-Control-Allow-Credentials is true"
                ),
                AllowedBy::Origin { origin, .. } => {
                    format!("Access-Control-Allow-Origin equals {origin}")
                }
            };
            let not_loaded = last
                .zip(record.element_outcome())
                .and_then(|(response, outcome)| {
                    super::no_cors::not_loaded(
                        (record.initiator, record.origin.as_deref().unwrap_or("null")),
                        outcome,
                        response,
                        &record.url,
                    )
                })
                .map(|sentence| format!(" {sentence}"))
                .unwrap_or_default();
            format!("Allowed: {route}; the response passed the CORS check ({by}).{not_loaded}")
        }
        Ended::SameOrigin => "Allowed: same-origin, so CORS does not apply.".to_string(),
        Ended::Unchecked(by) => {
            let (status, cors) = last.map_or_else(Default::default, |response| {
                (status_text(response), cors_header_text(&response.headers))
            });
            match by {
                UncheckedBy::Raw => format!(
                    "Sent without a browser: the server answered {status} and the client reads all of it; CORS headers in the answer: {cors}."
                ),
                UncheckedBy::NoCorsFetch {
                    refused: Some(policy),
                    ..
                } => format!(
                    "fetch() with mode 'no-cors' rejected with TypeError: Failed to fetch: the server answered {status}, but {}",
                    super::no_cors::corp_refused(
                        *policy,
                        record.origin.as_deref().unwrap_or("null"),
                        &record.url
                    )
                ),
                UncheckedBy::NoCorsFetch { withheld, .. } => format!(
                    "fetch() with mode 'no-cors' resolved with an opaque response: the server answered {status}, and the script sees type 'opaque', status 0, no headers and no body; CORS headers in the answer: {cors}.{}",
                    withheld
                        .zip(last)
                        .map(|(why, response)| super::no_cors::fetch_withheld(why, response))
                        .unwrap_or_default()
                ),
                UncheckedBy::Element(outcome) => {
                    if let Some(sentence) = last.and_then(|response| {
                        super::no_cors::not_loaded(
                            (record.initiator, record.origin.as_deref().unwrap_or("null")),
                            *outcome,
                            response,
                            &record.url,
                        )
                    }) {
                        return format!(
                            "Asked for by {} without crossorigin: no Origin, no CORS check; the server answered {status}. {sentence}",
                            record.initiator.described()
                        );
                    }
                    let reach = if record.initiator == Initiator::Script {
                        "which the page runs but cannot read, its errors muted to 'Script error.'"
                    } else {
                        "which the page can show but its scripts cannot read"
                    };
                    format!(
                        "Loaded by {} without crossorigin: no Origin, no CORS check; the server answered {status}, {reach}; CORS headers in the answer: {cors}.",
                        record.initiator.described()
                    )
                }
            }
        }
        Ended::Withheld {
            hop,
            url,
            method,
            preflighted,
        } => {
            if *hop > 0 {
                format!(
                    "The probe followed {hop} redirect(s) and stopped before {url}: that hop was not sent, so its answer is unknown (see the note)."
                )
            } else {
                let before = if *preflighted {
                    format!("The preflight allows {method}")
                } else {
                    format!("{method} needs no preflight")
                };
                format!(
                    "{before}; the request itself was not sent, so its response's CORS headers are unchecked (--send-actual sends it)."
                )
            }
        }
        Ended::BlockedAtActual(failure) => {
            let masked = last.map(masked_error).unwrap_or_default();
            format!(
                "Blocked at the actual response ({}): {}{masked}",
                failure.error.name(),
                failure.reason_text()
            )
        }
        Ended::BlockedAtRedirect(failure) => format!(
            "Blocked at the redirect ({}): {}",
            failure.error.name(),
            failure.reason_text()
        ),
        Ended::BlockedAtPreflight { failure, method } => format!(
            "Blocked at the preflight ({}): {} The {method} itself was never sent.",
            failure.error.name(),
            failure.reason_text()
        ),
        Ended::NotSent(failure) if failure.error == crate::engine::CorsError::MixedContent => {
            format!(
                "Blocked before it was sent ({}), not by CORS: the page was loaded over HTTPS, and the browser sends nothing to an http: URL such as {} from it. Call the https: URL; no CORS header changes this.",
                failure.error.name(),
                record.url
            )
        }
        Ended::NoAnswer(failure) if failure.error.is_network_error() => {
            let code = &failure.parameter;
            if failure.error == crate::engine::CorsError::NoAnswerRecorded
                && code == "net::ERR_FAILED"
            {
                "Blocked before any answer (net::ERR_FAILED): the recording does not say why, so the replay cannot check it.".to_string()
            } else if failure.error == crate::engine::CorsError::FirefoxNoAnswer {
                "Got no answer (CORSDidNotSucceed), not CORS: Firefox recorded none and no reason, so the network failed (nothing listening, DNS, TLS, a reset) or something stopped the request before it was sent. Fix the address, the server or the network; no CORS header changes this.".to_string()
            } else {
                format!(
                    "Failed with a network error ({code}), not CORS: {} Fix the address, the server or the network; no CORS header changes this.",
                    failure.reason_text()
                )
            }
        }
        // Local Network Access: simulated, or as a recording holds it (a network error).
        Ended::NotSent(failure) | Ended::NoAnswer(failure) => {
            format!(
                "Blocked before it was sent ({}): a page on the public internet may not reach the {} address {} {} (Local Network Access). No CORS header changes this.",
                failure.error.name(),
                failure.address_space().name(),
                failure.parameter,
                if failure.error == crate::engine::CorsError::InsecureLocalNetwork {
                    "at all from a page that is not a secure context"
                } else {
                    "without the user's permission"
                }
            )
        }
    }
}
