//! Per-route counters without locks: a fixed open-addressing table keyed by the address
//! of the route pattern's `Arc<str>` (one allocation per registered route, which the
//! table keeps alive, so an address never names two patterns). A request finds its slot
//! with a multiply, a shift and usually one compare, then counts with atomic adds; a new
//! route claims a slot with one compare-and-swap. Each slot holds the route's latency
//! histogram and a small table of its status codes.

use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Slots for routes; requests of routes beyond them count under [`OVERFLOW_ROUTE`].
pub(crate) const ROUTES: usize = 256;
/// Distinct status codes kept per route; others count under status `0` ("other").
pub(crate) const STATUSES: usize = 8;
/// Upper bounds of the latency buckets, in microseconds (0.5 ms to 10 s).
pub(crate) const BUCKETS_US: [u64; 14] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
    10_000_000,
];
/// The label of requests that no route matched (or served without a router).
pub(crate) const NO_ROUTE: &str = "";
/// The label of requests whose route found no free slot.
pub(crate) const OVERFLOW_ROUTE: &str = "(other)";

/// One route's counters.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// The pattern's address (0: free).
    key: AtomicUsize,
    /// The pattern, set right after `key` is claimed (a scrape skips the slot until then).
    pub(crate) route: OnceLock<Arc<str>>,
    /// (status, count) pairs; status 0 marks a free pair, then "other".
    statuses: [(AtomicU16, AtomicU64); STATUSES],
    other_status: AtomicU64,
    /// Each request adds to the one bucket it falls in (the last one: beyond every
    /// bound); the encoder makes them cumulative.
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Slot {
    fn record(&self, status: u16, elapsed: Duration) {
        self.count_status(status);
        // u64 arithmetic (`as_micros` is u128); saturates after 584,000 years.
        let us = elapsed.as_secs().saturating_mul(1_000_000).saturating_add(u64::from(elapsed.subsec_micros()));
        let bucket = BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(BUCKETS_US.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn count_status(&self, status: u16) {
        for (code, count) in &self.statuses {
            let c = code.load(Ordering::Acquire);
            if c == status {
                count.fetch_add(1, Ordering::Relaxed);
                return;
            }
            if c == 0 {
                match code.compare_exchange(0, status, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Err(now) if now == status => {
                        count.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Err(_) => {}
                }
            }
        }
        self.other_status.fetch_add(1, Ordering::Relaxed);
    }

    /// (status, count) for each status seen; status 0 for "other".
    pub(crate) fn statuses(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        let known = self.statuses.iter().map(|(c, n)| (c.load(Ordering::Acquire), n.load(Ordering::Relaxed)));
        known.filter(|(c, _)| *c != 0).chain(std::iter::once((0, self.other_status.load(Ordering::Relaxed))))
    }

    /// (sum in seconds, count, (upper bound in seconds, count in that bucket alone) per
    /// bucket).
    pub(crate) fn histogram(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let mut total = 0;
        let mut buckets = Vec::with_capacity(BUCKETS_US.len() + 1);
        for (i, b) in self.buckets.iter().enumerate() {
            let n = b.load(Ordering::Relaxed);
            total += n;
            let bound = BUCKETS_US.get(i).map_or(f64::INFINITY, |&us| us as f64 / 1e6);
            buckets.push((bound, n));
        }
        (self.sum_us.load(Ordering::Relaxed) as f64 / 1e6, total, buckets)
    }
}

/// The table: slot 0 for requests without a route, slot 1 for the overflow, the rest
/// hashed by pattern address.
#[derive(Debug)]
pub(crate) struct RouteTable {
    slots: Box<[Slot]>,
}

impl Default for RouteTable {
    fn default() -> Self {
        let slots: Box<[Slot]> = (0..ROUTES + 2).map(|_| Slot::default()).collect();
        let _ = slots[0].route.set(Arc::from(NO_ROUTE));
        let _ = slots[1].route.set(Arc::from(OVERFLOW_ROUTE));
        RouteTable { slots }
    }
}

impl RouteTable {
    pub(crate) fn record(&self, route: Option<&Arc<str>>, status: u16, elapsed: Duration) {
        self.slot(route).record(status, elapsed);
    }

    fn slot(&self, route: Option<&Arc<str>>) -> &Slot {
        let Some(route) = route else { return &self.slots[0] };
        let key = Arc::as_ptr(route) as *const u8 as usize;
        // Fibonacci hashing of the address (its low bits are alignment).
        let start = (key >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (usize::BITS - 8);
        let table = &self.slots[2..];
        for i in 0..ROUTES {
            let slot = &table[(start + i) % ROUTES];
            let k = slot.key.load(Ordering::Acquire);
            if k == key {
                return slot;
            }
            if k == 0 {
                match slot.key.compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        let _ = slot.route.set(route.clone());
                        return slot;
                    }
                    Err(now) if now == key => return slot,
                    Err(_) => {}
                }
            }
        }
        &self.slots[1]
    }

    /// The slots in use, with their route.
    pub(crate) fn used(&self) -> impl Iterator<Item = (&str, &Slot)> {
        self.slots.iter().filter_map(|s| {
            let route = s.route.get()?;
            let used = s.buckets.iter().any(|b| b.load(Ordering::Relaxed) > 0);
            used.then_some((&**route, s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_statuses_are_counted_apart() {
        let t = RouteTable::default();
        let users: Arc<str> = Arc::from("/users/{id}");
        let same_text: Arc<str> = Arc::from("/users/{id}");
        let ms = Duration::from_millis(1);
        t.record(Some(&users), 200, ms);
        t.record(Some(&users), 200, ms);
        t.record(Some(&users), 404, ms);
        t.record(None, 404, Duration::from_secs(20));
        // Another allocation of the same text: a second slot, merged at scrape time.
        t.record(Some(&same_text), 200, ms);
        let used: Vec<(&str, Vec<(u16, u64)>)> =
            t.used().map(|(r, s)| (r, s.statuses().filter(|(_, n)| *n > 0).collect())).collect();
        assert!(used.contains(&("", vec![(404, 1)])), "{used:?}");
        assert!(used.contains(&("/users/{id}", vec![(200, 2), (404, 1)])), "{used:?}");
        assert!(used.contains(&("/users/{id}", vec![(200, 1)])), "{used:?}");
    }

    #[test]
    fn histogram_buckets_table() {
        let t = RouteTable::default();
        // (elapsed, the first bucket bound that holds it)
        let rows = [
            (Duration::from_micros(100), 0.0005),
            (Duration::from_millis(3), 0.005),
            (Duration::from_secs(60), f64::INFINITY),
        ];
        for (elapsed, _) in rows {
            t.record(None, 200, elapsed);
        }
        let (_, slot) = t.used().next().unwrap();
        let (sum, count, buckets) = slot.histogram();
        assert_eq!(count, 3);
        assert!((sum - 60.0031).abs() < 1e-9, "{sum}");
        for (elapsed, bound) in rows {
            let at = buckets.iter().find(|(b, _)| *b == bound).unwrap().1;
            assert_eq!(at, 1, "{elapsed:?} counted in the {bound} bucket");
        }
        assert_eq!(buckets.iter().map(|b| b.1).sum::<u64>(), 3, "each request in one bucket");
    }

    #[test]
    fn statuses_past_the_table_count_as_other() {
        let t = RouteTable::default();
        for status in 200..200 + STATUSES as u16 + 3 {
            t.record(None, status, Duration::ZERO);
        }
        let (_, slot) = t.used().next().unwrap();
        let seen: Vec<(u16, u64)> = slot.statuses().collect();
        assert_eq!(seen.len(), STATUSES + 1);
        assert_eq!(seen.last(), Some(&(0, 3)), "three codes past the table");
    }

    #[test]
    fn routes_past_the_table_count_as_overflow() {
        let t = RouteTable::default();
        let routes: Vec<Arc<str>> = (0..ROUTES + 5).map(|i| Arc::from(format!("/r{i}"))).collect();
        for r in &routes {
            t.record(Some(r), 200, Duration::ZERO);
        }
        let overflow = t.used().find(|(r, _)| *r == OVERFLOW_ROUTE).expect("an overflow slot");
        assert_eq!(overflow.1.histogram().1, 5);
        assert_eq!(t.used().count(), ROUTES + 1);
    }
}
