//! Browser network recordings (HAR 1.2 as Chrome, Edge, Firefox and Safari write it), turned into a
//! scenario whose server answers exactly what was recorded.
//!
//! Our own lenient serde structs: the `har` crate drops Chrome's `_resourceType`, `_initiator`
//! and `_error`, which identify preflights and failed requests.

use std::borrow::Cow;

use serde::Deserialize;
use url::Url;

mod plan;

use plan::{Key, Planned, url_origin};

use crate::engine::corp::CorpPolicy;
use crate::engine::cors_error::LOCAL_NETWORK_ACCESS_CHECKS;
use crate::engine::fetch_rules::{is_safelisted_method, unsafe_request_headers};
use crate::http::syntax::{
    is_forbidden_method, is_forbidden_request_header, is_token, is_valid_header_value,
    normalize_method,
};
use crate::scenario::recording::{Recorded, Recording, Skipped, WithheldLoad};
use crate::scenario::{
    BrowserProfile, CannedResponse, Credentials, ExchangeKind, LoadError, LoadErrors, Recorder,
    RequestSpec, ResponseOverrides, Scenario, Server, ServerKind, Shared, TextPool, Via,
    serde_error,
};

// Nothing kept borrows from the file, so that a large one can be let go of as it is read. A
// recording of 100,000 exchanges is millions of header names and values, most of them repeated:
// each is kept as a pooled copy, held once. URLs and times, which rarely repeat, are not pooled
// (a URL is shared with its entry's planning key rather than copied).
//
// The parse and the keeping run side by side: the parse reads each entry with its strings
// borrowed from the bytes and hands the entries on a batch at a time; on another core, the
// keeper pools their strings, sorts them and reads their planning keys.

/// A string of the recording as the parse read it: borrowed from the bytes, unless it held an
/// escape.
#[derive(Debug, Default)]
struct Read<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Read<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ReadVisitor;
        impl<'de> serde::de::Visitor<'de> for ReadVisitor {
            type Value = Read<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                text: &'de str,
            ) -> Result<Read<'de>, E> {
                Ok(Read(Cow::Borrowed(text)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Read<'de>, E> {
                Ok(Read(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Read<'de>, E> {
                Ok(Read(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(ReadVisitor)
    }
}

/// A string of the recording as kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Text(Option<Shared>);

impl Text {
    fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }

    fn shared(&self) -> Shared {
        self.0.clone().unwrap_or_else(|| Shared::from(""))
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Entries the parse hands on at a time.
const BATCH: usize = 256;

/// Entries as the parse read them, handed on together.
type Batch<'a> = Vec<Entry<Read<'a>>>;

/// The recording's `log` beside its entries.
#[derive(Default)]
struct Log {
    creator: Creator,
    pages: Vec<Page>,
}

/// Reads a recording, handing its entries to `keep` a batch at a time as they are read, so that
/// they are never all held as read; `keep` says false when it can take no more.
fn read_har<'a>(
    bytes: &'a [u8],
    keep: &mut dyn FnMut(Batch<'a>) -> bool,
) -> Result<Log, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let log = serde::de::DeserializeSeed::deserialize(ReadHar { keep }, &mut deserializer)?;
    deserializer.end()?;
    Ok(log)
}

/// The top level of a recording: `{"log": …}`.
struct ReadHar<'k, 'a> {
    keep: &'k mut dyn FnMut(Batch<'a>) -> bool,
}

/// The `log` object: `creator`, `pages` and `entries`, each optional.
struct ReadLog<'k, 'a> {
    keep: &'k mut dyn FnMut(Batch<'a>) -> bool,
}

/// The `entries` array.
struct ReadEntries<'k, 'a> {
    keep: &'k mut dyn FnMut(Batch<'a>) -> bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for ReadHar<'_, 'de> {
    type Value = Log;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Log, D::Error> {
        deserializer.deserialize_struct("Har", &["log"], self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReadHar<'_, 'de> {
    type Value = Log;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR object with a log")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Log, M::Error> {
        let mut log = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "log" {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else if log.is_some() {
                return Err(serde::de::Error::duplicate_field("log"));
            } else {
                log = Some(map.next_value_seed(ReadLog {
                    keep: &mut *self.keep,
                })?);
            }
        }
        log.ok_or_else(|| serde::de::Error::missing_field("log"))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ReadLog<'_, 'de> {
    type Value = Log;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Log, D::Error> {
        deserializer.deserialize_struct("Log", &["creator", "pages", "entries"], self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReadLog<'_, 'de> {
    type Value = Log;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR log")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Log, M::Error> {
        let (mut creator, mut pages, mut entries) = (None, None, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "creator" if creator.is_some() => {
                    return Err(serde::de::Error::duplicate_field("creator"));
                }
                "creator" => creator = Some(map.next_value()?),
                "pages" if pages.is_some() => {
                    return Err(serde::de::Error::duplicate_field("pages"));
                }
                "pages" => pages = Some(map.next_value()?),
                "entries" if entries => return Err(serde::de::Error::duplicate_field("entries")),
                "entries" => {
                    map.next_value_seed(ReadEntries {
                        keep: &mut *self.keep,
                    })?;
                    entries = true;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Log {
            creator: creator.unwrap_or_default(),
            pages: pages.unwrap_or_default(),
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ReadEntries<'_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReadEntries<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of entries")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(entry) = seq.next_element()? {
            batch.push(entry);
            if batch.len() == BATCH
                && !(self.keep)(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
            {
                return Err(serde::de::Error::custom("the entries could not be kept"));
            }
        }
        if !batch.is_empty() && !(self.keep)(batch) {
            return Err(serde::de::Error::custom("the entries could not be kept"));
        }
        Ok(())
    }
}

/// Why an entry without an Origin header is not replayed.
const NO_ORIGIN: &str = "no Origin header: a navigation, a no-cors load or a same-origin GET";

/// Keeps the entries as they are read: pooled copies of their strings; an entry with no `Origin`
/// (a navigation, an image…) only as a line for `--all`, so a large recording's page loads
/// never sit in memory.
struct Keeper<'r> {
    texts: TextPool,
    /// The entries that may be CORS exchanges, and what planning reads of each.
    kept: Vec<Entry>,
    keys: Vec<Key>,
    /// The others, with their positions.
    skipped: Vec<(usize, Skipped)>,
    /// Entries in the file.
    total: usize,
    release: Option<Release<'r>>,
}

/// A mapped recording's bytes, let go of behind the keeping every [`RELEASE_EVERY`] bytes.
struct Release<'r> {
    /// Where the bytes start, as an address.
    start: usize,
    len: usize,
    /// The offset last let go of.
    told: usize,
    release: &'r (dyn Fn(usize) + Sync),
}

const RELEASE_EVERY: usize = 16 << 20;

impl<'r> Keeper<'r> {
    fn new(bytes: &[u8], release: Option<&'r (dyn Fn(usize) + Sync)>) -> Self {
        Keeper {
            texts: TextPool::default(),
            kept: Vec::new(),
            keys: Vec::new(),
            skipped: Vec::new(),
            total: 0,
            release: release.map(|release| Release {
                start: bytes.as_ptr() as usize,
                len: bytes.len(),
                told: 0,
                release,
            }),
        }
    }

    /// `text` was read in place: what lies before its end is let go of, every so often.
    fn read_past(&mut self, text: &str) {
        if let Some(release) = &mut self.release {
            let end = (text.as_ptr() as usize)
                .wrapping_sub(release.start)
                .saturating_add(text.len());
            if end <= release.len && end >= release.told + RELEASE_EVERY {
                release.told = end;
                (release.release)(end);
            }
        }
    }

    /// The pool's copy of `read`.
    fn pooled(&mut self, read: Read) -> Text {
        self.read_past(&read.0);
        Text(Some(self.texts.text(&read.0)))
    }

    /// A copy of `read` of its own, for a string that seldom repeats.
    fn owned(&mut self, read: Read) -> Text {
        self.read_past(&read.0);
        Text(Some(Shared::from(&*read.0)))
    }

    fn headers(&mut self, headers: Vec<Header<Read>>) -> Vec<Header> {
        // A new list of the exact size: `collect` would reuse the read list's larger block.
        let mut kept = Vec::with_capacity(headers.len());
        kept.extend(headers.into_iter().map(|h| Header {
            name: self.pooled(h.name),
            value: self.pooled(h.value),
        }));
        kept
    }

    fn keep(&mut self, batch: Batch) {
        for entry in batch {
            let entry = self.entry(entry);
            self.sort(entry);
        }
    }

    /// The entry with its strings kept.
    fn entry(&mut self, entry: Entry<Read>) -> Entry {
        Entry {
            started: self.owned(entry.started),
            request: Request {
                method: self.pooled(entry.request.method),
                url: self.owned(entry.request.url),
                headers: self.headers(entry.request.headers),
                cookies: entry.request.cookies,
            },
            response: Response {
                status: entry.response.status,
                headers: self.headers(entry.response.headers),
                redirect_url: self.owned(entry.response.redirect_url),
                error: entry.response.error.map(|e| self.pooled(e)),
            },
            resource_type: entry.resource_type.map(|t| self.pooled(t)),
            initiator: entry.initiator.map(|i| Initiator {
                kind: self.pooled(i.kind),
            }),
            from_cache: entry.from_cache.map(|c| self.pooled(c)),
            pageref: entry.pageref.map(|p| self.pooled(p)),
        }
    }

    /// Sorts the next entry of the file.
    fn sort(&mut self, entry: Entry) {
        let position = self.total;
        self.total += 1;
        // A redirect without Origin may be a same-origin request sent away; a script's request
        // with only provisional headers may be a cross-origin one that got no answer, or one
        // the HTTP cache answered.
        if header(&entry.request.headers, "Origin").is_none()
            && !is_preflight(&entry)
            && !is_redirect(&entry)
            && !is_provisional(&entry)
        {
            self.skipped.push((position, skip(&entry, NO_ORIGIN)));
        } else {
            let index = self.kept.len();
            self.keys
                .push(Key::of(&entry, index, position, &mut self.texts));
            self.kept.push(entry);
        }
    }
}

fn skip(entry: &Entry, reason: &str) -> Skipped {
    let withheld = withheld_load(entry);
    Skipped {
        method: entry.request.method.to_string(),
        url: entry.request.url.to_string(),
        reason: match &withheld {
            Some(load) if load.error == crate::engine::corp::FIREFOX_CORP_FAILED => {
                NO_ORIGIN_CORP_FIREFOX
            }
            Some(load) if load.by_resource_policy() => NO_ORIGIN_CORP,
            Some(load) if load.inferred => NO_ORIGIN_ABORTED,
            Some(_) => NO_ORIGIN_ORB,
            None => reason,
        }
        .to_string(),
        withheld,
    }
}

/// Why a no-cors load ORB withheld is not replayed.
const NO_ORIGIN_ORB: &str = "no Origin header: a no-cors load, whose answer Chromium's Opaque Response Blocking withheld (net::ERR_BLOCKED_BY_ORB): not CORS";
const NO_ORIGIN_ABORTED: &str = "no Origin header: a no-cors fetch() that got an answer and then net::ERR_ABORTED, as DevTools records an answer Opaque Response Blocking withheld (inferred): not CORS";

const NO_ORIGIN_CORP: &str = "no Origin header: a no-cors load its answer's Cross-Origin-Resource-Policy refused (net::ERR_BLOCKED_BY_RESPONSE): not CORS";
const NO_ORIGIN_CORP_FIREFOX: &str = "no Origin header: a no-cors load its answer's Cross-Origin-Resource-Policy refuses to the page that made it, which Firefox refuses without recording why (inferred from the header): not CORS";

/// A no-cors load whose answer Chromium's Opaque Response Blocking withheld or its own
/// Cross-Origin-Resource-Policy refused, as DevTools records it (observed in Chromium 156,
/// `tests/fixtures/chromium/elements.har`): the entry keeps its status and headers and says
/// `net::ERR_BLOCKED_BY_ORB` or `net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin` (`.NotSameSite`);
/// a no-cors fetch() ORB withheld says `net::ERR_ABORTED` after an answer, its headers gone.
fn withheld_load(entry: &Entry) -> Option<Box<WithheldLoad>> {
    let Some(error) = entry.response.error.as_deref() else {
        return refused_without_a_word(entry);
    };
    let status = u16::try_from(entry.response.status)
        .ok()
        .filter(|s| *s > 0)?;
    let inferred = match error {
        crate::engine::orb::BLOCKED_BY_ORB => false,
        crate::engine::orb::ABORTED if entry.resource_type.as_deref() == Some("fetch") => true,
        _ if CorpPolicy::of_network_error(error).is_some() => false,
        _ => return None,
    };
    Some(Box::new(WithheldLoad {
        error: error.to_string(),
        status,
        content_type: header(&entry.response.headers, "Content-Type").map(str::to_string),
        resource_type: entry.resource_type.as_deref().map(str::to_string),
        inferred,
        resource_policy: header(&entry.response.headers, "Cross-Origin-Resource-Policy")
            .filter(|_| CorpPolicy::of_network_error(error).is_some())
            .map(str::to_string),
    }))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Creator {
    name: String,
}

/// A page of the recording: Chrome's `title` is the page's URL.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Page {
    id: String,
    title: String,
}

// An entry and its parts hold their strings as `S`: as read ([`Read`]), then as kept ([`Text`]).

#[derive(Debug, Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default"))]
struct Header<S = Text> {
    name: S,
    value: S,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default"))]
struct Initiator<S = Text> {
    #[serde(rename = "type")]
    kind: S,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default"))]
struct Request<S = Text> {
    method: S,
    /// Shared with the entry's planning key rather than copied.
    url: S,
    headers: Vec<Header<S>>,
    /// Only whether there were any matters.
    cookies: Vec<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default"))]
struct Response<S = Text> {
    status: i64,
    headers: Vec<Header<S>>,
    #[serde(rename = "redirectURL")]
    redirect_url: S,
    #[serde(rename = "_error")]
    error: Option<S>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, bound(deserialize = "S: Deserialize<'de> + Default"))]
struct Entry<S = Text> {
    #[serde(rename = "startedDateTime")]
    started: S,
    request: Request<S>,
    response: Response<S>,
    #[serde(rename = "_resourceType")]
    resource_type: Option<S>,
    #[serde(rename = "_initiator")]
    initiator: Option<Initiator<S>>,
    #[serde(rename = "_fromCache")]
    from_cache: Option<S>,
    pageref: Option<S>,
}

/// A no-cors load whose answer's `Cross-Origin-Resource-Policy` refuses the page that made it
/// (its `Referer`'s origin), in an export that records no error: Firefox refuses it
/// (`NS_ERROR_DOM_CORP_FAILED`, and a console line) and writes the entry as if it had loaded
/// (observed in Firefox 153, `tests/fixtures/firefox/elements.har`). Firefox takes two ports of
/// one address to be one site, as the Fetch standard does. Kept only when Firefox wrote the
/// file (see [`load_har_bytes`]): any other writer records the error.
fn refused_without_a_word(entry: &Entry) -> Option<Box<WithheldLoad>> {
    use crate::scenario::{BrowserProfile, EmbedderPolicy};
    if entry.resource_type.is_some() {
        return None;
    }
    let status = u16::try_from(entry.response.status)
        .ok()
        .filter(|s| *s > 0)?;
    let policy = header(&entry.response.headers, "Cross-Origin-Resource-Policy")?;
    let page = header(&entry.request.headers, "Referer").and_then(url_origin)?;
    let url = Url::parse(&entry.request.url).ok()?;
    let answer = crate::server::canned(&CannedResponse {
        status,
        headers: crate::http::Headers::from_iter([(
            crate::http::Shared::from("Cross-Origin-Resource-Policy"),
            crate::http::Shared::from(policy),
        )]),
        body: String::new(),
        network_error: None,
    });
    crate::engine::corp::refuses(
        &page,
        &url,
        &answer,
        (BrowserProfile::Standard, EmbedderPolicy::UnsafeNone),
    )?;
    Some(Box::new(WithheldLoad {
        error: crate::engine::corp::FIREFOX_CORP_FAILED.to_string(),
        status,
        content_type: header(&entry.response.headers, "Content-Type").map(str::to_string),
        // Firefox names what asked for it only in the request's Sec-Fetch-Dest.
        resource_type: header(&entry.request.headers, "Sec-Fetch-Dest").map(|dest| {
            match dest {
                "empty" => "fetch",
                other => other,
            }
            .to_string()
        }),
        inferred: true,
        resource_policy: Some(policy.to_string()),
    }))
}

/// Which browser's exporter wrote the file, where it changes how a failure is recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HarWriter {
    /// Safari's Web Inspector (`creator.name` "WebKit Web Inspector").
    WebKit,
    /// Firefox's Network panel: no error field; an answer CORS refused keeps its status.
    Firefox,
    /// Chrome and Edge (told apart per entry by `_resourceType`), and any other writer.
    Other,
}

impl HarWriter {
    /// The browser, as the notes name it.
    fn browser(self) -> &'static str {
        self.recording_browser().name()
    }

    fn recording_browser(self) -> crate::scenario::RecordingBrowser {
        use crate::scenario::RecordingBrowser;
        match self {
            HarWriter::WebKit => RecordingBrowser::Safari,
            HarWriter::Firefox => RecordingBrowser::Firefox,
            HarWriter::Other => RecordingBrowser::Chromium,
        }
    }

    fn of(creator: &Creator) -> HarWriter {
        if creator.name.contains("WebKit") {
            HarWriter::WebKit
        } else if creator.name == "Firefox" {
            HarWriter::Firefox
        } else {
            HarWriter::Other
        }
    }
}

/// A recording turned into a scenario.
#[derive(Clone, Debug)]
pub struct HarImport {
    pub scenario: Scenario,
    pub recording: Recording,
}

/// The fields a replay reads (method, URL, headers, status, times), borrowed from the text where
/// they hold no escapes, with nothing set aside: the benchmark's baseline.
#[derive(Deserialize)]
struct BareHar<'a> {
    #[serde(borrow)]
    log: BareLog<'a>,
}

#[derive(Deserialize)]
struct BareLog<'a> {
    #[serde(default, borrow)]
    entries: Vec<BareEntry<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // Read to be parsed, never looked at.
struct BareEntry<'a> {
    #[serde(rename = "startedDateTime", borrow)]
    started: Cow<'a, str>,
    #[serde(borrow)]
    request: BareRequest<'a>,
    #[serde(borrow)]
    response: BareResponse<'a>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BareRequest<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow)]
    headers: Vec<BareHeader<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BareResponse<'a> {
    status: i64,
    #[serde(borrow)]
    headers: Vec<BareHeader<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BareHeader<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

/// Parses the file into the entries and does nothing else: the baseline the benchmark compares
/// a whole replay with.
pub fn parse_only(text: &str) -> Result<usize, serde_json::Error> {
    serde_json::from_str::<BareHar>(text).map(|har| har.log.entries.len())
}

/// Whether `text` looks like a HAR file: a JSON object whose first key is `log`.
pub fn is_har(text: &str) -> bool {
    is_har_bytes(text.as_bytes())
}

/// [`is_har`] of a file's bytes, which need not be UTF-8 beyond the first key.
pub fn is_har_bytes(bytes: &[u8]) -> bool {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut body = bytes;
    loop {
        let before = body.len();
        body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
        while body.first().is_some_and(blank) {
            body = &body[1..];
        }
        if body.len() == before {
            break;
        }
    }
    let Some(mut rest) = body.strip_prefix(b"{") else {
        return false;
    };
    while rest.first().is_some_and(blank) {
        rest = &rest[1..];
    }
    rest.starts_with(b"\"log\"")
}

/// The first header named `name` (case-insensitive).
fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a Header> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
}

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    find_header(headers, name).map(|h| h.value.as_ref())
}

/// An answer the browser follows: a redirect status and where it leads.
fn is_redirect(entry: &Entry) -> bool {
    matches!(entry.response.status, 301 | 302 | 303 | 307 | 308)
        && !entry.response.redirect_url.is_empty()
}

/// What in the page sent an entry, by Chrome's `_resourceType`: its console line names it
/// ("Access to image at …"). Without one (Firefox, Safari), by the request's `Sec-Fetch-Dest`,
/// which names an element but not fetch() from XMLHttpRequest: both are taken as fetch().
fn initiator_of(entry: &Entry) -> crate::scenario::Initiator {
    use crate::scenario::Initiator;
    match entry.resource_type.as_deref() {
        Some("xhr") => Initiator::Xhr,
        Some("image") => Initiator::Img,
        Some("script") => Initiator::Script,
        Some("font") => Initiator::Font,
        Some(_) => Initiator::Fetch,
        None => match header(&entry.request.headers, "Sec-Fetch-Dest") {
            Some("image") => Initiator::Img,
            Some("script") => Initiator::Script,
            Some("font") => Initiator::Font,
            _ => Initiator::Fetch,
        },
    }
}

/// A script's request (`fetch`, XHR) for which Chrome recorded only the provisional headers,
/// with no `Origin`: one it never sent, or never got an answer to (status 0, with `_error`),
/// or one its HTTP cache answered (`_fromCache`).
fn is_provisional(entry: &Entry) -> bool {
    matches!(entry.resource_type.as_deref(), Some("fetch" | "xhr"))
        && header(&entry.request.headers, "Origin").is_none()
        && ((entry.response.status == 0 && entry.response.error.is_some())
            || entry.from_cache.is_some())
}

/// The answer the browser recorded; for a request that got none, the network error instead.
fn canned(entry: &Entry, writer: HarWriter, texts: &mut TextPool) -> CannedResponse {
    match no_answer(entry, writer) {
        Some(code) => CannedResponse {
            status: 0,
            headers: crate::http::Headers::new(),
            body: String::new(),
            network_error: Some(code.to_string()),
        },
        None => CannedResponse {
            status: u16::try_from(entry.response.status).unwrap_or(0),
            headers: response_headers(&entry.response.headers, texts).into(),
            body: String::new(),
            network_error: None,
        },
    }
}

fn has_cookies(entry: &Entry) -> bool {
    !entry.request.cookies.is_empty() || header(&entry.request.headers, "Cookie").is_some()
}

/// Why only credentials mode 'include' explains a block the browser recorded: the answer it
/// refused (or the preflight of a request it never sent) passes every check without
/// credentials and fails one with them. `None` when something else explains the block.
fn blocked_only_with_credentials(
    blocked: Option<bool>,
    network_error: Option<&str>,
    last: Option<&Entry>,
    last_preflight: Option<&Entry>,
    method: &str,
    headers: &[crate::scenario::Header],
    page_origin: &str,
) -> Option<&'static str> {
    use crate::engine::fetch_rules::cors_check;
    use crate::engine::preflight_check::{PreflightInput, check_preflight};
    if blocked != Some(true) {
        return None;
    }
    let last = last?;
    // Both answers below arrived, so any writer reads them alike.
    // The Origin the browser sent there: `null` after a cross-origin redirect.
    let sent_origin = |entry: &Entry| {
        header(&entry.request.headers, "Origin")
            .unwrap_or(page_origin)
            .to_string()
    };
    match network_error {
        None if last.response.status != 0 && !is_redirect(last) => {
            let answer =
                crate::server::canned(&canned(last, HarWriter::Other, &mut TextPool::default()));
            let origin = sent_origin(last);
            (cors_check(&answer, &origin, false).is_ok()
                && cors_check(&answer, &origin, true).is_err())
            .then_some("its recorded answer")
        }
        // A request the browser never sent: Chromium's `net::ERR_FAILED`, Firefox's status 0.
        Some("net::ERR_FAILED" | "CORSDidNotSucceed") => {
            let preflight = last_preflight?;
            let answer = crate::server::canned(&canned(
                preflight,
                HarWriter::Other,
                &mut TextPool::default(),
            ));
            let origin = sent_origin(preflight);
            let unsafe_names: Vec<String> = unsafe_request_headers(headers)
                .into_iter()
                .map(|h| h.name)
                .collect();
            let check = |include| {
                check_preflight(
                    &PreflightInput {
                        response: &answer,
                        url: &preflight.request.url,
                        origin: &origin,
                        credentials_include: include,
                        method,
                        unsafe_names: &unsafe_names,
                    },
                    BrowserProfile::Chromium,
                )
                .is_ok()
            };
            (check(false) && !check(true)).then_some("its recorded preflight answer")
        }
        _ => None,
    }
}

/// Chrome's record of a request that got no answer: status 0 and an `_error`, the network
/// error it names (`net::ERR_FAILED`, no reason known, when the file holds something else).
/// Firefox's: status 0 alone, since it records the answer of a request CORS refused
/// (observed in Firefox 153, `tests/fixtures/firefox/`).
fn no_answer(entry: &Entry, writer: HarWriter) -> Option<&str> {
    if writer == HarWriter::Firefox && entry.response.status == 0 && entry.response.error.is_none()
    {
        return Some(crate::engine::CorsError::FirefoxNoAnswer.name());
    }
    let error = entry.response.error.as_deref()?;
    if entry.resource_type.is_none() || entry.response.status != 0 {
        return None;
    }
    Some(if crate::http::syntax::is_network_error_code(error) {
        error
    } else {
        "net::ERR_FAILED"
    })
}

fn is_preflight(entry: &Entry) -> bool {
    entry.resource_type.as_deref() == Some("preflight")
        || entry
            .initiator
            .as_ref()
            .is_some_and(|i| i.kind == "preflight")
        || (entry.request.method.eq_ignore_ascii_case("OPTIONS")
            && header(&entry.request.headers, "Origin").is_some()
            && header(&entry.request.headers, "Access-Control-Request-Method").is_some())
}

/// Milliseconds since the epoch, for pairing by time (unparseable times sort first).
fn millis(started: &str) -> i64 {
    started
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .unwrap_or(0)
}

/// Response headers as a browser sees them: HTTP/2 pseudo-headers dropped.
fn response_headers(headers: &[Header], texts: &mut TextPool) -> Vec<crate::scenario::Header> {
    headers
        .iter()
        .filter(|h| !h.name.starts_with(':'))
        .map(|h| header_line(h, texts))
        .collect()
}

/// A recorded header as the browser saw it (HTTP strips whitespace around a field value), of
/// the recording's pooled texts.
fn header_line(h: &Header, texts: &mut TextPool) -> crate::scenario::Header {
    let value = crate::http::syntax::normalize_header_value(&h.value);
    let value = if value.len() == h.value.len() {
        h.value.shared()
    } else {
        texts.text(value)
    };
    (h.name.shared(), value)
}

/// Headers the browser adds by itself; a recording cannot tell whether the page set them.
const BROWSER_ADDED: [&str; 6] = [
    "user-agent",
    "accept-language",
    "priority",
    "pragma",
    "cache-control",
    "upgrade-insecure-requests",
];

/// How many headers missing from a recorded request get a note of their own.
const MISSING_HEADER_NOTES: usize = 5;

/// The headers the page's script set, rebuilt from the recorded request and, when there was
/// one, the preflight's `Access-Control-Request-Headers` (the only record of `Authorization`
/// in a sanitized export).
fn script_headers(
    actual: Option<&Entry>,
    requested: &[String],
    notes: &mut Vec<String>,
    texts: &mut TextPool,
) -> Vec<crate::scenario::Header> {
    let mut headers: Vec<crate::scenario::Header> = Vec::new();
    // Sets: a preflight may name a million headers, and a request carry as many.
    let requested_set: foldhash::HashSet<&str> = requested.iter().map(String::as_str).collect();
    let mut present: foldhash::HashSet<String> = foldhash::HashSet::default();
    if let Some(entry) = actual {
        for h in &entry.request.headers {
            let lower = h.name.to_ascii_lowercase();
            if lower.starts_with(':') || is_forbidden_request_header(&h.name, &h.value) {
                continue;
            }
            let listed = requested_set.contains(lower.as_str());
            if BROWSER_ADDED.contains(&lower.as_str()) && !listed {
                continue;
            }
            if lower == "accept" && h.value == "*/*" {
                continue;
            }
            present.insert(lower);
            // fetch() normalizes a value (strips HTTP whitespace around it) as the page sets it;
            // a scenario's browser request is read the same way, so the saved trace reopens.
            headers.push(header_line(h, texts));
        }
    }
    // Chrome writes down only the provisional headers of a request it never sent or that its
    // cache answered; a sent request lacks a header only where a sanitized export removed it.
    let why_missing = if actual.is_some_and(is_provisional) {
        "Chromium recorded only the provisional headers of this request, which it never sent"
    } else {
        "a sanitized export removes Authorization and Cookie"
    };
    let mut missing = 0usize;
    for name in requested {
        if present.insert(name.clone()) {
            missing += 1;
            // A note per header, but not a million of them.
            if missing <= MISSING_HEADER_NOTES {
                notes.push(format!(
                    "{name} is named in the preflight's Access-Control-Request-Headers but missing from the recorded request ({why_missing})"
                ));
            }
            headers.push(texts.header(name, "(value not recorded)"));
        }
    }
    if missing > MISSING_HEADER_NOTES {
        notes.push(format!(
            "and {} more header(s) named in the preflight's Access-Control-Request-Headers are missing from the recorded request",
            missing - MISSING_HEADER_NOTES
        ));
    }
    headers
}

/// Why a recorded request is not one a page's fetch() could have made, or a recorded answer
/// not an HTTP answer: such an entry comes from an edited or broken file, and replaying it
/// would judge a request no browser sends.
fn not_replayable(
    method: &str,
    url: &Url,
    origin: &str,
    headers: &[crate::scenario::Header],
) -> Option<String> {
    if !is_token(method) {
        return Some(format!("'{method}' is not an HTTP method"));
    }
    if is_forbidden_method(method) {
        return Some(format!(
            "fetch() cannot send {method} (a forbidden method): the page could not have made this request"
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "a {} URL: CORS applies to http and https URLs only",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "the URL holds a user name or password: fetch() throws a TypeError for it".to_string(),
        );
    }
    let serialized = url_origin(origin);
    if origin != "null" && serialized.as_deref() != Some(origin) {
        return Some(format!(
            "the Origin header '{origin}' is not an origin a browser sends (scheme, host and port, or null)"
        ));
    }
    headers.iter().find_map(|(name, value)| {
        if !is_token(name) {
            Some(format!("'{name}' is not a header name fetch() accepts"))
        } else if !is_valid_header_value(value) {
            Some(format!(
                "the {name} header holds NUL, CR or LF, which fetch() refuses"
            ))
        } else {
            None
        }
    })
}

/// Whether a recorded status is one HTTP can carry: 0 (no answer) or three digits.
fn is_recorded_status(status: i64) -> bool {
    status == 0 || (100..=999).contains(&status)
}

fn error(file: &str, message: impl Into<String>) -> LoadErrors {
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line: 1,
        column: 1,
        key: String::new(),
        message: message.into(),
    }])
}

/// Reads a HAR and rebuilds each cross-origin exchange as a scenario request.
/// Secrets (cookies, authorization, tokens in query strings) are masked unless
/// `show_secrets`: HARs are shared to ask for help, and screens are shared in class.
pub fn load_har(text: &str, file: &str, show_secrets: bool) -> Result<HarImport, LoadErrors> {
    load_har_bytes(text.as_bytes(), file, show_secrets, None)
}

/// [`load_har`] of a file's bytes. With `release`, `release` is told how far the keeping of the
/// entries got every 16 MiB (see [`crate::scenario::Input::release_before`]): nothing kept
/// borrows from the bytes, so a mapped recording need not stay in memory.
pub fn load_har_bytes(
    bytes: &[u8],
    file: &str,
    show_secrets: bool,
    release: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<HarImport, LoadErrors> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let (read, keeper) = std::thread::scope(|scope| {
        let (hand_on, batches) = std::sync::mpsc::sync_channel::<Batch>(4);
        let keeping = std::thread::Builder::new()
            .name("keep".into())
            .spawn_scoped(scope, move || {
                let mut keeper = Keeper::new(bytes, release);
                batches.iter().for_each(|batch| keeper.keep(batch));
                keeper
            });
        match keeping {
            Ok(keeping) => {
                let read = read_har(bytes, &mut |batch| hand_on.send(batch).is_ok());
                // Ends the keeper's batches.
                drop(hand_on);
                (read, keeping.join().ok())
            }
            // Without a thread to keep on, the entries are kept where they are read.
            Err(_) => {
                let mut keeper = Keeper::new(bytes, release);
                let read = read_har(bytes, &mut |batch| {
                    keeper.keep(batch);
                    true
                });
                (read, Some(keeper))
            }
        }
    });
    let (Ok(log), Some(keeper)) = (read, keeper) else {
        return Err(parse_error(bytes, file));
    };
    let Keeper {
        mut texts,
        kept: mut entries,
        keys,
        mut skipped,
        total,
        ..
    } = keeper;
    let writer = HarWriter::of(&log.creator);
    if writer != HarWriter::Firefox {
        // Only Firefox writes a refused load as if it had loaded.
        for (_, entry) in &mut skipped {
            if entry
                .withheld
                .as_ref()
                .is_some_and(|load| load.error == crate::engine::corp::FIREFOX_CORP_FAILED)
            {
                entry.withheld = None;
                entry.reason = NO_ORIGIN.to_string();
            }
        }
    }
    let pages = plan::page_origins(&log.pages);
    let plan = plan::plan(&keys, &pages);
    drop(keys);
    skipped.extend(plan.skipped);
    let mut requests = Vec::with_capacity(plan.exchanges.len());
    let mut recorded = Vec::with_capacity(plan.exchanges.len());
    for planned in &plan.exchanges {
        // Each entry belongs to one exchange: taking it frees its headers as the scenario
        // grows, so the two never take their full size at once.
        let parts = Parts::take(planned, |i| std::mem::take(&mut entries[i]));
        match build(planned, parts, writer, &mut texts) {
            Ok((request, record)) => {
                requests.push(request);
                recorded.push(record);
            }
            Err(set_aside) => skipped.push(set_aside),
        }
    }
    note_local_network_refusals(&requests, &mut recorded);
    let mut import = assemble(file, writer, total, requests, recorded, skipped)?;
    if !show_secrets {
        mask_import(&mut import);
    }
    Ok(import)
}

/// A request that needs no preflight and was refused by Local Network Access is recorded with
/// no reason at all (status 0, `net::ERR_FAILED`; Chromium 156,
/// `tests/fixtures/chromium/local-network.har`). Each such request is noted as most likely
/// refused so where a preflight to the same origin in the recording was refused with the
/// reason, or where the page is on a public name and the URL on a loopback or local address.
fn note_local_network_refusals(requests: &[RequestSpec], recorded: &mut [Recorded]) {
    let refused_at = |spec: &RequestSpec| {
        spec.responses
            .preflight
            .as_ref()
            .is_some_and(|p| p.network_error.as_deref() == Some(LOCAL_NETWORK_ACCESS_CHECKS))
    };
    let refused: foldhash::HashSet<String> = requests
        .iter()
        .filter(|spec| refused_at(spec))
        .map(|spec| spec.url.origin().ascii_serialization())
        .collect();
    for (spec, record) in requests.iter().zip(recorded) {
        let unexplained = spec.responses.preflight.is_none()
            && spec
                .responses
                .actual
                .as_ref()
                .is_some_and(|a| a.network_error.as_deref() == Some("net::ERR_FAILED"));
        if !unexplained {
            continue;
        }
        let host = spec.url.origin().ascii_serialization();
        let page = spec.origin.as_deref().unwrap_or("null");
        if refused.contains(&host) {
            record.notes.push(Shared::from(format!(
                "most likely refused by Chromium's Local Network Access (inferred): this recording's preflight to {host} was refused so ({LOCAL_NETWORK_ACCESS_CHECKS}), and a request Chromium refuses so without a preflight is recorded as this one is: status 0, net::ERR_FAILED, no reason"
            )));
        } else if let Some(failure) =
            crate::engine::fetch_rules::local_network_access(page, &spec.url, &Default::default())
        {
            record.notes.push(Shared::from(format!(
                "possibly refused by Chromium's Local Network Access (inferred): the page {page} is taken to be on the public internet and {host} is a {} address, and Chromium records a request it refuses so as this one is: status 0, net::ERR_FAILED, no reason. DevTools' console says \"Permission was denied for this request to access the `{}` address space\" if so",
                failure.address_space().name(),
                failure.address_space().name()
            )));
        }
    }
}

/// The error of a recording that did not parse, naming the field. Tracking the path slows a
/// parse down; it is only needed to name the field of an error.
fn parse_error(bytes: &[u8], file: &str) -> LoadErrors {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let read = ReadHar {
        keep: &mut |_| true,
    };
    let read = serde::de::DeserializeSeed::deserialize(
        read,
        serde_path_to_error::Deserializer::new(&mut deserializer, &mut track),
    );
    let err = match read {
        Err(err) => err,
        Ok(_) => match deserializer.end() {
            Err(err) => err,
            Ok(()) => return error(file, "the recording could not be read"),
        },
    };
    LoadErrors(vec![serde_error(file, &track.path().to_string(), &err)])
}

/// The entries one exchange is made of, taken from the recording.
struct Parts {
    preflight: Option<Entry>,
    actual: Option<Entry>,
    /// Each later hop after a redirect, with its preflight.
    hops: Vec<(Option<Entry>, Entry)>,
}

impl Parts {
    fn take(planned: &Planned, mut take: impl FnMut(usize) -> Entry) -> Parts {
        Parts {
            preflight: planned.preflight.map(&mut take),
            actual: planned.actual.map(&mut take),
            hops: planned
                .hops
                .iter()
                .map(|&(preflight, actual)| (preflight.map(&mut take), take(actual)))
                .collect(),
        }
    }
}

/// The scenario's request for one planned exchange and what the browser recorded of it; or,
/// for an exchange no page's script could have made, why it is set aside (with its position).
fn build(
    planned: &Planned,
    parts: Parts,
    writer: HarWriter,
    texts: &mut TextPool,
) -> Result<(RequestSpec, Recorded), (usize, Skipped)> {
    let pre = parts.preflight.as_ref();
    let act = parts.actual.as_ref();
    let Some(main) = act.or(pre) else {
        return Err((
            planned.position,
            skip(&Entry::default(), "no entry recorded"),
        ));
    };
    let Ok(url) = Url::parse(&main.request.url) else {
        return Err((planned.position, skip(main, "the URL does not parse")));
    };
    let mut notes = Vec::new();
    let origin = planned.origin.clone();
    // Without the request, its preflight says what it would have been.
    let method = match act {
        Some(a) => normalize_method(&a.request.method),
        None => header(&main.request.headers, "Access-Control-Request-Method")
            .unwrap_or("GET")
            .to_string(),
    };
    let requested: Vec<String> = pre
        .and_then(|p| header(&p.request.headers, "Access-Control-Request-Headers"))
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let headers = script_headers(act, &requested, &mut notes, texts);
    let odd_status = [pre, act]
        .into_iter()
        .flatten()
        .map(|e| e.response.status)
        .chain(parts.hops.iter().flat_map(|(hop_pre, hop)| {
            let hop_pre = hop_pre.as_ref().map(|p| p.response.status);
            hop_pre.into_iter().chain([hop.response.status])
        }))
        .find(|&status| !is_recorded_status(status));
    let refusal = match odd_status {
        Some(status) => Some(format!("recorded status {status} is not an HTTP status")),
        None => not_replayable(&method, &url, &origin, &headers),
    };
    if let Some(reason) = refusal {
        let reason = format!("not replayed: {reason}");
        return Err((planned.position, skip(main, &reason)));
    }
    if act.is_some_and(|a| a.from_cache.is_some()) {
        notes.push(format!(
            "served from the browser's HTTP cache ({}): Chromium recorded the stored answer and only the provisional request headers; the stored answer passed the CORS check again for this request",
            act.and_then(|a| a.from_cache.as_deref()).unwrap_or("cache")
        ));
    }

    // The hops the browser recorded after a redirect, each with its own preflight.
    let mut after_redirect = Vec::new();
    let mut cross_origin_cookies = act.is_some_and(|a| {
        has_cookies(a) && url_origin(&a.request.url).as_deref() != Some(origin.as_str())
    });
    for (hop_preflight, hop_actual) in &parts.hops {
        after_redirect.push(ResponseOverrides {
            preflight: hop_preflight
                .as_ref()
                .map(|entry| canned(entry, writer, texts)),
            actual: Some(canned(hop_actual, writer, texts)),
            after_redirect: Vec::new(),
        });
        notes.push(format!(
            "redirect {}: the browser then requested {} {}",
            after_redirect.len(),
            normalize_method(&hop_actual.request.method),
            hop_actual.request.url,
        ));
        cross_origin_cookies |= has_cookies(hop_actual)
            && url_origin(&hop_actual.request.url).as_deref() != Some(origin.as_str());
    }
    let (last_pre, act_or_last) = match parts.hops.last() {
        Some((p, a)) => (p.as_ref(), Some(a)),
        None => (pre, act),
    };
    if act_or_last.is_some_and(is_redirect) {
        notes.push("the recording ends at a redirect: the browser stopped there (the redirect was blocked), or the request it led to was not recorded".to_string());
    }
    if act.is_none() {
        notes.push(
            "only the preflight was recorded: the request it guarded is not in the recording"
                .to_string(),
        );
    }
    let network_error = act_or_last.and_then(|entry| no_answer(entry, writer));
    match network_error {
        Some("net::ERR_FAILED") if last_pre.is_some() => notes.push(
            "Chromium recorded no answer to the last request (status 0, net::ERR_FAILED): it was never sent, so the failure is in the preflight before it".to_string(),
        ),
        Some("net::ERR_FAILED") => notes.push(
            "Chromium recorded no answer to the request (status 0, net::ERR_FAILED) and no reason: the replay cannot tell why it failed".to_string(),
        ),
        Some("CORSDidNotSucceed") if last_pre.is_some() => notes.push(
            "Firefox recorded no answer to the request (status 0) and no reason: its preflight failed and it was never sent, or it failed at the network (Firefox records the answer of a request CORS refused)".to_string(),
        ),
        Some("CORSDidNotSucceed") => notes.push(
            "Firefox recorded no answer to the request (status 0) and no reason. Firefox records the answer of a request CORS refused, so this one got none: it failed at the network (nothing listening, DNS, TLS, a reset) or was stopped before it was sent, and CORS never ran (observed in Firefox 153)".to_string(),
        ),
        Some(code) => notes.push(format!(
            "Chromium recorded a network error for the request ({code}, status 0): no server answered, so CORS never ran"
        )),
        None if act_or_last.is_some_and(|a| a.response.status == 0) => {
            notes.push("no response was recorded for the request (status 0)".to_string());
        }
        None => {}
    }
    let preflight_not_recorded = pre.is_none();
    let needs_preflight =
        !is_safelisted_method(&method) || !unsafe_request_headers(&headers).is_empty();
    if preflight_not_recorded && needs_preflight {
        notes.push("this request needs a preflight but the recording has no OPTIONS for it: it was served from the preflight cache, or not recorded".to_string());
    }
    let status = act_or_last.map_or(0, |a| a.response.status);
    let recorded_error = act_or_last
        .and_then(|a| a.response.error.as_deref())
        .unwrap_or_default();
    if writer == HarWriter::WebKit && preflight_not_recorded && recorded_error.contains("Preflight")
    {
        notes.push("Safari's error is about a preflight that the recording does not hold (Web Inspector does not always list preflight OPTIONS requests): the replay cannot check that preflight's answer".to_string());
    }
    let error = act_or_last
        .and_then(|a| a.response.error.as_deref().map(str::to_string))
        .or_else(|| pre.and_then(|p| p.response.error.as_deref().map(str::to_string)));
    let blocked = if act_or_last.is_none() || status == 0 {
        Some(true)
    } else {
        match writer {
            // Chrome and Edge mark every entry with `_resourceType` and record a blocked
            // response with its status and `_error: "net::ERR_FAILED"`.
            _ if main.resource_type.is_some() => Some(error.as_deref() == Some("net::ERR_FAILED")),
            // Safari writes `_error` (its own failure text) only for a load that failed.
            HarWriter::WebKit => Some(error.is_some()),
            // Firefox records no error field: a response that arrived says nothing.
            HarWriter::Firefox | HarWriter::Other => None,
        }
    };
    // Where the browser stopped, as far as the recording shows: at an answer that arrived
    // and was refused, at the preflight of a request it never sent, or at a network error.
    let failed_at = match (blocked, network_error) {
        (Some(true), Some("net::ERR_FAILED")) if last_pre.is_some() => {
            Some(ExchangeKind::Preflight)
        }
        (Some(true), Some("net::ERR_FAILED")) => None,
        // Firefox writes the same status 0 for a request it never sent after a failed
        // preflight as for one the network failed.
        (Some(true), Some("CORSDidNotSucceed")) if last_pre.is_some() => None,
        (Some(true), Some(_)) => Some(ExchangeKind::Actual),
        (Some(true), None) if act_or_last.is_some() && status != 0 => Some(ExchangeKind::Actual),
        (Some(true), None) if act_or_last.is_none() => Some(ExchangeKind::Preflight),
        _ => None,
    };
    let failed_url = failed_at
        .and(act_or_last.or(last_pre))
        .map(|e| e.request.url.to_string());

    // No HAR records the credentials mode: cookies on a cross-origin request prove
    // 'include'; otherwise a failure that only credentials explain does.
    let credentials = if cross_origin_cookies {
        notes.push(
            "credentials: 'include' inferred: the request carried cookies to another origin"
                .to_string(),
        );
        Credentials::Include
    } else if let Some(why) = blocked_only_with_credentials(
        blocked,
        network_error,
        act_or_last,
        last_pre,
        &method,
        &headers,
        &origin,
    ) {
        notes.push(format!(
            "credentials: 'include' inferred by elimination: {} blocked this request, and {why} passes every CORS check unless the request carries credentials (no HAR records the credentials mode, and a sanitized export removes cookies)",
            writer.browser()
        ));
        Credentials::Include
    } else {
        notes.push("credentials: 'same-origin' assumed: no cookies went to another origin (a sanitized export removes them)".to_string());
        Credentials::SameOrigin
    };
    let request = RequestSpec {
        origin: Some(origin),
        method,
        url,
        headers: headers.into(),
        credentials,
        cache: Default::default(),
        via: Via::Browser,
        initiator: initiator_of(main),
        expect: None,
        note: None,
        responses: ResponseOverrides {
            preflight: pre.map(|entry| canned(entry, writer, texts)),
            actual: act.map(|entry| canned(entry, writer, texts)),
            after_redirect,
        },
        wait_seconds: 0,
        edge: None,
        preflight_not_recorded,
        actual_withheld: false,
    };
    let record = Recorded {
        status,
        error,
        blocked,
        failed_at,
        failed_url,
        notes: notes.iter().map(|note| texts.text(note)).collect(),
    };
    Ok((request, record))
}

/// The import of a recording's exchanges, once each is built (not yet masked).
fn assemble(
    file: &str,
    writer: HarWriter,
    total: usize,
    requests: Vec<RequestSpec>,
    recorded: Vec<Recorded>,
    mut skipped: Vec<(usize, Skipped)>,
) -> Result<HarImport, LoadErrors> {
    // In file order, whichever pass set them aside.
    skipped.sort_by_key(|(position, _)| *position);
    let skipped: Vec<Skipped> = skipped.into_iter().map(|(_, entry)| entry).collect();
    let Some(first) = requests.first() else {
        return Err(error(
            file,
            format!(
                "no cross-origin requests in this recording ({total} entries, {} same-origin or not CORS)",
                skipped.len()
            ),
        ));
    };
    let scenario = Scenario {
        title: format!("Recorded: {file}"),
        description: format!(
            "{} cross-origin exchange(s) replayed from {total} recorded entries.",
            requests.len()
        ),
        browser: Some(BrowserProfile::Chromium),
        server: Server {
            url: first.url.clone(),
            kind: ServerKind::Recorded {
                by: Recorder::Browser(writer.recording_browser()),
            },
            front: Vec::new(),
            rules_from: Some(format!("{file} (the answers the browser recorded)")),
        },
        requests: requests.into(),
        moments: Vec::new(),
        quiz: Vec::new(),
        // The recording's own Cookie headers say what was sent.
        cookies: Default::default(),
        // An answered request was let through; one refused is recorded as a network error.
        local_network_access: Default::default(),
        // A recording's answers are taken as they are.
        embedder_policy: Default::default(),
        addresses: Default::default(),
    };
    Ok(HarImport {
        scenario,
        recording: Recording {
            recorded,
            entries: total,
            skipped,
        },
    })
}

/// Every secret of an import masked: the scenario's URLs, headers and answers, and what the
/// recording says beside them (a hop's URL in a note, Safari's `_error` quoting a URL, the
/// URLs of skipped entries), numbered in one run so equal values stay equal.
fn mask_import(import: &mut HarImport) {
    let mut masker = crate::secrets::Masker::new();
    masker.scenario(&mut import.scenario);
    // A text with a secret in it, or in the URL it is, masked; None when it holds none.
    let masked = |masker: &mut crate::secrets::Masker, text: &str| {
        masker.text(text).or_else(|| masker.url_text(text))
    };
    let mask_text = |masker: &mut crate::secrets::Masker, text: &mut String| {
        if let Some(masked) = masked(masker, text) {
            *text = masked;
        }
    };
    for recorded in &mut import.recording.recorded {
        for note in &mut recorded.notes {
            if let Some(masked) = masked(&mut masker, note) {
                *note = masked.into();
            }
        }
        if let Some(error) = &mut recorded.error {
            mask_text(&mut masker, error);
        }
        if let Some(url) = &mut recorded.failed_url {
            mask_text(&mut masker, url);
        }
    }
    for entry in &mut import.recording.skipped {
        mask_text(&mut masker, &mut entry.url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_is_detected_by_its_first_key() {
        assert!(is_har("  {\n \"log\": {}}"));
        assert!(!is_har("{\"server\": {}, \"log\": 1}"));
        assert!(!is_har("[]"));
    }

    /// A Chrome-shaped entry: `headers` and `answer` as (name, value) lists; `extra` is
    /// spliced into the response (`_error`, `redirectURL`) and `entry_extra` into the entry.
    fn entry(
        (method, url): (&str, &str),
        headers: &[(&str, &str)],
        (status, answer, extra): (i64, &[(&str, &str)], &str),
        entry_extra: &str,
    ) -> String {
        let list = |h: &[(&str, &str)]| {
            h.iter()
                .map(|(n, v)| format!(r#"{{"name":"{n}","value":"{v}"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"startedDateTime":"2026-12-03T10:00:00.000Z","pageref":"page_1","_resourceType":"fetch"{entry_extra},"request":{{"method":"{method}","url":"{url}","headers":[{}],"cookies":[]}},"response":{{"status":{status},"headers":[{}]{extra}}}}}"#,
            list(headers),
            list(answer)
        )
    }

    fn har(entries: &[String]) -> HarImport {
        let text = format!(
            r#"{{"log":{{"creator":{{"name":"WebInspector"}},"pages":[{{"id":"page_1","title":"https://app.example/home"}}],"entries":[{}]}}}}"#,
            entries.join(",")
        );
        match load_har(&text, "test.har", true) {
            Ok(import) => import,
            Err(e) => panic!("{e:?}"),
        }
    }

    const ERR_FAILED: &str = r#","_error":"net::ERR_FAILED""#;

    #[test]
    fn a_request_with_provisional_headers_pairs_with_its_preflight_and_is_no_answer() {
        let put = entry(
            ("PUT", "https://api.example/x"),
            &[
                ("Referer", "https://app.example/"),
                ("Content-Type", "text/plain"),
            ],
            (0, &[], ERR_FAILED),
            "",
        );
        let preflight = entry(
            ("OPTIONS", "https://api.example/x"),
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "PUT"),
            ],
            (
                204,
                &[
                    ("Access-Control-Allow-Origin", "https://app.example"),
                    ("Access-Control-Allow-Methods", "PUT"),
                ],
                "",
            ),
            r#","_initiator":{"type":"preflight"}"#,
        );
        let import = har(&[put, preflight]);
        assert_eq!(import.scenario.requests.len(), 1, "one exchange, not two");
        assert!(import.recording.skipped.is_empty());
        let request = &import.scenario.requests[0];
        assert_eq!(request.origin.as_deref(), Some("https://app.example"));
        let actual = request.responses.actual.as_ref();
        assert_eq!(
            actual.and_then(|a| a.network_error.as_deref()),
            Some("net::ERR_FAILED")
        );
        // Only credentials explain why Chromium never sent it: the preflight answer lacks
        // Access-Control-Allow-Credentials.
        assert_eq!(request.credentials, Credentials::Include);
        let recorded = &import.recording.recorded[0];
        assert_eq!(recorded.failed_at, Some(ExchangeKind::Preflight));
    }

    /// A request refused by Local Network Access is recorded with no reason: the note says
    /// what is likely, from a public page to loopback, and nothing between public hosts.
    #[test]
    fn a_reasonless_failure_to_loopback_from_a_public_page_notes_local_network_access() {
        let failed = |url: &str| {
            entry(
                ("GET", url),
                &[],
                (0, &[], r#","_error":"net::ERR_FAILED""#),
                "",
            )
        };
        let import = har(&[
            failed("http://localhost:8080/api"),
            failed("https://api.example/x"),
        ]);
        let notes = |i: usize| {
            import.recording.recorded[i]
                .notes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(
            notes(0).contains("Local Network Access (inferred)"),
            "{}",
            notes(0)
        );
        assert!(notes(0).contains("`loopback`"), "{}", notes(0));
        assert!(!notes(1).contains("Local Network Access"), "{}", notes(1));
    }

    #[test]
    fn a_network_error_to_another_origin_is_a_request_that_failed() {
        let dead = entry(
            ("GET", "https://down.example/x"),
            &[],
            (0, &[], r#","_error":"net::ERR_CONNECTION_REFUSED""#),
            "",
        );
        let import = har(&[dead]);
        let request = &import.scenario.requests[0];
        // No Referer: the page the entry belongs to says where it came from.
        assert_eq!(request.origin.as_deref(), Some("https://app.example"));
        let actual = request.responses.actual.as_ref();
        assert_eq!(
            actual.and_then(|a| a.network_error.as_deref()),
            Some("net::ERR_CONNECTION_REFUSED")
        );
        let recorded = &import.recording.recorded[0];
        assert_eq!(recorded.failed_at, Some(ExchangeKind::Actual));
    }

    #[test]
    fn an_answer_from_the_http_cache_is_judged() {
        let hit = entry(
            ("GET", "https://api.example/feed"),
            &[("Referer", "https://app.example/")],
            (200, &[("Access-Control-Allow-Origin", "*")], ""),
            r#","_fromCache":"disk""#,
        );
        let import = har(&[hit]);
        assert_eq!(import.scenario.requests.len(), 1);
        let notes = &import.recording.recorded[0].notes;
        assert!(notes.iter().any(|n| n.contains("HTTP cache")), "{notes:?}");
    }

    /// What keeps a large recording's trace small: its exchanges hold the recording's answer
    /// lists, and the same request sent again holds the first one's header list.
    #[test]
    fn a_replay_shares_the_recordings_header_lists() {
        let get = || {
            entry(
                ("GET", "https://api.example/feed"),
                &[("Origin", "https://app.example")],
                (200, &[("Access-Control-Allow-Origin", "*")], ""),
                "",
            )
        };
        let import = har(&[get(), get()]);
        let trace = crate::engine::run(&import.scenario, BrowserProfile::Chromium);
        let exchange = |request: usize| &trace.requests[request].exchanges[0];
        for (request, spec) in import.scenario.requests.iter().enumerate() {
            let Some(recorded) = &spec.responses.actual else {
                panic!("request {request} has no recorded answer");
            };
            assert!(
                recorded
                    .headers
                    .shares_with(&exchange(request).response.headers)
            );
        }
        assert_eq!(exchange(0).request.headers, exchange(1).request.headers);
        assert!(
            exchange(0)
                .request
                .headers
                .shares_with(&exchange(1).request.headers)
        );
    }

    #[test]
    fn credentials_are_inferred_only_where_the_recording_proves_them() {
        let feed = |allow: &str, error: &str| {
            let answer = [("Access-Control-Allow-Origin", allow)];
            let import = har(&[entry(
                ("GET", "https://api.example/feed"),
                &[("Origin", "https://app.example")],
                (200, &answer, error),
                "",
            )]);
            import.scenario.requests[0].credentials
        };
        // Blocked under `*`: only credentials explain it.
        assert_eq!(feed("*", ERR_FAILED), Credentials::Include);
        // Allowed: nothing to explain.
        assert_eq!(feed("*", ""), Credentials::SameOrigin);
        // Blocked because another origin is named: credentials explain nothing.
        assert_eq!(
            feed("https://other.example", ERR_FAILED),
            Credentials::SameOrigin
        );
    }

    #[test]
    fn cookies_on_a_same_origin_hop_prove_nothing() {
        let first = entry(
            ("GET", "https://app.example/go"),
            &[("Cookie", "session=1")],
            (
                302,
                &[("Location", "https://api.example/feed")],
                r#","redirectURL":"https://api.example/feed""#,
            ),
            "",
        );
        let second = entry(
            ("GET", "https://api.example/feed"),
            &[("Origin", "https://app.example")],
            (200, &[("Access-Control-Allow-Origin", "*")], ""),
            "",
        );
        let import = har(&[first, second]);
        assert_eq!(import.scenario.requests.len(), 1);
        assert_eq!(
            import.scenario.requests[0].credentials,
            Credentials::SameOrigin
        );
    }

    /// A Firefox export: no `_resourceType`, no `_error`.
    fn firefox_har(entries: &[(&str, &str, &str, i64, &str)]) -> HarImport {
        let entries: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(i, (method, url, headers, status, response))| {
                format!(
                    r#"{{"startedDateTime":"2026-12-06T00:00:00.{i:03}+00:00","request":{{"method":"{method}","url":"{url}","headers":[{headers}],"cookies":[]}},"response":{{"status":{status},"headers":[]{response}}}}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"log":{{"creator":{{"name":"Firefox","version":"153.8.0"}},"pages":[],"entries":[{}]}}}}"#,
            entries.join(",")
        );
        match load_har(&text, "firefox.har", true) {
            Ok(import) => import,
            Err(e) => panic!("{e:?}"),
        }
    }

    const FROM_PAGE: &str = r#"{"name":"Origin","value":"https://app.example"}"#;

    /// Firefox keeps the answer of a request CORS refused: status 0 is no answer at all, not an
    /// empty one (observed in Firefox 153, `tests/fixtures/firefox/api.har`).
    #[test]
    fn firefox_status_0_is_no_answer() {
        let import = firefox_har(&[("GET", "https://api.example/items", FROM_PAGE, 0, "")]);
        let actual = import.scenario.requests[0].responses.actual.as_ref();
        assert_eq!(
            actual.and_then(|a| a.network_error.as_deref()),
            Some("CORSDidNotSucceed")
        );
        assert_eq!(
            import.scenario.server.kind,
            ServerKind::Recorded {
                by: Recorder::Browser(crate::scenario::RecordingBrowser::Firefox)
            }
        );
        // The same entry from another writer is an answer with status 0, as before.
        let text = r#"{"log":{"creator":{"name":"Other"},"entries":[{"startedDateTime":"2026-12-06T00:00:00.000Z","request":{"method":"GET","url":"https://api.example/items","headers":[{"name":"Origin","value":"https://app.example"}]},"response":{"status":0,"headers":[]}}]}}"#;
        let other = load_har(text, "other.har", true).unwrap_or_else(|e| panic!("{e:?}"));
        let actual = other.scenario.requests[0].responses.actual.as_ref();
        assert_eq!(actual.and_then(|a| a.network_error.as_deref()), None);
    }

    /// Firefox names no resource type: an `<img crossorigin>` is told by its `Sec-Fetch-Dest`.
    #[test]
    fn without_a_resource_type_the_element_is_told_by_sec_fetch_dest() {
        let image = r#"{"name":"Origin","value":"https://app.example"},{"name":"Sec-Fetch-Dest","value":"image"}"#;
        let empty = r#"{"name":"Origin","value":"https://app.example"},{"name":"Sec-Fetch-Dest","value":"empty"}"#;
        let import = firefox_har(&[
            ("GET", "https://cdn.example/a.png", image, 200, ""),
            ("GET", "https://api.example/items", empty, 200, ""),
        ]);
        let initiators: Vec<_> = import
            .scenario
            .requests
            .iter()
            .map(|r| r.initiator)
            .collect();
        assert_eq!(
            initiators,
            [
                crate::scenario::Initiator::Img,
                crate::scenario::Initiator::Fetch
            ]
        );
    }

    /// Firefox refuses an `<img>` its answer's Cross-Origin-Resource-Policy forbids, and writes
    /// the entry as if it had loaded: named from the header, for Firefox's export alone.
    #[test]
    fn firefox_names_a_load_the_resource_policy_refused_from_the_header() {
        let image = r#"{"name":"Referer","value":"https://app.example/"},{"name":"Sec-Fetch-Dest","value":"image"}"#;
        let helmet = r#","content":{"mimeType":"image/png"}"#;
        let text = |creator: &str| {
            format!(
                r#"{{"log":{{"creator":{{"name":"{creator}"}},"entries":[{{"startedDateTime":"2026-12-06T00:00:00.000Z","request":{{"method":"GET","url":"https://cdn.example/a.png","headers":[{image}]}},"response":{{"status":200,"headers":[{{"name":"Cross-Origin-Resource-Policy","value":"same-origin"}}]{helmet}}}}},{{"startedDateTime":"2026-12-06T00:00:01.000Z","request":{{"method":"GET","url":"https://api.example/items","headers":[{FROM_PAGE}]}},"response":{{"status":200,"headers":[]}}}}]}}}}"#
            )
        };
        let firefox = load_har(&text("Firefox"), "f.har", true).unwrap_or_else(|e| panic!("{e:?}"));
        let load = firefox.recording.skipped[0].withheld.as_deref();
        assert_eq!(
            load.map(|l| (l.error.as_str(), l.resource_type.as_deref(), l.inferred)),
            Some((
                crate::engine::corp::FIREFOX_CORP_FAILED,
                Some("image"),
                true
            ))
        );
        let safari = load_har(&text("WebKit Web Inspector"), "s.har", true)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(safari.recording.skipped[0].withheld.is_none());
        assert_eq!(safari.recording.skipped[0].reason, NO_ORIGIN);
    }

    /// Firefox sends a redirected request's preflight with the page's Origin, while the request
    /// carries `Origin: null` (observed in Firefox 153): the preflight still guards that hop.
    #[test]
    fn firefox_pairs_a_hop_with_its_preflight_sent_with_the_page_origin() {
        let redirect = r#","redirectURL":"https://cdn.example/strict""#;
        let null_origin = r#"{"name":"Origin","value":"null"}"#;
        let asks_put = r#"{"name":"Origin","value":"https://app.example"},{"name":"Access-Control-Request-Method","value":"PUT"}"#;
        let import = firefox_har(&[
            ("PUT", "https://api.example/move", FROM_PAGE, 307, redirect),
            ("OPTIONS", "https://api.example/move", asks_put, 204, ""),
            ("PUT", "https://cdn.example/strict", null_origin, 0, ""),
            ("OPTIONS", "https://cdn.example/strict", asks_put, 403, ""),
        ]);
        assert_eq!(import.scenario.requests.len(), 1);
        let hop = &import.scenario.requests[0].responses.after_redirect[0];
        assert_eq!(hop.preflight.as_ref().map(|p| p.status), Some(403));
        let recorded = &import.recording.recorded[0];
        assert_eq!(recorded.failed_at, None, "status 0 does not say where");
    }

    #[test]
    fn times_with_offsets_compare_in_utc() {
        assert_eq!(
            millis("2026-01-01T10:00:00.500Z"),
            millis("2026-01-01T12:00:00.500+02:00")
        );
        assert!(millis("2026-01-01T10:00:00.738Z") > millis("2026-01-01T10:00:00.736Z"));
    }
}
