//! `hyper_h2c`: the hyper 1.x HTTP/2 cleartext (prior knowledge) peer of `hello` (examples) for
//! h2load comparisons.
//!
//! GET|HEAD /plaintext → `Hello, World!` (`text/plain; charset=utf-8`); hyper adds
//! `content-length` and `date`. HTTP/2 only (prior knowledge, as `h2load` speaks it), one
//! task per connection, hyper's http2 defaults except `max_concurrent_streams` 256 (our
//! default), as a typical hyper h2c server is written.
//!
//! ```text
//! cargo run --release -p benches --bin hyper_h2c -- --port 0 --workers 1
//! ```

use clap::Parser;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "hyper 1.x h2c (prior knowledge) peer: /plaintext")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
}

async fn serve(tcp: TcpStream) {
    let _ = http2::Builder::new(TokioExecutor::new())
        .max_concurrent_streams(256)
        .serve_connection(TokioIo::new(tcp), service_fn(benches::hello))
        .await;
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    benches::run_peer(&cli.peer, serve)
}
