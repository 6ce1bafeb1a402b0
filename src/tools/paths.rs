//! Resolving tool paths against the workspace.
//!
//! Models give paths relative to the workspace or absolute. Reads may go
//! anywhere (the approval policy decides whether they are allowed); writes
//! must land inside the workspace even after `..` and symlinks are resolved,
//! so a link planted in the workspace cannot smuggle an edit outside it.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a tool path was refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The model passed an empty string.
    #[error("the path is empty: give a file path relative to the workspace (e.g. `src/main.rs`)")]
    Empty,
    /// The path resolves outside the workspace.
    #[error(
        "refusing to write `{path}`: it resolves to {resolved}, outside the workspace {workspace}; \
         edits are limited to the workspace, choose a path inside it"
    )]
    OutsideWorkspace {
        /// The path as the model gave it.
        path: String,
        /// Where it really points.
        resolved: PathBuf,
        /// The (canonical) workspace root.
        workspace: PathBuf,
    },
    /// An existing part of the path could not be resolved (dangling link, permissions).
    #[error(
        "cannot resolve `{path}`: {source}; check that every directory on the way exists and is readable"
    )]
    Io {
        /// The path as the model gave it.
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Resolves `raw` for reading: relative paths are joined to `workspace`,
/// absolute paths are taken as they are; `.` and `..` are folded lexically.
///
/// Symlinks are not resolved, so the displayed path stays the one the model
/// used.
pub fn resolve_for_read(workspace: &Path, raw: &str) -> Result<PathBuf, PathError> {
    if raw.trim().is_empty() {
        return Err(PathError::Empty);
    }
    Ok(normalize(&workspace.join(raw)))
}

/// Resolves `raw` for writing and refuses anything outside the workspace.
///
/// After lexical normalisation the deepest existing ancestor (or the path
/// itself) is canonicalised, which follows every symlink on the way; the
/// not-yet-existing rest is appended. The result is the real location a
/// write will hit, so callers write through it rather than replacing a
/// symlink with a regular file.
pub fn resolve_for_write(workspace: &Path, raw: &str) -> Result<PathBuf, PathError> {
    let lexical = resolve_for_read(workspace, raw)?;
    let io_err = |source| PathError::Io {
        path: raw.to_string(),
        source,
    };
    let root = workspace.canonicalize().map_err(io_err)?;

    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while existing.symlink_metadata().is_err() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut resolved = existing.canonicalize().map_err(io_err)?;
    for name in rest.iter().rev() {
        resolved.push(name);
    }

    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(PathError::OutsideWorkspace {
            path: raw.to_string(),
            resolved,
            workspace: root,
        })
    }
}

/// How a path is shown to the model and the user: relative to the workspace
/// when inside it (shorter, and what the model used), absolute otherwise.
pub fn display(workspace: &Path, path: &Path) -> String {
    let rel = path
        .strip_prefix(workspace)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            let canon = workspace.canonicalize().ok()?;
            path.strip_prefix(canon).ok().map(Path::to_path_buf)
        });
    match rel {
        Some(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

/// The path a permission rule is matched against: symlinks resolved where
/// the path exists (so a link cannot dodge a `read(.env)` deny), then shown
/// relative to the workspace when inside it, absolute otherwise.
pub fn rule_target(workspace: &Path, raw: &str) -> String {
    let raw = if raw.trim().is_empty() { "." } else { raw };
    let lexical = normalize(&workspace.join(raw));
    let real = lexical.canonicalize().unwrap_or(lexical);
    display(workspace, &real)
}

/// Folds `.` and `..` without touching the file system (`..` at the root
/// stays at the root).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        (dir, root)
    }

    #[test]
    fn relative_paths_join_the_workspace() {
        let (_d, root) = ws();
        assert_eq!(
            resolve_for_read(&root, "src/./a/../main.rs").unwrap(),
            root.join("src/main.rs")
        );
        assert_eq!(
            resolve_for_read(&root, "/etc/hosts").unwrap(),
            PathBuf::from("/etc/hosts")
        );
        assert!(matches!(
            resolve_for_read(&root, " "),
            Err(PathError::Empty)
        ));
    }

    #[test]
    fn writes_inside_are_allowed_even_for_missing_dirs() {
        let (_d, root) = ws();
        let p = resolve_for_write(&root, "new/dir/ä file.txt").unwrap();
        assert_eq!(p, root.join("new/dir/ä file.txt"));
        let p = resolve_for_write(&root, &root.join("x.rs").display().to_string()).unwrap();
        assert_eq!(p, root.join("x.rs"));
    }

    #[test]
    fn dotdot_escape_is_refused() {
        let (_d, root) = ws();
        let err = resolve_for_write(&root, "../outside.txt").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("../outside.txt"), "{msg}");
        assert!(msg.contains("limited to the workspace"), "{msg}");
        assert!(resolve_for_write(&root, "/etc/passwd").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_escape_is_refused() {
        let (_d, root) = ws();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        std::fs::write(outside.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), root.join("filelink")).unwrap();
        for p in ["link/new.txt", "link/f", "filelink", "link/a/b/c"] {
            let err = resolve_for_write(&root, p).unwrap_err();
            assert!(
                matches!(err, PathError::OutsideWorkspace { .. }),
                "{p}: {err}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlink_inside_resolves_to_its_target() {
        let (_d, root) = ws();
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("alias")).unwrap();
        assert_eq!(
            resolve_for_write(&root, "alias/f.txt").unwrap(),
            root.join("real/f.txt")
        );
    }

    #[test]
    fn display_is_relative_inside() {
        let (_d, root) = ws();
        assert_eq!(display(&root, &root.join("a/b.rs")), "a/b.rs");
        assert_eq!(display(&root, &root), ".");
        assert_eq!(display(&root, Path::new("/etc/hosts")), "/etc/hosts");
    }
}
