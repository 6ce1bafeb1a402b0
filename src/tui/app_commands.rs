//! Custom slash commands in the TUI: handing the commands found to every
//! composer and `/help`, reading them again when the user opens the
//! command list (so a command file written meanwhile is there without a
//! restart), and running one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{App, Effect};
use super::composer::CommandTable;
use super::history::NoticeKind;
use crate::agent::Op;
use crate::config::commands::{CommandPane, Commands};

/// How often opening the command list may read the command files again.
const COMMANDS_REREAD: Duration = Duration::from_secs(2);

impl App {
    /// Makes `found` the custom commands of every composer and `/help`, and
    /// says in Chat what was wrong with any command file (and which files
    /// another one overrides).
    /// Problems already told are not told again when the commands are read
    /// again.
    pub fn set_custom_commands(&mut self, found: Commands) {
        let mut told = Vec::new();
        for issue in &found.issues {
            let text = issue.to_string();
            if !self.command_issues.contains(&text) {
                let kind = if issue.is_warning() {
                    NoticeKind::Warning
                } else {
                    NoticeKind::Info
                };
                self.panes[0].history.push_notice(text.clone(), kind);
            }
            told.push(text);
        }
        self.command_issues = told;
        self.commands = Arc::new(CommandTable::new(found.commands));
        let slots = self
            .panes
            .iter_mut()
            .chain(self.runs.iter_mut().map(|run| &mut run.slot));
        for slot in slots {
            slot.composer.set_commands(self.commands.clone());
        }
    }

    /// The focused composer holds just `/`: the command list opens, so the
    /// command files are read again in the background (at most every
    /// [`COMMANDS_REREAD`]); the list shows the new ones from the next key.
    pub(super) fn reread_commands_if_listing(&mut self) {
        let listing = self.focused().composer.text() == "/";
        let due = self
            .commands_read_at
            .is_none_or(|t| t.elapsed() >= COMMANDS_REREAD);
        if listing && due {
            self.commands_read_at = Some(Instant::now());
            self.effects.push(Effect::RereadCommands);
        }
    }

    /// Runs the custom command `name` typed with `args`: its prompt, with
    /// the arguments filled in, goes as a user message to the command's
    /// pane (the focused one unless the file names one), which gets the
    /// focus; a command with a `model` runs that one task on it. A note
    /// above the message says which command ran. Returns false when there
    /// is no such custom command.
    pub(super) fn custom_command(&mut self, name: &str, args: &str) -> bool {
        let Some(command) = self.commands.custom(name).cloned() else {
            return false;
        };
        let index = match command.pane {
            Some(CommandPane::Chat) => 0,
            Some(CommandPane::Run) => 1,
            None => self.focus,
        };
        let text = command.expand(args);
        if text.trim().is_empty() {
            let warning = format!(
                "/{} in {} gives an empty prompt: write the prompt in the file",
                command.name,
                command.path.display()
            );
            self.focused()
                .history
                .push_notice(warning, NoticeKind::Warning);
            return true;
        }
        let typed = format!("/{} {args}", command.name);
        let mut note = format!("{} · {} command", typed.trim_end(), command.origin.scope());
        if let Some(model) = &command.model {
            note.push_str(&format!(" · model {model} for this task"));
        }
        self.focus = index;
        self.panes[index]
            .history
            .push_notice(note, NoticeKind::Info);
        let op = match command.model {
            Some(model) => Op::UserMessageWithModel { text, model },
            None => Op::UserMessage(text),
        };
        self.submit_op(index, op);
        true
    }
}

#[cfg(test)]
#[path = "app_commands_tests.rs"]
mod tests;
