//! Every integration test in one test binary: each module below was a binary of its own, and
//! linking fifteen copies of the crate and its dependencies cost more than running them.

mod common;

/// The generated recording and scenario of the benchmarks.
#[path = "../../benches/support/generate.rs"]
#[allow(dead_code)]
mod generate;

mod chromium_exports;
mod cli;
mod docs;
mod engine_scenarios;
mod firefox_exports;
mod fuzz_corpus;
mod golden;
mod har;
mod hostile;
mod lab;
mod lab_random;
mod probe;
mod probe_middleware;
mod properties;
mod roundtrip;
mod signals;
mod ui;
