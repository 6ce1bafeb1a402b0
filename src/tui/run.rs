//! Starting the TUI and its event loop.
//!
//! One loop on the async runtime multiplexes terminal input, both panes'
//! session events and a slow tick. It drains everything that is ready before
//! drawing once. Output from the sessions is drawn at most every `FRAME`
//! (33 ms, about 30 frames a second: smooth for text, and half the CPU of
//! 60); the user's own keys are drawn within `FRAME_INPUT` (8 ms). A burst of
//! tokens costs one frame, not one per token. Each frame is wrapped in
//! synchronized output so terminals never show half of it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind, MouseEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::app::{App, Effect, PaneSlot};
use super::app_rewind::RewindPlan;
use super::app_runs::RunState;
use super::composer::{COMMANDS, FileIndex};
use super::history::NoticeKind;
use super::host_keys::PrefixKey;
use super::notify;
pub use super::resume::Resume;
use super::review_worker::{ReviewDone, ReviewWorker};
use super::terminal::{self, Guard};
use super::theme::{ColorDepth, Theme};
use super::view;
use crate::agent::setup::{self, SandboxFlags, SessionParams};
use crate::agent::{Event, Op, Pane, Session};
use crate::config::Config;
use crate::config::DiffAlgorithm;
use crate::config::commands;
use crate::config::instructions::repo_root;
use crate::config::providers::resolve;
use crate::diff::{Algorithm, DiffOptions};
use crate::exec::secrets;
use crate::exec::{ApprovalMode, Permissions};
use crate::hooks::{HookEvent, Hooks};
use crate::host::{HostEvent, HostOptions, HostedProgram};
use crate::mcp::McpHub;
use crate::paths::Dirs;
use crate::provider::HttpModelClient;
use crate::quota::{Meter, PriceTable, QuotaSnapshot};
use crate::store::{RunMark, RunStart, Transcript};
use crate::tools::SandboxLaunch;
use crate::workspace::ReviewSnapshot;
use crate::workspace::worktree::{ApplyOutcome, RunReview, Worktree};
use crate::workspace::{
    ChangeLog, CheckpointOptions, Checkpoints, Tracker, TrackerEvent, TrackerOptions,
};
use futures_util::stream::{BoxStream, SelectAll};
use std::collections::HashMap;

/// The shortest time between two frames drawn for session output.
const FRAME: Duration = Duration::from_millis(33);
/// The shortest time between two frames when the user typed something.
const FRAME_INPUT: Duration = Duration::from_millis(8);
/// How often the open quota view re-reads the ledger.
const QUOTA_REFRESH: Duration = Duration::from_secs(2);
/// How often the clock-driven parts (elapsed time, tokens/s) refresh while a
/// pane works.
const TICK: Duration = Duration::from_millis(250);

/// `tandem` (the TUI) options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// Continue a saved session.
    pub resume: Option<Resume>,
    /// `-c` and `--profile`.
    pub config: crate::config::ConfigFlags,
    pub chat_provider: Option<String>,
    pub run_provider: Option<String>,
    pub chat_model: Option<String>,
    pub run_model: Option<String>,
    /// Workspace; the current directory when absent.
    pub cwd: Option<PathBuf>,
    pub theme: Option<String>,
    pub sandbox: SandboxFlags,
    /// `tandem demo`: its config, dirs and director instead of the user's.
    pub demo: Option<super::demo::DemoLaunch>,
    /// `--chat-host`: a terminal agent the Chat pane hosts instead of its
    /// session (over `[panes.chat] host`).
    pub chat_host: Option<String>,
    /// `--run-host`: the same for the Run pane.
    pub run_host: Option<String>,
}

/// Runs the TUI until the user quits; returns the exit code.
pub fn run(opts: TuiOptions) -> i32 {
    match launch(opts) {
        Ok(code) => code,
        Err(e) => {
            terminal::restore();
            eprintln!("tandem: {e:#}");
            crate::headless::exit::USAGE
        }
    }
}

/// Everything needed to start a pane's session. The event loop keeps it so
/// `/provider` can start a new session for a pane.
struct Launcher {
    config: Config,
    config_dir: PathBuf,
    workspace: PathBuf,
    permissions: Permissions,
    sandbox: SandboxLaunch,
    /// The hooks of every session the workbench starts.
    hooks: Arc<Hooks>,
    /// The tasks of the sessions started, awaited at exit (briefly, only
    /// when there are `session_end` hooks to let finish).
    session_tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The shared change tracker; `None` when `[review] track` is off or it
    /// could not start (the reason is shown in the Chat pane).
    tracker: Option<Arc<Tracker>>,
    /// The usage ledger and budgets shared by both panes.
    meter: Arc<Meter>,
    /// The session transcript both panes write to.
    transcript: Option<Arc<Transcript>>,
    /// How to notify (`[ui] notify`).
    notify: crate::config::NotifyStyle,
    /// Where sessions and the ledger live.
    state_dir: PathBuf,
    /// The sandbox choices from the command line (worktree runs get a
    /// sandbox of their own workspace).
    sandbox_flags: SandboxFlags,
    /// The MCP servers both panes share.
    mcp: Arc<McpHub>,
    /// Each pane's metering proxy (`[host] proxy`), started when the pane
    /// first hosts a program and kept while Tandem runs, so a restarted
    /// program keeps its URL.
    proxies: std::sync::Mutex<[Option<Arc<crate::proxy::MeteringProxy>>; 2]>,
    /// Where hosted programs report output and exits.
    host_events: mpsc::UnboundedSender<HostEvent>,
}

/// A started session: its channels and what the pane shows of it.
struct Started {
    ops: mpsc::UnboundedSender<Op>,
    events: mpsc::Receiver<Event>,
    provider: String,
    model: String,
    context_window: Option<u64>,
}

impl Launcher {
    /// The configured settings of `pane`.
    fn pane_config(&self, pane: Pane) -> &crate::config::PaneConfig {
        match pane {
            Pane::Chat => &self.config.panes.chat,
            Pane::Run => &self.config.panes.run,
        }
    }

    /// Starts a session for `pane` on `provider` (the pane's configured one
    /// when `None`) with `model` (else the configured or default model).
    fn start(
        &self,
        pane: Pane,
        provider: Option<String>,
        model: Option<String>,
        mode: ApprovalMode,
    ) -> anyhow::Result<Started> {
        let pane_config = self.pane_config(pane);
        let provider = provider.unwrap_or_else(|| pane_config.provider.clone());
        let model = setup::resolve_model(&self.config, &provider, pane_config, model)?;
        let env = |k: &str| secrets::env_var(k);
        let client = HttpModelClient::new(resolve(&self.config, &provider, &env)?)?;
        let session = Session::spawn(setup::session_config(
            &self.config,
            &self.config_dir,
            SessionParams {
                pane,
                client: Arc::new(client),
                model: model.clone(),
                mode,
                workspace: self.workspace.clone(),
                max_turns: self.config.agent.max_turns,
                reasoning: self.config.reasoning_for(pane_config),
                can_approve: true,
                live_output: true,
                permissions: self.permissions.clone(),
                sandbox: self.sandbox.clone(),
                tracker: self.tracker.clone(),
                meter: Some(self.meter.clone()),
                transcript: self.transcript.clone(),
                mcp: Some(self.mcp.clone()),
                hooks: self.hooks.clone(),
            },
        ));
        if let Ok(mut tasks) = self.session_tasks.lock() {
            tasks.push(session.task);
        }
        Ok(Started {
            ops: session.ops,
            events: session.events,
            context_window: self.config.context_window(&provider, &model),
            provider,
            model,
        })
    }

    /// Starts an autonomous session for worktree run `number` in its
    /// `workspace`: the Run pane's provider and model, permissions and
    /// sandbox of that workspace, the shared meter, and the transcript
    /// under the run's own pane key (`run#N`, so a resume can draw it
    /// again); no change tracker (its changes are not in the main
    /// workspace).
    fn start_run(&self, number: usize, workspace: &Path) -> anyhow::Result<Started> {
        let pane_config = self.pane_config(Pane::Run);
        let provider = pane_config.provider.clone();
        let model = setup::resolve_model(&self.config, &provider, pane_config, None)?;
        let env = |k: &str| secrets::env_var(k);
        let client = HttpModelClient::new(resolve(&self.config, &provider, &env)?)?;
        let (permissions, _) = setup::permissions(&self.config, workspace)?;
        let sandbox = setup::sandbox_launch(&self.config, workspace, self.sandbox_flags)?;
        let session = Session::spawn(setup::session_config(
            &self.config,
            &self.config_dir,
            SessionParams {
                pane: Pane::Run,
                client: Arc::new(client),
                model: model.clone(),
                mode: pane_config.mode,
                workspace: workspace.to_path_buf(),
                max_turns: self.config.agent.max_turns,
                reasoning: self.config.reasoning_for(pane_config),
                can_approve: true,
                live_output: true,
                permissions,
                sandbox,
                tracker: None,
                meter: Some(self.meter.clone()),
                transcript: self
                    .transcript
                    .as_ref()
                    .map(|t| t.for_pane(&crate::store::run_pane(number))),
                // MCP servers work on the main workspace, not the run's
                // worktree: a worktree run has none.
                mcp: None,
                hooks: self.hooks.clone(),
            },
        ));
        if let Ok(mut tasks) = self.session_tasks.lock() {
            tasks.push(session.task);
        }
        Ok(Started {
            ops: session.ops,
            events: session.events,
            context_window: self.config.context_window(&provider, &model),
            provider,
            model,
        })
    }

    /// Starts `host` in pane `index` in place of its session, sized to the
    /// pane's body on the current terminal (the view keeps it in step).
    fn start_host(&self, app: &mut App, index: usize, host: &str) {
        let command = crate::host::presets::preset(host, app.panes[index].pane);
        let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
        let main = ratatui::layout::Rect::new(0, 0, cols, rows.saturating_sub(1));
        let area = view::pane_areas(main, app.zoomed, app.focus)[index].unwrap_or(main);
        let size = (area.height.saturating_sub(2), area.width.saturating_sub(2));
        let extra_env = match self.proxy_env(index, app.panes[index].pane, host) {
            Ok(env) => env,
            Err(e) => {
                app.host_started(index, host, Err(format!("{e:#}")));
                return;
            }
        };
        let opts = HostOptions {
            cwd: self.workspace.clone(),
            size,
            extra_env,
            key_vars: crate::config::providers::key_vars(&self.config),
        };
        let started = HostedProgram::spawn(&command, opts, self.host_events.clone())
            .map_err(|e| e.to_string());
        app.host_started(index, host, started);
    }

    /// The variables that point `host` in pane `index` at the pane's
    /// metering proxy (started now if it is not yet running); none when
    /// `[host] proxy = false`.
    fn proxy_env(
        &self,
        index: usize,
        pane: Pane,
        host: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        use crate::proxy::{HostKind, env_for, start_for_config};
        if !self.config.host.proxy {
            return Ok(Vec::new());
        }
        let mut proxies = self.proxies.lock().unwrap_or_else(|e| e.into_inner());
        let proxy = match &proxies[index] {
            Some(proxy) => Arc::clone(proxy),
            None => {
                let env = |k: &str| secrets::env_var(k);
                let name = match pane {
                    Pane::Chat => "chat",
                    Pane::Run => "run",
                };
                let proxy = Arc::new(start_for_config(
                    &self.config,
                    Some(self.meter.clone()),
                    name,
                    &env,
                )?);
                proxies[index] = Some(Arc::clone(&proxy));
                proxy
            }
        };
        let kind = match host.trim() {
            "claude" => HostKind::Claude,
            "codex" => HostKind::Codex,
            _ => HostKind::Other,
        };
        Ok(env_for(kind, &proxy))
    }

    /// A pane that hosts a program: no session of its own.
    fn hosted_pane(&self, pane: Pane, host: &str) -> PaneSlot {
        let mode = self.pane_config(pane).mode;
        let mut slot = PaneSlot::new(pane, "hosted".into(), host.to_string(), mode);
        slot.hosted = Some(super::app_host::HostedPane::new(host));
        slot
    }

    /// A pane with its session, or with the reason it has none.
    fn pane(
        &self,
        pane: Pane,
        provider: Option<String>,
        model: Option<String>,
    ) -> (PaneSlot, Option<mpsc::Receiver<Event>>) {
        let pane_config = self.pane_config(pane);
        let mode = pane_config.mode;
        match self.start(pane, provider.clone(), model, mode) {
            Ok(started) => {
                let mut slot = PaneSlot::new(pane, started.provider, started.model, mode);
                slot.context_window = started.context_window;
                slot.ops = Some(started.ops);
                (slot, Some(started.events))
            }
            Err(e) => {
                let provider = provider.unwrap_or_else(|| pane_config.provider.clone());
                let mut slot = PaneSlot::new(pane, provider, String::new(), mode);
                slot.setup_error = Some(format!("{e:#}"));
                (slot, None)
            }
        }
    }
}

fn launch(mut opts: TuiOptions) -> anyhow::Result<i32> {
    let demo = opts.demo.take();
    let dirs = match &demo {
        Some(demo) => demo.dirs.clone(),
        None => Dirs::from_env()?,
    };
    let workspace = setup::workspace(opts.cwd.as_deref())?;
    let config = match &demo {
        Some(demo) => demo.config.clone(),
        None => Config::load(&dirs.config, Some(&repo_root(&workspace)), &opts.config)?,
    };
    let (permissions, warnings) = setup::permissions(&config, &workspace)?;
    let sandbox = setup::sandbox_launch(&config, &workspace, opts.sandbox)?;
    let depth = ColorDepth::detect(|k| std::env::var(k).ok());
    let theme_name = opts
        .theme
        .clone()
        .unwrap_or_else(|| config.ui.theme.clone());
    let theme_dir = dirs.config.join("themes");
    let (theme, theme_warning) = Theme::load_or_default(&theme_name, depth, &theme_dir);
    let mouse = config.ui.mouse;
    // Single-threaded still: move keys out of our environment block first.
    secrets::take_from_environment(&setup::secret_policy(&config));
    let _log = crate::logging::init(&dirs.log_dir());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut warnings: Vec<String> = warnings;
    warnings.extend(theme_warning);
    let (hooks, hook_notes) = if demo.is_some() {
        // The demo shows the agents, not the user's own scripts (Claude's
        // settings in $HOME would otherwise be imported).
        (Default::default(), Vec::new())
    } else {
        setup::hooks(&config, &workspace)
    };
    warnings.extend(hook_notes.into_iter().map(|n| format!("hooks: {n}")));
    let (tracker, tracker_events) = if config.review.track {
        match start_tracker(&dirs, &workspace, &config) {
            Ok((tracker, events)) => (Some(tracker), Some(events)),
            Err(e) => {
                warnings.push(format!(
                    "change tracking is off: {e:#}. The diff viewer needs it; set [review] track = false to silence this"
                ));
                (None, None)
            }
        }
    } else {
        (None, None)
    };
    // Read before anything starts, so a bad id fails at once.
    let resumed = match &opts.resume {
        Some(which) => Some(super::resume::find(&dirs.state, &workspace, which)?),
        None => None,
    };
    let session_id = crate::agent::session::new_session_id();
    let meter = Meter::open(
        &dirs.state,
        &session_id,
        PriceTable::new(&config.pricing),
        config.budget.clone(),
    );
    let transcript = match Transcript::create(&dirs.state, &session_id, &workspace) {
        Ok(t) => Some(t),
        Err(e) => {
            warnings.push(format!("this session is not recorded (no resume): {e}"));
            None
        }
    };
    let (mcp, notes) = setup::mcp_hub(&config, &workspace, runtime.handle().clone());
    warnings.extend(notes);
    let (host_prefix, prefix_warning) = PrefixKey::from_config(&config.host.prefix_key);
    warnings.extend(prefix_warning);
    let hosts = [
        opts.chat_host
            .take()
            .or_else(|| config.panes.chat.host.clone()),
        opts.run_host
            .take()
            .or_else(|| config.panes.run.host.clone()),
    ]
    .map(|h| h.filter(|h| !h.trim().is_empty()));
    let (host_events, host_rx) = mpsc::unbounded_channel();
    let launcher = Launcher {
        proxies: std::sync::Mutex::new([None, None]),
        host_events,
        mcp,
        sandbox_flags: opts.sandbox,
        state_dir: dirs.state.clone(),
        meter,
        transcript,
        notify: config.ui.notify,
        config,
        config_dir: dirs.config.clone(),
        workspace: workspace.clone(),
        permissions,
        sandbox,
        hooks,
        session_tasks: Default::default(),
        tracker,
    };
    let code = runtime.block_on(async move {
        let (chat, chat_events) = match &hosts[0] {
            Some(host) => (launcher.hosted_pane(Pane::Chat, host), None),
            None => launcher.pane(Pane::Chat, opts.chat_provider, opts.chat_model),
        };
        let (run, worktree_events) = match &hosts[1] {
            Some(host) => (launcher.hosted_pane(Pane::Run, host), None),
            None => launcher.pane(Pane::Run, opts.run_provider, opts.run_model),
        };
        let mut app = App::new(chat, run, theme);
        app.host_prefix = host_prefix;
        for (index, host) in hosts.iter().enumerate() {
            if let Some(host) = host {
                launcher.start_host(&mut app, index, host);
            }
        }
        // A hosted program starts with the keyboard: it is what was asked for.
        if let Some(index) = hosts.iter().position(Option::is_some) {
            app.focus = index;
        }
        let restored_runs = match &resumed {
            Some(resumed) => restore(&mut app, resumed, launcher.transcript.as_deref()),
            None => Vec::new(),
        };
        app.providers = launcher.config.providers.keys().cloned().collect();
        app.theme_dir = Some(theme_dir);
        app.tracker = launcher.tracker.clone();
        app.meter = Some(launcher.meter.clone());
        app.mcp = Some(launcher.mcp.clone());
        app.max_parallel_runs = launcher.config.agent.parallel_runs.max(1);
        // A few small files: read before the first frame.
        app.set_custom_commands(read_commands(&workspace, &launcher.config_dir));
        // One walk of the workspace serves `@` completion in both panes.
        let files = FileIndex::build(&workspace);
        for pane in &mut app.panes {
            pane.composer.set_file_index(files.clone());
        }
        for warning in warnings {
            app.panes[0]
                .history
                .push_notice(warning, NoticeKind::Warning);
        }
        if resumed.is_none()
            && app
                .panes
                .iter()
                .all(|p| p.setup_error.is_some() && p.hosted.is_none())
        {
            app.local_servers = super::first_run::detect_local().await;
            app.overlay = Some(super::app::Overlay::FirstRun);
        }
        let review = launcher.tracker.clone().map(ReviewWorker::start);
        let channels = Channels {
            sessions: [chat_events, worktree_events],
            tracker: tracker_events,
            review,
            demo: demo.map(|d| d.director),
            host: host_rx,
            runs: restored_runs,
        };
        let code = event_loop(&mut app, channels, &launcher, mouse).await;
        let after_exit = app.after_exit;
        // The sessions were told to shut down: let their session_end hooks
        // finish, within the hooks' timeout.
        if let Some(limit) = launcher.hooks.longest_timeout(HookEvent::SessionEnd) {
            let tasks = launcher
                .session_tasks
                .lock()
                .map(|mut t| std::mem::take(&mut *t))
                .unwrap_or_default();
            let _ = tokio::time::timeout(limit, futures_util::future::join_all(tasks)).await;
        }
        // Calls recorded in the last moments are still being written.
        let meter = launcher.meter.clone();
        let transcript = launcher.transcript.clone();
        let _ = tokio::task::spawn_blocking(move || {
            meter.flush();
            if let Some(transcript) = transcript {
                transcript.close();
            }
        })
        .await;
        code.map(|code| (code, after_exit))
    });
    runtime.shutdown_timeout(Duration::from_millis(300));
    match code? {
        (_, Some(super::app::AfterExit::Demo)) => Ok(play_demo()),
        (code, None) => Ok(code),
    }
}

/// Replaces this process with `tandem demo` (the terminal is restored by
/// now); returns an exit code only when that fails.
fn play_demo() -> i32 {
    use std::os::unix::process::CommandExt;
    let error = match std::env::current_exe() {
        Ok(exe) => std::process::Command::new(exe).arg("demo").exec(),
        Err(e) => e,
    };
    eprintln!("tandem: cannot start the demo ({error}); run `tandem demo`");
    crate::headless::exit::FAILURE
}

async fn recv(rx: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn recv_unbounded<T>(rx: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Opens the workspace's checkpoint history and starts tracking changes.
fn start_tracker(
    dirs: &Dirs,
    workspace: &Path,
    config: &Config,
) -> anyhow::Result<(Arc<Tracker>, mpsc::UnboundedReceiver<TrackerEvent>)> {
    let checkpoints = Checkpoints::open(
        &dirs.state,
        workspace,
        CheckpointOptions {
            max_file_bytes: config.review.max_file_bytes,
        },
    )?;
    let log_path = ChangeLog::path_for(checkpoints.shadow_dir());
    let log = match ChangeLog::open(&log_path) {
        Ok(log) => log,
        Err(e) => {
            // The log is history for the review, not the work itself: keep
            // the unreadable file aside for inspection and start a new one.
            let aside = log_path.with_extension(format!("corrupt-{}", std::process::id()));
            std::fs::rename(&log_path, &aside).with_context(|| {
                format!(
                    "{e}; and it could not be moved aside to {}",
                    aside.display()
                )
            })?;
            tracing::warn!(error = %e, aside = %aside.display(), "change log moved aside");
            ChangeLog::open(&log_path)?
        }
    };
    Ok(Tracker::start(
        Arc::new(checkpoints),
        log,
        TrackerOptions::default(),
    ))
}

/// The diff options the review uses: the configured algorithm and context,
/// and the viewer's whitespace toggle.
fn diff_options(config: &Config, ignore_whitespace: bool) -> DiffOptions {
    DiffOptions {
        algorithm: match config.review.algorithm {
            DiffAlgorithm::Myers => Algorithm::Myers,
            DiffAlgorithm::Patience => Algorithm::Patience,
        },
        context: config.review.context,
        ignore_whitespace,
        deadline: None,
    }
}

/// Hands the terminal to `$VISUAL` / `$EDITOR` (else `vi`) on `path` at
/// `line`, and waits for it. The editor string may carry arguments
/// (`code -w`), so it goes through `sh` like git's `core.editor`.
fn run_editor(path: &Path, line: usize) -> anyhow::Result<()> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(&editor)
        .arg(format!("+{line}"))
        .arg(path)
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    if !status.success() {
        anyhow::bail!("the editor `{editor}` exited with {status}");
    }
    Ok(())
}

/// What blocking work done for the app reports back.
enum Background {
    RewindPlan(Result<RewindPlan, String>),
    Restored(Result<usize, String>),
    ReviewRequest(Result<String, String>),
    RunCreated {
        number: usize,
        task: String,
        worktree: Result<Worktree, String>,
    },
    RunCommitted {
        number: usize,
        files: Result<Vec<String>, String>,
    },
    RunSettled {
        number: usize,
        state: Option<RunState>,
        text: String,
    },
    RunReviewed {
        number: usize,
        executed: Option<Result<String, String>>,
        snapshot: Box<Result<ReviewSnapshot, String>>,
    },
    Sessions(Result<Vec<crate::store::index::SessionInfo>, String>),
    Resumed(Box<Result<super::resume::Resumed, String>>),
    /// The custom command files, read again.
    Commands(commands::Commands),
}

/// The custom commands of `workspace` and the user (`config_dir`, `~`).
fn read_commands(workspace: &Path, config_dir: &Path) -> commands::Commands {
    let built_ins: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    commands::discover(
        &repo_root(workspace),
        config_dir,
        home.as_deref(),
        &built_ins,
    )
}

/// The files that differ between `checkpoint` and the workspace now (after
/// a fresh checkpoint), old paths of renames included.
fn plan_rewind(tracker: &Tracker, checkpoint: &str) -> Result<Vec<PathBuf>, String> {
    tracker.refresh();
    tracker.flush().map_err(|e| e.to_string())?;
    let head = tracker
        .head()
        .ok_or_else(|| "no checkpoint yet".to_string())?;
    let changes = tracker
        .checkpoints()
        .changes_between(checkpoint, &head)
        .map_err(|e| e.to_string())?;
    let mut paths = Vec::new();
    for change in changes {
        if let crate::workspace::ChangeStatus::Renamed { from } = &change.status {
            paths.push(from.clone());
        }
        paths.push(change.path);
    }
    Ok(paths)
}

/// Hands a saved session's conversations to the panes' sessions and draws
/// them again; its worktree runs come back in `/runs` (the worktrees found
/// again are returned, by run number).
fn restore(
    app: &mut App,
    resumed: &super::resume::Resumed,
    transcript: Option<&Transcript>,
) -> Vec<(usize, Worktree)> {
    let runs = app.restore_runs(&resumed.runs, transcript);
    for (index, messages) in [&resumed.chat, &resumed.run].into_iter().enumerate() {
        let pane = &mut app.panes[index];
        if messages.is_empty() {
            // A pane that had nothing to say then starts fresh now.
            pane.send_op(Op::RestoreHistory(Vec::new()));
            continue;
        }
        super::resume::replay(&mut pane.history, messages, &resumed.tool_summaries);
        pane.send_op(Op::RestoreHistory(messages.clone()));
        let note = if resumed.cut_short {
            " (it was cut short: the last, unfinished record was left out)"
        } else {
            ""
        };
        pane.history.push_notice(
            format!(
                "resumed session {}: {} messages; the conversation goes on from here{note}",
                resumed.id,
                messages.len()
            ),
            NoticeKind::Info,
        );
    }
    runs
}

/// The conversation a new session for run `number` starts from: what a
/// resume loaded for it, else (a run started here whose session ended)
/// what this session's transcript recorded for it.
fn revived_history(app: &App, launcher: &Launcher, number: usize) -> Vec<crate::provider::Message> {
    let loaded = app
        .runs
        .get(number - 1)
        .map(|run| run.history.clone())
        .unwrap_or_default();
    if !loaded.is_empty() {
        return loaded;
    }
    let recorded = launcher
        .transcript
        .as_ref()
        .and_then(|t| crate::store::load(t.path()).ok())
        .and_then(|l| l.panes.get(&crate::store::run_pane(number)).cloned())
        .map(|pane| pane.messages)
        .unwrap_or_default();
    super::resume::completed(recorded)
}

/// Every channel the event loop listens to besides the terminal.
struct Channels {
    sessions: [Option<mpsc::Receiver<Event>>; 2],
    tracker: Option<mpsc::UnboundedReceiver<TrackerEvent>>,
    review: Option<(ReviewWorker, mpsc::UnboundedReceiver<ReviewDone>)>,
    /// `tandem demo`'s director, playing the story with keys.
    demo: Option<super::demo::Director>,
    /// Output and exits of hosted programs.
    host: mpsc::UnboundedReceiver<HostEvent>,
    /// The worktrees of runs restored from a saved session, by run number.
    runs: Vec<(usize, Worktree)>,
}

/// Puts `text` on the clipboard with OSC 52 (works over SSH, and in tmux
/// with `set-clipboard on`).
fn osc52(text: &str) -> io::Result<()> {
    crossterm::execute!(
        io::stdout(),
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
    )
}

async fn event_loop(
    app: &mut App,
    channels: Channels,
    launcher: &Launcher,
    mouse: bool,
) -> anyhow::Result<i32> {
    let Channels {
        sessions: mut events,
        tracker: mut tracker_events,
        review,
        mut demo,
        host: mut host_events,
        runs: restored_runs,
    } = channels;
    let (review, mut review_done) = match review {
        Some((worker, done)) => (Some(worker), Some(done)),
        None => (None, None),
    };
    // Quota snapshots are read from the ledger on the blocking pool, one at
    // a time; the view asks again every QUOTA_REFRESH while it is open.
    let (quota_tx, mut quota_rx) = mpsc::unbounded_channel::<Box<QuotaSnapshot>>();
    let mut quota_in_flight = false;
    // Results of other blocking work (rewind plans and restores).
    let (background_tx, mut background_rx) = mpsc::unbounded_channel::<Background>();
    // Worktree runs: their worktrees and sessions (none for a run restored
    // from a saved session), and all their events in one stream tagged with
    // the run's number.
    let mut run_handles: HashMap<usize, (Worktree, Option<mpsc::UnboundedSender<Op>>)> =
        restored_runs
            .into_iter()
            .map(|(number, wt)| (number, (wt, None)))
            .collect();
    let mut run_reviews: HashMap<usize, Arc<std::sync::Mutex<RunReview>>> = HashMap::new();
    let mut worktree_events: SelectAll<BoxStream<'static, (usize, Event)>> = SelectAll::new();
    let mut quota_read_at: Option<Instant> = None;
    // MCP servers coming up, failing or crashing: the Chat pane says so.
    let mut mcp_changes = app.mcp.as_ref().map(|hub| {
        let mut changes = hub.subscribe();
        // Servers may have come up before the loop looks: report them too.
        changes.mark_changed();
        changes
    });
    let _guard = Guard::new(mouse).context("cannot set up the terminal")?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    term.clear()?;
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut signals = Signals::new()?;
    let mut dirty = true;
    // Set by the user's own input: drawn sooner than streamed output.
    let mut urgent = false;
    let mut last_frame = Instant::now() - FRAME;
    loop {
        let interval = if urgent { FRAME_INPUT } else { FRAME };
        if dirty && last_frame.elapsed() >= interval {
            io::stdout().execute_sync(|| {
                term.draw(|f| {
                    view::draw(app, f);
                    if let Some(demo) = &demo {
                        super::demo::caption::draw(demo, f, &app.theme);
                    }
                })
                .map(|_| ())
            })?;
            last_frame = Instant::now();
            dirty = false;
            urgent = false;
        }
        if app.quit {
            break;
        }
        let next_frame = tokio::time::sleep_until((last_frame + interval).into());
        let demo_due = demo.as_ref().and_then(|d| d.next_wake());
        let demo_wake = tokio::time::sleep_until(demo_due.unwrap_or_else(Instant::now).into());
        let wake = {
            let [chat_events, run_events] = &mut events;
            tokio::select! {
                biased;
                term_event = input.next() => Wake::Terminal(term_event),
                event = recv_unbounded(&mut tracker_events) => Wake::Tracker(event),
                done = recv_unbounded(&mut review_done) => Wake::Review(done),
                snapshot = quota_rx.recv() => Wake::Quota(snapshot),
                Some(event) = host_events.recv() => Wake::Host(event),
                done = background_rx.recv() => Wake::Background(done),
                changed = mcp_changed(&mut mcp_changes) => Wake::Mcp(changed),
                Some((number, event)) = worktree_events.next(), if !worktree_events.is_empty() => {
                    Wake::RunEvent(number, Box::new(event))
                }
                event = recv(chat_events) => Wake::Session(0, event),
                event = recv(run_events) => Wake::Session(1, event),
                _ = tick.tick(), if app.any_busy() || app.flash.is_some() || app.completing() || app.quota_focused || app.hosting() => Wake::Tick,
                _ = next_frame, if dirty => Wake::Frame,
                _ = demo_wake, if demo_due.is_some() => Wake::Demo,
                _ = signals.next() => Wake::Signal,
            }
        };
        let frame_only = matches!(wake, Wake::Frame);
        urgent |= matches!(wake, Wake::Terminal(_));
        match wake {
            Wake::Terminal(Some(Ok(TermEvent::Key(key)))) if key.kind != KeyEventKind::Release => {
                match demo.as_mut() {
                    Some(demo) => demo.user_key(app, key, Instant::now()),
                    None => app.on_key(key),
                }
            }
            Wake::Terminal(Some(Ok(TermEvent::Paste(text)))) => app.on_paste(&text),
            Wake::Terminal(Some(Ok(TermEvent::Mouse(m)))) => match m.kind {
                MouseEventKind::ScrollUp => app.focused().history.scroll_up(3),
                MouseEventKind::ScrollDown => app.focused().history.scroll_down(3),
                _ => {}
            },
            Wake::Terminal(Some(Ok(TermEvent::Resize(_, _)))) => term.autoresize()?,
            Wake::Terminal(Some(Ok(_))) => {}
            Wake::Terminal(Some(Err(e))) => return Err(e.into()),
            Wake::Terminal(None) | Wake::Signal => break,
            Wake::Tracker(Some(event)) => app.on_tracker_event(&event),
            Wake::Tracker(None) => tracker_events = None,
            Wake::Mcp(true) => app.on_mcp_change(),
            Wake::Mcp(false) => mcp_changes = None,
            Wake::Review(Some(ReviewDone::Snapshot(Ok(snapshot)))) => {
                app.on_review_snapshot(snapshot)
            }
            Wake::Review(Some(ReviewDone::Snapshot(Err(message)))) => {
                app.flash = Some((format!("review: {message}"), Instant::now()))
            }
            Wake::Review(Some(ReviewDone::Executed(outcome))) => app.on_review_done(outcome),
            Wake::Review(None) => review_done = None,
            Wake::Session(index, Some(event)) => app.on_session_event(index, &event),
            Wake::Session(index, None) => {
                events[index] = None;
                app.panes[index].ops = None;
            }
            Wake::Tick => {
                for pane in &mut app.panes {
                    pane.composer.poll();
                }

                if app.quota_focused && quota_read_at.is_some_and(|t| t.elapsed() >= QUOTA_REFRESH)
                {
                    app.push_effect(Effect::RefreshQuota);
                }
            }
            Wake::Quota(Some(snapshot)) => {
                quota_in_flight = false;
                app.quota_view.set_snapshot(*snapshot);
            }
            Wake::Quota(None) => {}
            Wake::Background(Some(Background::RewindPlan(plan))) => app.on_rewind_plan(plan),
            Wake::Background(Some(Background::Restored(outcome))) => app.on_files_restored(outcome),
            Wake::Background(Some(Background::ReviewRequest(request))) => {
                app.on_review_request(request)
            }
            Wake::Background(Some(Background::Commands(found))) => app.set_custom_commands(found),
            Wake::Background(Some(Background::Sessions(list))) => match list {
                Ok(list) if list.is_empty() => app
                    .focused()
                    .history
                    .push_notice("no saved sessions yet", NoticeKind::Info),
                Ok(list) => app.open_sessions(&list),
                Err(e) => app
                    .focused()
                    .history
                    .push_notice(format!("cannot list sessions: {e}"), NoticeKind::Warning),
            },
            Wake::Background(Some(Background::Resumed(found))) => match *found {
                Ok(resumed) => {
                    for pane in &mut app.panes {
                        pane.history.clear();
                        pane.task_log.clear();
                    }
                    app.handoffs.clear();
                    let runs = restore(app, &resumed, launcher.transcript.as_deref());
                    run_handles.extend(runs.into_iter().map(|(n, wt)| (n, (wt, None))));
                }
                Err(e) => app
                    .focused()
                    .history
                    .push_notice(format!("/resume: {e}"), NoticeKind::Error),
            },
            Wake::Background(None) => {}
            Wake::RunEvent(number, event) => {
                if let Some(transcript) = &launcher.transcript {
                    match &*event {
                        Event::TaskComplete { status, .. } => {
                            transcript.run_marked(number, RunMark::Finished(*status))
                        }
                        // Working (again): a quit before it ends leaves it
                        // "interrupted" on resume, not "finished".
                        Event::TaskStarted { .. } => {
                            transcript.run_marked(number, RunMark::Working)
                        }
                        _ => {}
                    }
                }
                app.on_run_event(number, &event)
            }
            Wake::Background(Some(Background::RunCreated {
                number,
                task,
                worktree,
            })) => {
                let started = worktree.and_then(|wt| {
                    if let Some(transcript) = &launcher.transcript {
                        transcript.run_started(&RunStart {
                            number,
                            task: task.clone(),
                            branch: wt.branch().to_string(),
                            worktree: wt.path().to_path_buf(),
                            base: wt.base().to_string(),
                        });
                    }
                    launcher
                        .start_run(number, &wt.workspace())
                        .map(|started| (wt, started))
                        .map_err(|e| format!("{e:#}"))
                });
                match started {
                    Ok((wt, started)) => {
                        let _ = started.ops.send(Op::UserMessage(task));
                        let rx = started.events;
                        worktree_events.push(Box::pin(futures_util::stream::unfold(
                            rx,
                            move |mut rx| async move { rx.recv().await.map(|e| ((number, e), rx)) },
                        )));
                        app.on_run_started(number, Ok(wt.branch().to_string()));
                        // The app sends what the user types into the run.
                        if let Some(run) = app.runs.get_mut(number - 1) {
                            run.slot.ops = Some(started.ops.clone());
                        }
                        run_handles.insert(number, (wt, Some(started.ops)));
                    }
                    Err(why) => app.on_run_started(number, Err(why)),
                }
            }
            Wake::Background(Some(Background::RunCommitted { number, files })) => {
                app.on_run_committed(number, files)
            }
            Wake::Background(Some(Background::RunSettled {
                number,
                state,
                text,
            })) => {
                let mark = match state {
                    Some(RunState::Merged) => Some(RunMark::Merged),
                    Some(RunState::Discarded) => Some(RunMark::Discarded),
                    _ => None,
                };
                if let (Some(mark), Some(transcript)) = (mark, &launcher.transcript) {
                    transcript.run_marked(number, mark);
                }
                app.on_run_settled(number, state, text)
            }
            Wake::Background(Some(Background::RunReviewed {
                number,
                executed,
                snapshot,
            })) => {
                if let Some(Ok(text) | Err(text)) = executed {
                    app.flash = Some((text, Instant::now()));
                }
                if app.viewer_source == Some(number) {
                    match *snapshot {
                        Ok(snapshot) => app.on_review_snapshot(snapshot),
                        Err(e) => app.flash = Some((format!("run #{number}: {e}"), Instant::now())),
                    }
                }
            }
            Wake::Host(event) => app.on_host_event(&event),
            Wake::Frame | Wake::Demo => {}
        }
        while let Ok(event) = host_events.try_recv() {
            app.on_host_event(&event);
        }
        app.host_tick(Instant::now());
        // Two mutex reads: whether the ledger and transcript are written.
        app.storage_problems(
            launcher.meter.problem(),
            launcher.transcript.as_ref().and_then(|t| t.problem()),
        );
        dirty |= !frame_only;
        // Drain whatever else is ready, so one frame shows all of it. The
        // tracker first: a Run summary reads the attributions it reports.
        while let Some(Ok(event)) = tracker_events.as_mut().map(|rx| rx.try_recv()) {
            app.on_tracker_event(&event);
        }
        for (index, rx) in events.iter_mut().enumerate() {
            while let Some(rx_ref) = rx.as_mut() {
                match rx_ref.try_recv() {
                    Ok(event) => app.on_session_event(index, &event),
                    Err(_) => break,
                }
            }
        }
        // The demo's keys, after the events they may wait for.
        if let Some(demo) = demo.as_mut() {
            dirty |= demo.advance(app, Instant::now());
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Copy(text) => osc52(&text)?,
                Effect::Notify(message) => {
                    if let Some(bytes) = notify::sequence(launcher.notify, &message) {
                        use std::io::Write;
                        let mut out = io::stdout();
                        out.write_all(bytes.as_bytes())?;
                        out.flush()?;
                    }
                }
                Effect::Suspend => {
                    terminal::suspend(mouse)?;
                    term.clear()?;
                    dirty = true;
                }
                Effect::PlanRewind {
                    pane,
                    task,
                    checkpoint,
                } => {
                    if let Some(tracker) = launcher.tracker.clone() {
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let plan = plan_rewind(&tracker, &checkpoint).map(|paths| RewindPlan {
                                pane,
                                task,
                                checkpoint,
                                paths,
                            });
                            let _ = tx.send(Background::RewindPlan(plan));
                        });
                    }
                }
                Effect::ReviewRun {
                    task,
                    prompt,
                    checkpoint,
                } => {
                    if let Some(tracker) = launcher.tracker.clone() {
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let request = super::run_review::review_request(
                                &tracker,
                                &checkpoint,
                                task,
                                &prompt,
                            );
                            let _ = tx.send(Background::ReviewRequest(request));
                        });
                    }
                }
                Effect::StartRun { number, task } => {
                    let tx = background_tx.clone();
                    let state = launcher.state_dir.clone();
                    let workspace = launcher.workspace.clone();
                    tokio::task::spawn_blocking(move || {
                        let worktree =
                            Worktree::create(&state, &workspace, &task).map_err(|e| e.to_string());
                        let _ = tx.send(Background::RunCreated {
                            number,
                            task,
                            worktree,
                        });
                    });
                }
                Effect::FinishRun { number } => {
                    if let Some((wt, _)) = run_handles.get(&number) {
                        let wt = wt.clone();
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let files = wt
                                .commit(&format!("tandem worktree run #{number}"))
                                .and_then(|_| wt.changed_files())
                                .map_err(|e| e.to_string());
                            let _ = tx.send(Background::RunCommitted { number, files });
                        });
                    }
                }
                Effect::ReviveRun { number, messages } => {
                    let started = match run_handles.get(&number) {
                        Some((wt, _)) => launcher
                            .start_run(number, &wt.workspace())
                            .map_err(|e| format!("{e:#}")),
                        None => Err("its worktree is not known in this session".into()),
                    };
                    match started {
                        Ok(started) => {
                            let history = revived_history(app, launcher, number);
                            let _ = started.ops.send(Op::RestoreHistory(history));
                            for text in messages {
                                let _ = started.ops.send(Op::UserMessage(text));
                            }
                            let rx = started.events;
                            worktree_events.push(Box::pin(futures_util::stream::unfold(
                                rx,
                                move |mut rx| async move {
                                    rx.recv().await.map(|e| ((number, e), rx))
                                },
                            )));
                            if let Some((_, ops)) = run_handles.get_mut(&number)
                                && let Some(old) = ops.replace(started.ops.clone())
                            {
                                let _ = old.send(Op::Shutdown);
                            }
                            app.on_run_revived(number, Ok(started.ops));
                        }
                        Err(why) => app.on_run_revived(number, Err(why)),
                    }
                }
                Effect::MergeRun { number } => {
                    if let Some((wt, _)) = run_handles.get(&number) {
                        let wt = wt.clone();
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let (state, text) = match wt.apply_to_main() {
                                Ok(ApplyOutcome::Applied(files)) => (
                                    Some(RunState::Merged),
                                    format!(
                                        "run #{number} merged into the workspace: {}",
                                        files.join(", ")
                                    ),
                                ),
                                Ok(ApplyOutcome::Nothing) => {
                                    (None, format!("run #{number} changed nothing to merge"))
                                }
                                Ok(ApplyOutcome::Conflicts(why)) => (
                                    None,
                                    format!(
                                        "run #{number} was not merged: it conflicts with changes made here meanwhile (nothing was changed): {}",
                                        why.join("; ")
                                    ),
                                ),
                                Err(e) => (None, format!("run #{number} could not be merged: {e}")),
                            };
                            let _ = tx.send(Background::RunSettled {
                                number,
                                state,
                                text,
                            });
                        });
                    }
                }
                Effect::DiscardRun { number } => {
                    if let Some((wt, ops)) = run_handles.remove(&number) {
                        if let Some(ops) = ops {
                            let _ = ops.send(Op::Shutdown);
                        }
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let branch = wt.branch().to_string();
                            let (state, text) = match wt.discard() {
                                Ok(()) => (
                                    Some(RunState::Discarded),
                                    format!(
                                        "run #{number} discarded: its worktree and branch {branch} are gone"
                                    ),
                                ),
                                Err(e) => {
                                    (None, format!("run #{number} could not be discarded: {e}"))
                                }
                            };
                            let _ = tx.send(Background::RunSettled {
                                number,
                                state,
                                text,
                            });
                        });
                    }
                }
                Effect::RereadCommands => {
                    let tx = background_tx.clone();
                    let workspace = launcher.workspace.clone();
                    let config_dir = launcher.config_dir.clone();
                    tokio::task::spawn_blocking(move || {
                        let found = read_commands(&workspace, &config_dir);
                        let _ = tx.send(Background::Commands(found));
                    });
                }
                Effect::ListSessions => {
                    let tx = background_tx.clone();
                    let state = launcher.state_dir.clone();
                    tokio::task::spawn_blocking(move || {
                        let list = crate::store::index::list(&state).map_err(|e| e.to_string());
                        let _ = tx.send(Background::Sessions(list));
                    });
                }
                Effect::Resume(which) => {
                    let tx = background_tx.clone();
                    let state = launcher.state_dir.clone();
                    let workspace = launcher.workspace.clone();
                    tokio::task::spawn_blocking(move || {
                        let found = super::resume::find(&state, &workspace, &which)
                            .map_err(|e| format!("{e:#}"));
                        let _ = tx.send(Background::Resumed(Box::new(found)));
                    });
                }
                Effect::StartHost { pane, host } => {
                    launcher.start_host(app, pane, &host);
                    // The pane's session (if any) is let go with its events.
                    events[pane] = None;
                }
                Effect::RestoreFiles { checkpoint, paths } => {
                    if let Some(tracker) = launcher.tracker.clone() {
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let count = paths.len();
                            let outcome = tracker
                                .checkpoints()
                                .restore(&checkpoint, &paths)
                                .map(|()| count)
                                .map_err(|e| e.to_string());
                            // The restore is a change like any other: record it.
                            tracker.refresh();
                            let _ = tx.send(Background::Restored(outcome));
                        });
                    }
                }
                Effect::RefreshQuota => {
                    if !quota_in_flight {
                        quota_in_flight = true;
                        quota_read_at = Some(Instant::now());
                        let meter = launcher.meter.clone();
                        let tx = quota_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let _ = tx.send(Box::new(meter.snapshot()));
                        });
                    }
                }
                Effect::RefreshReview | Effect::Review(_) if app.viewer_source.is_some() => {
                    // The viewer shows a worktree run: its own review.
                    let number = app.viewer_source.unwrap_or_default();
                    if let Some((wt, _)) = run_handles.get(&number) {
                        let review = run_reviews
                            .entry(number)
                            .or_insert_with(|| {
                                Arc::new(std::sync::Mutex::new(RunReview::new(wt.clone(), number)))
                            })
                            .clone();
                        let opts = diff_options(&launcher.config, app.review_ignore_whitespace);
                        let tx = background_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let mut review = review.lock().unwrap_or_else(|e| e.into_inner());
                            let executed = match &effect {
                                Effect::Review(command) => {
                                    Some(review.execute(command).map_err(|e| e.to_string()))
                                }
                                _ => None,
                            };
                            let snapshot = review.snapshot(&opts).map_err(|e| e.to_string());
                            let _ = tx.send(Background::RunReviewed {
                                number,
                                executed,
                                snapshot: Box::new(snapshot),
                            });
                        });
                    }
                }
                Effect::Review(command) => {
                    if let Some(review) = &review {
                        review.execute(command);
                    }
                }
                Effect::RefreshReview => {
                    if let Some(review) = &review {
                        review
                            .refresh(diff_options(&launcher.config, app.review_ignore_whitespace));
                    }
                }
                Effect::Edit { path, line } => {
                    terminal::restore();
                    let result = run_editor(&launcher.workspace.join(&path), line);
                    terminal::enter(mouse)?;
                    term.clear()?;
                    if let Err(e) = result {
                        app.flash = Some((format!("{e:#}"), Instant::now()));
                    }
                    if let Some(review) = &review {
                        review
                            .refresh(diff_options(&launcher.config, app.review_ignore_whitespace));
                    }
                    dirty = true;
                }
                Effect::SwitchProvider { pane, provider } => {
                    let slot = &mut app.panes[pane];
                    match launcher.start(slot.pane, Some(provider.clone()), None, slot.mode) {
                        Ok(started) => {
                            if let Some(old) = slot.ops.replace(started.ops) {
                                let _ = old.send(Op::Shutdown);
                            }
                            events[pane] = Some(started.events);
                            slot.provider = started.provider;
                            slot.model = started.model;
                            slot.context_window = started.context_window;
                            slot.setup_error = None;
                            slot.busy = false;
                            slot.queued = 0;
                            // The new session counts its tasks from 1 again.
                            slot.tasks = 0;
                            slot.history.push_notice(
                                format!(
                                    "now on {} · {}; the conversation starts fresh",
                                    slot.provider, slot.model
                                ),
                                NoticeKind::Info,
                            );
                        }
                        Err(e) => slot.history.push_notice(
                            format!("cannot switch to `{provider}`: {e:#}"),
                            NoticeKind::Error,
                        ),
                    }
                    dirty = true;
                }
            }
        }
    }
    for pane in &app.panes {
        if let Some(tx) = &pane.ops {
            let _ = tx.send(Op::Shutdown);
        }
    }
    // Worktree runs stop with the workbench; their worktrees and branches
    // stay (git worktree list shows them) until merged or discarded.
    for ops in run_handles.values().filter_map(|(_, ops)| ops.as_ref()) {
        let _ = ops.send(Op::Shutdown);
    }
    Ok(crate::headless::exit::OK)
}

/// What woke the event loop.
enum Wake {
    Terminal(Option<io::Result<TermEvent>>),
    Session(usize, Option<Event>),
    Tracker(Option<TrackerEvent>),
    Quota(Option<Box<QuotaSnapshot>>),
    Background(Option<Background>),
    RunEvent(usize, Box<Event>),
    Review(Option<ReviewDone>),
    /// A hosted program printed something or exited.
    Host(HostEvent),
    /// The MCP servers' states changed (`false`: the hub is gone).
    Mcp(bool),
    Tick,
    Frame,
    /// A step of `tandem demo` is due.
    Demo,
    Signal,
}

/// Waits for the next change of the MCP servers' states; never resolves
/// without a hub.
async fn mcp_changed(changes: &mut Option<tokio::sync::watch::Receiver<u64>>) -> bool {
    match changes {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// SIGTERM and SIGHUP: leave cleanly (the guard restores the terminal).
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

/// Wraps a frame in synchronized output (DEC mode 2026).
trait SyncOutput {
    fn execute_sync(&mut self, draw: impl FnOnce() -> io::Result<()>) -> io::Result<()>;
}

impl SyncOutput for io::Stdout {
    fn execute_sync(&mut self, draw: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
        crossterm::execute!(self, BeginSynchronizedUpdate)?;
        let result = draw();
        crossterm::execute!(self, EndSynchronizedUpdate)?;
        result
    }
}
