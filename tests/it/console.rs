//! The operators' console (`/console/` of `cebulk serve`) through a real HTTP client that
//! keeps cookies as a browser does, against the real binary: nothing without a session,
//! signing in and out, forged forms refused with no effect, an uploaded partner file giving
//! what `cebulk import` gives for it (counts, report, rejects file), the upload limit, a
//! hostile file shown as text, and the events listing's filters.

use serde_json::Value;

use crate::support::console::{CookieClient, Part};
use crate::support::server::{Server, USER, add_user};
use crate::support::{Store, fixture, reference, web_event_at};

/// A store with the fixtures' reference data and the user [`USER`].
fn prepared() -> Store {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    add_user(&store.db());
    store
}

/// The seed's purchases CSV, and a row whose date is not one (unprocessed whatever the
/// reference data): two events with missing accounts, one invalid.
fn purchases_with_bad_rows() -> Vec<u8> {
    let mut csv = std::fs::read(fixture("requests/purchases.csv")).unwrap();
    csv.extend_from_slice(b"35,ACR0000000228,Admin Unit,not a date,RF01,Serendipity,60,50,10\n");
    csv
}

/// `text` with every run of 32 upper-case hex digits (an event's id) as `ID`.
fn ids_masked(text: &[u8]) -> String {
    let text = String::from_utf8(text.to_vec()).unwrap();
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || c.is_ascii_uppercase() && c <= 'F' {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 32 { "ID" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() == 32 { "ID" } else { &run });
    out
}

/// The run id in a result page's location.
fn run_of(location: &str) -> u64 {
    location
        .strip_prefix("/console/imports/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a run's page: {location}"))
}

#[test]
fn nothing_is_reachable_without_a_session() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    for page in [
        "/console/",
        "/console/import",
        "/console/history",
        "/console/events",
        "/console/events?rid=31",
        "/console/imports/1",
    ] {
        let answer = browser.get(page);
        assert_eq!(answer.status, 303, "{page}");
        assert_eq!(
            answer.location.as_deref(),
            Some(if page == "/console/" {
                "/console/import"
            } else {
                "/console/sign-in"
            }),
            "{page}"
        );
    }
    for download in [
        "/console/imports/1/progress",
        "/console/imports/1/report",
        "/console/imports/1/rejects",
    ] {
        let answer = browser.get(download);
        assert_eq!(answer.status, 401, "{download}");
        assert!(answer.body.is_empty(), "{download}: {}", answer.text());
    }
    let upload = browser.post_multipart(
        "/console/imports",
        &[Part::File(
            "file",
            "purchases.csv",
            &purchases_with_bad_rows(),
        )],
    );
    assert_eq!(upload.status, 303);
    assert_eq!(upload.location.as_deref(), Some("/console/sign-in"));
    let sign_out = browser.post_form("/console/sign-out", &[("csrf", "x")]);
    assert_eq!(sign_out.location.as_deref(), Some("/console/sign-in"));
    assert!(
        !store.dir().join("store.db.console").join("1").exists(),
        "no run began"
    );
    // A made-up session cookie is no session.
    browser.cookies.insert(
        "cebulk_session".into(),
        "0123456789ABCDEF0123456789ABCDEF".into(),
    );
    assert_eq!(browser.get("/console/import").status, 303);
}

#[test]
fn signing_in_and_out_and_a_replayed_cookie_refused() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);

    let wrong = browser.sign_in_as(USER.0, "not the password");
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.by_id("error").as_deref(),
        Some("the user name or the password is wrong")
    );
    let unknown = browser.sign_in_as("nobody", USER.1);
    assert_eq!(
        unknown.by_id("error"),
        wrong.by_id("error"),
        "the same answer"
    );
    assert!(!browser.cookies.contains_key("cebulk_session"));

    // A sign-in form posted without the cookie it was given with is refused.
    let form = browser.get("/console/sign-in");
    let csrf = form.csrf();
    browser.cookies.clear();
    let forged = browser.post_form(
        "/console/sign-in",
        &[("username", USER.0), ("password", USER.1), ("csrf", &csrf)],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.has("error"));
    assert!(!browser.cookies.contains_key("cebulk_session"));

    let cookie = browser
        .sign_in()
        .set_cookies
        .into_iter()
        .find(|c| c.starts_with("cebulk_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let import = browser.get("/console/import");
    assert_eq!(import.status, 200);
    assert_eq!(import.by_id("user").as_deref(), Some(USER.0));
    for id in [
        "nav-import",
        "nav-history",
        "nav-events",
        "sign-out",
        "size-limit",
    ] {
        assert!(import.has(id), "{id}");
    }
    assert_eq!(import.by_id("size-limit").as_deref(), Some("16 MiB"));

    let session = browser.cookies["cebulk_session"].clone();
    let out = browser.post_form("/console/sign-out", &[("csrf", &import.csrf())]);
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/console/sign-in"));
    assert!(!browser.cookies.contains_key("cebulk_session"));
    browser.cookies.insert("cebulk_session".into(), session);
    let replayed = browser.get("/console/import");
    assert_eq!(
        replayed.status, 303,
        "the ended session's cookie, sent again"
    );
    assert_eq!(replayed.location.as_deref(), Some("/console/sign-in"));
}

#[test]
fn forged_posts_are_refused_with_no_effect() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let csv = purchases_with_bad_rows();
    let without = browser.post_multipart(
        "/console/imports",
        &[Part::File("file", "purchases.csv", &csv)],
    );
    let wrong = browser.post_multipart(
        "/console/imports",
        &[
            Part::Text("csrf", "0000"),
            Part::File("file", "purchases.csv", &csv),
        ],
    );
    let csrf = browser.get("/console/import").csrf();
    let (body, boundary) = crate::support::console::multipart(&[
        Part::Text("csrf", &csrf),
        Part::File("file", "purchases.csv", &csv),
    ]);
    let cross_site = browser.post(
        "/console/imports",
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
        &[("origin", "http://evil.example")],
    );
    let sign_out = browser.post_form("/console/sign-out", &[("csrf", "wrong")]);
    for refused in [&without, &wrong, &cross_site, &sign_out] {
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert!(refused.has("error"), "{}", refused.text());
    }
    assert_eq!(store.committed_events(), 0, "nothing imported");
    let history = browser.get("/console/history");
    assert!(history.rows("history", "import").is_empty());
    assert!(!store.dir().join("store.db.console").join("1").exists());
    assert_eq!(
        browser.get("/console/import").status,
        200,
        "still signed in"
    );
}

#[test]
fn an_upload_gives_what_cebulk_import_gives_and_its_rejects_load_again() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let csv = purchases_with_bad_rows();

    // The command line, on a store of its own with the same reference data.
    let cli = Store::new();
    cli.run(&["reference", "load", &reference()]).code(0);
    cli.file("purchases.csv", &csv);
    cli.import(&[
        "--quiet",
        "--kind",
        "purchases",
        "--report",
        "report.json",
        "--rejects",
        "purchases.rejects.csv",
        "--summary",
        "summary.json",
        "purchases.csv",
    ])
    .code(1);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(cli.path("summary.json")).unwrap()).unwrap();

    // The kind comes from the file's name.
    let accepted = browser.upload("purchases.csv", &csv, &[]);
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    let location = accepted.location.unwrap();
    let id = run_of(&location);
    let result = browser.finished(&location);
    assert_eq!(result.by_id("status").as_deref(), Some("finished"));
    for (id, key) in [
        ("read", "events_read"),
        ("created", "created"),
        ("already-stored", "already_in_store"),
        ("unprocessed", "unprocessed"),
    ] {
        assert_eq!(
            result.by_id(id),
            Some(summary[key].to_string()),
            "{id}: {summary}"
        );
    }
    let by_code: Vec<(String, String)> = result
        .rows("by-code", "code")
        .into_iter()
        .map(|row| (row["0"].clone(), row["1"].clone()))
        .collect();
    let expected: Vec<(String, String)> = summary["unprocessed_by_code"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(code, n)| (code.clone(), n.to_string()))
        .collect();
    assert_eq!(by_code, expected);
    let missing: Vec<String> = result
        .rows("missing-references", "missing")
        .into_iter()
        .map(|row| row["1"].clone())
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(!result.has("dry-run-note"));

    let report = browser.get(&format!("/console/imports/{id}/report"));
    assert_eq!(report.status, 200);
    assert_eq!(report.content_type, "application/json");
    assert_eq!(
        ids_masked(&report.body),
        ids_masked(&std::fs::read(cli.path("report.json")).unwrap()),
        "the report, its ids aside, is the command line's byte for byte"
    );
    assert!(result.has("download-rejects"));
    let rejects = browser.get(&format!("/console/imports/{id}/rejects"));
    assert_eq!(rejects.status, 200);
    assert!(
        rejects.disposition.contains("purchases.rejects.csv"),
        "{}",
        rejects.disposition
    );
    assert_eq!(
        rejects.body,
        std::fs::read(cli.path("purchases.rejects.csv")).unwrap(),
        "the rejects file is the command line's"
    );

    // The missing accounts loaded, the rejects file goes in as it is.
    store
        .run(&["reference", "load", &fixture("missing_accounts.json")])
        .code(0);
    let again = browser.upload("purchases.rejects.csv", &rejects.body, &[]);
    assert_eq!(again.status, 303, "{}", again.text());
    let second = browser.finished(again.location.as_deref().unwrap());
    assert_eq!(second.by_id("created").as_deref(), Some("2"));
    assert_eq!(
        second.by_id("unprocessed").as_deref(),
        Some("1"),
        "the bad date"
    );
    assert_eq!(store.committed_events(), 4);

    // Nothing of the uploads is left behind but the runs' own files.
    let uploads = store.dir().join("store.db.console").join("uploads");
    assert_eq!(std::fs::read_dir(uploads).unwrap().count(), 0);
}

#[test]
fn a_dry_run_creates_nothing_and_says_so() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let accepted = browser.upload(
        "partner.csv",
        &std::fs::read(fixture("requests/purchases.csv")).unwrap(),
        &[("kind", "purchases"), ("dry_run", "1")],
    );
    let result = browser.finished(accepted.location.as_deref().unwrap());
    assert!(result.has("dry-run-note"));
    assert_eq!(result.by_id("created").as_deref(), Some("2"));
    assert_eq!(store.committed_events(), 0);
}

#[test]
fn bad_uploads_are_refused_saying_what_to_do() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let csv = std::fs::read(fixture("requests/purchases.csv")).unwrap();
    for (name, fields, says) in [
        ("partner.csv", vec![], "cannot tell the kind of partner.csv"),
        ("purchases.txt", vec![], "cannot tell the format"),
        ("purchases.csv", vec![("kind", "sales")], "is not a kind"),
        (
            "purchases.csv",
            vec![("delimiter", "#")],
            "is not a delimiter",
        ),
    ] {
        let refused = browser.upload(name, &csv, &fields);
        assert_eq!(refused.status, 400, "{name}: {}", refused.text());
        let error = refused.by_id("error").unwrap_or_default();
        assert!(error.contains(says), "{name}: {error}");
    }
    let csrf = browser.get("/console/import").csrf();
    let no_file = browser.post_multipart("/console/imports", &[Part::Text("csrf", &csrf)]);
    assert_eq!(no_file.status, 400);
    assert!(
        no_file
            .by_id("error")
            .unwrap()
            .contains("no file was chosen")
    );
    let profile = browser.post_multipart(
        "/console/imports",
        &[
            Part::Text("csrf", &csrf),
            Part::File("file", "purchases.csv", &csv),
            Part::File("profile", "partner.toml", b"[columns\n"),
        ],
    );
    assert_eq!(profile.status, 400);
    assert!(
        profile
            .by_id("error")
            .unwrap()
            .contains("the mapping profile partner.toml"),
        "{}",
        profile.text()
    );
    let not_multipart = browser.post_form("/console/imports", &[("csrf", &csrf)]);
    assert_eq!(not_multipart.status, 400);
    assert!(not_multipart.has("error"), "{}", not_multipart.text());
    assert!(
        browser
            .get("/console/history")
            .rows("history", "import")
            .is_empty()
    );
}

#[test]
fn an_upload_over_the_limit_is_refused_and_leaves_no_file() {
    let store = prepared();
    let server = Server::start(&store.db(), &["--max-body", "2KiB"]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    assert_eq!(
        browser
            .get("/console/import")
            .by_id("size-limit")
            .as_deref(),
        Some("2 KiB")
    );
    let mut large = std::fs::read(fixture("requests/purchases.csv")).unwrap();
    while large.len() < 8 * 1024 {
        large.extend_from_slice(
            b"36,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,60,50,10\n",
        );
    }
    // Declared too large: refused before it is read.
    let declared = browser.upload("purchases.csv", &large, &[]);
    assert_eq!(declared.status, 413, "{}", declared.text());
    assert!(declared.has("error"));
    // Sent without a length (chunked): cut off as it grows over the limit.
    let csrf = browser.get("/console/import").csrf();
    let (body, boundary) = crate::support::console::multipart(&[
        Part::Text("csrf", &csrf),
        Part::File("file", "purchases.csv", &large),
    ]);
    let response = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&format!("{}/console/imports", browser.origin()))
        .header(
            "cookie",
            &format!("cebulk_session={}", browser.cookies["cebulk_session"]),
        )
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send(ureq::SendBody::from_reader(&mut body.as_slice()))
        .expect("the chunked upload's answer");
    assert_eq!(response.status().as_u16(), 413);
    let uploads = store.dir().join("store.db.console").join("uploads");
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "no temporary file left"
    );
    assert!(!store.dir().join("store.db.console").join("1").exists());
    assert_eq!(store.committed_events(), 0);
}

#[test]
fn a_hostile_files_cells_show_as_text() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let script = "<script>alert(1)</script>";
    let image = "\"><img src=x onerror=alert(1)>";
    // The first event is created with a hostile identifier; the second names a hostile
    // account, which is missing.
    let csv = format!(
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.total_amount,products_set.net_amount,products_set.vat_amount\n\
         \"{}\",ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,60,50,10\n\
         h-2,{script},Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,60,50,10\n",
        image.replace('"', "\"\"")
    );
    let accepted = browser.upload("purchases.csv", csv.as_bytes(), &[]);
    let result = browser.finished(accepted.location.as_deref().unwrap());
    assert_eq!(
        result.by_id("created").as_deref(),
        Some("1"),
        "{}",
        result.text()
    );
    let events = browser.get("/console/events");
    for page in [&result, &events] {
        let text = page.text();
        assert!(!text.contains(script), "{text}");
        assert!(!text.contains("<img"), "{text}");
    }
    assert!(
        result
            .text()
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the missing account, as text"
    );
    assert_eq!(
        events.rows("events", "event")[0]["rid"],
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "the identifier, as text"
    );
    assert!(result.content_type.starts_with("text/html"));
}

#[test]
fn the_events_page_filters_and_pages_as_cebulk_events_does() {
    let store = prepared();
    let events: Vec<String> = (0..60)
        .map(|i| web_event_at(&format!("w-{i:02}"), "www.crm.com").to_string())
        .collect();
    store.file("web.ndjson", events.join("\n"));
    store
        .import(&["--quiet", "--kind", "web", "web.ndjson"])
        .code(0);
    store
        .import(&[
            "--quiet",
            "--kind",
            "purchases",
            &fixture("requests/purchases.csv"),
        ])
        .code(1);
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let count = |args: &[&str]| -> String {
        let mut all = vec!["events", "--count"];
        all.extend_from_slice(args);
        store.run(&all).code(0).stdout_text().trim().to_owned()
    };

    let all = browser.get("/console/events");
    assert_eq!(all.by_id("count"), Some(count(&[])));
    assert_eq!(all.rows("events", "event").len(), 50);
    assert!(all.has("next-page") && !all.has("prev-page"));
    let second = browser.get("/console/events?page=2");
    let rows = second.rows("events", "event");
    assert_eq!(rows.len(), count(&[]).parse::<usize>().unwrap() - 50);
    assert!(second.has("prev-page") && !second.has("next-page"));

    let one = browser.get("/console/events?rid=w-07");
    let rows = one.rows("events", "event");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rid"], "w-07");
    assert_eq!(rows[0]["kind"], "web");
    // The date and the account the body leaves to its seconds and to the row.
    assert_eq!(rows[0]["performed-on"], "2016-06-22T15:00:00");
    assert!(rows[0]["account"].starts_with("ACR0000000020"), "{rows:?}");

    let account = browser.get("/console/events?account=ACR0000000228");
    assert_eq!(
        account.by_id("count"),
        Some(count(&["--account", "ACR0000000228"]))
    );
    for row in account.rows("events", "event") {
        assert!(row["account"].starts_with("ACR0000000228"), "{row:?}");
    }

    let dated = browser.get("/console/events?since=2016-06-22&until=2016-06-23");
    assert_eq!(
        dated.by_id("count"),
        Some(count(&["--since", "2016-06-22", "--until", "2016-06-23"]))
    );
    let far = browser.get("/console/events?page=18446744073709551615");
    assert_eq!(far.status, 200);
    assert!(far.rows("events", "event").is_empty());
    assert!(far.has("prev-page") && !far.has("next-page"));
    let bad = browser.get("/console/events?since=yesterday");
    assert_eq!(bad.status, 400);
    assert!(bad.by_id("error").unwrap().contains("is not a date"));
}

#[test]
fn the_history_lists_command_line_and_console_imports_newest_first() {
    let store = prepared();
    store.file("purchases.csv", purchases_with_bad_rows());
    store
        .cebulk()
        .args(["import", "--quiet", "--kind", "purchases", "purchases.csv"])
        .run()
        .code(1);
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let accepted = browser.upload(
        "web.json",
        &std::fs::read(fixture("requests/web.json")).unwrap(),
        &[("dry_run", "1")],
    );
    let location = accepted.location.expect("the run's page");
    browser.finished(&location);

    let history = browser.get("/console/history");
    let rows = history.rows("history", "import");
    assert_eq!(rows.len(), 2, "{}", history.text());
    let (console, cli) = (&rows[0], &rows[1]);
    assert_eq!(console["who"], USER.0);
    assert_eq!(console["file"], "web.json");
    assert!(console["status"].contains("dry run"), "{console:?}");
    assert!(cli["who"].contains("command line"), "{cli:?}");
    assert_eq!(cli["file"], "purchases.csv");
    assert_eq!(cli["kind"], "purchases");
    assert_eq!(cli["created"], "2");
    assert_eq!(cli["already-stored"], "0");
    assert_eq!(cli["unprocessed"], "3");
    for row in &rows {
        let when = &row["when"];
        assert!(
            when.len() == 20 && when.ends_with('Z') && when.as_bytes()[10] == b'T',
            "RFC 3339 to the second, UTC: {when}"
        );
    }
    assert!(!history.has("older"));

    // The command line's import opens as a result too, without the console's downloads.
    let link = history
        .text()
        .split("<a class=\"open\" href=\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .expect("the second row's link")
        .to_owned();
    let result = browser.get(&link);
    assert_eq!(result.by_id("status").as_deref(), Some("finished"));
    assert_eq!(result.by_id("created").as_deref(), Some("2"));
    assert_eq!(result.rows("by-code", "code").len(), 2);
    assert!(!result.has("download-report") && !result.has("download-rejects"));
    assert_eq!(browser.get("/console/imports/999").status, 404);
    assert_eq!(browser.get("/console/imports/x1").status, 404);
}

#[test]
fn a_documents_set_settles_its_kind_and_a_file_refused_whole_fails_its_run() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let document = std::fs::read(fixture("requests/web.json")).unwrap();
    let accepted = browser.upload("upload.json", &document, &[]);
    let result = browser.finished(accepted.location.as_deref().unwrap());
    assert_eq!(result.by_id("status").as_deref(), Some("finished"));
    let created: u64 = result.by_id("created").unwrap().parse().unwrap();
    assert!(created > 0, "{}", result.text());
    assert_eq!(store.committed_events(), i64::try_from(created).unwrap());

    let refused = browser.upload(
        "purchases.json",
        b"{\"purchase_customer_events_set\": [",
        &[],
    );
    let location = refused.location.expect("the run's page");
    let result = browser.finished(&location);
    assert_eq!(result.by_id("status").as_deref(), Some("failed"));
    let error = result.by_id("error").unwrap_or_default();
    assert!(error.starts_with("the file was refused: "), "{error}");
    assert!(result.has("download-report"), "the report says why");
    let progress = browser.get(&format!("{location}/progress"));
    let json: Value = serde_json::from_slice(&progress.body).unwrap();
    assert_eq!(json["status"], "failed");
    let history = browser.get("/console/history");
    let statuses: Vec<String> = history
        .rows("history", "import")
        .into_iter()
        .map(|row| row["status"].clone())
        .collect();
    assert_eq!(statuses, ["failed", "finished"]);
}

#[test]
fn the_history_shows_fifty_imports_a_page() {
    let store = prepared();
    store.file("web.ndjson", "");
    for _ in 0..51 {
        store
            .import(&["--quiet", "--kind", "web", "web.ndjson"])
            .code(0);
    }
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let first = browser.get("/console/history");
    assert_eq!(first.rows("history", "import").len(), 50);
    let text = first.text();
    let older = text
        .split("id=\"older\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the older imports")
        .to_owned();
    assert_eq!(older, "/console/history?before=2");
    let second = browser.get(&older);
    let rows = second.rows("history", "import");
    assert_eq!(rows.len(), 1);
    assert!(second.text().contains("href=\"/console/imports/1\""));
    assert!(!second.has("older"));
}

#[test]
fn a_compressed_partner_export_loads_through_its_mapping_profile() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let export = std::fs::read(fixture("partners/shopline-orders.csv.gz")).unwrap();
    let profile = std::fs::read(fixture("partners/shopline.toml")).unwrap();
    let csrf = browser.get("/console/import").csrf();
    let accepted = browser.post_multipart(
        "/console/imports",
        &[
            Part::Text("csrf", &csrf),
            Part::File("file", "shopline-orders.csv.gz", &export),
            Part::Text("kind", "purchases"),
            Part::File("profile", "shopline.toml", &profile),
            Part::Text("delimiter", ""),
        ],
    );
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    let location = accepted.location.unwrap();
    let result = browser.finished(&location);
    assert_eq!(
        result.by_id("created").as_deref(),
        Some("3"),
        "{}",
        result.text()
    );
    assert_eq!(result.by_id("unprocessed").as_deref(), Some("0"));
    assert!(!result.has("download-rejects"), "no rejects, no link");

    let cli = Store::new();
    let report = cli
        .import(&[
            "--quiet",
            "--kind",
            "purchases",
            "--reference",
            &reference(),
            "--map",
            &fixture("partners/shopline.toml"),
            &fixture("partners/shopline-orders.csv.gz"),
        ])
        .code(0)
        .stdout_text();
    let downloaded = browser.get(&format!("{location}/report"));
    assert_eq!(ids_masked(&downloaded.body), ids_masked(report.as_bytes()));
}

#[test]
fn a_server_stopped_during_a_console_import_lets_it_finish_and_records_it() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    let events: Vec<String> = (0..20_000)
        .map(|i| web_event_at(&format!("s-{i}"), "www.crm.com").to_string())
        .collect();
    let accepted = browser.upload("web.ndjson", events.join("\n").as_bytes(), &[]);
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    let (status, _) = server.stop("TERM");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        store.text_rows("SELECT status, created FROM imports"),
        [["finished", "20000"]],
        "the run ended before the server, and says so"
    );
    assert_eq!(store.committed_events(), 20_000);
}

#[test]
fn a_session_idles_out_as_a_logins_token_does() {
    let store = prepared();
    let server = Server::start(&store.db(), &["--token-idle", "2s"]);
    let mut browser = CookieClient::new(&server);
    browser.sign_in();
    // Pages further and further apart, until one sends to the sign-in page; that came at
    // least 2 s after the last page shown (a loaded machine only lengthens the gaps).
    let mut last_use = std::time::Instant::now();
    let mut gap = std::time::Duration::from_millis(100);
    let bound = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        std::thread::sleep(gap);
        // Taken before the request, so the server's record of the use is no earlier.
        let sent = std::time::Instant::now();
        let page = browser.get("/console/history");
        if page.status == 303 {
            assert_eq!(page.location.as_deref(), Some("/console/sign-in"));
            assert!(
                last_use.elapsed() >= std::time::Duration::from_secs(2),
                "{:?}",
                last_use.elapsed()
            );
            break;
        }
        assert_eq!(page.status, 200);
        last_use = sent;
        gap *= 2;
        assert!(
            std::time::Instant::now() < bound,
            "the session never idled out"
        );
    }
}
