//! `tandem exec "/name args"`: a custom command's prompt as the task, so
//! scripts reuse the commands people type in the TUI.

use std::path::Path;

use anyhow::bail;

use crate::config::commands::{self, Issue};
use crate::config::instructions::repo_root;
use crate::tui::composer::COMMANDS;

/// The task a prompt stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Task {
    pub prompt: String,
    /// The command's `model:`, when the prompt named a command that has one.
    pub model: Option<String>,
    /// What to tell the user about the command's file (another file it
    /// overrides, a name taken by a built-in).
    pub warnings: Vec<String>,
}

/// Expands `prompt` when it is `/name args` and `name` is a custom command
/// of the workspace's project or of the user (found as the TUI finds them;
/// built-in names stay reserved, so `/help` is never a custom command
/// here either). Any other prompt is the task as it is. A command whose
/// file could not be loaded is an error that names the file, rather than
/// sending `/name …` to the model as text.
pub(super) fn expand(
    prompt: String,
    workspace: &Path,
    config_dir: &Path,
    home: Option<&Path>,
) -> anyhow::Result<Task> {
    let unchanged = |prompt| Task {
        prompt,
        model: None,
        warnings: Vec::new(),
    };
    let Some(rest) = prompt.trim_start().strip_prefix('/') else {
        return Ok(unchanged(prompt));
    };
    let name = rest
        .split(char::is_whitespace)
        .next()
        .unwrap_or("")
        .to_lowercase();
    if name.is_empty() {
        return Ok(unchanged(prompt));
    }
    let built_ins: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let found = commands::discover(&repo_root(workspace), config_dir, home, &built_ins);
    let issues: Vec<&Issue> = found
        .issues
        .iter()
        .filter(|i| i.name() == Some(name.as_str()))
        .collect();
    let Some((command, text)) = found.expand_line(&prompt) else {
        if let Some(skipped) = issues.iter().find(|i| matches!(i, Issue::Skipped { .. })) {
            bail!("{skipped}");
        }
        let warnings = issues.iter().map(ToString::to_string).collect();
        return Ok(Task {
            warnings,
            ..unchanged(prompt)
        });
    };
    if text.trim().is_empty() {
        bail!(
            "/{} in {} gives an empty prompt: write the prompt in the file",
            command.name,
            command.path.display()
        );
    }
    Ok(Task {
        prompt: text,
        model: command.model.clone(),
        warnings: issues.iter().map(ToString::to_string).collect(),
    })
}
