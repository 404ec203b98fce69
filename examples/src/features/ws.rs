//! WebSocket (RFC 6455 over HTTP/1.1 `Upgrade`, RFC 8441 over HTTP/2 extended CONNECT):
//!
//! - `GET /ws` echoes every text and binary message in order (fragmented messages once
//!   complete); the socket itself answers pings, echoes a close with its code, and refuses
//!   a message over 16 MiB with 1009;
//! - `GET /ws/ticks?n=K` sends `tick 0` … `tick K-1` about 10 ms apart, then closes with
//!   1000 `done` and waits for the client's close; a close or ping from the client during
//!   the ticks is answered as on `/ws`.
//!
//! A request that is no acceptable handshake gets the refusal of
//! [`http_ws::Rejection`] (426 with `Upgrade: websocket` or `Sec-WebSocket-Version: 13`,
//! 400 for a missing key or a plain GET over HTTP/2). When the server closes, every open
//! socket gets close 1001.

use std::time::Duration;

use http_core::{Request, Upgraded};
use http_router::Router;
use http_ws::{CloseCode, Message, WebSocket, websocket, websocket_with_request};

/// Most ticks one `/ws/ticks` request may ask for.
pub const MAX_TICKS: u32 = 10_000;

/// Adds `/ws` and `/ws/ticks` to `router`.
pub fn routes(router: Router) -> Router {
    router.route_stream("GET /ws", websocket(echo)).route_stream("GET /ws/ticks", websocket_with_request(ticks))
}

/// Echoes text and binary messages until the connection ends. Each echo is only queued
/// (`feed`): the next `recv` writes out the queue before it reads, so the echoes of the
/// messages that came in one read leave in one write.
pub async fn echo(mut ws: WebSocket<Upgraded>) {
    while let Some(msg) = ws.recv().await {
        match msg {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.feed(m).await.is_err() {
                    break;
                }
            }
            Ok(_) => {} // pings, pongs and the close are the socket's own business
            Err(_) => break,
        }
    }
}

/// `n` from the query (`?n=K`), default 10, at most [`MAX_TICKS`].
fn tick_count(req: &Request) -> u32 {
    req.query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
        .min(MAX_TICKS)
}

async fn ticks(mut ws: WebSocket<Upgraded>, req: Request) {
    let mut interval = tokio::time::interval(Duration::from_millis(10));
    for i in 0..tick_count(&req) {
        // keep receiving while waiting: pings get their pong, a close its echo
        loop {
            tokio::select! {
                _ = interval.tick() => break,
                msg = ws.recv() => match msg {
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => return,
                },
            }
        }
        if ws.send(Message::text(format!("tick {i}"))).await.is_err() {
            // closed (by the client or a server shutdown): finish the handshake
            while ws.recv().await.is_some() {}
            return;
        }
    }
    let _ = ws.close(CloseCode::NORMAL, "done").await;
}
