//! Middleware from an async function of the request and the rest of the chain.

use std::sync::Arc;

use http_core::{BoxHandler, Handler, IntoResponse, Request, Response};

use super::Layer;

/// Middleware from an async function `(Request, Next) -> impl IntoResponse`: it may change
/// the request, answer by itself, or call [`next.run(req)`](Next::run) and change the
/// response. No clones or trait imports needed.
///
/// Around a stream handler the request body is read as the stream handler reads it and its
/// response streams (through [`stream_as_serve`](http_core::stream_as_serve)).
///
/// ```
/// use http_core::{Method, Request, Response, StatusCode, testing};
/// use http_router::{Router, from_fn};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let auth = from_fn(|req, next| async move {
///     if req.header("authorization") != Some("Bearer secret") {
///         return Response::error(StatusCode::UNAUTHORIZED);
///     }
///     next.run(req).await.with_header("x-user", "ada")
/// });
/// let router = Router::new().use_middleware(auth).route("GET /me", |_r: Request| async { "me" });
/// let r = testing::call(&router, Request::new(Method::GET, "/me")).await;
/// assert_eq!(r.status, StatusCode::UNAUTHORIZED);
/// let r = testing::call(&router, Request::new(Method::GET, "/me").with_header("authorization", "Bearer secret")).await;
/// assert_eq!((r.text().as_str(), r.header("x-user")), ("me", Some("ada")));
/// # }
/// ```
pub fn from_fn<F, Fut>(f: F) -> FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    FromFn(Arc::new(f))
}

/// The layer made by [`from_fn`].
///
/// ```
/// use http_router::{FromFn, from_fn};
/// let layer = from_fn(|req, next| async move { next.run(req).await });
/// let _also_a_layer: FromFn<_> = layer.clone();
/// ```
pub struct FromFn<F>(Arc<F>);

impl<F> Clone for FromFn<F> {
    fn clone(&self) -> Self {
        FromFn(self.0.clone())
    }
}

impl<F> std::fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FromFn")
    }
}

/// The rest of the middleware chain, handed to a [`from_fn`] function.
///
/// ```
/// use http_router::from_fn;
/// let passthrough = from_fn(|req, next| next.run(req));
/// # let _ = passthrough;
/// ```
#[derive(Debug, Clone)]
pub struct Next(BoxHandler);

impl Next {
    /// Runs the rest of the chain (inner middleware, then the handler) on `req`.
    ///
    /// ```
    /// use http_core::{Method, Request, testing};
    /// use http_router::from_fn;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let twice = from_fn(|req, next| async move {
    ///     let body = next.run(req).await.into_body().collect(64).await.unwrap();
    ///     [body.clone(), body].concat()
    /// });
    /// let h = twice.wrap(|_r: Request| async { "ab" });
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "abab");
    /// # }
    /// ```
    pub fn run(self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        let next = self.0;
        async move { next.call(req).await }
    }
}

struct FromFnHandler<F> {
    f: Arc<F>,
    next: BoxHandler,
}

impl<F, Fut> Handler for FromFnHandler<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        // A combinator, as for closure handlers: an async block would copy the
        // middleware's future into its own state.
        futures_util::FutureExt::map((self.f)(req, Next(self.next.clone())), IntoResponse::into_response)
    }
}

impl<F, Fut> Layer for FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        BoxHandler::new(FromFnHandler { f: self.0.clone(), next })
    }
}

impl<F, Fut> FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    /// Wraps any handler — serve-style, stream, or a whole [`Router`](crate::Router) — into
    /// a stream handler; see [`Middleware::wrap`](crate::Middleware::wrap).
    ///
    /// ```
    /// use http_core::{Method, Request, Stream, testing};
    /// use http_router::from_fn;
    /// async fn listen(s: &mut Stream) { let _ = s.write("streamed").await; }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = from_fn(|req, next| async move { next.run(req).await.with_header("x-mw", "1") }).wrap(listen);
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!((r.text().as_str(), r.header("x-mw")), ("streamed", Some("1")));
    /// # }
    /// ```
    pub fn wrap<Style>(&self, handler: impl super::AnyHandler<Style>) -> http_core::BoxStreamHandler {
        super::Middleware::new(self.clone()).wrap(handler)
    }
}
