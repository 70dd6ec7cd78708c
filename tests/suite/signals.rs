//! The interactive view gives the terminal back on every signal that ends or stops it (D5 of
//! the robustness review): run in a private tmux server, whose own state tells whether the
//! alternate screen, mouse reporting and a hidden cursor were left behind.
//!
//! Needs tmux. Without it the test says so and passes, unless `CORS_TUI_REQUIRE_TMUX` is set,
//! as `.ci/run` sets it (and installs tmux).

use std::path::PathBuf;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output();
        match output {
            Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_string(),
            Err(e) => panic!("tmux {args:?}: {e}"),
        }
    }

    /// `alternate_on mouse_any_flag mouse_sgr_flag cursor_flag` of the pane.
    fn modes(&self) -> String {
        self.run(&[
            "display",
            "-p",
            "-t",
            "t",
            "#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag} #{cursor_flag}",
        ])
    }

    fn wait_for(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CORS_TUI_REQUIRE_TMUX").is_none(),
            "CORS_TUI_REQUIRE_TMUX is set but tmux is not installed"
        );
        eprintln!("tmux is not installed: the signal test did not run");
    }
    found
}

#[test]
fn every_terminating_or_stopping_signal_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_cors-tui"));
    let lesson = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic.json");
    for (signal, status) in [
        ("TERM", 143),
        ("INT", 130),
        ("HUP", 129),
        ("QUIT", 131),
        ("TSTP", 0),
    ] {
        let tmux = Tmux {
            socket: format!("cors-tui-signals-{}-{signal}", std::process::id()),
        };
        let status_file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
        let status_path = status_file.path().display().to_string();
        // The pane's shell runs the view, then records its exit status for the test to read.
        let command = format!(
            "sh -c '{} {}; echo $? > {status_path}; sleep 30'",
            binary.display(),
            lesson.display()
        );
        tmux.run(&["new", "-d", "-s", "t", "-x", "120", "-y", "40", &command]);
        tmux.wait_for("the view opens", |t| t.modes().starts_with("1 1 1"));
        let pid = tmux.run(&["display", "-p", "-t", "t", "#{pane_pid}"]);
        // The view is the pane's shell's child.
        let child = Command::new("pgrep").args(["-P", &pid]).output();
        let child = child.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        let child = child.unwrap_or_else(|e| panic!("pgrep: {e}"));
        let child = child.lines().next().unwrap_or_default().to_string();
        assert!(!child.is_empty(), "the view's process");
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &child])
            .status();
        assert!(kill.is_ok_and(|s| s.success()), "kill -{signal}");
        tmux.wait_for(&format!("SIG{signal} restores the terminal"), |t| {
            t.modes() == "0 0 0 1"
        });
        if signal == "TSTP" {
            // Continued, the view takes the terminal back; then q quits normally.
            let _ = Command::new("kill").args(["-CONT", &child]).status();
            tmux.wait_for("SIGCONT takes the terminal back", |t| {
                t.modes().starts_with("1 1 1")
            });
            tmux.run(&["send", "-t", "t", "q"]);
            tmux.wait_for("q restores the terminal", |t| t.modes() == "0 0 0 1");
        }
        tmux.wait_for("the exit status", |_| {
            !std::fs::read_to_string(&status_path)
                .unwrap_or_default()
                .trim()
                .is_empty()
        });
        let recorded = std::fs::read_to_string(&status_path).unwrap_or_default();
        assert_eq!(recorded.trim(), status.to_string(), "SIG{signal}");
        // Still restored once the view has gone: nothing it drew on its way out hid the cursor.
        assert_eq!(
            tmux.modes(),
            "0 0 0 1",
            "SIG{signal}: the terminal after the exit"
        );
    }
}

/// A terminal that goes away (a closed tab, a dropped SSH session) ends the view. It used to
/// keep running, spinning on the dead terminal: the signal thread's restore printed its write
/// error to the same dead terminal, and that print panicked the thread before it could exit.
#[test]
fn a_closed_terminal_ends_the_view() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_cors-tui"));
    let recording =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/firefox/redirects.har");
    let tmux = Tmux {
        socket: format!("cors-tui-closed-{}", std::process::id()),
    };
    let command = format!("exec {} {}", binary.display(), recording.display());
    tmux.run(&["new", "-d", "-s", "t", "-x", "120", "-y", "40", &command]);
    tmux.wait_for("the view opens", |t| t.modes().starts_with("1 1 1"));
    let pid = tmux.run(&["display", "-p", "-t", "t", "#{pane_pid}"]);
    assert!(!pid.is_empty(), "the view's process");
    tmux.run(&["send", "-t", "t", "Down", "Down"]);
    sleep(Duration::from_millis(300));
    tmux.run(&["kill-session", "-t", "t"]);
    let gone = || !PathBuf::from(format!("/proc/{pid}")).exists();
    let start = Instant::now();
    while !gone() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(50));
    }
    if !gone() {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("the view was still running 10 s after its terminal closed");
    }
}

/// `--print` to a terminal takes the terminal's width (shells seldom export `$COLUMNS`).
#[test]
fn print_to_a_terminal_fills_its_width() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_cors-tui"));
    let lesson = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic.json");
    let tmux = Tmux {
        socket: format!("cors-tui-width-{}", std::process::id()),
    };
    let command = format!(
        "env -u COLUMNS {} --print {}; sleep 30",
        binary.display(),
        lesson.display()
    );
    tmux.run(&["new", "-d", "-s", "t", "-x", "170", "-y", "300", &command]);
    tmux.wait_for("the report is printed", |t| {
        t.run(&["capture-pane", "-p", "-t", "t", "-S", "-400"])
            .contains("Expectations:")
    });
    let screen = tmux.run(&["capture-pane", "-p", "-t", "t", "-S", "-400"]);
    let table = screen
        .lines()
        .find(|l| l.starts_with('┌'))
        .unwrap_or_default();
    assert_eq!(table.trim_end().chars().count(), 170, "{table}");
}
