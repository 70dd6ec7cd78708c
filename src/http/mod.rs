//! The small HTTP vocabulary every part shares: requests and answers as the browser sends them
//! and the server's layers answer them (`message.rs`), and the syntax of names, values and
//! methods (`syntax.rs`). It depends on nothing else in the crate, so the engine, the layers, the
//! scenario and the views can all use it without depending on one another.

mod message;
pub mod syntax;

pub use message::*;

/// An ordered header list as written (names keep their case; duplicates are kept), shared
/// until it is changed: a trace's exchanges hold the lists a recording's answers and the
/// engine's own repeated requests already hold, rather than a copy each. It reads as a `Vec`;
/// a change copies the list first if another holder shares it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers(std::sync::Arc<Vec<Header>>);

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `self` and `other` are one shared list (not merely equal).
    pub fn shares_with(&self, other: &Headers) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Headers {
    type Target = Vec<Header>;
    fn deref(&self) -> &Vec<Header> {
        &self.0
    }
}

impl std::ops::DerefMut for Headers {
    fn deref_mut(&mut self) -> &mut Vec<Header> {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Vec<Header>> for Headers {
    fn from(list: Vec<Header>) -> Self {
        Headers(std::sync::Arc::new(list))
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Headers::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl serde::Serialize for Headers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Headers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Header>::deserialize(deserializer).map(Headers::from)
    }
}

/// A header line: its name and value.
pub type Header = (Shared, Shared);

/// Text shared rather than copied: a trace holds every exchange's headers, and a recording's
/// 100,000 exchanges repeat the same names and values.
pub type Shared = std::sync::Arc<str>;

/// A text a trace holds many times over (an exchange's method and URL), shared rather than
/// copied; it reads and compares as a `str`.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Text(Shared);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Shared::from(text))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(Shared::from(text))
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Self {
        Text(Shared::from(text.as_str()))
    }
}

impl From<Shared> for Text {
    fn from(text: Shared) -> Self {
        Text(text)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}
