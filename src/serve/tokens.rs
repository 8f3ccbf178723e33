//! Tokens: 128 random bits from the operating system, shown as 32 upper-case hex digits;
//! the store keeps only their BLAKE3 hash. How long each kind of token lives, and the check
//! every call that needs a token makes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::answer::Answer;
use super::state::State;
use crate::domain::codes::RequestCode;
use crate::store::auth::{self, Origin, Token};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// `bytes` as upper-case hex.
pub fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// A new token: 16 bytes from the operating system's random source.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(upper_hex(&bytes))
}

/// What the store keeps of a token.
pub fn hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// How long tokens live (`--token-idle`, `--key-token-ttl`).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// A login's token expires after this long unused.
    pub idle: Duration,
    /// A key's token expires this long after it was issued.
    pub key_ttl: Duration,
}

impl Lifetimes {
    /// Whether `token` still works at `now`.
    pub fn live(&self, token: &Token, now: i64) -> bool {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match token.origin {
            Origin::Login => now.saturating_sub(token.last_used_at) < millis(self.idle),
            Origin::Key => now.saturating_sub(token.issued_at) < millis(self.key_ttl),
        }
    }
}

/// The answer to a call without a working token.
pub fn invalid(detail: &str) -> Answer {
    Answer::refused(
        RequestCode::InvalidToken,
        "the token is missing, unknown, released or expired",
        detail,
    )
}

/// Checks the token a call gave; gives its hash when it works.
pub async fn authorize(
    state: &std::sync::Arc<State>,
    token: Option<&str>,
) -> Result<String, Answer> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(invalid("$.token: the call needs the token of a login"));
    };
    let hash = hash(token);
    let lifetimes = state.lifetimes;
    let key = hash.clone();
    let live = state
        .with_auth(move |conn| {
            Ok(auth::token(conn, &key)?.is_some_and(|found| lifetimes.live(&found, now_ms())))
        })
        .await?;
    if live {
        Ok(hash)
    } else {
        Err(invalid(
            "$.token: no such token, or it was released or has expired; log in again",
        ))
    }
}

/// Issues and keeps a new token; gives it.
pub async fn issue(
    state: &std::sync::Arc<State>,
    origin: Origin,
    subject: String,
    organisation: Option<String>,
    unit_id: Option<String>,
) -> Result<String, Answer> {
    let token = new_token()
        .map_err(|e| Answer::store_failed(format!("no random bytes for a token: {e}")))?;
    let now = now_ms();
    let kept = Token {
        hash: hash(&token),
        origin,
        subject,
        organisation,
        unit_id,
        issued_at: now,
        last_used_at: now,
    };
    state
        .with_auth(move |conn| auth::insert_token(conn, &kept))
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_upper_hex_and_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert_ne!(hash(&a), a, "only the hash is kept");
    }

    #[test]
    fn login_tokens_idle_out_and_key_tokens_age_out() {
        let lifetimes = Lifetimes {
            idle: Duration::from_secs(10),
            key_ttl: Duration::from_secs(20),
        };
        let token = |origin| Token {
            hash: String::new(),
            origin,
            subject: String::new(),
            organisation: None,
            unit_id: None,
            issued_at: 0,
            last_used_at: 15_000,
        };
        assert!(lifetimes.live(&token(Origin::Login), 24_999));
        assert!(!lifetimes.live(&token(Origin::Login), 25_000));
        assert!(lifetimes.live(&token(Origin::Key), 19_999));
        assert!(!lifetimes.live(&token(Origin::Key), 20_000), "used or not");
    }
}
