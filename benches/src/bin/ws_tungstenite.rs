//! `ws_tungstenite`: the tokio-tungstenite peer of showcase's `GET /ws` for WebSocket load
//! comparisons.
//!
//! Any path: tokio-tungstenite's own handshake (`accept_async`, default limits: 64 MiB
//! message, 16 MiB frame; no permessage-deflate, which tokio-tungstenite 0.30 lacks), then
//! every text and binary message is sent back (`send`, which flushes) — the loop its
//! README shows. Pings are answered by the library. One task per connection.
//!
//! ```text
//! cargo run --release -p benches --bin ws_tungstenite -- --port 0 --workers 1
//! ```

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "tokio-tungstenite WebSocket echo peer")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
}

async fn serve(tcp: TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
    while let Some(Ok(msg)) = ws.next().await {
        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            break;
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    benches::run_peer(&cli.peer, serve)
}
