//! Totals of the usage ledger. Target: under 50 ms for today's and for this
//! month's totals of a ledger of 1,000,000 calls spread over 60 days (the
//! quota view and budget refreshes run these).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::provider::Usage;
use tandem::quota::{Ledger, UsageRecord, clock};

const ROWS: u64 = 1_000_000;
const DAYS: i64 = 60;
const BATCH: u64 = 100_000;

/// Call `i` of the synthetic history: evenly spread over the last 60 days,
/// three models, two panes, one in ten unpriced.
fn call(i: u64, now: i64) -> UsageRecord {
    let span = DAYS * 86_400;
    let time = now - span + (i as i64 * span) / ROWS as i64;
    let model = ["claude-sonnet-4-5", "gpt-5", "local-model"][(i % 3) as usize];
    UsageRecord {
        time,
        session_id: format!("session-{}", i / 500),
        pane: if i.is_multiple_of(2) { "chat" } else { "run" }.into(),
        provider: "bench".into(),
        model: model.into(),
        usage: Usage {
            input_tokens: 1000 + i % 700,
            output_tokens: 200 + i % 300,
            cache_read_tokens: 5000 + i % 2000,
            cache_write_tokens: i % 400,
            reasoning_tokens: i % 100,
        },
        cost_usd: (!i.is_multiple_of(10)).then_some(0.01 + (i % 7) as f64 * 0.001),
        request_id: Some(format!("req_{i:08}")),
        duration_ms: 1500 + i % 1000,
    }
}

fn bench_totals(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = Ledger::path_in(dir.path());
    let mut ledger = Ledger::open(&path).expect("ledger opens");
    let now = clock::now();
    let started = Instant::now();
    for start in (0..ROWS).step_by(BATCH as usize) {
        let batch: Vec<_> = (start..start + BATCH).map(|i| call(i, now)).collect();
        ledger.insert(&batch).expect("bulk insert");
    }
    eprintln!(
        "ledger: {ROWS} rows over {DAYS} days inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (day, next_day) = (clock::day_start(now), clock::next_day_start(now));
    let (month, next_month) = (clock::month_start(now), clock::next_month_start(now));
    eprintln!(
        "ledger: today holds {} calls, this month {}",
        ledger.totals(day, next_day).unwrap().calls,
        ledger.totals(month, next_month).unwrap().calls
    );

    let mut group = c.benchmark_group("ledger_totals_1m_rows");
    group.bench_function("today", |b| {
        b.iter(|| black_box(ledger.totals(black_box(day), next_day).unwrap()))
    });
    group.bench_function("this_month", |b| {
        b.iter(|| black_box(ledger.totals(black_box(month), next_month).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_totals);
criterion_main!(benches);
