//! The `Range` request field (RFC 9110 §14): parsing byte ranges and resolving them against
//! a representation's size.
//!
//! * `bytes=first-last`, `bytes=first-` and `bytes=-suffix` are understood; the unit is
//!   case-insensitive and spaces around commas are allowed.
//! * A malformed field (another unit, a non-number, `last < first`, no ranges) is ignored:
//!   the full representation is sent (RFC 9110 §14.2). nginx answers 416 to some of these.
//! * A field whose every range starts at or past the end (or is `-0`) is unsatisfiable: 416
//!   with `Content-Range: bytes */SIZE`.
//! * An empty representation ignores Range (200 with an empty body), as nginx does.
//! * Several ranges are sorted, and overlapping or adjacent ones are coalesced; if one is
//!   left it is sent as a plain 206, otherwise as `multipart/byteranges`.
//! * More than [`MAX_RANGES`] ranges in one field: the field is ignored (200 full), so a
//!   client cannot make the server build thousands of tiny parts.

/// The most ranges one `Range` field may list; past this the field is ignored (200 full).
///
/// Crate-private: outside the crate only through `__fuzz` (feature `fuzz-api`).
#[cfg_attr(not(feature = "fuzz-api"), allow(unreachable_pub))]
pub const MAX_RANGES: usize = 16;

/// One satisfiable byte range, resolved against a size: `start..=end`, both inclusive.
///
/// ```
/// use http_server::files::ByteRange;
/// let r = ByteRange { start: 0, end: 4 };
/// assert_eq!(r.len(), 5);
/// assert_eq!(r.content_range(100), "bytes 0-4/100");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte offset.
    pub start: u64,
    /// Last byte offset (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes in the range.
    ///
    /// ```
    /// use http_server::files::ByteRange;
    /// assert_eq!(ByteRange { start: 10, end: 10 }.len(), 1);
    /// assert_eq!(ByteRange { start: 0, end: 99 }.len(), 100);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// The `Content-Range` value for this range of a representation of `size` bytes.
    ///
    /// ```
    /// use http_server::files::ByteRange;
    /// assert_eq!(ByteRange { start: 90, end: 99 }.content_range(100), "bytes 90-99/100");
    /// ```
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.start, self.end)
    }
}

/// One range as written in the field, before the size is known.
///
/// Crate-private: outside the crate only through `__fuzz`/`__bench` (features `fuzz-api`,
/// `bench-api`).
#[cfg_attr(not(any(feature = "fuzz-api", feature = "bench-api")), allow(unreachable_pub))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `first-last`.
    FromTo(u64, u64),
    /// `first-`.
    From(u64),
    /// `-suffix`: the last `suffix` bytes.
    Suffix(u64),
}

/// What a `Range` field asks for, resolved against a size.
///
/// ```
/// use http_server::files::{ByteRange, RangeOutcome, resolve_range};
/// assert_eq!(resolve_range("bytes=0-1,2-3", 10), RangeOutcome::Partial(vec![ByteRange { start: 0, end: 3 }]), "adjacent ranges coalesce");
/// assert_eq!(resolve_range("bytes=0-1,5-6", 10).clone(), RangeOutcome::Partial(vec![ByteRange { start: 0, end: 1 }, ByteRange { start: 5, end: 6 }]));
/// assert_eq!(resolve_range("bytes=0-1", 0), RangeOutcome::Full, "empty representation");
/// assert_eq!(resolve_range("bytes=-0", 10), RangeOutcome::Unsatisfiable);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Send the full representation (no field, a malformed one, too many ranges, or an
    /// empty representation).
    Full,
    /// Send these ranges: sorted, non-overlapping, non-adjacent, never empty.
    Partial(Vec<ByteRange>),
    /// Answer 416 Range Not Satisfiable.
    Unsatisfiable,
}

/// Parses the ranges of a `Range` field; `None` when it is malformed or lists more than
/// [`MAX_RANGES`] ranges.
///
/// Crate-private: outside the crate only through `__fuzz`/`__bench` (features `fuzz-api`,
/// `bench-api`).
#[cfg_attr(not(any(feature = "fuzz-api", feature = "bench-api")), allow(unreachable_pub))]
pub fn parse_range_specs(value: &str) -> Option<Vec<RangeSpec>> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for part in set.split(',') {
        let part = part.trim_matches([' ', '\t']);
        if part.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        let (first, last) = part.split_once('-')?;
        let spec = match (first, last) {
            ("", suffix) => RangeSpec::Suffix(number(suffix)?),
            (first, "") => RangeSpec::From(number(first)?),
            (first, last) => {
                let (first, last) = (number(first)?, number(last)?);
                if last < first {
                    return None;
                }
                RangeSpec::FromTo(first, last)
            }
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

/// Digits only; saturates at `u64::MAX` (a huge first-pos is simply unsatisfiable).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

/// Resolves a `Range` field against a representation of `size` bytes.
///
/// ```
/// use http_server::files::{ByteRange, RangeOutcome, resolve_range};
/// assert_eq!(resolve_range("bytes=-3", 10), RangeOutcome::Partial(vec![ByteRange { start: 7, end: 9 }]));
/// assert_eq!(resolve_range("bytes=10-", 10), RangeOutcome::Unsatisfiable);
/// assert_eq!(resolve_range("bytes=x", 10), RangeOutcome::Full);
/// ```
pub fn resolve_range(value: &str, size: u64) -> RangeOutcome {
    let Some(specs) = parse_range_specs(value) else { return RangeOutcome::Full };
    if size == 0 {
        return RangeOutcome::Full;
    }
    let mut ranges: Vec<ByteRange> = specs
        .into_iter()
        .filter_map(|spec| match spec {
            RangeSpec::FromTo(a, b) if a < size => Some(ByteRange { start: a, end: b.min(size - 1) }),
            RangeSpec::From(a) if a < size => Some(ByteRange { start: a, end: size - 1 }),
            RangeSpec::Suffix(n) if n > 0 => Some(ByteRange { start: size.saturating_sub(n), end: size - 1 }),
            _ => None,
        })
        .collect();
    if ranges.is_empty() {
        return RangeOutcome::Unsatisfiable;
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(1) => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    RangeOutcome::Partial(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn br(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn resolve_table() {
        use RangeOutcome::*;
        let rows: Vec<(&str, u64, RangeOutcome)> = vec![
            ("bytes=0-4", 10, Partial(vec![br(0, 4)])),
            ("bytes=0-0", 10, Partial(vec![br(0, 0)])),
            ("bytes=5-", 10, Partial(vec![br(5, 9)])),
            ("bytes=-3", 10, Partial(vec![br(7, 9)])),
            ("bytes=-30", 10, Partial(vec![br(0, 9)])),
            ("bytes=4-100", 10, Partial(vec![br(4, 9)])),
            ("BYTES=1-2", 10, Partial(vec![br(1, 2)])),
            ("bytes=9-9", 10, Partial(vec![br(9, 9)])),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=0-99999999999999999999999", 10, Partial(vec![br(0, 9)])),
            ("bytes=0-4", 0, Full),
            ("bytes=abc", 10, Full),
            ("bytes=5-3", 10, Full),
            ("bytes=", 10, Full),
            ("bytes=-", 10, Full),
            ("bytes=1-2-3", 10, Full),
            ("bytes=+1-2", 10, Full),
            ("items=0-4", 10, Full),
            ("0-4", 10, Full),
            ("bytes=0-1,3-4", 10, Partial(vec![br(0, 1), br(3, 4)])),
            ("bytes=3-4, 0-1", 10, Partial(vec![br(0, 1), br(3, 4)])),
            ("bytes=0-5,3-8", 10, Partial(vec![br(0, 8)])),
            ("bytes=0-1,2-3", 10, Partial(vec![br(0, 3)])),
            ("bytes=0-1,,5-6", 10, Partial(vec![br(0, 1), br(5, 6)])),
            ("bytes=0-1,20-30", 10, Partial(vec![br(0, 1)])),
            ("bytes=-2,0-0", 10, Partial(vec![br(0, 0), br(8, 9)])),
            ("bytes=0-1,x", 10, Full),
        ];
        for (value, size, want) in rows {
            assert_eq!(resolve_range(value, size), want, "{value} of {size}");
        }
    }

    #[test]
    fn too_many_ranges_are_ignored() {
        let list: Vec<String> = (0..=MAX_RANGES).map(|i| format!("{}-{}", i * 2, i * 2)).collect();
        assert_eq!(resolve_range(&format!("bytes={}", list.join(",")), 1000), RangeOutcome::Full);
        let list = &list[..MAX_RANGES];
        let RangeOutcome::Partial(r) = resolve_range(&format!("bytes={}", list.join(",")), 1000) else {
            panic!("the cap itself is allowed")
        };
        assert_eq!(r.len(), MAX_RANGES);
    }

    #[test]
    fn parse_specs_table() {
        use RangeSpec::*;
        let rows: [(&str, Option<Vec<RangeSpec>>); 4] = [
            ("bytes=0-9,100-,-5", Some(vec![FromTo(0, 9), From(100), Suffix(5)])),
            ("bytes=0-4, -3", Some(vec![FromTo(0, 4), Suffix(3)])),
            ("bytes=5-3", None),
            ("pages=1-2", None),
        ];
        for (value, want) in rows {
            assert_eq!(parse_range_specs(value), want, "{value}");
        }
    }
}
