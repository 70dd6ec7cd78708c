//! Every example in README.md and docs/ is what the tool prints: a fenced block preceded by
//! `<!-- output of: cors-tui ARGS -->` must appear, whole, in that command's output (run from
//! the repository's root); one preceded by `<!-- screen: NAME -->` is the interactive view's
//! snapshot NAME. A block with neither fails, unless `<!-- not checked: why -->` says why (none does).

use std::path::{Path, PathBuf};

struct Example {
    file: PathBuf,
    line: usize,
    marker: String,
    block: String,
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir("docs")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The fenced blocks of `text` without a language (or `text`), with the marker before each.
fn examples(file: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        if let Some(lang) = fence.strip_prefix("```") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with("```"))
                .unwrap_or(lines.len());
            if lang.is_empty() || lang == "text" {
                let marker = lines[..i]
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .filter(|l| l.trim_start().starts_with("<!--"))
                    .map(|l| l.trim().to_string())
                    .unwrap_or_default();
                found.push(Example {
                    file: file.to_path_buf(),
                    line: i + 1,
                    marker,
                    block: lines[i + 1..end.min(lines.len())].join("\n"),
                });
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    found
}

fn output_of(args: &str) -> String {
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = crate::common::cmd()
        .args(&args)
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR")
        .output()
        .expect("cors-tui runs");
    let mut text = String::from_utf8_lossy(&out.stderr).to_string();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    text
}

fn snapshot(name: &str) -> String {
    let path = Path::new("tests/suite/snapshots").join(format!("{name}.snap"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.splitn(3, "---\n")
        .nth(2)
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

#[test]
fn every_documented_example_is_what_the_tool_prints() {
    let mut problems = Vec::new();
    let (mut checked, mut unchecked) = (0, Vec::new());
    for file in documents() {
        for example in examples(&file) {
            let place = format!("{}:{}", example.file.display(), example.line);
            let inner = example
                .marker
                .trim_start_matches("<!--")
                .trim_end_matches("-->")
                .trim();
            if let Some(args) = inner.strip_prefix("output of: cors-tui") {
                let output = output_of(args);
                if !output.contains(&example.block) {
                    let first_missing = example
                        .block
                        .lines()
                        .find(|l| !output.contains(l))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{place}: not in the output of `cors-tui{args}`; first line missing: {first_missing}"
                    ));
                }
                checked += 1;
            } else if let Some(name) = inner.strip_prefix("screen:") {
                if snapshot(name.trim()) != example.block.trim_end() {
                    problems.push(format!("{place}: not the snapshot {}", name.trim()));
                }
                checked += 1;
            } else if inner.starts_with("not checked:") {
                unchecked.push(place);
            } else {
                problems.push(format!(
                    "{place}: an example without `<!-- output of: cors-tui … -->`, `<!-- screen: … -->` or `<!-- not checked: why -->`"
                ));
            }
        }
    }
    assert!(checked >= 10, "only {checked} examples are checked");
    assert!(unchecked.is_empty(), "unchecked examples: {unchecked:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_stays_short_and_links_resolve() {
    let readme = std::fs::read_to_string("README.md").unwrap_or_default();
    assert!(
        readme.len() < 15 * 1024,
        "README.md is {} bytes",
        readme.len()
    );
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap_or_default();
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let path = file
                .parent()
                .unwrap_or(Path::new(""))
                .join(target.split('#').next().unwrap_or(target));
            assert!(
                path.exists(),
                "{}: link to {target} leads nowhere",
                file.display()
            );
        }
    }
}
