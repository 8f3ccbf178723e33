//! A JSON request document, read and judged.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(request) = cebulk::input::document::read("fuzz.json", bytes, None, true) {
        common::judge_all(request);
    }
});
