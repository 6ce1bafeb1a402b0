//! Checkpoint of a large, barely changed workspace. Target: under 150 ms for
//! the checkpoint after 10 of 20,000 small files changed (git's index stat
//! cache means only the changed files are read).
//!
//! The workspace is generated once; the first (full) checkpoint runs outside
//! the measurement and its duration is printed.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::workspace::{CheckpointLabel, CheckpointOptions, Checkpoints};

const FILES: usize = 20_000;
const CHANGED: usize = 10;

fn generate(root: &Path) {
    for i in 0..FILES {
        let dir = root.join(format!("d{:03}/s{:02}", i / 200, (i / 20) % 10));
        if i % 20 == 0 {
            fs::create_dir_all(&dir).unwrap();
        }
        fs::write(
            dir.join(format!("f{i}.rs")),
            format!("// file {i}\npub fn f{i}() -> usize {{\n    {i}\n}}\n"),
        )
        .unwrap();
    }
    fs::write(root.join(".gitignore"), "target/\n").unwrap();
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    generate(&ws);
    let cps =
        Checkpoints::open(&tmp.path().join("state"), &ws, CheckpointOptions::default()).unwrap();
    let label = |turn| CheckpointLabel {
        pane: "run".into(),
        turn,
        note: "bench".into(),
    };
    let start = Instant::now();
    let first = cps.checkpoint(&label(0)).unwrap();
    eprintln!(
        "first checkpoint of {} files: {:?}",
        first.changed.len(),
        start.elapsed()
    );
    assert_eq!(first.changed.len(), FILES + 1);

    let mut round = 0u32;
    let mut group = c.benchmark_group("checkpoint");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("20000 files, 10 changed", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                for k in 0..CHANGED {
                    let i = (round as usize * 37 + k * 1999) % FILES;
                    let path = ws.join(format!("d{:03}/s{:02}/f{i}.rs", i / 200, (i / 20) % 10));
                    fs::write(&path, format!("// edit {round}\npub fn f{i}() {{}}\n")).unwrap();
                }
                let start = Instant::now();
                let cp = cps.checkpoint(&label(round)).unwrap();
                total += start.elapsed();
                assert_eq!(cp.changed.len(), CHANGED);
            }
            total
        })
    });
    group.bench_function("20000 files, nothing changed", |b| {
        b.iter(|| cps.checkpoint(&label(0)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
