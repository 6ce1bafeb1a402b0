use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

use super::*;
use crate::config::commands::{CustomCommand, Origin};
use crate::tui::theme::{ColorDepth, Theme};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::ALT)
}

fn with(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn type_str(c: &mut Composer, s: &str) {
    for ch in s.chars() {
        assert_eq!(c.handle_key(key(KeyCode::Char(ch))), ComposerAction::None);
    }
}

fn typed(s: &str) -> Composer {
    let mut c = Composer::new();
    type_str(&mut c, s);
    c
}

fn press(c: &mut Composer, k: KeyCode) -> ComposerAction {
    c.handle_key(key(k))
}

fn theme() -> Theme {
    Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
}

/// Draws the composer at the bottom of a `width`-wide screen with `above`
/// rows of (blank) history for the popup, and returns the screen as text
/// with the cursor shown as `▏`.
fn screen(c: &Composer, width: u16, above: u16, placeholder: &str) -> String {
    let height = c.desired_height(width);
    let mut buf = Buffer::empty(Rect::new(0, 0, width, above + height));
    let area = Rect::new(0, above, width, height);
    let theme = theme();
    c.render(area, &mut buf, &theme, true, placeholder);
    c.render_popup(area, &mut buf, &theme);
    let cursor = c.cursor(area);
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut hidden = 0;
        for x in 0..buf.area.width {
            let symbol = buf[(x, y)].symbol();
            if cursor == Some((x, y)) {
                line.push('▏');
            } else if hidden == 0 {
                line.push_str(symbol);
            }
            // The cell after a wide character is its right half.
            hidden = if hidden == 0 {
                symbol.width().saturating_sub(1)
            } else {
                hidden - 1
            };
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn file_composer(paths: &[&str]) -> Composer {
    let mut c = Composer::new();
    c.set_file_index(FileIndex::from_paths(paths.iter().copied()));
    c
}

// ---- editing -------------------------------------------------------------

#[test]
fn typing_inserts_and_enter_submits_and_clears() {
    let mut c = typed("héllo 日本");
    assert_eq!(c.text(), "héllo 日本");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("héllo 日本".into())
    );
    assert!(c.is_empty());
    assert_eq!(c.history(), ["héllo 日本"]);
}

#[test]
fn empty_or_blank_enter_does_nothing() {
    let mut c = Composer::new();
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    type_str(&mut c, "  ");
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    assert_eq!(c.text(), "  ");
    assert!(c.history().is_empty());
}

#[test]
fn newline_keys_insert_line_breaks() {
    let mut c = typed("a");
    c.handle_key(ctrl('j'));
    type_str(&mut c, "b");
    c.handle_key(alt(KeyCode::Enter));
    type_str(&mut c, "c");
    c.handle_key(with(KeyCode::Enter, KeyModifiers::SHIFT));
    type_str(&mut c, "d\\");
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    type_str(&mut c, "e");
    assert_eq!(c.text(), "a\nb\nc\nd\ne");
    // Trailing blank lines and spaces are not sent.
    c.handle_key(ctrl('j'));
    c.handle_key(ctrl('j'));
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("a\nb\nc\nd\ne".into())
    );
}

#[test]
fn readline_line_keys() {
    let mut c = typed("hello world");
    c.handle_key(ctrl('a'));
    type_str(&mut c, ">");
    c.handle_key(ctrl('e'));
    type_str(&mut c, "<");
    assert_eq!(c.text(), ">hello world<");
    for _ in 0..6 {
        press(&mut c, KeyCode::Left);
    }
    c.handle_key(ctrl('k'));
    assert_eq!(c.text(), ">hello ");
    c.handle_key(ctrl('u'));
    assert!(c.is_empty());
    // Consecutive kills collect, so one yank restores both.
    c.handle_key(ctrl('y'));
    assert_eq!(c.text(), ">hello world<");
    press(&mut c, KeyCode::Home);
    c.handle_key(with(KeyCode::Delete, KeyModifiers::NONE));
    press(&mut c, KeyCode::End);
    press(&mut c, KeyCode::Backspace);
    assert_eq!(c.text(), "hello world");
    c.handle_key(ctrl('b'));
    c.handle_key(ctrl('h'));
    c.handle_key(ctrl('f'));
    c.handle_key(ctrl('d'));
    assert_eq!(caret(&c), "hello word|");
    c.handle_key(ctrl('a'));
    c.handle_key(ctrl('d'));
    assert_eq!(caret(&c), "|ello word");
}

#[test]
fn ctrl_d_on_empty_text_goes_to_the_app() {
    let mut c = Composer::new();
    assert_eq!(c.handle_key(ctrl('d')), ComposerAction::Unhandled);
}

/// The text with `|` where the cursor is.
fn caret(c: &Composer) -> String {
    let (row, col) = c.text.cursor();
    let mut lines = c.text.lines().to_vec();
    lines[row].insert(col, '|');
    lines.join("\n")
}

#[test]
fn word_moves_and_kills_over_punctuation_and_utf8() {
    let mut c = typed("fix über-große src/main.rs now");
    let steps = [
        (alt(KeyCode::Char('b')), "fix über-große src/main.rs |now"),
        (
            with(KeyCode::Left, KeyModifiers::CONTROL),
            "fix über-große src/main.|rs now",
        ),
        (
            with(KeyCode::Left, KeyModifiers::ALT),
            "fix über-große src/|main.rs now",
        ),
        (alt(KeyCode::Char('b')), "fix über-große |src/main.rs now"),
        (alt(KeyCode::Char('b')), "fix über-|große src/main.rs now"),
        (alt(KeyCode::Char('f')), "fix über-große| src/main.rs now"),
        (
            with(KeyCode::Right, KeyModifiers::CONTROL),
            "fix über-große src|/main.rs now",
        ),
        (ctrl('e'), "fix über-große src/main.rs now|"),
        // Alt-Backspace stops at punctuation, Ctrl-W only at whitespace.
        (alt(KeyCode::Backspace), "fix über-große src/main.rs |"),
        (alt(KeyCode::Backspace), "fix über-große src/main.|"),
        (ctrl('w'), "fix über-große |"),
        (ctrl('w'), "fix |"),
        // The kills were consecutive: one yank brings all of them back.
        (ctrl('y'), "fix über-große src/main.rs now|"),
        (ctrl('a'), "|fix über-große src/main.rs now"),
        (alt(KeyCode::Char('d')), "| über-große src/main.rs now"),
        (alt(KeyCode::Char('d')), "|-große src/main.rs now"),
        (
            with(KeyCode::Delete, KeyModifiers::CONTROL),
            "| src/main.rs now",
        ),
    ];
    for (k, want) in steps {
        assert_eq!(c.handle_key(k), ComposerAction::None, "{k:?}");
        assert_eq!(caret(&c), want, "after {k:?}");
    }
}

#[test]
fn word_moves_cross_lines() {
    let mut c = typed("one");
    c.handle_key(ctrl('j'));
    type_str(&mut c, "two");
    c.handle_key(ctrl('a'));
    c.handle_key(alt(KeyCode::Char('b')));
    type_str(&mut c, "|");
    assert_eq!(c.text(), "|one\ntwo");
}

#[test]
fn up_and_down_move_between_lines() {
    let mut c = typed("abc");
    c.handle_key(ctrl('j'));
    type_str(&mut c, "de");
    press(&mut c, KeyCode::Up);
    type_str(&mut c, "|");
    assert_eq!(c.text(), "ab|c\nde");
    press(&mut c, KeyCode::Down);
    type_str(&mut c, "!");
    assert_eq!(c.text(), "ab|c\nde!");
}

#[test]
fn history_browses_and_restores_the_draft() {
    let mut c = Composer::new();
    for msg in ["first", "second\nline two"] {
        type_str(&mut c, msg);
        press(&mut c, KeyCode::Enter);
    }
    type_str(&mut c, "draft");
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "second\nline two");
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "first");
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "first");
    press(&mut c, KeyCode::Down);
    assert_eq!(caret(&c), "second\nline two|");
    press(&mut c, KeyCode::Up);
    assert_eq!(caret(&c), "second|\nline two");
    press(&mut c, KeyCode::Down);
    press(&mut c, KeyCode::Down);
    assert_eq!(c.text(), "draft");
    press(&mut c, KeyCode::Down);
    assert_eq!(c.text(), "draft");
    // A recalled entry can be sent again; repeats are not stored twice.
    c.handle_key(ctrl('u'));
    c.handle_key(ctrl('p'));
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("second\nline two".into())
    );
    assert_eq!(c.history().len(), 2);
}

#[test]
fn recalled_command_does_not_open_the_popup() {
    let mut c = typed("/help");
    press(&mut c, KeyCode::Enter);
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "/help");
    assert!(!c.completion_active());
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "/help");
}

#[test]
fn paste_is_one_block_and_never_submits() {
    let mut c = typed("see: ");
    c.handle_paste("line 1\r\nline 2\n\nline 4\n");
    assert_eq!(c.text(), "see: line 1\nline 2\n\nline 4\n");
    assert_eq!(c.text.cursor(), (4, 0));
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("see: line 1\nline 2\n\nline 4".into())
    );
}

#[test]
fn app_keys_are_unhandled() {
    let mut c = typed("x");
    for k in [
        key(KeyCode::Esc),
        key(KeyCode::Tab),
        key(KeyCode::BackTab),
        key(KeyCode::PageUp),
        key(KeyCode::F(1)),
        ctrl('c'),
        ctrl('l'),
        with(KeyCode::Enter, KeyModifiers::CONTROL),
    ] {
        assert_eq!(c.handle_key(k), ComposerAction::Unhandled, "{k:?}");
    }
    assert_eq!(c.text(), "x");
    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..key(KeyCode::Char('y'))
    };
    assert_eq!(c.handle_key(release), ComposerAction::None);
    assert_eq!(c.text(), "x");
}

#[test]
fn set_text_and_clear() {
    let mut c = Composer::new();
    c.set_text("/mode\r\nx");
    assert_eq!(c.text(), "/mode\nx");
    assert!(!c.completion_active());
    c.clear();
    assert!(c.is_empty());
    c.set_history(vec!["a".into(), "b".into()]);
    press(&mut c, KeyCode::Up);
    assert_eq!(c.text(), "b");
}

// ---- commands ----------------------------------------------------------------

#[test]
fn slash_tab_completes_a_command() {
    let mut c = typed("/he");
    assert!(c.completion_active());
    assert_eq!(press(&mut c, KeyCode::Tab), ComposerAction::None);
    assert_eq!(c.text(), "/help ");
    assert!(!c.completion_active());
}

#[test]
fn slash_popup_filters_and_selects() {
    let mut c = typed("/mo");
    let Some(Completion {
        items: Items::Commands(list),
        ..
    }) = &c.completion
    else {
        panic!("no command popup");
    };
    let names: Vec<_> = list.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["mode", "model", "memory"]);
    press(&mut c, KeyCode::Down);
    // Enter on a command that takes arguments completes it.
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    assert_eq!(c.text(), "/model ");
    // Fuzzy: letters in order.
    let c = typed("/hof");
    assert!(
        matches!(&c.completion, Some(Completion { items: Items::Commands(l), .. }) if l[0].name == "handoff")
    );
}

#[test]
fn enter_runs_commands() {
    let mut c = typed("/mode full-auto");
    assert!(!c.completion_active());
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Command {
            name: "mode".into(),
            args: "full-auto".into()
        }
    );
    assert!(c.is_empty());
    assert_eq!(c.history(), ["/mode full-auto"]);
    // A command without arguments runs from the popup.
    let mut c = typed("/qu");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Command {
            name: "quit".into(),
            args: String::new()
        }
    );
    // A fully typed name runs even if it takes arguments.
    let mut c = typed("/model");
    assert!(c.completion_active());
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Command {
            name: "model".into(),
            args: String::new()
        }
    );
}

#[test]
fn unknown_slash_text_is_a_message() {
    let mut c = typed("/foo bar");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("/foo bar".into())
    );
    let mut c = typed("/usr/bin/env is missing");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("/usr/bin/env is missing".into())
    );
    let c = typed("/zz");
    assert!(!c.completion_active());
}

#[test]
fn esc_closes_the_popup_then_goes_to_the_app() {
    let mut c = typed("/");
    assert!(c.completion_active());
    assert_eq!(press(&mut c, KeyCode::Esc), ComposerAction::None);
    assert!(!c.completion_active());
    // Moving does not reopen it; typing does.
    press(&mut c, KeyCode::Left);
    press(&mut c, KeyCode::Right);
    assert!(!c.completion_active());
    assert_eq!(press(&mut c, KeyCode::Esc), ComposerAction::Unhandled);
    type_str(&mut c, "c");
    assert!(c.completion_active());
    // With the popup closed, Tab is the app's again.
    press(&mut c, KeyCode::Esc);
    assert_eq!(press(&mut c, KeyCode::Tab), ComposerAction::Unhandled);
}

// ---- files -------------------------------------------------------------------

#[test]
fn at_completes_files_from_a_walked_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/tui")).unwrap();
    std::fs::write(root.join("src/tui/composer.rs"), "").unwrap();
    std::fs::write(root.join("src/main.rs"), "").unwrap();
    std::fs::write(root.join("my notes.md"), "").unwrap();
    let index = FileIndex::build(root);
    let start = Instant::now();
    while !index.is_ready() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(index.len(), 5);
    let mut c = Composer::new();
    c.set_file_index(index);
    type_str(&mut c, "look at @cmpsr");
    assert!(c.completion_active());
    assert_eq!(press(&mut c, KeyCode::Tab), ComposerAction::None);
    assert_eq!(c.text(), "look at @src/tui/composer.rs ");
    // Paths with spaces are quoted; Enter completes, never submits.
    type_str(&mut c, "and @notes");
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    assert_eq!(
        c.text(),
        "look at @src/tui/composer.rs and @\"my notes.md\" "
    );
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("look at @src/tui/composer.rs and @\"my notes.md\"".into())
    );
}

#[test]
fn at_needs_a_word_start_and_directories_keep_completing() {
    let mut c = file_composer(&["src/", "src/main.rs", "README.md"]);
    type_str(&mut c, "mail me@src");
    assert!(!c.completion_active());
    c.clear();
    type_str(&mut c, "@sr");
    press(&mut c, KeyCode::Tab);
    assert_eq!(c.text(), "@src/");
    assert!(c.completion_active());
    press(&mut c, KeyCode::Tab);
    assert_eq!(c.text(), "@src/main.rs ");
}

#[test]
fn at_completion_replaces_the_whole_token_and_selection_moves() {
    let mut c = file_composer(&["a.rs", "b.rs", "c.rs"]);
    type_str(&mut c, "@.rs tail");
    for _ in 0.."tail".len() + 1 {
        press(&mut c, KeyCode::Left);
    }
    // Cursor right after "@.rs".
    assert!(c.completion_active());
    press(&mut c, KeyCode::Up);
    press(&mut c, KeyCode::Down);
    c.handle_key(ctrl('n'));
    c.handle_key(ctrl('n'));
    press(&mut c, KeyCode::Tab);
    assert_eq!(c.text(), "@c.rs tail");
    type_str(&mut c, "!");
    assert_eq!(c.text(), "@c.rs !tail");
}

#[test]
fn popup_refreshes_while_the_index_grows() {
    let mut c = file_composer(&[]);
    type_str(&mut c, "@x");
    assert!(!c.completion_active());
    assert!(!c.poll());
}

// ---- drawing -------------------------------------------------------------------

#[test]
fn snapshot_placeholder() {
    let c = Composer::new();
    insta::assert_snapshot!(screen(&c, 40, 0, "Ask Chat anything — / for commands"));
}

#[test]
fn snapshot_multiline_wrapped() {
    let mut c = typed("Refactor the composer so that long lines wrap at word boundaries");
    c.handle_key(ctrl('j'));
    type_str(&mut c, "and\tkeep 日本語 wide");
    c.handle_key(ctrl('j'));
    type_str(&mut c, "end");
    assert_eq!(c.desired_height(30), 5);
    insta::assert_snapshot!(screen(&c, 30, 0, "unused"));
}

#[test]
fn snapshot_scrolls_to_the_cursor() {
    let mut c = Composer::new();
    c.handle_paste(
        &(1..=20)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(c.desired_height(20), MAX_HEIGHT);
    insta::assert_snapshot!(screen(&c, 20, 0, ""));
}

#[test]
fn snapshot_command_popup() {
    let c = typed("/m");
    insta::assert_snapshot!(screen(&c, 60, 8, ""));
}

#[test]
fn snapshot_file_popup() {
    let mut c = file_composer(&[
        "src/tui/composer/mod.rs",
        "src/tui/composer/textarea.rs",
        "src/tui/markdown.rs",
        "a/very/long/directory/path/that/does/not/fit/composer.rs",
        "README.md",
    ]);
    type_str(&mut c, "open @comp");
    press(&mut c, KeyCode::Down);
    insta::assert_snapshot!(screen(&c, 44, 6, ""));
}

#[test]
fn popup_is_skipped_without_room() {
    let c = typed("/");
    let mut buf = Buffer::empty(Rect::new(0, 0, 30, 3));
    let area = Rect::new(0, 1, 30, 1);
    c.render_popup(area, &mut buf, &theme());
    assert_eq!(buf, Buffer::empty(Rect::new(0, 0, 30, 3)));
}

#[test]
fn cursor_tracks_wide_characters() {
    let c = typed("日本");
    assert_eq!(c.cursor(Rect::new(5, 3, 20, 1)), Some((5 + 2 + 4, 3)));
    assert_eq!(c.cursor(Rect::new(0, 0, 2, 1)), None);
}

#[test]
fn key_table_is_filled() {
    assert!(
        KEY_BINDINGS
            .iter()
            .all(|(k, e)| !k.is_empty() && !e.is_empty())
    );
}

/// Matching 100,000 paths must stay interactive. Timing is only reported
/// here (debug builds are slow); `benches/composer.rs` measures release.
#[test]
fn matching_many_paths_is_bounded() {
    let paths: Vec<String> = (0..100_000)
        .map(|i| format!("crates/c{}/src/module_{}/file_{i}.rs", i % 97, i % 1013))
        .collect();
    let index = FileIndex::from_paths(paths);
    let start = Instant::now();
    let found = index.search("mod12fil", POPUP_ITEMS);
    eprintln!("matched 100k paths in {:?}", start.elapsed());
    assert_eq!(found.len(), POPUP_ITEMS);
}

#[test]
fn large_paste_in_the_middle_is_fast() {
    let mut c = typed("start end");
    for _ in 0..3 {
        press(&mut c, KeyCode::Left);
    }
    let block = "x\n".repeat(200_000);
    let start = Instant::now();
    c.handle_paste(&block);
    assert_eq!(c.text.lines().len(), 200_001);
    assert_eq!(c.text.cursor(), (200_000, 0));
    assert!(c.text().ends_with("\nend"));
    assert!(c.desired_height(40) == MAX_HEIGHT);
    let _ = screen(&c, 40, 0, "");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

// ---- custom commands -------------------------------------------------------

fn custom(name: &str, hint: &str, description: &str, body: &str) -> CustomCommand {
    CustomCommand {
        name: name.into(),
        description: description.into(),
        argument_hint: hint.into(),
        pane: None,
        model: None,
        body: body.into(),
        origin: Origin::ProjectTandem,
        path: format!("/repo/.tandem/commands/{name}.md").into(),
    }
}

fn custom_composer() -> Composer {
    let mut c = Composer::new();
    c.set_commands(Arc::new(CommandTable::new(vec![
        custom(
            "greet",
            "[name]",
            "Greet someone warmly",
            "Say hello to $1.",
        ),
        CustomCommand {
            origin: Origin::UserClaude,
            ..custom(
                "git:status",
                "",
                "Summarise the working tree",
                "Run git status.",
            )
        },
    ])));
    c
}

#[test]
fn the_popup_lists_custom_commands_with_description_hint_and_origin() {
    let mut c = custom_composer();
    type_str(&mut c, "/gr");
    let text = screen(&c, 70, 6, "");
    assert!(
        text.contains("/greet  Greet someone warmly  [name]  (project)"),
        "{text}"
    );
    insta::assert_snapshot!(text);
    // Typing `/` lists the built-ins first, then the custom ones.
    let mut c = custom_composer();
    type_str(&mut c, "/git:");
    assert!(
        screen(&c, 70, 6, "").contains("/git:status  Summarise the working tree  (user)"),
        "{}",
        screen(&c, 70, 6, "")
    );
}

#[test]
fn custom_commands_run_like_built_ins() {
    let mut c = custom_composer();
    type_str(&mut c, "/Greet \"Ada Lovelace\"");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Command {
            name: "greet".into(),
            args: "\"Ada Lovelace\"".into()
        }
    );
    // From the popup: one taking arguments is completed and waits for them;
    // one taking none runs.
    let mut c = custom_composer();
    type_str(&mut c, "/gre");
    assert_eq!(press(&mut c, KeyCode::Enter), ComposerAction::None);
    assert_eq!(c.text(), "/greet ");
    let mut c = custom_composer();
    type_str(&mut c, "/git:st");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Command {
            name: "git:status".into(),
            args: String::new()
        }
    );
    // Without the table the same text is a message.
    let mut c = typed("/greet Bob");
    assert_eq!(
        press(&mut c, KeyCode::Enter),
        ComposerAction::Submit("/greet Bob".into())
    );
}
