//! What the test modules share: the binary, the repository's root, a replay's document, and the
//! probe's helpers.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The `cors-tui` binary `cargo test` built.
pub fn cmd() -> Command {
    match Command::cargo_bin("cors-tui") {
        Ok(c) => c,
        Err(e) => panic!("binary not built: {e}"),
    }
}

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `--json` document of a replay of `file`.
pub fn replay_json(file: &std::path::Path) -> Value {
    let out = cmd()
        .arg("--json")
        .arg(file)
        .output()
        .expect("cors-tui runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: --json is not JSON ({e}); stderr: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The origin of an absolute URL, serialized.
pub fn origin_of(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("an absolute URL");
    parsed.origin().ascii_serialization()
}

/// Runs `cors-tui probe ARGS --json`: the document and the exit status.
pub fn probe(args: &[&str]) -> (Value, i32) {
    let output = cmd()
        .arg("probe")
        .args(args)
        .arg("--json")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let code = output.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (doc, code)
}

/// The header lines (lower-cased names, sorted) of the preflight headless Chromium 148 sent to a
/// loopback server for a PUT from https://app.example with these request headers, less
/// `Connection: keep-alive`: what a probe must send too, and nothing of its HTTP client's own.
pub fn chromium_preflight(port: u16, request_headers: &str) -> Vec<String> {
    let mut lines = vec![
        "accept: */*".to_string(),
        "accept-encoding: gzip, deflate, br, zstd".to_string(),
        "accept-language: en-US,en;q=0.9".to_string(),
        format!("access-control-request-headers: {request_headers}"),
        "access-control-request-method: PUT".to_string(),
        format!("host: 127.0.0.1:{port}"),
        "origin: https://app.example".to_string(),
        "referer: https://app.example/".to_string(),
        "sec-fetch-dest: empty".to_string(),
        "sec-fetch-mode: cors".to_string(),
        "sec-fetch-site: cross-site".to_string(),
        "user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36".to_string(),
    ];
    lines.sort();
    lines
}
