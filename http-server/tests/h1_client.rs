//! The HTTP/1.1 engine against a client nobody here wrote: hyper 1.x's
//! `client::conn::http1`, one connection per `SendRequest`, so keep-alive reuse is
//! observable.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use common::{bounded, opts, pattern};
use http::{HeaderMap, Method, Request as HttpRequest, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use http_core::{Request, Response, Stream};
use http_server::Server;
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type ReqBody = BoxBody<Bytes, Infallible>;

fn empty() -> ReqBody {
    Empty::<Bytes>::new().boxed()
}

fn full(b: impl Into<Bytes>) -> ReqBody {
    Full::new(b.into()).boxed()
}

/// A body of unknown length: hyper sends it chunked, one chunk per item.
fn streamed(data: &[u8], chunk: usize) -> ReqBody {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> =
        data.chunks(chunk).map(|c| Ok(Frame::data(Bytes::copy_from_slice(c)))).collect();
    StreamBody::new(tokio_stream::iter(frames)).boxed()
}

struct Client {
    tx: SendRequest<ReqBody>,
    local_port: u16,
    conn: tokio::task::JoinHandle<()>,
}

async fn client(server: &Server) -> Client {
    let tcp = bounded(common::WAIT, "connect", TcpStream::connect(server.local_addr())).await.unwrap();
    let local_port = tcp.local_addr().unwrap().port();
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    Client { tx, local_port, conn }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

impl Client {
    async fn send(&mut self, req: HttpRequest<ReqBody>) -> Reply {
        bounded(Duration::from_secs(20), "request", async {
            self.tx.ready().await.expect("connection ready for another request");
            let resp = self.tx.send_request(req).await.expect("response");
            let (parts, body) = resp.into_parts();
            let collected = body.collect().await.expect("whole response body");
            let trailers = collected.trailers().cloned();
            Reply { status: parts.status, headers: parts.headers, body: collected.to_bytes(), trailers }
        })
        .await
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send(req(Method::GET, path).body(empty()).unwrap()).await
    }
}

fn req(method: Method, path: &str) -> http::request::Builder {
    HttpRequest::builder().method(method).uri(path).header("host", "test")
}

/// Serve-style application.
async fn app(req: Request) -> Response {
    match (req.method().as_str(), req.path()) {
        ("GET" | "HEAD", "/hello") => Response::text("Hello, World!").with_header("x-app", "hello"),
        ("GET", "/peer") => Response::text(req.context().peer_addr().map(|a| a.port().to_string()).unwrap_or_default()),
        ("GET", "/big") => {
            let n: usize = req.query().and_then(|q| q.parse().ok()).unwrap_or(0);
            Response::from(http::Response::new(pattern(n, 7)))
        }
        ("POST", "/echo") => {
            let te = req.header("transfer-encoding").unwrap_or("-").to_owned();
            let body = req.body().as_bytes().cloned().unwrap_or_default();
            Response::new(StatusCode::OK).with_header("x-request-te", &te).with_body(body)
        }
        _ => Response::error(StatusCode::NOT_FOUND),
    }
}

/// Listen-style handlers, all writing without Content-Length unless told.
async fn streamer(s: &mut Stream) {
    let path = s.startread().uri.path().to_owned();
    match path.as_str() {
        // Streams the request body back chunk by chunk; trailers give the byte count.
        "/echo" => {
            let te = s.startread().header("transfer-encoding").unwrap_or("-").to_owned();
            let _ = s.setheader("x-request-te", &te);
            let _ = s.setheader("trailer", "x-count");
            let mut n = 0usize;
            loop {
                match s.read_chunk().await {
                    Ok(Some(c)) => {
                        n += c.len();
                        if s.write(c).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
            let _ = s.addtrailer("x-count", &n.to_string());
        }
        // Several chunks and a checksum trailer; with `?cl`, a declared Content-Length too.
        "/trailers" => {
            let parts: [&[u8]; 3] = [b"alpha,", b"beta,", b"gamma"];
            let total: usize = parts.iter().map(|p| p.len()).sum();
            if s.startread().uri.query() == Some("cl") {
                let _ = s.setheader("content-length", &total.to_string());
            }
            let _ = s.setheader("trailer", "x-checksum");
            let mut sum = 0u32;
            for p in parts {
                sum = p.iter().fold(sum, |a, &b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
                if s.write(Bytes::from_static(p)).await.is_err() {
                    return;
                }
            }
            let _ = s.addtrailer("x-checksum", &format!("{sum:08x}"));
        }
        // Refuses without reading the body (for Expect: 100-continue).
        "/refuse" => {
            let _ = s.setstatus(StatusCode::FORBIDDEN);
            let _ = s.setheader("content-length", "2");
            let _ = s.write("no").await;
        }
        _ => {
            let _ = s.setstatus(StatusCode::NOT_FOUND);
        }
    }
}

fn checksum(body: &[u8]) -> String {
    format!("{:08x}", body.iter().fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(u32::from(b))))
}

#[tokio::test]
async fn get_and_post() {
    let server = Server::serve(opts(), app).await.unwrap();
    let mut c = client(&server).await;
    let r = c.get("/hello").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Hello, World!");
    assert_eq!(r.header("content-length"), Some("13"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(httpdate::parse_http_date(r.header("date").expect("Date header")).is_ok());

    let r = c.send(req(Method::POST, "/echo").body(full("some posted bytes")).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "some posted bytes");
    assert_eq!(r.header("x-request-te"), Some("-"));
    assert_eq!(r.header("content-length"), Some("17"));

    let r = c.get("/missing").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::NOT_FOUND, &b"Not Found"[..]));
    server.close().await;
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let server = Server::serve(opts(), app).await.unwrap();
    let mut c = client(&server).await;
    for i in 0..5 {
        let r = c.get("/peer").await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
        assert_eq!(r.body, c.local_port.to_string(), "request {i} arrived on another connection");
        assert_eq!(r.header("connection"), None, "request {i}");
        assert_eq!(server.connections(), 1);
    }
    // A second client gets its own connection; both stay usable.
    let mut c2 = client(&server).await;
    assert_eq!(c2.get("/peer").await.body, c2.local_port.to_string());
    assert_eq!(c.get("/peer").await.body, c.local_port.to_string());
    assert_eq!(server.connections(), 2);
    drop((c, c2));
    server.close().await;
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn chunked_request_and_response_bodies() {
    let server = Server::listen(opts(), streamer).await.unwrap();
    let mut c = client(&server).await;
    let data = pattern(100_000, 3);
    let r = c.send(req(Method::POST, "/echo").header("te", "trailers").body(streamed(&data, 7_777)).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-request-te"), Some("chunked"), "hyper sent the body chunked");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"), "unknown length goes out chunked");
    assert_eq!(r.header("content-length"), None);
    assert!(r.body == data, "echoed body differs ({} vs {} bytes)", r.body.len(), data.len());
    assert_eq!(r.trailers.as_ref().and_then(|t| t.get("x-count")).unwrap(), &data.len().to_string());
    // Serve-style: the chunked request body arrives decoded and whole.
    let server2 = Server::serve(opts(), app).await.unwrap();
    let mut c2 = client(&server2).await;
    let r = c2.send(req(Method::POST, "/echo").body(streamed(&data, 1000)).unwrap()).await;
    assert_eq!(r.header("x-request-te"), Some("chunked"));
    assert_eq!(r.header("content-length"), Some("100000"));
    assert!(r.body == data);
    server.close().await;
    server2.close().await;
}

#[tokio::test]
async fn trailers_only_when_the_client_accepts_them() {
    let server = Server::listen(opts(), streamer).await.unwrap();
    let mut c = client(&server).await;
    for query in ["", "?cl"] {
        let path = format!("/trailers{query}");
        let with = c.send(req(Method::GET, &path).header("te", "trailers").body(empty()).unwrap()).await;
        assert_eq!(with.body, "alpha,beta,gamma", "{path}");
        assert_eq!(with.header("transfer-encoding"), Some("chunked"), "{path}: trailers need chunked framing");
        let t = with.trailers.unwrap_or_else(|| panic!("{path}: no trailers though TE: trailers was sent"));
        assert_eq!(t.get("x-checksum").unwrap(), &checksum(b"alpha,beta,gamma"), "{path}");

        let without = c.get(&path).await;
        assert_eq!(without.body, "alpha,beta,gamma", "{path}");
        assert!(without.trailers.is_none(), "{path}: trailers sent without TE: trailers");
        if query == "?cl" {
            // Without TE: trailers, the declared length is kept.
            assert_eq!(without.header("content-length"), Some("16"));
            assert_eq!(without.header("transfer-encoding"), None);
        }
    }
    server.close().await;
}

#[tokio::test]
async fn head_has_get_headers_without_body() {
    let server = Server::serve(opts(), app).await.unwrap();
    let mut c = client(&server).await;
    let g = c.get("/hello").await;
    let h = c.send(req(Method::HEAD, "/hello").body(empty()).unwrap()).await;
    assert_eq!(h.status, g.status);
    assert!(h.body.is_empty());
    assert_eq!(h.header("content-length"), Some("13"));
    let names = |r: &Reply| {
        let mut v: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(n, _)| *n != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&h), names(&g));
    // The connection is still in sync: the HEAD response carried no body bytes.
    assert_eq!(c.get("/hello").await.body, "Hello, World!");

    // HEAD on a streamed (chunked) response.
    let server2 = Server::listen(opts(), streamer).await.unwrap();
    let mut c2 = client(&server2).await;
    let h = c2.send(req(Method::HEAD, "/trailers").body(empty()).unwrap()).await;
    assert_eq!(h.header("transfer-encoding"), Some("chunked"));
    assert!(h.body.is_empty());
    assert_eq!(c2.get("/trailers").await.body, "alpha,beta,gamma");
    server.close().await;
    server2.close().await;
}

#[tokio::test]
async fn large_bodies_are_byte_exact() {
    const MIB: usize = 1024 * 1024;
    let server = Server::serve(opts().max_body_bytes(8 * MIB as u64), app).await.unwrap();
    let mut c = client(&server).await;
    let r = c.get(&format!("/big?{}", 5 * MIB + 3)).await;
    assert_eq!(r.header("content-length"), Some((5 * MIB + 3).to_string().as_str()));
    assert!(r.body == pattern(5 * MIB + 3, 7), "5 MiB response differs");

    let data = pattern(4 * MIB + 1, 11);
    let r = c.send(req(Method::POST, "/echo").body(full(data.clone())).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body == data, "4 MiB Content-Length echo differs");
    let r = c.send(req(Method::POST, "/echo").body(streamed(&data, 64 * 1024 + 5)).unwrap()).await;
    assert!(r.body == data, "4 MiB chunked echo (serve-style) differs");

    let streaming = Server::listen(opts(), streamer).await.unwrap();
    let mut c2 = client(&streaming).await;
    let data = pattern(3 * MIB + 17, 13);
    let r = c2.send(req(Method::POST, "/echo").body(streamed(&data, 100_003)).unwrap()).await;
    assert!(r.body == data, "3 MiB streamed echo differs");
    let r = c2.send(req(Method::POST, "/echo").body(full(data.clone())).unwrap()).await;
    assert!(r.body == data, "3 MiB streamed echo of a Content-Length body differs");
    server.close().await;
    streaming.close().await;
}

#[tokio::test]
async fn body_over_max_body_bytes_is_413() {
    let server = Server::serve(opts().max_body_bytes(1024), app).await.unwrap();
    let mut c = client(&server).await;
    let r = c.send(req(Method::POST, "/echo").body(full(vec![b'x'; 4096])).unwrap()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body, "Payload Too Large");
    // Small enough to be drained: the same connection serves the next request.
    let r = c.send(req(Method::POST, "/echo").body(full(vec![b'y'; 1024])).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 1024);
    // Chunked, over the limit.
    let r = c.send(req(Method::POST, "/echo").body(streamed(&[b'z'; 5000], 700)).unwrap()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Far over the limit: still a clean 413 (the connection may close after it).
    let mut c2 = client(&server).await;
    let r = c2.send(req(Method::POST, "/echo").body(full(vec![b'w'; 1024 * 1024])).unwrap()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    server.close().await;
}

#[tokio::test]
async fn expect_100_continue() {
    let server = Server::serve(opts(), app).await.unwrap();
    let mut c = client(&server).await;
    let r = c.send(req(Method::POST, "/echo").header("expect", "100-continue").body(full("continued")).unwrap()).await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"continued"[..]));
    // hyper skips the interim 100 and the connection stays in sync.
    assert_eq!(c.get("/hello").await.body, "Hello, World!");

    let streaming = Server::listen(opts(), streamer).await.unwrap();
    let mut c2 = client(&streaming).await;
    let r =
        c2.send(req(Method::POST, "/refuse").header("expect", "100-continue").body(full("unwanted")).unwrap()).await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::FORBIDDEN, &b"no"[..]));
    assert_eq!(r.header("connection"), Some("close"));
    server.close().await;
    streaming.close().await;
    // The refused exchange ended its connection; hyper's connection task finishes.
    bounded(common::WAIT, "hyper connection task ends", c2.conn).await.unwrap();
}
