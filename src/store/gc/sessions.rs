//! Session transcripts (`<state>/sessions/<id>.jsonl`) not written for a
//! number of days, with their rows in the session index; never a session
//! still open.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use super::disk::{self, dir_size};
use super::{Action, GcItem, GcPlan, ItemKind, Kept};
use crate::store::{self, SessionInfo, index};

/// A session with no end recorded that was written this recently is taken
/// to be open (its process may be between turns), whatever its age limit.
const OPEN_WINDOW: Duration = Duration::from_secs(3600);

const DAY_S: u64 = 86_400;

/// Adds the transcripts (and index rows) older than `days`.
pub(super) fn plan(state: &Path, days: u32, plan: &mut GcPlan) {
    let mut rows: HashMap<String, SessionInfo> = match index::list(state) {
        Ok(rows) => rows.into_iter().map(|r| (r.id.clone(), r)).collect(),
        Err(e) => {
            plan.kept.push(Kept {
                kind: ItemKind::Transcript,
                path: store::sessions_dir(state),
                bytes: 0,
                reason: format!("transcripts left alone: {e}"),
                flag: None,
            });
            return;
        }
    };
    let limit = Duration::from_secs(u64::from(days) * DAY_S);
    let now = SystemTime::now();
    let files = disk::category(store::sessions_dir(state), ItemKind::Transcript, plan)
        .map(|dir| disk::entries(&dir))
        .unwrap_or_default();
    for path in files {
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".jsonl"))
            .map(String::from)
        else {
            continue;
        };
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let row = rows.remove(&id);
        if meta.file_type().is_symlink() {
            plan.kept.push(Kept {
                kind: ItemKind::Transcript,
                path,
                bytes: 0,
                reason: "a symbolic link: not followed".into(),
                flag: None,
            });
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        let written = meta.modified().unwrap_or(now);
        let age = now.duration_since(written).unwrap_or_default();
        if age < limit {
            continue;
        }
        if row.as_ref().is_some_and(|r| !r.ended) && age < OPEN_WINDOW {
            plan.kept.push(Kept {
                kind: ItemKind::Transcript,
                bytes: dir_size(&path),
                path,
                reason: format!("session {id} is still open"),
                flag: None,
            });
            continue;
        }
        plan.items.push(GcItem {
            kind: ItemKind::Transcript,
            bytes: dir_size(&path),
            reason: format!("last written {}", ago(age)),
            action: Action::RemoveSession {
                index_row: row.is_some(),
                id,
                file: true,
            },
            path,
        });
    }
    // Rows whose transcript is gone: their last update tells their age.
    let mut orphans: Vec<SessionInfo> = rows.into_values().collect();
    orphans.sort_by(|a, b| a.id.cmp(&b.id));
    for row in orphans {
        let Ok(path) = store::transcript_path(state, &row.id) else {
            continue;
        };
        let updated = UNIX_EPOCH + Duration::from_millis(u64::try_from(row.updated).unwrap_or(0));
        let age = now.duration_since(updated).unwrap_or_default();
        if age < limit.max(OPEN_WINDOW) || std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        plan.items.push(GcItem {
            kind: ItemKind::Transcript,
            path,
            bytes: 0,
            reason: format!(
                "index row of a transcript already gone, updated {}",
                ago(age)
            ),
            action: Action::RemoveSession {
                id: row.id,
                file: false,
                index_row: true,
            },
        });
    }
}

/// `3 days ago`, `5 hours ago`.
fn ago(age: Duration) -> String {
    let secs = age.as_secs();
    match secs / DAY_S {
        0 => format!("{} hours ago", secs / 3600),
        1 => "1 day ago".into(),
        days => format!("{days} days ago"),
    }
}

/// The session index, opened on first use by [`remove`] (a plan with no
/// transcript never touches the database).
#[derive(Default)]
pub(super) struct IndexHandle(Option<Result<Connection, String>>);

impl IndexHandle {
    fn get(&mut self, state: &Path) -> Result<&Connection, String> {
        self.0
            .get_or_insert_with(|| index::open(state).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Removes a transcript (when `file`) and then its index row (when
/// `index_row`); the error says which part is left.
pub(super) fn remove(
    state: &Path,
    index: &mut IndexHandle,
    path: &Path,
    id: &str,
    file: bool,
    index_row: bool,
) -> Result<Option<String>, String> {
    if file {
        disk::remove(state, path)?;
    }
    if !index_row {
        return Ok(None);
    }
    let forgotten = index
        .get(state)
        .and_then(|conn| index::forget(conn, id).map_err(|e| e.to_string()));
    match forgotten {
        Ok(()) => Ok(None),
        Err(e) if file => Err(format!(
            "removed the transcript, but not its row in the session index ({e}); the next tandem gc removes it"
        )),
        Err(e) => Err(format!("cannot remove session {id} from the index: {e}")),
    }
}
