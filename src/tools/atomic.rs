//! Atomic file writes (placeholder).
