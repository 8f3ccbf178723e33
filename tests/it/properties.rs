//! Property tests of the input side, through the real binary, with a fixed proptest seed and a
//! bounded number of cases:
//!
//! - whatever bytes or JSON-ish documents come in, as `.json`, `.ndjson` or `.csv`, cebulk never
//!   panics and exits 0, 1 or 2 with the API envelope on standard output (docs/spec.md §4, §6);
//! - the same events, valid or not, written as a JSON request document, as NDJSON and as CSV,
//!   give the same report (docs/spec.md §1: the three formats carry the same request; README: "the
//!   same event gives the same first error from any input format"), absent values being left
//!   out, `null` or `""` in JSON and empty cells in CSV (README: "Empty means absent");
//! - and, pinned by an example of its own, an absent request_unique_identifier is reported
//!   alike however it was left out.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Map, Number, Value, json};

use crate::support::{Run, Store, fixture, reference};

/// Cases of the never-panics property (three runs of the binary each).
const GARBAGE_CASES: u32 = 64;
/// Cases of the same-report property (three runs of the binary each).
const FORMAT_CASES: u32 = 24;

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // No regression files written next to the sources.
        failure_persistence: None,
        // Each shrink step runs the binary three times: keep a failure's cost bounded.
        max_shrink_iters: 48,
        ..Config::default()
    }
}

/// The report, after checking that the run did not panic, exited 0, 1 or 2 and wrote an
/// envelope.
fn sane_report(run: &Run) -> Result<Value, TestCaseError> {
    prop_assert!(!run.panicked(), "cebulk panicked\n{}", run.context());
    prop_assert!(
        matches!(run.code, Some(0..=2)),
        "exit status is not 0, 1 or 2\n{}",
        run.context()
    );
    let report: Value = serde_json::from_slice(&run.stdout)
        .map_err(|e| TestCaseError::fail(format!("stdout is not JSON ({e})\n{}", run.context())))?;
    prop_assert!(
        report["status"]["code"].is_string(),
        "no status.code\n{}",
        run.context()
    );
    prop_assert!(
        report["data"].is_object() || (report["data"].is_null() && run.code == Some(2)),
        "data is neither an object nor null with exit status 2\n{}",
        run.context()
    );
    Ok(report)
}

/// `cebulk --store STORE import --reference REFERENCE --quiet ARGS… FILE` in a fresh store,
/// with the file written beside it first.
fn import(file: &str, contents: &[u8], args: &[&str]) -> Run {
    let store = Store::new();
    let path = store.file(file, contents);
    store
        .cebulk()
        .args(["import", "--reference", &reference(), "--quiet"])
        .args(args)
        .arg(path)
        .run()
}

/// Three imports (each into its own store) at once: they are independent, and most of an
/// import of a small file is waiting, not computing.
fn imports(runs: [(&str, &[u8], &[&str]); 3]) -> [Run; 3] {
    std::thread::scope(|s| {
        runs.map(|(file, contents, args)| s.spawn(move || import(file, contents, args)))
            .map(|handle| handle.join().expect("an import thread"))
    })
}

/// Runs a property with a fixed seed and prints how many times it ran the case body.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    seed: u64,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(config(cases, seed));
    let ran = Cell::new(0u32);
    let result = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        test(value)
    });
    eprintln!(
        "properties: {name}: {} case runs ({cases} cases asked, 3 imports each)",
        ran.get()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Garbage never panics

/// Keys that mean something to cebulk, so that random documents get past the first checks.
const KEYS: &[&str] = &[
    "request_unique_identifier",
    "accounts_receivable_identifier",
    "rewards_participant_identifier",
    "performed_by_unit_identifier",
    "classification_identifier",
    "performed_on",
    "reference_number",
    "website",
    "products_set",
    "product_identifier",
    "measured_key_performance_indicators_set",
    "code",
    "number",
    "name",
    "id",
    "alternative_code",
    "quantity",
    "net_amount",
    "vat_amount",
    "total_amount",
    "udf_string_1",
    "udf_string_16",
    "udf_string_17",
    "udf_float_1",
    "udf_date_4",
    "external_system",
    "external_system_reference_number",
    "invoice_identifier",
    "payment_medium_type_identifier",
    "description",
    "token",
    "fields_set",
    "",
];

/// Strings that mean something to cebulk.
const WORDS: &[&str] = &[
    "ACR0000000077",
    "ACR0000000228",
    "ACR404",
    "RP0000000017",
    "Admin Unit",
    "Serendipity",
    "Bronze",
    "Purchase 1",
    "2016-06-22T15:00:00",
    "2016-06-22",
    "2016-02-30T25:61:61+99:99",
    "1e400",
    "12.50",
    "-1",
    "id,number",
    "",
    " ",
    "\u{0}",
    "\u{FEFF}",
    "é😀",
];

/// Numbers, some out of every range.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.1",
    "120.50",
    "1e400",
    "-1e400",
    "1e-400",
    "1E+2",
    "18446744073709551616",
    "1234567890123456789012345678901234567890",
    "3.14159265358979323846264338327950288",
];

const SET_KEYS: &[&str] = &[
    "purchase_customer_events_set",
    "web_customer_events_set",
    "referral_customer_events_set",
    "financial_achievement_customer_events_set",
    "financial_statement_customer_events_set",
    "coupon_customer_events_set",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_.0-9]{0,10}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(NUMBERS)
            .prop_map(|n| Value::Number(n.parse::<Number>().expect("a JSON number"))),
        prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_owned())),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn jsonish() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..7)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An event-like object: meaningful keys with JSON-ish values; sometimes any JSON value.
fn eventish() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec((key(), jsonish()), 0..9)
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        1 => jsonish(),
    ]
}

/// A document: a set key with events, and other top-level keys.
#[derive(Debug, Clone)]
struct Doc {
    set_key: String,
    events: Vec<Value>,
    extras: Vec<(String, Value)>,
    pretty: bool,
}

impl Doc {
    fn json(&self) -> Vec<u8> {
        let mut top = Map::new();
        for (k, v) in &self.extras {
            top.insert(k.clone(), v.clone());
        }
        top.insert(self.set_key.clone(), Value::Array(self.events.clone()));
        let top = Value::Object(top);
        if self.pretty {
            serde_json::to_vec_pretty(&top).unwrap()
        } else {
            serde_json::to_vec(&top).unwrap()
        }
    }

    fn ndjson(&self) -> Vec<u8> {
        let lines: Vec<String> = self.events.iter().map(Value::to_string).collect();
        lines
            .join(if self.pretty { "\r\n" } else { "\n" })
            .into_bytes()
    }

    /// The events flattened to dotted paths; the header is every path met, in order.
    fn csv(&self) -> Vec<u8> {
        let rows: Vec<Vec<(String, String)>> = self
            .events
            .iter()
            .map(|e| {
                let mut cells = Vec::new();
                flatten("", e, &mut cells);
                cells
            })
            .collect();
        let mut header: Vec<String> = Vec::new();
        for (path, _) in rows.iter().flatten() {
            if !header.contains(path) {
                header.push(path.clone());
            }
        }
        let mut out = csv_line(&header);
        for row in &rows {
            let cells: Vec<String> = header
                .iter()
                .map(|h| {
                    row.iter()
                        .find(|(p, _)| p == h)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect();
            out.push_str(&csv_line(&cells));
        }
        out.into_bytes()
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&join(&i.to_string()), v, out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// One CSV record, quoted where needed, LF-terminated.
fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) || c.starts_with(' ') || c.ends_with(' ') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        prop_oneof![
            5 => prop::sample::select(SET_KEYS).prop_map(str::to_owned),
            1 => key(),
        ],
        prop::collection::vec(eventish(), 0..6),
        prop::collection::vec((key(), jsonish()), 0..3),
        any::<bool>(),
    )
        .prop_map(|(set_key, events, extras, pretty)| Doc {
            set_key,
            events,
            extras,
            pretty,
        })
}

/// One edit of a valid file.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

impl Edit {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match *self {
            Edit::Replace(i, b) if !bytes.is_empty() => {
                let i = at(i, bytes.len());
                bytes[i] = b;
            }
            Edit::Insert(i, b) => {
                let i = at(i, bytes.len() + 1);
                bytes.insert(i, b);
            }
            Edit::Delete(i) if !bytes.is_empty() => {
                let i = at(i, bytes.len());
                bytes.remove(i);
            }
            Edit::Truncate(i) => {
                let i = at(i, bytes.len() + 1);
                bytes.truncate(i);
            }
            _ => {}
        }
    }
}

/// Bytes that matter to the parsers, and any byte.
fn edit_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(&b"{}[],:\"\\\n\r\x00\xff\xc3 0-.e"[..]),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), edit_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        3 => (any::<usize>(), edit_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        3 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// What each case feeds to the three formats.
#[derive(Debug, Clone)]
enum Garbage {
    /// The same random bytes as each format.
    Bytes(Vec<u8>),
    /// A generated document, rendered in each format.
    Doc(Doc),
    /// The seed's purchases (or web) example in each format, edited (after the first line
    /// only, when `body`, so that CSV headers stay readable).
    Edited {
        web: bool,
        body: bool,
        edits: Vec<Edit>,
    },
}

impl Garbage {
    /// The file contents for `.json`, `.ndjson` and `.csv`.
    fn files(&self) -> [Vec<u8>; 3] {
        match self {
            Garbage::Bytes(bytes) => [bytes.clone(), bytes.clone(), bytes.clone()],
            Garbage::Doc(doc) => [doc.json(), doc.ndjson(), doc.csv()],
            Garbage::Edited { web, body, edits } => {
                let kind = if *web { "web" } else { "purchases" };
                ["json", "ndjson", "csv"].map(|ext| {
                    let bytes = std::fs::read(fixture(&format!("requests/{kind}.{ext}")))
                        .expect("a seed request fixture");
                    let split = match body {
                        true => bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1),
                        false => 0,
                    };
                    let (head, tail) = bytes.split_at(split);
                    let mut tail = tail.to_vec();
                    for e in edits {
                        e.apply(&mut tail);
                    }
                    [head, &tail].concat()
                })
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Garbage::Edited { web: true, .. } => "web",
            _ => "purchases",
        }
    }
}

fn garbage() -> impl Strategy<Value = Garbage> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..400).prop_map(Garbage::Bytes),
        4 => doc().prop_map(Garbage::Doc),
        3 => (any::<bool>(), any::<bool>(), prop::collection::vec(edit(), 1..6))
            .prop_map(|(web, body, edits)| Garbage::Edited { web, body, edits }),
    ]
}

#[test]
fn garbage_in_any_format_never_panics() {
    // Exit statuses seen, by format: evidence that the inputs reach past the parsers.
    let seen: RefCell<BTreeMap<String, usize>> = RefCell::default();
    let count = |format: &str, run: &Run| {
        *seen
            .borrow_mut()
            .entry(format!("{format} exit {:?}", run.code))
            .or_default() += 1;
    };
    check(
        "garbage never panics",
        GARBAGE_CASES,
        0x6A7B_A6E0,
        garbage(),
        |garbage| {
            let [json, ndjson, csv] = garbage.files();
            let kind = garbage.kind();
            let with_kind = ["--kind", kind];
            let runs = imports([
                ("input.json", &json, &[]),
                ("input.ndjson", &ndjson, &with_kind),
                ("input.csv", &csv, &with_kind),
            ]);
            for (format, run) in ["json", "ndjson", "csv"].iter().zip(&runs) {
                count(format, run);
                sane_report(run)?;
            }
            Ok(())
        },
    );
    eprintln!("properties: garbage never panics: {:?}", seen.borrow());
}

// ---------------------------------------------------------------------------------------------
// 2. The same events give the same report from every format

/// A decimal with up to two places, as text (a JSON number token and a CSV cell alike).
fn decimal() -> impl Strategy<Value = String> {
    (-2_000i64..200_000, 0u32..=2).prop_map(|(units, places)| {
        if places == 0 {
            return units.to_string();
        }
        let scale = 10i64.pow(places);
        let sign = if units < 0 { "-" } else { "" };
        let abs = units.abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = places as usize
        )
    })
}

#[derive(Debug, Clone)]
struct Product {
    code: Option<String>,
    quantity: Option<String>,
    net: Option<String>,
    vat: Option<String>,
    total: Option<String>,
}

#[derive(Debug, Clone)]
struct Event {
    rui: Option<String>,
    account: Option<String>,
    participant: Option<String>,
    unit: Option<String>,
    performed_on: Option<String>,
    /// `website` of web events, `reference_number` of purchases.
    text: Option<String>,
    products: Vec<Product>,
}

/// The CSV columns (and JSON paths) that the generated events use, in the order both write
/// them.
fn columns(purchases: bool) -> Vec<String> {
    let mut columns: Vec<String> = [
        "request_unique_identifier",
        "accounts_receivable_identifier.number",
        "rewards_participant_identifier.number",
        "performed_by_unit_identifier.name",
        "performed_on",
        if purchases {
            "reference_number"
        } else {
            "website"
        },
    ]
    .map(str::to_owned)
    .to_vec();
    if purchases {
        for i in 0..MAX_PRODUCTS {
            for field in [
                "product_identifier.code",
                "quantity",
                "net_amount",
                "vat_amount",
                "total_amount",
            ] {
                columns.push(format!("products_set.{i}.{field}"));
            }
        }
    }
    columns
}

const MAX_PRODUCTS: usize = 3;

impl Event {
    /// The cells of `columns(purchases)`, `None` for an absent value.
    fn cells(&self, purchases: bool) -> Vec<Option<String>> {
        let mut cells = vec![
            self.rui.clone(),
            self.account.clone(),
            self.participant.clone(),
            self.unit.clone(),
            self.performed_on.clone(),
            self.text.clone(),
        ];
        if purchases {
            for i in 0..MAX_PRODUCTS {
                match self.products.get(i) {
                    Some(p) => cells.extend([
                        p.code.clone(),
                        p.quantity.clone(),
                        p.net.clone(),
                        p.vat.clone(),
                        p.total.clone(),
                    ]),
                    None => cells.extend([None, None, None, None, None]),
                }
            }
        }
        cells
    }

    /// The event as a JSON object: the same values at the same paths, in the same order as
    /// the CSV columns; amounts and quantities as JSON numbers. An absent value is left out,
    /// or written as `null` or `""` (README: "Empty means absent"), except inside identifier
    /// objects, where CSV's empty cell can only mean a left-out field.
    fn json(&self, purchases: bool, absent: Absent) -> Value {
        let mut event = Map::new();
        let cells = self.cells(purchases);
        for (path, cell) in columns(purchases).iter().zip(cells) {
            let parts: Vec<&str> = path.split('.').collect();
            let leaf = *parts.last().unwrap();
            let numeric = matches!(
                leaf,
                "quantity" | "net_amount" | "vat_amount" | "total_amount"
            );
            let value = match cell {
                Some(text) if numeric => Value::Number(text.parse::<Number>().expect("a decimal")),
                Some(text) => Value::String(text),
                None => {
                    let in_identifier =
                        parts.len() >= 2 && parts[parts.len() - 2].ends_with("_identifier");
                    let in_missing_product = parts[0] == "products_set"
                        && parts[1].parse::<usize>().unwrap() >= self.products.len();
                    match absent {
                        _ if in_identifier || in_missing_product => continue,
                        // Pinned on its own below: cebulk echoes `""` in the report here.
                        Absent::Empty if path == "request_unique_identifier" => continue,
                        Absent::Omitted => continue,
                        Absent::Null => Value::Null,
                        Absent::Empty => Value::String(String::new()),
                    }
                }
            };
            insert(&mut event, &parts, value);
        }
        if purchases && self.products.is_empty() {
            match absent {
                Absent::Omitted => {}
                Absent::Null => {
                    event.insert("products_set".to_owned(), Value::Null);
                }
                Absent::Empty => {
                    event.insert("products_set".to_owned(), json!([]));
                }
            }
        }
        Value::Object(event)
    }
}

/// How the JSON formats write a value that the CSV leaves empty.
#[derive(Debug, Clone, Copy)]
enum Absent {
    Omitted,
    Null,
    Empty,
}

/// Inserts `value` at the dotted path `parts` (numeric parts index arrays, filled in order).
fn insert(map: &mut Map<String, Value>, parts: &[&str], value: Value) {
    match parts {
        [leaf] => {
            map.insert((*leaf).to_owned(), value);
        }
        [set, index, rest @ ..] if index.parse::<usize>().is_ok() => {
            let index: usize = index.parse().unwrap();
            let items = map
                .entry((*set).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .unwrap();
            while items.len() <= index {
                items.push(json!({}));
            }
            insert(items[index].as_object_mut().unwrap(), rest, value);
        }
        [object, rest @ ..] => {
            let inner = map
                .entry((*object).to_owned())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap();
            insert(inner, rest, value);
        }
        [] => unreachable!(),
    }
}

fn maybe<T: std::fmt::Debug + Clone>(
    present: u32,
    absent: u32,
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![absent => Just(None), present => s.prop_map(Some)]
}

fn pick(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(words).prop_map(str::to_owned)
}

fn product() -> impl Strategy<Value = Product> {
    (
        maybe(
            20,
            1,
            prop_oneof![
                10 => pick(&["Serendipity", "Bronze", "Silver"]),
                1 => pick(&["Gold", "bronze", "Bronze "]),
            ],
        ),
        maybe(
            1,
            3,
            prop_oneof![8 => 1i64..5, 1 => -1i64..=0].prop_map(|q| q.to_string()),
        ),
        maybe(40, 1, decimal()),
        maybe(40, 1, decimal()),
        maybe(40, 1, decimal()),
    )
        .prop_map(|(code, quantity, net, vat, total)| {
            let mut p = Product {
                code,
                quantity,
                net,
                vat,
                total,
            };
            // A product with no cell at all cannot be written in CSV.
            if p.code.is_none()
                && p.quantity.is_none()
                && p.net.is_none()
                && p.vat.is_none()
                && p.total.is_none()
            {
                p.code = Some("Bronze".to_owned());
            }
            p
        })
}

fn event(purchases: bool) -> impl Strategy<Value = Event> {
    let products = if purchases {
        prop_oneof![
            1 => Just(Vec::new()),
            12 => prop::collection::vec(product(), 1..=MAX_PRODUCTS),
        ]
        .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        maybe(
            20,
            1,
            prop_oneof![
                6 => "[a-z0-9]{1,6}",
                1 => pick(&["1", "01", "x", "a b", "é"]),
            ],
        ),
        maybe(
            20,
            1,
            prop_oneof![
                10 => pick(&["ACR0000000077", "ACR0000000228", "ACR0000000020", "ACR0000000050"]),
                1 => pick(&["ACR404", "acr0000000077", " ACR0000000228"]),
            ],
        ),
        maybe(1, 12, pick(&["RP0000000017", "RP0000000001", "RP404"])),
        maybe(
            20,
            1,
            prop_oneof![
                10 => pick(&["Admin Unit", "Shop Unit"]),
                1 => Just("Back Office".to_owned()),
            ],
        ),
        maybe(
            20,
            1,
            prop_oneof![
                10 => pick(&[
                    "2016-06-22T15:00:00",
                    "2016-06-22",
                    "2016-06-22T15:00:00.250Z",
                    "2016-06-22T15:00:00+02:00",
                ]),
                1 => pick(&["2016-13-40T00:00:00", "yesterday"]),
            ],
        ),
        maybe(
            20,
            1,
            pick(&[
                "www.crm.com",
                "RF01",
                "a,b",
                "say \"hi\"",
                "two\nlines",
                "é ü 😀",
            ]),
        ),
        products,
    )
        .prop_map(
            |(rui, account, participant, unit, performed_on, text, products)| Event {
                rui,
                account,
                participant,
                unit,
                performed_on,
                text,
                products,
            },
        )
}

fn events() -> impl Strategy<Value = (bool, Absent, Vec<Event>)> {
    any::<bool>()
        .prop_flat_map(|purchases| {
            (
                Just(purchases),
                prop::sample::select(&[Absent::Omitted, Absent::Null, Absent::Empty][..]),
                prop::collection::vec(event(purchases), 1..8),
            )
        })
        .prop_map(|(purchases, absent, mut events)| {
            // Consecutive CSV rows with one request_unique_identifier are one event's line
            // items: keep neighbours apart, so that every format sees the same events.
            for i in 1..events.len() {
                if events[i].rui == events[i - 1].rui {
                    events[i].rui = Some(format!("n{i}"));
                }
            }
            (purchases, absent, events)
        })
}

#[test]
fn the_same_events_give_the_same_report_from_json_ndjson_and_csv() {
    // Outcomes seen (processed, or the error code): evidence that the events vary.
    let seen: RefCell<BTreeMap<String, usize>> = RefCell::default();
    check(
        "same report from every format",
        FORMAT_CASES,
        0xF0E_4A75,
        events(),
        |(purchases, absent, events)| {
            let kind = if purchases { "purchases" } else { "web" };
            let objects: Vec<Value> = events.iter().map(|e| e.json(purchases, absent)).collect();
            let set = format!(
                "{}_customer_events_set",
                if purchases { "purchase" } else { "web" }
            );
            let document = json!({"token": "t", set: objects});
            let ndjson: String = objects.iter().map(|o| format!("{o}\n")).collect();
            let mut csv = csv_line(&columns(purchases));
            for e in &events {
                let cells: Vec<String> = e
                    .cells(purchases)
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect();
                csv.push_str(&csv_line(&cells));
            }

            let seed = ["--id-seed", "1"];
            let with_kind = ["--id-seed", "1", "--kind", kind];
            let document = document.to_string();
            let [from_json, from_ndjson, from_csv] = imports([
                ("events.json", document.as_bytes(), &seed),
                ("events.ndjson", ndjson.as_bytes(), &with_kind),
                ("events.csv", csv.as_bytes(), &with_kind),
            ]);
            let json_report = sane_report(&from_json)?;
            prop_assert!(
                json_report["data"].is_object(),
                "the JSON document was rejected\n{}",
                from_json.context()
            );
            for (run, format) in [(&from_ndjson, "NDJSON"), (&from_csv, "CSV")] {
                let report = sane_report(run)?;
                prop_assert_eq!(
                    run.code,
                    from_json.code,
                    "{} and JSON exit differently\nJSON: {}\n{}: {}\ninput CSV:\n{}",
                    format,
                    from_json.context(),
                    format,
                    run.context(),
                    csv
                );
                prop_assert_eq!(
                    &report,
                    &json_report,
                    "{} and JSON reports differ\ninput JSON: {}\ninput CSV:\n{}",
                    format,
                    document,
                    csv
                );
            }
            let data = &json_report["data"];
            let mut seen = seen.borrow_mut();
            for _ in data["processed_customer_events_set"].as_array().unwrap() {
                *seen.entry("processed".to_owned()).or_default() += 1;
            }
            for entry in data["unprocessed_customer_events_set"].as_array().unwrap() {
                let code = entry["error_code"].as_str().unwrap_or("?").to_owned();
                *seen.entry(code).or_default() += 1;
            }
            Ok(())
        },
    );
    eprintln!(
        "properties: same report from every format: events by outcome {:?}",
        seen.borrow()
    );
}

/// README, "Empty means absent": `null`, `""` and `[]` count as not given, and in CSV "empty
/// cells are absent values" (docs/spec.md §1). An event whose request_unique_identifier is not given
/// is reported alike whichever way it was not given.
#[test]
fn an_empty_request_unique_identifier_is_reported_like_an_absent_one() {
    let event = |rui: &str| {
        format!(
            r#"{{"request_unique_identifier":{rui},"accounts_receivable_identifier":{{"number":"ACR0000000020"}},"performed_by_unit_identifier":{{"name":"Admin Unit"}},"performed_on":"2016-06-22T15:00:00","website":"www.crm.com"}}"#
        )
    };
    let document = |rui: &str| format!(r#"{{"web_customer_events_set":[{}]}}"#, event(rui));
    let csv = "request_unique_identifier,accounts_receivable_identifier.number,\
               performed_by_unit_identifier.name,performed_on,website\n\
               ,ACR0000000020,Admin Unit,2016-06-22T15:00:00,www.crm.com\n";
    let runs = [
        (
            "JSON null",
            import("null.json", document("null").as_bytes(), &[]),
        ),
        (
            "JSON \"\"",
            import("empty.json", document(r#""""#).as_bytes(), &[]),
        ),
        (
            "NDJSON \"\"",
            import(
                "empty.ndjson",
                format!("{}\n", event(r#""""#)).as_bytes(),
                &["--kind", "web"],
            ),
        ),
        (
            "CSV empty cell",
            import("empty.csv", csv.as_bytes(), &["--kind", "web"]),
        ),
    ];
    let entries: Vec<(&str, Value)> = runs
        .iter()
        .map(|(what, run)| {
            let report = sane_report(run).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(run.code, Some(1), "{what}\n{}", run.context());
            (
                *what,
                report["data"]["unprocessed_customer_events_set"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        entries[0].1["error_code"], "MissingMandatoryParameterException",
        "{entries:?}"
    );
    for (what, entry) in &entries[1..] {
        assert_eq!(
            entry, &entries[0].1,
            "{what} is reported otherwise than JSON null"
        );
    }
}
