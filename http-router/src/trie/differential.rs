//! The trie against a brute-force reference on random route tables and paths: the
//! reference checks every route segment by segment and orders the matching ones by their
//! kinds (exact < regex by source < `{param}` < `*` < `**`, position by position), which
//! is the precedence the trie's depth-first search must reproduce.

use std::borrow::Cow;

use http::Method;
use http_core::percent::percent_decode;

use super::{Captures, Lookup, PathView, Trie};
use crate::pattern::{MethodKey, RegexCache, Segment, parse_path};

/// A deterministic xorshift generator: the same tables on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// The precedence rank of a segment kind at one position.
fn rank(seg: &Segment) -> (u8, String) {
    match seg {
        Segment::Exact(_) => (0, String::new()),
        Segment::Regex { source, .. } => (1, source.to_string()),
        Segment::Param(_) => (2, String::new()),
        Segment::Star => (3, String::new()),
        Segment::CatchAll => (4, String::new()),
    }
}

/// The raw captures of `route` on the raw segments `segs` (text, start, end), if it matches.
fn captures(route: &[Segment], segs: &[(Cow<'_, str>, usize, usize)], raw: &str) -> Option<Vec<String>> {
    let mut caps = Vec::new();
    for (i, seg) in route.iter().enumerate() {
        if let Segment::CatchAll = seg {
            let (_, start, _) = segs.get(i)?;
            let end = segs.last()?.2;
            caps.push(raw[*start..end].to_owned());
            return Some(caps);
        }
        let (text, start, end) = segs.get(i)?;
        match seg {
            Segment::Exact(t) if t == text => {}
            Segment::Regex { regex, .. } if regex.is_match(text) => caps.push(raw[*start..*end].to_owned()),
            Segment::Param(_) => caps.push(raw[*start..*end].to_owned()),
            Segment::Star => {}
            _ => return None,
        }
    }
    (route.len() == segs.len()).then_some(caps)
}

/// The reference answer: `Ok((id, captures))`, or `Err(methods)` of the routes whose path
/// matched (empty for not found).
type Answer = Result<(usize, Vec<String>), Vec<String>>;

fn reference(routes: &[(MethodKey, Vec<Segment>)], method: &Method, raw: &str) -> Answer {
    let mut segs = Vec::new();
    let mut start = 0;
    for part in raw.split('/') {
        if !part.is_empty() {
            segs.push((percent_decode(part).expect("valid paths only"), start, start + part.len()));
        }
        start += part.len() + 1;
    }
    // (precedence key, route id, captures) of every route that matches the path
    type Candidate = (Vec<(u8, String)>, usize, Vec<String>);
    let mut matching: Vec<Candidate> = routes
        .iter()
        .enumerate()
        .filter_map(|(id, (_, route))| Some((route.iter().map(rank).collect(), id, captures(route, &segs, raw)?)))
        .collect();
    matching.sort_by(|a, b| a.0.cmp(&b.0));
    let mut methods = Vec::new();
    for group in matching.chunk_by(|a, b| a.0 == b.0) {
        let key_of = |want: &MethodKey| group.iter().find(|(_, id, _)| routes[*id].0 == *want);
        let hit = key_of(&MethodKey::One(method.clone()))
            .or_else(|| (*method == Method::HEAD).then(|| key_of(&MethodKey::One(Method::GET))).flatten())
            .or_else(|| key_of(&MethodKey::Any));
        if let Some((_, id, caps)) = hit {
            return Ok((*id, caps.clone()));
        }
        methods.extend(group.iter().map(|(_, id, _)| routes[*id].0.as_str().to_owned()));
    }
    methods.sort();
    Err(methods)
}

fn trie_answer(trie: &Trie, routes: &[(MethodKey, Vec<Segment>)], method: &Method, raw: &str) -> Answer {
    let view = PathView::new(raw).expect("valid paths only");
    let mut caps = Captures::default();
    match trie.find(method, &view, &mut caps) {
        Lookup::Route(id) => {
            let rest = |i: usize| i + 1 == caps.len() && matches!(routes[id].1.last(), Some(Segment::CatchAll));
            Ok((id, (0..caps.len()).map(|i| caps.get(i, raw, rest(i)).to_owned()).collect()))
        }
        Lookup::NotFound => Err(Vec::new()),
        Lookup::WrongMethod(leaves) => {
            let mut methods: Vec<String> =
                leaves.iter().flat_map(|l| l.entries.iter().map(|(k, _)| k.as_str().to_owned())).collect();
            methods.sort();
            Err(methods)
        }
    }
}

#[test]
fn trie_agrees_with_brute_force() {
    // `#` becomes the segment's position, so no pattern repeats a parameter name
    let route_segs = ["a", "b", "ab", "a%2Fb", "{p#}", r"{n#:\d+}", "{ab#:[ab]+}", "{b#:b}", "*"];
    let path_segs = ["a", "b", "ab", "1", "12", "a%2Fb", "%61", "", "ba"];
    let methods = ["GET", "POST", "*"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    for _table in 0..300 {
        let mut trie = Trie::default();
        let mut routes = Vec::new();
        let mut cache = RegexCache::new();
        for _ in 0..rng.below(12) + 1 {
            let len = rng.below(4);
            let mut pattern: String =
                (0..len).map(|i| format!("/{}", rng.pick(&route_segs).replace('#', &i.to_string()))).collect();
            if rng.below(4) == 0 {
                pattern.push_str("/**");
            }
            if pattern.is_empty() {
                pattern.push('/');
            }
            let parsed = parse_path(&pattern, &mut cache).expect("valid pattern");
            let key = MethodKey::parse(rng.pick(&methods), &pattern).expect("valid method");
            if trie.insert(&parsed.segments, key.clone(), routes.len()).is_ok() {
                routes.push((key, parsed.segments));
            }
        }
        for _ in 0..40 {
            let mut path: String = (0..rng.below(5)).map(|_| format!("/{}", rng.pick(&path_segs))).collect();
            if rng.below(3) == 0 {
                path.push('/');
            }
            for method in [Method::GET, Method::HEAD, Method::POST, Method::PUT] {
                let want = reference(&routes, &method, &path);
                let got = trie_answer(&trie, &routes, &method, &path);
                let shown: Vec<String> = routes.iter().map(|(k, s)| format!("{} {s:?}", k.as_str())).collect();
                assert_eq!(got, want, "{method} {path:?} on {shown:#?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 40_000);
}
