//! The typed messages between a front end and a session.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::exec::ApprovalMode;
use crate::provider::{RateLimitSnapshot, Usage};
use crate::tools::{PlanStep, SandboxSummary};

/// Which pane a session belongs to; decides its persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    /// Interactive pair programming: explains, asks at decision points.
    Chat,
    /// Autonomous execution: works to the end, then summarises.
    Run,
}

/// What a front end asks of a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Start a task (or queue it if one is running).
    UserMessage(String),
    /// Start a task that is done only when `until` (a shell command, run in
    /// the workspace under the session's sandbox) exits 0: each time the
    /// agent stops while it fails, its output goes back to the agent and the
    /// task goes on, within `max_turns` and the budget (`/handoff --until`,
    /// `tandem exec --until`).
    TaskUntil { text: String, until: String },
    /// Start a task (or queue it) whose model calls use `model` instead of
    /// the session's model; the session's model is back in place when the
    /// task ends (a custom command's `model:`). A [`Op::SetModel`] during
    /// the task switches the rest of it and stays.
    UserMessageWithModel { text: String, model: String },
    /// Answer an [`Event::ApprovalRequest`].
    Approval {
        call_id: String,
        decision: ApprovalDecision,
    },
    /// Stop the running task now; the history stays valid.
    Interrupt,
    /// Change the approval mode from the next tool call on.
    SetMode(ApprovalMode),
    /// Use another model of the same provider from the next model call on.
    SetModel(String),
    /// Planning mode: edits and commands are refused with a note telling the
    /// model to propose a plan instead (the Chat pane's `/plan`).
    SetPlanning(bool),
    /// Forget the conversation (the next task starts fresh); usage totals stay.
    ClearHistory,
    /// Summarise the older part of the conversation now (`/compact
    /// [focus]`); the focus, if any, tells the summary what to keep.
    Compact(Option<String>),
    /// Take the conversation back to before task `before_task` (counted
    /// from 1 like [`Event::TaskStarted`]s): that task and everything after
    /// it are no longer sent to the model. Ignored while a task runs.
    Rewind { before_task: u32 },
    /// Replace the conversation with a saved one (resuming a session); the
    /// next task continues it. Ignored while a task runs.
    RestoreHistory(Vec<crate::provider::Message>),
    /// Answer an [`Event::BudgetPaused`]: `proceed` makes the next model
    /// call (Chat: this one call, it asks again before the next; Run: every
    /// call until the task ends, the explicit override), `false` ends the
    /// task with [`TaskStatus::Budget`].
    BudgetDecision { proceed: bool },
    /// Stop everything and end the session task.
    Shutdown,
}

/// The user's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalDecision {
    /// Run this call.
    Approve,
    /// Run this call, and add the request's `always` rules so calls like it
    /// run without asking for the rest of the session.
    ApproveForSession,
    /// Do not run it; the optional text is passed to the model.
    Deny(Option<String>),
}

/// How a task ended (read back from transcripts, too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// The model finished.
    Ok,
    /// A provider error ended the task.
    Error,
    /// The user interrupted.
    Interrupted,
    /// `max_turns` model calls were made and the model still wanted more.
    MaxTurns,
    /// A budget is spent and the user (or headless mode) stopped the task
    /// before its next model call.
    Budget,
    /// A `user_prompt_submit` hook blocked the prompt: nothing was sent.
    Blocked,
}

impl TaskStatus {
    /// How the task ended, in words ("finished", "failed", ...), for
    /// summaries and notifications.
    pub fn describe(self) -> &'static str {
        match self {
            TaskStatus::Ok => "finished",
            TaskStatus::Error => "failed",
            TaskStatus::Interrupted => "was interrupted",
            TaskStatus::MaxTurns => "stopped at max turns",
            TaskStatus::Budget => "stopped: budget spent",
            TaskStatus::Blocked => "was blocked by a hook",
        }
    }
}

/// What a session reports. Front ends render these; nothing else flows back.
/// Serialisable so a session transcript can keep every event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// Sent once when the session task starts.
    SessionStarted {
        session_id: String,
        pane: Pane,
        provider: String,
        model: String,
        mode: ApprovalMode,
        cwd: PathBuf,
        /// How commands are confined; a front end shows an unenforced
        /// sandbox in red.
        sandbox: SandboxSummary,
    },
    /// Instruction files (`AGENTS.md`, `CLAUDE.md`, …) the session loaded:
    /// the user and project files right after [`Event::SessionStarted`],
    /// then the files of each subdirectory when a tool call first reaches
    /// it. `searched` lists the paths looked at for user and project files
    /// (where one can be added); empty for subdirectory loads.
    InstructionsLoaded {
        files: Vec<crate::config::instructions::InstructionInfo>,
        searched: Vec<PathBuf>,
    },
    /// A task (user message) began.
    TaskStarted { text: String },
    /// A model call began (`turn` counts from 1 within the task).
    TurnStarted { turn: u32 },
    /// Streamed answer text.
    TextDelta(String),
    /// Streamed reasoning text.
    ReasoningDelta(String),
    /// Discard the partial deltas of the current model call: a retry
    /// produced different output.
    StreamReset,
    /// The complete answer text of one model call (non-empty).
    AssistantMessage { text: String },
    /// The complete reasoning text of one model call (non-empty).
    Reasoning { text: String },
    /// A tool call is about to run (or to be asked about).
    ToolCall {
        id: String,
        name: String,
        input: serde_json::Value,
        summary: String,
    },
    /// Live output of a running tool (raw PTY bytes).
    ToolOutputDelta { id: String, bytes: Vec<u8> },
    /// A tool call finished; `output` is what the model sees.
    ToolResult {
        id: String,
        name: String,
        ok: bool,
        output: String,
        /// The command's exit code, for `shell`.
        exit_code: Option<i32>,
        duration: Duration,
    },
    /// A call needs the user's approval; answer with [`Op::Approval`].
    ApprovalRequest {
        id: String,
        name: String,
        summary: String,
        input: serde_json::Value,
        /// Why it asks beyond the approval mode (an `ask` rule, a command
        /// that cannot be analysed), if anything.
        reason: Option<String>,
        /// The rules [`ApprovalDecision::ApproveForSession`] adds; empty
        /// when no safe rule exists (then it approves this call only).
        always: Vec<String>,
    },
    /// The agent's plan changed.
    PlanUpdated(Vec<PlanStep>),
    /// Usage of one model call and the session total so far.
    Usage { call: Usage, total: Usage },
    /// Rate-limit headroom from the latest response.
    RateLimits(RateLimitSnapshot),
    /// A model call failed in a retryable way and will be retried.
    Retrying {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// Older turns were summarised to free context: `summarised` messages
    /// became one summary; `kept` recent ones are sent verbatim.
    Compacted { summarised: usize, kept: usize },
    /// The conversation went back to before task `task` ([`Op::Rewind`]);
    /// `dropped` messages are no longer sent to the model.
    Rewound { task: u32, dropped: usize },
    /// The completion check of an [`Op::TaskUntil`] ran.
    CheckResult {
        command: String,
        passed: bool,
        exit_code: Option<i32>,
        /// The command's output (capped) as the agent sees it.
        output: String,
    },
    /// A budget is spent: the session waits before its next model call
    /// until [`Op::BudgetDecision`] (or the budget is raised: the session
    /// re-checks every second and goes on by itself once it is no longer
    /// spent). Nothing in flight is lost.
    BudgetPaused { message: String },
    /// The wait of [`Event::BudgetPaused`] is over (the model call goes on).
    BudgetResumed,
    /// A hook's answer worth showing (a block, an allow, added context, a
    /// failure or a timeout); [`Event::hook_line`] words it.
    Hook {
        /// The hook event (`pre_tool_use`).
        event: String,
        /// The hook's command.
        command: String,
        /// The tool, for tool events.
        tool: Option<String>,
        outcome: crate::hooks::HookOutcome,
    },
    /// Something went wrong; the text says what and what to do.
    Error { message: String },
    /// The task ended.
    TaskComplete {
        status: TaskStatus,
        turns: u32,
        total: Usage,
        last_message: Option<String>,
    },
    /// The session task ended (after [`Op::Shutdown`]).
    ShutdownComplete,
}

impl Event {
    /// The one line every front end shows for an [`Event::CheckResult`]
    /// ("✗ check failed (exit 1): cargo test; the agent goes on"); `None`
    /// for other events.
    pub fn check_line(&self) -> Option<String> {
        let Event::CheckResult {
            command,
            passed,
            exit_code,
            ..
        } = self
        else {
            return None;
        };
        Some(if *passed {
            format!("✓ check passed: {command}")
        } else {
            let code = exit_code.map_or_else(String::new, |c| format!(" (exit {c})"));
            format!("✗ check failed{code}: {command}; the agent goes on")
        })
    }
}

impl Event {
    /// The one line every front end shows for an [`Event::Hook`] ("hook
    /// pre_tool_use blocked shell: no rm here; the tool did not run");
    /// `None` for other events.
    pub fn hook_line(&self) -> Option<String> {
        let Event::Hook {
            event,
            command,
            tool,
            outcome,
        } = self
        else {
            return None;
        };
        Some(crate::hooks::outcome::line(
            event,
            command,
            tool.as_deref(),
            outcome,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_event_serialises_for_transcripts() {
        let events = [
            Event::TextDelta("hi".into()),
            Event::TurnStarted { turn: 2 },
            Event::BudgetResumed,
            Event::ToolResult {
                id: "c1".into(),
                name: "shell".into(),
                ok: true,
                output: "ok".into(),
                exit_code: Some(0),
                duration: Duration::from_millis(1500),
            },
        ];
        let json: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).expect("serialises"))
            .collect();
        assert_eq!(json[0], r#"{"type":"text_delta","data":"hi"}"#);
        assert_eq!(json[1], r#"{"type":"turn_started","data":{"turn":2}}"#);
        assert_eq!(json[2], r#"{"type":"budget_resumed"}"#);
        assert!(json[3].contains(r#""exit_code":0"#), "{}", json[3]);
    }
}
