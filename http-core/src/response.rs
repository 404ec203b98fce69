//! Responses, and [`IntoResponse`]: what a handler may return.

use bytes::Bytes;
use std::time::SystemTime;

use http::header::{CONTENT_TYPE, ETAG, HeaderName, LAST_MODIFIED, TRAILER};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::body::Body;

/// An HTTP response.
///
/// ```
/// use http_core::{Response, StatusCode};
/// let r = Response::new(StatusCode::CREATED).with_header("location", "/users/7").with_body("made");
/// assert_eq!(r.status(), StatusCode::CREATED);
/// assert_eq!(r.header("location"), Some("/users/7"));
/// ```
#[derive(Debug, Default)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl Response {
    /// An empty response with `status`.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::new(StatusCode::NO_CONTENT);
    /// assert_eq!((r.status(), r.body().exact_len()), (StatusCode::NO_CONTENT, Some(0)));
    /// ```
    pub fn new(status: StatusCode) -> Self {
        Response { status, headers: crate::spare_headers::take(), body: Body::empty() }
    }

    /// 200 with a text body (`text/plain; charset=utf-8`).
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::text("hi");
    /// assert_eq!((r.status(), r.header("content-type")), (StatusCode::OK, Some("text/plain; charset=utf-8")));
    /// ```
    pub fn text(body: impl Into<String>) -> Self {
        body.into().into_response()
    }

    /// A response with a status and a short text body, as servers send for errors.
    ///
    /// ```
    /// let r = http_core::Response::error(http_core::StatusCode::NOT_FOUND);
    /// assert_eq!(r.body().as_bytes().unwrap(), "Not Found");
    /// ```
    pub fn error(status: StatusCode) -> Self {
        let text = status.canonical_reason().unwrap_or("Error");
        Response::new(status)
            .with_header_value(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))
            .with_body(Bytes::from_static(text.as_bytes()))
    }

    /// The status.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// assert_eq!(Response::new(StatusCode::ACCEPTED).status(), 202);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Sets the status.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let mut r = Response::text("x");
    /// r.setstatus(StatusCode::CREATED);
    /// assert_eq!(r.status(), 201);
    /// ```
    pub fn setstatus(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// Header fields.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::text("x");
    /// assert!(r.headers().contains_key("content-type"));
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Mutable header fields.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let mut r = Response::new(StatusCode::OK);
    /// r.headers_mut().insert("x-a", "1".parse().unwrap());
    /// assert_eq!(r.header("x-a"), Some("1"));
    /// ```
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The first value of header `name` as text.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::new(StatusCode::OK).with_header("etag", "\"v1\"");
    /// assert_eq!(r.header("ETag"), Some("\"v1\""));
    /// ```
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// assert_eq!(Response::text("abc").body().exact_len(), Some(3));
    /// ```
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, mutably.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let mut r = Response::new(StatusCode::OK);
    /// *r.body_mut() = "later".into();
    /// assert_eq!(r.body().exact_len(), Some(5));
    /// ```
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body apart from the head.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let (status, headers, body) = Response::text("a").into_parts();
    /// assert_eq!((status, headers.len(), body.exact_len()), (StatusCode::OK, 1, Some(1)));
    /// ```
    pub fn into_parts(self) -> (StatusCode, HeaderMap, Body) {
        (self.status, self.headers, self.body)
    }

    /// Builds from parts.
    ///
    /// ```
    /// use http_core::{Body, HeaderMap, Response, StatusCode};
    /// let r = Response::from_parts(StatusCode::IM_A_TEAPOT, HeaderMap::new(), Body::from("tea"));
    /// assert_eq!(r.status(), 418);
    /// ```
    pub fn from_parts(status: StatusCode, headers: HeaderMap, body: Body) -> Self {
        Response { status, headers, body }
    }

    /// The body, consuming the response.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// assert_eq!(Response::text("xy").into_body().exact_len(), Some(2));
    /// ```
    pub fn into_body(self) -> Body {
        self.body
    }

    /// Replaces the status (builder style).
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// assert_eq!(Response::text("gone").with_status(StatusCode::GONE).status(), 410);
    /// ```
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets a header (builder style), replacing earlier values. Panics on an invalid
    /// name or value; use [`with_header_value`](Self::with_header_value) for typed input.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::new(StatusCode::OK).with_header("x", "1").with_header("x", "2");
    /// assert_eq!(r.headers().get_all("x").iter().count(), 1);
    /// assert_eq!(r.header("x"), Some("2"));
    /// ```
    pub fn with_header(self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = HeaderValue::from_str(value).expect("valid header value");
        self.with_header_value(name, value)
    }

    /// Sets a typed header (builder style), replacing earlier values.
    ///
    /// ```
    /// use http_core::{HeaderValue, Response, StatusCode, header};
    /// let r = Response::new(StatusCode::OK).with_header_value(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    /// assert_eq!(r.header("cache-control"), Some("no-store"));
    /// ```
    pub fn with_header_value(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Replaces the body (builder style).
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let r = Response::new(StatusCode::OK).with_body(vec![1u8, 2, 3]);
    /// assert_eq!(r.body().exact_len(), Some(3));
    /// ```
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends `trailers` after the body (RFC 9110 §6.5) and announces their names in a
    /// `Trailer` header. Over HTTP/1.1 the body then goes out chunked, with the trailers
    /// for clients that sent `TE: trailers`; over HTTP/2 always. See [`Body::with_trailers`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{HeaderMap, Method, Request, Response, testing};
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-checksum", "sha256=abc".parse().unwrap());
    /// let h = move |_r: Request| {
    ///     let t = trailers.clone();
    ///     async move { Response::text("payload").with_trailers(t) }
    /// };
    /// let r = testing::call(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!((r.text().as_str(), r.header("trailer")), ("payload", Some("x-checksum")));
    /// assert_eq!(r.trailers.unwrap()["x-checksum"], "sha256=abc");
    /// # }
    /// ```
    pub fn with_trailers(mut self, trailers: HeaderMap) -> Self {
        let names: Vec<&str> = trailers.keys().map(HeaderName::as_str).collect();
        if let (false, Ok(value)) = (names.is_empty(), HeaderValue::from_str(&names.join(", "))) {
            self.headers.insert(TRAILER, value);
        }
        self.body = std::mem::take(&mut self.body).with_trailers(trailers);
        self
    }

    /// Sets the `ETag` header (RFC 9110 §8.8.3) from a plain tag: `abc` becomes the strong
    /// validator `"abc"`; an already quoted `"abc"` or weak `W/"abc"` is kept as it is.
    ///
    /// # Panics
    /// When the tag holds a `"` inside, or bytes not allowed in an entity tag (controls,
    /// space, DEL, non-ASCII).
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// assert_eq!(Response::text("x").with_etag("v1").header("etag"), Some("\"v1\""));
    /// assert_eq!(Response::text("x").with_etag("W/\"v1\"").header("etag"), Some("W/\"v1\""));
    /// ```
    pub fn with_etag(self, tag: &str) -> Self {
        let quoted = |t: &str| t.len() >= 2 && t.starts_with('"') && t.ends_with('"');
        let (opaque, value) = match tag.strip_prefix("W/") {
            Some(rest) if quoted(rest) => (&rest[1..rest.len() - 1], tag.to_owned()),
            _ if quoted(tag) => (&tag[1..tag.len() - 1], tag.to_owned()),
            _ => (tag, format!("\"{tag}\"")),
        };
        // etagc = %x21 / %x23-7E (obs-text is not a valid header value here)
        let valid = opaque.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b));
        assert!(valid, "with_etag: invalid entity tag {tag:?}");
        let value = HeaderValue::from_str(&value).expect("valid entity tag");
        self.with_header_value(ETAG, value)
    }

    /// Sets the `Last-Modified` header (RFC 9110 §8.8.2) as an HTTP date; sub-second
    /// precision is dropped.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use http_core::Response;
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// assert_eq!(Response::text("x").with_last_modified(t).header("last-modified"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    /// ```
    pub fn with_last_modified(self, time: SystemTime) -> Self {
        let value =
            HeaderValue::from_str(&httpdate::fmt_http_date(time)).expect("an HTTP date is a valid header value");
        self.with_header_value(LAST_MODIFIED, value)
    }

    /// Converts into `http::Response<Body>`.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let h = Response::text("x").with_status(StatusCode::CREATED).into_http();
    /// assert_eq!(h.status(), 201);
    /// let back = Response::from(h);
    /// assert_eq!(back.status(), 201);
    /// ```
    pub fn into_http(self) -> http::Response<Body> {
        let mut r = http::Response::new(self.body);
        *r.status_mut() = self.status;
        *r.headers_mut() = self.headers;
        r
    }
}

impl<B: Into<Body>> From<http::Response<B>> for Response {
    fn from(r: http::Response<B>) -> Self {
        let (parts, body) = r.into_parts();
        Response { status: parts.status, headers: parts.headers, body: body.into() }
    }
}

/// Anything a handler may return.
///
/// | returned | response |
/// |---|---|
/// | `&'static str`, `String` | 200, `text/plain; charset=utf-8` |
/// | `Vec<u8>`, `Bytes` | 200, `application/octet-stream` |
/// | `StatusCode` | that status, empty body |
/// | `()` | 200, empty body |
/// | `(StatusCode, body)` | the status with the body's response |
/// | `(StatusCode, headers, body)` | the same, with `headers` set over the defaults |
/// | `Option<T>` | `None` → 204 No Content |
/// | `Result<T, E>` | either side's response |
///
/// ```
/// use http_core::{IntoResponse, StatusCode};
/// assert_eq!("hi".into_response().header("content-type"), Some("text/plain; charset=utf-8"));
/// assert_eq!(None::<String>.into_response().status(), StatusCode::NO_CONTENT);
/// let r = (StatusCode::CREATED, [("location", "/x")], "made").into_response();
/// assert_eq!((r.status(), r.header("location")), (StatusCode::CREATED, Some("/x")));
/// ```
pub trait IntoResponse {
    /// Converts into a response.
    ///
    /// ```
    /// use http_core::{IntoResponse, StatusCode};
    /// let r = (StatusCode::CREATED, "made").into_response();
    /// assert_eq!((r.status(), r.body().exact_len()), (StatusCode::CREATED, Some(4)));
    /// assert_eq!(None::<&str>.into_response().status(), StatusCode::NO_CONTENT);
    /// ```
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl<B: Into<Body>> IntoResponse for http::Response<B> {
    fn into_response(self) -> Response {
        self.into()
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(StatusCode::OK)
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(StatusCode::OK).with_body(self)
    }
}

fn typed(body: impl Into<Body>, content_type: &'static str) -> Response {
    // Built in one piece: each builder step would move the whole `Response`.
    let mut headers = crate::spare_headers::take();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response { status: StatusCode::OK, headers, body: body.into() }
}

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        typed(self, TEXT)
    }
}
impl IntoResponse for String {
    fn into_response(self) -> Response {
        typed(self, TEXT)
    }
}
impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        typed(self, OCTETS)
    }
}
impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        typed(self, OCTETS)
    }
}

impl<T: IntoResponse> IntoResponse for Option<T> {
    fn into_response(self) -> Response {
        match self {
            Some(t) => t.into_response(),
            None => Response::new(StatusCode::NO_CONTENT),
        }
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut r = self.1.into_response();
        r.status = self.0;
        r
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut r = self.2.into_response();
        r.status = self.0;
        for (name, value) in self.1.into_iter().filter_map(|(n, v)| n.map(|n| (n, v))) {
            r.headers_mut().insert(name, value);
        }
        r
    }
}

impl<T: IntoResponse, const N: usize> IntoResponse for (StatusCode, [(&'static str, &'static str); N], T) {
    fn into_response(self) -> Response {
        let mut r = self.2.into_response();
        r.status = self.0;
        for (name, value) in self.1 {
            match (static_name(name), static_value(value)) {
                (Some(n), Some(v)) => {
                    r.headers_mut().insert(n, v);
                }
                _ => return Response::error(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        r
    }
}

/// A header name from a `'static` string: borrowed when it is already in canonical form
/// (lowercase token characters, RFC 9110 §5.1), so a handler's literal costs no
/// allocation; any other valid spelling is lowercased into a new name.
fn static_name(name: &'static str) -> Option<HeaderName> {
    let canonical = !name.is_empty()
        && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'));
    if canonical { Some(HeaderName::from_static(name)) } else { HeaderName::from_bytes(name.as_bytes()).ok() }
}

/// A header value from a `'static` string: borrowed, not copied, when it is visible ASCII
/// (RFC 9110 §5.5); a value with other valid bytes is copied.
fn static_value(value: &'static str) -> Option<HeaderValue> {
    if value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        Some(HeaderValue::from_static(value))
    } else {
        HeaderValue::from_str(value).ok()
    }
}

impl IntoResponse for crate::Error {
    fn into_response(self) -> Response {
        Response::error(self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_header_pairs_table() {
        // (name, value, the name as stored, the value's bytes, or None when refused → 500)
        type Case = (&'static str, &'static str, Option<(&'static str, &'static [u8])>);
        let cases: &[Case] = &[
            ("content-type", "application/json", Some(("content-type", b"application/json"))),
            ("x-id", "a b\tc", Some(("x-id", b"a b\tc"))),
            ("X-Id", "7", Some(("x-id", b"7"))),
            ("x-name", "caf\u{e9}", Some(("x-name", "caf\u{e9}".as_bytes()))),
            ("bad name", "x", None),
            ("", "x", None),
            ("x-ok", "line\nbreak", None),
        ];
        for &(name, value, want) in cases {
            let r = (StatusCode::OK, [(name, value)], "b").into_response();
            match want {
                Some((stored, bytes)) => {
                    assert_eq!(r.status(), StatusCode::OK, "{name:?}");
                    assert_eq!(r.headers().get(stored).map(|v| v.as_bytes()), Some(bytes), "{name:?}");
                }
                None => assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{name:?} {value:?}"),
            }
        }
    }

    #[test]
    fn into_response_table() {
        let cases: Vec<(Response, u16, Option<&str>, &str)> = vec![
            ("a".into_response(), 200, Some(TEXT), "a"),
            (String::from("b").into_response(), 200, Some(TEXT), "b"),
            (vec![1u8].into_response(), 200, Some(OCTETS), "\u{1}"),
            (Bytes::from("c").into_response(), 200, Some(OCTETS), "c"),
            (StatusCode::IM_A_TEAPOT.into_response(), 418, None, ""),
            (().into_response(), 200, None, ""),
            ((StatusCode::CREATED, "d").into_response(), 201, Some(TEXT), "d"),
            (Some("e").into_response(), 200, Some(TEXT), "e"),
            (None::<&str>.into_response(), 204, None, ""),
            (Ok::<_, StatusCode>("f").into_response(), 200, Some(TEXT), "f"),
            (Err::<&str, _>(StatusCode::BAD_GATEWAY).into_response(), 502, None, ""),
            ((StatusCode::OK, [("content-type", "text/html")], "<p>").into_response(), 200, Some("text/html"), "<p>"),
            ((StatusCode::OK, [("bad name", "x")], "g").into_response(), 500, Some(TEXT), "Internal Server Error"),
        ];
        for (i, (r, status, ct, body)) in cases.into_iter().enumerate() {
            assert_eq!(r.status().as_u16(), status, "case {i}");
            assert_eq!(r.header(CONTENT_TYPE), ct, "case {i}");
            let got = r.body().as_bytes().cloned().unwrap_or_default();
            assert_eq!(got, body.as_bytes(), "case {i}");
        }
    }

    #[test]
    fn etag_table() {
        let cases =
            [("abc", "\"abc\""), ("\"abc\"", "\"abc\""), ("W/\"abc\"", "W/\"abc\""), ("", "\"\""), ("W/x", "\"W/x\"")];
        for (tag, want) in cases {
            assert_eq!(Response::new(StatusCode::OK).with_etag(tag).header(ETAG), Some(want), "{tag}");
        }
        for bad in ["a\"b", "a b", "\"a\"b\""] {
            assert!(std::panic::catch_unwind(|| Response::new(StatusCode::OK).with_etag(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_map_tuple_overrides_defaults() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let r = (StatusCode::OK, h, "{}").into_response();
        assert_eq!(r.header(CONTENT_TYPE), Some("application/json"));
        assert_eq!(r.headers().get_all(CONTENT_TYPE).iter().count(), 1);
    }
}
