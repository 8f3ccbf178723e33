//! The console (`cebulk serve`'s pages under `/console/`) in a real browser: Debian's
//! chromium, headless, over WebDriver. An operator signs in, uploads a partner file with
//! bad rows, reads the counts and the grouped errors, downloads the rejects (the command
//! line's file), loads the missing reference data and uploads the rejects again; history
//! and the events page show what the store holds; nothing is reachable without a session,
//! forged forms and posts from another site are refused, uploads over the limit or of no
//! known kind get a page saying why, and hostile cells stay text. Each test has its own
//! store, server and browser; screenshots of the pages go to `target/console-screenshots/`
//! (the README's are copies, in `docs/console/`).

use fantoccini::key::Key;
use serde_json::Value;

use crate::support::Store;
use crate::support::browser::{Browser, Download};
use crate::support::fixture;
use crate::support::server::{Server, USER, add_user};

/// A store with the fixtures' reference data (which lacks the accounts ACR00008 and
/// ACR0000058) and the user [`USER`], `cebulk serve` on it, and a browser.
struct Console {
    browser: Browser,
    server: Server,
    store: Store,
}

impl Console {
    /// Everything started; the browser is not signed in.
    fn start() -> Console {
        Console::start_with(&[])
    }

    /// Everything started, `cebulk serve` with `args` too.
    fn start_with(args: &[&str]) -> Console {
        let store = Store::new();
        store
            .run(&["reference", "load", &fixture("reference")])
            .code(0);
        add_user(&store.db());
        let server = Server::start(&store.db(), args);
        Console {
            browser: Browser::start(),
            server,
            store,
        }
    }

    /// The URL of `path` (e.g. `/console/import`) on the server.
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.address)
    }

    /// A copy of the fixture `relative` as `name` in the store's directory; its path.
    fn fixture_copy(&self, relative: &str, name: &str) -> String {
        let path = self.store.path(name);
        std::fs::copy(fixture(relative), &path).unwrap();
        path
    }

    /// Opens `path`.
    fn open(&self, path: &str) {
        self.browser.goto(&self.url(path));
    }

    /// Signs in as [`USER`] through the sign-in form; the browser lands on the import page.
    fn sign_in(&self) {
        self.open("/console/sign-in");
        let (name, password, _) = USER;
        self.browser.type_into("#username", name);
        self.browser.type_into("#password", password);
        self.browser.click("#sign-in-submit");
        self.browser
            .wait_path("the import page", |p| p == "/console/import");
        assert_eq!(self.browser.text("#user"), name);
    }

    /// Uploads `path` on the import page as `kind` ("" for the page's default); gives the
    /// import's id once the result page says `finished`.
    fn upload(&self, path: &str, kind: &str) -> u64 {
        self.upload_with(path, kind, |_| ())
    }

    /// [`Console::upload`], with the rest of the form filled by `fill`.
    fn upload_with(&self, path: &str, kind: &str, fill: impl FnOnce(&Browser)) -> u64 {
        let id = self.submit(path, kind, fill);
        self.finished();
        id
    }

    /// Sends `path` from the import page as `kind`, the rest of the form filled by
    /// `fill`; gives the import's id once its page shows, whatever its status.
    fn submit(&self, path: &str, kind: &str, fill: impl FnOnce(&Browser)) -> u64 {
        self.open("/console/import");
        self.browser.type_into("#file", path);
        self.browser.select("#kind", kind);
        fill(&self.browser);
        self.browser.click("#import-submit");
        let at = self.browser.wait_path("an import's page", |p| {
            import_id(p).is_some_and(|rest| !rest.contains('/'))
        });
        import_id(&at).unwrap().parse().unwrap()
    }

    /// Waits for the result page's `#status` to say the import ended; gives it (`finished`
    /// or `failed`).
    fn ended(&self) -> String {
        self.browser
            .wait_text("#status", "finished or failed", |s| {
                s == "finished" || s == "failed"
            })
    }

    /// Waits for the result page's `#status` to say the import ended, and checks that it
    /// finished.
    fn finished(&self) {
        if self.ended() == "failed" {
            panic!("the import failed: {}", self.browser.text("#error"));
        }
        self.browser.find("#created");
    }

    /// The result page's counts: read, created, already stored, unprocessed.
    fn counts(&self) -> [u64; 4] {
        ["#read", "#created", "#already-stored", "#unprocessed"].map(|css| {
            let text = self.browser.text(css);
            text.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{css} reads {text:?}: {e}"))
        })
    }

    /// The cells of the rows `rows` selects, each row's cells `cells` as text.
    fn table(&self, rows: &str, cells: &[&str]) -> Vec<Vec<String>> {
        self.browser
            .all(rows)
            .iter()
            .map(|row| cells.iter().map(|c| self.browser.cell(row, c)).collect())
            .collect()
    }

    /// Fetches the link `css` points to with the browser's session.
    fn download(&self, css: &str) -> Download {
        let href = self
            .browser
            .attr(css, "href")
            .unwrap_or_else(|| panic!("{css} has no href"));
        let download = self.browser.download(&href);
        assert_eq!(download.status, 200, "{href}: {download:?}");
        download
    }

    /// `cebulk import ARGS…` on the server's store, from the command line.
    fn cli_import(&self, args: &[&str]) {
        let run = self.store.import(args);
        assert!(
            matches!(run.code, Some(0 | 1)),
            "cebulk import: {}",
            run.context()
        );
    }
}

/// What follows `/console/imports/` in `path`, if it starts so.
fn import_id(path: &str) -> Option<&str> {
    path.strip_prefix("/console/imports/")
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// `report` with the value of every `"id":"…"` replaced by `…`: event ids are random, so
/// two imports of one file give the same report but for them.
fn without_ids(report: &str) -> String {
    let key = "\"id\":\"";
    let mut out = String::new();
    let mut rest = report;
    while let Some(at) = rest.find(key) {
        let (before, after) = rest.split_at(at + key.len());
        out.push_str(before);
        let end = after.find('"').expect("the id's closing quote");
        assert_eq!(end, 32, "an event id of 32 characters: {after}");
        out.push('…');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// What `cebulk import --kind KIND --report report.json --rejects REJECTS NAME` writes for
/// `input` (copied in as `name`) on a fresh store with the fixtures' reference data: the
/// report and the rejects file.
fn cli_files(input: &str, name: &str, kind: &str, rejects: &str) -> (String, Vec<u8>) {
    let cli = Store::new();
    cli.run(&["reference", "load", &fixture("reference")])
        .code(0);
    std::fs::copy(input, cli.path(name)).unwrap();
    let run = cli.import(&[
        "--kind",
        kind,
        "--report",
        "report.json",
        "--rejects",
        rejects,
        name,
    ]);
    run.code(1);
    (
        std::fs::read_to_string(cli.path("report.json")).unwrap(),
        std::fs::read(cli.path(rejects)).unwrap(),
    )
}

#[test]
fn an_operator_loads_a_file_fixes_the_rejects_and_loads_them_again() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    browser.screenshot("import");
    assert!(
        !browser.text("#size-limit").trim().is_empty(),
        "the import page states the upload limit"
    );

    // A partner file with two events whose accounts the store lacks.
    let input = fixture("requests/purchases.csv");
    let upload = console.store.path("upload");
    std::fs::create_dir(&upload).unwrap();
    let path = format!("{upload}/purchases.csv");
    std::fs::copy(&input, &path).unwrap();
    let first = console.upload(&path, "purchases");
    assert_eq!(console.counts(), [4, 2, 0, 2]);
    assert_eq!(
        console.table("#by-code tr.code", &["td:nth-child(1)", "td:nth-child(2)"]),
        [["NotFoundAPIValueException", "2"]]
    );
    let missing = browser.text("#missing-references");
    for account in ["ACR00008", "ACR0000058"] {
        assert!(missing.contains(account), "{account} in {missing}");
    }
    browser.screenshot("result");

    // The downloads are the command line's files for the same input.
    let (cli_report, cli_rejects) = cli_files(
        &input,
        "purchases.csv",
        "purchases",
        "purchases.rejects.csv",
    );
    let report = console.download("#download-report");
    assert_eq!(without_ids(&report.text()), without_ids(&cli_report));
    let rejects = console.download("#download-rejects");
    assert_eq!(
        rejects.text(),
        String::from_utf8(cli_rejects).unwrap(),
        "the rejects download is what `cebulk import --rejects` writes"
    );
    assert!(
        rejects.disposition.contains("purchases.rejects.csv"),
        "the rejects are named after the upload: {:?}",
        rejects.disposition
    );

    // The missing accounts loaded from the command line, the rejects file goes up as it is.
    console
        .store
        .run(&["reference", "load", &fixture("missing_accounts.json")])
        .code(0);
    let again = format!("{upload}/purchases.rejects.csv");
    std::fs::write(&again, &rejects.bytes).unwrap();
    // The kind left to the page: the rejects file is named after the upload.
    let second = console.upload(&again, "");
    assert_ne!(first, second);
    assert_eq!(console.counts(), [2, 2, 0, 0]);
    assert!(browser.all("#by-code tr.code").is_empty());
    assert!(
        !browser.has("#download-rejects"),
        "no rejects, no rejects link"
    );
    assert_eq!(console.store.count("events"), 4, "every event is stored");

    // An import from the command line shows in the history too, newest first.
    console.fixture_copy("requests/web.json", "web.json");
    console.cli_import(&["--kind", "web", "web.json"]);
    console.open("/console/history");
    let rows = console.table(
        "#history tr.import",
        &[
            ".who",
            ".file",
            ".kind",
            ".created",
            ".already-stored",
            ".unprocessed",
        ],
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0][0].contains("command line"), "{rows:?}");
    assert_eq!(rows[0][1..], ["web.json", "web", "2", "0", "2"], "{rows:?}");
    assert_eq!(
        rows[1],
        [USER.0, "purchases.rejects.csv", "purchases", "2", "0", "0"]
    );
    assert_eq!(
        rows[2],
        [USER.0, "purchases.csv", "purchases", "2", "0", "2"]
    );
    for when in console.table("#history tr.import", &[".when"]) {
        assert!(is_utc_second(&when[0]), "{when:?} is RFC 3339 UTC");
    }
    browser.screenshot("history");

    // Each row opens its result, the command line's too.
    browser.click("#history tr.import a.open");
    browser.wait_path("the command line's import", |p| import_id(p).is_some());
    console.finished();
    assert_eq!(console.counts(), [4, 2, 0, 2]);
    let missing = browser.text("#missing-references");
    assert!(missing.contains("ACR00045000"), "{missing}");
}

/// Whether `text` is a UTC time in RFC 3339 to the second (`2026-11-30T16:48:26Z`).
fn is_utc_second(text: &str) -> bool {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (date, zone) = text.split_at(text.len().min(19));
    date.len() == 19
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && &date[4..5] == "-"
        && &date[10..11] == "T"
        && matches!(zone, "Z" | "+00:00")
}

#[test]
fn the_events_page_filters_by_identifier_and_account() {
    let console = Console::start();
    let browser = &console.browser;
    console
        .store
        .run(&["reference", "load", &fixture("missing_accounts.json")])
        .code(0);
    console.cli_import(&["--kind", "purchases", &fixture("requests/purchases.csv")]);
    console.cli_import(&[&fixture("requests/web.json")]);
    console.sign_in();

    browser.click("#nav-events");
    browser.wait_path("the events page", |p| p.starts_with("/console/events"));
    assert_eq!(browser.text("#count").trim(), "6");
    assert_eq!(browser.all("#events tr.event").len(), 6);
    browser.screenshot("events");

    browser.type_into("#events-filter input[name=rid]", "33");
    browser.click("#filter");
    browser.wait_path("the filtered events", |p| p.contains("rid=33"));
    let rows = console.table("#events tr.event", &[".rid", ".account", ".kind"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "33");
    assert!(rows[0][1].contains("ACR00008"), "{rows:?}");
    assert_eq!(rows[0][2], "purchases");
    assert_eq!(browser.text("#count").trim(), "1");

    console.open("/console/events");
    browser.type_into("#events-filter input[name=since]", "2016-06-22T15:01:00");
    browser.click("#filter");
    browser.wait_path("the filtered events", |p| p.contains("since="));
    let rows = console.table("#events tr.event", &[".rid", ".performed-on"]);
    assert_eq!(rows, [["07", "2016-06-22T15:05:02"]]);

    console.open("/console/events");
    browser.type_into("#events-filter input[name=account]", "ACR0000000228");
    browser.click("#filter");
    browser.wait_path("the filtered events", |p| {
        p.contains("account=ACR0000000228")
    });
    let rows = console.table("#events tr.event", &[".rid", ".account"]);
    let rids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(rids, ["31", "32"], "{rows:?}");
    assert!(rows.iter().all(|r| r[1].contains("ACR0000000228")));
}

#[test]
fn the_events_page_is_paged() {
    let console = Console::start();
    let browser = &console.browser;
    let lines: Vec<String> = (0..120)
        .map(|i| {
            format!(
                r#"{{"request_unique_identifier":"p{i:03}","accounts_receivable_identifier":{{"number":"ACR0000000228"}},"performed_by_unit_identifier":{{"name":"Admin Unit"}},"performed_on":"2016-06-22T15:00:00","website":"www.crm.com"}}"#
            )
        })
        .collect();
    let input = console.store.file("many.ndjson", lines.join("\n") + "\n");
    console.cli_import(&["--kind", "web", &input]);
    console.sign_in();
    console.open("/console/events");
    assert_eq!(browser.text("#count").trim(), "120");
    let mut seen = Vec::new();
    loop {
        let page = console.table("#events tr.event", &[".rid"]);
        assert!(page.len() <= 50, "{} on a page", page.len());
        seen.extend(page.into_iter().map(|r| r[0].clone()));
        if !browser.has("#next-page") {
            break;
        }
        let before = browser.path();
        browser.click("#next-page");
        browser.wait_path("the next page", |p| p != before);
        assert!(browser.has("#prev-page"), "a later page links back");
    }
    seen.sort();
    let expected: Vec<String> = (0..120).map(|i| format!("p{i:03}")).collect();
    assert_eq!(seen, expected, "every event once over the pages");
}

#[test]
fn a_dry_run_reports_and_stores_nothing() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let path = console.fixture_copy("requests/purchases.csv", "purchases.csv");
    console.upload_with(&path, "purchases", |b| b.click("#dry-run"));
    browser.find("#dry-run-note");
    assert_eq!(console.counts(), [4, 2, 0, 2]);
    assert_eq!(console.store.count("events"), 0, "a dry run stores nothing");
}

#[test]
fn a_result_page_shows_the_same_run_when_reloaded() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let path = console.fixture_copy("requests/purchases.csv", "purchases.csv");
    let id = console.upload(&path, "purchases");
    let counts = console.counts();
    console.open(&format!("/console/imports/{id}"));
    console.finished();
    assert_eq!(console.counts(), counts);
    let progress = browser.download(&format!("/console/imports/{id}/progress"));
    assert_eq!(progress.status, 200);
    let progress: Value = serde_json::from_slice(&progress.bytes).unwrap();
    assert_eq!(progress["status"], "finished", "{progress}");
    assert_eq!(progress["events"], 4, "{progress}");
}

/// Cells that run script if a page put them into its HTML unescaped.
const HOSTILE_RID: &str = "<script>window.__hit=1;alert(1)</script>";
const HOSTILE_ACCOUNT: &str = r#""><img src=x onerror=alert(1)>"#;
const HOSTILE_ACCOUNT_2: &str = "<script>window.__hit=2</script>";

/// `cell` quoted for CSV.
fn csv_cell(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// Checks that no dialog is open, no script of a file ran and no image of a file exists.
fn nothing_ran(browser: &Browser, page: &str) {
    assert_eq!(browser.alert(), None, "an alert opened on {page}");
    let ran = browser.execute(
        "return [window.__hit === undefined, document.querySelectorAll('img[src=\"x\"]').length];",
        vec![],
    );
    assert_eq!(ran[0], true, "a file's script ran on {page}");
    assert_eq!(ran[1], 0, "a file's <img> is in the page {page}");
}

#[test]
fn a_hostile_files_cells_show_as_text_and_open_no_dialog() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let header = "request_unique_identifier,accounts_receivable_identifier.number,\
        performed_by_unit_identifier.name,performed_on,website";
    let rows = [
        (HOSTILE_RID, "ACR0000000228"),
        ("h2", HOSTILE_ACCOUNT),
        (HOSTILE_ACCOUNT, HOSTILE_ACCOUNT_2),
    ];
    let mut text = format!("{header}\n");
    for (rid, account) in rows {
        text.push_str(&format!(
            "{},{},Admin Unit,2016-06-22T15:00:00,www.crm.com\n",
            csv_cell(rid),
            csv_cell(account)
        ));
    }
    // Chromium sends a file name's `"` as `%22` (as HTML says), its `<` and `>` as they are.
    let name = "<img src=x onerror=alert(3)>.csv";
    let path = console.store.file(name, text);
    let id = console.upload(&path, "web");
    nothing_ran(browser, "the result page");
    assert_eq!(console.counts(), [3, 1, 0, 2]);
    let missing = browser.text("#missing-references");
    for account in [HOSTILE_ACCOUNT, HOSTILE_ACCOUNT_2] {
        assert!(missing.contains(account), "{account} as text in {missing}");
    }
    browser.screenshot("hostile-result");

    console.open("/console/history");
    nothing_ran(browser, "the history page");
    assert_eq!(console.table("#history tr.import", &[".file"]), [[name]]);
    console.open("/console/events");
    nothing_ran(browser, "the events page");
    let rows = console.table("#events tr.event", &[".rid"]);
    assert_eq!(rows, [[HOSTILE_RID]]);

    // The filter's values come back into the page escaped too.
    let filter = format!(
        "/console/events?rid={}&account={}",
        percent(HOSTILE_RID),
        percent(HOSTILE_ACCOUNT)
    );
    console.open(&filter);
    nothing_ran(browser, "the events page filtered by hostile values");
    console.open(&format!("/console/imports/{id}"));
    let rejects = console.download("#download-rejects");
    assert!(
        rejects.text().contains(HOSTILE_RID) || rejects.text().contains("h2"),
        "{}",
        rejects.text()
    );
}

/// `text` percent-encoded for a URL's query.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn no_page_is_reachable_without_a_session() {
    let console = Console::start();
    let browser = &console.browser;
    console.cli_import(&["--kind", "purchases", &fixture("requests/purchases.csv")]);
    for path in [
        "/console/",
        "/console/import",
        "/console/history",
        "/console/history?before=5",
        "/console/events",
        "/console/events?rid=31",
        "/console/imports/1",
    ] {
        console.open(path);
        let at = browser.path();
        assert_eq!(at, "/console/sign-in", "{path} without a session");
        browser.find("#sign-in");
    }
    browser.screenshot("sign-in");
    for path in [
        "/console/imports/1/report",
        "/console/imports/1/rejects",
        "/console/imports/1/progress",
    ] {
        let download = browser.download(path);
        assert_eq!(download.status, 401, "{path} without a session");
        assert!(download.bytes.is_empty(), "{path}: {download:?}");
    }

    // A wrong password shows the form again with the error.
    browser.type_into("#username", USER.0);
    browser.type_into("#password", "not the password");
    browser.click("#sign-in-submit");
    let error = browser.text("#error");
    assert!(error.contains("wrong"), "{error}");
    browser.find("#sign-in");
    console.open("/console/history");
    assert_eq!(browser.path(), "/console/sign-in");
}

#[test]
fn signing_out_ends_the_session_even_for_a_replayed_cookie() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let cookie = browser
        .cookie("cebulk_session")
        .expect("the session cookie");
    // Out of the page's scripts' reach, never sent from another site, only to the console,
    // and not Secure over plain HTTP (or the browser would not send it back here).
    assert_eq!(cookie.http_only(), Some(true), "{cookie}");
    assert!(cookie.to_string().contains("; SameSite=Strict"), "{cookie}");
    assert_eq!(cookie.path(), Some("/console"), "{cookie}");
    assert_ne!(cookie.secure(), Some(true), "{cookie}");
    let visible = browser.execute("return document.cookie;", vec![]);
    assert!(
        !visible
            .as_str()
            .unwrap_or_default()
            .contains("cebulk_session"),
        "{visible}"
    );
    browser.click("#sign-out button, #sign-out [type=submit]");
    browser.wait_path("the sign-in page", |p| p == "/console/sign-in");
    console.open("/console/import");
    assert_eq!(browser.path(), "/console/sign-in", "signed out");

    browser.add_cookie(cookie);
    console.open("/console/import");
    assert_eq!(
        browser.path(),
        "/console/sign-in",
        "the cookie of a session that ended opens nothing"
    );
}

#[test]
fn the_console_works_by_keyboard() {
    let console = Console::start();
    let browser = &console.browser;
    let enter = char::from(Key::Enter).to_string();
    console.open("/console/sign-in");
    let (name, password, _) = USER;
    browser.type_into("#username", name);
    browser.type_into("#password", &format!("{password}{enter}"));
    browser.wait_path("the import page", |p| p == "/console/import");
    assert_eq!(browser.text("#user"), name);

    // From the file (chosen as a file dialog would), Tab reaches the button; Enter sends.
    let path = console.fixture_copy("requests/purchases.csv", "purchases.csv");
    browser.type_into("#file", &path);
    browser.tab_to("import-submit");
    browser.press(Key::Enter);
    browser.wait_path("the import's page", |p| import_id(p).is_some());
    console.finished();
    assert_eq!(console.counts(), [4, 2, 0, 2]);

    // The navigation is reachable from the top of the page.
    browser.tab_to("nav-history");
    browser.press(Key::Enter);
    browser.wait_path("the history", |p| p == "/console/history");
}

#[test]
fn a_forged_form_without_the_csrf_token_is_refused() {
    let console = Console::start();
    let browser = &console.browser;
    let path = console.fixture_copy("requests/purchases.csv", "purchases.csv");

    // The sign-in form without its token signs nobody in.
    console.open("/console/sign-in");
    browser.execute(
        "document.querySelector('#sign-in input[name=csrf]').remove();",
        vec![],
    );
    browser.type_into("#username", USER.0);
    browser.type_into("#password", USER.1);
    browser.click("#sign-in-submit");
    browser.find("#error");
    assert_eq!(browser.navigation_status(), 403);
    console.open("/console/import");
    assert_eq!(browser.path(), "/console/sign-in", "not signed in");

    console.sign_in();
    for (forgery, script) in [
        (
            "without the token",
            "document.querySelector('#import-form input[name=csrf]').remove();",
        ),
        (
            "with a wrong token",
            "document.querySelector('#import-form input[name=csrf]').value = 'forged';",
        ),
    ] {
        console.open("/console/import");
        browser.execute(script, vec![]);
        browser.type_into("#file", &path);
        browser.select("#kind", "purchases");
        browser.click("#import-submit");
        browser.find("#error");
        assert_eq!(browser.navigation_status(), 403, "an upload {forgery}");
        browser.screenshot("forged");
    }
    console.open("/console/history");
    assert!(
        browser.all("#history tr.import").is_empty(),
        "no import ran"
    );
    assert_eq!(console.store.count_or_zero("events"), 0);
}

#[test]
fn an_upload_over_the_limit_is_refused_with_a_page_saying_so() {
    let console = Console::start_with(&["--max-body", "64KiB"]);
    let browser = &console.browser;
    console.sign_in();
    assert!(
        browser.text("#size-limit").contains("64"),
        "the page states the limit: {}",
        browser.text("#size-limit")
    );
    let row = "99,ACR0000000228,Admin Unit,2016-06-22T15:00:00,www.crm.com\n";
    let text = format!(
        "request_unique_identifier,accounts_receivable_identifier.number,\
         performed_by_unit_identifier.name,performed_on,website\n{}",
        row.repeat(20_000)
    );
    let path = console.store.file("web.csv", text);
    console.open("/console/import");
    browser.type_into("#file", &path);
    browser.select("#kind", "web");
    browser.click("#import-submit");
    let error = browser.text("#error");
    assert_eq!(browser.navigation_status(), 413, "{error}");
    browser.screenshot("too-large");
    assert_eq!(console.store.count_or_zero("events"), 0);
}

#[test]
fn an_upload_whose_kind_cannot_be_told_is_refused_saying_what_to_do() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let path = console.fixture_copy("requests/purchases.csv", "partner-export.csv");
    console.open("/console/import");
    browser.type_into("#file", &path);
    browser.click("#import-submit");
    let error = browser.text("#error");
    assert_eq!(browser.navigation_status(), 400, "{error}");
    assert!(error.contains("kind"), "the error names the kind: {error}");
    assert_eq!(console.store.count_or_zero("events"), 0);
}

#[test]
fn a_gzipped_partner_export_loads_with_its_mapping_profile_and_delimiter() {
    let console = Console::start();
    console.sign_in();
    console.upload_with(
        &fixture("partners/shopline-orders.csv.gz"),
        "purchases",
        |b| {
            b.type_into("#profile", &fixture("partners/shopline.toml"));
            b.select("#delimiter", ";");
        },
    );
    assert_eq!(console.counts(), [3, 3, 0, 0]);
    assert_eq!(console.store.count("events"), 3);
}

#[test]
fn a_form_on_another_site_posting_to_the_console_has_no_effect() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let path = console.fixture_copy("requests/purchases.csv", "purchases.csv");
    let page = format!(
        "<form id=forged method=post enctype=multipart/form-data action={}>\
         <input type=file name=file id=file><input name=kind value=purchases>\
         <input name=csrf value=guessed></form>",
        console.url("/console/imports")
    );
    browser.goto(&format!("data:text/html,{}", percent(&page)));
    browser.type_into("#file", &path);
    browser.execute("document.getElementById('forged').submit();", vec![]);
    // The session cookie is SameSite=Strict: a post from another site comes without it.
    let at = browser.wait_path("the console", |p| p.starts_with("/console/"));
    assert_eq!(at, "/console/sign-in", "a cross-site post is not signed in");
    console.open("/console/history");
    assert!(
        browser.has("#history"),
        "still signed in on the console itself"
    );
    assert!(
        browser.all("#history tr.import").is_empty(),
        "no import ran"
    );
    assert_eq!(console.store.count_or_zero("events"), 0);
}

#[test]
fn a_document_uploaded_with_the_kind_left_to_the_page_gets_its_sets_kind() {
    let console = Console::start();
    console.sign_in();
    console.upload(&fixture("requests/purchases.json"), "");
    assert_eq!(console.counts(), [4, 2, 0, 2]);
    console.open("/console/history");
    let rows = console.table("#history tr.import", &[".file", ".kind"]);
    assert_eq!(rows, [["purchases.json", "purchases"]]);
}

#[test]
fn a_file_refused_whole_shows_its_run_failed_and_why() {
    let console = Console::start();
    let browser = &console.browser;
    console.sign_in();
    let path = console
        .store
        .file("purchases.json", "{\"purchase_customer_events_set\": [");
    console.submit(&path, "", |_| ());
    assert_eq!(console.ended(), "failed");
    let error = browser.text("#error");
    assert!(error.contains("refused"), "{error}");
    browser.screenshot("failed");
    console.open("/console/history");
    assert_eq!(
        console.table("#history tr.import", &[".file"]),
        [["purchases.json"]]
    );
    assert_eq!(console.store.count_or_zero("events"), 0);
}
