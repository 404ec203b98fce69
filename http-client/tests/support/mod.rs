//! Shared helpers for the client's integration tests: a route table served by our own
//! server, raw TCP servers that answer with canned bytes, and the TLS certificates and
//! stream-handler app of the server's HTTP/2 tests.

#![allow(dead_code, unused_imports, unreachable_pub, missing_docs)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_core::{Request, Response, StatusCode};
use http_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "../../../http-server/tests/common_h2/mod.rs"]
pub mod common_h2;

pub use common_h2::{TestCert, bounded, make_cert, opts, start_tls};

/// The routes of [`serve_routes`]:
/// - `/hello` → `hello`;
/// - `/peer` → the client's port (so a test counts connections at the server);
/// - `/echo` → the request body, with `x-method`, `x-auth` and `x-cookie` telling what came;
/// - `/status/N` → status N;
/// - `/redirect/N?URL` → status N with `Location: URL`;
/// - `/coded/CODING` → [`CODED_TEXT`] in that content coding (gzip or zstd), with
///   `x-accept-encoding` telling what the client offered.
async fn route(mut req: Request) -> Response {
    let path = req.path().to_owned();
    let query = req.query().unwrap_or("").to_owned();
    let seen = |req: &Request, name: &str| req.header(name).unwrap_or("-").to_owned();
    match path.as_str() {
        "/hello" => Response::new(StatusCode::OK).with_body("hello"),
        "/peer" => Response::new(StatusCode::OK)
            .with_body(req.context().peer_addr().map(|a| a.port()).unwrap_or(0).to_string()),
        "/echo" => {
            let (method, auth, cookie) = (req.method().to_string(), seen(&req, "authorization"), seen(&req, "cookie"));
            let body = req.take_body().collect(64 << 20).await.unwrap_or_default();
            Response::new(StatusCode::OK)
                .with_header("x-method", &method)
                .with_header("x-auth", &auth)
                .with_header("x-cookie", &cookie)
                .with_body(body)
        }
        p if p.starts_with("/status/") => {
            let code = p["/status/".len()..].parse().unwrap_or(500);
            Response::new(StatusCode::from_u16(code).unwrap()).with_body(format!("status {code}"))
        }
        p if p.starts_with("/redirect/") => {
            let code = p["/redirect/".len()..].parse().unwrap_or(302);
            Response::new(StatusCode::from_u16(code).unwrap()).with_header("location", &query)
        }
        p if p.starts_with("/coded/") => {
            let coding = &p["/coded/".len()..];
            let body = match coding {
                "gzip" => {
                    use std::io::Write;
                    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    e.write_all(CODED_TEXT.as_bytes()).unwrap();
                    e.finish().unwrap()
                }
                _ => zstd::stream::encode_all(CODED_TEXT.as_bytes(), 3).unwrap(),
            };
            Response::new(StatusCode::OK)
                .with_header("content-encoding", coding)
                .with_header("x-accept-encoding", &seen(&req, "accept-encoding"))
                .with_body(body)
        }
        _ => Response::new(StatusCode::NOT_FOUND).with_body("not found"),
    }
}

/// What `/coded/…` sends, encoded.
pub const CODED_TEXT: &str = "the same words again and again, the same words again and again";

/// Our server (HTTP/1.1 and h2c) on an ephemeral port, serving [`route`].
pub async fn serve_routes() -> Server {
    Server::serve(opts(), route).await.expect("server starts")
}

/// The same routes over TLS (ALPN h2 and http/1.1) with `cert`.
pub async fn serve_routes_tls(cert: &TestCert) -> Server {
    Server::serve(opts().tls(cert.tls_config()), route).await.expect("TLS server starts")
}

/// A raw TCP server: each connection gets the next of `replies` (the last one repeats),
/// written once a request head has arrived; `None` closes without answering. Counts
/// connections.
pub struct RawServer {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
}

impl RawServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }
}

/// Reads until a blank line ends a request head; `None` at end of file.
pub async fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A server answering every connection's first request with `reply`, then closing.
pub async fn raw_server(reply: Vec<u8>) -> RawServer {
    scripted_server(move |mut s, _| {
        let reply = reply.clone();
        async move {
            if read_head(&mut s).await.is_some() {
                let _ = s.write_all(&reply).await;
                let _ = s.flush().await;
            }
            // Let the client see the bytes before the close.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// A server running `script` on each connection (given its index, from 0).
pub async fn scripted_server<F, Fut>(script: F) -> RawServer
where
    F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let i = count.fetch_add(1, Ordering::AcqRel);
            tokio::spawn(script(s, i));
        }
    });
    RawServer { addr, accepted }
}

/// What the raw HTTP/2 server does with a stream.
#[derive(Clone, Copy, Debug)]
pub enum H2Act {
    Ok,
    /// Answer, then close the connection gracefully (GOAWAY).
    OkThenGoAway,
    Refuse,
    Reset,
    ShortBody,
}

/// An h2c server (the `h2` crate) whose `act(connection, stream)` decides each stream.
pub async fn h2_server(act: fn(usize, usize) -> H2Act) -> RawServer {
    scripted_server(move |tcp, conn_no| async move {
        let Ok(mut conn) = h2::server::handshake(tcp).await else { return };
        let mut stream_no = 0;
        while let Some(Ok((_req, mut respond))) = conn.accept().await {
            let action = act(conn_no, stream_no);
            stream_no += 1;
            match action {
                H2Act::Refuse => respond.send_reset(h2::Reason::REFUSED_STREAM),
                H2Act::Reset => {
                    let _ = respond.send_response(http::Response::new(()), false);
                    respond.send_reset(h2::Reason::INTERNAL_ERROR);
                }
                H2Act::ShortBody | H2Act::Ok | H2Act::OkThenGoAway => {
                    let short = matches!(action, H2Act::ShortBody);
                    let res = http::Response::builder().header("content-length", if short { "10" } else { "2" });
                    if let Ok(mut body) = respond.send_response(res.body(()).unwrap(), false) {
                        let _ = body.send_data(bytes::Bytes::from_static(if short { b"abc" } else { b"ok" }), true);
                    }
                    if matches!(action, H2Act::OkThenGoAway) {
                        conn.graceful_shutdown();
                    }
                }
            }
        }
    })
    .await
}

/// A forward proxy: absolute-form requests are answered `proxied: <request head>` (so a
/// test sees what came), `CONNECT host:port` opens a tunnel. Counts connections.
pub async fn proxy_server() -> RawServer {
    scripted_server(|mut s, _| async move {
        let Some(head) = read_head(&mut s).await else { return };
        if let Some(rest) = head.strip_prefix("CONNECT ") {
            let authority = rest.split(' ').next().unwrap_or("").to_owned();
            let Ok(mut upstream) = TcpStream::connect(authority.replace("localhost", "127.0.0.1")).await else {
                return;
            };
            let _ = s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
            let _ = tokio::io::copy_bidirectional(&mut s, &mut upstream).await;
        } else {
            let body = format!("proxied: {head}");
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = s.write_all(reply.as_bytes()).await;
        }
    })
    .await
}
