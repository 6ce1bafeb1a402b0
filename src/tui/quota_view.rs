//! The quota view (in progress).
