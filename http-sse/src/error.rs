//! The crate's one error type, [`SseError`].

use std::fmt;

/// What went wrong with an event, a stream or a parse.
///
/// Opaque on purpose: ask the predicates.
///
/// ```
/// use http_sse::SseEvent;
/// let err = SseEvent::new("x").with_id("a\nb").encode().unwrap_err();
/// assert!(err.is_invalid());
/// assert_eq!(err.to_string(), "invalid SSE event: `id` contains a line break (CR or LF)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseError {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A field that cannot be written without corrupting the stream.
    Invalid { field: &'static str, reason: &'static str },
    /// An event larger than `max_len` bytes.
    TooLarge { len: usize, max_len: usize },
    /// The stream was closed, or the client went away.
    Closed,
    /// The byte source a parser was reading from failed.
    Read(String),
}

impl SseError {
    pub(crate) fn invalid(field: &'static str, reason: &'static str) -> Self {
        SseError { kind: Kind::Invalid { field, reason } }
    }

    pub(crate) fn too_large(len: usize, max_len: usize) -> Self {
        SseError { kind: Kind::TooLarge { len, max_len } }
    }

    pub(crate) fn closed() -> Self {
        SseError { kind: Kind::Closed }
    }

    pub(crate) fn read(why: String) -> Self {
        SseError { kind: Kind::Read(why) }
    }

    /// True when an event field (`id`, `event`) holds a character that would corrupt the
    /// stream: a line break, or NUL in `id`.
    ///
    /// ```
    /// use http_sse::SseEvent;
    /// assert!(SseEvent::new("x").with_event("a\nb").encode().unwrap_err().is_invalid());
    /// ```
    pub fn is_invalid(&self) -> bool {
        matches!(self.kind, Kind::Invalid { .. })
    }

    /// True when one event is larger than the `max_len` in force (on a stream or a parser).
    ///
    /// ```
    /// use http_sse::SseParser;
    /// let mut p = SseParser::new(8);
    /// p.feed(b"data: far too long for eight bytes\n\n");
    /// assert!(p.next_event().unwrap().unwrap_err().is_too_large());
    /// ```
    pub fn is_too_large(&self) -> bool {
        matches!(self.kind, Kind::TooLarge { .. })
    }

    /// True when the stream is closed: the client went away, or the stream was closed
    /// before this send.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, _body) = http_sse::SseStream::new(64, None);
    /// stream.close();
    /// assert!(stream.send(&http_sse::SseEvent::new("late")).await.unwrap_err().is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self.kind, Kind::Closed)
    }

    /// True when the byte source an [`EventStream`](crate::EventStream) reads from failed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use tokio_stream::StreamExt;
    /// let chunks = vec![Err::<bytes::Bytes, _>("connection reset")];
    /// let mut events = http_sse::EventStream::new(tokio_stream::iter(chunks), 1024);
    /// assert!(events.next().await.unwrap().unwrap_err().is_read());
    /// # }
    /// ```
    pub fn is_read(&self) -> bool {
        matches!(self.kind, Kind::Read(_))
    }
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Invalid { field, reason } => write!(f, "invalid SSE event: `{field}` {reason}"),
            Kind::TooLarge { len, max_len } => write!(f, "SSE event of {len} bytes is over max_len ({max_len} bytes)"),
            Kind::Closed => f.write_str("SSE stream closed (the client went away or the stream was closed)"),
            Kind::Read(why) => write!(f, "reading the SSE byte stream failed: {why}"),
        }
    }
}

impl std::error::Error for SseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_messages() {
        let cases = [
            (
                SseError::invalid("event", "contains NUL"),
                (true, false, false),
                "invalid SSE event: `event` contains NUL",
            ),
            (SseError::too_large(10, 5), (false, true, false), "SSE event of 10 bytes is over max_len (5 bytes)"),
            (
                SseError::closed(),
                (false, false, true),
                "SSE stream closed (the client went away or the stream was closed)",
            ),
        ];
        for (e, (inv, big, closed), msg) in cases {
            assert_eq!((e.is_invalid(), e.is_too_large(), e.is_closed(), e.is_read()), (inv, big, closed, false));
            assert_eq!(e.to_string(), msg);
        }
        let e = SseError::read("reset".into());
        assert!(e.is_read() && !e.is_closed());
        assert_eq!(e.to_string(), "reading the SSE byte stream failed: reset");
    }
}
