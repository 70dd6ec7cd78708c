//! Azure Blob Storage CORS rules as they come: the `<Cors>` XML of Set Blob Service Properties
//! (alone or inside `<StorageServiceProperties>`, lists comma-separated) and ARM's JSON
//! (`{"corsRules": [...]}`, optionally under `cors` or `properties.cors`, lists as arrays).

use quick_xml::Reader;
use quick_xml::events::Event;

use super::reading::{RulePlaces, error};
use crate::scenario::LoadErrors;
use crate::server::azure::config::RawAzureRule;

/// The XML's rule fields, in the order Azure writes them.
const FIELDS: [&str; 5] = [
    "AllowedOrigins",
    "AllowedMethods",
    "AllowedHeaders",
    "ExposedHeaders",
    "MaxAgeInSeconds",
];

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads `<Cors>` rules; elements other than `<Cors>` inside `<StorageServiceProperties>`
/// (logging, metrics, …) are skipped.
pub(crate) fn read_xml(
    text: &str,
    file: &str,
) -> Result<(Vec<RawAzureRule>, Vec<RulePlaces>), LoadErrors> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut rules: Vec<(RawAzureRule, RulePlaces)> = Vec::new();
    let mut open_field: Option<(&'static str, usize, String)> = None;
    let mut seen_cors = false;
    let mut shape = super::reading::XmlShape::default();
    let to_offset = |p: u64| usize::try_from(p).unwrap_or(0);
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            error(
                file,
                text,
                to_offset(reader.error_position()),
                "",
                format!("malformed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(element) => {
                let at = to_offset(
                    reader
                        .buffer_position()
                        .saturating_sub(element.len() as u64 + 2),
                );
                let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
                shape.start(&name, at, false, file, text)?;
                let parent = stack.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (None, "StorageServiceProperties") => {}
                    (None | Some("StorageServiceProperties"), "Cors") => seen_cors = true,
                    (None, other) => {
                        return Err(error(
                            file,
                            text,
                            at,
                            "",
                            format!(
                                "expected <StorageServiceProperties> or <Cors>, found <{other}>"
                            ),
                        ));
                    }
                    (Some("Cors"), "CorsRule") => {
                        rules.push((RawAzureRule::default(), (at, Vec::new())));
                    }
                    (Some("CorsRule"), field) => {
                        let Some(known) = FIELDS.iter().find(|f| **f == field) else {
                            return Err(error(
                                file,
                                text,
                                at,
                                "",
                                format!(
                                    "<{field}> is not allowed inside <CorsRule>; Azure's rule has {}",
                                    FIELDS.join(", ")
                                ),
                            ));
                        };
                        open_field = Some((known, at, String::new()));
                    }
                    (Some("Cors"), other) => {
                        return Err(error(
                            file,
                            text,
                            at,
                            "",
                            format!("<{other}> is not allowed inside <Cors>; expected <CorsRule>"),
                        ));
                    }
                    // Logging, metrics and other service properties: not CORS.
                    _ => {}
                }
                stack.push(name);
            }
            Event::End(_) => {
                if let (Some((field, at, value)), Some((rule, places))) =
                    (open_field.take(), rules.last_mut())
                {
                    set_field(rule, field, &value).map_err(|m| error(file, text, at, "", m))?;
                    places.1.push((field, 0, at));
                }
                stack.pop();
                shape.end();
            }
            Event::Empty(element) => {
                let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
                shape.start(&name, to_offset(before), true, file, text)?;
                if stack.last().is_some_and(|p| p == "CorsRule")
                    && let Some(field) = FIELDS.iter().find(|f| **f == name)
                    && let Some((rule, places)) = rules.last_mut()
                {
                    set_field(rule, field, "")
                        .map_err(|m| error(file, text, to_offset(before), "", m))?;
                    places.1.push((field, 0, to_offset(before)));
                } else if name == "Cors" {
                    seen_cors = true;
                }
            }
            Event::Text(content) => {
                let piece = content.decode().map_err(|e| {
                    error(file, text, to_offset(before), "", format!("bad text: {e}"))
                })?;
                if let Some((_, _, value)) = open_field.as_mut() {
                    value.push_str(&piece);
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference.decode().map_err(|e| {
                    error(
                        file,
                        text,
                        to_offset(before),
                        "",
                        format!("bad entity: {e}"),
                    )
                })?;
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_string)
                        .ok_or_else(|| {
                            error(
                                file,
                                text,
                                to_offset(before),
                                "",
                                format!("unknown entity &{name};"),
                            )
                        })?,
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
    if !seen_cors {
        return Err(error(file, text, 0, "", "no <Cors> element"));
    }
    Ok(rules.into_iter().unzip())
}

fn set_field(rule: &mut RawAzureRule, field: &str, value: &str) -> Result<(), String> {
    match field {
        "AllowedOrigins" => rule.allowed_origins = Some(split_list(value)),
        "AllowedMethods" => rule.allowed_methods = Some(split_list(value)),
        "AllowedHeaders" => rule.allowed_headers = Some(split_list(value)),
        "ExposedHeaders" => rule.exposed_headers = Some(split_list(value)),
        _ => {
            let seconds = value
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("MaxAgeInSeconds must be a whole number, not '{value}'"))?;
            rule.max_age_in_seconds = Some(seconds);
        }
    }
    Ok(())
}

/// Writes rules as the `<Cors>` element of Set Blob Service Properties.
pub fn to_xml(rules: &[crate::scenario::CorsRule]) -> String {
    use quick_xml::escape::escape;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<StorageServiceProperties>\n  <Cors>\n",
    );
    for rule in rules {
        xml.push_str("    <CorsRule>\n");
        for (name, values) in [
            ("AllowedOrigins", &rule.allowed_origins),
            ("AllowedMethods", &rule.allowed_methods),
            ("AllowedHeaders", &rule.allowed_headers),
            ("ExposedHeaders", &rule.expose_headers),
        ] {
            xml.push_str(&format!(
                "      <{name}>{}</{name}>\n",
                escape(values.join(",").as_str())
            ));
        }
        xml.push_str(&format!(
            "      <MaxAgeInSeconds>{}</MaxAgeInSeconds>\n",
            rule.max_age_seconds.unwrap_or(0)
        ));
        xml.push_str("    </CorsRule>\n");
    }
    xml.push_str("  </Cors>\n</StorageServiceProperties>");
    xml
}
