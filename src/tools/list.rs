//! The `list_dir` tool: a gitignore-aware tree of a directory.
//!
//! Also home of [`walk_builder`], the one walker configuration every
//! searching tool shares, so `list_dir`, `glob` and `grep` agree on what is
//! ignored.

use std::path::Path;

use futures_util::future::BoxFuture;
use ignore::WalkBuilder;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::paths::{display, resolve_for_read};
use super::{ReadFilter, Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// Entries listed by one call.
pub const MAX_ENTRIES: usize = 500;
/// Depth when the model gives none: the directory and its children's children.
pub const DEFAULT_DEPTH: usize = 2;
/// Deepest listing one call may ask for.
pub const MAX_DEPTH: usize = 10;

const SHAPE: &str = r#"{"path"?: string, "depth"?: integer 1..10}"#;

/// A walker over `root` that honours `.gitignore` (also outside git repos),
/// `.ignore` and git's global excludes, shows hidden files, skips `.git`, and
/// yields entries sorted by name within each directory.
pub fn walk_builder(root: &Path, hidden: Option<ReadFilter>) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .filter_entry(move |e| {
            e.file_name() != ".git" && !hidden.as_ref().is_some_and(|h| h(e.path()))
        })
        .sort_by_file_name(|a, b| a.cmp(b));
    builder
}

/// The `list_dir` tool.
pub struct ListDir;

#[derive(Deserialize)]
struct Args {
    path: Option<String>,
    depth: Option<usize>,
}

impl Tool for ListDir {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_dir".into(),
            description: format!(
                "List a directory as an indented tree (two spaces per level), sorted by name; \
                 directories end with `/`, symlinks show `-> target`. Files ignored by .gitignore \
                 and the .git directory are left out; other hidden files are shown. depth 1 lists \
                 only direct children (default {DEFAULT_DEPTH}). At most {MAX_ENTRIES} entries; \
                 list a subdirectory to see more. Use glob to find files by name pattern anywhere."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Directory, relative to the workspace root or absolute. Default: the workspace root."},
                    "depth": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH, "description": format!("How many levels to descend. Default {DEFAULT_DEPTH}.")}
                },
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn summary(&self, input: &Value) -> String {
        let path = input.get("path").and_then(Value::as_str).unwrap_or(".");
        match input.get("depth").and_then(Value::as_u64) {
            Some(d) => format!("{path} (depth {d})"),
            None => path.to_string(),
        }
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "list_dir", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let raw = args.path.unwrap_or_else(|| ".".into());
            let dir = match resolve_for_read(&ctx.workspace, &raw) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            let depth = args.depth.unwrap_or(DEFAULT_DEPTH).clamp(1, MAX_DEPTH);
            let shown = display(&ctx.workspace, &dir);
            let cancel = ctx.cancel.clone();
            let hidden = ctx.hidden.clone();
            tokio::task::spawn_blocking(move || list(&dir, &shown, depth, &cancel, hidden))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("list_dir failed: {e}")))
        })
    }
}

fn list(
    dir: &Path,
    shown: &str,
    depth: usize,
    cancel: &CancellationToken,
    hidden: Option<ReadFilter>,
) -> ToolOutput {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return ToolOutput::err(format!(
                "directory not found: {shown}; list its parent or use glob to find it"
            ));
        }
        Err(e) => return ToolOutput::err(format!("cannot list {shown}: {e}")),
        Ok(m) if !m.is_dir() => {
            return ToolOutput::err(format!(
                "{shown} is a file, not a directory; use read_file to read it"
            ));
        }
        Ok(_) => {}
    }
    let mut lines = Vec::new();
    let mut capped = false;
    let mut unreadable = 0;
    for entry in walk_builder(dir, hidden).max_depth(Some(depth)).build() {
        if cancel.is_cancelled() {
            return ToolOutput::err("list_dir was cancelled");
        }
        let entry = match entry {
            Ok(e) => e,
            Err(_) => {
                unreadable += 1;
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        if lines.len() == MAX_ENTRIES {
            capped = true;
            break;
        }
        let indent = "  ".repeat(entry.depth() - 1);
        let name = entry.file_name().to_string_lossy();
        let file_type = entry.file_type();
        let line = if file_type.is_some_and(|t| t.is_symlink()) {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            format!("{indent}{name} -> {target}")
        } else if file_type.is_some_and(|t| t.is_dir()) {
            format!("{indent}{name}/")
        } else {
            format!("{indent}{name}")
        };
        lines.push(line);
    }
    let mut text = if lines.is_empty() {
        format!("({shown} is empty or every entry in it is ignored)")
    } else {
        lines.join("\n")
    };
    if capped {
        text.push_str(&format!(
            "\n[listing capped at {MAX_ENTRIES} entries; list a subdirectory or use a smaller depth]"
        ));
    }
    if unreadable > 0 {
        text.push_str(&format!(
            "\n[{unreadable} entries could not be read (permissions?)]"
        ));
    }
    ToolOutput::ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        ListDir
            .run(input, &ToolContext::new(ws.to_path_buf()))
            .await
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("src/deep/deeper")).unwrap();
        fs::create_dir_all(r.join(".git/objects")).unwrap();
        fs::create_dir_all(r.join("target/debug")).unwrap();
        fs::write(r.join(".gitignore"), "target/\n*.log\n").unwrap();
        fs::write(r.join("src/main.rs"), "").unwrap();
        fs::write(r.join("src/deep/deeper/x.rs"), "").unwrap();
        fs::write(r.join("debug.log"), "").unwrap();
        fs::write(r.join(".env"), "").unwrap();
        fs::write(r.join("naïve file.md"), "").unwrap();
        dir
    }

    #[tokio::test]
    async fn lists_a_gitignore_aware_tree() {
        let dir = tree();
        let out = call(dir.path(), json!({})).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            out.text,
            ".env\n.gitignore\nnaïve file.md\nsrc/\n  deep/\n  main.rs"
        );
        let out = call(dir.path(), json!({"path": "src", "depth": 1})).await;
        assert_eq!(out.text, "deep/\nmain.rs");
        let out = call(dir.path(), json!({"path": "src", "depth": 5})).await;
        assert_eq!(out.text, "deep/\n  deeper/\n    x.rs\nmain.rs");
    }

    #[tokio::test]
    async fn caps_entries() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..(MAX_ENTRIES + 10) {
            fs::write(dir.path().join(format!("f{i:04}")), "").unwrap();
        }
        let out = call(dir.path(), json!({"depth": 1})).await;
        assert_eq!(out.text.lines().count(), MAX_ENTRIES + 1);
        assert!(out.text.contains("capped at 500"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn shows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        let out = call(dir.path(), json!({})).await;
        assert_eq!(out.text, "etc -> /etc");
    }

    #[tokio::test]
    async fn errors_are_actionable() {
        let dir = tree();
        let out = call(dir.path(), json!({"path": "src/main.rs"})).await;
        assert!(!out.ok && out.text.contains("read_file"), "{}", out.text);
        let out = call(dir.path(), json!({"path": "nope"})).await;
        assert!(!out.ok && out.text.contains("not found"), "{}", out.text);
        let out = call(dir.path(), json!({"depth": "two"})).await;
        assert!(!out.ok && out.text.contains("Expected"), "{}", out.text);
    }
}
