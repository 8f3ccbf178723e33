//! Console sessions: the `cebulk_session` cookie, a random 128-bit value of which the store
//! keeps only a hash, in the tokens table beside the API's login tokens (so that it idles
//! out after `--token-idle` like them, and `cebulk user remove` ends it). The hash is
//! derived under its own context, so a session cookie is no API token and an API token no
//! session cookie.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::layout;
use crate::serve::state::State;
use crate::serve::tokens::{new_token, now_ms};
use crate::store::auth::{self, Origin, Token};

/// The session cookie's name.
pub const COOKIE: &str = "cebulk_session";

/// Where the console's cookies apply.
pub const PATH: &str = "/console";

/// A signed-in user's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's name.
    pub user: String,
    /// What the store keeps of the cookie.
    pub hash: String,
    /// The token the session's forms carry.
    pub csrf: String,
}

/// What the store keeps of the session cookie `value`.
pub fn hash(value: &str) -> String {
    blake3::Hasher::new_derive_key("cebulk console 2026 session")
        .update(value.as_bytes())
        .finalize()
        .to_hex()
        .to_string()
}

/// The value of the cookie `name` in the request, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: `name=value` for the console's path, HttpOnly, SameSite=Strict,
/// lasting `max_age` seconds (`None`: until the browser closes), `Secure` when the request
/// came over TLS (as a proxy in front says with `X-Forwarded-Proto: https`).
pub fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path={PATH}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if over_tls(headers) {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the request came over TLS, through a proxy that says so.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Whether `value` has the form of a cookie the console gives (32 upper-case hex digits).
fn well_formed(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// The session the request's cookie names, if it is live; its last use is recorded.
pub async fn find(state: &Arc<State>, headers: &HeaderMap) -> Result<Option<Session>, Response> {
    let Some(value) = cookie(headers, COOKIE).filter(|v| well_formed(v)) else {
        return Ok(None);
    };
    let key = hash(value);
    let lifetimes = state.lifetimes;
    // A use is written at most this often, so that polling the progress does not write to
    // the store twice a second.
    let touch_after = i64::try_from(lifetimes.idle.as_millis() / 20).unwrap_or(i64::MAX);
    let user = state
        .with_auth(move |conn| {
            let now = now_ms();
            let Some(token) = auth::token(conn, &key)? else {
                return Ok(None);
            };
            if token.origin != Origin::Login || !lifetimes.live(&token, now) {
                return Ok(None);
            }
            if now.saturating_sub(token.last_used_at) >= touch_after {
                auth::touch_token(conn, &key, now)?;
            }
            Ok(Some(token.subject))
        })
        .await
        .map_err(|_| layout::store_failed())?;
    Ok(user.map(|user| Session {
        user,
        hash: hash(value),
        csrf: csrf::for_session(value),
    }))
}

/// Starts a session for `user` of `organisation`; gives the cookie's value.
pub async fn start(
    state: &Arc<State>,
    user: String,
    organisation: String,
) -> Result<String, Response> {
    let value = new_token().map_err(|_| layout::store_failed())?;
    let now = now_ms();
    let kept = Token {
        hash: hash(&value),
        origin: Origin::Login,
        subject: user,
        organisation: Some(organisation),
        unit_id: None,
        issued_at: now,
        last_used_at: now,
    };
    state
        .with_auth(move |conn| auth::insert_token(conn, &kept))
        .await
        .map_err(|_| layout::store_failed())?;
    Ok(value)
}

/// Ends the session (its cookie works no more, even if sent again).
pub async fn end(state: &Arc<State>, session: &Session) -> Result<(), Response> {
    let key = session.hash.clone();
    state
        .with_auth(move |conn| auth::release_token(conn, &key).map(drop))
        .await
        .map_err(|_| layout::store_failed())
}

/// A page's session: without one, the answer is a redirect to the sign-in page.
impl FromRequestParts<Arc<State>> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<State>,
    ) -> Result<Session, Response> {
        find(state, &parts.headers)
            .await?
            .ok_or_else(|| Redirect::to("/console/sign-in").into_response())
    }
}

/// A download's session: without one, 401 with no content.
#[derive(Debug, Clone)]
pub struct Fetching(pub Session);

impl FromRequestParts<Arc<State>> for Fetching {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<State>,
    ) -> Result<Fetching, Response> {
        find(state, &parts.headers)
            .await?
            .map(Fetching)
            .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name_and_a_session_hash_is_no_api_token_hash() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; cebulk_session=XY; b=2"),
        );
        assert_eq!(cookie(&headers, COOKIE), Some("XY"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_ne!(hash("AB"), crate::serve::tokens::hash("AB"));
        assert!(well_formed("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!well_formed("0123456789abcdef0123456789abcdef"));
    }
}
