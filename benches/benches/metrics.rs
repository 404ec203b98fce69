//! The cost of recording metrics per request (what a server with `ServerOptions::metrics`
//! adds to each exchange: one route-table lookup, a status count, a histogram bucket and
//! the sum; per connection: the open/close gauge), uncontended and with a second thread
//! recording into the same route; and, for scale, one scrape.
//!
//! Run: `cargo bench -p benches --bench metrics -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http_core::metrics::{Metrics, Protocol};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("metrics");
    let m = Metrics::new();
    let route: Arc<str> = Arc::from("/users/{id}");
    // Other routes already in the table, as in a real application.
    let others: Vec<Arc<str>> = (0..32).map(|i| Arc::from(format!("/r{i}/{{id}}"))).collect();
    for r in &others {
        m.request(Some(r), 200, Duration::from_millis(1));
    }
    let elapsed = Duration::from_micros(250);
    g.bench_function("request_routed", |b| b.iter(|| m.request(black_box(Some(&route)), 200, black_box(elapsed))));
    g.bench_function("request_unrouted", |b| b.iter(|| m.request(black_box(None), 404, black_box(elapsed))));
    g.bench_function("bytes", |b| b.iter(|| m.bytes(black_box(120), black_box(240))));
    g.bench_function("connection_open_close", |b| b.iter(|| drop(black_box(m.connection(Protocol::Http1)))));
    // The same route recorded by another thread at full speed: the atomics' cache line bounces.
    let stop = Arc::new(AtomicBool::new(false));
    let rival = {
        let (m, route, stop) = (m.clone(), route.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                m.request(Some(&route), 200, Duration::from_micros(250));
            }
        })
    };
    g.bench_function("request_routed_contended", |b| {
        b.iter(|| m.request(black_box(Some(&route)), 200, black_box(elapsed)))
    });
    stop.store(true, Ordering::Relaxed);
    let _ = rival.join();
    g.bench_function("render_34_routes", |b| b.iter(|| black_box(m.render())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
