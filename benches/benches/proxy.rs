//! PROXY protocol header parsing (v1 text, v2 binary with TLVs) and, for scale, the
//! trusted-network check every proxied connection makes.
//!
//! Run: `cargo bench -p benches --bench proxy -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http_server::Cidr;
use http_server::proxy_protocol::{V2_SIGNATURE, parse};

fn v2_with_tlvs() -> Vec<u8> {
    let mut payload = vec![198, 51, 100, 20, 10, 0, 0, 1, 0xc7, 0x38, 0, 80];
    payload.extend_from_slice(&[0x04, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]); // NOOP
    payload.extend_from_slice(&[0x20, 0, 5, 1, 0, 0, 0, 0]); // SSL
    let mut h = V2_SIGNATURE.to_vec();
    h.extend_from_slice(&[0x21, 0x11]);
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&payload);
    h
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("proxy_protocol");
    let v1 = b"PROXY TCP4 203.0.113.7 10.0.0.1 40000 443\r\nGET / HTTP/1.1\r\n".as_slice();
    let v1_6 = b"PROXY TCP6 2001:db8::1234:5678 2001:db8::1 40000 443\r\n".as_slice();
    let v2 = v2_with_tlvs();
    g.bench_function("v1_tcp4", |b| b.iter(|| parse(black_box(v1))));
    g.bench_function("v1_tcp6", |b| b.iter(|| parse(black_box(v1_6))));
    g.bench_function("v2_tcp4_tlvs", |b| b.iter(|| parse(black_box(&v2))));
    let nets = Cidr::parse_list("private, loopback").unwrap();
    let ip = "203.0.113.7".parse().unwrap();
    g.bench_function("trusted_check_6_networks", |b| {
        b.iter(|| black_box(&nets).iter().any(|n| n.contains(black_box(ip))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
