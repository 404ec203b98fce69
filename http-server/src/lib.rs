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
#[cfg(feature = "cli")]
pub mod cli;
mod connection;
mod date;
pub mod files;
mod h1;
mod h2;
mod io;
mod options;
mod server;
mod tls;

pub use options::ServerOptions;
pub use server::{Server, listen, serve};
pub use tls::TlsConfig;
