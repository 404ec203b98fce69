//! Wire-level tests through the real HTTP/1.1 server: raw TCP clients on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_core::{Request, Response, StatusCode};
use http_server::{Server, ServerOptions};
use http_sse::{SseEvent, SseResponse, SseStream, sse_stream_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

async fn start<H: http_core::Handler>(handler: H) -> Server {
    Server::serve(ServerOptions::new().port(0), handler).await.unwrap()
}

async fn connect(server: &Server, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Reads until `pred` holds for everything read so far; fails after `limit`.
async fn read_until(s: &mut TcpStream, got: &mut Vec<u8>, limit: Duration, pred: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while !pred(&String::from_utf8_lossy(got)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, s.read(&mut buf)).await.expect("timed out reading").unwrap();
        assert!(n > 0, "connection closed early; got {:?}", String::from_utf8_lossy(got));
        got.extend_from_slice(&buf[..n]);
    }
}

type Report = Arc<Mutex<Option<oneshot::Sender<(Instant, usize)>>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnect_stops_the_producer_within_a_second() {
    // The producer sends an event every 10 ms until a send fails, then reports when.
    let (tx, rx) = oneshot::channel();
    let report: Report = Arc::new(Mutex::new(Some(tx)));
    let server = start(move |_req: Request| {
        let report = report.clone();
        async move {
            sse_stream_with(StatusCode::OK, move |s: SseStream| async move {
                let started = Instant::now();
                for i in 0usize.. {
                    if s.send(&SseEvent::new(format!("{i}")).with_id(i.to_string())).await.is_err() {
                        if let Some(tx) = report.lock().unwrap().take() {
                            let _ = tx.send((Instant::now(), i));
                        }
                        return;
                    }
                    assert!(started.elapsed() < Duration::from_secs(30), "producer never stopped");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        }
    })
    .await;

    let mut client = connect(&server, "/events").await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, Duration::from_secs(5), |t| t.contains("data: 3\n\n")).await;
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream\r\n"), "{head}");
    assert!(head.contains("cache-control: no-cache\r\n"), "{head}");
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    drop(client);
    let dropped = Instant::now();

    let (failed_at, sent) = tokio::time::timeout(Duration::from_secs(5), rx).await.expect("producer stopped").unwrap();
    let took = failed_at.saturating_duration_since(dropped);
    assert!(took < Duration::from_secs(1), "producer noticed after {took:?}");
    assert!(sent >= 4);
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_producer_learns_of_disconnect_through_keep_alive() {
    let (tx, rx) = oneshot::channel();
    let report: Report = Arc::new(Mutex::new(Some(tx)));
    let server = start(move |_req: Request| {
        let report = report.clone();
        async move {
            SseResponse::new().keep_alive(Duration::from_millis(100)).spawn(move |s: SseStream| async move {
                s.send(&SseEvent::new("hello")).await.unwrap();
                // Nothing more to say: wait for the client to leave (or give up after 20 s).
                let _ = tokio::time::timeout(Duration::from_secs(20), s.closed()).await;
                if let Some(tx) = report.lock().unwrap().take() {
                    let _ = tx.send((Instant::now(), usize::from(s.is_gone())));
                }
            })
        }
    })
    .await;
    let mut client = connect(&server, "/").await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, Duration::from_secs(5), |t| t.matches(": ping\n\n").count() >= 2).await;
    drop(client);
    let dropped = Instant::now();
    let (at, gone) = tokio::time::timeout(Duration::from_secs(5), rx).await.unwrap().unwrap();
    assert_eq!(gone, 1, "closed() resolved because the client went away");
    let took = at.saturating_duration_since(dropped);
    assert!(took < Duration::from_secs(1), "noticed after {took:?}");
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_client_as_they_are_sent() {
    let server = start(|_req: Request| async {
        sse_stream_with(StatusCode::OK, |s: SseStream| async move {
            s.send(&SseEvent::new("first")).await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
            s.send(&SseEvent::new("second")).await
        })
    })
    .await;
    let t0 = Instant::now();
    let mut client = connect(&server, "/").await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, Duration::from_secs(1), |t| t.contains("data: first\n\n")).await;
    assert!(t0.elapsed() < Duration::from_secs(1), "first event flushed before the second was produced");
    read_until(&mut client, &mut got, Duration::from_secs(5), |t| t.ends_with("0\r\n\r\n")).await;
    assert!(String::from_utf8_lossy(&got).contains("data: second\n\n"));
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_client_throttles_the_producer() {
    const EVENTS: usize = 5000; // 20 MB
    let (tx, mut rx) = tokio::sync::watch::channel(0usize);
    let tx = Arc::new(tx);
    let server = start(move |_req: Request| {
        let tx = tx.clone();
        async move {
            SseResponse::new().max_len(64 * 1024).spawn(move |s: SseStream| async move {
                let payload = "x".repeat(4000);
                for i in 0..EVENTS {
                    s.send(&SseEvent::new(format!("{i} {payload}"))).await?;
                    tx.send_replace(i + 1);
                }
                Ok::<_, http_sse::SseError>(())
            })
        }
    })
    .await;
    // A client with a small receive buffer that reads nothing at first. Between it and the
    // producer are max_len (64 KiB) and the kernel's buffers (the server's send buffer grows
    // to 4 MiB here), so the producer must stall after about 1,000 of the 4 KB events.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(64 * 1024).unwrap();
    let mut client = sock.connect(([127, 0, 0, 1], server.port()).into()).await.unwrap();
    client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut stalled_at = usize::MAX;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = *rx.borrow_and_update();
        if now == stalled_at {
            break;
        }
        stalled_at = now;
    }
    assert_eq!(*rx.borrow(), stalled_at, "producer is waiting, not buffering");
    assert!(stalled_at < EVENTS / 2, "stalled after {stalled_at} events");
    // Now read everything: every event arrives, in order.
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !got.ends_with(b"\r\n0\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed early");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let body = dechunk(body.as_bytes());
    let events = http_sse::parse_all(&body, 1 << 20).unwrap();
    assert_eq!(events.len(), EVENTS);
    for (i, ev) in events.iter().enumerate() {
        assert!(ev.data.starts_with(&format!("{i} ")), "event {i} out of order");
    }
    server.close().await;
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap(), 16).unwrap();
        b = &b[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_over_the_wire() {
    let server = start(|req: Request| async move {
        let from: u32 = http_sse::last_event_id(&req).and_then(|v| v.parse().ok()).unwrap_or(0);
        if from >= 3 {
            return Response::new(StatusCode::NO_CONTENT);
        }
        sse_stream_with(StatusCode::OK, move |s: SseStream| async move {
            for i in from + 1..=3 {
                s.send(&SseEvent::new("x").with_id(i.to_string())).await?;
            }
            Ok::<_, http_sse::SseError>(())
        })
    })
    .await;
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, Duration::from_secs(5), |t| t.ends_with("\r\n0\r\n\r\n")).await;
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(text.contains("id: 2\n") && text.contains("id: 3\n") && !text.contains("id: 1\n"), "{text}");
    // Same connection (keep-alive): the stream is finished, so 204.
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 3\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, Duration::from_secs(5), |t| t.contains("\r\n\r\n")).await;
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 204"));
    server.close().await;
}
