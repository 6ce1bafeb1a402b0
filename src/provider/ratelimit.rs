//! Rate-limit header parsing (placeholder).
