//! What becomes of an answer beyond CORS, in words: Opaque Response Blocking, the answer's
//! `Cross-Origin-Resource-Policy` (and the page's Cross-Origin-Embedder-Policy), and how an
//! element fared (observed in Chromium 156: `tests/fixtures/chromium/
//! opaque-response-blocking.observed.json`, `cross-origin-resource-policy.observed.json`,
//! `cross-origin-embedder-policy.observed.json`).

use crate::engine::corp::CorpPolicy;
use crate::engine::fetch_rules::ElementOutcome;
use crate::engine::orb::{self, OrbBlocked};
use crate::http::HttpResponse;
use crate::scenario::Initiator;

/// Why ORB withheld `response`, as a clause: "the body starts as XML (sent as
/// application/xml)".
fn reason(why: OrbBlocked, response: &HttpResponse) -> String {
    let declared = orb::essence(response);
    let sent_as = declared
        .as_deref()
        .map_or_else(|| "no Content-Type".to_string(), |t| format!("sent as {t}"));
    match why {
        OrbBlocked::Sniffed(kind) => format!("the body starts as {} ({sent_as})", kind.name()),
        OrbBlocked::NeverSniffedType => format!(
            "it is {}, a type ORB never hands to a no-cors load",
            declared.as_deref().unwrap_or("of no type")
        ),
        OrbBlocked::Nosniff => format!(
            "it is {} with X-Content-Type-Options: nosniff",
            declared.as_deref().unwrap_or("of no type")
        ),
        OrbBlocked::EmptyData => format!("the body is empty and {sent_as}"),
    }
}

/// "The real failure is the 403 …" for an error status; empty otherwise.
fn real_failure(response: &HttpResponse) -> String {
    if response.status >= 400 {
        format!(
            " The real failure is the {}: the server sent an error, not what the page asked for.",
            crate::narrate::status_text(response)
        )
    } else {
        String::new()
    }
}

/// Why an element does not load its answer (without `crossorigin`, or allowed by CORS); `None`
/// when it loads.
pub fn not_loaded(
    (initiator, page): (Initiator, &str),
    outcome: ElementOutcome,
    response: &HttpResponse,
    url: &str,
) -> Option<String> {
    let fails = super::initiator::fails(initiator);
    match outcome {
        ElementOutcome::Loads => None,
        ElementOutcome::ErrorStatus => super::initiator::not_loaded(initiator, response.status),
        ElementOutcome::WrongType if initiator == Initiator::Script => {
            let declared = orb::essence(response).unwrap_or_default();
            let (strict, why) = if orb::nosniff(response) {
                (
                    ", and strict MIME type checking is enabled",
                    "under X-Content-Type-Options: nosniff Chromium runs only a JavaScript type",
                )
            } else {
                (
                    "",
                    "Chromium never runs an image, audio, video or CSV type as a script",
                )
            };
            let sent_as = if declared.is_empty() {
                "no Content-Type".to_string()
            } else {
                declared.clone()
            };
            Some(format!(
                "But {fails}: the answer is {sent_as}, and {why}. Chromium says \"Refused to execute script from '{url}' because its MIME type ('{declared}') is not executable{strict}.\" (observed in Chromium 156). Serve it as text/javascript."
            ))
        }
        ElementOutcome::WrongType => Some(format!(
            "But {fails}: the answer ({}) is no image (observed in Chromium 156).{}",
            orb::essence(response).unwrap_or_else(|| "no Content-Type".to_string()),
            real_failure(response)
        )),
        ElementOutcome::Refused(policy) => {
            Some(format!("But {fails}: {}", corp_refused(policy, page, url)))
        }
        ElementOutcome::Withheld(why) => Some(format!(
            "But {fails}: Chromium's Opaque Response Blocking (ORB) withheld the answer, because {}. DevTools lists the request as failed, {}, with the issue \"Response was blocked by ORB\". This is not CORS, and no CORS header changes it: a page may load images, scripts and styles from anywhere, but not another site's data (observed in Chromium 156).{}",
            reason(why, response),
            orb::BLOCKED_BY_ORB,
            real_failure(response)
        )),
    }
}

/// Why the answer's `Cross-Origin-Resource-Policy` refused it to the page at `page`, and what
/// changes that.
pub fn corp_refused(policy: CorpPolicy, page: &str, url: &str) -> String {
    let own_origin = || {
        url::Url::parse(url)
            .ok()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    };
    let error = policy.network_error();
    let refused = format!(
        "Chromium refuses it: DevTools lists the request as failed, {error}, and the console says \"Failed to load resource: {error}\" (observed in Chromium 156). This is not CORS: no Access-Control-* header lifts it."
    );
    let or_cors = "or ask with crossorigin and allow the page by CORS, since a CORS request is not held to the policy";
    match policy {
        CorpPolicy::SameOriginByCoep => format!(
            "the answer carries no Cross-Origin-Resource-Policy Fetch knows, and the page is cross-origin isolated: its Cross-Origin-Embedder-Policy: require-corp takes such an answer to be same-origin, so only pages on {} may load it without CORS, and the page is at {page}. {refused} Have the server send Cross-Origin-Resource-Policy: cross-origin (an S3 bucket cannot: put CloudFront in front with a response headers policy that adds it); {or_cors}; or send the page with Cross-Origin-Embedder-Policy: credentialless, which asks no policy of an answer it loads without cookies.",
            own_origin()
        ),
        CorpPolicy::SameOrigin | CorpPolicy::SameSite => {
            let who = if policy == CorpPolicy::SameSite {
                "only pages on its own site (scheme and registrable domain) may load it without CORS".to_string()
            } else {
                format!(
                    "only pages on its own origin ({}) may load it without CORS",
                    own_origin()
                )
            };
            format!(
                "the answer says Cross-Origin-Resource-Policy: {}, so {who}, and the page is at {page}. {refused} Have the server send Cross-Origin-Resource-Policy: cross-origin{} (Express's helmet sends same-origin unless told otherwise with crossOriginResourcePolicy: {{ policy: '…' }}), {or_cors}.",
                policy.value(),
                if policy == CorpPolicy::SameOrigin {
                    ", or same-site where the page is on its own site"
                } else {
                    ""
                }
            )
        }
    }
}

/// The note on a no-cors fetch() whose body ORB withheld.
pub fn fetch_withheld(why: OrbBlocked, response: &HttpResponse) -> String {
    format!(
        " Chromium's Opaque Response Blocking (ORB) also withheld the body, because {}: the promise still resolves with the same empty opaque response, but DevTools lists the request as failed, {} (observed in Chromium 156).",
        reason(why, response),
        orb::ABORTED
    )
}

/// A recorded load ORB withheld, in a line: "an <img> · 404 · application/xml ·
/// net::ERR_BLOCKED_BY_ORB".
pub fn withheld_load(load: &crate::scenario::recording::WithheldLoad) -> String {
    let what = match load.resource_type.as_deref() {
        Some("image") => "an <img>",
        Some("script") => "a <script>",
        Some("fetch") => "a no-cors fetch()",
        Some("stylesheet") => "a stylesheet",
        Some("media") => "a <video> or <audio>",
        _ => "a no-cors load",
    };
    let status = match crate::http::reason_phrase(load.status) {
        "" => load.status.to_string(),
        phrase => format!("{} {phrase}", load.status),
    };
    let content_type = load
        .content_type
        .as_deref()
        .unwrap_or("no Content-Type recorded");
    let why = match (&load.resource_policy, load.inferred) {
        (Some(policy), true) => format!(
            " (Cross-Origin-Resource-Policy: {policy}; inferred from it: Firefox records no error)"
        ),
        (Some(policy), false) => format!(" (Cross-Origin-Resource-Policy: {policy})"),
        (None, true) => " (ORB inferred)".to_string(),
        (None, false) => String::new(),
    };
    format!("{what} · {status} · {content_type} · {}{why}", load.error)
}

/// How many of a recording's no-cors loads ORB withheld and how many their CORP refused:
/// "3 loads withheld by Opaque Response Blocking (ORB) · 2 loads refused by their
/// Cross-Origin-Resource-Policy".
pub fn withheld_loads_counted(orb: usize, corp: usize, short: bool) -> String {
    let loads = |n: usize| if n == 1 { "load" } else { "loads" };
    let mut parts = Vec::new();
    if orb > 0 {
        let by = if short {
            "ORB"
        } else {
            "Opaque Response Blocking (ORB)"
        };
        parts.push(format!("{orb} {} withheld by {by}", loads(orb)));
    }
    if corp > 0 {
        let by = if short {
            "CORP"
        } else {
            "Cross-Origin-Resource-Policy"
        };
        let whose = if corp == 1 { "its" } else { "their" };
        parts.push(format!("{corp} {} refused by {whose} {by}", loads(corp)));
    }
    parts.join(" · ")
}

/// What an answer's Cross-Origin-Resource-Policy refusing recorded loads means; `by_coep`: some
/// were refused because the page's Cross-Origin-Embedder-Policy is require-corp.
pub fn refused_loads_explained(by_coep: bool) -> String {
    let mut text = "An answer's Cross-Origin-Resource-Policy (same-origin, same-site) forbids no-cors loads from other origins or sites: the <img>, <script> or no-cors fetch() fails whatever CORS headers come with it, and no Access-Control-* header lifts it (observed in Chromium 156 and Firefox 153). Have the server send Cross-Origin-Resource-Policy: cross-origin (Express's helmet sends same-origin unless told crossOriginResourcePolicy: { policy: 'cross-origin' }), or load it with crossorigin and allow the page by CORS: a CORS request is not held to the policy.".to_string();
    if by_coep {
        text.push_str(" A load refused with NotSameOriginAfterDefaultedToSameOriginByCoep came from a page sent with Cross-Origin-Embedder-Policy: require-corp (cross-origin isolation, for SharedArrayBuffer), which takes an answer without Cross-Origin-Resource-Policy to be same-origin: the answer needs Cross-Origin-Resource-Policy: cross-origin (for a bucket, from CloudFront's response headers policy), or the load crossorigin and CORS, or the page Cross-Origin-Embedder-Policy: credentialless.");
    }
    text
}

/// What a recording's withheld loads mean, and what to change; `inferred`: some are no-cors
/// fetches DevTools lists as `net::ERR_ABORTED`.
pub fn withheld_loads_explained(error_status: bool, inferred: bool) -> String {
    let mut text = "Chromium's Opaque Response Blocking keeps a page from loading another site's HTML, JSON or XML through an <img>, a <script> or a no-cors fetch(), whatever CORS headers come with it: no CORS rule changes it (observed in Chromium 156).".to_string();
    if error_status {
        text.push_str(" An answer with an error status is the server's error page, and that status is the real failure (a missing key, an expired presigned URL, a login wall): fix the URL or the access, not CORS.");
    }
    text.push_str(
        " A page that needs the data itself reads it with a CORS fetch() that the server allows.",
    );
    if inferred {
        text.push_str(" A no-cors fetch() that got an answer and then net::ERR_ABORTED is taken to be ORB's doing (inferred: an aborted fetch looks the same).");
    }
    text
}
