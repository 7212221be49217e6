//! JSON front end: one or more concatenated JSON documents, as kubectl's
//! `YAMLOrJSONDecoder` reads them, into the [`Builder`] (so JSON gets the same
//! positions, limits and duplicate-key rule as YAML). Iterative: nesting is
//! bounded by the builder's depth limit, not by the stack.
//!
//! Numbers: integers that fit `i64` stay integers (sigs.k8s.io/json does the
//! same), everything else is an `f64`; a number out of `f64` range is an error.
//! Such a float then becomes what Go's `encoding/json` writes for it, as YAML
//! floats do (`Scalar::into_value`): kubectl decodes the file into an
//! unstructured object (`80.0` is the float64 80) and sends it re-encoded
//! (`80`), so `"hostPort": 80.0` reaches the API server as `80`.
//! Lone UTF-16 surrogates in `\u` escapes become U+FFFD, as in Go.

use super::build::{fail, Builder, Built, Fail};
use super::positions::Pos;
use super::resolve::Scalar;
use super::Limits;

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    /// Last computed column: (byte index, column), to count characters
    /// incrementally on long lines (minified JSON).
    col_cache: (usize, u32),
}

impl<'a> Cursor<'a> {
    fn pos(&mut self) -> Pos {
        let (ci, cc) = self.col_cache;
        let (from, base) = if ci >= self.line_start && ci <= self.i {
            (ci, cc)
        } else {
            (self.line_start, 1)
        };
        let chars = self.b[from..self.i]
            .iter()
            .filter(|&&c| (c & 0xC0) != 0x80)
            .count();
        let col = base.saturating_add(u32::try_from(chars).unwrap_or(u32::MAX));
        self.col_cache = (self.i, col);
        Pos {
            line: self.line,
            column: col,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line = self.line.saturating_add(1);
                    self.line_start = self.i;
                }
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn unexpected<T>(&mut self, what: &str) -> Result<T, Fail> {
        let pos = self.pos();
        match self.peek() {
            None => fail(
                pos,
                format!("invalid JSON: unexpected end of input, expected {what}"),
            ),
            Some(c) if c.is_ascii_graphic() => fail(
                pos,
                format!(
                    "invalid JSON: unexpected character '{}', expected {what}",
                    c as char
                ),
            ),
            Some(c) => fail(
                pos,
                format!("invalid JSON: unexpected byte 0x{c:02x}, expected {what}"),
            ),
        }
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => u32::from(c - b'0'),
                Some(c @ b'a'..=b'f') => u32::from(c - b'a' + 10),
                Some(c @ b'A'..=b'F') => u32::from(c - b'A' + 10),
                _ => return self.unexpected("a hexadecimal digit"),
            };
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    /// A string; the cursor is on the opening quote.
    fn string(&mut self, text: &str) -> Result<String, Fail> {
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes.
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    let s = text.get(start..self.i).unwrap_or_default().to_string();
                    self.i += 1;
                    return Ok(s);
                }
                b'\\' => break,
                0..=0x1f => {
                    return self
                        .unexpected("a string character (control characters must be escaped)")
                }
                _ => self.i += 1,
            }
        }
        let mut out = String::from(text.get(start..self.i).unwrap_or_default());
        loop {
            let run = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(text.get(run..self.i).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return self.unexpected("an escape character");
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.i = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return self.unexpected(
                                "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                            );
                        }
                    }
                }
                _ => {
                    return self
                        .unexpected("a string character (control characters must be escaped)")
                }
            }
        }
    }

    fn number(&mut self, text: &str) -> Result<Scalar, Fail> {
        let pos = self.pos();
        let start = self.i;
        let digits = |cur: &mut Self| {
            let s = cur.i;
            while matches!(cur.peek(), Some(b'0'..=b'9')) {
                cur.i += 1;
            }
            cur.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return self.unexpected("a digit"),
        }
        let mut int = true;
        if self.peek() == Some(b'.') {
            int = false;
            self.i += 1;
            if digits(self) == 0 {
                return self.unexpected("a digit after the decimal point");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            int = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.unexpected("a digit in the exponent");
            }
        }
        let s = text.get(start..self.i).unwrap_or_default();
        if int {
            if let Ok(i) = s.parse::<i64>() {
                return Ok(Scalar::Int(i));
            }
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Scalar::Float(f)),
            _ => fail(pos, format!("invalid JSON: number {s} is out of range")),
        }
    }

    fn literal(&mut self, word: &[u8], value: Scalar) -> Result<Scalar, Fail> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(value)
        } else {
            self.unexpected("a JSON value")
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Obj,
    Arr,
}

/// Parse every JSON document in `text` into `sink`. JSON cannot be
/// resynchronised after a syntax error, so the first error ends the input.
pub(crate) fn load_json(
    text: &str,
    limits: &Limits,
    sink: &mut dyn FnMut(Result<Built, Fail>) -> bool,
) {
    let mut cur = Cursor {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        col_cache: (0, 1),
    };
    let mut b = Builder::new(limits, 0);
    loop {
        cur.skip_ws();
        if cur.peek().is_none() {
            return;
        }
        b.reset();
        let start = cur.i;
        let r = document(&mut cur, text, &mut b, limits.max_document_bytes, start)
            .and_then(|()| b.finish());
        match r {
            Ok(Some(built)) => {
                if !sink(Ok(built)) {
                    return;
                }
            }
            Ok(None) => {}
            Err(f) => {
                sink(Err(f));
                return;
            }
        }
    }
}

fn document(
    cur: &mut Cursor<'_>,
    text: &str,
    b: &mut Builder<'_>,
    max_bytes: usize,
    start: usize,
) -> Result<(), Fail> {
    let mut stack: Vec<Open> = Vec::new();
    'value: loop {
        // Expecting a value.
        cur.skip_ws();
        if cur.i - start > max_bytes {
            let pos = cur.pos();
            return fail(
                pos,
                format!("document is larger than {max_bytes} bytes (limit max_document_bytes)"),
            );
        }
        let pos = cur.pos();
        match cur.peek() {
            Some(b'{') => {
                b.start(true, pos, 0)?;
                cur.i += 1;
                cur.skip_ws();
                if cur.peek() == Some(b'}') {
                    let end = cur.pos();
                    cur.i += 1;
                    b.end(end)?;
                } else {
                    stack.push(Open::Obj);
                    key(cur, text, b)?;
                    continue 'value;
                }
            }
            Some(b'[') => {
                b.start(false, pos, 0)?;
                cur.i += 1;
                cur.skip_ws();
                if cur.peek() == Some(b']') {
                    let end = cur.pos();
                    cur.i += 1;
                    b.end(end)?;
                } else {
                    stack.push(Open::Arr);
                    continue 'value;
                }
            }
            Some(b'"') => {
                let s = cur.string(text)?;
                b.scalar(Scalar::Str(s), pos, 0, false)?;
            }
            Some(b't') => {
                let s = cur.literal(b"true", Scalar::Bool(true))?;
                b.scalar(s, pos, 0, false)?;
            }
            Some(b'f') => {
                let s = cur.literal(b"false", Scalar::Bool(false))?;
                b.scalar(s, pos, 0, false)?;
            }
            Some(b'n') => {
                let s = cur.literal(b"null", Scalar::Null)?;
                b.scalar(s, pos, 0, false)?;
            }
            Some(b'-' | b'0'..=b'9') => {
                let s = cur.number(text)?;
                b.scalar(s, pos, 0, false)?;
            }
            _ => return cur.unexpected("a JSON value"),
        }
        // A value is complete: close containers or move to the next element.
        loop {
            let Some(&open) = stack.last() else {
                return Ok(());
            };
            cur.skip_ws();
            match (open, cur.peek()) {
                (_, Some(b',')) => {
                    cur.i += 1;
                    if open == Open::Obj {
                        key(cur, text, b)?;
                    }
                    continue 'value;
                }
                (Open::Obj, Some(b'}')) | (Open::Arr, Some(b']')) => {
                    let end = cur.pos();
                    cur.i += 1;
                    stack.pop();
                    b.end(end)?;
                }
                (Open::Obj, _) => return cur.unexpected("',' or '}'"),
                (Open::Arr, _) => return cur.unexpected("',' or ']'"),
            }
        }
    }
}

/// An object key and its colon.
fn key(cur: &mut Cursor<'_>, text: &str, b: &mut Builder<'_>) -> Result<(), Fail> {
    cur.skip_ws();
    if cur.peek() != Some(b'"') {
        return cur.unexpected("a string key");
    }
    let pos = cur.pos();
    let k = cur.string(text)?;
    b.scalar(Scalar::Str(k), pos, 0, false)?;
    cur.skip_ws();
    if cur.peek() != Some(b':') {
        return cur.unexpected("':'");
    }
    cur.i += 1;
    Ok(())
}
