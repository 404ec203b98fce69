//! One cleared [`HeaderMap`] kept per thread, so that a request's field map, once its
//! handler dropped the request, carries the next response's fields without a trip through
//! the allocator.
//!
//! A serve-style exchange builds two maps: the request's (filled by the engine) and the
//! response's (filled by the handler, usually through [`IntoResponse`](crate::IntoResponse)).
//! The request is dropped inside the handler, just before the response is made; without
//! this spare each exchange would free one map (two heap blocks) and allocate another.
//! Dropping a [`Request`](crate::Request) gives its map here; [`Response::new`] and the
//! body-type responses take it. The map is cleared before it is kept (no request value
//! outlives its request), and a map grown past [`MAX_KEPT_CAPACITY`] fields is freed
//! instead, so each thread keeps at most one small map.
//!
//! [`Response::new`]: crate::Response::new

use std::cell::Cell;

use http::HeaderMap;

/// The largest map (in fields it can hold without growing) worth keeping.
pub(crate) const MAX_KEPT_CAPACITY: usize = 64;

thread_local! {
    static SPARE: Cell<Option<HeaderMap>> = const { Cell::new(None) };
}

/// The thread's spare map (empty, with room for some fields), or a new empty one.
pub(crate) fn take() -> HeaderMap {
    SPARE.try_with(Cell::take).ok().flatten().unwrap_or_default()
}

/// Keeps `map`, cleared, as the thread's spare if there is none yet and it is small;
/// otherwise drops it. A map that never allocated is not worth keeping.
pub(crate) fn give(mut map: HeaderMap) {
    let capacity = map.capacity();
    if capacity == 0 || capacity > MAX_KEPT_CAPACITY {
        return;
    }
    let _ = SPARE.try_with(|spare| {
        // The one already kept stays; `map` is then dropped, not cleared first.
        let kept = spare.take().unwrap_or_else(|| {
            map.clear();
            map
        });
        spare.set(Some(kept));
    });
}

/// Drops `map`. A map that never allocated (capacity 0: no heap block to free) is forgotten
/// instead: its drop glue costs ~60 instructions for nothing, and each exchange replaces
/// emptied maps a few times (a head taken out of a slot leaves an empty one behind).
///
/// `http` allocates a map's index table before its entries and never frees it short of
/// dropping the map, so capacity 0 means no block at all (`HeaderMap::new` "will not
/// allocate").
pub(crate) fn discard(map: HeaderMap) {
    if map.capacity() == 0 {
        std::mem::forget(map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header::CONTENT_TYPE;

    fn map_with(n: usize) -> HeaderMap {
        let mut m = HeaderMap::with_capacity(n);
        m.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        m
    }

    #[test]
    fn discarding_drops_a_map_that_holds_values() {
        use std::sync::Arc;
        // A value whose bytes are owned by an `Arc`: its strong count says whether it is alive.
        let owner = Arc::new(*b"text/plain");
        let value = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(ArcBytes(owner.clone()))).unwrap();
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, value);
        assert_eq!(Arc::strong_count(&owner), 2);
        discard(map);
        assert_eq!(Arc::strong_count(&owner), 1, "the map and its value were dropped");
        let mut cleared = map_with(4);
        cleared.clear();
        assert!(cleared.capacity() > 0, "a cleared map keeps its blocks, and is dropped too");
        discard(cleared);
        assert_eq!(HeaderMap::new().capacity(), 0, "a new map has nothing to free");
        discard(HeaderMap::new());
    }

    struct ArcBytes(std::sync::Arc<[u8; 10]>);

    impl AsRef<[u8]> for ArcBytes {
        fn as_ref(&self) -> &[u8] {
            &self.0[..]
        }
    }

    #[test]
    fn a_given_map_comes_back_cleared_and_only_once() {
        // Each test runs on its own thread: the spare starts empty.
        assert_eq!(take().capacity(), 0, "nothing given yet: a new map");
        let given = map_with(8);
        let capacity = given.capacity();
        give(given);
        let back = take();
        assert!(back.is_empty(), "no field of the old map survives");
        assert_eq!(back.capacity(), capacity);
        assert_eq!(take().capacity(), 0, "the spare was handed out");
    }

    #[test]
    fn only_small_allocated_maps_are_kept_and_the_first_one_stays() {
        // (map given, whether the next take hands it back)
        let cases: [(HeaderMap, bool); 3] =
            [(HeaderMap::new(), false), (map_with(MAX_KEPT_CAPACITY * 4), false), (map_with(4), true)];
        for (map, kept) in cases {
            let capacity = map.capacity();
            give(map);
            let back = take();
            assert_eq!(back.capacity() == capacity && capacity > 0, kept, "capacity {capacity}");
        }
        give(map_with(4));
        let first = take().capacity();
        give(map_with(4));
        let second = map_with(32);
        assert_ne!(second.capacity(), first);
        give(second);
        assert_eq!(take().capacity(), first, "a second map given while one is kept is dropped");
    }
}
