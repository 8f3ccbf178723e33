//! The caps on what one input, line, row or event may hold (docs/spec.md §1 and §2,
//! README "Limits"). Each is enforced while reading, so that no input, however large or
//! endless, makes cebulk hold more than the cap in memory.

use crate::domain::codes::EventError;

/// A JSON request document larger than this is refused unread: it cannot hold only 1000
/// events of any sensible size, and reading it whole would cost its size in memory.
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;

/// The longest NDJSON line, CSV row, or group of CSV rows making one event; a CSV cell is
/// bounded by its row. Longer ones are unprocessed events, skipped without being stored.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// The most line items (`products_set` or `measured_key_performance_indicators_set`
/// elements) one event may hold, as many as a CSV header can index.
pub const MAX_LINE_ITEMS: usize = 1000;

/// The largest JSON reference document, and the largest reference CSV file.
pub const MAX_REFERENCE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The longest reference CSV row.
pub const MAX_REFERENCE_ROW_BYTES: usize = MAX_EVENT_BYTES;

/// A size as the messages about caps say it.
pub fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

/// An event over [`MAX_EVENT_BYTES`].
pub fn too_long(bytes: u64, line: usize) -> EventError {
    EventError::InvalidValue {
        value: format!("{bytes} bytes"),
        path: format!("line {line}"),
        allowed: format!(
            "An event holds at most {} ({MAX_EVENT_BYTES} bytes) in one NDJSON line or in its CSV rows; shorten its values or split it into several events",
            mib(MAX_EVENT_BYTES as u64)
        ),
    }
}

/// An event over [`MAX_LINE_ITEMS`].
pub fn too_many_line_items(set: &str, items: usize) -> EventError {
    EventError::InvalidValue {
        value: format!("{items} line items"),
        path: set.to_owned(),
        allowed: format!(
            "An event holds at most {MAX_LINE_ITEMS} line items; split them over several events"
        ),
    }
}
