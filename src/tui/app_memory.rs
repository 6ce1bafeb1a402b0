//! Project instructions in the TUI: each pane keeps the instruction files
//! its session loaded ([`PaneMemory`], fed by
//! [`Event::InstructionsLoaded`](crate::agent::Event::InstructionsLoaded)),
//! cut or skipped files are announced in the pane as they load, `/memory`
//! lists them with where more can be added, and `/init` asks the agent to
//! write the repository's `AGENTS.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::app::App;
use super::history::NoticeKind;
use crate::agent::prompt::INIT_PROMPT;
use crate::config::instructions::{InstructionInfo, Level};

/// The instruction files one pane's session loaded, for `/memory`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaneMemory {
    /// The session's workspace (paths below it are shown relative).
    pub workspace: Option<PathBuf>,
    /// Every file loaded, in loading order (a file loaded again replaces
    /// its entry).
    pub files: Vec<InstructionInfo>,
    /// The paths looked at for user and project files.
    pub searched: Vec<PathBuf>,
}

impl PaneMemory {
    /// Folds one `InstructionsLoaded` event in. Returns the notices the
    /// pane shows now: every cut or skip note (the user must see them, not
    /// only the model) and, for subdirectory files, that they were loaded.
    pub fn add(
        &mut self,
        files: &[InstructionInfo],
        searched: &[PathBuf],
    ) -> Vec<(String, NoticeKind)> {
        if !searched.is_empty() {
            self.searched = searched.to_vec();
        }
        let mut notices = Vec::new();
        for file in files {
            if file.level == Level::Subdirectory && !file.skipped {
                notices.push((
                    format!(
                        "instructions loaded: {} ({})",
                        self.show(&file.path),
                        size(file.kept)
                    ),
                    NoticeKind::Info,
                ));
            }
            if let Some(note) = &file.note {
                notices.push((format!("instructions: {note}"), NoticeKind::Warning));
            }
            match self.files.iter_mut().find(|f| f.path == file.path) {
                Some(old) => *old = file.clone(),
                None => self.files.push(file.clone()),
            }
        }
        notices
    }

    /// A path as `/memory` shows it: workspace-relative below the
    /// workspace, `~/…` in the home directory, else absolute.
    fn show(&self, path: &Path) -> String {
        if let Some(ws) = &self.workspace
            && let Ok(rel) = path.strip_prefix(ws)
            && !rel.as_os_str().is_empty()
        {
            return rel.display().to_string();
        }
        tilde(path)
    }

    /// The text `/memory` shows for pane `label`.
    pub fn text(&self, label: &str) -> String {
        let mut out = String::new();
        if self.files.is_empty() {
            out.push_str(&format!("no instruction files loaded in {label}\n"));
        } else {
            let total: usize = self.files.iter().map(|f| f.kept).sum();
            out.push_str(&format!(
                "instruction files loaded in {label} ({} files, {} sent to the model):\n",
                self.files.len(),
                size(total)
            ));
        }
        for file in &self.files {
            let state = if file.skipped {
                format!("{}, skipped", size(file.bytes))
            } else if file.truncated {
                format!("{}, cut to {}", size(file.bytes), size(file.kept))
            } else {
                size(file.bytes)
            };
            out.push_str(&format!(
                "  {:<12}  {} · {state}\n",
                file.level.as_str(),
                self.show(&file.path)
            ));
            for import in &file.imports {
                out.push_str(&format!("                imports {}\n", self.show(import)));
            }
            if let Some(note) = &file.note {
                out.push_str(&format!("                {note}\n"));
            }
        }
        if !self.searched.is_empty() {
            out.push_str("where to add one (the paths looked at):\n");
            for (dir, names) in by_dir(&self.searched) {
                out.push_str(&format!("  {}/: {}\n", tilde(&dir), names.join(", ")));
            }
            out.push_str(
                "  any folder below the workspace: the same names, read when an agent first works there\n",
            );
        }
        out.push_str("/init asks the agent to write AGENTS.md for this repository");
        out
    }
}

/// The searched paths grouped by directory, directories in first-seen
/// order.
fn by_dir(paths: &[PathBuf]) -> Vec<(PathBuf, Vec<String>)> {
    let mut order: Vec<PathBuf> = Vec::new();
    let mut names: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for path in paths {
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names.contains_key(&dir) {
            order.push(dir.clone());
        }
        names.entry(dir).or_default().push(name);
    }
    order
        .into_iter()
        .map(|dir| {
            let list = names.remove(&dir).unwrap_or_default();
            (dir, list)
        })
        .collect()
}

/// `path` with the home directory shown as `~`.
fn tilde(path: &Path) -> String {
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if !home.as_os_str().is_empty() => match path.strip_prefix(&home) {
            Ok(rel) if rel.as_os_str().is_empty() => "~".into(),
            Ok(rel) => format!("~/{}", rel.display()),
            Err(_) => path.display().to_string(),
        },
        _ => path.display().to_string(),
    }
}

/// "812 B", "12.3 KB".
fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

impl App {
    /// `/memory`: the focused pane's instruction files, in its history.
    pub(super) fn memory_command(&mut self) {
        let pane = self.focused();
        let text = pane.memory.text(pane.label());
        pane.history.push_notice(text, NoticeKind::Info);
    }

    /// `/init`: asks the focused pane's agent to write (or update) the
    /// repository's `AGENTS.md`.
    pub(super) fn init_command(&mut self) {
        let focus = self.focus;
        if self.submit_to(focus, INIT_PROMPT.to_string()) {
            self.focused().history.push_notice(
                "/init: the agent explores the repository and writes AGENTS.md at its root",
                NoticeKind::Info,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, level: Level, bytes: usize, kept: usize) -> InstructionInfo {
        InstructionInfo {
            path: PathBuf::from(path),
            level,
            bytes,
            kept,
            truncated: kept < bytes,
            skipped: false,
            imports: Vec::new(),
            note: None,
        }
    }

    fn memory() -> PaneMemory {
        let mut memory = PaneMemory {
            workspace: Some(PathBuf::from("/repo")),
            ..PaneMemory::default()
        };
        let mut claude = info("/repo/CLAUDE.md", Level::Project, 200_000, 65_536);
        claude.imports = vec![PathBuf::from("/repo/docs/style.md")];
        claude.note = Some(
            "[cut: CLAUDE.md is 200000 bytes with its imports; the first 65536 are kept — raise [instructions] max_file_bytes]"
                .into(),
        );
        let mut skipped = info("/repo/sub/AGENTS.md", Level::Subdirectory, 300, 0);
        skipped.truncated = false;
        skipped.skipped = true;
        skipped.note = Some("[skipped: sub/AGENTS.md (300 bytes) — …]".into());
        let start = memory.add(
            &[info("/etc/tandem/AGENTS.md", Level::User, 812, 812), claude],
            &[
                PathBuf::from("/etc/tandem/AGENTS.md"),
                PathBuf::from("/etc/tandem/CLAUDE.md"),
                PathBuf::from("/repo/AGENTS.md"),
                PathBuf::from("/repo/CLAUDE.md"),
            ],
        );
        assert_eq!(start.len(), 1, "the cut note is shown: {start:?}");
        assert_eq!(start[0].1, NoticeKind::Warning);
        assert!(start[0].0.contains("[cut: CLAUDE.md is 200000 bytes"));
        let later = memory.add(
            &[
                info("/repo/lib/AGENTS.md", Level::Subdirectory, 120, 120),
                skipped,
            ],
            &[],
        );
        assert_eq!(
            later,
            [
                (
                    "instructions loaded: lib/AGENTS.md (120 B)".to_string(),
                    NoticeKind::Info
                ),
                (
                    "instructions: [skipped: sub/AGENTS.md (300 bytes) — …]".to_string(),
                    NoticeKind::Warning
                ),
            ]
        );
        memory
    }

    #[test]
    fn memory_lists_levels_sizes_notes_imports_and_where_to_add() {
        let text = memory().text("Chat");
        let expected = "\
instruction files loaded in Chat (4 files, 64.9 KB sent to the model):
  user          /etc/tandem/AGENTS.md · 812 B
  project       CLAUDE.md · 195.3 KB, cut to 64.0 KB
                imports docs/style.md
                [cut: CLAUDE.md is 200000 bytes with its imports; the first 65536 are kept — raise [instructions] max_file_bytes]
  subdirectory  lib/AGENTS.md · 120 B
  subdirectory  sub/AGENTS.md · 300 B, skipped
                [skipped: sub/AGENTS.md (300 bytes) — …]
where to add one (the paths looked at):
  /etc/tandem/: AGENTS.md, CLAUDE.md
  /repo/: AGENTS.md, CLAUDE.md
  any folder below the workspace: the same names, read when an agent first works there
/init asks the agent to write AGENTS.md for this repository";
        assert_eq!(text, expected);
    }

    fn app() -> (App, tokio::sync::mpsc::UnboundedReceiver<crate::agent::Op>) {
        use crate::agent::Pane;
        use crate::exec::ApprovalMode;
        use crate::tui::app::PaneSlot;
        use crate::tui::theme::{ColorDepth, Theme};
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut chat = PaneSlot::new(Pane::Chat, "p".into(), "m".into(), ApprovalMode::Suggest);
        chat.ops = Some(tx);
        let run = PaneSlot::new(Pane::Run, "p".into(), "m".into(), ApprovalMode::FullAuto);
        let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
        (App::new(chat, run, theme), rx)
    }

    /// The pane's history as drawn, one string per row.
    fn screen(app: &mut App) -> String {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let area = Rect::new(0, 0, 160, 40);
        let mut buf = Buffer::empty(area);
        let theme = app.theme.clone();
        app.panes[0].history.render(area, &mut buf, &theme);
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn memory_shows_what_the_session_reported_and_init_sends_the_prompt() {
        let (mut app, mut ops) = app();
        let mut cut = info("/repo/AGENTS.md", Level::Project, 9000, 4096);
        cut.note = Some("[cut: AGENTS.md is 9000 bytes; the first 4096 are kept — raise [instructions] max_file_bytes]".into());
        app.on_session_event(
            0,
            &crate::agent::Event::InstructionsLoaded {
                files: vec![cut],
                searched: vec![PathBuf::from("/repo/CLAUDE.md")],
            },
        );
        assert!(
            screen(&mut app)
                .contains("! instructions: [cut: AGENTS.md is 9000 bytes; the first 4096 are kept"),
            "the cut is announced as it loads"
        );
        app.command("memory", "");
        let shown = screen(&mut app);
        assert!(
            shown.contains("project       /repo/AGENTS.md · 8.8 KB, cut to 4.0 KB"),
            "{shown}"
        );
        assert!(shown.contains("/repo/: CLAUDE.md"), "{shown}");
        app.command("init", "");
        assert_eq!(
            ops.try_recv().unwrap(),
            crate::agent::Op::UserMessage(INIT_PROMPT.to_string())
        );
    }

    #[test]
    fn a_reloaded_file_replaces_its_entry_and_nothing_loaded_says_so() {
        let mut memory = memory();
        memory.add(
            &[info("/repo/lib/AGENTS.md", Level::Subdirectory, 150, 150)],
            &[],
        );
        assert_eq!(memory.files.len(), 4);
        assert!(memory.text("Run").contains("lib/AGENTS.md · 150 B"));
        let empty = PaneMemory::default().text("Run");
        assert_eq!(
            empty,
            "no instruction files loaded in Run\n/init asks the agent to write AGENTS.md for this repository"
        );
    }
}
