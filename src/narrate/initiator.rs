//! What the page asked with — fetch(), XMLHttpRequest or an element — in words: how the
//! request starts, and what the page sees when the browser blocks it or lets it through. Each
//! element's behaviour was observed in headless Chromium 148
//! (`tests/fixtures/chromium/destinations.observed.json`).

use crate::engine::RequestRecord;
use crate::scenario::{Credentials, Initiator};

/// The page's call or markup that starts the request, as one sentence.
pub fn calls(record: &RequestRecord, url: &str, method: &str) -> String {
    let page = record.origin.as_deref().unwrap_or("null");
    match record.initiator {
        Initiator::Fetch => {
            format!("The page at {page} calls fetch('{url}', {{method: '{method}'}}).")
        }
        Initiator::Xhr => format!(
            "The page at {page} sends an XMLHttpRequest: open('{method}', '{url}'), withCredentials = {}.",
            record.credentials == Credentials::Include
        ),
        Initiator::Img => format!(
            "The page at {page} shows <img src=\"{url}\" crossorigin=\"{}\">: the attribute makes the image a CORS request.",
            crossorigin(record.credentials)
        ),
        Initiator::Script => format!(
            "The page at {page} loads <script src=\"{url}\" crossorigin=\"{}\">: the attribute makes the script a CORS request.",
            crossorigin(record.credentials)
        ),
        Initiator::Font => format!(
            "The page at {page} uses a font from {url} in @font-face: fonts are always fetched as CORS requests, with credentials 'same-origin' (observed in Chromium 148)."
        ),
    }
}

fn crossorigin(credentials: Credentials) -> &'static str {
    match credentials {
        Credentials::Include => "use-credentials",
        _ => "anonymous",
    }
}

/// The credentials sentence after [`calls`]: what the mode means for cookies and for `*`.
pub fn credentials(record: &RequestRecord) -> &'static str {
    match (record.initiator, record.credentials) {
        (Initiator::Xhr, Credentials::Include) => {
            " withCredentials = true is credentials mode 'include': the browser attaches cookies, so the server must echo the exact origin and send Access-Control-Allow-Credentials: true; * is not enough."
        }
        (Initiator::Xhr, _) => {
            " withCredentials = false (its default) is credentials mode 'same-origin': no cookies go to another origin, and * is acceptable."
        }
        (Initiator::Img | Initiator::Script, Credentials::Include) => {
            " crossorigin=\"use-credentials\" is credentials mode 'include': cookies go along, so the server must echo the exact origin and send Access-Control-Allow-Credentials: true; * is not enough."
        }
        (Initiator::Img | Initiator::Script, _) => {
            " crossorigin=\"anonymous\" is credentials mode 'same-origin': no cookies go to another origin, and * is acceptable."
        }
        (Initiator::Font, _) => " No cookies go to another origin, and * is acceptable.",
        (Initiator::Fetch, Credentials::Include) => {
            " With credentials: 'include' the browser attaches cookies, so the server must echo the exact origin and send Access-Control-Allow-Credentials: true; * is not enough."
        }
        (Initiator::Fetch, Credentials::SameOrigin) => {
            " Credentials mode 'same-origin' (fetch's default): no cookies go to another origin, and * is acceptable."
        }
        (Initiator::Fetch, Credentials::Omit) => {
            " Credentials mode 'omit': no cookies, and * is acceptable."
        }
    }
}

/// The execution table's action for the page's own request.
pub fn action(initiator: Initiator, method: &str, path: &str) -> String {
    match initiator {
        Initiator::Fetch => format!("Page calls fetch(): {method} {path}"),
        Initiator::Xhr => format!("Page sends an XMLHttpRequest: {method} {path}"),
        Initiator::Img => format!("The page's <img crossorigin> asks for {method} {path}"),
        Initiator::Script => format!("The page's <script crossorigin> asks for {method} {path}"),
        Initiator::Font => format!("The page's @font-face asks for {method} {path}"),
    }
}

/// The error a blocked fetch() rejects with: Chromium's, or Firefox's (observed in Firefox 153,
/// `tests/fixtures/firefox/api.truth.json`).
/// Firefox's message ends with a period, left out here so that it can stand in a sentence.
pub fn type_error(firefox: bool) -> &'static str {
    if firefox {
        "TypeError: NetworkError when attempting to fetch resource"
    } else {
        "TypeError: Failed to fetch"
    }
}

/// What the page sees when the browser blocks `record`.
pub fn fails_for(record: &crate::engine::RequestRecord) -> String {
    match record.initiator {
        Initiator::Fetch => format!(
            "the fetch rejects with {}",
            type_error(record.recorded_by_firefox())
        ),
        other => fails(other).to_string(),
    }
}

/// The table's result cell for blocked `record`.
pub fn blocked_result_for(record: &crate::engine::RequestRecord) -> String {
    match record.initiator {
        Initiator::Fetch => format!(
            "Blocked: script gets {}",
            type_error(record.recorded_by_firefox())
        ),
        other => blocked_result(other).to_string(),
    }
}

/// What the page sees when the browser blocks the request.
pub fn fails(initiator: Initiator) -> &'static str {
    match initiator {
        Initiator::Fetch => "the fetch rejects with TypeError: Failed to fetch",
        Initiator::Xhr => "the XMLHttpRequest fails: its error event fires, with status 0",
        Initiator::Img => "the image does not load: its error event fires",
        Initiator::Script => "the script does not run: its error event fires",
        Initiator::Font => "the font does not load: the text falls back to the next font",
    }
}

/// [`fails`] as the start of a sentence.
pub fn fails_sentence(initiator: Initiator) -> String {
    capitalized(fails(initiator))
}

/// [`fails_for`] as the start of a sentence.
pub fn fails_sentence_for(record: &crate::engine::RequestRecord) -> String {
    capitalized(&fails_for(record))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The table's result cell for a blocked request.
pub fn blocked_result(initiator: Initiator) -> &'static str {
    match initiator {
        Initiator::Fetch => "Blocked: script gets TypeError: Failed to fetch",
        Initiator::Xhr => "Blocked: the XHR's error event fires (status 0)",
        Initiator::Img => "Blocked: the image does not load",
        Initiator::Script => "Blocked: the script does not run",
        Initiator::Font => "Blocked: the font does not load",
    }
}

/// The table's result cell for an allowed request.
pub fn allowed_result(
    initiator: Initiator,
    status: u16,
    outcome: Option<crate::engine::fetch_rules::ElementOutcome>,
) -> String {
    use crate::engine::fetch_rules::ElementOutcome;
    let loads = match outcome {
        Some(outcome) => outcome == ElementOutcome::Loads,
        None => crate::engine::fetch_rules::element_loads(initiator, status),
    };
    if !loads {
        let element = match initiator {
            Initiator::Script => "the script does not run",
            Initiator::Font => "the font does not load",
            _ => "the image does not load",
        };
        let why = match (outcome, initiator) {
            (Some(ElementOutcome::WrongType), Initiator::Script) => "its type".to_string(),
            (Some(ElementOutcome::WrongType), _) => "no image in the answer".to_string(),
            _ => format!("status {status}"),
        };
        return format!("Allowed by CORS, but {element}: {why}");
    }
    match initiator {
        Initiator::Fetch | Initiator::Xhr => format!("Allowed: script reads the {status} response"),
        Initiator::Img => {
            "Allowed: the image loads; a canvas it is drawn on stays readable".to_string()
        }
        Initiator::Script => {
            "Allowed: the script runs; its errors reach window.onerror in full".to_string()
        }
        Initiator::Font => "Allowed: the font is used".to_string(),
    }
}

/// Why an element does not load an answer with `status`, CORS aside; `None` when it loads
/// (`fetch_rules::element_loads`).
pub fn not_loaded(initiator: Initiator, status: u16) -> Option<String> {
    if crate::engine::fetch_rules::element_loads(initiator, status) {
        return None;
    }
    let needs = match initiator {
        Initiator::Fetch | Initiator::Xhr => return None,
        Initiator::Img => "an image needs a 2xx answer",
        Initiator::Font => "a font needs a 2xx answer",
        Initiator::Script => "a script needs an answer below 400",
    };
    Some(format!(
        "But {}, whatever CORS says: {needs}, and this one is {status} (observed in Chromium 156). Fix the status, not the CORS headers.",
        fails(initiator)
    ))
}

/// What an allowed element gives the page beyond "the response is shared".
pub fn allowed_note(initiator: Initiator) -> &'static str {
    match initiator {
        Initiator::Fetch | Initiator::Xhr => "",
        Initiator::Img => {
            " The image loads as a CORS-same-origin image: drawn on a canvas, it leaves the canvas readable (getImageData and toDataURL work; observed in Chromium 148)."
        }
        Initiator::Script => {
            " The script runs, and an error it throws reaches the page's window.onerror with its message, file and line, not as 'Script error.'."
        }
        Initiator::Font => " The font is used.",
    }
}
