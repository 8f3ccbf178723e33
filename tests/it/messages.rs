//! Messages a person can act on (docs/spec.md §6): a fatal error is one line, `cebulk: `,
//! the path given and the cause, then a `hint: ` line; no diagnostic code, no SQLite error
//! said twice. Each mistake with the store's path says what it is: no file for a command
//! that reads, a directory, a read-only file, a read-only or missing directory. A missing
//! `--kind` lists the kinds; a rejected input is a plain line, before the summary.

use std::os::unix::fs::PermissionsExt;

use crate::support::{Cebulk, Run, Store, can_run_unprivileged, fixture, reference};

/// Standard error's lines, after checking that they are one `cebulk: ` line and one
/// `hint: ` line, with nothing of miette's decoration.
fn message(run: &Run) -> (String, String) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("cebulk: ") && lines[1].starts_with("hint: "),
        "not one error line and one hint\n{}",
        run.context()
    );
    for noise in ["cebulk::", "×", "╰", "Error code"] {
        assert!(!run.stderr.contains(noise), "{noise:?}\n{}", run.context());
    }
    (lines[0].to_owned(), lines[1].to_owned())
}

/// The commands that read the store and need one to be there.
const READING: [&[&str]; 4] = [
    &["events"],
    &["events", "--count"],
    &["events", "--format", "csv"],
    &["check"],
];

#[test]
fn a_missing_store_is_an_error_for_every_command_that_reads_it() {
    let store = Store::new();
    for args in READING {
        let run = store.run(args);
        run.code_without_panic(3);
        assert!(run.stdout.is_empty(), "{}", run.context());
        let (line, hint) = message(&run);
        assert_eq!(
            line,
            format!(
                "cebulk: there is no store at {}: no such file",
                store.db().display()
            ),
            "{args:?}"
        );
        assert!(
            hint.contains("--store") && hint.contains("CEBULK_STORE"),
            "{hint}"
        );
    }
    // The path as given, relative here.
    let run = Cebulk::new()
        .dir(store.dir())
        .store("typo.db")
        .arg("events")
        .run();
    run.code(3);
    assert!(
        message(&run).0.contains("no store at typo.db"),
        "{}",
        run.context()
    );
    assert!(store.file_names().is_empty(), "{:?}", store.file_names());
}

#[test]
fn a_directory_as_the_store_says_so_for_every_command() {
    let store = Store::new();
    std::fs::create_dir(store.db()).unwrap();
    let purchases = fixture("requests/purchases.json");
    let reference = reference();
    let commands: Vec<Vec<&str>> = vec![
        vec!["import", "--quiet", &purchases],
        vec!["import", "--quiet", "--dry-run", &purchases],
        vec!["reference", "load", &reference],
        vec!["events"],
        vec!["check"],
    ];
    for args in commands {
        let run = store.run(&args);
        run.code_without_panic(3);
        let (line, hint) = message(&run);
        let path = store.db().display().to_string();
        assert_eq!(
            line,
            format!("cebulk: {path} is not a cebulk store: it is a directory")
        );
        assert!(hint.contains(&format!("{path}/cebulk.db")), "{hint}");
    }
}

#[test]
fn a_store_in_a_directory_that_does_not_exist_names_the_directory() {
    let store = Store::new();
    let path = store.dir().join("nodir").join("s.db");
    for args in [
        &["import", "--quiet", &fixture("requests/web.json")][..],
        &["reference", "load", &reference()],
    ] {
        let run = Cebulk::new().store(&path).args(args).run();
        run.code_without_panic(3);
        let (line, hint) = message(&run);
        assert_eq!(
            line,
            format!(
                "cebulk: cannot write to the store {}: its directory {} does not exist",
                path.display(),
                store.dir().join("nodir").display()
            )
        );
        assert!(hint.contains("create the directory"), "{hint}");
        assert!(
            run.stdout.is_empty(),
            "no report before the store is opened"
        );
    }
}

#[test]
fn a_damaged_store_file_says_sqlites_error_once() {
    let store = Store::new();
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 4096));
    std::fs::write(store.db(), bytes).unwrap();
    let run = store.run(&["events"]);
    run.code_without_panic(3);
    let line = &run.stderr;
    assert_eq!(line.lines().count(), 1, "{}", run.context());
    assert!(
        line.starts_with(&format!(
            "cebulk: cannot open the store {}: ",
            store.db().display()
        )) && line.matches("file is not a database").count() == 1,
        "{}",
        run.context()
    );
}

/// A store directory open to the unprivileged user, with a store holding the reference
/// data; `None` (and a note) when no permission can fail here.
fn store_for_permissions() -> Option<Store> {
    if !can_run_unprivileged() {
        eprintln!("skipped: running as root without setpriv, so no permission can fail");
        return None;
    }
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    std::fs::set_permissions(store.dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(store.db(), std::fs::Permissions::from_mode(0o666)).unwrap();
    Some(store)
}

#[test]
fn a_read_only_store_file_is_refused_by_commands_that_write_and_read_by_the_others() {
    let Some(store) = store_for_permissions() else {
        return;
    };
    std::fs::set_permissions(store.db(), std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(store.db()).unwrap();
    for args in [
        &["import", "--quiet", &fixture("requests/web.json")][..],
        &["reference", "load", &reference()],
    ] {
        let run = store.cebulk().unprivileged().args(args).run();
        run.code_without_panic(3);
        let (line, hint) = message(&run);
        assert_eq!(
            line,
            format!(
                "cebulk: cannot write to the store {}: the file is read-only (its permissions do not let this user write to it)",
                store.db().display()
            )
        );
        assert!(hint.contains("chmod"), "{hint}");
        assert!(
            run.stdout.is_empty(),
            "no report: nothing was imported\n{}",
            run.context()
        );
    }
    assert_eq!(std::fs::read(store.db()).unwrap(), before);
    for args in [
        &["events"][..],
        &["check"],
        &[
            "import",
            "--quiet",
            "--dry-run",
            &fixture("requests/web.json"),
        ],
    ] {
        let run = store.cebulk().unprivileged().args(args).run();
        assert!(
            matches!(run.code, Some(0 | 1)),
            "reads a read-only store\n{}",
            run.context()
        );
    }
}

#[test]
fn a_store_in_a_read_only_directory_is_refused_by_commands_that_write() {
    let Some(store) = store_for_permissions() else {
        return;
    };
    let new = store.dir().join("new.db");
    std::fs::set_permissions(store.dir(), std::fs::Permissions::from_mode(0o555)).unwrap();
    for path in [store.db(), new.clone()] {
        let run = Cebulk::new()
            .unprivileged()
            .store(&path)
            .args(["import", "--quiet", &fixture("requests/web.json")])
            .run();
        run.code_without_panic(3);
        let (line, hint) = message(&run);
        assert_eq!(
            line,
            format!(
                "cebulk: cannot write to the store {}: its directory {} is read-only for this user, and SQLite writes its journal beside the store",
                path.display(),
                store.dir().display()
            )
        );
        assert!(hint.contains("directory writable"), "{hint}");
    }
    assert!(!new.exists());
    let listing = store.cebulk().unprivileged().arg("events").run();
    listing.code_without_panic(0);
    std::fs::set_permissions(store.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_missing_kind_lists_the_kinds() {
    let store = Store::new();
    let run = store.import(&[&fixture("requests/purchases.csv")]);
    run.code_without_panic(2);
    let line = run.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{}", run.context());
    assert!(
        line.starts_with("cebulk: ") && line.contains("need --kind"),
        "{line}"
    );
    for kind in crate::support::KINDS {
        assert!(line.contains(kind), "{kind} is not listed: {line}");
    }
    assert!(!store.exists(), "nothing was opened");
}

#[test]
fn a_rejected_input_is_a_plain_line_and_the_summary_comes_after_it() {
    let store = Store::new();
    let missing = store.path("missing.json");
    let run = store.import(&[
        "--reference",
        &reference(),
        &fixture("requests/web.json"),
        &missing,
    ]);
    run.code_without_panic(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", run.context());
    assert!(
        lines[0].starts_with(&format!("cebulk: {missing}: the input cannot be read")),
        "{}",
        run.context()
    );
    assert!(
        lines[1].contains("events read"),
        "the summary is last\n{}",
        run.context()
    );
}

#[test]
fn a_run_that_ends_in_a_fatal_error_prints_no_summary() {
    let store = Store::new();
    std::fs::create_dir(store.dir().join("out")).unwrap();
    let run = store.import(&[
        "--reference",
        &reference(),
        "--report",
        &store.path("out"),
        &fixture("requests/web.json"),
    ]);
    run.code_without_panic(3);
    let (line, _) = message(&run);
    assert!(
        line.contains("cannot write the report"),
        "{}",
        run.context()
    );
    assert!(!run.stderr.contains("events read"), "{}", run.context());
}

#[test]
fn every_help_has_examples_and_import_help_the_exit_statuses() {
    for args in [
        &["--help"][..],
        &["import", "--help"],
        &["reference", "--help"],
        &["reference", "load", "--help"],
        &["events", "--help"],
        &["check", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let run = Cebulk::new().args(args).run();
        run.code(0);
        let help = run.stdout_text();
        assert!(help.contains("Examples:\n  "), "{args:?}\n{help}");
        assert!(help.contains("\n    $ cebulk "), "{args:?}\n{help}");
    }
    let import = Cebulk::new().args(["import", "--help"]).run().stdout_text();
    for status in ["0", "1", "2", "3", "130", "143"] {
        assert!(
            import.contains(&format!("\n  {status}  ")),
            "exit status {status}\n{import}"
        );
    }
    let events = Cebulk::new().args(["events", "--help"]).run().stdout_text();
    for flag in [
        "--rid",
        "--account",
        "--since",
        "--until",
        "--limit",
        "--count",
        "ndjson",
    ] {
        assert!(events.contains(flag), "{flag}\n{events}");
    }
}
