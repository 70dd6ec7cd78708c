//! An S3 bucket's CORS configuration in every spelling people have it in: the CLI's JSON
//! (`{"CORSRules": [...]}`, optionally wrapped in `CORSConfiguration`), the console's bare array,
//! CloudFormation/CDK (`CorsRules`, `ExposedHeaders`, `MaxAge`, `Id`), and the REST API's XML
//! (with or without its namespace). Detected by content; errors name file, line, column and key.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Deserialize;

use crate::scenario::Provider;
use crate::scenario::cloud_rules::{self, RawAzureRule, RawGcsRule};
use crate::scenario::raw::{RawCors, RawCorsRule};
use crate::scenario::s3_rules::{self, PathPart};
use crate::scenario::validate::{JsonPath, Problem, Seg};
use crate::scenario::{
    CorsConfiguration, LoadError, LoadErrors, line_column, locate_problem, serde_error,
};

/// Which spelling a configuration was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Spelling {
    /// `aws s3api get-bucket-cors` output: `{"CORSRules": [...]}`.
    CliJson,
    /// `{"CORSConfiguration": {"CORSRules": [...]}}`.
    WrappedJson,
    /// The S3 console's editor: a bare array of rules.
    ConsoleArray,
    /// CloudFormation / CDK: `CorsRules` with `ExposedHeaders`, `MaxAge`, `Id`.
    CloudFormation,
    /// The REST API's `<CORSConfiguration>` XML.
    Xml,
}

impl S3Spelling {
    pub fn describe(self) -> &'static str {
        match self {
            S3Spelling::CliJson => "S3 JSON as the AWS CLI prints it ({\"CORSRules\": [...]})",
            S3Spelling::WrappedJson => "S3 JSON wrapped in CORSConfiguration",
            S3Spelling::ConsoleArray => "S3 console JSON (a bare array of rules)",
            S3Spelling::CloudFormation => {
                "CloudFormation/CDK CorsConfiguration (CorsRules, ExposedHeaders, MaxAge, Id)"
            }
            S3Spelling::Xml => "S3 REST API XML (<CORSConfiguration>)",
        }
    }
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CfnRule {
    #[serde(rename = "Id", default)]
    id: Option<String>,
    #[serde(rename = "AllowedHeaders", default)]
    allowed_headers: Option<Vec<String>>,
    #[serde(rename = "AllowedMethods", default)]
    allowed_methods: Option<Vec<String>>,
    #[serde(rename = "AllowedOrigins", default)]
    allowed_origins: Option<Vec<String>>,
    #[serde(rename = "ExposedHeaders", default)]
    exposed_headers: Option<Vec<String>>,
    #[serde(rename = "MaxAge", default)]
    max_age: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CfnRules {
    #[serde(rename = "CorsRules")]
    rules: Vec<CfnRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CfnConfiguration {
    #[serde(rename = "CorsConfiguration")]
    configuration: CfnRules,
}

impl From<CfnRule> for RawCorsRule {
    fn from(rule: CfnRule) -> Self {
        RawCorsRule {
            id: rule.id,
            allowed_headers: rule.allowed_headers,
            allowed_methods: rule.allowed_methods,
            allowed_origins: rule.allowed_origins,
            expose_headers: rule.exposed_headers,
            max_age_seconds: rule.max_age,
        }
    }
}

pub(crate) fn error(
    file: &str,
    text: &str,
    offset: usize,
    key: &str,
    message: impl Into<String>,
) -> LoadErrors {
    let (line, column) = line_column(text, offset);
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line,
        column,
        key: key.to_string(),
        message: message.into(),
    }])
}

pub(crate) fn typed<'de, T: Deserialize<'de>>(text: &'de str, file: &str) -> Result<T, LoadErrors> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = err.path().to_string();
        LoadErrors(vec![serde_error(file, &key, err.inner())])
    })?;
    deserializer
        .end()
        .map_err(|err| LoadErrors(vec![serde_error(file, "", &err)]))?;
    Ok(value)
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
#[serde(deny_unknown_fields)]
struct ArmRules {
    #[serde(rename = "corsRules")]
    rules: Vec<RawAzureRule>,
}

#[derive(Deserialize)]
struct ArmCors {
    cors: ArmRules,
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
            let (rules, places) = read_xml(text, file).map_err(unreadable)?;
            (
                Spelling::S3(S3Spelling::Xml),
                s3_rules::validate_rules(rules),
                Places::Xml(places),
            )
        } else {
            let (rules, places) = super::azure::read_xml(text, file).map_err(unreadable)?;
            (
                Spelling::AzureXml,
                cloud_rules::validate_azure(rules),
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
                    cloud_rules::validate_gcs(rules),
                    Places::Json(JsonPath::default()),
                )
            }
            Some(Spelling::GcsBucket) => {
                let bucket: GcsBucket = typed(text, file).map_err(unreadable)?;
                (
                    Spelling::GcsBucket,
                    cloud_rules::validate_gcs(bucket.cors),
                    Places::Json(JsonPath(vec![Seg::Key("cors".into())])),
                )
            }
            Some(_) => {
                let (rules, prefix) = if shape.get("corsRules").is_some() {
                    let arm: ArmRules = typed(text, file).map_err(unreadable)?;
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
                    cloud_rules::validate_azure(rules),
                    Places::Json(prefix),
                )
            }
            None => {
                let (spelling, rules, prefix) = read_json(text, file).map_err(unreadable)?;
                (
                    Spelling::S3(spelling),
                    s3_rules::validate_rules(rules),
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

/// A bucket's `CorsConfiguration` as a CloudFormation template's `AWS::S3::Bucket` holds it
/// (`at`: its place), validated as S3 validates it, each rejection at its key.
pub fn template_bucket_rules(
    value: &serde_json::Value,
    at: &JsonPath,
) -> Result<CorsConfiguration, Vec<Problem>> {
    let raw: CfnRules = crate::scenario::validate::deserialize_at(value.clone(), at)
        .map_err(|problem| vec![problem])?;
    let rules = raw.rules.into_iter().map(Into::into).collect();
    s3_rules::validate_rules(rules).map_err(|rejections| {
        rejections
            .into_iter()
            .map(|rejection| {
                let mut path = at.key("CorsRules");
                for part in &rejection.path {
                    path = match part {
                        PathPart::Key(k) => path.key(cfn_key(k)),
                        PathPart::Index(i) => path.index(*i),
                    };
                }
                Problem {
                    path,
                    message: format!(
                        "Amazon S3 rejects this configuration (PutBucketCors): {}: {}",
                        rejection.code, rejection.message
                    ),
                }
            })
            .collect()
    })
}

/// A rejection's key as the file spells it.
fn json_key(spelling: Spelling, key: &str) -> String {
    match spelling {
        Spelling::S3(S3Spelling::CloudFormation) => cfn_key(key).to_string(),
        Spelling::AzureArm => cloud_rules::arm_key(key),
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

fn read_json(
    text: &str,
    file: &str,
) -> Result<(S3Spelling, Vec<RawCorsRule>, JsonPath), LoadErrors> {
    let shape: serde_json::Value = typed(text, file)?;
    Ok(match &shape {
        serde_json::Value::Array(_) => (
            S3Spelling::ConsoleArray,
            typed::<Vec<RawCorsRule>>(text, file)?,
            JsonPath::default(),
        ),
        serde_json::Value::Object(map)
            if map.contains_key("CORSRules") || map.contains_key("CORSConfiguration") =>
        {
            let raw: RawCors = typed(text, file)?;
            match (raw.rules, raw.wrapped) {
                (Some(rules), None) => (
                    S3Spelling::CliJson,
                    rules,
                    JsonPath(vec![Seg::Key("CORSRules".into())]),
                ),
                (None, Some(wrapped)) => (
                    S3Spelling::WrappedJson,
                    wrapped.rules,
                    JsonPath(vec![
                        Seg::Key("CORSConfiguration".into()),
                        Seg::Key("CORSRules".into()),
                    ]),
                ),
                _ => {
                    return Err(error(
                        file,
                        text,
                        0,
                        "",
                        "give either CORSRules or CORSConfiguration.CORSRules, not both",
                    ));
                }
            }
        }
        serde_json::Value::Object(map) if map.contains_key("CorsRules") => {
            let raw: CfnRules = typed(text, file)?;
            let rules = raw.rules.into_iter().map(Into::into).collect();
            (
                S3Spelling::CloudFormation,
                rules,
                JsonPath(vec![Seg::Key("CorsRules".into())]),
            )
        }
        serde_json::Value::Object(map) if map.contains_key("CorsConfiguration") => {
            let raw: CfnConfiguration = typed(text, file)?;
            let rules = raw
                .configuration
                .rules
                .into_iter()
                .map(Into::into)
                .collect();
            let prefix = JsonPath(vec![
                Seg::Key("CorsConfiguration".into()),
                Seg::Key("CorsRules".into()),
            ]);
            (S3Spelling::CloudFormation, rules, prefix)
        }
        _ => {
            return Err(error(
                file,
                text,
                0,
                "",
                "not a CORS configuration cors-tui knows: expected S3's {\"CORSRules\": [...]}, {\"CORSConfiguration\": ...}, a bare array of rules, CloudFormation's {\"CorsRules\": [...]} or <CORSConfiguration> XML; a GCS list of {\"origin\", \"method\", ...}; or Azure's {\"corsRules\": [...]} or <Cors> XML",
            ));
        }
    })
}

/// CloudFormation's names for S3's rule keys.
fn cfn_key(key: &str) -> &str {
    match key {
        "ID" => "Id",
        "ExposeHeaders" => "ExposedHeaders",
        "MaxAgeSeconds" => "MaxAge",
        other => other,
    }
}

/// One value's place in the XML: (element name, index among its repeats, byte offset).
pub(crate) type ValuePlace = (&'static str, usize, usize);
/// A rule's byte offset and the places of its values.
pub(crate) type RulePlaces = (usize, Vec<ValuePlace>);

/// Where each value of a rule sits in the XML, for error positions.
#[derive(Default)]
struct XmlRule {
    offset: usize,
    rule: RawCorsRule,
    places: Vec<ValuePlace>,
}

/// The document's element structure, checked as the reader walks it: one root element, and
/// every element closed before the file ends. quick-xml reports mismatched end tags but not a
/// file cut short, which would otherwise be read as the rules it got to.
#[derive(Default)]
pub(crate) struct XmlShape {
    /// Each open element's name and where its `<` is.
    open: Vec<(String, usize)>,
    roots: usize,
}

impl XmlShape {
    /// An element starts (`empty`: and ends, `<X/>`) at byte `at`.
    pub(crate) fn start(
        &mut self,
        name: &str,
        at: usize,
        empty: bool,
        file: &str,
        text: &str,
    ) -> Result<(), LoadErrors> {
        if self.open.is_empty() {
            self.roots += 1;
            if self.roots > 1 {
                return Err(error(
                    file,
                    text,
                    at,
                    "",
                    format!("<{name}> is a second root element; an XML document has only one"),
                ));
            }
        }
        if !empty {
            self.open.push((name.to_string(), at));
        }
        Ok(())
    }

    pub(crate) fn end(&mut self) {
        self.open.pop();
    }

    /// At the end of the file: the innermost element still open, if any, is an error.
    pub(crate) fn finish(&self, file: &str, text: &str) -> Result<(), LoadErrors> {
        match self.open.last() {
            None => Ok(()),
            Some((name, at)) => {
                let (line, column) = line_column(text, *at);
                Err(error(
                    file,
                    text,
                    text.len(),
                    "",
                    format!(
                        "the file ends before </{name}> (opened at {line}:{column}) is closed; is it cut short?"
                    ),
                ))
            }
        }
    }
}

#[allow(clippy::type_complexity)]
fn read_xml(
    text: &str,
    file: &str,
) -> Result<
    (
        Vec<RawCorsRule>,
        Vec<(usize, Vec<(&'static str, usize, usize)>)>,
    ),
    LoadErrors,
> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut rules: Vec<XmlRule> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut seen_root = false;
    // A field element opened but not yet given text: `<AllowedMethod></AllowedMethod>` is "".
    // The field element being read, where it starts, and its text so far (text arrives in
    // pieces around entity references such as `&amp;`).
    let mut open_field: Option<(String, u64, String)> = None;
    let mut shape = XmlShape::default();
    let xml_error = |offset: u64, message: String| {
        error(
            file,
            text,
            usize::try_from(offset).unwrap_or(0),
            "",
            message,
        )
    };
    loop {
        let before = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| xml_error(reader.error_position(), format!("malformed XML: {e}")))?;
        match event {
            Event::Start(element) => {
                // Where `<` is: trimmed whitespace may lie between `before` and the tag.
                let before = reader
                    .buffer_position()
                    .saturating_sub(element.len() as u64 + 2);
                let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
                shape.start(
                    &name,
                    usize::try_from(before).unwrap_or(0),
                    false,
                    file,
                    text,
                )?;
                let parent = stack.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (None, "CORSConfiguration") => seen_root = true,
                    (None, other) => {
                        return Err(xml_error(
                            before,
                            format!("expected <CORSConfiguration>, found <{other}>"),
                        ));
                    }
                    (Some("CORSConfiguration"), "CORSRule") => rules.push(XmlRule {
                        offset: usize::try_from(before).unwrap_or(0),
                        ..XmlRule::default()
                    }),
                    (
                        Some("CORSRule"),
                        "ID" | "AllowedOrigin" | "AllowedMethod" | "AllowedHeader" | "ExposeHeader"
                        | "MaxAgeSeconds",
                    ) => {
                        open_field = Some((name.clone(), before, String::new()));
                    }
                    (Some(parent), other) => {
                        return Err(xml_error(
                            before,
                            format!(
                                "<{other}> is not allowed inside <{parent}> in an S3 CORS configuration"
                            ),
                        ));
                    }
                }
                stack.push(name);
            }
            Event::End(_) => {
                if let (Some((field, at, value)), Some(rule)) =
                    (open_field.take(), rules.last_mut())
                {
                    push_value(rule, &field, value, usize::try_from(at).unwrap_or(0))
                        .map_err(|m| xml_error(at, m))?;
                }
                stack.pop();
                shape.end();
            }
            Event::Empty(element) => {
                let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
                shape.start(
                    &name,
                    usize::try_from(before).unwrap_or(0),
                    true,
                    file,
                    text,
                )?;
                if stack.len() == 2 && stack.last().is_some_and(|p| p == "CORSRule") {
                    if let Some(rule) = rules.last_mut() {
                        push_value(
                            rule,
                            &name,
                            String::new(),
                            usize::try_from(before).unwrap_or(0),
                        )
                        .map_err(|m| xml_error(before, m))?;
                    }
                } else if stack.is_empty() && name == "CORSConfiguration" {
                    seen_root = true;
                }
            }
            Event::Text(content) => {
                let piece = content
                    .decode()
                    .map_err(|e| xml_error(before, format!("bad text: {e}")))?;
                match open_field.as_mut() {
                    Some((_, _, value)) => value.push_str(&piece),
                    None if piece.trim().is_empty() => {}
                    None => {
                        return Err(xml_error(
                            before,
                            format!("unexpected text '{}'", piece.trim()),
                        ));
                    }
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference
                    .decode()
                    .map_err(|e| xml_error(before, format!("bad entity: {e}")))?;
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_string)
                        .ok_or_else(|| xml_error(before, format!("unknown entity &{name};")))?,
                };
                if let Some((_, _, value)) = open_field.as_mut() {
                    value.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    shape.finish(file, text)?;
    if !seen_root {
        return Err(error(file, text, 0, "", "no <CORSConfiguration> element"));
    }
    let places = rules.iter().map(|r| (r.offset, r.places.clone())).collect();
    Ok((rules.into_iter().map(|r| r.rule).collect(), places))
}

fn push_value(rule: &mut XmlRule, field: &str, value: String, offset: usize) -> Result<(), String> {
    let list = |slot: &mut Option<Vec<String>>, value: String| {
        let items = slot.get_or_insert_with(Vec::new);
        items.push(value);
        items.len() - 1
    };
    let (name, index): (&'static str, usize) = match field {
        "ID" => {
            rule.rule.id = Some(value);
            ("ID", 0)
        }
        "AllowedOrigin" => ("AllowedOrigin", list(&mut rule.rule.allowed_origins, value)),
        "AllowedMethod" => ("AllowedMethod", list(&mut rule.rule.allowed_methods, value)),
        "AllowedHeader" => ("AllowedHeader", list(&mut rule.rule.allowed_headers, value)),
        "ExposeHeader" => ("ExposeHeader", list(&mut rule.rule.expose_headers, value)),
        "MaxAgeSeconds" => {
            let seconds = value
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("MaxAgeSeconds must be a whole number, not '{value}'"))?;
            rule.rule.max_age_seconds = Some(seconds);
            ("MaxAgeSeconds", 0)
        }
        other => return Err(format!("<{other}> is not allowed inside <CORSRule>")),
    };
    rule.places.push((name, index, offset));
    Ok(())
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

/// The spellings `convert` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Target {
    S3Json,
    S3Xml,
    S3Console,
    CloudFormation,
}

#[derive(serde::Serialize)]
struct OutRule<'a> {
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(
        rename = "AllowedHeaders",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    allowed_headers: &'a [String],
    #[serde(rename = "AllowedMethods")]
    allowed_methods: &'a [String],
    #[serde(rename = "AllowedOrigins")]
    allowed_origins: &'a [String],
    #[serde(rename = "ExposeHeaders", skip_serializing_if = "<[String]>::is_empty")]
    expose_headers: &'a [String],
    #[serde(rename = "MaxAgeSeconds", skip_serializing_if = "Option::is_none")]
    max_age_seconds: Option<i64>,
}

#[derive(serde::Serialize)]
struct OutCfnRule<'a> {
    #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(
        rename = "AllowedHeaders",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    allowed_headers: &'a [String],
    #[serde(rename = "AllowedMethods")]
    allowed_methods: &'a [String],
    #[serde(rename = "AllowedOrigins")]
    allowed_origins: &'a [String],
    #[serde(
        rename = "ExposedHeaders",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    exposed_headers: &'a [String],
    #[serde(rename = "MaxAge", skip_serializing_if = "Option::is_none")]
    max_age: Option<i64>,
}

#[derive(serde::Serialize)]
struct OutCli<'a> {
    #[serde(rename = "CORSRules")]
    rules: Vec<OutRule<'a>>,
}

#[derive(serde::Serialize)]
struct OutCfnRules<'a> {
    #[serde(rename = "CorsRules")]
    rules: Vec<OutCfnRule<'a>>,
}

#[derive(serde::Serialize)]
struct OutCfn<'a> {
    #[serde(rename = "CorsConfiguration")]
    configuration: OutCfnRules<'a>,
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Writes `config` in the `target` spelling (every S3 rule can be written in each of them).
pub fn write_s3(config: &CorsConfiguration, target: S3Target) -> String {
    let rules: Vec<OutRule> = config
        .rules
        .iter()
        .map(|r| OutRule {
            id: r.id.as_deref(),
            allowed_headers: &r.allowed_headers,
            allowed_methods: &r.allowed_methods,
            allowed_origins: &r.allowed_origins,
            expose_headers: &r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        })
        .collect();
    match target {
        S3Target::S3Json => json(&OutCli { rules }),
        S3Target::S3Console => json(&rules),
        S3Target::CloudFormation => {
            let rules: Vec<OutCfnRule> = config
                .rules
                .iter()
                .map(|r| OutCfnRule {
                    id: r.id.as_deref(),
                    allowed_headers: &r.allowed_headers,
                    allowed_methods: &r.allowed_methods,
                    allowed_origins: &r.allowed_origins,
                    exposed_headers: &r.expose_headers,
                    max_age: r.max_age_seconds,
                })
                .collect();
            json(&OutCfn {
                configuration: OutCfnRules { rules },
            })
        }
        S3Target::S3Xml => {
            use quick_xml::escape::escape;
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n",
            );
            for rule in &config.rules {
                xml.push_str("  <CORSRule>\n");
                let mut element = |name: &str, value: &str| {
                    xml.push_str(&format!("    <{name}>{}</{name}>\n", escape(value)));
                };
                if let Some(id) = &rule.id {
                    element("ID", id);
                }
                for (name, values) in [
                    ("AllowedOrigin", &rule.allowed_origins),
                    ("AllowedMethod", &rule.allowed_methods),
                    ("AllowedHeader", &rule.allowed_headers),
                    ("ExposeHeader", &rule.expose_headers),
                ] {
                    for value in values {
                        element(name, value);
                    }
                }
                if let Some(max_age) = rule.max_age_seconds {
                    element("MaxAgeSeconds", &max_age.to_string());
                }
                xml.push_str("  </CORSRule>\n");
            }
            xml.push_str("</CORSConfiguration>");
            xml
        }
    }
}

#[cfg(test)]
mod convert_tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        let text = r#"{"CORSRules": [{"ID": "a&b", "AllowedOrigins": ["https://a.example", "*"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}, {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]}]}"#;
        let Ok(original) = load_config(text, "in") else {
            panic!("loads")
        };
        for target in [
            S3Target::S3Json,
            S3Target::S3Xml,
            S3Target::S3Console,
            S3Target::CloudFormation,
        ] {
            let written = write_s3(&original.config, target);
            let again = load_config(&written, "out");
            assert_eq!(
                again.map(|c| c.config).ok(),
                Some(original.config.clone()),
                "{target:?}:\n{written}"
            );
        }
    }
}
