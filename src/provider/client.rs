//! The HTTP driver shared by all wire protocols (placeholder).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{ModelClient, ModelRequest, ModelStream, Wire};

/// Where and how to reach one provider.
#[derive(Debug, Clone)]
pub struct HttpClientConfig {
    /// Provider name for messages (`anthropic`, `my-relay`, ...).
    pub provider: String,
    pub wire: Wire,
    /// Base URL, with or without a trailing `/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// The env var the key should come from, named in 401 messages.
    pub env_key: Option<String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// No byte for this long ends the attempt.
    pub idle_timeout: std::time::Duration,
}

/// A [`ModelClient`] over HTTP for any [`Wire`].
#[derive(Clone)]
pub struct HttpModelClient {
    config: Arc<HttpClientConfig>,
}

impl HttpModelClient {
    /// Builds a client; no connection is made until the first call.
    pub fn new(config: HttpClientConfig) -> anyhow::Result<Self> {
        Ok(Self {
            config: Arc::new(config),
        })
    }
}

impl ModelClient for HttpModelClient {
    fn provider_name(&self) -> &str {
        &self.config.provider
    }

    fn stream(&self, _request: ModelRequest, _cancel: CancellationToken) -> ModelStream {
        let (_tx, rx) = tokio::sync::mpsc::channel(64);
        rx
    }
}
