//! HTTP/1.1 response encoding (RFC 9112 §4, §6, §7): status line, header fields, body
//! framing (Content-Length, chunked, close-delimited) and the trailer section.
//!
//! Everything is appended to the connection's reusable output buffer; nothing allocates
//! once that buffer has grown to its working size.

use bytes::{BufMut, BytesMut};
use http::header::{self, HeaderName};
use http::{HeaderMap, StatusCode};

/// How a response body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body may follow (1xx, 204, 304) — no framing headers either.
    NoBody,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Unknown length to an HTTP/1.0 client: the body ends when the connection closes.
    CloseDelimited,
}

/// Names the encoder writes itself, so a handler's own copies are skipped.
fn is_framing_header(name: &HeaderName) -> bool {
    name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING || name == header::CONNECTION
}

/// Appends the status line and header section.
pub(crate) fn encode_head(
    out: &mut BytesMut,
    status: StatusCode,
    headers: &HeaderMap,
    framing: Framing,
    keep_alive: bool,
    http10_client: bool,
) {
    out.reserve(128 + headers.len() * 32);
    out.put_slice(b"HTTP/1.1 ");
    out.put_slice(status.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.put_slice(b"\r\n");
    let mut has_date = false;
    for (name, value) in headers {
        if is_framing_header(name) {
            continue;
        }
        if name == header::DATE {
            has_date = true;
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    if !has_date {
        out.put_slice(b"date: ");
        crate::date::append_date(out);
        out.put_slice(b"\r\n");
    }
    match framing {
        Framing::Length(n) => {
            out.put_slice(b"content-length: ");
            put_decimal(out, n);
            out.put_slice(b"\r\n");
        }
        Framing::Chunked => out.put_slice(b"transfer-encoding: chunked\r\n"),
        Framing::NoBody | Framing::CloseDelimited => {}
    }
    if !keep_alive {
        out.put_slice(b"connection: close\r\n");
    } else if http10_client {
        out.put_slice(b"connection: keep-alive\r\n");
    }
    out.put_slice(b"\r\n");
}

/// Appends a chunk-size line for `len` bytes of data.
pub(crate) fn encode_chunk_head(out: &mut BytesMut, len: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut n = len;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = HEX[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[i..]);
    out.put_slice(b"\r\n");
}

/// Appends the last chunk and the trailer section.
pub(crate) fn encode_last_chunk(out: &mut BytesMut, trailers: Option<&HeaderMap>) {
    out.put_slice(b"0\r\n");
    if let Some(t) = trailers {
        for (name, value) in t {
            out.put_slice(name.as_str().as_bytes());
            out.put_slice(b": ");
            out.put_slice(value.as_bytes());
            out.put_slice(b"\r\n");
        }
    }
    out.put_slice(b"\r\n");
}

/// A short error response that closes the connection.
pub(crate) fn encode_error(out: &mut BytesMut, status: StatusCode) {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    encode_head(out, status, &headers, Framing::Length(reason.len() as u64), false, false);
    out.put_slice(reason.as_bytes());
}

fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(framing: Framing, keep_alive: bool, h10: bool) -> String {
        let mut h = HeaderMap::new();
        h.insert("x-a", "1".parse().unwrap());
        h.insert("content-length", "999".parse().unwrap());
        let mut out = BytesMut::new();
        encode_head(&mut out, StatusCode::OK, &h, framing, keep_alive, h10);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn heads() {
        let s = head(Framing::Length(5), true, false);
        assert!(s.starts_with("HTTP/1.1 200 OK\r\nx-a: 1\r\ndate: "), "{s}");
        assert!(s.ends_with("content-length: 5\r\n\r\n"), "{s}");
        assert!(!s.contains("999"), "handler's Content-Length is replaced: {s}");
        assert!(head(Framing::Chunked, true, false).contains("transfer-encoding: chunked\r\n"));
        assert!(head(Framing::CloseDelimited, false, true).ends_with("connection: close\r\n\r\n"));
        assert!(head(Framing::Length(0), true, true).ends_with("connection: keep-alive\r\n\r\n"));
        let nb = head(Framing::NoBody, true, false);
        assert!(!nb.contains("content-length") && !nb.contains("transfer-encoding"), "{nb}");
    }

    #[test]
    fn chunk_sizes_are_lower_hex() {
        for (len, want) in [(0usize, "0\r\n"), (1, "1\r\n"), (255, "ff\r\n"), (4096, "1000\r\n")] {
            let mut out = BytesMut::new();
            encode_chunk_head(&mut out, len);
            assert_eq!(&out[..], want.as_bytes());
        }
        let mut t = HeaderMap::new();
        t.insert("x-sum", "1".parse().unwrap());
        let mut out = BytesMut::new();
        encode_last_chunk(&mut out, Some(&t));
        assert_eq!(&out[..], b"0\r\nx-sum: 1\r\n\r\n");
    }

    #[test]
    fn decimal() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut out = BytesMut::new();
            put_decimal(&mut out, n);
            assert_eq!(std::str::from_utf8(&out).unwrap(), n.to_string());
        }
    }
}
