//! The trie compiled for lookups: every point's [`Radix`] tree flattened into one arena.
//!
//! Registration grows the pointer-linked [`Radix`] trees (easy to split and extend); the
//! first lookup after a change compiles them all into one [`Flat`] form, where
//!
//! - a node is 16 bytes in one `Vec` (four to a cache line), its children consecutive,
//!   so a child is `first_child + i` — no pointer to follow and no per-node allocation;
//! - a node's prefix and its children's first bytes sit together in one byte pool, in
//!   depth-first order, so a walk down a branch reads bytes that lie side by side;
//! - a point's hot fields (its tree's root, its parameter child, its routes by method)
//!   are one small record, its routes in one shared pool.
//!
//! A 1,000-route table compiles to a few tens of kilobytes, within the first-level cache.

use crate::pattern::MethodKey;

use super::path::eq_mask;
use super::radix::{NONE, Radix};
use super::{Leaves, Point};

/// One radix node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    /// Where the prefix starts in [`Flat::bytes`]; the children's first bytes follow it.
    bytes: u32,
    prefix_len: u16,
    children: u16,
    /// The index of the first child; the others follow it.
    first_child: u32,
    /// The point at the key ending here, or [`NONE`].
    pub(super) value: u32,
}

/// The fields of a point that every lookup reads.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hot {
    /// The root node of the point's exact tree, or [`NONE`].
    pub(super) exact: u32,
    /// The point behind a plain parameter, or [`NONE`].
    pub(super) param: u32,
    /// The point's routes: `routes[leaves..leaves + n_leaves]`.
    leaves: u32,
    n_leaves: u16,
    /// Whether the point has regex, `*` or `**` slots (kept in the [`Point`]).
    pub(super) rare: bool,
}

/// The compiled trie.
#[derive(Debug, Clone, Default)]
pub(super) struct Flat {
    nodes: Vec<Node>,
    bytes: Vec<u8>,
    pub(super) points: Vec<Hot>,
    routes: Vec<(MethodKey, usize)>,
}

impl Flat {
    /// Compiles the points (ids kept).
    pub(super) fn new(points: &[Point]) -> Flat {
        let mut flat = Flat { points: Vec::with_capacity(points.len()), ..Flat::default() };
        for p in points {
            let exact = if p.exact.is_empty() { NONE } else { flat.add_tree(&p.exact) };
            let leaves = flat.routes.len() as u32;
            flat.routes.extend_from_slice(&p.leaves.entries);
            let n_leaves = u16::try_from(p.leaves.entries.len()).expect("one route per method");
            flat.points.push(Hot { exact, param: p.param, leaves, n_leaves, rare: p.rare.is_some() });
        }
        // [`find_byte`] reads the first bytes a word at a time.
        flat.bytes.extend_from_slice(&[0; 8]);
        flat
    }

    fn add_tree(&mut self, root: &Radix) -> u32 {
        let id = self.nodes.len();
        self.nodes.push(Node { bytes: 0, prefix_len: 0, children: 0, first_child: 0, value: NONE });
        self.fill(id, root);
        id as u32
    }

    /// Writes `r` into the reserved slot `id`, then its children, depth first.
    fn fill(&mut self, id: usize, r: &Radix) {
        let bytes = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&r.prefix);
        self.bytes.extend_from_slice(&r.firsts);
        let first_child = self.nodes.len();
        let placeholder = self.nodes[id];
        self.nodes.extend(std::iter::repeat_n(placeholder, r.children.len()));
        self.nodes[id] = Node {
            bytes,
            prefix_len: u16::try_from(r.prefix.len()).expect("route text under 64 KiB"),
            children: r.children.len() as u16,
            first_child: first_child as u32,
            value: r.value,
        };
        for (i, child) in r.children.iter().enumerate() {
            self.fill(first_child + i, child);
        }
    }

    /// Node `id`: itself, its prefix and its children's first bytes, with at least 8
    /// readable bytes after them (for [`find_byte`]).
    #[inline]
    pub(super) fn node(&self, id: u32) -> (&Node, &[u8], Firsts<'_>) {
        let n = &self.nodes[id as usize];
        let start = n.bytes as usize;
        let mid = start + usize::from(n.prefix_len);
        (n, &self.bytes[start..mid], Firsts { bytes: &self.bytes[mid..], len: usize::from(n.children) })
    }

    /// The route of point `point` for `method`, with [`Leaves::get`]'s fallbacks.
    #[inline]
    pub(super) fn route(&self, point: &Hot, method: &http::Method) -> Option<usize> {
        let start = point.leaves as usize;
        Leaves::pick(&self.routes[start..start + usize::from(point.n_leaves)], method)
    }
}

/// A node's children's first bytes, followed by at least 8 more bytes of the pool.
#[derive(Debug, Clone, Copy)]
pub(super) struct Firsts<'f> {
    bytes: &'f [u8],
    len: usize,
}

impl Firsts<'_> {
    /// The first bytes alone.
    #[cfg(test)]
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The index of the child whose first byte is `byte`. Up to eight children are compared
/// at once, without a branch per child; more (digits, letters) are scanned on.
#[inline]
pub(super) fn find_byte(firsts: Firsts<'_>, byte: u8) -> Option<usize> {
    let word = u64::from_le_bytes(firsts.bytes[..8].try_into().expect("padded pool"));
    let live = if firsts.len >= 8 { u64::MAX } else { (1u64 << (8 * firsts.len)) - 1 };
    let hit = eq_mask(word, byte) & live;
    if hit != 0 {
        return Some(hit.trailing_zeros() as usize / 8);
    }
    if firsts.len <= 8 {
        return None;
    }
    firsts.bytes[8..firsts.len].iter().position(|&b| b == byte).map(|i| i + 8)
}

impl Node {
    /// The child at `i` of the first bytes `node` returned.
    #[inline]
    pub(super) fn child(&self, i: usize) -> u32 {
        self.first_child + i as u32
    }
}

impl Hot {
    /// Whether routes end at this point.
    #[inline]
    pub(super) fn has_routes(&self) -> bool {
        self.n_leaves != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `key` walked in the compiled tree rooted at `root`.
    fn get(f: &Flat, root: u32, key: &[u8]) -> Option<u32> {
        let (n, prefix, firsts) = f.node(root);
        let rest = key.strip_prefix(prefix)?;
        match rest.first() {
            None => Some(n.value).filter(|&v| v != NONE),
            Some(&b) => get(f, n.child(find_byte(firsts, b)?), rest),
        }
    }

    #[test]
    fn compiled_tree_answers_as_the_radix() {
        let keys = ["/api/v1/a", "/api/v1/ab", "/api", "/static/x", "/s", "/api/v2", "/b"];
        let mut point = Point::default();
        for (i, k) in keys.iter().enumerate() {
            *point.exact.slot(k.as_bytes()) = i as u32;
        }
        let f = Flat::new(&[Point::default(), point.clone()]);
        assert_eq!(f.points[0].exact, NONE, "an empty tree compiles to nothing");
        let root = f.points[1].exact;
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(get(&f, root, k.as_bytes()), Some(i as u32), "{k}");
            assert_eq!(point.exact.get(k.as_bytes()), Some(i as u32), "{k}");
        }
        for miss in ["/", "/ap", "/api/", "/api/v1", "/api/v1/abc", "/st", "/c", ""] {
            assert_eq!(get(&f, root, miss.as_bytes()), None, "{miss}");
        }
        let (n, _, firsts) = f.node(root);
        for (i, &first) in firsts.as_slice().iter().enumerate() {
            let (_, prefix, _) = f.node(n.child(i));
            assert_eq!(prefix[0], first, "children in the order of their first bytes");
        }
    }

    #[test]
    fn find_byte_agrees_with_a_scan() {
        // every count of children up to 20, each byte looked up, and bytes after the
        // children (the pool goes on) never found
        for len in 0..=20usize {
            let mut pool: Vec<u8> = (0..len as u8).map(|i| b'a' + i).collect();
            pool.extend_from_slice(b"zzzzzzzz\0");
            let firsts = Firsts { bytes: &pool, len };
            for byte in [b'a', b'h', b'i', b'p', b't', b'z', 0, 0xFF] {
                let want = pool[..len].iter().position(|&b| b == byte);
                assert_eq!(find_byte(firsts, byte), want, "{len} {byte}");
            }
        }
    }
}
