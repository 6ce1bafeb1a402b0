//! Diff benchmarks: a 20,000-line file with 2,000 scattered changed hunks
//! (word-level emphasis included), and a pathological input under a 50 ms
//! deadline.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::diff::{DiffOptions, diff_texts};

fn scattered() -> (String, String) {
    let mut old = String::new();
    let mut new = String::new();
    for i in 0..20_000 {
        let line = format!(
            "    let value_{i} = compute(input_{i}, {}, \"text\");\n",
            i % 97
        );
        old.push_str(&line);
        if i % 10 == 5 {
            new.push_str(&line.replace("compute", "evaluate"));
        } else {
            new.push_str(&line);
        }
    }
    (old, new)
}

fn pathological() -> (String, String) {
    // Few distinct lines in shifted orders: many equal candidates for Myers.
    let old: String = (0..20_000).map(|i| format!("{}\n", (i * 7) % 11)).collect();
    let new: String = (0..20_000).map(|i| format!("{}\n", (i * 5) % 13)).collect();
    (old, new)
}

fn bench(c: &mut Criterion) {
    let (old, new) = scattered();
    let opts = DiffOptions::default();
    let hunks = diff_texts(old.as_bytes(), new.as_bytes(), &opts)
        .hunks
        .len();
    assert_eq!(hunks, 2_000);
    c.bench_function("diff 20k lines, 2000 hunks, emphasis", |b| {
        b.iter(|| diff_texts(black_box(old.as_bytes()), black_box(new.as_bytes()), &opts))
    });
    let (old, new) = pathological();
    c.bench_function("diff pathological, 50 ms deadline", |b| {
        b.iter(|| {
            let opts = DiffOptions {
                deadline: Some(Instant::now() + Duration::from_millis(50)),
                ..DiffOptions::default()
            };
            diff_texts(black_box(old.as_bytes()), black_box(new.as_bytes()), &opts)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
