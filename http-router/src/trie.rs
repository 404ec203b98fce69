//! The segment trie and its depth-first matcher with backtracking.
//!
//! Each node has one slot per segment kind, tried in precedence order: exact children
//! (a hash lookup once a node has many), regex children (sorted by regex text, so the
//! order never depends on registration order), the plain-parameter child, the `*` child,
//! and finally the routes ending in `**`. A branch that dead-ends — no deeper node, or a
//! node without a route for the method — hands over to the next slot. Each trie node sits
//! at a fixed depth, so one match visits every node at most once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use http::Method;
use regex::Regex;

use crate::pattern::{MAX_PARAMS, MethodKey, Segment};
use http_core::percent::percent_decode;

/// A small, fast, non-cryptographic hasher for the exact-segment maps (FxHash's mixing).
/// Keys are registered route segments, so request-chosen input can only pick a bucket,
/// not grow one.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Children for exact segments: a short list scanned linearly, plus an index once the list
/// grows past [`INDEX_AT`] entries.
#[derive(Debug, Clone, Default)]
struct ExactChildren {
    /// Kept apart from `nodes` so a linear scan reads one small, contiguous array.
    keys: Vec<Box<str>>,
    nodes: Vec<Node>,
    index: Option<FxMap<Box<str>, usize>>,
}

const INDEX_AT: usize = 8;

impl ExactChildren {
    #[inline]
    fn position(&self, seg: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(seg).copied(),
            None => self.keys.iter().position(|k| eq_short(k.as_bytes(), seg.as_bytes())),
        }
    }

    #[inline]
    fn get(&self, seg: &str) -> Option<&Node> {
        self.position(seg).map(|i| &self.nodes[i])
    }

    fn get_or_insert(&mut self, seg: &str) -> &mut Node {
        let i = match self.position(seg) {
            Some(i) => i,
            None => {
                self.keys.push(seg.into());
                self.nodes.push(Node::default());
                let i = self.keys.len() - 1;
                if let Some(index) = &mut self.index {
                    index.insert(seg.into(), i);
                } else if self.keys.len() > INDEX_AT {
                    self.index = Some(self.keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect());
                }
                i
            }
        };
        &mut self.nodes[i]
    }
}

/// Routes ending at a node, by method (indexes into the router's route table).
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

/// One trie node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    exact: ExactChildren,
    /// Sorted by regex source.
    regex: Vec<(std::sync::Arc<str>, Regex, Node)>,
    param: Option<Box<Node>>,
    star: Option<Box<Node>>,
    catch_all: Leaves,
    leaves: Leaves,
}

/// Captured parameters as byte ranges of the raw path, in pattern order. Inline: matching
/// never allocates for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Captures {
    ranges: [(u32, u32); MAX_PARAMS],
    len: usize,
}

impl Default for Captures {
    fn default() -> Self {
        Captures { ranges: [(0, 0); MAX_PARAMS], len: 0 }
    }
}

impl Captures {
    #[inline]
    fn push(&mut self, start: usize, end: usize) {
        // Patterns are limited to MAX_PARAMS captures and a match follows one pattern,
        // so this never overflows; the guard only keeps a logic error from panicking.
        if self.len < MAX_PARAMS {
            self.ranges[self.len] = (start as u32, end as u32);
            self.len += 1;
        }
    }

    #[inline]
    fn pop(&mut self) {
        self.len -= 1;
    }

    /// The ranges captured.
    pub(crate) fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges[..self.len]
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

impl Node {
    /// Inserts the route `id`, returning the id already registered for the same method
    /// at the same node, if any (a conflict the caller reports).
    pub(crate) fn insert(&mut self, segments: &[Segment], key: MethodKey, id: usize) -> Result<(), usize> {
        let mut node = self;
        for (i, seg) in segments.iter().enumerate() {
            node = match seg {
                Segment::Exact(text) => node.exact.get_or_insert(text),
                Segment::Regex { source, regex, .. } => {
                    let pos = match node.regex.binary_search_by(|(s, _, _)| (**s).cmp(&**source)) {
                        Ok(pos) => pos,
                        Err(pos) => {
                            node.regex.insert(pos, (source.clone(), regex.clone(), Node::default()));
                            pos
                        }
                    };
                    &mut node.regex[pos].2
                }
                Segment::Param(_) => node.param.get_or_insert_with(Box::default),
                Segment::Star => node.star.get_or_insert_with(Box::default),
                Segment::CatchAll => {
                    debug_assert_eq!(i + 1, segments.len(), "parser keeps `**` last");
                    return push_leaf(&mut node.catch_all, key, id);
                }
            };
        }
        push_leaf(&mut node.leaves, key, id)
    }

    /// Finds the route for `method` and `path`. `decode` says whether the path contains
    /// `%` (it has been validated then).
    pub(crate) fn find<'t>(&'t self, method: &Method, path: &str, decode: bool, caps: &mut Captures) -> Lookup<'t> {
        let mut search = Search { method, path, decode, caps, misses: Vec::new() };
        match self.find_from(&mut search, 0) {
            Some(id) => Lookup::Route(id),
            None if search.misses.is_empty() => Lookup::NotFound,
            None => Lookup::WrongMethod(search.misses),
        }
    }

    fn find_from<'t>(&'t self, s: &mut Search<'t, '_>, pos: usize) -> Option<usize> {
        let path = s.path;
        let bytes = path.as_bytes();
        let mut start = pos;
        while start < bytes.len() && bytes[start] == b'/' {
            start += 1;
        }
        if start == bytes.len() {
            return leaf(&self.leaves, s.method, &mut s.misses);
        }
        let end = memchr_slash(&bytes[start..]).map_or(bytes.len(), |i| start + i);
        let raw = &path[start..end];
        let seg: Cow<'_, str> =
            if s.decode { percent_decode(raw).unwrap_or(Cow::Borrowed(raw)) } else { Cow::Borrowed(raw) };

        if let Some(id) = self.exact.get(&seg).and_then(|child| child.find_from(s, end)) {
            return Some(id);
        }
        for (_, regex, child) in &self.regex {
            if regex.is_match(&seg) {
                s.caps.push(start, end);
                if let Some(id) = child.find_from(s, end) {
                    return Some(id);
                }
                s.caps.pop();
            }
        }
        if let Some(child) = &self.param {
            s.caps.push(start, end);
            if let Some(id) = child.find_from(s, end) {
                return Some(id);
            }
            s.caps.pop();
        }
        if let Some(id) = self.star.as_deref().and_then(|child| child.find_from(s, end)) {
            return Some(id);
        }
        if !self.catch_all.is_empty() {
            let mut stop = bytes.len();
            while bytes[stop - 1] == b'/' {
                stop -= 1;
            }
            s.caps.push(start, stop);
            if let Some(id) = leaf(&self.catch_all, s.method, &mut s.misses) {
                return Some(id);
            }
            s.caps.pop();
        }
        None
    }
}

/// The state of one lookup.
struct Search<'t, 'p> {
    method: &'p Method,
    path: &'p str,
    decode: bool,
    caps: &'p mut Captures,
    misses: Vec<&'t Leaves>,
}

/// Byte equality without a `memcmp` call: path segments are short, and the call costs
/// more than the comparison.
#[inline]
fn eq_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a, b);
    while x.len() >= 8 {
        let (xa, xr) = x.split_at(8);
        let (ya, yr) = y.split_at(8);
        if xa != ya {
            return false;
        }
        (x, y) = (xr, yr);
    }
    x.iter().zip(y).all(|(p, q)| p == q)
}

#[inline]
fn memchr_slash(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'/')
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

    fn trie(routes: &[(&str, &str)]) -> Node {
        let mut root = Node::default();
        let mut cache = RegexCache::new();
        for (id, (m, p)) in routes.iter().enumerate() {
            let key = MethodKey::parse(m, p).unwrap();
            root.insert(&parse_path(p, &mut cache).unwrap().segments, key, id).unwrap();
        }
        root
    }

    fn found(root: &Node, method: Method, path: &str) -> Option<(usize, Vec<String>)> {
        let mut caps = Captures::default();
        match root.find(&method, path, path.contains('%'), &mut caps) {
            Lookup::Route(id) => {
                Some((id, caps.ranges().iter().map(|&(s, e)| path[s as usize..e as usize].to_owned()).collect()))
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
        assert_eq!(root.insert(&p.segments, MethodKey::One(Method::GET), 9), Err(0));
        assert_eq!(root.insert(&p.segments, MethodKey::One(Method::POST), 9), Ok(()));
    }

    #[test]
    fn exact_children_index_after_many() {
        let routes: Vec<(String, String)> = (0..50).map(|i| ("GET".into(), format!("/r{i}"))).collect();
        let refs: Vec<(&str, &str)> = routes.iter().map(|(m, p)| (m.as_str(), p.as_str())).collect();
        let root = trie(&refs);
        assert!(root.exact.index.is_some());
        for i in 0..50 {
            assert_eq!(found(&root, Method::GET, &format!("/r{i}")).map(|f| f.0), Some(i));
        }
        assert!(found(&root, Method::GET, "/r50").is_none());
    }

    #[test]
    fn wrong_method_collects_every_matching_leaf() {
        let root = trie(&[("GET", "/a/b"), ("PUT", "/*/b")]);
        match root.find(&Method::POST, "/a/b", false, &mut Captures::default()) {
            Lookup::WrongMethod(leaves) => {
                let mut ms: Vec<&str> = leaves.iter().flat_map(|l| l.methods()).map(Method::as_str).collect();
                ms.sort();
                assert_eq!(ms, ["GET", "PUT"]);
            }
            other => panic!("expected WrongMethod, got {other:?}"),
        }
    }
}
