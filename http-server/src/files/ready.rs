//! [`ReadyHead`]: the header section of a 200 answer (RFC 9110 §15.3.1) for one remembered
//! representation of a file, made once per entry of the lookup cache: Content-Encoding
//! (RFC 9110 §8.4) and `Vary: accept-encoding` (§12.5.5) for a coded one, Cache-Control,
//! the validators ETag (§8.8.3) and Last-Modified (§8.8.2), `Accept-Ranges: bytes` (§14.3,
//! identity only: ranges are not served on a coded body) and Content-Type (§8.3). A request
//! with no precondition and no Range gets a copy: one copy of the map instead of a hashed
//! insert per field.

use http_core::header::{ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, LAST_MODIFIED, VARY};
use http_core::{HeaderMap, HeaderValue};

use super::encoding::Coding;

/// The fields of a representation that go into its answers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields<'a> {
    /// The content coding, `None` for the bytes as stored.
    pub(super) coding: Option<Coding>,
    /// The answers vary with Accept-Encoding (the file is compressed on the fly or has
    /// precompressed siblings), whichever representation this is.
    pub(super) vary: bool,
    pub(super) cache_control: Option<&'a HeaderValue>,
    pub(super) etag: Option<&'a HeaderValue>,
    pub(super) last_modified: Option<&'a HeaderValue>,
    pub(super) content_type: &'a HeaderValue,
}

/// The whole header section of a 200 answer to a plain request (no precondition, no
/// Range) for one representation, in the order the fields are assembled for any other
/// request: the representation's own fields, the validators, Accept-Ranges, Content-Type.
#[derive(Debug, Clone)]
pub(super) struct ReadyHead(HeaderMap);

impl ReadyHead {
    pub(super) fn new(f: Fields<'_>) -> ReadyHead {
        let mut h = HeaderMap::new();
        if let Some(coding) = f.coding {
            h.insert(CONTENT_ENCODING, coding.header());
        }
        if f.vary {
            h.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(cc) = f.cache_control {
            h.insert(CACHE_CONTROL, cc.clone());
        }
        if let Some(etag) = f.etag {
            h.insert(ETAG, etag.clone());
        }
        if let Some(lm) = f.last_modified {
            h.insert(LAST_MODIFIED, lm.clone());
        }
        if f.coding.is_none() {
            h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        h.insert(CONTENT_TYPE, f.content_type.clone());
        ReadyHead(h)
    }

    /// A copy of the fields, for one answer.
    pub(super) fn fields(&self) -> HeaderMap {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_per_representation() {
        let (cc, etag, lm) = (
            HeaderValue::from_static("max-age=60"),
            HeaderValue::from_static("\"abc\""),
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        let html = HeaderValue::from_static("text/html; charset=utf-8");
        let base = Fields {
            coding: None,
            vary: false,
            cache_control: None,
            etag: None,
            last_modified: None,
            content_type: &html,
        };
        // (fields, the names in order)
        let rows: [(Fields<'_>, &[&str]); 5] = [
            (base, &["accept-ranges", "content-type"]),
            (
                Fields { etag: Some(&etag), last_modified: Some(&lm), ..base },
                &["etag", "last-modified", "accept-ranges", "content-type"],
            ),
            (
                Fields { vary: true, cache_control: Some(&cc), ..base },
                &["vary", "cache-control", "accept-ranges", "content-type"],
            ),
            (
                Fields { coding: Some(Coding::Br), vary: true, etag: Some(&etag), ..base },
                &["content-encoding", "vary", "etag", "content-type"],
            ),
            (
                Fields {
                    coding: Some(Coding::Gzip),
                    vary: true,
                    cache_control: Some(&cc),
                    etag: Some(&etag),
                    last_modified: Some(&lm),
                    ..base
                },
                &["content-encoding", "vary", "cache-control", "etag", "last-modified", "content-type"],
            ),
        ];
        for (fields, names) in rows {
            let h = ReadyHead::new(fields).fields();
            let got: Vec<&str> = h.keys().map(|n| n.as_str()).collect();
            assert_eq!(got, names, "{fields:?}");
            assert_eq!(h.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()), fields.coding.map(Coding::token));
            assert_eq!(h.get(CONTENT_TYPE), Some(&html));
            assert_eq!(h.get(ETAG), fields.etag);
            assert_eq!(h.get(LAST_MODIFIED), fields.last_modified);
            assert_eq!(h.get(CACHE_CONTROL), fields.cache_control);
            assert_eq!(h.get(VARY).is_some(), fields.vary);
        }
    }
}
