//! Header-field helpers both HTTP/1.1 roles validate with (RFC 9110 §5.6, RFC 9112 §6):
//! list and number syntax, the Content-Length and Transfer-Encoding rules that keep
//! message framing unambiguous, and building a `HeaderMap` from field positions in a
//! frozen head without copying values.

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::RepeatedFields;
use crate::Error;

/// A parse error answered with 400 Bad Request (a client reads it as a malformed message).
///
/// ```
/// let e = http_core::engine::h1::fields::bad("invalid chunk size");
/// assert_eq!(e.status(), 400);
/// ```
pub fn bad(why: &'static str) -> Error {
    Error::parse(StatusCode::BAD_REQUEST, why)
}

/// The position of the first `needle` in `hay`.
///
/// ```
/// assert_eq!(http_core::engine::h1::fields::memchr(b'\n', b"ab\n"), Some(2));
/// ```
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// `s` without leading and trailing spaces and tabs (OWS).
///
/// ```
/// assert_eq!(http_core::engine::h1::fields::trim(b" \tab "), b"ab");
/// ```
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Comma-separated list elements, trimmed, empty ones skipped (RFC 9110 §5.6.1).
///
/// ```
/// let items: Vec<&[u8]> = http_core::engine::h1::fields::comma_list(b"a, ,b").collect();
/// assert_eq!(items, [&b"a"[..], &b"b"[..]]);
/// ```
pub fn comma_list(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|s| !s.is_empty())
}

/// Comma-separated list elements, trimmed, empty ones kept (so `chunked,` is caught).
///
/// ```
/// assert_eq!(http_core::engine::h1::fields::comma_list_all(b"chunked,").count(), 2);
/// ```
pub fn comma_list_all(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim)
}

/// A decimal number of 1–19 digits and nothing else (Content-Length's syntax).
///
/// ```
/// use http_core::engine::h1::fields::parse_decimal;
/// assert_eq!(parse_decimal(b"05"), Some(5));
/// assert_eq!(parse_decimal(b"+5"), None);
/// ```
pub fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Builds a head's `HeaderMap` from the recorded field positions (`name`, value start,
/// value length) in the frozen head bytes, slicing values without copying, and shows each
/// field to `observe` (the role's framing and connection checks). Reuses `map`. With
/// `repeated` (a keep-alive connection's [`RepeatedFields`]), a value the previous head
/// had at the same position is taken from there, and this head's are remembered;
/// `observe`'s third argument says whether the value was taken so (the previous head
/// passed the same checks with it, or its connection would have ended).
///
/// ```
/// use bytes::Bytes;
/// use http_core::{HeaderMap, HeaderName};
/// let head = Bytes::from_static(b"x-a: 1\r\n");
/// let mut fields = vec![(HeaderName::from_static("x-a"), 5, 1)];
/// let map = http_core::engine::h1::fields::collect_fields(&mut fields, &head, HeaderMap::new(), None, |_, _, _| {}).unwrap();
/// assert_eq!(map["x-a"], "1");
/// ```
#[inline]
pub fn collect_fields(
    fields: &mut Vec<(HeaderName, usize, usize)>,
    head: &Bytes,
    mut map: HeaderMap,
    mut repeated: Option<&mut RepeatedFields>,
    mut observe: impl FnMut(&HeaderName, &[u8], bool),
) -> Result<HeaderMap, Error> {
    map.reserve(fields.len());
    let count = fields.len();
    for (i, (name, start, n)) in fields.drain(..).enumerate() {
        let raw = &head[start..start + n];
        // httparse already rejected control characters; this cannot fail for its output,
        // but stays checked.
        let fresh =
            || HeaderValue::from_maybe_shared(head.slice(start..start + n)).map_err(|_| bad("invalid header value"));
        let (value, repeats) = match repeated.as_deref_mut() {
            Some(seen) => seen.value(i, &name, raw, fresh)?,
            None => (fresh()?, false),
        };
        observe(&name, raw, repeats);
        map.append(name, value);
    }
    if let Some(seen) = repeated {
        seen.end_head(count);
    }
    Ok(map)
}

/// What Transfer-Encoding says, once every field was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferCoding {
    /// `chunked`, alone.
    Chunked,
    /// `chunked` last, after codings this codec does not implement (a server answers 501).
    ChunkedAfterUnknown,
    /// The final coding is not `chunked` (a request is refused; a response body runs until
    /// the connection closes, RFC 9112 §6.3).
    NotChunked,
}

/// What the framing fields (Content-Length, Transfer-Encoding) say, gathered in the same
/// pass that builds the header map. Errors are recorded, not raised, so each role reports
/// them in its own order whatever order the fields came in.
///
/// ```
/// use http_core::header;
/// use http_core::engine::h1::FramingFields;
/// let mut f = FramingFields::default();
/// f.observe(&header::CONTENT_LENGTH, b"5");
/// f.observe(&header::CONTENT_LENGTH, b"6");
/// assert_eq!(f.content_length(), Err("conflicting Content-Length values"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct FramingFields {
    cl_seen: bool,
    cl: Option<u64>,
    /// Length of the first Content-Length item's text.
    cl_text_len: usize,
    cl_error: Option<&'static str>,
    te_seen: bool,
    te_codings: usize,
    te_last_chunked: bool,
    te_unknown: bool,
    te_error: Option<&'static str>,
}

impl FramingFields {
    /// Looks at one field; true when it was Content-Length or Transfer-Encoding.
    pub fn observe(&mut self, name: &HeaderName, value: &[u8]) -> bool {
        if name == header::CONTENT_LENGTH {
            self.cl_seen = true;
            for item in comma_list_all(value) {
                if self.cl_error.is_some() {
                    break;
                }
                match parse_decimal(item) {
                    None => self.cl_error = Some("invalid Content-Length"),
                    // Repeated values must be the same text, not just the same number: `05`
                    // next to `5` is refused, as strict parsers (h11) do. For all-digit items
                    // of equal value, equal length means equal text.
                    Some(n) if self.cl.is_some_and(|l| l != n || self.cl_text_len != item.len()) => {
                        self.cl_error = Some("conflicting Content-Length values");
                    }
                    Some(n) => {
                        self.cl = Some(n);
                        self.cl_text_len = item.len();
                    }
                }
            }
            true
        } else if name == header::TRANSFER_ENCODING {
            self.te_seen = true;
            for coding in comma_list_all(value) {
                if self.te_error.is_some() {
                    break;
                }
                if coding.is_empty() {
                    self.te_error = Some("empty transfer coding");
                } else if self.te_last_chunked {
                    // chunked must be applied exactly once, last.
                    self.te_error = Some("chunked is not the final transfer coding");
                } else {
                    self.te_codings += 1;
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        self.te_last_chunked = true;
                    } else {
                        self.te_unknown = true;
                    }
                }
            }
            true
        } else {
            false
        }
    }

    /// True when a Content-Length field was present.
    pub fn has_content_length(&self) -> bool {
        self.cl_seen
    }

    /// True when a Transfer-Encoding field was present.
    pub fn has_transfer_encoding(&self) -> bool {
        self.te_seen
    }

    /// The Content-Length (`None` when absent), or why it is invalid: not a number, or
    /// several values that differ (even only in their text).
    pub fn content_length(&self) -> Result<Option<u64>, &'static str> {
        match (self.cl_seen, self.cl_error, self.cl) {
            (false, _, _) => Ok(None),
            (true, Some(why), _) => Err(why),
            (true, None, Some(n)) => Ok(Some(n)),
            (true, None, None) => Err("invalid Content-Length"),
        }
    }

    /// What Transfer-Encoding says (`None` when absent), or why its list is invalid.
    pub fn transfer_coding(&self) -> Result<Option<TransferCoding>, &'static str> {
        if !self.te_seen {
            return Ok(None);
        }
        if let Some(why) = self.te_error {
            return Err(why);
        }
        Ok(Some(if self.te_codings == 0 || !self.te_last_chunked {
            TransferCoding::NotChunked
        } else if self.te_unknown {
            TransferCoding::ChunkedAfterUnknown
        } else {
            TransferCoding::Chunked
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Verdict = (Result<Option<u64>, &'static str>, Result<Option<TransferCoding>, &'static str>);

    fn framing(fields: &[(&str, &str)]) -> Verdict {
        let mut f = FramingFields::default();
        for (n, v) in fields {
            f.observe(&HeaderName::from_bytes(n.as_bytes()).unwrap(), v.as_bytes());
        }
        (f.content_length(), f.transfer_coding())
    }

    #[test]
    fn framing_verdicts() {
        use TransferCoding::*;
        let cases: &[(&[(&str, &str)], Verdict)] = &[
            (&[], (Ok(None), Ok(None))),
            (&[("content-length", "5")], (Ok(Some(5)), Ok(None))),
            (&[("content-length", "5, 5")], (Ok(Some(5)), Ok(None))),
            (
                &[("content-length", "5"), ("content-length", "05")],
                (Err("conflicting Content-Length values"), Ok(None)),
            ),
            (&[("content-length", "5, 6")], (Err("conflicting Content-Length values"), Ok(None))),
            (&[("content-length", "-1")], (Err("invalid Content-Length"), Ok(None))),
            (&[("transfer-encoding", "chunked")], (Ok(None), Ok(Some(Chunked)))),
            (&[("transfer-encoding", "gzip, chunked")], (Ok(None), Ok(Some(ChunkedAfterUnknown)))),
            (&[("transfer-encoding", "gzip")], (Ok(None), Ok(Some(NotChunked)))),
            (&[("transfer-encoding", "chunked, chunked")], (Ok(None), Err("chunked is not the final transfer coding"))),
            (&[("transfer-encoding", "chunked,")], (Ok(None), Err("empty transfer coding"))),
        ];
        for (fields, want) in cases {
            assert_eq!(framing(fields), *want, "{fields:?}");
        }
    }
}
