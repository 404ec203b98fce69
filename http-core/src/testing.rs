//! Calling handlers in-process, without a socket: the way to unit-test handlers and routers.
//!
//! [`call`] runs a serve-style [`Handler`]; [`call_stream`] runs a [`StreamHandler`] over an
//! in-memory [`Transport`] that behaves like the real engines (the same `Stream` methods,
//! HEAD bodies suppressed, trailers kept).

use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode, Version};

use crate::body::{Body, Frame};
use crate::engine::{OutgoingHead, Transport};
use crate::error::Error;
use crate::handler::{Handler, StreamHandler};
use crate::request::Request;
use crate::stream::Stream;

pub use crate::test_client::{TestClient, TestRequest};

/// A response as a client would see it: everything collected.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, StatusCode, testing};
/// let r = testing::call(&|_r: Request| async { (StatusCode::CREATED, "made") }, Request::new(Method::POST, "/")).await;
/// assert_eq!(r.status, StatusCode::CREATED);
/// assert_eq!(&r.body[..], b"made");
/// assert!(r.trailers.is_none());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Header fields.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Trailers, if any were sent.
    pub trailers: Option<HeaderMap>,
}

impl TestResponse {
    /// The body as UTF-8 text (lossy).
    ///
    /// ```
    /// let r = http_core::testing::TestResponse { body: "h\u{e9}llo".into(), ..Default::default() };
    /// assert_eq!(r.text(), "héllo");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of a header as text.
    ///
    /// ```
    /// let mut r = http_core::testing::TestResponse::default();
    /// r.headers.insert("content-type", "text/plain".parse().unwrap());
    /// assert_eq!(r.header("Content-Type"), Some("text/plain"));
    /// assert_eq!(r.header("etag"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Calls a serve-style handler and collects its response.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Request, Method};
/// let r = testing::call(&|_r: Request| async { "hi" }, Request::new(Method::GET, "/")).await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "hi"));
/// # }
/// ```
pub async fn call<H: Handler>(handler: &H, req: Request) -> TestResponse {
    let is_head = req.method() == Method::HEAD;
    let (status, headers, mut body) = handler.call(req).await.into_parts();
    let mut out = TestResponse { status, headers, ..Default::default() };
    let mut buf = BytesMut::new();
    while let Some(frame) = body.next_frame().await {
        match frame {
            Ok(Frame::Data(d)) => buf.extend_from_slice(&d),
            Ok(Frame::Trailers(t)) => out.trailers = Some(t),
            Err(_) => break,
        }
    }
    if !is_head {
        out.body = buf.freeze();
    }
    out
}

/// Calls a stream handler over an in-memory transport and collects its response.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Request, Method, Stream};
/// async fn upper(s: &mut Stream) {
///     let body = s.read_to_end(1024).await.unwrap();
///     let _ = s.write(body.to_ascii_uppercase()).await;
/// }
/// let r = testing::call_stream(&upper, Request::new(Method::POST, "/").with_body("abc")).await;
/// assert_eq!(r.text(), "ABC");
/// # }
/// ```
pub async fn call_stream<H: StreamHandler>(handler: &H, req: Request) -> TestResponse {
    let (head, body, ctx) = req.into_parts();
    let is_head = head.method == Method::HEAD;
    let empty = body.is_empty();
    let mut stream = Stream::new(MemoryTransport { body, is_head, ..Default::default() });
    stream.begin(head, ctx, 64 * 1024 * 1024, empty);
    let user: &mut Stream = &mut stream;
    handler.call(user).await;
    if !user.is_write_closed() {
        let _ = user.closewrite().await;
    }
    std::mem::take(&mut stream.transport_mut().out)
}

/// An in-memory [`Transport`]: the request body comes from a [`Body`], the response is
/// collected into a [`TestResponse`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::testing::MemoryTransport;
/// use http_core::{Method, Request, Stream};
/// let (head, body, ctx) = Request::new(Method::GET, "/").into_parts();
/// let mut stream = Stream::new(MemoryTransport::default());
/// stream.begin(head, ctx, 1024, body.is_empty());
/// let user: &mut Stream = &mut stream;
/// user.write("over memory").await.unwrap();
/// user.closewrite().await.unwrap();
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryTransport {
    body: Body,
    request_trailers: Option<HeaderMap>,
    is_head: bool,
    out: TestResponse,
    buf: BytesMut,
}

impl Transport for MemoryTransport {
    fn version(&self) -> Version {
        Version::HTTP_11
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        self.body.poll_data(cx, &mut self.request_trailers)
    }

    fn take_request_trailers(&mut self) -> Option<HeaderMap> {
        self.request_trailers.take()
    }

    fn send_head(&mut self, mut head: OutgoingHead<'_>) -> Result<(), Error> {
        self.out.status = head.status;
        self.out.headers = head.owned_headers();
        if let Some(len) = head.length {
            self.out.headers.insert(http::header::CONTENT_LENGTH, len.into());
        }
        Ok(())
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
        if !self.is_head {
            self.buf.extend_from_slice(data);
        }
        *data = Bytes::new();
        Poll::Ready(Ok(()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_finish(&mut self, _cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>> {
        self.out.trailers = trailers.cloned();
        self.out.body = std::mem::take(&mut self.buf).freeze();
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve_as_stream;

    #[tokio::test]
    async fn serve_style_runs_through_serve_as_stream() {
        let h = serve_as_stream(|r: Request| async move { format!("{} {}", r.method(), r.path()) });
        let r = call_stream(&h, Request::new(Method::GET, "/x")).await;
        assert_eq!(r.text(), "GET /x");
        assert_eq!(r.header("content-length"), Some("6"));
    }

    #[tokio::test]
    async fn stream_trailers_and_status() {
        async fn h(s: &mut Stream) {
            s.setstatus(StatusCode::ACCEPTED).unwrap();
            s.write("abc").await.unwrap();
            assert!(s.setstatus(StatusCode::OK).is_err(), "status is fixed once writing started");
            s.addtrailer("x-sum", "1").unwrap();
            s.closewrite().await.unwrap();
        }
        let r = call_stream(&h, Request::new(Method::GET, "/")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.text(), "abc");
        assert_eq!(r.trailers.unwrap().get("x-sum").unwrap(), "1");
    }

    #[tokio::test]
    async fn body_over_limit_is_413_without_calling_handler() {
        let called = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let c = called.clone();
        let h = serve_as_stream(move |_r: Request| {
            c.store(true, std::sync::atomic::Ordering::SeqCst);
            async { "x" }
        });
        // A body is on its way (as on the wire, where a declared length over zero means
        // one): a request already at its end is not read, whatever it declares.
        let req = Request::new(Method::POST, "/").with_header("content-length", "999999999999").with_body("x");
        let r = call_stream(&h, req).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn upgrade_checks_before_touching_the_response() {
        async fn h(s: &mut Stream) {
            // Wrong status for HTTP/1.1: refused, the response is still open.
            assert!(s.upgrade().await.is_err());
            assert!(!s.is_head_sent());
            s.setstatus(StatusCode::SWITCHING_PROTOCOLS).unwrap();
            // The in-memory transport has no connection to hand over.
            assert!(s.upgrade().await.is_err());
            assert!(s.is_aborted());
        }
        let req =
            Request::new(Method::GET, "/").with_header("connection", "keep-alive, Upgrade").with_header("upgrade", "x");
        let r = call_stream(&h, req).await;
        assert_eq!(r.status, StatusCode::SWITCHING_PROTOCOLS);

        async fn not_asked(s: &mut Stream) {
            s.setstatus(StatusCode::SWITCHING_PROTOCOLS).unwrap();
            assert!(s.upgrade().await.is_err());
            assert!(!s.is_head_sent(), "a request that asks for no upgrade gets none");
            s.setstatus(StatusCode::OK).unwrap();
        }
        assert_eq!(call_stream(&not_asked, Request::new(Method::GET, "/")).await.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn untouched_stream_answers_empty_200() {
        async fn nothing(_s: &mut Stream) {}
        let r = call_stream(&nothing, Request::new(Method::GET, "/")).await;
        assert_eq!((r.status, r.body.len()), (StatusCode::OK, 0));
    }
}
