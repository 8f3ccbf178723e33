//! Running the real `cebulk` binary, the one way every test does: the [`Cebulk`] builder,
//! then [`Cebulk::run`] for a finished [`Run`] or [`Cebulk::spawn`] for a [`Running`]
//! process that a test feeds through a pipe, watches or kills.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a run may take before the test fails: a bound against a hung process, not a
/// speed requirement (the slowest run, a 50,000-event import, takes a few seconds).
const TIMEOUT: Duration = Duration::from_secs(120);

/// A `cebulk` command line, not started yet: the binary Cargo built for the tests, without
/// `$CEBULK_STORE`, with nothing on standard input unless given.
///
/// ```ignore
/// let run = Cebulk::new().dir(&dir).store("store.db").args(["events"]).run();
/// run.code(0);
/// ```
pub struct Cebulk {
    dir: Option<PathBuf>,
    store: Option<OsString>,
    args: Vec<OsString>,
    stdin: Vec<u8>,
    shell: Option<String>,
    unprivileged: bool,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
}

impl Cebulk {
    /// `cebulk`, run in the test's working directory.
    pub fn new() -> Cebulk {
        Cebulk {
            dir: None,
            store: None,
            args: Vec::new(),
            stdin: Vec::new(),
            shell: None,
            unprivileged: false,
            stdout: None,
            stderr: None,
        }
    }

    /// Runs the binary as user and group `nobody` through `setpriv` when the tests run as
    /// root, for whom no file permission can fail (as the current user otherwise). The
    /// files it reads and writes must be open to that user; see [`can_run_unprivileged`].
    pub fn unprivileged(mut self) -> Cebulk {
        self.unprivileged = true;
        self
    }

    /// Runs in `dir` (relative paths of the arguments are read from there).
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Cebulk {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// `--store STORE`, given before every other argument.
    pub fn store(mut self, store: impl AsRef<OsStr>) -> Cebulk {
        self.store = Some(store.as_ref().to_owned());
        self
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cebulk {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// More arguments.
    pub fn args<I>(mut self, args: I) -> Cebulk
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// What [`Cebulk::run`] writes on standard input (nothing by default).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cebulk {
        self.stdin = bytes.into();
        self
    }

    /// Runs the binary through `/bin/sh -c 'PRELUDE; exec cebulk ARGS…'`, so that `prelude`
    /// sets limits or signal dispositions that the binary inherits.
    pub fn shell(mut self, prelude: &str) -> Cebulk {
        self.shell = Some(prelude.to_owned());
        self
    }

    /// Standard output goes to `stdout` (e.g. [`gone_reader`]) instead of being collected.
    pub fn stdout(mut self, stdout: impl Into<Stdio>) -> Cebulk {
        self.stdout = Some(stdout.into());
        self
    }

    /// Standard error goes to `stderr` (e.g. [`gone_reader`]) instead of being collected.
    pub fn stderr(mut self, stderr: impl Into<Stdio>) -> Cebulk {
        self.stderr = Some(stderr.into());
        self
    }

    /// The command line as a failure message shows it.
    fn display(&self) -> String {
        let mut words = Vec::new();
        if let Some(prelude) = &self.shell {
            words.push(format!("sh -c '{prelude}; exec cebulk …'"));
        }
        words.push("cebulk".to_owned());
        if let Some(store) = &self.store {
            words.push("--store".to_owned());
            words.push(store.to_string_lossy().into_owned());
        }
        words.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        words.join(" ")
    }

    /// The process to start, its standard streams not set yet.
    fn command(&self) -> Command {
        let binary = assert_cmd::cargo::cargo_bin("cebulk");
        let mut command = match &self.shell {
            None if self.unprivileged && is_root() => {
                let mut setpriv = Command::new("setpriv");
                setpriv
                    .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                    .arg(binary);
                setpriv
            }
            None => Command::new(binary),
            Some(prelude) => {
                let mut shell = Command::new("/bin/sh");
                shell
                    .arg("-c")
                    .arg(format!(r#"{prelude}; exec "$0" "$@""#))
                    .arg(binary);
                shell
            }
        };
        command.env_remove("CEBULK_STORE");
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        if let Some(store) = &self.store {
            command.arg("--store").arg(store);
        }
        command.args(&self.args);
        command
    }

    /// Runs the command to its end (failing the test after the timeout, unless standard
    /// output or error was given a stream of the test's own).
    pub fn run(self) -> Run {
        if self.stdout.is_some() || self.stderr.is_some() {
            // assert_cmd pipes every stream itself, so these run as a spawned process.
            let stdin = self.stdin.clone();
            let mut running = self.spawn();
            running.feed(&stdin);
            return running.wait();
        }
        let output = assert_cmd::Command::from_std(self.command())
            .write_stdin(self.stdin.clone())
            .timeout(TIMEOUT)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.display()));
        Run {
            command: self.display(),
            status: output.status,
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            request: String::new(),
        }
    }

    /// Starts the command with a pipe on its standard input, which the test writes
    /// ([`Running::feed`]) and closes ([`Running::wait`]); its outputs are collected as it
    /// runs (those not given a stream of the test's own, which are then empty).
    pub fn spawn(mut self) -> Running {
        let stdout = self.stdout.take().unwrap_or_else(Stdio::piped);
        let stderr = self.stderr.take().unwrap_or_else(Stdio::piped);
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.display()));
        let drain = |stream: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut stream) = stream {
                    stream
                        .read_to_end(&mut bytes)
                        .expect("reading cebulk's output");
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        Running {
            stdin: child.stdin.take(),
            child,
            outputs: Some((stdout, stderr)),
            command: self.display(),
        }
    }
}

/// Whether the tests run as root.
fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether [`Cebulk::unprivileged`] can run the binary as a user whom file permissions bind:
/// the tests do not run as root, or `setpriv` can drop root for `nobody`, who can reach the
/// binary. `false` means a permission test cannot fail here and is to be skipped.
pub fn can_run_unprivileged() -> bool {
    if !is_root() {
        return true;
    }
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(assert_cmd::cargo::cargo_bin("cebulk"))
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The writing end of a pipe whose reader has already gone, as when `| head` has exited:
/// every write to it fails (EPIPE).
pub fn gone_reader() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// `text`, cut after about `at` bytes for failure messages.
fn clip(text: &str, at: usize) -> String {
    let mut end = text.len().min(at);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut clipped = text[..end].to_owned();
    if end < text.len() {
        clipped.push('…');
    }
    clipped
}

/// One finished run of the binary.
pub struct Run {
    /// The command line, for failure messages.
    pub command: String,
    /// How the process ended.
    pub status: ExitStatus,
    /// The exit status (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
    /// The request the test wrote for the run, when failure messages should show it (empty
    /// otherwise).
    pub request: String,
}

impl Run {
    /// Standard output as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The signal that ended the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }

    /// The command, its exit status, the request and outputs (clipped), for failure
    /// messages.
    pub fn context(&self) -> String {
        let request = match self.request.as_str() {
            "" => String::new(),
            request => format!("request:\n{}\n", clip(request, 6000)),
        };
        let stdout = clip(&self.stdout_text(), 6000);
        let stderr = clip(&self.stderr, 6000);
        format!(
            "{}\nexit status: {:?}\n{request}stdout:\n{stdout}\nstderr:\n{stderr}",
            self.command, self.code
        )
    }

    /// Asserts the exit status and returns `self`.
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status\n{}",
            self.context()
        );
        self
    }

    /// Asserts that the process died of SIGKILL, so a kill interrupted it (`what` says
    /// which), and returns `self`.
    pub fn sigkilled(&self, what: &str) -> &Run {
        assert_eq!(
            self.signal(),
            Some(libc::SIGKILL),
            "{what}: the kill did not interrupt cebulk\n{}",
            self.context()
        );
        self
    }

    /// Whether standard error tells of a panic.
    pub fn panicked(&self) -> bool {
        self.stderr.contains("panicked")
    }

    /// Asserts the exit status and that standard error says nothing of a panic, and returns
    /// `self`.
    pub fn code_without_panic(&self, code: i32) -> &Run {
        self.code(code);
        assert!(!self.panicked(), "cebulk panicked\n{}", self.context());
        self
    }

    /// Asserts that the run did not panic and exited 0, 1 or 2.
    pub fn no_panic(&self) {
        assert!(!self.panicked(), "cebulk panicked\n{}", self.context());
        assert!(
            matches!(self.code, Some(0..=2)),
            "exit status is not 0, 1 or 2\n{}",
            self.context()
        );
    }

    /// Standard output as JSON (the report, or a listing).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.context()))
    }
}

/// A thread collecting one output stream of a process, to its end.
type Collecting = JoinHandle<Vec<u8>>;

/// A `cebulk` process under way (see [`Cebulk::spawn`]).
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The threads collecting standard output and error (taken when the run ends).
    outputs: Option<(Collecting, Collecting)>,
    command: String,
}

/// How long [`Running::wait_until`] waits for its event before failing the test: a bound
/// against a hang, far above what any event here takes.
const EVENT_TIMEOUT: Duration = Duration::from_secs(120);

impl Running {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Writes `bytes` to the process's standard input, which stays open.
    pub fn feed(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("standard input is still open");
        let written = stdin.write_all(bytes).and_then(|()| stdin.flush());
        if let Err(e) = written {
            panic!("writing to {}: {e} (has it ended?)", self.command);
        }
    }

    /// The process's standard input, for a thread of the test to write (dropping it ends the
    /// input).
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("standard input is still open")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("polling cebulk").is_none()
    }

    /// Waits until `event` holds, checking it every few milliseconds; fails the test if the
    /// process ends first (or after a bound against hangs). Standard input stays open, so a
    /// process that reads it cannot finish meanwhile.
    pub fn wait_until(&mut self, what: &str, mut event: impl FnMut() -> bool) {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        while !event() {
            if !self.is_running() {
                let run = self.finish();
                panic!("cebulk ended before {what}\n{}", run.context());
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not so after {EVENT_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILLs the process (if it is still running) and returns how it ended.
    pub fn kill(mut self) -> Run {
        // On Unix `Child::kill` sends SIGKILL (the crate forbids `unsafe`, so no libc::kill).
        self.child.kill().expect("sending SIGKILL");
        self.finish()
    }

    /// Closes standard input, waits for the process to end and returns the finished run.
    pub fn wait(mut self) -> Run {
        self.finish()
    }

    fn finish(&mut self) -> Run {
        self.stdin = None;
        let status = self.child.wait().expect("waiting for cebulk");
        let (stdout, stderr) = self.outputs.take().expect("a run ends once");
        let join = |handle: Collecting| handle.join().expect("the thread reading cebulk's output");
        Run {
            command: self.command.clone(),
            status,
            code: status.code(),
            stdout: join(stdout),
            stderr: String::from_utf8_lossy(&join(stderr)).into_owned(),
            request: String::new(),
        }
    }
}

impl Drop for Running {
    /// A process that a failing test leaves behind is killed, not left running.
    fn drop(&mut self) {
        if self.outputs.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
