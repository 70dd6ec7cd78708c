//! Google Cloud Storage CORS files: the bare list `gcloud storage buckets update --cors-file`
//! and `gsutil cors set` take, or a bucket resource's `{"cors": [...]}`.

use crate::scenario::CorsRule;
use crate::scenario::cloud_rules::RawGcsRule;

/// Writes rules as a GCS CORS file, through the type that reads one.
pub fn to_json(rules: &[CorsRule]) -> String {
    let written: Vec<RawGcsRule> = rules.iter().map(Into::into).collect();
    serde_json::to_string_pretty(&written).unwrap_or_default()
}
