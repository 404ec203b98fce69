//! Middleware: functions from handler to handler, for serve-style and stream handlers alike.
//!
//! The quickest is an async function of the request and the rest of the chain,
//! [`from_fn`]. A [`Layer`] wraps a serve-style [`BoxHandler`] ([`Layer::wrap_serve`]) and
//! a stream handler ([`Layer::wrap_stream`]). Any `Fn(BoxHandler) -> BoxHandler` is a layer;
//! its stream form runs the stream handler through
//! [`stream_as_serve`](http_core::stream_as_serve) (the request body is read as the stream
//! handler reads it, the response streams). The ready-made layers implement both forms
//! natively:
//!
//! | layer | does |
//! |---|---|
//! | [`logging`] | one `tracing` event per request: method, path, route, status, bytes, duration |
//! | [`catch_panics`] | a panicking handler answers 500 instead of dropping the connection |
//! | [`body_limit`] | requests bodies over a size are answered 413 |
//! | [`handlertimeout`] | a handler past its deadline is dropped and 503 is sent |
//!
//! Layers added to a router with [`Router::use_middleware`](crate::Router::use_middleware)
//! wrap every route (also those registered earlier) and the router's own 404/405/400/OPTIONS
//! answers; per-route layers ([`Router::route_with`](crate::Router::route_with)) sit inside
//! them. In both lists the first added is the outermost. Each layer also wraps a single
//! handler, serve-style or stream, or a whole router, with its `wrap` method.
//!
//! ```
//! use http_core::{Method, Request, testing};
//! use http_router::{Router, from_fn};
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let stamp = from_fn(|req, next| async move { next.run(req).await.with_header("x-stamp", "1") });
//! let router = Router::new().use_middleware(stamp).route("GET /", |_r: Request| async { "hi" });
//! let r = testing::call(&router, Request::new(Method::GET, "/")).await;
//! assert_eq!(r.header("x-stamp"), Some("1"));
//! # }
//! ```

mod from_fn;
mod limit;
mod logging;
mod panic;
mod timeout;

use std::sync::Arc;

use http_core::{BoxHandler, BoxStreamHandler, IntoResponse, Request, StreamHandler, stream_as_serve};

pub use from_fn::{FromFn, Next, from_fn};
pub use limit::{BodyLimit, body_limit};
pub use logging::{LOG_TARGET, Logging, logging};
pub use panic::{CatchPanics, catch_panics};
pub use timeout::{HandlerTimeout, handlertimeout};

/// A middleware: wraps a handler in another.
///
/// Implement [`wrap_serve`](Layer::wrap_serve); implement
/// [`wrap_stream`](Layer::wrap_stream) too to keep stream handlers streaming their request
/// bodies. For a layer that is one async function, [`from_fn`] is shorter.
///
/// ```
/// use http_core::{BoxHandler, Handler, Method, Request, testing};
/// use http_router::{Layer, Router};
/// struct PoweredBy(&'static str);
/// impl Layer for PoweredBy {
///     fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
///         let value = self.0;
///         BoxHandler::new(move |req: Request| {
///             let next = next.clone();
///             async move { next.call(req).await.with_header("x-powered-by", value) }
///         })
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new().use_middleware(PoweredBy("rust")).route("GET /", |_r: Request| async { "hi" });
/// let r = testing::call(&router, Request::new(Method::GET, "/")).await;
/// assert_eq!(r.header("x-powered-by"), Some("rust"));
/// # }
/// ```
pub trait Layer: Send + Sync + 'static {
    /// Wraps a serve-style handler.
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler;

    /// Wraps a stream handler. The default runs `next` as a serve-style handler through
    /// [`stream_as_serve`](http_core::stream_as_serve) and wraps that with
    /// [`wrap_serve`](Layer::wrap_serve); the request body reaches `next` as it reads it.
    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::from_serve(self.wrap_serve(BoxHandler::new(stream_as_serve(next))))
    }
}

impl<F> Layer for F
where
    F: Fn(BoxHandler) -> BoxHandler + Send + Sync + 'static,
{
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        self(next)
    }
}

/// Helps closure type inference: returns `f`, typed as a middleware function.
///
/// ```
/// use http_core::BoxHandler;
/// let identity = http_router::layer_fn(|next: BoxHandler| next);
/// # let _ = http_router::Middleware::new(identity);
/// ```
pub fn layer_fn<F>(f: F) -> F
where
    F: Fn(BoxHandler) -> BoxHandler + Send + Sync + 'static,
{
    f
}

/// A shareable, type-erased [`Layer`]; what routers store. Any layer converts into one.
///
/// ```
/// use std::time::Duration;
/// use http_router::{Middleware, catch_panics, handlertimeout};
/// let stack: Vec<Middleware> = vec![catch_panics().into(), handlertimeout(Duration::from_secs(5)).into()];
/// assert_eq!(stack.len(), 2);
/// ```
#[derive(Clone)]
pub struct Middleware(Arc<dyn Layer>);

impl Middleware {
    /// Erases `layer`.
    ///
    /// ```
    /// use http_core::BoxHandler;
    /// use http_router::{Middleware, catch_panics, layer_fn};
    /// let a = Middleware::new(catch_panics());
    /// let b = Middleware::new(layer_fn(|next: BoxHandler| next));
    /// assert_eq!(format!("{a:?} {b:?}"), "Middleware Middleware");
    /// ```
    pub fn new(layer: impl Layer) -> Self {
        Middleware(Arc::new(layer))
    }

    /// Wraps any handler — a serve-style function, a stream handler, a [`Router`](crate::Router)
    /// — into a stream handler (what servers run; [`stream_as_serve`](http_core::stream_as_serve)
    /// makes it serve-style again). A serve-style handler stays serve-style inside.
    ///
    /// ```
    /// use http_core::{Method, Request, Stream, testing};
    /// use http_router::{Middleware, body_limit, catch_panics};
    /// async fn boom(_r: Request) -> &'static str { panic!("boom") }
    /// async fn echo(s: &mut Stream) {
    ///     let body = s.read_to_end(1 << 20).await.unwrap_or_default();
    ///     let _ = s.write(body).await;
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = Middleware::new(catch_panics()).wrap(boom);
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.status.as_u16(), 500);
    /// let h = Middleware::new(body_limit(3)).wrap(echo);
    /// let req = Request::new(Method::POST, "/").with_header("content-length", "7").with_body("too big");
    /// assert_eq!(testing::call_stream(&h, req).await.status.as_u16(), 413);
    /// # }
    /// ```
    pub fn wrap<Style>(&self, handler: impl AnyHandler<Style>) -> BoxStreamHandler {
        self.apply(handler.into_stream_handler())
    }

    /// Wraps a compiled handler: its serve form through [`Layer::wrap_serve`] when it has one
    /// (so serve-style handlers stay serve-style through every layer), otherwise the
    /// stream handler through [`Layer::wrap_stream`].
    pub(crate) fn apply(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        match next.serve_form() {
            Some(serve) => BoxStreamHandler::from_serve(self.0.wrap_serve(serve.clone())),
            None => self.0.wrap_stream(next),
        }
    }
}

impl<L: Layer> From<L> for Middleware {
    fn from(layer: L) -> Self {
        Middleware::new(layer)
    }
}

impl std::fmt::Debug for Middleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Middleware")
    }
}

/// Anything a middleware's `wrap` accepts: a serve-style function or closure
/// (`Fn(Request) -> impl Future<Output = impl IntoResponse>`), a [`BoxHandler`], or any
/// [`StreamHandler`] (a stream function, a [`Router`](crate::Router), an already wrapped
/// handler). `Style` is [`ServeStyle`] or [`StreamStyle`], inferred; box other serve-style
/// handler types with [`BoxHandler::new`].
///
/// ```
/// use http_core::{BoxStreamHandler, Request, Stream};
/// use http_router::AnyHandler;
/// fn boxed<S>(h: impl AnyHandler<S>) -> BoxStreamHandler { h.into_stream_handler() }
/// async fn listen(_s: &mut Stream) {}
/// assert!(boxed(|_r: Request| async { "serve" }).serve_form().is_some());
/// assert!(boxed(listen).serve_form().is_none());
/// ```
pub trait AnyHandler<Style>: Send + Sync + 'static {
    /// Boxes the handler as a stream handler (a serve-style one keeps its serve form).
    fn into_stream_handler(self) -> BoxStreamHandler;
}

/// [`AnyHandler`]'s style for serve-style handlers.
///
/// ```
/// use http_core::Request;
/// fn is_serve<H: http_router::AnyHandler<http_router::ServeStyle>>(_: &H) {}
/// is_serve(&|_r: Request| async { "" });
/// ```
#[derive(Debug)]
pub enum ServeStyle {}

/// [`AnyHandler`]'s style for stream handlers.
///
/// ```
/// fn is_stream<H: http_router::AnyHandler<http_router::StreamStyle>>(_: &H) {}
/// is_stream(&http_router::Router::new());
/// ```
#[derive(Debug)]
pub enum StreamStyle {}

impl<F, Fut> AnyHandler<ServeStyle> for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: IntoResponse,
{
    fn into_stream_handler(self) -> BoxStreamHandler {
        BoxStreamHandler::from_serve(self)
    }
}

impl AnyHandler<ServeStyle> for BoxHandler {
    fn into_stream_handler(self) -> BoxStreamHandler {
        BoxStreamHandler::from_serve(self)
    }
}

impl<H: StreamHandler> AnyHandler<StreamStyle> for H {
    fn into_stream_handler(self) -> BoxStreamHandler {
        BoxStreamHandler::new(self)
    }
}

/// Gives each ready-made layer an inherent `wrap` (no trait import needed).
macro_rules! wrap_method {
    ($($layer:ty => $make:literal),* $(,)?) => {$(
        impl $layer {
            /// Wraps any handler — serve-style, stream, or a whole
            /// [`Router`](crate::Router) — into a stream handler; see
            /// [`Middleware::wrap`](crate::Middleware::wrap).
            ///
            /// ```
            /// use http_core::{Method, Request, testing};
            /// # #[tokio::main(flavor = "current_thread")] async fn main() {
            #[doc = concat!("let h = ", $make, ".wrap(|_r: Request| async { \"ok\" });")]
            /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "ok");
            /// # }
            /// ```
            pub fn wrap<Style>(&self, handler: impl AnyHandler<Style>) -> BoxStreamHandler {
                Middleware::new(self.clone()).wrap(handler)
            }
        }
    )*};
}

wrap_method! {
    BodyLimit => "http_router::body_limit(1024)",
    CatchPanics => "http_router::catch_panics()",
    HandlerTimeout => "http_router::handlertimeout(std::time::Duration::from_secs(5))",
    Logging => "http_router::logging()",
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Handler, Method, Stream, testing};

    fn tag(name: &'static str) -> impl Layer {
        move |next: BoxHandler| {
            BoxHandler::new(move |req: Request| {
                let next = next.clone();
                async move {
                    let r = next.call(req).await;
                    let prev = r.header("x-order").unwrap_or("").to_owned();
                    r.with_header("x-order", &format!("{prev}{name}"))
                }
            })
        }
    }

    #[tokio::test]
    async fn closure_layer_wraps_stream_handlers_through_the_adapter() {
        async fn h(s: &mut Stream) {
            let body = s.read_to_end(64).await.unwrap();
            let _ = s.write(body).await;
        }
        let wrapped = Middleware::new(tag("a")).wrap(h);
        let r = testing::call_stream(&wrapped, Request::new(Method::POST, "/").with_body("abc")).await;
        assert_eq!((r.text().as_str(), r.header("x-order")), ("abc", Some("a")));
    }

    #[tokio::test]
    async fn nesting_order_inner_first() {
        let h = Middleware::new(tag("inner")).wrap(|_r: Request| async { "x" });
        let h = Middleware::new(tag("outer")).wrap(h);
        assert!(h.serve_form().is_some(), "serve-style all the way down");
        let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
        assert_eq!(r.header("x-order"), Some("innerouter"));
    }
}
