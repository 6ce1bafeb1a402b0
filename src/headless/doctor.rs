//! `tandem doctor`: is this machine and this configuration ready? One line
//! per check — `ok`, `warn` or `fail` — and, unless it is fine, what to do.
//! Exit 1 when a check fails (warnings alone exit 0: a provider nobody set
//! up is not broken).
//!
//! Checks: the terminal (colours, size, tmux, SSH), the configuration
//! files, every configured provider (reachable, key accepted, models listed;
//! a few seconds at most, all at once), the MCP servers (started and
//! stopped again), the sandbox (kernel support and real escape attempts),
//! the state dir, the usage ledger, and git.

use std::path::Path;
use std::time::Duration;

use crate::config::providers::{ProviderConfigError, resolve};
use crate::config::{Config, ConfigFlags, instructions::repo_root};
use crate::exec::sandbox::{self, ProbeStatus, SandboxMode};
use crate::exec::secrets;
use crate::paths::Dirs;
use crate::provider::HttpModelClient;
use crate::provider::client::ModelsProbe;

/// How long one provider may take to answer `GET /models`.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub status: ProbeStatus,
    /// What was checked (`terminal`, `provider openai`, ...).
    pub name: String,
    /// What was found and, unless it is fine, what to do.
    pub detail: String,
}

fn line(status: ProbeStatus, name: impl Into<String>, detail: impl Into<String>) -> Check {
    Check {
        status,
        name: name.into(),
        detail: detail.into(),
    }
}

/// Runs every check for the current directory's configuration and prints
/// the report; returns the exit code.
pub fn run(flags: &ConfigFlags) -> i32 {
    let checks = collect(flags, &|k| secrets::env_var(k));
    print!("{}", render(&checks));
    if checks.iter().any(|c| c.status == ProbeStatus::Fail) {
        super::exit::FAILURE
    } else {
        super::exit::OK
    }
}

/// The report's lines: `status  name: detail`, aligned.
pub fn render(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| format!("{:<4}  {}: {}\n", c.status.as_str(), c.name, c.detail))
        .collect()
}

/// Every check, in report order. `env` reads the environment (keys, base
/// URLs, terminal variables).
pub fn collect(flags: &ConfigFlags, env: &dyn Fn(&str) -> Option<String>) -> Vec<Check> {
    let mut checks = vec![terminal(env)];
    let dirs = match Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => {
            checks.push(line(ProbeStatus::Fail, "dirs", e.to_string()));
            return checks;
        }
    };
    let workspace = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let config = match Config::load(&dirs.config, Some(&repo_root(&workspace)), flags) {
        Ok(config) => {
            checks.push(line(
                ProbeStatus::Ok,
                "config",
                format!(
                    "{} (and the project's .tandem/config.toml if any)",
                    dirs.config.join("config.toml").display()
                ),
            ));
            Some(config)
        }
        Err(e) => {
            checks.push(line(ProbeStatus::Fail, "config", e.to_string()));
            None
        }
    };
    if let Some(config) = &config {
        checks.extend(providers(config, env));
        checks.extend(mcp_servers(config, &workspace));
        checks.push(sandbox_mode(config));
    }
    match std::env::current_exe() {
        Ok(helper) => checks.extend(
            sandbox::probe(&helper)
                .checks
                .into_iter()
                .map(|c| line(c.status, format!("sandbox {}", c.name), c.detail)),
        ),
        Err(e) => checks.push(line(
            ProbeStatus::Fail,
            "sandbox",
            format!("cannot find the tandem binary to run sandbox checks with ({e})"),
        )),
    }
    checks.push(state_dir(&dirs.state));
    checks.push(ledger(&dirs.state));
    checks.push(git());
    checks
}

/// Colour depth, size, tmux and SSH: what the workbench will look like.
fn terminal(env: &dyn Fn(&str) -> Option<String>) -> Check {
    use std::io::IsTerminal;
    let depth = crate::tui::theme::ColorDepth::detect(|k| env(k));
    let colours = match depth {
        crate::tui::theme::ColorDepth::TrueColor => "truecolor",
        crate::tui::theme::ColorDepth::Ansi256 => "256 colours",
        crate::tui::theme::ColorDepth::Ansi16 => "16 colours",
        crate::tui::theme::ColorDepth::None => "no colour (NO_COLOR)",
    };
    let term = env("TERM").unwrap_or_else(|| "unset".into());
    let mut parts = vec![format!("TERM={term}"), colours.to_string()];
    if let Ok((w, h)) = crossterm::terminal::size() {
        parts.push(format!("{w}×{h}"));
    }
    if env("TMUX").is_some() {
        parts.push("inside tmux".into());
    }
    if env("SSH_CONNECTION").is_some() || env("SSH_TTY").is_some() {
        parts.push("over SSH".into());
    }
    let found = parts.join(", ");
    if !std::io::stdout().is_terminal() {
        return line(
            ProbeStatus::Warn,
            "terminal",
            format!(
                "{found}; stdout is not a terminal: the workbench needs one (tandem exec does not)"
            ),
        );
    }
    if depth == crate::tui::theme::ColorDepth::Ansi16 {
        return line(
            ProbeStatus::Warn,
            "terminal",
            format!(
                "{found}; set COLORTERM=truecolor or a TERM ending in -256color if your terminal can"
            ),
        );
    }
    line(ProbeStatus::Ok, "terminal", found)
}

/// Every configured provider, the panes' first, asked for its models at
/// once (one runtime, a few seconds at most in all).
fn providers(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Vec<Check> {
    let panes = [&config.panes.chat.provider, &config.panes.run.provider];
    let mut names: Vec<&String> = config.providers.keys().collect();
    names.sort_by_key(|n| (!panes.contains(n), n.to_string()));
    let mut checks = Vec::new();
    let mut probes = Vec::new();
    for name in names {
        let label = format!("provider {name}");
        let used = panes.contains(&name);
        match resolve(config, name, env) {
            Ok(http) => {
                let env_key = http.env_key.clone();
                match HttpModelClient::new(http) {
                    Ok(client) => probes.push((label, env_key, client)),
                    Err(e) => checks.push(line(ProbeStatus::Fail, label, format!("{e:#}"))),
                }
            }
            Err(ProviderConfigError::NoKey {
                env_key, base_env, ..
            }) => {
                let mut detail = format!(
                    "no key: set {env_key} (or point {base_env} at a server that needs none)"
                );
                if used {
                    detail.push_str("; `tandem demo` needs no key");
                }
                checks.push(line(ProbeStatus::Warn, label, detail));
            }
            Err(e) => checks.push(line(ProbeStatus::Fail, label, e.to_string())),
        }
    }
    if probes.is_empty() {
        return checks;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            checks.push(line(
                ProbeStatus::Fail,
                "providers",
                format!("cannot start the async runtime: {e}"),
            ));
            return checks;
        }
    };
    let results = runtime.block_on(futures_util::future::join_all(
        probes
            .iter()
            .map(|(_, _, client)| client.list_models(PROVIDER_TIMEOUT)),
    ));
    for ((label, env_key, client), result) in probes.iter().zip(results) {
        let key_hint = env_key
            .as_deref()
            .map(|k| format!("check {k}"))
            .unwrap_or_else(|| "set env_key for this provider".into());
        checks.push(match result {
            ModelsProbe::Listed(models) => {
                let shown: Vec<&str> = models.iter().take(4).map(String::as_str).collect();
                let more = models.len().saturating_sub(shown.len());
                let list = match (models.len(), more) {
                    (0, _) => "no models listed".to_string(),
                    (_, 0) => shown.join(", "),
                    _ => format!("{} and {more} more", shown.join(", ")),
                };
                line(ProbeStatus::Ok, label.clone(), format!("{} answers, key accepted; {list}", client.url()))
            }
            ModelsProbe::Rejected { status, message } => line(
                ProbeStatus::Fail,
                label.clone(),
                format!("key rejected ({status}): {message}; {key_hint}"),
            ),
            ModelsProbe::Failed { status, message } => line(
                ProbeStatus::Warn,
                label.clone(),
                format!("answers, but listing models failed ({status}: {message}); model calls may still work"),
            ),
            ModelsProbe::Unreachable(message) => line(
                ProbeStatus::Fail,
                label.clone(),
                format!("unreachable: {message}; check the base URL and your network"),
            ),
        });
    }
    checks
}

/// Every MCP server started as a session would start it (lazy ones too),
/// each within its startup timeout, then stopped again.
fn mcp_servers(config: &Config, workspace: &Path) -> Vec<Check> {
    use crate::mcp::status::ServerState;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return vec![line(
                ProbeStatus::Fail,
                "mcp",
                format!("cannot start the async runtime: {e}"),
            )];
        }
    };
    let (hub, notes) = crate::agent::setup::mcp_hub(config, workspace, runtime.handle().clone());
    runtime.block_on(hub.ready());
    let mut checks: Vec<Check> = hub
        .snapshot()
        .into_iter()
        .map(|server| {
            let status = match &server.state {
                ServerState::Ready(_) => ProbeStatus::Ok,
                ServerState::Failed(_) | ServerState::Invalid(_) => ProbeStatus::Fail,
                _ => ProbeStatus::Warn,
            };
            let detail = format!(
                "{} ({}, from {})",
                server.state_text(),
                server.transport,
                server.origin
            );
            line(status, format!("mcp {}", server.name), detail)
        })
        .collect();
    // Notes about a listed server repeat its line; the others (a broken
    // .mcp.json) are news.
    let names: Vec<String> = checks
        .iter()
        .map(|c| c.name["mcp ".len()..].to_string())
        .collect();
    checks.extend(
        notes
            .into_iter()
            .filter(|n| !names.iter().any(|name| n.contains(name.as_str())))
            .map(|n| line(ProbeStatus::Warn, "mcp", n)),
    );
    drop(hub);
    runtime.shutdown_timeout(Duration::from_millis(500));
    checks
}

/// The configured sandbox mode: `danger-full-access` runs commands
/// unconfined, and Tandem refuses it without the bypass flag.
fn sandbox_mode(config: &Config) -> Check {
    match config.sandbox.mode {
        SandboxMode::DangerFullAccess => line(
            ProbeStatus::Fail,
            "sandbox mode",
            "danger-full-access: commands would run with no sandbox, and Tandem refuses to start \
             so unless given --dangerously-bypass-sandbox; set [sandbox] mode = \"workspace-write\"",
        ),
        mode => line(
            ProbeStatus::Ok,
            "sandbox mode",
            format!(
                "{} (network {})",
                mode.as_str(),
                if config.sandbox.network { "on" } else { "off" }
            ),
        ),
    }
}

/// The state dir takes a file (sessions, logs and the ledger live there),
/// and how much room it takes.
fn state_dir(state: &Path) -> Check {
    let written = std::fs::create_dir_all(state)
        .and_then(|()| tempfile::NamedTempFile::new_in(state).map(drop));
    match written {
        Ok(()) => {
            let (bytes, complete) = crate::store::gc::disk::quick_size(state, SIZE_BUDGET);
            state_size(state, bytes, complete)
        }
        Err(e) => line(
            ProbeStatus::Fail,
            "state dir",
            format!(
                "cannot write in {} ({e}); fix its permissions or set TANDEM_HOME / XDG_STATE_HOME",
                state.display()
            ),
        ),
    }
}

/// How long the state dir's size may take to count: the report stays
/// quick however large it is (the size then reads "more than").
const SIZE_BUDGET: Duration = Duration::from_millis(50);

/// Past this size the state dir line warns and suggests `tandem gc`.
const STATE_WARN_BYTES: u64 = 1 << 30;

/// The state dir line of a writable state dir holding `bytes` (a lower
/// bound unless `complete`).
fn state_size(state: &Path, bytes: u64, complete: bool) -> Check {
    let size = crate::store::gc::disk::human(bytes);
    let size = if complete {
        size
    } else {
        format!("more than {size}")
    };
    let found = format!("{} is writable, {size} used", state.display());
    if bytes > STATE_WARN_BYTES {
        line(
            ProbeStatus::Warn,
            "state dir",
            format!(
                "{found}; see what can go with `tandem gc --dry-run`, then reclaim it with `tandem gc`"
            ),
        )
    } else {
        line(ProbeStatus::Ok, "state dir", found)
    }
}

/// The usage ledger opens and answers.
fn ledger(state: &Path) -> Check {
    let path = crate::quota::ledger::Ledger::path_in(state);
    match crate::quota::ledger::Ledger::open_with_timeout(&path, Duration::from_secs(2))
        .and_then(|l| l.count())
    {
        Ok(rows) => line(
            ProbeStatus::Ok,
            "ledger",
            format!("{} ({rows} calls recorded)", path.display()),
        ),
        Err(e) => line(ProbeStatus::Fail, "ledger", e.to_string()),
    }
}

/// git is on the PATH (the review stages in your index and worktree runs
/// need it; without it the review still works on plain directories).
fn git() -> Check {
    match std::process::Command::new("git").arg("--version").output() {
        Ok(out) if out.status.success() => line(
            ProbeStatus::Ok,
            "git",
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        ),
        _ => line(
            ProbeStatus::Warn,
            "git",
            "not found: install git for staging accepted hunks and worktree runs",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_state_dir_warns_and_suggests_gc() {
        let state = Path::new("/s");
        let small = state_size(state, 5 << 20, true);
        assert_eq!(small.status, ProbeStatus::Ok);
        assert_eq!(small.detail, "/s is writable, 5.0 MiB used");
        let big = state_size(state, 3 << 30, false);
        assert_eq!(big.status, ProbeStatus::Warn);
        assert!(
            big.detail.contains("more than 3.0 GiB used"),
            "{}",
            big.detail
        );
        assert!(big.detail.contains("tandem gc"), "{}", big.detail);
    }
}
