//! Facts in words, once, for every view: a step's event and its request's record become the
//! execution table's cells and the explanation, when a view shows them. Nothing here decides
//! anything; the engine has decided and recorded it.

mod cookies;
mod initiator;
pub mod no_cors;
mod preflight;

/// A cell with nothing in it.
pub(crate) const DASH: &str = "—";

mod console;
mod profile;
pub mod redirect;
pub mod request;
pub mod rules;
pub mod summary;
mod tracker;

use crate::scenario::Header;
use std::borrow::Cow;

use crate::engine::event::WhySent;
use crate::engine::{RequestRecord, Step, StepEvent, StepText};
use crate::http::{HttpRequest, HttpResponse, abbreviate_header, is_cors_header, reason_phrase};
use crate::scenario::{BrowserProfile, Credentials};

/// `step` in words. `record` is the request it belongs to; `profile` the run's browser profile.
pub fn step<'a>(
    step: &'a Step,
    record: &'a RequestRecord,
    profile: BrowserProfile,
) -> Cow<'a, StepText> {
    let exchange = step.exchange.and_then(|at| record.exchanges.get(at));
    match (&step.event, exchange) {
        (StepEvent::Saved(text), _) => Cow::Borrowed(text),
        (StepEvent::RequestStart(start), _) => Cow::Owned(request::start(record, start, profile)),
        (StepEvent::SameOriginStart { hop }, _) => {
            Cow::Owned(request::same_origin_start(record, hop.as_deref()))
        }
        (StepEvent::SameOriginSent, Some(exchange)) => Cow::Owned(same_origin_sent(exchange)),
        (StepEvent::SameOriginRead, Some(exchange)) => Cow::Owned(same_origin_read(exchange)),
        (StepEvent::PreflightSent { page_origin }, Some(exchange)) => {
            Cow::Owned(preflight::sent(exchange, *page_origin))
        }
        (StepEvent::PreflightPassed { unsafe_names }, Some(exchange)) => {
            Cow::Owned(preflight::passed(record, exchange, unsafe_names, profile))
        }
        (
            StepEvent::PreflightFailed {
                failure,
                unsafe_names,
            },
            Some(exchange),
        ) => Cow::Owned(preflight::failed(
            record,
            exchange,
            failure,
            unsafe_names,
            profile,
        )),
        (StepEvent::ActualSent { why }, Some(exchange)) => {
            Cow::Owned(actual_sent(*why, record, exchange))
        }
        (StepEvent::RedirectFollowed { cors_checked }, Some(exchange)) => {
            Cow::Owned(redirect::followed(record, exchange, step, *cors_checked))
        }
        (
            StepEvent::RedirectBlocked {
                failure,
                cors_checked,
            },
            Some(exchange),
        ) => Cow::Owned(redirect::blocked(
            record,
            exchange,
            step,
            failure,
            (*cors_checked, profile),
        )),
        (StepEvent::NoCorsRedirectFollowed, Some(exchange)) => {
            Cow::Owned(redirect::no_cors_followed(record, exchange, step))
        }
        (StepEvent::MixedContentBlocked, _) => Cow::Owned(mixed_content_blocked(record)),
        (StepEvent::LocalNetworkBlocked { resolved }, _) => {
            Cow::Owned(local_network_blocked(record, resolved))
        }
        (StepEvent::MixedContentUpgraded { from }, _) => {
            Cow::Owned(mixed_content_upgraded(record, from))
        }
        (StepEvent::RawStart, _) => Cow::Owned(raw_start(record)),
        (StepEvent::ImageStart, _) => Cow::Owned(image_start(record)),
        (StepEvent::NoCorsStart, _) => Cow::Owned(no_cors_start(record)),
        (StepEvent::NoCorsResolved, Some(exchange)) => {
            Cow::Owned(no_cors_resolved(record, exchange))
        }
        (StepEvent::ImageLoaded, Some(exchange)) => Cow::Owned(image_loaded(record, exchange)),
        (StepEvent::RawSent, Some(exchange)) => Cow::Owned(raw_sent(exchange)),
        (StepEvent::Withheld { target }, _) => Cow::Owned(withheld(target)),
        (StepEvent::NoAnswer { failure }, Some(exchange)) => {
            Cow::Owned(no_answer(failure, record, exchange))
        }
        (StepEvent::ResponseAllowed, Some(exchange)) => Cow::Owned(response_allowed(
            record,
            &exchange.request,
            &exchange.response,
        )),
        (StepEvent::ResponseBlocked { failure }, Some(exchange)) => {
            Cow::Owned(response_blocked(failure, record, exchange))
        }
        // A step told about an exchange always has it (saved traces hold words).
        (_, None) => Cow::Owned(StepText::default()),
    }
}

/// A count of things as people read it: "1 request", "2,000 requests".
pub fn counted(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", count(n), if n == 1 { "" } else { "s" })
}

/// A count as people read it: 1,234,567.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// `ACAO: https://a.example; ACAM: GET` — the CORS headers among `headers`, abbreviated.
pub fn cors_header_text(headers: &[Header]) -> String {
    let mut text = String::new();
    for (name, value) in headers.iter().filter(|(n, _)| is_cors_header(n)) {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(abbreviate_header(name));
        text.push_str(": ");
        text.push_str(value);
    }
    if text.is_empty() {
        text.push_str("(none)");
    }
    text
}

/// `204 No Content`: made for nearly every step, so without `format!`.
pub fn status_text(response: &HttpResponse) -> String {
    let mut number = itoa::Buffer::new();
    let code = number.format(response.status);
    match reason_phrase(response.status) {
        "" => code.to_string(),
        phrase => [code, " ", phrase].concat(),
    }
}

/// The path and query of `url`, as the execution table shows a request.
pub fn path_of(url: &url::Url) -> String {
    shown_path(&crate::http::syntax::path_and_query(url)).into_owned()
}

/// Query strings longer than this are cut where a request is named in words: a presigned URL's
/// signature and token (over 1,000 characters) would bury the sentence it is in. The whole URL
/// stays in the exchange's message.
const LONGEST_QUERY_SHOWN: usize = 96;

/// `path` (with its query) as the words name it: a long query is cut, saying how long it is.
pub fn shown_path(path: &str) -> std::borrow::Cow<'_, str> {
    let Some((before, query)) = path.split_once('?') else {
        return path.into();
    };
    if query.len() <= LONGEST_QUERY_SHOWN {
        return path.into();
    }
    let mut cut = LONGEST_QUERY_SHOWN;
    while !query.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{before}?{}… (a query of {} characters)",
        &query[..cut],
        query.len()
    )
    .into()
}

pub(crate) fn path_of_request(request: &HttpRequest) -> String {
    url::Url::parse(&request.url)
        .map(|url| path_of(&url))
        .unwrap_or_default()
}

/// The Origin a request carried (`null` when it carried none).
pub(crate) fn origin_sent(request: &HttpRequest) -> String {
    request
        .header("Origin")
        .unwrap_or_else(|| "null".to_string())
}

/// A raw client's request: no browser, so no CORS.
fn raw_start(record: &RequestRecord) -> StepText {
    let path = url::Url::parse(&record.url)
        .map(|u| path_of(&u))
        .unwrap_or_default();
    let origin = record
        .origin
        .as_ref()
        .map(|o| format!(" (with Origin: {o})"))
        .unwrap_or_default();
    StepText {
        action: format!("A raw client (like curl) sends {} {path}", record.method),
        request_type: "Raw HTTP (no browser)".to_string(),
        cors_headers: DASH.to_string(),
        decision: "No browser: no CORS rules apply".to_string(),
        result: "Sent exactly as written".to_string(),
        explanation: format!(
            "This request is sent the way curl sends it: exactly the method and headers written in the scenario{origin}, no preflight, no Origin unless one is given, and nobody checks the answer's CORS headers. CORS is enforced by browsers, not by servers or HTTP clients, which is why a request that works in curl can still be blocked in a page."
        ),
        profile_note: None,
    }
}

/// The page's request names an `http:` URL, and the page was loaded over HTTPS.
const MIXED_CONTENT_RULE: &str = "The page was loaded over HTTPS, so the browser will not send it a request over plain HTTP: it is mixed content (Mixed Content §\"Should fetching request be blocked as mixed content?\"; observed in Chromium 156). Only a loopback or private address, a localhost name or a .local name may be called over http: from such a page (then Local Network Access decides).";

fn mixed_content_blocked(record: &RequestRecord) -> StepText {
    let https = url::Url::parse(&record.url)
        .ok()
        .and_then(|url| crate::engine::fetch_rules::at_https(&url))
        .map(|url| url.to_string())
        .unwrap_or_default();
    let what = what_the_page_sees(record);
    StepText {
        action: format!("The page asks for {} {}", record.method, record.url),
        request_type: "Mixed content (https page, http URL)".to_string(),
        cors_headers: DASH.to_string(),
        decision: "Block before sending (mixed content)".to_string(),
        result: "Not sent: blocked:mixed-content".to_string(),
        explanation: format!(
            "{MIXED_CONTENT_RULE} Nothing goes out: no preflight, no request, no CORS check, so no server setting can help; {what}, and DevTools shows the request as (blocked:mixed-content). This is not a CORS error, though it ends the same way for the script. The fix is the URL: {https}, once the server answers HTTPS there."
        ),
        profile_note: None,
    }
}

/// How a request refused before it was sent ends for the page.
fn what_the_page_sees(record: &RequestRecord) -> Cow<'static, str> {
    use crate::scenario::{Initiator, Via};
    match record.initiator {
        Initiator::Xhr => Cow::Borrowed("XMLHttpRequest fires its error event"),
        Initiator::Script => Cow::Borrowed("the <script> fires its error event and does not run"),
        Initiator::Font => Cow::Borrowed("the font fails to load"),
        Initiator::Img if record.via == Via::Element => {
            Cow::Borrowed("the <img> fires its error event")
        }
        _ => Cow::Owned(format!(
            "fetch() rejects with {}",
            initiator::type_error(record.recorded_by_firefox())
        )),
    }
}

/// A page on the public internet asked for a loopback or local address, and Chromium's Local
/// Network Access refused it before anything was sent.
fn local_network_blocked(
    record: &RequestRecord,
    resolved: &(Option<std::net::IpAddr>, Option<std::net::IpAddr>),
) -> StepText {
    use crate::engine::CorsError;
    use crate::engine::fetch_rules::{AddressSpace, address_space, space_of_address};
    let (page_address, target_address) = *resolved;
    let url = url::Url::parse(&record.url).ok();
    let space = match target_address {
        Some(address) => space_of_address(address),
        None => url.as_ref().map_or(AddressSpace::Loopback, address_space),
    };
    let host = url
        .as_ref()
        .and_then(|url| url.host_str().map(str::to_string))
        .map(|host| match target_address {
            Some(address) => format!("{host} (at {address}, by the scenario's addresses)"),
            None => host,
        })
        .unwrap_or_default();
    let page = record
        .origin
        .as_deref()
        .and_then(|origin| url::Url::parse(origin).ok());
    // Only a name is a guess: an address says where it is.
    let page_is_named = matches!(
        page.as_ref().and_then(url::Url::host),
        Some(url::Host::Domain(_))
    );
    let guessed = match (page.as_ref().and_then(url::Url::host_str), page_address) {
        (Some(host), Some(address)) => format!(
            " The page's host {host} is at {address}, a public address (the scenario's addresses)."
        ),
        (Some(host), None) if page_is_named => format!(
            " The page's host {host} is taken to be public because it is a name, not an address: the simulation resolves no names unless the scenario's addresses say (inferred)."
        ),
        _ => String::new(),
    };
    let place = match space {
        AddressSpace::Loopback => "this machine itself (loopback)",
        _ => "a private network (a local address)",
    };
    let secure = record.cors_error == Some(CorsError::LocalNetworkAccessPermissionDenied);
    let rule = if secure {
        "Chromium sends such a request only once the user has allowed the site to reach devices on the local network: it asks with a prompt, and headless Chromium, or a user who blocks the prompt, denies it"
    } else {
        "From a page that is not a secure context (http:, and not localhost) Chromium refuses it outright, with no prompt"
    };
    let error = record.cors_error.map_or("", CorsError::name);
    StepText {
        action: format!("The page asks for {} {}", record.method, record.url),
        request_type: format!(
            "Local network access (public page, {} address)",
            space.name()
        ),
        cors_headers: DASH.to_string(),
        decision: if secure {
            "Block before sending (no permission)".to_string()
        } else {
            "Block before sending (page not secure)".to_string()
        },
        result: format!("Not sent: {error}"),
        explanation: format!(
            "The page is on the public internet and {host} is on {place}. {rule} (Local Network Access; observed in Chromium 156). Nothing goes out: no preflight, no request, no CORS check, so no header the server sends can help; {}, and the console words it as a CORS error.{guessed} The ways out: serve the page from the same machine or network while developing (http://localhost), call the API at its public https: address{}.",
            what_the_page_sees(record),
            if secure {
                ", or allow the site in the browser's prompt (site settings: local network access)"
            } else {
                ""
            }
        ),
        profile_note: None,
    }
}

fn mixed_content_upgraded(record: &RequestRecord, from: &str) -> StepText {
    StepText {
        action: format!("The page's <img> names {from}"),
        request_type: "Image, mixed content (upgraded)".to_string(),
        cors_headers: DASH.to_string(),
        decision: "Ask for it at https: instead".to_string(),
        result: format!("GET {}", record.url),
        explanation: format!(
            "{MIXED_CONTENT_RULE} An image is the exception: rather than block it, the browser asks for the same URL at https: (Mixed Content Level 2 upgrades images, audio and video), and the console warns that the request was automatically upgraded to HTTPS. Should the host not answer HTTPS there, the image fails to load."
        ),
        profile_note: None,
    }
}

fn image_start(record: &RequestRecord) -> StepText {
    let path = url::Url::parse(&record.url)
        .map(|u| path_of(&u))
        .unwrap_or_default();
    let page = record.origin.as_deref().unwrap_or("null");
    let script = record.initiator == crate::scenario::Initiator::Script;
    let (markup, shown) = if script {
        (
            format!("<script src=\"{}\">", record.url),
            "The script runs, but the response is opaque: the page cannot read its source, and an error it throws reaches window.onerror only as 'Script error.', without message or line (observed in Chromium 148).",
        )
    } else {
        (
            format!("<img src=\"{}\">", record.url),
            "The image is shown, but the response is opaque: the page's scripts cannot read its bytes or headers.",
        )
    };
    let element = if script { "<script>" } else { "<img>" };
    StepText {
        action: format!("The page's {element} asks for GET {path}"),
        request_type: if script {
            "Script, no-cors (no crossorigin)".to_string()
        } else {
            "Image, no-cors (no crossorigin)".to_string()
        },
        cors_headers: DASH.to_string(),
        decision: "No CORS: an element without crossorigin sends no Origin".to_string(),
        result: "Send it without Origin".to_string(),
        explanation: format!(
            "The page at {page} has {markup} without a crossorigin attribute. The browser fetches it in 'no-cors' mode (Fetch §\"main fetch\"): a GET with no Origin header (observed in Chromium), with cookies, no preflight, and no CORS check of the answer. {shown} To the server, and to any cache in front of it, this request looks like curl's."
        ),
        profile_note: None,
    }
}

fn no_cors_start(record: &RequestRecord) -> StepText {
    let path = url::Url::parse(&record.url)
        .map(|u| path_of(&u))
        .unwrap_or_default();
    let page = record.origin.as_deref().unwrap_or("null");
    let method = &record.method;
    let origin = if method == "POST" {
        "with Origin (a POST always carries it)"
    } else {
        "without Origin (a no-cors GET or HEAD carries none)"
    };
    StepText {
        action: format!("Page calls fetch() with mode 'no-cors': {method} {path}"),
        request_type: "no-cors fetch".to_string(),
        cors_headers: DASH.to_string(),
        decision: "No CORS: the answer will be opaque".to_string(),
        result: "Send it; no preflight".to_string(),
        explanation: format!(
            "The page at {page} calls fetch('{}', {{method: '{method}', mode: 'no-cors'}}). In no-cors mode (Fetch §\"main fetch\") only GET, HEAD and POST are allowed and only CORS-safelisted headers are kept, so no preflight is ever needed: the browser sends it {origin}, and whatever comes back is handed to the script as an opaque response (observed in Chromium 148: a JSON Content-Type is dropped from such a POST).",
            record.url
        ),
        profile_note: None,
    }
}

fn no_cors_resolved(record: &RequestRecord, exchange: &crate::engine::Exchange) -> StepText {
    let response = &exchange.response;
    let page = record.origin.as_deref().unwrap_or("null");
    if let Some(policy) = record.refused_by_corp() {
        return StepText {
            action: format!("Server answers the no-cors {}", exchange.request.method),
            request_type: "no-cors fetch".to_string(),
            cors_headers: sent_header_text(exchange),
            decision: format!("Refused: Cross-Origin-Resource-Policy: {}", policy.value()),
            result: format!(
                "TypeError: Failed to fetch ({} on the wire)",
                status_text(response)
            ),
            explanation: with_cookies(
                exchange,
                format!(
                    "{} The fetch rejects with TypeError: Failed to fetch: {}",
                    exchange.server_explanation(),
                    no_cors::corp_refused(policy, page, &exchange.request.url)
                ),
            ),
            profile_note: None,
        };
    }
    let withheld = record
        .withheld_by_orb()
        .map(|why| no_cors::fetch_withheld(why, response))
        .unwrap_or_default();
    StepText {
        action: format!("Server answers the no-cors {}", exchange.request.method),
        request_type: "no-cors fetch".to_string(),
        cors_headers: sent_header_text(exchange),
        decision: "Nothing to check: the answer is made opaque".to_string(),
        result: format!("Opaque: status 0 ({} on the wire)", status_text(response)),
        explanation: with_cookies(
            exchange,
            format!(
                "{} The fetch resolves, with no error, but with type 'opaque': status 0, ok false, no headers and an empty body, whatever the server sent and whatever CORS headers it had. The script learns only that something answered; mode 'no-cors' silences the error without letting the page read anything.{withheld}",
                exchange.server_explanation()
            ),
        ),
        profile_note: None,
    }
}

fn image_loaded(record: &RequestRecord, exchange: &crate::engine::Exchange) -> StepText {
    let response = &exchange.response;
    let script = record.initiator == crate::scenario::Initiator::Script;
    let outcome = record
        .element_outcome()
        .unwrap_or(crate::engine::fetch_rules::ElementOutcome::Loads);
    let not_loaded = no_cors::not_loaded(
        (record.initiator, record.origin.as_deref().unwrap_or("null")),
        outcome,
        response,
        &exchange.request.url,
    );
    let failed;
    let refused_by = match outcome {
        crate::engine::fetch_rules::ElementOutcome::Withheld(_) => Some("Withheld by ORB"),
        crate::engine::fetch_rules::ElementOutcome::Refused(_) => Some("Refused by its CORP"),
        _ => None,
    };
    let (element, request_type, result, after) = if let Some(sentence) = &not_loaded {
        failed = format!("The browser makes no CORS check for a no-cors request. {sentence}");
        if script {
            (
                "script",
                "Script, no-cors (no crossorigin)",
                refused_by.unwrap_or("Does not run"),
                failed.as_str(),
            )
        } else {
            (
                "image",
                "Image, no-cors (no crossorigin)",
                refused_by.unwrap_or("Not shown"),
                failed.as_str(),
            )
        }
    } else if script {
        (
            "script",
            "Script, no-cors (no crossorigin)",
            "Runs",
            "The script runs whatever CORS headers the answer has; the browser makes no CORS check for a no-cors request. Its errors reach the page only as 'Script error.': add crossorigin (and Access-Control-Allow-Origin on the answer) to see them.",
        )
    } else {
        (
            "image",
            "Image, no-cors (no crossorigin)",
            "Shown",
            "The image is shown whatever CORS headers the answer has; the browser makes no CORS check for a no-cors request. Drawn on a canvas, it taints it: getImageData() then throws SecurityError: The canvas has been tainted by cross-origin data (observed in Chromium 148). crossorigin=\"anonymous\" and Access-Control-Allow-Origin on the answer keep the canvas readable.",
        )
    };
    StepText {
        action: format!("Server answers the {element}'s {}", exchange.request.method),
        request_type: request_type.to_string(),
        cors_headers: sent_header_text(exchange),
        decision: "Nothing to check: no-cors".to_string(),
        result: format!(
            "{result}: {}; {}",
            status_text(response),
            cors_header_text(&response.headers)
        ),
        explanation: with_cookies(
            exchange,
            format!("{} {after}", exchange.server_explanation()),
        ),
        profile_note: None,
    }
}

fn raw_sent(exchange: &crate::engine::Exchange) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    StepText {
        action: format!("Server answers the raw {}", request.method),
        request_type: "Raw HTTP (no browser)".to_string(),
        cors_headers: cors_header_text(&request.headers),
        decision: "Nothing to check: no browser".to_string(),
        result: format!(
            "Sent: {}; {}",
            status_text(response),
            cors_header_text(&response.headers)
        ),
        explanation: format!(
            "{} The client shows the whole response, CORS headers or not.",
            exchange.server_explanation()
        ),
        profile_note: None,
    }
}

/// A probe that held the actual request back, or stopped at a redirect's hop.
fn withheld(target: &crate::engine::event::HopTarget) -> StepText {
    let method = &target.method;
    let path = url::Url::parse(&target.url)
        .map(|u| path_of(&u))
        .unwrap_or_default();
    let (action, decision, explanation) = if target.number > 0 {
        (
            format!("Probe stops before {method} {path}"),
            format!(
                "Not sent: the probe stopped at redirect {} (see the note)",
                target.number
            ),
            format!(
                "A browser would now follow redirect {} and send the {method} to {}. The probe did not reach it (the request's note says why), so this hop's answer and its CORS headers are unknown; the hops before it are shown as the live server answered them.",
                target.number, target.url
            ),
        )
    } else {
        (
            format!("Probe holds back {method} {path}"),
            "Not sent: a probe sends only GET, HEAD and OPTIONS unless told to (--send-actual)"
                .to_string(),
            format!(
                "A browser would now send the {method}. The probe did not, because it could change data on the server; so the response's own CORS headers (Access-Control-Allow-Origin again, and Access-Control-Allow-Credentials) were not checked. Run the probe with --send-actual to send it."
            ),
        )
    };
    StepText {
        action,
        request_type: format!("Actual {method}"),
        cors_headers: DASH.to_string(),
        decision,
        result: "Not sent".to_string(),
        explanation,
        profile_note: None,
    }
}

/// A recorded network error: no answer, so nothing for CORS to check.
fn no_answer(
    failure: &crate::engine::CorsFailure,
    record: &RequestRecord,
    exchange: &crate::engine::Exchange,
) -> StepText {
    let code = &failure.parameter;
    let preflight = exchange.kind == crate::engine::ExchangeKind::Preflight;
    let path = path_of_request(&exchange.request);
    let what = if preflight {
        format!("preflight OPTIONS {path}")
    } else {
        format!("{} {path}", exchange.request.method)
    };
    let unexplained =
        failure.error == crate::engine::CorsError::NoAnswerRecorded && code == "net::ERR_FAILED";
    let refused = failure.error.is_refused_before_sending();
    let explanation = if refused {
        format!(
            "Recorded, not simulated: Chromium refused the {what} before sending it (status 0, recorded as net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS): its host is a {} address, and to Chromium the page is on the public internet, so Local Network Access needs the user's permission, which was not given (observed in Chromium 156). No server saw it. The console says: {}",
            failure.address_space().name(),
            record.error().unwrap_or_default()
        )
    } else if failure.error == crate::engine::CorsError::FirefoxNoAnswer {
        format!(
            "Recorded, not simulated: Firefox wrote down no answer to the {what} (status 0) and no reason. Firefox keeps the answer of a request CORS refused (observed in Firefox 153), so this one got none: the network failed (nothing listening on that host and port, DNS, TLS, a reset) or something stopped it before it was sent. No server answered, so there was nothing for CORS to check. {}, as it does for a CORS failure, and Firefox's console shows only this line, which names CORS but is about no header: {}",
            initiator::fails_sentence_for(record),
            record.error().unwrap_or_default()
        )
    } else if unexplained {
        format!(
            "Recorded, not simulated: Chromium wrote down no answer to the {what} (status 0, net::ERR_FAILED) and no reason. It stopped the request before any answer reached the page, for a reason the recording does not hold: DevTools' console or Issues panel names it. The replay cannot check this request."
        )
    } else {
        format!(
            "Recorded, not simulated: the browser wrote down no answer to the {what} but the network error {code}. {} No server answered, so there was nothing for CORS to check. {}, as it does for a CORS failure, and the console shows only: {}",
            failure.reason_text(),
            match record.initiator {
                crate::scenario::Initiator::Fetch => format!(
                    "fetch() rejects with {}",
                    initiator::type_error(record.recorded_by_firefox())
                ),
                other => initiator::fails_sentence(other),
            },
            record.error().unwrap_or_default()
        )
    };
    StepText {
        action: format!("No answer to the {what}"),
        request_type: if preflight {
            "Preflight (OPTIONS)".to_string()
        } else {
            format!("Actual {}", exchange.request.method)
        },
        cors_headers: DASH.to_string(),
        decision: if refused {
            format!("Fail: {}", failure.error.name())
        } else {
            format!("Fail: {code}")
        },
        result: match record.initiator {
            crate::scenario::Initiator::Fetch => format!(
                "Blocked: fetch() rejects with {}",
                initiator::type_error(record.recorded_by_firefox())
            ),
            other => initiator::blocked_result(other).to_string(),
        },
        explanation,
        profile_note: None,
    }
}

fn same_origin_sent(exchange: &crate::engine::Exchange) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    let method = &request.method;
    StepText {
        action: format!("Browser sends {method} {}", path_of_request(request)),
        request_type: format!("Actual {method} (same-origin)"),
        cors_headers: sent_header_text(exchange),
        decision: "Send (same-origin)".to_string(),
        result: [status_text(response), cors_header_text(&response.headers)].join("; "),
        explanation: with_cookies(exchange, exchange.server_explanation().to_string()),
        profile_note: None,
    }
}

/// The table's "headers sent" cell for a request the browser sent: its CORS headers, and its
/// Cookie line when the lesson has a cookie jar (`(none)` when every cookie stayed home).
fn sent_header_text(exchange: &crate::engine::Exchange) -> String {
    let cors = cors_header_text(&exchange.request.headers);
    match &exchange.cookies {
        Some(decision) => format!(
            "{cors}; Cookie: {}",
            decision.header().unwrap_or_else(|| "(none)".to_string())
        ),
        None => cors,
    }
}

/// `explanation` after what the cookie jar gave the exchange's request, when it holds any, and
/// before what it took from the answer.
fn with_cookies(exchange: &crate::engine::Exchange, explanation: String) -> String {
    match &exchange.cookies {
        Some(decision) => {
            let sent = cookies::told(decision, &exchange.request);
            match cookies::set_told(decision) {
                Some(set) => format!("{sent} {explanation} {set}"),
                None => format!("{sent} {explanation}"),
            }
        }
        None => explanation,
    }
}

/// What the cookie jar took from the exchange's answer, as a sentence to follow the step's.
fn cookies_set(exchange: &crate::engine::Exchange) -> String {
    exchange
        .cookies
        .as_deref()
        .and_then(cookies::set_told)
        .map(|set| format!(" {set}"))
        .unwrap_or_default()
}

fn same_origin_read(exchange: &crate::engine::Exchange) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    StepText {
        action: "Browser hands the response to the page".to_string(),
        request_type: format!("Actual {} (same-origin)", request.method),
        cors_headers: cors_header_text(&response.headers),
        decision: "No CORS check (same-origin)".to_string(),
        result: format!("Allowed: script reads the {} response", response.status),
        explanation: "A same-origin response is a 'basic' filtered response: script reads every header except Set-Cookie, with or without CORS headers (Fetch §\"basic filtered response\").".to_string(),
        profile_note: None,
    }
}

fn actual_sent(
    why: WhySent,
    record: &RequestRecord,
    exchange: &crate::engine::Exchange,
) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    let method = &request.method;
    let why = match why {
        WhySent::NoPreflightNeeded => "no preflight needed",
        WhySent::CachedPreflight => "the cached preflight allows it",
        WhySent::PreflightPassed => "the preflight allowed it",
    };
    // With a cookie jar the step says which cookies went; without one, only that they may.
    let cookies = match &exchange.cookies {
        Some(decision) => format!(". {}", cookies::told(decision, request)),
        None if record.credentials == Credentials::Include => {
            " and the page's cookies.".to_string()
        }
        None => ".".to_string(),
    };
    if matches!(
        exchange.server,
        crate::server::ServerNote::BrowserCache { .. }
    ) {
        return StepText {
            action: format!(
                "Browser takes {method} {} from its HTTP cache",
                path_of_request(request)
            ),
            request_type: format!("Actual {method}"),
            cors_headers: sent_header_text(exchange),
            decision: format!("Reuse the stored answer ({why}; not sent)"),
            result: [status_text(response), cors_header_text(&response.headers)].join("; "),
            explanation: format!(
                "The browser would send the actual {method} with Origin: {}{cookies} {} The CORS check runs on the stored answer.",
                origin_sent(request),
                exchange.server_explanation()
            ),
            profile_note: None,
        };
    }
    StepText {
        action: format!("Browser sends {method} {}", path_of_request(request)),
        request_type: format!("Actual {method}"),
        cors_headers: sent_header_text(exchange),
        decision: format!("Send ({why})"),
        result: [status_text(response), cors_header_text(&response.headers)].join("; "),
        explanation: format!(
            "The browser sends the actual {method} with Origin: {}{cookies} {}{}",
            origin_sent(request),
            exchange.server_explanation(),
            cookies_set(exchange)
        ),
        profile_note: None,
    }
}

fn response_allowed(
    record: &RequestRecord,
    request: &HttpRequest,
    response: &HttpResponse,
) -> StepText {
    let origin = origin_sent(request);
    let include = record.credentials == Credentials::Include;
    let exposed = &record.exposed_headers;
    let acao = response
        .header("Access-Control-Allow-Origin")
        .unwrap_or_default();
    let (short_how, how) = if acao == "*" {
        (
            "ACAO is *".to_string(),
            "Access-Control-Allow-Origin is * and the request carries no credentials".to_string(),
        )
    } else if include {
        (
            "ACAO matches, ACAC true".to_string(),
            format!(
                "Access-Control-Allow-Origin equals {origin} and Access-Control-Allow-Credentials is true"
            ),
        )
    } else {
        (
            "ACAO matches the origin".to_string(),
            format!("Access-Control-Allow-Origin equals {origin}"),
        )
    };
    let reads = matches!(
        record.initiator,
        crate::scenario::Initiator::Fetch | crate::scenario::Initiator::Xhr
    );
    let status_note = if response.status >= 400 && reads {
        format!(
            " The script can read the {} response: the CORS check passed, though the operation itself failed.",
            response.status
        )
    } else {
        String::new()
    };
    let (forbidden, hidden): (Vec<String>, Vec<String>) = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !exposed.iter().any(|e| e == n) && !is_cors_header(n))
        .partition(|n| matches!(n.as_str(), "set-cookie" | "set-cookie2"));
    let mut hidden_note = if hidden.is_empty() {
        String::new()
    } else {
        format!(
            " Hidden from script: {} (not CORS-safelisted response headers and not in Access-Control-Expose-Headers).",
            hidden.join(", ")
        )
    };
    if !forbidden.is_empty() {
        hidden_note.push_str(" Set-Cookie never reaches a script, even if Access-Control-Expose-Headers lists it (Fetch's forbidden response-header names).");
    }
    let readable = if exposed.is_empty() {
        "none".to_string()
    } else {
        exposed.join(", ")
    };
    StepText {
        action: "Browser runs the CORS check".to_string(),
        request_type: format!("Actual {}", request.method),
        cors_headers: cors_header_text(&response.headers),
        decision: format!("Pass: {short_how}"),
        result: initiator::allowed_result(
            record.initiator,
            response.status,
            record.element_outcome(),
        ),
        explanation: format!(
            "CORS check (Fetch §\"CORS check\"): {how}, so the response is shared with the page.{}{status_note} Script can read these response headers: {readable} (Fetch §\"CORS-safelisted response-header name\" plus Access-Control-Expose-Headers).{hidden_note}",
            match record.element_outcome().map_or_else(
                || initiator::not_loaded(record.initiator, response.status),
                |outcome| {
                    no_cors::not_loaded(
                        (record.initiator, record.origin.as_deref().unwrap_or("null")),
                        outcome,
                        response,
                        &request.url,
                    )
                },
            ) {
                Some(sentence) => format!(" {sentence}"),
                None => initiator::allowed_note(record.initiator).to_string(),
            }
        ),
        profile_note: None,
    }
}

/// "CORS hid a real error": an error status without CORS headers reaches the script only as a
/// CORS failure.
pub fn masked_error(response: &HttpResponse) -> String {
    if response.status >= 400 && response.header("Access-Control-Allow-Origin").is_none() {
        format!(
            " CORS hid a real error: the server answered {} without CORS headers, and the script only sees a CORS failure.",
            status_text(response)
        )
    } else {
        String::new()
    }
}

/// Where a header that looks like a CORS header but is not came from, when the answer has one:
/// S3 returns an object's metadata as `x-amz-meta-*` headers.
fn metadata_hint(response: &HttpResponse) -> String {
    response
        .headers
        .iter()
        .find(|(name, _)| {
            name.to_ascii_lowercase()
                .strip_prefix("x-amz-meta-")
                .is_some_and(|rest| rest.starts_with("access-control-"))
        })
        .map(|(name, _)| {
            format!(
                " The answer carries {name}: object metadata, which S3 returns as x-amz-meta-* headers, is never a CORS header; CORS headers come from the bucket's CORS configuration (observed)."
            )
        })
        .unwrap_or_default()
}

fn response_blocked(
    failure: &crate::engine::CorsFailure,
    record: &RequestRecord,
    exchange: &crate::engine::Exchange,
) -> StepText {
    let (request, response) = (&exchange.request, &exchange.response);
    let reached = match exchange.server.cache_word() {
        Some(_) => format!(
            "The answer, {}, came from a cache: the server never saw this request, and the browser withholds the answer from the page.",
            status_text(response)
        ),
        None => format!(
            "The request did reach the server and it answered {}, but the browser withholds the response from the page.",
            status_text(response)
        ),
    };
    StepText {
        action: "Browser runs the CORS check".to_string(),
        request_type: format!("Actual {}", request.method),
        cors_headers: cors_header_text(&response.headers),
        decision: format!("Fail: {}", failure.error.name()),
        result: initiator::blocked_result_for(record),
        explanation: format!(
            "CORS check (Fetch §\"CORS check\") fails: {} {reached}{}{}{} Console: {}",
            failure.reason_text(),
            // The table's result says it for fetch(); an element's failure is its own.
            if record.initiator == crate::scenario::Initiator::Fetch {
                String::new()
            } else {
                format!(" So {}.", initiator::fails(record.initiator))
            },
            masked_error(response),
            metadata_hint(response),
            record.error().unwrap_or_default()
        ),
        profile_note: None,
    }
}

/// The words of a run, where views ask the trace for them: the engine keeps facts, and these
/// are written here, beside the rest of the narration.
impl crate::engine::RequestRecord {
    /// A one-paragraph verdict: what happened and why.
    pub fn summary_text(&self) -> String {
        summary::summary(self)
    }
}

impl crate::engine::Trace {
    /// A step in words.
    pub fn text<'a>(
        &'a self,
        shown: &'a crate::engine::Step,
    ) -> std::borrow::Cow<'a, crate::engine::StepText> {
        step(shown, self.request_of(shown), self.profile)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counted_things_are_one_or_many() {
        assert_eq!(super::counted(1, "request"), "1 request");
        assert_eq!(super::counted(0, "cause"), "0 causes");
        assert_eq!(super::counted(25_000, "request"), "25,000 requests");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (25_000, "25,000"),
            (40_000, "40,000"),
            (100_000, "100,000"),
            (300_000, "300,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(super::count(n), text);
        }
    }

    use super::shown_path;

    #[test]
    fn a_long_query_is_cut_where_a_request_is_named() {
        assert_eq!(shown_path("/a?b=1"), "/a?b=1");
        let token = "t".repeat(1000);
        let long = format!("/photo.jpg?X-Amz-Security-Token={token}");
        let shown = shown_path(&long);
        assert!(
            shown.starts_with("/photo.jpg?X-Amz-Security-Token=ttt"),
            "{shown}"
        );
        assert!(shown.ends_with("… (a query of 1021 characters)"), "{shown}");
        // Never inside a character.
        let wide = format!("/x?{}", "é".repeat(100));
        assert!(shown_path(&wide).contains('…'));
    }
}
