//! The workspace file list behind `@` completion, and fuzzy matching over it.
//!
//! [`FileIndex::build`] walks the workspace on a background thread with the
//! same gitignore-aware walker the tools use, so the popup offers exactly
//! the files an agent can see; the index is usable (with partial results)
//! while the walk is still running. Matching scores every path with
//! nucleo-matcher on each keystroke and keeps only the best few, which stays
//! within a few milliseconds for 100,000 paths (see `benches/composer.rs`).

use std::cell::RefCell;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, RwLock};

use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};

use crate::tools::list::walk_builder;

/// Paths kept at most: beyond this a workspace is a data dump rather than a
/// code base, and matching time and memory stay bounded.
pub const MAX_FILES: usize = 200_000;

/// Candidates the fast first pass of [`FileIndex::search`] keeps for exact
/// re-scoring.
pub const CANDIDATES: usize = 64;

/// Paths the walker hands over at once (fewer lock round-trips).
const BATCH: usize = 1024;

thread_local! {
    /// One matcher per thread that searches (its scratch space is ~100 KB,
    /// worth reusing across keystrokes).
    static MATCHER: RefCell<Matcher> = RefCell::new(Matcher::new(Config::DEFAULT.match_paths()));
}

#[derive(Default)]
struct Inner {
    /// Paths relative to the root, `/`-separated; directories end in `/`.
    paths: RwLock<Vec<Box<str>>>,
    ready: AtomicBool,
}

/// The files and directories of a workspace, for `@` completion. Cheap to
/// clone (one shared list), so both panes can use the same index.
#[derive(Clone, Default)]
pub struct FileIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FileIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileIndex")
            .field("len", &self.len())
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// One completion candidate: a path and where the query matched in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMatch {
    /// Relative, `/`-separated; directories end in `/`.
    pub path: String,
    /// Character indices of matched characters, sorted, for highlighting.
    pub indices: Vec<u32>,
}

impl FileIndex {
    /// Starts walking `root` on a background thread (gitignore-aware, `.git`
    /// skipped, at most [`MAX_FILES`] entries) and returns at once; the walk
    /// stops early when every clone of the index is dropped.
    pub fn build(root: &Path) -> FileIndex {
        let index = FileIndex::default();
        let shared = index.inner.clone();
        let root = root.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("file-index".into())
            .spawn(move || walk(&root, &shared));
        if let Err(e) = spawned {
            tracing::warn!("cannot index files for @ completion: {e}");
            index.inner.ready.store(true, AtomicOrdering::Release);
        }
        index
    }

    /// An index over a given list (already complete): for tests, benchmarks
    /// and callers that have the list from elsewhere.
    pub fn from_paths<I, S>(paths: I) -> FileIndex
    where
        I: IntoIterator<Item = S>,
        S: Into<Box<str>>,
    {
        let index = FileIndex::default();
        *index.inner.paths.write().unwrap_or_else(|e| e.into_inner()) =
            paths.into_iter().map(Into::into).collect();
        index.inner.ready.store(true, AtomicOrdering::Release);
        index
    }

    /// Whether the walk has finished (results are complete).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(AtomicOrdering::Acquire)
    }

    /// Paths indexed so far.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no path is indexed (yet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Box<str>>> {
        self.inner.paths.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The best `limit` paths for `query` (fuzzy, smart case: a lowercase
    /// query matches any case; an ASCII query also matches accented
    /// letters), best first; ties go to the shorter path, so an empty query
    /// lists the top of the tree.
    ///
    /// Two passes keep this fast on large trees: a linear greedy match over
    /// every path keeps the best `CANDIDATES`, then nucleo's optimal
    /// matcher re-scores those and finds the characters to highlight.
    pub fn search(&self, query: &str, limit: usize) -> Vec<FileMatch> {
        if limit == 0 {
            return Vec::new();
        }
        let ignore_case = !query.chars().any(nucleo_matcher::chars::is_upper_case);
        let needle = Utf32String::from(query);
        let paths = self.read();
        MATCHER.with_borrow_mut(|matcher| {
            matcher.config.ignore_case = ignore_case;
            matcher.config.normalize = query.is_ascii();
            let mut buf = Vec::new();
            let mut first = TopK::new(CANDIDATES.max(limit));
            for (i, path) in paths.iter().enumerate() {
                let haystack = Utf32Str::new(path, &mut buf);
                if let Some(score) = matcher.fuzzy_match_greedy(haystack, needle.slice(..)) {
                    first.offer(score, i, &paths);
                }
            }
            let mut second = TopK::new(limit);
            let mut indices = Vec::new();
            for &(_, i) in &first.best {
                let haystack = Utf32Str::new(&paths[i], &mut buf);
                if let Some(score) = matcher.fuzzy_match(haystack, needle.slice(..)) {
                    second.offer(score, i, &paths);
                }
            }
            second
                .best
                .into_iter()
                .map(|(_, i)| {
                    indices.clear();
                    let haystack = Utf32Str::new(&paths[i], &mut buf);
                    matcher.fuzzy_indices(haystack, needle.slice(..), &mut indices);
                    indices.sort_unstable();
                    indices.dedup();
                    FileMatch {
                        path: paths[i].to_string(),
                        indices: indices.clone(),
                    }
                })
                .collect()
        })
    }
}

/// The best `k` (score, path index) pairs seen so far, best first: higher
/// score, then shorter path, then name order.
struct TopK {
    k: usize,
    best: Vec<(u16, usize)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            best: Vec::with_capacity(k + 1),
        }
    }

    fn offer(&mut self, score: u16, index: usize, paths: &[Box<str>]) {
        let order = |a: &(u16, usize), b: &(u16, usize)| -> Ordering {
            b.0.cmp(&a.0)
                .then_with(|| paths[a.1].len().cmp(&paths[b.1].len()))
                .then_with(|| paths[a.1].cmp(&paths[b.1]))
        };
        let candidate = (score, index);
        if self.best.len() == self.k
            && self
                .best
                .last()
                .is_none_or(|worst| order(&candidate, worst) != Ordering::Less)
        {
            return;
        }
        let at = self
            .best
            .binary_search_by(|probe| order(probe, &candidate))
            .unwrap_or_else(|at| at);
        self.best.insert(at, candidate);
        self.best.truncate(self.k);
    }
}

/// Walks `root` into `shared`, in batches, until done, capped, or orphaned.
fn walk(root: &PathBuf, shared: &Arc<Inner>) {
    let mut batch: Vec<Box<str>> = Vec::with_capacity(BATCH);
    let mut total = 0;
    let flush = |batch: &mut Vec<Box<str>>| {
        shared
            .paths
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .append(batch);
    };
    for entry in walk_builder(root, None).build() {
        let Ok(entry) = entry else { continue };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let mut path = rel.to_string_lossy().replace('\\', "/");
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            path.push('/');
        }
        batch.push(path.into_boxed_str());
        total += 1;
        if batch.len() == BATCH {
            flush(&mut batch);
            if Arc::strong_count(shared) == 1 {
                return;
            }
        }
        if total >= MAX_FILES {
            break;
        }
    }
    flush(&mut batch);
    shared.ready.store(true, AtomicOrdering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(index: &FileIndex) {
        let start = std::time::Instant::now();
        while !index.is_ready() {
            assert!(start.elapsed().as_secs() < 10, "index never finished");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn walks_gitignore_aware_and_marks_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/tui")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        std::fs::write(root.join("src/tui/composer.rs"), "").unwrap();
        std::fs::write(root.join("target/junk.o"), "").unwrap();
        std::fs::write(root.join(".git/HEAD"), "").unwrap();
        let index = FileIndex::build(root);
        wait(&index);
        let mut all: Vec<String> = index.search("", 100).into_iter().map(|m| m.path).collect();
        all.sort();
        assert_eq!(
            all,
            [".gitignore", "src/", "src/tui/", "src/tui/composer.rs"]
        );
    }

    #[test]
    fn ranks_by_score_then_length() {
        let index = FileIndex::from_paths([
            "docs/composer-notes.md",
            "src/tui/composer/mod.rs",
            "src/tui/comp.rs",
            "README.md",
        ]);
        let found = index.search("comp", 2);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "src/tui/comp.rs");
        assert_eq!(found[0].indices, [8, 9, 10, 11]);
        assert!(index.search("zzz", 8).is_empty());
        // Smart case: an upper-case query only matches upper case.
        assert_eq!(index.search("READ", 8).len(), 1);
        assert_eq!(index.search("Comp", 8).len(), 0);
    }
}
