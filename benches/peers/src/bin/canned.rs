//! `canned`: a canned-response HTTP/1.1 server, the floor for "how fast could HTTP/1.1 be".
//!
//! It does no HTTP parsing: per connection it reads into a buffer, counts the requests as
//! occurrences of `\r\n\r\n` (a terminator split across reads still counts once), and for
//! all complete requests of one read writes the same pre-built `/plaintext` response that
//! many times, in one write. Every request gets
//!
//! ```text
//! HTTP/1.1 200 OK
//! content-type: text/plain; charset=utf-8
//! content-length: 13
//! date: <IMF-fixdate>
//!
//! Hello, World!
//! ```
//!
//! whatever its method or path, in hyper's header order and case. As hyper does, each
//! worker thread keeps the response with its `date` and rewrites the date when the second
//! changes. Requests with a body are not supported (their body would be misread), and
//! HEAD gets the body too: send it GET requests only.
//!
//! With `--tls-cert` and `--tls-key` it does the same over TLS (tokio-rustls, configured
//! as ours and the hyper peer are: benches/src/tls.rs), the floor under the HTTP/1.1 over
//! TLS row: the record layer and the socket with no HTTP work.
//!
//! ```text
//! cargo build --release --manifest-path benches/peers/Cargo.toml --target-dir target/peers
//! target/peers/release/canned --port 0 --workers 1
//! target/peers/release/canned --port 0 --workers 1 --tls-cert cert.pem --tls-key key.pem
//! ```

use std::cell::RefCell;

use clap::Parser;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Parser)]
#[command(about = "canned-response HTTP/1.1 server: one fixed response per \\r\\n\\r\\n")]
struct Cli {
    #[command(flatten)]
    peer: peers::PeerArgs,
    #[command(flatten)]
    tls: peers::tls::OptionalTlsArgs,
}

const RESPONSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\ndate: ";
/// The response with a blank `date`, filled in by [`peers::DatedResponse`].
fn response() -> peers::DatedResponse {
    let mut response = RESPONSE_HEAD.as_bytes().to_vec();
    response.extend_from_slice(&[b' '; peers::DATE_LEN]);
    response.extend_from_slice(b"\r\n\r\n");
    response.extend_from_slice(peers::PLAINTEXT.as_bytes());
    peers::DatedResponse::new(response, RESPONSE_HEAD.len())
}

thread_local! {
    static CANNED: RefCell<peers::DatedResponse> = RefCell::new(response());
}

/// Counts `\r\n\r\n` in `bytes`; `state` is how much of it the previous bytes ended with
/// (0..=3), kept across reads.
fn count_requests(state: &mut u8, bytes: &[u8]) -> usize {
    let mut n = 0;
    for &b in bytes {
        *state = match (b, *state) {
            (b'\r', 2) => 3,
            (b'\r', _) => 1,
            (b'\n', 1) => 2,
            (b'\n', 3) => {
                n += 1;
                0
            }
            _ => 0,
        };
    }
    n
}

async fn serve(mut tcp: impl AsyncRead + AsyncWrite + Unpin) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::new();
    let mut state = 0;
    loop {
        let len = match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(len) => len,
        };
        let n = count_requests(&mut state, &buf[..len]);
        if n == 0 {
            continue;
        }
        out.clear();
        CANNED.with_borrow_mut(|c| {
            let response = c.current();
            for _ in 0..n {
                out.extend_from_slice(response);
            }
        });
        // (flush: a no-op on TCP; over TLS, the records still buffered go out)
        if tcp.write_all(&out).await.is_err() || tcp.flush().await.is_err() {
            return;
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    match &cli.tls.get() {
        None => peers::serve_tcp(&cli.peer, serve),
        Some(tls) => peers::serve_tls(&cli.peer, tls, b"http/1.1", serve),
    }
}

#[cfg(test)]
mod tests {
    use super::count_requests;

    #[test]
    fn counts_terminators_across_reads() {
        let req = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut state = 0;
        assert_eq!(count_requests(&mut state, &req.repeat(3)), 3);
        // split at every point: the terminator is counted once
        for cut in 0..=req.len() {
            let mut state = 0;
            let n = count_requests(&mut state, &req[..cut]) + count_requests(&mut state, &req[cut..]);
            assert_eq!(n, 1, "cut at {cut}");
        }
        // \r\n\r\r\n\r\n is one terminator
        assert_eq!(count_requests(&mut 0, b"a\r\n\r\r\n\r\n"), 1);
    }
}
