//! Rendering session events for `tandem exec`: human text or JSON lines.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::agent::{Event, TaskStatus};
use crate::provider::Usage;

/// Writes events to stdout (and notes to stderr) in the chosen format.
pub struct Renderer<W: Write, E: Write> {
    json: bool,
    out: W,
    err: E,
    /// Tool call id → (name, summary), to print one line per call at its end.
    calls: HashMap<String, (String, String)>,
    /// Whether the last byte written to `out` ended a line.
    at_line_start: bool,
    /// Whether tool lines were the last thing written (text after them gets
    /// a blank line first).
    after_tools: bool,
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_tokens": u.cache_read_tokens,
        "cache_write_tokens": u.cache_write_tokens,
        "reasoning_tokens": u.reasoning_tokens,
    })
}

fn ms(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

impl<W: Write, E: Write> Renderer<W, E> {
    /// A renderer writing answers to `out` and notes to `err`.
    pub fn new(json: bool, out: W, err: E) -> Self {
        Self {
            json,
            out,
            err,
            calls: HashMap::new(),
            at_line_start: true,
            after_tools: false,
        }
    }

    fn line(&mut self, value: Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn end_line(&mut self) -> io::Result<()> {
        if !self.at_line_start {
            self.out.write_all(b"\n")?;
            self.at_line_start = true;
        }
        Ok(())
    }

    /// Renders one event. An error means stdout is gone (closed pipe).
    pub fn event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::SessionStarted { sandbox, .. } = event
            && !sandbox.enforced
        {
            writeln!(
                self.err,
                "tandem: WARNING: commands are NOT confined by the kernel sandbox in this run"
            )?;
        }
        if let Event::InstructionsLoaded { files, .. } = event {
            for note in files.iter().filter_map(|f| f.note.as_deref()) {
                writeln!(self.err, "tandem: note: {note}")?;
            }
        }
        if self.json {
            self.json_event(event)
        } else {
            self.text_event(event)
        }
    }

    fn json_event(&mut self, event: &Event) -> io::Result<()> {
        let value = match event {
            Event::SessionStarted {
                session_id,
                provider,
                model,
                mode,
                cwd,
                sandbox,
                ..
            } => json!({
                "type": "session.started",
                "session_id": session_id,
                "provider": provider,
                "model": model,
                "mode": mode.as_str(),
                "cwd": cwd,
                "sandbox": sandbox,
            }),
            Event::TaskStarted { text } => json!({"type": "message", "role": "user", "text": text}),
            Event::AssistantMessage { text } => {
                json!({"type": "message", "role": "assistant", "text": text})
            }
            Event::Reasoning { text } => json!({"type": "reasoning", "text": text}),
            Event::ToolCall {
                id, name, input, ..
            } => {
                json!({"type": "tool.call", "id": id, "name": name, "input": input})
            }
            Event::ToolResult {
                id,
                name,
                ok,
                output,
                exit_code,
                duration,
            } => json!({
                "type": "tool.result",
                "id": id,
                "name": name,
                "ok": ok,
                "output": output,
                "exit_code": exit_code,
                "duration_ms": ms(*duration),
            }),
            Event::PlanUpdated(steps) => json!({"type": "plan", "steps": steps}),
            Event::Usage { call, total } => {
                let mut v = usage_json(call);
                v["type"] = json!("usage");
                v["total"] = usage_json(total);
                v
            }
            Event::RateLimits(snapshot) => json!({"type": "rate_limits", "snapshot": snapshot}),
            Event::Retrying {
                attempt,
                delay,
                reason,
            } => json!({
                "type": "retry",
                "attempt": attempt,
                "delay_ms": ms(*delay),
                "reason": reason,
            }),
            Event::StreamReset => json!({"type": "stream.reset"}),
            // Which AGENTS.md / CLAUDE.md files the agent got (at the start,
            // and a subdirectory's when the agent first works there).
            Event::InstructionsLoaded { files, .. } if !files.is_empty() => {
                json!({"type": "instructions", "files": files})
            }
            Event::Error { message } => json!({"type": "error", "message": message}),
            Event::Hook {
                event: hook_event,
                command,
                tool,
                outcome,
            } => json!({
                "type": "hook",
                "event": hook_event,
                "command": command,
                "tool": tool,
                "outcome": outcome,
                "message": event.hook_line(),
            }),
            Event::BudgetPaused { message } => json!({"type": "budget.paused", "message": message}),
            Event::BudgetResumed => json!({"type": "budget.resumed"}),
            Event::Compacted { summarised, kept } => {
                json!({"type": "compacted", "summarised": summarised, "kept": kept})
            }
            Event::Rewound { task, dropped } => {
                json!({"type": "rewound", "task": task, "dropped": dropped})
            }
            Event::CheckResult {
                command,
                passed,
                exit_code,
                output,
            } => json!({
                "type": "check",
                "command": command,
                "passed": passed,
                "exit_code": exit_code,
                "output": output,
            }),
            Event::TaskComplete {
                status,
                turns,
                total,
                ..
            } => json!({
                "type": "session.completed",
                "status": match status {
                    TaskStatus::Ok => "ok",
                    TaskStatus::Interrupted => "interrupted",
                    TaskStatus::Error
                    | TaskStatus::MaxTurns
                    | TaskStatus::Budget
                    | TaskStatus::Blocked => "error",
                },
                "reason": match status {
                    TaskStatus::MaxTurns => Some("max_turns"),
                    TaskStatus::Budget => Some("budget"),
                    TaskStatus::Blocked => Some("blocked_by_hook"),
                    _ => None,
                },
                "turns": turns,
                "usage": usage_json(total),
            }),
            Event::TextDelta(_)
            | Event::ReasoningDelta(_)
            | Event::TurnStarted { .. }
            | Event::ToolOutputDelta { .. }
            | Event::ApprovalRequest { .. }
            | Event::InstructionsLoaded { .. }
            | Event::ShutdownComplete => return Ok(()),
        };
        self.line(value)
    }

    fn text_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::TextDelta(delta) => {
                if self.after_tools {
                    self.out.write_all(b"\n")?;
                    self.after_tools = false;
                }
                self.out.write_all(delta.as_bytes())?;
                self.at_line_start = delta.ends_with('\n');
                self.out.flush()?;
            }
            Event::AssistantMessage { .. } => {
                self.end_line()?;
                self.out.write_all(b"\n")?;
            }
            Event::StreamReset => {
                self.end_line()?;
                writeln!(
                    self.err,
                    "[the model's answer was retried; it starts again below]"
                )?;
            }
            Event::ToolCall {
                id, name, summary, ..
            } => {
                self.calls
                    .insert(id.clone(), (name.clone(), summary.clone()));
            }
            Event::ToolResult {
                id,
                name,
                ok,
                output,
                exit_code,
                duration,
            } => {
                self.end_line()?;
                self.after_tools = true;
                let summary = self
                    .calls
                    .remove(id)
                    .map(|(_, s)| s)
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default();
                if *ok {
                    writeln!(self.out, "✓ {name}{summary} ({} ms)", ms(*duration))?;
                } else if let Some(code) = exit_code {
                    writeln!(
                        self.out,
                        "✗ {name}{summary} (exit {code}, {} ms)",
                        ms(*duration)
                    )?;
                } else {
                    let first = output.lines().next().unwrap_or("failed");
                    writeln!(self.out, "✗ {name}{summary}: {first}")?;
                }
                self.out.flush()?;
            }
            Event::Retrying {
                attempt,
                delay,
                reason,
            } => {
                writeln!(
                    self.err,
                    "tandem: {reason}; retrying in {:.1} s (attempt {})",
                    delay.as_secs_f64(),
                    attempt + 1
                )?;
            }
            Event::Error { message } => {
                self.end_line()?;
                writeln!(self.err, "tandem: error: {message}")?;
            }
            Event::Hook { .. } => {
                self.end_line()?;
                if let Some(line) = event.hook_line() {
                    writeln!(self.out, "{line}")?;
                }
                self.out.flush()?;
            }
            Event::CheckResult { .. } => {
                self.end_line()?;
                if let Some(line) = event.check_line() {
                    writeln!(self.out, "{line}")?;
                }
                self.out.flush()?;
            }
            Event::TaskComplete { total, turns, .. } => {
                self.end_line()?;
                self.out.flush()?;
                writeln!(
                    self.err,
                    "tandem: {turns} model calls; tokens: {} in ({} cache read, {} cache write), {} out",
                    total.input_tokens,
                    total.cache_read_tokens,
                    total.cache_write_tokens,
                    total.output_tokens
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(json: bool, events: &[Event]) -> (String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut r = Renderer::new(json, &mut out, &mut err);
        for e in events {
            r.event(e).unwrap();
        }
        drop(r);
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn sample() -> Vec<Event> {
        vec![
            Event::TextDelta("Hel".into()),
            Event::TextDelta("lo".into()),
            Event::AssistantMessage {
                text: "Hello".into(),
            },
            Event::ToolCall {
                id: "c1".into(),
                name: "read_file".into(),
                input: json!({"path": "a.txt"}),
                summary: "a.txt".into(),
            },
            Event::ToolResult {
                id: "c1".into(),
                name: "read_file".into(),
                ok: true,
                output: "1\tx".into(),
                exit_code: None,
                duration: Duration::from_millis(3),
            },
            Event::ToolCall {
                id: "c2".into(),
                name: "shell".into(),
                input: json!({"command": "make test"}),
                summary: "make test".into(),
            },
            Event::ToolResult {
                id: "c2".into(),
                name: "shell".into(),
                ok: false,
                output: "FAIL\nExit code: 2".into(),
                exit_code: Some(2),
                duration: Duration::from_millis(40),
            },
            Event::TextDelta("Fixed.".into()),
            Event::TaskComplete {
                status: TaskStatus::Ok,
                turns: 2,
                total: Usage::default(),
                last_message: Some("Hello".into()),
            },
        ]
    }

    #[test]
    fn text_mode_streams_answers_and_one_line_per_tool() {
        let (out, err) = render(false, &sample());
        assert_eq!(
            out,
            "Hello\n\n✓ read_file a.txt (3 ms)\n✗ shell make test (exit 2, 40 ms)\n\nFixed.\n"
        );
        assert!(err.contains("2 model calls"), "{err}");
    }

    #[test]
    fn json_mode_writes_one_object_per_line() {
        let (out, _) = render(true, &sample());
        let types: Vec<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            types,
            [
                "message",
                "tool.call",
                "tool.result",
                "tool.call",
                "tool.result",
                "session.completed"
            ]
        );
        assert!(out.contains(r#""status":"ok""#));
        assert!(out.contains(r#""exit_code":2"#));
    }
}
