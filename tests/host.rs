//! End-to-end tests of hosted agents: the built `tandem` binary runs in a
//! real PTY with a scripted terminal program hosted in its Run pane (and a
//! mock model server behind Chat); the tests read the outer screen through
//! `vt100`, as a user would see it.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use tandem::mockserver::{MockServer, Script};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");
const WAIT: Duration = Duration::from_secs(15);

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("a terminal has rows and columns")
}

/// A running `tandem` in a PTY, with its screen.
struct Tui {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    screen: Arc<Mutex<vt100::Parser>>,
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
    fn start(
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
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("tandem starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let sink = screen.clone();
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
            }
        });
        Tui {
            child,
            master: pair.master,
            writer,
            screen,
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
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {what}; the screen:\n{}",
            self.contents()
        );
    }

    fn wait_text(&self, text: &str) {
        self.wait_for(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    fn send(&mut self, bytes: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Types text one key at a time, then Enter.
    fn type_line(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
        self.send("\r");
    }

    fn resize(&mut self, cols: u16, rows: u16) {
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
    fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return status.success();
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

async fn server(script: &str) -> MockServer {
    MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap()
}

const CHAT: &str = r#"
[[reply]]
text = "chat answer"
"#;

fn program() -> String {
    format!(
        "sh {}/tests/fixtures/host_test_program.sh",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs blocking PTY work off the async runtime that serves the mocks.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_program_gets_keys_ctrl_c_and_resizes_and_shows_its_colours() {
    let chat = server(CHAT).await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    let mut tui = blocking({
        let (h, w) = (home_path.clone(), work_path.clone());
        let chat = chat.base_url();
        move || {
            let env = vec![
                ("ANTHROPIC_BASE_URL", chat.clone()),
                ("OPENAI_BASE_URL", chat),
            ];
            let host = program();
            let tui = Tui::start(&h, &w, &env, &["--run-host", &host], 160, 40);
            tui.wait_text("ready");
            tui
        }
    })
    .await;
    blocking(move || {
        // The title says what the pane hosts; the status bar gives the prefix.
        tui.wait_text("hosting: sh ");
        tui.wait_text("Ctrl-] then Tab switch");
        // Its red is red on the outer terminal.
        tui.wait_for("red text in red", |s| {
            (0..40).any(|row| {
                (0..160).any(|col| {
                    s.cell(row, col).is_some_and(|c| {
                        c.contents() == "r"
                            && s.cell(row, col + 1).is_some_and(|n| n.contents() == "e")
                            && c.fgcolor() == vt100::Color::Idx(1)
                    })
                })
            })
        });
        // Typed keys reach it.
        tui.type_line("hello");
        tui.wait_text("echo:hello");
        // Ctrl-C reaches it too (and does not quit Tandem).
        tui.send("\x03");
        tui.wait_text("got INT");
        // A resize of the outer terminal reaches it as its pane's new size.
        tui.resize(150, 30);
        tui.wait_for("the new size", |s| s.contents().contains("size 27 "));
        // The prefix key, then Tab: Chat has the keyboard; typing goes to its composer.
        tui.send("\x1d");
        std::thread::sleep(Duration::from_millis(50));
        tui.send("\t");
        std::thread::sleep(Duration::from_millis(100));
        tui.send("abc");
        std::thread::sleep(Duration::from_millis(300));
        assert!(!tui.contents().contains("echo:abc"));
        tui.wait_text("abc");
        // Back to Run, then exit with a code: reported; Enter restarts it.
        tui.send("\t");
        std::thread::sleep(Duration::from_millis(100));
        tui.type_line("quit 7");
        tui.wait_text("exited with code 7");
        tui.wait_text("Enter restarts it");
        tui.send("\r");
        tui.wait_for("a restarted program", |s| {
            !s.contents().contains("exited with code 7") && s.contents().contains("ready")
        });
        tui.type_line("again");
        tui.wait_text("echo:again");
        // Ctrl-D after the prefix quits.
        tui.send("\x1d");
        std::thread::sleep(Duration::from_millis(50));
        tui.send("\x04");
        // The program still runs: Tandem asks before ending it.
        tui.wait_text("hosted program is still running");
        tui.send("y");
        assert!(tui.wait_exit());
    })
    .await;
    drop((home, work));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_or_codex_start_hosted_when_installed() {
    let installed: Vec<&str> = ["claude", "codex"]
        .into_iter()
        .filter(|p| {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).is_file()))
        })
        .collect();
    if installed.is_empty() {
        println!("skipped: neither claude nor codex is on PATH, so there is no real agent to host");
        return;
    }
    let chat = server(CHAT).await;
    for agent in installed {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let url = chat.base_url();
        let agent = agent.to_string();
        blocking(move || {
            let env = vec![
                ("ANTHROPIC_BASE_URL", url.clone()),
                ("OPENAI_BASE_URL", url),
            ];
            let tui = Tui::start(
                home.path(),
                work.path(),
                &env,
                &["--run-host", &agent],
                160,
                40,
            );
            tui.wait_text(&format!("hosting: {agent}"));
            // Its own UI draws something in the pane beyond our frame.
            tui.wait_for("the agent's screen", |s| {
                s.contents()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .count()
                    > 6
            });
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_programs_model_calls_go_through_the_metering_proxy() {
    // The upstream only accepts the real key, which only Tandem holds.
    let upstream =
        server("api_key = \"sk-real-secret\"\n[[reply]]\ntext = \"hello from upstream\"\n").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    let url = upstream.base_url();
    blocking(move || {
        let env = vec![
            ("ANTHROPIC_BASE_URL", url.clone()),
            ("ANTHROPIC_API_KEY", "sk-real-secret".to_string()),
            ("OPENAI_BASE_URL", url),
        ];
        let host = format!(
            "sh {}/tests/fixtures/host_calls_model.sh",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut tui = Tui::start(
            &home_path,
            &work_path,
            &env,
            &["--run-host", &host],
            160,
            40,
        );
        tui.wait_text("key=tandem-proxy");
        tui.wait_text("base=loopback");
        tui.wait_text("stops=1");
        // The call is metered under the Run pane.
        tui.wait_for("Run's tokens in the status bar", |s| {
            let text = s.contents();
            let bar = text.lines().last().unwrap_or("");
            bar.split("Run ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() && c != '0'))
        });
        assert!(!tui.contents().contains("sk-real-secret"));
        tui.send("\x1d");
        std::thread::sleep(Duration::from_millis(50));
        tui.send("\x04");
        // The program still runs: Tandem asks before ending it.
        tui.wait_text("hosted program is still running");
        tui.send("y");
        assert!(tui.wait_exit());
    })
    .await;
    let requests = upstream.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/messages");
    assert_eq!(
        requests[0].headers.get("x-api-key").map(String::as_str),
        Some("sk-real-secret"),
        "the proxy put the real key on"
    );
}
