//! The [`Stream`]: one request/response exchange, read and written incrementally.
//!
//! This is HTTP.jl's `HTTP.Stream` for listen-style handlers, and the one object every
//! protocol engine hands to user code: HTTP/1.1 and HTTP/2 each implement
//! [`Transport`](crate::engine::Transport), and user code sees the same `Stream` whichever
//! carried the request. Serve-style handlers are adapted onto it by
//! [`serve_as_stream`](crate::serve_as_stream).
//!
//! Lifecycle (RFC 9110 §6, message = head + content + trailers):
//! 1. [`startread`](Stream::startread) returns the request head;
//! 2. the body is read with [`read_chunk`](Stream::read_chunk) / [`read`](Stream::read)
//!    (HTTP/1.1 sends `100 Continue` on the first read when the client asked for it);
//! 3. [`setstatus`](Stream::setstatus) and [`setheader`](Stream::setheader) shape the
//!    response head, sent by [`startwrite`](Stream::startwrite) or the first write;
//! 4. [`write`](Stream::write) sends body bytes; [`addtrailer`](Stream::addtrailer)
//!    queues trailers; [`closewrite`](Stream::closewrite) ends the response (the writing
//!    side lives in `write.rs`, the reading side in `read.rs`).

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode, Version};

use crate::context::RequestContext;
use crate::engine::Transport;
use crate::error::{Error, ErrorKind};
use crate::request::RequestHead;

mod read;
mod write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteState {
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
///     s.setstatus(StatusCode::OK).unwrap();
///     s.setheader("content-type", "application/octet-stream").unwrap();
///     while let Ok(Some(chunk)) = s.read_chunk().await {
///         if s.write(chunk).await.is_err() {
///             return;
///         }
///     }
///     let _ = s.closewrite().await;
/// }
/// ```
///
/// `Stream` is `Stream<dyn Transport>`: the engine that carries the exchange owns it as
/// `Stream<ItsTransport>` (see [`engine`](crate::engine)) and hands it over unsized.
pub struct Stream<T: ?Sized + Transport = dyn Transport> {
    pub(crate) head: RequestHead,
    pub(crate) ctx: RequestContext,
    pub(crate) max_body_bytes: u64,
    pub(crate) read_done: bool,
    pub(crate) pending: Bytes,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// Boxed: rare, and the `Stream` lives as long as its connection.
    pub(crate) trailers: Option<Box<HeaderMap>>,
    pub(crate) write: WriteState,
    /// The body length the response head declared (`Content-Length`), once it is sent.
    pub(crate) response_length: Option<u64>,
    /// Last, so that `Stream<T>` unsizes to `Stream<dyn Transport>`.
    pub(crate) transport: T,
}

impl Stream {
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

    /// A route parameter, as [`Request::param`](crate::Request::param) gives it for a
    /// serve-style handler (HTTP.jl's `getparam`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn user(s: &mut Stream) {
    ///     let id = s.param("id").unwrap_or("?").to_owned();
    ///     let _ = s.write(format!("user {id}")).await;
    /// }
    /// let mut req = Request::new(Method::GET, "/users/7");
    /// req.context_mut().params_mut().push("id", "7");
    /// assert_eq!(testing::call_stream(&user, req).await.text(), "user 7");
    /// # }
    /// ```
    pub fn param(&self, name: &str) -> Option<&str> {
        self.ctx.params().get(name)
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

    /// The client's address as trusted proxies reported it, else the peer's (see
    /// [`Request::client_addr`](crate::Request::client_addr)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let who = s.client_addr().map_or("unknown".to_owned(), |a| a.ip().to_string());
    ///     let _ = s.write(format!("{} {who}", s.scheme())).await;
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "http unknown");
    /// # }
    /// ```
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.ctx.client_addr()
    }

    /// `"https"` or `"http"`, as the client sees it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.write(s.scheme()).await;
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "http");
    /// # }
    /// ```
    pub fn scheme(&self) -> &'static str {
        self.ctx.scheme()
    }

    /// The host the client asked for (a trusted proxy's report, else `Host`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let host = s.host().unwrap_or("-").to_owned();
    ///     let _ = s.write(host).await;
    /// }
    /// let req = Request::new(Method::GET, "/").with_header("host", "example.net");
    /// assert_eq!(testing::call_stream(&h, req).await.text(), "example.net");
    /// # }
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.ctx.host(&self.head)
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
    ///     let _ = s.setstatus(status);
    /// }
    /// let req = Request::new(Method::POST, "/").with_body("too long");
    /// assert_eq!(testing::call_stream(&small_bodies_only, req).await.status, 413);
    /// # }
    /// ```
    pub fn limit_body_bytes(&mut self, max: u64) {
        self.max_body_bytes = self.max_body_bytes.min(max);
    }

    /// The body length the response head declared (`Content-Length`, or the length of a
    /// body known in advance), once the head is out; `None` before, and for a body sent
    /// chunked or until close.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     assert_eq!(s.response_length(), None);
    ///     s.write_response(http_core::Response::new(http_core::StatusCode::OK).with_body("hello")).await.unwrap();
    ///     assert_eq!(s.response_length(), Some(5));
    /// }
    /// testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// # }
    /// ```
    pub fn response_length(&self) -> Option<u64> {
        self.response_length
    }

    /// HTTP.jl's `setstatus`. Fails once the head was written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::StatusCode;
    /// async fn h(s: &mut Stream) {
    ///     s.setstatus(StatusCode::ACCEPTED).unwrap();
    ///     s.write("queued").await.unwrap();
    ///     assert!(s.setstatus(StatusCode::OK).is_err(), "the head is already out");
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::POST, "/")).await.status, StatusCode::ACCEPTED);
    /// # }
    /// ```
    pub fn setstatus(&mut self, status: StatusCode) -> Result<(), Error> {
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
    ///     s.setstatus(StatusCode::NOT_FOUND).unwrap();
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
    ///     s.setheader("content-type", "text/csv").unwrap();
    ///     assert!(s.setheader("bad name", "x").is_err());
    ///     let _ = s.write("a,b\n").await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.header("content-type"), Some("text/csv"));
    /// # }
    /// ```
    pub fn setheader(&mut self, name: &str, value: &str) -> Result<(), Error> {
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
    ///     s.setheader("trailer", "x-checksum").unwrap();
    ///     s.write("payload").await.unwrap();
    ///     s.addtrailer("x-checksum", "abc123").unwrap();
    ///     s.closewrite().await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.trailers.unwrap()["x-checksum"], "abc123");
    /// # }
    /// ```
    pub fn addtrailer(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if matches!(self.write, WriteState::Finished | WriteState::Aborted) {
            return Err(Error::new(ErrorKind::State, "response already finished"));
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Error::new(ErrorKind::State, e))?;
        let value = HeaderValue::from_str(value).map_err(|e| Error::new(ErrorKind::State, e))?;
        self.trailers.get_or_insert_with(Default::default).append(name, value);
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

    pub(crate) fn check_not_started(&self) -> Result<(), Error> {
        if self.write == WriteState::NotStarted {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::State, "response head already written"))
        }
    }
}

pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

impl<T: ?Sized + Transport> std::fmt::Debug for Stream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("method", &self.head.method)
            .field("uri", &self.head.uri)
            .field("status", &self.status)
            .field("write", &self.write)
            .finish()
    }
}
