//! The file watcher behind the [`super::Tracker`]: turns the workspace's
//! file-system events into the few signals the tracker acts on.
//!
//! Most events are noise for the tracker: reads (git opens files while it
//! checkpoints, which would otherwise retrigger checkpoints forever), the
//! user's `.git` internals, the tracker's own state dir and gitignored build
//! output. [`Filter`] drops those cheaply on the watcher's thread so a busy
//! build does not flood the tracker with messages.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::event::{AccessKind, AccessMode, ModifyKind};
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

/// A running watch of the workspace; dropping it stops the watcher's
/// threads.
///
/// Directories are watched one by one (not with notify's recursive mode):
/// the workspace and every directory in it that is not ignored, plus the
/// top `.git` directory for the index and HEAD. notify's recursive mode on
/// Linux puts an inotify watch on every directory, `target/` and
/// `node_modules/` included, which can exhaust the user's watch limit on a
/// large tree and costs a long walk at start-up for directories whose
/// events are dropped anyway. Directories created later are added as they
/// appear (by a small thread: notify's handler must not call back into the
/// watcher).
pub(super) struct FsWatcher {
    _inner: Arc<Mutex<notify::RecommendedWatcher>>,
    /// The directories watched so far (their number is logged at start;
    /// tests read it).
    watched: Arc<Mutex<HashSet<PathBuf>>>,
}

impl FsWatcher {
    /// Watches `root` and its directories, calling `emit` (on the watcher's
    /// thread) for every event that matters. `state` is the tracker's state
    /// dir, whose events are ignored when it lies inside the workspace. The
    /// error names the cause and the fix.
    pub(super) fn start(
        root: &Path,
        state: Option<PathBuf>,
        emit: impl FnMut(Signal) + Send + 'static,
    ) -> Result<Self, String> {
        let filter = Arc::new(Mutex::new(Filter::new(root, state)));
        let emit = Arc::new(Mutex::new(emit));
        let (new_dirs, new_dirs_rx) = std_mpsc::channel::<PathBuf>();
        let handler = {
            let filter = Arc::clone(&filter);
            let emit = Arc::clone(&emit);
            let shown = root.to_path_buf();
            let mut limit_reported = false;
            move |event: notify::Result<Event>| match event {
                Ok(event) => {
                    let (signals, dirs) = {
                        let mut filter = lock(&filter);
                        let reloaded = filter.reload_if_needed(&event);
                        let dirs: Vec<PathBuf> = if reloaded {
                            // The ignore rules changed: look at every
                            // directory again.
                            vec![filter.root.clone()]
                        } else {
                            created_dirs(&event)
                                .filter(|d| filter.watches_dir(d))
                                .collect()
                        };
                        (filter.classify(&event), dirs)
                    };
                    for dir in dirs {
                        let _ = new_dirs.send(dir);
                    }
                    let mut emit = lock(&emit);
                    for signal in signals {
                        emit(signal);
                    }
                }
                Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                    if !limit_reported {
                        limit_reported = true;
                        lock(&emit)(Signal::Unavailable(unavailable(&shown, &e)));
                    }
                }
                Err(e) => tracing::debug!("file watcher: {e}"),
            }
        };
        let inner = notify::recommended_watcher(handler).map_err(|e| unavailable(root, &e))?;
        let inner = Arc::new(Mutex::new(inner));
        let watched = Arc::new(Mutex::new(HashSet::new()));
        let adder = Adder {
            inner: Arc::clone(&inner),
            filter,
            watched: Arc::clone(&watched),
        };
        adder.add_tree(root).map_err(|e| unavailable(root, &e))?;
        let git = root.join(".git");
        if git.is_dir() {
            adder.add_one(&git).map_err(|e| unavailable(root, &e))?;
        }
        // Directories created later; the thread ends when the handler (and
        // so the sender) is dropped with the watcher.
        std::thread::Builder::new()
            .name("tandem-watch-dirs".into())
            .spawn(move || {
                for dir in new_dirs_rx {
                    match adder.add_tree(&dir) {
                        Ok(()) => {}
                        Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                            lock(&emit)(Signal::Unavailable(unavailable(&dir, &e)));
                            break;
                        }
                        // Gone again already, or unreadable: nothing to watch.
                        Err(e) => tracing::debug!("watching {}: {e}", dir.display()),
                    }
                }
            })
            .map_err(|e| format!("the file watcher could not start a thread ({e})"))?;
        Ok(Self {
            _inner: inner,
            watched,
        })
    }

    /// How many directories have been watched (one deleted since still
    /// counts).
    pub(super) fn watched(&self) -> usize {
        lock(&self.watched).len()
    }
}

/// Adds watches: owns what the directory walk needs.
struct Adder {
    inner: Arc<Mutex<notify::RecommendedWatcher>>,
    filter: Arc<Mutex<Filter>>,
    watched: Arc<Mutex<HashSet<PathBuf>>>,
}

impl Adder {
    /// Watches `dir` and every directory below it the filter keeps, not
    /// following symbolic links. Unreadable subdirectories are skipped.
    fn add_tree(&self, dir: &Path) -> notify::Result<()> {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            if !lock(&self.filter).watches_dir(&dir) {
                continue;
            }
            match self.add_one(&dir) {
                Ok(()) => {}
                Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => return Err(e),
                Err(_) => continue,
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
        Ok(())
    }

    fn add_one(&self, dir: &Path) -> notify::Result<()> {
        // Watched again even when seen before: a directory deleted and
        // made again lost its watch with its inode.
        lock(&self.inner).watch(dir, RecursiveMode::NonRecursive)?;
        lock(&self.watched).insert(dir.to_path_buf());
        Ok(())
    }
}

/// The directories an event says were created (or moved in).
fn created_dirs(event: &Event) -> impl Iterator<Item = PathBuf> + '_ {
    let creates = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_))
    );
    event
        .paths
        .iter()
        .filter(move |p| creates && p.is_dir())
        .cloned()
}

/// A read (git and Tandem itself open files all the time), not a change;
/// closing a file written is a change.
fn is_read(event: &Event) -> bool {
    matches!(event.kind, EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write))
}

/// Locks a mutex whose data stays consistent if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        if is_read(event) {
            return Vec::new();
        }
        if event.need_rescan() || event.paths.is_empty() {
            return vec![Signal::Changed];
        }
        self.reload_if_needed(event);
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

    /// Reads the ignore rules again when `event` touches an ignore file;
    /// returns whether it did.
    pub(super) fn reload_if_needed(&mut self, event: &Event) -> bool {
        // Reading the rules opens the files: that must not reload again.
        let reload = !is_read(event)
            && event.paths.iter().any(|p| {
                p.strip_prefix(&self.root)
                    .is_ok_and(|rel| IGNORE_FILES.iter().any(|f| rel == Path::new(f)))
            });
        if reload {
            self.ignore = load_ignore(&self.root);
        }
        reload
    }

    /// Whether directory `dir` is watched: inside the workspace (the
    /// workspace itself included), not in the state dir, not a `.git`
    /// directory or inside one (the top `.git` is watched on its own), not
    /// ignored.
    pub(super) fn watches_dir(&self, dir: &Path) -> bool {
        let Ok(rel) = dir.strip_prefix(&self.root) else {
            return false;
        };
        if rel.as_os_str().is_empty() {
            return true;
        }
        if self.state.as_ref().is_some_and(|s| dir.starts_with(s)) {
            return false;
        }
        if rel
            .components()
            .any(|c| c == Component::Normal(".git".as_ref()))
        {
            return false;
        }
        !self
            .ignore
            .matched_path_or_any_parents(rel, true)
            .is_ignore()
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    fn mkdirs(root: &Path, dirs: &[&str]) {
        for d in dirs {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
    }

    /// Waits until `f` holds, for up to 5 s.
    fn eventually(what: &str, f: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !f() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn only_kept_directories_are_watched_and_new_ones_join() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join(".gitignore"), "target/\nnode_modules/\n").unwrap();
        mkdirs(
            &root,
            &[
                "src/a",
                "target/debug/deps",
                "target/release",
                "node_modules/x/y",
                ".git/objects/ab",
                ".state/shadow",
            ],
        );
        let (tx, rx) = mpsc::channel();
        let watcher = FsWatcher::start(&root, Some(root.join(".state")), move |s| {
            let _ = tx.send(s);
        })
        .unwrap();
        // The workspace, src, src/a and the top .git: not target/,
        // node_modules/, .git/objects or the state dir.
        assert_eq!(watcher.watched(), 4);

        // A directory made later is watched too, with what is below it.
        std::fs::create_dir_all(root.join("src/new/deeper")).unwrap();
        eventually("the new directories to be watched", || {
            watcher.watched() == 6
        });
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
        std::fs::write(root.join("src/new/deeper/file.txt"), "x").unwrap();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok(Signal::Changed),
            "a file in a directory made after start-up is seen"
        );
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
        // Ignored ones stay unwatched and silent.
        std::fs::create_dir_all(root.join("target/debug/more")).unwrap();
        std::fs::write(root.join("target/debug/more/out.o"), "x").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());
        assert_eq!(watcher.watched(), 6);
        // The index still reports git state.
        std::fs::write(root.join(".git/index"), "x").unwrap();
        eventually("the index change", || {
            rx.try_iter().any(|s| s == Signal::GitState)
        });
    }

    #[test]
    fn a_directory_no_longer_ignored_is_watched_after_the_rules_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
        mkdirs(&root, &["gen/sub"]);
        let (tx, rx) = mpsc::channel();
        let watcher = FsWatcher::start(&root, None, move |s| {
            let _ = tx.send(s);
        })
        .unwrap();
        assert_eq!(watcher.watched(), 1);
        std::fs::write(root.join(".gitignore"), "").unwrap();
        eventually("gen/ and gen/sub to be watched", || watcher.watched() == 3);
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
        std::fs::write(root.join("gen/sub/made.rs"), "x").unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Signal::Changed));
    }
}
