//! Captured parameters as start offsets into the raw path, in pattern order: a capture
//! is a whole raw segment (up to the next `/`), and a `**` capture runs to the end of
//! the path less its trailing slashes, so the start is all there is to keep. Inline and
//! small: matching never allocates for them, and a match is cheap to move.

use crate::pattern::MAX_PARAMS;

/// The starts of the captured parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Captures {
    starts: [u32; MAX_PARAMS],
    len: u8,
}

impl Default for Captures {
    fn default() -> Self {
        Captures { starts: [0; MAX_PARAMS], len: 0 }
    }
}

impl Captures {
    #[inline]
    pub(super) fn push(&mut self, start: usize) {
        // Patterns are limited to MAX_PARAMS captures and a match follows one pattern,
        // so this never overflows; the guard only keeps a logic error from panicking.
        if usize::from(self.len) < MAX_PARAMS {
            self.starts[usize::from(self.len)] = start as u32;
            self.len += 1;
        }
    }

    #[inline]
    pub(super) fn pop(&mut self) {
        self.len -= 1;
    }

    /// The captured starts, to rewrite in place.
    pub(super) fn starts_mut(&mut self) -> &mut [u32] {
        &mut self.starts[..usize::from(self.len)]
    }

    /// The number of captures.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The raw text of capture `i` in `path`; `rest` for a `**` capture.
    #[inline]
    pub(crate) fn get<'p>(&self, i: usize, path: &'p str, rest: bool) -> &'p str {
        let tail = &path[self.starts[i] as usize..];
        if rest {
            tail.trim_end_matches('/')
        } else {
            // A byte loop: segments are short, and `str::find` is a call per capture.
            tail.bytes().position(|b| b == b'/').map_or(tail, |end| &tail[..end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_text_table() {
        let path = "/a/bc/d%2Fe//f//";
        let mut caps = Captures::default();
        for start in [1, 3, 6] {
            caps.push(start);
        }
        assert_eq!(caps.len(), 3);
        let cases = [(0, false, "a"), (1, false, "bc"), (2, false, "d%2Fe"), (1, true, "bc/d%2Fe//f")];
        for (i, rest, want) in cases {
            assert_eq!(caps.get(i, path, rest), want, "{i} {rest}");
        }
        caps.pop();
        assert_eq!(caps.len(), 2);
    }

    #[test]
    fn never_overflows() {
        let mut caps = Captures::default();
        for i in 0..MAX_PARAMS + 3 {
            caps.push(i);
        }
        assert_eq!(caps.len(), MAX_PARAMS);
    }
}
