//! `ws_fastwebsockets`: the fastwebsockets peer of showcase's `GET /ws` for WebSocket load
//! comparisons.
//!
//! Any path. fastwebsockets does the framing only (its own handshake needs its `upgrade`
//! feature and hyper); the opening handshake here is http-ws's
//! [`http_ws::testing::accept_http1`] without permessage-deflate, which fastwebsockets
//! lacks — a one-time cost per connection, outside every measurement. Then the loop of
//! fastwebsockets' echo example: a `FragmentCollector` (whole messages, as the other
//! servers deliver) and `write_frame` for every text and binary message; pings and the
//! close are answered by the library (`auto_pong`, `auto_close`). One task per connection.
//!
//! ```text
//! cargo run --release -p benches --bin ws_fastwebsockets -- --port 0 --workers 1
//! ```

use clap::Parser;
use fastwebsockets::{FragmentCollector, Frame, OpCode, Role, WebSocket};
use http_ws::Accept;
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "fastwebsockets WebSocket echo peer")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
}

async fn serve(mut tcp: TcpStream) {
    let accept = Accept::new().deflate(None);
    let Ok(Some((_config, early))) = http_ws::testing::accept_http1(&mut tcp, &accept).await else { return };
    if !early.is_empty() {
        return; // frames behind the handshake: fastwebsockets cannot take them over
    }
    drop(early);
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(tcp, Role::Server));
    while let Ok(frame) = ws.read_frame().await {
        let echo = match frame.opcode {
            OpCode::Close => break,
            OpCode::Text | OpCode::Binary => Frame::new(true, frame.opcode, None, frame.payload),
            _ => continue,
        };
        if ws.write_frame(echo).await.is_err() {
            break;
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    benches::run_peer(&cli.peer, serve)
}
