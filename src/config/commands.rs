//! Custom slash commands: Markdown prompt files users already keep for
//! Claude Code, plus Tandem's own, found at start-up.
//!
//! Four places, most important first: the project's `.tandem/commands/`
//! and `.claude/commands/` (at the repository root), then the user's
//! `commands/` in Tandem's config dir and `~/.claude/commands/`. A file's
//! name without `.md`, lowercased, is the command's name; files in
//! subdirectories are named `dir:stem`. On a clash the more important place
//! wins and the other file is reported as shadowed; a command named like a
//! built-in is never used (reported). A bad file is reported and skipped,
//! never fatal. The file format and the argument substitution are in the
//! private `command_format` module; what callers need of it is re-exported
//! here ([`CommandPane`], [`expand`], [`split_arguments`]).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use super::command_format::{CommandPane, expand, split_arguments};
use super::command_format::{has_placeholders, parse};

/// Bytes a command file may have; bigger files are skipped with a note (a
/// cut prompt would be a different prompt).
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Subdirectory levels searched below a commands directory.
const MAX_DEPTH: usize = 3;

/// Files looked at per commands directory (a stray huge tree costs nothing).
const MAX_FILES: usize = 500;

/// Where a command was found, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `<repo>/.tandem/commands/`.
    ProjectTandem,
    /// `<repo>/.claude/commands/`.
    ProjectClaude,
    /// `<config dir>/commands/`.
    UserTandem,
    /// `~/.claude/commands/`.
    UserClaude,
}

impl Origin {
    /// `project` or `user`, the marker the completion popup shows.
    pub fn scope(self) -> &'static str {
        match self {
            Origin::ProjectTandem | Origin::ProjectClaude => "project",
            Origin::UserTandem | Origin::UserClaude => "user",
        }
    }
}

/// One usable custom command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    /// The name typed after `/`: lowercase, `dir:stem` for subdirectories.
    pub name: String,
    pub description: String,
    /// Shown after the name (empty when the file gives none).
    pub argument_hint: String,
    /// The pane its prompt goes to; `None`: the focused one.
    pub pane: Option<CommandPane>,
    /// The model its task runs on; `None`: the pane's model.
    pub model: Option<String>,
    /// The prompt template.
    pub body: String,
    pub origin: Origin,
    pub path: PathBuf,
}

impl CustomCommand {
    /// The prompt for `args` (see [`expand`] for the substitution rules).
    pub fn expand(&self, args: &str) -> String {
        expand(&self.body, args)
    }

    /// Whether arguments mean anything to it (a hint or a placeholder), so
    /// a front end knows whether to wait for them before running it.
    pub fn takes_arguments(&self) -> bool {
        !self.argument_hint.is_empty() || has_placeholders(&self.body)
    }
}

/// Something about a command file the user should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issue {
    /// The file is not used: unreadable, binary, too big, a bad name or a
    /// bad frontmatter value.
    Skipped {
        path: PathBuf,
        /// The name it would have had, when it has one.
        name: Option<String>,
        reason: String,
    },
    /// A more important place defines the same name.
    Shadowed {
        name: String,
        path: PathBuf,
        by: PathBuf,
    },
    /// Named like a built-in command, which always wins.
    BuiltIn { name: String, path: PathBuf },
}

impl Issue {
    /// The command name the issue is about, if known.
    pub fn name(&self) -> Option<&str> {
        match self {
            Issue::Skipped { name, .. } => name.as_deref(),
            Issue::Shadowed { name, .. } | Issue::BuiltIn { name, .. } => Some(name),
        }
    }

    /// Whether something is wrong (shadowing is a deliberate override and
    /// only informative).
    pub fn is_warning(&self) -> bool {
        !matches!(self, Issue::Shadowed { .. })
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Issue::Skipped { path, reason, .. } => write!(
                f,
                "custom command {} is not loaded: {reason}",
                path.display()
            ),
            Issue::Shadowed { name, path, by } => write!(
                f,
                "custom command /{name} from {} is used instead of {}",
                by.display(),
                path.display()
            ),
            Issue::BuiltIn { name, path } => write!(
                f,
                "custom command {} is not used: /{name} is a built-in command; rename the file",
                path.display()
            ),
        }
    }
}

/// The custom commands found, and what went wrong or was overridden.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    /// Sorted by name, one per name.
    pub commands: Vec<CustomCommand>,
    pub issues: Vec<Issue>,
}

impl Commands {
    /// The command called `name` (compared in lowercase, as names are).
    pub fn find(&self, name: &str) -> Option<&CustomCommand> {
        let name = name.to_lowercase();
        self.commands.iter().find(|c| c.name == name)
    }

    /// The prompt and command for a text typed as `/name args`, when `name`
    /// is a custom command; `None` for any other text.
    pub fn expand_line(&self, text: &str) -> Option<(&CustomCommand, String)> {
        let rest = text.trim_start().strip_prefix('/')?;
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let command = self.find(&rest[..end])?;
        Some((command, command.expand(&rest[end..])))
    }
}

/// The directories searched, most important first. `home` is the user's
/// home directory (for `~/.claude/commands/`), a parameter so tests and
/// callers decide where it is.
pub fn places(repo_root: &Path, config_dir: &Path, home: Option<&Path>) -> Vec<(Origin, PathBuf)> {
    let mut places = vec![
        (Origin::ProjectTandem, repo_root.join(".tandem/commands")),
        (Origin::ProjectClaude, repo_root.join(".claude/commands")),
        (Origin::UserTandem, config_dir.join("commands")),
    ];
    if let Some(home) = home {
        places.push((Origin::UserClaude, home.join(".claude/commands")));
    }
    places
}

/// Finds the custom commands of a project and user. `built_ins` are the
/// names a custom command may not take. Directories that do not exist are
/// skipped silently; everything else that goes wrong is an [`Issue`].
pub fn discover(
    repo_root: &Path,
    config_dir: &Path,
    home: Option<&Path>,
    built_ins: &[&str],
) -> Commands {
    let mut found = Commands::default();
    let mut seen_dirs: Vec<PathBuf> = Vec::new();
    for (origin, dir) in places(repo_root, config_dir, home) {
        // The same directory reached twice (config dir inside the project,
        // HOME as the project) is read once.
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if seen_dirs.contains(&canonical) {
            continue;
        }
        seen_dirs.push(canonical);
        let mut files = Vec::new();
        collect(&dir, "", 0, &mut files);
        for (name, path) in files {
            add(&mut found, origin, name, path, built_ins);
        }
    }
    found.commands.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Reads one file and adds it, or records why not.
fn add(found: &mut Commands, origin: Origin, name: String, path: PathBuf, built_ins: &[&str]) {
    let skip = |found: &mut Commands, reason: String| {
        found.issues.push(Issue::Skipped {
            path: path.clone(),
            name: Some(name.clone()),
            reason,
        })
    };
    if !valid_name(&name) {
        let reason = format!(
            "`{name}` cannot be typed as a command name; use letters, digits, `-`, `_` and `.`"
        );
        return skip(found, reason);
    }
    if built_ins.contains(&name.as_str()) {
        found.issues.push(Issue::BuiltIn { name, path });
        return;
    }
    if let Some(winner) = found.commands.iter().find(|c| c.name == name) {
        let by = winner.path.clone();
        found.issues.push(Issue::Shadowed { name, path, by });
        return;
    }
    let text = match read(&path) {
        Ok(text) => text,
        Err(reason) => return skip(found, reason),
    };
    match parse(&text) {
        Ok(file) => found.commands.push(CustomCommand {
            name,
            description: file.description,
            argument_hint: file.argument_hint,
            pane: file.pane,
            model: file.model,
            body: file.body,
            origin,
            path,
        }),
        Err(reason) => skip(found, reason),
    }
}

/// Lowercase letters and digits of any script, `-`, `_`, `.`, and `:`
/// between parts; nothing a composer would split or a shell would mangle.
fn valid_name(name: &str) -> bool {
    name.split(':').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

/// The text of a command file, or why it cannot be used.
fn read(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "it is bigger than {} KiB; a command prompt should be short",
            MAX_FILE_BYTES / 1024
        ));
    }
    if bytes.contains(&0) {
        return Err("it is binary, not Markdown text".into());
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".into())
}

/// The `.md` files under `dir` with their command names (`prefix:stem`),
/// in name order, at most [`MAX_DEPTH`] levels down. Hidden entries are
/// skipped; a directory that cannot be listed yields nothing.
fn collect(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if out.len() >= MAX_FILES {
            return;
        }
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') {
            continue;
        }
        let join = |part: &str| {
            let part = part.to_lowercase();
            if prefix.is_empty() {
                part
            } else {
                format!("{prefix}:{part}")
            }
        };
        if path.is_dir() {
            if depth < MAX_DEPTH {
                collect(&path, &join(file_name), depth + 1, out);
            }
        } else if let Some(stem) = file_name
            .strip_suffix(".md")
            .or_else(|| file_name.strip_suffix(".MD"))
        {
            out.push((join(stem), path));
        }
    }
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
