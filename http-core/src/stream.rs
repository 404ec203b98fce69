//! The [`Stream`]: one request/response exchange, read and written incrementally.
//!
//! This is HTTP.jl's `HTTP.Stream` for listen-style handlers, and the one object every
//! protocol engine hands to user code: HTTP/1.1 and HTTP/2 each implement [`Transport`],
//! and user code sees the same `Stream` whichever carried the request. Serve-style
//! handlers are adapted onto it by [`streamhandler`](crate::streamhandler).
//!
//! Lifecycle (RFC 9110 §6, message = head + content + trailers):
//! 1. [`startread`](Stream::startread) returns the request head;
//! 2. the body is read with [`read_chunk`](Stream::read_chunk) / [`read`](Stream::read)
//!    (HTTP/1.1 sends `100 Continue` on the first read when the client asked for it);
//! 3. [`set_status`](Stream::set_status) and [`set_header`](Stream::set_header) shape the
//!    response head, sent by [`startwrite`](Stream::startwrite) or the first write;
//! 4. [`write`](Stream::write) sends body bytes; [`add_trailer`](Stream::add_trailer)
//!    queues trailers; [`closewrite`](Stream::closewrite) ends the response.

use std::any::Any;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode, Version};

use crate::body::{Body, Frame};
use crate::context::RequestContext;
use crate::error::{Error, ErrorKind};
use crate::request::{Request, RequestHead};
use crate::response::Response;

/// A response head as handed to a [`Transport`].
///
/// ```
/// use http_core::{HeaderMap, OutgoingHead, StatusCode};
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
    /// use http_core::{HeaderMap, OutgoingHead, StatusCode};
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
/// use std::any::Any;
/// use std::net::SocketAddr;
/// use std::task::{Context, Poll};
/// use bytes::Bytes;
/// use http_core::{Error, HeaderMap, OutgoingHead, Transport, Version};
/// /// Discards the request body and collects the response body.
/// #[derive(Default)]
/// struct Collect { out: Vec<u8> }
/// impl Transport for Collect {
///     fn as_any_mut(&mut self) -> &mut dyn Any { self }
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
/// let mut s = Stream::new(Box::new(Collect::default()));
/// s.write("hi").await.unwrap();
/// s.closewrite().await.unwrap();
/// assert_eq!(s.transport_mut::<Collect>().unwrap().out, b"hi");
/// # }
/// ```
pub trait Transport: Send + 'static {
    /// For the engine to reach its own type behind the `Stream`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
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
    /// # use http_core::{Error, Transport};
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
    /// Ends the response body, sending `trailers` where the protocol and peer allow.
    /// Engines flush after the handler returns, so this need not flush.
    fn poll_finish(&mut self, cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteState {
    NotStarted,
    Streaming,
    Finished,
    Aborted,
}

/// One HTTP exchange, read and written incrementally (HTTP.jl's `Stream`).
///
/// A listen-style handler gets `&mut Stream`:
///
/// ```
/// use http_core::{Stream, StatusCode};
/// async fn echo(s: &mut Stream) {
///     s.set_status(StatusCode::OK).unwrap();
///     s.set_header("content-type", "application/octet-stream").unwrap();
///     while let Ok(Some(chunk)) = s.read_chunk().await {
///         if s.write(chunk).await.is_err() {
///             return;
///         }
///     }
///     let _ = s.closewrite().await;
/// }
/// ```
pub struct Stream {
    transport: Box<dyn Transport>,
    head: RequestHead,
    ctx: RequestContext,
    max_body_bytes: u64,
    read_done: bool,
    pending: Bytes,
    status: StatusCode,
    headers: HeaderMap,
    trailers: Option<HeaderMap>,
    write: WriteState,
}

impl Stream {
    /// A stream over `transport`. For protocol engines.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let s = Stream::new(Box::new(MemoryTransport::default()));
    /// assert_eq!((s.status(), s.is_head_sent()), (http_core::StatusCode::OK, false));
    /// ```
    pub fn new(transport: Box<dyn Transport>) -> Self {
        Stream {
            transport,
            head: RequestHead::default(),
            ctx: RequestContext::default(),
            max_body_bytes: u64::MAX,
            read_done: false,
            pending: Bytes::new(),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            trailers: None,
            write: WriteState::NotStarted,
        }
    }

    /// Prepares the stream for the next request on the same transport, reusing buffers.
    /// For protocol engines.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::testing::MemoryTransport;
    /// let mut s = Stream::new(Box::new(MemoryTransport::default()));
    /// let (head, body, ctx) = Request::new(Method::GET, "/next").into_parts();
    /// s.begin(head, ctx, 1 << 20, body.is_empty());
    /// assert_eq!((s.request().uri.path(), s.max_body_bytes(), s.eof()), ("/next", 1 << 20, true));
    /// # }
    /// ```
    pub fn begin(&mut self, head: RequestHead, ctx: RequestContext, max_body_bytes: u64, body_empty: bool) {
        self.head = head;
        self.ctx = ctx;
        self.max_body_bytes = max_body_bytes;
        self.read_done = body_empty;
        self.pending = Bytes::new();
        self.status = StatusCode::OK;
        self.headers.clear();
        self.trailers = None;
        self.write = WriteState::NotStarted;
    }

    /// The engine's own transport type. For protocol engines.
    ///
    /// ```
    /// use http_core::{Stream, testing::MemoryTransport};
    /// let mut s = Stream::new(Box::new(MemoryTransport::default()));
    /// assert!(s.transport_mut::<MemoryTransport>().is_some());
    /// ```
    pub fn transport_mut<T: Transport>(&mut self) -> Option<&mut T> {
        self.transport.as_any_mut().downcast_mut::<T>()
    }

    /// HTTP.jl's `startread`: the request head. The body stays on the stream.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let path = s.startread().uri.path().to_owned();
    ///     let _ = s.write(format!("{} {path}", s.startread().method)).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::DELETE, "/items/3")).await;
    /// assert_eq!(r.text(), "DELETE /items/3");
    /// # }
    /// ```
    pub fn startread(&self) -> &RequestHead {
        &self.head
    }

    /// The request head (same as [`startread`](Self::startread)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let agent = s.request().header("user-agent").unwrap_or("?").to_owned();
    ///     let _ = s.write(agent).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/").with_header("user-agent", "curl/8")).await;
    /// assert_eq!(r.text(), "curl/8");
    /// # }
    /// ```
    pub fn request(&self) -> &RequestHead {
        &self.head
    }

    /// The request context.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.write(format!("cancelled: {}", s.context().is_cancelled())).await;
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "cancelled: false");
    /// # }
    /// ```
    pub fn context(&self) -> &RequestContext {
        &self.ctx
    }

    /// The request context, mutably.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.context_mut().extensions_mut().insert(42u32);
    ///     let n = *s.context().extensions().get::<u32>().unwrap();
    ///     let _ = s.write(n.to_string()).await;
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "42");
    /// # }
    /// ```
    pub fn context_mut(&mut self) -> &mut RequestContext {
        &mut self.ctx
    }

    /// The client's address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let who = s.peer_addr().map_or("in-process".to_owned(), |a| a.to_string());
    ///     let _ = s.write(who).await;
    /// }
    /// // the in-memory test transport has no socket
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "in-process");
    /// # }
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.transport.peer_addr()
    }

    /// The protocol version on the wire.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.write(format!("{:?}", s.version())).await;
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "HTTP/1.1");
    /// # }
    /// ```
    pub fn version(&self) -> Version {
        self.transport.version()
    }

    /// The server's limit for buffered request bodies (`max_body_bytes`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let limit = s.max_body_bytes().min(1024);
    ///     let body = s.read_to_end(limit).await.unwrap_or_default();
    ///     let _ = s.write(format!("{} bytes", body.len())).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("abc")).await;
    /// assert_eq!(r.text(), "3 bytes");
    /// # }
    /// ```
    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// Lowers the limit for buffered request bodies (`max_body_bytes`) for this exchange,
    /// as a per-route body-limit middleware does; a value above the current limit is
    /// ignored.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{testing, Method, Request, Stream};
    /// async fn small_bodies_only(s: &mut Stream) {
    ///     s.limit_body_bytes(4);
    ///     let status = match s.read_to_end(s.max_body_bytes()).await {
    ///         Ok(_) => http_core::StatusCode::OK,
    ///         Err(e) => e.status(),
    ///     };
    ///     let _ = s.set_status(status);
    /// }
    /// let req = Request::new(Method::POST, "/").with_body("too long");
    /// assert_eq!(testing::call_stream(&small_bodies_only, req).await.status, 413);
    /// # }
    /// ```
    pub fn limit_body_bytes(&mut self, max: u64) {
        self.max_body_bytes = self.max_body_bytes.min(max);
    }

    /// The next chunk of the request body; `Ok(None)` at its end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn count(s: &mut Stream) {
    ///     let mut total = 0;
    ///     while let Ok(Some(chunk)) = s.read_chunk().await {
    ///         total += chunk.len();
    ///     }
    ///     let _ = s.write(total.to_string()).await;
    /// }
    /// let r = testing::call_stream(&count, Request::new(Method::POST, "/").with_body("12345")).await;
    /// assert_eq!(r.text(), "5");
    /// # }
    /// ```
    pub async fn read_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        if self.read_done {
            return Ok(None);
        }
        let r = poll_fn(|cx| self.transport.poll_read(cx)).await;
        if matches!(r, Ok(None) | Err(_)) {
            self.read_done = true;
        }
        r
    }

    /// Reads body bytes into `buf`; `Ok(0)` at the end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn first_two(s: &mut Stream) {
    ///     let mut buf = [0u8; 2];
    ///     let n = s.read(&mut buf).await.unwrap();
    ///     let _ = s.write(buf[..n].to_vec()).await;
    /// }
    /// let r = testing::call_stream(&first_two, Request::new(Method::POST, "/").with_body("abcdef")).await;
    /// assert_eq!(r.text(), "ab");
    /// # }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.pending.is_empty() {
            match self.read_chunk().await? {
                Some(c) => self.pending = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }

    /// Reads the rest of the body, failing with a 413-kind error past `limit` bytes
    /// (checked against Content-Length before reading anything).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn upload(s: &mut Stream) {
    ///     match s.read_to_end(4).await {
    ///         Ok(body) => { let _ = s.write(body).await; }
    ///         Err(e) => { let _ = s.set_status(e.status()); }
    ///     }
    /// }
    /// let ok = testing::call_stream(&upload, Request::new(Method::POST, "/").with_body("abcd")).await;
    /// assert_eq!(ok.text(), "abcd");
    /// let big = testing::call_stream(&upload, Request::new(Method::POST, "/").with_body("abcde")).await;
    /// assert_eq!(big.status.as_u16(), 413);
    /// # }
    /// ```
    pub async fn read_to_end(&mut self, limit: u64) -> Result<Bytes, Error> {
        if declared_length(&self.head.headers).is_some_and(|len| len > limit) {
            return Err(Error::new(ErrorKind::BodyTooLarge, "content-length over max_body_bytes"));
        }
        let too_large = || Error::new(ErrorKind::BodyTooLarge, "body over max_body_bytes");
        let Some(first) = self.read_chunk().await? else { return Ok(Bytes::new()) };
        if first.len() as u64 > limit {
            return Err(too_large());
        }
        let Some(second) = self.read_chunk().await? else { return Ok(first) };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        loop {
            if buf.len() as u64 > limit {
                return Err(too_large());
            }
            match self.read_chunk().await? {
                Some(c) => buf.extend_from_slice(&c),
                None => return Ok(buf.freeze()),
            }
        }
    }

    /// True once the request body has been read to its end (or closed).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let before = s.eof();
    ///     let _ = s.read_to_end(1024).await;
    ///     let _ = s.write(format!("{before} {}", s.eof())).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("x")).await;
    /// assert_eq!(r.text(), "false true");
    /// # }
    /// ```
    pub fn eof(&self) -> bool {
        self.read_done && self.pending.is_empty()
    }

    /// The request's trailers, after the body was read to its end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::{Body, HeaderMap};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.read_to_end(1024).await;
    ///     let t = s.request_trailers().and_then(|t| t.get("x-sum").cloned());
    ///     let _ = s.write(t.map_or(String::new(), |v| v.to_str().unwrap().to_owned())).await;
    /// }
    /// let (tx, body) = Body::channel(2);
    /// tx.send_data("data".into()).await.unwrap();
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-sum", "99".parse().unwrap());
    /// tx.send_trailers(trailers).await.unwrap();
    /// drop(tx);
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body(body)).await;
    /// assert_eq!(r.text(), "99");
    /// # }
    /// ```
    pub fn request_trailers(&mut self) -> Option<HeaderMap> {
        self.transport.take_request_trailers()
    }

    /// HTTP.jl's `closeread`: stop reading. An unread rest means the HTTP/1 connection closes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.closeread(); // not interested in the body
    ///     let next = s.read_chunk().await.unwrap();
    ///     let _ = s.write(format!("{next:?}")).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("ignored")).await;
    /// assert_eq!(r.text(), "None");
    /// # }
    /// ```
    pub fn closeread(&mut self) {
        self.read_done = true;
        self.pending = Bytes::new();
    }

    /// Takes the request out of the stream (head, context and the given body).
    /// Used by [`streamhandler`](crate::streamhandler).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let body = s.read_to_end(1024).await.unwrap();
    ///     let req = s.take_request(body.into());
    ///     let _ = s.write(format!("{} {}", req.method(), req.path())).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::PUT, "/doc")).await;
    /// assert_eq!(r.text(), "PUT /doc");
    /// # }
    /// ```
    pub fn take_request(&mut self, body: Body) -> Request {
        Request::from_parts(std::mem::take(&mut self.head), body, std::mem::take(&mut self.ctx))
    }

    /// HTTP.jl's `setstatus`. Fails once the head was written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::StatusCode;
    /// async fn h(s: &mut Stream) {
    ///     s.set_status(StatusCode::ACCEPTED).unwrap();
    ///     s.write("queued").await.unwrap();
    ///     assert!(s.set_status(StatusCode::OK).is_err(), "the head is already out");
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::POST, "/")).await.status, StatusCode::ACCEPTED);
    /// # }
    /// ```
    pub fn set_status(&mut self, status: StatusCode) -> Result<(), Error> {
        self.check_not_started()?;
        self.status = status;
        Ok(())
    }

    /// The response status set so far.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::StatusCode;
    /// async fn h(s: &mut Stream) {
    ///     assert_eq!(s.status(), StatusCode::OK, "the default");
    ///     s.set_status(StatusCode::NOT_FOUND).unwrap();
    ///     assert_eq!(s.status(), StatusCode::NOT_FOUND);
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.status, 404);
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// HTTP.jl's `setheader`: sets a response header, replacing earlier values.
    /// Fails once the head was written, or for an invalid name or value.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.set_header("content-type", "text/csv").unwrap();
    ///     assert!(s.set_header("bad name", "x").is_err());
    ///     let _ = s.write("a,b\n").await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.header("content-type"), Some("text/csv"));
    /// # }
    /// ```
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.check_not_started()?;
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Error::new(ErrorKind::State, e))?;
        let value = HeaderValue::from_str(value).map_err(|e| Error::new(ErrorKind::State, e))?;
        self.headers.insert(name, value);
        Ok(())
    }

    /// The response headers, to edit before the head is written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::{HeaderValue, header};
    /// async fn h(s: &mut Stream) {
    ///     let headers = s.response_headers_mut();
    ///     headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
    ///     headers.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.headers.get_all("set-cookie").iter().count(), 2);
    /// # }
    /// ```
    pub fn response_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// HTTP.jl's `addtrailer`: queues a trailer field, sent by [`closewrite`](Self::closewrite).
    /// Over HTTP/1.1 trailers need chunked framing and a client that sent `TE: trailers`;
    /// declare them in a `Trailer` header.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.set_header("trailer", "x-checksum").unwrap();
    ///     s.write("payload").await.unwrap();
    ///     s.add_trailer("x-checksum", "abc123").unwrap();
    ///     s.closewrite().await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.trailers.unwrap()["x-checksum"], "abc123");
    /// # }
    /// ```
    pub fn add_trailer(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if matches!(self.write, WriteState::Finished | WriteState::Aborted) {
            return Err(Error::new(ErrorKind::State, "response already finished"));
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Error::new(ErrorKind::State, e))?;
        let value = HeaderValue::from_str(value).map_err(|e| Error::new(ErrorKind::State, e))?;
        self.trailers.get_or_insert_with(HeaderMap::new).append(name, value);
        Ok(())
    }

    /// True once the response head was committed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     assert!(!s.is_head_sent());
    ///     s.startwrite().await.unwrap();
    ///     assert!(s.is_head_sent());
    /// }
    /// testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// # }
    /// ```
    pub fn is_head_sent(&self) -> bool {
        self.write != WriteState::NotStarted
    }

    /// True once the response ended (normally or aborted).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.write("done").await.unwrap();
    ///     assert!(!s.is_write_closed());
    ///     s.closewrite().await.unwrap();
    ///     assert!(s.is_write_closed() && !s.is_aborted());
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "done");
    /// # }
    /// ```
    pub fn is_write_closed(&self) -> bool {
        matches!(self.write, WriteState::Finished | WriteState::Aborted)
    }

    /// True when the response was cut off by an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.closewrite().await.unwrap();
    ///     assert!(!s.is_aborted(), "a normal end is not an abort");
    /// }
    /// testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// # }
    /// ```
    pub fn is_aborted(&self) -> bool {
        self.write == WriteState::Aborted
    }

    fn check_not_started(&self) -> Result<(), Error> {
        if self.write == WriteState::NotStarted {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::State, "response head already written"))
        }
    }

    /// HTTP.jl's `startwrite`: commits the response head. A `Content-Length` header set
    /// before this fixes the body length; otherwise the body is streamed (chunked on HTTP/1.1).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.set_header("content-length", "5").unwrap();
    ///     s.startwrite().await.unwrap(); // the head is committed with Content-Length: 5
    ///     s.write("hello").await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!((r.header("content-length"), r.text().as_str()), (Some("5"), "hello"));
    /// # }
    /// ```
    pub async fn startwrite(&mut self) -> Result<(), Error> {
        if self.write != WriteState::NotStarted {
            return Ok(());
        }
        let length = declared_length(&self.headers);
        self.commit_head(None, length, false)
    }

    fn commit_head(
        &mut self,
        headers: Option<&mut HeaderMap>,
        length: Option<u64>,
        end_stream: bool,
    ) -> Result<(), Error> {
        let (headers, may_take) = match headers {
            Some(h) => (h, true),
            None => (&mut self.headers, false),
        };
        let head = OutgoingHead { status: self.status, headers, may_take, length, end_stream };
        match self.transport.send_head(head) {
            Ok(()) => {
                self.write = if end_stream { WriteState::Finished } else { WriteState::Streaming };
                Ok(())
            }
            Err(e) => {
                self.write = WriteState::Aborted;
                Err(e)
            }
        }
    }

    /// Writes body bytes, committing the head first if needed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     for part in ["one ", "two ", "three"] {
    ///         if s.write(part).await.is_err() {
    ///             return; // the client went away
    ///         }
    ///     }
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "one two three");
    /// # }
    /// ```
    pub async fn write(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        let mut data = data.into();
        self.startwrite().await?;
        if self.write != WriteState::Streaming {
            return Err(Error::new(ErrorKind::State, "response already finished"));
        }
        if data.is_empty() {
            return Ok(());
        }
        let r = poll_fn(|cx| self.transport.poll_write(cx, &mut data)).await;
        self.abort_on_err(r)
    }

    /// Pushes buffered response bytes to the client now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn progress(s: &mut Stream) {
    ///     for pct in [50, 100] {
    ///         let _ = s.write(format!("{pct}%\n")).await;
    ///         let _ = s.flush().await; // reaches the client now, not when the handler returns
    ///     }
    /// }
    /// assert_eq!(testing::call_stream(&progress, Request::new(Method::GET, "/")).await.text(), "50%\n100%\n");
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.startwrite().await?;
        let r = poll_fn(|cx| self.transport.poll_flush(cx)).await;
        self.abort_on_err(r)
    }

    /// HTTP.jl's `closewrite`: ends the response, sending queued trailers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.write("bye").await.unwrap();
    ///     s.closewrite().await.unwrap();
    ///     assert!(s.write("more").await.is_err(), "the response is over");
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "bye");
    /// # }
    /// ```
    pub async fn closewrite(&mut self) -> Result<(), Error> {
        match self.write {
            WriteState::Finished => return Ok(()),
            WriteState::Aborted => return Err(Error::closed()),
            WriteState::NotStarted => {
                let length = declared_length(&self.headers).or(Some(0));
                let end = length == Some(0) && self.trailers.is_none();
                self.commit_head(None, length, end)?;
                if end {
                    // The engine flushes once the exchange is over (batching pipelined responses).
                    return Ok(());
                }
            }
            WriteState::Streaming => {}
        }
        let trailers = self.trailers.take();
        let r = poll_fn(|cx| self.transport.poll_finish(cx, trailers.as_ref())).await;
        if r.is_ok() {
            self.write = WriteState::Finished;
        }
        self.abort_on_err(r)
    }

    fn abort_on_err(&mut self, r: Result<(), Error>) -> Result<(), Error> {
        if r.is_err() {
            self.write = WriteState::Aborted;
        }
        r
    }

    /// Sends a whole [`Response`]: head, body (streamed frame by frame) and trailers.
    /// A body with a known length goes out with Content-Length.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::{Response, StatusCode};
    /// async fn h(s: &mut Stream) {
    ///     let resp = Response::new(StatusCode::CREATED).with_header("location", "/items/1").with_body("made");
    ///     s.write_response(resp).await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/items")).await;
    /// assert_eq!((r.status.as_u16(), r.header("location"), r.text().as_str()), (201, Some("/items/1"), "made"));
    /// # }
    /// ```
    pub async fn write_response(&mut self, response: Response) -> Result<(), Error> {
        self.check_not_started()?;
        let (status, mut headers, body) = response.into_parts();
        self.status = status;
        let length = body.exact_len().or_else(|| declared_length(&headers));
        let end = body.is_empty() && self.trailers.is_none();
        self.commit_head(Some(&mut headers), if end { Some(0) } else { length }, end)?;
        self.transport.recycle_headers(headers);
        if end {
            return Ok(());
        }
        // Bytes in hand (the common case) need one write, no frame loop. The general body
        // writer runs boxed: this future is moved at every `.await` up the handler chain,
        // and keeping the rare path's state out of it keeps those moves small.
        match body.into_full() {
            Ok(mut data) if self.trailers.is_none() => {
                let r = poll_fn(|cx| self.transport.poll_write(cx, &mut data)).await;
                self.abort_on_err(r)?;
                self.closewrite().await
            }
            Ok(data) => Box::pin(self.write_body(Body::from(data))).await,
            Err(body) => Box::pin(self.write_body(body)).await,
        }
    }

    /// Writes a response body after its head: zero-copy from a file where the transport
    /// can, otherwise frame by frame; then the trailers.
    async fn write_body(&mut self, mut body: Body) -> Result<(), Error> {
        if let Some((file, mut offset, mut remaining)) = body.file_region() {
            // A file-backed body goes out zero-copy where the transport can; otherwise its
            // fallback frames are streamed below.
            if self.trailers.is_none() {
                let r = poll_fn(|cx| self.transport.poll_send_file(cx, file, &mut offset, &mut remaining)).await;
                match r {
                    Ok(true) => return self.closewrite().await,
                    Ok(false) => {}
                    Err(e) => {
                        self.write = WriteState::Aborted;
                        return Err(e);
                    }
                }
            }
        }
        loop {
            // Flush whatever is buffered whenever the body has nothing ready, so streamed
            // responses (SSE, progress output) reach the client as they are produced.
            let frame = match poll_fn(|cx| Poll::Ready(body.poll_frame(cx))).await {
                Poll::Ready(f) => f,
                Poll::Pending => {
                    let r = poll_fn(|cx| self.transport.poll_flush(cx)).await;
                    self.abort_on_err(r)?;
                    body.next_frame().await
                }
            };
            let Some(frame) = frame else { break };
            match frame {
                Ok(Frame::Data(mut d)) => {
                    let r = poll_fn(|cx| self.transport.poll_write(cx, &mut d)).await;
                    self.abort_on_err(r)?;
                }
                Ok(Frame::Trailers(t)) => {
                    self.trailers.get_or_insert_with(HeaderMap::new).extend(t);
                    break;
                }
                Err(e) => {
                    self.write = WriteState::Aborted;
                    return Err(e);
                }
            }
        }
        self.closewrite().await
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("method", &self.head.method)
            .field("uri", &self.head.uri)
            .field("status", &self.status)
            .field("write", &self.write)
            .finish()
    }
}
