//! Inputs the tests generate: a deterministic random number generator, amounts and valid
//! events.

use serde_json::{Value, json};

/// xorshift64: a tiny deterministic PRNG.
pub struct XorShift(u64);

impl XorShift {
    /// A generator seeded with `seed` (0 counts as 1).
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Cents as a decimal with two places.
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A web event of account ACR0000000020 by the Admin Unit on `website`, valid against
/// fixtures/reference.json.
pub fn web_event_at(rui: &str, website: &str) -> Value {
    json!({
        "request_unique_identifier": rui,
        "accounts_receivable_identifier": {"number": "ACR0000000020"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "website": website
    })
}

/// Events as NDJSON: one a line, each line ended.
pub fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}
