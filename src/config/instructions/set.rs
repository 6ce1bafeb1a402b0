//! [`InstructionSet`]: the instruction files of one session. It reads the
//! user and project files when the session is built, and later, each
//! time a tool call touches a path below the workspace, the files of the
//! directories on the way there that were not looked at yet — each once
//! per session, within the same byte budget.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::caps::Budget;
use super::discovery::{
    DIR_NAMES, dirs_below, files_in, project_dirs, user_candidates, user_files,
};
use super::{InstructionFile, InstructionInfo, Level, UserDirs, load_file};
use crate::config::InstructionsConfig;

/// The instruction files of one session, owned by the session. The
/// default set is inactive: it holds nothing and loads nothing (sessions
/// built without a configuration, like tests').
#[derive(Debug, Clone, Default)]
pub struct InstructionSet {
    active: bool,
    workspace: PathBuf,
    home: Option<PathBuf>,
    budget: Budget,
    /// User and project files, in reading order.
    files: Vec<InstructionFile>,
    /// Every path looked at for user and project files.
    searched: Vec<PathBuf>,
    /// Canonical paths of every file loaded, so none is loaded twice (a
    /// `CLAUDE.md` linked to `AGENTS.md`, a config dir that is the
    /// workspace).
    loaded: HashSet<PathBuf>,
    /// Subdirectories already looked at.
    visited: HashSet<PathBuf>,
    /// Subdirectory files loaded: canonical path and bytes kept.
    from_subdirs: Vec<(PathBuf, usize)>,
}

impl InstructionSet {
    /// Reads the user files, then the project files from the repository
    /// root down to `workspace`.
    pub fn discover(dirs: &UserDirs, workspace: &Path, caps: &InstructionsConfig) -> Self {
        let mut set = Self {
            active: true,
            workspace: workspace.to_path_buf(),
            home: dirs.home.clone(),
            budget: Budget::new(caps.max_file_bytes, caps.max_total_bytes),
            searched: user_candidates(dirs),
            ..Self::default()
        };
        for path in user_files(dirs) {
            if let Some(file) = set.load(&path, Level::User) {
                set.files.push(file);
            }
        }
        for dir in project_dirs(workspace) {
            set.searched
                .extend(DIR_NAMES.iter().map(|name| dir.join(name)));
            for path in files_in(&dir) {
                if let Some(file) = set.load(&path, Level::Project) {
                    set.files.push(file);
                }
            }
        }
        set
    }

    /// Whether the set was discovered (and so reports and loads files).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The user and project files, in reading order: what the system
    /// prompt holds.
    pub fn files(&self) -> &[InstructionFile] {
        &self.files
    }

    /// What a front end shows of the user and project files.
    pub fn infos(&self) -> Vec<InstructionInfo> {
        self.files.iter().map(|f| f.info.clone()).collect()
    }

    /// Every path looked at for user and project files (present or not):
    /// where the user can add one.
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }

    /// The instruction files of directories below the workspace on the way
    /// to `targets` (workspace-relative or absolute paths a tool call read
    /// or changed) that were not looked at yet in this session.
    pub fn for_targets(&mut self, targets: &[String]) -> Vec<InstructionFile> {
        if !self.active {
            return Vec::new();
        }
        let mut found = Vec::new();
        for target in targets {
            let path = self.workspace.join(target);
            let dir = if path.is_dir() {
                path
            } else {
                match path.parent() {
                    Some(parent) => parent.to_path_buf(),
                    None => continue,
                }
            };
            for dir in dirs_below(&self.workspace, &dir) {
                // A directory that does not exist yet may be created later.
                if !dir.is_dir() || !self.visited.insert(dir.clone()) {
                    continue;
                }
                for path in files_in(&dir) {
                    if let Some(file) = self.load(&path, Level::Subdirectory) {
                        self.from_subdirs
                            .push((canonical(&file.info.path), file.info.kept));
                        found.push(file);
                    }
                }
            }
        }
        found
    }

    /// Forgets the subdirectory files loaded so far: the conversation that
    /// held them was cleared, rewound or summarised, so they load again
    /// the next time a tool call goes there.
    pub fn forget_subdirectories(&mut self) {
        for (path, kept) in self.from_subdirs.drain(..) {
            self.loaded.remove(&path);
            self.budget.release(kept);
        }
        self.visited.clear();
    }

    fn load(&mut self, path: &Path, level: Level) -> Option<InstructionFile> {
        if !self.loaded.insert(canonical(path)) {
            return None;
        }
        load_file(
            path,
            level,
            &mut self.budget,
            &self.workspace,
            self.home.as_deref(),
        )
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(file: usize, total: usize) -> InstructionsConfig {
        InstructionsConfig {
            max_file_bytes: file,
            max_total_bytes: total,
        }
    }

    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        (dir, root)
    }

    #[test]
    fn subdirectory_files_load_once_until_forgotten() {
        let (_dir, root) = repo();
        std::fs::create_dir_all(root.join("sub/deep")).unwrap();
        std::fs::write(root.join("sub/AGENTS.md"), "sub rules").unwrap();
        std::fs::write(root.join("sub/deep/CLAUDE.md"), "deep rules").unwrap();
        std::fs::write(root.join("sub/deep/x.rs"), "").unwrap();
        let mut set = InstructionSet::discover(&UserDirs::default(), &root, &caps(1000, 1000));
        assert!(set.files().is_empty());
        let first = set.for_targets(&["sub/deep/x.rs".into()]);
        let texts: Vec<&str> = first.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["sub rules", "deep rules"]);
        assert_eq!(first[1].display, "sub/deep/CLAUDE.md");
        assert!(first.iter().all(|f| f.info.level == Level::Subdirectory));
        assert!(
            set.for_targets(&["sub".into(), "sub/deep/x.rs".into()])
                .is_empty()
        );
        set.forget_subdirectories();
        assert_eq!(set.for_targets(&["sub/deep".into()]).len(), 2);
        let outside = root.parent().unwrap().display().to_string();
        assert!(set.for_targets(&[outside, ".".into()]).is_empty());
    }

    #[test]
    fn the_default_set_loads_nothing() {
        let (_dir, root) = repo();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/AGENTS.md"), "x").unwrap();
        let mut set = InstructionSet::default();
        assert!(!set.is_active());
        assert!(
            set.for_targets(&[root.join("sub/a").display().to_string()])
                .is_empty()
        );
    }

    #[test]
    fn a_file_linked_under_two_names_is_read_once() {
        let (_dir, root) = repo();
        std::fs::write(root.join("AGENTS.md"), "shared").unwrap();
        std::os::unix::fs::symlink(root.join("AGENTS.md"), root.join("CLAUDE.md")).unwrap();
        let set = InstructionSet::discover(&UserDirs::default(), &root, &caps(1000, 1000));
        assert_eq!(set.files().len(), 1);
        assert!(set.searched().contains(&root.join("CLAUDE.local.md")));
    }
}
