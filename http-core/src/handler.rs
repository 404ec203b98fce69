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
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a;
}

/// Helper trait that names the future of a `Fn(&'a mut Stream)` for every `'a`; this is
/// what lets plain `async fn(&mut Stream)` items be stream handlers.
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
#[derive(Clone)]
pub struct BoxStreamHandler(Arc<dyn DynStreamHandler>);

impl BoxStreamHandler {
    /// Boxes `handler`.
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
