//! `discard_load`: HTTP/1.1 keep-alive GET load whose client throws response bodies away
//! inside the kernel, so the server, not the client, is what runs out of CPU.
//!
//! ```text
//! cargo run --release -p benches --bin discard_load -- --url http://127.0.0.1:8080/10m.bin \
//!     --connections 32 --seconds 5 --server-pid 1234
//! ```
//!
//! Why: on one machine, a load generator that copies every body into its own memory (wrk,
//! h2load) pays about as much per byte as a `sendfile` server does. With the server and
//! the client on one core each, a large-file row then measures the client's core: wrk
//! receiving 100 KiB costs ~28 µs, as much as the server sending it. Here each body byte is
//! received with `recv(MSG_TRUNC)` (tcp(7): the data is discarded, not copied), so the
//! client's cost per response is a few system calls whatever the size, as it is for a
//! server whose clients are other machines.
//!
//! `--connections` tasks on one thread each loop: send `GET PATH` (with the `--header`
//! fields), read the head (status must be 2xx), discard the `Content-Length` body bytes,
//! repeat on the same connection. A chunked body (a server compressing on the fly) is read
//! and its framing decoded instead: its bytes are copied, as a client must. After `--warmup` seconds the counters,
//! the server's CPU time (`/proc/PID/stat`) and this process's own are read, again after
//! `--seconds`, and one line of `key=value` results is printed: `requests`, `errors`,
//! `req_per_s`, `mib_per_s`, `cpu_us_per_req` (the server's), `client_cpu_us_per_req`.
//! Only the `--url`'s address is used; the run stops by itself.

use std::cell::Cell;
use std::io::ErrorKind;
use std::mem::MaybeUninit;
use std::rc::Rc;
use std::time::{Duration, Instant};

use benches::target::Target;
use bytes::BytesMut;
use clap::Parser;
use http_core::Method;
use http_core::engine::h1::{BodyDecoder, BodyLength, Decoded, ResponseLimits, parse_response_head};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

/// `MSG_TRUNC` from linux/socket.h: on a TCP socket, `recv` discards what it would have
/// copied and returns how much that was.
const MSG_TRUNC: i32 = 0x20;

/// The most one `recv(MSG_TRUNC)` discards; the kernel never writes to the buffer.
const DISCARD_CHUNK: usize = 4 << 20;

/// The largest response head (and chunked trailer section) accepted.
const HEAD_MAX: usize = 16 << 10;

/// Room made in the read buffer before each read of a head or a chunked body.
const READ_SIZE: usize = 16 << 10;

#[derive(Parser)]
#[command(about = "HTTP/1.1 keep-alive GET load that discards bodies in the kernel: server CPU per request")]
struct Cli {
    /// http://HOST:PORT/PATH
    #[arg(long)]
    url: String,
    /// Connections, each with one request in flight.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// A request field, `Name: value` (repeatable).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Unmeasured seconds first.
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// The server's PID, for its CPU time per request.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// The response head at the start of `buf`, removed from it once complete (what follows
/// is the body's start): `None` while incomplete; the body's length, or `Err` for a head
/// that cannot be parsed (http-core's client-role parser), a status other than 2xx, or a
/// body that runs until the connection closes.
fn take_head(buf: &mut BytesMut) -> Option<Result<BodyLength, String>> {
    let limits = ResponseLimits { max_head_bytes: HEAD_MAX, max_headers: 64 };
    match parse_response_head(buf, &limits, &Method::GET) {
        Ok(None) => None,
        Err(e) => Some(Err(format!("bad response head: {e}"))),
        Ok(Some(head)) if !head.status.is_success() => Some(Err(format!("status {}", head.status))),
        Ok(Some(head)) => Some(head.body.ok_or_else(|| "response without Content-Length or chunked framing".into())),
    }
}

/// Reads the rest of a chunked body whose first bytes are in `buf` (its framing has to be
/// parsed, so these bytes are copied); its data's length.
async fn read_chunked(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<u64, String> {
    let mut decoder = BodyDecoder::new(BodyLength::Chunked);
    let mut data = 0;
    loop {
        match decoder.decode(buf, HEAD_MAX).map_err(|e| format!("chunked body: {e}"))? {
            Decoded::Data(d) => data += d.len() as u64,
            Decoded::End(_) => return Ok(data),
            Decoded::NeedMore => read_more(stream, buf).await.map_err(|e| format!("chunked body: {e}"))?,
        }
    }
}

/// Reads what the connection has into `buf`; end of file is an error (a response is due).
async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> std::io::Result<()> {
    buf.reserve(READ_SIZE);
    match stream.read_buf(buf).await? {
        0 => Err(ErrorKind::UnexpectedEof.into()),
        _ => Ok(()),
    }
}

/// Totals shared by the connections (one thread: plain cells).
#[derive(Default)]
struct Counts {
    requests: Cell<u64>,
    bytes: Cell<u64>,
    errors: Cell<u64>,
}

/// Reads `n` bytes off `stream` without copying them anywhere.
async fn discard(stream: &TcpStream, sink: &mut [MaybeUninit<u8>], mut n: u64) -> std::io::Result<()> {
    while n > 0 {
        stream.readable().await?;
        let want = sink.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        let got = stream.try_io(Interest::READABLE, || {
            socket2::SockRef::from(stream).recv_with_flags(&mut sink[..want], MSG_TRUNC)
        });
        match got {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(k) => n -= k as u64,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One keep-alive connection sending `request` until `until`; every response counted.
async fn connection(target: &Target, request: &[u8], counts: &Counts, until: Instant) -> Result<(), String> {
    let mut stream = TcpStream::connect(target.authority.as_str()).await.map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::with_capacity(READ_SIZE);
    let mut sink: Vec<u8> = Vec::with_capacity(DISCARD_CHUNK);
    while Instant::now() < until {
        stream.write_all(request).await.map_err(|e| format!("write: {e}"))?;
        let length = loop {
            if let Some(length) = take_head(&mut buf) {
                break length?;
            }
            read_more(&mut stream, &mut buf).await.map_err(|e| format!("read: {e}"))?;
        };
        let body = match length {
            BodyLength::Empty => 0,
            BodyLength::Exact(n) => {
                let early = buf.len() as u64;
                if early > n {
                    return Err("more bytes than the response announced".into());
                }
                buf.clear();
                discard(&stream, sink.spare_capacity_mut(), n - early).await.map_err(|e| format!("body: {e}"))?;
                n
            }
            BodyLength::Chunked => read_chunked(&mut stream, &mut buf).await?,
        };
        if !buf.is_empty() {
            return Err("more bytes than the response announced".into());
        }
        counts.requests.set(counts.requests.get() + 1);
        counts.bytes.set(counts.bytes.get() + body);
    }
    Ok(())
}

/// The request every connection sends.
fn request(target: &Target, headers: &[String]) -> Vec<u8> {
    let mut r = format!("GET {} HTTP/1.1\r\nHost: {}\r\n", target.path, target.authority);
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// Per-request microseconds from two CPU-tick readings.
fn us_per(t0: Option<u64>, t1: Option<u64>, requests: u64) -> String {
    match (t0, t1) {
        (Some(a), Some(b)) if requests > 0 => {
            format!("{:.2}", benches::procfs::cpu_us_per(b - a, requests))
        }
        _ => "nan".into(),
    }
}

fn main() -> Result<(), String> {
    let cli = Cli::parse();
    let target = Rc::new(Target::parse(&cli.url, "http")?);
    let request: Rc<[u8]> = request(&target, &cli.headers).into();
    let counts = Rc::new(Counts::default());
    let me = std::process::id();
    let ticks = |pid: Option<u32>| pid.and_then(|p| benches::procfs::cpu_ticks(p).ok());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let start = Instant::now();
        let warm = start + Duration::from_secs_f64(cli.warmup);
        let until = warm + Duration::from_secs_f64(cli.seconds);
        for _ in 0..cli.connections.max(1) {
            let (target, request, counts) = (target.clone(), request.clone(), counts.clone());
            tokio::task::spawn_local(async move {
                if let Err(e) = connection(&target, &request, &counts, until).await {
                    if counts.errors.get() == 0 {
                        eprintln!("discard_load: {e}");
                    }
                    counts.errors.set(counts.errors.get() + 1);
                }
            });
        }
        tokio::time::sleep_until(warm.into()).await;
        let snap = |c: &Counts| (c.requests.get(), c.bytes.get());
        let (c0, s0, m0, n0) = (snap(&counts), ticks(cli.server_pid), ticks(Some(me)), Instant::now());
        tokio::time::sleep_until(until.into()).await;
        let (c1, s1, m1, secs) = (snap(&counts), ticks(cli.server_pid), ticks(Some(me)), n0.elapsed().as_secs_f64());
        let (requests, bytes) = (c1.0 - c0.0, c1.1 - c0.1);
        println!(
            "requests={requests} errors={} seconds={secs:.2} req_per_s={:.0} mib_per_s={:.1} cpu_us_per_req={} client_cpu_us_per_req={}",
            counts.errors.get(),
            requests as f64 / secs,
            bytes as f64 / secs / (1 << 20) as f64,
            us_per(s0, s1, requests),
            us_per(m0, m1, requests),
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response's first bytes, and what `take_head` says of them: the body's length and
    /// how many bytes are left in the buffer after the head (`Err(())`: an error).
    type HeadCase = (&'static [u8], Option<Result<(BodyLength, usize), ()>>);

    #[test]
    fn heads() {
        let cases: &[HeadCase] = &[
            (b"", None),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n", None),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello", Some(Ok((BodyLength::Exact(13), 5)))),
            (b"HTTP/1.1 206 Partial Content\r\ncontent-length:0\r\n\r\n", Some(Ok((BodyLength::Empty, 0)))),
            (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", Some(Err(()))),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Some(Ok((BodyLength::Chunked, 0)))),
            (b"HTTP/1.1 200 OK\r\nVary: x\r\n\r\n", Some(Err(()))),
            (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", Some(Err(()))),
            (b"nonsense\r\n\r\n", Some(Err(()))),
        ];
        for (bytes, want) in cases {
            let mut buf = BytesMut::from(*bytes);
            let got = take_head(&mut buf).map(|r| r.map(|len| (len, buf.len())).map_err(|_| ()));
            assert_eq!(got, *want, "{}", String::from_utf8_lossy(bytes));
        }
    }

    /// Against a local server answering every request with a `size`-byte body, framed by
    /// Content-Length or chunked: every response is counted whole (a miscounted body would
    /// desynchronise the next head).
    #[test]
    fn counts_whole_responses_over_keep_alive() {
        for chunked in [false, true] {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, whole_responses(chunked));
        }
    }

    async fn whole_responses(chunked: bool) {
        let size: usize = 3 << 20;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Rc::new(Cell::new(0u64));
        let served2 = served.clone();
        tokio::task::spawn_local(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            // chunked: the body in three chunks, then the last chunk
            let third = size / 3;
            let response = if chunked {
                let chunk = format!("{third:x}\r\n{}\r\n", "7".repeat(third));
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n", chunk.repeat(3))
            } else {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n{}", "7".repeat(size))
            };
            let mut buf = vec![0u8; 4096];
            let mut pending = Vec::new();
            loop {
                let n = tcp.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                    pending.drain(..end + 4);
                    tcp.write_all(response.as_bytes()).await.unwrap();
                    served2.set(served2.get() + 1);
                }
            }
        });
        let target = Target { authority: addr.to_string(), path: "/f".into() };
        let counts = Counts::default();
        let until = Instant::now() + Duration::from_millis(300);
        connection(&target, &request(&target, &[]), &counts, until).await.unwrap();
        assert!(counts.requests.get() >= 2, "only {} responses", counts.requests.get());
        assert_eq!(counts.requests.get(), served.get());
        assert_eq!(counts.bytes.get(), counts.requests.get() * size as u64, "chunked: {chunked}");
    }
}
