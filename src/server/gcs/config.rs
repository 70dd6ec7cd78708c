//! A GCS bucket's `cors` list as `gcloud storage buckets update --cors-file` takes it, read and
//! written by one type, and accepted as the service accepts it.

use serde::{Deserialize, Serialize};

use crate::server::rules::{CorsConfiguration, CorsRule, PathPart, Rejection, non_empty};

/// One entry of a GCS bucket's `cors` list, as `gcloud storage buckets update --cors-file`
/// takes it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawGcsRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i64>,
}

/// A GCS rule list as the service stores it. GCS accepts entries that can never match (no
/// origin or no method); the audit reports those.
pub fn validate_gcs(raw: Vec<RawGcsRule>) -> Result<CorsConfiguration, Vec<Rejection>> {
    use PathPart::{Index, Key};
    let mut rejections = Vec::new();
    let mut rules = Vec::with_capacity(raw.len());
    for (i, rule) in raw.into_iter().enumerate() {
        if let Some(age) = rule.max_age_seconds
            && age < 0
        {
            rejections.push(Rejection {
                path: vec![Index(i), Key("maxAgeSeconds")],
                code: "invalid",
                message: format!("maxAgeSeconds must be zero or more, not {age}"),
            });
        }
        rules.push(CorsRule {
            id: None,
            allowed_origins: rule.origin.unwrap_or_default(),
            allowed_methods: rule.method.unwrap_or_default(),
            allowed_headers: Vec::new(),
            expose_headers: rule.response_header.unwrap_or_default(),
            max_age_seconds: rule.max_age_seconds,
        });
    }
    if rejections.is_empty() {
        Ok(CorsConfiguration { rules })
    } else {
        Err(rejections)
    }
}

impl From<&CorsRule> for RawGcsRule {
    fn from(rule: &CorsRule) -> Self {
        RawGcsRule {
            origin: Some(rule.allowed_origins.clone()),
            method: Some(rule.allowed_methods.clone()),
            response_header: non_empty(&rule.expose_headers),
            max_age_seconds: rule.max_age_seconds,
        }
    }
}

/// Writes rules as a GCS CORS file, through the type that reads one.
pub fn to_json(rules: &[CorsRule]) -> String {
    let written: Vec<RawGcsRule> = rules.iter().map(Into::into).collect();
    serde_json::to_string_pretty(&written).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::provider::Provider;

    #[test]
    fn gcs_keeps_response_header_as_the_one_header_list() {
        let Ok(config) = validate_gcs(vec![RawGcsRule {
            origin: Some(vec!["https://a.example".into()]),
            method: Some(vec!["GET".into()]),
            response_header: Some(vec!["Content-Type".into()]),
            max_age_seconds: Some(3600),
        }]) else {
            panic!("valid")
        };
        let rule = &config.rules[0];
        assert_eq!(rule.preflight_headers(Provider::Gcs), ["Content-Type"]);
        assert_eq!(rule.expose_headers, ["Content-Type"]);
        assert!(
            validate_gcs(vec![RawGcsRule {
                max_age_seconds: Some(-1),
                ..RawGcsRule::default()
            }])
            .is_err()
        );
    }
}
