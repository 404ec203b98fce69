//! The route trie: registration into points and radix trees, lookups over their
//! compiled form.
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
//! follow it (`/api/v1/users`), whose values are the points at the ends of segments.
//! Each point sits at a fixed depth, so one match visits every point at most once.
//!
//! | file | job |
//! |---|---|
//! | `radix.rs` | the radix trees as registration grows them |
//! | `flat.rs` | the compiled form: every tree in one node arena, built on first lookup |
//! | `search.rs` | the depth-first lookup with backtracking over the compiled form |
//! | `path.rs` | the request path in canonical form (percent-decoded, `//` dropped) |
//! | `captures.rs` | captured parameters as offsets |
//! | `segment_regex.rs` | route regexes, a repeated character class checked directly |

mod captures;
#[cfg(test)]
mod differential;
mod flat;
mod path;
mod radix;
mod search;
mod segment_regex;

use std::sync::{Arc, OnceLock};

use http::Method;

use crate::pattern::{MethodKey, Segment};
pub(crate) use captures::Captures;
use flat::Flat;
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
        Leaves::pick(&self.entries, method)
    }

    /// [`get`](Leaves::get) over a list of entries.
    #[inline]
    fn pick(entries: &[(MethodKey, usize)], method: &Method) -> Option<usize> {
        let mut any = None;
        let mut get = None;
        for (key, id) in entries {
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
    /// The compiled form, built by the first lookup after a change.
    flat: OnceLock<Flat>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie { points: vec![Point::default()], flat: OnceLock::new() }
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
        self.flat.take();
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

    /// Finds the route for `method` and `path`; the captures are starts in the raw path.
    /// The first lookup after a registration compiles the trie ([`flat`]).
    pub(crate) fn find<'t>(&'t self, method: &Method, path: &PathView<'_>, caps: &mut Captures) -> Lookup<'t> {
        let flat = self.flat.get_or_init(|| Flat::new(&self.points));
        search::find(flat, &self.points, method, path, caps)
    }
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
