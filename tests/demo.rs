//! `tandem demo`: the whole story played in the real workbench (the built
//! binary in a PTY, the screen read through `vt100`), and the same story
//! printed headless.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");
const WAIT: Duration = Duration::from_secs(30);

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("a terminal has rows and columns")
}

/// A running `tandem` in a PTY, with its screen and every screen it
/// showed (the demo moves faster than a test can look at the screen).
struct Tui {
    child: Box<dyn Child + Send + Sync>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    screen: Arc<Mutex<vt100::Parser>>,
    frames: Arc<Mutex<Vec<String>>>,
}

/// Answers the cursor position and device attribute queries a real
/// terminal answers and `vt100` does not.
fn answer_queries(bytes: &[u8], parser: &vt100::Parser, writer: &Mutex<Box<dyn Write + Send>>) {
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let mut reply = String::new();
    if find(b"\x1b[6n") {
        let (row, col) = parser.screen().cursor_position();
        reply.push_str(&format!("\x1b[{};{}R", row + 1, col + 1));
    }
    if find(b"\x1b[c") || find(b"\x1b[0c") {
        reply.push_str("\x1b[?62;22c");
    }
    if !reply.is_empty() {
        let mut w = writer.lock().unwrap();
        let _ = w.write_all(reply.as_bytes());
        let _ = w.flush();
    }
}

/// The environment of a user with no key and no provider settings.
fn clean(cmd: &mut CommandBuilder, home: &Path) {
    for var in [
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env("TANDEM_HOME", home);
}

impl Tui {
    fn start(home: &Path, args: &[&str], cols: u16, rows: u16) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a PTY");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(home);
        clean(&mut cmd, home);
        let child = pair.slave.spawn_command(cmd).expect("tandem starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let frames = Arc::new(Mutex::new(Vec::new()));
        let sink = screen.clone();
        let log = frames.clone();
        let replies = writer.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut parser = sink.lock().unwrap();
                parser.process(&buf[..n]);
                answer_queries(&buf[..n], &parser, &replies);
                let contents = parser.screen().contents();
                let mut log = log.lock().unwrap();
                if log.last() != Some(&contents) {
                    log.push(contents);
                }
            }
        });
        Tui {
            child,
            writer,
            screen,
            frames,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `pred`, or fails with the screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if pred(self.screen.lock().unwrap().screen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "timed out waiting for {what}; the screen:\n{}",
            self.contents()
        );
    }

    /// Waits until the screens shown so far contain each of `milestones`,
    /// in this order (a later one on the same screen or a later screen).
    fn wait_in_order(&self, milestones: &[&str]) {
        let deadline = Instant::now() + WAIT;
        loop {
            let frames = self.frames.lock().unwrap().clone();
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
                    self.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_text(&self, text: &str) {
        self.wait_for(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    fn send(&mut self, bytes: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Waits for the process to exit; returns its exit code.
    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(150));
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("tandem did not exit; the screen:\n{}", self.contents());
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn the_demo_plays_the_whole_story_in_the_workbench_and_q_quits() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(home.path(), &["demo", "--speed", "15"], 140, 44);
    tui.wait_in_order(&[
        "This is the Tandem demo",
        "Esc take over",
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
    ]);
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
    assert_eq!(tui.wait_exit(), 0, "q quits with 0");
    let screen = tui.screen.lock().unwrap();
    assert!(
        !screen.screen().alternate_screen(),
        "the terminal is restored to the main screen"
    );
}

#[test]
fn esc_hands_the_workbench_to_the_user() {
    let home = tempfile::tempdir().unwrap();
    let mut tui = Tui::start(home.path(), &["demo"], 120, 40);
    tui.wait_text("This is the Tandem demo");
    tui.send(" ");
    tui.wait_text("demo · paused");
    tui.send("\x1b");
    tui.wait_text("the demo stopped: the workbench is yours");
    tui.wait_for("the caption gone", |s| !s.contents().contains("demo ·"));
    // From here keys work as usual: they land in Chat's composer.
    tui.send("hello there");
    tui.wait_text("hello there");
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
