use std::path::Path;

use super::*;
use crate::config::show;
use crate::provider::{ReasoningEffort, Wire};

/// A config dir holding `user` as config.toml and a project holding
/// `project` as .tandem/config.toml.
fn dirs(user: &str, project: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let config = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    if !user.is_empty() {
        std::fs::write(config.path().join("config.toml"), user).unwrap();
    }
    if !project.is_empty() {
        std::fs::create_dir(root.path().join(".tandem")).unwrap();
        std::fs::write(root.path().join(".tandem/config.toml"), project).unwrap();
    }
    (config, root)
}

fn flags(overrides: &[&str], profile: Option<&str>) -> ConfigFlags {
    ConfigFlags {
        overrides: overrides.iter().map(|s| s.to_string()).collect(),
        profile: profile.map(str::to_string),
    }
}

fn load(config: &Path, root: &Path, f: &ConfigFlags) -> Result<Config, ConfigError> {
    Config::load(config, Some(root), f)
}

#[test]
fn each_layer_overrides_the_one_below_and_says_so() {
    let (config, root) = dirs(
        "[ui]\ntheme = \"light\"\n[retry]\nmax_retries = 2\n",
        "[retry]\nmax_retries = 3\n[shell]\ntimeout_secs = 30\n",
    );
    let f = flags(&["shell.timeout_secs=45"], None);
    let c = load(config.path(), root.path(), &f).unwrap();
    assert_eq!(c.ui.theme, "light", "user over defaults");
    assert_eq!(c.retry.max_retries, 3, "project over user");
    assert_eq!(c.shell.timeout_secs, 45, "-c over project");
    assert_eq!(c.shell.max_timeout_secs, 1800, "defaults stay");

    let layers = Config::layers(config.path(), Some(root.path()), &f).unwrap();
    let settings = show::effective(&layers);
    let origin = |key: &str| {
        settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.origin.clone())
            .unwrap()
    };
    assert!(origin("ui.theme").ends_with("config.toml"));
    assert!(!origin("ui.theme").contains(".tandem"));
    assert!(origin("retry.max_retries").ends_with(".tandem/config.toml"));
    assert_eq!(origin("shell.timeout_secs"), "-c shell.timeout_secs=45");
    assert_eq!(origin("shell.max_timeout_secs"), "built-in defaults");
}

#[test]
fn dash_c_takes_toml_values_bare_strings_and_quoted_keys() {
    let (config, root) = dirs("", "");
    let f = flags(
        &[
            "ui.theme=light",
            "ui.mouse=true",
            "sandbox.writable_roots=[\"/tmp/x\"]",
            "pricing.\"gpt-4.1\".input=2.5",
            "pricing.\"gpt-4.1\".output=8",
            "panes.run.model = \"gpt-5-mini\"",
        ],
        None,
    );
    let c = load(config.path(), root.path(), &f).unwrap();
    assert_eq!(c.ui.theme, "light");
    assert!(c.ui.mouse);
    assert_eq!(c.sandbox.writable_roots, ["/tmp/x"]);
    assert_eq!(c.pricing["gpt-4.1"].input, 2.5);
    assert_eq!(c.panes.run.model.as_deref(), Some("gpt-5-mini"));

    let err = load(config.path(), root.path(), &flags(&["ui.theme"], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-c ui.theme") && err.contains("KEY=VALUE"),
        "{err}"
    );
    let err = load(config.path(), root.path(), &flags(&["ui.colour=1"], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-c ui.colour=1") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn a_profile_applies_over_the_files_and_under_dash_c() {
    let user = r#"
[profiles.local.panes.run]
provider = "openai-chat"
model = "qwen"
reasoning = "high"
[profiles.cheap.agent]
max_turns = 5
"#;
    let (config, root) = dirs(user, "[profiles.local.ui]\ntheme = \"light\"\n");
    let plain = load(config.path(), root.path(), &flags(&[], None)).unwrap();
    assert_eq!(plain.panes.run.provider, "openai", "no profile, no change");

    let f = flags(&["panes.run.model=llama"], Some("local"));
    let c = load(config.path(), root.path(), &f).unwrap();
    assert_eq!(c.panes.run.provider, "openai-chat");
    assert_eq!(c.panes.run.model.as_deref(), Some("llama"), "-c wins");
    assert_eq!(c.ui.theme, "light", "a profile can be defined in two files");
    assert_eq!(c.reasoning_for(&c.panes.run), Some(ReasoningEffort::High));
    assert_eq!(c.reasoning_for(&c.panes.chat), None);
    let layers = Config::layers(config.path(), Some(root.path()), &f).unwrap();
    let settings = show::effective(&layers);
    let provider = settings
        .iter()
        .find(|s| s.key == "panes.run.provider")
        .unwrap();
    assert!(provider.origin.starts_with("profile local"), "{provider:?}");

    // `profile = "NAME"` in a file chooses one too; the flag wins over it.
    let (config, root) = dirs(&format!("profile = \"cheap\"\n{user}"), "");
    let c = load(config.path(), root.path(), &flags(&[], None)).unwrap();
    assert_eq!(c.agent.max_turns, 5);
    let c = load(config.path(), root.path(), &flags(&[], Some("local"))).unwrap();
    assert_eq!(c.agent.max_turns, 100);

    let err = load(config.path(), root.path(), &flags(&[], Some("nope")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown profile `nope`") && err.contains("cheap, local"),
        "{err}"
    );
}

#[test]
fn a_typo_in_an_unused_profile_is_found_at_load() {
    let (config, root) = dirs("[profiles.fast.agent]\nmax_turn = 3\n", "");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("profile fast") && err.contains("max_turn"),
        "{err}"
    );
}

#[test]
fn errors_name_the_file_the_line_and_the_key() {
    let user =
        "# my settings\n[ui]\ntheme = \"dark\"\n\n[retry]\nmax_retries = 2\nidle_timeout = 30\n";
    let (config, root) = dirs(user, "");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    let file = config.path().join("config.toml");
    assert!(
        err.contains(&format!("{}:7", file.display())),
        "file and line: {err}"
    );
    assert!(err.contains("retry.idle_timeout"), "dotted key: {err}");

    let (config, root) = dirs("", "[shell]\n\ntimeout_secs = \"soon\"\n");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(err.contains(".tandem/config.toml:3"), "{err}");
    assert!(
        err.contains("shell.timeout_secs") && err.contains("string"),
        "{err}"
    );

    let (config, root) = dirs(
        "[[hooks.pre_tool_use]]\ncommand = \"x\"\n\n[[hooks.pre_tool_use]]\ncommand = \"y\"\ntimeout = \"1s\"\n",
        "",
    );
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("config.toml:6"), "the line of the key: {err}");
    assert!(err.contains("hooks.pre_tool_use[1].timeout"), "{err}");

    let (config, root) = dirs("[ui]\ntheme = \"dark\"\nmouse = tru\n", "");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.toml:3") && err.contains("not valid TOML"),
        "{err}"
    );

    let (config, root) = dirs("", "[hooks]\nbefore_tool = []\n");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(".tandem/config.toml:2") && err.contains("before_tool"),
        "{err}"
    );
}

#[test]
fn hooks_of_every_layer_are_kept_with_their_origin() {
    let (config, root) = dirs(
        "[[hooks.stop]]\ncommand = \"notify-send done\"\n",
        "[[hooks.pre_tool_use]]\nmatcher = \"shell\"\ncommand = \"./check.sh\"\ntimeout = 5\n",
    );
    let c = load(config.path(), root.path(), &flags(&[], None)).unwrap();
    assert_eq!(c.hooks.len(), 2);
    assert!(!c.hooks[0].project && c.hooks[0].hooks.stop[0].command == "notify-send done");
    assert!(c.hooks[1].project);
    assert_eq!(c.hooks[1].hooks.pre_tool_use[0].timeout, Some(5));
}

#[test]
fn only_the_user_can_trust_a_project() {
    let (config, root) = dirs("", "[project]\ntrust = true\n");
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("project.trust") && err.contains(".tandem"),
        "{err}"
    );
    let (config, root) = dirs("[project]\ntrust = true\n", "");
    assert!(
        load(config.path(), root.path(), &flags(&[], None))
            .unwrap()
            .project
            .trust
    );
    let (config, root) = dirs("", "");
    let f = flags(&["project.trust=true"], None);
    assert!(load(config.path(), root.path(), &f).unwrap().project.trust);
}

#[test]
fn mcp_servers_merge_by_name_and_remember_their_origin() {
    let (config, root) = dirs(
        "[mcp_servers.docs]\ncommand = \"docs-mcp\"\nargs = [\"--stdio\"]\n",
        "[mcp_servers.db]\nurl = \"http://127.0.0.1:9000/mcp\"\nstartup = \"lazy\"\n",
    );
    let c = load(config.path(), root.path(), &flags(&[], None)).unwrap();
    assert_eq!(c.mcp_servers["docs"].args, ["--stdio"]);
    assert_eq!(c.mcp_servers["docs"].startup_timeout_sec, 10);
    assert_eq!(c.mcp_servers["db"].startup, crate::config::McpStartup::Lazy);
    assert!(!c.mcp_origins["docs"].1);
    assert!(c.mcp_origins["db"].1, "the project defined db");
}

#[test]
fn a_relay_defines_an_anthropic_and_an_openai_provider_with_one_key() {
    let (config, root) = dirs(
        r#"
[relays.hub]
base_url = "https://relay.example.com"
env_key = "HUB_KEY"
openai_wire = "openai-chat"
anthropic_model = "claude-sonnet-4-5"
openai_model = "gpt-5"
[panes.chat]
provider = "hub-anthropic"
[panes.run]
provider = "hub-openai"
"#,
        "",
    );
    let c = load(config.path(), root.path(), &flags(&[], None)).unwrap();
    let env = |k: &str| (k == "HUB_KEY").then(|| "sk-hub".to_string());
    let a = crate::config::providers::resolve(&c, "hub-anthropic", &env).unwrap();
    let o = crate::config::providers::resolve(&c, "hub-openai", &env).unwrap();
    assert_eq!((a.wire, o.wire), (Wire::Anthropic, Wire::OpenAiChat));
    assert_eq!(a.base_url, o.base_url);
    assert_eq!(a.api_key.as_deref(), Some("sk-hub"));
    assert_eq!(o.api_key.as_deref(), Some("sk-hub"));
    assert_eq!(
        c.providers["hub-openai"].default_model.as_deref(),
        Some("gpt-5")
    );
    assert_eq!(
        c.context_window("hub-anthropic", "claude-sonnet-4-5"),
        Some(200_000),
        "the relay knows the models' windows"
    );
    assert!(crate::config::providers::key_vars(&c).contains(&"HUB_KEY".to_string()));

    let (config, root) = dirs(
        "[relays.x]\nbase_url = \"http://r\"\n[providers.x-openai]\nwire = \"openai\"\nbase_url = \"http://o\"\n",
        "",
    );
    let err = load(config.path(), root.path(), &flags(&[], None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("x-openai"), "{err}");
}
