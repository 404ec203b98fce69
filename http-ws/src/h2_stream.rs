//! An HTTP/2 stream as a byte stream (RFC 8441 §5): after an extended CONNECT, WebSocket
//! frames travel in the stream's DATA frames. [`H2Stream`] joins a stream's send and
//! receive halves into `AsyncRead + AsyncWrite`, honouring HTTP/2 flow control in both
//! directions, so [`crate::WebSocket::from_upgraded`] runs over it unchanged.

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The two halves of an HTTP/2 stream as one byte stream.
///
/// Writes wait for send window (stream and connection); reads release receive window as
/// the bytes are consumed. Shutting down the write side ends the stream (`END_STREAM`).
/// The HTTP/2 connection itself must be driven by its own task.
///
/// ```no_run
/// # async fn f(send: h2::SendStream<bytes::Bytes>, recv: h2::RecvStream) {
/// use http_ws::{H2Stream, Role, WebSocket};
/// let io = H2Stream::new(send, recv);
/// let ws = WebSocket::from_upgraded(io, Role::Client, Default::default());
/// # drop(ws);
/// # }
/// ```
#[derive(Debug)]
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    pending: Bytes,
}

impl H2Stream {
    /// Joins a stream's send half (the request's on a client, the response's on a server)
    /// and receive half (the response body on a client, the request body on a server).
    ///
    /// ```no_run
    /// # fn f(send: h2::SendStream<bytes::Bytes>, recv: h2::RecvStream) {
    /// let io = http_ws::H2Stream::new(send, recv);
    /// # drop(io);
    /// # }
    /// ```
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Stream { send, recv, pending: Bytes::new() }
    }
}

fn to_io(e: h2::Error) -> io::Error {
    if e.is_io() {
        return e.into_io().unwrap_or_else(|| io::ErrorKind::BrokenPipe.into());
    }
    io::Error::other(e)
}

impl AsyncRead for H2Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pending.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(())), // END_STREAM: EOF
                Some(Ok(data)) => {
                    let _ = this.recv.flow_control().release_capacity(data.len());
                    this.pending = data;
                }
                Some(Err(e)) if e.reason() == Some(h2::Reason::NO_ERROR) => return Poll::Ready(Ok(())),
                Some(Err(e)) => return Poll::Ready(Err(to_io(e))),
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let capacity = this.send.capacity();
            if capacity > 0 {
                let n = capacity.min(buf.len());
                this.send.send_data(Bytes::copy_from_slice(&buf[..n]), false).map_err(to_io)?;
                return Poll::Ready(Ok(n));
            }
            this.send.reserve_capacity(buf.len());
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(to_io(e))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // the connection task writes DATA frames out as they are queued
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // ending an already ended or reset stream is not an error here
        let _ = this.send.send_data(Bytes::new(), true);
        Poll::Ready(Ok(()))
    }
}
