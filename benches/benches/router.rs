//! Router benchmarks: match time over a 1,000-route table against `matchit` in
//! the same run, per route class, and registration time of 10,000 routes (for
//! http-router also with the first lookup, which compiles the trie).
//!
//! `matchit` has no regex constraints and no single-segment `*`; for those classes it
//! gets the closest route it can express (`{id}` for `{id:\d+}`, `{s}` for `*`), so its
//! numbers there are a reference, not a like-for-like comparison.
//!
//! Run: `cargo bench -p benches --bench router -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Method;
use http_core::Request;
use http_router::Router;

async fn handler(_req: Request) -> &'static str {
    "ok"
}

/// The 1,000-route table as (http-router pattern, matchit pattern), and per class the
/// request paths to look up.
struct Table {
    routes: Vec<(String, String)>,
    lookups: Vec<(&'static str, Vec<String>)>,
}

fn table() -> Table {
    let mut routes = Vec::new();
    let (mut stat, mut param, mut regex, mut wild) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // 400 static routes over several depths
    for i in 0..200 {
        routes.push((format!("/api/v1/resource{i}/list"), format!("/api/v1/resource{i}/list")));
        routes.push((format!("/static/page{i}"), format!("/static/page{i}")));
        if i % 2 == 0 {
            stat.push(format!("/api/v1/resource{i}/list"));
            stat.push(format!("/static/page{i}"));
        }
    }
    // 400 parameter routes, one and two parameters
    for i in 0..200 {
        routes.push((format!("/api/v1/resource{i}/{{id}}"), format!("/api/v1/resource{i}/{{id}}")));
        routes.push((format!("/users{i}/{{user}}/posts/{{post}}"), format!("/users{i}/{{user}}/posts/{{post}}")));
        if i % 2 == 0 {
            param.push(format!("/api/v1/resource{i}/12345"));
            param.push(format!("/users{i}/alice/posts/987"));
        }
    }
    // 100 regex-constrained routes
    for i in 0..100 {
        routes.push((format!(r"/orders{i}/{{id:\d+}}"), format!("/orders{i}/{{id}}")));
        regex.push(format!("/orders{i}/{}", 1000 + i));
    }
    // 100 wildcard routes: `**` and single-segment `*`
    for i in 0..50 {
        routes.push((format!("/files{i}/**"), format!("/files{i}/{{*rest}}")));
        routes.push((format!("/assets{i}/*/bundle.js"), format!("/assets{i}/{{s}}/bundle.js")));
        wild.push(format!("/files{i}/docs/2024/report.pdf"));
        wild.push(format!("/assets{i}/v3/bundle.js"));
    }
    assert_eq!(routes.len(), 1000);
    Table { routes, lookups: vec![("static", stat), ("param", param), ("regex", regex), ("wildcard", wild)] }
}

fn build_router(routes: &[(String, String)]) -> Router {
    routes.iter().fold(Router::new(), |r, (p, _)| r.route(&format!("GET {p}"), handler))
}

fn build_matchit(routes: &[(String, String)]) -> matchit::Router<usize> {
    let mut m = matchit::Router::new();
    for (i, (_, p)) in routes.iter().enumerate() {
        m.insert(p.as_str(), i).unwrap();
    }
    m
}

fn matching(c: &mut Criterion) {
    let t = table();
    let router = build_router(&t.routes);
    let mt = build_matchit(&t.routes);
    for (class, paths) in &t.lookups {
        // Both routers must find a route for every path before anything is timed.
        for p in paths {
            assert!(router.at(&Method::GET, p).is_ok(), "http-router misses {p}");
            assert!(mt.at(p).is_ok(), "matchit misses {p}");
        }
        let mut g = c.benchmark_group(format!("match_1000/{class}"));
        g.throughput(Throughput::Elements(paths.len() as u64));
        g.bench_function("http-router", |b| {
            b.iter(|| {
                for p in paths {
                    let m = router.at(&Method::GET, black_box(p)).unwrap();
                    black_box(m.params().count());
                }
            })
        });
        g.bench_function("matchit", |b| {
            b.iter(|| {
                for p in paths {
                    let m = mt.at(black_box(p)).unwrap();
                    black_box(m.params.iter().count());
                }
            })
        });
        g.finish();
    }
}

fn registration(c: &mut Criterion) {
    let routes: Vec<(String, String)> = (0..10_000)
        .map(|i| match i % 4 {
            0 => (format!("/s{}/list{i}", i % 97), format!("/s{}/list{i}", i % 97)),
            1 => (format!("/p{i}/{{id}}"), format!("/p{i}/{{id}}")),
            2 => (format!("/p{i}/{{id}}/sub/{{x}}"), format!("/p{i}/{{id}}/sub/{{x}}")),
            _ => (format!("/w{i}/**"), format!("/w{i}/{{*rest}}")),
        })
        .collect();
    let mut g = c.benchmark_group("register_10000");
    g.sample_size(10);
    g.bench_function("http-router", |b| b.iter(|| black_box(build_router(&routes)).len()));
    // The first lookup after registration compiles the trie: registration plus that
    // compilation, the whole cost before the first answer.
    g.bench_function("http-router, then one lookup", |b| {
        b.iter(|| black_box(build_router(&routes)).at(&Method::GET, "/p1/7").is_ok())
    });
    g.bench_function("matchit", |b| b.iter(|| black_box(build_matchit(&routes))));
    g.finish();
}

criterion_group!(benches, matching, registration);
criterion_main!(benches);
