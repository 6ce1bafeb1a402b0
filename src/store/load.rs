//! Reading a transcript back: the header, per pane its model-facing
//! messages, prompts and events, in file order, and the worktree runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::runs::{RecordedRun, RunMark, RunStart};
use super::{FORMAT_VERSION, StoreError};
use crate::provider::Message;

/// The first line of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Format version (see [`super::FORMAT_VERSION`]).
    pub version: u32,
    /// The session id.
    pub id: String,
    /// The workspace directory.
    pub workspace: PathBuf,
    /// When the session started, Unix milliseconds.
    pub started: i64,
    /// The tandem version that wrote it.
    pub tandem: String,
}

/// An event as recorded: kept as JSON (`{"type": ..., "data": ...}`)
/// because events are only ever rendered again, never re-run.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// When it was recorded, Unix milliseconds.
    pub t: i64,
    /// The [`crate::agent::Event`] as serialised.
    pub event: serde_json::Value,
}

/// Everything one pane recorded, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneRecords {
    /// The model-facing history, what a resume hands back to the session.
    pub messages: Vec<Message>,
    /// What the user typed.
    pub prompts: Vec<String>,
    /// Every event.
    pub events: Vec<RecordedEvent>,
}

/// A transcript read back by [`load`].
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The session header.
    pub header: Header,
    /// Per pane name: `chat`, `run`, and `run#N` for worktree run N (see
    /// [`super::run_pane`]).
    pub panes: BTreeMap<String, PaneRecords>,
    /// The worktree runs, in the order they were created, each with the
    /// last thing recorded of it (a transcript older than runs has none).
    pub runs: Vec<RecordedRun>,
    /// When the session was closed cleanly (None: it was running or the
    /// process died).
    pub ended: Option<i64>,
    /// The last line was cut short or unreadable (a crash mid-write) and
    /// was left out.
    pub skipped_tail: bool,
}

/// Any line, fields by kind; unknown fields and kinds are skipped so newer
/// minor additions still load.
#[derive(Deserialize)]
struct Line {
    kind: String,
    #[serde(default)]
    t: i64,
    pane: Option<String>,
    event: Option<serde_json::Value>,
    message: Option<Message>,
    messages: Option<Vec<Message>>,
    text: Option<String>,
    version: Option<u32>,
    id: Option<String>,
    workspace: Option<PathBuf>,
    started: Option<i64>,
    tandem: Option<String>,
    number: Option<usize>,
    task: Option<String>,
    branch: Option<String>,
    worktree: Option<PathBuf>,
    base: Option<String>,
    state: Option<String>,
    status: Option<serde_json::Value>,
}

/// What the records after the header add up to.
#[derive(Default)]
struct Collected {
    panes: BTreeMap<String, PaneRecords>,
    runs: Vec<RecordedRun>,
    ended: Option<i64>,
}

/// Reads the transcript at `path`. A truncated or malformed last line is
/// left out ([`Loaded::skipped_tail`]); a malformed line before it is an
/// error naming the line.
pub fn load(path: &Path) -> Result<Loaded, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| StoreError::Io {
        action: "read the transcript",
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // A file ending in a newline yields an empty last piece.
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let last = lines.len().saturating_sub(1);
    let mut header = None;
    let mut collected = Collected::default();
    let mut skipped_tail = false;
    for (i, raw) in lines.iter().enumerate() {
        let parsed = serde_json::from_slice::<Line>(raw)
            .map_err(|e| e.to_string())
            .and_then(|line| {
                if i == 0 {
                    header_of(line).map(|h| header = Some(h))
                } else {
                    apply(line, &mut collected)
                }
            });
        match parsed {
            Ok(()) => {}
            Err(_) if i == last && i > 0 => skipped_tail = true,
            Err(message) if i == 0 => {
                return Err(StoreError::NoHeader {
                    path: path.to_path_buf(),
                    message,
                });
            }
            Err(message) => {
                return Err(StoreError::Malformed {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message,
                });
            }
        }
    }
    let Some(header) = header else {
        return Err(StoreError::NoHeader {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        });
    };
    if header.version > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            version: header.version,
        });
    }
    Ok(Loaded {
        header,
        panes: collected.panes,
        runs: collected.runs,
        ended: collected.ended,
        skipped_tail,
    })
}

fn header_of(line: Line) -> Result<Header, String> {
    if line.kind != "session" {
        return Err(format!("found a {:?} record", line.kind));
    }
    let missing = |field: &str| format!("the header has no {field}");
    Ok(Header {
        version: line.version.ok_or_else(|| missing("version"))?,
        id: line.id.ok_or_else(|| missing("id"))?,
        workspace: line.workspace.ok_or_else(|| missing("workspace"))?,
        started: line.started.ok_or_else(|| missing("started"))?,
        tandem: line.tandem.unwrap_or_default(),
    })
}

/// Files one record under its pane (or its run).
fn apply(line: Line, collected: &mut Collected) -> Result<(), String> {
    let missing = |field: &str| format!("a {:?} record without {field}", line.kind);
    match line.kind.as_str() {
        "run" => return apply_run(line, &mut collected.runs),
        "run_state" => {
            let number = line.number.ok_or_else(|| missing("number"))?;
            let state = line.state.ok_or_else(|| missing("state"))?;
            // A state of a newer tandem, or of a run not recorded: skipped.
            let mark = RunMark::parse(&state, line.status);
            let run = collected.runs.iter_mut().find(|r| r.start.number == number);
            if let (Some(run), Some(mark)) = (run, mark) {
                run.mark = Some(mark);
            }
            return Ok(());
        }
        _ => {}
    }
    let Line {
        kind,
        t,
        pane,
        event,
        message,
        messages,
        text,
        ..
    } = line;
    let missing = |field: &str| format!("a {kind:?} record without {field}");
    let records = match kind.as_str() {
        "event" | "message" | "prompt" | "history" => collected
            .panes
            .entry(pane.ok_or_else(|| missing("pane"))?)
            .or_default(),
        "end" => {
            collected.ended = Some(t);
            return Ok(());
        }
        "session" => return Err("a second session header".into()),
        _ => return Ok(()),
    };
    match kind.as_str() {
        "event" => {
            let event = event.ok_or_else(|| missing("event"))?;
            records.events.push(RecordedEvent { t, event });
        }
        "message" => records
            .messages
            .push(message.ok_or_else(|| missing("message"))?),
        "history" => records.messages = messages.ok_or_else(|| missing("messages"))?,
        _ => records.prompts.push(text.ok_or_else(|| missing("text"))?),
    }
    Ok(())
}

/// Adds a `run` record (a later record of the same number replaces it).
fn apply_run(line: Line, runs: &mut Vec<RecordedRun>) -> Result<(), String> {
    let missing = |field: &str| format!("a \"run\" record without {field}");
    let start = RunStart {
        number: line.number.ok_or_else(|| missing("number"))?,
        task: line.task.unwrap_or_default(),
        branch: line.branch.ok_or_else(|| missing("branch"))?,
        worktree: line.worktree.ok_or_else(|| missing("worktree"))?,
        base: line.base.ok_or_else(|| missing("base"))?,
    };
    runs.retain(|r| r.start.number != start.number);
    runs.push(RecordedRun { start, mark: None });
    Ok(())
}
