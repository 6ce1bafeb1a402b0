//! `tandem demo`: Tandem at work with no key and no network.
//!
//! Two scripted models (one [`crate::mockserver`] per pane, on loopback,
//! reached through the real HTTP/SSE client) play one story on a throwaway
//! copy of a small sample project: Chat reads the code, finds two bugs and
//! proposes a plan; the plan is handed to Run, which runs the tests (they
//! fail), patches two files and runs them again (they pass); Chat reviews
//! Run's diff. The TUI plays it in the workbench (`crate::tui::demo`); this
//! module holds what both front ends share (project, scripts, servers, the
//! demo configuration) and plays the story as text (`--headless`,
//! [`run_headless`]).

use std::path::{Path, PathBuf};

use crate::config::{Config, ModelDef, ProviderDef};
use crate::mockserver::{MockServer, Script};
use crate::provider::Wire;
use crate::quota::Price;

pub use super::demo_story::run_headless;

/// The Chat pane's script: the planning task, then the review.
pub const CHAT_SCRIPT: &str = include_str!("../../assets/demo/chat.toml");

/// The Run pane's script: the handed-over plan, carried out.
pub const RUN_SCRIPT: &str = include_str!("../../assets/demo/run.toml");

/// What the user asks Chat in the story.
pub const CHAT_PROMPT: &str = "The slug and post tests fail. Find out why and propose a plan.";

/// The provider names the demo's panes use (their base URLs point at the
/// two mock servers).
pub const CHAT_PROVIDER: &str = "demo-chat";
/// See [`CHAT_PROVIDER`].
pub const RUN_PROVIDER: &str = "demo-run";
/// The scripted model's name (priced like a mid-size model so the quota
/// meter shows a cost, not only tokens).
pub const MODEL: &str = "demo";

/// Milliseconds between streamed events at speed 1 (the scripts' own
/// `delay_ms` is replaced by this, divided by the speed).
const STREAM_DELAY_MS: f64 = 20.0;

/// The sample project, copied to a temp dir for each run.
const PROJECT: [(&str, &str); 4] = [
    (
        "README.md",
        include_str!("../../assets/demo/project/README.md"),
    ),
    ("slug.sh", include_str!("../../assets/demo/project/slug.sh")),
    ("post.sh", include_str!("../../assets/demo/project/post.sh")),
    ("test.sh", include_str!("../../assets/demo/project/test.sh")),
];

/// Writes the sample project into `dir`.
pub fn write_project(dir: &Path) -> std::io::Result<()> {
    for (name, text) in PROJECT {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The sample project's files as they were before the story, by name.
pub fn original_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    PROJECT.into_iter()
}

/// Parses `text` (one of the scripts) and paces its streaming for `speed`.
fn paced(text: &str, speed: f64) -> anyhow::Result<Script> {
    let mut script = Script::from_toml_str(text)?;
    let delay = STREAM_DELAY_MS / speed.max(0.01);
    script.defaults.delay_ms = Some(delay.round() as u64);
    Ok(script)
}

/// Starts Run's scripted model alone, for `tandem exec --provider demo`.
pub async fn start_server() -> anyhow::Result<MockServer> {
    Ok(MockServer::start(paced(RUN_SCRIPT, 1.0)?).await?)
}

/// The two running scripted models.
pub struct Servers {
    /// Serves Chat's script.
    pub chat: MockServer,
    /// Serves Run's script.
    pub run: MockServer,
}

/// Starts both panes' model servers on loopback, streaming at `speed`.
pub async fn start_servers(speed: f64) -> anyhow::Result<Servers> {
    let chat = MockServer::start(paced(CHAT_SCRIPT, speed)?).await?;
    let run = MockServer::start(paced(RUN_SCRIPT, speed)?).await?;
    Ok(Servers { chat, run })
}

/// The built-in defaults with the two demo providers pointing at `servers`,
/// each pane on its own, and a price for the demo model.
pub fn config(servers: &Servers) -> Config {
    let mut config = Config::defaults();
    let provider = |base_url: String| ProviderDef {
        wire: Wire::Anthropic,
        base_url: Some(base_url),
        base_url_env: None,
        default_base_url: None,
        env_key: None,
        headers: Default::default(),
        default_model: Some(MODEL.into()),
        models: vec![ModelDef {
            name: MODEL.into(),
            context_window: 200_000,
        }],
    };
    config
        .providers
        .insert(CHAT_PROVIDER.into(), provider(servers.chat.base_url()));
    config
        .providers
        .insert(RUN_PROVIDER.into(), provider(servers.run.base_url()));
    config.panes.chat.provider = CHAT_PROVIDER.into();
    config.panes.chat.model = None;
    config.panes.run.provider = RUN_PROVIDER.into();
    config.panes.run.model = None;
    config.pricing.insert(
        MODEL.into(),
        Price {
            input: 3.0,
            output: 15.0,
            cache_read: None,
            cache_write: None,
        },
    );
    config
}

/// A throwaway home for one demo: the project copy, and private config and
/// state dirs (the scripted usage is not the user's spending, nor its
/// sessions worth keeping).
pub struct Stage {
    root: tempfile::TempDir,
    /// The project copy, canonical.
    pub workspace: PathBuf,
}

impl Stage {
    /// Creates the temp dirs and writes the project.
    pub fn create() -> anyhow::Result<Stage> {
        use anyhow::Context as _;
        let root = tempfile::Builder::new()
            .prefix("tandem-demo-")
            .tempdir()
            .context("cannot create a temp dir for the demo")?;
        let project = root.path().join("project");
        for dir in [
            &project,
            &root.path().join("config"),
            &root.path().join("state"),
        ] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_project(&project).context("cannot write the demo project")?;
        let workspace = project.canonicalize().unwrap_or(project);
        Ok(Stage { root, workspace })
    }

    /// Config and state dirs of the demo alone.
    pub fn dirs(&self) -> crate::paths::Dirs {
        crate::paths::Dirs {
            config: self.root.path().join("config"),
            state: self.root.path().join("state"),
        }
    }

    /// Ends the demo: with `keep`, leaves the project in place and says
    /// where; else removes everything.
    pub fn finish(self, keep: bool) {
        if keep {
            let kept = self.root.keep();
            eprintln!(
                "tandem demo: the project is kept in {}",
                kept.join("project").display()
            );
        }
    }
}
