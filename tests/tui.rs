//! End-to-end tests of the full-screen TUI: the built `tandem` binary runs in
//! a real PTY against the scripted mock server, and the tests read the
//! screen through a `vt100` terminal emulator, as a user would see it.

use std::path::Path;
use std::time::{Duration, Instant};

use tandem::mockserver::{MockServer, Script};

#[path = "support/pty.rs"]
mod pty;
use pty::{Tui, WAIT};

async fn server(script: &str) -> MockServer {
    MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap()
}

/// Both providers pointed at mock servers (Chat: Anthropic wire, Run:
/// OpenAI Responses wire).
fn env_for(chat: &MockServer, run: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("ANTHROPIC_BASE_URL", chat.base_url()),
        ("OPENAI_BASE_URL", run.base_url()),
    ]
}

/// Runs blocking PTY work off the async runtime that serves the mocks.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_an_answer_and_quitting_restores_the_terminal() {
    let chat = server("[[reply]]\ntext = \"Hello from the **Chat** model, streamed word by word.\"\ndelay_ms = 5\n").await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.wait_for("the alternate screen", |s| s.alternate_screen());
        tui.type_line("say hello");
        tui.wait_text("streamed word by word.");
        tui.wait_text("─ done");
        tui.send("\x03");
        tui.send("\x03");
        assert!(tui.wait_exit(), "tandem exits 0");
        let parser = tui.screen.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "back on the main screen");
        assert!(!screen.hide_cursor(), "cursor visible again");
    })
    .await;
    let sent = serde_json::to_string(&chat.requests()[0].body).unwrap();
    assert!(sent.contains("say hello"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_in_chat_waits_for_approval() {
    let chat = server(
        r#"
[[reply]]
text = "I'll check."
[[reply.tool_calls]]
name = "shell"
input = { command = "echo approved-and-ran" }

[[reply]]
text = "All checked."
"#,
    )
    .await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("check it");
        tui.wait_text("approval needed");
        tui.wait_text("echo approved-and-ran");
        tui.send("y");
        tui.wait_text("All checked.");
    })
    .await;
    let second = serde_json::to_string(&chat.requests()[1].body).unwrap();
    assert!(
        second.contains("approved-and-ran"),
        "the command ran: {second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_works_while_chat_streams_and_esc_interrupts() {
    // Chat streams for 40 s, longer than the test may wait for Run on a
    // loaded machine: Esc always finds it still streaming.
    let chat = server("[[reply]]\nwords = 8000\ndelay_ms = 5\n").await;
    let run = server("[[reply]]\ntext = \"Run finished its task.\"\n").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("write a lot");
        tui.wait_text("thinking");
        tui.send("\t");
        tui.type_line("do the task");
        tui.wait_text("Run finished its task.");
        tui.send("\t");
        tui.send("\x1b");
        tui.wait_text("interrupted");
    })
    .await;
    assert_eq!(run.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes_stack_on_a_narrow_terminal_and_follow_resizes() {
    let chat = server("").await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let title_rows = |s: &vt100::Screen| {
            let rows: Vec<String> = s.rows(0, s.size().1.get()).collect();
            let find = |t: &str| rows.iter().position(|r| r.contains(t));
            (find(" Chat "), find(" Run "))
        };
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_for(
            "side by side",
            |s| matches!(title_rows(s), (Some(a), Some(b)) if a == b),
        );
        tui.resize(90, 40);
        tui.wait_for(
            "stacked",
            |s| matches!(title_rows(s), (Some(a), Some(b)) if b > a),
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_a_first_run_screen_then_each_pane_says_what_to_set() {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &[], &[], 160, 48);
        tui.wait_text("Welcome to Tandem");
        tui.wait_text("export OPENAI_API_KEY");
        tui.wait_text("watch the demo");
        tui.send("\x1b");
        tui.wait_for("the workbench", |s| {
            !s.contents().contains("Welcome to Tandem") && s.contents().contains("tandem demo")
        });
        tui.wait_text("not connected");
        tui.wait_text("ANTHROPIC_API_KEY");
        tui.send("\x04");
        assert!(tui.wait_exit());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_switches_live_and_help_lists_the_keys() {
    let chat = server("").await;
    let run = server("[[reply]]\ntext = \"answered over the Responses API\"\n").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_text("anthropic · claude-sonnet-4-5");
        tui.send("\x1bOP");
        tui.wait_text("Esc closes)");
        tui.send("\x1b");
        tui.wait_for("the help closed", |s| !s.contents().contains("Esc closes)"));
        tui.type_line("/provider openai");
        tui.wait_text("now on openai · gpt-5");
        tui.type_line("which api?");
        tui.wait_text("answered over the Responses API");
    })
    .await;
    assert!(
        chat.requests().is_empty(),
        "nothing went to the old provider"
    );
    assert_eq!(run.requests()[0].path, "/v1/responses");
}

/// Runs `git` in `dir` with the developer's own configuration kept out.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes `dir` a git repository whose one commit holds its files.
fn commit_all(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "start"]);
}

/// Polls `pred` for up to [`WAIT`].
fn eventually(what: &str, pred: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if pred() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_run_changes_accept_revert_and_comment_to_chat() {
    let chat = server("[[reply]]\ntext = \"Thanks, I will look at that hunk.\"\n").await;
    let run = server(
        r#"
[[reply]]
text = "Editing both files."
[[reply.tool_calls]]
name = "edit_file"
input = { path = "alpha.txt", old_string = "line 3\n", new_string = "line three\n" }
[[reply.tool_calls]]
name = "edit_file"
input = { path = "beta.txt", old_string = "beta 5\n", new_string = "beta five\n" }

[[reply]]
text = "Both files edited."
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let lines = |prefix: &str| {
        (1..=9)
            .map(|i| format!("{prefix} {i}\n"))
            .collect::<String>()
    };
    let alpha = lines("line");
    let beta = lines("beta");
    std::fs::write(work.path().join("alpha.txt"), &alpha).unwrap();
    std::fs::write(work.path().join("beta.txt"), &beta).unwrap();
    commit_all(work.path());
    // An "editor" that records how it was called and exits.
    let editor = home.path().join("editor.sh");
    let editor_log = home.path().join("editor-args");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", editor_log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut env = env_for(&chat, &run);
    env.push(("VISUAL", editor.display().to_string()));
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("edit both files");
        tui.wait_text("Both files edited.");
        tui.wait_text("Run changed 2 files");
        // Ctrl-G opens the viewer on the Run task's changes.
        tui.send("\x07");
        tui.wait_text("alpha.txt");
        tui.wait_text("beta.txt");
        tui.wait_text("line three");
        tui.wait_for("both files attributed to Run", |s| {
            let text = s.contents();
            text.lines()
                .filter(|l| {
                    (l.contains("alpha.txt") || l.contains("beta.txt")) && l.contains("Run")
                })
                .count()
                >= 2
        });
        // Accept alpha's hunk: it is staged in the user's index.
        tui.send(" ");
        eventually("alpha.txt staged", || {
            git(&work_path, &["diff", "--cached", "--name-only"]).trim() == "alpha.txt"
        });
        let staged = git(&work_path, &["diff", "--cached"]);
        assert!(
            staged.contains("+line three") && staged.contains("-line 3"),
            "{staged}"
        );
        // Next file: comment on beta's hunk to Chat, then revert it.
        tui.send("J");
        tui.wait_text("beta five");
        // e hands the terminal to $VISUAL at the hunk's line, then comes back.
        tui.send("e");
        // The file is there from the moment the editor's shell opens it;
        // its one line is complete once the editor has written it.
        eventually("the editor ran", || {
            std::fs::read_to_string(&editor_log).is_ok_and(|a| a.ends_with('\n'))
        });
        let args = std::fs::read_to_string(&editor_log).unwrap();
        assert!(
            args.starts_with("+") && args.trim_end().ends_with("beta.txt"),
            "{args}"
        );
        tui.wait_for("the viewer redrawn on the alternate screen", |s| {
            s.alternate_screen() && s.contents().contains("beta five")
        });
        tui.send("c");
        // The comment goes to the pane that made the change unless the user
        // picks the other one with Tab.
        tui.wait_text("comment to Run");
        tui.send("\t");
        tui.wait_text("comment to Chat");
        for c in "please double-check this".chars() {
            tui.send(&c.to_string());
        }
        tui.send("\r");
        tui.wait_text("comment sent to Chat");
        tui.send("d");
        tui.wait_text("y/n");
        tui.send("y");
        eventually("beta.txt reverted", || {
            std::fs::read_to_string(work_path.join("beta.txt")).unwrap() == beta
        });
        // The comment is in Chat's history, and Chat answered it.
        tui.send("\t");
        tui.wait_text("please double-check this");
        tui.wait_text("Thanks, I will look at that hunk.");
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(work.path().join("alpha.txt")).unwrap(),
        alpha.replace("line 3\n", "line three\n"),
        "accepting does not change the working file"
    );
    let asked = serde_json::to_string(&chat.requests()[0].body).unwrap();
    assert!(
        asked.contains("please double-check this") && asked.contains("beta.txt"),
        "Chat got the comment with its file: {asked}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_pauses_run_and_the_quota_view_shows_the_spending() {
    let chat = server("").await;
    let run = server(
        r#"
[[reply]]
text = "Looking first."
usage = { input = 1200, output = 300 }
[[reply.tool_calls]]
name = "list_dir"
input = { path = "." }

[[reply]]
text = "Finished after the pause."
usage = { input = 1500, output = 100 }
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // The first call's 1,500 tokens spend the day's budget of 1,000.
    std::fs::write(
        home.path().join("config.toml"),
        "[budget]\ndaily_tokens = 1000\n",
    )
    .unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("look around");
        tui.wait_text("Looking first.");
        tui.wait_text("paused: budget");
        tui.wait_text("budget spent: daily_tokens");
        // The quota view shows the day's spending and the budget in force.
        tui.send("\x11");
        tui.wait_text("1.5k");
        tui.wait_text("daily_tokens");
        tui.send("q");
        // Going on past the budget is the user's explicit choice.
        tui.wait_text("Looking first.");
        tui.send("y");
        tui.wait_text("Finished after the pause.");
    })
    .await;
    assert_eq!(run.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoff_until_a_check_passes_and_chat_follows_the_run() {
    let chat = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "read_file"
input = { path = "spec.md" }

[[reply]]
text = "Plan: create done.txt, then the check passes."
"#,
    )
    .await;
    let run = server(
        r#"
[[reply]]
text = "Claiming victory early."

[[reply]]
[[reply.tool_calls]]
name = "write_file"
input = { path = "done.txt", content = "yes\n" }

[[reply]]
text = "Now the check passes."
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("spec.md"), "done.txt must exist\n").unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("plan it");
        tui.wait_text("Plan: create done.txt");
        tui.type_line("/handoff --until \"test -f done.txt\"");
        tui.wait_text("handed to Run (until `test -f done.txt` passes)");
        tui.wait_text("check failed (exit 1): test -f done.txt");
        tui.wait_text("check passed: test -f done.txt");
        tui.wait_text("Now the check passes.");
        // The "handed to Run" cell followed the run to its end.
        // (One cell, wrapped: the state follows its words.)
        tui.wait_text("· Run finished the handed-over task (3 turns, 1 file");
    })
    .await;
    assert!(work.path().join("done.txt").exists());
    let first = serde_json::to_string(&run.requests()[0].body).unwrap();
    assert!(
        first.contains("Files Chat read while planning (start there): spec.md"),
        "Run gets the files Chat read: {first}"
    );
    let second = serde_json::to_string(&run.requests()[1].body).unwrap();
    assert!(second.contains("completion check"), "{second}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_restores_the_files_and_the_conversation() {
    let chat = server("").await;
    let run = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "edit_file"
input = { path = "notes.txt", old_string = "original", new_string = "rewritten" }

[[reply]]
text = "Edited the notes."

[[reply]]
text = "Fresh start."
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("notes.txt"), "original\n").unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("rewrite the notes");
        tui.wait_text("Edited the notes.");
        assert_eq!(
            std::fs::read_to_string(work_path.join("notes.txt")).unwrap(),
            "rewritten\n"
        );
        tui.type_line("/rewind 1 files");
        // What will be restored is shown before anything happens.
        tui.wait_text("to before task 1 and restore 1 files");
        tui.wait_text("notes.txt");
        tui.send("y");
        tui.wait_text("rewound to before task 1");
        tui.wait_text("restored 1 files");
        eventually("notes.txt restored", || {
            std::fs::read_to_string(work_path.join("notes.txt")).unwrap() == "original\n"
        });
        tui.type_line("start again");
        tui.wait_text("Fresh start.");
    })
    .await;
    let third = serde_json::to_string(&run.requests()[2].body).unwrap();
    assert!(
        !third.contains("rewrite the notes") && third.contains("start again"),
        "the rewound task is no longer sent: {third}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_killed_mid_turn_resumes_with_both_panes() {
    let chat = server(
        r#"
[[reply]]
text = "Noted: the codeword is PELICAN."

[[reply]]
words = 4000
delay_ms = 5

[[reply]]
text = "The codeword was PELICAN."
"#,
    )
    .await;
    let run = server("[[reply]]\ntext = \"Run did its part.\"\n").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    let (home2, work2, env2) = (home_path.clone(), work_path.clone(), env.clone());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("remember PELICAN");
        tui.wait_text("the codeword is PELICAN.");
        tui.send("\t");
        tui.type_line("do your part");
        tui.wait_text("Run did its part.");
        tui.send("\t");
        tui.type_line("now write a lot");
        tui.wait_text("thinking");
        std::thread::sleep(Duration::from_millis(300));
        // kill -9 in the middle of Chat's streamed answer: no handler runs.
        let pid = tui.child.process_id().expect("tandem has a pid");
        // SAFETY: sending a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
        let _ = tui.child.wait();
    })
    .await;
    blocking(move || {
        let mut tui = Tui::start(&home2, &work2, &env2, &["--continue"], 160, 48);
        tui.wait_text("resumed session");
        tui.wait_text("the codeword is PELICAN.");
        tui.wait_text("Run did its part.");
        tui.type_line("what was the codeword?");
        tui.wait_text("The codeword was PELICAN.");
    })
    .await;
    let resumed = serde_json::to_string(&chat.requests()[2].body).unwrap();
    assert!(
        resumed.contains("remember PELICAN")
            && resumed.contains("the codeword is PELICAN")
            && resumed.contains("what was the codeword?"),
        "the conversation went on with the provider: {resumed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_reviews_runs_diff_and_its_findings_go_back_to_run() {
    let chat = server("[[reply]]\ntext = \"calc.txt:2 — the total is off by one — use 5\"\n").await;
    let run = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "edit_file"
input = { path = "calc.txt", old_string = "total = 5", new_string = "total = 6" }

[[reply]]
text = "Changed the total."

[[reply]]
text = "Fixed per review."
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("calc.txt"), "a = 2\ntotal = 5\n").unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("bump the total");
        tui.wait_text("Changed the total.");
        tui.wait_text("Run changed 1 file");
        tui.type_line("/review");
        tui.wait_text("asked Chat to review Run's changes");
        tui.wait_text("off by one");
        // Alt-H: the one-key handoff.
        tui.send("\x1bh");
        tui.wait_text("Fixed per review.");
    })
    .await;
    let asked = serde_json::to_string(&chat.requests()[0].body).unwrap();
    assert!(
        asked.contains("Review the changes the Run pane made")
            && asked.contains("-total = 5")
            && asked.contains("+total = 6"),
        "Chat got the task's diff: {asked}"
    );
    let follow_up = serde_json::to_string(&run.requests()[2].body).unwrap();
    assert!(follow_up.contains("off by one"), "{follow_up}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_conversation_compacts_itself_at_the_threshold() {
    // claude-sonnet-4-5 has a 200k window; 180k tokens is past 85%.
    let chat = server(
        r#"
[[reply]]
text = "First answer."
usage = { input = 180000, output = 100 }

[[reply]]
text = "Second answer."
usage = { input = 181000, output = 100 }

[[reply]]
text = "Goal: three questions. Decisions: none. Open items: the third."

[[reply]]
text = "Third answer, after compaction."
"#,
    )
    .await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("first question");
        tui.wait_text("First answer.");
        tui.type_line("second question");
        tui.wait_text("Second answer.");
        tui.type_line("third question");
        tui.wait_text("context compacted: 2 older messages summarised");
        tui.wait_text("Third answer, after compaction.");
    })
    .await;
    let last = serde_json::to_string(&chat.requests()[3].body).unwrap();
    assert!(
        last.contains("Goal: three questions") && !last.contains("first question"),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_lists_saved_sessions_and_loads_one_inside_the_workbench() {
    let chat = server(
        "[[reply]]\ntext = \"Saved answer about ORCHID.\"\n\n[[reply]]\ntext = \"Back with ORCHID.\"\n",
    )
    .await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let home_path = home.path().to_path_buf();
    let (home2, env2) = (home_path.clone(), env.clone());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &home_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("tell me about ORCHID");
        tui.wait_text("Saved answer about ORCHID.");
        tui.send("\x03");
        tui.send("\x03");
        assert!(tui.wait_exit());
    })
    .await;
    blocking(move || {
        let mut tui = Tui::start(&home2, &home2, &env2, &[], 160, 48);
        tui.wait_text("Chat");
        tui.type_line("/resume");
        // A list of the saved sessions: time, workspace, first prompt, cost.
        tui.wait_text("saved sessions");
        tui.wait_text("first prompt");
        tui.wait_text("tell me about ORCHID");
        // Typing narrows it to the one asked about; Enter resumes it.
        tui.send("orchid");
        tui.wait_text("filter: orchid");
        tui.wait_text("1 of ");
        tui.send("\r");
        tui.wait_text("resumed session");
        tui.type_line("and again?");
        tui.wait_text("Back with ORCHID.");
    })
    .await;
    let resumed = serde_json::to_string(&chat.requests()[1].body).unwrap();
    assert!(resumed.contains("tell me about ORCHID"), "{resumed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worktree_runs_at_once_one_merged_one_discarded() {
    let chat = server("").await;
    // Both runs get the same replies, in whatever order they ask: each first
    // streams for about three seconds (so both are asking before either asks
    // again, even when the second worktree is slow to make on a loaded
    // machine), then writes a marker named after its own worktree.
    let first = r#"
[[reply]]
words = 60
delay_ms = 50
[[reply.tool_calls]]
name = "shell"
input = { command = "echo made > \"marker-$(basename \"$PWD\").txt\"" }
"#;
    let run = server(&format!(
        "{first}{first}\n[[reply]]\ntext = \"Marker done.\"\n\n[[reply]]\ntext = \"Marker done.\"\n"
    ))
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("README"), "the project\n").unwrap();
    commit_all(work.path());
    let head = git(work.path(), &["rev-parse", "HEAD"]);
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("/run --worktree make a marker");
        tui.type_line("/run --worktree make another marker");
        tui.wait_text("run #1 finished: 1 files changed");
        tui.wait_text("run #2 finished: 1 files changed");
        // The list: state, time, tokens, cost, files, task.
        tui.type_line("/runs");
        tui.wait_for("run #1 listed with its state, files and task", |s| {
            s.contents().lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "#1");
                at.is_some_and(|i| words[i + 1] == "finished") && l.contains("1      make a marker")
            })
        });
        tui.wait_text("the Run pane's own session");
        // Esc closes the list (waited for: an Esc with more bytes right
        // behind it would read as Alt plus the next key).
        tui.send("\x1b");
        tui.wait_for("the list closed", |s| {
            !s.contents().contains("worktree runs —")
        });
        tui.type_line("/runs 1 merge");
        tui.wait_text("run #1 merged into the workspace: marker-");
        tui.type_line("/runs 2 discard");
        tui.wait_text("run #2 discarded");
    })
    .await;
    // The user's HEAD and branch are untouched; run #1's marker is in the
    // working tree (not committed, not staged); run #2 left nothing.
    assert_eq!(git(work.path(), &["rev-parse", "HEAD"]), head);
    let status = git(work.path(), &["status", "--porcelain"]);
    let markers: Vec<&str> = status.lines().filter(|l| l.contains("marker-")).collect();
    assert_eq!(markers.len(), 1, "{status}");
    assert!(markers[0].starts_with("?? "), "{status}");
    let branches = git(work.path(), &["branch", "--list"]);
    assert_eq!(
        branches
            .lines()
            .filter(|b| b.contains("tandem/run-"))
            .count(),
        1,
        "the merged run's branch stays, the discarded one is gone: {branches}"
    );
    assert_eq!(run.requests().len(), 4);
}

/// A committed project, and a first workbench that ran one worktree run
/// ("make a marker") to its end and quit: where the resume tests of worktree
/// runs start. Returns the home, the workspace and the environment.
async fn quit_after_a_worktree_run(
    chat: &MockServer,
    run: &MockServer,
) -> (
    tempfile::TempDir,
    tempfile::TempDir,
    Vec<(&'static str, String)>,
) {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("README"), "the project\n").unwrap();
    commit_all(work.path());
    let env = env_for(chat, run);
    let (home_path, work_path, env1) = (
        home.path().to_path_buf(),
        work.path().to_path_buf(),
        env.clone(),
    );
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env1, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("/run --worktree make a marker");
        tui.wait_text("run #1 finished: 1 files changed");
        tui.send("\x03");
        tui.send("\x03");
        assert!(tui.wait_exit(), "tandem exits 0");
    })
    .await;
    (home, work, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_run_survives_a_quit_and_is_merged_after_continue() {
    let chat = server("").await;
    let run = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "shell"
input = { command = "echo made > marker.txt" }

[[reply]]
text = "Marker done."
"#,
    )
    .await;
    let (home, work, env) = quit_after_a_worktree_run(&chat, &run).await;
    let (home2, work2, env2) = (home.path().to_path_buf(), work.path().to_path_buf(), env);
    assert!(
        !work.path().join("marker.txt").exists(),
        "the run worked in its own worktree"
    );
    blocking(move || {
        let mut tui = Tui::start(&home2, &work2, &env2, &["--continue"], 160, 48);
        tui.wait_text("1 worktree runs restored: /runs lists them");
        tui.type_line("/runs");
        tui.wait_for("run #1 listed as finished with its file and task", |s| {
            s.contents().lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "#1");
                at.is_some_and(|i| words[i + 1] == "finished") && l.contains("1      make a marker")
            })
        });
        tui.send("\x1b");
        tui.wait_for("the list closed", |s| {
            !s.contents().contains("worktree runs —")
        });
        // Its conversation is drawn again in its slot.
        tui.type_line("/runs 1");
        tui.wait_text("Marker done.");
        tui.wait_text("restored from the saved session: finished on");
        tui.type_line("/runs main");
        tui.type_line("/runs 1 merge");
        tui.wait_text("run #1 merged into the workspace: marker.txt");
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(work.path().join("marker.txt")).unwrap(),
        "made\n"
    );
    assert_eq!(
        run.requests().len(),
        2,
        "the restored run was not run again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_run_goes_on_with_a_follow_up_and_both_files_are_merged() {
    let chat = server("").await;
    let run = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "shell"
input = { command = "echo made > marker.txt" }

[[reply]]
text = "Marker done."

[[reply]]
[[reply.tool_calls]]
name = "shell"
input = { command = "echo more > second.txt" }

[[reply]]
text = "Second marker done."
"#,
    )
    .await;
    let (home, work, env) = quit_after_a_worktree_run(&chat, &run).await;
    let (home2, work2, env2) = (home.path().to_path_buf(), work.path().to_path_buf(), env);
    blocking(move || {
        let mut tui = Tui::start(&home2, &work2, &env2, &["--continue"], 160, 48);
        tui.wait_text("1 worktree runs restored: /runs lists them");
        tui.type_line("/runs 1");
        tui.wait_text("restored from the saved session: finished on");
        tui.type_line("now also write a second marker");
        tui.wait_text("Second marker done.");
        tui.type_line("/runs main");
        tui.wait_text("run #1 finished: 2 files changed");
        tui.type_line("/runs 1 merge");
        tui.wait_text("run #1 merged into the workspace:");
    })
    .await;
    // The follow-up was asked with the first task's conversation before it.
    let requests = run.requests();
    assert_eq!(requests.len(), 4, "the first task was not run again");
    let follow_up = serde_json::to_string(&requests[2].body).unwrap();
    let at = |text: &str| {
        follow_up
            .find(text)
            .unwrap_or_else(|| panic!("{text} is not in {follow_up}"))
    };
    assert!(at("make a marker") < at("Marker done."));
    assert!(at("Marker done.") < at("now also write a second marker"));
    assert!(at("echo made > marker.txt") < at("now also write a second marker"));
    // Both files, written in the run's worktree, are in the workspace now.
    assert_eq!(
        std::fs::read_to_string(work.path().join("marker.txt")).unwrap(),
        "made\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("second.txt")).unwrap(),
        "more\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_runs_hunks_are_taken_into_the_workspace_from_the_viewer() {
    let chat = server("").await;
    let run = server(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "edit_file"
input = { path = "README", old_string = "the project", new_string = "the better project" }

[[reply]]
text = "Improved the README."
"#,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("README"), "the project\n").unwrap();
    commit_all(work.path());
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let readme = || std::fs::read_to_string(work_path.join("README")).unwrap();
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        tui.send("\t");
        tui.type_line("/run --worktree improve the readme");
        tui.wait_text("run #1 finished: 1 files changed");
        assert_eq!(
            readme(),
            "the project\n",
            "the run did not touch the workspace"
        );
        tui.type_line("/runs 1 diff");
        tui.wait_text("the better project");
        // Reverting is not what a run's diff is for: refused, nothing changes.
        tui.send("d");
        tui.wait_text("y/n");
        tui.send("y");
        tui.wait_text("take what you want into the workspace");
        // Space takes the hunk into the workspace.
        tui.send(" ");
        eventually("the hunk is in the workspace", || {
            readme() == "the better project\n"
        });
        // u puts the workspace file back.
        tui.send("u");
        eventually("undone", || readme() == "the project\n");
    })
    .await;
    assert!(
        git(work.path(), &["diff", "--cached", "--name-only"]).is_empty(),
        "nothing was staged in the user's index"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_lists_servers_and_holds_back_an_untrusted_projects() {
    let server_bin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/mcp_test_server");
    assert!(
        server_bin.exists(),
        "{} is missing: run `cargo build --examples`",
        server_bin.display()
    );
    let chat = server("").await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[mcp_servers.test]\ncommand = {:?}\nargs = [\"--stdio\"]\n",
            server_bin.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        work.path().join(".mcp.json"),
        r#"{"mcpServers": {"proj": {"command": "true"}}}"#,
    )
    .unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 200, 48);
        tui.wait_text("MCP server proj");
        tui.wait_text("MCP server test: ready, 6 tools");
        tui.type_line("/mcp");
        tui.wait_text("tools: mcp__test__");
        tui.wait_text("mcp__test__echo");
        tui.wait_text("proj (stdio");
        tui.send("\x04");
        assert!(tui.wait_exit());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_add_context_report_untrusted_ones_and_finish_at_exit() {
    let chat = server("[[reply]]\ntext = \"noted\"\n").await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let ended = home.path().join("ended");
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[[hooks.session_start]]\ncommand = \"echo open-issues-3\"\n\n\
             [[hooks.session_end]]\ncommand = \"sleep 1; touch {}\"\n",
            ended.display()
        ),
    )
    .unwrap();
    std::fs::create_dir(work.path().join(".tandem")).unwrap();
    std::fs::write(
        work.path().join(".tandem/config.toml"),
        "[[hooks.stop]]\ncommand = \"touch project-hook-ran\"\n",
    )
    .unwrap();
    let mut env = env_for(&chat, &run);
    env.push(("HOME", home.path().display().to_string()));
    let home_path = home.path().to_path_buf();
    let work_path = work.path().to_path_buf();
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 200, 48);
        tui.wait_text("not running 1 hook the project defines");
        tui.type_line("hi");
        tui.wait_text("─ done");
        tui.send("\x03");
        tui.send("\x03");
        assert!(tui.wait_exit(), "tandem exits 0");
    })
    .await;
    let sent = serde_json::to_string(&chat.requests()[0].body).unwrap();
    assert!(sent.contains("open-issues-3"), "{sent}");
    assert!(ended.exists(), "the session_end hook finished before exit");
    assert!(!work.path().join("project-hook-ran").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_file_written_while_tandem_runs_is_in_the_command_list() {
    let chat = server("[[reply]]\ntext = \"Hi there.\"\n").await;
    let run = server("").await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_for(&chat, &run);
    let (home_path, work_path) = (home.path().to_path_buf(), work.path().to_path_buf());
    blocking(move || {
        let mut tui = Tui::start(&home_path, &work_path, &env, &[], 160, 48);
        tui.wait_text("Chat");
        // Written after start-up, as a user adds a command mid-session.
        let dir = work_path.join(".tandem/commands");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("greet.md"),
            "---\ndescription: Say a friendly hello\n---\nSay hello to $1.\n",
        )
        .unwrap();
        tui.send("/");
        tui.wait_text("Say a friendly hello");
        tui.type_line("greet ann");
        tui.wait_text("Hi there.");
    })
    .await;
    let asked = serde_json::to_string(&chat.requests()[0].body).unwrap();
    assert!(asked.contains("Say hello to ann."), "{asked}");
}
