//! The small HTTP vocabulary every part shares: requests and answers as the browser sends them
//! and the server's layers answer them (`message.rs`), and the syntax of names, values and
//! methods (`syntax.rs`). It depends on nothing else in the crate, so the engine, the layers, the
//! scenario and the views can all use it without depending on one another.

mod message;
pub mod syntax;

pub use message::*;

/// An ordered header list as written (names keep their case; duplicates are kept).
pub type Headers = Vec<Header>;

/// A header line: its name and value.
pub type Header = (Shared, Shared);

/// Text shared rather than copied: a trace holds every exchange's headers, and a recording's
/// 100,000 exchanges repeat the same names and values.
pub type Shared = std::sync::Arc<str>;
