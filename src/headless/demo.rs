//! `tandem demo`: Tandem at work with no key and no network.
//!
//! A scripted model (the [`crate::mockserver`], on loopback, reached through
//! the real HTTP/SSE client) fixes a bug in a throwaway copy of a small
//! sample project: it reads files, runs the tests, patches one file, runs
//! the tests again and summarises.

use std::path::{Path, PathBuf};

use super::exit;
use super::run::{Backend, DEMO_PROVIDER, RunSpec, execute};
use crate::agent::setup::{SandboxFlags, sandbox_launch};
use crate::config::Config;
use crate::mockserver::{MockServer, Script};
use crate::paths::Dirs;

/// The script the demo model replays.
pub const SCRIPT: &str = include_str!("../../assets/demo/script.toml");

/// The task the demo gives the agent.
pub const PROMPT: &str = "The slug tests fail. Find out why and fix slug.sh.";

/// The sample project, copied to a temp dir for each run.
const PROJECT: [(&str, &str); 3] = [
    (
        "README.md",
        include_str!("../../assets/demo/project/README.md"),
    ),
    ("slug.sh", include_str!("../../assets/demo/project/slug.sh")),
    ("test.sh", include_str!("../../assets/demo/project/test.sh")),
];

/// Starts the demo model server on loopback.
pub async fn start_server() -> anyhow::Result<MockServer> {
    let script = Script::from_toml_str(SCRIPT)?;
    Ok(MockServer::start(script).await?)
}

/// Writes the sample project into `dir`.
pub fn write_project(dir: &Path) -> std::io::Result<()> {
    for (name, text) in PROJECT {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// Runs the demo; returns the exit code. With `keep`, the project copy is
/// left in place and its path printed so the change can be inspected.
pub fn run_demo(json: bool, keep: bool) -> i32 {
    let dirs = match Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("tandem: {e}");
            return exit::USAGE;
        }
    };
    let project = match tempfile::Builder::new().prefix("tandem-demo-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("tandem: cannot create a temp dir for the demo project: {e}");
            return exit::FAILURE;
        }
    };
    if let Err(e) = write_project(project.path()) {
        eprintln!("tandem: cannot write the demo project: {e}");
        return exit::FAILURE;
    }
    let workspace: PathBuf = project
        .path()
        .canonicalize()
        .unwrap_or_else(|_| project.path().to_path_buf());
    if !json {
        eprintln!(
            "tandem demo: a scripted model (no key, no network) works on a copy of a sample project in {}\n",
            workspace.display()
        );
    }
    let config = Config::defaults();
    let sandbox = match sandbox_launch(&config, &workspace, SandboxFlags::default()) {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            return exit::FAILURE;
        }
    };
    let code = execute(RunSpec {
        backend: Backend::Demo,
        model: DEMO_PROVIDER.into(),
        mode: config.panes.run.mode,
        workspace: workspace.clone(),
        prompt: PROMPT.into(),
        json,
        max_turns: config.agent.max_turns,
        reasoning: None,
        output_last_message: None,
        until: None,
        permissions: crate::exec::Permissions::default(),
        sandbox,
        // The demo shows the agent, not the user's own scripts.
        hooks: Default::default(),
        config,
        dirs,
    });
    if keep {
        let kept = project.keep();
        eprintln!("\ntandem demo: the project is kept in {}", kept.display());
    } else if !json {
        eprintln!(
            "\ntandem demo: done (run `tandem demo --keep` to keep the project and look at the change)"
        );
    }
    code
}
