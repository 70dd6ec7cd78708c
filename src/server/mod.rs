//! The server side: how each kind of server answers a request, as pure functions of its
//! configuration and the request. Each kind is one module: the storage services share the
//! [`bucket`] skeleton and bring their own hooks; the static server and recorded answers stand
//! alone. An answer carries facts ([`ServerNote`]), narrated only when a view asks.

mod api_path;
pub(crate) mod audit;
pub(crate) mod aws_answers;
pub(crate) mod aws_cors;
pub(crate) mod azure;
pub(crate) mod bucket;
pub mod cloudfront;
pub(crate) mod function_url;
pub(crate) mod gcs;
pub(crate) mod http_api;
pub(crate) mod lambda;
pub(crate) mod provider;
mod recorded;
pub(crate) mod rest_api;
pub(crate) mod rules;
pub(crate) mod s3;
pub(crate) mod stack;
mod static_server;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::http::ExchangeKind;
use crate::http::{HttpRequest, HttpResponse};
use crate::server::provider::Provider;
use crate::server::rules::CorsConfiguration;
use crate::server::stack::CannedResponse;
use crate::server::stack::Recorder;
use crate::server::stack::ResponseOverrides;
use crate::server::stack::Server;
use crate::server::stack::ServerKind;

pub use bucket::Storage;

pub use crate::problems::Refusal;

/// The storage service behind `provider`.
fn storage(provider: Provider) -> &'static dyn Storage {
    match provider {
        Provider::S3 => &s3::S3,
        Provider::Gcs => &gcs::Gcs,
        Provider::Azure => &azure::Azure,
    }
}

/// Whether a rule's origin entry covers `origin`, as `provider`'s server compares them: S3
/// globs one `*`; GCS and Azure take whole origins or `*` alone.
pub fn origin_entry_matches(provider: Provider, entry: &str, origin: &str) -> bool {
    match provider {
        Provider::S3 => s3::glob_match(entry, origin, false),
        Provider::Gcs => gcs::entry_matches(entry, origin),
        Provider::Azure => azure::origin_entry_matches(entry, origin),
    }
}

/// Whether a rule's header entry lets a preflight ask for `header`: S3 globs, Azure takes
/// prefixes ending in `*`; GCS's `responseHeader` is judged by the browser (whole names, or `*`).
pub fn header_entry_matches(provider: Provider, entry: &str, header: &str) -> bool {
    match provider {
        Provider::S3 => s3::glob_match(entry, header, true),
        Provider::Azure => azure::header_matches(entry, header),
        Provider::Gcs => entry.trim() == "*" || entry.trim().eq_ignore_ascii_case(header),
    }
}

/// A layer in front of the origin server: it may answer a request itself, and changes the
/// answers that come back up through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrontLayer {
    /// A Lambda function URL; `None`: no `Cors` configured.
    FunctionUrl { cors: Option<function_url::Cors> },
    /// An API Gateway REST API: its resources' methods and its gateway responses.
    RestApi(Box<rest_api::RestApi>),
    /// An API Gateway HTTP API; `cors` None: no CorsConfiguration.
    HttpApi {
        cors: Option<http_api::Cors>,
        routes: Vec<http_api::Route>,
        stage: Option<String>,
    },
    /// A CloudFront distribution's cache behavior and its policies.
    CloudFront(Box<cloudfront::CloudFront>),
}

impl FrontLayer {
    /// The `type` the scenario file gives it.
    pub fn name(&self) -> &'static str {
        match self {
            FrontLayer::FunctionUrl { .. } => "function_url",
            FrontLayer::HttpApi { .. } => "http_api",
            FrontLayer::RestApi(_) => "rest_api",
            FrontLayer::CloudFront(_) => "cloudfront",
        }
    }

    /// One line saying what it is and how it is configured.
    pub fn summary(&self) -> String {
        match self {
            FrontLayer::CloudFront(layer) => layer.summary(),
            FrontLayer::FunctionUrl { cors: None } => {
                "Lambda function URL, no Cors (OPTIONS goes to the function)".to_string()
            }
            FrontLayer::FunctionUrl { cors: Some(cors) } => {
                format!("Lambda function URL, Cors: {}", cors.summary())
            }
            FrontLayer::RestApi(api) => {
                let methods: Vec<String> = api
                    .resources
                    .iter()
                    .flat_map(|r| {
                        r.methods
                            .iter()
                            .map(move |m| format!("{} {}", m.http_method, r.path))
                    })
                    .collect();
                let responses: Vec<&str> = api
                    .gateway_responses
                    .iter()
                    .map(|g| g.kind.name())
                    .collect();
                format!(
                    "API Gateway REST API, methods {}; gateway responses configured: {}",
                    methods.join(", "),
                    if responses.is_empty() {
                        "none".to_string()
                    } else {
                        responses.join(", ")
                    }
                )
            }
            FrontLayer::HttpApi {
                cors,
                routes,
                stage,
            } => {
                let routes: Vec<String> = routes
                    .iter()
                    .map(|route| match route.authorization {
                        http_api::Authorization::None => route.key.clone(),
                        other => format!("{} ({})", route.key, other.name()),
                    })
                    .collect();
                let stage = stage
                    .as_deref()
                    .map_or(String::new(), |stage| format!(", stage {stage}"));
                match cors {
                    None => format!(
                        "API Gateway HTTP API, no CorsConfiguration; routes {}{stage}",
                        routes.join(", ")
                    ),
                    Some(cors) => format!(
                        "API Gateway HTTP API, CorsConfiguration: {}; routes {}{stage}",
                        cors.summary(),
                        routes.join(", ")
                    ),
                }
            }
        }
    }
}

/// A front layer ready to answer, its configuration shared with the notes it writes.
enum Layer {
    CloudFront(cloudfront::Distribution),
    FunctionUrl(function_url::FunctionUrl),
    HttpApi(http_api::HttpApi),
    RestApi(rest_api::RestApi),
}

impl Layer {
    fn new(layer: &FrontLayer) -> Self {
        match layer {
            FrontLayer::FunctionUrl { cors } => Layer::FunctionUrl(function_url::FunctionUrl {
                cors: cors.clone().map(Arc::new),
            }),
            FrontLayer::HttpApi {
                cors,
                routes,
                stage,
            } => Layer::HttpApi(http_api::HttpApi {
                cors: cors.clone().map(Arc::new),
                routes: routes.clone().into(),
                stage: stage.clone(),
            }),
            FrontLayer::RestApi(api) => Layer::RestApi((**api).clone()),
            FrontLayer::CloudFront(layer) => {
                Layer::CloudFront(cloudfront::Distribution::new(layer))
            }
        }
    }

    /// On the way down: the layer answers itself, or passes the request on, changed or not.
    fn down(&mut self, request: &HttpRequest, at: Moment) -> Down {
        let sequence = at.sequence;
        let answered = match self {
            Layer::CloudFront(layer) => {
                return match layer.answer_itself(request, cloudfront_moment(at)) {
                    Ok((response, note)) => Down::Answer(ServerAnswer {
                        response,
                        note: ServerNote::CloudFront(Box::new(note)),
                    }),
                    Err(forwarded) => Down::Forward(forwarded),
                };
            }
            Layer::FunctionUrl(layer) => {
                layer
                    .answer_itself(request, sequence)
                    .map(|(response, note)| ServerAnswer {
                        response,
                        note: ServerNote::FunctionUrl(Box::new(note)),
                    })
            }
            Layer::HttpApi(layer) => {
                layer
                    .answer_itself(request, sequence)
                    .map(|(response, note)| ServerAnswer {
                        response,
                        note: ServerNote::HttpApi(Box::new(note)),
                    })
            }
            Layer::RestApi(layer) => {
                layer
                    .answer_itself(request, sequence)
                    .map(|(response, note)| ServerAnswer {
                        response,
                        note: ServerNote::RestApi(Box::new(note)),
                    })
            }
        };
        answered.map_or(Down::Pass, Down::Answer)
    }

    /// On the way back up: what the layer does to the answer; `below` is what the layers
    /// beneath it did.
    fn pass_up(
        &mut self,
        request: &HttpRequest,
        response: &mut HttpResponse,
        below: &ServerNote,
        at: Moment,
    ) -> ServerNote {
        match self {
            Layer::CloudFront(layer) => ServerNote::CloudFront(Box::new(layer.pass_up(
                request,
                response,
                below,
                cloudfront_moment(at),
            ))),
            Layer::FunctionUrl(layer) => {
                ServerNote::FunctionUrl(Box::new(layer.pass_up(request, response)))
            }
            Layer::HttpApi(layer) => {
                ServerNote::HttpApi(Box::new(layer.pass_up(request, response)))
            }
            Layer::RestApi(layer) => {
                ServerNote::RestApi(Box::new(layer.pass_up(request, response, at.sequence)))
            }
        }
    }
}

/// What a layer does with a request on its way down.
enum Down {
    Answer(ServerAnswer),
    /// On, unchanged.
    Pass,
    /// On, as this request.
    Forward(HttpRequest),
}

/// When and where an exchange happens, for the layers whose answers depend on it.
#[derive(Clone, Copy, Debug)]
pub struct Moment<'a> {
    /// Seconds into the run.
    pub now: u64,
    /// The edge location the request reaches, when the scenario names one.
    pub edge: Option<&'a str>,
    /// The exchange's number in the run, for stable generated ids.
    pub sequence: usize,
}

fn cloudfront_moment(at: Moment) -> cloudfront::Moment {
    cloudfront::Moment {
        now: at.now,
        edge: at.edge,
        sequence: at.sequence,
    }
}

/// A scenario's server, ready to answer: built once per run so every answer's facts can share
/// its configuration.
pub struct Answerer<'a> {
    server: &'a Server,
    config: Option<Arc<CorsConfiguration>>,
    front: Vec<Layer>,
}

impl<'a> Answerer<'a> {
    pub fn new(server: &'a Server) -> Self {
        let config = match &server.kind {
            ServerKind::Bucket { cors, .. } => cors.clone().map(Arc::new),
            _ => None,
        };
        Answerer {
            server,
            config,
            front: server.front.iter().map(Layer::new).collect(),
        }
    }

    /// The tracker's AllowedOrigins: the origins of the outermost layer that decides CORS.
    pub fn allowed_origins_text(&self) -> String {
        for layer in &self.server.front {
            match layer {
                FrontLayer::FunctionUrl { cors: Some(cors) } => {
                    return format!("{} (function URL)", cors.allow_origins.join(", "));
                }
                FrontLayer::HttpApi {
                    cors: Some(cors), ..
                } => {
                    return format!("{} (HTTP API)", cors.allow_origins.join(", "));
                }
                FrontLayer::CloudFront(layer) => {
                    if let Some(cors) = layer
                        .behavior
                        .response_headers
                        .as_ref()
                        .and_then(|p| p.cors.as_ref())
                    {
                        return format!(
                            "{} (CloudFront response headers policy)",
                            cors.allow_origins.join(", ")
                        );
                    }
                }
                FrontLayer::RestApi(api) => {
                    let origins = distinct(
                        api.serving()
                            .resources
                            .iter()
                            .flat_map(|r| r.methods.iter())
                            .flat_map(|m| m.mock_origins()),
                    );
                    return if origins.is_empty() {
                        "n/a (REST API: no MOCK maps Access-Control-Allow-Origin)".to_string()
                    } else {
                        format!("{} (REST API MOCK)", origins.join(", "))
                    };
                }
                _ => {}
            }
        }
        match &self.server.kind {
            ServerKind::Bucket { cors: None, .. } => "(no CORS configuration)".to_string(),
            ServerKind::Bucket {
                cors: Some(config), ..
            } => distinct(
                config
                    .rules
                    .iter()
                    .flat_map(|r| r.allowed_origins.iter())
                    .map(String::as_str),
            )
            .join(", "),
            ServerKind::Static { .. } if !self.front.is_empty() => {
                "n/a (the function's fixed answers)".to_string()
            }
            ServerKind::Static { .. } => "n/a (static server, no rules)".to_string(),
            ServerKind::Recorded { by } => by.no_rules().to_string(),
        }
    }

    /// The tracker's Matched Rule after an exchange the server answered as `note` says.
    pub fn matched_rule_text(&self, note: &ServerNote) -> String {
        let (answer, passed) = match note {
            ServerNote::Through { answer, passed } => (answer.as_ref(), passed.as_slice()),
            other => (other, &[][..]),
        };
        // The outermost layer that acted with a CORS configuration decides what is shown.
        let decided = passed.iter().rev().chain(std::iter::once(answer));
        for note in decided {
            match note {
                ServerNote::FunctionUrl(note) => match note.as_ref() {
                    function_url::Note::AnsweredOptions { origin_allowed, .. } => {
                        return function_url_match(*origin_allowed);
                    }
                    function_url::Note::Appended { .. } => return function_url_match(true),
                    function_url::Note::NotAllowed { .. } => return function_url_match(false),
                    _ => {}
                },
                ServerNote::HttpApi(note) => {
                    if let Some(text) = http_api_match(note) {
                        return text;
                    }
                }
                ServerNote::RestApi(note) => return rest_api_match(note),
                ServerNote::CloudFront(note) => {
                    if let Some(text) = cloudfront_match(note) {
                        return text;
                    }
                }
                _ => {}
            }
        }
        match (&self.server.kind, answer.matched_rule()) {
            (
                ServerKind::Bucket {
                    cors: Some(config), ..
                },
                Some(i),
            ) => config.rules[i].label(i),
            (ServerKind::Bucket { cors: Some(_), .. }, None) => "none".to_string(),
            (ServerKind::Bucket { cors: None, .. }, _) => {
                "none (no CORS configuration)".to_string()
            }
            (ServerKind::Static { .. }, _) if !self.front.is_empty() => {
                "n/a (the function's fixed answer)".to_string()
            }
            (ServerKind::Static { .. }, _) => "n/a (static server)".to_string(),
            (ServerKind::Recorded { by }, _) => by.no_rules().to_string(),
        }
    }

    /// Sends `request` down the stack: the first layer that answers it does, the origin server
    /// last, each layer getting the request as the one above passed it on; the answer then
    /// comes back up through every layer above the one that answered.
    pub fn answer(
        &mut self,
        kind: ExchangeKind,
        request: &HttpRequest,
        scripted: (&ResponseOverrides, usize),
        at: Moment,
    ) -> ServerAnswer {
        // The request each layer got: a layer that changes it hands the next one a copy.
        let mut received: Vec<Cow<HttpRequest>> = vec![Cow::Borrowed(request)];
        let mut answered = None;
        for layer in &mut self.front {
            let Some(current) = received.last() else {
                break;
            };
            match layer.down(current, at) {
                Down::Answer(answer) => {
                    answered = Some(answer);
                    break;
                }
                Down::Pass => {
                    let same = current.clone();
                    received.push(same);
                }
                Down::Forward(changed) => received.push(Cow::Owned(changed)),
            }
        }
        let answered_at = received.len() - 1;
        let mut answer = match answered {
            Some(answer) => answer,
            None => {
                let at_origin = received.last().map_or(request, |r| r.as_ref());
                self.answer_at_origin(kind, at_origin, scripted, at.sequence)
            }
        };
        let mut passed: Vec<ServerNote> = Vec::new();
        for (layer, got) in self.front[..answered_at].iter_mut().zip(&received).rev() {
            let below = passed.last().unwrap_or(&answer.note);
            let note = layer.pass_up(got, &mut answer.response, below, at);
            passed.push(note);
        }
        if !passed.is_empty() {
            answer.note = ServerNote::Through {
                answer: Box::new(answer.note),
                passed,
            };
        }
        answer
    }

    /// The origin server's answer. A server sees only the request, so only a recording, which
    /// holds one answer per role, looks at `kind`. `overrides` are the answers scripted for
    /// `hop`. `sequence` numbers the exchange so generated ids are stable.
    fn answer_at_origin(
        &self,
        kind: ExchangeKind,
        request: &HttpRequest,
        (overrides, hop): (&ResponseOverrides, usize),
        sequence: usize,
    ) -> ServerAnswer {
        match &self.server.kind {
            ServerKind::Bucket { provider, .. } => {
                let scripted = overrides
                    .actual
                    .as_ref()
                    .map(|response| Scripted { response, hop });
                let (response, note) = bucket::answer(
                    *provider,
                    storage(*provider),
                    self.config.as_ref(),
                    request,
                    scripted,
                    sequence,
                );
                ServerAnswer {
                    response,
                    note: ServerNote::Bucket(Box::new(note)),
                }
            }
            ServerKind::Recorded { by } => recorded::answer(kind, overrides, *by),
            ServerKind::Static {
                preflight,
                actual,
                lambda,
                session,
            } => {
                let mut answer = static_server::answer(
                    (preflight.as_ref(), actual),
                    session.as_deref(),
                    request,
                    overrides,
                    hop,
                );
                if let ServerNote::Static {
                    behind,
                    scripted,
                    lambda: read,
                    ..
                } = &mut answer.note
                {
                    *behind = !self.front.is_empty();
                    // A scripted answer replaces the function's result.
                    if !*scripted {
                        read.clone_from(lambda);
                    }
                }
                answer
            }
        }
    }
}

fn function_url_match(origin_allowed: bool) -> String {
    if origin_allowed {
        "function URL Cors (origin allowed)".to_string()
    } else {
        "function URL Cors (origin not allowed)".to_string()
    }
}

/// `values` without repeats, in first-seen order.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = foldhash::HashSet::default();
    values.filter(|value| seen.insert(*value)).collect()
}

/// What each of `layers` front layers did with an exchange the server answered as `note`,
/// outermost first: the layer's note and whether that layer answered (rather than passed the
/// answer up); None for a layer the request never reached.
pub fn front_notes(note: &ServerNote, layers: usize) -> Vec<Option<(&ServerNote, bool)>> {
    let mut acts = vec![None; layers];
    match note {
        ServerNote::Through { answer, passed } => {
            // `passed` runs innermost first, from the layer above the one that answered.
            let answered_at = passed.len();
            for (i, note) in passed.iter().rev().enumerate() {
                if let Some(act) = acts.get_mut(i) {
                    *act = Some((note, false));
                }
            }
            if answer.is_front()
                && let Some(act) = acts.get_mut(answered_at)
            {
                *act = Some((answer.as_ref(), true));
            }
        }
        note if note.is_front() => {
            if let Some(act) = acts.first_mut() {
                *act = Some((note, true));
            }
        }
        _ => {}
    }
    acts
}

/// The tracker's Matched Rule for what CloudFront did, when it decided the answer.
fn cloudfront_match(note: &cloudfront::Note) -> Option<String> {
    use cloudfront::{Decoration, Note};
    let decoration = match note {
        Note::MethodNotAllowed { .. } => {
            return Some("CloudFront: method not allowed (403)".to_string());
        }
        Note::Hit {
            stored, decoration, ..
        } => {
            if !matches!(decoration, Decoration::Applied { .. }) {
                return Some(format!(
                    "CloudFront cache HIT (stored at t={} s)",
                    stored.at
                ));
            }
            decoration
        }
        Note::Miss { decoration, .. } => decoration,
    };
    match decoration {
        Decoration::Applied { policy, .. } => {
            Some(format!("CloudFront response headers policy {policy}"))
        }
        Decoration::OriginNotAllowed { policy } => Some(format!(
            "CloudFront response headers policy {policy} (origin not allowed)"
        )),
        _ => None,
    }
}

/// The tracker's Matched Rule for what an HTTP API did, when it decided.
fn http_api_match(note: &http_api::Note) -> Option<String> {
    use http_api::Note;
    Some(match note {
        Note::AnsweredPreflight { matched, .. } => format!(
            "HTTP API CorsConfiguration (origin {})",
            if matched.is_some() {
                "allowed"
            } else {
                "not allowed"
            }
        ),
        Note::Refused {
            route,
            authorization,
            ..
        } => format!(
            "route {route} ({} authorizer refused)",
            authorization.name()
        ),
        Note::NotFound { .. } => "no route (404 Not Found)".to_string(),
        Note::Passed { cors: None, .. } => return None,
        Note::Passed { route, matched, .. } => format!(
            "route {route}; CorsConfiguration (origin {})",
            if matched.is_some() {
                "allowed"
            } else {
                "not allowed"
            }
        ),
    })
}

/// The tracker's Matched Rule for what a REST API did.
fn rest_api_match(note: &rest_api::Note) -> String {
    use rest_api::{Note, Refused};
    if let Note::Deployed { note, .. } = note {
        return format!("{} (deployed)", rest_api_match(note));
    }
    match note {
        Note::Mock { method, .. } => format!("{method} (MOCK)"),
        Note::Gateway {
            refused: Refused::NoMethod,
            kind,
            ..
        } => format!("no method ({})", kind.name()),
        Note::Gateway {
            refused: Refused::ApiKey { method } | Refused::Authorizer { method, .. },
            kind,
            ..
        } => format!("{method} refused ({})", kind.name()),
        Note::Gateway {
            refused: Refused::NoOutputMapping { method, .. },
            kind,
            ..
        } => format!("{method}: no output mapping ({})", kind.name()),
        Note::Proxied { method } => format!("{method} (proxy)"),
        Note::Mapped { method, .. } => format!("{method} (mapped)"),
        Note::Deployed { .. } => String::new(),
    }
}

/// A server's answer and the facts behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAnswer {
    pub response: HttpResponse,
    pub note: ServerNote,
}

/// Why a server answered as it did, as facts; [`ServerNote::explain`] puts them in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerNote {
    Bucket(Box<bucket::Note>),
    /// A static server's fixed answer, or the one scripted for `hop`; `behind`: the function
    /// behind front layers.
    /// `one_answer`: it answers OPTIONS as it answers everything else; `lambda`: how the
    /// service in front read the function's result.
    Static {
        hop: usize,
        scripted: bool,
        behind: bool,
        one_answer: bool,
        lambda: Option<Arc<lambda::LambdaResult>>,
        /// What a server that reads a session cookie found.
        session: Option<Box<static_server::SessionSeen>>,
    },
    /// A recorded answer, or none (`answered: false`: the request was never sent).
    Recorded {
        by: Recorder,
        answered: bool,
    },
    /// What a Lambda function URL did.
    FunctionUrl(Box<function_url::Note>),
    /// What an API Gateway HTTP API did.
    HttpApi(Box<http_api::Note>),
    /// What an API Gateway REST API did.
    RestApi(Box<rest_api::Note>),
    /// What a CloudFront distribution did.
    CloudFront(Box<cloudfront::Note>),
    /// Not sent: the browser's own HTTP cache answered, `age` seconds after it stored the copy.
    BrowserCache {
        stored: Box<Stored>,
        age: u64,
    },
    /// An answer and what each layer it came back up through did, innermost first.
    Through {
        answer: Box<ServerNote>,
        passed: Vec<ServerNote>,
    },
    /// Not sent: the browser blocked the request before it went out (mixed content, Local
    /// Network Access), for that reason.
    NotSent(crate::engine::CorsError),
    /// The explanation as a saved trace holds it.
    Saved(String),
}

impl ServerNote {
    /// Whether CloudFront forwarded the request to its origin (a cache miss).
    fn is_cloudfront_miss(&self) -> bool {
        matches!(self, ServerNote::CloudFront(note) if matches!(**note, cloudfront::Note::Miss { .. }))
    }

    /// Whether a front layer wrote it.
    fn is_front(&self) -> bool {
        matches!(
            self,
            ServerNote::FunctionUrl(_)
                | ServerNote::HttpApi(_)
                | ServerNote::RestApi(_)
                | ServerNote::CloudFront(_)
        )
    }

    /// What each CloudFront layer did with the exchange, outermost last.
    pub fn cloudfront_notes(&self) -> Vec<&cloudfront::Note> {
        match self {
            ServerNote::CloudFront(note) => vec![note],
            ServerNote::Through { answer, passed } => answer
                .cloudfront_notes()
                .into_iter()
                .chain(passed.iter().flat_map(ServerNote::cloudfront_notes))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What the origin server, if it reads a session cookie, found on the request.
    pub fn session_seen(&self) -> Option<&static_server::SessionSeen> {
        match self {
            ServerNote::Static { session, .. } => session.as_deref(),
            ServerNote::Through { answer, .. } => answer.session_seen(),
            _ => None,
        }
    }

    /// Which cache answered instead of the server, in a word: "HIT" for a CDN's edge, "cached"
    /// for the browser's own cache.
    pub fn cache_word(&self) -> Option<&'static str> {
        match self {
            ServerNote::BrowserCache { .. } => Some("cached"),
            ServerNote::CloudFront(note) if matches!(**note, cloudfront::Note::Hit { .. }) => {
                Some("HIT")
            }
            ServerNote::Through { answer, .. } => answer.cache_word(),
            _ => None,
        }
    }

    /// The 0-based index of the CORS rule that matched, for rule-based servers.
    pub fn matched_rule(&self) -> Option<usize> {
        match self {
            ServerNote::Bucket(note) => note.matched_rule(),
            ServerNote::Through { answer, .. } => answer.matched_rule(),
            _ => None,
        }
    }

    /// The explanation of the answer `response` to `request`.
    pub fn explain<'a>(
        &'a self,
        request: &'a HttpRequest,
        response: &'a HttpResponse,
    ) -> Explanation<'a> {
        Explanation {
            note: self,
            seen: bucket::Seen { request, response },
        }
    }
}

/// A server's explanation, written when displayed.
pub struct Explanation<'a> {
    note: &'a ServerNote,
    seen: bucket::Seen<'a>,
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let method = &self.seen.request.method;
        match self.note {
            ServerNote::Bucket(note) => storage(note.provider).narrate(note, self.seen, f),
            ServerNote::Static {
                hop,
                scripted,
                behind,
                one_answer,
                lambda,
                session,
            } => {
                if let Some(session) = session {
                    let cookie = &session.cookie;
                    let who = if *behind {
                        "The function"
                    } else {
                        "The server"
                    };
                    return if session.present {
                        write!(
                            f,
                            "{who} finds its session cookie {cookie} on the {method} and answers as to the logged-in user. It does not evaluate CORS: its CORS headers are fixed."
                        )
                    } else {
                        write!(
                            f,
                            "The {method} carries no {cookie} cookie, so {} answers as to a visitor who is not logged in: its logged-out answer.",
                            if *behind {
                                "the function"
                            } else {
                                "the server"
                            }
                        )
                    };
                }
                let (kind, fixed) = if self.seen.request.method == "OPTIONS" && !*one_answer {
                    (ExchangeKind::Preflight, "fixed preflight answer")
                } else if self.seen.request.method == "OPTIONS" {
                    (
                        ExchangeKind::Preflight,
                        "one fixed answer, the same as for every other method",
                    )
                } else {
                    (ExchangeKind::Actual, "fixed answer")
                };
                let owner = if *behind { "its" } else { "the server's" };
                let source = if *scripted {
                    scripted_source(*hop, kind).into_owned()
                } else {
                    format!("{owner} {fixed}")
                };
                if *behind {
                    write!(
                        f,
                        "The function answers the {method} with {source}: it does not evaluate CORS, whatever the request says."
                    )?;
                    if let Some(lambda) = lambda {
                        lambda.narrate(f)?;
                    }
                    return Ok(());
                }
                write!(
                    f,
                    "A static server does not evaluate CORS: it answers {method} with {source}, whatever the request says."
                )
            }
            ServerNote::Recorded { by, answered } => match (answered, by) {
                (false, _) => write!(f, "The recording holds no answer to this {method}."),
                (true, Recorder::Browser(_)) => write!(
                    f,
                    "The recording holds this answer to the {method}: it is replayed as the browser received it."
                ),
                (true, Recorder::Probe) => write!(
                    f,
                    "The live server gave this answer when the probe sent the {method} exactly as above."
                ),
            },
            ServerNote::FunctionUrl(note) => note.narrate(self.seen.request, f),
            ServerNote::HttpApi(note) => note.narrate(self.seen.request, f),
            ServerNote::RestApi(note) => note.narrate(f),
            ServerNote::CloudFront(note) => {
                note.narrate((self.seen.request, self.seen.response), f)
            }
            ServerNote::BrowserCache { stored, age } => {
                let by = match &stored.origin {
                    Some(origin) => format!("with Origin {origin}"),
                    None => "without Origin".to_string(),
                };
                let fresh_for = match stored.fresh_by {
                    FreshBy::MaxAge => format!("max-age {} s", stored.max_age),
                    FreshBy::Expires => format!(
                        "fresh for {} s: the time from its Date, or its arrival, to its Expires",
                        stored.max_age
                    ),
                    FreshBy::LastModified => format!(
                        "fresh for {} s by heuristic: no max-age, so a tenth of the time since its Last-Modified, as Chromium counts it",
                        stored.max_age
                    ),
                    FreshBy::Permanent => format!(
                        "fresh for good: Chromium keeps a {} that has no max-age, Expires or no-cache until its cache is cleared, as observed in Chromium 156",
                        self.seen.response.status
                    ),
                };
                write!(
                    f,
                    "Not sent: the browser's HTTP cache holds a fresh copy of this URL, stored at t={} s from request #{}'s GET {by} ({fresh_for}; age {age} s). ",
                    stored.at, stored.by_request
                )?;
                if stored.vary.is_empty() {
                    f.write_str("The answer had no Vary, so the browser takes it for every request of this URL, whatever its Origin (observed in Chromium 148); the server never sees this one.")
                } else {
                    write!(
                        f,
                        "Its Vary ({}) names headers whose values are the same in this request, so the copy is reused; the server never sees this one.",
                        stored.vary.join(", ")
                    )
                }
            }
            ServerNote::Through { answer, passed } => {
                // Below a CloudFront miss, the layers saw the request as CloudFront forwarded it.
                let miss = passed.iter().enumerate().find_map(|(at, note)| match note {
                    ServerNote::CloudFront(note) => match note.as_ref() {
                        cloudfront::Note::Miss { forwarded, .. } => Some((at, forwarded.as_ref())),
                        _ => None,
                    },
                    _ => None,
                });
                let forwarded = miss.map(|(at, _)| at);
                let below = miss.map_or(self.seen.request, |(_, request)| request);
                // A miss is told first: it is how the request reached the origin.
                for note in passed.iter().rev().filter(|note| note.is_cloudfront_miss()) {
                    note.explain(self.seen.request, self.seen.response).fmt(f)?;
                    f.write_str(" ")?;
                }
                answer.explain(below, self.seen.response).fmt(f)?;
                for (i, note) in passed.iter().enumerate() {
                    if note.is_cloudfront_miss() {
                        continue;
                    }
                    let request = if forwarded.is_some_and(|at| i < at) {
                        below
                    } else {
                        self.seen.request
                    };
                    f.write_str(" ")?;
                    note.explain(request, self.seen.response).fmt(f)?;
                }
                Ok(())
            }
            ServerNote::NotSent(why) => write!(
                f,
                "Never sent: the browser blocked the {method} before it went out ({}), so no server saw it (status 0, as DevTools shows it).",
                if *why == crate::engine::CorsError::MixedContent {
                    "mixed content"
                } else {
                    "Local Network Access"
                }
            ),
            ServerNote::Saved(text) => f.write_str(text),
        }
    }
}

/// A scripted answer and the hop it is scripted for, which the explanation names.
#[derive(Clone, Copy)]
pub struct Scripted<'a> {
    pub response: &'a CannedResponse,
    pub hop: usize,
}

/// The scripted answer of `kind` at `hop` (0: the page's own request, then one per redirect
/// followed), in words a student reads; the file's key path stays out of the lesson.
pub fn scripted_source(hop: usize, kind: ExchangeKind) -> Cow<'static, str> {
    let answer = match kind {
        ExchangeKind::Preflight => "preflight answer",
        ExchangeKind::Actual => "answer",
    };
    match hop {
        0 => Cow::Owned(format!("the {answer} the lesson scripts for this request")),
        n => Cow::Owned(format!(
            "the {answer} the lesson scripts for this request's redirect {n}"
        )),
    }
}

/// The answer `overrides` script for an exchange of `kind`.
pub fn scripted_for(overrides: &ResponseOverrides, kind: ExchangeKind) -> Option<&CannedResponse> {
    match kind {
        ExchangeKind::Preflight => overrides.preflight.as_ref(),
        ExchangeKind::Actual => overrides.actual.as_ref(),
    }
}

pub(crate) fn canned(response: &CannedResponse) -> HttpResponse {
    HttpResponse {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
    }
}

impl Stored {
    /// Its age at `now`: as old as it arrived, and older by the time kept since.
    pub fn age(&self, now: u64) -> u64 {
        self.initial_age.saturating_add(now.saturating_sub(self.at))
    }

    /// Whether it is still fresh at `now` (Chromium: while its age is under its lifetime).
    pub fn is_fresh(&self, now: u64) -> bool {
        self.age(now) < self.max_age
    }
}

/// Why the browser holds a stored answer fresh (Chromium's `HttpResponseHeaders::
/// GetFreshnessLifetimes`, in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreshBy {
    /// `Cache-Control: max-age`.
    MaxAge,
    /// `Expires`, counted from `Date` or from when the answer arrived.
    Expires,
    /// No max-age or Expires: a tenth of the time since its `Last-Modified` (a heuristic).
    LastModified,
    /// A 300, 301, 308 or 410 with neither: fresh for good, until the cache is cleared.
    Permanent,
}

/// The copy the browser's HTTP cache answered from: the request that stored it and when. The
/// engine keeps the cache; the answer it gives is noted here, beside the layers' notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Seconds into the run.
    pub at: u64,
    /// Seconds it stays fresh for (`u64::MAX`: for good).
    pub max_age: u64,
    /// What made it fresh.
    pub fresh_by: FreshBy,
    /// Its age when it arrived: its `Age`, or the time since its `Date`, whichever is more.
    pub initial_age: u64,
    /// The 1-based request that stored it.
    pub by_request: usize,
    /// Its Origin header (None: it sent none, as an `<img>` without crossorigin does).
    pub origin: Option<String>,
    /// The names the answer's `Vary` lists, in its order.
    pub vary: Vec<String>,
}
