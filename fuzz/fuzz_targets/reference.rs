//! A JSON reference document, read and merged over the fixture reference data.
#![no_main]

use cebulk::reference::maps::ReferenceMaps;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    if let Ok(records) = cebulk::reference::document::read(&value) {
        let _ = cebulk::reference::merge::merge(&ReferenceMaps::default(), records);
    }
});
