//! An S3 bucket's `CORSConfiguration`, checked the way `put-bucket-cors` checks it.
//!
//! Codes and messages are S3's own (see `shared/reference/s3-cors-semantics.md`, section D), so
//! a scenario that loads here is one S3 would have accepted.

use super::provider::{Field, Provider};
use super::raw::RawCorsRule;

/// The methods S3 accepts in `AllowedMethods` (D1, D8): exactly these, case-sensitive.
pub const S3_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// S3's documented limit on rules per bucket (D5).
pub const MAX_RULES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i64>,
}

impl CorsRule {
    /// `AllowedOrigins [...]; AllowedMethods [...]; ...`: the rule on one line in the
    /// provider's own field names, as reports and diffs show it.
    pub fn summary(&self, provider: Provider) -> String {
        let name = |field| provider.field(field);
        let mut parts = vec![
            format!(
                "{} [{}]",
                name(Field::Origins),
                self.allowed_origins.join(", ")
            ),
            format!(
                "{} [{}]",
                name(Field::Methods),
                self.allowed_methods.join(", ")
            ),
        ];
        if !self.allowed_headers.is_empty() && !provider.shares_header_list() {
            parts.push(format!(
                "{} [{}]",
                name(Field::AllowedHeaders),
                self.allowed_headers.join(", ")
            ));
        }
        if !self.expose_headers.is_empty() {
            parts.push(format!(
                "{} [{}]",
                name(Field::ExposeHeaders),
                self.expose_headers.join(", ")
            ));
        }
        if let Some(max_age) = self.max_age_seconds {
            parts.push(format!("{} {max_age}", name(Field::MaxAge)));
        }
        parts.join("; ")
    }

    /// The list a preflight's requested headers are checked against (GCS: `responseHeader`).
    pub fn preflight_headers(&self, provider: Provider) -> &[String] {
        if provider.shares_header_list() {
            &self.expose_headers
        } else {
            &self.allowed_headers
        }
    }

    pub fn preflight_headers_mut(&mut self, provider: Provider) -> &mut Vec<String> {
        if provider.shares_header_list() {
            &mut self.expose_headers
        } else {
            &mut self.allowed_headers
        }
    }

    /// "#1" or "#1 (ID upload-rule)": how steps name a rule (1-based for people).
    pub fn label(&self, index: usize) -> String {
        match &self.id {
            Some(id) => format!("#{} (ID {id})", index + 1),
            None => format!("#{}", index + 1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsConfiguration {
    pub rules: Vec<CorsRule>,
}

/// What the provider answers when asked to store an invalid configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Key path below the `CORSRules` array: e.g. `[0].AllowedMethods[1]`.
    pub path: Vec<PathPart>,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    Key(&'static str),
    Index(usize),
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
