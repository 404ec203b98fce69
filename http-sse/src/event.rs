//! [`SseEvent`] and its wire encoding (WHATWG HTML, "Server-sent events", §9.2.5).
//!
//! An event is written as, in this order:
//!
//! ```text
//! event: <event>      (when set and not empty)
//! id: <id>            (when set; an empty id resets the client's last event ID)
//! retry: <retry>      (when set)
//! data: <line>        (one per line of data; CRLF, CR and LF all break lines)
//! <blank line>        (dispatches the event)
//! ```
//!
//! `fields` is never written: it records what a parser observed. An `id` or `event` holding a
//! line break (CR or LF) or NUL cannot be written without changing the meaning of the stream,
//! so encoding it is an [`SseError`] (`is_invalid()`) and nothing is written.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::SseError;

/// One server-sent event: what a server sends and what the parser produces.
///
/// ```
/// use http_sse::SseEvent;
/// let ev = SseEvent::new("line1\nline2").with_event("tick").with_id("7").with_retry(2500);
/// assert_eq!(
///     ev.encode().unwrap(),
///     "event: tick\nid: 7\nretry: 2500\ndata: line1\ndata: line2\n\n"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The data. Sent as one `data:` line per line; a parser joins the lines with `\n`.
    pub data: String,
    /// The event type (`event:`); `None` (or empty) means the default type, `message`.
    pub event: Option<String>,
    /// The event ID (`id:`). On a parsed event: the last event ID in effect when the event
    /// was dispatched (carried over from earlier events), `None` while it is empty.
    pub id: Option<String>,
    /// The reconnection time in milliseconds (`retry:`). On a parsed event: the last valid
    /// `retry` seen on the stream so far.
    pub retry: Option<u64>,
    /// Every field line the parser saw in this event's block, in order, as
    /// `(name, value)` (unknown fields too). Never written by [`encode`](Self::encode).
    pub fields: Vec<(String, String)>,
}

impl SseEvent {
    /// An event of the default type carrying `data`.
    ///
    /// ```
    /// let ev = http_sse::SseEvent::new("hi");
    /// assert_eq!((ev.data.as_str(), ev.event.as_deref()), ("hi", None));
    /// assert_eq!(ev.encode().unwrap(), "data: hi\n\n");
    /// ```
    pub fn new(data: impl Into<String>) -> Self {
        SseEvent { data: data.into(), ..Default::default() }
    }

    /// Sets the event type (builder style). Checked when encoded.
    ///
    /// ```
    /// let ev = http_sse::SseEvent::new("x").with_event("tick");
    /// assert_eq!(ev.encode().unwrap(), "event: tick\ndata: x\n\n");
    /// ```
    pub fn with_event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the event ID (builder style). Checked when encoded.
    ///
    /// ```
    /// let ev = http_sse::SseEvent::new("x").with_id("42");
    /// assert_eq!(ev.encode().unwrap(), "id: 42\ndata: x\n\n");
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the reconnection time in milliseconds (builder style).
    ///
    /// ```
    /// let ev = http_sse::SseEvent::new("x").with_retry(3000);
    /// assert_eq!(ev.encode().unwrap(), "retry: 3000\ndata: x\n\n");
    /// ```
    pub fn with_retry(mut self, retry_ms: u64) -> Self {
        self.retry = Some(retry_ms);
        self
    }

    /// The value of the last field `name` the parser saw in this event's block.
    ///
    /// ```
    /// let evs = http_sse::parse_all(b"x-trace: abc\ndata: hi\n\n", usize::MAX).unwrap();
    /// assert_eq!(evs[0].field("x-trace"), Some("abc"));
    /// ```
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Checks that the event can be written: no CR, LF or NUL in `id` or `event`.
    ///
    /// ```
    /// use http_sse::SseEvent;
    /// assert!(SseEvent::new("ok").with_event("a\rb").validate().unwrap_err().is_invalid());
    /// assert!(SseEvent::new("any\0data\r\nis fine").validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), SseError> {
        check("event", self.event.as_deref())?;
        check("id", self.id.as_deref())
    }

    /// The number of bytes [`encode`](Self::encode) produces.
    ///
    /// ```
    /// let ev = http_sse::SseEvent::new("a\nb").with_id("1");
    /// assert_eq!(ev.encoded_len(), ev.encode().unwrap().len());
    /// assert_eq!(ev.encoded_len(), "id: 1\ndata: a\ndata: b\n\n".len());
    /// ```
    pub fn encoded_len(&self) -> usize {
        let mut n = 0;
        if let Some(e) = self.event.as_deref().filter(|e| !e.is_empty()) {
            n += "event: \n".len() + e.len();
        }
        if let Some(id) = &self.id {
            n += "id: \n".len() + id.len();
        }
        if let Some(r) = self.retry {
            n += "retry: \n".len() + decimal_len(r);
        }
        for line in lines(&self.data) {
            n += "data: \n".len() + line.len();
        }
        n + 1
    }

    /// Encodes the event, validated first.
    ///
    /// ```
    /// let bytes = http_sse::SseEvent::new("hello").with_event("greeting").encode().unwrap();
    /// assert_eq!(bytes, "event: greeting\ndata: hello\n\n");
    /// ```
    pub fn encode(&self) -> Result<Bytes, SseError> {
        self.validate()?;
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.write_validated(&mut buf);
        Ok(buf.freeze())
    }

    /// Appends the encoded event to `buf`; on an invalid event nothing is appended.
    ///
    /// ```
    /// let mut buf = bytes::BytesMut::from(": start\n\n");
    /// http_sse::SseEvent::new("x").encode_into(&mut buf).unwrap();
    /// assert_eq!(buf, ": start\n\ndata: x\n\n");
    /// assert!(http_sse::SseEvent::new("y").with_id("\n").encode_into(&mut buf).is_err());
    /// assert_eq!(buf.len(), ": start\n\ndata: x\n\n".len(), "nothing appended");
    /// ```
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), SseError> {
        self.validate()?;
        buf.reserve(self.encoded_len());
        self.write_validated(buf);
        Ok(())
    }

    /// Writes the fields of a validated event (the caller reserved the space).
    fn write_validated(&self, buf: &mut BytesMut) {
        if let Some(e) = self.event.as_deref().filter(|e| !e.is_empty()) {
            put_line(buf, "event: ", e);
        }
        if let Some(id) = &self.id {
            put_line(buf, "id: ", id);
        }
        if let Some(r) = self.retry {
            put_line(buf, "retry: ", &r.to_string());
        }
        for line in lines(&self.data) {
            put_line(buf, "data: ", line);
        }
        buf.put_u8(b'\n');
    }
}

/// Encodes a comment: one `: ` line per line of `text`, then a blank line. Clients ignore
/// comments; servers send them to keep idle connections open.
///
/// ```
/// assert_eq!(http_sse::encode_comment("ping"), ": ping\n\n");
/// assert_eq!(http_sse::encode_comment("a\r\nb"), ": a\n: b\n\n");
/// ```
pub fn encode_comment(text: &str) -> Bytes {
    let mut buf = BytesMut::new();
    for line in lines(text) {
        put_line(&mut buf, ": ", line);
    }
    buf.put_u8(b'\n');
    buf.freeze()
}

fn check(field: &'static str, value: Option<&str>) -> Result<(), SseError> {
    let Some(v) = value else { return Ok(()) };
    if v.contains(['\r', '\n']) {
        return Err(SseError::invalid(field, "contains a line break (CR or LF)"));
    }
    if v.contains('\0') {
        return Err(SseError::invalid(field, "contains NUL"));
    }
    Ok(())
}

fn put_line(buf: &mut BytesMut, prefix: &str, value: &str) {
    buf.put_slice(prefix.as_bytes());
    buf.put_slice(value.as_bytes());
    buf.put_u8(b'\n');
}

fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Splits on CRLF, CR and LF. Always yields at least one (possibly empty) line; a trailing
/// line break yields a trailing empty line, so the break survives the round trip.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        // A byte search: CR and LF are ASCII, so `i` is always a char boundary.
        match s.bytes().position(|b| b == b'\r' || b == b'\n') {
            None => {
                rest = None;
                Some(s)
            }
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_splitting_table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[""]),
            ("a", &["a"]),
            ("a\nb", &["a", "b"]),
            ("a\rb", &["a", "b"]),
            ("a\r\nb", &["a", "b"]),
            ("a\n\rb", &["a", "", "b"]),
            ("a\r\rb", &["a", "", "b"]),
            ("a\n", &["a", ""]),
            ("\r\n", &["", ""]),
            ("\n\n", &["", "", ""]),
            ("x\r", &["x", ""]),
        ];
        for (text, want) in cases {
            assert_eq!(lines(text).collect::<Vec<_>>(), *want, "{text:?}");
        }
    }

    #[test]
    fn encoding_table() {
        let cases: Vec<(SseEvent, &str)> = vec![
            (SseEvent::new("hi"), "data: hi\n\n"),
            (SseEvent::new(""), "data: \n\n"),
            (SseEvent::new("a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n"),
            (SseEvent::new("end\n"), "data: end\ndata: \n\n"),
            (SseEvent::new("x").with_event("tick"), "event: tick\ndata: x\n\n"),
            (SseEvent::new("x").with_event(""), "data: x\n\n"),
            (SseEvent::new("x").with_id(""), "id: \ndata: x\n\n"),
            (SseEvent::new("x").with_retry(0), "retry: 0\ndata: x\n\n"),
            (
                SseEvent::new("{\"i\": 1}").with_retry(u64::MAX).with_id("1").with_event("e"),
                "event: e\nid: 1\nretry: 18446744073709551615\ndata: {\"i\": 1}\n\n",
            ),
            (SseEvent::new(": not a comment"), "data: : not a comment\n\n"),
            (SseEvent::new(" lead"), "data:  lead\n\n"),
            (SseEvent::new("nul\0ok"), "data: nul\0ok\n\n"),
        ];
        for (ev, want) in cases {
            let got = ev.encode().unwrap();
            assert_eq!(got, want.as_bytes(), "{ev:?}");
            assert_eq!(ev.encoded_len(), got.len(), "{ev:?}");
        }
    }

    #[test]
    fn fields_are_never_written() {
        let mut ev = SseEvent::new("d");
        ev.fields.push(("x".into(), "y".into()));
        assert_eq!(ev.encode().unwrap(), "data: d\n\n");
    }

    #[test]
    fn invalid_ids_and_event_types_are_rejected_and_write_nothing() {
        let bad: Vec<(SseEvent, &str)> = vec![
            (SseEvent::new("d").with_id("1\n2"), "invalid SSE event: `id` contains a line break (CR or LF)"),
            (SseEvent::new("d").with_id("1\r"), "invalid SSE event: `id` contains a line break (CR or LF)"),
            (SseEvent::new("d").with_id("\r\n"), "invalid SSE event: `id` contains a line break (CR or LF)"),
            (SseEvent::new("d").with_id("a\0b"), "invalid SSE event: `id` contains NUL"),
            (SseEvent::new("d").with_event("a\nb"), "invalid SSE event: `event` contains a line break (CR or LF)"),
            (SseEvent::new("d").with_event("\r"), "invalid SSE event: `event` contains a line break (CR or LF)"),
            (SseEvent::new("d").with_event("\0"), "invalid SSE event: `event` contains NUL"),
        ];
        for (ev, msg) in bad {
            let mut buf = BytesMut::from("kept");
            let err = ev.encode_into(&mut buf).unwrap_err();
            assert!(err.is_invalid(), "{ev:?}");
            assert_eq!(err.to_string(), msg);
            assert_eq!(buf, "kept", "nothing appended for {ev:?}");
        }
    }

    #[test]
    fn decimal_len_matches_to_string() {
        for n in [0, 9, 10, 99, 100, 12345, u64::MAX] {
            assert_eq!(decimal_len(n), n.to_string().len());
        }
    }
}
