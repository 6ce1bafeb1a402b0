//! The PTY harness of the end-to-end tests of the workbench (tests/tui.rs,
//! tests/host.rs, tests/demo.rs): the built `tandem` binary in a real PTY
//! with a private home, its screen read through `vt100` as a user would see
//! it, and every screen it showed kept for what was there only briefly.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The built `tandem` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tandem");
/// How long a test waits for something to appear on the screen: generous,
/// because CI runs these tests on a loaded two-core machine, and a wait
/// ends as soon as the screen is right.
pub const WAIT: Duration = Duration::from_secs(30);
/// How long, after tandem exited, the reader may take to reach the end of
/// its output.
const DRAIN: Duration = Duration::from_secs(5);

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("a terminal has rows and columns")
}

/// A running `tandem` in a PTY, with its screen.
pub struct Tui {
    /// The tandem process (a test may kill it).
    pub child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    /// The emulated screen, for checks beyond text (cursor, modes).
    pub screen: Arc<Mutex<vt100::Parser>>,
    /// Every screen shown so far as text, each different from the one
    /// before: what was on screen only between two looks of a test (the
    /// demo moves faster than that) is still here.
    pub frames: Arc<Mutex<Vec<String>>>,
    /// The thread that reads the PTY; it ends with tandem's output.
    reader: JoinHandle<()>,
}

/// Answers the queries a real terminal answers and `vt100` does not: the
/// cursor position report (`CSI 6 n`) and primary device attributes
/// (`CSI c`, which also tells crossterm the keyboard enhancement query went
/// unanswered, as on terminals without it).
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

impl Tui {
    /// Starts `tandem ARGS` at `cols`×`rows` with a private home, the given
    /// environment, and no provider settings from the developer's shell.
    pub fn start(
        home: &Path,
        cwd: &Path,
        env: &[(&str, String)],
        args: &[&str],
        cols: u16,
        rows: u16,
    ) -> Tui {
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
        cmd.cwd(cwd);
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
        // A private HOME: the developer's own ~/.claude settings, commands
        // and instruction files must not reach the screens under test.
        cmd.env("HOME", home);
        cmd.env_remove("CODEX_HOME");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("tandem starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let frames = Arc::new(Mutex::new(Vec::new()));
        let sink = screen.clone();
        let log = frames.clone();
        let replies = writer.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut parser = sink.lock().unwrap();
                parser.process(&buf[..n]);
                answer_queries(&buf[..n], &parser, &replies);
                let shown = parser.screen().contents();
                let mut log = log.lock().unwrap();
                if log.last() != Some(&shown) {
                    log.push(shown);
                }
            }
        });
        Tui {
            child,
            master: pair.master,
            writer,
            screen,
            frames,
            reader,
        }
    }

    /// The screen's text now, row by row.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `pred`, or fails with the screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
        if !self.poll(pred) {
            panic!(
                "timed out waiting for {what}; the screen:\n{}",
                self.contents()
            );
        }
    }

    /// Waits until `text` is on the screen. On a timeout it also says
    /// whether the text was shown earlier and went before the test looked.
    pub fn wait_text(&self, text: &str) {
        if self.poll(|s| s.contents().contains(text)) {
            return;
        }
        let earlier = if self.frames.lock().unwrap().iter().any(|f| f.contains(text)) {
            "it was on an earlier screen, gone by now"
        } else {
            "it was never on the screen"
        };
        panic!(
            "timed out waiting for {text:?} ({earlier}); the screen:\n{}",
            self.contents()
        );
    }

    /// Polls the screen for up to [`WAIT`]; whether `pred` held.
    fn poll(&self, pred: impl Fn(&vt100::Screen) -> bool) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if pred(self.screen.lock().unwrap().screen()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Writes `bytes` to tandem as typed keys (escape sequences included).
    pub fn send(&mut self, bytes: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Types text one key at a time, then Enter.
    pub fn type_line(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
        self.send("\r");
    }

    /// Resizes the terminal, as a user dragging the window would.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.screen.lock().unwrap().set_size(nz(rows), nz(cols));
    }

    /// Waits for the process to exit; returns its success.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.drain();
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("tandem did not exit; the screen:\n{}", self.contents());
    }

    /// Lets the reader take the last bytes tandem wrote (the screen it
    /// restored on the way out): its reads end once no process holds the
    /// PTY any more. A process left behind holding it would keep them
    /// going; after [`DRAIN`] the test looks at what arrived by then.
    fn drain(&self) {
        let deadline = Instant::now() + DRAIN;
        while !self.reader.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
