//! A real browser for the console's tests: Debian's `chromium`, headless, driven over
//! WebDriver by its `chromedriver` (started on a free port, read from the line it prints,
//! never after a sleep) through fantoccini, with a fresh profile for each [`Browser`].
//! Every wait polls the page for what the test expects, with a deadline of minutes: a
//! bound against a hang on a loaded machine, not a speed requirement. Dropping a
//! [`Browser`] (also when its test panics) ends the browser and kills chromedriver.

use std::io::{BufRead, BufReader, ErrorKind};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::runtime::Runtime;

/// How long anything in the browser may take before the test fails.
pub const BOUND: Duration = Duration::from_secs(300);

/// The pause between two looks at the page while waiting for it to change.
const POLL: Duration = Duration::from_millis(100);

/// The window's size, which is also the screenshots' size.
const WINDOW: (u32, u32) = (1280, 800);

/// Debian's chromium, the browser chromedriver starts.
const CHROMIUM: &str = "/usr/bin/chromium";

/// What to do when the browser is missing: the tests fail rather than skip, so that CI
/// cannot pass without them.
const INSTALL: &str = "the console's browser tests need Debian's `chromium` and \
    `chromium-driver`: run `.ci/run` (which installs them) or \
    `apt-get install chromium chromium-driver`";

/// The path of `target/console-screenshots/` (created), beside the test binary's
/// `target/debug/deps/`.
pub fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary lies in target/debug/deps/");
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("creating target/console-screenshots/");
    dir
}

/// A running chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    output: Arc<Mutex<Vec<String>>>,
}

impl Driver {
    /// `chromedriver --port=0`, once it has said the port it listens on.
    fn start() -> Driver {
        let mut child = match Command::new("chromedriver")
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => panic!("no chromedriver: {INSTALL}"),
            Err(e) => panic!("starting chromedriver: {e}; {INSTALL}"),
        };
        let output = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = channel();
        let lines = BufReader::new(child.stdout.take().expect("chromedriver's stdout"));
        let kept = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in lines.lines() {
                let Ok(line) = line else { break };
                // "ChromeDriver was started successfully on port 41873."
                if line.contains("started successfully")
                    && let Some(port) = line.rsplit("on port ").next()
                    && let Ok(port) = port.trim().trim_end_matches('.').parse::<u16>()
                {
                    let _ = port_tx.send(port);
                }
                kept.lock().unwrap().push(line);
            }
        });
        let port = port_rx.recv_timeout(BOUND).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "chromedriver did not say its port: {:?}; {INSTALL}",
                output.lock().unwrap()
            )
        });
        Driver {
            child,
            port,
            output,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a download gave: its HTTP status, headers the tests read, and its bytes.
#[derive(Debug)]
pub struct Download {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Disposition` header, empty when absent.
    pub disposition: String,
    /// The body, byte for byte.
    pub bytes: Vec<u8>,
}

impl Download {
    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("the download is UTF-8")
    }
}

/// A headless chromium with a fresh profile, its chromedriver, and the runtime that drives
/// it; every method blocks until the browser has done it.
pub struct Browser {
    client: Option<Client>,
    runtime: Runtime,
    /// Killed after the session ends (fields drop in order).
    _driver: Driver,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser session on a 1280×800 window.
    pub fn start() -> Browser {
        let driver = Driver::start();
        let profile = TempDir::new().expect("a profile directory");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        // An alert stays open for the test to see, instead of being dismissed by the next
        // command.
        capabilities.insert("unhandledPromptBehavior".into(), json!("ignore"));
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = runtime
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&url),
            )
            .unwrap_or_else(|e| {
                panic!(
                    "no browser session from chromedriver at {url}: {e}; chromedriver said {:?}; \
                     {INSTALL}",
                    driver.output.lock().unwrap()
                )
            });
        let browser = Browser {
            client: Some(client),
            runtime,
            _driver: driver,
            _profile: profile,
        };
        let timeouts = fantoccini::wd::TimeoutConfiguration::new(
            Some(BOUND),
            Some(BOUND),
            Some(Duration::ZERO),
        );
        browser
            .block(|c| async move { c.update_timeouts(timeouts).await })
            .expect("setting the browser's timeouts");
        browser.fit_viewport();
        browser
    }

    /// Sizes the window so that the page's viewport (what a screenshot shows) is
    /// [`WINDOW`], whatever the window's frame takes.
    fn fit_viewport(&self) {
        let frame = self.execute(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
            vec![],
        );
        let extra = |i: usize| u32::try_from(frame[i].as_u64().unwrap_or(0)).unwrap_or(0);
        let (width, height) = (WINDOW.0 + extra(0), WINDOW.1 + extra(1));
        self.block(|c| async move { c.set_window_size(width, height).await })
            .expect("sizing the window");
    }

    /// The session.
    fn client(&self) -> Client {
        self.client.clone().expect("the browser session")
    }

    /// Runs `f` on the session to its end.
    fn block<T, F, Fut>(&self, f: F) -> T
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = T>,
    {
        self.runtime.block_on(f(self.client()))
    }

    /// Opens `url` and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.block(|c| async move { c.goto(url).await })
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The URL the browser shows.
    pub fn url(&self) -> String {
        self.block(|c| async move { c.current_url().await })
            .expect("the current URL")
            .to_string()
    }

    /// The path (and query) of the URL the browser shows.
    pub fn path(&self) -> String {
        let url = self.block(|c| async move { c.current_url().await });
        let url = url.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the path (and query) of the URL the browser shows satisfies `ready`;
    /// gives it.
    pub fn wait_path(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let path = self.path();
            if ready(&path) {
                return path;
            }
            assert!(
                start.elapsed() < BOUND,
                "the browser did not reach {what} within {BOUND:?}: it shows {path}\n{}",
                self.source()
            );
            std::thread::sleep(POLL);
        }
    }

    /// The HTTP status of the response that loaded the page shown now.
    pub fn navigation_status(&self) -> u64 {
        let status = self.execute(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        );
        status
            .as_u64()
            .unwrap_or_else(|| panic!("no navigation status: {status}"))
    }

    /// The cookie `name` of the page's site (HttpOnly ones too: WebDriver sees them).
    pub fn cookie(&self, name: &str) -> Option<Cookie<'static>> {
        match self.block(|c| async move { c.get_named_cookie(name).await }) {
            Ok(cookie) => Some(cookie),
            Err(e) if e.is_no_such_cookie() => None,
            Err(e) => panic!("the cookie {name}: {e}"),
        }
    }

    /// Sets `cookie` on the page's site, as a browser replaying it would send it.
    pub fn add_cookie(&self, cookie: Cookie<'static>) {
        self.block(|c| async move { c.add_cookie(cookie).await })
            .expect("setting a cookie");
    }

    /// The page's HTML as the browser holds it now.
    pub fn source(&self) -> String {
        self.block(|c| async move { c.source().await })
            .expect("the page's source")
    }

    /// The elements `css` selects now (maybe none).
    pub fn all(&self, css: &str) -> Vec<Element> {
        self.block(|c| async move { c.find_all(Locator::Css(css)).await })
            .unwrap_or_else(|e| panic!("finding {css}: {e}"))
    }

    /// Whether `css` selects anything now.
    pub fn has(&self, css: &str) -> bool {
        !self.all(css).is_empty()
    }

    /// The first element `css` selects, once there is one.
    pub fn find(&self, css: &str) -> Element {
        self.block(|c| async move {
            c.wait()
                .at_most(BOUND)
                .every(POLL)
                .for_element(Locator::Css(css))
                .await
        })
        .unwrap_or_else(|e| {
            panic!(
                "no {css} on {} within {BOUND:?}: {e}\n{}",
                self.url(),
                self.source()
            )
        })
    }

    /// The text of the first element `css` selects, once there is one.
    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.runtime
            .block_on(element.text())
            .unwrap_or_else(|e| panic!("the text of {css}: {e}"))
    }

    /// The text of the first element `css` selects inside `element`.
    pub fn cell(&self, element: &Element, css: &str) -> String {
        self.runtime
            .block_on(async {
                element
                    .find(Locator::Css(css))
                    .await?
                    .text()
                    .await
                    .map(|t| t.trim().to_owned())
            })
            .unwrap_or_else(|e| panic!("the text of {css} in a row: {e}"))
    }

    /// The attribute `name` of the first element `css` selects.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css);
        self.runtime
            .block_on(element.attr(name))
            .unwrap_or_else(|e| panic!("the {name} of {css}: {e}"))
    }

    /// Waits until the text of `css` satisfies `ready`; gives that text.
    pub fn wait_text(&self, css: &str, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            // The page may be reloading (a result page does when its import ends): an
            // element gone or a search that fails is "not yet".
            let found = self.block(|c| async move { c.find_all(Locator::Css(css)).await });
            let texts: Vec<String> = found
                .unwrap_or_default()
                .iter()
                .filter_map(|e| self.runtime.block_on(e.text()).ok())
                .collect();
            if let Some(text) = texts.first()
                && ready(text.trim())
            {
                return text.trim().to_owned();
            }
            assert!(
                start.elapsed() < BOUND,
                "{css} on {} did not become {what} within {BOUND:?}: {texts:?}",
                self.url()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Types `text` into the first element `css` selects (for a file input: a file's path).
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.runtime
            .block_on(element.send_keys(text))
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// The id of the element that has the keyboard's focus ("" for none).
    pub fn focused(&self) -> String {
        let id = self.execute(
            "return document.activeElement ? document.activeElement.id : '';",
            vec![],
        );
        id.as_str().unwrap_or_default().to_owned()
    }

    /// Presses Tab until the element of id `id` has the focus (failing after as many
    /// presses as the page has elements that can take it).
    pub fn tab_to(&self, id: &str) {
        let stops = self.all("a[href], button, input, select, textarea").len() + 1;
        let mut visited = Vec::new();
        for _ in 0..=stops {
            if self.focused() == id {
                return;
            }
            self.press(Key::Tab);
            visited.push(self.focused());
        }
        panic!(
            "Tab never reaches #{id} on {}: it visits {visited:?}",
            self.url()
        );
    }

    /// Presses and releases `key` on the keyboard, wherever the focus is.
    pub fn press(&self, key: Key) {
        let key = char::from(key);
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.block(|c| async move { c.perform_actions(actions).await })
            .unwrap_or_else(|e| panic!("pressing a key: {e}"));
    }

    /// Chooses the option of value `value` in the select `css`.
    pub fn select(&self, css: &str, value: &str) {
        let element = self.find(css);
        self.runtime
            .block_on(element.select_by_value(value))
            .unwrap_or_else(|e| panic!("choosing {value:?} in {css}: {e}"));
    }

    /// Clicks the first element `css` selects.
    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.runtime
            .block_on(element.click())
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Runs `script` in the page with `args`; gives what it returns.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.block(|c| async move { c.execute(script, args).await })
            .unwrap_or_else(|e| panic!("running {script}: {e}"))
    }

    /// The text of the alert dialog open now, if one is.
    pub fn alert(&self) -> Option<String> {
        match self.block(|c| async move { c.get_alert_text().await }) {
            Ok(text) => Some(text),
            Err(e) if e.is_no_such_alert() => None,
            Err(e) => panic!("asking for an alert: {e}"),
        }
    }

    /// Fetches `path` from the page's origin with the page's cookies (as a click on a
    /// download link would), byte for byte.
    pub fn download(&self, path: &str) -> Download {
        const FETCH: &str = r"
            const [path, done] = arguments;
            fetch(path, {credentials: 'same-origin', redirect: 'manual'})
              .then(r => r.arrayBuffer().then(b => done({
                status: r.status,
                disposition: r.headers.get('content-disposition') || '',
                bytes: Array.from(new Uint8Array(b)),
              })))
              .catch(e => done({status: 0, disposition: String(e), bytes: []}));
        ";
        let answer = self
            .block(|c| async move { c.execute_async(FETCH, vec![json!(path)]).await })
            .unwrap_or_else(|e| panic!("fetching {path}: {e}"));
        let bytes = answer["bytes"]
            .as_array()
            .expect("the download's bytes")
            .iter()
            .map(|b| u8::try_from(b.as_u64().expect("a byte")).expect("a byte"))
            .collect();
        Download {
            status: u16::try_from(answer["status"].as_u64().expect("a status")).unwrap(),
            disposition: answer["disposition"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            bytes,
        }
    }

    /// Saves what the window shows as `target/console-screenshots/NAME.png`; gives its
    /// path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .block(|c| async move { c.screenshot().await })
            .unwrap_or_else(|e| panic!("a screenshot of {name}: {e}"));
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ends chromium; chromedriver is killed when `driver` drops after this.
            let closed: Result<Result<(), CmdError>, _> = self
                .runtime
                .block_on(async { tokio::time::timeout(BOUND, client.close()).await });
            drop(closed);
        }
    }
}
