//! The authentication methods: `authentication/token` (a user's login),
//! `authentication/token/release`, and `authentication/web_api_key/token` (a key given as
//! the HTTP Basic user name). A failed login answers the same whatever was wrong, and takes
//! as long: an unknown user or key is checked against a decoy hash.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, header};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::answer::Answer;
use super::body;
use super::credentials::LOOKUP_LEN;
use super::state::State;
use super::tokens;
use crate::domain::codes::RequestCode;
use crate::domain::entity::Entity;
use crate::store::auth::{self, Origin};

/// The answer to a failed login, whatever was wrong.
fn refused_login() -> Answer {
    Answer::refused(
        RequestCode::InvalidCredentials,
        "the credentials are not valid",
        "the user name, password or organisation is wrong, or the web API key is unknown",
    )
}

/// The body as a JSON object.
async fn object(
    state: &State,
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, Answer> {
    let config = &state.config;
    let bytes = body::read(body, headers, config.max_body, config.request_timeout).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Answer::refused(
            RequestCode::InvalidRequestDocument,
            "the document is not a request",
            "$: the body is a JSON object",
        )),
        Err(e) => Err(Answer::refused(
            RequestCode::InvalidRequestDocument,
            "the document is not valid JSON",
            crate::input::position::json_error(&e),
        )),
    }
}

/// A string parameter: `None` when absent, null or empty.
fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>, Answer> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Answer::refused(
            RequestCode::InvalidRequestDocument,
            format!("{name} is not a string"),
            format!("$.{name}: must be a string"),
        )),
    }
}

/// `POST authentication/token`.
pub async fn login(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Body) -> Answer {
    match try_login(&state, &headers, body).await {
        Ok(answer) | Err(answer) => answer,
    }
}

async fn try_login(state: &Arc<State>, headers: &HeaderMap, body: Body) -> Result<Answer, Answer> {
    let object = object(state, headers, body).await?;
    let username = text(&object, "username")?;
    let password = text(&object, "password")?;
    let organisation = text(&object, "organisation")?;
    let unit = text(&object, "unit")?;
    let (Some(username), Some(password), Some(organisation)) = (username, password, organisation)
    else {
        let missing: Vec<&str> = ["username", "password", "organisation"]
            .into_iter()
            .filter(|name| text(&object, name).ok().flatten().is_none())
            .collect();
        return Err(Answer::refused(
            RequestCode::MissingMandatoryParameter,
            "a mandatory parameter is missing",
            format!("$: {} must be given", missing.join(", ")),
        ));
    };
    let unit_id = match &unit {
        None => None,
        Some(unit) => Some(
            ["id", "name"]
                .into_iter()
                .find_map(|field| state.maps.find(Entity::Unit, field, unit))
                .map(|record| record.id.clone())
                .ok_or_else(|| {
                    Answer::refused(
                        RequestCode::InvalidRequestDocument,
                        "the unit is not one of the store's units",
                        format!("$.unit: no unit has the id or name {unit:?}"),
                    )
                })?,
        ),
    };
    tokio::time::sleep(state.failures.delay(&username)).await;
    let name = username.clone();
    let user = state.with_auth(move |conn| auth::user(conn, &name)).await?;
    let decoy = state.decoy.clone();
    let hash = user.as_ref().map_or(decoy, |u| u.password_hash.clone());
    let verified = state.verify(password, hash).await;
    let Some(user) = user.filter(|u| verified && u.organisation == organisation) else {
        state.failures.failed(&username);
        return Err(refused_login());
    };
    state.failures.succeeded(&username);
    let token = tokens::issue(state, Origin::Login, user.name, Some(organisation), unit_id).await?;
    Ok(Answer::ok(json!({"token": token})))
}

/// `POST authentication/token/release`.
pub async fn release(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Body) -> Answer {
    let object = match object(&state, &headers, body).await {
        Ok(object) => object,
        Err(answer) => return answer,
    };
    let token = object.get("token").and_then(Value::as_str);
    let hash = match tokens::authorize(&state, token).await {
        Ok(hash) => hash,
        Err(answer) => return answer,
    };
    match state
        .with_auth(move |conn| auth::release_token(conn, &hash))
        .await
    {
        Ok(true) => Answer::ok(Value::Null),
        Ok(false) => tokens::invalid("$.token: the token was released already"),
        Err(answer) => answer,
    }
}

/// `POST authentication/web_api_key/token`: the key is the HTTP Basic user name.
pub async fn key_token(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Answer {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .map(|pair| pair.split(':').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let lookup = key.get(..LOOKUP_LEN).unwrap_or_default().to_owned();
    let found = match state
        .with_auth(move |conn| auth::key_by_lookup(conn, &lookup))
        .await
    {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let hash = found
        .as_ref()
        .map_or_else(|| state.decoy.clone(), |k| k.key_hash.clone());
    let verified = state.verify(key, hash).await;
    let Some(found) = found.filter(|_| verified) else {
        return refused_login();
    };
    match tokens::issue(&state, Origin::Key, found.name, None, None).await {
        Ok(token) => Answer::ok(json!({"token": token})),
        Err(answer) => answer,
    }
}
