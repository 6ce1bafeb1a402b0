//! The thread that does the review's blocking work — diffing the workspace,
//! reading and writing the git index and files — so the UI thread never
//! waits for git or a large diff.
//!
//! Jobs run in the order sent (an accept then an undo must not swap), and a
//! refresh that is followed by another in the queue is skipped: after a
//! burst of file changes only the newest snapshot is computed.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

use crate::diff::DiffOptions;
use crate::workspace::{Review, ReviewCommand, ReviewSnapshot, Tracker};

/// Work for the review thread.
#[derive(Debug)]
enum Job {
    Snapshot(DiffOptions),
    Execute(ReviewCommand),
}

/// What the review thread reports back to the event loop.
#[derive(Debug)]
pub enum ReviewDone {
    /// A new snapshot, or why there is none.
    Snapshot(Result<ReviewSnapshot, String>),
    /// A command's status-bar message, or why it was refused.
    Executed(Result<String, String>),
}

/// The event loop's handle on the review thread; the thread ends when the
/// handle is dropped.
pub struct ReviewWorker {
    jobs: std_mpsc::Sender<Job>,
}

impl ReviewWorker {
    /// Starts the thread for `tracker`'s workspace. Results arrive on the
    /// returned receiver.
    pub fn start(tracker: Arc<Tracker>) -> (Self, mpsc::UnboundedReceiver<ReviewDone>) {
        let (jobs, rx) = std_mpsc::channel();
        let (done, done_rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("tandem-review".into())
            .spawn(move || work(&tracker, &rx, &done))
            .expect("the review thread starts");
        (Self { jobs }, done_rx)
    }

    /// Asks for a fresh snapshot computed with `opts`.
    pub fn refresh(&self, opts: DiffOptions) {
        let _ = self.jobs.send(Job::Snapshot(opts));
    }

    /// Asks for `command` to be carried out.
    pub fn execute(&self, command: ReviewCommand) {
        let _ = self.jobs.send(Job::Execute(command));
    }
}

fn work(
    tracker: &Tracker,
    jobs: &std_mpsc::Receiver<Job>,
    done: &mpsc::UnboundedSender<ReviewDone>,
) {
    let mut review: Option<Review> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter());
        let last_snapshot = batch.iter().rposition(|j| matches!(j, Job::Snapshot(_)));
        for (i, job) in batch.into_iter().enumerate() {
            let report = match job {
                Job::Snapshot(_) if Some(i) != last_snapshot => continue,
                Job::Snapshot(opts) => {
                    ReviewDone::Snapshot(opened(&mut review, tracker).and_then(|r| {
                        let head = tracker.head().unwrap_or_default();
                        r.snapshot(&head, &tracker.attributions(), &opts)
                            .map_err(|e| e.to_string())
                    }))
                }
                Job::Execute(command) => ReviewDone::Executed(
                    opened(&mut review, tracker)
                        .and_then(|r| r.execute(&command).map_err(|e| e.to_string())),
                ),
            };
            if done.send(report).is_err() {
                return;
            }
        }
    }
}

/// The review, opened on first use (it needs the session's baseline
/// checkpoint, which the tracker takes in the background at start-up).
fn opened<'a>(review: &'a mut Option<Review>, tracker: &Tracker) -> Result<&'a mut Review, String> {
    if review.is_none() {
        let baseline = tracker.baseline().ok_or_else(|| {
            "the workspace is still being checkpointed; the review appears in a moment".to_string()
        })?;
        *review = Some(Review::open(tracker.checkpoints(), baseline).map_err(|e| e.to_string())?);
    }
    Ok(review.as_mut().expect("opened above"))
}
