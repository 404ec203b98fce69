//! What the HTTP/1.1 engine knows about each connection type beyond reading and writing:
//! which can hand file pages to the socket with `sendfile(2)` (plain TCP on Linux and the
//! BSDs) and which cannot (TLS, which must encrypt in user space) and stream the body's
//! chunks instead; and which can hold written bytes back until a flush (TLS records the
//! socket did not take yet), so that a flush with nothing held costs nothing.
//!
//! On Linux the head before a file body is sent with `MSG_MORE` ([`SendFile::poll_send_more`]):
//! the kernel holds it back and sends it in one TCP segment with the first file bytes,
//! instead of a segment of its own (which costs the peer an extra wake-up and an ACK per
//! response) — what `TCP_CORK` around head and body does, without its two `setsockopt`
//! calls.

use std::io;
use std::task::{Context, Poll};

/// A connection the HTTP/1.1 engine may send file bytes to without copying them through
/// user space.
pub(crate) trait SendFile {
    /// True when [`poll_sendfile`](Self::poll_sendfile) can work on this connection.
    fn can_sendfile(&self) -> bool {
        false
    }

    /// Sends up to `len` bytes of `file` from `offset`; the number sent. `Pending` until
    /// the socket is writable. Only called when [`can_sendfile`](Self::can_sendfile).
    fn poll_sendfile(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        let _ = (cx, file, offset, len);
        Poll::Ready(Err(io::ErrorKind::Unsupported.into()))
    }

    /// Sends the start of `buf`, telling the kernel that more follows at once (`MSG_MORE`:
    /// a file body sent with [`poll_sendfile`](Self::poll_sendfile)); the number sent.
    /// `Unsupported` where there is no such flag: the caller writes `buf` the usual way.
    fn poll_send_more(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let _ = (cx, buf);
        Poll::Ready(Err(io::ErrorKind::Unsupported.into()))
    }

    /// True when bytes accepted by a write may still wait inside this connection for a
    /// flush. False only where `poll_flush` has nothing to do: the engine then skips it.
    fn holds_output(&self) -> bool {
        true
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "macos"))]
impl SendFile for tokio::net::TcpStream {
    fn can_sendfile(&self) -> bool {
        true
    }

    /// A socket write goes to the kernel at once.
    fn holds_output(&self) -> bool {
        false
    }

    fn poll_sendfile(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        let Ok(at) = usize::try_from(offset) else { return Poll::Ready(Err(io::ErrorKind::InvalidInput.into())) };
        loop {
            std::task::ready!(self.poll_write_ready(cx))?;
            let sent = self.try_io(tokio::io::Interest::WRITABLE, || {
                socket2::SockRef::from(&*self).sendfile(file, at, std::num::NonZeroUsize::new(len))
            });
            match sent {
                // `try_io` cleared the readiness: the next poll waits for the socket.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return Poll::Ready(r),
            }
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn poll_send_more(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            std::task::ready!(self.poll_write_ready(cx))?;
            let sent = self.try_io(tokio::io::Interest::WRITABLE, || {
                socket2::SockRef::from(&*self).send_with_flags(buf, libc::MSG_MORE)
            });
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return Poll::Ready(r),
            }
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "macos")))]
impl SendFile for tokio::net::TcpStream {
    fn holds_output(&self) -> bool {
        false
    }
}

/// Unix domain sockets stream the body's chunks.
#[cfg(unix)]
impl SendFile for tokio::net::UnixStream {
    fn holds_output(&self) -> bool {
        false
    }
}

/// TLS encrypts in user space: the body's chunks are streamed. A write encrypts its bytes
/// into records and sends what the socket takes; the rest waits in rustls for a flush
/// (as do alerts and key updates rustls queues while reading).
impl<IO> SendFile for tokio_rustls::server::TlsStream<IO> {
    fn holds_output(&self) -> bool {
        self.get_ref().1.wants_write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn tcp_sends_a_file_region() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut got = Vec::new();
            c.read_to_end(&mut got).await.unwrap();
            got
        });
        let (mut server, _) = listener.accept().await.unwrap();
        let file = tempfile_with(b"0123456789");
        assert!(server.can_sendfile());
        let n = std::future::poll_fn(|cx| server.poll_sendfile(cx, &file, 3, 4)).await.unwrap();
        assert_eq!(n, 4);
        drop(server);
        assert_eq!(client.await.unwrap(), b"3456");
    }

    /// The head sent with `MSG_MORE` waits in the kernel (even with `TCP_NODELAY`) until
    /// the file bytes follow, and then both arrive.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_head_sent_with_more_waits_for_the_file_bytes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        server.set_nodelay(true).unwrap();
        let n = std::future::poll_fn(|cx| server.poll_send_more(cx, b"head:")).await.unwrap();
        assert_eq!(n, 5);
        let mut buf = [0u8; 64];
        let early = tokio::time::timeout(std::time::Duration::from_millis(50), client.read(&mut buf)).await;
        assert!(early.is_err(), "the head went out alone: {early:?}");
        let file = tempfile_with(b"0123456789");
        std::future::poll_fn(|cx| server.poll_sendfile(cx, &file, 0, 10)).await.unwrap();
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"head:0123456789");
    }

    /// Elsewhere (here: a Unix socket) `poll_send_more` says so and sends nothing.
    #[cfg(unix)]
    #[tokio::test]
    async fn without_more_the_caller_writes() {
        let (mut a, _b) = tokio::net::UnixStream::pair().unwrap();
        let r = std::future::poll_fn(|cx| a.poll_send_more(cx, b"x")).await;
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::Unsupported);
    }

    fn tempfile_with(bytes: &[u8]) -> std::fs::File {
        let path =
            std::env::temp_dir().join(format!("h1-sendfile-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::write(&path, bytes).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }
}
