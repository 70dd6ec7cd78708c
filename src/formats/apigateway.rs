//! API Gateway and Lambda function URLs as the AWS CLI prints them, told apart by content. An
//! HTTP API: `aws apigatewayv2 get-api` (the API and its `CorsConfiguration`) and `get-routes`
//! (`{"Items": [...]}`). A REST API: `aws apigateway get-resources --embed methods` and
//! `get-gateway-responses` (both `{"items": [...]}`). A function URL: `aws lambda
//! get-function-url-config`. Each is judged by its layer's own validation
//! ([`http_api`](crate::server::http_api), [`rest_api`](crate::server::rest_api)), with refusals
//! placed at file:line:col.

use serde::Deserialize;

use super::cloudformation::placed;
use crate::scenario::LoadErrors;
use crate::scenario::locate_problems;
use crate::scenario::validate::{JsonPath, Problem};
use crate::server::http_api::{self, Cors, RawCors, RawRoute, Route};
use crate::server::rest_api::{PathPart, RawGatewayResponse, RawResource, RawRestApi, RestApi};

/// What an export holds: the API's CORS configuration, or its routes.
pub enum Export {
    /// `get-api`: the API's name and its CorsConfiguration (None: not configured).
    Api {
        name: Option<String>,
        cors: Option<Cors>,
    },
    /// `get-routes`.
    Routes(Vec<Route>),
    /// A REST API's `get-resources --embed methods` (`resources`) or `get-gateway-responses`.
    Rest { api: Box<RestApi>, resources: bool },
    /// `aws lambda get-function-url-config`: the URL's `Cors` (None: not configured).
    FunctionUrl {
        cors: Option<crate::server::function_url::Cors>,
    },
}

impl Export {
    /// How the file is spelled, for a report's first line.
    pub fn describe(&self) -> String {
        match self {
            Export::Api {
                name: Some(name), ..
            } => {
                format!("aws apigatewayv2 get-api (HTTP API {name})")
            }
            Export::Api { name: None, .. } => "aws apigatewayv2 get-api (HTTP API)".to_string(),
            Export::Routes(routes) => {
                format!("aws apigatewayv2 get-routes ({} route(s))", routes.len())
            }
            Export::Rest {
                api,
                resources: true,
            } => format!(
                "aws apigateway get-resources ({} resource(s))",
                api.resources.len()
            ),
            Export::Rest { api, .. } => format!(
                "aws apigateway get-gateway-responses ({} response(s))",
                api.gateway_responses.len()
            ),
            Export::FunctionUrl { .. } => "aws lambda get-function-url-config".to_string(),
        }
    }
}

impl Export {
    /// Puts this export's configuration in place of its layer's own in `server`, whose stack
    /// must hold that kind of layer; the rest of the layer is kept.
    pub fn apply_to(self, server: &mut crate::scenario::Server) -> Result<(), String> {
        use crate::server::FrontLayer;
        let wanted = match &self {
            Export::Api { .. } | Export::Routes(_) => "http_api",
            Export::Rest { .. } => "rest_api",
            Export::FunctionUrl { .. } => "function_url",
        };
        let Some(layer) = server.front.iter_mut().find(|l| l.name() == wanted) else {
            return Err(format!(
                "--config with {} replaces an \"{wanted}\" layer's configuration, and this scenario's server has none",
                self.describe()
            ));
        };
        match (self, layer) {
            (Export::Api { cors, .. }, FrontLayer::HttpApi { cors: own, .. }) => *own = cors,
            (Export::Routes(routes), FrontLayer::HttpApi { routes: own, .. }) => *own = routes,
            (Export::FunctionUrl { cors }, FrontLayer::FunctionUrl { cors: own }) => *own = cors,
            (Export::Rest { api, resources }, FrontLayer::RestApi(own)) => {
                let mut raw = own.written.clone();
                if resources {
                    raw.resources = api.written.resources;
                } else {
                    raw.gateway_responses = api.written.gateway_responses;
                }
                match raw.validate(own.stage.clone()) {
                    Ok(merged) => **own = merged,
                    Err(refusals) => {
                        return Err(refusals
                            .into_iter()
                            .map(|(_, message)| message)
                            .collect::<Vec<_>>()
                            .join("; "));
                    }
                }
            }
            _ => return Err("the layer does not match the export".to_string()),
        }
        Ok(())
    }
}

/// Whether `shape` is an `apigatewayv2` export: an API (it has `ProtocolType`) or a route
/// listing (`Items` whose entries have a `RouteKey`).
fn is_export(shape: &serde_json::Value) -> bool {
    let all_have = |list: &str, key: &str| {
        shape
            .get(list)
            .and_then(serde_json::Value::as_array)
            .is_some_and(|items| items.iter().all(|item| item.get(key).is_some()))
    };
    shape.get("ProtocolType").is_some()
        || (shape.get("FunctionUrl").is_some() && shape.get("AuthType").is_some())
        || all_have("Items", "RouteKey")
        || (shape.get("items").is_some()
            && (all_have("items", "path") || all_have("items", "responseType")))
}

/// `{"items": [...]}` of `get-resources` or `get-gateway-responses`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    #[allow(dead_code)]
    position: Option<String>,
}

/// `get-api`'s fields that decide CORS; the others (`ApiId`, `CreatedDate`, `Tags`…) are not
/// read.
#[derive(Deserialize)]
struct GetApi {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "ProtocolType")]
    protocol: String,
    #[serde(rename = "CorsConfiguration", default)]
    cors: Option<RawCors>,
}

/// `get-function-url-config`: every field it prints, so that a misspelt `Cors` key is found.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct GetFunctionUrlConfig {
    #[serde(rename = "FunctionUrl")]
    function_url: String,
    #[serde(rename = "FunctionArn", default)]
    function_arn: Option<String>,
    #[serde(rename = "AuthType")]
    auth_type: String,
    #[serde(rename = "Cors", default)]
    cors: Option<crate::server::aws_cors::RawCors>,
    #[serde(rename = "CreationTime", default)]
    creation_time: Option<String>,
    #[serde(rename = "LastModifiedTime", default)]
    last_modified_time: Option<String>,
    #[serde(rename = "InvokeMode", default)]
    invoke_mode: Option<String>,
    #[serde(rename = "ResponseMetadata", default)]
    response_metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetRoutes {
    #[serde(rename = "Items")]
    items: Vec<RawRoute>,
    #[serde(rename = "NextToken", default)]
    #[allow(dead_code)]
    next_token: Option<String>,
}

/// Reads `text` as an export, or says where it is wrong; None when it is no export (not JSON,
/// or JSON of another shape), for the caller to read as something else.
pub fn load(text: &str, file: &str) -> Option<Result<Export, LoadErrors>> {
    let shape: serde_json::Value = serde_json::from_str(text).ok()?;
    is_export(&shape).then(|| read_export(&shape, text, file))
}

fn read_export(shape: &serde_json::Value, text: &str, file: &str) -> Result<Export, LoadErrors> {
    let mut problems = Vec::new();
    let root = JsonPath::default();
    let export = if shape.get("FunctionUrl").is_some() {
        let config: GetFunctionUrlConfig = super::reading::typed(text, file)?;
        let cors = match config.cors.map(crate::server::function_url::validate) {
            None => None,
            Some(Ok(cors)) => Some(cors),
            Some(Err(refusals)) => {
                problems.extend(placed(&root.key("Cors"), refusals));
                None
            }
        };
        Export::FunctionUrl { cors }
    } else if shape.get("ProtocolType").is_some() {
        let api: GetApi = super::reading::typed(text, file)?;
        if api.protocol != "HTTP" {
            problems.push(Problem {
                path: root.key("ProtocolType"),
                message: format!(
                    "a {} API has no CorsConfiguration: CORS is configured this way on HTTP APIs only",
                    api.protocol
                ),
            });
        }
        let cors = match api.cors.map(http_api::validate) {
            None => None,
            Some(Ok(cors)) => Some(cors),
            Some(Err(refusals)) => {
                problems.extend(placed(&root.key("CorsConfiguration"), refusals));
                None
            }
        };
        Export::Api {
            name: api.name,
            cors,
        }
    } else if shape.get("items").is_some() {
        let is_resources = shape
            .get("items")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|items| items.iter().all(|item| item.get("path").is_some()));
        let raw = if is_resources {
            let listing: Items<RawResource> = super::reading::typed(text, file)?;
            RawRestApi {
                resources: listing.items,
                gateway_responses: Vec::new(),
                deployed: None,
            }
        } else {
            let listing: Items<RawGatewayResponse> = super::reading::typed(text, file)?;
            RawRestApi {
                resources: Vec::new(),
                gateway_responses: listing.items,
                deployed: None,
            }
        };
        match raw.validate(None) {
            Ok(api) => Export::Rest {
                api: Box::new(api),
                resources: is_resources,
            },
            Err(refusals) => {
                for (parts, message) in refusals {
                    // The layer's paths start at `resources` or `gatewayResponses`; the file's
                    // list is `items`.
                    let mut at = root.key("items");
                    for part in parts.into_iter().skip(1) {
                        at = match part {
                            PathPart::Key(key) => at.key(&key),
                            PathPart::Index(i) => at.index(i),
                        };
                    }
                    problems.push(Problem { path: at, message });
                }
                return Err(LoadErrors(locate_problems(text, file, problems)));
            }
        }
    } else {
        let listing: GetRoutes = super::reading::typed(text, file)?;
        let mut routes = Vec::new();
        for (i, raw) in listing.items.into_iter().enumerate() {
            match raw.validate() {
                Ok(route) => routes.push(route),
                Err(refusals) => {
                    for (key, message) in refusals {
                        problems.push(Problem {
                            path: root.key("Items").index(i).key(&key),
                            message,
                        });
                    }
                }
            }
        }
        Export::Routes(routes)
    };
    if problems.is_empty() {
        Ok(export)
    } else {
        Err(LoadErrors(locate_problems(text, file, problems)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_api_as_the_cli_prints_it_is_read_with_its_cors_configuration() {
        let text = r#"{
    "ApiEndpoint": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    "ApiId": "a1b2c3d4e5",
    "ApiKeySelectionExpression": "$request.header.x-api-key",
    "CorsConfiguration": {
        "AllowCredentials": false,
        "AllowHeaders": ["authorization", "content-type"],
        "AllowMethods": ["GET", "POST"],
        "AllowOrigins": ["https://app.example"],
        "ExposeHeaders": [],
        "MaxAge": 0
    },
    "CreatedDate": "2026-11-02T09:12:44+00:00",
    "DisableExecuteApiEndpoint": false,
    "Name": "todo-api",
    "ProtocolType": "HTTP",
    "RouteSelectionExpression": "$request.method $request.path",
    "Tags": {}
}"#;
        let Some(Ok(Export::Api {
            name,
            cors: Some(cors),
        })) = load(text, "api.json")
        else {
            panic!("get-api is read");
        };
        assert_eq!(name.as_deref(), Some("todo-api"));
        assert_eq!(cors.allow_origins, ["https://app.example"]);
        assert_eq!(cors.max_age, Some(0));
    }

    #[test]
    fn get_routes_is_read_and_a_bad_route_is_placed() {
        let text = r#"{
    "Items": [
        {"ApiKeyRequired": false, "AuthorizationType": "JWT", "AuthorizerId": "x1y2z3",
         "RouteId": "r1", "RouteKey": "ANY /{proxy+}", "Target": "integrations/i1"},
        {"ApiKeyRequired": false, "AuthorizationType": "NONE", "RouteId": "r2", "RouteKey": "$default"}
    ]
}"#;
        let Some(Ok(Export::Routes(routes))) = load(text, "routes.json") else {
            panic!("get-routes is read");
        };
        assert_eq!(routes.len(), 2);
        assert!(routes[0].takes_options());
        let bad = text.replace("\"RouteId\": \"r2\"", "\"RouteIdent\": \"r2\"");
        let Some(Err(errors)) = load(&bad, "routes.json") else {
            panic!("an unknown key is refused");
        };
        assert_eq!(errors.0[0].key, "Items[1].RouteIdent");
        assert_eq!(errors.0[0].line, 5);
    }

    #[test]
    fn credentials_with_star_are_placed_at_the_origin() {
        let text = r#"{"Name": "a", "ProtocolType": "HTTP",
 "CorsConfiguration": {"AllowOrigins": ["*"], "AllowCredentials": true}}"#;
        let Some(Err(errors)) = load(text, "api.json") else {
            panic!("refused");
        };
        assert_eq!(errors.0[0].key, "CorsConfiguration.AllowOrigins[0]");
        assert_eq!((errors.0[0].line, errors.0[0].column), (2, 41));
    }
}
