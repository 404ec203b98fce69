//! The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second per thread.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The formatted date and the second it is good for, `[from, until)`: a response checks
/// its clock reading against the two bounds, cheaper than working out the second.
struct Cache {
    from: SystemTime,
    until: SystemTime,
    text: [u8; 29],
}

thread_local! {
    static CACHE: RefCell<Cache> =
        const { RefCell::new(Cache { from: UNIX_EPOCH, until: UNIX_EPOCH, text: [0; 29] }) };
}

/// Appends the current IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to `out`.
pub(crate) fn append_date(out: &mut bytes::BytesMut) {
    let now = SystemTime::now();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        // Outside the cached second either way: a clock set back is followed too.
        if now >= c.until || now < c.from {
            let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let text = httpdate::fmt_http_date(now);
            if text.len() == 29 {
                c.text.copy_from_slice(text.as_bytes());
                c.from = UNIX_EPOCH + Duration::from_secs(second);
                c.until = c.from + Duration::from_secs(1);
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

    /// A cached second the clock is outside of, ahead (the clock was set back) or behind,
    /// is replaced by the current one, and the text names the second the bounds hold.
    #[test]
    fn a_stale_cache_in_either_direction_is_replaced() {
        use std::time::Duration;
        let hour = Duration::from_secs(3600);
        for (case, from) in [("ahead", super::SystemTime::now() + hour), ("behind", super::SystemTime::now() - hour)] {
            super::CACHE.with(|c| {
                let mut c = c.borrow_mut();
                c.from = from;
                c.until = from + Duration::from_secs(1);
                c.text = *b"Thu, 01 Jan 1970 00:00:00 GMT";
            });
            let mut b = bytes::BytesMut::new();
            super::append_date(&mut b);
            let now = super::SystemTime::now();
            super::CACHE.with(|c| {
                let c = c.borrow();
                let named = httpdate::parse_http_date(std::str::from_utf8(&c.text).unwrap()).unwrap();
                assert_eq!(named, c.from, "{case}");
                assert_eq!(&b[..], &c.text[..], "{case}");
                assert_eq!(c.until.duration_since(c.from).unwrap(), Duration::from_secs(1), "{case}");
                assert!(c.from <= now && now < c.from + hour, "{case}: the current second");
            });
        }
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
