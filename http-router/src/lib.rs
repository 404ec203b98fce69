#![doc = include_str!("../README.md")]

mod cookies;
mod error;
mod middleware;
mod ops;
mod pattern;
mod router;
mod trie;

pub use cookies::{Cookie, CookieError, SameSite, SetCookie, cookies_from, getcookie, parse_cookies};
pub use error::RouteError;
pub use middleware::{
    AnyHandler, BodyLimit, CatchPanics, FromFn, HandlerTimeout, LOG_TARGET, Layer, Logging, Middleware, Next,
    ServeStyle, StreamStyle, body_limit, catch_panics, from_fn, handlertimeout, layer_fn, logging,
};
pub use router::{AllowedMethods, Match, MatchError, Router};

/// Builds a [`Router`] from a route map, Starlark's `http.serve({...})` quick start:
/// `"PATTERN" => handler` pairs, where a handler is any `async fn(Request) -> impl
/// IntoResponse` or closure (no type annotations needed).
///
/// # Panics
/// On an invalid or conflicting pattern, like [`Router::route`]; use
/// [`Router::from_routes`] to get the error instead.
///
/// ```
/// use http_core::{Method, Request, testing};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = http_router::routes! {
///     "GET /healthz" => |_req| async { "ok" },
///     "GET /version" => |_req| async { "v1" },
/// };
/// assert_eq!(testing::call(&router, Request::new(Method::GET, "/version")).await.text(), "v1");
/// # }
/// ```
#[macro_export]
macro_rules! routes {
    ($($pattern:expr => $handler:expr),* $(,)?) => {
        $crate::Router::from_routes([$(($pattern, $crate::__private::boxed($handler))),*])
            .unwrap_or_else(|e| panic!("{e}"))
    };
}

#[doc(hidden)]
pub mod __private {
    use http_core::{BoxHandler, IntoResponse, Request};

    /// Boxes a handler closure; its `Fn(Request)` bound lets closures skip annotations.
    pub fn boxed<F, Fut>(f: F) -> BoxHandler
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future + Send,
        Fut::Output: IntoResponse,
    {
        BoxHandler::new(f)
    }
}
