//! `multipart/byteranges` (RFC 9110 §14.6): the body of a 206 answering several ranges.
//! Each part has its own Content-Type and Content-Range head; the boundary differs per
//! response.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_core::HeaderValue;

use super::chunks::Segment;
use super::range::ByteRange;

/// The `multipart/byteranges` media type (with its boundary) and the body's segments for
/// `ranges` of a representation of `size` bytes whose own type is `content_type`.
pub(super) fn byteranges(ranges: &[ByteRange], size: u64, content_type: &HeaderValue) -> (HeaderValue, Vec<Segment>) {
    let boundary = boundary();
    let ct = String::from_utf8_lossy(content_type.as_bytes()).into_owned();
    let mut segments = Vec::with_capacity(ranges.len() * 2 + 1);
    for (i, r) in ranges.iter().enumerate() {
        let lead = if i == 0 { "" } else { "\r\n" };
        let part_head =
            format!("{lead}--{boundary}\r\nContent-Type: {ct}\r\nContent-Range: {}\r\n\r\n", r.content_range(size));
        segments.push(Segment::Literal(Bytes::from(part_head)));
        segments.push(Segment::Slice(*r));
    }
    segments.push(Segment::Literal(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
    let value = format!("multipart/byteranges; boundary={boundary}");
    (HeaderValue::from_str(&value).expect("ASCII"), segments)
}

/// A multipart boundary that differs per response (a counter mixed with the clock), so it
/// is not predictable from the content.
fn boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = t ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{x:016x}{n:04x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_frame_each_range() {
        let ranges = [ByteRange { start: 0, end: 1 }, ByteRange { start: 5, end: 6 }];
        let (media, segments) = byteranges(&ranges, 10, &HeaderValue::from_static("text/plain"));
        let media = media.to_str().unwrap();
        let boundary = media.strip_prefix("multipart/byteranges; boundary=").unwrap();
        let mut text = String::new();
        for s in &segments {
            match s {
                Segment::Literal(b) => text.push_str(std::str::from_utf8(b).unwrap()),
                Segment::Slice(r) => text.push_str(&format!("<{}-{}>", r.start, r.end)),
            }
        }
        let want = format!(
            "--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n<0-1>\r\n\
             --{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n<5-6>\r\n--{boundary}--\r\n"
        );
        assert_eq!(text, want);
    }

    #[test]
    fn boundaries_differ() {
        let a = boundary();
        let b = boundary();
        assert_ne!(a, b);
        assert!(a.len() >= 20 && a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    }
}
