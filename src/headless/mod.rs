//! headless (placeholder).
