//! Small I/O adapters the engines share.
//!
//! - [`TimedIo`]: fails a write that makes no progress within `write_timeout`, so a peer
//!   that stops reading cannot pin a connection (used under HTTP/2, where the `h2` crate
//!   owns the socket; HTTP/1 applies the same rule itself).
//! - [`Linger`]: once armed, reads and discards the peer's last bytes for a moment after
//!   the owner drops it, so a gracefully ended HTTP/2 connection is not reset under the
//!   client's last frames (HTTP/1 lingers in its own `shutdown`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// An I/O object whose writes time out when they make no progress.
pub(crate) struct TimedIo<IO> {
    io: IO,
    write_timeout: Duration,
    timer: Pin<Box<Sleep>>,
    armed: bool,
    /// Where bytes read and written are counted, if anywhere.
    metrics: Option<http_core::metrics::Metrics>,
}

impl<IO> TimedIo<IO> {
    pub(crate) fn new(io: IO, write_timeout: Duration) -> Self {
        TimedIo { io, write_timeout, timer: Box::pin(tokio::time::sleep(Duration::ZERO)), armed: false, metrics: None }
    }

    /// Counts the bytes read and written into `metrics`.
    pub(crate) fn counting(mut self, metrics: Option<http_core::metrics::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    fn count_sent(&self, r: &Poll<io::Result<usize>>) {
        if let (Some(m), Poll::Ready(Ok(n))) = (&self.metrics, r) {
            m.bytes(0, *n as u64);
        }
    }

    fn pending_or_timeout<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if !self.armed {
            self.timer.as_mut().reset(Instant::now() + self.write_timeout);
            self.armed = true;
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "write_timeout"))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Pending => self.pending_or_timeout(cx),
            ready => {
                self.armed = false;
                ready
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for TimedIo<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if let (Some(m), Poll::Ready(Ok(()))) = (&self.metrics, &r) {
            m.bytes((buf.filled().len() - before) as u64, 0);
        }
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for TimedIo<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.count_sent(&r);
        self.progress(r, cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.count_sent(&r);
        self.progress(r, cx)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.progress(r, cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// How long [`Linger`] keeps reading after its owner is done.
const LINGER: Duration = Duration::from_secs(1);

/// Closing a socket with unread input makes the kernel send RST, and a peer receiving RST
/// may discard response bytes it has not read yet. HTTP/2 clients keep sending
/// WINDOW_UPDATE and PING frames while the last responses arrive, so after a graceful end
/// (GOAWAY, all streams done) this wrapper, once `armed`, hands the socket to a short task
/// that half-closes it and discards input until EOF, at most [`LINGER`] and 1 MiB.
/// Unarmed (forced close, errors) it closes at once.
pub(crate) struct Linger<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static> {
    io: Option<IO>,
    armed: Arc<AtomicBool>,
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static> Linger<IO> {
    pub(crate) fn new(io: IO, armed: Arc<AtomicBool>) -> Self {
        Linger { io: Some(io), armed }
    }

    fn io(&mut self) -> Pin<&mut IO> {
        // `io` is only taken in `drop`, so it is always present here.
        Pin::new(self.io.as_mut().expect("Linger used after drop"))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static> Drop for Linger<IO> {
    fn drop(&mut self) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        let (Some(mut io), Ok(rt)) = (self.io.take(), tokio::runtime::Handle::try_current()) else { return };
        rt.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = tokio::time::timeout(LINGER, async {
                let _ = io.shutdown().await;
                let mut scratch = [0u8; 4096];
                let mut budget = 1usize << 20;
                while budget > 0 {
                    match io.read(&mut scratch).await {
                        Ok(n) if n > 0 => budget = budget.saturating_sub(n),
                        _ => break,
                    }
                }
            })
            .await;
        });
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncRead for Linger<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncWrite for Linger<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(IO::is_write_vectored)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn stalled_write_times_out() {
        let (a, _b) = tokio::io::duplex(4);
        let mut t = TimedIo::new(a, Duration::from_millis(50));
        let err = t.write_all(b"more than four bytes").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
