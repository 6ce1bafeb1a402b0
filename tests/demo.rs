//! `tandem demo`: the whole story played in the real workbench (the built
//! binary in a PTY, the screen read through `vt100`), and the same story
//! printed headless.

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/pty.rs"]
mod pty;
use pty::{BIN, Tui, WAIT};

/// Waits until the screens shown so far contain each of `milestones`, in
/// this order (a later one on the same screen or a later screen): the demo
/// moves on faster than a test can look at the screen.
fn wait_in_order(tui: &Tui, milestones: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let frames = tui.frames.lock().unwrap().clone();
        let mut at = 0;
        let mut missing = None;
        for milestone in milestones {
            match frames[at..].iter().position(|f| f.contains(milestone)) {
                Some(i) => at += i,
                None => {
                    missing = Some(*milestone);
                    break;
                }
            }
        }
        let Some(missing) = missing else { return };
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {missing:?} (after the milestones before it); the screen:\n{}",
                tui.contents()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_demo_plays_the_whole_story_in_the_workbench_and_q_quits() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(
        home.path(),
        home.path(),
        &[],
        &["demo", "--speed", "15"],
        140,
        44,
    );
    wait_in_order(&tui, &["This is the Tandem demo", "Esc take over"]);
    // The viewer resizes the terminal while it plays: the story goes on.
    tui.resize(130, 42);
    wait_in_order(
        &tui,
        &[
            // Chat reads, plans and asks; the demo says yes with the handoff key.
            "☐ slug.sh: one dash per run",
            "Shall I hand this to Run?",
            "Alt-H — hand Chat's plan to Run",
            "handed to Run",
            // Run: the tests fail, two files are patched, the tests pass.
            "✗ shell sh test.sh  exit 1",
            "✓ apply_patch M slug.sh, M post.sh",
            "✓ shell sh test.sh",
            "All five cases pass",
            // The diff viewer on Run's changes, scrolled.
            "Ctrl-G — open the diff viewer",
            "\"$(slug \"$1\")\"",
            "n — next hunk",
            "] — next file",
            "s/[^a-z0-9][^a-z0-9]*/-/g",
            // Chat reviews them, with findings at file:line.
            "/review sends Run's diff to Chat",
            "1. slug.sh:5",
            "That is the story",
            "q quit · any other key",
        ],
    );
    // The quota meter moved for both panes: tokens and a cost.
    let screen = tui.contents();
    let status = screen.lines().last().unwrap_or("");
    assert!(
        status.contains("k tok $0.0")
            && !status.contains("Chat 0 tok")
            && !status.contains("Run 0 tok"),
        "{status}"
    );
    tui.send("q");
    assert!(tui.wait_exit(), "q quits with 0");
    let screen = tui.screen.lock().unwrap();
    assert!(
        !screen.screen().alternate_screen(),
        "the terminal is restored to the main screen"
    );
}

#[test]
fn esc_hands_the_workbench_to_the_user() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(home.path(), home.path(), &[], &["demo"], 120, 40);
    tui.wait_text("This is the Tandem demo");
    tui.send(" ");
    tui.wait_text("demo · paused");
    tui.send("\x1b");
    tui.wait_text("the demo stopped: the workbench is yours");
    tui.wait_for("the caption gone", |s| !s.contents().contains("demo ·"));
    // From here keys work as usual: a command typed into Chat runs.
    tui.type_line("/mcp");
    tui.wait_text("No MCP servers configured");
    // Nothing was typed by the demo meanwhile.
    assert!(!tui.contents().contains("The slug and post tests fail"));
}

#[test]
fn headless_demo_prints_the_story_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["demo", "--headless", "--speed", "40"])
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env("TANDEM_HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let milestones = [
        "Chat: the user asks",
        "Shall I hand this to Run?",
        "Handed to Run",
        "Carry out this plan, agreed in the Chat pane",
        "✗ shell sh test.sh (exit 1",
        "✓ apply_patch M slug.sh, M post.sh",
        "✓ shell sh test.sh",
        "2 files changed: slug.sh +1 -1, post.sh +1 -1",
        "+    printf 'posts/%s-%s.md\\n' \"$2\" \"$(slug \"$1\")\"",
        "Chat reviews Run's changes",
        "`slug.sh:5`",
        "The end",
    ];
    let mut from = 0;
    for milestone in milestones {
        match stdout[from..].find(milestone) {
            Some(at) => from += at + milestone.len(),
            None => panic!("{milestone:?} missing or out of order in:\n{stdout}"),
        }
    }
}

#[test]
fn demo_without_a_terminal_prints_the_story_with_a_note() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["demo", "--speed", "40"])
        .env("TANDEM_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a terminal"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Handed to Run"));
}
