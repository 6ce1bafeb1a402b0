//! Atomic file writes.
//!
//! An agent's edit must never leave a half-written file behind (a crash, a
//! full disk or an interrupt mid-write would otherwise corrupt the user's
//! source). The new content goes to a temporary file in the same directory,
//! is flushed to disk, and is renamed over the target in one step.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why an atomic write failed. The original file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// The device is full.
    #[error("no space left on device while writing {path}; free some disk space and try again")]
    NoSpace {
        /// The file being written.
        path: PathBuf,
    },
    /// The target is a directory.
    #[error("{path} is a directory, not a file; choose a file path")]
    IsDirectory {
        /// The directory that was to be written as a file.
        path: PathBuf,
    },
    /// The parent directories could not be created.
    #[error("could not create directory {dir} for {path}: {source}")]
    CreateDir {
        /// The directory that could not be created.
        dir: PathBuf,
        /// The file being written.
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Any other I/O failure, with the step that failed.
    #[error("could not write {path} ({step}): {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// What was being done ("writing", "renaming into place", ...).
        step: &'static str,
        #[source]
        source: io::Error,
    },
}

impl AtomicWriteError {
    fn io(path: &Path, step: &'static str, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::StorageFull {
            Self::NoSpace {
                path: path.to_path_buf(),
            }
        } else {
            Self::Io {
                path: path.to_path_buf(),
                step,
                source,
            }
        }
    }
}

/// Replaces the content of `path` with `bytes` atomically.
///
/// Missing parent directories are created. An existing file keeps its
/// permissions; a new file gets the default ones (`0o666` minus the umask).
/// `path` should already be resolved (see [`super::paths::resolve_for_write`]):
/// a symlink at `path` itself would be replaced by a regular file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let existing = match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(AtomicWriteError::IsDirectory {
                path: path.to_path_buf(),
            });
        }
        Ok(meta) => Some(meta.permissions()),
        Err(_) => None,
    };
    if existing.is_none() && !parent.is_dir() {
        fs::create_dir_all(parent).map_err(|source| AtomicWriteError::CreateDir {
            dir: parent.to_path_buf(),
            path: path.to_path_buf(),
            source,
        })?;
    }

    let mut builder = tempfile::Builder::new();
    builder.prefix(".tandem-").suffix(".tmp");
    #[cfg(unix)]
    if existing.is_none() {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    // From here on, dropping `tmp` on an early return removes the temp file.
    let mut tmp = builder
        .tempfile_in(parent)
        .map_err(|e| AtomicWriteError::io(path, "creating a temporary file", e))?;
    tmp.write_all(bytes)
        .map_err(|e| AtomicWriteError::io(path, "writing", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| AtomicWriteError::io(path, "flushing to disk", e))?;
    if let Some(perms) = existing {
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| AtomicWriteError::io(path, "keeping permissions", e))?;
    }
    tmp.persist(path)
        .map_err(|e| AtomicWriteError::io(path, "renaming into place", e.error))?;
    // Make the rename itself durable; failure here loses nothing already visible.
    if let Ok(dir) = fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_parents_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b c/ü.txt");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.sh");
        fs::write(&p, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&p, b"#!/bin/sh\necho hi\n").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_not_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.txt");
        write_atomic(&p, b"x").unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_ne!(
            mode, 0o600,
            "new files get the umask default, not tempfile's 0600"
        );
        assert_eq!(mode & 0o600, 0o600);
    }

    #[test]
    fn directory_target_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(matches!(err, AtomicWriteError::IsDirectory { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn failure_leaves_original_untouched() {
        use std::os::unix::fs::PermissionsExt;
        if running_as_root() {
            // Root ignores directory permissions; there is no failure to observe.
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        fs::create_dir(&sub).unwrap();
        let p = sub.join("f.txt");
        fs::write(&p, "original").unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
        let err = write_atomic(&p, b"new").unwrap_err();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.to_string().contains("f.txt"), "{err}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "original");
    }

    /// Whether the tests run as root (directory permissions do not bind root).
    #[cfg(unix)]
    fn running_as_root() -> bool {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("probe");
        fs::write(&p, "").unwrap();
        fs::metadata(&p).unwrap().uid() == 0
    }

    #[test]
    fn no_space_error_names_the_path() {
        let err = AtomicWriteError::io(
            Path::new("/w/x.rs"),
            "writing",
            io::Error::from(io::ErrorKind::StorageFull),
        );
        assert_eq!(
            err.to_string(),
            "no space left on device while writing /w/x.rs; free some disk space and try again"
        );
    }
}
