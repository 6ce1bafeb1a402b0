//! The demo's story as steps: what the director types and presses, and
//! what it waits for. Every key here goes through `App::on_key`, the path a
//! user's keys take, and each one is captioned so the viewer learns it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::app::App;

/// A state of the workbench the story waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Chat has finished this many tasks (and runs none).
    ChatDone(u32),
    /// Run has finished this many tasks (and runs none).
    RunDone(u32),
    /// The diff viewer has the screen and shows at least one file.
    ViewerShowsFiles,
}

impl Until {
    /// Whether `app` has reached this state.
    pub fn reached(self, app: &App) -> bool {
        let done = |index: usize, tasks: u32| {
            let pane = &app.panes[index];
            pane.tasks >= tasks && !pane.busy
        };
        match self {
            Until::ChatDone(tasks) => done(0, tasks),
            Until::RunDone(tasks) => done(1, tasks),
            Until::ViewerShowsFiles => app.viewer_focused && app.viewer.shown_files() > 0,
        }
    }

    /// What the caption says while waiting.
    pub fn describe(self) -> &'static str {
        match self {
            Until::ChatDone(_) => "waiting for Chat to answer",
            Until::RunDone(_) => "waiting for Run to finish its task",
            Until::ViewerShowsFiles => "waiting for the diff viewer",
        }
    }
}

/// One step of the story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Show a narration caption.
    Say(&'static str),
    /// Type `text` into the focused composer, one key per character.
    Type {
        text: &'static str,
        /// What the caption says it is.
        what: &'static str,
    },
    /// Press `key`; the caption shows `keys` (its name) and `what` it does.
    Press {
        key: KeyEvent,
        keys: &'static str,
        what: &'static str,
    },
    /// Wait until the workbench reaches a state.
    Wait(Until),
    /// Wait this many milliseconds (at speed 1).
    Pause(u64),
    /// The story is over: say so and hand the workbench over.
    End(&'static str),
}

fn press(code: KeyCode, modifiers: KeyModifiers, keys: &'static str, what: &'static str) -> Step {
    Step::Press {
        key: KeyEvent::new(code, modifiers),
        keys,
        what,
    }
}

/// The first caption: what the demo is and which keys control it.
pub const INTRO: &str = "This is the Tandem demo: two scripted models (no key, no network) work on a throwaway copy of a small project. Chat (left) talks and plans; Run (right) works on its own.";

/// The whole story, in order.
pub fn story() -> Vec<Step> {
    use KeyCode::{Char, Enter, Tab};
    let none = KeyModifiers::NONE;
    vec![
        Step::Say(INTRO),
        Step::Pause(4000),
        Step::Type {
            text: crate::headless::demo::CHAT_PROMPT,
            what: "a request to Chat",
        },
        press(Enter, none, "Enter", "send the message to Chat"),
        Step::Wait(Until::ChatDone(1)),
        Step::Say(
            "Chat read the code, found two bugs and proposed a plan. It asks: shall I hand this to Run? Yes:",
        ),
        Step::Pause(3500),
        press(
            Char('h'),
            KeyModifiers::ALT,
            "Alt-H",
            "hand Chat's plan to Run (same as /handoff)",
        ),
        Step::Wait(Until::RunDone(1)),
        Step::Say(
            "Run ran the tests (they failed), patched two files in the sandbox and ran them again: they pass.",
        ),
        Step::Pause(3500),
        press(
            Char('g'),
            KeyModifiers::CONTROL,
            "Ctrl-G",
            "open the diff viewer on Run's changes",
        ),
        Step::Wait(Until::ViewerShowsFiles),
        Step::Pause(2500),
        press(Char('n'), none, "n", "next hunk"),
        Step::Pause(1500),
        press(Char(']'), none, "]", "next file"),
        Step::Pause(2500),
        press(Char('q'), none, "q", "close the viewer"),
        press(Tab, none, "Tab", "move to the Chat pane"),
        Step::Type {
            text: "/review",
            what: "the /review command",
        },
        press(
            Enter,
            none,
            "Enter",
            "/review sends Run's diff to Chat for findings",
        ),
        Step::Wait(Until::ChatDone(2)),
        Step::Pause(2000),
        Step::End(
            "That is the story: Chat planned, Run fixed and tested, you looked at the diff, Chat reviewed it. Press q to quit, or any other key to keep exploring (? lists the keys).",
        ),
    ]
}
