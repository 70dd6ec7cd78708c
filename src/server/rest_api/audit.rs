//! An API Gateway REST API's audit: its resources' methods and its gateway responses.

use crate::server::audit::{Finding, Severity};

/// Findings on an API Gateway REST API: preflights refused by an authorizer or an API key,
/// resources whose preflighted methods have no OPTIONS, and errors API Gateway will answer
/// without CORS headers (judged only when `whole`: the resources and the gateway responses
/// are both known).
pub fn audit(api: &crate::server::rest_api::RestApi, whole: bool) -> Vec<Finding> {
    use crate::server::rest_api::{Authorization, ResponseType};
    let mut findings = Vec::new();
    let finding = |severity, subject: String, title: String, why: String| Finding {
        severity,
        rule: None,
        subject,
        title,
        why,
    };
    let mut guarded = false;
    if let Some(deployed) = &api.deployed {
        let listed = |api: &crate::server::rest_api::RestApi| -> Vec<String> {
            api.resources
                .iter()
                .flat_map(|r| {
                    r.methods
                        .iter()
                        .map(move |m| format!("{} {}", m.http_method, r.path))
                })
                .collect()
        };
        let (saved, live) = (listed(api), listed(deployed));
        let missing: Vec<&String> = saved.iter().filter(|m| !live.contains(m)).collect();
        findings.push(finding(
            Severity::Broken,
            api.stage.clone().unwrap_or_else(|| "stage".to_string()),
            "the stage serves a deployment older than the saved API".to_string(),
            format!(
                "Browsers meet what is deployed, not what is saved: {}. Deploy the API to the stage (create-deployment, the console's Deploy API).",
                if missing.is_empty() {
                    "the saved methods or gateway responses differ from the deployed ones".to_string()
                } else {
                    format!(
                        "{} saved but not deployed",
                        missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                    )
                }
            ),
        ));
    }
    for resource in &api.resources {
        let options = resource
            .methods
            .iter()
            .find(|m| m.http_method == "OPTIONS" || m.http_method == "ANY");
        for method in &resource.methods {
            guarded |= method.authorization != Authorization::None || method.api_key_required;
        }
        if let Some(options) = options {
            let literals = options.mock_literals();
            let literal = |name: &str| {
                literals
                    .iter()
                    .find(|(header, _)| header.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim())
            };
            if literal("Access-Control-Allow-Origin") == Some("*")
                && literal("Access-Control-Allow-Credentials") == Some("true")
            {
                findings.push(finding(
                    Severity::Broken,
                    format!("{} {}", options.http_method, resource.path),
                    format!(
                        "{} {} answers '*' with credentials allowed",
                        options.http_method, resource.path
                    ),
                    "API Gateway deploys it (mappings are plain strings), but with credentials: 'include' a browser refuses Access-Control-Allow-Origin: *, so every credentialed request fails its preflight. Name the origin (and the function must name it too).".to_string(),
                ));
            }
        }
        match options {
            Some(options)
                if options.authorization != Authorization::None || options.api_key_required =>
            {
                let what = if options.authorization != Authorization::None {
                    format!("its {} authorizer", options.authorization.name())
                } else {
                    "its API key".to_string()
                };
                findings.push(finding(
                    Severity::Broken,
                    format!("{} {}", options.http_method, resource.path),
                    format!(
                        "{} {} refuses preflights with {what}",
                        options.http_method, resource.path
                    ),
                    "A preflight never carries credentials or an x-api-key, so this method answers every preflight 401 or 403 and the browser blocks the request. Set authorizationType NONE and apiKeyRequired false on OPTIONS (SAM: Auth.AddDefaultAuthorizerToCorsPreflight and AddApiKeyRequiredToCorsPreflight false).".to_string(),
                ));
            }
            None if resource
                .methods
                .iter()
                .any(|m| matches!(m.http_method.as_str(), "PUT" | "PATCH" | "DELETE")) =>
            {
                findings.push(finding(
                    Severity::Broken,
                    resource.path.clone(),
                    format!("{} has no OPTIONS method for its preflighted methods", resource.path),
                    "PUT, PATCH and DELETE from a page always send a preflight first; without an OPTIONS (or ANY) method API Gateway answers it 403 Missing Authentication Token (recorded). Enable CORS on the resource: a MOCK OPTIONS method.".to_string(),
                ));
            }
            _ => {}
        }
    }
    let dressed = |kind: ResponseType| {
        api.gateway_responses.iter().any(|g| {
            g.kind == kind
                && g.headers
                    .iter()
                    .any(|(h, _)| h.eq_ignore_ascii_case("Access-Control-Allow-Origin"))
        })
    };
    if whole
        && guarded
        && !dressed(ResponseType::Default4xx)
        && !dressed(ResponseType::Unauthorized)
    {
        findings.push(finding(
            Severity::Broken,
            "DEFAULT_4XX".to_string(),
            "the authorizer's 401 and 403 will reach the page as CORS errors".to_string(),
            "Methods here have an authorizer or an API key, and no DEFAULT_4XX (or UNAUTHORIZED) gateway response maps Access-Control-Allow-Origin, so API Gateway's own 401 and 403 carry no CORS header and the browser hides them (documented). Map gatewayresponse.header.Access-Control-Allow-Origin on DEFAULT_4XX and DEFAULT_5XX.".to_string(),
        ));
    }
    if api.resources.is_empty() {
        for kind in [ResponseType::Default4xx, ResponseType::Default5xx] {
            if !dressed(kind) {
                findings.push(finding(
                    Severity::Noisy,
                    kind.name().to_string(),
                    format!("{} maps no Access-Control-Allow-Origin", kind.name()),
                    format!(
                        "API Gateway's own {} carry no CORS header, so a page sees them as CORS failures and cannot tell the user what went wrong. Map gatewayresponse.header.Access-Control-Allow-Origin (method.request.header.origin, or '*' without credentials).",
                        if kind == ResponseType::Default4xx {
                            "4XX errors (an authorizer's 401, a missing method's 403, throttling's 429)"
                        } else {
                            "5XX errors (an integration's timeout 504, a malformed Lambda answer's 502)"
                        }
                    ),
                ));
            }
        }
    }
    findings
}
