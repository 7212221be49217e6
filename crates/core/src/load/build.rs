//! Builds a JSON value and its [`Positions`] from a stream of node events,
//! shared by the YAML and JSON front ends.
//!
//! This is where kubectl's rules that are not about scalars live: anchors and
//! aliases (with budgets), merge keys, duplicate keys, key stringification,
//! and the nesting, node and expansion limits. It never recurses, so nesting
//! is bounded by [`Limits::max_depth`] and not by the stack.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::positions::{Edge, Pos, Positions, NONE};
use super::resolve::Scalar;
use super::Limits;

/// A problem at a position relative to the parsed slice.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) pos: Pos,
    pub(crate) msg: String,
}

pub(crate) fn fail<T>(pos: Pos, msg: impl Into<String>) -> Result<T, Fail> {
    Err(Fail {
        pos,
        msg: msg.into(),
    })
}

#[derive(Clone)]
enum Val {
    Scalar(Scalar),
    Tree(Value),
}

impl Val {
    fn into_value(self, pos: Pos) -> Result<Value, Fail> {
        match self {
            Val::Scalar(s) => s.into_value().map_err(|msg| Fail { pos, msg }),
            Val::Tree(v) => Ok(v),
        }
    }
}

struct Item {
    val: Val,
    node: u32,
    pos: Pos,
    height: usize,
    /// Delivered by an alias (go-yaml refuses `<<: *list`).
    alias: bool,
}

struct Anchor {
    val: Val,
    node: u32,
    nodes: usize,
    bytes: usize,
    height: usize,
}

enum Key {
    /// Waiting for a key.
    None,
    /// Key read, waiting for its value.
    Normal {
        key: String,
        start: u32,
        len: u32,
        pos: Pos,
    },
    /// `<<` read, waiting for the mappings to merge.
    Merge,
}

enum Kind {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        key: Key,
        /// Built at the mapping's first `<<`: where each key's edge is in
        /// the frame's pending edges, and whether a merge wrote it last.
        index: Option<HashMap<String, Slot>>,
    },
}

/// A key of a mapping that has merges (see [`Kind::Map`]).
struct Slot {
    /// Index of the key's edge among the frame's pending edges (`None` for
    /// a merged entry without a recorded position).
    at: Option<usize>,
    /// The current value came from a `<<`, so an explicit key may replace it.
    merged: bool,
}

struct Frame {
    kind: Kind,
    pos: Pos,
    anchor: usize,
    pending_start: usize,
    nodes_at_start: usize,
    bytes_at_start: usize,
    height: usize,
}

/// What a finished document yields.
pub(crate) struct Built {
    pub(crate) value: Value,
    pub(crate) positions: Positions,
    pub(crate) pos: Pos,
}

pub(crate) struct Builder<'l> {
    limits: &'l Limits,
    /// Added to lines quoted inside messages (`already defined at line N`).
    line_offset: u32,
    positions: Positions,
    pending: Vec<Edge>,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    nodes: usize,
    bytes: usize,
    alias_nodes: usize,
    alias_bytes: usize,
    root: Option<Item>,
}

impl<'l> Builder<'l> {
    pub(crate) fn new(limits: &'l Limits, line_offset: u32) -> Self {
        Builder {
            limits,
            line_offset,
            positions: Positions::new(),
            pending: Vec::new(),
            frames: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            bytes: 0,
            alias_nodes: 0,
            alias_bytes: 0,
            root: None,
        }
    }

    /// Forget everything: a new document starts.
    pub(crate) fn reset(&mut self) {
        self.positions = Positions::new();
        self.pending.clear();
        self.frames.clear();
        self.anchors.clear();
        self.nodes = 0;
        self.bytes = 0;
        self.alias_nodes = 0;
        self.alias_bytes = 0;
        self.root = None;
    }

    /// True when the innermost open collection is a mapping waiting for a key.
    pub(crate) fn wants_key(&self) -> bool {
        matches!(
            self.frames.last(),
            Some(Frame {
                kind: Kind::Map { key: Key::None, .. },
                ..
            })
        )
    }

    /// The finished document, if its root is complete. `Ok(None)` for an
    /// empty document (no content or a null root), which kubectl skips.
    pub(crate) fn finish(&mut self) -> Result<Option<Built>, Fail> {
        let Some(item) = self.root.take() else {
            return Ok(None);
        };
        if matches!(item.val, Val::Scalar(Scalar::Null)) {
            return Ok(None);
        }
        let value = item.val.into_value(item.pos)?;
        let mut positions = std::mem::take(&mut self.positions);
        positions.set_root(item.pos, item.node);
        positions.set_line_offset(self.line_offset);
        Ok(Some(Built {
            value,
            positions,
            pos: item.pos,
        }))
    }

    fn count(&mut self, pos: Pos, nodes: usize, bytes: usize) -> Result<(), Fail> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > self.limits.max_nodes {
            return fail(
                pos,
                format!(
                    "document has more than {} nodes (limit max_nodes)",
                    self.limits.max_nodes
                ),
            );
        }
        Ok(())
    }

    fn count_alias(&mut self, pos: Pos, nodes: usize, bytes: usize) -> Result<(), Fail> {
        self.alias_nodes = self.alias_nodes.saturating_add(nodes);
        self.alias_bytes = self.alias_bytes.saturating_add(bytes);
        if self.alias_nodes > self.limits.max_alias_expansion
            || self.alias_bytes > self.limits.max_alias_bytes
        {
            return fail(
                pos,
                format!(
                    "document contains excessive aliasing: anchors and aliases expand to more \
                     than {} nodes or {} bytes (limits max_alias_expansion, max_alias_bytes)",
                    self.limits.max_alias_expansion, self.limits.max_alias_bytes
                ),
            );
        }
        Ok(())
    }

    /// A mapping (`is_map`) or sequence starts at `pos`.
    pub(crate) fn start(&mut self, is_map: bool, pos: Pos, anchor: usize) -> Result<(), Fail> {
        if self.wants_key() {
            return fail(
                pos,
                "a mapping or sequence cannot be used as a mapping key (it has no JSON form)",
            );
        }
        if self.frames.len() >= self.limits.max_depth {
            return fail(
                pos,
                format!(
                    "nesting deeper than {} levels (limit max_depth)",
                    self.limits.max_depth
                ),
            );
        }
        let nodes_at_start = self.nodes;
        let bytes_at_start = self.bytes;
        self.count(pos, 1, 0)?;
        let kind = if is_map {
            Kind::Map {
                map: Map::new(),
                key: Key::None,
                index: None,
            }
        } else {
            Kind::Seq(Vec::new())
        };
        self.frames.push(Frame {
            kind,
            pos,
            anchor,
            pending_start: self.pending.len(),
            nodes_at_start,
            bytes_at_start,
            height: 0,
        });
        Ok(())
    }

    /// The innermost mapping or sequence ends.
    pub(crate) fn end(&mut self, end_pos: Pos) -> Result<(), Fail> {
        let Some(frame) = self.frames.pop() else {
            return fail(end_pos, "end of a collection that was not started");
        };
        let (value, node) = match frame.kind {
            Kind::Seq(items) => {
                let node = self
                    .positions
                    .push_node(false, self.pending.drain(frame.pending_start..));
                (Value::Array(items), node)
            }
            Kind::Map { map, key, .. } => {
                if !matches!(key, Key::None) {
                    return fail(end_pos, "mapping ended between a key and its value");
                }
                let node = self
                    .positions
                    .push_node(true, self.pending.drain(frame.pending_start..));
                (Value::Object(map), node)
            }
        };
        let Some(node) = node else {
            return fail(frame.pos, "document too large to index its positions");
        };
        let item = Item {
            val: Val::Tree(value),
            node,
            pos: frame.pos,
            height: frame.height + 1,
            alias: false,
        };
        if frame.anchor > 0 {
            let nodes = self.nodes - frame.nodes_at_start;
            let bytes = self.bytes - frame.bytes_at_start;
            self.register(frame.anchor, &item, nodes, bytes)?;
        }
        self.deliver(item)
    }

    fn register(&mut self, id: usize, item: &Item, nodes: usize, bytes: usize) -> Result<(), Fail> {
        // Keeping a copy for later aliases costs as much as expanding one.
        self.count_alias(item.pos, nodes, bytes)?;
        self.anchors.insert(
            id,
            Anchor {
                val: item.val.clone(),
                node: item.node,
                nodes,
                bytes,
                height: item.height,
            },
        );
        Ok(())
    }

    /// A scalar. `merge_key` is true for `<<` plain and untagged, or tagged
    /// `!!merge` in any style.
    pub(crate) fn scalar(
        &mut self,
        scalar: Scalar,
        pos: Pos,
        anchor: usize,
        merge_key: bool,
    ) -> Result<(), Fail> {
        let bytes = scalar.weight();
        self.count(pos, 1, bytes)?;
        if merge_key && self.wants_key() {
            if let Some(Frame {
                kind: Kind::Map { key, .. },
                ..
            }) = self.frames.last_mut()
            {
                *key = Key::Merge;
            }
            return Ok(());
        }
        let item = Item {
            val: Val::Scalar(scalar),
            node: NONE,
            pos,
            height: 0,
            alias: false,
        };
        if anchor > 0 {
            self.register(anchor, &item, 1, bytes)?;
        }
        self.deliver(item)
    }

    /// An alias to anchor `id`.
    pub(crate) fn alias(&mut self, id: usize, pos: Pos) -> Result<(), Fail> {
        let Some(a) = self.anchors.get(&id) else {
            if self.frames.iter().any(|f| f.anchor == id) {
                return fail(
                    pos,
                    "an alias refers to the anchor that contains it (recursive)",
                );
            }
            return fail(
                pos,
                "an alias refers to an anchor not defined in this document",
            );
        };
        let (nodes, bytes, height, node) = (a.nodes, a.bytes, a.height, a.node);
        if self.frames.len() + height > self.limits.max_depth {
            return fail(
                pos,
                format!(
                    "alias expands to nesting deeper than {} levels (limit max_depth)",
                    self.limits.max_depth
                ),
            );
        }
        self.count_alias(pos, nodes, bytes)?;
        self.count(pos, nodes, bytes)?;
        let val = match self.anchors.get(&id) {
            Some(a) => a.val.clone(),
            _ => {
                return fail(
                    pos,
                    "an alias refers to an anchor not defined in this document",
                )
            }
        };
        self.deliver(Item {
            val,
            node,
            pos,
            height,
            alias: true,
        })
    }

    fn deliver(&mut self, item: Item) -> Result<(), Fail> {
        let line_offset = self.line_offset;
        let Some(top) = self.frames.last_mut() else {
            if self.root.is_some() {
                return fail(item.pos, "more than one root node in a document");
            }
            self.root = Some(item);
            return Ok(());
        };
        top.height = top.height.max(item.height);
        match &mut top.kind {
            Kind::Seq(items) => {
                items.push(item.val.into_value(item.pos)?);
                self.pending.push(Edge {
                    key_start: 0,
                    key_len: 0,
                    pos: item.pos,
                    child: item.node,
                });
            }
            Kind::Map { map, key, index } => match std::mem::replace(key, Key::None) {
                Key::None => {
                    let Val::Scalar(s) = item.val else {
                        return fail(
                            item.pos,
                            "a mapping or sequence cannot be used as a mapping key (it has no \
                             JSON form)",
                        );
                    };
                    let k = s.into_key().map_err(|msg| Fail { pos: item.pos, msg })?;
                    // Duplicates are detected when the value is inserted.
                    let Some((start, len)) = self.positions.push_key(&k) else {
                        return fail(item.pos, "document too large to index its positions");
                    };
                    *key = Key::Normal {
                        key: k,
                        start,
                        len,
                        pos: item.pos,
                    };
                }
                Key::Normal {
                    key: k,
                    start,
                    len,
                    pos,
                } => {
                    let edge = Edge {
                        key_start: start,
                        key_len: len,
                        pos,
                        child: item.node,
                    };
                    let value = item.val.into_value(item.pos)?;
                    let base = top.pending_start;
                    if let Some(index) = index {
                        match index.get_mut(&k) {
                            // go-yaml applies a mapping's entries in order,
                            // so a key written after a `<<` replaces what
                            // the merge wrote.
                            Some(slot) if slot.merged => {
                                slot.merged = false;
                                match slot.at.and_then(|at| self.pending.get_mut(base + at)) {
                                    Some(e) => *e = edge,
                                    None => {
                                        slot.at = Some(self.pending.len() - base);
                                        self.pending.push(edge);
                                    }
                                }
                                map.insert(k, value);
                                return Ok(());
                            }
                            Some(_) => {}
                            None => {
                                let at = Some(self.pending.len() - base);
                                index.insert(k.clone(), Slot { at, merged: false });
                            }
                        }
                    }
                    if map.insert(k, value).is_some() {
                        let positions = &self.positions;
                        let k = positions.key(&edge);
                        let prev = self.pending[base..]
                            .iter()
                            .find(|e| positions.key(e) == k)
                            .map_or(0, |e| e.pos.line.saturating_add(line_offset));
                        return fail(
                            pos,
                            format!("mapping key {k:?} already defined at line {prev}"),
                        );
                    }
                    self.pending.push(edge);
                }
                Key::Merge => {
                    // go-yaml v2: a mapping, an alias to a mapping, or a
                    // sequence (written here, not an alias) of those.
                    let ok = match &item.val {
                        Val::Tree(Value::Object(_)) => true,
                        Val::Tree(Value::Array(items)) => {
                            !item.alias && items.iter().all(|v| matches!(v, Value::Object(_)))
                        }
                        _ => false,
                    };
                    let (true, Val::Tree(src)) = (ok, item.val) else {
                        return fail(
                            item.pos,
                            "map merge requires a mapping or a list of mappings as the value of <<",
                        );
                    };
                    let base = top.pending_start;
                    let index = index.get_or_insert_with(|| {
                        let positions = &self.positions;
                        self.pending[base..]
                            .iter()
                            .enumerate()
                            .map(|(at, e)| {
                                let slot = Slot {
                                    at: Some(at),
                                    merged: false,
                                };
                                (positions.key(e).to_string(), slot)
                            })
                            .collect()
                    });
                    let mut merge = Merge {
                        map,
                        index,
                        pending: &mut self.pending,
                        base,
                        positions: &self.positions,
                    };
                    match src {
                        Value::Object(obj) => merge.one(obj, item.node),
                        Value::Array(items) => {
                            // Later maps first, so earlier ones win among
                            // themselves (go-yaml steps backwards).
                            let kids: Vec<u32> = self
                                .positions
                                .edges_of(item.node)
                                .iter()
                                .map(|e| e.child)
                                .collect();
                            for (i, it) in items.into_iter().enumerate().rev() {
                                if let Value::Object(obj) = it {
                                    merge.one(obj, kids.get(i).copied().unwrap_or(NONE));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            },
        }
        Ok(())
    }
}

/// Writes the entries of a `<<` into a mapping as go-yaml v2 (and so
/// kubectl) does: at the point where the `<<` appears, each entry replaces
/// any value the key already has, explicit or merged. Keys written later in
/// the mapping replace merged ones in turn.
struct Merge<'a> {
    map: &'a mut Map<String, Value>,
    index: &'a mut HashMap<String, Slot>,
    pending: &'a mut Vec<Edge>,
    base: usize,
    positions: &'a Positions,
}

impl Merge<'_> {
    /// Merge one mapping whose positions are node `node`.
    fn one(&mut self, mut obj: Map<String, Value>, node: u32) {
        // Keyed by the source's edges so each merged key points at the text
        // where it is written.
        for e in self.positions.edges_of(node) {
            let k = self.positions.key(e);
            if let Some(v) = obj.remove(k) {
                self.write(k.to_string(), v, Some(*e));
            }
        }
        // Entries without a recorded position (none expected): still merge.
        for (k, v) in obj {
            self.write(k, v, None);
        }
    }

    fn write(&mut self, k: String, v: Value, edge: Option<Edge>) {
        match self.index.get_mut(&k) {
            Some(slot) => {
                slot.merged = true;
                if let Some(edge) = edge {
                    match slot.at.and_then(|at| self.pending.get_mut(self.base + at)) {
                        Some(e) => *e = edge,
                        None => {
                            slot.at = Some(self.pending.len() - self.base);
                            self.pending.push(edge);
                        }
                    }
                }
            }
            None => {
                // Every key gets a slot, so a later explicit key replaces a
                // merged one instead of being taken for a duplicate.
                let at = edge.map(|edge| {
                    self.pending.push(edge);
                    self.pending.len() - 1 - self.base
                });
                self.index.insert(k.clone(), Slot { at, merged: true });
            }
        }
        self.map.insert(k, v);
    }
}
