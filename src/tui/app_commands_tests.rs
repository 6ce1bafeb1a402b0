//! Slash commands through the whole app: custom commands found in real
//! files, typed into a composer, sent to a pane's session as ops, listed by
//! `/help`; and the lists `/rewind` and `/runs` open, whose choices run the
//! same commands.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::super::app::{App, Effect, Overlay, PaneSlot, TaskRecord};
use super::super::theme::{ColorDepth, Theme};
use super::super::view;
use crate::agent::{Event, Op, Pane};
use crate::config::commands::discover;
use crate::exec::ApprovalMode;

/// An app whose two panes have sessions (their op receivers returned), and
/// the custom commands of a project holding `files` under
/// `.tandem/commands/`.
fn app_with(files: &[(&str, &str)]) -> (App, [UnboundedReceiver<Op>; 2]) {
    let repo = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = repo.path().join(".tandem/commands").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let config = tempfile::tempdir().unwrap();
    let slot = |pane| {
        let (tx, rx) = unbounded_channel();
        let mut slot = PaneSlot::new(pane, "p".into(), "base-model".into(), ApprovalMode::Suggest);
        slot.ops = Some(tx);
        (slot, rx)
    };
    let (chat, chat_rx) = slot(Pane::Chat);
    let (run, run_rx) = slot(Pane::Run);
    let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
    let mut app = App::new(chat, run, theme);
    app.set_custom_commands(discover(repo.path(), config.path(), None, &["help"]));
    (app, [chat_rx, run_rx])
}

fn type_line(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
}

/// The frame, wide enough that no notice wraps.
fn screen(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(400, 120)).unwrap();
    terminal.draw(|f| view::draw(app, f)).unwrap();
    terminal.backend().to_string()
}

fn ops(rx: &mut UnboundedReceiver<Op>) -> Vec<Op> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

const GREET: &str =
    "---\ndescription: Greet someone\nargument-hint: [name]\n---\nSay hello to $1 ($ARGUMENTS).\n";

#[test]
fn a_custom_command_sends_its_prompt_to_the_focused_pane() {
    let (mut app, [mut chat, mut run]) = app_with(&[("greet.md", GREET)]);
    type_line(&mut app, "/greet \"Ada L\" now");
    assert_eq!(
        ops(&mut chat),
        [Op::UserMessage(
            "Say hello to Ada L (\"Ada L\" now).\n".into()
        )]
    );
    assert!(ops(&mut run).is_empty());
    let text = screen(&mut app);
    assert!(
        text.contains("/greet \"Ada L\" now · project command"),
        "{text}"
    );
    // The same from the Run pane goes to Run.
    app.focus = 1;
    type_line(&mut app, "/greet Bob");
    assert_eq!(
        ops(&mut run),
        [Op::UserMessage("Say hello to Bob (Bob).\n".into())]
    );
}

#[test]
fn pane_and_model_of_the_file_decide_where_and_on_what_it_runs() {
    let (mut app, [mut chat, mut run]) = app_with(&[(
        "ci/fix.md",
        "---\npane: run\nmodel: big-model\n---\nMake CI green.\n",
    )]);
    assert_eq!(app.focus, 0);
    type_line(&mut app, "/ci:fix the lint job");
    assert!(ops(&mut chat).is_empty());
    assert_eq!(
        ops(&mut run),
        [Op::UserMessageWithModel {
            text: "Make CI green.\n\nARGUMENTS: the lint job".into(),
            model: "big-model".into(),
        }]
    );
    assert_eq!(app.focus, 1, "the command's pane gets the focus");
    assert!(
        screen(&mut app)
            .contains("/ci:fix the lint job · project command · model big-model for this task")
    );
}

#[test]
fn help_lists_custom_commands_and_bad_files_are_reported_in_chat() {
    let (mut app, [mut chat, _run]) = app_with(&[
        ("greet.md", GREET),
        ("help.md", "my own help"),
        ("odd.md", "---\npane: middle\n---\nx"),
    ]);
    let text = screen(&mut app);
    assert!(
        text.contains("/help is a built-in command; rename the file"),
        "{text}"
    );
    assert!(
        text.contains("`pane: middle` is not a pane: use chat or run"),
        "{text}"
    );
    app.overlay = Some(Overlay::Help);
    let text = screen(&mut app);
    assert!(text.contains("/greet [name]"), "{text}");
    assert!(text.contains("Greet someone"), "{text}");
    // The built-in still runs; unknown names stay unknown.
    app.overlay = None;
    type_line(&mut app, "/help");
    assert_eq!(app.overlay, Some(Overlay::Help));
    app.overlay = None;
    type_line(&mut app, "/odd x");
    assert_eq!(ops(&mut chat), [Op::UserMessage("/odd x".into())]);
}

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    app.on_key(KeyEvent::new(code, modifiers));
}

#[test]
fn rewind_lists_the_tasks_and_a_choice_rewinds_the_conversation_or_the_files_too() {
    let (mut app, [mut chat_rx, _]) = app_with(&[]);
    app.panes[0].task_log = vec![
        TaskRecord {
            number: 1,
            prompt: "add the parser".into(),
            checkpoint: Some("c0ffee".into()),
        },
        TaskRecord {
            number: 2,
            prompt: "rename things".into(),
            checkpoint: None,
        },
    ];
    type_line(&mut app, "/rewind");
    assert_eq!(app.overlay, Some(Overlay::Picker));
    let text = screen(&mut app);
    assert!(
        text.contains("› 2     rename things"),
        "the newest is selected:\n{text}"
    );
    assert!(text.contains("Ctrl-F also restores the files"), "{text}");
    // Task 2 has no checkpoint: Ctrl-F does nothing there.
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(app.overlay, Some(Overlay::Picker));
    press(&mut app, KeyCode::Up, KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(app.overlay, None);
    assert!(app.take_effects().contains(&Effect::PlanRewind {
        pane: 0,
        task: 1,
        checkpoint: "c0ffee".into(),
    }));
    // Enter: the conversation only.
    type_line(&mut app, "/rewind");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(ops(&mut chat_rx), vec![Op::Rewind { before_task: 2 }]);
    assert_eq!(app.panes[0].task_log.len(), 1);
}

#[test]
fn runs_lists_main_and_every_run_and_enter_shows_one() {
    let (mut app, _) = app_with(&[]);
    type_line(&mut app, "/runs");
    assert_eq!(app.overlay, None, "no runs: a notice, not an empty list");
    type_line(&mut app, "/run --worktree make a marker");
    type_line(&mut app, "/runs");
    let text = screen(&mut app);
    assert!(text.contains("the Run pane's own session"), "{text}");
    assert!(text.contains("#1    starting"), "{text}");
    assert!(text.contains("make a marker"), "{text}");
    // Ctrl-D on a run still working: refused with the reason.
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert!(!app.viewer_focused);
    assert!(
        app.panes[0]
            .history
            .last_notice_text()
            .unwrap()
            .contains("run #1 is starting")
    );
    type_line(&mut app, "/runs");
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!((app.shown_run, app.focus), (Some(0), 1));
    // The list opens on the run shown; "main" goes back.
    type_line(&mut app, "/runs");
    press(&mut app, KeyCode::Up, KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.shown_run, None);
}

/// The text of the Run task an op starts.
fn task_text(op: &Op) -> String {
    match op {
        Op::UserMessage(text) | Op::TaskUntil { text, .. } => text.clone(),
        other => panic!("not a task: {other:?}"),
    }
}

/// Chat's notices, as owned strings.
fn chat(app: &App) -> Vec<String> {
    app.panes[0]
        .history
        .notice_texts()
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn run_task(app: &mut App, text: &str, status: crate::agent::TaskStatus) {
    app.on_session_event(1, &Event::TaskStarted { text: text.into() });
    app.on_session_event(
        1,
        &Event::TaskComplete {
            status,
            turns: 1,
            total: Default::default(),
            last_message: None,
        },
    );
}

#[test]
fn each_handoff_has_its_own_cell_that_follows_its_own_run_task() {
    use crate::agent::TaskStatus;
    let (mut app, [_, mut run_rx]) = app_with(&[]);
    // Run is busy with the user's own task while Chat hands over two plans.
    app.on_session_event(
        1,
        &Event::TaskStarted {
            text: "my own".into(),
        },
    );
    app.on_session_event(
        0,
        &Event::AssistantMessage {
            text: "Plan A.".into(),
        },
    );
    app.command("handoff", "");
    app.on_session_event(
        0,
        &Event::AssistantMessage {
            text: "Plan B.".into(),
        },
    );
    app.command("handoff", "");
    let sent: Vec<String> = ops(&mut run_rx).iter().map(task_text).collect();
    assert_eq!(sent.len(), 2);
    // The user's task ends: neither handed-over task is reported as done.
    app.on_session_event(
        1,
        &Event::TaskComplete {
            status: TaskStatus::Ok,
            turns: 1,
            total: Default::default(),
            last_message: None,
        },
    );
    let cells = chat(&app);
    assert!(
        cells.iter().filter(|c| c.contains("· queued")).count() == 2,
        "{cells:?}"
    );
    // Plan A runs: its cell follows it, B's still waits.
    app.on_session_event(
        1,
        &Event::TaskStarted {
            text: sent[0].clone(),
        },
    );
    let cells = chat(&app);
    assert!(
        cells
            .iter()
            .any(|c| c.contains("Plan A.") && c.contains("Run is working")),
        "{cells:?}"
    );
    assert!(
        cells
            .iter()
            .any(|c| c.contains("Plan B.") && c.ends_with("· queued"))
    );
    app.on_session_event(
        1,
        &Event::TaskComplete {
            status: TaskStatus::Ok,
            turns: 1,
            total: Default::default(),
            last_message: None,
        },
    );
    run_task(&mut app, &sent[1], TaskStatus::Interrupted);
    let cells = chat(&app);
    assert!(
        cells
            .iter()
            .any(|c| c.contains("Plan A.") && c.contains("Run finished the handed-over task")),
        "{cells:?}"
    );
    assert!(
        cells.iter().any(|c| c.contains("Plan B.")
            && c.contains("the handed-over task")
            && !c.contains("finished")),
        "{cells:?}"
    );
    assert!(app.handoffs.is_empty());
}

#[test]
fn opening_the_command_list_reads_the_command_files_again_and_old_problems_stay_told_once() {
    let (mut app, _) = app_with(&[("help.md", "My own help.\n")]);
    let problems = |app: &App| {
        app.panes[0]
            .history
            .notice_texts()
            .iter()
            .filter(|n| n.contains("help.md"))
            .count()
    };
    assert_eq!(problems(&app), 1, "the clash with /help is told at start");
    app.take_effects();
    app.on_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE));
    assert!(app.take_effects().contains(&Effect::RereadCommands));
    // Typing on, or opening the list again at once, reads nothing more.
    app.on_key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
    assert!(!app.take_effects().contains(&Effect::RereadCommands));
    // The same problem read again is not told again.
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path().join(".tandem/commands");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("help.md"), "My own help.\n").unwrap();
    std::fs::write(dir.join("fresh.md"), "Say hi.\n").unwrap();
    let config = tempfile::tempdir().unwrap();
    let read = || discover(repo.path(), config.path(), None, &["help"]);
    assert_eq!(read().issues.len(), 1);
    app.set_custom_commands(read());
    assert!(
        app.commands.custom("fresh").is_some(),
        "the new command is there"
    );
    let told = problems(&app);
    app.set_custom_commands(read());
    assert_eq!(problems(&app), told, "the same clash is not told twice");
}
