//! `sse_broadcast`: our SSE fan-out server for the suite's SSE row: every subscriber of
//! GET /events gets the same event once per `--every-ms` (WHATWG HTML §9.2 event stream).
//!
//! One ticker task sends a counter on a `tokio::sync::broadcast` channel; each subscriber's
//! producer (http-sse `SseResponse::spawn`) waits on its receiver and sends
//!
//! ```text
//! event: tick
//! id: i
//! data: {"i": i}
//! ```
//!
//! A subscriber that falls more than 16 events behind skips to the newest. The axum peer
//! (benches/peers `axum_sse`) does the same with `axum::response::sse`. Takes the peers'
//! `--host/--port/--workers` and prints `listening on http://HOST:PORT` first; up to
//! 100,000 connections at once.
//!
//! ```text
//! cargo run --release -p benches --bin sse_broadcast -- --port 0 --workers 1
//! ```

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use http_core::{Request, Response, StatusCode};
use http_server::{Server, ServerOptions};
use http_sse::{SseEvent, SseResponse, SseStream};
use tokio::sync::broadcast;

#[derive(Parser)]
#[command(about = "Our SSE fan-out server: GET /events, one event to every subscriber per interval")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
    /// Milliseconds between events.
    #[arg(long, default_value_t = 1000)]
    every_ms: u64,
}

/// The event number `i` as every subscriber receives it.
fn tick_event(i: u64) -> SseEvent {
    SseEvent::new(format!("{{\"i\": {i}}}")).with_event("tick").with_id(i.to_string())
}

async fn subscriber(stream: SseStream, mut ticks: broadcast::Receiver<u64>) -> Result<(), http_sse::SseError> {
    loop {
        match ticks.recv().await {
            Ok(i) => stream.send(&tick_event(i)).await?,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.peer.workers {
        b.worker_threads(n.max(1));
    }
    b.enable_all().build()?.block_on(async {
        let (tx, _) = broadcast::channel::<u64>(16);
        let ticker = tx.clone();
        let every = Duration::from_millis(cli.every_ms.max(1));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            for i in 1u64.. {
                interval.tick().await;
                let _ = ticker.send(i);
            }
        });
        let handler = move |req: Request| {
            let tx = tx.clone();
            async move {
                match req.path() {
                    "/events" => SseResponse::new().spawn(move |s| subscriber(s, tx.subscribe())),
                    _ => Response::error(StatusCode::NOT_FOUND),
                }
            }
        };
        let opts =
            ServerOptions::new().host(cli.peer.host.clone()).port(cli.peer.port).max_connections(100_000).backlog(4096);
        let server = Server::serve(opts, handler).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {}", server.url())?;
            out.flush()?;
        }
        server.shutdown_on_signal().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_event_on_the_wire() {
        let wire = super::tick_event(7).encode().unwrap();
        assert_eq!(&wire[..], b"event: tick\nid: 7\ndata: {\"i\": 7}\n\n");
    }
}
