//! Reading a session transcript back (what a resume does). Target: well
//! under 100 ms for a session of 5,000 events with realistic payloads
//! (text deltas, tool calls, tool results of a few KB, model messages).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::agent::Event;
use tandem::provider::{AssistantPart, Message, ToolCall};
use tandem::store::{Transcript, load};

const EVENTS: usize = 5000;

/// A few KB of tool output, like a `cargo test` run or a file read.
fn output(i: usize) -> String {
    (0..60)
        .map(|l| format!("{i:05}:{l:02}  test module::case_{l} ... ok \"quoted\"\tand tabs\n"))
        .collect()
}

fn bench_load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Transcript::create(dir.path(), "bench", Path::new("/work/project")).expect("create");
    let mut written = 0;
    let mut turn = 0;
    while written < EVENTS {
        turn += 1;
        let pane = if turn % 2 == 0 { "chat" } else { "run" };
        t.message(
            pane,
            &Message::User {
                text: format!("task {turn}: fix the failing test"),
            },
        );
        for d in 0..30 {
            t.event(pane, &Event::TextDelta(format!("word{d} of the answer ")));
            written += 1;
        }
        let id = format!("call_{turn}");
        let input = serde_json::json!({"command": "cargo test --lib", "timeout_ms": 60000});
        t.event(
            pane,
            &Event::ToolCall {
                id: id.clone(),
                name: "shell".into(),
                input: input.clone(),
                summary: "cargo test --lib".into(),
            },
        );
        let out = output(turn);
        t.event(
            pane,
            &Event::ToolResult {
                id: id.clone(),
                name: "shell".into(),
                ok: true,
                output: out.clone(),
                exit_code: Some(0),
                duration: Duration::from_millis(1234),
            },
        );
        written += 2;
        t.message(
            pane,
            &Message::Assistant {
                parts: vec![
                    AssistantPart::Text {
                        text: "Running the tests.".into(),
                    },
                    AssistantPart::ToolCall(ToolCall {
                        id: id.clone(),
                        name: "shell".into(),
                        arguments: input.to_string(),
                    }),
                ],
            },
        );
        t.message(
            pane,
            &Message::ToolResult {
                call_id: id,
                output: out,
                is_error: false,
            },
        );
        t.turn_boundary();
    }
    t.close();
    let size = std::fs::metadata(t.path()).expect("transcript").len();
    eprintln!(
        "transcript: {written} events, {turn} turns, {} KiB",
        size / 1024
    );
    let loaded = load(t.path()).expect("loads");
    assert_eq!(
        loaded.panes.values().map(|p| p.events.len()).sum::<usize>(),
        written
    );

    c.bench_function("transcript_load_5000_events", |b| {
        b.iter(|| black_box(load(black_box(t.path())).expect("loads")))
    });
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
