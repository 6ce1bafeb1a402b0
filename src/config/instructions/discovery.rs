//! Where instruction files are looked for, and in which order.

use std::path::{Path, PathBuf};

use super::UserDirs;

/// The names looked for in a project directory, in the order they are
/// read. `AGENTS.override.md`, when present, replaces `AGENTS.md` (Codex);
/// `CLAUDE.local.md` is a personal file next to `CLAUDE.md` (Claude Code).
pub(super) const DIR_NAMES: [&str; 4] = [
    "AGENTS.override.md",
    "AGENTS.md",
    "CLAUDE.md",
    "CLAUDE.local.md",
];

/// The instruction files present in one project directory, in reading
/// order.
pub(super) fn files_in(dir: &Path) -> Vec<PathBuf> {
    let is_file = |name: &str| dir.join(name).is_file();
    let agents = if is_file("AGENTS.override.md") {
        "AGENTS.override.md"
    } else {
        "AGENTS.md"
    };
    [agents, "CLAUDE.md", "CLAUDE.local.md"]
        .into_iter()
        .filter(|name| is_file(name))
        .map(|name| dir.join(name))
        .collect()
}

/// Every path looked at for user-level files, present or not, in reading
/// order: the config dir's `AGENTS.md` and `CLAUDE.md`, Claude Code's
/// `~/.claude/CLAUDE.md`, Codex's `AGENTS.override.md` / `AGENTS.md`.
pub(super) fn user_candidates(dirs: &UserDirs) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if !dirs.config_dir.as_os_str().is_empty() {
        paths.push(dirs.config_dir.join("AGENTS.md"));
        paths.push(dirs.config_dir.join("CLAUDE.md"));
    }
    if let Some(home) = &dirs.home {
        paths.push(home.join(".claude").join("CLAUDE.md"));
    }
    if let Some(codex) = &dirs.codex_home {
        paths.push(codex.join("AGENTS.override.md"));
        paths.push(codex.join("AGENTS.md"));
    }
    paths
}

/// The user-level files present, in reading order (Codex's override
/// replaces its `AGENTS.md`).
pub(super) fn user_files(dirs: &UserDirs) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = user_candidates(dirs)
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    if let Some(codex) = &dirs.codex_home
        && codex.join("AGENTS.override.md").is_file()
    {
        let plain = codex.join("AGENTS.md");
        files.retain(|p| *p != plain);
    }
    files
}

/// The directories of the project level: the repository root down to the
/// workspace, root first (just the workspace outside a repository).
pub(super) fn project_dirs(workspace: &Path) -> Vec<PathBuf> {
    let root = super::repo_root(workspace);
    let mut dirs: Vec<PathBuf> = workspace
        .ancestors()
        .take_while(|d| d.starts_with(&root))
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

/// The directories from just below the workspace down to `dir`, top first;
/// empty when `dir` is not below the workspace.
pub(super) fn dirs_below(workspace: &Path, dir: &Path) -> Vec<PathBuf> {
    let Ok(rel) = dir.strip_prefix(workspace) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = workspace.to_path_buf();
    for part in rel.components() {
        match part {
            std::path::Component::Normal(name) => {
                at.push(name);
                out.push(at.clone());
            }
            _ => return Vec::new(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_agents_md_and_local_comes_last() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["CLAUDE.local.md", "CLAUDE.md", "AGENTS.md"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let names = |d: &Path| -> Vec<String> {
            files_in(d)
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(dir.path()),
            ["AGENTS.md", "CLAUDE.md", "CLAUDE.local.md"]
        );
        std::fs::write(dir.path().join("AGENTS.override.md"), "o").unwrap();
        assert_eq!(
            names(dir.path()),
            ["AGENTS.override.md", "CLAUDE.md", "CLAUDE.local.md"]
        );
    }

    #[test]
    fn project_dirs_run_from_the_repository_root_to_the_workspace() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path().canonicalize().unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        assert_eq!(
            project_dirs(&root.join("a/b")),
            [root.clone(), root.join("a"), root.join("a/b")]
        );
        assert_eq!(
            dirs_below(&root, &root.join("a/b")),
            [root.join("a"), root.join("a/b")]
        );
        assert!(dirs_below(&root.join("a"), &root).is_empty());
    }
}
