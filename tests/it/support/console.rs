//! A client of the console (`/console/` of a running `cebulk serve`) as a browser without
//! JavaScript sees it: it keeps the cookies it is given by hand, follows no redirect, posts
//! forms (URL-encoded, or multipart with files) and reads pages as text.

use std::collections::BTreeMap;
use std::time::Duration;

use super::server::{Server, USER};

/// How long one exchange may take before the test fails: a bound against a hang.
const BOUND: Duration = Duration::from_secs(120);

/// A page or file answered.
#[derive(Debug, Clone)]
pub struct Page {
    /// The HTTP status.
    pub status: u16,
    /// `Location`, for a redirect.
    pub location: Option<String>,
    /// The `Set-Cookie` headers.
    pub set_cookies: Vec<String>,
    /// `Content-Type`.
    pub content_type: String,
    /// `Content-Disposition`.
    pub disposition: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Page {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of the element whose id is `id` (the first such element, tags inside
    /// removed, entities left as written), if there is one.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let text = self.text();
        let at = text.find(&format!(" id=\"{id}\""))?;
        let open_end = at + text[at..].find('>')? + 1;
        let tag_start = text[..at].rfind('<')?;
        let tag: String = text[tag_start + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let close = text[open_end..].find(&format!("</{tag}>"))?;
        Some(strip_tags(&text[open_end..open_end + close]))
    }

    /// Whether an element has the id `id`.
    pub fn has(&self, id: &str) -> bool {
        self.text().contains(&format!(" id=\"{id}\""))
    }

    /// The value of the hidden `csrf` field of the page's first form.
    pub fn csrf(&self) -> String {
        let text = self.text();
        let at = text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {text}"));
        let rest = &text[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The rows (`<tr class="CLASS">`) of the table `id`, each as its cells' texts by class
    /// (cells without a class by position, `0`, `1`, …).
    pub fn rows(&self, id: &str, class: &str) -> Vec<BTreeMap<String, String>> {
        let text = self.text();
        let Some(at) = text.find(&format!("<table id=\"{id}\"")) else {
            return Vec::new();
        };
        let table = &text[at..at + text[at..].find("</table>").unwrap()];
        table
            .split("<tr")
            .skip(1)
            .filter(|row| row.starts_with(&format!(" class=\"{class}\"")))
            .map(|row| {
                row.split("<td")
                    .skip(1)
                    .enumerate()
                    .map(|(i, cell)| {
                        let key = cell
                            .strip_prefix(" class=\"")
                            .and_then(|c| c.split('"').next())
                            .map_or_else(|| i.to_string(), str::to_owned);
                        let inner = &cell[cell.find('>').unwrap() + 1..];
                        let inner = &inner[..inner.find("</td>").unwrap()];
                        (key, strip_tags(inner))
                    })
                    .collect()
            })
            .collect()
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// A part of a multipart form.
pub enum Part<'a> {
    /// A plain field.
    Text(&'a str, &'a str),
    /// A file: field name, file name, contents.
    File(&'a str, &'a str, &'a [u8]),
}

/// A multipart form's body and its boundary.
pub fn multipart(parts: &[Part<'_>]) -> (Vec<u8>, String) {
    let boundary = "----cebulk-test-boundary-7d1f".to_owned();
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, file, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (body, boundary)
}

/// An HTTP client of the console of one server that keeps its cookies as a browser does
/// (the real browser is `support::browser`).
pub struct CookieClient {
    origin: String,
    agent: ureq::Agent,
    /// The cookies kept, by name.
    pub cookies: BTreeMap<String, String>,
}

impl CookieClient {
    /// A client with no cookies, on `server`.
    pub fn new(server: &Server) -> CookieClient {
        CookieClient {
            origin: format!("http://{}", server.address),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(BOUND))
                .build()
                .into(),
            cookies: BTreeMap::new(),
        }
    }

    /// `http://HOST:PORT`
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn read(&mut self, mut response: ureq::http::Response<ureq::Body>) -> Page {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let location = Some(header("location")).filter(|l| !l.is_empty());
        let content_type = header("content-type");
        let disposition = header("content-disposition");
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .expect("the answer's body");
        Page {
            status: response.status().as_u16(),
            location,
            set_cookies,
            content_type,
            disposition,
            body,
        }
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Page {
        let response = self
            .agent
            .get(&format!("{}{path}", self.origin))
            .header("cookie", &self.cookie_header())
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        self.read(response)
    }

    /// `POST path` of a URL-encoded form.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.post(
            path,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
            &[],
        )
    }

    /// `POST path` of a multipart form.
    pub fn post_multipart(&mut self, path: &str, parts: &[Part<'_>]) -> Page {
        let (body, boundary) = multipart(parts);
        self.post(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
            &[],
        )
    }

    /// `POST path` of `body` with `headers` besides the cookies.
    pub fn post(
        &mut self,
        path: &str,
        content_type: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.origin))
            .header("cookie", &self.cookie_header())
            .header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send(body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.read(response)
    }

    /// Signs in as `name` with `password` through the sign-in form.
    pub fn sign_in_as(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in");
        assert_eq!(form.status, 200, "{}", form.text());
        let csrf = form.csrf();
        self.post_form(
            "/console/sign-in",
            &[("username", name), ("password", password), ("csrf", &csrf)],
        )
    }

    /// Signs in as [`USER`]; the browser then holds a session. Gives the answer.
    pub fn sign_in(&mut self) -> Page {
        let page = self.sign_in_as(USER.0, USER.1);
        assert_eq!(page.status, 303, "{}", page.text());
        assert_eq!(page.location.as_deref(), Some("/console/import"));
        assert!(self.cookies.contains_key("cebulk_session"));
        page
    }

    /// Uploads `file` named `name` through the import form, with `fields` besides; the
    /// answer (303 to the run's page when accepted).
    pub fn upload(&mut self, name: &str, file: &[u8], fields: &[(&str, &str)]) -> Page {
        let form = self.get("/console/import");
        let csrf = form.csrf();
        // As a browser sends the form: the profile's part is there, empty, when no profile
        // is chosen.
        let mut parts = vec![
            Part::Text("csrf", &csrf),
            Part::File("file", name, file),
            Part::File("profile", "", b""),
        ];
        parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
        self.post_multipart("/console/imports", &parts)
    }

    /// Polls the run at `location` (`/console/imports/ID`) until it is no longer running;
    /// gives its page. Each poll waits for the server's answer; the bound is the
    /// server's own (a run that never ends fails the test through the HTTP timeout).
    pub fn finished(&mut self, location: &str) -> Page {
        let progress = format!("{location}/progress");
        let started = std::time::Instant::now();
        loop {
            let answer = self.get(&progress);
            assert_eq!(answer.status, 200, "{}", answer.text());
            let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            if json["status"] != "running" {
                return self.get(location);
            }
            assert!(started.elapsed() < BOUND, "the import did not end: {json}");
            // A poll's interval, not a wait for the import: the loop ends on the status.
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `text` URL-encoded: all but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}
