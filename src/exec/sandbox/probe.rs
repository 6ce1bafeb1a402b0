//! The checks behind `tandem doctor`'s sandbox lines: what the kernel
//! offers, and whether a real sandboxed command is confined as promised.
//!
//! The escape checks have controls: the outside write is only counted as
//! blocked when the same write succeeds *without* the sandbox, so a
//! directory that is read-only anyway cannot make a broken sandbox look
//! fine.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::fs::{self as sandbox_fs, Rights};
use super::{SandboxMode, SandboxPolicy, SandboxSupport, support};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStatus {
    /// As it should be.
    Ok,
    /// Works, with less protection than asked for, or could not be checked.
    Warn,
    /// Broken: commands cannot be sandboxed, or the sandbox leaks.
    Fail,
}

impl ProbeStatus {
    /// `ok`, `warn` or `fail`, as `tandem doctor` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeStatus::Ok => "ok",
            ProbeStatus::Warn => "warn",
            ProbeStatus::Fail => "fail",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeCheck {
    /// What was checked (`landlock`, `seccomp`, `write inside`, …).
    pub name: &'static str,
    /// How it went.
    pub status: ProbeStatus,
    /// What was found and, unless it is fine, what to do.
    pub detail: String,
}

/// All sandbox checks, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// One entry per check.
    pub checks: Vec<ProbeCheck>,
}

impl ProbeReport {
    /// Whether every check is [`ProbeStatus::Ok`].
    pub fn all_ok(&self) -> bool {
        self.checks.iter().all(|c| c.status == ProbeStatus::Ok)
    }
}

impl std::fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for check in &self.checks {
            writeln!(
                f,
                "{:<4}  sandbox {}: {}",
                check.status.as_str(),
                check.name,
                check.detail
            )?;
        }
        Ok(())
    }
}

fn check(name: &'static str, status: ProbeStatus, detail: impl Into<String>) -> ProbeCheck {
    ProbeCheck {
        name,
        status,
        detail: detail.into(),
    }
}

/// Runs every check; `helper` is the tandem binary that provides
/// `sandbox-exec`. Takes well under a second: a handful of sandboxed `sh`
/// runs in a temp workspace.
pub fn probe(helper: &Path) -> ProbeReport {
    let support = support();
    let mut checks = vec![landlock_check(support), seccomp_check(support)];
    match tempfile::tempdir() {
        Ok(workspace) => {
            let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, workspace.path());
            checks.push(write_inside(helper, &policy));
            checks.push(write_outside(helper, &policy));
            checks.push(network_off(helper, &policy));
        }
        Err(e) => checks.push(check(
            "run",
            ProbeStatus::Fail,
            format!("cannot create a temp workspace ({e}); check $TMPDIR"),
        )),
    }
    ProbeReport { checks }
}

fn landlock_check(support: SandboxSupport) -> ProbeCheck {
    match support.landlock_abi {
        None => check(
            "landlock",
            ProbeStatus::Fail,
            "not available; needs Linux 5.13+ with `landlock` in the lsm= boot parameter \
             (until then only --dangerously-bypass-sandbox runs commands)",
        ),
        Some(abi) if abi < 3 => check(
            "landlock",
            ProbeStatus::Warn,
            format!(
                "ABI {abi}: works, but truncating files outside the workspace is not prevented \
                 (needs ABI 3, Linux 6.2+); upgrade the kernel for full protection"
            ),
        ),
        Some(abi) => check("landlock", ProbeStatus::Ok, format!("ABI {abi}")),
    }
}

fn seccomp_check(support: SandboxSupport) -> ProbeCheck {
    if support.seccomp {
        check("seccomp", ProbeStatus::Ok, "filters available")
    } else {
        check(
            "seccomp",
            ProbeStatus::Fail,
            "seccomp filters are not available; needs a kernel with CONFIG_SECCOMP_FILTER \
             (until then only --dangerously-bypass-sandbox runs commands)",
        )
    }
}

/// Runs `sh -c SCRIPT sh ARGS...` under `policy` with `--report`.
fn sandboxed_sh(helper: &Path, policy: &SandboxPolicy, script: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(helper);
    cmd.args([
        super::SUBCOMMAND,
        "--report",
        "--policy",
        &policy.to_json(),
        "--",
    ])
    .args(["/bin/sh", "-c", script, "sh"])
    .args(args)
    .current_dir(&policy.workspace)
    .stdin(Stdio::null());
    cmd.output().unwrap_or_else(|e| Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(126 << 8),
        stdout: Vec::new(),
        stderr: format!("cannot run {}: {e}", helper.display()).into_bytes(),
    })
}

/// Whether `sandbox-exec` confined the command (its `--report` line is
/// there); without it, a failed write proves nothing.
fn enforced(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stderr).contains("tandem sandbox: Landlock ")
}

fn not_sandboxed(name: &'static str, out: &Output) -> ProbeCheck {
    check(
        name,
        ProbeStatus::Fail,
        format!("the sandbox could not be set up ({})", stderr_line(out)),
    )
}

fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| l.strip_prefix("tandem sandbox: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_inside(helper: &Path, policy: &SandboxPolicy) -> ProbeCheck {
    let target = policy.workspace.join("probe-inside");
    let target_str = target.to_string_lossy();
    let out = sandboxed_sh(helper, policy, "echo ok > \"$1\"", &[&target_str]);
    if out.status.success() && target.exists() {
        check(
            "write inside",
            ProbeStatus::Ok,
            format!(
                "a sandboxed command wrote in its workspace ({})",
                stderr_line(&out)
            ),
        )
    } else {
        check(
            "write inside",
            ProbeStatus::Fail,
            format!(
                "a sandboxed command could not write in its workspace ({}); commands cannot \
                 work in the sandbox",
                stderr_line(&out)
            ),
        )
    }
}

/// A directory that an unsandboxed write reaches but `policy` must not:
/// tandem's state dir, `$HOME` or the current directory, whichever is
/// outside every writable root.
fn outside_dir(policy: &SandboxPolicy) -> Option<PathBuf> {
    let writable: Vec<PathBuf> = sandbox_fs::plan(policy)
        .into_iter()
        .filter(|g| matches!(g.rights, Rights::Write | Rights::WriteFile))
        .map(|g| g.path)
        .collect();
    let state = crate::paths::Dirs::from_env().ok().map(|d| d.state);
    if let Some(state) = &state {
        let _ = std::fs::create_dir_all(state);
    }
    let candidates = [
        state,
        std::env::var_os("HOME").map(PathBuf::from),
        std::env::current_dir().ok(),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .find(|dir| {
            !writable.iter().any(|w| dir.starts_with(w))
                && tempfile::NamedTempFile::new_in(dir).is_ok()
        })
}

fn write_outside(helper: &Path, policy: &SandboxPolicy) -> ProbeCheck {
    let Some(dir) = outside_dir(policy) else {
        return check(
            "write outside",
            ProbeStatus::Warn,
            "not checked: no directory outside the temp dirs is writable without the sandbox \
             (tried tandem's state dir, $HOME and the current directory)",
        );
    };
    let target = dir.join(format!(".tandem-sandbox-probe-{}", std::process::id()));
    let target_str = target.to_string_lossy();
    let out = sandboxed_sh(helper, policy, "echo escaped > \"$1\"", &[&target_str]);
    let leaked = target.exists();
    if !leaked && !enforced(&out) {
        return not_sandboxed("write outside", &out);
    }
    if leaked {
        let _ = std::fs::remove_file(&target);
    }
    if leaked || out.status.success() {
        check(
            "write outside",
            ProbeStatus::Fail,
            format!(
                "a sandboxed command wrote {} outside its workspace; do not rely on the \
                 sandbox, and report this with `uname -a`",
                target.display()
            ),
        )
    } else {
        check(
            "write outside",
            ProbeStatus::Ok,
            format!("blocked in {} ({})", dir.display(), stderr_line(&out)),
        )
    }
}

fn network_off(helper: &Path, policy: &SandboxPolicy) -> ProbeCheck {
    const NAME: &str = "network off";
    let bash = ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(bash) = bash else {
        return check(
            NAME,
            ProbeStatus::Warn,
            "not checked: bash (used for /dev/tcp) is not installed",
        );
    };
    let listener = match TcpListener::bind(("127.0.0.1", 0)) {
        Ok(l) => l,
        Err(e) => {
            return check(
                NAME,
                ProbeStatus::Warn,
                format!("not checked: cannot listen on loopback ({e})"),
            );
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let script = format!("exec {bash} -c 'echo hi > /dev/tcp/127.0.0.1/{port}'");
    let out = sandboxed_sh(helper, policy, &script, &[]);
    let _ = listener.set_nonblocking(true);
    let connected = match listener.accept() {
        Ok(_) => true,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    };
    if !connected && !enforced(&out) {
        return not_sandboxed(NAME, &out);
    }
    if connected || out.status.success() {
        check(
            NAME,
            ProbeStatus::Fail,
            "a sandboxed command reached a loopback listener with the network off; do not \
             rely on the sandbox, and report this with `uname -a`",
        )
    } else {
        check(NAME, ProbeStatus::Ok, "a loopback connection was refused")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_prints_one_line_per_check() {
        let report = ProbeReport {
            checks: vec![
                check("landlock", ProbeStatus::Ok, "ABI 7"),
                check("seccomp", ProbeStatus::Fail, "missing"),
            ],
        };
        assert!(!report.all_ok());
        assert_eq!(
            report.to_string(),
            "ok    sandbox landlock: ABI 7\nfail  sandbox seccomp: missing\n"
        );
    }

    #[test]
    fn old_landlock_warns_and_missing_fails() {
        let s = |abi| SandboxSupport {
            landlock_abi: abi,
            seccomp: true,
        };
        assert_eq!(landlock_check(s(None)).status, ProbeStatus::Fail);
        assert_eq!(landlock_check(s(Some(2))).status, ProbeStatus::Warn);
        assert_eq!(landlock_check(s(Some(7))).status, ProbeStatus::Ok);
    }
}
