//! What every console page shares: the document around it (the navigation with the user
//! and the sign-out form), the error pages, and the headers every answer carries.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// A whole page titled `title` around `body`; the navigation when signed in.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · cebulk" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                @if let Some(session) = session {
                    nav {
                        a #nav-import href="/console/import" { "Import" }
                        a #nav-history href="/console/history" { "History" }
                        a #nav-events href="/console/events" { "Events" }
                        span .spacer {}
                        span #user { (session.user) }
                        form #sign-out method="post" action="/console/sign-out" {
                            (csrf_field(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden field with the session's form token.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// `markup` as an HTML answer with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        markup.into_string(),
    )
        .into_response()
}

/// A page that says what went wrong in `#error` and what to do, with `status`.
pub fn error(
    status: StatusCode,
    session: Option<&Session>,
    title: &str,
    message: &str,
) -> Response {
    respond(
        status,
        page(
            title,
            session,
            html! { p #error role="alert" { (message) } },
        ),
    )
}

/// The answer when a POST's form token is missing or wrong.
pub fn forged(session: Option<&Session>) -> Response {
    error(
        StatusCode::FORBIDDEN,
        session,
        "Refused",
        "the form is not one this server gave, or it has expired: open the page again and resubmit",
    )
}

/// The answer for a page that does not exist.
pub fn not_found(session: Option<&Session>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        session,
        "Not found",
        "there is no such page or import; the history lists the imports",
    )
}

/// The answer when the store failed.
pub fn store_failed() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "The store failed",
        "the store could not be read or written; the server's standard error says why, and `cebulk check` checks the store",
    )
}

/// Adds to every console answer the headers that keep it from being framed, sniffed,
/// cached or made to run scripts from anywhere else: the pages run only the console's own
/// script file, never inline script.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
