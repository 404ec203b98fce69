//! Conditional requests (RFC 9110 §13): the preconditions and `If-Range`.
//!
//! The order is RFC 9110 §13.2.2's:
//! 1. `If-Match` present: no strong match (and not `*`) → 412.
//! 2. otherwise `If-Unmodified-Since`: modified after the date → 412.
//! 3. `If-None-Match` present: `*` or a weak match → 304 for GET/HEAD, 412 for other methods.
//! 4. otherwise `If-Modified-Since` (GET/HEAD only): not modified after the date → 304.
//! 5. `If-Range` (see [`if_range_holds`]): a mismatch means the Range is ignored (200 full).
//!
//! Dates are compared in whole seconds (HTTP dates have no finer resolution); a date that
//! does not parse, or a field with more than one member, is ignored.

use std::time::{SystemTime, UNIX_EPOCH};

use http_core::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE};
use http_core::{HeaderMap, HeaderName, Method};

use super::etag::{ETag, TagList};

/// What the preconditions of a request decide.
///
/// Crate-private: outside the crate only through `__fuzz`/`__bench` (features `fuzz-api`,
/// `bench-api`).
#[cfg_attr(not(any(feature = "fuzz-api", feature = "bench-api")), allow(unreachable_pub))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on and answer the request.
    Proceed,
    /// Answer 304 Not Modified.
    NotModified,
    /// Answer 412 Precondition Failed.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since`
/// against the current validators, in RFC 9110 §13.2.2's order.
///
/// Crate-private: outside the crate only through `__fuzz`/`__bench` (features `fuzz-api`,
/// `bench-api`).
#[cfg_attr(not(any(feature = "fuzz-api", feature = "bench-api")), allow(unreachable_pub))]
pub fn check_preconditions(
    method: &Method,
    headers: &HeaderMap,
    etag: Option<&ETag>,
    last_modified: Option<SystemTime>,
) -> Precondition {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    let lm = last_modified.map(secs);
    // Step 1 and 2.
    if let Some(list) = TagList::from_headers(headers, &IF_MATCH) {
        if !list.matches_strong(etag) {
            return Precondition::Failed;
        }
    } else if let (Some(date), Some(lm)) = (date_field(headers, &IF_UNMODIFIED_SINCE), lm)
        && lm > date
    {
        return Precondition::Failed;
    }
    // Step 3 and 4.
    if let Some(list) = TagList::from_headers(headers, &IF_NONE_MATCH) {
        if list.matches_weak(etag) {
            return if get_or_head { Precondition::NotModified } else { Precondition::Failed };
        }
    } else if get_or_head
        && let (Some(date), Some(lm)) = (date_field(headers, &IF_MODIFIED_SINCE), lm)
        && lm <= date
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// True when a Range request may be answered partially: there is no `If-Range`, or its
/// entity tag strongly matches the current one, or its date equals the Last-Modified time.
/// A weak tag in `If-Range` never matches (RFC 9110 §13.1.5).
///
/// Crate-private: outside the crate only through `__fuzz` (feature `fuzz-api`).
#[cfg_attr(not(feature = "fuzz-api"), allow(unreachable_pub))]
pub fn if_range_holds(headers: &HeaderMap, etag: Option<&ETag>, last_modified: Option<SystemTime>) -> bool {
    let Some(value) = headers.get(IF_RANGE) else { return true };
    let Ok(value) = value.to_str() else { return false };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return match (ETag::parse(value), etag) {
            (Some(given), Some(current)) => given.strong_eq(current),
            _ => false,
        };
    }
    match (httpdate::parse_http_date(value), last_modified) {
        (Ok(date), Some(lm)) => secs(date) == secs(lm),
        _ => false,
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A date field's value in seconds, if it has exactly one line that parses.
fn date_field(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    httpdate::parse_http_date(first.to_str().ok()?.trim()).ok().map(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const LM: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const BEFORE: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const AFTER: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn lm() -> SystemTime {
        // 08:49:37 plus a fraction: dates compare in whole seconds.
        httpdate::parse_http_date(LM).unwrap() + Duration::from_millis(400)
    }

    fn check(method: Method, fields: &[(&str, &str)]) -> Precondition {
        let mut h = HeaderMap::new();
        for (k, v) in fields {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let tag = ETag::strong("v1").unwrap();
        check_preconditions(&method, &h, Some(&tag), Some(lm()))
    }

    #[test]
    fn precondition_table() {
        use Precondition::*;
        type Row<'a> = (Method, &'a [(&'a str, &'a str)], Precondition);
        let rows: &[Row] = &[
            (Method::GET, &[], Proceed),
            (Method::GET, &[("if-match", "\"v1\"")], Proceed),
            (Method::GET, &[("if-match", "\"v0\", \"v1\"")], Proceed),
            (Method::GET, &[("if-match", "*")], Proceed),
            (Method::GET, &[("if-match", "\"v0\"")], Failed),
            (Method::GET, &[("if-match", "W/\"v1\"")], Failed),
            (Method::GET, &[("if-match", "garbage")], Failed),
            // If-Unmodified-Since is only looked at without If-Match.
            (Method::GET, &[("if-match", "\"v1\""), ("if-unmodified-since", BEFORE)], Proceed),
            (Method::GET, &[("if-unmodified-since", BEFORE)], Failed),
            (Method::GET, &[("if-unmodified-since", LM)], Proceed),
            (Method::GET, &[("if-unmodified-since", "not a date")], Proceed),
            (Method::GET, &[("if-none-match", "\"v1\"")], NotModified),
            (Method::HEAD, &[("if-none-match", "W/\"v1\"")], NotModified),
            (Method::GET, &[("if-none-match", "*")], NotModified),
            (Method::GET, &[("if-none-match", "\"v0\"")], Proceed),
            (Method::POST, &[("if-none-match", "\"v1\"")], Failed),
            (Method::DELETE, &[("if-none-match", "*")], Failed),
            // If-Modified-Since is only looked at without If-None-Match, and for GET/HEAD.
            (Method::GET, &[("if-none-match", "\"v0\""), ("if-modified-since", LM)], Proceed),
            (Method::GET, &[("if-modified-since", LM)], NotModified),
            (Method::GET, &[("if-modified-since", AFTER)], NotModified),
            (Method::GET, &[("if-modified-since", BEFORE)], Proceed),
            (Method::GET, &[("if-modified-since", "Sunday, 06-Nov-94 08:49:37 GMT")], NotModified),
            (Method::GET, &[("if-modified-since", "Sun Nov  6 08:49:37 1994")], NotModified),
            (Method::GET, &[("if-modified-since", LM), ("if-modified-since", LM)], Proceed),
            (Method::POST, &[("if-modified-since", LM)], Proceed),
            (Method::GET, &[("if-modified-since", "yesterday")], Proceed),
            // 412 wins over 304.
            (Method::GET, &[("if-match", "\"v0\""), ("if-none-match", "\"v1\"")], Failed),
        ];
        for (method, fields, want) in rows {
            assert_eq!(check(method.clone(), fields), *want, "{method} {fields:?}");
        }
    }

    #[test]
    fn if_range_table() {
        let tag = ETag::strong("v1").unwrap();
        let rows = [
            ("\"v1\"", true),
            ("\"v0\"", false),
            ("W/\"v1\"", false),
            (LM, true),
            (AFTER, false),
            (BEFORE, false),
            ("nonsense", false),
        ];
        for (value, want) in rows {
            let mut h = HeaderMap::new();
            h.insert(IF_RANGE, value.parse().unwrap());
            assert_eq!(if_range_holds(&h, Some(&tag), Some(lm())), want, "{value}");
        }
        let mut h = HeaderMap::new();
        h.insert(IF_RANGE, "\"v1\"".parse().unwrap());
        assert!(!if_range_holds(&h, None, Some(lm())), "no current tag: no match");
    }

    #[test]
    fn method_decides_304_or_412() {
        let tag = ETag::strong("v1").unwrap();
        let mut h = HeaderMap::new();
        h.insert("if-none-match", "\"v1\"".parse().unwrap());
        assert_eq!(check_preconditions(&Method::GET, &h, Some(&tag), None), Precondition::NotModified);
        assert_eq!(check_preconditions(&Method::PUT, &h, Some(&tag), None), Precondition::Failed);
    }

    #[test]
    fn if_range_absent_or_mismatched() {
        let tag = ETag::strong("v1").unwrap();
        let mut h = HeaderMap::new();
        assert!(if_range_holds(&h, Some(&tag), None));
        h.insert("if-range", "\"v0\"".parse().unwrap());
        assert!(!if_range_holds(&h, Some(&tag), None));
    }
}
