//! Connection upgrade: a handler takes over the connection after a `101 Switching
//! Protocols` (HTTP/1.1 `Upgrade`, RFC 9110 §7.8) or the stream after a 2xx answer to an
//! extended CONNECT (HTTP/2, RFC 8441), and speaks its own protocol over an
//! [`Upgraded`] byte stream from then on.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONNECTION, UPGRADE};
use http::{Method, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::engine::{ConnectProtocol, Rewind};
use crate::error::{Error, ErrorKind};
use crate::stream::{Stream, WriteState};

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The connection (HTTP/1.1) or stream (HTTP/2) a handler took over with
/// [`Stream::upgrade`]: an owned byte stream in both directions, starting with any bytes
/// the client sent right after its request head.
///
/// Nothing of HTTP applies to it any more: no timeouts (bound the work yourself), and
/// [`shutdown`](tokio::io::AsyncWriteExt::shutdown) ends the write side (a TCP half-close,
/// or END_STREAM on HTTP/2). Keep the work inside the handler (or tie it to the request's
/// [`cancellation`](crate::RequestContext::cancellation)) so that a server shutdown
/// reaches it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::Upgraded;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// let (ours, mut theirs) = tokio::io::duplex(64);
/// // "hello" had already been read after the request head.
/// let mut up = Upgraded::new(ours, "hello".into());
/// theirs.write_all(b", world").await.unwrap();
/// let mut buf = [0u8; 12];
/// up.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hello, world");
/// # }
/// ```
pub struct Upgraded(Rewind<Box<dyn Io>>);

impl Upgraded {
    /// Wraps `io`; reads return `read_ahead` first. For protocol engines.
    ///
    /// ```
    /// let (ours, _theirs) = tokio::io::duplex(64);
    /// let _up = http_core::Upgraded::new(ours, bytes::Bytes::new());
    /// ```
    pub fn new<T: AsyncRead + AsyncWrite + Send + Unpin + 'static>(io: T, read_ahead: Bytes) -> Self {
        Upgraded(Rewind::new(read_ahead, Box::new(io)))
    }
}

impl std::fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgraded").field("read_ahead", &self.0.prefix_len()).finish_non_exhaustive()
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl Stream {
    /// The protocol the request asks to switch to: on HTTP/1.1 the `Upgrade` header of a
    /// request whose `Connection` header lists `upgrade`; on HTTP/2 the `:protocol` of an
    /// extended CONNECT (RFC 8441). `None` for any other request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.write(format!("{:?}", s.upgrade_protocol())).await;
    /// }
    /// let req = Request::new(Method::GET, "/chat").with_header("connection", "Upgrade").with_header("upgrade", "websocket");
    /// assert_eq!(testing::call_stream(&h, req).await.text(), "Some(\"websocket\")");
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "None");
    /// # }
    /// ```
    pub fn upgrade_protocol(&self) -> Option<&str> {
        let head = &self.head;
        if head.method == Method::CONNECT
            && let Some(p) = self.ctx.extensions().get::<ConnectProtocol>()
        {
            return Some(p.as_str());
        }
        if head.version == Version::HTTP_2 || head.version == Version::HTTP_3 {
            return None;
        }
        let asks = head
            .headers
            .get_all(CONNECTION)
            .iter()
            .any(|v| v.as_bytes().split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade")));
        if !asks {
            return None;
        }
        head.headers.get(UPGRADE).and_then(|v| v.to_str().ok()).map(str::trim).filter(|p| !p.is_empty())
    }

    /// The server's graceful shutdown as a token: cancelled once the server starts
    /// closing (`Server::close`), so long-lived work — an upgraded connection, a stream of
    /// events — can say goodbye (a WebSocket sends close 1001) before the server's
    /// shutdown deadline cuts it. A child token: cancelling it touches nothing else. It
    /// never fires on a transport without a server behind it (the in-memory test one).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let closing = s.shutdown_signal();
    ///     tokio::select! {
    ///         () = closing.cancelled() => { let _ = s.write("server closing").await; }
    ///         () = tokio::time::sleep(std::time::Duration::from_millis(1)) => { let _ = s.write("done").await; }
    ///     }
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "done");
    /// # }
    /// ```
    pub fn shutdown_signal(&self) -> tokio_util::sync::CancellationToken {
        match self.transport.shutdown_signal() {
            Some(server) => server.child_token(),
            None => tokio_util::sync::CancellationToken::new(),
        }
    }

    /// True when the request asks to switch protocols (see
    /// [`upgrade_protocol`](Self::upgrade_protocol)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.write(s.is_upgrade_request().to_string()).await;
    /// }
    /// let req = Request::new(Method::GET, "/").with_header("upgrade", "echo"); // no `Connection: upgrade`
    /// assert_eq!(testing::call_stream(&h, req).await.text(), "false");
    /// # }
    /// ```
    pub fn is_upgrade_request(&self) -> bool {
        self.upgrade_protocol().is_some()
    }

    /// Takes over the connection (HTTP/1.1) or the stream (HTTP/2): sends the response
    /// head set so far — status `101 Switching Protocols` with the handler's `Upgrade` and
    /// `Connection: upgrade` headers on HTTP/1.1, a 2xx answer to an extended CONNECT on
    /// HTTP/2 — flushes, and hands over the byte stream. The engine ends the connection
    /// (HTTP/1.1) or stream (HTTP/2) once the handler returns, without touching it again.
    ///
    /// Fails, leaving the response untouched, when the request asks for no upgrade, when
    /// the status does not fit the protocol, or once the head was sent; fails after
    /// sending the head when the transport cannot hand over its I/O (the in-memory test
    /// transport cannot).
    ///
    /// ```no_run
    /// use http_core::{StatusCode, Stream};
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// /// Echoes whatever the client sends once it switched to the `echo` protocol.
    /// async fn echo(s: &mut Stream) {
    ///     if s.upgrade_protocol() != Some("echo") {
    ///         let _ = s.setstatus(StatusCode::UPGRADE_REQUIRED);
    ///         return;
    ///     }
    ///     let status = if s.version() == http_core::Version::HTTP_2 { StatusCode::OK } else { StatusCode::SWITCHING_PROTOCOLS };
    ///     s.setstatus(status).unwrap();
    ///     s.setheader("connection", "upgrade").unwrap();
    ///     s.setheader("upgrade", "echo").unwrap();
    ///     let Ok(mut io) = s.upgrade().await else { return };
    ///     let mut buf = [0u8; 1024];
    ///     while let Ok(n) = io.read(&mut buf).await {
    ///         if n == 0 || io.write_all(&buf[..n]).await.is_err() {
    ///             break;
    ///         }
    ///     }
    ///     let _ = io.shutdown().await;
    /// }
    /// ```
    pub async fn upgrade(&mut self) -> Result<Upgraded, Error> {
        if !self.is_upgrade_request() {
            return Err(Error::new(ErrorKind::State, "the request asks for no upgrade"));
        }
        self.check_not_started()?;
        let fits = if self.head.version == Version::HTTP_2 {
            self.status.is_success()
        } else {
            self.status == StatusCode::SWITCHING_PROTOCOLS
        };
        if !fits {
            return Err(Error::new(ErrorKind::State, "an upgrade answers 101 (HTTP/1.1) or 2xx (HTTP/2)"));
        }
        self.commit_head(None, None, false)?;
        match poll_fn(|cx| self.transport.poll_upgrade(cx)).await {
            Ok(io) => {
                self.write = WriteState::Finished;
                self.read_done = true;
                self.pending = Bytes::new();
                Ok(io)
            }
            Err(e) => {
                self.write = WriteState::Aborted;
                Err(e)
            }
        }
    }
}
