//! The TUI's state and how keys and session events change it.
//!
//! Nothing here draws or does I/O: handlers mutate the state and send `Op`s
//! on the panes' channels; [`super::view`] draws the state. So every
//! interaction can be tested by feeding keys and events to an [`App`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use super::app_rewind::RewindPlan;
use super::composer::{CommandTable, Composer, ComposerAction};
use super::diffview::{DiffViewer, Filter};
use super::history::{History, NoticeKind};
use super::keymap::{self, Action, Context};
use super::quota_view::QuotaView;
use super::theme::Theme;
use crate::agent::{ApprovalDecision, Event, Op, Pane, TaskStatus};
use crate::exec::ApprovalMode;
use crate::provider::{RateLimitSnapshot, Usage};
use crate::quota::Meter;
use crate::tools::SandboxSummary;
use crate::workspace::{ReviewCommand, Tracker};

/// How many read files a pane remembers for a handoff.
const MAX_READ_PATHS: usize = 40;

/// A second Ctrl-C within this time quits.
const CTRL_C_WINDOW: Duration = Duration::from_millis(1500);

/// What a pane is doing, for its title line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneStatus {
    Idle,
    /// Waiting for or streaming a model answer.
    Thinking,
    /// Running a tool (its name).
    Running(String),
    WaitingApproval,
    /// Waiting before a model call because a budget is spent.
    PausedBudget,
    /// The last task failed.
    Error,
}

/// An approval request shown as a dialog in its pane.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingApproval {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub input: serde_json::Value,
    pub reason: Option<String>,
    pub always: Vec<String>,
    /// The message being typed after `e` (no, with a message).
    pub message: Option<String>,
}

/// One pane: its session's channel, what it shows, and its counters.
pub struct PaneSlot {
    pub pane: Pane,
    pub provider: String,
    pub model: String,
    pub mode: ApprovalMode,
    pub planning: bool,
    pub sandbox: Option<SandboxSummary>,
    /// `None` when the pane has no session (not configured).
    pub ops: Option<UnboundedSender<Op>>,
    /// Why the pane has no session, with what to set (the first-run screen).
    pub setup_error: Option<String>,
    pub history: History,
    pub composer: Composer,
    pub status: PaneStatus,
    pub approval: Option<PendingApproval>,
    pub usage: Usage,
    /// Tokens in the model's context after the last call.
    pub context_tokens: u64,
    pub context_window: Option<u64>,
    pub rate: Option<RateLimitSnapshot>,
    /// A task is running.
    pub busy: bool,
    /// Messages sent while busy, not started yet.
    pub queued: usize,
    pub task_started: Option<Instant>,
    /// Answer characters streamed in the current task (for tokens/s).
    pub streamed_chars: usize,
    /// The session waits for a budget decision (`y` go on, `n` stop).
    pub budget_paused: bool,
    /// The pane's tasks, for `/rewind`.
    pub task_log: Vec<TaskRecord>,
    /// Files the pane's agent read, in order (Chat's go with a handoff).
    pub read_paths: Vec<String>,
    /// Tasks started in the pane's session, counting from 1: the number
    /// the change tracker attributes the task's changes to (the session
    /// counts its tasks the same way).
    pub tasks: u32,
    /// The instruction files the pane's session loaded (`/memory`).
    pub memory: super::app_memory::PaneMemory,
    /// The terminal program the pane hosts instead of a session (`host`).
    pub hosted: Option<super::app_host::HostedPane>,
    /// Esc was pressed once with nothing to interrupt: the next clears.
    esc_armed: bool,
}

impl PaneSlot {
    /// A pane whose session will report itself with `SessionStarted`.
    pub fn new(pane: Pane, provider: String, model: String, mode: ApprovalMode) -> Self {
        Self {
            pane,
            provider,
            model,
            mode,
            planning: false,
            sandbox: None,
            ops: None,
            setup_error: None,
            history: History::new(),
            composer: Composer::new(),
            status: PaneStatus::Idle,
            approval: None,
            usage: Usage::default(),
            context_tokens: 0,
            context_window: None,
            rate: None,
            busy: false,
            queued: 0,
            task_started: None,
            streamed_chars: 0,
            tasks: 0,
            budget_paused: false,
            task_log: Vec::new(),
            read_paths: Vec::new(),
            memory: Default::default(),
            hosted: None,
            esc_armed: false,
        }
    }

    /// The pane's name as shown.
    pub fn label(&self) -> &'static str {
        match self.pane {
            Pane::Chat => "Chat",
            Pane::Run => "Run",
        }
    }

    /// Sends an op to the pane's session; false when it has none.
    pub(super) fn send_op(&mut self, op: Op) -> bool {
        self.send(op)
    }

    fn send(&mut self, op: Op) -> bool {
        match &self.ops {
            Some(tx) => tx.send(op).is_ok(),
            None => false,
        }
    }

    /// Estimated output tokens per second of the running task (4 characters
    /// a token), for the title line.
    pub fn tokens_per_second(&self, now: Instant) -> Option<f64> {
        let started = self.task_started?;
        let secs = now.duration_since(started).as_secs_f64();
        (secs > 0.5 && self.streamed_chars > 0).then(|| self.streamed_chars as f64 / 4.0 / secs)
    }

    /// Folds one of the pane's session events into the state.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::SessionStarted {
                provider,
                model,
                mode,
                sandbox,
                cwd,
                ..
            } => {
                self.memory.workspace = Some(cwd.clone());
                self.provider = provider.clone();
                self.model = model.clone();
                self.mode = *mode;
                self.sandbox = Some(sandbox.clone());
            }
            Event::TaskStarted { .. } => {
                self.tasks += 1;
                self.busy = true;
                self.queued = self.queued.saturating_sub(1);
                self.status = PaneStatus::Thinking;
                self.task_started = Some(Instant::now());
                self.streamed_chars = 0;
            }
            Event::TurnStarted { .. } | Event::ToolResult { .. } if self.busy => {
                self.status = PaneStatus::Thinking;
            }
            Event::TextDelta(text) => self.streamed_chars += text.len(),
            Event::ToolCall { name, input, .. } => {
                self.status = PaneStatus::Running(name.clone());
                // What the agent looked at, handed to Run with a plan.
                if name == "read_file"
                    && let Some(path) = input.get("path").and_then(|p| p.as_str())
                    && self.read_paths.len() < MAX_READ_PATHS
                    && !self.read_paths.iter().any(|p| p == path)
                {
                    self.read_paths.push(path.to_string());
                }
            }
            Event::ApprovalRequest {
                id,
                name,
                summary,
                input,
                reason,
                always,
            } => {
                self.status = PaneStatus::WaitingApproval;
                self.approval = Some(PendingApproval {
                    id: id.clone(),
                    name: name.clone(),
                    summary: summary.clone(),
                    input: input.clone(),
                    reason: reason.clone(),
                    always: always.clone(),
                    message: None,
                });
            }
            Event::Usage { call, total } => {
                self.usage = *total;
                self.context_tokens = call.prompt_tokens() + call.output_tokens;
            }
            Event::RateLimits(snapshot) => self.rate = Some(snapshot.clone()),
            Event::InstructionsLoaded { files, searched } => {
                for (text, kind) in self.memory.add(files, searched) {
                    self.history.push_notice(text, kind);
                }
            }
            Event::BudgetPaused { .. } => {
                self.budget_paused = true;
                self.status = PaneStatus::PausedBudget;
            }
            Event::BudgetResumed => {
                self.budget_paused = false;
                self.status = PaneStatus::Thinking;
            }
            Event::TaskComplete { status, .. } => {
                self.budget_paused = false;
                self.busy = self.queued > 0;
                self.approval = None;
                self.task_started = None;
                self.status = match status {
                    TaskStatus::Error | TaskStatus::MaxTurns => PaneStatus::Error,
                    TaskStatus::Ok
                    | TaskStatus::Interrupted
                    | TaskStatus::Budget
                    | TaskStatus::Blocked => PaneStatus::Idle,
                };
            }
            _ => {}
        }
        self.history.apply(event);
    }
}

/// Overlays drawn over both panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// "A task is running: quit anyway?"
    ConfirmQuit,
    /// "Restore these files and rewind?" (the plan is `App::rewind_plan`).
    ConfirmRewind,
    /// Neither pane can reach a model: how to connect one, or the demo.
    FirstRun,
    /// A list to choose from (`App::picker`).
    Picker,
}

/// What the process does once the workbench has closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterExit {
    /// Play `tandem demo` (chosen on the first-run screen).
    Demo,
}

/// A task handed from Chat to Run, followed by a cell in Chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    /// Chat's "handed to Run: …" cell.
    pub cell: usize,
    /// The cell's words before the task's state.
    pub label: String,
    /// The task as sent: recognised in Run's `TaskStarted`, since queued
    /// tasks (handed over or typed) start in the order they were sent.
    pub text: String,
    /// Run's task number once it started.
    pub task: Option<u32>,
}

/// One task of a pane, as `/rewind` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// The task number (the session's count, from 1).
    pub number: u32,
    /// The first line of what the user asked.
    pub prompt: String,
    /// The newest checkpoint when the task started: the workspace before it.
    pub checkpoint: Option<String>,
}

/// Side effects the event loop performs for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
    /// Ring the bell / send a desktop notification with this message.
    Notify(String),
    /// Suspend the process (Ctrl-Z).
    Suspend,
    /// Start a new session on another provider for a pane (`/provider`).
    SwitchProvider { pane: usize, provider: String },
    /// Run a review command (accept, revert, undo) on the review worker.
    Review(ReviewCommand),
    /// Recompute the review (the viewer opened, or asked for it).
    RefreshReview,
    /// Open a workspace file at a line in `$EDITOR`, handing it the terminal.
    Edit { path: String, line: usize },
    /// Recompute the quota view's figures (they come from the ledger).
    RefreshQuota,
    /// Work out which files a rewind to `checkpoint` would restore (for the
    /// confirmation), for pane `pane`'s task `task`.
    PlanRewind {
        pane: usize,
        task: u32,
        checkpoint: String,
    },
    /// Build the diff of Run's task `task` (changes since `checkpoint`) and
    /// send it to Chat for review.
    ReviewRun {
        task: u32,
        prompt: String,
        checkpoint: String,
    },
    /// Create run `number`'s worktree and start its session on `task`.
    StartRun { number: usize, task: String },
    /// Commit a finished run's work on its branch and list its files.
    FinishRun { number: usize },
    /// Start a new session for run `number` (restored, or its session
    /// ended) on its worktree, give it the run's recorded history
    /// (`RunEntry::history`) and send it `messages`.
    ReviveRun {
        number: usize,
        messages: Vec<String>,
    },
    /// Apply a finished run's changes to the main workspace.
    MergeRun { number: usize },
    /// Remove a run's worktree and branch.
    DiscardRun { number: usize },
    /// List the saved sessions (`/resume`).
    ListSessions,
    /// Load a saved session into both panes (`/resume ID`).
    Resume(super::resume::Resume),
    /// Restore `paths` to `checkpoint` (confirmed by the user).
    RestoreFiles {
        checkpoint: String,
        paths: Vec<PathBuf>,
    },
    /// Start (or restart) `host` in pane `pane` in place of its session.
    StartHost { pane: usize, host: String },
    /// Read the custom command files again (off the UI thread).
    RereadCommands,
}

/// The whole TUI state.
pub struct App {
    /// Chat (0) and Run (1).
    pub panes: [PaneSlot; 2],
    pub focus: usize,
    pub zoomed: bool,
    pub overlay: Option<Overlay>,
    /// The list shown by [`Overlay::Picker`].
    pub picker: Option<super::picker::Picker>,
    pub theme: Theme,
    /// Where the user's own themes live (`<config>/themes`), for `/theme`.
    pub theme_dir: Option<std::path::PathBuf>,
    /// Rows the help overlay is scrolled down (clamped when drawn).
    pub help_scroll: u16,
    pub quit: bool,
    /// What to do after the workbench closes.
    pub after_exit: Option<AfterExit>,
    /// Local model servers that answered at start-up (first-run screen).
    pub local_servers: Vec<super::first_run::LocalServer>,
    /// A one-line message in the status bar (e.g. "press Ctrl-C again").
    pub flash: Option<(String, Instant)>,
    /// The configured provider names, for `/provider`.
    pub providers: Vec<String>,
    /// The diff viewer (kept while the panes have focus).
    pub viewer: DiffViewer,
    /// The viewer has the screen and the keyboard.
    pub viewer_focused: bool,
    /// The viewer is open: Tab reaches it after the Run pane.
    pub viewer_open: bool,
    /// The workspace's change tracker (`None` when tracking is off or
    /// could not start); read for the run summary.
    pub tracker: Option<Arc<Tracker>>,
    /// The usage ledger and budgets (`None` only in tests).
    pub meter: Option<Arc<Meter>>,
    /// The MCP servers both panes share (`None` in tests without them).
    pub mcp: Option<Arc<crate::mcp::McpHub>>,
    /// What `/mcp` last reported of each server, to announce changes.
    pub(super) mcp_seen: Vec<crate::mcp::ServerStatus>,
    /// The full quota view (Ctrl-Q, `/quota`).
    pub quota_view: QuotaView,
    /// The quota view has the screen and the keyboard.
    pub quota_focused: bool,
    /// Compare lines ignoring whitespace in the review (`w`).
    pub review_ignore_whitespace: bool,
    /// The filter the viewer gets when next opened (the last Run task's
    /// changes, offered by its summary).
    pub(super) pending_filter: Option<Filter>,
    /// Tasks handed from Chat to Run and not finished yet, oldest first:
    /// each has its own cell in Chat that follows its task.
    pub(super) handoffs: Vec<Handoff>,
    /// The rewind waiting for the user's confirmation.
    pub rewind_plan: Option<RewindPlan>,
    /// Worktree runs, in the order they were asked for.
    pub runs: Vec<super::app_runs::RunEntry>,
    /// The worktree run the Run pane shows instead of its own session.
    pub shown_run: Option<usize>,
    /// The diff viewer shows worktree run N's changes (accepting takes them
    /// into the workspace) rather than the workspace's own.
    pub viewer_source: Option<usize>,
    /// How many worktree runs may work at once; more are queued.
    pub max_parallel_runs: usize,
    /// The built-in and custom slash commands (`/help` lists them; every
    /// composer holds the same table).
    pub commands: Arc<CommandTable>,
    /// The custom command problems already told (not told again on a
    /// re-read).
    pub(super) command_issues: Vec<String>,
    /// When the command files were last read again.
    pub(super) commands_read_at: Option<Instant>,
    /// What was last said about the ledger's and transcript's problems.
    pub(super) storage_seen: super::app_storage::StorageSeen,
    /// The key that reaches Tandem from a hosted pane (`[host] prefix_key`).
    pub host_prefix: super::host_keys::PrefixKey,
    /// The prefix key was pressed: the next key is Tandem's.
    pub host_prefix_armed: bool,
    chord: bool,
    last_ctrl_c: Option<Instant>,
    pub(super) effects: Vec<Effect>,
}

impl App {
    /// An app over two panes.
    pub fn new(chat: PaneSlot, run: PaneSlot, theme: Theme) -> Self {
        Self {
            panes: [chat, run],
            focus: 0,
            zoomed: false,
            overlay: None,
            picker: None,
            theme,
            theme_dir: None,
            help_scroll: 0,
            quit: false,
            after_exit: None,
            local_servers: Vec::new(),
            flash: None,
            providers: Vec::new(),
            viewer: DiffViewer::new(),
            viewer_focused: false,
            viewer_open: false,
            tracker: None,
            meter: None,
            mcp: None,
            mcp_seen: Vec::new(),
            quota_view: QuotaView::new(),
            quota_focused: false,
            review_ignore_whitespace: false,
            pending_filter: None,
            handoffs: Vec::new(),
            rewind_plan: None,
            runs: Vec::new(),
            shown_run: None,
            viewer_source: None,
            max_parallel_runs: 3,
            commands: Arc::default(),
            storage_seen: Default::default(),
            command_issues: Vec::new(),
            commands_read_at: None,
            host_prefix: super::host_keys::PrefixKey::from_config(super::host_keys::DEFAULT_PREFIX)
                .0,
            host_prefix_armed: false,
            chord: false,
            last_ctrl_c: None,
            effects: Vec::new(),
        }
    }

    /// The focused pane.
    pub fn focused(&mut self) -> &mut PaneSlot {
        match self.shown_run {
            Some(run) if self.focus == 1 && run < self.runs.len() => &mut self.runs[run].slot,
            _ => &mut self.panes[self.focus],
        }
    }

    /// The slot drawn in pane `index`: the Run pane may show a worktree run.
    pub fn displayed(&mut self, index: usize) -> &mut PaneSlot {
        match self.shown_run {
            Some(run) if index == 1 && run < self.runs.len() => &mut self.runs[run].slot,
            _ => &mut self.panes[index],
        }
    }

    /// Asks the event loop for `effect`.
    pub fn push_effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Effects requested since the last call.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub(super) fn flash(&mut self, text: impl Into<String>) {
        self.flash = Some((text.into(), Instant::now()));
    }

    /// Whether a completion popup is open (its file list may still grow).
    pub fn completing(&self) -> bool {
        self.panes.iter().any(|p| p.composer.completion_active())
    }

    /// Whether any pane runs a task.
    pub fn any_busy(&self) -> bool {
        self.panes.iter().any(|p| p.busy)
    }

    /// A session event of pane `index`.
    pub fn on_session_event(&mut self, index: usize, event: &Event) {
        self.panes[index].apply(event);
        if let Event::TaskStarted { text } = event {
            let checkpoint = self.tracker.as_ref().and_then(|t| t.head());
            let pane = &mut self.panes[index];
            let record = TaskRecord {
                number: pane.tasks,
                prompt: text.lines().next().unwrap_or("").to_string(),
                checkpoint,
            };
            pane.task_log.push(record);
        }
        if self.panes[index].pane == Pane::Run {
            if let Event::TaskStarted { text } = event {
                self.handoff_started(text);
            }
            self.follow_handoff();
        }
        if self.panes[index].pane == Pane::Run
            && let Event::TaskComplete { status, turns, .. } = event
        {
            self.run_summary(*status, *turns);
        }
        self.notify_if_elsewhere(index, event);
    }

    /// Asks for a bell or notification when pane `index` finished a Run
    /// task or waits for an approval while the user looks elsewhere (the
    /// other pane, the diff viewer, the quota view).
    fn notify_if_elsewhere(&mut self, index: usize, event: &Event) {
        let watching = self.focus == index && !self.viewer_focused && !self.quota_focused;
        if watching {
            return;
        }
        let name = match self.panes[index].pane {
            Pane::Chat => "Chat",
            Pane::Run => "Run",
        };
        let message = match event {
            Event::TaskComplete { status, .. } if self.panes[index].pane == Pane::Run => {
                format!("Tandem: {name} task {}", status.describe())
            }
            Event::ApprovalRequest { .. } => format!("Tandem: {name} waits for your approval"),
            _ => return,
        };
        self.effects.push(Effect::Notify(message));
    }

    /// Bracketed paste into the focused composer.
    pub fn on_paste(&mut self, text: &str) {
        if self.overlay.is_none() && self.host_paste(text) {
            return;
        }
        if self.overlay.is_none() && self.viewer_focused {
            self.viewer.on_paste(text);
        } else if self.overlay.is_none() {
            let pane = self.focused();
            match &mut pane.approval {
                Some(PendingApproval {
                    message: Some(m), ..
                }) => m.push_str(text),
                _ => pane.composer.handle_paste(text),
            }
        }
    }

    /// A key press.
    pub fn on_key(&mut self, key: KeyEvent) {
        if let Some(overlay) = self.overlay {
            match overlay {
                Overlay::Help => match keymap::lookup(Context::Help, &key, true) {
                    Some(Action::CloseOverlay) => {
                        self.overlay = None;
                        self.help_scroll = 0;
                    }
                    Some(Action::ScrollDown) => {
                        self.help_scroll = self.help_scroll.saturating_add(1)
                    }
                    Some(Action::ScrollUp) => self.help_scroll = self.help_scroll.saturating_sub(1),
                    Some(Action::ScrollPageDown) => {
                        self.help_scroll = self.help_scroll.saturating_add(10)
                    }
                    Some(Action::ScrollPageUp) => {
                        self.help_scroll = self.help_scroll.saturating_sub(10)
                    }
                    _ => {}
                },
                Overlay::ConfirmQuit => {
                    self.overlay = None;
                    if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                        self.quit = true;
                    }
                }
                Overlay::FirstRun => self.first_run_key(key),
                Overlay::Picker => self.picker_key(&key),
                Overlay::ConfirmRewind => {
                    self.overlay = None;
                    let plan = self.rewind_plan.take();
                    if let (Some(plan), KeyCode::Char('y') | KeyCode::Char('Y')) = (plan, key.code)
                    {
                        self.carry_out_rewind(plan);
                    }
                }
            }
            return;
        }
        if std::mem::take(&mut self.chord) {
            match key.code {
                KeyCode::Char('h') => self.focus = 0,
                KeyCode::Char('l') => self.focus = 1,
                KeyCode::Char('w') => self.focus = 1 - self.focus,
                _ => {}
            }
            return;
        }
        if self.host_key(key) {
            return;
        }
        if self.quota_focused {
            self.quota_key(key);
            return;
        }
        if self.viewer_focused {
            self.viewer_key(key);
            return;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.ctrl_c();
            return;
        }
        let empty = self.focused().composer.is_empty();
        if let Some(action) = keymap::lookup(Context::Global, &key, empty) {
            self.global(action);
            return;
        }
        if self.focused().approval.is_some() {
            self.approval_key(key);
            return;
        }
        if self.focused().budget_paused && self.budget_key(&key) {
            return;
        }
        let completing = self.focused().composer.completion_active();
        if let Some(action) = keymap::lookup(Context::Pane, &key, empty)
            && !(completing && action == Action::Interrupt)
        {
            self.pane_action(action);
            return;
        }
        if key.code == KeyCode::Char('?')
            && key.modifiers.is_empty()
            && self.focused().composer.is_empty()
        {
            self.overlay = Some(Overlay::Help);
            return;
        }
        let action = self.focused().composer.handle_key(key);
        match action {
            ComposerAction::Submit(text) => self.submit(text),
            ComposerAction::Command { name, args } => self.command(&name, args.trim()),
            ComposerAction::None | ComposerAction::Unhandled => self.reread_commands_if_listing(),
        }
        self.focused().esc_armed = false;
    }

    fn ctrl_c(&mut self) {
        let pane = self.focused();
        if !pane.composer.is_empty() {
            pane.composer.clear();
            return;
        }
        self.ctrl_c_twice();
    }

    /// The second Ctrl-C within [`CTRL_C_WINDOW`] quits.
    pub(super) fn ctrl_c_twice(&mut self) {
        let now = Instant::now();
        if self
            .last_ctrl_c
            .is_some_and(|t| now.duration_since(t) < CTRL_C_WINDOW)
        {
            self.request_quit();
        } else {
            self.last_ctrl_c = Some(now);
            self.flash("press Ctrl-C again to quit");
        }
    }

    pub(super) fn request_quit(&mut self) {
        if self.any_busy() || self.hosted_running() {
            self.overlay = Some(Overlay::ConfirmQuit);
        } else {
            self.quit = true;
        }
    }

    pub(super) fn global(&mut self, action: Action) {
        match action {
            Action::FocusNext | Action::FocusPrev if self.quota_focused => {
                self.quota_focused = false
            }
            Action::FocusNext => self.cycle_focus(true),
            Action::FocusPrev => self.cycle_focus(false),
            Action::OpenQuota => self.toggle_quota(),
            Action::OpenDiff => self.toggle_viewer(),
            Action::WindowChord => self.chord = true,
            Action::ToggleZoom => self.zoomed = !self.zoomed,
            Action::Suspend => self.effects.push(Effect::Suspend),
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Quit => self.request_quit(),
            _ => {}
        }
    }

    fn pane_action(&mut self, action: Action) {
        if action == Action::Handoff {
            self.handoff("");
            return;
        }
        let pane = self.focused();
        match action {
            Action::Interrupt => {
                if pane.busy {
                    pane.send(Op::Interrupt);
                    pane.esc_armed = true;
                } else if pane.esc_armed && pane.composer.is_empty() {
                    // Esc Esc on an empty composer: the tasks to rewind to.
                    pane.esc_armed = false;
                    self.rewind_command("");
                } else if pane.esc_armed || !pane.composer.is_empty() {
                    pane.composer.clear();
                    pane.esc_armed = false;
                } else {
                    pane.esc_armed = true;
                }
            }
            Action::ScrollPageUp => pane.history.page_up(),
            Action::ScrollPageDown => pane.history.page_down(),
            Action::ScrollTop => pane.history.scroll_to_top(),
            Action::ScrollBottom => pane.history.scroll_to_bottom(),
            Action::ScrollUp => pane.history.scroll_up(1),
            Action::ScrollDown => pane.history.scroll_down(1),
            Action::ToggleReasoning => pane.history.toggle_reasoning(),
            Action::ToggleToolDetails => pane.history.toggle_last_tool(),
            Action::CopyLast => {
                let text = pane
                    .history
                    .last_code_block()
                    .or_else(|| pane.history.last_assistant_text().map(str::to_string));
                match text {
                    Some(text) => {
                        self.effects.push(Effect::Copy(text));
                        self.flash("copied to the clipboard");
                    }
                    None => self.flash("nothing to copy yet"),
                }
            }
            _ => {}
        }
    }

    /// `y` / `n` (the approval keys) while the focused pane waits for a
    /// budget decision; other keys go on to the composer (so `/budget` can
    /// raise the budget meanwhile). Returns whether the key was used.
    fn budget_key(&mut self, key: &KeyEvent) -> bool {
        if !self.focused().composer.is_empty() {
            return false;
        }
        let proceed = match keymap::lookup(Context::Approval, key, true) {
            Some(Action::ApproveOnce | Action::ApproveAlways) => true,
            Some(Action::Deny) => false,
            _ => return false,
        };
        let pane = self.focused();
        pane.budget_paused = false;
        pane.status = PaneStatus::Thinking;
        pane.send(Op::BudgetDecision { proceed });
        true
    }

    fn approval_key(&mut self, key: KeyEvent) {
        let pane = self.focused();
        let Some(approval) = pane.approval.as_mut() else {
            return;
        };
        if let Some(message) = approval.message.as_mut() {
            match key.code {
                KeyCode::Enter => {
                    let text = message.trim().to_string();
                    let decision = ApprovalDecision::Deny((!text.is_empty()).then_some(text));
                    self.answer(decision);
                }
                KeyCode::Esc => approval.message = None,
                KeyCode::Backspace => {
                    message.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    message.push(c)
                }
                _ => {}
            }
            return;
        }
        match keymap::lookup(Context::Approval, &key, true) {
            Some(Action::ApproveOnce) => self.answer(ApprovalDecision::Approve),
            Some(Action::ApproveAlways) => self.answer(ApprovalDecision::ApproveForSession),
            Some(Action::Deny) => self.answer(ApprovalDecision::Deny(None)),
            Some(Action::DenyWithMessage) => approval.message = Some(String::new()),
            _ => {}
        }
    }

    fn answer(&mut self, decision: ApprovalDecision) {
        let pane = self.focused();
        if let Some(approval) = pane.approval.take() {
            pane.status = PaneStatus::Thinking;
            pane.history.approval_answered(&approval.id);
            pane.send(Op::Approval {
                call_id: approval.id,
                decision,
            });
        }
    }

    fn submit(&mut self, text: String) {
        // A worktree run shown in the Run pane takes what is typed there.
        if let Some(index) = self
            .shown_run
            .filter(|i| self.focus == 1 && *i < self.runs.len())
        {
            self.submit_to_run(index, text);
            return;
        }
        self.submit_to(self.focus, text);
    }

    /// Sends `text` to pane `index` as a user message (queued when busy).
    /// Returns whether the pane has a session to take it.
    pub(super) fn submit_to(&mut self, index: usize, text: String) -> bool {
        self.submit_op(index, Op::UserMessage(text))
    }

    /// Sends a task op (a message, or a task with a completion check) to
    /// pane `index`, queued when the pane is busy.
    pub(super) fn submit_op(&mut self, index: usize, op: Op) -> bool {
        let pane = &mut self.panes[index];
        if let Some(error) = pane.setup_error.clone() {
            pane.history.push_notice(
                format!("{} is not connected to a model: {error}", pane.label()),
                NoticeKind::Error,
            );
            return false;
        }
        if pane.busy {
            pane.queued += 1;
            pane.history
                .push_notice("queued: runs when the current task ends", NoticeKind::Info);
        }
        pane.send(op)
    }

    /// Runs a slash command typed in the focused pane.
    pub fn command(&mut self, name: &str, args: &str) {
        match name {
            "help" => self.overlay = Some(Overlay::Help),
            "quit" => self.request_quit(),
            "clear" => {
                let chat = self.focus == 0;
                let pane = self.focused();
                if pane.busy {
                    pane.history.push_notice(
                        "a task is running: interrupt it (Esc) before clearing",
                        NoticeKind::Warning,
                    );
                } else {
                    pane.history.clear();
                    pane.read_paths.clear();
                    pane.send(Op::ClearHistory);
                    if chat {
                        // Chat's cells are gone: no handoff cell to follow.
                        self.handoffs.clear();
                    }
                }
            }
            "mode" => {
                let pane = self.focused();
                match args {
                    "suggest" => pane.mode = ApprovalMode::Suggest,
                    "auto-edit" => pane.mode = ApprovalMode::AutoEdit,
                    "full-auto" => pane.mode = ApprovalMode::FullAuto,
                    _ => {
                        pane.history.push_notice(
                            format!(
                                "mode is {}; choose suggest, auto-edit or full-auto",
                                pane.mode.as_str()
                            ),
                            NoticeKind::Info,
                        );
                        return;
                    }
                }
                let mode = pane.mode;
                pane.send(Op::SetMode(mode));
                pane.history
                    .push_notice(format!("mode: {}", mode.as_str()), NoticeKind::Info);
            }
            "model" => {
                let pane = self.focused();
                if args.is_empty() {
                    let text = format!(
                        "model is {} ({}); /model NAME to change it",
                        pane.model, pane.provider
                    );
                    pane.history.push_notice(text, NoticeKind::Info);
                } else {
                    pane.model = args.to_string();
                    pane.send(Op::SetModel(args.to_string()));
                    pane.history
                        .push_notice(format!("model: {args}"), NoticeKind::Info);
                }
            }
            "plan" => {
                let pane = self.focused();
                if pane.pane != Pane::Chat {
                    pane.history.push_notice(
                        "planning mode belongs to the Chat pane",
                        NoticeKind::Warning,
                    );
                    return;
                }
                pane.planning = !pane.planning;
                let on = pane.planning;
                pane.send(Op::SetPlanning(on));
                pane.history.push_notice(
                    if on {
                        "planning mode on: nothing is edited or run; /handoff sends the plan to Run"
                    } else {
                        "planning mode off"
                    },
                    NoticeKind::Info,
                );
            }
            "handoff" => self.handoff(args),
            "diff" => self.diff_command(args),
            "budget" => self.budget_command(args),
            "quota" => self.toggle_quota(),
            "theme" => self.theme_command(args),
            "mcp" => self.mcp_command(args),
            "memory" => self.memory_command(),
            "init" => self.init_command(),
            "rewind" => self.rewind_command(args),
            "review" => self.review_command(),
            "run" => self.run_command(args),
            "runs" => self.runs_command(args),
            "host" => self.host_command(args),
            "resume" => {
                if self.any_busy() {
                    self.focused().history.push_notice(
                        "a task is running: interrupt it (Esc) before resuming another session",
                        NoticeKind::Warning,
                    );
                } else if args.is_empty() {
                    self.effects.push(Effect::ListSessions);
                } else {
                    self.effects
                        .push(Effect::Resume(super::resume::Resume::Id(args.to_string())));
                }
            }
            "compact" => {
                let focus = (!args.is_empty()).then(|| args.to_string());
                let pane = self.focused();
                if pane.send(Op::Compact(focus)) {
                    pane.history.push_notice(
                        "compacting: the model summarises the older turns",
                        NoticeKind::Info,
                    );
                }
            }
            "provider" => {
                let known = self.providers.join(", ");
                let focus = self.focus;
                let pane = self.focused();
                if args.is_empty() {
                    let text = format!(
                        "provider is {}; /provider NAME switches (configured: {known})",
                        pane.provider
                    );
                    pane.history.push_notice(text, NoticeKind::Info);
                } else if pane.busy {
                    pane.history.push_notice(
                        "a task is running: interrupt it (Esc) before switching providers",
                        NoticeKind::Warning,
                    );
                } else {
                    self.effects.push(Effect::SwitchProvider {
                        pane: focus,
                        provider: args.to_string(),
                    });
                }
            }
            other if self.custom_command(other, args) => {}
            other => {
                let text = match other {
                    "provider" => {
                        "switching a pane's provider: restart with --chat-provider / --run-provider (live switching comes with saved sessions)"
                    }
                    _ => "unknown command; /help lists them",
                };
                self.focused()
                    .history
                    .push_notice(format!("/{other}: {text}"), NoticeKind::Warning);
            }
        }
    }

    /// Sends the Chat pane's last plan (or last answer) to the Run pane as
    /// its task, with the user's extra words.
    fn handoff(&mut self, args: &str) {
        let (until, extra) = match split_until(args) {
            Ok(parts) => parts,
            Err(message) => {
                self.focused()
                    .history
                    .push_notice(format!("/handoff: {message}"), NoticeKind::Warning);
                return;
            }
        };
        let chat = &self.panes[0];
        let plan = chat.history.last_plan().map(|steps| {
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {}", i + 1, s.step))
                .collect::<Vec<_>>()
                .join("\n")
        });
        let Some(body) = plan.or_else(|| chat.history.last_assistant_text().map(str::to_string))
        else {
            self.panes[0].history.push_notice(
                "nothing to hand off yet: ask Chat for a plan first",
                NoticeKind::Warning,
            );
            return;
        };
        let mut task = format!("Carry out this plan, agreed in the Chat pane:\n\n{body}");
        if !chat.read_paths.is_empty() {
            task.push_str(&format!(
                "\n\nFiles Chat read while planning (start there): {}",
                chat.read_paths.join(", ")
            ));
        }
        if !extra.is_empty() {
            task.push_str(&format!("\n\nAlso: {extra}"));
        }
        let summary = body.lines().next().unwrap_or("").to_string();
        if self.panes[1].hosted.is_some() {
            self.handoff_to_host(task, until.is_some(), &summary);
            return;
        }
        self.focus = 1;
        let until_note = match &until {
            Some(command) => format!(" (until `{command}` passes)"),
            None => String::new(),
        };
        let task_text = task.clone();
        let op = match until {
            Some(until) => Op::TaskUntil { text: task, until },
            None => Op::UserMessage(task),
        };
        self.submit_op(1, op);
        let label = format!("handed to Run{until_note}: {summary}");
        let cell = self.panes[0]
            .history
            .push_live_notice(format!("{label} · queued"), NoticeKind::Info);
        self.handoffs.push(Handoff {
            cell,
            label,
            text: task_text,
            task: None,
        });
    }
}

/// Splits `/handoff` arguments into the `--until` command (quoted, or one
/// word) and the remaining words.
fn split_until(args: &str) -> Result<(Option<String>, &str), String> {
    let Some(rest) = args.trim_start().strip_prefix("--until") else {
        return Ok((None, args));
    };
    let rest = rest.trim_start();
    let (command, extra) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let body = &rest[1..];
            let end = body
                .find(q)
                .ok_or_else(|| format!("the --until command has no closing {q}"))?;
            (&body[..end], &body[end + 1..])
        }
        Some(_) => rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len())),
        None => ("", ""),
    };
    if command.trim().is_empty() {
        return Err("--until needs a command, e.g. /handoff --until \"cargo test\"".into());
    }
    Ok((Some(command.trim().to_string()), extra.trim()))
}

#[cfg(test)]
mod until_tests {
    use super::split_until;

    #[test]
    fn until_takes_a_quoted_or_single_word_command() {
        assert_eq!(
            split_until("--until \"cargo test\" and clippy"),
            Ok((Some("cargo test".into()), "and clippy"))
        );
        assert_eq!(
            split_until("--until make  go"),
            Ok((Some("make".into()), "go"))
        );
        assert_eq!(split_until("just do it"), Ok((None, "just do it")));
        assert!(split_until("--until").is_err());
        assert!(split_until("--until 'cargo test").is_err());
    }
}
