//! Hooks: the user's own commands run on session events (session start,
//! prompt submit, before and after a tool call, stop, notification,
//! pre-compact, session end), compatible with Claude Code's hooks.
//!
//! A hook gets the event as JSON on stdin and answers with its exit code
//! (0 go on, 2 block with stderr as the reason) and, optionally, JSON on
//! stdout (`decision`, `reason`, `additional_context`, or Claude's
//! `hookSpecificOutput`). The set of hooks comes from every configuration
//! layer plus Claude's settings files ([`config`], [`claude`]); the
//! session calls [`Hooks::run`] at each event and acts on the combined
//! [`HookRun`].
//!
//! Hooks are the user's own scripts: they run unsandboxed (like a shell
//! alias would), in the workspace, without provider keys in their
//! environment, killed with their whole process group after a timeout.

pub mod claude;
pub mod config;
pub mod input;
pub mod outcome;
pub mod runner;

use std::time::Duration;

use futures_util::future::join_all;
use regex::Regex;

use crate::exec::secrets::SecretPolicy;

pub use config::load;
pub use input::{HookContext, Payload};
pub use outcome::{HookOutcome, HookRun};

/// The default time a hook may take before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The events hooks run on; the names are those of `[hooks]` in
/// config.toml, [`HookEvent::claude_name`] those of Claude Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    SessionStart,
    UserPromptSubmit,
    PreToolUse,
    PostToolUse,
    Stop,
    Notification,
    PreCompact,
    SessionEnd,
}

impl HookEvent {
    /// Every event, in config order.
    pub const ALL: [HookEvent; 8] = [
        HookEvent::SessionStart,
        HookEvent::UserPromptSubmit,
        HookEvent::PreToolUse,
        HookEvent::PostToolUse,
        HookEvent::Stop,
        HookEvent::Notification,
        HookEvent::PreCompact,
        HookEvent::SessionEnd,
    ];

    /// The key under `[hooks]` (`pre_tool_use`), also the JSON `event`.
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "session_start",
            HookEvent::UserPromptSubmit => "user_prompt_submit",
            HookEvent::PreToolUse => "pre_tool_use",
            HookEvent::PostToolUse => "post_tool_use",
            HookEvent::Stop => "stop",
            HookEvent::Notification => "notification",
            HookEvent::PreCompact => "pre_compact",
            HookEvent::SessionEnd => "session_end",
        }
    }

    /// Claude Code's name (`PreToolUse`), sent as `hook_event_name` so
    /// Claude hook scripts work unchanged.
    pub fn claude_name(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::Stop => "Stop",
            HookEvent::Notification => "Notification",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::SessionEnd => "SessionEnd",
        }
    }

    /// The event of a Claude Code name; `None` for events Tandem has no
    /// equivalent of (`SubagentStop`, ...).
    pub fn from_claude(name: &str) -> Option<HookEvent> {
        HookEvent::ALL.into_iter().find(|e| e.claude_name() == name)
    }

    /// Whether a hook's block changes what happens (for the others a block
    /// is only reported).
    pub fn can_block(self) -> bool {
        !matches!(
            self,
            HookEvent::SessionStart | HookEvent::Notification | HookEvent::SessionEnd
        )
    }

    /// Whether plain (non-JSON) stdout of a hook is context for the model,
    /// as in Claude Code.
    fn plain_stdout_is_context(self) -> bool {
        matches!(self, HookEvent::UserPromptSubmit | HookEvent::SessionStart)
    }
}

/// One effective hook: where it came from, what it matches, what it runs.
#[derive(Debug, Clone)]
pub struct Hook {
    pub event: HookEvent,
    /// Matched against the whole tool name (tool events), the source
    /// (`session_start`) or the trigger (`pre_compact`); `None`: always.
    pub matcher: Option<Regex>,
    /// Run with `sh -c` in the workspace.
    pub command: String,
    pub timeout: Duration,
    /// The file the hook came from, for notes.
    pub origin: String,
}

impl Hook {
    /// Whether the hook runs for this target (tool name, source, trigger).
    pub fn matches(&self, target: Option<&str>) -> bool {
        match (&self.matcher, target) {
            (Some(re), Some(target)) => re.is_match(target),
            _ => true,
        }
    }
}

/// A matcher as written (`Bash|Edit`, `mcp__github__.*`, `*`) as a regular
/// expression over the whole name; `None` for "everything".
pub fn compile_matcher(matcher: Option<&str>) -> Result<Option<Regex>, regex::Error> {
    match matcher.map(str::trim) {
        None | Some("") | Some("*") => Ok(None),
        Some(m) => Regex::new(&format!("^(?:{m})$")).map(Some),
    }
}

/// The hooks of a session and what their children may not see.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    hooks: Vec<Hook>,
    /// Which environment variables are credentials, removed from every
    /// hook's environment.
    secrets: SecretPolicy,
}

impl Hooks {
    /// A hook set; `secrets` decides the variables hooks never see.
    pub fn new(hooks: Vec<Hook>, secrets: SecretPolicy) -> Hooks {
        Hooks { hooks, secrets }
    }

    /// Whether there are no hooks at all.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// Every hook, in the order they were configured.
    pub fn all(&self) -> &[Hook] {
        &self.hooks
    }

    /// The longest timeout of the hooks of `event`; `None` without any
    /// (a front end waits this long at exit for `session_end` hooks).
    pub fn longest_timeout(&self, event: HookEvent) -> Option<Duration> {
        self.hooks
            .iter()
            .filter(|h| h.event == event)
            .map(|h| h.timeout)
            .max()
    }

    /// The hooks that run for `payload`.
    pub fn matching(&self, payload: &Payload) -> Vec<&Hook> {
        let event = payload.event();
        let target = payload.target();
        self.hooks
            .iter()
            .filter(|h| h.event == event && h.matches(target))
            .collect()
    }

    /// Runs the matching hooks of `payload` in parallel in `ctx.cwd` and
    /// combines their answers. Never fails and never takes longer than the
    /// longest timeout: a hook that cannot start, fails or times out is a
    /// reported, non-blocking error.
    pub async fn run(&self, ctx: &HookContext, payload: &Payload) -> HookRun {
        let hooks = self.matching(payload);
        if hooks.is_empty() {
            return HookRun::default();
        }
        let stdin = payload.to_json(ctx).to_string();
        let event = payload.event();
        let runs = hooks.iter().map(|hook| {
            let stdin = stdin.as_bytes();
            async move {
                let raw = runner::run(hook, stdin, &ctx.cwd, &self.secrets).await;
                (hook.command.clone(), outcome::interpret(event, raw))
            }
        });
        HookRun::combine(event, join_all(runs).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_match_the_whole_name() {
        let re = compile_matcher(Some("shell|edit_file")).unwrap().unwrap();
        assert!(re.is_match("shell"));
        assert!(re.is_match("edit_file"));
        assert!(!re.is_match("shell_extra"), "anchored at both ends");
        let mcp = compile_matcher(Some("mcp__github__.*")).unwrap().unwrap();
        assert!(mcp.is_match("mcp__github__create_issue"));
        assert!(!mcp.is_match("mcp__gitlab__x"));
        assert!(compile_matcher(Some("*")).unwrap().is_none());
        assert!(compile_matcher(Some("")).unwrap().is_none());
        assert!(compile_matcher(Some("(")).is_err());
    }

    #[test]
    fn claude_names_round_trip() {
        for event in HookEvent::ALL {
            assert_eq!(HookEvent::from_claude(event.claude_name()), Some(event));
        }
        assert_eq!(HookEvent::from_claude("SubagentStop"), None);
    }
}
