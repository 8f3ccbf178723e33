//! The store's side of `cebulk serve`'s authentication: users, web API keys and tokens, and
//! every SQL statement that reads or writes them, behind this one narrow interface (so that
//! another store keeps the same functions).
//!
//! Only hashes are kept: an Argon2id hash of each password and key, a BLAKE3 hash of each
//! token. Times are Unix milliseconds.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Doing, StoreError};

/// The tables (schema 4).
pub const TABLES: &str = "
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE web_api_keys (
    name TEXT PRIMARY KEY,
    lookup TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('login', 'key')),
    subject TEXT NOT NULL,
    organisation TEXT,
    unit_id TEXT,
    issued_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A user who may log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user name.
    pub name: String,
    /// The organisation the login must name.
    pub organisation: String,
    /// The password's Argon2id hash (PHC string).
    pub password_hash: String,
    /// When the user was added.
    pub created_at: i64,
}

/// A web API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key's name.
    pub name: String,
    /// The key's first characters, by which a presented key is found.
    pub lookup: String,
    /// The whole key's Argon2id hash (PHC string).
    pub key_hash: String,
    /// When the key was made.
    pub created_at: i64,
}

/// How a token was obtained, which settles how it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A login with user name and password: expires when idle.
    Login,
    /// A web API key: expires a fixed time after it was issued.
    Key,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Login => "login",
            Origin::Key => "key",
        }
    }
}

/// A token issued, by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's hash.
    pub hash: String,
    /// How it was obtained.
    pub origin: Origin,
    /// The user or key it was issued to.
    pub subject: String,
    /// The login's organisation.
    pub organisation: Option<String>,
    /// The login's unit, by id.
    pub unit_id: Option<String>,
    /// When it was issued.
    pub issued_at: i64,
    /// When it was last used (or issued).
    pub last_used_at: i64,
}

/// Adds a user; `false` if one of that name exists (it is left as it was).
pub fn add_user(conn: &Connection, user: &User) -> Result<bool, StoreError> {
    conn.execute(
        "INSERT INTO users (name, organisation, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
        params![
            user.name,
            user.organisation,
            user.password_hash,
            user.created_at
        ],
    )
    .map(|added| added == 1)
    .doing("adding the user")
}

/// Removes a user and the tokens issued to them; `false` if there was none.
pub fn remove_user(conn: &mut Connection, name: &str) -> Result<bool, StoreError> {
    remove(conn, "users", Origin::Login, name)
}

/// Every user, by name.
pub fn users(conn: &Connection) -> Result<Vec<User>, StoreError> {
    conn.prepare("SELECT name, organisation, password_hash, created_at FROM users ORDER BY name")
        .and_then(|mut s| s.query_map([], user_row)?.collect())
        .doing("listing the users")
}

/// The user of that name.
pub fn user(conn: &Connection, name: &str) -> Result<Option<User>, StoreError> {
    conn.prepare_cached(
        "SELECT name, organisation, password_hash, created_at FROM users WHERE name = ?1",
    )
    .and_then(|mut s| s.query_row([name], user_row).optional())
    .doing("reading the user")
}

fn user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        name: row.get(0)?,
        organisation: row.get(1)?,
        password_hash: row.get(2)?,
        created_at: row.get(3)?,
    })
}

/// Adds a key; `false` if one of that name exists (it is left as it was).
pub fn add_key(conn: &Connection, key: &Key) -> Result<bool, StoreError> {
    conn.execute(
        "INSERT INTO web_api_keys (name, lookup, key_hash, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
        params![key.name, key.lookup, key.key_hash, key.created_at],
    )
    .map(|added| added == 1)
    .doing("adding the web API key")
}

/// Removes a key and the tokens issued for it; `false` if there was none.
pub fn remove_key(conn: &mut Connection, name: &str) -> Result<bool, StoreError> {
    remove(conn, "web_api_keys", Origin::Key, name)
}

/// Every key, by name.
pub fn keys(conn: &Connection) -> Result<Vec<Key>, StoreError> {
    conn.prepare("SELECT name, lookup, key_hash, created_at FROM web_api_keys ORDER BY name")
        .and_then(|mut s| s.query_map([], key_row)?.collect())
        .doing("listing the web API keys")
}

/// The key whose first characters are `lookup`.
pub fn key_by_lookup(conn: &Connection, lookup: &str) -> Result<Option<Key>, StoreError> {
    conn.prepare_cached(
        "SELECT name, lookup, key_hash, created_at FROM web_api_keys WHERE lookup = ?1",
    )
    .and_then(|mut s| s.query_row([lookup], key_row).optional())
    .doing("reading the web API key")
}

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Key> {
    Ok(Key {
        name: row.get(0)?,
        lookup: row.get(1)?,
        key_hash: row.get(2)?,
        created_at: row.get(3)?,
    })
}

/// Removes the row `name` of `table` and the tokens of `origin` issued to it, together.
fn remove(
    conn: &mut Connection,
    table: &str,
    origin: Origin,
    name: &str,
) -> Result<bool, StoreError> {
    let doing = "removing it and its tokens";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .doing(doing)?;
    let removed = tx
        .execute(&format!("DELETE FROM {table} WHERE name = ?1"), [name])
        .doing(doing)?;
    tx.execute(
        "DELETE FROM tokens WHERE origin = ?1 AND subject = ?2",
        params![origin.as_str(), name],
    )
    .doing(doing)?;
    tx.commit().doing(doing)?;
    Ok(removed == 1)
}

/// Keeps a new token.
pub fn insert_token(conn: &Connection, token: &Token) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO tokens (hash, origin, subject, organisation, unit_id, issued_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            token.hash,
            token.origin.as_str(),
            token.subject,
            token.organisation,
            token.unit_id,
            token.issued_at,
            token.last_used_at
        ])
    })
    .map(drop)
    .doing("keeping the new token")
}

/// The token with that hash.
pub fn token(conn: &Connection, hash: &str) -> Result<Option<Token>, StoreError> {
    conn.prepare_cached(
        "SELECT hash, origin, subject, organisation, unit_id, issued_at, last_used_at
         FROM tokens WHERE hash = ?1",
    )
    .and_then(|mut s| {
        s.query_row([hash], |row| {
            Ok(Token {
                hash: row.get(0)?,
                origin: if row.get_ref(1)?.as_str()? == "key" {
                    Origin::Key
                } else {
                    Origin::Login
                },
                subject: row.get(2)?,
                organisation: row.get(3)?,
                unit_id: row.get(4)?,
                issued_at: row.get(5)?,
                last_used_at: row.get(6)?,
            })
        })
        .optional()
    })
    .doing("reading the token")
}

/// Records that the token with that hash was used at `now` (never moving it back).
pub fn touch_token(conn: &Connection, hash: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE tokens SET last_used_at = max(last_used_at, ?2) WHERE hash = ?1")
        .and_then(|mut s| s.execute(params![hash, now]))
        .map(drop)
        .doing("recording the token's use")
}

/// Forgets the token with that hash; `false` if there was none.
pub fn release_token(conn: &Connection, hash: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("DELETE FROM tokens WHERE hash = ?1")
        .and_then(|mut s| s.execute([hash]))
        .map(|removed| removed == 1)
        .doing("releasing the token")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(TABLES).unwrap();
        conn
    }

    #[test]
    fn removing_a_user_forgets_their_tokens_only() {
        let mut conn = store();
        let user = User {
            name: "ann".into(),
            organisation: "org".into(),
            password_hash: "h".into(),
            created_at: 1,
        };
        assert!(add_user(&conn, &user).unwrap());
        assert!(
            !add_user(&conn, &user).unwrap(),
            "a second add changes nothing"
        );
        for (hash, origin) in [("t1", Origin::Login), ("t2", Origin::Key)] {
            let token = Token {
                hash: hash.into(),
                origin,
                subject: "ann".into(),
                organisation: None,
                unit_id: None,
                issued_at: 5,
                last_used_at: 5,
            };
            insert_token(&conn, &token).unwrap();
        }
        touch_token(&conn, "t1", 9).unwrap();
        touch_token(&conn, "t1", 7).unwrap();
        assert_eq!(token(&conn, "t1").unwrap().map(|t| t.last_used_at), Some(9));
        assert!(remove_user(&mut conn, "ann").unwrap());
        assert!(token(&conn, "t1").unwrap().is_none());
        assert!(
            token(&conn, "t2").unwrap().is_some(),
            "a key's token of that name"
        );
        assert!(release_token(&conn, "t2").unwrap());
        assert!(!release_token(&conn, "t2").unwrap());
    }
}
