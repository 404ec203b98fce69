//! The client side: bytes of an event stream in, [`SseEvent`]s out, per the WHATWG
//! interpretation rules (HTML, "Server-sent events", §9.2.6).
//!
//! [`SseParser`] is incremental: feed it chunks split anywhere (inside a UTF-8 sequence,
//! between the CR and LF of a CRLF, inside the BOM) and it produces the same events as for
//! the whole stream at once. The rules it follows:
//!
//! - One leading UTF-8 BOM is skipped. The stream is decoded as UTF-8, invalid sequences
//!   becoming U+FFFD.
//! - CRLF, a lone CR and a lone LF each end a line.
//! - A line starting with `:` is a comment and is ignored.
//! - `name:value` is a field; one space after the colon is removed from the value. A line
//!   with no colon is a field whose whole line is the name and whose value is empty.
//! - `event` sets the event type; `data` appends the value and a LF to the data; `id` sets
//!   the last event ID unless the value contains NUL (then the field is ignored); `retry`
//!   sets the reconnection time when the value is all ASCII digits (otherwise, or when it
//!   overflows `u64`, it is ignored). Other field names are ignored (but kept in
//!   [`SseEvent::fields`]). Names are case-sensitive.
//! - A blank line dispatches: an event with empty data is not dispatched; otherwise one
//!   final LF is removed from the data and the event carries the last event ID, which stays
//!   in force for later events until an `id` field changes it.
//! - At the end of the stream an unfinished event is discarded ([`SseParser::finish`]).
//! - `max_len` bounds one event: the bytes of its lines (the unfinished line included) may
//!   not exceed it. An oversized event is reported once as an error
//!   ([`SseError::is_too_large`]) and skipped up to the next blank line; the parser goes on.
//!   Comment lines are not stored and do not count.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio_stream::Stream;

use crate::DEFAULT_MAX_LEN;
use crate::error::SseError;
use crate::event::SseEvent;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An incremental event-stream parser.
///
/// ```
/// use http_sse::SseParser;
/// let mut p = SseParser::new(1024);
/// p.feed(b"id: 1\nevent: tick\ndata: line1\r");
/// assert!(p.next_event().is_none(), "no blank line yet");
/// p.feed(b"\ndata: line2\n\ndata: again\n\n");
/// let a = p.next_event().unwrap().unwrap();
/// assert_eq!((a.event.as_deref(), a.id.as_deref(), a.data.as_str()), (Some("tick"), Some("1"), "line1\nline2"));
/// let b = p.next_event().unwrap().unwrap();
/// assert_eq!((b.event, b.id.as_deref(), b.data.as_str()), (None, Some("1"), "again"));
/// ```
#[derive(Debug)]
pub struct SseParser {
    max_len: usize,
    /// The unfinished line (not stored for comments or while skipping).
    line: Vec<u8>,
    /// The unfinished line has at least one byte (it may not be stored).
    line_started: bool,
    /// The unfinished line is a comment.
    in_comment: bool,
    /// The last byte was a CR: a LF right after it is part of the same line end.
    skip_lf: bool,
    /// Nothing has been read since the start (or the last `finish`): a BOM may come.
    at_start: bool,
    /// Skipping an oversized event up to the next blank line.
    skipping: bool,
    /// Bytes of the current event's finished lines, each counted with one line end.
    event_len: usize,
    data: String,
    event_type: String,
    fields: Vec<(String, String)>,
    last_event_id: String,
    retry: Option<u64>,
    out: VecDeque<Result<SseEvent, SseError>>,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(DEFAULT_MAX_LEN)
    }
}

impl SseParser {
    /// A parser that allows events of up to `max_len` bytes.
    ///
    /// ```
    /// let mut p = http_sse::SseParser::new(1024);
    /// p.feed(b"data: x\n\n");
    /// assert_eq!(p.next_event().unwrap().unwrap().data, "x");
    /// ```
    pub fn new(max_len: usize) -> Self {
        SseParser {
            max_len,
            line: Vec::new(),
            line_started: false,
            in_comment: false,
            skip_lf: false,
            at_start: true,
            skipping: false,
            event_len: 0,
            data: String::new(),
            event_type: String::new(),
            fields: Vec::new(),
            last_event_id: String::new(),
            retry: None,
            out: VecDeque::new(),
        }
    }

    /// The last event ID in force (empty when none was set, or it was reset): what an
    /// `EventSource` sends as `Last-Event-ID` when it reconnects.
    ///
    /// ```
    /// let mut p = http_sse::SseParser::default();
    /// assert_eq!(p.last_event_id(), "");
    /// p.feed(b"id: 7\ndata: a\n\n");
    /// assert_eq!(p.last_event_id(), "7");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The last valid `retry` seen (the reconnection time in milliseconds).
    ///
    /// ```
    /// let mut p = http_sse::SseParser::default();
    /// p.feed(b"retry: 1500\n\nretry: soon\n\n");
    /// assert_eq!(p.retry(), Some(1500), "a non-numeric retry is ignored");
    /// ```
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Parses the next chunk of the stream. Events (and errors) it completes are queued for
    /// [`next_event`](Self::next_event).
    ///
    /// ```
    /// let mut p = http_sse::SseParser::default();
    /// p.feed(b"data: spl");
    /// p.feed(b"it\r");
    /// p.feed(b"\n\n");
    /// assert_eq!(p.next_event().unwrap().unwrap().data, "split");
    /// ```
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            if self.skip_lf {
                self.skip_lf = false;
                if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            match chunk.iter().position(|&b| b == b'\r' || b == b'\n') {
                None => {
                    self.extend_line(chunk);
                    return;
                }
                Some(i) => {
                    self.extend_line(&chunk[..i]);
                    self.skip_lf = chunk[i] == b'\r';
                    self.end_line();
                    chunk = &chunk[i + 1..];
                }
            }
        }
    }

    /// The next parsed event, or an oversized-event error; `None` when more bytes are needed.
    ///
    /// ```
    /// let mut p = http_sse::SseParser::default();
    /// p.feed(b"data: one\n\ndata: two\n\n");
    /// assert_eq!(p.next_event().unwrap().unwrap().data, "one");
    /// assert_eq!(p.next_event().unwrap().unwrap().data, "two");
    /// assert!(p.next_event().is_none());
    /// ```
    pub fn next_event(&mut self) -> Option<Result<SseEvent, SseError>> {
        self.out.pop_front()
    }

    /// Ends the stream: an unfinished line or event is discarded, as the specification says.
    /// The last event ID and reconnection time are kept, so the parser can read the stream
    /// of a reconnection next. Returns true when something was discarded.
    ///
    /// ```
    /// let mut p = http_sse::SseParser::default();
    /// p.feed(b"id: 9\ndata: done\n\ndata: cut off");
    /// assert!(p.finish());
    /// assert_eq!(p.next_event().unwrap().unwrap().data, "done");
    /// assert!(p.next_event().is_none());
    /// assert_eq!(p.last_event_id(), "9");
    /// ```
    pub fn finish(&mut self) -> bool {
        let discarded = self.line_started || !self.fields.is_empty() || self.skipping;
        self.line.clear();
        self.line_started = false;
        self.in_comment = false;
        self.skip_lf = false;
        self.at_start = true;
        self.skipping = false;
        self.reset_event();
        discarded
    }

    fn extend_line(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if !self.line_started && bytes[0] == b':' {
            self.in_comment = true;
        }
        self.line_started = true;
        if self.in_comment || self.skipping {
            return;
        }
        self.line.extend_from_slice(bytes);
        let len = self.event_len + self.line.len();
        if len > self.max_len {
            self.too_large(len);
        }
    }

    fn too_large(&mut self, len: usize) {
        self.out.push_back(Err(SseError::too_large(len, self.max_len)));
        self.skipping = true;
        self.line.clear();
        self.reset_event();
    }

    fn end_line(&mut self) {
        let blank = !self.line_started;
        let comment = self.in_comment;
        self.line_started = false;
        self.in_comment = false;
        let mut line = std::mem::take(&mut self.line);
        if self.at_start {
            self.at_start = false;
            if line.starts_with(BOM) {
                line.drain(..BOM.len());
            }
        }
        if self.skipping {
            self.skipping = !blank;
        } else if comment {
        } else if line.is_empty() {
            self.dispatch();
        } else {
            self.event_len += line.len() + 1;
            if self.event_len > self.max_len {
                self.too_large(self.event_len);
            } else {
                self.field(&String::from_utf8_lossy(&line));
            }
        }
        line.clear();
        self.line = line;
    }

    fn field(&mut self, line: &str) {
        if line.starts_with(':') {
            return; // a comment after a BOM
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_event_id),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
        self.fields.push((name.to_owned(), value.to_owned()));
    }

    fn dispatch(&mut self) {
        if self.data.is_empty() {
            self.reset_event();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event_type = std::mem::take(&mut self.event_type);
        let ev = SseEvent {
            data,
            event: (!event_type.is_empty()).then_some(event_type),
            id: (!self.last_event_id.is_empty()).then(|| self.last_event_id.clone()),
            retry: self.retry,
            fields: std::mem::take(&mut self.fields),
        };
        self.out.push_back(Ok(ev));
        self.reset_event();
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.fields.clear();
        self.event_len = 0;
    }
}

/// Parses a whole stream held in memory, as [`SseParser`] does with the end of the stream
/// after `bytes`. Fails on the first oversized event.
///
/// ```
/// let evs = http_sse::parse_all(b"\xEF\xBB\xBFdata: a\r\n\r\n: comment\ndata\n\n", 1024).unwrap();
/// let data: Vec<_> = evs.iter().map(|e| e.data.as_str()).collect();
/// assert_eq!(data, ["a", ""]);
/// ```
pub fn parse_all(bytes: &[u8], max_len: usize) -> Result<Vec<SseEvent>, SseError> {
    let mut p = SseParser::new(max_len);
    p.feed(bytes);
    p.finish();
    std::iter::from_fn(|| p.next_event()).collect()
}

/// Events read from a stream of byte chunks (a response body, a socket): an async
/// [`Stream`] of `Result<SseEvent, SseError>`. A failing source yields one
/// [`is_read`](SseError::is_read) error and ends; at the source's end an unfinished event is
/// discarded.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use tokio_stream::StreamExt;
/// let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from("data: he")), Ok("llo\n\n".into())];
/// let mut events = http_sse::EventStream::new(tokio_stream::iter(chunks), 1024);
/// assert_eq!(events.next().await.unwrap().unwrap().data, "hello");
/// assert!(events.next().await.is_none());
/// # }
/// ```
#[derive(Debug)]
pub struct EventStream<S> {
    source: Option<S>,
    parser: SseParser,
}

impl<S> EventStream<S> {
    /// Reads events from `source`, allowing events of up to `max_len` bytes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use tokio_stream::StreamExt;
    /// let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from("data: a\n\n"))];
    /// let events: Vec<_> = http_sse::EventStream::new(tokio_stream::iter(chunks), 1024).collect().await;
    /// assert_eq!(events.len(), 1);
    /// # }
    /// ```
    pub fn new(source: S, max_len: usize) -> Self {
        EventStream { source: Some(source), parser: SseParser::new(max_len) }
    }

    /// The parser, for its last event ID and reconnection time.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use tokio_stream::StreamExt;
    /// let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from("id: 5\nretry: 100\ndata: a\n\n"))];
    /// let mut events = http_sse::EventStream::new(tokio_stream::iter(chunks), 1024);
    /// events.next().await.unwrap().unwrap();
    /// assert_eq!((events.parser().last_event_id(), events.parser().retry()), ("5", Some(100)));
    /// # }
    /// ```
    pub fn parser(&self) -> &SseParser {
        &self.parser
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    type Item = Result<SseEvent, SseError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(ev) = this.parser.next_event() {
                return Poll::Ready(Some(ev));
            }
            let Some(source) = this.source.as_mut() else { return Poll::Ready(None) };
            match Pin::new(source).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.parser.feed(chunk.as_ref()),
                Poll::Ready(Some(Err(e))) => {
                    this.source = None;
                    this.parser.finish();
                    return Poll::Ready(Some(Err(SseError::read(e.to_string()))));
                }
                Poll::Ready(None) => {
                    this.source = None;
                    this.parser.finish();
                }
            }
        }
    }
}

/// Events read from a response [`Body`](http_core::Body).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use tokio_stream::StreamExt;
/// let mut events = http_sse::body_events(http_core::Body::from("data: x\n\n"), 1024);
/// assert_eq!(events.next().await.unwrap().unwrap().data, "x");
/// # }
/// ```
pub fn body_events(
    body: http_core::Body,
    max_len: usize,
) -> EventStream<impl Stream<Item = Result<Bytes, http_core::Error>> + Unpin> {
    EventStream::new(BodyChunks(body), max_len)
}

/// A body's data frames as a stream of chunks (trailers are skipped).
struct BodyChunks(http_core::Body);

impl Stream for BodyChunks {
    type Item = Result<Bytes, http_core::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match self.0.poll_frame(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(http_core::Frame::Data(d)))) => Poll::Ready(Some(Ok(d))),
                Poll::Ready(Some(Ok(http_core::Frame::Trailers(_)))) => continue,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_does_not_grow_memory() {
        let mut p = SseParser::new(1000);
        p.feed(b"data: ");
        for _ in 0..1000 {
            p.feed(&[b'x'; 1000]);
        }
        assert!(p.line.capacity() < 4096, "line buffer {} bytes", p.line.capacity());
        assert!(p.next_event().unwrap().unwrap_err().is_too_large());
        assert!(p.next_event().is_none(), "reported once");
        p.feed(b"\n\ndata: next\n\n");
        assert_eq!(p.next_event().unwrap().unwrap().data, "next");
    }

    #[test]
    fn finish_resets_for_a_reconnection_but_keeps_id_and_retry() {
        let mut p = SseParser::default();
        p.feed(b"retry: 10\nid: 3\ndata: a\n\nevent: x\ndata: partial\n");
        assert!(p.finish());
        assert!(!p.finish(), "nothing left the second time");
        // The next connection may start with a BOM again; event type was discarded.
        p.feed(b"\xEF\xBB\xBFdata: b\n\n");
        let evs: Vec<_> = std::iter::from_fn(|| p.next_event()).map(Result::unwrap).collect();
        assert_eq!(evs.len(), 2);
        assert_eq!((evs[1].data.as_str(), evs[1].event.as_deref()), ("b", None));
        assert_eq!((evs[1].id.as_deref(), evs[1].retry), (Some("3"), Some(10)));
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let mut p = SseParser::default();
        p.feed(b"data: a\r");
        p.feed(b"\ndata: b\r");
        p.feed(b"\n\r");
        p.feed(b"\n");
        assert_eq!(p.next_event().unwrap().unwrap().data, "a\nb");
        assert!(p.next_event().is_none());
    }

    #[tokio::test]
    async fn event_stream_reports_a_failing_source_once() {
        use tokio_stream::StreamExt;
        let chunks: Vec<Result<&[u8], &str>> = vec![Ok(b"data: 1\n\ndata: 2"), Err("connection reset")];
        let mut events = EventStream::new(tokio_stream::iter(chunks), 1024);
        assert_eq!(events.next().await.unwrap().unwrap().data, "1");
        let err = events.next().await.unwrap().unwrap_err();
        assert!(err.is_read());
        assert_eq!(err.to_string(), "reading the SSE byte stream failed: connection reset");
        assert!(events.next().await.is_none(), "the unfinished event was discarded");
    }
}
