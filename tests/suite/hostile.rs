//! Hostile and careless input, end to end: each test is a defect of the robustness review
//! (`shared/reviews/robustness-2026-12.md`, D1–D18) that failed before its fix.

use crate::common::{cmd, root};
use predicates::prelude::*;
use std::path::Path;

fn temp_dir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("no temporary directory: {e}"),
    }
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Err(e) = std::fs::write(path, bytes) {
        panic!("cannot write {}: {e}", path.display());
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Whether `bytes` hold anything a terminal would act on: C0 but newline and tab, DEL, C1, or
/// a bidi control.
fn has_terminal_controls(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// D1: a configuration holding an OSC 52 clipboard write, a C1 control and a bidi override is
/// refused by every converter, naming the value, and nothing raw reaches stdout or stderr.
#[test]
fn convert_refuses_terminal_controls_in_any_value() {
    let dir = temp_dir();
    let gcs = dir.path().join("gcs.json");
    write(
        &gcs,
        r#"[{"origin":["https://a.example\u001b]52;c;ZWNobyBwd25lZA==\u0007"],"method":["GET"],"maxAgeSeconds":5}]"#,
    );
    let xml = dir.path().join("cors.xml");
    write(
        &xml,
        "<CORSConfiguration><CORSRule><ID>id&#27;[31mRED&#x9b;&#x202e;</ID><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    for (file, expected) in [
        (&gcs, "rule #1: origin[0] contains control character U+001B"),
        (&xml, "rule #1: ID contains control character U+001B"),
    ] {
        for target in [
            "s3-json",
            "s3-xml",
            "s3-console",
            "cloudformation",
            "gcs",
            "azure",
            "azure-json",
        ] {
            let output = cmd()
                .args(["convert", "--to", target])
                .arg(file)
                .output()
                .unwrap_or_else(|e| panic!("runs: {e}"));
            assert_eq!(output.status.code(), Some(2), "{target}");
            assert!(output.stdout.is_empty(), "{target}: nothing is written");
            assert!(!has_terminal_controls(&output.stderr), "{target}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(expected), "{target}: {stderr}");
        }
    }
}

/// D2: a trace saved from a Firefox or Safari recording (status 0) and from the redirect
/// fixture (net::ERR_* endings) opens again and prints the same document.
#[test]
fn saved_traces_of_the_shipped_fixtures_reopen() {
    let dir = temp_dir();
    for fixture in [
        "tests/fixtures/har/firefox.har",
        "tests/fixtures/firefox/redirects.har",
        "tests/fixtures/har/safari.har",
        "tests/fixtures/redirects-chromium.json",
    ] {
        let first = cmd().arg("--json").arg(root().join(fixture)).output();
        let first = first.unwrap_or_else(|e| panic!("runs: {e}"));
        let saved = dir.path().join("run.json");
        write(&saved, &first.stdout);
        let again = cmd().arg("--json").arg(&saved).output();
        let again = again.unwrap_or_else(|e| panic!("runs: {e}"));
        assert_eq!(
            again.status.code(),
            first.status.code(),
            "{fixture}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert!(
            again.stdout == first.stdout,
            "{fixture} reopens differently"
        );
    }
}

/// D11: a device is refused before it is read, and every input has a bound that says how to
/// raise it.
#[test]
fn devices_are_refused_and_inputs_are_bounded() {
    cmd()
        .arg("/dev/zero")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/dev/zero: cannot read the file: it is a device or a socket, not a file",
        ));
    cmd()
        .args(["audit", "/dev/urandom"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("it is a device or a socket"));
    cmd()
        .env("CORS_TUI_MAX_INPUT_MIB", "0")
        .arg("--json")
        .arg(root().join("scenarios/basic.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "larger than 0 MiB, the most cors-tui reads",
        ))
        .stderr(predicate::str::contains("set CORS_TUI_MAX_INPUT_MIB"));
    cmd()
        .env("CORS_TUI_MAX_INPUT_MIB", "0")
        .args(["--json", "-"])
        .write_stdin("{}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>: cannot read the file"));
}

/// D14: a byte order mark is skipped, and a HAR whose first key is not `log` is still a HAR.
#[test]
fn a_bom_and_a_reordered_har_are_read() {
    let dir = temp_dir();
    let scenario = dir.path().join("bom.json");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(read(&root().join("scenarios/basic.json")).bytes());
    write(&scenario, &bytes);
    cmd().arg("--print").arg(&scenario).assert().code(0);

    let har = read(&root().join("tests/fixtures/har/chrome.har"));
    let Some(body) = har.trim_start().strip_prefix('{') else {
        panic!("chrome.har is an object")
    };
    let reordered = dir.path().join("reordered.har");
    write(
        &reordered,
        format!("\u{feff}{{\"_comment\": \"exported by hand\", {body}"),
    );
    cmd()
        .arg("--print")
        .arg(&reordered)
        .assert()
        .stdout(predicate::str::contains("4 cross-origin requests replayed"));
}

/// D15: two entries redirecting to each other at the same moment: one is replayed, the other
/// is its later hop; neither vanishes.
#[test]
fn a_redirect_cycle_at_one_moment_keeps_its_entries() {
    let dir = temp_dir();
    let entry = |from: &str, to: &str| {
        format!(
            r#"{{"_resourceType":"fetch","startedDateTime":"2026-11-20T10:00:01Z","request":{{"method":"GET","url":"https://api.example.net/{from}","headers":[{{"name":"Origin","value":"https://app.example"}}]}},"response":{{"status":302,"headers":[{{"name":"location","value":"/{to}"}},{{"name":"access-control-allow-origin","value":"https://app.example"}}],"redirectURL":"/{to}"}}}}"#
        )
    };
    let har = dir.path().join("cycle.har");
    write(
        &har,
        format!(
            r#"{{"log":{{"entries":[{},{}]}}}}"#,
            entry("A", "B"),
            entry("B", "A")
        ),
    );
    let output = cmd().arg("--json").arg(&har).output();
    let output = output.unwrap_or_else(|e| panic!("runs: {e}"));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(doc["requests"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(doc["requests"][0]["url"], "https://api.example.net/A");
    assert_eq!(
        doc["scenario"]["requests"][0]["responses"]["after_redirect"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

/// D13: requests no page's fetch() could make, and statuses HTTP cannot carry, are listed as
/// not replayed, with why, instead of being judged.
#[test]
fn unreplayable_har_entries_are_skipped_with_a_reason() {
    let dir = temp_dir();
    let entry = |method: &str, url: &str, status: i64| {
        format!(
            r#"{{"_resourceType":"fetch","startedDateTime":"2026-11-20T10:00:01Z","request":{{"method":"{method}","url":"{url}","headers":[{{"name":"Origin","value":"https://app.example"}}]}},"response":{{"status":{status},"headers":[{{"name":"access-control-allow-origin","value":"https://app.example"}}]}}}}"#
        )
    };
    let entries = [
        entry("TRACE", "https://api.example.net/a", 200),
        entry("GET", "https://user:pw@api.example.net/b", 200),
        entry("GET", "https://api.example.net/c", 99999),
        entry("GET", "https://api.example.net/ok", 200),
    ];
    let har = dir.path().join("odd.har");
    write(
        &har,
        format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(",")),
    );
    let output = cmd().args(["--json", "--all"]).arg(&har).output();
    let output = output.unwrap_or_else(|e| panic!("runs: {e}"));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(doc["requests"].as_array().map(Vec::len), Some(1), "{doc}");
    let reasons: Vec<String> = doc["recording"]["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["reason"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        reasons[0].contains("fetch() cannot send TRACE"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("user name or password"), "{reasons:?}");
    assert!(reasons[2].contains("recorded status 99999"), "{reasons:?}");
}

/// D13: fetch() refuses a URL with a user name or password, so a scenario or a probe may not
/// simulate one as allowed (the probe's HTTP client would even turn it into Basic auth).
#[test]
fn urls_with_credentials_are_refused_as_fetch_refuses_them() {
    let dir = temp_dir();
    let lesson = read(&root().join("scenarios/basic.json")).replacen(
        "https://bucket-name.s3.amazonaws.com/photo.jpg",
        "https://user:pw@bucket-name.s3.amazonaws.com/photo.jpg",
        1,
    );
    let path = dir.path().join("userinfo.json");
    write(&path, lesson);
    cmd()
        .arg("--json")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "requests[0].url: fetch() throws a TypeError: Request cannot be constructed from a URL that includes credentials",
        ));
    cmd()
        .args([
            "probe",
            "http://user:pw@127.0.0.1:9/x",
            "--origin",
            "https://app.example",
            "--json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("includes credentials"));
}

/// D9: a configuration cut short, or with two root elements, is refused where it breaks,
/// not audited or converted as if it were whole.
#[test]
fn cut_or_two_rooted_xml_is_refused() {
    let dir = temp_dir();
    let rule = "<CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    let cases = [
        (
            format!("<CORSConfiguration>{rule}<CORSRule><AllowedOrigin>https://b.example</AllowedOrigin>"),
            "the file ends before </CORSRule> (opened at 1:123) is closed",
        ),
        (
            format!("<CORSConfiguration>{rule}"),
            "the file ends before </CORSConfiguration> (opened at 1:1) is closed",
        ),
        (
            format!("<CORSConfiguration>{rule}</CORSConfiguration>\n<CORSConfiguration>{rule}</CORSConfiguration>"),
            ":2:1: <CORSConfiguration> is a second root element",
        ),
        (
            "<Cors><CorsRule><AllowedOrigins>https://a.example</AllowedOrigins><AllowedMethods>GET</AllowedMethods><MaxAgeInSeconds>5</MaxAgeInSeconds><AllowedHeaders></AllowedHeaders><ExposedHeaders></ExposedHeaders></CorsRule>".to_string(),
            "the file ends before </Cors> (opened at 1:1) is closed",
        ),
    ];
    for (i, (xml, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("cut{i}.xml"));
        write(&path, xml);
        for args in [&["audit"][..], &["convert", "--to", "s3-json"]] {
            cmd()
                .args(args)
                .arg(&path)
                .assert()
                .code(2)
                .stdout(predicate::str::is_empty())
                .stderr(predicate::str::contains(*expected));
        }
    }
}

/// D16: a key moment or quiz question past the lesson's last step is an error, placed.
#[test]
fn moments_and_questions_past_the_last_step_are_refused() {
    let dir = temp_dir();
    let mut lesson: serde_json::Value =
        serde_json::from_str(&read(&root().join("scenarios/basic.json"))).unwrap_or_default();
    lesson["moments"][0]["step"] = 999.into();
    lesson["quiz"][0]["step"] = 12.into();
    let path = dir.path().join("late.json");
    write(
        &path,
        serde_json::to_string_pretty(&lesson).unwrap_or_default(),
    );
    cmd()
        .arg("--print")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "moments[0].step: step 999 is past the end: the lesson has 11 steps",
        ))
        .stderr(predicate::str::contains(
            "quiz[0].step: step 12 is past the end",
        ));
    lesson["moments"][0]["step"] = 11.into();
    lesson["quiz"][0]["step"] = 11.into();
    write(
        &path,
        serde_json::to_string_pretty(&lesson).unwrap_or_default(),
    );
    cmd().arg("--print").arg(&path).assert().code(0);
}

/// D1: audit names a rule value no browser could send (it holds a terminal control or a bidi
/// override), shown escaped.
#[test]
fn audit_flags_invisible_characters_in_rule_values() {
    let dir = temp_dir();
    let path = dir.path().join("cors.json");
    write(
        &path,
        r#"{"CORSRules": [{"AllowedOrigins": ["https://a.example\u001b]52;c;ZWNobw==\u0007"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-\u202eab"]}]}"#,
    );
    let output = cmd().arg("audit").arg(&path).output();
    let output = output.unwrap_or_else(|e| panic!("runs: {e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(!has_terminal_controls(&output.stdout));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(r#"BROKEN     rule #1: AllowedOrigins entry "https://a.example\x1b]52;c;ZWNobw==\x07" holds the invisible character U+001B"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "AllowedHeaders entry \"x-\\u{202e}ab\" holds the invisible character U+202E"
        ),
        "{stdout}"
    );
}

/// D18: standard input read twice, and serde's control-character message, said plainly.
#[test]
fn stdin_twice_and_raw_controls_get_plain_messages() {
    cmd()
        .args(["--print", "--config", "-", "-"])
        .write_stdin(read(&root().join("scenarios/basic.json")))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "<stdin>: standard input can be read once",
        ));
    cmd()
        .args(["--print", "-"])
        .write_stdin("{\"title\": \"a\tb\"}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "<stdin>:1:13: title: a raw control character (U+0000 to U+001F) inside a string",
        ));
}

/// D10: a run too large to hold is printed in parts as it is simulated, each part a whole
/// report of its requests, and the expectations over all of them at the end.
#[test]
fn a_large_run_is_printed_in_parts() {
    let dir = temp_dir();
    let mut lesson: serde_json::Value =
        serde_json::from_str(&read(&root().join("scenarios/basic.json"))).unwrap_or_default();
    let three = lesson["requests"].as_array().cloned().unwrap_or_default();
    let mut requests: Vec<serde_json::Value> = three.iter().cycle().take(1_200).cloned().collect();
    // One wrong expectation, in the second part.
    requests[1_098]["expect"] = "blocked".into();
    lesson["requests"] = requests.into();
    lesson["moments"] = serde_json::json!([]);
    lesson["quiz"] = serde_json::json!([]);
    let path = dir.path().join("large.json");
    write(&path, lesson.to_string());
    let output = cmd().args(["--print"]).arg(&path).output();
    let output = output.unwrap_or_else(|e| panic!("runs: {e}"));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("PART 1 OF 2: REQUESTS #1 TO #1000"),
        "{stdout:.400}"
    );
    assert!(stdout.contains("PART 2 OF 2: REQUESTS #1001 TO #1200"));
    assert_eq!(stdout.matches("EXECUTION TABLE").count(), 2);
    assert!(
        stdout.contains("┆ Before step 3003 "),
        "the second tracker starts where the first ended"
    );
    assert!(stdout.contains("Expectations: 1199 of 1200 met."));
    assert!(stdout.contains("Expectation failed: request #1099 expected blocked but was allowed"));
}

/// D11: a named pipe is read like a file once something writes to it (process substitution
/// gives one), within the same bound as any input.
#[test]
fn a_named_pipe_is_read_as_its_writer_writes() {
    let dir = temp_dir();
    let fifo = dir.path().join("lesson.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available: skipped");
        return;
    }
    let lesson = read(&root().join("scenarios/basic.json"));
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(writer_path, lesson));
    cmd()
        .arg("--print")
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Expectations: 3 of 3 met."));
    assert!(writer.join().is_ok_and(|r| r.is_ok()));
}
