//! [`Session`]: one conversation with one model, run as a tokio task.
//!
//! The turn loop: send the history to the model, stream its answer out as
//! events, run the tool calls it made (asking for approval where the mode
//! says so), append the results, and call the model again until it stops
//! or `max_turns` calls were made. Every await that can take long races the
//! op channel, so an interrupt is honoured within milliseconds and leaves a
//! history the next request can be built on.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::compact::{self, CompactPolicy};
use super::gate::{Gate, gate};
use super::prompt::call_instructions;
use super::protocol::{ApprovalDecision, Event, Op, Pane, TaskStatus};
use super::truncate::cap_middle;
use crate::config::instructions::InstructionSet;
use crate::exec::rules::Category;
use crate::exec::secrets::Redactor;
use crate::exec::{ApprovalMode, Permissions};
use crate::hooks::Hooks;
use crate::provider::{
    Accumulator, AssistantPart, Message, ModelClient, ModelRequest, ProviderError, ReasoningEffort,
    StreamEvent, ToolCall, Usage,
};
use crate::quota::{BudgetKind, BudgetState, Meter};
use crate::store::Transcript;
use crate::tools::{
    ReadFilter, Registry, ShellSettings, Tool, ToolContext, ToolKind, ToolOutput, ToolProgress,
};
use crate::workspace::Tracker;

mod hook_calls;

/// Events buffered between a session and a slow front end before the
/// session waits (backpressure instead of unbounded memory).
const EVENT_BUFFER: usize = 1024;

/// How long an interrupted tool gets to wind down before it is abandoned.
const TOOL_GRACE: Duration = Duration::from_secs(2);

/// Everything a session needs; built by a front end from the configuration.
#[derive(Clone)]
pub struct SessionConfig {
    pub session_id: String,
    pub pane: Pane,
    pub client: Arc<dyn ModelClient>,
    pub model: String,
    pub mode: ApprovalMode,
    /// Absolute workspace root.
    pub workspace: PathBuf,
    /// Model calls per task.
    pub max_turns: u32,
    pub max_output_tokens: u32,
    pub reasoning: Option<ReasoningEffort>,
    /// Bytes of one tool result sent to the model.
    pub tool_output_cap: usize,
    /// False in headless mode: calls that need approval are refused.
    pub can_approve: bool,
    /// Forward live tool output as [`Event::ToolOutputDelta`].
    pub live_output: bool,
    pub system_prompt: String,
    pub tools: Registry,
    pub shell: Arc<ShellSettings>,
    /// Permission rules (user, project, and the session's own "always"
    /// answers, added as they come).
    pub permissions: Permissions,
    /// Replaces secret values in everything the session passes on (tool
    /// output, model text, errors), so a key a tool prints never reaches the
    /// model, the front end or a transcript.
    pub redactor: Arc<Redactor>,
    /// The workspace's change tracker, shared by both panes: told about
    /// every tool call and the end of every turn that ran tools, so each
    /// change is checkpointed and attributed to this pane, task and tool.
    /// `None` where nobody reviews (headless runs).
    pub tracker: Option<Arc<Tracker>>,
    /// The shared usage ledger and budgets: every model call is recorded,
    /// and a spent budget pauses the session before its next call. `None`
    /// in tests that do not meter.
    pub meter: Option<Arc<Meter>>,
    /// The model's context window in tokens, when known: the session
    /// compacts its history when the context fills past the policy's
    /// threshold.
    pub context_window: Option<u64>,
    /// When and how to compact.
    pub compact: CompactPolicy,
    /// Where every event and history message goes as it happens (shared
    /// by both panes of a process); `None` records nothing.
    pub transcript: Option<Arc<Transcript>>,
    /// The instruction files in the system prompt, reported at start, and
    /// the loader of subdirectory files as tool calls reach them. The
    /// default set loads nothing.
    pub instructions: InstructionSet,
    /// The user's hooks ([`crate::hooks`]), run on the session's events.
    pub hooks: Arc<Hooks>,
}

impl SessionConfig {
    /// A session of `model` through `client` on `workspace` with nothing
    /// around it: the Chat pane in suggest mode, the core tools, no change
    /// tracker, meter, transcript, instruction files, hooks or MCP servers,
    /// and modest limits. For embedding a session and for tests; front ends
    /// build theirs from the configuration with
    /// [`crate::agent::setup::session_config`]. Override fields with
    /// struct-update syntax.
    pub fn basic(client: Arc<dyn ModelClient>, model: &str, workspace: PathBuf) -> Self {
        Self {
            session_id: new_session_id(),
            pane: Pane::Chat,
            client,
            model: model.to_string(),
            mode: ApprovalMode::Suggest,
            workspace,
            max_turns: 10,
            max_output_tokens: 1024,
            reasoning: None,
            tool_output_cap: 4096,
            can_approve: true,
            live_output: false,
            system_prompt: String::new(),
            tools: Registry::core(),
            shell: Arc::new(ShellSettings::default()),
            permissions: Permissions::default(),
            redactor: Arc::new(Redactor::default()),
            tracker: None,
            meter: None,
            context_window: None,
            compact: CompactPolicy::default(),
            transcript: None,
            instructions: InstructionSet::default(),
            hooks: Arc::new(Hooks::default()),
        }
    }
}

/// A front end's end of a running session.
pub struct SessionHandle {
    /// Send [`Op`]s here.
    pub ops: mpsc::UnboundedSender<Op>,
    /// Receive [`Event`]s here.
    pub events: mpsc::Receiver<Event>,
    /// The session task; ends after [`Op::Shutdown`] or when `ops` is dropped.
    pub task: JoinHandle<()>,
}

/// A fresh, unique-enough session id: seconds since the epoch and 32 random bits.
pub fn new_session_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!("{secs:x}-{:08x}", fastrand::u32(..))
}

/// What an op that arrived while the session was busy asks for.
enum BusyOp {
    /// Nothing to do now (queued message, stale approval).
    Continue,
    /// Stop the current task.
    Interrupt,
}

/// How one model call ended.
enum CallOutcome {
    Done(Vec<ToolCall>),
    Interrupted,
    Failed(ProviderError),
}

/// A conversation with one model. Create it with [`Session::spawn`].
pub struct Session {
    cfg: SessionConfig,
    history: Vec<Message>,
    total: Usage,
    events: mpsc::Sender<Event>,
    ops: mpsc::UnboundedReceiver<Op>,
    /// Tasks sent while one ran: text, completion check, model override.
    queued: VecDeque<(String, Option<String>, Option<String>)>,
    /// The session's model while a task runs on another one
    /// ([`Op::UserMessageWithModel`]); put back when the task ends.
    model_after_task: Option<String>,
    shutting_down: bool,
    /// Hides files that `read` deny rules forbid from walking tools.
    read_filter: ReadFilter,
    /// Planning mode (`Op::SetPlanning`): edits and commands are refused.
    planning: bool,
    /// Tasks started in this session, counting from 1: the "turn" changes
    /// are attributed to (one user message and everything the agent did
    /// for it). Front ends count [`Event::TaskStarted`] the same way.
    task_no: u32,
    /// A tool that may change files ran in the current model turn.
    turn_touched: bool,
    /// ... in the current task.
    task_touched: bool,
    /// The user let this task go on past a spent budget (Run's override).
    budget_override: bool,
    /// When the current model call started (its duration goes to the ledger).
    call_started: Instant,
    /// The last budget wait ended with an interrupt (not a "stop").
    interrupted_by_budget_wait: bool,
    /// The provider's id of the current model call, for the ledger.
    request_id: Option<String>,
    /// Where each task's messages start in the history, for rewind.
    task_starts: Vec<(u32, usize)>,
    /// Prompt + output tokens of the last model call: the context in use.
    last_context_tokens: Option<u64>,
    /// `/compact` arrived while a task ran: done before the next call.
    compact_requested: Option<Option<String>>,
    /// Context from the last `session_start` hooks, sent with the next
    /// prompt.
    hook_context: Option<String>,
}

impl Session {
    /// Starts the session task on the current tokio runtime.
    pub fn spawn(cfg: SessionConfig) -> SessionHandle {
        let (ops_tx, ops_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::channel(EVENT_BUFFER);
        let denied = Arc::new(cfg.permissions.clone());
        let workspace = cfg.workspace.clone();
        let read_filter: ReadFilter = Arc::new(move |path: &std::path::Path| {
            let target = crate::tools::paths::display(&workspace, path);
            matches!(
                denied.decide(Category::Read, &[target]),
                crate::exec::Verdict::Deny { .. }
            )
        });
        let session = Session {
            read_filter,
            planning: false,
            task_no: 0,
            turn_touched: false,
            task_touched: false,
            budget_override: false,
            call_started: Instant::now(),
            interrupted_by_budget_wait: false,
            request_id: None,
            task_starts: Vec::new(),
            last_context_tokens: None,
            compact_requested: None,
            hook_context: None,
            cfg,
            history: Vec::new(),
            total: Usage::default(),
            events: events_tx,
            ops: ops_rx,
            queued: VecDeque::new(),
            model_after_task: None,
            shutting_down: false,
        };
        SessionHandle {
            ops: ops_tx,
            events: events_rx,
            task: tokio::spawn(session.run()),
        }
    }

    async fn emit(&self, event: Event) {
        if let Some(transcript) = &self.cfg.transcript {
            let pane = self.pane_name();
            if let Event::TaskStarted { text } = &event {
                transcript.user_prompt(pane, text);
            }
            transcript.event(pane, &event);
            if matches!(
                event,
                Event::TurnStarted { .. } | Event::TaskComplete { .. }
            ) {
                transcript.turn_boundary();
            }
        }
        // A front end that went away cannot be told anything; the session
        // notices when its op channel closes.
        let _ = self.events.send(event).await;
    }

    /// Appends to the model-facing history, and to the transcript (what a
    /// resume hands back).
    fn push_history(&mut self, message: Message) {
        if let Some(transcript) = &self.cfg.transcript {
            transcript.message(self.pane_name(), &message);
        }
        self.history.push(message);
    }

    /// The history was replaced (compacted, rewound, cleared, restored):
    /// the transcript keeps the new one for a resume.
    fn record_history(&self) {
        if let Some(transcript) = &self.cfg.transcript {
            transcript.history(self.pane_name(), &self.history);
        }
    }

    async fn run(mut self) {
        self.emit(Event::SessionStarted {
            session_id: self.cfg.session_id.clone(),
            pane: self.cfg.pane,
            provider: self.cfg.client.provider_name().to_string(),
            model: self.cfg.model.clone(),
            mode: self.cfg.mode,
            cwd: self.cfg.workspace.clone(),
            sandbox: self.cfg.shell.sandbox.summary(),
        })
        .await;
        if self.cfg.instructions.is_active() {
            self.emit(Event::InstructionsLoaded {
                files: self.cfg.instructions.infos(),
                searched: self.cfg.instructions.searched().to_vec(),
            })
            .await;
        }
        self.session_start_hooks("startup").await;
        while !self.shutting_down {
            let (text, until, model) = match self.queued.pop_front() {
                Some(task) => task,
                None => match self.ops.recv().await {
                    Some(Op::UserMessage(text)) => (text, None, None),
                    Some(Op::UserMessageWithModel { text, model }) => (text, None, Some(model)),
                    Some(Op::TaskUntil { text, until }) => (text, Some(until), None),
                    Some(Op::Rewind { before_task }) => {
                        self.rewind(before_task).await;
                        continue;
                    }
                    Some(Op::Compact(focus)) => {
                        self.compact(focus.as_deref(), true).await;
                        continue;
                    }
                    Some(Op::Shutdown) | None => break,
                    Some(Op::ClearHistory) => {
                        self.session_end_hooks("clear").await;
                        self.apply_setting(Op::ClearHistory);
                        self.session_start_hooks("clear").await;
                        continue;
                    }
                    Some(op @ Op::RestoreHistory(_)) => {
                        self.apply_setting(op);
                        self.session_start_hooks("resume").await;
                        continue;
                    }
                    Some(op) => {
                        self.apply_setting(op);
                        continue;
                    }
                },
            };
            self.run_task_on(text, until, model).await;
        }
        self.session_end_hooks("exit").await;
        self.emit(Event::ShutdownComplete).await;
    }

    /// Runs a task, on `model` instead of the session's model when given.
    async fn run_task_on(&mut self, text: String, until: Option<String>, model: Option<String>) {
        let Some(model) = model else {
            return self.run_task(text, until).await;
        };
        self.model_after_task = Some(std::mem::replace(&mut self.cfg.model, model));
        self.run_task(text, until).await;
        if let Some(model) = self.model_after_task.take() {
            self.cfg.model = model;
        }
    }

    /// Applies a settings op; other ops are ignored here.
    fn apply_setting(&mut self, op: Op) {
        match op {
            Op::SetMode(mode) => self.cfg.mode = mode,
            Op::SetModel(model) => {
                if let Some(after) = &mut self.model_after_task {
                    after.clone_from(&model);
                }
                self.cfg.model = model;
            }
            Op::SetPlanning(on) => self.planning = on,
            Op::ClearHistory => {
                self.cfg.instructions.forget_subdirectories();
                self.history.clear();
                self.task_starts.clear();
                self.last_context_tokens = None;
                self.record_history();
            }
            Op::RestoreHistory(history) => {
                self.cfg.instructions.forget_subdirectories();
                self.history = history;
                self.task_starts.clear();
                self.record_history();
            }
            Op::UserMessage(_)
            | Op::UserMessageWithModel { .. }
            | Op::TaskUntil { .. }
            | Op::Rewind { .. }
            | Op::Compact(_)
            | Op::Approval { .. }
            | Op::BudgetDecision { .. }
            | Op::Interrupt
            | Op::Shutdown => {}
        }
    }

    /// Handles an op that arrives while a task runs.
    fn busy_op(&mut self, op: Option<Op>) -> BusyOp {
        match op {
            Some(op @ (Op::SetMode(_) | Op::SetModel(_) | Op::SetPlanning(_))) => {
                self.apply_setting(op);
                BusyOp::Continue
            }
            // Clearing mid-task would orphan the running calls' results;
            // front ends clear only between tasks.
            Some(Op::ClearHistory | Op::RestoreHistory(_) | Op::Rewind { .. }) => BusyOp::Continue,
            Some(Op::Compact(focus)) => {
                self.compact_requested = Some(focus);
                BusyOp::Continue
            }
            Some(Op::UserMessage(text)) => {
                self.queued.push_back((text, None, None));
                BusyOp::Continue
            }
            Some(Op::UserMessageWithModel { text, model }) => {
                self.queued.push_back((text, None, Some(model)));
                BusyOp::Continue
            }
            Some(Op::TaskUntil { text, until }) => {
                self.queued.push_back((text, Some(until), None));
                BusyOp::Continue
            }
            Some(Op::Approval { .. } | Op::BudgetDecision { .. }) => BusyOp::Continue,
            Some(Op::Interrupt) => BusyOp::Interrupt,
            Some(Op::Shutdown) | None => {
                self.shutting_down = true;
                BusyOp::Interrupt
            }
        }
    }

    async fn run_task(&mut self, text: String, until: Option<String>) {
        tracing::info!(session = %self.cfg.session_id, pane = ?self.cfg.pane, model = %self.cfg.model, "task started");
        self.task_no += 1;
        self.task_touched = false;
        self.budget_override = false;
        self.emit(Event::TaskStarted { text: text.clone() }).await;
        let mut turns = 0;
        let mut last_message = None;
        let text = match self.prompt_hooks(text).await {
            Ok(text) => text,
            Err(status) => {
                self.emit(Event::TaskComplete {
                    status,
                    turns,
                    total: self.total,
                    last_message,
                })
                .await;
                return;
            }
        };
        self.task_starts.push((self.task_no, self.history.len()));
        self.push_history(Message::User { text });
        // Servers that start on demand start now; those still starting get
        // their (bounded) time, so the first call is offered their tools.
        let prepared = self.prepare_tools().await;
        let mut stop_hook_active = false;
        let status = loop {
            if !prepared {
                break TaskStatus::Interrupted;
            }
            if !self.budget_allows().await {
                break if self.interrupted_by_budget_wait {
                    TaskStatus::Interrupted
                } else {
                    TaskStatus::Budget
                };
            }
            self.compact_if_due().await;
            turns += 1;
            self.emit(Event::TurnStarted { turn: turns }).await;
            let calls = match self.model_call(&mut last_message).await {
                CallOutcome::Done(calls) => calls,
                CallOutcome::Interrupted => break TaskStatus::Interrupted,
                CallOutcome::Failed(err) => {
                    let message = self.cfg.redactor.redact(&err.to_string());
                    tracing::warn!(session = %self.cfg.session_id, error = %message, "model call failed");
                    self.emit(Event::Error { message }).await;
                    break TaskStatus::Error;
                }
            };
            if calls.is_empty() {
                match &until {
                    None => match self.stop_hooks(&mut stop_hook_active, turns).await {
                        Some(status) => break status,
                        None => continue,
                    },
                    Some(command) => match self.check(command).await {
                        Check::Passed => {
                            match self.stop_hooks(&mut stop_hook_active, turns).await {
                                Some(status) => break status,
                                None => continue,
                            }
                        }
                        Check::Interrupted => break TaskStatus::Interrupted,
                        Check::Failed(report) => {
                            // The agent stopped but the task is not done:
                            // it goes on with the failure in front of it
                            // (still within max_turns and the budget).
                            self.push_history(Message::User { text: report });
                            if turns >= self.cfg.max_turns {
                                self.emit(Event::Error {
                                    message: format!(
                                        "`{command}` still fails after {turns} model calls (max_turns); raise --max-turns or `agent.max_turns` to let the agent go on"
                                    ),
                                })
                                .await;
                                break TaskStatus::MaxTurns;
                            }
                            continue;
                        }
                    },
                }
            }
            if !self.run_tools(calls).await {
                break TaskStatus::Interrupted;
            }
            if turns >= self.cfg.max_turns {
                self.emit(Event::Error {
                    message: format!(
                        "stopped after {turns} model calls (max_turns); raise --max-turns or `agent.max_turns` to let the agent go on"
                    ),
                })
                .await;
                break TaskStatus::MaxTurns;
            }
        };
        self.settle_checkpoints().await;
        tracing::info!(session = %self.cfg.session_id, ?status, turns, total = ?self.total, "task ended");
        self.emit(Event::TaskComplete {
            status,
            turns,
            total: self.total,
            last_message,
        })
        .await;
    }

    /// Lets the tool sources get ready (MCP servers starting) before the
    /// task's first model call; an interrupt ends the wait at once. Returns
    /// false when interrupted.
    async fn prepare_tools(&mut self) -> bool {
        let tools = self.cfg.tools.clone();
        let prepare = tools.prepare();
        tokio::pin!(prepare);
        loop {
            tokio::select! {
                () = &mut prepare => return true,
                op = self.ops.recv() => {
                    if let BusyOp::Interrupt = self.busy_op(op) {
                        return false;
                    }
                }
            }
        }
    }

    /// Checks the budgets before a model call. When one is spent the
    /// session waits (the front end shows "paused: budget") until the user
    /// decides, the budget is raised, or the task is interrupted; headless
    /// sessions stop at once. Returns whether the call may go.
    async fn budget_allows(&mut self) -> bool {
        self.interrupted_by_budget_wait = false;
        let Some(meter) = self.cfg.meter.clone() else {
            return true;
        };
        let message = match meter.state() {
            BudgetState::Exhausted { kind, spent, limit } if !self.budget_override => {
                budget_message(kind, spent, limit)
            }
            _ => return true,
        };
        if !self.cfg.can_approve {
            self.emit(Event::Error {
                message: format!("{message}; raise it in [budget] (config.toml) to go on"),
            })
            .await;
            return false;
        }
        tracing::info!(session = %self.cfg.session_id, %message, "paused for the budget");
        self.notify(message.clone());
        self.emit(Event::BudgetPaused { message }).await;
        let mut recheck = tokio::time::interval(BUDGET_RECHECK);
        recheck.tick().await;
        loop {
            tokio::select! {
                op = self.ops.recv() => match op {
                    Some(Op::BudgetDecision { proceed }) => {
                        if proceed && self.cfg.pane == Pane::Run {
                            self.budget_override = true;
                        }
                        if proceed {
                            self.emit(Event::BudgetResumed).await;
                        }
                        return proceed;
                    }
                    other => {
                        if let BusyOp::Interrupt = self.busy_op(other) {
                            self.interrupted_by_budget_wait = true;
                            return false;
                        }
                    }
                },
                _ = recheck.tick() => {
                    if !matches!(meter.state(), BudgetState::Exhausted { .. }) {
                        self.emit(Event::BudgetResumed).await;
                        return true;
                    }
                }
            }
        }
    }

    /// Records one model call (its usage, since `call_started`) in the
    /// ledger. Headless runs (no one to approve) are `exec` there.
    fn meter_call(&self, usage: &Usage, request_id: Option<String>) {
        if let Some(meter) = &self.cfg.meter {
            let pane = if self.cfg.can_approve {
                self.pane_name()
            } else {
                "exec"
            };
            meter.record(
                pane,
                self.cfg.client.provider_name(),
                &self.cfg.model,
                usage,
                request_id,
                self.call_started.elapsed(),
            );
        }
    }

    /// Compacts before a model call when the user asked for it, or when the
    /// context passed the policy's threshold of the model's window.
    async fn compact_if_due(&mut self) {
        if let Some(focus) = self.compact_requested.take() {
            self.compact(focus.as_deref(), true).await;
            return;
        }
        let tokens = self
            .last_context_tokens
            .unwrap_or_else(|| compact::estimate_tokens(&self.history));
        if compact::should_compact(tokens, self.cfg.context_window, &self.cfg.compact) {
            self.compact(None, false).await;
        }
    }

    /// Summarises the older turns into one message (the model writes the
    /// summary) and keeps the recent ones verbatim. `on_demand` reports
    /// when there is nothing to compact.
    async fn compact(&mut self, focus: Option<&str>, on_demand: bool) {
        let Some(at) = compact::split_point(&self.history, self.cfg.compact.keep_recent_user_turns)
        else {
            if on_demand {
                self.emit(Event::Error {
                    message: "nothing to compact yet: only the latest turns are in the context"
                        .into(),
                })
                .await;
            }
            return;
        };
        if !self.pre_compact_hooks(on_demand, focus).await {
            return;
        }
        let request = compact::summary_request(
            &self.cfg.model,
            &self.history[..at],
            focus,
            self.cfg.max_output_tokens,
        );
        self.call_started = Instant::now();
        match compact::summarise(self.cfg.client.as_ref(), request, CancellationToken::new()).await
        {
            Ok(summary) => {
                if let Some(usage) = summary.usage {
                    self.total.add(&usage);
                    self.meter_call(&usage, summary.request_id);
                }
                self.history = compact::compacted_history(&summary.text, &self.history[at..]);
                self.cfg.instructions.forget_subdirectories();
                self.record_history();
                // Task starts before the cut are gone (summarised); later
                // ones moved: `at` messages became the summary and its ack.
                self.task_starts = self
                    .task_starts
                    .iter()
                    .filter(|(_, start)| *start >= at)
                    .map(|(t, start)| (*t, start - at + 2))
                    .collect();
                self.last_context_tokens = None;
                let kept = self.history.len().saturating_sub(2);
                self.emit(Event::Compacted {
                    summarised: at,
                    kept,
                })
                .await;
            }
            Err(err) => {
                let message = self
                    .cfg
                    .redactor
                    .redact(&format!("context compaction failed: {err}"));
                self.emit(Event::Error { message }).await;
            }
        }
    }

    /// Takes the conversation back to before `before_task`.
    async fn rewind(&mut self, before_task: u32) {
        let Some(&(_, start)) = self.task_starts.iter().find(|(t, _)| *t == before_task) else {
            self.emit(Event::Error {
                message: format!(
                    "task {before_task} is not in this conversation (it was cleared, or never ran)"
                ),
            })
            .await;
            return;
        };
        let dropped = self.history.len().saturating_sub(start);
        self.history.truncate(start);
        self.cfg.instructions.forget_subdirectories();
        self.record_history();
        self.task_starts.retain(|(t, _)| *t < before_task);
        self.emit(Event::Rewound {
            task: before_task,
            dropped,
        })
        .await;
    }

    /// Runs a task's completion check with the shell tool (same sandbox,
    /// environment scrubbing and output cap as the agent's own commands; no
    /// approval: the user named the command) and reports it.
    async fn check(&mut self, command: &str) -> Check {
        let Some(shell) = self.cfg.tools.get("shell") else {
            self.emit(Event::Error {
                message: "the completion check needs the shell tool, which this session lacks"
                    .into(),
            })
            .await;
            return Check::Passed;
        };
        let cancel = CancellationToken::new();
        let ctx = self.tool_context("check", &cancel);
        let input = serde_json::json!({ "command": command });
        let run = shell.run(input, &ctx);
        tokio::pin!(run);
        let mut output = loop {
            tokio::select! {
                output = &mut run => break output,
                op = self.ops.recv() => {
                    if let BusyOp::Interrupt = self.busy_op(op) {
                        cancel.cancel();
                        return Check::Interrupted;
                    }
                }
            }
        };
        self.cfg.redactor.redact_in_place(&mut output.text);
        output.text = cap_middle(&output.text, self.cfg.tool_output_cap);
        let passed = output.ok && output.exit_code.unwrap_or(0) == 0;
        self.emit(Event::CheckResult {
            command: command.to_string(),
            passed,
            exit_code: output.exit_code,
            output: output.text.clone(),
        })
        .await;
        if passed {
            Check::Passed
        } else {
            let code = output
                .exit_code
                .map_or_else(|| "no exit code".to_string(), |c| format!("exit {c}"));
            Check::Failed(format!(
                "The task is not done yet: its completion check `{command}` failed ({code}). \
                 Its output:\n\n{}\n\nFind the cause, fix it, and go on until the check passes.",
                output.text
            ))
        }
    }

    /// The pane's name as the change tracker records it.
    fn pane_name(&self) -> &'static str {
        match self.cfg.pane {
            Pane::Chat => "chat",
            Pane::Run => "run",
        }
    }

    /// Ends a model turn for the change tracker: a checkpoint when a tool
    /// that may change files ran.
    fn checkpoint_turn(&mut self) {
        if let Some(tracker) = &self.cfg.tracker
            && std::mem::take(&mut self.turn_touched)
        {
            self.task_touched = true;
            let note = format!("{} task {}", self.pane_name(), self.task_no);
            tracker.turn_ended(self.pane_name(), self.task_no, &note);
        }
    }

    /// Waits until the task's checkpoints are taken, so a front end that
    /// sees [`Event::TaskComplete`] finds every change of the task in
    /// [`Tracker::attributions`] (the run summary lists them).
    async fn settle_checkpoints(&mut self) {
        let Some(tracker) = self.cfg.tracker.clone() else {
            return;
        };
        if !std::mem::take(&mut self.task_touched) {
            return;
        }
        match tokio::task::spawn_blocking(move || tracker.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(session = %self.cfg.session_id, error = %e, "checkpoint failed")
            }
            Err(e) => {
                tracing::warn!(session = %self.cfg.session_id, error = %e, "checkpoint task failed")
            }
        }
    }

    /// Waits until the tracker's baseline checkpoint is taken: the worker
    /// takes it in the background at start-up, and a change made before it
    /// (a headless run edits at once) would be folded into the baseline and
    /// never shown for review.
    async fn await_baseline(&self) {
        let Some(tracker) = self.cfg.tracker.clone() else {
            return;
        };
        if tracker.baseline().is_some() {
            return;
        }
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || tracker.flush()).await {
            tracing::warn!(session = %self.cfg.session_id, error = %e, "no baseline checkpoint");
        }
    }

    fn request(&self) -> ModelRequest {
        ModelRequest {
            model: self.cfg.model.clone(),
            system: self.cfg.system_prompt.clone(),
            messages: self.history.clone(),
            tools: self.cfg.tools.specs(),
            max_output_tokens: self.cfg.max_output_tokens,
            reasoning: self.cfg.reasoning,
        }
    }

    /// One model call: streams it out as events and appends the answer to
    /// the history. Returns the tool calls to run.
    async fn model_call(&mut self, last_message: &mut Option<String>) -> CallOutcome {
        let cancel = CancellationToken::new();
        self.call_started = Instant::now();
        self.request_id = None;
        let mut stream = self.cfg.client.stream(self.request(), cancel.clone());
        let mut acc = Accumulator::new();
        loop {
            let item = tokio::select! {
                biased;
                op = self.ops.recv() => {
                    if let BusyOp::Interrupt = self.busy_op(op) {
                        cancel.cancel();
                        self.keep_interrupted_answer(acc);
                        return CallOutcome::Interrupted;
                    }
                    continue;
                }
                item = stream.recv() => item,
            };
            let event = match item {
                Some(Ok(event)) => event,
                Some(Err(ProviderError::Cancelled)) => {
                    self.keep_interrupted_answer(acc);
                    return CallOutcome::Interrupted;
                }
                Some(Err(err)) => return CallOutcome::Failed(err),
                None => {
                    return CallOutcome::Failed(ProviderError::Truncated {
                        provider: self.cfg.client.provider_name().to_string(),
                    });
                }
            };
            acc.push(&event);
            let stop = matches!(event, StreamEvent::Stop(_));
            self.forward(event).await;
            if stop {
                break;
            }
        }
        let calls = acc.tool_calls();
        let text = acc.text();
        let message = acc.into_message();
        if let Message::Assistant { parts } = &message {
            let reasoning: String = parts
                .iter()
                .filter_map(|p| match p {
                    AssistantPart::Reasoning(r) => Some(r.text.as_str()),
                    _ => None,
                })
                .collect();
            if !reasoning.is_empty() {
                self.emit(Event::Reasoning { text: reasoning }).await;
            }
        }
        if !text.is_empty() {
            self.emit(Event::AssistantMessage { text: text.clone() })
                .await;
            *last_message = Some(text);
        }
        self.push_history(message);
        CallOutcome::Done(calls)
    }

    /// Turns a stream event into what the front end needs to see.
    async fn forward(&mut self, event: StreamEvent) {
        let out = match event {
            StreamEvent::TextDelta(t) => Event::TextDelta(self.cfg.redactor.redact(&t)),
            StreamEvent::ReasoningDelta(t) => Event::ReasoningDelta(self.cfg.redactor.redact(&t)),
            StreamEvent::Reset => Event::StreamReset,
            StreamEvent::Usage(call) => {
                self.total.add(&call);
                self.last_context_tokens = Some(call.prompt_tokens() + call.output_tokens);
                self.meter_call(&call, self.request_id.clone());
                Event::Usage {
                    call,
                    total: self.total,
                }
            }
            StreamEvent::RequestId(id) => {
                self.request_id = Some(id);
                return;
            }
            StreamEvent::RateLimits(snapshot) => {
                if let Some(meter) = &self.cfg.meter {
                    meter.set_rate_limits(self.cfg.client.provider_name(), snapshot.clone());
                }
                Event::RateLimits(snapshot)
            }
            StreamEvent::Retrying {
                attempt,
                delay,
                reason,
            } => Event::Retrying {
                attempt,
                delay,
                reason,
            },
            StreamEvent::ReasoningDone(_)
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCallDelta { .. }
            | StreamEvent::ToolCallDone { .. }
            | StreamEvent::Stop(_) => return,
        };
        self.emit(out).await;
    }

    /// Keeps what the user already saw of an interrupted answer. Completed
    /// tool calls in it get an "interrupted" result, so the history stays a
    /// valid request (every call answered).
    fn keep_interrupted_answer(&mut self, acc: Accumulator) {
        let calls = acc.tool_calls();
        let message = acc.into_message();
        if let Message::Assistant { parts } = &message
            && parts.is_empty()
        {
            return;
        }
        self.push_history(message);
        for call in calls {
            self.push_history(interrupted_result(&call.id));
        }
    }

    /// Runs the calls of one answer in order (consecutive reads concurrently)
    /// and appends their results. Returns false when interrupted.
    async fn run_tools(&mut self, calls: Vec<ToolCall>) -> bool {
        let cancel = CancellationToken::new();
        let mut results: Vec<Option<ToolOutput>> = vec![None; calls.len()];
        let mut batch: Vec<(usize, Arc<dyn Tool>, Value)> = Vec::new();
        let mut interrupted = false;
        for (i, call) in calls.iter().enumerate() {
            let prepared = self.prepare(call).await;
            let (tool, input) = match prepared {
                Err(output) => {
                    results[i] = Some(output);
                    continue;
                }
                Ok(ready) => ready,
            };
            let allowed = match self.pre_tool_hooks(call, &input).await {
                hook_calls::PreTool::Go { allowed } => allowed,
                hook_calls::PreTool::Blocked(output) => {
                    results[i] = Some(output);
                    continue;
                }
                hook_calls::PreTool::Interrupted => {
                    interrupted = true;
                    break;
                }
            };
            let verdict = gate(
                &self.cfg.permissions,
                self.cfg.mode,
                tool.as_ref(),
                &call.name,
                &input,
                &self.cfg.workspace,
            );
            let verdict = match verdict {
                // A hook's "allow" skips the question; deny rules stand.
                Gate::Ask { .. } if allowed => Gate::Run,
                other => other,
            };
            let verdict = match verdict {
                Gate::Run | Gate::Ask { .. }
                    if self.planning && matches!(tool.kind(), ToolKind::Edit | ToolKind::Exec) =>
                {
                    Gate::Refuse(
                        "Refused: planning mode is on, so nothing is edited or run. Read what you need, \
                         then propose the plan (update_plan) and stop; the user will hand it over for execution."
                            .to_string(),
                    )
                }
                other => other,
            };
            if let Gate::Refuse(text) = verdict {
                let output = ToolOutput::err(text);
                self.report(call, &output, Duration::ZERO).await;
                results[i] = Some(output);
                continue;
            }
            if verdict == Gate::Run && matches!(tool.kind(), ToolKind::Read) {
                batch.push((i, tool, input));
                continue;
            }
            if !self
                .run_batch(&calls, &mut batch, &mut results, &cancel)
                .await
            {
                interrupted = true;
                break;
            }
            if let Gate::Ask { reason, always } = verdict {
                match self.approval(call, &tool, &input, reason, always).await {
                    Some(Ok(())) => {}
                    Some(Err(refusal)) => {
                        results[i] = Some(refusal);
                        continue;
                    }
                    None => {
                        interrupted = true;
                        break;
                    }
                }
            }
            batch.push((i, tool, input));
            if !self
                .run_batch(&calls, &mut batch, &mut results, &cancel)
                .await
            {
                interrupted = true;
                break;
            }
        }
        if !interrupted
            && !self
                .run_batch(&calls, &mut batch, &mut results, &cancel)
                .await
        {
            interrupted = true;
        }
        self.checkpoint_turn();
        for (call, result) in calls.iter().zip(results) {
            let message = match result {
                Some(output) => Message::ToolResult {
                    call_id: call.id.clone(),
                    output: output.text,
                    is_error: !output.ok,
                },
                None => interrupted_result(&call.id),
            };
            self.push_history(message);
        }
        !interrupted
    }

    /// Looks the tool up and parses the arguments, announcing the call.
    /// An unusable call becomes an error result for the model.
    async fn prepare(&mut self, call: &ToolCall) -> Result<(Arc<dyn Tool>, Value), ToolOutput> {
        let input: Value = if call.arguments.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(&call.arguments).unwrap_or(Value::Null)
        };
        let tool = self.cfg.tools.get(&call.name);
        let summary = tool.as_ref().map(|t| t.summary(&input)).unwrap_or_default();
        self.emit(Event::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            input: self.redact_value(&input),
            summary: self.cfg.redactor.redact(&summary),
        })
        .await;
        let refusal = match tool {
            Some(tool) if input.is_object() => return Ok((tool, input)),
            Some(_) => format!(
                "the arguments of `{}` are not a JSON object: {}",
                call.name,
                cap_middle(&call.arguments, 500)
            ),
            None => format!(
                "unknown tool `{}`; the tools are: {}",
                call.name,
                self.cfg
                    .tools
                    .specs()
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let output = ToolOutput::err(refusal);
        self.report(call, &output, Duration::ZERO).await;
        Err(output)
    }

    /// Asks the user to approve a call. `None`: interrupted while waiting.
    async fn approval(
        &mut self,
        call: &ToolCall,
        tool: &Arc<dyn Tool>,
        input: &Value,
        reason: Option<String>,
        always: Vec<String>,
    ) -> Option<Result<(), ToolOutput>> {
        if !self.cfg.can_approve {
            let why = match &reason {
                Some(reason) => format!("{reason}, so it needs the user's approval"),
                None => format!(
                    "it needs the user's approval in {} mode",
                    self.cfg.mode.as_str()
                ),
            };
            let output = ToolOutput::err(format!(
                "Not run: `{}`: {why}, and nobody can approve in a headless run. \
                 Go on without it if you can; otherwise finish and tell the user to rerun with a mode or \
                 permission rules that allow it (--mode auto-edit for edits, --mode full-auto for commands, \
                 [permissions] allow in config.toml).",
                call.name,
            ));
            self.report(call, &output, Duration::ZERO).await;
            return Some(Err(output));
        }
        self.emit(Event::ApprovalRequest {
            id: call.id.clone(),
            name: call.name.clone(),
            summary: self.cfg.redactor.redact(&tool.summary(input)),
            input: self.redact_value(input),
            reason,
            always: always.clone(),
        })
        .await;
        self.notify(format!("Tandem needs your permission to use {}", call.name));
        loop {
            match self.ops.recv().await {
                Some(Op::Approval { call_id, decision }) if call_id == call.id => {
                    return match decision {
                        ApprovalDecision::Approve => Some(Ok(())),
                        ApprovalDecision::ApproveForSession => {
                            for rule in &always {
                                if let Err(e) = self.cfg.permissions.allow_for_session(rule) {
                                    tracing::warn!(%rule, error = %e, "suggested rule did not parse");
                                }
                            }
                            Some(Ok(()))
                        }
                        ApprovalDecision::Deny(reason) => {
                            let mut text = format!("The user declined to run `{}`.", call.name);
                            if let Some(reason) = reason {
                                text.push_str(&format!(" Their words: {reason}"));
                            }
                            let output = ToolOutput::err(text);
                            self.report(call, &output, Duration::ZERO).await;
                            Some(Err(output))
                        }
                    };
                }
                other => {
                    if let BusyOp::Interrupt = self.busy_op(other) {
                        return None;
                    }
                }
            }
        }
    }

    /// Runs the pending batch concurrently, recording each result. Returns
    /// false when the user interrupted.
    async fn run_batch(
        &mut self,
        calls: &[ToolCall],
        batch: &mut Vec<(usize, Arc<dyn Tool>, Value)>,
        results: &mut [Option<ToolOutput>],
        cancel: &CancellationToken,
    ) -> bool {
        if batch.is_empty() {
            return true;
        }
        if batch
            .iter()
            .any(|(_, tool, _)| tool.kind() != ToolKind::Read)
        {
            self.await_baseline().await;
        }
        let jobs: Vec<_> = batch
            .drain(..)
            .map(|(i, tool, input)| {
                let ctx = self.tool_context(&calls[i].id, cancel);
                let tracker = self.cfg.tracker.clone();
                if let Some(tracker) = &tracker {
                    let summary = tool.summary(&input);
                    tracker.begin_call(
                        &calls[i].id,
                        self.pane_name(),
                        self.task_no,
                        &calls[i].name,
                        &summary,
                    );
                    if tool.kind() != ToolKind::Read {
                        self.turn_touched = true;
                    }
                }
                let call_id = calls[i].id.clone();
                async move {
                    let started = Instant::now();
                    let output = tool.run(input.clone(), &ctx).await;
                    if let Some(tracker) = &tracker {
                        tracker.end_call(&call_id, &output.changed);
                    }
                    (i, output, started.elapsed(), input)
                }
            })
            .collect();
        let all = join_all(jobs);
        tokio::pin!(all);
        let mut interrupted = false;
        let done = loop {
            tokio::select! {
                done = &mut all => break done,
                op = self.ops.recv(), if !interrupted => {
                    if let BusyOp::Interrupt = self.busy_op(op) {
                        interrupted = true;
                        cancel.cancel();
                    }
                }
                _ = tokio::time::sleep(TOOL_GRACE), if interrupted => return false,
            }
        };
        for (i, mut output, duration, input) in done {
            self.cfg.redactor.redact_in_place(&mut output.text);
            output.text = cap_middle(&output.text, self.cfg.tool_output_cap);
            if !interrupted && !self.post_tool_hooks(&calls[i], &input, &mut output).await {
                interrupted = true;
            }
            if let Some(plan) = output.plan.clone() {
                self.emit(Event::PlanUpdated(plan)).await;
            }
            self.report(&calls[i], &output, duration).await;
            self.attach_instructions(&calls[i], &mut output).await;
            results[i] = Some(output);
        }
        !interrupted
    }

    /// Appends, for the model only, the instruction files of the
    /// subdirectories a finished call reached for the first time, and
    /// tells the front end they were loaded.
    async fn attach_instructions(&mut self, call: &ToolCall, output: &mut ToolOutput) {
        let Some((block, files)) = call_instructions(
            &mut self.cfg.instructions,
            &self.cfg.tools,
            call,
            &self.cfg.workspace,
        ) else {
            return;
        };
        output.text.push_str(&self.cfg.redactor.redact(&block));
        self.emit(Event::InstructionsLoaded {
            files,
            searched: Vec::new(),
        })
        .await;
    }

    fn tool_context(&self, call_id: &str, cancel: &CancellationToken) -> ToolContext {
        let progress = self.cfg.live_output.then(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<ToolProgress>();
            let events = self.events.clone();
            let redactor = self.cfg.redactor.clone();
            let id = call_id.to_string();
            tokio::spawn(async move {
                while let Some(ToolProgress::Output(bytes)) = rx.recv().await {
                    let delta = Event::ToolOutputDelta {
                        id: id.clone(),
                        bytes: redactor.redact_bytes(&bytes),
                    };
                    if events.send(delta).await.is_err() {
                        break;
                    }
                }
            });
            tx
        });
        ToolContext {
            workspace: self.cfg.workspace.clone(),
            cancel: cancel.child_token(),
            progress,
            shell: self.cfg.shell.clone(),
            hidden: Some(self.read_filter.clone()),
        }
    }

    /// A JSON value with secret values replaced in its strings.
    fn redact_value(&self, value: &Value) -> Value {
        let text = value.to_string();
        let redacted = self.cfg.redactor.redact(&text);
        if redacted == text {
            value.clone()
        } else {
            serde_json::from_str(&redacted).unwrap_or(Value::Null)
        }
    }

    async fn report(&self, call: &ToolCall, output: &ToolOutput, duration: Duration) {
        tracing::debug!(session = %self.cfg.session_id, tool = %call.name, ok = output.ok, ?duration, "tool call done");
        self.emit(Event::ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            ok: output.ok,
            output: output.text.clone(),
            exit_code: output.exit_code,
            duration,
        })
        .await;
    }
}

/// How a task's completion check went.
enum Check {
    Passed,
    /// Failed; the report for the agent.
    Failed(String),
    Interrupted,
}

/// How often a session paused for the budget checks whether it was raised.
const BUDGET_RECHECK: Duration = Duration::from_secs(1);

/// "daily budget spent: $20.00 of $20.00".
fn budget_message(kind: BudgetKind, spent: f64, limit: f64) -> String {
    let amount = |v: f64| match kind {
        BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => format!("{v:.0} tokens"),
        _ => format!("${v:.2}"),
    };
    format!(
        "budget spent: {} {} of {}",
        kind.key(),
        amount(spent),
        amount(limit)
    )
}

fn interrupted_result(call_id: &str) -> Message {
    Message::ToolResult {
        call_id: call_id.to_string(),
        output: "Interrupted by the user before it finished.".into(),
        is_error: true,
    }
}
