//! The summary of an import: what happened to the events read (created, recognised from an
//! earlier run, unprocessed, by error code), the most frequent missing references, and the
//! amended events. Said on standard error, and with `--summary FILE` written as JSON for
//! scripts (its fields: docs/spec.md §6).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::domain::codes::{EventCode, EventError};
use crate::domain::entity::Entity;

/// Most distinct missing references counted one by one; past them, the rest are counted
/// together, so that an input naming a new account on every line keeps memory flat.
pub const MISSING_TRACKED: usize = 10_000;

/// Missing references the JSON summary lists (most frequent first).
pub const MISSING_LISTED: usize = 10;

/// Missing references standard error lists.
const MISSING_SAID: usize = 5;

/// Amended events' request unique identifiers kept, to name in the warning.
pub const AMENDED_NAMED: usize = 5;

/// The counts of an import, kept as its outcomes are reported.
#[derive(Debug, Default)]
pub struct Summary {
    /// Events created by this run (the amended ones included).
    pub created: u64,
    /// Events an earlier run had created, recognised and not created again.
    pub recognised: u64,
    /// Events created although the store held their request unique identifier with other
    /// content.
    pub amended: u64,
    /// The first amended events' request unique identifiers.
    pub amended_identifiers: Vec<Value>,
    /// Events unprocessed, by error code (indexed as [`EventCode::ALL`]).
    by_code: [u64; EventCode::ALL.len()],
    /// Events that could not be resolved, by the reference they name.
    missing: HashMap<(Entity, String), u64>,
    /// Events naming a missing reference past the first [`MISSING_TRACKED`] distinct ones.
    missing_untracked: u64,
}

/// How the import ended, as the summary says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It read every input (some may have been rejected as a whole).
    Finished,
    /// `--max-errors` stopped it.
    TooManyUnprocessed,
    /// A signal stopped it (its name).
    Interrupted(&'static str),
}

impl Summary {
    /// An event created now; `amended`: with the request unique identifier `rui`, which the
    /// store held with other content.
    pub fn created(&mut self, amended: bool, rui: &Value) {
        self.created += 1;
        if amended {
            self.amended += 1;
            if self.amended_identifiers.len() < AMENDED_NAMED {
                self.amended_identifiers.push(rui.clone());
            }
        }
    }

    /// An earlier run's event, recognised.
    pub fn recognised(&mut self) {
        self.recognised += 1;
    }

    /// An event unprocessed for `error`.
    pub fn unprocessed(&mut self, error: &EventError) {
        let code = error.code();
        if let Some(at) = EventCode::ALL.iter().position(|c| *c == code) {
            self.by_code[at] += 1;
        }
        if let EventError::NotFound { entity, value } = error {
            let key = (*entity, value.clone());
            if let Some(count) = self.missing.get_mut(&key) {
                *count += 1;
            } else if self.missing.len() < MISSING_TRACKED {
                self.missing.insert(key, 1);
            } else {
                self.missing_untracked += 1;
            }
        }
    }

    /// Events unprocessed.
    pub fn unprocessed_count(&self) -> u64 {
        self.by_code.iter().sum()
    }

    /// Events read: created, recognised or unprocessed.
    pub fn read(&self) -> u64 {
        self.created + self.recognised + self.unprocessed_count()
    }

    /// Each error code met, with its count, in docs/ERRORS.md's order.
    fn codes(&self) -> impl Iterator<Item = (EventCode, u64)> + '_ {
        EventCode::ALL
            .into_iter()
            .zip(self.by_code)
            .filter(|(_, count)| *count > 0)
    }

    /// The most frequent missing references, most frequent first (then by entity and
    /// value, so that the order is stable).
    fn most_missing(&self, at_most: usize) -> Vec<(Entity, &str, u64)> {
        let mut all: Vec<(Entity, &str, u64)> = self
            .missing
            .iter()
            .map(|((entity, value), count)| (*entity, value.as_str(), *count))
            .collect();
        all.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then(a.0.key().cmp(b.0.key()))
                .then(a.1.cmp(b.1))
        });
        all.truncate(at_most);
        all
    }

    /// The summary as standard error says it: one line of counts, then lines for the error
    /// codes, the most frequent missing references and the amended events.
    pub fn lines(&self, took: Duration, dry_run: bool, ending: Ending) -> Vec<String> {
        let seconds = took.as_secs_f64();
        let read = self.read();
        let mut lines = vec![format!(
            "cebulk: {read} {} read: {} created, {} already in the store, {} unprocessed in \
             {seconds:.2} s ({:.0} events/s){}",
            plural(read, "event", "events"),
            self.created,
            self.recognised,
            self.unprocessed_count(),
            rate(read, seconds),
            match (dry_run, ending) {
                (true, _) => " (a dry run: nothing committed)",
                (false, Ending::TooManyUnprocessed) => " (stopped: too many unprocessed)",
                (false, _) => "",
            }
        )];
        let codes: Vec<String> = self
            .codes()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        if !codes.is_empty() {
            lines.push(format!(
                "cebulk: unprocessed by error code: {}",
                codes.join(", ")
            ));
        }
        let most = self.most_missing(MISSING_SAID);
        if !most.is_empty() {
            let distinct = self.missing.len();
            lines.push(format!(
                "cebulk: missing references ({distinct}{} distinct), most frequent first:",
                if self.missing_untracked > 0 { "+" } else { "" }
            ));
            for (entity, value, count) in most {
                lines.push(format!(
                    "cebulk:   {} ({value}) not found: {count} {}",
                    entity.word(),
                    plural(count, "event", "events")
                ));
            }
        }
        if self.amended > 0 {
            let named: Vec<String> = self
                .amended_identifiers
                .iter()
                .map(|rui| match rui {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            let more = if self.amended > named.len() as u64 {
                ", …"
            } else {
                ""
            };
            lines.push(format!(
                "cebulk: warning: {} {} a request_unique_identifier already stored with other \
                 content, and became {} (as the API does): {}{more}",
                self.amended,
                plural(self.amended, "event had", "events had"),
                plural(self.amended, "a new event", "new events"),
                named.join(", "),
            ));
        }
        lines
    }

    /// The summary as `--summary FILE` writes it.
    pub fn json(&self, took: Duration, dry_run: bool, ending: Ending, rejected: usize) -> Value {
        let seconds = took.as_secs_f64();
        let read = self.read();
        let by_code: serde_json::Map<String, Value> = self
            .codes()
            .map(|(code, count)| (code.as_str().to_owned(), json!(count)))
            .collect();
        let missing: Vec<Value> = self
            .most_missing(MISSING_LISTED)
            .into_iter()
            .map(|(entity, value, count)| {
                json!({
                    "entity": entity.key(),
                    "value": value,
                    "description": format!("{} ({value}) not found", entity.word()),
                    "events": count,
                })
            })
            .collect();
        json!({
            "events_read": read,
            "created": self.created,
            "already_in_store": self.recognised,
            "unprocessed": self.unprocessed_count(),
            "unprocessed_by_code": by_code,
            "missing_references": missing,
            "missing_references_distinct": self.missing.len(),
            "amended": self.amended,
            "amended_identifiers": self.amended_identifiers,
            "inputs_rejected": rejected,
            "dry_run": dry_run,
            "ended": match ending {
                Ending::Finished => "finished".to_owned(),
                Ending::TooManyUnprocessed => "max_errors".to_owned(),
                Ending::Interrupted(signal) => signal.to_owned(),
            },
            "duration_seconds": (seconds * 1000.0).round() / 1000.0,
            "events_per_second": rate(read, seconds).round(),
        })
    }
}

fn rate(events: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        events as f64 / seconds
    } else {
        0.0
    }
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(entity: Entity, value: &str) -> EventError {
        EventError::NotFound {
            entity,
            value: value.into(),
        }
    }

    #[test]
    fn missing_references_are_grouped_most_frequent_first() {
        let mut summary = Summary::default();
        for _ in 0..3 {
            summary.unprocessed(&missing(Entity::Account, "ACR8"));
        }
        summary.unprocessed(&missing(Entity::Product, "P1"));
        summary.unprocessed(&EventError::Missing { path: "x".into() });
        summary.created(false, &Value::Null);
        summary.created(true, &json!("31"));
        summary.recognised();
        assert_eq!(summary.read(), 8);
        let lines = summary.lines(Duration::from_secs(1), false, Ending::Finished);
        assert_eq!(
            lines,
            [
                "cebulk: 8 events read: 2 created, 1 already in the store, 5 unprocessed in 1.00 s (8 events/s)",
                "cebulk: unprocessed by error code: NotFoundAPIValueException 4, MissingMandatoryParameterException 1",
                "cebulk: missing references (2 distinct), most frequent first:",
                "cebulk:   Account (ACR8) not found: 3 events",
                "cebulk:   Product (P1) not found: 1 event",
                "cebulk: warning: 1 event had a request_unique_identifier already stored with other content, and became a new event (as the API does): 31",
            ]
        );
        let json = summary.json(Duration::from_secs(1), false, Ending::Finished, 0);
        assert_eq!(json["missing_references"][0]["events"], 3);
        assert_eq!(json["unprocessed_by_code"]["NotFoundAPIValueException"], 4);
    }

    #[test]
    fn distinct_missing_references_are_bounded() {
        let mut summary = Summary::default();
        for i in 0..MISSING_TRACKED + 5 {
            summary.unprocessed(&missing(Entity::Account, &i.to_string()));
        }
        assert_eq!(summary.missing.len(), MISSING_TRACKED);
        assert_eq!(summary.missing_untracked, 5);
        assert_eq!(summary.unprocessed_count(), (MISSING_TRACKED + 5) as u64);
    }
}
