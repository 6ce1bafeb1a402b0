//! Keeps the checkpoint history current while both panes and the user work,
//! and attributes every change to the pane, turn and tool that made it.
//!
//! One worker thread owns the checkpoint repository: sessions tell it when a
//! tool call starts and ends ([`Tracker::begin_call`], [`Tracker::end_call`])
//! and when a turn ends ([`Tracker::turn_ended`]); a file watcher tells it
//! when files change. It takes checkpoints serially (coalescing requests
//! that pile up) and publishes [`TrackerEvent`]s for the front end.
//!
//! Attribution across two concurrent panes: a changed path goes to the tool
//! call that declared it (any pane); otherwise to a call still running when
//! the change was seen (a shell command writes what it likes; the most
//! recently started running `shell` call wins, then any running call);
//! otherwise it is the user's (external).
//!
//! Precisely, each checkpoint after the baseline gives every changed path
//! (see `attribute_calls`):
//! 1. to every ended call not yet settled by a checkpoint that declared it
//!    (or, for a rename, its old path);
//! 2. else to the most recently started `shell` call that is running or
//!    ended but not yet settled (a quick command often ends before the
//!    watcher's debounce is over, and shell declares no paths), else to the
//!    most recently started running call;
//! 3. else to the user (external).
//!
//! An ended call is settled by the first checkpoint that began after it
//! ended (everything it wrote is in that checkpoint), by a checkpoint that
//! gave it a path, and by the checkpoint of its own turn's end; a settled
//! call claims nothing later, so a file it declared but left unchanged is
//! the user's when the user edits it afterwards.

use std::path::{Component, Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::watcher::{FsWatcher, Signal};
use super::{
    Attribution, ChangeLog, ChangeStatus, ChangedPath, CheckpointLabel, Checkpoints, WorkspaceError,
};

/// What the tracker reports to the front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerEvent {
    /// A checkpoint was taken. The first one of a tracker is the session's
    /// baseline (`baseline` true, no attributions: what was there before is
    /// nobody's change).
    Checkpointed {
        /// The checkpoint id (commit hash).
        id: String,
        /// This is the session's first checkpoint.
        baseline: bool,
        /// Who changed what since the previous checkpoint (may be empty).
        attributions: Vec<Attribution>,
    },
    /// Something that affects the review changed without a new checkpoint
    /// (the user's git index, e.g. `git add` in another terminal).
    Refresh,
    /// A checkpoint failed; the text says why and what to do. Tracking goes
    /// on with the next request.
    Error(String),
    /// The file watcher could not start (inotify limit, unsupported file
    /// system); the review then refreshes only at turn ends.
    WatchUnavailable(String),
}

/// Settings of a [`Tracker`].
#[derive(Debug, Clone)]
pub struct TrackerOptions {
    /// Watch the workspace for changes (off in tests that want determinism).
    pub watch: bool,
    /// Quiet time after the last file event before a checkpoint is taken.
    pub debounce: std::time::Duration,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self {
            watch: true,
            debounce: std::time::Duration::from_millis(300),
        }
    }
}

/// The shared change tracker of one workspace (one per process; both panes
/// hold an `Arc`). Dropping the last `Arc` stops the worker and the watcher.
pub struct Tracker {
    workspace: PathBuf,
    checkpoints: Arc<Checkpoints>,
    shared: Arc<Mutex<Shared>>,
    requests: std_mpsc::Sender<Msg>,
}

/// A tool call as the tracker knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    pane: String,
    turn: u32,
    tool: String,
    summary: String,
    /// Start order: larger is more recent.
    started: u64,
}

/// An ended call and the paths it declared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Touch {
    call: Call,
    paths: Vec<PathBuf>,
}

/// An ended call waiting to be settled by a checkpoint.
#[derive(Debug)]
struct Pending {
    touch: Touch,
    /// The checkpoint epoch when it ended (see [`Shared::epoch`]).
    ended_in: u64,
}

/// What the sessions' threads and the worker share.
#[derive(Debug, Default)]
struct Shared {
    running: Vec<(String, Call)>,
    pending: Vec<Pending>,
    /// Counts checkpoints begun: a call that ended in an epoch not after a
    /// checkpoint's starting epoch ended before that checkpoint began.
    epoch: u64,
    next_start: u64,
    baseline: Option<String>,
    head: Option<String>,
    attributions: Vec<Attribution>,
}

/// A request to the worker.
enum Msg {
    /// Take a checkpoint: `Some` at a turn's end, `None` for a refresh.
    Checkpoint(Option<CheckpointLabel>),
    /// Reply once every earlier request is processed.
    Flush(std_mpsc::SyncSender<()>),
    /// What the watcher saw.
    Watch(Signal),
    /// The last `Arc<Tracker>` is gone.
    Shutdown,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl Tracker {
    /// Starts the worker (and the watcher when `opts.watch`), which first
    /// takes the baseline checkpoint. Events arrive on the returned receiver.
    pub fn start(
        checkpoints: Arc<Checkpoints>,
        log: ChangeLog,
        opts: TrackerOptions,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<TrackerEvent>) {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (requests, requests_rx) = std_mpsc::channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let workspace = checkpoints.workspace().to_path_buf();
        let watch = opts.watch.then(|| requests.clone());
        let worker = Worker {
            checkpoints: Arc::clone(&checkpoints),
            log,
            shared: Arc::clone(&shared),
            events: events.clone(),
            requests: requests_rx,
            debounce: opts.debounce,
            max_wait: opts.debounce.max(MAX_WAIT),
            changed: None,
            git_state: None,
        };
        let spawned = std::thread::Builder::new()
            .name("tandem-tracker".into())
            .spawn(move || worker.run(watch));
        if let Err(e) = spawned {
            let _ = events.send(TrackerEvent::Error(format!(
                "the change tracker could not start a thread ({e}); checkpoints are off \
                 for this session: free some memory or processes and restart"
            )));
        }
        let tracker = Arc::new(Self {
            workspace,
            checkpoints,
            shared,
            requests,
        });
        (tracker, events_rx)
    }

    /// The workspace root (canonical).
    pub fn workspace(&self) -> PathBuf {
        self.workspace.clone()
    }

    /// The checkpoint repository, for the review.
    pub fn checkpoints(&self) -> Arc<Checkpoints> {
        Arc::clone(&self.checkpoints)
    }

    /// The session's baseline checkpoint, once taken.
    pub fn baseline(&self) -> Option<String> {
        lock(&self.shared).baseline.clone()
    }

    /// The newest checkpoint, once taken.
    pub fn head(&self) -> Option<String> {
        lock(&self.shared).head.clone()
    }

    /// Every attribution recorded since this tracker started, oldest first.
    pub fn attributions(&self) -> Vec<Attribution> {
        lock(&self.shared).attributions.clone()
    }

    /// A tool call of `pane`'s turn `turn` starts. `summary` is its one-line
    /// description (for `shell`, the command).
    pub fn begin_call(&self, call_id: &str, pane: &str, turn: u32, tool: &str, summary: &str) {
        let mut shared = lock(&self.shared);
        shared.next_start += 1;
        let call = Call {
            pane: pane.to_string(),
            turn,
            tool: tool.to_string(),
            summary: summary.to_string(),
            started: shared.next_start,
        };
        shared.running.retain(|(id, _)| id != call_id);
        shared.running.push((call_id.to_string(), call));
    }

    /// The call finished; `changed` are the paths it declared (absolute or
    /// workspace-relative). Call it after the tool wrote its files. A call
    /// that never began is ignored: there is nobody to attribute to.
    pub fn end_call(&self, call_id: &str, changed: &[PathBuf]) {
        let mut shared = lock(&self.shared);
        let Some(at) = shared.running.iter().position(|(id, _)| id == call_id) else {
            tracing::debug!("tracker: call {call_id} ended without beginning");
            return;
        };
        let (_, call) = shared.running.remove(at);
        let ended_in = shared.epoch;
        shared.pending.push(Pending {
            touch: Touch {
                call,
                paths: changed.to_vec(),
            },
            ended_in,
        });
    }

    /// `pane`'s turn `turn` ended: take a checkpoint labelled with it.
    pub fn turn_ended(&self, pane: &str, turn: u32, note: &str) {
        self.send(Msg::Checkpoint(Some(CheckpointLabel {
            pane: pane.to_string(),
            turn,
            note: note.to_string(),
        })));
    }

    /// Take a checkpoint now (changes go to running calls or the user).
    pub fn refresh(&self) {
        self.send(Msg::Checkpoint(None));
    }

    /// Waits until every request made so far is processed (tests, shutdown).
    /// Fails when the worker has stopped (its event receiver was dropped).
    pub fn flush(&self) -> Result<(), WorkspaceError> {
        let (reply, done) = std_mpsc::sync_channel(1);
        self.send(Msg::Flush(reply));
        done.recv().map_err(|_| {
            WorkspaceError::io(
                "waiting for the change tracker of",
                &self.workspace,
                std::io::Error::other(
                    "its worker has stopped because the event receiver was dropped; \
                     start a new tracker",
                ),
            )
        })
    }

    fn send(&self, msg: Msg) {
        // A stopped worker drops requests; flush() reports that.
        let _ = self.requests.send(msg);
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // The watcher holds a sender too, so the channel alone would never
        // tell the worker that nobody is left to ask it anything.
        let _ = self.requests.send(Msg::Shutdown);
    }
}

/// The longest a stream of file events may postpone a checkpoint, so a busy
/// build still shows its progress.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// How often an idle worker checks whether its event receiver is gone.
const IDLE: Duration = Duration::from_secs(1);

/// A burst of watcher signals: when it began and when the last arrived.
#[derive(Debug, Clone, Copy)]
struct Burst {
    first: Instant,
    last: Instant,
}

impl Burst {
    fn extend(burst: Option<Self>, now: Instant) -> Option<Self> {
        Some(match burst {
            Some(b) => Self { last: now, ..b },
            None => Self {
                first: now,
                last: now,
            },
        })
    }

    /// When the burst is over: `debounce` of quiet, or `max_wait` after it
    /// began.
    fn due(&self, debounce: Duration, max_wait: Duration) -> Instant {
        (self.last + debounce).min(self.first + max_wait)
    }
}

/// The worker thread's state: it alone takes checkpoints and writes the log.
struct Worker {
    checkpoints: Arc<Checkpoints>,
    log: ChangeLog,
    shared: Arc<Mutex<Shared>>,
    events: mpsc::UnboundedSender<TrackerEvent>,
    requests: std_mpsc::Receiver<Msg>,
    debounce: Duration,
    max_wait: Duration,
    changed: Option<Burst>,
    git_state: Option<Burst>,
}

impl Worker {
    fn run(mut self, watch: Option<std_mpsc::Sender<Msg>>) {
        // Watch first, so nothing changed between the baseline and the
        // start of the watch goes unseen.
        let _watcher = watch.and_then(|tx| self.start_watcher(tx));
        self.checkpoint(label("", "session start"), &[]);
        loop {
            if self.events.is_closed() {
                return;
            }
            let timeout = [self.changed, self.git_state]
                .into_iter()
                .flatten()
                .map(|b| b.due(self.debounce, self.max_wait))
                .min()
                .map_or(IDLE, |due| due.saturating_duration_since(Instant::now()));
            let mut batch = Vec::new();
            match self.requests.recv_timeout(timeout) {
                Ok(msg) => batch.push(msg),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            }
            batch.extend(self.requests.try_iter());
            if !self.process(batch) {
                return;
            }
        }
    }

    fn start_watcher(&self, tx: std_mpsc::Sender<Msg>) -> Option<FsWatcher> {
        // The shadow repository is `<state>/shadow/<hash>.git`.
        let state = self
            .checkpoints
            .shadow_dir()
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let emit = move |signal| {
            let _ = tx.send(Msg::Watch(signal));
        };
        match FsWatcher::start(self.checkpoints.workspace(), state, emit) {
            Ok(watcher) => {
                tracing::info!(directories = watcher.watched(), "watching the workspace");
                Some(watcher)
            }
            Err(message) => {
                let _ = self.events.send(TrackerEvent::WatchUnavailable(message));
                None
            }
        }
    }

    /// Handles the requests that piled up (one checkpoint for all of them)
    /// and whatever burst of file events is due; false once shut down.
    fn process(&mut self, batch: Vec<Msg>) -> bool {
        let now = Instant::now();
        let mut requested = false;
        let mut turn_label = None;
        let mut turns = Vec::new();
        let mut flushes = Vec::new();
        let mut running = true;
        for msg in batch {
            match msg {
                Msg::Checkpoint(turn) => {
                    requested = true;
                    if let Some(turn) = turn {
                        turns.push((turn.pane.clone(), turn.turn));
                        turn_label = Some(turn);
                    }
                }
                Msg::Flush(reply) => flushes.push(reply),
                Msg::Watch(Signal::Changed) => self.changed = Burst::extend(self.changed, now),
                Msg::Watch(Signal::GitState) => {
                    self.git_state = Burst::extend(self.git_state, now);
                }
                Msg::Watch(Signal::Unavailable(message)) => {
                    let _ = self.events.send(TrackerEvent::WatchUnavailable(message));
                }
                Msg::Shutdown => running = false,
            }
        }
        let (debounce, max_wait) = (self.debounce, self.max_wait);
        let due = |burst: Option<Burst>| burst.is_some_and(|b| b.due(debounce, max_wait) <= now);
        let changes_due = due(self.changed);
        if requested || changes_due {
            // This checkpoint covers every change seen so far.
            self.changed = None;
            let label = turn_label.unwrap_or_else(|| {
                label(
                    "",
                    if requested {
                        "refresh"
                    } else {
                        "files changed"
                    },
                )
            });
            self.checkpoint(label, &turns);
        }
        if due(self.git_state) {
            self.git_state = None;
            let _ = self.events.send(TrackerEvent::Refresh);
        }
        for reply in flushes {
            let _ = reply.send(());
        }
        running
    }

    /// Takes a checkpoint, attributes it, settles the calls it covers and
    /// reports it; `turns` are the (pane, turn) pairs whose end it closes.
    fn checkpoint(&mut self, label: CheckpointLabel, turns: &[(String, u32)]) {
        let began = {
            let mut shared = lock(&self.shared);
            shared.epoch += 1;
            shared.epoch - 1
        };
        let checkpoint = match self.checkpoints.checkpoint(&label) {
            Ok(c) => c,
            Err(e) => {
                let _ = self.events.send(TrackerEvent::Error(e.to_string()));
                return;
            }
        };
        let mut shared = lock(&self.shared);
        let baseline = shared.baseline.is_none();
        let unchanged = shared.head.as_deref() == Some(checkpoint.id.as_str());
        let touches: Vec<Touch> = shared.pending.iter().map(|p| p.touch.clone()).collect();
        let running: Vec<Call> = shared.running.iter().map(|(_, c)| c.clone()).collect();
        let (attributions, claimed) = if baseline || unchanged {
            (Vec::new(), vec![false; touches.len()])
        } else {
            attribute_calls(
                &checkpoint.id,
                self.checkpoints.workspace(),
                &checkpoint.changed,
                &touches,
                &running,
            )
        };
        let mut claimed = claimed.into_iter();
        shared.pending.retain(|p| {
            let claimed = claimed.next().unwrap_or(false);
            let own_turn = turns
                .iter()
                .any(|(pane, turn)| *pane == p.touch.call.pane && *turn == p.touch.call.turn);
            !(claimed || own_turn || p.ended_in <= began)
        });
        // A call still "running" when its own turn ended was abandoned (the
        // user interrupted and the session stopped waiting for it): it must
        // not go on claiming changes made later.
        shared.running.retain(|(_, call)| {
            !turns
                .iter()
                .any(|(pane, turn)| *pane == call.pane && *turn == call.turn)
        });
        if baseline {
            shared.baseline = Some(checkpoint.id.clone());
        }
        shared.head = Some(checkpoint.id.clone());
        shared.attributions.extend_from_slice(&attributions);
        drop(shared);
        if let Err(e) = self.log.record(&attributions) {
            let _ = self.events.send(TrackerEvent::Error(format!(
                "the change log could not be written ({e}); this session's attributions \
                 are kept in memory only"
            )));
        }
        if baseline || !unchanged {
            let _ = self.events.send(TrackerEvent::Checkpointed {
                id: checkpoint.id,
                baseline,
                attributions,
            });
        }
    }
}

fn label(pane: &str, note: &str) -> CheckpointLabel {
    CheckpointLabel {
        pane: pane.to_string(),
        turn: 0,
        note: note.to_string(),
    }
}

/// Attributes a checkpoint's `changed` paths to tool calls of any pane:
/// `ended` are the calls not yet settled, `running` those still running
/// when the checkpoint was taken (see the module doc for the rule). Also
/// returns, for each ended call, whether it got a path. Labels follow
/// [`super::attribute`]: the tool's name, or `shell: <command>`.
fn attribute_calls(
    checkpoint: &str,
    workspace: &Path,
    changed: &[ChangedPath],
    ended: &[Touch],
    running: &[Call],
) -> (Vec<Attribution>, Vec<bool>) {
    let declared: Vec<Vec<PathBuf>> = ended
        .iter()
        .map(|t| t.paths.iter().map(|p| relative(workspace, p)).collect())
        .collect();
    let shells = running
        .iter()
        .map(|c| (c, None))
        .chain(ended.iter().enumerate().map(|(i, t)| (&t.call, Some(i))))
        .filter(|(c, _)| c.tool == "shell")
        .max_by_key(|(c, _)| c.started);
    let fallback = shells.or_else(|| {
        running
            .iter()
            .map(|c| (c, None))
            .max_by_key(|(c, _)| c.started)
    });
    let mut claimed = vec![false; ended.len()];
    let mut out: Vec<Attribution> = Vec::new();
    let mut give = |pane: &str, turn: u32, tool: Option<String>, path: &Path| {
        let external = tool.is_none();
        match out
            .iter_mut()
            .find(|a| a.pane == pane && a.turn == turn && a.tool == tool)
        {
            Some(a) => {
                if !a.paths.iter().any(|p| p == path) {
                    a.paths.push(path.to_path_buf());
                }
            }
            None => out.push(Attribution {
                checkpoint: checkpoint.to_string(),
                pane: pane.to_string(),
                turn,
                tool,
                paths: vec![path.to_path_buf()],
                external,
            }),
        }
    };
    for change in changed {
        let old = match &change.status {
            ChangeStatus::Renamed { from } => Some(from),
            _ => None,
        };
        let mut owned = false;
        for (i, touch) in ended.iter().enumerate() {
            if declared[i]
                .iter()
                .any(|d| *d == change.path || Some(d) == old)
            {
                claimed[i] = true;
                owned = true;
                let c = &touch.call;
                give(&c.pane, c.turn, Some(tool_label(c)), &change.path);
            }
        }
        if owned {
            continue;
        }
        match fallback {
            Some((c, index)) => {
                if let Some(i) = index {
                    claimed[i] = true;
                }
                give(&c.pane, c.turn, Some(tool_label(c)), &change.path);
            }
            None => give("", 0, None, &change.path),
        }
    }
    (out, claimed)
}

/// The attribution label of a call, as [`super::attribute`] writes it.
fn tool_label(call: &Call) -> String {
    if call.tool == "shell" {
        format!("shell: {}", call.summary)
    } else {
        call.tool.clone()
    }
}

/// A declared path relative to the workspace, with `.` components removed
/// (`./a.txt` is `a.txt`).
fn relative(workspace: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(workspace)
        .unwrap_or(path)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
