//! Reading a scenario file: JSON syntax, shape and meaning, each error placed at its file, line,
//! column and key.

use std::fmt;
use std::path::Path;

use jsonc_parser::ast::Value as AstValue;
use jsonc_parser::common::Ranged;

use super::Scenario;
use super::raw::RawScenario;
use super::validate::{JsonPath, Problem, Seg, validate};
use crate::safe_text::escape;

/// The lesson `cors-tui` opens when given no file.
pub const BUILTIN_BASIC: &str = super::lessons::BASIC.text;

/// One thing wrong with an input file, placed where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Key path such as `requests[1].method`; empty for the document itself.
    pub key: String,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: an error about the file as a whole, with no place in it to point at.
        if self.line == 0 {
            write!(f, "{}: ", escape(&self.file))?;
        } else {
            write!(f, "{}:{}:{}: ", escape(&self.file), self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", escape(&self.key))?;
        }
        write!(f, "{}", escape(&self.message))
    }
}

/// Every error found in one file (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

/// The most errors shown for one file: a file with thousands of them has one mistake repeated,
/// and a wall of lines hides the first.
pub const ERRORS_SHOWN: usize = 20;

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().take(ERRORS_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{err}")?;
        }
        if self.0.len() > ERRORS_SHOWN {
            let file = self.0.first().map_or("", |e| e.file.as_str());
            write!(
                f,
                "\n{}: and {} more error(s) like these",
                escape(file),
                self.0.len() - ERRORS_SHOWN
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// Reads an input file (`-` = standard input): its display name and text.
pub fn read_input(path: &Path) -> Result<(String, String), LoadErrors> {
    let (name, input) = open_input(path)?;
    let text = input.text(&name)?.to_string();
    Ok((name, text))
}

/// An input file's bytes, read into memory or, when large, mapped: copying a 250 MB recording
/// into fresh memory takes longer than a third of its parse, mapping it a tenth of that.
pub enum Input {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

/// Files from this size on are mapped rather than read.
const MAP_FROM_BYTES: u64 = 4 << 20;

impl Input {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Input::Read(bytes) => bytes,
            Input::Mapped(map) => map,
        }
    }

    /// Lets go of the pages of a mapped file before `offset`, once they have been read into
    /// something else: a large recording read front to back is then never wholly in memory.
    /// Read again, they come back from the file.
    pub fn release_before(&self, offset: usize) {
        const PAGE: usize = 4096;
        if let Input::Mapped(map) = self {
            let end = (offset.min(map.len()) / PAGE) * PAGE;
            // SAFETY: the map is a read-only, never-written mapping of a file, so the pages
            // dropped are clean and read back from the file unchanged when they are touched
            // again; the same assumption as mapping it at all (no other process changes the
            // file while it is read). A failure leaves the pages where they are.
            let _ =
                unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, end) };
        }
    }

    /// The input as text; an error placed at the first byte that is not UTF-8.
    pub fn text(&self, name: &str) -> Result<&str, LoadErrors> {
        let bytes = match self {
            Input::Read(bytes) => bytes.as_slice(),
            Input::Mapped(map) => map,
        };
        // A leading byte order mark is how some Windows editors start a UTF-8 file; it is not
        // part of the JSON or XML.
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        std::str::from_utf8(bytes).map_err(|err| {
            // What comes before the bad byte is UTF-8, so this borrows rather than copies.
            let valid = String::from_utf8_lossy(&bytes[..err.valid_up_to()]);
            let (line, column) = line_column(&valid, valid.len());
            LoadErrors(vec![LoadError {
                file: name.to_string(),
                line,
                column,
                key: String::new(),
                message: "the file is not UTF-8 text".to_string(),
            }])
        })
    }
}

/// The largest input read, unless `CORS_TUI_MAX_INPUT_MIB` says otherwise: far above any
/// recording a browser exports, far below what would take the machine's memory.
const DEFAULT_MAX_INPUT_MIB: u64 = 4096;
const MAX_INPUT_VARIABLE: &str = "CORS_TUI_MAX_INPUT_MIB";

fn max_input_bytes() -> u64 {
    std::env::var(MAX_INPUT_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_MAX_INPUT_MIB)
        .saturating_mul(1 << 20)
}

fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::other(format!(
        "larger than {} MiB, the most cors-tui reads (is it a recording or a configuration?); set {MAX_INPUT_VARIABLE} to raise the limit",
        limit >> 20
    ))
}

/// Reads at most `limit` bytes of `reader`; more is an error, not a truncated input.
fn read_bounded(
    reader: impl std::io::Read,
    limit: u64,
    size_hint: u64,
) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(size_hint.min(limit)).unwrap_or(0));
    std::io::Read::read_to_end(&mut reader.take(limit.saturating_add(1)), &mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// Opens an input file (`-` = standard input): its display name and bytes. Regular files and
/// pipes are read; a device (`/dev/zero`), a socket or a directory is refused before a byte is
/// read, and every input is bounded by [`max_input_bytes`].
pub fn open_input(path: &Path) -> Result<(String, Input), LoadErrors> {
    let name = path.display().to_string();
    let limit = max_input_bytes();
    let (display_name, input) = if name == "-" {
        let read = read_bounded(std::io::stdin(), limit, 0);
        ("<stdin>".to_string(), read.map(Input::Read))
    } else {
        (name, read_or_map(path, limit))
    };
    match input {
        Ok(input) => Ok((display_name, input)),
        Err(err) => Err(LoadErrors(vec![LoadError {
            file: display_name,
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the file: {err}"),
        }])),
    }
}

fn read_or_map(path: &Path, limit: u64) -> std::io::Result<Input> {
    use std::os::unix::fs::FileTypeExt;
    // Looked at before opening: opening a device can already have effects.
    let kind = std::fs::metadata(path)?.file_type();
    if kind.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
        return Err(std::io::Error::other(
            "it is a device or a socket, not a file (use - to read standard input)",
        ));
    }
    if kind.is_fifo() && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // Opening a named pipe waits for its writer, as `cat` does; say what is awaited.
        eprintln!(
            "cors-tui: reading the pipe {} (waiting for something to write to it)…",
            escape(&path.display().to_string())
        );
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(limit));
    }
    if meta.is_file() && meta.len() >= MAP_FROM_BYTES {
        // SAFETY: the map is read only, and only while the input is parsed; parsing copies what
        // it keeps. Like every tool that maps its input (ripgrep does), this trusts no other
        // process to change the file in those seconds.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(Input::Mapped(map));
        }
    }
    read_bounded(&file, limit, meta.len()).map(Input::Read)
}

/// Reads and validates a scenario; `-` reads standard input.
pub fn load_file(path: &Path) -> Result<Scenario, LoadErrors> {
    let (name, text) = read_input(path)?;
    load_str(&text, &name)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn load_str(text: &str, file: &str) -> Result<Scenario, LoadErrors> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let raw: RawScenario = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(raw) => raw,
        Err(err) => {
            let key = err.path().to_string();
            let inner = err.into_inner();
            return Err(LoadErrors(vec![serde_error(file, &key, &inner)]));
        }
    };
    if let Err(err) = deserializer.end() {
        return Err(LoadErrors(vec![serde_error(file, "", &err)]));
    }
    validate(raw).map_err(|problems| LoadErrors(locate_problems(text, file, problems)))
}

pub(crate) fn serde_error(file: &str, key: &str, err: &serde_json::Error) -> LoadError {
    let full = err.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let message = match full.rfind(" at line ") {
        Some(at) => full[..at].to_string(),
        None => full,
    };
    // serde_json spells the range with backslashes, which the escaping of errors would double.
    let message = message.replace(
        "control character (\\u0000-\\u001F) found while parsing a string",
        "a raw control character (U+0000 to U+001F) inside a string; write it as a JSON escape instead",
    );
    // serde_path_to_error writes `?` for a segment it could not name (e.g. inside bad syntax).
    let key = key.trim_end_matches(".?").trim_end_matches('?');
    let key = if key == "." {
        String::new()
    } else {
        key.to_string()
    };
    LoadError {
        file: file.to_string(),
        line: err.line().max(1),
        column: err.column().max(1),
        key,
        message,
    }
}

pub(crate) fn locate_problem(text: &str, file: &str, problem: Problem) -> LoadError {
    Locator::new(text).error(file, problem)
}

/// Every problem placed in the file. The document is parsed once and its line starts indexed
/// once, so twenty thousand problems cost no more than twenty thousand lookups.
pub(crate) fn locate_problems(text: &str, file: &str, problems: Vec<Problem>) -> Vec<LoadError> {
    let locator = Locator::new(text);
    problems
        .into_iter()
        .map(|problem| locator.error(file, problem))
        .collect()
}

/// Finds where a key path's value is in a JSON document.
struct Locator<'a> {
    text: &'a str,
    root: Option<AstValue<'a>>,
    /// Byte offset of each line's start.
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let root = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
            .ok()
            .and_then(|parsed| parsed.value);
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Locator {
            text,
            root,
            line_starts,
        }
    }

    fn error(&self, file: &str, problem: Problem) -> LoadError {
        let offset = self.locate(&problem.path).unwrap_or(0);
        let (line, column) = self.line_column(offset);
        LoadError {
            file: file.to_string(),
            line,
            column,
            key: problem.path.to_string(),
            message: problem.message,
        }
    }

    /// Byte offset of the value at `path`, or of its deepest existing ancestor.
    fn locate(&self, path: &JsonPath) -> Option<usize> {
        let mut node = self.root.as_ref()?;
        let mut offset = node.start();
        for seg in &path.0 {
            let next = match (seg, node) {
                (Seg::Key(key), AstValue::Object(object)) => object
                    .properties
                    .iter()
                    .find(|prop| prop.name.as_str() == key.as_str())
                    .map(|prop| &prop.value),
                (Seg::Index(i), AstValue::Array(array)) => array.elements.get(*i),
                _ => None,
            };
            match next {
                Some(value) => {
                    offset = value.start();
                    node = value;
                }
                None => break,
            }
        }
        Some(offset)
    }

    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.chars().count());
        (line, column + 1)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_utf8_is_placed_at_its_line_and_column() {
        let input = Input::Read(b"{\n  \"title\": \"caf\xe9\"}".to_vec());
        let Err(errors) = input.text("x.json") else {
            panic!("not UTF-8")
        };
        assert_eq!(
            errors.to_string(),
            "x.json:2:16: the file is not UTF-8 text"
        );
        // Columns count characters, not bytes.
        let input = Input::Read(b"\xc3\xa9\xc3\xa9\xff".to_vec());
        let Err(errors) = input.text("y") else {
            panic!("not UTF-8")
        };
        assert_eq!((errors.0[0].line, errors.0[0].column), (1, 3));
        assert_eq!(Input::Read(b"ok".to_vec()).text("z").ok(), Some("ok"));
    }

    #[test]
    fn large_regular_files_are_mapped_and_small_ones_read() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("a temporary directory")
        };
        let small = dir.path().join("small.json");
        let large = dir.path().join("large.json");
        let large_len = usize::try_from(MAP_FROM_BYTES).unwrap_or(0) + 1;
        assert!(std::fs::write(&small, "{}").is_ok());
        assert!(std::fs::write(&large, " ".repeat(large_len)).is_ok());
        let opened = |path: &Path| match open_input(path) {
            Ok((_, input)) => input,
            Err(e) => panic!("{e}"),
        };
        assert!(matches!(opened(&small), Input::Read(_)));
        let mapped = opened(&large);
        assert!(matches!(mapped, Input::Mapped(_)));
        assert_eq!(mapped.text("large").map(str::len).ok(), Some(large_len));
        let missing = open_input(&dir.path().join("missing.json"));
        assert!(missing.is_err_and(|e| e.to_string().contains("cannot read the file")));
    }

    const MINIMAL: &str = r#"{
  "server": {"type": "s3", "url": "https://b.s3.amazonaws.com", "cors": null},
  "requests": [{"origin": "https://a.example"}]
}"#;

    fn errors(text: &str) -> Vec<LoadError> {
        load_str(text, "t.json")
            .err()
            .map(|e| e.0)
            .unwrap_or_default()
    }

    #[test]
    fn the_builtin_lesson_loads() {
        let scenario = load_str(BUILTIN_BASIC, "basic.json");
        assert!(scenario.is_ok(), "{:?}", scenario.err());
    }

    #[test]
    fn minimal_scenario_gets_defaults() {
        let scenario = load_str(MINIMAL, "t.json").ok();
        let request = scenario.as_ref().map(|s| &s.requests[0]);
        assert_eq!(request.map(|r| r.method.as_str()), Some("GET"));
        assert_eq!(
            request.map(|r| r.url.as_str()),
            Some("https://b.s3.amazonaws.com/")
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let errs = errors("{\n  \"server\": {,\n}");
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (2, 14));
        assert!(errs[0].to_string().starts_with("t.json:2:14: "));
    }

    #[test]
    fn addresses_are_names_and_addresses_each_named_where_it_is_wrong() {
        let text = MINIMAL.replace(
            "\"requests\"",
            "\"addresses\": {\"API.Internal.example.\": \"10.1.2.3\", \"nas.example\": \"10.1.2\", \"10.0.0.1\": \"10.0.0.1\"},\n  \"requests\"",
        );
        let errs = errors(&text);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].key, "addresses.10.0.0.1");
        assert!(
            errs[0].message.contains("not a host name"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[1].key, "addresses.nas.example");
        assert!(errs[1].message.contains("not an IPv4 or IPv6 address"));
        assert_eq!((errs[1].line, errs[1].column), (3, 69), "the bad value");
        let fine = MINIMAL.replace(
            "\"requests\"",
            "\"addresses\": {\"API.Internal.example.\": \"10.1.2.3\"},\n  \"requests\"",
        );
        let scenario = load_str(&fine, "t.json").ok();
        assert_eq!(
            scenario.and_then(|s| s.addresses.of("api.internal.example")),
            Some(std::net::IpAddr::from([10, 1, 2, 3]))
        );
    }

    #[test]
    fn unknown_key_is_named_with_its_path() {
        let text = MINIMAL.replace("\"origin\"", "\"orgin\"");
        let errs = errors(&text);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].key, "requests[0].orgin");
        assert!(
            errs[0].message.contains("unknown field `orgin`"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].line, 3);
    }

    #[test]
    fn wrong_type_is_named_with_its_path() {
        let text = MINIMAL.replace(
            "\"origin\": \"https://a.example\"",
            "\"origin\": \"https://a.example\", \"wait_seconds\": \"5\"",
        );
        let errs = errors(&text);
        assert_eq!(errs[0].key, "requests[0].wait_seconds");
        assert!(errs[0].message.contains("invalid type"));
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let text = MINIMAL.replace("https://a.example\"", "https://a.example/\"");
        let errs = errors(&text);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].key, "requests[0].origin");
        assert_eq!((errs[0].line, errs[0].column), (3, 27));
        assert!(
            errs[0]
                .message
                .contains("a browser sends 'https://a.example'")
        );
    }

    #[test]
    fn s3_rejections_use_s3_codes() {
        let text = MINIMAL.replace(
            "\"cors\": null",
            "\"cors\": {\"CORSRules\": [{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"PATCH\"]}]}",
        );
        let errs = errors(&text);
        assert_eq!(errs[0].key, "server.cors.CORSRules[0].AllowedMethods[0]");
        assert!(errs[0].message.contains("InvalidRequest: Found unsupported HTTP method in CORS config. Unsupported method is PATCH"));
    }

    #[test]
    fn a_bucket_object_cannot_script_its_own_cors_headers() {
        let answer = r#""responses": {"actual": {"status": 200, "headers": {"Content-Type": "image/jpeg", "access-control-allow-origin": "*"}}}"#;
        let hop = format!(
            r#""responses": {{"after_redirect": [{{{}}}]}}"#,
            &answer[14..answer.len() - 1]
        );
        for (responses, key) in [
            (
                answer.to_string(),
                "requests[0].responses.actual.headers.access-control-allow-origin",
            ),
            (
                hop,
                "requests[0].responses.after_redirect[0].actual.headers.access-control-allow-origin",
            ),
        ] {
            let text = MINIMAL.replace(
                r#""https://a.example"}"#,
                &format!(r#""https://a.example", {responses}}}"#),
            );
            let errs = errors(&text);
            assert_eq!(errs.len(), 1, "{text}");
            assert_eq!(errs[0].key, key);
            assert!(errs[0].message.contains("Amazon S3 adds the CORS headers"));
            // Nor can it script a preflight: the service answers those itself.
            let preflight = text.replace(r#""actual""#, r#""preflight""#);
            let gcs = preflight.replace(r#""type": "s3""#, r#""type": "gcs""#);
            let errs = errors(&gcs);
            assert_eq!(errs.len(), 1, "{gcs}");
            assert!(errs[0].key.ends_with(".preflight"), "{}", errs[0].key);
            assert!(
                errs[0]
                    .message
                    .starts_with("Google Cloud Storage answers preflights")
            );
            // A static server's answer is scripted whole, CORS headers included.
            let text = text.replace(
                r#""type": "s3", "url": "https://b.s3.amazonaws.com", "cors": null"#,
                r#""type": "static", "url": "https://b.example", "preflight": {"status": 204}, "actual": {"status": 200}"#,
            );
            assert!(errors(&text).is_empty(), "{:?}", errors(&text));
        }
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        let errs = errors(&format!("{MINIMAL} x"));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("trailing characters"));
    }

    #[test]
    fn control_characters_in_errors_are_escaped() {
        let text = MINIMAL.replace("https://a.example\"", "https://a.example\\u001b[2J\"");
        let shown = errors(&text)[0].to_string();
        assert!(!shown.contains('\u{1b}'));
        assert!(shown.contains("\\x1b[2J"));
    }
}
