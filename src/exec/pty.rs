//! Running one command in a pseudo-terminal, with a time limit, an output
//! cap, cancellation and live output.
//!
//! A PTY rather than pipes, because programs behave as they would for the
//! user (colour, line buffering, progress output) and the live view can show
//! exactly that. The cost is that stdout and stderr arrive merged, and that
//! the bytes carry terminal escapes; [`run`] hands the raw bytes to its
//! `on_output` callback (for the live view) and keeps a capped copy in
//! [`CappedOutput`]; cleaning it up for a model is the caller's business.
//!
//! Process lifetime: the child is a session and process-group leader (the
//! PTY slave is its controlling terminal). When it exits, times out, is
//! cancelled, or when the [`run`] future is dropped, the whole session is
//! killed with `SIGKILL`: background jobs a command left behind would
//! otherwise outlive it as orphans holding the terminal open. Processes that
//! left the session themselves (`setsid`, daemons) are out of reach; the
//! kernel sandbox will contain those.
//!
//! Environment: the child inherits tandem's environment minus
//! [`PtyCommand::env_remove`] and minus every credential-named variable
//! (`*_API_KEY`, `*_AUTH_TOKEN`; whatever the caller passes, unless it is in
//! [`PtyCommand::env_keep`]: keys must never reach a child by accident),
//! plus [`PtyCommand::env_set`]. `TERM` is whatever the caller sets;
//! the `shell` tool chooses `xterm-256color`, so the live view gets colour
//! and the model gets the same output with escapes stripped.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::secrets;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Size of one read from the PTY master.
const READ_CHUNK: usize = 16 * 1024;
/// Chunks buffered between the reader thread and [`run`]; bounds memory when
/// a command writes faster than the caller consumes.
const CHANNEL_CHUNKS: usize = 32;
/// How often the reader thread checks whether it has been abandoned.
const READER_POLL: Duration = Duration::from_millis(50);
/// How long [`run`] waits, after the child is gone, for the rest of the
/// output. Only a process that escaped the session can hold the terminal
/// open this long; its output is dropped.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// Runs the rest of its arguments with stdin from `/dev/null`; see
/// [`Stdin::Null`].
const NULL_STDIN_TRAMPOLINE: [&str; 4] =
    ["/bin/sh", "-c", "exec \"$@\" </dev/null", "tandem-stdin"];

/// Where the child's standard input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stdin {
    /// `/dev/null`: a command that reads input gets end-of-file at once
    /// instead of hanging until its timeout. Standard output and error stay
    /// on the terminal. Done by a tiny `/bin/sh` trampoline that `exec`s the
    /// command, so the process tree is unchanged.
    #[default]
    Null,
    /// The terminal itself, for interactive use. Nothing writes to it yet.
    Pty,
}

/// A command to run in a PTY.
#[derive(Debug, Clone)]
pub struct PtyCommand {
    /// An argument-vector prefix that `exec`s the rest (e.g. the sandbox, a
    /// re-exec of tandem, in a later change). Empty: run `program` directly.
    pub wrapper: Vec<String>,
    /// The program: a path, or a name looked up on `PATH` (the child's
    /// `PATH` when `env_set` changes it).
    pub program: String,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Working directory; must exist (no silent fallback to `$HOME`).
    pub cwd: PathBuf,
    /// Variables removed from the inherited environment, on top of every
    /// credential-named one ([`secrets::is_secret_name`]), which is always
    /// removed unless listed in `env_keep`.
    pub env_remove: Vec<String>,
    /// Credential-named variables the user chose to pass through
    /// (`sandbox.env_passthrough`).
    pub env_keep: Vec<String>,
    /// Variables set in the child, after removals.
    pub env_set: Vec<(String, String)>,
    /// Terminal size as (rows, columns).
    pub size: (u16, u16),
    /// Where standard input comes from.
    pub stdin: Stdin,
}

impl PtyCommand {
    /// A command with no wrapper, no environment changes, stdin from
    /// `/dev/null` and a 24×80 terminal.
    pub fn new(program: impl Into<String>, args: Vec<String>, cwd: impl Into<PathBuf>) -> Self {
        Self {
            wrapper: Vec::new(),
            program: program.into(),
            args,
            cwd: cwd.into(),
            env_remove: Vec::new(),
            env_keep: Vec::new(),
            env_set: Vec::new(),
            size: (24, 80),
            stdin: Stdin::Null,
        }
    }
}

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Wall-clock limit; the process session is killed when it passes.
    pub timeout: Duration,
    /// Bytes of output kept in [`PtyOutcome::output`] (head and tail).
    pub output_cap_bytes: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The command ended by itself (normally or by a signal it got).
    Exited,
    /// The time limit passed and the command was killed.
    TimedOut,
    /// The cancellation token fired and the command was killed.
    Cancelled,
}

/// The result of [`run`].
#[derive(Debug, Clone)]
pub struct PtyOutcome {
    /// Exit code, when the command exited normally.
    pub exit_code: Option<i32>,
    /// The signal that ended the command, when one did (also after a timeout
    /// or cancel: `SIGKILL`).
    pub signal: Option<i32>,
    /// Why the run ended.
    pub termination: Termination,
    /// Output, merged stdout and stderr as raw terminal bytes, capped.
    pub output: CappedOutput,
    /// Wall-clock time from spawn to the end of the run.
    pub duration: Duration,
}

/// What can go wrong before a command runs.
#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    /// The program is not on `PATH` or not executable.
    #[error("`{program}` was not found or is not executable; install it or check PATH")]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The working directory is missing or not a directory.
    #[error("working directory {} does not exist or is not a directory; pick an existing one", path.display())]
    BadCwd {
        /// The directory as given.
        path: PathBuf,
    },
    /// No pseudo-terminal could be opened.
    #[error(
        "could not open a pseudo-terminal ({0}); check that /dev/ptmx is usable and the PTY limit (kernel.pty.max) is not reached"
    )]
    Open(String),
    /// The process could not be started.
    #[error("could not start `{program}` ({message}); check that it is an executable program")]
    Spawn {
        /// The program as given.
        program: String,
        /// What the system said.
        message: String,
    },
    /// A system call around the PTY failed (duplicating a descriptor,
    /// starting a helper thread).
    #[error("PTY set-up failed ({0}); this is usually a resource limit (open files, threads)")]
    Io(#[from] io::Error),
}

/// Output kept within a byte cap: the first half of the cap, and a ring of
/// the last half. The middle is counted, not kept, so memory stays bounded
/// whatever a command prints.
#[derive(Debug, Clone, Default)]
pub struct CappedOutput {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    elided: u64,
}

impl CappedOutput {
    /// An empty buffer keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        Self {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_cap,
            tail_cap: cap - head_cap,
            elided: 0,
        }
    }

    /// Appends bytes, eliding from the middle once the cap is reached.
    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let n = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() > self.tail_cap {
            let skip = bytes.len() - self.tail_cap;
            self.elided += (skip + self.tail.len()) as u64;
            self.tail.clear();
            bytes = &bytes[skip..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        if overflow > 0 {
            self.tail.drain(..overflow);
            self.elided += overflow as u64;
        }
        self.tail.extend(bytes);
    }

    /// The first bytes, up to half the cap.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The last bytes after the head, up to half the cap.
    pub fn tail(&self) -> Vec<u8> {
        self.tail.iter().copied().collect()
    }

    /// Bytes dropped between head and tail.
    pub fn elided_bytes(&self) -> u64 {
        self.elided
    }

    /// Bytes kept (head plus tail).
    pub fn kept_bytes(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Everything kept, head then tail, when nothing was elided.
    pub fn to_vec_if_complete(&self) -> Option<Vec<u8>> {
        (self.elided == 0).then(|| {
            let mut all = self.head.clone();
            all.extend(self.tail.iter());
            all
        })
    }
}

/// Whether a variable must never reach this child: a credential by name
/// ([`secrets::is_secret_name`]) that the caller did not pass through.
fn is_secret_var(cmd: &PtyCommand, name: &str) -> bool {
    secrets::is_secret_name(name) && !cmd.env_keep.iter().any(|k| k == name)
}

/// Runs `cmd` in a fresh PTY until it exits, `limits.timeout` passes or
/// `cancel` fires, passing every chunk of raw output to `on_output` as it
/// arrives. Returns within about 100 ms of a timeout or cancel; by then the
/// command has been reaped and `SIGKILL` sent to its whole process session.
pub async fn run(
    cmd: PtyCommand,
    limits: RunLimits,
    cancel: CancellationToken,
    mut on_output: impl FnMut(&[u8]) + Send,
) -> Result<PtyOutcome, PtyError> {
    let builder = command_builder(&cmd)?;
    let (rows, cols) = cmd.size;
    let pair = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| PtyError::Open(format!("{e:#}")))?;
    let master_fd = pair
        .master
        .as_raw_fd()
        .ok_or_else(|| PtyError::Open("the PTY master has no file descriptor".into()))?;
    let reader = dup_cloexec(master_fd)?;

    let started = Instant::now();
    let child = pair
        .slave
        .spawn_command(builder)
        .map_err(|e| PtyError::Spawn {
            program: cmd.program.clone(),
            message: format!("{e:#}"),
        })?;
    // Our copy of the slave must go, or the master never sees end of file.
    drop(pair.slave);
    let Some(pid) = child
        .process_id()
        .and_then(|p| libc::pid_t::try_from(p).ok())
    else {
        return Err(PtyError::Spawn {
            program: cmd.program.clone(),
            message: "the child has no process id".into(),
        });
    };
    // From here on, leaving this function by any path kills the session.
    let mut guard = SessionGuard {
        sid: pid,
        armed: true,
        stop_reader: Arc::new(AtomicBool::new(false)),
    };

    let (chunk_tx, mut chunks) = mpsc::channel::<Vec<u8>>(CHANNEL_CHUNKS);
    let stop = Arc::clone(&guard.stop_reader);
    std::thread::Builder::new()
        .name("pty-reader".into())
        .spawn(move || read_master(reader, chunk_tx, stop))?;

    let (status_tx, mut status_rx) = oneshot::channel::<ChildStatus>();
    std::thread::Builder::new()
        .name("pty-waiter".into())
        .spawn(move || {
            let status = wait_child(pid);
            // Kill what the command left behind while its pid still names
            // the session, then reap it.
            kill_session(pid);
            let mut child = child;
            let _ = child.wait();
            let _ = status_tx.send(status);
        })?;

    let mut output = CappedOutput::new(limits.output_cap_bytes);
    let mut termination = Termination::Exited;
    let mut status: Option<ChildStatus> = None;
    let mut reader_done = false;
    let deadline = tokio::time::sleep(limits.timeout);
    tokio::pin!(deadline);
    let drain = tokio::time::sleep(Duration::MAX);
    tokio::pin!(drain);

    while !(reader_done && status.is_some()) {
        tokio::select! {
            chunk = chunks.recv(), if !reader_done => match chunk {
                Some(bytes) => {
                    on_output(&bytes);
                    output.push(&bytes);
                }
                None => reader_done = true,
            },
            got = &mut status_rx, if status.is_none() => {
                // The waiter only drops the sender by panicking; treat it as
                // a kill so the run still ends.
                status = Some(got.unwrap_or(ChildStatus::Signaled(libc::SIGKILL)));
                guard.armed = false;
                drain
                    .as_mut()
                    .reset(tokio::time::Instant::now() + DRAIN_GRACE);
            }
            () = &mut deadline, if status.is_none() && termination == Termination::Exited => {
                termination = Termination::TimedOut;
                kill_session(pid);
            }
            () = cancel.cancelled(), if status.is_none() && termination == Termination::Exited => {
                termination = Termination::Cancelled;
                kill_session(pid);
            }
            () = &mut drain, if status.is_some() => {
                tracing::warn!(pid, "PTY still open after the command ended; dropping the rest of its output");
                break;
            }
        }
    }
    drop(guard);
    drop(pair.master);

    let (exit_code, signal) = match status {
        Some(ChildStatus::Exited(code)) => (Some(code), None),
        Some(ChildStatus::Signaled(sig)) => (None, Some(sig)),
        None => (None, None),
    };
    Ok(PtyOutcome {
        exit_code,
        signal,
        termination,
        output,
        duration: started.elapsed(),
    })
}

/// Builds the portable-pty command: trampoline, wrapper, resolved program,
/// arguments, working directory and environment.
fn command_builder(cmd: &PtyCommand) -> Result<CommandBuilder, PtyError> {
    if !cmd.cwd.is_dir() {
        return Err(PtyError::BadCwd {
            path: cmd.cwd.clone(),
        });
    }
    let path_var = cmd
        .env_set
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let program =
        resolve_program(&cmd.program, &path_var, &cmd.cwd).ok_or_else(|| PtyError::NotFound {
            program: cmd.program.clone(),
        })?;

    let mut argv: Vec<OsString> = Vec::new();
    if cmd.stdin == Stdin::Null {
        argv.extend(NULL_STDIN_TRAMPOLINE.iter().map(OsString::from));
    }
    argv.extend(cmd.wrapper.iter().map(OsString::from));
    argv.push(program.into_os_string());
    argv.extend(cmd.args.iter().map(OsString::from));

    let mut builder = CommandBuilder::from_argv(argv);
    builder.cwd(&cmd.cwd);
    for (name, _) in std::env::vars_os() {
        // Names that are not UTF-8 cannot be checked, so they go too.
        let secret = name.to_str().is_none_or(|n| is_secret_var(cmd, n));
        if secret || cmd.env_remove.iter().any(|r| name == r.as_str()) {
            builder.env_remove(&name);
        }
    }
    for (name, value) in &cmd.env_set {
        if !is_secret_var(cmd, name) {
            builder.env(name, value);
        }
    }
    Ok(builder)
}

/// Finds `program` like `execvp` would: as given when it has a slash
/// (relative to `cwd`), else in the first `PATH` entry where it is an
/// executable file.
fn resolve_program(program: &str, path_var: &std::ffi::OsStr, cwd: &Path) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.contains('/') {
        let path = cwd.join(program);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(path_var)
        .map(|dir| cwd.join(dir).join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A close-on-exec duplicate of `fd`, owned, so the reader thread can poll
/// it and outlive portable-pty's master handle.
fn dup_cloexec(fd: RawFd) -> Result<File, PtyError> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor we hold returns a fresh
    // descriptor (or -1); the new one is owned by the File alone.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        return Err(io::Error::last_os_error().into());
    }
    // SAFETY: `new` is a valid, open descriptor nobody else owns.
    Ok(unsafe { File::from_raw_fd(new) })
}

/// The reader thread: forwards master output until end of file (Linux
/// reports the slave's last close as `EIO`, other systems as a zero read),
/// the receiver goes away, or `stop` is set.
fn read_master(mut master: File, tx: mpsc::Sender<Vec<u8>>, stop: Arc<AtomicBool>) {
    use std::os::fd::AsRawFd;
    let fd = master.as_raw_fd();
    let mut buf = vec![0u8; READ_CHUNK];
    while !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout_ms = READER_POLL.as_millis() as libc::c_int;
        // SAFETY: one valid pollfd, count 1.
        let ready = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if ready == 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if tx.blocking_send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // EIO: every slave descriptor is closed and the buffer drained.
            Err(_) => return,
        }
    }
}

/// How the child ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChildStatus {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
}

/// Blocks until `pid` has ended, without reaping it: its pid keeps naming
/// the session until [`kill_session`] has run.
pub(crate) fn wait_child(pid: libc::pid_t) -> ChildStatus {
    loop {
        // SAFETY: zeroed siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child with a valid out-pointer.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            // SAFETY: after a successful waitid for WEXITED, si_status is set.
            let value = unsafe { info.si_status() };
            return match info.si_code {
                libc::CLD_EXITED => ChildStatus::Exited(value),
                _ => ChildStatus::Signaled(value),
            };
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // ECHILD: someone else reaped it; nothing more to learn.
            return ChildStatus::Signaled(libc::SIGKILL);
        }
    }
}

/// Kills the process group `sid` and every other process still in session
/// `sid` (jobs that moved to their own group, e.g. under `set -m`).
pub(crate) fn kill_session(sid: libc::pid_t) {
    // SAFETY: plain signal sends; failures (ESRCH) are harmless.
    unsafe { libc::killpg(sid, libc::SIGKILL) };
    for pid in session_members(sid) {
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Processes of session `sid`, from `/proc` (empty where there is none).
fn session_members(sid: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let pid: libc::pid_t = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        (stat_session(&stat)? == sid).then_some(pid)
    })
    .collect()
}

/// The session field of a `/proc/PID/stat` line. The command name is in
/// parentheses and may hold anything, so fields count from the last `)`:
/// state, ppid, pgrp, session.
fn stat_session(stat: &str) -> Option<libc::pid_t> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(3)?.parse().ok()
}

/// Kills the session when [`run`] is left early (dropped future, error) and
/// tells the reader thread to stop.
struct SessionGuard {
    sid: libc::pid_t,
    armed: bool,
    stop_reader: Arc<AtomicBool>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if self.armed {
            kill_session(self.sid);
        }
        self.stop_reader.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> PtyCommand {
        PtyCommand::new(
            "bash",
            vec!["-c".into(), script.into()],
            std::env::temp_dir(),
        )
    }

    fn limits(timeout_ms: u64) -> RunLimits {
        RunLimits {
            timeout: Duration::from_millis(timeout_ms),
            output_cap_bytes: 1 << 20,
        }
    }

    async fn run_text(cmd: PtyCommand) -> (PtyOutcome, String) {
        let out = run(cmd, limits(10_000), CancellationToken::new(), |_| {})
            .await
            .expect("run");
        let text =
            String::from_utf8(out.output.to_vec_if_complete().expect("not capped")).expect("utf-8");
        (out, text)
    }

    /// Whether `pid` is gone or only a zombie waiting for init to reap it.
    fn is_dead(pid: libc::pid_t) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => {
                let rest = &stat[stat.rfind(')').unwrap() + 1..];
                rest.split_whitespace().next() == Some("Z")
            }
        }
    }

    /// Whether `pid` is dead within half a second: a process that got
    /// `SIGKILL` may need a moment to finish exiting.
    async fn dies(pid: libc::pid_t) -> bool {
        for _ in 0..50 {
            if is_dead(pid) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Same as [`dies`] for every process of session `sid`.
    async fn session_dies(sid: libc::pid_t) -> Vec<libc::pid_t> {
        for _ in 0..50 {
            let alive: Vec<_> = session_members(sid)
                .into_iter()
                .filter(|p| !is_dead(*p))
                .collect();
            if alive.is_empty() {
                return alive;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        session_members(sid)
    }

    #[tokio::test]
    async fn echo_exit_zero() {
        let (out, text) = run_text(sh("echo hello")).await;
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(out.termination, Termination::Exited);
        assert_eq!(text, "hello\r\n");
    }

    #[tokio::test]
    async fn nonzero_exit_and_stderr() {
        let (out, text) = run_text(sh("echo oops >&2; exit 3")).await;
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.signal, None);
        assert!(text.contains("oops"), "{text:?}");
    }

    #[tokio::test]
    async fn killed_by_signal_is_reported() {
        let (out, _) = run_text(sh("kill -TERM $$")).await;
        assert_eq!(out.exit_code, None);
        assert_eq!(out.signal, Some(libc::SIGTERM));
    }

    #[tokio::test]
    async fn tail_is_not_lost_at_exit() {
        // Output written right before exit must all arrive.
        let (out, text) = run_text(sh("seq 1 20000")).await;
        assert_eq!(out.exit_code, Some(0));
        assert!(text.ends_with("19999\r\n20000\r\n"));
        assert_eq!(text.lines().count(), 20000);
    }

    #[tokio::test]
    async fn timeout_kills_promptly() {
        let started = Instant::now();
        let out = run(
            sh("sleep 30"),
            limits(300),
            CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(out.termination, Termination::TimedOut);
        assert_eq!(out.signal, Some(libc::SIGKILL));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    /// Collects live output until it holds a full line starting with
    /// `prefix`, and returns the rest of that line.
    async fn wait_for_line(rx: &mut mpsc::UnboundedReceiver<Vec<u8>>, prefix: &str) -> String {
        let mut seen = Vec::new();
        loop {
            seen.extend(rx.recv().await.expect("output"));
            let s = String::from_utf8_lossy(&seen);
            let full = |l: &&str| l.starts_with(prefix) && l.ends_with('\n');
            if let Some(line) = s.split_inclusive('\n').find(full) {
                return line[prefix.len()..].trim().to_string();
            }
        }
    }

    fn live(
        script: &str,
        cancel: CancellationToken,
    ) -> (
        tokio::task::JoinHandle<Result<PtyOutcome, PtyError>>,
        mpsc::UnboundedReceiver<Vec<u8>>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let task = tokio::spawn(run(sh(script), limits(30_000), cancel, move |b| {
            let _ = tx.send(b.to_vec());
        }));
        (task, rx)
    }

    #[tokio::test]
    async fn timeout_fires_while_output_floods() {
        let started = Instant::now();
        let out = run(
            sh("yes"),
            RunLimits {
                timeout: Duration::from_millis(300),
                output_cap_bytes: 1024,
            },
            CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(out.termination, Termination::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(out.output.kept_bytes() <= 1024);
        assert!(out.output.elided_bytes() > 0);
    }

    #[tokio::test]
    async fn cancel_kills_grandchildren_within_200ms() {
        let cancel = CancellationToken::new();
        let (task, mut rx) = live("sleep 100 & echo pids:$$,$!; sleep 100", cancel.clone());
        let pids = wait_for_line(&mut rx, "pids:").await;
        let (sid, bg) = pids.split_once(',').unwrap();
        let sid: libc::pid_t = sid.parse().unwrap();
        let bg: libc::pid_t = bg.parse().unwrap();
        // Let the foreground sleep start too.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(session_members(sid).len() >= 2);
        let started = Instant::now();
        cancel.cancel();
        let out = task.await.unwrap().unwrap();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(200), "{elapsed:?}");
        assert_eq!(out.termination, Termination::Cancelled);
        assert!(dies(bg).await, "background sleep {bg} survived");
        let alive = session_dies(sid).await;
        assert!(alive.is_empty(), "{alive:?}");
    }

    #[tokio::test]
    async fn dropping_the_future_kills_the_session() {
        let (task, mut rx) = live("echo pid:$$; sleep 100", CancellationToken::new());
        let pid: libc::pid_t = wait_for_line(&mut rx, "pid:").await.parse().unwrap();
        task.abort();
        let _ = task.await;
        assert!(dies(pid).await, "process {pid} survived the dropped run");
    }

    #[tokio::test]
    async fn background_jobs_do_not_outlive_the_command() {
        let (out, text) = run_text(sh("sleep 100 & echo pid:$!")).await;
        assert_eq!(out.exit_code, Some(0));
        let pid: libc::pid_t = text.trim().strip_prefix("pid:").unwrap().parse().unwrap();
        assert!(dies(pid).await, "background sleep {pid} survived");
    }

    #[tokio::test]
    async fn output_cap_keeps_head_and_tail() {
        let cap = 64 * 1024;
        let out = run(
            sh("echo START; yes | head -c 5000000; echo; echo END"),
            RunLimits {
                timeout: Duration::from_secs(30),
                output_cap_bytes: cap,
            },
            CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(out.exit_code, Some(0));
        assert!(out.output.kept_bytes() <= cap);
        assert!(out.output.head().starts_with(b"START\r\n"));
        assert!(out.output.tail().ends_with(b"END\r\n"));
        // "y\n" becomes "y\r\n" on the terminal: 7.5 MB in all.
        let total = out.output.kept_bytes() as u64 + out.output.elided_bytes();
        assert!(total > 7_000_000, "{total}");
    }

    #[test]
    fn capped_output_bookkeeping() {
        let mut c = CappedOutput::new(10);
        c.push(b"abc");
        assert_eq!(c.to_vec_if_complete().unwrap(), b"abc");
        c.push(b"defghij");
        assert_eq!(c.elided_bytes(), 0);
        c.push(b"klm");
        assert_eq!(c.head(), b"abcde");
        assert_eq!(c.tail(), b"ijklm");
        assert_eq!(c.elided_bytes(), 3);
        c.push(b"0123456789");
        assert_eq!(c.tail(), b"56789");
        assert_eq!(c.elided_bytes(), 13);
        assert!(c.to_vec_if_complete().is_none());
    }

    #[tokio::test]
    async fn utf8_split_across_reads_is_intact() {
        // 60 000 two-byte characters cross many 16 KiB read boundaries.
        let (_, text) = run_text(sh(
            "for i in $(seq 1 200); do printf 'é%.0s' $(seq 1 300); done",
        ))
        .await;
        assert_eq!(text.chars().filter(|c| *c == 'é').count(), 60_000);
    }

    #[tokio::test]
    async fn api_keys_and_removed_vars_do_not_reach_the_child() {
        // SAFETY: the variables are unique to this test; no other test reads
        // them, and setenv races only matter for concurrent readers of them.
        unsafe {
            std::env::set_var("TANDEM_TEST_FAKE_API_KEY", "sk-secret");
            std::env::set_var("TANDEM_TEST_SCRUBBED", "hidden");
            std::env::set_var("TANDEM_TEST_KEPT", "visible");
        }
        let mut cmd = PtyCommand::new("env", vec![], std::env::temp_dir());
        cmd.env_remove = vec!["TANDEM_TEST_SCRUBBED".into()];
        cmd.env_set = vec![
            ("TERM".into(), "dumb".into()),
            ("SNEAKY_API_KEY".into(), "x".into()),
        ];
        let (_, text) = run_text(cmd).await;
        assert!(!text.contains("sk-secret"), "{text}");
        assert!(!text.contains("TANDEM_TEST_FAKE_API_KEY"));
        assert!(!text.contains("TANDEM_TEST_SCRUBBED"));
        assert!(!text.contains("SNEAKY_API_KEY"));
        assert!(text.contains("TANDEM_TEST_KEPT=visible"));
        assert!(text.contains("TERM=dumb"));
    }

    #[tokio::test]
    async fn stdin_is_null_by_default() {
        let (out, text) = run_text(sh("cat; echo done")).await;
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(text, "done\r\n");
    }

    #[tokio::test]
    async fn wrapper_execs_the_program() {
        let mut cmd = sh("echo $WRAPPED");
        cmd.wrapper = vec!["/usr/bin/env".into(), "WRAPPED=yes".into()];
        let (_, text) = run_text(cmd).await;
        assert_eq!(text, "yes\r\n");
    }

    #[tokio::test]
    async fn missing_program_and_cwd_are_errors() {
        let err = run(
            PtyCommand::new("no-such-program-tandem", vec![], std::env::temp_dir()),
            limits(1000),
            CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(err, PtyError::NotFound { .. }), "{err}");
        let err = run(
            PtyCommand::new("true", vec![], "/no/such/dir"),
            limits(1000),
            CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(err, PtyError::BadCwd { .. }), "{err}");
    }

    #[tokio::test]
    async fn size_is_applied() {
        let mut cmd = sh("stty size");
        cmd.stdin = Stdin::Pty;
        cmd.size = (33, 111);
        let (_, text) = run_text(cmd).await;
        assert_eq!(text.trim(), "33 111");
    }

    #[tokio::test]
    async fn many_concurrent_runs_complete() {
        let runs = (0..8).map(|i| {
            tokio::spawn(run(
                sh(&format!("sleep 0.2; echo run{i}")),
                limits(20_000),
                CancellationToken::new(),
                |_| {},
            ))
        });
        for (i, task) in runs.collect::<Vec<_>>().into_iter().enumerate() {
            let out = task.await.unwrap().unwrap();
            assert_eq!(out.exit_code, Some(0));
            let text = out.output.to_vec_if_complete().unwrap();
            assert_eq!(text, format!("run{i}\r\n").as_bytes());
        }
    }

    #[test]
    fn stat_session_parses_odd_names() {
        assert_eq!(stat_session("42 (a) b) c) S 1 42 42 0"), Some(42));
        assert_eq!(stat_session("garbage"), None);
    }

    #[test]
    fn secret_var_rule_honours_passthrough() {
        let mut cmd = PtyCommand::new("env", vec![], "/");
        assert!(is_secret_var(&cmd, "OPENAI_API_KEY"));
        assert!(is_secret_var(&cmd, "GH_AUTH_TOKEN"));
        assert!(!is_secret_var(&cmd, "API_KEY_FILE"));
        cmd.env_keep = vec!["GH_AUTH_TOKEN".into()];
        assert!(!is_secret_var(&cmd, "GH_AUTH_TOKEN"));
    }
}
