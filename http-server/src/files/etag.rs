//! Entity tags (RFC 9110 §8.8.3): making them for files and bytes, parsing the lists in
//! `If-Match` / `If-None-Match`, and the strong and weak comparisons.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use http_core::{HeaderMap, HeaderValue};

/// An entity tag: an opaque validator, strong or weak (`W/"..."`).
///
/// ```
/// use http_server::files::ETag;
/// let t = ETag::parse("W/\"v1\"").unwrap();
/// assert!(t.is_weak());
/// assert_eq!(t.tag(), "v1");
/// assert!(t.weak_eq(&ETag::strong("v1").unwrap()));
/// assert!(!t.strong_eq(&ETag::strong("v1").unwrap()));
/// assert_eq!(ETag::strong("v1").unwrap().to_string(), "\"v1\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag {
    weak: bool,
    tag: String,
}

/// True for the characters allowed inside the quotes (`etagc`, RFC 9110 §8.8.3).
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

impl ETag {
    /// A strong tag with the given opaque value (without quotes); `None` if it holds a
    /// character an entity tag cannot (a quote, a space, a control character).
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert_eq!(ETag::strong("v1").unwrap().to_string(), "\"v1\"");
    /// assert_eq!(ETag::strong("has \"quotes\""), None);
    /// ```
    pub fn strong(tag: &str) -> Option<ETag> {
        tag.bytes().all(is_etagc).then(|| ETag { weak: false, tag: tag.to_owned() })
    }

    /// A weak tag with the given opaque value (without quotes).
    ///
    /// ```
    /// use http_server::files::ETag;
    /// let t = ETag::weak("v1").unwrap();
    /// assert!(t.is_weak());
    /// assert_eq!(t.to_string(), "W/\"v1\"");
    /// ```
    pub fn weak(tag: &str) -> Option<ETag> {
        ETag::strong(tag).map(|t| ETag { weak: true, ..t })
    }

    /// Parses one entity tag, `"xyz"` or `W/"xyz"`.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert_eq!(ETag::parse(" \"abc\" "), ETag::strong("abc"));
    /// assert_eq!(ETag::parse("W/\"abc\""), ETag::weak("abc"));
    /// assert_eq!(ETag::parse("abc"), None, "the quotes are required");
    /// ```
    pub fn parse(s: &str) -> Option<ETag> {
        let s = s.trim();
        let (weak, rest) = match s.strip_prefix("W/") {
            Some(r) => (true, r),
            None => (false, s),
        };
        let inner = rest.strip_prefix('"')?.strip_suffix('"')?;
        let t = ETag::strong(inner)?;
        Some(ETag { weak, ..t })
    }

    /// The strong tag for a file of `size` bytes modified at `modified`: the modification
    /// time in seconds and the size, in hex, as nginx makes them (`"5f1c2a3b-1a4"`), with
    /// the sub-second part added when the file system records one (`"5f1c2a3b.1dcd6500-1a4"`).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use http_server::files::ETag;
    /// let t = ETag::from_metadata(420, UNIX_EPOCH + Duration::from_secs(0x5f1c2a3b));
    /// assert_eq!(t.to_string(), "\"5f1c2a3b-1a4\"");
    /// ```
    pub fn from_metadata(size: u64, modified: SystemTime) -> ETag {
        let since = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
        let tag = match since.subsec_nanos() {
            0 => format!("{:x}-{size:x}", since.as_secs()),
            n => format!("{:x}.{n:x}-{size:x}", since.as_secs()),
        };
        ETag { weak: false, tag }
    }

    /// The strong tag for in-memory content: its length and a 64-bit FNV-1a hash of the bytes.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert_eq!(ETag::from_bytes(b"abc"), ETag::from_bytes(b"abc"));
    /// assert_ne!(ETag::from_bytes(b"abc"), ETag::from_bytes(b"abd"));
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> ETag {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        ETag { weak: false, tag: format!("{:x}-{h:016x}", bytes.len()) }
    }

    /// This tag with `suffix` added to its value, keeping its weakness (for the
    /// representation in another content coding).
    pub(crate) fn with_suffix(&self, suffix: &str) -> ETag {
        ETag { weak: self.weak, tag: format!("{}{suffix}", self.tag) }
    }

    /// This tag made weak.
    pub(crate) fn into_weak(self) -> ETag {
        ETag { weak: true, ..self }
    }

    /// True for a weak tag.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert!(ETag::parse("W/\"x\"").unwrap().is_weak());
    /// assert!(!ETag::parse("\"x\"").unwrap().is_weak());
    /// ```
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// The opaque value, without quotes or `W/`.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert_eq!(ETag::parse("W/\"x-1\"").unwrap().tag(), "x-1");
    /// ```
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Strong comparison: both strong and the same value.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// let (a, w) = (ETag::strong("1").unwrap(), ETag::weak("1").unwrap());
    /// assert!(a.strong_eq(&a.clone()));
    /// assert!(!a.strong_eq(&w) && !w.strong_eq(&w));
    /// ```
    pub fn strong_eq(&self, other: &ETag) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: the same value, either may be weak.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// let (a, w) = (ETag::strong("1").unwrap(), ETag::weak("1").unwrap());
    /// assert!(a.weak_eq(&w) && w.weak_eq(&w));
    /// assert!(!a.weak_eq(&ETag::strong("2").unwrap()));
    /// ```
    pub fn weak_eq(&self, other: &ETag) -> bool {
        self.tag == other.tag
    }

    /// The tag as a header value.
    ///
    /// ```
    /// use http_server::files::ETag;
    /// assert_eq!(ETag::weak("v2").unwrap().to_header(), "W/\"v2\"");
    /// ```
    pub fn to_header(&self) -> HeaderValue {
        HeaderValue::from_str(&self.to_string()).expect("entity tags hold only visible characters")
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.tag)
    }
}

/// The value of an `If-Match` or `If-None-Match` field: `*` or a list of tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagList {
    /// `*`: any current representation.
    Any,
    /// The listed tags (members that do not parse are left out, so they match nothing).
    Tags(Vec<ETag>),
}

impl TagList {
    /// Reads every line of field `name`; `None` when the field is absent.
    pub(crate) fn from_headers(headers: &HeaderMap, name: &http_core::HeaderName) -> Option<TagList> {
        let mut values = headers.get_all(name).iter().peekable();
        values.peek()?;
        let mut tags = Vec::new();
        for v in values {
            let s = String::from_utf8_lossy(v.as_bytes());
            if s.trim() == "*" {
                return Some(TagList::Any);
            }
            tags.extend(split_list(&s).filter_map(ETag::parse));
        }
        Some(TagList::Tags(tags))
    }

    /// Does the list match `current` with the strong comparison (If-Match)?
    pub(crate) fn matches_strong(&self, current: Option<&ETag>) -> bool {
        match self {
            TagList::Any => true,
            TagList::Tags(t) => current.is_some_and(|c| t.iter().any(|x| x.strong_eq(c))),
        }
    }

    /// Does the list match `current` with the weak comparison (If-None-Match)?
    pub(crate) fn matches_weak(&self, current: Option<&ETag>) -> bool {
        match self {
            TagList::Any => true,
            TagList::Tags(t) => current.is_some_and(|c| t.iter().any(|x| x.weak_eq(c))),
        }
    }
}

/// Splits a list of entity tags on the commas outside quotes.
fn split_list(s: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::header::IF_NONE_MATCH;

    #[test]
    fn parse_table() {
        let rows: [(&str, Option<(bool, &str)>); 9] = [
            ("\"abc\"", Some((false, "abc"))),
            ("W/\"abc\"", Some((true, "abc"))),
            ("  \"a-b\" ", Some((false, "a-b"))),
            ("\"\"", Some((false, ""))),
            ("abc", None),
            ("\"abc", None),
            ("w/\"abc\"", None),
            ("\"a\"b\"", None),
            ("\"a b\"", None),
        ];
        for (input, want) in rows {
            let got = ETag::parse(input).map(|t| (t.is_weak(), t.tag().to_owned()));
            assert_eq!(got, want.map(|(w, t)| (w, t.to_owned())), "{input}");
        }
    }

    #[test]
    fn lists_split_outside_quotes_and_across_lines() {
        let mut h = HeaderMap::new();
        h.append(IF_NONE_MATCH, HeaderValue::from_static("\"a,b\", W/\"c\""));
        h.append(IF_NONE_MATCH, HeaderValue::from_static("\"d\", junk"));
        let l = TagList::from_headers(&h, &IF_NONE_MATCH).unwrap();
        let TagList::Tags(t) = &l else { panic!("not a list") };
        let names: Vec<_> = t.iter().map(ETag::tag).collect();
        assert_eq!(names, ["a,b", "c", "d"]);
        assert!(l.matches_weak(ETag::strong("c").as_ref()));
        assert!(!l.matches_strong(ETag::strong("c").as_ref()));
        assert!(l.matches_strong(ETag::strong("d").as_ref()));
        assert!(!l.matches_weak(None));
        assert_eq!(TagList::from_headers(&HeaderMap::new(), &IF_NONE_MATCH), None);
    }

    #[test]
    fn metadata_tags_follow_nginx_format() {
        use std::time::Duration;
        let t = UNIX_EPOCH + Duration::new(0x6b01_3242, 0);
        assert_eq!(ETag::from_metadata(33, t).to_string(), "\"6b013242-21\"");
        let t = UNIX_EPOCH + Duration::new(16, 5);
        assert_eq!(ETag::from_metadata(0, t).to_string(), "\"10.5-0\"");
    }
}
