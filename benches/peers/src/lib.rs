//! Shared helpers for the peer servers in this crate: the flags, the runtime and the bind
//! with its `listening on` line, done as `benches/src/lib.rs` `run_peer` does them for the
//! hyper peers, so that every peer starts alike.

use std::io::Write;
use std::net::SocketAddr;

use tokio::net::TcpListener;

/// The response body of `GET /plaintext`.
pub const PLAINTEXT: &str = "Hello, World!";
/// The response body of `GET /json`.
pub const JSON: &str = r#"{"message":"Hello, World!"}"#;

/// The flags every peer binary takes (the same as `benches::PeerArgs`).
#[derive(Debug, Clone, clap::Args)]
#[command(about = None, long_about = None)]
pub struct PeerArgs {
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Runtime worker threads (default: the number of cores).
    #[arg(long)]
    pub workers: Option<usize>,
}

impl PeerArgs {
    /// The first address `--host`/`--port` resolve to (the one `run_peer` binds).
    pub fn addr(&self) -> std::io::Result<SocketAddr> {
        use std::net::ToSocketAddrs;
        (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "cannot resolve host"))
    }
}

/// The tokio runtime of `run_peer`: multi-thread, `--workers` worker threads if given.
pub fn runtime(args: &PeerArgs) -> std::io::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        b.worker_threads(n.max(1));
    }
    b.enable_all().build()
}

/// Prints `listening on http://ADDR` as the first stdout line, flushed.
pub fn print_listening(addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()
}

/// Binds `--host`/`--port` and prints the `listening on` line with the bound port.
pub async fn bind(args: &PeerArgs) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(args.addr()?).await?;
    print_listening(listener.local_addr()?)?;
    Ok(listener)
}
