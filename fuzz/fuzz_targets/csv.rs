//! CSV, header and rows, read and judged as purchases (whose line items may come one a row).
#![no_main]

#[path = "common.rs"]
mod common;

use cebulk::domain::kind::Kind;
use cebulk::input::request::{Request, Shape};

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let options = cebulk::input::csv::options::CsvOptions::default();
    if let Ok(header) =
        cebulk::input::csv::reader::events("fuzz.csv", Kind::Purchases, reader, &options, true)
    {
        common::judge_all(Request {
            kind: Kind::Purchases,
            fields_set: None,
            intended_currency: None,
            events: header.events,
            shape: Shape::Csv {
                names: header.names,
                delimiter: b',',
            },
        });
    }
});
