//! # http-ws
//!
//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692) over any upgraded connection:
//! anything `AsyncRead + AsyncWrite + Unpin + Send + 'static` — an HTTP/1.1 connection
//! after `101 Switching Protocols`, an HTTP/2 extended CONNECT stream (RFC 8441), a TLS
//! stream, or an in-memory duplex.
//!
//! The seams:
//! - **server handshake** — [`Accept::accept`] is a pure function of the request head: it
//!   returns the status and headers to answer with (101 + `Sec-WebSocket-Accept` on
//!   HTTP/1.1, 200 on HTTP/2) and the negotiated [`Config`], or a [`Rejection`] that maps
//!   to an HTTP answer;
//! - **the connection** — [`WebSocket::from_upgraded`] runs the protocol over the upgraded
//!   I/O;
//! - **client** — [`client::handshake`] over any I/O, [`client::connect`] for `ws://` and
//!   `wss://` URLs, [`client::Client::handshake_h2`] for an extended CONNECT over an
//!   HTTP/2 connection;
//! - **on http-core's `Stream`** — [`upgrade`] (listen-style) and [`websocket`] (a stream
//!   handler for a route) answer the handshake and take the connection over; the socket
//!   closes with 1001 when the server shuts down;
//! - **HTTP/2** — [`H2Stream`] turns an HTTP/2 stream's two halves into the byte stream a
//!   `WebSocket` runs over.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_ws::{client, Accept, Message, WebSocket, Role};
//! use futures_util::StreamExt;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let url = format!("ws://{}/echo", listener.local_addr().unwrap());
//! tokio::spawn(http_ws::testing::serve_echo(listener));
//!
//! let mut ws = client::connect(&url).await.unwrap();
//! ws.send(Message::text("hello")).await.unwrap();
//! assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
//! ws.close(http_ws::CloseCode::NORMAL, "").await.unwrap();
//! # }
//! ```
//!
//! Files, one job each: `frame` (header codec), `mask`, `utf8` (incremental validation),
//! `close` (codes), `deflate` (RFC 7692), `protocol` (message assembly), `socket` (the
//! connection), `config`, `handshake` (server side), `server` (on http-core's `Stream`), `events` (the event-callback form), `client`, `h2_stream` (an HTTP/2
//! stream as I/O), `error`, `testing`.

mod close;
mod config;
mod deflate;
mod error;
mod events;
mod frame;
mod h2_stream;
mod handshake;
pub mod mask;
mod protocol;
mod server;
mod socket;
mod utf8;

pub mod client;
pub mod testing;

pub use close::{CloseCode, CloseFrame};
pub use config::Config;
pub use deflate::{DeflateConfig, DeflateParams};
pub use error::{Error, HandshakeError, ProtocolError};
pub use events::{Event, Outbox, on_events};
pub use h2_stream::H2Stream;
pub use handshake::{Accept, Accepted, ProtocolOrder, Rejection, RequestHead, accept_key};
pub use protocol::Message;
pub use server::{UpgradeError, WebSocketHandler, upgrade, websocket, websocket_with_request};
pub use socket::WebSocket;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Which end of the connection this is: servers expect masked frames and send unmasked
/// ones, clients the reverse (RFC 6455 §5.1).
///
/// ```
/// assert_ne!(http_ws::Role::Server, http_ws::Role::Client);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The accepting end.
    Server,
    /// The connecting end.
    Client,
}
