//! The viewer drawn into a `TestBackend` (snapshots of the unified and
//! side-by-side diff, the file list, the empty, binary and rename states)
//! and driven by keys (the actions it hands out, navigation, filter,
//! search, snapshot refresh).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{DiffViewer, Filter, ViewerAction};
use crate::agent::Pane;
use crate::diff::{
    DiffOptions, FileDiff, FileStatus, diff_added, diff_deleted, diff_modified, diff_renamed,
};
use crate::tui::theme::{ColorDepth, Theme};
use crate::workspace::ReviewCommand;
use crate::workspace::review::{FileOrigin, ReviewFile, ReviewMode, ReviewSnapshot};

const OLD_RS: &str = "use std::fmt;

/// A point on the plane.
pub struct Point {
    pub x: i32,
    pub y: i32,
}

impl Point {
    pub fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    pub fn norm(&self) -> f64 {
        ((self.x * self.x + self.y * self.y) as f64).sqrt()
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, \"({}, {})\", self.x, self.y)
    }
}
";

const NEW_RS: &str = "use std::fmt;

/// A point on the plane.
pub struct Point {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

impl Point {
    pub fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    pub fn norm(&self) -> f64 {
        ((self.x * self.x + self.y * self.y) as f64).sqrt()
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, \"[{}, {}] {}\", self.x, self.y, self.label)
    }
}
";

fn opts() -> DiffOptions {
    DiffOptions::default()
}

fn origin(pane: &str, turn: u32) -> FileOrigin {
    FileOrigin {
        pane: pane.to_string(),
        turn,
        tool: (!pane.is_empty()).then(|| "edit_file".to_string()),
        external: pane.is_empty(),
        checkpoint: "c1".to_string(),
    }
}

fn file(diff: FileDiff, origins: Vec<FileOrigin>) -> ReviewFile {
    ReviewFile {
        diff,
        origins,
        reviewed: false,
    }
}

fn snapshot(files: Vec<ReviewFile>) -> Arc<ReviewSnapshot> {
    Arc::new(ReviewSnapshot {
        mode: ReviewMode::Git {
            repo_root: "/work/project".into(),
        },
        files,
        coarse: false,
        truncated: false,
    })
}

fn lib_rs() -> ReviewFile {
    file(
        diff_modified("src/lib.rs", OLD_RS.as_bytes(), NEW_RS.as_bytes(), &opts()),
        vec![origin("run", 2)],
    )
}

/// Five files: reviewed, deleted by the user, modified by Run, added by
/// Chat, renamed by Run and then edited by the user.
fn many_files() -> Arc<ReviewSnapshot> {
    let mut guide = file(
        diff_modified("docs/guide.md", b"# Guide\n", b"# Guide\n", &opts()),
        vec![origin("chat", 1)],
    );
    guide.reviewed = true;
    snapshot(vec![
        guide,
        file(
            diff_deleted("old/legacy.rs", b"fn legacy() {}\nfn older() {}\n", &opts()),
            vec![origin("", 0)],
        ),
        lib_rs(),
        file(
            diff_added(
                "src/new_module.rs",
                b"pub fn hello() -> &'static str {\n    \"hello\"\n}\n",
                &opts(),
            ),
            vec![origin("chat", 1)],
        ),
        file(
            diff_renamed(
                "src/original.rs",
                "src/renamed.rs",
                b"fn a() {}\nfn b() {}\nfn c() {}\n",
                b"fn a() {}\nfn b() {}\nfn c2() {}\n",
                87,
                &opts(),
            ),
            vec![origin("run", 3), origin("", 0)],
        ),
    ])
}

fn theme() -> Theme {
    Theme::built_in("dark", ColorDepth::None).unwrap()
}

fn frame(v: &mut DiffViewer, width: u16, height: u16) -> String {
    let theme = theme();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| v.render(f, f.area(), &theme)).unwrap();
    terminal.backend().to_string()
}

fn key(c: char) -> KeyEvent {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), m)
}

fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(v: &mut DiffViewer, keys: &str) -> ViewerAction {
    let mut last = ViewerAction::None;
    for c in keys.chars() {
        last = v.handle_key(key(c));
    }
    last
}

fn type_text(v: &mut DiffViewer, text: &str) {
    for c in text.chars() {
        assert_eq!(v.handle_key(key(c)), ViewerAction::None);
    }
}

fn viewer(snap: Arc<ReviewSnapshot>) -> DiffViewer {
    let mut v = DiffViewer::new();
    v.set_snapshot(snap);
    v
}

/// The path of the selected file, read from the header line at a width
/// that hides the list.
fn selected_path(v: &mut DiffViewer) -> String {
    v.current()
        .map(|(_, f)| f.path().to_string())
        .unwrap_or_default()
}

#[test]
fn unified_view_of_a_modified_rust_file() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("modified src/lib.rs"));
    assert!(text.contains("@@ -2,8 +2,9 @@"), "{text}");
    assert!(text.contains("-     pub x: i32,"));
    assert!(text.contains("+     pub label: String,"));
    insta::assert_snapshot!(text);
}

#[test]
fn side_by_side_view_of_a_modified_rust_file() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    assert_eq!(press(&mut v, "v"), ViewerAction::None);
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("side-by-side"));
    let paired = text
        .lines()
        .find(|l| l.contains("pub x: i32,"))
        .expect("the old x line is shown");
    assert!(
        paired.contains("pub x: i64,"),
        "removed and added lines face each other: {paired}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_file_list_shows_status_counts_origins_and_review_state() {
    let mut v = viewer(many_files());
    let text = frame(&mut v, 120, 24);
    let row = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not listed:\n{text}"))
            .to_string()
    };
    assert!(row("docs/guide.md").contains('✓'));
    assert!(row("old/legacy.rs").contains("D old/legacy.rs"));
    assert!(row("old/legacy.rs").contains("+0 −2 you"));
    assert!(row("src/lib.rs").contains("M src/lib.rs"));
    assert!(row("src/lib.rs").contains("+4 −3 Run"));
    assert!(row("src/new_module.rs").contains("A src/new_module.rs"));
    assert!(row("src/new_module.rs").contains("Chat"));
    assert!(row("R src/renamed.rs").contains("Run+you"));
    insta::assert_snapshot!(text);
}

#[test]
fn an_empty_review_says_where_changes_come_from() {
    let mut v = DiffViewer::new();
    let before = frame(&mut v, 100, 24);
    assert!(
        before.contains("Reading the changes") && !before.contains("No changes"),
        "nothing is claimed before the first review arrives"
    );
    v.set_snapshot(Arc::new(ReviewSnapshot {
        mode: ReviewMode::Plain,
        files: Vec::new(),
        coarse: false,
        truncated: false,
    }));
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("No changes to review."));
    assert!(text.contains("Changes the agents (or you) make in the workspace appear here."));
    assert!(text.contains("Space/s accepts a hunk, d reverts it"));
    insta::assert_snapshot!(text);
    for c in " sSdDyecnNjkgGJKvWwf/".chars() {
        let action = v.handle_key(key(c));
        v.handle_key(code(KeyCode::Esc));
        assert!(
            !matches!(action, ViewerAction::Review(_) | ViewerAction::Copy(_)),
            "{c}: {action:?}"
        );
    }
    assert_eq!(
        v.handle_key(key('s')),
        ViewerAction::Flash("no hunk here".into())
    );
    assert_eq!(
        v.handle_key(key('u')),
        ViewerAction::Review(ReviewCommand::Undo),
        "the last accept can be undone even when it emptied the review"
    );
}

#[test]
fn a_binary_file_is_named_but_not_shown() {
    let diff = diff_modified(
        "assets/logo.png",
        b"\x89PNG\0\x01",
        b"\x89PNG\0\x02",
        &opts(),
    );
    assert!(diff.binary);
    let mut v = viewer(snapshot(vec![file(diff, vec![origin("run", 1)])]));
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("binary file — not shown"));
    insta::assert_snapshot!(text);
    assert_eq!(
        press(&mut v, " "),
        ViewerAction::Flash("no hunk here".into())
    );
    assert_eq!(
        press(&mut v, "y"),
        ViewerAction::Flash("no hunk here".into())
    );
    assert_eq!(
        press(&mut v, "n"),
        ViewerAction::Flash("no hunk here".into())
    );
    assert_eq!(
        press(&mut v, "S"),
        ViewerAction::Review(ReviewCommand::AcceptFile {
            path: "assets/logo.png".into()
        })
    );
}

#[test]
fn a_rename_shows_both_paths_and_the_similarity() {
    let snap = many_files();
    let mut v = viewer(snap);
    press(&mut v, "JJJJ");
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("renamed src/original.rs → src/renamed.rs (87% similar)"));
    insta::assert_snapshot!(text);
}

#[test]
fn a_mode_change_and_an_accepted_file_say_so() {
    let mut mode = diff_modified("run.sh", b"echo hi\n", b"echo hi\n", &opts());
    mode.status = FileStatus::ModeChanged;
    mode.old_mode = 0o100644;
    mode.new_mode = 0o100755;
    let mut done = lib_rs();
    done.diff.hunks.clear();
    done.reviewed = true;
    let mut v = viewer(snapshot(vec![file(mode, vec![]), done]));
    let text = frame(&mut v, 100, 12);
    assert!(text.contains("T run.sh"));
    assert!(text.contains("mode 100644 → 100755"));
    press(&mut v, "J");
    let text = frame(&mut v, 100, 12);
    assert!(text.contains("nothing left to review (accepted or reverted) ✓"));
}

#[test]
fn space_s_and_shift_s_accept() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    let hunks = lib_rs().diff.hunks;
    assert_eq!(hunks.len(), 2);
    let accept = |h: usize| {
        ViewerAction::Review(ReviewCommand::AcceptHunk {
            path: "src/lib.rs".into(),
            hunk: hunks[h].clone(),
        })
    };
    assert_eq!(press(&mut v, " "), accept(0), "the first hunk by default");
    assert_eq!(press(&mut v, "nns"), accept(1));
    assert_eq!(
        press(&mut v, "S"),
        ViewerAction::Review(ReviewCommand::AcceptFile {
            path: "src/lib.rs".into()
        })
    );
    assert_eq!(
        press(&mut v, "u"),
        ViewerAction::Review(ReviewCommand::Undo)
    );
}

#[test]
fn revert_asks_first_and_runs_only_on_y() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    let hunk = lib_rs().diff.hunks[0].clone();
    assert_eq!(press(&mut v, "d"), ViewerAction::None);
    assert!(frame(&mut v, 100, 24).contains("revert this hunk in the working file? y/n"));
    assert_eq!(
        press(&mut v, "n"),
        ViewerAction::Flash("not reverted".into())
    );
    assert!(!frame(&mut v, 100, 24).contains("revert this hunk"));
    press(&mut v, "d");
    assert_eq!(
        v.handle_key(code(KeyCode::Esc)),
        ViewerAction::Flash("not reverted".into())
    );
    assert_eq!(press(&mut v, "d"), ViewerAction::None);
    assert_eq!(
        press(&mut v, "y"),
        ViewerAction::Review(ReviewCommand::RevertHunk {
            path: "src/lib.rs".into(),
            hunk
        })
    );
    assert_eq!(press(&mut v, "D"), ViewerAction::None);
    assert!(frame(&mut v, 100, 24).contains("revert all of src/lib.rs"));
    assert_eq!(
        press(&mut v, "y"),
        ViewerAction::Review(ReviewCommand::RevertFile {
            path: "src/lib.rs".into()
        })
    );
}

#[test]
fn a_comment_carries_path_lines_words_and_the_hunk() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    press(&mut v, "nn");
    assert_eq!(press(&mut v, "c"), ViewerAction::None);
    assert!(v.typing());
    assert!(
        frame(&mut v, 100, 24).contains("comment to Run ▸"),
        "Run changed it"
    );
    assert_eq!(v.handle_key(code(KeyCode::Tab)), ViewerAction::None);
    assert!(frame(&mut v, 100, 24).contains("comment to Chat ▸"));
    type_text(&mut v, "keep the tuple format");
    v.on_paste("\nplease");
    let ViewerAction::Comment { pane, text } = v.handle_key(code(KeyCode::Enter)) else {
        panic!("Enter sends the comment");
    };
    assert!(!v.typing());
    assert_eq!(pane, Pane::Chat);
    assert!(
        text.starts_with("Review comment on src/lib.rs, lines 19–24 (as changed by Run):\n"),
        "{text}"
    );
    assert!(text.contains("keep the tuple format please"));
    assert!(text.contains("```diff\n@@ -18,6 +19,6 @@\n"), "{text}");
    assert!(text.contains("\n-        write!(f, \"({}, {})\", self.x, self.y)\n"));
    assert!(text.contains("\n+        write!(f, \"[{}, {}] {}\", self.x, self.y, self.label)\n"));
    assert!(text.ends_with("```"));
}

#[test]
fn an_empty_or_cancelled_comment_is_not_sent() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    press(&mut v, "c");
    type_text(&mut v, "  ");
    assert_eq!(
        v.handle_key(code(KeyCode::Enter)),
        ViewerAction::Flash("empty comment not sent".into())
    );
    press(&mut v, "c");
    type_text(&mut v, "never mind");
    assert_eq!(v.handle_key(code(KeyCode::Esc)), ViewerAction::None);
    assert!(!v.typing());
    assert_eq!(
        v.handle_key(code(KeyCode::Esc)),
        ViewerAction::Close,
        "the second Esc leaves"
    );
}

#[test]
fn a_comment_on_a_deletion_names_the_old_lines() {
    let snap = many_files();
    let mut v = viewer(snap);
    press(&mut v, "J");
    press(&mut v, "c");
    type_text(&mut v, "why");
    let ViewerAction::Comment { pane, text } = v.handle_key(code(KeyCode::Enter)) else {
        panic!("sent");
    };
    assert_eq!(pane, Pane::Chat, "the user's own change goes to Chat");
    assert!(
        text.starts_with(
            "Review comment on old/legacy.rs, lines 1–2 deleted from the old version (as changed by you):\nwhy"
        ),
        "{text}"
    );
}

#[test]
fn n_and_shift_n_jump_between_hunks() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    let header = |v: &mut DiffViewer| {
        frame(v, 100, 24)
            .lines()
            .find(|l| l.contains('▌'))
            .unwrap_or_default()
            .to_string()
    };
    press(&mut v, "n");
    assert!(header(&mut v).contains("@@ -2,8 +2,9 @@"));
    press(&mut v, "n");
    assert!(header(&mut v).contains("@@ -18,6 +19,6 @@"));
    assert_eq!(press(&mut v, "n"), ViewerAction::Flash("last hunk".into()));
    press(&mut v, "N");
    assert!(header(&mut v).contains("@@ -2,8 +2,9 @@"));
    press(&mut v, "jj");
    assert!(
        header(&mut v).contains("/// A point on the plane."),
        "j moves a row"
    );
    press(&mut v, "k");
    assert!(!header(&mut v).contains("/// A point"), "k moves back");
    press(&mut v, "G");
    assert!(header(&mut v).contains('}'));
    press(&mut v, "g");
    assert!(header(&mut v).contains("modified src/lib.rs"));
}

#[test]
fn shift_j_k_and_brackets_change_files() {
    let mut v = viewer(many_files());
    assert_eq!(selected_path(&mut v), "docs/guide.md");
    press(&mut v, "J]");
    assert_eq!(selected_path(&mut v), "src/lib.rs");
    press(&mut v, "K");
    assert_eq!(selected_path(&mut v), "old/legacy.rs");
    press(&mut v, "[");
    assert_eq!(press(&mut v, "K"), ViewerAction::Flash("first file".into()));
    assert_eq!(selected_path(&mut v), "docs/guide.md");
}

#[test]
fn filter_cycling_hides_files_that_do_not_match() {
    let mut v = viewer(many_files());
    let listed = |v: &mut DiffViewer| {
        let text = frame(v, 120, 24);
        [
            "docs/guide.md",
            "old/legacy.rs",
            "src/lib.rs",
            "src/new_module.rs",
            "src/renamed.rs",
        ]
        .into_iter()
        .filter(|p| text.contains(p))
        .collect::<Vec<_>>()
    };
    assert_eq!(listed(&mut v).len(), 5);
    press(&mut v, "f");
    assert!(frame(&mut v, 100, 24).contains("Chat's changes"));
    assert_eq!(listed(&mut v), ["docs/guide.md", "src/new_module.rs"]);
    press(&mut v, "f");
    assert_eq!(listed(&mut v), ["src/lib.rs", "src/renamed.rs"]);
    press(&mut v, "f");
    assert_eq!(listed(&mut v), ["old/legacy.rs", "src/renamed.rs"]);
    press(&mut v, "f");
    assert_eq!(listed(&mut v).len(), 4, "the reviewed guide is hidden");
    press(&mut v, "f");
    assert_eq!(listed(&mut v).len(), 5);
    v.set_filter(Filter::Pane {
        pane: "run".into(),
        turns: vec![3],
    });
    assert_eq!(listed(&mut v), ["src/renamed.rs"]);
    assert!(frame(&mut v, 100, 24).contains("Run's changes (turn 3)"));
    v.set_filter(Filter::Pane {
        pane: "run".into(),
        turns: vec![9],
    });
    assert!(frame(&mut v, 100, 24).contains("No files match the filter"));
    assert_eq!(
        press(&mut v, " "),
        ViewerAction::Flash("no hunk here".into())
    );
}

#[test]
fn a_new_snapshot_keeps_the_selected_file_and_hunk() {
    let mut v = viewer(many_files());
    press(&mut v, "JJ");
    assert_eq!(selected_path(&mut v), "src/lib.rs");
    press(&mut v, "nnjj");
    let on_screen = |v: &mut DiffViewer| {
        let text = frame(v, 100, 24);
        let line = text.lines().find(|l| l.contains('▌')).unwrap_or_default();
        line.split_once('│')
            .map(|(_, diff)| diff)
            .unwrap_or_default()
            .to_string()
    };
    let before = on_screen(&mut v);
    assert!(before.contains("impl fmt::Display"), "{before}");
    // The same review with the first file gone: same file, same line.
    let mut files = many_files().files.clone();
    files.remove(0);
    v.set_snapshot(snapshot(files.clone()));
    assert_eq!(selected_path(&mut v), "src/lib.rs");
    assert_eq!(on_screen(&mut v), before);
    // The hunk above accepted: the cursor stays on its line.
    let mut fewer = files.clone();
    fewer[1].diff.hunks.remove(0);
    v.set_snapshot(snapshot(fewer.clone()));
    assert_eq!(on_screen(&mut v), before);
    // The hunk under the cursor accepted: the cursor lands on the next one.
    v.set_snapshot(snapshot(files.clone()));
    press(&mut v, "gn");
    assert!(on_screen(&mut v).contains("@@ -2,8 +2,9 @@"));
    v.set_snapshot(snapshot(fewer));
    assert!(on_screen(&mut v).contains("@@ -18,6 +19,6 @@"));
    // The file accepted and gone: the list position is kept.
    files.remove(1);
    v.set_snapshot(snapshot(files));
    assert_eq!(selected_path(&mut v), "src/new_module.rs");
}

#[test]
fn search_finds_a_match_in_a_later_file_and_n_goes_on() {
    let mut v = viewer(many_files());
    assert_eq!(press(&mut v, "/"), ViewerAction::None);
    assert!(v.typing());
    type_text(&mut v, "hello");
    assert_eq!(v.handle_key(code(KeyCode::Enter)), ViewerAction::None);
    assert_eq!(selected_path(&mut v), "src/new_module.rs");
    let text = frame(&mut v, 100, 24);
    let cursor_line = text.lines().find(|l| l.contains('▌')).unwrap();
    assert!(cursor_line.contains("pub fn hello()"), "{cursor_line}");
    assert!(text.contains("search “hello”: n/N next/previous match"));
    press(&mut v, "n");
    let text = frame(&mut v, 100, 24);
    assert!(
        text.lines()
            .find(|l| l.contains('▌'))
            .unwrap()
            .contains("\"hello\"")
    );
    v.handle_key(code(KeyCode::Esc));
    assert!(!frame(&mut v, 100, 24).contains("search “hello”"));
    press(&mut v, "g");
    assert_eq!(press(&mut v, "n"), ViewerAction::None, "n is back to hunks");
    press(&mut v, "/");
    type_text(&mut v, "nowhere");
    assert_eq!(
        v.handle_key(code(KeyCode::Enter)),
        ViewerAction::Flash("no match for “nowhere”".into())
    );
}

#[test]
fn y_copies_the_hunk_as_a_patch_and_e_opens_the_editor_at_the_line() {
    let mut v = viewer(snapshot(vec![lib_rs()]));
    press(&mut v, "n");
    let ViewerAction::Copy(patch) = press(&mut v, "y") else {
        panic!("y copies");
    };
    assert!(patch.starts_with("diff --git a/src/lib.rs b/src/lib.rs\n"));
    assert!(patch.contains("@@ -2,8 +2,9 @@"));
    assert!(!patch.contains("write!"), "only the current hunk: {patch}");
    press(&mut v, "jjjj");
    assert_eq!(
        press(&mut v, "e"),
        ViewerAction::OpenEditor {
            path: "src/lib.rs".into(),
            line: 5
        }
    );
}

#[test]
fn toggles_whitespace_wrap_and_layout() {
    let long = format!("fn f() {{}}\nlet s = \"{}\";\n", "word ".repeat(40));
    let longer = format!("fn f() {{}}\nlet s = \"{}\";\n", "word ".repeat(41));
    let diff = diff_modified("src/x.rs", long.as_bytes(), longer.as_bytes(), &opts());
    let mut v = viewer(snapshot(vec![file(diff, vec![])]));
    assert_eq!(
        press(&mut v, "w"),
        ViewerAction::Recompute {
            ignore_whitespace: true
        }
    );
    assert!(frame(&mut v, 100, 24).contains("whitespace ignored"));
    assert_eq!(
        press(&mut v, "w"),
        ViewerAction::Recompute {
            ignore_whitespace: false
        }
    );
    let truncated = frame(&mut v, 100, 24);
    assert!(truncated.contains('…'));
    press(&mut v, "W");
    let wrapped = frame(&mut v, 100, 24);
    assert!(!wrapped.contains("word…"));
    assert!(
        wrapped.lines().filter(|l| l.contains("word word")).count() >= 4,
        "{wrapped}"
    );
    press(&mut v, "v");
    let side = frame(&mut v, 100, 24);
    assert!(
        side.lines()
            .filter(|l| l.matches("word word").count() >= 2)
            .count()
            >= 6,
        "{side}"
    );
}

#[test]
fn a_narrow_viewer_trades_the_list_for_file_i_of_n() {
    let mut v = viewer(many_files());
    press(&mut v, "JJ");
    let text = frame(&mut v, 60, 16);
    assert!(text.lines().next().unwrap().contains("file 3/5 src/lib.rs"));
    assert!(!text.contains("old/legacy.rs"));
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("j/k move"));
    assert!(!footer.contains("q close"), "hints shorten: {footer}");
}

#[test]
fn missing_final_newline_and_mixed_endings_are_marked() {
    let diff = diff_modified(
        "notes.txt",
        b"one\r\ntwo\nthree",
        b"one\r\ntwo\nthree!",
        &opts(),
    );
    let mut v = viewer(snapshot(vec![file(diff, vec![])]));
    let text = frame(&mut v, 100, 24);
    assert!(text.contains("one␍"), "{text}");
    assert_eq!(text.matches("\\ No newline at end of file").count(), 2);
    press(&mut v, "v");
    let text = frame(&mut v, 100, 24);
    let marker = text.lines().find(|l| l.contains("No newline")).unwrap();
    assert_eq!(marker.matches("No newline").count(), 2, "{marker}");
}

/// A 20,000-line Rust-like file with 2,000 changed spots.
pub(crate) fn big_file() -> ReviewFile {
    let mut old = String::new();
    let mut new = String::new();
    for i in 0..20_000 {
        let line = format!("    let value_{i} = compute({i}, \"text {i}\"); // step {i}\n");
        old.push_str(&line);
        if i % 10 == 5 {
            new.push_str(&format!(
                "    let value_{i} = compute_fast({i}, \"text {i}\");\n"
            ));
        } else {
            new.push_str(&line);
        }
    }
    file(
        diff_modified("src/big.rs", old.as_bytes(), new.as_bytes(), &opts()),
        vec![origin("run", 1)],
    )
}

#[test]
fn a_frame_highlights_only_the_hunks_it_shows() {
    let big = big_file();
    assert_eq!(big.diff.hunks.len(), 2_000);
    let mut v = viewer(snapshot(vec![big]));
    let theme = Theme::built_in("dark", ColorDepth::TrueColor).unwrap();
    let area = Rect::new(0, 0, 160, 48);
    let mut buf = Buffer::empty(area);
    v.render_buffer(area, &mut buf, &theme);
    let first = v.highlight.lines_highlighted;
    assert!(first > 0, "the visible hunks are coloured");
    assert!(first <= 200, "{first} lines highlighted for one screen");
    v.render_buffer(area, &mut buf, &theme);
    assert_eq!(v.highlight.lines_highlighted, first, "a redraw is cached");
    press(&mut v, "G");
    v.render_buffer(area, &mut buf, &theme);
    let second = v.highlight.lines_highlighted - first;
    assert!((1..=200).contains(&second), "{second} at the bottom");
    let coloured = (0..160)
        .filter_map(|x| buf[(x, 46)].style().fg)
        .collect::<std::collections::HashSet<_>>();
    assert!(coloured.len() >= 2, "syntax colours at the bottom");
}

#[test]
fn tiny_areas_and_odd_text_do_not_panic() {
    let old = "a\tb\nwide 漢字 line\nescape \x1b[2J here\n";
    let new = "a\tc\nwide 漢字 lines\nescape \x1b[2J there\n";
    let diff = diff_modified("weird name ✓.txt", old.as_bytes(), new.as_bytes(), &opts());
    let mut v = viewer(snapshot(vec![file(diff, vec![])]));
    for (w, h) in [(1, 1), (5, 3), (20, 4), (30, 6), (69, 10), (70, 10)] {
        for keys in ["", "v", "W", "G", "c"] {
            press(&mut v, keys);
            frame(&mut v, w, h);
            v.handle_key(code(KeyCode::Esc));
        }
    }
    press(&mut v, "g");
    let text = frame(&mut v, 100, 12);
    assert!(!text.contains('\u{1b}'), "escape sequences are dropped");
    assert!(text.contains("a    c"), "tabs are expanded: {text}");
    assert!(text.contains("漢字"));
}

#[path = "theme_tests.rs"]
mod theme_tests;
