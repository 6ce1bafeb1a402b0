//! The app's side of hosted agents: a pane whose program (Claude Code,
//! Codex CLI, any terminal program) replaces its session, the keys that go
//! to it, the prefix key that reaches Tandem instead, restarts, review
//! comments typed into it, and attributing workspace changes to it.
//!
//! Starting a program is I/O, so the app asks the event loop for it
//! ([`Effect::StartHost`]) and gets the result in [`App::host_started`].

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Effect};
use super::history::NoticeKind;
use super::host_keys;
use super::keymap::{self, Action, Context};
use crate::agent::Pane;
use crate::host::{HostCommand, HostEvent, HostedProgram};

/// After this long without output, the hosted program's work is
/// checkpointed (so the diff viewer shows it).
const QUIET: Duration = Duration::from_secs(2);

/// How long after its last output a hosted program still counts as the one
/// changing files, focused or not. Agents print while they work (spinners,
/// tool logs); a program silent this long is waiting for its user. Changes
/// the user makes in an editor meanwhile are attributed to it too — the
/// price of not tracing which process wrote a file.
const ACTIVE: Duration = Duration::from_secs(10);

/// Lines PageUp / PageDown scroll the hosted screen's history by.
const SCROLL_PAGE: usize = 10;

/// A pane hosting a terminal program.
pub struct HostedPane {
    /// What was asked for (`claude`, `codex`, a command line).
    pub host: String,
    /// The program, while it runs or after it exited (its last screen).
    pub program: Option<HostedProgram>,
    /// Why it could not start.
    pub error: Option<String>,
    /// How it ended: "claude exited with code 0".
    pub exited: Option<String>,
    /// Lines scrolled back into history (0: the live screen).
    pub scroll: usize,
    /// A review comment waiting for y/n before it is typed in.
    pub pending_comment: Option<String>,
    /// When the program last printed something.
    last_output: Option<Instant>,
    /// Output arrived since the last checkpoint.
    unsaved: bool,
    /// The change tracker's call for this program while it is active.
    call: Option<String>,
    /// Programs started in this pane, counting from 1: the "turn" its
    /// changes are attributed to.
    starts: u32,
}

impl HostedPane {
    /// A pane about to host `host`.
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_string(),
            program: None,
            error: None,
            exited: None,
            scroll: 0,
            pending_comment: None,
            last_output: None,
            unsaved: false,
            call: None,
            starts: 0,
        }
    }

    /// The program runs (started, not exited).
    pub fn running(&self) -> bool {
        self.program.is_some() && self.exited.is_none() && self.error.is_none()
    }

    /// How titles and messages name it: the command with paths cut to
    /// file names (`sh /long/path/agent.sh` is `sh agent.sh`).
    pub fn label(&self) -> String {
        crate::host::presets::short_label(&self.host)
    }

    /// The tool name changes are attributed to: `hosted: claude`.
    pub fn tool(&self) -> String {
        format!("hosted: {}", self.label())
    }
}

/// The line a pane shows when its program ended: how, and what to do.
pub fn exit_text(
    command: &HostCommand,
    code: Option<i32>,
    signal: Option<i32>,
    prefix: &str,
) -> String {
    let how = match (code, signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was ended by signal {sig}"),
        (None, None) => "ended".to_string(),
    };
    format!(
        "{} {how} — Enter restarts it, {prefix} then Tab to leave",
        command.label
    )
}

fn pane_key(pane: Pane) -> &'static str {
    match pane {
        Pane::Chat => "chat",
        Pane::Run => "run",
    }
}

impl App {
    /// The index of the focused pane when it hosts a program (not while the
    /// Run pane shows a worktree run).
    fn focused_host(&self) -> Option<usize> {
        let shows_run = self.shown_run.is_some() && self.focus == 1;
        (!shows_run && self.panes[self.focus].hosted.is_some()).then_some(self.focus)
    }

    /// Whether any pane hosts a program (the event loop ticks for it).
    pub fn hosting(&self) -> bool {
        self.panes.iter().any(|p| p.hosted.is_some())
    }

    /// Whether a hosted program is still running (quitting would end it).
    pub fn hosted_running(&self) -> bool {
        self.panes.iter().any(|p| {
            p.hosted
                .as_ref()
                .is_some_and(|h| h.program.is_some() && h.exited.is_none())
        })
    }

    /// A key while a hosted pane may have the keyboard; returns whether it
    /// was used. Every key goes to the program except the prefix key; the
    /// key after the prefix is Tandem's.
    pub(super) fn host_key(&mut self, key: KeyEvent) -> bool {
        if self.viewer_focused || self.quota_focused {
            return false;
        }
        let Some(index) = self.focused_host() else {
            self.host_prefix_armed = false;
            return false;
        };
        if std::mem::take(&mut self.host_prefix_armed) {
            self.after_prefix(index, key);
            return true;
        }
        if self.host_prefix.matches(&key) {
            self.host_prefix_armed = true;
            return true;
        }
        let prefix = self.host_prefix.label();
        let Some(hosted) = self.panes[index].hosted.as_mut() else {
            return false;
        };
        if let Some(text) = hosted.pending_comment.take() {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    let sent = hosted
                        .program
                        .as_ref()
                        .filter(|_| hosted.running())
                        .map(|p| p.write(&host_keys::paste(&text, p.bracketed_paste())));
                    let label = hosted.label();
                    match sent {
                        Some(Ok(())) => self.flash(format!(
                            "comment typed into {label}: press Enter to send it"
                        )),
                        _ => {
                            self.flash(format!("{label} is not running: the comment was not sent"))
                        }
                    }
                }
                _ => self.flash("comment discarded"),
            }
            return true;
        }
        if !hosted.running() {
            if keymap::lookup(Context::Hosted, &key, true) == Some(Action::HostRestart) {
                let host = hosted.host.clone();
                self.push_effect(Effect::StartHost { pane: index, host });
            } else {
                self.flash(format!("Enter restarts it; {prefix} then Tab leaves"));
            }
            return true;
        }
        if let Some(program) = &hosted.program
            && let Some(bytes) = host_keys::encode(&key, program.application_cursor())
        {
            hosted.scroll = program.set_scrollback(0);
            if let Err(e) = program.write(&bytes) {
                tracing::debug!(error = %e, "writing to the hosted program");
            }
        }
        true
    }

    /// The key after the prefix: the prefix again goes to the program;
    /// PageUp/PageDown scroll its history; the rest are Tandem's own
    /// global keys.
    fn after_prefix(&mut self, index: usize, key: KeyEvent) {
        let prefix = self.host_prefix.clone();
        if prefix.matches(&key) {
            if let Some(program) = self.panes[index]
                .hosted
                .as_ref()
                .and_then(|h| h.program.as_ref())
            {
                let _ = program.write(&prefix.bytes);
            }
            return;
        }
        if let Some(hosted) = self.panes[index].hosted.as_mut()
            && let Some(program) = &hosted.program
        {
            match keymap::lookup(Context::Hosted, &key, true) {
                Some(Action::HostScrollUp) => {
                    hosted.scroll = program.set_scrollback(hosted.scroll + SCROLL_PAGE);
                    self.host_prefix_armed = true;
                    return;
                }
                Some(Action::HostScrollDown) => {
                    hosted.scroll =
                        program.set_scrollback(hosted.scroll.saturating_sub(SCROLL_PAGE));
                    self.host_prefix_armed = hosted.scroll > 0;
                    return;
                }
                _ => {}
            }
        }
        match keymap::lookup(Context::Global, &key, true) {
            Some(action) => self.global(action),
            None => self.flash(format!(
                "after {}: Tab switch pane · Ctrl-G diff · Ctrl-Q quota · Ctrl-D quit · F1 help · PgUp/PgDn scroll · {} again sends it",
                prefix.label(),
                prefix.label()
            )),
        }
    }

    /// Pasted text while a hosted pane has the keyboard; returns whether
    /// it went to the program.
    pub(super) fn host_paste(&mut self, text: &str) -> bool {
        if self.viewer_focused || self.quota_focused {
            return false;
        }
        let Some(index) = self.focused_host() else {
            return false;
        };
        if let Some(program) = self.panes[index]
            .hosted
            .as_ref()
            .filter(|h| h.running())
            .and_then(|h| h.program.as_ref())
        {
            let _ = program.write(&host_keys::paste(text, program.bracketed_paste()));
        }
        true
    }

    /// `/host [CMD]`: what the panes host, or host CMD in the focused pane.
    pub(super) fn host_command(&mut self, args: &str) {
        let index = self.focus;
        if args.is_empty() {
            let says: Vec<String> = self
                .panes
                .iter()
                .map(|p| match &p.hosted {
                    Some(h) => format!("{} hosts {}", p.label(), h.label()),
                    None => format!("{} runs its own session", p.label()),
                })
                .collect();
            let text = format!(
                "{}; /host claude, /host codex or /host COMMAND hosts a terminal agent here",
                says.join("; ")
            );
            self.focused().history.push_notice(text, NoticeKind::Info);
            return;
        }
        if self.panes[index].busy {
            self.focused().history.push_notice(
                "a task is running: interrupt it (Esc) before hosting a program here",
                NoticeKind::Warning,
            );
            return;
        }
        self.push_effect(Effect::StartHost {
            pane: index,
            host: args.to_string(),
        });
    }

    /// The event loop started (or failed to start) pane `index`'s program.
    /// The pane's session, if it had one, is let go: the program replaces it.
    pub fn host_started(
        &mut self,
        index: usize,
        host: &str,
        started: Result<HostedProgram, String>,
    ) {
        self.end_host_call(index);
        let pane = &mut self.panes[index];
        pane.ops = None;
        pane.setup_error = None;
        let hosted = pane.hosted.get_or_insert_with(|| HostedPane::new(host));
        hosted.host = host.to_string();
        hosted.exited = None;
        hosted.scroll = 0;
        hosted.unsaved = false;
        match started {
            Ok(program) => {
                hosted.starts += 1;
                hosted.error = None;
                hosted.program = Some(program);
            }
            Err(e) => {
                hosted.program = None;
                hosted.error = Some(format!("cannot start {host}: {e}"));
            }
        }
    }

    /// Something happened to a hosted program.
    pub fn on_host_event(&mut self, event: &HostEvent) {
        let id = match event {
            HostEvent::Output { id } | HostEvent::Exited { id, .. } => *id,
        };
        let Some(index) = self.panes.iter().position(|p| {
            p.hosted
                .as_ref()
                .and_then(|h| h.program.as_ref())
                .is_some_and(|prog| prog.id() == id)
        }) else {
            return; // a program that was replaced
        };
        let prefix = self.host_prefix.label();
        let Some(hosted) = self.panes[index].hosted.as_mut() else {
            return;
        };
        match event {
            HostEvent::Output { .. } => {
                hosted.last_output = Some(Instant::now());
                hosted.unsaved = true;
            }
            HostEvent::Exited { code, signal, .. } => {
                if let Some(program) = &hosted.program {
                    hosted.exited = Some(exit_text(program.command(), *code, *signal, &prefix));
                }
                self.end_host_call(index);
                self.checkpoint_host(index);
            }
        }
    }

    /// Keeps change attribution in step (called every loop iteration):
    /// while a hosted program runs and its pane is focused or it printed
    /// something in the last `ACTIVE` (10 s), changes are its; when its output
    /// has been quiet for a moment, a checkpoint is taken so the diff
    /// viewer shows its work.
    pub fn host_tick(&mut self, now: Instant) {
        for index in 0..self.panes.len() {
            let Some(hosted) = self.panes[index].hosted.as_ref() else {
                continue;
            };
            // Active: focused, or working on its own (it printed within
            // the last moments) — an autonomous agent in Run edits while
            // the user looks at Chat.
            let busy = hosted
                .last_output
                .is_some_and(|at| now.duration_since(at) < ACTIVE);
            let active = hosted.running() && (self.focused_host() == Some(index) || busy);
            let quiet = hosted.unsaved
                && hosted
                    .last_output
                    .is_some_and(|at| now.duration_since(at) >= QUIET);
            let has_call = hosted.call.is_some();
            if active && !has_call {
                self.begin_host_call(index);
            } else if !active && has_call {
                self.end_host_call(index);
            }
            if quiet {
                self.checkpoint_host(index);
            }
        }
    }

    fn begin_host_call(&mut self, index: usize) {
        let pane = pane_key(self.panes[index].pane);
        let tracker = self.tracker.clone();
        let Some(hosted) = self.panes[index].hosted.as_mut() else {
            return;
        };
        let id = format!("hosted-{pane}-{}", hosted.starts);
        if let (Some(tracker), Some(program)) = (&tracker, &hosted.program) {
            tracker.begin_call(
                &id,
                pane,
                hosted.starts,
                &hosted.tool(),
                &program.command().display(),
            );
        }
        hosted.call = Some(id);
    }

    fn end_host_call(&mut self, index: usize) {
        let tracker = self.tracker.clone();
        if let Some(id) = self.panes[index]
            .hosted
            .as_mut()
            .and_then(|h| h.call.take())
            && let Some(tracker) = tracker
        {
            // A checkpoint first, while the call still runs: what it
            // changed until now is its.
            tracker.refresh();
            tracker.end_call(&id, &[]);
        }
    }

    fn checkpoint_host(&mut self, index: usize) {
        let pane = pane_key(self.panes[index].pane);
        let tracker = self.tracker.clone();
        if let Some(hosted) = self.panes[index].hosted.as_mut() {
            hosted.unsaved = false;
            if let Some(tracker) = tracker {
                tracker.turn_ended(pane, hosted.starts, &hosted.tool());
            }
        }
    }

    /// `/handoff` (or Alt-H) while Run hosts a program: the task is typed
    /// into it after y/n, like a review comment. `--until` needs Tandem's
    /// own agent (it reruns the check between turns), so it is refused with
    /// a word on why rather than silently dropped.
    pub(super) fn handoff_to_host(&mut self, task: String, until: bool, summary: &str) {
        if until {
            self.panes[0].history.push_notice(
                "/handoff --until needs Tandem's own Run agent, which reruns the check between \
                 turns; a hosted program cannot be. Hand off without --until and run the check \
                 yourself, or start tandem without --run-host",
                NoticeKind::Warning,
            );
            return;
        }
        let host = self.panes[1]
            .hosted
            .as_ref()
            .map(|h| h.label())
            .unwrap_or_default();
        self.panes[0].history.push_notice(
            format!("handing to {host} in Run (y there types it in): {summary}"),
            NoticeKind::Info,
        );
        self.host_comment(1, task);
    }

    /// A review comment for pane `index`, which hosts a program: it waits
    /// in the pane for y/n before it is typed in. Focuses the pane.
    pub(super) fn host_comment(&mut self, index: usize, text: String) {
        let Some(hosted) = self.panes[index].hosted.as_mut() else {
            return;
        };
        hosted.pending_comment = Some(text);
        self.viewer_focused = false;
        self.focus = index;
    }
}

#[cfg(test)]
#[path = "app_host_tests.rs"]
mod tests;
