//! The client role's HTTP/1.1 response head (RFC 9112 §4, §6.3): the status line
//! `HTTP/1.x NNN reason`, the header section within a size limit, and how long the body
//! is — Content-Length, chunked (which wins over a Content-Length sent beside it), or
//! until the connection closes. Conflicting Content-Length values are an error, never a
//! guess.

use bytes::BytesMut;
use http::header::{self, HeaderName};
use http::{HeaderMap, Method, StatusCode, Version};

use super::BodyLength;
use super::fields::{FramingFields, TransferCoding, bad, collect_fields, comma_list};
use crate::Error;

/// Limits applied to a response head.
///
/// ```
/// let l = http_core::engine::h1::ResponseLimits::default();
/// assert_eq!(l.max_head_bytes, 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ResponseLimits {
    /// The longest status line plus header section accepted. Default: 1 MiB.
    pub max_head_bytes: usize,
    /// The most header fields accepted. Default: 1024.
    pub max_headers: usize,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        ResponseLimits { max_head_bytes: 1024 * 1024, max_headers: 1024 }
    }
}

/// A decoded and validated response head.
#[derive(Debug)]
pub struct ParsedResponseHead {
    /// The status code.
    pub status: StatusCode,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The reason phrase as sent (often empty on the wire, never used for meaning).
    pub reason: String,
    /// The header fields.
    pub headers: HeaderMap,
    /// How the body is framed; `None` when it runs until the connection closes.
    pub body: Option<BodyLength>,
    /// The connection may carry another request after this response.
    pub keep_alive: bool,
}

/// Tries to decode a response head from the start of `buf`, for a request made with
/// `method` (a HEAD request's response has no body whatever its Content-Length says).
/// `Ok(None)` means more bytes are needed; on success the head's bytes are removed from
/// `buf`. Interim (1xx) heads come back like any other: the caller reads on.
///
/// ```
/// use bytes::BytesMut;
/// use http_core::Method;
/// use http_core::engine::h1::{BodyLength, ResponseLimits, parse_response_head};
/// let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"[..]);
/// let head = parse_response_head(&mut buf, &ResponseLimits::default(), &Method::GET).unwrap().unwrap();
/// assert_eq!(head.status, 200);
/// assert_eq!(head.body, Some(BodyLength::Exact(2)));
/// assert_eq!(&buf[..], b"hi");
/// ```
pub fn parse_response_head(
    buf: &mut BytesMut,
    limits: &ResponseLimits,
    method: &Method,
) -> Result<Option<ParsedResponseHead>, Error> {
    // Header slots on the stack for the usual head; the heap only for a head with more
    // fields than that (this runs for every response, and again on every partial read).
    if let Some(parsed) = parse_with_slots(buf, limits, method, limits.max_headers.min(STACK_SLOTS)) {
        return parsed;
    }
    if limits.max_headers <= STACK_SLOTS {
        return Err(too_large());
    }
    parse_with_slots(buf, limits, method, limits.max_headers).unwrap_or_else(|| Err(too_large()))
}

/// Header slots [`parse_response_head`] keeps on the stack.
const STACK_SLOTS: usize = 64;

/// [`parse_response_head`] with `count` header slots (on the stack up to
/// [`STACK_SLOTS`]); `None` when the head has more fields.
fn parse_with_slots(
    buf: &mut BytesMut,
    limits: &ResponseLimits,
    method: &Method,
    count: usize,
) -> Option<Result<Option<ParsedResponseHead>, Error>> {
    let mut stack = [httparse::EMPTY_HEADER; STACK_SLOTS];
    let mut heap = Vec::new();
    let slots = if count <= STACK_SLOTS {
        &mut stack[..count]
    } else {
        heap.resize(count, httparse::EMPTY_HEADER);
        &mut heap[..]
    };
    let mut res = httparse::Response::new(slots);
    let base = buf.as_ptr() as usize;
    let len = match res.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > limits.max_head_bytes => return Some(Err(too_large())),
        Ok(httparse::Status::Partial) => return Some(Ok(None)),
        Err(httparse::Error::TooManyHeaders) => return None,
        // RFC 9112 §2.3: a higher minor version of HTTP/1 is read as HTTP/1.1.
        Err(httparse::Error::Version)
            if buf.len() > 9 && buf.starts_with(b"HTTP/1.") && buf[7].is_ascii_digit() && buf[8] == b' ' =>
        {
            buf[7] = b'1';
            return Some(parse_response_head(buf, limits, method));
        }
        Err(httparse::Error::Version | httparse::Error::Status | httparse::Error::Token) => {
            return Some(Err(bad("malformed status line")));
        }
        Err(httparse::Error::NewLine) => return Some(Err(bad("invalid line ending (bare CR)"))),
        Err(httparse::Error::HeaderName) => return Some(Err(bad("invalid header name"))),
        Err(httparse::Error::HeaderValue) => return Some(Err(bad("invalid header value"))),
    };
    if len > limits.max_head_bytes {
        return Some(Err(too_large()));
    }
    let version = if res.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
    let Ok(status) = StatusCode::from_u16(res.code.unwrap_or(0)) else {
        return Some(Err(bad("malformed status line")));
    };
    let reason = res.reason.unwrap_or("").to_owned();
    let mut fields = Vec::with_capacity(res.headers.len());
    for h in res.headers.iter() {
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            return Some(Err(bad("invalid header name")));
        };
        fields.push((name, h.value.as_ptr() as usize - base, h.value.len()));
    }
    Some(finish(buf, method, (version, status, reason), fields, len))
}

/// The rest of [`parse_response_head`] once httparse has the complete head: the fields
/// (name, offset and length of the value in `buf`) become a `HeaderMap` and the framing.
fn finish(
    buf: &mut BytesMut,
    method: &Method,
    (version, status, reason): (Version, StatusCode, String),
    mut fields: Vec<(HeaderName, usize, usize)>,
    len: usize,
) -> Result<Option<ParsedResponseHead>, Error> {
    let head_bytes = buf.split_to(len).freeze();
    let mut framing = FramingFields::default();
    let (mut close, mut keep_alive_token) = (false, false);
    let headers = collect_fields(&mut fields, &head_bytes, HeaderMap::new(), None, |name, value, _| {
        if !framing.observe(name, value) && name == header::CONNECTION {
            for token in comma_list(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    })?;
    let body = response_length(&framing, status, method)?;
    // A message with both framing fields, or chunked on HTTP/1.0, has suspect framing:
    // read it as chunked, then close (RFC 9112 §6.1, §6.3).
    let suspect = framing.has_transfer_encoding() && (framing.has_content_length() || version == Version::HTTP_10);
    let keep_alive = !close && !suspect && body.is_some() && (version == Version::HTTP_11 || keep_alive_token);
    Ok(Some(ParsedResponseHead { status, version, reason, headers, body, keep_alive }))
}

fn too_large() -> Error {
    Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "response head over the size limit")
}

/// RFC 9112 §6.3, in order: no body for HEAD, a 2xx to CONNECT (a tunnel follows), 1xx,
/// 204 and 304; chunked when it is the
/// final transfer coding (whatever Content-Length says); until close for another final
/// coding; the Content-Length, which must be one valid value; else until close.
fn response_length(f: &FramingFields, status: StatusCode, method: &Method) -> Result<Option<BodyLength>, Error> {
    if method == Method::HEAD
        || (method == Method::CONNECT && status.is_success())
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Some(BodyLength::Empty));
    }
    match f.transfer_coding().map_err(bad)? {
        Some(TransferCoding::Chunked) => return Ok(Some(BodyLength::Chunked)),
        Some(TransferCoding::ChunkedAfterUnknown) => return Err(bad("unsupported transfer coding")),
        Some(TransferCoding::NotChunked) => return Ok(None),
        None => {}
    }
    Ok(match f.content_length().map_err(bad)? {
        Some(0) => Some(BodyLength::Empty),
        Some(n) => Some(BodyLength::Exact(n)),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Ok((status, body, keep_alive))`, `Err("")` for partial, `Err(why)` for errors.
    fn parse(raw: &str, method: Method) -> Result<(u16, Option<BodyLength>, bool), String> {
        let limits = ResponseLimits { max_head_bytes: 4096, max_headers: 16 };
        match parse_response_head(&mut BytesMut::from(raw.as_bytes()), &limits, &method) {
            Ok(Some(h)) => Ok((h.status.as_u16(), h.body, h.keep_alive)),
            Ok(None) => Err(String::new()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn field_count_limit_on_the_stack_and_on_the_heap() {
        // (fields in the head, max_headers, accepted?)
        let rows = [
            (10, 16, true),
            (16, 16, true),
            (17, 16, false),
            (64, 1024, true),
            (65, 1024, true),
            (300, 1024, true),
            (100, 80, false),
            (80, 80, true),
        ];
        for (count, max_headers, ok) in rows {
            let mut raw = String::from("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n");
            for i in 1..count {
                raw.push_str(&format!("x-f{i}: v{i}\r\n"));
            }
            raw.push_str("\r\n");
            let limits = ResponseLimits { max_head_bytes: 1 << 20, max_headers };
            let got = parse_response_head(&mut BytesMut::from(raw.as_bytes()), &limits, &Method::GET);
            match got {
                Ok(Some(h)) => {
                    assert!(ok, "{count} fields, limit {max_headers}: accepted");
                    assert_eq!(h.headers.len(), count);
                    if count > 1 {
                        assert_eq!(h.headers[format!("x-f{}", count - 1).as_str()], format!("v{}", count - 1).as_str());
                    }
                }
                other => assert!(
                    !ok && other.as_ref().is_err_and(|e| e.to_string().contains("size limit")),
                    "{count}/{max_headers}: {:?}",
                    other.map(|h| h.map(|h| h.status))
                ),
            }
        }
    }

    #[test]
    fn response_head_verdicts() {
        use BodyLength::*;
        let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(5000));
        let partial_big = format!("HTTP/1.1 200 OK\r\nX: {}", "a".repeat(5000));
        let ok: &[(&str, Method, u16, Option<BodyLength>, bool)] = &[
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", Method::GET, 200, Some(Exact(3)), true),
            ("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", Method::GET, 200, Some(Empty), true),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::GET, 200, Some(Chunked), true),
            // Both: read as chunked, then close.
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                Method::GET,
                200,
                Some(Chunked),
                false,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Method::GET, 200, None, false),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Method::GET, 200, None, false),
            ("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", Method::HEAD, 200, Some(Empty), true),
            ("HTTP/1.1 204 No Content\r\n\r\n", Method::GET, 204, Some(Empty), true),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", Method::GET, 304, Some(Empty), true),
            ("HTTP/1.1 100 Continue\r\n\r\n", Method::POST, 100, Some(Empty), true),
            ("HTTP/1.1 200 Connection established\r\n\r\n", Method::CONNECT, 200, Some(Empty), true),
            (
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
                Method::GET,
                200,
                Some(Exact(1)),
                false,
            ),
            ("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", Method::GET, 200, Some(Exact(1)), false),
            ("HTTP/1.2 200 OK\r\nContent-Length: 1\r\n\r\n", Method::GET, 200, Some(Exact(1)), true),
            (
                "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
                Method::GET,
                200,
                Some(Exact(1)),
                true,
            ),
        ];
        for (raw, method, status, body, ka) in ok {
            assert_eq!(parse(raw, method.clone()), Ok((*status, *body, *ka)), "{raw:?}");
        }
        let bad: &[(&str, &str)] = &[
            ("HTTP/1.1 2000 OK\r\n\r\n", "malformed status line"),
            ("HTTP/2 200\r\n\r\n", "malformed status line"),
            ("HTTP/2.0 200 OK\r\n\r\n", "malformed status line"),
            ("HTTP/1.x 200 OK\r\n\r\n", "malformed status line"),
            ("HTTX/1.1 200 OK\r\n\r\n", "malformed status line"),
            ("HTTP/1.1 OK\r\n\r\n", "malformed status line"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "conflicting Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "invalid Content-Length"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported transfer coding"),
            ("HTTP/1.1 200 OK\r\nX : y\r\n\r\n", "invalid header name"),
            (&big, "over the size limit"),
            (&partial_big, "over the size limit"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", ""),
        ];
        for (raw, want) in bad {
            let got = parse(raw, Method::GET).unwrap_err();
            assert!(got.contains(want), "{raw:?}: {got}");
        }
    }
}
