//! HTTP/1.1 engine micro-benchmarks: the request-head parser and validator, the
//! chunked body decoder and the response-head encoder, each exactly as the connection runs it
//! (through `http_server::__bench`, default `ServerOptions` limits).
//!
//! * `h1_head/*`: one request head, parsed and validated into a `RequestHead` (method, URI,
//!   `HeaderMap` with values sliced from the read buffer, framing). `ours_fresh` is
//!   `h1::decode::parse_head` (new scratch space and a new `HeaderMap` per head, as on a
//!   connection's first request); `ours_conn` is the connection's `HeadParser` in its
//!   keep-alive steady state (scratch and `HeaderMap` reused); `httparse` is
//!   the tokenizer alone on the same bytes with the same 100 header slots — the baseline, so
//!   the gap is what our validation and map building cost on top. Two heads: what wrk sends
//!   (`GET /plaintext`, one Host field, 49 bytes) and a browser-like one (40 fields, cookies,
//!   2,022 bytes). Every row first copies the head into a reused read buffer, as a socket read
//!   does (a few ns; the buffer stays warm in cache, as on a busy connection).
//! * `h1_chunked/*`: `BodyDecoder` over a whole chunked body already in the read buffer,
//!   one `decode` step at a time as the body reader calls it: 64 KiB in 1 KiB chunks, and
//!   16 KiB in 1,024 chunks of 16 bytes. Throughput counts wire bytes. Each iteration gets a
//!   fresh copy made just before it (untimed), so the timer's own cost is in these rows.
//! * `h1_encode/*`: `h1::encode::encode_head` into a reused output buffer: a 200 with
//!   Content-Type (Date from the per-second cache and Content-Length added by the encoder),
//!   and a 200 with ten handler headers.
//!
//! Run: `cargo bench -p benches --bench h1 -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::mem::MaybeUninit;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_server::__bench::{ConnHeadParser, decode_chunked, encode_response_head, parse_head};

/// The request wrk sends for `wrk http://127.0.0.1:8080/plaintext`.
const WRK_HEAD: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

/// A browser-like request head: 40 header fields, 2,022 bytes.
fn browser_head() -> Vec<u8> {
    let cookie = "session=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08; \
                  csrftoken=Xk2LrT9vQmZ8pW4sN7bJ1yH6gF3dC0aE; _ga=GA1.1.1234567890.1700000000; \
                  _gid=GA1.1.987654321.1700086400; theme=dark; lang=en-US; tz=Europe%2FBerlin; \
                  consent=analytics%3Dtrue%2Cads%3Dfalse; cart=3f2a9c; ab_test=variant_b; \
                  recently_viewed=1042%2C2231%2C887%2C90311; _fbp=fb.1.1700000000000.1122334455";
    let fields: [(&str, &str); 40] = [
        ("Host", "www.example.com"),
        ("Connection", "keep-alive"),
        ("sec-ch-ua", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("Upgrade-Insecure-Requests", "1"),
        (
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        ),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-User", "?1"),
        ("Sec-Fetch-Dest", "document"),
        ("Referer", "https://www.example.com/dashboard/overview?tab=activity&range=30d"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9,de;q=0.8,fr;q=0.7"),
        ("Cookie", cookie),
        ("If-None-Match", "\"5d8c72a5edda8d6a\""),
        ("If-Modified-Since", "Tue, 19 Nov 2024 10:12:45 GMT"),
        ("Cache-Control", "max-age=0"),
        ("Pragma", "no-cache"),
        ("DNT", "1"),
        ("Sec-GPC", "1"),
        ("Origin", "https://www.example.com"),
        ("X-Requested-With", "XMLHttpRequest"),
        ("X-Forwarded-For", "203.0.113.195, 70.41.3.18, 150.172.238.178"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "www.example.com"),
        ("X-Real-IP", "203.0.113.195"),
        ("X-Request-ID", "f058ebd6-02f7-4d3f-942e-904344e8cde5"),
        ("X-Correlation-ID", "7b6e2c1a-9d34-4c8e-a1f0-2b5d6e7f8a90"),
        ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSIsImV4cCI6MTcwMDAwMzYwMH0.c2lnbmF0dXJl"),
        ("Priority", "u=0, i"),
        ("TE", "trailers"),
        ("Via", "1.1 proxy.example.net"),
        ("Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"),
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
        ("Device-Memory", "8"),
        ("Viewport-Width", "1920"),
        ("ECT", "4g"),
    ];
    let mut head = b"GET /api/v1/users/12345/profile?include=posts,comments&lang=en-US HTTP/1.1\r\n".to_vec();
    for (name, value) in fields {
        head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// The tokenizer alone, called as `HeadParser::parse` calls it (100 uninitialised slots:
/// the default `max_headers`). Returns the number of fields.
fn httparse_only(data: &[u8]) -> usize {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 100];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(data, &mut slots) {
        Ok(httparse::Status::Complete(_)) => req.headers.len(),
        _ => usize::MAX,
    }
}

/// The connection's read buffer: `data` appended as a socket read appends it, after a
/// `reserve` that (once the previous head's slices are dropped) reclaims the same memory, as
/// `poll_fill` does. Every row pays this one small copy, so the rows stay comparable.
fn refill<'a>(rbuf: &'a mut BytesMut, data: &[u8]) -> &'a mut BytesMut {
    rbuf.clear();
    rbuf.reserve(data.len());
    rbuf.extend_from_slice(data);
    rbuf
}

fn heads(c: &mut Criterion) {
    let browser = browser_head();
    for (name, head, fields) in [("wrk_plaintext", WRK_HEAD, 1), ("browser_40_fields", &browser[..], 40)] {
        // Every row must accept the head before anything is timed.
        assert_eq!(parse_head(&mut BytesMut::from(head)), Ok(fields), "{name}");
        assert_eq!(ConnHeadParser::new().parse(&mut BytesMut::from(head)), Ok(fields), "{name}");
        assert_eq!(httparse_only(head), fields, "{name}");
        let mut rbuf = BytesMut::with_capacity(16 * 1024);
        let mut g = c.benchmark_group(format!("h1_head/{name}"));
        g.throughput(Throughput::Bytes(head.len() as u64));
        g.bench_function("httparse", |b| b.iter(|| httparse_only(refill(&mut rbuf, black_box(head)))));
        g.bench_function("ours_fresh", |b| b.iter(|| parse_head(refill(&mut rbuf, black_box(head)))));
        let mut conn = ConnHeadParser::new();
        g.bench_function("ours_conn", |b| b.iter(|| conn.parse(refill(&mut rbuf, black_box(head)))));
        g.finish();
    }
}

/// A chunked body of `total` data bytes in `chunk`-byte chunks, with its last chunk.
fn chunked_body(total: usize, chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / chunk * 8 + 5);
    let data = vec![b'x'; chunk];
    for _ in 0..total / chunk {
        out.extend_from_slice(format!("{chunk:x}\r\n").as_bytes());
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn chunked(c: &mut Criterion) {
    let mut g = c.benchmark_group("h1_chunked");
    for (name, total, chunk) in [("64KiB_in_1KiB_chunks", 64 * 1024, 1024), ("16KiB_in_16B_chunks", 16 * 1024, 16)] {
        let body = chunked_body(total, chunk);
        assert_eq!(decode_chunked(&mut BytesMut::from(&body[..])), Ok(total), "{name}");
        g.throughput(Throughput::Bytes(body.len() as u64));
        // A fresh copy per iteration, made just before it (hot in cache, as a body just
        // read is); the timer's own cost (~tens of ns) is inside these microsecond rows.
        g.bench_function(name, |b| {
            b.iter_batched_ref(|| BytesMut::from(&body[..]), decode_chunked, BatchSize::PerIteration)
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut small = HeaderMap::new();
    small.insert("content-type", HeaderValue::from_static("text/plain; charset=utf-8"));
    let mut ten = small.clone();
    for (name, value) in [
        ("cache-control", "public, max-age=3600"),
        ("etag", "\"5d8c72a5edda8d6a\""),
        ("last-modified", "Tue, 19 Nov 2024 10:12:45 GMT"),
        ("vary", "Accept-Encoding"),
        ("server", "http-server"),
        ("x-request-id", "f058ebd6-02f7-4d3f-942e-904344e8cde5"),
        ("set-cookie", "session=9f86d081884c7d65; Path=/; HttpOnly; Secure; SameSite=Lax"),
        ("access-control-allow-origin", "https://www.example.com"),
        ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ] {
        ten.insert(name, HeaderValue::from_static(value));
    }
    assert_eq!(ten.len(), 10);
    let mut g = c.benchmark_group("h1_encode");
    for (name, headers) in [("200_content_type", &small), ("200_ten_headers", &ten)] {
        let mut out = BytesMut::new();
        encode_response_head(&mut out, StatusCode::OK, headers, Some(13));
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("\r\ndate: ") && text.ends_with("content-length: 13\r\n\r\n"), "{text}");
        g.throughput(Throughput::Bytes(out.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                encode_response_head(&mut out, StatusCode::OK, black_box(headers), Some(13));
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, heads, chunked, encode);
criterion_main!(benches);
