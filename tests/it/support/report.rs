//! Reading the report cebulk prints (the API envelope): its two event sets and their
//! entries.

use serde_json::Value;

/// The report's set of processed events.
pub const PROCESSED: &str = "processed_customer_events_set";
/// The report's set of unprocessed events.
pub const UNPROCESSED: &str = "unprocessed_customer_events_set";

/// The array `data.NAME` of a report (panics when it is not an array).
pub fn set<'a>(report: &'a Value, name: &str) -> &'a [Value] {
    report["data"][name]
        .as_array()
        .unwrap_or_else(|| panic!("data.{name} is not an array in {report}"))
}

/// A processed entry as (request_unique_identifier, (id, number)); each must be a string.
pub fn rui_id_number(entry: &Value) -> (String, (String, String)) {
    (
        entry["request_unique_identifier"]
            .as_str()
            .unwrap()
            .to_owned(),
        (
            entry["id"].as_str().unwrap().to_owned(),
            entry["number"].as_str().unwrap().to_owned(),
        ),
    )
}

/// Whether `s` has the shape of an event id: 32 upper-case hexadecimal digits.
pub fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}
