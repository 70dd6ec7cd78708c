//! A CORS configuration of any provider, in any spelling people have it in, detected by
//! content: S3's (`s3.rs`), GCS's and Azure's (`azure.rs` reads its XML). Errors name file,
//! line, column and key; a rule the provider would refuse is placed where the file wrote it.

use serde::Deserialize;

use super::reading::{RulePlaces, typed};
use super::s3::{self, S3Spelling};
use crate::scenario::Provider;
use crate::scenario::validate::{JsonPath, Problem, Seg};
use crate::scenario::{CorsConfiguration, LoadError, LoadErrors, line_column, locate_problem};
use crate::server::azure::config::{self as azure_config, RawAzureRules};
use crate::server::gcs::config::{self as gcs_config, RawGcsRule};
use crate::server::rules::PathPart;
use crate::server::s3::config as s3_config;

/// Which provider's file a configuration was read from, and in which spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    S3(S3Spelling),
    /// GCS's CORS file: a bare list of `origin`/`method`/`responseHeader`/`maxAgeSeconds`.
    GcsList,
    /// A GCS bucket resource (JSON API): `{"cors": [...]}`.
    GcsBucket,
    /// Azure's `<Cors>` XML (Set Blob Service Properties), lists comma-separated.
    AzureXml,
    /// Azure Resource Manager JSON: `corsRules` with arrays.
    AzureArm,
}

impl Spelling {
    pub fn provider(self) -> Provider {
        match self {
            Spelling::S3(_) => Provider::S3,
            Spelling::GcsList | Spelling::GcsBucket => Provider::Gcs,
            Spelling::AzureXml | Spelling::AzureArm => Provider::Azure,
        }
    }

    /// The spelling's name, short enough to stand in brackets after a file's name.
    pub fn name(self) -> &'static str {
        match self {
            Spelling::S3(s3) => s3.name(),
            Spelling::GcsList => "Google Cloud Storage CORS JSON",
            Spelling::GcsBucket => "Google Cloud Storage bucket resource",
            Spelling::AzureXml => "Azure Storage service properties XML",
            Spelling::AzureArm => "Azure Resource Manager JSON",
        }
    }

    /// The spelling's name and what tells it apart.
    pub fn describe(self) -> &'static str {
        match self {
            Spelling::S3(s3) => s3.describe(),
            Spelling::GcsList => {
                "Google Cloud Storage CORS JSON (a list of origin, method, responseHeader, maxAgeSeconds)"
            }
            Spelling::GcsBucket => "Google Cloud Storage bucket resource ({\"cors\": [...]})",
            Spelling::AzureXml => {
                "Azure Storage service properties XML (<Cors><CorsRule>, comma-separated lists)"
            }
            Spelling::AzureArm => {
                "Azure Resource Manager JSON (corsRules with allowedOrigins, allowedMethods, ...)"
            }
        }
    }
}

/// A configuration read from a file, with the spelling it was found in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedConfig {
    pub config: CorsConfiguration,
    pub spelling: Spelling,
}

impl LoadedConfig {
    pub fn provider(&self) -> Provider {
        self.spelling.provider()
    }
}

/// Why a configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not readable as any spelling (syntax, shape, unknown keys).
    Unreadable(LoadErrors),
    /// Readable, but the provider would refuse to store it.
    Rejected {
        provider: Provider,
        errors: LoadErrors,
    },
}

impl ConfigError {
    pub fn errors(&self) -> &LoadErrors {
        match self {
            ConfigError::Unreadable(errors) | ConfigError::Rejected { errors, .. } => errors,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.errors().fmt(f)
    }
}

/// The name of an XML document's root element, without a namespace prefix.
fn xml_root(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..end];
        return Some(name.rsplit(':').next().unwrap_or(name));
    }
}

/// What a JSON configuration looks like at first sight.
fn json_spelling(shape: &serde_json::Value) -> Option<Spelling> {
    use serde_json::Value;
    let gcs_keys = ["origin", "method", "responseHeader", "maxAgeSeconds"];
    let is_gcs_list = |items: &Vec<Value>| {
        items
            .iter()
            .any(|i| gcs_keys.iter().any(|k| i.get(k).is_some()))
    };
    match shape {
        Value::Array(items) if is_gcs_list(items) => Some(Spelling::GcsList),
        Value::Object(map) => {
            if let Some(Value::Array(_)) = map.get("cors") {
                return Some(Spelling::GcsBucket);
            }
            let arm = map.contains_key("corsRules")
                || map
                    .get("cors")
                    .is_some_and(|c| c.get("corsRules").is_some())
                || map
                    .get("properties")
                    .and_then(|p| p.get("cors"))
                    .is_some_and(|c| c.get("corsRules").is_some());
            arm.then_some(Spelling::AzureArm)
        }
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GcsBucket {
    cors: Vec<RawGcsRule>,
}

#[derive(Deserialize)]
struct ArmCors {
    cors: RawAzureRules,
}

#[derive(Deserialize)]
struct ArmProperties {
    properties: ArmCors,
}

/// Reads a CORS configuration of any provider, in any supported spelling, detected by content.
pub fn load_config(text: &str, file: &str) -> Result<LoadedConfig, ConfigError> {
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let unreadable = ConfigError::Unreadable;
    let (spelling, validated, places) = if start.starts_with('<') {
        if xml_root(start) == Some("CORSConfiguration") {
            let (rules, places) = s3::read_xml(text, file).map_err(unreadable)?;
            (
                Spelling::S3(S3Spelling::Xml),
                s3_config::validate_rules(rules),
                Places::Xml(places),
            )
        } else {
            let (rules, places) = super::azure::read_xml(text, file).map_err(unreadable)?;
            (
                Spelling::AzureXml,
                azure_config::validate_azure(rules),
                Places::Xml(places),
            )
        }
    } else {
        let shape: serde_json::Value = typed(text, file).map_err(unreadable)?;
        match json_spelling(&shape) {
            Some(Spelling::GcsList) => {
                let rules: Vec<RawGcsRule> = typed(text, file).map_err(unreadable)?;
                (
                    Spelling::GcsList,
                    gcs_config::validate_gcs(rules),
                    Places::Json(JsonPath::default()),
                )
            }
            Some(Spelling::GcsBucket) => {
                let bucket: GcsBucket = typed(text, file).map_err(unreadable)?;
                (
                    Spelling::GcsBucket,
                    gcs_config::validate_gcs(bucket.cors),
                    Places::Json(JsonPath(vec![Seg::Key("cors".into())])),
                )
            }
            Some(_) => {
                let (rules, prefix) = if shape.get("corsRules").is_some() {
                    let arm: RawAzureRules = typed(text, file).map_err(unreadable)?;
                    (arm.rules, vec!["corsRules"])
                } else if shape.get("cors").is_some() {
                    let arm: ArmCors = typed(text, file).map_err(unreadable)?;
                    (arm.cors.rules, vec!["cors", "corsRules"])
                } else {
                    let arm: ArmProperties = typed(text, file).map_err(unreadable)?;
                    (
                        arm.properties.cors.rules,
                        vec!["properties", "cors", "corsRules"],
                    )
                };
                let prefix = JsonPath(prefix.into_iter().map(|k| Seg::Key(k.into())).collect());
                (
                    Spelling::AzureArm,
                    azure_config::validate_azure(rules),
                    Places::Json(prefix),
                )
            }
            None => {
                let (spelling, rules, prefix) = s3::read_json(text, file).map_err(unreadable)?;
                (
                    Spelling::S3(spelling),
                    s3_config::validate_rules(rules),
                    Places::Json(prefix),
                )
            }
        }
    };
    let provider = spelling.provider();
    validated
        .map(|config| LoadedConfig { config, spelling })
        .map_err(|rejections| ConfigError::Rejected {
            provider,
            errors: LoadErrors(
                rejections
                    .into_iter()
                    .map(|rejection| {
                        let message = format!(
                            "{} rejects this configuration ({}): {}: {}",
                            provider.short(),
                            provider.setter(),
                            rejection.code,
                            rejection.message
                        );
                        match &places {
                            Places::Json(prefix) => {
                                let mut path = prefix.clone();
                                for part in &rejection.path {
                                    path = match part {
                                        PathPart::Key(k) => path.key(&json_key(spelling, k)),
                                        PathPart::Index(i) => path.index(*i),
                                    };
                                }
                                locate_problem(text, file, Problem { path, message })
                            }
                            Places::Xml(places) => {
                                let (key, offset) = xml_place(provider, &rejection.path, places);
                                let (line, column) = line_column(text, offset);
                                LoadError {
                                    file: file.to_string(),
                                    line,
                                    column,
                                    key,
                                    message,
                                }
                            }
                        }
                    })
                    .collect(),
            ),
        })
}

/// A rejection's key as the file spells it.
fn json_key(spelling: Spelling, key: &str) -> String {
    match spelling {
        Spelling::S3(S3Spelling::CloudFormation) => s3::cfn_key(key).to_string(),
        Spelling::AzureArm => azure_config::arm_key(key),
        _ => key.to_string(),
    }
}

/// Where the rules sit in the file, to place the provider's rejections.
enum Places {
    /// The JSON path of the rule list.
    Json(JsonPath),
    /// Per rule: its offset and each value's (element, index, offset).
    Xml(Vec<RulePlaces>),
}

/// The XML key and offset for a rejection's path (`CORSRule[0].AllowedMethod[1]`).
fn xml_place(provider: Provider, path: &[PathPart], places: &[RulePlaces]) -> (String, usize) {
    let (root, rule_name) = match provider {
        Provider::Azure => ("Cors", "CorsRule"),
        _ => ("CORSConfiguration", "CORSRule"),
    };
    let Some(PathPart::Index(rule)) = path.first() else {
        return (root.to_string(), 0);
    };
    let Some((rule_offset, fields)) = places.get(*rule) else {
        return (
            format!("{rule_name}[{rule}]"),
            places.last().map_or(0, |p| p.0),
        );
    };
    let element = match (provider, path.get(1)) {
        (Provider::Azure, Some(PathPart::Key(key))) => {
            // Azure's lists are one comma-separated element.
            let offset = fields
                .iter()
                .find(|(name, _, _)| name == key)
                .map_or(*rule_offset, |(_, _, offset)| *offset);
            return (format!("{rule_name}[{rule}].{key}"), offset);
        }
        (_, Some(PathPart::Key("AllowedMethods"))) => "AllowedMethod",
        (_, Some(PathPart::Key("AllowedOrigins"))) => "AllowedOrigin",
        (_, Some(PathPart::Key("AllowedHeaders"))) => "AllowedHeader",
        (_, Some(PathPart::Key("ExposeHeaders"))) => "ExposeHeader",
        (_, Some(PathPart::Key("ID"))) => "ID",
        _ => return (format!("{rule_name}[{rule}]"), *rule_offset),
    };
    let index = match path.get(2) {
        Some(PathPart::Index(i)) => *i,
        _ => 0,
    };
    let offset = fields
        .iter()
        .find(|(name, i, _)| *name == element && *i == index)
        .map_or(*rule_offset, |(_, _, offset)| *offset);
    (format!("CORSRule[{rule}].{element}[{index}]"), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedConfig, ConfigError> {
        load_config(text, "cors")
    }

    fn first_error(text: &str) -> String {
        load(text).err().map(|e| e.to_string()).unwrap_or_default()
    }

    const RULE: &str = r#"{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}"#;

    #[test]
    fn every_json_spelling_reads_the_same_rules() {
        let cli = load(&format!(r#"{{"CORSRules": [{RULE}]}}"#)).ok();
        let wrapped = load(&format!(
            r#"{{"CORSConfiguration": {{"CORSRules": [{RULE}]}}}}"#
        ))
        .ok();
        let console = load(&format!("[{RULE}]")).ok();
        let cfn = load(r#"{"CorsRules": [{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "ExposedHeaders": ["ETag"], "MaxAge": 600}]}"#).ok();
        let spellings: Vec<Option<Spelling>> = [&cli, &wrapped, &console, &cfn]
            .iter()
            .map(|c| c.as_ref().map(|c| c.spelling))
            .collect();
        assert_eq!(
            spellings,
            vec![
                Some(Spelling::S3(S3Spelling::CliJson)),
                Some(Spelling::S3(S3Spelling::WrappedJson)),
                Some(Spelling::S3(S3Spelling::ConsoleArray)),
                Some(Spelling::S3(S3Spelling::CloudFormation))
            ]
        );
        let configs: Vec<_> = [cli, wrapped, console, cfn]
            .into_iter()
            .map(|c| c.map(|c| c.config))
            .collect();
        assert!(configs.windows(2).all(|w| w[0] == w[1]), "{configs:?}");
    }

    #[test]
    fn xml_with_and_without_namespace_reads_the_same_rules() {
        let xml = |ns: &str| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration{ns}>
  <CORSRule>
    <AllowedOrigin>https://a.example</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>"#
            )
        };
        let plain = load(&xml("")).ok();
        let namespaced = load(&xml(r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#)).ok();
        let json = load(&format!(r#"{{"CORSRules": [{RULE}]}}"#))
            .ok()
            .map(|c| c.config);
        assert_eq!(
            plain.as_ref().map(|c| c.spelling),
            Some(Spelling::S3(S3Spelling::Xml))
        );
        assert_eq!(plain.map(|c| c.config), json);
        assert_eq!(namespaced.map(|c| c.config), json);
    }

    #[test]
    fn xml_errors_point_at_the_element() {
        let text = "<CORSConfiguration>\n <CORSRule>\n  <AllowedOrigin>*</AllowedOrigin>\n  <AllowedMethod>GET</AllowedMethod>\n  <AllowedMethod>PATCH</AllowedMethod>\n </CORSRule>\n</CORSConfiguration>";
        let shown = first_error(text);
        assert!(shown.starts_with("cors:5:"), "{shown}");
        assert!(shown.contains("CORSRule[0].AllowedMethod[1]: S3 rejects this configuration (put-bucket-cors): InvalidRequest: Found unsupported HTTP method in CORS config. Unsupported method is PATCH"), "{shown}");
        assert!(
            first_error(
                "<CORSConfiguration><CORSRule><Origin>x</Origin></CORSRule></CORSConfiguration>"
            )
            .contains("<Origin> is not allowed inside <CORSRule>")
        );
        assert_eq!(
            first_error("<CORSConfiguration><CORSRule>"),
            "cors:1:30: the file ends before </CORSRule> (opened at 1:20) is closed; is it cut short?"
        );
    }

    #[test]
    fn cloudformation_errors_use_cloudformation_keys() {
        let shown = first_error(
            r#"{"CorsRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposedHeaders": ["*"]}]}"#,
        );
        assert!(shown.contains("CorsRules[0].ExposedHeaders[0]"), "{shown}");
    }

    #[test]
    fn unknown_shapes_are_named() {
        assert_eq!(
            load(r#"[{"origin": ["*"], "method": ["GET"]}]"#)
                .ok()
                .map(|c| c.provider()),
            Some(Provider::Gcs)
        );
        assert!(
            first_error(r#"{"rules": []}"#).contains("not a CORS configuration cors-tui knows")
        );
        assert!(
            first_error(r#"{"CORSRules": [{"AllowedOrigin": ["*"]}]}"#)
                .contains("unknown field `AllowedOrigin`")
        );
    }
}
