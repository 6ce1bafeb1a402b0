//! The `glob` tool: find files by name pattern, newest first.
//!
//! Also home of [`PathGlob`], the glob semantics `grep`'s file filter
//! shares, so one pattern means the same thing in both tools.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures_util::future::BoxFuture;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::list::walk_builder;
use super::paths::{display, resolve_for_read};
use super::{ReadFilter, Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// Paths returned by one call.
pub const MAX_RESULTS: usize = 200;

const SHAPE: &str = r#"{"pattern": string, "path"?: string}"#;

/// A glob over paths relative to a search root.
///
/// `*`, `?` and `[..]` never cross `/`; `**` does; `{a,b}` alternates. A
/// pattern without `/` matches the file name at any depth (like
/// `.gitignore` and `rg -g`), so `*.rs` finds every Rust file; a pattern
/// with `/` matches the whole relative path (`src/**/*.rs`).
#[derive(Debug, Clone)]
pub struct PathGlob {
    matcher: GlobMatcher,
    basename_only: bool,
}

impl PathGlob {
    /// Compiles `pattern`; a leading `./` or `/` anchors at the root and is dropped.
    pub fn new(pattern: &str) -> Result<Self, globset::Error> {
        let trimmed = pattern.trim();
        let anchored = trimmed.starts_with("./") || trimmed.starts_with('/');
        let pattern = trimmed.trim_start_matches("./").trim_start_matches('/');
        let glob = GlobBuilder::new(pattern).literal_separator(true).build()?;
        Ok(Self {
            matcher: glob.compile_matcher(),
            basename_only: !anchored && !pattern.contains('/'),
        })
    }

    /// Whether `rel` (relative to the search root) matches.
    pub fn is_match(&self, rel: &Path) -> bool {
        if self.basename_only {
            rel.file_name().is_some_and(|n| self.matcher.is_match(n))
        } else {
            self.matcher.is_match(rel)
        }
    }
}

/// The `glob` tool.
pub struct Glob;

#[derive(Deserialize)]
struct Args {
    pattern: String,
    path: Option<String>,
}

impl Tool for Glob {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "glob".into(),
            description: format!(
                "Find files whose path matches a glob pattern, most recently modified first. \
                 `*` and `?` stay within one path segment, `**` spans directories, `{{a,b}}` \
                 alternates. A pattern without `/` matches file names at any depth (`*.rs`, \
                 `Cargo.toml`); a pattern with `/` matches the path relative to `path` \
                 (`src/**/*.rs`, `tests/*_test.go`). Gitignored files and .git are skipped. \
                 Returns at most {MAX_RESULTS} paths relative to the workspace. Use grep to search \
                 file contents."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Glob pattern, e.g. `*.rs` or `src/**/mod.rs`."},
                    "path": {"type": "string", "description": "Directory to search, relative to the workspace root or absolute. Default: the workspace root."}
                },
                "required": ["pattern"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn summary(&self, input: &Value) -> String {
        let pattern = input.get("pattern").and_then(Value::as_str).unwrap_or("?");
        match input.get("path").and_then(Value::as_str) {
            Some(path) => format!("{pattern} in {path}"),
            None => pattern.to_string(),
        }
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "glob", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let root = match resolve_for_read(&ctx.workspace, args.path.as_deref().unwrap_or(".")) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            // An absolute pattern under the root is made relative to it.
            let root_prefix = format!("{}/", root.display());
            let pattern = args
                .pattern
                .strip_prefix(&root_prefix)
                .unwrap_or(&args.pattern);
            let glob = match PathGlob::new(pattern) {
                Ok(g) => g,
                Err(e) => {
                    return ToolOutput::err(format!(
                        "invalid glob pattern `{}`: {e}",
                        args.pattern
                    ));
                }
            };
            if !root.is_dir() {
                return ToolOutput::err(format!(
                    "{} is not a directory; give the directory to search as `path`",
                    display(&ctx.workspace, &root)
                ));
            }
            let workspace = ctx.workspace.clone();
            let cancel = ctx.cancel.clone();
            let hidden = ctx.hidden.clone();
            tokio::task::spawn_blocking(move || find(&workspace, &root, &glob, &cancel, hidden))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("glob failed: {e}")))
        })
    }
}

fn find(
    workspace: &Path,
    root: &Path,
    glob: &PathGlob,
    cancel: &CancellationToken,
    hidden: Option<ReadFilter>,
) -> ToolOutput {
    let mut hits: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in walk_builder(root, hidden).build() {
        if cancel.is_cancelled() {
            return ToolOutput::err("glob was cancelled");
        }
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_none_or(|t| t.is_dir()) {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        if glob.is_match(rel) {
            let mtime = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            hits.push((mtime, entry.into_path()));
        }
    }
    if hits.is_empty() {
        return ToolOutput::ok(format!(
            "No files match under {}.",
            display(workspace, root)
        ));
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total = hits.len();
    let mut text: String = hits
        .iter()
        .take(MAX_RESULTS)
        .map(|(_, p)| display(workspace, p))
        .collect::<Vec<_>>()
        .join("\n");
    if total > MAX_RESULTS {
        text.push_str(&format!(
            "\n[{total} files match; showing the {MAX_RESULTS} most recently modified. Narrow the pattern or the path.]"
        ));
    }
    ToolOutput::ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::time::Duration;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        Glob.run(input, &ToolContext::new(ws.to_path_buf())).await
    }

    fn touch(path: &Path, age_secs: u64) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = fs::File::create(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(age_secs))
            .unwrap();
    }

    #[test]
    fn glob_semantics() {
        let g = PathGlob::new("*.rs").unwrap();
        assert!(g.is_match(Path::new("a.rs")));
        assert!(g.is_match(Path::new("src/deep/a.rs")));
        let g = PathGlob::new("src/*.rs").unwrap();
        assert!(g.is_match(Path::new("src/a.rs")));
        assert!(!g.is_match(Path::new("src/deep/a.rs")));
        let g = PathGlob::new("src/**/*.{rs,toml}").unwrap();
        assert!(g.is_match(Path::new("src/deep/a.toml")));
        assert!(g.is_match(Path::new("src/a.rs")));
        let g = PathGlob::new("./*.rs").unwrap();
        assert!(g.is_match(Path::new("a.rs")));
        assert!(!g.is_match(Path::new("src/a.rs")));
        assert!(PathGlob::new("a[").is_err());
    }

    #[tokio::test]
    async fn newest_first_and_gitignore_aware() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::write(r.join(".gitignore"), "target/\n").unwrap();
        touch(&r.join("src/old.rs"), 300);
        touch(&r.join("src/new.rs"), 10);
        touch(&r.join("src/ü dir/mid file.rs"), 100);
        touch(&r.join("target/gen.rs"), 1);
        touch(&r.join("README.md"), 1);
        let out = call(r, json!({"pattern": "*.rs"})).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(out.text, "src/new.rs\nsrc/ü dir/mid file.rs\nsrc/old.rs");
        let out = call(r, json!({"pattern": "*.rs", "path": "src/ü dir"})).await;
        assert_eq!(out.text, "src/ü dir/mid file.rs");
        let out = call(r, json!({"pattern": "*.py"})).await;
        assert!(
            out.ok && out.text.starts_with("No files match"),
            "{}",
            out.text
        );
        let abs = format!("{}/src/*.rs", r.display());
        let out = call(r, json!({"pattern": abs})).await;
        assert_eq!(out.text.lines().count(), 2, "{}", out.text);
    }

    #[tokio::test]
    async fn caps_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..(MAX_RESULTS + 5) {
            fs::write(dir.path().join(format!("{i}.txt")), "").unwrap();
        }
        let out = call(dir.path(), json!({"pattern": "*.txt"})).await;
        assert_eq!(out.text.lines().count(), MAX_RESULTS + 1);
        assert!(out.text.contains("205 files match"), "{}", out.text);
        let out = call(dir.path(), json!({"pattern": "a[b"})).await;
        assert!(!out.ok && out.text.contains("invalid glob"), "{}", out.text);
        let out = call(dir.path(), json!({"pattern": 3})).await;
        assert!(!out.ok && out.text.contains("Expected"), "{}", out.text);
        let out = call(dir.path(), json!({"pattern": "*", "path": "0.txt"})).await;
        assert!(
            !out.ok && out.text.contains("not a directory"),
            "{}",
            out.text
        );
    }
}
