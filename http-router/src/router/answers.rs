//! The router's own answers: 404 Not Found, 405 Method Not Allowed with `Allow`
//! (RFC 9110 §15.5.6), 400 for a path with broken percent-encoding, and `OPTIONS`
//! answered 204 with `Allow` (RFC 9110 §9.3.7), each compiled with the router-wide
//! middleware.

use http_core::{BoxHandler, BoxStreamHandler, Handler, HeaderValue, Method, Request, Response, StatusCode, header};

use super::Router;
use super::compile::compile;
use crate::middleware::Middleware;
use crate::trie::Leaves;

/// Which of the router's own answers.
#[derive(Debug, Clone, Copy)]
pub(super) enum Answer {
    NotFound = 0,
    MethodNotAllowed = 1,
    Options = 2,
    BadRequest = 3,
}

/// The router's answers as set ([`Answer`] order), and compiled with its middleware.
#[derive(Clone)]
pub(super) struct Fallbacks {
    endpoints: [BoxStreamHandler; 4],
    compiled: [BoxStreamHandler; 4],
}

impl Fallbacks {
    pub(super) fn new() -> Self {
        let error = |status: StatusCode| {
            BoxStreamHandler::from_serve(move |_r: Request| async move { Response::error(status) })
        };
        let endpoints = [
            error(StatusCode::NOT_FOUND),
            with_allow(BoxHandler::new(|_r: Request| async { Response::error(StatusCode::METHOD_NOT_ALLOWED) })),
            with_allow(BoxHandler::new(|_r: Request| async { StatusCode::NO_CONTENT })),
            error(StatusCode::BAD_REQUEST),
        ];
        Fallbacks { compiled: endpoints.clone(), endpoints }
    }

    pub(super) fn compiled(&self, answer: Answer) -> &BoxStreamHandler {
        &self.compiled[answer as usize]
    }

    fn set(&mut self, answer: Answer, handler: BoxStreamHandler) {
        self.endpoints[answer as usize] = handler;
    }

    pub(super) fn recompile(&mut self, middleware: &[Middleware]) {
        self.compiled = self.endpoints.each_ref().map(|e| compile(e, middleware, &[]));
    }
}

/// Adds the `Allow` header (from the [`AllowedMethods`] extension the router inserted)
/// to a 405 or OPTIONS response that has none.
fn with_allow(inner: BoxHandler) -> BoxStreamHandler {
    BoxStreamHandler::from_serve(move |req: Request| {
        let inner = inner.clone();
        async move {
            let value = req.context().extensions().get::<AllowedMethods>().map(allow_header);
            let mut resp = inner.call(req).await;
            match value {
                Some(value) if !resp.headers().contains_key(header::ALLOW) => {
                    resp.headers_mut().insert(header::ALLOW, value);
                }
                _ => {}
            }
            resp
        }
    })
}

impl Router {
    /// Replaces the 404 handler (HTTP.jl's `_404`). Default: `404 Not Found` as text.
    ///
    /// ```
    /// use http_core::{Request, StatusCode};
    /// let r = http_router::Router::new().not_found(|r: Request| async move {
    ///     (StatusCode::NOT_FOUND, format!("no page at {}", r.path()))
    /// });
    /// # let _ = r;
    /// ```
    pub fn not_found(mut self, handler: impl Handler) -> Self {
        self.fallbacks.set(Answer::NotFound, BoxStreamHandler::from_serve(handler));
        self.recompile_fallbacks();
        self
    }

    /// Replaces the 405 handler (HTTP.jl's `_405`). The router adds the `Allow` header to
    /// its response unless the handler set one; the allowed methods are also in the
    /// request context's extensions as [`AllowedMethods`]. Default: `405 Method Not
    /// Allowed` as text.
    ///
    /// ```
    /// use http_core::{Request, StatusCode};
    /// use http_router::AllowedMethods;
    /// let r = http_router::Router::new().method_not_allowed(|r: Request| async move {
    ///     let allow = r.context().extensions().get::<AllowedMethods>().map(|a| a.header_value());
    ///     (StatusCode::METHOD_NOT_ALLOWED, format!("try {}", allow.unwrap_or_default()))
    /// });
    /// # let _ = r;
    /// ```
    pub fn method_not_allowed(mut self, handler: impl Handler) -> Self {
        self.fallbacks.set(Answer::MethodNotAllowed, with_allow(BoxHandler::new(handler)));
        self.recompile_fallbacks();
        self
    }
}

/// The methods a path answers to, for the `Allow` header of 405 and OPTIONS responses.
/// Inserted into the request context's extensions before the 405 handler runs.
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::Router;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = Router::new().route("GET /x", |_r: Request| async { "" }).route("DELETE /x", |_r: Request| async { "" });
/// let resp = testing::call(&r, Request::new(Method::POST, "/x")).await;
/// assert_eq!(resp.status.as_u16(), 405);
/// assert_eq!(resp.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedMethods {
    methods: Vec<Method>,
}

fn method_rank(m: &Method) -> (u8, &str) {
    let rank = match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::CONNECT => 6,
        Method::OPTIONS => 7,
        Method::TRACE => 8,
        _ => 9,
    };
    (rank, m.as_str())
}

impl AllowedMethods {
    pub(super) fn from_methods<'a>(methods: impl IntoIterator<Item = &'a Method>) -> Self {
        let mut v: Vec<Method> = Vec::new();
        for m in methods {
            if !v.contains(m) {
                v.push(m.clone());
            }
        }
        if v.contains(&Method::GET) && !v.contains(&Method::HEAD) {
            v.push(Method::HEAD);
        }
        if !v.contains(&Method::OPTIONS) {
            v.push(Method::OPTIONS);
        }
        v.sort_by(|a, b| method_rank(a).cmp(&method_rank(b)));
        AllowedMethods { methods: v }
    }

    /// The methods, in a fixed order (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT,
    /// OPTIONS, TRACE, then extension methods by name).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("POST /a", |_r: Request| async { "" }).route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::DELETE, "/a") else { panic!() };
    /// assert_eq!(allowed.methods(), [Method::GET, Method::HEAD, Method::POST, Method::OPTIONS]);
    /// ```
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// True when `method` is allowed.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::PUT, "/a") else { panic!() };
    /// assert!(allowed.contains(&Method::HEAD), "GET routes answer HEAD too");
    /// assert!(!allowed.contains(&Method::PUT));
    /// ```
    pub fn contains(&self, method: &Method) -> bool {
        self.methods.contains(method)
    }

    /// The `Allow` header value: `GET, HEAD, OPTIONS`.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::POST, "/a") else { panic!() };
    /// assert_eq!(allowed.header_value(), "GET, HEAD, OPTIONS");
    /// ```
    pub fn header_value(&self) -> String {
        self.methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn allowed(leaves: &[&Leaves]) -> AllowedMethods {
    AllowedMethods::from_methods(leaves.iter().flat_map(|l| l.methods()))
}

fn allow_header(allow: &AllowedMethods) -> HeaderValue {
    HeaderValue::from_str(&allow.header_value()).unwrap_or_else(|_| HeaderValue::from_static("OPTIONS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_order_and_extras() {
        let a = AllowedMethods::from_methods(&[Method::DELETE, Method::GET, Method::from_bytes(b"PURGE").unwrap()]);
        assert_eq!(a.header_value(), "GET, HEAD, DELETE, OPTIONS, PURGE");
        let a = AllowedMethods::from_methods(&[Method::POST]);
        assert_eq!(a.header_value(), "POST, OPTIONS");
    }
}
