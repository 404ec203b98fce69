//! The request a serve-style handler receives.
//!
//! Built on the `http` crate's [`Method`], [`Uri`], [`Version`] and [`HeaderMap`]; converts
//! to and from `http::Request<Body>` for interop with the wider ecosystem.

use http::{HeaderMap, HeaderValue, Method, Uri, Version, header::HeaderName};

use crate::body::Body;
use crate::context::RequestContext;

/// The request line and header fields (RFC 9112 §3, RFC 9110 §6.3).
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
    pub fn new(method: Method, uri: &str) -> Self {
        let uri: Uri = uri.parse().expect("valid request URI");
        Request {
            head: RequestHead { method, uri, version: Version::HTTP_11, headers: HeaderMap::new() },
            ..Default::default()
        }
    }

    /// A request from its parts.
    pub fn from_parts(head: RequestHead, body: Body, ctx: RequestContext) -> Self {
        Request { head, body, ctx }
    }

    /// Splits into parts.
    pub fn into_parts(self) -> (RequestHead, Body, RequestContext) {
        (self.head, self.body, self.ctx)
    }

    /// Adds a header (builder style). Panics on an invalid name or value.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = HeaderValue::from_str(value).expect("valid header value");
        self.head.headers.append(name, value);
        self
    }

    /// Replaces the body (builder style).
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// The head.
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request target.
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The path component of the target (`/` when empty).
    pub fn path(&self) -> &str {
        match self.head.uri.path() {
            "" => "/",
            p => p,
        }
    }

    /// The query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.head.uri.query()
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// Header fields.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// Mutable header fields.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.head.headers
    }

    /// The first value of header `name` as text.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.head.header(name)
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, mutably.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// The request context.
    pub fn context(&self) -> &RequestContext {
        &self.ctx
    }

    /// The request context, mutably.
    pub fn context_mut(&mut self) -> &mut RequestContext {
        &mut self.ctx
    }

    /// HTTP.jl's `getroute`: the matched route pattern.
    pub fn route(&self) -> Option<&str> {
        self.ctx.route()
    }

    /// HTTP.jl's `getparam`: a route parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.ctx.params().get(name)
    }

    /// HTTP.jl's `getparams`: all route parameters.
    pub fn params(&self) -> &crate::Params {
        self.ctx.params()
    }

    /// Converts into `http::Request<Body>`; the context travels as an extension.
    pub fn into_http(self) -> http::Request<Body> {
        let mut r = http::Request::new(self.body);
        *r.method_mut() = self.head.method;
        *r.uri_mut() = self.head.uri;
        *r.version_mut() = self.head.version;
        *r.headers_mut() = self.head.headers;
        r.extensions_mut().insert(self.ctx);
        r
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
