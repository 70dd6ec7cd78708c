//! CloudFront's configuration as the AWS CLI prints it: `aws cloudfront get-distribution-config`
//! (`{"ETag", "DistributionConfig"}`) or `get-distribution` (`{"Distribution": {…,
//! "DistributionConfig"}}`), JSON or YAML. The default cache behavior becomes a "cloudfront"
//! layer; custom policies are named by ID only in this output, so they must be given in the
//! scenario (their `get-…-policy` answers) and are reported here.

use serde_json::Value;

use super::cloudformation::{Stack, Template, load_document};
use crate::scenario::LoadErrors;
use crate::scenario::validate::{JsonPath, Problem, Problems};
use crate::server::FrontLayer;
use crate::server::cloudfront::{Written, config};

/// Reads `text` as a distribution's configuration; None when it is not one.
pub fn load(text: &str, file: &str) -> Option<Result<Template, LoadErrors>> {
    let looks_like = text.contains("DistributionConfig");
    load_document(text, file, looks_like, claims, read)
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
        && distribution_config(value)
            .is_some_and(|(config, _)| config.get("DefaultCacheBehavior").is_some())
}

fn read(value: &Value, yaml: bool) -> Result<Template, Vec<Problem>> {
    let Some((config, at)) = distribution_config(value) else {
        return Err(Vec::new());
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
    fn a_custom_policy_id_is_placed_and_explained() {
        let text = r#"{"ETag": "E1", "DistributionConfig": {"DefaultCacheBehavior": {
            "CachePolicyId": "0f1a2b3c-1111-2222-3333-444455556666"}}}"#;
        let errors = load(text, "d.json").unwrap().err().unwrap();
        let message = errors.to_string();
        assert!(message.contains("d.json:2:30"), "{message}");
        assert!(message.contains("is not a managed policy"), "{message}");
    }
}
