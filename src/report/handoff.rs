//! Output written on a thread of its own: the thread that makes the bytes hands them over
//! in chunks and goes on while the system writes them (`cebulk events`, whose write calls
//! to a file were a quarter of its time; docs/performance.md, "report/handoff: output on a
//! thread of its own").
//!
//! Memory is bounded: [`DEPTH`] chunks in flight, each reused once written.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// How large a chunk grows before it is handed over.
pub const CHUNK: usize = 1 << 17;

/// How many chunks wait for the writing thread at most.
const DEPTH: usize = 4;

/// A writer whose bytes are written by a thread of its own. [`Handoff::finish`] waits for
/// them and says how the writing went; dropped without it, what is buffered is lost.
pub struct Handoff {
    /// The chunk being filled.
    pub buf: Vec<u8>,
    full: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Handoff {
    /// Writes into `out` (made on the writing thread, as standard output's lock must be)
    /// on a thread named `name`.
    pub fn new<W: Write>(
        name: &str,
        out: impl FnOnce() -> W + Send + 'static,
    ) -> std::io::Result<Handoff> {
        let (full, chunks) = sync_channel::<Vec<u8>>(DEPTH);
        let (give_back, spare) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut out = out();
                for mut chunk in chunks {
                    out.write_all(&chunk)?;
                    chunk.clear();
                    // The other side may be gone or have spares enough: either is fine.
                    let _ = give_back.try_send(chunk);
                }
                out.flush()
            })?;
        Ok(Handoff {
            buf: Vec::with_capacity(CHUNK + (CHUNK >> 2)),
            full: Some(full),
            spare,
            thread: Some(thread),
        })
    }

    /// Hands the chunk over if it has grown to [`CHUNK`].
    pub fn hand_over_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() < CHUNK {
            return Ok(());
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK + (CHUNK >> 2)));
        let chunk = std::mem::replace(&mut self.buf, next);
        let sent = self.full.as_ref().map(|full| full.send(chunk));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writing thread has stopped: on an error, which joining it gives.
            _ => self.join(),
        }
    }

    /// Writes what is left and waits for the writing thread.
    pub fn finish(mut self) -> std::io::Result<()> {
        let chunk = std::mem::take(&mut self.buf);
        if let Some(full) = &self.full
            && !chunk.is_empty()
        {
            // A failed send means the thread stopped on an error, which the join gives.
            let _ = full.send(chunk);
        }
        self.join()
    }

    fn join(&mut self) -> std::io::Result<()> {
        self.full = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(written)) => written,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(std::io::Error::other("the output was already closed")),
        }
    }
}

impl Write for Handoff {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        self.hand_over_if_full()?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_every_byte_in_order() {
        let written = Shared::default();
        let out = written.clone();
        let mut handoff = Handoff::new("test-writer", move || out).unwrap();
        let mut expected = Vec::new();
        for i in 0..100_000u32 {
            let line = format!("{i}\n");
            handoff.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        handoff.finish().unwrap();
        assert_eq!(*written.0.lock().unwrap(), expected);
    }

    struct Failing;

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_comes_back() {
        let mut handoff = Handoff::new("test-writer", || Failing).unwrap();
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = handoff.write_all(&[b'x'; 1 << 16]) {
                failed = Some(e);
                break;
            }
        }
        let failed = match failed {
            Some(e) => e,
            None => handoff.finish().unwrap_err(),
        };
        assert_eq!(failed.to_string(), "disk full");
    }
}
