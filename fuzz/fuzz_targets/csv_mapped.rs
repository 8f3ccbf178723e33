//! A partner's CSV read through the shopline mapping profile of `fixtures/partners/`
//! (semicolons, date formats, decimal commas, constants), then judged as purchases.
#![no_main]

#[path = "common.rs"]
mod common;

use std::path::Path;
use std::sync::{Arc, LazyLock};

use cebulk::domain::kind::Kind;
use cebulk::input::csv::options::CsvOptions;
use cebulk::input::csv::profile::Profile;

static OPTIONS: LazyLock<CsvOptions> = LazyLock::new(|| {
    let text = include_str!("../../fixtures/partners/shopline.toml");
    let profile = Profile::parse(Path::new("shopline.toml"), text, Kind::Purchases)
        .expect("the fixture profile is valid");
    CsvOptions {
        delimiter: None,
        skip_unknown_columns: false,
        profile: Some(Arc::new(profile)),
    }
});

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    common::judge_csv(bytes, &OPTIONS);
});
