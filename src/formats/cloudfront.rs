//! CloudFront's configuration as the AWS CLI prints it: `aws cloudfront get-distribution-config`
//! (`{"ETag", "DistributionConfig"}`) or `get-distribution` (`{"Distribution": {…,
//! "DistributionConfig"}}`), and a policy alone (`get-cache-policy`,
//! `get-origin-request-policy`, `get-response-headers-policy`), JSON or YAML. The default cache
//! behavior becomes a "cloudfront" layer; a distribution names custom policies by ID only, so
//! they are given beside it (in the scenario, or with `--config` one file each).

use serde_json::Value;

use super::cloudformation::{Stack, Template, load_document};
use crate::scenario::LoadErrors;
use crate::scenario::validate::{JsonPath, Problem, Problems};
use crate::server::FrontLayer;
use crate::server::cloudfront::{Written, config};

/// Reads `text` as a distribution's configuration; None when it is not one.
pub fn load(text: &str, file: &str) -> Option<Result<Template, LoadErrors>> {
    let looks_like = text.contains("DistributionConfig") || text.contains("PolicyConfig");
    load_document(text, file, looks_like, claims, read)
}

/// The three kinds of policy: (the answer's key, its config's key).
const POLICY_KEYS: [(&str, &str); 3] = [
    ("CachePolicy", "CachePolicyConfig"),
    ("OriginRequestPolicy", "OriginRequestPolicyConfig"),
    ("ResponseHeadersPolicy", "ResponseHeadersPolicyConfig"),
];

/// The policy `value` holds alone: its kind's keys, its config and its place.
fn policy_config(value: &Value) -> Option<((&'static str, &'static str), &Value, JsonPath)> {
    POLICY_KEYS.iter().find_map(|&(answer, config)| {
        let inner = value.get(answer)?.get(config)?;
        Some((
            (answer, config),
            inner,
            JsonPath::default().key(answer).key(config),
        ))
    })
}

fn read_policy(value: &Value, yaml: bool) -> Result<Template, Vec<Problem>> {
    use super::cloudformation::placed;
    use crate::scenario::validate::deserialize_at;
    use crate::server::cloudfront::Policy;
    let Some(((answer, _), config_value, at)) = policy_config(value) else {
        return Err(Vec::new());
    };
    let raw = config_value.clone();
    let policy = match answer {
        "CachePolicy" => {
            let parsed = deserialize_at(raw.clone(), &at).map_err(|p| vec![p])?;
            Policy::Cache(
                config::cache_policy(parsed).map_err(|r| placed(&at, r))?,
                raw,
            )
        }
        "OriginRequestPolicy" => {
            let parsed = deserialize_at(raw.clone(), &at).map_err(|p| vec![p])?;
            Policy::OriginRequest(
                config::origin_request_policy(parsed).map_err(|r| placed(&at, r))?,
                raw,
            )
        }
        _ => {
            let parsed = deserialize_at(raw.clone(), &at).map_err(|p| vec![p])?;
            Policy::ResponseHeaders(
                config::response_headers_policy(parsed)
                    .map_err(|r| placed(&at.key("CorsConfig"), r))?,
                raw,
            )
        }
    };
    Ok(Template {
        source: match answer {
            "CachePolicy" => "aws cloudfront get-cache-policy",
            "OriginRequestPolicy" => "aws cloudfront get-origin-request-policy",
            _ => "aws cloudfront get-response-headers-policy",
        },
        yaml,
        stacks: Vec::new(),
        buckets: Vec::new(),
        policies: vec![policy],
    })
}

/// The `DistributionConfig` object and its place, when `value` holds one.
fn distribution_config(value: &Value) -> Option<(&Value, JsonPath)> {
    if let Some(config) = value.get("DistributionConfig") {
        return Some((config, JsonPath::default().key("DistributionConfig")));
    }
    let config = value.get("Distribution")?.get("DistributionConfig")?;
    Some((
        config,
        JsonPath::default()
            .key("Distribution")
            .key("DistributionConfig"),
    ))
}

fn claims(value: &Value) -> bool {
    value.get("server").is_none()
        && (distribution_config(value)
            .is_some_and(|(config, _)| config.get("DefaultCacheBehavior").is_some())
            || policy_config(value).is_some())
}

fn read(value: &Value, yaml: bool) -> Result<Template, Vec<Problem>> {
    let Some((config, at)) = distribution_config(value) else {
        return read_policy(value, yaml);
    };
    let id = value
        .get("Distribution")
        .and_then(|d| d.get("Id"))
        .and_then(Value::as_str)
        .unwrap_or("distribution")
        .to_string();
    let (layer, notes) = behavior_layer(config, &at, &Policies::default())?;
    Ok(Template {
        source: "aws cloudfront get-distribution-config",
        yaml,
        stacks: vec![Stack {
            id,
            kind: "AWS::CloudFront::Distribution",
            layer,
            notes,
        }],
        buckets: Vec::new(),
        policies: Vec::new(),
    })
}

/// Custom policies a template defines: (logical ID, `Properties`, their place).
#[derive(Default)]
pub(super) struct Policies {
    pub cache: Vec<(String, Value, JsonPath)>,
    pub origin_request: Vec<(String, Value, JsonPath)>,
    pub response_headers: Vec<(String, Value, JsonPath)>,
}

/// A distribution's default cache behavior as a layer, and notes on what was not read (the
/// other cache behaviors). `policies` supplies the custom policies a template defines.
pub(super) fn behavior_layer(
    config: &Value,
    at: &JsonPath,
    policies: &Policies,
) -> Result<(FrontLayer, Vec<String>), Vec<Problem>> {
    let mut behavior = config
        .get("DefaultCacheBehavior")
        .cloned()
        .unwrap_or_default();
    let behavior_at = at.key("DefaultCacheBehavior");
    let mut given = [None, None, None];
    let mut places = [
        behavior_at.key("CachePolicyId"),
        behavior_at.key("OriginRequestPolicyId"),
        behavior_at.key("ResponseHeadersPolicyId"),
    ];
    let keys = [
        ("CachePolicyId", &policies.cache),
        ("OriginRequestPolicyId", &policies.origin_request),
        ("ResponseHeadersPolicyId", &policies.response_headers),
    ];
    if let Value::Object(map) = &mut behavior {
        for ((slot, place), (key, defined)) in given.iter_mut().zip(&mut places).zip(keys) {
            // An empty ID is the CLI's way of saying none.
            if map.get(key).and_then(Value::as_str) == Some("") {
                map.remove(key);
                continue;
            }
            let named = map
                .get(key)
                .and_then(super::cloudformation::target)
                .map(str::to_string);
            if let Some((logical, policy, policy_at)) = named
                .as_deref()
                .and_then(|name| defined.iter().find(|(id, _, _)| id == name))
            {
                map.insert(key.to_string(), Value::String(logical.clone()));
                *slot = Some(policy.clone());
                place.clone_from(policy_at);
            }
        }
    }
    let [cache_policy, origin_request_policy, response_headers_policy] = given;
    let written = Written {
        behavior,
        cache_policy,
        origin_request_policy,
        response_headers_policy,
    };
    let [cache_at, origin_request_at, response_headers_at] = places;
    let placed = config::Placed {
        behavior: behavior_at,
        cache_policy: cache_at,
        origin_request_policy: origin_request_at,
        response_headers_policy: response_headers_at,
    };
    let mut problems = Problems::default();
    let layer = config::read(written, &placed, &mut problems);
    let other: Vec<String> = config
        .get("CacheBehaviors")
        .map(|behaviors| behaviors.get("Items").unwrap_or(behaviors))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("PathPattern").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let mut notes = Vec::new();
    if !other.is_empty() {
        notes.push(format!(
            "only the default cache behavior is read; the behaviors for {} are not",
            other.join(", ")
        ));
    }
    match layer {
        Some(layer) if problems.0.is_empty() => {
            Ok((FrontLayer::CloudFront(Box::new(layer)), notes))
        }
        _ => Err(problems.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::config_fixture;
    use crate::server::cloudfront::Selection;

    #[test]
    fn the_clis_distribution_config_reads_as_its_default_behavior() {
        let text = config_fixture("cloudfront-get-distribution-config.json");
        let template = load(&text, "dist.json").unwrap().unwrap();
        let FrontLayer::CloudFront(layer) = &template.stacks[0].layer else {
            panic!("not a cloudfront layer");
        };
        let b = &layer.behavior;
        assert_eq!(b.allowed_methods, ["GET", "HEAD", "OPTIONS"]);
        assert_eq!(&*b.cache.name, "CachingOptimized");
        assert!(b.origin_request.as_ref().unwrap().headers.covers("Origin"));
        assert_eq!(b.cache.headers, Selection::None);
        assert!(template.stacks[0].notes[0].contains("/api/*"));
    }

    #[test]
    fn the_legacy_settings_of_the_clis_own_example_read() {
        let text = config_fixture("cloudfront-legacy-distribution-config.json");
        let template = load(&text, "legacy.json").unwrap().unwrap();
        let FrontLayer::CloudFront(layer) = &template.stacks[0].layer else {
            panic!("not a cloudfront layer");
        };
        assert!(layer.behavior.cache.legacy);
        assert_eq!(layer.behavior.cache.ttl.min, 3600);
        assert_eq!(layer.behavior.cache.query, Selection::All);
    }

    #[test]
    fn a_policy_alone_is_read_and_its_refusals_placed() {
        let text = config_fixture("cloudfront-get-cache-policy.json");
        let template = load(&text, "policy.json").unwrap().unwrap();
        let [crate::server::cloudfront::Policy::Cache(cache, _)] = template.policies.as_slice()
        else {
            panic!("one cache policy");
        };
        assert!(cache.headers.covers("origin"));
        let bad = r#"{"ResponseHeadersPolicy": {"ResponseHeadersPolicyConfig": {"Name": "p",
            "CorsConfig": {"AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://a.*"]},
            "AccessControlAllowHeaders": {"Quantity": 0}, "AccessControlAllowMethods": {"Quantity": 1, "Items": ["GET"]},
            "AccessControlAllowCredentials": false, "OriginOverride": true}}}}"#;
        let errors = load(bad, "rhp.json").unwrap().err().unwrap().to_string();
        assert!(
            errors.contains("ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins[0]"),
            "{errors}"
        );
    }

    #[test]
    fn a_custom_policy_id_is_placed_and_explained() {
        let text = r#"{"ETag": "E1", "DistributionConfig": {"DefaultCacheBehavior": {
            "CachePolicyId": "0f1a2b3c-1111-2222-3333-444455556666"}}}"#;
        let errors = load(text, "d.json").unwrap().err().unwrap();
        let message = errors.to_string();
        assert!(message.contains("d.json:2:30"), "{message}");
        assert!(message.contains("is not a managed policy"), "{message}");
    }
}
