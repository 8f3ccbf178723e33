//! Passwords and web API keys: Argon2id hashes (PHC strings with a random salt), new keys,
//! and the slowing down of repeated failed logins for one user name.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::tokens::upper_hex;

/// The Argon2id hash of `secret`, with a salt from the operating system.
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random bytes for a salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `secret` is the one `hash` was made from (a malformed hash matches nothing).
pub fn verify(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Characters of a web API key by which the store finds it.
pub const LOOKUP_LEN: usize = 16;

/// A new web API key (48 upper-case hex digits: 192 bits from the operating system) and its
/// lookup, its first [`LOOKUP_LEN`] characters.
pub fn new_key() -> Result<(String, String), String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes for a key: {e}"))?;
    let key = upper_hex(&bytes);
    let lookup = key[..LOOKUP_LEN].to_owned();
    Ok((key, lookup))
}

/// Failed logins a user name may have before the next attempts are slowed down.
const FREE_FAILURES: u32 = 3;

/// The first delay; each further failure doubles it, up to [`LONGEST_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);

/// The longest delay.
const LONGEST_DELAY: Duration = Duration::from_secs(16);

/// How long a user name's failures are remembered after the last one.
const REMEMBERED: Duration = Duration::from_secs(15 * 60);

/// User names remembered at most (so that failures with made-up names do not grow memory).
const NAMES: usize = 10_000;

/// Recent failed logins, by user name (whether or not such a user exists, so that the
/// delay tells nothing either).
#[derive(Debug, Default)]
pub struct Failures {
    recent: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Failures {
    /// How long a login attempt for `name` waits before it is checked.
    pub fn delay(&self, name: &str) -> Duration {
        let Ok(recent) = self.recent.lock() else {
            return LONGEST_DELAY;
        };
        match recent.get(name) {
            Some((failures, last)) if *failures >= FREE_FAILURES && last.elapsed() < REMEMBERED => {
                let doublings = (failures - FREE_FAILURES).min(4);
                (FIRST_DELAY * 2u32.pow(doublings)).min(LONGEST_DELAY)
            }
            _ => Duration::ZERO,
        }
    }

    /// Notes a failed login for `name`.
    pub fn failed(&self, name: &str) {
        let Ok(mut recent) = self.recent.lock() else {
            return;
        };
        if recent.len() >= NAMES && !recent.contains_key(name) {
            recent.retain(|_, (_, last)| last.elapsed() < REMEMBERED);
            if recent.len() >= NAMES {
                return;
            }
        }
        let entry = recent.entry(name.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= REMEMBERED {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = Instant::now();
    }

    /// Forgets `name`'s failures after a successful login.
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let hash = hash_secret("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("s3cret", &hash));
        assert!(!verify("s3cret ", &hash));
        assert!(!verify("s3cret", "not a hash"));
        assert_ne!(hash_secret("s3cret").unwrap(), hash, "salted");
    }

    #[test]
    fn failures_beyond_the_free_ones_are_slowed_down_until_a_success() {
        let failures = Failures::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(failures.delay("ann"), Duration::ZERO);
            failures.failed("ann");
        }
        assert_eq!(failures.delay("ann"), FIRST_DELAY);
        failures.failed("ann");
        assert_eq!(failures.delay("ann"), FIRST_DELAY * 2);
        assert_eq!(failures.delay("bob"), Duration::ZERO);
        failures.succeeded("ann");
        assert_eq!(failures.delay("ann"), Duration::ZERO);
    }

    #[test]
    fn keys_are_hex_and_found_by_their_start() {
        let (key, lookup) = new_key().unwrap();
        assert_eq!(key.len(), 48);
        assert!(key.starts_with(&lookup));
    }
}
