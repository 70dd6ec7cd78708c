//! Finding and starting a headless Chromium for the lab, and reading its console.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A Chromium the lab can start.
pub struct Browser {
    path: PathBuf,
    /// What `--version` printed, for the report.
    pub version: String,
}

/// The names Chromium goes by on PATH, in the order tried.
const NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// `given`, or the first Chromium on PATH; an error in words when there is none.
pub fn find(given: Option<&Path>) -> Result<Browser, String> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .flat_map(|dir| NAMES.iter().map(move |name| dir.join(name)))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| {
                "serve --check: no Chromium found on PATH (chromium, chromium-browser, google-chrome); install one (Debian: apt-get install chromium) or give it with --chromium PATH".to_string()
            })?,
    };
    let output = Command::new(&path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "serve --check: cannot start {}: {e}",
                crate::safe_text::escape(&path.display().to_string())
            )
        })?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let version = printed
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if !output.status.success() || !version.contains("Chrom") {
        return Err(format!(
            "serve --check: {} --version failed: is it Chromium?",
            crate::safe_text::escape(&path.display().to_string())
        ));
    }
    Ok(Browser { path, version })
}

/// A running headless Chromium: stopped when finished or dropped.
pub struct Started {
    child: Child,
    console: Option<std::thread::JoinHandle<Vec<String>>>,
    /// Its profile, fresh for each run, so no cache or cookie of an earlier run is there.
    _profile: tempfile::TempDir,
}

/// Starts `browser` headless on `url`, with every host of `hosts` mapped to the lab's port on
/// 127.0.0.1 and the lab's certificate accepted.
/// Where the lab listens: the hosts to map to it, its port, and its certificate's key hash.
#[derive(Clone, Copy, Debug)]
pub struct Lab<'a> {
    pub hosts: &'a [String],
    pub port: u16,
    pub spki_sha256: &'a str,
    /// The lesson's browser blocks third-party cookies.
    pub third_party_cookies_blocked: bool,
}

pub fn start(browser: &Browser, lab: Lab<'_>, url: &str) -> Result<Started, String> {
    let Lab {
        hosts,
        port,
        spki_sha256,
        third_party_cookies_blocked,
    } = lab;
    let profile = tempfile::tempdir()
        .map_err(|e| format!("serve --check: cannot make a browser profile: {e}"))?;
    // Chrome sends third-party cookies unless its user says otherwise; an unbranded Chromium
    // (Debian's, Chrome for Testing) blocks them (observed in 148). The lesson says which.
    let preferences = serde_json::json!({
        "profile": { "cookie_controls_mode": u8::from(third_party_cookies_blocked) }
    });
    let default = profile.path().join("Default");
    std::fs::create_dir_all(&default)
        .and_then(|()| std::fs::write(default.join("Preferences"), preferences.to_string()))
        .map_err(|e| format!("serve --check: cannot write the browser profile: {e}"))?;
    let rules = hosts
        .iter()
        .map(|host| format!("MAP {host} 127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut child = Command::new(&browser.path)
        .args([
            "--headless=new",
            // The lab's page is the lab's own; containers (and root) need it off.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            // An http page stays http: the lab answers https on the same port, and an upgrade
            // would change the page's origin.
            "--disable-features=HttpsUpgrades",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--host-rules={rules}"))
        .arg(format!(
            "--ignore-certificate-errors-spki-list={spki_sha256}"
        ))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("serve --check: cannot start the browser: {e}"))?;
    let stderr = child.stderr.take();
    let console = std::thread::spawn(move || {
        let Some(stderr) = stderr else {
            return Vec::new();
        };
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| console_message(&line))
            .collect()
    });
    Ok(Started {
        child,
        console: Some(console),
        _profile: profile,
    })
}

impl Started {
    /// Stops the browser; the console messages it printed.
    pub fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.console
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message of a console line as `--enable-logging=stderr` prints it:
/// `[…:INFO:CONSOLE:0] "message", source: URL (0)` (148; older ones wrote `CONSOLE(0)`).
fn console_message(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(":CONSOLE")?;
    let (_, quoted) = rest.split_once("] \"")?;
    let message = quoted
        .rsplit_once("\", source: ")
        .map_or(quoted, |(m, _)| m);
    Some(page_as_its_root(message))
}

/// A mixed-content line names the page's whole URL, which in the lab is its run page: the
/// simulation, which knows only the page's origin, names the origin's root.
fn page_as_its_root(message: &str) -> String {
    const PAGE_AT: &str = "Mixed Content: The page at '";
    let Some(rest) = message.strip_prefix(PAGE_AT) else {
        return message.to_string();
    };
    match rest.split_once(super::LAB_PATH) {
        Some((origin, after)) if !origin.contains('\'') => match after.split_once('\'') {
            Some((_, tail)) => format!("{PAGE_AT}{origin}/'{tail}"),
            None => message.to_string(),
        },
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::console_message;

    #[test]
    fn a_mixed_content_line_names_the_pages_root_not_the_labs_run_page() {
        let line = r#"[1:1:1204/125812.340660:ERROR:CONSOLE:0] "Mixed Content: The page at 'https://app.example/__cors-tui-lab/run' was loaded over HTTPS, but requested an insecure resource 'http://api.example/a'. This request has been blocked; the content must be served over HTTPS.", source: https://app.example/__cors-tui-lab/run (0)"#;
        assert_eq!(
            console_message(line).as_deref(),
            Some(
                "Mixed Content: The page at 'https://app.example/' was loaded over HTTPS, but requested an insecure resource 'http://api.example/a'. This request has been blocked; the content must be served over HTTPS."
            )
        );
    }

    #[test]
    fn a_console_line_gives_its_message() {
        let line = r#"[16815:16815:1204/125812.340660:INFO:CONSOLE:0] "Access to fetch at 'https://b.example/x' from origin 'https://a.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.", source: https://a.example/__cors-tui-lab/run (0)"#;
        assert_eq!(
            console_message(line).as_deref(),
            Some(
                "Access to fetch at 'https://b.example/x' from origin 'https://a.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
            )
        );
        assert_eq!(
            console_message(r#"[1:INFO:CONSOLE(0)] "older", source: x (0)"#).as_deref(),
            Some("older")
        );
        assert_eq!(console_message("[x:INFO:other] nothing"), None);
    }
}
