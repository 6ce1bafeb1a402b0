//! The user's own git, as the review uses it: read commands that take no
//! optional locks, and the two index writes an accept needs (`hash-object`
//! and `update-index --index-info`). Paths cross the process boundary with
//! `-z` and `:(literal)` pathspecs so any file name survives.
//!
//! Unlike the shadow repository's runner, the user's configuration applies
//! (it is their repository), but variables that would point the commands at
//! another repository (`GIT_DIR`, `GIT_INDEX_FILE`, ... set by a hook that
//! started Tandem) are removed: the repository is the one holding the
//! workspace.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::super::WorkspaceError;
use super::super::git::path_from_bytes;
use super::super::user_git::{command, failure, run};

/// An index entry: its git mode and blob id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    /// `0o100644`, `0o100755` or `0o120000`.
    pub mode: u32,
    /// The blob's object id.
    pub oid: String,
}

/// One line of `git diff --raw`: a path whose index and work-tree versions
/// differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawChange {
    /// Repository-relative path bytes.
    pub path: Vec<u8>,
    /// The index side; `None` when the path is not in the index.
    pub index: Option<IndexEntry>,
    /// The work-tree mode as git sees it (`core.fileMode` applied); 0 when
    /// the file is gone.
    pub worktree_mode: u32,
}

/// A blob read by [`UserGit::read_blobs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blob {
    /// The content.
    Bytes(Vec<u8>),
    /// Larger than the limit; not read.
    TooBig,
    /// The object does not exist.
    Missing,
}

/// The user's repository that holds the workspace.
#[derive(Debug, Clone)]
pub(crate) struct UserGit {
    /// The top-level directory (where every command runs).
    pub root: PathBuf,
    /// The workspace relative to `root`, with a trailing `/` (empty when the
    /// workspace is the top level).
    pub prefix: Vec<u8>,
}

/// `:(literal)<path>`: a pathspec that matches `path` exactly, whatever
/// characters it holds.
fn literal(path: &[u8]) -> std::ffi::OsString {
    let mut spec = b":(literal)".to_vec();
    spec.extend_from_slice(path);
    std::ffi::OsString::from(OsStr::from_bytes(&spec))
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Parses an octal git mode (`100644`).
fn parse_mode(text: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(text).ok()?, 8).ok()
}

/// An all-zero object id means "no object" in raw diff output.
fn is_null_oid(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
}

impl UserGit {
    /// The repository holding `workspace`, or `None` when it is not inside a
    /// git work tree (or git is not installed): the review is plain then.
    pub(crate) fn detect(workspace: &Path) -> Option<Self> {
        let line = |arg: &str| -> Option<Vec<u8>> {
            let out = command(workspace, &["rev-parse", arg]).output().ok()?;
            if !out.status.success() {
                return None;
            }
            let mut text = out.stdout;
            if text.last() == Some(&b'\n') {
                text.pop();
            }
            Some(text)
        };
        if line("--is-inside-work-tree")? != b"true" {
            return None;
        }
        let root = path_from_bytes(&line("--show-toplevel")?);
        let prefix = line("--show-prefix")?;
        if !root.is_absolute() {
            return None;
        }
        Some(Self { root, prefix })
    }

    /// Runs a command at the repository root.
    fn run(&self, args: &[&OsStr], input: Option<&[u8]>) -> Result<Vec<u8>, WorkspaceError> {
        run(&self.root, args, input)
    }

    /// The pathspec of the whole workspace.
    fn workspace_spec(&self) -> std::ffi::OsString {
        if self.prefix.is_empty() {
            ".".into()
        } else {
            literal(&self.prefix)
        }
    }

    /// The repository-relative path of a workspace-relative one.
    pub(crate) fn full_path(&self, rel: &str) -> Vec<u8> {
        let mut full = self.prefix.clone();
        full.extend_from_slice(rel.as_bytes());
        full
    }

    /// The workspace-relative path of a repository-relative one, when it is
    /// inside the workspace and valid UTF-8 (other names are left out of
    /// the review: the rest of it still works).
    pub(crate) fn workspace_path(&self, full: &[u8]) -> Option<String> {
        let rel = full.strip_prefix(self.prefix.as_slice())?;
        String::from_utf8(rel.to_vec())
            .ok()
            .filter(|r| !r.is_empty())
    }

    /// The files of the workspace whose work-tree version differs from the
    /// index (`git diff --raw`, no renames). Unmerged paths and submodules
    /// are left out: they are resolved with git itself.
    pub(crate) fn changed(&self) -> Result<Vec<RawChange>, WorkspaceError> {
        let spec = self.workspace_spec();
        let out = self.run(
            &[
                os("diff"),
                os("--raw"),
                os("-z"),
                os("--no-renames"),
                os("--no-abbrev"),
                os("--no-color"),
                os("--no-ext-diff"),
                os("--ignore-submodules"),
                os("--"),
                &spec,
            ],
            None,
        )?;
        let mut fields = out.split(|&b| b == 0);
        let mut changes = Vec::new();
        while let Some(header) = fields.next() {
            if header.is_empty() {
                continue;
            }
            let Some(path) = fields.next() else { break };
            let parts: Vec<&[u8]> = header
                .strip_prefix(b":")
                .unwrap_or(header)
                .split(|&b| b == b' ')
                .collect();
            let [old_mode, new_mode, old_oid, _new_oid, status] = parts[..] else {
                continue;
            };
            let (Some(old_mode), Some(new_mode)) = (parse_mode(old_mode), parse_mode(new_mode))
            else {
                continue;
            };
            let status = status.first().copied().unwrap_or(b'?');
            if status == b'U' || old_mode == 0o160000 || new_mode == 0o160000 {
                continue;
            }
            let old_oid = String::from_utf8_lossy(old_oid).into_owned();
            let index = (old_mode != 0 && !is_null_oid(&old_oid)).then_some(IndexEntry {
                mode: old_mode,
                oid: old_oid,
            });
            changes.push(RawChange {
                path: path.to_vec(),
                index,
                worktree_mode: new_mode,
            });
        }
        Ok(changes)
    }

    /// Untracked files of the workspace that are not ignored
    /// (repository-relative). Nested repositories are left out.
    pub(crate) fn untracked(&self) -> Result<Vec<Vec<u8>>, WorkspaceError> {
        let spec = self.workspace_spec();
        let out = self.run(
            &[
                os("ls-files"),
                os("-z"),
                os("--others"),
                os("--exclude-standard"),
                os("--"),
                &spec,
            ],
            None,
        )?;
        Ok(out
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty() && !p.ends_with(b"/"))
            .map(<[u8]>::to_vec)
            .collect())
    }

    /// The stage-0 index entries of `paths` (repository-relative), by path.
    /// A path in a merge conflict is reported as an error: the user resolves
    /// it with git first.
    pub(crate) fn index_entries(
        &self,
        paths: &[Vec<u8>],
    ) -> Result<std::collections::HashMap<Vec<u8>, IndexEntry>, WorkspaceError> {
        let mut entries = std::collections::HashMap::new();
        // Bounded batches keep the command line well under the OS limit.
        for batch in paths.chunks(500) {
            let specs: Vec<std::ffi::OsString> = batch.iter().map(|p| literal(p)).collect();
            let mut args: Vec<&OsStr> = vec![os("ls-files"), os("-s"), os("-z"), os("--")];
            args.extend(specs.iter().map(|s| s.as_os_str()));
            let out = self.run(&args, None)?;
            for record in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
                let Some(tab) = record.iter().position(|&b| b == b'\t') else {
                    continue;
                };
                let (meta, path) = (&record[..tab], &record[tab + 1..]);
                if !batch.iter().any(|p| p.as_slice() == path) {
                    // A file below a requested directory.
                    continue;
                }
                let parts: Vec<&[u8]> = meta.split(|&b| b == b' ').collect();
                let [mode, oid, stage] = parts[..] else {
                    continue;
                };
                if stage != b"0" {
                    return Err(failure(
                        &self.root,
                        &[os("ls-files")],
                        &format!(
                            "{} is in a merge conflict; resolve it with git first",
                            String::from_utf8_lossy(path)
                        ),
                    ));
                }
                if let Some(mode) = parse_mode(mode) {
                    entries.insert(
                        path.to_vec(),
                        IndexEntry {
                            mode,
                            oid: String::from_utf8_lossy(oid).into_owned(),
                        },
                    );
                }
            }
        }
        Ok(entries)
    }

    /// Reads blobs by id with one `git cat-file --batch` process; blobs
    /// larger than `limit` bytes are skipped over, not kept.
    pub(crate) fn read_blobs(
        &self,
        oids: &[String],
        limit: u64,
    ) -> Result<Vec<Blob>, WorkspaceError> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        let args = [os("cat-file"), os("--batch")];
        let mut child = command(&self.root, &args)
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(WorkspaceError::GitMissing)?;
        let mut input = String::new();
        for oid in oids {
            // Ids come from git itself, but a newline must never split one
            // request into two.
            input.push_str(&oid.replace(['\n', '\r'], ""));
            input.push('\n');
        }
        let writer = child.stdin.take().map(|mut stdin| {
            std::thread::spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            })
        });
        let Some(stdout) = child.stdout.take() else {
            return Err(failure(&self.root, &args, "no output"));
        };
        let mut reader = BufReader::new(stdout);
        let result = read_batch(&mut reader, oids.len(), limit);
        drop(reader);
        if let Some(w) = writer {
            let _ = w.join();
        }
        let _ = child.wait();
        result.map_err(|e| failure(&self.root, &args, &e.to_string()))
    }

    /// Stores `bytes` as a blob exactly as given (no filters) and returns
    /// its id.
    pub(crate) fn hash_object(&self, bytes: &[u8]) -> Result<String, WorkspaceError> {
        let out = self.run(
            &[
                os("hash-object"),
                os("-w"),
                os("--no-filters"),
                os("--stdin"),
            ],
            Some(bytes),
        )?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// Sets the index entry of `path` (repository-relative), or removes it
    /// for `None`: the only write to the user's repository.
    pub(crate) fn set_index(
        &self,
        path: &[u8],
        entry: Option<&IndexEntry>,
    ) -> Result<(), WorkspaceError> {
        self.set_index_entries(&[(path, entry)])
    }

    /// Sets (or, for `None`, removes) several index entries with one
    /// `git update-index`, which writes the index once: a rename is staged
    /// whole or not at all.
    pub(crate) fn set_index_entries(
        &self,
        entries: &[(&[u8], Option<&IndexEntry>)],
    ) -> Result<(), WorkspaceError> {
        let mut records = Vec::new();
        for (path, entry) in entries {
            records.extend(match entry {
                Some(e) => format!("{:o} {}\t", e.mode, e.oid).into_bytes(),
                // Mode 0 removes the path.
                None => format!("0 {}\t", "0".repeat(40)).into_bytes(),
            });
            records.extend_from_slice(path);
            records.push(0);
        }
        self.run(
            &[os("update-index"), os("-z"), os("--index-info")],
            Some(&records),
        )?;
        Ok(())
    }
}

/// Reads `count` responses of `cat-file --batch`.
fn read_batch(reader: &mut impl BufRead, count: usize, limit: u64) -> std::io::Result<Vec<Blob>> {
    let mut blobs = Vec::with_capacity(count);
    for _ in 0..count {
        let mut header = Vec::new();
        if reader.read_until(b'\n', &mut header)? == 0 {
            return Err(std::io::Error::other("cat-file stopped early"));
        }
        let header = String::from_utf8_lossy(&header).trim().to_string();
        let parts: Vec<&str> = header.split(' ').collect();
        let [_, _, size] = parts[..] else {
            blobs.push(Blob::Missing);
            continue;
        };
        let size: u64 = size
            .parse()
            .map_err(|_| std::io::Error::other(format!("bad cat-file header {header:?}")))?;
        let blob = if size > limit {
            std::io::copy(&mut reader.by_ref().take(size), &mut std::io::sink())?;
            Blob::TooBig
        } else {
            let mut bytes = Vec::with_capacity(size as usize);
            reader.by_ref().take(size).read_to_end(&mut bytes)?;
            if bytes.len() as u64 != size {
                return Err(std::io::Error::other("cat-file output cut short"));
            }
            Blob::Bytes(bytes)
        };
        let mut lf = [0u8; 1];
        reader.read_exact(&mut lf)?;
        blobs.push(blob);
    }
    Ok(blobs)
}
