//! The usage ledger across processes and the `tandem usage` command, run as
//! a user would: real SQLite files in temp dirs, real child processes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tandem::provider::Usage;
use tandem::quota::meter::MeterOptions;
use tandem::quota::{BudgetConfig, Ledger, LedgerError, Meter, PriceTable, UsageRecord};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");
const CHILD_DB: &str = "TANDEM_QUOTA_TEST_DB";
const CHILD_ID: &str = "TANDEM_QUOTA_TEST_WRITER";
const ROWS_PER_WRITER: u64 = 1000;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn record(time: i64, provider: &str, model: &str, usage: Usage, cost: Option<f64>) -> UsageRecord {
    UsageRecord {
        time,
        session_id: "test".into(),
        pane: "run".into(),
        provider: provider.into(),
        model: model.into(),
        usage,
        cost_usd: cost,
        request_id: None,
        duration_ms: 10,
    }
}

fn tokens(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

/// Not a test of its own: the body of the writer processes that
/// `two_processes_writing_at_once_lose_nothing` starts.
#[test]
#[ignore = "run by two_processes_writing_at_once_lose_nothing as a child process"]
fn child_writer() {
    let (Some(db), Some(id)) = (std::env::var_os(CHILD_DB), std::env::var_os(CHILD_ID)) else {
        return;
    };
    let id: u64 = id.to_str().unwrap().parse().unwrap();
    let mut ledger = Ledger::open(Path::new(&db)).unwrap();
    for i in 0..ROWS_PER_WRITER {
        let mut r = record(now(), "p", "m", tokens(1, id), Some(0.001));
        r.session_id = format!("writer-{id}");
        r.request_id = Some(format!("{id}-{i}"));
        // One transaction per row, so the two writers interleave.
        ledger.insert(&[r]).unwrap();
    }
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Ledger::path_in(&dir.path().join("state"));
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = [1, 2]
        .into_iter()
        .map(|id| {
            Command::new(&exe)
                .args(["--exact", "child_writer", "--nocapture", "--ignored"])
                .env(CHILD_DB, &db)
                .env(CHILD_ID, id.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ledger = Ledger::open(&db).unwrap();
    let totals = ledger.totals(0, i64::MAX).unwrap();
    assert_eq!(totals.calls, 2 * ROWS_PER_WRITER);
    assert_eq!(ledger.count().unwrap(), 2 * ROWS_PER_WRITER);
    assert_eq!(totals.input_tokens, 2 * ROWS_PER_WRITER);
    // Writer 1 wrote output 1 per row, writer 2 output 2.
    assert_eq!(totals.output_tokens, 3 * ROWS_PER_WRITER);
    assert!((totals.cost_usd - 2.0).abs() < 1e-9, "{}", totals.cost_usd);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let distinct: i64 = conn
        .query_row("SELECT COUNT(DISTINCT request_id) FROM usage", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(distinct as u64, 2 * ROWS_PER_WRITER);
}

#[test]
fn a_lock_held_past_the_busy_timeout_fails_clearly_and_the_meter_waits_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = Ledger::path_in(dir.path());
    let mut ledger = Ledger::open(&db).unwrap();
    ledger.set_busy_timeout(Duration::from_millis(200)).unwrap();
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let err = ledger
        .insert(&[record(now(), "openai", "gpt-5", tokens(1, 1), Some(0.1))])
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, LedgerError::Query { .. }), "{text}");
    assert!(text.contains("locked by another process"), "{text}");
    assert!(text.contains("0.2 s"), "{text}");
    assert!(text.contains("try again"), "{text}");

    let options = MeterOptions {
        busy_timeout: Duration::from_millis(200),
        retry_every: Duration::from_millis(100),
        refresh_every: Duration::from_millis(100),
    };
    let meter = Meter::open_with(
        dir.path(),
        "locked",
        PriceTable::new(&Default::default()),
        BudgetConfig::default(),
        options,
    );
    for _ in 0..3 {
        meter.record(
            "chat",
            "openai",
            "gpt-5",
            &tokens(100, 10),
            None,
            Duration::ZERO,
        );
    }
    meter.flush();
    let problem = meter.problem().expect("the lock is reported");
    assert!(problem.contains("locked by another process"), "{problem}");
    assert_eq!(meter.queued(), 3);
    assert_eq!(meter.session_totals().calls, 3);

    holder.execute_batch("COMMIT").unwrap();
    meter.flush();
    assert_eq!(meter.problem(), None);
    assert_eq!(meter.queued(), 0);
    assert_eq!(ledger.count().unwrap(), 3);
}

/// A `tandem` command with a private home, in UTC so dates are fixed.
fn tandem(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env("TANDEM_HOME", home)
        .env("TZ", "UTC")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("tandem runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A home whose ledger holds a priced and an unpriced call now and one
/// call long ago.
fn home_with_usage() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&Ledger::path_in(&home.path().join("state"))).unwrap();
    let mut chat = record(now(), "openai", "gpt-5", tokens(1000, 200), Some(1.25));
    chat.pane = "chat".into();
    ledger
        .insert(&[
            chat,
            record(now(), "ollama", "qwen", tokens(50, 5), None),
            record(86_400 * 365, "openai", "gpt-5", tokens(9, 9), Some(100.0)),
        ])
        .unwrap();
    home
}

#[test]
fn usage_prints_json_for_scripts() {
    let home = home_with_usage();
    let out = tandem(home.path(), &["usage", "--since", "2001-01-01", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["since"], "2001-01-01");
    assert_eq!(json["by"], "model");
    let keys: Vec<&str> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["openai · gpt-5", "ollama · qwen"]);
    assert_eq!(json["groups"][0]["totals"]["input_tokens"], 1000);
    assert_eq!(json["total"]["calls"], 2);
    assert_eq!(json["total"]["cost_usd"], 1.25);
    assert_eq!(json["total"]["unpriced_calls"], 1);

    // Everything since 1970 includes the old call; by pane groups apart.
    let out = tandem(
        home.path(),
        &["usage", "--since", "1970-01-02", "--by", "pane", "--json"],
    );
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["total"]["calls"], 3);
    let keys: Vec<&str> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["run", "chat"]);
}

#[test]
fn usage_prints_a_table_of_this_month_by_default() {
    let home = home_with_usage();
    let out = tandem(home.path(), &["usage"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Usage since "), "{text}");
    assert!(lines[0].ends_with("-01"), "{text}");
    assert!(
        lines[1].starts_with("model") && lines[1].contains("cache write"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("openai · gpt-5") && lines[2].ends_with("$1.25"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("ollama · qwen") && lines[3].ends_with("unknown"),
        "{text}"
    );
    let total = lines.last().unwrap();
    assert!(total.starts_with("total"), "{text}");
    assert!(total.ends_with("$1.25 + 1 unpriced call"), "{text}");

    let out = tandem(
        home.path(),
        &["usage", "--by", "day", "--since", "1970-01-02"],
    );
    let text = stdout(&out);
    assert!(text.contains("\n1971-01-01 "), "{text}");
}

#[test]
fn usage_with_no_ledger_is_empty_and_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = tandem(home.path(), &["usage", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["total"]["calls"], 0);
    assert_eq!(json["groups"], Value::Array(vec![]));
    assert!(!home.path().join("state").exists());
}

#[test]
fn usage_of_an_unreadable_ledger_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("state")).unwrap();
    std::fs::write(
        Ledger::path_in(&home.path().join("state")),
        vec![0xffu8; 4096],
    )
    .unwrap();
    let out = tandem(home.path(), &["usage"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("usage.sqlite3"), "{err}");
    assert!(err.contains("move the file aside"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_refuses_a_date_it_cannot_read() {
    let home = tempfile::tempdir().unwrap();
    let out = tandem(home.path(), &["usage", "--since", "last week"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
}
