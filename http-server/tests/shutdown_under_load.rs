//! Graceful and forced shutdown under load: `close()` with 500 requests in flight (HTTP/1.1
//! connections, and HTTP/2 streams over h2c) lets every one of them finish with its full
//! body, refuses new connections, and returns within `shutdown_timeout`; `forceclose()`
//! cuts them at once. (SSE streams: `examples/tests/hardening.rs`.)

mod common_h2;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common_h2::{bounded, h2_client, h2_get};
use http_core::{Request, Response, StatusCode};
use http_server::{Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IN_FLIGHT: usize = 500;
const BODY: usize = 64 * 1024;
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(8);

/// One test at a time: each holds 500 connections (1,000 descriptors in this process), and
/// they measure timings that a neighbour's load would blur.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn body() -> Bytes {
    Bytes::from((0..BODY).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>())
}

/// A server whose handler counts itself in, waits `hold`, and answers a 64 KiB body.
async fn start(hold: Duration) -> (Server, Arc<AtomicUsize>) {
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let payload = body();
    let handler = move |_req: Request| {
        let counter = counter.clone();
        let payload = payload.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(hold).await;
            Response::new(StatusCode::OK).with_body(payload)
        }
    };
    let options = ServerOptions::new()
        .host("127.0.0.1")
        .port(0)
        .shutdown_timeout(SHUTDOWN_TIMEOUT)
        .read_header_timeout(Duration::from_secs(20))
        .read_timeout(Duration::from_secs(20))
        .write_timeout(Duration::from_secs(20))
        .h2_max_concurrent_streams(256);
    (Server::serve(options, handler).await.unwrap(), started)
}

async fn wait_started(started: &AtomicUsize, n: usize) {
    let t0 = Instant::now();
    while started.load(Ordering::SeqCst) < n {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "only {} of {n} requests started",
            started.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One HTTP/1.1 GET on a fresh connection; returns (status, body) or what went wrong.
async fn h1_get(addr: std::net::SocketAddr) -> Result<(u16, Vec<u8>), String> {
    let mut c = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    c.write_all(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n").await.map_err(|e| format!("write: {e}"))?;
    let mut got = Vec::new();
    // The server closes after the response during shutdown (Connection: close).
    tokio::time::timeout(Duration::from_secs(30), c.read_to_end(&mut got))
        .await
        .map_err(|_| "read timed out".to_owned())?
        .map_err(|e| format!("read: {e} after {} bytes", got.len()))?;
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").ok_or(format!("no head in {} bytes", got.len()))?;
    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
    let status = head.get(9..12).and_then(|s| s.parse().ok()).ok_or("bad status line")?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("no content-length")?;
    let body = got[end + 4..].to_vec();
    if body.len() != len {
        return Err(format!("body {} bytes of {len}", body.len()));
    }
    Ok((status, body))
}

/// A stream's outcome: (head, body, trailers) or the h2 error that cut it.
type H2Outcome = Result<(http::response::Parts, Vec<u8>, Option<http::HeaderMap>), h2::Error>;

/// Five h2c connections carrying [`IN_FLIGHT`] GET /x streams between them; the client
/// handles (for streams opened later) and the streams' tasks.
async fn h2_in_flight(
    addr: std::net::SocketAddr,
) -> (Vec<h2::client::SendRequest<Bytes>>, Vec<tokio::task::JoinHandle<H2Outcome>>) {
    let mut senders = Vec::new();
    for _ in 0..5 {
        senders.push(h2_client(TcpStream::connect(addr).await.unwrap()).await);
    }
    let streams = (0..IN_FLIGHT)
        .map(|i| {
            let mut send = senders[i % senders.len()].clone();
            tokio::spawn(async move { h2_get(&mut send, "/x").await })
        })
        .collect();
    (senders, streams)
}

async fn assert_refused(addr: std::net::SocketAddr) {
    match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await {
        Ok(Err(_)) => {}
        Ok(Ok(_)) => panic!("a new connection was accepted during shutdown"),
        Err(_) => panic!("connect neither failed nor succeeded"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h1_close_lets_500_in_flight_requests_finish() {
    let _serial = SERIAL.lock().await;
    let hold = Duration::from_millis(1500);
    let (server, started) = start(hold).await;
    let addr = server.local_addr();
    let clients: Vec<_> = (0..IN_FLIGHT).map(|_| tokio::spawn(h1_get(addr))).collect();
    wait_started(&started, IN_FLIGHT).await;
    let t0 = Instant::now();
    let closing = tokio::spawn({
        let server = server.clone();
        async move { server.close().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!closing.is_finished(), "close() returned with requests in flight");
    assert_refused(addr).await;
    let want = body();
    let mut complete = 0;
    for c in clients {
        let (status, got) = bounded(Duration::from_secs(30), "client", c).await.unwrap().expect("in-flight request");
        assert_eq!(status, 200);
        assert!(got == want, "body differs");
        complete += 1;
    }
    bounded(SHUTDOWN_TIMEOUT + Duration::from_secs(2), "close()", closing).await.unwrap();
    let took = t0.elapsed();
    eprintln!(
        "h1 close(): {complete}/{IN_FLIGHT} in-flight requests completed with full bodies; close() took {took:?}"
    );
    assert!(took < SHUTDOWN_TIMEOUT, "close() took {took:?}");
    assert_eq!(server.connections(), 0);
    assert_refused(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h1_forceclose_cuts_500_in_flight_requests_at_once() {
    let _serial = SERIAL.lock().await;
    let (server, started) = start(Duration::from_secs(30)).await;
    let addr = server.local_addr();
    let clients: Vec<_> = (0..IN_FLIGHT).map(|_| tokio::spawn(h1_get(addr))).collect();
    wait_started(&started, IN_FLIGHT).await;
    let t0 = Instant::now();
    bounded(Duration::from_secs(3), "forceclose()", server.forceclose()).await;
    let took = t0.elapsed();
    let mut cut = 0;
    for c in clients {
        if bounded(Duration::from_secs(5), "client", c).await.unwrap().is_err() {
            cut += 1;
        }
    }
    eprintln!("h1 forceclose(): returned in {took:?}; {cut}/{IN_FLIGHT} in-flight requests cut");
    assert!(took < Duration::from_secs(1), "forceclose() took {took:?}");
    assert_eq!(cut, IN_FLIGHT);
    assert_eq!(server.connections(), 0);
    assert_refused(addr).await;
}

/// 500 streams in flight over 5 h2c connections: `close()` sends GOAWAY (a new stream on
/// an open connection fails), lets all 500 finish, refuses new connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_close_lets_500_in_flight_streams_finish() {
    let _serial = SERIAL.lock().await;
    let (server, started) = start(Duration::from_millis(1500)).await;
    let addr = server.local_addr();
    let (senders, streams) = h2_in_flight(addr).await;
    wait_started(&started, IN_FLIGHT).await;
    let t0 = Instant::now();
    let closing = tokio::spawn({
        let server = server.clone();
        async move { server.close().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!closing.is_finished(), "close() returned with streams in flight");
    assert_refused(addr).await;
    // After GOAWAY, the connection takes no new stream.
    let late = h2_get(&mut senders[0].clone(), "/late").await;
    assert!(late.is_err(), "a stream opened after GOAWAY was served: {:?}", late.map(|r| r.0.status));
    let want = body();
    let mut complete = 0;
    for s in streams {
        let (parts, got, _) = bounded(Duration::from_secs(30), "stream", s).await.unwrap().expect("in-flight stream");
        assert_eq!(parts.status, 200);
        assert!(got == want, "body differs");
        complete += 1;
    }
    bounded(SHUTDOWN_TIMEOUT + Duration::from_secs(2), "close()", closing).await.unwrap();
    let took = t0.elapsed();
    eprintln!("h2 close(): {complete}/{IN_FLIGHT} in-flight streams completed; close() took {took:?}");
    assert!(took < SHUTDOWN_TIMEOUT);
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_forceclose_cuts_500_in_flight_streams_at_once() {
    let _serial = SERIAL.lock().await;
    let (server, started) = start(Duration::from_secs(30)).await;
    let addr = server.local_addr();
    // The client handles stay alive until the end, as the streams' connections do.
    let (_senders, streams) = h2_in_flight(addr).await;
    wait_started(&started, IN_FLIGHT).await;
    let t0 = Instant::now();
    bounded(Duration::from_secs(3), "forceclose()", server.forceclose()).await;
    let took = t0.elapsed();
    let mut cut = 0;
    for s in streams {
        if bounded(Duration::from_secs(5), "stream", s).await.unwrap().is_err() {
            cut += 1;
        }
    }
    eprintln!("h2 forceclose(): returned in {took:?}; {cut}/{IN_FLIGHT} in-flight streams cut");
    assert!(took < Duration::from_secs(1));
    assert_eq!(cut, IN_FLIGHT);
    assert_eq!(server.connections(), 0);
}
