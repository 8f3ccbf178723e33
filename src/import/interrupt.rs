//! SIGINT and SIGTERM during an import (docs/spec.md §5, "Interrupted imports"): the first
//! stops reading input, so that the pipeline commits and reports what it has and the run
//! ends with a valid report; a second one ends the process at once.
//!
//! The handlers are signal-hook's: a flag that arms an immediate exit for the next signal,
//! and an iterator on a thread of its own (`cebulk-signals`) that records the first one,
//! wakes the request being read, whose reader may be blocked on a pipe indefinitely, and
//! says on standard error that the signal was heard.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::cli::fatal::{EXIT_SIGINT, EXIT_SIGTERM, Fatal};
use crate::cli::stderr;

/// A signal that interrupts an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM (`kill`, a service manager stopping the job).
    Term,
}

impl Signal {
    /// Its name, as standard error says it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }

    /// The exit status of a run it interrupted: 128 + the signal's number, as shells give.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Int => EXIT_SIGINT,
            Signal::Term => EXIT_SIGTERM,
        }
    }

    fn number(self) -> i32 {
        match self {
            Signal::Int => SIGINT,
            Signal::Term => SIGTERM,
        }
    }

    fn from_number(number: i32) -> Option<Signal> {
        [Signal::Int, Signal::Term]
            .into_iter()
            .find(|signal| signal.number() == number)
    }
}

/// Wakes whatever waits for input when the first signal comes.
type Waker = Box<dyn FnOnce() + Send>;

/// Whether a signal interrupted the import, and who to wake when one does.
#[derive(Clone)]
pub struct Interrupt {
    shared: Arc<Shared>,
}

struct Shared {
    /// The first signal's number, 0 until one comes.
    signal: AtomicI32,
    waker: Mutex<Option<Waker>>,
}

impl Interrupt {
    /// Installs the handlers of SIGINT and SIGTERM for the rest of the process.
    pub fn install() -> Result<Interrupt, Fatal> {
        let failed = |source: std::io::Error| Fatal::Thread {
            what: "the signal handlers".into(),
            source: Box::new(source),
        };
        // Set by the first signal, in its handler; the exit registered before it runs first
        // in every later signal's handler, so a second signal exits at once, whatever the
        // pipeline is doing. That exit is as safe for the store as a kill: SQLite's journal
        // undoes a commit cut short.
        let armed = Arc::new(AtomicBool::new(false));
        for signal in [Signal::Int, Signal::Term] {
            signal_hook::flag::register_conditional_shutdown(
                signal.number(),
                i32::from(signal.exit_code()),
                Arc::clone(&armed),
            )
            .map_err(failed)?;
            signal_hook::flag::register(signal.number(), Arc::clone(&armed)).map_err(failed)?;
        }
        let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(failed)?;
        let interrupt = Interrupt::none();
        let shared = Arc::clone(&interrupt.shared);
        // Detached: it waits for signals until the process ends.
        std::thread::Builder::new()
            .name("cebulk-signals".into())
            .spawn(move || {
                for number in signals.forever() {
                    if shared
                        .signal
                        .compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        let waker = shared
                            .waker
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .take();
                        if let Some(wake) = waker {
                            wake();
                        }
                        // Said at once: the batches read may take a while to commit and
                        // report, and whoever pressed Ctrl-C should know it was heard.
                        if let Some(signal) = Signal::from_number(number) {
                            stderr::line(format_args!(
                                "cebulk: {} received: no more input is read, and what was read is committed and reported; a second signal stops at once",
                                signal.name()
                            ));
                        }
                    }
                }
            })
            .map_err(failed)?;
        Ok(interrupt)
    }

    /// An interrupt that no signal sets (for code run without the handlers).
    pub fn none() -> Interrupt {
        Interrupt {
            shared: Arc::new(Shared {
                signal: AtomicI32::new(0),
                waker: Mutex::new(None),
            }),
        }
    }

    /// The first signal that came, if any.
    pub fn signal(&self) -> Option<Signal> {
        Signal::from_number(self.shared.signal.load(Ordering::SeqCst))
    }

    /// Calls `wake` when the first signal comes (at once if it has come), unless the guard
    /// returned is dropped before.
    pub fn on_signal(&self, wake: impl FnOnce() + Send + 'static) -> WakeGuard<'_> {
        let mut slot = self
            .shared
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock, which the signal thread takes after recording the signal:
        // either it finds this waker, or this call sees its signal.
        if self.signal().is_some() {
            drop(slot);
            wake();
        } else {
            *slot = Some(Box::new(wake));
        }
        WakeGuard { interrupt: self }
    }
}

/// Unregisters a waker when dropped.
pub struct WakeGuard<'a> {
    interrupt: &'a Interrupt,
}

impl Drop for WakeGuard<'_> {
    fn drop(&mut self) {
        let waker = self
            .interrupt
            .shared
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_are_128_plus_the_signal() {
        assert_eq!(i32::from(Signal::Int.exit_code()), 128 + SIGINT);
        assert_eq!(i32::from(Signal::Term.exit_code()), 128 + SIGTERM);
    }

    #[test]
    fn a_waker_registered_after_the_signal_runs_at_once() {
        let interrupt = Interrupt::none();
        interrupt.shared.signal.store(SIGTERM, Ordering::SeqCst);
        let (tx, rx) = std::sync::mpsc::channel();
        let _guard = interrupt.on_signal(move || tx.send(()).unwrap());
        rx.try_recv().expect("woken at once");
        assert_eq!(interrupt.signal(), Some(Signal::Term));
    }
}
