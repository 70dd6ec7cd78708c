//! `cors-tui convert`: a configuration rewritten in another spelling or for another provider,
//! where its rules can be expressed there. What cannot be is an error naming the rule and the
//! value; what changes meaning on the way is a note.

use super::azure;
use super::config::{LoadedConfig, load_config};
use super::s3::{self, S3Target};
use crate::scenario::write::rules_json;
use crate::scenario::{CorsConfiguration, CorsRule, Provider};
use crate::server::gcs::config as gcs;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    S3Json,
    S3Xml,
    S3Console,
    CloudFormation,
    Gcs,
    AzureXml,
    AzureJson,
}

impl Target {
    /// Every format `convert` writes.
    pub const ALL: [Target; 7] = [
        Target::S3Json,
        Target::S3Xml,
        Target::S3Console,
        Target::CloudFormation,
        Target::Gcs,
        Target::AzureXml,
        Target::AzureJson,
    ];

    /// The written format's name, as refusals quote it.
    pub fn name(self) -> &'static str {
        match self {
            Target::S3Json => "S3 JSON",
            Target::S3Xml => "S3 XML",
            Target::S3Console => "S3 console JSON",
            Target::CloudFormation => "CloudFormation",
            Target::Gcs => "GCS JSON",
            Target::AzureXml => "Azure XML",
            Target::AzureJson => "Azure JSON",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            Target::Gcs => Provider::Gcs,
            Target::AzureXml | Target::AzureJson => Provider::Azure,
            _ => Provider::S3,
        }
    }
}

/// The written configuration and what a reader should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub text: String,
    pub notes: Vec<String>,
}

fn lower_dedup(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&item)) {
            out.push(item);
        }
    }
    out
}

/// One rule carried to `to`, or why it cannot be.
fn translate(
    rule: &CorsRule,
    label: &str,
    from: Provider,
    to: Provider,
    notes: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> CorsRule {
    let mut out = rule.clone();
    if to != Provider::S3 {
        for origin in &rule.allowed_origins {
            if origin.contains('*') && origin != "*" {
                errors.push(format!(
                    "rule {label}: origin \"{origin}\" has a partial wildcard; {} matches whole origins or \"*\" only",
                    to.short()
                ));
            }
        }
        if rule.id.is_some() {
            out.id = None;
            notes.push(format!(
                "rule {label}: {} rules have no ID; the ID is dropped",
                to.short()
            ));
        }
    }
    if from == Provider::Gcs && to != Provider::Gcs {
        // GCS's one list both allows request headers and exposes response headers.
        out.allowed_headers = rule.expose_headers.clone();
        if !rule.expose_headers.is_empty() {
            notes.push(format!(
                "rule {label}: GCS's responseHeader becomes both {} and {}",
                to.field(crate::scenario::Field::AllowedHeaders),
                to.field(crate::scenario::Field::ExposeHeaders)
            ));
        }
    }
    if to == Provider::Gcs && from != Provider::Gcs {
        let merged = lower_dedup(
            rule.allowed_headers
                .iter()
                .chain(&rule.expose_headers)
                .cloned(),
        );
        // Merging changes meaning when a non-empty list gains names from the other.
        let gains =
            |list: &[String]| !list.is_empty() && lower_dedup(list.to_vec()).len() != merged.len();
        if gains(&rule.allowed_headers) || gains(&rule.expose_headers) {
            notes.push(format!(
                "rule {label}: GCS has one responseHeader list for allowed and exposed headers; they are merged, so each now does both"
            ));
        }
        for header in &merged {
            if header.contains('*') && header != "*" {
                errors.push(format!(
                    "rule {label}: header pattern \"{header}\" cannot be written for GCS, whose responseHeader takes whole names"
                ));
            }
        }
        out.allowed_headers = Vec::new();
        out.expose_headers = merged;
    }
    if to == Provider::Azure {
        for header in rule.allowed_headers.iter().chain(&rule.expose_headers) {
            let stars = header.matches('*').count();
            if stars > 1 || (stars == 1 && !header.ends_with('*')) {
                errors.push(format!(
                    "rule {label}: header pattern \"{header}\" cannot be written for Azure, which takes only prefixes ending in *"
                ));
            }
        }
        if rule.max_age_seconds.is_none() {
            out.max_age_seconds = Some(0);
            notes.push(format!(
                "rule {label}: Azure requires MaxAgeInSeconds; 0 is written, so browsers do not cache the preflight (without it they cached it for 5 seconds)"
            ));
        }
    }
    if to == Provider::S3 && rule.allowed_methods.iter().any(|m| m == "*") {
        errors.push(format!(
            "rule {label}: method \"*\" cannot be written for S3, whose AllowedMethods lists GET, PUT, HEAD, POST, DELETE"
        ));
    }
    out
}

fn write(config: &CorsConfiguration, target: Target) -> String {
    match target {
        Target::S3Json => s3::write_s3(config, S3Target::S3Json),
        Target::S3Xml => s3::write_s3(config, S3Target::S3Xml),
        Target::S3Console => s3::write_s3(config, S3Target::S3Console),
        Target::CloudFormation => s3::write_s3(config, S3Target::CloudFormation),
        Target::Gcs => gcs::to_json(&config.rules),
        Target::AzureXml => azure::to_xml(&config.rules),
        Target::AzureJson => {
            serde_json::to_string_pretty(&rules_json(Provider::Azure, &config.rules))
                .unwrap_or_default()
        }
    }
}

/// Every value of `rule` holding a character no configuration may carry: XML 1.0 cannot hold
/// C0 controls at all, and a control, bidi or zero-width character written to a JSON or XML
/// file reaches the terminal of whoever prints it. No browser sends such a value either, so a
/// rule holding one never matched anything.
fn unwritable_characters(
    rule: &CorsRule,
    label: &str,
    from: Provider,
    target: Target,
    errors: &mut Vec<String>,
) {
    use crate::safe_text::is_unsafe_char;
    use crate::scenario::Field;
    let lists: [(Field, &[String]); 4] = [
        (Field::Origins, &rule.allowed_origins),
        (Field::Methods, &rule.allowed_methods),
        (Field::AllowedHeaders, &rule.allowed_headers),
        (Field::ExposeHeaders, &rule.expose_headers),
    ];
    let id = rule
        .id
        .iter()
        .map(|id| (from.field(Field::Id).to_string(), id));
    let values = lists.iter().flat_map(|(field, list)| {
        list.iter()
            .enumerate()
            .map(move |(i, value)| (format!("{}[{i}]", from.field(*field)), value))
    });
    for (place, value) in id.chain(values) {
        if let Some(c) = value.chars().find(|&c| is_unsafe_char(c)) {
            errors.push(format!(
                "rule {label}: {place} contains {} U+{:04X}; {} cannot hold it",
                if c.is_control() {
                    "control character"
                } else {
                    "invisible or bidi character"
                },
                c as u32,
                target.name()
            ));
        }
    }
}

/// `loaded` written as `target`; errors name every rule value the target cannot express or
/// would refuse.
pub fn convert(loaded: &LoadedConfig, target: Target) -> Result<Converted, Vec<String>> {
    let from = loaded.provider();
    let to = target.provider();
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    let rules: Vec<CorsRule> = loaded
        .config
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            unwritable_characters(rule, &format!("#{}", i + 1), from, target, &mut errors);
            translate(rule, &rule.label(i), from, to, &mut notes, &mut errors)
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let config = CorsConfiguration { rules };
    let text = write(&config, target);
    // What the target service itself would refuse (limits, methods) shows up on reading back.
    match load_config(&text, "converted") {
        Ok(_) => Ok(Converted { text, notes }),
        Err(refused) => Err(refused
            .errors()
            .0
            .iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> LoadedConfig {
        match load_config(text, "in") {
            Ok(loaded) => loaded,
            Err(e) => panic!("{e}"),
        }
    }

    const S3: &str = r#"{"CORSRules": [{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]}"#;

    #[test]
    fn every_target_reads_back_as_its_provider() {
        let loaded = load(S3);
        for target in Target::ALL {
            let Ok(converted) = convert(&loaded, target) else {
                panic!("{target:?} converts")
            };
            let again = load(&converted.text);
            assert_eq!(again.provider(), target.provider(), "{target:?}");
            assert_eq!(
                again.config.rules[0].allowed_origins,
                ["https://a.example"],
                "{target:?}"
            );
        }
    }

    #[test]
    fn azure_and_back_keeps_the_rules() {
        let loaded = load(S3);
        let Ok(azure) = convert(&loaded, Target::AzureXml) else {
            panic!("converts")
        };
        let Ok(back) = convert(&load(&azure.text), Target::S3Json) else {
            panic!("converts back")
        };
        assert_eq!(load(&back.text).config, loaded.config);
    }

    #[test]
    fn gcs_merges_header_lists_and_says_so() {
        let Ok(gcs) = convert(&load(S3), Target::Gcs) else {
            panic!("converts")
        };
        assert_eq!(
            load(&gcs.text).config.rules[0].expose_headers,
            ["content-type", "ETag"]
        );
        assert!(
            gcs.notes.iter().any(|n| n.contains("merged")),
            "{:?}",
            gcs.notes
        );
    }

    #[test]
    fn what_cannot_be_expressed_is_named() {
        let partial = load(
            r#"{"CORSRules": [{"AllowedOrigins": ["https://*.a.example"], "AllowedMethods": ["GET"]}]}"#,
        );
        let Err(errors) = convert(&partial, Target::Gcs) else {
            panic!("refused")
        };
        assert!(errors[0].contains("partial wildcard"), "{errors:?}");
        let six = format!(
            "{{\"CORSRules\": [{}]}}",
            [r#"{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}"#; 6].join(",")
        );
        let Err(errors) = convert(&load(&six), Target::AzureXml) else {
            panic!("refused")
        };
        assert!(errors.iter().any(|e| e.contains("at most 5")), "{errors:?}");
        let gcs_star = load(r#"[{"origin": ["*"], "method": ["*"]}]"#);
        assert!(convert(&gcs_star, Target::S3Json).is_err());
    }

    #[test]
    fn terminal_and_bidi_characters_are_refused_for_every_target() {
        // An OSC 52 clipboard write in an origin, a C1 CSI in an ID, a bidi override in a header.
        let hostile = load(
            r#"{"CORSRules": [{"ID": "id\u009b", "AllowedOrigins": ["https://a.example\u001b]52;c;ZWNobyBwd25lZA==\u0007"], "AllowedMethods": ["GET"], "ExposeHeaders": ["x-\u202eab"]}]}"#,
        );
        for target in Target::ALL {
            let Err(errors) = convert(&hostile, target) else {
                panic!("{target:?} must refuse")
            };
            let name = target.name();
            assert!(
                errors.contains(&format!(
                    "rule #1: AllowedOrigins[0] contains control character U+001B; {name} cannot hold it"
                )),
                "{errors:?}"
            );
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("ID contains control character U+009B"))
            );
            assert!(errors.iter().any(|e| {
                e.contains("ExposeHeaders[0] contains invisible or bidi character U+202E")
            }));
        }
    }
}
