//! The CORS rules a storage service keeps (S3, GCS and Azure Blob all keep an ordered list of
//! origins, methods, headers and a max age), and what a service answers when it refuses a
//! configuration. Each service's own spelling and checks live with its layer in `server/`.

use super::provider::{Field, Provider};

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

/// A rule's list as a spelling writes it when the key may be left out: only when it holds
/// something.
pub fn non_empty(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}
