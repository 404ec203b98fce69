//! `hyper_h2c`: the hyper 1.x HTTP/2 cleartext (prior knowledge) peer of `showcase` for
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

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "hyper 1.x h2c (prior knowledge) peer: /plaintext")]
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

async fn plaintext(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/plaintext") => {
            let mut r = Response::new(Full::new(Bytes::from_static(PLAINTEXT)));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            Ok(r)
        }
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"Not Found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            Ok(r)
        }
    }
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
            let conn = http2::Builder::new(TokioExecutor::new())
                .max_concurrent_streams(256)
                .serve_connection(TokioIo::new(tcp), service_fn(plaintext));
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
