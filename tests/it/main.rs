//! cebulk's integration tests: one crate, one module an area, every test running the real
//! `cebulk` binary (never an in-process stand-in) on stores in temporary directories.
//!
//! - `broken`: a corpus of broken input files (`tests/broken/`) and the outcome each gives;
//! - `browser`: the console in a real browser (headless chromium over WebDriver): the
//!   operator's round trip, history, events, sessions, forged forms and hostile files, with a
//!   screenshot of each page in `target/console-screenshots/`;
//! - `caps`: the caps on a line, a row, an event's line items and reference data, enforced
//!   while reading endless or huge input;
//! - `cli`: what an import writes and stores, dry runs, reports, the reference, hostile input;
//! - `concurrency`: two importers on one store, listings during an import;
//! - `crash`: imports SIGKILLed mid-run, then re-run to the same result;
//! - `digests`: re-runs recognise the batches an earlier run created by their digests, and
//!   report what judging every event would;
//! - `dry_run`: dry runs give the real report and leave nothing behind;
//! - `formats`: JSON, CSV and NDJSON give the same, their error paths, batches, stdin;
//! - `golden`: the seed's examples against the API responses in `tests/golden/`;
//! - `hardening_values`: strict dates, the bound on `--jobs`, the CSV listing of many line
//!   items and its escaping of formulas;
//! - `install`: completion scripts, the man page and `--version`;
//! - `journal`: rollback journal and WAL, a killed writer's journal;
//! - `listing`: `cebulk events`' filters, formats, `--count` and natural keys;
//! - `layout`: the source layout's rules (no module cycles, what each layer may name);
//! - `messages`: fatal errors as one line and a hint, each mistake with the store's path,
//!   a missing `--kind`, `--help`'s examples;
//! - `migration`: stores of older schemas (`tests/store_v1/`, `tests/store_v2/`) upgraded;
//! - `partner`: partner files: delimiters, gzip and zstd, forgiving headers, skipped
//!   columns, `cebulk columns`, mapping profiles and a single reference CSV file;
//! - `properties`: proptest over random inputs and formats;
//! - `readme`: the README's console examples print what it shows;
//! - `report_file`: what `--report` may not replace, report write errors, standard error
//!   and output that nobody reads;
//! - `rejects`: `--rejects` in each format, re-imported once the reference data is fixed;
//! - `review`: behaviours a review pinned;
//! - `rules`: every per-event rule of docs/ERRORS.md and their precedence;
//! - `serve`: `cebulk serve` over loopback HTTP: the same answers as `cebulk import`,
//!   logins, tokens and their expiry, many clients with an import, shutdown, bad input;
//! - `signals`: SIGINT and SIGTERM mid-import: a valid report of what was committed, exit
//!   130 or 143, a second signal exits at once, and a re-run finishes the job;
//! - `store_check`: files that are not cebulk stores refused untouched, `cebulk check`, and
//!   an import that meets an inconsistent store;
//! - `store_failure`: a disk that fills up mid-import;
//! - `summary`: the summary's counts, `--summary`, `--max-errors`, the no-reference warning;
//! - `support`: what they share: the `Cebulk` builder that runs the binary, `Run`, `Store`,
//!   fixtures, generated inputs and the report's parts.
//!
//! Run every area with `cargo test --test it`; one area with its module as the filter,
//! e.g. `cargo test --test it crash::`; one test with its path, e.g.
//! `cargo test --test it cli::amounts_are_kept_exact`.

mod broken;
mod browser;
mod caps;
mod cli;
mod concurrency;
mod console;
mod crash;
mod digests;
mod dry_run;
mod formats;
mod golden;
mod hardening_values;
mod install;
mod journal;
mod layout;
mod listing;
mod messages;
mod migration;
mod partner;
mod properties;
mod readme;
mod rejects;
mod report_file;
mod review;
mod rules;
mod serve;
mod signals;
mod store_check;
mod store_failure;
mod summary;
mod support;
