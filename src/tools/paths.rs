//! Resolving tool paths against the workspace (placeholder).
