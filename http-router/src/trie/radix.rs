//! A byte radix tree (compressed prefix tree) over the exact text of routes: the key of a
//! run of exact segments is `/seg1/seg2…`, so a request walks a whole static run — many
//! segments — with a few prefix comparisons, and each node finds its child by the first
//! byte. Values are trie point ids.
//!
//! A `/` inside a segment (from a pattern's `%2F`) is stored as [`IN_SEGMENT_SLASH`], a byte
//! that never occurs in UTF-8 text, so it cannot be mistaken for a separator.

/// No value / no point.
pub(crate) const NONE: u32 = u32::MAX;

/// The key byte that stands for a `/` inside one segment.
pub(crate) const IN_SEGMENT_SLASH: u8 = 0xFF;

/// One radix node: its prefix, its children by first byte, and the value of the key that
/// ends here.
#[derive(Debug, Clone)]
pub(crate) struct Radix {
    pub(crate) prefix: Box<[u8]>,
    /// `firsts[i]` is the first byte of `children[i]`'s prefix; kept apart so the scan
    /// reads one small array.
    pub(crate) firsts: Vec<u8>,
    pub(crate) children: Vec<Radix>,
    /// The point at the key ending here, or [`NONE`].
    pub(crate) value: u32,
}

impl Default for Radix {
    fn default() -> Self {
        Radix { prefix: Box::default(), firsts: Vec::new(), children: Vec::new(), value: NONE }
    }
}

impl Radix {
    /// True for a tree without keys.
    pub(crate) fn is_empty(&self) -> bool {
        self.prefix.is_empty() && self.children.is_empty() && self.value == NONE
    }

    /// The value slot of `key` (relative to this node), created if missing. Keys are
    /// never empty: the empty key is the owner of the tree itself.
    pub(crate) fn slot(&mut self, key: &[u8]) -> &mut u32 {
        debug_assert!(!key.is_empty());
        if self.is_empty() {
            // An empty tree takes the whole key as its prefix.
            self.prefix = key.into();
            return &mut self.value;
        }
        self.slot_in(key)
    }

    fn slot_in(&mut self, key: &[u8]) -> &mut u32 {
        let common = self.prefix.iter().zip(key).take_while(|(a, b)| a == b).count();
        if common < self.prefix.len() {
            let tail = Radix {
                prefix: self.prefix[common..].into(),
                firsts: std::mem::take(&mut self.firsts),
                children: std::mem::take(&mut self.children),
                value: self.value,
            };
            self.prefix = self.prefix[..common].into();
            self.firsts = vec![tail.prefix[0]];
            self.children = vec![tail];
            self.value = NONE;
        }
        let rest = &key[common..];
        let Some(&first) = rest.first() else {
            return &mut self.value;
        };
        let i = match self.firsts.iter().position(|&b| b == first) {
            Some(i) => i,
            None => {
                self.firsts.push(first);
                self.children.push(Radix { prefix: rest.into(), ..Radix::default() });
                return &mut self.children.last_mut().expect("just pushed").value;
            }
        };
        self.children[i].slot_in(rest)
    }

    /// The child whose prefix starts with `byte`.
    #[cfg(test)]
    pub(crate) fn child(&self, byte: u8) -> Option<&Radix> {
        self.firsts.iter().position(|&b| b == byte).map(|i| &self.children[i])
    }

    /// The value of exactly `key` (relative to this node), for tests and registration.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        let rest = key.strip_prefix(&*self.prefix)?;
        match rest.first() {
            None => Some(self.value).filter(|&v| v != NONE),
            Some(&b) => self.child(b)?.get(rest),
        }
    }
}

/// The radix key of one exact segment: `/` then its text, an inner `/` escaped.
pub(crate) fn push_segment_key(key: &mut Vec<u8>, text: &str) {
    key.push(b'/');
    key.extend(text.bytes().map(|b| if b == b'/' { IN_SEGMENT_SLASH } else { b }));
}

/// Byte equality without a `memcmp` call: prefixes are short, and the call costs more
/// than the comparison.
#[inline]
pub(crate) fn eq_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a, b);
    while x.len() >= 8 {
        let (xa, xr) = x.split_at(8);
        let (ya, yr) = y.split_at(8);
        if u64::from_ne_bytes(xa.try_into().expect("8 bytes")) != u64::from_ne_bytes(ya.try_into().expect("8 bytes")) {
            return false;
        }
        (x, y) = (xr, yr);
    }
    x.iter().zip(y).all(|(p, q)| p == q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(keys: &[&str]) -> Radix {
        let mut r = Radix::default();
        for (i, k) in keys.iter().enumerate() {
            *r.slot(k.as_bytes()) = i as u32;
        }
        r
    }

    #[test]
    fn lookup_table() {
        let keys = ["/api/v1/a", "/api/v1/ab", "/api", "/static/x", "/s", "/api/v2", "/b"];
        let r = build(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(r.get(k.as_bytes()), Some(i as u32), "{k}");
        }
        for miss in ["/", "/ap", "/api/", "/api/v1", "/api/v1/abc", "/st", "/c", ""] {
            assert_eq!(r.get(miss.as_bytes()), None, "{miss}");
        }
    }

    #[test]
    fn splits_keep_values_and_children() {
        let mut r = build(&["/abcdef"]);
        assert_eq!(&*r.prefix, b"/abcdef");
        *r.slot(b"/abc") = 7;
        *r.slot(b"/abx") = 8;
        assert_eq!(&*r.prefix, b"/ab");
        assert_eq!((r.get(b"/abcdef"), r.get(b"/abc"), r.get(b"/abx")), (Some(0), Some(7), Some(8)));
        assert_eq!(r.firsts.len(), r.children.len());
    }

    #[test]
    fn existing_slot_is_reused() {
        let mut r = build(&["/a", "/b"]);
        assert_eq!(*r.slot(b"/a"), 0);
        assert_eq!(r.children.len(), 2);
    }

    #[test]
    fn segment_keys_escape_inner_slashes() {
        let mut key = Vec::new();
        push_segment_key(&mut key, "a/b");
        push_segment_key(&mut key, "café");
        assert_eq!(key, [b"/a".as_slice(), &[IN_SEGMENT_SLASH], b"b/caf\xC3\xA9"].concat());
    }

    #[test]
    fn eq_short_table() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"", b"", true),
            (b"a", b"a", true),
            (b"a", b"b", false),
            (b"abcdefgh", b"abcdefgh", true),
            (b"abcdefghi", b"abcdefghX", false),
            (b"Xbcdefghi", b"abcdefghi", false),
            (b"abc", b"abcd", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(eq_short(a, b), *want, "{a:?} {b:?}");
        }
    }
}
