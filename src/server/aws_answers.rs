//! What an answer's headers say about the AWS service that made it, for recorded answers: API
//! Gateway marks its own errors with `x-amzn-ErrorType` (a REST API's gateway responses) and
//! every answer of a REST API with `x-amz-apigw-id` (so one without `x-amzn-ErrorType` is the
//! integration's, passed through), and an HTTP API's with `apigw-requestid`. A recording can then
//! tell a blocked request that API Gateway refused from one the function answered. CloudFront
//! marks an answer it served from its cache with `X-Cache: Hit from cloudfront`: one without the
//! CORS headers its request needed was stored for another request.

use crate::http::HttpResponse;

/// Who made a recorded answer, as far as its headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerSource {
    /// A REST API's own answer (a gateway response): `x-amzn-ErrorType`.
    RestApiGateway,
    /// A REST API's integration (a Lambda function through a proxy integration, an HTTP
    /// backend, or a MOCK method), passed through: `x-amz-apigw-id` without `x-amzn-ErrorType`.
    RestApiIntegration,
    /// An HTTP API's answer from its integration (`apigw-requestid`), which carries the API's
    /// CorsConfiguration headers.
    HttpApi,
    /// An HTTP API's own answer: no route (404), or an authorizer's refusal (401, 403).
    HttpApiRoute,
    /// A copy CloudFront stored for another request and served from its cache (`X-Cache: Hit
    /// from cloudfront`) without the Access-Control-Allow-Origin this one needed.
    CloudFrontCopy,
    /// CloudFront's own 403 for a method its cache behaviour does not allow (`Server:
    /// CloudFront`, `X-Cache: Error from cloudfront`).
    CloudFrontRefused,
}

/// Who made `response`, the answer to a request from `origin`, or None when no AWS header marks
/// it.
pub fn source_of(response: &HttpResponse, origin: &str) -> Option<AnswerSource> {
    if stored_for_another(response, origin).is_some() {
        Some(AnswerSource::CloudFrontCopy)
    } else if refused_by_cloudfront(response) {
        Some(AnswerSource::CloudFrontRefused)
    } else if response.header("x-amzn-ErrorType").is_some() {
        Some(AnswerSource::RestApiGateway)
    } else if response.header("apigw-requestid").is_some() {
        Some(match response.status {
            401 | 403 | 404 => AnswerSource::HttpApiRoute,
            _ => AnswerSource::HttpApi,
        })
    } else if response.header("x-amz-apigw-id").is_some() {
        Some(AnswerSource::RestApiIntegration)
    } else {
        None
    }
}

/// Advice for a blocked answer to a request from `origin`, made by `source` (its AWS headers
/// say, [`source_of`]), or None: `preflight` when the answer is a preflight's, and
/// `page_method` the method the page sends.
pub fn advice(
    (response, source): (&HttpResponse, AnswerSource),
    origin: &str,
    preflight: bool,
    page_method: &str,
) -> Option<String> {
    match source {
        AnswerSource::CloudFrontCopy => cloudfront_cache_advice(response, origin),
        AnswerSource::CloudFrontRefused => {
            let method = if preflight { "OPTIONS" } else { page_method };
            cloudfront_refusal_advice(response, method, page_method)
        }
        AnswerSource::RestApiGateway
        | AnswerSource::HttpApi
        | AnswerSource::HttpApiRoute
        | AnswerSource::RestApiIntegration => api_gateway_advice(response, source, preflight),
    }
}

/// Advice for a blocked answer that came from API Gateway (`source`), or None.
fn api_gateway_advice(
    response: &HttpResponse,
    source: AnswerSource,
    preflight: bool,
) -> Option<String> {
    match source {
        AnswerSource::CloudFrontCopy | AnswerSource::CloudFrontRefused => None,
        AnswerSource::RestApiGateway => Some(gateway_response_advice(response, preflight)),
        AnswerSource::HttpApi | AnswerSource::HttpApiRoute => {
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
                // The integration's answer: with CorsConfiguration set, API Gateway puts its
                // own CORS headers on it and drops the function's (documented).
                (_, false) if response.header("Access-Control-Allow-Origin").is_none() => Some(
                    "the answer carries no Access-Control-Allow-Origin. With CorsConfiguration set, API Gateway adds it to the integration's answers for the origins in AllowOrigins and ignores any the function sends, so this origin is not in AllowOrigins; without CorsConfiguration, the function must send it",
                ),
                _ => None,
            }?;
            Some(format!(
                "This answer came from an API Gateway HTTP API (apigw-requestid): {advice}. `cors-tui lessons` lists the API Gateway lessons."
            ))
        }
        AnswerSource::RestApiIntegration => {
            let advice = if preflight {
                "the resource's OPTIONS method answered without what the browser needed: the MOCK method that Enable CORS, CDK's defaultCorsPreflightOptions or SAM's Cors builds (its headers are fixed in its integration response), or your function through ANY or {proxy+}. Give that answer the missing header, and deploy the API again"
            } else {
                "the answer is your integration's, passed through. With a Lambda proxy integration (CDK's LambdaIntegration, SAM's Api events) API Gateway adds no CORS header, and its CORS setting (Enable CORS, defaultCorsPreflightOptions, Cors) only answers the OPTIONS preflight: the function must return Access-Control-Allow-Origin itself, on every answer, errors included"
            };
            Some(format!(
                "This answer came through an API Gateway REST API (x-amz-apigw-id, and no x-amzn-ErrorType: not API Gateway's own): {advice}. `cors-tui lessons` lists the API Gateway lessons."
            ))
        }
    }
}

/// Advice for a blocked answer CloudFront served from its cache (`X-Cache: Hit from cloudfront`)
/// without the Access-Control-Allow-Origin a request from `origin` needs: the copy was stored
/// for another request. None for any other answer.
fn cloudfront_cache_advice(response: &HttpResponse, origin: &str) -> Option<String> {
    let (cache, stored_for) = stored_for_another(response, origin)?;
    Some(format!(
        "CloudFront served this answer from its cache (X-Cache: {cache}): a copy stored for {stored_for} (inferred: the recording cannot show which request stored it). Origin is not in the behaviour's cache key (the managed CachingOptimized policy leaves it out, and CORS-S3Origin only forwards it), so the first request to reach an edge decides what every later one gets there until the copy expires. Put Origin in the cache key with a cache policy of your own (with Access-Control-Request-Headers and -Method where OPTIONS answers are cached), or have a response headers policy add the CORS headers: CloudFront applies it to cached answers too."
    ))
}

/// Whether `response` is CloudFront's own 403 (a method outside the behaviour's AllowedMethods):
/// it names itself as the server, and its X-Cache an error.
fn refused_by_cloudfront(response: &HttpResponse) -> bool {
    response.status == 403
        && response
            .header("Server")
            .is_some_and(|server| server.eq_ignore_ascii_case("CloudFront"))
        && response
            .header("X-Cache")
            .is_some_and(|cache| cache.eq_ignore_ascii_case("Error from cloudfront"))
}

/// Advice for CloudFront's own refusal of `method` (the exchange's: OPTIONS for a preflight),
/// for a page that sends `page_method`; None for any other answer.
fn cloudfront_refusal_advice(
    response: &HttpResponse,
    method: &str,
    page_method: &str,
) -> Option<String> {
    if !refused_by_cloudfront(response) {
        return None;
    }
    let allowed = cloudfront_methods_for(page_method).join(", ");
    Some(format!(
        "CloudFront refused the {method} itself (403 with Server: CloudFront and X-Cache: Error from cloudfront, and no CORS header), before the origin saw it: the cache behaviour's AllowedMethods does not hold {method}. With the default GET, HEAD every preflight is refused this way (observed). Allow {allowed}; the origin then answers the preflight itself (a bucket does, from its CORS rules)."
    ))
}

/// The smallest of CloudFront's three AllowedMethods sets that lets a page's `method` through
/// with its preflight.
pub fn cloudfront_methods_for(method: &str) -> &'static [&'static str] {
    if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
        &["GET", "HEAD", "OPTIONS"]
    } else {
        &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    }
}

/// For a copy CloudFront served from its cache (`X-Cache: Hit from cloudfront`) without the
/// Access-Control-Allow-Origin a request from `origin` needs: its X-Cache, and the request it
/// was stored for, in words.
fn stored_for_another(response: &HttpResponse, origin: &str) -> Option<(String, String)> {
    let cache = response.header("X-Cache")?;
    let lower = cache.to_ascii_lowercase();
    if !(lower.starts_with("hit from cloudfront")
        || lower.starts_with("refreshhit from cloudfront"))
    {
        return None;
    }
    let stored_for = match response.header("Access-Control-Allow-Origin") {
        None => "a request without Origin (an <img> or <link> without crossorigin, curl, a crawler), to which an origin that only answers CORS requests with CORS headers, as S3 does, sent none".to_string(),
        Some(other) if other != origin && other != "*" => format!(
            "a request from another origin (the copy says Access-Control-Allow-Origin: {other})"
        ),
        Some(_) => return None,
    };
    Some((cache, stored_for))
}

/// Advice for a REST API's own answer (a gateway response), by its `x-amzn-ErrorType`.
fn gateway_response_advice(response: &HttpResponse, preflight: bool) -> String {
    let kind = response
        .header("x-amzn-ErrorType")
        .unwrap_or_default()
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
    format!(
        "This answer was made by API Gateway itself (x-amzn-ErrorType: {kind}), not by your function: {advice}. `cors-tui lessons` lists the API Gateway lessons."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_response as answer;

    /// The advice for an answer, from whoever its headers say made it.
    fn gateway_advice(response: &HttpResponse, preflight: bool) -> Option<String> {
        api_gateway_advice(response, source_of(response, "")?, preflight)
    }

    #[test]
    fn api_gateways_own_answers_are_told_from_the_functions() {
        let missing = answer(
            403,
            &[("x-amzn-ErrorType", "MissingAuthenticationTokenException")],
        );
        let advice = gateway_advice(&missing, true).unwrap_or_default();
        assert!(advice.contains("no OPTIONS method"), "{advice}");
        let refused = answer(401, &[("x-amzn-ErrorType", "UnauthorizedException")]);
        let advice = gateway_advice(&refused, false).unwrap_or_default();
        assert!(advice.contains("DEFAULT_4XX"), "{advice}");
        let integration = answer(200, &[("apigw-requestid", "P6bHuiIBoAMEV3w=")]);
        let advice = gateway_advice(&integration, false).unwrap_or_default();
        assert!(advice.contains("not in AllowOrigins"), "{advice}");
        let allowed = answer(
            200,
            &[
                ("apigw-requestid", "P6bHuiIBoAMEV3w="),
                ("Access-Control-Allow-Origin", "*"),
            ],
        );
        assert_eq!(gateway_advice(&allowed, false), None);
        let route = answer(401, &[("apigw-requestid", "P6bHuiIBoAMEV3w=")]);
        let advice = gateway_advice(&route, true).unwrap_or_default();
        assert!(advice.contains("AuthorizationType NONE"), "{advice}");
        assert_eq!(
            gateway_advice(&answer(200, &[("Content-Type", "text/plain")]), false),
            None
        );
    }

    /// A cached copy without the CORS headers, or with another origin's, is CloudFront's cache
    /// key at work; a miss, or a copy that names the origin, is not.
    #[test]
    fn a_cached_copy_stored_for_another_request_is_named() {
        let origin = "https://app.example";
        let bare = answer(200, &[("X-Cache", "Hit from cloudfront")]);
        let advice = cloudfront_cache_advice(&bare, origin).unwrap_or_default();
        assert!(advice.contains("a request without Origin"), "{advice}");
        assert_eq!(source_of(&bare, origin), Some(AnswerSource::CloudFrontCopy));
        assert!(advice.contains("Put Origin in the cache key"), "{advice}");
        let other = answer(
            200,
            &[
                ("X-Cache", "RefreshHit from cloudfront"),
                ("Access-Control-Allow-Origin", "https://other.example"),
            ],
        );
        let advice = cloudfront_cache_advice(&other, origin).unwrap_or_default();
        assert!(
            advice.contains("Access-Control-Allow-Origin: https://other.example"),
            "{advice}"
        );
        let miss = answer(200, &[("X-Cache", "Miss from cloudfront")]);
        assert_eq!(cloudfront_cache_advice(&miss, origin), None);
        let named = answer(
            200,
            &[
                ("X-Cache", "Hit from cloudfront"),
                ("Access-Control-Allow-Origin", origin),
            ],
        );
        assert_eq!(cloudfront_cache_advice(&named, origin), None);
        assert_eq!(source_of(&named, origin), None);
    }

    /// CloudFront's own 403 names itself and an error in X-Cache; the origin's 403 through it
    /// names the origin.
    #[test]
    fn cloudfronts_own_refusal_is_told_from_the_origins() {
        let own = answer(
            403,
            &[
                ("Server", "CloudFront"),
                ("X-Cache", "Error from cloudfront"),
                ("Content-Type", "text/html"),
            ],
        );
        assert_eq!(source_of(&own, ""), Some(AnswerSource::CloudFrontRefused));
        let advice = cloudfront_refusal_advice(&own, "OPTIONS", "PUT").unwrap_or_default();
        assert!(advice.contains("does not hold OPTIONS"), "{advice}");
        assert!(
            advice.contains("Allow GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"),
            "{advice}"
        );
        let get = cloudfront_refusal_advice(&own, "OPTIONS", "GET").unwrap_or_default();
        assert!(get.contains("Allow GET, HEAD, OPTIONS;"), "{get}");
        let bucket = answer(
            403,
            &[("Server", "AmazonS3"), ("X-Cache", "Error from cloudfront")],
        );
        assert_eq!(source_of(&bucket, ""), None);
        assert_eq!(cloudfront_refusal_advice(&bucket, "OPTIONS", "GET"), None);
    }

    /// A REST API stamps every answer with x-amz-apigw-id; only its own errors add
    /// x-amzn-ErrorType. The rest is the integration's: with a proxy integration, the function's.
    #[test]
    fn a_rest_apis_integration_answer_is_told_from_its_own() {
        let passed_through = answer(400, &[("x-amz-apigw-id", "aKdGAEyDoAMEkMg=")]);
        assert_eq!(
            source_of(&passed_through, "https://app.example"),
            Some(AnswerSource::RestApiIntegration)
        );
        let advice = gateway_advice(&passed_through, false).unwrap_or_default();
        assert!(advice.contains("Lambda proxy integration"), "{advice}");
        assert!(advice.contains("errors included"), "{advice}");
        let preflight = gateway_advice(&passed_through, true).unwrap_or_default();
        assert!(preflight.contains("OPTIONS method"), "{preflight}");
        let own = answer(
            403,
            &[
                ("x-amz-apigw-id", "aKdGAEyDoAMEkMg="),
                ("x-amzn-ErrorType", "ForbiddenException"),
            ],
        );
        assert_eq!(source_of(&own, ""), Some(AnswerSource::RestApiGateway));
        let http = answer(404, &[("apigw-requestid", "P6bHuiIBoAMEV3w=")]);
        assert_eq!(source_of(&http, ""), Some(AnswerSource::HttpApiRoute));
        let through = answer(200, &[("apigw-requestid", "P6bHuiIBoAMEV3w=")]);
        assert_eq!(source_of(&through, ""), Some(AnswerSource::HttpApi));
        assert_eq!(
            source_of(&answer(200, &[("Via", "1.1 x.cloudfront.net")]), ""),
            None
        );
    }
}
