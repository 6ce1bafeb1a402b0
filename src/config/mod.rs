//! Configuration: built-in defaults < user `config.toml` < project
//! `.tandem/config.toml` < command-line flags, merged key by key.
//!
//! Each file is checked on its own first, so an error names the file that
//! holds the bad key. [`providers`] turns a provider definition into a
//! ready client configuration; [`instructions`] finds `AGENTS.md` /
//! `CLAUDE.md` files; [`commands`] finds custom slash commands.

mod command_format;
pub mod commands;
pub mod instructions;
mod layers;
pub mod providers;
pub mod sections;
pub mod show;

pub use layers::ConfigFlags;
pub use sections::{
    HookDef, HookLayer, HooksSection, HostConfig, InstructionsConfig, McpServerConfig, McpStartup,
    ProjectConfig,
};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::exec::sandbox::SandboxMode;
use crate::exec::{ApprovalMode, RuleLists};
use crate::provider::Wire;

/// The built-in defaults, the first layer.
pub const DEFAULTS_TOML: &str = include_str!("../../assets/defaults.toml");

/// The whole merged configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub panes: Panes,
    pub agent: AgentConfig,
    pub retry: RetryConfig,
    pub shell: ShellConfig,
    pub sandbox: SandboxConfig,
    pub ui: UiConfig,
    pub review: ReviewConfig,
    pub budget: crate::quota::BudgetConfig,
    /// Prices (USD per million tokens) that override or extend
    /// assets/pricing.toml, by model name.
    #[serde(default)]
    pub pricing: BTreeMap<String, crate::quota::Price>,
    pub providers: BTreeMap<String, ProviderDef>,
    /// Relays: one base URL and key serving both Anthropic- and
    /// OpenAI-style endpoints; each defines providers `NAME-anthropic` and
    /// `NAME-openai` (see [`RelayDef`]).
    #[serde(default)]
    pub relays: BTreeMap<String, RelayDef>,
    pub instructions: InstructionsConfig,
    /// Hosted terminal agents (`[host]`): the prefix key and the metering
    /// proxy.
    pub host: HostConfig,
    #[serde(default)]
    pub project: ProjectConfig,
    /// MCP servers by name (`[mcp_servers.NAME]`), merged key by key like
    /// the rest; [`Config::mcp_origins`] says which layer defined each.
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, McpServerConfig>,
    /// Named profiles (`[profiles.NAME]`): any settings, applied over the
    /// files when chosen with `--profile NAME` or `profile = "NAME"`.
    #[serde(default)]
    pub profiles: BTreeMap<String, toml::Table>,
    /// The profile applied when no `--profile` is given.
    #[serde(default)]
    pub profile: Option<String>,
    /// `[hooks]` of every layer, kept apart like the permissions.
    #[serde(skip)]
    pub hooks: Vec<HookLayer>,
    /// The layer that last defined each MCP server, and whether it is the
    /// project's (whose servers need `[project] trust`).
    #[serde(skip)]
    pub mcp_origins: BTreeMap<String, (String, bool)>,
    /// `[permissions]` of every layer, kept apart (not merged) so rules from
    /// the user and the project both apply and each keeps its origin.
    #[serde(skip)]
    pub permissions: PermissionSources,
}

/// The permission rules of every configuration layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSources {
    /// One entry per layer that has a `[permissions]` section, in layer order.
    pub layers: Vec<RuleLayer>,
    /// Whether a project's `allow` rules for commands count (set only in the
    /// user's own config: a cloned repository must not allow itself
    /// commands).
    pub trust_project_allow: bool,
}

/// The `[permissions]` section of one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleLayer {
    /// The file (or "command line") the rules came from.
    pub origin: String,
    /// True for the project's `.tandem/config.toml`.
    pub project: bool,
    pub allow: Vec<String>,
    pub ask: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionsSection {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    ask: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    trust_project_allow: Option<bool>,
}

/// Per-pane settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panes {
    pub chat: PaneConfig,
    pub run: PaneConfig,
}

/// Which provider and model a pane uses and how freely it acts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaneConfig {
    pub provider: String,
    #[serde(default)]
    pub model: Option<String>,
    pub mode: ApprovalMode,
    /// Reasoning effort of this pane; absent: `[agent] reasoning`.
    #[serde(default)]
    pub reasoning: Option<crate::provider::ReasoningEffort>,
    /// Host this terminal program in the pane instead of Tandem's own
    /// agent: `"claude"`, `"codex"` (presets) or any command line.
    #[serde(default)]
    pub host: Option<String>,
}

impl Config {
    /// The reasoning effort `pane` asks for: its own, else `[agent]`'s.
    pub fn reasoning_for(&self, pane: &PaneConfig) -> Option<crate::provider::ReasoningEffort> {
        pane.reasoning.or(self.agent.reasoning)
    }
}

/// Limits of the agent loop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub max_turns: u32,
    /// Extended thinking / reasoning effort; absent: none requested.
    #[serde(default)]
    pub reasoning: Option<crate::provider::ReasoningEffort>,
    pub max_output_tokens: u32,
    pub tool_output_cap_bytes: usize,
    /// Fill of the model's context window (0–1) at which older turns are
    /// summarised; 0 turns automatic compaction off (`/compact` still works).
    pub compact_at: f64,
    /// Worktree runs (`/run --worktree`) working at once; more are queued.
    pub parallel_runs: usize,
}

/// Retry behaviour of model calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    pub max_retries: u32,
    pub idle_timeout_secs: u64,
}

/// Limits of the `shell` tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellConfig {
    pub timeout_secs: u64,
    pub max_timeout_secs: u64,
    pub output_cap_bytes: usize,
}

/// The workbench's look and input (`[ui]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `dark` or `light`.
    pub theme: String,
    /// Capture the mouse for wheel scrolling (the terminal's own selection
    /// then needs Shift).
    pub mouse: bool,
    /// How to say that a Run task ended or an approval waits while the
    /// user looks elsewhere: `bell`, `osc9` (a desktop notification) or
    /// `off`. The engine only names it; the TUI writes the bytes.
    pub notify: NotifyStyle,
}

/// How `[ui] notify` wants the user told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NotifyStyle {
    /// The terminal bell (BEL): every terminal and tmux pass it on.
    #[default]
    Bell,
    /// An OSC 9 desktop notification with the message, then the bell.
    Osc9,
    /// Nothing.
    Off,
}

/// Change tracking and the diff viewer (`[review]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    /// Track changes with checkpoints (the diff viewer needs it).
    pub track: bool,
    /// Files larger than this are left out of checkpoints and the review.
    pub max_file_bytes: u64,
    /// `myers` (git's default) or `patience`.
    pub algorithm: DiffAlgorithm,
    /// Unchanged lines shown around each change.
    pub context: usize,
}

/// The line-diff algorithm named in `[review] algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffAlgorithm {
    /// Myers' O(ND) diff.
    Myers,
    /// Patience diff (anchors on unique lines).
    Patience,
}

/// The kernel sandbox of commands (`[sandbox]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    pub mode: SandboxMode,
    pub network: bool,
    /// Extra writable directories; `~/` is expanded.
    pub writable_roots: Vec<String>,
    pub git_writable: bool,
    /// Credential variables children may keep.
    pub env_passthrough: Vec<String>,
}

/// One provider as configured (`[providers.NAME]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDef {
    pub wire: Wire,
    /// Explicit base URL; wins over `base_url_env` and `default_base_url`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Environment variable that may hold the base URL.
    #[serde(default)]
    pub base_url_env: Option<String>,
    /// Base URL when neither of the above is set.
    #[serde(default)]
    pub default_base_url: Option<String>,
    /// Environment variable holding the API key.
    #[serde(default)]
    pub env_key: Option<String>,
    /// Extra headers sent with every request (relays, org ids).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub default_model: Option<String>,
    #[serde(default)]
    pub models: Vec<ModelDef>,
}

/// A relay (`[relays.NAME]`): one base URL and one key in front of both
/// Anthropic's Messages API and OpenAI's APIs (LiteLLM, OpenRouter,
/// one-api and their kind). It defines two providers, `NAME-anthropic` and
/// `NAME-openai`, so each pane picks the protocol its model speaks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayDef {
    pub base_url: String,
    /// Environment variable holding the relay's key.
    #[serde(default)]
    pub env_key: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The OpenAI-style protocol: `openai` (Responses, the default) or
    /// `openai-chat` (Chat Completions, which more relays serve).
    #[serde(default = "relay_openai_wire")]
    pub openai_wire: Wire,
    /// Default model of `NAME-anthropic`.
    #[serde(default)]
    pub anthropic_model: Option<String>,
    /// Default model of `NAME-openai`.
    #[serde(default)]
    pub openai_model: Option<String>,
}

fn relay_openai_wire() -> Wire {
    Wire::OpenAiResponses
}

/// What Tandem knows of one model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDef {
    pub name: String,
    /// Tokens the model can take in one request.
    pub context_window: u64,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {message}\nFix the file or move it aside.")]
    Syntax { path: PathBuf, message: String },
    #[error(
        "{origin}: {message}\nSee the configuration section of README.md for the keys Tandem knows."
    )]
    Invalid { origin: String, message: String },
}

/// One layer of configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Layer {
    /// A file path, `built-in defaults` or `command line`.
    pub origin: String,
    /// True for the project's `.tandem/config.toml`, which is trusted less.
    pub project: bool,
    pub table: toml::Table,
    /// The file's text, to point an error at its line.
    pub text: Option<String>,
}

impl Layer {
    /// Parses `text` as a layer named `origin`.
    pub fn parse(origin: &str, text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: PathBuf::from(match e.span() {
                        Some(span) => format!(
                            "{origin}:{}",
                            text[..span.start.min(text.len())].matches('\n').count() + 1
                        ),
                        None => origin.to_string(),
                    }),
                    message: e.message().to_string(),
                })?;
        Ok(Self {
            origin: origin.to_string(),
            project: false,
            table,
            text: Some(text.to_string()),
        })
    }

    /// Reads the file at `path`, or `None` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<Self>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&path.display().to_string(), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// Lays `over` onto `base`: tables merge recursively, anything else is replaced.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

impl PermissionSources {
    /// The user's and the project's rules, each as one list: every
    /// non-project layer (the user file, flags) counts as the user's.
    pub fn rule_lists(&self) -> (RuleLists, RuleLists) {
        let mut user = RuleLists::default();
        let mut project = RuleLists::default();
        for layer in &self.layers {
            let lists = if layer.project {
                &mut project
            } else {
                &mut user
            };
            if !lists.origin.is_empty() {
                lists.origin.push_str(" + ");
            }
            lists.origin.push_str(&layer.origin);
            lists.allow.extend(layer.allow.iter().cloned());
            lists.ask.extend(layer.ask.iter().cloned());
            lists.deny.extend(layer.deny.iter().cloned());
        }
        (user, project)
    }

    fn add(&mut self, layer: &Layer, section: toml::Value) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            origin: layer.origin.clone(),
            message,
        };
        let section: PermissionsSection = layers::parse_as(section, layer, &["permissions"])?;
        if let Some(trust) = section.trust_project_allow {
            if layer.project {
                return Err(invalid(
                    "permissions.trust_project_allow can only be set in your own config.toml, not in a project's".into(),
                ));
            }
            self.trust_project_allow = trust;
        }
        self.layers.push(RuleLayer {
            origin: layer.origin.clone(),
            project: layer.project,
            allow: section.allow,
            ask: section.ask,
            deny: section.deny,
        });
        Ok(())
    }
}

impl Config {
    /// Loads defaults, the user's file in `config_dir`, the project's
    /// `.tandem/config.toml` under `project_root`, the chosen profile, then
    /// the `-c` flags.
    pub fn load(
        config_dir: &Path,
        project_root: Option<&Path>,
        flags: &ConfigFlags,
    ) -> Result<Self, ConfigError> {
        Self::from_layers(&Self::layers(config_dir, project_root, flags)?)
    }

    /// The layers [`Config::load`] merges, lowest first (for `tandem config
    /// show`, which says where each value comes from).
    pub fn layers(
        config_dir: &Path,
        project_root: Option<&Path>,
        flags: &ConfigFlags,
    ) -> Result<Vec<Layer>, ConfigError> {
        let mut layers = vec![Layer::parse("built-in defaults", DEFAULTS_TOML)?];
        if let Some(user) = Layer::read(&config_dir.join("config.toml"))? {
            layers.push(user);
        }
        if let Some(root) = project_root
            && let Some(project) = layers::project_layer(root)?
        {
            layers.push(project);
        }
        let overrides = flags.override_layers()?;
        let mut chosen = flags.clone();
        if chosen.profile.is_none() {
            // `-c profile=NAME` chooses a profile too.
            chosen.profile = layers::chosen_profile(&overrides, &ConfigFlags::default());
        }
        if let Some(name) = layers::chosen_profile(&layers, &chosen) {
            let profile = layers::profile_layer(&layers, &name)?;
            layers.push(profile);
        }
        layers.extend(overrides);
        Ok(layers)
    }

    /// Merges layers in order, checking each one against the schema so an
    /// error points at the layer that caused it.
    pub fn from_layers(layers: &[Layer]) -> Result<Self, ConfigError> {
        let mut merged = toml::Table::new();
        let mut permissions = PermissionSources::default();
        let mut hooks = Vec::new();
        let mut mcp_origins = BTreeMap::new();
        for (i, layer) in layers.iter().enumerate() {
            let next = layers.get(i + 1);
            let mut table = layer.table.clone();
            if let Some(section) = table.remove("permissions") {
                permissions.add(layer, section)?;
            }
            if let Some(section) = table.remove("hooks") {
                hooks.push(HookLayer {
                    origin: layer.origin.clone(),
                    project: layer.project,
                    hooks: layers::hooks_of(layer, section)?,
                });
            }
            if layer.project
                && let Some(toml::Value::Table(project)) = table.get("project")
                && project.contains_key("trust")
            {
                return Err(ConfigError::Invalid {
                    origin: layer.origin.clone(),
                    message: "project.trust can only be set in your own config.toml (or with -c), \
                              not in a project's: a repository cannot trust itself"
                        .into(),
                });
            }
            if let Some(toml::Value::Table(servers)) = table.get("mcp_servers") {
                for name in servers.keys() {
                    mcp_origins.insert(name.clone(), (layer.origin.clone(), layer.project));
                }
            }
            merge(&mut merged, &table);
            match layers::check(&merged, layer) {
                // `-c a.b.x=1 -c a.b.y=2` builds a table over several flags:
                // a field missing after one of them may come with the next.
                Err(ConfigError::Invalid { message, .. })
                    if message.contains("missing field")
                        && next.is_some_and(|l: &Layer| l.origin.starts_with("-c ")) => {}
                result => result?,
            }
        }
        let mut config =
            Self::deserialize(toml::Value::Table(merged)).map_err(|e| ConfigError::Invalid {
                origin: "configuration".into(),
                message: e.message().to_string(),
            })?;
        config.check_profiles(layers)?;
        config.add_relay_providers()?;
        config.permissions = permissions;
        config.hooks = hooks;
        config.mcp_origins = mcp_origins;
        Ok(config)
    }

    /// Checks every defined profile against the schema, so a typo in one
    /// is found when the file is loaded, not the day the profile is used.
    fn check_profiles(&self, layers: &[Layer]) -> Result<(), ConfigError> {
        for name in self.profiles.keys() {
            let profile = layers::profile_layer(layers, name)?;
            let mut merged = toml::Table::new();
            for layer in layers {
                let mut table = layer.table.clone();
                table.remove("permissions");
                table.remove("hooks");
                merge(&mut merged, &table);
            }
            let mut table = profile.table.clone();
            table.remove("permissions");
            table.remove("hooks");
            merge(&mut merged, &table);
            layers::check(&merged, &profile)?;
        }
        Ok(())
    }

    /// Defines `NAME-anthropic` and `NAME-openai` for every relay.
    fn add_relay_providers(&mut self) -> Result<(), ConfigError> {
        for (name, relay) in &self.relays {
            for (suffix, wire, model) in [
                ("anthropic", Wire::Anthropic, &relay.anthropic_model),
                ("openai", relay.openai_wire, &relay.openai_model),
            ] {
                let provider = format!("{name}-{suffix}");
                if self.providers.contains_key(&provider) {
                    return Err(ConfigError::Invalid {
                        origin: format!("relays.{name}"),
                        message: format!(
                            "the relay defines provider `{provider}`, which [providers.{provider}] \
                             defines too: rename one of them"
                        ),
                    });
                }
                let models = self
                    .providers
                    .values()
                    .filter(|p| {
                        p.wire == wire || (wire != Wire::Anthropic && p.wire != Wire::Anthropic)
                    })
                    .flat_map(|p| p.models.iter().cloned())
                    .collect();
                self.providers.insert(
                    provider,
                    ProviderDef {
                        wire,
                        base_url: Some(relay.base_url.clone()),
                        base_url_env: None,
                        default_base_url: None,
                        env_key: relay.env_key.clone(),
                        headers: relay.headers.clone(),
                        default_model: model.clone(),
                        models,
                    },
                );
            }
        }
        Ok(())
    }

    /// The built-in defaults alone.
    pub fn defaults() -> Self {
        Self::from_layers(&[
            Layer::parse("built-in defaults", DEFAULTS_TOML).expect("built-in defaults parse")
        ])
        .expect("built-in defaults are valid")
    }

    /// The context window of `model` as configured for `provider`, if known.
    pub fn context_window(&self, provider: &str, model: &str) -> Option<u64> {
        self.providers
            .get(provider)?
            .models
            .iter()
            .find(|m| m.name == model)
            .map(|m| m.context_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_complete() {
        let c = Config::defaults();
        assert_eq!(c.panes.chat.provider, "anthropic");
        assert_eq!(c.panes.run.provider, "openai");
        assert_eq!(c.panes.run.mode, ApprovalMode::FullAuto);
        assert_eq!(c.providers["openai-chat"].wire, Wire::OpenAiChat);
        assert_eq!(
            c.context_window("anthropic", "claude-sonnet-4-5"),
            Some(200_000)
        );
    }

    #[test]
    fn later_layers_override_key_by_key() {
        let user = Layer::parse(
            "user",
            r#"
            [retry]
            max_retries = 1
            [providers.local]
            wire = "openai-chat"
            base_url = "http://127.0.0.1:11434"
            "#,
        )
        .unwrap();
        let flags = Layer::parse("flags", "[panes.run]\nmodel = \"qwen\"").unwrap();
        let base = Layer::parse("built-in defaults", DEFAULTS_TOML).unwrap();
        let c = Config::from_layers(&[base, user, flags]).unwrap();
        assert_eq!(c.retry.max_retries, 1);
        assert_eq!(
            c.retry.idle_timeout_secs, 90,
            "untouched keys keep their default"
        );
        assert_eq!(c.panes.run.model.as_deref(), Some("qwen"));
        assert_eq!(c.panes.run.provider, "openai");
        assert!(c.providers.contains_key("local"));
    }

    #[test]
    fn permission_rules_of_every_layer_are_kept_apart() {
        let base = Layer::parse("built-in defaults", DEFAULTS_TOML).unwrap();
        let user = Layer::parse(
            "user.toml",
            "[permissions]\ndeny = [\"shell(rm *)\"]\nallow = [\"shell(git status*)\"]\n",
        )
        .unwrap();
        let mut project =
            Layer::parse("project.toml", "[permissions]\ndeny = [\"read(.env)\"]\n").unwrap();
        project.project = true;
        let c = Config::from_layers(&[base.clone(), user, project.clone()]).unwrap();
        let layers = &c.permissions.layers;
        assert_eq!(
            layers.len(),
            2,
            "the project's list does not replace the user's"
        );
        assert_eq!(layers[0].deny, ["shell(rm *)"]);
        assert_eq!(layers[0].allow, ["shell(git status*)"]);
        assert!(layers[1].project && layers[1].deny == ["read(.env)"]);
        assert!(!c.permissions.trust_project_allow);

        project.table = "[permissions]\ntrust_project_allow = true\n"
            .parse()
            .unwrap();
        let err = Config::from_layers(&[base, project])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("project.toml") && err.contains("trust_project_allow"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let base = Layer::parse("built-in defaults", DEFAULTS_TOML).unwrap();
        let bad = Layer::parse(
            "/home/u/.config/tandem/config.toml",
            "[retry]\nmax_retrys = 3",
        )
        .unwrap();
        let err = Config::from_layers(&[base.clone(), bad])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/home/u/.config/tandem/config.toml"), "{err}");
        assert!(err.contains("max_retrys"), "{err}");
        let bad_wire = Layer::parse("p", "[providers.x]\nwire = \"grpc\"").unwrap();
        let err = Config::from_layers(&[base, bad_wire])
            .unwrap_err()
            .to_string();
        assert!(err.contains("grpc"), "{err}");
        let syntax = Layer::parse("f.toml", "[retry\n").unwrap_err().to_string();
        assert!(
            syntax.contains("f.toml") && syntax.contains("not valid TOML"),
            "{syntax}"
        );
    }
}
