//! A scenario back to the file format, for saving what-if edits.

use serde_json::{Map, Value, json};

use super::{CannedResponse, CorsRule, Provider, Recorder, RequestSpec, Scenario, ServerKind, Via};

fn headers(list: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (name, value) in list {
        map.insert(name.clone(), Value::String(value.clone()));
    }
    Value::Object(map)
}

fn response(r: &CannedResponse) -> Value {
    let mut map = Map::new();
    map.insert("status".into(), json!(r.status));
    if !r.headers.is_empty() {
        map.insert("headers".into(), headers(&r.headers));
    }
    if !r.body.is_empty() {
        map.insert("body".into(), json!(r.body));
    }
    Value::Object(map)
}

/// A provider's rules as a scenario's `server.cors` holds them: S3's `{"CORSRules": [...]}`,
/// GCS's bare list, Azure's ARM `{"corsRules": [...]}`.
pub fn rules_json(provider: Provider, rules: &[CorsRule]) -> Value {
    let list: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let mut r = Map::new();
            match provider {
                Provider::S3 => {
                    if let Some(id) = &rule.id {
                        r.insert("ID".into(), json!(id));
                    }
                    r.insert("AllowedOrigins".into(), json!(rule.allowed_origins));
                    r.insert("AllowedMethods".into(), json!(rule.allowed_methods));
                    if !rule.allowed_headers.is_empty() {
                        r.insert("AllowedHeaders".into(), json!(rule.allowed_headers));
                    }
                    if !rule.expose_headers.is_empty() {
                        r.insert("ExposeHeaders".into(), json!(rule.expose_headers));
                    }
                    if let Some(max_age) = rule.max_age_seconds {
                        r.insert("MaxAgeSeconds".into(), json!(max_age));
                    }
                }
                Provider::Gcs => {
                    r.insert("origin".into(), json!(rule.allowed_origins));
                    r.insert("method".into(), json!(rule.allowed_methods));
                    if !rule.expose_headers.is_empty() {
                        r.insert("responseHeader".into(), json!(rule.expose_headers));
                    }
                    if let Some(max_age) = rule.max_age_seconds {
                        r.insert("maxAgeSeconds".into(), json!(max_age));
                    }
                }
                Provider::Azure => {
                    r.insert("allowedOrigins".into(), json!(rule.allowed_origins));
                    r.insert("allowedMethods".into(), json!(rule.allowed_methods));
                    r.insert("allowedHeaders".into(), json!(rule.allowed_headers));
                    r.insert("exposedHeaders".into(), json!(rule.expose_headers));
                    r.insert(
                        "maxAgeInSeconds".into(),
                        json!(rule.max_age_seconds.unwrap_or(0)),
                    );
                }
            }
            Value::Object(r)
        })
        .collect();
    match provider {
        Provider::S3 => json!({ "CORSRules": list }),
        Provider::Gcs => Value::Array(list),
        Provider::Azure => json!({ "corsRules": list }),
    }
}

/// The scenario as a JSON document that loads back to the same scenario.
pub fn to_json(scenario: &Scenario) -> Value {
    let mut doc = head(scenario);
    let requests = scenario.requests.iter().map(request_json).collect();
    doc.insert("requests".into(), Value::Array(requests));
    doc.extend(tail(scenario));
    Value::Object(doc)
}

/// The same document as [`to_json`], written one request at a time: a recording of 100,000
/// exchanges never exists as one `Value`.
pub struct ScenarioJson<'a>(pub &'a Scenario);

impl serde::Serialize for ScenarioJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};

        struct Requests<'a>(&'a [RequestSpec]);
        impl serde::Serialize for Requests<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for request in self.0 {
                    seq.serialize_element(&request_json(request))?;
                }
                seq.end()
            }
        }

        let mut map = serializer.serialize_map(None)?;
        for (key, value) in head(self.0) {
            map.serialize_entry(&key, &value)?;
        }
        map.serialize_entry("requests", &Requests(&self.0.requests))?;
        for (key, value) in tail(self.0) {
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}

/// Title, description, browser and server: the keys before `requests`.
fn head(scenario: &Scenario) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("title".into(), json!(scenario.title));
    if !scenario.description.is_empty() {
        doc.insert("description".into(), json!(scenario.description));
    }
    if let Some(browser) = scenario.browser {
        doc.insert("browser".into(), json!(browser.name()));
    }
    let mut server = Map::new();
    match &scenario.server.kind {
        ServerKind::Bucket { provider, cors } => {
            server.insert("type".into(), json!(provider.name()));
            server.insert(
                "url".into(),
                json!(scenario.server.url.as_str().trim_end_matches('/')),
            );
            let cors = cors
                .as_ref()
                .map(|config| rules_json(*provider, &config.rules));
            server.insert("cors".into(), cors.unwrap_or(Value::Null));
        }
        ServerKind::Recorded { by } => {
            let kind = match by {
                Recorder::Browser => "recorded",
                Recorder::Probe => "probed",
            };
            server.insert("type".into(), json!(kind));
            server.insert(
                "url".into(),
                json!(scenario.server.url.as_str().trim_end_matches('/')),
            );
        }
        ServerKind::Static { preflight, actual } => {
            server.insert("type".into(), json!("static"));
            server.insert(
                "url".into(),
                json!(scenario.server.url.as_str().trim_end_matches('/')),
            );
            server.insert("preflight".into(), response(preflight));
            server.insert("actual".into(), response(actual));
        }
    }
    doc.insert("server".into(), Value::Object(server));
    doc
}

fn request_json(r: &RequestSpec) -> Value {
    let mut q = Map::new();
    if r.via == Via::Raw {
        q.insert("via".into(), json!("raw"));
    }
    if let Some(origin) = &r.origin {
        q.insert("origin".into(), json!(origin));
    }
    q.insert("method".into(), json!(r.method));
    q.insert("url".into(), json!(r.url.as_str()));
    if !r.headers.is_empty() {
        q.insert("headers".into(), headers(&r.headers));
    }
    if r.via == Via::Browser {
        q.insert("credentials".into(), json!(r.credentials.name()));
        if r.cache != super::CacheMode::Default {
            q.insert("cache".into(), json!(r.cache.name()));
        }
    }
    if r.wait_seconds > 0 {
        q.insert("wait_seconds".into(), json!(r.wait_seconds));
    }
    if r.actual_withheld {
        q.insert("actual_sent".into(), json!(false));
    }
    if r.preflight_not_recorded {
        q.insert("preflight_recorded".into(), json!(false));
    }
    if r.responses.preflight.is_some() || r.responses.actual.is_some() {
        let mut o = Map::new();
        if let Some(p) = &r.responses.preflight {
            o.insert("preflight".into(), response(p));
        }
        if let Some(a) = &r.responses.actual {
            o.insert("actual".into(), response(a));
        }
        q.insert("responses".into(), Value::Object(o));
    }
    if let Some(expect) = r.expect {
        q.insert("expect".into(), json!(expect.name()));
    }
    if let Some(note) = &r.note {
        q.insert("note".into(), json!(note));
    }
    Value::Object(q)
}

/// Moments and quiz: the keys after `requests`.
fn tail(scenario: &Scenario) -> Map<String, Value> {
    let mut doc = Map::new();
    if !scenario.moments.is_empty() {
        let moments: Vec<Value> = scenario
            .moments
            .iter()
            .map(|m| json!({"step": m.step, "question": m.question, "answer": m.answer}))
            .collect();
        doc.insert("moments".into(), Value::Array(moments));
    }
    if !scenario.quiz.is_empty() {
        let quiz: Vec<Value> = scenario
            .quiz
            .iter()
            .map(|q| {
                let mut item = Map::new();
                item.insert("question".into(), json!(q.question));
                item.insert("choices".into(), json!(q.choices));
                item.insert("answer".into(), json!(q.choices[q.answer]));
                if let Some(hint) = &q.hint {
                    item.insert("hint".into(), json!(hint));
                }
                if let Some(step) = q.step {
                    item.insert("step".into(), json!(step));
                }
                Value::Object(item)
            })
            .collect();
        doc.insert("quiz".into(), Value::Array(quiz));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn every_shipped_scenario_round_trips() {
        let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
        let entries = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).collect::<Vec<_>>())
            .unwrap_or_default();
        assert!(entries.len() >= 11);
        for entry in entries {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let Ok(original) = load_str(&text, "in") else {
                panic!("{:?} loads", entry.path())
            };
            let value = to_json(&original);
            assert_eq!(
                serde_json::to_value(ScenarioJson(&original)).ok().as_ref(),
                Some(&value),
                "the streamed form writes the same document"
            );
            let written = serde_json::to_string_pretty(&value).unwrap_or_default();
            let again = load_str(&written, "out");
            assert_eq!(
                again.as_ref().ok(),
                Some(&original),
                "{:?}\n{written}",
                entry.path()
            );
        }
    }
}
