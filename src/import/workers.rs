//! The worker pool that judges batches: rayon threads named `cebulk-worker-N`, running at a
//! lower priority than the rest of cebulk.
//!
//! Why the lower priority: on two cores, two workers and the writer want the CPU at once,
//! and the scheduler shared it evenly, so the writer, the one stage every event goes
//! through, waited runnable but not running while workers ran ahead to batches the writer
//! could not take yet. At a lower priority the workers take what the writer leaves
//! (docs/performance.md, "import/workers: worker priority").
//! The writer, reader, report and checkpoint threads keep the priority cebulk started with.

use crate::cli::fatal::Fatal;

/// How much nicer than cebulk's other threads the workers are (Linux niceness).
pub const NICER_BY: i32 = 10;

/// A pool of `jobs` worker threads.
pub fn pool(jobs: usize) -> Result<rayon::ThreadPool, Fatal> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("cebulk-worker-{i}"))
        .start_handler(|_| lower_priority())
        .build()
        .map_err(|e| Fatal::Thread {
            what: format!("{jobs} worker threads"),
            source: Box::new(e),
        })
}

/// Lowers the calling thread's priority by [`NICER_BY`] (Linux's niceness is a thread's
/// own, whatever POSIX says of `nice`). Best effort: where it is not done, the import is as
/// correct, only slower.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::nice(NICER_BY);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The niceness of the calling thread, from /proc.
    fn niceness() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        // Field 19 of stat, the 17th after the name.
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn workers_are_nicer_than_the_thread_that_started_them() {
        let here = niceness();
        let pool = pool(2).unwrap();
        let theirs = pool.broadcast(|_| niceness());
        assert_eq!(theirs, vec![(here + NICER_BY).min(19); 2]);
        assert_eq!(niceness(), here, "the starting thread keeps its own");
    }
}
