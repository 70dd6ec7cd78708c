//! A header fix written as the configuration of the servers a recording most likely came
//! from: nginx, Express with the `cors` package, and tower-http's `CorsLayer`. Each sets
//! exactly the headers the fix names and the replay proved; nothing is added.

use crate::analysis::fix::HeaderPolicy;
use crate::http::syntax::is_token;

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
    vec![nginx(policy), express(policy), tower_http(policy)]
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
        }
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
