//! The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second per thread.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

struct Cache {
    second: u64,
    text: [u8; 29],
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { second: 0, text: [0; 29] }) };
}

/// Appends the current IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to `out`.
pub(crate) fn append_date(out: &mut bytes::BytesMut) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.second != second {
            let text = httpdate::fmt_http_date(now);
            if text.len() == 29 {
                c.text.copy_from_slice(text.as_bytes());
                c.second = second;
            }
        }
        out.extend_from_slice(&c.text);
    });
}

thread_local! {
    /// The last value made by [`date_value`] and its second.
    static VALUE: RefCell<(u64, Option<http::HeaderValue>)> = const { RefCell::new((0, None)) };
}

/// The current date as a header value (HTTP/2 responses): made at most once per second per
/// thread, and shared (a reference-count increment) by every response within that second.
pub(crate) fn date_value() -> http::HeaderValue {
    let second = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    VALUE.with(|v| {
        let mut v = v.borrow_mut();
        if let (true, Some(value)) = (v.0 == second, &v.1) {
            return value.clone();
        }
        let mut b = bytes::BytesMut::with_capacity(29);
        append_date(&mut b);
        let value =
            http::HeaderValue::from_maybe_shared(b.freeze()).unwrap_or_else(|_| http::HeaderValue::from_static(""));
        *v = (second, Some(value.clone()));
        value
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_a_parseable_date() {
        let mut b = bytes::BytesMut::new();
        super::append_date(&mut b);
        let s = std::str::from_utf8(&b).unwrap();
        assert!(httpdate::parse_http_date(s).is_ok(), "{s}");
        assert!(s.ends_with(" GMT"));
    }

    fn now_secs() -> u64 {
        super::SystemTime::now().duration_since(super::UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn header_value_is_the_formatted_date() {
        // Within one second the header value and the formatted date are the same bytes, of
        // that second, and repeated calls share one buffer. If the clock ticks during an
        // attempt, try again.
        for _ in 0..3 {
            let second = now_secs();
            let v = super::date_value();
            let mut b = bytes::BytesMut::new();
            super::append_date(&mut b);
            let again = super::date_value();
            if now_secs() != second {
                continue;
            }
            assert_eq!(v.as_bytes(), &b[..]);
            let parsed = httpdate::parse_http_date(v.to_str().unwrap()).unwrap();
            assert_eq!(parsed.duration_since(super::UNIX_EPOCH).unwrap().as_secs(), second);
            assert_eq!(v.as_bytes().as_ptr(), again.as_bytes().as_ptr(), "made once, then shared");
            assert_eq!(again.len(), 29);
            return;
        }
        panic!("the clock ticked during every attempt");
    }
}
