//! Runs the server: the writer thread, the judging workers, the tokio runtime and the
//! connections (hyper's HTTP/1, serving axum's router), until a signal; then the requests in
//! flight are answered, the writer commits what it holds and ends.
//!
//! Connections are served by hyper directly rather than by `axum::serve`, which sets no
//! timer: a client that never finishes its request's headers would hold its connection,
//! and a graceful stop, for ever. Here `--request-timeout` bounds the headers too.

use std::sync::{Arc, Mutex};

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use super::console::state::{Console, RunImport};
use super::credentials::{Failures, hash_secret};
use super::router::router;
use super::shutdown::signalled;
use super::state::State;
use super::tokens::Lifetimes;
use super::writer;
use crate::cli::config::ServeConfig;
use crate::cli::fatal::Fatal;
use crate::cli::stderr;
use crate::reference::maps::ReferenceMaps;
use crate::store::open::Store;

/// Serves until SIGTERM or SIGINT. `auth` and `events` are two connections to the store,
/// opened for writing: one for users, keys and tokens, one for the writer.
pub fn run(
    config: ServeConfig,
    auth: Store,
    events: Store,
    maps: ReferenceMaps,
    run_import: RunImport,
) -> Result<(), Fatal> {
    let thread_error = |what: &str| {
        let what = what.to_owned();
        move |source: std::io::Error| Fatal::Thread {
            what,
            source: Box::new(source),
        }
    };
    let pool = crate::import::workers::pool(config.jobs)?;
    let (writer, writing) = writer::spawn(events)?;
    let decoy = hash_secret("a password no user has").map_err(|e| Fatal::Thread {
        what: "the decoy password hash".into(),
        source: e.into(),
    })?;
    let console = Console::new(&config.store, run_import).map_err(|e| Fatal::Thread {
        what: "the console's secret".into(),
        source: e.to_string().into(),
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("cebulk-http")
        .enable_all()
        .build()
        .map_err(thread_error("the HTTP server's threads"))?;
    let listen = config.listen;
    let base = config.base_path.clone();
    let timeout = config.request_timeout;
    let state = Arc::new(State {
        lifetimes: Lifetimes {
            idle: config.token_idle,
            key_ttl: config.key_token_ttl,
        },
        config,
        maps,
        pool,
        writer,
        auth: Mutex::new(auth),
        failures: Failures::default(),
        decoy,
        console,
        hashing: tokio::sync::Semaphore::new(super::state::HASHING),
    });
    let serving = Arc::clone(&state);
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| Fatal::Listen {
                address: listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Fatal::Listen {
            address: listen,
            source,
        })?;
        stderr::line(format_args!(
            "cebulk serve: listening on http://{local}{base}"
        ));
        accept(listener, router(serving), timeout).await;
        Ok(())
    });
    // Every request is answered: the runtime's last tasks end, and with them the last
    // senders to the writer, which commits its group and returns.
    drop(runtime);
    // Imports started from the console finish, and are recorded, before the server ends.
    state.console.runs.wait();
    drop(state);
    let written = writing
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    served.and(written)?;
    stderr::line(format_args!("cebulk serve: stopped"));
    Ok(())
}

/// Serves each connection `listener` accepts until SIGTERM or SIGINT; then accepts no more
/// and returns once every connection's request in flight is answered.
async fn accept(listener: tokio::net::TcpListener, app: axum::Router, timeout: Duration) {
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(signalled());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, say: the clients already connected go on, and
                // accepting is tried again a moment later.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's failures (a client gone, a timeout) are its own.
            let _ = watched.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
