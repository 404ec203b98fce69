//! SSE subscribers for the load programs (`sse_load`, `sse_fanout`): many HTTP/1.1 event
//! streams (WHATWG HTML §9.2, `text/event-stream`) in one process, each counting the events
//! it parses.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_sse::SseParser;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Subscribers of one run: each one's event count, and the body bytes of all.
pub struct Subscribers {
    /// Events parsed, one counter per subscriber.
    pub events: Vec<Arc<AtomicU64>>,
    /// Body bytes received by all subscribers.
    pub bytes: Arc<AtomicU64>,
    /// The subscribers' tasks (abort them to disconnect).
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Subscribers {
    /// Every subscriber's event count now.
    pub fn snapshot(&self) -> Vec<u64> {
        self.events.iter().map(|e| e.load(Ordering::Relaxed)).collect()
    }
}

impl Drop for Subscribers {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

/// One subscriber: `GET path` on a hyper HTTP/1.1 connection to `addr`, parsing the body
/// with [`SseParser`]; counts its events and bytes, and `ready` once on its first event.
async fn subscriber(
    addr: String,
    path: String,
    events: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
    ready: Arc<AtomicUsize>,
) {
    let run = async {
        let stream = TcpStream::connect(addr.as_str()).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let req = http::Request::get(path).header("host", addr.as_str()).body(Empty::<Bytes>::new())?;
        let mut body = sender.send_request(req).await?.into_body();
        let mut parser = SseParser::default();
        let mut first = true;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else { continue };
            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            parser.feed(&data);
            let mut n = 0;
            while let Some(ev) = parser.next_event() {
                ev?;
                n += 1;
            }
            if n > 0 {
                events.fetch_add(n, Ordering::Relaxed);
                if first {
                    first = false;
                    ready.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };
    if let Err(e) = run.await {
        eprintln!("subscriber error: {e}");
    }
}

/// Opens `count` subscribers to `GET path` at `addr` (`HOST:PORT`), 100 at a time 20 ms
/// apart (under the accept backlog), and returns once each has received an event; panics
/// when that takes longer than `patience`.
pub async fn subscribe_all(addr: &str, path: &str, count: usize, patience: Duration) -> Subscribers {
    let ready = Arc::new(AtomicUsize::new(0));
    let mut subs = Subscribers { events: Vec::new(), bytes: Arc::new(AtomicU64::new(0)), tasks: Vec::new() };
    for i in 0..count {
        let events = Arc::new(AtomicU64::new(0));
        subs.events.push(events.clone());
        let task = subscriber(addr.to_owned(), path.to_owned(), events, subs.bytes.clone(), ready.clone());
        subs.tasks.push(tokio::spawn(task));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + patience;
    while ready.load(Ordering::SeqCst) < count {
        assert!(Instant::now() < deadline, "only {} of {count} subscribers got an event", ready.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    subs
}
