//! `/review`: Chat reviews what the Run pane's last task changed. The diff
//! is built off the UI thread from the checkpoints before and after the
//! task, and sent to Chat with the task and a request for findings that
//! point at file:line (which `/handoff` can send back to Run).

use std::path::PathBuf;

use crate::diff::{DiffOptions, FileDiff, diff_added, diff_deleted, diff_modified, to_unified};
use crate::workspace::{ChangeStatus, Tracker};

/// Diffs larger than this are cut (the model would drown in them).
const MAX_DIFF_BYTES: usize = 60_000;

/// The message asking Chat to review Run's task `task` (`prompt`), whose
/// changes are those since `before` (a checkpoint id).
pub fn review_request(
    tracker: &Tracker,
    before: &str,
    task: u32,
    prompt: &str,
) -> Result<String, String> {
    tracker.refresh();
    tracker.flush().map_err(|e| e.to_string())?;
    let head = tracker
        .head()
        .ok_or_else(|| "no checkpoint yet".to_string())?;
    let checkpoints = tracker.checkpoints();
    let wanted: std::collections::BTreeSet<PathBuf> = tracker
        .attributions()
        .into_iter()
        .filter(|a| a.pane == "run" && a.turn == task)
        .flat_map(|a| a.paths)
        .collect();
    let changes = checkpoints
        .changes_between(before, &head)
        .map_err(|e| e.to_string())?;
    let opts = DiffOptions::default();
    let mut files: Vec<FileDiff> = Vec::new();
    for change in changes.iter().filter(|c| wanted.contains(&c.path)) {
        let path = change.path.to_string_lossy();
        let old_path = match &change.status {
            ChangeStatus::Renamed { from } => from.clone(),
            _ => change.path.clone(),
        };
        let old = checkpoints
            .file_at(before, &old_path)
            .map_err(|e| e.to_string())?;
        let new = checkpoints
            .file_at(&head, &change.path)
            .map_err(|e| e.to_string())?;
        files.push(match (old, new) {
            (Some(old), Some(new)) => diff_modified(&path, &old, &new, &opts),
            (None, Some(new)) => diff_added(&path, &new, &opts),
            (Some(old), None) => diff_deleted(&path, &old, &opts),
            (None, None) => continue,
        });
    }
    if files.is_empty() {
        return Err(format!("Run's task {task} changed no files to review"));
    }
    let refs: Vec<&FileDiff> = files.iter().collect();
    let mut patch = to_unified(&refs, |_, _| true);
    if patch.len() > MAX_DIFF_BYTES {
        let mut cut = MAX_DIFF_BYTES;
        while !patch.is_char_boundary(cut) {
            cut -= 1;
        }
        patch.truncate(cut);
        patch.push_str("\n… (the diff was cut here; read the files for the rest)\n");
    }
    Ok(format!(
        "Review the changes the Run pane made for its task: \"{prompt}\".\n\n\
         Check them for bugs, missed cases and anything that does not do what the task asked. \
         Answer with a list of findings, each as `path:line — problem — suggested fix` \
         (say \"no findings\" if it is right). The user may hand your findings back to Run with /handoff.\n\n\
         ```diff\n{patch}```"
    ))
}
