//! An API Gateway HTTP API in front of its integration (`AWS::ApiGatewayV2::Api`, protocol
//! HTTP), as `shared/reference/aws-cors-surfaces.md` §1 describes it. Its configuration is the
//! API's `CorsConfiguration` and its routes, in AWS's spelling (`aws apigatewayv2 get-api`,
//! `get-routes`, CloudFormation).
//!
//! Evidence, as each explanation says it:
//! - documented: with CorsConfiguration set, API Gateway answers a preflight (OPTIONS with
//!   Origin and Access-Control-Request-Method) itself unless a route captures it; it adds the
//!   configured headers to the integration's answers and ignores the integration's own CORS
//!   headers; a request matching no route gets 404 `{"message":"Not Found"}`; routes are chosen
//!   exact first, then greedy (`{proxy+}`), then `$default`;
//! - observed: the preflight answer is 204 with the Origin (or `*`), AllowMethods upper-cased,
//!   sorted and comma-joined; an Origin outside AllowOrigins gets 204 with no CORS header; an
//!   authorizer on the route that captures the preflight rejects it; credentials with `*` are
//!   refused when the API is saved;
//! - inferred: AllowHeaders sent lower-cased and sorted, Max-Age, `https://*` reflecting the
//!   Origin, what a captured preflight's answer gains, and that API Gateway's own errors (401,
//!   403, 404) carry no CORS header.

pub(crate) mod audit;

use crate::http::Header;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Refusal;
use super::api_path::{PathTemplate, parts_below_stage};
use super::bucket::{Joined, stable_id};
use crate::http::{HttpRequest, HttpResponse};

/// The methods a route key may name.
const ROUTE_METHODS: [&str; 8] = [
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

pub use super::aws_cors::{Cors, RawCors};

/// The configuration (`CorsConfiguration`), or every refusal API Gateway would answer
/// `UpdateApi` with.
pub fn validate(raw: RawCors) -> Result<Cors, Vec<Refusal>> {
    let mut refusals: Vec<Refusal> = Vec::new();
    let (cors, max_age) = raw.accept(-1..=86_400);
    for (i, method) in cors.allow_methods.iter().enumerate() {
        if method.is_empty() || method.len() > 64 {
            refusals.push((
                "AllowMethods",
                Some(i),
                "each AllowMethods entry must be 1 to 64 characters long".to_string(),
            ));
        }
    }
    if cors.allow_credentials
        && let Some(i) = cors.allow_origins.iter().position(|o| o == "*")
    {
        refusals.push((
            "AllowOrigins",
            Some(i),
            "BadRequestException: allow-credentials is not supported if 'allow-origin' is *"
                .to_string(),
        ));
    }
    if let Err(age) = max_age {
        refusals.push((
            "MaxAge",
            None,
            format!("MaxAge {age} is outside -1 to 86400 seconds"),
        ));
    }
    if refusals.is_empty() {
        Ok(cors)
    } else {
        Err(refusals)
    }
}

/// How an AllowOrigins entry lets an origin in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginMatch {
    /// `*`: answered with `*`.
    Any,
    /// `https://*` or `http://*`: the Origin reflected (inferred).
    Scheme,
    /// The origin itself, reflected.
    Exact,
}

/// Which AllowOrigins entry lets `origin` in, if any. Documented forms: an origin, `*`,
/// `https://*` and `http://*`; any other entry is compared whole (inferred).
pub fn origin_match(cors: &Cors, origin: &str) -> Option<OriginMatch> {
    let mut best = None;
    for entry in &cors.allow_origins {
        let found = match entry.as_str() {
            "*" => Some(OriginMatch::Any),
            "https://*" | "http://*" if origin.starts_with(&entry[..entry.len() - 1]) => {
                Some(OriginMatch::Scheme)
            }
            _ if entry.eq_ignore_ascii_case(origin) => Some(OriginMatch::Exact),
            _ => None,
        };
        // A named origin is reflected even when `*` is listed too (inferred).
        best = match (best, found) {
            (_, Some(OriginMatch::Exact)) => return Some(OriginMatch::Exact),
            (None, found) => found,
            (Some(OriginMatch::Any), Some(OriginMatch::Scheme)) => Some(OriginMatch::Scheme),
            (best, _) => best,
        };
    }
    best
}

/// The Access-Control-Allow-Origin value for an Origin let in as `matched`.
fn allow_origin_value(matched: OriginMatch, origin: &str) -> String {
    match matched {
        OriginMatch::Any => "*".to_string(),
        OriginMatch::Scheme | OriginMatch::Exact => origin.to_string(),
    }
}

/// AllowMethods as the preflight answer lists them: upper-cased, sorted, comma-joined
/// (observed); `*` alone when listed (inferred).
pub fn methods_value(cors: &Cors) -> Option<String> {
    listed(&cors.allow_methods, str::to_ascii_uppercase)
}

/// AllowHeaders as the preflight answer lists them: lower-cased, sorted, comma-joined
/// (inferred from one observation).
pub fn headers_value(cors: &Cors) -> Option<String> {
    listed(&cors.allow_headers, str::to_ascii_lowercase)
}

fn listed(items: &[String], case: fn(&str) -> String) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    if items.iter().any(|item| item.trim() == "*") {
        return Some("*".to_string());
    }
    let mut names: Vec<String> = items.iter().map(|item| case(item.trim())).collect();
    names.sort();
    names.dedup();
    Some(names.join(","))
}

/// Who a route lets through (`AuthorizationType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization {
    None,
    Jwt,
    /// A Lambda authorizer.
    Custom,
    AwsIam,
}

impl Authorization {
    pub fn name(self) -> &'static str {
        match self {
            Authorization::None => "NONE",
            Authorization::Jwt => "JWT",
            Authorization::Custom => "CUSTOM",
            Authorization::AwsIam => "AWS_IAM",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "NONE" => Authorization::None,
            "JWT" => Authorization::Jwt,
            "CUSTOM" => Authorization::Custom,
            "AWS_IAM" => Authorization::AwsIam,
            _ => return None,
        })
    }

    /// What it answers a request without credentials: 401 for a token authorizer, 403 for IAM.
    fn refusal(self) -> (u16, &'static str) {
        match self {
            Authorization::AwsIam => (403, "Forbidden"),
            _ => (401, "Unauthorized"),
        }
    }
}

/// A route: `$default`, or a method (None: `ANY`) and a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The RouteKey as written, e.g. `ANY /{proxy+}`.
    pub key: String,
    method: Option<String>,
    /// None: `$default`.
    path: Option<PathTemplate>,
    pub authorization: Authorization,
}

/// A route as `aws apigatewayv2 get-routes` lists it: the fields that decide CORS, and the
/// listing's other fields, kept and not used.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RawRoute {
    #[serde(rename = "RouteKey")]
    pub route_key: String,
    #[serde(
        rename = "AuthorizationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub authorization_type: Option<String>,
    /// `integrations/…`: kept as written; every route reaches the one integration modelled.
    #[serde(rename = "Target", default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The rest of a `get-routes` item; any other key is refused by [`RawRoute::validate`].
    #[serde(flatten)]
    pub listed: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The other fields `get-routes` prints for a route.
const LISTED_FIELDS: [&str; 10] = [
    "ApiGatewayManaged",
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteId",
    "RouteResponseSelectionExpression",
];

impl From<&Route> for RawRoute {
    fn from(route: &Route) -> Self {
        RawRoute {
            route_key: route.key.clone(),
            authorization_type: (route.authorization != Authorization::None)
                .then(|| route.authorization.name().to_string()),
            target: None,
            listed: Default::default(),
        }
    }
}

impl RawRoute {
    /// A route with just a key and an authorization type.
    pub fn new(route_key: &str, authorization_type: Option<&str>) -> Self {
        RawRoute {
            route_key: route_key.to_string(),
            authorization_type: authorization_type.map(str::to_string),
            target: None,
            listed: Default::default(),
        }
    }

    /// The route, or what API Gateway would refuse about it: (key, message).
    pub fn validate(self) -> Result<Route, Vec<(String, String)>> {
        let mut refusals = Vec::new();
        for key in self.listed.keys() {
            if !LISTED_FIELDS.contains(&key.as_str()) {
                refusals.push((
                    key.clone(),
                    format!(
                        "unknown field `{key}`, expected `RouteKey`, `AuthorizationType`, `Target` or another field get-routes prints"
                    ),
                ));
            }
        }
        let authorization = match self.authorization_type.as_deref() {
            None => Some(Authorization::None),
            Some(text) => Authorization::parse(text).or_else(|| {
                refusals.push((
                    "AuthorizationType".into(),
                    format!("'{text}' is not an AuthorizationType: NONE, JWT, CUSTOM or AWS_IAM"),
                ));
                None
            }),
        };
        let (method, path) = match parse_route_key(&self.route_key) {
            Ok(parsed) => parsed,
            Err(message) => {
                refusals.push(("RouteKey".into(), message));
                (None, None)
            }
        };
        match authorization {
            Some(authorization) if refusals.is_empty() => Ok(Route {
                key: self.route_key,
                method,
                path,
                authorization,
            }),
            _ => Err(refusals),
        }
    }
}

type ParsedKey = (Option<String>, Option<PathTemplate>);

fn parse_route_key(key: &str) -> Result<ParsedKey, String> {
    if key == "$default" {
        return Ok((None, None));
    }
    let Some((method, path)) = key.split_once(' ') else {
        return Err(format!(
            "'{key}' is not a route key: \"$default\" or a method and a path, e.g. \"GET /pets/{{id}}\""
        ));
    };
    if !ROUTE_METHODS.contains(&method) {
        return Err(format!(
            "'{method}' is not a route method: ANY, GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"
        ));
    }
    let template = PathTemplate::parse(path)?;
    let method = (method != "ANY").then(|| method.to_string());
    Ok((method, Some(template)))
}

impl Route {
    /// The `$default` route a quick-created API has.
    pub fn default_route() -> Route {
        Route {
            key: "$default".to_string(),
            method: None,
            path: None,
            authorization: Authorization::None,
        }
    }

    /// Whether it matches OPTIONS requests, and so takes preflights: `$default`, `ANY` and
    /// `OPTIONS` routes.
    pub fn takes_options(&self) -> bool {
        self.path.is_none() || self.method.as_deref().is_none_or(|m| m == "OPTIONS")
    }

    /// How well it matches `method` on `segments`: None when it does not. Higher is more
    /// specific: any path before `$default`, whole paths before greedy ones, more literal
    /// segments first, a named method before `ANY`.
    fn rank(&self, method: &str, segments: &[&str]) -> Option<(u8, usize, usize, u8)> {
        let Some(path) = &self.path else {
            return Some((0, 0, 0, 0));
        };
        if self.method.as_deref().is_some_and(|m| m != method) {
            return None;
        }
        let fit = path.fit(segments)?;
        Some((
            if fit.greedy { 1 } else { 2 },
            fit.fixed,
            fit.literals,
            u8::from(self.method.is_some()),
        ))
    }
}

/// An HTTP API layer: its CORS configuration, routes and stage.
pub struct HttpApi {
    pub cors: Option<Arc<Cors>>,
    pub routes: Arc<[Route]>,
    /// A named stage is the URL path's first segment; None: the `$default` stage.
    pub stage: Option<String>,
}

/// Why a request was routed where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// The URL names no deployed stage.
    NoStage,
    NoRoute,
    Route(usize),
}

/// What the HTTP API did with one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A preflight no route captured: API Gateway answered it itself (204).
    AnsweredPreflight {
        cors: Arc<Cors>,
        matched: Option<OriginMatch>,
    },
    /// The route's authorizer refused the request before the integration was called.
    Refused {
        route: String,
        authorization: Authorization,
        preflight: bool,
    },
    /// No route (or no stage) for the request: 404. `options_without_cors`: an OPTIONS that
    /// would have been a preflight had CorsConfiguration been set.
    NotFound {
        routing: Routing,
        options_without_cors: bool,
    },
    /// On the way back up from the integration: what was removed and added.
    Passed {
        route: String,
        cors: Option<Arc<Cors>>,
        matched: Option<OriginMatch>,
        has_origin: bool,
        preflight: bool,
        removed: Vec<String>,
        added: Vec<String>,
    },
}

impl HttpApi {
    /// Whether `request` is what API Gateway treats as a preflight: OPTIONS with Origin and
    /// Access-Control-Request-Method (documented).
    fn is_preflight(request: &HttpRequest) -> bool {
        request.method == "OPTIONS"
            && request.header("Origin").is_some()
            && request.header("Access-Control-Request-Method").is_some()
    }

    /// The route `request` reaches.
    pub fn route(&self, request: &HttpRequest) -> Routing {
        let Some(parts) = parts_below_stage(&request.url, self.stage.as_deref()) else {
            return Routing::NoStage;
        };
        let segments: Vec<&str> = parts.iter().map(String::as_str).collect();
        self.routes
            .iter()
            .enumerate()
            .filter_map(|(i, route)| Some((route.rank(&request.method, &segments)?, i)))
            // The most specific; among equals, the first written.
            .max_by(|(a, i), (b, j)| a.cmp(b).then(j.cmp(i)))
            .map_or(Routing::NoRoute, |(_, i)| Routing::Route(i))
    }

    /// On the way down: a preflight no route captures is answered here; so are requests no
    /// route takes and those an authorizer refuses. Everything else goes to the integration.
    pub fn answer_itself(
        &self,
        request: &HttpRequest,
        sequence: usize,
    ) -> Option<(HttpResponse, Note)> {
        let preflight = self.cors.is_some() && Self::is_preflight(request);
        let routing = self.route(request);
        match (&routing, &self.cors) {
            (Routing::NoRoute, Some(cors)) if preflight => {
                Some(self.answer_preflight(cors, request, sequence))
            }
            (Routing::NoRoute | Routing::NoStage, cors) => Some((
                gateway_error(404, "Not Found", sequence),
                Note::NotFound {
                    routing,
                    options_without_cors: cors.is_none() && Self::is_preflight(request),
                },
            )),
            (Routing::Route(i), _) => {
                let route = &self.routes[*i];
                let authorized = request.header("Authorization").is_some();
                if route.authorization == Authorization::None || authorized {
                    return None;
                }
                let (status, message) = route.authorization.refusal();
                Some((
                    gateway_error(status, message, sequence),
                    Note::Refused {
                        route: route.key.clone(),
                        authorization: route.authorization,
                        preflight,
                    },
                ))
            }
        }
    }

    fn answer_preflight(
        &self,
        cors: &Arc<Cors>,
        request: &HttpRequest,
        sequence: usize,
    ) -> (HttpResponse, Note) {
        let origin = request.header("Origin").unwrap_or_default();
        let matched = origin_match(cors, &origin);
        let mut headers: Vec<Header> = Vec::new();
        if let Some(matched) = matched {
            headers.extend(preflight_headers(cors, matched, &origin));
        }
        headers.push(request_id(sequence));
        let response = HttpResponse {
            status: 204,
            headers: headers.into(),
            body: String::new(),
        };
        (
            response,
            Note::AnsweredPreflight {
                cors: Arc::clone(cors),
                matched,
            },
        )
    }

    /// On the way back up from the integration: with CORS configured, its own CORS headers are
    /// dropped and the configured ones added for an allowed Origin.
    pub fn pass_up(&self, request: &HttpRequest, response: &mut HttpResponse) -> Note {
        let route = match self.route(request) {
            Routing::Route(i) => self.routes[i].key.clone(),
            _ => String::new(),
        };
        let origin = request.header("Origin");
        let preflight = self.cors.is_some() && Self::is_preflight(request);
        let Some(cors) = &self.cors else {
            return Note::Passed {
                route,
                cors: None,
                matched: None,
                has_origin: origin.is_some(),
                preflight,
                removed: Vec::new(),
                added: Vec::new(),
            };
        };
        let mut removed: Vec<String> = Vec::new();
        response.headers.retain(|(name, _)| {
            let cors_header = crate::server::http_api::is_cors_header(name);
            if cors_header && !removed.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                removed.push(name.to_string());
            }
            !cors_header
        });
        let matched = origin.as_deref().and_then(|o| origin_match(cors, o));
        let mut added = Vec::new();
        if let (Some(matched), Some(origin)) = (matched, origin.as_deref()) {
            let headers = if preflight {
                preflight_headers(cors, matched, origin)
            } else {
                actual_headers(cors, matched, origin)
            };
            added = headers.iter().map(|(name, _)| name.to_string()).collect();
            response.headers.extend(headers);
        }
        Note::Passed {
            route,
            cors: Some(Arc::clone(cors)),
            matched,
            has_origin: origin.is_some(),
            preflight,
            removed,
            added,
        }
    }
}

/// The headers every answer to an allowed Origin carries: the origin, and credentials when
/// allowed.
fn origin_headers(cors: &Cors, matched: OriginMatch, origin: &str) -> Vec<Header> {
    let mut headers: Vec<Header> = vec![(
        "access-control-allow-origin".into(),
        allow_origin_value(matched, origin).into(),
    )];
    if cors.allow_credentials {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
    headers
}

fn preflight_headers(cors: &Cors, matched: OriginMatch, origin: &str) -> Vec<Header> {
    let mut headers = origin_headers(cors, matched, origin);
    if let Some(names) = headers_value(cors) {
        headers.push(("access-control-allow-headers".into(), names.into()));
    }
    if let Some(methods) = methods_value(cors) {
        headers.push(("access-control-allow-methods".into(), methods.into()));
    }
    if let Some(age) = cors.max_age {
        headers.push(("access-control-max-age".into(), age.to_string().into()));
    }
    headers
}

fn actual_headers(cors: &Cors, matched: OriginMatch, origin: &str) -> Vec<Header> {
    let mut headers = origin_headers(cors, matched, origin);
    if !cors.expose_headers.is_empty() {
        let names: Vec<String> = cors
            .expose_headers
            .iter()
            .map(|name| name.trim().to_ascii_lowercase())
            .collect();
        headers.push((
            "access-control-expose-headers".into(),
            names.join(",").into(),
        ));
    }
    headers
}

/// Whether `name` is a CORS response header (`Access-Control-…`), the kind API Gateway drops
/// from an integration's answer.
pub fn is_cors_header(name: &str) -> bool {
    name.get(..15)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("access-control-"))
        && name.len() > 15
}

/// An error API Gateway makes itself: `{"message":"…"}`, no CORS header (inferred).
fn gateway_error(status: u16, message: &str, sequence: usize) -> HttpResponse {
    let body = format!("{{\"message\":\"{message}\"}}");
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("content-length".into(), body.len().to_string().into()),
            request_id(sequence),
        ]
        .into(),
        body,
    }
}

fn request_id(sequence: usize) -> Header {
    let h = stable_id(sequence);
    // Shaped like the observed `apigw-requestid` values, e.g. `P6bHuiIBoAMEV3w=`.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let id: String = (0..15)
        .map(|i| char::from(ALPHABET[((h.rotate_left(i * 5)) & 63) as usize]))
        .collect();
    ("apigw-requestid".into(), format!("{id}=").into())
}

impl Note {
    /// The explanation, with each behaviour's evidence.
    pub fn narrate(&self, request: &HttpRequest, f: &mut fmt::Formatter) -> fmt::Result {
        let origin = request.header("Origin").unwrap_or_default();
        match self {
            Note::AnsweredPreflight {
                cors,
                matched: Some(matched),
            } => {
                write!(
                    f,
                    "API Gateway HTTP API: CorsConfiguration is set and no route takes this OPTIONS, so API Gateway answers the preflight itself (documented): 204 with Access-Control-Allow-Origin {} (observed)",
                    match matched {
                        OriginMatch::Any => "* for AllowOrigins \"*\"".to_string(),
                        OriginMatch::Exact => format!("{origin}, the Origin reflected"),
                        OriginMatch::Scheme => format!(
                            "{origin}: the Origin reflected for a scheme wildcard (inferred)"
                        ),
                    }
                )?;
                if methods_value(cors).is_some() {
                    f.write_str(", AllowMethods upper-cased, sorted and comma-joined (observed)")?;
                }
                if headers_value(cors).is_some() {
                    f.write_str(
                        ", AllowHeaders lower-cased and sorted (inferred from one observation)",
                    )?;
                }
                if cors.allow_credentials {
                    f.write_str(", Access-Control-Allow-Credentials: true (observed)")?;
                }
                if cors.max_age.is_some() {
                    f.write_str(", MaxAge as Access-Control-Max-Age (inferred)")?;
                }
                f.write_str(
                    ". It lists what is configured, not what was asked: the browser compares.",
                )
            }
            Note::AnsweredPreflight {
                cors,
                matched: None,
            } => write!(
                f,
                "API Gateway HTTP API: no route takes this OPTIONS, so API Gateway answers the preflight itself (documented). Origin {origin} is not in AllowOrigins [{}]: 204 with no Access-Control-* header (observed once).",
                Joined(&cors.allow_origins, ", ")
            ),
            Note::Refused {
                route,
                authorization,
                preflight,
            } => {
                let (status, _) = authorization.refusal();
                if *preflight {
                    write!(
                        f,
                        "API Gateway HTTP API: route {route} matches OPTIONS too, so it takes the preflight before CORS is answered (documented), and its {} authorizer refuses it: a preflight never carries Authorization (observed). API Gateway answers {status} itself, with no CORS header (inferred).",
                        authorization.name()
                    )
                } else {
                    write!(
                        f,
                        "API Gateway HTTP API: route {route} has a {} authorizer and the request carries no Authorization, so API Gateway answers {status} itself without calling the integration; its own errors carry no CORS header (inferred: no recording shows one).",
                        authorization.name()
                    )
                }
            }
            Note::NotFound {
                routing,
                options_without_cors,
            } => {
                f.write_str("API Gateway HTTP API: ")?;
                if *options_without_cors {
                    f.write_str("without CorsConfiguration API Gateway does not answer preflights, so this OPTIONS is routed like any request (documented), and ")?;
                }
                if *routing == Routing::NoStage {
                    f.write_str("the URL's path names no deployed stage, so it answers 404 {\"message\":\"Not Found\"} (documented)")?;
                } else {
                    f.write_str("no route matches this method and path, so it answers 404 {\"message\":\"Not Found\"} (documented)")?;
                }
                f.write_str(", with no CORS header (inferred).")
            }
            Note::Passed {
                route, cors: None, ..
            } => write!(
                f,
                "API Gateway HTTP API: route {route} passes the request to its integration, and without CorsConfiguration it passes the answer back unchanged (documented)."
            ),
            Note::Passed {
                route,
                cors: Some(_),
                matched,
                has_origin,
                preflight,
                removed,
                added,
            } => {
                if *preflight {
                    write!(
                        f,
                        "API Gateway HTTP API: route {route} takes this OPTIONS (it outranks API Gateway's own preflight answer, documented) and has no authorizer, so the integration answers it."
                    )?;
                } else {
                    write!(
                        f,
                        "API Gateway HTTP API: route {route} passes the request to its integration."
                    )?;
                }
                if !removed.is_empty() {
                    write!(
                        f,
                        " With CorsConfiguration set, API Gateway ignores the integration's own CORS headers (documented): {} dropped.",
                        Joined(removed, ", ")
                    )?;
                }
                match (matched, has_origin) {
                    (Some(_), _) if *preflight => write!(
                        f,
                        " It adds the configured CORS headers (documented), here the preflight's whole set, as AWS's advice to give the preflight its own route needs (inferred): {}.",
                        Joined(added, ", ")
                    ),
                    (Some(_), _) => write!(
                        f,
                        " It adds the configured CORS headers (documented; which of them on an actual answer is inferred): {}.",
                        Joined(added, ", ")
                    ),
                    (None, false) => f.write_str(
                        " The request has no Origin, so no CORS header is added (documented).",
                    ),
                    (None, true) => write!(
                        f,
                        " Origin {origin} is not in AllowOrigins, so no CORS header is added (documented)."
                    ),
                }
            }
        }
    }
}

/// What a blocked browser request needs from an HTTP API.
pub struct Need<'a> {
    pub origin: &'a str,
    /// Not CORS-safelisted, so AllowMethods must list it.
    pub unsafe_method: Option<&'a str>,
    pub headers: &'a [String],
    pub credentials: bool,
}

/// An HTTP API changed so a request passes, and the changes as diff lines in AWS's spelling.
pub struct Widened {
    pub cors: Cors,
    pub routes: Vec<Route>,
    pub lines: Vec<String>,
}

/// The smallest change to `cors` and `routes` that lets `need` through: the request's origin,
/// method and headers in CorsConfiguration, credentials allowed (naming the origin where `*`
/// cannot go with them), and, when `captured` names the route whose authorizer took the
/// preflight, an OPTIONS route on the same path with no authorizer, which outranks it (AWS's
/// documented fix, `OPTIONS /{proxy+}`, for `$default`).
pub fn widen(
    cors: Option<&Cors>,
    routes: &[Route],
    need: &Need,
    captured: Option<&str>,
) -> Widened {
    fn add(lines: &mut Vec<String>, key: &str, list: &mut Vec<String>, value: &str) {
        if !list
            .iter()
            .any(|v| v == "*" || v.eq_ignore_ascii_case(value))
        {
            lines.push(format!("+ HTTP API CorsConfiguration {key}: {value}"));
            list.push(value.to_string());
        }
    }
    let mut cors = cors.cloned().unwrap_or_default();
    let mut lines = Vec::new();
    if need.credentials {
        // `*` with credentials is refused when the API is saved: name the origin instead.
        if let Some(i) = cors.allow_origins.iter().position(|o| o == "*") {
            cors.allow_origins.remove(i);
            lines.push("- HTTP API CorsConfiguration AllowOrigins: *".to_string());
        }
    }
    if origin_match(&cors, need.origin).is_none() || need.credentials {
        add(
            &mut lines,
            "AllowOrigins",
            &mut cors.allow_origins,
            need.origin,
        );
    }
    if let Some(method) = need.unsafe_method {
        add(&mut lines, "AllowMethods", &mut cors.allow_methods, method);
    }
    for header in need.headers {
        add(&mut lines, "AllowHeaders", &mut cors.allow_headers, header);
    }
    if need.credentials && !cors.allow_credentials {
        lines.push("+ HTTP API CorsConfiguration AllowCredentials: true".to_string());
        cors.allow_credentials = true;
    }
    let mut routes = routes.to_vec();
    if let Some(captured) = captured {
        let path = captured
            .split_once(' ')
            .map_or("/{proxy+}", |(_, path)| path);
        let key = format!("OPTIONS {path}");
        let free = RawRoute::new(&key, None).validate();
        match (routes.iter_mut().find(|r| r.key == key), free) {
            // The OPTIONS route itself has the authorizer: take it off.
            (Some(route), _) => {
                route.authorization = Authorization::None;
                lines.push(format!(
                    "~ HTTP API route {key}: AuthorizationType NONE (a preflight never carries the token)"
                ));
            }
            (None, Ok(route)) => {
                routes.push(route);
                lines.push(format!(
                    "+ HTTP API route: {key} with AuthorizationType NONE (it outranks {captured} for the preflight)"
                ));
            }
            (None, Err(_)) => {}
        }
    }
    Widened {
        cors,
        routes,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_response as answer;
    use crate::server::bucket::request_to;

    const URL: &str = "https://a1b2c3.execute-api.us-east-1.amazonaws.com";

    fn api(cors: Cors, routes: &[(&str, Option<&str>)]) -> HttpApi {
        HttpApi {
            cors: Some(Arc::new(cors)),
            routes: routes
                .iter()
                .map(|(key, auth)| {
                    RawRoute::new(key, *auth)
                        .validate()
                        .unwrap_or_else(|e| panic!("{key}: {e:?}"))
                })
                .collect(),
            stage: None,
        }
    }

    /// Vector H1's configuration, with one route that does not take OPTIONS.
    fn h1() -> HttpApi {
        api(
            Cors {
                allow_origins: vec!["https://app.example".into()],
                allow_methods: vec!["GET".into(), "POST".into(), "OPTIONS".into()],
                allow_headers: vec!["content-type".into()],
                ..Cors::default()
            },
            &[("POST /query", None)],
        )
    }

    fn preflight(origin: &str, method: &str, headers: &str) -> HttpRequest {
        request_to(
            &format!("{URL}/query"),
            "OPTIONS",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", method),
                ("Access-Control-Request-Headers", headers),
            ],
        )
    }

    #[test]
    fn h1_api_gateway_answers_the_preflight_with_sorted_methods() {
        let request = preflight("https://app.example", "POST", "content-type");
        let Some((response, note)) = h1().answer_itself(&request, 1) else {
            panic!("no route takes OPTIONS, so API Gateway answers");
        };
        assert_eq!(response.status, 204);
        assert_eq!(
            response.header("access-control-allow-origin").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            response.header("access-control-allow-methods").as_deref(),
            Some("GET,OPTIONS,POST")
        );
        assert_eq!(
            response.header("access-control-allow-headers").as_deref(),
            Some("content-type")
        );
        assert!(matches!(
            note,
            Note::AnsweredPreflight {
                matched: Some(OriginMatch::Exact),
                ..
            }
        ));
    }

    #[test]
    fn h2_an_unlisted_origin_gets_204_without_cors_headers() {
        let request = preflight("https://evil.example.com", "POST", "content-type");
        let Some((response, _)) = h1().answer_itself(&request, 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 204);
        assert!(
            response
                .headers
                .iter()
                .all(|(n, _)| !n.starts_with("access-control-"))
        );
    }

    #[test]
    fn h3_headers_are_lower_cased_and_sorted_with_credentials() {
        let layer = api(
            Cors {
                allow_origins: vec![
                    "https://www.fristad.com.br".into(),
                    "https://fristad.com.br".into(),
                    "http://localhost:3000".into(),
                ],
                allow_methods: vec!["GET".into(), "POST".into(), "OPTIONS".into()],
                allow_headers: vec!["Content-Type".into(), "Authorization".into()],
                allow_credentials: true,
                max_age: Some(3600),
                ..Cors::default()
            },
            &[],
        );
        let request = preflight("https://www.fristad.com.br", "POST", "authorization");
        let Some((response, _)) = layer.answer_itself(&request, 1) else {
            panic!("API Gateway answers");
        };
        for (name, value) in [
            ("access-control-allow-origin", "https://www.fristad.com.br"),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "GET,OPTIONS,POST"),
            ("access-control-allow-headers", "authorization,content-type"),
        ] {
            assert_eq!(response.header(name).as_deref(), Some(value), "{name}");
        }
    }

    #[test]
    fn h4_star_is_sent_as_star_and_the_backends_own_headers_are_dropped() {
        let layer = api(
            Cors {
                allow_origins: vec!["*".into()],
                ..Cors::default()
            },
            &[("GET /cars", None)],
        );
        let request = request_to(
            &format!("{URL}/cars"),
            "GET",
            &[("Origin", "https://example.com")],
        );
        assert!(layer.answer_itself(&request, 1).is_none());
        let mut response = answer(
            200,
            &[
                ("Content-Type", "application/json"),
                ("Access-Control-Allow-Origin", "https://other.example"),
            ],
        );
        let note = layer.pass_up(&request, &mut response);
        assert_eq!(
            response.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        assert!(response.header("Vary").is_none());
        let Note::Passed { removed, .. } = note else {
            panic!("passed up");
        };
        assert_eq!(removed, ["Access-Control-Allow-Origin"]);
    }

    #[test]
    fn h5_credentials_with_star_are_refused_with_awss_message() {
        let raw = RawCors {
            allow_origins: Some(vec!["*".into()]),
            allow_credentials: Some(true),
            ..RawCors::default()
        };
        let Err(refusals) = validate(raw) else {
            panic!("refused at deploy time");
        };
        assert_eq!(
            refusals[0].2,
            "BadRequestException: allow-credentials is not supported if 'allow-origin' is *"
        );
    }

    #[test]
    fn h6_a_request_no_route_takes_gets_404_not_found() {
        let request = request_to(
            &format!("{URL}/nothing"),
            "GET",
            &[("Origin", "https://app.example")],
        );
        let Some((response, _)) = h1().answer_itself(&request, 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 404);
        assert_eq!(response.body, "{\"message\":\"Not Found\"}");
    }

    #[test]
    fn h7_h8_a_route_with_an_authorizer_takes_the_preflight_and_refuses_it() {
        for key in ["$default", "ANY /{proxy+}"] {
            let layer = api(
                Cors {
                    allow_origins: vec!["https://app.example".into()],
                    ..Cors::default()
                },
                &[(key, Some("JWT"))],
            );
            let request = preflight("https://app.example", "GET", "authorization");
            let Some((response, note)) = layer.answer_itself(&request, 1) else {
                panic!("{key}: the authorizer answers");
            };
            assert_eq!(response.status, 401, "{key}");
            assert!(matches!(
                note,
                Note::Refused {
                    preflight: true,
                    ..
                }
            ));
        }
    }

    #[test]
    fn h8_an_unauthenticated_options_route_outranks_the_greedy_any() {
        let layer = api(
            Cors {
                allow_origins: vec!["https://app.example".into()],
                allow_methods: vec!["GET".into()],
                ..Cors::default()
            },
            &[("ANY /{proxy+}", Some("JWT")), ("OPTIONS /{proxy+}", None)],
        );
        let request = preflight("https://app.example", "GET", "authorization");
        assert!(layer.answer_itself(&request, 1).is_none());
        let mut response = answer(200, &[]);
        layer.pass_up(&request, &mut response);
        assert_eq!(
            response.header("access-control-allow-methods").as_deref(),
            Some("GET")
        );
    }

    #[test]
    fn h9_without_origin_no_cors_header_is_added() {
        let layer = api(
            Cors {
                allow_origins: vec!["*".into()],
                ..Cors::default()
            },
            &[("$default", None)],
        );
        let request = request_to(&format!("{URL}/x"), "GET", &[]);
        let mut response = answer(200, &[]);
        layer.pass_up(&request, &mut response);
        assert!(response.headers.is_empty());
    }

    #[test]
    fn a_cors_header_is_told_by_its_prefix_whatever_the_bytes() {
        assert!(is_cors_header("Access-Control-Allow-Origin"));
        assert!(is_cors_header("access-control-max-age"));
        assert!(!is_cors_header("Access-Control-"));
        assert!(!is_cors_header("Vary"));
        // A multi-byte character across the prefix's end is no CORS header, and no panic.
        assert!(!is_cors_header("Access-Contro\u{e9}l-Allow-Origin"));
        assert!(!is_cors_header("\u{1f600}\u{1f600}\u{1f600}\u{1f600}x"));
    }

    #[test]
    fn routes_are_chosen_exact_then_greedy_then_default() {
        let layer = api(
            Cors::default(),
            &[
                ("$default", None),
                ("ANY /{proxy+}", None),
                ("GET /pets/{id}", None),
                ("GET /pets/dog", None),
                ("ANY /pets/dog", None),
            ],
        );
        let at = |method: &str, path: &str| {
            layer.route(&request_to(&format!("{URL}{path}"), method, &[]))
        };
        assert_eq!(at("GET", "/pets/dog"), Routing::Route(3));
        assert_eq!(at("POST", "/pets/dog"), Routing::Route(4));
        assert_eq!(at("GET", "/pets/cat"), Routing::Route(2));
        assert_eq!(at("GET", "/pets/cat/toys"), Routing::Route(1));
        assert_eq!(at("GET", "/"), Routing::Route(0));
    }

    #[test]
    fn a_named_stage_is_the_paths_first_segment() {
        let mut layer = h1();
        layer.stage = Some("prod".into());
        let routed = |url: &str| layer.route(&request_to(url, "POST", &[]));
        assert_eq!(routed(&format!("{URL}/prod/query")), Routing::Route(0));
        assert_eq!(routed(&format!("{URL}/query")), Routing::NoStage);
    }

    #[test]
    fn route_keys_are_checked_as_api_gateway_checks_them() {
        for bad in [
            "GET",
            "FETCH /x",
            "GET x",
            "GET /{proxy+}/more",
            "GET /a//b",
            "GET /a{b}",
        ] {
            assert!(RawRoute::new(bad, None).validate().is_err(), "{bad}");
        }
        let Err(refusals) = RawRoute::new("GET /", Some("COGNITO")).validate() else {
            panic!("an unknown AuthorizationType is refused");
        };
        assert_eq!(refusals[0].0, "AuthorizationType");
    }

    #[test]
    fn evidence_is_named_on_every_explanation() {
        let layer = h1();
        let request = preflight("https://app.example", "POST", "content-type");
        let Some((response, note)) = layer.answer_itself(&request, 1) else {
            panic!("API Gateway answers");
        };
        let words = crate::server::ServerNote::HttpApi(Box::new(note))
            .explain(&request, &response)
            .to_string();
        assert!(words.contains("(documented)"), "{words}");
        assert!(words.contains("(observed)"), "{words}");
        assert!(words.contains("(inferred"), "{words}");
    }
}
