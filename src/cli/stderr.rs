//! Messages on standard error that cannot fail a command: `eprintln!` panics when standard
//! error is a pipe whose reader has gone (`cebulk import … 2>&1 >/dev/null | head`), and a
//! summary or a diagnostic nobody can read must not turn a finished import into a crash
//! (exit status 101).

use std::io::Write;

/// Writes `message` and a line end to standard error, ignoring any error: there is nowhere
/// left to report it.
pub fn line(message: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}
