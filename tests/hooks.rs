//! Hooks end to end: the real session with real hook scripts (small shell
//! scripts in tempdirs) against the scripted mock server, one test per
//! event and answer (go on, block, time out, JSON decisions, context).
//! What the binary shows at start-up is in `hooks_exec.rs`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tandem::agent::{
    ApprovalDecision, Event, Op, Pane, Session, SessionConfig, SessionHandle, TaskStatus,
};
use tandem::exec::secrets::SecretPolicy;
use tandem::exec::{ApprovalMode, Permissions, RuleLists};
use tandem::hooks::{Hook, HookContext, HookEvent, HookOutcome, Hooks, Payload, compile_matcher};
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpClientConfig, HttpModelClient, Wire};
use tandem::quota::{BudgetConfig, Meter, PriceTable};

/// A hook of `event` running `command`, matching `matcher`.
fn hook(event: HookEvent, matcher: Option<&str>, command: &str, timeout_secs: u64) -> Hook {
    Hook {
        event,
        matcher: compile_matcher(matcher).unwrap(),
        command: command.into(),
        timeout: Duration::from_secs(timeout_secs),
        origin: "test".into(),
    }
}

/// Writes an executable script `name` into `dir`; returns its path as a
/// command.
fn script(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

async fn start(
    reply_script: &str,
    workspace: &Path,
    mode: ApprovalMode,
    hooks: Vec<Hook>,
    customize: impl FnOnce(&mut SessionConfig),
) -> (MockServer, SessionHandle) {
    let server = MockServer::start(Script::from_toml_str(reply_script).unwrap())
        .await
        .unwrap();
    let client = HttpModelClient::new(HttpClientConfig {
        max_retries: 0,
        ..server.client_config(Wire::Anthropic)
    })
    .unwrap();
    let mut config = SessionConfig {
        pane: Pane::Run,
        mode,
        system_prompt: "test".into(),
        hooks: Arc::new(Hooks::new(hooks, SecretPolicy::default())),
        ..SessionConfig::basic(
            Arc::new(client),
            "mock-model",
            workspace.canonicalize().unwrap(),
        )
    };
    customize(&mut config);
    let handle = Session::spawn(config);
    (server, handle)
}

async fn next(h: &mut SessionHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(20), h.events.recv())
        .await
        .expect("the session answers")
        .expect("the session is alive")
}

/// Collects events until the task completes.
async fn until_done(h: &mut SessionHandle) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let event = next(h).await;
        let done = matches!(event, Event::TaskComplete { .. });
        events.push(event);
        if done {
            return events;
        }
    }
}

fn status(events: &[Event]) -> TaskStatus {
    match events.last() {
        Some(Event::TaskComplete { status, .. }) => *status,
        other => panic!("no completion: {other:?}"),
    }
}

/// The hook notices among `events`: (event, tool, outcome).
fn hook_events(events: &[Event]) -> Vec<(String, Option<String>, HookOutcome)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Hook {
                event,
                tool,
                outcome,
                ..
            } => Some((event.clone(), tool.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

fn tool_result(events: &[Event]) -> (bool, String) {
    events
        .iter()
        .find_map(|e| match e {
            Event::ToolResult { ok, output, .. } => Some((*ok, output.clone())),
            _ => None,
        })
        .expect("a tool result")
}

/// The text of every request the model got, as one string.
fn request_text(server: &MockServer, n: usize) -> String {
    serde_json::to_string(&server.requests()[n].body).unwrap()
}

/// [`read_json`] once a hook running in the background has written `path`
/// (waiting up to 10 s).
async fn read_json_when_written(path: &Path) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    read_json(path)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const SHELL_SCRIPT: &str = r#"
[[reply]]
[[reply.tool_calls]]
id = "c1"
name = "shell"
input = { command = "touch ran.txt" }

[[reply]]
text = "done"
"#;

#[tokio::test]
async fn pre_tool_use_sees_the_call_and_lets_it_run() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("seen.json");
    let cmd = script(hooks.path(), "pre.sh", &format!("cat > {}", seen.display()));
    let (_server, mut h) = start(
        SHELL_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::PreToolUse, Some("shell"), &cmd, 10)],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert!(dir.path().join("ran.txt").exists(), "the tool ran");
    let input = read_json(&seen);
    assert_eq!(input["event"], "pre_tool_use");
    assert_eq!(input["hook_event_name"], "PreToolUse");
    assert_eq!(input["tool_name"], "shell");
    assert_eq!(input["tool_input"]["command"], "touch ran.txt");
    assert_eq!(input["pane"], "run");
    assert!(input.get("transcript_path").is_none());
    assert!(hook_events(&events).is_empty(), "a plain go-on is quiet");
}

#[tokio::test]
async fn pre_tool_use_exit_2_blocks_the_call_and_tells_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let cmd = script(
        hooks.path(),
        "guard.sh",
        "echo 'no shell today' >&2; exit 2",
    );
    let (server, mut h) = start(
        SHELL_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(
            HookEvent::PreToolUse,
            Some("shell|apply_patch"),
            &cmd,
            10,
        )],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let events = until_done(&mut h).await;
    assert!(!dir.path().join("ran.txt").exists(), "the tool did not run");
    let (ok, output) = tool_result(&events);
    assert!(!ok);
    assert_eq!(output, "blocked by hook: no shell today");
    assert!(request_text(&server, 1).contains("blocked by hook: no shell today"));
    let notices = hook_events(&events);
    assert_eq!(
        notices,
        vec![(
            "pre_tool_use".to_string(),
            Some("shell".to_string()),
            HookOutcome::Blocked {
                reason: "no shell today".into()
            }
        )]
    );
    let line = events.iter().find_map(Event::hook_line).unwrap();
    assert_eq!(
        line,
        "hook pre_tool_use blocked shell: no shell today; the tool did not run"
    );
}

#[tokio::test]
async fn matchers_pick_the_tools_a_hook_runs_for() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let cmd = script(hooks.path(), "guard.sh", "echo never >&2; exit 2");
    let (_server, mut h) = start(
        SHELL_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(
            HookEvent::PreToolUse,
            Some("read_file|mcp__.*"),
            &cmd,
            10,
        )],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let events = until_done(&mut h).await;
    assert!(dir.path().join("ran.txt").exists(), "shell is not matched");
    assert!(hook_events(&events).is_empty());
}

#[tokio::test]
async fn a_hook_that_times_out_is_killed_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut h) = start(
        SHELL_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::PreToolUse, None, "sleep 30", 1)],
        |_| {},
    )
    .await;
    let started = Instant::now();
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let events = until_done(&mut h).await;
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    assert_eq!(status(&events), TaskStatus::Ok);
    assert!(
        dir.path().join("ran.txt").exists(),
        "a timeout does not block"
    );
    let notices = hook_events(&events);
    assert_eq!(notices[0].2, HookOutcome::TimedOut { secs: 1 });
    let line = events.iter().find_map(Event::hook_line).unwrap();
    assert!(
        line.contains("timed out after 1 s") && line.contains("sleep 30"),
        "{line}"
    );
}

const EDIT_SCRIPT: &str = r#"
[[reply]]
[[reply.tool_calls]]
id = "e1"
name = "edit_file"
input = { path = "notes.txt", old_string = "draft", new_string = "final" }

[[reply]]
text = "done"
"#;

#[tokio::test]
async fn a_json_allow_skips_the_approval_prompt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let cmd = r#"echo '{"hookSpecificOutput":{"permissionDecision":"allow","permissionDecisionReason":"docs are fine"}}'"#;
    let (_server, mut h) = start(
        EDIT_SCRIPT,
        dir.path(),
        ApprovalMode::Suggest,
        vec![hook(HookEvent::PreToolUse, Some("edit_file"), cmd, 10)],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    let events = until_done(&mut h).await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ApprovalRequest { .. })),
        "no question asked"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "a final\n"
    );
    let line = events.iter().find_map(Event::hook_line).unwrap();
    assert_eq!(
        line,
        "hook pre_tool_use allowed edit_file without asking: docs are fine"
    );
}

#[tokio::test]
async fn a_hook_allow_does_not_override_a_deny_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let permissions = Permissions::from_lists(
        &RuleLists::default(),
        &RuleLists {
            origin: "project".into(),
            deny: vec!["edit(notes.txt)".into()],
            ..RuleLists::default()
        },
        false,
        dir.path(),
    )
    .unwrap();
    let (_server, mut h) = start(
        EDIT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(
            HookEvent::PreToolUse,
            None,
            r#"echo '{"decision":"approve"}'"#,
            10,
        )],
        move |c| c.permissions = permissions,
    )
    .await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    let events = until_done(&mut h).await;
    let (ok, output) = tool_result(&events);
    assert!(!ok, "{output}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "a draft\n"
    );
}

#[tokio::test]
async fn post_tool_use_block_and_context_reach_the_model_with_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("post.json");
    let flag = script(
        hooks.path(),
        "lint.sh",
        &format!(
            "cat > {}; echo 'lint: 2 warnings' >&2; exit 2",
            seen.display()
        ),
    );
    let context = r#"echo '{"additional_context":"remember the changelog"}'"#;
    let (server, mut h) = start(
        SHELL_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![
            hook(HookEvent::PostToolUse, Some("shell"), &flag, 10),
            hook(HookEvent::PostToolUse, None, context, 10),
        ],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let events = until_done(&mut h).await;
    let (ok, output) = tool_result(&events);
    assert!(ok, "the tool itself succeeded");
    assert!(output.contains("lint: 2 warnings"), "{output}");
    assert!(output.contains("remember the changelog"), "{output}");
    let second = request_text(&server, 1);
    assert!(second.contains("lint: 2 warnings") && second.contains("remember the changelog"));
    let input = read_json(&seen);
    assert_eq!(input["tool_response"]["ok"], true);
    assert_eq!(input["tool_output"], input["tool_response"]);
}

const TEXT_SCRIPT: &str = "[[reply]]\ntext = \"hello\"\n";

#[tokio::test]
async fn user_prompt_submit_block_keeps_the_prompt_from_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = r#"echo '{"decision":"block","reason":"no secrets in prompts"}'"#;
    let (server, mut h) = start(
        TEXT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::UserPromptSubmit, None, cmd, 10)],
        |_| {},
    )
    .await;
    h.ops
        .send(Op::UserMessage("my password is x".into()))
        .unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Blocked);
    assert!(server.requests().is_empty(), "nothing was sent");
    let line = events.iter().find_map(Event::hook_line).unwrap();
    assert_eq!(
        line,
        "hook user_prompt_submit blocked: no secrets in prompts; the prompt was not sent"
    );
}

#[tokio::test]
async fn user_prompt_submit_context_and_exit_2_and_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("prompt.json");
    let context = script(
        hooks.path(),
        "ctx.sh",
        &format!("cat > {}; echo 'branch: main'", seen.display()),
    );
    let (server, mut h) = start(
        TEXT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![
            hook(HookEvent::UserPromptSubmit, None, &context, 10),
            hook(HookEvent::UserPromptSubmit, None, "sleep 30", 1),
        ],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("what branch?".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok, "a timeout does not block");
    assert_eq!(read_json(&seen)["prompt"], "what branch?");
    let first = request_text(&server, 0);
    assert!(first.contains("what branch?"), "{first}");
    assert!(
        first.contains("<hook-context event=\\\"user_prompt_submit\\\">\\nbranch: main"),
        "{first}"
    );
    let outcomes: Vec<HookOutcome> = hook_events(&events).into_iter().map(|e| e.2).collect();
    assert!(
        outcomes.contains(&HookOutcome::TimedOut { secs: 1 }),
        "{outcomes:?}"
    );

    let (server, mut h) = start(
        TEXT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(
            HookEvent::UserPromptSubmit,
            None,
            "echo 'not on Fridays' >&2; exit 2",
            10,
        )],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("deploy".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Blocked);
    assert!(server.requests().is_empty());
    assert!(
        events
            .iter()
            .filter_map(Event::hook_line)
            .any(|l| l.contains("not on Fridays"))
    );
}

#[tokio::test]
async fn a_stop_hook_sends_the_agent_back_to_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let log = hooks.path().join("stop.log");
    // Blocks unless the agent already went on because of it.
    let cmd = script(
        hooks.path(),
        "stop.sh",
        &format!(
            "input=$(cat); echo \"$input\" >> {}\n\
             case \"$input\" in *'\"stop_hook_active\":true'*) exit 0;; esac\n\
             echo 'run the tests first' >&2; exit 2",
            log.display()
        ),
    );
    let replies = "[[reply]]\ntext = \"finished\"\n\n[[reply]]\ntext = \"tests pass\"\n";
    let (server, mut h) = start(
        replies,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::Stop, None, &cmd, 10)],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("work".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert_eq!(server.requests().len(), 2, "the agent went on once");
    assert!(request_text(&server, 1).contains("run the tests first"));
    let runs: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["stop_hook_active"], false);
    assert_eq!(runs[1]["stop_hook_active"], true);
    assert!(
        events
            .iter()
            .filter_map(Event::hook_line)
            .any(|l| l == "hook stop blocked: run the tests first; the agent goes on")
    );
}

#[tokio::test]
async fn a_stop_hook_that_always_blocks_is_bounded_by_max_turns() {
    let dir = tempfile::tempdir().unwrap();
    let replies = "[[reply]]\ntext = \"a\"\n\n[[reply]]\ntext = \"b\"\n";
    let (server, mut h) = start(
        replies,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::Stop, None, "echo more >&2; exit 2", 10)],
        |c| c.max_turns = 2,
    )
    .await;
    h.ops.send(Op::UserMessage("work".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::MaxTurns);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_failing_or_slow_stop_hook_is_reported_and_the_task_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut h) = start(
        TEXT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![
            hook(HookEvent::Stop, None, "echo broken >&2; exit 1", 10),
            hook(HookEvent::Stop, None, "sleep 30", 1),
        ],
        |_| {},
    )
    .await;
    let started = Instant::now();
    h.ops.send(Op::UserMessage("work".into())).unwrap();
    let events = until_done(&mut h).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(status(&events), TaskStatus::Ok);
    let lines: Vec<String> = events.iter().filter_map(Event::hook_line).collect();
    assert!(
        lines.contains(
            &"hook stop failed (exit 1): broken [echo broken >&2; exit 1]; the session goes on"
                .to_string()
        ),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("timed out")), "{lines:?}");
}

#[tokio::test]
async fn notification_hooks_run_when_an_approval_waits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("note.json");
    let cmd = script(
        hooks.path(),
        "notify.sh",
        &format!("cat > {}.tmp && mv {0}.tmp {0}", seen.display()),
    );
    let (_server, mut h) = start(
        EDIT_SCRIPT,
        dir.path(),
        ApprovalMode::Suggest,
        vec![hook(HookEvent::Notification, None, &cmd, 10)],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    let id = loop {
        if let Event::ApprovalRequest { id, .. } = next(&mut h).await {
            break id;
        }
    };
    let input = read_json_when_written(&seen).await;
    assert_eq!(input["hook_event_name"], "Notification");
    assert_eq!(
        input["message"],
        "Tandem needs your permission to use edit_file"
    );
    h.ops
        .send(Op::Approval {
            call_id: id,
            decision: ApprovalDecision::Approve,
        })
        .unwrap();
    assert_eq!(status(&until_done(&mut h).await), TaskStatus::Ok);
}

#[tokio::test]
async fn notification_hooks_run_when_a_budget_pauses_run() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("note.json");
    let cmd = script(
        hooks.path(),
        "notify.sh",
        &format!("cat > {}.tmp && mv {0}.tmp {0}", seen.display()),
    );
    // One token a day: the first call spends it all.
    let meter = Meter::open(
        state.path(),
        "test-session",
        PriceTable::new(&Default::default()),
        BudgetConfig {
            daily_tokens: Some(1),
            ..BudgetConfig::default()
        },
    );
    let two_calls = "[[reply]]\n[[reply.tool_calls]]\nname = \"list_dir\"\ninput = { path = \".\" }\n\n[[reply]]\ntext = \"done\"\n";
    let (_server, mut h) = start(
        two_calls,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::Notification, None, &cmd, 10)],
        |c| c.meter = Some(meter.clone()),
    )
    .await;
    h.ops.send(Op::UserMessage("look".into())).unwrap();
    loop {
        if let Event::BudgetPaused { .. } = next(&mut h).await {
            break;
        }
    }
    let input = read_json_when_written(&seen).await;
    assert_eq!(input["hook_event_name"], "Notification");
    let message = input["message"].as_str().unwrap_or_default();
    assert!(message.contains("daily_tokens"), "{message}");
    h.ops.send(Op::BudgetDecision { proceed: true }).unwrap();
    assert_eq!(status(&until_done(&mut h).await), TaskStatus::Ok);
}

#[tokio::test]
async fn pre_compact_can_cancel_a_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let seen = hooks.path().join("compact.json");
    let cmd = script(
        hooks.path(),
        "keep.sh",
        &format!(
            "cat > {}; echo 'keep everything' >&2; exit 2",
            seen.display()
        ),
    );
    let replies = "[[reply]]\ntext = \"one\"\n\n[[reply]]\ntext = \"two\"\n";
    let (server, mut h) = start(
        replies,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![hook(HookEvent::PreCompact, Some("manual"), &cmd, 10)],
        |c| c.compact.keep_recent_user_turns = 1,
    )
    .await;
    for text in ["first", "second"] {
        h.ops.send(Op::UserMessage(text.into())).unwrap();
        until_done(&mut h).await;
    }
    h.ops.send(Op::Compact(Some("the API".into()))).unwrap();
    let event = next(&mut h).await;
    assert_eq!(
        event.hook_line().as_deref(),
        Some("hook pre_compact blocked: keep everything; compaction cancelled")
    );
    let input = read_json(&seen);
    assert_eq!(input["trigger"], "manual");
    assert_eq!(input["custom_instructions"], "the API");
    h.ops.send(Op::Shutdown).unwrap();
    loop {
        match next(&mut h).await {
            Event::Compacted { .. } => panic!("the compaction was cancelled"),
            Event::ShutdownComplete => break,
            _ => {}
        }
    }
    assert_eq!(server.requests().len(), 2, "no summary was requested");
}

#[tokio::test]
async fn session_start_context_goes_with_the_first_prompt_and_session_end_runs_at_exit() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let ended = hooks.path().join("ended.json");
    let end = script(
        hooks.path(),
        "end.sh",
        &format!("cat > {}", ended.display()),
    );
    let (server, mut h) = start(
        TEXT_SCRIPT,
        dir.path(),
        ApprovalMode::FullAuto,
        vec![
            hook(
                HookEvent::SessionStart,
                Some("startup"),
                "echo 'open issues: 3'",
                10,
            ),
            hook(
                HookEvent::SessionStart,
                Some("resume"),
                "echo 'never at startup'",
                10,
            ),
            hook(HookEvent::SessionEnd, None, &end, 10),
        ],
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("hi".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    let first = request_text(&server, 0);
    assert!(first.contains("open issues: 3"), "{first}");
    assert!(!first.contains("never at startup"), "{first}");
    h.ops.send(Op::Shutdown).unwrap();
    while !matches!(next(&mut h).await, Event::ShutdownComplete) {}
    let input = read_json(&ended);
    assert_eq!(input["event"], "session_end");
    assert_eq!(input["reason"], "exit");
}

/// The payload that fires each event, as the session sends it.
fn payload_of(event: HookEvent) -> Payload {
    match event {
        HookEvent::SessionStart => Payload::SessionStart { source: "startup" },
        HookEvent::UserPromptSubmit => Payload::UserPromptSubmit {
            prompt: "fix it".into(),
        },
        HookEvent::PreToolUse => Payload::PreToolUse {
            tool_name: "shell".into(),
            tool_input: serde_json::json!({"command": "make"}),
        },
        HookEvent::PostToolUse => Payload::PostToolUse {
            tool_name: "shell".into(),
            tool_input: serde_json::json!({"command": "make"}),
            ok: true,
            text: "built".into(),
        },
        HookEvent::Stop => Payload::Stop {
            stop_hook_active: false,
        },
        HookEvent::Notification => Payload::Notification {
            message: "Tandem needs your permission to use shell".into(),
        },
        HookEvent::PreCompact => Payload::PreCompact {
            trigger: "manual",
            custom_instructions: None,
        },
        HookEvent::SessionEnd => Payload::SessionEnd { reason: "exit" },
    }
}

/// Every event × {exit 0, exit 2, a hook past its timeout}, with real
/// processes: the hook gets its event's JSON and going on changes nothing;
/// exit 2 blocks exactly the events that can be blocked (with stderr as
/// the reason) and is only reported on the others; a hook past its timeout
/// is killed in about its timeout and reported, and blocks nothing. What a
/// block does in the session is tested per event above.
#[tokio::test]
async fn every_event_goes_on_blocks_or_times_out_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = HookContext {
        session_id: "s-matrix".into(),
        pane: "run",
        cwd: dir.path().canonicalize().unwrap(),
        transcript_path: None,
    };
    let mut runs = tokio::task::JoinSet::new();
    for event in HookEvent::ALL {
        for outcome in ["go on", "exit 2", "time out"] {
            let seen = dir
                .path()
                .join(format!("{}-{}.json", event.name(), outcome.len()));
            let command = match outcome {
                "go on" => format!("cat > '{}'", seen.display()),
                "exit 2" => "cat > /dev/null; echo 'not now' >&2; exit 2".to_string(),
                _ => "cat > /dev/null; sleep 30".to_string(),
            };
            let hooks = Hooks::new(
                vec![hook(event, None, &command, 1)],
                SecretPolicy::default(),
            );
            let ctx = ctx.clone();
            runs.spawn(async move {
                let started = Instant::now();
                let run = hooks.run(&ctx, &payload_of(event)).await;
                (event, outcome, seen, run, started.elapsed())
            });
        }
    }
    let mut checked = 0;
    while let Some(done) = runs.join_next().await {
        let (event, outcome, seen, run, took) = done.unwrap();
        let case = format!("{} / {outcome}", event.name());
        match outcome {
            "go on" => {
                assert_eq!(run.blocked, None, "{case}");
                assert_eq!(
                    read_json(&seen)["hook_event_name"],
                    event.claude_name(),
                    "{case}"
                );
            }
            "exit 2" if event.can_block() => {
                assert_eq!(run.blocked.as_deref(), Some("not now"), "{case}");
            }
            "exit 2" => {
                assert_eq!(run.blocked, None, "{case}: cannot be blocked");
                assert!(!run.notices.is_empty(), "{case}: still reported");
            }
            _ => {
                assert_eq!(run.blocked, None, "{case}");
                assert!(
                    run.notices
                        .iter()
                        .any(|(_, o)| matches!(o, HookOutcome::TimedOut { secs: 1 })),
                    "{case}: {:?}",
                    run.notices
                );
                assert!(took < Duration::from_secs(10), "{case}: took {took:?}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, HookEvent::ALL.len() * 3);
}
