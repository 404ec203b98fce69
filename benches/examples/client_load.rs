//! `client_load`: what an HTTP client costs — CPU time per request and requests/s under
//! concurrency, and a large download's throughput and peak RSS — for three clients against
//! one server: ours (`http_client::Client`), reqwest, and hyper-util's legacy `Client`.
//!
//! One program, three subcommands, each run as its own process (so each client's CPU time
//! and peak RSS are its process's alone; `benches/load/client_compare.sh` pins the server to
//! one core and the client to another and interleaves the rounds):
//!
//! - `serve`: a hyper server (one current-thread runtime) with HTTP/1.1 and h2c prior
//!   knowledge on `--port`, and HTTPS with ALPN `h2` / `http/1.1` on `--tls-port` (with
//!   `--cert`/`--key`). `GET /plaintext` → `Hello, World!`; `GET /zeros/N` → N zero bytes,
//!   streamed in 64 KiB frames; `GET /stats` → the number of connections accepted so far.
//!   Prints one `listening on URL` line per port.
//! - `load`: `--concurrency` tasks each sending `GET URL` and reading the body to its end,
//!   again and again, on one current-thread runtime; after `--warmup` seconds, the process's
//!   CPU time (utime + stime from `/proc/self/stat`) and the completed requests are counted
//!   over `--duration` seconds. Prints one line of `key=value`: `rps`, `cpu_us_per_req`,
//!   `errors`, and `conns` (the connections the server accepted during the run, read from
//!   its `/stats`, to show keep-alive and HTTP/2 multiplexing held).
//! - `download`: one `GET URL`, the body streamed to a sink (never buffered); prints the
//!   bytes, MiB/s, CPU seconds and the process's peak RSS (`VmHWM`).
//!
//! Every request starts from the URL string, as an application's would. `--mode` picks the
//! protocol: `h1` (HTTP/1.1 keep-alive), `h2c` (HTTP/2 prior knowledge, one connection),
//! `tls-h1` (HTTPS, ALPN `http/1.1`), `tls-h2` (HTTPS, ALPN `h2`, one connection). All three
//! clients use rustls with the ring provider, TCP_NODELAY, and trust exactly `--cacert`.
//!
//! ```text
//! cargo build --release -p benches --example client_load
//! target/release/examples/client_load serve --port 8080 &
//! target/release/examples/client_load load --client ours --mode h1 --url http://127.0.0.1:8080/plaintext
//! target/release/examples/client_load download --client reqwest --url http://127.0.0.1:8080/zeros/1073741824
//! ```

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand, ValueEnum};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::TcpListener;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(
    about = "Client CPU per request, requests/s, download throughput and peak RSS: ours vs reqwest vs hyper-util"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /plaintext, /zeros/N and /stats (hyper; h1 + h2c, and HTTPS with --tls-port).
    Serve {
        /// Cleartext port (HTTP/1.1 and h2c prior knowledge); 0 picks a free port.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// HTTPS port (ALPN h2, http/1.1); needs --cert and --key.
        #[arg(long, requires_all = ["cert", "key"])]
        tls_port: Option<u16>,
        /// Certificate chain (PEM).
        #[arg(long)]
        cert: Option<std::path::PathBuf>,
        /// Private key (PEM).
        #[arg(long)]
        key: Option<std::path::PathBuf>,
    },
    /// Closed-loop load: CPU per request and requests/s of one client.
    Load {
        #[command(flatten)]
        target: Target,
        /// Requests in flight at once (tasks, each waiting for its response).
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Unmeasured seconds first (connections, TLS handshakes, pools warm up).
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Measured seconds.
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
        /// The server's cleartext `host:port`, for its `/stats` (connections accepted).
        #[arg(long)]
        stats: Option<SocketAddr>,
    },
    /// One download streamed to a sink: throughput, CPU and peak RSS of one client.
    Download {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(clap::Args)]
struct Target {
    /// Which client.
    #[arg(long, value_enum)]
    client: Which,
    /// Protocol: h1, h2c, tls-h1, tls-h2.
    #[arg(long, value_enum, default_value = "h1")]
    mode: Mode,
    /// The URL every request GETs.
    #[arg(long)]
    url: String,
    /// CA certificate (PEM) to trust for https URLs.
    #[arg(long)]
    cacert: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Ours,
    Reqwest,
    Hyper,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    H1,
    H2c,
    TlsH1,
    TlsH2,
}

impl Mode {
    fn h2(self) -> bool {
        matches!(self, Mode::H2c | Mode::TlsH2)
    }
    fn name(self) -> &'static str {
        match self {
            Mode::H1 => "h1",
            Mode::H2c => "h2c",
            Mode::TlsH1 => "tls-h1",
            Mode::TlsH2 => "tls-h2",
        }
    }
}

fn main() -> Result<(), Error> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match cli.command {
        Command::Serve { port, tls_port, cert, key } => {
            let tls = match (tls_port, cert, key) {
                (Some(p), Some(c), Some(k)) => Some((p, server_tls(&c, &k)?)),
                _ => None,
            };
            rt.block_on(serve(port, tls))
        }
        Command::Load { target, concurrency, warmup, duration, stats } => {
            let before = stats.map(accepted).transpose()?;
            let client = Peer::new(&target)?;
            let mut report = rt.block_on(load(client, &target.url, concurrency, warmup, duration))?;
            drop(rt);
            if let (Some(addr), Some(before)) = (stats, before) {
                // `/stats` itself is one connection.
                report.push_str(&format!(" conns={}", accepted(addr)? - before - 1));
            }
            let which = target.client.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            println!("client={which} mode={} concurrency={concurrency} {report}", target.mode.name());
            Ok(())
        }
        Command::Download { target } => {
            let client = Peer::new(&target)?;
            let report = rt.block_on(download(client, &target.url))?;
            let which = target.client.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            println!("client={which} {report}");
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// The clients
// ---------------------------------------------------------------------------------------

/// The three clients behind one `get`: send `GET url`, read the body to its end into a sink,
/// return its length.
enum Peer {
    Ours(http_client::Client),
    Reqwest(reqwest::Client),
    HyperPlain(HyperClient<HttpConnector, Empty<Bytes>>),
    HyperTls(HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>),
}

impl Peer {
    fn new(t: &Target) -> Result<Peer, Error> {
        let pem = match &t.cacert {
            Some(p) => Some(std::fs::read(p)?),
            None => None,
        };
        let tls = matches!(t.mode, Mode::TlsH1 | Mode::TlsH2);
        Ok(match t.client {
            Which::Ours => {
                let version = if t.mode.h2() {
                    http_client::HttpVersion::Http2PriorKnowledge
                } else {
                    http_client::HttpVersion::Http1Only
                };
                let mut b = http_client::Client::builder().http_version(version).proxy_from_env(false);
                if let Some(pem) = pem {
                    b = b.ca_certificates_pem(pem);
                }
                Peer::Ours(b.build()?)
            }
            Which::Reqwest => {
                let b = reqwest::Client::builder()
                    .no_proxy()
                    .tls_backend_preconfigured(client_tls(pem.as_deref(), t.mode)?);
                let b = if t.mode.h2() { b.http2_prior_knowledge() } else { b.http1_only() };
                Peer::Reqwest(b.build()?)
            }
            Which::Hyper => {
                let mut http = HttpConnector::new();
                http.set_nodelay(true);
                let mut b = HyperClient::builder(TokioExecutor::new());
                b.http2_only(t.mode.h2());
                if tls {
                    http.enforce_http(false);
                    // hyper-rustls sets ALPN itself: `h2` with enable_http2, none for HTTP/1.1.
                    let mut config = client_tls(pem.as_deref(), t.mode)?;
                    config.alpn_protocols.clear();
                    let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_only();
                    let https = if t.mode.h2() {
                        https.enable_http2().wrap_connector(http)
                    } else {
                        https.enable_http1().wrap_connector(http)
                    };
                    Peer::HyperTls(b.build(https))
                } else {
                    Peer::HyperPlain(b.build(http))
                }
            }
        })
    }

    async fn get(&self, url: &str) -> Result<u64, Error> {
        let mut n = 0u64;
        match self {
            Peer::Ours(c) => {
                let mut res = c.get(url).send().await?;
                check(res.status().as_u16())?;
                while let Some(b) = res.chunk().await? {
                    n += b.len() as u64;
                }
            }
            Peer::Reqwest(c) => {
                let mut res = c.get(url).send().await?;
                check(res.status().as_u16())?;
                while let Some(b) = res.chunk().await? {
                    n += b.len() as u64;
                }
            }
            Peer::HyperPlain(c) => n = hyper_get(c, url).await?,
            Peer::HyperTls(c) => n = hyper_get(c, url).await?,
        }
        Ok(n)
    }
}

async fn hyper_get<C>(c: &HyperClient<C, Empty<Bytes>>, url: &str) -> Result<u64, Error>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let res = c.get(url.parse()?).await?;
    check(res.status().as_u16())?;
    let mut body = res.into_body();
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        if let Some(d) = frame?.data_ref() {
            n += d.len() as u64;
        }
    }
    Ok(n)
}

fn check(status: u16) -> Result<(), Error> {
    if status == 200 { Ok(()) } else { Err(format!("status {status}").into()) }
}

/// The rustls client configuration reqwest and hyper-rustls get (ours builds its own from
/// the same PEM): ring, the default protocol versions, exactly `pem`'s roots, and ALPN by mode.
fn client_tls(pem: Option<&[u8]>, mode: Mode) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert?)?;
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = if mode.h2() { vec![b"h2".to_vec()] } else { vec![b"http/1.1".to_vec()] };
    Ok(config)
}

// ---------------------------------------------------------------------------------------
// load and download
// ---------------------------------------------------------------------------------------

async fn load(client: Peer, url: &str, concurrency: usize, warmup: f64, duration: f64) -> Result<String, Error> {
    // One request first, so an HTTP/2 client opens its one connection before the rush.
    client.get(url).await?;
    let client = Arc::new(client);
    let url: Arc<str> = url.into();
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, url, done, errors, stop, first_error) =
            (client.clone(), url.clone(), done.clone(), errors.clone(), stop.clone(), first_error.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).await {
                    Ok(_) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().unwrap().get_or_insert_with(|| e.to_string());
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
    let (n0, e0, cpu0, t0) =
        (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), cpu_seconds()?, Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(duration)).await;
    let (n1, e1, cpu1, t1) =
        (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), cpu_seconds()?, Instant::now());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    if let Some(e) = first_error.lock().unwrap().take() {
        eprintln!("first error: {e}");
    }
    let (requests, secs, cpu) = (n1 - n0, (t1 - t0).as_secs_f64(), cpu1 - cpu0);
    if requests == 0 {
        return Err("no request completed in the measured window".into());
    }
    Ok(format!(
        "requests={requests} seconds={secs:.3} rps={:.0} cpu_s={cpu:.2} cpu_us_per_req={:.3} errors={}",
        requests as f64 / secs,
        cpu * 1e6 / requests as f64,
        e1 - e0
    ))
}

async fn download(client: Peer, url: &str) -> Result<String, Error> {
    let (cpu0, t0) = (cpu_seconds()?, Instant::now());
    let bytes = client.get(url).await?;
    let (cpu1, secs) = (cpu_seconds()?, t0.elapsed().as_secs_f64());
    Ok(format!(
        "bytes={bytes} seconds={secs:.3} mib_s={:.1} cpu_s={:.2} peak_rss_kib={}",
        bytes as f64 / secs / (1024.0 * 1024.0),
        cpu1 - cpu0,
        peak_rss_kib()?
    ))
}

/// This process's CPU time, all threads, user + system (`/proc/self/stat` fields 14 and 15,
/// in clock ticks of 1/100 s, Linux's `USER_HZ` on every architecture it runs on here).
fn cpu_seconds() -> Result<f64, Error> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').ok_or("malformed /proc/self/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        f.get(11).ok_or("short /proc/self/stat")?.parse::<u64>()? + f.get(12).ok_or("short")?.parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// This process's peak resident set size (`VmHWM` in `/proc/self/status`), KiB.
fn peak_rss_kib() -> Result<u64, Error> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM")?;
    Ok(line.split_whitespace().nth(1).ok_or("malformed VmHWM")?.parse()?)
}

/// The server's accepted-connection count, from `GET /stats` on a fresh connection.
fn accepted(addr: SocketAddr) -> Result<u64, Error> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.write_all(b"GET /stats HTTP/1.1\r\nhost: stats\r\nconnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let body = out.split_once("\r\n\r\n").ok_or("malformed /stats response")?.1;
    Ok(body.trim().parse()?)
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// A body of `left` bytes sent as repeated slices of `chunk` (no allocation per frame).
struct Payload {
    chunk: Bytes,
    left: u64,
}

impl http_body::Body for Payload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(self.chunk.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

fn respond(path: &str, accepted: u64) -> http::Response<Payload> {
    let (status, chunk, left) = if path == "/plaintext" {
        (200, Bytes::from_static(b"Hello, World!"), 13)
    } else if let Some(n) = path.strip_prefix("/zeros/").and_then(|n| n.parse::<u64>().ok()) {
        (200, Bytes::from_static(&ZEROS), n)
    } else if path == "/stats" {
        let b = Bytes::from(accepted.to_string());
        let n = b.len() as u64;
        (200, b, n)
    } else {
        (404, Bytes::from_static(b"Not Found"), 9)
    };
    let mut r = http::Response::new(Payload { chunk, left });
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    r
}

fn server_tls(cert: &std::path::Path, key: &std::path::Path) -> Result<tokio_rustls::TlsAcceptor, Error> {
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(benches::tls::server_config(cert, key)?)))
}

async fn serve(port: u16, tls: Option<(u16, tokio_rustls::TlsAcceptor)>) -> Result<(), Error> {
    let count = Arc::new(AtomicU64::new(0));
    let plain = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", plain.local_addr()?);
    let secure = match tls {
        Some((port, acceptor)) => {
            let l = TcpListener::bind(("127.0.0.1", port)).await?;
            println!("listening on https://{}", l.local_addr()?);
            Some((l, acceptor))
        }
        None => None,
    };
    std::io::stdout().flush()?;
    if let Some((l, acceptor)) = secure {
        let count = count.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = l.accept().await else { continue };
                count.fetch_add(1, Ordering::Relaxed);
                let _ = tcp.set_nodelay(true);
                let (acceptor, count) = (acceptor.clone(), count.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve_conn(TokioIo::new(tls), count).await;
                    }
                });
            }
        });
    }
    loop {
        let Ok((tcp, _)) = plain.accept().await else { continue };
        count.fetch_add(1, Ordering::Relaxed);
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_conn(TokioIo::new(tcp), count.clone()));
    }
}

/// HTTP/1.1 or HTTP/2 (by the client preface), hyper's defaults but 256 concurrent streams.
async fn serve_conn<I>(io: I, count: Arc<AtomicU64>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let r = respond(req.uri().path(), count.load(Ordering::Relaxed));
        async move { Ok::<_, Infallible>(r) }
    });
    let mut b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    b.http2().max_concurrent_streams(256);
    let _ = b.serve_connection(io, service).await;
}
