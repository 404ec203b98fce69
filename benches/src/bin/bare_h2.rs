//! `bare_h2`: the least a server built on the `h2` crate does per h2c request — the
//! floor under `hello` (examples) on the same codec, for h2load comparisons.
//!
//! GET /plaintext (any path) → `Hello, World!` with `content-type`, `content-length` and
//! `date` (refreshed once a second), the fields `hello` sends. Per connection one task: it
//! takes every stream the last read delivered, answers each on the spot (HEADERS from a
//! clone of a prepared header map, then the body as one DATA frame with END_STREAM,
//! no flow-control wait: h2 queues it), and polls the connection again, so one batch's
//! responses leave in one write, as in `hello`. No request object beyond `h2`'s own, no
//! handler, no timeouts, no limits: a measuring stick, not a server.
//!
//! With `--tls-cert` and `--tls-key`, the same over TLS with ALPN `h2` (tokio-rustls,
//! configured as ours and `hyper_tls` are): the floor under the HTTP/2 over TLS row.
//!
//! ```text
//! cargo run --release -p benches --bin bare_h2 -- --port 0 --workers 1
//! cargo run --release -p benches --bin bare_h2 -- --port 0 --workers 1 --tls-cert cert.pem --tls-key key.pem
//! ```

use std::future::poll_fn;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clap::Parser;
use http::{HeaderMap, HeaderValue, Response, header};
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Parser)]
#[command(about = "h2 crate floor: h2c (prior knowledge) /plaintext with no framework")]
struct Cli {
    #[command(flatten)]
    peer: benches::PeerArgs,
    #[command(flatten)]
    tls: benches::tls::OptionalTlsArgs,
}

const BODY: &[u8] = b"Hello, World!";

/// The response fields, `date` included; rebuilt when the second changes.
fn fields() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(BODY.len()));
    let date = httpdate::fmt_http_date(SystemTime::now());
    h.insert(header::DATE, HeaderValue::from_str(&date).expect("an HTTP date is a valid value"));
    h
}

async fn serve(tcp: impl AsyncRead + AsyncWrite + Unpin) {
    let Ok(mut conn) = h2::server::Builder::new().max_concurrent_streams(256).handshake::<_, Bytes>(tcp).await else {
        return;
    };
    let mut template = fields();
    let mut stamped = Instant::now();
    let mut batch = Vec::new();
    loop {
        let ended = poll_fn(|cx| {
            loop {
                match conn.poll_accept(cx) {
                    Poll::Ready(Some(Ok(stream))) => batch.push(stream),
                    Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(true),
                    Poll::Pending if batch.is_empty() => return Poll::Pending,
                    Poll::Pending => return Poll::Ready(false),
                }
            }
        })
        .await;
        if stamped.elapsed() >= Duration::from_secs(1) {
            (template, stamped) = (fields(), Instant::now());
        }
        for (_request, mut respond) in batch.drain(..) {
            let mut response = Response::new(());
            *response.headers_mut() = template.clone();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(BODY), true);
            }
        }
        if ended {
            return;
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let Some(tls) = cli.tls.get() else {
        return benches::run_peer(&cli.peer, serve);
    };
    let acceptor = benches::tls::acceptor_offering(&tls, b"h2")?;
    benches::run_tls_peer(&cli.peer, move |tcp| benches::tls::accept_then(acceptor.clone(), tcp, serve))
}
