//! Azure Blob Storage's CORS rules as ARM and Set Blob Service Properties take them, read and
//! written by one type, and checked as the service checks them.

use serde::{Deserialize, Serialize};

use crate::server::provider::Provider;
use crate::server::rules::{CorsConfiguration, CorsRule, PathPart, Rejection};

/// One Azure `CorsRule`, with its comma-separated lists already split (the XML of Set Blob
/// Service Properties) or given as arrays (ARM, Bicep, the management SDKs).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAzureRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_methods: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_headers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_headers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_in_seconds: Option<i64>,
}

/// Azure rules as ARM writes them: `{"corsRules": [...]}` with arrays.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAzureRules {
    #[serde(rename = "corsRules")]
    pub rules: Vec<RawAzureRule>,
}

/// An Azure rule key as ARM JSON spells it: `AllowedOrigins` → `allowedOrigins`.
pub fn arm_key(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Azure's documented limits (learn.microsoft.com, "CORS support for Azure Storage").
pub const AZURE_MAX_RULES: usize = 5;
pub const AZURE_MAX_LENGTH: usize = 256;
pub const AZURE_MAX_LITERAL_HEADERS: usize = 64;
pub const AZURE_MAX_PREFIXED_HEADERS: usize = 2;
pub const AZURE_MAX_ORIGINS: usize = 64;

const INVALID_XML: &str = "InvalidXmlDocument";

/// Checks rules as Set Blob Service Properties does; every refusal is a 400
/// `InvalidXmlDocument` there.
pub fn validate_azure(raw: Vec<RawAzureRule>) -> Result<CorsConfiguration, Vec<Rejection>> {
    use PathPart::{Index, Key};
    let mut rejections = Vec::new();
    let mut refuse = |path: Vec<PathPart>, message: String| {
        rejections.push(Rejection {
            path,
            code: INVALID_XML,
            message,
        });
    };
    if raw.len() > AZURE_MAX_RULES {
        refuse(
            vec![Index(AZURE_MAX_RULES)],
            format!(
                "a service takes at most {AZURE_MAX_RULES} CORS rules; this configuration has {}",
                raw.len()
            ),
        );
    }
    let methods_allowed = Provider::Azure.methods().unwrap_or(&[]);
    let mut rules = Vec::with_capacity(raw.len());
    for (i, rule) in raw.into_iter().enumerate() {
        let trimmed = |list: Option<Vec<String>>| -> Vec<String> {
            list.unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let origins = trimmed(rule.allowed_origins);
        let methods = trimmed(rule.allowed_methods);
        let headers = trimmed(rule.allowed_headers);
        let exposed = trimmed(rule.exposed_headers);
        if origins.is_empty() {
            refuse(
                vec![Index(i), Key("AllowedOrigins")],
                "AllowedOrigins is required: list origins or \"*\"".to_string(),
            );
        }
        if origins.len() > AZURE_MAX_ORIGINS {
            refuse(
                vec![Index(i), Key("AllowedOrigins"), Index(AZURE_MAX_ORIGINS)],
                format!("a rule takes at most {AZURE_MAX_ORIGINS} origins"),
            );
        }
        if methods.is_empty() {
            refuse(
                vec![Index(i), Key("AllowedMethods")],
                "AllowedMethods is required".to_string(),
            );
        }
        for (j, method) in methods.iter().enumerate() {
            if !methods_allowed.contains(&method.as_str()) {
                refuse(
                    vec![Index(i), Key("AllowedMethods"), Index(j)],
                    format!(
                        "{method} is not a method Azure accepts; use {}",
                        methods_allowed.join(", ")
                    ),
                );
            }
        }
        for (key, list) in [
            ("AllowedOrigins", &origins),
            ("AllowedHeaders", &headers),
            ("ExposedHeaders", &exposed),
        ] {
            for (j, item) in list.iter().enumerate() {
                if item.chars().count() > AZURE_MAX_LENGTH {
                    refuse(
                        vec![Index(i), Key(key), Index(j)],
                        format!("each entry is at most {AZURE_MAX_LENGTH} characters"),
                    );
                }
            }
        }
        for (key, list) in [("AllowedHeaders", &headers), ("ExposedHeaders", &exposed)] {
            let prefixed = list
                .iter()
                .filter(|h| h.ends_with('*') && *h != "*")
                .count();
            let literal = list.iter().filter(|h| !h.ends_with('*')).count();
            if prefixed > AZURE_MAX_PREFIXED_HEADERS {
                refuse(
                    vec![Index(i), Key(key)],
                    format!(
                        "at most {AZURE_MAX_PREFIXED_HEADERS} prefixed headers (ending in *) per list; found {prefixed}"
                    ),
                );
            }
            if literal > AZURE_MAX_LITERAL_HEADERS {
                refuse(
                    vec![Index(i), Key(key)],
                    format!("at most {AZURE_MAX_LITERAL_HEADERS} literal headers per list"),
                );
            }
        }
        match rule.max_age_in_seconds {
            None => refuse(
                vec![Index(i), Key("MaxAgeInSeconds")],
                "MaxAgeInSeconds is required (0 disables preflight caching)".to_string(),
            ),
            Some(age) if age < 0 => refuse(
                vec![Index(i), Key("MaxAgeInSeconds")],
                format!("MaxAgeInSeconds must be zero or more, not {age}"),
            ),
            Some(_) => {}
        }
        rules.push(CorsRule {
            id: None,
            allowed_origins: origins,
            allowed_methods: methods,
            allowed_headers: headers,
            expose_headers: exposed,
            max_age_seconds: rule.max_age_in_seconds,
        });
    }
    if rejections.is_empty() {
        Ok(CorsConfiguration { rules })
    } else {
        Err(rejections)
    }
}

/// Azure takes every key of a rule, so each is written (a missing max age as 0).
impl From<&CorsRule> for RawAzureRule {
    fn from(rule: &CorsRule) -> Self {
        RawAzureRule {
            allowed_origins: Some(rule.allowed_origins.clone()),
            allowed_methods: Some(rule.allowed_methods.clone()),
            allowed_headers: Some(rule.allowed_headers.clone()),
            exposed_headers: Some(rule.expose_headers.clone()),
            max_age_in_seconds: Some(rule.max_age_seconds.unwrap_or(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure(origins: &[&str], methods: &[&str], max_age: Option<i64>) -> RawAzureRule {
        let v = |items: &[&str]| Some(items.iter().map(|s| s.to_string()).collect());
        RawAzureRule {
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: None,
            exposed_headers: None,
            max_age_in_seconds: max_age,
        }
    }

    #[test]
    fn azure_refuses_a_sixth_rule_unknown_methods_and_a_missing_max_age() {
        let six = vec![azure(&["*"], &["GET"], Some(0)); 6];
        let Err(refused) = validate_azure(six) else {
            panic!("six rules are refused")
        };
        assert_eq!(refused.len(), 1);
        assert!(refused[0].message.contains("at most 5"));
        let Err(refused) = validate_azure(vec![azure(&["*"], &["get", "TRACE"], None)]) else {
            panic!("refused")
        };
        let messages: Vec<&str> = refused.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("get is not a method Azure accepts"));
        assert!(messages[2].contains("MaxAgeInSeconds is required"));
        assert!(validate_azure(vec![azure(&["https://a.example"], &["PATCH"], Some(60))]).is_ok());
    }
}
