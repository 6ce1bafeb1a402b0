//! The time the proxy adds per chunk, against a hand-driven upstream.

use super::*;

/// An upstream the test drives by hand: each chunk is sent when the test
/// says, so the time it left and the time it reached the client can be
/// compared, with and without the proxy in between.
async fn hand_driven_upstream() -> (
    String,
    tokio::sync::mpsc::Sender<tokio::sync::mpsc::Receiver<Bytes>>,
) {
    use http_body_util::StreamBody;
    use hyper::body::Frame;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Each request takes the next chunk source from this queue.
    let (tx, rx) = tokio::sync::mpsc::channel::<tokio::sync::mpsc::Receiver<Bytes>>(4);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let rx = rx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let rx = rx.clone();
                    async move {
                        let mut chunks = rx.lock().await.recv().await.unwrap();
                        let body = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx))
                            .map(|b| Ok::<_, std::convert::Infallible>(Frame::data(b)));
                        let mut resp = hyper::Response::new(StreamBody::new(body));
                        resp.headers_mut()
                            .insert("content-type", "text/event-stream".parse().unwrap());
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (base, tx)
}

/// Sends `n` numbered chunks 4 ms apart through `url` and returns the
/// body and each chunk's delay from send to arrival, in microseconds.
async fn timed_stream(
    http: &reqwest::Client,
    url: &str,
    sources: &tokio::sync::mpsc::Sender<tokio::sync::mpsc::Receiver<Bytes>>,
    n: usize,
) -> (Vec<u8>, Vec<u128>) {
    let (chunk_tx, chunk_rx) = tokio::sync::mpsc::channel(n + 1);
    sources.send(chunk_rx).await.unwrap();
    let resp = http
        .post(url)
        .header("anthropic-version", "2023-06-01")
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut body = Vec::new();
    let mut delays = Vec::new();
    for i in 0..n {
        let chunk = Bytes::from(format!(
            "event: ping\ndata: {{\"n\":{i},\"pad\":\"{}\"}}\n\n",
            "x".repeat(i % 50)
        ));
        let sent = Instant::now();
        chunk_tx.send(chunk.clone()).await.unwrap();
        let mut got = Vec::new();
        while got.len() < chunk.len() {
            got.extend_from_slice(&stream.next().await.unwrap().unwrap());
        }
        delays.push(sent.elapsed().as_micros());
        assert_eq!(got, chunk, "chunk {i} changed on the way");
        body.extend_from_slice(&got);
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
    drop(chunk_tx);
    assert!(
        stream.next().await.is_none(),
        "the body ends when the upstream's does"
    );
    (body, delays)
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_adds_under_a_millisecond_per_chunk() {
    let (base, sources) = hand_driven_upstream().await;
    let state = tempfile::tempdir().unwrap();
    let meter = meter(state.path(), BudgetConfig::default());
    let proxy = MeteringProxy::start(upstreams(&base, None), Some(meter), PANE).unwrap();
    let http = client();
    let n = 150;
    let (direct_body, direct) =
        timed_stream(&http, &format!("{base}/v1/messages"), &sources, n).await;
    let via = format!("{}/v1/messages", proxy.base_url(Family::Anthropic));
    let (proxied_body, proxied) = timed_stream(&http, &via, &sources, n).await;
    assert_eq!(proxied_body, direct_body);
    let (d, p) = (median(direct), median(proxied));
    let added = p.saturating_sub(d);
    println!("per-chunk latency: direct median {d} µs, through the proxy {p} µs, added {added} µs");
    assert!(
        added < 1000,
        "the proxy added {added} µs per chunk (direct {d} µs, proxied {p} µs)"
    );
}
