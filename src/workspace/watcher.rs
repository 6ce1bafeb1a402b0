//! The file watcher behind the [`super::Tracker`]: turns the workspace's
//! file-system events into the few signals the tracker acts on.
//!
//! Most events are noise for the tracker: reads (git opens files while it
//! checkpoints, which would otherwise retrigger checkpoints forever), the
//! user's `.git` internals, the tracker's own state dir and gitignored build
//! output. [`Filter`] drops those cheaply on the watcher's thread so a busy
//! build does not flood the tracker with messages.

use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecursiveMode, Watcher as _};

/// What a file-system event means for the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Signal {
    /// Workspace files changed: a checkpoint is due once things are quiet.
    Changed,
    /// The user's git index or HEAD changed: the review should re-read it,
    /// but the work tree is the same.
    GitState,
    /// The watcher stopped seeing (part of) the workspace; the text says why
    /// and how to fix it.
    Unavailable(String),
}

/// A running recursive watch of the workspace; dropping it stops the
/// watcher's thread.
pub(super) struct FsWatcher {
    _inner: notify::RecommendedWatcher,
}

impl FsWatcher {
    /// Watches `root` recursively, calling `emit` (on the watcher's thread)
    /// for every event that matters. `state` is the tracker's state dir,
    /// whose events are ignored when it lies inside the workspace. The error
    /// names the cause and the fix.
    pub(super) fn start(
        root: &Path,
        state: Option<PathBuf>,
        mut emit: impl FnMut(Signal) + Send + 'static,
    ) -> Result<Self, String> {
        let mut filter = Filter::new(root, state);
        let shown = root.to_path_buf();
        let mut limit_reported = false;
        let handler = move |event: notify::Result<Event>| match event {
            Ok(event) => {
                for signal in filter.classify(&event) {
                    emit(signal);
                }
            }
            Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                if !limit_reported {
                    limit_reported = true;
                    emit(Signal::Unavailable(unavailable(&shown, &e)));
                }
            }
            Err(e) => tracing::debug!("file watcher: {e}"),
        };
        let mut inner = notify::recommended_watcher(handler).map_err(|e| unavailable(root, &e))?;
        inner
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| unavailable(root, &e))?;
        Ok(Self { _inner: inner })
    }
}

/// Why watching failed and what to do about it.
fn unavailable(root: &Path, e: &notify::Error) -> String {
    format!(
        "watching {} for changes failed ({e}); changes are picked up only when a turn ends. \
         If the inotify limits were reached, raise them (e.g. `sudo sysctl \
         fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512`, kept in \
         /etc/sysctl.d/) and restart",
        root.display()
    )
}

/// Decides which events matter; owned by the watcher's thread.
pub(super) struct Filter {
    root: PathBuf,
    state: Option<PathBuf>,
    ignore: Gitignore,
}

/// Files whose change alters what [`Filter`] ignores.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".tandemignore", ".git/info/exclude"];

impl Filter {
    /// A filter for the workspace `root` (canonical). `state` is ignored
    /// when it lies inside `root`.
    pub(super) fn new(root: &Path, state: Option<PathBuf>) -> Self {
        let state = state
            .map(|s| s.canonicalize().unwrap_or(s))
            .filter(|s| s.starts_with(root) && s != root);
        Self {
            root: root.to_path_buf(),
            state,
            ignore: load_ignore(root),
        }
    }

    /// The signals `event` produces (each at most once).
    pub(super) fn classify(&mut self, event: &Event) -> Vec<Signal> {
        if let EventKind::Access(kind) = event.kind
            && kind != AccessKind::Close(AccessMode::Write)
        {
            return Vec::new();
        }
        if event.need_rescan() || event.paths.is_empty() {
            return vec![Signal::Changed];
        }
        let reload = event.paths.iter().any(|p| {
            p.strip_prefix(&self.root)
                .is_ok_and(|rel| IGNORE_FILES.iter().any(|f| rel == Path::new(f)))
        });
        if reload {
            self.ignore = load_ignore(&self.root);
        }
        let mut out = Vec::new();
        for path in &event.paths {
            if let Some(signal) = self.classify_path(path)
                && !out.contains(&signal)
            {
                out.push(signal);
            }
        }
        out
    }

    /// What a change of `path` means: nothing for paths outside the
    /// workspace, in the state dir, in a `.git` directory (except the
    /// workspace's index and HEAD) or gitignored.
    pub(super) fn classify_path(&self, path: &Path) -> Option<Signal> {
        let rel = path.strip_prefix(&self.root).ok()?;
        if rel.as_os_str().is_empty() {
            return None;
        }
        if self.state.as_ref().is_some_and(|s| path.starts_with(s)) {
            return None;
        }
        if rel
            .components()
            .any(|c| c == Component::Normal(".git".as_ref()))
        {
            let git_state = rel == Path::new(".git/index") || rel == Path::new(".git/HEAD");
            return git_state.then_some(Signal::GitState);
        }
        if self
            .ignore
            .matched_path_or_any_parents(rel, false)
            .is_ignore()
        {
            return None;
        }
        Some(Signal::Changed)
    }
}

/// The workspace's top-level ignore rules (nested `.gitignore` files are
/// left to git: a missed filter only costs a cheap checkpoint).
fn load_ignore(root: &Path) -> Gitignore {
    let mut builder = GitignoreBuilder::new(root);
    for file in IGNORE_FILES {
        // A missing or unreadable file just contributes no rules.
        let _ = builder.add(root.join(file));
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}
