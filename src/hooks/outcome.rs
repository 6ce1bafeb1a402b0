//! What a hook's answer means: its exit code and stdout read with Claude
//! Code's rules, one hook at a time ([`interpret`]), then combined for
//! all the hooks of one event ([`HookRun::combine`]), with the notices the
//! user sees ([`HookOutcome`], [`line()`]).

use serde::Serialize;
use serde_json::{Map, Value};

use super::HookEvent;
use super::runner::Raw;

/// A hook's answer worth telling the user about; carried by
/// `Event::Hook` to every front end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HookOutcome {
    /// Exit 2, or a `block`/`deny` decision.
    Blocked { reason: String },
    /// An `approve`/`allow` decision: the call runs without asking.
    Allowed { reason: Option<String> },
    /// Context for the model was added.
    AddedContext { bytes: usize },
    /// Another exit code, a signal, or `sh` did not start: reported, the
    /// session goes on.
    Failed {
        exit_code: Option<i32>,
        message: String,
    },
    /// Killed after its timeout; the session goes on.
    TimedOut { secs: u64 },
}

impl HookOutcome {
    /// The outcome with its texts passed through `f` (redaction of
    /// secrets before anyone sees them).
    pub fn map_text(self, f: impl Fn(&str) -> String) -> HookOutcome {
        match self {
            HookOutcome::Blocked { reason } => HookOutcome::Blocked { reason: f(&reason) },
            HookOutcome::Allowed { reason } => HookOutcome::Allowed {
                reason: reason.as_deref().map(f),
            },
            HookOutcome::Failed { exit_code, message } => HookOutcome::Failed {
                exit_code,
                message: f(&message),
            },
            other @ (HookOutcome::AddedContext { .. } | HookOutcome::TimedOut { .. }) => other,
        }
    }
}

/// One hook's answer, interpreted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Blocked, with the reason.
    pub block: Option<String>,
    /// Allowed (`approve`/`allow`), with the reason if any.
    pub allow: Option<Option<String>>,
    /// Context for the model.
    pub context: Option<String>,
    /// A failure or timeout to report.
    pub error: Option<HookOutcome>,
}

/// Reads one hook's result: exit 0 goes on (its stdout may be a JSON
/// answer, or context for `user_prompt_submit`/`session_start`), exit 2
/// blocks with stderr as the reason, anything else is a reported error.
pub fn interpret(event: HookEvent, raw: Raw) -> Answer {
    match raw {
        Raw::Exited {
            code: Some(0),
            stdout,
            ..
        } => match serde_json::from_str::<Value>(stdout.trim()) {
            Ok(Value::Object(answer)) => json_answer(event, &answer),
            _ => Answer {
                context: (event.plain_stdout_is_context() && !stdout.trim().is_empty())
                    .then(|| stdout.trim().to_string()),
                ..Answer::default()
            },
        },
        Raw::Exited {
            code: Some(2),
            stderr,
            ..
        } => Answer {
            block: Some(non_empty(
                stderr.trim(),
                "(the hook gave no reason on stderr)",
            )),
            ..Answer::default()
        },
        Raw::Exited {
            code,
            signal,
            stdout,
            stderr,
        } => {
            let said = if stderr.trim().is_empty() {
                stdout.trim()
            } else {
                stderr.trim()
            };
            let message = match (code, signal) {
                (None, Some(signal)) => format!("killed by signal {signal}"),
                _ => first_lines(said),
            };
            Answer {
                error: Some(HookOutcome::Failed {
                    exit_code: code,
                    message,
                }),
                ..Answer::default()
            }
        }
        Raw::TimedOut(after) => Answer {
            error: Some(HookOutcome::TimedOut {
                secs: after.as_secs().max(1),
            }),
            ..Answer::default()
        },
        Raw::NotStarted(message) => Answer {
            error: Some(HookOutcome::Failed {
                exit_code: None,
                message,
            }),
            ..Answer::default()
        },
    }
}

/// A JSON answer: ours (`decision`, `reason`, `additional_context`) and
/// Claude's (`hookSpecificOutput.permissionDecision` + reason,
/// `hookSpecificOutput.additionalContext`, `continue: false` +
/// `stopReason`).
fn json_answer(event: HookEvent, answer: &Map<String, Value>) -> Answer {
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let specific = answer
        .get("hookSpecificOutput")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let reason = text(answer, "reason").or_else(|| text(&specific, "permissionDecisionReason"));
    let mut out = Answer {
        context: text(answer, "additional_context")
            .or_else(|| text(answer, "additionalContext"))
            .or_else(|| text(&specific, "additionalContext")),
        ..Answer::default()
    };
    let decision = text(answer, "decision").or_else(|| text(&specific, "permissionDecision"));
    match decision.as_deref() {
        Some("block" | "deny") => {
            out.block = Some(reason.unwrap_or_else(|| "(the hook gave no reason)".into()));
        }
        Some("approve" | "allow") => out.allow = Some(reason),
        _ => {}
    }
    // Claude's "stop processing": a block, except on stop, where stopping
    // is what would happen anyway.
    if answer.get("continue") == Some(&Value::Bool(false)) && event != HookEvent::Stop {
        let why = text(answer, "stopReason")
            .or_else(|| text(answer, "reason"))
            .unwrap_or_else(|| "(the hook gave no reason)".into());
        out.block.get_or_insert(why);
        out.allow = None;
    }
    out
}

fn non_empty(text: &str, otherwise: &str) -> String {
    if text.is_empty() {
        otherwise.to_string()
    } else {
        text.to_string()
    }
}

/// The first few lines of a failing hook's output, for a one-line notice.
fn first_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().take(3).collect();
    let joined = lines.join(" / ");
    if joined.chars().count() > 300 {
        let cut: String = joined.chars().take(300).collect();
        format!("{cut}…")
    } else if joined.is_empty() {
        "no output".to_string()
    } else {
        joined
    }
}

/// The combined answer of all hooks of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookRun {
    /// Some hook blocked (on an event that can be blocked); the reasons,
    /// one per line.
    pub blocked: Option<String>,
    /// Some hook allowed and none blocked.
    pub allowed: bool,
    /// Context for the model from every hook that gave some.
    pub context: Vec<String>,
    /// What to show the user: (command, outcome) per notable answer.
    pub notices: Vec<(String, HookOutcome)>,
}

impl HookRun {
    /// Combines the answers of the hooks of `event` (run in parallel).
    pub fn combine(event: HookEvent, answers: Vec<(String, Answer)>) -> HookRun {
        let mut run = HookRun::default();
        let mut reasons = Vec::new();
        for (command, answer) in answers {
            if let Some(error) = answer.error {
                run.notices.push((command.clone(), error));
            }
            if let Some(reason) = answer.block {
                if event.can_block() {
                    reasons.push(reason.clone());
                }
                run.notices
                    .push((command.clone(), HookOutcome::Blocked { reason }));
            } else if let Some(reason) = answer.allow {
                run.allowed = true;
                run.notices
                    .push((command.clone(), HookOutcome::Allowed { reason }));
            }
            if let Some(context) = answer.context {
                run.notices.push((
                    command,
                    HookOutcome::AddedContext {
                        bytes: context.len(),
                    },
                ));
                run.context.push(context);
            }
        }
        if !reasons.is_empty() {
            run.blocked = Some(reasons.join("\n"));
            run.allowed = false;
        }
        run
    }

    /// The context of every hook as one block for the model, delimited so
    /// the model can tell it from the user's words; `None` without any.
    pub fn context_block(&self, event: HookEvent) -> Option<String> {
        context_block(event, &self.context)
    }
}

/// Hook context as one delimited block for the model.
pub fn context_block(event: HookEvent, context: &[String]) -> Option<String> {
    if context.is_empty() {
        return None;
    }
    Some(format!(
        "<hook-context event=\"{}\">\n{}\n</hook-context>",
        event.name(),
        context.join("\n\n")
    ))
}

/// The one line every front end shows for a hook's outcome ("hook
/// pre_tool_use blocked shell: no rm here").
pub fn line(event: &str, command: &str, tool: Option<&str>, outcome: &HookOutcome) -> String {
    let tool = tool.map(|t| format!(" {t}")).unwrap_or_default();
    match outcome {
        HookOutcome::Blocked { reason } => {
            let effect = match event {
                "pre_tool_use" => "; the tool did not run",
                "post_tool_use" => "; the model is told",
                "user_prompt_submit" => "; the prompt was not sent",
                "stop" => "; the agent goes on",
                "pre_compact" => "; compaction cancelled",
                _ => " (this event cannot be blocked)",
            };
            format!("hook {event} blocked{tool}: {reason}{effect}")
        }
        HookOutcome::Allowed { reason } => {
            let reason = reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!("hook {event} allowed{tool} without asking{reason}")
        }
        HookOutcome::AddedContext { bytes } => {
            format!("hook {event}{tool} added {bytes} bytes of context for the model")
        }
        HookOutcome::Failed { exit_code, message } => {
            let code = exit_code.map_or_else(String::new, |c| format!(" (exit {c})"));
            format!("hook {event} failed{code}: {message} [{command}]; the session goes on")
        }
        HookOutcome::TimedOut { secs } => format!(
            "hook {event} timed out after {secs} s and was killed [{command}]; the session goes on"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn exit(code: i32, stdout: &str, stderr: &str) -> Raw {
        Raw::Exited {
            code: Some(code),
            signal: None,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn exit_codes_go_on_block_or_fail() {
        let ok = interpret(HookEvent::PreToolUse, exit(0, "fine\n", ""));
        assert_eq!(ok, Answer::default(), "plain stdout is ignored here");
        let blocked = interpret(HookEvent::PreToolUse, exit(2, "ignored", "no rm\n"));
        assert_eq!(blocked.block.as_deref(), Some("no rm"));
        let failed = interpret(HookEvent::Stop, exit(1, "", "boom\nmore\n"));
        assert_eq!(
            failed.error,
            Some(HookOutcome::Failed {
                exit_code: Some(1),
                message: "boom / more".into()
            })
        );
        let timed_out = interpret(HookEvent::Stop, Raw::TimedOut(Duration::from_secs(1)));
        assert_eq!(timed_out.error, Some(HookOutcome::TimedOut { secs: 1 }));
    }

    #[test]
    fn plain_stdout_is_context_on_prompt_submit_and_session_start() {
        for event in [HookEvent::UserPromptSubmit, HookEvent::SessionStart] {
            let a = interpret(event, exit(0, "branch: main\n", ""));
            assert_eq!(a.context.as_deref(), Some("branch: main"));
        }
    }

    #[test]
    fn json_answers_in_our_and_claudes_shapes() {
        let ours = interpret(
            HookEvent::PreToolUse,
            exit(0, r#"{"decision":"deny","reason":"not today"}"#, ""),
        );
        assert_eq!(ours.block.as_deref(), Some("not today"));
        let allow = interpret(
            HookEvent::PreToolUse,
            exit(0, r#"{"decision":"approve","additional_context":"x"}"#, ""),
        );
        assert_eq!(allow.allow, Some(None));
        assert_eq!(allow.context.as_deref(), Some("x"));
        let claude = interpret(
            HookEvent::PreToolUse,
            exit(
                0,
                r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"protected file"}}"#,
                "",
            ),
        );
        assert_eq!(claude.block.as_deref(), Some("protected file"));
        let context = interpret(
            HookEvent::UserPromptSubmit,
            exit(
                0,
                r#"{"hookSpecificOutput":{"additionalContext":"today is Monday"}}"#,
                "",
            ),
        );
        assert_eq!(context.context.as_deref(), Some("today is Monday"));
        let halt = interpret(
            HookEvent::PostToolUse,
            exit(0, r#"{"continue":false,"stopReason":"enough"}"#, ""),
        );
        assert_eq!(halt.block.as_deref(), Some("enough"));
        let stop = interpret(HookEvent::Stop, exit(0, r#"{"continue":false}"#, ""));
        assert_eq!(stop.block, None, "on stop, continue:false lets it stop");
    }

    #[test]
    fn a_block_beats_an_allow_and_unblockable_events_only_report() {
        let answers = vec![
            (
                "a".to_string(),
                Answer {
                    allow: Some(None),
                    ..Answer::default()
                },
            ),
            (
                "b".to_string(),
                Answer {
                    block: Some("no".into()),
                    ..Answer::default()
                },
            ),
        ];
        let run = HookRun::combine(HookEvent::PreToolUse, answers.clone());
        assert_eq!(run.blocked.as_deref(), Some("no"));
        assert!(!run.allowed);
        let start = HookRun::combine(HookEvent::SessionStart, answers);
        assert_eq!(start.blocked, None);
        assert_eq!(start.notices.len(), 2, "both are still shown");
    }

    #[test]
    fn lines_say_what_happened() {
        let blocked = HookOutcome::Blocked {
            reason: "no rm".into(),
        };
        assert_eq!(
            line("pre_tool_use", "./guard.sh", Some("shell"), &blocked),
            "hook pre_tool_use blocked shell: no rm; the tool did not run"
        );
        let failed = HookOutcome::Failed {
            exit_code: Some(1),
            message: "boom".into(),
        };
        assert_eq!(
            line("stop", "./s.sh", None, &failed),
            "hook stop failed (exit 1): boom [./s.sh]; the session goes on"
        );
    }
}
