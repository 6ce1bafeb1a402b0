//! System prompts: the pane's persona, the environment, and the project's
//! instruction files; and the block of subdirectory instructions a tool
//! result carries when a call first reaches a directory that has its own.

use std::path::Path;
use std::time::SystemTime;

use super::Pane;
use crate::config::instructions::{InstructionFile, InstructionInfo, InstructionSet};
use crate::exec::ApprovalMode;
use crate::provider::ToolCall;
use crate::tools::{Registry, ToolKind};

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

/// The task `/init` gives an agent: write (or improve) the repository's
/// `AGENTS.md`, the file both Codex and Tandem read (Claude Code users can
/// point their `CLAUDE.md` at it with `@AGENTS.md`).
pub const INIT_PROMPT: &str = "\
Explore this repository and write a concise AGENTS.md at the repository root: the instructions a \
coding agent (or a new teammate) needs before changing code here. Read the build files, the README, \
the CI configuration and a sample of the source and tests before you write anything.

Cover, in short sections with bullet points:
- Build, test, lint and format commands, exactly as they are run here (including how to run a single \
test), and anything that must be installed or set first.
- Layout: the main directories and what lives in each; entry points; generated or vendored code not \
to edit by hand.
- Conventions that the code actually follows: style, naming, error handling, testing patterns, \
commit or PR rules.
- Gotchas: surprising behaviour, slow or flaky steps, things that break easily, required environment.

Be specific to this repository: no generic advice, nothing you could not verify in the code. Keep it \
under about 150 lines. If an AGENTS.md already exists, read it first and update it: keep what is \
still true, fix what is wrong, add what is missing; do not overwrite it wholesale. Also take into \
account any CLAUDE.md, .cursorrules or similar files you find. When you are done, summarise what \
you wrote or changed.";

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
        prompt.push_str(&instruction_section(file));
    }
    prompt
}

/// One instruction file in the system prompt, or the note saying it was
/// skipped.
fn instruction_section(file: &InstructionFile) -> String {
    if file.info.skipped {
        let note = file.info.note.as_deref().unwrap_or_default();
        return format!("\n# Instructions skipped: {}\n{note}\n", file.display);
    }
    let heading = match file.info.level {
        crate::config::instructions::Level::User => "User instructions",
        _ => "Project instructions",
    };
    format!(
        "\n# {heading} from {}\n{}\n",
        file.display,
        file.text.trim_end()
    )
}

/// The instruction files a finished tool call brings in: those of the
/// directories below the workspace on the way to the paths it read or
/// changed, not loaded yet in this session. Returns the block to append
/// to its result for the model, and what to report to the front end.
pub fn call_instructions(
    set: &mut InstructionSet,
    tools: &Registry,
    call: &ToolCall,
    workspace: &Path,
) -> Option<(String, Vec<InstructionInfo>)> {
    let tool = tools.get(&call.name)?;
    if !matches!(tool.kind(), ToolKind::Read | ToolKind::Edit) || !set.is_active() {
        return None;
    }
    let input = serde_json::from_str(&call.arguments).unwrap_or(serde_json::Value::Null);
    let files = set.for_targets(&tool.targets(&input, workspace));
    if files.is_empty() {
        return None;
    }
    let infos = files.iter().map(|f| f.info.clone()).collect();
    Some((subdirectory_block(&files), infos))
}

/// The delimited block of subdirectory instructions appended to a tool
/// result.
fn subdirectory_block(files: &[InstructionFile]) -> String {
    let mut block = String::new();
    for file in files {
        let dir = Path::new(&file.display)
            .parent()
            .map(|d| format!("{}/", d.display()))
            .unwrap_or_default();
        if file.info.skipped {
            let note = file.info.note.as_deref().unwrap_or_default();
            block.push_str(&format!("\n\n{note}"));
            continue;
        }
        block.push_str(&format!(
            "\n\n--- Instructions for {dir} from {} (they apply to work under {dir}) ---\n{}\n--- end of {} ---",
            file.display,
            file.text.trim_end(),
            file.display,
        ));
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::instructions::Level;
    use std::path::PathBuf;

    fn file(display: &str, level: Level, text: &str, note: Option<&str>) -> InstructionFile {
        InstructionFile {
            info: InstructionInfo {
                path: PathBuf::from("/repo").join(display),
                level,
                bytes: text.len(),
                kept: text.len(),
                truncated: false,
                skipped: note.is_some(),
                imports: Vec::new(),
                note: note.map(str::to_string),
            },
            display: display.into(),
            text: text.into(),
        }
    }

    #[test]
    fn persona_environment_and_instructions_are_included() {
        let files = [
            file("~/.claude/CLAUDE.md", Level::User, "Be brief.", None),
            file("AGENTS.md", Level::Project, "Use tabs.", None),
            file(
                "CLAUDE.md",
                Level::Project,
                "",
                Some("[skipped: CLAUDE.md (9 bytes)]"),
            ),
        ];
        let run = system_prompt(
            Pane::Run,
            ApprovalMode::FullAuto,
            Path::new("/repo"),
            &files,
        );
        assert!(run.contains("Run agent") && !run.contains("You are the Chat agent"));
        assert!(run.contains("Workspace: /repo"));
        assert!(run.contains("full-auto"));
        assert!(run.contains("# User instructions from ~/.claude/CLAUDE.md\nBe brief.\n"));
        assert!(run.contains("# Project instructions from AGENTS.md\nUse tabs.\n"));
        assert!(run.contains("# Instructions skipped: CLAUDE.md\n[skipped: CLAUDE.md (9 bytes)]"));
        let chat = system_prompt(Pane::Chat, ApprovalMode::Suggest, Path::new("/repo"), &[]);
        assert!(chat.contains("You are the Chat agent"));
    }

    #[test]
    fn a_subdirectory_block_names_the_directory_and_the_file() {
        let block = subdirectory_block(&[file(
            "sub/dir/AGENTS.md",
            Level::Subdirectory,
            "No unwrap here.\n",
            None,
        )]);
        assert_eq!(
            block,
            "\n\n--- Instructions for sub/dir/ from sub/dir/AGENTS.md (they apply to work under sub/dir/) ---\n\
             No unwrap here.\n--- end of sub/dir/AGENTS.md ---"
        );
    }
}
