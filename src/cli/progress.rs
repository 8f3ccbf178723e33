//! The progress bar on stderr: shown only when stderr is a terminal and `--quiet` is not
//! given, so that scripts and CI logs get nothing of it.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of one input.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    events: std::sync::atomic::AtomicUsize,
    counters: Option<Arc<Counters>>,
}

/// The progress of an import, shared with whoever watches it from another thread (the
/// console's progress page): events reported and bytes read of the input being read.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events reported so far.
    pub events: AtomicU64,
    /// Bytes of the input read so far.
    pub bytes: AtomicU64,
    /// The input's size, when known (0 when not).
    pub total_bytes: AtomicU64,
}

impl Progress {
    /// A bar for `name` of `size` bytes (a spinner when the size is unknown).
    pub fn new(name: &str, size: Option<u64>, quiet: bool) -> Progress {
        let shown = !quiet && std::io::stderr().is_terminal();
        let bar = shown.then(|| {
            let bar = match size {
                Some(size) => {
                    ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
                        .with_style(
                            ProgressStyle::with_template(
                                "{prefix} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                        )
                }
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template("{prefix} {spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    ),
            };
            bar.set_prefix(name.to_owned());
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            events: std::sync::atomic::AtomicUsize::new(0),
            counters: None,
        }
    }

    /// The same progress, also counted into `counters` (when given).
    pub fn counting(mut self, counters: Option<Arc<Counters>>, size: Option<u64>) -> Progress {
        if let Some(counters) = &counters {
            counters.bytes.store(0, Ordering::Relaxed);
            counters
                .total_bytes
                .store(size.unwrap_or(0), Ordering::Relaxed);
        }
        self.counters = counters;
        self
    }

    /// `events` more events done, `bytes` read so far.
    pub fn advance(&self, events: usize, bytes: u64) {
        if let Some(counters) = &self.counters {
            counters.events.fetch_add(events as u64, Ordering::Relaxed);
            counters.bytes.store(bytes, Ordering::Relaxed);
        }
        let Some(bar) = &self.bar else {
            return;
        };
        let total = self
            .events
            .fetch_add(events, std::sync::atomic::Ordering::Relaxed)
            + events;
        let rate = total as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(bytes);
        bar.set_message(format!("{total} events, {rate:.0} events/s"));
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
