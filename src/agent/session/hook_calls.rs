//! Where a session calls its hooks ([`crate::hooks`]): each event's
//! payload, what a block or an allow changes, and the notices the user
//! sees. Kept apart from the turn loop so `session.rs` only makes one call
//! per event.

use serde_json::Value;

use super::{BusyOp, Session};
use crate::agent::protocol::{Event, TaskStatus};
use crate::hooks::outcome::context_block;
use crate::hooks::{HookContext, HookEvent, HookRun, Payload};
use crate::provider::{Message, ToolCall};
use crate::tools::ToolOutput;

/// What the `pre_tool_use` hooks decided about a call.
pub(super) enum PreTool {
    /// Go on to the permission gate; `allowed`: no approval prompt.
    Go { allowed: bool },
    /// Not run; the error result for the model (already reported).
    Blocked(ToolOutput),
    /// The user interrupted while the hooks ran.
    Interrupted,
}

impl Session {
    fn hook_context(&self) -> HookContext {
        HookContext {
            session_id: self.cfg.session_id.clone(),
            pane: self.pane_name(),
            cwd: self.cfg.workspace.clone(),
            transcript_path: self.cfg.transcript.as_ref().map(|t| t.path().to_path_buf()),
        }
    }

    /// Runs the hooks of `payload` and reports their notable answers.
    /// With `race`, ops are handled meanwhile (only inside a task) and an
    /// interrupt stops the hooks (their processes are killed): `None`.
    async fn run_hooks(&mut self, payload: Payload, race: bool) -> Option<HookRun> {
        if self.cfg.hooks.matching(&payload).is_empty() {
            return Some(HookRun::default());
        }
        let hooks = self.cfg.hooks.clone();
        let ctx = self.hook_context();
        let mut run = if race {
            let running = hooks.run(&ctx, &payload);
            tokio::pin!(running);
            loop {
                tokio::select! {
                    run = &mut running => break run,
                    op = self.ops.recv() => {
                        if let BusyOp::Interrupt = self.busy_op(op) {
                            return None;
                        }
                    }
                }
            }
        } else {
            hooks.run(&ctx, &payload).await
        };
        let redact = |s: &str| self.cfg.redactor.redact(s);
        run.blocked = run.blocked.as_deref().map(redact);
        run.context = run.context.iter().map(|c| redact(c)).collect();
        let tool = match &payload {
            Payload::PreToolUse { tool_name, .. } | Payload::PostToolUse { tool_name, .. } => {
                Some(tool_name.clone())
            }
            _ => None,
        };
        for (command, outcome) in &run.notices {
            let outcome = outcome.clone().map_text(redact);
            tracing::info!(session = %self.cfg.session_id, event = payload.event().name(), %command, ?outcome, "hook");
            self.emit(Event::Hook {
                event: payload.event().name().to_string(),
                command: command.clone(),
                tool: tool.clone(),
                outcome,
            })
            .await;
        }
        Some(run)
    }

    /// `session_start` (`startup`, `resume`, `clear`): its context goes
    /// with the next prompt.
    pub(super) async fn session_start_hooks(&mut self, source: &'static str) {
        if let Some(run) = self
            .run_hooks(Payload::SessionStart { source }, false)
            .await
        {
            self.hook_context = run.context_block(HookEvent::SessionStart);
        }
    }

    /// `session_end` (`exit`, `clear`): best effort, bounded by the hooks'
    /// timeouts.
    pub(super) async fn session_end_hooks(&mut self, reason: &'static str) {
        self.run_hooks(Payload::SessionEnd { reason }, false).await;
    }

    /// `user_prompt_submit`: the prompt as the model gets it (with the
    /// hooks' and the session start's context appended), or how the task
    /// ends without sending it (blocked, interrupted).
    pub(super) async fn prompt_hooks(&mut self, prompt: String) -> Result<String, TaskStatus> {
        let run = self
            .run_hooks(
                Payload::UserPromptSubmit {
                    prompt: prompt.clone(),
                },
                true,
            )
            .await
            .ok_or(TaskStatus::Interrupted)?;
        if run.blocked.is_some() {
            return Err(TaskStatus::Blocked);
        }
        let mut text = prompt;
        for block in [
            self.hook_context.take(),
            run.context_block(HookEvent::UserPromptSubmit),
        ]
        .into_iter()
        .flatten()
        {
            text.push_str("\n\n");
            text.push_str(&block);
        }
        Ok(text)
    }

    /// `pre_tool_use`, after the call is parsed and before the permission
    /// gate.
    pub(super) async fn pre_tool_hooks(&mut self, call: &ToolCall, input: &Value) -> PreTool {
        let payload = Payload::PreToolUse {
            tool_name: call.name.clone(),
            tool_input: self.redact_value(input),
        };
        let Some(run) = self.run_hooks(payload, true).await else {
            return PreTool::Interrupted;
        };
        if let Some(reason) = run.blocked {
            let output = ToolOutput::err(format!("blocked by hook: {reason}"));
            self.report(call, &output, std::time::Duration::ZERO).await;
            return PreTool::Blocked(output);
        }
        PreTool::Go {
            allowed: run.allowed,
        }
    }

    /// `post_tool_use`: a block's reason and any context are appended to
    /// the result the model sees. False when interrupted.
    pub(super) async fn post_tool_hooks(
        &mut self,
        call: &ToolCall,
        input: &Value,
        output: &mut ToolOutput,
    ) -> bool {
        let payload = Payload::PostToolUse {
            tool_name: call.name.clone(),
            tool_input: self.redact_value(input),
            ok: output.ok,
            text: output.text.clone(),
        };
        let Some(run) = self.run_hooks(payload, true).await else {
            return false;
        };
        let mut notes: Vec<String> = run.blocked.into_iter().collect();
        notes.extend(run.context);
        if let Some(block) = context_block(HookEvent::PostToolUse, &notes) {
            output.text.push_str("\n\n");
            output.text.push_str(&block);
        }
        true
    }

    /// `stop`, when the agent is about to finish: `Some(status)` ends the
    /// task; `None` means a hook blocked the stop and its reason went to
    /// the model as a user message (the task goes on, within max_turns).
    pub(super) async fn stop_hooks(&mut self, active: &mut bool, turns: u32) -> Option<TaskStatus> {
        let payload = Payload::Stop {
            stop_hook_active: *active,
        };
        let Some(run) = self.run_hooks(payload, true).await else {
            return Some(TaskStatus::Interrupted);
        };
        let Some(reason) = run.blocked else {
            return Some(TaskStatus::Ok);
        };
        *active = true;
        self.push_history(Message::User {
            text: format!(
                "A stop hook did not let the task end yet. Its reason:\n\n{reason}\n\n\
                 Address this, then finish."
            ),
        });
        if turns >= self.cfg.max_turns {
            self.emit(Event::Error {
                message: format!(
                    "a stop hook still wants more after {turns} model calls (max_turns); raise --max-turns or `agent.max_turns` to let the agent go on"
                ),
            })
            .await;
            return Some(TaskStatus::MaxTurns);
        }
        None
    }

    /// `pre_compact`: false when a hook cancelled the compaction.
    pub(super) async fn pre_compact_hooks(&mut self, manual: bool, focus: Option<&str>) -> bool {
        let payload = Payload::PreCompact {
            trigger: if manual { "manual" } else { "auto" },
            custom_instructions: focus.map(str::to_string),
        };
        self.run_hooks(payload, false)
            .await
            .is_none_or(|run| run.blocked.is_none())
    }

    /// `notification` (an approval waits, a budget pause): run in the
    /// background so the user is never kept waiting by it.
    pub(super) fn notify(&self, message: String) {
        let payload = Payload::Notification { message };
        if self.cfg.hooks.matching(&payload).is_empty() {
            return;
        }
        let hooks = self.cfg.hooks.clone();
        let ctx = self.hook_context();
        let events = self.events.clone();
        let redactor = self.cfg.redactor.clone();
        tokio::spawn(async move {
            let run = hooks.run(&ctx, &payload).await;
            for (command, outcome) in run.notices {
                let outcome = outcome.map_text(|s| redactor.redact(s));
                let event = Event::Hook {
                    event: HookEvent::Notification.name().to_string(),
                    command,
                    tool: None,
                    outcome,
                };
                if events.send(event).await.is_err() {
                    break;
                }
            }
        });
    }
}
