//! Project instructions, compatible with what Codex (`AGENTS.md`) and
//! Claude Code (`CLAUDE.md`) users already keep, at three levels:
//!
//! - user: Tandem's config dir (`AGENTS.md`, `CLAUDE.md`), plus
//!   `~/.claude/CLAUDE.md` and `$CODEX_HOME/AGENTS.md` when they exist;
//! - project: every directory from the repository root down to the
//!   workspace, root first (`AGENTS.override.md` instead of `AGENTS.md`,
//!   then `CLAUDE.md`, then `CLAUDE.local.md`) — `discovery`;
//! - subdirectory: the same files in a directory below the workspace,
//!   loaded once per session when an agent first works there — `set`.
//!
//! `CLAUDE*.md` files may pull other files in with `@path` (`imports`);
//! every file and all of them together are capped (`caps`), with notes
//! the model and the user both see.

mod caps;
mod discovery;
mod imports;
mod set;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use set::InstructionSet;

use caps::Budget;

/// Which level an instruction file comes from; decides where it is shown
/// and how general it is (user files are read first, so later, more
/// specific ones weigh more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The user's own files, for every project.
    User,
    /// The repository root down to the workspace.
    Project,
    /// A directory below the workspace, loaded when an agent works there.
    Subdirectory,
}

impl Level {
    /// The level's name as shown to the user.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Project => "project",
            Level::Subdirectory => "subdirectory",
        }
    }
}

/// What a front end shows of one instruction file (`/memory`): where it
/// is, how big, whether it was cut or skipped, and what it imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstructionInfo {
    /// The file's path (absolute).
    pub path: PathBuf,
    pub level: Level,
    /// Bytes of the file with its imports, before any cut.
    pub bytes: usize,
    /// Bytes the model gets (0 when skipped).
    pub kept: usize,
    /// Cut at `[instructions] max_file_bytes` or at what was left of
    /// `max_total_bytes`.
    pub truncated: bool,
    /// Left out entirely: the total limit was already reached.
    pub skipped: bool,
    /// Files pulled in with `@path`, in the order they were first imported.
    pub imports: Vec<PathBuf>,
    /// The cut or skip note, worded for the user and the model alike.
    pub note: Option<String>,
}

/// One instruction file as the model gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionFile {
    pub info: InstructionInfo,
    /// How the file is named to the model: workspace-relative below the
    /// workspace, `~/…` under the home directory, else absolute.
    pub display: String,
    /// The text (imports inlined, cut with its note); empty when skipped.
    pub text: String,
}

/// Where user-level files live. Built from the environment by
/// [`UserDirs::from_env`]; tests point it at temporary directories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDirs {
    /// Tandem's config dir.
    pub config_dir: PathBuf,
    /// The home directory: `~/.claude/CLAUDE.md` and `~/` in imports.
    pub home: Option<PathBuf>,
    /// Codex's home (`$CODEX_HOME`, default `~/.codex`).
    pub codex_home: Option<PathBuf>,
}

impl UserDirs {
    /// The config dir given, `HOME` and `CODEX_HOME` from the environment.
    pub fn from_env(config_dir: &Path) -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME");
        let codex_home = var("CODEX_HOME").or_else(|| home.as_ref().map(|h| h.join(".codex")));
        Self {
            config_dir: config_dir.to_path_buf(),
            home,
            codex_home,
        }
    }
}

/// The repository root containing `dir` (the nearest ancestor with `.git`),
/// or `dir` itself outside a repository.
pub fn repo_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// Finds and reads the user and project instruction files for a
/// workspace, capped by `caps`. The set it returns also loads
/// subdirectory files later in the session.
pub fn discover(
    dirs: &UserDirs,
    workspace: &Path,
    caps: &crate::config::InstructionsConfig,
) -> InstructionSet {
    InstructionSet::discover(dirs, workspace, caps)
}

/// How a path is named to the model and in notes.
fn display_path(path: &Path, workspace: &Path, home: Option<&Path>) -> String {
    if let Ok(rel) = path.strip_prefix(workspace)
        && !rel.as_os_str().is_empty()
    {
        return rel.display().to_string();
    }
    if let Some(home) = home
        && let Ok(rel) = path.strip_prefix(home)
    {
        return format!("~/{}", rel.display());
    }
    path.display().to_string()
}

/// Reads one instruction file: imports expanded for `CLAUDE*.md` files,
/// then capped. `None` when it cannot be read or holds only whitespace.
fn load_file(
    path: &Path,
    level: Level,
    budget: &mut Budget,
    workspace: &Path,
    home: Option<&Path>,
) -> Option<InstructionFile> {
    let read = imports::read_limited(path)?;
    let expanded = if imports::takes_imports(path) {
        imports::expand(path, &read.text, home)
    } else {
        imports::Expanded {
            text: read.text,
            imports: Vec::new(),
            unread: read.unread,
        }
    };
    if expanded.text.trim().is_empty() {
        return None;
    }
    let display = display_path(path, workspace, home);
    let kept = budget.take(
        &display,
        expanded.text,
        expanded.unread,
        !expanded.imports.is_empty(),
    );
    Some(InstructionFile {
        info: InstructionInfo {
            path: path.to_path_buf(),
            level,
            bytes: kept.full,
            kept: kept.kept,
            truncated: kept.truncated,
            skipped: kept.skipped,
            imports: expanded.imports,
            note: kept.note,
        },
        display,
        text: kept.text,
    })
}
