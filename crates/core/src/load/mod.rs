//! Manifest loading: YAML or JSON bytes into JSON values with source
//! positions, read the way kubectl reads them.
//!
//! kubectl converts YAML to JSON with sigs.k8s.io/yaml, i.e. go-yaml v2 (YAML
//! 1.1) followed by a JSON conversion. This module reproduces that on top of
//! the `saphyr-parser` event parser (fast, gives spans); the rules that differ
//! from YAML 1.2 are implemented here:
//!
//! * scalars resolve as in go-yaml v2 (see `resolve.rs`): `yes/no/on/off/y/n`
//!   are booleans, `0777` is 511, `0o777` is 511 (v2 hands the text to Go's
//!   base-0 `ParseInt`, which accepts `0o` since Go 1.13), `0x1F` is 31,
//!   `1_000` is 1000, `0b101` is 5, `1e3` is a float, `1:30` stays
//!   the string `"1:30"` (v2 does not resolve sexagesimals), `~`/`null`/empty
//!   are null. `.inf` and `.nan` resolve to floats, which JSON cannot hold:
//!   as in kubectl (`json: unsupported value: +Inf`) the document is an error.
//! * a float becomes the number Go's `encoding/json` writes for it (checked
//!   by running it, see `GO_YAML_FLOATS` in the tests): an integral float
//!   below 1e21 is an integer literal there (`80.0`, `8e1` and `1e3` are
//!   `80`, `80` and `1000`), so it is an integer here and an `int32` field
//!   like `hostPort` takes it as the API server does; `80.5` and `1e21` stay
//!   floats, which integer fields reject, as Go does;
//! * anchors and aliases, with budgets (see [`Limits`]) so that a
//!   billion-laughs file fails fast; an alias cannot refer to the anchor that
//!   contains it;
//! * merge keys as go-yaml v2 applies them (checked by running it, see
//!   `GO_YAML_MERGES` in the tests): a `<<` (plain and untagged, or tagged
//!   `!!merge` in any style) takes a mapping, an alias to one, or a list of
//!   those written in place; its keys are written where the `<<` stands, so
//!   they replace keys above it and keys below replace them; within a list
//!   earlier mappings win; a mapping may have several `<<`. (Not "explicit
//!   keys always win": `privileged: false` followed by
//!   `<<: {privileged: true}` is privileged for kubectl.) Two explicit
//!   equal keys are still an error, below;
//! * a duplicate key is an error (`mapping key "x" already defined at line
//!   N`), for JSON too (Go's JSON decoder would silently keep the last one; a
//!   security scanner must not read a different value than the cluster);
//! * non-string keys become strings as sigs.k8s.io/yaml writes them (`1` →
//!   `"1"`, `true` → `"true"`, floats as Go's `%g` for float32); a null key, or
//!   a mapping or sequence used as a key, is an error;
//! * a document whose root is null (empty, only comments, `~`) produces
//!   nothing, as kubectl skips it.
//!
//! **Document indexes** count the results this function returns: every
//! non-empty document and every broken document gets the next index (0-based);
//! empty documents get none. So `index` is the position of the result in the
//! returned `Vec`, except for a final stream-level error (too many
//! documents), which has `document: None`.
//!
//! **Resynchronisation.** Before parsing, the stream is cut at every line that
//! starts with `---` followed by a space, a tab or the end of the line (the
//! YAML document marker; kubectl's reader splits at the same lines). Each
//! section is parsed on its own, so a syntax error loses only its own
//! section. A section holding only directives (`%YAML`) is joined to the next.
//!
//! **JSON.** Input whose first non-blank byte is `{` or `[` is read as JSON:
//! one document or several concatenated ones (as kubectl's
//! `YAMLOrJSONDecoder` allows), with positions for every key and item. A JSON
//! syntax error ends the input (JSON has no separator to resynchronise on).
//!
//! **Positions.** [`Positions::get`] gives, for a map entry, the position of
//! its key (what a user wants to see), for a list item the item's first
//! character. Lines are absolute in the file, columns count characters and
//! both are 1-based. Inside aliased or merged content, positions point at the
//! anchor's text, where the content is written.
//!
//! Input hygiene: a UTF-8 byte-order mark is skipped; input that starts with
//! a UTF-16 byte-order mark (little or big endian, as Windows PowerShell 5's
//! `>` writes) is decoded to UTF-8 first, as kubectl does
//! (`unicode.BOMOverride`), with an error at the first unpaired surrogate;
//! lines and columns are those of the decoded text, so they are the lines an
//! editor shows. Invalid UTF-8 is an error
//! at the first bad byte (for its section only); tabs used as indentation are
//! a YAML syntax error. This module does no I/O and never panics on input.

mod build;
mod json;
mod positions;
mod resolve;
mod yaml;

#[cfg(test)]
mod tests;

pub use positions::{Pos, Positions};

use build::{Built, Fail};

/// Hard limits for one call to [`load`]. A breach is an error on the document
/// where it happens (with a position), never a panic or an unbounded
/// allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest document (a `---` section, or one JSON value), in bytes.
    pub max_document_bytes: usize,
    /// Deepest nesting of mappings and sequences, aliases expanded.
    pub max_depth: usize,
    /// Most nodes (scalars, mappings, sequences) in one document, aliases
    /// expanded.
    pub max_nodes: usize,
    /// Most nodes that anchors and aliases may copy in one document (each
    /// anchor is copied once when defined, and once per alias).
    pub max_alias_expansion: usize,
    /// Most scalar bytes that anchors and aliases may copy in one document.
    pub max_alias_bytes: usize,
    /// Most results (documents and errors) in one call.
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 8 << 20,
            max_depth: 128,
            max_nodes: 2_000_000,
            max_alias_expansion: 100_000,
            max_alias_bytes: 8 << 20,
            max_documents: 100_000,
        }
    }
}

/// One loaded document.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based index among the results of [`load`] (empty documents are not
    /// counted; broken ones are).
    pub index: usize,
    /// 1-based line where the document's content starts.
    pub line: u32,
    pub value: serde_json::Value,
    pub positions: Positions,
}

/// Why a document could not be loaded, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct LoadError {
    /// Index of the broken document (counted as [`Document::index`]); `None`
    /// for an error about the whole stream.
    pub document: Option<usize>,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Parse a YAML stream or JSON document(s). Never panics. Each document is Ok
/// or Err independently: a broken document does not lose the others where the
/// parser can resynchronise (at the next `---` line).
pub fn load(bytes: &[u8], limits: &Limits) -> Vec<Result<Document, LoadError>> {
    let decoded;
    let bytes = match decode_utf16(bytes) {
        None => bytes,
        Some(Ok(text)) => {
            decoded = text;
            decoded.as_bytes()
        }
        Some(Err(e)) => return vec![Err(e)],
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut c = Collector {
        out: Vec::new(),
        limits,
        stopped: false,
    };
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if matches!(first, Some(b'{' | b'[')) {
        match std::str::from_utf8(bytes) {
            Ok(text) => json::load_json(text, limits, &mut |r| c.push(r, 0)),
            Err(e) => c.utf8_error(bytes, 0, e.valid_up_to()),
        }
        return c.out;
    }
    for s in sections(bytes) {
        if c.stopped {
            break;
        }
        if !s.has_content {
            continue;
        }
        let Some(chunk) = bytes.get(s.start..s.end) else {
            break;
        };
        if chunk.len() > limits.max_document_bytes {
            c.push(
                Err(Fail {
                    pos: Pos { line: 1, column: 1 },
                    msg: format!(
                        "document is {} bytes, larger than the limit of {} bytes \
                         (max_document_bytes)",
                        chunk.len(),
                        limits.max_document_bytes
                    ),
                }),
                s.line,
            );
            continue;
        }
        match std::str::from_utf8(chunk) {
            Ok(text) => yaml::load_yaml(text, s.line, limits, &mut |r| c.push(r, s.line)),
            Err(e) => c.utf8_error(chunk, s.line, e.valid_up_to()),
        }
    }
    c.out
}

/// Input with a UTF-16 byte-order mark, decoded to UTF-8 (the mark is
/// dropped); `None` for anything else. An unpaired surrogate or an odd
/// number of bytes is an error at that place. The decoded text is at most
/// 1.5 times the input's size (a BMP character is 2 bytes in UTF-16 and at
/// most 3 in UTF-8), and each document is still held to
/// [`Limits::max_document_bytes`].
fn decode_utf16(bytes: &[u8]) -> Option<Result<String, LoadError>> {
    let (rest, little) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => return None,
    };
    let pairs = rest.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let units = pairs.map(|c| {
        let pair = [
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    let mut out = String::with_capacity(rest.len() / 2 * 3 / 2);
    let (mut line, mut column) = (1u32, 1u32);
    let error = |line, column, what: &str| {
        Some(Err(LoadError {
            document: None,
            line,
            column,
            message: format!(
                "invalid UTF-16 (the file starts with a UTF-16 byte-order mark): {what}"
            ),
        }))
    };
    for c in char::decode_utf16(units) {
        let Ok(c) = c else {
            return error(line, column, "an unpaired surrogate");
        };
        if c == '\n' {
            line = line.saturating_add(1);
            column = 1;
        } else {
            column = column.saturating_add(1);
        }
        out.push(c);
    }
    if odd {
        return error(line, column, "an odd number of bytes");
    }
    Some(Ok(out))
}

struct Collector<'l> {
    out: Vec<Result<Document, LoadError>>,
    limits: &'l Limits,
    stopped: bool,
}

impl Collector<'_> {
    /// Record one result; false when no more are wanted.
    fn push(&mut self, r: Result<Built, Fail>, line_offset: u32) -> bool {
        if self.stopped {
            return false;
        }
        if self.out.len() >= self.limits.max_documents {
            let (line, column) = match &r {
                Ok(b) => (b.pos.line, b.pos.column),
                Err(f) => (f.pos.line, f.pos.column),
            };
            self.out.push(Err(LoadError {
                document: None,
                line: line.saturating_add(line_offset),
                column,
                message: format!(
                    "more than {} documents (limit max_documents); the rest is not read",
                    self.limits.max_documents
                ),
            }));
            self.stopped = true;
            return false;
        }
        let index = self.out.len();
        self.out.push(match r {
            Ok(b) => Ok(Document {
                index,
                line: b.pos.line.saturating_add(line_offset),
                value: b.value,
                positions: b.positions,
            }),
            Err(f) => Err(LoadError {
                document: Some(index),
                line: f.pos.line.saturating_add(line_offset),
                column: f.pos.column,
                message: f.msg,
            }),
        });
        true
    }

    fn utf8_error(&mut self, chunk: &[u8], line_offset: u32, valid: usize) {
        let prefix = chunk.get(..valid).unwrap_or_default();
        let lines = prefix.iter().filter(|&&b| b == b'\n').count();
        let line_start = prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = prefix
            .get(line_start..)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + 1;
        let byte = chunk.get(valid).copied().unwrap_or(0);
        self.push(
            Err(Fail {
                pos: Pos {
                    line: u32::try_from(lines + 1).unwrap_or(u32::MAX),
                    column: u32::try_from(column).unwrap_or(u32::MAX),
                },
                msg: format!("invalid UTF-8: byte 0x{byte:02x} is not valid UTF-8 text"),
            }),
            line_offset,
        );
    }
}

/// A slice of the input holding one `---` section; `line` is the number of
/// lines before it.
#[derive(Debug, PartialEq, Eq)]
struct Section {
    start: usize,
    end: usize,
    line: u32,
    /// False when every line is blank, a comment, a directive, `...` or a
    /// bare `---`: the section holds only empty documents and is skipped
    /// without starting a parser.
    has_content: bool,
}

/// What one line contributes to its section.
#[derive(Debug, PartialEq, Eq)]
enum LineKind {
    /// Blank, comment, bare `---` or `...`.
    Empty,
    /// `%YAML`, `%TAG`.
    Directive,
    Content,
}

fn line_kind(line: &[u8], is_marker: bool) -> LineKind {
    let is_end = line.starts_with(b"...")
        && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    let body = if is_marker || is_end {
        &line[3..]
    } else {
        line
    };
    let first = body
        .iter()
        .position(|&c| c != b' ' && (c != b'\t' || is_marker || is_end));
    match first.map(|j| (j, body[j])) {
        None | Some((_, b'#' | b'\n' | b'\r')) => LineKind::Empty,
        Some((0, b'%')) if !is_marker && !is_end => LineKind::Directive,
        Some(_) => LineKind::Content,
    }
}

/// Cut the input at document-marker lines (`---` then a blank or end of line).
fn sections(b: &[u8]) -> Vec<Section> {
    let mut out = Vec::new();
    let mut cur = Section {
        start: 0,
        end: 0,
        line: 0,
        has_content: false,
    };
    // A section with directives and nothing else belongs to the next one.
    let mut only_directives = true;
    let mut has_directive = false;
    let mut line: u32 = 0;
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let is_marker = rest.starts_with(b"---")
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        if is_marker && i != cur.start {
            if !(only_directives && has_directive) {
                cur.end = i;
                out.push(cur);
                cur = Section {
                    start: i,
                    end: 0,
                    line,
                    has_content: false,
                };
            }
            only_directives = true;
            has_directive = false;
        }
        match line_kind(rest, is_marker) {
            LineKind::Empty => {}
            LineKind::Directive => has_directive = true,
            LineKind::Content => {
                only_directives = false;
                cur.has_content = true;
            }
        }
        if is_marker {
            only_directives = false;
        }
        match rest.iter().position(|&c| c == b'\n') {
            Some(n) => {
                i += n + 1;
                line = line.saturating_add(1);
            }
            None => i = b.len(),
        }
    }
    cur.end = b.len();
    out.push(cur);
    out
}
