//! One hosted program: a command in a PTY of its own, its screen kept by a
//! `vt100` parser, its exit reported as an event.
//!
//! Threads: a reader feeds the program's output to the parser (and writes
//! back the answers to terminal queries); a waiter reports the exit. The
//! front end locks the parser only to draw. Process lifetime is the PTY
//! runner's ([`crate::exec::pty`]): the program leads its own session, and
//! the whole session is killed with `SIGKILL` when the program exits (what
//! it left behind) or when the [`HostedProgram`] is dropped.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::mpsc::UnboundedSender;

use super::presets::HostCommand;
use super::replies::Replies;
use crate::exec::pty::{ChildStatus, PtyError, kill_session, wait_child};
use crate::exec::secrets;

/// Lines of history kept above the screen, for scrolling back.
pub const SCROLLBACK_LINES: usize = 5_000;

/// Every hosted program gets a number, so events of one that was replaced
/// (a restart, `/host`) are told apart from its successor's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What a hosted program reports to the front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    /// New output reached the screen: draw again.
    Output {
        /// The program's [`HostedProgram::id`].
        id: u64,
    },
    /// The program ended.
    Exited {
        /// The program's [`HostedProgram::id`].
        id: u64,
        /// Its exit code, when it exited normally.
        code: Option<i32>,
        /// The signal that ended it, when one did.
        signal: Option<i32>,
    },
}

/// How to start a hosted program.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Working directory: the workspace.
    pub cwd: PathBuf,
    /// Terminal size as (rows, columns).
    pub size: (u16, u16),
    /// Variables set on top of the user's environment (the metering proxy's
    /// `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`; empty without one).
    pub extra_env: Vec<(String, String)>,
    /// Provider key variables (`config::providers::key_vars`), removed like
    /// every credential-named variable: keys never reach a hosted program.
    pub key_vars: Vec<String>,
}

/// A program running in a PTY, with its screen.
pub struct HostedProgram {
    id: u64,
    command: HostCommand,
    parser: Arc<Mutex<vt100::Parser<Replies>>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    master: Box<dyn MasterPty + Send>,
    pid: libc::pid_t,
    /// Set by the waiter once it has reaped the program: its pid no longer
    /// names the session, so nothing may be killed by it.
    reaped: Arc<Mutex<bool>>,
    size: (u16, u16),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

impl HostedProgram {
    /// Starts `command` in a PTY; its output and exit are reported on
    /// `events`.
    pub fn spawn(
        command: &HostCommand,
        opts: HostOptions,
        events: UnboundedSender<HostEvent>,
    ) -> Result<Self, PtyError> {
        if !opts.cwd.is_dir() {
            return Err(PtyError::BadCwd { path: opts.cwd });
        }
        let (rows, cols) = (opts.size.0.max(1), opts.size.1.max(1));
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| PtyError::Open(format!("{e:#}")))?;
        let child = pair
            .slave
            .spawn_command(builder(command, &opts))
            .map_err(|e| {
                let message = format!("{e:#}");
                if message.contains("No such file") || message.contains("not found") {
                    PtyError::NotFound {
                        program: command.program.clone(),
                    }
                } else {
                    PtyError::Spawn {
                        program: command.program.clone(),
                        message,
                    }
                }
            })?;
        drop(pair.slave);
        let pid = child
            .process_id()
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .ok_or_else(|| PtyError::Spawn {
                program: command.program.clone(),
                message: "the child has no process id".into(),
            })?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let reaped = Arc::new(Mutex::new(false));
        let open = |e: anyhow::Error| PtyError::Open(format!("{e:#}"));
        let reader = pair.master.try_clone_reader().map_err(open);
        let writer = pair.master.take_writer().map_err(open);
        let (mut reader, writer) = match (reader, writer) {
            (Ok(r), Ok(w)) => (r, Arc::new(Mutex::new(w))),
            (Err(e), _) | (_, Err(e)) => {
                kill_session(pid);
                return Err(e);
            }
        };
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            nz(rows),
            nz(cols),
            SCROLLBACK_LINES,
            Replies::default(),
        )));
        let program = Self {
            id,
            command: command.clone(),
            parser: Arc::clone(&parser),
            writer: Arc::clone(&writer),
            master: pair.master,
            pid,
            reaped: Arc::clone(&reaped),
            size: (rows, cols),
        };
        // From here on, dropping `program` kills the session.
        let output = events.clone();
        std::thread::Builder::new()
            .name("host-reader".into())
            .spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) => return,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        // EIO: the program and everything it started are gone.
                        Err(_) => return,
                    };
                    let reply = {
                        let mut parser = lock(&parser);
                        parser.process(&buf[..n]);
                        std::mem::take(&mut parser.callbacks_mut().out)
                    };
                    if !reply.is_empty() {
                        let mut w = lock(&writer);
                        let _ = w.write_all(&reply).and_then(|()| w.flush());
                    }
                    if output.send(HostEvent::Output { id }).is_err() {
                        return;
                    }
                }
            })?;
        std::thread::Builder::new()
            .name("host-waiter".into())
            .spawn(move || {
                let status = wait_child(pid);
                let mut reaped_now = lock(&reaped);
                // What the program left behind goes with it, while its pid
                // still names the session; then it is reaped.
                kill_session(pid);
                let mut child = child;
                let _ = child.wait();
                *reaped_now = true;
                drop(reaped_now);
                let (code, signal) = match status {
                    ChildStatus::Exited(code) => (Some(code), None),
                    ChildStatus::Signaled(sig) => (None, Some(sig)),
                };
                let _ = events.send(HostEvent::Exited { id, code, signal });
            })?;
        Ok(program)
    }

    /// This program's number, as its events carry it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The command line it runs.
    pub fn command(&self) -> &HostCommand {
        &self.command
    }

    /// Sends input (keys, pasted text) to the program.
    pub fn write(&self, bytes: &[u8]) -> io::Result<()> {
        let mut w = lock(&self.writer);
        w.write_all(bytes)?;
        w.flush()
    }

    /// The terminal size as (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Resizes the PTY (the program gets `SIGWINCH`) and the screen. A size
    /// it already has changes nothing.
    pub fn resize(&mut self, rows: u16, cols: u16) -> io::Result<()> {
        let (rows, cols) = (rows.max(1), cols.max(1));
        if (rows, cols) == self.size {
            return Ok(());
        }
        self.size = (rows, cols);
        lock(&self.parser).set_size(nz(rows), nz(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| io::Error::other(format!("{e:#}")))
    }

    /// Runs `f` on the screen (for drawing).
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(lock(&self.parser).screen())
    }

    /// Scrolls the view `rows` lines back into history (0: the live screen);
    /// returns the offset actually set (clamped to the history kept).
    pub fn set_scrollback(&self, rows: usize) -> usize {
        let mut parser = lock(&self.parser);
        parser.screen_mut().set_scrollback(rows);
        parser.screen().scrollback()
    }

    /// Whether the program turned on bracketed paste (pasted text is then
    /// sent wrapped in `ESC [200~` … `ESC [201~`).
    pub fn bracketed_paste(&self) -> bool {
        lock(&self.parser).screen().bracketed_paste()
    }

    /// Whether the program asked for application cursor keys (`ESC O A`
    /// instead of `ESC [ A`).
    pub fn application_cursor(&self) -> bool {
        lock(&self.parser).screen().application_cursor()
    }
}

impl Drop for HostedProgram {
    fn drop(&mut self) {
        let reaped = lock(&self.reaped);
        if !*reaped {
            kill_session(self.pid);
        }
    }
}

/// The command with the user's environment minus every credential, plus the
/// launcher's extra variables, plus `TERM`.
fn builder(command: &HostCommand, opts: &HostOptions) -> CommandBuilder {
    let mut builder = CommandBuilder::new(&command.program);
    builder.args(&command.args);
    builder.cwd(&opts.cwd);
    let is_key =
        |name: &str| secrets::is_secret_name(name) || opts.key_vars.iter().any(|k| k == name);
    for (name, _) in std::env::vars_os() {
        // Names that are not UTF-8 cannot be checked, so they go too.
        if name.to_str().is_none_or(is_key) {
            builder.env_remove(&name);
        }
    }
    for (name, value) in &opts.extra_env {
        // A key-named variable passes only as the metering proxy's
        // placeholder, which the proxy swaps for the real key.
        if !is_key(name) || value == crate::proxy::PLACEHOLDER_KEY {
            builder.env(name, value);
        }
    }
    builder.env("TERM", "xterm-256color");
    builder
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
