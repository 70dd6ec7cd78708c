//! The storage services whose CORS rules cors-tui simulates, and what each calls its fields.
//!
//! All three keep an ordered list of rules with origins, methods, headers and a max age, so one
//! rule type ([`super::CorsRule`]) holds them; how a rule matches and what the service answers
//! differ, and live with each service's layer in `server/` (`s3/`, `gcs/`, `azure/`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon S3 (verified against AWS: `shared/reference/s3-cors-semantics.md`).
    #[default]
    S3,
    /// Google Cloud Storage, as its documentation describes it.
    Gcs,
    /// Azure Blob Storage, as its documentation and the Azurite emulator describe it.
    Azure,
}

/// A rule's fields, named per provider by [`Provider::field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Id,
    Origins,
    Methods,
    /// The request headers a preflight may ask for.
    AllowedHeaders,
    /// The response headers scripts may read.
    ExposeHeaders,
    MaxAge,
}

impl Provider {
    /// What the provider does when a bucket has no CORS configuration at all.
    pub fn no_rules_behaviour(self) -> &'static str {
        match self {
            Provider::S3 => "every preflight gets 403; responses carry no CORS headers",
            Provider::Gcs => "preflights and responses carry no CORS headers",
            Provider::Azure => {
                "every preflight gets 403 CorsPreflightFailure; responses carry no CORS headers"
            }
        }
    }

    pub const ALL: [Provider; 3] = [Provider::S3, Provider::Gcs, Provider::Azure];

    /// The scenario file's `server.type`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::S3 => "s3",
            Provider::Gcs => "gcs",
            Provider::Azure => "azure",
        }
    }

    pub fn product(self) -> &'static str {
        match self {
            Provider::S3 => "Amazon S3",
            Provider::Gcs => "Google Cloud Storage",
            Provider::Azure => "Azure Blob Storage",
        }
    }

    /// What its configuration is called when something cannot be written as one.
    pub fn rules_noun(self) -> &'static str {
        match self {
            Provider::S3 => "Amazon S3 rules",
            Provider::Gcs => "Google Cloud Storage rules",
            Provider::Azure => "Azure Blob Storage rules",
        }
    }

    /// What the server is called in reports: "S3 bucket", "GCS bucket", "Azure Blob service".
    pub fn server_noun(self) -> &'static str {
        match self {
            Provider::S3 => "S3 bucket",
            Provider::Gcs => "GCS bucket",
            Provider::Azure => "Azure Blob service",
        }
    }

    /// Short name used in sentences ("S3 answers …").
    pub fn short(self) -> &'static str {
        match self {
            Provider::S3 => "S3",
            Provider::Gcs => "GCS",
            Provider::Azure => "Azure",
        }
    }

    /// The call that would refuse an invalid configuration.
    pub fn setter(self) -> &'static str {
        match self {
            Provider::S3 => "put-bucket-cors",
            Provider::Gcs => "gcloud storage buckets update --cors-file",
            Provider::Azure => "Set Blob Service Properties",
        }
    }

    /// The provider's own name for a field. GCS has one list, `responseHeader`, for both the
    /// headers a preflight may ask for and the headers scripts may read.
    pub fn field(self, field: Field) -> &'static str {
        match (self, field) {
            (Provider::S3, Field::Id) => "ID",
            (Provider::Gcs, Field::Id) => "(none)",
            (Provider::Azure, Field::Id) => "(none)",
            (Provider::Gcs, Field::Origins) => "origin",
            (_, Field::Origins) => "AllowedOrigins",
            (Provider::Gcs, Field::Methods) => "method",
            (_, Field::Methods) => "AllowedMethods",
            (Provider::Gcs, Field::AllowedHeaders | Field::ExposeHeaders) => "responseHeader",
            (_, Field::AllowedHeaders) => "AllowedHeaders",
            (Provider::S3, Field::ExposeHeaders) => "ExposeHeaders",
            (Provider::Azure, Field::ExposeHeaders) => "ExposedHeaders",
            (Provider::S3, Field::MaxAge) => "MaxAgeSeconds",
            (Provider::Gcs, Field::MaxAge) => "maxAgeSeconds",
            (Provider::Azure, Field::MaxAge) => "MaxAgeInSeconds",
        }
    }

    /// GCS keeps one header list for preflights and exposure (stored as `expose_headers`).
    pub fn shares_header_list(self) -> bool {
        self == Provider::Gcs
    }

    /// The methods a rule may list, or `None` when the provider takes any method name.
    pub fn methods(self) -> Option<&'static [&'static str]> {
        match self {
            Provider::S3 => Some(&["GET", "PUT", "HEAD", "POST", "DELETE"]),
            Provider::Gcs => None,
            Provider::Azure => Some(&[
                "DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH",
            ]),
        }
    }

    /// Whether rules carry an ID.
    pub fn has_rule_ids(self) -> bool {
        self == Provider::S3
    }
}
