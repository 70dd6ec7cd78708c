//! The scenario file exactly as written: serde types with unknown keys rejected.

use crate::scenario::Header;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

use super::{BrowserProfile, CacheMode, Credentials, Outcome, ThirdPartyCookies};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub browser: Option<BrowserProfile>,
    pub server: RawServer,
    pub requests: Vec<RawRequest>,
    #[serde(default)]
    pub moments: Option<Vec<RawMoment>>,
    #[serde(default)]
    pub quiz: Option<Vec<RawQuestion>>,
    /// The browser's cookies before the first request.
    #[serde(default)]
    pub cookies: Option<Vec<RawSetCookie>>,
    #[serde(default)]
    pub third_party_cookies: Option<ThirdPartyCookies>,
}

/// Who sends a request: fetch() (`browser`), XMLHttpRequest, an element, fetch() in no-cors
/// mode, or a raw client.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawVia {
    Browser,
    Xhr,
    Img,
    Script,
    Font,
    #[serde(rename = "no-cors")]
    NoCors,
    Raw,
}

/// The `crossorigin` attribute: the element's request is in CORS mode.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CrossOrigin {
    Anonymous,
    UseCredentials,
}

/// `{"set_by": URL, "set_cookie": "name=value; attributes"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetCookie {
    pub set_by: String,
    pub set_cookie: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMoment {
    pub step: usize,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub question: String,
    pub choices: Vec<RawChoice>,
    pub answer: String,
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default)]
    pub step: Option<usize>,
}

/// A choice is its text, or `{"text": …, "why": …}` with why it is right or wrong.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawChoice {
    Text(String),
    Explained(RawExplainedChoice),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExplainedChoice {
    pub text: String,
    pub why: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawServerType {
    S3,
    Gcs,
    Azure,
    Static,
    /// What a browser recorded (a HAR replay, saved): each request carries its answers.
    Recorded,
    /// What a live server answered `cors-tui probe` (saved): each request carries its answers.
    Probed,
    /// A Lambda function URL, in front of its function.
    #[serde(rename = "function_url")]
    FunctionUrl,
    /// An API Gateway HTTP API, in front of its integration.
    #[serde(rename = "http_api")]
    HttpApi,
    /// An API Gateway REST API, in front of its integration.
    #[serde(rename = "rest_api")]
    RestApi,
    /// A CloudFront distribution, in front of its origin.
    #[serde(rename = "cloudfront")]
    CloudFront,
}

/// The server: one layer written flat (`type`, `url` and its configuration), or `url` and a
/// stack of `layers`, outermost first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub url: String,
    #[serde(rename = "type", default)]
    pub kind: Option<RawServerType>,
    #[serde(default)]
    pub cors: Option<serde_json::Value>,
    #[serde(default)]
    pub preflight: Option<RawResponse>,
    #[serde(default)]
    pub actual: Option<RawResponse>,
    #[serde(default)]
    pub session_cookie: Option<String>,
    #[serde(default)]
    pub logged_out: Option<RawResponse>,
    #[serde(default)]
    pub layers: Option<Vec<RawLayer>>,
}

impl RawServer {
    /// The layer written flat on the server object, and the stack written under `layers`.
    pub fn split(self) -> (RawLayer, Option<Vec<RawLayer>>) {
        (
            RawLayer {
                kind: self.kind,
                cors: self.cors,
                preflight: self.preflight,
                actual: self.actual,
                session_cookie: self.session_cookie,
                logged_out: self.logged_out,
                ..RawLayer::default()
            },
            self.layers,
        )
    }
}

/// One layer of the server: its type and configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    #[serde(rename = "type", default)]
    pub kind: Option<RawServerType>,
    /// The layer's CORS configuration, read once its type is known.
    #[serde(default)]
    pub cors: Option<serde_json::Value>,
    #[serde(default)]
    pub preflight: Option<RawResponse>,
    #[serde(default)]
    pub actual: Option<RawResponse>,
    /// A static server's session cookie: a request without it gets `logged_out`.
    #[serde(default)]
    pub session_cookie: Option<String>,
    #[serde(default)]
    pub logged_out: Option<RawResponse>,
    /// An HTTP API's routes, as `get-routes` lists them.
    #[serde(default)]
    pub routes: Option<serde_json::Value>,
    /// An HTTP or REST API's named stage (absent: the `$default` stage, or a custom domain).
    #[serde(default)]
    pub stage: Option<String>,
    /// What a function behind an API or a function URL returns, in Lambda's proxy format.
    #[serde(default)]
    pub lambda_result: Option<serde_json::Value>,
    /// A REST API's resources, as `get-resources --embed methods` lists them.
    #[serde(default)]
    pub resources: Option<serde_json::Value>,
    /// A REST API's gateway responses, as `get-gateway-responses` lists them.
    #[serde(rename = "gatewayResponses", default)]
    pub gateway_responses: Option<serde_json::Value>,
    /// What a REST API's stage serves when it differs from the saved API: its latest
    /// deployment's `resources` and `gatewayResponses`.
    #[serde(default)]
    pub deployed: Option<serde_json::Value>,
    /// A CloudFront cache behavior, as `get-distribution-config` or a template writes it.
    #[serde(default)]
    pub behavior: Option<serde_json::Value>,
    /// A CloudFront custom policy: its `get-…-policy` answer or its `…PolicyConfig`.
    #[serde(default)]
    pub cache_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub origin_request_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub response_headers_policy: Option<serde_json::Value>,
}

/// `{"CORSRules": [...]}` as `aws s3api get-bucket-cors` prints it, or the same wrapped in
/// `{"CORSConfiguration": ...}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    #[serde(rename = "CORSRules", default)]
    pub rules: Option<Vec<RawCorsRule>>,
    #[serde(rename = "CORSConfiguration", default)]
    pub wrapped: Option<RawWrappedCors>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWrappedCors {
    #[serde(rename = "CORSRules")]
    pub rules: Vec<RawCorsRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorsRule {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "AllowedHeaders", default)]
    pub allowed_headers: Option<Vec<String>>,
    #[serde(rename = "AllowedMethods", default)]
    pub allowed_methods: Option<Vec<String>>,
    #[serde(rename = "AllowedOrigins", default)]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(rename = "ExposeHeaders", default)]
    pub expose_headers: Option<Vec<String>>,
    #[serde(rename = "MaxAgeSeconds", default)]
    pub max_age_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: HeaderList,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub network_error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOverrides {
    #[serde(default)]
    pub preflight: Option<RawResponse>,
    #[serde(default)]
    pub actual: Option<RawResponse>,
    /// The answers at each hop a redirect leads to, in order.
    #[serde(default)]
    pub after_redirect: Vec<RawOverrides>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub headers: HeaderList,
    #[serde(default)]
    pub credentials: Option<Credentials>,
    #[serde(default)]
    pub cache: Option<CacheMode>,
    #[serde(default)]
    pub via: Option<RawVia>,
    /// An `<img>` or `<script>`'s `crossorigin` attribute.
    #[serde(default)]
    pub crossorigin: Option<CrossOrigin>,
    #[serde(default)]
    pub expect: Option<Outcome>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub responses: Option<RawOverrides>,
    #[serde(default)]
    pub wait_seconds: Option<u64>,
    #[serde(default)]
    pub edge: Option<String>,
    /// Recorded servers only: `false` when the recording has no OPTIONS for this request.
    #[serde(default)]
    pub preflight_recorded: Option<bool>,
    /// Live probes only: `false` when the probe sent the preflight but held the request back.
    #[serde(default)]
    pub actual_sent: Option<bool>,
}

/// Header names and values in file order, duplicates and case kept, as a header list is: a
/// JSON object of name → value, or a list of `[name, value]` pairs, which is how a list whose
/// names repeat is written (a JSON reader keyed by name would keep only one of them).
#[derive(Debug, Default, Clone)]
pub struct HeaderList(pub Vec<Header>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = HeaderList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an object of header names to string values, or a list of [name, value] pairs",
                )
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderList, A::Error> {
                let mut headers = Vec::new();
                while let Some(HeaderPair(name, value)) = seq.next_element()? {
                    headers.push((name.into(), value.into()));
                }
                Ok(HeaderList(headers))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderList, A::Error> {
                let mut headers = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    headers.push((name.into(), value.into()));
                }
                Ok(HeaderList(headers))
            }
            fn visit_unit<E: de::Error>(self) -> Result<HeaderList, E> {
                Ok(HeaderList::default())
            }
        }
        deserializer.deserialize_any(HeaderVisitor)
    }
}

/// One `[name, value]` pair of a header list written as a list.
struct HeaderPair(String, String);

impl<'de> Deserialize<'de> for HeaderPair {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairVisitor;
        impl<'de> Visitor<'de> for PairVisitor {
            type Value = HeaderPair;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a [name, value] pair (or write the headers as an object of names to values)",
                )
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderPair, A::Error> {
                let name: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let value: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(HeaderPair(name, value))
            }
        }
        deserializer.deserialize_seq(PairVisitor)
    }
}
