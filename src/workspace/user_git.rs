//! Running the user's own git (the review's index reads and writes, the
//! worktree runs): their configuration applies, it is their repository,
//! but with three safety rules. Variables that would point git at another
//! repository or index (`GIT_DIR`, `GIT_INDEX_FILE`, … set by a hook that
//! started Tandem) are removed, hooks are off (a `post-checkout` must not
//! run on Tandem's behalf), and optional locks are not taken. Tests never
//! read the machine's git configuration.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::WorkspaceError;

/// Variables that redirect git to another repository or index.
const REDIRECTING_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_EXTERNAL_DIFF",
];

/// A `git` command for the user's repository, run in `dir`, with stdout
/// and stderr piped.
pub(crate) fn command<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Command {
    let mut cmd = Command::new("git");
    for var in REDIRECTING_VARS {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .args(["-c", "core.hooksPath=/dev/null", "-c", "core.quotepath=off"]);
    #[cfg(test)]
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The error for a git command (`args`) in `dir` that could not run or
/// failed, naming its subcommand and what went wrong.
pub(crate) fn failure<S: AsRef<OsStr>>(dir: &Path, args: &[S], detail: &str) -> WorkspaceError {
    let sub = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy())
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default()
        .into_owned();
    WorkspaceError::io(
        "running git in",
        dir,
        std::io::Error::other(format!(
            "git {sub} failed: {detail}; check the repository with `git status`"
        )),
    )
}

/// Runs a prepared command, feeding `input` from a thread (so a large input
/// cannot deadlock against a full stdout); the raw output whatever the exit
/// status. Failing to write is an error only when git still succeeded (a
/// failing git may stop reading early; its status says so).
pub(crate) fn spawn(
    dir: &Path,
    mut cmd: Command,
    input: Option<&[u8]>,
) -> Result<Output, WorkspaceError> {
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().map_err(WorkspaceError::GitMissing)?;
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&bytes)))
        }
        _ => None,
    };
    let out = child
        .wait_with_output()
        .map_err(|e| WorkspaceError::io("waiting for git in", dir, e))?;
    if let Some(writer) = writer {
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("writer panicked")));
        if let Err(e) = written
            && out.status.success()
        {
            return Err(WorkspaceError::io("writing to git in", dir, e));
        }
    }
    Ok(out)
}

/// Runs git in `dir`; the raw output whatever the exit status.
pub(crate) fn output<S: AsRef<OsStr>>(
    dir: &Path,
    args: &[S],
    input: Option<&[u8]>,
) -> Result<Output, WorkspaceError> {
    spawn(dir, command(dir, args), input)
}

/// Runs a prepared command for `args`; its stdout, or [`failure`] with
/// git's message when it exits non-zero.
pub(crate) fn finish<S: AsRef<OsStr>>(
    dir: &Path,
    args: &[S],
    cmd: Command,
    input: Option<&[u8]>,
) -> Result<Vec<u8>, WorkspaceError> {
    let out = spawn(dir, cmd, input)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(failure(dir, args, &stderr))
    }
}

/// Runs git in `dir`; its stdout, or an error when it exits non-zero.
pub(crate) fn run<S: AsRef<OsStr>>(
    dir: &Path,
    args: &[S],
    input: Option<&[u8]>,
) -> Result<Vec<u8>, WorkspaceError> {
    finish(dir, args, command(dir, args), input)
}
