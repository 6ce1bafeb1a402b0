//! Checkpoints of the work tree in a shadow git repository.
//!
//! The shadow repository lives at `<state>/shadow/<hash of workspace>.git`
//! and is used with the workspace as its work tree, so git's own machinery
//! does the hard parts: `.gitignore` files, the index's stat cache (a
//! checkpoint of a large, barely changed tree costs a few stat calls per
//! file), content-addressed storage shared between checkpoints, and rename
//! detection. The user's repository (if any) is never opened: its `.git` is
//! excluded like any ignored path, and only its `info/exclude` is read.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::WorkspaceError;
use super::git::{Git, is_commit_id, is_inner, path_from_bytes};

/// The ref holding the newest checkpoint; older ones are its ancestors.
const REF: &str = "refs/tandem/checkpoints";

/// The file inside a shadow repository naming its workspace (the
/// canonical path, raw bytes), so `tandem gc` can tell which repositories
/// belong to workspaces that no longer exist.
const WORKSPACE_RECORD: &str = "tandem-workspace";

/// Settings of a checkpoint repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointOptions {
    /// Files larger than this are not recorded (build outputs, datasets and
    /// binaries would bloat the shadow repository and slow every checkpoint);
    /// they are reported in [`Checkpoint::skipped`].
    pub max_file_bytes: u64,
}

impl Default for CheckpointOptions {
    /// 1 MiB: larger than nearly any hand-written source file.
    fn default() -> Self {
        Self {
            max_file_bytes: 1024 * 1024,
        }
    }
}

/// Who a checkpoint was taken for, stored in its commit message so the
/// history can be listed without a separate index.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckpointLabel {
    /// The pane whose turn ended (`chat`, `run`), or empty for the user.
    pub pane: String,
    /// The turn number within that pane.
    pub turn: u32,
    /// A free-form note (the turn's prompt, "before rewind", ...).
    pub note: String,
}

/// How a path differs between two checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// The path did not exist before.
    Added,
    /// The contents (or file type) changed.
    Modified,
    /// The path no longer exists.
    Deleted,
    /// The file moved from `from` (git's similarity detection, `-M`).
    Renamed {
        /// The old path, relative to the workspace root.
        from: PathBuf,
    },
}

/// One changed path, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedPath {
    /// The path after the change (the new path of a rename).
    pub path: PathBuf,
    /// What happened to it.
    pub status: ChangeStatus,
}

/// The result of taking a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The checkpoint's commit hash. When nothing changed this is the
    /// previous checkpoint (no empty commit is made).
    pub id: String,
    /// The checkpoint before it; when nothing changed, the same as `id`.
    pub parent: Option<String>,
    /// What changed since `parent` (everything recorded, for the first one).
    pub changed: Vec<ChangedPath>,
    /// Files left out because they exceed `max_file_bytes`, and nested git
    /// repositories (their history is their own), relative to the workspace
    /// root; the checkpoint keeps the last recorded version of such a file.
    pub skipped: Vec<PathBuf>,
}

/// One entry of the checkpoint history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The commit hash.
    pub id: String,
    /// The previous checkpoint, `None` for the first.
    pub parent: Option<String>,
    /// Who it was taken for.
    pub label: CheckpointLabel,
    /// When, in seconds since the Unix epoch.
    pub time: i64,
}

/// The newest checkpoint, cached so a checkpoint needs no extra lookup.
#[derive(Debug, Clone)]
struct Head {
    commit: String,
    tree: String,
}

#[derive(Debug, Default)]
struct State {
    head: Option<Head>,
    /// The exclude file last written, to skip rewriting an unchanged one.
    exclude: Option<Vec<u8>>,
}

/// The checkpoint history of one workspace. Shared between panes (`Arc`);
/// checkpoints are serialised by an internal lock.
#[derive(Debug)]
pub struct Checkpoints {
    git: Git,
    opts: CheckpointOptions,
    state: Mutex<State>,
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`, which may change between
/// Rust releases) so a workspace keeps its shadow repository across builds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Checkpoints {
    /// Opens (creating on first use) the shadow repository of `workspace`
    /// under `state_dir/shadow/`.
    pub fn open(
        state_dir: &Path,
        workspace: &Path,
        opts: CheckpointOptions,
    ) -> Result<Self, WorkspaceError> {
        use std::os::unix::ffi::OsStrExt;
        let workspace = workspace
            .canonicalize()
            .map_err(|e| WorkspaceError::io("opening workspace", workspace, e))?;
        let hash = fnv1a(workspace.as_os_str().as_bytes());
        let shadow = Self::shadows_dir(state_dir).join(format!("{hash:016x}.git"));
        let git = Git {
            shadow: shadow.clone(),
            workspace: workspace.clone(),
        };
        let fresh = !shadow.join("HEAD").exists();
        if fresh {
            std::fs::create_dir_all(&shadow)
                .map_err(|e| WorkspaceError::io("creating", &shadow, e))?;
            git.init()?;
            // Appended to the config file rather than set with six `git
            // config` runs: a first start pays one git process, not seven.
            // (Git allows a section to appear twice.)
            let settings = "[core]\n\tuntrackedCache = true\n\tfsmonitor = false\n\tautocrlf = false\n\tsymlinks = true\n[index]\n\tversion = 4\n[gc]\n\tauto = 0\n";
            let config = shadow.join("config");
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&config)
                .map_err(|e| WorkspaceError::io("opening", &config, e))?;
            std::io::Write::write_all(&mut file, settings.as_bytes())
                .map_err(|e| WorkspaceError::io("writing", &config, e))?;
            std::fs::write(
                shadow.join(WORKSPACE_RECORD),
                workspace.as_os_str().as_bytes(),
            )
            .map_err(|e| WorkspaceError::io("writing", &shadow, e))?;
        } else if std::fs::symlink_metadata(shadow.join(WORKSPACE_RECORD)).is_err() {
            // A repository made before the record existed learns its
            // workspace now; without it gc only reports the repository.
            let record = shadow.join(WORKSPACE_RECORD);
            if let Err(e) = std::fs::write(&record, workspace.as_os_str().as_bytes()) {
                tracing::warn!(path = %record.display(), error = %e, "cannot record the workspace");
            }
        }
        let head = if fresh {
            None
        } else {
            let out = git.line(&["for-each-ref", "--format=%(objectname) %(tree)", REF])?;
            out.split_once(' ').map(|(commit, tree)| Head {
                commit: commit.to_string(),
                tree: tree.to_string(),
            })
        };
        Ok(Self {
            git,
            opts,
            state: Mutex::new(State {
                head,
                exclude: None,
            }),
        })
    }

    /// Where the shadow repositories of `state_dir` live, one
    /// `<hash>.git` per workspace.
    pub fn shadows_dir(state_dir: &Path) -> PathBuf {
        state_dir.join("shadow")
    }

    /// The workspace a shadow repository was made for, as recorded in it;
    /// `None` for a repository made before the record existed (or when the
    /// record is not a plain file: a symbolic link is not followed).
    pub fn recorded_workspace(shadow: &Path) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let record = shadow.join(WORKSPACE_RECORD);
        if !std::fs::symlink_metadata(&record).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let bytes = std::fs::read(&record).ok()?;
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(bytes.trim_ascii_end()));
        path.is_absolute().then_some(path)
    }

    /// Packs the shadow repository of `workspace` (`git gc`, with the same
    /// isolated git as every checkpoint), so its many small objects take
    /// less room. Every ref and the index are kept, so no checkpoint is
    /// lost; unreferenced objects younger than an hour are kept too, so a
    /// tandem checkpointing the workspace at the same time loses nothing.
    pub fn compact_repository(shadow: &Path, workspace: &Path) -> Result<(), WorkspaceError> {
        let git = Git {
            shadow: shadow.to_path_buf(),
            workspace: workspace.to_path_buf(),
        };
        git.run(&["gc", "--quiet", "--prune=1.hour.ago"], None)
            .map(drop)
    }

    /// The shadow repository (shown in error messages and `doctor`).
    pub fn shadow_dir(&self) -> &Path {
        &self.git.shadow
    }

    /// The workspace root (canonical).
    pub fn workspace(&self) -> &Path {
        &self.git.workspace
    }

    /// Tandem's own state directory (`<state>`, holding this shadow
    /// repository, logs and the usage ledger) relative to the workspace,
    /// with a trailing `/`, when it lies inside the workspace (e.g.
    /// `TANDEM_HOME` set to a project directory). It is never part of a
    /// checkpoint or a review: its files change on their own.
    pub fn private_dir(&self) -> Option<String> {
        let state = self.git.shadow.parent()?.parent()?;
        let rel = state.strip_prefix(&self.git.workspace).ok()?;
        let rel = rel.to_str()?;
        (!rel.is_empty()).then(|| format!("{rel}/"))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the work tree as a new checkpoint and reports what changed
    /// since the previous one. Makes no commit when nothing changed.
    pub fn checkpoint(&self, label: &CheckpointLabel) -> Result<Checkpoint, WorkspaceError> {
        let mut state = self.lock();
        self.write_excludes(&mut state)?;
        let skipped = self.left_out()?;
        let mut pathspecs: Vec<u8> = b".\0".to_vec();
        for path in &skipped {
            use std::os::unix::ffi::OsStrExt;
            pathspecs.extend_from_slice(b":(exclude,literal)");
            pathspecs.extend_from_slice(path.as_os_str().as_bytes());
            pathspecs.push(0);
        }
        self.git.run(
            &["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            Some(&pathspecs),
        )?;
        let tree = self.git.line(&["write-tree"])?;
        let parent = state.head.as_ref().map(|h| h.commit.clone());
        if let Some(head) = &state.head
            && head.tree == tree
        {
            return Ok(Checkpoint {
                id: head.commit.clone(),
                parent,
                changed: Vec::new(),
                skipped,
            });
        }
        let mut args = vec!["commit-tree".to_string(), tree.clone()];
        if let Some(p) = &parent {
            args.push("-p".into());
            args.push(p.clone());
        }
        let id = self
            .git
            .run(&args, Some(message(label).as_bytes()))
            .map(|out| String::from_utf8_lossy(&out).trim().to_string())?;
        let mut args = vec!["update-ref", REF, &id];
        if let Some(p) = &parent {
            args.push(p);
        }
        self.git.run(&args, None)?;
        state.head = Some(Head {
            commit: id.clone(),
            tree,
        });
        drop(state);
        let changed = self.diff(parent.as_deref(), &id)?;
        Ok(Checkpoint {
            id,
            parent,
            changed,
            skipped,
        })
    }

    /// Writes the shadow repository's `info/exclude`: `.git/`, the user
    /// repository's `info/exclude` (patterns the user keeps out of their own
    /// history belong out of ours too) and the workspace's `.tandemignore`.
    fn write_excludes(&self, state: &mut State) -> Result<(), WorkspaceError> {
        let mut rules = b".git\n".to_vec();
        if let Some(private) = self.private_dir() {
            rules.extend_from_slice(format!("/{private}\n").as_bytes());
        }
        for source in [
            self.git.workspace.join(".git/info/exclude"),
            self.git.workspace.join(".tandemignore"),
        ] {
            if let Ok(bytes) = std::fs::read(&source) {
                rules.extend_from_slice(&bytes);
                rules.push(b'\n');
            }
        }
        if state.exclude.as_ref() == Some(&rules) {
            return Ok(());
        }
        let info = self.git.shadow.join("info");
        std::fs::create_dir_all(&info).map_err(|e| WorkspaceError::io("creating", &info, e))?;
        let file = info.join("exclude");
        if std::fs::read(&file).ok().as_ref() != Some(&rules) {
            crate::tools::atomic::write_atomic(&file, &rules)
                .map_err(|e| WorkspaceError::io("writing", &file, std::io::Error::other(e)))?;
        }
        state.exclude = Some(rules);
        Ok(())
    }

    /// What `git add` must leave out: files it would add (untracked or
    /// modified, not ignored) larger than `max_file_bytes`, and nested git
    /// repositories (listed by git as `dir/`; adding one would record a
    /// gitlink, or fail outright when it has no commit yet). Files git
    /// already knows unchanged are not listed and cost nothing here.
    fn left_out(&self) -> Result<Vec<PathBuf>, WorkspaceError> {
        let out = self.git.run(
            &[
                "ls-files",
                "-z",
                "--others",
                "--modified",
                "--exclude-standard",
            ],
            None,
        )?;
        let mut skipped: Vec<PathBuf> = out
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(path_from_bytes)
            .filter(|p| {
                use std::os::unix::ffi::OsStrExt;
                p.as_os_str().as_bytes().ends_with(b"/")
                    || std::fs::symlink_metadata(self.git.workspace.join(p))
                        .is_ok_and(|m| m.is_file() && m.len() > self.opts.max_file_bytes)
            })
            .collect();
        skipped.sort();
        skipped.dedup();
        Ok(skipped)
    }

    /// The checkpoint history, newest first.
    pub fn list(&self) -> Result<Vec<CheckpointInfo>, WorkspaceError> {
        if self.lock().head.is_none() {
            return Ok(Vec::new());
        }
        let out = self
            .git
            .run(&["log", "-z", "--format=%H%x00%P%x00%ct%x00%B", REF], None)?;
        let fields: Vec<&[u8]> = out.split(|&b| b == 0).collect();
        Ok(fields
            .chunks_exact(4)
            .map(|f| {
                let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
                let parent = text(f[1]);
                CheckpointInfo {
                    id: text(f[0]),
                    parent: (!parent.is_empty()).then_some(parent),
                    time: text(f[2]).parse().unwrap_or(0),
                    label: parse_label(&text(f[3])),
                }
            })
            .collect())
    }

    /// What changed from checkpoint `a` to checkpoint `b`.
    pub fn changes_between(&self, a: &str, b: &str) -> Result<Vec<ChangedPath>, WorkspaceError> {
        check_id(a)?;
        self.diff(Some(a), b)
    }

    fn diff(&self, a: Option<&str>, b: &str) -> Result<Vec<ChangedPath>, WorkspaceError> {
        check_id(b)?;
        let mut args = vec!["diff-tree", "-r", "-z", "--name-status", "-M"];
        match a {
            Some(a) => args.extend([a, b]),
            None => args.extend(["--root", "--no-commit-id", b]),
        }
        let out = self.git.run(&args, None)?;
        Ok(parse_name_status(&out))
    }

    /// The contents of `path` (relative to the workspace, or absolute inside
    /// it) in checkpoint `id`; `None` when it did not exist there.
    pub fn file_at(&self, id: &str, path: &Path) -> Result<Option<Vec<u8>>, WorkspaceError> {
        check_id(id)?;
        let rel = self.relative(path)?;
        let mut spec = std::ffi::OsString::from(format!("{id}:"));
        spec.push(rel.as_os_str());
        let kind = self.git.output(
            &[std::ffi::OsStr::new("cat-file"), "-t".as_ref(), &spec],
            None,
        )?;
        if !kind.status.success() {
            let exists = self
                .git
                .output(&["cat-file", "-e", &format!("{id}^{{commit}}")], None)?;
            return if exists.status.success() {
                Ok(None)
            } else {
                Err(WorkspaceError::BadId(id.to_string()))
            };
        }
        if kind.stdout.trim_ascii() != b"blob" {
            return Ok(None);
        }
        let blob = self.git.run(
            &[std::ffi::OsStr::new("cat-file"), "blob".as_ref(), &spec],
            None,
        )?;
        Ok(Some(blob))
    }

    /// Puts `paths` back as they were in checkpoint `id`: each file is
    /// rewritten atomically (an executable gets its execute bits back, a
    /// symbolic link is recreated as one), and a path that did not exist
    /// then is removed.
    pub fn restore(&self, id: &str, paths: &[PathBuf]) -> Result<(), WorkspaceError> {
        use std::os::unix::fs::PermissionsExt;
        for path in paths {
            let rel = self.relative(path)?;
            let target = self.git.workspace.join(&rel);
            let Some(bytes) = self.file_at(id, &rel)? else {
                match std::fs::symlink_metadata(&target) {
                    Ok(m) if !m.is_dir() => std::fs::remove_file(&target)
                        .map_err(|e| WorkspaceError::io("removing", &target, e))?,
                    _ => {}
                }
                continue;
            };
            let mode = self.mode_at(id, &rel)?;
            if mode.as_deref() == Some("120000") {
                restore_symlink(&target, &bytes)?;
                continue;
            }
            if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
                std::fs::remove_file(&target)
                    .map_err(|e| WorkspaceError::io("removing", &target, e))?;
            }
            crate::tools::atomic::write_atomic(&target, &bytes)
                .map_err(|e| WorkspaceError::io("restoring", &target, std::io::Error::other(e)))?;
            if mode.as_deref() == Some("100755") {
                let meta = std::fs::metadata(&target)
                    .map_err(|e| WorkspaceError::io("reading", &target, e))?;
                let bits = meta.permissions().mode();
                // Execute wherever read is allowed, like git checkout.
                let exec = (bits & 0o444) >> 2;
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits | exec))
                    .map_err(|e| WorkspaceError::io("setting permissions of", &target, e))?;
            }
        }
        Ok(())
    }

    /// The git mode (`100644`, `100755`, `120000`) of `rel` in checkpoint
    /// `id`, read from its directory's listing (no pathspec, so any name is
    /// matched exactly). The review reads it for the old side's mode in
    /// plain mode, so a `chmod +x` shows there as in git mode.
    pub(crate) fn mode_at(&self, id: &str, rel: &Path) -> Result<Option<String>, WorkspaceError> {
        use std::os::unix::ffi::OsStrExt;
        let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
            return Ok(None);
        };
        let mut spec = std::ffi::OsString::from(format!("{id}:"));
        spec.push(parent.as_os_str());
        let out = self.git.run(
            &[std::ffi::OsStr::new("ls-tree"), "-z".as_ref(), &spec],
            None,
        )?;
        Ok(out.split(|&b| b == 0).find_map(|entry| {
            let (meta, entry_name) = entry.split_at(entry.iter().position(|&b| b == b'\t')?);
            (&entry_name[1..] == name.as_bytes()).then(|| {
                let meta = String::from_utf8_lossy(meta);
                meta.split(' ').next().unwrap_or("").to_string()
            })
        }))
    }

    /// `path` relative to the workspace root, refusing anything outside it.
    fn relative(&self, path: &Path) -> Result<PathBuf, WorkspaceError> {
        let rel = if path.is_absolute() {
            path.strip_prefix(&self.git.workspace)
                .map_err(|_| WorkspaceError::OutsideWorkspace(path.to_path_buf()))?
        } else {
            path
        };
        if is_inner(rel) {
            Ok(rel.to_path_buf())
        } else {
            Err(WorkspaceError::OutsideWorkspace(path.to_path_buf()))
        }
    }
}

impl Git {
    /// `git init --bare` of the shadow dir (no work tree may be set for it).
    fn init(&self) -> Result<(), WorkspaceError> {
        let bare = Git {
            shadow: self.shadow.clone(),
            workspace: self.shadow.clone(),
        };
        bare.run_without_worktree(&["init", "--bare", "-q"])
    }
}

/// Replaces `target` by a symbolic link to `dest`, atomically: the link is
/// made under a temporary name in the same directory and renamed over it.
fn restore_symlink(target: &Path, dest: &[u8]) -> Result<(), WorkspaceError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io("creating", dir, e))?;
    let tmp = dir.join(format!(".tandem-restore-{}", fastrand::u64(..)));
    std::os::unix::fs::symlink(path_from_bytes(dest), &tmp)
        .map_err(|e| WorkspaceError::io("creating link", &tmp, e))?;
    std::fs::rename(&tmp, target).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        WorkspaceError::io("restoring link", target, e)
    })
}

fn check_id(id: &str) -> Result<(), WorkspaceError> {
    if is_commit_id(id) {
        Ok(())
    } else {
        Err(WorkspaceError::BadId(id.to_string()))
    }
}

/// The commit message: a readable summary line, then the label as JSON on
/// the last line (what [`parse_label`] reads back).
fn message(label: &CheckpointLabel) -> String {
    let note = label.note.lines().next().unwrap_or("");
    let json = serde_json::to_string(label).expect("a label serialises");
    format!("{} turn {}: {note}\n\n{json}\n", label.pane, label.turn)
}

fn parse_label(message: &str) -> CheckpointLabel {
    message
        .lines()
        .next_back()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| CheckpointLabel {
            note: message.to_string(),
            ..CheckpointLabel::default()
        })
}

/// Parses `diff-tree -z --name-status` output: `S\0path\0`, or
/// `Rnn\0old\0new\0` for renames.
fn parse_name_status(out: &[u8]) -> Vec<ChangedPath> {
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    let mut changed = Vec::new();
    while let Some(status) = fields.next() {
        let Some(path) = fields.next().map(path_from_bytes) else {
            break;
        };
        let entry = match status.first() {
            Some(b'A') => ChangedPath {
                path,
                status: ChangeStatus::Added,
            },
            Some(b'D') => ChangedPath {
                path,
                status: ChangeStatus::Deleted,
            },
            Some(b'R') | Some(b'C') => {
                let Some(new) = fields.next().map(path_from_bytes) else {
                    break;
                };
                ChangedPath {
                    path: new,
                    status: ChangeStatus::Renamed { from: path },
                }
            }
            _ => ChangedPath {
                path,
                status: ChangeStatus::Modified,
            },
        };
        changed.push(entry);
    }
    changed
}
