//! The diff viewer on a big review: a 20,000-line Rust-like file with
//! 2,000 changed spots. Targets: the first frame (snapshot in, rows built,
//! visible hunks highlighted, 160×48 drawn) under 150 ms; one `j` and the
//! redraw under 4 ms.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tandem::diff::{DiffOptions, diff_modified};
use tandem::tui::diffview::DiffViewer;
use tandem::tui::theme::{ColorDepth, Theme};
use tandem::workspace::review::{FileOrigin, ReviewFile, ReviewMode, ReviewSnapshot};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
const LINES: usize = 20_000;

/// The review of one big file where every tenth line changed.
fn big_review() -> Arc<ReviewSnapshot> {
    let mut old = String::new();
    let mut new = String::new();
    for i in 0..LINES {
        let line = format!("    let value_{i} = compute({i}, \"text {i}\"); // step {i}\n");
        old.push_str(&line);
        if i % 10 == 5 {
            new.push_str(&format!(
                "    let value_{i} = compute_fast({i}, \"text {i}\");\n"
            ));
        } else {
            new.push_str(&line);
        }
    }
    let diff = diff_modified(
        "src/big.rs",
        old.as_bytes(),
        new.as_bytes(),
        &DiffOptions::default(),
    );
    assert_eq!(diff.hunks.len(), 2_000);
    Arc::new(ReviewSnapshot {
        mode: ReviewMode::Plain,
        files: vec![ReviewFile {
            diff,
            origins: vec![FileOrigin {
                pane: "run".into(),
                turn: 1,
                tool: Some("edit_file".into()),
                external: false,
                checkpoint: "c1".into(),
            }],
            reviewed: false,
        }],
        coarse: false,
        truncated: false,
    })
}

fn bench_diffview(c: &mut Criterion) {
    let theme = Theme::built_in("dark", ColorDepth::TrueColor).expect("built-in theme");
    let area = Rect::new(0, 0, WIDTH, HEIGHT);
    let mut buf = Buffer::empty(area);
    let review = big_review();
    let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    let g = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE);
    let v = KeyEvent::new(KeyCode::Char('v'), KeyModifiers::NONE);

    let mut group = c.benchmark_group("diffview");
    group.bench_function("first_frame_160x48_20k_lines_2k_hunks", |b| {
        b.iter(|| {
            let mut viewer = DiffViewer::new();
            viewer.set_snapshot(review.clone());
            viewer.render_buffer(area, &mut buf, &theme);
            black_box(&buf);
        })
    });

    for side_by_side in [false, true] {
        let mut viewer = DiffViewer::new();
        viewer.set_snapshot(review.clone());
        if side_by_side {
            viewer.handle_key(v);
        }
        viewer.render_buffer(area, &mut buf, &theme);
        let name = if side_by_side {
            "scroll_j_side_by_side_160x48"
        } else {
            "scroll_j_unified_160x48"
        };
        // Down a row per iteration, highlighting new hunks as they come
        // into view; back to the top now and then so the cursor moves.
        let mut presses = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                presses += 1;
                if presses.is_multiple_of(20_000) {
                    viewer.handle_key(g);
                }
                viewer.handle_key(j);
                viewer.render_buffer(area, &mut buf, &theme);
                black_box(&buf);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_diffview);
criterion_main!(benches);
