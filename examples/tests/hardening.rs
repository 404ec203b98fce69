//! Hardening across the crates, over real loopback sockets:
//!
//! - a panic in a handler, a router middleware, an SSE producer or a stream handler costs
//!   that one request (500, or a cut-off response / reset stream once the head was sent),
//!   is logged at ERROR, and the server and its other requests go on — HTTP/1.1 and HTTP/2;
//! - graceful shutdown with SSE streams in flight: `close()` lets finite streams end with
//!   every event, refuses new connections and returns within `shutdown_timeout`; endless
//!   streams are cut at `shutdown_timeout`; `forceclose()` cuts them at once — HTTP/1.1 and
//!   HTTP/2 (GOAWAY).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_core::{BoxHandler, Handler, Request, StatusCode, Stream};
use http_router::{Router, layer_fn};
use http_server::{Server, ServerOptions};
use http_sse::{SseEvent, sse_stream_with};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------------------
// Log capture: one global fmt subscriber writing into a buffer.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static LogBuf {
    static LOGS: OnceLock<LogBuf> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuf::default();
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::ERROR)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buf
    })
}

/// The ERROR lines logged so far that mention `marker`.
fn logged(marker: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned();
    text.lines().filter(|l| l.contains("ERROR") && l.contains(marker)).map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------
// The application
// ---------------------------------------------------------------------------------------

async fn stream_panics_after_head(s: &mut Stream) {
    let _ = s.setheader("content-type", "text/plain");
    let _ = s.startwrite().await;
    let _ = s.write("partial ").await;
    let _ = s.flush().await;
    panic!("stream-handler-panic-marker");
}

async fn stream_panics_before_head(_s: &mut Stream) {
    panic!("stream-early-panic-marker");
}

fn app() -> Router {
    let panicking_middleware = layer_fn(|next: BoxHandler| {
        BoxHandler::new(move |req: Request| {
            let next = next.clone();
            async move {
                if req.header("x-boom").is_some() {
                    panic!("middleware-panic-marker");
                }
                next.call(req).await
            }
        })
    });
    Router::new()
        .route("GET /ok", |_r: Request| async { "ok" })
        .route("GET /panic", |_r: Request| async {
            if std::hint::black_box(true) {
                panic!("handler-panic-marker");
            }
            "unreachable"
        })
        .route_with("GET /mw", |_r: Request| async { "passed the middleware" }, [panicking_middleware])
        .route("GET /sse-panic", |_r: Request| async {
            sse_stream_with(StatusCode::OK, |s| async move {
                for i in 0..2 {
                    let _ = s.send(&SseEvent::new(format!("e{i}"))).await;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                if std::hint::black_box(true) {
                    panic!("sse-producer-panic-marker");
                }
            })
        })
        .route("GET /sse-finite", |_r: Request| async {
            sse_stream_with(StatusCode::OK, |s| async move {
                for i in 0..10 {
                    s.send(&SseEvent::new(format!("event {i}"))).await?;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok::<_, http_sse::SseError>(())
            })
        })
        .route("GET /sse-forever", |_r: Request| async {
            SSE_FOREVER_STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            sse_stream_with(StatusCode::OK, |s| async move {
                let mut i = 0u64;
                loop {
                    s.send(&SseEvent::new(format!("tick {i}"))).await?;
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                #[allow(unreachable_code)]
                Ok::<_, http_sse::SseError>(())
            })
        })
        .route_stream("GET /stream-panic", stream_panics_after_head)
        .route_stream("GET /stream-early-panic", stream_panics_before_head)
}

/// How many `/sse-forever` requests reached their handler (a test waits for its streams to
/// be in flight, not merely connected, before it closes the server).
static SSE_FOREVER_STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn sse_forever_started_at_least(n: usize) {
    while SSE_FOREVER_STARTED.load(std::sync::atomic::Ordering::SeqCst) < n {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn start(shutdown_timeout: Duration) -> Server {
    let _ = logs();
    let options = ServerOptions::new()
        .host("127.0.0.1")
        .port(0)
        .shutdown_timeout(shutdown_timeout)
        .read_timeout(Duration::from_secs(10))
        .write_timeout(Duration::from_secs(10));
    Server::listen(options, app()).await.unwrap()
}

// ---------------------------------------------------------------------------------------
// A raw HTTP/1.1 client that reports whether a chunked body ended properly
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct H1 {
    status: u16,
    body: Vec<u8>,
    /// The body ended with its framing (last chunk or full Content-Length), not a cut.
    complete: bool,
}

async fn h1(addr: std::net::SocketAddr, path: &str, extra: &str) -> Result<H1, String> {
    let mut c = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    c.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), c.read_to_end(&mut got)).await.map_err(|_| "timeout")?;
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").ok_or(format!("no head ({} bytes)", got.len()))?;
    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
    let status = head.get(9..12).and_then(|s| s.parse().ok()).ok_or("status")?;
    let raw = &got[end + 4..];
    if head.contains("transfer-encoding: chunked") {
        let (body, complete) = dechunk(raw);
        Ok(H1 { status, body, complete })
    } else {
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Ok(H1 { status, body: raw.to_vec(), complete: raw.len() == len })
    }
}

fn dechunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(nl) = raw.windows(2).position(|w| w == b"\r\n") else { return (body, false) };
        let size_text = String::from_utf8_lossy(&raw[..nl]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16) else {
            return (body, false);
        };
        raw = &raw[nl + 2..];
        if size == 0 {
            return (body, raw.starts_with(b"\r\n"));
        }
        if raw.len() < size + 2 {
            body.extend_from_slice(&raw[..raw.len().min(size)]);
            return (body, false);
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

fn sse_data(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body).lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------
// HTTP/2 (h2c prior knowledge) client
// ---------------------------------------------------------------------------------------

type H2Sender = hyper::client::conn::http2::SendRequest<Empty<Bytes>>;

async fn h2_connect(addr: std::net::SocketAddr) -> H2Sender {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

/// (status, body, body ended cleanly) or the error that ended the stream.
async fn h2_get(send: &mut H2Sender, path: &str, extra: Option<(&str, &str)>) -> Result<(u16, Vec<u8>, bool), String> {
    send.ready().await.map_err(|e| e.to_string())?;
    let mut req = http_core::http::Request::builder().uri(format!("http://t{path}"));
    if let Some((k, v)) = extra {
        req = req.header(k, v);
    }
    let resp = send.send_request(req.body(Empty::new()).unwrap()).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut data = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Ok(d) = f.into_data() {
                    data.extend_from_slice(&d);
                }
            }
            Err(_) => return Ok((status, data, false)),
        }
    }
    Ok((status, data, true))
}

// ---------------------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_cost_one_request_on_http1() {
    let server = start(Duration::from_secs(5)).await;
    let addr = server.local_addr();
    // A neighbour that must not notice: a finite SSE stream running across all the panics.
    let neighbour = tokio::spawn(h1(addr, "/sse-finite", ""));

    let r = h1(addr, "/panic", "").await.unwrap();
    assert_eq!((r.status, r.complete), (500, true), "handler panic");
    let r = h1(addr, "/mw", "X-Boom: 1\r\n").await.unwrap();
    assert_eq!((r.status, r.complete), (500, true), "middleware panic");
    let r = h1(addr, "/mw", "").await.unwrap();
    assert_eq!((r.status, &r.body[..]), (200, &b"passed the middleware"[..]), "same middleware, no panic");
    let r = h1(addr, "/stream-early-panic", "").await.unwrap();
    assert_eq!((r.status, r.complete), (500, true), "stream handler panic before the head");
    // After the head: the response is cut (no last chunk), the client can tell.
    let r = h1(addr, "/stream-panic", "").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(!r.complete, "a panic after the head must not look like a complete body");
    assert_eq!(r.body, b"partial ");
    let r = h1(addr, "/sse-panic", "").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(!r.complete, "an SSE producer panic must cut the stream");
    assert_eq!(sse_data(&r.body), ["e0", "e1"]);

    let n = neighbour.await.unwrap().unwrap();
    assert!(n.complete && n.status == 200, "neighbour: {n:?}");
    assert_eq!(sse_data(&n.body).len(), 10);
    assert_eq!(h1(addr, "/ok", "").await.unwrap().body, b"ok");
    assert!(server.is_open());
    for marker in ["handler-panic-marker", "middleware-panic-marker", "stream-early-panic-marker"] {
        assert!(!logged(marker).is_empty(), "{marker} not logged at ERROR");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for marker in ["stream-handler-panic-marker", "sse-producer-panic-marker"] {
        assert!(!logged(marker).is_empty(), "{marker} not logged at ERROR");
    }
    eprintln!("h1 panic log lines: {:?}", logged("panic-marker").len());
    server.close().await;
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_cost_one_stream_on_http2() {
    let server = start(Duration::from_secs(5)).await;
    let addr = server.local_addr();
    let mut send = h2_connect(addr).await;
    let neighbour = {
        let mut send = send.clone();
        tokio::spawn(async move { h2_get(&mut send, "/sse-finite", None).await })
    };
    assert_eq!(h2_get(&mut send, "/panic", None).await.unwrap().0, 500);
    assert_eq!(h2_get(&mut send, "/mw", Some(("x-boom", "1"))).await.unwrap().0, 500);
    assert_eq!(h2_get(&mut send, "/stream-early-panic", None).await.unwrap().0, 500);
    // After the head was sent: the stream is reset, so the body ends in an error.
    // (If the reset overtakes the head in the client, the request itself fails.)
    match h2_get(&mut send, "/stream-panic", None).await {
        Ok((status, body, clean)) => assert_eq!((status, clean), (200, false), "after the head: {body:?}"),
        Err(e) => assert!(e.contains("http2"), "{e}"),
    }
    let (status, body, clean) = h2_get(&mut send, "/sse-panic", None).await.unwrap();
    assert_eq!((status, clean), (200, false), "SSE producer panic");
    assert_eq!(sse_data(&body), ["e0", "e1"]);
    // The same connection goes on.
    let (status, body, clean) = h2_get(&mut send, "/ok", None).await.unwrap();
    assert_eq!((status, &body[..], clean), (200, &b"ok"[..], true));
    let (status, body, clean) = neighbour.await.unwrap().unwrap();
    assert_eq!((status, clean, sse_data(&body).len()), (200, true, 10));
    assert_eq!(server.connections(), 1, "one connection carried every stream");
    server.close().await;
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown with SSE streams
// ---------------------------------------------------------------------------------------

async fn refused(addr: std::net::SocketAddr) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await, Ok(Err(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_lets_sse_streams_finish_over_http1_and_http2() {
    const STREAMS: usize = 100;
    let shutdown_timeout = Duration::from_secs(5);
    let server = start(shutdown_timeout).await;
    let addr = server.local_addr();
    let h1_streams: Vec<_> = (0..STREAMS).map(|_| tokio::spawn(h1(addr, "/sse-finite", ""))).collect();
    let mut send = h2_connect(addr).await;
    let h2_streams: Vec<_> = (0..STREAMS)
        .map(|_| {
            let mut send = send.clone();
            tokio::spawn(async move { h2_get(&mut send, "/sse-finite", None).await })
        })
        .collect();
    // Let every stream start (the first events are out) before closing.
    while server.connections() < STREAMS + 1 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let t0 = Instant::now();
    let closing = tokio::spawn({
        let server = server.clone();
        async move { server.close().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(refused(addr).await, "new connection accepted during close()");
    // GOAWAY: the h2 connection takes no new stream.
    assert!(h2_get(&mut send, "/ok", None).await.is_err(), "a new h2 stream was served after GOAWAY");
    for s in h1_streams {
        let r = s.await.unwrap().unwrap();
        assert!(r.status == 200 && r.complete, "h1 SSE stream cut: {r:?}");
        assert_eq!(sse_data(&r.body).len(), 10);
    }
    for s in h2_streams {
        let (status, body, clean) = s.await.unwrap().unwrap();
        assert!(status == 200 && clean, "h2 SSE stream cut");
        assert_eq!(sse_data(&body).len(), 10);
    }
    tokio::time::timeout(shutdown_timeout, closing).await.expect("close() within shutdown_timeout").unwrap();
    eprintln!(
        "close() with {STREAMS} h1 + {STREAMS} h2 SSE streams in flight: all complete, returned in {:?}",
        t0.elapsed()
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_sse_streams_are_cut_at_shutdown_timeout_and_by_forceclose() {
    let shutdown_timeout = Duration::from_millis(800);
    let server = start(shutdown_timeout).await;
    let addr = server.local_addr();
    let before = SSE_FOREVER_STARTED.load(std::sync::atomic::Ordering::SeqCst);
    let streams: Vec<_> = (0..50).map(|_| tokio::spawn(h1(addr, "/sse-forever", ""))).collect();
    tokio::time::timeout(Duration::from_secs(20), sse_forever_started_at_least(before + 50))
        .await
        .expect("50 SSE streams in flight");
    let t0 = Instant::now();
    tokio::time::timeout(shutdown_timeout + Duration::from_secs(2), server.close()).await.expect("close() bounded");
    let took = t0.elapsed();
    assert!(took >= shutdown_timeout && took < shutdown_timeout + Duration::from_secs(1), "close() took {took:?}");
    for s in streams {
        let r = s.await.unwrap().unwrap();
        assert!(!r.complete && r.status == 200 && !sse_data(&r.body).is_empty(), "{r:?}");
    }
    assert_eq!(server.connections(), 0);

    let server = start(Duration::from_secs(30)).await;
    let addr = server.local_addr();
    let before = SSE_FOREVER_STARTED.load(std::sync::atomic::Ordering::SeqCst);
    let streams: Vec<_> = (0..50).map(|_| tokio::spawn(h1(addr, "/sse-forever", ""))).collect();
    let mut send = h2_connect(addr).await;
    let h2_streams: Vec<_> = (0..50)
        .map(|_| {
            let mut send = send.clone();
            tokio::spawn(async move { h2_get(&mut send, "/sse-forever", None).await })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(20), sse_forever_started_at_least(before + 100))
        .await
        .expect("100 SSE streams in flight");
    // Let the first events reach the clients.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(2), server.forceclose()).await.expect("forceclose() bounded");
    let forced = t0.elapsed();
    for s in streams {
        assert!(!s.await.unwrap().unwrap().complete);
    }
    for s in h2_streams {
        if let Ok((_, _, clean)) = s.await.unwrap() {
            assert!(!clean, "an endless h2 stream ended cleanly on forceclose");
        }
    }
    assert!(h2_get(&mut send, "/ok", None).await.is_err());
    eprintln!(
        "endless SSE: close() cut at {took:?} (shutdown_timeout {shutdown_timeout:?}); forceclose() took {forced:?}"
    );
    assert!(forced < Duration::from_millis(500), "forceclose() took {forced:?}");
}
