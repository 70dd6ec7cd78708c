//! cors-tui: a faithful simulation of the browser's CORS algorithm (WHATWG Fetch, and Chromium
//! where it differs) against a server that answers as it really does (Amazon S3 or a static
//! server), producing a step-by-step trace for the terminal UI and headless reports.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod engine;
pub mod error;
pub mod formats;
pub mod fuzz_targets;
pub mod http;
pub mod lab;
pub mod narrate;
pub mod output_file;
pub mod pages;
pub mod probe;
pub mod problems;
pub mod report;
pub mod run;
pub mod safe_text;
pub mod scenario;
pub mod secrets;
pub mod server;
pub mod session;
pub mod terminal;
pub mod theme;
pub mod ui;
