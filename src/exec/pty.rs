//! PTY processes (placeholder).
