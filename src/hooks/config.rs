//! The effective hook set of a session: `[hooks]` of every configuration
//! layer plus Claude Code's settings files, with a project's hooks held
//! back until the user trusts the project, and the notes the user sees at
//! start-up (what was imported, what is held back, what is broken).

use std::path::Path;
use std::time::Duration;

use super::claude::{ClaudeImport, import_file};
use super::{DEFAULT_TIMEOUT, Hook, HookEvent, Hooks, compile_matcher};
use crate::config::instructions::repo_root;
use crate::config::{Config, HookDef, HooksSection};
use crate::exec::secrets::SecretPolicy;

/// One source of hooks before trust is applied.
struct Source {
    origin: String,
    project: bool,
    hooks: Vec<(HookEvent, HookDef)>,
}

/// The hooks of `config` and of Claude's settings (the repository root's
/// `.claude/settings.json` and `.claude/settings.local.json`, and
/// `HOME/.claude/settings.json`), and start-up notes for the user. The
/// project's hooks are left out unless `[project] trust` is on.
pub fn load(
    config: &Config,
    workspace: &Path,
    home: Option<&Path>,
    secrets: SecretPolicy,
) -> (Hooks, Vec<String>) {
    let mut notes = Vec::new();
    let mut sources: Vec<Source> = config
        .hooks
        .iter()
        .map(|layer| Source {
            origin: layer.origin.clone(),
            project: layer.project,
            hooks: section_hooks(&layer.hooks),
        })
        .collect();
    let root = repo_root(workspace);
    let claude_files = home
        .map(|home| {
            (
                home.join(".claude/settings.json"),
                "~/.claude/settings.json".to_string(),
                false,
            )
        })
        .into_iter()
        .chain(["settings.json", "settings.local.json"].map(|name| {
            (
                root.join(".claude").join(name),
                format!(".claude/{name}"),
                true,
            )
        }));
    for (path, label, project) in claude_files {
        match import_file(&path, &label) {
            Ok(ClaudeImport { hooks, summary }) => {
                notes.extend(summary);
                sources.push(Source {
                    origin: label,
                    project,
                    hooks,
                });
            }
            Err(warning) => notes.push(warning),
        }
    }
    let mut hooks: Vec<Hook> = Vec::new();
    let mut held_back: Vec<String> = Vec::new();
    for source in sources {
        for (event, def) in source.hooks {
            if source.project && !config.project.trust {
                held_back.push(format!(
                    "{} `{}` ({})",
                    event.name(),
                    def.command,
                    source.origin
                ));
                continue;
            }
            let matcher = match compile_matcher(def.matcher.as_deref()) {
                Ok(matcher) => matcher,
                Err(e) => {
                    notes.push(format!(
                        "ignoring the {} hook `{}` from {}: its matcher is not a regular expression ({e})",
                        event.name(),
                        def.command,
                        source.origin
                    ));
                    continue;
                }
            };
            let duplicate = hooks.iter().any(|h| {
                h.event == event
                    && h.command == def.command
                    && h.matcher.as_ref().map(|m| m.as_str())
                        == matcher.as_ref().map(|m| m.as_str())
            });
            if duplicate {
                continue;
            }
            hooks.push(Hook {
                event,
                matcher,
                command: def.command,
                timeout: def
                    .timeout
                    .filter(|&secs| secs > 0)
                    .map_or(DEFAULT_TIMEOUT, Duration::from_secs),
                origin: source.origin.clone(),
            });
        }
    }
    if !held_back.is_empty() {
        notes.push(format!(
            "not running {} hook{} the project defines, because the project is not trusted: {}. \
             To run them, set `[project] trust = true` in your own config.toml or pass -c project.trust=true",
            held_back.len(),
            if held_back.len() == 1 { "" } else { "s" },
            held_back.join(", ")
        ));
    }
    (Hooks::new(hooks, secrets), notes)
}

/// The hooks of one `[hooks]` section, by event.
fn section_hooks(section: &HooksSection) -> Vec<(HookEvent, HookDef)> {
    let by_event = [
        (HookEvent::SessionStart, &section.session_start),
        (HookEvent::UserPromptSubmit, &section.user_prompt_submit),
        (HookEvent::PreToolUse, &section.pre_tool_use),
        (HookEvent::PostToolUse, &section.post_tool_use),
        (HookEvent::Stop, &section.stop),
        (HookEvent::Notification, &section.notification),
        (HookEvent::PreCompact, &section.pre_compact),
        (HookEvent::SessionEnd, &section.session_end),
    ];
    by_event
        .into_iter()
        .flat_map(|(event, defs)| defs.iter().map(move |d| (event, d.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFlags, HookLayer};

    fn config(trust: bool) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::load(dir.path(), None, &ConfigFlags::default()).unwrap();
        c.project.trust = trust;
        c
    }

    fn def(command: &str, matcher: Option<&str>) -> HookDef {
        HookDef {
            matcher: matcher.map(str::to_string),
            command: command.into(),
            timeout: None,
        }
    }

    fn layer(origin: &str, project: bool, pre: Vec<HookDef>) -> HookLayer {
        HookLayer {
            origin: origin.into(),
            project,
            hooks: HooksSection {
                pre_tool_use: pre,
                ..HooksSection::default()
            },
        }
    }

    #[test]
    fn project_hooks_run_only_when_the_project_is_trusted() {
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir(work.path().join(".git")).unwrap();
        std::fs::create_dir(work.path().join(".claude")).unwrap();
        std::fs::write(
            work.path().join(".claude/settings.json"),
            r#"{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"./done.sh"}]}]}}"#,
        )
        .unwrap();
        let layers = vec![
            layer(
                "~/config.toml",
                false,
                vec![def("./mine.sh", Some("shell"))],
            ),
            layer(".tandem/config.toml", true, vec![def("./theirs.sh", None)]),
        ];
        let mut untrusted = config(false);
        untrusted.hooks = layers.clone();
        let (hooks, notes) = load(&untrusted, work.path(), None, SecretPolicy::default());
        let commands: Vec<&str> = hooks.all().iter().map(|h| h.command.as_str()).collect();
        assert_eq!(commands, vec!["./mine.sh"]);
        let held = notes.iter().find(|n| n.contains("not trusted")).unwrap();
        assert!(
            held.contains("pre_tool_use `./theirs.sh` (.tandem/config.toml)"),
            "{held}"
        );
        assert!(
            held.contains("stop `./done.sh` (.claude/settings.json)"),
            "{held}"
        );
        assert!(held.contains("[project] trust = true"), "{held}");
        assert!(held.contains("-c project.trust=true"), "{held}");

        let mut trusted = config(true);
        trusted.hooks = layers;
        let (hooks, notes) = load(&trusted, work.path(), None, SecretPolicy::default());
        let commands: Vec<&str> = hooks.all().iter().map(|h| h.command.as_str()).collect();
        assert_eq!(commands, vec!["./mine.sh", "./theirs.sh", "./done.sh"]);
        assert!(
            notes.iter().all(|n| !n.contains("not trusted")),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"imported from .claude/settings.json: Stop → stop".to_string()),
            "{notes:?}"
        );
    }

    #[test]
    fn user_claude_settings_are_trusted_and_bad_files_are_warnings() {
        let work = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".claude")).unwrap();
        std::fs::write(
            home.path().join(".claude/settings.json"),
            r#"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"./g.sh","timeout":7}]}]}}"#,
        )
        .unwrap();
        std::fs::create_dir(work.path().join(".claude")).unwrap();
        std::fs::write(work.path().join(".claude/settings.local.json"), "{oops").unwrap();
        let (hooks, notes) = load(
            &config(false),
            work.path(),
            Some(home.path()),
            SecretPolicy::default(),
        );
        let [hook] = hooks.all() else {
            panic!("one hook: {:?}", hooks.all())
        };
        assert_eq!(hook.command, "./g.sh");
        assert_eq!(hook.timeout, Duration::from_secs(7));
        assert!(hook.matches(Some("shell")) && !hook.matches(Some("read_file")));
        assert!(
            notes
                .iter()
                .any(|n| n.contains(".claude/settings.local.json")
                    && n.contains("not valid Claude settings")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_bad_matcher_is_a_note_not_a_failure() {
        let mut c = config(false);
        c.hooks = vec![layer("u.toml", false, vec![def("./x.sh", Some("("))])];
        let (hooks, notes) = load(&c, Path::new("/"), None, SecretPolicy::default());
        assert!(hooks.is_empty());
        assert!(notes[0].contains("not a regular expression"), "{notes:?}");
    }
}
