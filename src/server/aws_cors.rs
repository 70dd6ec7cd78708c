//! The `Cors` object a Lambda function URL and an API Gateway HTTP API share: the same six keys
//! in AWS's spelling (`get-function-url-config`, `apigatewayv2 get-api`, CloudFormation). Each
//! service validates it and answers with it in its own way, in its own module.

use serde::{Deserialize, Serialize};

use super::bucket::Joined;

/// A `Cors` object its service accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<i32>,
    pub allow_credentials: bool,
}

/// `Cors` as AWS writes it: read and written by the same type.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    #[serde(
        rename = "AllowCredentials",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_credentials: Option<bool>,
    #[serde(
        rename = "AllowHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_headers: Option<Vec<String>>,
    #[serde(
        rename = "AllowMethods",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_methods: Option<Vec<String>>,
    #[serde(
        rename = "AllowOrigins",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_origins: Option<Vec<String>>,
    #[serde(
        rename = "ExposeHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expose_headers: Option<Vec<String>>,
    #[serde(rename = "MaxAge", default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

impl From<&Cors> for RawCors {
    fn from(cors: &Cors) -> Self {
        let list = |items: &Vec<String>| (!items.is_empty()).then(|| items.clone());
        RawCors {
            allow_credentials: cors.allow_credentials.then_some(true),
            allow_headers: list(&cors.allow_headers),
            allow_methods: list(&cors.allow_methods),
            allow_origins: list(&cors.allow_origins),
            expose_headers: list(&cors.expose_headers),
            max_age: cors.max_age.map(i64::from),
        }
    }
}

impl RawCors {
    /// The lists as given (absent: empty) and MaxAge when it is within `range`; `None` for
    /// MaxAge outside it, which the caller refuses in its service's words.
    pub fn accept(self, range: std::ops::RangeInclusive<i32>) -> (Cors, Result<(), i64>) {
        let max_age = match self.max_age {
            None => Ok(None),
            Some(age) => match i32::try_from(age) {
                Ok(fits) if range.contains(&fits) => Ok(Some(fits)),
                _ => Err(age),
            },
        };
        let cors = Cors {
            allow_origins: self.allow_origins.unwrap_or_default(),
            allow_methods: self.allow_methods.unwrap_or_default(),
            allow_headers: self.allow_headers.unwrap_or_default(),
            expose_headers: self.expose_headers.unwrap_or_default(),
            max_age: max_age.unwrap_or(None),
            allow_credentials: self.allow_credentials.unwrap_or(false),
        };
        (cors, max_age.map(|_| ()))
    }
}

impl Cors {
    /// The four lists with their keys, in AWS's order.
    pub fn lists(&self) -> [(&'static str, &[String]); 4] {
        [
            ("AllowOrigins", &self.allow_origins),
            ("AllowMethods", &self.allow_methods),
            ("AllowHeaders", &self.allow_headers),
            ("ExposeHeaders", &self.expose_headers),
        ]
    }

    /// "AllowOrigins [https://app.example]; AllowMethods [GET, POST]; …" for the server panel.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (key, items) in self.lists() {
            if !items.is_empty() || key == "AllowOrigins" {
                parts.push(format!("{key} [{}]", Joined(items, ", ")));
            }
        }
        if let Some(age) = self.max_age {
            parts.push(format!("MaxAge {age}"));
        }
        if self.allow_credentials {
            parts.push("AllowCredentials true".to_string());
        }
        parts.join("; ")
    }
}
