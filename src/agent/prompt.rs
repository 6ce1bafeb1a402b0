//! System prompts: the pane's persona, the environment, and the project's
//! instruction files.

use std::path::Path;
use std::time::SystemTime;

use super::Pane;
use crate::config::instructions::InstructionFile;
use crate::exec::ApprovalMode;

const SHARED: &str = "\
You are a coding agent working in Tandem, a terminal workbench where two agents share one workspace: \
the Chat agent (interactive, plans with the user) and the Run agent (autonomous, executes tasks). \
Every change you make is reviewed by the user in a diff viewer, hunk by hunk.

Tools: read files with read_file (use line ranges for big files), explore with list_dir, glob and grep, \
change files with edit_file (exact, unique old_string), apply_patch (several hunks or files at once) or \
write_file (new files), run commands with shell, and keep a short plan with update_plan for work of \
more than a few steps. Paths are relative to the workspace root. Read before you edit; keep changes \
minimal and in the style of the surrounding code; do not reformat unrelated code. Prefer fast, \
targeted commands (rg-like searches, a single test) over slow ones.";

const CHAT: &str = "\
You are the Chat agent: a pair programmer. Explain what you found and the plan you propose before you \
change anything substantial; ask the user at real decision points (design choices, ambiguous \
requirements, anything destructive) and then stop and wait. Keep answers short and concrete, with \
file:line references. Edits and commands may need the user's approval; if one is refused, adapt.";

const RUN: &str = "\
You are the Run agent: you work autonomously. Take the task to completion without asking questions: \
when something is ambiguous, make the most reasonable choice and note it. Verify your work (build, \
run the relevant tests) before you finish. Commands run in a sandbox; if an action is refused, find \
another way or explain what is blocked. End with a short summary: what you changed (files), what you \
ran and its result, and anything left to do.";

/// Builds the system prompt for one session.
pub fn system_prompt(
    pane: Pane,
    mode: ApprovalMode,
    workspace: &Path,
    instructions: &[InstructionFile],
) -> String {
    let persona = match pane {
        Pane::Chat => CHAT,
        Pane::Run => RUN,
    };
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut prompt = format!(
        "{SHARED}\n\n{persona}\n\n# Environment\n- Workspace: {}\n- OS: {} ({})\n- Date: {}\n- Approval mode: {}\n",
        workspace.display(),
        std::env::consts::OS,
        std::env::consts::ARCH,
        date.get(..16).unwrap_or(&date),
        mode.as_str(),
    );
    for file in instructions {
        prompt.push_str(&format!(
            "\n# Project instructions from {}\n{}\n",
            file.path.display(),
            file.text.trim_end()
        ));
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn persona_environment_and_instructions_are_included() {
        let files = [InstructionFile {
            path: PathBuf::from("/repo/AGENTS.md"),
            text: "Use tabs.".into(),
        }];
        let run = system_prompt(
            Pane::Run,
            ApprovalMode::FullAuto,
            Path::new("/repo"),
            &files,
        );
        assert!(run.contains("Run agent") && !run.contains("You are the Chat agent"));
        assert!(run.contains("Workspace: /repo"));
        assert!(run.contains("full-auto"));
        assert!(run.contains("/repo/AGENTS.md") && run.contains("Use tabs."));
        let chat = system_prompt(Pane::Chat, ApprovalMode::Suggest, Path::new("/repo"), &[]);
        assert!(chat.contains("You are the Chat agent"));
    }
}
