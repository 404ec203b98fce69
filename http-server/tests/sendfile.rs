//! File bodies sent zero-copy (`sendfile(2)`) on cleartext HTTP/1.1, and through the
//! read-and-copy fallback everywhere else (TLS, HTTP/2, in-process): byte-exact every way.

mod common_h2;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use common_h2::{WAIT, bounded, client_config, h2_client, h2_get, make_cert, opts, pattern, tls_connect};
use http_core::{Method, Request};
use http_server::Server;
use http_server::files::{FileServerOptions, fileserver};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const SIZE: usize = 5 * 1024 * 1024;

/// A folder with `big.bin` (5 MiB of a known pattern) and `mid.bin` (40 KiB); removed on drop.
struct Root(PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn root() -> (Root, Vec<u8>) {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("sendfile-it-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = pattern(SIZE, 7);
    std::fs::write(dir.join("big.bin"), &data).unwrap();
    std::fs::write(dir.join("mid.bin"), &data[..40 * 1024]).unwrap();
    (Root(dir), data)
}

/// One HTTP/1.1 exchange on a kept-alive connection: the head (lower-cased) and the body,
/// read by its Content-Length (none for HEAD).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    method: &str,
    path: &str,
    extra: &str,
) -> (String, Vec<u8>) {
    let req = format!("{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length: ")).map_or(0, |v| v.trim().parse().unwrap());
    let want = if method == "HEAD" { 0 } else { len };
    let mut body = buf.split_off(end);
    while body.len() < want {
        let mut chunk = vec![0u8; 256 * 1024];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed after {} of {want} body bytes", body.len());
        body.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(body.len(), want, "no bytes past the Content-Length");
    (head, body)
}

/// Whole file, a single range, HEAD, a 40 KiB file and the whole file again, all on one
/// kept-alive connection (so the Content-Length accounting must be exact).
async fn check_h1<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, data: &[u8]) {
    let (head, body) = exchange(s, "GET", "/big.bin", "").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains(&format!("content-length: {SIZE}\r\n")), "{head}");
    assert!(body == data, "whole file differs");

    let (head, body) = exchange(s, "GET", "/big.bin", "Range: bytes=1000000-3999999\r\n").await;
    assert!(head.starts_with("http/1.1 206"), "{head}");
    assert!(head.contains(&format!("content-range: bytes 1000000-3999999/{SIZE}\r\n")), "{head}");
    assert!(body == data[1_000_000..4_000_000], "range differs");

    let (head, body) = exchange(s, "HEAD", "/big.bin", "").await;
    assert!(head.starts_with("http/1.1 200") && head.contains(&format!("content-length: {SIZE}\r\n")), "{head}");
    assert!(body.is_empty());

    let (head, body) = exchange(s, "GET", "/mid.bin", "").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(body == data[..40 * 1024], "40 KiB file differs");

    let (head, body) = exchange(s, "GET", "/big.bin", "Range: bytes=-100\r\n").await;
    assert!(head.starts_with("http/1.1 206"), "{head}");
    assert!(body == data[SIZE - 100..], "suffix range differs");
}

async fn start(root: &Root, tls: Option<http_server::TlsConfig>) -> Server {
    let fs = fileserver(&root.0, FileServerOptions::new().inline_io(true)).unwrap();
    let mut o = opts();
    if let Some(tls) = tls {
        o = o.tls(tls);
    }
    Server::serve(o, fs).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_h1_sends_files_byte_exact() {
    let (root, data) = root();
    let server = start(&root, None).await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    bounded(WAIT, "cleartext h1", check_h1(&mut tcp, &data)).await;
    drop(tcp);
    // A slow reader: the socket fills and sendfile waits for it.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    tcp.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut all = Vec::new();
    bounded(WAIT, "slow reader", tcp.read_to_end(&mut all)).await.unwrap();
    let at = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(all[at..] == data[..], "slow reader got different bytes");
    server.close().await;
}

/// The TLS phases move ~13 MiB through rustls unoptimised (a debug test build): a hang
/// bound, wider than `WAIT` so a loaded machine does not trip it.
const TLS_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_h1_and_h2_stream_files_byte_exact() {
    let (root, data) = root();
    let cert = make_cert();
    let server = start(&root, Some(cert.tls_config())).await;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], server.port()).into();

    let mut tls = tls_connect(addr, client_config(&cert, &[b"http/1.1"], &[&rustls::version::TLS13])).await.unwrap();
    bounded(TLS_WAIT, "TLS h1", check_h1(&mut tls, &data)).await;
    drop(tls);

    let tls = tls_connect(addr, client_config(&cert, &[b"h2"], &[&rustls::version::TLS13])).await.unwrap();
    let mut h2 = h2_client(tls).await;
    let (parts, body, _) = bounded(TLS_WAIT, "TLS h2", h2_get(&mut h2, "/big.bin")).await.unwrap();
    assert_eq!(parts.status, 200);
    assert!(body == data, "h2 body differs");
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_streams_files_byte_exact() {
    let (root, data) = root();
    let server = start(&root, None).await;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    let mut h2 = h2_client(tcp).await;
    let (parts, body, _) = bounded(WAIT, "h2c", h2_get(&mut h2, "/big.bin")).await.unwrap();
    assert_eq!(parts.status, 200);
    assert!(body == data, "h2c body differs");
    server.close().await;
}

/// A transport without `sendfile` (the in-memory one) gets the file through the fallback.
#[tokio::test]
async fn unsupported_transport_falls_back_to_frames() {
    let (root, data) = root();
    let fs = fileserver(&root.0, FileServerOptions::new().inline_io(true)).unwrap();
    let resp = fs.serve(&Request::new(Method::GET, "/big.bin")).await;
    assert!(resp.body().file_region().is_some(), "inline I/O builds a file-backed body");
    let handler = http_core::serve_as_stream(fs);
    let r = http_core::testing::call_stream(&handler, Request::new(Method::GET, "/big.bin")).await;
    assert_eq!(r.status, 200);
    assert!(r.body == data, "fallback body differs");
    let r = http_core::testing::call_stream(
        &handler,
        Request::new(Method::GET, "/big.bin").with_header("range", "bytes=10-19"),
    )
    .await;
    assert_eq!((r.status.as_u16(), &r.body[..]), (206, &data[10..20]));
}

/// 200 KiB of text from a small vocabulary in a pseudo-random order: compresses about 4:1,
/// so each compressed body is well over the 16 KiB from which file bodies go by `sendfile`.
fn page() -> Vec<u8> {
    let words = ["static", "file", "server", "cache", "the", "of", "body", "header", "page", "compress"];
    let mut x: u32 = 7;
    let mut out = Vec::new();
    while out.len() < 200 * 1024 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
        out.push(if x.is_multiple_of(13) { b'\n' } else { b' ' });
    }
    out
}

/// A remembered compressed body is kept in an unnamed file and sent like a file region
/// (`sendfile` after a head held back for it); every way out gives the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_compressed_bodies_go_out_as_files() {
    use std::io::Read;
    let (root, _) = root();
    let text = page();
    std::fs::write(root.0.join("page.txt"), &text).unwrap();
    let o = FileServerOptions::new().inline_io(true).compress(true).metadata_ttl(std::time::Duration::from_secs(3600));
    let fs = fileserver(&root.0, o.clone()).unwrap();
    let gz = Request::new(Method::GET, "/page.txt").with_header("accept-encoding", "gzip");
    fs.serve(&gz).await;
    let resp = fs.serve(&gz).await;
    let (at, len) = resp.body().file_region().map(|(_, at, len)| (at, len)).expect("a file-backed body");
    assert_eq!(at, 0);
    assert!(len >= 16 * 1024 && len < text.len() as u64 / 2, "{len} bytes");
    let handler = http_core::serve_as_stream(fs);
    let r = http_core::testing::call_stream(&handler, gz).await;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..]).read_to_end(&mut plain).unwrap();
    assert!(plain == text, "in process: the decoded body differs");

    let server = Server::serve(opts(), fileserver(&root.0, o).unwrap()).await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    for round in 0..3 {
        let (head, body) =
            bounded(WAIT, "gzip page", exchange(&mut tcp, "GET", "/page.txt", "Accept-Encoding: gzip\r\n")).await;
        assert!(head.starts_with("http/1.1 200") && head.contains("content-encoding: gzip\r\n"), "{head}");
        assert_eq!(body.len() as u64, len, "round {round}");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
        assert!(plain == text, "round {round}: the decoded body differs");
    }
    let (head, body) = bounded(WAIT, "as stored", exchange(&mut tcp, "GET", "/page.txt", "")).await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(body == text, "the page as stored differs");
    server.close().await;
}
