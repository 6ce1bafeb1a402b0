//! paths (placeholder).
