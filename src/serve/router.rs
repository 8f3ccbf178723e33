//! The methods and where they are served: the seven create methods and the three
//! authentication methods under `--base-path`; any other path is 404 and any other HTTP
//! method 405, each with the envelope.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::post;

use super::answer::Answer;
use super::state::State;
use super::{console, create, log, login};
use crate::domain::codes::RequestCode;
use crate::domain::kind::Kind;

/// The server's routes over `state`.
pub fn router(state: Arc<State>) -> Router {
    let base = state.config.base_path.clone();
    let mut router = Router::new();
    for kind in Kind::ALL {
        router = router.route(
            &format!("{base}/{}", kind.method()),
            post(move |state, headers, body| create::create(state, kind, headers, body)),
        );
    }
    router
        .merge(console::routes::routes())
        .route(&format!("{base}/authentication/token"), post(login::login))
        .route(
            &format!("{base}/authentication/token/release"),
            post(login::release),
        )
        .route(
            &format!("{base}/authentication/web_api_key/token"),
            post(login::key_token),
        )
        .fallback(|| async {
            Answer::refused(
                RequestCode::UnknownMethod,
                "there is no method at this path",
                "the methods are customer_events/bulk/<kind>/create and authentication/…",
            )
        })
        .method_not_allowed_fallback(|| async {
            Answer::refused(
                RequestCode::MethodNotAllowed,
                "the method is called with POST",
                "every method of this API is called with POST",
            )
        })
        .layer(middleware::from_fn(log::log))
        .with_state(state)
}
