use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::tui::theme::{ColorDepth, Theme};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn sessions() -> Picker {
    let row = |when: &str, prompt: &str, id: &str| PickRow {
        cells: vec![when.into(), prompt.into(), id.into()],
        command: PickCommand::new("resume", id),
        alternate: (id != "c").then(|| PickCommand::new("resume", format!("{id} --files"))),
    };
    Picker::new(
        "sessions",
        &["started", "first prompt", "id"],
        vec![
            row("2026-11-25 09:00", "Fix the login bug", "a"),
            row("2026-11-24 17:30", "Add a CSV export", "b"),
            row("2026-11-20 08:15", "fix flaky LOGIN test", "c"),
        ],
        "resumes it",
    )
    .with_alternate('f', "with files")
}

fn screen(picker: &Picker, width: u16, height: u16) -> String {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let theme = Theme::built_in("dark", ColorDepth::TrueColor).unwrap();
    picker.render(area, &mut buf, &theme);
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn arrows_move_and_enter_runs_the_rows_command() {
    let mut p = sessions();
    assert_eq!(p.on_key(&key(KeyCode::Down)), PickOutcome::Open);
    assert_eq!(p.on_key(&key(KeyCode::Down)), PickOutcome::Open);
    // The last row is as far as it goes.
    p.on_key(&key(KeyCode::Down));
    assert_eq!(p.selected, 2);
    p.on_key(&key(KeyCode::Up));
    assert_eq!(
        p.on_key(&key(KeyCode::Enter)),
        PickOutcome::Chosen(PickCommand::new("resume", "b"))
    );
    p.on_key(&key(KeyCode::End));
    assert_eq!(p.selected, 2);
    p.on_key(&key(KeyCode::Home));
    assert_eq!(p.selected, 0);
    assert_eq!(p.on_key(&key(KeyCode::Esc)), PickOutcome::Closed);
}

#[test]
fn typing_filters_by_every_word_ignoring_case() {
    let mut p = sessions();
    for c in "login FIX".chars() {
        p.on_key(&key(KeyCode::Char(c)));
    }
    assert_eq!(p.filter, "login FIX");
    assert_eq!(p.visible(), vec![0, 2]);
    p.on_key(&key(KeyCode::Down));
    assert_eq!(
        p.on_key(&key(KeyCode::Enter)),
        PickOutcome::Chosen(PickCommand::new("resume", "c")),
        "the selection counts among the rows shown"
    );
    let mut p = sessions();
    for c in "csvx".chars() {
        p.on_key(&key(KeyCode::Char(c)));
    }
    assert!(p.visible().is_empty());
    assert_eq!(
        p.on_key(&key(KeyCode::Enter)),
        PickOutcome::Open,
        "nothing to choose"
    );
    p.on_key(&key(KeyCode::Backspace));
    assert_eq!(p.visible(), vec![1]);
    p.on_key(&ctrl('u'));
    assert_eq!(p.visible().len(), 3);
}

#[test]
fn the_second_key_runs_the_alternate_only_where_a_row_has_one() {
    let mut p = sessions();
    assert_eq!(
        p.on_key(&ctrl('f')),
        PickOutcome::Chosen(PickCommand::new("resume", "a --files"))
    );
    p.on_key(&key(KeyCode::End));
    assert_eq!(p.on_key(&ctrl('f')), PickOutcome::Open);
    // Ctrl with another letter is not typed into the filter.
    p.on_key(&ctrl('x'));
    assert!(p.filter.is_empty());
}

#[test]
fn it_draws_a_header_the_rows_the_selection_the_filter_and_the_keys() {
    let mut p = sessions();
    p.on_key(&key(KeyCode::Down));
    let text = screen(&p, 80, 16);
    assert!(text.contains(" sessions "), "{text}");
    assert!(text.contains("started           first prompt"), "{text}");
    assert!(
        text.contains("› 2026-11-24 17:30  Add a CSV export"),
        "{text}"
    );
    assert!(text.contains("filter: ▏  3 of 3"), "{text}");
    assert!(
        text.contains("Enter resumes it · Ctrl-F with files · type to filter · Esc closes"),
        "{text}"
    );
    for c in "zzz".chars() {
        p.on_key(&key(KeyCode::Char(c)));
    }
    assert!(screen(&p, 80, 16).contains("no row matches the filter"));
}

#[test]
fn a_long_cell_is_cut_so_the_row_fits_and_the_selection_stays_in_view() {
    let rows = (1..=40)
        .map(|n| PickRow {
            cells: vec![n.to_string(), format!("task {n} {}", "word ".repeat(40))],
            command: PickCommand::new("rewind", n.to_string()),
            alternate: None,
        })
        .collect();
    let mut p = Picker::new("tasks", &["task", "what"], rows, "rewinds").with_selected(39);
    let text = screen(&p, 60, 20);
    assert!(text.lines().all(|l| l.chars().count() <= 60));
    assert!(text.contains("› 40    task 40 word"), "{text}");
    assert!(text.contains('…'), "{text}");
    p.on_key(&key(KeyCode::PageUp));
    p.on_key(&key(KeyCode::PageUp));
    assert_eq!(p.selected, 19);
    assert!(screen(&p, 60, 20).contains("› 20    task 20"));
}

#[test]
fn any_terminal_size_draws_without_panicking() {
    let mut p = sessions();
    p.on_key(&key(KeyCode::Down));
    for width in 0..40 {
        for height in 0..14 {
            screen(&p, width, height);
        }
    }
}
