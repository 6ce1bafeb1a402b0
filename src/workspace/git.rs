//! Running `git` against the shadow repository with an environment the user
//! cannot redirect.
//!
//! Every `GIT_*` variable of the process is removed (a stray `GIT_DIR` or
//! `GIT_INDEX_FILE` would otherwise point the commands at the user's
//! repository), system and global config are not read (a user's hooks path,
//! signing or excludes must not apply), and the git dir, work tree, index and
//! identity are set explicitly.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::WorkspaceError;

/// One shadow repository bound to one work tree.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    pub(crate) shadow: PathBuf,
    pub(crate) workspace: PathBuf,
}

impl Git {
    /// A `git` command with the isolated environment, run in the work tree.
    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new("git");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(&self.workspace)
            .env("GIT_DIR", &self.shadow)
            .env("GIT_WORK_TREE", &self.workspace)
            .env("GIT_INDEX_FILE", self.shadow.join("index"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "tandem")
            .env("GIT_AUTHOR_EMAIL", "tandem@localhost")
            .env("GIT_COMMITTER_NAME", "tandem")
            .env("GIT_COMMITTER_EMAIL", "tandem@localhost")
            .env("LC_ALL", "C")
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.quotePath=false",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `git args`, feeding `input` on stdin when given; returns the raw
    /// output whatever the exit status.
    pub(crate) fn output<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        input: Option<&[u8]>,
    ) -> Result<Output, WorkspaceError> {
        let mut cmd = self.command(args);
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(WorkspaceError::GitMissing)?;
        if let Some(bytes) = input {
            let mut stdin = child.stdin.take().expect("stdin was piped");
            let bytes = bytes.to_vec();
            // A separate thread so a large input cannot deadlock against a
            // full stdout pipe.
            let writer = std::thread::spawn(move || stdin.write_all(&bytes));
            let out = child
                .wait_with_output()
                .map_err(|e| WorkspaceError::io("waiting for git in", &self.shadow, e))?;
            writer
                .join()
                .expect("stdin writer does not panic")
                .map_err(|e| WorkspaceError::io("writing to git in", &self.shadow, e))?;
            return Ok(out);
        }
        child
            .wait_with_output()
            .map_err(|e| WorkspaceError::io("waiting for git in", &self.shadow, e))
    }

    /// Runs `git args` and returns its stdout; a non-zero exit is an error.
    pub(crate) fn run<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        input: Option<&[u8]>,
    ) -> Result<Vec<u8>, WorkspaceError> {
        let out = self.output(args, input)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(self.failure(args, &out))
        }
    }

    /// The error for a failed command.
    pub(crate) fn failure<S: AsRef<OsStr>>(&self, args: &[S], out: &Output) -> WorkspaceError {
        let command = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy())
            .find(|a| !a.starts_with('-'))
            .unwrap_or_default()
            .into_owned();
        WorkspaceError::Git {
            command,
            shadow: self.shadow.clone(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }
    }

    /// Runs `git args` and returns its stdout as one trimmed line.
    pub(crate) fn line<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, WorkspaceError> {
        let out = self.run(args, None)?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }
}

/// Whether `id` looks like a full commit hash (SHA-1 or SHA-256); ids are
/// checked before they reach a command line so none can pass as an option.
pub(crate) fn is_commit_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A path given as bytes by git (`-z` output), as a `PathBuf`.
pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Whether `path` is relative and stays inside its base (no `..`, no root).
pub(crate) fn is_inner(path: &Path) -> bool {
    use std::path::Component;
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

impl Git {
    /// Runs `git args` with `GIT_DIR` set but no work tree or index (for
    /// `init --bare`, which refuses a work tree).
    pub(crate) fn run_without_worktree(&self, args: &[&str]) -> Result<(), WorkspaceError> {
        let mut cmd = self.command(args);
        cmd.env_remove("GIT_WORK_TREE").env_remove("GIT_INDEX_FILE");
        let out = cmd.output().map_err(WorkspaceError::GitMissing)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(self.failure(args, &out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_isolated() {
        let git = Git {
            shadow: PathBuf::from("/state/shadow/x.git"),
            workspace: PathBuf::from("/ws"),
        };
        let cmd = git.command(&["status"]);
        let envs: Vec<_> = cmd.get_envs().collect();
        let get = |k: &str| {
            envs.iter()
                .find(|(key, _)| *key == k)
                .and_then(|(_, v)| *v)
                .map(|v| v.to_string_lossy().into_owned())
        };
        assert_eq!(get("GIT_DIR").as_deref(), Some("/state/shadow/x.git"));
        assert_eq!(get("GIT_WORK_TREE").as_deref(), Some("/ws"));
        assert_eq!(
            get("GIT_INDEX_FILE").as_deref(),
            Some("/state/shadow/x.git/index")
        );
        assert_eq!(get("GIT_CONFIG_GLOBAL").as_deref(), Some("/dev/null"));
        // Every GIT_* variable of this process is removed or overridden.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                assert!(envs.iter().any(|(k, _)| *k == key), "{key:?} leaks");
            }
        }
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert!(args.contains(&"core.hooksPath=/dev/null".into()));
    }

    #[test]
    fn ids_and_paths_are_checked() {
        assert!(is_commit_id(&"a".repeat(40)));
        assert!(!is_commit_id("--output=x"));
        assert!(!is_commit_id("HEAD"));
        assert!(is_inner(Path::new("a/b c")));
        assert!(!is_inner(Path::new("../a")));
        assert!(!is_inner(Path::new("/etc/passwd")));
        assert!(!is_inner(Path::new("")));
    }
}
