//! What-if edits: small toggles over the current request and the bucket's rules. Each edit
//! makes a new scenario; the caller re-runs the engine on it.

use crate::engine::{Step, Trace};
use crate::scenario::{
    Credentials, EmbedderPolicy, Field, LocalNetworkAccess, Scenario, ServerKind, Via,
};

/// One change a teacher can make with a keypress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Cycle the request's credentials mode.
    Credentials {
        request: usize,
    },
    /// Add or remove a request header.
    RequestHeader {
        request: usize,
        name: String,
        value: String,
    },
    /// Add or remove an origin in a rule's AllowedOrigins.
    RuleOrigin {
        rule: usize,
        origin: String,
    },
    RuleMethod {
        rule: usize,
        method: String,
    },
    RuleHeader {
        rule: usize,
        header: String,
    },
    /// Cycle MaxAgeSeconds through a few telling values.
    RuleMaxAge {
        rule: usize,
    },
    /// Whether the user allowed Chromium's Local Network Access prompt.
    LocalNetworkAccess,
    /// Cycle the pages' Cross-Origin-Embedder-Policy.
    EmbedderPolicy,
}

/// An edit as the editor lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditOption {
    pub label: String,
    /// `true`/`false` for toggles; the current value for cycles.
    pub state: String,
    pub edit: Edit,
}

const MAX_AGES: [Option<i64>; 6] = [None, Some(0), Some(5), Some(600), Some(3000), Some(86_400)];
const HEADER_CHOICES: [(&str, &str); 3] = [
    ("Content-Type", "application/json"),
    ("Authorization", "Bearer token"),
    ("X-Requested-With", "XMLHttpRequest"),
];

fn on(flag: bool) -> String {
    if flag {
        "on".to_string()
    } else {
        "off".to_string()
    }
}

/// The edits that make sense for the request of `step` (0-based request index inside).
pub fn options(scenario: &Scenario, step: &Step) -> Vec<EditOption> {
    let request_index = step.request - 1;
    let Some(spec) = scenario.requests.get(request_index) else {
        return Vec::new();
    };
    let mut options = Vec::new();
    // A public HTTPS page calling a loopback or local address: the prompt's answer decides.
    let asks_permission = spec.origin.as_deref().is_some_and(|origin| {
        crate::engine::fetch_rules::local_network_access(origin, &spec.url, &scenario.addresses)
            .is_some_and(|f| {
                f.error == crate::engine::CorsError::LocalNetworkAccessPermissionDenied
            })
    });
    if asks_permission {
        options.push(EditOption {
            label: "the user allows the site to reach the local network".to_string(),
            state: on(scenario.local_network_access == LocalNetworkAccess::Granted),
            edit: Edit::LocalNetworkAccess,
        });
    }
    // A no-cors load from another origin: a cross-origin isolated page asks a policy of it.
    let cross_origin =
        spec.origin.as_deref() != crate::http::syntax::origin_of(&spec.url).as_deref();
    if spec.via.is_no_cors() && cross_origin {
        options.push(EditOption {
            label: "the pages' Cross-Origin-Embedder-Policy".to_string(),
            state: scenario.embedder_policy.value().to_string(),
            edit: Edit::EmbedderPolicy,
        });
    }
    if spec.via == Via::Browser {
        options.push(EditOption {
            label: format!("request #{}: credentials", step.request),
            state: spec.credentials.name().to_string(),
            edit: Edit::Credentials {
                request: request_index,
            },
        });
        for (name, value) in HEADER_CHOICES {
            let present = spec
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name));
            options.push(EditOption {
                label: format!("request #{}: header {name}: {value}", step.request),
                state: on(present),
                edit: Edit::RequestHeader {
                    request: request_index,
                    name: name.to_string(),
                    value: value.to_string(),
                },
            });
        }
    }
    if let ServerKind::Bucket {
        provider,
        cors: Some(config),
    } = &scenario.server.kind
    {
        let provider = *provider;
        let name = |f| provider.field(f);
        let rule = 0;
        if let Some(first) = config.rules.first() {
            let label = first.label(rule);
            if let Some(origin) = &spec.origin {
                options.push(EditOption {
                    label: format!("rule {label}: {} has {origin}", name(Field::Origins)),
                    state: on(first.allowed_origins.contains(origin)),
                    edit: Edit::RuleOrigin {
                        rule,
                        origin: origin.clone(),
                    },
                });
            }
            options.push(EditOption {
                label: format!("rule {label}: {} has *", name(Field::Origins)),
                state: on(first.allowed_origins.iter().any(|o| o == "*")),
                edit: Edit::RuleOrigin {
                    rule,
                    origin: "*".to_string(),
                },
            });
            for method in ["GET", "PUT", "POST", "DELETE", "HEAD"] {
                options.push(EditOption {
                    label: format!("rule {label}: {} has {method}", name(Field::Methods)),
                    state: on(first.allowed_methods.iter().any(|m| m == method)),
                    edit: Edit::RuleMethod {
                        rule,
                        method: method.to_string(),
                    },
                });
            }
            for header in ["*", "Content-Type", "Authorization"] {
                options.push(EditOption {
                    label: format!("rule {label}: {} has {header}", name(Field::AllowedHeaders)),
                    state: on(first
                        .preflight_headers(provider)
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(header))),
                    edit: Edit::RuleHeader {
                        rule,
                        header: header.to_string(),
                    },
                });
            }
            options.push(EditOption {
                label: format!("rule {label}: {}", name(Field::MaxAge)),
                state: first
                    .max_age_seconds
                    .map_or("none".to_string(), |m| m.to_string()),
                edit: Edit::RuleMaxAge { rule },
            });
        }
    }
    options
}

fn toggle(list: &mut Vec<String>, value: &str, ignore_case: bool) {
    let position = list.iter().position(|v| {
        if ignore_case {
            v.eq_ignore_ascii_case(value)
        } else {
            v == value
        }
    });
    match position {
        Some(i) => {
            list.remove(i);
        }
        None => list.push(value.to_string()),
    }
}

/// The scenario with `edit` applied, or `None` when S3 would refuse the result (a rule left
/// without origins or methods).
pub fn apply(scenario: &Scenario, edit: &Edit) -> Option<Scenario> {
    let mut next = scenario.clone();
    match edit {
        Edit::LocalNetworkAccess => {
            next.local_network_access = match next.local_network_access {
                LocalNetworkAccess::Denied => LocalNetworkAccess::Granted,
                LocalNetworkAccess::Granted => LocalNetworkAccess::Denied,
            };
        }
        Edit::EmbedderPolicy => {
            next.embedder_policy = match next.embedder_policy {
                EmbedderPolicy::UnsafeNone => EmbedderPolicy::RequireCorp,
                EmbedderPolicy::RequireCorp => EmbedderPolicy::Credentialless,
                EmbedderPolicy::Credentialless => EmbedderPolicy::UnsafeNone,
            };
        }
        Edit::Credentials { request } => {
            let spec = std::sync::Arc::make_mut(&mut next.requests).get_mut(*request)?;
            spec.credentials = match spec.credentials {
                Credentials::Omit => Credentials::SameOrigin,
                Credentials::SameOrigin => Credentials::Include,
                Credentials::Include => Credentials::Omit,
            };
        }
        Edit::RequestHeader {
            request,
            name,
            value,
        } => {
            let spec = std::sync::Arc::make_mut(&mut next.requests).get_mut(*request)?;
            match spec
                .headers
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(i) => {
                    spec.headers.remove(i);
                }
                None => spec
                    .headers
                    .push((name.clone().into(), value.clone().into())),
            }
        }
        Edit::RuleOrigin { rule, origin }
        | Edit::RuleMethod {
            rule,
            method: origin,
        }
        | Edit::RuleHeader {
            rule,
            header: origin,
        } => {
            let ServerKind::Bucket {
                provider,
                cors: Some(config),
            } = &mut next.server.kind
            else {
                return None;
            };
            let provider = *provider;
            let target = config.rules.get_mut(*rule)?;
            match edit {
                Edit::RuleOrigin { .. } => toggle(&mut target.allowed_origins, origin, false),
                Edit::RuleMethod { .. } => toggle(&mut target.allowed_methods, origin, false),
                _ => toggle(target.preflight_headers_mut(provider), origin, true),
            }
            if target.allowed_origins.is_empty() || target.allowed_methods.is_empty() {
                return None;
            }
        }
        Edit::RuleMaxAge { rule } => {
            let ServerKind::Bucket {
                cors: Some(config), ..
            } = &mut next.server.kind
            else {
                return None;
            };
            let target = config.rules.get_mut(*rule)?;
            let at = MAX_AGES
                .iter()
                .position(|m| *m == target.max_age_seconds)
                .map_or(0, |i| i + 1);
            target.max_age_seconds = MAX_AGES[at % MAX_AGES.len()];
        }
    }
    Some(next)
}

/// Whether two steps record the same facts about the same messages: then their words are the
/// same too, and need not be made to be compared.
fn same_facts(before: &Trace, old: &Step, after: &Trace, step: &Step) -> bool {
    fn messages<'a>(
        trace: &'a Trace,
        s: &Step,
    ) -> Option<(&'a crate::http::HttpRequest, &'a crate::http::HttpResponse)> {
        let exchange = trace.request_of(s).exchanges.get(s.exchange?)?;
        Some((&exchange.request, &exchange.response))
    }
    let (was, now) = (before.request_of(old), after.request_of(step));
    old.event == step.event
        && messages(before, old) == messages(after, step)
        && (&was.method, &was.url, &was.origin, was.credentials)
            == (&now.method, &now.url, &now.origin, now.credentials)
        && was.console == now.console
        && was.exposed_headers == now.exposed_headers
}

/// Which steps of `after` differ from `before` (by index): decisions, results or verdicts.
pub fn changed_steps(before: &Trace, after: &Trace) -> Vec<bool> {
    after
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            before.steps.get(i).is_none_or(|old| {
                old.request != step.request
                    || old.stage != step.stage
                    || old.verdict != step.verdict
                    || (!same_facts(before, old, after, step) && {
                        let (was, now) = (before.text(old), after.text(step));
                        was.decision != now.decision || was.result != now.result
                    })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use crate::scenario::{BUILTIN_BASIC, BrowserProfile, Outcome, load_str};

    /// In the Local Network Access lesson, the prompt's answer is offered on the refused
    /// request, and allowing it lets both of the deployed dashboard's calls through.
    #[test]
    fn the_embedder_policy_cycles_and_decides_the_thumbnail() {
        let Some(lesson) = crate::scenario::lessons::find("coep-require-corp") else {
            panic!("the lesson is built in")
        };
        let Ok(scenario) = load_str(lesson.text, "coep-require-corp.json") else {
            panic!("the lesson loads")
        };
        let trace = crate::engine::run(&scenario, crate::scenario::BrowserProfile::Chromium);
        let Some(step) = trace.steps.get(1) else {
            panic!("the thumbnail's answer is step 2")
        };
        let option = options(&scenario, step)
            .into_iter()
            .find(|o| o.edit == Edit::EmbedderPolicy);
        assert_eq!(option.map(|o| o.state).as_deref(), Some("require-corp"));
        let loads = |scenario: &Scenario| {
            let trace = crate::engine::run(scenario, crate::scenario::BrowserProfile::Chromium);
            trace.requests[0].element_outcome()
                == Some(crate::engine::fetch_rules::ElementOutcome::Loads)
        };
        assert!(!loads(&scenario));
        let Some(credentialless) = apply(&scenario, &Edit::EmbedderPolicy) else {
            panic!("the edit applies")
        };
        assert_eq!(
            credentialless.embedder_policy,
            EmbedderPolicy::Credentialless
        );
        assert!(loads(&credentialless));
        let Some(none) = apply(&credentialless, &Edit::EmbedderPolicy) else {
            panic!("the edit applies")
        };
        assert_eq!(none.embedder_policy, EmbedderPolicy::UnsafeNone);
        assert!(loads(&none));
    }

    #[test]
    fn allowing_local_network_access_sends_the_refused_calls() {
        let Some(lesson) = crate::scenario::lessons::find("local-network-access") else {
            panic!("the lesson is built in")
        };
        let Ok(scenario) = load_str(lesson.text, "local-network-access.json") else {
            panic!("loads")
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let Some(allow) = options(&scenario, &trace.steps[0])
            .into_iter()
            .find(|o| o.edit == Edit::LocalNetworkAccess)
        else {
            panic!("offered on the refused request")
        };
        assert_eq!(allow.state, "off");
        let Some(allowed) = apply(&scenario, &allow.edit) else {
            panic!("applies")
        };
        let after = engine::run(&allowed, BrowserProfile::Chromium);
        let outcomes: Vec<Outcome> = after.requests.iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, [Outcome::Allowed; 3]);
        // The page on localhost itself asks nothing: the toggle is not offered there.
        let last = &trace.steps[trace.steps.len() - 1];
        assert!(
            options(&scenario, last)
                .iter()
                .all(|o| o.edit != Edit::LocalNetworkAccess)
        );
    }

    #[test]
    fn allowing_the_blocked_origin_flips_only_its_steps() {
        let Ok(scenario) = load_str(BUILTIN_BASIC, "basic.json") else {
            panic!("loads")
        };
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let last = &trace.steps[trace.steps.len() - 1];
        let allow = options(&scenario, last)
            .into_iter()
            .find(|o| o.label.contains("AllowedOrigins has https://malicious.com"));
        let Some(allow) = allow else {
            panic!("offered")
        };
        assert_eq!(allow.state, "off");
        let Some(edited) = apply(&scenario, &allow.edit) else {
            panic!("applies")
        };
        let after = engine::run(&edited, BrowserProfile::Chromium);
        assert_eq!(after.requests[2].outcome, Outcome::Allowed);
        let changed = changed_steps(&trace, &after);
        assert_eq!(
            changed.iter().filter(|c| **c).count(),
            2,
            "the actual answer and the CORS check of request #3"
        );
        assert!(changed[..8].iter().all(|c| !c));
        let Some(back) = apply(&edited, &allow.edit) else {
            panic!("toggles back")
        };
        assert_eq!(back, scenario);
    }

    #[test]
    fn removing_the_last_method_is_refused_like_s3_would() {
        let Ok(scenario) = load_str(BUILTIN_BASIC, "basic.json") else {
            panic!("loads")
        };
        let step = &engine::run(&scenario, BrowserProfile::Chromium).steps[0];
        let get = Edit::RuleMethod {
            rule: 0,
            method: "GET".into(),
        };
        let post = Edit::RuleMethod {
            rule: 0,
            method: "POST".into(),
        };
        let Some(one) = apply(&scenario, &get) else {
            panic!("GET off")
        };
        assert!(apply(&one, &post).is_none());
        assert!(!options(&scenario, step).is_empty());
    }

    #[test]
    fn credentials_cycle_and_max_age_cycles() {
        let Ok(scenario) = load_str(BUILTIN_BASIC, "basic.json") else {
            panic!("loads")
        };
        let Some(once) = apply(&scenario, &Edit::Credentials { request: 0 }) else {
            panic!()
        };
        assert_eq!(once.requests[0].credentials, Credentials::Include);
        let Some(aged) = apply(&scenario, &Edit::RuleMaxAge { rule: 0 }) else {
            panic!()
        };
        let ServerKind::Bucket {
            cors: Some(config), ..
        } = &aged.server.kind
        else {
            panic!()
        };
        assert_eq!(
            config.rules[0].max_age_seconds,
            Some(86_400),
            "3000 → 86400"
        );
    }
}

/// Where to save an edited scenario: beside the original file (a lesson, a HAR, a saved
/// trace, whatever its extension) as `NAME.whatif.json` (then `NAME.whatif-2.json`, …), or in
/// the current folder when the source is not a file (the built-in lesson, standard input);
/// never over an existing entry, a dangling link included.
pub fn save_path(
    source: &str,
    source_is_file: bool,
    exists: impl Fn(&std::path::Path) -> bool,
) -> std::path::PathBuf {
    let original = std::path::Path::new(source);
    let (dir, stem) = match original.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if source_is_file => (
            original
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default(),
            stem.to_string(),
        ),
        _ => (std::path::PathBuf::new(), "cors-tui".to_string()),
    };
    let mut candidate = dir.join(format!("{stem}.whatif.json"));
    let mut n = 2;
    while exists(&candidate) {
        candidate = dir.join(format!("{stem}.whatif-{n}.json"));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod save_tests {
    use super::save_path;
    use std::path::{Path, PathBuf};

    #[test]
    fn saves_beside_the_original_and_never_over_a_file() {
        assert_eq!(
            save_path("scenarios/basic.json", true, |_| false),
            PathBuf::from("scenarios/basic.whatif.json")
        );
        let taken = |p: &Path| {
            p == Path::new("scenarios/basic.whatif.json")
                || p == Path::new("scenarios/basic.whatif-2.json")
        };
        assert_eq!(
            save_path("scenarios/basic.json", true, taken),
            PathBuf::from("scenarios/basic.whatif-3.json")
        );
        assert_eq!(
            save_path("built-in basic scenario", false, |_| false),
            PathBuf::from("cors-tui.whatif.json")
        );
        assert_eq!(
            save_path("<stdin>", false, |_| false),
            PathBuf::from("cors-tui.whatif.json")
        );
        // A recording or an upper-case extension saves beside it too.
        assert_eq!(
            save_path("../sub/rec.har", true, |_| false),
            PathBuf::from("../sub/rec.whatif.json")
        );
        assert_eq!(
            save_path("../sub/lesson.JSON", true, |_| false),
            PathBuf::from("../sub/lesson.whatif.json")
        );
    }
}

/// The scenario to save after edits: each `expect` updated to the new outcome, and the
/// author's moments and quiz left out when edits were made (they explain the original run).
pub fn saved_scenario(scenario: &Scenario, trace: &Trace, edited: bool) -> Scenario {
    let mut saved = scenario.clone();
    for (spec, record) in std::sync::Arc::make_mut(&mut saved.requests)
        .iter_mut()
        .zip(&trace.requests)
    {
        if spec.expect.is_some() {
            spec.expect = Some(record.outcome);
        }
    }
    if edited {
        saved.moments.clear();
        saved.quiz.clear();
        saved.title = format!("{} (what-if)", saved.title);
    }
    saved
}
