//! The `apply_patch` tool: multi-file edits in the `*** Begin Patch` grammar.
//!
//! All or nothing: every file's new content is computed in memory first
//! (operations on the same file compose in order); only when every hunk
//! applies are files written, each atomically, deletions last. If a write
//! still fails, the files already written are restored.

pub mod apply;
pub mod parse;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use self::apply::apply_hunks;
use self::parse::{FileOp, parse};
use super::atomic::write_atomic;
use super::paths::{display, resolve_for_write};
use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

const SHAPE: &str = r#"{"patch": string}"#;

const DESCRIPTION: &str = "\
Edit files with a patch: create, delete, rename and change several files in one call. \
The patch is applied all or nothing: if any hunk does not match, no file is changed. Format:

*** Begin Patch
*** Add File: path/new.rs
+every line of the new file, prefixed with +
*** Delete File: path/old.rs
*** Update File: path/lib.rs
*** Move to: path/renamed.rs      (optional, to rename)
@@ fn the_function_containing_the_change() {
 unchanged context line (prefix: one space)
-line to remove
+line to add
 unchanged context line
@@
 another hunk further down
-old
+new
*** End Patch

Rules: paths are relative to the workspace. Hunks are found by content, not line numbers: \
give about 3 lines of unchanged context before and after each change, copied exactly. \
An `@@` line may name a line to search first (a function or class header) when the context \
alone is ambiguous. Hunks of one file must be in file order. Put `*** End of File` after a \
hunk that must match at the end of the file.";

/// The `apply_patch` tool.
pub struct ApplyPatch;

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "input")]
    patch: String,
}

impl Tool for ApplyPatch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "apply_patch".into(),
            description: DESCRIPTION.into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "patch": {"type": "string", "description": "The whole patch, from `*** Begin Patch` to `*** End Patch`."}
                },
                "required": ["patch"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Edit
    }

    fn summary(&self, input: &Value) -> String {
        let text = input
            .get("patch")
            .or_else(|| input.get("input"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let files: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim_end();
                [
                    ("*** Add File: ", "A"),
                    ("*** Delete File: ", "D"),
                    ("*** Update File: ", "M"),
                ]
                .iter()
                .find_map(|(p, tag)| l.strip_prefix(p).map(|f| format!("{tag} {}", f.trim())))
            })
            .collect();
        if files.is_empty() {
            "patch".into()
        } else {
            files.join(", ")
        }
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        let text = input
            .get("patch")
            .or_else(|| input.get("input"))
            .and_then(Value::as_str)
            .unwrap_or("");
        // Every file the patch names, including rename targets; read from the
        // header lines so even a patch that will not parse is judged by the
        // files it names.
        text.lines()
            .filter_map(|l| {
                let l = l.trim();
                [
                    "*** Add File: ",
                    "*** Delete File: ",
                    "*** Update File: ",
                    "*** Move to: ",
                ]
                .iter()
                .find_map(|p| l.strip_prefix(p))
            })
            .map(|f| super::paths::rule_target(workspace, f.trim()))
            .collect()
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match crate::tools::parse_args(input, "apply_patch", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let workspace = ctx.workspace.clone();
            tokio::task::spawn_blocking(move || apply_patch(&workspace, &args.patch))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("apply_patch failed: {e}")))
        })
    }
}

/// The on-disk and in-memory state of one file the patch touches.
struct Staged {
    /// Content before the patch (`None`: did not exist).
    original: Option<Vec<u8>>,
    /// Content after the operations so far (`None`: deleted / absent).
    current: Option<Vec<u8>>,
    /// Permissions to give the file when written (a moved file keeps its mode).
    permissions: Option<fs::Permissions>,
}

/// Files touched by the patch, keyed by resolved path.
#[derive(Default)]
struct Stage {
    files: BTreeMap<PathBuf, Staged>,
}

impl Stage {
    fn load(&mut self, path: &Path, shown: &str) -> Result<&mut Staged, String> {
        if !self.files.contains_key(path) {
            let original = match fs::read(path) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) if path.is_dir() => {
                    return Err(format!("{shown} is a directory, not a file"));
                }
                Err(e) => return Err(format!("cannot read {shown}: {e}")),
            };
            self.files.insert(
                path.to_path_buf(),
                Staged {
                    current: original.clone(),
                    original,
                    permissions: None,
                },
            );
        }
        Ok(self.files.get_mut(path).expect("inserted above"))
    }
}

/// Parses, stages and commits `text`; the whole tool minus argument parsing.
fn apply_patch(workspace: &Path, text: &str) -> ToolOutput {
    let patch = match parse(text) {
        Ok(p) => p,
        Err(e) => {
            return ToolOutput::err(format!(
                "invalid patch, {e}. No file was changed. See the apply_patch description for the format."
            ));
        }
    };
    let mut stage = Stage::default();
    let mut summary = Vec::new();
    for op in &patch.ops {
        if let Err(e) = stage_op(workspace, &mut stage, op, &mut summary) {
            return ToolOutput::err(format!("{e}\nNo file was changed."));
        }
    }
    match commit(workspace, &stage) {
        Ok(changed) => ToolOutput {
            changed,
            ..ToolOutput::ok(format!("Applied patch:\n{}", summary.join("\n")))
        },
        Err(e) => ToolOutput::err(e),
    }
}

fn resolve(workspace: &Path, raw: &str) -> Result<(PathBuf, String), String> {
    let path = resolve_for_write(workspace, raw).map_err(|e| e.to_string())?;
    let shown = display(workspace, &path);
    Ok((path, shown))
}

fn stage_op(
    workspace: &Path,
    stage: &mut Stage,
    op: &FileOp,
    summary: &mut Vec<String>,
) -> Result<(), String> {
    match op {
        FileOp::Add { path, content } => {
            let (path, shown) = resolve(workspace, path)?;
            let file = stage.load(&path, &shown)?;
            let note = if file.current.is_some() {
                " (replaced the existing file)"
            } else {
                ""
            };
            file.current = Some(content.clone().into_bytes());
            summary.push(format!("A {shown}{note}"));
        }
        FileOp::Delete { path } => {
            let (path, shown) = resolve(workspace, path)?;
            let file = stage.load(&path, &shown)?;
            if file.current.take().is_none() {
                return Err(format!("Delete File: {shown} does not exist"));
            }
            summary.push(format!("D {shown}"));
        }
        FileOp::Update {
            path,
            move_to,
            hunks,
        } => {
            let (src, shown) = resolve(workspace, path)?;
            let file = stage.load(&src, &shown)?;
            let Some(bytes) = &file.current else {
                return Err(format!(
                    "Update File: {shown} does not exist; use `*** Add File: {path}` to create it"
                ));
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Err(format!("Update File: {shown} is not a UTF-8 text file"));
            };
            let updated = apply_hunks(text, hunks)
                .map_err(|e| format!("Update File: {shown}: {e}"))?
                .into_bytes();
            match move_to {
                Some(dest) => {
                    let (dest, dest_shown) = resolve(workspace, dest)?;
                    if dest == src {
                        file.current = Some(updated);
                        summary.push(format!("M {shown}"));
                        return Ok(());
                    }
                    file.current = None;
                    let permissions = fs::metadata(&src).ok().map(|m| m.permissions());
                    let target = stage.load(&dest, &dest_shown)?;
                    if target.current.is_some() {
                        return Err(format!(
                            "Move to: {dest_shown} already exists; delete it first or choose another name"
                        ));
                    }
                    target.current = Some(updated);
                    target.permissions = permissions;
                    summary.push(format!("R {shown} -> {dest_shown}"));
                }
                None => {
                    file.current = Some(updated);
                    summary.push(format!("M {shown}"));
                }
            }
        }
    }
    Ok(())
}

/// Writes every changed file, then removes deleted ones. On failure,
/// restores what was already done and says so.
fn commit(workspace: &Path, stage: &Stage) -> Result<Vec<PathBuf>, String> {
    let writes = stage.files.iter().filter_map(|(p, f)| match &f.current {
        Some(new) if f.original.as_ref() != Some(new) => Some((p, new, f)),
        _ => None,
    });
    let deletes = stage
        .files
        .iter()
        .filter(|(_, f)| f.current.is_none() && f.original.is_some());

    let mut done: Vec<&PathBuf> = Vec::new();
    let mut failure = None;
    for (path, new, file) in writes {
        let result = write_atomic(path, new)
            .map_err(|e| e.to_string())
            .and_then(|()| match &file.permissions {
                Some(p) => fs::set_permissions(path, p.clone()).map_err(|e| e.to_string()),
                None => Ok(()),
            });
        done.push(path);
        if let Err(e) = result {
            failure = Some(e);
            break;
        }
    }
    if failure.is_none() {
        for (path, _) in deletes {
            if let Err(e) = fs::remove_file(path) {
                failure = Some(format!(
                    "could not delete {}: {e}",
                    display(workspace, path)
                ));
                break;
            }
            done.push(path);
        }
    }
    let Some(failure) = failure else {
        return Ok(stage
            .files
            .iter()
            .filter(|(_, f)| f.current != f.original)
            .map(|(p, _)| p.clone())
            .collect());
    };

    let mut unrestored = Vec::new();
    for path in done {
        let file = &stage.files[path];
        let restored = match &file.original {
            Some(bytes) => write_atomic(path, bytes).is_ok(),
            None => fs::remove_file(path).is_ok() || !path.exists(),
        };
        if !restored {
            unrestored.push(display(workspace, path));
        }
    }
    if unrestored.is_empty() {
        Err(format!(
            "{failure}. The patch was rolled back; no file was changed."
        ))
    } else {
        Err(format!(
            "{failure}. Rolling back failed for {}; check those files.",
            unrestored.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        (dir, root)
    }

    async fn call(ws: &Path, patch: &str) -> ToolOutput {
        ApplyPatch
            .run(
                json!({ "patch": patch }),
                &ToolContext::new(ws.to_path_buf()),
            )
            .await
    }

    fn read(ws: &Path, p: &str) -> String {
        fs::read_to_string(ws.join(p)).unwrap()
    }

    #[tokio::test]
    async fn add_update_delete_move() {
        let (_d, ws) = ws();
        fs::write(
            ws.join("main.rs"),
            "fn main() {\n    println!(\"hi\");\n}\n",
        )
        .unwrap();
        fs::write(ws.join("old.txt"), "bye\n").unwrap();
        fs::write(ws.join("a b.txt"), "one\ntwo\n").unwrap();
        let patch = "*** Begin Patch
*** Add File: src/ünï code.rs
+pub fn x() {}
*** Update File: main.rs
@@ fn main() {
-    println!(\"hi\");
+    println!(\"hello\");
 }
*** Delete File: old.txt
*** Update File: a b.txt
*** Move to: moved/c d.txt
@@
 one
-two
+three
*** End Patch";
        let out = call(&ws, patch).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            out.text,
            "Applied patch:\nA src/ünï code.rs\nM main.rs\nD old.txt\nR a b.txt -> moved/c d.txt"
        );
        assert_eq!(read(&ws, "src/ünï code.rs"), "pub fn x() {}\n");
        assert_eq!(
            read(&ws, "main.rs"),
            "fn main() {\n    println!(\"hello\");\n}\n"
        );
        assert!(!ws.join("old.txt").exists());
        assert!(!ws.join("a b.txt").exists());
        assert_eq!(read(&ws, "moved/c d.txt"), "one\nthree\n");
        let mut changed = out.changed.clone();
        changed.sort();
        let mut expected: Vec<PathBuf> = [
            "a b.txt",
            "main.rs",
            "moved/c d.txt",
            "old.txt",
            "src/ünï code.rs",
        ]
        .iter()
        .map(|p| ws.join(p))
        .collect();
        expected.sort();
        assert_eq!(changed, expected);
    }

    #[tokio::test]
    async fn failure_leaves_every_file_untouched() {
        let (_d, ws) = ws();
        fs::write(ws.join("a.txt"), "a1\na2\n").unwrap();
        fs::write(ws.join("b.txt"), "b1\nb2\n").unwrap();
        let patch = "*** Begin Patch
*** Update File: a.txt
-a1
+A1
*** Add File: c.txt
+new
*** Delete File: a.txt
*** Add File: a.txt
+recreated
*** Update File: b.txt
@@
 b1
-nope
+B2
*** End Patch";
        let out = call(&ws, patch).await;
        assert!(!out.ok);
        assert!(
            out.text
                .contains("Update File: b.txt: hunk 1 (patch line 11)"),
            "{}",
            out.text
        );
        assert!(out.text.contains("    b1\n    nope"), "{}", out.text);
        assert!(out.text.contains("No file was changed"), "{}", out.text);
        assert_eq!(read(&ws, "a.txt"), "a1\na2\n");
        assert_eq!(read(&ws, "b.txt"), "b1\nb2\n");
        assert!(!ws.join("c.txt").exists());
        assert!(out.changed.is_empty());
    }

    #[tokio::test]
    async fn operations_on_one_file_compose() {
        let (_d, ws) = ws();
        let patch = "*** Begin Patch
*** Add File: n.txt
+1
+2
*** Update File: n.txt
@@
 1
-2
+two
*** End Patch";
        let out = call(&ws, patch).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(read(&ws, "n.txt"), "1\ntwo\n");
    }

    #[tokio::test]
    async fn refuses_bad_targets() {
        let (_d, ws) = ws();
        fs::write(ws.join("x.txt"), "x\n").unwrap();
        fs::write(ws.join("y.txt"), "y\n").unwrap();
        let cases = [
            (
                "*** Update File: missing.txt\n@@\n-a\n+b",
                "does not exist; use `*** Add File",
            ),
            (
                "*** Delete File: missing.txt",
                "Delete File: missing.txt does not exist",
            ),
            (
                "*** Add File: ../escape.txt\n+x",
                "limited to the workspace",
            ),
            (
                "*** Update File: x.txt\n*** Move to: y.txt\n@@\n-x\n+z",
                "y.txt already exists",
            ),
            (
                "*** Update File: x.txt\n*** Move to: /tmp/out.txt\n@@\n-x\n+z",
                "limited to the workspace",
            ),
        ];
        for (body, needle) in cases {
            let out = call(&ws, &format!("*** Begin Patch\n{body}\n*** End Patch")).await;
            assert!(!out.ok, "{body}");
            assert!(out.text.contains(needle), "{body}: {}", out.text);
        }
        assert_eq!(read(&ws, "x.txt"), "x\n");
        let out = call(&ws, "*** Begin Patch\n*** Frobnicate: x\n*** End Patch").await;
        assert!(
            out.text
                .starts_with("invalid patch, line 2: expected a file header"),
            "{}",
            out.text
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn symlink_escape_and_modes() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, ws) = ws();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("t.txt"), "t\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.join("out")).unwrap();
        let out = call(
            &ws,
            "*** Begin Patch\n*** Update File: out/t.txt\n-t\n+T\n*** End Patch",
        )
        .await;
        assert!(
            !out.ok && out.text.contains("limited to the workspace"),
            "{}",
            out.text
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("t.txt")).unwrap(),
            "t\n"
        );

        fs::write(ws.join("run.sh"), "echo a\n").unwrap();
        fs::set_permissions(ws.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        let out = call(
            &ws,
            "*** Begin Patch\n*** Update File: run.sh\n-echo a\n+echo b\n*** End Patch",
        )
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            fs::metadata(ws.join("run.sh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
        let out = call(
            &ws,
            "*** Begin Patch\n*** Update File: run.sh\n*** Move to: bin/run.sh\n*** End Patch",
        )
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(read(&ws, "bin/run.sh"), "echo b\n");
        assert_eq!(
            fs::metadata(ws.join("bin/run.sh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
    }

    #[tokio::test]
    async fn crlf_heredoc_and_input_alias() {
        let (_d, ws) = ws();
        fs::write(ws.join("w.txt"), "a\r\nb\r\n").unwrap();
        let patch = "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: w.txt\n a\n-b\n+c\n*** End Patch\nEOF\n";
        let out = ApplyPatch
            .run(json!({ "input": patch }), &ToolContext::new(ws.clone()))
            .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(read(&ws, "w.txt"), "a\r\nc\r\n");
    }

    #[test]
    fn write_failure_rolls_back() {
        let (_d, ws) = ws();
        fs::write(ws.join("a.txt"), "a\n").unwrap();
        fs::write(ws.join("gone.txt"), "g\n").unwrap();
        // A regular file where a directory is needed makes the later write fail
        // (even for root) after "a.txt" was written; staging cannot see that.
        fs::write(ws.join("blocker"), "").unwrap();
        let mut stage = Stage::default();
        let entry = |original: Option<&str>, current: Option<&str>| Staged {
            original: original.map(|s| s.as_bytes().to_vec()),
            current: current.map(|s| s.as_bytes().to_vec()),
            permissions: None,
        };
        stage
            .files
            .insert(ws.join("a.txt"), entry(Some("a\n"), Some("A\n")));
        stage
            .files
            .insert(ws.join("blocker/x.txt"), entry(None, Some("x\n")));
        stage
            .files
            .insert(ws.join("gone.txt"), entry(Some("g\n"), None));
        let err = commit(&ws, &stage).unwrap_err();
        assert!(
            err.contains("blocker/x.txt") && err.contains("rolled back"),
            "{err}"
        );
        assert_eq!(read(&ws, "a.txt"), "a\n");
        assert_eq!(read(&ws, "gone.txt"), "g\n");
    }

    #[test]
    fn summary_lists_files() {
        let input = json!({"patch": "*** Begin Patch\n*** Update File: a.rs\n*** Add File: b.rs\n*** End Patch"});
        assert_eq!(ApplyPatch.summary(&input), "M a.rs, A b.rs");
    }
}
