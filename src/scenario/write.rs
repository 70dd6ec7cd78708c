//! A scenario back to the file format, for saving what-if edits.

use crate::scenario::Header;
use serde_json::{Map, Value, json};

use super::{
    CannedResponse, CorsRule, Initiator, Provider, Recorder, RequestSpec, ResponseOverrides,
    Scenario, ServerKind, Via,
};

/// Whether a header list can be written as a JSON object without losing an entry: no name
/// appears twice. A list whose names repeat (two `Access-Control-Allow-Origin` lines, say) is
/// written as `[name, value]` pairs instead.
fn names_are_unique(list: &[Header]) -> bool {
    let mut seen = foldhash::HashSet::default();
    list.iter().all(|(name, _)| seen.insert(&**name))
}

/// A header list as the file writes it: an object, or `[name, value]` pairs when a name
/// repeats.
fn headers_json(list: &[Header]) -> Value {
    if names_are_unique(list) {
        Value::Object(
            list.iter()
                .map(|(name, value)| (name.to_string(), json!(value)))
                .collect(),
        )
    } else {
        list.iter()
            .map(|(name, value)| json!([name, value]))
            .collect()
    }
}

/// The canned responses that are set, keyed by exchange, then those after each redirect.
fn responses_json(responses: &ResponseOverrides) -> Value {
    let mut map = Map::new();
    for (key, response) in [
        ("preflight", responses.preflight.as_ref()),
        ("actual", responses.actual.as_ref()),
    ] {
        if let Some(response) = response {
            map.insert(key.into(), response_json(response));
        }
    }
    if !responses.after_redirect.is_empty() {
        let hops = responses.after_redirect.iter().map(responses_json);
        map.insert("after_redirect".into(), hops.collect());
    }
    Value::Object(map)
}

/// A canned response's keys, in file order.
fn response_json(r: &CannedResponse) -> Value {
    let mut map = Map::new();
    map.insert("status".into(), json!(r.status));
    if !r.headers.is_empty() {
        map.insert("headers".into(), headers_json(&r.headers));
    }
    if !r.body.is_empty() {
        map.insert("body".into(), json!(r.body));
    }
    if let Some(code) = &r.network_error {
        map.insert("network_error".into(), json!(code));
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

/// A server's URL as the file writes it: an origin without the slash the parser adds
/// (`https://bucket.s3.amazonaws.com`), any other URL exactly, a path's final slash included.
pub fn server_url(url: &url::Url) -> &str {
    let text = url.as_str();
    if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
        text.trim_end_matches('/')
    } else {
        text
    }
}

/// Title, description, browser and server: the keys before `requests`.
pub fn head(scenario: &Scenario) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("title".into(), json!(scenario.title));
    if !scenario.description.is_empty() {
        doc.insert("description".into(), json!(scenario.description));
    }
    if let Some(browser) = scenario.browser {
        doc.insert("browser".into(), json!(browser.name()));
    }
    if !scenario.cookies.jar.is_empty() {
        let jar: Vec<Value> = scenario
            .cookies
            .jar
            .iter()
            .map(|set| json!({"set_by": set.set_by.as_str(), "set_cookie": set.line}))
            .collect();
        doc.insert("cookies".into(), Value::Array(jar));
    }
    if scenario.cookies.third_party != crate::scenario::ThirdPartyCookies::default() {
        doc.insert(
            "third_party_cookies".into(),
            json!(scenario.cookies.third_party.name()),
        );
    }
    let origin = origin_layer(&scenario.server.kind);
    let url = json!(server_url(&scenario.server.url));
    let mut server = Map::new();
    if scenario.server.front.is_empty() {
        // One layer is written flat: its type, the URL, then its configuration.
        let mut origin = origin.into_iter();
        server.extend(origin.next());
        server.insert("url".into(), url);
        server.extend(origin);
    } else {
        server.insert("url".into(), url);
        let mut layers: Vec<Value> = scenario.server.front.iter().map(front_layer).collect();
        layers.push(Value::Object(origin));
        server.insert("layers".into(), Value::Array(layers));
    }
    doc.insert("server".into(), Value::Object(server));
    doc
}

/// The origin server's layer: its type first, then its configuration.
fn origin_layer(kind: &ServerKind) -> Map<String, Value> {
    let mut layer = Map::new();
    match kind {
        ServerKind::Bucket { provider, cors } => {
            layer.insert("type".into(), json!(provider.name()));
            let cors = cors
                .as_ref()
                .map(|config| rules_json(*provider, &config.rules));
            layer.insert("cors".into(), cors.unwrap_or(Value::Null));
        }
        ServerKind::Recorded { by } => {
            let kind = match by {
                Recorder::Browser => "recorded",
                Recorder::Probe => "probed",
            };
            layer.insert("type".into(), json!(kind));
        }
        ServerKind::Static {
            preflight,
            actual,
            lambda,
            session,
        } => {
            layer.insert("type".into(), json!("static"));
            if let Some(preflight) = preflight {
                layer.insert("preflight".into(), response_json(preflight));
            }
            match lambda {
                Some(lambda) => layer.insert("lambda_result".into(), lambda.raw.clone()),
                None => layer.insert("actual".into(), response_json(actual)),
            };
            if let Some(session) = session {
                layer.insert("session_cookie".into(), json!(session.cookie));
                layer.insert("logged_out".into(), response_json(&session.logged_out));
            }
        }
    }
    layer
}

/// A layer in front of the origin, in the spelling its file reads.
fn front_layer(layer: &crate::server::FrontLayer) -> Value {
    use crate::server::FrontLayer;
    use crate::server::function_url::RawCors;
    match layer {
        FrontLayer::FunctionUrl { cors } => json!({
            "type": layer.name(),
            "cors": cors.as_ref().map(RawCors::from),
        }),
        FrontLayer::HttpApi {
            cors,
            routes,
            stage,
        } => {
            use crate::server::http_api;
            let mut written = Map::new();
            written.insert("type".into(), json!(layer.name()));
            if let Some(stage) = stage {
                written.insert("stage".into(), json!(stage));
            }
            written.insert(
                "cors".into(),
                json!(cors.as_ref().map(http_api::RawCors::from)),
            );
            let routes: Vec<http_api::RawRoute> = routes.iter().map(Into::into).collect();
            written.insert("routes".into(), json!(routes));
            Value::Object(written)
        }
        FrontLayer::CloudFront(cloudfront) => {
            let w = &cloudfront.written;
            let mut written = Map::new();
            written.insert("type".into(), json!(layer.name()));
            written.insert("behavior".into(), w.behavior.clone());
            for (key, value) in [
                ("cache_policy", &w.cache_policy),
                ("origin_request_policy", &w.origin_request_policy),
                ("response_headers_policy", &w.response_headers_policy),
            ] {
                if let Some(value) = value {
                    written.insert(key.into(), value.clone());
                }
            }
            Value::Object(written)
        }
        FrontLayer::RestApi(api) => {
            let mut written = Map::new();
            written.insert("type".into(), json!(layer.name()));
            if let Some(stage) = &api.stage {
                written.insert("stage".into(), json!(stage));
            }
            written.insert("resources".into(), json!(api.written.resources));
            if !api.written.gateway_responses.is_empty() {
                written.insert(
                    "gatewayResponses".into(),
                    json!(api.written.gateway_responses),
                );
            }
            if let Some(deployed) = &api.written.deployed {
                written.insert("deployed".into(), json!(deployed));
            }
            Value::Object(written)
        }
    }
}

/// A request's keys, in file order.
pub fn request_json(r: &RequestSpec) -> Value {
    let mut q = Map::new();
    let mut field = |key: &str, value: Value| {
        q.insert(key.into(), value);
    };
    let via = match r.via {
        Via::Browser | Via::Element => r.initiator.name(),
        Via::NoCors => "no-cors",
        Via::Raw => "raw",
    };
    if via != "browser" {
        field("via", json!(via));
    }
    // An element in CORS mode says so with its attribute (a font needs none).
    if r.via == Via::Browser && matches!(r.initiator, Initiator::Img | Initiator::Script) {
        let crossorigin = match r.credentials {
            super::Credentials::Include => "use-credentials",
            _ => "anonymous",
        };
        field("crossorigin", json!(crossorigin));
    }
    if let Some(origin) = &r.origin {
        field("origin", json!(origin));
    }
    field("method", json!(r.method));
    field("url", json!(r.url.as_str()));
    if !r.headers.is_empty() {
        field("headers", headers_json(&r.headers));
    }
    if matches!(r.via, Via::Browser | Via::NoCors) && !r.initiator.is_element() {
        field("credentials", json!(r.credentials.name()));
        if r.cache != super::CacheMode::Default && r.initiator == Initiator::Fetch {
            field("cache", json!(r.cache.name()));
        }
    }
    if r.wait_seconds > 0 {
        field("wait_seconds", json!(r.wait_seconds));
    }
    if let Some(edge) = &r.edge {
        field("edge", json!(edge));
    }
    if r.actual_withheld {
        field("actual_sent", json!(false));
    }
    if r.preflight_not_recorded {
        field("preflight_recorded", json!(false));
    }
    if !r.responses.is_empty() {
        field("responses", responses_json(&r.responses));
    }
    if let Some(expect) = r.expect {
        field("expect", json!(expect.name()));
    }
    if let Some(note) = &r.note {
        field("note", json!(note));
    }
    Value::Object(q)
}

/// Moments and quiz: the keys after `requests`.
pub fn tail(scenario: &Scenario) -> Map<String, Value> {
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
                let choices: Vec<Value> = q
                    .choices
                    .iter()
                    .map(|c| match &c.why {
                        Some(why) => json!({"text": c.text, "why": why}),
                        None => json!(c.text),
                    })
                    .collect();
                item.insert("choices".into(), Value::Array(choices));
                item.insert("answer".into(), json!(q.choices[q.answer].text));
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
    #[test]
    fn a_server_url_loses_only_the_root_slash() {
        let url = |text: &str| url::Url::parse(text).ok();
        let written = |text: &str| url(text).map(|u| server_url(&u).to_string());
        assert_eq!(
            written("https://b.s3.amazonaws.com/").as_deref(),
            Some("https://b.s3.amazonaws.com")
        );
        assert_eq!(
            written("https://cdn.example/report/").as_deref(),
            Some("https://cdn.example/report/")
        );
        assert_eq!(
            written("https://cdn.example/?v=1").as_deref(),
            Some("https://cdn.example/?v=1")
        );
    }

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
