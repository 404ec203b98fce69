//! Static-file answer micro-benchmarks: what `servecontent` computes before any
//! byte is read, through the public `http_server::files` API.
//!
//! * `files_precondition/*`: `check_preconditions` for a GET with the content's strong
//!   ETag and Last-Modified: no conditional fields (the common case), `If-None-Match` with
//!   five tags that hits on the last one (304) or misses all five (200), and
//!   `If-Modified-Since` equal to Last-Modified (304: one HTTP-date parse).
//! * `files_range/*`: `parse_range_specs` and `resolve_range` against a 1 MiB
//!   representation: `bytes=0-99`, the suffix `bytes=-500`, and 16 unsorted overlapping
//!   ranges (the `MAX_RANGES` cap) that coalesce into 4.
//! * `files_servecontent/*`: a whole `servecontent(&req, Content::bytes(..).name(..))` call on
//!   a 1 KiB in-memory body, building the `Response` (headers, body slice) and dropping it:
//!   200, a single `Range` (206), two ranges (206 `multipart/byteranges`), and
//!   `If-None-Match` with the current tag (304). `Content::bytes` hashes the bytes for its
//!   ETag on every call; `content_bytes_1KiB` times that alone. `servecontent` is synchronous,
//!   so no runtime is needed.
//!
//! Run: `cargo bench -p benches --bench files -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_core::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_server::__bench::{Precondition, check_preconditions, parse_range_specs};
use http_server::files::{Content, ETag, RangeOutcome, resolve_range, servecontent};

fn preconditions(c: &mut Criterion) {
    let tag = ETag::from_bytes(&[b'x'; 1024]);
    let current = String::from_utf8(tag.to_header().as_bytes().to_vec()).unwrap();
    let lm = UNIX_EPOCH + Duration::from_secs(1_732_011_165); // Tue, 19 Nov 2024 10:12:45 GMT
    let others = r#""400-0123456789abcdef", W/"400-fedcba9876543210", "1a2b3c4d", "v1""#;
    let with = |name: &'static str, value: &str| {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    };
    let cases = [
        ("none", HeaderMap::new(), Precondition::Proceed),
        ("if_none_match_5_hit", with("if-none-match", &format!("{others}, {current}")), Precondition::NotModified),
        ("if_none_match_5_miss", with("if-none-match", &format!("{others}, \"400-00\"")), Precondition::Proceed),
        (
            "if_modified_since_equal",
            with("if-modified-since", "Tue, 19 Nov 2024 10:12:45 GMT"),
            Precondition::NotModified,
        ),
    ];
    let mut g = c.benchmark_group("files_precondition");
    for (name, headers, want) in &cases {
        assert_eq!(check_preconditions(&Method::GET, headers, Some(&tag), Some(lm)), *want, "{name}");
        g.bench_function(*name, |b| {
            b.iter(|| check_preconditions(&Method::GET, black_box(headers), Some(&tag), Some(lm)))
        });
    }
    g.finish();
}

fn ranges(c: &mut Criterion) {
    const SIZE: u64 = 1024 * 1024;
    // 16 ranges, written in descending order, overlapping in groups of four.
    let sixteen = (0..16u64)
        .rev()
        .map(|i| {
            let start = i / 4 * 10_000 + i % 4 * 100;
            format!("{start}-{}", start + 149)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sixteen = format!("bytes={sixteen}");
    let RangeOutcome::Partial(merged) = resolve_range(&sixteen, SIZE) else { panic!("{sixteen}") };
    assert_eq!(merged.len(), 4);
    assert_eq!(parse_range_specs(&sixteen).map(|s| s.len()), Some(16));
    let mut g = c.benchmark_group("files_range");
    for (name, value) in [("first_100", "bytes=0-99"), ("suffix_500", "bytes=-500"), ("16_coalesced_to_4", &sixteen)] {
        assert!(matches!(resolve_range(value, SIZE), RangeOutcome::Partial(_)), "{value}");
        g.bench_function(format!("parse/{name}"), |b| b.iter(|| parse_range_specs(black_box(value))));
        g.bench_function(format!("resolve/{name}"), |b| b.iter(|| resolve_range(black_box(value), SIZE)));
    }
    g.finish();
}

fn serve(c: &mut Criterion) {
    let body = Bytes::from((0..1024).map(|i| b"0123456789abcdef"[i % 16]).collect::<Vec<u8>>());
    let content = || Content::bytes(body.clone()).name("data.txt");
    let current = content().etag_value().unwrap().to_header();
    let get = || Request::new(Method::GET, "/data.txt");
    let cases = [
        ("200_full", get(), StatusCode::OK),
        ("206_range", get().with_header("range", "bytes=100-199"), StatusCode::PARTIAL_CONTENT),
        ("206_multipart_2_ranges", get().with_header("range", "bytes=0-99,500-599"), StatusCode::PARTIAL_CONTENT),
        ("304_if_none_match", get().with_header("if-none-match", current.to_str().unwrap()), StatusCode::NOT_MODIFIED),
    ];
    let mut g = c.benchmark_group("files_servecontent");
    g.throughput(Throughput::Elements(1));
    g.bench_function("content_bytes_1KiB", |b| b.iter(|| black_box(Content::bytes(black_box(&body).clone()))));
    for (name, req, want) in &cases {
        assert_eq!(servecontent(req, content()).status(), *want, "{name}");
        g.bench_function(*name, |b| b.iter(|| servecontent(black_box(req), content())));
    }
    g.finish();
}

criterion_group!(benches, preconditions, ranges, serve);
criterion_main!(benches);
