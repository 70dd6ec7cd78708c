//! What `--json` writes, the tool reads back to the same trace: every shipped scenario and
//! fixture, and random recordings full of the odd values real and broken exports hold.

use std::path::Path;

use cors_tui::engine;
use cors_tui::formats::har;
use cors_tui::report::json;
use cors_tui::report::saved;
use cors_tui::scenario::{self, BrowserProfile};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The `--json` document of what `text` holds (a scenario or a HAR), or `None` when it is
/// refused as input.
fn document(text: &str, name: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if cors_tui::session::detect(text) == cors_tui::session::InputKind::Har {
        let import = har::load_har(text, name, false).ok()?;
        let trace = engine::run(&import.scenario, BrowserProfile::Chromium);
        json::write(
            &mut out,
            &import.scenario,
            &trace,
            Some(&import.recording),
            false,
        )
        .ok()?;
    } else {
        let scenario = scenario::load_str(text, name).ok()?;
        let profile = engine::effective_profile(&scenario, None);
        let trace = engine::run(&scenario, profile);
        json::write(&mut out, &scenario, &trace, None, false).ok()?;
    }
    Some(out)
}

/// The saved trace reopened and written again.
fn reopened(written: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(written).map_err(|e| e.to_string())?;
    let (scenario, trace, recording) =
        saved::load_saved_trace(text, "saved.json").map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    json::write(&mut out, &scenario, &trace, recording.as_ref(), false)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn assert_reopens_exactly(written: &[u8], what: &str) {
    match reopened(written) {
        Ok(again) => assert!(
            again == written,
            "{what}: the reopened trace differs\nfirst:  {}\nagain:  {}",
            String::from_utf8_lossy(written),
            String::from_utf8_lossy(&again)
        ),
        Err(e) => panic!("{what}: the saved trace does not reopen: {e}"),
    }
}

#[test]
fn every_shipped_scenario_and_fixture_reopens_byte_for_byte() {
    let mut files = Vec::new();
    for dir in [
        "scenarios",
        "tests/fixtures",
        "tests/fixtures/har",
        "tests/fixtures/chromium",
        "tests/fixtures/firefox",
    ] {
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    let mut checked = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.display().to_string();
        if let Some(written) = document(&text, &name) {
            assert_reopens_exactly(&written, &name);
            checked += 1;
        }
    }
    // 17 lessons, 2 redirect fixtures, 4 replayable recordings and 6 real Chromium exports.
    assert!(checked >= 29, "only {checked} inputs were checked");
}

/// A recorded header list of names and values real exports and broken ones hold: duplicates,
/// odd names, odd CORS values, redirects to other schemes.
fn response_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let header = prop::sample::select(vec![
        ("access-control-allow-origin", "https://app.example"),
        ("access-control-allow-origin", "*"),
        ("Access-Control-Allow-Origin", " https://app.example "),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "PUT"),
        ("access-control-allow-headers", "*"),
        ("access-control-expose-headers", "ETag"),
        ("location", "https://api.example.net/next"),
        ("location", "file:///etc/passwd"),
        ("location", "ftp://files.example/"),
        ("location", "http://[::1"),
        ("x odd name", "v"),
        ("x-bidi", "\u{202e}evil"),
        ("x-esc", "\u{1b}]52;c;ZWNobw==\u{7}"),
        ("etag", "\"abc\""),
        ("set-cookie", "session=1"),
    ]);
    prop::collection::vec(header, 0..5).prop_map(|list| {
        list.into_iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect()
    })
}

fn entry_strategy() -> impl Strategy<Value = Value> {
    let origin = prop::sample::select(vec![
        "https://app.example",
        "null",
        "https://app.example/path",
        "javascript:alert(1)",
        "https://app.example:99999",
        "https://api.example.net",
    ]);
    let method = prop::sample::select(vec!["GET", "PUT", "post", "TRACE", "G E T", "OPTIONS"]);
    let url = prop::sample::select(vec![
        "https://api.example.net/next",
        "https://api.example.net/a?token=secret",
        "https://user:pw@api.example.net/a",
        "file:///tmp/x",
        "https://app.example/same",
    ]);
    let status = prop::sample::select(vec![0i64, 200, 204, 302, 307, 403, 500, 99, 99_999, -1]);
    let error = prop::sample::select(vec![None, Some("net::ERR_FAILED")]);
    let kind = prop::sample::select(vec![Some("fetch"), Some("preflight"), None]);
    let request_header = prop::sample::select(vec![
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer t"),
        ("Access-Control-Request-Method", "PUT"),
        ("x odd", "v"),
        ("Cookie", "a=b"),
    ]);
    let request_headers = prop::collection::vec(request_header, 0..3);
    let time = 0u32..4;
    (
        origin,
        method,
        url,
        status,
        error,
        kind,
        request_headers,
        response_headers(),
        time,
    )
        .prop_map(
            |(origin, method, url, status, error, kind, request_headers, response, time)| {
                let mut headers = vec![json!({"name": "Origin", "value": origin})];
                headers.extend(
                    request_headers
                        .into_iter()
                        .map(|(n, v)| json!({"name": n, "value": v})),
                );
                let redirect = response
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("location"))
                    .map_or(String::new(), |(_, v)| v.clone());
                let mut entry = json!({
                    "startedDateTime": format!("2026-11-20T10:00:0{time}.000Z"),
                    "request": {"method": method, "url": url, "headers": headers},
                    "response": {
                        "status": status,
                        "headers": response
                            .iter()
                            .map(|(n, v)| json!({"name": n, "value": v}))
                            .collect::<Vec<_>>(),
                        "redirectURL": redirect,
                    },
                });
                if let Some(kind) = kind {
                    entry["_resourceType"] = json!(kind);
                }
                if let Some(error) = error {
                    entry["response"]["_error"] = json!(error);
                }
                entry
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any recording the importer accepts, saved with `--json`, reopens to the same bytes.
    #[test]
    fn every_accepted_recording_reopens_byte_for_byte(
        entries in prop::collection::vec(entry_strategy(), 1..6),
    ) {
        let har = json!({"log": {"creator": {"name": "WebInspector"}, "entries": entries}});
        let text = har.to_string();
        if let Some(written) = document(&text, "random.har") {
            assert_reopens_exactly(&written, &text);
        }
    }
}

/// A proxy and an app both adding `Access-Control-Allow-Origin` is a classic bug: the saved
/// trace must keep both headers, or it replays the blocked request as allowed.
#[test]
fn duplicate_response_headers_survive_a_save() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/har/chrome.har");
    let Ok(text) = std::fs::read_to_string(path) else {
        panic!("chrome.har is readable")
    };
    let Ok(mut har) = serde_json::from_str::<Value>(&text) else {
        panic!("chrome.har is JSON")
    };
    let entry = &mut har["log"]["entries"][4];
    assert_eq!(entry["request"]["url"], "https://api.example.net/me");
    let Some(headers) = entry["response"]["headers"].as_array_mut() else {
        panic!("entry 4 has response headers")
    };
    headers.push(json!({"name": "access-control-allow-origin", "value": "https://app.example"}));
    let Some(written) = document(&har.to_string(), "d3.har") else {
        panic!("the recording replays")
    };
    let Ok(doc) = serde_json::from_slice::<Value>(&written) else {
        panic!("--json is JSON")
    };
    assert_eq!(
        doc["requests"][1]["cors_error"],
        "MultipleAllowOriginValues"
    );
    let kept = &doc["scenario"]["requests"][1]["responses"]["actual"]["headers"];
    let acao = kept
        .as_array()
        .into_iter()
        .flatten()
        .filter(|pair| pair[0] == "access-control-allow-origin")
        .count();
    assert_eq!(acao, 2, "both headers are written, as pairs: {kept}");
    assert_reopens_exactly(&written, "chrome.har with a duplicated ACAO");
}
