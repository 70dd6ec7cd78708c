#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cors_tui::fuzz_targets::lab_request(data));
