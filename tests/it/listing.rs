//! `cebulk events` (docs/spec.md §6): every filter (`--kind`, `--rid`, `--account`,
//! `--since`, `--until`, `--limit`) picks exactly its events, alone and together, in every
//! format (JSON, NDJSON, CSV) and in `--count`; each resolved identifier shows its record's
//! natural key (and an account's name) beside its id, in each format.

use serde_json::{Value, json};

use crate::support::{Store, fixture, ndjson, reference, reference_id, web_event_at};

/// A web event of account `account` performed at `performed_on`.
fn web(rui: &str, account: &str, performed_on: &str) -> Value {
    let mut event = web_event_at(rui, "www.crm.com");
    event["accounts_receivable_identifier"] = json!({ "number": account });
    event["performed_on"] = json!(performed_on);
    event
}

const ANDREAS: &str = "ACR0000000020";
const KATERINA: &str = "ACR0000000050";

/// A store holding the seed's purchases, with the reference data: `31` and `32` created.
fn purchases() -> Store {
    let store = Store::new();
    let purchases = fixture("requests/purchases.json");
    store
        .import(&["--quiet", "--reference", &reference(), &purchases])
        .code(1);
    store
}

/// A store holding the seed's two purchases (`31`, `32`, of ACR0000000228, performed
/// 2016-06-22T15:00:00) and web events around June 2016, in two runs: the second reuses
/// `w3` with other content, which makes a second event with that identifier.
fn store() -> Store {
    let store = purchases();
    let first = [
        web("w1", ANDREAS, "2016-05-31T23:59:59"),
        // 2016-05-31T23:00:00Z: before June.
        web("w2", ANDREAS, "2016-06-01T01:00:00+02:00"),
        web("w3", KATERINA, "2016-06-01"),
        web("w4", ANDREAS, "2016-06-30T23:59:59.999999999"),
        // 2016-06-30T23:00:00Z: in June.
        web("w5", KATERINA, "2016-07-01T01:00:00+02:00"),
        web("w6", ANDREAS, "2016-07-01"),
        // The same identifier as a purchase: another kind.
        web("31", ANDREAS, "2016-06-22"),
    ];
    let file = store.file("first.ndjson", ndjson(&first));
    store.import(&["--quiet", "--kind", "web", &file]).code(0);
    let mut again = web("w3", KATERINA, "2016-06-02");
    again["website"] = json!("www.example.com");
    // No account named: the rewards participant's, ACR0000000050, is the event's account.
    let mut participant = web("p1", KATERINA, "2016-08-01");
    let event = participant.as_object_mut().unwrap();
    event.remove("accounts_receivable_identifier");
    event.insert(
        "rewards_participant_identifier".into(),
        json!({"number": "RP0000000004"}),
    );
    let file = store.file("second.ndjson", ndjson(&[again, participant]));
    store.import(&["--quiet", "--kind", "web", &file]).code(0);
    store
}

/// `cebulk events ARGS… --format ndjson`, as `kind:rui` a line, after checking that the
/// JSON listing holds the same events, the CSV listing as many rows, and `--count` their
/// number.
fn listed(store: &Store, args: &[&str]) -> Vec<String> {
    let run = |extra: &[&str]| {
        let run = store.cebulk().arg("events").args(args).args(extra).run();
        run.code_without_panic(0);
        run
    };
    let lines = run(&["--format", "ndjson"]).stdout_text();
    let events: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("an NDJSON line is an event"))
        .collect();
    assert_eq!(
        run(&["--format", "json"]).json(),
        Value::Array(events.clone()),
        "{args:?}: JSON and NDJSON list the same events"
    );
    let csv = run(&["--format", "csv"]).stdout_text();
    let rows = csv.lines().count().saturating_sub(1);
    assert_eq!(rows, events.len(), "{args:?}: CSV rows\n{csv}");
    let counted = run(&["--count"]).stdout_text();
    assert_eq!(counted, format!("{}\n", events.len()), "{args:?}: --count");
    events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap(),
                e["request_unique_identifier"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn each_filter_picks_exactly_its_events_in_every_format_and_in_count() {
    let store = store();
    let web = |ruis: &[&str]| ruis.iter().map(|r| format!("web:{r}")).collect::<Vec<_>>();
    let all = [
        vec!["purchases:31".to_owned(), "purchases:32".to_owned()],
        web(&["w1", "w2", "w3", "w4", "w5", "w6", "31", "w3", "p1"]),
    ]
    .concat();
    assert_eq!(listed(&store, &[]), all, "by kind, then number");
    assert_eq!(listed(&store, &["--kind", "web"]), all[2..]);
    assert_eq!(
        listed(&store, &["--kind", "referrals"]),
        Vec::<String>::new()
    );
    // An identifier reused with other content, and one used by two kinds.
    assert_eq!(listed(&store, &["--rid", "w3"]), web(&["w3", "w3"]));
    assert_eq!(listed(&store, &["--rid", "31"]), ["purchases:31", "web:31"]);
    assert_eq!(listed(&store, &["--rid", "nope"]), Vec::<String>::new());
    assert_eq!(
        listed(&store, &["--account", KATERINA]),
        web(&["w3", "w5", "w3", "p1"])
    );
    assert_eq!(
        listed(&store, &["--account", "ACR0000000228"]),
        ["purchases:31", "purchases:32"]
    );
    // --since is inclusive, --until exclusive, offsets count.
    assert_eq!(
        listed(
            &store,
            &[
                "--kind",
                "web",
                "--since",
                "2016-06-01",
                "--until",
                "2016-07-01"
            ]
        ),
        web(&["w3", "w4", "w5", "31", "w3"])
    );
    assert_eq!(
        listed(&store, &["--since", "2016-07-01"]),
        web(&["w6", "p1"])
    );
    assert_eq!(
        listed(
            &store,
            &["--until", "2016-06-01T00:00:00Z", "--kind", "web"]
        ),
        web(&["w1", "w2"])
    );
    assert_eq!(
        listed(
            &store,
            &[
                "--since",
                "2016-06-22T17:00:00+02:00",
                "--until",
                "2016-06-22T15:00:00.000000001"
            ]
        ),
        ["purchases:31", "purchases:32"]
    );
    assert_eq!(listed(&store, &["--limit", "3"]), all[..3]);
    assert_eq!(listed(&store, &["--limit", "0"]), Vec::<String>::new());
    assert_eq!(
        listed(&store, &["--kind", "web", "--limit", "100"]),
        all[2..]
    );
    // The participant's natural key beside its id.
    let run = store.run(&["events", "--rid", "p1"]);
    run.code(0);
    assert_eq!(
        run.json()[0]["rewards_participant_identifier"],
        json!({
            "id": reference_id("rewards_participants", "number", "RP0000000004"),
            "number": "RP0000000004"
        })
    );
    // Every filter together.
    assert_eq!(
        listed(
            &store,
            &[
                "--kind",
                "web",
                "--account",
                ANDREAS,
                "--since",
                "2016-06-01",
                "--limit",
                "2"
            ]
        ),
        web(&["w4", "w6"])
    );
    assert_eq!(
        listed(
            &store,
            &[
                "--rid",
                "w3",
                "--account",
                KATERINA,
                "--until",
                "2016-06-02"
            ]
        ),
        web(&["w3"])
    );
}

#[test]
fn an_account_the_reference_data_does_not_hold_lists_nothing_and_says_so() {
    let store = store();
    let run = store.run(&["events", "--account", "ACR9999", "--format", "ndjson"]);
    run.code_without_panic(0);
    assert!(run.stdout.is_empty(), "{}", run.context());
    assert!(
        run.stderr.contains("no account numbered ACR9999"),
        "{}",
        run.context()
    );
    assert_eq!(
        listed(&store, &["--account", "ACR9999"]),
        Vec::<String>::new()
    );
}

#[test]
fn bad_filter_values_are_usage_errors() {
    let store = store();
    for args in [
        &["--since", "2016-13-01"][..],
        &["--until", "22/06/2016"],
        &["--since", "2016-06-22 15:00:00"],
        &["--limit", "-1"],
        &["--count", "--format", "csv"],
    ] {
        let run = store.cebulk().arg("events").args(args).run();
        run.code_without_panic(2);
        assert!(run.stdout.is_empty(), "{}", run.context());
    }
    let run = store.run(&["events", "--since", "yesterday"]);
    assert!(
        run.stderr.contains("YYYY-MM-DD"),
        "the message gives the forms\n{}",
        run.context()
    );
}

#[test]
fn identifiers_show_their_natural_keys_beside_their_ids_in_every_format() {
    let store = purchases();
    let account = json!({
        "id": reference_id("accounts_receivable", "number", "ACR0000000228"),
        "number": "ACR0000000228",
        "name": "Costas Charalambous"
    });
    let unit = json!({"id": reference_id("units", "name", "Admin Unit"), "name": "Admin Unit"});
    let product = |code: &str| json!({"id": reference_id("products", "code", code), "code": code});

    let json_run = store.run(&["events"]);
    json_run.code(0);
    let events = json_run.json();
    let first = &events[0];
    assert_eq!(first["accounts_receivable_identifier"], account);
    assert_eq!(first["performed_by_unit_identifier"], unit);
    assert_eq!(
        first["products_set"][0]["product_identifier"],
        product("Serendipity")
    );
    assert_eq!(
        first["products_set"][1]["product_identifier"],
        product("Bronze")
    );

    let ndjson_run = store.run(&["events", "--format", "ndjson"]);
    ndjson_run.code(0);
    let text = ndjson_run.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let line: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(&line, first, "an NDJSON line is the JSON listing's event");
    assert!(
        !lines[0].contains("\n  "),
        "one event a line, not pretty-printed"
    );

    let csv_run = store.run(&["events", "--format", "csv"]);
    csv_run.code(0);
    let csv = csv_run.stdout_text();
    let mut rows = csv.lines().map(|line| line.split(',').collect::<Vec<_>>());
    let header = rows.next().unwrap();
    let row = rows.next().unwrap();
    let cell = |column: &str| {
        let at = header
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
        row[at]
    };
    assert_eq!(cell("accounts_receivable_identifier.id"), account["id"]);
    assert_eq!(
        cell("accounts_receivable_identifier.number"),
        "ACR0000000228"
    );
    assert_eq!(
        cell("accounts_receivable_identifier.name"),
        "Costas Charalambous"
    );
    assert_eq!(cell("performed_by_unit_identifier.name"), "Admin Unit");
    assert_eq!(
        cell("products_set.0.product_identifier.code"),
        "Serendipity"
    );
    assert_eq!(cell("products_set.1.product_identifier.code"), "Bronze");
    // The natural key sits next to the id.
    let at = |column: &str| header.iter().position(|c| *c == column).unwrap();
    assert_eq!(
        at("accounts_receivable_identifier.number"),
        at("accounts_receivable_identifier.id") + 1
    );
}

#[test]
fn an_empty_listing_is_an_empty_array_in_json_and_nothing_in_csv_and_ndjson() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let empty = |format: &str| {
        let run = store.run(&["events", "--format", format]);
        run.code_without_panic(0);
        run.stdout_text()
    };
    assert_eq!(empty("json"), "[]\n");
    assert_eq!(empty("ndjson"), "");
    assert_eq!(empty("csv"), "");
    let run = store.run(&["events", "--count"]);
    run.code(0);
    assert_eq!(run.stdout_text(), "0\n");
}

/// A listing of more than a few thousand events is made in chunks, on as many threads as
/// there are cores (up to 4), and must be byte for byte the listing made on one thread,
/// which `--limit` (counted across chunks) gives. The events span two kinds and chunks;
/// some late ones have fields no earlier event has (a CSV column first met in a later
/// chunk), and two accounts alternate (records named again in each chunk).
#[test]
fn a_listing_made_in_chunks_is_the_listing_made_on_one_thread() {
    let store = purchases();
    let events: Vec<Value> = (0..5000)
        .map(|i| {
            let account = if i % 3 == 0 { KATERINA } else { ANDREAS };
            let day = 1 + i % 28;
            let mut event = web(&format!("c{i:05}"), account, &format!("2016-06-{day:02}"));
            if i >= 4500 && i % 7 == 0 {
                event["external_system"] = json!("partner");
                event["external_system_reference_number"] = json!(format!("ref-{i}"));
            }
            event
        })
        .collect();
    let file = store.file("many.ndjson", ndjson(&events));
    store
        .import(&["--quiet", "--kind", "web", "--batch-size", "1000", &file])
        .code(0);
    let list = |args: &[&str]| {
        let run = store.cebulk().arg("events").args(args).run();
        run.code_without_panic(0);
        run.stdout_text()
    };
    for format in ["json", "ndjson", "csv"] {
        for filter in [
            &[][..],
            &["--kind", "web"],
            &["--since", "2016-06-10", "--until", "2016-06-20"],
            &["--account", KATERINA],
        ] {
            let args = [&["--format", format][..], filter].concat();
            let chunked = list(&args);
            let one_thread = list(&[&args[..], &["--limit", "1000000"]].concat());
            assert!(
                chunked == one_thread,
                "{args:?}: the listing in chunks differs from the one made on one thread"
            );
            assert!(chunked.len() > 100_000, "{args:?}: a listing of thousands");
        }
    }
    let csv = list(&["--format", "csv"]);
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with("external_system,external_system_reference_number"),
        "a column first met in a late chunk comes last: {header}"
    );
}

/// A listing taken while another connection holds the store's write lock (a long reference
/// load) cannot take it to give its threads one snapshot: it is made on one thread, whole,
/// instead of failing.
#[test]
fn a_listing_while_a_writer_holds_the_store_is_made_whole_on_one_thread() {
    let store = store();
    let list = || {
        let run = store.cebulk().args(["events", "--format", "ndjson"]).run();
        run.code_without_panic(0);
        run.stdout_text()
    };
    let expected = list();
    let writer = store.conn();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(list(), expected);
    writer.execute_batch("ROLLBACK").unwrap();
}
