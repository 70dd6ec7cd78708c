//! The Fetch standard's CORS predicates, each a pure function named after its section.

use super::cors_error::{CorsError, CorsFailure};
use crate::http::HttpResponse;
use crate::http::syntax::{is_token, origin_of};
use crate::scenario::Header;
use crate::scenario::{BrowserProfile, Initiator};

pub use crate::http::syntax::is_safelisted_method;

/// §"CORS-unsafe request-header byte".
fn is_unsafe_header_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t')
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7f
        )
}

/// Why a request header is not CORS-safelisted, or `None` when it is
/// (§"CORS-safelisted request-header").
pub fn unsafe_header_reason(name: &str, value: &str) -> Option<Unsafe> {
    let lower = name.to_ascii_lowercase();
    if !matches!(
        lower.as_str(),
        "accept" | "accept-language" | "content-language" | "content-type" | "range"
    ) {
        return Some(Unsafe::NotSafelisted);
    }
    if value.len() > 128 {
        return Some(Unsafe::TooLong { bytes: value.len() });
    }
    let value_of = || value.to_string();
    match lower.as_str() {
        "accept" => value
            .bytes()
            .any(is_unsafe_header_byte)
            .then(|| Unsafe::UnsafeByte { value: value_of() }),
        "accept-language" | "content-language" => (!value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=')
        }))
        .then(|| Unsafe::LanguageByte { value: value_of() }),
        "content-type" => {
            if value.bytes().any(is_unsafe_header_byte) {
                return Some(Unsafe::UnsafeByte { value: value_of() });
            }
            match mime_essence(value) {
                Some(essence)
                    if matches!(
                        essence.as_str(),
                        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
                    ) =>
                {
                    None
                }
                Some(essence) => Some(Unsafe::NotSimpleContentType { essence }),
                None => Some(Unsafe::NotMimeType { value: value_of() }),
            }
        }
        "range" => (!is_simple_range(value)).then(|| Unsafe::NotSimpleRange { value: value_of() }),
        _ => None,
    }
}

/// Why a request header is CORS-unsafe (`narrate` says it in words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsafe {
    /// Its name is not one of the five safelisted ones.
    NotSafelisted,
    /// Its value is over 128 bytes.
    TooLong { bytes: usize },
    /// Its value holds a CORS-unsafe request-header byte.
    UnsafeByte { value: String },
    /// An Accept-Language or Content-Language value with a byte outside its set.
    LanguageByte { value: String },
    /// A Content-Type other than the three a form can send.
    NotSimpleContentType { essence: String },
    /// A Content-Type that does not parse as a MIME type.
    NotMimeType { value: String },
    /// A Range other than one `bytes=N-` or `bytes=N-M`.
    NotSimpleRange { value: String },
    /// Safelisted on its own, but the safelisted values together pass 1024 bytes.
    OverTotal { bytes: usize },
}

/// The essence (`type/subtype`, lowercased) of a MIME type per "parse a MIME type", or `None`
/// when it does not parse.
fn mime_essence(value: &str) -> Option<String> {
    let trimmed = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let (kind, rest) = trimmed.split_once('/')?;
    let subtype = rest
        .split(';')
        .next()
        .unwrap_or("")
        .trim_end_matches([' ', '\t', '\r', '\n']);
    (is_token(kind) && is_token(subtype)).then(|| {
        format!(
            "{}/{}",
            kind.to_ascii_lowercase(),
            subtype.to_ascii_lowercase()
        )
    })
}

/// §"simple range header value": `bytes=N-` or `bytes=N-M` with N ≤ M; no suffix ranges.
fn is_simple_range(value: &str) -> bool {
    let Some(spec) = value.strip_prefix("bytes=") else {
        return false;
    };
    let Some((start, end)) = spec.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(start) || !(end.is_empty() || digits(end)) {
        return false;
    }
    if end.is_empty() {
        return true;
    }
    // Compare as digit strings so huge numbers don't overflow.
    let norm = |s: &str| s.trim_start_matches('0').to_string();
    let (a, b) = (norm(start), norm(end));
    (a.len(), a.as_str()) <= (b.len(), b.as_str())
}

/// One request header that makes a preflight necessary, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsafeHeader {
    pub name: String,
    pub reason: Unsafe,
}

/// §"CORS-unsafe request-header names", in request order (as Chromium checks them); the
/// preflight sends them lowercased, deduplicated and byte-sorted (see [`sorted_names`]).
pub fn unsafe_request_headers(headers: &[Header]) -> Vec<UnsafeHeader> {
    let mut unsafe_headers: Vec<UnsafeHeader> = Vec::new();
    let mut safelisted = Vec::new();
    let mut safelisted_bytes = 0usize;
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        match unsafe_header_reason(name, value) {
            Some(reason) => unsafe_headers.push(UnsafeHeader {
                name: lower,
                reason,
            }),
            None => {
                safelisted_bytes += value.len();
                safelisted.push(lower);
            }
        }
    }
    if safelisted_bytes > 1024 {
        for name in safelisted {
            unsafe_headers.push(UnsafeHeader {
                name,
                reason: Unsafe::OverTotal {
                    bytes: safelisted_bytes,
                },
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    unsafe_headers.retain(|h| seen.insert(h.name.clone()));
    unsafe_headers
}

/// Why a request needs a preflight (`narrate` says it in words).
#[derive(Clone, Debug, Eq)]
pub enum PreflightReason {
    /// A method other than GET, HEAD and POST.
    Method(String),
    Header(UnsafeHeader),
    /// Words as a saved trace holds them.
    Words(String),
}

/// Facts compare as facts; a saved trace's words compare by the words.
impl PartialEq for PreflightReason {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PreflightReason::Method(a), PreflightReason::Method(b)) => a == b,
            (PreflightReason::Header(a), PreflightReason::Header(b)) => a == b,
            _ => self.to_string() == other.to_string(),
        }
    }
}

/// Why a request with `method` and these CORS-unsafe headers needs a preflight, in the order
/// the browser finds them; none when it needs none.
pub fn preflight_reasons(method: &str, unsafe_headers: &[UnsafeHeader]) -> Vec<PreflightReason> {
    let method =
        (!is_safelisted_method(method)).then(|| PreflightReason::Method(method.to_string()));
    method
        .into_iter()
        .chain(unsafe_headers.iter().cloned().map(PreflightReason::Header))
        .collect()
}

pub fn sorted_names(unsafe_headers: &[UnsafeHeader]) -> Vec<String> {
    let mut names: Vec<String> = unsafe_headers.iter().map(|h| h.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// §"CORS check", classified the way Chromium's `CheckAccess` names the failure.
pub fn cors_check(
    response: &HttpResponse,
    origin: &str,
    credentials_include: bool,
) -> Result<(), CorsFailure> {
    let allow_origin = response.header("Access-Control-Allow-Origin");
    match allow_origin.as_deref() {
        None => return Err(CorsFailure::new(CorsError::MissingAllowOriginHeader, "")),
        Some("*") if !credentials_include => return Ok(()),
        Some("*") => return Err(CorsFailure::new(CorsError::WildcardOriginNotAllowed, "*")),
        Some(value) if value != origin => {
            let error = if value.contains([' ', ',']) {
                CorsError::MultipleAllowOriginValues
            } else if value != "null" && url::Url::parse(value).is_err() {
                CorsError::InvalidAllowOriginValue
            } else {
                CorsError::AllowOriginMismatch
            };
            return Err(CorsFailure::new(error, value));
        }
        Some(_) => {}
    }
    if credentials_include {
        let allow_credentials = response.header("Access-Control-Allow-Credentials");
        if allow_credentials.as_deref() != Some("true") {
            return Err(CorsFailure::new(
                CorsError::InvalidAllowCredentials,
                allow_credentials.unwrap_or_default(),
            ));
        }
    }
    Ok(())
}

/// Parses `Access-Control-Allow-Methods`/`-Headers` as a comma list of tokens; `Err` when an
/// item is not a token (a network error). Empty items are skipped.
pub fn parse_token_list(value: Option<&str>) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut items = Vec::new();
    for item in value.split(',') {
        let item = item.trim_matches([' ', '\t']);
        if item.is_empty() {
            continue;
        }
        if !is_token(item) {
            return Err(item.to_string());
        }
        items.push(item.to_string());
    }
    Ok(items)
}

/// Chromium's cap on a preflight cache entry (`preflight_result.cc`, kMaxTimeout).
pub const CHROMIUM_MAX_AGE_CAP: u64 = 7200;
/// The standard's default when `Access-Control-Max-Age` is absent or does not parse.
pub const DEFAULT_MAX_AGE: u64 = 5;

/// Chromium keeps no preflight result for a URL this long or longer (`kMaxKeyLength` in its
/// `preflight_cache.cc`): each request to it sends its own preflight. Observed in headless
/// Chromium 148: a second PUT to a URL of 1,023 characters used the cached result, to one of
/// 1,024 or 1,100 it sent OPTIONS again. A presigned S3 URL with a session token is this long.
pub const CHROMIUM_LONGEST_CACHED_URL: usize = 1023;

/// Whether Chromium may keep a preflight result for `url` (as serialized, which is ASCII).
pub fn chromium_caches_preflight_for(url: &str) -> bool {
    url.len() <= CHROMIUM_LONGEST_CACHED_URL
}

/// How a preflight answer's `Access-Control-Max-Age` was read (`narrate` says it in words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaxAgeRule {
    /// None sent: the default 5 s.
    Absent,
    /// Cached for `seconds`, as sent.
    Seconds { raw: String, seconds: u64 },
    /// Not delta-seconds (the standard): the default 5 s.
    NotDeltaSeconds { raw: String },
    /// Negative: Chromium does not cache it.
    Negative { raw: String },
    /// Over Chromium's cap of 7200 s.
    Capped { raw: String },
    /// Not a number to Chromium: the default 5 s.
    Unparsed { raw: String },
    /// Chromium caches nothing for a URL of `length` characters, whatever the header says.
    UrlTooLong { length: usize },
}

/// Seconds a preflight result stays cached under `profile`, and how that was decided.
pub fn max_age(value: Option<&str>, profile: BrowserProfile) -> (u64, MaxAgeRule) {
    let Some(raw) = value else {
        return (DEFAULT_MAX_AGE, MaxAgeRule::Absent);
    };
    let raw_text = || raw.to_string();
    match profile {
        BrowserProfile::Standard => {
            if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
                let seconds = raw.parse::<u64>().unwrap_or(u64::MAX);
                let rule = MaxAgeRule::Seconds {
                    raw: raw_text(),
                    seconds,
                };
                (seconds, rule)
            } else {
                let rule = MaxAgeRule::NotDeltaSeconds { raw: raw_text() };
                (DEFAULT_MAX_AGE, rule)
            }
        }
        BrowserProfile::Chromium => {
            let parsed = raw.parse::<i64>().ok().or_else(|| {
                // Digits too large for i64 still mean "a very long time".
                (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())).then_some(i64::MAX)
            });
            match parsed {
                Some(n) if n < 0 => (0, MaxAgeRule::Negative { raw: raw_text() }),
                Some(n) if n as u64 > CHROMIUM_MAX_AGE_CAP => {
                    (CHROMIUM_MAX_AGE_CAP, MaxAgeRule::Capped { raw: raw_text() })
                }
                Some(n) => {
                    let seconds = n as u64;
                    let rule = MaxAgeRule::Seconds {
                        raw: raw_text(),
                        seconds,
                    };
                    (seconds, rule)
                }
                None => (DEFAULT_MAX_AGE, MaxAgeRule::Unparsed { raw: raw_text() }),
            }
        }
    }
}

/// §"CORS-safelisted response-header name": what script can always read.
pub const SAFELISTED_RESPONSE_HEADERS: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// Response header names script can read from a CORS response (§"CORS filtered response"),
/// lowercased, in response order.
pub fn exposed_headers(response: &HttpResponse, credentials_include: bool) -> Vec<String> {
    let listed: Vec<String> = response
        .header("Access-Control-Expose-Headers")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim_matches([' ', '\t']).to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let wildcard = !credentials_include && listed.iter().any(|n| n == "*");
    let listed: foldhash::HashSet<String> = listed.into_iter().collect();
    let mut seen = foldhash::HashSet::default();
    let mut exposed: Vec<String> = Vec::new();
    for (name, _) in &response.headers {
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "set-cookie" | "set-cookie2") || seen.contains(&lower) {
            continue;
        }
        if SAFELISTED_RESPONSE_HEADERS.contains(&lower.as_str())
            || wildcard
            || listed.contains(&lower)
        {
            seen.insert(lower.clone());
            exposed.push(lower);
        }
    }
    exposed
}

/// Fetch's limit on redirects (§"HTTP-redirect fetch"); Chromium's too.
pub const MAX_REDIRECTS: usize = 20;

/// What following a redirect does to the request (Fetch §"HTTP-redirect fetch").
pub struct RedirectHop<'a> {
    /// The next hop's method: 301/302 turn a POST, 303 anything but GET and HEAD, into a GET.
    pub method: &'a str,
    /// The origins the hop leads from and to.
    pub from_origin: Option<String>,
    pub to_origin: Option<String>,
    /// The request's origin is tainted: the next hops send `Origin: null`.
    pub tainted: bool,
}

impl RedirectHop<'_> {
    /// The hop leaves the origin it was on (Authorization is dropped).
    pub fn cross_origin(&self) -> bool {
        self.from_origin != self.to_origin
    }
}

/// The hop a `status` redirect from `from` to `to` makes, for a request with `method` that
/// carried `origin` (`null` once tainted), from a page on `page_origin`.
pub fn redirect_hop<'a>(
    (status, method): (u16, &'a str),
    (from, to): (&url::Url, &url::Url),
    origin: &str,
    page_origin: &str,
) -> RedirectHop<'a> {
    let method = match (status, method) {
        (301 | 302, "POST") => "GET",
        (303, m) if m != "GET" && m != "HEAD" => "GET",
        (_, m) => m,
    };
    let from_origin = origin_of(from);
    let to_origin = origin_of(to);
    let tainted = origin == "null"
        || (from_origin != to_origin && from_origin.as_deref() != Some(page_origin));
    RedirectHop {
        method,
        from_origin,
        to_origin,
        tainted,
    }
}

/// What the browser does with a request from a page at `page_origin` to `url` before anything
/// is sent (Mixed Content §"Should fetching request be blocked as mixed content?", Chromium 156,
/// `tests/fixtures/chromium/lab/mixed-content.json`): an HTTPS page may not fetch an `http:`
/// URL unless it is potentially trustworthy (a loopback address or a `localhost` name), a
/// private address or a `.local` name (only a warning: Local Network Access decides, observed
/// in Chromium 156, `tests/fixtures/chromium/local-network-access.observed.json`; other
/// intranet names, `.corp`, `.internal`, `.home.arpa`, are blocked). An image
/// is upgraded to `https:` instead; anything else (fetch() in any mode, XMLHttpRequest, a
/// script, a font) is blocked, and the console says "Mixed Content".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MixedContent {
    /// Not mixed content: the request goes as it is.
    None,
    /// An image's URL, upgraded to `https:`.
    Upgraded(url::Url),
    /// Blocked before it was sent.
    Blocked,
}

pub fn mixed_content(page_origin: &str, url: &url::Url, initiator: Initiator) -> MixedContent {
    // A loopback or private address is only warned about: Local Network Access decides.
    if !page_origin.starts_with("https://")
        || url.scheme() != "http"
        || address_space(url) != AddressSpace::Public
    {
        return MixedContent::None;
    }
    // An image is upgraded, unless its host is an address: then it is blocked too (observed
    // in Chromium 156: "not upgraded to HTTPS because its URL's host is an IP address").
    let address = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    if initiator != Initiator::Img || address {
        return MixedContent::Blocked;
    }
    at_https(url).map_or(MixedContent::Blocked, MixedContent::Upgraded)
}

/// `url` at `https:`, as the browser upgrades it: the default port goes with the scheme, an
/// explicit one stays (observed in Chromium 156). `None` for a URL that cannot take `https:`.
pub fn at_https(url: &url::Url) -> Option<url::Url> {
    let mut upgraded = url.clone();
    upgraded.set_scheme("https").ok()?;
    upgraded.set_port(url.port()).ok()?;
    Some(upgraded)
}

/// Where a host is, as Local Network Access sorts hosts: this machine, a private network, or
/// the internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSpace {
    Loopback,
    Local,
    Public,
}

impl AddressSpace {
    /// Chromium's word for it, as its console line writes it.
    pub fn name(self) -> &'static str {
        match self {
            AddressSpace::Loopback => "loopback",
            AddressSpace::Local => "local",
            AddressSpace::Public => "public",
        }
    }
}

/// The address space of `url`'s host, a name resolved by the scenario's `addresses` first
/// (Local Network Access sorts a request by the address it reaches; see [`address_space`]).
pub fn address_space_in(url: &url::Url, addresses: &crate::scenario::Addresses) -> AddressSpace {
    match url.host() {
        Some(url::Host::Domain(name)) => addresses
            .of(name)
            .map_or_else(|| address_space(url), space_of_address),
        _ => address_space(url),
    }
}

/// The address space of `url`'s host. An address literal is sorted by its range (loopback;
/// the private, link-local and unique-local ranges), `localhost` names are loopback, and a
/// `.local` name (multicast DNS, answered on the local network) is taken to be local. Any other
/// name is taken to be public: the simulation resolves no names, so a page or server on an
/// intranet name is judged as if it were on the internet (a scenario's `addresses` say
/// otherwise: [`address_space_in`]).
pub fn address_space(url: &url::Url) -> AddressSpace {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => space_of_address(ip.into()),
        Some(url::Host::Ipv6(ip)) => space_of_address(ip.into()),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                AddressSpace::Loopback
            } else if name.ends_with(".local") {
                AddressSpace::Local
            } else {
                AddressSpace::Public
            }
        }
        None => AddressSpace::Public,
    }
}

/// The address space of an address, by its range: loopback; the private, link-local and
/// unique-local ranges (local); any other (public).
pub fn space_of_address(address: std::net::IpAddr) -> AddressSpace {
    let v4 = |ip: std::net::Ipv4Addr| {
        if ip.is_loopback() {
            AddressSpace::Loopback
        } else if ip.is_private() || ip.is_link_local() {
            AddressSpace::Local
        } else {
            AddressSpace::Public
        }
    };
    match address {
        std::net::IpAddr::V4(ip) => v4(ip),
        std::net::IpAddr::V6(ip) if ip.is_loopback() => AddressSpace::Loopback,
        std::net::IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => v4(mapped),
            // fc00::/7 (unique local) and fe80::/10 (link-local).
            None if (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80 =>
            {
                AddressSpace::Local
            }
            None => AddressSpace::Public,
        },
    }
}

/// Local Network Access, as Chromium 156 enforces it before anything is sent
/// (`tests/fixtures/chromium/local-network-access.observed.json`): a page on the public
/// internet may reach a loopback or local address only with the user's permission, which
/// headless Chromium, and a user who blocks the prompt, deny; from a page that is not a
/// secure context (http:, not localhost) it may not at all. A page on a local or loopback
/// address is not restricted. The failure's parameter is the URL refused. `None`
/// when the request may go (or the page's origin is opaque, so its address is unknown).
pub fn local_network_access(
    page_origin: &str,
    url: &url::Url,
    addresses: &crate::scenario::Addresses,
) -> Option<CorsFailure> {
    let page = url::Url::parse(page_origin).ok()?;
    if address_space_in(&page, addresses) != AddressSpace::Public {
        return None;
    }
    let target = address_space_in(url, addresses);
    if target == AddressSpace::Public {
        return None;
    }
    let error = if page.scheme() == "https" {
        CorsError::LocalNetworkAccessPermissionDenied
    } else {
        CorsError::InsecureLocalNetwork
    };
    let mut failure = CorsFailure::new(error, url.as_str());
    failure.space = Some(target);
    Some(failure)
}

/// How Chromium ends a redirect to a URL that parses but is not http(s), by its scheme and the
/// request's mode (Chromium 156, `tests/fixtures/chromium/lab/redirect-schemes.json`): `data:`,
/// `file:`, `about:` and `blob:` are unsafe redirects in every mode; any other scheme is a CORS
/// error at the new URL for a CORS request, and an unknown scheme for a no-cors one. (Chromium
/// 148 made `ws:` and `wss:` an unknown scheme for a CORS request too.)
pub fn chromium_scheme_error(scheme: &str, cors: bool) -> CorsError {
    match scheme {
        "data" | "file" | "about" | "blob" => CorsError::UnsafeRedirect,
        _ if cors => CorsError::CorsDisabledScheme,
        _ => CorsError::UnknownUrlScheme,
    }
}

/// How an `<img>`, a `<script>` or a font fares with its answer, CORS aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementOutcome {
    /// The image shows, or the script runs.
    Loads,
    /// Not loaded: the status (an image with no image in its answer: not 2xx; a script: 400 or
    /// more).
    ErrorStatus,
    /// Not loaded: the answer is 2xx but no image (an `<img>`) or of a type a script may not be
    /// run as (`image/…`, `audio/…`, `video/…`, `text/csv`; under `nosniff`, any but JavaScript).
    WrongType,
    /// Withheld by Chromium's Opaque Response Blocking before the element saw it.
    Withheld(super::orb::OrbBlocked),
    /// Refused by the answer's own `Cross-Origin-Resource-Policy`.
    Refused(super::corp::CorpPolicy),
}

/// Whether a no-cors `<img>` or `<script>` loads `response`. Chromium (observed in Chromium 156,
/// `tests/fixtures/chromium/opaque-response-blocking.observed.json`): ORB first; then an
/// `<img>` shows whatever is an image, a 403 or 404 included, and a `<script>` fails on 400 and
/// above, on a media type, and under `nosniff` on any but a JavaScript type
/// (`tests/fixtures/chromium/script-types.observed.json`). An answer that holds no content (no body, or none but a
/// description with no type) is taken to be what the element asked for, its status deciding
/// as for [`element_loads`]. The standard profile has no ORB and goes by the status alone.
pub fn no_cors_element(
    initiator: Initiator,
    response: &HttpResponse,
    profile: BrowserProfile,
) -> ElementOutcome {
    element_outcome(initiator, response, profile, true)
}

/// Whether an element with `crossorigin` (or a font) loads an answer that passed the CORS
/// check: as [`no_cors_element`], without ORB, which looks only at no-cors answers. (inferred
/// from the no-cors observations: the same image decoder and script MIME check.)
pub fn cors_element(
    initiator: Initiator,
    response: &HttpResponse,
    profile: BrowserProfile,
) -> ElementOutcome {
    element_outcome(initiator, response, profile, false)
}

/// How an element fares with `response`; `opaque`: the answer is another origin's to a no-cors
/// load, so ORB looks at it first.
pub fn element_outcome(
    initiator: Initiator,
    response: &HttpResponse,
    profile: BrowserProfile,
    opaque: bool,
) -> ElementOutcome {
    let by_status = || {
        if element_loads(initiator, response.status) {
            ElementOutcome::Loads
        } else {
            ElementOutcome::ErrorStatus
        }
    };
    if profile == BrowserProfile::Standard {
        return by_status();
    }
    let orb = super::orb::decide(response, false);
    if let super::orb::Orb::Blocked(why) = orb
        && opaque
    {
        return ElementOutcome::Withheld(why);
    }
    let essence = super::orb::essence(response);
    match initiator {
        Initiator::Script => {
            let media = essence
                .as_deref()
                .is_some_and(|t| super::orb::is_media(t) || t == "text/csv");
            // Under nosniff, only a JavaScript type runs ("strict MIME type checking").
            let strict = super::orb::nosniff(response)
                && !essence.as_deref().is_some_and(super::orb::is_javascript);
            if !element_loads(initiator, response.status) {
                ElementOutcome::ErrorStatus
            } else if media || strict {
                ElementOutcome::WrongType
            } else {
                ElementOutcome::Loads
            }
        }
        Initiator::Img => {
            let image = matches!(
                orb,
                super::orb::Orb::Allowed(super::orb::OrbAllowed::MediaBody)
            ) || essence.as_deref() == Some("image/svg+xml");
            // A body the scenario leaves out (empty, or only described) is taken to be the
            // image asked for when its type allows (inferred); one it holds is text, no image.
            let held =
                !response.body.is_empty() && crate::http::described_body(&response.body).is_none();
            let may_be_image = essence
                .as_deref()
                .is_none_or(|t| t.starts_with("image/") || t.ends_with("/octet-stream"));
            if image {
                ElementOutcome::Loads
            } else if !held && may_be_image {
                by_status()
            } else if !element_loads(initiator, response.status) {
                ElementOutcome::ErrorStatus
            } else {
                ElementOutcome::WrongType
            }
        }
        Initiator::Fetch | Initiator::Xhr | Initiator::Font => by_status(),
    }
}

/// Whether an element loads the answer it got, CORS aside: Chromium fails an `<img>` or a
/// font whose answer is not 2xx, and a `<script>` whose answer is 400 or more (a 3xx without
/// `Location` still runs). fetch() and XMLHttpRequest hand any status to the script. Observed in
/// Chromium 156 (`tests/fixtures/chromium/lab/element-statuses.json`); HTML's "fetch a classic
/// script" asks for an ok status.
pub fn element_loads(initiator: Initiator, status: u16) -> bool {
    match initiator {
        Initiator::Fetch | Initiator::Xhr => true,
        Initiator::Img | Initiator::Font => (200..=299).contains(&status),
        Initiator::Script => status < 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chromium 156 with its address spaces overridden (the observation file): public to
    /// loopback or local needs a permission (or is refused outright from http:); anything from
    /// a local or loopback page, and public to public, is not restricted.
    #[test]
    fn local_network_access_restricts_only_public_pages() {
        let url = |text: &str| url::Url::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let denied = |page: &str, target: &str| {
            local_network_access(page, &url(target), &Default::default())
                .map(|f| (f.error, f.address_space().name()))
        };
        let permission = CorsError::LocalNetworkAccessPermissionDenied;
        for (target, space) in [
            ("http://127.0.0.1:8080/a", "loopback"),
            ("http://localhost:8080/a", "loopback"),
            ("http://api.localhost/a", "loopback"),
            ("http://[::1]:8080/a", "loopback"),
            ("http://192.168.1.20/a", "local"),
            ("http://10.0.0.5/a", "local"),
            ("http://172.20.0.1/a", "local"),
            ("http://169.254.169.254/a", "local"),
            ("http://[fd00::1]/a", "local"),
            ("http://[::ffff:10.1.2.3]/a", "local"),
            ("http://printer.local:8080/a", "local"),
        ] {
            assert_eq!(
                denied("https://app.example", target),
                Some((permission, space)),
                "{target}"
            );
            assert_eq!(
                denied("http://app.example", target),
                Some((CorsError::InsecureLocalNetwork, space)),
                "{target}"
            );
        }
        for (page, target) in [
            ("https://app.example", "https://api.example/a"),
            ("https://app.example", "http://8.8.8.8/a"),
            ("https://app.example", "http://172.32.0.1/a"),
            ("https://app.example", "https://intranet.corp/a"),
            ("http://nas.local", "http://localhost:8080/a"),
            ("http://localhost:3000", "http://127.0.0.1:8080/a"),
            ("http://192.168.1.10", "http://localhost:8080/a"),
            ("http://10.0.0.1", "http://10.0.0.2/a"),
            ("null", "http://127.0.0.1/a"),
        ] {
            assert_eq!(denied(page, target), None, "{page} → {target}");
        }
    }

    #[test]
    fn an_https_page_blocks_http_urls_but_upgrades_images_and_spares_loopback() {
        let url = |text: &str| url::Url::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let page = "https://app.example";
        let api = url("http://api.example/a");
        assert_eq!(
            mixed_content(page, &api, Initiator::Fetch),
            MixedContent::Blocked
        );
        for initiator in [Initiator::Xhr, Initiator::Script, Initiator::Font] {
            assert_eq!(mixed_content(page, &api, initiator), MixedContent::Blocked);
        }
        assert_eq!(
            mixed_content(page, &api, Initiator::Img),
            MixedContent::Upgraded(url("https://api.example/a"))
        );
        // An explicit port stays: only the scheme changes.
        assert_eq!(
            mixed_content(page, &url("http://api.example:8080/a"), Initiator::Img),
            MixedContent::Upgraded(url("https://api.example:8080/a"))
        );
        // An image at a public address is not upgraded but blocked; at a private address or
        // a .local name, only warned about (Local Network Access decides).
        assert_eq!(
            mixed_content(page, &url("http://203.0.113.5/i.png"), Initiator::Img),
            MixedContent::Blocked
        );
        for local in ["http://10.77.0.1/i.png", "http://printer.local/i.png"] {
            assert_eq!(
                mixed_content(page, &url(local), Initiator::Img),
                MixedContent::None,
                "{local}"
            );
        }
        for trustworthy in [
            "http://localhost/a",
            "http://dev.localhost:3000/a",
            "http://127.0.0.1/a",
            "http://127.8.0.1/a",
            "http://[::1]/a",
        ] {
            assert_eq!(
                mixed_content(page, &url(trustworthy), Initiator::Fetch),
                MixedContent::None,
                "{trustworthy}"
            );
        }
        // Not an HTTPS page, or not an http: URL: nothing to decide.
        assert_eq!(
            mixed_content("http://app.example", &api, Initiator::Fetch),
            MixedContent::None
        );
        assert_eq!(
            mixed_content("null", &api, Initiator::Fetch),
            MixedContent::None
        );
        assert_eq!(
            mixed_content(page, &url("https://api.example/a"), Initiator::Fetch),
            MixedContent::None
        );
    }

    fn response(headers: &[(&str, &str)]) -> HttpResponse {
        crate::http::test_response(200, headers)
    }

    #[test]
    fn each_unsafe_header_says_which_rule_it_breaks() {
        let cases = [
            ("X-Api-Key", "k".to_string(), Unsafe::NotSafelisted),
            ("Accept", "a".repeat(129), Unsafe::TooLong { bytes: 129 }),
            (
                "Accept",
                "text/html\"".to_string(),
                Unsafe::UnsafeByte {
                    value: "text/html\"".to_string(),
                },
            ),
            (
                "Content-Language",
                "en_US".to_string(),
                Unsafe::LanguageByte {
                    value: "en_US".to_string(),
                },
            ),
            (
                "Content-Type",
                "Application/JSON; charset=utf-8".to_string(),
                Unsafe::NotSimpleContentType {
                    essence: "application/json".to_string(),
                },
            ),
            (
                "Content-Type",
                "text".to_string(),
                Unsafe::NotMimeType {
                    value: "text".to_string(),
                },
            ),
            (
                "Range",
                "bytes=-5".to_string(),
                Unsafe::NotSimpleRange {
                    value: "bytes=-5".to_string(),
                },
            ),
        ];
        for (name, value, reason) in cases {
            assert_eq!(unsafe_header_reason(name, &value), Some(reason), "{name}");
        }
        // Each safelisted on its own, together over 1024 bytes: all become unsafe.
        let long = "a".repeat(128);
        let headers: Vec<Header> = (0..9)
            .map(|_| ("Accept".into(), long.as_str().into()))
            .collect();
        let found = unsafe_request_headers(&headers);
        assert_eq!(
            found,
            vec![UnsafeHeader {
                name: "accept".to_string(),
                reason: Unsafe::OverTotal { bytes: 9 * 128 },
            }]
        );
    }

    #[test]
    fn max_age_says_how_it_was_read_under_each_profile() {
        use BrowserProfile::{Chromium, Standard};
        let raw = |text: &str| text.to_string();
        assert_eq!(max_age(None, Standard), (5, MaxAgeRule::Absent));
        assert_eq!(
            max_age(Some("-1"), Chromium),
            (0, MaxAgeRule::Negative { raw: raw("-1") })
        );
        assert_eq!(
            max_age(Some("-1"), Standard),
            (5, MaxAgeRule::NotDeltaSeconds { raw: raw("-1") })
        );
        assert_eq!(
            max_age(Some("86400"), Chromium),
            (7200, MaxAgeRule::Capped { raw: raw("86400") })
        );
        assert_eq!(
            max_age(Some("1.5"), Chromium),
            (5, MaxAgeRule::Unparsed { raw: raw("1.5") })
        );
        assert_eq!(
            max_age(Some("600"), Chromium),
            (
                600,
                MaxAgeRule::Seconds {
                    raw: raw("600"),
                    seconds: 600
                }
            )
        );
    }

    #[test]
    fn safelisted_methods_are_exactly_get_head_post() {
        assert!(
            is_safelisted_method("GET")
                && is_safelisted_method("HEAD")
                && is_safelisted_method("POST")
        );
        assert!(!is_safelisted_method("PUT") && !is_safelisted_method("patch"));
    }

    #[test]
    fn content_type_safelist_follows_the_mime_essence() {
        assert_eq!(
            unsafe_header_reason("Content-Type", "text/plain;charset=UTF-8"),
            None
        );
        assert_eq!(
            unsafe_header_reason("content-type", "Multipart/Form-Data; boundary=x"),
            None
        );
        assert!(unsafe_header_reason("Content-Type", "application/json").is_some());
        assert!(unsafe_header_reason("Content-Type", "application/octet-stream").is_some());
        assert!(
            unsafe_header_reason("Content-Type", "text/plain\"x").is_some(),
            "unsafe byte"
        );
        assert!(
            unsafe_header_reason("Content-Type", "text").is_some(),
            "not a MIME type"
        );
    }

    #[test]
    fn values_over_128_bytes_are_unsafe() {
        let long = format!("text/plain;x={}", "a".repeat(120));
        assert!(unsafe_header_reason("Content-Type", &long).is_some());
        assert_eq!(unsafe_header_reason("Accept", &"a".repeat(128)), None);
    }

    #[test]
    fn language_headers_allow_only_their_bytes() {
        assert_eq!(
            unsafe_header_reason("Accept-Language", "en-US,en;q=0.9"),
            None
        );
        assert!(unsafe_header_reason("Content-Language", "en_US").is_some());
    }

    #[test]
    fn range_must_be_simple() {
        assert_eq!(unsafe_header_reason("Range", "bytes=0-499"), None);
        assert_eq!(unsafe_header_reason("Range", "bytes=500-"), None);
        assert!(
            unsafe_header_reason("Range", "bytes=-500").is_some(),
            "suffix range"
        );
        assert!(unsafe_header_reason("Range", "bytes=5-1").is_some());
        assert!(unsafe_header_reason("Range", "bytes=0-1,3-4").is_some());
    }

    #[test]
    fn other_names_are_never_safelisted() {
        for name in [
            "Authorization",
            "X-Amz-Date",
            "Cache-Control",
            "If-None-Match",
        ] {
            assert!(unsafe_header_reason(name, "x").is_some(), "{name}");
        }
    }

    #[test]
    fn safelisted_values_over_1024_bytes_together_become_unsafe() {
        let value = "a".repeat(120);
        let headers: Vec<Header> = (0..9)
            .map(|_| ("Accept".into(), value.as_str().into()))
            .collect();
        let names = unsafe_request_headers(&headers);
        assert_eq!(sorted_names(&names), vec!["accept"]);
        assert!(unsafe_request_headers(&headers[..8]).is_empty());
    }

    #[test]
    fn unsafe_names_are_lowercased_sorted_and_deduplicated_for_the_preflight() {
        let headers: Vec<Header> = vec![
            ("X-Zeta".into(), "1".into()),
            ("Content-Type".into(), "application/json".into()),
            ("x-zeta".into(), "2".into()),
        ];
        let unsafe_headers = unsafe_request_headers(&headers);
        assert_eq!(
            unsafe_headers[0].name, "x-zeta",
            "request order kept for Chromium's check"
        );
        assert_eq!(
            sorted_names(&unsafe_headers),
            vec!["content-type", "x-zeta"]
        );
    }

    #[test]
    fn cors_check_steps_in_order() {
        let origin = "https://a.example";
        assert_eq!(
            cors_check(&response(&[]), origin, false).map_err(|f| f.error),
            Err(CorsError::MissingAllowOriginHeader)
        );
        assert!(
            cors_check(
                &response(&[("Access-Control-Allow-Origin", "*")]),
                origin,
                false
            )
            .is_ok()
        );
        assert_eq!(
            cors_check(
                &response(&[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Credentials", "true")
                ]),
                origin,
                true
            )
            .map_err(|f| f.error),
            Err(CorsError::WildcardOriginNotAllowed)
        );
        assert_eq!(
            cors_check(
                &response(&[("Access-Control-Allow-Origin", "https://a.example/")]),
                origin,
                false
            )
            .map_err(|f| f.error),
            Err(CorsError::AllowOriginMismatch),
            "a trailing slash is a different string"
        );
        assert_eq!(
            cors_check(
                &response(&[
                    ("Access-Control-Allow-Origin", "https://a.example"),
                    ("Access-Control-Allow-Origin", "https://b.example")
                ]),
                origin,
                false
            )
            .map_err(|f| f.error),
            Err(CorsError::MultipleAllowOriginValues)
        );
        assert_eq!(
            cors_check(
                &response(&[("Access-Control-Allow-Origin", "a.example")]),
                origin,
                false
            )
            .map_err(|f| f.error),
            Err(CorsError::InvalidAllowOriginValue)
        );
        assert!(
            cors_check(
                &response(&[("Access-Control-Allow-Origin", origin)]),
                origin,
                false
            )
            .is_ok()
        );
        assert_eq!(
            cors_check(
                &response(&[
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Credentials", "True")
                ]),
                origin,
                true
            ),
            Err(CorsFailure::new(CorsError::InvalidAllowCredentials, "True")),
            "ACAC is case-sensitive"
        );
        assert!(
            cors_check(
                &response(&[("Access-Control-Allow-Origin", "null")]),
                "null",
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn max_age_parsing_differs_only_where_chromium_differs() {
        use BrowserProfile::*;
        assert_eq!(max_age(None, Chromium).0, 5);
        assert_eq!(max_age(Some("3000"), Standard).0, 3000);
        assert_eq!(max_age(Some("86400"), Chromium).0, 7200);
        assert_eq!(max_age(Some("86400"), Standard).0, 86400);
        assert_eq!(max_age(Some("-1"), Chromium).0, 0);
        assert_eq!(max_age(Some("-1"), Standard).0, 5);
        assert_eq!(max_age(Some("abc"), Chromium).0, 5);
        assert_eq!(max_age(Some("1.5"), Standard).0, 5);
        assert_eq!(max_age(Some("99999999999999999999"), Chromium).0, 7200);
    }

    #[test]
    fn exposure_is_safelist_plus_expose_headers_minus_set_cookie() {
        let r = response(&[
            ("Content-Type", "image/jpeg"),
            ("ETag", "\"abc\""),
            ("x-amz-request-id", "1"),
            ("Set-Cookie", "a=b"),
            ("Access-Control-Expose-Headers", "ETag, Set-Cookie"),
        ]);
        assert_eq!(exposed_headers(&r, false), vec!["content-type", "etag"]);
        let star = response(&[("ETag", "1"), ("Access-Control-Expose-Headers", "*")]);
        assert_eq!(
            exposed_headers(&star, false),
            vec!["etag", "access-control-expose-headers"]
        );
        assert!(
            exposed_headers(&star, true).is_empty(),
            "* is literal with credentials"
        );
    }

    /// A body the scenario leaves out is taken to be what the element asked for, its status
    /// deciding; one it holds as text is no image; ORB comes first, in Chromium only.
    #[test]
    fn a_no_cors_element_fares_by_what_its_answer_holds() {
        let answer = |status: u16, content_type: Option<&str>, body: &str| {
            let headers: Vec<(&str, &str)> = content_type
                .map(|t| ("Content-Type", t))
                .into_iter()
                .collect();
            let mut response = crate::http::test_response(status, &headers);
            response.body = body.to_string();
            response
        };
        let img = |response: &HttpResponse| {
            no_cors_element(Initiator::Img, response, BrowserProfile::Chromium)
        };
        let described = crate::http::describe_body(2048, "image/png");
        assert_eq!(
            img(&answer(200, Some("image/png"), "")),
            ElementOutcome::Loads
        );
        assert_eq!(
            img(&answer(404, Some("image/png"), "")),
            ElementOutcome::ErrorStatus
        );
        assert_eq!(
            img(&answer(404, Some("image/png"), &described)),
            ElementOutcome::Loads
        );
        assert_eq!(img(&answer(200, None, "")), ElementOutcome::Loads);
        assert_eq!(
            img(&answer(200, Some("text/plain"), "hi")),
            ElementOutcome::WrongType
        );
        assert_eq!(
            img(&answer(403, Some("text/plain"), "hi")),
            ElementOutcome::ErrorStatus
        );
        let xml = answer(
            403,
            Some("application/xml"),
            "<?xml version=\"1.0\"?><Error/>",
        );
        assert!(matches!(img(&xml), ElementOutcome::Withheld(_)));
        assert_eq!(
            no_cors_element(Initiator::Img, &xml, BrowserProfile::Standard),
            ElementOutcome::ErrorStatus
        );
        // With crossorigin, ORB does not apply: an XML page is simply no image.
        assert_eq!(
            cors_element(Initiator::Img, &xml, BrowserProfile::Chromium),
            ElementOutcome::ErrorStatus
        );
        let json = answer(200, Some("application/json"), "{\"a\": 1}");
        assert_eq!(
            cors_element(Initiator::Img, &json, BrowserProfile::Chromium),
            ElementOutcome::WrongType
        );
        assert_eq!(
            cors_element(Initiator::Img, &json, BrowserProfile::Standard),
            ElementOutcome::Loads
        );
        let script = |response: &HttpResponse| {
            no_cors_element(Initiator::Script, response, BrowserProfile::Chromium)
        };
        assert_eq!(
            script(&answer(200, Some("image/png"), &described)),
            ElementOutcome::WrongType
        );
        assert_eq!(
            script(&answer(200, Some("text/plain"), "x()")),
            ElementOutcome::Loads
        );
        assert_eq!(
            script(&answer(404, Some("text/javascript"), "x()")),
            ElementOutcome::ErrorStatus
        );
    }

    #[test]
    fn an_element_loads_by_its_status_and_a_script_reads_any() {
        for (status, image, script) in [
            (200, true, true),
            (299, true, true),
            (300, false, true),
            (399, false, true),
            (400, false, false),
            (500, false, false),
        ] {
            assert_eq!(element_loads(Initiator::Img, status), image, "img {status}");
            assert_eq!(
                element_loads(Initiator::Font, status),
                image,
                "font {status}"
            );
            assert_eq!(
                element_loads(Initiator::Script, status),
                script,
                "script {status}"
            );
            assert!(element_loads(Initiator::Fetch, status));
            assert!(element_loads(Initiator::Xhr, status));
        }
    }
}
