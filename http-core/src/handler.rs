//! Handlers: serve-style ([`Handler`], Request → Response) and listen-style
//! ([`StreamHandler`], `&mut Stream`), and their type-erased forms.
//!
//! Any `async fn(Request) -> impl IntoResponse` (or closure returning such a future) is a
//! [`Handler`]; any `async fn(&mut Stream)` is a [`StreamHandler`]. Engines only run stream
//! handlers: serve-style code runs through [`serve_as_stream`](crate::serve_as_stream), as
//! in HTTP.jl; the adapters for both directions are in [`adapt`](crate::adapt).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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
        // A combinator, not `async move { fut.await.into_response() }`: an async block
        // would copy the handler's future (and the request inside it) into its own state,
        // and again into its awaitee slot when first polled; `Map` polls it where it is.
        futures_util::FutureExt::map(self(req), IntoResponse::into_response)
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
/// Implemented for every `async fn(&mut Stream)` and every async closure
/// `async |s: &mut Stream| { … }` that captures nothing:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{BoxStreamHandler, Method, Request, Stream, testing};
/// async fn hello(s: &mut Stream) {
///     let _ = s.write("hello").await;
/// }
/// let h = BoxStreamHandler::new(hello);
/// let closure = async |s: &mut Stream| {
///     let _ = s.write("from a closure").await;
/// };
/// assert_eq!(testing::call_stream(&closure, Request::new(Method::GET, "/")).await.text(), "from a closure");
/// # let _ = h;
/// # }
/// ```
///
/// A closure that captures state (its future borrows the closure, which Rust's `Fn`
/// traits cannot express) goes through [`stream_fn`].
///
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

/// Makes a capturing closure a stream handler: the closure returns its future boxed,
/// `move |s| Box::pin(async move { … })`. (A closure capturing nothing needs no helper:
/// `async |s: &mut Stream| { … }` is a [`StreamHandler`] as it is.)
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::Arc;
/// use http_core::{Method, Request, stream_fn, testing};
/// let greeting = Arc::new(String::from("hello"));
/// let h = stream_fn(move |s| {
///     let greeting = greeting.clone();
///     Box::pin(async move {
///         let _ = s.write(format!("{greeting} {}", s.startread().uri.path())).await;
///     })
/// });
/// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/you")).await.text(), "hello /you");
/// # }
/// ```
pub fn stream_fn<F>(f: F) -> F
where
    F: for<'a> Fn(&'a mut Stream) -> BoxFuture<'a, ()> + Send + Sync + 'static,
{
    f
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
/// One boxed from a serve-style handler ([`from_serve`](Self::from_serve)) keeps that
/// handler too ([`serve_form`](Self::serve_form)), so serve-style middleware and in-process
/// calls reach it without going through a [`Stream`].
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
pub struct BoxStreamHandler {
    stream: Arc<dyn DynStreamHandler>,
    serve: Option<BoxHandler>,
}

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
        let any: &dyn Any = &handler;
        if let Some(boxed) = any.downcast_ref::<BoxStreamHandler>() {
            // Already boxed: keep it (and its serve form) rather than boxing it again.
            return boxed.clone();
        }
        BoxStreamHandler { stream: Arc::new(handler), serve: None }
    }

    /// Boxes a serve-style handler as a stream handler (through
    /// [`serve_as_stream`](crate::serve_as_stream)), keeping it as its
    /// [`serve_form`](Self::serve_form). Running it as a stream handler costs the same as
    /// `BoxStreamHandler::new(serve_as_stream(handler))`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{BoxStreamHandler, Method, Request, testing};
    /// let h = BoxStreamHandler::from_serve(|r: Request| async move { format!("hi {}", r.path()) });
    /// assert!(h.serve_form().is_some());
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/x")).await.text(), "hi /x");
    /// # }
    /// ```
    pub fn from_serve(handler: impl Handler) -> Self {
        let any: &dyn Any = &handler;
        if let Some(boxed) = any.downcast_ref::<BoxHandler>() {
            // Already boxed: share it rather than boxing it again.
            let stream = Arc::new(crate::serve_as_stream(boxed.clone()));
            return BoxStreamHandler { stream, serve: Some(boxed.clone()) };
        }
        let shared = Arc::new(handler);
        let serve = BoxHandler(shared.clone());
        BoxStreamHandler { stream: Arc::new(crate::serve_as_stream(SharedHandler(shared))), serve: Some(serve) }
    }

    /// The serve-style handler this was boxed from with [`from_serve`](Self::from_serve).
    ///
    /// ```
    /// use http_core::{BoxStreamHandler, Request, Stream};
    /// async fn listen(_s: &mut Stream) {}
    /// assert!(BoxStreamHandler::new(listen).serve_form().is_none());
    /// assert!(BoxStreamHandler::from_serve(|_r: Request| async { "" }).serve_form().is_some());
    /// ```
    pub fn serve_form(&self) -> Option<&BoxHandler> {
        self.serve.as_ref()
    }
}

/// A handler shared between the two forms of a [`BoxStreamHandler`].
struct SharedHandler<H>(Arc<H>);

impl<H: Handler> Handler for SharedHandler<H> {
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        self.0.call(req)
    }
}

impl StreamHandler for BoxStreamHandler {
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a {
        self.stream.call_boxed(stream)
    }
}

impl std::fmt::Debug for BoxStreamHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.serve.is_some() { "BoxStreamHandler(serve)" } else { "BoxStreamHandler" })
    }
}
