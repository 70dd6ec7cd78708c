//! What an answer's headers say about the AWS service that made it, for recorded answers: API
//! Gateway marks its own errors with `x-amzn-ErrorType` (a REST API's gateway responses) or
//! `apigw-requestid` (an HTTP API), so a recording can tell a blocked request that API Gateway
//! refused from one the function answered.

use crate::http::HttpResponse;

/// Advice for a blocked answer API Gateway made itself, or None when nothing marks it.
pub fn api_gateway_advice(response: &HttpResponse, preflight: bool) -> Option<String> {
    if let Some(kind) = response.header("x-amzn-ErrorType") {
        let kind = kind
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let advice = match (kind.as_str(), preflight) {
            ("MissingAuthenticationTokenException", true) => {
                "no OPTIONS method takes this path, or the URL misses the stage. Enable CORS on the resource (a MOCK OPTIONS method) and deploy the API again"
            }
            ("MissingAuthenticationTokenException", false) => {
                "no resource and method take this path and verb; check the URL and its stage. API Gateway's gateway responses carry no CORS header unless DEFAULT_4XX is given one"
            }
            (
                "UnauthorizedException"
                | "ForbiddenException"
                | "AccessDeniedException"
                | "IncompleteSignatureException",
                true,
            ) => {
                "an authorizer or an API key on the OPTIONS method refused the preflight, which never carries credentials. Set the OPTIONS method's authorizationType to NONE and apiKeyRequired to false (SAM: Auth.AddDefaultAuthorizerToCorsPreflight: false)"
            }
            (_, true) => {
                "API Gateway refused the preflight itself. Check the OPTIONS method of this resource"
            }
            (_, false) => {
                "its gateway responses carry no CORS header unless configured, so the browser hides the real error. Map gatewayresponse.header.Access-Control-Allow-Origin on DEFAULT_4XX and DEFAULT_5XX"
            }
        };
        return Some(format!(
            "This answer was made by API Gateway itself (x-amzn-ErrorType: {kind}), not by your function: {advice}. `cors-tui lessons` lists the API Gateway lessons."
        ));
    }
    if response.header("apigw-requestid").is_some() {
        let advice = match (response.status, preflight) {
            (404, _) => Some(
                "no route of the HTTP API takes this method and path (404 Not Found). With CorsConfiguration set, API Gateway answers preflights itself unless a route matches OPTIONS",
            ),
            (401 | 403, true) => Some(
                "a route that matches OPTIONS (such as $default or ANY /{proxy+}) took the preflight to its authorizer. Add an OPTIONS route with AuthorizationType NONE on the same path",
            ),
            (401 | 403, false) => Some(
                "the route's authorizer refused the request before the function ran, and the answer carries no CORS header (inferred), so the browser hides the real status",
            ),
            _ => None,
        }?;
        return Some(format!(
            "This answer came from an API Gateway HTTP API (apigw-requestid): {advice}. `cors-tui lessons` lists the API Gateway lessons."
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_response as answer;

    #[test]
    fn api_gateways_own_answers_are_told_from_the_functions() {
        let missing = answer(
            403,
            &[("x-amzn-ErrorType", "MissingAuthenticationTokenException")],
        );
        let advice = api_gateway_advice(&missing, true).unwrap_or_default();
        assert!(advice.contains("no OPTIONS method"), "{advice}");
        let refused = answer(401, &[("x-amzn-ErrorType", "UnauthorizedException")]);
        let advice = api_gateway_advice(&refused, false).unwrap_or_default();
        assert!(advice.contains("DEFAULT_4XX"), "{advice}");
        let route = answer(401, &[("apigw-requestid", "P6bHuiIBoAMEV3w=")]);
        let advice = api_gateway_advice(&route, true).unwrap_or_default();
        assert!(advice.contains("AuthorizationType NONE"), "{advice}");
        assert_eq!(
            api_gateway_advice(&answer(200, &[("Content-Type", "text/plain")]), false),
            None
        );
    }
}
