//! Raw scenario → validated [`Scenario`]: everything a browser's fetch() or S3's
//! `put-bucket-cors` would refuse is reported here, with the key path of the offending value.

use crate::scenario::Header;
use url::Url;

use super::raw::{
    CrossOrigin, RawChoice, RawMoment, RawOverrides, RawQuestion, RawRecordingBrowser, RawRequest,
    RawResponse, RawScenario, RawServerType, RawSetCookie, RawVia,
};
use super::{
    CacheMode, CannedResponse, Choice, Cookies, Credentials, Initiator, Moment, Outcome, Provider,
    Question, Recorder, RecordingBrowser, RequestSpec, ResponseOverrides, Scenario, Server,
    ServerKind, Session, SetCookie, Via,
};
use crate::http::syntax::{
    is_forbidden_method, is_token, is_valid_header_value, normalize_header_value, origin_of,
};
use crate::server::azure::config::{self as azure, RawAzureRules};
use crate::server::gcs::config::{self as gcs, RawGcsRule};
use crate::server::rules::{CorsConfiguration, PathPart, Rejection};
use crate::server::s3::config::{self as s3, RawCors};

pub use crate::problems::{JsonPath, Problem, Problems, Seg};
pub(crate) use crate::problems::{deserialize_at, refused, sub_value};

fn root(key: &str) -> JsonPath {
    JsonPath(vec![Seg::Key(key.to_string())])
}

pub fn validate(raw: RawScenario) -> Result<Scenario, Vec<Problem>> {
    let mut problems = Problems::default();
    let server = validate_server(raw.server, &mut problems);
    if raw.requests.is_empty() {
        problems.add(root("requests"), "a scenario needs at least one request");
    }
    let mut requests = Vec::with_capacity(raw.requests.len());
    if let Some(server) = &server {
        for (i, request) in raw.requests.into_iter().enumerate() {
            if let Some(spec) =
                validate_request(request, server, &root("requests").index(i), &mut problems)
            {
                requests.push(spec);
            }
        }
    }
    let moments = validate_moments(raw.moments.unwrap_or_default(), &mut problems);
    let quiz = validate_quiz(raw.quiz.unwrap_or_default(), &mut problems);
    let addresses = validate_addresses(raw.addresses.unwrap_or_default(), &mut problems);
    let cookies = Cookies {
        jar: validate_cookies(raw.cookies.unwrap_or_default(), &mut problems),
        third_party: raw.third_party_cookies.unwrap_or_default(),
    };
    match server {
        Some(server) if problems.0.is_empty() => Ok(Scenario {
            title: raw.title.unwrap_or_else(|| "Untitled scenario".to_string()),
            description: raw.description.unwrap_or_default(),
            browser: raw.browser,
            server,
            requests: requests.into(),
            moments,
            quiz,
            cookies,
            local_network_access: raw.local_network_access.unwrap_or_default(),
            embedder_policy: raw.cross_origin_embedder_policy.unwrap_or_default(),
            addresses,
        }),
        _ => Err(problems.0),
    }
}

/// Each name a host name, each value an IPv4 or IPv6 address.
fn validate_addresses(
    raw: std::collections::BTreeMap<String, String>,
    problems: &mut Problems,
) -> super::Addresses {
    let mut addresses = std::collections::BTreeMap::new();
    for (name, value) in raw {
        let path = root("addresses").key(&name);
        let host = name.trim_end_matches('.').to_ascii_lowercase();
        if !matches!(url::Host::parse(&host), Ok(url::Host::Domain(_))) || host.is_empty() {
            problems.add(
                path,
                format!("`{name}` is not a host name (the keys of addresses are names, the values their addresses)"),
            );
            continue;
        }
        match value.trim().parse::<std::net::IpAddr>() {
            Ok(address) => {
                addresses.insert(host, address);
            }
            Err(_) => problems.add(path, format!("`{value}` is not an IPv4 or IPv6 address")),
        }
    }
    super::Addresses(addresses)
}

/// Each cookie is a `Set-Cookie` line a site answered with. A line the browser would refuse
/// (`SameSite=None` without `Secure`) is kept: the lesson may be about that refusal.
fn validate_cookies(raw: Vec<RawSetCookie>, problems: &mut Problems) -> Vec<SetCookie> {
    let mut jar = Vec::with_capacity(raw.len());
    for (i, set) in raw.into_iter().enumerate() {
        let path = root("cookies").index(i);
        let Some(set_by) = parse_http_url(&set.set_by, &path.key("set_by"), problems) else {
            continue;
        };
        if let Err(err) = cookie::Cookie::parse(set.set_cookie.as_str()) {
            problems.add(
                path.key("set_cookie"),
                format!("not a Set-Cookie line (name=value; attributes): {err}"),
            );
            continue;
        }
        jar.push(SetCookie {
            set_by,
            line: set.set_cookie,
        });
    }
    jar
}

fn validate_moments(raw: Vec<RawMoment>, problems: &mut Problems) -> Vec<Moment> {
    let mut moments = Vec::with_capacity(raw.len());
    for (i, moment) in raw.into_iter().enumerate() {
        if moment.step == 0 {
            problems.add(
                root("moments").index(i).key("step"),
                "steps are numbered from 1",
            );
            continue;
        }
        moments.push(Moment {
            step: moment.step,
            question: moment.question,
            answer: moment.answer,
        });
    }
    moments
}

/// An answer is the text of a choice or its letter (a, b, c, …).
fn validate_quiz(raw: Vec<RawQuestion>, problems: &mut Problems) -> Vec<Question> {
    let mut quiz = Vec::with_capacity(raw.len());
    for (i, question) in raw.into_iter().enumerate() {
        let path = root("quiz").index(i);
        if !(2..=6).contains(&question.choices.len()) {
            problems.add(path.key("choices"), "a question needs 2 to 6 choices");
            continue;
        }
        let choices: Vec<Choice> = question
            .choices
            .into_iter()
            .map(|choice| match choice {
                RawChoice::Text(text) => Choice::plain(text),
                RawChoice::Explained(c) => Choice::explained(c.text, c.why),
            })
            .collect();
        let by_text = choices.iter().position(|c| c.text == question.answer);
        let by_letter = {
            let mut chars = question.answer.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => {
                    let index = (c.to_ascii_lowercase() as u8 - b'a') as usize;
                    (index < choices.len()).then_some(index)
                }
                _ => None,
            }
        };
        let Some(answer) = by_text.or(by_letter) else {
            problems.add(
                path.key("answer"),
                format!(
                    "'{}' is neither one of the choices nor a choice's letter (a-{})",
                    question.answer,
                    (b'a' + choices.len() as u8 - 1) as char
                ),
            );
            continue;
        };
        if question.step == Some(0) {
            problems.add(path.key("step"), "steps are numbered from 1");
            continue;
        }
        quiz.push(Question {
            question: question.question,
            choices,
            answer,
            hint: question.hint,
            step: question.step,
        });
    }
    quiz
}

fn parse_http_url(text: &str, path: &JsonPath, problems: &mut Problems) -> Option<Url> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        Ok(url) => {
            problems.add(
                path.clone(),
                format!(
                    "CORS applies to http and https URLs only; '{}' is a {} URL",
                    text,
                    url.scheme()
                ),
            );
            None
        }
        Err(err) => {
            problems.add(path.clone(), format!("'{text}' is not a valid URL: {err}"));
            None
        }
    }
}

fn validate_server(raw: super::raw::RawServer, problems: &mut Problems) -> Option<Server> {
    let path = root("server");
    let url = parse_http_url(&raw.url, &path.key("url"), problems);
    let (flat, layers) = raw.split();
    let (front, kind) = match layers {
        None => (
            Some(Vec::new()),
            validate_origin(flat, &path, None, problems),
        ),
        Some(layers) => {
            misplaced(
                problems,
                &path,
                &[
                    ("type", flat.kind.is_some()),
                    ("cors", flat.cors.is_some()),
                    ("preflight", flat.preflight.is_some()),
                    ("actual", flat.actual.is_some()),
                ],
                |key| {
                    format!("a server written as 'layers' keeps each layer's '{key}' in its layer")
                },
            );
            validate_stack(layers, &path.key("layers"), problems)
        }
    };
    Some(Server {
        url: url?,
        kind: kind?,
        front: front?,
        rules_from: None,
    })
}

/// `layers`, outermost first: front layers, then the origin server last.
fn validate_stack(
    layers: Vec<super::raw::RawLayer>,
    path: &JsonPath,
    problems: &mut Problems,
) -> (Option<Vec<crate::server::FrontLayer>>, Option<ServerKind>) {
    let count = layers.len();
    if count == 0 {
        problems.add(
            path.clone(),
            "'layers' needs at least the origin server (an \"s3\", \"gcs\", \"azure\" or \"static\" layer, last)",
        );
        return (None, None);
    }
    let mut front = Some(Vec::new());
    let mut origin = None;
    // The service that invokes the function: the layer just in front of it.
    let mut invoker = None;
    for (i, layer) in layers.into_iter().enumerate() {
        let at = path.index(i);
        let last = i + 1 == count;
        let is_front = matches!(
            layer.kind,
            Some(
                RawServerType::FunctionUrl
                    | RawServerType::HttpApi
                    | RawServerType::RestApi
                    | RawServerType::CloudFront
            )
        );
        match (is_front, last) {
            (true, false) => {
                invoker = match layer.kind {
                    Some(RawServerType::RestApi) => Some(crate::server::lambda::Payload::V1),
                    // A CDN does not invoke a function: it forwards HTTP.
                    Some(RawServerType::CloudFront) => None,
                    _ => Some(crate::server::lambda::Payload::V2),
                };
                let layer = validate_front(layer, &at, problems);
                match (&mut front, layer) {
                    (Some(front), Some(layer)) => front.push(layer),
                    _ => front = None,
                }
            }
            (true, true) if layer.kind == Some(RawServerType::CloudFront) => problems.add(
                at.key("type"),
                "CloudFront passes requests on to its origin: it cannot be the last layer; put the origin (an \"s3\" bucket, an API or a \"static\" server) after it",
            ),
            (true, true) => problems.add(
                at.key("type"),
                "this layer passes requests on to a function: it cannot be the last layer; put the function (a \"static\" layer) after it",
            ),
            (false, false) if layer.kind.is_some() => problems.add(
                at.key("type"),
                "this server answers every request itself, so nothing behind it is ever reached: the origin server goes last in 'layers'",
            ),
            (false, _) => origin = validate_origin(layer, &at, invoker, problems),
        }
    }
    (front, origin)
}

/// A layer in front of the origin server.
fn validate_front(
    raw: super::raw::RawLayer,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<crate::server::FrontLayer> {
    no_session(&raw, path, problems);
    misplaced(
        problems,
        path,
        &[("recorded_by", raw.recorded_by.is_some())],
        |key| format!("'{key}' names the browser that wrote a \"recorded\" server's answers"),
    );
    if raw.lambda_result.is_some() {
        problems.add(
            path.key("lambda_result"),
            "'lambda_result' is what a function returns: it belongs to the \"static\" layer behind this one",
        );
    }
    if raw.kind == Some(RawServerType::RestApi) {
        return validate_rest_api(raw, path, problems);
    }
    if raw.kind == Some(RawServerType::CloudFront) {
        return validate_cloudfront(raw, path, problems);
    }
    not_cloudfront(&raw, path, problems);
    misplaced(
        problems,
        path,
        &[
            ("resources", raw.resources.is_some()),
            ("gatewayResponses", raw.gateway_responses.is_some()),
            ("deployed", raw.deployed.is_some()),
        ],
        |key| format!("'{key}' belongs to a \"rest_api\" layer"),
    );
    let is_api = raw.kind == Some(RawServerType::HttpApi);
    let (noun, configuration) = if is_api {
        ("an HTTP API", "its CorsConfiguration and routes")
    } else {
        ("a function URL", "its Cors configuration")
    };
    misplaced(
        problems,
        path,
        &[
            ("preflight", raw.preflight.is_some()),
            ("actual", raw.actual.is_some()),
        ],
        |key| {
            format!(
                "{noun} answers from {configuration}; '{key}' belongs to the function behind it (a \"static\" layer)"
            )
        },
    );
    if !is_api {
        misplaced(
            problems,
            path,
            &[
                ("routes", raw.routes.is_some()),
                ("stage", raw.stage.is_some()),
            ],
            |key| {
                format!(
                    "'{key}' belongs to an \"http_api\" layer; a function URL has one URL and no routes"
                )
            },
        );
    }
    let cors_path = path.key("cors");
    if is_api {
        use crate::server::http_api::{self, RawCors, RawRoute, Route};
        let cors = match raw.cors {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(value) => sub_value::<RawCors>(value, &cors_path, problems)
                .and_then(|cors| refused(http_api::validate(cors), &cors_path, problems))
                .map(Some),
        };
        let routes_path = path.key("routes");
        let routes = match raw.routes {
            None => Some(vec![Route::default_route()]),
            Some(value) => sub_value::<Vec<RawRoute>>(value, &routes_path, problems)
                .and_then(|routes| validate_routes(routes, &routes_path, problems)),
        };
        if let Some(stage) = &raw.stage
            && (stage.is_empty() || stage.contains('/') || stage == "$default")
        {
            problems.add(
                path.key("stage"),
                "'stage' names a stage the URL's path starts with (e.g. \"prod\"); leave it out for the $default stage",
            );
            return None;
        }
        return Some(crate::server::FrontLayer::HttpApi {
            cors: cors?,
            routes: routes?,
            stage: raw.stage,
        });
    }
    use crate::server::function_url::{self, RawCors};
    let cors = match raw.cors {
        None | Some(serde_json::Value::Null) => Some(None),
        Some(value) => sub_value::<RawCors>(value, &cors_path, problems)
            .and_then(|cors| refused(function_url::validate(cors), &cors_path, problems))
            .map(Some),
    };
    cors.map(|cors| crate::server::FrontLayer::FunctionUrl { cors })
}

/// The CloudFront keys, each a problem on any other kind of layer.
/// A session cookie is something the server behind reads, not a layer in front or a bucket.
fn no_session(raw: &super::raw::RawLayer, path: &JsonPath, problems: &mut Problems) {
    misplaced(
        problems,
        path,
        &[
            ("session_cookie", raw.session_cookie.is_some()),
            ("logged_out", raw.logged_out.is_some()),
        ],
        |key| {
            format!(
                "'{key}' belongs to a \"static\" server, the function or app that reads its cookie"
            )
        },
    );
}

/// `session_cookie` and `logged_out` come together: the cookie's name and the answer to a
/// request without it.
fn validate_session(
    cookie: Option<String>,
    logged_out: Option<RawResponse>,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<Option<Box<Session>>> {
    match (cookie, logged_out) {
        (None, None) => Some(None),
        (Some(cookie), Some(answer)) => {
            let token = !cookie.is_empty()
                && cookie.bytes().all(|b| {
                    b.is_ascii_graphic()
                        && !matches!(
                            b,
                            b'(' | b')'
                                | b'<'
                                | b'>'
                                | b'@'
                                | b','
                                | b';'
                                | b':'
                                | b'\\'
                                | b'"'
                                | b'/'
                                | b'['
                                | b']'
                                | b'?'
                                | b'='
                                | b'{'
                                | b'}'
                        )
                });
            if !token {
                problems.add(
                    path.key("session_cookie"),
                    format!("'{cookie}' is not a cookie name (a token: letters, digits and !#$%&'*+-.^_`|~)"),
                );
                return None;
            }
            let logged_out = validate_response(answer, &path.key("logged_out"), false, problems)?;
            Some(Some(Box::new(Session { cookie, logged_out })))
        }
        (Some(_), None) => {
            problems.add(
                path.key("logged_out"),
                "a server with a 'session_cookie' needs 'logged_out': its answer to a request without the cookie, e.g. {\"status\": 401}",
            );
            None
        }
        (None, Some(_)) => {
            problems.add(
                path.key("session_cookie"),
                "'logged_out' answers requests without the session cookie: name it in 'session_cookie'",
            );
            None
        }
    }
}

fn not_cloudfront(raw: &super::raw::RawLayer, path: &JsonPath, problems: &mut Problems) {
    misplaced(
        problems,
        path,
        &[
            ("behavior", raw.behavior.is_some()),
            ("cache_policy", raw.cache_policy.is_some()),
            ("origin_request_policy", raw.origin_request_policy.is_some()),
            (
                "response_headers_policy",
                raw.response_headers_policy.is_some(),
            ),
        ],
        |key| format!("'{key}' belongs to a \"cloudfront\" layer"),
    );
}

/// A CloudFront cache behavior and its policies, read by the CloudFront layer's own module.
fn validate_cloudfront(
    raw: super::raw::RawLayer,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<crate::server::FrontLayer> {
    use crate::server::cloudfront::{Written, config};
    misplaced(
        problems,
        path,
        &[
            ("cors", raw.cors.is_some()),
            ("preflight", raw.preflight.is_some()),
            ("actual", raw.actual.is_some()),
            ("routes", raw.routes.is_some()),
            ("stage", raw.stage.is_some()),
            ("resources", raw.resources.is_some()),
            ("gatewayResponses", raw.gateway_responses.is_some()),
            ("deployed", raw.deployed.is_some()),
        ],
        |key| {
            format!(
                "CloudFront has no '{key}': its CORS is its cache behavior ('behavior') and a response headers policy; the origin behind it is the next layer"
            )
        },
    );
    let Some(behavior) = raw.behavior else {
        problems.add(
            path.clone(),
            "a \"cloudfront\" layer needs 'behavior': the DefaultCacheBehavior (or one of CacheBehaviors) as get-distribution-config prints it",
        );
        return None;
    };
    let written = Written {
        behavior,
        cache_policy: raw.cache_policy,
        origin_request_policy: raw.origin_request_policy,
        response_headers_policy: raw.response_headers_policy,
    };
    let at = config::Placed {
        behavior: path.key("behavior"),
        cache_policy: path.key("cache_policy"),
        origin_request_policy: path.key("origin_request_policy"),
        response_headers_policy: path.key("response_headers_policy"),
    };
    config::read(written, &at, problems)
        .map(|layer| crate::server::FrontLayer::CloudFront(Box::new(layer)))
}

/// Each of `keys` that was given (`true`) is a problem at its key, said by `why`.
fn misplaced(
    problems: &mut Problems,
    path: &JsonPath,
    keys: &[(&str, bool)],
    why: impl Fn(&str) -> String,
) {
    for (key, given) in keys {
        if *given {
            problems.add(path.key(key), why(key));
        }
    }
}

/// A REST API: its resources and gateway responses, read in AWS's spelling and validated as
/// API Gateway validates them.
fn validate_rest_api(
    raw: super::raw::RawLayer,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<crate::server::FrontLayer> {
    use crate::server::rest_api::{PathPart, RawGatewayResponse, RawResource, RawRestApi};
    not_cloudfront(&raw, path, problems);
    misplaced(
        problems,
        path,
        &[
            ("preflight", raw.preflight.is_some()),
            ("actual", raw.actual.is_some()),
            ("cors", raw.cors.is_some()),
            ("routes", raw.routes.is_some()),
        ],
        |key| {
            format!(
                "a REST API has no '{key}': its CORS is what its methods (an OPTIONS method, usually a MOCK) and its gatewayResponses answer; the function behind it is a \"static\" layer"
            )
        },
    );
    let resources = match raw.resources {
        None => {
            problems.add(
                path.key("resources"),
                "a REST API needs 'resources', as `aws apigateway get-resources --embed methods` lists them",
            );
            None
        }
        Some(value) => sub_value::<Vec<RawResource>>(value, &path.key("resources"), problems),
    };
    let gateway_responses = match raw.gateway_responses {
        None => Some(Vec::new()),
        Some(value) => {
            sub_value::<Vec<RawGatewayResponse>>(value, &path.key("gatewayResponses"), problems)
        }
    };
    let deployed = match raw.deployed {
        None => Some(None),
        Some(value) => sub_value::<RawRestApi>(value, &path.key("deployed"), problems)
            .map(|deployed| Some(Box::new(deployed))),
    };
    let raw_api = RawRestApi {
        resources: resources?,
        gateway_responses: gateway_responses?,
        deployed: deployed?,
    };
    match raw_api.validate(raw.stage) {
        Ok(api) => Some(crate::server::FrontLayer::RestApi(Box::new(api))),
        Err(refusals) => {
            for (parts, message) in refusals {
                let mut at = path.clone();
                for part in parts {
                    at = match part {
                        PathPart::Key(key) => at.key(&key),
                        PathPart::Index(i) => at.index(i),
                    };
                }
                problems.add(at, message);
            }
            None
        }
    }
}

/// An HTTP API's routes: each key well formed and used once.
fn validate_routes(
    routes: Vec<crate::server::http_api::RawRoute>,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<Vec<crate::server::http_api::Route>> {
    let mut valid = Some(Vec::new());
    let mut seen = foldhash::HashSet::default();
    for (i, route) in routes.into_iter().enumerate() {
        let at = path.index(i);
        if !seen.insert(route.route_key.clone()) {
            problems.add(
                at.key("RouteKey"),
                format!(
                    "ConflictException: a route with key '{}' is already listed; API Gateway keeps route keys unique",
                    route.route_key
                ),
            );
            valid = None;
            continue;
        }
        match route.validate() {
            Ok(route) => {
                if let Some(valid) = &mut valid {
                    valid.push(route);
                }
            }
            Err(refusals) => {
                for (key, message) in refusals {
                    problems.add(at.key(&key), message);
                }
                valid = None;
            }
        }
    }
    valid
}

/// The origin server: the layer that answers whatever reaches it.
/// `invoker`: the payload format of the layer in front, when it is the function a request
/// reaches last.
fn validate_origin(
    raw: super::raw::RawLayer,
    path: &JsonPath,
    invoker: Option<crate::server::lambda::Payload>,
    problems: &mut Problems,
) -> Option<ServerKind> {
    let behind = invoker.is_some();
    if raw.lambda_result.is_some() && raw.kind != Some(RawServerType::Static) {
        problems.add(
            path.key("lambda_result"),
            "'lambda_result' is what a function returns: it belongs to the \"static\" layer behind an API or a function URL",
        );
    }
    let Some(kind) = raw.kind else {
        problems.add(path.clone(), "missing field `type`");
        return None;
    };
    if kind != RawServerType::Static {
        no_session(&raw, path, problems);
    }
    if kind != RawServerType::Recorded {
        misplaced(
            problems,
            path,
            &[("recorded_by", raw.recorded_by.is_some())],
            |key| format!("'{key}' names the browser that wrote a \"recorded\" server's answers"),
        );
    }
    not_cloudfront(&raw, path, problems);
    misplaced(
        problems,
        path,
        &[
            ("routes", raw.routes.is_some()),
            ("stage", raw.stage.is_some()),
            ("resources", raw.resources.is_some()),
            ("gatewayResponses", raw.gateway_responses.is_some()),
            ("deployed", raw.deployed.is_some()),
        ],
        |key| format!("'{key}' belongs to an API Gateway layer (\"http_api\" or \"rest_api\")"),
    );
    match kind {
        RawServerType::FunctionUrl
        | RawServerType::HttpApi
        | RawServerType::RestApi
        | RawServerType::CloudFront => {
            let (noun, kind) = match kind {
                RawServerType::CloudFront => {
                    ("CloudFront stands in front of its origin", "cloudfront")
                }
                RawServerType::HttpApi => {
                    ("an HTTP API stands in front of its integration", "http_api")
                }
                RawServerType::RestApi => {
                    ("a REST API stands in front of its integration", "rest_api")
                }
                _ => (
                    "a function URL stands in front of its function",
                    "function_url",
                ),
            };
            problems.add(
                path.key("type"),
                if kind == "cloudfront" {
                    format!("{noun}: write the server as 'layers', the \"cloudfront\" layer first and its origin (an \"s3\" bucket, an API or a \"static\" server) after it")
                } else {
                    format!("{noun}: write the server as 'layers', the \"{kind}\" layer first and the function (a \"static\" layer) after it")
                },
            );
            None
        }
        RawServerType::S3 | RawServerType::Gcs | RawServerType::Azure => {
            let provider = match kind {
                RawServerType::Gcs => Provider::Gcs,
                RawServerType::Azure => Provider::Azure,
                _ => Provider::S3,
            };
            misplaced(
                problems,
                path,
                &[
                    ("preflight", raw.preflight.is_some()),
                    ("actual", raw.actual.is_some()),
                ],
                |key| {
                    format!(
                        "a {} answers from its CORS rules; '{key}' belongs to a \"static\" server (a request can override the operation's answer with responses.actual)",
                        provider.server_noun()
                    )
                },
            );
            // Absent or null: no CORS configuration.
            let cors_path = path.key("cors");
            let cors = match (raw.cors, provider) {
                (None, _) => Some(None),
                (Some(value), Provider::S3) => sub_value::<RawCors>(value, &cors_path, problems)
                    .and_then(|cors| validate_cors(cors, &cors_path, problems)),
                (Some(value), Provider::Gcs) => {
                    sub_value::<Vec<RawGcsRule>>(value, &cors_path, problems).and_then(|rules| {
                        rejected(
                            gcs::validate_gcs(rules),
                            Provider::Gcs,
                            &cors_path,
                            problems,
                        )
                    })
                }
                (Some(value), Provider::Azure) => {
                    sub_value::<RawAzureRules>(value, &cors_path, problems).and_then(|rules| {
                        rejected(
                            azure::validate_azure(rules.rules),
                            Provider::Azure,
                            &cors_path.key("corsRules"),
                            problems,
                        )
                    })
                }
            };
            cors.map(|cors| ServerKind::Bucket { provider, cors })
        }
        RawServerType::Recorded | RawServerType::Probed => {
            misplaced(
                problems,
                path,
                &[
                    ("cors", raw.cors.is_some()),
                    ("preflight", raw.preflight.is_some()),
                    ("actual", raw.actual.is_some()),
                ],
                |key| {
                    format!(
                        "a \"recorded\" server answers with each request's recorded responses; '{key}' does not apply"
                    )
                },
            );
            Some(ServerKind::Recorded {
                by: if kind == RawServerType::Probed {
                    Recorder::Probe
                } else {
                    Recorder::Browser(match raw.recorded_by {
                        Some(RawRecordingBrowser::Firefox) => RecordingBrowser::Firefox,
                        Some(RawRecordingBrowser::Safari) => RecordingBrowser::Safari,
                        Some(RawRecordingBrowser::Chromium) | None => RecordingBrowser::Chromium,
                    })
                },
            })
        }
        RawServerType::Static => {
            let session = validate_session(raw.session_cookie, raw.logged_out, path, problems);
            if raw.cors.is_some() {
                problems.add(
                    path.key("cors"),
                    "'cors' holds S3 rules and belongs to an \"s3\" server; a static server answers with 'preflight' and 'actual'",
                );
            }
            // A function behind other layers may answer OPTIONS as it answers everything else.
            let preflight = match raw.preflight {
                None if behind => Some(None),
                given => required_response(given, path, "preflight", problems).map(Some),
            };
            // The function's answer: as written, or its result read by the service in front.
            let (actual, lambda) = match (raw.lambda_result, invoker) {
                (None, _) => (
                    required_response(raw.actual, path, "actual", problems),
                    None,
                ),
                (Some(_), None) => {
                    problems.add(
                        path.key("lambda_result"),
                        "'lambda_result' is what a function returns to the service that invokes it: put a \"rest_api\", \"http_api\" or \"function_url\" layer in front of it",
                    );
                    (None, None)
                }
                (Some(_), Some(_)) if raw.actual.is_some() => {
                    problems.add(
                        path.key("actual"),
                        "give the function's answer once: 'actual' as it reaches the browser, or 'lambda_result' as the function returns it",
                    );
                    (None, None)
                }
                (Some(result), Some(payload)) => {
                    let (actual, read) = crate::server::lambda::read(result, payload);
                    (Some(actual), Some(std::sync::Arc::new(read)))
                }
            };
            match (preflight, actual, session) {
                (Some(preflight), Some(actual), Some(session)) => Some(ServerKind::Static {
                    preflight,
                    actual,
                    lambda,
                    session,
                }),
                _ => None,
            }
        }
    }
}

/// A provider's refusals as problems at their keys (`Some(Some(..))` when there are none).
fn rejected(
    result: Result<CorsConfiguration, Vec<Rejection>>,
    provider: Provider,
    rules_path: &JsonPath,
    problems: &mut Problems,
) -> Option<Option<CorsConfiguration>> {
    match result {
        Ok(config) => Some(Some(config)),
        Err(rejections) => {
            for rejection in rejections {
                let mut at = rules_path.clone();
                for part in rejection.path {
                    at = match part {
                        PathPart::Key(k) => at.key(&scenario_key(provider, k)),
                        PathPart::Index(i) => at.index(i),
                    };
                }
                problems.add(
                    at,
                    format!(
                        "{} rejects this configuration ({}): {}: {}",
                        provider.short(),
                        provider.setter(),
                        rejection.code,
                        rejection.message
                    ),
                );
            }
            None
        }
    }
}

/// A rejection's key as the scenario spells it (Azure rules use ARM's camelCase there).
fn scenario_key(provider: Provider, key: &str) -> String {
    match provider {
        Provider::Azure => azure::arm_key(key),
        _ => key.to_string(),
    }
}

/// `Some(None)` = a valid "no configuration"; `None` = invalid.
fn validate_cors(
    cors: RawCors,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<Option<CorsConfiguration>> {
    let (rules, rules_path) = match (cors.rules, cors.wrapped) {
        (Some(rules), None) => (rules, path.key("CORSRules")),
        (None, Some(wrapped)) => (
            wrapped.rules,
            path.key("CORSConfiguration").key("CORSRules"),
        ),
        (Some(_), Some(_)) => {
            problems.add(
                path.clone(),
                "give either CORSRules or CORSConfiguration.CORSRules, not both",
            );
            return None;
        }
        (None, None) => {
            problems.add(
                path.clone(),
                "expected {\"CORSRules\": [...]} (as `aws s3api get-bucket-cors` prints it) or {\"CORSConfiguration\": {\"CORSRules\": [...]}}; use null for a bucket with no CORS configuration",
            );
            return None;
        }
    };
    rejected(
        s3::validate_rules(rules),
        Provider::S3,
        &rules_path,
        problems,
    )
}

fn required_response(
    raw: Option<RawResponse>,
    parent: &JsonPath,
    key: &str,
    problems: &mut Problems,
) -> Option<CannedResponse> {
    match raw {
        Some(raw) => validate_response(raw, &parent.key(key), false, problems),
        None => {
            problems.add(
                parent.key(key),
                format!("a static server needs '{key}': {{\"status\": 200, \"headers\": {{...}}}}"),
            );
            None
        }
    }
}

/// One hop's preflight and actual answers (its `after_redirect` is the caller's). `bucket`
/// is the storage service, if the server is one.
fn validate_overrides(
    raw: RawOverrides,
    bucket: Option<Provider>,
    recorded: bool,
    path: &JsonPath,
    problems: &mut Problems,
) -> ResponseOverrides {
    if let (Some(provider), Some(_)) = (bucket, &raw.preflight) {
        problems.add(
            path.key("preflight"),
            format!(
                "{} answers preflights from its CORS rules; to script a preflight answer use a \"static\" server",
                provider.product()
            ),
        );
    }
    if let (Some(provider), Some(actual)) = (bucket, &raw.actual) {
        // An object cannot carry CORS headers of its own: the service adds them from its rules,
        // and a scripted one would be sent twice.
        for (name, _) in &actual.headers.0 {
            if name.to_ascii_lowercase().starts_with("access-control-") {
                problems.add(
                    path.key("actual").key("headers").key(name),
                    format!(
                        "{} adds the CORS headers to an object's answer from its CORS rules; an object cannot carry its own. Remove '{name}', or script the whole answer with a \"static\" server",
                        provider.product()
                    ),
                );
            }
        }
    }
    ResponseOverrides {
        preflight: raw
            .preflight
            .and_then(|r| validate_response(r, &path.key("preflight"), recorded, problems)),
        actual: raw
            .actual
            .and_then(|r| validate_response(r, &path.key("actual"), recorded, problems)),
        after_redirect: Vec::new(),
    }
}

/// A scripted answer must be one a server can give. A recorded one is what the browser wrote
/// down, kept as it was: status 0 (no answer reached the page), any three-digit status, and
/// header names and values exactly as recorded.
fn validate_response(
    raw: RawResponse,
    path: &JsonPath,
    recorded: bool,
    problems: &mut Problems,
) -> Option<CannedResponse> {
    let mut ok = true;
    if recorded {
        if raw.status != 0 && !(100..=999).contains(&raw.status) {
            problems.add(
                path.key("status"),
                format!(
                    "{} is not a recorded HTTP status (0 for no answer, or 100-999)",
                    raw.status
                ),
            );
            ok = false;
        }
    } else if !(200..=599).contains(&raw.status) {
        problems.add(
            path.key("status"),
            format!(
                "{} is not a final HTTP status a server can answer with (200-599)",
                raw.status
            ),
        );
        ok = false;
    }
    if !recorded {
        ok &= validate_header_list(&raw.headers.0, &path.key("headers"), problems);
    }
    if let Some(code) = &raw.network_error {
        // Chromium's codes, and Firefox's status 0 without a reason.
        let well_formed = crate::http::syntax::is_network_error_code(code)
            || code == crate::engine::CorsError::FirefoxNoAnswer.name();
        let problem = if !recorded {
            Some("only a recorded answer can be a network error".to_string())
        } else if !well_formed {
            Some(format!(
                "'{}' is not a network error code like net::ERR_CONNECTION_REFUSED",
                crate::safe_text::escape(code)
            ))
        } else if raw.status != 0 || !raw.headers.0.is_empty() {
            Some("a network error is no answer: its status is 0 and it has no headers".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            problems.add(path.key("network_error"), problem);
            ok = false;
        }
    }
    // HTTP strips whitespace around a field value before any browser sees it (RFC 9110 §5.5):
    // `Access-Control-Allow-Origin: " https://app.example"` arrives without the space.
    let headers = raw
        .headers
        .0
        .into_iter()
        .map(|(name, value)| {
            let trimmed = normalize_header_value(&value);
            let value = if trimmed.len() == value.len() {
                value
            } else {
                trimmed.into()
            };
            (name, value)
        })
        .collect();
    ok.then_some(CannedResponse {
        status: raw.status,
        headers,
        body: raw.body,
        network_error: raw.network_error,
    })
}

fn validate_header_list(headers: &[Header], path: &JsonPath, problems: &mut Problems) -> bool {
    let mut ok = true;
    for (name, value) in headers {
        if !is_token(name) {
            problems.add(
                path.key(name),
                format!("'{name}' is not a valid header name (an HTTP token)"),
            );
            ok = false;
        }
        if !is_valid_header_value(value) {
            problems.add(
                path.key(name),
                "a header value cannot contain NUL, CR or LF (fetch() throws a TypeError)",
            );
            ok = false;
        }
    }
    ok
}

fn validate_request(
    raw: RawRequest,
    server: &Server,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<RequestSpec> {
    let before = problems.0.len();
    let raw_via = raw.via.unwrap_or(RawVia::Browser);
    let (via, initiator) = sender_of(raw_via, raw.crossorigin);
    if raw.crossorigin.is_some() && !matches!(raw_via, RawVia::Img | RawVia::Script) {
        problems.add(
            path.key("crossorigin"),
            match raw_via {
                RawVia::Font => "a font has no crossorigin attribute: @font-face always fetches in CORS mode, without cookies to another origin",
                _ => "'crossorigin' is an <img> or <script> attribute: use it with \"via\": \"img\" or \"script\"",
            },
        );
    }
    let method = raw.method.unwrap_or_else(|| "GET".to_string());
    if !is_token(&method) {
        problems.add(
            path.key("method"),
            format!("'{method}' is not a valid HTTP method (an HTTP token)"),
        );
    } else if via == Via::Browser && is_forbidden_method(&method) {
        problems.add(
            path.key("method"),
            format!("fetch() throws a TypeError: '{method}' HTTP method is unsupported (CONNECT, TRACE and TRACK are forbidden methods)"),
        );
    }

    let default_url = {
        let mut text = server.url.to_string();
        if !text.ends_with('/') {
            text.push('/');
        }
        text
    };
    let url_text = raw.url.unwrap_or(default_url);
    let url = parse_http_url(&url_text, &path.key("url"), problems);
    if let Some(url) = &url
        && via == Via::Browser
        && (!url.username().is_empty() || url.password().is_some())
    {
        problems.add(
            path.key("url"),
            "fetch() throws a TypeError: Request cannot be constructed from a URL that includes credentials (send an Authorization header instead)",
        );
    }
    // A recording spans many servers; every other scenario has exactly one.
    // The same host over the other of http: and https: (default ports) is the same server, as
    // S3 or a CDN answers both: a lesson can show a page calling the http: URL by mistake.
    let same_server = |url: &url::Url| {
        origin_of(url) == origin_of(&server.url)
            || (url.host_str() == server.url.host_str()
                && url.port().is_none()
                && server.url.port().is_none())
    };
    if let Some(url) = &url
        && !matches!(server.kind, ServerKind::Recorded { .. })
        && !same_server(url)
    {
        problems.add(
            path.key("url"),
            format!(
                "the scenario's server is at {}; a request URL must be on that origin (or on its host over the other of http: and https:)",
                origin_of(&server.url).unwrap_or_default()
            ),
        );
    }

    match (via, &raw.origin) {
        (Via::Browser | Via::Element | Via::NoCors, None) => problems.add(
            path.key("origin"),
            "a browser request needs the page's origin, e.g. \"https://example.com\" (or \"null\")",
        ),
        (Via::Browser | Via::Element | Via::NoCors, Some(origin)) if origin != "null" => {
            check_page_origin(origin, &path.key("origin"), problems)
        }
        (Via::Raw, Some(origin)) if !is_valid_header_value(origin) => problems.add(
            path.key("origin"),
            "an Origin header value cannot contain NUL, CR or LF",
        ),
        _ => {}
    }

    validate_header_list(&raw.headers.0, &path.key("headers"), problems);
    if via == Via::NoCors
        && !matches!(
            crate::http::syntax::normalize_method(&method).as_str(),
            "GET" | "HEAD" | "POST"
        )
    {
        problems.add(
            path.key("method"),
            format!(
                "fetch() throws a TypeError: '{method}' is unsupported in no-cors mode (only GET, HEAD and POST)"
            ),
        );
    }
    if initiator.is_element() {
        // An element asks for its URL itself: always GET, no script-set headers; its
        // credentials come from its crossorigin attribute.
        let markup = initiator.described();
        if method != "GET" {
            problems.add(path.key("method"), format!("{markup} always sends GET"));
        }
        if !raw.headers.0.is_empty() {
            problems.add(
                path.key("headers"),
                format!("{markup} sends no headers a script chose: only fetch() and XMLHttpRequest can set them"),
            );
        }
        for (key, given) in [
            ("credentials", raw.credentials.is_some()),
            ("cache", raw.cache.is_some()),
        ] {
            if given {
                problems.add(
                    path.key(key),
                    format!("'{key}' is a fetch() option; {markup} takes its credentials from crossorigin (none: cookies always; \"anonymous\": only to its own origin; \"use-credentials\": always) and uses the HTTP cache normally"),
                );
            }
        }
    }
    if initiator == Initiator::Xhr {
        if raw.credentials == Some(Credentials::Omit) {
            problems.add(
                path.key("credentials"),
                "XMLHttpRequest has no 'omit': withCredentials = true is \"include\", false (its default) is \"same-origin\"",
            );
        }
        if raw.cache.is_some() {
            problems.add(
                path.key("cache"),
                "'cache' is a fetch() option; XMLHttpRequest has none",
            );
        }
    }

    if via == Via::Raw {
        if raw.credentials.is_some() {
            problems.add(
                path.key("credentials"),
                "a raw request has no credentials mode: it sends exactly its headers (add a Cookie or Authorization header instead)",
            );
        }
        if raw.cache.is_some() {
            problems.add(path.key("cache"), "a raw request has no fetch() cache mode");
        }
    } else if raw.cache == Some(CacheMode::OnlyIfCached) {
        problems.add(
            path.key("cache"),
            "fetch() throws a TypeError: 'only-if-cached' can be set only with 'same-origin' mode, and these requests use 'cors' mode",
        );
    }

    match (via, raw.expect) {
        (Via::Raw, Some(Outcome::Allowed | Outcome::Blocked)) => problems.add(
            path.key("expect"),
            "a raw request is never allowed or blocked: no browser enforces CORS on it; expect \"sent\"",
        ),
        // A no-cors request fails only where a redirect does (a Location that is no http(s)
        // URL, the 21st redirect): "blocked", as a network error.
        (Via::Element, Some(Outcome::Allowed)) => problems.add(
            path.key("expect"),
            format!("{} without crossorigin is never allowed: the browser makes no CORS check; expect \"sent\" (or \"blocked\" where a redirect fails it)", initiator.described()),
        ),
        (Via::NoCors, Some(Outcome::Allowed)) => problems.add(
            path.key("expect"),
            "a no-cors fetch is never allowed: it resolves with an opaque response, whatever the answer; expect \"sent\" (or \"blocked\" where a redirect fails it)",
        ),
        (Via::Browser, Some(Outcome::Sent)) => problems.add(
            path.key("expect"),
            "\"sent\" is the outcome of a raw request; a browser request is \"allowed\" or \"blocked\"",
        ),
        _ => {}
    }

    let responses = match raw.responses {
        None => ResponseOverrides::default(),
        Some(mut overrides) => {
            let rpath = path.key("responses");
            let bucket = match server.kind {
                ServerKind::Bucket { provider, .. } => Some(provider),
                _ => None,
            };
            let recorded = matches!(server.kind, ServerKind::Recorded { .. });
            let raw_hops = std::mem::take(&mut overrides.after_redirect);
            let mut hops = Vec::with_capacity(raw_hops.len());
            for (i, hop) in raw_hops.into_iter().enumerate() {
                let hop_path = rpath.key("after_redirect").index(i);
                if !hop.after_redirect.is_empty() {
                    problems.add(
                        hop_path.key("after_redirect"),
                        "list every hop in the request's own responses.after_redirect, in order; a hop has no after_redirect of its own",
                    );
                }
                hops.push(validate_overrides(
                    hop, bucket, recorded, &hop_path, problems,
                ));
            }
            ResponseOverrides {
                after_redirect: hops,
                ..validate_overrides(overrides, bucket, recorded, &rpath, problems)
            }
        }
    };

    if raw.actual_sent.is_some()
        && !matches!(
            server.kind,
            ServerKind::Recorded {
                by: Recorder::Probe
            }
        )
    {
        problems.add(
            path.key("actual_sent"),
            "only a \"probed\" server's requests say whether the probe sent them",
        );
    }
    if raw.preflight_recorded.is_some() && !matches!(server.kind, ServerKind::Recorded { .. }) {
        problems.add(
            path.key("preflight_recorded"),
            "only a \"recorded\" server's requests say whether their preflight was recorded",
        );
    }
    if problems.0.len() != before {
        return None;
    }
    Some(RequestSpec {
        origin: raw.origin,
        method,
        url: url?,
        headers: raw
            .headers
            .0
            .into_iter()
            .map(|(n, v)| {
                let v = if via == Via::Browser {
                    normalize_header_value(&v).into()
                } else {
                    v
                };
                (n, v)
            })
            .collect(),
        credentials: match (via, initiator, raw.crossorigin) {
            // An element without crossorigin sends cookies everywhere, as "include" does.
            (Via::Element, _, _) | (_, _, Some(CrossOrigin::UseCredentials)) => {
                Credentials::Include
            }
            (_, Initiator::Img | Initiator::Script | Initiator::Font, _) => Credentials::SameOrigin,
            _ => raw.credentials.unwrap_or(Credentials::SameOrigin),
        },
        cache: raw.cache.unwrap_or_default(),
        via,
        initiator,
        expect: raw.expect,
        note: raw.note,
        responses,
        wait_seconds: raw.wait_seconds.unwrap_or(0),
        edge: raw.edge,
        preflight_not_recorded: raw.preflight_recorded == Some(false),
        actual_withheld: raw.actual_sent == Some(false),
    })
}

/// Who sends a request as the engine runs it: its mode (CORS, an element's no-cors, fetch's
/// no-cors, raw) and what in the page made it.
fn sender_of(via: RawVia, crossorigin: Option<CrossOrigin>) -> (Via, Initiator) {
    match (via, crossorigin) {
        (RawVia::Browser, _) => (Via::Browser, Initiator::Fetch),
        (RawVia::Xhr, _) => (Via::Browser, Initiator::Xhr),
        (RawVia::Img, None) => (Via::Element, Initiator::Img),
        (RawVia::Img, Some(_)) => (Via::Browser, Initiator::Img),
        (RawVia::Script, None) => (Via::Element, Initiator::Script),
        (RawVia::Script, Some(_)) => (Via::Browser, Initiator::Script),
        (RawVia::Font, _) => (Via::Browser, Initiator::Font),
        (RawVia::NoCors, _) => (Via::NoCors, Initiator::Fetch),
        (RawVia::Raw, _) => (Via::Raw, Initiator::Fetch),
    }
}

/// A page's origin must be written as a browser serializes it: scheme, host and port only.
fn check_page_origin(origin: &str, path: &JsonPath, problems: &mut Problems) {
    match Url::parse(origin) {
        Ok(url) => match origin_of(&url) {
            Some(serialized) if serialized == origin => {}
            Some(serialized) => problems.add(
                path.clone(),
                format!(
                    "'{origin}' is not a serialized origin; a browser sends '{serialized}' (scheme, host and non-default port; no path or trailing slash)"
                ),
            ),
            None => problems.add(
                path.clone(),
                format!("a page at '{origin}' has an opaque origin; write \"null\""),
            ),
        },
        Err(err) => problems.add(
            path.clone(),
            format!("'{origin}' is not an origin such as https://example.com: {err}"),
        ),
    }
}
