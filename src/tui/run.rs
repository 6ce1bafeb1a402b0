//! Starting the TUI and its event loop.
//!
//! One loop on the async runtime multiplexes terminal input, both panes'
//! session events and a slow tick. It drains everything that is ready before
//! drawing once. Output from the sessions is drawn at most every `FRAME`
//! (33 ms, about 30 frames a second: smooth for text, and half the CPU of
//! 60); the user's own keys are drawn within `FRAME_INPUT` (8 ms). A burst of
//! tokens costs one frame, not one per token. Each frame is wrapped in
//! synchronized output so terminals never show half of it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::app::{App, Effect, PaneSlot};
use super::composer::FileIndex;
use super::history::NoticeKind;
use super::terminal::{self, Guard};
use super::theme::{ColorDepth, Theme};
use super::view;
use crate::agent::setup::{self, SandboxFlags, SessionParams};
use crate::agent::{Event, Op, Pane, Session};
use crate::config::Config;
use crate::config::instructions::repo_root;
use crate::config::providers::resolve;
use crate::exec::ApprovalMode;
use crate::exec::secrets;
use crate::paths::Dirs;
use crate::provider::HttpModelClient;

/// The shortest time between two frames drawn for session output.
const FRAME: Duration = Duration::from_millis(33);
/// The shortest time between two frames when the user typed something.
const FRAME_INPUT: Duration = Duration::from_millis(8);
/// How often the clock-driven parts (elapsed time, tokens/s) refresh while a
/// pane works.
const TICK: Duration = Duration::from_millis(250);

/// `tandem` (the TUI) options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    pub chat_provider: Option<String>,
    pub run_provider: Option<String>,
    pub chat_model: Option<String>,
    pub run_model: Option<String>,
    /// Workspace; the current directory when absent.
    pub cwd: Option<PathBuf>,
    pub theme: Option<String>,
    pub sandbox: SandboxFlags,
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

/// One pane's session, or why it has none.
struct PaneLaunch {
    slot: PaneSlot,
    events: Option<mpsc::Receiver<Event>>,
}

fn launch(opts: TuiOptions) -> anyhow::Result<i32> {
    let dirs = Dirs::from_env()?;
    let workspace = match &opts.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let workspace = workspace
        .canonicalize()
        .with_context(|| format!("workspace {} does not exist", workspace.display()))?;
    let config = Config::load(&dirs.config, Some(&repo_root(&workspace)), &[])?;
    let (permissions, warnings) = setup::permissions(&config, &workspace)?;
    let sandbox = setup::sandbox_launch(&config, &workspace, opts.sandbox)?;
    let depth = ColorDepth::detect(|k| std::env::var(k).ok());
    let theme_name = opts.theme.clone().unwrap_or_else(|| "dark".into());
    let theme = Theme::built_in(&theme_name, depth)?;
    // Single-threaded still: move keys out of our environment block first.
    secrets::take_from_environment(&setup::secret_policy(&config));
    let _log = crate::logging::init(&dirs.log_dir());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(async move {
        let env = |k: &str| secrets::env_var(k);
        let mut panes = Vec::new();
        for (pane, provider, model, pane_config) in [
            (
                Pane::Chat,
                opts.chat_provider.clone(),
                opts.chat_model.clone(),
                &config.panes.chat,
            ),
            (
                Pane::Run,
                opts.run_provider.clone(),
                opts.run_model.clone(),
                &config.panes.run,
            ),
        ] {
            let provider = provider.unwrap_or_else(|| pane_config.provider.clone());
            let mode: ApprovalMode = pane_config.mode;
            let model_name = setup::resolve_model(&config, &provider, pane_config, model);
            let mut slot = PaneSlot::new(
                pane,
                provider.clone(),
                model_name.as_ref().map(String::clone).unwrap_or_default(),
                mode,
            );
            let client = resolve(&config, &provider, &env)
                .map_err(anyhow::Error::from)
                .and_then(HttpModelClient::new);
            match (client, model_name) {
                (Ok(client), Ok(model)) => {
                    slot.context_window = config.context_window(&provider, &model);
                    let session = Session::spawn(setup::session_config(
                        &config,
                        &dirs.config,
                        SessionParams {
                            pane,
                            client: Arc::new(client),
                            model,
                            mode,
                            workspace: workspace.clone(),
                            max_turns: config.agent.max_turns,
                            reasoning: config.agent.reasoning,
                            can_approve: true,
                            live_output: true,
                            permissions: permissions.clone(),
                            sandbox: sandbox.clone(),
                        },
                    ));
                    slot.ops = Some(session.ops);
                    panes.push(PaneLaunch {
                        slot,
                        events: Some(session.events),
                    });
                }
                (Err(e), _) | (_, Err(e)) => {
                    slot.setup_error = Some(format!("{e:#}"));
                    panes.push(PaneLaunch { slot, events: None });
                }
            }
        }
        let run = panes.pop().expect("two panes");
        let chat = panes.pop().expect("two panes");
        let mut app = App::new(chat.slot, run.slot, theme);
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
        event_loop(&mut app, [chat.events, run.events]).await
    });
    runtime.shutdown_timeout(Duration::from_millis(300));
    code
}

async fn recv(rx: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Writes an OSC 52 sequence that puts `text` on the clipboard (works over
/// SSH and in tmux with `set-clipboard on`).
fn osc52(text: &str) -> io::Result<()> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                encoded.push('=');
            }
        }
    }
    let mut out = io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}

async fn event_loop(
    app: &mut App,
    mut events: [Option<mpsc::Receiver<Event>>; 2],
) -> anyhow::Result<i32> {
    let _guard = Guard::new().context("cannot set up the terminal")?;
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
            io::stdout().execute_sync(|| term.draw(|f| view::draw(app, f)).map(|_| ()))?;
            last_frame = Instant::now();
            dirty = false;
            urgent = false;
        }
        if app.quit {
            break;
        }
        let next_frame = tokio::time::sleep_until((last_frame + interval).into());
        let wake = {
            let [chat_events, run_events] = &mut events;
            tokio::select! {
                biased;
                term_event = input.next() => Wake::Terminal(term_event),
                event = recv(chat_events) => Wake::Session(0, event),
                event = recv(run_events) => Wake::Session(1, event),
                _ = tick.tick(), if app.any_busy() || app.flash.is_some() || app.completing() => Wake::Tick,
                _ = next_frame, if dirty => Wake::Frame,
                _ = signals.next() => Wake::Signal,
            }
        };
        let frame_only = matches!(wake, Wake::Frame);
        urgent |= matches!(wake, Wake::Terminal(_));
        match wake {
            Wake::Terminal(Some(Ok(TermEvent::Key(key)))) if key.kind != KeyEventKind::Release => {
                app.on_key(key)
            }
            Wake::Terminal(Some(Ok(TermEvent::Paste(text)))) => app.on_paste(&text),
            Wake::Terminal(Some(Ok(TermEvent::Resize(_, _)))) => term.autoresize()?,
            Wake::Terminal(Some(Ok(_))) => {}
            Wake::Terminal(Some(Err(e))) => return Err(e.into()),
            Wake::Terminal(None) | Wake::Signal => break,
            Wake::Session(index, Some(event)) => app.on_session_event(index, &event),
            Wake::Session(index, None) => {
                events[index] = None;
                app.panes[index].ops = None;
            }
            Wake::Tick => {
                for pane in &mut app.panes {
                    pane.composer.poll();
                }
            }
            Wake::Frame => {}
        }
        dirty |= !frame_only;
        // Drain whatever else is ready, so one frame shows all of it.
        for (index, rx) in events.iter_mut().enumerate() {
            while let Some(rx_ref) = rx.as_mut() {
                match rx_ref.try_recv() {
                    Ok(event) => app.on_session_event(index, &event),
                    Err(_) => break,
                }
            }
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Copy(text) => osc52(&text)?,
                Effect::Suspend => {
                    terminal::suspend()?;
                    term.clear()?;
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
    Ok(crate::headless::exit::OK)
}

/// What woke the event loop.
enum Wake {
    Terminal(Option<io::Result<TermEvent>>),
    Session(usize, Option<Event>),
    Tick,
    Frame,
    Signal,
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
