//! Opaque Response Blocking (ORB): which answers to a cross-origin no-cors request (an `<img>`
//! or `<script>` without `crossorigin`, a `fetch()` with `mode: 'no-cors'`) Chromium withholds
//! from the page, as Chromium 156 ships it ("ORB v0.1", observed:
//! `tests/fixtures/chromium/opaque-response-blocking.observed.json`, 150 loads). It is not
//! CORS, and the Fetch standard does not have it yet (whatwg/fetch#1442), so only the Chromium
//! profile applies it.
//!
//! What Chromium does differs from the ORB proposal: the status plays no part (a 403 `text/plain`
//! answer passes), a declared `application/json` or `application/xml` is not enough (the body
//! must look like JSON or XML), and a body that looks like JSON, HTML or XML is blocked whatever
//! type it is sent as (`text/plain`, `application/octet-stream`, even `image/png`).

use crate::http::HttpResponse;

/// What ORB decided about an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orb {
    Allowed(OrbAllowed),
    Blocked(OrbBlocked),
}

/// Why ORB let an answer through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrbAllowed {
    /// A JavaScript type, `text/css` or `image/svg+xml`: what no-cors loads are for.
    SafelistedType,
    /// No `Content-Type`: nothing to go on, so ORB lets it through.
    NoContentType,
    /// The body is an image, audio or video.
    MediaBody,
    /// The body does not look like HTML, JSON or XML.
    NotData,
}

/// Why ORB withheld an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrbBlocked {
    /// A type no page may load without CORS, never sniffed (`application/pdf`, `application/zip`,
    /// `text/csv`, …).
    NeverSniffedType,
    /// `X-Content-Type-Options: nosniff` on an HTML, JSON, XML or `text/plain` type.
    Nosniff,
    /// The body looks like `kind`.
    Sniffed(DataKind),
    /// An empty body sent as HTML or JSON, to a `fetch()` (an element's load is not withheld).
    EmptyData,
}

/// What a withheld body looked like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataKind {
    Html,
    Json,
    Xml,
    /// A prefix that keeps a JSON answer from running as a script (`)]}'`, `for(;;);`, `{}&&`).
    ParserBreaker,
}

impl DataKind {
    pub fn name(self) -> &'static str {
        match self {
            DataKind::Html => "HTML",
            DataKind::Json => "JSON",
            DataKind::Xml => "XML",
            DataKind::ParserBreaker => "JSON behind a parser breaker",
        }
    }
}

/// The network error DevTools shows for an element's load ORB withheld.
pub const BLOCKED_BY_ORB: &str = "net::ERR_BLOCKED_BY_ORB";
/// The network error DevTools shows for a no-cors `fetch()` whose body ORB withheld (the promise
/// still resolves, with an empty opaque response).
pub const ABORTED: &str = "net::ERR_ABORTED";

/// ORB's verdict on `response`, for an element's load or (`for_fetch`) a no-cors `fetch()`.
pub fn decide(response: &HttpResponse, for_fetch: bool) -> Orb {
    let Some(essence) = essence(response) else {
        return Orb::Allowed(OrbAllowed::NoContentType);
    };
    if is_safelisted(&essence) {
        return Orb::Allowed(OrbAllowed::SafelistedType);
    }
    if NEVER_SNIFFED.contains(&essence.as_str()) {
        return Orb::Blocked(OrbBlocked::NeverSniffedType);
    }
    let data_type = data_kind_of_type(&essence);
    if nosniff(response) && (data_type.is_some() || essence == "text/plain") {
        return Orb::Blocked(OrbBlocked::Nosniff);
    }
    let body = match crate::http::described_body(&response.body) {
        // A body the simulation only describes is taken to be what its type says (inferred).
        Some(_) if is_media(&essence) => return Orb::Allowed(OrbAllowed::MediaBody),
        Some(_) => {
            return match data_type {
                Some(kind) => Orb::Blocked(OrbBlocked::Sniffed(kind)),
                None => Orb::Allowed(OrbAllowed::NotData),
            };
        }
        None => response.body.as_str(),
    };
    if sniffs_as_media(body) {
        return Orb::Allowed(OrbAllowed::MediaBody);
    }
    if let Some(kind) = sniff_data(body) {
        return Orb::Blocked(OrbBlocked::Sniffed(kind));
    }
    if for_fetch && body.is_empty() && matches!(data_type, Some(DataKind::Html | DataKind::Json)) {
        return Orb::Blocked(OrbBlocked::EmptyData);
    }
    Orb::Allowed(OrbAllowed::NotData)
}

/// The answer's MIME type essence, lowercased: `None` without a `Content-Type` (or an empty one).
pub fn essence(response: &HttpResponse) -> Option<String> {
    let value = crate::http::combined_header(&response.headers, "Content-Type")?;
    // Of repeated values, the last is the one a browser uses.
    let last = value.rsplit(',').next().unwrap_or(&value);
    let essence = last
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (essence.contains('/') && !essence.starts_with('/') && !essence.ends_with('/'))
        .then_some(essence)
}

/// Whether the answer says `X-Content-Type-Options: nosniff`.
pub fn nosniff(response: &HttpResponse) -> bool {
    crate::http::combined_header(&response.headers, "X-Content-Type-Options").is_some_and(|v| {
        v.split(',')
            .next()
            .is_some_and(|first| first.trim().eq_ignore_ascii_case("nosniff"))
    })
}

/// Types ORB blocks without looking at the body: those observed in Chromium 156.
const NEVER_SNIFFED: &[&str] = &[
    "application/pdf",
    "application/zip",
    "application/x-protobuf",
    "application/msword",
    "text/csv",
    "text/event-stream",
];

/// The JavaScript MIME type essences (MIME Sniffing §"JavaScript MIME type").
const JAVASCRIPT_TYPES: &[&str] = &[
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
];

/// A JavaScript MIME type essence: what a `<script>` runs under `nosniff`.
pub fn is_javascript(essence: &str) -> bool {
    JAVASCRIPT_TYPES.contains(&essence)
}

fn is_safelisted(essence: &str) -> bool {
    JAVASCRIPT_TYPES.contains(&essence) || essence == "text/css" || essence == "image/svg+xml"
}

/// An image, audio or video type.
pub fn is_media(essence: &str) -> bool {
    ["image/", "audio/", "video/"]
        .iter()
        .any(|prefix| essence.starts_with(prefix))
}

/// HTML, JSON (`*/json`, `*/*+json`) or XML (`*/xml`, `*/*+xml`) by type.
fn data_kind_of_type(essence: &str) -> Option<DataKind> {
    let subtype = essence.split_once('/').map_or("", |(_, s)| s);
    if essence == "text/html" {
        Some(DataKind::Html)
    } else if subtype == "json" || subtype.ends_with("+json") {
        Some(DataKind::Json)
    } else if subtype == "xml" || subtype.ends_with("+xml") {
        Some(DataKind::Xml)
    } else {
        None
    }
}

/// The image signatures of MIME Sniffing §"image type pattern matching" that a text body can
/// hold (a scenario's body is text: a PNG or JPEG signature is not valid UTF-8).
fn sniffs_as_media(body: &str) -> bool {
    body.starts_with("GIF87a")
        || body.starts_with("GIF89a")
        || (body.starts_with("RIFF") && body.get(8..12) == Some("WEBP"))
        || body.starts_with("BM")
}

/// What the start of `body` looks like, as Chromium's sniffers read it: HTML by a known opening
/// tag, XML by its declaration, JSON by an object's first key, or a parser breaker.
fn sniff_data(body: &str) -> Option<DataKind> {
    let text = body.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    for breaker in [")]}'", "{}&&", "for(;;);"] {
        if text.starts_with(breaker) {
            return Some(DataKind::ParserBreaker);
        }
    }
    if starts_with_ignore_case(text, "<?xml") {
        return Some(DataKind::Xml);
    }
    if html_tag_opens(text) {
        return Some(DataKind::Html);
    }
    json_object_opens(text).then_some(DataKind::Json)
}

/// The HTML signatures of MIME Sniffing §"rules for identifying an unknown MIME type": one of
/// these tags, then a space or `>`. (A leading comment is not skipped: `<!-- … --><p>` passed
/// in Chromium 156.)
fn html_tag_opens(text: &str) -> bool {
    const TAGS: &[&str] = &[
        "<!doctype html",
        "<html",
        "<head",
        "<script",
        "<iframe",
        "<h1",
        "<div",
        "<font",
        "<table",
        "<a",
        "<style",
        "<title",
        "<b",
        "<body",
        "<br",
        "<p",
    ];
    TAGS.iter().any(|tag| {
        starts_with_ignore_case(text, tag)
            && matches!(text.as_bytes().get(tag.len()), Some(b' ' | b'>'))
    })
}

/// `{`, then a string, then `:`: an object's first key (an array, a string or a number could
/// be a script, and passed in Chromium 156).
fn json_object_opens(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    let Some(rest) = rest.strip_prefix('"') else {
        return false;
    };
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return rest[i + 1..].trim_start().starts_with(':'),
            _ => {}
        }
    }
    false
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(content_type: Option<&str>, nosniff: bool, body: &str) -> HttpResponse {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = content_type {
            headers.push(("Content-Type", t));
        }
        if nosniff {
            headers.push(("X-Content-Type-Options", "nosniff"));
        }
        let mut response = crate::http::test_response(200, &headers);
        response.body = body.to_string();
        response
    }

    #[test]
    fn an_s3_error_is_withheld_as_xml_whatever_its_status() {
        let xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code></Error>";
        let mut response = answer(Some("application/xml"), false, xml);
        response.status = 403;
        assert_eq!(
            decide(&response, false),
            Orb::Blocked(OrbBlocked::Sniffed(DataKind::Xml))
        );
        // Without its declaration, the same body passes, even sent as application/xml.
        let bare = answer(Some("application/xml"), false, "<Error></Error>");
        assert_eq!(decide(&bare, false), Orb::Allowed(OrbAllowed::NotData));
    }

    #[test]
    fn json_is_recognised_by_an_objects_first_key() {
        for body in ["{\"a\":1}", "  \n {\"a\" : 1}", "{\"say \\\"hi\\\"\": 2}"] {
            assert_eq!(
                decide(&answer(Some("text/plain"), false, body), false),
                Orb::Blocked(OrbBlocked::Sniffed(DataKind::Json)),
                "{body}"
            );
        }
        for body in ["[1,2,3]", "\"just a string\"", "42", "{}", "{ a: 1 }"] {
            assert_eq!(
                decide(&answer(Some("application/json"), false, body), false),
                Orb::Allowed(OrbAllowed::NotData),
                "{body}"
            );
        }
    }

    #[test]
    fn types_decide_before_the_body() {
        let json = "{\"a\":1}";
        assert_eq!(
            decide(&answer(Some("text/javascript"), false, json), false),
            Orb::Allowed(OrbAllowed::SafelistedType)
        );
        assert_eq!(
            decide(&answer(None, false, json), false),
            Orb::Allowed(OrbAllowed::NoContentType)
        );
        assert_eq!(
            decide(&answer(Some("application/pdf"), false, "hello"), false),
            Orb::Blocked(OrbBlocked::NeverSniffedType)
        );
        assert_eq!(
            decide(&answer(Some("text/plain"), true, "hello"), false),
            Orb::Blocked(OrbBlocked::Nosniff)
        );
        assert_eq!(
            decide(&answer(Some("image/png"), true, "GIF89a"), false),
            Orb::Allowed(OrbAllowed::MediaBody)
        );
    }

    #[test]
    fn a_described_body_is_taken_to_be_what_its_type_says() {
        let described = |t: &str| answer(Some(t), false, &crate::http::describe_body(2048, t));
        assert_eq!(
            decide(&described("image/png"), false),
            Orb::Allowed(OrbAllowed::MediaBody)
        );
        assert_eq!(
            decide(&described("application/json"), false),
            Orb::Blocked(OrbBlocked::Sniffed(DataKind::Json))
        );
        assert_eq!(
            decide(&described("binary/octet-stream"), false),
            Orb::Allowed(OrbAllowed::NotData)
        );
    }

    #[test]
    fn an_empty_json_or_html_body_is_withheld_only_from_fetch() {
        let empty = answer(Some("application/json"), false, "");
        assert_eq!(decide(&empty, true), Orb::Blocked(OrbBlocked::EmptyData));
        assert_eq!(decide(&empty, false), Orb::Allowed(OrbAllowed::NotData));
    }

    #[test]
    fn html_needs_a_known_tag_and_a_comment_first_passes() {
        let html = |body: &str| decide(&answer(Some("text/plain"), false, body), false);
        assert_eq!(
            html("<p>hello</p>"),
            Orb::Blocked(OrbBlocked::Sniffed(DataKind::Html))
        );
        assert_eq!(
            html("<!DOCTYPE HTML>"),
            Orb::Blocked(OrbBlocked::Sniffed(DataKind::Html))
        );
        assert_eq!(
            html("<!-- hi --><p>x</p>"),
            Orb::Allowed(OrbAllowed::NotData)
        );
        assert_eq!(html("<pre>x</pre>"), Orb::Allowed(OrbAllowed::NotData));
    }
}
