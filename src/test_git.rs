//! Git for the crate's unit tests: the user's own git, run with no machine
//! or user configuration (a fixed author, no signing, paths unquoted), so a
//! developer's `~/.gitconfig` cannot change what a test sees.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `git ARGS` in `dir`; returns its whole output, success or not.
pub fn git_out(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=u",
            "-c",
            "user.email=u@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.quotepath=off",
        ])
        .args(args)
        .output()
        .expect("git runs")
}

/// Runs `git ARGS` in `dir`, which must succeed; returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
