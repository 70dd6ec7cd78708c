//! The live lab against a real browser: every shipped lesson the lab can run goes through
//! `serve --check` in headless Chromium, and must agree with the simulation.

use crate::common::cmd;

/// A Chromium on PATH, as `serve --check` looks for one; `None` (the test skips, and says so)
/// when there is none, unless `CORS_TUI_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it, having
/// installed Debian's).
pub(crate) fn chromium_or_skip() -> Option<std::path::PathBuf> {
    let found = chromium_on_path();
    if found.is_none() {
        assert!(
            std::env::var_os("CORS_TUI_REQUIRE_CHROMIUM").is_none(),
            "CORS_TUI_REQUIRE_CHROMIUM is set, and no Chromium is on PATH"
        );
        eprintln!("SKIPPED: no Chromium on PATH (Debian: apt-get install chromium)");
    }
    found
}

/// Every shipped lesson the lab can run, and every observation in
/// `tests/fixtures/chromium/lab/`, agrees with headless Chromium request by request; the others
/// say why they cannot run. Without a Chromium this says it skipped, unless
/// `CORS_TUI_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it, having installed Debian's).
#[test]
fn every_lesson_the_lab_runs_agrees_with_headless_chromium() {
    if chromium_or_skip().is_none() {
        return;
    }
    let observations = std::fs::read_dir("tests/fixtures/chromium/lab")
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|entry| Some(entry.ok()?.path().to_string_lossy().into_owned()));
    let names: Vec<String> = cors_tui::scenario::lessons::LESSONS
        .iter()
        .map(|lesson| lesson.name.to_string())
        .chain(observations)
        .collect();
    // A lesson's waits of up to a minute are sat through.
    let results = two_at_a_time(names.len(), |i| {
        let name = &names[i];
        let output = cmd()
            .args(["serve", "--check", name, "--max-wait", "60"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (name.clone(), output)
    });
    let mut ran = 0;
    let mut failed = Vec::new();
    for (name, output) in &results {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {
                assert!(stdout.contains("Every request agrees"), "{name}: {stdout}");
                // Each blocked request's console line is Chromium's, word for word.
                assert!(!stdout.contains("simulated console:"), "{name}: {stdout}");
                ran += 1;
            }
            Some(2) if stderr.contains("cannot run in the browser") => {}
            _ => failed.push(format!("{name}:\n{stdout}{stderr}")),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // Not one fewer than the lab ran when this test was written: every lesson but max-age
    // (its waits take two hours), and the four observations.
    assert!(ran >= 42, "only {ran} lessons ran in the browser");
}

/// `work(0)` to `work(count - 1)`, two at a time: lessons wait in real time, and each runs its
/// own browser on its own port. The results come in the order they finished.
pub(crate) fn two_at_a_time<T: Send>(count: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = work(i);
                    if let Ok(mut results) = results.lock() {
                        results.push(result);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// A lesson the lab cannot run says why, and exits 2 without starting a browser.
#[test]
fn a_lesson_the_lab_cannot_run_says_why() {
    cmd()
        .args(["serve", "--check", "max-age", "--chromium", "/nonexistent/chromium"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "max-age cannot run in the browser: request #2 waits 3600 s, and the lab waits in real time (at most 30 s; --max-wait 3700 runs it)",
        ));
    cmd()
        .args([
            "serve",
            "--check",
            "basic",
            "--chromium",
            "/nonexistent/chromium",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "serve --check: cannot start /nonexistent/chromium",
        ));
    // Something that runs but is no Chromium is told apart before the lesson starts.
    cmd()
        .args(["serve", "--check", "basic", "--chromium", "/bin/true"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "serve --check: /bin/true --version failed: is it Chromium?",
        ));
}

/// A TERM (or Ctrl-C) ends a run early: the browser is stopped and the run says so, exit 2.
#[test]
fn an_interrupted_run_stops_its_browser_and_says_so() {
    if chromium_or_skip().is_none() {
        return;
    }
    let binary = assert_cmd::cargo::cargo_bin("cors-tui");
    // The presigned-upload lesson waits 20 s in all: there is time to interrupt it.
    let child = std::process::Command::new(binary)
        .args(["serve", "--check", "presigned-upload"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_secs(4));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("serve --check: interrupted; the browser is stopped"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The first Chromium on PATH, for the tests that open the lab's URL themselves.
fn chromium_on_path() -> Option<std::path::PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).find_map(|dir| {
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
    })
}

/// `serve LESSON --print` in a browser the test opens on the printed URL, as a person would,
/// with nothing mapped for it: the lesson's hosts are names under localhost. The profile
/// allows third-party cookies, as Chrome does (an unbranded Chromium blocks them).
fn run_in_a_browser_opened_by_hand(lesson: &str, chromium: &std::path::Path) -> String {
    use std::io::BufRead;
    let binary = assert_cmd::cargo::cargo_bin("cors-tui");
    let mut serve = Stopped(
        std::process::Command::new(binary)
            .args(["serve", lesson, "--print"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let Some(stdout) = serve.0.stdout.take() else {
        panic!("no stdout")
    };
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let url = first
        .strip_prefix("Open ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{lesson}: no URL in {first:?}"))
        .to_string();
    assert!(url.starts_with("http://localhost:"), "{url}");
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let default = profile.path().join("Default");
    std::fs::create_dir_all(&default).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        default.join("Preferences"),
        r#"{"profile":{"cookie_controls_mode":0}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let _browser = Stopped(
        std::process::Command::new(chromium)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // No lesson here takes a minute: a browser that never finishes fails the test (the report
    // ends early) rather than holding it up.
    let serving = serve.0.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watched = done.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(90));
        if !watched.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = std::process::Command::new("kill")
                .arg(serving.to_string())
                .status();
        }
    });
    let report: Vec<String> = lines.map_while(Result::ok).collect();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    report.join("\n")
}

/// A child process stopped when the test lets go of it, panicking or not.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Opened by hand in a browser that knows nothing of the lab, lessons still agree: elements,
/// an http page, the null origin, cookies, a redirect and a raw client's request included.
#[test]
fn a_browser_opened_on_the_printed_url_runs_the_lesson() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    for lesson in [
        "basic",
        "images-fonts-scripts-and-xhr",
        "dangerous-rules",
        "null-origin",
        "cookies-and-samesite",
        "redirects",
        "curl-vs-browser",
    ] {
        let report = run_in_a_browser_opened_by_hand(lesson, &chromium);
        assert!(report.contains("HeadlessChrome/"), "{lesson}: {report}");
        assert!(
            report
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("Every request agrees")),
            "{lesson}:\n{report}"
        );
    }
}

/// `serve` refuses an address no browser can be sent to, and a lesson it cannot run.
#[test]
fn serve_says_what_it_cannot_do() {
    cmd()
        .args(["serve", "basic", "--print", "--listen", "0.0.0.0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--listen takes this machine's address on the classroom network",
        ));
    cmd()
        .args(["serve", "max-age", "--print"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "max-age cannot run in the browser: request #2 waits 3600 s",
        ));
}

/// `serve --check --json`: the run as a document, each request's two sides and whether
/// Chromium printed the simulation's console line.
#[test]
fn a_checked_run_writes_its_document() {
    if chromium_or_skip().is_none() {
        return;
    }
    let output = cmd()
        .args(["serve", "--check", "basic", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(document["agrees"], true);
    assert!(
        document["browser"]
            .as_str()
            .is_some_and(|b| b.starts_with("Chromium ")),
        "{document}"
    );
    let requests = document["requests"].as_array().cloned().unwrap_or_default();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1]["browser"]["preflight_headers"], "content-type");
    assert_eq!(requests[2]["browser"]["read"], false);
    assert_eq!(requests[2]["console_matches"], true);
}
