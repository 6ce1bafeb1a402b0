//! From a `[providers.NAME]` definition to a ready client configuration:
//! base URL and key resolved from config and environment.

use std::time::Duration;

use super::Config;
use crate::provider::HttpClientConfig;

/// A provider that cannot be used as configured.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProviderConfigError {
    #[error(
        "unknown provider `{name}`; known providers: {known}. Define it under [providers.{name}] in config.toml."
    )]
    Unknown { name: String, known: String },
    #[error("provider `{name}` has no base URL: set `base_url` under [providers.{name}]{env_hint}")]
    NoBaseUrl { name: String, env_hint: String },
    #[error(
        "provider `{name}` needs an API key: set {env_key} (or point {base_env} at a server that needs none)"
    )]
    NoKey {
        name: String,
        env_key: String,
        base_env: String,
    },
}

/// Resolves provider `name` to a client configuration, reading the
/// environment through `env`.
///
/// A key is required only for the provider's official endpoint: a custom
/// base URL (a local model, a relay on loopback) may need none, and a wrong
/// guess there surfaces as a clear 401 naming the variable to set.
pub fn resolve(
    config: &Config,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HttpClientConfig, ProviderConfigError> {
    let def = config
        .providers
        .get(name)
        .ok_or_else(|| ProviderConfigError::Unknown {
            name: name.to_string(),
            known: known_providers(config),
        })?;
    let from_env = def.base_url_env.as_deref().and_then(env);
    let base_url = def
        .base_url
        .clone()
        .or(from_env.clone())
        .or(def.default_base_url.clone())
        .ok_or_else(|| ProviderConfigError::NoBaseUrl {
            name: name.to_string(),
            env_hint: def
                .base_url_env
                .as_ref()
                .map(|v| format!(" or the {v} environment variable"))
                .unwrap_or_default(),
        })?;
    let api_key = def.env_key.as_deref().and_then(env);
    let is_default_endpoint = def.base_url.is_none() && from_env.is_none();
    if api_key.is_none()
        && is_default_endpoint
        && let Some(env_key) = &def.env_key
    {
        return Err(ProviderConfigError::NoKey {
            name: name.to_string(),
            env_key: env_key.clone(),
            base_env: def
                .base_url_env
                .clone()
                .unwrap_or_else(|| "base_url".into()),
        });
    }
    Ok(HttpClientConfig {
        provider: name.to_string(),
        wire: def.wire,
        base_url,
        api_key,
        env_key: def.env_key.clone(),
        headers: def
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        max_retries: config.retry.max_retries,
        idle_timeout: Duration::from_secs(config.retry.idle_timeout_secs),
    })
}

/// The names of all configured providers plus `demo`, for messages.
pub fn known_providers(config: &Config) -> String {
    let mut names: Vec<&str> = config.providers.keys().map(String::as_str).collect();
    names.push("demo");
    names.join(", ")
}

/// Every environment variable that holds a provider key: these never reach
/// child processes.
pub fn key_vars(config: &Config) -> Vec<String> {
    let mut vars: Vec<String> = config
        .providers
        .values()
        .filter_map(|d| d.env_key.clone())
        .collect();
    vars.sort();
    vars.dedup();
    vars
}

/// The provider a headless run uses when none is named: the Run pane's
/// provider if it is usable, else the first built-in whose key or base URL is
/// set in the environment, else the Run pane's (whose error then says what
/// to set).
pub fn default_headless_provider(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> String {
    let preferred = config.panes.run.provider.clone();
    if resolve(config, &preferred, env).is_ok() {
        return preferred;
    }
    for name in ["openai", "anthropic"] {
        if resolve(config, name, env).is_ok() {
            return name.to_string();
        }
    }
    preferred
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_base_url_and_key_are_honoured() {
        let c = Config::defaults();
        let e = env(&[
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
            ("ANTHROPIC_API_KEY", "sk-test"),
        ]);
        let r = resolve(&c, "anthropic", &e).unwrap();
        assert_eq!(r.base_url, "http://127.0.0.1:9/");
        assert_eq!(r.api_key.as_deref(), Some("sk-test"));
        assert_eq!(r.env_key.as_deref(), Some("ANTHROPIC_API_KEY"));
    }

    #[test]
    fn official_endpoint_without_key_says_which_variable() {
        let c = Config::defaults();
        let err = resolve(&c, "openai", &env(&[])).unwrap_err().to_string();
        assert!(err.contains("OPENAI_API_KEY"), "{err}");
        let ok = resolve(
            &c,
            "openai",
            &env(&[("OPENAI_BASE_URL", "http://127.0.0.1:1")]),
        );
        assert!(ok.is_ok(), "a custom endpoint may need no key");
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let err = resolve(&Config::defaults(), "olama", &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("anthropic") && err.contains("demo"), "{err}");
    }

    #[test]
    fn headless_default_falls_back_to_a_provider_with_a_key() {
        let c = Config::defaults();
        assert_eq!(default_headless_provider(&c, &env(&[])), "openai");
        let e = env(&[("ANTHROPIC_API_KEY", "k")]);
        assert_eq!(default_headless_provider(&c, &e), "anthropic");
        assert_eq!(key_vars(&c), vec!["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
    }
}
