//! The metering proxy for hosted terminal agents (Claude Code, Codex CLI, or
//! any program that speaks the Anthropic or OpenAI API).
//!
//! A hosted program's model calls bypass Tandem's own client, so without
//! help they would be invisible to the quota meter and unbounded by the
//! budget. The proxy fixes that: it listens on `127.0.0.1`, the pane points
//! the program at it through `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`
//! ([`env_for`]), and every request is forwarded unchanged to the configured
//! upstream provider while the response is streamed back byte for byte.
//! On the way through, the usage in the response (SSE or JSON) and the
//! rate-limit headers are read and recorded in the shared [`Meter`] under the
//! pane's name, exactly as Tandem's own sessions record theirs.
//!
//! - A random token (128 bits) is the first path segment of every URL, so
//!   other local users and programs cannot spend through the proxy.
//! - When the upstream provider has a key configured, the proxy puts it on
//!   the request itself: the hosted program is given a placeholder and never
//!   holds the real key. Without one, the program's own credentials (a
//!   Claude subscription login, say) pass through unchanged.
//! - When a budget is spent, model calls are refused with a 429 in the
//!   provider's own error shape, so the hosted program shows the reason.
//!
//! Files: `server` (listening, token and routing), `forward` (the upstream
//! request and the streamed response), `usage` (reading usage out of the
//! bytes passing through), `refuse` (the proxy's own error answers).

mod forward;
mod refuse;
mod server;
mod usage;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::config::providers::{self, ProviderConfigError};
use crate::provider::HttpClientConfig;
use crate::quota::Meter;

/// The placeholder key given to a hosted program when the proxy injects the
/// real one: SDKs refuse to start without some key, and this one is worth
/// nothing anywhere else.
pub const PLACEHOLDER_KEY: &str = "tandem-proxy";

/// The two API families the proxy serves, each under its own URL prefix
/// (`/TOKEN/anthropic`, `/TOKEN/openai`) and forwarded to its own upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The Anthropic Messages API (Claude Code).
    Anthropic,
    /// The OpenAI Responses and Chat Completions APIs (Codex and others).
    OpenAi,
}

impl Family {
    /// The URL segment after the token.
    pub fn segment(self) -> &'static str {
        match self {
            Family::Anthropic => "anthropic",
            Family::OpenAi => "openai",
        }
    }

    fn from_segment(segment: &str) -> Option<Family> {
        match segment {
            "anthropic" => Some(Family::Anthropic),
            "openai" => Some(Family::OpenAi),
            _ => None,
        }
    }
}

/// Which kind of program a pane hosts, deciding which base-URL variables
/// [`env_for`] sets for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// Claude Code: speaks the Anthropic API.
    Claude,
    /// Codex CLI: speaks the OpenAI API.
    Codex,
    /// Any other program: it gets both families' variables.
    Other,
}

/// Where the proxy forwards each family, resolved from `[providers]`.
#[derive(Debug, Clone)]
pub struct Upstreams {
    /// The provider Anthropic-style requests go to.
    pub anthropic: HttpClientConfig,
    /// The provider OpenAI-style requests go to.
    pub openai: HttpClientConfig,
}

/// One upstream, prepared once: its base URL, the auth header the proxy
/// puts on requests (when a key is configured) and the provider's extra
/// headers.
#[derive(Debug)]
struct Upstream {
    provider: String,
    base_url: String,
    auth: Option<(HeaderName, HeaderValue)>,
    extra: HeaderMap,
}

impl Upstream {
    fn new(family: Family, config: &HttpClientConfig) -> io::Result<Upstream> {
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let auth = match config.api_key.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => {
                let (name, value) = match family {
                    Family::Anthropic => ("x-api-key", key.to_string()),
                    Family::OpenAi => ("authorization", format!("Bearer {key}")),
                };
                let mut value = HeaderValue::from_str(&value).map_err(|_| {
                    invalid(format!(
                        "the API key for provider `{}` contains characters not allowed in an HTTP header",
                        config.provider
                    ))
                })?;
                value.set_sensitive(true);
                Some((HeaderName::from_static(name), value))
            }
        };
        let mut extra = HeaderMap::new();
        for (name, value) in &config.headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                invalid(format!(
                    "provider `{}`: invalid HTTP header name {name:?} in its headers",
                    config.provider
                ))
            })?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                invalid(format!(
                    "provider `{}`: header `{name}` has a value not allowed in HTTP",
                    config.provider
                ))
            })?;
            value.set_sensitive(true);
            extra.insert(header, value);
        }
        Ok(Upstream {
            provider: config.provider.clone(),
            base_url: config.base_url.clone(),
            auth,
            extra,
        })
    }
}

/// What every connection of one proxy shares.
struct Shared {
    token: String,
    anthropic: Upstream,
    openai: Upstream,
    meter: Option<Arc<Meter>>,
    pane: String,
    http: reqwest::Client,
}

impl Shared {
    fn upstream(&self, family: Family) -> &Upstream {
        match family {
            Family::Anthropic => &self.anthropic,
            Family::OpenAi => &self.openai,
        }
    }
}

/// A running metering proxy on `127.0.0.1`. Dropping it (or
/// [`MeteringProxy::shutdown`]) stops the server and every open stream.
pub struct MeteringProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MeteringProxy {
    /// Binds `127.0.0.1:0` with a fresh random token and starts serving on
    /// the current tokio runtime. Usage is recorded in `meter` (when given)
    /// under `pane`.
    ///
    /// Fails when called outside a tokio runtime, when the port cannot be
    /// bound, or when a configured key or header is not valid in HTTP.
    pub fn start(
        upstreams: Upstreams,
        meter: Option<Arc<Meter>>,
        pane: &str,
    ) -> io::Result<MeteringProxy> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            io::Error::other("the metering proxy must be started inside a tokio runtime")
        })?;
        // reqwest is built without a default crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(forward::CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(io::Error::other)?;
        let shared = Arc::new(Shared {
            token: new_token(),
            anthropic: Upstream::new(Family::Anthropic, &upstreams.anthropic)?,
            openai: Upstream::new(Family::OpenAi, &upstreams.openai)?,
            meter,
            pane: pane.to_string(),
            http,
        });
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let task = runtime.spawn(server::accept_loop(listener, shared.clone()));
        tracing::info!(%addr, pane, "metering proxy started");
        Ok(MeteringProxy { addr, shared, task })
    }

    /// The URL a hosted program uses as its base URL for `family`:
    /// `http://127.0.0.1:PORT/TOKEN/anthropic` for `ANTHROPIC_BASE_URL`
    /// (the Anthropic SDK appends `/v1/messages`), and
    /// `http://127.0.0.1:PORT/TOKEN/openai/v1` for `OPENAI_BASE_URL` (the
    /// OpenAI SDKs and Codex expect `/v1` in it and append `/responses`).
    pub fn base_url(&self, family: Family) -> String {
        let root = format!(
            "http://{}/{}/{}",
            self.addr,
            self.shared.token,
            family.segment()
        );
        match family {
            Family::Anthropic => root,
            Family::OpenAi => format!("{root}/v1"),
        }
    }

    /// Whether the proxy puts a configured key on `family`'s requests (then
    /// the hosted program only needs [`PLACEHOLDER_KEY`]).
    pub fn injects_key(&self, family: Family) -> bool {
        self.shared.upstream(family).auth.is_some()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server now (the same as dropping it).
    pub fn shutdown(self) {}
}

impl std::fmt::Debug for MeteringProxy {
    /// The address and pane only: the token is a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeteringProxy")
            .field("addr", &self.addr)
            .field("pane", &self.shared.pane)
            .finish_non_exhaustive()
    }
}

impl Drop for MeteringProxy {
    fn drop(&mut self) {
        // The accept loop owns every connection in a JoinSet: aborting it
        // drops them, and with them the upstream streams.
        self.task.abort();
        tracing::info!(addr = %self.addr, "metering proxy stopped");
    }
}

/// The environment a hosted program of `kind` needs to go through `proxy`:
/// its base URL variables, plus, for each family whose real key the proxy
/// injects, the placeholder key (so the program starts without asking for
/// one). Without injection no key variable is set, so the program's own
/// login is used and passed through.
pub fn env_for(kind: HostKind, proxy: &MeteringProxy) -> Vec<(String, String)> {
    let families: &[Family] = match kind {
        HostKind::Claude => &[Family::Anthropic],
        HostKind::Codex => &[Family::OpenAi],
        HostKind::Other => &[Family::Anthropic, Family::OpenAi],
    };
    let mut vars = Vec::new();
    for &family in families {
        let (base, key) = match family {
            Family::Anthropic => ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
            Family::OpenAi => ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
        };
        vars.push((base.to_string(), proxy.base_url(family)));
        if proxy.injects_key(family) {
            vars.push((key.to_string(), PLACEHOLDER_KEY.to_string()));
        }
    }
    vars
}

/// Starts a proxy forwarding to the providers named by `config.host`
/// (`anthropic_upstream`, `openai_upstream`), reading keys and base URLs
/// through `env`. A provider without a key is fine: the hosted program's
/// own credentials then pass through. Whether to proxy at all
/// (`config.host.proxy`) is the caller's decision.
pub fn start_for_config(
    config: &Config,
    meter: Option<Arc<Meter>>,
    pane: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<MeteringProxy> {
    let anthropic = resolve_upstream(config, &config.host.anthropic_upstream, env)
        .context("[host] anthropic_upstream")?;
    let openai = resolve_upstream(config, &config.host.openai_upstream, env)
        .context("[host] openai_upstream")?;
    MeteringProxy::start(Upstreams { anthropic, openai }, meter, pane)
        .context("cannot start the metering proxy for the hosted program")
}

/// Resolves `name` like a session would, except that a missing key on the
/// official endpoint is no error here: the proxy then injects nothing.
fn resolve_upstream(
    config: &Config,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HttpClientConfig, ProviderConfigError> {
    match providers::resolve(config, name, env) {
        Err(ProviderConfigError::NoKey { env_key, .. }) => {
            // Resolve again as if the variable held an (empty) key, which
            // is then dropped: only the key was missing.
            let with_empty_key = |var: &str| {
                if var == env_key {
                    Some(String::new())
                } else {
                    env(var)
                }
            };
            let mut resolved = providers::resolve(config, name, &with_empty_key)?;
            resolved.api_key = None;
            Ok(resolved)
        }
        other => other.map(|mut resolved| {
            resolved.api_key = resolved.api_key.filter(|k| !k.is_empty());
            resolved
        }),
    }
}

/// 128 random bits as hex, from the OS's random source; `fastrand` only if
/// that cannot be read.
fn new_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if from_os.is_err() {
        let mut rng = fastrand::Rng::new();
        bytes[..8].copy_from_slice(&rng.u64(..).to_le_bytes());
        bytes[8..].copy_from_slice(&rng.u64(..).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starting_outside_a_runtime_is_a_clear_error() {
        let config = Config::defaults();
        let none = |_: &str| None;
        let upstreams = Upstreams {
            anthropic: resolve_upstream(&config, "anthropic", &none).unwrap(),
            openai: resolve_upstream(&config, "openai", &none).unwrap(),
        };
        let err = MeteringProxy::start(upstreams, None, "chat").unwrap_err();
        assert!(err.to_string().contains("tokio runtime"), "{err}");
    }

    #[test]
    fn tokens_are_long_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_missing_key_on_the_official_endpoint_is_fine_for_the_proxy() {
        let config = Config::defaults();
        let none = |_: &str| None;
        let resolved = resolve_upstream(&config, "anthropic", &none).unwrap();
        assert_eq!(resolved.api_key, None);
        assert!(resolved.base_url.contains("anthropic.com"), "{resolved:?}");
        let keyed = |v: &str| (v == "OPENAI_API_KEY").then(|| "sk-1".to_string());
        let resolved = resolve_upstream(&config, "openai", &keyed).unwrap();
        assert_eq!(resolved.api_key.as_deref(), Some("sk-1"));
        let err = resolve_upstream(&config, "nope", &none).unwrap_err();
        assert!(err.to_string().contains("unknown provider"), "{err}");
    }
}
