//! HTTP.jl's accessors for what the router recorded, as free functions; the same values
//! are on [`Request`] itself ([`route`](Request::route), [`param`](Request::param),
//! [`params`](Request::params)).

use http_core::Request;

/// HTTP.jl's `getroute`: the pattern of the route that matched `req`.
///
/// ```
/// use http_core::{Method, Request, testing};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = http_router::Router::new().route("GET /u/{id}", |req: Request| async move {
///     http_router::getroute(&req).unwrap_or("none").to_owned()
/// });
/// assert_eq!(testing::call(&r, Request::new(Method::GET, "/u/1")).await.text(), "/u/{id}");
/// # }
/// ```
pub fn getroute(req: &Request) -> Option<&str> {
    req.route()
}

/// HTTP.jl's `getparam(req, name, default)`.
///
/// ```
/// use http_core::{Method, Request};
/// let req = Request::new(Method::GET, "/");
/// assert_eq!(http_router::getparam(&req, "id", "none"), "none");
/// ```
pub fn getparam<'a>(req: &'a Request, name: &str, default: &'a str) -> &'a str {
    req.param(name).unwrap_or(default)
}
