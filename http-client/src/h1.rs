//! The client side of an HTTP/1.1 connection (RFC 9112): the request head and body go out
//! (Content-Length, or chunked when the length is unknown), the response head comes back
//! through the shared codec's parser ([`http_core::engine::h1::parse_response_head`]),
//! interim 1xx heads are collected, and the body is framed by the shared
//! [`BodyDecoder`](http_core::engine::h1::BodyDecoder).

use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use http::Method;
use http::header::{self, HeaderMap};
use http_core::engine::h1::{
    ParsedResponseHead, ResponseLimits, encode_chunk_head, encode_last_chunk, parse_response_head, put_decimal,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use http_core::{Body, Frame};

use crate::body::next_frame;
use crate::connect::Io;
use crate::error::{Error, ErrorKind, Result, Retry};
use crate::response::Hop;

/// Per-read and total time limits for one exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) read: Option<Duration>,
    pub(crate) deadline: Option<Instant>,
}

impl Timeouts {
    /// Runs `f` within the per-read timeout and the deadline.
    pub(crate) async fn run<T>(&self, what: &str, f: impl Future<Output = T>) -> Result<T> {
        let now = Instant::now();
        let until = match (self.read.map(|d| now + d), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match until {
            None => Ok(f.await),
            Some(t) => tokio::time::timeout_at(t, f).await.map_err(|_| {
                let which = if Some(t) == self.deadline { "total time limit" } else { "read timeout" };
                Error::new(ErrorKind::Timeout, format!("{which} while {what}"))
            }),
        }
    }
}

/// One HTTP/1.1 connection.
#[derive(Debug)]
pub(crate) struct H1Conn {
    io: Io,
    pub(crate) rbuf: BytesMut,
    /// Carried an exchange before this one.
    pub(crate) reused: bool,
    /// When it went back to the pool.
    pub(crate) idle_since: Instant,
    /// How much the next read asks for: see [`next_read_size`].
    read_size: usize,
}

/// The first read of every exchange asks for this much (a response head and a small body).
const READ_MIN: usize = 8 * 1024;
/// Reads grow to this while they keep filling the space they were given (a large body).
const READ_MAX: usize = 256 * 1024;

/// The next read's size after a read of `got` bytes into `asked`: doubled (up to
/// [`READ_MAX`]) when the read filled it, back to [`READ_MIN`] when it came back less than
/// half full. A 1 GiB body then takes 4 Ki reads of 256 KiB, not 128 Ki of 8 KiB.
fn next_read_size(asked: usize, got: usize) -> usize {
    if got >= asked {
        (asked * 2).min(READ_MAX)
    } else if got < asked / 2 {
        READ_MIN
    } else {
        asked
    }
}

/// How a request goes on the wire.
#[derive(Debug)]
pub(crate) struct RequestHead<'a> {
    pub(crate) method: &'a Method,
    /// The request-target: origin-form, or absolute-form through a proxy.
    pub(crate) target: &'a str,
    pub(crate) host: &'a str,
    pub(crate) headers: &'a HeaderMap,
}

impl H1Conn {
    pub(crate) fn new(io: Io) -> Self {
        H1Conn {
            io,
            rbuf: BytesMut::with_capacity(READ_MIN),
            reused: false,
            idle_since: Instant::now(),
            read_size: READ_MIN,
        }
    }

    /// How a failure before any response byte may be retried: on a reused connection the
    /// server may have closed it while idle, or may have processed the request.
    fn reused_retry(&self) -> Retry {
        if self.reused { Retry::IfIdempotent } else { Retry::Never }
    }

    /// The TCP stream of a cleartext connection (a proxy tunnel, before TLS).
    pub(crate) fn into_tcp(self) -> Option<tokio::net::TcpStream> {
        match self.io {
            Io::Tcp(s) => Some(s),
            Io::Tls(_) => None,
        }
    }

    /// True when the peer has not closed it and sent nothing unasked (checked without
    /// waiting).
    pub(crate) fn looks_alive(&mut self) -> bool {
        if !self.rbuf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        matches!(std::pin::Pin::new(&mut self.io).poll_read(&mut cx, &mut buf), Poll::Pending)
    }

    /// Writes the request head and body: a whole body in one write, a stream as it is
    /// produced (chunked, with its trailers, when its length is unknown).
    pub(crate) async fn write_request(&mut self, head: &RequestHead<'_>, body: &mut Body, t: &Timeouts) -> Result<()> {
        let mut out = BytesMut::with_capacity(256);
        let len = body.exact_len();
        encode_request_head(&mut out, head, len);
        if let Some(bytes) = body.as_bytes() {
            out.extend_from_slice(bytes);
            return self.write_all(&out, t).await;
        }
        self.write_all(&out, t).await?;
        if body.is_empty() {
            return Ok(());
        }
        let chunked = len.is_none();
        loop {
            out.clear();
            match next_frame(body).await? {
                Some(Frame::Data(data)) if chunked => {
                    if data.is_empty() {
                        continue;
                    }
                    encode_chunk_head(&mut out, data.len());
                    out.extend_from_slice(&data);
                    out.extend_from_slice(b"\r\n");
                }
                Some(Frame::Data(data)) => out.extend_from_slice(&data),
                Some(Frame::Trailers(trailers)) if chunked => {
                    encode_last_chunk(&mut out, Some(&trailers));
                    return self.write_all(&out, t).await;
                }
                Some(Frame::Trailers(_)) => return Ok(()),
                None if chunked => {
                    encode_last_chunk(&mut out, None);
                    return self.write_all(&out, t).await;
                }
                None => return Ok(()),
            }
            self.write_all(&out, t).await?;
        }
    }

    async fn write_all(&mut self, data: &[u8], t: &Timeouts) -> Result<()> {
        t.run("sending the request", async { self.io.write_all(data).await.and(self.io.flush().await) })
            .await?
            .map_err(|e| Error::new(ErrorKind::Io, e).retryable(self.reused_retry()))
    }

    /// Reads into the buffer; 0 at end of file.
    pub(crate) async fn read_more(&mut self, t: &Timeouts) -> Result<usize> {
        self.rbuf.reserve(self.read_size);
        // Ask for `read_size` exactly, whatever spare capacity the buffer had.
        let asked = self.read_size.min(self.rbuf.capacity() - self.rbuf.len());
        let mut limited = (&mut self.rbuf).limit(asked);
        let n = t
            .run("reading the response", self.io.read_buf(&mut limited))
            .await?
            .map_err(|e| Error::new(ErrorKind::Io, e))?;
        self.read_size = next_read_size(asked, n);
        Ok(n)
    }

    /// Back to small reads for the next exchange (the connection goes back to the pool).
    pub(crate) fn reset_read_size(&mut self) {
        self.read_size = READ_MIN;
    }

    /// Reads the final response head, collecting interim 1xx heads into `interim`.
    pub(crate) async fn read_head(
        &mut self,
        method: &Method,
        limits: &ResponseLimits,
        t: &Timeouts,
        interim: &mut Vec<Hop>,
    ) -> Result<ParsedResponseHead> {
        let mut got_any = !self.rbuf.is_empty();
        loop {
            let parsed =
                parse_response_head(&mut self.rbuf, limits, method).map_err(|e| Error::new(ErrorKind::Malformed, e))?;
            if let Some(head) = parsed {
                if head.status.is_informational() && head.status != http::StatusCode::SWITCHING_PROTOCOLS {
                    interim.push(Hop::from_h1(&head));
                    continue;
                }
                return Ok(head);
            }
            let n = match self.read_more(t).await {
                Ok(n) => n,
                // A reset before any response byte on a reused connection: the server
                // closed it while it sat in the pool.
                Err(e) if !got_any && e.kind() == ErrorKind::Io => return Err(e.retryable(self.reused_retry())),
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Err(if got_any {
                    Error::new(ErrorKind::Malformed, "connection closed inside the response head")
                } else {
                    Error::new(ErrorKind::Io, "connection closed before any response byte")
                        .retryable(self.reused_retry())
                });
            }
            got_any = true;
        }
    }
}

/// Appends the request line and header section: Host first, the caller's fields, then the
/// framing this client chooses (Content-Length, or chunked for a body of unknown length).
fn encode_request_head(out: &mut BytesMut, head: &RequestHead<'_>, body_len: Option<u64>) {
    out.put_slice(head.method.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(head.target.as_bytes());
    out.put_slice(b" HTTP/1.1\r\n");
    if !head.headers.contains_key(header::HOST) {
        out.put_slice(b"host: ");
        out.put_slice(head.host.as_bytes());
        out.put_slice(b"\r\n");
    }
    for (name, value) in head.headers {
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
            continue;
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    match body_len {
        // RFC 9110 §8.6: no Content-Length on a request without a body, unless the method
        // expects one.
        Some(0) if !matches!(*head.method, Method::POST | Method::PUT | Method::PATCH) => {}
        Some(n) => {
            out.put_slice(b"content-length: ");
            put_decimal(out, n);
            out.put_slice(b"\r\n");
        }
        None => out.put_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_sizes() {
        let cases = [
            // (asked, got, next)
            (READ_MIN, READ_MIN, 2 * READ_MIN),
            (READ_MAX, READ_MAX, READ_MAX),
            (64 * 1024, 40 * 1024, 64 * 1024),
            (64 * 1024, 100, READ_MIN),
            (READ_MIN, 0, READ_MIN),
        ];
        for (asked, got, next) in cases {
            assert_eq!(next_read_size(asked, got), next, "asked {asked}, got {got}");
        }
    }

    #[test]
    fn request_heads() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", "1".parse().unwrap());
        headers.insert("content-length", "99".parse().unwrap());
        let cases: &[(Method, Option<u64>, &str)] = &[
            (Method::GET, Some(0), "GET /p?q HTTP/1.1\r\nhost: h:81\r\nx-a: 1\r\n\r\n"),
            (Method::POST, Some(0), "POST /p?q HTTP/1.1\r\nhost: h:81\r\nx-a: 1\r\ncontent-length: 0\r\n\r\n"),
            (Method::PUT, Some(5), "PUT /p?q HTTP/1.1\r\nhost: h:81\r\nx-a: 1\r\ncontent-length: 5\r\n\r\n"),
            (Method::POST, None, "POST /p?q HTTP/1.1\r\nhost: h:81\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n"),
        ];
        for (method, len, want) in cases {
            let mut out = BytesMut::new();
            let head = RequestHead { method, target: "/p?q", host: "h:81", headers: &headers };
            encode_request_head(&mut out, &head, *len);
            assert_eq!(std::str::from_utf8(&out).unwrap(), *want);
        }
    }
}
