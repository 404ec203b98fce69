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

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "hyper 1.x hello-world peer: /plaintext and /json")]
struct Cli {
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Runtime worker threads (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
}

const PLAINTEXT: &[u8] = b"Hello, World!";
const JSON: &[u8] = br#"{"message":"Hello, World!"}"#;

/// The handler (`alloc_count` carries an identical copy for its in-process hyper server).
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (body, ctype): (&'static [u8], &'static str) = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/plaintext") => (PLAINTEXT, "text/plain; charset=utf-8"),
        (&Method::GET | &Method::HEAD, "/json") => (JSON, "application/json"),
        (_, "/plaintext" | "/json") => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"Method Not Allowed")));
            *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(r);
        }
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"Not Found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            return Ok(r);
        }
    };
    let mut r = Response::new(Full::new(Bytes::from_static(body)));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    Ok(r)
}

async fn serve(listener: TcpListener) {
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(tcp), service_fn(hello));
            let _ = conn.await;
        });
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.workers {
        b.worker_threads(n.max(1));
    }
    let rt = b.enable_all().build()?;
    rt.block_on(async {
        let addr: SocketAddr = tokio::net::lookup_host((cli.host.as_str(), cli.port))
            .await?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "cannot resolve host"))?;
        let listener = TcpListener::bind(addr).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{}", listener.local_addr()?)?;
            out.flush()?;
        }
        tokio::select! {
            () = serve(listener) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
