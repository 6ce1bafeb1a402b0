//! What a `host` value stands for: `claude` and `codex` get the flags that
//! suit the pane they are in; anything else is a shell command line.

use crate::agent::Pane;

/// A command line to host in a pane, and the name it is shown by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    /// What messages call it: `claude`, `codex`, or the command line as
    /// typed with each path cut to its file name (`sh /long/dir/agent.sh` is
    /// `sh agent.sh`), so "… exited with code 7" fits a narrow pane.
    pub label: String,
    /// The program, looked up on `PATH`.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl HostCommand {
    /// The full command line, for messages.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The command line for `host` in `pane`.
///
/// - `claude` (Claude Code). Chat: no flags, so it asks before every edit
///   and command, like Tandem's own Chat (`suggest`). Run: `--permission-mode
///   acceptEdits`, so it edits without asking but still asks before shell
///   commands. Not `--dangerously-skip-permissions` (bypassPermissions):
///   Claude Code documents that for isolated containers only, and a hosted
///   program runs outside Tandem's kernel sandbox.
/// - `codex` (Codex CLI). Chat: no flags, Codex's own default (workspace-write
///   sandbox, asking on request), the closest to an interactive pair. Run:
///   `--full-auto`, Codex's alias for its sandboxed low-friction mode
///   (workspace-write, no prompts for work inside the sandbox), which is what
///   an autonomous pane is for while Codex's own sandbox still confines it.
/// - anything else: run as written with `sh -c`, so pipes, quotes and
///   arguments work as in a shell; a plain command (no shell operators) is
///   `exec`ed by that shell, so the program itself is the pane's process:
///   its exit code is the one reported, and Ctrl-C reaches only it (a
///   waiting `sh` would otherwise take the SIGINT too and, being dash, kill
///   itself with it when the program exits).
pub fn preset(host: &str, pane: Pane) -> HostCommand {
    let host = host.trim();
    let (program, args): (&str, &[&str]) = match (host, pane) {
        ("claude", Pane::Chat) => ("claude", &[]),
        ("claude", Pane::Run) => ("claude", &["--permission-mode", "acceptEdits"]),
        ("codex", Pane::Chat) => ("codex", &[]),
        ("codex", Pane::Run) => ("codex", &["--full-auto"]),
        _ => {
            let plain = !host.contains(|c: char| "|&;<>()`$\n".contains(c));
            let script = if plain {
                format!("exec {host}")
            } else {
                host.to_string()
            };
            return HostCommand {
                label: short_label(host),
                program: "sh".into(),
                args: vec!["-c".into(), script],
            };
        }
    };
    HostCommand {
        label: host.to_string(),
        program: program.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

/// `host` with every word that is a path shortened to its file name: how
/// titles and messages name a hosted command.
pub fn short_label(host: &str) -> String {
    host.split_whitespace()
        .map(|word| match word.rsplit_once('/') {
            Some((_, name)) if !name.is_empty() => name,
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_asks_in_chat_and_accepts_edits_in_run() {
        let chat = preset("claude", Pane::Chat);
        assert_eq!(chat.display(), "claude");
        assert_eq!(chat.label, "claude");
        let run = preset(" claude ", Pane::Run);
        assert_eq!(run.display(), "claude --permission-mode acceptEdits");
        assert!(!run.args.iter().any(|a| a.contains("dangerously")));
    }

    #[test]
    fn codex_runs_full_auto_in_run_only() {
        assert_eq!(preset("codex", Pane::Chat).display(), "codex");
        assert_eq!(preset("codex", Pane::Run).display(), "codex --full-auto");
    }

    #[test]
    fn other_commands_go_through_the_shell() {
        let cmd = preset("aider --model x | tee log", Pane::Run);
        assert_eq!(cmd.program, "sh");
        assert_eq!(cmd.args, vec!["-c", "aider --model x | tee log"]);
        assert_eq!(cmd.label, "aider --model x | tee log");
        let plain = preset("aider --model 'x y'", Pane::Chat);
        assert_eq!(plain.args, vec!["-c", "exec aider --model 'x y'"]);
    }

    #[test]
    fn paths_in_the_label_are_cut_to_file_names() {
        let cmd = preset(
            "sh /a/very/long/checkout/path/tests/agent.sh --dir ./x/",
            Pane::Run,
        );
        assert_eq!(cmd.label, "sh agent.sh --dir ./x/");
        assert_eq!(
            cmd.args,
            vec![
                "-c",
                "exec sh /a/very/long/checkout/path/tests/agent.sh --dir ./x/"
            ]
        );
    }
}
