//! Real DevTools exports (recorded by `tools/record-har` in headless Chromium) replayed with
//! `--json`, each cross-origin fetch checked against what Chromium did: outcome, the CORS error
//! and where it failed, the preflights sent, the console line and the headers the script could
//! read. Plain and sanitized exports alike.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/chromium";
const PAGES: [&str; 4] = ["bucket", "api", "redirects", "reasons"];

#[derive(Deserialize)]
struct Truth {
    recorded_with: String,
    page: String,
    fetches: Vec<Fetch>,
}

#[derive(Deserialize)]
struct Fetch {
    name: String,
    method: String,
    url: String,
    outcome: String,
    #[serde(default)]
    readable_headers: Vec<String>,
    browser: Browser,
}

/// What Chromium reported for the fetch over the DevTools protocol.
#[derive(Deserialize)]
struct Browser {
    urls: Vec<String>,
    preflights: Vec<Preflight>,
    failed: Option<Failed>,
    console: Vec<String>,
}

#[derive(Deserialize)]
struct Preflight {
    url: String,
}

#[derive(Deserialize)]
struct Failed {
    error_text: String,
    cors_error: Option<String>,
}

use crate::common::origin_of as origin;

/// Chromium's errors about a preflight's answer (`Network.CorsError`).
fn is_preflight_error(name: &str) -> bool {
    name.starts_with("Preflight") || name.ends_with("PreflightResponse")
}

fn replay(file: &Path) -> Value {
    crate::common::replay_json(file)
}

/// Every difference between the replay of `file` and what Chromium did, one line each.
fn disagreements(file: &Path, truth: &Truth) -> Vec<String> {
    let json = replay(file);
    let requests = json["requests"].as_array().cloned().unwrap_or_default();
    let skipped = json["recording"]["skipped"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let page_origin = origin(&truth.page);
    let mut used = vec![false; requests.len()];
    let mut problems = Vec::new();
    for fetch in &truth.fetches {
        let say = |problems: &mut Vec<String>, what: String| {
            problems.push(format!("{}: {}: {what}", file.display(), fetch.name));
        };
        let cross_origin = fetch.browser.urls.iter().any(|u| origin(u) != page_origin);
        let found = requests.iter().enumerate().position(|(i, r)| {
            !used[i] && r["url"] == fetch.url.as_str() && r["method"] == fetch.method.as_str()
        });
        if !cross_origin {
            if found.is_some() {
                say(&mut problems, "same-origin, yet replayed as CORS".into());
            }
            if !skipped.iter().any(|s| {
                s["url"] == fetch.url.as_str()
                    && s["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("same-origin"))
            }) {
                say(
                    &mut problems,
                    "same-origin, but not listed as skipped for it".into(),
                );
            }
            continue;
        }
        let Some(i) = found else {
            say(&mut problems, "not replayed".into());
            continue;
        };
        used[i] = true;
        let r = &requests[i];

        // Outcome, and the error Chromium named.
        let (outcome, error) = match &fetch.browser.failed {
            None => ("allowed", None),
            Some(f) => (
                "blocked",
                Some(f.cors_error.clone().unwrap_or_else(|| f.error_text.clone())),
            ),
        };
        if r["outcome"] != outcome || r["cors_error"].as_str() != error.as_deref() {
            say(
                &mut problems,
                format!(
                    "Chromium: {outcome} {error:?}; replay: {} {}",
                    r["outcome"], r["cors_error"]
                ),
            );
        }
        if fetch.outcome == "response" && outcome != "allowed" {
            say(&mut problems, "the ground truth contradicts itself".into());
        }

        // Where it failed: at a preflight, or at an answer (the console line names the hop).
        if let Some(error) = &error {
            let at = if is_preflight_error(error) {
                "preflight"
            } else {
                "actual"
            };
            if r["failed_at"] != at {
                say(
                    &mut problems,
                    format!("Chromium failed at the {at}; replay at {}", r["failed_at"]),
                );
            }
        }

        // The preflights sent, one per hop that needed one.
        let sent: Vec<&Value> = r["exchanges"]
            .as_array()
            .map(|e| e.iter().filter(|x| x["kind"] == "preflight").collect())
            .unwrap_or_default();
        if sent.len() != fetch.browser.preflights.len() {
            say(
                &mut problems,
                format!(
                    "Chromium sent {} preflight(s) ({:?}); replay {}",
                    fetch.browser.preflights.len(),
                    fetch
                        .browser
                        .preflights
                        .iter()
                        .map(|p| p.url.as_str())
                        .collect::<Vec<_>>(),
                    sent.len()
                ),
            );
        }
        if fetch.browser.preflights.is_empty() && r["preflight"] == true {
            say(
                &mut problems,
                "the replay sends a preflight Chromium did not".into(),
            );
        }

        // The console line: Chromium's CORS message, or its network error line.
        let console = fetch
            .browser
            .console
            .iter()
            .find(|line| line.starts_with("Access to fetch"))
            .or_else(|| {
                fetch.browser.failed.as_ref().and_then(|f| {
                    fetch
                        .browser
                        .console
                        .iter()
                        .find(|line| line.ends_with(&f.error_text) && f.cors_error.is_none())
                })
            });
        if r["error"].as_str() != console.map(String::as_str) {
            say(
                &mut problems,
                format!("console: Chromium {console:?}; replay {}", r["error"]),
            );
        }

        // What the script could read of an allowed answer.
        if outcome == "allowed" {
            let readable: BTreeSet<String> = fetch.readable_headers.iter().cloned().collect();
            let exposed: BTreeSet<String> = r["exposed_headers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str())
                        .map(str::to_ascii_lowercase)
                        .collect()
                })
                .unwrap_or_default();
            if readable != exposed {
                say(
                    &mut problems,
                    format!("script read {readable:?}; replay exposes {exposed:?}"),
                );
            }
        }
        if r["agrees"] != true {
            say(
                &mut problems,
                format!(
                    "the replay says it disagrees with the recording: {}",
                    r["recorded"]
                ),
            );
        }
    }
    for (i, r) in requests.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "{}: replayed {} {}, which no fetch made",
                file.display(),
                r["method"],
                r["url"]
            ));
        }
    }
    for s in &skipped {
        let url = s["url"].as_str().unwrap_or_default();
        let cross_origin_fetch = truth.fetches.iter().any(|f| {
            f.browser.urls.iter().any(|u| u == url)
                && f.browser.urls.iter().any(|u| origin(u) != page_origin)
        });
        if cross_origin_fetch {
            problems.push(format!(
                "{}: {url} is part of a cross-origin fetch but was skipped: {}",
                file.display(),
                s["reason"]
            ));
        }
    }
    problems
}

fn truth(page: &str) -> Truth {
    let path = Path::new(FIXTURES).join(format!("{page}.truth.json"));
    let text = std::fs::read_to_string(&path).expect("the ground truth is committed");
    serde_json::from_str(&text).expect("the ground truth parses")
}

#[test]
fn every_cross_origin_fetch_replays_as_chromium_judged_it() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in PAGES {
        let truth = truth(page);
        assert!(
            truth.recorded_with.starts_with("Chrome/"),
            "{page}: {}",
            truth.recorded_with
        );
        checked += truth.fetches.len();
        for export in [format!("{page}.har"), format!("{page}.sanitized.har")] {
            problems.extend(disagreements(&Path::new(FIXTURES).join(export), &truth));
        }
    }
    assert!(checked >= 35, "the recordings hold {checked} fetches");
    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_sanitized_exports_are_sanitized() {
    for page in PAGES {
        let plain = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{page}.har")))
            .unwrap_or_default();
        let sanitized =
            std::fs::read_to_string(Path::new(FIXTURES).join(format!("{page}.sanitized.har")))
                .unwrap_or_default();
        assert!(
            plain.contains("\"name\": \"Cookie\""),
            "{page}: the plain export carries cookies"
        );
        assert!(
            !sanitized.contains("\"name\": \"Cookie\""),
            "{page}: the sanitized export has none"
        );
        if page == "api" {
            assert!(plain.contains("\"name\": \"Authorization\""));
            assert!(!sanitized.contains("\"name\": \"Authorization\""));
        }
    }
}

/// `--print`'s summary counts what Chromium did: cross-origin fetches, how many failed and
/// how (CORS or the network), and as skipped only the entries that are no part of one.
#[test]
fn the_printed_summary_counts_honestly() {
    for page in PAGES {
        let truth = truth(page);
        let page_origin = origin(&truth.page);
        let cross: Vec<&Fetch> = truth
            .fetches
            .iter()
            .filter(|f| f.browser.urls.iter().any(|u| origin(u) != page_origin))
            .collect();
        let failed = cross.iter().filter(|f| f.browser.failed.is_some()).count();
        let network = cross
            .iter()
            .filter(|f| {
                f.browser
                    .failed
                    .as_ref()
                    .is_some_and(|x| x.cors_error.is_none())
            })
            .count();
        let part_of_a_fetch: BTreeSet<&str> = cross
            .iter()
            .flat_map(|f| {
                let preflights = f.browser.preflights.iter().map(|p| p.url.as_str());
                f.browser.urls.iter().map(String::as_str).chain(preflights)
            })
            .collect();
        for export in [format!("{page}.har"), format!("{page}.sanitized.har")] {
            let path = Path::new(FIXTURES).join(&export);
            let har: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
                    .expect("the export parses");
            let entries = har["log"]["entries"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let skipped = entries
                .iter()
                .filter(|e| {
                    !part_of_a_fetch.contains(e["request"]["url"].as_str().unwrap_or_default())
                })
                .count();
            let failures = match network {
                0 => String::new(),
                n => format!(" · {n} failed with a network error"),
            };
            assert!(
                crate::common::cmd()
                    .args(["--print", "--width", "200"])
                    .arg(&path)
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).contains(&failures))
                    .unwrap_or(false),
                "{export}: the network errors are counted"
            );
            let expected = format!(
                "{} entries: {} cross-origin requests replayed · {} allowed · {} blocked by CORS",
                entries.len(),
                cross.len(),
                cross.len() - failed,
                failed - network,
            );
            let out = crate::common::cmd()
                .args(["--print", "--width", "200"])
                .arg(&path)
                .output()
                .expect("cors-tui runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains(&expected),
                "{export}: expected «{expected}» in:\n{text}"
            );
            assert!(
                text.contains(&format!("{skipped} same-origin or not CORS (skipped")),
                "{export}: the skipped entries are counted"
            );
            assert!(!text.contains("DISAGREES"), "{export}");
            if !export.contains("sanitized") {
                assert!(
                    !text.contains("a sanitized export removes Authorization"),
                    "{export}: a plain export is not sanitized"
                );
            }
        }
    }
}

/// Chromium told that the page is on the public internet refuses its fetches to the API on
/// loopback (Local Network Access). The export holds the reason only on the preflight it
/// refused (`net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS`): that request replays as
/// Chromium judged it, console line and all. The others are recorded with no reason, and the
/// replay says what it can: no reason was recorded, and the refused preflight to the same
/// origin makes Local Network Access the likely one.
#[test]
fn a_local_network_refusal_replays_from_what_the_export_holds() {
    let truth = truth("local-network");
    for export in ["local-network.har", "local-network.sanitized.har"] {
        let json = replay(&Path::new(FIXTURES).join(export));
        let requests = json["requests"].as_array().cloned().unwrap_or_default();
        let cross_origin: Vec<&Fetch> = truth
            .fetches
            .iter()
            .filter(|f| origin(&f.url) != origin(&truth.page))
            .collect();
        assert_eq!(requests.len(), cross_origin.len(), "{export}");
        for fetch in cross_origin {
            let Some(r) = requests.iter().find(|r| r["url"] == fetch.url.as_str()) else {
                panic!("{export}: {} not replayed", fetch.name)
            };
            let failed = fetch.browser.failed.as_ref();
            assert_eq!(
                failed.and_then(|f| f.cors_error.as_deref()),
                Some("LocalNetworkAccessPermissionDenied"),
                "{}: the ground truth",
                fetch.name
            );
            assert_eq!(r["outcome"], "blocked", "{export}: {}", fetch.name);
            if fetch.browser.preflights.is_empty() {
                assert_eq!(
                    r["cors_error"], "net::ERR_FAILED",
                    "{export}: {}",
                    fetch.name
                );
                let notes = r["recorded"]["notes"].to_string();
                assert!(
                    notes.contains("Local Network Access (inferred)"),
                    "{export}: {}: {notes}",
                    fetch.name
                );
            } else {
                assert_eq!(
                    r["cors_error"], "LocalNetworkAccessPermissionDenied",
                    "{export}: {}",
                    fetch.name
                );
                assert_eq!(r["failed_at"], "preflight", "{export}: {}", fetch.name);
                assert_eq!(
                    r["error"].as_str(),
                    fetch.browser.console.first().map(String::as_str),
                    "{export}: {}",
                    fetch.name
                );
            }
        }
    }
}

/// `<img>`, `<script>` and no-cors fetch() loads without Origin are not CORS and are not
/// replayed; those whose answer Chromium's Opaque Response Blocking withheld or whose own
/// Cross-Origin-Resource-Policy refused them are named as such, from what the export holds (an
/// element's `net::ERR_BLOCKED_BY_ORB`, with its status and type; a no-cors fetch()'s
/// `net::ERR_ABORTED` after an answer, inferred; `net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin`
/// with the answer's policy), and the report says that no CORS rule changes them. The one CORS
/// fetch replays as Chromium judged it.
#[test]
fn loads_opaque_response_blocking_withheld_are_named_not_replayed() {
    let truth = truth("elements");
    for export in ["elements.har", "elements.sanitized.har"] {
        let file = Path::new(FIXTURES).join(export);
        let json = replay(&file);
        let requests = json["requests"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            requests.len(),
            1,
            "{export}: only the CORS fetch is replayed"
        );
        assert_eq!(requests[0]["outcome"], "allowed", "{export}");
        let skipped = json["recording"]["skipped"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for fetch in truth.fetches.iter().filter(|f| f.name != "cors-json") {
            let Some(entry) = skipped.iter().find(|s| s["url"] == fetch.url.as_str()) else {
                panic!("{export}: {} is not listed as skipped", fetch.name)
            };
            let error = fetch.browser.failed.as_ref().map(|f| f.error_text.as_str());
            let withheld = &entry["withheld"];
            match error {
                Some("net::ERR_BLOCKED_BY_ORB") => {
                    assert_eq!(
                        withheld["error"], "net::ERR_BLOCKED_BY_ORB",
                        "{}",
                        fetch.name
                    );
                    assert_eq!(withheld["inferred"], false, "{}", fetch.name);
                    assert!(withheld["status"].as_u64().is_some_and(|s| s > 0));
                }
                Some("net::ERR_ABORTED") => {
                    assert_eq!(withheld["error"], "net::ERR_ABORTED", "{}", fetch.name);
                    assert_eq!(withheld["inferred"], true, "{}", fetch.name);
                }
                Some(refused @ "net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin") => {
                    assert_eq!(withheld["error"], refused, "{}", fetch.name);
                    assert_eq!(withheld["resource_policy"], "same-origin", "{}", fetch.name);
                }
                _ => assert!(
                    withheld.is_null(),
                    "{export}: {} was not withheld",
                    fetch.name
                ),
            }
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cors-tui"))
            .args(["--print", "--width", "200"])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&output.stdout);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(
                "NOT CORS: 3 loads withheld by Opaque Response Blocking (ORB) · 2 loads refused by their Cross-Origin-Resource-Policy"
            ),
            "{export}: {text}"
        );
        assert!(text.contains("no CORS rule changes it"), "{export}: {text}");
        assert!(
            text.contains("crossOriginResourcePolicy"),
            "{export}: {text}"
        );
    }
}
