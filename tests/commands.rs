//! Custom slash commands end to end: `tandem exec "/name args"` (the built
//! binary) sends the command's expanded prompt to the model, and a session
//! runs one task on a command's model and then goes back to its own.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tandem::agent::{Event, Op, Session, SessionConfig, SessionHandle};
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpClientConfig, HttpModelClient, Wire};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

const GREET: &str = "---\n\
description: Greet someone\n\
argument-hint: <name>\n\
allowed-tools: Bash(echo:*)\n\
model: claude-haiku-4-5\n\
---\n\
Write a one-line greeting for $1 ($ARGUMENTS).\n";

/// `tandem exec` in `work` with a private home (also `$HOME`), its provider
/// pointed at `server`.
fn exec(home: &Path, work: &Path, server: &MockServer, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TANDEM_HOME", home.join("tandem"))
        .env("HOME", home)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("ANTHROPIC_BASE_URL", server.base_url())
        .args(["exec", "--provider", "anthropic"])
        .args(args)
        .current_dir(work)
        .stdin(Stdio::null());
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The text of the first user message of a recorded request.
fn first_user_text(body: &Value) -> String {
    let content = &body["messages"][0]["content"];
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        other => panic!("unexpected content: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_expands_a_custom_command_and_uses_its_model() {
    let server = MockServer::start(Script::texts(["Hello, Bob!", "Hi, Bob!", "Plain."]))
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(&work.path().join(".tandem/commands/greet.md"), GREET);
    // A user-level Claude Code command of the same name is overridden.
    write(
        &home.path().join(".claude/commands/greet.md"),
        "user-level greet $ARGUMENTS",
    );

    let out = run(exec(home.path(), work.path(), &server, &["/greet Bob"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, Bob!\n\n");
    assert!(
        stderr.contains("custom command /greet from") && stderr.contains("is used instead of"),
        "the overridden user command is mentioned: {stderr}"
    );
    let requests = server.requests();
    assert_eq!(
        first_user_text(&requests[0].body),
        "Write a one-line greeting for Bob (Bob).\n"
    );
    assert_eq!(requests[0].body["model"], "claude-haiku-4-5");

    // `--model` on the command line wins over the file's model.
    let out = run(exec(
        home.path(),
        work.path(),
        &server,
        &["--model", "claude-sonnet-4-5", "/greet \"Bob Smith\""],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0));
    let requests = server.requests();
    assert_eq!(
        first_user_text(&requests[1].body),
        "Write a one-line greeting for Bob Smith (\"Bob Smith\").\n"
    );
    assert_eq!(requests[1].body["model"], "claude-sonnet-4-5");

    // Text that names no command is the task as it is.
    let out = run(exec(
        home.path(),
        work.path(),
        &server,
        &["/usr/bin is slow"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        first_user_text(&server.requests()[2].body),
        "/usr/bin is slow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_refuses_a_command_whose_file_is_broken() {
    let server = MockServer::start(Script::texts(["unused"])).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join(".claude/commands/fix.md");
    write(&file, "---\npane: sideways\n---\nFix it.\n");
    let out = run(exec(home.path(), work.path(), &server, &["/fix now"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("{} is not loaded", file.display()))
            && stderr.contains("`pane: sideways` is not a pane: use chat or run"),
        "{stderr}"
    );
    assert!(server.requests().is_empty(), "nothing reached the model");
}

async fn session(server: &MockServer, workspace: &Path) -> SessionHandle {
    let client = HttpModelClient::new(HttpClientConfig {
        max_retries: 0,
        ..server.client_config(Wire::Anthropic)
    })
    .unwrap();
    Session::spawn(SessionConfig {
        max_turns: 3,
        can_approve: false,
        system_prompt: "test".into(),
        ..SessionConfig::basic(
            Arc::new(client),
            "session-model",
            workspace.canonicalize().unwrap(),
        )
    })
}

/// Waits for `n` task completions.
async fn tasks_done(handle: &mut SessionHandle, mut n: usize) {
    while n > 0 {
        let event = tokio::time::timeout(Duration::from_secs(20), handle.events.recv())
            .await
            .expect("the session answers")
            .expect("the session is alive");
        if matches!(event, Event::TaskComplete { .. }) {
            n -= 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_task_runs_on_the_commands_model_then_the_session_model_is_back() {
    let server = MockServer::start(Script::texts(["one", "two", "three", "four", "five"]))
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut handle = session(&server, work.path()).await;
    // Sent together: the second and third are queued behind the first.
    for op in [
        Op::UserMessageWithModel {
            text: "first".into(),
            model: "command-model".into(),
        },
        Op::UserMessage("second".into()),
        Op::UserMessageWithModel {
            text: "third".into(),
            model: "other-model".into(),
        },
    ] {
        handle.ops.send(op).unwrap();
    }
    tasks_done(&mut handle, 3).await;
    // A model switch during an overridden task stays after it.
    handle
        .ops
        .send(Op::UserMessageWithModel {
            text: "fourth".into(),
            model: "command-model".into(),
        })
        .unwrap();
    handle.ops.send(Op::SetModel("switched".into())).unwrap();
    tasks_done(&mut handle, 1).await;
    handle.ops.send(Op::UserMessage("fifth".into())).unwrap();
    tasks_done(&mut handle, 1).await;
    let models: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.body["model"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        models[..3],
        ["command-model", "session-model", "other-model"]
    );
    assert_eq!(models[4], "switched", "{models:?}");
    let _ = handle.ops.send(Op::Shutdown);
}
