//! `hyper_tls`: the hyper 1.x + tokio-rustls peer of `hello` (examples) under TLS, for the
//! HTTPS load comparisons.
//!
//! GET|HEAD /plaintext → `Hello, World!`, GET /json → `{"message":"Hello, World!"}` (the
//! same handler as `hyper_hello`). rustls as ours configures it (ring provider, TLS 1.3 and
//! 1.2, rustls' session cache and tickets); HTTP/2 when ALPN picks `h2` (hyper's http2
//! defaults except `max_concurrent_streams` 256, as `hyper_h2c`), HTTP/1.1 with keep-alive
//! otherwise (`http/1.1` or no ALPN, as wrk sends). One task per connection.
//!
//! ```text
//! cargo run --release -p benches --bin hyper_tls -- --port 0 --workers 1 --tls-cert cert.pem --tls-key key.pem
//! ```

use clap::Parser;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

#[derive(Parser)]
#[command(
    about = "hyper 1.x + tokio-rustls hello-world peer: /plaintext and /json over HTTPS (h2 and http/1.1 by ALPN)"
)]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
    #[command(flatten)]
    tls: benches::tls::TlsArgs,
}

async fn serve(acceptor: TlsAcceptor, tcp: TcpStream) {
    let Ok(tls) = acceptor.accept(tcp).await else { return };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(tls);
    let service = service_fn(benches::hello);
    let _ = if h2 {
        http2::Builder::new(TokioExecutor::new()).max_concurrent_streams(256).serve_connection(io, service).await
    } else {
        http1::Builder::new().keep_alive(true).serve_connection(io, service).await
    };
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let acceptor = benches::tls::acceptor(&cli.tls)?;
    benches::run_tls_peer(&cli.peer, move |tcp| serve(acceptor.clone(), tcp))
}
