//! Shared helpers for the benchmark programs: the hyper peers' handler, and the flags,
//! runtime, bind and `listening on` line every peer binary shares; [`ws`], the raw WebSocket
//! client pieces of the WebSocket load programs; [`tls`], the TLS peers' configuration;
//! [`procfs`], a server's CPU time and memory; [`sse`], the SSE subscribers; [`target`],
//! the server and path a load program's URL names.

pub mod procfs;
pub mod sse;
pub mod target;
pub mod tls;
pub mod ws;

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::Full;
use tokio::net::{TcpListener, TcpStream};

const PLAINTEXT: &[u8] = b"Hello, World!";
const JSON: &[u8] = br#"{"message":"Hello, World!"}"#;

/// The hyper peers' answer to `method path`: the same bytes and headers as
/// `examples/hello` (GET /plaintext, GET /json, 405 with Allow, 404).
///
/// ```
/// let r = benches::hello_response(&http::Method::GET, "/json");
/// assert_eq!(r.headers()["content-type"], "application/json");
/// assert_eq!(benches::hello_response(&http::Method::POST, "/json").status(), 405);
/// ```
pub fn hello_response(method: &Method, path: &str) -> Response<Full<Bytes>> {
    let (status, body, ctype): (StatusCode, &'static [u8], Option<&'static str>) = match (method, path) {
        (&Method::GET | &Method::HEAD, "/plaintext") => (StatusCode::OK, PLAINTEXT, Some("text/plain; charset=utf-8")),
        (&Method::GET | &Method::HEAD, "/json") => (StatusCode::OK, JSON, Some("application/json")),
        (_, "/plaintext" | "/json") => (StatusCode::METHOD_NOT_ALLOWED, b"Method Not Allowed", None),
        _ => (StatusCode::NOT_FOUND, b"Not Found", None),
    };
    let mut r = Response::new(Full::new(Bytes::from_static(body)));
    *r.status_mut() = status;
    if let Some(ctype) = ctype {
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    r
}

/// [`hello_response`] as a hyper service function.
pub async fn hello<B>(req: http::Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(hello_response(req.method(), req.uri().path()))
}

/// The flags every peer binary takes (the same as ours).
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

/// Builds the runtime, binds, prints `listening on http://HOST:PORT` (flushed), then
/// accepts until Ctrl-C, running `serve_conn` on its own task for each connection (with
/// `TCP_NODELAY`, as our server sets it).
pub fn run_peer<F, Fut>(args: &PeerArgs, serve_conn: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_peer_as(args, "http", serve_conn)
}

/// [`run_peer`] for a peer that serves TLS on the connections it is given: the line reads
/// `listening on https://HOST:PORT`.
pub fn run_tls_peer<F, Fut>(args: &PeerArgs, serve_conn: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_peer_as(args, "https", serve_conn)
}

fn run_peer_as<F, Fut>(args: &PeerArgs, scheme: &str, serve_conn: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        b.worker_threads(n.max(1));
    }
    let rt = b.enable_all().build()?;
    rt.block_on(async {
        let addr: SocketAddr = tokio::net::lookup_host((args.host.as_str(), args.port))
            .await?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "cannot resolve host"))?;
        let listener = TcpListener::bind(addr).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {scheme}://{}", listener.local_addr()?)?;
            out.flush()?;
        }
        let accept = async {
            loop {
                match listener.accept().await {
                    Ok((tcp, _)) => {
                        let _ = tcp.set_nodelay(true);
                        tokio::spawn(serve_conn(tcp));
                    }
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
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
