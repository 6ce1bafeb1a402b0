//! The slash commands: the built-in table plus the custom commands found
//! at start-up ([`CommandTable`]), which the composer completes from,
//! parses against, and that `/help` lists.

use crate::config::commands::CustomCommand;

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
        name: "theme",
        args: "[name]",
        description: "List the colour themes, or switch to one",
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
    SlashCommand {
        name: "mcp",
        args: "[restart NAME]",
        description: "List MCP servers and their tools, or restart one",
    },
    SlashCommand {
        name: "host",
        args: "[claude|codex|COMMAND]",
        description: "Host a terminal agent in this pane instead of its session",
    },
];

/// The built-in command called `name`, if any.
pub fn find(name: &str) -> Option<&'static SlashCommand> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// A command as the completion popup and `/help` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandEntry {
    pub name: String,
    /// Argument hint (empty when none is given).
    pub args: String,
    pub description: String,
    /// `project` or `user` for a custom command; `None` for a built-in.
    pub origin: Option<&'static str>,
    /// Whether it wants arguments: then Enter in the popup completes the
    /// name and waits for them instead of running it.
    pub takes_arguments: bool,
}

/// The built-in commands plus the custom ones: what every composer
/// completes and parses against, and what `/help` lists. Shared (behind an
/// `Arc`) by the app and every composer.
#[derive(Debug, Clone, Default)]
pub struct CommandTable {
    /// Sorted by name; none is named like a built-in (discovery drops
    /// those, and [`CommandTable::new`] makes sure).
    custom: Vec<CustomCommand>,
}

impl CommandTable {
    /// The built-ins plus `custom`.
    pub fn new(custom: Vec<CustomCommand>) -> Self {
        let custom = custom
            .into_iter()
            .filter(|c| find(&c.name).is_none())
            .collect();
        Self { custom }
    }

    /// The custom command called `name` (compared in lowercase).
    pub fn custom(&self, name: &str) -> Option<&CustomCommand> {
        let name = name.to_lowercase();
        self.custom.iter().find(|c| c.name == name)
    }

    /// Every command, built-ins first (in table order), then the custom
    /// ones by name.
    pub fn entries(&self) -> Vec<CommandEntry> {
        let built_in = COMMANDS.iter().map(|c| CommandEntry {
            name: c.name.to_string(),
            args: c.args.to_string(),
            description: c.description.to_string(),
            origin: None,
            takes_arguments: !c.args.is_empty(),
        });
        let custom = self.custom.iter().map(|c| CommandEntry {
            name: c.name.clone(),
            args: c.argument_hint.clone(),
            description: c.description.clone(),
            origin: Some(c.origin.scope()),
            takes_arguments: c.takes_arguments(),
        });
        built_in.chain(custom).collect()
    }

    /// Splits `/name args` into the command's name and its trimmed
    /// arguments when `name` is a built-in or custom command. Anything else
    /// (`/usr/bin is slow`, `/foo`) is not a command and is sent as text.
    pub(super) fn parse(&self, text: &str) -> Option<(String, String)> {
        let rest = text.strip_prefix('/')?;
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let typed = &rest[..end];
        let name = match find(typed) {
            Some(command) => command.name.to_string(),
            None => self.custom(typed)?.name.clone(),
        };
        Some((name, rest[end..].trim().to_string()))
    }
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
        let table = CommandTable::default();
        let parse = |text| table.parse(text);
        assert_eq!(
            parse("/mode  full-auto "),
            Some(("mode".into(), "full-auto".into()))
        );
        assert_eq!(parse("/help"), Some(("help".into(), String::new())));
        assert!(parse("/foo bar").is_none());
        assert!(parse("/usr/bin/env").is_none());
        assert!(parse("help").is_none());
    }

    #[test]
    fn custom_commands_parse_and_list_after_the_built_ins() {
        let command = |name: &str| CustomCommand {
            name: name.into(),
            description: format!("{name} things"),
            argument_hint: String::new(),
            pane: None,
            model: None,
            body: "Do $ARGUMENTS".into(),
            origin: crate::config::commands::Origin::UserClaude,
            path: format!("/home/u/.claude/commands/{name}.md").into(),
        };
        let table = CommandTable::new(vec![command("git:commit"), command("help")]);
        assert_eq!(
            table.parse("/Git:Commit fix the bug"),
            Some(("git:commit".into(), "fix the bug".into()))
        );
        // A custom command never replaces a built-in.
        assert!(table.custom("help").is_none());
        let entries = table.entries();
        assert_eq!(entries.len(), COMMANDS.len() + 1);
        let last = entries.last().unwrap();
        assert_eq!(
            (last.name.as_str(), last.origin, last.takes_arguments),
            ("git:commit", Some("user"), true)
        );
    }
}
