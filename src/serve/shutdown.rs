//! The graceful stop: the first SIGTERM or SIGINT ends the accepting of connections; the
//! requests in flight are answered and committed, and `cebulk serve` exits 0.

use tokio::signal::unix::{SignalKind, signal};

use crate::cli::stderr;

/// Waits for SIGTERM or SIGINT, and says so on standard error.
pub async fn signalled() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without handlers the signals keep their default action: the process ends.
        return std::future::pending().await;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    stderr::line(format_args!(
        "cebulk serve: {name}: no new connections; answering the requests in flight"
    ));
}
