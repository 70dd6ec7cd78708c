//! The live lab against a real browser: every shipped lesson the lab can run goes through
//! `serve --check` in headless Chromium, and must agree with the simulation.

use crate::common::cmd;

/// A Chromium on PATH, as `serve --check` looks for one.
fn chromium_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ]
            .iter()
            .any(|name| dir.join(name).is_file())
        })
    })
}

/// Every shipped lesson the lab can run, and every observation in
/// `tests/fixtures/chromium/lab/`, agrees with headless Chromium request by request; the others
/// say why they cannot run. Without a Chromium this says it skipped, unless
/// `CORS_TUI_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it, having installed Debian's).
#[test]
fn every_lesson_the_lab_runs_agrees_with_headless_chromium() {
    if !chromium_installed() {
        assert!(
            std::env::var_os("CORS_TUI_REQUIRE_CHROMIUM").is_none(),
            "CORS_TUI_REQUIRE_CHROMIUM is set, and no Chromium is on PATH"
        );
        eprintln!("SKIPPED: no Chromium on PATH (Debian: apt-get install chromium)");
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
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    // Lessons wait in real time; a few run at once (each its own browser and port).
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(name) = names.get(i) else { break };
                    // A lesson's waits of up to a minute are sat through.
                    let output = cmd()
                        .args(["serve", "--check", name, "--max-wait", "60"])
                        .output()
                        .unwrap_or_else(|e| panic!("{e}"));
                    if let Ok(mut results) = results.lock() {
                        results.push((name.clone(), output));
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut ran = 0;
    let mut failed = Vec::new();
    for (name, output) in &results {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {
                assert!(stdout.contains("Every request agrees"), "{name}: {stdout}");
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
    if !chromium_installed() {
        eprintln!("SKIPPED: no Chromium on PATH (Debian: apt-get install chromium)");
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
