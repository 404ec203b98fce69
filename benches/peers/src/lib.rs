//! Shared helpers for the peer servers in this crate: the flags, the runtime and the bind
//! with its `listening on` line, done as `benches/src/lib.rs` `run_peer` does them for the
//! hyper peers, so that every peer starts alike.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::{TcpListener, TcpStream};

/// The TLS flags and server configuration the benches crate's peers use (the same file):
/// rustls with the ring provider, set up as ours is. (Its examples name the benches
/// crate, so they are not collected as this crate's doctests.)
#[cfg(not(doctest))]
#[path = "../../src/tls.rs"]
pub mod tls;

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
    print_listening_as("http", addr)
}

/// Prints `listening on SCHEME://ADDR` (`https` for a peer serving TLS) as the first
/// stdout line, flushed.
fn print_listening_as(scheme: &str, addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {scheme}://{addr}")?;
    out.flush()
}

/// Binds `--host`/`--port` and prints the `listening on` line with the bound port.
pub async fn bind(args: &PeerArgs) -> std::io::Result<TcpListener> {
    bind_as("http", args).await
}

/// [`bind`], the line naming `scheme`.
async fn bind_as(scheme: &str, args: &PeerArgs) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(args.addr()?).await?;
    print_listening_as(scheme, listener.local_addr()?)?;
    Ok(listener)
}

/// Runs a server as the canned peers do: the runtime of [`runtime`], [`bind`], then every
/// accepted connection (TCP_NODELAY set) given to `serve` on a task of its own, until
/// SIGINT (so that callgrind, which needs a clean exit, writes its totals).
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     peer: peers::PeerArgs,
/// }
/// peers::serve_tcp(&Cli::parse().peer, |tcp| async move { drop(tcp) })
/// # }
/// ```
pub fn serve_tcp<F, Fut>(args: &PeerArgs, serve: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    serve_tcp_as("http", args, serve)
}

/// [`serve_tcp`] for a peer whose `serve` speaks `scheme` on the connection (`https`: it
/// runs the TLS handshake itself); the `listening on` line names it.
fn serve_tcp_as<F, Fut>(scheme: &str, args: &PeerArgs, serve: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    runtime(args)?.block_on(async {
        let listener = bind_as(scheme, args).await?;
        let accept = async {
            loop {
                match listener.accept().await {
                    Ok((tcp, _)) => {
                        let _ = tcp.set_nodelay(true);
                        tokio::spawn(serve(tcp));
                    }
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        };
        tokio::select! {
            () = accept => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) is always 29 bytes.
pub const DATE_LEN: usize = 29;

/// A pre-built response holding a `date` value ([`DATE_LEN`] bytes at a fixed offset) that
/// is rewritten when the second changes, as hyper keeps its cached date: the canned
/// servers keep one per thread.
///
/// ```
/// let mut r = peers::DatedResponse::new(b"date: _____________________________\r\n".to_vec(), 6);
/// let now = r.current().to_vec();
/// assert!(now.starts_with(b"date: ") && now.ends_with(b" GMT\r\n"));
/// ```
pub struct DatedResponse {
    second: u64,
    at: usize,
    bytes: Vec<u8>,
}

impl DatedResponse {
    /// `bytes` with the date to be written at `bytes[at..at + DATE_LEN]`.
    ///
    /// # Panics
    ///
    /// If `bytes` is shorter than `at + DATE_LEN`.
    pub fn new(bytes: Vec<u8>, at: usize) -> Self {
        assert!(at + DATE_LEN <= bytes.len(), "no room for the date");
        Self { second: u64::MAX, at, bytes }
    }

    /// The response, its date rewritten first if the second has changed.
    pub fn current(&mut self) -> &[u8] {
        let second = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if second != self.second {
            let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
            self.bytes[self.at..self.at + DATE_LEN].copy_from_slice(date.as_bytes());
            self.second = second;
        }
        &self.bytes
    }
}

/// [`serve_tcp`] over TLS: each accepted connection's handshake runs with the
/// configuration of [`tls::acceptor_offering`] (only `alpn`, the one protocol the peer
/// speaks), and `serve` gets the TLS stream; the `listening on` line says `https`.
/// (Left out of doctests with the [`tls`] module; `canned` and `canned_h2` call it.)
#[cfg(not(doctest))]
pub fn serve_tls<F, Fut>(args: &PeerArgs, tls: &tls::TlsArgs, alpn: &[u8], serve: F) -> std::io::Result<()>
where
    F: Fn(tokio_rustls::server::TlsStream<TcpStream>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let acceptor = tls::acceptor_offering(tls, alpn)?;
    serve_tcp_as("https", args, move |tcp| tls::accept_then(acceptor.clone(), tcp, serve.clone()))
}
