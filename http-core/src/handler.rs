//! Handlers: serve-style ([`Handler`], Request → Response) and listen-style
//! ([`StreamHandler`], `&mut Stream`), their type-erased forms, and the
//! [`streamhandler`] adapter that builds the first on the second.
//!
//! Any `async fn(Request) -> impl IntoResponse` (or closure returning such a future) is a
//! [`Handler`]; any `async fn(&mut Stream)` is a [`StreamHandler`]. Engines only run stream
//! handlers: serve-style code runs through [`streamhandler`], as in HTTP.jl.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::body::Body;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::stream::Stream;

/// A boxed, sendable future.
///
/// ```
/// use http_core::BoxFuture;
/// fn answer() -> BoxFuture<'static, u32> {
///     Box::pin(async { 42 })
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// assert_eq!(answer().await, 42);
/// # }
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A serve-style handler: Request → Response.
///
/// Implemented for every `Fn(Request) -> impl Future<Output = impl IntoResponse>`:
///
/// ```
/// use http_core::{Handler, Request, Method};
/// async fn hello(_req: Request) -> &'static str { "Hello, World!" }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let resp = hello.call(Request::new(Method::GET, "/")).await;
/// assert_eq!(resp.status(), 200);
/// # }
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Handler, Method, Request, StatusCode};
    /// let h = |_r: Request| async { (StatusCode::IM_A_TEAPOT, "short and stout") };
    /// let resp = h.call(Request::new(Method::GET, "/tea")).await;
    /// assert_eq!(resp.status(), StatusCode::IM_A_TEAPOT);
    /// # }
    /// ```
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        let fut = self(req);
        async move { fut.await.into_response() }
    }
}

trait DynHandler: Send + Sync + 'static {
    fn call_boxed(&self, req: Request) -> BoxFuture<'_, Response>;
}

impl<H: Handler> DynHandler for H {
    fn call_boxed(&self, req: Request) -> BoxFuture<'_, Response> {
        Box::pin(self.call(req))
    }
}

/// A type-erased, cheaply cloneable [`Handler`], for storing handlers of different types
/// together (routers, middleware chains).
///
/// ```
/// use http_core::{BoxHandler, Request};
/// let handlers = vec![
///     BoxHandler::new(|_r: Request| async { "a" }),
///     BoxHandler::new(|_r: Request| async { String::from("b") }),
/// ];
/// assert_eq!(handlers.len(), 2);
/// ```
#[derive(Clone)]
pub struct BoxHandler(Arc<dyn DynHandler>);

impl BoxHandler {
    /// Boxes `handler`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{BoxHandler, Handler, Method, Request};
    /// let h = BoxHandler::new(|r: Request| async move { format!("you asked for {}", r.path()) });
    /// let resp = h.clone().call(Request::new(Method::GET, "/x")).await;
    /// assert_eq!(resp.into_body().collect(64).await.unwrap(), "you asked for /x");
    /// # }
    /// ```
    pub fn new(handler: impl Handler) -> Self {
        BoxHandler(Arc::new(handler))
    }
}

impl Handler for BoxHandler {
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        self.0.call_boxed(req)
    }
}

impl std::fmt::Debug for BoxHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxHandler")
    }
}

/// A listen-style handler: reads the request and writes the response on a [`Stream`].
///
/// Implemented for every `async fn(&mut Stream)`:
///
/// ```
/// use http_core::{Stream, StreamHandler, BoxStreamHandler};
/// async fn hello(s: &mut Stream) {
///     let _ = s.write("hello").await;
/// }
/// let h = BoxStreamHandler::new(hello);
/// # let _ = h;
/// ```
///
/// What the engine does after the handler returns: an unstarted response is sent with
/// the status and headers set so far and an empty body; a started one is closed.
pub trait StreamHandler: Send + Sync + 'static {
    /// Handles one exchange.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::testing::MemoryTransport;
    /// use http_core::{Method, Request, Stream, StreamHandler};
    /// async fn hello(s: &mut Stream) {
    ///     let _ = s.write("hello").await;
    /// }
    /// let (head, body, ctx) = Request::new(Method::GET, "/").into_parts();
    /// let mut stream = Stream::new(MemoryTransport::default());
    /// stream.begin(head, ctx, 1024, body.is_empty());
    /// let user: &mut Stream = &mut stream;
    /// StreamHandler::call(&hello, user).await;
    /// assert!(user.is_head_sent());
    /// # }
    /// ```
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a;
}

/// Helper trait that names the future of a `Fn(&'a mut Stream)` for every `'a`; this is
/// what lets plain `async fn(&mut Stream)` items be stream handlers.
///
/// ```
/// use http_core::{Stream, StreamFn, StreamHandler};
/// async fn hi(s: &mut Stream) {
///     let _ = s.write("hi").await;
/// }
/// // `StreamFn` is what makes a plain `async fn(&mut Stream)` a `StreamHandler`:
/// fn is_stream_fn<F: for<'a> StreamFn<'a>>(_: &F) {}
/// fn is_stream_handler<H: StreamHandler>(_: &H) {}
/// is_stream_fn(&hi);
/// is_stream_handler(&hi);
/// ```
pub trait StreamFn<'a>: Send + Sync + 'static {
    /// The future returned for lifetime `'a`.
    type Fut: Future<Output = ()> + Send + 'a;
    /// Calls the function.
    fn call_stream(&'a self, stream: &'a mut Stream) -> Self::Fut;
}

impl<'a, F, Fut> StreamFn<'a> for F
where
    F: Fn(&'a mut Stream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'a,
{
    type Fut = Fut;
    fn call_stream(&'a self, stream: &'a mut Stream) -> Fut {
        self(stream)
    }
}

impl<F> StreamHandler for F
where
    F: for<'a> StreamFn<'a>,
{
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a {
        self.call_stream(stream)
    }
}

trait DynStreamHandler: Send + Sync + 'static {
    fn call_boxed<'a>(&'a self, stream: &'a mut Stream) -> BoxFuture<'a, ()>;
}

impl<H: StreamHandler> DynStreamHandler for H {
    fn call_boxed<'a>(&'a self, stream: &'a mut Stream) -> BoxFuture<'a, ()> {
        Box::pin(self.call(stream))
    }
}

/// A type-erased, cheaply cloneable [`StreamHandler`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{BoxStreamHandler, Method, Request, Stream, testing};
/// async fn a(s: &mut Stream) { let _ = s.write("a").await; }
/// async fn b(s: &mut Stream) { let _ = s.write("b").await; }
/// let handlers = [BoxStreamHandler::new(a), BoxStreamHandler::new(b)];
/// let r = testing::call_stream(&handlers[1], Request::new(Method::GET, "/")).await;
/// assert_eq!(r.text(), "b");
/// # }
/// ```
#[derive(Clone)]
pub struct BoxStreamHandler(Arc<dyn DynStreamHandler>);

impl BoxStreamHandler {
    /// Boxes `handler`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{BoxStreamHandler, Method, Request, Stream, testing};
    /// async fn hello(s: &mut Stream) {
    ///     let _ = s.write("hello").await;
    /// }
    /// let h = BoxStreamHandler::new(hello);
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "hello");
    /// # }
    /// ```
    pub fn new(handler: impl StreamHandler) -> Self {
        BoxStreamHandler(Arc::new(handler))
    }
}

impl StreamHandler for BoxStreamHandler {
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a {
        self.0.call_boxed(stream)
    }
}

impl std::fmt::Debug for BoxStreamHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxStreamHandler")
    }
}

/// A serve-style handler running as a stream handler; made by [`streamhandler`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, ServeStream, streamhandler, testing};
/// let h: ServeStream<_> = streamhandler(|mut r: Request| async move { r.take_body().collect(64).await.unwrap() });
/// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("echo")).await;
/// assert_eq!(r.text(), "echo");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ServeStream<H>(pub H);

/// HTTP.jl's `streamhandler`: adapts a Request → Response handler to a stream handler.
///
/// The request body is read first, up to the server's `max_body_bytes` (a larger one is
/// answered 413 without calling the handler; a malformed one 400), then the handler runs
/// and its response is written, streamed if its body is a stream.
///
/// ```
/// use http_core::{streamhandler, Request};
/// let h = streamhandler(|_r: Request| async { "hi" });
/// # let _ = h;
/// ```
pub fn streamhandler<H: Handler>(handler: H) -> ServeStream<H> {
    ServeStream(handler)
}

impl<H: Handler> StreamHandler for ServeStream<H> {
    async fn call<'a>(&'a self, s: &'a mut Stream) {
        let body = match s.read_to_end(s.max_body_bytes()).await {
            Ok(b) => b,
            Err(e) => {
                tracing::info!(error = %e, status = e.status().as_u16(), "request body rejected");
                let _ = s.write_response(Response::error(e.status())).await;
                return;
            }
        };
        let req = s.take_request(Body::from(body));
        let resp = self.0.call(req).await;
        if let Err(e) = s.write_response(resp).await {
            tracing::debug!(error = %e, "response write failed");
        }
    }
}
