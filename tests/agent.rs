//! The agent session: the turn loop with real tools and the real HTTP client
//! against the scripted mock server — approvals, headless refusals,
//! concurrency of reads, interrupts and the history they leave behind.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem::agent::{
    ApprovalDecision, Event, Op, Pane, Session, SessionConfig, SessionHandle, TaskStatus,
};
use tandem::exec::{ApprovalMode, Permissions, RuleLists};
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpModelClient, Wire};
use tandem::quota::{BudgetConfig, Meter, PriceTable};
use tandem::workspace::{ChangeLog, CheckpointOptions, Checkpoints, Tracker, TrackerOptions};

async fn session(
    script: &str,
    workspace: &Path,
    mode: ApprovalMode,
    can_approve: bool,
) -> (MockServer, SessionHandle) {
    session_with(
        script,
        workspace,
        mode,
        can_approve,
        Permissions::default(),
        |_| {},
    )
    .await
}

async fn session_with(
    script: &str,
    workspace: &Path,
    mode: ApprovalMode,
    can_approve: bool,
    permissions: Permissions,
    customize: impl FnOnce(&mut SessionConfig),
) -> (MockServer, SessionHandle) {
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let client = HttpModelClient::new(server.client_config(Wire::Anthropic)).unwrap();
    let mut config = SessionConfig {
        mode,
        can_approve,
        live_output: true,
        system_prompt: "test".into(),
        permissions,
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

/// Collects events until the task completes.
async fn until_done(handle: &mut SessionHandle) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), handle.events.recv())
            .await
            .expect("the session answers")
            .expect("the session is alive");
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
async fn suggest_mode_asks_before_an_edit_and_runs_it_when_approved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let (_server, mut h) = session(EDIT_SCRIPT, dir.path(), ApprovalMode::Suggest, true).await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    loop {
        match h.events.recv().await.unwrap() {
            Event::ApprovalRequest { id, name, .. } => {
                assert_eq!(name, "edit_file");
                assert_eq!(
                    std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
                    "a draft\n",
                    "nothing changes before approval"
                );
                h.ops
                    .send(Op::Approval {
                        call_id: id,
                        decision: ApprovalDecision::Approve,
                    })
                    .unwrap();
                break;
            }
            Event::TaskComplete { .. } => panic!("finished without asking"),
            _ => {}
        }
    }
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "a final\n"
    );
}

#[tokio::test]
async fn a_denied_call_reaches_the_model_as_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let (server, mut h) = session(EDIT_SCRIPT, dir.path(), ApprovalMode::Suggest, true).await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    loop {
        if let Event::ApprovalRequest { id, .. } = h.events.recv().await.unwrap() {
            h.ops
                .send(Op::Approval {
                    call_id: id,
                    decision: ApprovalDecision::Deny(Some("keep it a draft".into())),
                })
                .unwrap();
            break;
        }
    }
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "a draft\n"
    );
    let second = serde_json::to_string(&server.requests()[1].body).unwrap();
    assert!(second.contains("keep it a draft"), "{second}");
}

#[tokio::test]
async fn headless_refuses_what_needs_approval_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "a draft\n").unwrap();
    let (server, mut h) = session(EDIT_SCRIPT, dir.path(), ApprovalMode::Suggest, false).await;
    h.ops.send(Op::UserMessage("finalise".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ApprovalRequest { .. }))
    );
    let refusal = events.iter().find_map(|e| match e {
        Event::ToolResult {
            ok: false, output, ..
        } => Some(output.clone()),
        _ => None,
    });
    assert!(refusal.unwrap().contains("headless"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "a draft\n"
    );
    assert_eq!(
        server.replies_served(),
        2,
        "the run went on after the refusal"
    );
}

#[tokio::test]
async fn read_only_calls_of_one_answer_run_concurrently_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(dir.path().join(format!("{name}.txt")), name).unwrap();
    }
    let script = r#"
[[reply]]
[[reply.tool_calls]]
id = "r1"
name = "read_file"
input = { path = "a.txt" }
[[reply.tool_calls]]
id = "r2"
name = "grep"
input = { pattern = "b" }
[[reply.tool_calls]]
id = "r3"
name = "read_file"
input = { path = "c.txt" }

[[reply]]
text = "read"
"#;
    let (server, mut h) = session(script, dir.path(), ApprovalMode::Suggest, true).await;
    h.ops.send(Op::UserMessage("read".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    let second = &server.requests()[1].body;
    let results: Vec<String> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == "tool_result")
        .map(|b| b["tool_use_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(results, ["r1", "r2", "r3"], "results go back in call order");
}

#[tokio::test]
async fn an_interrupt_stops_a_stream_quickly_and_the_next_task_works() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
[[reply]]
words = 2000
delay_ms = 5

[[reply]]
text = "second task answered"
"#;
    let (server, mut h) = session(script, dir.path(), ApprovalMode::Suggest, true).await;
    h.ops.send(Op::UserMessage("write a lot".into())).unwrap();
    loop {
        if let Event::TextDelta(_) = h.events.recv().await.unwrap() {
            break;
        }
    }
    let started = Instant::now();
    h.ops.send(Op::Interrupt).unwrap();
    let events = until_done(&mut h).await;
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status(&events), TaskStatus::Interrupted);

    h.ops.send(Op::UserMessage("next".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok, "{events:?}");
    let second = serde_json::to_string(&server.requests()[1].body).unwrap();
    assert!(second.contains("write a lot") && second.contains("next"));
}

#[tokio::test]
async fn an_interrupt_kills_a_running_command() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
[[reply]]
[[reply.tool_calls]]
id = "s1"
name = "shell"
input = { command = "echo started; sleep 30" }

[[reply]]
text = "after"
"#;
    let (server, mut h) = session(script, dir.path(), ApprovalMode::FullAuto, true).await;
    h.ops.send(Op::UserMessage("run".into())).unwrap();
    loop {
        if let Event::ToolOutputDelta { .. } = h.events.recv().await.unwrap() {
            break;
        }
    }
    let started = Instant::now();
    h.ops.send(Op::Interrupt).unwrap();
    let events = until_done(&mut h).await;
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status(&events), TaskStatus::Interrupted);

    h.ops.send(Op::UserMessage("go on".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    let second = serde_json::to_string(&server.requests()[1].body).unwrap();
    assert!(
        second.contains("s1"),
        "the interrupted call is answered in the history"
    );
}

#[tokio::test]
async fn yes_always_adds_a_rule_so_the_same_command_runs_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
[[reply]]
[[reply.tool_calls]]
id = "c1"
name = "shell"
input = { command = "echo one" }

[[reply]]
[[reply.tool_calls]]
id = "c2"
name = "shell"
input = { command = "echo two" }

[[reply]]
[[reply.tool_calls]]
id = "c3"
name = "shell"
input = { command = "touch made-by-agent" }

[[reply]]
text = "done"
"#;
    let (_server, mut h) = session(script, dir.path(), ApprovalMode::Suggest, true).await;
    h.ops.send(Op::UserMessage("go".into())).unwrap();
    let mut asked = Vec::new();
    loop {
        match h.events.recv().await.unwrap() {
            Event::ApprovalRequest { id, always, .. } => {
                let decision = if id == "c1" {
                    assert_eq!(always, ["shell(echo:*)"]);
                    ApprovalDecision::ApproveForSession
                } else {
                    ApprovalDecision::Deny(None)
                };
                asked.push(id.clone());
                h.ops
                    .send(Op::Approval {
                        call_id: id,
                        decision,
                    })
                    .unwrap();
            }
            Event::TaskComplete { status, .. } => {
                assert_eq!(status, TaskStatus::Ok);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        asked,
        ["c1", "c3"],
        "echo two ran under the session rule; touch still asked"
    );
    assert!(!dir.path().join("made-by-agent").exists());
}

#[tokio::test]
async fn a_read_deny_rule_hides_the_file_from_reads_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "TOKEN=hunter2-secret\n").unwrap();
    std::fs::write(dir.path().join("app.txt"), "uses TOKEN from the env\n").unwrap();
    let script = r#"
[[reply]]
[[reply.tool_calls]]
id = "g"
name = "grep"
input = { pattern = "TOKEN" }
[[reply.tool_calls]]
id = "r"
name = "read_file"
input = { path = ".env" }
[[reply.tool_calls]]
id = "l"
name = "list_dir"

[[reply]]
text = "done"
"#;
    let user = RuleLists {
        origin: "test config".into(),
        deny: vec!["read(.env)".into()],
        ..RuleLists::default()
    };
    let permissions = Permissions::from_lists(
        &user,
        &RuleLists::default(),
        false,
        &dir.path().canonicalize().unwrap(),
    )
    .unwrap();
    let (_server, mut h) = session_with(
        script,
        dir.path(),
        ApprovalMode::FullAuto,
        false,
        permissions,
        |_| {},
    )
    .await;
    h.ops.send(Op::UserMessage("look".into())).unwrap();
    let events = until_done(&mut h).await;
    let output = |id: &str| {
        events
            .iter()
            .find_map(|e| match e {
                Event::ToolResult {
                    id: i, ok, output, ..
                } if i == id => Some((*ok, output.clone())),
                _ => None,
            })
            .unwrap()
    };
    let (ok, grep) = output("g");
    assert!(
        ok && grep.contains("app.txt") && !grep.contains("hunter2"),
        "{grep}"
    );
    let (ok, read) = output("r");
    assert!(
        !ok && read.contains("read(.env)") && !read.contains("hunter2"),
        "{read}"
    );
    let (_, list) = output("l");
    assert!(list.contains("app.txt") && !list.contains(".env"), "{list}");
}

#[tokio::test]
async fn every_change_of_a_task_is_checkpointed_and_attributed_to_its_tool() {
    let script = r#"
[[reply]]
[[reply.tool_calls]]
name = "edit_file"
input = { path = "a.txt", old_string = "one", new_string = "uno" }
[[reply.tool_calls]]
name = "shell"
input = { command = "printf made-by-shell > b.txt" }

[[reply]]
text = "done"
"#;
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
    let checkpoints =
        Checkpoints::open(state.path(), dir.path(), CheckpointOptions::default()).unwrap();
    let log = ChangeLog::open(&ChangeLog::path_for(checkpoints.shadow_dir())).unwrap();
    let (tracker, _events) = Tracker::start(
        Arc::new(checkpoints),
        log,
        TrackerOptions {
            watch: false,
            ..TrackerOptions::default()
        },
    );
    let (_server, mut h) = session_with(
        script,
        dir.path(),
        ApprovalMode::FullAuto,
        false,
        Permissions::default(),
        |c| c.tracker = Some(tracker.clone()),
    )
    .await;
    h.ops.send(Op::UserMessage("edit".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    // The session waits for its checkpoints before reporting the task done.
    let attributions = tracker.attributions();
    let find = |path: &str| {
        attributions
            .iter()
            .find(|a| a.paths.iter().any(|p| p == Path::new(path)))
            .unwrap_or_else(|| panic!("{path} attributed: {attributions:?}"))
    };
    let a = find("a.txt");
    assert_eq!(
        (a.pane.as_str(), a.turn, a.tool.as_deref()),
        ("chat", 1, Some("edit_file"))
    );
    let b = find("b.txt");
    assert_eq!(b.pane, "chat");
    assert_eq!(
        b.tool.as_deref(),
        Some("shell: printf made-by-shell > b.txt")
    );
    assert!(!a.external && !b.external);
}

/// A meter over a fresh ledger whose daily token budget is `limit`.
fn meter_with_token_budget(state: &Path, limit: u64) -> Arc<Meter> {
    Meter::open(
        state,
        "test-session",
        PriceTable::new(&Default::default()),
        BudgetConfig {
            daily_tokens: Some(limit),
            ..BudgetConfig::default()
        },
    )
}

const TWO_CALLS: &str = r#"
[[reply]]
[[reply.tool_calls]]
name = "list_dir"
input = { path = "." }

[[reply]]
text = "done"
"#;

#[tokio::test]
async fn a_spent_budget_pauses_run_before_its_next_call_until_the_user_says_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // The first call's tokens spend the whole budget.
    let meter = meter_with_token_budget(state.path(), 1);
    let (server, mut h) = session_with(
        TWO_CALLS,
        dir.path(),
        ApprovalMode::FullAuto,
        true,
        Permissions::default(),
        |c| {
            c.pane = Pane::Run;
            c.meter = Some(meter.clone());
        },
    )
    .await;
    h.ops.send(Op::UserMessage("look".into())).unwrap();
    let paused = loop {
        let event = tokio::time::timeout(Duration::from_secs(20), h.events.recv())
            .await
            .expect("the session answers")
            .expect("the session is alive");
        assert!(
            !matches!(event, Event::TaskComplete { .. }),
            "the task must not end while the budget is spent"
        );
        if let Event::BudgetPaused { message } = event {
            break message;
        }
    };
    assert!(paused.contains("daily_tokens"), "{paused}");
    // Paused before the second call, not after it; nothing is lost.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.requests().len(), 1);
    assert_eq!(meter.session_totals().calls, 1);
    h.ops.send(Op::BudgetDecision { proceed: true }).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert!(events.contains(&Event::BudgetResumed));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(meter.session_totals().calls, 2);
    meter.flush();
    assert_eq!(
        meter.snapshot().today.calls,
        2,
        "both calls are in the ledger"
    );
}

#[tokio::test]
async fn raising_the_budget_lets_a_paused_run_go_on_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let meter = meter_with_token_budget(state.path(), 1);
    let (server, mut h) = session_with(
        TWO_CALLS,
        dir.path(),
        ApprovalMode::FullAuto,
        true,
        Permissions::default(),
        |c| {
            c.pane = Pane::Run;
            c.meter = Some(meter.clone());
        },
    )
    .await;
    h.ops.send(Op::UserMessage("look".into())).unwrap();
    loop {
        let event = h.events.recv().await.expect("the session is alive");
        if matches!(event, Event::BudgetPaused { .. }) {
            break;
        }
    }
    meter.set_budget(BudgetConfig {
        daily_tokens: Some(10_000_000),
        ..BudgetConfig::default()
    });
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn headless_stops_with_the_budget_status_when_the_budget_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let meter = meter_with_token_budget(state.path(), 1);
    let (server, mut h) = session_with(
        TWO_CALLS,
        dir.path(),
        ApprovalMode::FullAuto,
        false,
        Permissions::default(),
        |c| c.meter = Some(meter.clone()),
    )
    .await;
    h.ops.send(Op::UserMessage("look".into())).unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Budget);
    assert_eq!(server.requests().len(), 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Error { message } if message.contains("budget spent")))
    );
}

#[tokio::test]
async fn a_task_with_a_completion_check_goes_on_until_the_check_passes() {
    let script = r#"
[[reply]]
text = "I think it is done."

[[reply]]
[[reply.tool_calls]]
name = "write_file"
input = { path = "fixed.txt", content = "ok\n" }

[[reply]]
text = "Now it is really done."
"#;
    let dir = tempfile::tempdir().unwrap();
    let (server, mut h) = session(script, dir.path(), ApprovalMode::FullAuto, true).await;
    h.ops
        .send(Op::TaskUntil {
            text: "make the check pass".into(),
            until: "test -f fixed.txt".into(),
        })
        .unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    let checks: Vec<bool> = events
        .iter()
        .filter_map(|e| match e {
            Event::CheckResult { passed, .. } => Some(*passed),
            _ => None,
        })
        .collect();
    assert_eq!(checks, vec![false, true], "failed once, then passed");
    assert_eq!(server.requests().len(), 3);
    let second = serde_json::to_string(&server.requests()[1].body).unwrap();
    assert!(
        second.contains("completion check `test -f fixed.txt` failed"),
        "the failure went back to the agent: {second}"
    );
    assert!(dir.path().join("fixed.txt").exists());
}

#[tokio::test]
async fn a_check_that_never_passes_stops_at_max_turns() {
    let script = "[[reply]]\ntext = \"done?\"\n".repeat(12);
    let dir = tempfile::tempdir().unwrap();
    let (server, mut h) = session(&script, dir.path(), ApprovalMode::FullAuto, true).await;
    h.ops
        .send(Op::TaskUntil {
            text: "try".into(),
            until: "exit 3".into(),
        })
        .unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::MaxTurns);
    // session() allows 10 model calls; every one was followed by a check.
    assert_eq!(server.requests().len(), 10);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::CheckResult {
            passed: false,
            exit_code: Some(3),
            ..
        }
    )));
}

#[tokio::test]
async fn a_restored_conversation_is_continued_with_the_provider() {
    use tandem::provider::{AssistantPart, Message};
    let dir = tempfile::tempdir().unwrap();
    let (server, mut h) = session(
        "[[reply]]\ntext = \"Still Ada.\"\n",
        dir.path(),
        ApprovalMode::Suggest,
        true,
    )
    .await;
    h.ops
        .send(Op::RestoreHistory(vec![
            Message::User {
                text: "My name is Ada.".into(),
            },
            Message::Assistant {
                parts: vec![AssistantPart::Text {
                    text: "Hello Ada.".into(),
                }],
            },
        ]))
        .unwrap();
    h.ops
        .send(Op::UserMessage("What is my name?".into()))
        .unwrap();
    let events = until_done(&mut h).await;
    assert_eq!(status(&events), TaskStatus::Ok);
    let sent = serde_json::to_string(&server.requests()[0].body).unwrap();
    let (ada, hello, ask) = (
        sent.find("My name is Ada.").expect("the old turn is sent"),
        sent.find("Hello Ada.").expect("with its answer"),
        sent.find("What is my name?").expect("and the new question"),
    );
    assert!(ada < hello && hello < ask, "in order: {sent}");
}

#[tokio::test]
async fn a_full_context_is_compacted_before_the_next_call() {
    let script = r#"
[[reply]]
text = "Answer one."
usage = { input = 950, output = 10 }

[[reply]]
text = "Answer two."
usage = { input = 960, output = 10 }

[[reply]]
text = "Goal: answer three questions. Decisions: none. Files touched: none. Open items: question three."

[[reply]]
text = "Answer three."
"#;
    let dir = tempfile::tempdir().unwrap();
    let (server, mut h) = session_with(
        script,
        dir.path(),
        ApprovalMode::Suggest,
        true,
        Permissions::default(),
        |c| c.context_window = Some(1000),
    )
    .await;
    let mut events = Vec::new();
    for question in ["first question", "second question", "third question"] {
        h.ops.send(Op::UserMessage(question.into())).unwrap();
        events.extend(until_done(&mut h).await);
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Compacted { summarised: 2, .. })),
        "the first turn was summarised: {events:?}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let summary_request = serde_json::to_string(&requests[2].body).unwrap();
    assert!(
        summary_request.contains("first question"),
        "{summary_request}"
    );
    let last = serde_json::to_string(&requests[3].body).unwrap();
    assert!(
        last.contains("Goal: answer three questions")
            && !last.contains("first question")
            && last.contains("second question")
            && last.contains("third question"),
        "the old turn is replaced by its summary, the recent ones kept: {last}"
    );
}
