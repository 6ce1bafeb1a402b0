//! Prices of models and the cost of a call.
//!
//! The built-in table is assets/pricing.toml (USD per million tokens, with
//! the date the prices were taken); `[pricing."MODEL"]` in config.toml
//! overrides or extends it. A model with no price has no cost ("cost
//! unknown"): the meter never makes one up.

use std::collections::BTreeMap;

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

/// The built-in price list, USD per million tokens.
const BUILT_IN: &str = include_str!("../../assets/pricing.toml");

/// The shape of assets/pricing.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    as_of: String,
    models: BTreeMap<String, Price>,
}

/// The prices in force: the built-in list with the config's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    as_of: String,
    models: BTreeMap<String, Price>,
}

impl PriceTable {
    /// The built-in table with `overrides` (model → price) from the config.
    pub fn new(overrides: &BTreeMap<String, Price>) -> Self {
        // The file ships inside the binary; a unit test proves it parses.
        let file: PriceFile = toml::from_str(BUILT_IN).expect("assets/pricing.toml parses");
        let mut models = file.models;
        models.extend(overrides.iter().map(|(k, v)| (k.clone(), *v)));
        Self {
            as_of: file.as_of,
            models,
        }
    }

    /// The date the built-in prices were taken (`2026-11-01`).
    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    /// The price of `model` (exact name, else the longest listed prefix
    /// followed by `-`, so dated snapshots like `gpt-5-2025-08-07` find
    /// `gpt-5` but `gpt-5x` finds nothing).
    pub fn price(&self, model: &str) -> Option<Price> {
        if let Some(price) = self.models.get(model) {
            return Some(*price);
        }
        self.models
            .iter()
            .filter(|(name, _)| {
                model
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| *price)
    }

    /// The cost of one call in USD; `None` when the model has no price.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let p = self.price(model)?;
        let per_million = usage.input_tokens as f64 * p.input
            + usage.output_tokens as f64 * p.output
            + usage.cache_read_tokens as f64 * p.cache_read.unwrap_or(p.input)
            + usage.cache_write_tokens as f64 * p.cache_write.unwrap_or(p.input);
        Some(per_million / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, cache_read: u64, cache_write: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            reasoning_tokens: 0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn built_in_file_parses_and_lists_every_default_model() {
        let table = PriceTable::new(&BTreeMap::new());
        assert_eq!(table.as_of(), "2026-11-01");
        let config = crate::config::Config::defaults();
        for provider in config.providers.values() {
            for model in &provider.models {
                assert!(
                    table.price(&model.name).is_some(),
                    "{} has no built-in price",
                    model.name
                );
            }
        }
    }

    #[test]
    fn cost_counts_cache_tokens_at_their_own_prices() {
        let table = PriceTable::new(&BTreeMap::new());
        // Sonnet 4.5: 3 in, 15 out, 0.30 cache read, 3.75 cache write.
        let cost = table
            .cost(
                "claude-sonnet-4-5",
                &usage(1_000_000, 100_000, 2_000_000, 400_000),
            )
            .unwrap();
        assert!(close(cost, 3.0 + 1.5 + 0.6 + 1.5), "{cost}");
    }

    #[test]
    fn cache_prices_default_to_the_input_price() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "local-model".to_string(),
            Price {
                input: 2.0,
                output: 4.0,
                cache_read: None,
                cache_write: None,
            },
        );
        let table = PriceTable::new(&overrides);
        let cost = table
            .cost("local-model", &usage(1000, 1000, 1000, 1000))
            .unwrap();
        assert!(
            close(cost, (2000.0 + 4000.0 + 2000.0 + 2000.0) / 1e6),
            "{cost}"
        );
    }

    #[test]
    fn overrides_replace_built_in_prices() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "gpt-5".to_string(),
            Price {
                input: 1.0,
                output: 1.0,
                cache_read: Some(1.0),
                cache_write: Some(1.0),
            },
        );
        let table = PriceTable::new(&overrides);
        assert!(close(
            table.cost("gpt-5", &usage(1_000_000, 0, 0, 0)).unwrap(),
            1.0
        ));
    }

    #[test]
    fn dated_snapshots_use_the_longest_listed_prefix() {
        let table = PriceTable::new(&BTreeMap::new());
        assert_eq!(table.price("gpt-5-2025-08-07"), table.price("gpt-5"));
        assert_eq!(
            table.price("gpt-5-mini-2025-08-07"),
            table.price("gpt-5-mini")
        );
        assert_ne!(table.price("gpt-5-mini"), table.price("gpt-5"));
        assert_eq!(
            table.price("claude-sonnet-4-5-20250929"),
            table.price("claude-sonnet-4-5")
        );
    }

    #[test]
    fn unknown_models_have_no_price() {
        let table = PriceTable::new(&BTreeMap::new());
        assert_eq!(table.price("llama3.1:8b"), None);
        assert_eq!(table.price("gpt-5x"), None);
        assert_eq!(table.cost("qwen2.5-coder", &usage(10, 10, 0, 0)), None);
    }
}
