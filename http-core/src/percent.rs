//! Percent-decoding of path segments (RFC 3986 §2.1), done once per segment.
//!
//! Callers split the raw path on `/` first and decode each segment afterwards, so an
//! encoded slash (`%2F`) ends up *inside* a segment and is never a separator (the router
//! keeps it in the parameter; the file server refuses it). `+` is not a
//! space in paths and stays `+`. A `%` not followed by two hex digits, or bytes that do not
//! decode to UTF-8, make the segment invalid (the router and the file server answer 400).
//!
//! Query strings are decoded the way HTML forms encode them (WHATWG URL,
//! `application/x-www-form-urlencoded`): [`query_param`] splits on `&` and `=` first, then
//! decodes the name and the value, where `+` is a space.

use std::borrow::Cow;
use std::fmt;

/// A path segment with broken percent-encoding (`%zz`, a truncated `%4`, or bytes that are
/// not UTF-8 once decoded).
///
/// ```
/// assert!(http_core::percent::percent_decode("%zz").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPercentEncoding;

impl fmt::Display for InvalidPercentEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid percent-encoding in request path")
    }
}

impl std::error::Error for InvalidPercentEncoding {}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one path segment. Borrows when there is nothing to decode.
///
/// ```
/// use http_core::percent::percent_decode;
/// assert_eq!(percent_decode("a%2Fb").unwrap(), "a/b");
/// assert_eq!(percent_decode("caf%C3%A9").unwrap(), "café");
/// assert_eq!(percent_decode("a+b").unwrap(), "a+b");
/// assert!(percent_decode("%4").is_err());
/// assert!(percent_decode("%FF").is_err(), "not UTF-8");
/// ```
pub fn percent_decode(segment: &str) -> Result<Cow<'_, str>, InvalidPercentEncoding> {
    let bytes = segment.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Ok(Cow::Borrowed(segment));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex).ok_or(InvalidPercentEncoding)?;
            let lo = bytes.get(i + 2).copied().and_then(hex).ok_or(InvalidPercentEncoding)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| InvalidPercentEncoding)
}

/// The value of the first `name=value` pair in a query string (without the `?`) whose
/// decoded name is `name`, decoded: `%XX` escapes, and `+` as a space. A pair without `=`
/// has the empty value; a pair whose encoding is broken is passed over. Borrows when there
/// is nothing to decode.
///
/// ```
/// use http_core::percent::query_param;
/// let q = "name=Ada%20Lovelace&city=S%C3%A3o+Paulo&flag&bad=%zz";
/// assert_eq!(query_param(q, "name").as_deref(), Some("Ada Lovelace"));
/// assert_eq!(query_param(q, "city").as_deref(), Some("São Paulo"));
/// assert_eq!(query_param(q, "flag").as_deref(), Some(""));
/// assert_eq!(query_param(q, "bad"), None);
/// assert_eq!(query_param(q, "missing"), None);
/// ```
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if form_decode(k).ok()? != name {
            return None;
        }
        form_decode(v).ok()
    })
}

/// [`percent_decode`] with `+` as a space (form encoding).
fn form_decode(s: &str) -> Result<Cow<'_, str>, InvalidPercentEncoding> {
    if s.contains('+') {
        percent_decode(&s.replace('+', " ")).map(|c| Cow::Owned(c.into_owned()))
    } else {
        percent_decode(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("", Some("")),
            ("plain", Some("plain")),
            ("%41", Some("A")),
            ("%2f", Some("/")),
            ("%2F%2F", Some("//")),
            ("100%25", Some("100%")),
            ("%E2%9C%93", Some("✓")),
            ("%", None),
            ("%a", None),
            ("%g0", None),
            ("ab%", None),
            ("%C3", None),
            ("%C3%28", None),
        ];
        for (input, want) in cases {
            let got = percent_decode(input).ok();
            assert_eq!(got.as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn borrowed_without_percent() {
        assert!(matches!(percent_decode("abc").unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn query_param_table() {
        let q = "a=1&b=x+y&c=%26%3D&a=2&e&%6Eame=n&broken=%zz&plus=%2B";
        let rows: &[(&str, Option<&str>)] = &[
            ("a", Some("1")),
            ("b", Some("x y")),
            ("c", Some("&=")),
            ("e", Some("")),
            ("name", Some("n")),
            ("broken", None),
            ("plus", Some("+")),
            ("z", None),
        ];
        for (name, want) in rows {
            assert_eq!(query_param(q, name).as_deref(), *want, "{name}");
        }
        assert!(matches!(query_param("a=1", "a"), Some(Cow::Borrowed(_))));
    }
}
