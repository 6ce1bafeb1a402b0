//! `/theme [NAME]`: list the themes, or switch to one while Tandem runs.
//! Every cached line is drawn again in the new colours (the history and
//! the diff viewer key their caches on the theme).

use super::app::App;
use super::history::NoticeKind;
use super::picker::{PickCommand, PickRow, Picker};
use super::theme::Theme;

impl App {
    /// Lists the themes (the current one marked) or switches to `args`;
    /// a theme that cannot be used leaves the current one in place.
    pub(super) fn theme_command(&mut self, args: &str) {
        let dir = self.theme_dir.clone();
        let name = args.trim();
        if name.is_empty() {
            let names = Theme::names(dir.as_deref());
            let current = names.iter().position(|n| *n == self.theme.name);
            let rows = names
                .into_iter()
                .map(|n| PickRow {
                    cells: vec![
                        n.clone(),
                        if n == self.theme.name {
                            "current".into()
                        } else {
                            String::new()
                        },
                    ],
                    command: PickCommand::new("theme", n),
                    alternate: None,
                })
                .collect();
            let picker = Picker::new("themes", &["theme", ""], rows, "switches to it")
                .with_selected(current.unwrap_or(0));
            self.open_picker(picker);
            return;
        }
        let depth = self.theme.depth();
        let loaded = match &dir {
            Some(dir) => Theme::load(name, depth, dir),
            None => Theme::built_in(name, depth),
        };
        match loaded {
            Ok(theme) => {
                self.theme = theme;
                self.focused().history.push_notice(
                    format!("theme: {name} (set `theme = \"{name}\"` under [ui] to keep it)"),
                    NoticeKind::Info,
                );
            }
            Err(e) => self
                .focused()
                .history
                .push_notice(format!("/theme: {e}"), NoticeKind::Warning),
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use crate::agent::Pane;
    use crate::exec::ApprovalMode;
    use crate::tui::app::{App, PaneSlot};
    use crate::tui::theme::{ColorDepth, Theme};

    fn app() -> App {
        let slot = |pane| PaneSlot::new(pane, "demo".into(), "m".into(), ApprovalMode::Suggest);
        App::new(
            slot(Pane::Chat),
            slot(Pane::Run),
            Theme::built_in("dark", ColorDepth::TrueColor).unwrap(),
        )
    }

    #[test]
    fn theme_switches_live_and_a_bad_name_keeps_the_current_one() {
        let mut app = app();
        app.command("theme", "");
        let picker = app.picker.clone().expect("/theme opens the list");
        let rows: Vec<String> = picker.rows.iter().map(|r| r.cells.join(" ")).collect();
        assert!(rows.contains(&"dark current".to_string()), "{rows:?}");
        assert!(rows.iter().any(|r| r.starts_with("colorblind")), "{rows:?}");
        assert_eq!(
            rows[picker.selected], "dark current",
            "the current is selected"
        );
        // Typing narrows the list; Enter switches to the row.
        for c in "colorb".chars() {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(app.theme.name, "colorblind");
        assert!(app.picker.is_none() && app.overlay.is_none());
        app.command("theme", "solarized-dark");
        assert_eq!(app.theme.name, "solarized-dark");
        assert_eq!(app.theme.syntax, "Solarized (dark)");
        app.command("theme", "neon");
        assert_eq!(app.theme.name, "solarized-dark", "unchanged");
        let said = app.panes[0].history.last_notice_text().unwrap();
        assert!(said.contains("unknown theme `neon`"), "{said}");
    }
}
