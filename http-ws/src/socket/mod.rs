//! The WebSocket connection over any byte stream (RFC 6455 §5–§7): a `Stream` of received
//! messages and a `Sink` of messages to send, plus plain async methods.
//!
//! Reading uses one reusable buffer: a frame is parsed where it lies, unmasked in place and
//! split off without copying (binary payloads are slices of the read buffer). An idle
//! socket holds at most two small buffers: a read that finds nothing to read, with nothing
//! buffered and nothing left to write, gives back read and write buffers larger than
//! [`KEEP_IDLE`], and a socket without a read buffer reads through a [`COLD_READ`]-byte
//! stack buffer and keeps only the bytes that came (a full stack buffer means a busy peer:
//! it gets a full-size buffer at once), as the HTTP/1 engine does between requests. Small
//! messages leave a small buffer with half their size to spare, which later reads use
//! directly (no copy through the stack while the messages stay about that size). Writing coalesces header and payload of every queued frame into one
//! output buffer (a payload of [`ZERO_COPY`] bytes or more from a server rides along
//! uncopied in the same vectored write), written by one flush per batch — or, for
//! messages only fed, before the socket next reads, so the answers to one read leave in
//! one write; a producer waits once [`Config::write_buffer_size`] bytes are unsent. Pings
//! are answered automatically; a peer's close is echoed with its code; a protocol
//! violation is answered with a close frame carrying the matching code. After the close
//! handshake a server shuts its side of the connection; a client waits for the server to
//! close, both at most [`Config::close_timeout`].

use crate::close::{self, CloseCode, CloseFrame};
use crate::deflate::Deflater;
use crate::error::{Error, ProtocolError};
use crate::frame::{self, Header, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};
use crate::mask::{MaskRng, apply_mask, apply_mask_at};
use crate::protocol::{Message, Reader};
use crate::utf8::Utf8Validator;
use crate::{Config, Role};
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Interval, Sleep};
use tokio_util::sync::CancellationToken;

mod read;
mod signal;

use signal::ShutdownWatch;

/// A socket without a read buffer reads at most this many bytes through the stack.
const COLD_READ: usize = 4096;

/// Buffers at most this large stay with a socket that goes idle (a small allocation kept
/// saves two allocations per message of a chatty peer); larger ones are given back.
const KEEP_IDLE: usize = 2048;

/// Data payloads of at least this many bytes are written from the message itself (one
/// vectored write with the buffered frames) instead of being copied into the buffer.
const ZERO_COPY: usize = 16 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Messages flow (a close may have been sent: `close_sent`).
    Open,
    /// Final bytes (a close echo or an error's close) are being written; then `pending`
    /// is returned and the socket drains.
    Finishing,
    /// Close handshake over: flush, shut down (server), wait for EOF or the timeout.
    Draining,
    /// Nothing more to read.
    Done,
}

/// A WebSocket connection over `IO`.
///
/// Receive with [`WebSocket::recv`] or as a [`futures_util::Stream`]; send with
/// [`WebSocket::send`] or as a [`futures_sink::Sink`] (`feed` several, then one flush).
/// Keep receiving until `None` after a close or an error: that finishes the close
/// handshake and the connection's shutdown.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_ws::{Config, Message, Role, WebSocket};
/// let (a, b) = tokio::io::duplex(1024);
/// let mut server = WebSocket::from_upgraded(a, Role::Server, Config::default());
/// let mut client = WebSocket::from_upgraded(b, Role::Client, Config::default());
/// client.send(Message::text("hello")).await.unwrap();
/// assert_eq!(server.recv().await.unwrap().unwrap(), Message::text("hello"));
/// # }
/// ```
pub struct WebSocket<IO> {
    io: IO,
    role: Role,
    config: Config,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    wpos: usize,
    reader: Reader,
    deflater: Option<Deflater>,
    scratch: Vec<u8>,
    masks: Option<MaskRng>,
    state: State,
    close_sent: bool,
    shutdown_done: bool,
    timer: Option<Pin<Box<Sleep>>>,
    ping: Option<Interval>,
    pending: Option<Result<Message, Error>>,
    /// The socket queued a frame of its own (pong, keep-alive ping) that must go out
    /// without waiting for the user's next flush.
    auto_flush: bool,
    /// The task a `Sink` write is waiting in: woken when the receive side finishes writing
    /// the buffer, so a split socket (one task receiving, one sending) loses no wake-up.
    sink_waker: Option<Waker>,
    /// Payload bytes of the frame at the front of `rbuf` already unmasked and checked as
    /// UTF-8 while the rest is still arriving (text frames only).
    checked: usize,
    /// The UTF-8 state after those bytes.
    precheck: Option<Utf8Validator>,
    /// Fires when the server shuts down: the socket then closes with 1001 (`close_on`).
    going_away: Option<ShutdownWatch>,
    /// When non-zero, `rbuf` is a small buffer of this capacity (at most [`KEEP_IDLE`],
    /// made by a cold read of a small message): kept when the socket goes idle, and read
    /// into directly by the next cold read.
    small_cap: usize,
    /// A large payload queued after `wbuf` without copying (server side, uncompressed:
    /// the bytes go out exactly as given); written by the same vectored write.
    tail: Bytes,
}

impl<IO> std::fmt::Debug for WebSocket<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("close_sent", &self.close_sent)
            .finish()
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> WebSocket<IO> {
    /// A WebSocket over an upgraded connection whose handshake is done.
    ///
    /// ```
    /// let (io, _peer) = tokio::io::duplex(64);
    /// let ws = http_ws::WebSocket::from_upgraded(io, http_ws::Role::Server, Default::default());
    /// assert_eq!(ws.role(), http_ws::Role::Server);
    /// ```
    pub fn from_upgraded(io: IO, role: Role, config: Config) -> Self {
        Self::from_parts(io, role, config, BytesMut::new())
    }

    /// Like [`WebSocket::from_upgraded`], with bytes already read past the handshake
    /// (frames the peer sent right behind its request or response).
    ///
    /// ```
    /// let (io, _peer) = tokio::io::duplex(64);
    /// let early = bytes::BytesMut::from(&b"\x81\x00"[..]);
    /// let ws = http_ws::WebSocket::from_parts(io, http_ws::Role::Client, Default::default(), early);
    /// # drop(ws);
    /// ```
    pub fn from_parts(io: IO, role: Role, config: Config, read_buf: BytesMut) -> Self {
        let rbuf = read_buf; // the read buffer comes with the first bytes (`poll_fill`)
        let ping = config.ping_interval.map(|p| tokio::time::interval_at(Instant::now() + p, p));
        WebSocket {
            io,
            role,
            reader: Reader::new(role, &config),
            deflater: None, // created with the first compressed message
            masks: (role == Role::Client).then(MaskRng::new),
            config,
            rbuf,
            wbuf: Vec::new(),
            wpos: 0,
            scratch: Vec::new(),
            state: State::Open,
            close_sent: false,
            shutdown_done: false,
            timer: None,
            ping,
            pending: None,
            auto_flush: false,
            sink_waker: None,
            checked: 0,
            precheck: None,
            going_away: None,
            tail: Bytes::new(),
            small_cap: 0,
        }
    }

    /// Closes with 1001 "going away" once `signal` is cancelled (a server shutting down:
    /// [`crate::upgrade`] passes the server's [`shutdown_signal`]). The close frame is
    /// sent while the socket is in use — receiving (which then sees the peer's answer
    /// and the end, as after any close) or sending (which then fails with
    /// [`Error::ConnectionClosed`]).
    ///
    /// [`shutdown_signal`]: http_core::Stream::shutdown_signal
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_ws::{CloseCode, Message, Role, WebSocket};
    /// let (a, b) = tokio::io::duplex(1024);
    /// let signal = tokio_util::sync::CancellationToken::new();
    /// let mut server = WebSocket::from_upgraded(a, Role::Server, Default::default()).close_on(signal.clone());
    /// let mut client = WebSocket::from_upgraded(b, Role::Client, Default::default());
    /// let peer = tokio::spawn(async move { client.recv().await });
    /// signal.cancel();
    /// assert!(matches!(server.recv().await, Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::GOING_AWAY));
    /// assert!(matches!(peer.await.unwrap(), Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::GOING_AWAY));
    /// # }
    /// ```
    pub fn close_on(mut self, signal: CancellationToken) -> Self {
        self.going_away = Some(ShutdownWatch::new(signal));
        self
    }

    /// Before waiting: the `close_on` signal wakes this task when it fires (if it fired
    /// meanwhile, the task is woken at once to queue the close).
    fn watch_going_away(&mut self, cx: &mut Context<'_>) {
        if let Some(signal) = self.going_away.as_mut()
            && signal.register(cx)
        {
            cx.waker().wake_by_ref();
        }
    }

    /// Queues close 1001 once the `close_on` signal fired; true if it did just now. An
    /// atomic load while it has not; waits register with [`Self::watch_going_away`].
    #[inline]
    fn going_away(&mut self) -> bool {
        let Some(signal) = self.going_away.as_mut() else { return false };
        if !signal.fired() {
            return false;
        }
        self.going_away = None;
        if self.close_sent || self.state != State::Open {
            return false;
        }
        self.queue_close(Some(&CloseFrame::new(CloseCode::GOING_AWAY, "going away")));
        self.auto_flush = true;
        true
    }

    /// This end's role.
    ///
    /// ```
    /// # let (io, _p) = tokio::io::duplex(64);
    /// let ws = http_ws::WebSocket::from_upgraded(io, http_ws::Role::Client, Default::default());
    /// assert_eq!(ws.role(), http_ws::Role::Client);
    /// ```
    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection's settings, with the negotiated subprotocol and deflate parameters.
    ///
    /// ```
    /// # let (io, _p) = tokio::io::duplex(64);
    /// let ws = http_ws::WebSocket::from_upgraded(io, http_ws::Role::Client, Default::default());
    /// assert!(ws.config().deflate.is_none());
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The negotiated subprotocol, if any.
    ///
    /// ```
    /// # let (io, _p) = tokio::io::duplex(64);
    /// let ws = http_ws::WebSocket::from_upgraded(io, http_ws::Role::Client, Default::default());
    /// assert_eq!(ws.protocol(), None);
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.config.protocol.as_deref()
    }

    /// The underlying connection.
    ///
    /// ```
    /// # let (io, _p) = tokio::io::duplex(64);
    /// let ws = http_ws::WebSocket::from_upgraded(io, http_ws::Role::Client, Default::default());
    /// let _io: &tokio::io::DuplexStream = ws.get_ref();
    /// ```
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// Receives the next message; `None` once the connection is closed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let (a, b) = tokio::io::duplex(1024);
    /// # let mut server = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, Default::default());
    /// # let mut client = http_ws::WebSocket::from_upgraded(b, http_ws::Role::Client, Default::default());
    /// client.send(http_ws::Message::binary(vec![1, 2])).await.unwrap();
    /// let msg = server.recv().await.unwrap().unwrap();
    /// assert_eq!(msg.as_payload(), [1, 2]);
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        self.next().await
    }

    /// Sends a message and flushes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let (a, _b) = tokio::io::duplex(1024);
    /// let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, Default::default());
    /// ws.send(http_ws::Message::text("hi")).await.unwrap();
    /// # }
    /// ```
    pub async fn send(&mut self, msg: Message) -> Result<(), Error> {
        SinkExt::send(self, msg).await
    }

    /// Queues a message without flushing (waits only when the write buffer is full);
    /// follow a batch with [`WebSocket::flush`], or receive: a receive writes out what
    /// was queued before it reads again (an echo loop of `recv` and `feed` answers all
    /// messages of one read with one write).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let (a, _b) = tokio::io::duplex(1024);
    /// let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, Default::default());
    /// ws.feed(http_ws::Message::text("a")).await.unwrap();
    /// ws.feed(http_ws::Message::text("b")).await.unwrap();
    /// ws.flush().await.unwrap(); // one write for both
    /// # }
    /// ```
    pub async fn feed(&mut self, msg: Message) -> Result<(), Error> {
        SinkExt::feed(self, msg).await
    }

    /// Writes out everything queued.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let (a, _b) = tokio::io::duplex(1024);
    /// let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, Default::default());
    /// ws.flush().await.unwrap();
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        SinkExt::flush(self).await
    }

    /// Sends a ping (payload up to 125 bytes).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let (a, _b) = tokio::io::duplex(1024);
    /// let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, Default::default());
    /// ws.ping("are you there").await.unwrap();
    /// # }
    /// ```
    pub async fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send(Message::Ping(payload.into())).await
    }

    /// Starts the close handshake with `code` and `reason`, then receives (and discards)
    /// until the peer's close and the end of the connection, at most
    /// [`Config::close_timeout`] each.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_ws::{CloseCode, Message, Role, WebSocket};
    /// let (a, b) = tokio::io::duplex(1024);
    /// let mut server = WebSocket::from_upgraded(a, Role::Server, Default::default());
    /// let peer = tokio::spawn(async move {
    ///     let mut client = WebSocket::from_upgraded(b, Role::Client, Default::default());
    ///     client.recv().await // the close, echoed automatically
    /// });
    /// server.close(CloseCode::NORMAL, "bye").await.unwrap();
    /// let got = peer.await.unwrap().unwrap().unwrap();
    /// assert!(matches!(got, Message::Close(Some(f)) if f.reason == "bye"));
    /// # }
    /// ```
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !self.close_sent {
            self.send(Message::Close(Some(CloseFrame::new(code, reason)))).await?;
        }
        while let Some(item) = self.next().await {
            match item {
                Ok(_) => {}
                Err(Error::Protocol(_) | Error::AbnormalClosure) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    // ---- output ----

    fn queue_frame(&mut self, fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) {
        self.join_tail();
        let mask = self.masks.as_mut().map(MaskRng::next_key);
        write_frame(&mut self.wbuf, fin, rsv1, opcode, mask, payload);
    }

    fn queue(&mut self, msg: Message) -> Result<(), Error> {
        if self.close_sent || self.state != State::Open {
            return Err(Error::ConnectionClosed);
        }
        match msg {
            Message::Text(s) if self.can_queue_owned(s.len()) => self.queue_owned(OP_TEXT, Bytes::from(s.into_bytes())),
            Message::Binary(b) if self.can_queue_owned(b.len()) => self.queue_owned(OP_BINARY, b),
            Message::Text(s) => self.queue_data(OP_TEXT, s.as_bytes()),
            Message::Binary(b) => self.queue_data(OP_BINARY, &b),
            Message::Ping(p) | Message::Pong(p) if p.len() > 125 => return Err(ProtocolError::ControlTooLong.into()),
            Message::Ping(p) => self.queue_frame(true, false, OP_PING, &p),
            Message::Pong(p) => self.queue_frame(true, false, OP_PONG, &p),
            Message::Close(f) => {
                if let Some(bad) = f.as_ref().filter(|f| !f.code.is_sendable()) {
                    return Err(ProtocolError::InvalidCloseCode(bad.code.0).into());
                }
                self.queue_close(f.as_ref());
            }
        }
        Ok(())
    }

    /// Whether a data message of `len` bytes goes out as it is, without a copy: large,
    /// sent in one frame, unmasked (server) and uncompressed.
    fn can_queue_owned(&self, len: usize) -> bool {
        len >= ZERO_COPY
            && self.masks.is_none()
            && len <= self.config.max_send_frame_size
            && self.config.deflate.as_ref().is_none_or(|p| len < p.min_size)
    }

    /// Queues one unmasked, uncompressed frame whose payload stays in `payload` (the tail
    /// written after the buffered bytes).
    fn queue_owned(&mut self, opcode: u8, payload: Bytes) {
        if !self.tail.is_empty() {
            // one tail at a time: the previous one joins the buffer (a burst of large
            // messages costs one copy each, as without the tail)
            let prev = std::mem::take(&mut self.tail);
            self.wbuf.extend_from_slice(&prev);
        }
        frame::encode_header(&mut self.wbuf, true, false, opcode, None, payload.len());
        self.tail = payload;
    }

    /// Bytes queued and not yet written.
    fn unsent(&self) -> usize {
        self.wbuf.len() - self.wpos + self.tail.len()
    }

    fn queue_data(&mut self, opcode: u8, data: &[u8]) {
        self.join_tail();
        let max = self.config.max_send_frame_size.max(1);
        let mut rsv1 = false;
        let mut data = data;
        match self.config.deflate.as_ref() {
            Some(p) if data.len() >= p.min_size => {
                let d = self.deflater.get_or_insert_with(|| Deflater::new(p));
                // sent compressed only if that is shorter; the attempt stops there
                if d.compress(data, &mut self.scratch, data.len().saturating_sub(1)) && self.scratch.len() < data.len()
                {
                    data = &self.scratch;
                    rsv1 = true;
                } else {
                    // incompressible: sent as it is (RFC 7692 §6: a message may go
                    // uncompressed), with the history the peer never saw forgotten
                    d.reset();
                    self.scratch = Vec::new();
                }
            }
            _ => {}
        }
        let mask = &mut self.masks;
        let mut op = opcode;
        loop {
            let n = data.len().min(max);
            let fin = n == data.len();
            write_frame(&mut self.wbuf, fin, rsv1, op, mask.as_mut().map(MaskRng::next_key), &data[..n]);
            data = &data[n..];
            if fin {
                break;
            }
            op = OP_CONTINUATION;
            rsv1 = false;
        }
    }

    fn queue_close(&mut self, f: Option<&CloseFrame>) {
        let mut payload = Vec::with_capacity(125);
        close::encode(f, &mut payload);
        self.queue_frame(true, false, OP_CLOSE, &payload);
        self.close_sent = true;
        self.arm_timer();
    }

    fn arm_timer(&mut self) {
        let deadline = Instant::now() + self.config.close_timeout;
        match &mut self.timer {
            Some(t) => t.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }

    fn timer_expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().is_some_and(|t| t.as_mut().poll(cx).is_ready())
    }

    /// Moves a queued tail into the buffer, so frames queued after it follow it.
    fn join_tail(&mut self) {
        if !self.tail.is_empty() {
            let prev = std::mem::take(&mut self.tail);
            self.wbuf.extend_from_slice(&prev);
        }
    }

    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.unsent() > 0 {
            let head = &self.wbuf[self.wpos..];
            let io = Pin::new(&mut self.io);
            let n = ready!(if self.tail.is_empty() {
                io.poll_write(cx, head)
            } else if head.is_empty() {
                io.poll_write(cx, &self.tail)
            } else {
                io.poll_write_vectored(cx, &[io::IoSlice::new(head), io::IoSlice::new(&self.tail)])
            })?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let from_head = n.min(head.len());
            self.wpos += from_head;
            self.tail.advance(n - from_head);
        }
        self.tail = Bytes::new();
        self.wbuf.clear();
        self.wpos = 0;
        if let Some(w) = self.sink_waker.take() {
            w.wake();
        }
        if self.wbuf.capacity() > 2 * self.config.write_buffer_size {
            // a large message went out: do not keep its buffer for the connection's life
            self.wbuf = Vec::new();
            self.scratch = Vec::new();
        }
        Poll::Ready(Ok(()))
    }

    /// [`Self::poll_write_out`] for the `Sink` side: remembers the waiting task.
    fn poll_sink_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = self.poll_write_out(cx);
        if r.is_pending() {
            self.sink_waker = Some(cx.waker().clone());
        }
        r
    }

    // ---- input ----

    /// Fails the connection: queue a close with the violation's code and report it once
    /// the close is written.
    fn fail(&mut self, e: ProtocolError) {
        if !self.close_sent {
            let frame = CloseFrame::new(e.close_code(), "");
            self.queue_close(Some(&frame));
        }
        self.rbuf.clear();
        self.checked = 0;
        self.state = State::Finishing;
        self.pending = Some(Err(Error::Protocol(e)));
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        if self.timer_expired(cx) {
            self.state = State::Done;
            return Poll::Ready(None);
        }
        if self.unsent() > 0 {
            match self.poll_write_out(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    self.state = State::Done;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(())) => {}
            }
        }
        if self.role == Role::Server && !self.shutdown_done {
            // the server closes the TCP connection first (§7.1.1)
            ready!(Pin::new(&mut self.io).poll_shutdown(cx)).ok();
            self.shutdown_done = true;
        }
        loop {
            self.rbuf.clear();
            if self.rbuf.capacity() < 4096 {
                self.rbuf.reserve(4096);
                self.small_cap = 0;
            }
            match ready!(tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.rbuf)) {
                Ok(0) | Err(_) => {
                    self.state = State::Done;
                    return Poll::Ready(None);
                }
                Ok(_) => {}
            }
        }
    }
}

/// Appends one frame: header, then the payload, masked in place when `mask` is set.
fn write_frame(out: &mut Vec<u8>, fin: bool, rsv1: bool, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) {
    out.reserve(frame::MAX_HEADER + payload.len());
    frame::encode_header(out, fin, rsv1, opcode, mask, payload.len());
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key);
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> futures_util::Stream for WebSocket<IO> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_message(cx)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for WebSocket<IO> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.going_away() {
            // send the close now; the receive side finishes the handshake
            if let Poll::Ready(Ok(())) = this.poll_write_out(cx) {
                this.auto_flush = false;
                let _ = Pin::new(&mut this.io).poll_flush(cx);
            }
        }
        if this.close_sent || this.state != State::Open {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if this.unsent() >= this.config.write_buffer_size {
            let written = this.poll_sink_write(cx);
            if written.is_pending() {
                this.watch_going_away(cx);
            }
            ready!(written)?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, msg: Message) -> Result<(), Error> {
        self.get_mut().queue(msg)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        ready!(this.poll_sink_write(cx))?;
        this.auto_flush = false;
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if !this.close_sent && this.state == State::Open {
            this.queue_close(Some(&CloseFrame::new(CloseCode::NORMAL, "")));
        }
        ready!(this.poll_sink_write(cx))?;
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn an_idle_socket_keeps_only_small_buffers_and_a_busy_one_keeps_its_read_buffer() {
        let (a, b) = tokio::io::duplex(1 << 20);
        let mut server = WebSocket::from_upgraded(a, Role::Server, Config::default());
        let mut client = WebSocket::from_upgraded(b, Role::Client, Config::default());
        assert_eq!((server.rbuf.capacity(), server.wbuf.capacity()), (0, 0), "fresh");
        // (messages in one write, payload bytes each, read buffer kept after the batch,
        // small buffers kept while idle)
        let cases = [
            (1, 10, false, true),
            (1, 10, false, true),
            // fills the small buffer of the 10-byte messages: read on in a full-size one
            (1, 1000, false, false),
            (1, 1000, false, true),
            (1, 1000, false, true),
            (1, 3000, false, false),
            (40, 1000, true, false),
            (1, 100_000, false, false),
            (1, 10, false, true),
        ];
        for (count, size, busy, small) in cases {
            for _ in 0..count {
                client.feed(Message::binary(vec![1u8; size])).await.unwrap();
            }
            client.flush().await.unwrap();
            for _ in 0..count {
                let m = server.recv().await.unwrap().unwrap();
                assert_eq!(m.as_payload().len(), size);
                server.feed(m).await.unwrap();
            }
            server.flush().await.unwrap();
            if busy {
                assert!(server.rbuf.capacity() > 0, "{count} x {size}: a busy socket reads into its buffer");
            }
            for _ in 0..count {
                assert_eq!(client.recv().await.unwrap().unwrap().as_payload().len(), size);
            }
            // nothing more to read: the next receive waits, and gives large buffers back
            let idle = futures_util::future::poll_fn(|cx| Poll::Ready(server.poll_next_unpin(cx).is_pending()));
            assert!(idle.await, "{count} x {size}");
            assert_eq!(server.scratch.capacity(), 0, "{count} x {size}");
            assert!(server.wbuf.capacity() <= KEEP_IDLE, "{count} x {size}: {}", server.wbuf.capacity());
            if small {
                assert!(server.small_cap > 0, "{count} x {size}");
            } else {
                assert_eq!(server.rbuf.capacity(), 0, "{count} x {size}");
            }
        }
    }

    #[tokio::test]
    async fn large_payloads_go_out_uncopied_and_in_order() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let mut server = WebSocket::from_upgraded(a, Role::Server, Config::default());
        let mut client = WebSocket::from_upgraded(b, Role::Client, Config::default());
        // a burst mixing small and large (tail) payloads, text and binary, then a ping
        let sizes = [10, ZERO_COPY, ZERO_COPY + 1, 5, 200_000, 300_000, 7];
        let msgs: Vec<Message> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| if i % 2 == 0 { Message::binary(vec![i as u8; n]) } else { Message::text("x".repeat(n)) })
            .collect();
        let peer = tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < sizes.len() {
                match client.recv().await.unwrap().unwrap() {
                    Message::Pong(_) => {}
                    m => got.push(m),
                }
            }
            got
        });
        for m in msgs.clone() {
            server.feed(m).await.unwrap();
            if server.unsent() > 0 && !server.tail.is_empty() {
                assert!(server.tail.len() >= ZERO_COPY, "only large payloads ride as the tail");
            }
        }
        server.flush().await.unwrap();
        assert_eq!(peer.await.unwrap(), msgs);
    }

    #[tokio::test]
    async fn incompressible_messages_go_uncompressed_and_later_ones_still_inflate() {
        let (a, b) = tokio::io::duplex(4 << 20); // room for the whole 1 MiB frame before the server reads
        let cfg = Config { deflate: Some(crate::DeflateParams::default()), ..Config::default() };
        let mut server = WebSocket::from_upgraded(a, Role::Server, cfg.clone());
        let mut client = WebSocket::from_upgraded(b, Role::Client, cfg);
        let random = crate::deflate::incompressible(1 << 20, 0x1234_5678_9abc_def0);
        // (payload, sent compressed)
        let cases = [(b"hello ".repeat(40), true), (random, false), (vec![b'a'; 5000], true)];
        for (data, compressed) in cases {
            client.queue(Message::binary(data.clone())).unwrap();
            assert_eq!(client.wbuf[0] & 0x40 != 0, compressed, "RSV1 for {} bytes", data.len());
            client.flush().await.unwrap();
            assert_eq!(server.recv().await.unwrap().unwrap().as_payload(), &data[..]);
        }
    }

    #[tokio::test]
    async fn a_ping_flood_from_a_peer_that_never_reads_stays_bounded() {
        let (a, mut b) = tokio::io::duplex(1024);
        let config = Config { write_buffer_size: 8 << 10, ..Config::default() };
        let mut ws = WebSocket::from_upgraded(a, Role::Server, config);
        let flood = tokio::spawn(async move {
            // 20,000 masked pings with 100-byte payloads: 2 MB of pongs if all were kept
            let mut ping = vec![0x89, 0x80 | 100, 0, 0, 0, 0];
            ping.extend_from_slice(&[7; 100]);
            for _ in 0..20_000 {
                b.write_all(&ping).await.unwrap();
            }
            b // keep the peer open, never reading
        });
        for _ in 0..20_000 {
            assert!(matches!(ws.next().await, Some(Ok(Message::Ping(_)))));
            assert!(ws.unsent() <= (8 << 10) + 200, "unsent {}", ws.unsent());
        }
        drop(flood.await.unwrap());
    }
}
