//! HTTP/1.1 (RFC 9112), split as hyper's `proto/h1` is. A request flows through:
//!
//! - [`io`]: the socket's buffered reads and writes, the read/write timers, cold stack
//!   reads and buffer release when idle, `sendfile(2)` (with [`sendfile`]);
//! - [`role`]: the request head parsed and validated, and the response head encoded;
//!   [`line`]: the request line: the target's forms, and the line a connection repeats;
//! - [`decode`]: the request body being read, framed (Content-Length, chunked, trailers)
//!   by the sans-IO codec shared with the client, [`http_core::engine::h1`];
//! - [`conn`]: the connection state machine (keep-alive, pipelining, draining, lingering
//!   close) and the `Transport` that carries a `Stream` over it;
//! - [`dispatch`]: the loop that runs the handler for each request (the exchange slot,
//!   a panic → 500, the request span);
//! - [`seat`]: where the transport is kept between requests, alone or in the `Stream`
//!   the exchanges run on;
//! - [`encode`]: the response body's framing (chunks, last chunk and trailers) and the
//!   error responses the connection sends on its own.

pub(crate) mod conn;
pub(crate) mod decode;
pub(crate) mod dispatch;
pub(crate) mod encode;
pub(crate) mod io;
pub(crate) mod line;
pub(crate) mod role;
pub(crate) mod seat;
pub(crate) mod sendfile;
