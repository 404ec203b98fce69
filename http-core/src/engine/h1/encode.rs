//! Chunked transfer coding on the way out (RFC 9112 §7.1): chunk-size lines, and the last
//! chunk with its trailer section.

use bytes::{BufMut, BytesMut};
use http::HeaderMap;

/// Appends a chunk-size line for `len` bytes of data (lower-case hex, no extensions).
///
/// ```
/// use bytes::BytesMut;
/// let mut out = BytesMut::new();
/// http_core::engine::h1::encode_chunk_head(&mut out, 255);
/// assert_eq!(&out[..], b"ff\r\n");
/// ```
pub fn encode_chunk_head(out: &mut BytesMut, len: usize) {
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
///
/// ```
/// use bytes::BytesMut;
/// let mut out = BytesMut::new();
/// http_core::engine::h1::encode_last_chunk(&mut out, None);
/// assert_eq!(&out[..], b"0\r\n\r\n");
/// ```
pub fn encode_last_chunk(out: &mut BytesMut, trailers: Option<&HeaderMap>) {
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

/// Appends `n` in decimal (a Content-Length value) without formatting machinery.
///
/// ```
/// use bytes::BytesMut;
/// let mut out = BytesMut::new();
/// http_core::engine::h1::put_decimal(&mut out, 1024);
/// assert_eq!(&out[..], b"1024");
/// ```
pub fn put_decimal(out: &mut BytesMut, mut n: u64) {
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
    // Written byte by byte: a typical length's few digits cost less so than one copy
    // whose length is known only at run time (a `memcpy` call).
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.put_u8(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
