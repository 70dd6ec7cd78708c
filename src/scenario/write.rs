//! A scenario back to the file format: the model turned into the types the loader reads
//! ([`super::raw`]), so one schema reads and writes the file.

use serde_json::Value;

use super::raw::{
    CrossOrigin, HeaderList, RawChoice, RawExplainedChoice, RawLayer, RawMoment, RawOverrides,
    RawQuestion, RawRecordingBrowser, RawRequest, RawResponse, RawScenario, RawServer,
    RawServerType, RawSetCookie, RawVia,
};
use super::{
    CacheMode, CannedResponse, CorsRule, Credentials, Initiator, Provider, Recorder,
    RecordingBrowser, RequestSpec, ResponseOverrides, Scenario, ServerKind, ThirdPartyCookies, Via,
};
use crate::server::azure::config::RawAzureRules;
use crate::server::gcs::config::RawGcsRule;
use crate::server::s3::config::RawCors;

/// A provider's rules as a scenario's `server.cors` holds them: S3's `{"CORSRules": [...]}`,
/// GCS's bare list, Azure's ARM `{"corsRules": [...]}`.
pub fn rules_json(provider: Provider, rules: &[CorsRule]) -> Value {
    let written = match provider {
        Provider::S3 => serde_json::to_value(RawCors {
            rules: Some(rules.iter().map(Into::into).collect()),
            wrapped: None,
        }),
        Provider::Gcs => {
            serde_json::to_value(rules.iter().map(RawGcsRule::from).collect::<Vec<_>>())
        }
        Provider::Azure => serde_json::to_value(RawAzureRules {
            rules: rules.iter().map(Into::into).collect(),
        }),
    };
    // The rule types hold only strings and integers, which always serialize.
    written.unwrap_or(Value::Null)
}

/// A value of one of the layers' own types, as the layer's raw JSON.
fn value(written: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(written).ok()
}

/// The scenario as its file writes it, requests included.
pub fn to_raw(scenario: &Scenario) -> RawScenario {
    let mut raw = without_requests(scenario);
    raw.requests = scenario.requests.iter().map(request).collect();
    raw
}

/// The scenario as its file writes it, with `requests` left empty: a writer that streams them
/// writes the keys around them from this.
pub fn without_requests(scenario: &Scenario) -> RawScenario {
    let jar = &scenario.cookies.jar;
    let moments = &scenario.moments;
    RawScenario {
        title: Some(scenario.title.clone()),
        description: (!scenario.description.is_empty()).then(|| scenario.description.clone()),
        browser: scenario.browser,
        cookies: (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|set| RawSetCookie {
                    set_by: set.set_by.as_str().to_string(),
                    set_cookie: set.line.clone(),
                })
                .collect()
        }),
        third_party_cookies: (scenario.cookies.third_party != ThirdPartyCookies::default())
            .then_some(scenario.cookies.third_party),
        local_network_access: (scenario.local_network_access != Default::default())
            .then_some(scenario.local_network_access),
        cross_origin_embedder_policy: (scenario.embedder_policy != Default::default())
            .then_some(scenario.embedder_policy),
        addresses: (!scenario.addresses.0.is_empty()).then(|| {
            scenario
                .addresses
                .0
                .iter()
                .map(|(name, address)| (name.clone(), address.to_string()))
                .collect()
        }),
        server: server(scenario),
        requests: Vec::new(),
        moments: (!moments.is_empty()).then(|| {
            moments
                .iter()
                .map(|m| RawMoment {
                    step: m.step,
                    question: m.question.clone(),
                    answer: m.answer.clone(),
                })
                .collect()
        }),
        quiz: (!scenario.quiz.is_empty()).then(|| scenario.quiz.iter().map(question).collect()),
    }
}

fn question(q: &super::Question) -> RawQuestion {
    let choices = q
        .choices
        .iter()
        .map(|c| match &c.why {
            Some(why) => RawChoice::Explained(RawExplainedChoice {
                text: c.text.clone(),
                why: why.clone(),
            }),
            None => RawChoice::Text(c.text.clone()),
        })
        .collect();
    RawQuestion {
        question: q.question.clone(),
        choices,
        answer: q
            .choices
            .get(q.answer)
            .map(|c| c.text.clone())
            .unwrap_or_default(),
        hint: q.hint.clone(),
        step: q.step,
    }
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

/// One layer is written flat on the server (its type, the URL, its configuration); a stack
/// under `layers`, outermost first.
fn server(scenario: &Scenario) -> RawServer {
    let url = server_url(&scenario.server.url).to_string();
    let origin = origin_layer(&scenario.server.kind);
    if scenario.server.front.is_empty() && origin.fits_flat() {
        return RawServer::flat(url, origin);
    }
    let mut layers: Vec<RawLayer> = scenario.server.front.iter().map(front_layer).collect();
    layers.push(origin);
    RawServer {
        kind: None,
        url,
        cors: None,
        preflight: None,
        actual: None,
        session_cookie: None,
        logged_out: None,
        recorded_by: None,
        layers: Some(layers),
    }
}

/// The origin server's layer.
fn origin_layer(kind: &ServerKind) -> RawLayer {
    match kind {
        ServerKind::Bucket { provider, cors } => RawLayer {
            kind: Some(match provider {
                Provider::S3 => RawServerType::S3,
                Provider::Gcs => RawServerType::Gcs,
                Provider::Azure => RawServerType::Azure,
            }),
            // No rules at all is written as `null`, which reads back as none.
            cors: Some(
                cors.as_ref()
                    .map_or(Value::Null, |config| rules_json(*provider, &config.rules)),
            ),
            ..RawLayer::default()
        },
        ServerKind::Recorded { by } => RawLayer {
            kind: Some(match by {
                Recorder::Browser(_) => RawServerType::Recorded,
                Recorder::Probe => RawServerType::Probed,
            }),
            recorded_by: match by {
                Recorder::Browser(RecordingBrowser::Firefox) => Some(RawRecordingBrowser::Firefox),
                Recorder::Browser(RecordingBrowser::Safari) => Some(RawRecordingBrowser::Safari),
                _ => None,
            },
            ..RawLayer::default()
        },
        ServerKind::Static {
            preflight,
            actual,
            lambda,
            session,
        } => RawLayer {
            kind: Some(RawServerType::Static),
            preflight: preflight.as_ref().map(response),
            actual: lambda.is_none().then(|| response(actual)),
            lambda_result: lambda.as_ref().map(|lambda| lambda.raw.clone()),
            session_cookie: session.as_ref().map(|s| s.cookie.clone()),
            logged_out: session.as_ref().map(|s| response(&s.logged_out)),
            ..RawLayer::default()
        },
    }
}

/// A layer in front of the origin, in the spelling its file reads.
fn front_layer(layer: &crate::server::FrontLayer) -> RawLayer {
    use crate::server::{FrontLayer, function_url, http_api};
    match layer {
        FrontLayer::FunctionUrl { cors } => RawLayer {
            kind: Some(RawServerType::FunctionUrl),
            cors: Some(
                cors.as_ref()
                    .and_then(|cors| value(&function_url::RawCors::from(cors)))
                    .unwrap_or(Value::Null),
            ),
            ..RawLayer::default()
        },
        FrontLayer::HttpApi {
            cors,
            routes,
            stage,
        } => {
            let routes: Vec<http_api::RawRoute> = routes.iter().map(Into::into).collect();
            RawLayer {
                kind: Some(RawServerType::HttpApi),
                stage: stage.clone(),
                cors: Some(
                    cors.as_ref()
                        .and_then(|cors| value(&http_api::RawCors::from(cors)))
                        .unwrap_or(Value::Null),
                ),
                routes: value(&routes),
                ..RawLayer::default()
            }
        }
        FrontLayer::CloudFront(cloudfront) => {
            let written = &cloudfront.written;
            RawLayer {
                kind: Some(RawServerType::CloudFront),
                behavior: Some(written.behavior.clone()),
                cache_policy: written.cache_policy.clone(),
                origin_request_policy: written.origin_request_policy.clone(),
                response_headers_policy: written.response_headers_policy.clone(),
                ..RawLayer::default()
            }
        }
        FrontLayer::RestApi(api) => {
            let written = &api.written;
            RawLayer {
                kind: Some(RawServerType::RestApi),
                stage: api.stage.clone(),
                resources: value(&written.resources),
                gateway_responses: (!written.gateway_responses.is_empty())
                    .then(|| value(&written.gateway_responses))
                    .flatten(),
                deployed: written.deployed.as_ref().and_then(value),
                ..RawLayer::default()
            }
        }
    }
}

fn headers(list: &[super::Header]) -> HeaderList {
    HeaderList(list.to_vec())
}

/// A canned response as the file writes it.
fn response(r: &CannedResponse) -> RawResponse {
    RawResponse {
        status: r.status,
        headers: headers(&r.headers),
        body: r.body.clone(),
        network_error: r.network_error.clone(),
    }
}

/// The canned responses that are set, then those after each redirect.
fn overrides(responses: &ResponseOverrides) -> RawOverrides {
    RawOverrides {
        preflight: responses.preflight.as_ref().map(response),
        actual: responses.actual.as_ref().map(response),
        after_redirect: responses.after_redirect.iter().map(overrides).collect(),
    }
}

/// A request as the file writes it: only what differs from the defaults the loader fills in.
pub fn request(r: &RequestSpec) -> RawRequest {
    let via = match (r.via, r.initiator) {
        (Via::Browser | Via::Element, Initiator::Fetch) => None,
        (Via::Browser | Via::Element, Initiator::Xhr) => Some(RawVia::Xhr),
        (Via::Browser | Via::Element, Initiator::Img) => Some(RawVia::Img),
        (Via::Browser | Via::Element, Initiator::Script) => Some(RawVia::Script),
        (Via::Browser | Via::Element, Initiator::Font) => Some(RawVia::Font),
        (Via::NoCors, _) => Some(RawVia::NoCors),
        (Via::Raw, _) => Some(RawVia::Raw),
    };
    // An element in CORS mode says so with its attribute (a font needs none).
    let crossorigin = (r.via == Via::Browser
        && matches!(r.initiator, Initiator::Img | Initiator::Script))
    .then_some(match r.credentials {
        Credentials::Include => CrossOrigin::UseCredentials,
        _ => CrossOrigin::Anonymous,
    });
    // fetch() and XMLHttpRequest carry their own credentials mode; an element's follows from it.
    let page_options = matches!(r.via, Via::Browser | Via::NoCors) && !r.initiator.is_element();
    RawRequest {
        via,
        crossorigin,
        origin: r.origin.clone(),
        method: Some(r.method.clone()),
        url: Some(r.url.as_str().to_string()),
        headers: headers(&r.headers),
        credentials: page_options.then_some(r.credentials),
        cache: (page_options && r.cache != CacheMode::Default && r.initiator == Initiator::Fetch)
            .then_some(r.cache),
        wait_seconds: (r.wait_seconds > 0).then_some(r.wait_seconds),
        edge: r.edge.clone(),
        actual_sent: r.actual_withheld.then_some(false),
        preflight_recorded: r.preflight_not_recorded.then_some(false),
        responses: (!r.responses.is_empty()).then(|| overrides(&r.responses)),
        expect: r.expect,
        note: r.note.clone(),
    }
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
            let written = serde_json::to_string_pretty(&to_raw(&original)).unwrap_or_default();
            let again = load_str(&written, "out");
            assert_eq!(
                again.as_ref().ok(),
                Some(&original),
                "{:?}\n{written}",
                entry.path()
            );
        }
    }

    #[test]
    fn a_static_server_with_a_function_result_but_nothing_in_front_is_written_as_a_stack() {
        let layer = RawLayer {
            kind: Some(RawServerType::Static),
            lambda_result: Some(serde_json::json!({"statusCode": 200})),
            ..RawLayer::default()
        };
        assert!(!layer.fits_flat());
        let plain = RawLayer {
            kind: Some(RawServerType::Static),
            session_cookie: Some("sid".into()),
            ..RawLayer::default()
        };
        assert!(plain.fits_flat());
    }
}
