//! NDJSON, read line by line and judged as purchases.
#![no_main]

#[path = "common.rs"]
mod common;

use cebulk::domain::kind::Kind;
use cebulk::input::request::{Request, Shape};

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let events = cebulk::input::ndjson::events("fuzz.ndjson", reader, true);
    common::judge_all(Request {
        kind: Kind::Purchases,
        fields_set: None,
        intended_currency: None,
        events,
        shape: Shape::Ndjson,
    });
});
