//! Step text joined from its pieces in one allocation. A large recording makes millions of
//! step texts, and `format!`'s machinery (a call per piece, padding checks, regrowing the
//! string) costs several times the copying.

use std::borrow::Cow;
use std::sync::Arc;

/// A piece of step text: text, or a number written in decimal.
pub trait Piece {
    /// Its length in bytes, to size the text once.
    fn text_len(&self) -> usize;
    fn push_to(&self, text: &mut String);
}

impl Piece for str {
    fn text_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, text: &mut String) {
        text.push_str(self);
    }
}

impl Piece for String {
    fn text_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, text: &mut String) {
        text.push_str(self);
    }
}

impl Piece for Cow<'_, str> {
    fn text_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, text: &mut String) {
        text.push_str(self);
    }
}

impl Piece for Arc<str> {
    fn text_len(&self) -> usize {
        self.len()
    }
    fn push_to(&self, text: &mut String) {
        text.push_str(self);
    }
}

impl Piece for url::Url {
    fn text_len(&self) -> usize {
        self.as_str().len()
    }
    fn push_to(&self, text: &mut String) {
        text.push_str(self.as_str());
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn text_len(&self) -> usize {
        (**self).text_len()
    }
    fn push_to(&self, text: &mut String) {
        (**self).push_to(text);
    }
}

macro_rules! number_pieces {
    ($($number:ty),+) => {$(
        impl Piece for $number {
            fn text_len(&self) -> usize {
                itoa::Buffer::new().format(*self).len()
            }
            fn push_to(&self, text: &mut String) {
                text.push_str(itoa::Buffer::new().format(*self));
            }
        }
    )+};
}

number_pieces!(u16, u32, u64, usize, i32, i64);

/// Joins pieces of step text (see [`Piece`]) into a `String`, like `format!` with only plain
/// `{}` placeholders: `text!("Browser sends ", method, " ", path)`. Each piece is evaluated
/// once.
macro_rules! text {
    ($($piece:expr),+ $(,)?) => {{
        let pieces = [$(&$piece as &dyn $crate::engine::text::Piece),+];
        let mut text = String::with_capacity(pieces.iter().map(|p| p.text_len()).sum());
        for piece in pieces {
            piece.push_to(&mut text);
        }
        text
    }};
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    #[test]
    fn pieces_join_as_format_would() {
        let (method, status, max_age) = ("PUT", 204u16, 86_400u64);
        let path = String::from("/items/1");
        let joined = text!(
            "Browser sends ",
            method,
            " ",
            path,
            ": ",
            status,
            ", cached ",
            max_age,
            " s"
        );
        let formatted = format!("Browser sends {method} {path}: {status}, cached {max_age} s");
        assert_eq!(joined, formatted);
        assert_eq!(joined.capacity(), joined.len(), "sized once");
        assert_eq!(
            text!(usize::MAX, " ", i64::MIN),
            format!("{} {}", usize::MAX, i64::MIN)
        );
        let (shared, borrowed): (Arc<str>, Cow<str>) = ("a".into(), Cow::Borrowed("b"));
        let url = url::Url::parse("https://api.example/x?y").ok();
        let url = url
            .as_ref()
            .map(|u| text!(shared, borrowed, " ", u))
            .unwrap_or_default();
        assert_eq!(url, "ab https://api.example/x?y");
    }
}
