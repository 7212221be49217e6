//! Source positions of every node of a loaded document, addressable by path.
//!
//! Stored flat: one `Node` per mapping or sequence, its children as a
//! contiguous run of `Edge`s, and every key's text in one string arena. An
//! alias shares the node of its anchor (no copy), and a merged-in entry is a
//! copy of the anchor's edge, so positions inside aliased or merged content
//! point at the text where it is written.

use crate::path::PathSeg;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// Maps with more entries than this are sorted by key for binary search.
const SORT_THRESHOLD: u32 = 8;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    first: u32,
    len: u32,
    is_map: bool,
    sorted: bool,
}

/// A child of a node: for maps the key's text and position, for sequences the
/// item's position; `child` is the child's node, or `NONE` for a scalar.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub(crate) key_start: u32,
    pub(crate) key_len: u32,
    pub(crate) pos: Pos,
    pub(crate) child: u32,
}

/// Positions of one document. See [`Positions::get`].
#[derive(Debug, Clone)]
pub struct Positions {
    root: Pos,
    root_node: u32,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    keys: String,
    /// Added to every line: documents are parsed from slices of the file.
    line_offset: u32,
}

impl Default for Positions {
    fn default() -> Self {
        Positions::new()
    }
}

impl Positions {
    pub(crate) fn new() -> Self {
        Positions {
            root: Pos::default(),
            root_node: NONE,
            nodes: Vec::new(),
            edges: Vec::new(),
            keys: String::new(),
            line_offset: 0,
        }
    }

    /// Position of the node at `path`: for a map entry the position of its
    /// KEY (what a user wants to be shown), for a list item the position of
    /// the item, for the empty path the start of the document's content.
    /// `None` if there is no such node.
    pub fn get(&self, path: &[PathSeg]) -> Option<Pos> {
        let mut node = self.root_node;
        let mut pos = self.root;
        for seg in path {
            let edge = self.child(node, seg)?;
            pos = edge.pos;
            node = edge.child;
        }
        Some(self.shift(pos))
    }

    fn shift(&self, pos: Pos) -> Pos {
        Pos {
            line: pos.line.saturating_add(self.line_offset),
            column: pos.column,
        }
    }

    /// Position of the nearest existing ancestor of `path` (the node itself
    /// if it exists; the document start for the empty path).
    pub fn nearest(&self, path: &[PathSeg]) -> Pos {
        let mut node = self.root_node;
        let mut pos = self.root;
        for seg in path {
            match self.child(node, seg) {
                Some(edge) => {
                    pos = edge.pos;
                    node = edge.child;
                }
                None => break,
            }
        }
        self.shift(pos)
    }

    fn child(&self, node: u32, seg: &PathSeg) -> Option<&Edge> {
        let n = self.nodes.get(node as usize)?;
        let run = self
            .edges
            .get(n.first as usize..(n.first as usize).checked_add(n.len as usize)?)?;
        match seg {
            PathSeg::Index(i) if !n.is_map => run.get(*i),
            PathSeg::Key(k) if n.is_map => {
                let k: &str = k;
                if n.sorted {
                    let i = run.binary_search_by(|e| self.key(e).cmp(k)).ok()?;
                    run.get(i)
                } else {
                    run.iter().find(|e| self.key(e) == k)
                }
            }
            _ => None,
        }
    }

    pub(crate) fn key(&self, e: &Edge) -> &str {
        let start = e.key_start as usize;
        self.keys
            .get(start..start + e.key_len as usize)
            .unwrap_or_default()
    }

    /// Append a key to the arena; `None` if the arena would outgrow `u32`.
    pub(crate) fn push_key(&mut self, k: &str) -> Option<(u32, u32)> {
        let start = u32::try_from(self.keys.len()).ok()?;
        let len = u32::try_from(k.len()).ok()?;
        start.checked_add(len)?;
        self.keys.push_str(k);
        Some((start, len))
    }

    /// Edges of a node (empty for scalars and unknown nodes).
    pub(crate) fn edges_of(&self, node: u32) -> &[Edge] {
        match self.nodes.get(node as usize) {
            Some(n) => self
                .edges
                .get(n.first as usize..n.first as usize + n.len as usize)
                .unwrap_or_default(),
            None => &[],
        }
    }

    /// Create a node whose children are `children` (drained by the caller).
    /// `None` when the tables would outgrow `u32` indexes.
    pub(crate) fn push_node(
        &mut self,
        is_map: bool,
        children: impl Iterator<Item = Edge>,
    ) -> Option<u32> {
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&i| i != NONE)?;
        let first = self.edges.len();
        self.edges.extend(children);
        let len = self.edges.len() - first;
        let first = u32::try_from(first).ok()?;
        let len = u32::try_from(len).ok()?;
        first.checked_add(len)?;
        let sorted = is_map && len > SORT_THRESHOLD;
        if sorted {
            let keys = &self.keys;
            let key = |e: &Edge| {
                let s = e.key_start as usize;
                keys.get(s..s + e.key_len as usize).unwrap_or_default()
            };
            self.edges[first as usize..].sort_unstable_by(|a, b| key(a).cmp(key(b)));
        }
        self.nodes.push(Node {
            first,
            len,
            is_map,
            sorted,
        });
        Some(id)
    }

    pub(crate) fn set_root(&mut self, pos: Pos, node: u32) {
        self.root = pos;
        self.root_node = node;
    }

    /// Shift every line by `lines` (documents parsed from a slice of the file).
    pub(crate) fn set_line_offset(&mut self, lines: u32) {
        self.line_offset = lines;
    }
}
