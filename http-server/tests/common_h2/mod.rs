//! Shared helpers for the HTTP/2 and TLS integration tests: a test application (stream
//! handler), certificates made with rcgen, TLS and h2 clients, and a raw HTTP/2 frame
//! client for what the `h2` crate's client refuses to do (floods, rapid reset).

#![allow(dead_code, unreachable_pub, missing_docs)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http_core::{Response, StatusCode, Stream, StreamHandler};
use http_server::{Server, ServerOptions, TlsConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// The bound on any single client-side wait.
pub const WAIT: Duration = Duration::from_secs(10);

/// Options for tests: an ephemeral loopback port and short timeouts.
pub fn opts() -> ServerOptions {
    ServerOptions::new()
        .host("127.0.0.1")
        .port(0)
        .read_timeout(Duration::from_secs(5))
        .read_header_timeout(Duration::from_secs(5))
        .write_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(10))
        .shutdown_timeout(Duration::from_secs(5))
        .tls_handshake_timeout(Duration::from_secs(5))
        .max_body_bytes(16 * 1024 * 1024)
}

/// Runs `f` with the overall bound `limit`, failing the test (not hanging) when it passes.
pub async fn bounded<F: std::future::Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: did not finish within {limit:?}"),
    }
}

/// Polls `cond` every 10 ms until it holds, for at most `limit`.
pub async fn eventually(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what}: not reached within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Deterministic pseudo-random bytes (xorshift), so a byte-exact echo cannot pass by luck.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------

/// What the handlers report back to the tests.
#[derive(Default)]
pub struct Events {
    /// Requests currently inside `/gate`.
    pub in_gate: AtomicUsize,
    /// The most requests seen inside `/gate` at once.
    pub max_in_gate: AtomicUsize,
    pub gate_open: Notify,
    /// `/big` handlers whose write failed (write timeout, reset, closed connection).
    pub big_write_failed: AtomicUsize,
    /// `/big` handlers that wrote everything.
    pub big_write_ok: AtomicUsize,
    /// Handlers that started (any route).
    pub started: AtomicUsize,
    /// `/slow` handlers that finished their response.
    pub slow_done: AtomicUsize,
    /// `/slow` handlers dropped (cancelled) while sleeping.
    pub slow_cancelled: AtomicUsize,
}

/// Counts a cancellation unless defused.
struct CancelGuard<'a>(&'a AtomicUsize, bool);

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// The stream handler every test server runs:
/// - `GET|HEAD /plaintext` → `Hello, World!` (content-length 13);
/// - `POST /echo` → the request body streamed back chunk by chunk (any size);
/// - `GET /trailers` → `abc` with trailer `x-checksum` (declared with `Trailer:`);
/// - `GET /gate?n=N` → waits until N requests are inside `/gate` at once (at most 5 s),
///   answers with the number seen;
/// - `GET /slow?ms=N` → sleeps N ms, then `done` (a handler dropped while sleeping is counted);
/// - `GET /big?mb=N` → N MiB in 64 KiB writes, recording whether the writes succeeded;
/// - `GET /fields[?whole]` → `ok` with the handler's own `date`, an `x-a`, its own
///   `content-length` and HTTP/1.1 connection fields (set on the `Stream`, or with
///   `?whole` in a whole `Response`), for what the engine strips, keeps and adds.
#[derive(Clone, Default)]
pub struct App {
    pub events: Arc<Events>,
}

fn query_num(s: &Stream, key: &str, default: u64) -> u64 {
    s.startread()
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok()))
        .unwrap_or(default)
}

impl StreamHandler for App {
    async fn call<'a>(&'a self, s: &'a mut Stream) {
        let ev = &self.events;
        ev.started.fetch_add(1, Ordering::AcqRel);
        let path = s.startread().uri.path().to_owned();
        match path.as_str() {
            "/plaintext" => {
                let _ = s.setheader("content-type", "text/plain; charset=utf-8");
                let _ = s.setheader("content-length", "13");
                let _ = s.write("Hello, World!").await;
            }
            "/echo" => echo(s).await,
            "/trailers" => {
                let _ = s.setheader("content-type", "text/plain; charset=utf-8");
                let _ = s.setheader("trailer", "x-checksum");
                if s.write("abc").await.is_ok() {
                    let _ = s.addtrailer("x-checksum", "900150983cd24fb0d6963f7d28e17f72");
                    let _ = s.closewrite().await;
                }
            }
            "/gate" => {
                let n = query_num(s, "n", 1) as usize;
                let now = ev.in_gate.fetch_add(1, Ordering::AcqRel) + 1;
                ev.max_in_gate.fetch_max(now, Ordering::AcqRel);
                ev.gate_open.notify_waiters();
                let _ = tokio::time::timeout(Duration::from_secs(5), async {
                    loop {
                        let notified = ev.gate_open.notified();
                        if ev.max_in_gate.load(Ordering::Acquire) >= n {
                            return;
                        }
                        notified.await;
                    }
                })
                .await;
                let seen = ev.max_in_gate.load(Ordering::Acquire).to_string();
                ev.in_gate.fetch_sub(1, Ordering::AcqRel);
                let _ = s.write(seen).await;
            }
            "/slow" => {
                let ms = query_num(s, "ms", 500);
                let mut guard = CancelGuard(&ev.slow_cancelled, false);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                guard.1 = true;
                if s.write("done").await.is_ok() && s.closewrite().await.is_ok() {
                    ev.slow_done.fetch_add(1, Ordering::AcqRel);
                }
            }
            "/big" => {
                let mb = query_num(s, "mb", 64) as usize;
                let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                let _ = s.setheader("content-length", &(mb * 1024 * 1024).to_string());
                for _ in 0..mb * 16 {
                    if s.write(chunk.clone()).await.is_err() {
                        ev.big_write_failed.fetch_add(1, Ordering::AcqRel);
                        return;
                    }
                }
                ev.big_write_ok.fetch_add(1, Ordering::AcqRel);
            }
            "/fields" => {
                let fields = [
                    ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                    ("x-a", "1"),
                    ("content-length", "2"),
                    ("connection", "close"),
                    ("keep-alive", "timeout=5"),
                    ("proxy-connection", "keep-alive"),
                    ("upgrade", "h2c"),
                ];
                if s.startread().uri.query() == Some("whole") {
                    let resp = fields
                        .iter()
                        .fold(Response::new(StatusCode::OK).with_body("ok"), |r, (n, v)| r.with_header(n, v));
                    let _ = s.write_response(resp).await;
                } else {
                    for (n, v) in fields {
                        let _ = s.setheader(n, v);
                    }
                    let _ = s.write("ok").await;
                }
            }
            _ => {
                let _ = s.setstatus(StatusCode::NOT_FOUND);
                let _ = s.write("not found").await;
            }
        }
    }
}

/// Streams the request body back as it arrives (like showcase's POST /echo).
pub async fn echo(s: &mut Stream) {
    let _ = s.setheader("content-type", "application/octet-stream");
    if let Some(len) = s.startread().header("content-length").map(str::to_owned) {
        let _ = s.setheader("content-length", &len);
    }
    loop {
        match s.read_chunk().await {
            Ok(Some(chunk)) => {
                if s.write(chunk).await.is_err() {
                    return;
                }
            }
            Ok(None) => break,
            Err(e) => {
                if !s.is_head_sent() {
                    let _ = s.setstatus(e.status());
                }
                return;
            }
        }
    }
    let _ = s.closewrite().await;
}

/// A cleartext server (HTTP/1.1 and h2c prior knowledge) running [`App`].
pub async fn start(options: ServerOptions) -> (Server, App) {
    let app = App::default();
    let server = Server::listen(options, app.clone()).await.expect("server starts");
    (server, app)
}

// ---------------------------------------------------------------------------------------
// Certificates and TLS clients
// ---------------------------------------------------------------------------------------

/// A self-signed certificate for `localhost` and `127.0.0.1`.
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: rustls::pki_types::CertificateDer<'static>,
}

pub fn make_cert() -> TestCert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("rcgen makes a certificate");
    TestCert { cert_pem: ck.cert.pem(), key_pem: ck.signing_key.serialize_pem(), der: ck.cert.der().clone() }
}

impl TestCert {
    pub fn tls_config(&self) -> TlsConfig {
        TlsConfig::from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).expect("server TLS config")
    }
}

/// A TLS server running [`App`] with `cert`.
pub async fn start_tls(cert: &TestCert, options: ServerOptions) -> (Server, App) {
    start(options.tls(cert.tls_config())).await
}

/// A rustls client config trusting exactly `cert`, offering `alpn` and `versions`.
pub fn client_config(
    cert: &TestCert,
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).expect("root certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

pub type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Connects with TLS to `addr` as `localhost`.
pub async fn tls_connect(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> std::io::Result<TlsStream> {
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("server name").to_owned();
    bounded(WAIT, "TLS handshake", tokio_rustls::TlsConnector::from(config).connect(name, tcp)).await
}

// ---------------------------------------------------------------------------------------
// h2 crate client helpers
// ---------------------------------------------------------------------------------------

/// An h2 client connection on `io`; the connection task runs in the background.
pub async fn h2_client<IO>(io: IO) -> h2::client::SendRequest<Bytes>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = bounded(WAIT, "h2 client handshake", h2::client::handshake(io)).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

pub fn get(path: &str) -> http::Request<()> {
    http::Request::builder().method("GET").uri(format!("http://localhost{path}")).body(()).unwrap()
}

/// Reads a whole h2 body, releasing flow-control capacity as it goes.
pub async fn read_body(body: &mut h2::RecvStream) -> Result<Vec<u8>, h2::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Sends a GET on `send` and returns status, headers, body and trailers.
pub async fn h2_get(
    send: &mut h2::client::SendRequest<Bytes>,
    path: &str,
) -> Result<(http::response::Parts, Vec<u8>, Option<http::HeaderMap>), h2::Error> {
    let mut ready = send.clone().ready().await?;
    let (resp, _) = ready.send_request(get(path), true)?;
    let (parts, mut body) = resp.await?.into_parts();
    let data = read_body(&mut body).await?;
    let trailers = body.trailers().await?;
    Ok((parts, data, trailers))
}

// ---------------------------------------------------------------------------------------
// Raw HTTP/2 frames
// ---------------------------------------------------------------------------------------

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const NO_ERROR: u32 = 0x0;
pub const CANCEL: u32 = 0x8;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

/// One frame: 9-byte header + payload (RFC 9113 §4.1).
pub fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = Vec::with_capacity(9 + payload.len());
    f.extend_from_slice(&len.to_be_bytes()[1..]);
    f.push(ty);
    f.push(flags);
    f.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An HPACK literal header field without indexing, new name, no Huffman (RFC 7541 §6.2.2).
pub fn hpack_literal(name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![0x00];
    hpack_string(&mut out, name.as_bytes());
    hpack_string(&mut out, value.as_bytes());
    out
}

fn hpack_int(out: &mut Vec<u8>, first: u8, prefix_bits: u8, mut n: usize) {
    let max = (1usize << prefix_bits) - 1;
    if n < max {
        out.push(first | n as u8);
        return;
    }
    out.push(first | max as u8);
    n -= max;
    while n >= 128 {
        out.push((n % 128 + 128) as u8);
        n /= 128;
    }
    out.push(n as u8);
}

fn hpack_string(out: &mut Vec<u8>, s: &[u8]) {
    hpack_int(out, 0x00, 7, s.len());
    out.extend_from_slice(s);
}

/// A request header block: `:method` (GET or POST from the static table, else literal),
/// `:scheme http`, `:path`, `:authority localhost` (RFC 7541 Appendix A indices).
pub fn request_block(method: &str, path: &str) -> Vec<u8> {
    let mut b = Vec::new();
    match method {
        "GET" => b.push(0x82),
        "POST" => b.push(0x83),
        other => {
            // literal without indexing, indexed name 2 (:method)
            b.push(0x02);
            hpack_string(&mut b, other.as_bytes());
        }
    }
    b.push(0x86); // :scheme http
    b.push(0x04); // :path, literal value
    hpack_string(&mut b, path.as_bytes());
    b.push(0x01); // :authority, literal value
    hpack_string(&mut b, b"localhost");
    b
}

/// A parsed frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub ty: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Bytes,
}

impl Frame {
    /// (last stream id, error code) of a GOAWAY.
    pub fn goaway(&self) -> (u32, u32) {
        let p = &self.payload;
        (u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff, u32::from_be_bytes([p[4], p[5], p[6], p[7]]))
    }
}

/// How a raw read ended when no frame came.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadEnd {
    Eof,
    Error,
    Timeout,
}

/// A raw HTTP/2 client over TCP.
pub struct RawH2 {
    pub tcp: TcpStream,
    buf: BytesMut,
}

impl RawH2 {
    /// Connects and sends the preface and an empty SETTINGS frame.
    pub async fn connect(addr: SocketAddr) -> RawH2 {
        Self::connect_with_settings(addr, &[]).await
    }

    /// Connects and sends the preface and SETTINGS with `settings` (id, value).
    pub async fn connect_with_settings(addr: SocketAddr, settings: &[(u16, u32)]) -> RawH2 {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let mut raw = RawH2 { tcp, buf: BytesMut::with_capacity(64 * 1024) };
        let mut payload = Vec::new();
        for (id, value) in settings {
            payload.extend_from_slice(&id.to_be_bytes());
            payload.extend_from_slice(&value.to_be_bytes());
        }
        let mut hello = PREFACE.to_vec();
        hello.extend(frame(SETTINGS, 0, 0, &payload));
        raw.send(&hello).await.expect("send preface");
        raw
    }

    /// A raw client on an existing connection with bytes already read.
    pub fn from_parts(tcp: TcpStream, buf: BytesMut) -> RawH2 {
        RawH2 { tcp, buf }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        bounded(WAIT, "raw h2 write", self.tcp.write_all(bytes)).await
    }

    /// The next frame, or how the connection ended, waiting at most `limit`.
    pub async fn read_frame(&mut self, limit: Duration) -> Result<Frame, ReadEnd> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.buf.len() >= 9 {
                let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
                if self.buf.len() >= 9 + len {
                    let ty = self.buf[3];
                    let flags = self.buf[4];
                    let stream = u32::from_be_bytes([self.buf[5], self.buf[6], self.buf[7], self.buf[8]]) & 0x7fff_ffff;
                    self.buf.advance(9);
                    let payload = self.buf.split_to(len).freeze();
                    return Ok(Frame { ty, flags, stream, payload });
                }
            }
            match tokio::time::timeout_at(deadline, self.tcp.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) => return Err(ReadEnd::Eof),
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return Err(ReadEnd::Error),
                Err(_) => return Err(ReadEnd::Timeout),
            }
        }
    }

    /// Reads frames (acknowledging SETTINGS and PINGs) until a GOAWAY, returning it and
    /// every frame before it; `Err` with the frames seen when the connection ended or
    /// `limit` passed without one.
    pub async fn until_goaway(&mut self, limit: Duration) -> Result<(Frame, Vec<Frame>), (ReadEnd, Vec<Frame>)> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_frame(left).await {
                Ok(f) if f.ty == GOAWAY => return Ok((f, seen)),
                Ok(f) => {
                    self.ack(&f).await;
                    seen.push(f);
                }
                Err(end) => return Err((end, seen)),
            }
        }
    }

    /// Acknowledges a SETTINGS or PING frame (errors ignored: the peer may be gone).
    pub async fn ack(&mut self, f: &Frame) {
        if f.ty == SETTINGS && f.flags & ACK == 0 {
            let _ = self.send(&frame(SETTINGS, ACK, 0, &[])).await;
        } else if f.ty == PING && f.flags & ACK == 0 {
            let _ = self.send(&frame(PING, ACK, 0, &f.payload)).await;
        }
    }

    /// Reads until EOF/error/timeout, returning the frames seen and how it ended.
    pub async fn drain(&mut self, limit: Duration) -> (Vec<Frame>, ReadEnd) {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_frame(left).await {
                Ok(f) => seen.push(f),
                Err(end) => return (seen, end),
            }
        }
    }
}
