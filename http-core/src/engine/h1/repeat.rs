//! Header fields repeated from the previous head on the same HTTP/1.1 connection.
//!
//! HTTP/1.1 has no header compression (HTTP/2 has HPACK, RFC 7541), so a browser's
//! keep-alive connection carries the same `User-Agent`, `Accept-*`, `Cookie` and `Sec-*`
//! fields, byte for byte, in every request. Building each one again costs a name lookup
//! (with an allocation for every name outside the standard table) and a byte-by-byte
//! check of the value (RFC 9110 §5.5). [`RepeatedFields`] keeps owned copies of the
//! previous head's fields; a field at the same position, spelled the same (the same
//! client sends the same letter case) and with the same value bytes, is taken from there
//! instead. Anything else is parsed and checked as usual.
//!
//! Copies are made from a connection's second head on (a connection with one request
//! costs nothing extra), only for fields that changed, and within a bound of
//! [`MAX_FIELDS`] fields and [`MAX_BYTES`] name and value bytes. The copies never share the read
//! buffer, so it is reused in place as before.

use http::HeaderValue;
use http::header::{HeaderName, InvalidHeaderName};

/// The most fields remembered per connection.
pub const MAX_FIELDS: usize = 64;
/// The most name and value bytes remembered per connection.
pub const MAX_BYTES: usize = 8 * 1024;

/// One remembered field: the name as the client spelled it, and as parsed; the value.
#[derive(Debug, Clone)]
struct Seen {
    raw_name: Box<[u8]>,
    name: HeaderName,
    /// `None` until this head's value is checked (or when it did not fit the budget).
    value: Option<HeaderValue>,
}

impl Seen {
    fn bytes(&self) -> usize {
        self.raw_name.len() + self.value.as_ref().map_or(0, HeaderValue::len)
    }
}

/// The previous head's fields on one connection, by position.
///
/// ```
/// use http_core::engine::h1::RepeatedFields;
/// use http_core::HeaderValue;
/// let mut seen = RepeatedFields::default();
/// let mut checked = 0;
/// for _ in 0..3 {
///     // a head with one field, `Host: example.com`
///     let name = seen.name(0, b"Host").unwrap();
///     let (value, _repeated) = seen.value(0, &name, b"example.com", || {
///         checked += 1;
///         HeaderValue::from_bytes(b"example.com")
///     })?;
///     assert_eq!((name.as_str(), value.to_str().unwrap()), ("host", "example.com"));
///     seen.end_head(1);
/// }
/// // checked in the first two heads (the second is remembered), taken from it in the third
/// assert_eq!(checked, 2);
/// # Ok::<(), http::header::InvalidHeaderValue>(())
/// ```
#[derive(Debug, Default)]
pub struct RepeatedFields {
    prev: Vec<Option<Seen>>,
    /// Name and value bytes held in `prev`.
    bytes: usize,
    /// A head was finished since the connection started (or was released): from then on
    /// fields are remembered.
    remembering: bool,
}

impl RepeatedFields {
    /// For a connection whose first head was parsed without it: copies are made from the
    /// next head on.
    ///
    /// ```
    /// use http_core::engine::h1::RepeatedFields;
    /// let mut seen = RepeatedFields::after_first_head();
    /// let name = seen.name(0, b"Host").unwrap();
    /// let (_, repeated) = seen.value(0, &name, b"h", || http_core::HeaderValue::from_bytes(b"h")).unwrap();
    /// assert!(!repeated, "nothing to repeat yet");
    /// seen.end_head(1);
    /// assert_eq!(seen.len(), 1);
    /// ```
    pub fn after_first_head() -> Self {
        RepeatedFields { remembering: true, ..RepeatedFields::default() }
    }

    /// The name of the field at `index`, spelled `raw`: the previous head's if it was
    /// spelled the same there, else parsed (and remembered when this is not the
    /// connection's first head).
    pub fn name(&mut self, index: usize, raw: &[u8]) -> Result<HeaderName, InvalidHeaderName> {
        if let Some(Some(seen)) = self.prev.get(index)
            && *seen.raw_name == *raw
        {
            return Ok(seen.name.clone());
        }
        let name = HeaderName::from_bytes(raw)?;
        if self.remembering && index < MAX_FIELDS {
            let seen = Seen { raw_name: raw.into(), name: name.clone(), value: None };
            self.put(index, seen);
        }
        Ok(name)
    }

    /// The value of the field at `index`, named `name`, and whether it is the previous
    /// head's: that one if it had the same name and value bytes there, else `fresh()`
    /// (this head's value, parsed and checked), remembered when this is not the
    /// connection's first head.
    pub fn value<E>(
        &mut self,
        index: usize,
        name: &HeaderName,
        raw: &[u8],
        fresh: impl FnOnce() -> Result<HeaderValue, E>,
    ) -> Result<(HeaderValue, bool), E> {
        // An entry exists only from the second head on, and [`name`](Self::name) put one
        // for this head's name at `index` unless the budget was spent.
        let Some(Some(seen)) = self.prev.get_mut(index) else { return Ok((fresh()?, false)) };
        if seen.name != *name {
            return Ok((fresh()?, false));
        }
        if let Some(v) = &seen.value
            && v.as_bytes() == raw
        {
            return Ok((v.clone(), true));
        }
        let value = fresh()?;
        self.bytes -= seen.value.take().map_or(0, |old| old.len());
        if self.bytes + value.len() <= MAX_BYTES
            && let Ok(copy) = HeaderValue::from_bytes(value.as_bytes())
        {
            self.bytes += copy.len();
            seen.value = Some(copy);
        }
        Ok((value, false))
    }

    /// Puts `seen` at `index` (replacing what was there) if the byte budget allows.
    fn put(&mut self, index: usize, seen: Seen) {
        if self.prev.len() <= index {
            self.prev.resize(index + 1, None);
        }
        self.bytes -= self.prev[index].take().map_or(0, |old| old.bytes());
        if self.bytes + seen.bytes() <= MAX_BYTES {
            self.bytes += seen.bytes();
            self.prev[index] = Some(seen);
        }
    }

    /// Ends a head of `fields` fields: what the previous heads had past them is forgotten.
    pub fn end_head(&mut self, fields: usize) {
        if self.prev.len() > fields {
            let dropped: usize = self.prev.drain(fields..).flatten().map(|seen| seen.bytes()).sum();
            self.bytes -= dropped;
        }
        self.remembering = true;
    }

    /// How many fields are remembered with their value.
    pub fn len(&self) -> usize {
        self.prev.iter().flatten().filter(|seen| seen.value.is_some()).count()
    }

    /// Whether no field is remembered with its value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything (an idle connection gives its memory back); the next head counts
    /// as a connection's first.
    pub fn release(&mut self) {
        *self = RepeatedFields::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One head through `seen`: each field's name and value as `collect_fields` gets them,
    /// and whether the value came from the previous head (not from `head`'s bytes).
    fn run_head(seen: &mut RepeatedFields, fields: &[(&str, &str)]) -> Vec<(HeaderName, HeaderValue, bool)> {
        let out = fields
            .iter()
            .enumerate()
            .map(|(i, (raw_name, raw_value))| {
                let name = seen.name(i, raw_name.as_bytes()).unwrap();
                let mut parsed = false;
                let (value, repeated) = seen
                    .value(i, &name, raw_value.as_bytes(), || {
                        parsed = true;
                        HeaderValue::from_bytes(raw_value.as_bytes())
                    })
                    .unwrap();
                assert_eq!(value.as_bytes(), raw_value.as_bytes());
                assert_eq!(repeated, !parsed, "said to repeat exactly when not parsed");
                (name, value, repeated)
            })
            .collect();
        seen.end_head(fields.len());
        out
    }

    fn reused(out: &[(HeaderName, HeaderValue, bool)]) -> Vec<bool> {
        out.iter().map(|(_, _, r)| *r).collect()
    }

    /// A head's fields and which of them come from the previous head.
    type HeadCase<'a> = (&'a [(&'a str, &'a str)], &'a [bool]);

    #[test]
    fn heads_in_a_row() {
        let first = [("Host", "example.com"), ("User-Agent", "agent/1"), ("x-custom", "1")];
        let changed = [("HOST", "example.com"), ("User-Agent", "agent/2"), ("x-custom", "1")];
        let cases: &[HeadCase] = &[
            (&first, &[false, false, false]),  // first head: nothing remembered
            (&first, &[false, false, false]),  // second: remembered now
            (&first, &[true, true, true]),     // third: all repeated
            (&changed, &[false, false, true]), // spelled otherwise; another value
            (&changed, &[true, true, true]),
            (&[("x-custom", "1"), ("HOST", "example.com")], &[false, false]), // moved: by position
            (&[("x-custom", "1"), ("HOST", "example.com"), ("Accept", "*/*")], &[true, true, false]),
            (&[("x-custom", "1")], &[true]),
            (&[("x-custom", "1"), ("HOST", "example.com")], &[true, false]), // forgotten past the end
        ];
        let mut seen = RepeatedFields::default();
        for (i, (fields, want)) in cases.iter().enumerate() {
            assert_eq!(reused(&run_head(&mut seen, fields)), *want, "head {i}: {fields:?}");
        }
    }

    #[test]
    fn names_match_by_spelling_and_come_back_lowercase() {
        let mut seen = RepeatedFields::default();
        for _ in 0..2 {
            run_head(&mut seen, &[("X-Trace", "a")]);
        }
        let out = run_head(&mut seen, &[("X-Trace", "a")]);
        assert_eq!((out[0].0.as_str(), out[0].2), ("x-trace", true));
        let out = run_head(&mut seen, &[("x-TRACE", "a")]);
        assert_eq!((out[0].0.as_str(), out[0].2), ("x-trace", false), "another spelling is parsed again");
        let out = run_head(&mut seen, &[("x-TRACE", "a")]);
        assert_eq!((out[0].0.as_str(), out[0].2), ("x-trace", true));
        // the same value under another name at that position is not taken
        let out = run_head(&mut seen, &[("x-other", "a")]);
        assert_eq!((out[0].0.as_str(), out[0].2), ("x-other", false));
        assert!(seen.name(0, b"bad name").is_err());
        assert!(seen.name(1, b"").is_err());
    }

    #[test]
    fn a_bad_value_is_never_taken_from_the_previous_head() {
        let mut seen = RepeatedFields::default();
        for _ in 0..2 {
            run_head(&mut seen, &[("x-a", "ok")]);
        }
        let bad = seen.value(0, &HeaderName::from_static("x-a"), b"o\x01k", || HeaderValue::from_bytes(b"o\x01k"));
        assert!(bad.is_err());
    }

    #[test]
    fn bounded_in_fields_and_bytes() {
        let big = "v".repeat(MAX_BYTES / 2);
        let fields: Vec<(&str, &str)> = vec![("x-1", &big), ("x-2", &big), ("x-3", "small")];
        let mut seen = RepeatedFields::default();
        for _ in 0..2 {
            run_head(&mut seen, &fields);
        }
        // the second big value does not fit in the budget; the small one still does
        assert_eq!(reused(&run_head(&mut seen, &fields)), [true, false, true]);
        assert!(seen.bytes <= MAX_BYTES);
        assert_eq!(seen.bytes, 3 + big.len() + 3 + 3 + 5);

        let names: Vec<String> = (0..MAX_FIELDS + 5).map(|i| format!("x-{i:03}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
        for _ in 0..3 {
            run_head(&mut seen, &many);
        }
        assert_eq!(seen.len(), MAX_FIELDS);
        assert_eq!(seen.bytes, MAX_FIELDS * (5 + 1));
        assert_eq!(reused(&run_head(&mut seen, &many)).iter().filter(|r| **r).count(), MAX_FIELDS);
    }

    #[test]
    fn release_forgets_and_starts_over() {
        let mut seen = RepeatedFields::default();
        for _ in 0..2 {
            run_head(&mut seen, &[("Host", "h")]);
        }
        assert!(!seen.is_empty());
        seen.release();
        assert!(seen.is_empty());
        assert_eq!(reused(&run_head(&mut seen, &[("Host", "h")])), [false]);
        assert!(seen.is_empty(), "the first head after a release is not remembered");
        assert_eq!(reused(&run_head(&mut seen, &[("Host", "h")])), [false]);
        assert_eq!(reused(&run_head(&mut seen, &[("Host", "h")])), [true]);
    }
}
