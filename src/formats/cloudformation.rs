//! CloudFormation and SAM templates, JSON or YAML, read for the CORS they deploy: each API or
//! function URL in the template becomes the layer it puts in front of a function, judged by
//! that layer's own validation. What is read:
//! - `AWS::ApiGatewayV2::Api` (HTTP), its `AWS::ApiGatewayV2::Route`s and `Stage`;
//! - `AWS::Serverless::HttpApi` and the `HttpApi` events of `AWS::Serverless::Function`s (the
//!   implicit `ServerlessHttpApi` when an event names no API);
//! - `AWS::Serverless::Api` with its `Cors`, `Auth` and `GatewayResponses`, and the `Api`
//!   events of functions (the implicit `ServerlessRestApi`): the MOCK OPTIONS method SAM
//!   generates per path, with the default authorizer and API key SAM puts on it unless told not
//!   to (`shared/reference/aws-cors-surfaces.md` §2.3, generated);
//! - `AWS::ApiGateway::RestApi` with its `Resource`s, `Method`s and `GatewayResponse`s, as CDK
//!   synthesises them;
//! - `AWS::Lambda::Url` and a function's `FunctionUrlConfig`.
//!
//! Intrinsic functions are evaluated only where the template says the value: `Ref` to a
//! parameter with a `Default`, `Fn::Sub` over such parameters, `Fn::Join`. Anything else is an
//! error at its place, since a guessed value would be simulated as if it were deployed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::yaml;
use crate::scenario::validate::{JsonPath, Problem};
use crate::scenario::{LoadError, LoadErrors, locate_problems};
use crate::server::FrontLayer;
use crate::server::aws_cors::RawCors;
use crate::server::rest_api::{
    PathPart, RawGatewayResponse, RawIntegration, RawIntegrationResponse, RawMethod, RawResource,
    RawRestApi,
};
use crate::server::{function_url, http_api};

/// One layer the template deploys in front of a function.
pub struct Stack {
    /// The resource's logical ID (`ServerlessRestApi` for SAM's implicit API).
    pub id: String,
    /// Its resource type.
    pub kind: &'static str,
    pub layer: FrontLayer,
    /// What was read with less than full evidence, or left unread.
    pub notes: Vec<String>,
}

/// A template's stacks.
pub struct Template {
    /// What kind of document it is, e.g. "CloudFormation template".
    pub source: &'static str,
    pub yaml: bool,
    pub stacks: Vec<Stack>,
    /// The buckets it deploys with a `CorsConfiguration`: (logical ID, rules).
    pub buckets: Vec<(String, crate::scenario::CorsConfiguration)>,
    /// CloudFront policies given alone (a `get-…-policy` answer), for a distribution's layer.
    pub policies: Vec<crate::server::cloudfront::Policy>,
}

impl Template {
    /// How the file is spelled, for a report's first line.
    pub fn describe(&self) -> String {
        let ids: Vec<String> = self
            .stacks
            .iter()
            .map(|s| format!("{} {}", s.kind, s.id))
            .chain(
                self.buckets
                    .iter()
                    .map(|(id, _)| format!("AWS::S3::Bucket {id}")),
            )
            .chain(self.policies.iter().map(|p| p.describe()))
            .collect();
        format!(
            "{} ({}): {}",
            self.source,
            if self.yaml { "YAML" } else { "JSON" },
            if ids.is_empty() {
                "no API, function URL, distribution or bucket CORS".to_string()
            } else {
                ids.join(", ")
            }
        )
    }
}

impl Template {
    /// Puts the template's layers in place of the scenario's layers of the same kinds: each
    /// of the scenario's layers takes the one stack of its kind (several are an error, since
    /// the template does not say which one the scenario's requests reach).
    pub fn apply_to(self, server: &mut crate::scenario::Server) -> Result<(), String> {
        let mut replaced = 0;
        for layer in &mut server.front {
            let same: Vec<&Stack> = self
                .stacks
                .iter()
                .filter(|s| s.layer.name() == layer.name())
                .collect();
            match same.as_slice() {
                [] => continue,
                [stack] => {
                    let mut new = stack.layer.clone();
                    match (&mut new, &*layer) {
                        (FrontLayer::RestApi(api), FrontLayer::RestApi(own))
                            if api.stage.is_none() =>
                        {
                            api.stage.clone_from(&own.stage);
                        }
                        (
                            FrontLayer::HttpApi { stage, .. },
                            FrontLayer::HttpApi { stage: own, .. },
                        ) if stage.is_none() => {
                            stage.clone_from(own);
                        }
                        _ => {}
                    }
                    *layer = new;
                    replaced += 1;
                }
                several => {
                    let ids: Vec<&str> = several.iter().map(|s| s.id.as_str()).collect();
                    return Err(format!(
                        "the template deploys several \"{}\" layers ({}); --config needs a template with one",
                        layer.name(),
                        ids.join(", ")
                    ));
                }
            }
        }
        // A policy goes into the scenario's CloudFront layer, in place of the one it names.
        for policy in &self.policies {
            let mut placed = false;
            for layer in &mut server.front {
                if let FrontLayer::CloudFront(cloudfront) = layer {
                    cloudfront.put(policy.clone());
                    placed = true;
                }
            }
            if placed {
                replaced += 1;
            }
        }
        // A bucket's rules go to the scenario's S3 bucket, when the template deploys one.
        if let crate::scenario::ServerKind::Bucket {
            provider: crate::scenario::Provider::S3,
            cors,
        } = &mut server.kind
        {
            match self.buckets.as_slice() {
                [] => {}
                [(_, rules)] => {
                    *cors = Some(rules.clone());
                    replaced += 1;
                }
                several => {
                    let ids: Vec<&str> = several.iter().map(|(id, _)| id.as_str()).collect();
                    return Err(format!(
                        "the template deploys several buckets with CORS rules ({}); --config needs a template with one",
                        ids.join(", ")
                    ));
                }
            }
        }
        if replaced == 0 {
            let kinds: Vec<&str> = server.front.iter().map(FrontLayer::name).collect();
            return Err(format!(
                "--config with {} replaces layers of the same kind, and this scenario's server has {}",
                self.describe(),
                if kinds.is_empty() {
                    "no layer in front".to_string()
                } else {
                    kinds.join(", ")
                }
            ));
        }
        Ok(())
    }
}

/// The resource types that deploy a layer cors-tui reads.
const LAYER_TYPES: [&str; 6] = [
    "AWS::CloudFront::Distribution",
    "AWS::ApiGatewayV2::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::Api",
    "AWS::ApiGateway::RestApi",
    "AWS::Lambda::Url",
];

/// Whether `value` is a template that deploys an API, a function URL, a distribution or a
/// bucket with CORS rules.
fn is_template(value: &Value) -> bool {
    let deploys_layer = |resource: &Value| {
        let kind = resource.get("Type").and_then(Value::as_str);
        if kind.is_some_and(|k| LAYER_TYPES.contains(&k)) {
            return true;
        }
        if kind == Some("AWS::S3::Bucket")
            && resource
                .get("Properties")
                .and_then(|p| p.get("CorsConfiguration"))
                .is_some()
        {
            return true;
        }
        let props = resource.get("Properties");
        kind == Some("AWS::Serverless::Function")
            && (props.and_then(|p| p.get("FunctionUrlConfig")).is_some()
                || props
                    .and_then(|p| p.get("Events"))
                    .and_then(Value::as_object)
                    .is_some_and(|events| {
                        events.values().any(|e| {
                            matches!(
                                e.get("Type").and_then(Value::as_str),
                                Some("Api" | "HttpApi")
                            )
                        })
                    }))
    };
    value.get("server").is_none()
        && value
            .get("Resources")
            .and_then(Value::as_object)
            .is_some_and(|resources| resources.values().any(deploys_layer))
}

/// Reads `text` as a template, or says where it is wrong; None when it is no template.
pub fn load(text: &str, file: &str) -> Option<Result<Template, LoadErrors>> {
    let looks_like = text.contains("Resources:")
        && (text.contains("AWS::") || text.contains("AWSTemplateFormatVersion"));
    load_document(text, file, looks_like, is_template, read).or_else(|| {
        // A template all the same: say what it holds, rather than let another reader fail on
        // its first byte.
        looks_like
            .then(|| load_document(text, file, looks_like, has_resources, nothing_to_simulate))
            .flatten()
    })
}

/// Whether `value` is a template by its shape: a `Resources` object (and not a scenario).
fn has_resources(value: &Value) -> bool {
    value.get("server").is_none() && value.get("Resources").is_some_and(Value::is_object)
}

/// A template none of whose resources deploys what cors-tui simulates: what it holds instead,
/// and for a bucket without rules, what S3 then does.
fn nothing_to_simulate(value: &Value, _yaml: bool) -> Result<Template, Vec<Problem>> {
    let resources = value.get("Resources").and_then(Value::as_object);
    let mut kinds: Vec<&str> = resources
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter_map(|resource| resource.get("Type").and_then(Value::as_str))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let held = match kinds.as_slice() {
        [] => "no resource with a Type".to_string(),
        kinds => kinds.join(", "),
    };
    let mut message = format!(
        "no resource here deploys what cors-tui simulates (an S3 bucket with CorsConfiguration, an API Gateway REST or HTTP API, a Lambda function URL, a CloudFront distribution); it holds {held}"
    );
    if let Some(bucket) = resources.and_then(|resources| {
        resources.iter().find_map(|(id, resource)| {
            (resource.get("Type").and_then(Value::as_str) == Some("AWS::S3::Bucket")).then_some(id)
        })
    }) {
        message.push_str(&format!(
            ". {bucket} has no CorsConfiguration: S3 then refuses every preflight (403 \"CORS is not enabled for this bucket\") and sends no CORS header on any answer"
        ));
    }
    Err(vec![Problem {
        path: JsonPath::default().key("Resources"),
        message,
    }])
}

/// Reads `text` as JSON, else as YAML, and `read`s it when `claims` says it is the document
/// `read` takes, placing its problems at their line and column; a YAML syntax error is
/// reported only when the text `looks_like` such a document.
pub(super) fn load_document<T>(
    text: &str,
    file: &str,
    looks_like: bool,
    claims: fn(&Value) -> bool,
    read: fn(&Value, bool) -> Result<T, Vec<Problem>>,
) -> Option<Result<T, LoadErrors>> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return claims(&value).then(|| {
            read(&value, false)
                .map_err(|problems| LoadErrors(locate_problems(text, file, problems)))
        });
    }
    match yaml::read(text) {
        Ok(document) => claims(&document.value).then(|| {
            read(&document.value, true).map_err(|problems| {
                LoadErrors(
                    problems
                        .into_iter()
                        .map(|p| {
                            let (line, column) = document.place(&p.path);
                            LoadError {
                                file: file.to_string(),
                                line,
                                column,
                                key: p.path.to_string(),
                                message: p.message,
                            }
                        })
                        .collect(),
                )
            })
        }),
        Err((line, column, message)) if looks_like => Some(Err(LoadErrors(vec![LoadError {
            file: file.to_string(),
            line,
            column,
            key: String::new(),
            message: format!("not valid YAML: {message}"),
        }]))),
        Err(_) => None,
    }
}

/// The parameters' defaults, for `Ref` and `Fn::Sub`.
pub(super) struct Scope<'a> {
    parameters: BTreeMap<&'a str, String>,
    resources: &'a Map<String, Value>,
}

impl Scope<'_> {
    /// A value the template states, evaluated where it can be.
    fn text(&self, value: &Value, at: &JsonPath) -> Result<String, Problem> {
        let unevaluated = |what: &str| Problem {
            path: at.clone(),
            message: format!(
                "{what}: cors-tui cannot know what it evaluates to when deployed; write the value itself (a parameter's Default is used when it has one)"
            ),
        };
        match value {
            Value::String(text) => Ok(text.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Object(map) if map.len() == 1 => {
                let (function, argument) = map.iter().next().ok_or_else(|| unevaluated("{}"))?;
                match (function.as_str(), argument) {
                    ("Ref", Value::String(name)) => self
                        .parameters
                        .get(name.as_str())
                        .cloned()
                        .ok_or_else(|| unevaluated(&format!("Ref {name}"))),
                    ("Fn::Sub", Value::String(template)) => {
                        let mut out = String::new();
                        let mut rest = template.as_str();
                        while let Some(start) = rest.find("${") {
                            out.push_str(&rest[..start]);
                            let after = &rest[start + 2..];
                            let end = after
                                .find('}')
                                .ok_or_else(|| unevaluated(&format!("Fn::Sub {template}")))?;
                            let name = &after[..end];
                            let value = self
                                .parameters
                                .get(name)
                                .ok_or_else(|| unevaluated(&format!("Fn::Sub ${{{name}}}")))?;
                            out.push_str(value);
                            rest = &after[end + 1..];
                        }
                        out.push_str(rest);
                        Ok(out)
                    }
                    ("Fn::Join", Value::Array(parts)) => match parts.as_slice() {
                        [Value::String(separator), Value::Array(items)] => {
                            let items = items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| {
                                    self.text(item, &at.key("Fn::Join").index(1).index(i))
                                })
                                .collect::<Result<Vec<_>, _>>()?;
                            Ok(items.join(separator))
                        }
                        _ => Err(unevaluated("Fn::Join")),
                    },
                    (function, _) => Err(unevaluated(function)),
                }
            }
            _ => Err(unevaluated("this value")),
        }
    }

    /// `value` with every intrinsic function evaluated, or the first that cannot be.
    fn evaluated(&self, value: &Value, at: &JsonPath) -> Result<Value, Problem> {
        match value {
            Value::Object(map) if map.len() == 1 && is_intrinsic(map) => {
                self.text(value, at).map(Value::String)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    out.insert(key.clone(), self.evaluated(item, &at.key(key))?);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.evaluated(item, &at.index(i)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// The custom CloudFront policies of `kind`: logical ID, `Properties` evaluated (as far
    /// as they can be; what cannot is left for the policy's reader to refuse), and place.
    fn policies(&self, kind: &str) -> Vec<(String, Value, JsonPath)> {
        self.of_type(kind)
            .map(|(id, resource)| {
                let at = resource_path(id).key("Properties");
                let props = Value::Object(properties(resource).clone());
                let evaluated = self.evaluated(&props, &at).unwrap_or(props);
                (id.clone(), evaluated, at)
            })
            .collect()
    }

    /// A `DistributionConfig` with its default cache behavior's CORS-relevant values
    /// evaluated; the policy IDs keep their references, which name the template's policies.
    fn evaluated_behavior(&self, config: &Value, at: &JsonPath) -> Result<Value, Vec<Problem>> {
        let mut config = config.clone();
        let behavior_at = at.key("DefaultCacheBehavior");
        if let Some(Value::Object(behavior)) = config.get_mut("DefaultCacheBehavior") {
            for key in [
                "AllowedMethods",
                "CachedMethods",
                "ForwardedValues",
                "MinTTL",
                "DefaultTTL",
                "MaxTTL",
            ] {
                if let Some(value) = behavior.get(key) {
                    let evaluated = self
                        .evaluated(value, &behavior_at.key(key))
                        .map_err(|p| vec![p])?;
                    behavior.insert(key.to_string(), evaluated);
                }
            }
            for key in [
                "CachePolicyId",
                "OriginRequestPolicyId",
                "ResponseHeadersPolicyId",
            ] {
                // A managed policy's ID may come from a parameter; a reference to a policy
                // resource stays a reference.
                if let Some(value @ Value::Object(map)) = behavior.get(key)
                    && map.contains_key("Ref")
                    && let Ok(text) = self.text(value, &behavior_at.key(key))
                {
                    behavior.insert(key.to_string(), Value::String(text));
                }
            }
        }
        Ok(config)
    }

    fn of_type<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = (&'s String, &'s Value)> + 's {
        self.resources
            .iter()
            .filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
    }
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.keys()
        .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

/// The logical ID a reference points at: `Ref X`, `Fn::GetAtt [X, …]` or a plain `X`.
pub(super) fn target(value: &Value) -> Option<&str> {
    match value {
        Value::String(id) => Some(id),
        Value::Object(map) => match (map.get("Ref"), map.get("Fn::GetAtt")) {
            (Some(Value::String(id)), _) => Some(id),
            (_, Some(Value::Array(parts))) => parts.first().and_then(Value::as_str),
            (_, Some(Value::String(dotted))) => dotted.split('.').next(),
            _ => None,
        },
        _ => None,
    }
}

fn properties(resource: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    resource
        .get("Properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

pub(super) fn resource_path(id: &str) -> JsonPath {
    JsonPath::default().key("Resources").key(id)
}

/// How a document spells an integration's keys: CloudFormation's `Integration` or OpenAPI's
/// `x-amazon-apigateway-integration`.
pub(super) struct IntegrationKeys {
    pub kind: &'static str,
    pub request_templates: &'static str,
    pub http_method: &'static str,
    pub status: &'static str,
    pub selection_pattern: &'static str,
    pub parameters: &'static str,
    pub templates: &'static str,
}

pub(super) const CLOUDFORMATION_KEYS: IntegrationKeys = IntegrationKeys {
    kind: "Type",
    request_templates: "RequestTemplates",
    http_method: "IntegrationHttpMethod",
    status: "StatusCode",
    selection_pattern: "SelectionPattern",
    parameters: "ResponseParameters",
    templates: "ResponseTemplates",
};

/// The string values of an object, e.g. a mapping's parameters.
pub(super) fn strings(value: Option<&Value>) -> Option<BTreeMap<String, String>> {
    value.and_then(Value::as_object).map(|map| {
        map.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    })
}

/// An integration response; `pattern` is its selection pattern when the document keys
/// responses by it (OpenAPI), else it is read from the response.
pub(super) fn integration_response(
    r: &Value,
    keys: &IntegrationKeys,
    pattern: Option<String>,
) -> RawIntegrationResponse {
    let status = r.get(keys.status).map_or_else(
        || "200".to_string(),
        |s| s.as_str().map_or(s.to_string(), str::to_string),
    );
    RawIntegrationResponse {
        status_code: Some(status),
        selection_pattern: pattern.or_else(|| {
            r.get(keys.selection_pattern)
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        response_parameters: strings(r.get(keys.parameters)),
        response_templates: r.get(keys.templates).cloned(),
        content_handling: None,
    }
}

/// Resources by path, each with its methods, as `get-resources` would list them.
pub(super) fn resources_of(
    paths: BTreeMap<String, BTreeMap<String, RawMethod>>,
) -> Vec<RawResource> {
    paths
        .into_iter()
        .map(|(path, methods)| RawResource {
            id: None,
            parent_id: None,
            path_part: None,
            path,
            methods,
        })
        .collect()
}

/// Where a document wrote each method (by path and verb) and each gateway response (in the
/// order read), so that a REST API's refusal is placed there.
#[derive(Default)]
pub(super) struct Written {
    pub methods: BTreeMap<(String, String), JsonPath>,
    pub responses: Vec<JsonPath>,
}

impl Written {
    /// The place of the refusal at `parts`, for an API whose resources are `paths` in order;
    /// a refusal inside a method's integration is placed at `integration` below the method.
    pub(super) fn place(
        &self,
        paths: &[String],
        parts: &[PathPart],
        integration: &str,
    ) -> Option<JsonPath> {
        match parts {
            [
                PathPart::Key(list),
                PathPart::Index(i),
                PathPart::Key(_),
                PathPart::Key(verb),
                rest @ ..,
            ] if list == "resources" => paths.get(*i).and_then(|path| {
                let at = self.methods.get(&(path.clone(), verb.clone()))?;
                Some(if rest.is_empty() {
                    at.clone()
                } else {
                    at.key(integration)
                })
            }),
            [PathPart::Key(list), PathPart::Index(i), ..] if list == "gatewayResponses" => {
                self.responses.get(*i).cloned()
            }
            _ => None,
        }
    }
}

/// An integration with its responses already read.
pub(super) fn integration(
    i: &Value,
    keys: &IntegrationKeys,
    responses: Option<BTreeMap<String, RawIntegrationResponse>>,
) -> RawIntegration {
    RawIntegration {
        kind: i
            .get(keys.kind)
            .and_then(Value::as_str)
            .unwrap_or("MOCK")
            .to_ascii_uppercase(),
        request_templates: strings(i.get(keys.request_templates)),
        integration_responses: responses,
        http_method: i
            .get(keys.http_method)
            .and_then(Value::as_str)
            .map(str::to_string),
        ..RawIntegration::default()
    }
}

fn read(template: &Value, yaml: bool) -> Result<Template, Vec<Problem>> {
    let empty = Map::new();
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let parameters = template
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|parameters| {
            parameters
                .iter()
                .filter_map(|(name, p)| {
                    let default = match p.get("Default")? {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((name.as_str(), default))
                })
                .collect()
        })
        .unwrap_or_default();
    let scope = Scope {
        parameters,
        resources,
    };
    let mut problems = Vec::new();
    let mut stacks = Vec::new();
    let mut collect = |result: Result<Stack, Vec<Problem>>| match result {
        Ok(stack) => stacks.push(stack),
        Err(mut found) => problems.append(&mut found),
    };
    for (id, resource) in scope.of_type("AWS::ApiGatewayV2::Api") {
        let protocol = properties(resource)
            .get("ProtocolType")
            .and_then(Value::as_str);
        if protocol == Some("HTTP") {
            collect(http_api_stack(&scope, id, resource));
        }
    }
    let events = function_events(&scope);
    let mut http_apis: Vec<(String, Option<&Value>)> = scope
        .of_type("AWS::Serverless::HttpApi")
        .map(|(id, r)| (id.clone(), Some(r)))
        .collect();
    if events
        .iter()
        .any(|e| e.kind == "HttpApi" && e.api.is_none())
    {
        http_apis.push(("ServerlessHttpApi".to_string(), None));
    }
    for (id, resource) in http_apis {
        collect(sam_http_api_stack(&scope, &id, resource, &events));
    }
    let mut rest_apis: Vec<(String, Option<&Value>)> = scope
        .of_type("AWS::Serverless::Api")
        .map(|(id, r)| (id.clone(), Some(r)))
        .collect();
    if events.iter().any(|e| e.kind == "Api" && e.api.is_none()) {
        rest_apis.push(("ServerlessRestApi".to_string(), None));
    }
    for (id, resource) in rest_apis {
        collect(sam_rest_api_stack(&scope, &id, resource, &events));
    }
    for (id, _) in scope.of_type("AWS::ApiGateway::RestApi") {
        collect(rest_api_stack(&scope, id));
    }
    for (id, resource) in scope.of_type("AWS::Lambda::Url") {
        let at = resource_path(id).key("Properties").key("Cors");
        collect(
            function_url_stack(&scope, properties(resource).get("Cors"), &at).map(|layer| Stack {
                id: id.clone(),
                kind: "AWS::Lambda::Url",
                layer,
                notes: Vec::new(),
            }),
        );
    }
    for (id, resource) in scope.of_type("AWS::Serverless::Function") {
        if let Some(config) = properties(resource).get("FunctionUrlConfig") {
            let at = resource_path(id)
                .key("Properties")
                .key("FunctionUrlConfig")
                .key("Cors");
            collect(
                function_url_stack(&scope, config.get("Cors"), &at).map(|layer| Stack {
                    id: format!("{id}Url"),
                    kind: "AWS::Lambda::Url",
                    layer,
                    notes: vec![format!("the function URL SAM creates for {id}")],
                }),
            );
        }
    }
    let policies = super::cloudfront::Policies {
        cache: scope.policies("AWS::CloudFront::CachePolicy"),
        origin_request: scope.policies("AWS::CloudFront::OriginRequestPolicy"),
        response_headers: scope.policies("AWS::CloudFront::ResponseHeadersPolicy"),
    };
    for (id, resource) in scope.of_type("AWS::CloudFront::Distribution") {
        let at = resource_path(id)
            .key("Properties")
            .key("DistributionConfig");
        let read = properties(resource)
            .get("DistributionConfig")
            .ok_or_else(|| {
                vec![Problem {
                    path: resource_path(id).key("Properties"),
                    message: "a distribution needs its DistributionConfig".to_string(),
                }]
            })
            .and_then(|config| {
                let evaluated = scope.evaluated_behavior(config, &at)?;
                super::cloudfront::behavior_layer(&evaluated, &at, &policies)
            });
        collect(read.map(|(layer, notes)| Stack {
            id: id.clone(),
            kind: "AWS::CloudFront::Distribution",
            layer,
            notes,
        }));
    }
    let mut buckets = Vec::new();
    for (id, resource) in scope.of_type("AWS::S3::Bucket") {
        let Some(cors) = properties(resource).get("CorsConfiguration") else {
            continue;
        };
        let at = resource_path(id).key("Properties").key("CorsConfiguration");
        match scope
            .evaluated(cors, &at)
            .map_err(|p| vec![p])
            .and_then(|cors| super::s3::template_bucket_rules(&cors, &at))
        {
            Ok(rules) => buckets.push((id.clone(), rules)),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(Template {
            source: "CloudFormation template",
            yaml,
            stacks,
            buckets,
            policies: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

/// A `Cors` object in AWS's spelling, evaluated and deserialized, errors at their place.
pub(super) fn raw_cors(
    scope: &Scope,
    value: &Value,
    at: &JsonPath,
) -> Result<RawCors, Vec<Problem>> {
    let evaluated = scope.evaluated(value, at).map_err(|p| vec![p])?;
    crate::scenario::validate::deserialize_at::<RawCors>(evaluated, at).map_err(|p| vec![p])
}

pub(super) fn placed(at: &JsonPath, refusals: Vec<crate::server::Refusal>) -> Vec<Problem> {
    refusals
        .into_iter()
        .map(|(key, index, message)| {
            let path = at.key(key);
            Problem {
                path: index.map_or(path.clone(), |i| path.index(i)),
                message,
            }
        })
        .collect()
}

fn function_url_stack(
    scope: &Scope,
    cors: Option<&Value>,
    at: &JsonPath,
) -> Result<FrontLayer, Vec<Problem>> {
    let Some(cors) = cors else {
        return Ok(FrontLayer::FunctionUrl { cors: None });
    };
    let raw = raw_cors(scope, cors, at)?;
    function_url::validate(raw)
        .map(|cors| FrontLayer::FunctionUrl { cors: Some(cors) })
        .map_err(|refusals| placed(at, refusals))
}

fn http_api_stack(scope: &Scope, id: &str, resource: &Value) -> Result<Stack, Vec<Problem>> {
    let props = properties(resource);
    let at = resource_path(id).key("Properties");
    let mut problems = Vec::new();
    let cors = match props.get("CorsConfiguration") {
        None => None,
        Some(value) => {
            let at = at.key("CorsConfiguration");
            match raw_cors(scope, value, &at)
                .and_then(|raw| http_api::validate(raw).map_err(|r| placed(&at, r)))
            {
                Ok(cors) => Some(cors),
                Err(mut found) => {
                    problems.append(&mut found);
                    None
                }
            }
        }
    };
    let mut routes = Vec::new();
    if props.contains_key("Target") {
        // Quick create: one `$default` route to the target.
        routes.push(http_api::Route::default_route());
    }
    for (route_id, route) in scope.of_type("AWS::ApiGatewayV2::Route") {
        let route_props = properties(route);
        if route_props.get("ApiId").and_then(target) != Some(id) {
            continue;
        }
        let route_at = resource_path(route_id).key("Properties");
        let key = match route_props
            .get("RouteKey")
            .map(|k| scope.text(k, &route_at.key("RouteKey")))
        {
            Some(Ok(key)) => key,
            Some(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            None => continue,
        };
        let authorization = route_props.get("AuthorizationType").and_then(Value::as_str);
        match http_api::RawRoute::new(&key, authorization).validate() {
            Ok(route) => routes.push(route),
            Err(refusals) => problems.extend(refusals.into_iter().map(|(key, message)| Problem {
                path: route_at.key(&key),
                message,
            })),
        }
    }
    if routes.is_empty() {
        routes.push(http_api::Route::default_route());
    }
    let stage = scope
        .of_type("AWS::ApiGatewayV2::Stage")
        .filter(|(_, s)| properties(s).get("ApiId").and_then(target) == Some(id))
        .filter_map(|(sid, s)| {
            let at = resource_path(sid).key("Properties").key("StageName");
            scope.text(properties(s).get("StageName")?, &at).ok()
        })
        .find(|name| name != "$default");
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Stack {
        id: id.to_string(),
        kind: "AWS::ApiGatewayV2::Api",
        layer: FrontLayer::HttpApi {
            cors,
            routes,
            stage,
        },
        notes: Vec::new(),
    })
}

/// A function's `Api` or `HttpApi` event.
struct Event {
    kind: String,
    /// The API it names (`RestApiId` / `ApiId`); None: SAM's implicit API.
    api: Option<String>,
    path: Option<String>,
    method: Option<String>,
    /// `Auth.Authorizer` of the event, e.g. `NONE`.
    authorizer: Option<String>,
    api_key_required: Option<bool>,
}

fn function_events(scope: &Scope) -> Vec<Event> {
    let mut events = Vec::new();
    for (_, function) in scope.of_type("AWS::Serverless::Function") {
        let Some(list) = properties(function)
            .get("Events")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for event in list.values() {
            let Some(kind) = event.get("Type").and_then(Value::as_str) else {
                continue;
            };
            if kind != "Api" && kind != "HttpApi" {
                continue;
            }
            let props = event.get("Properties");
            let get = |key: &str| props.and_then(|p| p.get(key));
            let auth = get("Auth");
            events.push(Event {
                kind: kind.to_string(),
                api: get("RestApiId")
                    .or_else(|| get("ApiId"))
                    .and_then(target)
                    .map(str::to_string),
                path: get("Path").and_then(Value::as_str).map(str::to_string),
                method: get("Method")
                    .and_then(Value::as_str)
                    .map(|m| m.to_ascii_uppercase()),
                authorizer: auth
                    .and_then(|a| a.get("Authorizer"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                api_key_required: auth
                    .and_then(|a| a.get("ApiKeyRequired"))
                    .and_then(Value::as_bool),
            });
        }
    }
    events
}

fn events_of<'e>(events: &'e [Event], kind: &str, id: &str, implicit: bool) -> Vec<&'e Event> {
    events
        .iter()
        .filter(|e| e.kind == kind)
        .filter(|e| match &e.api {
            Some(api) => api == id,
            None => implicit,
        })
        .collect()
}

fn sam_http_api_stack(
    scope: &Scope,
    id: &str,
    resource: Option<&Value>,
    events: &[Event],
) -> Result<Stack, Vec<Problem>> {
    let props = resource.map(properties);
    let at = resource_path(id).key("Properties");
    let mut notes = Vec::new();
    let cors = match props.and_then(|p| p.get("CorsConfiguration")) {
        None | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => {
            notes.push(
                "CorsConfiguration: true is read as AllowOrigins [\"*\"] (inferred)".to_string(),
            );
            Some(http_api::Cors {
                allow_origins: vec!["*".to_string()],
                ..http_api::Cors::default()
            })
        }
        Some(value) => {
            let at = at.key("CorsConfiguration");
            Some(
                raw_cors(scope, value, &at)
                    .and_then(|raw| http_api::validate(raw).map_err(|r| placed(&at, r)))?,
            )
        }
    };
    let auth = props.and_then(|p| p.get("Auth"));
    let default_authorizer = auth
        .and_then(|a| a.get("DefaultAuthorizer"))
        .and_then(Value::as_str);
    let authorization_of = |name: &str| -> &'static str {
        let definition = auth
            .and_then(|a| a.get("Authorizers"))
            .and_then(|a| a.get(name));
        if definition.is_some_and(|d| d.get("JwtConfiguration").is_some()) {
            "JWT"
        } else if name == "AWS_IAM" {
            "AWS_IAM"
        } else {
            "CUSTOM"
        }
    };
    let mut routes = Vec::new();
    for event in events_of(
        events,
        "HttpApi",
        id,
        resource.is_none() || id == "ServerlessHttpApi",
    ) {
        let key = match (&event.method, &event.path) {
            (Some(method), Some(path)) => {
                let method = if method == "ANY" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
                    "ANY"
                } else {
                    method
                };
                format!("{method} {path}")
            }
            _ => "$default".to_string(),
        };
        let authorizer = match event.authorizer.as_deref() {
            Some("NONE") => None,
            Some(name) => Some(name),
            None => default_authorizer,
        };
        match http_api::RawRoute::new(&key, authorizer.map(authorization_of)).validate() {
            Ok(route) => routes.push(route),
            Err(refusals) => {
                return Err(refusals
                    .into_iter()
                    .map(|(_, message)| Problem {
                        path: at.clone(),
                        message,
                    })
                    .collect());
            }
        }
    }
    if routes.is_empty() {
        routes.push(http_api::Route::default_route());
    }
    let stage = props
        .and_then(|p| p.get("StageName"))
        .and_then(Value::as_str)
        .filter(|s| *s != "$default")
        .map(str::to_string);
    Ok(Stack {
        id: id.to_string(),
        kind: "AWS::Serverless::HttpApi",
        layer: FrontLayer::HttpApi {
            cors,
            routes,
            stage,
        },
        notes,
    })
}

/// SAM's `Cors` for a REST API: a string (`AllowOrigin`) or the object; values are mapping
/// expressions as written (`"'*'"`).
struct SamCors {
    origin: String,
    headers: Option<String>,
    methods: Option<String>,
    max_age: Option<String>,
    credentials: bool,
}

fn sam_cors(scope: &Scope, value: &Value, at: &JsonPath) -> Result<SamCors, Vec<Problem>> {
    if let Value::Object(map) = value
        && !is_intrinsic(map)
    {
        let mut cors = SamCors {
            origin: "'*'".to_string(),
            headers: None,
            methods: None,
            max_age: None,
            credentials: false,
        };
        let mut problems = Vec::new();
        for (key, item) in map {
            let here = at.key(key);
            match key.as_str() {
                "AllowCredentials" => match item {
                    Value::Bool(b) => cors.credentials = *b,
                    _ => problems.push(Problem {
                        path: here,
                        message: "AllowCredentials is true or false".to_string(),
                    }),
                },
                "AllowOrigin" | "AllowHeaders" | "AllowMethods" | "MaxAge" => {
                    match scope.text(item, &here) {
                        Ok(text) => {
                            let slot = match key.as_str() {
                                "AllowOrigin" => {
                                    cors.origin = text;
                                    continue;
                                }
                                "AllowHeaders" => &mut cors.headers,
                                "AllowMethods" => &mut cors.methods,
                                _ => &mut cors.max_age,
                            };
                            *slot = Some(text);
                        }
                        Err(problem) => problems.push(problem),
                    }
                }
                other => problems.push(Problem {
                    path: here,
                    message: format!(
                        "unknown field `{other}`, expected AllowOrigin, AllowHeaders, AllowMethods, MaxAge or AllowCredentials"
                    ),
                }),
            }
        }
        if cors.credentials && cors.origin.trim_matches('\'') == "*" {
            problems.push(Problem {
                path: at.key("AllowCredentials"),
                message: "Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set (SAM's error)".to_string(),
            });
        }
        return if problems.is_empty() {
            Ok(cors)
        } else {
            Err(problems)
        };
    }
    Ok(SamCors {
        origin: scope.text(value, at).map_err(|p| vec![p])?,
        headers: None,
        methods: None,
        max_age: None,
        credentials: false,
    })
}

const ALL_METHODS: &str = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";

fn sam_rest_api_stack(
    scope: &Scope,
    id: &str,
    resource: Option<&Value>,
    events: &[Event],
) -> Result<Stack, Vec<Problem>> {
    let props = resource.map(properties);
    let at = resource_path(id).key("Properties");
    let mut notes = Vec::new();
    if props.is_some_and(|p| p.contains_key("DefinitionBody") || p.contains_key("DefinitionUri")) {
        notes.push("its DefinitionBody/DefinitionUri (an OpenAPI document) is not read: only the methods its functions' events add".to_string());
    }
    let cors = match props.and_then(|p| p.get("Cors")) {
        None => None,
        Some(value) => Some(sam_cors(scope, value, &at.key("Cors"))?),
    };
    let auth = props.and_then(|p| p.get("Auth"));
    let flag = |key: &str, default: bool| {
        auth.and_then(|a| a.get(key))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let default_authorizer = auth
        .and_then(|a| a.get("DefaultAuthorizer"))
        .and_then(Value::as_str);
    let authorization_of = |name: &str| -> &'static str {
        let definition = auth
            .and_then(|a| a.get("Authorizers"))
            .and_then(|a| a.get(name));
        if name == "AWS_IAM" {
            "AWS_IAM"
        } else if definition.is_some_and(|d| d.get("UserPoolArn").is_some()) {
            "COGNITO_USER_POOLS"
        } else {
            "CUSTOM"
        }
    };
    let api_key = flag("ApiKeyRequired", false);
    let mut paths: BTreeMap<String, BTreeMap<String, RawMethod>> = BTreeMap::new();
    let implicit = resource.is_none() || id == "ServerlessRestApi";
    for event in events_of(events, "Api", id, implicit) {
        let (Some(path), Some(method)) = (&event.path, &event.method) else {
            continue;
        };
        let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
            "ANY".to_string()
        } else {
            method.clone()
        };
        let authorizer = match event.authorizer.as_deref() {
            Some("NONE") => None,
            Some(name) => Some(name),
            None => default_authorizer,
        };
        paths.entry(path.clone()).or_default().insert(
            method.clone(),
            RawMethod {
                http_method: Some(method),
                authorization_type: Some(authorizer.map_or("NONE", authorization_of).to_string()),
                api_key_required: Some(event.api_key_required.unwrap_or(api_key)),
                method_integration: Some(RawIntegration {
                    kind: "AWS_PROXY".to_string(),
                    http_method: Some("POST".to_string()),
                    ..RawIntegration::default()
                }),
                ..RawMethod::default()
            },
        );
    }
    if let Some(cors) = &cors {
        // SAM's OPTIONS per path: the authorizer and the API key come along unless told not to.
        let options_authorizer =
            default_authorizer.filter(|_| flag("AddDefaultAuthorizerToCorsPreflight", true));
        let options_key = api_key && flag("AddApiKeyRequiredToCorsPreflight", true);
        if options_authorizer.is_some() || options_key {
            notes.push("SAM puts the default authorizer and the API key requirement on the OPTIONS methods it generates unless AddDefaultAuthorizerToCorsPreflight / AddApiKeyRequiredToCorsPreflight are false (generated)".to_string());
        }
        for methods in paths.values_mut() {
            if methods.contains_key("OPTIONS") {
                continue;
            }
            let allowed = cors.methods.clone().unwrap_or_else(|| {
                if methods.contains_key("ANY") {
                    format!("'{ALL_METHODS}'")
                } else {
                    let mut names: Vec<&str> = methods.keys().map(String::as_str).collect();
                    names.push("OPTIONS");
                    names.sort_unstable();
                    names.dedup();
                    format!("'{}'", names.join(","))
                }
            });
            let mut parameters = BTreeMap::from([
                (
                    "method.response.header.Access-Control-Allow-Origin".to_string(),
                    cors.origin.clone(),
                ),
                (
                    "method.response.header.Access-Control-Allow-Methods".to_string(),
                    allowed,
                ),
            ]);
            for (header, value) in [
                ("Access-Control-Allow-Headers", &cors.headers),
                ("Access-Control-Max-Age", &cors.max_age),
            ] {
                if let Some(value) = value {
                    parameters.insert(format!("method.response.header.{header}"), value.clone());
                }
            }
            if cors.credentials {
                parameters.insert(
                    "method.response.header.Access-Control-Allow-Credentials".to_string(),
                    "'true'".to_string(),
                );
            }
            methods.insert(
                "OPTIONS".to_string(),
                RawMethod {
                    http_method: Some("OPTIONS".to_string()),
                    authorization_type: Some(
                        options_authorizer
                            .map_or("NONE", authorization_of)
                            .to_string(),
                    ),
                    api_key_required: Some(options_key),
                    method_integration: Some(RawIntegration {
                        kind: "MOCK".to_string(),
                        request_templates: Some(BTreeMap::from([(
                            "application/json".to_string(),
                            "{\n  \"statusCode\" : 200\n}\n".to_string(),
                        )])),
                        integration_responses: Some(BTreeMap::from([(
                            "200".to_string(),
                            RawIntegrationResponse {
                                status_code: Some("200".to_string()),
                                response_parameters: Some(parameters),
                                ..RawIntegrationResponse::default()
                            },
                        )])),
                        ..RawIntegration::default()
                    }),
                    ..RawMethod::default()
                },
            );
        }
    }
    let mut gateway_responses = Vec::new();
    if let Some(Value::Object(responses)) = props.and_then(|p| p.get("GatewayResponses")) {
        for (kind, response) in responses {
            let here = at.key("GatewayResponses").key(kind);
            let headers = response
                .get("ResponseParameters")
                .and_then(|p| p.get("Headers"))
                .and_then(Value::as_object);
            let mut parameters = BTreeMap::new();
            for (name, value) in headers.into_iter().flatten() {
                let value = scope
                    .text(
                        value,
                        &here.key("ResponseParameters").key("Headers").key(name),
                    )
                    .map_err(|p| vec![p])?;
                parameters.insert(format!("gatewayresponse.header.{name}"), value);
            }
            gateway_responses.push(RawGatewayResponse {
                response_type: kind.clone(),
                status_code: response
                    .get("StatusCode")
                    .map(|s| scope.text(s, &here.key("StatusCode")))
                    .transpose()
                    .map_err(|p| vec![p])?,
                response_parameters: Some(parameters),
                ..RawGatewayResponse::default()
            });
        }
    }
    let resources = resources_of(paths);
    let stage = props
        .and_then(|p| p.get("StageName"))
        .map(|s| scope.text(s, &at.key("StageName")))
        .transpose()
        .map_err(|p| vec![p])?
        .or_else(|| implicit.then(|| "Prod".to_string()));
    // What SAM generated is placed at what it was generated from.
    let place = |parts: &[PathPart]| match parts {
        [PathPart::Key(list), ..] if list == "gatewayResponses" => at.key("GatewayResponses"),
        [_, _, _, PathPart::Key(verb), ..] if verb == "OPTIONS" => at.key("Cors"),
        _ => at.clone(),
    };
    rest_layer(
        id,
        "AWS::Serverless::Api",
        RawRestApi {
            resources,
            gateway_responses,
            deployed: None,
        },
        stage,
        notes,
        &place,
    )
}

/// Validates the REST API a template describes, each refusal placed where `place` says the
/// template wrote what it refuses.
pub(super) fn rest_layer(
    id: &str,
    kind: &'static str,
    raw: RawRestApi,
    stage: Option<String>,
    notes: Vec<String>,
    place: &dyn Fn(&[PathPart]) -> JsonPath,
) -> Result<Stack, Vec<Problem>> {
    match raw.validate(stage) {
        Ok(api) => Ok(Stack {
            id: id.to_string(),
            kind,
            layer: FrontLayer::RestApi(Box::new(api)),
            notes,
        }),
        Err(refusals) => Err(refusals
            .into_iter()
            .map(|(parts, message)| {
                let place_of = place;
                let place: Vec<String> = parts
                    .iter()
                    .map(|p| match p {
                        PathPart::Key(k) => k.clone(),
                        PathPart::Index(i) => i.to_string(),
                    })
                    .collect();
                Problem {
                    path: place_of(&parts),
                    message: format!("{message} (in {})", place.join(".")),
                }
            })
            .collect()),
    }
}

/// A REST API as CloudFormation writes it (CDK's synthesis): resources by parent and path
/// part, methods on them, gateway responses by `RestApiId`.
fn rest_api_stack(scope: &Scope, id: &str) -> Result<Stack, Vec<Problem>> {
    let belongs = |r: &Value| properties(r).get("RestApiId").and_then(target) == Some(id);
    let parts: BTreeMap<&str, (Option<&str>, &str)> = scope
        .of_type("AWS::ApiGateway::Resource")
        .filter(|(_, r)| belongs(r))
        .filter_map(|(rid, r)| {
            let props = properties(r);
            let parent = props.get("ParentId").and_then(target);
            let part = props.get("PathPart").and_then(Value::as_str)?;
            Some((rid.as_str(), (parent.filter(|p| *p != id), part)))
        })
        .collect();
    let path_of = |resource: Option<&str>| -> Option<String> {
        let mut segments = Vec::new();
        let mut at = resource;
        while let Some(rid) = at {
            let (parent, part) = parts.get(rid)?;
            segments.push(*part);
            if segments.len() > parts.len() {
                return None;
            }
            at = *parent;
        }
        segments.reverse();
        Some(format!("/{}", segments.join("/")))
    };
    let mut problems = Vec::new();
    let mut paths: BTreeMap<String, BTreeMap<String, RawMethod>> = BTreeMap::new();
    let mut written = Written::default();
    for (mid, method) in scope.of_type("AWS::ApiGateway::Method") {
        if !belongs(method) {
            continue;
        }
        let props = properties(method);
        let at = resource_path(mid).key("Properties");
        let resource = props
            .get("ResourceId")
            .and_then(target)
            .filter(|r| *r != id);
        let Some(path) = path_of(resource) else {
            problems.push(Problem {
                path: at.key("ResourceId"),
                message: "names no AWS::ApiGateway::Resource of this API in the template"
                    .to_string(),
            });
            continue;
        };
        // Only what decides CORS is evaluated: an integration's Uri names the function by
        // intrinsics that only deployment resolves.
        let mut wanted = Map::new();
        for key in ["HttpMethod", "AuthorizationType", "ApiKeyRequired"] {
            if let Some(value) = props.get(key) {
                wanted.insert(key.to_string(), value.clone());
            }
        }
        if let Some(Value::Object(integration)) = props.get("Integration") {
            let mut kept = Map::new();
            for key in [
                "Type",
                "IntegrationHttpMethod",
                "RequestTemplates",
                "IntegrationResponses",
            ] {
                if let Some(value) = integration.get(key) {
                    kept.insert(key.to_string(), value.clone());
                }
            }
            wanted.insert("Integration".to_string(), Value::Object(kept));
        }
        let evaluated = match scope.evaluated(&Value::Object(wanted), &at) {
            Ok(value) => value,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let text = |key: &str| {
            evaluated
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let Some(verb) = text("HttpMethod") else {
            continue;
        };
        let integration = evaluated.get("Integration").map(|i| {
            let responses = i
                .get("IntegrationResponses")
                .and_then(Value::as_array)
                .map(|list| {
                    let mut responses = BTreeMap::new();
                    for (n, r) in list.iter().enumerate() {
                        let response = integration_response(r, &CLOUDFORMATION_KEYS, None);
                        let status = response.status_code.clone().unwrap_or_default();
                        // Two responses may share a status (a default and a selected one).
                        let key = if responses.contains_key(&status) {
                            format!("{status}#{n}")
                        } else {
                            status
                        };
                        responses.insert(key, response);
                    }
                    responses
                });
            integration(i, &CLOUDFORMATION_KEYS, responses)
        });
        written
            .methods
            .insert((path.clone(), verb.clone()), at.clone());
        paths.entry(path).or_default().insert(
            verb.clone(),
            RawMethod {
                http_method: Some(verb),
                authorization_type: text("AuthorizationType"),
                api_key_required: evaluated.get("ApiKeyRequired").and_then(Value::as_bool),
                method_integration: integration,
                ..RawMethod::default()
            },
        );
    }
    let mut gateway_responses = Vec::new();
    for (gid, response) in scope.of_type("AWS::ApiGateway::GatewayResponse") {
        if !belongs(response) {
            continue;
        }
        let at = resource_path(gid).key("Properties");
        let mut wanted = properties(response).clone();
        wanted.retain(|key, _| {
            matches!(
                key.as_str(),
                "ResponseType" | "StatusCode" | "ResponseParameters"
            )
        });
        let evaluated = match scope.evaluated(&Value::Object(wanted), &at) {
            Ok(value) => value,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        written.responses.push(at.clone());
        gateway_responses.push(RawGatewayResponse {
            response_type: evaluated
                .get("ResponseType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            status_code: evaluated
                .get("StatusCode")
                .and_then(Value::as_str)
                .map(str::to_string),
            response_parameters: evaluated
                .get("ResponseParameters")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                }),
            ..RawGatewayResponse::default()
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let stage = scope
        .of_type("AWS::ApiGateway::Stage")
        .filter(|(_, s)| belongs(s))
        .find_map(|(sid, s)| {
            let at = resource_path(sid).key("Properties").key("StageName");
            scope.text(properties(s).get("StageName")?, &at).ok()
        });
    let sorted: Vec<String> = paths.keys().cloned().collect();
    let resources = resources_of(paths);
    // A refusal is placed at the Method or GatewayResponse resource that wrote it.
    let place = |parts: &[PathPart]| {
        written
            .place(&sorted, parts, "Integration")
            .unwrap_or_else(|| resource_path(id))
    };
    rest_layer(
        id,
        "AWS::ApiGateway::RestApi",
        RawRestApi {
            resources,
            gateway_responses,
            deployed: None,
        },
        stage,
        Vec::new(),
        &place,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::rest_api::Authorization;

    use crate::formats::tests::config_fixture as fixture;

    fn template(text: &str) -> Template {
        match load(text, "template") {
            Some(Ok(template)) => template,
            Some(Err(errors)) => panic!("{:?}", errors.0),
            None => panic!("not read as a template"),
        }
    }

    fn refusal(text: &str) -> LoadError {
        match load(text, "template") {
            Some(Err(mut errors)) => errors.0.remove(0),
            Some(Ok(_)) => panic!("accepted"),
            None => panic!("not read as a template"),
        }
    }

    /// The one REST API a fixture deploys.
    fn only_rest_api(name: &str) -> crate::server::rest_api::RestApi {
        let read = template(&fixture(name));
        match read.stacks.as_slice() {
            [
                Stack {
                    layer: FrontLayer::RestApi(api),
                    ..
                },
            ] => (**api).clone(),
            _ => panic!("{name}: one REST API"),
        }
    }

    #[test]
    fn sams_rest_api_gets_the_options_method_sam_generates_with_its_authorizer() {
        let api = only_rest_api("sam-rest-api.yaml");
        assert_eq!(api.stage.as_deref(), Some("Prod"));
        let orders = &api.resources[0];
        assert_eq!(orders.path, "/orders");
        let Some(options) = orders.methods.iter().find(|m| m.http_method == "OPTIONS") else {
            panic!("SAM adds OPTIONS");
        };
        assert_eq!(options.authorization, Authorization::CognitoUserPools);
        let literals = options.mock_literals();
        assert!(literals.contains(&("Access-Control-Allow-Origin", "https://app.example")));
        assert!(literals.contains(&("Access-Control-Allow-Methods", "GET,POST,OPTIONS")));
    }

    #[test]
    fn a_cdk_synthesised_rest_api_is_rebuilt_from_its_resources_and_methods() {
        let api = only_rest_api("cdk-rest-api.template.json");
        assert_eq!(api.stage.as_deref(), Some("prod"));
        let orders = &api.resources[0];
        assert_eq!(orders.path, "/orders");
        let Some(options) = orders.methods.iter().find(|m| m.http_method == "OPTIONS") else {
            panic!("OPTIONS");
        };
        assert_eq!(
            options.mock_origins(),
            ["https://shop.example", "https://admin.shop.example"]
        );
    }

    #[test]
    fn a_sam_http_api_routes_every_path_through_the_default_authorizer() {
        let read = template(&fixture("sam-http-api.yaml"));
        let [stack] = read.stacks.as_slice() else {
            panic!("one stack");
        };
        let FrontLayer::HttpApi { cors, routes, .. } = &stack.layer else {
            panic!("an HTTP API");
        };
        assert_eq!(
            cors.as_ref().map(|c| c.allow_origins.clone()),
            Some(vec!["https://todo.example".to_string()])
        );
        assert_eq!(routes[0].key, "ANY /{proxy+}");
        assert!(routes[0].takes_options());
        assert_ne!(routes[0].authorization, http_api::Authorization::None);
    }

    #[test]
    fn a_function_url_takes_its_parameters_default() {
        let read = template(&fixture("lambda-url.yaml"));
        let [stack] = read.stacks.as_slice() else {
            panic!("one stack");
        };
        let FrontLayer::FunctionUrl { cors: Some(cors) } = &stack.layer else {
            panic!("a function URL with Cors");
        };
        assert_eq!(cors.allow_origins, ["https://shop.example"]);
        assert!(cors.allow_credentials);
    }

    #[test]
    fn a_template_with_several_apis_gives_each_its_layer() {
        let read = template(&fixture("cloudformation-stack.yaml"));
        let kinds: Vec<(&str, &str)> = read
            .stacks
            .iter()
            .map(|s| (s.kind, s.id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("AWS::ApiGatewayV2::Api", "ShopApi"),
                ("AWS::ApiGateway::RestApi", "PartnerApi"),
                ("AWS::Lambda::Url", "WebhookUrl")
            ]
        );
        let FrontLayer::HttpApi {
            cors: Some(cors),
            routes,
            stage,
        } = &read.stacks[0].layer
        else {
            panic!("an HTTP API with CORS");
        };
        assert_eq!(cors.allow_origins, ["https://shop.example"]);
        assert_eq!(stage.as_deref(), Some("v1"));
        let keys: Vec<&str> = routes.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["POST /orders", "$default"]);
        let FrontLayer::RestApi(partner) = &read.stacks[1].layer else {
            panic!("a REST API");
        };
        assert_eq!(partner.resources[0].path, "/orders");
        assert_eq!(partner.gateway_responses.len(), 1);
    }

    #[test]
    fn refusals_are_placed_in_the_yaml_file() {
        let text = fixture("sam-rest-api.yaml").replace(
            "        AllowOrigin: !Sub \"'${AppOrigin}'\"",
            "        AllowOrigin: \"'*'\"\n        AllowCredentials: true",
        );
        let error = refusal(&text);
        assert_eq!(
            error.key,
            "Resources.OrdersApi.Properties.Cors.AllowCredentials"
        );
        assert_eq!((error.line, error.column), (28, 9));
        assert!(error.message.contains("'AllowCredentials' can not be true"));

        let text = fixture("lambda-url.yaml").replace("!Ref SiteOrigin", "!GetAtt Site.Url");
        let error = refusal(&text);
        assert_eq!(
            error.key,
            "Resources.QuoteUrl.Properties.Cors.AllowOrigins[0]"
        );
        assert_eq!((error.line, error.column), (39, 13));
        assert!(error.message.contains("Fn::GetAtt"));

        let error =
            refusal("Resources:\n  Url:\n    Type: AWS::Lambda::Url\n    Properties: [1, 2\n");
        assert!(error.message.starts_with("not valid YAML"));
    }

    #[test]
    fn refusals_are_placed_in_the_json_file() {
        let text = fixture("cdk-rest-api.template.json").replace(
            "\"method.response.header.Vary\": \"'Origin'\"",
            "\"method.response.header.Vary\": \"Origin\"",
        );
        let error = refusal(&text);
        assert_eq!(
            error.key,
            "Resources.OrdersApiordersOPTIONS6B8F2D1A.Properties.Integration"
        );
        assert_eq!(error.line, 68);
        assert!(
            error
                .message
                .contains("Invalid mapping expression specified: Origin")
        );
    }

    #[test]
    fn a_buckets_template_is_read_and_other_documents_are_not_claimed() {
        let bucket = r#"{"Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {"CorsConfiguration": {"CorsRules": [
            {"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET"]}]}}}}}"#;
        let Some(Ok(template)) = load(bucket, "bucket.json") else {
            panic!("a bucket's template is read");
        };
        assert_eq!(template.buckets.len(), 1);
        assert_eq!(
            template.buckets[0].1.rules[0].allowed_origins,
            ["https://a.example"]
        );
        let empty = r#"{"Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {"CorsConfiguration": {"CorsRules": []}}}}}"#;
        let Some(Err(errors)) = load(empty, "empty.json") else {
            panic!("an empty rule list is refused as S3 refuses it");
        };
        assert!(errors.to_string().contains("PutBucketCors"), "{errors}");
        let plain = r#"{"Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {}}}}"#;
        assert!(load(plain, "plain.json").is_none());
        assert!(load("title: a scenario?\n", "x.yaml").is_none());
        assert!(load(r#"{"server": {}, "requests": []}"#, "s.json").is_none());
    }

    /// A template that deploys nothing cors-tui simulates is told so, at its Resources, with
    /// what it holds (rather than left to another reader to fail on its first byte).
    #[test]
    fn a_template_with_nothing_to_simulate_says_what_it_holds() {
        let policy = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Key:\n    Type: AWS::CloudFront::CachePolicy\n    Properties: {}\n";
        let refused = refusal(policy);
        assert_eq!((refused.line, refused.column), (2, 1));
        assert!(
            refused
                .message
                .contains("it holds AWS::CloudFront::CachePolicy"),
            "{}",
            refused.message
        );
        let bucket = "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n";
        let refused = refusal(bucket);
        assert!(
            refused.message.contains("Site has no CorsConfiguration")
                && refused
                    .message
                    .contains("CORS is not enabled for this bucket"),
            "{}",
            refused.message
        );
    }
}
