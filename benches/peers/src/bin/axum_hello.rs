//! `axum_hello`: the axum 0.8 peer of `examples/hello` for load comparisons.
//!
//! GET|HEAD /plaintext → `Hello, World!` (`text/plain; charset=utf-8`), GET|HEAD /json →
//! `{"message":"Hello, World!"}` (`application/json`); hyper adds `content-length` and
//! `date`. Other methods on those paths get axum's 405 (with `allow: GET,HEAD`), other
//! paths axum's empty 404. Served by `axum::serve` (axum's default features plus `http2`),
//! which runs hyper-util's auto builder per connection: HTTP/1.1 (keep-alive, pipelining)
//! and h2c prior knowledge on the same port; `TCP_NODELAY` is set on every connection.
//!
//! ```text
//! cargo build --release --manifest-path benches/peers/Cargo.toml --target-dir target/peers
//! target/peers/release/axum_hello --port 0 --workers 1
//! ```

use axum::Router;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt;
use clap::Parser;

#[derive(Parser)]
#[command(about = "axum 0.8 hello-world peer: /plaintext and /json, HTTP/1.1 and h2c")]
struct Cli {
    #[command(flatten)]
    peer: peers::PeerArgs,
}

async fn plaintext() -> &'static str {
    peers::PLAINTEXT
}

async fn json() -> ([(header::HeaderName, &'static str); 1], &'static str) {
    ([(header::CONTENT_TYPE, "application/json")], peers::JSON)
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let app = Router::new().route("/plaintext", get(plaintext)).route("/json", get(json));
    peers::runtime(&cli.peer)?.block_on(async {
        let listener = peers::bind(&cli.peer).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::select! {
            r = axum::serve(listener, app) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
