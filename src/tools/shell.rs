//! The `shell` tool: runs a command with `bash -c` in a PTY
//! ([`crate::exec::pty`]) and reports its output and exit code to the model.
//!
//! `bash -c`, not a login shell: no profile files are read, so start-up is
//! fast and output carries no profile noise; the command sees tandem's
//! environment (minus secrets), which already has the user's `PATH`.
//!
//! The PTY gets `TERM=xterm-256color`, so programs print as they would for
//! the user and the live view ([`ToolProgress::Output`], raw bytes) shows
//! colour. The model gets the same output cleaned up: escape sequences
//! stripped, `\r\n` turned into `\n`, and carriage-return progress lines
//! collapsed to their final state. Pagers are set to `cat` and git never
//! prompts, so nothing waits for a keyboard that is not there; stdin is
//! `/dev/null` for the same reason.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{SandboxLaunch, Tool, ToolContext, ToolKind, ToolOutput, ToolProgress};
use crate::exec::pty::{self, PtyCommand, PtyOutcome, RunLimits, Stdin, Termination};
use crate::provider::ToolSpec;

/// The shell every command runs in.
const SHELL: &str = "bash";
/// Terminal size of a command as (rows, columns): wide, so tools that
/// format to the width (progress bars, `ls`, diffstats) wrap rarely.
const PTY_SIZE: (u16, u16) = (40, 160);
/// Variables set in every command, after tandem's own environment.
const ENV_SET: [(&str, &str); 4] = [
    ("TERM", "xterm-256color"),
    ("PAGER", "cat"),
    ("GIT_PAGER", "cat"),
    ("GIT_TERMINAL_PROMPT", "0"),
];
/// Characters of the command shown by [`Tool::summary`].
const SUMMARY_CHARS: usize = 80;

/// The `shell` tool: one command per call, in a fresh `bash -c` on a PTY.
pub struct Shell;

impl Tool for Shell {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "shell".into(),
            description: "Run a shell command with `bash -c` in the workspace and return its \
                output (stdout and stderr merged, escape codes removed) and exit code. Each \
                call is a fresh shell: `cd` and variables do not carry over, so use `workdir` \
                or `cd dir && ...`. Stdin is empty and there is no user at the keyboard: pass \
                non-interactive flags (e.g. `-y`). Background jobs are killed when the command \
                ends. Long output keeps its beginning and end; redirect to a file and read \
                parts of it when you need the middle."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": {
                        "type": "string",
                        "description": "The command line, run with `bash -c`."
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Time limit in milliseconds (capped by the configured maximum); the default suits most commands."
                    },
                    "workdir": {
                        "type": "string",
                        "description": "Directory to run in, relative to the workspace root (must stay inside it). Default: the workspace root."
                    }
                },
                "required": ["command"]
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Exec
    }

    fn summary(&self, input: &Value) -> String {
        let command = input.get("command").and_then(Value::as_str).unwrap_or("");
        let mut lines = command.trim().lines();
        let first = lines.next().unwrap_or("");
        let mut summary: String = first.chars().take(SUMMARY_CHARS).collect();
        if first.chars().count() > SUMMARY_CHARS || lines.next().is_some() {
            summary.push('…');
        }
        summary
    }

    fn targets(&self, input: &Value, _workspace: &std::path::Path) -> Vec<String> {
        input
            .get("command")
            .and_then(Value::as_str)
            .map(|c| vec![c.to_string()])
            .unwrap_or_default()
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(run_with(SHELL, input, ctx))
    }
}

/// A parsed call.
#[derive(Debug)]
struct Call {
    command: String,
    timeout: Duration,
    cwd: PathBuf,
}

/// Runs one call with `shell` as the shell program (a parameter so the
/// missing-shell path can be tested).
async fn run_with(shell: &str, input: Value, ctx: &ToolContext) -> ToolOutput {
    let call = match parse(&input, ctx) {
        Ok(call) => call,
        Err(message) => return ToolOutput::err(message),
    };
    let mut cmd = PtyCommand::new(shell, vec!["-c".into(), call.command], call.cwd);
    match &ctx.shell.sandbox {
        SandboxLaunch::Sandboxed { policy, helper } => {
            cmd.wrapper = policy.command_prefix(helper).unwrap_or_default();
        }
        SandboxLaunch::Bypassed => {}
        SandboxLaunch::Unavailable(why) => return ToolOutput::err(format!("Not run: {why}")),
    }
    cmd.env_remove = ctx.shell.scrub_env.clone();
    cmd.env_keep = ctx.shell.env_keep.clone();
    cmd.env_set = ENV_SET
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    cmd.size = PTY_SIZE;
    cmd.stdin = Stdin::Null;
    let limits = RunLimits {
        timeout: call.timeout,
        output_cap_bytes: ctx.shell.output_cap_bytes,
    };
    let progress = ctx.progress.clone();
    let on_output = move |bytes: &[u8]| {
        if let Some(tx) = &progress {
            // A closed sink means nobody watches any more; the run goes on.
            let _ = tx.send(ToolProgress::Output(bytes.to_vec()));
        }
    };
    match pty::run(cmd, limits, ctx.cancel.clone(), on_output).await {
        Ok(outcome) => report(&outcome, call.timeout, ctx.shell.output_cap_bytes),
        Err(pty::PtyError::NotFound { program }) => ToolOutput::err(format!(
            "The shell tool needs `{program}`, which was not found on PATH. Install bash or add it to PATH, then try again."
        )),
        Err(e) => ToolOutput::err(format!("Could not run the command: {e}")),
    }
}

/// Validates the input: a non-empty command, a positive timeout within the
/// configured maximum, a workdir inside the workspace.
fn parse(input: &Value, ctx: &ToolContext) -> Result<Call, String> {
    let command = input
        .get("command")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .ok_or("`command` is required: pass the command line to run as a non-empty string.")?;
    let timeout = match input.get("timeout_ms") {
        None | Some(Value::Null) => ctx.shell.timeout,
        Some(v) => {
            let ms = v
                .as_u64()
                .or_else(|| v.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
                .filter(|ms| *ms > 0)
                .ok_or("`timeout_ms` must be a positive number of milliseconds; omit it for the default.")?;
            Duration::from_millis(ms).min(ctx.shell.max_timeout)
        }
    };
    let workdir = input.get("workdir").and_then(Value::as_str);
    let cwd = resolve_workdir(&ctx.workspace, workdir)?;
    Ok(Call {
        command: command.to_string(),
        timeout,
        cwd,
    })
}

/// The directory a command runs in: the workspace, or `workdir` resolved
/// against it (symlinks followed), which must be an existing directory
/// inside the workspace.
fn resolve_workdir(workspace: &Path, workdir: Option<&str>) -> Result<PathBuf, String> {
    let root = workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let Some(dir) = workdir.filter(|d| !d.trim().is_empty()) else {
        return Ok(root);
    };
    let joined = root.join(dir);
    let resolved = joined.canonicalize().map_err(|_| {
        format!("workdir `{dir}` does not exist in the workspace; give an existing directory relative to the workspace root.")
    })?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "workdir `{dir}` is outside the workspace; commands run inside it. Give a directory relative to the workspace root."
        ));
    }
    if !resolved.is_dir() {
        return Err(format!(
            "workdir `{dir}` is not a directory; give a directory relative to the workspace root."
        ));
    }
    Ok(resolved)
}

/// Turns an outcome into the model's view: cleaned output, the elision
/// marker where bytes were dropped, and a status line.
fn report(outcome: &PtyOutcome, timeout: Duration, cap: usize) -> ToolOutput {
    let elided = outcome.output.elided_bytes();
    let mut text = clean_for_model(outcome.output.head());
    if elided > 0 {
        ensure_newline(&mut text);
        text.push_str(&format!("[… {elided} bytes of output elided …]\n"));
    }
    text.push_str(&clean_for_model(&outcome.output.tail()));
    if text.is_empty() {
        text.push_str("(no output)");
    }
    ensure_newline(&mut text);

    let exit_code = outcome.exit_code.or(outcome.signal.map(|sig| 128 + sig));
    match outcome.termination {
        Termination::TimedOut => text.push_str(&format!(
            "Timed out after {}; the command and everything it started were killed. Pass a larger `timeout_ms` if it needs more time.",
            seconds(timeout)
        )),
        Termination::Cancelled => text.push_str(
            "Interrupted by the user; the command and everything it started were killed.",
        ),
        Termination::Exited => match (outcome.exit_code, outcome.signal) {
            (Some(code), _) => text.push_str(&format!("Exit code: {code}")),
            (None, Some(sig)) => text.push_str(&format!("Killed by signal {sig}")),
            (None, None) => text.push_str("Exit status unknown"),
        },
    }
    if elided > 0 {
        text.push_str(&format!(
            "\nOutput was capped at {cap} bytes: {elided} bytes from the middle were left out. Redirect output to a file and read parts of it if you need them."
        ));
    }
    ToolOutput {
        ok: outcome.termination == Termination::Exited && outcome.exit_code == Some(0),
        text,
        exit_code,
        ..ToolOutput::default()
    }
}

fn ensure_newline(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
}

/// A duration as `30 s` or `0.5 s`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Terminal output as plain text for the model: each line collapsed to what
/// follows its last carriage return (progress bars redraw that way; a
/// trailing `\r`, as in `\r\n`, does not count), escape sequences stripped,
/// tabs kept, invalid UTF-8 replaced.
fn clean_for_model(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut lines = raw.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let end = line.iter().rposition(|b| *b != b'\r').map_or(0, |i| i + 1);
        let line = &line[..end];
        let last = line
            .split(|b| *b == b'\r')
            .rfind(|seg| !seg.is_empty())
            .unwrap_or(&[]);
        for (i, part) in last.split(|b| *b == b'\t').enumerate() {
            if i > 0 {
                out.push('\t');
            }
            out.push_str(&String::from_utf8_lossy(&strip_ansi_escapes::strip(part)));
        }
        if lines.peek().is_some() {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use tokio::sync::mpsc;

    use super::*;
    use crate::tools::ShellSettings;

    struct Fixture {
        _dir: tempfile::TempDir,
        ctx: ToolContext,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::new(dir.path().canonicalize().unwrap());
        Fixture { _dir: dir, ctx }
    }

    async fn shell(ctx: &ToolContext, input: Value) -> ToolOutput {
        Shell.run(input, ctx).await
    }

    #[tokio::test]
    async fn echo_succeeds() {
        let f = fixture();
        let out = shell(&f.ctx, json!({"command": "echo hello"})).await;
        assert!(out.ok);
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(out.text, "hello\nExit code: 0");
    }

    #[tokio::test]
    async fn nonzero_exit_fails_with_stderr() {
        let f = fixture();
        let out = shell(&f.ctx, json!({"command": "echo bad >&2; exit 2"})).await;
        assert!(!out.ok);
        assert_eq!(out.exit_code, Some(2));
        assert_eq!(out.text, "bad\nExit code: 2");
    }

    #[tokio::test]
    async fn no_output_is_said() {
        let f = fixture();
        let out = shell(&f.ctx, json!({"command": "true"})).await;
        assert_eq!(out.text, "(no output)\nExit code: 0");
    }

    #[tokio::test]
    async fn timeout_is_reported_promptly() {
        let f = fixture();
        let started = Instant::now();
        let out = shell(&f.ctx, json!({"command": "sleep 30", "timeout_ms": 300})).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(!out.ok);
        assert!(
            out.text.starts_with("(no output)\nTimed out after 0.3 s"),
            "{}",
            out.text
        );
        assert_eq!(out.exit_code, Some(128 + libc::SIGKILL));
    }

    #[tokio::test]
    async fn timeout_is_clamped_to_the_maximum() {
        let mut f = fixture();
        f.ctx.shell = Arc::new(ShellSettings {
            max_timeout: Duration::from_millis(200),
            ..ShellSettings::default()
        });
        let started = Instant::now();
        let out = shell(
            &f.ctx,
            json!({"command": "sleep 30", "timeout_ms": 999_999}),
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(out.text.contains("Timed out after 0.2 s"), "{}", out.text);
    }

    #[tokio::test]
    async fn cancel_interrupts_within_200ms() {
        let f = fixture();
        let cancel = f.ctx.cancel.clone();
        let ctx = f.ctx.clone();
        let task = tokio::spawn(async move {
            Shell
                .run(json!({"command": "sleep 100 & sleep 100"}), &ctx)
                .await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        cancel.cancel();
        let out = task.await.unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert!(!out.ok);
        assert!(out.text.contains("Interrupted by the user"), "{}", out.text);
    }

    #[tokio::test]
    async fn large_output_is_capped_with_a_note() {
        let mut f = fixture();
        f.ctx.shell = Arc::new(ShellSettings {
            output_cap_bytes: 32 * 1024,
            ..ShellSettings::default()
        });
        let out = shell(
            &f.ctx,
            json!({"command": "echo FIRST; yes | head -c 5000000; echo LAST"}),
        )
        .await;
        assert!(out.ok);
        assert!(out.text.starts_with("FIRST\ny\n"));
        assert!(out.text.contains("bytes of output elided …]\n"));
        assert!(
            out.text
                .contains("LAST\nExit code: 0\nOutput was capped at 32768 bytes")
        );
        assert!(out.text.len() < 40 * 1024, "{}", out.text.len());
    }

    #[tokio::test]
    async fn progress_lines_collapse_and_escapes_vanish() {
        let f = fixture();
        let script = r"printf 'get 10%%\rget 50%%\rget 100%%\n\033[1;31mred\033[0m\tafter\n'";
        let out = shell(&f.ctx, json!({"command": script})).await;
        assert_eq!(out.text, "get 100%\nred\tafter\nExit code: 0");
    }

    #[tokio::test]
    async fn utf8_output_is_intact() {
        let f = fixture();
        let out = shell(
            &f.ctx,
            json!({"command": "for i in $(seq 1 100); do printf '日本語%.0s' $(seq 1 100); done"}),
        )
        .await;
        assert_eq!(out.text.matches("日本語").count(), 10_000);
        assert!(!out.text.contains('\u{fffd}'));
    }

    #[tokio::test]
    async fn secrets_do_not_reach_the_command() {
        let mut f = fixture();
        // SAFETY: these variables are unique to this test and read by no
        // other code concurrently.
        unsafe {
            std::env::set_var("TANDEM_SHELL_TEST_API_KEY", "sk-shell-secret");
            std::env::set_var("TANDEM_SHELL_TEST_TOKEN", "tok-secret");
        }
        f.ctx.shell = Arc::new(ShellSettings {
            scrub_env: vec!["TANDEM_SHELL_TEST_TOKEN".into()],
            ..ShellSettings::default()
        });
        let out = shell(&f.ctx, json!({"command": "env"})).await;
        assert!(out.ok);
        assert!(!out.text.contains("secret"), "{}", out.text);
        assert!(out.text.contains("TERM=xterm-256color"));
        assert!(out.text.contains("GIT_PAGER=cat"));
    }

    #[tokio::test]
    async fn workdir_inside_is_used() {
        let f = fixture();
        std::fs::create_dir(f.ctx.workspace.join("sub")).unwrap();
        let out = shell(&f.ctx, json!({"command": "pwd", "workdir": "sub"})).await;
        let expected = format!("{}\nExit code: 0", f.ctx.workspace.join("sub").display());
        assert_eq!(out.text, expected);
        let out = shell(&f.ctx, json!({"command": "pwd"})).await;
        assert!(
            out.text
                .starts_with(&format!("{}\n", f.ctx.workspace.display()))
        );
    }

    #[tokio::test]
    async fn workdir_outside_is_refused() {
        let f = fixture();
        std::os::unix::fs::symlink("/", f.ctx.workspace.join("escape")).unwrap();
        for dir in ["..", "/etc", "escape", "sub/../.."] {
            let out = shell(&f.ctx, json!({"command": "pwd", "workdir": dir})).await;
            assert!(!out.ok, "{dir}");
            assert!(out.exit_code.is_none());
        }
        let out = shell(&f.ctx, json!({"command": "pwd", "workdir": "/etc"})).await;
        assert!(out.text.contains("outside the workspace"), "{}", out.text);
        let out = shell(&f.ctx, json!({"command": "pwd", "workdir": "missing"})).await;
        assert!(out.text.contains("does not exist"), "{}", out.text);
    }

    #[tokio::test]
    async fn bad_input_is_explained() {
        let f = fixture();
        let out = shell(&f.ctx, json!({"command": "  "})).await;
        assert!(!out.ok && out.text.contains("`command` is required"));
        let out = shell(&f.ctx, json!({"command": "true", "timeout_ms": 0})).await;
        assert!(!out.ok && out.text.contains("`timeout_ms`"));
    }

    #[tokio::test]
    async fn live_output_reaches_the_progress_sink() {
        let mut f = fixture();
        let (tx, mut rx) = mpsc::unbounded_channel();
        f.ctx.progress = Some(tx);
        let out = shell(
            &f.ctx,
            json!({"command": "printf '\\033[32mgreen\\033[0m\\n'"}),
        )
        .await;
        assert!(out.ok);
        let mut raw = Vec::new();
        while let Ok(ToolProgress::Output(bytes)) = rx.try_recv() {
            raw.extend(bytes);
        }
        assert_eq!(raw, b"\x1b[32mgreen\x1b[0m\r\n");
    }

    #[tokio::test]
    async fn missing_shell_is_a_clear_error() {
        let f = fixture();
        let out = run_with("no-such-shell-tandem", json!({"command": "true"}), &f.ctx).await;
        assert!(!out.ok);
        assert!(
            out.text.contains("needs `no-such-shell-tandem`"),
            "{}",
            out.text
        );
    }

    #[tokio::test]
    async fn eight_concurrent_commands_complete() {
        let f = fixture();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let ctx = f.ctx.clone();
                tokio::spawn(async move {
                    Shell
                        .run(json!({"command": format!("sleep 0.3; echo job{i}")}), &ctx)
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let out = task.await.unwrap();
            assert_eq!(out.text, format!("job{i}\nExit code: 0"));
        }
    }

    #[test]
    fn summary_is_the_first_line_shortened() {
        assert_eq!(
            Shell.summary(&json!({"command": "cargo test"})),
            "cargo test"
        );
        assert_eq!(Shell.summary(&json!({"command": "a\nb"})), "a…");
        let long = "x".repeat(200);
        assert_eq!(Shell.summary(&json!({"command": long})).chars().count(), 81);
    }

    #[test]
    fn cleaning_handles_terminal_quirks() {
        assert_eq!(clean_for_model(b"a\r\nb\r\r\n"), "a\nb\n");
        assert_eq!(clean_for_model(b"1/3\r2/3\r3/3\r\n"), "3/3\n");
        assert_eq!(clean_for_model(b"\x1b]0;title\x07x\ty"), "x\ty");
        assert_eq!(clean_for_model(b"bad \xff byte"), "bad \u{fffd} byte");
        assert_eq!(clean_for_model(b""), "");
    }
}
