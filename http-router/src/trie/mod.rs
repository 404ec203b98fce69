//! The route trie and its depth-first matcher with backtracking.
//!
//! The trie has one *point* per reachable sequence of segment kinds — what the old
//! segment-per-node trie had as nodes — with slots tried in precedence order at each
//! segment: exact text, regex children (sorted by regex text, so the order never depends
//! on registration order), the plain-parameter child, the `*` child, and finally the
//! routes ending in `**`. A branch that dead-ends — no deeper point, or a point without a
//! route for the method — hands over to the next slot.
//!
//! Exact segments do not get a node each. A point reached through a parameter (and the
//! root) owns a byte [`radix`] tree keyed by the *whole run* of exact segments that may
//! follow it (`/api/v1/users`), whose values are the points at the ends of segments. A
//! lookup walks that tree along the canonical path ([`path`]) as far as it matches and
//! then tries, deepest first, the other slots of every point it passed: the order in which
//! the segment-per-node search would have visited them. Each point sits at a fixed depth,
//! so one match visits every point at most once.

mod captures;
#[cfg(test)]
mod differential;
mod path;
mod radix;
mod segment_regex;

use std::sync::Arc;

use http::Method;

use crate::pattern::{MethodKey, Segment};
pub(crate) use captures::Captures;
pub(crate) use path::PathView;
use radix::{NONE, Radix, push_segment_key};
use segment_regex::SegmentRegex;

/// Routes ending at a point, by method (indexes into the router's route table).
#[derive(Debug, Clone, Default)]
pub(crate) struct Leaves {
    entries: Vec<(MethodKey, usize)>,
}

impl Leaves {
    /// The route for `method`: the method's own, then GET for HEAD, then an any-method route.
    #[inline]
    pub(crate) fn get(&self, method: &Method) -> Option<usize> {
        let mut any = None;
        let mut get = None;
        for (key, id) in &self.entries {
            match key {
                MethodKey::One(m) if m == method => return Some(*id),
                MethodKey::One(m) if *m == Method::GET && *method == Method::HEAD => get = Some(*id),
                MethodKey::Any => any = Some(*id),
                MethodKey::One(_) => {}
            }
        }
        get.or(any)
    }

    /// The route registered for exactly `key`.
    pub(crate) fn get_key(&self, key: &MethodKey) -> Option<usize> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, id)| *id)
    }

    /// The concrete methods registered here.
    pub(crate) fn methods(&self) -> impl Iterator<Item = &Method> {
        self.entries.iter().filter_map(|(k, _)| match k {
            MethodKey::One(m) => Some(m),
            MethodKey::Any => None,
        })
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The slots of a point that few points use, boxed to keep [`Point`] small.
#[derive(Debug, Clone, Default)]
struct Rare {
    /// Sorted by regex source.
    regex: Vec<(Arc<str>, SegmentRegex, u32)>,
    star: Option<u32>,
    catch_all: Leaves,
}

/// One point of the trie: the routes ending here, the exact runs that may follow (empty
/// for a point reached through exact text: its runs are in its owner's tree), and the
/// other slots.
#[derive(Debug, Clone)]
struct Point {
    exact: Radix,
    leaves: Leaves,
    param: u32,
    rare: Option<Box<Rare>>,
}

impl Default for Point {
    fn default() -> Self {
        Point { exact: Radix::default(), leaves: Leaves::default(), param: NONE, rare: None }
    }
}

/// The trie: its points, the root first.
#[derive(Debug, Clone)]
pub(crate) struct Trie {
    points: Vec<Point>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie { points: vec![Point::default()] }
    }
}

/// The outcome of a lookup.
#[derive(Debug)]
pub(crate) enum Lookup<'t> {
    /// A route answers this method.
    Route(usize),
    /// The path matched routes, none for this method: their leaves.
    WrongMethod(Vec<&'t Leaves>),
    /// Nothing matched the path.
    NotFound,
}

/// The state of one lookup.
struct Search<'t, 'v, 'p> {
    method: &'v Method,
    path: &'v PathView<'p>,
    caps: &'v mut Captures,
    misses: Vec<&'t Leaves>,
}

impl Trie {
    /// A new point, returning its id.
    fn add_point(&mut self) -> u32 {
        self.points.push(Point::default());
        (self.points.len() - 1) as u32
    }

    /// The point at the end of the exact run `key` after `owner` (`owner` itself for an
    /// empty run), created if missing.
    fn resolve(&mut self, owner: u32, key: &[u8]) -> u32 {
        if key.is_empty() {
            return owner;
        }
        let slot = *self.points[owner as usize].exact.slot(key);
        if slot != NONE {
            return slot;
        }
        let id = self.add_point();
        *self.points[owner as usize].exact.slot(key) = id;
        id
    }

    /// Inserts the route `id`, returning the id already registered for the same method
    /// at the same point, if any (a conflict the caller reports).
    pub(crate) fn insert(&mut self, segments: &[Segment], key: MethodKey, id: usize) -> Result<(), usize> {
        let mut owner = 0u32;
        let mut run = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            if let Segment::Exact(text) = seg {
                push_segment_key(&mut run, text);
                continue;
            }
            let here = self.resolve(owner, &run);
            run.clear();
            let next = match seg {
                Segment::Param(_) => match self.points[here as usize].param {
                    NONE => {
                        let p = self.add_point();
                        self.points[here as usize].param = p;
                        p
                    }
                    p => p,
                },
                Segment::Star => match self.rare(here).star {
                    Some(p) => p,
                    None => {
                        let p = self.add_point();
                        self.rare(here).star = Some(p);
                        p
                    }
                },
                Segment::Regex { source, regex, .. } => {
                    let found = self.rare(here).regex.binary_search_by(|(s, _, _)| (**s).cmp(&**source));
                    match found {
                        Ok(pos) => self.rare(here).regex[pos].2,
                        Err(pos) => {
                            let p = self.add_point();
                            let matcher = SegmentRegex::new(source, regex);
                            self.rare(here).regex.insert(pos, (source.clone(), matcher, p));
                            p
                        }
                    }
                }
                Segment::CatchAll => {
                    debug_assert_eq!(i + 1, segments.len(), "parser keeps `**` last");
                    return push_leaf(&mut self.rare(here).catch_all, key, id);
                }
                Segment::Exact(_) => unreachable!("handled above"),
            };
            owner = next;
        }
        let end = self.resolve(owner, &run);
        push_leaf(&mut self.points[end as usize].leaves, key, id)
    }

    fn rare(&mut self, point: u32) -> &mut Rare {
        self.points[point as usize].rare.get_or_insert_with(Box::default)
    }

    /// Finds the route for `method` and `path`; the captures are ranges of the raw path.
    pub(crate) fn find<'t>(&'t self, method: &Method, path: &PathView<'_>, caps: &mut Captures) -> Lookup<'t> {
        let mut search = Search { method, path, caps, misses: Vec::new() };
        match self.find_at(&mut search, 0, 0) {
            Some(id) => {
                for start in caps.starts_mut() {
                    *start = path.raw_start(*start as usize);
                }
                Lookup::Route(id)
            }
            None if search.misses.is_empty() => Lookup::NotFound,
            None => Lookup::WrongMethod(search.misses),
        }
    }

    /// Matches the rest of the path from `pos` (the end of the path or a `/`) at `point`.
    fn find_at<'t>(&'t self, s: &mut Search<'t, '_, '_>, point: u32, pos: usize) -> Option<usize> {
        let p = &self.points[point as usize];
        let bytes = s.path.bytes();
        if pos == bytes.len() {
            return leaf(&p.leaves, s.method, &mut s.misses);
        }
        if let Some(id) = self.exact(s, &p.exact, pos) {
            return Some(id);
        }
        self.others(s, p, pos)
    }

    /// Walks the radix node `r` from `pos`: the deepest exact match first, then the other
    /// slots of the point that ends here, if one does at a segment end.
    fn exact<'t>(&'t self, s: &mut Search<'t, '_, '_>, r: &'t Radix, pos: usize) -> Option<usize> {
        let bytes = s.path.bytes();
        let end = pos + r.prefix.len();
        if end > bytes.len() || !radix::eq_short(&bytes[pos..end], &r.prefix) {
            return None;
        }
        if end == bytes.len() {
            return (r.value != NONE).then(|| self.find_at(s, r.value, end)).flatten();
        }
        let next = bytes[end];
        if let Some(id) = r.child(next).and_then(|child| self.exact(s, child, end)) {
            return Some(id);
        }
        if r.value != NONE && next == b'/' {
            return self.others(s, &self.points[r.value as usize], end);
        }
        None
    }

    /// The non-exact slots of `p` for the segment after `pos` (a `/`).
    fn others<'t>(&'t self, s: &mut Search<'t, '_, '_>, p: &'t Point, pos: usize) -> Option<usize> {
        let bytes = s.path.bytes();
        let start = pos + 1;
        let end = bytes[start..].iter().position(|&b| b == b'/').map_or(bytes.len(), |i| start + i);
        if let Some(rare) = p.rare.as_deref().filter(|rare| !rare.regex.is_empty()) {
            let seg = s.path.segment(start, end);
            for &(_, ref regex, child) in &rare.regex {
                if regex.is_match(&seg) {
                    s.caps.push(start);
                    if let Some(id) = self.find_at(s, child, end) {
                        return Some(id);
                    }
                    s.caps.pop();
                }
            }
        }
        if p.param != NONE {
            s.caps.push(start);
            if let Some(id) = self.find_at(s, p.param, end) {
                return Some(id);
            }
            s.caps.pop();
        }
        let rare = p.rare.as_deref()?;
        if let Some(id) = rare.star.and_then(|child| self.find_at(s, child, end)) {
            return Some(id);
        }
        if !rare.catch_all.is_empty() {
            s.caps.push(start);
            if let Some(id) = leaf(&rare.catch_all, s.method, &mut s.misses) {
                return Some(id);
            }
            s.caps.pop();
        }
        None
    }
}

#[inline]
fn leaf<'t>(leaves: &'t Leaves, method: &Method, misses: &mut Vec<&'t Leaves>) -> Option<usize> {
    if leaves.is_empty() {
        return None;
    }
    let found = leaves.get(method);
    if found.is_none() {
        misses.push(leaves);
    }
    found
}

pub(crate) fn push_leaf(leaves: &mut Leaves, key: MethodKey, id: usize) -> Result<(), usize> {
    if let Some(existing) = leaves.get_key(&key) {
        return Err(existing);
    }
    leaves.entries.push((key, id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{RegexCache, parse_path};

    /// A trie and the patterns of its routes, by id.
    struct Table {
        trie: Trie,
        patterns: Vec<String>,
    }

    fn trie(routes: &[(&str, &str)]) -> Table {
        let mut trie = Trie::default();
        let mut cache = RegexCache::new();
        for (id, (m, p)) in routes.iter().enumerate() {
            let key = MethodKey::parse(m, p).unwrap();
            trie.insert(&parse_path(p, &mut cache).unwrap().segments, key, id).unwrap();
        }
        Table { trie, patterns: routes.iter().map(|(_, p)| p.to_string()).collect() }
    }

    fn found(t: &Table, method: Method, path: &str) -> Option<(usize, Vec<String>)> {
        let mut caps = Captures::default();
        match t.trie.find(&method, &PathView::new(path).unwrap(), &mut caps) {
            Lookup::Route(id) => {
                let rest = |i: usize| i + 1 == caps.len() && t.patterns[id].ends_with("/**");
                Some((id, (0..caps.len()).map(|i| caps.get(i, path, rest(i)).to_owned()).collect()))
            }
            _ => None,
        }
    }

    #[test]
    fn precedence_and_backtracking() {
        let root = trie(&[
            ("GET", "/a/{x}/c"),
            ("GET", "/a/b/d"),
            ("GET", "/a/*/e"),
            ("GET", r"/a/{n:\d+}/c"),
            ("GET", "/a/**"),
        ]);
        type Case = (&'static str, Option<(usize, &'static [&'static str])>);
        let cases: &[Case] = &[
            ("/a/b/d", Some((1, &[]))),
            ("/a/b/c", Some((0, &["b"]))),
            ("/a/7/c", Some((3, &["7"]))),
            ("/a/b/e", Some((2, &[]))),
            ("/a/b/zz", Some((4, &["b/zz"]))),
            ("/a/b/zz/", Some((4, &["b/zz"]))),
            ("/a", None),
        ];
        for (path, want) in cases {
            let got = found(&root, Method::GET, path);
            let want = want.map(|(id, caps)| (id, caps.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
            assert_eq!(got, want, "path {path}");
        }
    }

    #[test]
    fn head_falls_back_to_get_then_any() {
        let root = trie(&[("GET", "/x"), ("*", "/x"), ("HEAD", "/y"), ("GET", "/y")]);
        assert_eq!(found(&root, Method::HEAD, "/x").map(|f| f.0), Some(0));
        assert_eq!(found(&root, Method::POST, "/x").map(|f| f.0), Some(1));
        assert_eq!(found(&root, Method::HEAD, "/y").map(|f| f.0), Some(2));
    }

    #[test]
    fn duplicate_reports_existing_id() {
        let mut root = trie(&[("GET", "/x/{a}")]);
        let p = parse_path("/x/{b}", &mut RegexCache::new()).unwrap();
        assert_eq!(root.trie.insert(&p.segments, MethodKey::One(Method::GET), 9), Err(0));
        assert_eq!(root.trie.insert(&p.segments, MethodKey::One(Method::POST), 9), Ok(()));
    }

    #[test]
    fn many_exact_children() {
        let routes: Vec<(String, String)> = (0..50).map(|i| ("GET".into(), format!("/r{i}"))).collect();
        let refs: Vec<(&str, &str)> = routes.iter().map(|(m, p)| (m.as_str(), p.as_str())).collect();
        let root = trie(&refs);
        assert_eq!(root.trie.points.len(), 51, "the root and one point per route, no point per byte");
        for i in 0..50 {
            assert_eq!(found(&root, Method::GET, &format!("/r{i}")).map(|f| f.0), Some(i));
        }
        assert!(found(&root, Method::GET, "/r50").is_none());
    }

    #[test]
    fn wrong_method_collects_every_matching_leaf() {
        let root = trie(&[("GET", "/a/b"), ("PUT", "/*/b")]);
        match root.trie.find(&Method::POST, &PathView::new("/a/b").unwrap(), &mut Captures::default()) {
            Lookup::WrongMethod(leaves) => {
                let mut ms: Vec<&str> = leaves.iter().flat_map(|l| l.methods()).map(Method::as_str).collect();
                ms.sort();
                assert_eq!(ms, ["GET", "PUT"]);
            }
            other => panic!("expected WrongMethod, got {other:?}"),
        }
    }
}
