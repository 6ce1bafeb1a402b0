//! The file-system half of the sandbox: a Landlock ruleset built from a
//! [`SandboxPolicy`].
//!
//! Landlock only ever *adds* rights down a hierarchy: a rule on a directory
//! grants its rights on everything beneath it, and nothing can take them
//! back lower down. The ruleset is therefore a list of [`Grant`]s:
//!
//! * `/`: read, list and execute (everything is readable, as tools expect).
//! * Device files commands need (`/dev/null`, `/dev/zero`, `/dev/full`,
//!   `/dev/random`, `/dev/urandom`, `/dev/tty`, `/dev/ptmx`, `/dev/pts`):
//!   read, write, truncate and device `ioctl`s, in every mode.
//! * In `workspace-write`: full write rights (create, remove, rename, link,
//!   truncate) on the workspace, `$TMPDIR`, `/tmp`, `/dev/shm`, the
//!   configured writable roots and, for a git worktree with `git_writable`,
//!   the git directory its `.git` file points to (and that one's common
//!   directory). Never the right to create device nodes, which for a root
//!   process would be a way to the raw disk.
//!
//! Rules are bound to the inodes that exist when the sandbox starts, so a
//! symlink in a writable directory that points outside gives no write access
//! to its target; moving a file out of a writable directory needs rights at
//! the destination, which it does not have.
//!
//! # `git_writable = false`
//!
//! Because rights cannot be taken back lower down, a read-only `.git` inside
//! a writable workspace is built the other way round: every writable root
//! that contains the protected path (the workspace's `.git`, and where that
//! is a symlink, its target) is not granted as a whole; instead each of its
//! entries is granted separately, recursing only along the way to `.git`
//! and skipping `.git` itself. What that guarantees, and what it costs:
//!
//! * Nothing under `.git` can be created, written, truncated, removed or
//!   renamed, and `.git` itself cannot be removed, renamed or replaced
//!   (not even by swapping in another directory with `rename`): the
//!   directories on the way to it (the workspace, and any writable root
//!   above it) get no rights of their own.
//! * Everything else that existed at start is fully writable: files and
//!   directories inside the workspace's top-level directories, and existing
//!   top-level files in place.
//! * Cost: no *new* entry can be created directly in the workspace root
//!   (nor removed or renamed there), and the same holds for every writable
//!   root above the workspace. Tools that write a new top-level file
//!   (`cc -o a.out` in the root, `sed -i` on a top-level file, which writes
//!   a temporary file beside it) fail with "Permission denied". Keep the
//!   workspace outside `/tmp` when using this, or `mktemp` in `/tmp` fails
//!   too.
//! * Symlinked top-level entries are not granted (writes through them go
//!   wherever they point, under that place's rules).
//!
//! # Landlock ABI
//!
//! The rights asked for are those of ABI 5 (Linux 6.10: adds truncate and
//! device `ioctl` control to ABI 1's rights), plus signal scoping from ABI 6
//! (a sandboxed process cannot signal processes outside the sandbox, such
//! as tandem). Older kernels enforce what they know, best effort; the result
//! is reported as partial. ABI 9's control of connecting to pathname UNIX
//! sockets is deliberately not used: `AF_UNIX` must keep working.
//!
//! # Not covered by Landlock
//!
//! Metadata changes (`chmod`, `chown`, `utimes`, `setxattr`) are not
//! Landlock rights: a command running as a user who owns files outside the
//! workspace (root owns the system) can change their mode, owner and
//! extended attributes, though not their content.

use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, make_bitflags, path_beneath_rules,
};

use super::{SandboxError, SandboxMode, SandboxPolicy};

/// The Landlock ABI whose file-system rights are asked for (see the module
/// documentation for why not a newer one).
const REQUESTED_ABI: ABI = ABI::V5;
/// Device files every command may read and write.
const DEVICES: [&str; 8] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];
/// Temp dirs writable in `workspace-write`, besides `std::env::temp_dir()`.
const TEMP_DIRS: [&str; 2] = ["/tmp", "/dev/shm"];

/// What a [`Grant`] allows beneath its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rights {
    /// Read files, list directories, execute.
    Read,
    /// Everything but creating device nodes: write, truncate, create,
    /// remove, rename and link files, directories, symlinks, FIFOs and
    /// sockets.
    Write,
    /// Read, write and truncate an existing file (a top-level file of a
    /// workspace whose `.git` is protected).
    WriteFile,
    /// Read, write, truncate and `ioctl` a device file.
    Device,
}

impl Rights {
    fn access(self) -> BitFlags<AccessFs> {
        let abi = REQUESTED_ABI;
        match self {
            Rights::Read => AccessFs::from_read(abi),
            Rights::Write => {
                AccessFs::from_all(abi)
                    & !make_bitflags!(AccessFs::{MakeChar | MakeBlock | IoctlDev})
            }
            Rights::WriteFile => {
                make_bitflags!(AccessFs::{ReadFile | WriteFile | Execute | Truncate})
            }
            Rights::Device => {
                make_bitflags!(AccessFs::{ReadFile | WriteFile | Truncate | IoctlDev})
            }
        }
    }
}

/// One Landlock rule: `rights` on `path` and everything beneath it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    /// The file or directory (rules bind to what it is at start).
    pub path: PathBuf,
    /// What is allowed.
    pub rights: Rights,
}

impl Grant {
    fn new(path: impl Into<PathBuf>, rights: Rights) -> Self {
        Self {
            path: path.into(),
            rights,
        }
    }
}

/// The kernel's Landlock ABI version, or `None` when Landlock is missing or
/// disabled.
pub fn kernel_abi() -> Option<i32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) reads no memory and
    // returns the ABI version (or -1 with errno) without creating anything.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (version > 0).then(|| i32::try_from(version).unwrap_or(i32::MAX))
}

/// The rules for `policy`, in the order they are added. Reads the file
/// system (temp dir, `.git`, and the workspace's entries when `.git` is
/// protected); paths that do not exist are left out.
pub fn plan(policy: &SandboxPolicy) -> Vec<Grant> {
    let mut grants = vec![Grant::new("/", Rights::Read)];
    grants.extend(DEVICES.iter().map(|d| Grant::new(*d, Rights::Device)));
    if policy.mode != SandboxMode::WorkspaceWrite {
        return grants;
    }

    let mut roots = vec![policy.workspace.clone(), std::env::temp_dir()];
    roots.extend(TEMP_DIRS.iter().map(PathBuf::from));
    roots.extend(policy.writable_roots.iter().cloned());
    let dot_git = policy.workspace.join(".git");
    let mut protected = Vec::new();
    if policy.git_writable {
        roots.extend(worktree_git_dirs(&dot_git));
    } else {
        protected.push(canonical(&dot_git));
        if let Ok(target) = std::fs::canonicalize(&dot_git) {
            protected.push(target);
        }
    }
    for root in roots {
        if let Ok(root) = std::fs::canonicalize(&root) {
            carve(&root, &protected, &mut grants);
        }
    }
    // Roots overlap (`$TMPDIR` is usually `/tmp`); one rule each is enough.
    let mut seen = std::collections::HashSet::new();
    grants.retain(|g| seen.insert(g.clone()));
    grants
}

/// Grants `Write` on `dir`, or, when a protected path lies at or beneath
/// it, grants its entries one by one around the protected paths.
fn carve(dir: &Path, protected: &[PathBuf], grants: &mut Vec<Grant>) {
    let inner: Vec<&PathBuf> = protected.iter().filter(|p| p.starts_with(dir)).collect();
    if inner.is_empty() {
        grants.push(Grant::new(dir, Rights::Write));
        return;
    }
    if inner.iter().any(|p| p.as_path() == dir) {
        return;
    }
    // An unreadable directory grants nothing: failing closed.
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_symlink() || inner.iter().any(|p| p.as_path() == path) {
            continue;
        }
        if file_type.is_dir() {
            carve(&path, protected, grants);
        } else {
            grants.push(Grant::new(path, Rights::WriteFile));
        }
    }
}

/// `path` with its parent canonicalized (the path itself may not exist).
fn canonical(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// For a `.git` *file* (`gitdir: PATH`, a worktree or submodule): the git
/// directory it names and that directory's `commondir`, where commits,
/// refs and objects of a worktree are written.
fn worktree_git_dirs(dot_git: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(dot_git) else {
        return Vec::new();
    };
    let Some(git_dir) = text.lines().find_map(|l| l.strip_prefix("gitdir:")) else {
        return Vec::new();
    };
    let base = dot_git.parent().unwrap_or(Path::new("/"));
    let git_dir = base.join(git_dir.trim());
    let mut dirs = vec![git_dir.clone()];
    if let Ok(common) = std::fs::read_to_string(git_dir.join("commondir")) {
        dirs.push(git_dir.join(common.trim()));
    }
    dirs
}

/// Restricts the calling thread (and its future children) per `policy`.
/// Returns whether every requested right is enforced (`false`: an older
/// kernel enforces a subset). Fails when Landlock enforces nothing.
pub fn restrict(policy: &SandboxPolicy) -> Result<bool, SandboxError> {
    let mut ruleset = landlock::Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(REQUESTED_ABI))?
        .scope(Scope::Signal)?
        .create()?;
    for grant in plan(policy) {
        ruleset = ruleset.add_rules(path_beneath_rules([&grant.path], grant.rights.access()))?;
    }
    let status = ruleset.restrict_self()?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(true),
        RulesetStatus::PartiallyEnforced => Ok(false),
        RulesetStatus::NotEnforced => Err(SandboxError::LandlockNotEnforced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants_for(policy: &SandboxPolicy, rights: Rights) -> Vec<PathBuf> {
        plan(policy)
            .into_iter()
            .filter(|g| g.rights == rights)
            .map(|g| g.path)
            .collect()
    }

    #[test]
    fn read_only_grants_reading_and_devices_only() {
        let dir = tempfile::tempdir().unwrap();
        let policy = SandboxPolicy::new(SandboxMode::ReadOnly, dir.path());
        let grants = plan(&policy);
        assert_eq!(grants[0], Grant::new("/", Rights::Read));
        assert!(
            grants[1..].iter().all(|g| g.rights == Rights::Device),
            "{grants:?}"
        );
    }

    #[test]
    fn workspace_write_grants_workspace_temp_and_roots() {
        let dir = tempfile::tempdir().unwrap();
        let extra = tempfile::tempdir().unwrap();
        let mut policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, dir.path());
        policy.writable_roots = vec![extra.path().into(), "/does/not/exist".into()];
        let write = grants_for(&policy, Rights::Write);
        let ws = std::fs::canonicalize(dir.path()).unwrap();
        assert!(write.contains(&ws), "{write:?}");
        assert!(write.contains(&PathBuf::from("/tmp")), "{write:?}");
        assert!(
            write.contains(&std::fs::canonicalize(extra.path()).unwrap()),
            "{write:?}"
        );
        assert!(!write.iter().any(|p| p.starts_with("/does")), "{write:?}");
    }

    #[test]
    fn protected_git_carves_the_workspace_and_roots_above_it() {
        let base = tempfile::tempdir().unwrap();
        let ws = std::fs::canonicalize(base.path()).unwrap();
        std::fs::create_dir_all(ws.join(".git/objects")).unwrap();
        std::fs::create_dir(ws.join("src")).unwrap();
        std::fs::write(ws.join("README"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", ws.join("etc-link")).unwrap();
        let mut policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, &ws);
        policy.git_writable = false;

        let grants = plan(&policy);
        let under_ws = |rights: Rights| -> Vec<PathBuf> {
            grants
                .iter()
                .filter(|g| g.rights == rights && g.path.starts_with(&ws))
                .map(|g| g.path.clone())
                .collect()
        };
        assert_eq!(under_ws(Rights::Write), vec![ws.join("src")]);
        assert_eq!(under_ws(Rights::WriteFile), vec![ws.join("README")]);
        // No rule on the workspace itself, nor on any directory above it
        // (the temp dir holding it is carved too), nor inside `.git`.
        for g in &grants {
            assert!(
                g.rights == Rights::Read || !ws.starts_with(&g.path),
                "a rule above .git: {g:?}"
            );
            assert!(!g.path.starts_with(ws.join(".git")), "{g:?}");
        }

        policy.git_writable = true;
        assert!(grants_for(&policy, Rights::Write).contains(&ws));
    }

    #[test]
    fn worktree_pointer_makes_its_git_dirs_writable() {
        let base = tempfile::tempdir().unwrap();
        let common = base.path().join("main/.git");
        let git_dir = common.join("worktrees/wt");
        std::fs::create_dir_all(&git_dir).unwrap();
        std::fs::write(git_dir.join("commondir"), "../..\n").unwrap();
        let ws = base.path().join("wt");
        std::fs::create_dir(&ws).unwrap();
        std::fs::write(ws.join(".git"), format!("gitdir: {}\n", git_dir.display())).unwrap();
        assert_eq!(
            worktree_git_dirs(&ws.join(".git")),
            vec![git_dir.clone(), git_dir.join("../..")]
        );
        assert!(worktree_git_dirs(&base.path().join("none")).is_empty());
    }

    #[test]
    fn write_rights_never_include_device_nodes() {
        let write = Rights::Write.access();
        assert!(!write.contains(AccessFs::MakeChar));
        assert!(!write.contains(AccessFs::MakeBlock));
        assert!(write.contains(AccessFs::MakeReg | AccessFs::Refer | AccessFs::Truncate));
    }
}
