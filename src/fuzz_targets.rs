//! The parsers of untrusted input, each as one function of raw bytes that must never panic and
//! whose output must keep the tool's promises. `fuzz/` runs them under libFuzzer
//! (`cargo fuzz run scenario`); `tests/suite/fuzz_corpus.rs` runs them over the checked-in corpus and
//! a bounded number of mutations of it on every `cargo test`.

use crate::engine;
use crate::formats::{convert, har};
use crate::report::json;
use crate::report::saved;
use crate::safe_text::is_unsafe_char;
use crate::scenario::{self, Scenario};
use crate::session::{InputKind, detect};

/// The `--json` document of a run, reopened: what the tool writes it must read back to the
/// same bytes.
fn assert_round_trip(
    scenario: &Scenario,
    recording: Option<&crate::scenario::recording::Recording>,
) {
    let trace = engine::run(scenario, engine::effective_profile(scenario, None));
    let mut written = Vec::new();
    if json::write(&mut written, scenario, &trace, recording, false).is_err() {
        return;
    }
    let Ok(text) = std::str::from_utf8(&written) else {
        panic!("--json wrote text that is not UTF-8")
    };
    // Compact: the one raw line break is the document's last byte.
    let raw_control = text.chars().find(|&c| is_unsafe_char(c) && c != '\n');
    assert!(
        raw_control.is_none(),
        "--json holds a raw terminal control: {raw_control:?}"
    );
    let (scenario, trace, recording) = match saved::load_saved_trace(text, "saved.json") {
        Ok(reopened) => reopened,
        Err(e) => panic!("a saved trace does not reopen: {e}\n{text}"),
    };
    let mut again = Vec::new();
    if json::write(&mut again, &scenario, &trace, recording.as_ref(), false).is_ok() {
        assert!(
            again == written,
            "a saved trace reopens differently\n{text}"
        );
    }
}

/// A scenario file: loaded, and when valid, simulated, saved and reopened.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = scenario::load_str(text, "fuzz.json") {
        // Each run re-simulates a few times; huge inputs only slow the fuzzer down.
        if scenario.requests.len() <= 50 {
            assert_round_trip(&scenario, None);
        }
    }
}

/// A HAR recording: imported, and when it holds CORS exchanges, replayed, saved and reopened.
/// Read as a stream (as a large file is), it imports the same, or fails the same way.
pub fn har(data: &[u8]) {
    if har::is_har_bytes(data) {
        let whole = har::load_har_bytes(data, "fuzz.har", false, None);
        let streamed = har::load_har_bytes(data, "fuzz.har", false, Some(&|_| {}));
        assert_eq!(format!("{whole:?}"), format!("{streamed:?}"));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if detect(text) != InputKind::Har {
        return;
    }
    if let Ok(import) = har::load_har(text, "fuzz.har", false)
        && import.scenario.requests.len() <= 50
    {
        assert_round_trip(&import.scenario, Some(&import.recording));
    }
}

/// A CORS configuration in any provider's spelling: read, audited, and converted to every
/// target, whose output must be safe to print and read back.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A CloudFormation or SAM template (JSON or YAML), read and audited stack by stack.
    if let Some(Ok(template)) = crate::formats::aws_stacks(text, "fuzz.yaml") {
        let _ = template.describe();
        for stack in &template.stacks {
            let _ =
                crate::analysis::audit::audit_layers(std::slice::from_ref(&stack.layer), true, &[]);
        }
    }
    // An API Gateway export, read and audited as `cors-tui audit` does.
    if let Some(Ok(export)) = crate::formats::apigateway::load(text, "fuzz.json") {
        let (cors, routes) = match &export {
            crate::formats::apigateway::Export::Api { cors, .. } => (cors.as_ref(), &[][..]),
            crate::formats::apigateway::Export::Routes(routes) => (None, routes.as_slice()),
            crate::formats::apigateway::Export::Rest { api, .. } => {
                let _ = crate::server::rest_api::audit::audit(api, false);
                (None, &[][..])
            }
            crate::formats::apigateway::Export::FunctionUrl { cors } => {
                let layer = crate::server::FrontLayer::FunctionUrl { cors: cors.clone() };
                let _ = crate::analysis::audit::audit_layers(&[layer], false, &[]);
                (None, &[][..])
            }
        };
        let _ = crate::server::http_api::audit::audit(cors, routes, std::iter::empty());
        let _ = export.describe();
    }
    let Ok(loaded) = crate::formats::config::load_config(text, "fuzz.cfg") else {
        return;
    };
    let _ = crate::analysis::audit::audit_rules(loaded.provider(), &loaded.config);
    for target in convert::Target::ALL {
        if let Ok(converted) = convert::convert(&loaded, target) {
            assert!(
                !converted
                    .text
                    .chars()
                    .any(|c| is_unsafe_char(c) && c != '\n'),
                "convert --to {target:?} wrote a raw control"
            );
            if let Err(e) = crate::formats::config::load_config(&converted.text, "converted") {
                panic!("convert --to {target:?} wrote what it cannot read: {e}");
            }
        }
    }
}

/// A saved trace: read, and when valid, written again (it must not panic; a trace edited by
/// hand may differ from what the tool would have written).
pub fn saved_trace(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((scenario, trace, recording)) = saved::load_saved_trace(text, "fuzz.json") {
        let mut out = Vec::new();
        let _ = json::write(&mut out, &scenario, &trace, recording.as_ref(), false);
    }
}

/// A fuzz target: raw bytes in, a panic on a broken promise.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus runner.
pub const TARGETS: [(&str, Target); 5] = [
    ("scenario", scenario),
    ("har", har),
    ("config", config),
    ("saved_trace", saved_trace),
    ("lab_request", lab_request),
];

/// The bytes a browser (or anything on the lab's port) sends the lab's server, read request by
/// request: every request taken is whole, and what is left is never more than was given.
pub fn lab_request(data: &[u8]) {
    let mut buffer = data.to_vec();
    while let Ok(Some(arrived)) = crate::lab::server::take_request(&mut buffer) {
        assert!(
            buffer.len() < data.len(),
            "a request was taken from nothing"
        );
        assert!(!arrived.method.is_empty());
    }
}
