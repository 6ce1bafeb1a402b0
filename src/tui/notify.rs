//! Telling the user, who is looking at the other pane (or away from the
//! terminal), that a Run task ended or an approval waits: a bell, or an
//! OSC 9 desktop notification (iTerm2, WezTerm, Windows Terminal, foot,
//! kitty's compatibility mode) followed by a bell for terminals without it.

use crate::config::NotifyStyle;

/// The bytes that notify in `style`, or `None` for [`NotifyStyle::Off`].
/// Control characters are dropped from `message` so it cannot end the
/// escape sequence early or inject another one.
pub fn sequence(style: NotifyStyle, message: &str) -> Option<String> {
    let clean: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    match style {
        NotifyStyle::Bell => Some("\x07".to_string()),
        NotifyStyle::Osc9 => Some(format!("\x1b]9;{clean}\x07\x07")),
        NotifyStyle::Off => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::agent::{Event, Pane, TaskStatus};
    use crate::exec::ApprovalMode;
    use crate::provider::Usage;
    use crate::tui::app::{App, Effect, PaneSlot};
    use crate::tui::theme::{ColorDepth, Theme};

    fn notifications(app: &mut App) -> Vec<String> {
        app.take_effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Notify(message) => Some(message),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_user_is_told_only_about_the_pane_they_are_not_watching() {
        let slot = |pane| PaneSlot::new(pane, "demo".into(), "m".into(), ApprovalMode::Suggest);
        let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
        let mut app = App::new(slot(Pane::Chat), slot(Pane::Run), theme);
        let done = Event::TaskComplete {
            status: TaskStatus::Ok,
            turns: 2,
            total: Usage::default(),
            last_message: None,
        };
        let approval = Event::ApprovalRequest {
            id: "a".into(),
            name: "shell".into(),
            summary: "make".into(),
            input: serde_json::json!({"command": "make"}),
            reason: None,
            always: vec![],
        };
        app.focus = 0;
        app.on_session_event(1, &done);
        assert_eq!(notifications(&mut app), ["Tandem: Run task finished"]);
        app.on_session_event(0, &approval);
        assert!(notifications(&mut app).is_empty(), "Chat is in view");
        app.on_session_event(0, &done);
        assert!(
            notifications(&mut app).is_empty(),
            "Chat's answers need no bell"
        );
        app.focus = 1;
        app.on_session_event(1, &done);
        assert!(notifications(&mut app).is_empty(), "Run is in view");
        app.on_session_event(0, &approval);
        assert_eq!(
            notifications(&mut app),
            ["Tandem: Chat waits for your approval"]
        );
        app.viewer_focused = true;
        app.on_session_event(1, &approval);
        assert_eq!(
            notifications(&mut app).len(),
            1,
            "the diff viewer hides Run"
        );
    }

    #[test]
    fn osc9_carries_a_clean_message_and_a_bell_follows() {
        assert_eq!(
            sequence(NotifyStyle::Osc9, "Run: done\x1b]0;pwned\x07"),
            Some("\x1b]9;Run: done]0;pwned\x07\x07".to_string())
        );
        assert_eq!(sequence(NotifyStyle::Bell, "x"), Some("\x07".to_string()));
        assert_eq!(sequence(NotifyStyle::Off, "x"), None);
    }
}
