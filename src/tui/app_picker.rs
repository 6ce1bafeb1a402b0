//! Opening a list to choose from and handling its keys; the lists
//! themselves are built next to their commands (`/resume`, `/runs`,
//! `/rewind`, `/theme`).

use crossterm::event::KeyEvent;

use super::app::{App, Overlay};
use super::picker::{PickOutcome, Picker};

impl App {
    /// Shows `picker` over the panes; it has the keyboard until a row is
    /// chosen or it is closed.
    pub(super) fn open_picker(&mut self, picker: Picker) {
        self.picker = Some(picker);
        self.overlay = Some(Overlay::Picker);
    }

    /// A key while a list is open: a choice runs its slash command, as if
    /// typed in the focused pane.
    pub(super) fn picker_key(&mut self, key: &KeyEvent) {
        let Some(picker) = self.picker.as_mut() else {
            self.overlay = None;
            return;
        };
        match picker.on_key(key) {
            PickOutcome::Open => {}
            PickOutcome::Closed => self.close_picker(),
            PickOutcome::Chosen(command) => {
                self.close_picker();
                self.command(&command.name, &command.args);
            }
        }
    }

    fn close_picker(&mut self) {
        self.picker = None;
        self.overlay = None;
    }
}
