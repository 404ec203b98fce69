//! [`Rejection`]: why a request body or query string could not be read as a typed value
//! (feature `json`).

use std::fmt;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::error::Error;
use crate::response::{IntoResponse, Response};

/// The limit on a body read by [`Request::json`](crate::Request::json) and
/// [`Request::form`](crate::Request::form): 2 MiB. The `_limit` variants take another.
///
/// ```
/// assert_eq!(http_core::DEFAULT_BODY_LIMIT, 2 << 20);
/// ```
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A typed read of the request failed: 400 (malformed input), 413 (body over the limit) or
/// 415 (wrong `Content-Type`). It is itself a response (the status with a one-line
/// `text/plain` explanation), so handlers can return it with `?` from a
/// `Result<_, Rejection>`.
///
/// ```
/// use http_core::{IntoResponse, Rejection, StatusCode};
/// let r = Rejection::new(StatusCode::BAD_REQUEST, "missing field `name`");
/// assert!(r.is_malformed());
/// let resp = r.into_response();
/// assert_eq!(resp.status(), 400);
/// assert_eq!(resp.body().as_bytes().unwrap(), "400 Bad Request: missing field `name`\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    message: String,
}

impl Rejection {
    /// A rejection answered with `status` and explained by `message`.
    ///
    /// ```
    /// let r = http_core::Rejection::new(http_core::StatusCode::CONFLICT, "taken");
    /// assert_eq!((r.status().as_u16(), r.message()), (409, "taken"));
    /// ```
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection { status, message: message.into() }
    }

    /// The status to answer with.
    ///
    /// ```
    /// let r = http_core::Rejection::new(http_core::StatusCode::BAD_REQUEST, "x");
    /// assert_eq!(r.status(), 400);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What was wrong, in one line.
    ///
    /// ```
    /// let r = http_core::Rejection::new(http_core::StatusCode::BAD_REQUEST, "bad id");
    /// assert_eq!(r.message(), "bad id");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True for malformed input (400).
    ///
    /// ```
    /// assert!(http_core::Rejection::new(http_core::StatusCode::BAD_REQUEST, "").is_malformed());
    /// ```
    pub fn is_malformed(&self) -> bool {
        self.status == StatusCode::BAD_REQUEST
    }

    /// True for a body over the limit (413).
    ///
    /// ```
    /// assert!(http_core::Rejection::new(http_core::StatusCode::PAYLOAD_TOO_LARGE, "").is_too_large());
    /// ```
    pub fn is_too_large(&self) -> bool {
        self.status == StatusCode::PAYLOAD_TOO_LARGE
    }

    /// True for a missing or wrong `Content-Type` (415).
    ///
    /// ```
    /// let r = http_core::Rejection::new(http_core::StatusCode::UNSUPPORTED_MEDIA_TYPE, "");
    /// assert!(r.is_unsupported_media_type());
    /// ```
    pub fn is_unsupported_media_type(&self) -> bool {
        self.status == StatusCode::UNSUPPORTED_MEDIA_TYPE
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Rejection::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body over {limit} bytes"))
    }

    /// A failed body read: 413 past the limit, 408 on a read timeout, 400 otherwise.
    pub(crate) fn from_read(e: &Error, limit: usize) -> Self {
        if e.is_body_too_large() {
            Rejection::too_large(limit)
        } else if e.is_timeout() {
            Rejection::new(StatusCode::REQUEST_TIMEOUT, "timed out reading the request body")
        } else {
            Rejection::malformed(format!("could not read the request body: {e}"))
        }
    }

    /// Checks the request's `Content-Type` with `accepts` (given the media type, lower-case,
    /// without parameters); 415 naming `expected` otherwise.
    pub(crate) fn check_content_type(
        headers: &HeaderMap,
        expected: &str,
        accepts: impl Fn(&str) -> bool,
    ) -> Result<(), Rejection> {
        let media = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match media {
            Some(m) if accepts(&m) => Ok(()),
            Some(m) => Err(Rejection::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type {expected}, got {m}"),
            )),
            None => Err(Rejection::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type {expected}, got none"),
            )),
        }
    }

    /// Reads `body` whole, first checking a declared Content-Length against `limit`.
    pub(crate) async fn read_body(req: &mut crate::Request, limit: usize) -> Result<bytes::Bytes, Rejection> {
        let declared = req.header(http::header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Rejection::too_large(limit));
        }
        req.take_body().collect(limit).await.map_err(|e| Rejection::from_read(&e, limit))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = format!("{self}\n");
        Response::new(self.status)
            .with_header_value(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))
            .with_body(body)
    }
}
