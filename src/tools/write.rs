//! The `write_file` tool: create or overwrite a whole file, atomically.

use std::path::Path;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use super::atomic::write_atomic;
use super::paths::{display, resolve_for_write};
use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

const SHAPE: &str = r#"{"path": string, "content": string}"#;

/// The `write_file` tool.
pub struct WriteFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    content: String,
}

impl Tool for WriteFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_file".into(),
            description: "Create a file, or replace the whole content of an existing one, with \
                          `content` exactly as given (include the final newline). Missing parent \
                          directories are created; an existing file keeps its permissions. Only \
                          paths inside the workspace can be written. To change part of an existing \
                          file prefer edit_file or apply_patch: they are cheaper and cannot drop \
                          unrelated code."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the workspace root or absolute (inside the workspace)."},
                    "content": {"type": "string", "description": "The complete new content of the file."}
                },
                "required": ["path", "content"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Edit
    }

    fn summary(&self, input: &Value) -> String {
        let path = input.get("path").and_then(Value::as_str).unwrap_or("?");
        match input.get("content").and_then(Value::as_str) {
            Some(c) => format!("{path} ({} lines)", line_count(c)),
            None => path.to_string(),
        }
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "write_file", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let path = match resolve_for_write(&ctx.workspace, &args.path) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            let shown = display(&ctx.workspace, &path);
            tokio::task::spawn_blocking(move || write(&path, &shown, &args.content))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("write_file failed: {e}")))
        })
    }
}

fn write(path: &Path, shown: &str, content: &str) -> ToolOutput {
    let existed = path.exists();
    if let Err(e) = write_atomic(path, content.as_bytes()) {
        return ToolOutput::err(e.to_string());
    }
    let verb = if existed { "Overwrote" } else { "Created" };
    ToolOutput {
        changed: vec![path.to_path_buf()],
        ..ToolOutput::ok(format!(
            "{verb} {shown} ({} lines, {} bytes)",
            line_count(content),
            content.len()
        ))
    }
}

/// Lines of `text` as an editor counts them (a final line without newline counts).
pub(crate) fn line_count(text: &str) -> usize {
    text.lines().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        WriteFile
            .run(input, &ToolContext::new(ws.to_path_buf()))
            .await
    }

    #[tokio::test]
    async fn creates_then_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        let out = call(&ws, json!({"path": "new dir/ñ.txt", "content": "a\nb\n"})).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(out.text, "Created new dir/ñ.txt (2 lines, 4 bytes)");
        assert_eq!(out.changed, vec![ws.join("new dir/ñ.txt")]);
        let out = call(&ws, json!({"path": "new dir/ñ.txt", "content": "c"})).await;
        assert_eq!(out.text, "Overwrote new dir/ñ.txt (1 lines, 1 bytes)");
        assert_eq!(fs::read_to_string(ws.join("new dir/ñ.txt")).unwrap(), "c");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn keeps_mode_and_refuses_escapes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        fs::write(ws.join("run.sh"), "x").unwrap();
        fs::set_permissions(ws.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        let out = call(&ws, json!({"path": "run.sh", "content": "y"})).await;
        assert!(out.ok);
        let mode = fs::metadata(ws.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);

        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.join("out")).unwrap();
        let out = call(&ws, json!({"path": "out/evil.txt", "content": "x"})).await;
        assert!(
            !out.ok && out.text.contains("limited to the workspace"),
            "{}",
            out.text
        );
        assert!(!outside.path().join("evil.txt").exists());
        let out = call(&ws, json!({"path": "../evil.txt", "content": "x"})).await;
        assert!(!out.ok);
    }

    #[tokio::test]
    async fn errors() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        let out = call(dir.path(), json!({"path": "d", "content": "x"})).await;
        assert!(
            !out.ok && out.text.contains("is a directory"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"path": "f"})).await;
        assert!(
            !out.ok && out.text.contains("missing field `content`"),
            "{}",
            out.text
        );
    }
}
