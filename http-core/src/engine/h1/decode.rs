//! HTTP/1.1 body framing on the way in (RFC 9112 §6–§7): a body of known length, chunked
//! transfer coding with its chunk extensions and trailer section (§7.1), or a response body
//! that runs until the connection closes (§6.3). The framing itself is decided from the
//! head, by the role that parsed it.

use crate::{Error, ErrorKind};
use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::BodyLength;
use super::fields::{bad, memchr};

/// The result of one decoding step on a body.
///
/// ```
/// use bytes::BytesMut;
/// use http_core::engine::h1::{BodyDecoder, BodyLength, Decoded};
/// let mut d = BodyDecoder::new(BodyLength::Exact(2));
/// let mut buf = BytesMut::from(&b"hi"[..]);
/// assert!(matches!(d.decode(&mut buf, 1024).unwrap(), Decoded::Data(b) if b == "hi"));
/// assert!(matches!(d.decode(&mut buf, 1024).unwrap(), Decoded::End(None)));
/// ```
#[derive(Debug)]
pub enum Decoded {
    /// Body bytes.
    Data(Bytes),
    /// More input is needed.
    NeedMore,
    /// The body ended (with trailers, for chunked bodies that sent some).
    End(Option<HeaderMap>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Longest chunk-size line (size plus extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// Decodes a message body from the connection's read buffer.
///
/// ```
/// use bytes::BytesMut;
/// use http_core::engine::h1::{BodyDecoder, BodyLength, Decoded};
/// let mut d = BodyDecoder::new(BodyLength::Chunked);
/// let mut buf = BytesMut::from(&b"3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n"[..]);
/// assert!(matches!(d.decode(&mut buf, 1024).unwrap(), Decoded::Data(b) if b == "abc"));
/// assert!(matches!(d.decode(&mut buf, 1024).unwrap(), Decoded::End(Some(t)) if t["x-sum"] == "1"));
/// assert!(d.is_done());
/// ```
#[derive(Debug)]
pub struct BodyDecoder(Kind);

#[derive(Debug)]
enum Kind {
    /// Exactly this many bytes remain.
    Length(u64),
    /// Chunked (RFC 9112 §7.1).
    Chunked(ChunkedDecoder),
    /// Until the connection closes (a response without framing, RFC 9112 §6.3).
    UntilClose,
}

/// The chunked decoder's state.
#[derive(Debug)]
struct ChunkedDecoder {
    state: ChunkState,
}

impl BodyDecoder {
    /// A decoder for a body framed as `len` says.
    pub fn new(len: BodyLength) -> Self {
        BodyDecoder(match len {
            BodyLength::Empty => Kind::Length(0),
            BodyLength::Exact(n) => Kind::Length(n),
            BodyLength::Chunked => Kind::Chunked(ChunkedDecoder { state: ChunkState::Size }),
        })
    }

    /// A decoder for a response body that ends when the connection closes.
    pub fn until_close() -> Self {
        BodyDecoder(Kind::UntilClose)
    }

    /// True once the whole body has been consumed (never for a body that runs until the
    /// connection closes: see [`eof`](Self::eof)).
    pub fn is_done(&self) -> bool {
        match &self.0 {
            Kind::Length(n) => *n == 0,
            Kind::Chunked(c) => c.state == ChunkState::Done,
            Kind::UntilClose => false,
        }
    }

    /// True when the body's end is the connection's end, so the connection cannot be reused.
    pub fn is_close_delimited(&self) -> bool {
        matches!(self.0, Kind::UntilClose)
    }

    /// The connection reached end of file: fine for a body that runs until then or is
    /// complete, an error of kind [`Closed`](ErrorKind::Closed) for one cut short.
    pub fn eof(&mut self) -> Result<(), Error> {
        match &self.0 {
            Kind::UntilClose => Ok(()),
            _ if self.is_done() => Ok(()),
            Kind::Length(n) => Err(Error::new(ErrorKind::Closed, format!("body cut short: {n} bytes missing"))),
            _ => Err(Error::new(ErrorKind::Closed, "chunked body cut short")),
        }
    }

    /// One decoding step over `buf`. `max_trailer_bytes` bounds the trailer section.
    pub fn decode(&mut self, buf: &mut BytesMut, max_trailer_bytes: usize) -> Result<Decoded, Error> {
        match &mut self.0 {
            Kind::Length(0) => Ok(Decoded::End(None)),
            Kind::Length(n) => {
                if buf.is_empty() {
                    return Ok(Decoded::NeedMore);
                }
                let take = (*n).min(buf.len() as u64) as usize;
                *n -= take as u64;
                Ok(Decoded::Data(buf.split_to(take).freeze()))
            }
            Kind::UntilClose if buf.is_empty() => Ok(Decoded::NeedMore),
            Kind::UntilClose => Ok(Decoded::Data(buf.split().freeze())),
            Kind::Chunked(c) => c.decode(buf, max_trailer_bytes),
        }
    }
}

impl ChunkedDecoder {
    fn decode(&mut self, buf: &mut BytesMut, max_trailer_bytes: usize) -> Result<Decoded, Error> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some(nl) = memchr(b'\n', &buf[..buf.len().min(MAX_CHUNK_LINE + 1)]) else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err(bad("chunk-size line too long"));
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    let line = buf[..nl].strip_suffix(b"\r").ok_or_else(|| bad("chunk-size line without CRLF"))?;
                    let size = parse_chunk_size(line)?;
                    buf.advance(nl + 1);
                    self.state = if size == 0 { ChunkState::Trailers } else { ChunkState::Data(size) };
                }
                ChunkState::Data(n) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = n.min(buf.len() as u64) as usize;
                    let left = n - take as u64;
                    self.state = if left == 0 { ChunkState::DataEnd } else { ChunkState::Data(left) };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                ChunkState::DataEnd => {
                    if buf.len() < 2 {
                        if buf.first().is_some_and(|&b| b != b'\r') {
                            return Err(bad("chunk data not followed by CRLF"));
                        }
                        return Ok(Decoded::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(bad("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    if buf.starts_with(b"\r\n") {
                        buf.advance(2);
                        self.state = ChunkState::Done;
                        return Ok(Decoded::End(None));
                    }
                    if buf.len() < 2 {
                        if buf.first().is_some_and(|&b| b != b'\r') {
                            return self.trailers(buf, max_trailer_bytes);
                        }
                        return Ok(Decoded::NeedMore);
                    }
                    return self.trailers(buf, max_trailer_bytes);
                }
                ChunkState::Done => return Ok(Decoded::End(None)),
            }
        }
    }

    fn trailers(&mut self, buf: &mut BytesMut, max: usize) -> Result<Decoded, Error> {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if buf.len() > max {
                return Err(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "trailer section too large"));
            }
            return Ok(Decoded::NeedMore);
        };
        if end + 4 > max {
            return Err(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "trailer section too large"));
        }
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let parsed = match httparse::parse_headers(&buf[..end + 4], &mut slots) {
            Ok(httparse::Status::Complete((_, h))) => h,
            Ok(httparse::Status::Partial) => return Err(bad("malformed trailer section")),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many trailer fields"));
            }
            Err(_) => return Err(bad("malformed trailer field")),
        };
        let mut map = HeaderMap::new();
        for h in parsed {
            let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| bad("invalid trailer name"))?;
            if is_forbidden_trailer(&name) {
                continue;
            }
            let value = HeaderValue::from_bytes(h.value).map_err(|_| bad("invalid trailer value"))?;
            map.append(name, value);
        }
        buf.advance(end + 4);
        self.state = ChunkState::Done;
        Ok(Decoded::End(if map.is_empty() { None } else { Some(map) }))
    }
}

/// RFC 9110 §6.5.1: fields that must not be taken from trailers.
fn is_forbidden_trailer(name: &HeaderName) -> bool {
    [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::HOST,
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::CONTENT_RANGE,
        header::TE,
        header::TRAILER,
        header::CONNECTION,
        header::AUTHORIZATION,
        header::SET_COOKIE,
        header::COOKIE,
    ]
    .contains(name)
}

/// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1.1): 1–16 hex digits, then optional
/// whitespace and `;name[=value]` extensions, which are validated and ignored.
fn parse_chunk_size(line: &[u8]) -> Result<u64, Error> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(bad("invalid chunk size"));
    }
    if digits > 16 {
        return Err(bad("chunk size overflow"));
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let d = (b as char).to_digit(16).unwrap_or(0) as u64;
        size = size.checked_mul(16).and_then(|s| s.checked_add(d)).ok_or_else(|| bad("chunk size overflow"))?;
    }
    let rest = &line[digits..];
    let rest = &rest[rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count()..];
    if rest.is_empty() {
        return Ok(size);
    }
    if rest[0] != b';' {
        return Err(bad("invalid chunk size"));
    }
    if rest.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(bad("invalid chunk extension"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(body: &str) -> Result<(Vec<u8>, Option<HeaderMap>), u16> {
        let mut d = BodyDecoder::new(BodyLength::Chunked);
        let mut buf = BytesMut::from(body.as_bytes());
        let mut out = Vec::new();
        loop {
            match d.decode(&mut buf, 1024) {
                Ok(Decoded::Data(b)) => out.extend_from_slice(&b),
                Ok(Decoded::NeedMore) => return Err(0),
                Ok(Decoded::End(t)) => return Ok((out, t)),
                Err(e) => return Err(e.status().as_u16()),
            }
        }
    }

    #[test]
    fn chunked_verdicts() {
        let ok: &[(&str, &str)] = &[
            ("0\r\n\r\n", ""),
            ("3\r\nabc\r\n0\r\n\r\n", "abc"),
            ("3;ext=1\r\nabc\r\n0\r\n\r\n", "abc"),
            ("3 ;ext\r\nabc\r\n0\r\n\r\n", "abc"),
            ("A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
            ("1\r\na\r\n1\r\nb\r\n0\r\n\r\n", "ab"),
        ];
        for (raw, want) in ok {
            assert_eq!(decode_all(raw).map(|(b, _)| b), Ok(want.as_bytes().to_vec()), "{raw:?}");
        }
        let bad: &[(&str, u16)] = &[
            ("x\r\n", 400),
            ("\r\n", 400),
            ("-1\r\n", 400),
            ("0x3\r\nabc\r\n0\r\n\r\n", 400),
            ("11111111111111111\r\n", 400),
            ("3\nabc\r\n0\r\n\r\n", 400),
            ("3\r\nabcX\r\n", 400),
            ("3\r\nabc\r\r", 400),
            ("3;\x01\r\nabc\r\n0\r\n\r\n", 400),
            ("3\r\nabc", 0),
            ("3\r\n", 0),
        ];
        for (raw, want) in bad {
            assert_eq!(decode_all(raw).map(|(b, _)| b), Err(*want), "{raw:?}");
        }
    }

    #[test]
    fn chunked_trailers_kept_and_filtered() {
        let (body, t) = decode_all("2\r\nab\r\n0\r\nX-Sum: 9\r\nContent-Length: 5\r\n\r\n").unwrap();
        assert_eq!(body, b"ab");
        let t = t.unwrap();
        assert_eq!(t.get("x-sum").unwrap(), "9");
        assert!(t.get("content-length").is_none());
        let big = format!("0\r\nX: {}\r\n\r\n", "a".repeat(2000));
        assert_eq!(decode_all(&big).map(|(b, _)| b), Err(431));
    }

    #[test]
    fn length_and_close_delimited_at_eof() {
        let mut d = BodyDecoder::new(BodyLength::Exact(5));
        let mut buf = BytesMut::from(&b"abc"[..]);
        assert!(matches!(d.decode(&mut buf, 64).unwrap(), Decoded::Data(b) if b == "abc"));
        assert!(d.eof().unwrap_err().is_closed());
        let mut d = BodyDecoder::new(BodyLength::Chunked);
        let mut buf = BytesMut::from(&b"3\r\nab"[..]);
        assert!(matches!(d.decode(&mut buf, 64).unwrap(), Decoded::Data(_)));
        assert!(d.eof().is_err());
        let mut d = BodyDecoder::until_close();
        let mut buf = BytesMut::from(&b"anything"[..]);
        assert!(matches!(d.decode(&mut buf, 64).unwrap(), Decoded::Data(b) if b == "anything"));
        assert!(matches!(d.decode(&mut buf, 64).unwrap(), Decoded::NeedMore));
        assert!(d.eof().is_ok() && d.is_close_delimited() && !d.is_done());
    }

    #[test]
    fn chunked_decoding_is_split_anywhere() {
        let raw = b"5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX: y\r\n\r\n";
        for split in 0..raw.len() {
            let mut d = BodyDecoder::new(BodyLength::Chunked);
            let mut buf = BytesMut::from(&raw[..split]);
            let mut out = Vec::new();
            let mut fed = false;
            loop {
                match d.decode(&mut buf, 1024).unwrap() {
                    Decoded::Data(b) => out.extend_from_slice(&b),
                    Decoded::NeedMore => {
                        assert!(!fed, "needs more after all input at split {split}");
                        buf.extend_from_slice(&raw[split..]);
                        fed = true;
                    }
                    Decoded::End(t) => {
                        assert!(t.is_some());
                        break;
                    }
                }
            }
            assert_eq!(out, b"hello world", "split {split}");
        }
    }
}
