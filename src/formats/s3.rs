//! An S3 bucket's CORS configuration in every spelling people have it in: the CLI's JSON
//! (`{"CORSRules": [...]}`, optionally wrapped in `CORSConfiguration`), the console's bare array,
//! CloudFormation/CDK (`CorsRules`, `ExposedHeaders`, `MaxAge`, `Id`), and the REST API's XML
//! (with or without its namespace); and the same spellings written back for `convert`.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use super::reading::{ValuePlace, XmlShape, error, typed};
use crate::scenario::validate::{JsonPath, Problem, Seg};
use crate::scenario::{CorsConfiguration, CorsRule, LoadErrors};
use crate::server::rules::PathPart;
use crate::server::s3::config::{self as s3_config, RawCors, RawCorsRule};

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
    /// The spelling's name, short enough to stand in brackets after a file's name.
    pub fn name(self) -> &'static str {
        match self {
            S3Spelling::CliJson => "S3 JSON as the AWS CLI prints it",
            S3Spelling::WrappedJson => "S3 JSON wrapped in CORSConfiguration",
            S3Spelling::ConsoleArray => "S3 console JSON",
            S3Spelling::CloudFormation => "CloudFormation/CDK CorsConfiguration",
            S3Spelling::Xml => "S3 REST API XML",
        }
    }

    /// The spelling's name and what tells it apart.
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

/// A rule as CloudFormation and the CDK write it: read and written by this one type.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CfnRule {
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(
        rename = "AllowedHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    allowed_headers: Option<Vec<String>>,
    #[serde(
        rename = "AllowedMethods",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    allowed_methods: Option<Vec<String>>,
    #[serde(
        rename = "AllowedOrigins",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    allowed_origins: Option<Vec<String>>,
    #[serde(
        rename = "ExposedHeaders",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    exposed_headers: Option<Vec<String>>,
    #[serde(rename = "MaxAge", default, skip_serializing_if = "Option::is_none")]
    max_age: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CfnRules {
    #[serde(rename = "CorsRules")]
    rules: Vec<CfnRule>,
}

#[derive(Debug, Deserialize, Serialize)]
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

impl From<&CorsRule> for CfnRule {
    fn from(rule: &CorsRule) -> Self {
        let RawCorsRule {
            id,
            allowed_headers,
            allowed_methods,
            allowed_origins,
            expose_headers,
            max_age_seconds,
        } = rule.into();
        CfnRule {
            id,
            allowed_headers,
            allowed_methods,
            allowed_origins,
            exposed_headers: expose_headers,
            max_age: max_age_seconds,
        }
    }
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
    s3_config::validate_rules(rules).map_err(|rejections| {
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

pub(super) fn read_json(
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
pub(super) fn cfn_key(key: &str) -> &str {
    match key {
        "ID" => "Id",
        "ExposeHeaders" => "ExposedHeaders",
        "MaxAgeSeconds" => "MaxAge",
        other => other,
    }
}

/// Where each value of a rule sits in the XML, for error positions.
#[derive(Default)]
struct XmlRule {
    offset: usize,
    rule: RawCorsRule,
    places: Vec<ValuePlace>,
}

#[allow(clippy::type_complexity)]
pub(super) fn read_xml(
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

/// The spellings `convert` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Target {
    S3Json,
    S3Xml,
    S3Console,
    CloudFormation,
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Writes `config` in the `target` spelling (every S3 rule can be written in each of them),
/// through the same types that read each spelling.
pub fn write_s3(config: &CorsConfiguration, target: S3Target) -> String {
    let rules = || {
        config
            .rules
            .iter()
            .map(RawCorsRule::from)
            .collect::<Vec<_>>()
    };
    match target {
        S3Target::S3Json => json(&RawCors {
            rules: Some(rules()),
            wrapped: None,
        }),
        S3Target::S3Console => json(&rules()),
        S3Target::CloudFormation => json(&CfnConfiguration {
            configuration: CfnRules {
                rules: config.rules.iter().map(CfnRule::from).collect(),
            },
        }),
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
    use crate::formats::config::load_config;

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
