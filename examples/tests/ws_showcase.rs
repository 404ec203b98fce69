//! The showcase's WebSocket routes (`/ws` echo, `/ws/ticks`) on an in-process server over
//! real sockets, on four transports: `ws://` (HTTP/1.1 Upgrade), `wss://` (HTTP/1.1 over
//! TLS), h2c extended CONNECT (prior knowledge) and HTTP/2 over TLS (ALPN h2); with our
//! client, tokio-tungstenite's, the `h2` crate and hand-written frames. Also the refused
//! handshakes, the server's shutdown (close 1001), and slow readers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use examples::features::ws;
use futures_util::{SinkExt, StreamExt};
use http_core::Stream;
use http_router::Router;
use http_server::{Server, ServerOptions, TlsConfig};
use http_ws::client::Client;
use http_ws::{CloseCode, CloseFrame, Config, DeflateConfig, H2Stream, Message, WebSocket};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as TMessage;

const WAIT: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: did not finish within {WAIT:?}"),
    }
}

async fn plaintext(s: &mut Stream) {
    let _ = s.setheader("content-type", "text/plain; charset=utf-8");
    let _ = s.setheader("content-length", "13");
    let _ = s.write("Hello, World!").await;
}

/// A server with the showcase's /plaintext and WebSocket routes; `tls` adds a
/// self-signed certificate for `localhost` (returned, for the clients' root store).
async fn start(tls: bool) -> (Server, Option<CertificateDer<'static>>) {
    let router = ws::routes(Router::new().route_stream("GET /plaintext", plaintext));
    let mut opts = ServerOptions::new().host("127.0.0.1").port(0).shutdown_timeout(Duration::from_secs(10));
    let mut cert = None;
    if tls {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        cert = Some(ck.cert.der().clone());
        let config = TlsConfig::from_pem(ck.cert.pem().as_bytes(), ck.signing_key.serialize_pem().as_bytes()).unwrap();
        opts = opts.tls(config);
    }
    (Server::listen(opts, router).await.unwrap(), cert)
}

fn tls_connector(cert: &CertificateDer<'static>, alpn: &[&[u8]]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn tls_stream(
    addr: SocketAddr,
    cert: &CertificateDer<'static>,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tls_connector(cert, alpn).connect(name, tcp).await.unwrap()
}

/// How a test reaches the server.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Transport {
    /// `ws://`: HTTP/1.1 Upgrade over TCP.
    Ws,
    /// `wss://` with ALPN `http/1.1`, or without ALPN.
    Wss { alpn: bool },
    /// HTTP/2 prior knowledge over TCP, extended CONNECT.
    H2c,
    /// HTTP/2 over TLS (ALPN h2), extended CONNECT.
    H2Tls,
}

impl Transport {
    fn tls(self) -> bool {
        matches!(self, Transport::Wss { .. } | Transport::H2Tls)
    }
}

type Io = Box<dyn IoStream>;
trait IoStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> IoStream for T {}

/// An h2 client connection (its driver spawned) over TCP or TLS.
async fn h2_connect(
    transport: Transport,
    addr: SocketAddr,
    cert: Option<&CertificateDer<'static>>,
) -> h2::client::SendRequest<Bytes> {
    let io: Io = match transport {
        Transport::H2Tls => Box::new(tls_stream(addr, cert.unwrap(), &[b"h2"]).await),
        _ => Box::new(TcpStream::connect(addr).await.unwrap()),
    };
    let (send, conn) = h2::client::handshake(io).await.unwrap();
    tokio::spawn(conn);
    send
}

/// Our client's socket over either kind of I/O.
enum Sock {
    H1(WebSocket<Io>),
    H2(WebSocket<H2Stream>),
}

impl Sock {
    async fn send(&mut self, m: Message) -> Result<(), http_ws::Error> {
        match self {
            Sock::H1(w) => w.send(m).await,
            Sock::H2(w) => w.send(m).await,
        }
    }
    async fn recv(&mut self) -> Option<Result<Message, http_ws::Error>> {
        match self {
            Sock::H1(w) => w.recv().await,
            Sock::H2(w) => w.recv().await,
        }
    }
    fn config(&self) -> &Config {
        match self {
            Sock::H1(w) => w.config(),
            Sock::H2(w) => w.config(),
        }
    }
    /// The next data or close message (pongs skipped), bounded.
    async fn next_msg(&mut self) -> Option<Result<Message, http_ws::Error>> {
        bounded("next message", async {
            loop {
                match self.recv().await {
                    Some(Ok(Message::Pong(_) | Message::Ping(_))) => {}
                    other => return other,
                }
            }
        })
        .await
    }
}

/// A WebSocket to `path` with `client` over `transport`.
async fn open(
    transport: Transport,
    addr: SocketAddr,
    cert: Option<&CertificateDer<'static>>,
    client: &Client,
    path: &str,
) -> Sock {
    let uri: http::Uri = format!("ws://localhost:{}{path}", addr.port()).parse().unwrap();
    match transport {
        Transport::Ws | Transport::Wss { .. } => {
            let io: Io = match transport {
                Transport::Wss { alpn: true } => Box::new(tls_stream(addr, cert.unwrap(), &[b"http/1.1"]).await),
                Transport::Wss { alpn: false } => Box::new(tls_stream(addr, cert.unwrap(), &[]).await),
                _ => Box::new(TcpStream::connect(addr).await.unwrap()),
            };
            Sock::H1(bounded("handshake", client.handshake(io, &uri)).await.unwrap().0)
        }
        Transport::H2c | Transport::H2Tls => {
            let send = h2_connect(transport, addr, cert).await;
            Sock::H2(bounded("h2 handshake", client.handshake_h2(send, &uri)).await.unwrap().0)
        }
    }
}

const TRANSPORTS: [Transport; 5] =
    [Transport::Ws, Transport::Wss { alpn: true }, Transport::Wss { alpn: false }, Transport::H2c, Transport::H2Tls];

fn close_code(m: Option<Result<Message, http_ws::Error>>) -> (u16, String) {
    match m {
        Some(Ok(Message::Close(Some(f)))) => (f.code.0, f.reason),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_over_every_transport_with_and_without_deflate() {
    let (plain, _) = start(false).await;
    let (secure, cert) = start(true).await;
    for transport in TRANSPORTS {
        let server = if transport.tls() { &secure } else { &plain };
        for deflate in [false, true] {
            let mut config = Config::default();
            config.max_send_frame_size = 1000; // long messages go out fragmented
            let client = Client::new().config(config).deflate(deflate.then(DeflateConfig::default));
            let mut ws = open(transport, server.local_addr(), cert.as_ref(), &client, "/ws").await;
            let what = format!("{transport:?} deflate={deflate}");
            assert_eq!(ws.config().deflate.is_some(), deflate, "{what}: negotiated");
            let long = "x".repeat(5000) + "é";
            let sent = [
                Message::text("hello"),
                Message::binary(vec![0u8, 1, 2, 255]),
                Message::text(long.clone()),
                Message::binary(vec![7u8; 70_000]),
                Message::text(""),
            ];
            for m in &sent {
                ws.send(m.clone()).await.unwrap();
            }
            for m in &sent {
                assert_eq!(&ws.next_msg().await.unwrap().unwrap(), m, "{what}: echoed in order");
            }
            ws.send(Message::Ping(Bytes::from_static(b"are you there"))).await.unwrap();
            let pong = bounded("pong", async {
                loop {
                    if let Some(Ok(Message::Pong(p))) = ws.recv().await {
                        return p;
                    }
                }
            })
            .await;
            assert_eq!(pong, "are you there", "{what}");
            ws.send(Message::Close(Some(CloseFrame::new(CloseCode(4001), "bye")))).await.unwrap();
            assert_eq!(close_code(ws.next_msg().await).0, 4001, "{what}: close echoed with its code");
            assert!(ws.next_msg().await.is_none(), "{what}: ended");
        }
    }
    plain.close().await;
    secure.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tungstenite_client_echoes_over_ws_and_wss() {
    let (plain, _) = start(false).await;
    let (secure, cert) = start(true).await;
    let cert = cert.unwrap();
    for tls in [false, true] {
        let port = if tls { secure.port() } else { plain.port() };
        let url = format!("ws://localhost:{port}/ws");
        let mut ws = if tls {
            let io = tls_stream(secure.local_addr(), &cert, &[]).await;
            let (ws, _) = tokio_tungstenite::client_async(url, Box::new(io) as Io).await.unwrap();
            ws
        } else {
            let io = TcpStream::connect(plain.local_addr()).await.unwrap();
            tokio_tungstenite::client_async(url, Box::new(io) as Io).await.unwrap().0
        };
        ws.send(TMessage::text("hi")).await.unwrap();
        ws.send(TMessage::binary(vec![1u8, 2, 3])).await.unwrap();
        assert_eq!(bounded("t1", ws.next()).await.unwrap().unwrap(), TMessage::text("hi"));
        assert_eq!(bounded("t2", ws.next()).await.unwrap().unwrap(), TMessage::binary(vec![1u8, 2, 3]));
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = bounded("t-close", ws.next()).await {}
    }
    plain.close().await;
    secure.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_then_close_done_on_every_transport() {
    let (plain, _) = start(false).await;
    let (secure, cert) = start(true).await;
    for transport in TRANSPORTS {
        let server = if transport.tls() { &secure } else { &plain };
        let mut ws = open(transport, server.local_addr(), cert.as_ref(), &Client::new(), "/ws/ticks?n=5").await;
        for i in 0..5 {
            assert_eq!(ws.next_msg().await.unwrap().unwrap(), Message::text(format!("tick {i}")), "{transport:?}");
        }
        assert_eq!(close_code(ws.next_msg().await), (1000, "done".to_owned()), "{transport:?}");
        assert!(ws.next_msg().await.is_none(), "{transport:?}");

        // a ping and then a close from the client during the ticks
        let mut ws = open(transport, server.local_addr(), cert.as_ref(), &Client::new(), "/ws/ticks?n=1000").await;
        assert_eq!(ws.next_msg().await.unwrap().unwrap(), Message::text("tick 0"));
        ws.send(Message::Ping(Bytes::from_static(b"p"))).await.unwrap();
        let pong = bounded("pong during ticks", async {
            loop {
                match ws.recv().await {
                    Some(Ok(Message::Pong(p))) => return p,
                    Some(Ok(Message::Text(_))) => {}
                    other => panic!("{other:?}"),
                }
            }
        })
        .await;
        assert_eq!(pong, "p");
        ws.send(Message::Close(Some(CloseFrame::new(CloseCode(4002), "enough")))).await.unwrap();
        let code = bounded("close during ticks", async {
            loop {
                match ws.recv().await {
                    Some(Ok(Message::Close(f))) => return f.map(|f| f.code.0),
                    Some(Ok(_)) => {}
                    other => panic!("{other:?}"),
                }
            }
        })
        .await;
        assert_eq!(code, Some(4002), "{transport:?}");
    }
    plain.close().await;
    secure.close().await;
}

// ---------------------------------------------------------------------------------------
// Hand-written HTTP/1.1 and frames
// ---------------------------------------------------------------------------------------

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Reads one response head (through the blank line); returns it lower-cased and the
/// bytes after it.
async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = got.split_off(end + 4);
            return (String::from_utf8(got).unwrap().to_ascii_lowercase(), rest);
        }
        let n = bounded("response head", io.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed before the head: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

/// Reads a response with a content-length body; returns (head, body).
async fn read_response<S: AsyncRead + Unpin>(io: &mut S) -> (String, String) {
    let (head, mut rest) = read_head(io).await;
    let len: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
    let mut buf = [0u8; 4096];
    while rest.len() < len {
        let n = bounded("response body", io.read(&mut buf)).await.unwrap();
        assert!(n > 0);
        rest.extend_from_slice(&buf[..n]);
    }
    (head, String::from_utf8(rest).unwrap())
}

/// A raw `ws://` handshake on `path`; returns the connection right after the 101.
async fn raw_upgrade(addr: SocketAddr, path: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let (head, rest) = read_head(&mut tcp).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
    assert!(rest.is_empty());
    tcp
}

/// A masked client frame.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n < 65536 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [0x11, 0x22, 0x33, 0x44];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// Reads one unmasked server frame: (opcode, payload).
async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    bounded("server frame", async {
        let mut h = [0u8; 2];
        tcp.read_exact(&mut h).await.unwrap();
        assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
        let len = match h[1] & 0x7f {
            126 => u64::from(tcp.read_u16().await.unwrap()),
            127 => tcp.read_u64().await.unwrap(),
            n => u64::from(n),
        };
        let mut payload = vec![0u8; len as usize];
        tcp.read_exact(&mut payload).await.unwrap();
        (h[0] & 0x0f, payload)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_codes_are_echoed_and_bad_ones_get_1002() {
    let (server, _) = start(false).await;
    for (sent, want) in [
        (1000u16, 1000u16),
        (1001, 1001),
        (3000, 3000),
        (4001, 4001),
        (4999, 4999),
        (999, 1002),
        (1005, 1002),
        (1006, 1002),
        (5000, 1002),
    ] {
        let mut tcp = raw_upgrade(server.local_addr(), "/ws").await;
        let mut payload = sent.to_be_bytes().to_vec();
        payload.extend_from_slice(b"reason");
        tcp.write_all(&frame(0x8, &payload)).await.unwrap();
        let (op, got) = read_frame(&mut tcp).await;
        assert_eq!(op, 0x8, "close {sent}");
        assert_eq!(u16::from_be_bytes([got[0], got[1]]), want, "close {sent}");
        // then the server ends the connection
        let mut rest = Vec::new();
        bounded("server closes", tcp.read_to_end(&mut rest)).await.unwrap();
    }
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_16_mib_message_echoes_and_one_byte_more_gets_1009() {
    let (server, _) = start(false).await;
    let big: Vec<u8> = (0..16usize << 20).map(|i| (i % 251) as u8).collect();
    let mut ws = open(Transport::Ws, server.local_addr(), None, &Client::new(), "/ws").await;
    ws.send(Message::binary(big.clone())).await.unwrap();
    let back = ws.next_msg().await.unwrap().unwrap();
    assert!(back.as_payload() == big.as_slice(), "16 MiB echoed intact");

    let mut tcp = raw_upgrade(server.local_addr(), "/ws").await;
    let mut too_big = big;
    too_big.push(0);
    let (mut r, mut w) = tcp.split();
    let write = async {
        let _ = w.write_all(&frame(0x2, &too_big)).await; // may be cut short
    };
    let read = async {
        let mut h = [0u8; 4];
        bounded("1009", r.read_exact(&mut h)).await.unwrap();
        h
    };
    let ((), h) = tokio::join!(write, read);
    assert_eq!(h, [0x88, 2, 0x03, 0xF1], "close 1009 from the header alone");
    server.close().await;
}

// ---------------------------------------------------------------------------------------
// Refused handshakes
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_h1_handshakes_and_the_connection_serves_on() {
    let (server, _) = start(false).await;
    let base = "Host: x\r\n";
    let up = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    let key = format!("Sec-WebSocket-Key: {KEY}\r\n");
    let v13 = "Sec-WebSocket-Version: 13\r\n";
    let cases: [(&str, String, u16, &[&str]); 5] = [
        ("no upgrade headers", format!("{base}{key}{v13}"), 426, &["upgrade: websocket"]),
        ("upgrade without connection", format!("{base}Upgrade: websocket\r\n{key}{v13}"), 426, &["upgrade: websocket"]),
        ("version 12", format!("{base}{up}{key}Sec-WebSocket-Version: 12\r\n"), 426, &["sec-websocket-version: 13"]),
        ("no version", format!("{base}{up}{key}"), 426, &["sec-websocket-version: 13"]),
        ("no key", format!("{base}{up}{v13}"), 400, &[]),
    ];
    for (what, headers, status, want) in cases {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        tcp.write_all(format!("GET /ws HTTP/1.1\r\n{headers}\r\n").as_bytes()).await.unwrap();
        let (head, body) = read_response(&mut tcp).await;
        assert!(head.starts_with(&format!("http/1.1 {status}")), "{what}: {head}");
        for h in want {
            assert!(head.contains(h), "{what}: {h} missing in {head}");
        }
        assert!(!body.is_empty() && body.len() < 100, "{what}: a short text body: {body:?}");
        // the same connection serves the next request
        tcp.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let (head, body) = read_response(&mut tcp).await;
        assert!(head.starts_with("http/1.1 200"), "{what}: then {head}");
        assert_eq!(body, "Hello, World!");
    }
    server.close().await;
}

/// Sends an HTTP/2 request; returns (status, headers).
async fn h2_request(
    send: &mut h2::client::SendRequest<Bytes>,
    method: http::Method,
    path: &str,
    port: u16,
    protocol: Option<&'static str>,
    version: &str,
) -> (u16, http::HeaderMap, Option<h2::SendStream<Bytes>>) {
    let mut req = http::Request::builder()
        .method(method.clone())
        .uri(format!("http://localhost:{port}{path}"))
        .header("sec-websocket-version", version)
        .body(())
        .unwrap();
    if let Some(p) = protocol {
        req.extensions_mut().insert(h2::ext::Protocol::from_static(p));
    }
    let end = method != http::Method::CONNECT;
    let ready = bounded("h2 ready", send.clone().ready()).await.unwrap();
    *send = ready;
    let (resp, stream) = send.send_request(req, end).unwrap();
    let resp = bounded("h2 response", resp).await.unwrap();
    (resp.status().as_u16(), resp.headers().clone(), (!end).then_some(stream))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_h2_handshakes_leave_the_connection_usable() {
    let (server, _) = start(false).await;
    let port = server.port();
    let mut send = h2_connect(Transport::H2c, server.local_addr(), None).await;
    // a plain GET over HTTP/2 is no handshake
    let (status, _, _) = h2_request(&mut send, http::Method::GET, "/ws", port, None, "13").await;
    assert!(status == 426 || status == 400, "GET over h2: {status}");
    // version 12 on an extended CONNECT
    let (status, headers, _) = h2_request(&mut send, http::Method::CONNECT, "/ws", port, Some("websocket"), "12").await;
    assert_eq!(status, 426);
    assert_eq!(headers["sec-websocket-version"], "13");
    // the same connection: an ordinary request and two WebSockets at once
    let (status, _, _) = h2_request(&mut send, http::Method::GET, "/plaintext", port, None, "13").await;
    assert_eq!(status, 200);
    let uri: http::Uri = format!("ws://localhost:{port}/ws").parse().unwrap();
    let (mut a, _) = Client::new().handshake_h2(send.clone(), &uri).await.unwrap();
    let (mut b, _) = Client::new().handshake_h2(send.clone(), &uri).await.unwrap();
    a.send(Message::text("to a")).await.unwrap();
    b.send(Message::text("to b")).await.unwrap();
    let (status, _, _) = h2_request(&mut send, http::Method::GET, "/plaintext", port, None, "13").await;
    assert_eq!(status, 200, "an ordinary request between the sockets' messages");
    assert_eq!(bounded("b", b.recv()).await.unwrap().unwrap(), Message::text("to b"));
    assert_eq!(bounded("a", a.recv()).await.unwrap().unwrap(), Message::text("to a"));
    a.close(CloseCode::NORMAL, "").await.unwrap();
    b.send(Message::text("still here")).await.unwrap();
    assert_eq!(bounded("b again", b.recv()).await.unwrap().unwrap(), Message::text("still here"));
    b.close(CloseCode::NORMAL, "").await.unwrap();
    server.close().await;
}

// ---------------------------------------------------------------------------------------
// Lifecycle and slow readers
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close_sends_1001_to_every_socket_and_returns_early() {
    let (server, cert) = start(true).await;
    let addr = server.local_addr();
    let mut sockets = Vec::new();
    for (transport, path) in [
        (Transport::Wss { alpn: true }, "/ws"),
        (Transport::H2Tls, "/ws"),
        (Transport::H2Tls, "/ws/ticks?n=10000"),
        (Transport::Wss { alpn: false }, "/ws/ticks?n=10000"),
    ] {
        let mut ws = open(transport, addr, cert.as_ref(), &Client::new(), path).await;
        ws.send(Message::text("ready?")).await.unwrap();
        assert!(matches!(ws.next_msg().await, Some(Ok(Message::Text(_)))), "{transport:?} {path} is open");
        sockets.push((transport, path, ws));
    }
    let started = Instant::now();
    let closing = tokio::spawn({
        let server = server.clone();
        async move { server.close().await }
    });
    for (transport, path, mut ws) in sockets {
        let code = bounded("1001", async {
            loop {
                match ws.recv().await {
                    Some(Ok(Message::Close(f))) => return f.map(|f| f.code),
                    Some(Ok(_)) => {}
                    other => panic!("{transport:?} {path}: {other:?}"),
                }
            }
        })
        .await;
        assert_eq!(code, Some(CloseCode::GOING_AWAY), "{transport:?} {path}");
        assert!(bounded("end", ws.recv()).await.is_none());
    }
    bounded("close", closing).await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "close() took {took:?}; the deadline is 10 s");
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forceclose_drops_open_sockets() {
    let (server, _) = start(false).await;
    let addr = server.local_addr();
    let mut h1 = open(Transport::Ws, addr, None, &Client::new(), "/ws").await;
    let mut h2 = open(Transport::H2c, addr, None, &Client::new(), "/ws").await;
    for ws in [&mut h1, &mut h2] {
        ws.send(Message::text("x")).await.unwrap();
        ws.next_msg().await.unwrap().unwrap();
    }
    bounded("forceclose", server.forceclose()).await;
    assert_eq!(server.connections(), 0, "every connection dropped");
    for ws in [&mut h1, &mut h2] {
        // a 1001 may slip out before the connections are cut; then the end comes
        bounded("dropped", async { while let Some(Ok(_)) = ws.recv().await {} }).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_holds_back_only_itself() {
    let (server, _) = start(false).await;
    let addr = server.local_addr();
    // h1: a client that writes 32 MiB of messages and never reads
    let mut slow = raw_upgrade(addr, "/ws").await;
    let flood = tokio::spawn(async move {
        let msg = frame(0x2, &vec![1u8; 1 << 20]);
        for _ in 0..32 {
            if slow.write_all(&msg).await.is_err() {
                break;
            }
        }
        slow // kept open, unread
    });
    // h2: one stream of a connection stops reading; its sibling goes on (the client gives
    // its connection a window much larger than a stream's, so the stuck stream cannot
    // use it up)
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) = h2::client::Builder::new()
        .initial_window_size(64 << 10)
        .initial_connection_window_size(16 << 20)
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    tokio::spawn(conn);
    let uri: http::Uri = format!("ws://localhost:{}/ws", addr.port()).parse().unwrap();
    let (mut stuck, _) = Client::new().handshake_h2(send.clone(), &uri).await.unwrap();
    for _ in 0..16 {
        // 4 MiB echoed into a stream nobody reads (more than its window)
        if tokio::time::timeout(Duration::from_secs(2), stuck.send(Message::binary(vec![2u8; 256 << 10])))
            .await
            .is_err()
        {
            break;
        }
    }
    let (mut sibling, _) = Client::new().handshake_h2(send, &uri).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..20 {
        let mut ws = open(Transport::Ws, addr, None, &Client::new(), "/ws").await;
        ws.send(Message::text(format!("m{i}"))).await.unwrap();
        assert_eq!(ws.next_msg().await.unwrap().unwrap(), Message::text(format!("m{i}")));
        sibling.send(Message::text(format!("s{i}"))).await.unwrap();
        assert_eq!(bounded("sibling", sibling.recv()).await.unwrap().unwrap(), Message::text(format!("s{i}")));
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let (head, _) = read_response(&mut tcp).await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
    }
    assert!(!flood.is_finished(), "the slow reader's writes are held back");
    flood.abort();
    drop(stuck);
    server.forceclose().await;
}

/// Lets requests with `authorization: token` through; answers 401 to the rest, before any
/// handshake.
struct RequireToken;
struct Checked(http_core::BoxStreamHandler);

impl http_core::StreamHandler for Checked {
    async fn call(&self, s: &mut Stream) {
        if s.startread().headers.get("authorization").is_some_and(|v| v == "token") {
            self.0.call(s).await;
        } else {
            let _ = s.setstatus(http_core::StatusCode::UNAUTHORIZED);
            let _ = s.setheader("content-length", "0");
        }
    }
}

impl http_router::Layer for RequireToken {
    fn wrap_serve(&self, next: http_core::BoxHandler) -> http_core::BoxHandler {
        next
    }
    fn wrap_stream(&self, next: http_core::BoxStreamHandler) -> http_core::BoxStreamHandler {
        http_core::BoxStreamHandler::new(Checked(next))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_authenticates_before_the_upgrade() {
    let router = ws::routes(Router::new()).use_middleware(RequireToken);
    let server = Server::listen(ServerOptions::new().host("127.0.0.1").port(0), router).await.unwrap();
    let addr = server.local_addr();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", http::HeaderValue::from_static("token"));
    let authed = Client::new().headers(headers);
    for transport in [Transport::Ws, Transport::H2c] {
        let uri: http::Uri = format!("ws://localhost:{}/ws", addr.port()).parse().unwrap();
        let refused = match transport {
            Transport::Ws => Client::new().handshake(TcpStream::connect(addr).await.unwrap(), &uri).await.err(),
            _ => Client::new().handshake_h2(h2_connect(transport, addr, None).await, &uri).await.err(),
        };
        let refused = refused.expect("no token, no WebSocket").to_string();
        assert!(refused.contains("401"), "{transport:?}: {refused}");
        let mut ws = open(transport, addr, None, &authed, "/ws").await;
        ws.send(Message::text("authed")).await.unwrap();
        assert_eq!(ws.next_msg().await.unwrap().unwrap(), Message::text("authed"), "{transport:?}");
    }
    server.close().await;
}
