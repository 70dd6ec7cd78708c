//! An S3 bucket's `CORSConfiguration` as `aws s3api get-bucket-cors` prints it, and checked the
//! way `put-bucket-cors` checks it.
//!
//! Codes and messages are S3's own (see `shared/reference/s3-cors-semantics.md`, section D), so
//! a scenario that loads here is one S3 would have accepted.

use serde::{Deserialize, Serialize};

use crate::server::rules::{CorsConfiguration, CorsRule, PathPart, Rejection, non_empty};

/// The methods S3 accepts in `AllowedMethods` (D1, D8): exactly these, case-sensitive.
pub const S3_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// S3's documented limit on rules per bucket (D5).
pub const MAX_RULES: usize = 100;

/// `{"CORSRules": [...]}` as `aws s3api get-bucket-cors` prints it, or the same wrapped in
/// `{"CORSConfiguration": ...}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    #[serde(rename = "CORSRules", default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<RawCorsRule>>,
    #[serde(
        rename = "CORSConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub wrapped: Option<RawWrappedCors>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWrappedCors {
    #[serde(rename = "CORSRules")]
    pub rules: Vec<RawCorsRule>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorsRule {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "AllowedHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_headers: Option<Vec<String>>,
    #[serde(
        rename = "AllowedMethods",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_methods: Option<Vec<String>>,
    #[serde(
        rename = "AllowedOrigins",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(
        rename = "ExposeHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expose_headers: Option<Vec<String>>,
    #[serde(
        rename = "MaxAgeSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_age_seconds: Option<i64>,
}

impl From<&CorsRule> for RawCorsRule {
    fn from(rule: &CorsRule) -> Self {
        RawCorsRule {
            id: rule.id.clone(),
            allowed_headers: non_empty(&rule.allowed_headers),
            allowed_methods: Some(rule.allowed_methods.clone()),
            allowed_origins: Some(rule.allowed_origins.clone()),
            expose_headers: non_empty(&rule.expose_headers),
            max_age_seconds: rule.max_age_seconds,
        }
    }
}

const MALFORMED_XML: &str =
    "The XML you provided was not well-formed or did not validate against our published schema";

fn count_wildcards(text: &str) -> usize {
    text.matches('*').count()
}

/// Checks rules as S3 does on `put-bucket-cors` and returns every rejection found.
pub fn validate_rules(raw_rules: Vec<RawCorsRule>) -> Result<CorsConfiguration, Vec<Rejection>> {
    use PathPart::{Index, Key};
    let mut rejections = Vec::new();
    if raw_rules.is_empty() {
        // D2: an empty rule list does not validate against S3's schema.
        rejections.push(Rejection {
            path: vec![],
            code: "MalformedXML",
            message: format!("{MALFORMED_XML} (CORSRules is empty)"),
        });
    }
    if raw_rules.len() > MAX_RULES {
        rejections.push(Rejection {
            path: vec![Index(MAX_RULES)],
            code: "InvalidRequest",
            message: "The number of CORS rules should not exceed allowed limit of 100 rules."
                .to_string(),
        });
    }
    let mut rules = Vec::with_capacity(raw_rules.len());
    for (i, raw) in raw_rules.into_iter().enumerate() {
        let methods = raw.allowed_methods.unwrap_or_default();
        let origins = raw.allowed_origins.unwrap_or_default();
        if methods.is_empty() {
            rejections.push(Rejection {
                path: vec![Index(i)],
                code: "MalformedXML",
                message: format!(
                    "{MALFORMED_XML} (a rule needs at least one AllowedMethods entry)"
                ),
            });
        }
        if origins.is_empty() {
            rejections.push(Rejection {
                path: vec![Index(i)],
                code: "MalformedXML",
                message: format!(
                    "{MALFORMED_XML} (a rule needs at least one AllowedOrigins entry)"
                ),
            });
        }
        for (j, method) in methods.iter().enumerate() {
            if !S3_METHODS.contains(&method.as_str()) {
                rejections.push(Rejection {
                    path: vec![Index(i), Key("AllowedMethods"), Index(j)],
                    code: "InvalidRequest",
                    message: format!(
                        "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                    ),
                });
            }
        }
        for (j, origin) in origins.iter().enumerate() {
            if count_wildcards(origin) > 1 {
                rejections.push(Rejection {
                    path: vec![Index(i), Key("AllowedOrigins"), Index(j)],
                    code: "InvalidRequest",
                    message: format!(
                        "AllowedOrigin \"{origin}\" can not have more than one wildcard."
                    ),
                });
            }
        }
        let headers = raw.allowed_headers.unwrap_or_default();
        for (j, header) in headers.iter().enumerate() {
            if count_wildcards(header) > 1 {
                rejections.push(Rejection {
                    path: vec![Index(i), Key("AllowedHeaders"), Index(j)],
                    code: "InvalidRequest",
                    message: format!(
                        "AllowedHeader \"{header}\" can not have more than one wildcard."
                    ),
                });
            }
        }
        let expose = raw.expose_headers.unwrap_or_default();
        for (j, header) in expose.iter().enumerate() {
            if header.contains('*') {
                rejections.push(Rejection {
                    path: vec![Index(i), Key("ExposeHeaders"), Index(j)],
                    code: "InvalidRequest",
                    message: format!(
                        "ExposeHeader \"{header}\" contains a wildcard. We currently do not support wildcard for ExposeHeader. (S3's exact wording is unconfirmed)"
                    ),
                });
            }
        }
        if let Some(id) = &raw.id
            && id.chars().count() > 255
        {
            rejections.push(Rejection {
                path: vec![Index(i), Key("ID")],
                code: "InvalidArgument",
                message: "The ID of a CORS rule can be at most 255 characters long (S3 rejects longer IDs; its exact error code is undocumented)".to_string(),
            });
        }
        rules.push(CorsRule {
            id: raw.id,
            allowed_origins: origins,
            allowed_methods: methods,
            allowed_headers: headers,
            expose_headers: expose,
            max_age_seconds: raw.max_age_seconds,
        });
    }
    if rejections.is_empty() {
        Ok(CorsConfiguration { rules })
    } else {
        Err(rejections)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str]) -> RawCorsRule {
        RawCorsRule {
            id: None,
            allowed_headers: None,
            allowed_methods: Some(methods.iter().map(|s| s.to_string()).collect()),
            allowed_origins: Some(origins.iter().map(|s| s.to_string()).collect()),
            expose_headers: None,
            max_age_seconds: None,
        }
    }

    fn codes(result: Result<CorsConfiguration, Vec<Rejection>>) -> Vec<(&'static str, String)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.code, r.message))
            .collect()
    }

    #[test]
    fn d1_unsupported_method_is_named_unquoted() {
        let found = codes(validate_rules(vec![rule(&["*"], &["GET", "MYMETHOD"])]));
        assert_eq!(
            found,
            vec![(
                "InvalidRequest",
                "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"
                    .to_string()
            )]
        );
    }

    #[test]
    fn d8_options_patch_and_star_are_not_s3_methods() {
        for method in ["OPTIONS", "PATCH", "*"] {
            let found = codes(validate_rules(vec![rule(&["*"], &[method])]));
            assert_eq!(found.len(), 1, "{method}");
            assert_eq!(found[0].0, "InvalidRequest");
        }
    }

    #[test]
    fn d2_empty_rule_list_is_malformed_xml() {
        let found = codes(validate_rules(vec![]));
        assert_eq!(found[0].0, "MalformedXML");
    }

    #[test]
    fn d3_two_wildcards_in_an_origin_are_rejected_with_the_value_quoted() {
        let found = codes(validate_rules(vec![rule(&["*example*.com"], &["GET"])]));
        assert_eq!(
            found[0].1,
            "AllowedOrigin \"*example*.com\" can not have more than one wildcard."
        );
    }

    #[test]
    fn d5_more_than_100_rules_are_rejected() {
        let many = (0..101).map(|_| rule(&["*"], &["GET"])).collect();
        let found = codes(validate_rules(many));
        assert_eq!(
            found,
            vec![(
                "InvalidRequest",
                "The number of CORS rules should not exceed allowed limit of 100 rules."
                    .to_string()
            )]
        );
        assert!(validate_rules((0..100).map(|_| rule(&["*"], &["GET"])).collect()).is_ok());
    }

    #[test]
    fn d6_rule_without_methods_or_origins_is_malformed() {
        let mut r = rule(&[], &["GET"]);
        r.allowed_origins = None;
        assert_eq!(codes(validate_rules(vec![r]))[0].0, "MalformedXML");
    }

    #[test]
    fn accepted_oddities_stay_accepted() {
        // An empty origin, `*` beside specific origins and an explicit port are all accepted.
        let config = validate_rules(vec![rule(&["", "*", "http://test.com:80"], &["GET"])]);
        assert!(config.is_ok());
    }
}
