//! `@` file completion: fuzzy-matching 100,000 workspace paths, as happens
//! on every keystroke while the popup is open. The target is under 10 ms.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::tui::composer::{FileIndex, POPUP_ITEMS};

/// A monorepo-like tree: crates, nested modules, a few non-ASCII names.
fn paths() -> Vec<String> {
    let dirs = ["src", "tests", "benches", "examples", "docs/guide"];
    (0..100_000)
        .map(|i| {
            let name = if i % 501 == 0 { "größe" } else { "file" };
            format!(
                "crates/crate_{}/{}/module_{}/{name}_{i}.rs",
                i % 97,
                dirs[i % dirs.len()],
                i % 1013
            )
        })
        .collect()
}

fn matching(c: &mut Criterion) {
    let index = FileIndex::from_paths(paths());
    let mut group = c.benchmark_group("file_completion_100k");
    for query in ["", "m", "mod12", "crate_5/src/file_77", "Größe", "zzzzqq"] {
        group.bench_function(format!("query {query:?}"), |b| {
            b.iter(|| black_box(index.search(black_box(query), POPUP_ITEMS)))
        });
    }
    group.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
