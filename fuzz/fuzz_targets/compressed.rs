//! Any bytes as a possibly compressed input (gzip or zstd, told by their first bytes),
//! decompressed under the reader's caps and read as NDJSON: a damaged or hostile archive
//! must end in an error, never a panic or unbounded memory.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use cebulk::domain::kind::Kind;
use cebulk::input::request::{Request, Shape};

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let plain = cebulk::input::compression::decompressed(reader, Arc::new(AtomicU64::new(0)));
    let events = cebulk::input::ndjson::events(
        "fuzz.ndjson.gz",
        Box::new(std::io::BufReader::new(plain)),
        false,
    );
    common::judge_all(Request {
        kind: Kind::Purchases,
        fields_set: None,
        intended_currency: None,
        events,
        shape: Shape::Ndjson,
    });
});
