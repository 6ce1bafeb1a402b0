//! Headless front end: `tandem exec` (one task, no TUI) and `tandem demo
//! --headless` (the demo's story as text).
//!
//! It drives one Run-persona [`Session`](crate::agent::Session) and renders its events as text or
//! as JSON lines on stdout. Nobody can approve anything here, so calls that
//! need approval are refused with a message the model sees, and the run goes
//! on. The exit code says how the run ended ([`exit`]).

mod command;
pub mod demo;
mod demo_story;
pub mod doctor;
pub mod exit;
pub mod output;
pub mod run;

pub use run::{ExecOptions, run_exec};
