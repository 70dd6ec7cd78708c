//! Key moments: the surprising steps of a lesson, each with a question and its answer. A
//! scenario may write its own; otherwise they are derived from the trace. Pure.

use crate::engine::{CorsError, ExchangeKind, Stage, Trace, Verdict};
use crate::scenario::{Scenario, Via};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMoment {
    /// 1-based step number.
    pub step: usize,
    pub question: String,
    pub answer: String,
    /// Derived from the trace rather than written by the lesson's author.
    pub derived: bool,
}

/// The scenario's own moments (those within the trace), or moments derived from the trace.
pub fn key_moments(scenario: &Scenario, trace: &Trace) -> Vec<KeyMoment> {
    if !scenario.moments.is_empty() {
        return scenario
            .moments
            .iter()
            .filter(|m| m.step <= trace.steps.len())
            .map(|m| KeyMoment {
                step: m.step,
                question: m.question.clone(),
                answer: m.answer.clone(),
                derived: false,
            })
            .collect();
    }
    derive(trace)
}

fn derive(trace: &Trace) -> Vec<KeyMoment> {
    let mut moments: Vec<KeyMoment> = Vec::new();
    let mut add = |step: usize, question: String, answer: String| {
        if !moments.iter().any(|m| m.step == step) {
            moments.push(KeyMoment {
                step,
                question,
                answer,
                derived: true,
            });
        }
    };
    if let Some(step) = trace.steps.iter().find(|s| s.stage == Stage::Preflight) {
        let request = trace.request_of(step);
        add(
            step.n,
            format!(
                "Why does the browser send OPTIONS before the {}?",
                request.method
            ),
            format!(
                "Because {}. For such a request the browser first asks the server (a preflight) and sends the real {} only if the answer allows it.",
                request.preflight_reasons.join("; "),
                request.method
            ),
        );
    }
    if let Some(request) = trace.requests.iter().find(|r| r.cache_hit) {
        add(
            request.steps.start + 1,
            format!("Why is there no OPTIONS before request #{}?", request.index),
            "An earlier preflight for the same origin and URL passed and is still in the browser's preflight cache (for Access-Control-Max-Age seconds), so the browser sends the request straight away.".to_string(),
        );
    }
    if let Some(request) = trace.requests.iter().find(|r| {
        matches!(
            r.cors_error,
            Some(
                CorsError::WildcardOriginNotAllowed | CorsError::PreflightWildcardOriginNotAllowed
            )
        )
    }) {
        add(
            request.steps.end,
            format!("The server answered Access-Control-Allow-Origin: * — why is request #{} still blocked?", request.index),
            "It is sent with credentials (cookies). With credentials the browser accepts only the exact origin echoed back plus Access-Control-Allow-Credentials: true; * is refused.".to_string(),
        );
    }
    if let Some(step) = trace.steps.iter().find(|s| s.verdict == Verdict::Blocked) {
        let request = trace.request_of(step);
        let reached = request.failed_at == Some(ExchangeKind::Actual);
        add(
            step.n,
            format!(
                "Why is request #{} from {} blocked?",
                request.index,
                request.origin.as_deref().unwrap_or("null")
            ),
            format!(
                "{}{}",
                request.summary,
                if reached {
                    " The server did answer; the browser keeps the response from the page."
                } else {
                    ""
                }
            ),
        );
    }
    if let Some(request) = trace.requests.iter().find(|r| r.via == Via::Raw) {
        add(
            request.steps.end,
            format!("Why does request #{} (like curl) get the response?", request.index),
            "No browser is involved: CORS is enforced by browsers, not by servers or HTTP clients, so a raw client reads whatever the server sends.".to_string(),
        );
    }
    if let Some(step) = trace.steps.iter().find(|s| s.profile_note.is_some()) {
        add(
            step.n,
            "Would every browser decide this step the same way?".to_string(),
            step.profile_note.clone().unwrap_or_default(),
        );
    }
    moments.sort_by_key(|m| m.step);
    moments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use crate::scenario::{BUILTIN_BASIC, BrowserProfile, load_str};

    #[test]
    fn basic_lesson_derives_the_preflight_and_the_block() {
        let Ok(mut scenario) = load_str(BUILTIN_BASIC, "basic.json") else {
            panic!("loads")
        };
        scenario.moments.clear();
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let moments = key_moments(&scenario, &trace);
        assert_eq!(
            moments.iter().map(|m| m.step).collect::<Vec<_>>(),
            vec![5, 11]
        );
        assert!(moments[0].question.contains("OPTIONS before the POST"));
        assert!(moments[0].answer.contains("application/json"));
        assert!(moments[1].question.contains("https://malicious.com"));
    }
}
