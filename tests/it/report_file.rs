//! The report file and the standard streams: a closed or abandoned standard error or
//! output never makes cebulk panic (docs/spec.md §4, §6).

use crate::support::{Cebulk, Store, fixture, gone_reader, reference};

// ---------------------------------------------------------------------------------------------
// Standard error and output that nobody reads

/// Commands that write to standard error, each with its exit status.
fn commands_that_talk(store: &Store) -> Vec<(&'static str, Cebulk, i32)> {
    let web = fixture("requests/web.json");
    let broken = store.file("broken.json", "{");
    let csv = store.file("events.csv", "request_unique_identifier\n1\n");
    vec![
        (
            "an import with a summary",
            store
                .cebulk()
                .args(["import", "--reference", &reference(), &web]),
            1,
        ),
        (
            "an import with a rejected input",
            store.cebulk().args(["import", &web, &broken]),
            2,
        ),
        ("a usage error", store.cebulk().args(["import", &csv]), 2),
        (
            "a store that cannot be opened",
            Cebulk::new()
                .dir(store.dir())
                .store(store.dir())
                .args(["import", &web]),
            3,
        ),
        (
            "a reference load",
            store.cebulk().args(["reference", "load", &reference()]),
            0,
        ),
    ]
}

/// Runs each of [`commands_that_talk`] on a fresh store with `stderr` applied, and checks
/// that it ends as it does with standard error read, and imports what it does.
fn talk_into(what: &str, stderr: impl Fn(Cebulk) -> Cebulk) {
    let heard = Store::new();
    let unheard = Store::new();
    for ((name, normal, code), (_, muted, _)) in commands_that_talk(&heard)
        .into_iter()
        .zip(commands_that_talk(&unheard))
    {
        let normal = normal.run();
        normal.code_without_panic(code);
        let muted = stderr(muted).run();
        assert_eq!(
            muted.code,
            Some(code),
            "{name}, standard error {what}: not the exit status it has otherwise\n{}",
            muted.context()
        );
        assert_eq!(
            heard.count_or_zero("events"),
            unheard.count_or_zero("events"),
            "{name}, standard error {what}: the store holds other events"
        );
    }
    assert_eq!(unheard.count("events"), 2);
}

#[test]
fn a_closed_stderr_changes_nothing_but_the_messages() {
    talk_into("closed", |cebulk| cebulk.shell("exec 2>&-"));
}

#[test]
fn a_stderr_whose_reader_is_gone_changes_nothing_but_the_messages() {
    talk_into("gone", |cebulk| cebulk.stderr(gone_reader()));
}

#[test]
fn a_stdout_whose_reader_is_gone_is_not_a_failure() {
    let store = Store::new();
    let run = store
        .cebulk()
        .args([
            "import",
            "--reference",
            &reference(),
            &fixture("requests/web.json"),
        ])
        .stdout(gone_reader())
        .run();
    run.code_without_panic(1);
    assert_eq!(store.count("events"), 2);
    let listing = store.cebulk().arg("events").stdout(gone_reader()).run();
    listing.code_without_panic(0);
    let both = store
        .cebulk()
        .arg("events")
        .stdout(gone_reader())
        .stderr(gone_reader())
        .run();
    assert_eq!(both.code, Some(0), "{}", both.context());
}
