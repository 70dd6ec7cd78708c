//! The one skeleton every storage service (S3, GCS, Azure Blob) answers through: a preflight is
//! admitted or refused, then the rules are tried in order, first match wins; an actual request
//! runs its operation, then gains the matched rule's CORS headers. What differs per service
//! (ids, refusals, how a rule entry matches, which headers a match adds, the service's own
//! words) is a [`Storage`] hook in the service's module.
//!
//! The skeleton records facts ([`Note`]): what it decided and how each rule tried fared. Each
//! service narrates them, lazily, when a view asks for the explanation.

use crate::http::Header;
use std::fmt;
use std::sync::Arc;

use super::{Scripted, canned, scripted_source};
use crate::http::ExchangeKind;
use crate::http::{HttpRequest, HttpResponse};
use crate::server::provider::Provider;
use crate::server::rules::CorsConfiguration;
use crate::server::rules::CorsRule;

/// What a storage service decided about one request, before any English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The request lacks what the service needs to treat it as CORS (its Origin; for some
    /// services a preflight's Access-Control-Request-Method).
    NotCors,
    /// The bucket has no CORS configuration.
    NoConfiguration,
    /// A preflight's Access-Control-Request-Method the service refuses outright (S3).
    BadMethod,
    NoRuleMatched,
    /// The 0-based index of the first rule that matched.
    Matched(usize),
}

/// Why one rule did not match, in the order the service checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    Origin,
    Method,
    /// The first requested header the rule does not cover.
    Header(String),
}

/// What the storage operation behind an actual request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Modelled as the service answers it for this method (success, or no such operation).
    Modelled { exists: bool },
    /// The scenario scripts the operation's answer for this hop.
    Scripted { hop: usize },
}

/// The facts behind a storage service's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub provider: Provider,
    pub config: Option<Arc<CorsConfiguration>>,
    pub decision: Decision,
    /// How each rule tried before the decision fared: one mismatch per rule that did not match.
    pub trials: Vec<Mismatch>,
    /// The operation, for an actual request; `None` for a preflight.
    pub operation: Option<Operation>,
}

impl Note {
    /// The rule the decision names.
    pub fn matched_rule(&self) -> Option<usize> {
        match self.decision {
            Decision::Matched(index) => Some(index),
            _ => None,
        }
    }

    fn rule(&self, index: usize) -> Option<&CorsRule> {
        self.config.as_deref().and_then(|c| c.rules.get(index))
    }

    /// The matched rule, for narrating an answer that used it.
    pub fn matched(&self) -> Option<&CorsRule> {
        self.matched_rule().and_then(|i| self.rule(i))
    }
}

/// An operation's own answer before CORS: status, headers after the ids, and body.
pub type Performed = (u16, Vec<Header>, String);

/// What differs per storage service. The skeleton calls these in a fixed order.
pub trait Storage: Sync {
    /// The ids the service puts first on every answer, stable per exchange number.
    fn ids(&self, sequence: usize) -> Vec<Header>;

    /// The service's `Server` header, last on its answers.
    fn server(&self) -> &'static str;

    /// The operation's own answer before CORS, as the service models it: status, headers
    /// after the ids, and body; or the service's error when it has no such operation.
    fn operation(&self, request: &HttpRequest, sequence: usize) -> Result<Performed, HttpResponse>;

    /// The preflight's Origin and method to match rules on, or why the service refuses it
    /// before looking at its rules (`Decision::NotCors`, `NoConfiguration` or `BadMethod`).
    /// Unless a service says otherwise, a preflight needs both Origin and
    /// Access-Control-Request-Method, then a configuration.
    fn admit_preflight(
        &self,
        origin: Option<String>,
        method: Option<String>,
        configured: bool,
    ) -> Result<(String, String), Decision> {
        match (origin, method) {
            (Some(origin), Some(method)) if configured => Ok((origin, method)),
            (Some(_), Some(_)) => Err(Decision::NoConfiguration),
            _ => Err(Decision::NotCors),
        }
    }

    /// The answer to a preflight that gets no CORS headers.
    fn refuse_preflight(
        &self,
        why: Decision,
        request: &HttpRequest,
        sequence: usize,
    ) -> HttpResponse;

    /// The method and requested headers an actual request is matched on (`None`: the service
    /// checks no headers on an actual request).
    fn actual_match(&self, request: &HttpRequest) -> (String, Option<Vec<String>>) {
        (request.method.to_string(), None)
    }

    /// Why `rule` does not match, or `None` when it does.
    fn mismatch(
        &self,
        rule: &CorsRule,
        origin: &str,
        method: &str,
        headers: Option<&[String]>,
    ) -> Option<Mismatch>;

    /// The CORS headers of the answer to a preflight that `rule` matched.
    fn allow_preflight(
        &self,
        rule: &CorsRule,
        origin: &str,
        method: &str,
        request: &HttpRequest,
    ) -> Vec<Header>;

    /// The CORS headers a matched actual request gains, before the `Server` header.
    fn allow_actual(&self, rule: &CorsRule, origin: &str, response: &HttpResponse) -> Vec<Header>;

    /// Headers an unmatched actual request still gains (Azure's Vary).
    fn unmatched_actual(&self, _config: &CorsConfiguration) -> Vec<Header> {
        Vec::new()
    }

    /// Says, in the service's words, why it answered as `note` records.
    fn narrate(&self, note: &Note, exchange: Seen, f: &mut fmt::Formatter) -> fmt::Result;

    /// How the modelled operation went, in the service's words ("Get Blob succeeds").
    fn describe_operation(
        &self,
        request: &HttpRequest,
        exists: bool,
        f: &mut fmt::Formatter,
    ) -> fmt::Result;
}

/// The messages a note is narrated against.
#[derive(Clone, Copy)]
pub struct Seen<'a> {
    pub request: &'a HttpRequest,
    pub response: &'a HttpResponse,
}

/// A storage service's answer to `request`: the response and the facts behind it.
pub fn answer(
    provider: Provider,
    service: &dyn Storage,
    config: Option<&Arc<CorsConfiguration>>,
    request: &HttpRequest,
    scripted: Option<Scripted>,
    sequence: usize,
) -> (HttpResponse, Note) {
    let mut note = Note {
        provider,
        config: config.cloned(),
        decision: Decision::NotCors,
        trials: Vec::new(),
        operation: None,
    };
    let response = if request.method == "OPTIONS" {
        preflight(service, config, request, sequence, &mut note)
    } else {
        actual(service, config, request, scripted, sequence, &mut note)
    };
    (response, note)
}

fn preflight(
    service: &dyn Storage,
    config: Option<&Arc<CorsConfiguration>>,
    request: &HttpRequest,
    sequence: usize,
    note: &mut Note,
) -> HttpResponse {
    let admitted = service.admit_preflight(
        request.header("Origin"),
        request.header("Access-Control-Request-Method"),
        config.is_some(),
    );
    let ((origin, method), Some(config)) = (
        match admitted {
            Ok(admitted) => admitted,
            Err(why) => {
                note.decision = why;
                return service.refuse_preflight(why, request, sequence);
            }
        },
        config,
    ) else {
        note.decision = Decision::NoConfiguration;
        return service.refuse_preflight(Decision::NoConfiguration, request, sequence);
    };
    let requested = requested_headers(request.header("Access-Control-Request-Headers").as_deref());
    note.decision = first_match(config, &mut note.trials, |rule| {
        service.mismatch(rule, &origin, &method, Some(&requested))
    });
    match note.decision {
        Decision::Matched(index) => {
            let mut headers = service.ids(sequence);
            headers.extend(service.allow_preflight(
                &config.rules[index],
                &origin,
                &method,
                request,
            ));
            headers.push(("Content-Length".into(), "0".into()));
            headers.push(("Server".into(), service.server().into()));
            HttpResponse {
                status: 200,
                headers: headers.into(),
                body: String::new(),
            }
        }
        why => service.refuse_preflight(why, request, sequence),
    }
}

fn actual(
    service: &dyn Storage,
    config: Option<&Arc<CorsConfiguration>>,
    request: &HttpRequest,
    scripted: Option<Scripted>,
    sequence: usize,
    note: &mut Note,
) -> HttpResponse {
    let mut response = match scripted {
        Some(scripted) => {
            note.operation = Some(Operation::Scripted { hop: scripted.hop });
            let mut response = canned(scripted.response);
            let mut headers = service.ids(sequence);
            headers.append(&mut response.headers);
            response.headers = headers.into();
            response
        }
        None => {
            let operation = service.operation(request, sequence);
            note.operation = Some(Operation::Modelled {
                exists: operation.is_ok(),
            });
            operation.map_or_else(
                |refused| refused,
                |(status, mut headers, body)| {
                    headers.push(("Server".into(), service.server().into()));
                    HttpResponse {
                        status,
                        headers: headers.into(),
                        body,
                    }
                },
            )
        }
    };
    let Some(origin) = request.header("Origin") else {
        note.decision = Decision::NotCors;
        return response;
    };
    let Some(config) = config else {
        note.decision = Decision::NoConfiguration;
        return response;
    };
    let (method, headers) = service.actual_match(request);
    note.decision = first_match(config, &mut note.trials, |rule| {
        service.mismatch(rule, &origin, &method, headers.as_deref())
    });
    let added = match note.decision {
        Decision::Matched(index) => service.allow_actual(&config.rules[index], &origin, &response),
        _ => service.unmatched_actual(config),
    };
    add_before_server(&mut response, added);
    response
}

/// Tries the rules in order; the first that matches wins. Every rule tried before it leaves
/// its mismatch in `trials`.
fn first_match(
    config: &CorsConfiguration,
    trials: &mut Vec<Mismatch>,
    mut mismatch: impl FnMut(&CorsRule) -> Option<Mismatch>,
) -> Decision {
    for (index, rule) in config.rules.iter().enumerate() {
        match mismatch(rule) {
            None => return Decision::Matched(index),
            Some(why) => trials.push(why),
        }
    }
    Decision::NoRuleMatched
}

/// The names in an `Access-Control-Request-Headers` value: split on `,`, trimmed, empty ones
/// dropped.
pub fn requested_headers(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Adds CORS headers to an operation's answer just before its `Server` header, where the
/// services put them.
fn add_before_server(response: &mut HttpResponse, headers: Vec<Header>) {
    let at = response
        .headers
        .iter()
        .position(|(n, _)| &**n == "Server")
        .unwrap_or(response.headers.len());
    response.headers.splice(at..at, headers);
}

/// "Rule #1 does not match: … Rule #2 matches (first match wins)." — how each rule tried
/// fared, each mismatch in the service's words.
pub fn write_trail(
    note: &Note,
    f: &mut fmt::Formatter,
    mut why: impl FnMut(&CorsRule, &Mismatch, &mut fmt::Formatter) -> fmt::Result,
) -> fmt::Result {
    let Some(config) = note.config.as_deref() else {
        return Ok(());
    };
    for (index, mismatch) in note.trials.iter().enumerate() {
        let Some(rule) = config.rules.get(index) else {
            break;
        };
        write!(f, "Rule {} does not match: ", rule.label(index))?;
        why(rule, mismatch, f)?;
        f.write_str(". ")?;
    }
    match note
        .matched_rule()
        .and_then(|i| Some((i, config.rules.get(i)?)))
    {
        Some((index, rule)) => write!(f, "Rule {} matches (first match wins).", rule.label(index)),
        None => f.write_str("No rule matches."),
    }
}

/// The operation's part of the explanation of an actual request, in `service`'s words.
pub fn write_operation(
    service: &dyn Storage,
    operation: Option<Operation>,
    exchange: Seen,
    f: &mut fmt::Formatter,
) -> fmt::Result {
    match operation {
        None => Ok(()),
        Some(Operation::Scripted { hop }) => write!(
            f,
            "The operation answers {} ({}).",
            exchange.response.status,
            scripted_source(hop, ExchangeKind::Actual)
        ),
        Some(Operation::Modelled { exists }) => {
            service.describe_operation(exchange.request, exists, f)
        }
    }
}

/// A stable 64-bit number per exchange (FNV-1a), so generated ids are a pure function of the
/// scenario.
pub fn stable_id(sequence: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sequence.to_le_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The object name in a URL's path, if any.
pub fn object_key(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let key = parsed.path().trim_start_matches('/');
    (!key.is_empty()).then(|| key.to_string())
}

/// A plausible Content-Type for an object name.
pub fn content_type_for(key: &str) -> &'static str {
    let ext = key.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "json" => "application/json",
        "txt" => "text/plain",
        "html" => "text/html",
        "css" => "text/css",
        "js" => "text/javascript",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        _ => "binary/octet-stream",
    }
}

/// "a, b" — a rule's list joined as the service prints it.
pub struct Joined<'a>(pub &'a [String], pub &'static str);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

/// What a service's unit tests look at: the answer, the rule, and the explanation in words.
#[cfg(test)]
pub struct Answered {
    pub response: HttpResponse,
    pub matched_rule: Option<usize>,
    pub explanation: String,
}

/// Answers `request` through the skeleton with `service`, for the services' unit tests.
#[cfg(test)]
pub fn answer_with(
    provider: Provider,
    config: Option<&CorsConfiguration>,
    request: &HttpRequest,
    scripted: Option<Scripted>,
    sequence: usize,
) -> Answered {
    let config = config.cloned().map(Arc::new);
    let (response, note) = answer(
        provider,
        super::storage(provider),
        config.as_ref(),
        request,
        scripted,
        sequence,
    );
    let explanation = super::ServerNote::Bucket(Box::new(note.clone()))
        .explain(request, &response)
        .to_string();
    Answered {
        response,
        matched_rule: note.matched_rule(),
        explanation,
    }
}

/// A configuration of one rule, for the services' unit tests.
#[cfg(test)]
pub fn one_rule(
    (origins, methods): (&[&str], &[&str]),
    (headers, exposed): (&[&str], &[&str]),
    max_age_seconds: Option<i64>,
) -> CorsConfiguration {
    let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    CorsConfiguration {
        rules: vec![CorsRule {
            id: None,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            expose_headers: v(exposed),
            max_age_seconds,
        }],
    }
}

/// A request to `url` with `headers`, for the services' unit tests.
#[cfg(test)]
pub fn request_to(url: &str, method: &str, headers: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        url: url.into(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect(),
    }
}
