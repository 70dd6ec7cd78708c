//! End-to-end: the binary on every shipped scenario, on bad input, and on hostile text.

use crate::common::{cmd, root};
use predicates::prelude::*;
use std::path::PathBuf;

fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

#[test]
fn there_are_at_least_eleven_scenarios_each_with_expectations_everywhere() {
    let files = scenarios();
    assert!(files.len() >= 11, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let requests = doc["requests"].as_array().cloned().unwrap_or_default();
        assert!(!requests.is_empty(), "{file:?}");
        for (i, request) in requests.iter().enumerate() {
            assert!(
                request.get("expect").is_some(),
                "{file:?} request {i} has no expect"
            );
        }
    }
}

#[test]
fn print_runs_every_scenario_with_all_expectations_met_and_no_escape_codes() {
    for file in scenarios() {
        let output = cmd().arg("--print").arg(&file).output();
        let output = match output {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("EXECUTION TABLE") && stdout.contains("VARIABLE TRACKER"),
            "{file:?}"
        );
        assert!(stdout.contains(" met."), "{file:?}");
        assert!(
            !stdout.contains('\u{1b}'),
            "{file:?} printed an escape code"
        );
    }
}

#[test]
fn json_runs_every_scenario_and_agrees_with_the_file() {
    for file in scenarios() {
        let output = match cmd().arg("--json").arg(&file).output() {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(output.status.code(), Some(0), "{file:?}");
        let doc: serde_json::Value = match serde_json::from_slice(&output.stdout) {
            Ok(v) => v,
            Err(e) => panic!("{file:?}: not JSON: {e}"),
        };
        let source: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
                .unwrap_or_default();
        let wanted = source["requests"].as_array().map_or(0, Vec::len);
        let requests = doc["requests"].as_array().cloned().unwrap_or_default();
        assert_eq!(requests.len(), wanted, "{file:?}");
        for (request, spec) in requests
            .iter()
            .zip(source["requests"].as_array().into_iter().flatten())
        {
            assert_eq!(
                request["outcome"], spec["expect"],
                "{file:?} #{}",
                request["index"]
            );
            assert_eq!(request["error"].is_null(), request["outcome"] != "blocked");
        }
        assert_eq!(doc["expectations"]["failed"], serde_json::json!([]));
    }
}

#[test]
fn no_argument_prints_the_builtin_basic_lesson_when_piped() {
    cmd()
        .assert()
        .success()
        .stdout(predicate::str::contains("Basic CORS with an S3 bucket"))
        .stdout(predicate::str::contains("Expectations: 3 of 3 met."));
}

#[test]
fn dash_reads_standard_input() {
    let text = std::fs::read_to_string(root().join("scenarios/basic.json")).unwrap_or_default();
    cmd()
        .args(["--json", "-"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"cors_error\":\"MissingAllowOriginHeader\"",
        ));
}

#[test]
fn a_failed_expectation_names_the_request_and_exits_1() {
    cmd()
        .args(["--print", "--browser", "standard"])
        .arg(root().join("scenarios/authorization-star.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Expectation failed: request #1 expected allowed but was blocked"))
        .stderr(predicate::str::contains(
            "expectation failed: request #1 (GET https://api.example.net/me) expected allowed but was blocked",
        ));
    let output = cmd()
        .args(["--json", "--browser", "standard"])
        .arg(root().join("scenarios/authorization-star.json"))
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(doc["expectations"]["failed"], serde_json::json!([1]));
    assert_eq!(doc["browser"], "standard");
}

/// Every invalid input exits 2 with `file:line:col: key: message` on stderr.
#[test]
fn invalid_files_exit_2_with_file_line_column_and_key() {
    let cases = [
        (
            "malformed.json",
            "malformed.json:3:50: requests[0]: trailing comma",
        ),
        (
            "unknown-key.json",
            "unknown-key.json:3:56: requests[0].metod: unknown field `metod`",
        ),
        (
            "wrong-type.json",
            "wrong-type.json:3:75: requests[0].headers[0]: invalid type: string \"Content-Type\", expected a [name, value] pair (or write the headers as an object of names to values)",
        ),
        (
            "bad-enum.json",
            "bad-enum.json:3:74: requests[0].credentials: unknown variant `includes`, expected one of `omit`, `same-origin`, `include`",
        ),
        (
            "s3-unsupported-method.json",
            "s3-unsupported-method.json:5:83: server.cors.CORSRules[0].AllowedMethods[1]: S3 rejects this configuration (put-bucket-cors): InvalidRequest: Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
        ),
        (
            "s3-two-wildcards.json",
            "server.cors.CORSConfiguration.CORSRules[0].AllowedOrigins[0]: S3 rejects this configuration (put-bucket-cors): InvalidRequest: AllowedOrigin \"*example*.com\" can not have more than one wildcard.",
        ),
        (
            "s3-empty-rules.json",
            "s3-empty-rules.json:2:89: server.cors.CORSRules: S3 rejects this configuration (put-bucket-cors): MalformedXML",
        ),
        (
            "origin-with-path.json",
            "origin-with-path.json:3:29: requests[0].origin: 'https://a.example/app/' is not a serialized origin; a browser sends 'https://a.example'",
        ),
        (
            "forbidden-method.json",
            "requests[0].method: fetch() throws a TypeError: 'TRACE' HTTP method is unsupported",
        ),
        (
            "url-elsewhere.json",
            "url-elsewhere.json:3:57: requests[0].url: the scenario's server is at https://b.s3.amazonaws.com",
        ),
        (
            "static-missing-actual.json",
            "static-missing-actual.json:2:13: server.actual: a static server needs 'actual'",
        ),
        (
            "raw-expects-allowed.json",
            "requests[0].expect: a raw request is never allowed or blocked",
        ),
        (
            "no-requests.json",
            "no-requests.json:3:15: requests: a scenario needs at least one request",
        ),
        (
            "header-injection.json",
            "requests[0].headers.X-Note: a header value cannot contain NUL, CR or LF",
        ),
        ("empty.json", "empty.json:1:1: EOF while parsing a value"),
        (
            "azure-six-rules.json",
            "azure-six-rules.json:7:3: server.cors.corsRules[5]: Azure rejects this configuration (Set Blob Service Properties): InvalidXmlDocument: a service takes at most 5 CORS rules",
        ),
        (
            "gcs-unknown-key.json",
            "gcs-unknown-key.json:2:48: server.cors[0].methods: unknown field `methods`",
        ),
        (
            "network-error-with-answer.json",
            "network-error-with-answer.json:7:104: requests[0].responses.actual.network_error: a network error is no answer: its status is 0 and it has no headers",
        ),
        (
            "function-url-last.json",
            "function-url-last.json:2:12: server.layers[0].type: this layer passes requests on to a function: it cannot be the last layer",
        ),
        (
            "function-url-options.json",
            "function-url-options.json:2:84: server.layers[0].cors.AllowMethods[1]: 'OPTIONS' is not a method a function URL's Cors takes",
        ),
        (
            "function-url-no-origins.json",
            "function-url-no-origins.json:2:36: server.layers[0].cors.AllowOrigins: InvalidParameterValueException: You can't leave AllowOrigins as empty when Cors is enabled.",
        ),
        (
            "http-api-credentials-star.json",
            "http-api-credentials-star.json:2:50: server.layers[0].cors.AllowOrigins[0]: BadRequestException: allow-credentials is not supported if 'allow-origin' is *",
        ),
        (
            "http-api-route-key.json",
            "http-api-route-key.json:2:76: server.layers[0].routes[1].RouteKey: a greedy path variable ({proxy+}) must end the path",
        ),
        (
            "rest-api-unquoted.json",
            "rest-api-unquoted.json:3:115: server.layers[0].resources[0].resourceMethods.OPTIONS.methodIntegration.integrationResponses.200.responseParameters.method.response.header.Access-Control-Allow-Origin: BadRequestException: Invalid mapping expression specified",
        ),
        (
            "lambda-result-alone.json",
            "lambda-result-alone.json:2:39: server.layers[0].lambda_result: 'lambda_result' is what a function returns to the service that invokes it",
        ),
        (
            "static-without-preflight.json",
            "static-without-preflight.json:1:12: server.preflight: a static server needs 'preflight'",
        ),
        (
            "layers-and-type.json",
            "layers-and-type.json:1:71: server.type: a server written as 'layers' keeps each layer's 'type' in its layer",
        ),
        (
            "no-cors-put.json",
            "no-cors-put.json:2:75: requests[0].method: fetch() throws a TypeError: 'PUT' is unsupported in no-cors mode",
        ),
        (
            "img-post.json",
            "img-post.json:2:71: requests[0].method: an <img> always sends GET",
        ),
        (
            "cloudfront-methods.json",
            "cloudfront-methods.json:2:57: server.layers[0].behavior.AllowedMethods: InvalidArgument: AllowedMethods must be GET, HEAD; or GET, HEAD, OPTIONS; or all seven",
        ),
        (
            "cloudfront-custom-policy-missing.json",
            "cloudfront-custom-policy-missing.json:2:56: server.layers[0].behavior.CachePolicyId: '11111111-2222-3333-4444-555555555555' is not a managed policy",
        ),
        (
            "cloudfront-origin-wildcard.json",
            "cloudfront-origin-wildcard.json:3:147: server.layers[0].response_headers_policy.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins[0]: InvalidArgument: 'https://exa*mple.org': a wildcard may only be the leftmost label",
        ),
        (
            "quiz-bad-answer.json",
            "quiz-bad-answer.json:4:69: quiz[0].answer: 'maybe' is neither one of the choices nor a choice's letter (a-b)",
        ),
    ];
    for (file, expected) in cases {
        cmd()
            .arg("--print")
            .arg(root().join("tests/invalid").join(file))
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(
                predicate::str::contains(expected).and(predicate::str::contains("panicked").not()),
            );
    }
}

#[test]
fn a_missing_file_is_bad_input() {
    cmd()
        .arg("--json")
        .arg("no/such/file.json")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no/such/file.json: cannot read the file",
        ));
}

#[test]
fn hostile_text_is_escaped_in_every_output() {
    let hostile = r#"{
      "title": "evil\u001b]0;pwned\u0007 title",
      "server": { "type": "s3", "url": "https://b.s3.amazonaws.com",
        "cors": { "CORSRules": [ { "AllowedOrigins": ["https://a.example"], "AllowedMethods": ["GET"], "ExposeHeaders": ["x-\u202eevil"] } ] } },
      "requests": [
        { "origin": "https://a.example", "note": "bell\u0007 and \u001b[2J clear" },
        { "via": "raw", "origin": "https://a.example\u001b[31m", "expect": "sent" }
      ]
    }"#;
    let printed = cmd().arg("--print").arg("-").write_stdin(hostile).output();
    let printed = match printed {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let stdout = String::from_utf8_lossy(&printed.stdout);
    assert_eq!(
        printed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{202e}')
    );
    assert!(stdout.contains("evil\\x1b]0;pwned\\x07 title"));
    assert!(stdout.contains("https://a.example\\x1b[31m"));
    assert!(stdout.contains("x-\\u{202e}evil"));

    let json = cmd().arg("--json").arg("-").write_stdin(hostile).output();
    let json = match json {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(
        doc["title"], "evil\u{1b}]0;pwned\u{7} title",
        "JSON keeps the exact text"
    );
}

#[test]
fn pretty_json_is_indented_and_compact_json_is_one_line() {
    let basic = root().join("scenarios/basic.json");
    let compact = cmd()
        .arg("--json")
        .arg(&basic)
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    assert_eq!(compact.iter().filter(|&&b| b == b'\n').count(), 1);
    let pretty = cmd()
        .args(["--json", "--pretty"])
        .arg(&basic)
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    assert!(pretty.starts_with(b"{\n  \"tool\": \"cors-tui\""));
    let a: serde_json::Value = serde_json::from_slice(&compact).unwrap_or_default();
    let b: serde_json::Value = serde_json::from_slice(&pretty).unwrap_or_default();
    assert_eq!(a, b);
}

fn configs() -> PathBuf {
    root().join("tests/fixtures/configs")
}

#[test]
fn config_files_replace_the_scenarios_rules_in_every_spelling() {
    for file in ["cli.json", "console.json", "cloudformation.json"] {
        cmd()
            .args(["--print", "--config"])
            .arg(configs().join(file))
            .arg(root().join("scenarios/basic.json"))
            .assert()
            .success()
            .stdout(predicate::str::contains("rules from"))
            .stdout(predicate::str::contains("Expectations: 3 of 3 met."));
    }
    cmd()
        .args(["--json", "--config"])
        .arg(configs().join("risky.xml"))
        .arg(root().join("scenarios/basic.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("request #3 (GET https://bucket-name.s3.amazonaws.com/photo.jpg) expected blocked but was allowed"));
    cmd()
        .args(["--print", "--config"])
        .arg(configs().join("rejected.json"))
        .arg(root().join("scenarios/basic.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "rejected.json:3:76: CORSRules[0].AllowedMethods[1]: S3 rejects this configuration",
        ));
    cmd()
        .args(["--print", "--config"])
        .arg(configs().join("cli.json"))
        .arg(root().join("scenarios/masked-error.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "this scenario's server is \"static\"",
        ));
}

#[test]
fn audit_flags_dangerous_and_broken_rules_and_exits_1() {
    cmd()
        .arg("audit")
        .arg(configs().join("risky.xml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("S3 REST API XML"))
        .stdout(predicate::str::contains(
            "DANGEROUS  rule #2: \"https://*example.com\" matches more than its domain",
        ))
        .stdout(predicate::str::contains("BROKEN     rule #3: never used"))
        .stdout(predicate::str::contains(
            "4 finding(s): 2 dangerous, 1 broken, 1 noisy.",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("cli.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("0 finding(s)"));
    let json = cmd()
        .args(["audit", "--json"])
        .arg(configs().join("rejected.json"))
        .output();
    let json = match json {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(doc["broken"], 2, "{doc}");
    cmd()
        .arg("audit")
        .arg(configs().join("gcs.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Google Cloud Storage CORS JSON"))
        .stdout(predicate::str::contains("0 finding(s)"));
    cmd()
        .arg("audit")
        .arg(root().join("scenarios/wildcard-credentials.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\"*\" answers a request sent with credentials (request #2)",
        ));
}

#[test]
fn convert_round_trips_between_spellings() {
    let xml = cmd()
        .args(["convert", "--to", "s3-xml"])
        .arg(configs().join("cloudformation.json"))
        .output();
    let xml = match xml {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(xml.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&xml.stderr).contains("CloudFormation"));
    let back = cmd()
        .args(["convert", "--to", "s3-json", "-"])
        .write_stdin(xml.stdout)
        .output();
    let back = match back {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(configs().join("cli.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    let got: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap_or_default();
    assert_eq!(got, expected);
}

#[test]
fn transcript_writes_the_lesson_as_markdown() {
    for file in scenarios() {
        cmd()
            .arg("--transcript")
            .arg(&file)
            .assert()
            .success()
            .stdout(predicate::str::contains("## Execution table"));
    }
    let output = cmd()
        .arg("--transcript")
        .arg(root().join("scenarios/basic.json"))
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("## Key moments") && text.contains("### Answers"));
    assert!(text.contains(
        "1. b) Content-Type: application/json — Look at the Browser Decision of step 4. (step 4)"
    ));
    insta::assert_snapshot!("transcript_basic", text);
}

/// `--json` output opens again and replays exactly, byte for byte, without re-simulating.
#[test]
fn saved_traces_replay_exactly() {
    let dir = std::env::temp_dir().join(format!("cors-tui-saved-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let inputs = [
        root().join("scenarios/rule-order.json"),
        root().join("tests/fixtures/har/chrome.har"),
        // Each hop's answers travel in the saved scenario's responses.after_redirect.
        root().join("tests/fixtures/har/redirect.har"),
        root().join("scenarios/redirects.json"),
        // A recorded network error and a request Chromium never sent travel as network_error.
        root().join("tests/fixtures/chromium/redirects.sanitized.har"),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let first = cmd()
            .arg("--json")
            .arg(input)
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        let saved = dir.join(format!("trace-{i}.json"));
        if let Err(e) = std::fs::write(&saved, &first) {
            panic!("{e}");
        }
        let again = cmd()
            .arg("--json")
            .arg(&saved)
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&first),
            "{input:?}"
        );
        cmd()
            .args(["--print", "--browser", "standard"])
            .arg(&saved)
            .assert()
            .success();
        cmd()
            .args(["--print", "--config"])
            .arg(root().join("tests/fixtures/configs/cli.json"))
            .arg(&saved)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "a saved trace replays exactly as it was recorded",
            ));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn audit_judges_gcs_and_azure_rules_by_their_own_semantics() {
    let gcs = cmd()
        .args(["audit", "--json"])
        .arg(configs().join("gcs-uploads.json"))
        .output();
    let gcs = match gcs {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(gcs.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&gcs.stdout).unwrap_or_default();
    assert_eq!(doc["provider"], "gcs", "{doc}");
    let titles: Vec<&str> = doc["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        titles,
        [
            "\"https://*.app.example\" is not a wildcard for GCS",
            "method \"post\" is not upper case",
            "uploads allowed but Content-Type is not in responseHeader",
            "\"*\" for public reads",
        ]
    );
    // The negative examples: a bucket resource with Content-Type listed, an ARM rule set.
    for clean in ["gcs-bucket.json", "azure-arm.json"] {
        cmd()
            .arg("audit")
            .arg(configs().join(clean))
            .assert()
            .success()
            .stdout(predicate::str::contains("0 finding(s)"));
    }
    cmd()
        .arg("audit")
        .arg(configs().join("azure.xml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "DANGEROUS  rule #1: allows http:// next to https://app.example",
        ))
        .stdout(predicate::str::contains(
            "BROKEN     rule #2: never used: rule #1 comes first",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("azure-rejected.xml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "azure-rejected.xml:4:5 CorsRule[0].AllowedMethods",
        ))
        .stdout(predicate::str::contains(
            "Azure rejects this configuration (Set Blob Service Properties): InvalidXmlDocument: TRACE is not a method Azure accepts",
        ));
}

#[test]
fn convert_moves_rules_between_providers_or_names_what_cannot_move() {
    let out = cmd()
        .args(["convert", "--to", "azure"])
        .arg(configs().join("cli.json"))
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        xml.contains("<Cors>") && xml.contains("<CorsRule>"),
        "{xml}"
    );
    cmd()
        .args(["convert", "--to", "s3-json"])
        .arg(configs().join("gcs-bucket.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"CORSRules\""))
        .stderr(predicate::str::contains(
            "GCS's responseHeader becomes both AllowedHeaders and ExposeHeaders",
        ));
    // Azure's prefix wildcards in ExposedHeaders have no S3 spelling: S3 itself refuses them.
    cmd()
        .args(["convert", "--to", "s3-json"])
        .arg(configs().join("azure-arm.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "CORSRules[0].ExposeHeaders[0]: S3 rejects this configuration",
        ));
    cmd()
        .args(["convert", "--to", "gcs"])
        .arg(configs().join("azure.xml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "header pattern \"x-ms-meta-data*\" cannot be written for GCS",
        ));
}

#[test]
fn large_inputs_are_read_in_place_with_the_same_results() {
    // From 4 MiB on, the input file is mapped rather than read into memory.
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    };
    let basic = std::fs::read(root().join("scenarios/basic.json")).unwrap_or_default();
    let mut padded = vec![b' '; 5 << 20];
    padded.extend_from_slice(&basic);
    let big = dir.path().join("big.json");
    assert!(std::fs::write(&big, &padded).is_ok());
    let run = |file: &std::path::Path| match cmd().arg("--json").arg(file).output() {
        Ok(output) => output,
        Err(e) => panic!("{e}"),
    };
    let (small, large) = (run(&root().join("scenarios/basic.json")), run(&big));
    assert_eq!(large.status.code(), Some(0));
    assert!(large.stdout == small.stdout && !large.stdout.is_empty());

    // Text that is not UTF-8 is placed at its line and column, large or small.
    let mut broken = vec![b' '; 5 << 20];
    broken.extend_from_slice(b"{\n  \"title\": \"caf\xe9\"}");
    for bytes in [&broken[5 << 20..], &broken[..]] {
        let file = dir.path().join("broken.json");
        assert!(std::fs::write(&file, bytes).is_ok());
        let output = run(&file);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("broken.json:2:16: the file is not UTF-8 text"),
            "{stderr}"
        );
    }
}

/// HTTP strips whitespace around a field value before a browser sees it (web-platform-tests
/// `cors/origin.htm` expects `" https://app.example"` allowed; so does Chromium), whether the
/// answer is scripted or recorded.
#[test]
fn header_values_are_trimmed_as_http_trims_them() {
    let scripted = r#"{"server": {"type": "static", "url": "https://api.example",
        "preflight": {"status": 204, "headers": {}},
        "actual": {"status": 200, "headers": {"Access-Control-Allow-Origin": " https://app.example\t"}}},
      "requests": [{"origin": "https://app.example", "expect": "allowed"}]}"#;
    cmd()
        .args(["--json", "-"])
        .write_stdin(scripted)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""outcome":"allowed""#));
    let recorded = r#"{"log": {"entries": [{"_resourceType": "fetch", "startedDateTime": "2026-11-20T10:00:00Z",
      "request": {"method": "GET", "url": "https://api.example.net/x", "headers": [{"name": "Origin", "value": "https://app.example"}]},
      "response": {"status": 200, "headers": [{"name": "access-control-allow-origin", "value": " https://app.example"}]}}]}}"#;
    cmd()
        .args(["--json", "-"])
        .write_stdin(recorded)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""outcome":"allowed""#));
}

/// Every shipped lesson is built in: listed by `lessons`, opened by name from any folder.
#[test]
fn built_in_lessons_open_by_name_from_any_folder() {
    let listed = cmd()
        .arg("lessons")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let listed = String::from_utf8_lossy(&listed);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root().join("scenarios"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().to_string();
        if let Some(name) = file.strip_suffix(".json") {
            assert!(
                listed
                    .lines()
                    .any(|l| l.split_whitespace().nth(1) == Some(name)),
                "{name} not listed:\n{listed}"
            );
            names.push(name.to_string());
        }
    }
    assert_eq!(names.len(), cors_tui::scenario::lessons::LESSONS.len());
    let elsewhere = tempfile::tempdir().expect("a temporary folder");
    for name in &names {
        let from_file = cmd()
            .arg("--json")
            .arg(root().join("scenarios").join(format!("{name}.json")))
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        let built_in = cmd()
            .current_dir(elsewhere.path())
            .args(["--json", &format!("{name}.json")])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        let steps = |doc: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(doc)
                .map(|v| v["steps"].clone())
                .ok()
        };
        assert!(steps(&built_in).is_some(), "{name}");
        assert_eq!(steps(&built_in), steps(&from_file), "{name}");
    }
    // A file of that name, where there is one, comes first.
    std::fs::write(elsewhere.path().join("basic.json"), "{").expect("written");
    cmd()
        .current_dir(elsewhere.path())
        .args(["--print", "basic.json"])
        .assert()
        .code(2);
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = cmd()
            .args(["completions", shell])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        let script = String::from_utf8_lossy(&script);
        assert!(
            script.contains("cors-tui") && script.contains("probe"),
            "{shell}"
        );
    }
    let bash = cmd()
        .args(["completions", "bash"])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            if let Some(stdin) = child.stdin.as_mut() {
                stdin.write_all(&bash)?;
            }
            child.wait()
        });
    assert!(
        checked.is_ok_and(|status| status.success()),
        "bash -n refuses the script"
    );
    let man = cmd()
        .arg("man")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let man = String::from_utf8_lossy(&man);
    assert!(
        man.starts_with(".ie") || man.contains(".TH cors-tui 1"),
        "{man}"
    );
    // roff escapes each hyphen of an option.
    for section in [".SH NAME", ".SH SYNOPSIS", "probe", r"\-\-show\-secrets"] {
        assert!(
            man.contains(section),
            "{section} missing from the manual page"
        );
    }
}

/// A stack is audited layer by layer: an HTTP API's greedy route with an authorizer is named,
/// with the route that fixes it; JSON says no storage service was judged.
#[test]
fn audit_judges_an_http_api_by_its_routes() {
    let out = cmd()
        .args(["audit", "--json"])
        .arg(root().join("scenarios/http-api-authorizer-preflight.json"))
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(doc["provider"], serde_json::Value::Null, "{doc}");
    assert_eq!(
        doc["format"],
        "cors-tui scenario (http_api in front of a function)"
    );
    assert_eq!(
        doc["findings"][0]["title"],
        "route ANY /admin/{proxy+} takes preflights to its JWT authorizer"
    );
    let why = doc["findings"][0]["why"].as_str().unwrap_or_default();
    assert!(
        why.contains("Add a route OPTIONS /admin/{proxy+} with AuthorizationType NONE"),
        "{why}"
    );
}

/// `aws apigatewayv2 get-api` and `get-routes` output is audited as it comes, by content.
#[test]
fn audit_reads_an_http_apis_exports_as_the_cli_prints_them() {
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-get-routes.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws apigatewayv2 get-routes (2 route(s))",
        ))
        .stdout(predicate::str::contains(
            "BROKEN     $default: route $default takes preflights to its JWT authorizer",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-get-api.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws apigatewayv2 get-api (HTTP API orders-api)",
        ))
        .stdout(predicate::str::contains(
            "'https://*.example.com' is not a wildcard API Gateway documents",
        ));
    // A route key API Gateway would refuse is bad input, placed in the file.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("routes.json");
    std::fs::write(&bad, r#"{"Items": [{"RouteKey": "GET orders"}]}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .arg("audit")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "routes.json:1:25: Items[0].RouteKey: a path starts with '/'",
        ));
}

/// A REST API's `get-resources --embed methods` and `get-gateway-responses` output is audited
/// as it comes: an OPTIONS behind the authorizer and a DELETE without OPTIONS are broken.
#[test]
fn audit_reads_a_rest_apis_exports_as_the_cli_prints_them() {
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-get-resources.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws apigateway get-resources (3 resource(s))",
        ))
        .stdout(predicate::str::contains(
            "OPTIONS /orders refuses preflights with its COGNITO_USER_POOLS authorizer",
        ))
        .stdout(predicate::str::contains(
            "/orders/{id} has no OPTIONS method for its preflighted methods",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-get-gateway-responses.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "NOISY      DEFAULT_5XX: DEFAULT_5XX maps no Access-Control-Allow-Origin",
        ));
}

/// CloudFormation and SAM templates (YAML and JSON) are audited stack by stack, in the terms
/// of what they deploy; a refusal is placed at its line and column in the template.
#[test]
fn audit_reads_cloudformation_and_sam_templates_as_they_are_written() {
    cmd()
        .arg("audit")
        .arg(configs().join("sam-rest-api.yaml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "CloudFormation template (YAML): AWS::Serverless::Api OrdersApi",
        ))
        .stdout(predicate::str::contains(
            "BROKEN     OrdersApi OPTIONS /orders: OPTIONS /orders refuses preflights with its COGNITO_USER_POOLS authorizer",
        ))
        .stdout(predicate::str::contains("note: OrdersApi: SAM puts the default authorizer"));
    cmd()
        .arg("audit")
        .arg(configs().join("sam-http-api.yaml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "TodoApi ANY /{proxy+}: route ANY /{proxy+} takes preflights to its JWT authorizer",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("cdk-rest-api.template.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "CloudFormation template (JSON): AWS::ApiGateway::RestApi OrdersApi5A8B1F3C",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-http-export.yaml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "OpenAPI export of an HTTP API (YAML): HTTP API todo-api",
        ))
        .stdout(predicate::str::contains(
            "todo-api ANY /{proxy+}: route ANY /{proxy+} takes preflights to its JWT authorizer",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("apigw-rest-export-oas30.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "orders-api DEFAULT_4XX: the authorizer's 401 and 403 will reach the page as CORS errors",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("lambda-get-function-url-config.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws lambda get-function-url-config",
        ))
        .stdout(predicate::str::contains(
            "DANGEROUS  *: the function URL allows every origin with credentials",
        ));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("template.yaml");
    let text = std::fs::read_to_string(configs().join("sam-http-api.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .replace("        MaxAge: 600", "        MaxAge: 90000");
    std::fs::write(&bad, text).unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .arg("audit")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "template.yaml:19:9: Resources.TodoApi.Properties.CorsConfiguration.MaxAge: MaxAge 90000 is outside -1 to 86400 seconds",
        ));
}

/// CloudFront as the CLI prints it and as a template deploys it: the audit judges the cache
/// behavior in CloudFront's terms, and `--config` with the template's fixed behavior lets the
/// lesson's poisoned request through.
#[test]
fn cloudfront_configurations_are_audited_and_applied() {
    cmd()
        .arg("audit")
        .arg(configs().join("cloudfront-get-distribution-config.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws cloudfront get-distribution-config (JSON): AWS::CloudFront::Distribution",
        ))
        .stdout(predicate::str::contains(
            "BROKEN     distribution Origin: Origin is forwarded but not in the cache key",
        ))
        .stdout(predicate::str::contains(
            "only the default cache behavior is read; the behaviors for /api/* are not",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("cloudfront-legacy-distribution-config.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "distribution OPTIONS: OPTIONS is not an allowed method",
        ))
        .stdout(predicate::str::contains(
            "Neither the legacy cache settings (ForwardedValues) nor an origin request policy includes Origin",
        ));
    cmd()
        .arg("audit")
        .arg(configs().join("cloudfront-stack.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "CloudFormation template (YAML): AWS::CloudFront::Distribution AssetsDistribution, AWS::S3::Bucket AssetsBucket",
        ));
    cmd()
        .arg("--print")
        .arg("--config")
        .arg(configs().join("cloudfront-stack.yaml"))
        .arg(root().join("scenarios/cloudfront-first-answer-cached.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "request #2 expected blocked but was allowed",
        ));
    // A policy alone: read, and put in place of the lesson's cache policy.
    cmd()
        .arg("audit")
        .arg(configs().join("cloudfront-get-cache-policy.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "aws cloudfront get-cache-policy (JSON): CloudFront cache policy assets-origin-in-key",
        ));
    cmd()
        .arg("--print")
        .arg("--config")
        .arg(configs().join("cloudfront-get-cache-policy.json"))
        .arg("cloudfront-first-answer-cached")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "request #2 expected blocked but was allowed",
        ));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("stack.yaml");
    let text = std::fs::read_to_string(configs().join("cloudfront-stack.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .replace("MinTTL: 1", "MinTTL: 100000")
        .replace(
            "AllowedMethods: [GET, HEAD]",
            "AllowedMethods: [GET, FETCH]",
        );
    std::fs::write(&bad, text).unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .arg("audit")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "stack.yaml:27:9: Resources.AssetsCachePolicy.Properties.CachePolicyConfig.DefaultTTL: InvalidArgument: the TTLs must hold MinTTL ≤ DefaultTTL ≤ MaxTTL",
        ))
        .stderr(predicate::str::contains(
            "Resources.AssetsBucket.Properties.CorsConfiguration.CorsRules[0].AllowedMethods[1]: Amazon S3 rejects this configuration (PutBucketCors)",
        ));
}

/// `convert --to http-api | function-url` writes the `Cors` object each service takes, from the
/// other service or from a bucket's rules, and the target's own validation refuses what it would.
#[test]
fn convert_writes_an_http_apis_or_a_function_urls_cors() {
    cmd()
        .args(["convert", "--to", "function-url"])
        .arg(configs().join("sam-http-api.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"AllowOrigins\": [\n    \"https://todo.example\"",
        ))
        .stderr(predicate::str::contains(
            "a function URL adds these headers after the function's own",
        ));
    cmd()
        .args(["convert", "--to", "http-api"])
        .arg(configs().join("cli.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"AllowCredentials\": true"))
        .stderr(predicate::str::contains(
            "Amazon S3 sends Access-Control-Allow-Credentials: true to every origin it names",
        ));
    cmd()
        .args(["convert", "--to", "http-api"])
        .arg(configs().join("lambda-get-function-url-config.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "allow-credentials is not supported if 'allow-origin' is *",
        ));
    cmd()
        .args(["convert", "--to", "http-api"])
        .arg(configs().join("sam-rest-api.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a REST API's CORS is its methods"));
}

/// A configuration opened as if it were a scenario is named, with the two commands that take it.
#[test]
fn a_configuration_given_as_the_scenario_says_what_it_is_and_what_takes_it() {
    cmd()
        .arg("--print")
        .arg(configs().join("apigw-http-export.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "this is an OpenAPI export of an HTTP API, not a scenario: `cors-tui audit",
        ));
    cmd()
        .arg("--print")
        .arg(configs().join("cli.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "this is a bucket's CORS configuration (S3 JSON as the AWS CLI prints it), not a scenario",
        ));
    cmd()
        .arg("--print")
        .arg(configs().join("apigw-get-api.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "this is the output of aws apigatewayv2 get-api (HTTP API orders-api), not a scenario",
        ));
}

/// `--config` with a template replaces the scenario's layer of the same kind, so a lesson runs
/// against the API a CDK app synthesises.
#[test]
fn a_template_configures_the_scenarios_layer() {
    cmd()
        .arg("--print")
        .arg("--config")
        .arg(configs().join("cdk-rest-api.template.json"))
        .arg(root().join("scenarios/rest-api-several-origins.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "cdk-rest-api.template.json (CloudFormation template (JSON)",
        ))
        .stdout(predicate::str::contains("(expected blocked: ok)"));
    cmd()
        .arg("--print")
        .arg("--config")
        .arg(configs().join("sam-rest-api.yaml"))
        .arg(root().join("scenarios/basic.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "replaces layers of the same kind, and this scenario's server has no layer in front",
        ));
}

/// A recorded answer API Gateway made itself (its x-amzn-ErrorType header) gets advice in API
/// Gateway's terms next to the headers the answer lacked.
#[test]
fn a_recorded_api_gateway_refusal_is_named_in_the_fix() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("recorded.json");
    std::fs::write(
        &saved,
        r#"{"title": "Recorded: app.har", "server": {"type": "recorded", "url": "https://abc123.execute-api.us-east-1.amazonaws.com"},
 "requests": [{"origin": "https://app.example", "method": "PUT", "url": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items/7",
   "headers": {"Content-Type": "application/json"},
   "responses": {"preflight": {"status": 403, "headers": {"Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException"}, "body": "{\"message\":\"Missing Authentication Token\"}"}}}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .args(["--print", "--width", "200"])
        .arg(&saved)
        .assert()
        .stdout(predicate::str::contains(
            "This answer was made by API Gateway itself (x-amzn-ErrorType: MissingAuthenticationTokenException), not by your function: no OPTIONS method takes this path",
        ));
}

/// `--config` with an API's own export runs a lesson against it: get-routes with an OPTIONS
/// route lets the admin preflight through, and an export for a layer the scenario lacks is bad
/// input.
#[test]
fn config_with_an_api_export_replaces_that_layers_configuration() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let routes = dir.path().join("routes.json");
    std::fs::write(
        &routes,
        r#"{"Items": [
  {"RouteKey": "GET /todos", "AuthorizationType": "JWT", "RouteId": "a1"},
  {"RouteKey": "DELETE /todos/{id}", "AuthorizationType": "JWT", "RouteId": "a2"},
  {"RouteKey": "ANY /admin/{proxy+}", "AuthorizationType": "JWT", "RouteId": "a3"},
  {"RouteKey": "OPTIONS /admin/{proxy+}", "AuthorizationType": "NONE", "RouteId": "a4"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .args(["--print", "--width", "200", "--config"])
        .arg(&routes)
        .arg("http-api-authorizer-preflight")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "(aws apigatewayv2 get-routes (4 route(s)))",
        ))
        .stdout(predicate::str::contains(
            "/admin/users from https://app.example — ALLOWED  (EXPECTED BLOCKED: MISMATCH)",
        ));
    cmd()
        .args(["--print", "--config"])
        .arg(&routes)
        .arg("basic")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "replaces an \"http_api\" layer's configuration, and this scenario's server has none",
        ));
}

/// `cors-tui lessons` numbers the lessons in teaching order; `cors-tui lesson N` and
/// `cors-tui --print N` open one from any folder.
#[test]
fn lessons_are_numbered_and_open_by_number() {
    cmd()
        .arg("lessons")
        .assert()
        .success()
        .stdout(predicate::str::contains(" 1  basic "))
        .stdout(predicate::str::contains(
            " 4  images-fonts-scripts-and-xhr ",
        ))
        .stdout(predicate::str::contains("11  cookies-and-samesite "))
        .stdout(predicate::str::contains("13  rule-order "));
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .current_dir(elsewhere.path())
        .args(["--print", "13"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("First matching rule wins"));
    cmd()
        .current_dir(elsewhere.path())
        .args(["lesson", "13"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("First matching rule wins"));
    cmd()
        .args(["lesson", "99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no lesson '99'"));
}

/// `--print --request N` prints one request: the run before it sets the stage, only it is shown,
/// and the exit status is its own expectation's.
#[test]
fn print_request_n_shows_one_request() {
    cmd()
        .args(["--print", "--request", "3", "basic"])
        .assert()
        .success()
        .stdout(predicate::str::contains("REQUEST #3 OF 3"))
        .stdout(predicate::str::contains(
            "#3 GET https://bucket-name.s3.amazonaws.com/photo.jpg",
        ))
        .stdout(predicate::str::contains("#1 GET").not());
    cmd()
        .args(["--print", "--request", "3"])
        .arg(root().join("tests/fixtures/har/chrome.har"))
        .assert()
        .stdout(predicate::str::contains("REQUEST #3 OF 4"))
        .stdout(predicate::str::contains("Fix:"));
    cmd()
        .args(["--print", "--request", "4", "basic"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--request 4: the input has requests 1 to 3",
        ));
    cmd()
        .args(["--json", "--request", "1", "basic"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--request N goes with --print"));
}

/// A bucket with two blocked requests, each needing its own change: `--fix-out` writes one
/// configuration with both fixes, the second worked out on the rules the first left, and
/// running again with it allows both.
#[test]
fn fix_out_combines_every_proven_rule_fix_into_one_configuration() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lesson =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/method-not-allowed.json");
    cmd()
        .current_dir(dir.path())
        .args(["--print", "--fix-out", "both.json"])
        .arg(&lesson)
        .assert()
        .stdout(predicate::str::contains(
            "Wrote both.json: the whole configuration with the fixes for requests #1, #2, each worked out on the rules the ones before it left:",
        ))
        .stdout(predicate::str::contains("#1: Add PUT to AllowedMethods"))
        .stdout(predicate::str::contains("#2: Add DELETE to AllowedMethods"));
    let written = std::fs::read_to_string(dir.path().join("both.json")).unwrap_or_default();
    assert!(
        written.contains("\"PUT\"") && written.contains("\"DELETE\""),
        "{written}"
    );
    // The lesson expects both blocked: with the fixed rules, both are allowed.
    cmd()
        .current_dir(dir.path())
        .args(["--print", "--config", "both.json"])
        .arg(&lesson)
        .assert()
        .stdout(predicate::str::contains(
            "#1 PUT https://uploads.s3.amazonaws.com/avatar.png from https://app.example — ALLOWED",
        ))
        .stdout(predicate::str::contains(
            "#2 DELETE https://uploads.s3.amazonaws.com/avatar.png from https://app.example — ALLOWED",
        ));
}

/// `--fix-out FILE` writes the proven fixes ready to apply: a bucket's whole corrected
/// configuration in the spelling --config gave, with its command; a recording's headers as
/// server configuration; and never over a file that is there.
#[test]
fn fix_out_writes_the_fix_in_the_users_spelling_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The custom-header lesson's rule, as the S3 console's editor holds it.
    let console = dir.path().join("console.json");
    std::fs::write(
        &console,
        r#"[{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT", "POST"], "AllowedHeaders": ["Content-Type", "x-amz-*"]}]"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let fixed = dir.path().join("fixed.json");
    cmd()
        .current_dir(dir.path())
        .args([
            "--print",
            "custom-header",
            "--config",
            "console.json",
            "--fix-out",
            "fixed.json",
        ])
        .assert()
        .stdout(predicate::str::contains(
            "Wrote fixed.json: the whole configuration with the fix for request #1",
        ))
        .stdout(predicate::str::contains(
            "In the S3 console: bucket reports → Permissions",
        ));
    let written = std::fs::read_to_string(&fixed).unwrap_or_default();
    assert!(
        written.trim_start().starts_with('['),
        "console spelling: {written}"
    );
    assert!(
        written.to_ascii_lowercase().contains("x-request-id"),
        "{written}"
    );
    // Run again with the fixed rules: request #1 is now allowed.
    cmd()
        .current_dir(dir.path())
        .args(["--print", "custom-header", "--config", "fixed.json"])
        .assert()
        .stdout(predicate::str::contains(
            "#1 GET https://reports.s3.amazonaws.com/q3.csv from https://app.example — ALLOWED",
        ));
    // An existing file is never replaced, and the refusal comes before any report.
    cmd()
        .current_dir(dir.path())
        .args(["--print", "custom-header", "--fix-out", "fixed.json"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--fix-out fixed.json: it exists"));
    assert_eq!(std::fs::read_to_string(&fixed).unwrap_or_default(), written);
    // Without --config, the bucket's own CLI spelling and command.
    cmd()
        .current_dir(dir.path())
        .args(["--print", "custom-header", "--fix-out", "cli.json"])
        .assert()
        .stdout(predicate::str::contains(
            "aws s3api put-bucket-cors --bucket reports --cors-configuration file://cli.json",
        ));
    assert!(
        std::fs::read_to_string(dir.path().join("cli.json"))
            .unwrap_or_default()
            .contains("\"CORSRules\"")
    );
    // A recording's server has no rules: its headers, as servers set them.
    let har =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chromium/api.har");
    cmd()
        .current_dir(dir.path())
        .args(["--print", "--fix-out", "headers.txt"])
        .arg(&har)
        .assert()
        .stdout(predicate::str::contains(
            "Wrote headers.txt: the headers request #1 needs",
        ));
    let headers = std::fs::read_to_string(dir.path().join("headers.txt")).unwrap_or_default();
    for part in [
        "# nginx",
        "add_header Access-Control-Allow-Origin",
        "app.use(cors({",
        "CorsLayer::new()",
    ] {
        assert!(headers.contains(part), "{part} in {headers}");
    }
}

/// The CloudFront lesson `cloudfront-options-not-allowed` repeated 300 times (600 requests, past
/// the size a whole trace is kept for fixes), each URL its own; `edit` changes it first.
fn large_cloudfront_lesson(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    repeated_cloudfront_lesson(300, edit)
}

/// The CloudFront lesson `cloudfront-options-not-allowed` repeated `times` times, each URL its
/// own, without its expectations, moments and quiz; `edit` changes it first.
pub(crate) fn repeated_cloudfront_lesson(
    times: usize,
    edit: impl FnOnce(&mut serde_json::Value),
) -> String {
    let text =
        std::fs::read_to_string(root().join("scenarios/cloudfront-options-not-allowed.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut lesson: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    edit(&mut lesson);
    let once = lesson["requests"].as_array().cloned().unwrap_or_default();
    let requests: Vec<serde_json::Value> = (0..times)
        .flat_map(|n| {
            once.iter().map(move |request| {
                let mut request = request.clone();
                let url = format!("{}?n={n}", request["url"].as_str().unwrap_or_default());
                request["url"] = url.into();
                for key in ["wait_seconds", "expect", "note"] {
                    if let Some(fields) = request.as_object_mut() {
                        fields.remove(key);
                    }
                }
                request
            })
        })
        .collect();
    lesson["requests"] = requests.into();
    for key in ["moments", "quiz"] {
        if let Some(fields) = lesson.as_object_mut() {
            fields.remove(key);
        }
    }
    lesson.to_string()
}

/// Past 500 requests, where a change reaches every request (a layer in front), `--print`
/// streams its parts and then lists the blocked requests' fixes: grouped by what they ask,
/// each proven on the whole run, with how many of the group the same re-run allows. (It used to
/// say fixes were listed for up to 500 requests only.)
#[test]
fn a_large_streamed_report_and_its_document_end_with_the_blocked_requests_fixes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("edge.json"),
        large_cloudfront_lesson(|_| {}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let print = |input: &str| {
        let output = cmd()
            .current_dir(dir.path())
            .args(["--print", input, "--width", "200"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // The section after the parts, with its one group.
    let fixes_of = |report: &str| -> String {
        let fixes = report
            .split("\nFIXES: ")
            .nth(1)
            .unwrap_or_else(|| panic!("a FIXES section: {report:.2000}"));
        assert!(
            fixes.starts_with("300 blocked requests, all asking alike\n[1] 300 requests from https://upload.example.com: PUT with headers content-type — #2, #4, #6,"),
            "{fixes}"
        );
        assert!(
            fixes.contains("Fix: Allow PUT and OPTIONS in the cache behavior"),
            "{fixes}"
        );
        assert!(
            fixes.contains("The same re-run allows all 300 requests of this group."),
            "{fixes}"
        );
        fixes.to_string()
    };
    let report = print("edge.json");
    assert!(
        !report.contains("Fixes are listed here for up to"),
        "{report:.2000}"
    );
    assert!(
        report.contains("The blocked requests' fixes come after the last part (FIXES)"),
        "{report:.2000}"
    );
    let fixes = fixes_of(&report);
    // The parts' verdicts, counted, agree with the section's head.
    assert_eq!(report.matches(" — BLOCKED").count(), 300, "{fixes}");

    // Saved as a trace and printed again, the same fixes, proven against its own verdicts.
    let saved = cmd()
        .current_dir(dir.path())
        .args(["--json", "edge.json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("trace.json"), &saved.stdout).unwrap_or_else(|e| panic!("{e}"));
    let again = print("trace.json");
    assert!(
        again.contains("the blocked requests' fixes follow in FIXES"),
        "{again:.2000}"
    );
    fixes_of(&again);

    // The document carries the same group, with its fix, for scripts.
    let document: serde_json::Value =
        serde_json::from_slice(&saved.stdout).unwrap_or_else(|e| panic!("{e}"));
    let groups = document["fix_groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(groups.len(), 1, "{:.2000}", document["fix_groups"]);
    let group = &groups[0];
    assert_eq!(group["origin"], "https://upload.example.com");
    assert_eq!(group["method"], "PUT");
    assert_eq!(group["headers"], serde_json::json!(["content-type"]));
    assert_eq!(group["requests"].as_array().map(Vec::len), Some(300));
    assert_eq!(group["requests"][0], 2);
    assert_eq!(group["allowed"], 300);
    assert_eq!(group["fix"]["proven"], true);
    let summary = group["fix"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("Allow PUT and OPTIONS in the cache behavior"),
        "{summary}"
    );
    // Opened again, the saved trace writes the same document, groups included.
    let resaved = cmd()
        .current_dir(dir.path())
        .args(["--json", "trace.json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        resaved.stdout == saved.stdout,
        "the saved trace's document changed"
    );
}

/// Past 500 requests, a fix behind a layer in front is still worked out and proven (against
/// the run's verdicts, streaming the input again): CloudFront's methods for one request, and
/// the bucket's rules behind CloudFront as a file that, applied, lets every request through.
#[test]
fn a_large_input_with_a_layer_in_front_gets_its_proven_fixes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("edge.json"),
        large_cloudfront_lesson(|_| {}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    cmd()
        .current_dir(dir.path())
        .args(["--print", "edge.json", "--request", "4"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Fix: Allow PUT and OPTIONS in the cache behavior",
        ))
        .stdout(predicate::str::contains(
            "Proof: re-run with the change, request #4 is allowed; also 299 other requests go from blocked to allowed (#2, #6,",
        ));

    // CloudFront passes every method on; the bucket's rule allows GET alone.
    let behind = large_cloudfront_lesson(|lesson| {
        lesson["server"]["layers"][0]["behavior"]["AllowedMethods"] = serde_json::json!({
            "Quantity": 7,
            "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
            "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
        });
        lesson["server"]["layers"][1]["cors"]["CORSRules"][0]["AllowedMethods"] =
            serde_json::json!(["GET"]);
    });
    std::fs::write(dir.path().join("behind.json"), behind).unwrap_or_else(|e| panic!("{e}"));
    let outcomes = |config: Option<&str>| -> Vec<String> {
        let mut run = cmd();
        run.current_dir(dir.path()).args(["--json", "behind.json"]);
        if let Some(config) = config {
            run.args(["--config", config]);
        }
        let output = run.output().unwrap_or_else(|e| panic!("{e}"));
        let document: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
        document["requests"]
            .as_array()
            .map(|requests| {
                requests
                    .iter()
                    .map(|r| r["outcome"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = outcomes(None);
    assert_eq!(before.len(), 600);
    assert_eq!(before.iter().filter(|o| *o == "blocked").count(), 300);
    cmd()
        .current_dir(dir.path())
        .args(["--print", "behind.json", "--fix-out", "fixed.json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Wrote fixed.json: the whole configuration with the fix for request #2:",
        ))
        .stdout(predicate::str::contains(
            "#2: Add PUT to AllowedMethods in rule #1",
        ));
    let after = outcomes(Some("fixed.json"));
    assert_eq!(after.len(), 600);
    assert!(after.iter().all(|o| o == "allowed"), "{after:?}");
}
