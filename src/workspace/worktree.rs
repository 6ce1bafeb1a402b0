//! Runs in their own git worktree: an autonomous task works on a branch of
//! its own, checked out under the state dir, so several runs can go at once
//! without touching each other or the user's files.
//!
//! [`Worktree::create`] adds `tandem/run-<id>` at the user's `HEAD` commit
//! (the run's *base*) and checks it out in `<state>/worktrees/<id>` with
//! `git worktree add`, which only adds a branch and a worktree entry: the
//! user's branch, index, `HEAD` and files are untouched. The run starts from
//! `HEAD`: the user's uncommitted changes are *not* in the worktree.
//!
//! [`Worktree::diff`] is the run's work against its base as a patch,
//! [`Worktree::apply_to_main`] ("merge all") applies it to the user's working
//! tree only when it applies cleanly (a change made meanwhile in the main
//! workspace to the same lines is reported, never overwritten), and
//! [`Worktree::discard`] removes the worktree and its branch.
//! [`Worktree::commit`] puts the run's work on its branch (so `git merge`
//! brings it in), and [`list`] finds the runs a previous session left.
//!
//! The user's own git runs every command (it is their repository, so their
//! configuration applies), with three exceptions for safety: variables that
//! would redirect git to another repository are removed, hooks are off (a
//! `post-checkout` hook must not run on Tandem's behalf), and optional locks
//! are not taken.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::WorkspaceError;
use super::user_git::{command, finish, output, run};

/// Branches of runs are `tandem/run-<id>`.
const BRANCH_PREFIX: &str = "tandem/run-";

/// One run's worktree: where it is, its branch and the commit it started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    id: String,
    repo_root: PathBuf,
    prefix: PathBuf,
    path: PathBuf,
    branch: String,
    base: String,
}

/// What "merge all" did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The run's changes are in the main working tree; these files changed
    /// (repository-relative).
    Applied(Vec<String>),
    /// The run changed nothing, so nothing was applied.
    Nothing,
    /// The main workspace changed the same places meanwhile: git's reasons,
    /// one per line (naming the files). Nothing was changed.
    Conflicts(Vec<String>),
}

impl Worktree {
    /// Adds a worktree for a run on a new branch at the `HEAD` commit of the
    /// repository holding `repo_workspace`, under `state_dir/worktrees`.
    /// `name_hint` (e.g. the task's first words) only makes the id readable.
    /// Fails with a message saying what to do when the workspace is not in a
    /// git work tree or the repository has no commit yet.
    pub fn create(
        state_dir: &Path,
        repo_workspace: &Path,
        name_hint: &str,
    ) -> Result<Worktree, WorkspaceError> {
        let (repo_root, prefix) = locate(repo_workspace)?;
        let base = git_line(
            &repo_root,
            &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
        )
        .map_err(|_| {
            plain_error(
                "starting a worktree run in",
                &repo_root,
                "the repository has no commit yet, so a run has nothing to start from; commit \
                 once (`git commit --allow-empty -m init` will do), or run without --worktree",
            )
        })?;
        let worktrees = state_dir.join(WORKTREES);
        std::fs::create_dir_all(&worktrees)
            .map_err(|e| WorkspaceError::io("creating", &worktrees, e))?;
        let worktrees = worktrees
            .canonicalize()
            .map_err(|e| WorkspaceError::io("resolving", &worktrees, e))?;
        if worktrees.starts_with(&repo_root) {
            return Err(plain_error(
                "starting a worktree run in",
                &repo_root,
                &format!(
                    "the state dir {} is inside this repository, and a run's worktree must not \
                     be in your tree; set TANDEM_HOME (or XDG_STATE_HOME) to a directory outside it",
                    worktrees.display()
                ),
            ));
        }
        let id = new_id(name_hint);
        let path = worktrees.join(&id);
        let branch = format!("{BRANCH_PREFIX}{id}");
        let args: [&OsStr; 7] = [
            "worktree".as_ref(),
            "add".as_ref(),
            "--quiet".as_ref(),
            "-b".as_ref(),
            branch.as_ref(),
            path.as_os_str(),
            base.as_ref(),
        ];
        // The base is recorded first, so a listed worktree always has one.
        let record = base_record(&worktrees, &id);
        crate::tools::atomic::write_atomic(&record, format!("{base}\n").as_bytes())
            .map_err(|e| WorkspaceError::io("writing", &record, std::io::Error::other(e)))?;
        if let Err(e) = run(&repo_root, &args, None) {
            let _ = std::fs::remove_file(&record);
            return Err(e);
        }
        let tree = Worktree {
            id,
            repo_root,
            prefix,
            path,
            branch,
            base,
        };
        let workspace = tree.workspace();
        if let Err(e) = std::fs::create_dir_all(&workspace) {
            let error = WorkspaceError::io("creating", &workspace, e);
            let _ = tree.discard();
            return Err(error);
        }
        Ok(tree)
    }

    /// A run's worktree found again from what a session recorded of it (its
    /// directory, branch and base commit), so a resumed session can diff,
    /// merge or discard a run an earlier one made. Fails with a message
    /// saying so when the worktree is gone (removed by hand, by `git
    /// worktree prune` or a cleanup) or is no longer that run's; the message
    /// says whether the branch is left and how to look at or delete it.
    pub fn open(
        state_dir: &Path,
        repo_workspace: &Path,
        path: &Path,
        branch: &str,
        base: &str,
    ) -> Result<Worktree, WorkspaceError> {
        let found = list(state_dir, repo_workspace)?
            .into_iter()
            .find(|wt| wt.path == path && wt.path.is_dir());
        match found {
            Some(wt) if wt.branch == branch && wt.base == base => Ok(wt),
            Some(wt) => Err(plain_error(
                "opening the run's worktree",
                path,
                &format!(
                    "it now holds branch {} from {} instead of {branch} from {base};                      leave it be, or discard that run",
                    wt.branch, wt.base
                ),
            )),
            None => {
                let (repo_root, _) = locate(repo_workspace)?;
                let reference = format!("refs/heads/{branch}");
                let kept = git_line(
                    &repo_root,
                    &["rev-parse", "--verify", "--quiet", &reference],
                )
                .is_ok_and(|commit| !commit.is_empty());
                let branch_note = if kept {
                    format!(
                        "its branch {branch} is still there: `git diff {base} {branch}` shows                          what was committed on it, `git branch -D {branch}` deletes it"
                    )
                } else {
                    format!("its branch {branch} is gone too")
                };
                Err(plain_error(
                    "opening the run's worktree",
                    path,
                    &format!(
                        "the worktree is gone (removed by hand, by `git worktree prune` or a                          cleanup), so there is nothing to diff or merge; {branch_note}"
                    ),
                ))
            }
        }
    }

    /// The run's id (the last part of its branch and directory name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The worktree's top-level directory (under the state dir).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run's workspace: the user's workspace's place inside the worktree
    /// (the same subdirectory when the user works in one).
    pub fn workspace(&self) -> PathBuf {
        self.path.join(&self.prefix)
    }

    /// The run's branch, `tandem/run-<id>`.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The commit the run started from (the user's `HEAD` at creation).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The top level of the user's repository (where the run is applied).
    pub fn repo_root(&self) -> &Path {
        &self.repo_root
    }

    /// Stages everything in the worktree (its own index, not the user's).
    fn stage_all(&self) -> Result<(), WorkspaceError> {
        run(&self.path, &["add", "-A", "--", "."], None).map(drop)
    }

    /// The run's changes against its base as a unified, binary-safe patch
    /// with repository-relative `a/` and `b/` paths, committed or not;
    /// empty when the run changed nothing.
    pub fn diff(&self) -> Result<String, WorkspaceError> {
        self.stage_all()?;
        let out = run(&self.path, &diff_args(&self.base, &["--binary"]), None)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// The repository-relative paths the run changed (added, modified,
    /// deleted or renamed from and to).
    pub fn changed_files(&self) -> Result<Vec<String>, WorkspaceError> {
        self.stage_all()?;
        let out = run(
            &self.path,
            &diff_args(&self.base, &["--name-only", "-z", "--no-renames"]),
            None,
        )?;
        Ok(out
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }

    /// Commits everything in the worktree onto the run's branch (authored
    /// by Tandem, hooks off), so `git merge <branch>` in the user's
    /// repository brings the run in. Returns the new commit, or `None` when
    /// there was nothing to commit.
    pub fn commit(&self, message: &str) -> Result<Option<String>, WorkspaceError> {
        self.stage_all()?;
        let staged = output(&self.path, &["diff", "--cached", "--quiet"], None)?;
        if staged.status.success() {
            return Ok(None);
        }
        let mut cmd = command(
            &self.path,
            &[
                "-c",
                "commit.gpgsign=false",
                "commit",
                "--quiet",
                "--no-verify",
                "-F",
                "-",
            ],
        );
        cmd.env("GIT_AUTHOR_NAME", "Tandem run")
            .env("GIT_AUTHOR_EMAIL", "tandem@localhost")
            .env("GIT_COMMITTER_NAME", "Tandem run")
            .env("GIT_COMMITTER_EMAIL", "tandem@localhost");
        let message = if message.trim().is_empty() {
            "Tandem run"
        } else {
            message
        };
        finish(&self.path, &["commit"], cmd, Some(message.as_bytes()))?;
        git_line(&self.path, &["rev-parse", "HEAD"]).map(Some)
    }

    /// "Merge all": applies the run's patch to the user's working tree (not
    /// their index). It is checked first (`git apply --check`); when it does
    /// not apply cleanly — the main workspace changed the same lines, or
    /// created a file the run also created — the reasons come back as
    /// [`ApplyOutcome::Conflicts`] and nothing is changed.
    pub fn apply_to_main(&self) -> Result<ApplyOutcome, WorkspaceError> {
        let patch = self.diff()?;
        if patch.is_empty() {
            return Ok(ApplyOutcome::Nothing);
        }
        let check = output(
            &self.repo_root,
            &["apply", "--check", "-"],
            Some(patch.as_bytes()),
        )?;
        if !check.status.success() {
            return Ok(ApplyOutcome::Conflicts(reasons(&check.stderr)));
        }
        // `git apply` checks every hunk before it writes anything, so a
        // change made between the check and here still leaves the tree alone.
        let applied = output(&self.repo_root, &["apply", "-"], Some(patch.as_bytes()))?;
        if !applied.status.success() {
            return Ok(ApplyOutcome::Conflicts(reasons(&applied.stderr)));
        }
        Ok(ApplyOutcome::Applied(self.changed_files()?))
    }

    /// Throws the run away: removes the worktree (whatever is in it) and
    /// deletes its branch. A worktree directory already removed by hand is
    /// fine.
    pub fn discard(self) -> Result<(), WorkspaceError> {
        if self.path.exists() {
            let args: [&OsStr; 4] = [
                "worktree".as_ref(),
                "remove".as_ref(),
                "--force".as_ref(),
                self.path.as_os_str(),
            ];
            if run(&self.repo_root, &args, None).is_err() {
                // Refused (e.g. it holds a submodule): the directory is ours,
                // under the state dir, so remove it and let prune forget it.
                std::fs::remove_dir_all(&self.path)
                    .map_err(|e| WorkspaceError::io("removing the worktree", &self.path, e))?;
            }
        }
        run(&self.repo_root, &["worktree", "prune"], None)?;
        run(&self.repo_root, &["branch", "-D", "--", &self.branch], None)?;
        if let Some(dir) = self.path.parent() {
            let record = base_record(dir, &self.id);
            match std::fs::remove_file(&record) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(WorkspaceError::io("removing", &record, e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The runs' worktrees of the repository holding `repo_workspace` that live
/// under `state_dir` (made by [`Worktree::create`], not yet discarded), so
/// a later session can show, apply or discard them. Each one's workspace is
/// `repo_workspace`'s place in it.
pub fn list(state_dir: &Path, repo_workspace: &Path) -> Result<Vec<Worktree>, WorkspaceError> {
    let (repo_root, prefix) = locate(repo_workspace)?;
    let Ok(worktrees) = state_dir.join(WORKTREES).canonicalize() else {
        return Ok(Vec::new());
    };
    let out = run(&repo_root, &["worktree", "list", "--porcelain", "-z"], None)?;
    let mut found = Vec::new();
    for entry in out
        .split(|b| *b == 0)
        .collect::<Vec<_>>()
        .split(|f| f.is_empty())
    {
        let field = |name: &str| {
            entry.iter().find_map(|f| {
                f.strip_prefix(name.as_bytes())
                    .and_then(|rest| rest.strip_prefix(b" "))
            })
        };
        let (Some(path), Some(branch)) = (field("worktree"), field("branch")) else {
            continue;
        };
        let path = super::git::path_from_bytes(path);
        let branch = String::from_utf8_lossy(branch);
        let Some(id) = branch
            .strip_prefix("refs/heads/")
            .and_then(|b| b.strip_prefix(BRANCH_PREFIX))
        else {
            continue;
        };
        if path != worktrees.join(id) {
            continue;
        }
        let Ok(base) = std::fs::read_to_string(base_record(&worktrees, id)) else {
            continue;
        };
        let base = base.trim();
        if !super::git::is_commit_id(base) {
            continue;
        }
        found.push(Worktree {
            id: id.to_string(),
            repo_root: repo_root.clone(),
            prefix: prefix.clone(),
            path,
            branch: format!("{BRANCH_PREFIX}{id}"),
            base: base.to_string(),
        });
    }
    Ok(found)
}

/// Where the runs' worktrees of `state_dir` live (and their `<id>.base`
/// records), for `tandem gc` to look through.
pub fn worktrees_dir(state_dir: &Path) -> PathBuf {
    state_dir.join(WORKTREES)
}

/// After `tandem gc` removed the directory of run `id` whose repository
/// `repo_root` still exists: `git worktree prune` there (git forgets
/// worktrees whose directory is gone, and nothing else), and with
/// `delete_branch` the run's own branch `tandem/run-<id>` is deleted — never
/// any other branch. Returns whether a branch was deleted.
pub fn forget_removed_run(
    repo_root: &Path,
    id: &str,
    delete_branch: bool,
) -> Result<bool, WorkspaceError> {
    run(repo_root, &["worktree", "prune"], None)?;
    let valid = !id.is_empty()
        && !id.starts_with('-')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !delete_branch || !valid {
        return Ok(false);
    }
    let branch = format!("{BRANCH_PREFIX}{id}");
    let full = format!("refs/heads/{branch}");
    let exists = output(
        repo_root,
        &["rev-parse", "--verify", "--quiet", &full],
        None,
    )?;
    if !exists.status.success() {
        return Ok(false);
    }
    run(repo_root, &["branch", "-D", "--", &branch], None)?;
    Ok(true)
}

/// The directory under the state dir that holds the runs' worktrees.
const WORKTREES: &str = "worktrees";

/// Where a run's base commit is recorded, next to its worktree.
fn base_record(worktrees: &Path, id: &str) -> PathBuf {
    worktrees.join(format!("{id}.base"))
}

/// The top level of the work tree holding `workspace`, and the workspace
/// relative to it.
fn locate(workspace: &Path) -> Result<(PathBuf, PathBuf), WorkspaceError> {
    let top = git_line(workspace, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        plain_error(
            "starting a worktree run in",
            workspace,
            "this directory is not inside a git work tree; a worktree run needs a git \
             repository with at least one commit (run `git init` and commit, or run without \
             --worktree)",
        )
    })?;
    if top.is_empty() {
        return Err(plain_error(
            "starting a worktree run in",
            workspace,
            "this directory is not inside a git work tree (a bare repository or a .git \
             directory); run from a checkout, or without --worktree",
        ));
    }
    let prefix = git_line(workspace, &["rev-parse", "--show-prefix"])?;
    Ok((PathBuf::from(top), PathBuf::from(prefix)))
}

/// `git diff --cached <base>` with options that keep the patch in the form
/// `git apply` reads whatever the user's configuration says.
fn diff_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "diff",
        "--cached",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-relative",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ];
    args.extend_from_slice(extra);
    args.extend([base, "--"]);
    args
}

/// git's error lines, without the `error: ` prefix.
fn reasons(stderr: &[u8]) -> Vec<String> {
    let lines: Vec<String> = String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l).to_string())
        .collect();
    if lines.is_empty() {
        vec!["the run's changes do not apply to the main workspace".to_string()]
    } else {
        lines
    }
}

/// A run id: the time, a random part, and the hint in safe characters
/// (`[a-z0-9-]`), so it is a valid branch and directory name.
fn new_id(hint: &str) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut slug = String::new();
    for c in hint.chars().flat_map(char::to_lowercase) {
        if slug.len() >= 24 {
            break;
        }
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let mut id = format!("{secs:x}-{:06x}", fastrand::u32(..0x100_0000));
    if !slug.is_empty() {
        id.push('-');
        id.push_str(slug);
    }
    id
}

/// An error that is not git's own output.
fn plain_error(what: &'static str, path: &Path, message: &str) -> WorkspaceError {
    WorkspaceError::io(what, path, std::io::Error::other(message.to_string()))
}

/// Runs git in `dir`; its stdout as one trimmed line.
fn git_line<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<String, WorkspaceError> {
    let out = run(dir, args, None)?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// A worktree run's changes as a review: the run's files against its base,
/// where accepting a hunk (or a file) takes it into the user's main working
/// tree — refused, changing nothing, when the main file moved on at those
/// lines — and undo puts the main file back. Reverting does not apply (the
/// run's own changes stay in the run; discard drops them).
pub struct RunReview {
    worktree: Worktree,
    number: usize,
    /// Main-tree files before each accept, newest last (`None`: absent).
    undo: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl RunReview {
    /// The review of run `number` in `worktree`.
    pub fn new(worktree: Worktree, number: usize) -> Self {
        Self {
            worktree,
            number,
            undo: Vec::new(),
        }
    }

    /// The run's file at its base commit (`None` when it did not exist).
    fn base_file(&self, path: &str) -> Result<Option<Vec<u8>>, WorkspaceError> {
        let spec = format!("{}:{path}", self.worktree.base);
        let out = output(
            &self.worktree.path,
            &["cat-file", "blob", spec.as_str()],
            None,
        )?;
        Ok(out.status.success().then_some(out.stdout))
    }

    /// The run's file now (`None` when it deleted it).
    fn run_file(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.worktree.path.join(path)).ok()
    }

    fn main_path(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        let rel = Path::new(path);
        if !super::git::is_inner(rel) {
            return Err(WorkspaceError::OutsideWorkspace(rel.to_path_buf()));
        }
        Ok(self.worktree.repo_root.join(rel))
    }

    /// Every file the run changed, base → run; a file whose main copy
    /// already holds the run's version is marked reviewed.
    pub fn snapshot(
        &self,
        opts: &crate::diff::DiffOptions,
    ) -> Result<super::ReviewSnapshot, WorkspaceError> {
        use crate::diff::{diff_added, diff_deleted, diff_modified};
        let mut files = Vec::new();
        for path in self.worktree.changed_files()? {
            let (old, new) = (self.base_file(&path)?, self.run_file(&path));
            let diff = match (&old, &new) {
                (Some(old), Some(new)) => diff_modified(&path, old, new, opts),
                (None, Some(new)) => diff_added(&path, new, opts),
                (Some(old), None) => diff_deleted(&path, old, opts),
                (None, None) => continue,
            };
            let main = std::fs::read(self.main_path(&path)?).ok();
            files.push(super::review::ReviewFile {
                reviewed: main == new,
                diff,
                origins: vec![super::review::FileOrigin {
                    pane: "run".into(),
                    turn: u32::try_from(self.number).unwrap_or(u32::MAX),
                    tool: Some(format!("worktree run #{}", self.number)),
                    external: false,
                    checkpoint: self.worktree.branch.clone(),
                }],
            });
        }
        Ok(super::ReviewSnapshot {
            mode: super::review::ReviewMode::Run {
                number: self.number,
            },
            files,
            coarse: false,
            truncated: false,
        })
    }

    /// Takes a hunk or file into the main working tree, or undoes that.
    pub fn execute(
        &mut self,
        command: &super::ReviewCommand,
    ) -> Result<String, super::review::ReviewError> {
        use super::ReviewCommand;
        use super::review::ReviewError;
        let write = |target: &Path, bytes: Option<&[u8]>| -> Result<(), WorkspaceError> {
            match bytes {
                Some(bytes) => crate::tools::atomic::write_atomic(target, bytes)
                    .map_err(|e| WorkspaceError::io("writing", target, std::io::Error::other(e))),
                None => match std::fs::remove_file(target) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(WorkspaceError::io("removing", target, e))
                    }
                    _ => Ok(()),
                },
            }
        };
        match command {
            ReviewCommand::AcceptHunk { path, hunk } => {
                let target = self.main_path(path)?;
                let current = std::fs::read(&target).ok();
                let merged = crate::diff::accept_hunk(current.as_deref().unwrap_or(b""), hunk)
                    .map_err(|source| ReviewError::Changed {
                        path: format!("{path} (in your workspace)"),
                        source,
                    })?;
                write(&target, Some(&merged))?;
                self.undo.push((target, current));
                Ok(format!(
                    "took hunk @@ -{},{} +{},{} @@ of {path} from run #{} into the workspace",
                    hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len, self.number
                ))
            }
            ReviewCommand::AcceptFile { path } => {
                let target = self.main_path(path)?;
                let current = std::fs::read(&target).ok();
                if current != self.base_file(path)? {
                    return Err(ReviewError::Refused(format!(
                        "{path} changed in your workspace since run #{} started: take its hunks one by one (Space), or merge and resolve by hand",
                        self.number
                    )));
                }
                write(&target, self.run_file(path).as_deref())?;
                self.undo.push((target, current));
                Ok(format!(
                    "took {path} from run #{} into the workspace",
                    self.number
                ))
            }
            ReviewCommand::RevertHunk { .. } | ReviewCommand::RevertFile { .. } => {
                Err(ReviewError::Refused(format!(
                    "this is run #{}'s diff: take what you want into the workspace (Space, S); what you leave stays in the run (/runs {} discard drops it)",
                    self.number, self.number
                )))
            }
            ReviewCommand::Undo => {
                let (target, before) = self.undo.pop().ok_or(ReviewError::NothingToUndo)?;
                write(&target, before.as_deref())?;
                Ok(format!("undid: {} is as it was", target.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_git::git;

    /// The user's repository state the run must never change: status,
    /// `HEAD`, their branches (runs' own `tandem/run-*` branches aside) and
    /// the index.
    fn user_state(repo: &Path) -> (String, String, String, String) {
        let branches = git(repo, &["branch", "--list"])
            .lines()
            .filter(|l| !l.contains("tandem/run-"))
            .collect::<Vec<_>>()
            .join("\n");
        (
            git(repo, &["status", "--porcelain", "--untracked-files=all"]),
            git(repo, &["rev-parse", "HEAD"]),
            branches,
            git(repo, &["ls-files", "--stage"]),
        )
    }

    struct Fixture {
        _dirs: (tempfile::TempDir, tempfile::TempDir),
        repo: PathBuf,
        state: PathBuf,
    }

    /// A repository with one commit and an uncommitted change, staged
    /// change and untracked file, plus a separate state dir.
    fn fixture() -> Fixture {
        let repo_dir = tempfile::tempdir().unwrap();
        let state_dir = tempfile::tempdir().unwrap();
        let repo = repo_dir.path().canonicalize().unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("a.txt"), "one\ntwo\nthree\n").unwrap();
        std::fs::create_dir(repo.join("sub")).unwrap();
        std::fs::write(repo.join("sub/b.txt"), "bee\n").unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "init"]);
        std::fs::write(repo.join("sub/b.txt"), "bee staged\n").unwrap();
        git(&repo, &["add", "sub/b.txt"]);
        std::fs::write(repo.join("a.txt"), "one\ntwo\nthree\nuser\n").unwrap();
        std::fs::write(repo.join("notes.md"), "mine\n").unwrap();
        let state = state_dir.path().to_path_buf();
        Fixture {
            _dirs: (repo_dir, state_dir),
            repo,
            state,
        }
    }

    #[test]
    fn create_checks_out_head_and_leaves_the_user_alone() {
        let f = fixture();
        let before = user_state(&f.repo);
        let wt = Worktree::create(&f.state, &f.repo, "Fix the Greeting!").unwrap();
        assert_eq!(user_state(&f.repo), before);
        assert_eq!(before.2, "* main");
        let listed = git(&f.repo, &["branch", "--list", wt.branch()]);
        assert_eq!(listed.trim(), format!("+ {}", wt.branch()));
        assert!(wt.path().starts_with(f.state.canonicalize().unwrap()));
        assert!(wt.branch().starts_with("tandem/run-"));
        assert!(
            wt.branch().ends_with("-fix-the-greeting"),
            "{}",
            wt.branch()
        );
        assert_eq!(wt.base(), before.1.trim());
        assert_eq!(wt.workspace(), wt.path());
        // HEAD's content: neither the user's edit, staged change nor
        // untracked file.
        let read = |rel: &str| std::fs::read_to_string(wt.path().join(rel)).unwrap();
        assert_eq!(read("a.txt"), "one\ntwo\nthree\n");
        assert_eq!(read("sub/b.txt"), "bee\n");
        assert!(!wt.path().join("notes.md").exists());
        assert_eq!(
            git(wt.path(), &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
            wt.branch()
        );
    }

    #[test]
    fn two_runs_get_separate_worktrees() {
        let f = fixture();
        let one = Worktree::create(&f.state, &f.repo, "task").unwrap();
        let two = Worktree::create(&f.state, &f.repo, "task").unwrap();
        assert_ne!(one.path(), two.path());
        assert_ne!(one.branch(), two.branch());
        std::fs::write(one.path().join("a.txt"), "changed by one\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(two.path().join("a.txt")).unwrap(),
            "one\ntwo\nthree\n"
        );
        assert!(two.diff().unwrap().is_empty());
    }

    #[test]
    fn diff_is_the_runs_work_against_its_base() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "").unwrap();
        let before = user_state(&f.repo);
        assert_eq!(wt.diff().unwrap(), "");
        std::fs::write(wt.path().join("a.txt"), "ONE\ntwo\nthree\n").unwrap();
        std::fs::write(wt.path().join("new file.txt"), "fresh\n").unwrap();
        std::fs::write(wt.path().join("blob.bin"), [0u8, 1, 2, 255]).unwrap();
        std::fs::remove_file(wt.path().join("sub/b.txt")).unwrap();
        let diff = wt.diff().unwrap();
        assert!(diff.contains("--- a/a.txt\n+++ b/a.txt\n"), "{diff}");
        assert!(diff.contains("-one\n+ONE\n"), "{diff}");
        assert!(diff.contains("+++ b/new file.txt"), "{diff}");
        assert!(diff.contains("GIT binary patch"), "{diff}");
        assert!(diff.contains("deleted file mode"), "{diff}");
        let mut files = wt.changed_files().unwrap();
        files.sort();
        assert_eq!(files, ["a.txt", "blob.bin", "new file.txt", "sub/b.txt"]);
        // Committed work still counts, and the user's repository is as it was.
        wt.commit("run work").unwrap().unwrap();
        assert_eq!(wt.diff().unwrap(), diff);
        assert_eq!(wt.commit("again").unwrap(), None);
        assert_eq!(user_state(&f.repo), before);
    }

    #[test]
    fn a_runs_hunk_is_taken_into_main_or_refused_when_main_moved_on() {
        use crate::workspace::ReviewCommand;
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "review").unwrap();
        // The run changes line 1 of a.txt; main (with the user's own
        // uncommitted `user` line) still has the base's line 1.
        std::fs::write(wt.path().join("a.txt"), "ONE\ntwo\nthree\n").unwrap();
        std::fs::write(wt.path().join("sub/b.txt"), "BEE\n").unwrap();
        let mut review = RunReview::new(wt, 1);
        let snapshot = review.snapshot(&Default::default()).unwrap();
        let paths: Vec<&str> = snapshot.files.iter().map(|f| f.path()).collect();
        assert_eq!(paths, vec!["a.txt", "sub/b.txt"]);
        let hunk = snapshot.files[0].diff.hunks[0].clone();
        review
            .execute(&ReviewCommand::AcceptHunk {
                path: "a.txt".into(),
                hunk,
            })
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(f.repo.join("a.txt")).unwrap(),
            "ONE\ntwo\nthree\nuser\n",
            "the hunk lands beside the user's own edit"
        );
        // Main's a.txt is not the run's version (it keeps the user's line).
        assert!(!review.snapshot(&Default::default()).unwrap().files[0].reviewed);
        // sub/b.txt was changed (and staged) in main since the run's base:
        // its hunk no longer applies, and the whole file is refused too.
        let b_hunk = review.snapshot(&Default::default()).unwrap().files[1]
            .diff
            .hunks[0]
            .clone();
        let refused = review
            .execute(&ReviewCommand::AcceptHunk {
                path: "sub/b.txt".into(),
                hunk: b_hunk,
            })
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("sub/b.txt (in your workspace)"),
            "{refused}"
        );
        assert!(
            review
                .execute(&ReviewCommand::AcceptFile {
                    path: "sub/b.txt".into()
                })
                .is_err()
        );
        assert_eq!(
            std::fs::read_to_string(f.repo.join("sub/b.txt")).unwrap(),
            "bee staged\n",
            "nothing overwritten"
        );
        review.execute(&ReviewCommand::Undo).unwrap();
        assert_eq!(
            std::fs::read_to_string(f.repo.join("a.txt")).unwrap(),
            "one\ntwo\nthree\nuser\n"
        );
    }

    #[test]
    fn apply_to_main_applies_exactly_the_runs_changes() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "apply").unwrap();
        assert_eq!(wt.apply_to_main().unwrap(), ApplyOutcome::Nothing);
        std::fs::write(wt.path().join("a.txt"), "ONE\ntwo\nthree\n").unwrap();
        std::fs::write(wt.path().join("sub/c.txt"), "sea\n").unwrap();
        std::fs::write(wt.path().join("blob.bin"), [0u8, 1, 2, 255]).unwrap();
        let index_before = git(&f.repo, &["ls-files", "--stage"]);
        let mut outcome = wt.apply_to_main().unwrap();
        if let ApplyOutcome::Applied(files) = &mut outcome {
            files.sort();
        }
        assert_eq!(
            outcome,
            ApplyOutcome::Applied(vec!["a.txt".into(), "blob.bin".into(), "sub/c.txt".into()])
        );
        // The run's line change merges with the user's own uncommitted edit.
        assert_eq!(
            std::fs::read_to_string(f.repo.join("a.txt")).unwrap(),
            "ONE\ntwo\nthree\nuser\n"
        );
        assert_eq!(
            std::fs::read_to_string(f.repo.join("sub/c.txt")).unwrap(),
            "sea\n"
        );
        assert_eq!(
            std::fs::read(f.repo.join("blob.bin")).unwrap(),
            [0u8, 1, 2, 255]
        );
        // The working tree only: the user's index is untouched.
        assert_eq!(git(&f.repo, &["ls-files", "--stage"]), index_before);
        assert_eq!(
            std::fs::read_to_string(f.repo.join("sub/b.txt")).unwrap(),
            "bee staged\n"
        );
    }

    #[test]
    fn a_conflicting_main_change_is_reported_and_nothing_changes() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "conflict").unwrap();
        std::fs::write(wt.path().join("a.txt"), "one\nTWO by run\nthree\n").unwrap();
        std::fs::write(wt.path().join("notes.md"), "run's notes\n").unwrap();
        std::fs::write(wt.path().join("other.txt"), "other\n").unwrap();
        // Meanwhile the user rewrote the same line.
        std::fs::write(f.repo.join("a.txt"), "one\nTWO by user\nthree\n").unwrap();
        let before = user_state(&f.repo);
        let a_before = std::fs::read(f.repo.join("a.txt")).unwrap();
        let ApplyOutcome::Conflicts(reasons) = wt.apply_to_main().unwrap() else {
            panic!("expected conflicts");
        };
        let all = reasons.join("\n");
        assert!(all.contains("a.txt"), "{all}");
        assert!(all.contains("notes.md"), "{all}");
        assert_eq!(user_state(&f.repo), before);
        assert_eq!(std::fs::read(f.repo.join("a.txt")).unwrap(), a_before);
        assert!(!f.repo.join("other.txt").exists());
    }

    #[test]
    fn discard_removes_the_worktree_and_branch() {
        let f = fixture();
        let before = user_state(&f.repo);
        let wt = Worktree::create(&f.state, &f.repo, "gone").unwrap();
        std::fs::write(wt.path().join("scratch.txt"), "x\n").unwrap();
        wt.commit("work").unwrap();
        let (path, branch) = (wt.path().to_path_buf(), wt.branch().to_string());
        let record = path.with_extension("base");
        assert!(record.exists());
        wt.discard().unwrap();
        assert!(!path.exists());
        assert!(!record.exists());
        assert_eq!(git(&f.repo, &["branch", "--list", &branch]), "");
        assert!(!git(&f.repo, &["worktree", "list"]).contains(&*path.to_string_lossy()));
        assert_eq!(user_state(&f.repo), before);
    }

    #[test]
    fn list_finds_the_runs_of_this_repository() {
        let f = fixture();
        assert_eq!(list(&f.state, &f.repo).unwrap(), []);
        let one = Worktree::create(&f.state, &f.repo, "one").unwrap();
        let two = Worktree::create(&f.state, &f.repo, "two").unwrap();
        // A worktree the user made by hand is not a run.
        let own = f.state.join("own");
        git(
            &f.repo,
            &["worktree", "add", "-q", "-b", "mine", own.to_str().unwrap()],
        );
        // Another repository's run is not listed either.
        let other = fixture();
        Worktree::create(&f.state, &other.repo, "other").unwrap();
        let mut listed = list(&f.state, &f.repo).unwrap();
        listed.sort_by(|a, b| a.id().cmp(b.id()));
        let mut expected = vec![one.clone(), two.clone()];
        expected.sort_by(|a, b| a.id().cmp(b.id()));
        assert_eq!(listed, expected);
        // From a subdirectory, each run's workspace is that subdirectory.
        let from_sub = list(&f.state, &f.repo.join("sub")).unwrap();
        assert!(
            from_sub
                .iter()
                .all(|w| w.workspace() == w.path().join("sub"))
        );
        one.discard().unwrap();
        assert_eq!(list(&f.state, &f.repo).unwrap(), [two]);
    }

    #[test]
    fn open_finds_a_recorded_run_again_or_says_it_is_gone() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "kept").unwrap();
        let open = |wt: &Worktree, base: &str| {
            Worktree::open(&f.state, &f.repo, wt.path(), wt.branch(), base)
        };
        assert_eq!(open(&wt, wt.base()).unwrap(), wt);
        let other = "0".repeat(40);
        let moved = open(&wt, &other).unwrap_err().to_string();
        assert!(moved.contains("instead of"), "{moved}");
        // Removed by hand and pruned: gone, but its branch is left.
        std::fs::remove_dir_all(wt.path()).unwrap();
        let gone = open(&wt, wt.base()).unwrap_err().to_string();
        assert!(gone.contains("the worktree is gone"), "{gone}");
        assert!(
            gone.contains(&format!("git branch -D {}", wt.branch())),
            "{gone}"
        );
        git(&f.repo, &["worktree", "prune"]);
        git(&f.repo, &["branch", "-D", wt.branch()]);
        let all_gone = open(&wt, wt.base()).unwrap_err().to_string();
        assert!(all_gone.contains("is gone too"), "{all_gone}");
    }

    #[test]
    fn discard_after_the_directory_was_deleted_by_hand() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo, "").unwrap();
        std::fs::remove_dir_all(wt.path()).unwrap();
        let branch = wt.branch().to_string();
        wt.discard().unwrap();
        assert_eq!(git(&f.repo, &["branch", "--list", &branch]), "");
    }

    #[test]
    fn not_a_repository_or_no_commit_is_a_clear_error() {
        let state = tempfile::tempdir().unwrap();
        let plain = tempfile::tempdir().unwrap();
        let err = Worktree::create(state.path(), plain.path(), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not inside a git work tree"), "{err}");
        assert!(err.contains("git init"), "{err}");

        let empty = tempfile::tempdir().unwrap();
        git(empty.path(), &["init", "-q"]);
        let err = Worktree::create(state.path(), empty.path(), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no commit yet"), "{err}");
        assert!(
            !state
                .path()
                .join("worktrees")
                .read_dir()
                .is_ok_and(|mut d| d.next().is_some())
        );
    }

    #[test]
    fn a_state_dir_inside_the_repository_is_refused() {
        let f = fixture();
        let inside = f.repo.join("state");
        let err = Worktree::create(&inside, &f.repo, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("TANDEM_HOME"), "{err}");
        assert_eq!(git(&f.repo, &["branch", "--list"]).trim(), "* main");
    }

    #[test]
    fn a_subdirectory_workspace_is_the_same_subdirectory_in_the_worktree() {
        let f = fixture();
        let wt = Worktree::create(&f.state, &f.repo.join("sub"), "sub").unwrap();
        assert_eq!(wt.repo_root(), f.repo);
        assert_eq!(wt.workspace(), wt.path().join("sub"));
        std::fs::write(wt.workspace().join("b.txt"), "bee by run\n").unwrap();
        let diff = wt.diff().unwrap();
        assert!(diff.contains("+++ b/sub/b.txt"), "{diff}");
        // A subdirectory with no tracked file is created for the run.
        std::fs::create_dir(f.repo.join("fresh")).unwrap();
        let fresh = Worktree::create(&f.state, &f.repo.join("fresh"), "").unwrap();
        assert!(fresh.workspace().is_dir());
        assert!(fresh.workspace().ends_with("fresh"));
    }

    #[test]
    fn ids_are_safe_branch_names() {
        let id = new_id("  Ünïcode / ../ --force :: x.lock ");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{id}"
        );
        assert!(!id.ends_with('-'));
        assert_ne!(new_id("a"), new_id("a"));
        assert!(new_id(&"long ".repeat(50)).len() < 50);
    }
}
