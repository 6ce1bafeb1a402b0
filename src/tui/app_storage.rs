//! Telling the user when Tandem cannot write what it keeps on disk: the
//! usage ledger (a full disk, a locked database) and the session's
//! transcript. Both keep working in memory, so nothing stops, but the user
//! must know that `tandem usage`, budgets across processes and `/resume`
//! are missing this session's records until it is fixed.

use super::app::App;
use super::history::NoticeKind;

/// What the app last said about each store, so a problem is told once
/// when it appears, and again only when it changes or clears.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StorageSeen {
    ledger: Option<String>,
    transcript: Option<String>,
}

impl App {
    /// The stores' current problems (`None`: writing fine); called on the
    /// UI's tick with what the meter and the transcript report.
    pub fn storage_problems(&mut self, ledger: Option<String>, transcript: Option<String>) {
        if ledger != self.storage_seen.ledger {
            let text = match &ledger {
                Some(problem) => format!(
                    "the usage ledger cannot be written (usage is kept in memory and written once it can be): {problem}"
                ),
                None => "the usage ledger is written again".to_string(),
            };
            self.tell_storage(text, ledger.is_some());
            self.storage_seen.ledger = ledger;
        }
        if transcript != self.storage_seen.transcript {
            let text = match &transcript {
                Some(problem) => format!(
                    "this session's transcript cannot be written, so /resume will miss what follows: {problem}"
                ),
                None => "the transcript is written again".to_string(),
            };
            self.tell_storage(text, transcript.is_some());
            self.storage_seen.transcript = transcript;
        }
    }

    fn tell_storage(&mut self, text: String, problem: bool) {
        let kind = if problem {
            NoticeKind::Warning
        } else {
            NoticeKind::Info
        };
        self.focused().history.push_notice(text, kind);
    }
}

#[cfg(test)]
mod tests {
    use crate::agent::Pane;
    use crate::exec::ApprovalMode;
    use crate::tui::app::{App, PaneSlot};
    use crate::tui::theme::{ColorDepth, Theme};

    #[test]
    fn a_store_problem_is_told_once_and_its_end_too() {
        let slot = |pane| PaneSlot::new(pane, "p".into(), "m".into(), ApprovalMode::Suggest);
        let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
        let mut app = App::new(slot(Pane::Chat), slot(Pane::Run), theme);
        let notices = |app: &App| app.panes[0].history.notice_texts().len();
        app.storage_problems(None, None);
        assert_eq!(notices(&app), 0, "nothing to say while all is written");
        let full = Some("No space left on device".to_string());
        app.storage_problems(full.clone(), None);
        app.storage_problems(full.clone(), None);
        assert_eq!(notices(&app), 1, "told once");
        assert!(
            app.panes[0]
                .history
                .last_notice_text()
                .unwrap()
                .contains("usage is kept in memory and written once it can be): No space left")
        );
        app.storage_problems(full, full_transcript());
        assert!(
            app.panes[0]
                .history
                .last_notice_text()
                .unwrap()
                .contains("/resume will miss what follows")
        );
        app.storage_problems(None, full_transcript());
        assert_eq!(
            app.panes[0].history.last_notice_text(),
            Some("the usage ledger is written again")
        );
        assert_eq!(notices(&app), 3);
    }

    fn full_transcript() -> Option<String> {
        Some("cannot append: No space left on device".into())
    }
}
