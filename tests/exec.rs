//! End-to-end: the built `tandem` binary, run as a user or a CI script would,
//! against the scripted mock server on loopback.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tandem::mockserver::{MockServer, Script};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// A `tandem` command with a private home and no provider settings leaking
/// in from the developer's environment.
fn tandem(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TANDEM_HOME", home)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null());
    cmd
}

/// Runs the command off the async runtime (the mock server lives on it).
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The mock model scripted with [`TASK_SCRIPT`], a private home, and a
/// workspace holding the `greet.py` with the typo that script fixes.
async fn greet_task() -> (MockServer, tempfile::TempDir, tempfile::TempDir) {
    let server = MockServer::start(Script::from_toml_str(TASK_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("greet.py"),
        "def greet(name):\n    return \"Helo, \" + name\n",
    )
    .unwrap();
    (server, home, work)
}

const TASK_SCRIPT: &str = r#"
[[reply]]
text = "Let me read the file."
[[reply.tool_calls]]
id = "call_read"
name = "read_file"
input = { path = "greet.py" }

[[reply]]
text = "I'll fix the greeting."
[[reply.tool_calls]]
id = "call_patch"
name = "apply_patch"
[reply.tool_calls.input]
patch = """
*** Begin Patch
*** Update File: greet.py
@@
 def greet(name):
-    return "Helo, " + name
+    return "Hello, " + name
*** End Patch
"""

[[reply]]
[[reply.tool_calls]]
id = "call_shell"
name = "shell"
input = { command = "grep -c Hello greet.py && echo checked" }

[[reply]]
text = "Fixed the typo in greet.py; the check passes."
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_json_reads_patches_runs_and_finishes() {
    let (server, home, work) = greet_task().await;
    let last = home.path().join("last.txt");
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", "sk-e2e-secret")
        .args([
            "exec",
            "--json",
            "--provider",
            "openai",
            "--model",
            "gpt-test",
            "-C",
        ])
        .arg(work.path())
        .arg("--output-last-message")
        .arg(&last)
        .arg("fix the greeting");
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let events = json_lines(&out);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"session.started"));
    assert_eq!(types.last(), Some(&"session.completed"));
    let started = &events[0];
    assert_eq!(started["provider"], "openai");
    assert_eq!(started["model"], "gpt-test");
    assert_eq!(started["mode"], "full-auto");
    assert_eq!(
        started["sandbox"],
        serde_json::json!({"mode": "workspace-write", "network": false, "enforced": true})
    );
    assert!(
        started["session_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    let calls: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "tool.call")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["read_file", "apply_patch", "shell"]);
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool.result")
        .collect();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["ok"] == true), "{results:?}");
    assert!(results[0]["output"].as_str().unwrap().contains("Helo"));
    assert!(results[2]["output"].as_str().unwrap().contains("checked"));
    let usage_events = events.iter().filter(|e| e["type"] == "usage").count();
    assert_eq!(usage_events, 4, "one usage per model call");

    let done = events.last().unwrap();
    assert_eq!(done["status"], "ok");
    assert_eq!(done["turns"], 4);
    assert!(done["usage"]["output_tokens"].as_u64().unwrap() > 0);
    let last_message = events
        .iter()
        .rev()
        .find(|e| e["type"] == "message" && e["role"] == "assistant")
        .unwrap();
    assert_eq!(
        last_message["text"],
        "Fixed the typo in greet.py; the check passes."
    );

    assert_eq!(
        std::fs::read_to_string(work.path().join("greet.py")).unwrap(),
        "def greet(name):\n    return \"Hello, \" + name\n"
    );
    assert_eq!(
        std::fs::read_to_string(&last).unwrap(),
        "Fixed the typo in greet.py; the check passes."
    );
    // The model saw the tool results; the key went to the server only.
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].path, "/v1/responses");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("sk-e2e-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_honours_anthropic_base_url_and_prints_text() {
    let server = MockServer::start(
        Script::from_toml_str("[[reply]]\ntext = \"Hi from a compatible server.\"\n").unwrap(),
    )
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("ANTHROPIC_BASE_URL", format!("{}/v1", server.base_url()))
        .args([
            "exec",
            "--provider",
            "anthropic",
            "--reasoning",
            "low",
            "say hi",
        ])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Hi from a compatible server.\n\n"
    );
    let req = &server.requests()[0];
    assert_eq!(
        req.path, "/v1/messages",
        "a base URL ending in /v1 gets no second /v1"
    );
    assert_eq!(
        req.body["model"], "claude-sonnet-4-5",
        "the provider's default model"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_exit_codes_say_how_the_run_ended() {
    let home = tempfile::tempdir().unwrap();

    // A provider error: the key is refused.
    let server = MockServer::start(
        Script::from_toml_str("[[reply]]\nstatus = 401\nerror_message = \"bad key\"\n").unwrap(),
    )
    .await
    .unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .args(["exec", "--provider", "openai", "hello"])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPENAI_API_KEY"));

    // Max turns: the model keeps calling tools.
    let looping = "[[reply]]\n[[reply.tool_calls]]\nname = \"list_dir\"\n\n".repeat(3);
    let server = MockServer::start(Script::from_toml_str(&looping).unwrap())
        .await
        .unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .args([
            "exec",
            "--json",
            "--provider",
            "openai",
            "--max-turns",
            "2",
            "loop",
        ])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(4));
    let last = json_lines(&out).pop().unwrap();
    assert_eq!(last["reason"], "max_turns");
    assert_eq!(last["turns"], 2);

    // Usage and configuration errors: nothing reaches a model.
    let mut cmd = tandem(home.path());
    cmd.args(["exec", "--provider", "nope", "x"])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider `nope`"));

    let mut cmd = tandem(home.path());
    cmd.args(["exec", "--provider", "openai", "x"])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPENAI_API_KEY"));

    std::fs::write(
        home.path().join("config.toml"),
        "[retry]\nmax_retries = \"many\"\n",
    )
    .unwrap();
    let mut cmd = tandem(home.path());
    cmd.args(["exec", "x"]).current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_records_usage_and_stops_with_exit_5_when_the_budget_is_spent() {
    let home = tempfile::tempdir().unwrap();
    let two_calls = "[[reply]]\nusage = { input = 800, output = 200 }\n[[reply.tool_calls]]\nname = \"list_dir\"\n\n[[reply]]\ntext = \"done\"\n";
    let server = MockServer::start(Script::from_toml_str(two_calls).unwrap())
        .await
        .unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[budget]\ndaily_tokens = 500\n",
    )
    .unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .args(["exec", "--json", "--provider", "openai", "look"])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.requests().len(), 1, "stopped before the second call");
    let last = json_lines(&out).pop().unwrap();
    assert_eq!(last["reason"], "budget");
    // The first call is in the ledger, as `exec`, with its request id.
    let mut cmd = tandem(home.path());
    cmd.args(["usage", "--by", "pane", "--json"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["groups"][0]["key"], "exec", "{report}");
    assert_eq!(report["total"]["calls"], 1, "{report}");
    assert_eq!(report["total"]["input_tokens"], 800, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_reads_the_prompt_from_stdin() {
    let server = MockServer::start(Script::from_toml_str("[[reply]]\ntext = \"ok\"\n").unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .args(["exec", "--provider", "openai-chat", "--model", "m", "-"])
        .current_dir(home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"task from a pipe")
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let body = serde_json::to_string(&server.requests()[0].body).unwrap();
    assert!(body.contains("task from a pipe"), "{body}");
}

#[test]
fn demo_fixes_the_sample_project_with_no_key() {
    let home = tempfile::tempdir().unwrap();
    let out = tandem(home.path())
        .args(["demo", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&out);
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool.result")
        .collect();
    assert!(
        results
            .iter()
            .all(|r| r["ok"] == true || r["name"] == "shell"),
        "{results:?}"
    );
    let shells: Vec<&str> = results
        .iter()
        .filter(|r| r["name"] == "shell")
        .map(|r| r["output"].as_str().unwrap())
        .collect();
    assert_eq!(shells.len(), 2);
    assert!(
        shells[0].contains("FAIL"),
        "the tests fail before the fix: {}",
        shells[0]
    );
    assert!(
        !shells[1].contains("FAIL"),
        "and pass after it: {}",
        shells[1]
    );
    assert_eq!(events.last().unwrap()["status"], "ok");
}

#[test]
fn version_is_printed() {
    let home = tempfile::tempdir().unwrap();
    let out = tandem(home.path()).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tandem "));
}

#[test]
fn every_help_shows_examples() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["exec", "--help"],
        &["demo", "--help"],
        &["usage", "--help"],
        &["config", "--help"],
        &["sessions", "--help"],
        &["resume", "--help"],
        &["doctor", "--help"],
    ] {
        let out = tandem(home.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Examples:\n  tandem"), "{args:?}:\n{text}");
    }
}

#[test]
fn completion_scripts_are_valid_and_know_the_subcommands() {
    let home = tempfile::tempdir().unwrap();
    let out = tandem(home.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8_lossy(&out.stdout).into_owned();
    for word in ["exec", "usage", "resume", "--profile", "--sandbox"] {
        assert!(script.contains(word), "{word} missing");
    }
    let file = home.path().join("tandem.bash");
    std::fs::write(&file, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    for (shell, marker) in [("zsh", "#compdef tandem"), ("fish", "complete -c tandem")] {
        let out = tandem(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(marker),
            "{shell}"
        );
    }
    let bad = tandem(home.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_reach_children_events_or_the_model() {
    let secret = "sk-e2e-very-secret-0123456789";
    let script = r#"
[[reply]]
[[reply.tool_calls]]
name = "shell"
input = { command = "echo \"child sees: [$TANDEM_E2E_API_KEY] [$OPENAI_API_KEY]\"; cat key.txt; echo; echo \"parent env: $(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c sk-)\"" }

[[reply]]
text = "done"
"#;
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("key.txt"), format!("leaked {secret}\n")).unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", "sk-provider-key-abcdef")
        .env("TANDEM_E2E_API_KEY", secret)
        .args([
            "exec",
            "--json",
            "--provider",
            "openai",
            "--model",
            "m",
            "-C",
        ])
        .arg(work.path())
        .arg("print the key");
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains(secret) && !text.contains("sk-provider-key-abcdef"),
            "{text}"
        );
    }
    let result = json_lines(&out)
        .into_iter()
        .find(|e| e["type"] == "tool.result")
        .unwrap();
    let output = result["output"].as_str().unwrap();
    assert!(
        output.contains("child sees: [] []"),
        "no key in the child's environment: {output}"
    );
    assert!(
        output.contains("leaked [REDACTED:TANDEM_E2E_API_KEY]"),
        "{output}"
    );
    assert!(
        output.contains("parent env: 0\n"),
        "tandem's own environment block holds no key a sandboxed command could read: {output}"
    );
    let sent_back = serde_json::to_string(&server.requests()[1].body).unwrap();
    assert!(
        !sent_back.contains(secret),
        "the model never sees it: {sent_back}"
    );
    let logs = std::fs::read_dir(home.path().join("state/logs")).unwrap();
    for log in logs {
        let text = std::fs::read_to_string(log.unwrap().path()).unwrap();
        assert!(!text.contains(secret) && !text.contains("sk-provider-key-abcdef"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_deny_rules_refuse_commands_even_in_full_auto() {
    let script = r#"
[[reply]]
[[reply.tool_calls]]
name = "shell"
input = { command = "echo ok && rm -f keep.txt" }

[[reply]]
text = "could not"
"#;
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join(".tandem")).unwrap();
    std::fs::write(
        work.path().join(".tandem/config.toml"),
        "[permissions]\ndeny = [\"shell(rm:*)\"]\nallow = [\"shell(echo:*)\"]\n",
    )
    .unwrap();
    std::fs::write(work.path().join("keep.txt"), "precious").unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("OPENAI_BASE_URL", server.base_url())
        .args([
            "exec",
            "--json",
            "--provider",
            "openai",
            "--model",
            "m",
            "-C",
        ])
        .arg(work.path())
        .arg("clean up");
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = json_lines(&out)
        .into_iter()
        .find(|e| e["type"] == "tool.result")
        .unwrap();
    assert_eq!(result["ok"], false);
    let output = result["output"].as_str().unwrap();
    assert!(
        output.contains("shell(rm:*)") && output.contains(".tandem/config.toml"),
        "{output}"
    );
    assert!(work.path().join("keep.txt").exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ignoring") && stderr.contains("shell(echo:*)"),
        "the project's own allow is set aside, loudly: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_commands_run_in_the_kernel_sandbox() {
    let home = tempfile::tempdir().unwrap();
    // In $HOME, not under a temp dir: temp dirs are writable in the sandbox
    // by design (and CI may clone the repository under /tmp).
    let home_dir = std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    assert!(
        !home_dir.starts_with(std::env::temp_dir()) && !home_dir.starts_with("/tmp"),
        "this test needs a HOME outside the temp dirs to have somewhere the sandbox forbids"
    );
    let outside = tempfile::Builder::new()
        .prefix(".tandem-exec-test-")
        .tempdir_in(&home_dir)
        .unwrap();
    let target = outside.path().join("escaped.txt");
    let script = format!(
        r#"
[[reply]]
[[reply.tool_calls]]
name = "shell"
input = {{ command = "echo inside > inside.txt && echo out > {}" }}

[[reply]]
text = "tried"
"#,
        target.display()
    );
    let work = tempfile::tempdir().unwrap();
    let run_with = |flags: &'static [&'static str]| {
        let script = script.clone();
        let home = home.path().to_path_buf();
        let work = work.path().to_path_buf();
        async move {
            let server = MockServer::start(Script::from_toml_str(&script).unwrap())
                .await
                .unwrap();
            let mut cmd = tandem(&home);
            cmd.env("OPENAI_BASE_URL", server.base_url())
                .args([
                    "exec",
                    "--json",
                    "--provider",
                    "openai",
                    "--model",
                    "m",
                    "-C",
                ])
                .arg(&work)
                .args(flags)
                .arg("write files");
            run(cmd).await
        }
    };
    let out = run_with(&[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = json_lines(&out)
        .into_iter()
        .find(|e| e["type"] == "tool.result")
        .unwrap();
    assert_eq!(result["ok"], false, "{result}");
    assert!(
        result["output"]
            .as_str()
            .unwrap()
            .contains("ermission denied"),
        "the command's own error: {result}"
    );
    assert!(
        work.path().join("inside.txt").exists(),
        "the workspace is writable"
    );
    assert!(!target.exists(), "nothing escaped");

    // Only the explicit flag runs commands unconfined, and it says so.
    let out = run_with(&["--dangerously-bypass-sandbox"]).await;
    assert_eq!(out.status.code(), Some(0));
    let started = json_lines(&out).remove(0);
    assert_eq!(started["sandbox"]["enforced"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING"));
    assert!(target.exists());

    // danger-full-access in config is not enough on its own.
    std::fs::write(
        home.path().join("config.toml"),
        "[sandbox]\nmode = \"danger-full-access\"\n",
    )
    .unwrap();
    let out = run_with(&[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dangerously-bypass-sandbox"));
}

#[tokio::test]
async fn config_show_names_where_each_value_comes_from_and_hides_secrets() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[ui]\ntheme = \"light\"\n[providers.relay]\nwire = \"openai\"\nbase_url = \"http://relay\"\nheaders = { x-api-key = \"sk-live-123\" }\n",
    )
    .unwrap();
    let mut cmd = tandem(home.path());
    cmd.args(["config", "show"]).current_dir(home.path());
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} listed: {text}"))
            .to_string()
    };
    assert!(
        line("ui.theme").contains("\"light\"")
            && line("ui.theme").ends_with(&config.display().to_string())
    );
    assert!(line("ui.mouse").ends_with("# built-in defaults"));
    assert!(line("providers.relay.headers.x-api-key").contains("[redacted]"));
    assert!(!text.contains("sk-live-123"));

    std::fs::write(&config, "[ui]\ntheme = 3\n").unwrap();
    let mut cmd = tandem(home.path());
    cmd.args(["config", "show"]).current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.toml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_json_says_which_instruction_files_the_agent_got() {
    let server = MockServer::start(Script::from_toml_str("[[reply]]\ntext = \"ok\"\n").unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("AGENTS.md"),
        "Run `make check` before finishing.\n",
    )
    .unwrap();
    let mut cmd = tandem(home.path());
    cmd.env("HOME", home.path())
        .env("ANTHROPIC_BASE_URL", server.base_url())
        .env("ANTHROPIC_API_KEY", "test-key")
        .args(["exec", "--json", "--provider", "anthropic", "-C"])
        .arg(work.path())
        .arg("hello");
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&out);
    let loaded: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "instructions")
        .collect();
    assert_eq!(loaded.len(), 1, "{events:?}");
    let files = loaded[0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0]["path"].as_str().unwrap().ends_with("AGENTS.md"),
        "{files:?}"
    );
    assert_eq!(files[0]["level"], "project");
    assert_eq!(files[0]["truncated"], false);
    // The model got it, as the line says.
    let request = serde_json::to_string(&server.requests()[0].body).unwrap();
    assert!(request.contains("make check"), "{request}");
}

/// Whether this process may make a private mount namespace with a tmpfs
/// (root, or CAP_SYS_ADMIN); tests of a full disk need one.
fn can_mount_tmpfs() -> bool {
    Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\" && umount \"$d\"; s=$?; rmdir \"$d\"; exit $s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_state_dir_is_said_and_the_task_still_runs() {
    if !can_mount_tmpfs() {
        // Straight to stderr: the harness hides `eprintln!` of a passing
        // test, and a skip must be seen. With TANDEM_REQUIRE_MOUNT=1 it is
        // a failure instead.
        use std::io::Write;
        let why = "no private mount namespace with a tmpfs here (needs root or CAP_SYS_ADMIN, and unshare)";
        if std::env::var("TANDEM_REQUIRE_MOUNT").as_deref() == Ok("1") {
            panic!("TANDEM_REQUIRE_MOUNT=1 but {why}");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: a_full_disk_under_the_state_dir_is_said_and_the_task_still_runs: {why}"
        );
        return;
    }
    let (server, home, work) = greet_task().await;
    let state = home.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // The state dir is a 128 KiB tmpfs, filled to the brim before tandem
    // starts: every write under it fails with "No space left on device".
    let script = format!(
        "mount -t tmpfs -o size=128k tmpfs '{state}' && \
         (head -c 1048576 /dev/zero > '{state}/filler' 2>/dev/null; true) && \
         exec \"$@\"",
        state = state.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args([
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
        "sh",
        BIN,
    ])
    .args(["exec", "--mode", "full-auto", "--provider", "anthropic"])
    .arg("-C")
    .arg(work.path())
    .arg("fix the greeting")
    .env("TANDEM_HOME", home.path())
    .env("ANTHROPIC_BASE_URL", server.base_url())
    .env("ANTHROPIC_API_KEY", "test-key")
    .env_remove("OPENAI_API_KEY")
    .env_remove("OPENAI_BASE_URL")
    .stdin(Stdio::null());
    let out = run(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The work is done and nothing of it lost...
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(work.path().join("greet.py")).unwrap(),
        "def greet(name):\n    return \"Hello, \" + name\n"
    );
    // ...and what could not be kept is said, with the cause.
    assert!(
        stderr.contains("this run is not recorded") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    assert!(
        stderr.contains("usage records of this run are not in the ledger"),
        "{stderr}"
    );
}
