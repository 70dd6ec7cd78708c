//! An API Gateway REST API in front of its integration (`AWS::ApiGateway::RestApi`), as
//! `shared/reference/aws-cors-surfaces.md` §2 describes it. A REST API has no CORS object: its
//! CORS is what its resources' methods (an OPTIONS method, usually a MOCK) and its gateway
//! responses put on the wire. The configuration is written as `aws apigateway get-resources
//! --embed methods` lists resources (`path`, `resourceMethods`, `methodIntegration`,
//! `integrationResponses`) and as `get-gateway-responses` lists gateway responses.
//!
//! Evidence, as each explanation says it:
//! - documented: a MOCK answers from its integration response's mappings, the same for every
//!   request; a proxy integration passes the backend's headers through and adds none; errors
//!   API Gateway makes itself are gateway responses, with no CORS header unless configured, a
//!   specific type before DEFAULT_4XX/DEFAULT_5XX;
//! - recorded (AWS's answer, kept by LocalStack's validated tests): a path or method with no
//!   method gets 403 `{"message":"Missing Authentication Token"}`;
//! - observed: an unquoted mapping value is refused (`Invalid mapping expression specified`);
//!   an authorizer or an API key on OPTIONS refuses the preflight;
//! - inferred: the IAM case, what a non-proxy integration keeps of the backend's headers, the
//!   stage check.

use crate::http::Header;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) mod audit;
mod origin_template;

pub use origin_template::OriginTemplate;

use super::api_path::{PathTemplate, parts_below_stage};
use super::bucket::{Joined, stable_id};
use crate::http::{HttpRequest, HttpResponse};

const METHODS: [&str; 8] = [
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// A header mapping's source: a quoted literal, the request's header (gateway responses), the
/// backend's (integration responses), or a source cors-tui does not evaluate (a stage variable,
/// a context variable, the backend's body), which sets nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    Literal(String),
    RequestHeader(String),
    IntegrationHeader(String),
    NotEvaluated(String),
}

impl Mapping {
    /// Reads a mapping expression from the sources API Gateway documents for its place (an
    /// integration response maps from the integration's answer; a gateway response from the
    /// method request), or gives API Gateway's refusal.
    fn parse(value: &str, gateway: bool) -> Result<Mapping, String> {
        if let Some(literal) = value
            .strip_prefix('\'')
            .and_then(|rest| rest.strip_suffix('\''))
            .filter(|_| value.len() >= 2)
        {
            return Ok(Mapping::Literal(literal.to_string()));
        }
        let header = |prefixes: [&str; 2]| {
            prefixes
                .iter()
                .find_map(|prefix| value.strip_prefix(prefix))
                .map(str::to_string)
        };
        if gateway {
            if let Some(name) =
                header(["method.request.header.", "method.request.multivalueheader."])
            {
                return Ok(Mapping::RequestHeader(name));
            }
            if value.starts_with("method.request.path.")
                || value.starts_with("method.request.querystring.")
                || value.starts_with("method.request.multivaluequerystring.")
            {
                return Ok(Mapping::NotEvaluated(value.to_string()));
            }
        } else {
            if let Some(name) = header([
                "integration.response.header.",
                "integration.response.multivalueheader.",
            ]) {
                return Ok(Mapping::IntegrationHeader(name));
            }
            if value == "integration.response.body"
                || value.starts_with("integration.response.body.")
            {
                return Ok(Mapping::NotEvaluated(value.to_string()));
            }
        }
        if value.starts_with("stageVariables.") || value.starts_with("context.") {
            return Ok(Mapping::NotEvaluated(value.to_string()));
        }
        let sources = if gateway {
            "a literal in single quotes (e.g. \"'*'\"), method.request.header.NAME, stageVariables.NAME or context.NAME"
        } else {
            "a literal in single quotes (e.g. \"'*'\"), integration.response.header.NAME, integration.response.body, stageVariables.NAME or context.NAME; the request's own headers are not a source here"
        };
        Err(format!(
            "BadRequestException: Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {value}] (the sources API Gateway documents here: {sources})"
        ))
    }

    fn value(&self, request: &HttpRequest, backend: Option<&HttpResponse>) -> Option<String> {
        match self {
            Mapping::Literal(text) => Some(text.clone()),
            Mapping::RequestHeader(name) => request.header(name),
            Mapping::IntegrationHeader(name) => backend.and_then(|b| b.header(name)),
            Mapping::NotEvaluated(_) => None,
        }
    }
}

/// Who a method lets through (`authorizationType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization {
    None,
    AwsIam,
    Custom,
    CognitoUserPools,
}

impl Authorization {
    pub fn name(self) -> &'static str {
        match self {
            Authorization::None => "NONE",
            Authorization::AwsIam => "AWS_IAM",
            Authorization::Custom => "CUSTOM",
            Authorization::CognitoUserPools => "COGNITO_USER_POOLS",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "NONE" => Authorization::None,
            "AWS_IAM" => Authorization::AwsIam,
            "CUSTOM" => Authorization::Custom,
            "COGNITO_USER_POOLS" => Authorization::CognitoUserPools,
            _ => return None,
        })
    }
}

/// How a method reaches its backend (`methodIntegration.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrationType {
    /// API Gateway answers from the integration response itself.
    Mock,
    /// Lambda or HTTP proxy: the backend's answer passes through as it is.
    Proxy,
    /// Lambda or HTTP without proxy: only mapped headers reach the client.
    Mapped,
}

/// A gateway response type API Gateway can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResponseType {
    MissingAuthenticationToken,
    Unauthorized,
    InvalidApiKey,
    Default4xx,
    Default5xx,
    /// Any other type: configurable, not produced by this model.
    Other(&'static str),
}

/// The types AWS lists, with their default statuses.
const RESPONSE_TYPES: [(&str, u16); 21] = [
    ("ACCESS_DENIED", 403),
    ("API_CONFIGURATION_ERROR", 500),
    ("AUTHORIZER_CONFIGURATION_ERROR", 500),
    ("AUTHORIZER_FAILURE", 500),
    ("BAD_REQUEST_PARAMETERS", 400),
    ("BAD_REQUEST_BODY", 400),
    ("DEFAULT_4XX", 0),
    ("DEFAULT_5XX", 0),
    ("EXPIRED_TOKEN", 403),
    ("INTEGRATION_FAILURE", 504),
    ("INTEGRATION_TIMEOUT", 504),
    ("INVALID_API_KEY", 403),
    ("INVALID_SIGNATURE", 403),
    ("MISSING_AUTHENTICATION_TOKEN", 403),
    ("QUOTA_EXCEEDED", 429),
    ("REQUEST_TOO_LARGE", 413),
    ("RESOURCE_NOT_FOUND", 404),
    ("THROTTLED", 429),
    ("UNAUTHORIZED", 401),
    ("UNSUPPORTED_MEDIA_TYPE", 415),
    ("WAF_FILTERED", 403),
];

impl ResponseType {
    fn parse(text: &str) -> Option<Self> {
        let (name, _) = RESPONSE_TYPES.iter().find(|(name, _)| *name == text)?;
        Some(match *name {
            "MISSING_AUTHENTICATION_TOKEN" => ResponseType::MissingAuthenticationToken,
            "UNAUTHORIZED" => ResponseType::Unauthorized,
            "INVALID_API_KEY" => ResponseType::InvalidApiKey,
            "DEFAULT_4XX" => ResponseType::Default4xx,
            "DEFAULT_5XX" => ResponseType::Default5xx,
            other => ResponseType::Other(other),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ResponseType::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            ResponseType::Unauthorized => "UNAUTHORIZED",
            ResponseType::InvalidApiKey => "INVALID_API_KEY",
            ResponseType::Default4xx => "DEFAULT_4XX",
            ResponseType::Default5xx => "DEFAULT_5XX",
            ResponseType::Other(name) => name,
        }
    }

    fn status(self) -> u16 {
        RESPONSE_TYPES
            .iter()
            .find(|(name, _)| *name == self.name())
            .map_or(500, |(_, status)| *status)
    }

    /// `message` of the default body and `x-amzn-ErrorType`.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            ResponseType::MissingAuthenticationToken => (
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
            ),
            ResponseType::Unauthorized => ("Unauthorized", "UnauthorizedException"),
            ResponseType::InvalidApiKey => ("Forbidden", "ForbiddenException"),
            _ => ("Internal server error", "InternalServerErrorException"),
        }
    }
}

/// A configured gateway response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayResponse {
    pub kind: ResponseType,
    pub status: Option<u16>,
    pub headers: Vec<(String, Mapping)>,
}

/// A method of a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    pub http_method: String,
    pub authorization: Authorization,
    pub api_key_required: bool,
    pub integration: IntegrationType,
    /// A MOCK's integration status (its request template's `statusCode`).
    mock_status: u16,
    responses: Vec<IntegrationResponse>,
}

/// An integration response: the integration statuses that select it, the status the client
/// gets, and the headers it maps.
#[derive(Clone, Debug)]
pub struct IntegrationResponse {
    pub status: u16,
    /// `selectionPattern` over the integration's status; none: the default response.
    pattern: Option<regex::Regex>,
    pub headers: Vec<(String, Mapping)>,
    /// What its `application/json` template does to Access-Control-Allow-Origin.
    pub template: OriginTemplate,
}

impl PartialEq for IntegrationResponse {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.pattern.as_ref().map(regex::Regex::as_str)
                == other.pattern.as_ref().map(regex::Regex::as_str)
            && self.headers == other.headers
            && self.template == other.template
    }
}

impl Eq for IntegrationResponse {}

impl Method {
    /// The integration response a MOCK answers with.
    pub fn mock_response(&self) -> Option<&IntegrationResponse> {
        if self.integration != IntegrationType::Mock {
            return None;
        }
        selected(&self.responses, self.mock_status)
    }

    /// The origins a MOCK's answer can name: its static Access-Control-Allow-Origin, then
    /// those its template echoes.
    pub fn mock_origins(&self) -> Vec<&str> {
        let Some(response) = self.mock_response() else {
            return Vec::new();
        };
        let mut origins: Vec<&str> = self
            .mock_literals()
            .into_iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case("Access-Control-Allow-Origin"))
            .map(|(_, value)| value)
            .collect();
        if let OriginTemplate::Echoes {
            origins: echoed, ..
        } = &response.template
        {
            origins.extend(echoed.iter().map(String::as_str));
        }
        origins
    }

    /// The literal headers a MOCK's answer carries (its integration response for its status).
    pub fn mock_literals(&self) -> Vec<(&str, &str)> {
        if self.integration != IntegrationType::Mock {
            return Vec::new();
        }
        selected(&self.responses, self.mock_status)
            .map(|response| {
                response
                    .headers
                    .iter()
                    .filter_map(|(header, mapping)| match mapping {
                        Mapping::Literal(value) => Some((header.as_str(), value.as_str())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A resource: its path and methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub path: String,
    template: PathTemplate,
    pub methods: Vec<Method>,
}

/// A REST API, validated, and the configuration as it was written (written back as read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestApi {
    pub resources: Vec<Resource>,
    pub gateway_responses: Vec<GatewayResponse>,
    pub stage: Option<String>,
    /// The deployment the stage serves, when it differs from the saved API.
    pub deployed: Option<Box<RestApi>>,
    pub written: RawRestApi,
}

/// The layer as a scenario writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRestApi {
    #[serde(default)]
    pub resources: Vec<RawResource>,
    #[serde(
        rename = "gatewayResponses",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gateway_responses: Vec<RawGatewayResponse>,
    /// What the stage serves when it differs from the saved API: the latest deployment's
    /// `resources` and `gatewayResponses` (saved changes take effect only once deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<Box<RawRestApi>>,
}

/// A resource as `get-resources --embed methods` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "parentId", default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(rename = "pathPart", default, skip_serializing_if = "Option::is_none")]
    pub path_part: Option<String>,
    pub path: String,
    #[serde(rename = "resourceMethods", default)]
    pub methods: BTreeMap<String, RawMethod>,
}

/// A method as `get-method` prints it; the fields CORS does not depend on are kept as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawMethod {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_integration: Option<RawIntegration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_responses: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_models: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_validator_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_scopes: Option<serde_json::Value>,
}

/// An integration as `get-integration` prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawIntegration {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_templates: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_responses: Option<BTreeMap<String, RawIntegrationResponse>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough_behavior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_millis: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_key_parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_transfer_mode: Option<String>,
}

/// An integration response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawIntegrationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_templates: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
}

/// A gateway response as `get-gateway-responses` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawGatewayResponse {
    pub response_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_templates: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_response: Option<bool>,
}

/// What API Gateway refuses, placed at a key path below the layer: (path, message).
pub type Placed = (Vec<PathPart>, String);

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

fn key(name: &str) -> PathPart {
    PathPart::Key(name.to_string())
}

/// Header mappings: `prefix` + header name to a mapping expression.
fn mappings(
    parameters: Option<&BTreeMap<String, String>>,
    prefix: &str,
    gateway: bool,
    at: &[PathPart],
    refusals: &mut Vec<Placed>,
) -> Vec<(String, Mapping)> {
    let mut headers = Vec::new();
    for (name, value) in parameters.into_iter().flatten() {
        let mut place = at.to_vec();
        place.push(key(name));
        let Some(header) = name.strip_prefix(prefix) else {
            refusals.push((
                place,
                format!(
                    "BadRequestException: Invalid mapping expression parameter specified: {name} (a response header is mapped as {prefix}NAME)"
                ),
            ));
            continue;
        };
        match Mapping::parse(value, gateway) {
            Ok(mapping) => headers.push((header.to_string(), mapping)),
            Err(message) => refusals.push((place, message)),
        }
    }
    headers
}

/// The `statusCode` a MOCK's request template returns: `{"statusCode": 200}`, or CDK's
/// `{ statusCode: 200 }`, which is a Velocity template rather than JSON.
fn mock_status(templates: Option<&BTreeMap<String, String>>) -> u16 {
    let Some(template) = templates.and_then(|t| t.get("application/json")) else {
        return 200;
    };
    let Some(at) = template.find("statusCode") else {
        return 200;
    };
    let rest = template[at + "statusCode".len()..]
        .trim_start_matches(|c: char| c == '"' || c == '\'' || c == ':' || c.is_whitespace());
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(200)
}

impl RawRestApi {
    /// The API, or every refusal API Gateway would give, each at its key path.
    pub fn validate(self, stage: Option<String>) -> Result<RestApi, Vec<Placed>> {
        let mut refusals: Vec<Placed> = Vec::new();
        let mut resources = Vec::new();
        for (r, raw) in self.resources.iter().enumerate() {
            let at = vec![key("resources"), PathPart::Index(r)];
            let template = match PathTemplate::parse(&raw.path) {
                Ok(template) => template,
                Err(message) => {
                    let mut place = at.clone();
                    place.push(key("path"));
                    refusals.push((place, message));
                    continue;
                }
            };
            let mut methods = Vec::new();
            for (name, method) in &raw.methods {
                let mut at = at.clone();
                at.extend([key("resourceMethods"), key(name)]);
                if !METHODS.contains(&name.as_str()) {
                    refusals.push((
                        at.clone(),
                        format!("'{name}' is not a method: ANY, GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"),
                    ));
                    continue;
                }
                let authorization = match method.authorization_type.as_deref() {
                    None => Authorization::None,
                    Some(text) => match Authorization::parse(text) {
                        Some(authorization) => authorization,
                        None => {
                            let mut place = at.clone();
                            place.push(key("authorizationType"));
                            refusals.push((place, format!("'{text}' is not an authorizationType: NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS")));
                            continue;
                        }
                    },
                };
                let mut at_integration = at.clone();
                at_integration.push(key("methodIntegration"));
                let (integration, mock, responses) = match &method.method_integration {
                    None => (IntegrationType::Proxy, 200, Vec::new()),
                    Some(integration) => {
                        let kind = match integration.kind.as_str() {
                            "MOCK" => IntegrationType::Mock,
                            "AWS_PROXY" | "HTTP_PROXY" => IntegrationType::Proxy,
                            "AWS" | "HTTP" => IntegrationType::Mapped,
                            other => {
                                let mut place = at_integration.clone();
                                place.push(key("type"));
                                refusals.push((place, format!("'{other}' is not an integration type: MOCK, AWS, AWS_PROXY, HTTP or HTTP_PROXY")));
                                continue;
                            }
                        };
                        let mut responses = Vec::new();
                        for (status, response) in integration.integration_responses.iter().flatten()
                        {
                            let mut place = at_integration.clone();
                            place.extend([key("integrationResponses"), key(status)]);
                            let mut at_parameters = place.clone();
                            at_parameters.push(key("responseParameters"));
                            let headers = mappings(
                                response.response_parameters.as_ref(),
                                "method.response.header.",
                                false,
                                &at_parameters,
                                &mut refusals,
                            );
                            let pattern = match response.selection_pattern.as_deref() {
                                None | Some("") => None,
                                Some(pattern) => {
                                    match regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                                        .size_limit(1 << 16)
                                        .build()
                                    {
                                        Ok(regex) => Some(regex),
                                        Err(_) => {
                                            place.push(key("selectionPattern"));
                                            refusals.push((place, format!("'{pattern}' is not a regular expression cors-tui can read (a selectionPattern is one, matched against the integration's status)")));
                                            continue;
                                        }
                                    }
                                }
                            };
                            let template = response
                                .response_templates
                                .as_ref()
                                .and_then(|t| t.get("application/json"))
                                .and_then(serde_json::Value::as_str)
                                .map(OriginTemplate::read)
                                .unwrap_or_default();
                            let status = response
                                .status_code
                                .as_deref()
                                .unwrap_or(status)
                                .parse::<u16>()
                                .unwrap_or(200);
                            responses.push(IntegrationResponse {
                                status,
                                pattern,
                                headers,
                                template,
                            });
                        }
                        (
                            kind,
                            mock_status(integration.request_templates.as_ref()),
                            responses,
                        )
                    }
                };
                methods.push(Method {
                    http_method: name.clone(),
                    authorization,
                    api_key_required: method.api_key_required.unwrap_or(false),
                    integration,
                    mock_status: mock,
                    responses,
                });
            }
            resources.push(Resource {
                path: raw.path.clone(),
                template,
                methods,
            });
        }
        let mut gateway_responses = Vec::new();
        for (g, raw) in self.gateway_responses.iter().enumerate() {
            let at = vec![key("gatewayResponses"), PathPart::Index(g)];
            let Some(kind) = ResponseType::parse(&raw.response_type) else {
                let mut place = at.clone();
                place.push(key("responseType"));
                refusals.push((
                    place,
                    format!(
                        "'{}' is not a gateway response type (DEFAULT_4XX, DEFAULT_5XX, UNAUTHORIZED, MISSING_AUTHENTICATION_TOKEN, …)",
                        raw.response_type
                    ),
                ));
                continue;
            };
            let mut place = at.clone();
            place.push(key("responseParameters"));
            let headers = mappings(
                raw.response_parameters.as_ref(),
                "gatewayresponse.header.",
                true,
                &place,
                &mut refusals,
            );
            gateway_responses.push(GatewayResponse {
                kind,
                status: raw.status_code.as_deref().and_then(|s| s.parse().ok()),
                headers,
            });
        }
        let deployed = match self.deployed.clone() {
            None => None,
            Some(deployed) if deployed.deployed.is_some() => {
                refusals.push((
                    vec![key("deployed"), key("deployed")],
                    "a deployment holds resources and gatewayResponses, not a deployment of its own".to_string(),
                ));
                None
            }
            Some(deployed) => match deployed.validate(stage.clone()) {
                Ok(api) => Some(Box::new(api)),
                Err(found) => {
                    refusals.extend(found.into_iter().map(|(mut parts, message)| {
                        parts.insert(0, key("deployed"));
                        (parts, message)
                    }));
                    None
                }
            },
        };
        if !refusals.is_empty() {
            return Err(refusals);
        }
        Ok(RestApi {
            resources,
            gateway_responses,
            stage,
            deployed,
            written: self,
        })
    }
}

/// Why API Gateway answered with one of its own errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No resource has this path, or it has no method for this verb (nor ANY).
    NoMethod,
    /// The method requires an API key and the request sent no `x-api-key`.
    ApiKey { method: String },
    /// The method's authorizer found no credentials.
    Authorizer {
        method: String,
        authorization: Authorization,
    },
    /// No integration response takes the integration's status and none is the default.
    NoOutputMapping { method: String, status: u16 },
}

/// What the REST API did with one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A MOCK method answered: its status and the headers its mappings put on.
    Mock {
        method: String,
        status: u16,
        headers: Vec<String>,
        template: Override,
    },
    /// API Gateway answered with a gateway response.
    Gateway {
        refused: Refused,
        kind: ResponseType,
        /// The configured gateway response whose headers it carries, if any.
        configured: Option<ResponseType>,
        cors: bool,
        preflight: bool,
    },
    /// A proxy integration's answer, passed through as it is.
    Proxied { method: String },
    /// The stage served its latest deployment, which differs from the saved API here.
    Deployed {
        note: Box<Note>,
        /// What the saved API has that this answer did not use.
        pending: Vec<String>,
    },
    /// A non-proxy integration's answer: only the mapped headers are kept.
    Mapped {
        method: String,
        kept: Vec<String>,
        dropped: Vec<String>,
        template: Override,
    },
}

impl RestApi {
    /// The resource a request's path reaches: the most specific (literal parts over `{name}`
    /// over `{name+}`), below the stage.
    pub fn resource_for(&self, request: &HttpRequest) -> Option<&Resource> {
        let parts = parts_below_stage(&request.url, self.stage.as_deref())?;
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        self.resources
            .iter()
            .filter_map(|resource| {
                let fit = resource.template.fit(&parts)?;
                Some(((fit.literals, !fit.greedy, fit.fixed), resource))
            })
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, resource)| resource)
    }

    /// The resource and method a request reaches: its resource, then its exact verb, then ANY.
    pub fn route(&self, request: &HttpRequest) -> Option<(&Resource, &Method)> {
        let resource = self.resource_for(request)?;
        let method = resource
            .methods
            .iter()
            .find(|m| m.http_method == request.method)
            .or_else(|| resource.methods.iter().find(|m| m.http_method == "ANY"))?;
        Some((resource, method))
    }

    /// The configuration the stage serves: the latest deployment when it differs from the
    /// saved API, else the saved API.
    pub fn serving(&self) -> &RestApi {
        self.deployed.as_deref().unwrap_or(self)
    }

    /// What the saved API would do differently for `request` than the deployment the stage
    /// serves: the method it reaches, and the gateway responses.
    fn pending(&self, request: &HttpRequest) -> Vec<String> {
        let Some(deployed) = &self.deployed else {
            return Vec::new();
        };
        let mut pending = Vec::new();
        let name = |route: Option<(&Resource, &Method)>| {
            route.map(|(r, m)| (format!("{} {}", m.http_method, r.path), m.clone()))
        };
        match (name(self.route(request)), name(deployed.route(request))) {
            (Some((saved, _)), None) => pending.push(format!("{saved}, saved but not deployed")),
            (None, Some((live, _))) => {
                pending.push(format!("{live} is deployed but deleted from the saved API"))
            }
            (Some((saved, a)), Some((live, b))) if saved != live || a != b => pending.push(
                format!("the saved {saved} differs from the deployed {live}"),
            ),
            _ => {}
        }
        if self.gateway_responses != deployed.gateway_responses {
            pending.push("the saved gateway responses differ from the deployed ones".to_string());
        }
        pending
    }

    /// On the way down: a MOCK answers, so do API Gateway's own errors; a proxy or mapped
    /// integration passes the request to the backend. The stage answers with the deployment
    /// it serves.
    pub fn answer_itself(
        &self,
        request: &HttpRequest,
        sequence: usize,
    ) -> Option<(HttpResponse, Note)> {
        if let Some(deployed) = &self.deployed {
            let (response, note) = deployed.answer_itself(request, sequence)?;
            return Some((response, self.wrap(request, note)));
        }
        let preflight = request.method == "OPTIONS"
            && request.header("Access-Control-Request-Method").is_some();
        let Some((resource, method)) = self.route(request) else {
            return Some(self.gateway(
                ResponseType::MissingAuthenticationToken,
                Refused::NoMethod,
                request,
                preflight,
                sequence,
            ));
        };
        let name = format!("{} {}", method.http_method, resource.path);
        if method.api_key_required && request.header("x-api-key").is_none() {
            return Some(self.gateway(
                ResponseType::InvalidApiKey,
                Refused::ApiKey { method: name },
                request,
                preflight,
                sequence,
            ));
        }
        if method.authorization != Authorization::None && request.header("Authorization").is_none()
        {
            let kind = match method.authorization {
                Authorization::AwsIam => ResponseType::MissingAuthenticationToken,
                _ => ResponseType::Unauthorized,
            };
            return Some(self.gateway(
                kind,
                Refused::Authorizer {
                    method: name,
                    authorization: method.authorization,
                },
                request,
                preflight,
                sequence,
            ));
        }
        if method.integration != IntegrationType::Mock {
            return None;
        }
        let Some(response) = selected(&method.responses, method.mock_status) else {
            return Some(self.gateway(
                ResponseType::Other("API_CONFIGURATION_ERROR"),
                Refused::NoOutputMapping {
                    method: name,
                    status: method.mock_status,
                },
                request,
                preflight,
                sequence,
            ));
        };
        let status = response.status;
        let mut headers: Vec<Header> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), "0".into()),
            request_id(sequence),
        ];
        let mut mapped = Vec::new();
        for (header, mapping) in &response.headers {
            if let Some(value) = mapping.value(request, None) {
                mapped.push(header.clone());
                headers.push((header.clone().into(), value.into()));
            }
        }
        let template = apply_template(&response.template, request, &mut headers);
        Some((
            HttpResponse {
                status,
                headers: headers.into(),
                body: String::new(),
            },
            Note::Mock {
                method: name,
                status,
                headers: mapped,
                template,
            },
        ))
    }

    /// API Gateway's own error of `kind`: a configured gateway response of that type, else a
    /// configured DEFAULT_4XX or DEFAULT_5XX, else the default with no CORS header.
    fn gateway(
        &self,
        kind: ResponseType,
        refused: Refused,
        request: &HttpRequest,
        preflight: bool,
        sequence: usize,
    ) -> (HttpResponse, Note) {
        let default_status = kind.status();
        let family = if default_status >= 500 {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        };
        let configured = self
            .gateway_responses
            .iter()
            .find(|g| g.kind == kind)
            .or_else(|| self.gateway_responses.iter().find(|g| g.kind == family));
        let status = configured.and_then(|g| g.status).unwrap_or(default_status);
        let (message, error_type) = kind.words();
        let body = format!("{{\"message\":\"{message}\"}}");
        let mut headers: Vec<Header> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), body.len().to_string().into()),
            request_id(sequence),
            ("x-amzn-ErrorType".into(), error_type.into()),
        ];
        let mut cors = false;
        for (header, mapping) in configured.map(|g| g.headers.as_slice()).unwrap_or(&[]) {
            if let Some(value) = mapping.value(request, None) {
                cors |= header.eq_ignore_ascii_case("Access-Control-Allow-Origin");
                headers.push((header.clone().into(), value.into()));
            }
        }
        (
            HttpResponse {
                status,
                headers: headers.into(),
                body,
            },
            Note::Gateway {
                refused,
                kind,
                configured: configured.map(|g| g.kind),
                cors,
                preflight,
            },
        )
    }

    /// On the way back up: a proxy passes the backend's answer through; a mapped integration
    /// keeps only the headers its integration response maps.
    pub fn pass_up(
        &self,
        request: &HttpRequest,
        response: &mut HttpResponse,
        sequence: usize,
    ) -> Note {
        if let Some(deployed) = &self.deployed {
            let note = deployed.pass_up(request, response, sequence);
            return self.wrap(request, note);
        }
        let Some((resource, method)) = self.route(request) else {
            return Note::Proxied {
                method: String::new(),
            };
        };
        let name = format!("{} {}", method.http_method, resource.path);
        if method.integration != IntegrationType::Mapped {
            return Note::Proxied { method: name };
        }
        let backend = response.clone();
        let Some(chosen) = selected(&method.responses, backend.status) else {
            let preflight = request.method == "OPTIONS"
                && request.header("Access-Control-Request-Method").is_some();
            let (error, note) = self.gateway(
                ResponseType::Other("API_CONFIGURATION_ERROR"),
                Refused::NoOutputMapping {
                    method: name,
                    status: backend.status,
                },
                request,
                preflight,
                sequence,
            );
            *response = error;
            return note;
        };
        let mut headers: Vec<Header> = vec![(
            "Content-Type".into(),
            backend
                .header("Content-Type")
                .unwrap_or_else(|| "application/json".to_string())
                .into(),
        )];
        let mut kept = Vec::new();
        for (header, mapping) in &chosen.headers {
            if let Some(value) = mapping.value(request, Some(&backend)) {
                kept.push(header.clone());
                headers.push((header.clone().into(), value.into()));
            }
        }
        let template = apply_template(&chosen.template, request, &mut headers);
        let dropped = backend
            .headers
            .iter()
            .map(|(name, _)| name.to_string())
            .filter(|name| {
                !name.eq_ignore_ascii_case("Content-Type")
                    && !kept.iter().any(|k| k.eq_ignore_ascii_case(name))
            })
            .collect();
        response.status = chosen.status;
        response.headers = headers.into();
        Note::Mapped {
            method: name,
            kept,
            dropped,
            template,
        }
    }
}

impl RestApi {
    /// `note`, saying what the saved API would have done differently, if anything.
    fn wrap(&self, request: &HttpRequest, note: Note) -> Note {
        let pending = self.pending(request);
        if pending.is_empty() {
            note
        } else {
            Note::Deployed {
                note: Box::new(note),
                pending,
            }
        }
    }
}

impl Note {
    /// The note of what answered, below a `Deployed` wrapper.
    pub fn inner(&self) -> &Note {
        match self {
            Note::Deployed { note, .. } => note.inner(),
            other => other,
        }
    }
}

/// What an integration response's template did to Access-Control-Allow-Origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Override {
    /// Its template overrides nothing.
    None,
    /// The Origin was one of the template's origins and replaced the header.
    Echoed { origins: Vec<String>, regex: bool },
    /// The Origin was not one of them: the static value stayed.
    Kept { origins: Vec<String>, regex: bool },
    /// The template overrides the response in a way cors-tui does not evaluate.
    NotEvaluated,
}

fn apply_template(
    template: &OriginTemplate,
    request: &HttpRequest,
    headers: &mut Vec<Header>,
) -> Override {
    let (origins, regex) = match template {
        OriginTemplate::None => return Override::None,
        OriginTemplate::NotEvaluated => return Override::NotEvaluated,
        OriginTemplate::Echoes { origins, compare } => (
            origins.clone(),
            matches!(compare, origin_template::Compare::Matches(_)),
        ),
    };
    let Some(origin) = template.overridden(request.header("Origin").as_deref()) else {
        return Override::Kept { origins, regex };
    };
    headers.retain(|(name, _)| !name.eq_ignore_ascii_case("Access-Control-Allow-Origin"));
    headers.push(("Access-Control-Allow-Origin".into(), origin.into()));
    Override::Echoed { origins, regex }
}

/// The integration response an integration's `status` selects: the one whose
/// `selectionPattern` matches it, else the default one (no pattern); none means API Gateway
/// has no output mapping for it.
fn selected(responses: &[IntegrationResponse], status: u16) -> Option<&IntegrationResponse> {
    let status = status.to_string();
    responses
        .iter()
        .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(&status)))
        .or_else(|| responses.iter().find(|r| r.pattern.is_none()))
}

fn request_id(sequence: usize) -> Header {
    let h = stable_id(sequence);
    (
        "x-amzn-RequestId".into(),
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (h >> 29) as u32,
            (h >> 13) as u16,
            h as u16,
            h.rotate_left(17) as u16,
            h.rotate_left(41) & 0xffff_ffff_ffff
        )
        .into(),
    )
}

impl Note {
    /// The explanation, with each behaviour's evidence.
    pub fn narrate(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Note::Mock {
                method,
                status,
                headers,
                template,
            } => {
                write!(
                    f,
                    "API Gateway REST API: {method} is a MOCK integration, so API Gateway answers {status} itself from its integration response (documented)"
                )?;
                if headers.is_empty() {
                    f.write_str(", which maps no header")?;
                } else {
                    write!(f, " with the headers it maps: {}", Joined(headers, ", "))?;
                }
                if *template == Override::None {
                    if headers.is_empty() {
                        f.write_str(": no Access-Control-* header at all (documented).")
                    } else {
                        f.write_str(". The mappings are fixed, so every request gets the same answer, whatever its Origin, method or headers; the browser does the checking (inferred from MOCK semantics).")
                    }
                } else {
                    f.write_str(".")?;
                    template.narrate(f)
                }
            }
            Note::Gateway {
                refused,
                kind,
                configured,
                cors,
                preflight,
            } => {
                f.write_str("API Gateway REST API: ")?;
                match refused {
                    Refused::NoMethod if *preflight => f.write_str(
                        "no OPTIONS method (nor ANY) on this resource, so API Gateway has nothing to answer the preflight with: 403 {\"message\":\"Missing Authentication Token\"} (recorded for a missing method; for OPTIONS inferred from the same rule)",
                    )?,
                    Refused::NoMethod => f.write_str(
                        "no resource and method take this request: 403 {\"message\":\"Missing Authentication Token\"}, however little it has to do with authentication (recorded)",
                    )?,
                    Refused::ApiKey { method } => write!(
                        f,
                        "{method} requires an API key and the request has no x-api-key{}: 403 {{\"message\":\"Forbidden\"}} (documented; body as emulated)",
                        if *preflight { " (a preflight never has one, observed)" } else { "" }
                    )?,
                    Refused::Authorizer {
                        method,
                        authorization,
                    } => write!(
                        f,
                        "{method} has a {} authorizer and the request carries no Authorization{}, so API Gateway refuses it before the integration ({}, {})",
                        authorization.name(),
                        if *preflight { " (a preflight never does, observed)" } else { "" },
                        if *authorization == Authorization::AwsIam { "403, inferred" } else { "401, documented" },
                        kind.name()
                    )?,
                    Refused::NoOutputMapping { method, status } => write!(
                        f,
                        "{method}'s integration answered {status}, and no integration response's selectionPattern takes {status} nor is any the default, so API Gateway has no output mapping: 500 {{\"message\":\"Internal server error\"}} (observed: \"No match for output mapping and no default output mapping configured\")"
                    )?,
                }
                match (configured, cors) {
                    (None, _) => write!(
                        f,
                        ". Gateway response {} is not configured, so it carries no CORS header (documented).",
                        kind.name()
                    ),
                    (Some(by), true) => write!(
                        f,
                        ". The configured {} gateway response adds its headers, Access-Control-Allow-Origin among them (documented).",
                        by.name()
                    ),
                    (Some(by), false) => write!(
                        f,
                        ". The configured {} gateway response maps no Access-Control-Allow-Origin (documented).",
                        by.name()
                    ),
                }
            }
            Note::Deployed { note, pending } => {
                note.narrate(f)?;
                write!(
                    f,
                    " The stage serves its latest deployment, not the saved API: {}. Saved changes take effect only once the API is deployed to the stage again (documented).",
                    Joined(pending, "; ")
                )
            }
            Note::Proxied { method } => write!(
                f,
                "API Gateway REST API: {method} is a proxy integration, so the backend's answer passes through as it is: API Gateway adds no CORS header, and the backend must send them on every answer, errors included (documented)."
            ),
            Note::Mapped {
                method,
                kept,
                dropped,
                template,
            } => {
                write!(
                    f,
                    "API Gateway REST API: {method} is a non-proxy integration, so only the headers its integration response maps reach the browser (inferred from the mapping model)"
                )?;
                if !kept.is_empty() {
                    write!(f, ": {}", Joined(kept, ", "))?;
                }
                if !dropped.is_empty() {
                    write!(f, "; the backend's {} are dropped", Joined(dropped, ", "))?;
                }
                f.write_str(".")?;
                template.narrate(f)
            }
        }
    }
}

impl Override {
    /// What the template did, after the sentence about the mappings.
    fn narrate(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let listed = |origins: &[String], regex: bool| {
            if let ([origin], false) = (origins, regex) {
                format!("is {origin} (CDK's template for a second origin, generated)")
            } else if regex {
                format!(
                    "matches one of the regular expressions {} (an older CDK's template: a '.' matches any character, observed in aws-cdk#26648)",
                    Joined(origins, ", ")
                )
            } else {
                format!(
                    "is one of {} (CDK's template for several origins, generated)",
                    Joined(origins, ", ")
                )
            }
        };
        match self {
            Override::None => Ok(()),
            Override::Echoed { origins, regex } => write!(
                f,
                " Its response template replaces Access-Control-Allow-Origin with the request's Origin when it {}: this Origin does, so the answer names it.",
                listed(origins, *regex)
            ),
            Override::Kept { origins, regex } => write!(
                f,
                " Its response template replaces Access-Control-Allow-Origin with the request's Origin only when it {}: this Origin does not, so the header keeps its static value (with CDK, the first listed origin, whatever the Origin: observed in aws-cdk#30453).",
                listed(origins, *regex)
            ),
            Override::NotEvaluated => f.write_str(
                " Its response template overrides parts of the answer in a way cors-tui does not evaluate: the headers shown are the mappings alone (not evaluated).",
            ),
        }
    }
}

/// Changes to a REST API that let a browser request through, each as a diff line in AWS's
/// spelling; the caller proves them by running the stack again.
impl RawRestApi {
    fn resource_mut(&mut self, path: &str) -> Option<&mut RawResource> {
        self.resources.iter_mut().find(|r| r.path == path)
    }

    /// The OPTIONS method of `path` without its authorizer and API key, as SAM writes it with
    /// `AddDefaultAuthorizerToCorsPreflight: false` and `AddApiKeyRequiredToCorsPreflight: false`.
    pub fn open_preflight(&mut self, path: &str) -> Vec<String> {
        let Some(options) = self
            .resource_mut(path)
            .and_then(|r| r.methods.get_mut("OPTIONS"))
        else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        if options
            .authorization_type
            .as_deref()
            .is_some_and(|a| a != "NONE")
        {
            options.authorization_type = Some("NONE".to_string());
            options.authorizer_id = None;
            lines.push(format!(
                "~ REST API method OPTIONS {path}: authorizationType NONE (a preflight never carries credentials; SAM: Auth.AddDefaultAuthorizerToCorsPreflight: false)"
            ));
        }
        if options.api_key_required == Some(true) {
            options.api_key_required = Some(false);
            lines.push(format!(
                "~ REST API method OPTIONS {path}: apiKeyRequired false (SAM: Auth.AddApiKeyRequiredToCorsPreflight: false)"
            ));
        }
        lines
    }

    /// A MOCK OPTIONS method on `path` (or its existing one) whose answer lets `origin` send
    /// `method` with `headers`, as the console's Enable CORS builds it.
    pub fn allow_preflight(
        &mut self,
        path: &str,
        origin: &str,
        method: &str,
        headers: &[String],
        credentials: bool,
    ) -> Vec<String> {
        let Some(resource) = self.resource_mut(path) else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        let options = resource.methods.entry("OPTIONS".to_string()).or_insert_with(|| {
            lines.push(format!(
                "+ REST API method OPTIONS {path}: MOCK integration answering 200 (the console's Enable CORS)"
            ));
            RawMethod {
                authorization_type: Some("NONE".to_string()),
                method_integration: Some(RawIntegration {
                    kind: "MOCK".to_string(),
                    request_templates: Some(BTreeMap::from([("application/json".into(),
                        "{\"statusCode\": 200}".into(),
                    )])),
                    ..RawIntegration::default()
                }),
                ..RawMethod::default()
            }
        });
        let integration = options
            .method_integration
            .get_or_insert_with(RawIntegration::default);
        let status = mock_status(integration.request_templates.as_ref()).to_string();
        let responses = integration
            .integration_responses
            .get_or_insert_with(BTreeMap::new);
        // The response the MOCK answers with: the default one (no selectionPattern).
        let answering = responses
            .iter()
            .find(|(_, r)| r.selection_pattern.as_deref().is_none_or(str::is_empty))
            .map_or(status.clone(), |(key, _)| key.clone());
        let response = responses
            .entry(answering)
            .or_insert_with(|| RawIntegrationResponse {
                status_code: Some(status),
                ..RawIntegrationResponse::default()
            });
        let template = response
            .response_templates
            .as_ref()
            .and_then(|t| t.get("application/json"))
            .and_then(serde_json::Value::as_str)
            .map(OriginTemplate::read)
            .unwrap_or_default();
        let parameters = response
            .response_parameters
            .get_or_insert_with(BTreeMap::new);
        let literal = |parameters: &BTreeMap<String, String>, header: &str| {
            parameters
                .get(&format!("method.response.header.{header}"))
                .and_then(|v| v.strip_prefix('\'')?.strip_suffix('\'').map(str::to_string))
        };
        let mut changes: Vec<(&str, String)> = Vec::new();
        let allow_origin = literal(parameters, "Access-Control-Allow-Origin");
        let echoed = template.overridden(Some(origin)).is_some();
        let mut also_echo = None;
        match allow_origin.as_deref() {
            Some(value) if value == origin || echoed => {}
            Some("*") if !credentials => {}
            // One static value cannot name two sites: keep it, and echo this one as CDK's
            // template does for a list of origins.
            Some(value) if value != "*" && !value.is_empty() => {
                let mut origins = match &template {
                    OriginTemplate::Echoes { origins, .. } => origins.clone(),
                    _ => Vec::new(),
                };
                origins.push(origin.to_string());
                also_echo = Some(origins);
            }
            _ => changes.push(("Access-Control-Allow-Origin", origin.to_string())),
        }
        if let Some(origins) = also_echo {
            if !matches!(template, OriginTemplate::None) {
                lines.push(format!(
                    "~ REST API OPTIONS {path} integration response template: also echo {origin} (CDK: add it to allowOrigins; the template becomes CDK's for {})",
                    Joined(&origins, ", ")
                ));
            } else {
                lines.push(format!(
                    "+ REST API OPTIONS {path} integration response template: echo {origin} in Access-Control-Allow-Origin, keeping the static value for the others (CDK: list both in allowOrigins)"
                ));
                changes.push(("Vary", "Origin".to_string()));
            }
            response.response_templates = Some(serde_json::json!({
                "application/json": origin_template::cdk_template(&origins)
            }));
        }
        let parameters = response
            .response_parameters
            .get_or_insert_with(BTreeMap::new);
        let listed = |value: &Option<String>, item: &str| {
            value.as_deref().is_some_and(|v| {
                v.split(',')
                    .any(|x| x.trim() == "*" || x.trim().eq_ignore_ascii_case(item))
            })
        };
        let methods = literal(parameters, "Access-Control-Allow-Methods");
        if !crate::http::syntax::is_safelisted_method(method) && !listed(&methods, method) {
            let value = match methods {
                Some(v) if !v.is_empty() => format!("{v},{method}"),
                _ => format!("{method},OPTIONS"),
            };
            changes.push(("Access-Control-Allow-Methods", value));
        }
        let allowed = literal(parameters, "Access-Control-Allow-Headers");
        let missing: Vec<&String> = headers.iter().filter(|h| !listed(&allowed, h)).collect();
        if !missing.is_empty() {
            let mut value = allowed.unwrap_or_default();
            for header in missing {
                if !value.is_empty() {
                    value.push(',');
                }
                value.push_str(header);
            }
            changes.push(("Access-Control-Allow-Headers", value));
        }
        if credentials
            && literal(parameters, "Access-Control-Allow-Credentials").as_deref() != Some("true")
        {
            changes.push(("Access-Control-Allow-Credentials", "true".to_string()));
        }
        for (header, value) in changes {
            lines.push(format!(
                "~ REST API OPTIONS {path} integration response: method.response.header.{header} = '{value}'"
            ));
            parameters.insert(
                format!("method.response.header.{header}"),
                format!("'{value}'"),
            );
        }
        lines
    }

    /// DEFAULT_4XX and DEFAULT_5XX carrying the request's Origin back, so the page reads API
    /// Gateway's own errors instead of a CORS failure.
    pub fn cors_on_errors(&mut self, credentials: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            let at = match self
                .gateway_responses
                .iter()
                .position(|g| g.response_type == kind)
            {
                Some(at) => at,
                None => {
                    self.gateway_responses.push(RawGatewayResponse {
                        response_type: kind.to_string(),
                        ..RawGatewayResponse::default()
                    });
                    self.gateway_responses.len() - 1
                }
            };
            let parameters = self.gateway_responses[at]
                .response_parameters
                .get_or_insert_with(BTreeMap::new);
            let mut wanted = vec![(
                "gatewayresponse.header.Access-Control-Allow-Origin",
                "method.request.header.origin",
            )];
            if credentials {
                wanted.push((
                    "gatewayresponse.header.Access-Control-Allow-Credentials",
                    "'true'",
                ));
            }
            for (name, value) in wanted {
                if !parameters.contains_key(name) {
                    parameters.insert(name.to_string(), value.to_string());
                    lines.push(format!(
                        "+ REST API gateway response {kind}: {name} = {value}"
                    ));
                }
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::bucket::request_to;

    const URL: &str = "https://r4s5t6u7v8.execute-api.us-east-1.amazonaws.com";

    fn api(text: &str) -> RestApi {
        let raw: RawRestApi = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e) => panic!("{e}"),
        };
        match raw.validate(Some("prod".to_string())) {
            Ok(api) => api,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// The console's Enable CORS on /orders, and a Cognito-protected proxy GET.
    const CONSOLE: &str = r#"{"resources": [{"path": "/orders", "resourceMethods": {
        "GET": {"authorizationType": "COGNITO_USER_POOLS", "methodIntegration": {"type": "AWS_PROXY"}},
        "OPTIONS": {"authorizationType": "NONE", "methodIntegration": {"type": "MOCK",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "integrationResponses": {"200": {"statusCode": "200", "responseParameters": {
                "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token'",
                "method.response.header.Access-Control-Allow-Methods": "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'",
                "method.response.header.Access-Control-Allow-Origin": "'*'"}}}}}}}]}"#;

    fn preflight(path: &str) -> HttpRequest {
        request_to(
            &format!("{URL}{path}"),
            "OPTIONS",
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
        )
    }

    #[test]
    fn r1_the_consoles_mock_answers_every_preflight_with_its_literals() {
        let Some((response, note)) = api(CONSOLE).answer_itself(&preflight("/prod/orders"), 1)
        else {
            panic!("the MOCK answers");
        };
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("Access-Control-Allow-Origin").as_deref(),
            Some("*")
        );
        assert_eq!(
            response.header("Access-Control-Allow-Methods").as_deref(),
            Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT")
        );
        assert_eq!(response.header("Content-Length").as_deref(), Some("0"));
        assert!(matches!(note, Note::Mock { status: 200, .. }));
    }

    /// CDK's `addCorsPreflight` with `allowOrigins: [A, B]`, as `cdk synth` writes it and
    /// `get-resources --embed methods` lists it.
    const CDK_TWO_ORIGINS: &str = r##"{"resources": [{"path": "/orders", "resourceMethods": {
        "OPTIONS": {"authorizationType": "NONE", "apiKeyRequired": false, "methodIntegration": {"type": "MOCK",
            "requestTemplates": {"application/json": "{ statusCode: 200 }"},
            "integrationResponses": {"204": {"statusCode": "204",
                "responseParameters": {
                    "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent'",
                    "method.response.header.Access-Control-Allow-Origin": "'https://a.example'",
                    "method.response.header.Vary": "'Origin'",
                    "method.response.header.Access-Control-Allow-Methods": "'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD'"},
                "responseTemplates": {"application/json": "#set($origin = $input.params().header.get(\"Origin\"))\n#if($origin == \"\")\n  #set($origin = $input.params().header.get(\"origin\"))\n#end\n#if($origin == \"https://b.example\")\n  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end"}}}}}}}]}"##;

    fn preflight_from(origin: &str) -> HttpRequest {
        request_to(
            &format!("{URL}/prod/orders"),
            "OPTIONS",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
    }

    #[test]
    fn r7_cdks_template_answers_a_listed_second_origin_with_itself() {
        let Some((response, note)) =
            api(CDK_TWO_ORIGINS).answer_itself(&preflight_from("https://b.example"), 1)
        else {
            panic!("the MOCK answers");
        };
        assert_eq!(response.status, 204);
        assert_eq!(
            response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://b.example")
        );
        assert_eq!(response.header("Vary").as_deref(), Some("Origin"));
        assert!(matches!(
            note,
            Note::Mock {
                template: Override::Echoed { regex: false, .. },
                ..
            }
        ));
    }

    #[test]
    fn r8_an_unlisted_origin_gets_the_first_origin() {
        let Some((response, note)) =
            api(CDK_TWO_ORIGINS).answer_itself(&preflight_from("https://c.example"), 1)
        else {
            panic!("the MOCK answers");
        };
        assert_eq!(response.status, 204);
        assert_eq!(
            response.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://a.example")
        );
        assert!(matches!(
            note,
            Note::Mock {
                template: Override::Kept { .. },
                ..
            }
        ));
    }

    #[test]
    fn an_integration_status_no_response_takes_is_a_500_from_api_gateway() {
        let text = CONSOLE.replace(
            "\"statusCode\": \"200\", \"responseParameters\"",
            "\"statusCode\": \"200\", \"selectionPattern\": \"4\\\\d{2}\", \"responseParameters\"",
        );
        assert_ne!(text, CONSOLE);
        let Some((response, note)) = api(&text).answer_itself(&preflight("/prod/orders"), 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 500);
        assert!(response.header("Access-Control-Allow-Origin").is_none());
        assert!(matches!(
            note,
            Note::Gateway {
                refused: Refused::NoOutputMapping { status: 200, .. },
                ..
            }
        ));
    }

    #[test]
    fn the_stage_answers_with_its_deployment_and_says_what_is_saved_but_not_deployed() {
        let saved: serde_json::Value = match serde_json::from_str(CONSOLE) {
            Ok(value) => value,
            Err(e) => panic!("{e}"),
        };
        let mut deployed = saved.clone();
        if let Some(methods) = deployed["resources"][0]["resourceMethods"].as_object_mut() {
            methods.remove("OPTIONS");
        }
        let mut both = saved;
        both["deployed"] = deployed;
        let api = api(&both.to_string());
        let Some((response, note)) = api.answer_itself(&preflight("/prod/orders"), 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 403);
        let Note::Deployed { note, pending } = note else {
            panic!("the note says the stage serves its deployment");
        };
        assert!(matches!(
            *note,
            Note::Gateway {
                refused: Refused::NoMethod,
                ..
            }
        ));
        assert_eq!(pending, ["OPTIONS /orders, saved but not deployed"]);
        assert!(
            api.serving().resources[0]
                .methods
                .iter()
                .all(|m| m.http_method != "OPTIONS")
        );

        let mut nested = both;
        nested["deployed"]["deployed"] = serde_json::json!({"resources": []});
        let Ok(raw) = serde_json::from_value::<RawRestApi>(nested) else {
            panic!("the shape is read");
        };
        assert!(raw.validate(None).is_err());
    }

    #[test]
    fn r2_a_resource_without_options_answers_missing_authentication_token() {
        let text = CONSOLE.replace("\"OPTIONS\"", "\"PATCH\"");
        let Some((response, note)) = api(&text).answer_itself(&preflight("/prod/orders"), 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 403);
        assert_eq!(
            response.body,
            "{\"message\":\"Missing Authentication Token\"}"
        );
        assert_eq!(
            response.header("x-amzn-ErrorType").as_deref(),
            Some("MissingAuthenticationTokenException")
        );
        assert!(response.header("Access-Control-Allow-Origin").is_none());
        assert!(matches!(
            note,
            Note::Gateway {
                preflight: true,
                ..
            }
        ));
    }

    #[test]
    fn r9_r10_an_authorizer_or_an_api_key_on_options_refuses_the_preflight() {
        let text = CONSOLE.replace(
            "\"OPTIONS\": {\"authorizationType\": \"NONE\"",
            "\"OPTIONS\": {\"authorizationType\": \"COGNITO_USER_POOLS\"",
        );
        let Some((response, _)) = api(&text).answer_itself(&preflight("/prod/orders"), 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 401);
        let text = CONSOLE.replace(
            "\"OPTIONS\": {\"authorizationType\": \"NONE\"",
            "\"OPTIONS\": {\"authorizationType\": \"NONE\", \"apiKeyRequired\": true",
        );
        let Some((response, _)) = api(&text).answer_itself(&preflight("/prod/orders"), 1) else {
            panic!("API Gateway answers");
        };
        assert_eq!(response.status, 403);
        assert_eq!(response.body, "{\"message\":\"Forbidden\"}");
    }

    #[test]
    fn r11_a_configured_default_4xx_puts_cors_on_the_authorizers_401() {
        let get = request_to(
            &format!("{URL}/prod/orders"),
            "GET",
            &[("Origin", "https://app.example")],
        );
        let Some((bare, _)) = api(CONSOLE).answer_itself(&get, 1) else {
            panic!("the authorizer refuses");
        };
        assert_eq!(bare.status, 401);
        assert!(bare.header("Access-Control-Allow-Origin").is_none());
        let text = format!(
            "{}, \"gatewayResponses\": [{{\"responseType\": \"DEFAULT_4XX\", \"responseParameters\": {{\"gatewayresponse.header.Access-Control-Allow-Origin\": \"method.request.header.origin\"}}}}]}}",
            &CONSOLE[..CONSOLE.len() - 1]
        );
        let Some((dressed, note)) = api(&text).answer_itself(&get, 1) else {
            panic!("the authorizer refuses");
        };
        assert_eq!(dressed.status, 401);
        assert_eq!(
            dressed.header("Access-Control-Allow-Origin").as_deref(),
            Some("https://app.example")
        );
        assert!(matches!(
            note,
            Note::Gateway {
                configured: Some(ResponseType::Default4xx),
                cors: true,
                ..
            }
        ));
    }

    #[test]
    fn r12_an_unquoted_literal_is_refused_with_awss_message() {
        let text = CONSOLE.replace("\"'*'\"", "\"*\"");
        let raw: RawRestApi = serde_json::from_str(&text).unwrap_or_default();
        let Err(refusals) = raw.validate(None) else {
            panic!("refused");
        };
        assert!(
            refusals[0]
                .1
                .contains("Invalid mapping expression specified: *]"),
            "{refusals:?}"
        );
    }

    #[test]
    fn an_integration_response_cannot_map_the_requests_origin_but_a_gateway_response_can() {
        let text = CONSOLE.replace("\"'*'\"", "\"method.request.header.origin\"");
        let raw: RawRestApi = serde_json::from_str(&text).unwrap_or_default();
        let Err(refusals) = raw.validate(None) else {
            panic!("an integration response maps from the integration's answer, not the request");
        };
        assert!(
            refusals[0]
                .1
                .contains("the request's own headers are not a source here"),
            "{refusals:?}"
        );
        assert_eq!(
            Mapping::parse("method.request.header.origin", true),
            Ok(Mapping::RequestHeader("origin".to_string()))
        );
        assert_eq!(
            Mapping::parse("stageVariables.allowedOrigin", false),
            Ok(Mapping::NotEvaluated(
                "stageVariables.allowedOrigin".to_string()
            ))
        );
    }

    #[test]
    fn a_proxy_passes_the_backends_answer_through_and_a_mapped_one_keeps_only_mappings() {
        let mut get = request_to(
            &format!("{URL}/prod/orders"),
            "GET",
            &[("Origin", "https://app.example")],
        );
        get.headers
            .push(("Authorization".into(), "Bearer token".into()));
        let api = api(CONSOLE);
        assert!(api.answer_itself(&get, 1).is_none());
        let mut answer = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())].into(),
            body: String::new(),
        };
        let note = api.pass_up(&get, &mut answer, 1);
        assert_eq!(answer.headers.len(), 1);
        assert!(matches!(note, Note::Proxied { .. }));
    }

    #[test]
    fn the_most_specific_resource_wins_and_the_stage_comes_first() {
        let text = r#"{"resources": [
            {"path": "/{proxy+}", "resourceMethods": {"ANY": {"methodIntegration": {"type": "AWS_PROXY"}}}},
            {"path": "/orders/{id}", "resourceMethods": {"GET": {"methodIntegration": {"type": "AWS_PROXY"}}}},
            {"path": "/orders/new", "resourceMethods": {"GET": {"methodIntegration": {"type": "AWS_PROXY"}}}}]}"#;
        let api = api(text);
        let at = |path: &str| {
            api.route(&request_to(&format!("{URL}{path}"), "GET", &[]))
                .map(|(r, _)| r.path.clone())
        };
        assert_eq!(at("/prod/orders/new").as_deref(), Some("/orders/new"));
        assert_eq!(at("/prod/orders/7").as_deref(), Some("/orders/{id}"));
        assert_eq!(at("/prod/a/b").as_deref(), Some("/{proxy+}"));
        assert_eq!(at("/orders/7"), None);
    }
}
