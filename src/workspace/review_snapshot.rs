//! Computing the files of a review: which paths to look at in each mode,
//! reading both sides, and diffing them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use super::super::{ChangeStatus, Checkpoints, WorkspaceError};
use super::user_git::{Blob, IndexEntry, UserGit};
use super::worktree::{self as fs, MODE_REGULAR, MODE_SYMLINK, WorkFile};
use crate::diff::{DiffOptions, FileDiff, FileStatus, diff_added, diff_deleted, diff_modified};

/// Files larger than this are not read: they are shown as binary changes.
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// At most this many files are listed.
pub(crate) const MAX_FILES: usize = 2_000;
/// The time one file's diff may take when the caller set no deadline.
const FILE_DEADLINE: Duration = Duration::from_secs(1);

/// One side of a file as read for the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Side {
    /// No such file.
    Absent,
    /// Larger than [`MAX_FILE_BYTES`]; not read.
    TooBig {
        /// The git mode.
        mode: u32,
    },
    /// The content and git mode.
    Bytes {
        /// The exact content (a link's target).
        bytes: Vec<u8>,
        /// The git mode.
        mode: u32,
    },
}

impl Side {
    fn mode(&self) -> u32 {
        match self {
            Side::Absent => 0,
            Side::TooBig { mode } | Side::Bytes { mode, .. } => *mode,
        }
    }
}

/// A computed file before origins are attached.
#[derive(Debug, Clone)]
pub(crate) struct Computed {
    /// The diff.
    pub diff: FileDiff,
    /// Nothing is left to accept (both sides equal, mode included).
    pub reviewed: bool,
    /// The content of an added or deleted file (its one side), kept so
    /// [`super::renames::pair`] can pair it with its other half; `None` for
    /// other files, files not read, links and empty files (an empty file
    /// is like any other empty file, so pairing it would be a guess).
    pub rename_content: Option<Vec<u8>>,
}

/// The files of one snapshot, before origins are attached.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// By path order.
    pub files: Vec<Computed>,
    /// Some diff hit its deadline.
    pub coarse: bool,
    /// Paths were left out beyond [`MAX_FILES`].
    pub truncated: bool,
}

/// Diffs `old` against `new` for `path`; `None` when neither exists.
/// A diff that ran into its deadline sets `coarse`.
pub(crate) fn compute(
    path: &str,
    old: &Side,
    new: &Side,
    opts: &DiffOptions,
    coarse: &mut bool,
) -> Option<Computed> {
    let status = match (old, new) {
        (Side::Absent, Side::Absent) => return None,
        (Side::Absent, _) => FileStatus::Added,
        (_, Side::Absent) => FileStatus::Deleted,
        _ => FileStatus::Modified,
    };
    let (old_mode, new_mode) = (old.mode(), new.mode());
    let bare = |status, binary| FileDiff {
        old_path: path.to_owned(),
        new_path: path.to_owned(),
        status,
        old_mode,
        new_mode,
        binary,
        hunks: Vec::new(),
    };
    let (Some(old_bytes), Some(new_bytes)) = (side_bytes(old), side_bytes(new)) else {
        return Some(Computed {
            diff: bare(status, true),
            reviewed: false,
            rename_content: None,
        });
    };
    if status == FileStatus::Modified && old_bytes == new_bytes {
        let same_mode = old_mode == new_mode;
        let status = if same_mode {
            FileStatus::Modified
        } else {
            FileStatus::ModeChanged
        };
        return Some(Computed {
            diff: bare(status, false),
            reviewed: same_mode,
            rename_content: None,
        });
    }
    let (opts, deadline) = with_deadline(opts);
    let mut diff = match status {
        FileStatus::Added => diff_added(path, new_bytes, &opts),
        FileStatus::Deleted => diff_deleted(path, old_bytes, &opts),
        _ => diff_modified(path, old_bytes, new_bytes, &opts),
    };
    if Instant::now() >= deadline {
        *coarse = true;
    }
    diff.old_mode = old_mode;
    diff.new_mode = new_mode;
    let one_side = match status {
        FileStatus::Added => Some((new_bytes, new_mode)),
        FileStatus::Deleted => Some((old_bytes, old_mode)),
        _ => None,
    };
    let rename_content = one_side
        .filter(|(bytes, mode)| !bytes.is_empty() && *mode != MODE_SYMLINK)
        .map(|(bytes, _)| bytes.to_vec());
    Some(Computed {
        diff,
        reviewed: false,
        rename_content,
    })
}

/// `opts` with a deadline (one second from now when the caller set none),
/// and that deadline, to tell afterwards whether the diff was cut short.
pub(crate) fn with_deadline(opts: &DiffOptions) -> (DiffOptions, Instant) {
    let mut opts = opts.clone();
    let deadline = *opts
        .deadline
        .get_or_insert_with(|| Instant::now() + FILE_DEADLINE);
    (opts, deadline)
}

/// The content of a side (empty when absent); `None` when not read.
fn side_bytes(side: &Side) -> Option<&[u8]> {
    match side {
        Side::Absent => Some(&[]),
        Side::TooBig { .. } => None,
        Side::Bytes { bytes, .. } => Some(bytes),
    }
}

/// The working-tree side of `abs`, read when not too big; `git_mode`, when
/// given, is git's view of a regular file's mode (it honours
/// `core.fileMode`).
pub(crate) fn worktree_side(abs: &Path, git_mode: Option<u32>) -> Result<Side, WorkspaceError> {
    let Some(st) = fs::stat(abs)? else {
        return Ok(Side::Absent);
    };
    let regular = |m: u32| m == MODE_REGULAR || m == fs::MODE_EXECUTABLE;
    let mode = match git_mode {
        Some(g) if regular(g) && regular(st.mode) => g,
        _ => st.mode,
    };
    if st.len > MAX_FILE_BYTES {
        return Ok(Side::TooBig { mode });
    }
    Ok(match fs::read(abs)? {
        Some(f) => Side::Bytes {
            bytes: f.bytes,
            mode,
        },
        None => Side::Absent,
    })
}

/// What git mode knows of a path before reading it.
#[derive(Debug, Clone)]
struct GitCandidate {
    /// The index entry, if the path is in the index.
    index: Option<IndexEntry>,
    /// Git's view of the work-tree mode (0 when unknown or gone).
    worktree_mode: u32,
    /// Git lists the path as changed (or untracked); otherwise it is only
    /// attributed and git says both sides are equal.
    changed: bool,
}

/// The files of a git-mode review: the index against the working tree,
/// untracked files, and files `attributed` names that have no diff left.
pub(crate) fn git_listing(
    git: &UserGit,
    workspace: &Path,
    attributed: &BTreeSet<String>,
    private_dir: Option<&str>,
    opts: &DiffOptions,
) -> Result<Listing, WorkspaceError> {
    let mut candidates: BTreeMap<String, GitCandidate> = BTreeMap::new();
    for change in git.changed()? {
        if let Some(rel) = git.workspace_path(&change.path) {
            candidates.insert(
                rel,
                GitCandidate {
                    index: change.index,
                    worktree_mode: change.worktree_mode,
                    changed: true,
                },
            );
        }
    }
    for full in git.untracked()? {
        if let Some(rel) = git.workspace_path(&full)
            && !private_dir.is_some_and(|dir| rel.starts_with(dir))
        {
            candidates.insert(
                rel,
                GitCandidate {
                    index: None,
                    worktree_mode: 0,
                    changed: true,
                },
            );
        }
    }
    let quiet: Vec<Vec<u8>> = attributed
        .iter()
        .filter(|p| !candidates.contains_key(*p))
        .map(|p| git.full_path(p))
        .collect();
    for (full, entry) in git.index_entries(&quiet)? {
        if let Some(rel) = git.workspace_path(&full) {
            candidates.insert(
                rel,
                GitCandidate {
                    worktree_mode: entry.mode,
                    index: Some(entry),
                    changed: false,
                },
            );
        }
    }

    let mut listing = Listing {
        truncated: candidates.len() > MAX_FILES,
        ..Listing::default()
    };
    let chosen: Vec<(String, GitCandidate)> = candidates.into_iter().take(MAX_FILES).collect();
    let oids: Vec<String> = chosen
        .iter()
        .filter(|(_, c)| c.changed)
        .filter_map(|(_, c)| c.index.as_ref().map(|e| e.oid.clone()))
        .collect();
    let mut blobs = git.read_blobs(&oids, MAX_FILE_BYTES)?.into_iter();
    for (path, candidate) in chosen {
        if !candidate.changed {
            // Git compared both sides already: nothing left to review.
            let mode = candidate.worktree_mode;
            let side = Side::Bytes {
                bytes: Vec::new(),
                mode,
            };
            listing
                .files
                .extend(compute(&path, &side, &side, opts, &mut listing.coarse));
            continue;
        }
        let old = match &candidate.index {
            None => Side::Absent,
            Some(entry) => match blobs.next() {
                Some(Blob::Bytes(bytes)) => Side::Bytes {
                    bytes,
                    mode: entry.mode,
                },
                Some(Blob::TooBig) => Side::TooBig { mode: entry.mode },
                Some(Blob::Missing) | None => Side::Absent,
            },
        };
        let git_mode = (candidate.worktree_mode != 0).then_some(candidate.worktree_mode);
        let new = worktree_side(&workspace.join(&path), git_mode)?;
        let Some(file) = compute(&path, &old, &new, opts, &mut listing.coarse) else {
            continue;
        };
        if file.reviewed && !attributed.contains(&path) {
            // Equal once read (a filter or a stale stat made git list it).
            continue;
        }
        listing.files.push(file);
    }
    Ok(listing)
}

/// The files of a plain-mode review: paths changed from `baseline` to
/// `head`, reviewed overrides and attributed paths; old side = the
/// reviewed content or the baseline, new side = the working tree.
pub(crate) fn plain_listing(
    checkpoints: &Checkpoints,
    baseline: &str,
    head: &str,
    reviewed: &HashMap<String, Option<WorkFile>>,
    attributed: &BTreeSet<String>,
    opts: &DiffOptions,
) -> Result<Listing, WorkspaceError> {
    let mut paths: BTreeSet<String> = BTreeSet::new();
    let as_string = |p: &Path| p.to_str().map(str::to_owned);
    for change in checkpoints.changes_between(baseline, head)? {
        paths.extend(as_string(&change.path));
        if let ChangeStatus::Renamed { from } = &change.status {
            paths.extend(as_string(from));
        }
    }
    paths.extend(reviewed.keys().cloned());
    paths.extend(attributed.iter().cloned());

    let mut listing = Listing::default();
    let workspace = checkpoints.workspace();
    let mut remaining = paths.len();
    for path in paths {
        remaining -= 1;
        let new = worktree_side(&workspace.join(&path), None)?;
        let old = match plain_old(checkpoints, baseline, reviewed, &path)? {
            None => Side::Absent,
            Some(f) => Side::Bytes {
                bytes: f.bytes,
                mode: f.mode,
            },
        };
        let Some(file) = compute(&path, &old, &new, opts, &mut listing.coarse) else {
            continue;
        };
        if file.reviewed && !attributed.contains(&path) {
            continue;
        }
        listing.files.push(file);
        if listing.files.len() == MAX_FILES && remaining > 0 {
            listing.truncated = true;
            break;
        }
    }
    Ok(listing)
}

/// The old side of `path` in plain mode: what the user accepted, or else
/// the file (content and mode) in the `baseline` checkpoint; `None` when
/// there is no such file.
pub(crate) fn plain_old(
    checkpoints: &Checkpoints,
    baseline: &str,
    reviewed: &HashMap<String, Option<WorkFile>>,
    path: &str,
) -> Result<Option<WorkFile>, WorkspaceError> {
    if let Some(accepted) = reviewed.get(path) {
        return Ok(accepted.clone());
    }
    let rel = Path::new(path);
    let Some(bytes) = checkpoints.file_at(baseline, rel)? else {
        return Ok(None);
    };
    let mode = checkpoints
        .mode_at(baseline, rel)?
        .and_then(|m| u32::from_str_radix(&m, 8).ok())
        .unwrap_or(MODE_REGULAR);
    Ok(Some(WorkFile { bytes, mode }))
}
