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
    let _ = s.set_header("content-type", "text/plain; charset=utf-8");
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
async fn h2_connect(transport: Transport, addr: SocketAddr, cert: Option<&CertificateDer<'static>>) -> h2::client::SendRequest<Bytes> {
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
