//! Server-Sent Events encoding micro-benchmarks: `SseEvent` to wire bytes through
//! the public `http_sse` API.
//!
//! Three events: a small data-only one (`data: {"tick":42}`), one with `event`, `id` and
//! `retry`, and a ~1 KiB JSON-ish payload over 14 lines (one `data:` line each). Each is
//! encoded two ways: `encode` (validate, size, allocate a fresh buffer: what
//! `SseStream::send` does per event) and `encode_into` a reused buffer (validate and
//! append). Throughput counts encoded bytes.
//!
//! Run: `cargo bench -p benches --bench sse -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_sse::SseEvent;

fn events() -> Vec<(&'static str, SseEvent)> {
    let line = r#"{"id":1042,"user":"alice","action":"comment","text":"looks good to me"}"#;
    let multi: Vec<String> = (0..14).map(|i| format!("{line}{i:02}")).collect();
    vec![
        ("small_data", SseEvent::new(r#"{"tick":42}"#)),
        (
            "id_event_retry",
            SseEvent::new(r#"{"price":101.25,"symbol":"ACME"}"#).with_event("quote").with_id("184467").with_retry(2500),
        ),
        ("multiline_1KiB", SseEvent::new(multi.join("\n")).with_event("batch")),
    ]
}

fn encoding(c: &mut Criterion) {
    for (name, ev) in events() {
        let wire = ev.encode().unwrap();
        assert_eq!(wire.len(), ev.encoded_len());
        let mut g = c.benchmark_group(format!("sse_encode/{name}"));
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function("encode", |b| b.iter(|| black_box(black_box(&ev).encode().unwrap())));
        let mut buf = BytesMut::with_capacity(wire.len());
        g.bench_function("encode_into_reused", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&ev).encode_into(&mut buf).unwrap();
                black_box(buf.len())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, encoding);
criterion_main!(benches);
