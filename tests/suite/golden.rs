//! Golden outputs: every shipped lesson and fixture, byte for byte as committed under
//! `tests/golden/`: compact `--json` under both browser profiles (the whole trace), and under
//! Chromium's also `--print` and, for lessons, `--transcript` and pretty `--json` (views of that
//! same trace). A change to any of them shows here, and its commit explains it.
//!
//! After an intended change: `CORS_TUI_BLESS=1 cargo test --test suite golden`, then read the diff.

use std::path::{Path, PathBuf};

use crate::generate;

const GOLDEN: &str = "tests/golden";

struct Input {
    path: PathBuf,
    /// A lesson (a scenario shipped in `scenarios/`): transcript and pretty JSON too.
    lesson: bool,
}

fn inputs() -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut add = |dir: &str, ext: &str, lesson: bool| {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        paths.sort();
        inputs.extend(paths.into_iter().map(|path| Input { path, lesson }));
    };
    add("scenarios", "json", true);
    add("tests/fixtures", "json", false);
    add("tests/fixtures/har", "har", false);
    add("tests/fixtures/chromium", "har", false);
    add("tests/fixtures/firefox", "har", false);
    add("tests/fixtures/field", "har", false);
    // Files refused with exit 2 are the hostile-input and CLI tests' business.
    inputs.retain(|i| !i.path.ends_with("malformed.har") && !i.path.ends_with("no-cors.har"));
    inputs
}

fn run(args: &[&str], input: &Path) -> Vec<u8> {
    let out = crate::common::cmd()
        .args(args)
        .arg(input)
        .env("COLUMNS", "100")
        .output()
        .expect("cors-tui runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?} {}: exit {:?}: {}",
        input.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The first line where `actual` and `expected` part, for the failure message.
fn first_difference(actual: &[u8], expected: &[u8]) -> String {
    let (a, e) = (
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(expected),
    );
    for (n, (x, y)) in a.lines().zip(e.lines()).enumerate() {
        if x != y {
            let cut = |s: &str| s.chars().take(300).collect::<String>();
            return format!(
                "line {}:\n  now:    {}\n  golden: {}",
                n + 1,
                cut(x),
                cut(y)
            );
        }
    }
    format!(
        "{} lines now, {} in the golden file",
        a.lines().count(),
        e.lines().count()
    )
}

#[test]
fn every_lesson_and_fixture_prints_as_committed() {
    let bless = std::env::var_os("CORS_TUI_BLESS").is_some();
    // (name, arguments, extension, lessons only, under both profiles)
    let kinds: [(&str, &[&str], &str, bool, bool); 4] = [
        ("json", &["--json"], "json", false, true),
        ("print", &["--print", "--width", "100"], "txt", false, false),
        ("transcript", &["--transcript"], "md", true, false),
        ("pretty", &["--json", "--pretty"], "json", true, false),
    ];
    let mut problems = Vec::new();
    let mut checked = 0;
    for input in inputs() {
        let name = input
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .replace('.', "-");
        // Firefox's exports are named as Chromium's pages are.
        let stem = if input.path.parent().is_some_and(|p| p.ends_with("firefox")) {
            format!("firefox-{name}")
        } else {
            name
        };
        for (kind, args, ext, lessons_only, both_profiles) in kinds {
            if lessons_only && !input.lesson {
                continue;
            }
            let profiles: &[&str] = if both_profiles {
                &["chromium", "standard"]
            } else {
                &["chromium"]
            };
            for browser in profiles {
                let mut all = args.to_vec();
                all.extend(["--browser", browser]);
                let output = run(&all, &input.path);
                let file = Path::new(GOLDEN).join(match *browser {
                    "chromium" => format!("{stem}.{kind}.{ext}"),
                    _ => format!("{stem}.{browser}.{kind}.{ext}"),
                });
                if bless {
                    std::fs::create_dir_all(GOLDEN).expect("tests/golden can be made");
                    std::fs::write(&file, &output).expect("golden written");
                    continue;
                }
                checked += 1;
                match std::fs::read(&file) {
                    Ok(expected) if expected == output => {}
                    Ok(expected) => problems.push(format!(
                        "{} differs from {}: {}",
                        input.path.display(),
                        file.display(),
                        first_difference(&output, &expected)
                    )),
                    Err(e) => problems.push(format!("{}: {e}", file.display())),
                }
            }
        }
    }
    if bless {
        return;
    }
    assert!(checked >= 120, "only {checked} outputs were checked");
    assert!(
        problems.is_empty(),
        "{} golden output(s) changed (CORS_TUI_BLESS=1 cargo test --test suite golden rewrites them; explain the change in the commit):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Pretty JSON is the compact document indented: the same value, for every input.
#[test]
fn pretty_json_is_the_compact_document() {
    for input in inputs() {
        let compact: serde_json::Value =
            serde_json::from_slice(&run(&["--json"], &input.path)).expect("compact JSON parses");
        let pretty: serde_json::Value =
            serde_json::from_slice(&run(&["--json", "--pretty"], &input.path))
                .expect("pretty JSON parses");
        assert!(compact == pretty, "{}", input.path.display());
    }
}

/// FNV-1a, 64 bits: a stable fingerprint for outputs too large to commit.
fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x} {} bytes", bytes.len())
}

/// Past 500 requests `--json` and `--print` stream while the engine runs (and fixes are not
/// worked out): the generated recording and scenario of the benchmarks, at 1,200, pin that path.
#[test]
fn large_inputs_stream_as_committed() {
    let bless = std::env::var_os("CORS_TUI_BLESS").is_some();
    // A fixed relative path: the file's name is part of the output.
    let dir = Path::new("target/golden-inputs");
    std::fs::create_dir_all(dir).expect("target/golden-inputs can be made");
    let inputs = [
        ("generated-1200.har", generate::generated_har(1_200)),
        (
            "generated-1200.json",
            generate::generated_scenario_text(1_200),
        ),
    ];
    let mut lines = Vec::new();
    for (name, text) in &inputs {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("the input is written");
        for (kind, args) in [
            ("json", &["--json"][..]),
            ("print", &["--print", "--width", "100"][..]),
        ] {
            let output = run(args, &path);
            lines.push(format!("{name} {kind} {}", fingerprint(&output)));
        }
    }
    let file = Path::new(GOLDEN).join("large-inputs.sums");
    let now = lines.join("\n") + "\n";
    if bless {
        std::fs::write(&file, &now).expect("golden written");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        now,
        committed,
        "the streamed output of a large input changed (CORS_TUI_BLESS=1 cargo test --test suite golden rewrites {}; explain the change in the commit)",
        file.display()
    );
}
