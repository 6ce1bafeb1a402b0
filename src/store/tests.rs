//! Transcripts written and read back through real files in temp dirs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::agent::Event;
use crate::provider::{AssistantPart, Message, ToolCall};

fn tool_call_message(id: &str) -> Message {
    Message::Assistant {
        parts: vec![
            AssistantPart::Text {
                text: "Let me look.\nTwo lines.".into(),
            },
            AssistantPart::ToolCall(ToolCall {
                id: id.into(),
                name: "read".into(),
                arguments: r#"{"path":"src/main.rs"}"#.into(),
            }),
        ],
    }
}

fn session(dir: &Path, id: &str) -> Arc<Transcript> {
    Transcript::create(&dir.join("state"), id, Path::new("/work/project")).unwrap()
}

#[test]
fn both_panes_round_trip_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "s-1");
    t.user_prompt("chat", "fix the bug");
    t.message(
        "chat",
        &Message::User {
            text: "fix the bug".into(),
        },
    );
    t.event("chat", &Event::TextDelta("Let".into()));
    t.user_prompt("run", "run the tests");
    t.message(
        "run",
        &Message::User {
            text: "run the tests".into(),
        },
    );
    t.event("chat", &Event::TextDelta(" me look.".into()));
    t.message("chat", &tool_call_message("c1"));
    t.event(
        "run",
        &Event::ToolResult {
            id: "c2".into(),
            name: "shell".into(),
            ok: false,
            output: "line 1\nline 2\n\"quoted\"".into(),
            exit_code: Some(1),
            duration: Duration::from_millis(20),
        },
    );
    t.message(
        "chat",
        &Message::ToolResult {
            call_id: "c1".into(),
            output: "fn main() {}".into(),
            is_error: false,
        },
    );
    t.turn_boundary();
    t.close();
    assert_eq!(t.problem(), None);

    let loaded = load(t.path()).unwrap();
    assert_eq!(loaded.header.id, "s-1");
    assert_eq!(loaded.header.version, FORMAT_VERSION);
    assert_eq!(loaded.header.workspace, Path::new("/work/project"));
    assert!(loaded.ended.is_some());
    assert!(!loaded.skipped_tail);
    let chat = &loaded.panes["chat"];
    assert_eq!(
        chat.messages,
        [
            Message::User {
                text: "fix the bug".into()
            },
            tool_call_message("c1"),
            Message::ToolResult {
                call_id: "c1".into(),
                output: "fn main() {}".into(),
                is_error: false,
            },
        ]
    );
    assert_eq!(chat.prompts, ["fix the bug"]);
    let deltas: Vec<_> = chat
        .events
        .iter()
        .map(|e| e.event["data"].clone())
        .collect();
    assert_eq!(deltas, ["Let", " me look."]);
    let run = &loaded.panes["run"];
    assert_eq!(
        run.messages,
        [Message::User {
            text: "run the tests".into()
        }]
    );
    assert_eq!(run.events.len(), 1);
    assert_eq!(run.events[0].event["type"], "tool_result");
    assert_eq!(
        run.events[0].event["data"]["output"],
        "line 1\nline 2\n\"quoted\""
    );
    // One record per line: the newlines inside the output are escaped.
    let lines = std::fs::read_to_string(t.path()).unwrap().lines().count();
    // Header, 2 prompts, 4 messages, 3 events, end.
    assert_eq!(lines, 1 + 2 + 4 + 3 + 1);
}

#[test]
fn a_truncated_last_line_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "cut");
    t.message("chat", &Message::User { text: "one".into() });
    t.message("chat", &Message::User { text: "two".into() });
    t.turn_boundary();
    let text = std::fs::read_to_string(t.path()).unwrap();
    let cut = text.len() - 10;
    std::fs::write(t.path(), &text[..cut]).unwrap();

    let loaded = load(t.path()).unwrap();
    assert!(loaded.skipped_tail);
    assert_eq!(
        loaded.panes["chat"].messages,
        [Message::User { text: "one".into() }]
    );

    // A garbage last line (complete, but not JSON) is left out the same way.
    std::fs::write(
        t.path(),
        format!("{}\u{0}\u{1}garbage\n", &text[..cut - 40]),
    )
    .unwrap();
    assert!(load(t.path()).unwrap().skipped_tail);
}

#[test]
fn a_malformed_middle_line_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "bad");
    for text in ["a", "b", "c"] {
        t.message("run", &Message::User { text: text.into() });
    }
    t.close();
    let mut lines: Vec<String> = std::fs::read_to_string(t.path())
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = r#"{"kind":"message","pane":"run","message":{"role":"nobody"}}"#.into();
    std::fs::write(t.path(), lines.join("\n") + "\n").unwrap();
    let err = load(t.path()).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::Malformed { line: 3, .. }),
        "{text}"
    );
    assert!(text.contains("line 3"), "{text}");
    assert!(text.contains("move it aside"), "{text}");
}

#[test]
fn a_file_that_is_not_a_transcript_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(
        &path,
        "{\"kind\":\"event\",\"pane\":\"chat\",\"event\":{}}\n",
    )
    .unwrap();
    let err = load(&path).unwrap_err();
    assert!(err.to_string().contains("not a tandem transcript"), "{err}");
    std::fs::write(&path, "").unwrap();
    assert!(load(&path).unwrap_err().to_string().contains("empty"));
    let err = load(&dir.path().join("missing.jsonl")).unwrap_err();
    assert!(
        err.to_string().contains("cannot read the transcript"),
        "{err}"
    );
}

#[test]
fn ids_that_are_not_file_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["", "../escape", "a/b", ".hidden"] {
        let err = Transcript::create(dir.path(), id, dir.path()).err();
        assert!(matches!(err, Some(StoreError::BadId(_))), "{id:?}");
    }
    assert!(!dir.path().join("escape.jsonl").exists());
}

#[test]
fn a_deleted_directory_is_a_problem_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "gone");
    t.message("chat", &Message::User { text: "hi".into() });
    assert_eq!(t.problem(), None);
    std::fs::remove_dir_all(sessions_dir(&dir.path().join("state"))).unwrap();
    t.event("chat", &Event::TextDelta("more".into()));
    t.turn_boundary();
    let problem = t.problem().expect("the failed write is reported");
    assert!(problem.contains("gone.jsonl"), "{problem}");
    assert!(problem.contains("deleted"), "{problem}");
    // Recording goes on without panicking; close still marks the index.
    t.message(
        "chat",
        &Message::User {
            text: "again".into(),
        },
    );
    t.close();
    assert!(t.problem().is_some());
    let listed = index::list(&dir.path().join("state")).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].ended);
}

#[test]
fn the_index_lists_sessions_newest_first_with_their_first_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let older = Transcript::create(&state, "older", Path::new("/a")).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let newer = Transcript::create(&state, "newer", Path::new("/b")).unwrap();
    older.user_prompt("chat", "first question");
    older.user_prompt("chat", "second question");
    older.close();
    let listed = index::list(&state).unwrap();
    let ids: Vec<_> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["newer", "older"]);
    assert_eq!(listed[1].first_prompt.as_deref(), Some("first question"));
    assert!(listed[1].ended);
    assert!(!listed[0].ended);
    assert_eq!(listed[0].workspace, Path::new("/b"));
    assert_eq!(listed[0].path, newer.path());
    assert!(listed[1].updated >= listed[1].started);
}

#[test]
fn a_second_transcript_with_the_same_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = session(dir.path(), "twice");
    let err = Transcript::create(&dir.path().join("state"), "twice", dir.path()).err();
    assert!(
        matches!(err, Some(StoreError::Io { .. })),
        "the existing transcript was overwritten"
    );
}

#[test]
fn the_table_shortens_long_prompts_to_one_line() {
    let info = SessionInfo {
        id: "abc".into(),
        started: 0,
        updated: 0,
        workspace: "/w".into(),
        first_prompt: Some(format!("fix\nthe {}", "very ".repeat(20))),
        ended: true,
        path: "/s/abc.jsonl".into(),
        calls: 2,
        cost_usd: 0.5,
        unpriced_calls: 0,
    };
    let table = command::table(&[info]);
    let row = table.lines().nth(1).unwrap();
    assert!(row.contains("fix the very"), "{row}");
    assert!(row.contains('…'), "{row}");
    assert!(row.contains("$0.50"), "{row}");
    assert!(row.ends_with("abc"), "{row}");
}

#[test]
fn a_replaced_history_restarts_the_messages_a_resume_gets() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "s-history");
    let user = |text: &str| Message::User { text: text.into() };
    t.message("chat", &user("old one"));
    t.message("chat", &user("old two"));
    t.history("chat", &[user("summary of the old turns")]);
    t.message("chat", &user("new"));
    t.message("run", &user("run's own"));
    t.close();
    let loaded = load(t.path()).unwrap();
    assert_eq!(
        loaded.panes["chat"].messages,
        vec![user("summary of the old turns"), user("new")]
    );
    assert_eq!(loaded.panes["run"].messages, vec![user("run's own")]);
}

fn run_start(number: usize) -> RunStart {
    RunStart {
        number,
        task: format!("task {number}"),
        branch: format!("tandem/run-{number}"),
        worktree: format!("/state/worktrees/{number}").into(),
        base: "a".repeat(40),
    }
}

#[test]
fn worktree_runs_round_trip_apart_from_the_run_pane() {
    use crate::agent::TaskStatus;
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "s-runs");
    let user = |text: &str| Message::User { text: text.into() };
    t.user_prompt("chat", "the chat's question");
    t.message("run", &user("the Run pane's own"));
    t.run_started(&run_start(1));
    t.run_started(&run_start(2));
    // A run's session writes as the Run pane; its handle files it apart.
    let one = t.for_pane(&run_pane(1));
    one.user_prompt("run", "task 1");
    one.message("run", &user("task 1"));
    one.event(
        "run",
        &Event::AssistantMessage {
            text: "done".into(),
        },
    );
    one.history("run", &[user("task 1, compacted")]);
    t.run_marked(1, RunMark::Finished(TaskStatus::Ok));
    t.run_marked(1, RunMark::Merged);
    t.run_marked(2, RunMark::Finished(TaskStatus::MaxTurns));
    // A run's handle does not end the session.
    one.close();
    drop(one);
    t.message("chat", &user("after the run"));
    t.close();

    let loaded = load(t.path()).unwrap();
    assert_eq!(
        loaded.panes["run"].messages,
        vec![user("the Run pane's own")]
    );
    let run_one = &loaded.panes["run#1"];
    assert_eq!(run_one.messages, vec![user("task 1, compacted")]);
    assert_eq!(run_one.prompts, ["task 1"]);
    assert_eq!(run_one.events.len(), 1);
    assert_eq!(loaded.panes["chat"].messages, vec![user("after the run")]);
    assert!(loaded.ended.is_some());
    assert_eq!(
        loaded.runs,
        vec![
            RecordedRun {
                start: run_start(1),
                mark: Some(RunMark::Merged),
            },
            RecordedRun {
                start: run_start(2),
                mark: Some(RunMark::Finished(TaskStatus::MaxTurns)),
            },
        ]
    );
    // The index's first prompt is what the user typed, not a run's task.
    let listed = index::list(&dir.path().join("state")).unwrap();
    assert_eq!(
        listed[0].first_prompt.as_deref(),
        Some("the chat's question")
    );
}

#[test]
fn a_run_still_working_has_no_mark_and_unknown_states_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "s-run-cut");
    t.run_started(&run_start(1));
    t.run_marked(3, RunMark::Discarded);
    t.turn_boundary();
    let mut text = std::fs::read_to_string(t.path()).unwrap();
    text.push_str(r#"{"kind":"run_state","t":1,"number":1,"state":"teleported"}"#);
    text.push('\n');
    text.push_str(r#"{"kind":"event","t":1,"pane":"chat","event":{"type":"x"}}"#);
    text.push('\n');
    std::fs::write(t.path(), text).unwrap();
    let loaded = load(t.path()).unwrap();
    assert_eq!(
        loaded.runs,
        vec![RecordedRun {
            start: run_start(1),
            mark: None,
        }]
    );
    assert!(!loaded.skipped_tail);
}

#[test]
fn a_run_that_went_on_after_finishing_reads_back_as_working() {
    let dir = tempfile::tempdir().unwrap();
    let t = session(dir.path(), "s-run-again");
    t.run_started(&run_start(1));
    t.run_marked(1, RunMark::Finished(crate::agent::TaskStatus::Ok));
    // A follow-up started it again, and the session ended before it did.
    t.run_marked(1, RunMark::Working);
    t.close();
    let loaded = load(t.path()).unwrap();
    assert_eq!(loaded.runs[0].mark, Some(RunMark::Working));
}

#[test]
fn a_transcript_from_before_runs_were_recorded_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.jsonl");
    let lines = [
        r#"{"kind":"session","version":1,"id":"old","workspace":"/w","started":1,"tandem":"0.1.0"}"#,
        r#"{"kind":"prompt","t":2,"pane":"run","text":"go"}"#,
        r#"{"kind":"message","t":2,"pane":"run","message":{"role":"user","text":"go"}}"#,
        r#"{"kind":"end","t":3}"#,
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let loaded = load(&path).unwrap();
    assert!(loaded.runs.is_empty());
    assert_eq!(loaded.panes.keys().collect::<Vec<_>>(), ["run"]);
    assert_eq!(loaded.panes["run"].prompts, ["go"]);
    assert_eq!(loaded.ended, Some(3));
}
