//! End-to-end tests of hosted agents: the built `tandem` binary runs in a
//! real PTY with a scripted terminal program hosted in its Run pane (and a
//! mock model server behind Chat); the tests read the outer screen through
//! `vt100`, as a user would see it.

use std::path::Path;
use std::time::Duration;

use tandem::mockserver::{MockServer, Script};

#[path = "support/pty.rs"]
mod pty;
use pty::Tui;

async fn server(script: &str) -> MockServer {
    MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap()
}

const CHAT: &str = r#"
[[reply]]
text = "chat answer"
"#;

/// The test program, copied into the workspace `work` and named from there
/// (the hosted program starts in the workspace): its command line, shown in
/// the pane's title and the status bar, is then as long wherever the tests
/// run from, and a long checkout path cannot push those off the screen.
fn program(work: &Path) -> String {
    let name = "host_test_program.sh";
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::copy(fixture, work.join(name)).expect("the test program is copied");
    format!("sh {name}")
}

/// The text in the right half of the screen: the Run pane, beside Chat.
fn right_half(s: &vt100::Screen) -> String {
    let cols = s.size().1.get();
    s.rows(cols / 2, cols - cols / 2)
        .collect::<Vec<_>>()
        .join("\n")
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
            let host = program(&w);
            let tui = Tui::start(&h, &w, &env, &["--run-host", &host], 160, 40);
            tui.wait_text("ready");
            tui
        }
    })
    .await;
    blocking(move || {
        // The title says what the pane hosts; the status bar gives the prefix.
        tui.wait_text("hosting: sh host_test_program.sh");
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
        tui.wait_text("› abc");
        let run = right_half(tui.screen.lock().unwrap().screen());
        assert!(
            !run.contains("abc"),
            "the keys reached the program too:\n{run}"
        );
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
