//! An HTTP/2 stream taken over by its handler after an extended CONNECT (RFC 8441 §5): the
//! DATA frames both ways as a byte stream. Reads give flow-control capacity back as the
//! handler consumes the bytes (RFC 9113 §5.2); writes wait for send capacity; shutdown
//! sends END_STREAM. A peer's RST_STREAM or a lost connection shows as an I/O error.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use h2::{Reason, RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The two halves of an upgraded stream.
pub(crate) struct H2Upgraded {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// Received and not yet read.
    buf: Bytes,
}

impl H2Upgraded {
    pub(crate) fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Upgraded { send, recv, buf: Bytes::new() }
    }

    /// The error for a stream that cannot be written: its reset reason, as an I/O error.
    fn poll_write_error(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        Poll::Ready(match ready!(self.send.poll_reset(cx)) {
            Ok(Reason::NO_ERROR | Reason::CANCEL | Reason::STREAM_CLOSED) => io::ErrorKind::BrokenPipe.into(),
            Ok(reason) => io::Error::other(h2::Error::from(reason)),
            Err(e) => to_io(e),
        })
    }
}

fn to_io(e: h2::Error) -> io::Error {
    if e.is_io() { e.into_io().unwrap_or_else(|| io::ErrorKind::Other.into()) } else { io::Error::other(e) }
}

impl AsyncRead for H2Upgraded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.buf.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(())),
                Some(Ok(data)) => this.buf = data,
                Some(Err(e)) => {
                    return Poll::Ready(match e.reason() {
                        // The peer ended its side by resetting it: that is an end of stream.
                        Some(Reason::NO_ERROR | Reason::CANCEL) => Ok(()),
                        Some(Reason::STREAM_CLOSED) => Err(io::Error::new(io::ErrorKind::BrokenPipe, e)),
                        _ => Err(to_io(e)),
                    });
                }
            }
        }
        let n = this.buf.len().min(out.remaining());
        out.put_slice(&this.buf[..n]);
        this.buf.advance(n);
        // Capacity goes back to the peer as the handler consumes the bytes.
        let _ = this.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Upgraded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        loop {
            this.send.reserve_capacity(data.len());
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(0)) => continue,
                Some(Ok(n)) => {
                    let n = n.min(data.len());
                    if this.send.send_data(Bytes::copy_from_slice(&data[..n]), false).is_ok() {
                        return Poll::Ready(Ok(n));
                    }
                }
                Some(Err(_)) | None => {}
            }
            return this.poll_write_error(cx).map(Err);
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection task writes frames as soon as they are queued.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.send.send_data(Bytes::new(), true).is_ok() {
            return Poll::Ready(Ok(()));
        }
        self.poll_write_error(cx).map(Err)
    }
}
