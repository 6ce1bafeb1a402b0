//! Working-tree files as the review sees them: content plus git's notion of
//! the file type (regular, executable, symbolic link, whose content is its
//! target), read without following links and written back atomically.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::super::WorkspaceError;
use super::super::git::path_from_bytes;

/// The git mode of a regular file.
pub(crate) const MODE_REGULAR: u32 = 0o100_644;
/// The git mode of an executable file.
pub(crate) const MODE_EXECUTABLE: u32 = 0o100_755;
/// The git mode of a symbolic link.
pub(crate) const MODE_SYMLINK: u32 = 0o120_000;

/// A working-tree file: its exact bytes (a link's target) and git mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkFile {
    /// The content, or a symbolic link's target.
    pub bytes: Vec<u8>,
    /// [`MODE_REGULAR`], [`MODE_EXECUTABLE`] or [`MODE_SYMLINK`].
    pub mode: u32,
}

/// What is at a path: nothing reviewable (absent, a directory, a device or
/// pipe), or a file of some size and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Bytes (a link's target length).
    pub len: u64,
    /// The git mode.
    pub mode: u32,
}

/// The size and git mode of `abs`; `None` when there is no regular file or
/// link there.
pub(crate) fn stat(abs: &Path) -> Result<Option<Stat>, WorkspaceError> {
    let meta = match std::fs::symlink_metadata(abs) {
        Ok(m) => m,
        Err(e) if is_absent(&e) => return Ok(None),
        Err(e) => return Err(WorkspaceError::io("reading", abs, e)),
    };
    let ft = meta.file_type();
    let mode = if ft.is_symlink() {
        MODE_SYMLINK
    } else if ft.is_file() {
        if meta.permissions().mode() & 0o100 != 0 {
            MODE_EXECUTABLE
        } else {
            MODE_REGULAR
        }
    } else {
        return Ok(None);
    };
    Ok(Some(Stat {
        len: meta.len(),
        mode,
    }))
}

/// A missing file, or a path through something that is not a directory.
fn is_absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// Reads `abs` (a link's target, not what it points to); `None` when there
/// is no file.
pub(crate) fn read(abs: &Path) -> Result<Option<WorkFile>, WorkspaceError> {
    let Some(st) = stat(abs)? else {
        return Ok(None);
    };
    let bytes = if st.mode == MODE_SYMLINK {
        std::fs::read_link(abs).map(|t| t.as_os_str().as_bytes().to_vec())
    } else {
        std::fs::read(abs)
    };
    match bytes {
        Ok(bytes) => Ok(Some(WorkFile {
            bytes,
            mode: st.mode,
        })),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(WorkspaceError::io("reading", abs, e)),
    }
}

/// Puts `file` at `abs` atomically: a link is recreated as a link, a regular
/// file gets its execute bits set or cleared to match its mode (other
/// permissions of an existing file are kept).
pub(crate) fn write(abs: &Path, file: &WorkFile) -> Result<(), WorkspaceError> {
    let current = stat(abs)?;
    if file.mode == MODE_SYMLINK {
        return write_link(abs, &file.bytes);
    }
    if current.is_some_and(|s| s.mode == MODE_SYMLINK) {
        std::fs::remove_file(abs).map_err(|e| WorkspaceError::io("removing", abs, e))?;
    }
    crate::tools::atomic::write_atomic(abs, &file.bytes)
        .map_err(|e| WorkspaceError::io("writing", abs, std::io::Error::other(e)))?;
    let meta = std::fs::metadata(abs).map_err(|e| WorkspaceError::io("reading", abs, e))?;
    let bits = meta.permissions().mode();
    let wanted = if file.mode == MODE_EXECUTABLE {
        // Execute wherever read is allowed, like git checkout.
        bits | ((bits & 0o444) >> 2)
    } else {
        bits & !0o111
    };
    if wanted != bits {
        std::fs::set_permissions(abs, std::fs::Permissions::from_mode(wanted))
            .map_err(|e| WorkspaceError::io("setting permissions of", abs, e))?;
    }
    Ok(())
}

/// Removes the file or link at `abs` if there is one (never a directory).
pub(crate) fn remove(abs: &Path) -> Result<(), WorkspaceError> {
    if stat(abs)?.is_some() {
        std::fs::remove_file(abs).map_err(|e| WorkspaceError::io("removing", abs, e))?;
    }
    Ok(())
}

/// Replaces `abs` by a symbolic link to `target`: made under a temporary
/// name in the same directory and renamed over it.
fn write_link(abs: &Path, target: &[u8]) -> Result<(), WorkspaceError> {
    let dir = abs.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io("creating", dir, e))?;
    let tmp = dir.join(format!(".tandem-review-{}", fastrand::u64(..)));
    std::os::unix::fs::symlink(path_from_bytes(target), &tmp)
        .map_err(|e| WorkspaceError::io("creating link", &tmp, e))?;
    std::fs::rename(&tmp, abs).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        WorkspaceError::io("writing link", abs, e)
    })
}
