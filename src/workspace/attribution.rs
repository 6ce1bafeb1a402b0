//! Who changed what: attributing a checkpoint's changes to panes, turns and
//! tools, and the append-only log of those attributions.
//!
//! Tools declare the files they changed ([`crate::tools::ToolOutput::changed`]),
//! but a shell command may change anything and the user's editor changes
//! files between turns. [`attribute`] reconciles a checkpoint's actual
//! changes with those declarations so the review can say "this hunk came
//! from Run's turn 3, `apply_patch`" or "you changed this yourself".

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::WorkspaceError;
use super::checkpoint::{ChangeStatus, ChangedPath};

/// One tool call of a turn and the files it said it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolTouch {
    /// The tool's name (`edit_file`, `apply_patch`, `write_file`, `shell`).
    pub tool: String,
    /// A one-line description; for `shell`, the command.
    pub summary: String,
    /// The declared changed paths (absolute, as tools report them, or
    /// relative to the workspace root).
    pub paths: Vec<PathBuf>,
}

/// Whose activity a checkpoint closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The end of an agent's turn.
    Agent {
        /// The pane the agent runs in.
        pane: &'a str,
        /// Its turn number.
        turn: u32,
    },
    /// A checkpoint taken while no agent was working: every change is the
    /// user's (their editor, a build).
    External,
}

/// A group of changed paths and who changed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The checkpoint that recorded the changes.
    pub checkpoint: String,
    /// The pane whose turn it was (empty for external changes between turns).
    pub pane: String,
    /// The turn number (0 for external changes between turns).
    pub turn: u32,
    /// The tool: its name, or `shell: <command>`; `None` for external changes.
    pub tool: Option<String>,
    /// The paths, relative to the workspace root.
    pub paths: Vec<PathBuf>,
    /// True when no tool of the agent made the change.
    pub external: bool,
}

/// Attributes a checkpoint's `changed` paths to the tool `calls` of the turn
/// it closes.
///
/// A path goes to every call that declared it (or, for a rename, declared its
/// old path), in call order. A path no call declared goes to the turn's last
/// shell command when there was one (a command may write anything, and the
/// last is the one whose effect is visible); otherwise it is external: the
/// user changed it while the agent worked. With [`Actor::External`] every
/// path is external.
pub fn attribute(
    checkpoint: &str,
    workspace: &Path,
    actor: Actor<'_>,
    changed: &[ChangedPath],
    calls: &[ToolTouch],
) -> Vec<Attribution> {
    let all: Vec<PathBuf> = changed.iter().map(|c| c.path.clone()).collect();
    let (pane, turn) = match actor {
        Actor::External => {
            if all.is_empty() {
                return Vec::new();
            }
            return vec![Attribution {
                checkpoint: checkpoint.to_string(),
                pane: String::new(),
                turn: 0,
                tool: None,
                paths: all,
                external: true,
            }];
        }
        Actor::Agent { pane, turn } => (pane, turn),
    };
    let entry = |tool: Option<String>, paths: Vec<PathBuf>, external: bool| Attribution {
        checkpoint: checkpoint.to_string(),
        pane: pane.to_string(),
        turn,
        tool,
        paths,
        external,
    };
    let relative = |p: &Path| -> PathBuf {
        p.strip_prefix(workspace)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let mut claimed = vec![false; changed.len()];
    let mut out = Vec::new();
    for call in calls {
        let declared: Vec<PathBuf> = call.paths.iter().map(|p| relative(p)).collect();
        let mut paths = Vec::new();
        for (i, c) in changed.iter().enumerate() {
            let old = match &c.status {
                ChangeStatus::Renamed { from } => Some(from),
                _ => None,
            };
            if declared.iter().any(|d| *d == c.path || Some(d) == old) {
                claimed[i] = true;
                paths.push(c.path.clone());
            }
        }
        if !paths.is_empty() {
            out.push(entry(Some(tool_label(call)), paths, false));
        }
    }
    let rest: Vec<PathBuf> = changed
        .iter()
        .zip(&claimed)
        .filter(|(_, claimed)| !**claimed)
        .map(|(c, _)| c.path.clone())
        .collect();
    if !rest.is_empty() {
        match calls.iter().rev().find(|c| c.tool == "shell") {
            Some(shell) => {
                let label = tool_label(shell);
                match out.iter_mut().find(|a| a.tool.as_deref() == Some(&label)) {
                    Some(existing) => existing.paths.extend(rest),
                    None => out.push(entry(Some(label), rest, false)),
                }
            }
            None => out.push(entry(None, rest, true)),
        }
    }
    out
}

fn tool_label(call: &ToolTouch) -> String {
    if call.tool == "shell" {
        format!("shell: {}", call.summary)
    } else {
        call.tool.clone()
    }
}

/// The append-only record of attributions: in memory for the review, and a
/// JSON-lines file so it survives restarts (one object per line, so a crash
/// mid-write loses at most the last line).
#[derive(Debug)]
pub struct ChangeLog {
    path: PathBuf,
    entries: Vec<Attribution>,
}

impl ChangeLog {
    /// Opens the log at `path` (conventionally next to the shadow
    /// repository: `<shadow>.changes.jsonl`), reading what it holds.
    pub fn open(path: &Path) -> Result<Self, WorkspaceError> {
        let entries = match std::fs::read_to_string(path) {
            Ok(text) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| WorkspaceError::ChangeLog {
                        path: path.to_path_buf(),
                        line: i + 1,
                        message: e.to_string(),
                    })
                })
                .collect::<Result<_, _>>()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(WorkspaceError::io("reading", path, e)),
        };
        Ok(Self {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The log file next to a checkpoint repository.
    pub fn path_for(shadow: &Path) -> PathBuf {
        let mut name = shadow.as_os_str().to_owned();
        name.push(".changes.jsonl");
        PathBuf::from(name)
    }

    /// Appends `attributions` to the file and the memory copy.
    pub fn record(&mut self, attributions: &[Attribution]) -> Result<(), WorkspaceError> {
        if attributions.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for a in attributions {
            text.push_str(&serde_json::to_string(a).expect("an attribution serialises"));
            text.push('\n');
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io("creating", dir, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| WorkspaceError::io("opening", &self.path, e))?;
        file.write_all(text.as_bytes())
            .map_err(|e| WorkspaceError::io("appending to", &self.path, e))?;
        self.entries.extend_from_slice(attributions);
        Ok(())
    }

    /// Every attribution, oldest first.
    pub fn entries(&self) -> &[Attribution] {
        &self.entries
    }

    /// The attributions that mention `path` (relative), oldest first: the
    /// history the diff viewer shows for one file.
    pub fn for_path<'a>(&'a self, path: &'a Path) -> impl Iterator<Item = &'a Attribution> {
        self.entries
            .iter()
            .filter(move |a| a.paths.iter().any(|p| p == path))
    }
}
