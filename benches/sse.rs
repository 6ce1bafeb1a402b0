//! SSE decoding throughput: an ~8 MB stream of Anthropic-like
//! `content_block_delta` events fed in 16 KiB chunks, the way the HTTP
//! driver feeds network reads. The target is at least 200 MB/s.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tandem::provider::sse::SseDecoder;

const TARGET_BYTES: usize = 8 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// A realistic stream: message start, then text deltas of varying length
/// (some non-ASCII), ping comments now and then, and the closing events.
fn anthropic_stream() -> Vec<u8> {
    let words = [
        "The ",
        "function ",
        "returns ",
        "`Result<(), Error>` ",
        "because ",
        "the caller ",
        "must handle ",
        "I/O failures; ",
        "naïve ",
        "retries — ",
        "see ",
        "🦀 ",
    ];
    let mut s = Vec::with_capacity(TARGET_BYTES + 4096);
    s.extend_from_slice(
        b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":2512,\"output_tokens\":1}}}\n\n",
    );
    s.extend_from_slice(
        b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    );
    let mut i = 0usize;
    while s.len() < TARGET_BYTES {
        if i.is_multiple_of(50) {
            s.extend_from_slice(b"event: ping\ndata: {\"type\": \"ping\"}\n\n");
        }
        let text: String = (0..1 + i % 4)
            .map(|k| words[(i + k) % words.len()])
            .collect();
        let line = format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}\n\n"
        );
        s.extend_from_slice(line.as_bytes());
        i += 1;
    }
    s.extend_from_slice(
        b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":90000}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    s
}

fn decode_all(input: &[u8]) -> usize {
    let mut dec = SseDecoder::new();
    let mut out = Vec::with_capacity(256);
    let mut events = 0;
    for chunk in input.chunks(CHUNK) {
        dec.push(chunk, &mut out);
        events += out.len();
        // The driver hands each event on and reuses the vector.
        for event in out.drain(..) {
            black_box(event);
        }
    }
    dec.finish(&mut out);
    events + out.len()
}

fn bench_sse(c: &mut Criterion) {
    let input = anthropic_stream();
    let expected = decode_all(&input);
    assert!(expected > 10_000, "the stream should hold many events");
    let mut group = c.benchmark_group("sse");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("anthropic_deltas_8MB_16KiB_chunks", |b| {
        b.iter(|| assert_eq!(decode_all(black_box(&input)), expected))
    });
    group.finish();
}

criterion_group!(benches, bench_sse);
criterion_main!(benches);
