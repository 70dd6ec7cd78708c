//! A validated scenario: the only input the engine accepts.
//!
//! `raw` mirrors the JSON file exactly (serde, unknown keys rejected); `load` parses a file and
//! reports errors with file, line, column and key; `validate` turns raw into these typed values,
//! checking everything a browser or S3 would refuse before the engine ever runs.

pub mod lessons;
mod load;
pub(crate) mod raw;
pub(crate) mod recording;
pub(crate) mod validate;
pub(crate) mod write;

pub use crate::server::provider::{Field, Provider};
pub use crate::server::rules::{CorsConfiguration, CorsRule};
pub use load::{
    BUILTIN_BASIC, Input, LoadError, LoadErrors, load_file, load_str, open_input, read_input,
};
pub(crate) use load::{line_column, locate_problem, locate_problems, serde_error};

use serde::{Deserialize, Serialize};
use url::Url;

/// Which browser's CORS behaviour the engine follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BrowserProfile {
    /// Chromium as it ships (verified against headless Chromium 156).
    #[default]
    Chromium,
    /// The letter of the WHATWG Fetch standard.
    Standard,
}

impl BrowserProfile {
    pub fn name(self) -> &'static str {
        match self {
            BrowserProfile::Chromium => "chromium",
            BrowserProfile::Standard => "standard",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BrowserProfile::Chromium => "Chromium",
            BrowserProfile::Standard => "the Fetch standard",
        }
    }

    pub fn other(self) -> Self {
        match self {
            BrowserProfile::Chromium => BrowserProfile::Standard,
            BrowserProfile::Standard => BrowserProfile::Chromium,
        }
    }
}

/// fetch()'s `credentials` option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    Omit,
    #[default]
    SameOrigin,
    Include,
}

impl Credentials {
    pub fn name(self) -> &'static str {
        match self {
            Credentials::Omit => "omit",
            Credentials::SameOrigin => "same-origin",
            Credentials::Include => "include",
        }
    }
}

/// fetch()'s `cache` option (only its effect on the CORS-preflight cache is simulated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheMode {
    #[default]
    Default,
    NoStore,
    Reload,
    NoCache,
    ForceCache,
    OnlyIfCached,
}

impl CacheMode {
    pub fn name(self) -> &'static str {
        match self {
            CacheMode::Default => "default",
            CacheMode::NoStore => "no-store",
            CacheMode::Reload => "reload",
            CacheMode::NoCache => "no-cache",
            CacheMode::ForceCache => "force-cache",
            CacheMode::OnlyIfCached => "only-if-cached",
        }
    }
}

/// Who sends the request: a page's fetch() (CORS enforced), a page's `<img>` without
/// `crossorigin` (a no-cors request: no Origin, no CORS check), or a raw client such as curl.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A CORS-mode request: fetch(), XMLHttpRequest, a font, or an element with `crossorigin`.
    #[default]
    Browser,
    /// An `<img>` or `<script>` without `crossorigin`: no-cors, no Origin, no CORS check.
    #[serde(rename = "img")]
    Element,
    /// fetch() with `mode: 'no-cors'`: no CORS check, an opaque response.
    #[serde(rename = "no-cors")]
    NoCors,
    Raw,
}

impl Via {
    /// Whether the browser sends it in no-cors mode: an element without `crossorigin`, or a
    /// `mode: 'no-cors'` fetch.
    pub fn is_no_cors(self) -> bool {
        matches!(self, Via::Element | Via::NoCors)
    }
}

/// What in the page asked for the URL: a script's fetch() or XMLHttpRequest, or an element
/// (DevTools' "Type" column). It decides the request's `Accept` and `Sec-Fetch-Dest`, what the
/// page sees when the check fails, and how Chromium's console line starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Initiator {
    #[default]
    Fetch,
    Xhr,
    Img,
    Script,
    /// An `@font-face` font: always CORS mode, credentials 'same-origin'.
    Font,
}

impl Initiator {
    /// What Chromium's mixed-content console line calls a request it made (observed in
    /// Chromium 156).
    pub fn mixed_content_noun(self) -> &'static str {
        match self {
            Initiator::Fetch => "resource",
            Initiator::Xhr => "XMLHttpRequest endpoint",
            Initiator::Img => "image",
            Initiator::Script => "script",
            Initiator::Font => "font",
        }
    }

    /// As the scenario's `via` and the document's `element` write it.
    pub fn name(self) -> &'static str {
        match self {
            Initiator::Fetch => "browser",
            Initiator::Xhr => "xhr",
            Initiator::Img => "img",
            Initiator::Script => "script",
            Initiator::Font => "font",
        }
    }

    /// What Chromium's console line calls the request: "Access to image at …".
    pub fn console_noun(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch",
            Initiator::Xhr => "XMLHttpRequest",
            Initiator::Img => "image",
            Initiator::Script => "script",
            Initiator::Font => "font",
        }
    }

    /// `Sec-Fetch-Dest` (observed in Chromium 148).
    pub fn destination(self) -> &'static str {
        match self {
            Initiator::Fetch | Initiator::Xhr => "empty",
            Initiator::Img => "image",
            Initiator::Script => "script",
            Initiator::Font => "font",
        }
    }

    /// The `Accept` Chromium 148 sends for it (observed).
    pub fn accept(self) -> &'static str {
        match self {
            Initiator::Img => "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            _ => "*/*",
        }
    }

    /// The markup or call that makes the request, for the flow and the table.
    pub fn markup(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch()",
            Initiator::Xhr => "XMLHttpRequest",
            Initiator::Img => "<img>",
            Initiator::Script => "<script>",
            Initiator::Font => "@font-face",
        }
    }

    /// The markup with its article, for messages: "an <img>".
    pub fn described(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch()",
            Initiator::Xhr => "an XMLHttpRequest",
            Initiator::Img => "an <img>",
            Initiator::Script => "a <script>",
            Initiator::Font => "an @font-face font",
        }
    }

    /// An element of the page rather than a script's call.
    pub fn is_element(self) -> bool {
        matches!(self, Initiator::Img | Initiator::Script | Initiator::Font)
    }
}

/// How a request ends: readable by the page, blocked by the browser, or sent by a raw client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allowed,
    Blocked,
    Sent,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Blocked => "blocked",
            Outcome::Sent => "sent",
        }
    }
}

pub use crate::http::{Header, Headers, Shared};

/// Hands out one shared copy of each text it is given, so that a name or value repeated across
/// a recording is held once; and of each header list, so that the same request sent again
/// (most of a large run) holds its headers once.
#[derive(Debug, Default)]
pub struct TextPool {
    texts: foldhash::HashSet<Shared>,
    lists: foldhash::HashSet<Headers>,
    /// Keeps nothing: for a run whose verdicts alone are wanted, where nothing it makes is
    /// held past its request.
    passes_through: bool,
}

impl TextPool {
    /// A pool that hands out a copy of each text and keeps none.
    pub fn passing_through() -> Self {
        TextPool {
            passes_through: true,
            ..TextPool::default()
        }
    }

    /// The pool's copy of `text`.
    pub fn text(&mut self, text: &str) -> Shared {
        if self.passes_through {
            return Shared::from(text);
        }
        if let Some(shared) = self.texts.get(text) {
            return Shared::clone(shared);
        }
        let shared = Shared::from(text);
        self.texts.insert(Shared::clone(&shared));
        shared
    }

    /// The pool's copy of a header list equal to `list`.
    pub fn headers(&mut self, list: Headers) -> Headers {
        if self.passes_through {
            return list;
        }
        if let Some(shared) = self.lists.get(&list) {
            return shared.clone();
        }
        self.lists.insert(list.clone());
        list
    }

    /// A header line of pooled texts.
    pub fn header(&mut self, name: &str, value: &str) -> Header {
        (self.text(name), self.text(value))
    }
}

pub use crate::http::ExchangeKind;
pub use crate::server::stack::{
    CannedResponse, Recorder, RecordingBrowser, ResponseOverrides, Server, ServerKind, Session,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    /// The page's serialized origin (`"null"` for an opaque origin). For raw requests, any
    /// string, sent as the `Origin` header; `None` sends no `Origin`.
    pub origin: Option<String>,
    /// As the page wrote it; the browser normalizes it.
    pub method: String,
    pub url: Url,
    pub headers: Headers,
    pub credentials: Credentials,
    pub cache: CacheMode,
    pub via: Via,
    /// What in the page sends it (fetch() unless the scenario says otherwise).
    pub initiator: Initiator,
    pub expect: Option<Outcome>,
    pub note: Option<String>,
    pub responses: ResponseOverrides,
    /// Seconds the page waits after the previous request before issuing this one.
    pub wait_seconds: u64,
    /// The CDN edge location the request reaches (`X-Amz-Cf-Pop`), where each has its own
    /// cache; `None`: the one edge every request reaches.
    pub edge: Option<String>,
    /// A recording shows this request without its preflight: if one is needed, take it as
    /// served from the preflight cache (set by the HAR importer, never by scenario files).
    pub preflight_not_recorded: bool,
    /// A live probe sent the preflight but not this request (it would change data): the run
    /// stops after the preflight (set by `probe`, written as `"actual_sent": false`).
    pub actual_withheld: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub title: String,
    pub description: String,
    pub browser: Option<BrowserProfile>,
    pub server: Server,
    /// Shared: a fix's proof runs the scenario with its server changed, and a recording's
    /// requests are 100,000 specs that need not be copied for it.
    pub requests: std::sync::Arc<Vec<RequestSpec>>,
    /// Key moments the lesson author wrote (empty: derive them from the trace).
    pub moments: Vec<Moment>,
    pub quiz: Vec<Question>,
    /// The browser's cookies before the first request.
    pub cookies: Cookies,
    pub local_network_access: LocalNetworkAccess,
    /// The pages' `Cross-Origin-Embedder-Policy`.
    pub embedder_policy: EmbedderPolicy,
    /// The addresses the scenario's names resolve to.
    pub addresses: Addresses,
}

/// The address each of the scenario's host names resolves to, as DNS would answer it: Local
/// Network Access sorts a request by the address it reaches, and without this the simulation,
/// which resolves no names, takes a name to be public.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Addresses(pub std::collections::BTreeMap<String, std::net::IpAddr>);

impl Addresses {
    /// The address `host` resolves to, if the scenario says.
    pub fn of(&self, host: &str) -> Option<std::net::IpAddr> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0.get(&host).copied()
    }
}

/// The cookies the browser holds when the lesson starts, as the sites set them, and whether
/// it blocks third-party cookies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cookies {
    pub jar: Vec<SetCookie>,
    pub third_party: ThirdPartyCookies,
}

impl Cookies {
    pub fn is_empty(&self) -> bool {
        self.jar.is_empty() && self.third_party == ThirdPartyCookies::Allowed
    }
}

/// A `Set-Cookie` line and the URL whose answer carried it (a visit to that site, earlier).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    pub set_by: Url,
    pub line: String,
}

/// The browser's third-party cookie setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ThirdPartyCookies {
    /// Chrome's default in a normal window ("Block third-party cookies in Incognito"):
    /// `SameSite=None; Secure` cookies go to other sites.
    #[default]
    Allowed,
    /// Incognito, Safari, a fresh Chromium profile: no cookie goes to another site.
    Blocked,
}

impl ThirdPartyCookies {
    pub fn name(self) -> &'static str {
        match self {
            ThirdPartyCookies::Allowed => "allowed",
            ThirdPartyCookies::Blocked => "blocked",
        }
    }
}

/// Whether the user let the page reach loopback and local addresses when Chromium asked (its
/// Local Network Access prompt; the permissions `loopbackNetwork` and `localNetwork`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalNetworkAccess {
    /// Not given: headless Chromium, or a user who blocked or dismissed the prompt. A public
    /// page's requests to loopback and local addresses are refused.
    #[default]
    Denied,
    /// Given: those requests go out as any other, with no header added (observed in Chromium
    /// 156 with both permissions granted).
    Granted,
}

/// The pages' `Cross-Origin-Embedder-Policy`, which a page sends to be cross-origin isolated
/// (for `SharedArrayBuffer`, say): what it asks of the answers to its no-cors loads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbedderPolicy {
    /// None: no-cors loads are held only to the answer's own Cross-Origin-Resource-Policy.
    #[default]
    UnsafeNone,
    /// An answer to a cross-origin no-cors load must say Cross-Origin-Resource-Policy:
    /// cross-origin (a missing one counts as same-origin).
    RequireCorp,
    /// Cross-origin no-cors loads go without credentials (no cookies), and need no
    /// Cross-Origin-Resource-Policy.
    Credentialless,
}

impl EmbedderPolicy {
    /// The header's value.
    pub fn value(self) -> &'static str {
        match self {
            EmbedderPolicy::UnsafeNone => "unsafe-none",
            EmbedderPolicy::RequireCorp => "require-corp",
            EmbedderPolicy::Credentialless => "credentialless",
        }
    }
}

/// A surprising step, explained: shown with the step and in the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    /// 1-based step number.
    pub step: usize,
    pub question: String,
    pub answer: String,
}

/// A multiple-choice question about the lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub question: String,
    pub choices: Vec<Choice>,
    /// Index into `choices` of the right answer.
    pub answer: usize,
    pub hint: Option<String>,
    /// 1-based step the hint points at.
    pub step: Option<usize>,
}

/// One answer a question offers, and why it is right or wrong: shown once it is chosen, so a
/// wrong answer is explained, not just marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub text: String,
    pub why: Option<String>,
}

impl Choice {
    pub fn plain(text: impl Into<String>) -> Self {
        Choice {
            text: text.into(),
            why: None,
        }
    }

    pub fn explained(text: impl Into<String>, why: impl Into<String>) -> Self {
        Choice {
            text: text.into(),
            why: Some(why.into()),
        }
    }
}
