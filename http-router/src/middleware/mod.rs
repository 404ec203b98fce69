//! Middleware: functions from handler to handler, for serve-style and stream routes alike.
//!
//! A [`Layer`] wraps a serve-style [`BoxHandler`] ([`Layer::wrap`]) and a stream handler
//! ([`Layer::wrap_stream`]). Any `Fn(BoxHandler) -> BoxHandler` is a layer; its stream form
//! runs the stream handler through [`stream_as_serve`](http_core::stream_as_serve) (buffering the
//! request body, streaming the response). The ready-made layers implement both forms
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
//! them. In both lists the first added is the outermost.
//!
//! ```
//! use http_core::{BoxHandler, Handler, Method, Request, testing};
//! use http_router::{Router, layer_fn};
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let stamp = layer_fn(|next: BoxHandler| {
//!     BoxHandler::new(move |req: Request| {
//!         let next = next.clone();
//!         async move { next.call(req).await.with_header("x-stamp", "1") }
//!     })
//! });
//! let router = Router::new().use_middleware(stamp).route("GET /", |_r: Request| async { "hi" });
//! let r = testing::call(&router, Request::new(Method::GET, "/")).await;
//! assert_eq!(r.header("x-stamp"), Some("1"));
//! # }
//! ```

mod limit;
mod logging;
mod panic;
mod timeout;

use std::sync::Arc;

use http_core::{BoxHandler, BoxStreamHandler, stream_as_serve};

pub use limit::{BodyLimit, body_limit};
pub use logging::{LOG_TARGET, Logging, logging};
pub use panic::{CatchPanics, catch_panics};
pub use timeout::{HandlerTimeout, handlertimeout};

/// A middleware: wraps a handler in another.
///
/// Implement [`wrap`](Layer::wrap); implement [`wrap_stream`](Layer::wrap_stream) too to
/// keep stream routes streaming their request bodies.
///
/// ```
/// use http_core::{BoxHandler, Handler, Method, Request, testing};
/// use http_router::{Layer, Router};
/// struct PoweredBy(&'static str);
/// impl Layer for PoweredBy {
///     fn wrap(&self, next: BoxHandler) -> BoxHandler {
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
    fn wrap(&self, next: BoxHandler) -> BoxHandler;

    /// Wraps a stream handler. The default adapts `next` into a serve-style handler, wraps
    /// that with [`wrap`](Layer::wrap) and runs the result through
    /// [`serve_as_stream`](http_core::serve_as_stream), so the request body is read (up to
    /// the server's `max_body_bytes`) before `next` runs.
    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::from_serve(self.wrap(BoxHandler::new(stream_as_serve(next))))
    }
}

impl<F> Layer for F
where
    F: Fn(BoxHandler) -> BoxHandler + Send + Sync + 'static,
{
    fn wrap(&self, next: BoxHandler) -> BoxHandler {
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

    /// Wraps a serve-style handler.
    ///
    /// ```
    /// use http_core::{BoxHandler, Method, Request, testing};
    /// use http_router::{Middleware, catch_panics};
    /// async fn boom(_r: Request) -> &'static str { panic!("boom") }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = Middleware::new(catch_panics()).wrap(BoxHandler::new(boom));
    /// assert_eq!(testing::call(&h, Request::new(Method::GET, "/")).await.status.as_u16(), 500);
    /// # }
    /// ```
    pub fn wrap(&self, next: BoxHandler) -> BoxHandler {
        self.0.wrap(next)
    }

    /// Wraps a stream handler.
    ///
    /// ```
    /// use http_core::{BoxStreamHandler, Method, Request, Stream, testing};
    /// use http_router::{Middleware, body_limit};
    /// async fn echo(s: &mut Stream) {
    ///     let body = s.read_to_end(1 << 20).await.unwrap_or_default();
    ///     let _ = s.write(body).await;
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = Middleware::new(body_limit(3)).wrap_stream(BoxStreamHandler::new(echo));
    /// let req = Request::new(Method::POST, "/").with_header("content-length", "7").with_body("too big");
    /// let r = testing::call_stream(&h, req).await;
    /// assert_eq!(r.status.as_u16(), 413);
    /// # }
    /// ```
    pub fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        self.0.wrap_stream(next)
    }

    /// Wraps a compiled handler: its serve form through [`Layer::wrap`] when it has one
    /// (so serve-style handlers stay serve-style through every layer), otherwise the
    /// stream handler through [`Layer::wrap_stream`].
    pub(crate) fn apply(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        match next.serve_form() {
            Some(serve) => BoxStreamHandler::from_serve(self.0.wrap(serve.clone())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Handler, Method, Request, Stream, testing};

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
        let wrapped = Middleware::new(tag("a")).wrap_stream(BoxStreamHandler::new(h));
        let r = testing::call_stream(&wrapped, Request::new(Method::POST, "/").with_body("abc")).await;
        assert_eq!((r.text().as_str(), r.header("x-order")), ("abc", Some("a")));
    }

    #[tokio::test]
    async fn nesting_order_inner_first() {
        let h = BoxHandler::new(|_r: Request| async { "x" });
        let h = Middleware::new(tag("inner")).wrap(h);
        let h = Middleware::new(tag("outer")).wrap(h);
        let r = testing::call(&h, Request::new(Method::GET, "/")).await;
        assert_eq!(r.header("x-order"), Some("innerouter"));
    }
}
