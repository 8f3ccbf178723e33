//! Handing over, in the order they were started, results finished in any order: the
//! import judges several batches at once on rayon's workers, and the writer takes them in
//! input order, each as soon as it and those before it are done.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// A channel of results in start order, at most `depth` started and waiting behind the one
/// the receiving side waits for.
pub fn channel<T>(depth: usize) -> (Pending<T>, InOrder<T>) {
    let (started, batches) = sync_channel(depth);
    (
        Pending(started),
        InOrder {
            batches,
            next: None,
            broken: false,
        },
    )
}

/// The starting side.
pub struct Pending<T>(SyncSender<Receiver<T>>);

impl<T> Pending<T> {
    /// Takes the next place in the order (waiting while `depth` are waiting already);
    /// `None` once the receiving side is gone.
    pub fn next(&self) -> Option<Slot<T>> {
        let (done, result) = sync_channel(1);
        self.0.send(result).ok()?;
        Some(Slot(done))
    }
}

/// One place in the order, to be finished from any thread.
pub struct Slot<T>(SyncSender<T>);

impl<T> Slot<T> {
    /// Hands over the result for this place.
    pub fn finish(self, result: T) {
        // The receiving side may be gone (the writer failed): nothing is waiting then.
        let _ = self.0.send(result);
    }
}

/// The receiving side: results in start order.
pub struct InOrder<T> {
    batches: Receiver<Receiver<T>>,
    /// The next place, not finished when a wait for it ran out.
    next: Option<Receiver<T>>,
    /// A place was dropped unfinished (its worker panicked): nothing after it is handed
    /// over, so that nothing is handed over out of order or skipped.
    broken: bool,
}

impl<T> InOrder<T> {
    /// The next result once finished; `None` at the end.
    pub fn recv(&mut self) -> Option<T> {
        self.recv_within(None)
    }

    /// The next result if it is started and finished within `wait`; it is kept for the
    /// next call if it is started but not finished.
    pub fn recv_timeout(&mut self, wait: Duration) -> Option<T> {
        self.recv_within(Some(wait))
    }

    fn recv_within(&mut self, wait: Option<Duration>) -> Option<T> {
        if self.broken {
            return None;
        }
        let started = Instant::now();
        let next = match (self.next.take(), wait) {
            (Some(next), _) => next,
            (None, None) => self.batches.recv().ok()?,
            (None, Some(wait)) => self.batches.recv_timeout(wait).ok()?,
        };
        let result = match wait {
            None => next.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(wait) => next.recv_timeout(wait.saturating_sub(started.elapsed())),
        };
        match result {
            Ok(result) => Some(result),
            Err(RecvTimeoutError::Timeout) => {
                self.next = Some(next);
                None
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.broken = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_finished_out_of_order_come_in_start_order() {
        let (pending, mut in_order) = channel(4);
        let slots: Vec<Slot<u32>> = (0..3).map(|_| pending.next().unwrap()).collect();
        drop(pending);
        let mut slots = slots.into_iter();
        let (first, second, third) = (slots.next(), slots.next(), slots.next());
        third.unwrap().finish(3);
        second.unwrap().finish(2);
        assert_eq!(in_order.recv_timeout(Duration::from_millis(10)), None);
        first.unwrap().finish(1);
        assert_eq!(in_order.recv(), Some(1));
        assert_eq!(in_order.recv(), Some(2));
        assert_eq!(in_order.recv(), Some(3));
        assert_eq!(in_order.recv(), None);
    }

    #[test]
    fn a_slot_dropped_unfinished_ends_the_order() {
        let (pending, mut in_order) = channel(4);
        let lost = pending.next().unwrap();
        pending.next().unwrap().finish(2);
        drop(lost);
        assert_eq!(in_order.recv(), None);
        assert_eq!(
            in_order.recv(),
            None,
            "2 must not be handed over in 1's place"
        );
    }

    #[test]
    fn the_receiving_side_gone_stops_the_starting_side() {
        let (pending, in_order) = channel::<u32>(1);
        drop(in_order);
        assert!(pending.next().is_none());
    }
}
