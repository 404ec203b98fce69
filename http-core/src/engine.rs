//! The engine interface: what a protocol implementation (the server's HTTP/1.1 and
//! HTTP/2, the WebSocket upgrade, the client) implements and calls to carry a [`Stream`].
//! Applications never need it: a handler only sees `&mut Stream`.
//!
//! An engine implements [`Transport`] for its own type, owns a typed `Stream<ItsTransport>`
//! ([`Stream::new`]), rearms it for each exchange ([`Stream::begin`]), reaches its own
//! state with [`Stream::transport_mut`] (a plain field access, no downcast), and hands user
//! code `&mut Stream` (`Stream<dyn Transport>`) by unsizing coercion.
//!
//! [`h1`] is the sans-IO HTTP/1.1 codec the server and the client connections share.

pub mod h1;
mod rewind;
pub use rewind::Rewind;

use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};

use crate::context::RequestContext;
use crate::error::{Error, ErrorKind};
use crate::request::RequestHead;
use crate::stream::{Stream, WriteState};
use crate::upgrade::Upgraded;

/// Puts `map` in `slot` and drops the map it held; one that never allocated (the empty map
/// a taken head leaves in an engine's slot) is dropped without running its drop glue.
///
/// ```
/// use http_core::{HeaderMap, HeaderValue, header};
/// let mut slot = HeaderMap::new();
/// let mut map = HeaderMap::new();
/// map.insert(header::HOST, HeaderValue::from_static("a"));
/// http_core::engine::replace_fields(&mut slot, map);
/// assert_eq!(slot[header::HOST], "a");
/// ```
pub fn replace_fields(slot: &mut HeaderMap, map: HeaderMap) {
    crate::spare_headers::discard(std::mem::replace(slot, map));
}

/// A response head as handed to a [`Transport`].
///
/// ```
/// use http_core::engine::OutgoingHead;
/// use http_core::{HeaderMap, StatusCode};
/// let mut headers = HeaderMap::new();
/// // what `Stream::closewrite` hands the transport for an empty 204 response:
/// let head = OutgoingHead {
///     status: StatusCode::NO_CONTENT,
///     headers: &mut headers,
///     may_take: false,
///     length: Some(0),
///     end_stream: true,
/// };
/// assert!(head.end_stream && head.headers.is_empty());
/// ```
#[derive(Debug)]
pub struct OutgoingHead<'a> {
    /// Status code.
    pub status: StatusCode,
    /// Header fields as the handler set them. Engines write their own framing
    /// (`Content-Length`, `Transfer-Encoding`) and skip those names here.
    pub headers: &'a mut HeaderMap,
    /// True when nothing reads `headers` after `send_head` (a whole `Response` being
    /// written), so an engine that needs the map owned (HTTP/2 hands it to `h2`) may
    /// `std::mem::take` it instead of cloning. False for a `Stream`'s own response headers,
    /// which middleware may still read after the handler.
    pub may_take: bool,
    /// The exact body length, when known.
    pub length: Option<u64>,
    /// True when no body bytes and no trailers follow.
    pub end_stream: bool,
}

impl OutgoingHead<'_> {
    /// The header map, owned: taken when [`may_take`](Self::may_take) allows, cloned
    /// otherwise. For engines that hand the map on (HTTP/2, in-memory transports).
    ///
    /// ```
    /// use http_core::engine::OutgoingHead;
    /// use http_core::{HeaderMap, StatusCode};
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-a", "1".parse().unwrap());
    /// let mut head =
    ///     OutgoingHead { status: StatusCode::OK, headers: &mut headers, may_take: true, length: None, end_stream: false };
    /// assert_eq!(head.owned_headers().len(), 1);
    /// assert!(headers.is_empty(), "taken, not copied");
    /// ```
    pub fn owned_headers(&mut self) -> HeaderMap {
        if self.may_take { std::mem::take(self.headers) } else { self.headers.clone() }
    }
}

/// What a protocol engine implements to carry a [`Stream`]. Not needed by applications.
///
/// Poll-style so it stays object-safe; the `Stream` wraps each call in an async method.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # use http_core::{Method, Request, Stream, testing};
/// use std::net::SocketAddr;
/// use std::task::{Context, Poll};
/// use bytes::Bytes;
/// use http_core::engine::{OutgoingHead, Transport};
/// use http_core::{Error, HeaderMap, Version};
/// /// Discards the request body and collects the response body.
/// #[derive(Default)]
/// struct Collect { out: Vec<u8> }
/// impl Transport for Collect {
///     fn version(&self) -> Version { Version::HTTP_11 }
///     fn peer_addr(&self) -> Option<SocketAddr> { None }
///     fn poll_read(&mut self, _: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> { Poll::Ready(Ok(None)) }
///     fn take_request_trailers(&mut self) -> Option<HeaderMap> { None }
///     fn send_head(&mut self, _: OutgoingHead<'_>) -> Result<(), Error> { Ok(()) }
///     fn poll_write(&mut self, _: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
///         self.out.extend_from_slice(&std::mem::take(data));
///         Poll::Ready(Ok(()))
///     }
///     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> { Poll::Ready(Ok(())) }
///     fn poll_finish(&mut self, _: &mut Context<'_>, _: Option<&HeaderMap>) -> Poll<Result<(), Error>> { Poll::Ready(Ok(())) }
/// }
/// let mut s = Stream::new(Collect::default());
/// let user: &mut Stream = &mut s; // what the handler is given
/// user.write("hi").await.unwrap();
/// user.closewrite().await.unwrap();
/// assert_eq!(s.transport().out, b"hi");
/// # }
/// ```
pub trait Transport: Send + 'static {
    /// The protocol version on the wire.
    fn version(&self) -> Version;
    /// The client's address.
    fn peer_addr(&self) -> Option<SocketAddr>;
    /// The next request-body chunk; `Ok(None)` at its end.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>>;
    /// The request's trailers, once the body has been read to its end.
    fn take_request_trailers(&mut self) -> Option<HeaderMap>;
    /// Commits the response head (buffered; sent with the first flush). With
    /// `end_stream` the response is complete and nothing else is called for it.
    fn send_head(&mut self, head: OutgoingHead<'_>) -> Result<(), Error>;
    /// Writes all of `data` (consuming it), applying the write timeout.
    fn poll_write(&mut self, cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>>;
    /// Sends `*remaining` bytes of `file` from `*offset` as the response body, without
    /// copying them through user space where the transport can (`sendfile(2)`), advancing
    /// both as bytes go out. `Ready(Ok(true))`: the whole region was handled;
    /// `Ready(Ok(false))`: not supported here, nothing was sent, and the caller streams the
    /// body's frames instead. Called at most once per response, before any body bytes.
    /// Default: not supported.
    ///
    /// ```
    /// # use std::task::{Context, Poll};
    /// # use http_core::Error;
    /// # use http_core::engine::Transport;
    /// fn unsupported<T: Transport>(t: &mut T, cx: &mut Context<'_>, f: &std::fs::File) -> bool {
    ///     let (mut offset, mut remaining) = (0, 10);
    ///     matches!(t.poll_send_file(cx, f, &mut offset, &mut remaining), Poll::Ready(Ok(false)))
    /// }
    /// ```
    fn poll_send_file(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: &mut u64,
        remaining: &mut u64,
    ) -> Poll<Result<bool, Error>> {
        let _ = (cx, file, offset, remaining);
        Poll::Ready(Ok(false))
    }
    /// Pushes buffered bytes to the peer.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;
    /// Takes back a response header map once its head was encoded, so the engine can reuse
    /// its allocation (HTTP/1 parses the next request's fields into it). Default: drop it.
    fn recycle_headers(&mut self, headers: HeaderMap) {
        drop(headers);
    }
    /// The server's graceful-shutdown signal, cancelled when the server starts closing
    /// (HTTP.jl's `close(server)`), for [`Stream::shutdown_signal`]. Engines return the
    /// server's token; the handler only ever sees a child of it. Default: none (the
    /// signal never fires).
    ///
    /// ```
    /// # use http_core::engine::Transport;
    /// fn never_closes<T: Transport>(t: &T) -> bool {
    ///     t.shutdown_signal().is_none()
    /// }
    /// ```
    fn shutdown_signal(&self) -> Option<tokio_util::sync::CancellationToken> {
        None
    }
    /// Hands the connection or stream over for [`Stream::upgrade`], after `send_head` took
    /// its 101 (HTTP/1.1) or 2xx (HTTP/2 extended CONNECT) head: flushes everything
    /// buffered, then gives up the I/O, with the bytes already read after the request head.
    /// The engine must not touch that I/O again. Default: not supported.
    ///
    /// ```
    /// # use std::task::{Context, Poll};
    /// # use http_core::engine::Transport;
    /// fn unsupported<T: Transport>(t: &mut T, cx: &mut Context<'_>) -> bool {
    ///     matches!(t.poll_upgrade(cx), Poll::Ready(Err(_)))
    /// }
    /// ```
    fn poll_upgrade(&mut self, cx: &mut Context<'_>) -> Poll<Result<Upgraded, Error>> {
        let _ = cx;
        Poll::Ready(Err(Error::new(ErrorKind::State, "this transport cannot hand over its connection")))
    }
    /// Ends the response body, sending `trailers` where the protocol and peer allow.
    /// Engines flush after the handler returns, so this need not flush.
    fn poll_finish(&mut self, cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>>;
}

impl<T: Transport> Stream<T> {
    /// A stream over `transport`, owned by the engine that carries it.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let mut s = Stream::new(MemoryTransport::default());
    /// let user: &mut Stream = &mut s; // what a handler is given
    /// assert_eq!((user.status(), user.is_head_sent()), (http_core::StatusCode::OK, false));
    /// ```
    pub fn new(transport: T) -> Self {
        Stream {
            head: RequestHead::default(),
            ctx: RequestContext::default(),
            max_body_bytes: u64::MAX,
            read_done: false,
            pending: Bytes::new(),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            trailers: None,
            write: WriteState::NotStarted,
            response_length: None,
            transport,
        }
    }

    /// Prepares the stream for the next request on the same transport, reusing buffers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::testing::MemoryTransport;
    /// let mut s = Stream::new(MemoryTransport::default());
    /// let (head, body, ctx) = Request::new(Method::GET, "/next").into_parts();
    /// s.begin(head, ctx, 1 << 20, body.is_empty());
    /// let s: &mut Stream = &mut s;
    /// assert_eq!((s.startread().uri.path(), s.max_body_bytes(), s.eof()), ("/next", 1 << 20, true));
    /// # }
    /// ```
    pub fn begin(&mut self, head: RequestHead, ctx: RequestContext, max_body_bytes: u64, body_empty: bool) {
        self.replace_head(head);
        self.begin_rest(ctx, max_body_bytes, body_empty);
    }

    /// [`begin`](Self::begin) with a head the transport holds (`head_in` finds it), taken
    /// without copying it through the caller; the slot is left empty and the stream's
    /// previous head is dropped.
    ///
    /// ```
    /// use http_core::{Method, Request, RequestContext, Stream, testing::MemoryTransport};
    /// let mut s = Stream::new(MemoryTransport::default());
    /// // An engine's transport holds the head it decoded; here it lives as long as the program.
    /// let decoded = Box::leak(Box::new(Request::new(Method::GET, "/decoded").into_parts().0));
    /// s.begin_taking(move |_transport| decoded, RequestContext::default(), 1 << 20, true);
    /// let s: &mut Stream = &mut s;
    /// assert_eq!(s.startread().uri.path(), "/decoded");
    /// ```
    pub fn begin_taking(
        &mut self,
        head_in: impl FnOnce(&mut T) -> &mut RequestHead,
        ctx: RequestContext,
        max_body_bytes: u64,
        body_empty: bool,
    ) {
        // Field by field: a whole head taken out would be copied aside, then in.
        let slot = head_in(&mut self.transport);
        let (method, uri) = (std::mem::take(&mut slot.method), std::mem::take(&mut slot.uri));
        let (version, headers) = (slot.version, std::mem::take(&mut slot.headers));
        self.replace_head(RequestHead { method, uri, version, headers });
        self.begin_rest(ctx, max_body_bytes, body_empty);
    }

    /// The previous head is usually the empty one a taken request left behind: its map is
    /// dropped without running the drop glue of a map that never allocated.
    fn replace_head(&mut self, head: RequestHead) {
        let RequestHead { method, uri, version, headers } = head;
        self.head.method = method;
        self.head.uri = uri;
        self.head.version = version;
        replace_fields(&mut self.head.headers, headers);
    }

    fn begin_rest(&mut self, ctx: RequestContext, max_body_bytes: u64, body_empty: bool) {
        self.ctx = ctx;
        self.max_body_bytes = max_body_bytes;
        self.read_done = body_empty;
        self.pending = Bytes::new();
        self.status = StatusCode::OK;
        // Usually empty already: a written response's fields went back to the engine.
        if !self.headers.is_empty() {
            self.headers.clear();
        }
        self.trailers = None;
        self.write = WriteState::NotStarted;
        self.response_length = None;
    }

    /// The engine's own transport.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let mut s = Stream::new(MemoryTransport::default());
    /// let _t: &mut MemoryTransport = s.transport_mut();
    /// ```
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The engine's own transport, shared.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let s = Stream::new(MemoryTransport::default());
    /// let _t: &MemoryTransport = s.transport();
    /// ```
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Gives the stream up and returns its transport: an engine that keeps a connection
    /// without an exchange's state while it idles, and wraps the transport in a new
    /// stream ([`new`](Self::new)) when the next request comes.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let s = Box::new(Stream::new(MemoryTransport::default()));
    /// let t: MemoryTransport = s.into_transport();
    /// let _again = Stream::new(t);
    /// ```
    pub fn into_transport(self) -> T {
        self.transport
    }
}

/// The `:protocol` of an HTTP/2 extended CONNECT (RFC 8441 §4), put in the request
/// context's extensions by the engine; read it with [`Stream::upgrade_protocol`].
///
/// ```
/// use http_core::engine::ConnectProtocol;
/// assert_eq!(ConnectProtocol::new("websocket").as_str(), "websocket");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectProtocol(Box<str>);

impl ConnectProtocol {
    /// The protocol `name`.
    ///
    /// ```
    /// let p = http_core::engine::ConnectProtocol::new("echo");
    /// # assert_eq!(p.as_str(), "echo");
    /// ```
    pub fn new(name: &str) -> Self {
        ConnectProtocol(name.into())
    }

    /// The protocol name.
    ///
    /// ```
    /// assert_eq!(http_core::engine::ConnectProtocol::new("echo").as_str(), "echo");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
