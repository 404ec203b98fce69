//! What the HTTP/1.1 engine knows about each connection type beyond reading and writing:
//! which can hand file pages to the socket with `sendfile(2)` (plain TCP on Linux and the
//! BSDs) and which cannot (TLS, which must encrypt in user space) and stream the body's
//! chunks instead; and which can hold written bytes back until a flush (TLS records the
//! socket did not take yet), so that a flush with nothing held costs nothing.

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

    fn tempfile_with(bytes: &[u8]) -> std::fs::File {
        let path =
            std::env::temp_dir().join(format!("h1-sendfile-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::write(&path, bytes).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }
}
