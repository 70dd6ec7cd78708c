//! Key moments: the surprising steps of a lesson, each with a question and its answer. A
//! scenario may write its own; otherwise they are derived from the trace. Pure.

use crate::engine::{CorsError, ExchangeKind, Stage, Trace, Verdict};
use crate::scenario::{Choice, Scenario, ServerKind, Via};

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
                crate::narrate::rules::reasons_text(&request.preflight_reasons),
                request.method
            ),
        );
    }
    // The step where the browser decides (a request's first): it finds the cache entry.
    let decided = |r: &crate::engine::RequestRecord| {
        trace
            .steps
            .get(r.steps.clone())
            .unwrap_or_default()
            .iter()
            .find(|s| s.stage == Stage::Request)
            .map(|s| s.n)
    };
    if let Some((request, n)) = trace
        .requests
        .iter()
        .filter(|r| r.cache_hit)
        .find_map(|r| Some((r, decided(r)?)))
    {
        add(
            n,
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
        // A recorded network error is no answer: nothing reached the browser to keep from the page.
        let reached = request.failed_at == Some(ExchangeKind::Actual)
            && !request
                .cors_error
                .is_some_and(|e| e.is_recorded_network_error());
        add(
            step.n,
            format!(
                "Why is request #{} from {} blocked?",
                request.index,
                request.origin.as_deref().unwrap_or("null")
            ),
            format!(
                "{}{}",
                request.summary_text(),
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
    // The first step where the profiles part: its request lists the note.
    let noted = trace
        .requests
        .iter()
        .filter(|r| !r.profile_notes.is_empty())
        .flat_map(|r| trace.steps.get(r.steps.clone()).unwrap_or_default())
        .find_map(|s| Some((s.n, trace.text(s).profile_note.clone()?)));
    if let Some((n, note)) = noted {
        add(
            n,
            "Would every browser decide this step the same way?".to_string(),
            note,
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

/// A multiple-choice question, the lesson author's or generated from the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuizItem {
    pub question: String,
    pub choices: Vec<Choice>,
    /// Index of the right choice.
    pub answer: usize,
    pub hint: Option<String>,
    /// 1-based step the hint points at.
    pub step: Option<usize>,
    pub generated: bool,
}

/// The scenario's questions, then questions generated from the trace whose answers the
/// engine computed (each with exactly one right choice).
pub fn quiz(scenario: &Scenario, trace: &Trace) -> Vec<QuizItem> {
    let mut items: Vec<QuizItem> = scenario
        .quiz
        .iter()
        .map(|q| QuizItem {
            question: q.question.clone(),
            choices: q.choices.clone(),
            answer: q.answer,
            hint: q.hint.clone(),
            step: q.step,
            generated: false,
        })
        .collect();
    // A generated question about a step the author already asks about would repeat it.
    let asked: Vec<usize> = items.iter().filter_map(|q| q.step).collect();
    items.extend(
        generated_questions(trace)
            .into_iter()
            .filter(|q| !q.step.is_some_and(|s| asked.contains(&s))),
    );
    if let Some(item) = what_if_origin(scenario, trace) {
        items.push(item);
    }
    items
}

/// Up to four choices: the right one first, then wrong ones with distinct texts, rotated by a
/// stable amount so the right answer is not always "a".
fn choices(right: Choice, wrong: Vec<Choice>, seed: usize) -> (Vec<Choice>, usize) {
    let right_text = right.text.clone();
    let mut all = vec![right];
    for w in wrong {
        if !all.iter().any(|c| c.text == w.text) && all.len() < 4 {
            all.push(w);
        }
    }
    let shift = seed % all.len();
    all.rotate_left(shift);
    let answer = all.iter().position(|c| c.text == right_text).unwrap_or(0);
    (all, answer)
}

/// Chromium's reason for blocking a request: its console line after "blocked by CORS policy".
fn blocked_because(request: &crate::engine::trace::RequestRecord) -> Option<String> {
    let console = request.error()?;
    let (_, reason) = console.split_once("blocked by CORS policy: ")?;
    Some(reason.to_string())
}

/// What a step of the request did, for explaining why it is not where the request was blocked.
fn not_blocked_here(step: &crate::engine::trace::Step) -> String {
    let n = step.n;
    match step.stage {
        Stage::Request => format!(
            "Step {n} is the page's request: the browser only decides whether a preflight goes first."
        ),
        Stage::Preflight => format!(
            "Step {n} is the preflight going out and its answer coming back; the browser has not judged it yet."
        ),
        Stage::PreflightCheck => {
            format!("Step {n} checks the preflight's answer, and it passes: the request goes on.")
        }
        Stage::Actual => {
            format!("Step {n} sends the request and receives the answer; the check comes after it.")
        }
        Stage::ResponseCheck => format!("Step {n} checks an answer, and it passes."),
    }
}

fn generated_questions(trace: &Trace) -> Vec<QuizItem> {
    let mut items = Vec::new();
    // The preflight's Access-Control-Allow-Origin.
    if let Some(request) = trace.requests.iter().find(|r| r.preflight) {
        let exchange = request
            .exchanges
            .iter()
            .find(|e| e.kind == ExchangeKind::Preflight);
        // The step that shows the preflight's answer, found by what it is, not where.
        let shown = trace
            .steps
            .get(request.steps.clone())
            .unwrap_or_default()
            .iter()
            .find(|s| s.stage == Stage::Preflight)
            .map(|s| s.n);
        if let (Some(exchange), Some(step)) = (exchange, shown) {
            let sent = exchange.response.header("Access-Control-Allow-Origin");
            let right = match &sent {
                Some(value) => Choice::explained(
                    value.clone(),
                    format!("Step {step}'s answer carries Access-Control-Allow-Origin: {value}."),
                ),
                None => Choice::explained(
                    "none",
                    format!("Step {step}'s answer has no Access-Control-Allow-Origin at all."),
                ),
            };
            let what_was_sent = match &sent {
                Some(value) => format!("It sends {value}."),
                None => "It sends none at all.".to_string(),
            };
            let url = &exchange.request.url;
            let mut wrong = vec![
                Choice::explained(
                    "*",
                    format!("The answer does not allow every origin. {what_was_sent}"),
                ),
                Choice::explained(
                    "none",
                    format!("The answer does carry the header. {what_was_sent}"),
                ),
                Choice::explained(
                    url.to_string(),
                    format!(
                        "That is the resource's URL. Access-Control-Allow-Origin names the page's origin that may read the answer. {what_was_sent}"
                    ),
                ),
            ];
            wrong.extend(trace.requests.iter().filter_map(|r| {
                r.origin.as_ref().map(|origin| {
                    Choice::explained(
                        origin.clone(),
                        format!(
                            "That is request #{}'s origin, not what this answer names. {what_was_sent}",
                            r.index
                        ),
                    )
                })
            }));
            let (choices, answer) = choices(right, wrong, step);
            items.push(QuizItem {
                question: format!(
                    "What Access-Control-Allow-Origin does the server send in answer to the preflight at step {step}?"
                ),
                choices,
                answer,
                hint: Some(format!("Look at the Result of step {step}.")),
                step: Some(step),
                generated: true,
            });
        }
    }
    // Where a request is blocked.
    if let Some(request) = trace
        .requests
        .iter()
        .find(|r| r.outcome == crate::scenario::Outcome::Blocked)
    {
        let blocked = trace.steps[request.steps.clone()]
            .iter()
            .find(|s| s.verdict == Verdict::Blocked)
            .map(|s| s.n);
        if let Some(blocked) = blocked {
            let reason = blocked_because(request)
                .map(|why| format!(": {why}"))
                .unwrap_or_else(|| ".".to_string());
            let right = Choice::explained(
                format!("step {blocked}"),
                format!("Step {blocked} is where the browser refuses the answer{reason}"),
            );
            let wrong: Vec<Choice> = trace.steps[request.steps.clone()]
                .iter()
                .filter(|s| s.n != blocked)
                .map(|s| Choice::explained(format!("step {}", s.n), not_blocked_here(s)))
                .chain(std::iter::once(Choice::explained(
                    "it is not blocked",
                    format!(
                        "It is: request #{} ends BLOCKED at step {blocked}.",
                        request.index
                    ),
                )))
                .collect();
            let (choices, answer) = choices(right, wrong, blocked + 1);
            items.push(QuizItem {
                question: format!(
                    "At which step does the browser block request #{}?",
                    request.index
                ),
                choices,
                answer,
                hint: Some("Find the row whose Result starts with ✗.".to_string()),
                step: Some(blocked),
                generated: true,
            });
        }
    }
    items
}

/// "If AllowedOrigins also held X, would request #N be allowed?", answered by re-running the
/// engine on the changed rules.
fn what_if_origin(scenario: &Scenario, trace: &Trace) -> Option<QuizItem> {
    let ServerKind::Bucket {
        provider,
        cors: Some(config),
    } = &scenario.server.kind
    else {
        return None;
    };
    let provider = *provider;
    // Never about a request the lesson means to block: "what if the attacker's origin were
    // allowed?" reads as advice to allow it.
    let request = trace.requests.iter().find(|r| {
        r.outcome == crate::scenario::Outcome::Blocked
            && !crate::analysis::fix::meant_to_be_blocked(scenario, r)
            && r.origin.as_ref().is_some_and(|o| {
                !config
                    .rules
                    .iter()
                    .any(|rule| rule.allowed_origins.contains(o))
            })
    })?;
    let origin = request.origin.clone()?;
    let mut changed = scenario.clone();
    if let ServerKind::Bucket {
        cors: Some(config), ..
    } = &mut changed.server.kind
    {
        config
            .rules
            .first_mut()?
            .allowed_origins
            .push(origin.clone());
    }
    let rerun = crate::engine::run(&changed, trace.profile);
    let rerun_request = rerun.requests.get(request.index - 1)?;
    let allowed = rerun_request.outcome == crate::scenario::Outcome::Allowed;
    let last = request.steps.end;
    let still_blocked = blocked_because(rerun_request)
        .map(|why| {
            format!(
                "Listing the origin is not enough. Run again with it, the request is still blocked: {why}"
            )
        })
        .unwrap_or_else(|| {
            "Listing the origin is not enough. Run again with it, the request is still blocked."
                .to_string()
        });
    let passes =
        "Run again with the origin listed: the rule matches, and its answer passes every check."
            .to_string();
    let (yes, no) = if allowed {
        (
            Choice::explained("Yes", passes.clone()),
            Choice::explained("No", format!("It would be allowed. {passes}")),
        )
    } else {
        (
            Choice::explained("Yes", still_blocked.clone()),
            Choice::explained("No", still_blocked),
        )
    };
    let (right, wrong) = if allowed { (yes, no) } else { (no, yes) };
    let (choices, answer) = choices(right, vec![wrong], last);
    Some(QuizItem {
        question: format!(
            "If the first rule's {} also held {origin}, would step {last} allow request #{}?",
            provider.field(crate::scenario::Field::Origins),
            request.index
        ),
        choices,
        answer,
        hint: Some(format!(
            "{} echoes an origin its matched rule lists; then check methods, headers and credentials too.",
            provider.short()
        )),
        step: Some(last),
        generated: true,
    })
}

#[cfg(test)]
mod quiz_tests {
    use super::*;
    use crate::engine;
    use crate::scenario::{BrowserProfile, load_str};

    fn load(name: &str) -> Scenario {
        let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        match load_str(&text, name) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn generated_questions_have_exactly_one_right_answer_that_the_engine_confirms() {
        for name in [
            "basic",
            "method-not-allowed",
            "wildcard-credentials",
            "rule-order",
            "custom-header",
        ] {
            let scenario = load(name);
            let trace = engine::run(&scenario, BrowserProfile::Chromium);
            for item in quiz(&scenario, &trace).into_iter().filter(|q| q.generated) {
                // Every choice says why it is right or wrong, so a wrong answer is explained.
                assert!(
                    item.choices.iter().all(|c| c.why.is_some()),
                    "{name}: a generated choice without its why in {item:?}"
                );
                let mut unique: Vec<&str> = item.choices.iter().map(|c| c.text.as_str()).collect();
                unique.sort();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    item.choices.len(),
                    "{name}: duplicate choices in {item:?}"
                );
                assert!(item.answer < item.choices.len());
                assert!(item.choices.len() >= 2);
            }
        }
    }

    #[test]
    fn what_if_answer_is_checked_by_flipping_the_config() {
        let scenario = load("curl-vs-browser");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        let item = what_if_origin(&scenario, &trace);
        let Some(item) = item else {
            panic!("curl-vs-browser's page origin is blocked")
        };
        assert!(item.question.contains("https://app.example"));
        assert_eq!(
            item.choices[item.answer].text, "Yes",
            "allowing the origin lets the GET through"
        );
        // The basic lesson means to keep https://malicious.com out: no question asks what
        // letting it in would do.
        let scenario = load("basic");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        assert!(what_if_origin(&scenario, &trace).is_none());
        let scenario = load("method-not-allowed");
        let trace = engine::run(&scenario, BrowserProfile::Chromium);
        assert!(
            what_if_origin(&scenario, &trace).is_none(),
            "its blocked origin is already allowed"
        );
    }
}

/// A lesson's key moments and quiz questions point at steps of its run; a step past the last
/// one is an error (a moment at step 999 of an 11-step lesson would never be shown). The run
/// is the same under either browser profile for most lessons; where it is not, a step that
/// exists under one of them is accepted.
pub fn check_steps(
    scenario: &Scenario,
    text: &str,
    file: &str,
) -> Result<(), crate::scenario::LoadErrors> {
    use crate::scenario::validate::{JsonPath, Problem, Seg};
    let pointed = scenario.moments.iter().map(|m| Some(m.step));
    let asked = scenario.quiz.iter().map(|q| q.step);
    if pointed.chain(asked).flatten().next().is_none() {
        return Ok(());
    }
    let steps = [
        crate::scenario::BrowserProfile::Chromium,
        crate::scenario::BrowserProfile::Standard,
    ]
    .into_iter()
    .map(|profile| crate::engine::run(scenario, profile).steps.len())
    .max()
    .unwrap_or(0);
    let beyond = |list: &str, i: usize, step: usize| {
        (step > steps).then(|| Problem {
            path: JsonPath(vec![
                Seg::Key(list.into()),
                Seg::Index(i),
                Seg::Key("step".into()),
            ]),
            message: format!("step {step} is past the end: the lesson has {steps} steps"),
        })
    };
    let problems: Vec<Problem> = scenario
        .moments
        .iter()
        .enumerate()
        .filter_map(|(i, m)| beyond("moments", i, m.step))
        .chain(
            scenario
                .quiz
                .iter()
                .enumerate()
                .filter_map(|(i, q)| beyond("quiz", i, q.step?)),
        )
        .collect();
    let errors = crate::scenario::locate_problems(text, file, problems);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(crate::scenario::LoadErrors(errors))
    }
}
