//! The `Date` header value (RFC 9110 §6.6.1): the current second, kept by a ticker thread,
//! formatted at most once per second per thread.
//!
//! Reading the wall clock costs ~30 ns on this kind of machine (a vDSO call), a few percent
//! of a pipelined request's whole cost, and a `Date` needs only the second. So, as nginx
//! keeps its time per event-loop turn and actix-web per half-second timer, the process
//! keeps the current second in an atomic: a thread named `http-date`, started with the
//! first response, stores it just after each second begins (and whatever the clock says,
//! so a clock set back or forward is followed within a second). A response reads the
//! atomic; the text is formatted when the second changes. If the thread cannot be started,
//! each response reads the clock instead.

use std::cell::RefCell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current second since the Unix epoch, as the ticker last stored it.
static SECOND: AtomicU64 = AtomicU64::new(0);
/// The ticker thread runs (else [`current_second`] reads the clock).
static TICKING: AtomicBool = AtomicBool::new(false);
static START: Once = Once::new();

/// How long after a second begins the ticker wakes to store it.
const WAKE_AFTER_BOUNDARY: Duration = Duration::from_millis(1);

/// The formatted date and the second it names (`u64::MAX`: none yet).
struct Cache {
    second: u64,
    text: [u8; 29],
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { second: u64::MAX, text: [0; 29] }) };
}

/// The wall clock's current second since the Unix epoch.
fn clock_second() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The current second since the Unix epoch: the ticker's (started by the first call), or
/// the clock's when there is no ticker.
pub(crate) fn current_second() -> u64 {
    START.call_once(start_ticker);
    if TICKING.load(Ordering::Relaxed) { SECOND.load(Ordering::Relaxed) } else { clock_second() }
}

/// How long from `since` (a time since the Unix epoch) until the next second begins.
fn to_next_second(since: Duration) -> Duration {
    Duration::from_secs(1) - Duration::from_nanos(u64::from(since.subsec_nanos()))
}

fn start_ticker() {
    SECOND.store(clock_second(), Ordering::Relaxed);
    let ticker = std::thread::Builder::new().name("http-date".into()).stack_size(64 * 1024).spawn(|| {
        loop {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            SECOND.store(since.as_secs(), Ordering::Relaxed);
            std::thread::sleep(to_next_second(since) + WAKE_AFTER_BOUNDARY);
        }
    });
    match ticker {
        Ok(_) => TICKING.store(true, Ordering::Relaxed),
        Err(e) => tracing::warn!(error = %e, "no date ticker thread; each response reads the clock"),
    }
}

/// Appends the current IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to `out`.
pub(crate) fn append_date(out: &mut bytes::BytesMut) {
    let second = current_second();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.second != second {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
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
    let second = current_second();
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
    use super::*;

    fn named_second(text: &[u8]) -> u64 {
        let t = httpdate::parse_http_date(std::str::from_utf8(text).unwrap()).unwrap();
        t.duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn formats_a_parseable_date() {
        let mut b = bytes::BytesMut::new();
        append_date(&mut b);
        let s = std::str::from_utf8(&b).unwrap();
        assert!(httpdate::parse_http_date(s).is_ok(), "{s}");
        assert!(s.ends_with(" GMT"));
    }

    /// A cached text of another second, ahead (the clock was set back) or behind, is
    /// replaced by the current second's.
    #[test]
    fn a_cached_text_of_another_second_is_replaced() {
        for (case, other) in [("ahead", current_second() + 3600), ("behind", current_second() - 3600)] {
            CACHE.with(|c| *c.borrow_mut() = Cache { second: other, text: *b"Thu, 01 Jan 1970 00:00:00 GMT" });
            let mut b = bytes::BytesMut::new();
            append_date(&mut b);
            let named = named_second(&b);
            let (now, cached) = (current_second(), CACHE.with(|c| c.borrow().second));
            assert!(named == now || named + 1 == now, "{case}: {named} vs {now}");
            assert_eq!(cached, named, "{case}: the cache holds the second it formatted");
        }
    }

    /// The ticker's second is the clock's once it has had its moment after a boundary
    /// (a busy machine may delay its wake-up: three seconds are tried).
    #[test]
    fn the_ticker_follows_the_clock() {
        current_second();
        assert!(TICKING.load(Ordering::Relaxed), "the ticker thread runs");
        for _ in 0..3 {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            std::thread::sleep(to_next_second(since) + Duration::from_millis(200));
            let (ticker, clock) = (current_second(), clock_second());
            if ticker == clock {
                return;
            }
        }
        panic!("the ticker's second differed from the clock's in three seconds in a row");
    }

    #[test]
    fn header_value_is_the_formatted_date() {
        // Within one second the header value and the formatted date are the same bytes, of
        // that second, and repeated calls share one buffer. If the second changes during
        // an attempt, try again.
        for _ in 0..3 {
            let second = current_second();
            let v = date_value();
            let mut b = bytes::BytesMut::new();
            append_date(&mut b);
            let again = date_value();
            if current_second() != second {
                continue;
            }
            assert_eq!(v.as_bytes(), &b[..]);
            assert_eq!(named_second(v.as_bytes()), second);
            assert_eq!(v.as_bytes().as_ptr(), again.as_bytes().as_ptr(), "made once, then shared");
            assert_eq!(again.len(), 29);
            return;
        }
        panic!("the second changed during every attempt");
    }
}
