//! `tandem demo`: the whole Tandem story played in the real workbench.
//!
//! Each pane talks to its own scripted model (two
//! [`crate::mockserver::MockServer`]s on loopback, through the real HTTP
//! client) on a throwaway copy of the sample project, with private config
//! and state dirs. The [`director::Director`] plays the story's steps
//! ([`script`]) from the event loop by feeding key events to `App::on_key`,
//! exactly as a user's keys arrive, and the [`caption`] box names every key
//! it presses. Without a terminal, or with `--headless` / `--json`, the
//! same story is printed as text by [`crate::headless::demo`].
//!
//! | file | owns |
//! |---|---|
//! | `script` | the story's steps and the workbench states it waits for |
//! | `director` | playing the steps at a pace; the viewer's keys (pause, speed, skip, take over, quit) |
//! | `caption` | the caption box drawn over the workbench |

pub mod caption;
pub mod director;
pub mod script;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::headless::demo::{self as stage, Stage};
use crate::headless::exit;

pub use director::Director;

/// `tandem demo` options from the command line.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Print the story instead of playing it in the workbench.
    pub headless: bool,
    /// Print it as JSON lines (headless).
    pub json: bool,
    /// Keep the project copy afterwards.
    pub keep: bool,
    /// Pace factor (1.0: a human pace).
    pub speed: f64,
}

/// What the TUI start-up takes from the demo instead of the user's setup:
/// the configuration with the demo providers, private dirs, and the
/// director that plays the story.
#[derive(Debug, Clone)]
pub struct DemoLaunch {
    /// `Config::defaults()` with both panes on their scripted model.
    pub config: crate::config::Config,
    /// The demo's own config and state dirs.
    pub dirs: crate::paths::Dirs,
    /// Plays the story.
    pub director: Director,
}

/// Runs `tandem demo`; returns the exit code.
pub fn run(opts: DemoOptions) -> i32 {
    if !(opts.speed.is_finite() && opts.speed > 0.0) {
        eprintln!("tandem: --speed must be a number above 0 (1 is a human pace, 2 twice as fast)");
        return exit::USAGE;
    }
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if opts.headless || opts.json || !terminal {
        if !opts.headless && !opts.json {
            eprintln!(
                "tandem demo: not a terminal, so the story is printed as text (--headless says so explicitly)"
            );
        }
        return stage::run_headless(opts.json, opts.keep, opts.speed);
    }
    match play(opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            exit::FAILURE
        }
    }
}

/// Starts the two model servers on a runtime of their own, then the
/// workbench on the project copy with the director.
fn play(opts: DemoOptions) -> anyhow::Result<i32> {
    let demo = Stage::create()?;
    let servers_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let servers = servers_runtime.block_on(stage::start_servers(opts.speed))?;
    let launch = DemoLaunch {
        config: stage::config(&servers),
        dirs: demo.dirs(),
        director: Director::new(script::story(), opts.speed, Instant::now()),
    };
    let code = super::run::run(super::run::TuiOptions {
        cwd: Some(demo.workspace.clone()),
        demo: Some(launch),
        ..Default::default()
    });
    drop(servers);
    servers_runtime.shutdown_timeout(Duration::from_millis(200));
    demo.finish(opts.keep);
    Ok(code)
}
