//! The system-call half of the sandbox: seccomp filters built with
//! `seccompiler`, for x86_64 and aarch64.
//!
//! The default action is *allow*: the file system is Landlock's job, and an
//! allow-list of system calls breaks real tools in ways nobody can predict.
//! Denied calls return `EPERM` (never a kill), so the command reports the
//! failure itself. Two filters are installed:
//!
//! 1. `EPERM` for [`ALWAYS_DENIED`] (each entry says why), for `clone` with
//!    a namespace flag, and, with the network off, for `socket` and
//!    `socketpair` with any domain but `AF_UNIX`. Without an inet socket
//!    nothing can connect, bind or send, so `connect` and friends need no
//!    rule, and `AF_UNIX` (used by many tools among their own processes)
//!    keeps working.
//! 2. `ENOSYS` for `clone3`: its flags live in memory, which seccomp cannot
//!    read, so it cannot be checked for namespace flags. `ENOSYS` (not
//!    `EPERM`) makes glibc and other runtimes fall back to `clone`, whose
//!    flags the first filter checks (the same trick as Docker's default
//!    profile).
//!
//! Namespaces are denied (`unshare`, `setns`, `clone` with `CLONE_NEW*`):
//! they do not lift Landlock or seccomp, which survive them, but user
//! namespaces hand an unprivileged process capabilities over a large part
//! of the kernel, the usual first step of kernel exploits. The cost: nested
//! sandboxes (bubblewrap, `unshare`, rootless containers) do not run.
//! `personality` stays allowed (gdb and `setarch` use it; no flag lifts
//! Landlock or seccomp).
//!
//! On x86_64 the filter also denies the x32-ABI numbers of the same calls
//! (the kernel dispatches `nr | 0x40000000` to them when x32 is built in),
//! and seccompiler's architecture check kills 32-bit (`int 0x80`) callers,
//! whose numbers differ: 32-bit x86 programs do not run in the sandbox.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// A denied system call: its name, number on this architecture, and why it
/// is denied.
#[derive(Debug, Clone, Copy)]
pub struct Denied {
    /// The system call's name.
    pub name: &'static str,
    /// Its number on the architecture tandem is built for.
    pub nr: libc::c_long,
    /// Why a sandboxed command must not make it.
    pub why: &'static str,
}

const fn deny(name: &'static str, nr: libc::c_long, why: &'static str) -> Denied {
    Denied { name, nr, why }
}

const PEERS: &str = "reads or changes other processes (tandem holds API keys in memory)";
const KERNEL_SURFACE: &str =
    "large kernel attack surface no build or test needs; io_uring also bypasses the socket rules";
const SYSTEM: &str = "changes the running system (as root it would succeed)";
const MOUNTS: &str = "changes mounts (Landlock forbids this too; denied twice on purpose)";
const KEYS: &str = "reaches the kernel keyrings, where login and service secrets live";
const NAMESPACES: &str = "creates or joins namespaces (see the module documentation)";

/// System calls that fail with `EPERM` whatever the policy.
pub const ALWAYS_DENIED: &[Denied] = &[
    deny("ptrace", libc::SYS_ptrace, PEERS),
    deny("process_vm_readv", libc::SYS_process_vm_readv, PEERS),
    deny("process_vm_writev", libc::SYS_process_vm_writev, PEERS),
    deny("pidfd_getfd", libc::SYS_pidfd_getfd, PEERS),
    deny("io_uring_setup", libc::SYS_io_uring_setup, KERNEL_SURFACE),
    deny("io_uring_enter", libc::SYS_io_uring_enter, KERNEL_SURFACE),
    deny(
        "io_uring_register",
        libc::SYS_io_uring_register,
        KERNEL_SURFACE,
    ),
    deny("bpf", libc::SYS_bpf, KERNEL_SURFACE),
    deny("perf_event_open", libc::SYS_perf_event_open, KERNEL_SURFACE),
    deny("userfaultfd", libc::SYS_userfaultfd, KERNEL_SURFACE),
    deny("kexec_load", libc::SYS_kexec_load, SYSTEM),
    deny("kexec_file_load", libc::SYS_kexec_file_load, SYSTEM),
    deny("init_module", libc::SYS_init_module, SYSTEM),
    deny("finit_module", libc::SYS_finit_module, SYSTEM),
    deny("delete_module", libc::SYS_delete_module, SYSTEM),
    deny("reboot", libc::SYS_reboot, SYSTEM),
    deny("swapon", libc::SYS_swapon, SYSTEM),
    deny("swapoff", libc::SYS_swapoff, SYSTEM),
    deny("acct", libc::SYS_acct, SYSTEM),
    deny("syslog", libc::SYS_syslog, SYSTEM),
    deny("settimeofday", libc::SYS_settimeofday, SYSTEM),
    deny("clock_settime", libc::SYS_clock_settime, SYSTEM),
    deny("clock_adjtime", libc::SYS_clock_adjtime, SYSTEM),
    deny("adjtimex", libc::SYS_adjtimex, SYSTEM),
    deny("sethostname", libc::SYS_sethostname, SYSTEM),
    deny("setdomainname", libc::SYS_setdomainname, SYSTEM),
    deny(
        "open_by_handle_at",
        libc::SYS_open_by_handle_at,
        "opens files by handle instead of path, around path-based rules",
    ),
    deny("mount", libc::SYS_mount, MOUNTS),
    deny("umount2", libc::SYS_umount2, MOUNTS),
    deny("pivot_root", libc::SYS_pivot_root, MOUNTS),
    deny("fsopen", libc::SYS_fsopen, MOUNTS),
    deny("fsconfig", libc::SYS_fsconfig, MOUNTS),
    deny("fsmount", libc::SYS_fsmount, MOUNTS),
    deny("fspick", libc::SYS_fspick, MOUNTS),
    deny("move_mount", libc::SYS_move_mount, MOUNTS),
    deny("open_tree", libc::SYS_open_tree, MOUNTS),
    deny("mount_setattr", libc::SYS_mount_setattr, MOUNTS),
    deny("keyctl", libc::SYS_keyctl, KEYS),
    deny("add_key", libc::SYS_add_key, KEYS),
    deny("request_key", libc::SYS_request_key, KEYS),
    deny("unshare", libc::SYS_unshare, NAMESPACES),
    deny("setns", libc::SYS_setns, NAMESPACES),
    #[cfg(target_arch = "x86_64")]
    deny(
        "iopl",
        libc::SYS_iopl,
        "gives direct access to I/O ports (root)",
    ),
    #[cfg(target_arch = "x86_64")]
    deny(
        "ioperm",
        libc::SYS_ioperm,
        "gives direct access to I/O ports (root)",
    ),
];

/// `clone` flags that create namespaces; `clone` with any of them is denied.
const NAMESPACE_FLAGS: [libc::c_int; 7] = [
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

/// The bit that selects the x32 ABI in an x86_64 system-call number.
#[cfg(target_arch = "x86_64")]
const X32_BIT: libc::c_long = 0x4000_0000;
/// x32 numbers of denied calls that differ from their x86_64 numbers
/// (ptrace, kexec_load, process_vm_readv, process_vm_writev), without
/// [`X32_BIT`].
#[cfg(target_arch = "x86_64")]
const X32_ONLY: [libc::c_long; 4] = [521, 528, 539, 540];

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;

/// Whether seccomp filters returning an errno are available.
pub fn available() -> bool {
    let action: u32 = libc::SECCOMP_RET_ERRNO;
    // SAFETY: seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) only reads the
    // u32 behind the pointer, which lives across the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_ACTION_AVAIL,
            0u32,
            &action as *const u32,
        )
    };
    rc == 0
}

/// The two BPF programs for a policy with or without network (see the
/// module documentation): the `EPERM` filter and the `clone3` one. Also
/// returns how many system-call numbers they deny.
pub fn build(network: bool) -> Result<(Vec<BpfProgram>, usize), seccompiler::Error> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for denied in ALWAYS_DENIED {
        rules.insert(denied.nr, Vec::new());
    }
    let namespace_rules = NAMESPACE_FLAGS
        .iter()
        .map(|&flag| {
            let flag = flag as u32 as u64;
            let condition = SeccompCondition::new(
                0,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::MaskedEq(flag),
                flag,
            )?;
            SeccompRule::new(vec![condition])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, namespace_rules);
    if !network {
        let not_unix = SeccompRule::new(vec![SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX as u64,
        )?])?;
        rules.insert(libc::SYS_socket, vec![not_unix.clone()]);
        rules.insert(libc::SYS_socketpair, vec![not_unix]);
    }
    #[cfg(target_arch = "x86_64")]
    {
        let x32: Vec<(i64, Vec<SeccompRule>)> = rules
            .iter()
            .map(|(nr, r)| (nr | X32_BIT, r.clone()))
            .chain(X32_ONLY.iter().map(|nr| (nr | X32_BIT, Vec::new())))
            .collect();
        rules.extend(x32);
    }
    let denied = rules.len() + 1;
    let eperm = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        ARCH,
    )?;
    let mut clone3 = BTreeMap::new();
    clone3.insert(libc::SYS_clone3, Vec::new());
    let enosys = SeccompFilter::new(
        clone3,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        ARCH,
    )?;
    Ok((vec![eperm.try_into()?, enosys.try_into()?], denied))
}

/// Installs the filters for the calling thread (inherited by its children).
/// `no_new_privs` must be set already. Returns how many system-call numbers
/// are denied.
pub fn install(network: bool) -> Result<usize, seccompiler::Error> {
    let (programs, denied) = build(network)?;
    for program in &programs {
        seccompiler::apply_filter(program)?;
    }
    Ok(denied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_with_and_without_network() {
        let (off, denied_off) = build(false).unwrap();
        let (on, denied_on) = build(true).unwrap();
        assert_eq!(off.len(), 2);
        assert_eq!(on.len(), 2);
        // The socket rules add instructions and denied numbers.
        assert!(off[0].len() > on[0].len());
        assert!(denied_off > denied_on);
        assert!(denied_on > ALWAYS_DENIED.len());
    }

    #[test]
    fn deny_list_has_no_duplicates_and_says_why() {
        let mut seen = std::collections::HashSet::new();
        for d in ALWAYS_DENIED {
            assert!(seen.insert(d.nr), "{} listed twice", d.name);
            assert!(!d.why.is_empty());
        }
        for name in [
            "ptrace",
            "io_uring_setup",
            "bpf",
            "mount",
            "keyctl",
            "unshare",
        ] {
            assert!(ALWAYS_DENIED.iter().any(|d| d.name == name), "{name}");
        }
    }

    #[test]
    fn this_kernel_has_seccomp_filters() {
        assert!(available(), "seccomp filters are missing on this kernel");
    }
}
