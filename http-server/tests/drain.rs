//! Draining over real sockets: `Server::drain` turns `/readyz` to 503, keep-alive
//! HTTP/1.1 answers carry `Connection: close`, HTTP/2 connections get GOAWAY, requests on
//! new connections are still served for the drain period, then the server closes; and the
//! `fileserver` binary does the same on SIGTERM with `--health --drain`.

mod common;
mod common_h2;

use std::time::{Duration, Instant};

use common::{Conn, bounded, get, opts};
use common_h2::RawH2;
use http_core::Stream;
use http_server::Server;

async fn hello(s: &mut Stream) {
    let _ = s.write("hello").await;
}

async fn status_of(server_addr: std::net::SocketAddr, path: &str) -> (u16, bool) {
    let mut c = Conn::open(server_addr).await;
    c.send(&get(path)).await;
    let r = c.response().await;
    (r.status, r.says_close())
}

#[tokio::test]
async fn health_endpoints_answer_before_the_handler() {
    let s = Server::listen(opts().health_endpoints(true), hello).await.unwrap();
    let addr = s.local_addr();
    // (path, status, body)
    let rows =
        [("/healthz", 200, "ok\n"), ("/readyz", 200, "ready\n"), ("/", 200, "hello"), ("/readyzz", 200, "hello")];
    for (path, status, body) in rows {
        let mut c = Conn::open(addr).await;
        c.send(&get(path)).await;
        let r = c.response().await;
        assert_eq!((r.status, r.text().as_str()), (status, body), "{path}");
    }
    // Without the option the handler sees every path.
    let plain = Server::listen(opts(), hello).await.unwrap();
    let mut c = Conn::open(plain.local_addr()).await;
    c.send(&get("/readyz")).await;
    assert_eq!(c.response().await.text(), "hello");
    plain.close().await;
    s.close().await;
}

#[tokio::test]
async fn drain_reports_not_ready_closes_keep_alive_and_still_serves() {
    let s = Server::listen(opts().health_endpoints(true), hello).await.unwrap();
    let addr = s.local_addr();
    // A keep-alive connection opened before the drain.
    let mut before = Conn::open(addr).await;
    before.send(&get("/")).await;
    let r = before.response().await;
    assert!(!r.says_close(), "keep-alive before the drain");
    assert_eq!(status_of(addr, "/readyz").await, (200, false));

    let period = Duration::from_millis(1500);
    let started = Instant::now();
    let draining = tokio::spawn({
        let s = s.clone();
        async move { s.drain(period).await }
    });
    common::eventually(Duration::from_secs(2), "draining", || s.is_draining()).await;

    // The readiness probe turns 503; liveness stays 200; both say close.
    assert_eq!(status_of(addr, "/readyz").await, (503, true));
    assert_eq!(status_of(addr, "/healthz").await, (200, true));
    // The old keep-alive connection is answered once more, with Connection: close, then closed.
    before.send(&get("/")).await;
    let r = before.response().await;
    assert_eq!((r.status, r.says_close()), (200, true));
    before.closed().await;
    // New connections are still accepted and served during the drain.
    let mut fresh = Conn::open(addr).await;
    fresh.send(&get("/")).await;
    let r = fresh.response().await;
    assert_eq!((r.status, r.text().as_str(), r.says_close()), (200, "hello", true));
    assert!(s.is_open(), "still serving during the drain");

    bounded(Duration::from_secs(10), "drain then close", draining).await.unwrap();
    assert!(started.elapsed() >= period, "the drain period was kept: {:?}", started.elapsed());
    assert!(!s.is_open());
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "closed after the drain");
}

#[tokio::test]
async fn drain_sends_goaway_on_http2_and_answers_streams_on_new_connections() {
    use common_h2::{ACK, HEADERS, NO_ERROR, SETTINGS, frame, request_block};
    let s = Server::listen(opts(), hello).await.unwrap();
    let addr = s.local_addr();
    let mut open = RawH2::connect(addr).await;
    // Settle the handshake, then drain.
    let f = open.read_frame(Duration::from_secs(5)).await.expect("server SETTINGS");
    assert_eq!(f.ty, SETTINGS);
    open.send(&frame(SETTINGS, ACK, 0, &[])).await.unwrap();
    let draining = tokio::spawn({
        let s = s.clone();
        async move { s.drain(Duration::from_millis(1500)).await }
    });
    let (goaway, _) = open.until_goaway(Duration::from_secs(5)).await.expect("GOAWAY when the drain starts");
    assert_eq!(goaway.goaway().1, NO_ERROR);
    assert!(s.is_open(), "GOAWAY came during the drain, not at the close");

    // A connection opened during the drain still gets its request answered.
    let mut late = RawH2::connect(addr).await;
    late.send(&frame(HEADERS, 0x5, 1, &request_block("GET", "/"))).await.unwrap();
    let (frames, _) = late.drain(Duration::from_secs(3)).await;
    let answered = frames.iter().any(|f| f.ty == HEADERS && f.stream == 1);
    assert!(answered, "stream 1 answered during the drain: {frames:?}");
    bounded(Duration::from_secs(10), "drain then close", draining).await.unwrap();
}

#[tokio::test]
async fn close_without_drain_still_turns_readiness_off() {
    let health = http_core::Health::new();
    let s = Server::listen(opts().health(health.clone()), hello).await.unwrap();
    assert!(s.health().is_ready() && !s.is_draining());
    s.close().await;
    assert!(!health.is_ready(), "the shared handle saw the close");
}

/// The binary: `--health --drain 2` on SIGTERM answers `/readyz` 503 while still serving,
/// then exits 0 after the drain.
#[cfg(unix)]
#[tokio::test]
async fn fileserver_drains_on_sigterm() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("http-rs-drain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "home").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fileserver"))
        .args(["--port", "0", "--health", "--drain", "2s"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("listening on http://").expect(&first).to_owned();
    let addr: std::net::SocketAddr = url.parse().unwrap();
    assert_eq!(status_of(addr, "/readyz").await, (200, false));
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let sent = Instant::now();
    // Within the drain: not ready, still serving files.
    let mut not_ready = false;
    while sent.elapsed() < Duration::from_millis(1500) {
        if status_of(addr, "/readyz").await.0 == 503 {
            not_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(not_ready, "/readyz turned 503 after SIGTERM");
    let mut c = Conn::open(addr).await;
    c.send(&get("/")).await;
    let r = c.response().await;
    assert_eq!((r.status, r.text().as_str(), r.says_close()), (200, "home", true));
    let status = bounded(Duration::from_secs(15), "fileserver exit", async {
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(status.success(), "{status}");
    assert!(sent.elapsed() >= Duration::from_secs(2), "exited after the drain: {:?}", sent.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}
