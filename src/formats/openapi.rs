//! An API Gateway API as an OpenAPI document with API Gateway's extensions, JSON or YAML, told
//! apart by content: a REST API's export (`aws apigateway get-export --parameters
//! extensions='apigateway'`: `x-amazon-apigateway-integration` on each method,
//! `x-amazon-apigateway-gateway-responses`, security schemes with
//! `x-amazon-apigateway-authtype`) or an HTTP API's (`aws apigatewayv2 export-api`:
//! `x-amazon-apigateway-cors`, routes as paths, `$default` as a path). Each becomes the layer it
//! describes, judged by that layer's validation, errors at their line and column.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::cloudformation::{
    IntegrationKeys, Stack, Template, Written, integration, integration_response, load_document,
    placed, resources_of, rest_layer, strings,
};
use crate::scenario::LoadErrors;
use crate::scenario::validate::{JsonPath, Problem};
use crate::server::FrontLayer;
use crate::server::aws_cors::RawCors;
use crate::server::http_api;
use crate::server::rest_api::{PathPart, RawGatewayResponse, RawMethod, RawRestApi};

const VERBS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// Whether `value` is an OpenAPI document that carries API Gateway's extensions.
fn claims(value: &Value) -> bool {
    let Some(paths) = value.get("paths").and_then(Value::as_object) else {
        return false;
    };
    let versioned = value.get("openapi").is_some() || value.get("swagger").is_some();
    let extended = value.get("x-amazon-apigateway-cors").is_some()
        || value.get("x-amazon-apigateway-gateway-responses").is_some()
        || value
            .get("x-amazon-apigateway-importexport-version")
            .is_some()
        || paths.values().any(|item| {
            item.as_object().is_some_and(|ops| {
                ops.values()
                    .any(|op| op.get("x-amazon-apigateway-integration").is_some())
            })
        });
    versioned && extended
}

/// Reads `text` as an OpenAPI export, or says where it is wrong; None when it is not one.
pub fn load(text: &str, file: &str) -> Option<Result<Template, LoadErrors>> {
    let looks_like = text.contains("x-amazon-apigateway-");
    load_document(text, file, looks_like, claims, read)
}

fn is_http_api(value: &Value) -> bool {
    value.get("x-amazon-apigateway-cors").is_some()
        || value
            .get("x-amazon-apigateway-importexport-version")
            .is_some()
        || operations(value).any(|(_, _, _, op)| {
            op.get("x-amazon-apigateway-integration")
                .and_then(|i| i.get("payloadFormatVersion"))
                .is_some()
        })
}

/// (path, verb as API Gateway names it, the key the document spells it with, the operation).
fn operations(value: &Value) -> impl Iterator<Item = (&str, &'static str, &str, &Value)> {
    value
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter_map(move |(key, op)| {
                    let (_, verb) = VERBS.iter().find(|(name, _)| name == key)?;
                    Some((path.as_str(), *verb, key.as_str(), op))
                })
        })
}

/// What a security scheme asks of a request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    ApiKey,
    Authorizer(&'static str),
}

fn schemes(value: &Value, http: bool) -> BTreeMap<String, Scheme> {
    let definitions = value
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .or_else(|| value.get("securityDefinitions"))
        .and_then(Value::as_object);
    definitions
        .into_iter()
        .flatten()
        .map(|(name, scheme)| {
            let authtype = scheme
                .get("x-amazon-apigateway-authtype")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let authorizer = scheme
                .get("x-amazon-apigateway-authorizer")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let kind = match (authtype.as_deref(), authorizer.as_deref()) {
                (Some("awssigv4"), _) => Scheme::Authorizer("AWS_IAM"),
                (_, Some("jwt")) => Scheme::Authorizer("JWT"),
                (Some("cognito_user_pools"), _) | (_, Some("cognito_user_pools")) => {
                    Scheme::Authorizer("COGNITO_USER_POOLS")
                }
                (Some(_), _) | (_, Some(_)) => Scheme::Authorizer("CUSTOM"),
                (None, None)
                    if scheme.get("type").and_then(Value::as_str) == Some("apiKey")
                        && scheme
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key")) =>
                {
                    Scheme::ApiKey
                }
                _ if scheme.get("type").and_then(Value::as_str) == Some("oauth2") || http => {
                    Scheme::Authorizer(if http { "JWT" } else { "CUSTOM" })
                }
                _ => Scheme::Authorizer("CUSTOM"),
            };
            (name.clone(), kind)
        })
        .collect()
}

/// The operation's authorization type and whether it needs an API key: its `security`, else
/// the document's.
fn guard(
    op: &Value,
    document: &Value,
    schemes: &BTreeMap<String, Scheme>,
) -> (Option<&'static str>, bool) {
    let security = op
        .get("security")
        .or_else(|| document.get("security"))
        .and_then(Value::as_array);
    let names = security
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys());
    let mut authorization = None;
    let mut api_key = false;
    for name in names {
        match schemes.get(name) {
            Some(Scheme::ApiKey) => api_key = true,
            Some(Scheme::Authorizer(kind)) => authorization = authorization.or(Some(*kind)),
            None => {}
        }
    }
    (authorization, api_key)
}

/// How an OpenAPI export spells an integration's keys.
const OPENAPI_KEYS: IntegrationKeys = IntegrationKeys {
    kind: "type",
    request_templates: "requestTemplates",
    http_method: "httpMethod",
    status: "statusCode",
    selection_pattern: "selectionPattern",
    parameters: "responseParameters",
    templates: "responseTemplates",
};

/// The stage a server URL's `basePath` variable (OpenAPI 3) or `basePath` (Swagger 2) names.
fn stage(value: &Value) -> Option<String> {
    let base = value
        .get("servers")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("variables"))
        .and_then(|v| v.get("basePath"))
        .and_then(|b| b.get("default"))
        .or_else(|| value.get("basePath"))
        .and_then(Value::as_str)?;
    let stage = base.trim_matches('/');
    (!stage.is_empty()).then(|| stage.to_string())
}

fn read(value: &Value, yaml: bool) -> Result<Template, Vec<Problem>> {
    let stack = if is_http_api(value) {
        read_http_api(value)?
    } else {
        read_rest_api(value)?
    };
    let kind = if matches!(stack.layer, FrontLayer::HttpApi { .. }) {
        "OpenAPI export of an HTTP API"
    } else {
        "OpenAPI export of a REST API"
    };
    Ok(Template {
        source: kind,
        yaml,
        stacks: vec![stack],
        buckets: Vec::new(),
        policies: Vec::new(),
    })
}

fn title(value: &Value) -> String {
    value
        .get("info")
        .and_then(|i| i.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("api")
        .to_string()
}

/// `x-amazon-apigateway-cors` in its camelCase spelling, read as the `Cors` object.
fn cors_of(value: &Value, at: &JsonPath) -> Result<Option<http_api::Cors>, Vec<Problem>> {
    let Some(cors) = value.get("x-amazon-apigateway-cors") else {
        return Ok(None);
    };
    let Some(fields) = cors.as_object() else {
        return Err(vec![Problem {
            path: at.clone(),
            message: "x-amazon-apigateway-cors is an object (allowOrigins, allowMethods, …)"
                .to_string(),
        }]);
    };
    let mut pascal = Map::new();
    for (key, item) in fields {
        let mut chars = key.chars();
        let upper = chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default();
        pascal.insert(upper, item.clone());
    }
    let raw: RawCors = serde_path_to_error::deserialize(Value::Object(pascal)).map_err(|e| {
        vec![Problem {
            path: at.clone(),
            message: e.to_string(),
        }]
    })?;
    http_api::validate(raw).map(Some).map_err(|refusals| {
        placed(at, refusals)
            .into_iter()
            .map(|mut p| {
                // The refusal names AWS's key; the document spells it in camelCase.
                if let Some(crate::scenario::validate::Seg::Key(key)) = p.path.0.get_mut(at.0.len())
                {
                    let mut chars = key.chars();
                    *key = chars
                        .next()
                        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                        .unwrap_or_default();
                }
                p
            })
            .collect()
    })
}

fn read_http_api(value: &Value) -> Result<Stack, Vec<Problem>> {
    let root = JsonPath::default();
    let cors = cors_of(value, &root.key("x-amazon-apigateway-cors"))?;
    let schemes = schemes(value, true);
    let mut routes = Vec::new();
    let mut problems = Vec::new();
    for (path, verb, spelled, op) in operations(value) {
        let key = if path == "$default" {
            "$default".to_string()
        } else {
            format!("{verb} {path}")
        };
        let (authorization, _) = guard(op, value, &schemes);
        match http_api::RawRoute::new(&key, authorization).validate() {
            Ok(route) => routes.push(route),
            Err(refusals) => problems.extend(refusals.into_iter().map(|(_, message)| Problem {
                path: root.key("paths").key(path).key(spelled),
                message,
            })),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if routes.is_empty() {
        routes.push(http_api::Route::default_route());
    }
    Ok(Stack {
        id: title(value),
        kind: "HTTP API",
        layer: FrontLayer::HttpApi {
            cors,
            routes,
            stage: stage(value),
        },
        notes: Vec::new(),
    })
}

fn read_rest_api(value: &Value) -> Result<Stack, Vec<Problem>> {
    let root = JsonPath::default();
    let schemes = schemes(value, false);
    let mut paths: BTreeMap<String, BTreeMap<String, RawMethod>> = BTreeMap::new();
    let mut written = Written::default();
    for (path, verb, spelled, op) in operations(value) {
        let (authorization, api_key) = guard(op, value, &schemes);
        let at = root.key("paths").key(path).key(spelled);
        let integration = op.get("x-amazon-apigateway-integration").map(|i| {
            let responses = i.get("responses").and_then(Value::as_object).map(|list| {
                list.iter()
                    .map(|(pattern, r)| {
                        let selection = (pattern != "default").then(|| pattern.clone());
                        (
                            pattern.clone(),
                            integration_response(r, &OPENAPI_KEYS, selection),
                        )
                    })
                    .collect()
            });
            integration(i, &OPENAPI_KEYS, responses)
        });
        written
            .methods
            .insert((path.to_string(), verb.to_string()), at);
        paths.entry(path.to_string()).or_default().insert(
            verb.to_string(),
            RawMethod {
                http_method: Some(verb.to_string()),
                authorization_type: Some(authorization.unwrap_or("NONE").to_string()),
                api_key_required: Some(api_key),
                method_integration: integration,
                ..RawMethod::default()
            },
        );
    }
    let mut gateway_responses = Vec::new();

    if let Some(list) = value
        .get("x-amazon-apigateway-gateway-responses")
        .and_then(Value::as_object)
    {
        for (kind, response) in list {
            written
                .responses
                .push(root.key("x-amazon-apigateway-gateway-responses").key(kind));
            gateway_responses.push(RawGatewayResponse {
                response_type: kind.clone(),
                status_code: response
                    .get("statusCode")
                    .map(|s| s.as_str().map_or(s.to_string(), str::to_string)),
                response_parameters: strings(response.get("responseParameters")),
                ..RawGatewayResponse::default()
            });
        }
    }
    let sorted: Vec<String> = paths.keys().cloned().collect();
    let resources = resources_of(paths);
    let place = |parts: &[PathPart]| {
        written
            .place(&sorted, parts, "x-amazon-apigateway-integration")
            .unwrap_or_default()
    };
    rest_layer(
        &title(value),
        "REST API",
        RawRestApi {
            resources,
            gateway_responses,
            deployed: None,
        },
        stage(value),
        Vec::new(),
        &place,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::rest_api::Authorization;

    use crate::formats::tests::config_fixture as fixture;

    fn layer(text: &str) -> FrontLayer {
        match load(text, "export") {
            Some(Ok(mut template)) => template.stacks.remove(0).layer,
            Some(Err(errors)) => panic!("{:?}", errors.0),
            None => panic!("not read as an export"),
        }
    }

    #[test]
    fn a_rest_export_keeps_its_methods_security_and_gateway_responses() {
        let FrontLayer::RestApi(api) = layer(&fixture("apigw-rest-export-oas30.json")) else {
            panic!("a REST API");
        };
        assert_eq!(api.stage.as_deref(), Some("prod"));
        let orders = &api.resources[0];
        let get = orders.methods.iter().find(|m| m.http_method == "GET");
        assert_eq!(
            get.map(|m| m.authorization),
            Some(Authorization::CognitoUserPools)
        );
        let options = orders.methods.iter().find(|m| m.http_method == "OPTIONS");
        assert_eq!(
            options.map(|m| m.mock_origins()),
            Some(vec!["https://app.example"])
        );
        assert_eq!(api.gateway_responses.len(), 1);
    }

    #[test]
    fn an_http_export_keeps_its_cors_and_routes() {
        let FrontLayer::HttpApi {
            cors: Some(cors),
            routes,
            stage,
        } = layer(&fixture("apigw-http-export.yaml"))
        else {
            panic!("an HTTP API with CORS");
        };
        assert_eq!(cors.allow_origins, ["https://todo.example"]);
        assert_eq!(cors.max_age, Some(600));
        assert_eq!(stage, None);
        let keys: Vec<&str> = routes.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["GET /todos", "ANY /{proxy+}"]);
        assert_eq!(routes[1].authorization, http_api::Authorization::Jwt);
    }

    #[test]
    fn refusals_are_placed_where_the_export_spells_them() {
        let text = fixture("apigw-http-export.yaml")
            .replace("  allowCredentials: false", "  allowCredentials: true");
        let text = text.replace("  - https://todo.example", "  - \"*\"");
        let Some(Err(errors)) = load(&text, "export.yaml") else {
            panic!("refused");
        };
        assert_eq!(errors.0[0].key, "x-amazon-apigateway-cors.allowOrigins[0]");
        assert_eq!((errors.0[0].line, errors.0[0].column), (63, 5));

        let text =
            fixture("apigw-rest-export-oas30.json").replace("\"'GET,OPTIONS'\"", "\"GET,OPTIONS\"");
        let Some(Err(errors)) = load(&text, "export.json") else {
            panic!("refused");
        };
        assert_eq!(
            errors.0[0].key,
            "paths./orders.options.x-amazon-apigateway-integration"
        );
    }

    #[test]
    fn a_plain_openapi_document_is_not_claimed() {
        let plain = r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a": {"get": {}}}}"#;
        assert!(load(plain, "plain.json").is_none());
    }
}
