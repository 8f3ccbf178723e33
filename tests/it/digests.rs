//! A re-run recognises the batches an earlier run created, by their digests, without judging
//! their events again: the report, the summary and the store are what judging every event
//! would give (each run here is repeated on a copy of the store without digests, where every
//! batch is judged), including identifiers repeated within the file, batches edited since,
//! events deleted by hand and changed reference data.

use serde_json::Value;

use crate::support::{Run, Store, UNPROCESSED, fixture, set};

/// Web events valid against the fixtures' reference data, one for each `(identifier,
/// website)`, in `format` (`csv` or `ndjson`).
fn file(store: &Store, name: &str, format: &str, events: &[(String, String)]) -> String {
    let text: String = match format {
        "csv" => {
            let mut text = String::from(
                "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website\n",
            );
            for (rui, website) in events {
                text.push_str(&format!(
                    "{rui},ACR0000000020,Admin Unit,2016-06-22T15:00:00,{website}\n"
                ));
            }
            text
        }
        _ => events
            .iter()
            .map(|(rui, website)| format!("{}\n", crate::support::web_event_at(rui, website)))
            .collect(),
    };
    store.file(&format!("{name}.{format}"), text)
}

/// `count` events whose identifiers begin with `prefix`.
fn events(prefix: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            (
                format!("{prefix}{i:03}"),
                format!("https://{prefix}{i}.example/"),
            )
        })
        .collect()
}

/// `cebulk import` of `input` in batches of 10, with the fixtures' reference data.
fn import(store: &Store, input: &str) -> Run {
    import_with(store, input, &["--reference", &fixture("reference")])
}

/// `cebulk import` of `input` in batches of 10, with `extra` arguments.
fn import_with(store: &Store, input: &str, extra: &[&str]) -> Run {
    let summary = store.path("summary.json");
    let args = [
        &[
            "--kind",
            "web",
            "--batch-size",
            "10",
            "--id-seed",
            "3",
            "--quiet",
            "--summary",
            &summary,
        ][..],
        extra,
        &[input],
    ]
    .concat();
    store.import(&args)
}

/// The summary of the last run, without its timings.
fn summary(store: &Store) -> Value {
    let text = std::fs::read_to_string(store.path("summary.json")).expect("the summary");
    let mut summary: Value = serde_json::from_str(&text).unwrap();
    let fields = summary.as_object_mut().unwrap();
    fields.remove("duration_seconds");
    fields.remove("events_per_second");
    summary
}

/// Every event the store holds: its row, id and body.
fn stored(store: &Store) -> Vec<Vec<String>> {
    store.text_rows(
        "SELECT e.seq, i.id, e.request_unique_identifier, e.body
         FROM events e JOIN event_ids i USING (seq) ORDER BY e.seq",
    )
}

/// A copy of `store` without its batch digests: every batch of a re-run there is judged.
fn without_digests(store: &Store) -> Store {
    let judged = store.snapshot();
    judged
        .conn()
        .execute("DELETE FROM batch_digests", [])
        .unwrap();
    judged
}

/// Imports `input` into `store` and, first, into a copy of it without digests, where every
/// batch is judged; asserts that both give the same report, exit status, summary and stored
/// events. The run on `store`.
fn same_as_judged(store: &Store, input: &str) -> Run {
    same_as_judged_with(store, input, &["--reference", &fixture("reference")])
}

/// [`same_as_judged`] with `extra` arguments instead of the reference data.
fn same_as_judged_with(store: &Store, input: &str, extra: &[&str]) -> Run {
    let judged = without_digests(store);
    let expected = import_with(&judged, input, extra);
    let run = import_with(store, input, extra);
    assert_eq!(run.code, expected.code, "{}", run.context());
    assert_eq!(
        run.json(),
        expected.json(),
        "the report, as judging gives it"
    );
    assert_eq!(summary(store), summary(&judged));
    assert_eq!(stored(store), stored(&judged));
    run
}

/// Each event's error code in `report`, in input order, "" for one processed.
fn codes(report: &Value) -> Vec<String> {
    let mut entries: Vec<(String, String)> = set(report, crate::support::PROCESSED)
        .iter()
        .map(|e| (e["request_unique_identifier"].to_string(), String::new()))
        .collect();
    entries.extend(set(report, UNPROCESSED).iter().map(|e| {
        (
            e["request_unique_identifier"].to_string(),
            e["error_code"].as_str().unwrap_or_default().to_owned(),
        )
    }));
    entries.into_iter().map(|(_, code)| code).collect()
}

#[test]
fn a_rerun_of_a_file_is_reported_as_its_first_run_and_creates_nothing() {
    for format in ["csv", "ndjson"] {
        let store = Store::new();
        let input = file(&store, "events", format, &events("r", 35));
        let first = import(&store, &input);
        first.code(0);
        assert_eq!(
            store.count("batch_digests"),
            4,
            "{format}: each batch that created every event, the short last one too"
        );
        let rerun = same_as_judged(&store, &input);
        rerun.code(0);
        assert_eq!(
            rerun.json(),
            first.json(),
            "{format}: the original ids and numbers"
        );
        assert_eq!(store.count("events"), 35);
        assert_eq!(summary(&store)["already_in_store"], 35);
        assert_eq!(store.count("batch_digests"), 4, "nothing recorded twice");
    }
}

#[test]
fn a_batch_read_twice_in_one_file_is_a_repeat_the_second_time() {
    let store = Store::new();
    let batch = events("r", 10);
    let twice = [batch.clone(), batch].concat();
    let input = file(&store, "twice", "ndjson", &twice);
    import(&store, &input).code(1);
    assert_eq!(store.count("batch_digests"), 1);
    let rerun = same_as_judged(&store, &input);
    let codes = codes(&rerun.json());
    assert_eq!(codes.iter().filter(|c| c.is_empty()).count(), 10);
    assert!(
        codes[10..]
            .iter()
            .all(|c| c == "DuplicateRequestUniqueIdentifierException"),
        "{codes:?}"
    );
}

/// Imports two batches of 10 events (identifiers `a000`…, `b000`…) in `format`, then the
/// same with one event of the first batch (`first`) or of the second given the identifier of
/// event `of` of the other batch, through [`same_as_judged`]; the one event unprocessed.
fn rerun_edited(format: &str, first: bool, at: usize, of: usize) -> Value {
    let store = Store::new();
    let (a, b) = (events("a", 10), events("b", 10));
    let input = file(&store, "events", format, &[a.clone(), b.clone()].concat());
    import(&store, &input).code(0);
    let (mut edited, other) = if first { (a, b) } else { (b, a) };
    edited[at] = (other[of].0.clone(), "https://other.example/".into());
    let batches = if first {
        [edited, other]
    } else {
        [other, edited]
    };
    let input = file(&store, "edited", format, &batches.concat());
    let rerun = same_as_judged(&store, &input);
    rerun.code(1);
    let report = rerun.json();
    let unprocessed = set(&report, UNPROCESSED);
    assert_eq!(unprocessed.len(), 1, "{}", rerun.context());
    assert_eq!(
        unprocessed[0]["error_code"],
        "DuplicateRequestUniqueIdentifierException"
    );
    unprocessed[0].clone()
}

#[test]
fn an_identifier_of_a_recognised_batch_is_a_repeat_in_a_later_edited_batch() {
    let unprocessed = rerun_edited("csv", false, 3, 2);
    assert_eq!(unprocessed["request_unique_identifier"], "a002");
}

#[test]
fn a_recognised_batch_whose_identifier_an_earlier_edited_batch_used_is_judged() {
    // The recognised batch's event is the repeat, and the edited one an amended event.
    let unprocessed = rerun_edited("ndjson", true, 0, 5);
    assert_eq!(unprocessed["request_unique_identifier"], "b005");
}

#[test]
fn a_batch_missing_an_event_deleted_by_hand_is_judged_again() {
    let store = Store::new();
    let input = file(&store, "events", "csv", &events("r", 20));
    import(&store, &input).code(0);
    store
        .conn()
        .execute(
            "DELETE FROM events WHERE request_unique_identifier = 'r014'",
            [],
        )
        .unwrap();
    let rerun = same_as_judged(&store, &input);
    rerun.code(0);
    assert_eq!(
        store.count("events"),
        20,
        "the deleted event is created again"
    );
    assert_eq!(summary(&store)["created"], 1);
}

#[test]
fn batches_judged_with_other_reference_data_are_judged_again() {
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 20));
    import(&store, &input).code(0);
    // The account number the events name moves to a new record: the events now resolve to
    // it, so they are other events than those stored, and are created.
    let renamed = store.file(
        "renamed.json",
        std::fs::read_to_string(fixture("reference.json"))
            .unwrap()
            .replace("ACR0000000020", "ACR0000000999"),
    );
    store.run(&["reference", "load", &renamed]).code(0);
    let added = store.file(
        "added.json",
        r#"{"accounts_receivable": [{"id": "NEWACCOUNT0000000000000000000001", "number": "ACR0000000020", "name": "New Account"}]}"#,
    );
    store.run(&["reference", "load", &added]).code(0);
    // The reference data is the store's from now on.
    let rerun = same_as_judged_with(&store, &input, &[]);
    rerun.code(0);
    assert_eq!(summary(&store)["created"], 20, "{}", rerun.context());
    assert_eq!(store.count("events"), 40);
}

#[test]
fn a_batch_recognised_by_its_digest_is_not_judged_again() {
    // What shows it: a stored body changed by hand (damage no run makes) still stands for
    // the event read, where judging finds the event changed and creates an amended one.
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 10));
    let first = import(&store, &input);
    store
        .conn()
        .execute(
            "UPDATE events SET body = '{}' WHERE request_unique_identifier = 'r004'",
            [],
        )
        .unwrap();
    let judged = without_digests(&store);
    assert_eq!(import(&store, &input).json(), first.json());
    assert_eq!(store.count("events"), 10);
    import(&judged, &input).code(0);
    assert_eq!(judged.count("events"), 11);
}

#[test]
fn a_dry_run_and_a_request_document_record_no_digest() {
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 10));
    let reference = fixture("reference");
    store
        .import(&[
            "--kind",
            "web",
            "--reference",
            &reference,
            "--dry-run",
            &input,
        ])
        .code(0);
    assert_eq!(store.count_or_zero("batch_digests"), 0);
    store
        .import(&["--reference", &reference, &fixture("requests/web.json")])
        .code_without_panic(1);
    assert_eq!(
        store.count("batch_digests"),
        0,
        "events of a request document"
    );
}

#[test]
fn batches_after_some_not_recorded_are_still_recognised() {
    // Five batches of 10 with an unprocessed event each (never recorded), then 45 batches
    // recorded. The re-run stops looking batches up after the first misses, and looks one
    // up now and then: found, it looks them all up again. A body changed by hand in a late
    // batch shows it was recognised, not judged (judging creates an amended event).
    let store = Store::new();
    let mut events = events("r", 500);
    for batch in 0..5 {
        events[batch * 10 + 3].0 = String::new();
    }
    let input = file(&store, "events", "ndjson", &events);
    import(&store, &input).code(1);
    assert_eq!(store.count("batch_digests"), 45);
    store
        .conn()
        .execute(
            "UPDATE events SET body = '{}' WHERE request_unique_identifier = 'r455'",
            [],
        )
        .unwrap();
    let judged = without_digests(&store);
    import(&store, &input).code(1);
    assert_eq!(store.count("events"), 495, "recognised, not judged");
    import(&judged, &input).code(1);
    assert_eq!(judged.count("events"), 496);
}

/// Loads a reference record that no event names: the reference data, and so the key of
/// every batch's digest, changes, and the events' judging does not.
fn add_a_record_no_event_names(store: &Store) {
    let added = store.file(
        "added.json",
        r#"{"products": [{"id": "ADDEDPRODUCT00000000000000000001", "code": "Added", "alternative_code": "ADD"}]}"#,
    );
    store.run(&["reference", "load", &added]).code(0);
}

/// Changes the stored body of the event `rui` by hand (damage no run makes): a batch
/// recognised by its digest still stands for the event read, where judging finds the event
/// changed and creates an amended one. So a re-run on `store` that creates no event, where
/// the same on a copy without digests creates one, recognised `rui`'s batch.
fn assert_recognised(store: &Store, input: &str, rui: &str, first: &Run) {
    store
        .conn()
        .execute(
            "UPDATE events SET body = '{}' WHERE request_unique_identifier = ?1",
            [rui],
        )
        .unwrap();
    let events = store.count("events");
    let judged = without_digests(store);
    assert_eq!(import(store, input).json(), first.json());
    assert_eq!(store.count("events"), events, "recognised, not judged");
    import(&judged, input).code(0);
    assert_eq!(judged.count("events"), events + 1);
}

#[test]
fn a_rerun_after_the_reference_data_changed_records_its_batches_for_the_next_one() {
    // Also what a re-run does after cebulk is upgraded: its version is in the key as well.
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 20));
    let first = import(&store, &input);
    first.code(0);
    assert_eq!(store.count("batch_digests"), 2);
    add_a_record_no_event_names(&store);
    let rerun = same_as_judged(&store, &input);
    assert_eq!(rerun.json(), first.json());
    assert_eq!(store.count("events"), 20);
    assert_eq!(
        store.count("batch_digests"),
        4,
        "each batch recorded under the new key too"
    );
    assert_recognised(&store, &input, "r014", &first);
    store.run(&["check"]).code(0);
}

#[test]
fn a_rerun_batch_with_an_identifier_two_stored_events_share_is_not_recorded() {
    // Two recorded batches never share an identifier, which the repeat rule relies on.
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 10));
    import(&store, &input).code(0);
    let mut amended = events("r", 10);
    amended[4].1 = "https://amended.example/".into();
    let amended = file(&store, "amended", "ndjson", &amended[4..5]);
    import(&store, &amended).code(0);
    assert_eq!(store.count("events"), 11, "an amended event, with r004");
    assert_eq!(store.count("batch_digests"), 1);
    add_a_record_no_event_names(&store);
    same_as_judged(&store, &input).code(0);
    assert_eq!(store.count("events"), 11);
    assert_eq!(
        store.count("batch_digests"),
        1,
        "the re-run recorded nothing"
    );
}

#[test]
fn a_batch_whose_events_were_all_deleted_is_recorded_anew_when_created_again() {
    let store = Store::new();
    let input = file(&store, "events", "ndjson", &events("r", 20));
    let first = import(&store, &input);
    first.code(0);
    store
        .conn()
        .execute(
            "DELETE FROM events WHERE request_unique_identifier >= 'r010'",
            [],
        )
        .unwrap();
    store.run(&["check"]).code(3);
    let rerun = same_as_judged(&store, &input);
    assert_eq!(summary(&store)["created"], 10, "{}", rerun.context());
    assert_eq!(store.count("batch_digests"), 2, "its row replaced");
    store.run(&["check"]).code(0);
    let rerun = import(&store, &input);
    assert_recognised(&store, &input, "r015", &rerun);
}
