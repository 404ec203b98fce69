//! The request a serve-style handler receives.
//!
//! Built on the `http` crate's [`Method`], [`Uri`], [`Version`] and [`HeaderMap`]; converts
//! to and from `http::Request<Body>` for interop with the wider ecosystem.

use http::{HeaderMap, HeaderValue, Method, Uri, Version, header::HeaderName};

use crate::body::Body;
use crate::context::RequestContext;

/// The request line and header fields (RFC 9112 §3, RFC 9110 §6.3).
///
/// ```
/// use http_core::{Method, Request};
/// let req = Request::new(Method::GET, "/a");
/// assert_eq!(req.head().method, Method::GET);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request target.
    pub uri: Uri,
    /// The protocol version the request arrived with.
    pub version: Version,
    /// Header fields.
    pub headers: HeaderMap,
}

impl RequestHead {
    /// The first value of header `name` as text, if present and visible ASCII.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/").with_header("x", "1");
    /// assert_eq!(req.head().header("x"), Some("1"));
    /// ```
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP request with its body and context.
///
/// ```
/// use http_core::{Request, Method};
/// let req = Request::new(Method::GET, "/users/7?x=1").with_header("accept", "text/plain");
/// assert_eq!(req.path(), "/users/7");
/// assert_eq!(req.query(), Some("x=1"));
/// assert_eq!(req.header("accept"), Some("text/plain"));
/// ```
#[derive(Debug, Default)]
pub struct Request {
    head: RequestHead,
    body: Body,
    ctx: RequestContext,
}

impl Request {
    /// A request for `uri` with an empty body. Panics on an invalid URI: for tests and
    /// hand-built requests; servers use [`Request::from_parts`].
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::POST, "/items?x=1");
    /// assert_eq!((req.method(), req.path()), (&Method::POST, "/items"));
    /// ```
    pub fn new(method: Method, uri: &str) -> Self {
        let uri: Uri = uri.parse().expect("valid request URI");
        Request {
            head: RequestHead { method, uri, version: Version::HTTP_11, headers: HeaderMap::new() },
            body: Body::default(),
            ctx: RequestContext::default(),
        }
    }

    /// A request from its parts.
    ///
    /// ```
    /// use http_core::{Body, Request, RequestContext, RequestHead};
    /// let req = Request::from_parts(RequestHead::default(), Body::from("x"), RequestContext::default());
    /// assert_eq!(req.path(), "/");
    /// ```
    pub fn from_parts(head: RequestHead, body: Body, ctx: RequestContext) -> Self {
        Request { head, body, ctx }
    }

    /// Splits into parts.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let (head, body, _ctx) = Request::new(Method::GET, "/p").with_body("b").into_parts();
    /// assert_eq!((head.uri.path(), body.exact_len()), ("/p", Some(1)));
    /// ```
    pub fn into_parts(mut self) -> (RequestHead, Body, RequestContext) {
        (std::mem::take(&mut self.head), std::mem::take(&mut self.body), std::mem::take(&mut self.ctx))
    }

    /// Adds a header (builder style). Panics on an invalid name or value.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/").with_header("accept", "text/html");
    /// assert_eq!(req.header("accept"), Some("text/html"));
    /// ```
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = HeaderValue::from_str(value).expect("valid header value");
        self.head.headers.append(name, value);
        self
    }

    /// Replaces the body (builder style).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::POST, "/").with_body("hello");
    /// assert_eq!(req.body().exact_len(), Some(5));
    /// ```
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// The head.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/x");
    /// assert_eq!(req.head().uri, "/x");
    /// ```
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The method.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::PUT, "/").method(), Method::PUT);
    /// ```
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request target.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/a?b").uri().query(), Some("b"));
    /// ```
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The path component of the target (`/` when empty).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/a/b?c").path(), "/a/b");
    /// ```
    pub fn path(&self) -> &str {
        match self.head.uri.path() {
            "" => "/",
            p => p,
        }
    }

    /// The query string, without `?`.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/?q=1").query(), Some("q=1"));
    /// assert_eq!(Request::new(Method::GET, "/").query(), None);
    /// ```
    pub fn query(&self) -> Option<&str> {
        self.head.uri.query()
    }

    /// The protocol version.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/").version(), http_core::Version::HTTP_11);
    /// ```
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The client's address: what trusted proxies reported (PROXY protocol, `Forwarded`,
    /// `X-Forwarded-For`), else the connection's peer.
    ///
    /// ```
    /// use http_core::{Method, Request, RequestContext, RequestHead};
    /// let peer = "192.0.2.7:5000".parse().unwrap();
    /// let (head, body, _) = Request::new(Method::GET, "/").into_parts();
    /// let req = Request::from_parts(head, body, RequestContext::with_peer(Some(peer)));
    /// assert_eq!(req.client_addr(), Some(peer));
    /// ```
    pub fn client_addr(&self) -> Option<std::net::SocketAddr> {
        self.ctx.client_addr()
    }

    /// `"https"` or `"http"`, as the client sees it (trusted proxies taken into account).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/").scheme(), "http");
    /// ```
    pub fn scheme(&self) -> &'static str {
        self.ctx.scheme()
    }

    /// The host the client asked for: a trusted proxy's report, else `Host`, else the
    /// target's authority.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert_eq!(Request::new(Method::GET, "/").with_header("host", "a.example").host(), Some("a.example"));
    /// assert_eq!(Request::new(Method::GET, "http://b.example/x").host(), Some("b.example"));
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.ctx.host(&self.head)
    }

    /// Header fields.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/").with_header("a", "1").with_header("a", "2");
    /// assert_eq!(req.headers().get_all("a").iter().count(), 2);
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// Mutable header fields.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::GET, "/");
    /// req.headers_mut().insert("x-id", "7".parse().unwrap());
    /// assert_eq!(req.header("x-id"), Some("7"));
    /// ```
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.head.headers
    }

    /// The first value of header `name` as text.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/").with_header("x", "1");
    /// assert_eq!(req.head().header("x"), Some("1"));
    /// ```
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.head.header(name)
    }

    /// The body.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::POST, "/").with_body("abc");
    /// assert_eq!(req.body().as_bytes().unwrap(), "abc");
    /// ```
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, mutably.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::POST, "/");
    /// *req.body_mut() = "new".into();
    /// assert_eq!(req.body().exact_len(), Some(3));
    /// ```
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body, leaving an empty one.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::POST, "/").with_body("abc");
    /// let body = req.take_body();
    /// assert_eq!((body.exact_len(), req.body().exact_len()), (Some(3), Some(0)));
    /// ```
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// The request context.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// assert!(Request::new(Method::GET, "/").context().deadline().is_none());
    /// ```
    pub fn context(&self) -> &RequestContext {
        &self.ctx
    }

    /// The request context, mutably.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::GET, "/");
    /// req.context_mut().params_mut().push("id", "1");
    /// assert_eq!(req.param("id"), Some("1"));
    /// ```
    pub fn context_mut(&mut self) -> &mut RequestContext {
        &mut self.ctx
    }

    /// HTTP.jl's `getroute`: the matched route pattern.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::GET, "/u/1");
    /// assert_eq!(req.route(), None);
    /// req.context_mut().set_route("/u/{id}".into());
    /// assert_eq!(req.route(), Some("/u/{id}"));
    /// ```
    pub fn route(&self) -> Option<&str> {
        self.ctx.route()
    }

    /// HTTP.jl's `getparam`: a route parameter.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::GET, "/u/1");
    /// req.context_mut().params_mut().push("id", "1");
    /// assert_eq!((req.param("id"), req.param("x")), (Some("1"), None));
    /// ```
    pub fn param(&self, name: &str) -> Option<&str> {
        self.ctx.params().get(name)
    }

    /// HTTP.jl's `getparams(req)`: all route parameters.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::GET, "/");
    /// req.context_mut().params_mut().push("a", "1");
    /// assert_eq!(req.params().len(), 1);
    /// ```
    pub fn params(&self) -> &crate::Params {
        self.ctx.params()
    }

    /// Converts into `http::Request<Body>`; the context travels as an extension.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let http_req = Request::new(Method::DELETE, "/x").into_http();
    /// assert_eq!(http_req.method(), Method::DELETE);
    /// let back = Request::from(http_req);
    /// assert_eq!(back.path(), "/x");
    /// ```
    pub fn into_http(self) -> http::Request<Body> {
        let (head, body, ctx) = self.into_parts();
        let mut r = http::Request::new(body);
        *r.method_mut() = head.method;
        *r.uri_mut() = head.uri;
        *r.version_mut() = head.version;
        *r.headers_mut() = head.headers;
        r.extensions_mut().insert(ctx);
        r
    }
}

/// A dropped request's (cleared) field map becomes the thread's spare, for the response
/// its handler is about to make (see `spare_headers`).
impl Drop for Request {
    fn drop(&mut self) {
        crate::spare_headers::give(std::mem::take(&mut self.head.headers));
    }
}

impl From<http::Request<Body>> for Request {
    fn from(r: http::Request<Body>) -> Self {
        let (mut parts, body) = r.into_parts();
        let ctx = parts.extensions.remove::<RequestContext>().unwrap_or_default();
        Request {
            head: RequestHead { method: parts.method, uri: parts.uri, version: parts.version, headers: parts.headers },
            body,
            ctx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_round_trip_keeps_context() {
        let mut req = Request::new(Method::POST, "/a").with_header("x", "1");
        req.context_mut().params_mut().push("id", "7");
        let back = Request::from(req.into_http());
        assert_eq!(back.method(), Method::POST);
        assert_eq!(back.param("id"), Some("7"));
        assert_eq!(back.header("x"), Some("1"));
    }

    #[test]
    fn empty_path_reads_as_root() {
        let req = Request::new(Method::OPTIONS, "*");
        assert_eq!(req.path(), "*");
        let req = Request::new(Method::GET, "http://example.com");
        assert_eq!(req.path(), "/");
    }
}
