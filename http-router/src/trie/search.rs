//! The depth-first lookup with backtracking over the compiled trie ([`Flat`]).
//!
//! At a point the lookup walks its exact tree along the canonical path ([`PathView`]) as
//! far as it matches, then tries — deepest first — the other slots of every point it
//! passed at a segment end: regex children (by regex text), the parameter child, the `*`
//! child, the routes ending in `**`. That is the order in which a segment-per-node search
//! would have visited them. A branch that dead-ends hands over to the next slot; a route
//! whose path matched but not its method is remembered for the 405 answer.

use http::Method;

use super::flat::{Flat, Hot, find_byte};
use super::radix::{NONE, eq_short};
use super::{Captures, Leaves, Lookup, PathView, Point};

/// The state of one lookup.
struct Search<'t, 'v, 'p> {
    flat: &'t Flat,
    /// The registered points, for the slots the compiled form leaves there.
    points: &'t [Point],
    method: &'v Method,
    path: &'v PathView<'p>,
    caps: &'v mut Captures,
    misses: Vec<&'t Leaves>,
}

/// Finds the route for `method` and `path`; the captures are starts in the raw path.
pub(super) fn find<'t>(
    flat: &'t Flat,
    points: &'t [Point],
    method: &Method,
    path: &PathView<'_>,
    caps: &mut Captures,
) -> Lookup<'t> {
    let mut s = Search { flat, points, method, path, caps, misses: Vec::new() };
    match s.find_at(0, 0) {
        Some(id) => {
            for start in caps.starts_mut() {
                *start = path.raw_start(*start as usize);
            }
            Lookup::Route(id)
        }
        None if s.misses.is_empty() => Lookup::NotFound,
        None => Lookup::WrongMethod(s.misses),
    }
}

impl<'t> Search<'t, '_, '_> {
    /// Matches the rest of the path from `pos` (the end of the path or a `/`) at `point`.
    fn find_at(&mut self, point: u32, pos: usize) -> Option<usize> {
        let flat = self.flat;
        let p = &flat.points[point as usize];
        if pos == self.path.bytes().len() {
            return self.leaf(point, p);
        }
        if p.exact != NONE
            && let Some(id) = self.exact(p.exact, pos)
        {
            return Some(id);
        }
        self.others(point, p, pos)
    }

    /// The route of `point` for the method; a point with routes for other methods only is
    /// remembered.
    #[inline]
    fn leaf(&mut self, point: u32, p: &Hot) -> Option<usize> {
        if !p.has_routes() {
            return None;
        }
        let found = self.flat.route(p, self.method);
        if found.is_none() {
            self.misses.push(&self.points[point as usize].leaves);
        }
        found
    }

    /// Walks the exact tree from node `node` at `pos` as far as the path matches. Where a
    /// point ends at a segment end on the way, its deeper exact text is tried first, then
    /// its other slots: the only places the walk recurses.
    fn exact(&mut self, mut node: u32, mut pos: usize) -> Option<usize> {
        let flat = self.flat;
        let bytes = self.path.bytes();
        loop {
            let (n, prefix, firsts) = flat.node(node);
            let end = pos + prefix.len();
            if end > bytes.len() || !eq_short(&bytes[pos..end], prefix) {
                return None;
            }
            if end == bytes.len() {
                return if n.value == NONE { None } else { self.find_at(n.value, end) };
            }
            let next = bytes[end];
            let child = find_byte(firsts, next);
            if n.value != NONE && next == b'/' {
                if let Some(i) = child
                    && let Some(id) = self.exact(n.child(i), end)
                {
                    return Some(id);
                }
                return self.others(n.value, &flat.points[n.value as usize], end);
            }
            node = n.child(child?);
            pos = end;
        }
    }

    /// The non-exact slots of `point` for the segment after `pos` (a `/`).
    fn others(&mut self, point: u32, p: &Hot, pos: usize) -> Option<usize> {
        if !p.rare && p.param == NONE {
            return None;
        }
        let bytes = self.path.bytes();
        let start = pos + 1;
        let end = bytes[start..].iter().position(|&b| b == b'/').map_or(bytes.len(), |i| start + i);
        if !p.rare {
            return self.capture(p.param, start, end);
        }
        let points = self.points;
        let rare = points[point as usize].rare.as_deref().expect("flagged rare");
        if !rare.regex.is_empty() {
            let seg = self.path.segment(start, end);
            for (_, regex, child) in &rare.regex {
                if regex.is_match(&seg)
                    && let Some(id) = self.capture(*child, start, end)
                {
                    return Some(id);
                }
            }
        }
        if p.param != NONE
            && let Some(id) = self.capture(p.param, start, end)
        {
            return Some(id);
        }
        if let Some(id) = rare.star.and_then(|child| self.find_at(child, end)) {
            return Some(id);
        }
        if !rare.catch_all.is_empty() {
            let found = rare.catch_all.get(self.method);
            match found {
                Some(_) => self.caps.push(start),
                None => self.misses.push(&rare.catch_all),
            }
            return found;
        }
        None
    }

    /// Captures the segment at `start` and matches the rest from `end` at `child`.
    #[inline]
    fn capture(&mut self, child: u32, start: usize, end: usize) -> Option<usize> {
        if child == NONE {
            return None;
        }
        self.caps.push(start);
        let found = self.find_at(child, end);
        if found.is_none() {
            self.caps.pop();
        }
        found
    }
}
