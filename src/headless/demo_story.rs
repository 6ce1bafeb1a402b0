//! `tandem demo --headless`: the demo's story as text (or JSON lines), for
//! CI and screen readers, and whenever stdout is not a terminal.
//!
//! The same scripted models and the same steps as the TUI demo: Chat's
//! planning task, the handoff text given to Run, Run's task, a summary and
//! the patch of what Run changed, and Chat's review of it. Each session's
//! events are rendered by [`super::output::Renderer`], as `tandem exec`
//! renders them; each step is announced with a heading (text) or a
//! `{"type":"demo.step",...}` line (JSON).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::demo::{self, CHAT_PROMPT, MODEL, Stage};
use super::exit;
use super::output::Renderer;
use crate::agent::setup::{self, SandboxFlags, SessionParams};
use crate::agent::{Event, Op, Pane, Session, SessionHandle, TaskStatus};
use crate::config::Config;
use crate::config::providers::resolve;
use crate::diff::{DiffOptions, FileDiff, LineKind, diff_modified, to_unified};
use crate::exec::ApprovalMode;
use crate::provider::HttpModelClient;

/// The longest one task of the story may take before it is called stuck.
const TASK_TIMEOUT: Duration = Duration::from_secs(120);

/// Plays the story headless; returns the exit code. With `keep`, the
/// project copy is left in place and its path printed.
pub fn run_headless(json: bool, keep: bool, speed: f64) -> i32 {
    // Still single-threaded: keep any provider key out of the commands the
    // story runs.
    crate::exec::secrets::take_from_environment(&setup::secret_policy(&Config::defaults()));
    let stage = match Stage::create() {
        Ok(stage) => stage,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            return exit::FAILURE;
        }
    };
    if !json {
        eprintln!(
            "tandem demo: two scripted models (no key, no network) work on a copy of a sample project in {}\n",
            stage.workspace.display()
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tandem: cannot start the async runtime: {e}");
            return exit::FAILURE;
        }
    };
    let result = runtime.block_on(play(&stage, json, speed));
    // Blocking tool threads (a PTY reader) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    let code = match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("tandem: the demo stopped: {e:#}");
            exit::FAILURE
        }
    };
    if !json && !keep && code == exit::OK {
        eprintln!(
            "\ntandem demo: done (run `tandem demo --keep` to keep the project and look at the change; `tandem demo` in a terminal plays it in the workbench)"
        );
    }
    stage.finish(keep);
    code
}

/// Announces the story's steps.
struct Narrator {
    json: bool,
    step: usize,
}

impl Narrator {
    /// One step: its title and the text that goes with it.
    fn step(&mut self, title: &str, text: &str) -> anyhow::Result<()> {
        self.step += 1;
        let mut out = std::io::stdout().lock();
        if self.json {
            let line =
                json!({"type": "demo.step", "step": self.step, "title": title, "text": text});
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "\n━━ {}. {title} ━━", self.step)?;
            if !text.is_empty() {
                writeln!(out, "{text}\n")?;
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// What the story needs from Chat's planning task.
#[derive(Default)]
struct Seen {
    /// The steps of the last `update_plan` call.
    plan: Vec<String>,
    /// Files Chat read, in order.
    read: Vec<String>,
}

async fn play(stage: &Stage, json: bool, speed: f64) -> anyhow::Result<()> {
    let servers = demo::start_servers(speed)
        .await
        .context("cannot start the demo model servers on loopback")?;
    let config = demo::config(&servers);
    let mut chat = spawn(&config, stage, Pane::Chat)?;
    let mut run = spawn(&config, stage, Pane::Run)?;
    let mut chat_out = Renderer::new(json, std::io::stdout(), std::io::stderr());
    let mut run_out = Renderer::new(json, std::io::stdout(), std::io::stderr());
    let mut narrator = Narrator { json, step: 0 };

    narrator.step("Chat: the user asks", CHAT_PROMPT)?;
    let seen = task(&mut chat, CHAT_PROMPT.into(), &mut chat_out).await?;
    let handoff = handoff_text(&seen)?;
    narrator.step("Handed to Run (Alt-H in the workbench)", &handoff)?;
    task(&mut run, handoff.clone(), &mut run_out).await?;
    let (summary, patch) = changes(stage)?;
    narrator.step(
        "Run's changes (Ctrl-G opens them in the workbench)",
        &format!("{summary}\n\n{}", patch.trim_end()),
    )?;
    narrator.step("Chat reviews Run's changes (/review)", "")?;
    let first = handoff.lines().next().unwrap_or("");
    task(&mut chat, review_request(first, &patch), &mut chat_out).await?;
    if !json {
        // JSON readers see the story end with the review's completion.
        narrator.step(
            "The end",
            "Run `tandem demo` in a terminal to watch this in the workbench.",
        )?;
    }
    for session in [&chat, &run] {
        let _ = session.ops.send(Op::Shutdown);
    }
    Ok(())
}

/// Starts `pane`'s session on its demo provider.
fn spawn(config: &Config, stage: &Stage, pane: Pane) -> anyhow::Result<SessionHandle> {
    let (provider, mode) = match pane {
        Pane::Chat => (&config.panes.chat.provider, ApprovalMode::Suggest),
        Pane::Run => (&config.panes.run.provider, config.panes.run.mode),
    };
    let no_env = |_: &str| None;
    let client = HttpModelClient::new(resolve(config, provider, &no_env)?)?;
    let (permissions, _) = setup::permissions(config, &stage.workspace)?;
    let sandbox = setup::sandbox_launch(config, &stage.workspace, SandboxFlags::default())?;
    Ok(Session::spawn(setup::session_config(
        config,
        &stage.dirs().config,
        SessionParams {
            pane,
            client: Arc::new(client),
            model: MODEL.into(),
            mode,
            workspace: stage.workspace.clone(),
            max_turns: config.agent.max_turns,
            reasoning: None,
            can_approve: false,
            live_output: false,
            permissions,
            sandbox,
            tracker: None,
            meter: None,
            transcript: None,
            // The demo shows the agents, not the user's own hooks or servers.
            hooks: Default::default(),
            mcp: None,
        },
    )))
}

/// Gives `session` the task `text` and renders its events until the task
/// ends; fails when it does not end well.
async fn task(
    session: &mut SessionHandle,
    text: String,
    out: &mut Renderer<std::io::Stdout, std::io::Stderr>,
) -> anyhow::Result<Seen> {
    let _ = session.ops.send(Op::UserMessage(text));
    let mut seen = Seen::default();
    let deadline = tokio::time::Instant::now() + TASK_TIMEOUT;
    loop {
        let event = tokio::time::timeout_at(deadline, session.events.recv())
            .await
            .context("a task of the story took too long")?
            .context("the session ended in the middle of the story")?;
        out.event(&event).context("stdout is closed")?;
        match &event {
            Event::ToolCall { name, input, .. } if name == "update_plan" => {
                seen.plan = input["plan"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["step"].as_str().map(str::to_string))
                    .collect();
            }
            Event::ToolCall { name, input, .. } if name == "read_file" => {
                if let Some(path) = input["path"].as_str() {
                    seen.read.push(path.to_string());
                }
            }
            Event::TaskComplete { status, .. } => {
                if *status != TaskStatus::Ok {
                    bail!("a task ended: {}", status.describe());
                }
                return Ok(seen);
            }
            _ => {}
        }
    }
}

/// The task Run gets, worded as the workbench's handoff words it.
fn handoff_text(seen: &Seen) -> anyhow::Result<String> {
    if seen.plan.is_empty() {
        bail!("Chat proposed no plan to hand over");
    }
    let steps: Vec<String> = seen
        .plan
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect();
    Ok(format!(
        "Carry out this plan, agreed in the Chat pane:\n\n{}\n\nFiles Chat read while planning (start there): {}",
        steps.join("\n"),
        seen.read.join(", ")
    ))
}

/// A one-line summary (`slug.sh +1 -1, …`) and the unified patch of what
/// changed in the project since the story began.
fn changes(stage: &Stage) -> anyhow::Result<(String, String)> {
    let opts = DiffOptions::default();
    let mut files: Vec<FileDiff> = Vec::new();
    for (name, before) in demo::original_files() {
        let path = stage.workspace.join(name);
        let now =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if now != before.as_bytes() {
            files.push(diff_modified(name, before.as_bytes(), &now, &opts));
        }
    }
    if files.is_empty() {
        bail!("Run changed no files");
    }
    let count = |f: &FileDiff, kind: LineKind| {
        f.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.kind == kind)
            .count()
    };
    let summary: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "{} +{} -{}",
                f.new_path,
                count(f, LineKind::Added),
                count(f, LineKind::Removed)
            )
        })
        .collect();
    let refs: Vec<&FileDiff> = files.iter().collect();
    Ok((
        format!("{} files changed: {}", files.len(), summary.join(", ")),
        to_unified(&refs, |_, _| true),
    ))
}

/// The review request `/review` sends Chat, worded as the workbench words it.
fn review_request(prompt: &str, patch: &str) -> String {
    format!(
        "Review the changes the Run pane made for its task: \"{prompt}\".\n\n\
         Check them for bugs, missed cases and anything that does not do what the task asked. \
         Answer with a list of findings, each as `path:line — problem — suggested fix` \
         (say \"no findings\" if it is right). The user may hand your findings back to Run with /handoff.\n\n\
         ```diff\n{patch}```"
    )
}
