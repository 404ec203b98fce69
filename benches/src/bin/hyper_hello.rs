//! `hyper_hello`: the hyper 1.x peer of `examples/hello` for load comparisons.
//!
//! GET /plaintext → `Hello, World!` (`text/plain; charset=utf-8`), GET /json →
//! `{"message":"Hello, World!"}` (`application/json`); hyper adds `content-length` and
//! `date`. HTTP/1.1 only, keep-alive on, one task per connection, as a typical hyper
//! server is written.
//!
//! ```text
//! cargo run --release -p benches --bin hyper_hello -- --port 0 --workers 1
//! ```

use clap::Parser;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "hyper 1.x hello-world peer: /plaintext and /json")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
}

async fn serve(tcp: TcpStream) {
    let _ =
        http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(tcp), service_fn(benches::hello)).await;
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    benches::run_peer(&cli.peer, serve)
}
