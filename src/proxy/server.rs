//! Listening on loopback: one hyper HTTP/1 connection task per client, the
//! token check and the family routing before anything is forwarded.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::forward::{self, ProxyBody};
use super::{Family, Shared, refuse};

/// Accepts connections until the task is aborted (which drops, and so
/// closes, every connection it holds).
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of descriptors and the like: wait, don't spin.
                        tracing::warn!(error = %e, "metering proxy: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), req));
                    // A client hanging up mid-stream is an expected outcome.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Checks the token, finds the family and hands the rest of the path to
/// the forwarder. Nothing without the right token leaves the machine.
async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<hyper::Response<ProxyBody>, Infallible> {
    let path = req.uri().path().to_string();
    let Some((token, family, rest)) = split_path(&path) else {
        return Ok(refuse::bad_token());
    };
    if !same_secret(token, &shared.token) {
        tracing::warn!("metering proxy: refused a request without the right token");
        return Ok(refuse::bad_token());
    }
    let Some(family) = Family::from_segment(family) else {
        return Ok(refuse::unknown_family(family));
    };
    let rest = rest.to_string();
    Ok(forward::forward(&shared, family, &rest, req).await)
}

/// `/TOKEN/FAMILY/REST` → (`TOKEN`, `FAMILY`, `/REST`); any part may be
/// empty.
fn split_path(path: &str) -> Option<(&str, &str, &str)> {
    let path = path.strip_prefix('/')?;
    let (token, after) = path.split_once('/').unwrap_or((path, ""));
    let (family, rest) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, ""),
    };
    Some((token, family, rest))
}

/// Compares without stopping at the first differing byte, so response
/// timing says nothing about how much of a guessed token was right.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_token_family_and_rest() {
        assert_eq!(
            split_path("/abc/anthropic/v1/messages"),
            Some(("abc", "anthropic", "/v1/messages"))
        );
        assert_eq!(split_path("/abc/openai"), Some(("abc", "openai", "")));
        assert_eq!(split_path("/abc"), Some(("abc", "", "")));
        assert_eq!(split_path("/"), Some(("", "", "")));
        assert_eq!(split_path(""), None);
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abce", "abcd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
