//! Importing Claude Code's hooks from its settings files
//! (`.claude/settings.json`, `.claude/settings.local.json`,
//! `~/.claude/settings.json`): events and tool names in matchers are
//! mapped to ours, and a one-line summary says what was imported and what
//! has no equivalent here.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::HookEvent;
use crate::config::HookDef;

/// Claude Code's tool names and ours.
const TOOL_NAMES: [(&str, &str); 9] = [
    ("Bash", "shell"),
    ("Edit", "edit_file|apply_patch"),
    ("MultiEdit", "edit_file|apply_patch"),
    ("Write", "write_file"),
    ("Read", "read_file"),
    ("Glob", "glob"),
    ("Grep", "grep"),
    ("LS", "list_dir"),
    ("TodoWrite", "update_plan"),
];

/// Our own tool names, which a matcher may already use.
const OUR_TOOLS: [&str; 9] = [
    "shell",
    "edit_file",
    "apply_patch",
    "write_file",
    "read_file",
    "glob",
    "grep",
    "list_dir",
    "update_plan",
];

/// The hooks found in one Claude settings file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaudeImport {
    /// The hooks, mapped to our events and tool names.
    pub hooks: Vec<(HookEvent, HookDef)>,
    /// "imported from .claude/settings.json: PreToolUse ×2 → pre_tool_use;
    /// not imported: SubagentStop (no equivalent)"; `None` when the file
    /// has no hooks.
    pub summary: Option<String>,
}

/// Reads the hooks of the Claude settings file at `path`, shown to the
/// user as `label`. A missing file is no hooks; a malformed one is an
/// error message naming the file (the caller shows it and goes on).
pub fn import_file(path: &Path, label: &str) -> Result<ClaudeImport, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ClaudeImport::default()),
        Err(e) => {
            return Err(format!(
                "cannot read {label} (its hooks are not imported): {e}"
            ));
        }
    };
    parse(&text, label)
}

/// Parses the text of a Claude settings file (see [`import_file`]).
pub fn parse(text: &str, label: &str) -> Result<ClaudeImport, String> {
    let bad = |what: String| {
        format!("{label} is not valid Claude settings ({what}); its hooks are not imported")
    };
    let settings: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let Some(events) = settings.get("hooks") else {
        return Ok(ClaudeImport::default());
    };
    let events = events
        .as_object()
        .ok_or_else(|| bad("`hooks` is not an object".into()))?;
    let mut imported = ClaudeImport::default();
    let mut counts: BTreeMap<(String, HookEvent), usize> = BTreeMap::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut unknown_tools: Vec<String> = Vec::new();
    for (name, groups) in events {
        let Some(event) = HookEvent::from_claude(name) else {
            skipped.push(format!("{name} (no equivalent)"));
            continue;
        };
        let groups = groups
            .as_array()
            .ok_or_else(|| bad(format!("`hooks.{name}` is not a list")))?;
        for group in groups {
            let matcher = group.get("matcher").and_then(Value::as_str).map(|m| {
                if matches!(event, HookEvent::PreToolUse | HookEvent::PostToolUse) {
                    let (mapped, unknown) = map_matcher(m);
                    unknown_tools.extend(unknown);
                    mapped
                } else {
                    m.to_string()
                }
            });
            let hooks = group
                .get("hooks")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(format!("a `hooks.{name}` entry has no `hooks` list")))?;
            for hook in hooks {
                let kind = hook
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("command");
                let command = hook.get("command").and_then(Value::as_str);
                match (kind, command) {
                    ("command", Some(command)) => {
                        imported.hooks.push((
                            event,
                            HookDef {
                                matcher: matcher.clone(),
                                command: command.to_string(),
                                timeout: hook.get("timeout").and_then(Value::as_u64),
                            },
                        ));
                        *counts.entry((name.clone(), event)).or_default() += 1;
                    }
                    (kind, _) => skipped.push(format!("a {name} hook of type `{kind}`")),
                }
            }
        }
    }
    unknown_tools.sort();
    unknown_tools.dedup();
    imported.summary = summary(label, &counts, &skipped, &unknown_tools);
    Ok(imported)
}

/// A Claude matcher with Claude's tool names replaced by ours
/// (`Bash|Edit` → `shell|edit_file|apply_patch`); `mcp__…` and regular
/// expressions stay as they are. Also returns the plain names that are no
/// tool here (`WebFetch`).
pub fn map_matcher(matcher: &str) -> (String, Vec<String>) {
    let mut parts: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for part in matcher.split('|').map(str::trim) {
        let mapped = match TOOL_NAMES.iter().find(|(claude, _)| *claude == part) {
            Some((_, ours)) => ours.to_string(),
            None => {
                let plain =
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if plain && !part.starts_with("mcp__") && !OUR_TOOLS.contains(&part) {
                    unknown.push(part.to_string());
                }
                part.to_string()
            }
        };
        for name in mapped.split('|') {
            if !parts.iter().any(|p| p == name) {
                parts.push(name.to_string());
            }
        }
    }
    (parts.join("|"), unknown)
}

fn summary(
    label: &str,
    counts: &BTreeMap<(String, HookEvent), usize>,
    skipped: &[String],
    unknown_tools: &[String],
) -> Option<String> {
    if counts.is_empty() && skipped.is_empty() {
        return None;
    }
    let imported: Vec<String> = counts
        .iter()
        .map(|((claude, ours), n)| {
            let times = if *n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            format!("{claude}{times} → {}", ours.name())
        })
        .collect();
    let mut text = format!("imported from {label}: ");
    text.push_str(&if imported.is_empty() {
        "nothing".to_string()
    } else {
        imported.join(", ")
    });
    if !skipped.is_empty() {
        text.push_str(&format!("; not imported: {}", skipped.join(", ")));
    }
    if !unknown_tools.is_empty() {
        text.push_str(&format!(
            "; matchers name tools Tandem lacks: {}",
            unknown_tools.join(", ")
        ));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_tool_names_become_ours() {
        assert_eq!(map_matcher("Bash").0, "shell");
        assert_eq!(
            map_matcher("Edit|MultiEdit|Write").0,
            "edit_file|apply_patch|write_file"
        );
        assert_eq!(
            map_matcher("Read|Glob|Grep|LS").0,
            "read_file|glob|grep|list_dir"
        );
        assert_eq!(map_matcher("mcp__github__.*").0, "mcp__github__.*");
        assert_eq!(map_matcher("mcp__memory__create").1, Vec::<String>::new());
        let (mapped, unknown) = map_matcher("Bash|WebFetch");
        assert_eq!(mapped, "shell|WebFetch");
        assert_eq!(unknown, vec!["WebFetch".to_string()]);
    }

    #[test]
    fn settings_are_imported_with_a_summary() {
        let text = r#"{
          "permissions": {"allow": []},
          "hooks": {
            "PreToolUse": [
              {"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh", "timeout": 5}]},
              {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "./fmt.sh"}]}
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "./done.sh"}]}],
            "SubagentStop": [{"hooks": [{"type": "command", "command": "./x.sh"}]}]
          }
        }"#;
        let imported = parse(text, ".claude/settings.json").unwrap();
        assert_eq!(
            imported.hooks,
            vec![
                (
                    HookEvent::PreToolUse,
                    HookDef {
                        matcher: Some("shell".into()),
                        command: "./guard.sh".into(),
                        timeout: Some(5)
                    }
                ),
                (
                    HookEvent::PreToolUse,
                    HookDef {
                        matcher: Some("edit_file|apply_patch|write_file".into()),
                        command: "./fmt.sh".into(),
                        timeout: None
                    }
                ),
                (
                    HookEvent::Stop,
                    HookDef {
                        matcher: None,
                        command: "./done.sh".into(),
                        timeout: None
                    }
                ),
            ]
        );
        assert_eq!(
            imported.summary.as_deref(),
            Some(
                "imported from .claude/settings.json: PreToolUse ×2 → pre_tool_use, Stop → stop; \
                 not imported: SubagentStop (no equivalent)"
            )
        );
    }

    #[test]
    fn malformed_settings_name_the_file() {
        let err = parse("{ not json", "~/.claude/settings.json").unwrap_err();
        assert!(err.contains("~/.claude/settings.json"), "{err}");
        assert!(err.contains("not imported"), "{err}");
        let err = parse(r#"{"hooks": {"Stop": 3}}"#, "x.json").unwrap_err();
        assert!(err.contains("hooks.Stop"), "{err}");
    }

    #[test]
    fn files_without_hooks_import_nothing_quietly() {
        assert_eq!(parse("{}", "a").unwrap(), ClaudeImport::default());
        let missing = import_file(Path::new("/nonexistent/settings.json"), "b").unwrap();
        assert_eq!(missing, ClaudeImport::default());
    }
}
