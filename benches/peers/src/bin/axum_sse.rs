//! `axum_sse`: the axum 0.8 peer of `sse_broadcast` (benches) for the SSE fan-out row:
//! every subscriber of GET /events gets the same event once per `--every-ms`.
//!
//! One ticker task sends a counter on a `tokio::sync::broadcast` channel (16 deep); each
//! subscriber's `axum::response::Sse` stream waits on its receiver and yields
//! `event: tick`, `id: i`, `data: {"i": i}`; one that falls behind skips to the newest.
//! No keep-alive comments (ours sends none either). Listens with a backlog of 4096 as ours
//! does; `TCP_NODELAY` on every connection.
//!
//! ```text
//! cargo build --release --manifest-path benches/peers/Cargo.toml --target-dir target/peers
//! target/peers/release/axum_sse --port 0 --workers 1
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::serve::ListenerExt;
use clap::Parser;
use futures_util::Stream;
use tokio::sync::broadcast;

#[derive(Parser)]
#[command(about = "axum 0.8 SSE fan-out peer: GET /events, one event to every subscriber per interval")]
struct Cli {
    #[command(flatten)]
    peer: peers::PeerArgs,
    /// Milliseconds between events.
    #[arg(long, default_value_t = 1000)]
    every_ms: u64,
}

async fn events(State(tx): State<broadcast::Sender<u64>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(tx.subscribe(), |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(i) => {
                    let event = Event::default().event("tick").id(i.to_string()).data(format!("{{\"i\": {i}}}"));
                    return Some((Ok(event), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let (tx, _) = broadcast::channel::<u64>(16);
    let app = Router::new().route("/events", get(events)).with_state(tx.clone());
    let every = Duration::from_millis(cli.every_ms.max(1));
    peers::runtime(&cli.peer)?.block_on(async {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            for i in 1u64.. {
                interval.tick().await;
                let _ = tx.send(i);
            }
        });
        let addr = cli.peer.addr()?;
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(4096)?;
        peers::print_listening(listener.local_addr()?)?;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::select! {
            r = axum::serve(listener, app) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
