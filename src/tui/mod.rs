//! The full-screen front end: two panes (Chat and Run), each driving one
//! [`crate::agent::Session`], a composer, a status bar and overlays.
//!
//! It only sends `Op`s and renders `Event`s; everything it draws comes from
//! its own state through pure render functions, so frames can be snapshot-
//! tested with ratatui's `TestBackend` and benchmarked alone.

pub mod composer;
pub mod markdown;
pub mod theme;
