//! Project instruction files: `AGENTS.md` and `CLAUDE.md`, both read, at
//! user level (the config dir) and at the repository root. Subdirectory
//! files and full layering come later.

use std::path::{Path, PathBuf};

/// The file names read, in order. Both are read: teams keep one or the other
/// (or both) depending on which agents they use.
pub const FILE_NAMES: [&str; 2] = ["AGENTS.md", "CLAUDE.md"];

/// Bytes read from one instruction file; the rest is cut with a note.
const MAX_BYTES: usize = 64 * 1024;

/// One instruction file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionFile {
    pub path: PathBuf,
    pub text: String,
}

/// The repository root containing `dir` (the nearest ancestor with `.git`),
/// or `dir` itself outside a repository.
pub fn repo_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// Finds the instruction files for a workspace: user level first (more
/// general), then the repository root (more specific, read last so it
/// weighs most).
pub fn discover(config_dir: &Path, workspace: &Path) -> Vec<InstructionFile> {
    let root = repo_root(workspace);
    let mut found = Vec::new();
    for dir in [config_dir, root.as_path()] {
        for name in FILE_NAMES {
            let path = dir.join(name);
            if let Some(text) = read_capped(&path)
                && !found.iter().any(|f: &InstructionFile| f.path == path)
            {
                found.push(InstructionFile { path, text });
            }
        }
    }
    found
}

fn read_capped(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_BYTES)]).into_owned();
    if bytes.len() > MAX_BYTES {
        text.push_str(&format!(
            "\n[instruction file cut at {MAX_BYTES} bytes of {}]",
            bytes.len()
        ));
    }
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_names_at_both_levels() {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        std::fs::create_dir(repo.path().join("sub")).unwrap();
        std::fs::write(home.path().join("AGENTS.md"), "user rules").unwrap();
        std::fs::write(repo.path().join("AGENTS.md"), "repo agents").unwrap();
        std::fs::write(repo.path().join("CLAUDE.md"), "repo claude").unwrap();
        std::fs::write(repo.path().join("sub/AGENTS.md"), "later issue").unwrap();
        let files = discover(home.path(), &repo.path().join("sub"));
        let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["user rules", "repo agents", "repo claude"]);
    }
}
