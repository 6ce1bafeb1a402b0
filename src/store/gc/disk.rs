//! Sizes on disk and safe removal inside the state dir.
//!
//! Sizes count allocated blocks, as `du` does, and never follow a symbolic
//! link. Removal checks that the path is inside the canonical state dir and
//! is not itself a link; a directory is renamed into `<state>/gc-trash/`
//! before it is deleted, so an interrupted or failed delete leaves it whole
//! in place or in the trash (emptied by the next `tandem gc`), never half a
//! checkpoint repository that looks alive.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Action, GcItem, GcPlan, ItemKind, Kept};

/// Where directories wait between rename and delete.
const TRASH: &str = "gc-trash";

/// Bytes on disk of one entry's metadata (blocks of 512 bytes).
fn allocated(meta: &std::fs::Metadata) -> u64 {
    meta.blocks().saturating_mul(512)
}

/// The size on disk of `path` and everything under it, not following
/// symbolic links (a link counts as itself). A missing path is 0.
pub fn dir_size(path: &Path) -> u64 {
    walk(path, None).0
}

/// Like [`dir_size`] but stops after `budget`: the bytes counted so far and
/// whether the walk finished (for `tandem doctor`, which must stay quick).
pub fn quick_size(path: &Path, budget: Duration) -> (u64, bool) {
    walk(path, Some(Instant::now() + budget))
}

fn walk(path: &Path, deadline: Option<Instant>) -> (u64, bool) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return (0, true);
    };
    let mut total = allocated(&meta);
    if !meta.is_dir() {
        return (total, true);
    }
    let mut stack = vec![path.to_path_buf()];
    let mut seen = 0u32;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen = seen.wrapping_add(1);
            if seen.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d) {
                return (total, false);
            }
            // `DirEntry::metadata` does not follow a link.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            total = total.saturating_add(allocated(&meta));
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    (total, true)
}

/// A size for people: `512 B`, `4.0 KiB`, `1.3 GiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Refuses a path that is not strictly inside `state` (canonical), or that
/// is a symbolic link: its parent is resolved, the path itself is not.
pub(super) fn check_inside(state: &Path, path: &Path) -> Result<std::fs::Metadata, String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!(
            "{} is a symbolic link; tandem gc does not follow links, remove it by hand if you want it gone",
            path.display()
        ));
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(format!("{} has no parent directory", path.display()));
    };
    let parent = parent
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", parent.display()))?;
    if !parent.starts_with(state) || name == ".." || name == "." {
        return Err(format!(
            "{} is not inside the state dir {}; left alone",
            path.display(),
            state.display()
        ));
    }
    Ok(meta)
}

/// Removes `path` (a file, or a directory and everything in it) after
/// [`check_inside`]. A directory goes through the trash (see the module
/// doc); the error says what is left and what to do.
pub(super) fn remove(state: &Path, path: &Path) -> Result<(), String> {
    let meta = check_inside(state, path)?;
    if !meta.is_dir() {
        return std::fs::remove_file(path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()));
    }
    let trash = state.join(TRASH);
    if path.starts_with(&trash) {
        remove_tree(path)?;
        let _ = std::fs::remove_dir(&trash);
        return Ok(());
    }
    std::fs::create_dir_all(&trash)
        .map_err(|e| format!("cannot create {}: {e}", trash.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let parked = trash.join(format!("{name}-{:08x}", fastrand::u32(..)));
    match std::fs::rename(path, &parked) {
        Ok(()) => {
            remove_tree(&parked)?;
            // An empty trash goes too; one holding another leftover stays.
            let _ = std::fs::remove_dir(&trash);
            Ok(())
        }
        // Another file system (a mount inside the state dir): delete in place.
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => remove_tree(path),
        Err(e) => Err(format!("cannot move {} aside: {e}", path.display())),
    }
}

/// `remove_dir_all` (which never follows links inside), with the error
/// saying what is left.
fn remove_tree(path: &Path) -> Result<(), String> {
    std::fs::remove_dir_all(path).map_err(|e| {
        format!(
            "could not remove all of {}: {e}; what is left there can be deleted by hand (or by the next tandem gc)",
            path.display()
        )
    })
}

/// Lists what an interrupted gc left in the trash.
pub(super) fn plan_trash(state: &Path, plan: &mut GcPlan) {
    let Some(dir) = category(state.join(TRASH), ItemKind::Trash, plan) else {
        return;
    };
    for path in entries(&dir) {
        plan.items.push(GcItem {
            kind: ItemKind::Trash,
            bytes: dir_size(&path),
            reason: "left by an interrupted tandem gc".into(),
            action: Action::Remove,
            path,
        });
    }
}

/// The entries of `dir`, sorted (none when it cannot be read).
pub(super) fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| it.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// Whether `path` is a symbolic link (not followed anywhere in gc).
pub(super) fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `dir` (one category's directory in the state dir) when it is a real
/// directory; a symbolic link there is reported as kept and not looked into.
pub(super) fn category(dir: PathBuf, kind: ItemKind, plan: &mut GcPlan) -> Option<PathBuf> {
    if is_link(&dir) {
        plan.kept.push(Kept {
            kind,
            path: dir,
            bytes: 0,
            reason: "a symbolic link: not followed".into(),
            flag: None,
        });
        return None;
    }
    dir.is_dir().then_some(dir)
}
