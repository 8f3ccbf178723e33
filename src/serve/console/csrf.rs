//! Cross-site request forgery: the token every console form carries in its hidden `csrf`
//! field, and the check of a POST's origin.
//!
//! A session's token is derived from its session cookie (which no other site can read), so
//! it needs no storage and ends with the session. The sign-in form, before any session,
//! gets a short-lived cookie whose value the server keys with a secret of its own, so that
//! a form token is good only with the cookie it was given with.

use axum::http::{HeaderMap, header};

/// How long a sign-in form may wait before it is submitted.
pub const SIGN_IN_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// The form token of the session whose cookie is `session`.
pub fn for_session(session: &str) -> String {
    blake3::Hasher::new_derive_key("cebulk console 2026 session form token")
        .update(session.as_bytes())
        .finalize()
        .to_hex()
        .to_string()
}

/// The form token of the sign-in form given with the cookie value `cookie`.
pub fn for_sign_in(secret: &[u8; 32], cookie: &str) -> String {
    blake3::keyed_hash(secret, cookie.as_bytes())
        .to_hex()
        .to_string()
}

/// Whether `given` is `expected`, compared in constant time (BLAKE3 hashes compare so), so
/// that the time taken tells nothing of how much of a guess was right.
pub fn matches(expected: &str, given: Option<&str>) -> bool {
    let Some(given) = given else {
        return false;
    };
    !expected.is_empty() && blake3::hash(expected.as_bytes()) == blake3::hash(given.as_bytes())
}

/// Whether the time in a sign-in cookie (`MILLIS.RANDOM`) is recent at `now`.
pub fn sign_in_fresh(cookie: &str, now: i64) -> bool {
    cookie
        .split_once('.')
        .and_then(|(millis, _)| millis.parse::<i64>().ok())
        .is_some_and(|issued| (0..SIGN_IN_LIFETIME_MS).contains(&now.saturating_sub(issued)))
}

/// Whether a POST came from a page of this server, as far as the browser says:
/// `Sec-Fetch-Site`, when given, is `same-origin` (or `none`, typed by the user), and
/// `Origin`, when given, is this server's (by the `Host` header).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_match_only_their_cookie() {
        let secret = [7u8; 32];
        let token = for_sign_in(&secret, "1.AB");
        assert!(matches(&token, Some(&token)));
        assert!(!matches(&token, Some(&for_sign_in(&secret, "1.AC"))));
        assert!(!matches(&token, Some(&for_sign_in(&[8u8; 32], "1.AB"))));
        assert!(!matches(&token, None));
        assert!(!matches("", Some("")));
        assert_ne!(for_session("A"), for_session("B"));
    }

    #[test]
    fn sign_in_cookies_age_out() {
        assert!(sign_in_fresh("1000.X", 1000 + SIGN_IN_LIFETIME_MS - 1));
        assert!(!sign_in_fresh("1000.X", 1000 + SIGN_IN_LIFETIME_MS));
        assert!(!sign_in_fresh("2000.X", 1000), "from the future");
        assert!(!sign_in_fresh("X", 1000));
    }

    #[test]
    fn only_this_servers_pages_may_post() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(same_origin(&headers(&[("host", "h:1")])));
        assert!(same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "http://h:1"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "http://evil:1")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h:1"),
            ("sec-fetch-site", "cross-site")
        ])));
    }
}
