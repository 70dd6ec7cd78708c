//! Real Firefox DevTools exports (recorded by `tools/record-har/firefox.mjs` in headless Firefox
//! 153, from the same pages as the Chromium exports) replayed with `--json`: every cross-origin
//! fetch ends as it did in Firefox, and the console line the replay gives is the one Firefox
//! wrote, word for word. Firefox records the answer of a request CORS refused, and status 0
//! only for a request that got none (a failed preflight, or the network): such a request is
//! no CORS header failure.

use std::path::Path;

use serde::Deserialize;

const FIXTURES: &str = "tests/fixtures/firefox";
const PAGES: [&str; 5] = ["bucket", "api", "redirects", "elements", "reasons"];

#[derive(Deserialize)]
struct Truth {
    recorded_with: String,
    page: String,
    fetches: Vec<Fetch>,
    /// Every line the page's console got.
    console: Vec<ConsoleEntry>,
}

#[derive(Deserialize)]
struct ConsoleEntry {
    text: String,
}

#[derive(Deserialize)]
struct Fetch {
    name: String,
    method: String,
    url: String,
    /// `response` or `error` for a fetch; `load` or `error` for an element.
    outcome: String,
    /// `cors` or `no-cors` for a fetch.
    mode: String,
    #[serde(default)]
    element: Option<String>,
    browser: Browser,
}

/// The console lines Firefox wrote that name the fetch's URL.
#[derive(Deserialize)]
struct Browser {
    console: Vec<String>,
}

use crate::common::{origin_of as origin, replay_json as replay};

fn truth(page: &str) -> Truth {
    let path = Path::new(FIXTURES).join(format!("{page}.truth.json"));
    let text = std::fs::read_to_string(&path).expect("the ground truth is committed");
    serde_json::from_str(&text).expect("the ground truth parses")
}

/// Every difference between the replay of `page`'s export and what Firefox did.
fn disagreements(page: &str) -> Vec<String> {
    let truth = truth(page);
    assert!(
        truth.recorded_with.starts_with("firefox/"),
        "{page}: recorded with {}",
        truth.recorded_with
    );
    let file = Path::new(FIXTURES).join(format!("{page}.har"));
    let json = replay(&file);
    let requests = json["requests"].as_array().cloned().unwrap_or_default();
    let page_origin = origin(&truth.page);
    let mut used = vec![false; requests.len()];
    let mut problems = Vec::new();
    for fetch in &truth.fetches {
        let mut say = |what: String| problems.push(format!("{page}: {}: {what}", fetch.name));
        let found = requests.iter().enumerate().position(|(i, r)| {
            !used[i] && r["url"] == fetch.url.as_str() && r["method"] == fetch.method.as_str()
        });
        // Elements without crossorigin and no-cors fetches send no CORS request, nor does a
        // same-origin fetch unless a redirect takes it to another origin.
        let hops_elsewhere = found.is_some_and(|i| {
            requests[i]["exchanges"].as_array().is_some_and(|e| {
                e.iter().any(|x| {
                    x["request"]["url"]
                        .as_str()
                        .is_some_and(|u| origin(u) != page_origin)
                })
            })
        });
        let cors = (origin(&fetch.url) != page_origin || hops_elsewhere)
            && fetch.element.is_none()
            && fetch.mode == "cors";
        if !cors {
            if found.is_some() {
                say("no CORS request, yet replayed as one".into());
            }
            continue;
        }
        let Some(i) = found else {
            say("not replayed".into());
            continue;
        };
        used[i] = true;
        let r = &requests[i];
        let outcome = if fetch.outcome == "response" {
            "allowed"
        } else {
            "blocked"
        };
        if r["outcome"] != outcome {
            say(format!(
                "Firefox: {outcome}; replay: {} {}",
                r["outcome"], r["cors_error"]
            ));
        }
        // Firefox writes the reason first, then, for a request it never sent or that got no
        // answer, "CORS request did not succeed". A redirected fetch's lines name the hop.
        let last_url = r["exchanges"]
            .as_array()
            .and_then(|e| e.last())
            .and_then(|x| x["request"]["url"].as_str())
            .unwrap_or_default();
        let firefox_line = fetch
            .browser
            .console
            .first()
            .map(String::as_str)
            .or_else(|| {
                truth
                    .console
                    .iter()
                    .map(|c| c.text.as_str())
                    .find(|text| text.contains(&format!(" {last_url}. ")))
            });
        if r["error"].as_str() != firefox_line {
            say(format!(
                "console: Firefox {firefox_line:?}; replay {}",
                r["error"]
            ));
        }
        // Firefox records no verdict for an answer it received: only a contradiction counts.
        if r["agrees"] == false {
            say(format!(
                "the replay says it disagrees with the recording: {}",
                r["recorded"]
            ));
        }
    }
    for (i, r) in requests.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "{page}: replayed {} {}, which no fetch made",
                r["method"], r["url"]
            ));
        }
    }
    problems
}

#[test]
fn every_cross_origin_fetch_replays_as_firefox_judged_it() {
    let problems: Vec<String> = PAGES.iter().flat_map(|page| disagreements(page)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A request that got no answer is no CORS header failure: Firefox records one as status 0 with
/// no reason, and its console calls it "CORS request did not succeed".
#[test]
fn a_request_firefox_got_no_answer_to_is_a_network_error_not_a_missing_header() {
    let json = replay(&Path::new(FIXTURES).join("api.har"));
    let dead = json["requests"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|r| r["url"].as_str().is_some_and(|u| u.contains("dead-port")))
        })
        .cloned()
        .expect("the fetch to the dead port is replayed");
    assert_eq!(dead["cors_error"], "CORSDidNotSucceed");
    assert_eq!(dead["failed_at"], "actual");
    let summary = dead["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("not CORS"), "{summary}");
    assert!(
        dead["fix"].is_null()
            || !dead["fix"]
                .to_string()
                .contains("Access-Control-Allow-Origin"),
        "no CORS header fixes a request that got no answer: {}",
        dead["fix"]
    );
}

/// Firefox writes a load the answer's Cross-Origin-Resource-Policy refused as if it had loaded:
/// the replay names it from the header, and no other no-cors load.
#[test]
fn loads_firefox_refused_by_their_resource_policy_are_named_from_the_header() {
    let truth = truth("elements");
    let json = replay(&Path::new(FIXTURES).join("elements.har"));
    let skipped = json["recording"]["skipped"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let withheld: Vec<&str> = skipped
        .iter()
        .filter(|s| s["withheld"]["error"] == "NS_ERROR_DOM_CORP_FAILED")
        .filter_map(|s| s["url"].as_str())
        .collect();
    // The fetches whose answer carries Cross-Origin-Resource-Policy: same-origin, each
    // refused in Firefox (an element's error event, a no-cors fetch()'s TypeError).
    let refused: Vec<&str> = truth
        .fetches
        .iter()
        .filter(|f| f.name.contains("helmet"))
        .map(|f| {
            assert_eq!(f.outcome, "error", "{}", f.name);
            f.url.as_str()
        })
        .collect();
    assert_eq!(withheld, refused);
    assert!(
        skipped.iter().filter(|s| !s["withheld"].is_null()).count() == refused.len(),
        "only the loads the policy refused are named: {skipped:?}"
    );
}
