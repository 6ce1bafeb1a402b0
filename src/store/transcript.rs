//! Writing one session's transcript, shared by both panes of a process.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rusqlite::Connection;
use serde::Serialize;

use super::runs::{RunMark, RunStart};
use super::{FORMAT_VERSION, StoreError, index, now_ms, transcript_path};
use crate::agent::{Event, TaskStatus};
use crate::provider::Message;

/// Records waiting for the file beyond this many bytes are dropped (and
/// counted) while the file cannot be written, so a dead disk cannot eat
/// the process's memory.
const MAX_PENDING: usize = 16 << 20;

/// Buffered records are written once this many bytes wait, turn boundary
/// or not.
const FLUSH_AT: usize = 64 << 10;

/// One line of the file; `kind` comes first.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Record<'a> {
    Session {
        version: u32,
        id: &'a str,
        workspace: &'a str,
        started: i64,
        tandem: &'a str,
    },
    Event {
        t: i64,
        pane: &'a str,
        event: &'a Event,
    },
    Message {
        t: i64,
        pane: &'a str,
        message: &'a Message,
    },
    Prompt {
        t: i64,
        pane: &'a str,
        text: &'a str,
    },
    /// The pane's whole model-facing history, after it was replaced
    /// (compaction, rewind, clear, restore): a resume starts from the
    /// newest of these plus the messages after it.
    History {
        t: i64,
        pane: &'a str,
        messages: &'a [Message],
    },
    /// A worktree run was created (see [`super::runs`]).
    Run {
        t: i64,
        number: usize,
        task: &'a str,
        branch: &'a str,
        worktree: &'a Path,
        base: &'a str,
    },
    /// What became of a worktree run.
    RunState {
        t: i64,
        number: usize,
        state: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<TaskStatus>,
    },
    End {
        t: i64,
    },
}

/// The append-only transcript of one process session (both panes), plus its
/// row in the session index.
///
/// Cheap for async callers: a record is serialised into a byte buffer
/// behind a mutex (a few µs, no thread). Streaming deltas (text, reasoning,
/// tool output) stay in the buffer until [`Transcript::turn_boundary`] (or
/// 64 KiB); every other record is written to the file at once (one
/// `write`, no fsync), so a crash or `kill -9` loses at most the deltas of
/// the turn in flight, which the complete assistant message repeats.
/// [`Transcript::close`] fsyncs. The file is reopened (append) for each
/// write, so a deleted file or directory is noticed rather than written
/// into the void.
///
/// Write errors never panic and never stop the agents: the records stay
/// buffered and are retried at the next write, the error is reported once
/// via `tracing::warn` and kept for [`Transcript::problem`] until a write
/// succeeds again. Index updates after creation run on a short-lived thread
/// (SQLite may wait for another process's lock); only `close` waits for one.
///
/// [`Transcript::for_pane`] gives a handle on the same file that files
/// everything under one pane key (a worktree run's session writes as
/// `run#N`).
pub struct Transcript {
    id: String,
    path: PathBuf,
    writer: Arc<Mutex<Writer>>,
    shared: Arc<Shared>,
    first_prompt: Arc<OnceLock<String>>,
    closed: Arc<AtomicBool>,
    /// Set on a [`Transcript::for_pane`] handle: the pane key every record
    /// goes under, whatever pane its writer names.
    pane: Option<String>,
}

/// The buffer and the state of the file side.
#[derive(Default)]
struct Writer {
    pending: Vec<u8>,
    dropped: u64,
}

/// What the index threads and the writer share.
struct Shared {
    db: PathBuf,
    conn: Mutex<Option<Connection>>,
    file_problem: Mutex<Option<String>>,
    index_problem: Mutex<Option<String>>,
}

/// Locks even a poisoned mutex: a panic elsewhere must not stop recording.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Sets or clears one problem; warns when it appears.
    fn report(&self, slot: &Mutex<Option<String>>, problem: Option<String>) {
        let mut slot = lock(slot);
        if let (None, Some(text)) = (slot.as_ref(), problem.as_ref()) {
            tracing::warn!(path = %self.db.display(), "session transcript: {text}");
        }
        *slot = problem;
    }

    /// Runs `f` on the index connection (opening it if an earlier open
    /// failed) and records the outcome.
    fn with_index(&self, state_dir: &Path, f: impl FnOnce(&Connection) -> rusqlite::Result<()>) {
        let mut conn = lock(&self.conn);
        if conn.is_none() {
            match index::open(state_dir) {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    self.report(&self.index_problem, Some(e.to_string()));
                    return;
                }
            }
        }
        if let Some(c) = conn.as_ref() {
            let result = f(c).map_err(|e| index::index_error(&self.db, &e).to_string());
            self.report(&self.index_problem, result.err());
        }
    }
}

impl Transcript {
    /// Creates `<state>/sessions/<id>.jsonl` with its header (written and
    /// fsynced before this returns) and registers the session in the index.
    /// Fails when the file cannot be created (or already exists); an index
    /// that cannot be written is only a [`Transcript::problem`], since the
    /// transcript itself is what matters.
    pub fn create(state_dir: &Path, id: &str, workspace: &Path) -> Result<Arc<Self>, StoreError> {
        let path = transcript_path(state_dir, id)?;
        let dir = path.parent().unwrap_or(state_dir);
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            action: "create the sessions directory",
            path: dir.to_path_buf(),
            source: e,
        })?;
        let started = now_ms();
        let workspace_text = workspace.to_string_lossy();
        let mut header = line(&Record::Session {
            version: FORMAT_VERSION,
            id,
            workspace: &workspace_text,
            started,
            tandem: env!("CARGO_PKG_VERSION"),
        });
        header.push(b'\n');
        let io_error = |action, e| StoreError::Io {
            action,
            path: path.clone(),
            source: e,
        };
        let mut file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_error("create the transcript", e))?;
        file.write_all(&header)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write the transcript header to", e))?;
        // The new directory entry survives a power cut too (best effort).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        let shared = Arc::new(Shared {
            db: crate::quota::Ledger::path_in(state_dir),
            conn: Mutex::new(None),
            file_problem: Mutex::new(None),
            index_problem: Mutex::new(None),
        });
        shared.with_index(state_dir, |c| {
            index::register(c, id, &path, workspace, started)
        });
        Ok(Arc::new(Self {
            id: id.to_string(),
            path,
            writer: Arc::default(),
            shared,
            first_prompt: Arc::default(),
            closed: Arc::default(),
            pane: None,
        }))
    }

    /// A handle on this same transcript that files every event, message,
    /// history and prompt under `pane`, whatever pane the writer names: a
    /// worktree run's session (which writes as the Run pane) is given one
    /// for [`super::run_pane`], so its records never mix with the Run
    /// pane's. Its prompts do not become the session's first prompt in the
    /// index, and [`Transcript::close`] on it does nothing (the session's
    /// owner closes the transcript).
    pub fn for_pane(&self, pane: &str) -> Arc<Self> {
        Arc::new(Self {
            id: self.id.clone(),
            path: self.path.clone(),
            writer: Arc::clone(&self.writer),
            shared: Arc::clone(&self.shared),
            first_prompt: Arc::clone(&self.first_prompt),
            closed: Arc::clone(&self.closed),
            pane: Some(pane.to_string()),
        })
    }

    /// The pane key a record of `pane` goes under.
    fn key<'a>(&'a self, pane: &'a str) -> &'a str {
        self.pane.as_deref().unwrap_or(pane)
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The transcript file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records an event of `pane` (buffered if it is a streaming delta,
    /// written at once otherwise).
    pub fn event(&self, pane: &str, event: &Event) {
        let delta = matches!(
            event,
            Event::TextDelta(_) | Event::ReasoningDelta(_) | Event::ToolOutputDelta { .. }
        );
        let t = now_ms();
        let pane = self.key(pane);
        self.append(&Record::Event { t, pane, event }, !delta);
    }

    /// Records a message of `pane`'s model-facing history (what a resume
    /// replays), written at once.
    pub fn message(&self, pane: &str, message: &Message) {
        let t = now_ms();
        let pane = self.key(pane);
        self.append(&Record::Message { t, pane, message }, true);
    }

    /// Records that `pane`'s model-facing history was replaced by
    /// `messages` (compacted, rewound, cleared or restored), written at once.
    pub fn history(&self, pane: &str, messages: &[Message]) {
        let t = now_ms();
        let pane = self.key(pane);
        self.append(&Record::History { t, pane, messages }, true);
    }

    /// Records that worktree run `run.number` was created, written at once.
    pub fn run_started(&self, run: &RunStart) {
        let record = Record::Run {
            t: now_ms(),
            number: run.number,
            task: &run.task,
            branch: &run.branch,
            worktree: &run.worktree,
            base: &run.base,
        };
        self.append(&record, true);
    }

    /// Records what became of worktree run `number`, written at once.
    pub fn run_marked(&self, number: usize, mark: RunMark) {
        let record = Record::RunState {
            t: now_ms(),
            number,
            state: mark.word(),
            status: mark.status(),
        };
        self.append(&record, true);
    }

    /// Records what the user asked in `pane`; the session's first prompt
    /// also goes into the index so `tandem sessions` can show it.
    pub fn user_prompt(&self, pane: &str, text: &str) {
        let t = now_ms();
        let own_pane = self.pane.is_none();
        let pane = self.key(pane);
        self.append(&Record::Prompt { t, pane, text }, true);
        if own_pane && self.first_prompt.set(text.to_string()).is_ok() {
            self.update_index_later(Some(text.to_string()), t);
        }
    }

    /// A turn ended: writes everything buffered to the file (no fsync) and
    /// moves the index's `updated` time.
    pub fn turn_boundary(&self) {
        let mut writer = lock(&self.writer);
        self.flush(&mut writer, false);
        drop(writer);
        self.update_index_later(None, now_ms());
    }

    /// The session ended: writes an `end` record, flushes and fsyncs the
    /// file and marks the session ended in the index. Blocks (fsync, the
    /// index); call it once, when both panes are done. Later calls (and
    /// calls on a [`Transcript::for_pane`] handle) do nothing.
    pub fn close(&self) {
        if self.pane.is_some() || self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let t = now_ms();
        let mut writer = lock(&self.writer);
        push(&mut writer, &Record::End { t });
        self.flush(&mut writer, true);
        drop(writer);
        let state_dir = self.state_dir();
        let prompt = self.first_prompt.get().map(String::as_str);
        self.shared.with_index(&state_dir, |c| {
            index::update(c, &self.id, prompt, t, Some(t))
        });
    }

    /// What went wrong with the file or the index, if something is wrong
    /// right now (cleared once a write succeeds again).
    pub fn problem(&self) -> Option<String> {
        let file = lock(&self.shared.file_problem).clone();
        let index = lock(&self.shared.index_problem).clone();
        match (file, index) {
            (Some(f), Some(i)) => Some(format!("{f}; {i}")),
            (f, i) => f.or(i),
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.shared
            .db
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Serialises a record into the buffer, writing the buffer out when
    /// asked to or when it is large.
    fn append(&self, record: &Record<'_>, write_now: bool) {
        let mut writer = lock(&self.writer);
        push(&mut writer, record);
        if write_now || writer.pending.len() >= FLUSH_AT {
            self.flush(&mut writer, false);
        }
    }

    /// Writes the buffer to the end of the file (and fsyncs if `sync`);
    /// whatever could not be written stays buffered for the next try.
    fn flush(&self, writer: &mut Writer, sync: bool) {
        let result = write_out(&self.path, &mut writer.pending, sync);
        let problem = match result {
            Ok(()) => None,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some(format!(
                "the transcript {} is gone (its file or directory was deleted); \
                 this session is no longer recorded",
                self.path.display()
            )),
            Err(e) => Some(format!(
                "cannot write the transcript {}: {e}; the records are kept in memory and \
                 retried at the next turn",
                self.path.display()
            )),
        };
        let problem = match (problem, writer.dropped) {
            (Some(p), n) if n > 0 => Some(format!("{p} ({n} records dropped)")),
            (p, _) => p,
        };
        if problem.is_none() {
            writer.dropped = 0;
        }
        self.shared.report(&self.shared.file_problem, problem);
    }

    /// Moves the index forward on a short-lived thread, so a locked
    /// database never stalls a caller on an async runtime.
    fn update_index_later(&self, first_prompt: Option<String>, updated: i64) {
        let shared = Arc::clone(&self.shared);
        let id = self.id.clone();
        let state_dir = self.state_dir();
        let spawned = std::thread::Builder::new()
            .name("tandem-index".into())
            .spawn(move || {
                shared.with_index(&state_dir, |c| {
                    index::update(c, &id, first_prompt.as_deref(), updated, None)
                });
            });
        if let Err(e) = spawned {
            self.shared.report(
                &self.shared.index_problem,
                Some(format!("cannot start a thread to update the index: {e}")),
            );
        }
    }
}

impl Drop for Transcript {
    /// Writes out what is buffered (without ending the session: only
    /// `close` says it ended cleanly).
    fn drop(&mut self) {
        let mut writer = lock(&self.writer);
        if !writer.pending.is_empty() {
            self.flush(&mut writer, false);
        }
    }
}

/// The JSON of a record (serialising these types cannot fail; if it ever
/// did, the line says so instead of breaking the file).
fn line(record: &Record<'_>) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_else(|e| {
        format!(
            r#"{{"kind":"error","message":{}}}"#,
            serde_json::Value::String(e.to_string())
        )
        .into_bytes()
    })
}

/// Appends one record line to the buffer, unless the buffer is full.
fn push(writer: &mut Writer, record: &Record<'_>) {
    if writer.pending.len() >= MAX_PENDING {
        writer.dropped += 1;
        return;
    }
    let start = writer.pending.len();
    if serde_json::to_writer(&mut writer.pending, record).is_err() {
        writer.pending.truncate(start);
        writer.pending.extend_from_slice(&line(record));
    }
    writer.pending.push(b'\n');
}

/// Appends `pending` to the file, draining what was written, even when a
/// later write fails.
fn write_out(path: &Path, pending: &mut Vec<u8>, sync: bool) -> io::Result<()> {
    if pending.is_empty() && !sync {
        return Ok(());
    }
    let mut file = OpenOptions::new().append(true).open(path)?;
    let mut written = 0;
    let result = loop {
        if written == pending.len() {
            break Ok(());
        }
        match file.write(&pending[written..]) {
            Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    pending.drain(..written);
    result?;
    if sync {
        file.sync_all()?;
    }
    Ok(())
}
