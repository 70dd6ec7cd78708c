//! `cors-tui convert --to http-api | function-url`: a CORS configuration written as the `Cors`
//! object an API Gateway HTTP API (`aws apigatewayv2 update-api --cors-configuration`) or a
//! Lambda function URL (`aws lambda update-function-url-config --cors`) takes. The source is
//! either of those (an export, a template, an OpenAPI document) or a bucket's rules. The target
//! service's own validation judges the result, and what changes meaning on the way is a note.

use super::config::LoadedConfig;
use super::convert::Converted;
use crate::server::aws_cors::{Cors, RawCors};
use crate::server::{FrontLayer, function_url, http_api};

/// The service whose `Cors` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsTarget {
    HttpApi,
    FunctionUrl,
}

impl AwsTarget {
    pub fn product(self) -> &'static str {
        match self {
            AwsTarget::HttpApi => "an API Gateway HTTP API's CorsConfiguration",
            AwsTarget::FunctionUrl => "a Lambda function URL's Cors",
        }
    }
}

/// A `Cors` object read from an AWS input, and which service it came from.
pub struct AwsSource {
    pub cors: Cors,
    pub from: AwsTarget,
}

/// The one `Cors` in a layer stack (an export, a template, an OpenAPI document), or why there
/// is none to convert.
pub fn source_of(layers: &[FrontLayer]) -> Result<AwsSource, String> {
    let found: Vec<AwsSource> = layers
        .iter()
        .filter_map(|layer| match layer {
            FrontLayer::HttpApi {
                cors: Some(cors), ..
            } => Some(AwsSource {
                cors: cors.clone(),
                from: AwsTarget::HttpApi,
            }),
            FrontLayer::FunctionUrl { cors: Some(cors) } => Some(AwsSource {
                cors: cors.clone(),
                from: AwsTarget::FunctionUrl,
            }),
            _ => None,
        })
        .collect();
    match found.len() {
        1 => found.into_iter().next().ok_or_else(String::new),
        0 => Err("it holds no CorsConfiguration or function URL Cors to convert (a REST API's CORS is its methods and gateway responses, not one object)".to_string()),
        n => Err(format!(
            "it holds {n} CORS configurations; convert takes a file with one"
        )),
    }
}

/// A bucket's rules as one `Cors` object: one rule carries over as it is; several are merged,
/// which lets every origin use every rule's methods and headers.
pub fn from_bucket(loaded: &LoadedConfig, notes: &mut Vec<String>) -> Result<Cors, Vec<String>> {
    let rules = &loaded.config.rules;
    let mut cors = Cors::default();
    let add = |list: &mut Vec<String>, items: &[String]| {
        for item in items {
            if !list.iter().any(|i| i.eq_ignore_ascii_case(item)) {
                list.push(item.clone());
            }
        }
    };
    for rule in rules {
        add(&mut cors.allow_origins, &rule.allowed_origins);
        add(&mut cors.allow_methods, &rule.allowed_methods);
        add(&mut cors.allow_headers, &rule.allowed_headers);
        add(&mut cors.expose_headers, &rule.expose_headers);
    }
    if rules.len() > 1 {
        notes.push(format!(
            "the {} rules are merged into one Cors object: each origin may now use every rule's methods and headers",
            rules.len()
        ));
    }
    let ages: Vec<i64> = rules.iter().filter_map(|r| r.max_age_seconds).collect();
    if let Some(least) = ages.iter().min() {
        cors.max_age = i32::try_from(*least).ok();
        if ages.iter().any(|a| a != least) {
            notes.push(format!(
                "the rules' MaxAgeSeconds differ; the shortest, {least}, is kept"
            ));
        }
    }
    // A bucket answers a listed origin with Access-Control-Allow-Credentials: true; keep that.
    let named = cors.allow_origins.iter().any(|o| o != "*");
    if named {
        cors.allow_credentials = true;
        notes.push(format!(
            "{} sends Access-Control-Allow-Credentials: true to every origin it names, so AllowCredentials is true; set it to false if no request sends cookies",
            loaded.provider().product()
        ));
        if cors.allow_origins.iter().any(|o| o == "*") {
            return Err(vec![
                "the rules allow \"*\" and named origins; with AllowCredentials true AWS refuses (or, on a function URL, reflects every origin): remove \"*\" or the named origins".to_string(),
            ]);
        }
    }
    Ok(cors)
}

/// `cors` written for `to`, judged by `to`'s own validation.
pub fn write(
    cors: Cors,
    from: Option<AwsTarget>,
    to: AwsTarget,
    mut notes: Vec<String>,
) -> Result<Converted, Vec<String>> {
    let raw = RawCors::from(&cors);
    let text = serde_json::to_string_pretty(&raw).unwrap_or_default();
    let refusals = match to {
        AwsTarget::HttpApi => http_api::validate(RawCors::from(&cors)).err(),
        AwsTarget::FunctionUrl => function_url::validate(RawCors::from(&cors)).err(),
    };
    if let Some(refusals) = refusals {
        return Err(refusals
            .into_iter()
            .map(|(key, index, message)| match index {
                Some(i) => format!("{key}[{i}]: {message}"),
                None => format!("{key}: {message}"),
            })
            .collect());
    }
    match (from, to) {
        (Some(AwsTarget::HttpApi), AwsTarget::FunctionUrl) => notes.push(
            "a function URL adds these headers after the function's own, where an HTTP API replaced them: if the function sets Access-Control-* headers, remove them, or answers carry two values".to_string(),
        ),
        (Some(AwsTarget::FunctionUrl), AwsTarget::HttpApi) => notes.push(
            "an HTTP API drops the CORS headers the function returns and sends these instead; a route that matches OPTIONS with an authorizer still takes the preflight".to_string(),
        ),
        (None, AwsTarget::HttpApi) => notes.push(
            "an HTTP API answers preflights itself from this object and drops the CORS headers the function returns".to_string(),
        ),
        (None, AwsTarget::FunctionUrl) => notes.push(
            "a function URL answers preflights itself from this object and adds its headers to the function's answers: the function must not set them too".to_string(),
        ),
        _ => {}
    }
    Ok(Converted { text, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_apis_cors_becomes_a_function_urls_and_a_bad_max_age_is_refused() {
        let cors = Cors {
            allow_origins: vec!["https://app.example".to_string()],
            allow_methods: vec!["GET".to_string(), "POST".to_string()],
            max_age: Some(600),
            ..Cors::default()
        };
        let Ok(converted) = write(
            cors.clone(),
            Some(AwsTarget::HttpApi),
            AwsTarget::FunctionUrl,
            Vec::new(),
        ) else {
            panic!("converted");
        };
        assert!(converted.text.contains("\"AllowOrigins\""));
        assert!(converted.notes[0].contains("adds these headers after the function's own"));
        let refused = write(
            Cors {
                max_age: Some(-1),
                ..cors
            },
            Some(AwsTarget::HttpApi),
            AwsTarget::FunctionUrl,
            Vec::new(),
        );
        assert!(refused.is_err());
    }
}
