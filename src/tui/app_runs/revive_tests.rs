//! Telling a worktree run to go on, through the app as the user drives it:
//! `/runs N`, then a message typed into the Run pane.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::RunState;
use crate::agent::{Event, Op, Pane, TaskStatus};
use crate::exec::ApprovalMode;
use crate::provider::{AssistantPart, Message};
use crate::store::{RecordedRun, RunMark, RunStart};
use crate::tui::app::{App, Effect, PaneSlot};
use crate::tui::resume::ResumedRun;
use crate::tui::theme::{ColorDepth, Theme};

/// An app whose Run pane has its own session (its ops returned).
fn app() -> (App, UnboundedReceiver<Op>) {
    let slot = |pane| PaneSlot::new(pane, "p".into(), "m".into(), ApprovalMode::FullAuto);
    let (tx, rx) = unbounded_channel();
    let mut run = slot(Pane::Run);
    run.ops = Some(tx);
    let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
    (App::new(slot(Pane::Chat), run, theme), rx)
}

/// The conversation a saved run had.
fn conversation() -> Vec<Message> {
    vec![
        Message::User {
            text: "make a marker".into(),
        },
        Message::Assistant {
            parts: vec![AssistantPart::Text {
                text: "Marker done.".into(),
            }],
        },
    ]
}

/// Restores a saved run as a resume does, in `state`; returns its number.
fn restored(app: &mut App, state: RunState) -> usize {
    let run = ResumedRun {
        recorded: RecordedRun {
            start: RunStart {
                number: 1,
                task: "make a marker".into(),
                branch: "tandem/run-1".into(),
                worktree: "/nowhere".into(),
                base: "abc".into(),
            },
            mark: Some(RunMark::Finished(TaskStatus::Ok)),
        },
        messages: conversation(),
        worktree: None,
        files: vec!["marker.txt".into()],
        tool_summaries: Default::default(),
    };
    app.restore_run(&run, state)
}

/// Shows run `number` in the Run pane and types `text` into it, Enter.
fn tell(app: &mut App, number: usize, text: &str) {
    app.runs_command(&number.to_string());
    for c in text.chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
}

fn complete(app: &mut App, number: usize) {
    app.on_run_event(
        number,
        &Event::TaskComplete {
            status: TaskStatus::Ok,
            turns: 1,
            total: Default::default(),
            last_message: None,
        },
    );
}

fn last_notice(app: &App, number: usize) -> String {
    app.runs[number - 1]
        .slot
        .history
        .last_notice_text()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_message_to_a_restored_finished_run_starts_a_session_with_its_history() {
    let (mut app, mut run_rx) = app();
    let number = restored(&mut app, RunState::Finished(TaskStatus::Ok));
    tell(&mut app, number, "now also add a flag");
    assert_eq!(
        app.take_effects(),
        [Effect::ReviveRun {
            number,
            messages: vec!["now also add a flag".into()],
        }]
    );
    // The new session starts from the conversation the resume loaded.
    assert_eq!(app.runs[0].history, conversation());
    assert_eq!(app.runs[0].state, RunState::Starting);
    assert!(
        run_rx.try_recv().is_err(),
        "the Run pane's own session got nothing"
    );
    let (tx, mut rx) = unbounded_channel();
    app.on_run_revived(number, Ok(tx));
    assert_eq!(app.runs[0].state, RunState::Running);
    // Its task ends: committed again, finished.
    complete(&mut app, number);
    assert_eq!(app.take_effects(), [Effect::FinishRun { number }]);
    assert_eq!(app.runs[0].state, RunState::Finished(TaskStatus::Ok));
    // Told again, it goes on in the session it has now.
    tell(&mut app, number, "and a test");
    assert_eq!(rx.try_recv().unwrap(), Op::UserMessage("and a test".into()));
    assert_eq!(app.runs[0].state, RunState::Running);
    assert!(app.take_effects().is_empty());
}

#[test]
fn an_interrupted_run_whose_session_cannot_start_is_kept_as_it_was() {
    let (mut app, _run_rx) = app();
    let number = restored(&mut app, RunState::Interrupted);
    tell(&mut app, number, "finish it");
    assert!(matches!(
        &app.take_effects()[..],
        [Effect::ReviveRun { .. }]
    ));
    app.on_run_revived(number, Err("no API key".into()));
    assert_eq!(app.runs[0].state, RunState::Interrupted);
    let said = last_notice(&app, number);
    assert!(said.contains("could not go on"), "{said}");
    assert!(said.contains("no API key"), "{said}");
    assert!(said.contains("/runs 1 diff, merge or discard"), "{said}");
}

#[test]
fn gone_merged_and_discarded_runs_refuse_and_say_what_to_do() {
    let (mut app, _run_rx) = app();
    let gone = restored(
        &mut app,
        RunState::Gone("the worktree is gone; git branch -D tandem/run-1".into()),
    );
    let merged = restored(&mut app, RunState::Merged);
    let discarded = restored(&mut app, RunState::Discarded);
    for (number, why) in [
        (gone, "the worktree is gone"),
        (merged, "was merged"),
        (discarded, "was discarded"),
    ] {
        tell(&mut app, number, "go on");
        let said = last_notice(&app, number);
        assert!(said.contains(why), "{said}");
        assert!(said.contains("/run --worktree TASK"), "{said}");
        assert!(app.runs[number - 1].waiting.is_empty());
    }
    assert!(app.take_effects().is_empty());
    assert_eq!(
        app.runs[0].state,
        RunState::Gone("the worktree is gone; git branch -D tandem/run-1".into())
    );
}

#[test]
fn at_the_parallel_limit_a_run_told_to_go_on_waits_its_turn() {
    let (mut app, _run_rx) = app();
    app.max_parallel_runs = 1;
    app.run_command("--worktree a long task");
    assert!(matches!(
        &app.take_effects()[..],
        [Effect::StartRun { number: 1, .. }]
    ));
    app.on_run_started(1, Ok("tandem/run-a".into()));
    let number = restored(&mut app, RunState::Finished(TaskStatus::Ok));
    tell(&mut app, number, "now also add a flag");
    assert!(app.take_effects().is_empty(), "no slot free yet");
    assert_eq!(app.runs[1].state, RunState::Queued);
    let said = last_notice(&app, number);
    assert!(said.contains("waits for a free slot"), "{said}");
    assert!(
        said.contains("your message is sent when it goes on"),
        "{said}"
    );
    tell(&mut app, number, "and a test");
    // Run 1 ends: its slot goes to run 2, with both messages.
    complete(&mut app, 1);
    assert_eq!(
        app.take_effects(),
        [
            Effect::FinishRun { number: 1 },
            Effect::ReviveRun {
                number,
                messages: vec!["now also add a flag".into(), "and a test".into()],
            }
        ]
    );
    assert_eq!(
        app.runs[1].slot.queued, 1,
        "the second waits behind the first"
    );
}

#[test]
fn a_run_started_here_takes_a_message_after_its_task_and_revives_if_its_session_ended() {
    let (mut app, _run_rx) = app();
    app.run_command("--worktree make a marker");
    app.take_effects();
    app.on_run_started(1, Ok("tandem/run-a".into()));
    let (tx, mut rx) = unbounded_channel();
    app.runs[0].slot.ops = Some(tx);
    // Told while it works: it takes it when the task ends.
    tell(&mut app, 1, "then a second marker");
    assert!(last_notice(&app, 1).contains("when its current task ends"));
    assert!(rx.try_recv().is_err());
    complete(&mut app, 1);
    assert_eq!(app.take_effects(), [Effect::FinishRun { number: 1 }]);
    assert_eq!(
        rx.try_recv().unwrap(),
        Op::UserMessage("then a second marker".into())
    );
    assert_eq!(app.runs[0].state, RunState::Running);
    complete(&mut app, 1);
    app.take_effects();
    // Its session is gone: a new one is asked for.
    drop(rx);
    tell(&mut app, 1, "a third");
    assert_eq!(
        app.take_effects(),
        [Effect::ReviveRun {
            number: 1,
            messages: vec!["a third".into()],
        }]
    );
    assert!(app.runs[0].slot.ops.is_none());
}
