//! Content sniffing for [`Content`](super::Content) that has neither a name nor a type:
//! in-memory bytes that start like HTML are `text/html`, valid UTF-8 without control
//! characters is `text/plain`, anything else (and any file or reader) is
//! `application/octet-stream` (RFC 9110 §8.3 lets a server pick the type).

use http_core::HeaderValue;

use super::content::Source;

/// Content-Type for content that has neither a name nor a type: HTML, UTF-8 text or octets.
pub(super) fn sniff(source: &Source) -> HeaderValue {
    let Source::Bytes(b) = source else { return HeaderValue::from_static("application/octet-stream") };
    let head = &b[..b.len().min(512)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start().to_ascii_lowercase();
    if b.is_empty() {
        HeaderValue::from_static("application/octet-stream")
    } else if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        HeaderValue::from_static("text/html; charset=utf-8")
    } else if !text.contains('\u{fffd}') && !head.iter().any(|&c| c < 0x20 && !b"\t\n\r\x0c".contains(&c)) {
        HeaderValue::from_static("text/plain; charset=utf-8")
    } else {
        HeaderValue::from_static("application/octet-stream")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn sniff_table() {
        let rows: [(&[u8], &str); 7] = [
            (b"", "application/octet-stream"),
            (b"<!DOCTYPE html><p>x", "text/html; charset=utf-8"),
            (b"  \n<html lang=en>", "text/html; charset=utf-8"),
            (b"plain words\n\ttabbed", "text/plain; charset=utf-8"),
            ("h\u{e9}llo".as_bytes(), "text/plain; charset=utf-8"),
            (b"\x00\x01\x02", "application/octet-stream"),
            (b"\xff\xfe bad utf-8", "application/octet-stream"),
        ];
        for (bytes, want) in rows {
            assert_eq!(sniff(&Source::Bytes(Bytes::copy_from_slice(bytes))), want, "{bytes:?}");
        }
    }
}
