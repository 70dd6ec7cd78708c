//! The scenario file exactly as written: serde types with unknown keys rejected, read by the
//! loader and written by [`super::write`] (one schema for both directions).

use crate::scenario::Header;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use super::{
    BrowserProfile, CacheMode, Credentials, LocalNetworkAccess, Outcome, ThirdPartyCookies,
};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<BrowserProfile>,
    /// The browser's cookies before the first request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookies: Option<Vec<RawSetCookie>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party_cookies: Option<ThirdPartyCookies>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_network_access: Option<LocalNetworkAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_origin_embedder_policy: Option<super::EmbedderPolicy>,
    /// Host name → IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<std::collections::BTreeMap<String, String>>,
    pub server: RawServer,
    pub requests: Vec<RawRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moments: Option<Vec<RawMoment>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<Vec<RawQuestion>>,
}

/// Who sends a request: fetch() (`browser`), XMLHttpRequest, an element, fetch() in no-cors
/// mode, or a raw client.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CrossOrigin {
    Anonymous,
    UseCredentials,
}

/// `{"set_by": URL, "set_cookie": "name=value; attributes"}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetCookie {
    pub set_by: String,
    pub set_cookie: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMoment {
    pub step: usize,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub question: String,
    pub choices: Vec<RawChoice>,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

/// A choice is its text, or `{"text": …, "why": …}` with why it is right or wrong.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RawChoice {
    Text(String),
    Explained(RawExplainedChoice),
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawExplainedChoice {
    pub text: String,
    pub why: String,
}

/// The browser whose DevTools wrote a recording.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawRecordingBrowser {
    Chromium,
    Firefox,
    Safari,
}

#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RawServerType>,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<RawResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<RawResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_cookie: Option<String>,
    /// A recorded server's: the browser that wrote the recording, when not Chromium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<RawRecordingBrowser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_out: Option<RawResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
                recorded_by: self.recorded_by,
                ..RawLayer::default()
            },
            self.layers,
        )
    }
}

impl RawServer {
    /// One layer written flat on the server object; see [`RawLayer::fits_flat`].
    pub fn flat(url: String, layer: RawLayer) -> Self {
        RawServer {
            kind: layer.kind,
            url,
            cors: layer.cors,
            preflight: layer.preflight,
            actual: layer.actual,
            session_cookie: layer.session_cookie,
            logged_out: layer.logged_out,
            recorded_by: layer.recorded_by,
            layers: None,
        }
    }
}

impl RawLayer {
    /// Whether the server object can hold this layer flat: it sets only keys the server object
    /// has (a function's result, say, needs the stack form).
    pub fn fits_flat(&self) -> bool {
        self.stage.is_none()
            && self.routes.is_none()
            && self.lambda_result.is_none()
            && self.resources.is_none()
            && self.gateway_responses.is_none()
            && self.deployed.is_none()
            && self.behavior.is_none()
            && self.cache_policy.is_none()
            && self.origin_request_policy.is_none()
            && self.response_headers_policy.is_none()
    }
}

/// One layer of the server: its type and configuration. Fields are in the order a layer is
/// written: each kind's keys after its type, in its own order.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RawServerType>,
    /// An HTTP or REST API's named stage (absent: the `$default` stage, or a custom domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The layer's CORS configuration, read once its type is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<serde_json::Value>,
    /// An HTTP API's routes, as `get-routes` lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<RawResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<RawResponse>,
    /// What a function behind an API or a function URL returns, in Lambda's proxy format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_result: Option<serde_json::Value>,
    /// A static server's session cookie: a request without it gets `logged_out`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_cookie: Option<String>,
    /// A recorded server's: the browser that wrote the recording, when not Chromium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<RawRecordingBrowser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_out: Option<RawResponse>,
    /// A REST API's resources, as `get-resources --embed methods` lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<serde_json::Value>,
    /// A REST API's gateway responses, as `get-gateway-responses` lists them.
    #[serde(
        rename = "gatewayResponses",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gateway_responses: Option<serde_json::Value>,
    /// What a REST API's stage serves when it differs from the saved API: its latest
    /// deployment's `resources` and `gatewayResponses`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<serde_json::Value>,
    /// A CloudFront cache behavior, as `get-distribution-config` or a template writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<serde_json::Value>,
    /// A CloudFront custom policy: its `get-…-policy` answer or its `…PolicyConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_policy: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_request_policy: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_headers_policy: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    pub status: u16,
    #[serde(default, skip_serializing_if = "HeaderList::is_empty")]
    pub headers: HeaderList,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_error: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<RawResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<RawResponse>,
    /// The answers at each hop a redirect leads to, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_redirect: Vec<RawOverrides>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<RawVia>,
    /// An `<img>` or `<script>`'s `crossorigin` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossorigin: Option<CrossOrigin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "HeaderList::is_empty")]
    pub headers: HeaderList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<String>,
    /// Live probes only: `false` when the probe sent the preflight but held the request back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_sent: Option<bool>,
    /// Recorded servers only: `false` when the recording has no OPTIONS for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight_recorded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<RawOverrides>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Header names and values in file order, duplicates and case kept, as a header list is: a
/// JSON object of name → value, or a list of `[name, value]` pairs, which is how a list whose
/// names repeat is written (a JSON reader keyed by name would keep only one of them).
#[derive(Debug, Default, Clone)]
pub struct HeaderList(pub Vec<Header>);

impl HeaderList {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the list can be written as an object without losing an entry: no name appears
    /// twice (two `Access-Control-Allow-Origin` lines, say, are written as pairs).
    fn names_are_unique(&self) -> bool {
        let mut seen = foldhash::HashSet::default();
        self.0.iter().all(|(name, _)| seen.insert(&**name))
    }
}

/// An object of names to values, or `[name, value]` pairs when a name repeats.
impl Serialize for HeaderList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.names_are_unique() {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (name, value) in &self.0 {
                map.serialize_entry(&**name, &**value)?;
            }
            map.end()
        } else {
            let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
            for (name, value) in &self.0 {
                seq.serialize_element(&[&**name, &**value])?;
            }
            seq.end()
        }
    }
}

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
