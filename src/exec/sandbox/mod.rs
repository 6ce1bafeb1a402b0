//! The kernel sandbox for commands: Landlock for the file system, seccomp
//! for network and dangerous system calls, applied in a re-exec of tandem.
//!
//! # How a command is sandboxed
//!
//! The caller (the shell tool, through [`crate::exec::pty::PtyCommand::wrapper`])
//! prefixes the command with [`SandboxPolicy::command_prefix`]:
//! `tandem sandbox-exec --policy JSON -- CMD ARGS...`. That process is
//! single-threaded and does nothing else: it sets `PR_SET_NO_NEW_PRIVS`,
//! restricts itself with Landlock ([`fs`]), installs the seccomp filters
//! ([`seccomp`]) and `exec`s the command. Landlock domains, seccomp filters
//! and `no_new_privs` are inherited across `fork` and `exec` and cannot be
//! removed, so the command and every process it starts stay confined —
//! including processes that leave the PTY session (`setsid`, daemons).
//! Tandem itself is never restricted.
//!
//! # What is enforced
//!
//! * [`SandboxMode::ReadOnly`]: read and execute everywhere; write nowhere
//!   but a few device files (`/dev/null`, `/dev/tty`, …).
//! * [`SandboxMode::WorkspaceWrite`]: also write in the workspace, the temp
//!   dirs (`$TMPDIR`, `/tmp`, `/dev/shm`) and [`SandboxPolicy::writable_roots`];
//!   `.git` per [`SandboxPolicy::git_writable`] (see [`fs`] for exactly what
//!   `git_writable = false` guarantees).
//! * [`SandboxMode::DangerFullAccess`]: no sandbox at all (no prefix).
//! * Network off ([`SandboxPolicy::network`] false): `socket`/`socketpair`
//!   fail with `EPERM` for every domain but `AF_UNIX`.
//! * Always: a list of system calls that reach other processes' memory, the
//!   kernel's configuration or new kernel attack surface fails with `EPERM`
//!   ([`seccomp::ALWAYS_DENIED`] documents each one).
//!
//! # Known gaps
//!
//! * `/proc/PID/environ`, `maps` and `auxv` of processes outside the
//!   sandbox stay readable (Landlock scopes ptrace's attach-level checks:
//!   `mem`, the links in `fd/`, `cwd`, `stack` are denied, but not these read-level
//!   ones). Secrets in tandem's *initial* environment are therefore
//!   readable by a sandboxed command; the child's own environment has them
//!   removed ([`crate::exec::pty`]).
//! * Metadata changes outside the workspace (`chmod`, `chown`, `utimes`,
//!   extended attributes) are not Landlock rights (see [`fs`]).
//! * An inet socket received over an `AF_UNIX` socket (`SCM_RIGHTS`) from a
//!   process outside the sandbox would work; nothing outside hands one out.
//!
//! Failures are errors the command sees (`EACCES`, `EPERM`, `EXDEV`), never
//! a kill, so it reports them in its own words.
//!
//! A kernel that cannot enforce Landlock at all, or has no seccomp filters,
//! makes `sandbox-exec` fail (exit 126) rather than run the command
//! unsandboxed; a Landlock ABI older than the one asked for is used best
//! effort ([`Enforcement`] says what was enforced).

pub mod fs;
pub mod probe;
pub mod seccomp;

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use probe::{ProbeCheck, ProbeReport, ProbeStatus, probe};

/// Exit code of `sandbox-exec` when the sandbox cannot be set up or the
/// command cannot be executed (the shell's convention for "not executable").
pub const EXIT_CANNOT_RUN: i32 = 126;
/// Exit code of `sandbox-exec` when the command is not found (the shell's
/// convention).
pub const EXIT_NOT_FOUND: i32 = 127;
/// The hidden subcommand that runs a command under a policy.
pub const SUBCOMMAND: &str = "sandbox-exec";

/// How much of the machine a sandboxed command may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Read everything, write nothing (but `/dev/null` and the terminal).
    ReadOnly,
    /// Read everything, write in the workspace, temp dirs and configured roots.
    WorkspaceWrite,
    /// No sandbox: the command can do whatever tandem's user can.
    DangerFullAccess,
}

impl SandboxMode {
    /// The name used in config files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }
}

impl std::fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything `sandbox-exec` needs to confine one command. Serialized as
/// JSON on its command line, so it stays small and self-contained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxPolicy {
    /// What may be written.
    pub mode: SandboxMode,
    /// Whether sockets other than `AF_UNIX` may be created.
    pub network: bool,
    /// The workspace (absolute); writable in `workspace-write`.
    pub workspace: PathBuf,
    /// More writable directories (config `sandbox.writable_roots`), e.g. a
    /// build cache; ignored in `read-only`. Missing ones are skipped.
    #[serde(default)]
    pub writable_roots: Vec<PathBuf>,
    /// Whether `.git` at the top of the workspace is writable (so the agent
    /// can commit). When it is a `gitdir:` pointer file (a worktree), `true`
    /// also makes the git directory it points to writable.
    #[serde(default = "default_true")]
    pub git_writable: bool,
}

fn default_true() -> bool {
    true
}

impl SandboxPolicy {
    /// A policy with the defaults: network off, no extra writable roots,
    /// `.git` writable.
    pub fn new(mode: SandboxMode, workspace: impl Into<PathBuf>) -> Self {
        Self {
            mode,
            network: false,
            workspace: workspace.into(),
            writable_roots: Vec::new(),
            git_writable: true,
        }
    }

    /// The argument-vector prefix that runs a command under this policy:
    /// `[helper, "sandbox-exec", "--policy", JSON, "--"]`; `None` for
    /// [`SandboxMode::DangerFullAccess`], which runs commands directly.
    ///
    /// `helper` is the tandem binary (`std::env::current_exe()`). Paths that
    /// are not UTF-8 are passed lossily; `sandbox-exec` then fails to open
    /// them and refuses to run rather than guess.
    pub fn command_prefix(&self, helper: &Path) -> Option<Vec<String>> {
        if self.mode == SandboxMode::DangerFullAccess {
            return None;
        }
        Some(vec![
            helper.to_string_lossy().into_owned(),
            SUBCOMMAND.to_owned(),
            "--policy".to_owned(),
            self.to_json(),
            "--".to_owned(),
        ])
    }

    /// The policy as one line of JSON, as `sandbox-exec --policy` reads it.
    pub fn to_json(&self) -> String {
        let lossy = |p: &Path| PathBuf::from(p.to_string_lossy().into_owned());
        let utf8 = SandboxPolicy {
            mode: self.mode,
            network: self.network,
            workspace: lossy(&self.workspace),
            writable_roots: self.writable_roots.iter().map(|p| lossy(p)).collect(),
            git_writable: self.git_writable,
        };
        serde_json::to_string(&utf8).expect("a policy with UTF-8 paths always serializes")
    }

    /// Parses `sandbox-exec --policy`'s argument.
    pub fn from_json(text: &str) -> Result<Self, SandboxError> {
        let policy: SandboxPolicy =
            serde_json::from_str(text).map_err(|e| SandboxError::BadPolicy(e.to_string()))?;
        if !policy.workspace.is_absolute() {
            return Err(SandboxError::BadPolicy(format!(
                "the workspace {} is not an absolute path",
                policy.workspace.display()
            )));
        }
        Ok(policy)
    }
}

/// What this kernel can enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxSupport {
    /// The kernel's Landlock ABI version; `None` when Landlock is not built
    /// in or not enabled at boot (`lsm=` lacks `landlock`).
    pub landlock_abi: Option<i32>,
    /// Whether seccomp filters (`SECCOMP_SET_MODE_FILTER` with
    /// `SECCOMP_RET_ERRNO`) are available.
    pub seccomp: bool,
}

impl SandboxSupport {
    /// What is missing to sandbox commands, as a sentence for an error
    /// message; `None` when both Landlock and seccomp are there.
    pub fn missing(&self) -> Option<String> {
        let mut missing = Vec::new();
        if self.landlock_abi.is_none() {
            missing.push(
                "Landlock (needs Linux 5.13 or newer with `landlock` in the kernel's lsm= list)",
            );
        }
        if !self.seccomp {
            missing.push("seccomp filters (needs a kernel built with CONFIG_SECCOMP_FILTER)");
        }
        if missing.is_empty() {
            None
        } else {
            Some(format!("this kernel lacks {}", missing.join(" and ")))
        }
    }
}

/// What this kernel can enforce; probed once per process (two cheap system
/// calls) and cached.
pub fn support() -> SandboxSupport {
    static SUPPORT: OnceLock<SandboxSupport> = OnceLock::new();
    *SUPPORT.get_or_init(|| SandboxSupport {
        landlock_abi: fs::kernel_abi(),
        seccomp: seccomp::available(),
    })
}

/// What went wrong setting up the sandbox. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The kernel lacks Landlock or seccomp.
    #[error(
        "{0}, so commands cannot be sandboxed and none is run unsandboxed; use a newer kernel, \
         or start tandem with --dangerously-bypass-sandbox to run commands without the sandbox \
         (no protection at all)"
    )]
    Unsupported(String),
    /// `--policy` is not a policy.
    #[error("--policy is not a valid sandbox policy ({0}); this is a bug in the caller")]
    BadPolicy(String),
    /// The workspace cannot be opened, so no rule can name it.
    #[error("the workspace {} cannot be opened ({source}); check that it exists", path.display())]
    Workspace {
        /// The workspace as given.
        path: PathBuf,
        /// Why it cannot be opened.
        source: io::Error,
    },
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed.
    #[error("PR_SET_NO_NEW_PRIVS failed ({0}); the kernel refuses to lock privileges")]
    NoNewPrivs(io::Error),
    /// The Landlock ruleset could not be built or applied.
    #[error("Landlock could not be applied ({0}); run `tandem doctor` to check the kernel")]
    Landlock(#[from] landlock::RulesetError),
    /// The kernel accepted the ruleset calls but enforces none of it.
    #[error(
        "Landlock is not enforced by this kernel; start tandem with --dangerously-bypass-sandbox \
         to run commands without the sandbox (no protection at all)"
    )]
    LandlockNotEnforced,
    /// The seccomp filter could not be built or installed.
    #[error(
        "the seccomp filter could not be installed ({0}); run `tandem doctor` to check the kernel"
    )]
    Seccomp(#[from] seccompiler::Error),
}

/// What the sandbox enforced in this process, for `sandbox-exec --report`
/// and `tandem doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    /// Landlock enforced every requested right (`true`) or, on an older
    /// kernel, only those its ABI knows (`false`: best effort).
    pub landlock_full: bool,
    /// The kernel's Landlock ABI.
    pub landlock_abi: i32,
    /// Whether the network filter (no sockets but `AF_UNIX`) is installed.
    pub network_blocked: bool,
    /// How many system-call numbers the seccomp filters deny.
    pub denied_syscalls: usize,
}

impl std::fmt::Display for Enforcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Landlock {} (kernel ABI {}), seccomp denies {} system calls, network {}",
            if self.landlock_full {
                "fully enforced"
            } else {
                "partially enforced (older kernel: best effort)"
            },
            self.landlock_abi,
            self.denied_syscalls,
            if self.network_blocked { "off" } else { "on" },
        )
    }
}

/// Confines the calling process (and everything it will start) under
/// `policy`: `no_new_privs`, then Landlock, then seccomp. Irreversible; call
/// it only in a process that is about to `exec` the command, and only while
/// it is single-threaded (Landlock and seccomp apply to the calling thread).
pub fn enforce(policy: &SandboxPolicy) -> Result<Enforcement, SandboxError> {
    let support = support();
    if let Some(missing) = support.missing() {
        return Err(SandboxError::Unsupported(missing));
    }
    // Opened before anything is restricted, so a missing workspace is a
    // clear error rather than a Landlock one.
    if let Err(source) = std::fs::metadata(&policy.workspace) {
        return Err(SandboxError::Workspace {
            path: policy.workspace.clone(),
            source,
        });
    }
    set_no_new_privs()?;
    let landlock_full = fs::restrict(policy)?;
    let denied_syscalls = seccomp::install(policy.network)?;
    Ok(Enforcement {
        landlock_full,
        landlock_abi: support.landlock_abi.unwrap_or(0),
        network_blocked: !policy.network,
        denied_syscalls,
    })
}

/// Entry of the hidden `tandem sandbox-exec --policy JSON -- CMD ARGS...`:
/// confines this process with [`enforce`] and `exec`s `command` (looked up on
/// `PATH`). Never returns on success. On failure prints `tandem sandbox: …`
/// to stderr and returns 126 ([`EXIT_CANNOT_RUN`]), or 127
/// ([`EXIT_NOT_FOUND`]) when the command does not exist.
pub fn sandbox_exec(policy: &SandboxPolicy, command: &[String]) -> i32 {
    sandbox_exec_report(policy, command, false)
}

/// [`sandbox_exec`], printing what was enforced to stderr first when
/// `report` is set (`sandbox-exec --report`, used by `tandem doctor`).
pub fn sandbox_exec_report(policy: &SandboxPolicy, command: &[String], report: bool) -> i32 {
    let Some((program, args)) = command.split_first() else {
        eprintln!("tandem sandbox: no command given after `--`");
        return EXIT_CANNOT_RUN;
    };
    if policy.mode != SandboxMode::DangerFullAccess {
        match enforce(policy) {
            Ok(enforcement) => {
                if report {
                    eprintln!("tandem sandbox: {enforcement}");
                }
            }
            Err(e) => {
                eprintln!("tandem sandbox: {e}");
                return EXIT_CANNOT_RUN;
            }
        }
    }
    // `exec` only returns on failure.
    let error = std::process::Command::new(program).args(args).exec();
    if error.kind() == io::ErrorKind::NotFound {
        eprintln!("tandem sandbox: `{program}` not found; check the name and PATH");
        EXIT_NOT_FOUND
    } else {
        eprintln!("tandem sandbox: cannot execute `{program}` ({error})");
        EXIT_CANNOT_RUN
    }
}

fn set_no_new_privs() -> Result<(), SandboxError> {
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) takes no pointers and
    // only sets a flag on the calling thread.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(SandboxError::NoNewPrivs(io::Error::last_os_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SandboxPolicy {
        SandboxPolicy {
            mode: SandboxMode::WorkspaceWrite,
            network: true,
            workspace: PathBuf::from("/work/space dir"),
            writable_roots: vec![PathBuf::from("/cache/\"quoted\"")],
            git_writable: false,
        }
    }

    #[test]
    fn policy_json_round_trips() {
        let p = policy();
        let json = p.to_json();
        assert!(json.contains("\"mode\":\"workspace-write\""), "{json}");
        assert_eq!(SandboxPolicy::from_json(&json).unwrap(), p);
    }

    #[test]
    fn policy_json_defaults_optional_fields() {
        let p =
            SandboxPolicy::from_json(r#"{"mode":"read-only","network":false,"workspace":"/w"}"#)
                .unwrap();
        assert_eq!(p, SandboxPolicy::new(SandboxMode::ReadOnly, "/w"));
        assert!(p.git_writable);
    }

    #[test]
    fn policy_json_rejects_relative_workspace_and_garbage() {
        let rel =
            SandboxPolicy::from_json(r#"{"mode":"read-only","network":false,"workspace":"w"}"#);
        assert!(matches!(rel, Err(SandboxError::BadPolicy(m)) if m.contains("absolute")));
        assert!(SandboxPolicy::from_json("{").is_err());
        assert!(
            SandboxPolicy::from_json(r#"{"mode":"yolo","network":false,"workspace":"/w"}"#)
                .is_err()
        );
    }

    #[test]
    fn mode_names_match_serde_and_clap() {
        use clap::ValueEnum;
        for mode in SandboxMode::value_variants() {
            let json = serde_json::to_string(mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
            let clap_name = mode.to_possible_value().unwrap();
            assert_eq!(clap_name.get_name(), mode.as_str());
        }
    }

    #[test]
    fn command_prefix_wraps_and_skips_full_access() {
        let p = policy();
        let prefix = p.command_prefix(Path::new("/bin/tandem")).unwrap();
        assert_eq!(prefix[..3], ["/bin/tandem", "sandbox-exec", "--policy"]);
        assert_eq!(prefix[4], "--");
        assert_eq!(SandboxPolicy::from_json(&prefix[3]).unwrap(), p);

        let full = SandboxPolicy::new(SandboxMode::DangerFullAccess, "/w");
        assert_eq!(full.command_prefix(Path::new("/bin/tandem")), None);
    }

    #[test]
    fn missing_names_what_is_missing() {
        let none = SandboxSupport {
            landlock_abi: None,
            seccomp: false,
        };
        let text = none.missing().unwrap();
        assert!(
            text.contains("Landlock") && text.contains("seccomp"),
            "{text}"
        );
        let all = SandboxSupport {
            landlock_abi: Some(7),
            seccomp: true,
        };
        assert_eq!(all.missing(), None);
    }

    #[test]
    fn unsupported_error_mentions_the_bypass() {
        let e = SandboxError::Unsupported("this kernel lacks Landlock".into());
        assert!(e.to_string().contains("--dangerously-bypass-sandbox"));
    }
}
