//! Shared helpers for the HTTP/1.1 integration tests: short-timeout server options, and a
//! small raw-socket HTTP/1.1 client that parses responses strictly enough to catch framing
//! mistakes (a response must be complete and exactly as long as its framing says).

#![allow(dead_code, unreachable_pub, missing_docs)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use http_server::{Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bound on any single client-side wait. Every read goes through it.
pub const WAIT: Duration = Duration::from_secs(5);

/// Options for tests: an ephemeral loopback port and short timeouts, so a hung test fails
/// in seconds instead of waiting for the production defaults.
pub fn opts() -> ServerOptions {
    ServerOptions::new()
        .host("127.0.0.1")
        .port(0)
        .read_timeout(Duration::from_secs(2))
        .read_header_timeout(Duration::from_secs(3))
        .write_timeout(Duration::from_secs(3))
        .idle_timeout(Duration::from_secs(5))
        .shutdown_timeout(Duration::from_secs(5))
}

/// Runs `f` with the overall bound `limit`, failing the test (not hanging) when it passes.
pub async fn bounded<F: std::future::Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: did not finish within {limit:?}"),
    }
}

/// Polls `cond` every 10 ms until it holds, for at most `limit`.
pub async fn eventually(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what}: not reached within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A parsed response as it was on the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// Header fields in wire order, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Trailer fields of a chunked body, names lower-cased.
    pub trailers: Vec<(String, String)>,
    /// The body was sent with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The body had neither Content-Length nor chunked framing and ended at EOF.
    pub close_delimited: bool,
}

impl RawResponse {
    /// The only value of header `name`; panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut it = self.headers.iter().filter(|(n, _)| n == name);
        let first = it.next().map(|(_, v)| v.as_str());
        assert!(it.next().is_none(), "header {name} appears more than once: {:?}", self.headers);
        first
    }

    /// The header names, in order, without `date`.
    pub fn header_names_without_date(&self) -> Vec<String> {
        self.headers.iter().filter(|(n, _)| n != "date").map(|(n, _)| n.clone()).collect()
    }

    /// True when the response says the connection closes after it.
    pub fn says_close(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Panics unless a `Date` header is present and is a valid IMF-fixdate.
    pub fn assert_date(&self) {
        let d = self.header("date").unwrap_or_else(|| panic!("no Date header: {:?}", self.headers));
        assert_eq!(d.len(), 29, "Date is not an IMF-fixdate: {d:?}");
        assert!(d.ends_with(" GMT"), "Date is not an IMF-fixdate: {d:?}");
        httpdate::parse_http_date(d).unwrap_or_else(|e| panic!("Date {d:?} does not parse: {e}"));
    }
}

/// How a read on the connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    /// Orderly EOF.
    Eof,
    /// Connection reset.
    Reset,
}

/// One raw client connection with its read buffer.
pub struct Conn {
    pub tcp: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let tcp = bounded(WAIT, "connect", TcpStream::connect(addr)).await.expect("connect");
        tcp.set_nodelay(true).unwrap();
        Conn { tcp, buf: Vec::new(), eof: false }
    }

    pub async fn to(server: &Server) -> Conn {
        Conn::open(server.local_addr()).await
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        bounded(WAIT, "write", self.tcp.write_all(bytes)).await.expect("write request bytes");
    }

    /// Like `send`, but the server may already have closed (an error response was sent
    /// before the whole request was): errors are ignored.
    pub async fn send_lenient(&mut self, bytes: &[u8]) {
        let _ = tokio::time::timeout(WAIT, self.tcp.write_all(bytes)).await;
    }

    /// Bytes already read but not yet consumed by a parsed response.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Reads more bytes; `Ok(0)` at EOF. Errors: a reset, or nothing within `WAIT`.
    async fn fill(&mut self) -> Result<usize, String> {
        if self.eof {
            return Ok(0);
        }
        let mut tmp = [0u8; 16 * 1024];
        match tokio::time::timeout(WAIT, self.tcp.read(&mut tmp)).await {
            Err(_) => Err(format!("no bytes within {WAIT:?} (have {:?})", String::from_utf8_lossy(&self.buf))),
            Ok(Err(e)) => Err(format!("read error: {e}")),
            Ok(Ok(0)) => {
                self.eof = true;
                Ok(0)
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&tmp[..n]);
                Ok(n)
            }
        }
    }

    /// Waits for at least `n` buffered bytes.
    async fn need(&mut self, n: usize) -> Result<(), String> {
        while self.buf.len() < n {
            if self.fill().await? == 0 {
                return Err(format!(
                    "EOF after {} of {n} bytes: {:?}",
                    self.buf.len(),
                    String::from_utf8_lossy(&self.buf)
                ));
            }
        }
        Ok(())
    }

    /// Reads one CRLF-terminated line (without the CRLF) from the buffer.
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf.drain(..i + 2).take(i).collect::<Vec<u8>>();
                return String::from_utf8(line).map_err(|_| "non-UTF-8 line".to_owned());
            }
            if self.fill().await? == 0 {
                return Err(format!("EOF inside a line: {:?}", String::from_utf8_lossy(&self.buf)));
            }
        }
    }

    async fn fields(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                return Ok(out);
            }
            let (name, value) = line.split_once(':').ok_or_else(|| format!("malformed field line {line:?}"))?;
            if name.is_empty() || name.bytes().any(|b| b == b' ' || b == b'\t') {
                return Err(format!("malformed field name in {line:?}"));
            }
            out.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }

    /// Reads one response (an interim 1xx counts as one). `to_head`: the request was HEAD,
    /// so no body follows whatever the framing headers say.
    pub async fn try_response(&mut self, to_head: bool) -> Result<RawResponse, String> {
        let status_line = self.line().await?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default().to_owned();
        if version != "HTTP/1.1" && version != "HTTP/1.0" {
            return Err(format!("bad status line {status_line:?}"));
        }
        let status: u16 =
            parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let reason = parts.next().unwrap_or_default().to_owned();
        let headers = self.fields().await?;
        let mut r = RawResponse {
            version,
            status,
            reason,
            headers,
            body: Vec::new(),
            trailers: Vec::new(),
            chunked: false,
            close_delimited: false,
        };
        let te = r.headers.iter().find(|(n, _)| n == "transfer-encoding").map(|(_, v)| v.clone());
        let cls: Vec<String> =
            r.headers.iter().filter(|(n, _)| n == "content-length").map(|(_, v)| v.clone()).collect();
        if te.is_some() && !cls.is_empty() {
            return Err(format!("response has both Transfer-Encoding and Content-Length: {:?}", r.headers));
        }
        if cls.len() > 1 {
            return Err(format!("response has {} Content-Length fields", cls.len()));
        }
        if to_head || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(r);
        }
        if let Some(te) = te {
            if !te.eq_ignore_ascii_case("chunked") {
                return Err(format!("unexpected transfer-encoding {te:?}"));
            }
            r.chunked = true;
            loop {
                let size_line = self.line().await?;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| format!("bad chunk-size line {size_line:?}"))?;
                if size == 0 {
                    r.trailers = self.fields().await?;
                    return Ok(r);
                }
                self.need(size + 2).await?;
                r.body.extend(self.buf.drain(..size));
                if self.buf.drain(..2).collect::<Vec<u8>>() != b"\r\n" {
                    return Err("chunk data not followed by CRLF".to_owned());
                }
            }
        } else if let Some(cl) = cls.first() {
            let n: usize = cl.parse().map_err(|_| format!("bad content-length {cl:?}"))?;
            self.need(n).await?;
            r.body = self.buf.drain(..n).collect();
            Ok(r)
        } else {
            while self.fill().await? > 0 {}
            r.body = std::mem::take(&mut self.buf);
            r.close_delimited = true;
            Ok(r)
        }
    }

    /// Reads one response, panicking with the reason if it is malformed or incomplete.
    pub async fn response(&mut self) -> RawResponse {
        self.try_response(false).await.unwrap_or_else(|e| panic!("reading a response: {e}"))
    }

    /// Reads one response to a HEAD request.
    pub async fn head_response(&mut self) -> RawResponse {
        self.try_response(true).await.unwrap_or_else(|e| panic!("reading a HEAD response: {e}"))
    }

    /// Waits for the peer to close: returns how (EOF or reset); panics if more bytes come
    /// or nothing happens within `WAIT`.
    pub async fn closed(&mut self) -> Closed {
        self.try_closed().await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`closed`](Self::closed), returning the failure instead of panicking.
    pub async fn try_closed(&mut self) -> Result<Closed, String> {
        if !self.buf.is_empty() {
            return Err(format!("unexpected bytes after the response: {:?}", String::from_utf8_lossy(&self.buf)));
        }
        if self.eof {
            return Ok(Closed::Eof);
        }
        let mut tmp = [0u8; 1024];
        match tokio::time::timeout(WAIT, self.tcp.read(&mut tmp)).await {
            Err(_) => Err(format!("the connection was not closed within {WAIT:?}")),
            Ok(Ok(0)) => {
                self.eof = true;
                Ok(Closed::Eof)
            }
            Ok(Ok(n)) => Err(format!("unexpected bytes instead of a close: {:?}", String::from_utf8_lossy(&tmp[..n]))),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(Closed::Reset),
            Ok(Err(e)) => Err(format!("unexpected read error waiting for close: {e}")),
        }
    }

    /// True if no byte arrives (and the connection stays open) for `d`.
    pub async fn silent_for(&mut self, d: Duration) -> bool {
        if !self.buf.is_empty() || self.eof {
            return false;
        }
        let mut tmp = [0u8; 1024];
        match tokio::time::timeout(d, self.tcp.read(&mut tmp)).await {
            Err(_) => true,
            Ok(Ok(0)) => {
                self.eof = true;
                false
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&tmp[..n]);
                false
            }
            Ok(Err(_)) => false,
        }
    }

    /// Reads until EOF/reset (bounded by `WAIT` per read) and returns everything received.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        loop {
            match self.fill().await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.starts_with("read error") => break,
                Err(e) => panic!("{e}"),
            }
        }
        std::mem::take(&mut self.buf)
    }
}

/// `GET {path}` on HTTP/1.1 with a Host header.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// A deterministic pseudo-random byte pattern (xorshift), so large bodies are not
/// trivially compressible or periodic and misplaced bytes are caught.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
