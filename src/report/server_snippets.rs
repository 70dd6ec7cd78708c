//! A header fix written as the configuration of what most likely answered, by what the
//! answer's headers say (`aws_answers::source_of`): nginx, Express with the `cors` package and
//! tower-http's `CorsLayer` where nothing says; the Lambda function behind a REST API's proxy
//! integration (and CDK's preflight options where the preflight must change); an HTTP API's
//! CorsConfiguration; CloudFront's cache key or its cache behaviour's methods. Each sets exactly
//! the headers the fix names and the replay proved; nothing is added, and a header the answer
//! already sent is replaced, never sent again.

use crate::analysis::fix::{HeaderPolicy, SentOrigin};
use crate::http::syntax::is_token;
use crate::server::aws_answers::AnswerSource;

/// One server's snippet: its name and its lines.
pub struct Snippet {
    pub server: &'static str,
    pub lines: Vec<String>,
}

/// The snippets for `policy`, or none when a value would not sit safely in a config file (an
/// origin with quotes or spaces, a header name that is not a token: a recording can hold
/// anything).
pub fn snippets(policy: &HeaderPolicy) -> Vec<Snippet> {
    let plain_origin = policy.origin == "null"
        || policy
            .origin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/.-[]".contains(c));
    let tokens =
        policy.headers.iter().all(|h| is_token(h)) && policy.method.as_deref().is_none_or(is_token);
    if !plain_origin || !tokens {
        return Vec::new();
    }
    // Sent more than once: the fix is to stop one of the places that adds it.
    if matches!(policy.sent, SentOrigin::MoreThanOnce(_)) {
        return Vec::new();
    }
    let mut snippets = match policy.source {
        None => vec![nginx(policy), express(policy), tower_http(policy)],
        Some(AnswerSource::RestApiIntegration) => {
            let mut snippets = vec![lambda_node(policy), lambda_python(policy)];
            if policy.preflight {
                snippets.push(cdk_preflight(policy));
            }
            snippets
        }
        // The origin may answer right: the cache key is what to change.
        Some(AnswerSource::CloudFrontCopy) => vec![cloudfront_cache_policy()],
        // The origin never saw the request: the behaviour's methods are what to change.
        Some(AnswerSource::CloudFrontRefused) => vec![cloudfront_methods(policy)],
        // API Gateway's own answers: the advice beside the fix says where they are set; no
        // web server's configuration applies.
        Some(AnswerSource::RestApiGateway | AnswerSource::HttpApiRoute) => Vec::new(),
        // An HTTP API puts its CorsConfiguration's headers on its integration's answers.
        Some(AnswerSource::HttpApi) => http_api_cors(policy).into_iter().collect(),
    };
    // A value for another origin is changed, not joined by a second one (a cached copy's is
    // the cache key's doing, not the origin's).
    if let SentOrigin::Other(old) = &policy.sent
        && policy.source != Some(AnswerSource::CloudFrontCopy)
    {
        for snippet in &mut snippets {
            // In the snippet's own comment syntax, as its first line is written.
            let comment = match snippet.lines.first() {
                Some(first) if first.starts_with('#') => "#",
                _ => "//",
            };
            snippet.lines.insert(
                0,
                format!("{comment} in place of what sends Access-Control-Allow-Origin: {old} now"),
            );
        }
    }
    snippets
}

/// The HTTP API's CorsConfiguration that gives the proven headers, as the API takes it (the
/// same object in CloudFormation and in `aws apigatewayv2 update-api`).
fn http_api_cors(policy: &HeaderPolicy) -> Option<Snippet> {
    let cors = crate::server::http_api::RawCors {
        allow_origins: Some(vec![policy.origin.clone()]),
        allow_methods: policy.method.clone().map(|method| vec![method]),
        allow_headers: (!policy.headers.is_empty()).then(|| policy.headers.clone()),
        allow_credentials: policy.credentials.then_some(true),
        ..Default::default()
    };
    let json = serde_json::to_string_pretty(&cors).ok()?;
    let mut lines = vec![
        "# aws apigatewayv2 update-api --api-id ID --cors-configuration file://cors.json"
            .to_string(),
        "# (the Api's CorsConfiguration in CloudFormation); keep the origins it allows now"
            .to_string(),
    ];
    lines.extend(json.lines().map(str::to_string));
    Some(Snippet {
        server: "API Gateway (the HTTP API's CorsConfiguration)",
        lines,
    })
}

/// The cache behaviour's methods that let the page's request and its preflight through.
fn cloudfront_methods(policy: &HeaderPolicy) -> Snippet {
    let allowed = crate::server::aws_answers::cloudfront_methods_for(&policy.page_method);
    Snippet {
        server: "CloudFront (CloudFormation)",
        lines: vec![
            "# the distribution's DefaultCacheBehavior, or the CacheBehaviors item for this path"
                .to_string(),
            format!("AllowedMethods: [{}]", allowed.join(", ")),
            "CachedMethods: [GET, HEAD]".to_string(),
        ],
    }
}

/// A cache policy with Origin in the cache key, with the managed CachingOptimized policy's
/// times and compression, for the behaviour that served the copy.
fn cloudfront_cache_policy() -> Snippet {
    let lines = [
        "# the cache behaviour's CachePolicyId: each Origin (and no Origin) gets its own copy",
        "OriginInCacheKey:",
        "  Type: AWS::CloudFront::CachePolicy",
        "  Properties:",
        "    CachePolicyConfig:",
        "      Name: origin-in-cache-key",
        "      MinTTL: 1",
        "      DefaultTTL: 86400",
        "      MaxTTL: 31536000",
        "      ParametersInCacheKeyAndForwardedToOrigin:",
        "        EnableAcceptEncodingGzip: true",
        "        EnableAcceptEncodingBrotli: true",
        "        HeadersConfig:",
        "          HeaderBehavior: whitelist",
        "          # with OPTIONS cached: Access-Control-Request-Headers and -Method too",
        "          Headers: [Origin]",
        "        CookiesConfig:",
        "          CookieBehavior: none",
        "        QueryStringsConfig:",
        "          QueryStringBehavior: none",
    ];
    Snippet {
        server: "CloudFront (CloudFormation)",
        lines: lines.iter().map(|l| l.to_string()).collect(),
    }
}

/// The headers every answer of the function carries, as (name, value).
fn answer_headers(policy: &HeaderPolicy) -> Vec<(&'static str, &str)> {
    let mut headers = vec![("Access-Control-Allow-Origin", policy.origin.as_str())];
    if policy.credentials {
        headers.push(("Access-Control-Allow-Credentials", "true"));
    }
    headers
}

fn lambda_node(policy: &HeaderPolicy) -> Snippet {
    let mut lines = vec![
        "// in the handler: on every answer it returns, errors included".to_string(),
        "const cors = {".to_string(),
    ];
    lines.extend(
        answer_headers(policy)
            .into_iter()
            .map(|(name, value)| format!("  '{name}': '{value}',")),
    );
    lines.push("};".to_string());
    lines.push(
        "return { statusCode, headers: { ...cors, 'Content-Type': 'application/json' }, body };"
            .to_string(),
    );
    Snippet {
        server: "the Lambda function (proxy integration), Node.js",
        lines,
    }
}

fn lambda_python(policy: &HeaderPolicy) -> Snippet {
    let pairs: Vec<String> = answer_headers(policy)
        .into_iter()
        .map(|(name, value)| format!("\"{name}\": \"{value}\""))
        .collect();
    Snippet {
        server: "the Lambda function (proxy integration), Python",
        lines: vec![
            "# in the handler: on every answer it returns, errors included".to_string(),
            format!("CORS = {{{}}}", pairs.join(", ")),
            "return {\"statusCode\": status, \"headers\": {**CORS, \"Content-Type\": \"application/json\"}, \"body\": body}".to_string(),
        ],
    }
}

/// The preflight API Gateway answers itself: CDK's MOCK OPTIONS method on every resource.
fn cdk_preflight(policy: &HeaderPolicy) -> Snippet {
    let mut lines = vec![
        "// the OPTIONS method API Gateway answers itself (a MOCK integration)".to_string(),
        "new apigateway.RestApi(this, 'Api', {".to_string(),
        "  defaultCorsPreflightOptions: {".to_string(),
        format!("    allowOrigins: ['{}'],", policy.origin),
    ];
    if let Some(method) = &policy.method {
        lines.push(format!("    allowMethods: ['{method}'],"));
    }
    if !policy.headers.is_empty() {
        let quoted: Vec<String> = policy.headers.iter().map(|h| format!("'{h}'")).collect();
        lines.push(format!("    allowHeaders: [{}],", quoted.join(", ")));
    }
    if policy.credentials {
        lines.push("    allowCredentials: true,".to_string());
    }
    lines.push("  },".to_string());
    lines.push("});".to_string());
    Snippet {
        server: "AWS CDK",
        lines,
    }
}

fn nginx(policy: &HeaderPolicy) -> Snippet {
    let origin = &policy.origin;
    let mut answer = vec![format!(
        "add_header Access-Control-Allow-Origin \"{origin}\" always;"
    )];
    if policy.credentials {
        answer.push("add_header Access-Control-Allow-Credentials \"true\" always;".to_string());
    }
    let mut lines =
        vec!["# in the location that serves it; `always` covers error answers too".to_string()];
    if policy.preflight {
        lines.push("if ($request_method = OPTIONS) {".to_string());
        lines.extend(answer.iter().map(|l| format!("    {l}")));
        if let Some(method) = &policy.method {
            lines.push(format!(
                "    add_header Access-Control-Allow-Methods \"{method}\" always;"
            ));
        }
        if !policy.headers.is_empty() {
            lines.push(format!(
                "    add_header Access-Control-Allow-Headers \"{}\" always;",
                policy.headers.join(", ")
            ));
        }
        lines.push("    return 204;".to_string());
        lines.push("}".to_string());
    }
    lines.extend(answer);
    Snippet {
        server: "nginx",
        lines,
    }
}

fn express(policy: &HeaderPolicy) -> Snippet {
    let mut lines = vec![
        "// npm install cors; before the routes, so error answers carry the headers too"
            .to_string(),
        "const cors = require('cors');".to_string(),
        "app.use(cors({".to_string(),
        format!("  origin: '{}',", policy.origin),
    ];
    if policy.credentials {
        lines.push("  credentials: true,".to_string());
    }
    if let Some(method) = &policy.method {
        // The package's default list already has the usual methods; name the one needed.
        lines.push(format!("  methods: ['GET', 'HEAD', 'POST', '{method}'],"));
    }
    if !policy.headers.is_empty() {
        let quoted: Vec<String> = policy.headers.iter().map(|h| format!("'{h}'")).collect();
        lines.push(format!("  allowedHeaders: [{}],", quoted.join(", ")));
    }
    lines.push("}));".to_string());
    Snippet {
        server: "Express (the cors package)",
        lines,
    }
}

fn tower_http(policy: &HeaderPolicy) -> Snippet {
    let mut lines = vec![
        "// tower-http: CorsLayer answers the preflight and adds the headers to every answer"
            .to_string(),
        "use tower_http::cors::CorsLayer;".to_string(),
        "let cors = CorsLayer::new()".to_string(),
        format!(
            "    .allow_origin(http::HeaderValue::from_static(\"{}\"))",
            policy.origin
        ),
    ];
    if let Some(method) = &policy.method {
        let constant = match method.as_str() {
            "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "CONNECT" | "TRACE" => {
                format!("http::Method::{method}")
            }
            other => format!("http::Method::from_bytes(b\"{other}\").expect(\"a method\")"),
        };
        lines.push(format!("    .allow_methods([{constant}])"));
    }
    if !policy.headers.is_empty() {
        let names: Vec<String> = policy
            .headers
            .iter()
            .map(|h| match h.as_str() {
                "content-type" => "http::header::CONTENT_TYPE".to_string(),
                "authorization" => "http::header::AUTHORIZATION".to_string(),
                other => format!("http::HeaderName::from_static(\"{other}\")"),
            })
            .collect();
        lines.push(format!("    .allow_headers([{}])", names.join(", ")));
    }
    if policy.credentials {
        lines.push("    .allow_credentials(true)".to_string());
    }
    if let Some(last) = lines.last_mut() {
        last.push(';');
    }
    lines.push("let app = app.layer(cors);".to_string());
    Snippet {
        server: "Rust (tower-http)",
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(method: Option<&str>, headers: &[&str], credentials: bool) -> HeaderPolicy {
        HeaderPolicy {
            origin: "https://app.example".to_string(),
            credentials,
            method: method.map(String::from),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            preflight: method.is_some() || !headers.is_empty(),
            page_method: method.unwrap_or("GET").to_string(),
            source: None,
            sent: SentOrigin::Missing,
        }
    }

    /// An answer a REST API passed through from its function: the fix is the function's, in
    /// the two languages its handlers are most often written in, and CDK's preflight options
    /// only where the preflight must change.
    #[test]
    fn an_answer_passed_through_api_gateway_is_fixed_in_the_function() {
        let mut through = policy(Some("PUT"), &["content-type"], true);
        through.source = Some(AnswerSource::RestApiIntegration);
        let all = snippets(&through);
        let servers: Vec<&str> = all.iter().map(|s| s.server).collect();
        assert_eq!(
            servers,
            [
                "the Lambda function (proxy integration), Node.js",
                "the Lambda function (proxy integration), Python",
                "AWS CDK"
            ]
        );
        let node = all[0].lines.join("\n");
        assert!(node.contains("'Access-Control-Allow-Origin': 'https://app.example',"));
        assert!(node.contains("'Access-Control-Allow-Credentials': 'true',"));
        let python = all[1].lines.join("\n");
        assert!(python.contains(
            "CORS = {\"Access-Control-Allow-Origin\": \"https://app.example\", \"Access-Control-Allow-Credentials\": \"true\"}"
        ));
        let cdk = all[2].lines.join("\n");
        assert!(cdk.contains("allowMethods: ['PUT'],"));
        assert!(cdk.contains("allowHeaders: ['content-type'],"));
        assert!(cdk.contains("allowCredentials: true,"));

        // The recorded preflight passed: only the function changes.
        through.preflight = false;
        assert_eq!(snippets(&through).len(), 2);
        // API Gateway's own answer: no server's configuration applies.
        through.source = Some(AnswerSource::RestApiGateway);
        assert!(snippets(&through).is_empty());
    }

    /// An answer that sent the header twice gets no configuration that adds it a third time;
    /// one that named another origin gets configurations that replace it.
    #[test]
    fn a_header_already_sent_is_replaced_or_sent_once() {
        let mut twice = policy(None, &[], false);
        twice.sent = SentOrigin::MoreThanOnce("https://app.example, https://app.example".into());
        assert!(snippets(&twice).is_empty());
        let mut other = policy(None, &[], false);
        other.sent = SentOrigin::Other("https://old.example".into());
        let all = snippets(&other);
        assert_eq!(
            all[0].lines[0],
            "# in place of what sends Access-Control-Allow-Origin: https://old.example now"
        );
        assert!(all[1].lines[0].starts_with("// in place of"));
    }

    /// CloudFront refused the preflight itself: its behaviour's methods change, to the
    /// smallest of its three sets that lets the page's method through.
    #[test]
    fn a_cloudfront_refusal_is_fixed_in_the_behaviours_methods() {
        let mut put = policy(Some("PUT"), &["content-type"], false);
        put.source = Some(AnswerSource::CloudFrontRefused);
        let all = snippets(&put);
        assert_eq!(all.len(), 1);
        assert!(all[0].lines.contains(
            &"AllowedMethods: [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE]".to_string()
        ));
        let mut get = policy(None, &["x-trace"], false);
        get.source = Some(AnswerSource::CloudFrontRefused);
        assert!(
            snippets(&get)[0]
                .lines
                .contains(&"AllowedMethods: [GET, HEAD, OPTIONS]".to_string())
        );
    }

    /// An HTTP API's integration answer: the API's CorsConfiguration, which its own validation
    /// accepts and which allows the origin; none for the API's own refusals.
    #[test]
    fn an_http_apis_answer_is_fixed_in_its_cors_configuration() {
        let mut api = policy(Some("PUT"), &["content-type"], true);
        api.source = Some(AnswerSource::HttpApi);
        let all = snippets(&api);
        assert_eq!(all.len(), 1);
        let json: String = all[0]
            .lines
            .iter()
            .filter(|line| !line.starts_with('#'))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        let raw: crate::server::http_api::RawCors =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        let cors = crate::server::http_api::validate(raw)
            .unwrap_or_else(|refusals| panic!("{refusals:?}: {json}"));
        assert_eq!(cors.allow_origins, ["https://app.example"]);
        assert_eq!(cors.allow_methods, ["PUT"]);
        assert!(cors.allow_credentials);
        api.source = Some(AnswerSource::HttpApiRoute);
        assert!(snippets(&api).is_empty());
    }

    /// A copy CloudFront stored for another request: the cache key changes, not the origin.
    #[test]
    fn a_cloudfront_copy_is_fixed_in_the_cache_key() {
        let mut copy = policy(None, &[], false);
        copy.source = Some(AnswerSource::CloudFrontCopy);
        let all = snippets(&copy);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].server, "CloudFront (CloudFormation)");
        let yaml = all[0].lines.join("\n");
        assert!(yaml.contains("Type: AWS::CloudFront::CachePolicy"));
        assert!(yaml.contains("HeaderBehavior: whitelist"));
        assert!(yaml.contains("Headers: [Origin]"));
    }

    #[test]
    fn a_preflighted_put_with_credentials_sets_each_header_once() {
        let all = snippets(&policy(Some("PUT"), &["content-type", "x-trace"], true));
        let text = |i: usize| all[i].lines.join("\n");
        assert_eq!(all.len(), 3);
        let nginx = text(0);
        assert!(nginx.contains("if ($request_method = OPTIONS) {"));
        assert!(nginx.contains("add_header Access-Control-Allow-Methods \"PUT\" always;"));
        assert!(nginx.contains("\"content-type, x-trace\""));
        assert_eq!(nginx.matches("Access-Control-Allow-Credentials").count(), 2);
        let express = text(1);
        assert!(express.contains("credentials: true,"));
        assert!(express.contains("allowedHeaders: ['content-type', 'x-trace'],"));
        let tower = text(2);
        assert!(tower.contains(".allow_methods([http::Method::PUT])"));
        assert!(tower.contains("http::HeaderName::from_static(\"x-trace\")"));
        assert!(tower.contains(".allow_credentials(true);"));
    }

    #[test]
    fn a_simple_get_needs_no_preflight_branch() {
        let all = snippets(&policy(None, &[], false));
        let nginx = all[0].lines.join("\n");
        assert!(!nginx.contains("OPTIONS"));
        assert!(
            nginx.ends_with(
                "add_header Access-Control-Allow-Origin \"https://app.example\" always;"
            )
        );
        assert!(!all[1].lines.join("\n").contains("credentials"));
    }

    #[test]
    fn values_that_would_break_a_config_file_give_no_snippet() {
        let mut odd = policy(None, &[], false);
        odd.origin = "https://app.example\"; evil".to_string();
        assert!(snippets(&odd).is_empty());
        let bad_header = policy(Some("PUT"), &["bad header"], false);
        assert!(snippets(&bad_header).is_empty());
    }
}
