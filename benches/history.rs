//! Frame rendering of a pane's history. Target: under 2 ms per 200×50
//! frame of a 100,000-line history, wherever it is scrolled, and a cheap
//! frame while an answer streams in (only the streaming cell re-renders).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::json;
use tandem::agent::Event;
use tandem::tui::history::History;
use tandem::tui::theme::{ColorDepth, Theme};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
const TARGET_LINES: usize = 100_000;

/// One task's worth of events: a question, reasoning, a markdown answer
/// with a list and a code block, and a few tool calls.
fn task(i: usize) -> Vec<Event> {
    let answer = format!(
        "## Step {i}\n\nThe parser in `src/parser.rs` splits on spaces only, so tabs end up inside \
         tokens. I will change the tokenizer and add a test.\n\n\
         - read the tokenizer\n- treat tabs as whitespace\n- add a regression test\n\n\
         ```rust\nfn tokenize(s: &str) -> Vec<&str> {{\n    s.split_whitespace().collect()\n}}\n```\n\n\
         That keeps the public API unchanged; callers need no update."
    );
    let mut events = vec![
        Event::TaskStarted {
            text: format!("task {i}: make the parser accept tabs and add a test for it"),
        },
        Event::TurnStarted { turn: 1 },
        Event::Reasoning {
            text: "The tokenizer uses split(' '); split_whitespace fixes it.".into(),
        },
        Event::AssistantMessage { text: answer },
    ];
    for (n, (name, summary)) in [
        ("read", "src/parser.rs"),
        ("edit", "src/parser.rs"),
        ("shell", "cargo test --lib parser"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("call-{i}-{n}");
        events.push(Event::ToolCall {
            id: id.clone(),
            name: name.into(),
            input: json!({ "arg": summary }),
            summary: summary.into(),
        });
        events.push(Event::ToolResult {
            id,
            name: name.into(),
            ok: true,
            output: "ok".into(),
            exit_code: None,
            duration: Duration::from_millis(120),
        });
    }
    events
}

/// A history of at least [`TARGET_LINES`] lines at [`WIDTH`].
fn big_history(theme: &Theme) -> (History, usize) {
    let mut h = History::new();
    for e in task(0) {
        h.apply(&e);
    }
    let per_task = h.line_count(WIDTH, theme);
    for i in 1..TARGET_LINES.div_ceil(per_task) {
        for e in task(i) {
            h.apply(&e);
        }
    }
    let lines = h.line_count(WIDTH, theme);
    assert!(lines >= TARGET_LINES, "{lines} lines");
    (h, lines)
}

fn bench_history(c: &mut Criterion) {
    let theme = Theme::built_in("dark", ColorDepth::TrueColor).expect("built-in theme");
    let area = Rect::new(0, 0, WIDTH, HEIGHT);
    let mut buf = Buffer::empty(area);
    let (mut h, lines) = big_history(&theme);
    eprintln!("history: {lines} lines in {} cells", h.len_cells());

    let mut group = c.benchmark_group("history");
    group.bench_function("frame_200x50_100k_lines_bottom", |b| {
        b.iter(|| {
            h.render(area, &mut buf, &theme);
            black_box(&buf);
        })
    });

    h.scroll_to_top();
    h.scroll_down(lines / 2);
    assert!(!h.is_following());
    group.bench_function("frame_200x50_100k_lines_middle", |b| {
        b.iter(|| {
            h.render(area, &mut buf, &theme);
            black_box(&buf);
        })
    });

    // Every frame at a new width: the visible cells are rendered afresh.
    let mut narrow = false;
    group.bench_function("frame_200x50_100k_lines_middle_after_resize", |b| {
        b.iter(|| {
            narrow = !narrow;
            let area = Rect::new(0, 0, if narrow { WIDTH - 1 } else { WIDTH }, HEIGHT);
            h.render(area, &mut buf, &theme);
            black_box(&buf);
        })
    });

    h.scroll_to_bottom();
    h.apply(&Event::TaskStarted {
        text: "one more".into(),
    });
    h.apply(&Event::TurnStarted { turn: 1 });
    let mut deltas = 0usize;
    group.bench_function("stream_20_chars_then_frame_200x50", |b| {
        b.iter(|| {
            // A new answer every 200 deltas (4 KB), a paragraph every 20.
            deltas += 1;
            if deltas.is_multiple_of(200) {
                h.apply(&Event::TurnStarted { turn: 1 });
            }
            let delta = if deltas.is_multiple_of(20) {
                "end.\n\nAnd then, ok "
            } else {
                "twenty chars of it. "
            };
            h.apply(&Event::TextDelta(delta.to_string()));
            h.render(area, &mut buf, &theme);
            black_box(&buf);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_history);
criterion_main!(benches);
