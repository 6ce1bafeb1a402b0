//! A hosted pane through the whole app: a real program in a PTY, keys typed
//! into the app, its screen drawn into a buffer.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::super::app::{App, Effect, PaneSlot};
use super::super::theme::{ColorDepth, Theme};
use super::QUIET;
use crate::agent::Pane;
use crate::exec::ApprovalMode;
use crate::host::{HostCommand, HostEvent, HostOptions, HostedProgram};

const SCRIPT: &str = "trap 'echo got-INT' INT; printf 'ready\\n'; \
    while read line; do [ \"$line\" = quit ] && exit 3; echo \"echo:$line\"; done";

fn theme() -> Theme {
    Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
}

/// An app whose Run pane hosts the test script.
fn hosted_app() -> (App, UnboundedReceiver<HostEvent>) {
    let slot = |pane| PaneSlot::new(pane, "p".into(), "m".into(), ApprovalMode::Suggest);
    let mut app = App::new(slot(Pane::Chat), slot(Pane::Run), theme());
    let (tx, rx) = unbounded_channel();
    let command = HostCommand {
        label: "script".into(),
        program: "sh".into(),
        args: vec!["-c".into(), SCRIPT.into()],
    };
    let opts = HostOptions {
        cwd: std::env::temp_dir(),
        size: (8, 40),
        extra_env: Vec::new(),
        key_vars: Vec::new(),
    };
    app.host_started(
        1,
        "script",
        HostedProgram::spawn(&command, opts, tx).map_err(|e| e.to_string()),
    );
    app.focus = 1;
    (app, rx)
}

fn screen_text(app: &App) -> String {
    let hosted = app.panes[1].hosted.as_ref().unwrap();
    hosted
        .program
        .as_ref()
        .unwrap()
        .with_screen(|s| s.contents())
}

fn wait_text(app: &App, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if screen_text(app).contains(text) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {text:?}:\n{}", screen_text(app));
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn type_line(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
    app.on_key(key(KeyCode::Enter));
}

#[test]
fn keys_and_ctrl_c_go_to_the_program_and_the_prefix_reaches_tandem() {
    let (mut app, _rx) = hosted_app();
    wait_text(&app, "ready");
    type_line(&mut app, "hello");
    wait_text(&app, "echo:hello");
    app.on_key(ctrl('c'));
    wait_text(&app, "got-INT");
    assert!(!app.quit && app.flash.is_none(), "Ctrl-C is the program's");
    // Tab alone goes to the program; after the prefix it is Tandem's.
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.focus, 1);
    app.on_key(ctrl(']'));
    assert!(app.host_prefix_armed);
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.focus, 0);
    // In Chat, keys go to its composer again.
    type_line(&mut app, "");
    app.on_key(key(KeyCode::Char('x')));
    assert_eq!(app.panes[0].composer.text(), "x");
}

#[test]
fn an_exit_is_reported_and_enter_asks_for_a_restart() {
    let (mut app, mut rx) = hosted_app();
    wait_text(&app, "ready");
    type_line(&mut app, "quit");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.panes[1].hosted.as_ref().unwrap().exited.is_none() {
        assert!(Instant::now() < deadline, "no exit event");
        match rx.try_recv() {
            Ok(event) => app.on_host_event(&event),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let exited = app.panes[1]
        .hosted
        .as_ref()
        .unwrap()
        .exited
        .clone()
        .unwrap();
    assert_eq!(
        exited,
        "script exited with code 3 — Enter restarts it, Ctrl-] then Tab to leave"
    );
    app.take_effects();
    app.on_key(key(KeyCode::Enter));
    assert_eq!(
        app.take_effects(),
        vec![Effect::StartHost {
            pane: 1,
            host: "script".into()
        }]
    );
}

#[test]
fn a_review_comment_is_typed_in_only_after_yes() {
    let (mut app, _rx) = hosted_app();
    wait_text(&app, "ready");
    app.focus = 0;
    app.host_comment(1, "fix the typo".into());
    assert_eq!(app.focus, 1);
    app.on_key(key(KeyCode::Char('n')));
    assert!(
        app.panes[1]
            .hosted
            .as_ref()
            .unwrap()
            .pending_comment
            .is_none()
    );
    app.host_comment(1, "fix the typo".into());
    app.on_key(key(KeyCode::Char('y')));
    app.on_key(key(KeyCode::Enter));
    wait_text(&app, "echo:fix the typo");
}

#[test]
fn the_screen_and_cursor_are_drawn_in_the_pane() {
    let (app, _rx) = hosted_app();
    wait_text(&app, "ready");
    let hosted = app.panes[1].hosted.as_ref().unwrap();
    let area = Rect::new(2, 3, 40, 8);
    let mut buf = Buffer::empty(Rect::new(0, 0, 50, 12));
    let cursor = super::super::hosted::draw(hosted, area, &mut buf, &theme(), true);
    assert_eq!(buf[(2, 3)].symbol(), "r");
    assert_eq!(
        cursor,
        Some((2, 4)),
        "the cursor waits on the line after ready"
    );
    let unfocused = super::super::hosted::draw(hosted, area, &mut buf, &theme(), false);
    assert_eq!(unfocused, None);
}

#[test]
fn a_handoff_to_a_hosted_run_pane_is_typed_in_after_yes() {
    let (mut app, _rx) = hosted_app();
    wait_text(&app, "ready");
    app.focus = 0;
    app.on_session_event(
        0,
        &crate::agent::Event::AssistantMessage {
            text: "Rename the flag in main.rs.".into(),
        },
    );
    app.command("handoff", "--until \"make test\"");
    assert!(
        app.panes[1]
            .hosted
            .as_ref()
            .unwrap()
            .pending_comment
            .is_none(),
        "--until is refused for a hosted pane"
    );
    let said = app.panes[0].history.last_notice_text().unwrap();
    assert!(
        said.contains("--until needs Tandem's own Run agent"),
        "{said}"
    );
    app.command("handoff", "");
    assert_eq!(app.focus, 1, "Run has the keyboard for the y/n");
    let pending = app.panes[1]
        .hosted
        .as_ref()
        .unwrap()
        .pending_comment
        .clone();
    assert!(pending.unwrap().contains("Rename the flag in main.rs."));
    app.on_key(key(KeyCode::Char('y')));
    app.on_key(key(KeyCode::Enter));
    wait_text(&app, "echo:Carry out this plan");
}

#[test]
fn an_unfocused_hosted_program_at_work_is_credited_with_its_changes() {
    use crate::workspace::{ChangeLog, CheckpointOptions, Checkpoints, Tracker, TrackerOptions};
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let workspace = dir.path().canonicalize().unwrap();
    let checkpoints =
        Checkpoints::open(state.path(), &workspace, CheckpointOptions::default()).unwrap();
    let log = ChangeLog::open(&ChangeLog::path_for(checkpoints.shadow_dir())).unwrap();
    let (tracker, _events) = Tracker::start(
        std::sync::Arc::new(checkpoints),
        log,
        TrackerOptions {
            watch: false,
            ..TrackerOptions::default()
        },
    );
    tracker.flush().unwrap();
    let slot = |pane| PaneSlot::new(pane, "p".into(), "m".into(), ApprovalMode::Suggest);
    let mut app = App::new(slot(Pane::Chat), slot(Pane::Run), theme());
    app.tracker = Some(tracker.clone());
    let (tx, mut rx) = unbounded_channel();
    let command = HostCommand {
        label: "agent".into(),
        program: "sh".into(),
        args: vec![
            "-c".into(),
            "printf 'ready\\n'; read line; echo made > made.txt; echo wrote; read line".into(),
        ],
    };
    let opts = HostOptions {
        cwd: workspace.clone(),
        size: (8, 40),
        extra_env: Vec::new(),
        key_vars: Vec::new(),
    };
    app.host_started(
        1,
        "agent",
        HostedProgram::spawn(&command, opts, tx).map_err(|e| e.to_string()),
    );
    // The user looks at Chat while the hosted agent works.
    app.focus = 0;
    wait_text(&app, "ready");
    let pump = |app: &mut App, rx: &mut UnboundedReceiver<HostEvent>| {
        while let Ok(event) = rx.try_recv() {
            app.on_host_event(&event);
        }
        app.host_tick(Instant::now());
    };
    pump(&mut app, &mut rx);
    let program = app.panes[1]
        .hosted
        .as_ref()
        .unwrap()
        .program
        .as_ref()
        .unwrap();
    program.write(b"go\r").unwrap();
    wait_text(&app, "wrote");
    pump(&mut app, &mut rx);
    // Quiet now: the checkpoint credits the change to the hosted agent.
    app.host_tick(Instant::now() + QUIET + Duration::from_millis(100));
    tracker.flush().unwrap();
    let attributions = tracker.attributions();
    let made = attributions
        .iter()
        .find(|a| {
            a.paths
                .iter()
                .any(|p| p == std::path::Path::new("made.txt"))
        })
        .unwrap_or_else(|| panic!("made.txt attributed: {attributions:?}"));
    assert_eq!(made.pane, "run");
    assert_eq!(made.tool.as_deref(), Some("hosted: agent"));
    assert!(!made.external);
}
