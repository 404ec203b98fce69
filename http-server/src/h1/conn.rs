//! The HTTP/1.1 connection: buffered I/O with timeouts, the [`Transport`] that carries a
//! [`Stream`] over it, and the loop that reads heads, runs the handler and keeps the
//! connection alive (RFC 9112 §9: persistence, pipelining; §9.6: tear-down).
//!
//! Responses to pipelined requests are written in order and batched: the output buffer is
//! flushed only when no further request bytes are already waiting, so a pipeline of N
//! requests is usually answered with one write.
//!
//! Idle connections are cheap (issue 7: thousands of idle keep-alive connections). The
//! handler's future state runs in an exchange slot of its own, and the read/write buffers
//! are sized to need: a lone request (a new connection, or one idle for
//! [`RELEASE_IDLE_AFTER`]) is read through a stack buffer and everything it used is freed
//! when it is answered; a second request soon after makes the connection hot, and a hot
//! connection keeps a full-size read buffer and its slot — zero allocations per request —
//! until it has been idle for [`RELEASE_IDLE_AFTER`].

use std::future::poll_fn;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode, Version, header};
use http_core::engine::{OutgoingHead, Transport};
use http_core::{Error, ErrorKind, RequestContext, Response, Stream, StreamHandler, catch_panic};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tracing::Instrument;

use super::decode::{BodyDecoder, BodyLength, Decoded, HeadLimits, HeadParser, ParsedHead};
use super::encode::{Framing, encode_chunk_head, encode_error, encode_head, encode_last_chunk};
use super::sendfile::SendFile;

/// Per-connection settings, shared by all connections of a server.
#[derive(Debug, Clone)]
pub(crate) struct ConnConfig {
    pub(crate) limits: HeadLimits,
    pub(crate) read_timeout: Duration,
    pub(crate) read_header_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_body_bytes: u64,
}

/// Writes at most this many body bytes are copied into the output buffer; larger ones go
/// out as a vectored write straight from the caller's buffer.
const COPY_MAX: usize = 8 * 1024;
/// The most one `sendfile(2)` call is asked to send (Linux sends at most 2 GiB - 4 KiB).
const SENDFILE_MAX: u64 = 1 << 30;
/// The output buffer is flushed once it holds this much.
const FLUSH_AT: usize = 64 * 1024;
/// Free space kept in the read buffer before each read.
const READ_RESERVE: usize = 8 * 1024;
/// A connection that has been idle this long gives back its buffers (≈ 20 KiB), so that
/// thousands of idle keep-alive connections cost little memory.
const RELEASE_IDLE_AFTER: Duration = Duration::from_secs(1);
/// A cold connection (new, or idle past [`RELEASE_IDLE_AFTER`]) reads its next request
/// into a stack buffer of this size first and keeps only what arrived.
const COLD_READ: usize = 4 * 1024;
/// An unread request body up to this size is drained to keep the connection alive.
const DRAIN_MAX: u64 = 256 * 1024;
/// After the response, unread request bytes are discarded for at most this long before
/// closing, so the client reads the response instead of a reset (lingering close).
const LINGER: Duration = Duration::from_secs(1);

/// What waiting for the next request head gave.
// Returned by value once per request and matched at once, never stored: boxing the head
// would cost an allocation per request for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum NextHead {
    /// A request head.
    Request(ParsedHead),
    /// The connection fell idle and freed its buffers; wait again (the idle deadline holds).
    Released,
    /// Close quietly: the peer left, the idle timeout passed, or the server shuts down.
    Close,
}

/// The HTTP/1.1 transport: the socket, its buffers and the state of the current exchange.
pub(crate) struct H1Transport<IO> {
    io: IO,
    peer: Option<SocketAddr>,
    cfg: Arc<ConnConfig>,
    graceful: CancellationToken,
    shutdown_wait: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    rbuf: BytesMut,
    out: BytesMut,
    parser: HeadParser,
    read_eof: bool,
    /// Requests arrive often enough to keep a full-size read buffer (see [`Self::release_buffers`]).
    hot: bool,
    /// When an idle wait for the next request gives up (set when it starts).
    idle_deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    timer_armed: bool,
    // The request being served.
    decoder: BodyDecoder,
    request_trailers: Option<HeaderMap>,
    expect_continue: bool,
    keep_alive: bool,
    is_head: bool,
    http10: bool,
    accepts_trailers: bool,
    body_error: bool,
    // The response being written.
    framing: Framing,
    remaining: u64,
    suppress_body: bool,
    trailers_ok: bool,
    writing_chunk: bool,
    must_flush: bool,
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> H1Transport<IO> {
    pub(crate) fn new(io: IO, peer: Option<SocketAddr>, cfg: Arc<ConnConfig>, graceful: CancellationToken) -> Self {
        H1Transport {
            io,
            peer,
            cfg,
            graceful,
            shutdown_wait: None,
            rbuf: BytesMut::new(),
            out: BytesMut::new(),
            parser: HeadParser::default(),
            read_eof: false,
            hot: false,
            idle_deadline: None,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_armed: false,
            decoder: BodyDecoder::new(BodyLength::Empty),
            request_trailers: None,
            expect_continue: false,
            keep_alive: true,
            is_head: false,
            http10: false,
            accepts_trailers: false,
            body_error: false,
            framing: Framing::NoBody,
            remaining: 0,
            suppress_body: false,
            trailers_ok: false,
            writing_chunk: false,
            must_flush: false,
        }
    }

    /// Starts a transport over `io` with bytes already read from it (a sniffed preface).
    pub(crate) fn with_buffered(mut self, already_read: BytesMut) -> Self {
        self.rbuf = already_read;
        self
    }

    /// Arms the inactivity timer (once per wait) and polls it.
    fn poll_timer(&mut self, cx: &mut Context<'_>, timeout: Duration) -> Poll<()> {
        if !self.timer_armed {
            self.timer.as_mut().reset(Instant::now() + timeout);
            self.timer_armed = true;
        }
        self.timer.as_mut().poll(cx)
    }

    /// Reads more bytes into the read buffer; `Ok(0)` at end of stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, Error>> {
        if self.rbuf.capacity() - self.rbuf.len() < READ_RESERVE {
            self.rbuf.reserve(READ_RESERVE * 2);
        }
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.rbuf) {
            Poll::Ready(Ok(n)) => {
                self.timer_armed = false;
                if n == 0 {
                    self.read_eof = true;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Pending => match self.poll_timer(cx, self.cfg.read_timeout) {
                Poll::Ready(()) => Poll::Ready(Err(Error::new(ErrorKind::Timeout, "read_timeout"))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// Writes the output buffer and then `extra` (vectored) until both are empty.
    fn poll_write_all(&mut self, cx: &mut Context<'_>, extra: &mut Bytes) -> Poll<Result<(), Error>> {
        while !self.out.is_empty() || !extra.is_empty() {
            // One buffer (the usual case: heads and small bodies are copied into `out`) goes
            // out with a plain send, which the kernel handles a little faster than writev.
            let written = if extra.is_empty() {
                Pin::new(&mut self.io).poll_write(cx, &self.out)
            } else {
                let slices = [IoSlice::new(&self.out), IoSlice::new(extra)];
                Pin::new(&mut self.io).poll_write_vectored(cx, &slices)
            };
            match written {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(Error::closed())),
                Poll::Ready(Ok(n)) => {
                    self.timer_armed = false;
                    let from_out = n.min(self.out.len());
                    self.out.advance(from_out);
                    extra.advance(n - from_out);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {
                    ready!(self.poll_timer(cx, self.cfg.write_timeout));
                    return Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")));
                }
            }
        }
        self.out.clear();
        Poll::Ready(Ok(()))
    }

    fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_write_all(cx, &mut Bytes::new()))?;
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r.map_err(Error::from)),
            Poll::Pending => {
                ready!(self.poll_timer(cx, self.cfg.write_timeout));
                Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")))
            }
        }
    }

    async fn flush_out(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_out(cx)).await
    }

    /// Frees what an idle connection does not need: the read and write buffers and the
    /// head parser's scratch (nothing, if bytes are still waiting in either buffer). A
    /// cold connection reads its next request into a stack buffer first
    /// ([`poll_read_head`]) and keeps only the bytes that came, so a connection that sees
    /// one request a minute holds no buffers between them; a busy one is hot and reads
    /// straight into a full-size buffer that it keeps.
    pub(crate) fn release_buffers(&mut self) {
        if self.rbuf.is_empty() && self.out.is_empty() {
            self.rbuf = BytesMut::new();
            self.out = BytesMut::new();
            self.parser.release();
        }
    }

    /// True while requests keep coming (the previous one ended less than
    /// [`RELEASE_IDLE_AFTER`] before this wait): the connection keeps full-size buffers.
    pub(crate) fn is_hot(&self) -> bool {
        self.hot
    }

    /// Waits for and decodes the next request head.
    pub(crate) async fn read_head(&mut self, first: bool) -> Result<NextHead, Error> {
        let mut deadline = first.then(|| Instant::now() + self.cfg.read_header_timeout);
        loop {
            if !self.rbuf.is_empty() {
                if let Some(p) = self.parser.parse(&mut self.rbuf, &self.cfg.limits)? {
                    return Ok(NextHead::Request(p));
                }
                // The header timeout counts from the request's first byte.
                if deadline.is_none() {
                    deadline = Some(Instant::now() + self.cfg.read_header_timeout);
                }
            }
            if self.read_eof {
                return Ok(NextHead::Close);
            }
            if self.flush_out().await.is_err() {
                return Ok(NextHead::Close);
            }
            let idle = self.rbuf.is_empty();
            if idle && self.graceful.is_cancelled() {
                return Ok(NextHead::Close);
            }
            let now = Instant::now();
            let wait_until = deadline.unwrap_or(*self.idle_deadline.get_or_insert(now + self.cfg.idle_timeout));
            // A hot connection falling idle keeps its buffers for a while, then frees them.
            let release_at = (idle && self.hot).then_some(now + RELEASE_IDLE_AFTER).filter(|t| *t < wait_until);
            self.timer_armed = false;
            self.timer.as_mut().reset(release_at.unwrap_or(wait_until));
            // Registered once per connection, not once per wait.
            let graceful = self.graceful.clone();
            let shutdown = self.shutdown_wait.get_or_insert_with(|| Box::pin(graceful.cancelled_owned()));
            let Self { io, rbuf, timer, hot, .. } = self;
            let hot = *hot;
            tokio::select! {
                biased;
                r = poll_fn(|cx| poll_read_head(Pin::new(&mut *io), cx, rbuf, hot)) => match r {
                    Ok(0) | Err(_) => {
                        self.read_eof = true;
                        return Ok(NextHead::Close);
                    }
                    Ok(_) => {}
                },
                () = timer.as_mut() => {
                    if release_at.is_some() {
                        self.release_buffers();
                        self.hot = false;
                        return Ok(NextHead::Released);
                    }
                    // Silence on a connection is an idle close; a half-sent head is a 408.
                    return if idle { Ok(NextHead::Close) } else { Err(Error::new(ErrorKind::Timeout, "read_header_timeout")) };
                }
                () = shutdown.as_mut(), if idle => return Ok(NextHead::Close),
            }
        }
    }

    /// Sets up the exchange for a decoded head.
    pub(crate) fn begin_request(&mut self, p: &ParsedHead) {
        self.hot = true;
        self.idle_deadline = None;
        self.decoder = BodyDecoder::new(p.body);
        self.request_trailers = None;
        self.expect_continue = p.expect_continue;
        self.keep_alive = p.keep_alive;
        self.is_head = p.head.method == Method::HEAD;
        self.http10 = p.head.version == Version::HTTP_10;
        self.accepts_trailers = p.accepts_trailers;
        self.body_error = false;
        self.framing = Framing::NoBody;
        self.remaining = 0;
        self.suppress_body = false;
        self.trailers_ok = false;
        self.writing_chunk = false;
        self.must_flush = false;
    }

    /// Answers a request that could not be decoded, then the connection closes.
    pub(crate) async fn reject(&mut self, e: &Error) {
        let status = e.status();
        tracing::info!(peer = ?self.peer, status = status.as_u16(), error = %e, "rejected request");
        if e.is_closed() {
            return;
        }
        // `out` may hold the complete responses to earlier pipelined requests: they go
        // first, in order.
        encode_error(&mut self.out, status);
        let _ = self.flush_out().await;
    }

    /// After the handler: drains a small unread body, flushes unless pipelined requests are
    /// waiting, and says whether the connection stays open.
    pub(crate) async fn finish_request(&mut self) -> bool {
        if !self.decoder.is_done() && self.keep_alive {
            if self.expect_continue || self.body_error {
                // The client was never told to send the body, or sent a broken one.
                self.keep_alive = false;
            } else {
                self.keep_alive = self.drain_body().await;
            }
        }
        if self.graceful.is_cancelled() {
            self.keep_alive = false;
        }
        if (!self.keep_alive || self.rbuf.is_empty() || self.out.len() >= FLUSH_AT) && self.flush_out().await.is_err() {
            return false;
        }
        self.keep_alive
    }

    async fn drain_body(&mut self) -> bool {
        let mut drained = 0u64;
        let deadline = Instant::now() + self.cfg.read_timeout.min(Duration::from_secs(1));
        loop {
            match self.decoder.decode(&mut self.rbuf, self.cfg.limits.max_header_bytes) {
                Ok(Decoded::Data(d)) => {
                    drained += d.len() as u64;
                    if drained > DRAIN_MAX {
                        return false;
                    }
                }
                Ok(Decoded::End(_)) => return true,
                Ok(Decoded::NeedMore) => {
                    if self.read_eof || Instant::now() >= deadline {
                        return false;
                    }
                    if self.flush_out().await.is_err() {
                        return false;
                    }
                    match tokio::time::timeout_at(deadline, poll_fn(|cx| self.poll_fill(cx))).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return false,
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Closes the connection: flush, half-close, and linger briefly over unread input.
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.flush_out().await;
        let write_timeout = self.cfg.write_timeout;
        let _ = tokio::time::timeout(write_timeout, self.io.shutdown()).await;
        if !self.read_eof && (!self.decoder.is_done() || !self.rbuf.is_empty()) {
            let deadline = Instant::now() + LINGER;
            let mut budget = 1usize << 20;
            // The scratch buffer lives on the stack of each poll, not in this future
            // (which would make every connection's task 4 KiB larger).
            let discard = poll_fn(|cx| {
                while budget > 0 {
                    let mut scratch = [const { std::mem::MaybeUninit::<u8>::uninit() }; 4096];
                    let mut read = tokio::io::ReadBuf::uninit(&mut scratch);
                    match ready!(Pin::new(&mut self.io).poll_read(cx, &mut read)) {
                        Ok(()) if !read.filled().is_empty() => budget = budget.saturating_sub(read.filled().len()),
                        _ => break,
                    }
                }
                Poll::Ready(())
            });
            let _ = tokio::time::timeout_at(deadline, discard).await;
        }
    }

    pub(crate) fn abort(&mut self) {
        self.keep_alive = false;
    }
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> Transport for H1Transport<IO> {
    fn version(&self) -> Version {
        if self.http10 { Version::HTTP_10 } else { Version::HTTP_11 }
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        if self.expect_continue {
            // RFC 9110 §10.1.1: the handler wants the body, so invite the client to send it.
            self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            self.expect_continue = false;
            self.must_flush = true;
        }
        if self.must_flush {
            ready!(self.poll_flush_out(cx))?;
            self.must_flush = false;
        }
        loop {
            match self.decoder.decode(&mut self.rbuf, self.cfg.limits.max_header_bytes) {
                Ok(Decoded::Data(d)) => return Poll::Ready(Ok(Some(d))),
                Ok(Decoded::End(t)) => {
                    self.request_trailers = t;
                    return Poll::Ready(Ok(None));
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => {
                    self.body_error = true;
                    self.keep_alive = false;
                    return Poll::Ready(Err(e));
                }
            }
            // A body cut short (EOF, read_timeout, I/O error) leaves the framing unknown:
            // the connection cannot be reused, and a response written now must say so.
            if self.read_eof {
                self.body_error = true;
                self.keep_alive = false;
                return Poll::Ready(Err(Error::parse(StatusCode::BAD_REQUEST, "request body truncated")));
            }
            if let Err(e) = ready!(self.poll_fill(cx)) {
                self.body_error = true;
                self.keep_alive = false;
                return Poll::Ready(Err(e));
            }
        }
    }

    fn take_request_trailers(&mut self) -> Option<HeaderMap> {
        self.request_trailers.take()
    }

    fn recycle_headers(&mut self, headers: HeaderMap) {
        self.parser.recycle(headers);
    }

    fn send_head(&mut self, head: OutgoingHead<'_>) -> Result<(), Error> {
        if self.expect_continue {
            // A final answer before the body was asked for: skip 100, and since the client
            // may or may not send the body now, do not reuse the connection.
            self.expect_continue = false;
            self.keep_alive = false;
        }
        let status = head.status;
        let declares_trailers = head.headers.contains_key(header::TRAILER);
        self.framing =
            if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
                Framing::NoBody
            } else {
                match head.length {
                    Some(n) if !(declares_trailers && self.accepts_trailers && !self.http10) => Framing::Length(n),
                    _ if self.http10 => Framing::CloseDelimited,
                    _ => Framing::Chunked,
                }
            };
        if self.framing == Framing::CloseDelimited && !self.is_head {
            self.keep_alive = false;
        }
        if head.headers.get_all(header::CONNECTION).iter().any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
            || self.graceful.is_cancelled()
        {
            self.keep_alive = false;
        }
        self.suppress_body = self.is_head || self.framing == Framing::NoBody;
        self.trailers_ok = self.framing == Framing::Chunked && self.accepts_trailers;
        self.remaining = if let Framing::Length(n) = self.framing { n } else { 0 };
        encode_head(&mut self.out, status, head.headers, self.framing, self.keep_alive, self.http10);
        if head.end_stream && self.framing == Framing::Chunked && !self.suppress_body {
            encode_last_chunk(&mut self.out, None);
        }
        Ok(())
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
        if self.must_flush {
            ready!(self.poll_flush_out(cx))?;
            self.must_flush = false;
        }
        if data.is_empty() && !self.writing_chunk {
            return Poll::Ready(Ok(()));
        }
        if self.suppress_body {
            data.clear();
            return Poll::Ready(Ok(()));
        }
        if !self.writing_chunk {
            match self.framing {
                Framing::Length(_) => {
                    if data.len() as u64 > self.remaining {
                        self.keep_alive = false;
                        return Poll::Ready(Err(Error::new(ErrorKind::State, "body longer than its Content-Length")));
                    }
                    self.remaining -= data.len() as u64;
                }
                Framing::Chunked => encode_chunk_head(&mut self.out, data.len()),
                Framing::CloseDelimited | Framing::NoBody => {}
            }
            self.writing_chunk = true;
        }
        if data.len() <= COPY_MAX {
            self.out.extend_from_slice(data);
            data.clear();
        } else {
            ready!(self.poll_write_all(cx, data))?;
        }
        if self.framing == Framing::Chunked {
            self.out.extend_from_slice(b"\r\n");
        }
        self.writing_chunk = false;
        if self.out.len() >= FLUSH_AT {
            self.must_flush = true;
            ready!(self.poll_flush_out(cx))?;
            self.must_flush = false;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flush_out(cx)
    }

    fn poll_send_file(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: &mut u64,
        remaining: &mut u64,
    ) -> Poll<Result<bool, Error>> {
        if self.suppress_body {
            // HEAD (or a status without a body): nothing to send, nothing to read.
            *remaining = 0;
            return Poll::Ready(Ok(true));
        }
        // Only a Content-Length body is the file's bytes verbatim (chunked framing would
        // need chunk heads between them), and only plain TCP can take pages from the file.
        let Framing::Length(total) = self.framing else { return Poll::Ready(Ok(false)) };
        if !self.io.can_sendfile() || *remaining > self.remaining {
            return Poll::Ready(Ok(false));
        }
        // The head (and anything before it) goes first.
        ready!(self.poll_write_all(cx, &mut Bytes::new()))?;
        self.must_flush = false;
        while *remaining > 0 {
            let len = (*remaining).min(SENDFILE_MAX) as usize;
            match self.io.poll_sendfile(cx, file, *offset, len) {
                Poll::Ready(Ok(0)) => {
                    self.keep_alive = false;
                    return Poll::Ready(Err(Error::new(ErrorKind::State, "file shorter than its body length")));
                }
                Poll::Ready(Ok(n)) => {
                    self.timer_armed = false;
                    *offset += n as u64;
                    *remaining -= n as u64;
                    self.remaining -= n as u64;
                }
                // Not supported for this file (e.g. its file system): stream it instead,
                // which is possible only while nothing of the body was sent.
                Poll::Ready(Err(e))
                    if self.remaining == total
                        && matches!(e.kind(), std::io::ErrorKind::Unsupported | std::io::ErrorKind::InvalidInput) =>
                {
                    tracing::debug!(error = %e, "sendfile unsupported; streaming the file");
                    return Poll::Ready(Ok(false));
                }
                Poll::Ready(Err(e)) => {
                    self.keep_alive = false;
                    return Poll::Ready(Err(e.into()));
                }
                Poll::Pending => {
                    ready!(self.poll_timer(cx, self.cfg.write_timeout));
                    self.keep_alive = false;
                    return Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")));
                }
            }
        }
        Poll::Ready(Ok(true))
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>> {
        if self.must_flush {
            ready!(self.poll_flush_out(cx))?;
            self.must_flush = false;
        }
        match self.framing {
            Framing::Chunked if !self.suppress_body => {
                encode_last_chunk(&mut self.out, if self.trailers_ok { trailers } else { None });
            }
            Framing::Length(_) if self.remaining > 0 && !self.suppress_body => {
                self.keep_alive = false;
                return Poll::Ready(Err(Error::new(ErrorKind::State, "body shorter than its Content-Length")));
            }
            _ => {}
        }
        if trailers.is_some() && !self.trailers_ok {
            tracing::debug!("trailers dropped: the client did not send `TE: trailers` or the body is not chunked");
        }
        Poll::Ready(Ok(()))
    }
}

/// Reads request bytes into `rbuf` while waiting for a head; `Ok(0)` at end of stream.
///
/// Hot (or with part of a head already buffered): straight into `rbuf`, kept at least
/// [`READ_RESERVE`] free. Cold: into a [`COLD_READ`]-byte stack buffer, and `rbuf` grows by
/// just the bytes that came — unless they filled the stack buffer (a pipeline, a large
/// head), which makes it a full-size buffer at once.
fn poll_read_head<IO: AsyncRead>(
    io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    rbuf: &mut BytesMut,
    hot: bool,
) -> Poll<std::io::Result<usize>> {
    if hot || !rbuf.is_empty() {
        if rbuf.capacity() - rbuf.len() < READ_RESERVE {
            rbuf.reserve(READ_RESERVE * 2);
        }
        return tokio_util::io::poll_read_buf(io, cx, rbuf);
    }
    let mut stack = [const { std::mem::MaybeUninit::<u8>::uninit() }; COLD_READ];
    let mut read = tokio::io::ReadBuf::uninit(&mut stack);
    ready!(io.poll_read(cx, &mut read))?;
    let got = read.filled();
    rbuf.reserve(if got.len() == COLD_READ { READ_RESERVE * 2 } else { got.len() });
    rbuf.extend_from_slice(got);
    Poll::Ready(Ok(got.len()))
}

/// Serves HTTP/1.1 on `io` until the peer leaves, keep-alive ends or the server shuts down.
///
/// Tracing: a DEBUG span `connection` (`proto`, `peer`) around the connection and a DEBUG
/// span `request` (`method`, `path`, `route` once a router matched, `status`,
/// `duration_ms`) around each exchange. Disabled spans cost a level check and nothing is
/// allocated for them.
pub(crate) async fn serve_connection<IO, H>(stream: Box<Stream<H1Transport<IO>>>, handler: &H)
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    let span = tracing::debug_span!("connection", proto = "h1", peer = ?stream.transport().peer);
    serve_connection_inner(stream, handler).instrument(span).await
}

async fn serve_connection_inner<IO, H>(mut stream: Box<Stream<H1Transport<IO>>>, handler: &H)
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    let peer = stream.transport().peer;
    let max_body = stream.transport().cfg.max_body_bytes;
    // The exchange (handler and response writer: kilobytes of future state) runs in a slot
    // of its own, reused while requests keep coming and freed when the connection falls
    // idle, so an idle connection holds only this loop's small state.
    let mut slot = None;
    let mut first = true;
    loop {
        let t = stream.transport_mut();
        let parsed = match t.read_head(first).await {
            Ok(NextHead::Request(p)) => p,
            Ok(NextHead::Released) => {
                slot = None;
                continue;
            }
            Ok(NextHead::Close) => break,
            Err(e) => {
                t.reject(&e).await;
                break;
            }
        };
        first = false;
        let warm = t.is_hot();
        t.begin_request(&parsed);
        let body_empty = parsed.body == BodyLength::Empty;
        let span = tracing::debug_span!(
            "request",
            method = %parsed.head.method,
            path = parsed.head.uri.path(),
            route = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        stream.begin(parsed.head, RequestContext::with_peer(peer), max_body, body_empty);
        let exchange = slot.get_or_insert_with(|| Box::pin(None));
        exchange.set(Some(run_exchange::<IO, H>(stream, handler)));
        let running = exchange.as_mut().as_pin_mut().expect("just set");
        // Wrapping the exchange in its span costs a level check when nobody listens.
        let (back, keep_alive) =
            if span.is_disabled() { running.await } else { running.instrument(span.clone()).await };
        exchange.set(None);
        stream = back;
        if !warm {
            // A lone request (on a new or long-idle connection) keeps nothing: freed at
            // once, its memory serves the next connection; a second request soon after
            // makes the connection hot, and then buffers and slot stay until it idles.
            slot = None;
            stream.transport_mut().release_buffers();
        }
        if let Some(started) = started {
            span.record("status", (&*stream as &Stream).status().as_u16());
            span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        }
        if !keep_alive {
            break;
        }
    }
    stream.transport_mut().shutdown().await;
}

/// Runs the handler for the request `stream` was begun with, answers 500 if it panicked
/// before responding, and finishes the exchange; gives the stream back with whether the
/// connection stays open.
async fn run_exchange<IO, H>(
    mut stream: Box<Stream<H1Transport<IO>>>,
    handler: &H,
) -> (Box<Stream<H1Transport<IO>>>, bool)
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    // Pinned where it is built: handing the (kilobytes large) handler future to
    // `catch_panic` by value would copy it twice more.
    let user: &mut Stream = &mut *stream;
    let outcome = {
        let call = std::pin::pin!(handler.call(user));
        catch_panic(call).await
    };
    match outcome {
        Ok(()) => {
            if !user.is_write_closed() {
                let _ = user.closewrite().await;
            }
        }
        Err(msg) => {
            tracing::error!(peer = ?user.peer_addr(), panic = %msg, "handler panicked; answering 500");
            // A started response cannot become a 500: it is cut off instead.
            if user.is_head_sent()
                || user.write_response(Response::error(StatusCode::INTERNAL_SERVER_ERROR)).await.is_err()
            {
                stream.transport_mut().abort();
            }
        }
    }
    if (&*stream as &Stream).is_aborted() {
        tracing::debug!("response aborted; closing the connection");
        stream.transport_mut().abort();
    }
    let keep_alive = stream.transport_mut().finish_request().await;
    (stream, keep_alive)
}
