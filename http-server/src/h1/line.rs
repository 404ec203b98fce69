//! The request line (RFC 9112 §3): which of the four request-target forms a method may use
//! (§3.2), and the line a keep-alive connection repeats from one request to the next.
//!
//! A client on a keep-alive connection often sends the same request line again (a poll, a
//! health check, pipelined requests for one resource). Tokenizing it, checking the target
//! byte by byte and building its `Uri` again costs more than comparing it with the previous
//! line, so [`RepeatedLine`] keeps a copy of a line once it came twice in a row, with the
//! method, target and version parsed from it. While a head starts with those bytes, only
//! its fields are tokenized; the line's parts are clones (a reference-count increment for
//! the target). Equal bytes parse to the same result, so the answer is the one a fresh
//! parse gives: the head's length and fields are still checked in full.
//!
//! A line seen once is not copied: a client walking through different paths costs a
//! fingerprint of each line (a few instructions) and no allocation. Only lines with an
//! origin-form target and at most [`MAX_KEPT_BYTES`] long are kept. The copy never shares
//! the read buffer, which is reused in place as before.

use std::ops::Range;

use bytes::Bytes;
use http::{Method, Uri, Version};
use http_core::Error;
use http_core::engine::h1::fields::bad;

/// The longest request line (with its line end) worth keeping a copy of.
pub(crate) const MAX_KEPT_BYTES: usize = 320;

/// Checks `raw`'s form against `method` and parses it (RFC 9112 §3.2): origin-form,
/// absolute-form, authority-form (CONNECT only), asterisk-form (OPTIONS only).
pub(crate) fn parse_target(method: &Method, raw: Bytes) -> Result<Uri, Error> {
    if !form_allowed(method, &raw) {
        return Err(bad("invalid request-target form"));
    }
    Uri::from_maybe_shared(raw).map_err(|_| bad("invalid request-target"))
}

/// Whether `raw` has a form `method` may use (the bytes themselves are checked when parsed).
fn form_allowed(method: &Method, raw: &[u8]) -> bool {
    match raw.first() {
        Some(b'/') => true,
        Some(b'*') => raw.len() == 1 && method == Method::OPTIONS,
        Some(_) if method == Method::CONNECT => true,
        Some(_) => {
            raw.len() > 7 && (raw[..7].eq_ignore_ascii_case(b"http://") || raw[..8].eq_ignore_ascii_case(b"https://"))
        }
        None => false,
    }
}

/// The parts of a request line, as the head parser gives them to the request.
#[derive(Debug, Clone)]
pub(crate) struct LineParts {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Version,
}

/// The previous request line on one connection, and a copy of it once it repeats.
#[derive(Debug, Default)]
pub(crate) struct RepeatedLine {
    /// A line that came twice in a row (owned bytes, with its line end), and its parts.
    kept: Option<(Bytes, LineParts)>,
    /// The previous line's fingerprint, to tell a second occurrence from a first.
    last: Fingerprint,
}

/// Length and first and last eight bytes: equal for equal lines, and for different ones
/// rarely enough (a false match costs one copy, never a wrong answer: the kept copy is
/// compared byte for byte before it is used).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Fingerprint(usize, u64, u64);

impl Fingerprint {
    fn of(raw: &[u8]) -> Self {
        let word = |s: &[u8]| s.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let n = raw.len();
        Fingerprint(n, word(&raw[..n.min(8)]), word(&raw[n.saturating_sub(8)..]))
    }
}

impl RepeatedLine {
    /// When `buf` starts with the kept line: its length (line end included) and its parts.
    pub(crate) fn starting(&self, buf: &[u8]) -> Option<(usize, &LineParts)> {
        match &self.kept {
            Some((line, parts)) if buf.starts_with(line) => Some((line.len(), parts)),
            _ => None,
        }
    }

    /// The `Uri` for a line just tokenized: `head[..line_len]` is the line (with its line
    /// end, so past `target`), `target` where its request-target sits. Parsed from a slice
    /// of `head`, or from a copy of the line when it is the previous line again (the copy
    /// is kept, with `method` and `version`, for [`starting`](Self::starting)).
    pub(crate) fn target(
        &mut self,
        method: &Method,
        version: Version,
        head: &Bytes,
        line_len: usize,
        target: Range<usize>,
    ) -> Result<Uri, Error> {
        let line = &head[..line_len];
        let print = Fingerprint::of(line);
        let repeats = print == self.last
            && head.get(target.start) == Some(&b'/')
            && line_len > target.end
            && line_len <= MAX_KEPT_BYTES;
        self.last = print;
        if !repeats {
            return parse_target(method, head.slice(target));
        }
        let copy = Bytes::copy_from_slice(line);
        let uri = parse_target(method, copy.slice(target))?;
        self.kept = Some((copy, LineParts { method: method.clone(), uri: uri.clone(), version }));
        Ok(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_by_method() {
        // (method, target, accepted)
        let cases = [
            (Method::GET, "/a?b", true),
            (Method::GET, "http://h/a", true),
            (Method::GET, "HTTPS://h/a", true),
            (Method::GET, "h:80", false),
            (Method::CONNECT, "h:80", true),
            (Method::GET, "*", false),
            (Method::OPTIONS, "*", true),
            (Method::OPTIONS, "**", false),
            (Method::GET, "", false),
            (Method::GET, "/a b", false),
        ];
        for (method, raw, ok) in cases {
            let got = parse_target(&method, Bytes::from_static(raw.as_bytes()));
            assert_eq!(got.is_ok(), ok, "{method} {raw:?}: {got:?}");
        }
    }

    /// How a line's target was made.
    #[derive(Debug, PartialEq, Eq)]
    enum Made {
        /// From a slice of the head.
        Parsed,
        /// From a copy of the line, kept from now on.
        Copied,
        /// Taken from the kept copy, without tokenizing the line.
        Kept,
    }

    /// One head with the request line `raw` through `seen`, as the head parser does: the
    /// kept line if the head starts with it, else `target` with the line's pieces.
    fn next_line(seen: &mut RepeatedLine, raw: &str) -> Result<Made, Error> {
        let head = Bytes::from(format!("{raw}\r\nHost: a\r\n\r\n"));
        let (first, last) = (raw.find(' ').unwrap(), raw.rfind(' ').unwrap());
        let text = &raw[first + 1..last];
        let in_head = |uri: &Uri| head.as_ptr_range().contains(&uri.path_and_query().unwrap().as_str().as_ptr());
        if let Some((len, parts)) = seen.starting(&head) {
            assert_eq!(len, raw.len() + 2, "{raw}: the kept line with its line end");
            assert_eq!((parts.method.as_str(), parts.uri.to_string().as_str()), (&raw[..first], text), "{raw}");
            assert_eq!(parts.version == Version::HTTP_10, raw.ends_with("1.0"), "{raw}");
            assert!(!in_head(&parts.uri), "{raw}: the kept target is a copy");
            return Ok(Made::Kept);
        }
        let method = Method::from_bytes(&raw.as_bytes()[..first]).unwrap();
        let version = if raw.ends_with("1.0") { Version::HTTP_10 } else { Version::HTTP_11 };
        let kept_before = seen.kept.as_ref().map(|(line, _)| line.as_ptr());
        let uri = seen.target(&method, version, &head, raw.len() + 2, first + 1..last)?;
        assert_eq!(uri.to_string(), text, "{raw}");
        if seen.kept.as_ref().map(|(line, _)| line.as_ptr()) == kept_before {
            return Ok(Made::Parsed);
        }
        assert!(!in_head(&uri), "{raw}: the target given is the copy's");
        Ok(Made::Copied)
    }

    #[test]
    fn a_line_is_kept_once_it_came_twice_in_a_row() {
        use Made::*;
        let cases = [
            ("GET /a HTTP/1.1", Parsed),
            ("GET /b HTTP/1.1", Parsed),
            ("GET /b HTTP/1.1", Copied), // the second in a row: copied now
            ("GET /b HTTP/1.1", Kept),
            ("GET /b HTTP/1.1", Kept),
            ("HEAD /b HTTP/1.1", Parsed), // another method: another line
            ("GET /b HTTP/1.1", Kept),    // still kept
            ("GET /b HTTP/1.0", Parsed),
            ("GET /b?q=1 HTTP/1.1", Parsed),
            ("GET /c HTTP/1.1", Parsed),
            ("GET /c HTTP/1.1", Copied),
            ("GET /c HTTP/1.1", Kept),
            ("GET /b HTTP/1.1", Parsed), // replaced by /c
            ("GET http://h/d HTTP/1.1", Parsed),
            ("GET http://h/d HTTP/1.1", Parsed), // not origin-form: never kept
            ("GET http://h/d HTTP/1.1", Parsed),
            ("OPTIONS * HTTP/1.1", Parsed),
            ("OPTIONS * HTTP/1.1", Parsed),
            ("GET /c HTTP/1.1", Kept),
        ];
        let mut seen = RepeatedLine::default();
        for (i, (raw, made)) in cases.into_iter().enumerate() {
            assert_eq!(next_line(&mut seen, raw).unwrap(), made, "line {i}: {raw}");
        }
    }

    #[test]
    fn the_form_is_checked_every_time_and_bad_or_long_lines_are_never_kept() {
        let mut seen = RepeatedLine::default();
        for _ in 0..3 {
            assert_eq!(next_line(&mut seen, "GET * HTTP/1.1").map_err(|e| e.status().as_u16()), Err(400));
            assert_eq!(next_line(&mut seen, "GET /a\x7f HTTP/1.1").map_err(|e| e.status().as_u16()), Err(400));
        }
        assert!(seen.kept.is_none());
        let long = format!("GET /{} HTTP/1.1", "x".repeat(MAX_KEPT_BYTES - 15));
        assert!(long.len() + 2 > MAX_KEPT_BYTES);
        for _ in 0..3 {
            assert_eq!(next_line(&mut seen, &long).unwrap(), Made::Parsed, "over MAX_KEPT_BYTES: parsed each time");
        }
        // A line without its end (never given by the parser) is not kept either: an empty
        // copy would start every head.
        let cut = Bytes::from_static(b"GET /z");
        for _ in 0..3 {
            seen.target(&Method::GET, Version::HTTP_11, &cut, 6, 4..6).unwrap();
            seen.target(&Method::GET, Version::HTTP_11, &cut, 0, 4..6).unwrap();
        }
        assert!(seen.kept.is_none());
        let longest = format!("GET /{} HTTP/1.1", "x".repeat(MAX_KEPT_BYTES - 16));
        assert_eq!(longest.len() + 2, MAX_KEPT_BYTES);
        let made: Vec<_> = (0..3).map(|_| next_line(&mut seen, &longest).unwrap()).collect();
        assert_eq!(made, [Made::Parsed, Made::Copied, Made::Kept], "at MAX_KEPT_BYTES: kept");
    }

    #[test]
    fn a_head_starting_with_a_different_line_end_or_a_longer_line_is_not_the_kept_line() {
        let mut seen = RepeatedLine::default();
        for _ in 0..3 {
            next_line(&mut seen, "GET /a HTTP/1.1").unwrap();
        }
        assert!(seen.starting(b"GET /a HTTP/1.1\r\n").is_some());
        for other in
            [&b"GET /a HTTP/1.1\n"[..], b"GET /a HTTP/1.1", b"GET /ab HTTP/1.1\r\n", b"GET /a HTTP/1.0\r\n", b""]
        {
            assert!(seen.starting(other).is_none(), "{:?}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn fingerprints_tell_apart_length_and_both_ends() {
        let f = Fingerprint::of;
        assert_eq!(f(b"/abcdefghijklmnop"), f(b"/abcdefghijklmnop"));
        for other in [&b"/abcdefghijklmnoq"[..], b"/bbcdefghijklmnop", b"/abcdefghijklmno", b""] {
            assert_ne!(f(b"/abcdefghijklmnop"), f(other));
        }
    }
}
