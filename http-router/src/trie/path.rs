//! The request path as the matcher reads it: the canonical form `/seg1/seg2…` — empty
//! segments dropped, each segment percent-decoded (RFC 3986 §2.1) with an inner `/` (from
//! `%2F`) escaped as [`IN_SEGMENT_SLASH`].
//!
//! Most paths are canonical already (one leading `/`, no `//`, no `%`; a trailing `/` is
//! cut off): one word-at-a-time scan says so and the matcher reads the path itself. Any
//! other path is decoded once, segment by segment, into a buffer with a table that maps
//! its segments back to the raw path, where captures point.

use std::borrow::Cow;

use http_core::percent::{InvalidPercentEncoding, percent_decode};

use super::radix::IN_SEGMENT_SLASH;

/// One segment of a decoded path: where it is in the canonical buffer and in the raw path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    norm: (u32, u32),
    raw: (u32, u32),
}

/// A request path ready for matching.
#[derive(Debug)]
pub(crate) struct PathView<'p> {
    raw: &'p str,
    /// The canonical bytes.
    norm: Cow<'p, [u8]>,
    /// Segments of a decoded path; empty when `norm` is a prefix of `raw`.
    segs: Vec<Seg>,
}

impl<'p> PathView<'p> {
    /// Prepares `raw`; broken percent-encoding anywhere in it is an error.
    pub(crate) fn new(raw: &'p str) -> Result<Self, InvalidPercentEncoding> {
        if let Some(len) = canonical_len(raw.as_bytes()) {
            return Ok(PathView { raw, norm: Cow::Borrowed(&raw.as_bytes()[..len]), segs: Vec::new() });
        }
        let mut norm = Vec::with_capacity(raw.len());
        let mut segs = Vec::new();
        let mut start = 0;
        for part in raw.split('/') {
            let end = start + part.len();
            if !part.is_empty() {
                let text = percent_decode(part)?;
                norm.push(b'/');
                let n0 = norm.len();
                norm.extend(text.bytes().map(|b| if b == b'/' { IN_SEGMENT_SLASH } else { b }));
                segs.push(Seg { norm: (n0 as u32, norm.len() as u32), raw: (start as u32, end as u32) });
            }
            start = end + 1;
        }
        Ok(PathView { raw, norm: Cow::Owned(norm), segs })
    }

    /// The canonical bytes the matcher walks.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.norm
    }

    /// Whether the raw path is canonical already (its bytes are walked as they are).
    #[inline]
    pub(crate) fn is_canonical(&self) -> bool {
        matches!(self.norm, Cow::Borrowed(_))
    }

    /// Whether the raw path holds `%` escapes.
    pub(crate) fn has_escapes(&self) -> bool {
        !self.segs.is_empty() && self.raw.contains('%')
    }

    /// The decoded text of the segment at `start..end` of the canonical bytes.
    #[inline]
    pub(crate) fn segment(&self, start: usize, end: usize) -> Cow<'p, str> {
        if self.segs.is_empty() {
            return Cow::Borrowed(&self.raw[start..end]);
        }
        let raw = self.raw_segment(start);
        percent_decode(raw).unwrap_or(Cow::Borrowed(raw))
    }

    /// Where the segment that starts at `start` of the canonical bytes starts in the raw path.
    #[inline]
    pub(crate) fn raw_start(&self, start: usize) -> u32 {
        if self.segs.is_empty() {
            return start as u32;
        }
        let i = self.segs.partition_point(|s| (s.norm.0 as usize) < start);
        self.segs.get(i).map_or(start as u32, |s| s.raw.0)
    }

    /// The raw segment that starts at `start` of the canonical bytes.
    fn raw_segment(&self, start: usize) -> &'p str {
        let i = self.segs.partition_point(|s| (s.norm.0 as usize) < start);
        self.segs.get(i).map_or("", |s| &self.raw[s.raw.0 as usize..s.raw.1 as usize])
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `w` equal to `byte`, exactly (no carries between bytes).
#[inline]
pub(super) fn eq_mask(w: u64, byte: u8) -> u64 {
    let x = w ^ (ONES * u64::from(byte));
    !(((x & LOW7) + LOW7) | x) & HIGHS
}

/// The length of the canonical form when `path` is canonical but for one trailing `/`
/// (empty, or starts with `/`, holds no `//` and no `%`); `None` otherwise.
#[inline]
fn canonical_len(path: &[u8]) -> Option<usize> {
    match path.first() {
        None => return Some(0),
        Some(b'/') => {}
        Some(_) => return None,
    }
    let mut carry = 0u64;
    let mut chunks = path.chunks_exact(8);
    let mut check = |w: u64| {
        let slash = eq_mask(w, b'/');
        let bad = eq_mask(w, b'%') | (slash & ((slash << 8) | carry));
        carry = slash >> 56;
        bad == 0
    };
    for c in &mut chunks {
        if !check(u64::from_le_bytes(c.try_into().expect("8 bytes"))) {
            return None;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        if !check(u64::from_le_bytes(w)) {
            return None;
        }
    }
    Some(if path.ends_with(b"/") { path.len() - 1 } else { path.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_canonical(p: &[u8]) -> Option<usize> {
        let ok = p.is_empty() || (p[0] == b'/' && !p.contains(&b'%') && !p.windows(2).any(|w| w == b"//"));
        ok.then(|| if p.ends_with(b"/") { p.len() - 1 } else { p.len() })
    }

    #[test]
    fn canonical_table() {
        let cases: &[(&str, Option<usize>)] = &[
            ("", Some(0)),
            ("/", Some(0)),
            ("/a", Some(2)),
            ("/a/", Some(2)),
            ("/users/12345/posts", Some(18)),
            ("//", None),
            ("/a//b", None),
            ("/abcdef//x", None),  // `//` across the first word boundary
            ("/abcdefg//x", None), // the pair starting at byte 7
            ("/abcdefgh//", None),
            ("/a%20b", None),
            ("/abcdefghijklmn%", None),
            ("a/b", None),
            ("/é/ü", Some(6)),
        ];
        for (p, want) in cases {
            assert_eq!(canonical_len(p.as_bytes()), *want, "{p:?}");
        }
    }

    #[test]
    fn canonical_agrees_with_naive_on_every_short_path() {
        let alphabet = [b'/', b'a', b'%', 0xC3];
        for len in 0..=10u32 {
            for n in 0..4usize.pow(len) {
                let mut x = n;
                let p: Vec<u8> = (0..len)
                    .map(|_| {
                        let b = alphabet[x % 4];
                        x /= 4;
                        b
                    })
                    .collect();
                assert_eq!(canonical_len(&p), naive_canonical(&p), "{p:?}");
            }
        }
    }

    #[test]
    fn decoded_view_table() {
        // raw, canonical bytes (with the escape written as `|`), first segment's raw start
        let cases: &[(&str, &str, u32)] = &[
            ("//a//b/", "/a/b", 2),
            ("/a%2Fb/c", "/a|b/c", 1),
            ("/caf%C3%A9", "/café", 1),
            ("users/1", "/users/1", 0),
            ("/%41", "/A", 1),
        ];
        for (raw, want, first) in cases {
            let v = PathView::new(raw).unwrap();
            let shown: Vec<u8> = v.bytes().iter().map(|&b| if b == IN_SEGMENT_SLASH { b'|' } else { b }).collect();
            assert_eq!(String::from_utf8(shown).unwrap(), *want, "{raw}");
            assert_eq!(v.raw_start(1), *first, "{raw}");
        }
        assert!(PathView::new("/a/%zz").is_err());
        assert!(PathView::new("/a//%C3").is_err());
    }

    #[test]
    fn ranges_and_segments_map_back_to_the_raw_path() {
        let v = PathView::new("//x%20y//b/c%2Fd/").unwrap();
        assert_eq!(v.bytes(), b"/x y/b/c\xFFd");
        assert_eq!(v.segment(1, 4), "x y");
        assert_eq!(v.segment(7, 10), "c/d");
        assert_eq!((v.raw_start(5), v.raw_start(7)), (9, 11));
        assert!(v.has_escapes());
        let fast = PathView::new("/a/b/").unwrap();
        assert_eq!((fast.bytes(), fast.raw_start(3), &*fast.segment(1, 2)), (b"/a/b".as_slice(), 3, "a"));
        assert!(!fast.has_escapes() && fast.is_canonical());
        assert!(!v.is_canonical() && !PathView::new("/a//b").unwrap().is_canonical());
    }
}
