//! HTTP/1.1 buffered I/O: the connection's read and write buffers, the inactivity timer
//! behind `read_timeout` and `write_timeout`, and `sendfile(2)` for file bodies.
//!
//! Idle connections are cheap: the buffers are sized to need. A lone request (a new
//! connection, or one idle for [`RELEASE_IDLE_AFTER`]) is read through a stack buffer
//! ([`COLD_READ`] bytes) and the connection keeps only the bytes that came; a second
//! request soon after makes the connection hot, and a hot connection reads straight into
//! a full-size buffer that it keeps — zero allocations per request — until it has been
//! idle for [`RELEASE_IDLE_AFTER`], when [`Buffered::release`] gives the buffers back.
//! A connection without a buffer waits through the stack buffer too, so it allocates its
//! read buffer only when bytes come (10,000 connections that each sent one request and
//! wait for a second would otherwise hold 16 KiB each until their buffers are released).
//!
//! Writes are buffered: small body writes are copied into the output buffer, large ones
//! go out vectored straight from the caller's buffer, and a single buffer goes out with a
//! plain `send` (the kernel handles it a little faster than `writev`).

use std::future::poll_fn;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http_core::{Error, ErrorKind};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};

use super::sendfile::SendFile;
use crate::signal::{Signal, SignalWait};

/// Writes at most this many body bytes are copied into the output buffer; larger ones go
/// out as a vectored write straight from the caller's buffer.
pub(crate) const COPY_MAX: usize = 8 * 1024;
/// The most one `sendfile(2)` call is asked to send (Linux sends at most 2 GiB - 4 KiB).
const SENDFILE_MAX: u64 = 1 << 30;
/// The output buffer is flushed once it holds this much.
pub(crate) const FLUSH_AT: usize = 64 * 1024;
/// Free space kept in the read buffer before each read.
const READ_RESERVE: usize = 8 * 1024;
/// A connection that has been idle this long gives back its buffers (≈ 20 KiB), so that
/// thousands of idle keep-alive connections cost little memory.
pub(crate) const RELEASE_IDLE_AFTER: Duration = Duration::from_secs(1);
/// A cold connection (new, or idle past [`RELEASE_IDLE_AFTER`]) reads its next request
/// into a stack buffer of this size first and keeps only what arrived.
const COLD_READ: usize = 4 * 1024;

/// What ended a wait for request bytes ([`Buffered::wait_head_bytes`]).
pub(crate) enum HeadWait {
    /// A read finished (`Ok(0)`: end of stream).
    Read(std::io::Result<usize>),
    /// The timer fired.
    Timer,
    /// The server shuts down.
    Shutdown,
}

/// The socket with its read and write buffers and the inactivity timer.
pub(crate) struct Buffered<IO> {
    /// `None` once handed over by [`take_io`](Self::take_io) (a connection upgrade).
    io: Option<IO>,
    /// Bytes read and not yet decoded.
    pub(crate) rbuf: BytesMut,
    /// Bytes encoded and not yet written.
    pub(crate) out: BytesMut,
    /// The peer closed its side (or reading failed).
    pub(crate) read_eof: bool,
    /// Requests arrive often enough to keep a full-size read buffer (see [`Self::release`]).
    pub(crate) hot: bool,
    /// `out` must be flushed before anything else is written (it holds a `100 Continue`,
    /// or crossed [`FLUSH_AT`] in a write that then could not finish).
    pub(crate) must_flush: bool,
    timer: Pin<Box<Sleep>>,
    timer_armed: bool,
    read_timeout: Duration,
    write_timeout: Duration,
    /// Bytes read and written so far (plain adds per read and write; the metrics take
    /// the difference after each exchange).
    pub(crate) received: u64,
    pub(crate) sent: u64,
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin> Buffered<IO> {
    pub(crate) fn new(io: IO, read_timeout: Duration, write_timeout: Duration) -> Self {
        Buffered {
            io: Some(io),
            rbuf: BytesMut::new(),
            out: BytesMut::new(),
            read_eof: false,
            hot: false,
            must_flush: false,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_armed: false,
            read_timeout,
            write_timeout,
            received: 0,
            sent: 0,
        }
    }

    /// Arms the inactivity timer (once per wait) and polls it.
    fn poll_timer(&mut self, cx: &mut Context<'_>, timeout: Duration) -> Poll<()> {
        if !self.timer_armed {
            self.timer.as_mut().reset(Instant::now() + timeout);
            self.timer_armed = true;
        }
        self.timer.as_mut().poll(cx)
    }

    /// Reads more bytes into the read buffer (`read_timeout` applies); `Ok(0)` at end of
    /// stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, Error>> {
        if self.rbuf.capacity() - self.rbuf.len() < READ_RESERVE {
            self.rbuf.reserve(READ_RESERVE * 2);
        }
        let Some(io) = self.io.as_mut() else { return Poll::Ready(Err(Error::closed())) };
        match tokio_util::io::poll_read_buf(Pin::new(io), cx, &mut self.rbuf) {
            Poll::Ready(Ok(n)) => {
                self.timer_armed = false;
                self.received += n as u64;
                if n == 0 {
                    self.read_eof = true;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Pending => match self.poll_timer(cx, self.read_timeout) {
                Poll::Ready(()) => Poll::Ready(Err(Error::new(ErrorKind::Timeout, "read_timeout"))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// Writes the output buffer and then `extra` (vectored) until both are empty.
    #[inline]
    pub(crate) fn poll_write_all(&mut self, cx: &mut Context<'_>, extra: &mut Bytes) -> Poll<Result<(), Error>> {
        self.poll_write_out(cx, extra, false)
    }

    /// [`poll_write_all`](Self::poll_write_all); with `more`, the output buffer alone goes
    /// with `MSG_MORE` ([`SendFile::poll_send_more`]) where the socket takes it.
    fn poll_write_out(&mut self, cx: &mut Context<'_>, extra: &mut Bytes, mut more: bool) -> Poll<Result<(), Error>> {
        while !self.out.is_empty() || !extra.is_empty() {
            let Some(io) = self.io.as_mut() else { return Poll::Ready(Err(Error::closed())) };
            // One buffer (the usual case: heads and small bodies are copied into `out`) goes
            // out with a plain send, which the kernel handles a little faster than writev.
            let written = if more && extra.is_empty() {
                match io.poll_send_more(cx, &self.out) {
                    Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                        more = false;
                        continue;
                    }
                    w => w,
                }
            } else if extra.is_empty() {
                Pin::new(io).poll_write(cx, &self.out)
            } else {
                let slices = [IoSlice::new(&self.out), IoSlice::new(extra)];
                Pin::new(io).poll_write_vectored(cx, &slices)
            };
            match written {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(Error::closed())),
                Poll::Ready(Ok(n)) => {
                    self.timer_armed = false;
                    self.sent += n as u64;
                    let from_out = n.min(self.out.len());
                    self.out.advance(from_out);
                    extra.advance(n - from_out);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {
                    ready!(self.poll_timer(cx, self.write_timeout));
                    return Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")));
                }
            }
        }
        self.out.clear();
        Poll::Ready(Ok(()))
    }

    /// Writes the output buffer and flushes the socket (unless it holds nothing back: a
    /// plain socket, or TLS with every record written).
    pub(crate) fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_write_all(cx, &mut Bytes::new()))?;
        let Some(io) = self.io.as_mut().filter(|io| io.holds_output()) else { return Poll::Ready(Ok(())) };
        match Pin::new(io).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r.map_err(Error::from)),
            Poll::Pending => {
                ready!(self.poll_timer(cx, self.write_timeout));
                Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")))
            }
        }
    }

    /// Flushes first if a flush is owed ([`must_flush`](Self::must_flush)).
    pub(crate) fn poll_owed_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.must_flush {
            ready!(self.poll_flush_out(cx))?;
            self.must_flush = false;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) async fn flush_out(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_out(cx)).await
    }

    /// Frees the read and write buffers (nothing, if bytes are still waiting in either).
    /// Returns whether they were freed.
    pub(crate) fn release(&mut self) -> bool {
        if self.rbuf.is_empty() && self.out.is_empty() {
            self.rbuf = BytesMut::new();
            self.out = BytesMut::new();
            true
        } else {
            false
        }
    }

    /// Waits for request bytes until `wake_at` (the timer), or until `shutdown` (when
    /// given: the signal and a wait on its token) fires, checked in that order. `now` is
    /// the current time. The signal's flag, set before the token wakes anyone, says
    /// whether it fired; the wait leaves this task's waker with the token (once per task,
    /// not once per wait).
    ///
    /// A hot connection waits with `wake_at` a little later each request; the timer is
    /// moved only when it would fire after `wake_at` or has fired already. Left earlier, it
    /// fires at most once for nothing (about once per [`RELEASE_IDLE_AFTER`]) and is then
    /// set to `wake_at` — instead of a timer-wheel update per request.
    // Not an `async fn`: its future would hold each argument twice; the `poll_fn` holds
    // what it needs once, and it is part of every idle connection's future.
    pub(crate) fn wait_head_bytes<'a>(
        &'a mut self,
        now: Instant,
        wake_at: Instant,
        mut shutdown: Option<(&'a Signal, &'a mut SignalWait)>,
    ) -> impl Future<Output = HeadWait> + 'a {
        self.timer_armed = false;
        let set_for = self.timer.deadline();
        if set_for <= now || set_for > wake_at {
            self.timer.as_mut().reset(wake_at);
        }
        poll_fn(move |cx| {
            let Some(io) = self.io.as_mut() else { return Poll::Ready(HeadWait::Read(Ok(0))) };
            if let Poll::Ready(r) = poll_read_head(Pin::new(io), cx, &mut self.rbuf, self.hot) {
                if let Ok(n) = r {
                    self.received += n as u64;
                }
                return Poll::Ready(HeadWait::Read(r));
            }
            while self.timer.as_mut().poll(cx).is_ready() {
                if self.timer.deadline() >= wake_at {
                    return Poll::Ready(HeadWait::Timer);
                }
                self.timer.as_mut().reset(wake_at);
            }
            let Some((signal, wait)) = shutdown.as_mut() else { return Poll::Pending };
            wait.poll_fired(signal, cx).map(|()| HeadWait::Shutdown)
        })
    }

    /// Sends `*remaining` bytes of `file` from `*offset` with `sendfile(2)` after whatever
    /// is buffered, advancing both as bytes go. `Ok(false)`: the socket or the file cannot
    /// do it, and nothing was sent (only when `may_fall_back`: no body byte went out yet).
    pub(crate) fn poll_sendfile(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: &mut u64,
        remaining: &mut u64,
        may_fall_back: bool,
    ) -> Poll<Result<bool, Error>> {
        if !self.io.as_ref().is_some_and(SendFile::can_sendfile) {
            return Poll::Ready(Ok(false));
        }
        // The head (and anything before it) goes first, held back to leave with the first
        // file bytes.
        ready!(self.poll_write_out(cx, &mut Bytes::new(), true))?;
        self.must_flush = false;
        let start = *remaining;
        while *remaining > 0 {
            let len = (*remaining).min(SENDFILE_MAX) as usize;
            let Some(io) = self.io.as_mut() else { return Poll::Ready(Err(Error::closed())) };
            match io.poll_sendfile(cx, file, *offset, len) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(Error::new(ErrorKind::State, "file shorter than its body length")));
                }
                Poll::Ready(Ok(n)) => {
                    self.timer_armed = false;
                    self.sent += n as u64;
                    *offset += n as u64;
                    *remaining -= n as u64;
                }
                // Not supported for this file (e.g. its file system): stream it instead,
                // which is possible only while nothing of the body was sent.
                Poll::Ready(Err(e))
                    if may_fall_back
                        && *remaining == start
                        && matches!(e.kind(), std::io::ErrorKind::Unsupported | std::io::ErrorKind::InvalidInput) =>
                {
                    tracing::debug!(error = %e, "sendfile unsupported; streaming the file");
                    return Poll::Ready(Ok(false));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {
                    ready!(self.poll_timer(cx, self.write_timeout));
                    return Poll::Ready(Err(Error::new(ErrorKind::Timeout, "write_timeout")));
                }
            }
        }
        Poll::Ready(Ok(true))
    }

    /// Half-closes the socket (`write_timeout` applies).
    pub(crate) async fn shutdown_write(&mut self) {
        if let Some(io) = self.io.as_mut() {
            let _ = tokio::time::timeout(self.write_timeout, io.shutdown()).await;
        }
    }

    /// Reads and discards input until end of stream, `deadline` or `budget` bytes.
    pub(crate) async fn discard_input(&mut self, deadline: Instant, mut budget: usize) {
        let Some(io) = self.io.as_mut() else { return };
        // The scratch buffer lives on the stack of each poll, not in this future
        // (which would make every connection's task 4 KiB larger).
        let discard = poll_fn(|cx| {
            while budget > 0 {
                let mut scratch = [const { std::mem::MaybeUninit::<u8>::uninit() }; 4096];
                let mut read = tokio::io::ReadBuf::uninit(&mut scratch);
                match ready!(Pin::new(&mut *io).poll_read(cx, &mut read)) {
                    Ok(()) if !read.filled().is_empty() => budget = budget.saturating_sub(read.filled().len()),
                    _ => break,
                }
            }
            Poll::Ready(())
        });
        let _ = tokio::time::timeout_at(deadline, discard).await;
    }
}

impl<IO> Buffered<IO> {
    /// Hands the socket over (a connection upgrade), with the bytes read and not decoded.
    /// Everything else on the connection sees it closed from then on.
    pub(crate) fn take_io(&mut self) -> Option<(IO, Bytes)> {
        let io = self.io.take()?;
        self.read_eof = true;
        Some((io, self.rbuf.split().freeze()))
    }

    /// True once the socket was handed over.
    pub(crate) fn is_taken(&self) -> bool {
        self.io.is_none()
    }
}

/// Reads request bytes into `rbuf` while waiting for a head; `Ok(0)` at end of stream.
///
/// Hot with its buffer kept (or with part of a head already buffered): straight into
/// `rbuf`, kept at least [`READ_RESERVE`] free. Otherwise (no buffer: a new connection, or
/// one whose buffers were freed after a lone request) into a [`COLD_READ`]-byte stack
/// buffer, so that a connection waiting for bytes holds no read buffer; when bytes come,
/// `rbuf` becomes a full-size buffer if the connection is hot or they filled the stack
/// buffer (a pipeline, a large head), else it grows by just the bytes that came.
fn poll_read_head<IO: AsyncRead>(
    io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    rbuf: &mut BytesMut,
    hot: bool,
) -> Poll<std::io::Result<usize>> {
    if (hot && rbuf.capacity() > 0) || !rbuf.is_empty() {
        if rbuf.capacity() - rbuf.len() < READ_RESERVE {
            rbuf.reserve(READ_RESERVE * 2);
        }
        return tokio_util::io::poll_read_buf(io, cx, rbuf);
    }
    let mut stack = [const { std::mem::MaybeUninit::<u8>::uninit() }; COLD_READ];
    let mut read = tokio::io::ReadBuf::uninit(&mut stack);
    ready!(io.poll_read(cx, &mut read))?;
    let got = read.filled();
    rbuf.reserve(if hot || got.len() == COLD_READ { READ_RESERVE * 2 } else { got.len() });
    rbuf.extend_from_slice(got);
    Poll::Ready(Ok(got.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket with `data` ready to read once, then nothing yet (pending).
    struct Once(Option<&'static [u8]>);

    impl AsyncRead for Once {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            match self.0.take() {
                Some(d) => {
                    buf.put_slice(d);
                    Poll::Ready(Ok(()))
                }
                None => Poll::Pending,
            }
        }
    }

    #[test]
    fn a_waiting_connection_holds_no_read_buffer() {
        const HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let cx = &mut Context::from_waker(std::task::Waker::noop());
        // (hot, bytes ready) -> (pending?, capacity at least, capacity at most)
        type Case = (bool, Option<&'static [u8]>, bool, usize, usize);
        let cases: &[Case] = &[
            (false, None, true, 0, 0),
            (true, None, true, 0, 0),
            (false, Some(HEAD), false, HEAD.len(), COLD_READ - 1),
            (true, Some(HEAD), false, READ_RESERVE, usize::MAX),
        ];
        for &(hot, ready, pending, min, max) in cases {
            let mut io = Once(ready);
            let mut rbuf = BytesMut::new();
            let r = poll_read_head(Pin::new(&mut io), cx, &mut rbuf, hot);
            assert_eq!(r.is_pending(), pending, "hot {hot}, ready {}", ready.is_some());
            assert!((min..=max).contains(&rbuf.capacity()), "hot {hot}: capacity {}", rbuf.capacity());
            if !pending {
                assert_eq!(&rbuf[..], HEAD);
            }
        }
    }

    async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (listener.accept().await.unwrap().0, client)
    }

    /// The timer left at an earlier wait's deadline must not end a later, longer wait early.
    #[tokio::test]
    async fn a_wait_ends_at_its_own_deadline_not_an_earlier_one() {
        use tokio::io::AsyncWriteExt;
        let (server, mut client) = tcp_pair().await;
        let mut b = Buffered::new(server, Duration::from_secs(5), Duration::from_secs(5));
        let start = Instant::now();
        client.write_all(b"GET").await.unwrap();
        // Bytes are there: the wait ends with them, the timer stays set for +100 ms.
        let first = b.wait_head_bytes(start, start + Duration::from_millis(100), None).await;
        assert!(matches!(first, HeadWait::Read(Ok(3))));
        let second = Instant::now();
        let got = b.wait_head_bytes(second, second + Duration::from_millis(300), None).await;
        assert!(matches!(got, HeadWait::Timer));
        assert!(start.elapsed() >= Duration::from_millis(300), "ended after {:?}", start.elapsed());
        // A shorter wait than the timer's deadline moves it earlier.
        let third = Instant::now();
        let got = b.wait_head_bytes(third, third + Duration::from_millis(50), None).await;
        assert!(matches!(got, HeadWait::Timer));
        assert!(third.elapsed() < Duration::from_millis(250), "ended after {:?}", third.elapsed());
    }

    #[tokio::test]
    async fn a_plain_socket_holds_nothing_for_a_flush() {
        let (server, _client) = tcp_pair().await;
        assert!(!server.holds_output());
        let mut b = Buffered::new(server, Duration::from_secs(5), Duration::from_secs(5));
        b.out.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        b.flush_out().await.unwrap();
        assert!(b.out.is_empty());
        assert_eq!(b.sent, 19);
    }
}
