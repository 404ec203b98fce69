//! # http-server
//!
//! The protocol engines and the server around them: HTTP/1.1 ([`h1`](crate) — head
//! tokenization by `httparse`, framing, validation, keep-alive, pipelining, chunked bodies
//! and trailers are ours), the [`Server`] handle with graceful and forced shutdown, and
//! static files ([`files`]).
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

#[cfg(feature = "cli")]
pub mod cli;
mod connection;
mod date;
pub mod files;
mod h1;
mod options;
mod server;

pub use options::ServerOptions;
pub use server::{Server, listen, serve};
