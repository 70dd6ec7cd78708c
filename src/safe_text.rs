//! The one place where untrusted text is made safe to show or print.
//!
//! Scenario files and recorded traces can carry escape sequences, control characters and bidi
//! overrides. Written raw, they could repaint the terminal or make one origin read as another,
//! so every view escapes text here instead of stripping it: what the user sees is what was sent.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach a terminal or a text report as itself.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c,
            '\u{200B}'..='\u{200F}'     // zero-width spaces and joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'   // word joiner and invisible operators
            | '\u{2066}'..='\u{2069}'   // bidi isolates
            | '\u{061C}'                // Arabic letter mark
            | '\u{FEFF}'                // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}') // interlinear annotation controls
}

/// Returns `text` with every unsafe character shown as a visible escape (`\n`, `\t`, `\x1b`,
/// `\u{202e}`); a backslash is doubled so that an escape can't be forged. Borrowed when nothing
/// needs escaping, which is nearly always.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !needs_escape(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && is_unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether [`escape`] changes `text`. Printable ASCII, nearly all of what is shown, is checked
/// a byte at a time; from the first other byte on, a character at a time.
fn needs_escape(text: &str) -> bool {
    match text
        .bytes()
        .position(|b| !(0x20..0x7f).contains(&b) || b == b'\\')
    {
        None => false,
        // Every byte before `at` is ASCII, so `at` starts a character.
        Some(at) => text[at..].chars().any(|c| c == '\\' || is_unsafe_char(c)),
    }
}

/// Like [`escape`], but keeps newlines as line breaks: for multi-line text the project wrote
/// itself around untrusted fragments that were already escaped.
pub fn escape_keep_newlines(text: &str) -> String {
    text.split('\n')
        .map(|line| escape(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(escape("https://example.com"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_escape_sequences_become_visible() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("bell\u{7}"), "bell\\x07");
        assert_eq!(escape("del\u{7f}"), "del\\x7f");
        assert_eq!(escape("c1\u{9b}"), "c1\\x9b");
    }

    #[test]
    fn bidi_override_cannot_disguise_an_origin() {
        assert_eq!(
            escape("https://\u{202e}moc.elpmaxe"),
            "https://\\u{202e}moc.elpmaxe"
        );
        assert_eq!(escape("a\u{2066}b\u{feff}"), "a\\u{2066}b\\u{feff}");
    }

    #[test]
    fn newlines_and_backslashes_are_unambiguous() {
        assert_eq!(escape("a\nb\\x1b"), "a\\nb\\\\x1b");
        assert_eq!(escape_keep_newlines("a\u{1b}\nb"), "a\\x1b\nb");
    }

    proptest::proptest! {
        /// The byte-at-a-time check says what the character-by-character definition says.
        #[test]
        fn the_fast_check_agrees_with_the_definition(text in "(?s).{0,40}", ascii in "[ -~]{0,40}") {
            for text in [text.as_str(), ascii.as_str(), &format!("{ascii}{text}")] {
                let by_definition = text.chars().any(|c| c == '\\' || is_unsafe_char(c));
                proptest::prop_assert_eq!(needs_escape(text), by_definition, "{:?}", text);
            }
        }
    }

    #[test]
    fn ordinary_unicode_is_kept() {
        assert_eq!(
            escape("https://bücher.example — ok"),
            "https://bücher.example — ok"
        );
    }
}
