use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::EventKind;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;

use super::*;
use crate::workspace::watcher::{Filter, Signal};
use crate::workspace::{CheckpointOptions, Checkpoints};

use crate::workspace::tests::{Fixture, fixture, write};

fn open(f: &Fixture) -> Arc<Checkpoints> {
    Arc::new(Checkpoints::open(&f.state, &f.ws, CheckpointOptions::default()).unwrap())
}

fn log_path(c: &Checkpoints) -> PathBuf {
    ChangeLog::path_for(c.shadow_dir())
}

fn start_with(
    f: &Fixture,
    opts: TrackerOptions,
) -> (Arc<Tracker>, UnboundedReceiver<TrackerEvent>) {
    let c = open(f);
    let log = ChangeLog::open(&log_path(&c)).unwrap();
    Tracker::start(c, log, opts)
}

/// A tracker without a watcher, with its baseline taken and consumed.
fn start(f: &Fixture) -> (Arc<Tracker>, UnboundedReceiver<TrackerEvent>) {
    let (t, mut rx) = start_with(
        f,
        TrackerOptions {
            watch: false,
            ..TrackerOptions::default()
        },
    );
    t.flush().unwrap();
    assert!(matches!(
        rx.try_recv(),
        Ok(TrackerEvent::Checkpointed { baseline: true, .. })
    ));
    (t, rx)
}

/// Every event already sent.
fn drain(rx: &mut UnboundedReceiver<TrackerEvent>) -> Vec<TrackerEvent> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// The attributions of the checkpoints reported so far.
fn attributed(rx: &mut UnboundedReceiver<TrackerEvent>) -> Vec<Attribution> {
    drain(rx)
        .into_iter()
        .flat_map(|e| match e {
            TrackerEvent::Checkpointed { attributions, .. } => attributions,
            other => panic!("unexpected event {other:?}"),
        })
        .collect()
}

/// Waits up to `secs` for an event matching `want`.
fn wait_for(
    rx: &mut UnboundedReceiver<TrackerEvent>,
    secs: u64,
    want: impl Fn(&TrackerEvent) -> bool,
) -> Option<TrackerEvent> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        match rx.try_recv() {
            Ok(e) if want(&e) => return Some(e),
            Ok(_) => {}
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(20)),
            Err(TryRecvError::Disconnected) => return None,
        }
    }
    None
}

/// Waits up to `secs` for every sender of `rx` (the worker) to be gone.
fn worker_ends(rx: &mut UnboundedReceiver<TrackerEvent>, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        match rx.try_recv() {
            Err(TryRecvError::Disconnected) => return true,
            Ok(_) => {}
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

/// An attribution without its checkpoint id: pane, turn, tool, paths, external.
type Who = (String, u32, Option<String>, Vec<PathBuf>, bool);

fn by(pane: &str, turn: u32, tool: &str, paths: &[&str]) -> Who {
    (
        pane.to_string(),
        turn,
        Some(tool.to_string()),
        paths.iter().map(PathBuf::from).collect(),
        false,
    )
}

fn external(paths: &[&str]) -> Who {
    (
        String::new(),
        0,
        None,
        paths.iter().map(PathBuf::from).collect(),
        true,
    )
}

/// Attributions without their checkpoint id, for comparison.
fn who(list: &[Attribution]) -> Vec<Who> {
    let mut v: Vec<_> = list
        .iter()
        .map(|a| {
            let mut paths = a.paths.clone();
            paths.sort();
            (a.pane.clone(), a.turn, a.tool.clone(), paths, a.external)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn baseline_comes_first_and_attributes_nothing() {
    let f = fixture();
    write(&f.ws, "before.txt", "there before the session\n");
    let (t, mut rx) = start_with(
        &f,
        TrackerOptions {
            watch: false,
            ..TrackerOptions::default()
        },
    );
    t.flush().unwrap();
    let events = drain(&mut rx);
    let [
        TrackerEvent::Checkpointed {
            id,
            baseline: true,
            attributions,
        },
    ] = events.as_slice()
    else {
        panic!("expected one baseline event, got {events:?}");
    };
    assert!(attributions.is_empty());
    assert_eq!(t.baseline().as_deref(), Some(id.as_str()));
    assert_eq!(t.head().as_deref(), Some(id.as_str()));
    assert!(t.attributions().is_empty());
    assert_eq!(t.workspace(), f.ws);
    assert_eq!(
        t.checkpoints()
            .file_at(id, Path::new("before.txt"))
            .unwrap(),
        Some(b"there before the session\n".to_vec())
    );
}

#[test]
fn declared_edit_goes_to_its_call() {
    let f = fixture();
    write(&f.ws, "a.txt", "one\n");
    let (t, mut rx) = start(&f);
    t.begin_call("c1", "run", 2, "edit_file", "a.txt");
    write(&f.ws, "a.txt", "two\n");
    t.end_call("c1", &[f.ws.join("a.txt")]);
    t.turn_ended("run", 2, "edit a");
    t.flush().unwrap();
    let events = drain(&mut rx);
    let [
        TrackerEvent::Checkpointed {
            id,
            baseline: false,
            attributions,
        },
    ] = events.as_slice()
    else {
        panic!("expected one checkpoint, got {events:?}");
    };
    assert_eq!(
        who(attributions),
        vec![by("run", 2, "edit_file", &["a.txt"])]
    );
    assert_eq!(&attributions[0].checkpoint, id);
    assert_eq!(t.head().as_deref(), Some(id.as_str()));
    assert_ne!(t.baseline(), t.head());
    let newest = &t.checkpoints().list().unwrap()[0];
    assert_eq!((newest.label.pane.as_str(), newest.label.turn), ("run", 2));
}

#[test]
fn running_shell_owns_what_it_writes() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    t.begin_call("s1", "run", 3, "shell", "make gen");
    // A read-only call of the other pane started later: the shell still wins.
    t.begin_call("r1", "chat", 1, "read_file", "README");
    write(&f.ws, "gen.txt", "generated\n");
    t.refresh();
    t.flush().unwrap();
    assert_eq!(
        who(&attributed(&mut rx)),
        vec![by("run", 3, "shell: make gen", &["gen.txt"])]
    );
}

#[test]
fn a_quick_shell_that_ended_still_owns_its_writes() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    t.begin_call("s1", "chat", 4, "shell", "cargo fmt");
    write(&f.ws, "fmt.rs", "fn main() {}\n");
    t.end_call("s1", &[]);
    t.turn_ended("chat", 4, "format");
    t.flush().unwrap();
    assert_eq!(
        who(&attributed(&mut rx)),
        vec![by("chat", 4, "shell: cargo fmt", &["fmt.rs"])]
    );
}

#[test]
fn concurrent_panes_each_get_their_own_files() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    t.begin_call("chat-1", "chat", 5, "edit_file", "chat.txt");
    t.begin_call("run-1", "run", 7, "write_file", "run.txt");
    t.begin_call("run-2", "run", 7, "shell", "cargo build");
    write(&f.ws, "run.txt", "run\n");
    write(&f.ws, "chat.txt", "chat\n");
    write(&f.ws, "built.txt", "built\n");
    t.end_call("run-1", &[PathBuf::from("run.txt")]);
    t.end_call("chat-1", &[f.ws.join("chat.txt")]);
    // The run pane's turn ends while its shell still runs.
    t.turn_ended("run", 7, "write");
    t.flush().unwrap();
    assert_eq!(
        who(&attributed(&mut rx)),
        vec![
            by("chat", 5, "edit_file", &["chat.txt"]),
            by("run", 7, "shell: cargo build", &["built.txt"]),
            by("run", 7, "write_file", &["run.txt"]),
        ]
    );
    t.end_call("run-2", &[]);
    t.turn_ended("chat", 5, "edit");
    t.flush().unwrap();
    assert!(drain(&mut rx).is_empty(), "no event when nothing changed");
    assert_eq!(t.attributions().len(), 3);
}

#[test]
fn panes_on_their_own_threads_share_one_tracker() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    let panes: Vec<_> = ["chat", "run"]
        .into_iter()
        .map(|pane| {
            let t = Arc::clone(&t);
            let ws = f.ws.clone();
            std::thread::spawn(move || {
                for n in 0..5 {
                    let id = format!("{pane}-{n}");
                    let file = format!("{pane}/{n}.txt");
                    t.begin_call(&id, pane, 1, "write_file", &file);
                    write(&ws, &file, "x\n");
                    t.end_call(&id, &[ws.join(&file)]);
                }
                t.turn_ended(pane, 1, "five files");
            })
        })
        .collect();
    for pane in panes {
        pane.join().unwrap();
    }
    t.flush().unwrap();
    let mut got = who(&merge(attributed(&mut rx)));
    got.sort();
    assert_eq!(
        got,
        vec![
            by(
                "chat",
                1,
                "write_file",
                &[
                    "chat/0.txt",
                    "chat/1.txt",
                    "chat/2.txt",
                    "chat/3.txt",
                    "chat/4.txt"
                ]
            ),
            by(
                "run",
                1,
                "write_file",
                &[
                    "run/0.txt",
                    "run/1.txt",
                    "run/2.txt",
                    "run/3.txt",
                    "run/4.txt"
                ]
            ),
        ]
    );
}

/// Attributions of several checkpoints merged per pane, turn and tool.
fn merge(list: Vec<Attribution>) -> Vec<Attribution> {
    let mut out: Vec<Attribution> = Vec::new();
    for a in list {
        match out
            .iter_mut()
            .find(|o| (&o.pane, o.turn, &o.tool) == (&a.pane, a.turn, &a.tool))
        {
            Some(o) => o.paths.extend(a.paths),
            None => out.push(a),
        }
    }
    out
}

#[test]
fn a_call_abandoned_by_an_interrupt_stops_claiming_at_its_turns_end() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    // The session gave up waiting for this command: no end_call comes.
    t.begin_call("s1", "run", 2, "shell", "sleep 100 && touch x");
    write(&f.ws, "half.txt", "written before the interrupt\n");
    t.turn_ended("run", 2, "interrupted");
    t.flush().unwrap();
    assert_eq!(
        who(&attributed(&mut rx)),
        vec![by("run", 2, "shell: sleep 100 && touch x", &["half.txt"])]
    );
    write(&f.ws, "later.txt", "the user's\n");
    t.refresh();
    t.flush().unwrap();
    assert_eq!(who(&attributed(&mut rx)), vec![external(&["later.txt"])]);
}

#[test]
fn a_change_nobody_declared_is_external() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    write(&f.ws, "mine.txt", "the user's\n");
    t.refresh();
    t.flush().unwrap();
    assert_eq!(who(&attributed(&mut rx)), vec![external(&["mine.txt"])]);
}

#[test]
fn a_settled_call_does_not_claim_later_user_edits() {
    let f = fixture();
    write(&f.ws, "b.txt", "same\n");
    let (t, mut rx) = start(&f);
    t.begin_call("c1", "run", 1, "write_file", "b.txt");
    write(&f.ws, "b.txt", "same\n");
    t.end_call("c1", &[PathBuf::from("b.txt")]);
    t.turn_ended("run", 1, "rewrite unchanged");
    t.flush().unwrap();
    assert!(drain(&mut rx).is_empty());
    write(&f.ws, "b.txt", "edited by the user\n");
    t.refresh();
    t.flush().unwrap();
    assert_eq!(who(&attributed(&mut rx)), vec![external(&["b.txt"])]);
}

#[test]
fn a_rename_is_claimed_by_its_old_path() {
    let f = fixture();
    let text = "a file long enough for git to recognise it as renamed\n";
    write(&f.ws, "old.txt", text);
    let (t, mut rx) = start(&f);
    t.begin_call("p1", "run", 2, "apply_patch", "rename");
    fs::rename(f.ws.join("old.txt"), f.ws.join("new.txt")).unwrap();
    t.end_call("p1", &[f.ws.join("old.txt")]);
    t.turn_ended("run", 2, "rename");
    t.flush().unwrap();
    assert_eq!(
        who(&attributed(&mut rx)),
        vec![by("run", 2, "apply_patch", &["new.txt"])]
    );
}

#[test]
fn the_change_log_holds_the_records_after_flush() {
    let f = fixture();
    let (t, _rx) = start(&f);
    t.begin_call("c1", "chat", 1, "write_file", "x");
    write(&f.ws, "x.txt", "x\n");
    t.end_call("c1", &[PathBuf::from("x.txt")]);
    t.turn_ended("chat", 1, "x");
    write(&f.ws, "y.txt", "y\n");
    t.refresh();
    t.flush().unwrap();
    let log = ChangeLog::open(&log_path(&t.checkpoints())).unwrap();
    assert_eq!(log.entries(), t.attributions().as_slice());
    assert_eq!(
        who(log.entries()),
        vec![
            external(&["y.txt"]),
            by("chat", 1, "write_file", &["x.txt"])
        ]
    );
}

#[test]
fn queued_turn_ends_make_one_checkpoint_with_the_last_label() {
    let f = fixture();
    let checkpoints = open(&f);
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_requests, requests_rx) = std::sync::mpsc::channel();
    let mut worker = Worker {
        checkpoints: Arc::clone(&checkpoints),
        log: ChangeLog::open(&log_path(&checkpoints)).unwrap(),
        shared: Arc::default(),
        events,
        requests: requests_rx,
        debounce: Duration::from_millis(300),
        max_wait: MAX_WAIT,
        changed: None,
        git_state: None,
    };
    assert!(worker.process(vec![Msg::Checkpoint(None)]));
    let turn = |pane: &str, turn| {
        Msg::Checkpoint(Some(CheckpointLabel {
            pane: pane.into(),
            turn,
            note: String::new(),
        }))
    };
    write(&f.ws, "n.txt", "changed by two turns\n");
    let (reply, done) = std::sync::mpsc::sync_channel(1);
    let batch = vec![
        turn("run", 1),
        Msg::Flush(reply),
        turn("chat", 2),
        turn("run", 3),
    ];
    assert!(worker.process(batch));
    done.try_recv().expect("the flush is answered");
    let events = drain(&mut rx);
    assert_eq!(events.len(), 2, "baseline and one checkpoint: {events:?}");
    let list = checkpoints.list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].label.pane.as_str(), list[0].label.turn),
        ("run", 3)
    );
    assert!(!worker.process(vec![Msg::Shutdown]));
}

#[test]
fn a_failed_checkpoint_is_reported_and_tracking_goes_on() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    let head = t.checkpoints().shadow_dir().join("HEAD");
    let saved = fs::read(&head).unwrap();
    fs::write(&head, "not a ref\n").unwrap();
    write(&f.ws, "a.txt", "a\n");
    t.refresh();
    t.flush().unwrap();
    let events = drain(&mut rx);
    assert!(
        matches!(events.as_slice(), [TrackerEvent::Error(m)] if m.contains("checkpoint repository")),
        "{events:?}"
    );
    fs::write(&head, saved).unwrap();
    t.refresh();
    t.flush().unwrap();
    assert_eq!(who(&attributed(&mut rx)), vec![external(&["a.txt"])]);
}

#[test]
fn a_change_log_that_cannot_be_written_keeps_the_attributions_in_memory() {
    let f = fixture();
    let (t, mut rx) = start(&f);
    fs::create_dir_all(log_path(&t.checkpoints())).unwrap();
    write(&f.ws, "a.txt", "a\n");
    t.refresh();
    t.flush().unwrap();
    let events = drain(&mut rx);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrackerEvent::Error(m) if m.contains("change log"))),
        "{events:?}"
    );
    let checkpointed: Vec<_> = events
        .into_iter()
        .filter_map(|e| match e {
            TrackerEvent::Checkpointed { attributions, .. } => Some(attributions),
            _ => None,
        })
        .collect();
    assert_eq!(checkpointed.len(), 1);
    assert_eq!(who(&checkpointed[0]), vec![external(&["a.txt"])]);
    assert_eq!(t.attributions(), checkpointed[0]);
}

#[test]
fn dropping_the_tracker_ends_the_worker_and_the_watcher() {
    let f = fixture();
    let (t, mut rx) = start_with(&f, TrackerOptions::default());
    assert!(
        wait_for(&mut rx, 10, |e| matches!(
            e,
            TrackerEvent::Checkpointed { .. }
        ))
        .is_some()
    );
    drop(t);
    assert!(worker_ends(&mut rx, 10), "the worker kept running");
}

#[test]
fn dropping_the_receiver_stops_the_worker() {
    let f = fixture();
    let (t, rx) = start(&f);
    drop(rx);
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.flush().is_ok() {
        assert!(Instant::now() < deadline, "the worker kept running");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(t.flush().unwrap_err().to_string().contains("stopped"));
}

#[test]
fn the_watcher_checkpoints_a_user_edit_as_external() {
    let f = fixture();
    write(&f.ws, ".gitignore", "target/\n");
    let (_t, mut rx) = start_with(
        &f,
        TrackerOptions {
            watch: true,
            debounce: Duration::from_millis(100),
        },
    );
    assert!(
        wait_for(&mut rx, 10, |e| matches!(
            e,
            TrackerEvent::Checkpointed { .. }
        ))
        .is_some()
    );
    write(&f.ws, "target/debug/out.bin", "ignored\n");
    write(&f.ws, "edited.txt", "by hand\n");
    let event = wait_for(&mut rx, 10, |e| {
        matches!(e, TrackerEvent::Checkpointed { .. })
    });
    let Some(TrackerEvent::Checkpointed {
        baseline: false,
        attributions,
        ..
    }) = event
    else {
        panic!("no checkpoint after the edit: {event:?}");
    };
    assert_eq!(who(&attributions), vec![external(&["edited.txt"])]);
}

#[test]
fn the_watcher_reports_the_users_index_without_a_checkpoint() {
    let f = fixture();
    write(&f.ws, "a.txt", "a\n");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(&f.ws)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    let (_t, mut rx) = start_with(
        &f,
        TrackerOptions {
            watch: true,
            debounce: Duration::from_millis(100),
        },
    );
    assert!(
        wait_for(&mut rx, 10, |e| matches!(
            e,
            TrackerEvent::Checkpointed { .. }
        ))
        .is_some()
    );
    git(&["add", "a.txt"]);
    let event = wait_for(&mut rx, 10, |e| {
        matches!(e, TrackerEvent::Refresh | TrackerEvent::Checkpointed { .. })
    });
    assert_eq!(event, Some(TrackerEvent::Refresh));
}

#[test]
fn the_filter_keeps_only_events_that_matter() {
    let f = fixture();
    write(&f.ws, ".gitignore", "target/\n*.log\n");
    let state = f.ws.join(".tandem-state");
    fs::create_dir_all(&state).unwrap();
    let mut filter = Filter::new(&f.ws, Some(state.clone()));
    let at = |rel: &str| f.ws.join(rel);
    assert_eq!(filter.classify_path(&at("src/a.rs")), Some(Signal::Changed));
    assert_eq!(
        filter.classify_path(&at("odd name\n.txt")),
        Some(Signal::Changed)
    );
    assert_eq!(
        filter.classify_path(&at(".git/index")),
        Some(Signal::GitState)
    );
    assert_eq!(
        filter.classify_path(&at(".git/HEAD")),
        Some(Signal::GitState)
    );
    assert_eq!(filter.classify_path(&at(".git/index.lock")), None);
    assert_eq!(filter.classify_path(&at(".git/objects/ab/cd")), None);
    assert_eq!(filter.classify_path(&at("vendor/x/.git/index")), None);
    assert_eq!(
        filter.classify_path(&state.join("shadow/x.git/index")),
        None
    );
    assert_eq!(filter.classify_path(&at("target/debug/app")), None);
    assert_eq!(filter.classify_path(&at("build.log")), None);
    assert_eq!(filter.classify_path(Path::new("/elsewhere/a.rs")), None);
    assert_eq!(filter.classify_path(&f.ws), None);

    use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
    let event = |kind, rel: &str| notify::Event::new(kind).add_path(at(rel));
    let open = event(EventKind::Access(AccessKind::Open(AccessMode::Any)), "a.rs");
    assert!(filter.classify(&open).is_empty(), "reads are not changes");
    let closed = event(
        EventKind::Access(AccessKind::Close(AccessMode::Write)),
        "a.rs",
    );
    assert_eq!(filter.classify(&closed), vec![Signal::Changed]);

    // Changing .gitignore changes what is ignored.
    write(&f.ws, ".gitignore", "target/\n");
    let edit = event(EventKind::Modify(ModifyKind::Any), ".gitignore");
    assert_eq!(filter.classify(&edit), vec![Signal::Changed]);
    let log = event(EventKind::Create(CreateKind::File), "build.log");
    assert_eq!(filter.classify(&log), vec![Signal::Changed]);
}

fn call(pane: &str, turn: u32, tool: &str, summary: &str, started: u64) -> Call {
    Call {
        pane: pane.into(),
        turn,
        tool: tool.into(),
        summary: summary.into(),
        started,
    }
}

fn touch(c: Call, paths: &[&str]) -> Touch {
    Touch {
        call: c,
        paths: paths.iter().map(PathBuf::from).collect(),
    }
}

fn modified(paths: &[&str]) -> Vec<ChangedPath> {
    paths
        .iter()
        .map(|p| ChangedPath {
            path: p.into(),
            status: ChangeStatus::Modified,
        })
        .collect()
}

#[test]
fn a_path_declared_by_two_panes_goes_to_both() {
    let ws = Path::new("/ws");
    let ended = [
        touch(call("chat", 1, "edit_file", "", 1), &["/ws/a.txt"]),
        touch(
            call("run", 2, "apply_patch", "", 2),
            &["./a.txt", "gone.txt"],
        ),
        touch(call("run", 2, "read_file", "", 3), &[]),
    ];
    let (list, claimed) = attribute_calls("c", ws, &modified(&["a.txt"]), &ended, &[]);
    assert_eq!(
        who(&list),
        vec![
            by("chat", 1, "edit_file", &["a.txt"]),
            by("run", 2, "apply_patch", &["a.txt"]),
        ]
    );
    assert!(list.iter().all(|a| a.checkpoint == "c"));
    assert_eq!(claimed, vec![true, true, false]);
}

#[test]
fn undeclared_paths_go_to_the_newest_shell_then_the_newest_running_call() {
    let ws = Path::new("/ws");
    let changed = modified(&["x", "y"]);
    let running = [
        call("run", 1, "shell", "make", 1),
        call("chat", 2, "shell", "npm test", 3),
        call("chat", 2, "read_file", "", 4),
    ];
    let (list, _) = attribute_calls("c", ws, &changed, &[], &running);
    assert_eq!(
        who(&list),
        vec![by("chat", 2, "shell: npm test", &["x", "y"])]
    );

    // An ended shell newer than every running one wins, and is claimed.
    let ended = [touch(call("run", 1, "shell", "sed -i s/a/b/ x", 5), &[])];
    let (list, claimed) = attribute_calls("c", ws, &changed, &ended, &running);
    assert_eq!(
        who(&list),
        vec![by("run", 1, "shell: sed -i s/a/b/ x", &["x", "y"])]
    );
    assert_eq!(claimed, vec![true]);

    let running = [
        call("run", 1, "edit_file", "", 1),
        call("chat", 2, "grep", "", 2),
    ];
    let (list, _) = attribute_calls("c", ws, &changed, &[], &running);
    assert_eq!(who(&list), vec![by("chat", 2, "grep", &["x", "y"])]);

    let (list, _) = attribute_calls("c", ws, &changed, &[], &[]);
    assert_eq!(who(&list), vec![external(&["x", "y"])]);
}
