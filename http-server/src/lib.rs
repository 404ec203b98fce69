//! # http-server
//!
//! The protocol engines and the server around them: HTTP/1.1 (head tokenization by
//! `httparse`; framing, validation, keep-alive, pipelining, chunked bodies and trailers are
//! ours), HTTP/2 on the `h2` crate (TLS+ALPN and cleartext prior knowledge on the same port
//! as HTTP/1.1), TLS on rustls ([`TlsConfig`]), the [`Server`] handle with graceful and
//! forced shutdown, and static files ([`files`]). Every engine hands user code the same
//! [`http_core::Stream`], so handlers, routers and middleware run unchanged on all of them.
//!
//! ```no_run
//! use http_core::Request;
//! use http_server::ServerOptions;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     // Runs until Ctrl-C or SIGTERM, then shuts down gracefully.
//!     http_server::serve(ServerOptions::new().port(8080), |_req: Request| async { "Hello, World!" }).await
//! }
//! ```
//!
//! ## Reading the source
//!
//! The files in the order a request flows through them:
//!
//! 1. `server/mod.rs`: binds, accepts (the connection limit, backoff on accept errors),
//!    spawns a task per connection and tracks it; `server/lifecycle.rs`: graceful and forced
//!    shutdown and draining (`signal.rs`: the shutdown signals as connections read them);
//!    `listener.rs` the listening sockets, `options.rs` the knobs, `tls.rs` the certificates.
//! 2. `connection.rs`: picks the engine. On the TLS port, the handshake and ALPN; on the
//!    cleartext port, a peek at the first bytes: the HTTP/2 preface goes to HTTP/2,
//!    anything else to HTTP/1.1 (`io.rs` replays sniffed bytes for HTTP/2).
//!
//! HTTP/1.1 (`h1/`, split as hyper's `proto/h1`):
//!
//! 3. `h1/io.rs`: the socket's buffered reads and writes, the read/write timers, cold
//!    stack reads and buffer release for idle connections;
//! 4. `h1/role.rs`: the request head parsed and validated (target, Host, Content-Length
//!    and Transfer-Encoding, Expect, connection options), with the framing-field rules of
//!    the HTTP/1.1 codec it shares with the client (`http_core::engine::h1`);
//! 5. `h1/conn.rs`: the connection state machine (waiting for heads under the idle and
//!    header timeouts, keep-alive, pipelining, draining, lingering close) and its
//!    `H1Transport`, the `http_core::engine::Transport` behind the handler's `Stream`;
//! 6. `h1/dispatch.rs`: begins the exchange and runs the handler in the exchange slot
//!    (a panic before the response becomes a 500), under the `request` span;
//! 7. the handler, with `&mut Stream` (`http_core`'s `stream/`: `mod.rs` for the head,
//!    `read.rs` for the body, `write.rs` for the response); its reads go through
//!    `h1/decode.rs` (the request body, framed by the shared codec's `BodyDecoder`:
//!    Content-Length, chunked, trailers), its writes through `h1/role.rs` (the response
//!    head) and `h1/encode.rs` (chunks, last chunk and trailers, with the shared codec's
//!    chunk encoder), a file body through `h1/sendfile.rs`; `date.rs` makes the `Date`
//!    header;
//! 8. back in `h1/conn.rs`: the exchange is finished (flush unless pipelined requests
//!    wait) and the next head awaited, or the connection closed.
//!
//! HTTP/2 (`h2/`, on the `h2` crate):
//!
//! 3. `h2/conn.rs`: the handshake and SETTINGS, accepting streams, running each one's
//!    handler on the connection's task (moved to a task of its own if it waits), idle
//!    timeout, GOAWAY, and the abuse limits; `io.rs` bounds its writes (`TimedIo`) and
//!    lingers at the end (`Linger`);
//! 4. `h2/transport.rs`: one stream as the `Transport` behind the handler's `Stream`
//!    (flow control both ways, trailers, resets); `h2/stats.rs` counts what the
//!    connection and its streams share;
//! 5. `h2/upgrade.rs`: a stream a handler took over after an extended CONNECT.
//!
//! Static files are in `files/`, apart from the engines: handlers like any other.

/// Micro-benchmark entry points into the crate-private HTTP/1 decoder and encoder (see
/// `benches/benches/h1.rs`); not a supported API. Feature `bench-api`.
#[cfg(feature = "bench-api")]
#[doc(hidden)]
#[path = "bench_api.rs"]
pub mod __bench;
/// Fuzzing and differential-testing entry points into the crate-private HTTP/1 decoder
/// (see `fuzz/` and `tests/smuggling.rs`); not a supported API. Feature `fuzz-api`.
#[cfg(feature = "fuzz-api")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;
mod access_log;
#[cfg(feature = "cli")]
pub mod cli;
mod connection;
mod date;
pub mod files;
mod forwarded;
mod h1;
mod h2;
mod interfaces;
mod io;
mod json;
mod listener;
mod observe;
mod ops;
mod options;
pub mod proxy_protocol;
mod server;
mod signal;
mod tls;

pub use access_log::{AccessLog, LogFormat};
pub use forwarded::{Cidr, MAX_HOPS};
pub use http_core::metrics::Metrics;
pub use listener::Listener;
pub use options::ServerOptions;
pub use server::{Server, listen, serve};
pub use tls::TlsConfig;
