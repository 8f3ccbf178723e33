//! CSV, header and rows, read and judged as purchases (whose line items may come one a row).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    common::judge_csv(bytes, &cebulk::input::csv::options::CsvOptions::default());
});
