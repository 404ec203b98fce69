//! `hyper_guarded`: `hyper_hello` with the guards `examples/hello` always runs with — a
//! timeout on reading each request head and a graceful shutdown that waits for the open
//! connections — for load comparisons at equal duties.
//!
//! The same answers as `hyper_hello` (GET /plaintext, GET /json). hyper's header-read
//! timeout needs a timer (`TokioTimer`) and is set to 10 s, ours' default; each connection
//! is watched by hyper-util's `GracefulShutdown`, as a server that shuts down gracefully
//! does. What is measured is what these cost while serving: like the other peers, this
//! program itself ends at Ctrl-C without waiting for its connections.
//!
//! ```text
//! cargo run --release -p benches --bin hyper_guarded -- --port 0 --workers 1
//! ```

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "hyper 1.x hello-world peer with a header-read timeout and graceful shutdown")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
}

async fn serve(tcp: TcpStream, graceful: Arc<GracefulShutdown>) {
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .keep_alive(true)
        .serve_connection(TokioIo::new(tcp), service_fn(benches::hello));
    let _ = graceful.watch(conn).await;
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let graceful = Arc::new(GracefulShutdown::new());
    benches::run_peer(&cli.peer, move |tcp| serve(tcp, graceful.clone()))
}
