//! The request-target (RFC 9112 §3.2): which of its four forms a method may use, and the
//! target a keep-alive connection repeats from one request to the next.
//!
//! A client on a keep-alive connection often asks for the same target again (a poll, a
//! health check, pipelined requests for one resource). Checking it byte by byte and
//! building its `Uri` again costs more than comparing it with the previous one, so
//! [`RepeatedTarget`] keeps a copy of an origin-form target once it came twice in a row,
//! and hands out that copy (a reference-count increment) while it keeps coming. A target
//! seen once is not copied: a client walking through different paths costs a fingerprint
//! of each target (a few instructions) and no allocation. The copy never shares the read
//! buffer, which is reused in place as before.

use std::ops::Range;

use bytes::Bytes;
use http::{Method, Uri};
use http_core::Error;
use http_core::engine::h1::fields::bad;

/// The longest target worth keeping a copy of.
pub(crate) const MAX_KEPT_BYTES: usize = 256;

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

/// The previous request's target on one connection, and a copy of it once it repeats.
#[derive(Debug, Default)]
pub(crate) struct RepeatedTarget {
    /// A copy of an origin-form target that came twice in a row (owned bytes).
    kept: Option<Uri>,
    /// The previous target's fingerprint, to tell a second occurrence from a first.
    last: Fingerprint,
}

/// Length and first and last eight bytes: equal for equal targets, and for different ones
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

impl RepeatedTarget {
    /// The `Uri` for the target at `at` in `head` under `method`: the kept copy when the
    /// target is that one byte for byte, else parsed from a slice of `head` (and copied if
    /// it is the previous target again).
    pub(crate) fn target(&mut self, method: &Method, head: &Bytes, at: Range<usize>) -> Result<Uri, Error> {
        let raw = &head[at.clone()];
        if let Some(kept) = &self.kept
            && kept.path_and_query().is_some_and(|pq| pq.as_str().as_bytes() == raw)
        {
            // Kept targets are origin-form, which every method may use.
            return Ok(kept.clone());
        }
        let print = Fingerprint::of(raw);
        let repeats = print == self.last && raw.first() == Some(&b'/') && raw.len() <= MAX_KEPT_BYTES;
        self.last = print;
        if repeats {
            let uri = parse_target(method, Bytes::copy_from_slice(raw))?;
            self.kept = Some(uri.clone());
            return Ok(uri);
        }
        parse_target(method, head.slice(at))
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

    /// Whether the `Uri` given for `raw` is a copy (its bytes are not `raw`'s).
    fn from_copy(seen: &mut RepeatedTarget, method: &Method, raw: &'static str) -> Result<bool, Error> {
        let raw = Bytes::from_static(raw.as_bytes());
        let uri = seen.target(method, &raw, 0..raw.len())?;
        let pq = uri.path_and_query().expect("a path");
        assert_eq!(uri.to_string(), std::str::from_utf8(&raw).unwrap());
        Ok(!raw.as_ptr_range().contains(&pq.as_str().as_ptr()))
    }

    #[test]
    fn a_target_is_kept_once_it_came_twice_in_a_row() {
        // (target, whether a copy answers)
        let cases = [
            ("/a", false),
            ("/b", false),
            ("/b", true), // the second in a row: copied now
            ("/b", true),
            ("/b?q=1", false),
            ("/b", true), // still kept
            ("/c", false),
            ("/d", false),
            ("/d", true),
            ("/d", true),
            ("http://h/d", false), // not origin-form: never kept
            ("http://h/d", false),
            ("http://h/d", false),
        ];
        let mut seen = RepeatedTarget::default();
        for (i, (raw, kept)) in cases.into_iter().enumerate() {
            assert_eq!(from_copy(&mut seen, &Method::GET, raw).unwrap(), kept, "request {i}: {raw}");
        }
    }

    #[test]
    fn the_form_is_checked_for_every_method_and_bad_targets_never_kept() {
        let mut seen = RepeatedTarget::default();
        for _ in 0..3 {
            assert!(from_copy(&mut seen, &Method::OPTIONS, "*").is_ok());
        }
        assert!(from_copy(&mut seen, &Method::GET, "*").is_err(), "asterisk-form is for OPTIONS only");
        for _ in 0..3 {
            assert!(from_copy(&mut seen, &Method::GET, "/a\x7f").is_err());
        }
        assert!(seen.kept.is_none());
        let long: &'static str = format!("/{}", "x".repeat(MAX_KEPT_BYTES)).leak();
        for _ in 0..3 {
            assert!(!from_copy(&mut seen, &Method::GET, long).unwrap(), "over MAX_KEPT_BYTES: parsed each time");
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
