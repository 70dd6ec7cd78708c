//! Google Cloud Storage CORS files: the bare list `gcloud storage buckets update --cors-file`
//! and `gsutil cors set` take, or a bucket resource's `{"cors": [...]}`.

use crate::scenario::CorsRule;

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OutRule<'a> {
    origin: &'a [String],
    method: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    response_header: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age_seconds: Option<i64>,
}

/// Writes rules as a GCS CORS file.
pub fn to_json(rules: &[CorsRule]) -> String {
    let out: Vec<OutRule> = rules
        .iter()
        .map(|r| OutRule {
            origin: &r.allowed_origins,
            method: &r.allowed_methods,
            response_header: &r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        })
        .collect();
    serde_json::to_string_pretty(&out).unwrap_or_default()
}
