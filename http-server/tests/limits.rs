//! The limits that no other test pins: the documented defaults themselves, what HTTP/2
//! advertises in its SETTINGS (concurrent streams, windows, header-list size), streams over
//! `h2_max_concurrent_streams` refused, and `tls_handshake_timeout`. (The others are proven
//! where the behaviour lives; SECURITY.md maps every limit to its test.)

mod common_h2;

use std::time::{Duration, Instant};

use common_h2::*;
use http_server::ServerOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The defaults in README's and SECURITY.md's tables are the ones `ServerOptions::new()` has.
#[test]
fn defaults_are_the_documented_ones() {
    let d = format!("{:?}", ServerOptions::new());
    for want in [
        "host: \"127.0.0.1\"",
        "read_timeout: 30s",
        "read_header_timeout: 10s",
        "write_timeout: 30s",
        "idle_timeout: 60s",
        "max_header_bytes: 32768",
        "max_uri_bytes: 8192",
        "max_headers: 100",
        "max_body_bytes: 10485760",
        "max_connections: 10000",
        "backlog: 1024",
        "shutdown_timeout: 10s",
        "tls_handshake_timeout: 10s",
        "h2_max_concurrent_streams: 256",
        "h2_initial_window_size: 262144",
        "h2_initial_connection_window_size: 1048576",
        "h2_max_peer_resets: 200",
    ] {
        assert!(d.contains(want), "default {want} not in {d}");
    }
}

/// Reads the server's first SETTINGS and the connection WINDOW_UPDATE that follows it.
async fn server_settings(raw: &mut RawH2) -> (Vec<(u16, u32)>, Option<u32>) {
    let mut settings = None;
    let mut window = None;
    let deadline = Instant::now() + WAIT;
    while (settings.is_none() || window.is_none()) && Instant::now() < deadline {
        let Ok(f) = raw.read_frame(Duration::from_millis(500)).await else { break };
        if f.ty == SETTINGS && f.flags & ACK == 0 {
            let p = &f.payload;
            settings = Some(
                p.chunks(6)
                    .map(|c| (u16::from_be_bytes([c[0], c[1]]), u32::from_be_bytes([c[2], c[3], c[4], c[5]])))
                    .collect::<Vec<_>>(),
            );
            raw.ack(&f).await;
        } else if f.ty == WINDOW_UPDATE && f.stream == 0 {
            let p = &f.payload;
            window = Some(u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff);
        }
    }
    (settings.expect("server SETTINGS"), window)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_settings_advertise_the_default_limits() {
    let options = ServerOptions::new().host("127.0.0.1").port(0);
    let (server, _app) = start(options).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    let (settings, window) = server_settings(&mut raw).await;
    let get = |id: u16| settings.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    assert_eq!(get(0x3), Some(256), "SETTINGS_MAX_CONCURRENT_STREAMS: {settings:?}");
    assert_eq!(get(0x4), Some(256 * 1024), "SETTINGS_INITIAL_WINDOW_SIZE: {settings:?}");
    assert_eq!(get(0x6), Some(32 * 1024), "SETTINGS_MAX_HEADER_LIST_SIZE (max_header_bytes): {settings:?}");
    // The connection window starts at 65,535 and is raised to 1 MiB by a WINDOW_UPDATE.
    assert_eq!(window.map(|w| w + 65_535), Some(1024 * 1024), "connection window");
    server.forceclose().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_streams_over_max_concurrent_streams_are_refused() {
    let (server, _app) = start(opts().h2_max_concurrent_streams(4)).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    let (settings, _) = server_settings(&mut raw).await;
    assert!(settings.contains(&(0x3, 4)), "{settings:?}");
    // The limit applies once our ACK of the server's SETTINGS has arrived; give it a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let block = request_block("GET", "/slow?ms=3000");
    let mut burst = Vec::new();
    for i in 0..6u32 {
        burst.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * i, &block));
    }
    raw.send(&burst).await.unwrap();
    let mut refused = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match raw.read_frame(Duration::from_millis(200)).await {
            Ok(f) if f.ty == RST_STREAM => {
                let code = u32::from_be_bytes([f.payload[0], f.payload[1], f.payload[2], f.payload[3]]);
                refused.push((f.stream, code));
            }
            Ok(f) => raw.ack(&f).await,
            Err(ReadEnd::Timeout) => {}
            Err(e) => panic!("connection ended: {e:?}"),
        }
    }
    const REFUSED_STREAM: u32 = 0x7;
    assert_eq!(refused, [(9, REFUSED_STREAM), (11, REFUSED_STREAM)], "streams 5 and 6 of 6 refused");
    server.forceclose().await;
}

async fn closed_after(tcp: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(limit, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t0.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshake_timeout_cuts_stalled_handshakes() {
    let cert = make_cert();
    let timeout = Duration::from_millis(400);
    let (server, _app) = start_tls(&cert, opts().tls_handshake_timeout(timeout)).await;
    // Silent after connecting.
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    // The start of a TLS record, then nothing.
    let mut partial = TcpStream::connect(server.local_addr()).await.unwrap();
    partial.write_all(&[0x16, 0x03, 0x01, 0x00]).await.unwrap();
    for (what, tcp) in [("silent", &mut silent), ("partial ClientHello", &mut partial)] {
        let took = closed_after(tcp, Duration::from_secs(3)).await;
        let took = took.unwrap_or_else(|| panic!("{what}: not closed within 3 s"));
        assert!(took < timeout + Duration::from_secs(1), "{what}: closed after {took:?}");
    }
    eventually(WAIT, "connections closed", || server.connections() == 0).await;
    server.forceclose().await;
}

/// The decoder's fixed bounds (not options): a chunk-size line is at most 4 KiB, a chunk
/// size at most 16 hex digits, a trailer section at most `max_header_bytes` (32 KiB by
/// default) and 64 fields.
#[test]
fn fixed_chunked_decoder_bounds() {
    use http_server::__fuzz::{ChunkedVerdict, decode_chunked};
    let line = |ext: usize| format!("1;{}\r\na\r\n0\r\n\r\n", "e".repeat(ext)).into_bytes();
    assert!(matches!(decode_chunked(&line(4000), &[]), ChunkedVerdict::Complete { .. }));
    assert_eq!(decode_chunked(&line(5000), &[]), ChunkedVerdict::Rejected(400), "chunk line over 4 KiB");
    // Without a line end yet: refused as soon as 4 KiB have arrived, not buffered forever.
    assert_eq!(decode_chunked(format!("1;{}", "e".repeat(5000)).as_bytes(), &[]), ChunkedVerdict::Rejected(400));
    assert_eq!(decode_chunked(b"ffffffffffffffff0\r\n", &[]), ChunkedVerdict::Rejected(400), "17 hex digits");
    let trailers = |n: usize, len: usize| {
        let fields: String = (0..n).map(|i| format!("X-{i}: {}\r\n", "v".repeat(len))).collect();
        format!("0\r\n{fields}\r\n").into_bytes()
    };
    assert!(matches!(decode_chunked(&trailers(60, 1), &[]), ChunkedVerdict::Complete { trailers: 60, .. }));
    assert_eq!(decode_chunked(&trailers(70, 1), &[]), ChunkedVerdict::Rejected(431), "over 64 trailer fields");
    assert_eq!(decode_chunked(&trailers(10, 4000), &[]), ChunkedVerdict::Rejected(431), "trailers over 32 KiB");
}
