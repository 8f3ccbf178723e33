//! `cebulk serve` through a real HTTP client over loopback, against the real binary: the
//! seed's documents answered as `cebulk import` answers them, logins and web API keys,
//! tokens released, expired, kept across restarts and shared between servers, many clients
//! beside an import, a graceful stop with requests in flight, and every bad input answered
//! with its envelope and HTTP status.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::server::{Answer, Server, USER, add_user, agent, answer};
use crate::support::{KINDS, Store, fixture, ndjson, reference, set, web_event_at};

/// A store with the fixtures' reference data and the user [`USER`].
fn prepared() -> Store {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    add_user(&store.db());
    store
}

/// The seed's request document of `kind`.
fn document(kind: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("requests/{kind}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A report with each processed entry's id and number replaced by their shape.
fn masked(report: &Value) -> Value {
    let mut report = report.clone();
    if let Some(entries) = report["data"]["processed_customer_events_set"].as_array_mut() {
        for entry in entries {
            assert!(entry["id"].as_str().is_some_and(crate::support::is_id));
            entry["id"] = json!("ID");
            entry["number"] = json!("N");
        }
    }
    report
}

/// A web document of `events` events whose identifiers start with `prefix`.
fn web_document(prefix: &str, events: usize) -> Value {
    let set: Vec<Value> = (0..events)
        .map(|i| web_event_at(&format!("{prefix}-{i}"), "www.crm.com"))
        .collect();
    json!({"web_customer_events_set": set})
}

const WEB: &str = "customer_events/bulk/web/create";

#[test]
fn each_seed_document_is_answered_as_cebulk_import_answers_it_until_the_token_is_released() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    for kind in KINDS {
        let cli = Store::new()
            .import(&[
                "--quiet",
                "--reference",
                &reference(),
                &fixture(&format!("requests/{kind}.json")),
            ])
            .json();
        let http = server.create(kind, &token, document(kind));
        assert_eq!(http.status, 200, "{kind}: {}", http.json);
        assert_eq!(http.content_type, "application/json");
        assert_eq!(
            masked(&http.json),
            masked(&cli),
            "{kind}: HTTP and import differ"
        );
        assert!(!set(&http.json, "processed_customer_events_set").is_empty());

        // Sent again: nothing new, the original ids and numbers.
        let again = server.create(kind, &token, document(kind));
        assert_eq!(
            again.json, http.json,
            "{kind}: a re-sent document is a re-run"
        );
    }
    let created = store.count("events");
    assert_eq!(
        store.run(&["check"]).code,
        Some(0),
        "the store is sound after the HTTP imports"
    );

    let released = server.post(
        "authentication/token/release",
        &json!({"token": token}).to_string(),
    );
    assert_eq!((released.status, released.code()), (200, "OK"));
    assert_eq!(released.json["data"], Value::Null);
    let refused = server.create("web", &token, document("web"));
    assert_eq!(
        (refused.status, refused.code()),
        (401, "InvalidTokenException")
    );
    assert_eq!(refused.json["data"], Value::Null);
    let again = server.post(
        "authentication/token/release",
        &json!({"token": token}).to_string(),
    );
    assert_eq!((again.status, again.code()), (401, "InvalidTokenException"));
    assert_eq!(
        store.count("events"),
        created,
        "a refused call creates nothing"
    );
}

#[test]
fn a_web_api_key_gives_a_token_and_an_unknown_key_is_refused() {
    let store = prepared();
    let made = store.run(&["key", "add", "nightly"]);
    made.code(0);
    let key = made.stdout_text().trim().to_owned();
    assert_eq!(key.len(), 48, "{key}");
    let listed = store.run(&["key", "list"]).stdout_text();
    assert!(
        listed.starts_with("nightly\t") && !listed.contains(&key),
        "{listed}"
    );
    let server = Server::start(&store.db(), &[]);

    let key_login = |key: &str| server.key_login(key);
    let issued = key_login(&key);
    assert_eq!(issued.status, 200, "{}", issued.json);
    let token = issued.json["data"]["token"].as_str().unwrap().to_owned();
    assert!(
        token.len() == 32
            && token
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    );
    let created = server.create("web", &token, web_document("key", 2));
    assert_eq!(created.status, 200, "{}", created.json);
    assert_eq!(set(&created.json, "processed_customer_events_set").len(), 2);

    let mut wrong = key.clone().into_bytes();
    wrong[40] = if wrong[40] == b'0' { b'1' } else { b'0' };
    for bad in [
        String::from_utf8(wrong).unwrap(),
        "short".into(),
        String::new(),
    ] {
        let refused = key_login(&bad);
        assert_eq!(
            (refused.status, refused.code()),
            (401, "InvalidCredentialsException"),
            "{bad}"
        );
    }
    let none = answer(
        agent()
            .post(&server.url("authentication/web_api_key/token"))
            .send_empty()
            .unwrap(),
    );
    assert_eq!(
        (none.status, none.code()),
        (401, "InvalidCredentialsException")
    );

    // A removed key's tokens stop working.
    store.run(&["key", "remove", "nightly"]).code(0);
    let refused = server.create("web", &token, web_document("key-after", 1));
    assert_eq!(
        (refused.status, refused.code()),
        (401, "InvalidTokenException")
    );
}

#[test]
fn users_are_added_listed_and_removed_from_the_command_line() {
    let store = prepared();
    let listed = store.run(&["user", "list"]);
    listed.code(0);
    assert!(
        listed.stdout_text().starts_with("ann\tAcme\t"),
        "{}",
        listed.stdout_text()
    );
    let again = store
        .cebulk()
        .args(["user", "add", "ann", "--organisation", "Acme"])
        .stdin("x\n")
        .run();
    assert_eq!(again.code, Some(2), "{}", again.stderr);
    let empty = store
        .cebulk()
        .args(["user", "add", "bob", "--organisation", "Acme"])
        .stdin("\n")
        .run();
    assert_eq!(empty.code, Some(2), "{}", empty.stderr);
    let text = std::fs::read_to_string(store.db()).unwrap_or_default();
    assert!(
        !text.contains(USER.1),
        "the password is not stored as written"
    );

    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    store.run(&["user", "remove", "ann"]).code(0);
    let refused = server.create("web", &token, web_document("gone", 1));
    assert_eq!(
        (refused.status, refused.code()),
        (401, "InvalidTokenException")
    );
    let (name, password, organisation) = USER;
    let login = server.login_as(name, password, organisation);
    assert_eq!(
        (login.status, login.code()),
        (401, "InvalidCredentialsException")
    );
    assert_eq!(store.run(&["user", "remove", "ann"]).code, Some(2));
}

#[test]
fn calls_without_a_working_token_are_refused_and_create_nothing() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let mut without = web_document("nt", 1);
    let missing = server.post(WEB, &without.to_string());
    without["token"] = json!(12);
    let number = server.post(WEB, &without.to_string());
    let unknown = server.create(
        "web",
        "0123456789ABCDEF0123456789ABCDEF",
        web_document("nt", 1),
    );
    let empty = server.create("web", "", web_document("nt", 1));
    for refused in [missing, number, unknown, empty] {
        assert_eq!(
            (refused.status, refused.code()),
            (401, "InvalidTokenException"),
            "{}",
            refused.json
        );
        assert_eq!(refused.json["data"], Value::Null);
    }
    assert_eq!(store.count("events"), 0);
}

#[test]
fn failed_logins_answer_alike_and_repeated_ones_are_slowed_down() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let (name, password, organisation) = USER;
    let wrong_password = server.login_as(name, "not it", organisation);
    let unknown_user = server.login_as("nobody", password, organisation);
    let wrong_organisation = server.login_as(name, password, "Other");
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.code(), "InvalidCredentialsException");
    assert_eq!(
        unknown_user.json, wrong_password.json,
        "unknown user and wrong password"
    );
    assert_eq!(wrong_organisation.json, wrong_password.json);

    let missing = server.post(
        "authentication/token",
        &json!({"username": name}).to_string(),
    );
    assert_eq!(
        (missing.status, missing.code()),
        (400, "MissingMandatoryParameterException")
    );
    let description = missing.json["status"]["description"].as_str().unwrap();
    assert!(
        description.contains("password") && description.contains("organisation"),
        "{description}"
    );

    // Three failures are free; the next attempts for that name wait first (at least a
    // second: a lower bound, which a loaded machine only lengthens).
    for _ in 0..3 {
        server.login_as("mallory", "guess", organisation);
    }
    let started = Instant::now();
    let slowed = server.login_as("mallory", "guess", organisation);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slowed.json, wrong_password.json);

    // A login with a unit of the store's reference data, by name; an unknown unit is refused.
    let with_unit = server.post(
        "authentication/token",
        &json!({"username": name, "password": password, "organisation": organisation, "unit": "Admin Unit"}).to_string(),
    );
    assert_eq!(with_unit.status, 200, "{}", with_unit.json);
    let bad_unit = server.post(
        "authentication/token",
        &json!({"username": name, "password": password, "organisation": organisation, "unit": "Nowhere"}).to_string(),
    );
    assert_eq!(
        (bad_unit.status, bad_unit.code()),
        (400, "InvalidRequestDocumentException")
    );
}

#[test]
fn bad_documents_unknown_paths_and_other_http_methods_are_refused_with_the_envelope() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let token = server.login();

    let not_json = server.post(WEB, "{\"token\": ");
    assert_eq!(
        (not_json.status, not_json.code()),
        (400, "InvalidRequestDocumentException")
    );
    let no_set = server.post(WEB, &json!({"token": token}).to_string());
    assert_eq!(
        (no_set.status, no_set.code()),
        (400, "UnknownCustomerEventsSetException")
    );
    let other_set = server.create("web", &token, document("purchases"));
    assert_eq!(
        (other_set.status, other_set.code()),
        (400, "UnknownCustomerEventsSetException")
    );
    let too_many = server.create("web", &token, web_document("many", 1001));
    assert_eq!(
        (too_many.status, too_many.code()),
        (400, "TooManyCustomerEventsException")
    );
    let mut bad_fields = web_document("f", 1);
    bad_fields["fields_set"] = json!("id,colour");
    let bad_fields = server.create("web", &token, bad_fields);
    assert_eq!(
        (bad_fields.status, bad_fields.code()),
        (400, "InvalidFieldsSetException")
    );
    for refused in [&not_json, &no_set, &too_many, &bad_fields] {
        assert_eq!(refused.json["data"], Value::Null);
    }
    // The document's own fields_set is applied, as by `cebulk import`.
    let mut some_fields = web_document("fields", 1);
    some_fields["fields_set"] = json!("id");
    let answered = server.create("web", &token, some_fields);
    let entry = &set(&answered.json, "processed_customer_events_set")[0];
    assert_eq!(entry.as_object().unwrap().len(), 2, "{entry}");

    for path in [
        "customer_events/bulk/parcels/create",
        "authentication",
        "nothing/here",
    ] {
        let unknown = server.post(path, "{}");
        assert_eq!(
            (unknown.status, unknown.code()),
            (404, "UnknownMethodException"),
            "{path}"
        );
    }
    let outside = answer(
        agent()
            .post(&format!(
                "http://{}/customer_events/bulk/web/create",
                server.address
            ))
            .send("{}")
            .unwrap(),
    );
    assert_eq!(outside.status, 404, "outside --base-path");
    let get = answer(agent().get(&server.url(WEB)).call().unwrap());
    assert_eq!((get.status, get.code()), (405, "MethodNotAllowedException"));
    assert_eq!(get.content_type, "application/json");
    assert_eq!(
        store.count("events"),
        1,
        "only the one valid document created anything"
    );
}

/// Sends `request` (raw HTTP) on a new connection; gives the connection.
fn raw(server: &Server, request: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream.write_all(request).unwrap();
    stream
}

/// Everything the server sends on `stream` until it closes it.
fn read_all(mut stream: TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text);
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn a_body_over_max_body_is_refused_before_it_is_read() {
    let store = prepared();
    let server = Server::start(&store.db(), &["--max-body", "1KiB"]);
    let token = server.login();
    let large = server.create("web", &token, web_document("big", 20));
    assert_eq!(
        (large.status, large.code()),
        (413, "RequestTooLargeException")
    );
    let small = server.create("web", &token, web_document("small", 1));
    assert_eq!(small.status, 200);

    // Declared larger than the limit: answered without sending the body.
    let path = server
        .url(WEB)
        .replacen(&format!("http://{}", server.address), "", 1);
    let declared = raw(
        &server,
        format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000000\r\n\r\n").as_bytes(),
    );
    let text = read_all(declared);
    assert!(
        text.starts_with("HTTP/1.1 413") && text.contains("RequestTooLargeException"),
        "{text}"
    );

    // Chunked, with no length declared: cut off once over the limit.
    let chunk = "x".repeat(1500);
    let chunked = raw(
        &server,
        format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            chunk.len()
        )
        .as_bytes(),
    );
    let text = read_all(chunked);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert_eq!(store.count("events"), 1);
}

#[test]
fn a_stalled_client_is_timed_out_without_blocking_the_others() {
    let store = prepared();
    let server = Server::start(&store.db(), &["--request-timeout", "5s"]);
    let path = server
        .url(WEB)
        .replacen(&format!("http://{}", server.address), "", 1);
    let stalled = raw(
        &server,
        format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{{\"token\":")
            .as_bytes(),
    );
    // Another stalls in its headers.
    let headers = raw(
        &server,
        format!("POST {path} HTTP/1.1\r\nhost: x\r\n").as_bytes(),
    );
    // While they stall, another client logs in and creates events.
    let token = server.login();
    let created = server.create("web", &token, web_document("other", 3));
    assert_eq!(created.status, 200, "{}", created.json);
    let text = read_all(stalled);
    assert!(
        text.starts_with("HTTP/1.1 408") && text.contains("RequestTimeoutException"),
        "{text}"
    );
    assert_eq!(read_all(headers), "", "closed without an answer");
    assert_eq!(store.count("events"), 3);

    // A client stalled in its headers does not hold the stop either.
    let _stalled_again = raw(&server, format!("POST {path} HTTP/1.1\r\n").as_bytes());
    let (status, lines) = server.stop("TERM");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
}

#[test]
fn a_client_that_disconnects_mid_request_leaves_whole_events_only() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    let mut document = web_document("cut", 200);
    document["token"] = json!(token);
    let body = document.to_string();
    let path = server
        .url(WEB)
        .replacen(&format!("http://{}", server.address), "", 1);
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );

    // Half the body, then gone: nothing of it is created.
    let half = raw(
        &server,
        format!("{head}{}", &body[..body.len() / 2]).as_bytes(),
    );
    half.shutdown(std::net::Shutdown::Both).unwrap();
    drop(half);
    // The whole body, then gone before the answer: created whole, or not at all.
    let whole = raw(&server, format!("{head}{body}").as_bytes());
    whole.shutdown(std::net::Shutdown::Both).unwrap();
    drop(whole);

    // Sent again by a client that waits: every event exactly once.
    let again = server.post(WEB, &body);
    assert_eq!(again.status, 200, "{}", again.json);
    assert_eq!(set(&again.json, "processed_customer_events_set").len(), 200);
    assert_eq!(store.count("events"), 200);
    let ruis: BTreeSet<String> = store
        .column::<String>("SELECT request_unique_identifier FROM events")
        .into_iter()
        .collect();
    assert_eq!(ruis.len(), 200);
    store.run(&["check"]).code(0);
}

#[test]
fn each_request_is_logged_on_one_line_without_tokens_or_passwords() {
    let store = prepared();
    let key = store
        .run(&["key", "add", "k"])
        .stdout_text()
        .trim()
        .to_owned();
    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    server.create("web", &token, web_document("log", 3));
    server.login_as(USER.0, "wrong password", USER.2);
    server.post(
        "authentication/token/release",
        &json!({"token": token}).to_string(),
    );
    let (status, lines) = server.stop("TERM");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    let requests: Vec<&String> = lines.iter().filter(|l| l.contains(" ms")).collect();
    assert_eq!(requests.len(), 4, "{lines:#?}");
    assert!(
        requests[1].starts_with(
            "cebulk serve: POST /crmapi/rest/v2/customer_events/bulk/web/create 200 3 events "
        ),
        "{lines:#?}"
    );
    for line in &lines {
        for secret in [token.as_str(), USER.1, "wrong password", key.as_str()] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

/// Calls `call` again and again until it is refused with `InvalidTokenException`; gives how
/// long after `since` that was. Fails the test after two minutes.
fn until_refused(since: Instant, mut call: impl FnMut() -> Answer) -> Duration {
    let bound = Instant::now() + Duration::from_secs(120);
    loop {
        let answer = call();
        if answer.status == 401 {
            assert_eq!(answer.code(), "InvalidTokenException");
            return since.elapsed();
        }
        assert_eq!(answer.status, 200, "{}", answer.json);
        assert!(Instant::now() < bound, "the token never expired");
    }
}

#[test]
fn a_logins_token_expires_once_idle_and_a_keys_token_at_its_age_even_in_use() {
    let store = prepared();
    let key = store
        .run(&["key", "add", "k"])
        .stdout_text()
        .trim()
        .to_owned();
    let server = Server::start(
        &store.db(),
        &["--token-idle", "2s", "--key-token-ttl", "3s"],
    );

    // Idle: calls further and further apart, until one is refused; it came at least 2 s
    // after the last call that worked (a lower bound: a loaded machine only lengthens gaps).
    let token = server.login();
    let mut last_use = Instant::now();
    let mut gap = Duration::from_millis(100);
    let bound = Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(gap);
        // Taken before the call, so the server's record of the use is no earlier: taken
        // after it, a slow answer on a loaded machine made the idle time look short.
        let sent = Instant::now();
        let answer = server.create("web", &token, json!({"web_customer_events_set": []}));
        if answer.status == 401 {
            assert_eq!(answer.code(), "InvalidTokenException");
            assert!(
                last_use.elapsed() >= Duration::from_secs(2),
                "{:?}",
                last_use.elapsed()
            );
            break;
        }
        assert_eq!(answer.status, 200, "{}", answer.json);
        last_use = sent;
        gap *= 2;
        assert!(Instant::now() < bound, "the token never expired");
    }

    // Absolute: a key's token used all the time still expires 3 s after it was issued.
    let issued_at = Instant::now();
    let issued = server.key_login(&key);
    let key_token = issued.json["data"]["token"].as_str().unwrap().to_owned();
    let lived = until_refused(issued_at, || {
        server.create("web", &key_token, json!({"web_customer_events_set": []}))
    });
    assert!(lived >= Duration::from_secs(3), "refused after {lived:?}");
}

#[test]
fn a_token_works_in_a_second_server_and_after_a_restart() {
    let store = prepared();
    let first = Server::start(&store.db(), &[]);
    let token = first.login();
    let second = Server::start(&store.db(), &[]);
    let on_second = second.create("web", &token, web_document("second", 2));
    assert_eq!(on_second.status, 200, "{}", on_second.json);
    let on_first = first.create("web", &token, web_document("first", 2));
    assert_eq!(on_first.status, 200, "{}", on_first.json);
    let (status, lines) = first.stop("TERM");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    let (status, lines) = second.stop("INT");
    assert_eq!(status.code(), Some(0), "{lines:#?}");

    let restarted = Server::start(&store.db(), &[]);
    let after = restarted.create("web", &token, web_document("restarted", 2));
    assert_eq!(after.status, 200, "{}", after.json);
    let numbers: BTreeSet<i64> = store
        .column::<i64>("SELECT number FROM events")
        .into_iter()
        .collect();
    assert_eq!(
        numbers,
        (1..=6).collect(),
        "one numbering across the servers"
    );
}

#[test]
fn eight_clients_and_an_import_at_once_create_every_event_exactly_once() {
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 50;
    const EVENTS: usize = 5;
    const IMPORTED: usize = 20_000;
    let store = prepared();
    let file = store.file(
        "import.ndjson",
        ndjson(
            &(0..IMPORTED)
                .map(|i| web_event_at(&format!("cli-{i}"), "www.crm.com"))
                .collect::<Vec<_>>(),
        ),
    );
    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    let start = std::sync::Barrier::new(CLIENTS + 1);
    let answers: Vec<Vec<Value>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (server, token, start) = (&server, &token, &start);
                scope.spawn(move || {
                    start.wait();
                    (0..REQUESTS)
                        .map(|request| {
                            let prefix = format!("http-{client}-{request}");
                            let answer = server.create("web", token, web_document(&prefix, EVENTS));
                            assert_eq!(answer.status, 200, "{}", answer.json);
                            answer.json
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        start.wait();
        let import = store.import(&["--quiet", "--kind", "web", &file]);
        import.code(0);
        assert_eq!(
            set(&import.json(), "processed_customer_events_set").len(),
            IMPORTED
        );
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });

    let mut ids = BTreeSet::new();
    for answer in answers.iter().flatten() {
        let processed = set(answer, "processed_customer_events_set");
        assert_eq!(processed.len(), EVENTS, "{answer}");
        assert!(
            set(answer, "unprocessed_customer_events_set").is_empty(),
            "{answer}"
        );
        for entry in processed {
            assert!(
                ids.insert(entry["id"].as_str().unwrap().to_owned()),
                "{entry}"
            );
        }
    }
    let total = CLIENTS * REQUESTS * EVENTS + IMPORTED;
    assert_eq!(store.count("events"), total as i64);
    let distinct =
        |column: &str| store.query_i64(&format!("SELECT count(DISTINCT {column}) FROM events"));
    assert_eq!(
        distinct("request_unique_identifier"),
        total as i64,
        "each event once"
    );
    assert_eq!(distinct("number"), total as i64, "numbers unique");
    assert_eq!(
        store.query_i64("SELECT max(number) FROM events"),
        total as i64,
        "no gap"
    );
    store.run(&["check"]).code(0);
}

#[test]
fn sigterm_answers_the_requests_in_flight_and_exits_0() {
    const CLIENTS: usize = 4;
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let token = server.login();
    let (answered_tx, answered_rx) = std::sync::mpsc::channel::<Vec<String>>();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (url, token, answered_tx) = (server.url(WEB), token.clone(), answered_tx.clone());
            std::thread::spawn(move || {
                let agent = agent();
                for request in 0.. {
                    let mut document = web_document(&format!("term-{client}-{request}"), 50);
                    document["token"] = json!(token);
                    // Refused or cut once the server stops: that request was not taken.
                    let Ok(response) = agent.post(&url).send(&document.to_string()) else {
                        return;
                    };
                    let answer = answer(response);
                    assert_eq!(answer.status, 200, "{}", answer.json);
                    let ruis = set(&answer.json, "processed_customer_events_set")
                        .iter()
                        .map(|e| e["request_unique_identifier"].as_str().unwrap().to_owned())
                        .collect();
                    if answered_tx.send(ruis).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(answered_tx);
    let mut answered = BTreeSet::new();
    for _ in 0..8 {
        answered.extend(answered_rx.recv().unwrap());
    }
    let (status, lines) = server.stop("TERM");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("SIGTERM")), "{lines:#?}");
    for client in clients {
        client.join().unwrap();
    }
    answered.extend(answered_rx.iter().flatten());
    let stored: BTreeSet<String> = store
        .column::<String>("SELECT request_unique_identifier FROM events")
        .into_iter()
        .collect();
    assert_eq!(
        stored, answered,
        "every answered event stored, and nothing unanswered"
    );
    assert_eq!(stored.len() % 50, 0, "whole requests only");
    store.run(&["check"]).code(0);
}

#[test]
fn an_address_in_use_is_refused_with_exit_status_3() {
    let store = prepared();
    let server = Server::start(&store.db(), &[]);
    let second = store.run(&["serve", "--listen", &server.address]);
    assert_eq!(second.code, Some(3), "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains(&format!("cannot listen on {}", server.address)),
        "{}",
        second.stderr
    );
}
