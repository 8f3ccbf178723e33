//! Helpers shared by the integration tests under `tests/`: where the fixtures are, running the
//! real `cebulk` binary (never an in-process stand-in) on a store in a temporary directory,
//! and reading what it printed and stored. Each test file says `mod support;` and uses the
//! subset it needs; helpers whose copies behaved differently stay in their test file.
#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the shared helpers"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Names

/// The reference entities, which are also the reference tables' names.
pub const ENTITIES: [&str; 10] = [
    "currencies",
    "units",
    "accounts_receivable",
    "rewards_participants",
    "classifications",
    "products",
    "payment_medium_brands",
    "payment_medium_types",
    "invoices",
    "key_performance_indicators",
];

/// The seven event kinds, in the seed's order.
pub const KINDS: [&str; 7] = [
    "achievements",
    "purchases",
    "referrals",
    "social_media",
    "web",
    "financial_achievements",
    "financial_statements",
];

/// The report's set of processed events.
pub const PROCESSED: &str = "processed_customer_events_set";
/// The report's set of unprocessed events.
pub const UNPROCESSED: &str = "unprocessed_customer_events_set";

// ---------------------------------------------------------------------------------------------
// Files of the crate

/// The path of `relative` (e.g. `tests/store_v1/store.sql`) in the crate's directory.
pub fn crate_path(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// The path of `relative` under `fixtures/`.
pub fn fixture(relative: &str) -> String {
    crate_path(&format!("fixtures/{relative}"))
}

/// The path of `fixtures/reference.json`.
pub fn reference() -> String {
    fixture("reference.json")
}

/// `fixtures/reference.json`, parsed.
pub fn reference_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference()).unwrap()).unwrap()
}

/// The id of the reference record of `entity` whose `field` is `value`, from
/// fixtures/reference.json.
pub fn reference_id(entity: &str, field: &str, value: &str) -> String {
    reference_json()[entity]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("no {entity} with {field} {value} in reference.json"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Account numbers and product codes of fixtures/reference.json.
pub fn reference_names() -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(reference()).expect("fixtures/reference.json");
    let doc: Value = serde_json::from_str(&text).expect("reference.json is JSON");
    let names = |entity: &str, field: &str| -> Vec<String> {
        doc[entity]
            .as_array()
            .unwrap_or_else(|| panic!("no {entity} in reference.json"))
            .iter()
            .map(|r| r[field].as_str().unwrap().to_owned())
            .collect()
    };
    (
        names("accounts_receivable", "number"),
        names("products", "code"),
    )
}

// ---------------------------------------------------------------------------------------------
// Generated inputs

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

// ---------------------------------------------------------------------------------------------
// Running the binary

/// The path of the `cebulk` binary built for the tests.
pub fn cebulk_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cebulk")
}

/// `cebulk --store STORE` in `dir`, with no `$CEBULK_STORE`; the caller adds the arguments,
/// a timeout and runs it.
pub fn cebulk(dir: &Path, store: &Path) -> Command {
    let mut command = Command::cargo_bin("cebulk").expect("the cebulk binary");
    command
        .current_dir(dir)
        .env_remove("CEBULK_STORE")
        .arg("--store")
        .arg(store);
    command
}

/// `text`, cut after about 4000 bytes for failure messages.
pub fn clip(text: &str) -> String {
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut clipped = text[..end].to_owned();
    if end < text.len() {
        clipped.push('…');
    }
    clipped
}

/// One finished run of the binary.
pub struct Run {
    /// The arguments after `--store STORE`.
    pub args: Vec<String>,
    /// The exit status (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The command, its exit status and outputs (clipped), for failure messages.
    pub fn context(&self) -> String {
        let stdout = clip(&self.stdout_text());
        let stderr = clip(&self.stderr);
        format!(
            "cebulk {}\nexit status: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            self.args.join(" "),
            self.code
        )
    }

    /// Asserts the exit status and returns `self`.
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status\n{}",
            self.context()
        );
        self
    }

    /// Asserts the exit status and that standard error says nothing of a panic, and returns
    /// `self`.
    pub fn code_without_panic(&self, code: i32) -> &Run {
        self.code(code);
        assert!(
            !self.stderr.contains("panicked"),
            "cebulk panicked\n{}",
            self.context()
        );
        self
    }

    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.context()))
    }

    /// Asserts that the run did not panic and exited 0, 1 or 2.
    pub fn no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "cebulk panicked\n{}",
            self.context()
        );
        assert!(
            matches!(self.code, Some(0..=2)),
            "exit status is not 0, 1 or 2\n{}",
            self.context()
        );
    }
}

/// A temporary directory with a store path in it (the file is created by cebulk).
pub struct Store {
    /// The temporary directory.
    pub dir: TempDir,
}

impl Store {
    /// A fresh temporary directory, with no store file yet.
    pub fn new() -> Store {
        Store {
            dir: TempDir::new().expect("a temporary directory"),
        }
    }

    /// The store's path.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("store.db")
    }

    /// The path of `name` in the temporary directory.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// Writes a file into the temporary directory and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `cebulk --store STORE ARGS…` with `stdin` on standard input, in the temporary
    /// directory, with no `$CEBULK_STORE`.
    pub fn run_with_stdin(&self, args: &[&str], stdin: Vec<u8>) -> Run {
        let output = cebulk(self.dir.path(), &self.db())
            .args(args)
            .write_stdin(stdin)
            .timeout(Duration::from_secs(120))
            .output()
            .expect("running cebulk");
        Run {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `cebulk --store STORE ARGS…`, in the temporary directory, with no `$CEBULK_STORE` and
    /// nothing on standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, Vec::new())
    }

    /// `cebulk import ARGS…`
    pub fn import(&self, args: &[&str]) -> Run {
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `cebulk events [--kind KIND]`, not checked.
    pub fn events_run(&self, kind: Option<&str>) -> Run {
        match kind {
            Some(kind) => self.run(&["events", "--kind", kind]),
            None => self.run(&["events"]),
        }
    }

    /// `cebulk events [--kind KIND]`, parsed, after checking that it exited 0.
    pub fn events(&self, kind: Option<&str>) -> Vec<Value> {
        let run = self.events_run(kind);
        run.code(0);
        match run.json() {
            Value::Array(events) => events,
            other => panic!("`cebulk events` printed {other}, not an array"),
        }
    }

    /// The names of the files in the temporary directory, sorted.
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Whether the store file exists.
    pub fn exists(&self) -> bool {
        self.db().exists()
    }

    /// A read-write connection to the store, which must exist.
    pub fn conn(&self) -> Connection {
        assert!(self.exists(), "no store file at {}", self.db().display());
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_WRITE)
            .expect("opening the store")
    }

    /// `SELECT count(*) FROM table`; the store must exist.
    pub fn count(&self, table: &str) -> i64 {
        self.conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("counting {table}: {e}"))
    }

    /// `SELECT count(*) FROM table`, 0 when there is no store.
    pub fn count_or_zero(&self, table: &str) -> i64 {
        if !self.exists() {
            return 0;
        }
        self.count(table)
    }

    /// Row counts of every reference table.
    pub fn reference_counts(&self) -> BTreeMap<&'static str, i64> {
        ENTITIES.iter().map(|e| (*e, self.count(e))).collect()
    }

    /// Every row of every reference table, ordered by id, each cell as written by SQLite.
    pub fn reference_rows(&self) -> BTreeMap<&'static str, Vec<Vec<String>>> {
        let conn = self.conn();
        ENTITIES
            .iter()
            .map(|table| {
                let mut stmt = conn
                    .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
                    .unwrap();
                let columns = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..columns)
                            .map(|i| {
                                r.get::<_, rusqlite::types::Value>(i)
                                    .map(|v| format!("{v:?}"))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (*table, rows)
            })
            .collect()
    }

    /// The store's bytes: the database file, its rollback journal and its write-ahead log
    /// (empty when absent).
    pub fn bytes(&self) -> [Vec<u8>; 3] {
        let beside = |suffix: &str| {
            std::fs::read(self.dir.path().join(format!("store.db{suffix}"))).unwrap_or_default()
        };
        [
            std::fs::read(self.db()).unwrap(),
            beside("-journal"),
            beside("-wal"),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

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
