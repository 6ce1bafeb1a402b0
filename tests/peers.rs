//! Conformance with independent implementations: Tandem's protocol code
//! against the official Python SDKs (pinned in `tests/peers/requirements.txt`,
//! installed by `.ci/peers` into `target/peers-python`), not only against
//! its own mock server.
//!
//! - `proxy_sdks`: the `openai` and `anthropic` SDKs as hosted programs,
//!   configured only by the environment Tandem gives them, call through the
//!   real metering proxy (the scripted mock model server behind it);
//!   streamed and plain answers arrive whole and are metered, and a spent
//!   budget is the SDK's own `RateLimitError`.
//! - `mcp_sdk`: a server written with the `mcp` SDK, over stdio and over
//!   streamable HTTP, driven by Tandem's MCP hub and tools.
//!
//! Without the SDKs the tests say SKIPPED on stderr and return, unless
//! `TANDEM_REQUIRE_PEERS=1` (CI) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

#[path = "peers/mcp_sdk.rs"]
mod mcp_sdk;
#[path = "peers/proxy_sdks.rs"]
mod proxy_sdks;

/// How long one Python child may run before it is killed and the test
/// fails: a hang must fail, never stall CI.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// The repository's `tests/peers` (the scripts) and `target/peers-python`
/// (the installed SDKs).
struct Peers {
    scripts: PathBuf,
    python_path: PathBuf,
}

impl Peers {
    fn script(&self, name: &str) -> PathBuf {
        self.scripts.join(name)
    }

    /// A `python3` command with only the environment the scripts need:
    /// PATH, the SDKs on PYTHONPATH, and `env`. Nothing else of the test's
    /// environment (no real provider key) reaches the child.
    fn python(&self, args: &[&str], env: &[(String, String)]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("python3");
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PYTHONPATH", &self.python_path)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs `script` with `args` under [`CHILD_TIMEOUT`] and returns the
    /// JSON object it printed last; a non-zero exit or a hang fails the
    /// test with the script's stderr.
    async fn run_json(&self, script: &str, args: &[&str], env: &[(String, String)]) -> Value {
        let path = self.script(script);
        let mut all = vec![path.to_str().unwrap()];
        all.extend_from_slice(args);
        let child = self
            .python(&all, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        // On a timeout the child is dropped, and with it killed.
        let output = tokio::time::timeout(CHILD_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("{script} {args:?} hung: killed after {CHILD_TIMEOUT:?}"))
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{script} {args:?} failed ({}):\n{stderr}\n{stdout}",
            output.status
        );
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}\n{stderr}"))
    }
}

/// The installed SDKs, or `None` (after saying SKIPPED) when they are not
/// importable at the pinned versions. With `TANDEM_REQUIRE_PEERS=1` their
/// absence fails the test instead.
fn peers() -> Option<&'static Peers> {
    static PEERS: OnceLock<Result<Peers, String>> = OnceLock::new();
    match PEERS.get_or_init(find_peers) {
        Ok(peers) => Some(peers),
        Err(why) if std::env::var("TANDEM_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("the official SDKs are required (TANDEM_REQUIRE_PEERS=1): {why}; run .ci/peers")
        }
        Err(why) => {
            // Straight to stderr: the test harness captures `eprintln!` of
            // passing tests, and a skip must not pass silently.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: the official SDKs are not installed; run .ci/peers ({why})"
            );
            None
        }
    }
}

/// Checks that `target/peers-python` holds the three SDKs at the versions
/// `requirements.txt` pins.
fn find_peers() -> Result<Peers, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let peers = Peers {
        scripts: root.join("tests/peers"),
        python_path: root.join("target/peers-python"),
    };
    let requirements = std::fs::read_to_string(peers.script("requirements.txt"))
        .map_err(|e| format!("cannot read tests/peers/requirements.txt: {e}"))?;
    // Reads the packages' metadata in the install dir only, without the
    // second it takes to import them (the scripts do that).
    let probe = "import importlib.metadata as m, sys\n\
                 for p in ('anthropic', 'mcp', 'openai'):\n\
                 \x20   found = [d.version for d in m.distributions(name=p, path=[sys.argv[1]])]\n\
                 \x20   print(f'{p}=={found[0]}' if found else p)";
    let child = std::process::Command::new("python3")
        .args(["-c", probe])
        .arg(&peers.python_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let output = wait_bounded(child)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        return Err(format!("python3 cannot look for them: {last}"));
    }
    let found = String::from_utf8_lossy(&output.stdout);
    for pin in found.lines() {
        if !pin.contains("==") {
            return Err(format!("{} lacks {pin}", peers.python_path.display()));
        }
        if !requirements.lines().any(|line| line.trim() == pin) {
            return Err(format!(
                "{} has {pin}, not the version tests/peers/requirements.txt pins",
                peers.python_path.display()
            ));
        }
    }
    Ok(peers)
}

/// Waits for a short-lived child under [`CHILD_TIMEOUT`], killing it
/// when it takes longer. Its output must fit the pipes (a few lines).
fn wait_bounded(mut child: std::process::Child) -> Result<std::process::Output, String> {
    let deadline = std::time::Instant::now() + CHILD_TIMEOUT;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("python3 hung: killed after {CHILD_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().map_err(|e| e.to_string())
}

/// A port on loopback that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
