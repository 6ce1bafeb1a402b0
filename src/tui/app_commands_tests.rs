//! Custom commands through the whole app: found in real files, typed into a
//! composer, sent to a pane's session as ops, listed by `/help`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::super::app::{App, Overlay, PaneSlot};
use super::super::theme::{ColorDepth, Theme};
use super::super::view;
use crate::agent::{Op, Pane};
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
