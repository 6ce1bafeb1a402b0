//! Session transcripts as a user meets them: `tandem sessions` through the
//! built binary, and a process killed with SIGKILL mid-session.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tandem::agent::Event;
use tandem::provider::{Message, Usage};
use tandem::quota::{Ledger, UsageRecord};
use tandem::store::{self, Transcript};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");
const CHILD_STATE: &str = "TANDEM_SESSIONS_TEST_STATE";
const TURNS: u32 = 5000;
const DELTAS_PER_TURN: u32 = 20;

fn sessions(home: &Path, json: bool) -> (String, String, bool) {
    let mut cmd = Command::new(BIN);
    cmd.arg("sessions").env("TANDEM_HOME", home);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

#[test]
fn sessions_lists_newest_first_with_prompt_and_cost() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let (text, err, ok) = sessions(home.path(), false);
    assert!(ok, "{err}");
    assert!(text.contains("No sessions recorded yet"), "{text}");

    let older = Transcript::create(&state, "aaa-older", Path::new("/work/alpha")).unwrap();
    older.user_prompt("chat", "Explain the parser\nin detail please");
    older.close();
    std::thread::sleep(Duration::from_millis(5));
    let newer = Transcript::create(&state, "bbb-newer", Path::new("/work/beta")).unwrap();
    newer.user_prompt("run", "run the tests");
    newer.close();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut ledger = Ledger::open(&Ledger::path_in(&state)).unwrap();
    let call = |session: &str, cost: Option<f64>| UsageRecord {
        time: now,
        session_id: session.into(),
        pane: "chat".into(),
        provider: "anthropic".into(),
        model: "m".into(),
        usage: Usage::default(),
        cost_usd: cost,
        request_id: None,
        duration_ms: 10,
    };
    ledger
        .insert(&[
            call("aaa-older", Some(1.25)),
            call("aaa-older", Some(0.5)),
            call("someone-else", Some(9.0)),
        ])
        .unwrap();

    let (text, err, ok) = sessions(home.path(), false);
    assert!(ok, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("started"), "{text}");
    assert!(lines[1].contains("/work/beta"), "{text}");
    assert!(lines[1].contains("run the tests"), "{text}");
    assert!(lines[1].contains(" - "), "no calls shows no cost: {text}");
    assert!(lines[1].ends_with("bbb-newer"), "{text}");
    assert!(
        lines[2].contains("Explain the parser in detail please"),
        "{text}"
    );
    assert!(lines[2].contains("$1.75"), "{text}");

    let (json, err, ok) = sessions(home.path(), true);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, ["bbb-newer", "aaa-older"]);
    assert_eq!(list[1]["calls"], 2);
    assert_eq!(list[1]["cost_usd"], 1.75);
    assert_eq!(list[1]["ended"], true);
    assert_eq!(
        list[1]["first_prompt"],
        "Explain the parser\nin detail please"
    );
    assert_eq!(list[0]["path"], newer.path().to_str().unwrap());
}

#[test]
fn sessions_reports_a_broken_database_and_fails() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(Ledger::path_in(&state), vec![b'x'; 4096]).unwrap();
    let (_, err, ok) = sessions(home.path(), false);
    assert!(!ok);
    assert!(err.contains("usage.sqlite3"), "{err}");
    assert!(err.contains("move the file aside"), "{err}");
}

/// Not a test of its own: the session process that
/// `a_killed_process_keeps_every_turn_it_flushed` kills. Prints the number
/// of each turn once its boundary was flushed.
#[test]
#[ignore = "run by a_killed_process_keeps_every_turn_it_flushed as a child process"]
fn child_session() {
    let Some(state) = std::env::var_os(CHILD_STATE) else {
        return;
    };
    let t = Transcript::create(Path::new(&state), "killed", Path::new("/w")).unwrap();
    for turn in 1..=TURNS {
        for d in 0..DELTAS_PER_TURN {
            t.event("chat", &Event::TextDelta(format!("turn {turn} delta {d} ")));
        }
        t.message(
            "chat",
            &Message::User {
                text: format!("turn {turn}"),
            },
        );
        t.turn_boundary();
        println!("{turn}");
        // Slow enough that the parent kills it long before the end.
        std::thread::sleep(Duration::from_millis(2));
    }
    t.close();
}

#[test]
fn a_killed_process_keeps_every_turn_it_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_session", "--nocapture", "--ignored"])
        .env(CHILD_STATE, &state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut flushed = 0u32;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Ok(n) = line.unwrap().trim().parse::<u32>() {
            flushed = n;
        }
        if flushed >= 20 {
            break;
        }
    }
    // SIGKILL: no destructor, no close, nothing flushed on the way out.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(flushed >= 20, "the child never got going");

    let loaded = store::load(&store::transcript_path(&state, "killed").unwrap()).unwrap();
    assert_eq!(loaded.ended, None);
    let chat = &loaded.panes["chat"];
    let turns = chat.messages.len() as u32;
    assert!(turns >= flushed, "{turns} turns on file, {flushed} flushed");
    assert!(turns < TURNS, "the child finished before it was killed");
    // What is there is exactly what was written, in order, up to the kill.
    for (i, m) in chat.messages.iter().enumerate() {
        assert_eq!(
            m,
            &Message::User {
                text: format!("turn {}", i + 1)
            }
        );
    }
    let deltas = chat.events.len() as u32;
    assert!(deltas >= flushed * DELTAS_PER_TURN, "{deltas} deltas");
    for (i, e) in chat.events.iter().enumerate() {
        let i = i as u32;
        let expected = format!(
            "turn {} delta {} ",
            i / DELTAS_PER_TURN + 1,
            i % DELTAS_PER_TURN
        );
        assert_eq!(e.event["data"], expected.as_str());
    }
    let listed = store::index::list(&state).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].ended, "a killed session is not marked ended");
}
