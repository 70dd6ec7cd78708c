//! cors-tui: a faithful simulation of the browser's CORS algorithm (WHATWG Fetch, and Chromium
//! where it differs) against servers that answer as the real ones do (storage buckets, AWS's
//! edges, gateways and functions, fixed or recorded answers), producing a trace of facts for
//! the terminal view and the headless reports. `docs/development.md` says where each part is.
//!
//! The public modules are those the binary, the tests, the benches and the fuzz targets reach;
//! the rest are the crate's own.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod engine;
pub mod error;
pub mod formats;
pub mod fuzz_targets;
mod http;
pub mod lab;
mod narrate;
mod output_file;
pub mod pages;
mod probe;
mod problems;
pub mod report;
pub mod run;
pub mod safe_text;
pub mod scenario;
mod secrets;
pub mod server;
pub mod session;
pub mod terminal;
pub mod theme;
pub mod ui;
