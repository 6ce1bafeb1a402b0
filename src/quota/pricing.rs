//! Prices of models and the cost of a call.
//!
//! The built-in table is assets/pricing.toml (USD per million tokens, with
//! the date the prices were taken); `[pricing."MODEL"]` in config.toml
//! overrides or extends it. A model with no price has no cost ("cost
//! unknown"): the meter never makes one up.

use serde::Deserialize;

use crate::provider::Usage;

/// USD per million tokens of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Uncached input.
    pub input: f64,
    /// Output (reasoning included).
    pub output: f64,
    /// Input read from the prompt cache (defaults to `input`).
    pub cache_read: Option<f64>,
    /// Input written to the prompt cache (defaults to `input`).
    pub cache_write: Option<f64>,
}

/// The prices in force.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    // Filled in by the implementation.
    _private: (),
}

impl PriceTable {
    /// The built-in table with `overrides` (model → price) from the config.
    pub fn new(overrides: &std::collections::BTreeMap<String, Price>) -> Self {
        let _ = overrides;
        todo!()
    }

    /// The date the built-in prices were taken (`2026-11-01`).
    pub fn as_of(&self) -> &str {
        todo!()
    }

    /// The price of `model` (exact name, else the longest listed prefix, so
    /// dated snapshots like `gpt-5-2025-08-07` find `gpt-5`).
    pub fn price(&self, model: &str) -> Option<Price> {
        let _ = model;
        todo!()
    }

    /// The cost of one call in USD; `None` when the model has no price.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let _ = (model, usage);
        todo!()
    }
}
