//! The kernel sandbox, end to end: the built binary's `sandbox-exec` runs
//! real commands that try to escape (each must fail with the command's own
//! error and leave nothing behind) and real work (which must succeed).
//!
//! These tests need Landlock and seccomp and fail loudly without them; they
//! need `sh`, `cc`, `git`, `curl` and `python3` and fail loudly when one is
//! missing (`.ci/run` installs them). Workspaces live in a scratch
//! directory under `$HOME`, outside the temp dirs, which the sandbox makes
//! writable (and under which CI may have cloned the repository).

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use tandem::exec::sandbox::{self, SandboxMode, SandboxPolicy};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// Fails the test unless this kernel can sandbox: a machine without
/// Landlock or seccomp must not look green.
fn require_kernel() {
    if let Some(missing) = sandbox::support().missing() {
        panic!(
            "the sandbox tests need Landlock and seccomp filters, but {missing}; run them on a \
             kernel that has both (CI does)"
        );
    }
}

/// Fails the test when a tool the test drives is missing.
fn require_tool(tool: &str, debian_package: &str) {
    let found = Command::new("sh")
        .args(["-c", "command -v \"$1\"", "sh", tool])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is needed by this test and is missing: install the Debian package \
         `{debian_package}` (.ci/run does)"
    );
}

/// A unique name for files the escape attempts target.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        ".tandem-sandbox-test-{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `$HOME/.tandem-sandbox-tests`: somewhere outside every directory the
/// sandbox makes writable (the temp dirs), for workspaces and for targets
/// that must stay out of reach.
fn scratch_dir() -> PathBuf {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    let temp = std::env::temp_dir();
    assert!(
        !home.starts_with(&temp) && !home.starts_with("/tmp"),
        "these tests need HOME ({}) outside the temp dirs",
        home.display()
    );
    let dir = home.join(".tandem-sandbox-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A workspace (outside `/tmp`), a tandem home and a policy to run under.
struct Fixture {
    workspace: TempDir,
    /// A directory beside the workspace: outside it, writable without the
    /// sandbox.
    outside: TempDir,
    home: TempDir,
    policy: SandboxPolicy,
}

impl Fixture {
    fn new(mode: SandboxMode) -> Self {
        require_kernel();
        let scratch = scratch_dir();
        let workspace = tempfile::tempdir_in(&scratch).unwrap();
        let outside = tempfile::tempdir_in(&scratch).unwrap();
        let home = tempfile::tempdir().unwrap();
        let policy = SandboxPolicy::new(mode, workspace.path());
        Self {
            workspace,
            outside,
            home,
            policy,
        }
    }

    fn ws(&self) -> &Path {
        self.workspace.path()
    }

    /// Runs `sh -c SCRIPT sh ARGS...` in the workspace under the policy.
    fn sh(&self, script: &str, args: &[&str]) -> Output {
        let mut argv = vec!["sh", "-c", script, "sh"];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// Runs a command in the workspace through the policy's prefix.
    fn run(&self, argv: &[&str]) -> Output {
        let prefix = self
            .policy
            .command_prefix(Path::new(BIN))
            .expect("a sandboxed mode");
        Command::new(&prefix[0])
            .args(&prefix[1..])
            .args(argv)
            .current_dir(self.ws())
            .env("TANDEM_HOME", self.home.path())
            .stdin(Stdio::null())
            .output()
            .expect("tandem runs")
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts the command failed with its own "Permission denied" (or another
/// `expect`ed message) rather than being killed or refused by tandem.
fn assert_denied(out: &Output, expect: &str) {
    let all = text(out);
    assert!(!out.status.success(), "the escape succeeded:\n{all}");
    assert!(
        out.status.code().is_some(),
        "killed instead of refused:\n{all}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("tandem sandbox:"),
        "the sandbox itself failed:\n{all}"
    );
    assert!(all.contains(expect), "expected {expect:?}:\n{all}");
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "real work failed:\n{}", text(out));
}

/// Asserts `path` does not exist, removing it first if the sandbox leaked.
fn assert_absent(path: &Path) {
    if path.symlink_metadata().is_ok() {
        let _ = std::fs::remove_file(path);
        panic!("{} was created through the sandbox", path.display());
    }
}

// Escape attempts.

#[test]
fn cannot_write_in_home() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    let target = home.join(unique("home"));
    let out = f.sh("echo escaped > \"$1\"", &[&target.to_string_lossy()]);
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
}

#[test]
fn cannot_write_in_etc() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let target = Path::new("/etc").join(unique("etc"));
    let out = f.sh("echo escaped > \"$1\"", &[&target.to_string_lossy()]);
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
}

#[test]
fn cannot_write_beside_the_workspace() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let target = f.outside.path().join("beside");
    let out = f.sh("echo escaped > \"$1\"", &[&target.to_string_lossy()]);
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
}

#[test]
fn cannot_write_through_a_symlink_pointing_outside() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let victim = f.outside.path().join("victim.txt");
    std::fs::write(&victim, "original\n").unwrap();
    std::os::unix::fs::symlink(f.outside.path(), f.ws().join("dir-link")).unwrap();
    std::os::unix::fs::symlink(&victim, f.ws().join("file-link")).unwrap();

    let out = f.sh("echo escaped > dir-link/new.txt", &[]);
    assert_absent(&f.outside.path().join("new.txt"));
    assert_denied(&out, "Permission denied");

    let out = f.sh("echo escaped >> file-link", &[]);
    assert_denied(&out, "Permission denied");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original\n");

    // A symlink the command makes itself, to /etc, is no better.
    let target = Path::new("/etc").join(unique("symlink"));
    let out = f.sh(
        "ln -s /etc made-link && echo escaped > \"made-link/$1\"",
        &[&target.file_name().unwrap().to_string_lossy()],
    );
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
}

#[test]
fn cannot_move_a_workspace_file_outside() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    std::fs::write(f.ws().join("secret.txt"), "data\n").unwrap();
    let target = f.outside.path().join("moved.txt");
    let out = f.run(&["mv", "secret.txt", &target.to_string_lossy()]);
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
    assert!(f.ws().join("secret.txt").exists(), "the source is gone");
}

#[test]
fn a_grandchild_is_confined_too() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let target = Path::new("/etc").join(unique("grandchild"));
    let out = f.sh(
        "sh -c 'sh -c \"echo escaped > $1\"' inner \"$1\"",
        &[&target.to_string_lossy()],
    );
    assert_absent(&target);
    assert_denied(&out, "Permission denied");
}

#[test]
fn cannot_create_device_nodes_in_the_workspace() {
    // As root, a block device node in the workspace would reach the raw disk.
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let out = f.run(&["mknod", "disk", "b", "8", "0"]);
    assert_absent(&f.ws().join("disk"));
    assert!(!out.status.success(), "{}", text(&out));
    // A FIFO is fine.
    assert_ok(&f.run(&["mkfifo", "pipe"]));
}

/// A loopback listener, and whether anything connected to it.
struct Listener(TcpListener);

impl Listener {
    fn new() -> Self {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }

    fn port(&self) -> String {
        self.0.local_addr().unwrap().port().to_string()
    }

    fn was_connected(&self) -> bool {
        match self.0.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

#[test]
fn network_off_blocks_curl_and_python() {
    require_tool("curl", "curl");
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let listener = Listener::new();
    let url = format!("http://127.0.0.1:{}/", listener.port());

    let out = f.run(&["curl", "-sS", "--max-time", "5", &url]);
    assert_denied(&out, "curl: (7)");

    let script = format!(
        "import socket; socket.create_connection(('127.0.0.1', {}), timeout=5)",
        listener.port()
    );
    let out = f.run(&["python3", "-c", &script]);
    assert_denied(&out, "PermissionError: [Errno 1] Operation not permitted");

    assert!(!listener.was_connected(), "the listener saw a connection");
}

#[test]
fn network_off_also_blocks_ipv6_and_udp() {
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    for family in ["AF_INET6", "AF_PACKET", "AF_NETLINK"] {
        let script = format!("import socket; socket.socket(socket.{family}, socket.SOCK_DGRAM)");
        let out = f.run(&["python3", "-c", &script]);
        assert_denied(&out, "Operation not permitted");
    }
}

#[test]
fn ptrace_of_the_parent_is_denied() {
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    // PTRACE_ATTACH = 16 on x86_64 and aarch64.
    let script = "import ctypes, os\n\
        libc = ctypes.CDLL(None, use_errno=True)\n\
        rc = libc.ptrace(16, os.getppid(), None, None)\n\
        print('rc', rc, 'errno', ctypes.get_errno())";
    let out = f.run(&["python3", "-c", script]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim(), "rc -1 errno 1", "{}", text(&out));

    if Command::new("gdb").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: the gdb variant of ptrace_of_the_parent_is_denied (gdb is not \
             installed; the python variant ran)"
        );
        return;
    }
    let out = f.sh("exec gdb -nx -batch -p \"$PPID\" -ex detach 2>&1", &[]);
    let all = text(&out);
    assert!(
        all.contains("Operation not permitted") || all.contains("ptrace: "),
        "gdb attached to its parent:\n{all}"
    );
}

#[test]
fn the_parents_memory_and_files_are_unreachable() {
    // tandem keeps API keys in memory. (Its /proc/PID/environ stays
    // readable: Landlock only scopes ptrace's attach-level checks; see
    // `exec::sandbox`.)
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    for script in [
        "head -c 1 /proc/$PPID/mem",
        "readlink /proc/$PPID/fd/1",
        "readlink /proc/$PPID/cwd",
    ] {
        let out = f.sh(script, &[]);
        assert!(!out.status.success(), "`{script}` worked:\n{}", text(&out));
        assert!(out.stdout.is_empty(), "`{script}` read:\n{}", text(&out));
    }
}

#[test]
fn cannot_signal_processes_outside_the_sandbox() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let out = f.sh("kill -0 $PPID", &[]);
    assert!(!out.status.success(), "{}", text(&out));
    // Its own processes it can signal.
    assert_ok(&f.sh("sleep 5 & kill $!; wait $! ; true", &[]));
}

#[test]
fn io_uring_setup_fails_with_eperm() {
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    // io_uring_setup is 425 on x86_64 and aarch64; params is 120 bytes.
    let script = "import ctypes\n\
        libc = ctypes.CDLL(None, use_errno=True)\n\
        params = ctypes.create_string_buffer(120)\n\
        rc = libc.syscall(425, 4, params)\n\
        print('rc', rc, 'errno', ctypes.get_errno())";
    let out = f.run(&["python3", "-c", script]);
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "rc -1 errno 1",
        "{}",
        text(&out)
    );
}

#[test]
fn user_namespaces_are_denied_but_threads_work() {
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let out = f.run(&["unshare", "--user", "true"]);
    assert!(!out.status.success(), "{}", text(&out));
    // Threads (clone3 falls back to clone) still start.
    let script = "import threading\n\
        t = threading.Thread(target=lambda: print('thread ran'))\n\
        t.start(); t.join()";
    let out = f.run(&["python3", "-c", script]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("thread ran"));
}

// Real work.

#[test]
fn builds_and_tests_a_c_project() {
    require_tool("cc", "gcc");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    std::fs::create_dir(f.ws().join("proj")).unwrap();
    std::fs::write(
        f.ws().join("proj/add.c"),
        "#include <stdio.h>\n\
         int add(int a, int b) { return a + b; }\n\
         int main(void) { printf(\"%d\\n\", add(2, 3)); return add(2, 3) == 5 ? 0 : 1; }\n",
    )
    .unwrap();
    std::fs::write(
        f.ws().join("proj/test.sh"),
        "set -e\ncc -O1 -o add add.c\n[ \"$(./add)\" = 5 ]\necho 'tests passed'\n",
    )
    .unwrap();
    let out = f.sh("cd proj && sh test.sh", &[]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("tests passed"));
    assert!(f.ws().join("proj/add").exists());
}

#[test]
fn writes_in_tmp() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let out = f.sh(
        "t=$(mktemp) && echo hi > \"$t\" && cat \"$t\" && rm \"$t\"",
        &[],
    );
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hi");
}

#[test]
fn git_init_add_commit_in_the_workspace() {
    require_tool("git", "git");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    std::fs::write(f.ws().join("README"), "hello\n").unwrap();
    let out = f.sh(
        "git init -q . && git add README && \
         git -c user.name=Tandem -c user.email=t@example.com commit -q -m first && \
         git log --oneline",
        &[],
    );
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("first"));
}

#[test]
fn network_on_reaches_a_loopback_listener() {
    require_tool("python3", "python3");
    let mut f = Fixture::new(SandboxMode::WorkspaceWrite);
    f.policy.network = true;
    let listener = Listener::new();
    let script = format!(
        "import socket; socket.create_connection(('127.0.0.1', {}), timeout=5).close()",
        listener.port()
    );
    assert_ok(&f.run(&["python3", "-c", &script]));
    assert!(listener.was_connected(), "no connection arrived");
}

#[test]
fn unix_sockets_work_with_the_network_off() {
    require_tool("python3", "python3");
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let script = "import socket\n\
        a, b = socket.socketpair()\n\
        a.sendall(b'pair'); print(b.recv(4).decode())\n\
        srv = socket.socket(socket.AF_UNIX); srv.bind('sock'); srv.listen(1)\n\
        cli = socket.socket(socket.AF_UNIX); cli.connect('sock')\n\
        conn, _ = srv.accept(); cli.sendall(b'path'); print(conn.recv(4).decode())";
    let out = f.run(&["python3", "-c", script]);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "pair\npath\n");
}

#[test]
fn dev_null_and_the_terminal_devices_stay_writable() {
    let f = Fixture::new(SandboxMode::ReadOnly);
    assert_ok(&f.sh(
        "echo x > /dev/null && head -c 4 /dev/urandom > /dev/null && : > /dev/null",
        &[],
    ));
}

// Modes.

#[test]
fn read_only_mode_cannot_write_the_workspace() {
    let f = Fixture::new(SandboxMode::ReadOnly);
    std::fs::write(f.ws().join("existing.txt"), "original\n").unwrap();
    let out = f.sh("echo new > created.txt", &[]);
    assert_absent(&f.ws().join("created.txt"));
    assert_denied(&out, "Permission denied");
    let out = f.sh("echo changed > existing.txt", &[]);
    assert_denied(&out, "Permission denied");
    assert_eq!(
        std::fs::read_to_string(f.ws().join("existing.txt")).unwrap(),
        "original\n"
    );
    let out = f.sh("echo x > /tmp/$1", &[&unique("ro")]);
    assert_denied(&out, "Permission denied");
    // Reading is fine.
    assert_ok(&f.run(&["cat", "existing.txt"]));
}

#[test]
fn git_read_only_protects_git_and_leaves_the_rest_writable() {
    require_tool("git", "git");
    let mut f = Fixture::new(SandboxMode::WorkspaceWrite);
    f.policy.git_writable = false;
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(f.ws())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    std::fs::create_dir(f.ws().join("src")).unwrap();
    std::fs::write(f.ws().join("src/lib.txt"), "v1\n").unwrap();
    std::fs::write(f.ws().join("README"), "v1\n").unwrap();
    git(&["init", "-q", "."]);
    let config = std::fs::read_to_string(f.ws().join(".git/config")).unwrap();

    for script in [
        "echo evil >> .git/config",
        "echo evil > .git/hooks/pre-commit",
        "rm .git/config",
        "mv .git .git-old",
        "mv src .git-new && mv .git-new .git",
        "ln -s ../src/lib.txt .git/evil-link",
    ] {
        let out = f.sh(script, &[]);
        assert!(
            !out.status.success(),
            "`{script}` succeeded:\n{}",
            text(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(f.ws().join(".git/config")).unwrap(),
        config
    );
    assert_absent(&f.ws().join(".git/hooks/pre-commit"));
    assert_absent(&f.ws().join(".git-old"));
    assert_absent(&f.ws().join(".git/evil-link"));

    // The rest of the workspace works.
    assert_ok(&f.sh(
        "echo v2 > src/lib.txt && mkdir -p src/deep && echo x > src/deep/new.txt && \
         echo v2 >> README && rm src/deep/new.txt",
        &[],
    ));
    assert_eq!(
        std::fs::read_to_string(f.ws().join("src/lib.txt")).unwrap(),
        "v2\n"
    );
}

// Failure paths.

#[test]
fn a_missing_command_exits_127_with_a_message() {
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let out = f.run(&["tandem-no-such-command"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}

#[test]
fn a_bad_policy_or_workspace_exits_126() {
    require_kernel();
    let out = Command::new(BIN)
        .args(["sandbox-exec", "--policy", "{", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tandem sandbox: --policy"));

    let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, "/no/such/workspace");
    let out = Command::new(BIN)
        .args(["sandbox-exec", "--policy", &policy.to_json(), "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/workspace"));
}

#[test]
fn doctor_reports_every_check_ok() {
    require_kernel();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("doctor")
        .env("TANDEM_HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for name in [
        "landlock",
        "seccomp",
        "write inside",
        "write outside",
        "network off",
    ] {
        assert!(
            stdout.contains(&format!("ok    sandbox {name}:")),
            "{name}:\n{stdout}"
        );
    }
}

// Through the PTY runner, as the shell tool will run it.

#[tokio::test]
async fn runs_in_a_pty_with_the_terminal_usable() {
    use tandem::exec::pty::{self, PtyCommand, RunLimits};
    let f = Fixture::new(SandboxMode::WorkspaceWrite);
    let target = Path::new("/etc").join(unique("pty"));
    let script = format!(
        "stty size < /dev/tty; echo hi > /dev/tty; echo ok > inside.txt; echo escaped > {}; echo done",
        target.display()
    );
    let mut cmd = PtyCommand::new("sh", vec!["-c".into(), script], f.ws());
    cmd.wrapper = f.policy.command_prefix(Path::new(BIN)).unwrap();
    cmd.env_set = vec![("TANDEM_HOME".into(), f.home.path().display().to_string())];
    let limits = RunLimits {
        timeout: std::time::Duration::from_secs(20),
        output_cap_bytes: 64 * 1024,
    };
    let out = pty::run(cmd, limits, Default::default(), |_| {})
        .await
        .expect("the PTY runs");
    let bytes = out
        .output
        .to_vec_if_complete()
        .expect("output under the cap");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_absent(&target);
    assert_eq!(out.exit_code, Some(0), "{text}");
    assert!(
        text.contains("24 80"),
        "stty could not read the terminal: {text}"
    );
    assert!(text.contains("hi\r\n"), "{text}");
    assert!(text.contains("Permission denied"), "{text}");
    assert!(text.contains("done"), "{text}");
    assert!(f.ws().join("inside.txt").exists());
}
