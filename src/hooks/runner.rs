//! Running one hook: `sh -c COMMAND` in the workspace, the event JSON on
//! stdin, provider keys removed from its environment, stdout and stderr
//! captured up to a cap, and the whole process group killed when the
//! timeout passes or the caller gives up (the future is dropped), so a
//! hook can never hang a session or leave a `sleep` behind.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::Hook;
use crate::exec::secrets::SecretPolicy;

/// Bytes of stdout and of stderr kept from one hook; the rest is read and
/// dropped (so the hook never blocks on a full pipe).
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How one hook process ended, before its answer is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// It exited (`code`) or was killed by a signal (`code` is `None`).
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
        stdout: String,
        stderr: String,
    },
    /// It ran past its timeout; its process group was killed.
    TimedOut(Duration),
    /// `sh` could not be started.
    NotStarted(String),
}

/// Kills a process group when dropped, unless disarmed: covers the
/// timeout and a caller that stops waiting (an interrupted task).
struct GroupKill(Option<i32>);

impl GroupKill {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: killpg only sends a signal; the group is the hook's
            // own (process_group(0) made its shell the leader) and its
            // leader is not yet reaped, so the id is still ours.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `hook` with `stdin` as its input in `cwd`.
pub async fn run(hook: &Hook, stdin: &[u8], cwd: &Path, secrets: &SecretPolicy) -> Raw {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&hook.command)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| secrets.is_secret(n)) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("TANDEM_PROJECT_DIR", cwd)
        .env("CLAUDE_PROJECT_DIR", cwd);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return Raw::NotStarted(format!("cannot start `sh -c`: {e}")),
    };
    let mut group = GroupKill(child.id().and_then(|id| i32::try_from(id).ok()));
    let input = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        let feed = async {
            if let Some(mut pipe) = input {
                // A hook that does not read its input closes the pipe
                // early; that is its business, not an error.
                let _ = pipe.write_all(stdin).await;
            }
        };
        let (_, out, err, status) =
            tokio::join!(feed, read_capped(stdout), read_capped(stderr), child.wait());
        (out, err, status)
    };
    match tokio::time::timeout(hook.timeout, work).await {
        Ok((stdout, stderr, status)) => {
            // Reaped: the group id may be reused from now on.
            group.0 = None;
            match status {
                Ok(status) => exited(status, stdout, stderr),
                Err(e) => Raw::NotStarted(format!("cannot wait for the hook: {e}")),
            }
        }
        Err(_) => {
            group.kill();
            Raw::TimedOut(hook.timeout)
        }
    }
}

fn exited(status: ExitStatus, stdout: String, stderr: String) -> Raw {
    use std::os::unix::process::ExitStatusExt;
    Raw::Exited {
        code: status.code(),
        signal: status.signal(),
        stdout,
        stderr,
    }
}

/// Reads a pipe to its end, keeping the first [`OUTPUT_CAP`] bytes.
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                cut |= n > room;
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if cut {
        text.push_str("\n[… output cut]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::HookEvent;
    use std::time::Instant;

    fn hook(command: &str, timeout: Duration) -> Hook {
        Hook {
            event: HookEvent::Stop,
            matcher: None,
            command: command.into(),
            timeout,
            origin: "test".into(),
        }
    }

    #[tokio::test]
    async fn a_hook_reads_stdin_in_the_workspace_with_the_project_variables() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        let h = hook(
            r#"read line; echo "$line|$(pwd)|$TANDEM_PROJECT_DIR|$CLAUDE_PROJECT_DIR"; echo oops >&2; exit 3"#,
            Duration::from_secs(10),
        );
        let raw = run(&h, b"hello\n", &cwd, &SecretPolicy::default()).await;
        let c = cwd.display();
        assert_eq!(
            raw,
            Raw::Exited {
                code: Some(3),
                signal: None,
                stdout: format!("hello|{c}|{c}|{c}\n"),
                stderr: "oops\n".into(),
            }
        );
    }

    #[tokio::test]
    async fn credential_variables_are_not_in_a_hooks_environment() {
        // Cargo sets this for test processes; the policy calls it a key.
        let present = "CARGO_MANIFEST_DIR";
        assert!(std::env::var(present).is_ok(), "cargo sets {present}");
        let secrets = SecretPolicy {
            key_vars: vec![present.into()],
            passthrough: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let h = hook(
            "echo \"${CARGO_MANIFEST_DIR-unset} ${CARGO_PKG_NAME-unset}\"",
            Duration::from_secs(10),
        );
        let Raw::Exited { stdout, .. } = run(&h, b"", dir.path(), &secrets).await else {
            panic!("the hook exits")
        };
        assert_eq!(stdout, "unset tandem\n");
    }

    #[tokio::test]
    async fn a_hook_past_its_timeout_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let h = hook(
            &format!("sleep 3 && touch {}", marker.display()),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        let raw = run(&h, b"", dir.path(), &SecretPolicy::default()).await;
        assert_eq!(raw, Raw::TimedOut(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert!(!marker.exists(), "the hook's children were killed too");
    }

    #[tokio::test]
    async fn huge_output_is_capped_and_does_not_block_the_hook() {
        let dir = tempfile::tempdir().unwrap();
        let h = hook(
            "head -c 1000000 /dev/zero | tr '\\0' x",
            Duration::from_secs(10),
        );
        let Raw::Exited { code, stdout, .. } =
            run(&h, b"", dir.path(), &SecretPolicy::default()).await
        else {
            panic!("the hook exits")
        };
        assert_eq!(code, Some(0));
        assert!(stdout.len() < OUTPUT_CAP + 100);
        assert!(stdout.ends_with("[… output cut]"));
    }
}
