//! A running `cebulk serve` on a store: started on a free loopback port, ready once it has
//! printed the line saying where it listens (never after a sleep), called through a real
//! HTTP client (ureq), and stopped with a signal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// How long a server may take to start or stop before the test fails: a bound against a
/// hang, not a speed requirement.
const BOUND: Duration = Duration::from_secs(120);

/// A user every test server knows: `cebulk user add ann --organisation Acme`, password
/// `s3cret pass`.
pub const USER: (&str, &str, &str) = ("ann", "s3cret pass", "Acme");

/// The HTTP client: statuses other than 2xx are answers to read, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(BOUND))
        .build()
        .into()
}

/// An answer: HTTP status and body as JSON.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, parsed.
    pub json: Value,
    /// The content type.
    pub content_type: String,
}

impl Answer {
    /// The envelope's `status.code`.
    pub fn code(&self) -> &str {
        self.json["status"]["code"].as_str().unwrap_or_default()
    }
}

/// Reads a response into an [`Answer`].
pub fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .expect("the answer's body");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    Answer {
        status,
        json,
        content_type,
    }
}

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/crmapi/rest/v2`
    pub base: String,
    /// `127.0.0.1:PORT`
    pub address: String,
    stderr: Arc<Mutex<Vec<String>>>,
    ended: Mutex<Receiver<()>>,
}

/// Adds the user [`USER`] to the store at `db`.
pub fn add_user(db: &Path) {
    let (name, password, organisation) = USER;
    let output = Command::new(assert_cmd::cargo::cargo_bin("cebulk"))
        .env_remove("CEBULK_STORE")
        .arg("--store")
        .arg(db)
        .args(["user", "add", name, "--organisation", organisation])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{password}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("cebulk user add");
    assert!(output.status.success(), "{output:?}");
}

impl Server {
    /// `cebulk --store DB serve --listen 127.0.0.1:0 ARGS…`, once it listens.
    pub fn start(db: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("cebulk"))
            .env_remove("CEBULK_STORE")
            .arg("--store")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting cebulk serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (listening_tx, listening) = channel();
        let (ended_tx, ended) = channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr"));
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in lines.lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on http://") {
                    let _ = listening_tx.send(line[at + "listening on ".len()..].to_owned());
                }
                kept.lock().unwrap().push(line);
            }
            let _ = ended_tx.send(());
        });
        let base = listening.recv_timeout(BOUND).unwrap_or_else(|_| {
            panic!(
                "cebulk serve did not say it listens: {:?}",
                stderr.lock().unwrap()
            )
        });
        let address = base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        Server {
            child,
            base,
            address,
            stderr,
            ended: Mutex::new(ended),
        }
    }

    /// The URL of `method` (e.g. `authentication/token`).
    pub fn url(&self, method: &str) -> String {
        format!("{}/{method}", self.base)
    }

    /// POSTs `body` (JSON text) to `method`.
    pub fn post(&self, method: &str, body: &str) -> Answer {
        let response = agent()
            .post(&self.url(method))
            .header("content-type", "application/json")
            .send(body)
            .unwrap_or_else(|e| panic!("POST {method}: {e}"));
        answer(response)
    }

    /// Logs in as `name` with `password` and `organisation`.
    pub fn login_as(&self, name: &str, password: &str, organisation: &str) -> Answer {
        let body = json!({"username": name, "password": password, "organisation": organisation});
        self.post("authentication/token", &body.to_string())
    }

    /// Logs in as [`USER`]; gives the token.
    pub fn login(&self) -> String {
        let (name, password, organisation) = USER;
        let answer = self.login_as(name, password, organisation);
        assert_eq!(answer.status, 200, "{:?}", answer.json);
        answer.json["data"]["token"].as_str().unwrap().to_owned()
    }

    /// Logs in with the web API key `key` as the HTTP Basic user name.
    pub fn key_login(&self, key: &str) -> Answer {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        answer(
            agent()
                .post(&self.url("authentication/web_api_key/token"))
                .header("authorization", &format!("Basic {basic}"))
                .send_empty()
                .unwrap_or_else(|e| panic!("POST authentication/web_api_key/token: {e}")),
        )
    }

    /// POSTs `document` with `token` set to the create method of `kind`.
    pub fn create(&self, kind: &str, token: &str, mut document: Value) -> Answer {
        document["token"] = json!(token);
        self.post(
            &format!("customer_events/bulk/{kind}/create"),
            &document.to_string(),
        )
    }

    /// Standard error so far, a line an entry.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (`TERM`, `INT`) with kill(1) (the crate forbids `unsafe`) and waits
    /// for the process to end; its status and standard error.
    pub fn stop(mut self, signal: &str) -> (ExitStatus, Vec<String>) {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill -{signal} failed");
        self.ended
            .lock()
            .unwrap()
            .recv_timeout(BOUND)
            .expect("cebulk serve did not close its standard error");
        let status = self.child.wait().expect("waiting for cebulk serve");
        let lines = self.stderr();
        (status, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
