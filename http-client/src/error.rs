//! The client's one error type: a kind, the URL it happened on, and the cause.
//!
//! Callers ask predicates (`is_timeout()`, `is_connect()`, ...) or [`Error::kind`]; the
//! `fetch` binary maps kinds to curl's exit codes ([`ErrorKind::exit_code`]).

use std::fmt;

use http::StatusCode;

/// A boxed cause.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong. New kinds may be added.
///
/// ```
/// use http_client::ErrorKind;
/// assert_eq!(ErrorKind::Timeout.exit_code(), 28);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be built: a bad URL, header or body.
    Builder,
    /// The host name did not resolve.
    Resolve,
    /// The TCP connection could not be made (refused, unreachable).
    Connect,
    /// A connect, read or total timeout passed.
    Timeout,
    /// The TLS handshake failed (the server does not speak TLS, no common protocol).
    Tls,
    /// The server's certificate is not trusted or does not name the host.
    Certificate,
    /// The response is not valid HTTP: bad status line, conflicting Content-Length, bad
    /// chunk size, a head over its size limit, an HTTP/2 protocol error.
    Malformed,
    /// The body ended before its declared length.
    BodyTruncated,
    /// An HTTP/2 stream was reset or ended before its content-length.
    StreamReset,
    /// Too many redirects, or a redirect without a usable Location.
    Redirect,
    /// `error_for_status` on a 4xx or 5xx response.
    Status(StatusCode),
    /// The body is larger than the configured maximum.
    BodyTooLarge,
    /// The body could not be decoded (content coding, JSON, UTF-8).
    Decode,
    /// Another I/O error, or the connection closed before a response.
    Io,
}

impl ErrorKind {
    /// curl's exit code for this kind (1 when curl has none more specific).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Resolve => 6,
            ErrorKind::Connect => 7,
            ErrorKind::Malformed => 8,
            ErrorKind::BodyTruncated => 18,
            ErrorKind::Status(_) => 22,
            ErrorKind::Timeout => 28,
            ErrorKind::Tls => 35,
            ErrorKind::Redirect => 47,
            ErrorKind::Certificate => 60,
            ErrorKind::StreamReset => 92,
            ErrorKind::Decode => 61,
            ErrorKind::BodyTooLarge => 63,
            ErrorKind::Builder => 3,
            ErrorKind::Io => 1,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Builder => "bad request",
            ErrorKind::Resolve => "could not resolve host",
            ErrorKind::Connect => "could not connect",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Tls => "TLS handshake failed",
            ErrorKind::Certificate => "TLS certificate not trusted",
            ErrorKind::Malformed => "malformed response",
            ErrorKind::BodyTruncated => "response body shorter than its declared length",
            ErrorKind::StreamReset => "HTTP/2 stream reset",
            ErrorKind::Redirect => "redirect failed",
            ErrorKind::Status(_) => "error status",
            ErrorKind::BodyTooLarge => "response body over the size limit",
            ErrorKind::Decode => "could not decode the body",
            ErrorKind::Io => "I/O error",
        }
    }
}

/// A client error: its kind, the URL it happened on, and its cause.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // port 1 on loopback refuses connections
/// let err = http_client::get("http://127.0.0.1:1/").await.unwrap_err();
/// assert!(err.is_connect());
/// assert!(err.to_string().contains("http://127.0.0.1:1/"));
/// # }
/// ```
pub struct Error {
    kind: ErrorKind,
    url: Option<String>,
    cause: Option<BoxError>,
    /// Raised while reading a body (as opposed to the head).
    body: bool,
    /// The request never reached the server (a pooled connection it closed while idle): an
    /// idempotent request may go again on a new connection.
    retry: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, cause: impl Into<BoxError>) -> Self {
        Error { kind, url: None, cause: Some(cause.into()), body: false, retry: false }
    }

    pub(crate) fn bare(kind: ErrorKind) -> Self {
        Error { kind, url: None, cause: None, body: false, retry: false }
    }

    /// Sets the URL, unless one is set already.
    pub(crate) fn with_url(mut self, url: &impl fmt::Display) -> Self {
        if self.url.is_none() {
            self.url = Some(url.to_string());
        }
        self
    }

    pub(crate) fn retryable(mut self, yes: bool) -> Self {
        self.retry = yes;
        self
    }

    pub(crate) fn is_retryable(&self) -> bool {
        self.retry
    }

    pub(crate) fn in_body(mut self) -> Self {
        self.body = true;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The URL of the request that failed, when known.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// A connect, read or total timeout passed.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// The connection could not be made (name resolution or TCP connect).
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, ErrorKind::Resolve | ErrorKind::Connect)
    }

    /// A redirect could not be followed (too many, or no usable Location).
    pub fn is_redirect(&self) -> bool {
        self.kind == ErrorKind::Redirect
    }

    /// TLS failed: the handshake, or the certificate.
    pub fn is_tls(&self) -> bool {
        matches!(self.kind, ErrorKind::Tls | ErrorKind::Certificate)
    }

    /// Reading the body failed (cut short, malformed framing, over the limit, undecodable).
    pub fn is_body(&self) -> bool {
        self.body || matches!(self.kind, ErrorKind::BodyTruncated | ErrorKind::BodyTooLarge | ErrorKind::Decode)
    }

    /// Raised by `error_for_status`.
    pub fn is_status(&self) -> bool {
        matches!(self.kind, ErrorKind::Status(_))
    }

    /// The status, for errors from `error_for_status`.
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind {
            ErrorKind::Status(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Status(s) => write!(f, "HTTP status {s}")?,
            k => f.write_str(k.describe())?,
        }
        if let Some(url) = &self.url {
            write!(f, " ({url})")?;
        }
        if let Some(c) = &self.cause {
            write!(f, ": {c}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("kind", &self.kind).field("url", &self.url).field("cause", &self.cause).finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_message() {
        let e = Error::new(ErrorKind::Timeout, "read").with_url(&"http://a/");
        assert!(e.is_timeout() && !e.is_connect());
        assert_eq!(e.to_string(), "timed out (http://a/): read");
        assert!(Error::bare(ErrorKind::Certificate).is_tls());
        assert!(Error::bare(ErrorKind::Malformed).in_body().is_body());
        assert_eq!(Error::bare(ErrorKind::Status(StatusCode::NOT_FOUND)).status(), Some(StatusCode::NOT_FOUND));
    }
}
