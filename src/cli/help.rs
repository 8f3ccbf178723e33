//! The prose of `--help` and of the man page that clap cannot derive: each command's
//! examples, the exit statuses and the environment. Written once, shown in both.

/// The exit statuses, as `import --help` and the man page list them.
pub const EXIT_STATUSES: &[(&str, &str)] = &[
    ("0", "every event processed (or the command succeeded)"),
    (
        "1",
        "finished, with some events unprocessed (listed in the report)",
    ),
    (
        "2",
        "the invocation or a whole input was rejected; nothing was imported from it",
    ),
    (
        "3",
        "store or I/O failure (batches committed before it stay; once its cause is fixed, a re-run finishes the job), a store path that cannot be used (no such file for a command that reads, a directory, not writable), or a problem that `check` found",
    ),
    (
        "4",
        "stopped by --max-errors N: more than N events unprocessed; the batches committed before it are reported",
    ),
    (
        "130",
        "interrupted by SIGINT: the batches committed before it are reported; a re-run finishes the job",
    ),
    (
        "143",
        "interrupted by SIGTERM: the batches committed before it are reported; a re-run finishes the job",
    ),
];

/// The environment variables cebulk reads.
pub const ENVIRONMENT: &[(&str, &str)] = &[(
    "CEBULK_STORE",
    "the store's path when --store is not given (default: ./cebulk.db)",
)];

/// One example: what it does, and the command.
pub type Example = (&'static str, &'static str);

/// Examples of `cebulk --help`: a first session.
pub const FIRST_EXAMPLES: &[Example] = &[
    (
        "Load reference data, then import a request document:",
        "cebulk --store events.db reference load fixtures/reference.json",
    ),
    (
        "",
        "cebulk --store events.db import fixtures/requests/purchases.json",
    ),
    ("List what was created:", "cebulk --store events.db events"),
    ("Read the manual:", "cebulk man | man -l -"),
];

/// Examples of `cebulk import`.
pub const IMPORT_EXAMPLES: &[Example] = &[
    (
        "Import a JSON request document (the kind comes from its set key):",
        "cebulk --store events.db import --reference fixtures/reference.json purchases.json",
    ),
    (
        "Import a CSV file of purchases, the report to a file:",
        "cebulk import --kind purchases --report report.json purchases.csv",
    ),
    (
        "Check a file without writing anything to the store:",
        "cebulk import --dry-run --kind web events.ndjson",
    ),
    (
        "Read NDJSON from standard input:",
        "producer | cebulk import --kind web --format ndjson -",
    ),
    (
        "Import a gzipped, semicolon-separated partner export through its mapping profile:",
        "cebulk import --kind purchases --map fixtures/partners/shopline.toml fixtures/partners/shopline-orders.csv.gz",
    ),
];

/// Examples of `cebulk reference load`.
pub const REFERENCE_EXAMPLES: &[Example] = &[
    (
        "Load a JSON reference document:",
        "cebulk --store events.db reference load fixtures/reference.json",
    ),
    (
        "Load a directory of CSV files, one per entity (units.csv, products.csv, ...):",
        "cebulk --store events.db reference load fixtures/reference",
    ),
];

/// Examples of `cebulk events`.
pub const EVENTS_EXAMPLES: &[Example] = &[
    (
        "List every created event as JSON:",
        "cebulk --store events.db events",
    ),
    (
        "List the purchases as CSV:",
        "cebulk --store events.db events --kind purchases --format csv > purchases.csv",
    ),
    (
        "List one account's events of June 2016, one JSON event a line:",
        "cebulk --store events.db events --account ACR0000000228 --since 2016-06-01 --until 2016-07-01 --format ndjson",
    ),
    (
        "Find the events of one request unique identifier:",
        "cebulk --store events.db events --rid 31",
    ),
    (
        "Count the purchases:",
        "cebulk --store events.db events --kind purchases --count",
    ),
    (
        "List as CSV for another program, without escaping cells that start like formulas:",
        "cebulk --store events.db events --format csv --no-formula-escaping > events.csv",
    ),
];

/// Examples of `cebulk check`.
pub const CHECK_EXAMPLES: &[Example] = &[
    (
        "Check a store (after a crash, before a backup):",
        "cebulk --store events.db check",
    ),
    (
        "Import only into a store found sound:",
        "cebulk --store events.db check && cebulk --store events.db import purchases.json",
    ),
];

/// Examples of `cebulk columns`.
pub const COLUMNS_EXAMPLES: &[Example] = &[
    (
        "List the CSV columns of purchases:",
        "cebulk columns --kind purchases",
    ),
    (
        "Start a CSV file of web events from a template:",
        "cebulk columns --kind web --template > web.csv",
    ),
];

/// Examples of `cebulk serve`.
pub const SERVE_EXAMPLES: &[Example] = &[
    (
        "Serve the Web API on port 8080 of this machine:",
        "cebulk --store events.db serve",
    ),
    (
        "Serve on every interface, tokens of logins expiring after 10 minutes unused:",
        "cebulk --store events.db serve --listen 0.0.0.0:8080 --token-idle 10m",
    ),
];

/// Examples of `cebulk user`.
pub const USER_EXAMPLES: &[Example] = &[
    (
        "Add a user, the password read from a file:",
        "cebulk --store events.db user add ann --organisation Acme < password.txt",
    ),
    ("List the users:", "cebulk --store events.db user list"),
];

/// Examples of `cebulk key`.
pub const KEY_EXAMPLES: &[Example] = &[
    (
        "Make a web API key (printed once):",
        "cebulk --store events.db key add nightly",
    ),
    ("Remove it:", "cebulk --store events.db key remove nightly"),
];

/// Examples of `cebulk completions`.
pub const COMPLETIONS_EXAMPLES: &[Example] = &[
    (
        "Enable completion in the current bash session:",
        "source <(cebulk completions bash)",
    ),
    (
        "Install it for zsh:",
        "cebulk completions zsh > ~/.zfunc/_cebulk",
    ),
];

/// Examples of `cebulk man`.
pub const MAN_EXAMPLES: &[Example] = &[
    ("Read the manual:", "cebulk man | man -l -"),
    (
        "Read the page of one command:",
        "cebulk man import | man -l -",
    ),
];

/// Every command's examples, in the order of the commands.
pub const ALL_EXAMPLES: &[&[Example]] = &[
    IMPORT_EXAMPLES,
    REFERENCE_EXAMPLES,
    EVENTS_EXAMPLES,
    CHECK_EXAMPLES,
    COLUMNS_EXAMPLES,
    SERVE_EXAMPLES,
    USER_EXAMPLES,
    KEY_EXAMPLES,
    COMPLETIONS_EXAMPLES,
    MAN_EXAMPLES,
];

/// `examples` as the text after `--help`.
pub fn examples_text(examples: &[Example]) -> String {
    let mut text = String::from("Examples:\n");
    for (what, command) in examples {
        // An example without words goes on from the one before.
        if !what.is_empty() {
            text.push_str(&format!("  {what}\n"));
        }
        text.push_str(&format!("    $ {command}\n"));
    }
    text
}

/// The examples and the exit statuses, as the text after `import --help`.
pub fn import_after_help() -> String {
    let mut text = examples_text(IMPORT_EXAMPLES);
    text.push_str("\nExit status:\n");
    for (code, meaning) in EXIT_STATUSES {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_start_with_the_binary_and_end_in_a_newline_free_command() {
        for examples in ALL_EXAMPLES {
            for (what, command) in *examples {
                assert!(what.is_empty() || what.ends_with(':'), "{what}");
                assert!(
                    command.starts_with("cebulk ")
                        || command.contains("| cebulk ")
                        || command.contains("<(cebulk "),
                    "{command}"
                );
                assert!(!command.contains('\n'));
            }
        }
    }
}
