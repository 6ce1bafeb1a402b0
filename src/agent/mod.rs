//! agent (placeholder).
