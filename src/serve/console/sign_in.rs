//! Signing in and out. The sign-in form checks the user name and password as the API's
//! login does (Argon2id, a decoy hash for an unknown user, repeated failures slowed down),
//! and answers a wrong user and a wrong password alike.

use std::sync::Arc;

use axum::Form;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf;
use super::layout;
use super::session::{self, COOKIE, Session};
use crate::serve::state::State;
use crate::serve::tokens::{new_token, now_ms};
use crate::store::auth;

/// The pre-session cookie the sign-in form is tied to.
pub const SIGN_IN_COOKIE: &str = "cebulk_sign_in";

/// The fields of the sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: Option<String>,
}

/// A form that carries only the form token (sign out).
#[derive(Debug, Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    csrf: Option<String>,
}

/// `GET /console/`: the import page.
pub async fn root() -> Redirect {
    Redirect::to("/console/import")
}

/// `GET /console/sign-in`.
pub async fn show(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Response {
    match session::find(&state, &headers).await {
        Ok(Some(_)) => Redirect::to("/console/import").into_response(),
        Ok(None) => form(&state, &headers, StatusCode::OK, None, ""),
        Err(failed) => failed,
    }
}

/// The sign-in form, with a new pre-session cookie, and `error` when there is one.
fn form(
    state: &State,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> Response {
    let Ok(random) = new_token() else {
        return layout::store_failed();
    };
    let value = format!("{}.{random}", now_ms());
    let token = csrf::for_sign_in(&state.console.secret, &value);
    let lifetime = u64::try_from(csrf::SIGN_IN_LIFETIME_MS / 1000).unwrap_or(600);
    let body: Markup = html! {
        @if let Some(error) = error {
            p #error role="alert" { (error) }
        }
        form #sign-in method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            label for="username" { "User name" }
            input #username type="text" name="username" autocomplete="username" required autofocus value=(username);
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            button #sign-in-submit type="submit" { "Sign in" }
        }
        p .hint { "The users are those of the API: " code { "cebulk user add NAME --organisation ORG" } "." }
    };
    let mut response = layout::respond(status, layout::page("Sign in", None, body));
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(headers, SIGN_IN_COOKIE, &value, Some(lifetime)),
    );
    response
}

/// `POST /console/sign-in`.
pub async fn submit(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Form(submitted): Form<SignInForm>,
) -> Response {
    let tied = session::cookie(&headers, SIGN_IN_COOKIE)
        .filter(|cookie| csrf::sign_in_fresh(cookie, now_ms()))
        .map(|cookie| csrf::for_sign_in(&state.console.secret, cookie));
    if !csrf::same_origin(&headers)
        || !tied.is_some_and(|token| csrf::matches(&token, submitted.csrf.as_deref()))
    {
        return form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("the sign-in form has expired or is not one this server gave: sign in again"),
            "",
        );
    }
    let username = submitted.username;
    tokio::time::sleep(state.failures.delay(&username)).await;
    let name = username.clone();
    let user = match state.with_auth(move |conn| auth::user(conn, &name)).await {
        Ok(user) => user,
        Err(_) => return layout::store_failed(),
    };
    let hash = user
        .as_ref()
        .map_or_else(|| state.decoy.clone(), |u| u.password_hash.clone());
    let verified = state.verify(submitted.password, hash).await;
    let Some(user) = user.filter(|_| verified) else {
        state.failures.failed(&username);
        return form(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some("the user name or the password is wrong"),
            &username,
        );
    };
    state.failures.succeeded(&username);
    let value = match session::start(&state, user.name, user.organisation).await {
        Ok(value) => value,
        Err(failed) => return failed,
    };
    let mut response = Redirect::to("/console/import").into_response();
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        session::set_cookie(&headers, COOKIE, &value, None),
    );
    cookies.append(
        header::SET_COOKIE,
        session::set_cookie(&headers, SIGN_IN_COOKIE, "", Some(0)),
    );
    response
}

/// `POST /console/sign-out`: ends the session; the sign-in page.
pub async fn sign_out(
    Shared(state): Shared<Arc<State>>,
    session: Session,
    headers: HeaderMap,
    Form(submitted): Form<TokenOnly>,
) -> Response {
    if !csrf::same_origin(&headers) || !csrf::matches(&session.csrf, submitted.csrf.as_deref()) {
        return layout::forged(Some(&session));
    }
    if let Err(failed) = session::end(&state, &session).await {
        return failed;
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&headers, COOKIE, "", Some(0)),
    );
    response
}
