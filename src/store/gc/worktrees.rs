//! Worktree runs (`<state>/worktrees/<id>` and `<id>.base`): a run whose
//! repository is gone goes; one whose repository no longer knows it may
//! hold uncommitted work and goes only with `--force`; a live run stays.

use std::path::{Path, PathBuf};

use super::disk::{self, dir_size};
use super::{Action, GcItem, GcOptions, GcPlan, ItemKind, Kept};
use crate::workspace::worktree;

/// Adds the run directories and records that may go.
pub(super) fn plan(state: &Path, opts: &GcOptions, plan: &mut GcPlan) {
    let Some(dir) = disk::category(worktree::worktrees_dir(state), ItemKind::Worktree, plan) else {
        return;
    };
    for path in disk::entries(&dir) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        if disk::is_link(&path) {
            plan.kept.push(Kept {
                kind: ItemKind::Worktree,
                path,
                bytes: 0,
                reason: "a symbolic link: not followed".into(),
                flag: None,
            });
        } else if let Some(id) = name.strip_suffix(".base") {
            if std::fs::symlink_metadata(dir.join(id)).is_err() && path.is_file() {
                plan.items.push(GcItem {
                    kind: ItemKind::RunRecord,
                    bytes: dir_size(&path),
                    reason: format!("record of run {id}, whose worktree is gone"),
                    action: Action::Remove,
                    path,
                });
            }
        } else if path.is_dir() {
            plan_run(&path, name, opts, plan);
        }
    }
}

/// One run directory.
fn plan_run(path: &Path, id: String, opts: &GcOptions, plan: &mut GcPlan) {
    let bytes = dir_size(path);
    let Some(admin) = admin_dir(path) else {
        let empty = disk::entries(path).is_empty();
        if empty || opts.force {
            plan.items.push(GcItem {
                kind: ItemKind::Worktree,
                path: path.to_path_buf(),
                bytes,
                reason: "not a git worktree (a run that did not start)".into(),
                action: Action::Remove,
            });
        } else {
            plan.kept.push(Kept {
                kind: ItemKind::Worktree,
                path: path.to_path_buf(),
                bytes,
                reason: "not a git worktree, and not empty".into(),
                flag: Some("--force"),
            });
        }
        return;
    };
    if admin.is_dir() {
        plan.kept.push(Kept {
            kind: ItemKind::Worktree,
            path: path.to_path_buf(),
            bytes,
            reason: "a live run: apply or discard it in tandem".into(),
            flag: None,
        });
        return;
    }
    // The admin dir is `<repo>/.git/worktrees/<name>`: its grandparent is
    // the repository's git dir.
    let repo = admin.parent().and_then(Path::parent).map(Path::to_path_buf);
    match repo.filter(|r| r.is_dir()) {
        None => plan.items.push(GcItem {
            kind: ItemKind::Worktree,
            path: path.to_path_buf(),
            bytes,
            reason: "its repository no longer exists".into(),
            action: Action::RemoveWorktree {
                id,
                repo: None,
                delete_branch: false,
            },
        }),
        Some(repo) if opts.force => plan.items.push(GcItem {
            kind: ItemKind::Worktree,
            path: path.to_path_buf(),
            bytes,
            reason: format!("{} no longer lists it as a worktree", repo.display()),
            action: Action::RemoveWorktree {
                id,
                repo: Some(repo),
                delete_branch: opts.branches,
            },
        }),
        Some(repo) => plan.kept.push(Kept {
            kind: ItemKind::Worktree,
            path: path.to_path_buf(),
            bytes,
            reason: format!(
                "{} no longer lists it as a worktree; it may hold uncommitted work",
                repo.display()
            ),
            flag: Some("--force"),
        }),
    }
}

/// The worktree's admin dir in its repository, from its `.git` file
/// (`gitdir: PATH`, relative to the worktree when not absolute); `None`
/// when there is no such file (a link is not followed).
fn admin_dir(worktree: &Path) -> Option<PathBuf> {
    let file = worktree.join(".git");
    if !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let text = std::fs::read_to_string(&file).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    (!target.is_empty()).then(|| worktree.join(target))
}

/// Removes a run's directory and record; when its repository exists,
/// prunes it there (and deletes its branch when asked).
pub(super) fn remove(
    state: &Path,
    path: &Path,
    id: &str,
    repo: Option<&Path>,
    delete_branch: bool,
) -> Result<Option<String>, String> {
    disk::remove(state, path)?;
    let record = path.with_file_name(format!("{id}.base"));
    if std::fs::symlink_metadata(&record).is_ok() {
        disk::remove(state, &record)?;
    }
    let Some(repo) = repo else {
        return Ok(None);
    };
    match worktree::forget_removed_run(repo, id, delete_branch) {
        Ok(true) => Ok(Some(format!(
            "deleted branch tandem/run-{id} in {}",
            repo.display()
        ))),
        Ok(false) => Ok(None),
        Err(e) => Err(format!(
            "removed the worktree, but cleaning up {} failed: {e}",
            repo.display()
        )),
    }
}
