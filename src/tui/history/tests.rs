use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use serde_json::json;

use super::*;
use crate::provider::Usage;
use crate::tools::StepStatus;
use crate::tui::theme::ColorDepth;

fn theme() -> Theme {
    Theme::built_in("dark", ColorDepth::TrueColor).expect("built-in theme")
}

/// The buffer as text, one line per row, trailing blanks dropped.
fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut row = String::new();
        for x in area.left()..area.right() {
            row.push_str(buf[(x, y)].symbol());
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

/// Renders `h` into a fresh `width`×`height` buffer.
fn draw(h: &mut History, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    h.render(area, &mut buf, &theme());
    buf
}

fn screen(h: &mut History, width: u16, height: u16) -> String {
    buffer_text(&draw(h, width, height))
}

/// The non-blank rows of a frame.
fn rows(h: &mut History, width: u16, height: u16) -> Vec<String> {
    screen(h, width, height)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn tool_call(id: &str, name: &str, summary: &str) -> Event {
    Event::ToolCall {
        id: id.into(),
        name: name.into(),
        input: json!({ "command": summary }),
        summary: summary.into(),
    }
}

fn tool_result(id: &str, ok: bool, output: &str, exit_code: Option<i32>, ms: u64) -> Event {
    Event::ToolResult {
        id: id.into(),
        name: "shell".into(),
        ok,
        output: output.into(),
        exit_code,
        duration: Duration::from_millis(ms),
    }
}

/// A history of `n` one-line user messages `m0`, `m1`, … (two rows each
/// with the blank separator, one for the first).
fn numbered(n: usize) -> History {
    let mut h = History::new();
    for i in 0..n {
        h.apply(&Event::TaskStarted {
            text: format!("m{i}"),
        });
    }
    h
}

#[test]
fn user_and_assistant_messages_render() {
    let mut h = History::new();
    h.apply(&Event::TaskStarted {
        text: "fix the parser".into(),
    });
    h.apply(&Event::AssistantMessage {
        text: "Done: the parser now accepts tabs.".into(),
    });
    assert_eq!(
        rows(&mut h, 40, 10),
        ["› fix the parser", "Done: the parser now accepts tabs."]
    );
    let buf = draw(&mut h, 40, 10);
    assert_eq!(buf[(0, 0)].fg, theme().user.fg.unwrap_or(Color::Reset));
    assert_eq!(h.len_cells(), 2);
    assert_eq!(
        h.last_assistant_text(),
        Some("Done: the parser now accepts tabs.")
    );
}

#[test]
fn long_user_messages_wrap_with_a_hanging_indent() {
    let mut h = History::new();
    h.apply(&Event::TaskStarted {
        text: "please make the history pane scroll smoothly".into(),
    });
    assert_eq!(
        rows(&mut h, 20, 10),
        ["› please make the", "  history pane", "  scroll smoothly"]
    );
}

#[test]
fn streaming_deltas_accumulate_and_the_final_message_replaces_them() {
    let mut h = History::new();
    h.apply(&Event::TurnStarted { turn: 1 });
    h.apply(&Event::TextDelta("Hel".into()));
    h.apply(&Event::TextDelta("lo wor".into()));
    h.apply(&Event::TextDelta("ld".into()));
    assert_eq!(rows(&mut h, 40, 5), ["Hello world"]);
    assert_eq!(h.len_cells(), 1);
    h.apply(&Event::AssistantMessage {
        text: "Hello, world!".into(),
    });
    assert_eq!(rows(&mut h, 40, 5), ["Hello, world!"]);
    assert_eq!(h.len_cells(), 1);
    h.apply(&Event::TextDelta("next".into()));
    assert_eq!(h.len_cells(), 2, "a finalised answer is not reopened");
}

#[test]
fn stream_reset_clears_the_partial_answer() {
    let mut h = History::new();
    h.apply(&Event::TextDelta("partial answ".into()));
    h.apply(&Event::ReasoningDelta("hmm".into()));
    h.apply(&Event::StreamReset);
    assert!(rows(&mut h, 40, 5).is_empty());
    h.apply(&Event::TextDelta("second try".into()));
    h.apply(&Event::AssistantMessage {
        text: "second try".into(),
    });
    assert_eq!(rows(&mut h, 40, 5), ["second try"]);
}

#[test]
fn only_the_streaming_cell_is_rendered_again() {
    let mut h = numbered(3);
    h.apply(&Event::TextDelta("a".into()));
    draw(&mut h, 40, 20);
    let ptr = |h: &History, i: usize| h.cells[i].cache.as_ref().map(|c| c.lines.as_ptr());
    let before: Vec<_> = (0..4).map(|i| ptr(&h, i)).collect();
    h.apply(&Event::TextDelta("b".into()));
    draw(&mut h, 40, 20);
    let after: Vec<_> = (0..4).map(|i| ptr(&h, i)).collect();
    assert_eq!(before[..3], after[..3]);
    assert_eq!(
        h.cells[3].cache.as_ref().map(|c| c.version),
        Some(h.cells[3].version)
    );
    assert_eq!(rows(&mut h, 40, 20).last().map(String::as_str), Some("ab"));
}

#[test]
fn reasoning_is_one_line_until_expanded() {
    let mut h = History::new();
    h.apply(&Event::ReasoningDelta("Look at the ".into()));
    h.apply(&Event::ReasoningDelta("parser first".into()));
    assert_eq!(rows(&mut h, 40, 5), ["▸ thinking (5 words)"]);
    h.apply(&Event::Reasoning {
        text: "Look at the parser first, then the tests.".into(),
    });
    assert_eq!(h.len_cells(), 1);
    h.toggle_reasoning();
    assert_eq!(
        rows(&mut h, 40, 5),
        [
            "▾ thinking (8 words)",
            "  Look at the parser first, then the",
            "  tests."
        ]
    );
    let buf = draw(&mut h, 40, 5);
    assert!(
        buf[(2, 1)]
            .modifier
            .contains(ratatui::style::Modifier::ITALIC)
    );
    h.toggle_reasoning();
    assert_eq!(rows(&mut h, 40, 5), ["▸ thinking (8 words)"]);
}

#[test]
fn tool_lines_show_status_summary_and_duration() {
    let mut h = History::new();
    h.apply(&tool_call("a", "shell", "cargo test"));
    h.apply(&tool_call("b", "read", "src/main.rs"));
    h.apply(&tool_call("c", "shell", "rm -rf target"));
    h.apply(&Event::ApprovalRequest {
        id: "c".into(),
        name: "shell".into(),
        summary: "rm -rf target".into(),
        input: json!({}),
        reason: None,
        always: vec![],
    });
    assert_eq!(
        rows(&mut h, 60, 5),
        [
            "⋯ shell cargo test",
            "⋯ read src/main.rs",
            "? shell rm -rf target  waiting for approval"
        ]
    );
    h.apply(&tool_result("a", false, "1 failed", Some(101), 4230));
    h.apply(&tool_result("b", true, "fn main() {}", None, 3));
    h.approval_answered("c");
    assert_eq!(
        rows(&mut h, 60, 5),
        [
            "✗ shell cargo test  exit 101  4.2s",
            "✓ read src/main.rs  3ms",
            "⋯ shell rm -rf target"
        ]
    );
    assert_eq!(rows(&mut h, 28, 5)[0], "✗ shell car…  exit 101  4.2s");
}

#[test]
fn a_tool_call_expands_to_its_input_and_output() {
    let mut h = History::new();
    h.apply(&tool_call("a", "shell", "ls"));
    h.apply(&tool_result("a", true, "Cargo.toml\nsrc\n", Some(0), 20));
    h.toggle_last_tool();
    assert_eq!(
        rows(&mut h, 40, 10),
        [
            "✓ shell ls  20ms",
            "  input",
            "  │ {",
            "  │   \"command\": \"ls\"",
            "  │ }",
            "  output",
            "  │ Cargo.toml",
            "  │ src"
        ]
    );
    h.toggle_last_tool();
    assert_eq!(rows(&mut h, 40, 10), ["✓ shell ls  20ms"]);
}

#[test]
fn shell_output_streams_through_a_terminal_screen() {
    let mut h = History::new();
    h.apply(&tool_call("a", "shell", "cargo build"));
    h.apply(&Event::ToolOutputDelta {
        id: "a".into(),
        bytes: b"Compiling foo\r\n\x1b[32m[=>  ]\x1b[0m 1/4\r".to_vec(),
    });
    h.apply(&Event::ToolOutputDelta {
        id: "a".into(),
        bytes: b"\x1b[32m[===>]\x1b[0m 4/4".to_vec(),
    });
    assert_eq!(
        rows(&mut h, 40, 10),
        ["⋯ shell cargo build", "  │ Compiling foo", "  │ [===>] 4/4"]
    );
    let buf = draw(&mut h, 40, 10);
    assert_eq!(buf[(4, 2)].symbol(), "[");
    assert_eq!(buf[(4, 2)].fg, Color::Green);
    h.apply(&tool_result(
        "a",
        true,
        "Compiling foo\n[===>] 4/4\n",
        Some(0),
        1500,
    ));
    assert_eq!(rows(&mut h, 40, 10), ["✓ shell cargo build  1.5s"]);
    h.toggle_last_tool();
    assert!(rows(&mut h, 40, 12).contains(&"  │ [===>] 4/4".to_string()));
}

#[test]
fn the_plan_updates_in_place() {
    let step = |s: &str, status| PlanStep {
        step: s.into(),
        status,
    };
    let mut h = History::new();
    h.apply(&Event::PlanUpdated(vec![
        step("read the code", StepStatus::InProgress),
        step("fix it", StepStatus::Pending),
    ]));
    h.apply(&Event::AssistantMessage {
        text: "Reading.".into(),
    });
    h.apply(&Event::PlanUpdated(vec![
        step("read the code", StepStatus::Completed),
        step("fix it", StepStatus::InProgress),
    ]));
    assert_eq!(h.len_cells(), 2);
    assert_eq!(
        rows(&mut h, 40, 10),
        ["Plan (1/2)", "  ☑ read the code", "  ◐ fix it", "Reading."]
    );
    assert_eq!(
        h.last_plan().map(|p| p[1].status),
        Some(StepStatus::InProgress)
    );
}

#[test]
fn errors_notices_retries_and_the_task_summary() {
    let mut h = History::new();
    h.apply(&Event::Retrying {
        attempt: 2,
        delay: Duration::from_secs(3),
        reason: "429 rate limited".into(),
    });
    h.apply(&Event::Error {
        message: "the provider refused the key; check ANTHROPIC_API_KEY".into(),
    });
    h.push_notice("handed to Run", NoticeKind::Info);
    h.push_notice("budget nearly spent", NoticeKind::Warning);
    h.apply(&Event::TaskComplete {
        status: TaskStatus::Error,
        turns: 1,
        total: Usage {
            input_tokens: 12_300,
            output_tokens: 450,
            ..Usage::default()
        },
        last_message: None,
    });
    h.apply(&Event::Usage {
        call: Usage::default(),
        total: Usage::default(),
    });
    assert_eq!(
        rows(&mut h, 70, 10),
        [
            "· retrying in 3.0s (attempt 2): 429 rate limited",
            "✗ the provider refused the key; check ANTHROPIC_API_KEY",
            "· handed to Run",
            "! budget nearly spent",
            "─ failed · 1 turn · 12.3k in, 450 out"
        ]
    );
    let buf = draw(&mut h, 70, 10);
    assert_eq!(buf[(2, 1)].fg, theme().error.fg.unwrap_or(Color::Reset));
}

#[test]
fn new_lines_are_followed_unless_scrolled_up() {
    let mut h = numbered(20);
    assert!(h.is_following());
    assert_eq!(
        rows(&mut h, 20, 5).last().map(String::as_str),
        Some("› m19")
    );
    h.apply(&Event::TaskStarted { text: "m20".into() });
    assert_eq!(
        rows(&mut h, 20, 5).last().map(String::as_str),
        Some("› m20")
    );

    h.scroll_up(4);
    assert!(!h.is_following());
    let frame = screen(&mut h, 20, 5);
    h.apply(&Event::TaskStarted { text: "m21".into() });
    assert_eq!(screen(&mut h, 20, 5), frame, "a scrolled view stays put");

    h.scroll_down(2);
    assert!(!h.is_following());
    h.scroll_down(10);
    assert!(
        h.is_following(),
        "back at the bottom, the view follows again"
    );
    assert_eq!(
        rows(&mut h, 20, 5).last().map(String::as_str),
        Some("› m21")
    );
}

#[test]
fn paging_moves_by_the_frame_height() {
    let mut h = numbered(50);
    assert_eq!(screen(&mut h, 20, 6), "\n› m47\n\n› m48\n\n› m49\n");
    h.page_up();
    assert_eq!(screen(&mut h, 20, 6), "\n› m44\n\n› m45\n\n› m46\n");
    h.page_up();
    assert_eq!(screen(&mut h, 20, 6), "\n› m41\n\n› m42\n\n› m43\n");
    h.page_down();
    assert_eq!(screen(&mut h, 20, 6), "\n› m44\n\n› m45\n\n› m46\n");
    assert!(!h.is_following());
    h.page_down();
    assert!(h.is_following());
}

#[test]
fn scrolling_past_the_ends_clamps() {
    let mut h = numbered(10);
    draw(&mut h, 20, 4);
    h.scroll_up(1000);
    assert_eq!(screen(&mut h, 20, 4), "› m0\n\n› m1\n\n");
    h.scroll_up(5);
    assert_eq!(screen(&mut h, 20, 4), "› m0\n\n› m1\n\n");
    h.scroll_down(1000);
    assert!(h.is_following());
    assert_eq!(screen(&mut h, 20, 4), "\n› m8\n\n› m9\n");
    h.scroll_down(3);
    assert_eq!(screen(&mut h, 20, 4), "\n› m8\n\n› m9\n");
    h.scroll_to_top();
    assert!(!h.is_following());
    assert_eq!(screen(&mut h, 20, 4), "› m0\n\n› m1\n\n");
    h.scroll_to_bottom();
    assert_eq!(screen(&mut h, 20, 4), "\n› m8\n\n› m9\n");
}

#[test]
fn a_short_history_stays_at_the_top_and_following() {
    let mut h = numbered(2);
    assert_eq!(screen(&mut h, 20, 5), "› m0\n\n› m1\n\n\n");
    h.scroll_up(3);
    assert!(h.is_following());
    h.scroll_to_top();
    assert!(h.is_following());
}

#[test]
fn resizing_rewraps_and_keeps_the_top_cell() {
    let mut h = History::new();
    for i in 0..10 {
        h.apply(&Event::TaskStarted {
            text: format!("message {i} has a few words in it"),
        });
    }
    assert_eq!(
        rows(&mut h, 40, 4).last().map(String::as_str),
        Some("› message 9 has a few words in it")
    );
    h.scroll_up(5);
    let top = screen(&mut h, 40, 4)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(top.starts_with("› message 5"), "{top}");
    let narrow = screen(&mut h, 16, 4);
    assert!(
        narrow.starts_with("› message 5 has\n  a few words in\n"),
        "{narrow}"
    );
    assert!(narrow.lines().all(|l| l.chars().count() <= 16));
    h.scroll_to_bottom();
    assert_eq!(rows(&mut h, 16, 4).last().map(String::as_str), Some("  it"));
}

#[test]
fn copy_helpers_find_the_latest_answer_and_code_block() {
    let mut h = History::new();
    assert_eq!(h.last_code_block(), None);
    h.apply(&Event::AssistantMessage {
        text: "Try:\n```sh\ncargo test\n```\nor\n~~~\nmake\n~~~".into(),
    });
    h.apply(&Event::AssistantMessage {
        text: "No code here.".into(),
    });
    assert_eq!(h.last_code_block().as_deref(), Some("make"));
    assert_eq!(h.last_assistant_text(), Some("No code here."));
    h.apply(&Event::TextDelta("```rust\nfn main() {}\n".into()));
    assert_eq!(h.last_code_block().as_deref(), Some("fn main() {}"));
    assert_eq!(
        last_fenced_block("````\n```\ninner\n```\n````").as_deref(),
        Some("```\ninner\n```")
    );
}

#[test]
fn clear_forgets_everything() {
    let mut h = numbered(5);
    h.apply(&Event::PlanUpdated(vec![]));
    draw(&mut h, 20, 3);
    h.scroll_up(2);
    h.clear();
    assert_eq!(h.len_cells(), 0);
    assert!(h.is_following());
    assert!(h.last_plan().is_none());
    assert_eq!(screen(&mut h, 20, 3), "\n\n\n");
}

#[test]
fn a_pane_with_every_cell_type() {
    let mut h = History::new();
    let events = [
        Event::TaskStarted {
            text: "Make the parser accept tabs, and add a test for it.".into(),
        },
        Event::TurnStarted { turn: 1 },
        Event::ReasoningDelta("The tokenizer splits on spaces only.".into()),
        Event::Reasoning {
            text: "The tokenizer splits on spaces only.".into(),
        },
        Event::AssistantMessage {
            text: "I will read the tokenizer first.".into(),
        },
        Event::PlanUpdated(vec![
            PlanStep {
                step: "Read the tokenizer".into(),
                status: StepStatus::Completed,
            },
            PlanStep {
                step: "Treat tabs as whitespace".into(),
                status: StepStatus::InProgress,
            },
            PlanStep {
                step: "Add a test".into(),
                status: StepStatus::Pending,
            },
        ]),
        tool_call("t1", "read", "src/parser.rs"),
        tool_result("t1", true, "fn tokenize() {}", None, 2),
        tool_call("t2", "edit", "src/parser.rs"),
        Event::ApprovalRequest {
            id: "t2".into(),
            name: "edit".into(),
            summary: "src/parser.rs".into(),
            input: json!({}),
            reason: None,
            always: vec![],
        },
        tool_call("t3", "shell", "cargo test --lib parser"),
        Event::ToolOutputDelta {
            id: "t3".into(),
            bytes: b"running 3 tests\r\ntest a ... ok\r\ntest b ... \x1b[31mFAILED\x1b[0m\r\n[##  ] 2/3\r\x1b[K[###] 3/3"
                .to_vec(),
        },
        tool_call("t4", "shell", "cargo fmt --check"),
        tool_result("t4", false, "Diff in src/parser.rs", Some(1), 812),
        Event::Retrying {
            attempt: 1,
            delay: Duration::from_millis(500),
            reason: "overloaded".into(),
        },
        Event::Error {
            message: "the model call failed twice; press r to retry".into(),
        },
        Event::TaskComplete {
            status: TaskStatus::Ok,
            turns: 3,
            total: Usage {
                input_tokens: 4_200,
                output_tokens: 380,
                ..Usage::default()
            },
            last_message: None,
        },
    ];
    for e in &events {
        h.apply(e);
    }
    h.push_notice("handed to Run", NoticeKind::Info);
    insta::assert_snapshot!(screen(&mut h, 80, 30));
    h.toggle_reasoning();
    h.toggle_last_tool();
    h.scroll_to_top();
    insta::assert_snapshot!("every_cell_type_expanded", screen(&mut h, 80, 30));
}

#[test]
fn hook_outcomes_are_notices() {
    let mut h = History::new();
    h.apply(&Event::Hook {
        event: "pre_tool_use".into(),
        command: "./guard.sh".into(),
        tool: Some("shell".into()),
        outcome: HookOutcome::Blocked {
            reason: "no rm".into(),
        },
    });
    h.apply(&Event::Hook {
        event: "session_start".into(),
        command: "git status -s".into(),
        tool: None,
        outcome: HookOutcome::AddedContext { bytes: 42 },
    });
    assert_eq!(
        rows(&mut h, 80, 10),
        [
            "! hook pre_tool_use blocked shell: no rm; the tool did not run",
            "· hook session_start added 42 bytes of context for the model"
        ]
    );
}
