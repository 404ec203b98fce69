//! `showcase`: one server with every feature mounted on an [`http_router::Router`], served
//! over HTTP/1.1 and HTTP/2 (h2c on the same port; TLS + ALPN with `--tls-cert/--tls-key`).
//!
//! | route | feature |
//! |---|---|
//! | GET /plaintext | `Hello, World!` |
//! | POST /echo | streams the request body back (listen-style, any size) |
//! | GET /trailers | body `abc` with trailer `x-checksum` (HTTP/1.1 chunked with `TE: trailers`, HTTP/2 HEADERS) |
//! | GET /users/{id} | the id, from the router's parameters |
//! | GET /slow | sleeps 1 s under `handlertimeout(100 ms)` → 503 `handler timed out` |
//! | GET /sse?n=K | K Server-Sent Events, one every 10 ms; `Last-Event-ID` resumes |
//! | GET /ws | WebSocket echo (text, binary, fragments, pings, close codes; 16 MiB → 1009), over HTTP/1.1 `Upgrade` and HTTP/2 extended CONNECT |
//! | GET /ws/ticks?n=K | WebSocket: K messages `tick i` ~10 ms apart, then close 1000 `done` |
//!
//! ```text
//! cargo run --release --bin showcase -- --port 8080
//! ```

use clap::Parser;
use examples::features::{echo, routing, sse, trailers, ws};
use http_core::Stream;
use http_router::{Router, logging};
use http_server::{Server, cli};

#[derive(Parser)]
#[command(about = "Every feature of the framework on one server")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
    /// Log one line per request (method, path, status, bytes, duration) to stderr.
    #[arg(long)]
    log_requests: bool,
}

async fn plaintext(s: &mut Stream) {
    let _ = s.setheader("content-type", "text/plain; charset=utf-8");
    let _ = s.setheader("content-length", "13");
    let _ = s.write("Hello, World!").await;
}

/// The showcase router (also used by the example's tests).
pub fn router() -> Router {
    let router = Router::new()
        .route_stream("GET /plaintext", plaintext)
        .route_stream("POST /echo", echo::echo)
        .route_stream("GET /trailers", trailers::trailers)
        .route("GET /sse", sse::sse);
    ws::routes(routing::routes(router))
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    cli::init_logging(false);
    let mut router = router();
    if cli.log_requests {
        router = router.use_middleware(logging());
    }
    cli::run(&cli.common, |opts| Server::listen(opts, router))
}
