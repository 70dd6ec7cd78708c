//! A YAML document read into the JSON value the rest of cors-tui reads, with where each value
//! sits, so that an error names the line and column in the user's file. CloudFormation's short
//! forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`) become the long forms a JSON template writes
//! (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": …}`). The parser (saphyr) bounds
//! alias expansion and nesting; this walk bounds depth again on its own.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Value};

use crate::scenario::validate::JsonPath;

/// Deeper than any template; a limit so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A YAML document as JSON, and the (line, column) of each value by its key path.
pub struct Document {
    pub value: Value,
    places: HashMap<String, (usize, usize)>,
}

impl Document {
    /// Where `path`'s value is, or the nearest enclosing value's place (1-based line, column).
    pub fn place(&self, path: &JsonPath) -> (usize, usize) {
        let mut parts = path.0.clone();
        loop {
            if let Some(place) = self.places.get(&JsonPath(parts.clone()).to_string()) {
                return *place;
            }
            if parts.pop().is_none() {
                return (1, 1);
            }
        }
    }
}

/// The first document of `text`, or why it is not YAML: (line, column, message).
pub fn read(text: &str) -> Result<Document, (usize, usize, String)> {
    let documents = MarkedYaml::load_from_str(text).map_err(|e| {
        let mark = e.marker();
        (mark.line(), mark.col() + 1, e.info().to_string())
    })?;
    let Some(root) = documents.first() else {
        return Err((1, 1, "the file holds no YAML document".to_string()));
    };
    let mut places = HashMap::new();
    let value = convert(root, &JsonPath::default(), 0, &mut places)?;
    Ok(Document { value, places })
}

fn convert(
    node: &MarkedYaml,
    path: &JsonPath,
    depth: usize,
    places: &mut HashMap<String, (usize, usize)>,
) -> Result<Value, (usize, usize, String)> {
    let at = (node.span.start.line(), node.span.start.col() + 1);
    if depth > MAX_DEPTH {
        return Err((at.0, at.1, format!("nested more than {MAX_DEPTH} deep")));
    }
    places.entry(path.to_string()).or_insert(at);
    Ok(match &node.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, &path.index(i), depth + 1, places))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let name = match &key.data {
                    YamlData::Value(scalar) => match scalar_value(scalar) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                    YamlData::Representation(text, _, _) => text.to_string(),
                    _ => {
                        return Err((
                            key.span.start.line(),
                            key.span.start.col() + 1,
                            "a key must be plain text".to_string(),
                        ));
                    }
                };
                let inner = path.key(&name);
                places.insert(
                    inner.to_string(),
                    (key.span.start.line(), key.span.start.col() + 1),
                );
                let value = convert(value, &inner, depth + 1, places)?;
                map.insert(name, value);
            }
            Value::Object(map)
        }
        YamlData::Tagged(tag, inner) => {
            let value = convert(inner, path, depth + 1, places)?;
            if tag.handle != "!" {
                // `!!str` and the other core tags: the value as it is.
                return Ok(value);
            }
            let name = tag.suffix.as_str();
            let long = match name {
                "Ref" | "Condition" => name.to_string(),
                other => format!("Fn::{other}"),
            };
            let value = match (name, value) {
                ("GetAtt", Value::String(dotted)) => match dotted.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.to_string()),
                        Value::String(attribute.to_string()),
                    ]),
                    None => Value::String(dotted),
                },
                (_, value) => value,
            };
            Value::Object(Map::from_iter([(long, value)]))
        }
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    })
}

fn scalar_value(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms_and_places_are_kept() {
        let text = "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      Name: !Sub '${AWS::StackName}-api'\n      Arn: !GetAtt Fn.Arn\n      Id: !Ref Thing\n      Cors:\n        AllowOrigin: \"'*'\"\n";
        let Ok(document) = read(text) else {
            panic!("read");
        };
        let properties = &document.value["Resources"]["Api"]["Properties"];
        assert_eq!(properties["Name"]["Fn::Sub"], "${AWS::StackName}-api");
        assert_eq!(properties["Arn"]["Fn::GetAtt"][1], "Arn");
        assert_eq!(properties["Id"]["Ref"], "Thing");
        assert_eq!(properties["Cors"]["AllowOrigin"], "'*'");
        let path = JsonPath::default()
            .key("Resources")
            .key("Api")
            .key("Properties")
            .key("Cors")
            .key("AllowOrigin");
        assert_eq!(document.place(&path), (9, 9));
        assert_eq!(document.place(&path.key("missing")), (9, 9));
    }

    #[test]
    fn hostile_documents_are_refused_not_followed() {
        assert!(read(&"[".repeat(100_000)).is_err());
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(read(&laughs).is_err());
        let Err((line, column, _)) = read("a: [1, 2\nb: 3\n") else {
            panic!("an unclosed list is an error");
        };
        assert!(line >= 1 && column >= 1);
    }
}
