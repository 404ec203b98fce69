//! The one error type of the framework.
//!
//! Protocol engines, body readers and helpers all return [`Error`]. It is opaque on purpose
//! (hyper's model): callers ask predicates (`is_timeout()`, `is_body_too_large()`, ...) or
//! [`Error::status`], the HTTP status a server should answer with, and never match on internals.

use std::fmt;

use http::StatusCode;

/// A boxed error from user code or a lower layer.
///
/// ```
/// use http_core::{BoxError, Error};
/// let cause: BoxError = "upstream refused".into();
/// let e = Error::user(cause);
/// assert_eq!(e.to_string(), "user error: upstream refused");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, broadly. New kinds may be added.
///
/// ```
/// use http_core::{Error, ErrorKind, StatusCode};
/// let e = Error::parse(StatusCode::URI_TOO_LONG, "request target too long");
/// assert_eq!(e.kind(), ErrorKind::Parse(StatusCode::URI_TOO_LONG));
/// assert_eq!(Error::from_kind(ErrorKind::Timeout).status(), StatusCode::REQUEST_TIMEOUT);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The peer sent bytes that are not valid HTTP; carries the status to answer with
    /// (400, 414, 431, 501, 505, ...).
    Parse(StatusCode),
    /// A body was larger than the configured limit (413).
    BodyTooLarge,
    /// A read or write did not make progress within its timeout (408 for reads).
    Timeout,
    /// The connection or stream is closed, or the peer went away.
    Closed,
    /// The operation is not allowed in the stream's current state (for example
    /// `setstatus` after the head was written).
    State,
    /// An I/O error on the socket.
    Io,
    /// An error raised by user code (a body stream, a handler).
    User,
}

/// The framework's error: a kind plus an optional cause.
///
/// ```
/// use http_core::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::BodyTooLarge, "body over 10 bytes");
/// assert!(e.is_body_too_large());
/// assert_eq!(e.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
/// ```
pub struct Error {
    kind: ErrorKind,
    cause: Option<BoxError>,
}

impl Error {
    /// An error of `kind` caused by `cause` (anything convertible to a boxed error, a `&str` too).
    ///
    /// ```
    /// use http_core::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Io, std::io::Error::other("disk on fire"));
    /// assert_eq!(e.kind(), ErrorKind::Io);
    /// assert_eq!(e.to_string(), "i/o error: disk on fire");
    /// ```
    pub fn new(kind: ErrorKind, cause: impl Into<BoxError>) -> Self {
        Error { kind, cause: Some(cause.into()) }
    }

    /// An error of `kind` with no further cause.
    ///
    /// ```
    /// use http_core::{Error, ErrorKind};
    /// let e = Error::from_kind(ErrorKind::BodyTooLarge);
    /// assert!(e.cause().is_none());
    /// assert_eq!(e.to_string(), "body too large");
    /// ```
    pub fn from_kind(kind: ErrorKind) -> Self {
        Error { kind, cause: None }
    }

    /// A parse error that should be answered with `status`.
    ///
    /// ```
    /// use http_core::{Error, StatusCode};
    /// let e = Error::parse(StatusCode::BAD_REQUEST, "bad chunk size");
    /// assert!(e.is_parse());
    /// assert_eq!((e.status(), e.to_string().as_str()), (StatusCode::BAD_REQUEST, "bad request (400): bad chunk size"));
    /// ```
    pub fn parse(status: StatusCode, why: &'static str) -> Self {
        Error::new(ErrorKind::Parse(status), why)
    }

    /// An error raised by user code.
    ///
    /// ```
    /// let e = http_core::Error::user("template missing");
    /// assert_eq!(e.kind(), http_core::ErrorKind::User);
    /// assert_eq!(e.status(), 500);
    /// ```
    pub fn user(cause: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::User, cause)
    }

    /// The connection or stream is closed.
    ///
    /// ```
    /// let e = http_core::Error::closed();
    /// assert!(e.is_closed());
    /// assert_eq!(e.to_string(), "connection closed");
    /// ```
    pub fn closed() -> Self {
        Error::from_kind(ErrorKind::Closed)
    }

    /// The broad kind of this error.
    ///
    /// ```
    /// use http_core::{Error, ErrorKind};
    /// let e: Error = std::io::Error::from(std::io::ErrorKind::TimedOut).into();
    /// assert_eq!(e.kind(), ErrorKind::Timeout);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// True for malformed input.
    ///
    /// ```
    /// use http_core::{Error, StatusCode};
    /// assert!(Error::parse(StatusCode::BAD_REQUEST, "x").is_parse());
    /// assert!(!Error::closed().is_parse());
    /// ```
    pub fn is_parse(&self) -> bool {
        matches!(self.kind, ErrorKind::Parse(_))
    }

    /// True when a timeout fired.
    ///
    /// ```
    /// use http_core::{Error, ErrorKind};
    /// assert!(Error::from_kind(ErrorKind::Timeout).is_timeout());
    /// assert!(!Error::closed().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// True when the peer or the stream is gone.
    ///
    /// ```
    /// use http_core::{Error, ErrorKind};
    /// assert!(Error::closed().is_closed());
    /// assert!(!Error::from_kind(ErrorKind::Io).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.kind == ErrorKind::Closed
    }

    /// True when a body limit was exceeded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let err = http_core::Body::from("0123456789").collect(4).await.unwrap_err();
    /// assert!(err.is_body_too_large());
    /// # }
    /// ```
    pub fn is_body_too_large(&self) -> bool {
        self.kind == ErrorKind::BodyTooLarge
    }

    /// The status a server answers with when this error ends a request.
    ///
    /// ```
    /// use http_core::{Error, ErrorKind, StatusCode};
    /// assert_eq!(Error::from_kind(ErrorKind::BodyTooLarge).status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// assert_eq!(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "x").status(), 431);
    /// assert_eq!(Error::user("oops").status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self.kind {
            ErrorKind::Parse(s) => s,
            ErrorKind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Timeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Closed | ErrorKind::State | ErrorKind::Io | ErrorKind::User => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The underlying cause, if any.
    ///
    /// ```
    /// let e = http_core::Error::user(std::io::Error::other("no space"));
    /// assert_eq!(e.cause().unwrap().to_string(), "no space");
    /// assert!(http_core::Error::closed().cause().is_none());
    /// ```
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(c) = &self.cause {
            d.field("cause", c);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Parse(s) => return write_cause(f, &format_args!("bad request ({})", s.as_u16()), &self.cause),
            ErrorKind::BodyTooLarge => "body too large",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Closed => "connection closed",
            ErrorKind::State => "invalid stream state",
            ErrorKind::Io => "i/o error",
            ErrorKind::User => "user error",
        };
        write_cause(f, &what, &self.cause)
    }
}

fn write_cause(f: &mut fmt::Formatter<'_>, what: &dyn fmt::Display, cause: &Option<BoxError>) -> fmt::Result {
    match cause {
        Some(c) => write!(f, "{what}: {c}"),
        None => write!(f, "{what}"),
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
            std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof => ErrorKind::Closed,
            _ => ErrorKind::Io,
        };
        Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_kinds() {
        let table = [
            (Error::parse(StatusCode::URI_TOO_LONG, "x"), 414),
            (Error::from_kind(ErrorKind::BodyTooLarge), 413),
            (Error::from_kind(ErrorKind::Timeout), 408),
            (Error::closed(), 500),
            (Error::user("boom"), 500),
        ];
        for (e, code) in table {
            assert_eq!(e.status().as_u16(), code, "{e}");
        }
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let e: Error = std::io::Error::from(std::io::ErrorKind::BrokenPipe).into();
        assert!(e.is_closed());
        let e: Error = std::io::Error::from(std::io::ErrorKind::TimedOut).into();
        assert!(e.is_timeout());
    }
}
