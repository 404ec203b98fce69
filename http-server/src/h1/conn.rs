//! The HTTP/1.1 connection state machine (RFC 9112 §9): waiting for the next request head
//! (idle timeout, header timeout, graceful shutdown), persistence and pipelining, draining
//! a small unread body to keep the connection, and the lingering tear-down (§9.6). Its
//! [`H1Transport`] is the [`Transport`] that carries a `Stream` over the connection.
//!
//! Responses to pipelined requests are written in order and batched: the output buffer is
//! flushed only when no further request bytes are already waiting, so a pipeline of N
//! requests is usually answered with one write.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode, Version, header};
use http_core::engine::{OutgoingHead, Transport};
use http_core::{Error, ErrorKind, RequestHead, Upgraded};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::decode::{BodyReader, Decoded};
use super::encode::{BodyWriter, encode_error, encode_last_chunk};
use super::io::{Buffered, COPY_MAX, FLUSH_AT, HeadWait, RELEASE_IDLE_AFTER};
use super::role::{BodyLength, Framing, HeadLimits, HeadParser, HeadTerms, encode_head, response_framing};
use super::sendfile::SendFile;
use crate::signal::{Signal, SignalWait};

/// Per-connection settings, shared by all connections of a server.
#[derive(Debug, Clone)]
pub(crate) struct ConnConfig {
    pub(crate) limits: HeadLimits,
    pub(crate) read_timeout: Duration,
    pub(crate) read_header_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_body_bytes: u64,
    /// Networks whose forwarding fields are believed.
    pub(crate) trusted: Arc<[crate::Cidr]>,
    /// The server drains or closes: answers carry `Connection: close`.
    pub(crate) draining: Signal,
    /// Metrics and access log, if any.
    pub(crate) observe: crate::observe::Observe,
}

/// An unread request body up to this size is drained to keep the connection alive.
const DRAIN_MAX: u64 = 256 * 1024;
/// After the response, unread request bytes are discarded for at most this long before
/// closing, so the client reads the response instead of a reset (lingering close).
const LINGER: Duration = Duration::from_secs(1);

/// What waiting for the next request head gave.
pub(crate) enum NextHead {
    /// A request head, decoded into the parser ([`HeadParser::decoded`]).
    Request(HeadTerms),
    /// The connection fell idle and freed its buffers; wait again (the idle deadline holds).
    Released,
    /// Close quietly: the peer left, the idle timeout passed, or the server shuts down.
    Close,
}

/// The HTTP/1.1 transport: the connection and the state of the current exchange.
pub(crate) struct H1Transport<IO> {
    pub(crate) io: Buffered<IO>,
    pub(crate) peer: Option<SocketAddr>,
    /// TLS, Unix socket: what the request context needs beyond the peer.
    pub(crate) via: crate::forwarded::Via,
    pub(crate) cfg: Arc<ConnConfig>,
    graceful: Signal,
    shutdown_wait: Option<SignalWait>,
    parser: HeadParser,
    /// When an idle wait for the next request gives up (set when it starts).
    idle_deadline: Option<Instant>,
    /// The connection may serve another request after this one.
    keep_alive: bool,
    /// The request being read.
    body: BodyReader,
    /// The response being written.
    resp: BodyWriter,
    /// A `101 Switching Protocols` head was sent: the connection is being handed over.
    switching: bool,
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> H1Transport<IO> {
    pub(crate) fn new(io: IO, peer: Option<SocketAddr>, cfg: Arc<ConnConfig>, graceful: Signal) -> Self {
        H1Transport {
            io: Buffered::new(io, cfg.read_timeout, cfg.write_timeout),
            peer,
            via: Default::default(),
            cfg,
            graceful,
            shutdown_wait: None,
            parser: HeadParser::default(),
            idle_deadline: None,
            keep_alive: true,
            body: BodyReader::new(BodyLength::Empty, false),
            resp: BodyWriter::new(false, false, false),
            switching: false,
        }
    }

    /// Starts a transport over `io` with bytes already read from it (a sniffed preface).
    pub(crate) fn via(mut self, via: crate::forwarded::Via) -> Self {
        self.via = via;
        self
    }

    pub(crate) fn with_buffered(mut self, already_read: BytesMut) -> Self {
        self.io.rbuf = already_read;
        self
    }

    /// Frees what an idle connection does not need: the read and write buffers and the
    /// head parser's scratch (nothing, if bytes are still waiting in either buffer).
    pub(crate) fn release_buffers(&mut self) {
        if self.io.release() {
            self.parser.release();
        }
    }

    /// True while requests keep coming (the previous one ended less than
    /// [`RELEASE_IDLE_AFTER`] before this wait): the connection keeps full-size buffers.
    pub(crate) fn is_hot(&self) -> bool {
        self.io.hot
    }

    /// Waits for and decodes the next request head.
    pub(crate) async fn read_head(&mut self, first: bool) -> Result<NextHead, Error> {
        let mut deadline = first.then(|| Instant::now() + self.cfg.read_header_timeout);
        loop {
            if !self.io.rbuf.is_empty() {
                if let Some(p) = self.parser.parse(&mut self.io.rbuf, &self.cfg.limits)? {
                    return Ok(NextHead::Request(p));
                }
                // The header timeout counts from the request's first byte.
                if deadline.is_none() {
                    deadline = Some(Instant::now() + self.cfg.read_header_timeout);
                }
            }
            if self.io.read_eof {
                return Ok(NextHead::Close);
            }
            if self.io.flush_out().await.is_err() {
                return Ok(NextHead::Close);
            }
            let idle = self.io.rbuf.is_empty();
            if idle && self.graceful.is_cancelled() {
                return Ok(NextHead::Close);
            }
            let now = Instant::now();
            let wait_until = deadline.unwrap_or(*self.idle_deadline.get_or_insert(now + self.cfg.idle_timeout));
            // A hot connection falling idle keeps its buffers for a while, then frees them.
            let release_at = (idle && self.io.hot).then_some(now + RELEASE_IDLE_AFTER).filter(|t| *t < wait_until);
            // Made once per connection, not once per wait (the token is cloned only then).
            let graceful = &self.graceful;
            let shutdown = self.shutdown_wait.get_or_insert_with(|| SignalWait::new(graceful));
            let shutdown = idle.then_some((&self.graceful, shutdown));
            match self.io.wait_head_bytes(now, release_at.unwrap_or(wait_until), shutdown).await {
                HeadWait::Read(Ok(0) | Err(_)) => {
                    self.io.read_eof = true;
                    return Ok(NextHead::Close);
                }
                HeadWait::Read(Ok(_)) => {}
                HeadWait::Timer if release_at.is_some() => {
                    self.release_buffers();
                    self.io.hot = false;
                    return Ok(NextHead::Released);
                }
                // Silence on a connection is an idle close; a half-sent head is a 408.
                HeadWait::Timer if idle => return Ok(NextHead::Close),
                HeadWait::Timer => return Err(Error::new(ErrorKind::Timeout, "read_header_timeout")),
                HeadWait::Shutdown => return Ok(NextHead::Close),
            }
        }
    }

    /// The head [`read_head`](Self::read_head) decoded last, until the exchange takes it.
    pub(crate) fn decoded_head(&mut self) -> &mut RequestHead {
        self.parser.decoded()
    }

    /// Sets up the exchange for the head just decoded (the parser's), with its terms.
    pub(crate) fn begin_request(&mut self, p: HeadTerms) {
        self.io.hot = true;
        self.io.must_flush = false;
        self.idle_deadline = None;
        self.body = BodyReader::new(p.body, p.expect_continue);
        self.keep_alive = p.keep_alive;
        let head = self.parser.decoded();
        let http10 = head.version == Version::HTTP_10;
        self.resp = BodyWriter::new(head.method == Method::HEAD, http10, p.accepts_trailers);
        self.switching = false;
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
        encode_error(&mut self.io.out, status);
        let _ = self.io.flush_out().await;
    }

    /// After the handler: drains a small unread body, flushes unless pipelined requests are
    /// waiting, and says whether the connection stays open.
    pub(crate) async fn finish_request(&mut self) -> bool {
        if !self.body.decoder.is_done() && self.keep_alive {
            if self.body.expect_continue || self.body.failed {
                // The client was never told to send the body, or sent a broken one.
                self.keep_alive = false;
            } else {
                self.keep_alive = self.drain_body().await;
            }
        }
        if self.cfg.draining.is_cancelled() {
            self.keep_alive = false;
        }
        if (!self.keep_alive || self.io.rbuf.is_empty() || self.io.out.len() >= FLUSH_AT)
            && self.io.flush_out().await.is_err()
        {
            return false;
        }
        self.keep_alive
    }

    async fn drain_body(&mut self) -> bool {
        let mut drained = 0u64;
        let deadline = Instant::now() + self.cfg.read_timeout.min(Duration::from_secs(1));
        loop {
            match self.body.decoder.decode(&mut self.io.rbuf, self.cfg.limits.max_header_bytes) {
                Ok(Decoded::Data(d)) => {
                    drained += d.len() as u64;
                    if drained > DRAIN_MAX {
                        return false;
                    }
                }
                Ok(Decoded::End(_)) => return true,
                Ok(Decoded::NeedMore) => {
                    if self.io.read_eof || Instant::now() >= deadline {
                        return false;
                    }
                    if self.io.flush_out().await.is_err() {
                        return false;
                    }
                    match tokio::time::timeout_at(deadline, poll_fn(|cx| self.io.poll_fill(cx))).await {
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
        if self.io.is_taken() {
            // Upgraded: the socket belongs to the handler's protocol now.
            return;
        }
        let _ = self.io.flush_out().await;
        self.io.shutdown_write().await;
        if !self.io.read_eof && (!self.body.decoder.is_done() || !self.io.rbuf.is_empty()) {
            self.io.discard_input(Instant::now() + LINGER, 1 << 20).await;
        }
    }

    pub(crate) fn abort(&mut self) {
        self.keep_alive = false;
    }

    /// A failed request body: the framing is lost, the connection cannot be reused.
    fn body_failed(&mut self, e: Error) -> Poll<Result<Option<Bytes>, Error>> {
        self.body.failed = true;
        self.keep_alive = false;
        Poll::Ready(Err(e))
    }

    /// A response that broke its own framing: the connection cannot be reused.
    fn write_failed<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        if r.is_err() {
            self.keep_alive = false;
        }
        r
    }
}

/// What a response head's own fields say about its framing and persistence: whether it
/// declares trailers (`Trailer`), and whether it asks to close (`Connection: close`).
/// One pass over the (usually two or three) fields instead of two hashed look-ups.
fn scan_response_fields(headers: &HeaderMap) -> (bool, bool) {
    let (mut trailers, mut close) = (false, false);
    for (name, value) in headers {
        if name == header::TRAILER {
            trailers = true;
        } else if name == header::CONNECTION && value.as_bytes().eq_ignore_ascii_case(b"close") {
            close = true;
        }
    }
    (trailers, close)
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> Transport for H1Transport<IO> {
    fn version(&self) -> Version {
        if self.resp.http10 { Version::HTTP_10 } else { Version::HTTP_11 }
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    fn shutdown_signal(&self) -> Option<CancellationToken> {
        Some(self.graceful.token().clone())
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        if self.body.expect_continue {
            // RFC 9110 §10.1.1: the handler wants the body, so invite the client to send it.
            self.io.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            self.body.expect_continue = false;
            self.io.must_flush = true;
        }
        ready!(self.io.poll_owed_flush(cx))?;
        loop {
            match self.body.decoder.decode(&mut self.io.rbuf, self.cfg.limits.max_header_bytes) {
                Ok(Decoded::Data(d)) => return Poll::Ready(Ok(Some(d))),
                Ok(Decoded::End(t)) => {
                    self.body.trailers = t.map(Box::new);
                    return Poll::Ready(Ok(None));
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => return self.body_failed(e),
            }
            // A body cut short (EOF, read_timeout, I/O error) leaves the framing unknown:
            // the connection cannot be reused, and a response written now must say so.
            if self.io.read_eof {
                return self.body_failed(Error::parse(StatusCode::BAD_REQUEST, "request body truncated"));
            }
            if let Err(e) = ready!(self.io.poll_fill(cx)) {
                return self.body_failed(e);
            }
        }
    }

    fn take_request_trailers(&mut self) -> Option<HeaderMap> {
        self.body.trailers.take().map(|t| *t)
    }

    fn recycle_headers(&mut self, headers: HeaderMap) {
        self.parser.recycle(headers);
    }

    fn send_head(&mut self, head: OutgoingHead<'_>) -> Result<(), Error> {
        if self.body.expect_continue {
            // A final answer before the body was asked for: skip 100, and since the client
            // may or may not send the body now, do not reuse the connection.
            self.body.expect_continue = false;
            self.keep_alive = false;
        }
        let status = head.status;
        let (declares_trailers, asks_close) = scan_response_fields(head.headers);
        let r = &self.resp;
        let framing = response_framing(status, head.length, declares_trailers, r.accepts_trailers, r.http10);
        if framing == Framing::CloseDelimited && !r.is_head {
            self.keep_alive = false;
        }
        if asks_close || self.cfg.draining.is_cancelled() {
            self.keep_alive = false;
        }
        if status == StatusCode::SWITCHING_PROTOCOLS {
            // Whatever follows is not HTTP/1.1 any more (RFC 9110 §15.2.2).
            self.switching = true;
            self.keep_alive = false;
        }
        self.resp.start(framing);
        encode_head(&mut self.io.out, status, head.headers, framing, self.keep_alive, self.resp.http10);
        if head.end_stream && framing == Framing::Chunked && !self.resp.suppress_body {
            encode_last_chunk(&mut self.io.out, None);
        }
        Ok(())
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
        ready!(self.io.poll_owed_flush(cx))?;
        if data.is_empty() && !self.resp.is_mid_write() {
            return Poll::Ready(Ok(()));
        }
        if self.resp.suppress_body {
            data.clear();
            return Poll::Ready(Ok(()));
        }
        if !self.resp.is_mid_write() {
            let framed = self.resp.frame_write(&mut self.io.out, data.len());
            self.write_failed(framed)?;
        }
        if data.len() <= COPY_MAX {
            self.io.out.extend_from_slice(data);
            data.clear();
        } else {
            ready!(self.io.poll_write_all(cx, data))?;
        }
        self.resp.end_write(&mut self.io.out);
        if self.io.out.len() >= FLUSH_AT {
            self.io.must_flush = true;
            ready!(self.io.poll_owed_flush(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.io.poll_flush_out(cx)
    }

    fn poll_send_file(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: &mut u64,
        remaining: &mut u64,
    ) -> Poll<Result<bool, Error>> {
        if self.resp.suppress_body {
            // HEAD (or a status without a body): nothing to send, nothing to read.
            *remaining = 0;
            return Poll::Ready(Ok(true));
        }
        // Only a Content-Length body is the file's bytes verbatim (chunked framing would
        // need chunk heads between them), and only plain TCP can take pages from the file.
        let Framing::Length(total) = self.resp.framing else { return Poll::Ready(Ok(false)) };
        if *remaining > self.resp.remaining {
            return Poll::Ready(Ok(false));
        }
        let before = *remaining;
        let may_fall_back = self.resp.remaining == total;
        let r = self.io.poll_sendfile(cx, file, offset, remaining, may_fall_back);
        self.resp.remaining -= before - *remaining;
        let r = ready!(r);
        Poll::Ready(self.write_failed(r))
    }

    fn poll_upgrade(&mut self, cx: &mut Context<'_>) -> Poll<Result<Upgraded, Error>> {
        if !self.switching {
            return Poll::Ready(Err(Error::new(ErrorKind::State, "an HTTP/1.1 upgrade needs a 101 head")));
        }
        ready!(self.io.poll_flush_out(cx))?;
        match self.io.take_io() {
            Some((io, read_ahead)) => Poll::Ready(Ok(Upgraded::new(io, read_ahead))),
            None => Poll::Ready(Err(Error::closed())),
        }
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>> {
        ready!(self.io.poll_owed_flush(cx))?;
        let r = self.resp.finish(&mut self.io.out, trailers);
        Poll::Ready(self.write_failed(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Response fields, and what the scan says: (declares trailers, asks to close).
    type Case = (&'static [(&'static str, &'static str)], (bool, bool));

    #[test]
    fn response_fields_scan() {
        let cases: &[Case] = &[
            (&[], (false, false)),
            (&[("content-type", "text/plain")], (false, false)),
            (&[("trailer", "x-sum")], (true, false)),
            (&[("connection", "Close")], (false, true)),
            (&[("connection", "keep-alive"), ("trailer", "a")], (true, false)),
            (&[("connection", "upgrade"), ("connection", "close")], (false, true)),
        ];
        for (fields, want) in cases {
            let mut map = HeaderMap::new();
            for (n, v) in *fields {
                map.append(http::HeaderName::from_static(n), http::HeaderValue::from_static(v));
            }
            assert_eq!(scan_response_fields(&map), *want, "{fields:?}");
        }
    }
}
