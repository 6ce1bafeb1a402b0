//! The director: plays the story's steps from the event loop, at a human
//! pace, by feeding real key events to [`App::on_key`], and lets the
//! viewer's own keys control it.
//!
//! Time is passed in (`now`) rather than read, so the pacing, pausing and
//! skipping are tested with a made-up clock.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::script::{INTRO, Step};
use crate::tui::app::App;

/// Time between two steps at speed 1.
const STEP_MS: f64 = 1400.0;
/// Time between two typed characters at speed 1.
const CHAR_MS: f64 = 55.0;
/// How often a wait re-checks the workbench when nothing woke the loop.
const POLL: Duration = Duration::from_millis(200);
/// The speed range `+` and `-` move in.
const SPEEDS: (f64, f64) = (0.25, 100.0);

/// Where the demo is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Playing its steps.
    Playing,
    /// Paused by the viewer (Space).
    Paused,
    /// The story is over; the caption says so.
    Ended,
    /// The viewer took over (Esc, or a key after the end): keys work as usual.
    Stopped,
}

/// What the caption box shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// The key being pressed (`Alt-H`), empty for narration.
    pub keys: String,
    /// What it does, or the narration.
    pub text: String,
}

/// Plays a list of steps.
#[derive(Debug, Clone)]
pub struct Director {
    steps: Vec<Step>,
    /// The current step.
    at: usize,
    /// Characters typed of the current `Type` step.
    typed: usize,
    /// When the next action is due.
    due: Instant,
    speed: f64,
    state: State,
    caption: Caption,
}

impl Director {
    /// A director at the first of `steps`, at `speed` (1.0 is a human pace).
    pub fn new(steps: Vec<Step>, speed: f64, now: Instant) -> Self {
        Self {
            steps,
            at: 0,
            typed: 0,
            due: now,
            speed: speed.clamp(SPEEDS.0, SPEEDS.1),
            state: State::Playing,
            caption: Caption {
                keys: String::new(),
                text: INTRO.into(),
            },
        }
    }

    /// Where the demo is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The speed factor.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The caption to draw; `None` once the viewer took over.
    pub fn caption(&self) -> Option<&Caption> {
        (self.state != State::Stopped).then_some(&self.caption)
    }

    /// When the event loop should call [`Director::advance`] again
    /// (`None`: only on the viewer's keys).
    pub fn next_wake(&self) -> Option<Instant> {
        (self.state == State::Playing).then_some(self.due)
    }

    fn scaled(&self, ms: f64) -> Duration {
        Duration::from_secs_f64(ms / 1000.0 / self.speed)
    }

    /// Does whatever is due at `now`; returns whether anything changed (a
    /// key was fed or the caption moved on), so the screen is redrawn.
    pub fn advance(&mut self, app: &mut App, now: Instant) -> bool {
        let mut changed = false;
        while self.state == State::Playing && now >= self.due {
            let Some(step) = self.steps.get(self.at).cloned() else {
                self.state = State::Ended;
                break;
            };
            changed = true;
            match step {
                Step::Say(text) => {
                    self.caption = Caption {
                        keys: String::new(),
                        text: text.into(),
                    };
                    self.next(now, STEP_MS);
                }
                Step::Type { text, what } => {
                    self.caption = Caption {
                        keys: "typing".into(),
                        text: what.into(),
                    };
                    match text.chars().nth(self.typed) {
                        Some(c) => {
                            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
                            self.typed += 1;
                            self.due = now + self.scaled(CHAR_MS);
                        }
                        None => self.next(now, STEP_MS),
                    }
                }
                Step::Press { key, keys, what } => {
                    self.caption = Caption {
                        keys: keys.into(),
                        text: what.into(),
                    };
                    app.on_key(key);
                    self.next(now, STEP_MS);
                }
                Step::Wait(until) => {
                    if until.reached(app) {
                        self.next(now, STEP_MS / 2.0);
                    } else {
                        if self.caption.keys.is_empty() || self.caption.keys == "typing" {
                            self.caption.text = until.describe().into();
                            self.caption.keys.clear();
                        }
                        // Re-checked when the loop wakes, and at least this often.
                        self.due = now + POLL;
                        changed = false;
                    }
                }
                Step::Pause(ms) => self.next(now, ms as f64),
                Step::End(text) => {
                    self.caption = Caption {
                        keys: String::new(),
                        text: text.into(),
                    };
                    self.state = State::Ended;
                }
            }
        }
        changed
    }

    /// On to the next step, due `ms` (at speed 1) from `now`.
    fn next(&mut self, now: Instant, ms: f64) {
        self.at += 1;
        self.typed = 0;
        self.due = now + self.scaled(ms);
    }

    /// A key the viewer pressed: it controls the demo while it plays, and
    /// goes to the workbench once the viewer took over.
    pub fn user_key(&mut self, app: &mut App, key: KeyEvent, now: Instant) {
        if self.state == State::Stopped || app.overlay.is_some() {
            app.on_key(key);
            return;
        }
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if (plain && key.code == KeyCode::Char('q')) || ctrl_c {
            app.request_quit();
            return;
        }
        if self.state == State::Ended {
            // Exploring from here: the key is the viewer's first own one.
            self.state = State::Stopped;
            app.on_key(key);
            return;
        }
        match key.code {
            KeyCode::Char(' ') if plain => {
                self.state = match self.state {
                    State::Paused => {
                        self.due = self.due.max(now);
                        State::Playing
                    }
                    _ => State::Paused,
                };
            }
            KeyCode::Char('+' | '=') if plain => {
                self.speed = (self.speed * 1.5).min(SPEEDS.1);
            }
            KeyCode::Char('-') if plain => {
                self.speed = (self.speed / 1.5).max(SPEEDS.0);
            }
            KeyCode::Enter => self.skip(now),
            KeyCode::Esc => {
                self.state = State::Stopped;
                app.flash = Some((
                    "the demo stopped: the workbench is yours (? lists the keys)".into(),
                    now,
                ));
            }
            _ => {
                app.flash = Some((
                    "the demo is playing: Space pauses, Esc takes over, q quits".into(),
                    now,
                ));
            }
        }
    }

    /// Enter: ends the current wait or pause at once.
    fn skip(&mut self, now: Instant) {
        if matches!(
            self.steps.get(self.at),
            Some(Step::Wait(_) | Step::Pause(_))
        ) {
            self.at += 1;
            self.typed = 0;
        }
        self.due = now;
    }
}

#[cfg(test)]
#[path = "director_tests.rs"]
mod tests;
