//! Snapshot tests of whole frames: the two-pane and stacked layouts, the
//! approval dialog, the help overlay and the status bar, drawn from an
//! [`App`] fed with session events (no terminal, no sessions).

use std::path::PathBuf;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use super::app::{App, PaneSlot};
use super::theme::{ColorDepth, Theme};
use super::view;
use crate::agent::{Event, Pane, TaskStatus};
use crate::exec::ApprovalMode;
use crate::exec::sandbox::SandboxMode;
use crate::provider::Usage;
use crate::tools::SandboxSummary;

fn started(pane: Pane, provider: &str, model: &str, mode: ApprovalMode, network: bool) -> Event {
    Event::SessionStarted {
        session_id: "s".into(),
        pane,
        provider: provider.into(),
        model: model.into(),
        mode,
        cwd: PathBuf::from("/work/project"),
        sandbox: SandboxSummary {
            mode: SandboxMode::WorkspaceWrite,
            network,
            enforced: true,
        },
    }
}

fn usage(input: u64, output: u64) -> Event {
    let u = Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    };
    Event::Usage { call: u, total: u }
}

fn finished(turns: u32) -> Event {
    Event::TaskComplete {
        status: TaskStatus::Ok,
        turns,
        total: Usage::default(),
        last_message: None,
    }
}

/// An app with a finished conversation in each pane.
fn app() -> App {
    let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
    let mut app = App::new(
        PaneSlot::new(
            Pane::Chat,
            String::new(),
            String::new(),
            ApprovalMode::Suggest,
        ),
        PaneSlot::new(
            Pane::Run,
            String::new(),
            String::new(),
            ApprovalMode::FullAuto,
        ),
        theme,
    );
    app.panes[0].context_window = Some(200_000);
    let chat = [
        started(Pane::Chat, "anthropic", "claude-sonnet-4-5", ApprovalMode::Suggest, false),
        Event::TaskStarted { text: "How should we fix the slug bug?".into() },
        Event::AssistantMessage {
            text: "## Plan\n\n1. Collapse runs of separators in `slug.sh`\n2. Trim dashes at both ends\n\n```sh\nsed -e 's/[^a-z0-9][^a-z0-9]*/-/g'\n```".into(),
        },
        usage(12_400, 310),
        finished(1),
    ];
    for e in &chat {
        app.on_session_event(0, e);
    }
    let run = [
        started(Pane::Run, "openai", "gpt-5", ApprovalMode::FullAuto, false),
        Event::TaskStarted {
            text: "Carry out the plan".into(),
        },
        Event::ToolCall {
            id: "c1".into(),
            name: "shell".into(),
            input: json!({"command": "sh test.sh"}),
            summary: "sh test.sh".into(),
        },
        Event::ToolResult {
            id: "c1".into(),
            name: "shell".into(),
            ok: true,
            output: "ok\nExit code: 0".into(),
            exit_code: Some(0),
            duration: Duration::from_millis(420),
        },
        Event::AssistantMessage {
            text: "All four tests pass.".into(),
        },
        usage(30_100, 1_200),
        finished(2),
    ];
    for e in &run {
        app.on_session_event(1, e);
    }
    app
}

fn frame(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(app, f)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn two_panes_side_by_side_at_160x48() {
    insta::assert_snapshot!(frame(&mut app(), 160, 48));
}

#[test]
fn panes_stack_at_90x40() {
    insta::assert_snapshot!(frame(&mut app(), 90, 40));
}

#[test]
fn the_approval_dialog_opens_in_the_pane_that_asked() {
    let mut app = app();
    app.on_session_event(
        0,
        &Event::TaskStarted {
            text: "clean up".into(),
        },
    );
    app.on_session_event(
        0,
        &Event::ApprovalRequest {
            id: "a1".into(),
            name: "shell".into(),
            summary: "rm -rf build && cargo build".into(),
            input: json!({"command": "rm -rf build && cargo build"}),
            reason: Some("`rm -rf build` matches the ask rule shell(rm:*) (ask rule from ~/.config/tandem/config.toml)".into()),
            always: vec!["shell(rm -rf build:*)".into(), "shell(cargo build:*)".into()],
        },
    );
    let text = frame(&mut app, 160, 48);
    assert!(text.contains("approval needed"));
    insta::assert_snapshot!(text);
}

#[test]
fn the_help_overlay_lists_every_binding() {
    let mut app = app();
    app.overlay = Some(super::app::Overlay::Help);
    let first = frame(&mut app, 160, 48);
    // Every binding is on screen at some point while scrolling down.
    let mut seen = first.clone();
    for _ in 0..20 {
        app.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::PageDown,
        ));
        seen.push_str(&frame(&mut app, 160, 48));
    }
    for binding in super::keymap::BINDINGS {
        assert!(
            seen.contains(binding.keys),
            "{} missing from the help",
            binding.keys
        );
    }
    insta::assert_snapshot!(first);
}

#[test]
fn a_help_taller_than_the_screen_scrolls_to_its_last_command() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut app = app();
    app.on_key(KeyEvent::from(KeyCode::F(1)));
    let first = frame(&mut app, 160, 40);
    assert!(first.contains("scroll 0/"), "the title says it scrolls");
    let last = super::composer::COMMANDS.last().unwrap().name;
    assert!(
        !first.contains(&format!("/{last} ")),
        "/{last} is below the fold"
    );
    for _ in 0..5 {
        app.on_key(KeyEvent::from(KeyCode::PageDown));
    }
    let end = frame(&mut app, 160, 40);
    assert!(end.contains(&format!("/{last}")), "{end}");
    let clamped = app.help_scroll;
    app.on_key(KeyEvent::from(KeyCode::Char('k')));
    frame(&mut app, 160, 40);
    assert_eq!(
        app.help_scroll,
        clamped - 1,
        "one up from the end, not from past it"
    );
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert!(app.overlay.is_none());
    assert_eq!(app.help_scroll, 0);
}

#[test]
fn the_status_bar_shortens_instead_of_wrapping() {
    let mut app = app();
    let wide = frame(&mut app, 160, 10);
    let status_wide = wide.lines().last().unwrap().to_string();
    let at_80 = frame(&mut app, 80, 10);
    let status_80 = at_80.lines().last().unwrap().to_string();
    let narrow = frame(&mut app, 50, 10);
    let status_narrow = narrow.lines().last().unwrap().to_string();
    assert!(status_wide.contains("Chat 12.7k tok") && status_wide.contains("ctx 6%"));
    assert!(status_wide.contains("F1 help"));
    assert!(
        status_80.contains("Chat") && status_80.contains("Run") && status_80.contains("F1 help"),
        "both panes and the help hint at 80 columns: {status_80}"
    );
    assert!(
        status_narrow.contains("Chat") && status_narrow.contains("Run"),
        "the panes' figures survive: {status_narrow}"
    );
    insta::assert_snapshot!(format!("{status_wide}\n{status_80}\n{status_narrow}"));
}

#[test]
fn a_pane_without_a_model_shows_what_to_set() {
    let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
    let mut chat = PaneSlot::new(
        Pane::Chat,
        "anthropic".into(),
        "claude-sonnet-4-5".into(),
        ApprovalMode::Suggest,
    );
    chat.setup_error = Some("provider `anthropic` needs an API key: set ANTHROPIC_API_KEY".into());
    let run = PaneSlot::new(
        Pane::Run,
        "openai".into(),
        "gpt-5".into(),
        ApprovalMode::FullAuto,
    );
    let mut app = App::new(chat, run, theme);
    let text = frame(&mut app, 160, 30);
    assert!(text.contains("Chat is not connected to a model"));
    assert!(text.contains("tandem demo"));
}
