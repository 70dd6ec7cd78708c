//! CloudFront in front of an origin (`AWS::CloudFront::Distribution`), as
//! `shared/reference/aws-cors-surfaces.md` §4 describes it: not a CORS engine but a cache and a
//! decorator. One cache behavior and its policies (`config`) decide which methods pass, what
//! the cache key holds, what reaches the origin, how long answers stay, and which CORS headers
//! a response headers policy adds.
//!
//! Evidence, as each explanation says it:
//! - documented: the cache key holds only what the cache policy names (host and path by
//!   default), the origin request policy adds to what the origin gets but not to the key;
//!   managed policies' settings; `Accept-Encoding` normalised to `br,gzip`, `gzip` or `br`
//!   when compression caching is on; TTLs from `Cache-Control` clamped to MinTTL–MaxTTL;
//!   404, 405, 414 and 5xx cached for at least 10 s, 400, 403, 412 and 415 only with
//!   `max-age`; GET and HEAD always cached, OPTIONS when configured; each edge location its own
//!   cache; a response headers policy applies to cached answers too, header by header as
//!   OriginOverride says;
//! - observed: a method the behavior does not allow gets CloudFront's own 403 HTML page; an
//!   OPTIONS goes to the origin and the policy decorates the origin's answer (ACAO reflected,
//!   ACAM comma-joined, three `Vary` lines on a preflight, `Vary: Origin` otherwise); the first
//!   answer stored is replayed to everyone whose request has the same key;
//! - inferred: the policy adds nothing for an Origin it does not allow; the managed preflight
//!   policies' method and header lists.

pub(crate) mod audit;
pub mod config;

use crate::http::Header;
use std::fmt;
use std::sync::Arc;

use foldhash::HashMap;

use super::ServerNote;
use super::bucket::{Joined, stable_id};
use crate::http::{HttpRequest, HttpResponse};
pub use config::{Behavior, CorsConfig, ResponseHeadersPolicy, Selection};

/// The layer's configuration as the scenario file wrote it, kept to write it back unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub behavior: serde_json::Value,
    pub cache_policy: Option<serde_json::Value>,
    pub origin_request_policy: Option<serde_json::Value>,
    pub response_headers_policy: Option<serde_json::Value>,
}

/// A distribution's cache behavior, validated, and the file's spelling of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudFront {
    pub behavior: Arc<Behavior>,
    pub written: Written,
}

/// A policy given alone, to put in a behavior in place of its policy of that kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    Cache(config::CachePolicy, serde_json::Value),
    OriginRequest(config::OriginRequestPolicy, serde_json::Value),
    ResponseHeaders(ResponseHeadersPolicy, serde_json::Value),
}

impl Policy {
    /// "cache policy NAME", and so on.
    pub fn describe(&self) -> String {
        match self {
            Policy::Cache(p, _) => format!("CloudFront cache policy {}", p.name),
            Policy::OriginRequest(p, _) => format!("CloudFront origin request policy {}", p.name),
            Policy::ResponseHeaders(p, _) => {
                format!("CloudFront response headers policy {}", p.name)
            }
        }
    }
}

impl CloudFront {
    /// Puts `policy` in place of the behavior's policy of its kind; the file's spelling of it
    /// goes with it.
    pub fn put(&mut self, policy: Policy) {
        let behavior = Arc::make_mut(&mut self.behavior);
        let written = &mut self.written;
        let id = |name: &str| serde_json::Value::String(name.to_string());
        let set_id = |behavior: &mut serde_json::Value, key: &str, name: &str| {
            if let serde_json::Value::Object(map) = behavior {
                // A cache policy replaces the legacy cache settings.
                if key == "CachePolicyId" {
                    for legacy in ["ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"] {
                        map.remove(legacy);
                    }
                }
                map.insert(key.to_string(), id(name));
            }
        };
        match policy {
            Policy::Cache(p, raw) => {
                set_id(&mut written.behavior, "CachePolicyId", &p.name);
                written.cache_policy = Some(raw);
                behavior.cache = p;
            }
            Policy::OriginRequest(p, raw) => {
                set_id(&mut written.behavior, "OriginRequestPolicyId", &p.name);
                written.origin_request_policy = Some(raw);
                behavior.origin_request = Some(p);
            }
            Policy::ResponseHeaders(p, raw) => {
                set_id(&mut written.behavior, "ResponseHeadersPolicyId", &p.name);
                written.response_headers_policy = Some(raw);
                behavior.response_headers = Some(p);
            }
        }
    }

    /// One line saying how the behavior is set up.
    pub fn summary(&self) -> String {
        let b = &self.behavior;
        let mut text = format!(
            "CloudFront, methods {}{}, cache policy {}",
            b.allowed_methods.join(", "),
            if b.cached_options {
                " (OPTIONS cached)"
            } else {
                ""
            },
            b.cache.name
        );
        if let Some(policy) = &b.origin_request {
            text.push_str(&format!(", origin request policy {}", policy.name));
        }
        if let Some(policy) = &b.response_headers {
            text.push_str(&format!(", response headers policy {}", policy.name));
        }
        text
    }
}

/// When and where an exchange reaches the distribution.
#[derive(Clone, Copy, Debug)]
pub struct Moment<'a> {
    /// Seconds into the run.
    pub now: u64,
    /// The edge location (`X-Amz-Cf-Pop`); `None`: the one edge every request reaches.
    pub edge: Option<&'a str>,
    pub sequence: usize,
}

/// What the cache key held for a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub edge: Option<String>,
    /// OPTIONS answers are cached apart from GET and HEAD (documented).
    pub options: bool,
    /// The path and the query strings in the key.
    pub path: String,
    /// The headers in the key, names lower-cased, with their values ("" when absent).
    pub headers: Vec<(String, String)>,
    pub cookies: Option<String>,
    /// The normalised `Accept-Encoding`, when compression caching put one in the key.
    pub encoding: Option<&'static str>,
}

/// What an answer in the cache came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFrom {
    /// Seconds into the run when it was stored.
    pub at: u64,
    pub ttl: u64,
    pub method: String,
    /// The Origin of the request that filled the entry (None: it had none).
    pub origin: Option<String>,
    /// What the origin server did with that request.
    pub origin_note: Arc<ServerNote>,
}

/// Why a miss's answer was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStored {
    /// Only GET and HEAD are cached, and OPTIONS when the behavior says so.
    Method,
    /// The cache policy's TTLs are all 0.
    PolicyOff,
    /// A status CloudFront does not cache (400, 403, 412, 415 need `max-age`).
    Status(u16),
    /// `Cache-Control: no-store`, `no-cache` or `private` with MinTTL 0.
    OriginSaidNo,
}

/// What became of a miss's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caching {
    Stored { ttl: u64, error: bool },
    NotStored(NotStored),
}

/// What the response headers policy did to an answer on its way to the viewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoration {
    /// No policy, or one without CorsConfig.
    NoPolicy,
    /// The request has no Origin: not a CORS request, so nothing is added.
    NoOrigin { policy: Arc<str> },
    /// The Origin is not in AccessControlAllowOrigins (inferred: nothing is added).
    OriginNotAllowed { policy: Arc<str> },
    Applied {
        policy: Arc<str>,
        preflight: bool,
        override_origin: bool,
        added: Vec<&'static str>,
        replaced: Vec<&'static str>,
        /// The origin's own value kept (OriginOverride false).
        kept: Vec<&'static str>,
    },
}

/// What CloudFront did with one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// CloudFront's own 403: the behavior does not allow the method.
    MethodNotAllowed { allowed: Vec<String> },
    /// Served from the edge's cache; the origin never saw the request.
    Hit {
        key: Arc<Key>,
        stored: Arc<StoredFrom>,
        age: u64,
        decoration: Decoration,
    },
    /// Sent on to the origin; `withheld`: the viewer's CORS headers the origin did not get.
    Miss {
        key: Arc<Key>,
        /// Seconds into the run.
        now: u64,
        /// The Access-Control-Allow-Origin of the answer as stored (before any policy added
        /// its own), when it was stored.
        stored_acao: Option<String>,
        /// The request as the origin got it.
        forwarded: Arc<HttpRequest>,
        policy: Arc<str>,
        withheld: Vec<String>,
        caching: Caching,
        decoration: Decoration,
    },
}

/// A distribution at work: its behavior and what each edge has stored.
pub struct Distribution {
    behavior: Arc<Behavior>,
    cache: HashMap<Key, (HttpResponse, Arc<StoredFrom>)>,
}

/// The CORS-relevant request headers whose absence at the origin the step names.
const CORS_REQUEST_HEADERS: [&str; 4] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Authorization",
];

impl Distribution {
    pub fn new(layer: &CloudFront) -> Self {
        Distribution {
            behavior: layer.behavior.clone(),
            cache: HashMap::default(),
        }
    }

    fn cacheable_method(&self, method: &str) -> bool {
        matches!(method, "GET" | "HEAD") || (method == "OPTIONS" && self.behavior.cached_options)
    }

    /// The cache key of `request` at `edge`.
    pub fn key(&self, request: &HttpRequest, edge: Option<&str>) -> Key {
        let policy = &self.behavior.cache;
        let mut headers: Vec<(String, String)> = match &policy.headers {
            Selection::Only(names) => names
                .iter()
                .map(|name| {
                    (
                        name.to_ascii_lowercase(),
                        request.header(name).unwrap_or_default(),
                    )
                })
                .collect(),
            Selection::None => Vec::new(),
            // Only legacy `*` selects every header, and it caches nothing.
            Selection::All | Selection::AllExcept(_) => request
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
        };
        headers.sort();
        let cookies = (policy.cookies != Selection::None)
            .then(|| request.header("Cookie").unwrap_or_default());
        Key {
            edge: edge.map(str::to_string),
            options: request.method == "OPTIONS",
            path: path_and_query(&request.url, &policy.query),
            headers,
            cookies,
            encoding: self.normalised_encoding(request),
        }
    }

    /// The `Accept-Encoding` compression caching puts in the key (documented normalisation).
    fn normalised_encoding(&self, request: &HttpRequest) -> Option<&'static str> {
        let policy = &self.behavior.cache;
        let accepted = request.header("Accept-Encoding")?;
        let has = |coding: &str| {
            accepted.split(',').any(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(coding)
            })
        };
        let br = policy.brotli && has("br");
        let gzip = policy.gzip && has("gzip");
        match (br, gzip) {
            (true, true) => Some("br,gzip"),
            (true, false) => Some("br"),
            (false, true) => Some("gzip"),
            (false, false) => None,
        }
    }

    /// On the way down: CloudFront's own 403, a cached answer, or the request as the origin
    /// gets it.
    pub fn answer_itself(
        &mut self,
        request: &HttpRequest,
        at: Moment,
    ) -> Result<(HttpResponse, Note), HttpRequest> {
        if !self.behavior.allows(&request.method) {
            let mut response = HttpResponse {
                status: 403,
                headers: vec![
                    ("Server".into(), "CloudFront".into()),
                    ("Content-Type".into(), "text/html".into()),
                ]
                .into(),
                body: METHOD_NOT_ALLOWED_PAGE.to_string(),
            };
            stamp(&mut response, "Error from cloudfront", at);
            let note = Note::MethodNotAllowed {
                allowed: self.behavior.allowed_methods.clone(),
            };
            return Ok((response, note));
        }
        let key = self.key(request, at.edge);
        if self.cacheable_method(&request.method)
            && let Some((stored, from)) = self.cache.get(&key)
            && at.now < from.at.saturating_add(from.ttl)
        {
            let mut response = stored.clone();
            if request.method == "HEAD" {
                response.body.clear();
            }
            let age = at.now - from.at;
            response
                .headers
                .push(("Age".into(), age.to_string().into()));
            let hit = if response.status >= 400 {
                "Error from cloudfront"
            } else {
                "Hit from cloudfront"
            };
            stamp(&mut response, hit, at);
            let decoration = decorate(
                self.behavior.response_headers.as_ref(),
                request,
                &mut response,
            );
            let note = Note::Hit {
                key: Arc::new(key),
                stored: from.clone(),
                age,
                decoration,
            };
            return Ok((response, note));
        }
        Err(self.origin_request(request))
    }

    /// The request the origin gets on a miss: only what the cache key and the origin request
    /// policy hold, `Accept-Encoding` normalised when compression caching is on.
    pub fn origin_request(&self, request: &HttpRequest) -> HttpRequest {
        let behavior = &self.behavior;
        let compressed = behavior.cache.gzip || behavior.cache.brotli;
        let mut headers: Vec<Header> = Vec::new();
        for (name, value) in &request.headers {
            let keep = name.eq_ignore_ascii_case("Host")
                || (compressed && name.eq_ignore_ascii_case("Accept-Encoding"))
                || (name.eq_ignore_ascii_case("Cookie") && forwards_cookies(behavior))
                || (!name.eq_ignore_ascii_case("Cookie") && behavior.forwards_header(name));
            if !keep {
                continue;
            }
            if compressed && name.eq_ignore_ascii_case("Accept-Encoding") {
                continue;
            }
            headers.push((name.clone(), value.clone()));
        }
        if compressed && request.header("Accept-Encoding").is_some() {
            let coding = self.normalised_encoding(request).unwrap_or("identity");
            headers.push(("Accept-Encoding".into(), coding.into()));
        }
        let query = match &behavior.origin_request {
            Some(policy) if policy.query == Selection::All => Selection::All,
            _ => behavior.cache.query.clone(),
        };
        let path = path_and_query(&request.url, &query);
        let url = match url::Url::parse(&request.url) {
            Ok(url) => format!("{}{path}", url.origin().ascii_serialization()).into(),
            Err(_) => request.url.clone(),
        };
        HttpRequest {
            method: request.method.clone(),
            url,
            headers: headers.into(),
        }
    }

    /// On the way back up from the origin: store the answer when it may be, then stamp and
    /// decorate it for the viewer.
    pub fn pass_up(
        &mut self,
        request: &HttpRequest,
        response: &mut HttpResponse,
        origin_note: &ServerNote,
        at: Moment,
    ) -> Note {
        let key = self.key(request, at.edge);
        let caching = self.caching(&request.method, response);
        let stored_acao = response.header("Access-Control-Allow-Origin");
        if let Caching::Stored { ttl, .. } = caching {
            let from = StoredFrom {
                at: at.now,
                ttl,
                method: request.method.to_string(),
                origin: request.header("Origin"),
                origin_note: Arc::new(origin_note.clone()),
            };
            self.cache
                .insert(key.clone(), (response.clone(), Arc::new(from)));
        }
        let withheld = CORS_REQUEST_HEADERS
            .iter()
            .filter(|name| request.header(name).is_some() && !self.behavior.forwards_header(name))
            .map(|name| name.to_string())
            .collect();
        let label = if response.status >= 400 {
            "Error from cloudfront"
        } else {
            "Miss from cloudfront"
        };
        stamp(response, label, at);
        let decoration = decorate(self.behavior.response_headers.as_ref(), request, response);
        Note::Miss {
            key: Arc::new(key),
            now: at.now,
            stored_acao,
            forwarded: Arc::new(self.origin_request(request)),
            policy: Arc::from(self.behavior.cache.described()),
            withheld,
            caching,
            decoration,
        }
    }

    /// Whether, and for how long, the origin's answer is stored (documented rules).
    fn caching(&self, method: &str, response: &HttpResponse) -> Caching {
        if !self.cacheable_method(method) {
            return Caching::NotStored(NotStored::Method);
        }
        let ttl = self.behavior.cache.ttl;
        let control = response
            .header("Cache-Control")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let directive = |name: &str| {
            control.split(',').find_map(|d| {
                let (key, value) = d.trim().split_once('=')?;
                (key.trim() == name).then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
            })
        };
        let max_age = directive("s-maxage").or_else(|| directive("max-age"));
        let status = response.status;
        if matches!(status, 404 | 405 | 414 | 500..=504) {
            return Caching::Stored {
                ttl: max_age.unwrap_or(0).max(10),
                error: true,
            };
        }
        if matches!(status, 400 | 403 | 412 | 415) {
            return match max_age {
                Some(age) => Caching::Stored {
                    ttl: age.max(10),
                    error: true,
                },
                None => Caching::NotStored(NotStored::Status(status)),
            };
        }
        if status >= 400 {
            return Caching::NotStored(NotStored::Status(status));
        }
        if !self.behavior.cache.caches() {
            return Caching::NotStored(NotStored::PolicyOff);
        }
        let refuses = ["no-store", "no-cache", "private"]
            .iter()
            .any(|d| control.split(',').any(|c| c.trim() == *d));
        let seconds = if refuses {
            ttl.min
        } else {
            match max_age {
                Some(age) => age.clamp(ttl.min, ttl.max),
                None => ttl.default,
            }
        };
        if seconds == 0 {
            return Caching::NotStored(if refuses {
                NotStored::OriginSaidNo
            } else {
                NotStored::PolicyOff
            });
        }
        Caching::Stored {
            ttl: seconds,
            error: false,
        }
    }
}

fn forwards_cookies(behavior: &Behavior) -> bool {
    behavior.cache.cookies != Selection::None
        || behavior
            .origin_request
            .as_ref()
            .is_some_and(|p| p.cookies != Selection::None)
}

/// The path and the query strings `query` selects, in the request's order.
fn path_and_query(url: &str, query: &Selection) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let pairs: Vec<&str> = parsed
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| query.covers(pair.split('=').next().unwrap_or(pair)))
        .collect();
    if pairs.is_empty() {
        parsed.path().to_string()
    } else {
        format!("{}?{}", parsed.path(), pairs.join("&"))
    }
}

/// The headers CloudFront puts on every answer it gives.
fn stamp(response: &mut HttpResponse, cache: &str, at: Moment) {
    response.headers.push(("X-Cache".into(), cache.into()));
    response.headers.push((
        "Via".into(),
        format!(
            "1.1 {:016x}.cloudfront.net (CloudFront)",
            stable_id(at.sequence)
        )
        .into(),
    ));
    if let Some(edge) = at.edge {
        response.headers.push(("X-Amz-Cf-Pop".into(), edge.into()));
    }
}

/// Whether a `CorsConfig` origin entry covers `origin`: the same origin, or a leftmost `*`
/// label matching one or more labels.
fn entry_covers(entry: &str, origin: &str) -> bool {
    if entry.eq_ignore_ascii_case(origin) {
        return true;
    }
    let (entry_scheme, entry_host) = match entry.split_once("://") {
        Some((scheme, host)) => (Some(scheme), host),
        None => (None, entry),
    };
    let Some(suffix) = entry_host.strip_prefix('*') else {
        return false;
    };
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    entry_scheme.is_none_or(|s| s.eq_ignore_ascii_case(scheme))
        && host.len() > suffix.len()
        && host
            .to_ascii_lowercase()
            .ends_with(&suffix.to_ascii_lowercase())
}

/// Applies the response headers policy's CorsConfig to an answer bound for the viewer.
fn decorate(
    policy: Option<&ResponseHeadersPolicy>,
    request: &HttpRequest,
    response: &mut HttpResponse,
) -> Decoration {
    let Some((policy, cors)) = policy.and_then(|p| Some((p, p.cors.as_ref()?))) else {
        return Decoration::NoPolicy;
    };
    let name = policy.name.clone();
    let Some(origin) = request.header("Origin") else {
        return Decoration::NoOrigin { policy: name };
    };
    let value = if cors.allow_origins.iter().any(|o| o == "*") {
        "*".to_string()
    } else if cors.allow_origins.iter().any(|o| entry_covers(o, &origin)) {
        origin.clone()
    } else {
        return Decoration::OriginNotAllowed { policy: name };
    };
    let preflight =
        request.method == "OPTIONS" && request.header("Access-Control-Request-Method").is_some();
    let mut wanted: Vec<(&'static str, String)> = Vec::new();
    if cors.allow_credentials {
        wanted.push(("Access-Control-Allow-Credentials", "true".to_string()));
    }
    if preflight {
        if !cors.allow_headers.is_empty() {
            wanted.push(("Access-Control-Allow-Headers", cors.allow_headers.join(",")));
        }
        if !cors.allow_methods.is_empty() {
            wanted.push(("Access-Control-Allow-Methods", cors.allow_methods.join(",")));
        }
    }
    wanted.push(("Access-Control-Allow-Origin", value));
    if !preflight && !cors.expose_headers.is_empty() {
        wanted.push((
            "Access-Control-Expose-Headers",
            cors.expose_headers.join(","),
        ));
    }
    if preflight && let Some(age) = cors.max_age {
        wanted.push(("Access-Control-Max-Age", age.to_string()));
    }
    let (mut added, mut replaced, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    for (header, value) in wanted {
        let present = response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(header));
        if present && !cors.origin_override {
            kept.push(header);
            continue;
        }
        if present {
            response
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case(header));
            replaced.push(header);
        } else {
            added.push(header);
        }
        response.headers.push((header.into(), value.into()));
    }
    let varies: &[&str] = if preflight {
        &[
            "Access-Control-Request-Headers",
            "Access-Control-Request-Method",
            "Origin",
        ]
    } else {
        &["Origin"]
    };
    for vary in varies {
        let already = response
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Vary"))
            .flat_map(|(_, v)| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(vary));
        if !already {
            response
                .headers
                .push(("Vary".into(), vary.to_string().into()));
        }
    }
    Decoration::Applied {
        policy: name,
        preflight,
        override_origin: cors.origin_override,
        added,
        replaced,
        kept,
    }
}

/// CloudFront's page for a method the behavior does not allow (observed wording).
const METHOD_NOT_ALLOWED_PAGE: &str = "<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.</BODY></HTML>";

impl Key {
    /// What the key holds, in words: "path /photo.jpg, Accept-Encoding br,gzip".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("path {}", self.path)];
        if self.options {
            parts.push("method OPTIONS".to_string());
        }
        for (name, value) in &self.headers {
            parts.push(if value.is_empty() {
                format!("{name} (absent)")
            } else {
                format!("{name} {value}")
            });
        }
        if let Some(encoding) = self.encoding {
            parts.push(format!("Accept-Encoding {encoding}"));
        }
        if let Some(edge) = &self.edge {
            parts.push(format!("edge {edge}"));
        }
        parts.join(", ")
    }

    pub fn holds_origin(&self) -> bool {
        self.headers.iter().any(|(name, _)| &**name == "origin")
    }
}

impl Decoration {
    fn narrate(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Decoration::NoPolicy => Ok(()),
            Decoration::NoOrigin { policy } => write!(
                f,
                " The response headers policy {policy} adds nothing: the request has no Origin, so it is not a CORS request (inferred)."
            ),
            Decoration::OriginNotAllowed { policy } => write!(
                f,
                " The response headers policy {policy} adds nothing: the Origin is not in its AccessControlAllowOrigins (inferred)."
            ),
            Decoration::Applied {
                policy,
                preflight,
                override_origin,
                added,
                replaced,
                kept,
            } => {
                write!(
                    f,
                    " The response headers policy {policy} applies to this {} (documented, also on cached answers)",
                    if *preflight {
                        "preflight"
                    } else {
                        "CORS request"
                    }
                )?;
                if !added.is_empty() {
                    write!(f, ": it adds {}", added.join(", "))?;
                }
                if !replaced.is_empty() {
                    write!(
                        f,
                        "; OriginOverride true, so it replaces the origin's {}",
                        replaced.join(", ")
                    )?;
                }
                if !kept.is_empty() {
                    write!(
                        f,
                        "; OriginOverride {}, so the origin's own {} stays",
                        override_origin,
                        kept.join(", ")
                    )?;
                }
                f.write_str(", and Vary (observed).")
            }
        }
    }
}

impl Note {
    /// The explanation of what CloudFront did; `request` is the viewer's, `response` what it
    /// got.
    pub fn narrate(
        &self,
        (request, response): (&HttpRequest, &HttpResponse),
        f: &mut fmt::Formatter,
    ) -> fmt::Result {
        let method = &request.method;
        match self {
            Note::MethodNotAllowed { allowed } => write!(
                f,
                "CloudFront answered the {method} itself with its 403 page \"The request could not be satisfied\": the cache behavior allows only {} (observed). The origin never saw it, and the page carries no CORS header.",
                allowed.join(", ")
            ),
            Note::Hit {
                key,
                stored,
                age,
                decoration,
            } => {
                write!(
                    f,
                    "CloudFront HIT: the edge served a copy stored at t={} s (age {age} s of a {} s TTL) for a {} {}; the origin never saw this request. The cache key ({}) {}.",
                    stored.at,
                    stored.ttl,
                    stored.method,
                    match &stored.origin {
                        Some(origin) => format!("with Origin {origin}"),
                        None => "without Origin".to_string(),
                    },
                    key.describe(),
                    if key.holds_origin() {
                        "holds Origin, so only requests from the same Origin share the copy"
                    } else {
                        "does not hold Origin, so every page and client shares the copy, whatever its Origin (documented)"
                    }
                )?;
                let varies_on_origin = response
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("Vary"))
                    .flat_map(|(_, v)| v.split(','))
                    .any(|v| v.trim().eq_ignore_ascii_case("Origin"));
                if varies_on_origin && !key.holds_origin() {
                    f.write_str(" The copy's Vary: Origin does not split CloudFront's cache: it keys only on what its cache policy names (documented).")?;
                }
                decoration.narrate(f)
            }
            Note::Miss {
                key,
                policy,
                now: _,
                stored_acao: _,
                forwarded: _,
                withheld,
                caching,
                decoration,
            } => {
                write!(
                    f,
                    "CloudFront MISS: nothing stored for the cache key ({}) under {policy}, so the {method} goes to the origin",
                    key.describe()
                )?;
                if withheld.is_empty() {
                    f.write_str(".")?;
                } else {
                    write!(
                        f,
                        " without {}: neither the cache key nor the origin request policy includes it (documented).",
                        Joined(withheld, ", ")
                    )?;
                }
                match caching {
                    Caching::Stored { ttl, error: false } => write!(
                        f,
                        " CloudFront stores the answer it gets for {ttl} s and replays it to every request with this key."
                    )?,
                    Caching::Stored { ttl, error: true } => write!(
                        f,
                        " The answer is an error, which CloudFront stores for {ttl} s (error caching minimum TTL, documented)."
                    )?,
                    Caching::NotStored(NotStored::Method) => write!(
                        f,
                        " Its answer is not stored: {method} answers are never cached here."
                    )?,
                    Caching::NotStored(NotStored::PolicyOff) => {
                        f.write_str(" Its answer is not stored: the cache policy stores nothing.")?
                    }
                    Caching::NotStored(NotStored::Status(status @ (400 | 403 | 412 | 415))) => {
                        write!(
                            f,
                            " The {status} answer is not stored: CloudFront caches a {status} only with Cache-Control max-age (documented)."
                        )?
                    }
                    Caching::NotStored(NotStored::Status(status)) => write!(
                        f,
                        " The {status} answer is not stored: CloudFront does not cache a {status}."
                    )?,
                    Caching::NotStored(NotStored::OriginSaidNo) => f.write_str(
                        " The origin's Cache-Control forbids storing it and MinTTL is 0.",
                    )?,
                }
                decoration.narrate(f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::config::*;
    use super::*;

    fn behavior(methods: &[&str], cache: &str, origin_request: Option<&str>) -> Distribution {
        Distribution {
            behavior: Arc::new(Behavior {
                allowed_methods: methods.iter().map(|m| m.to_string()).collect(),
                cached_options: false,
                cache: managed_cache(cache).unwrap(),
                origin_request: origin_request.map(|p| managed_origin_request(p).unwrap()),
                response_headers: None,
            }),
            cache: HashMap::default(),
        }
    }

    fn get(origin: Option<&str>) -> HttpRequest {
        let mut headers: Vec<Header> = vec![("Host".into(), "d111.cloudfront.net".into())];
        if let Some(origin) = origin {
            headers.push(("Origin".into(), origin.into()));
        }
        headers.push(("Accept-Encoding".into(), "gzip, deflate, br, zstd".into()));
        HttpRequest {
            method: "GET".into(),
            url: "https://d111.cloudfront.net/photo.jpg?v=2".into(),
            headers: headers.into(),
        }
    }

    fn at(now: u64) -> Moment<'static> {
        Moment {
            now,
            edge: None,
            sequence: 1,
        }
    }

    /// An S3 origin with a `*` rule: CORS headers only when the request has an Origin.
    fn s3_answer(request: &HttpRequest) -> HttpResponse {
        let mut headers: Vec<Header> = vec![("Content-Type".into(), "image/jpeg".into())];
        if request.header("Origin").is_some() {
            headers.push(("Access-Control-Allow-Origin".into(), "*".into()));
        }
        HttpResponse {
            status: 200,
            headers: headers.into(),
            body: String::new(),
        }
    }

    fn through(cf: &mut Distribution, request: &HttpRequest, now: u64) -> (HttpResponse, Note) {
        match cf.answer_itself(request, at(now)) {
            Ok(answered) => answered,
            Err(forwarded) => {
                let mut response = s3_answer(&forwarded);
                let note = cf.pass_up(
                    request,
                    &mut response,
                    &ServerNote::Saved("S3 answered".to_string()),
                    at(now),
                );
                (response, note)
            }
        }
    }

    #[test]
    fn c1_an_answer_stored_without_origin_is_replayed_to_a_cors_request() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", Some("CORS-S3Origin"));
        let (first, _) = through(&mut cf, &get(None), 0);
        assert!(first.header("Access-Control-Allow-Origin").is_none());
        let (second, note) = through(&mut cf, &get(Some("https://app.example")), 3);
        assert!(matches!(note, Note::Hit { age: 3, .. }), "{note:?}");
        assert!(second.header("Access-Control-Allow-Origin").is_none());
        assert_eq!(
            second.header("X-Cache").as_deref(),
            Some("Hit from cloudfront")
        );
    }

    #[test]
    fn c2_an_answer_stored_with_origin_carries_its_headers_to_everyone() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", Some("CORS-S3Origin"));
        through(&mut cf, &get(Some("https://app.example")), 0);
        let (second, _) = through(&mut cf, &get(None), 1);
        assert_eq!(
            second.header("Access-Control-Allow-Origin").as_deref(),
            Some("*")
        );
    }

    #[test]
    fn without_an_origin_request_policy_the_origin_never_sees_origin() {
        let cf = behavior(&["GET", "HEAD"], "CachingOptimized", None);
        let forwarded = cf.origin_request(&get(Some("https://app.example")));
        assert!(forwarded.header("Origin").is_none());
        assert_eq!(
            forwarded.header("Accept-Encoding").as_deref(),
            Some("br,gzip")
        );
        assert_eq!(forwarded.url, "https://d111.cloudfront.net/photo.jpg");
    }

    #[test]
    fn accept_encoding_splits_the_cache_so_curl_and_a_browser_do_not_share() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", Some("CORS-S3Origin"));
        let mut curl = get(None);
        curl.headers.retain(|(n, _)| &**n != "Accept-Encoding");
        through(&mut cf, &curl, 0);
        let (_, note) = through(&mut cf, &get(Some("https://app.example")), 1);
        assert!(matches!(note, Note::Miss { .. }), "{note:?}");
    }

    #[test]
    fn the_ttl_ends_the_replay_and_edges_keep_their_own_copies() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", Some("CORS-S3Origin"));
        through(&mut cf, &get(None), 0);
        let (_, note) = through(&mut cf, &get(None), 86_400);
        assert!(matches!(note, Note::Miss { .. }));
        let other_edge = Moment {
            edge: Some("FRA56-P1"),
            ..at(86_401)
        };
        assert!(cf.answer_itself(&get(None), other_edge).is_err());
    }

    #[test]
    fn c4_a_preflight_to_a_get_head_behavior_gets_cloudfronts_403() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", None);
        let mut options = get(Some("https://app.example"));
        options.method = "OPTIONS".into();
        let (response, note) = cf.answer_itself(&options, at(0)).unwrap();
        assert_eq!(response.status, 403);
        assert!(
            response
                .body
                .contains("not configured to allow the HTTP request method")
        );
        assert!(matches!(note, Note::MethodNotAllowed { .. }));
    }

    #[test]
    fn errors_are_cached_ten_seconds_and_403_only_with_max_age() {
        let cf = behavior(&["GET", "HEAD"], "CachingOptimized", None);
        let answer = |status, control: Option<&str>| HttpResponse {
            status,
            headers: control
                .map(|c| vec![("Cache-Control".into(), c.into())])
                .unwrap_or_default()
                .into(),
            body: String::new(),
        };
        assert_eq!(
            cf.caching("GET", &answer(404, None)),
            Caching::Stored {
                ttl: 10,
                error: true
            }
        );
        assert_eq!(
            cf.caching("GET", &answer(403, None)),
            Caching::NotStored(NotStored::Status(403))
        );
        assert_eq!(
            cf.caching("GET", &answer(200, Some("max-age=60"))),
            Caching::Stored {
                ttl: 60,
                error: false
            }
        );
        assert_eq!(
            cf.caching("GET", &answer(200, Some("no-store"))),
            Caching::Stored {
                ttl: 1,
                error: false
            },
            "MinTTL 1 overrides no-store (documented)"
        );
        assert_eq!(
            cf.caching("POST", &answer(200, None)),
            Caching::NotStored(NotStored::Method)
        );
    }

    fn preflight() -> HttpRequest {
        HttpRequest {
            method: "OPTIONS".into(),
            url: "https://d111.cloudfront.net/photo.jpg".into(),
            headers: vec![
                ("Origin".into(), "https://app.example".into()),
                ("Access-Control-Request-Method".into(), "PUT".into()),
            ]
            .into(),
        }
    }

    #[test]
    fn options_reaches_the_origin_every_time_unless_it_is_cached() {
        let mut cf = behavior(&["GET", "HEAD", "OPTIONS"], "CachingOptimized", None);
        for now in [0, 1] {
            let (_, note) = through(&mut cf, &preflight(), now);
            assert!(
                matches!(
                    note,
                    Note::Miss {
                        caching: Caching::NotStored(NotStored::Method),
                        ..
                    }
                ),
                "{note:?}"
            );
        }
        let mut cached = behavior(&["GET", "HEAD", "OPTIONS"], "CachingOptimized", None);
        Arc::make_mut(&mut cached.behavior).cached_options = true;
        through(&mut cached, &preflight(), 0);
        let (_, note) = through(&mut cached, &preflight(), 1);
        assert!(matches!(note, Note::Hit { .. }), "{note:?}");
        // OPTIONS answers are kept apart from GET's.
        let (_, note) = through(&mut cached, &get(None), 2);
        assert!(matches!(note, Note::Miss { .. }), "{note:?}");
    }

    #[test]
    fn c8_a_404_is_stored_as_an_error_and_replayed() {
        let mut cf = behavior(&["GET", "HEAD"], "CachingOptimized", Some("CORS-S3Origin"));
        let request = get(Some("https://app.example"));
        let Err(_) = cf.answer_itself(&request, at(0)) else {
            panic!("nothing stored yet");
        };
        let mut missing = HttpResponse {
            status: 404,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                ("Vary".into(), "Origin".into()),
            ]
            .into(),
            body: String::new(),
        };
        let note = cf.pass_up(
            &request,
            &mut missing,
            &ServerNote::Saved(String::new()),
            at(0),
        );
        assert!(matches!(
            note,
            Note::Miss {
                caching: Caching::Stored {
                    ttl: 10,
                    error: true
                },
                ..
            }
        ));
        assert_eq!(
            missing.header("X-Cache").as_deref(),
            Some("Error from cloudfront")
        );
        let Ok((again, _)) = cf.answer_itself(&request, at(9)) else {
            panic!("the 404 is stored for 10 s");
        };
        assert_eq!(again.status, 404);
        assert!(cf.answer_itself(&request, at(10)).is_err());
    }

    #[test]
    fn only_the_query_strings_in_the_key_split_it() {
        let cf = behavior(&["GET", "HEAD"], "CachingOptimized", None);
        let mut other = get(None);
        other.url = "https://d111.cloudfront.net/photo.jpg?v=3".into();
        assert_eq!(cf.key(&get(None), None), cf.key(&other, None));
        let mut by_query = behavior(&["GET", "HEAD"], "CachingOptimized", None);
        Arc::make_mut(&mut by_query.behavior).cache.query = Selection::All;
        assert_ne!(by_query.key(&get(None), None), by_query.key(&other, None));
    }

    fn with_policy(origin_override: bool) -> ResponseHeadersPolicy {
        ResponseHeadersPolicy {
            name: Arc::from("books-cors"),
            managed: false,
            cors: Some(CorsConfig {
                allow_origins: vec!["https://localhost:8080".to_string()],
                allow_headers: vec!["x-books-authorization".to_string()],
                allow_methods: vec!["GET".into(), "OPTIONS".into(), "POST".into()],
                expose_headers: Vec::new(),
                max_age: Some(600),
                allow_credentials: true,
                origin_override,
            }),
        }
    }

    #[test]
    fn c5_the_policy_decorates_the_origins_preflight_answer() {
        let request = HttpRequest {
            method: "OPTIONS".into(),
            url: "https://d111.cloudfront.net/books".into(),
            headers: vec![
                ("Origin".into(), "https://localhost:8080".into()),
                ("Access-Control-Request-Method".into(), "GET".into()),
                (
                    "Access-Control-Request-Headers".into(),
                    "x-books-authorization".into(),
                ),
            ]
            .into(),
        };
        let mut response = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        decorate(Some(&with_policy(true)), &request, &mut response);
        let names: Vec<(&str, &str)> = response.headers.iter().map(|(n, v)| (&**n, &**v)).collect();
        assert_eq!(
            names,
            [
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Headers", "x-books-authorization"),
                ("Access-Control-Allow-Methods", "GET,OPTIONS,POST"),
                ("Access-Control-Allow-Origin", "https://localhost:8080"),
                ("Access-Control-Max-Age", "600"),
                ("Vary", "Access-Control-Request-Headers"),
                ("Vary", "Access-Control-Request-Method"),
                ("Vary", "Origin"),
            ]
        );
    }

    #[test]
    fn c6_c7_simple_cors_adds_a_star_unless_the_origin_sent_its_own() {
        let policy = managed_response_headers("SimpleCORS").unwrap();
        let request = get(Some("https://app.example"));
        let mut bare = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        decorate(Some(&policy), &request, &mut bare);
        assert_eq!(
            bare.header("Access-Control-Allow-Origin").as_deref(),
            Some("*")
        );
        let mut own = HttpResponse {
            status: 200,
            headers: vec![(
                "Access-Control-Allow-Origin".into(),
                "https://x.example".into(),
            )]
            .into(),
            body: String::new(),
        };
        let decoration = decorate(Some(&policy), &request, &mut own);
        assert_eq!(
            own.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://x.example")
        );
        assert!(
            matches!(decoration, Decoration::Applied { kept, .. } if kept == ["Access-Control-Allow-Origin"])
        );
    }

    #[test]
    fn override_replaces_the_origins_header_and_an_unlisted_origin_gets_nothing() {
        let request = HttpRequest {
            method: "GET".into(),
            url: "https://d111.cloudfront.net/books".into(),
            headers: vec![("Origin".into(), "https://localhost:8080".into())].into(),
        };
        let mut response = HttpResponse {
            status: 200,
            headers: vec![("Access-Control-Allow-Origin".into(), "*".into())].into(),
            body: String::new(),
        };
        decorate(Some(&with_policy(true)), &request, &mut response);
        assert_eq!(
            response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://localhost:8080")
        );
        let mut other = request.clone();
        other.headers[0].1 = "https://evil.example".into();
        let mut response = HttpResponse {
            status: 200,
            headers: crate::http::Headers::new(),
            body: String::new(),
        };
        let decoration = decorate(Some(&with_policy(true)), &other, &mut response);
        assert!(matches!(decoration, Decoration::OriginNotAllowed { .. }));
        assert!(response.headers.is_empty());
    }

    #[test]
    fn a_leftmost_wildcard_covers_subdomains_only() {
        assert!(entry_covers(
            "https://*.example.org",
            "https://a.b.example.org"
        ));
        assert!(!entry_covers(
            "https://*.example.org",
            "https://example.org"
        ));
        assert!(!entry_covers(
            "https://*.example.org",
            "http://a.example.org"
        ));
    }
}
