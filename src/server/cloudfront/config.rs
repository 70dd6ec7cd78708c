//! A CloudFront cache behavior and its three policies, in AWS's spellings: the behavior as
//! `aws cloudfront get-distribution-config` prints it (`{"Quantity": n, "Items": [...]}`) or
//! as a CloudFormation template writes it (plain lists); each policy as its `get-…-policy`
//! answer, its `…PolicyConfig`, or a managed policy's ID or name.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::super::Refusal;
use super::{CloudFront, Written};
use crate::problems::{JsonPath, Problems, refused, sub_value};

/// The three method sets a cache behavior may allow, in AWS's order.
pub const ALLOWED_SETS: [&[&str]; 3] = [
    &["GET", "HEAD"],
    &["GET", "HEAD", "OPTIONS"],
    &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
];

/// A list as the CLI prints it (`{"Quantity": 2, "Items": [...]}`) or as CloudFormation
/// writes it (`[...]`, or `{"Items": [...]}` in a response headers policy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Items {
    pub items: Vec<String>,
    /// `Quantity` when the CLI's form gave one that does not count the items.
    pub miscounted: Option<u64>,
    /// `CachedMethods` inside the CLI's `AllowedMethods`.
    pub cached: Option<Box<Items>>,
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings, or {\"Quantity\": n, \"Items\": [...]}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(Items {
                    items,
                    ..Items::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Items, A::Error> {
                let mut quantity = None;
                let mut items = None;
                let mut cached = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Quantity" => quantity = Some(map.next_value::<u64>()?),
                        "Items" => items = Some(map.next_value::<Vec<String>>()?),
                        "CachedMethods" => cached = Some(Box::new(map.next_value::<Items>()?)),
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["Quantity", "Items", "CachedMethods"],
                            ));
                        }
                    }
                }
                // CloudFormation writes `{"Items": [...]}` without the CLI's Quantity.
                let items = items.unwrap_or_default();
                Ok(Items {
                    miscounted: quantity.filter(|&q| q != items.len() as u64),
                    items,
                    cached,
                })
            }
        }
        deserializer.deserialize_any(ItemsVisitor)
    }
}

/// A cache behavior as `DefaultCacheBehavior` (or one of `CacheBehaviors`) spells it. The keys
/// CORS does not depend on are read and left alone, so a behavior pastes in whole.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawBehavior {
    #[serde(default)]
    pub AllowedMethods: Option<Items>,
    /// CloudFormation's spelling: beside `AllowedMethods`, not inside it.
    #[serde(default)]
    pub CachedMethods: Option<Items>,
    #[serde(default)]
    pub CachePolicyId: Option<String>,
    #[serde(default)]
    pub OriginRequestPolicyId: Option<String>,
    #[serde(default)]
    pub ResponseHeadersPolicyId: Option<String>,
    /// The legacy cache settings.
    #[serde(default)]
    pub ForwardedValues: Option<RawForwardedValues>,
    #[serde(default)]
    pub MinTTL: Option<i64>,
    #[serde(default)]
    pub DefaultTTL: Option<i64>,
    #[serde(default)]
    pub MaxTTL: Option<i64>,
    #[serde(default)]
    pub PathPattern: Option<de::IgnoredAny>,
    #[serde(default)]
    pub TargetOriginId: Option<de::IgnoredAny>,
    #[serde(default)]
    pub ViewerProtocolPolicy: Option<de::IgnoredAny>,
    #[serde(default)]
    pub Compress: Option<de::IgnoredAny>,
    #[serde(default)]
    pub SmoothStreaming: Option<de::IgnoredAny>,
    #[serde(default)]
    pub FieldLevelEncryptionId: Option<de::IgnoredAny>,
    #[serde(default)]
    pub LambdaFunctionAssociations: Option<de::IgnoredAny>,
    #[serde(default)]
    pub FunctionAssociations: Option<de::IgnoredAny>,
    #[serde(default)]
    pub TrustedSigners: Option<de::IgnoredAny>,
    #[serde(default)]
    pub TrustedKeyGroups: Option<de::IgnoredAny>,
    #[serde(default)]
    pub RealtimeLogConfigArn: Option<de::IgnoredAny>,
    #[serde(default)]
    pub GrpcConfig: Option<de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawForwardedValues {
    #[serde(default)]
    pub QueryString: bool,
    #[serde(default)]
    pub QueryStringCacheKeys: Option<Items>,
    #[serde(default)]
    pub Headers: Option<Items>,
    #[serde(default)]
    pub Cookies: Option<RawLegacyCookies>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawLegacyCookies {
    pub Forward: String,
    #[serde(default)]
    pub WhitelistedNames: Option<Items>,
}

/// `CachePolicyConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawCachePolicy {
    pub Name: String,
    #[serde(default)]
    pub Comment: Option<de::IgnoredAny>,
    #[serde(default)]
    pub MinTTL: i64,
    #[serde(default)]
    pub DefaultTTL: Option<i64>,
    #[serde(default)]
    pub MaxTTL: Option<i64>,
    pub ParametersInCacheKeyAndForwardedToOrigin: RawCacheKey,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawCacheKey {
    #[serde(default)]
    pub EnableAcceptEncodingGzip: bool,
    #[serde(default)]
    pub EnableAcceptEncodingBrotli: bool,
    pub HeadersConfig: RawHeadersConfig,
    pub CookiesConfig: RawCookiesConfig,
    pub QueryStringsConfig: RawQueryStringsConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawHeadersConfig {
    pub HeaderBehavior: String,
    #[serde(default)]
    pub Headers: Option<Items>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawCookiesConfig {
    pub CookieBehavior: String,
    #[serde(default)]
    pub Cookies: Option<Items>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawQueryStringsConfig {
    pub QueryStringBehavior: String,
    #[serde(default)]
    pub QueryStrings: Option<Items>,
}

/// `OriginRequestPolicyConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawOriginRequestPolicy {
    pub Name: String,
    #[serde(default)]
    pub Comment: Option<de::IgnoredAny>,
    pub HeadersConfig: RawHeadersConfig,
    pub CookiesConfig: RawCookiesConfig,
    pub QueryStringsConfig: RawQueryStringsConfig,
}

/// `ResponseHeadersPolicyConfig`: its `CorsConfig`; the other header sets are read and left
/// alone.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawResponseHeadersPolicy {
    pub Name: String,
    #[serde(default)]
    pub Comment: Option<de::IgnoredAny>,
    #[serde(default)]
    pub CorsConfig: Option<RawCorsConfig>,
    #[serde(default)]
    pub SecurityHeadersConfig: Option<de::IgnoredAny>,
    #[serde(default)]
    pub CustomHeadersConfig: Option<de::IgnoredAny>,
    #[serde(default)]
    pub RemoveHeadersConfig: Option<de::IgnoredAny>,
    #[serde(default)]
    pub ServerTimingHeadersConfig: Option<de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawCorsConfig {
    pub AccessControlAllowOrigins: Items,
    pub AccessControlAllowHeaders: Items,
    pub AccessControlAllowMethods: Items,
    pub AccessControlAllowCredentials: bool,
    #[serde(default)]
    pub AccessControlExposeHeaders: Option<Items>,
    #[serde(default)]
    pub AccessControlMaxAgeSec: Option<i64>,
    pub OriginOverride: bool,
}

/// Which viewer values a policy names: none, some, all, or all but some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    None,
    Only(Vec<String>),
    All,
    AllExcept(Vec<String>),
}

impl Selection {
    /// Whether `name` is selected; header and cookie names compare without case.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            Selection::None => false,
            Selection::All => true,
            Selection::Only(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
            Selection::AllExcept(names) => !names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Selection::None => "none".to_string(),
            Selection::All => "all".to_string(),
            Selection::Only(names) => names.join(", "),
            Selection::AllExcept(names) => format!("all except {}", names.join(", ")),
        }
    }
}

/// Time to live, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ttl {
    pub min: u64,
    pub default: u64,
    pub max: u64,
}

/// What goes into the cache key (and so also to the origin), and for how long answers stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachePolicy {
    /// The managed policy's name, the custom policy's `Name`, or "legacy cache settings".
    pub name: Arc<str>,
    pub managed: bool,
    pub legacy: bool,
    pub ttl: Ttl,
    pub headers: Selection,
    pub cookies: Selection,
    pub query: Selection,
    pub gzip: bool,
    pub brotli: bool,
}

impl CachePolicy {
    /// "the cache policy NAME", or "the legacy cache settings".
    pub fn described(&self) -> String {
        if self.legacy {
            "the legacy cache settings (ForwardedValues)".to_string()
        } else {
            format!("the cache policy {}", self.name)
        }
    }

    /// Whether any answer can be stored.
    pub fn caches(&self) -> bool {
        self.ttl.max > 0 || self.ttl.default > 0
    }
}

/// What is sent to the origin on a miss, beyond the cache key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginRequestPolicy {
    pub name: Arc<str>,
    pub managed: bool,
    pub headers: Selection,
    pub cookies: Selection,
    pub query: Selection,
}

/// A response headers policy's `CorsConfig`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
    pub origin_override: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHeadersPolicy {
    pub name: Arc<str>,
    pub managed: bool,
    pub cors: Option<CorsConfig>,
}

/// One cache behavior with its policies: what a request to the distribution meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behavior {
    /// Upper-case, one of [`ALLOWED_SETS`].
    pub allowed_methods: Vec<String>,
    pub cached_options: bool,
    pub cache: CachePolicy,
    pub origin_request: Option<OriginRequestPolicy>,
    pub response_headers: Option<ResponseHeadersPolicy>,
}

impl Behavior {
    pub fn allows(&self, method: &str) -> bool {
        self.allowed_methods.iter().any(|m| m == method)
    }

    /// Whether a viewer header reaches the origin on a miss.
    pub fn forwards_header(&self, name: &str) -> bool {
        self.cache.headers.covers(name)
            || self
                .origin_request
                .as_ref()
                .is_some_and(|p| p.headers.covers(name))
    }
}

/// A managed cache policy: (ID, name, TTL, key headers, gzip and brotli), per CloudFront's
/// developer guide ("Use managed cache policies").
const MANAGED_CACHE: [(&str, &str, Ttl, bool); 3] = [
    (
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "CachingOptimized",
        Ttl {
            min: 1,
            default: 86_400,
            max: 31_536_000,
        },
        true,
    ),
    (
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
        "CachingOptimizedForUncompressedObjects",
        Ttl {
            min: 1,
            default: 86_400,
            max: 31_536_000,
        },
        false,
    ),
    (
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "CachingDisabled",
        Ttl {
            min: 0,
            default: 0,
            max: 0,
        },
        false,
    ),
];

/// Managed origin request policies: (ID, name, headers forwarded, all cookies and query
/// strings), per "Use managed origin request policies".
const MANAGED_ORIGIN_REQUEST: [(&str, &str, &[&str], bool); 6] = [
    (
        "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
        "CORS-S3Origin",
        &[
            "Origin",
            "Access-Control-Request-Headers",
            "Access-Control-Request-Method",
        ],
        false,
    ),
    (
        "59781a5b-3903-41f3-afcb-af62929ccde1",
        "CORS-CustomOrigin",
        &["Origin"],
        false,
    ),
    (
        "216adef6-5c7f-47e4-b989-5492eafa07d3",
        "AllViewer",
        &["*"],
        true,
    ),
    (
        "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "AllViewerExceptHostHeader",
        &["*", "-Host"],
        true,
    ),
    (
        "33f36d7e-f396-46d9-90e0-52428a34d9dc",
        "AllViewerAndCloudFrontHeaders-2022-06",
        &["*"],
        true,
    ),
    (
        "acba4595-bd28-49b8-b9fe-13317c0390fa",
        "UserAgentRefererHeaders",
        &["User-Agent", "Referer"],
        false,
    ),
];

/// The methods `ALL` stands for in a `CorsConfig`.
const ALL_METHODS: [&str; 7] = ["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"];

/// Managed response headers policies with CORS: (ID, name, preflight headers too). Their
/// documented values: any origin (`*`), origin override off; the preflight policies' method
/// and header lists are not in the stored documentation, so they are inferred as all methods
/// and `*`.
const MANAGED_RESPONSE_HEADERS: [(&str, &str, bool); 4] = [
    ("60669652-455b-4ae9-85a4-c4c02393f86c", "SimpleCORS", false),
    (
        "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
        "CORS-With-Preflight",
        true,
    ),
    (
        "e61eb60c-9c35-4d20-a928-2b84e02af89c",
        "CORS-and-SecurityHeadersPolicy",
        false,
    ),
    (
        "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
        "CORS-with-preflight-and-SecurityHeadersPolicy",
        true,
    ),
];

/// A managed policy named by ID, by name, or by the console's `Managed-` name.
fn managed<'a, T>(
    table: &'a [T],
    id_and_name: impl Fn(&T) -> (&'static str, &'static str),
    wanted: &str,
) -> Option<&'a T> {
    let wanted = wanted.trim();
    let bare = wanted.strip_prefix("Managed-").unwrap_or(wanted);
    table.iter().find(|entry| {
        let (id, name) = id_and_name(entry);
        id.eq_ignore_ascii_case(wanted) || name.eq_ignore_ascii_case(bare)
    })
}

pub fn managed_cache(wanted: &str) -> Option<CachePolicy> {
    let (_, name, ttl, compressed) = managed(&MANAGED_CACHE, |e| (e.0, e.1), wanted)?;
    Some(CachePolicy {
        name: Arc::from(*name),
        managed: true,
        legacy: false,
        ttl: *ttl,
        headers: Selection::None,
        cookies: Selection::None,
        query: Selection::None,
        gzip: *compressed,
        brotli: *compressed,
    })
}

pub fn managed_origin_request(wanted: &str) -> Option<OriginRequestPolicy> {
    let (_, name, headers, everything) = managed(&MANAGED_ORIGIN_REQUEST, |e| (e.0, e.1), wanted)?;
    let headers = match *headers {
        ["*"] => Selection::All,
        ["*", except] => Selection::AllExcept(vec![except.trim_start_matches('-').to_string()]),
        names => Selection::Only(names.iter().map(|n| n.to_string()).collect()),
    };
    let rest = if *everything {
        Selection::All
    } else {
        Selection::None
    };
    Some(OriginRequestPolicy {
        name: Arc::from(*name),
        managed: true,
        headers,
        cookies: rest.clone(),
        query: rest,
    })
}

pub fn managed_response_headers(wanted: &str) -> Option<ResponseHeadersPolicy> {
    let (_, name, preflight) = managed(&MANAGED_RESPONSE_HEADERS, |e| (e.0, e.1), wanted)?;
    let star = || vec!["*".to_string()];
    Some(ResponseHeadersPolicy {
        name: Arc::from(*name),
        managed: true,
        cors: Some(CorsConfig {
            allow_origins: star(),
            allow_headers: if *preflight { star() } else { Vec::new() },
            allow_methods: if *preflight {
                ALL_METHODS.iter().map(|m| m.to_string()).collect()
            } else {
                Vec::new()
            },
            expose_headers: Vec::new(),
            max_age: None,
            allow_credentials: false,
            origin_override: false,
        }),
    })
}

/// Every refusal of a list whose `Quantity` does not count its `Items`.
fn check_count(key: &'static str, items: &Items, refusals: &mut Vec<Refusal>) {
    if let Some(quantity) = items.miscounted {
        refusals.push((
            key,
            None,
            format!(
                "InvalidArgument: Quantity {quantity} does not match the {} Items",
                items.items.len()
            ),
        ));
    }
}

fn ttl_value(key: &'static str, value: i64, refusals: &mut Vec<Refusal>) -> u64 {
    u64::try_from(value).unwrap_or_else(|_| {
        refusals.push((key, None, format!("{key} {value} is negative")));
        0
    })
}

/// The behavior's methods: the allowed set and whether OPTIONS is cached.
pub fn methods(raw: &RawBehavior, refusals: &mut Vec<Refusal>) -> (Vec<String>, bool) {
    let default_set = || ALLOWED_SETS[0].iter().map(|m| m.to_string()).collect();
    let Some(allowed) = &raw.AllowedMethods else {
        return (default_set(), false);
    };
    check_count("AllowedMethods", allowed, refusals);
    let upper: Vec<String> = allowed
        .items
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let Some(set) = ALLOWED_SETS
        .iter()
        .find(|set| set.len() == upper.len() && set.iter().all(|m| upper.iter().any(|u| u == m)))
    else {
        refusals.push((
            "AllowedMethods",
            None,
            format!(
                "InvalidArgument: AllowedMethods must be GET, HEAD; or GET, HEAD, OPTIONS; or all seven (GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE), not {}",
                upper.join(", ")
            ),
        ));
        return (default_set(), false);
    };
    let cached = allowed.cached.as_deref().or(raw.CachedMethods.as_ref());
    let mut cached_options = false;
    if let Some(cached) = cached {
        check_count("CachedMethods", cached, refusals);
        let upper: Vec<String> = cached
            .items
            .iter()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        let has = |m: &str| upper.iter().any(|u| u == m);
        cached_options = has("OPTIONS");
        let well_formed =
            has("GET") && has("HEAD") && upper.len() == 2 + usize::from(cached_options);
        if !well_formed || (cached_options && !set.contains(&"OPTIONS")) {
            refusals.push((
                "CachedMethods",
                None,
                "InvalidArgument: CachedMethods must be GET, HEAD or GET, HEAD, OPTIONS, and only methods AllowedMethods allows".to_string(),
            ));
        }
    }
    (set.iter().map(|m| m.to_string()).collect(), cached_options)
}

fn selection(
    key: &'static str,
    behavior: &str,
    names: Option<&Items>,
    allowed: &[&str],
    refusals: &mut Vec<Refusal>,
) -> Selection {
    let names = names.map(|items| {
        check_count(key, items, refusals);
        items.items.clone()
    });
    match behavior {
        "none" => Selection::None,
        "all" | "allViewer" | "allViewerAndWhitelistCloudFront" if allowed.contains(&behavior) => {
            Selection::All
        }
        "whitelist" => Selection::Only(names.unwrap_or_default()),
        "allExcept" if allowed.contains(&behavior) => {
            Selection::AllExcept(names.unwrap_or_default())
        }
        other => {
            refusals.push((
                key,
                None,
                format!(
                    "InvalidArgument: '{other}' is not one of {}",
                    allowed.join(", ")
                ),
            ));
            Selection::None
        }
    }
}

/// A custom cache policy, or every refusal CloudFront would answer `CreateCachePolicy` with.
pub fn cache_policy(raw: RawCachePolicy) -> Result<CachePolicy, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let min = ttl_value("MinTTL", raw.MinTTL, &mut refusals);
    let default = ttl_value(
        "DefaultTTL",
        raw.DefaultTTL.unwrap_or(86_400),
        &mut refusals,
    );
    let max = ttl_value("MaxTTL", raw.MaxTTL.unwrap_or(31_536_000), &mut refusals);
    if !(min <= default && default <= max) {
        refusals.push((
            "DefaultTTL",
            None,
            format!("InvalidArgument: the TTLs must hold MinTTL ≤ DefaultTTL ≤ MaxTTL ({min}, {default}, {max})"),
        ));
    }
    let key = &raw.ParametersInCacheKeyAndForwardedToOrigin;
    let headers = selection(
        "ParametersInCacheKeyAndForwardedToOrigin",
        &key.HeadersConfig.HeaderBehavior,
        key.HeadersConfig.Headers.as_ref(),
        &["none", "whitelist"],
        &mut refusals,
    );
    let cookies = selection(
        "ParametersInCacheKeyAndForwardedToOrigin",
        &key.CookiesConfig.CookieBehavior,
        key.CookiesConfig.Cookies.as_ref(),
        &["none", "whitelist", "allExcept", "all"],
        &mut refusals,
    );
    let query = selection(
        "ParametersInCacheKeyAndForwardedToOrigin",
        &key.QueryStringsConfig.QueryStringBehavior,
        key.QueryStringsConfig.QueryStrings.as_ref(),
        &["none", "whitelist", "allExcept", "all"],
        &mut refusals,
    );
    if max == 0
        && (headers != Selection::None
            || cookies != Selection::None
            || query != Selection::None
            || key.EnableAcceptEncodingGzip
            || key.EnableAcceptEncodingBrotli)
    {
        refusals.push((
            "ParametersInCacheKeyAndForwardedToOrigin",
            None,
            "InvalidArgument: a policy that caches nothing (MaxTTL 0) cannot put values in the cache key; forward them with an origin request policy".to_string(),
        ));
    }
    if refusals.is_empty() {
        Ok(CachePolicy {
            name: Arc::from(raw.Name.as_str()),
            managed: false,
            legacy: false,
            ttl: Ttl { min, default, max },
            headers,
            cookies,
            query,
            gzip: key.EnableAcceptEncodingGzip,
            brotli: key.EnableAcceptEncodingBrotli,
        })
    } else {
        Err(refusals)
    }
}

/// The legacy cache settings (`ForwardedValues` and the behavior's TTLs): whitelisted headers
/// are both in the key and forwarded; `*` forwards every header and caches nothing.
pub fn legacy_cache(raw: &RawBehavior, refusals: &mut Vec<Refusal>) -> CachePolicy {
    let forwarded = raw.ForwardedValues.as_ref();
    let min = ttl_value("MinTTL", raw.MinTTL.unwrap_or(0), refusals);
    let default = ttl_value("DefaultTTL", raw.DefaultTTL.unwrap_or(86_400), refusals);
    let max = ttl_value("MaxTTL", raw.MaxTTL.unwrap_or(31_536_000), refusals);
    let headers = match forwarded.and_then(|f| f.Headers.as_ref()) {
        None => Selection::None,
        Some(items) => {
            check_count("ForwardedValues", items, refusals);
            if items.items.iter().any(|h| h == "*") {
                Selection::All
            } else if items.items.is_empty() {
                Selection::None
            } else {
                Selection::Only(items.items.clone())
            }
        }
    };
    let cookies = match forwarded.and_then(|f| f.Cookies.as_ref()) {
        None => Selection::None,
        Some(cookies) => {
            match cookies.Forward.as_str() {
                "none" => Selection::None,
                "all" => Selection::All,
                "whitelist" => Selection::Only(
                    cookies
                        .WhitelistedNames
                        .as_ref()
                        .map(|n| n.items.clone())
                        .unwrap_or_default(),
                ),
                other => {
                    refusals.push((
                    "ForwardedValues",
                    None,
                    format!("InvalidArgument: Cookies.Forward '{other}' is not none, whitelist or all"),
                ));
                    Selection::None
                }
            }
        }
    };
    let query = match forwarded {
        Some(f) if f.QueryString => match &f.QueryStringCacheKeys {
            Some(keys) if !keys.items.is_empty() => Selection::Only(keys.items.clone()),
            _ => Selection::All,
        },
        _ => Selection::None,
    };
    // Forwarding every header turns caching off (documented).
    let every_header = headers == Selection::All;
    CachePolicy {
        name: Arc::from("legacy cache settings"),
        managed: false,
        legacy: true,
        ttl: if every_header {
            Ttl {
                min: 0,
                default: 0,
                max: 0,
            }
        } else {
            Ttl { min, default, max }
        },
        headers,
        cookies,
        query,
        gzip: false,
        brotli: false,
    }
}

/// A custom origin request policy.
pub fn origin_request_policy(
    raw: RawOriginRequestPolicy,
) -> Result<OriginRequestPolicy, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let headers = selection(
        "HeadersConfig",
        &raw.HeadersConfig.HeaderBehavior,
        raw.HeadersConfig.Headers.as_ref(),
        &[
            "none",
            "whitelist",
            "allViewer",
            "allViewerAndWhitelistCloudFront",
            "allExcept",
        ],
        &mut refusals,
    );
    let cookies = selection(
        "CookiesConfig",
        &raw.CookiesConfig.CookieBehavior,
        raw.CookiesConfig.Cookies.as_ref(),
        &["none", "whitelist", "all", "allExcept"],
        &mut refusals,
    );
    let query = selection(
        "QueryStringsConfig",
        &raw.QueryStringsConfig.QueryStringBehavior,
        raw.QueryStringsConfig.QueryStrings.as_ref(),
        &["none", "whitelist", "all", "allExcept"],
        &mut refusals,
    );
    if refusals.is_empty() {
        Ok(OriginRequestPolicy {
            name: Arc::from(raw.Name.as_str()),
            managed: false,
            headers,
            cookies,
            query,
        })
    } else {
        Err(refusals)
    }
}

/// Whether a `CorsConfig` origin entry is one CloudFront takes: an origin, `*`, or `*` as the
/// leftmost label (documented).
fn origin_entry_ok(entry: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let host = entry.split_once("://").map_or(entry, |(_, rest)| rest);
    match host.find('*') {
        None => true,
        Some(at) => {
            at == 0
                && host[1..].starts_with('.')
                && !host[1..].contains('*')
                && host[2..].contains('.')
        }
    }
}

/// A custom response headers policy.
pub fn response_headers_policy(
    raw: RawResponseHeadersPolicy,
) -> Result<ResponseHeadersPolicy, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let cors = raw.CorsConfig.map(|cors| {
        for (key, items) in [
            ("AccessControlAllowOrigins", &cors.AccessControlAllowOrigins),
            ("AccessControlAllowHeaders", &cors.AccessControlAllowHeaders),
            ("AccessControlAllowMethods", &cors.AccessControlAllowMethods),
        ] {
            check_count(key, items, &mut refusals);
        }
        for (i, origin) in cors.AccessControlAllowOrigins.items.iter().enumerate() {
            if !origin_entry_ok(origin) {
                refusals.push((
                    "AccessControlAllowOrigins",
                    Some(i),
                    format!("InvalidArgument: '{origin}': a wildcard may only be the leftmost label (*.example.org), never the top-level domain, inside a label or right of one"),
                ));
            }
        }
        let mut methods = Vec::new();
        for (i, method) in cors.AccessControlAllowMethods.items.iter().enumerate() {
            if method == "ALL" {
                methods.extend(ALL_METHODS.iter().map(|m| m.to_string()));
            } else if ALL_METHODS.contains(&method.as_str()) {
                methods.push(method.clone());
            } else {
                refusals.push((
                    "AccessControlAllowMethods",
                    Some(i),
                    format!("InvalidArgument: '{method}' is not one of GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD, ALL"),
                ));
            }
        }
        let max_age = cors.AccessControlMaxAgeSec.map(|age| {
            u64::try_from(age).unwrap_or_else(|_| {
                refusals.push((
                    "AccessControlMaxAgeSec",
                    None,
                    format!("AccessControlMaxAgeSec {age} is negative"),
                ));
                0
            })
        });
        CorsConfig {
            allow_origins: cors.AccessControlAllowOrigins.items,
            allow_headers: cors.AccessControlAllowHeaders.items,
            allow_methods: methods,
            expose_headers: cors
                .AccessControlExposeHeaders
                .map(|e| e.items)
                .unwrap_or_default(),
            max_age,
            allow_credentials: cors.AccessControlAllowCredentials,
            origin_override: cors.OriginOverride,
        }
    });
    if refusals.is_empty() {
        Ok(ResponseHeadersPolicy {
            name: Arc::from(raw.Name.as_str()),
            managed: false,
            cors,
        })
    } else {
        Err(refusals)
    }
}

/// Where a layer's parts are in the file, for errors.
pub struct Placed {
    pub behavior: JsonPath,
    pub cache_policy: JsonPath,
    pub origin_request_policy: JsonPath,
    pub response_headers_policy: JsonPath,
}

/// A cache behavior and its policies as written: managed policies by ID (or name), custom ones
/// given beside the behavior, never both; each validated as CloudFront validates it, every
/// problem at its place.
pub fn read(written: Written, at: &Placed, problems: &mut Problems) -> Option<CloudFront> {
    let behavior_path = &at.behavior;
    let behavior: RawBehavior = sub_value(written.behavior.clone(), behavior_path, problems)?;
    let mut refusals = Vec::new();
    let (allowed_methods, cached_options) = methods(&behavior, &mut refusals);
    let valid = refused(
        if refusals.is_empty() {
            Ok(())
        } else {
            Err(refusals)
        },
        behavior_path,
        problems,
    );
    // Each policy: a managed one named by ID (or name), or a custom one given beside the
    // behavior, never both.
    let cache = match (
        &behavior.CachePolicyId,
        written.cache_policy.clone(),
        &behavior.ForwardedValues,
    ) {
        (Some(_), _, Some(_)) => {
            problems.add(
                behavior_path.key("ForwardedValues"),
                "InvalidArgument: a cache behavior takes a CachePolicyId or the legacy ForwardedValues, not both",
            );
            None
        }
        (None, None, _) => {
            let mut refusals = Vec::new();
            let legacy = legacy_cache(&behavior, &mut refusals);
            let ok = refusals.is_empty();
            refused(
                if ok { Ok(legacy) } else { Err(refusals) },
                behavior_path,
                problems,
            )
        }
        // One of the two is given, so a policy or a problem comes back.
        (id, given, _) => policy_of(
            (id.as_deref(), "CachePolicyId", managed_cache),
            given,
            (at.cache_policy.clone(), "CachePolicy", "CachePolicyConfig"),
            cache_policy,
            (behavior_path, problems),
        )
        .flatten(),
    };
    let origin_request = policy_of(
        (
            behavior.OriginRequestPolicyId.as_deref(),
            "OriginRequestPolicyId",
            managed_origin_request,
        ),
        written.origin_request_policy.clone(),
        (
            at.origin_request_policy.clone(),
            "OriginRequestPolicy",
            "OriginRequestPolicyConfig",
        ),
        origin_request_policy,
        (behavior_path, problems),
    );
    let response_headers = policy_of(
        (
            behavior.ResponseHeadersPolicyId.as_deref(),
            "ResponseHeadersPolicyId",
            managed_response_headers,
        ),
        written.response_headers_policy.clone(),
        (
            at.response_headers_policy.clone(),
            "ResponseHeadersPolicy",
            "ResponseHeadersPolicyConfig",
        ),
        response_headers_policy,
        (behavior_path, problems),
    );
    valid?;
    Some(CloudFront {
        behavior: Arc::new(Behavior {
            allowed_methods,
            cached_options,
            cache: cache?,
            origin_request: origin_request?,
            response_headers: response_headers?,
        }),
        written,
    })
}

/// A managed policy named by its ID: the ID, its key in the behavior, and the lookup.
type ManagedPolicy<'a, T> = (Option<&'a str>, &'a str, fn(&str) -> Option<T>);

/// One CloudFront policy: the managed policy `id` names, or the custom one `given` (its
/// `get-…-policy` answer, its `…PolicyConfig` wrapper, or the config itself); `Some(None)`
/// when neither is given, `None` when a problem was reported.
fn policy_of<T, Raw: serde::de::DeserializeOwned>(
    (id, id_key, managed): ManagedPolicy<T>,
    given: Option<serde_json::Value>,
    (given_path, answer_key, config_key): (JsonPath, &str, &str),
    custom: fn(Raw) -> Result<T, Vec<crate::server::Refusal>>,
    (behavior_path, problems): (&JsonPath, &mut Problems),
) -> Option<Option<T>> {
    if id.is_none() && given.is_none() {
        return Some(None);
    }
    let managed_policy = id.and_then(managed);
    match (managed_policy, given) {
        (Some(_), Some(_)) => {
            problems.add(
                given_path,
                format!("{id_key} names a managed policy; a custom policy given here would not be used: remove one of them"),
            );
            None
        }
        (Some(policy), None) => Some(Some(policy)),
        (None, None) => {
            problems.add(
                behavior_path.key(id_key),
                format!(
                    "'{}' is not a managed policy: give the custom policy's configuration beside the behavior ({} as get-…-policy prints it)",
                    id.unwrap_or_default(),
                    answer_key
                ),
            );
            None
        }
        (None, Some(mut value)) => {
            let mut at = given_path;
            if let Some(inner) = value.get_mut(answer_key).map(serde_json::Value::take) {
                value = inner;
                at = at.key(answer_key);
            }
            if let Some(inner) = value.get_mut(config_key).map(serde_json::Value::take) {
                value = inner;
                at = at.key(config_key);
            }
            let raw: Raw = sub_value(value, &at, problems)?;
            // A response headers policy's refusals are about its CorsConfig.
            let under = if answer_key == "ResponseHeadersPolicy" {
                at.key("CorsConfig")
            } else {
                at
            };
            refused(custom(raw), &under, problems).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behavior(json: &str) -> RawBehavior {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn both_spellings_of_the_method_sets_read_alike() {
        let cli = behavior(
            r#"{"AllowedMethods": {"Quantity": 3, "Items": ["HEAD", "GET", "OPTIONS"],
                 "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}}}"#,
        );
        let cfn = behavior(
            r#"{"AllowedMethods": ["GET", "HEAD", "OPTIONS"], "CachedMethods": ["GET", "HEAD"]}"#,
        );
        let mut refusals = Vec::new();
        assert_eq!(
            methods(&cli, &mut refusals),
            (vec!["GET".into(), "HEAD".into(), "OPTIONS".into()], false)
        );
        assert_eq!(methods(&cli, &mut refusals), methods(&cfn, &mut refusals));
        assert!(refusals.is_empty());
    }

    #[test]
    fn a_method_set_cloudfront_does_not_offer_is_refused() {
        let mut refusals = Vec::new();
        methods(
            &behavior(r#"{"AllowedMethods": ["GET", "POST"]}"#),
            &mut refusals,
        );
        assert_eq!(refusals[0].0, "AllowedMethods");
        let mut refusals = Vec::new();
        methods(
            &behavior(r#"{"AllowedMethods": {"Quantity": 3, "Items": ["GET", "HEAD"]}}"#),
            &mut refusals,
        );
        assert!(refusals[0].2.contains("Quantity 3"), "{refusals:?}");
    }

    #[test]
    fn managed_policies_are_found_by_id_or_by_name() {
        let by_id = managed_cache("658327ea-f89d-4fab-a63d-7e88639e58f6").unwrap();
        assert_eq!(
            managed_cache("Managed-CachingOptimized"),
            Some(by_id.clone())
        );
        assert_eq!(by_id.ttl.default, 86_400);
        assert!(by_id.gzip && by_id.brotli);
        let s3 = managed_origin_request("CORS-S3Origin").unwrap();
        assert!(s3.headers.covers("origin") && s3.headers.covers("Access-Control-Request-Method"));
        assert!(!s3.headers.covers("Authorization"));
        let except_host = managed_origin_request("b689b0a8-53d0-40ab-baf2-68738e2966ac").unwrap();
        assert!(except_host.headers.covers("Origin") && !except_host.headers.covers("host"));
        assert!(managed_cache("no-such-policy").is_none());
    }

    #[test]
    fn legacy_star_headers_turn_caching_off() {
        let mut refusals = Vec::new();
        let all = legacy_cache(
            &behavior(r#"{"ForwardedValues": {"QueryString": false, "Headers": ["*"]}}"#),
            &mut refusals,
        );
        assert!(!all.caches());
        let origin = legacy_cache(
            &behavior(
                r#"{"ForwardedValues": {"QueryString": false, "Headers": {"Quantity": 1, "Items": ["Origin"]}}, "MinTTL": 0}"#,
            ),
            &mut refusals,
        );
        assert!(origin.caches() && origin.headers.covers("Origin"));
        assert!(refusals.is_empty());
    }

    #[test]
    fn cors_origins_take_a_wildcard_only_as_the_leftmost_label() {
        for ok in [
            "*",
            "https://example.org",
            "https://*.example.org",
            "*.example.org",
        ] {
            assert!(origin_entry_ok(ok), "{ok}");
        }
        for bad in [
            "https://example.*",
            "https://test.*.example.org",
            "https://exa*mple.org",
        ] {
            assert!(!origin_entry_ok(bad), "{bad}");
        }
    }
}
