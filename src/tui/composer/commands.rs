//! The slash commands: one table that the composer completes from, parses
//! against, and that `/help` lists.

/// A command typed as `/name args` in a composer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashCommand {
    /// The name after the slash, lowercase.
    pub name: &'static str,
    /// Argument hint shown after the name (empty when it takes none), so
    /// the completion popup and `/help` show how to call it.
    pub args: &'static str,
    /// One line on what it does, for the popup and `/help`.
    pub description: &'static str,
}

/// Every built-in command, in the order the popup and `/help` show them.
pub const COMMANDS: &[SlashCommand] = &[
    SlashCommand {
        name: "help",
        args: "",
        description: "List commands and keys",
    },
    SlashCommand {
        name: "mode",
        args: "<suggest|auto-edit|full-auto>",
        description: "Set this pane's approval mode",
    },
    SlashCommand {
        name: "model",
        args: "[name]",
        description: "Show or switch this pane's model",
    },
    SlashCommand {
        name: "provider",
        args: "[name]",
        description: "Show or switch this pane's provider",
    },
    SlashCommand {
        name: "clear",
        args: "",
        description: "Start a new conversation in this pane",
    },
    SlashCommand {
        name: "quit",
        args: "",
        description: "Leave Tandem",
    },
    SlashCommand {
        name: "diff",
        args: "[run|chat|you|last]",
        description: "Review changes (last: the last Run task's)",
    },
    SlashCommand {
        name: "budget",
        args: "[KEY VALUE|off]",
        description: "Show or set this session's budgets",
    },
    SlashCommand {
        name: "compact",
        args: "[focus]",
        description: "Summarise older turns to free context",
    },
    SlashCommand {
        name: "review",
        args: "",
        description: "Chat reviews the diff of Run's last task",
    },
    SlashCommand {
        name: "resume",
        args: "[ID]",
        description: "List saved sessions, or continue one",
    },
    SlashCommand {
        name: "run",
        args: "--worktree TASK",
        description: "Run a task in its own git worktree",
    },
    SlashCommand {
        name: "runs",
        args: "[N [diff|merge|discard]|main]",
        description: "List, show, merge or discard worktree runs",
    },
    SlashCommand {
        name: "rewind",
        args: "[N [files]]",
        description: "Go back to before task N (and its files)",
    },
    SlashCommand {
        name: "quota",
        args: "",
        description: "Show tokens, cost and budgets",
    },
    SlashCommand {
        name: "memory",
        args: "",
        description: "List the AGENTS.md / CLAUDE.md files loaded and where to add one",
    },
    SlashCommand {
        name: "init",
        args: "",
        description: "Ask the agent to write AGENTS.md for this repository",
    },
    SlashCommand {
        name: "handoff",
        args: "[note]",
        description: "Hand Chat's plan to the Run pane",
    },
    SlashCommand {
        name: "plan",
        args: "",
        description: "Toggle planning mode in Chat: read and plan, change nothing",
    },
];

/// The built-in command called `name`, if any.
pub fn find(name: &str) -> Option<&'static SlashCommand> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Splits `/name args` into the command and its trimmed arguments when
/// `name` is a known command. Anything else (`/usr/bin is slow`, `/foo`) is
/// not a command and is sent as text.
pub(super) fn parse(text: &str) -> Option<(&'static SlashCommand, String)> {
    let rest = text.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let command = find(&rest[..end])?;
    Some((command, rest[end..].trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_words() {
        for (i, c) in COMMANDS.iter().enumerate() {
            assert!(c.name.chars().all(|ch| ch.is_ascii_lowercase()));
            assert!(!c.description.is_empty());
            assert!(COMMANDS[i + 1..].iter().all(|o| o.name != c.name));
        }
    }

    #[test]
    fn parse_splits_known_commands_only() {
        let (c, args) = parse("/mode  full-auto ").unwrap();
        assert_eq!((c.name, args.as_str()), ("mode", "full-auto"));
        let (c, args) = parse("/help").unwrap();
        assert_eq!((c.name, args.as_str()), ("help", ""));
        assert!(parse("/foo bar").is_none());
        assert!(parse("/usr/bin/env").is_none());
        assert!(parse("help").is_none());
    }
}
