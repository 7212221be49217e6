//! YAML 1.1 scalar resolution as go-yaml v2 (`resolve.go`) does it, and the
//! map-key stringification of sigs.k8s.io/yaml.
//!
//! kubectl reads manifests with sigs.k8s.io/yaml, which decodes with go-yaml v2
//! into `interface{}` and then converts to JSON. The rules reproduced here:
//!
//! * the resolution table of v2: `y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE`
//!   are `true`, the `n`/`no`/`off`/`false` spellings are `false`, `""`, `~`,
//!   `null`, `Null`, `NULL` are null, `.inf`/`.nan` spellings are floats;
//! * anything starting with a digit or sign: underscores are removed, then Go's
//!   `strconv.ParseInt(s, 0, 64)` (so `0777` is octal 511, `0x1F` is 31,
//!   `0b101` is 5 and, because Go 1.13+ accepts the `0o` prefix in base 0,
//!   `0o777` is 511 too), then `ParseUint`, then a float if it matches v2's
//!   `yamlStyleFloat` pattern and is in range (`1e3` is the float 1000.0,
//!   which JSON gets as `1000`, see [`go_json_number`];
//!   `1e400` stays a string);
//! * sexagesimal numbers are deliberately not resolved by v2: `1:30` is the
//!   string `"1:30"`; timestamps are handed to `interface{}` as their
//!   original string, so they stay strings as well;
//! * quoted and block scalars are always strings.

use serde_json::Value;

/// A resolved scalar, before it is placed in a JSON value or used as a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// Rough size in bytes, for the expansion budget.
    pub(crate) fn weight(&self) -> usize {
        match self {
            Scalar::Str(s) => s.len(),
            _ => 8,
        }
    }

    /// The JSON value. A float becomes the number Go's `encoding/json`
    /// writes for it (see [`go_json_number`]): `80.0` is the integer `80`,
    /// as in the JSON kubectl sends. Infinities and NaN cannot be represented
    /// in JSON: sigs.k8s.io/yaml fails on them as well (`json: unsupported
    /// value`).
    pub(crate) fn into_value(self) -> Result<Value, String> {
        Ok(match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::Uint(u) => Value::from(u),
            Scalar::Float(f) => match go_json_number(f) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(format!(
                        "the float value {} cannot be represented in JSON (kubectl rejects it too)",
                        go_float_key(f)
                    ))
                }
            },
            Scalar::Str(s) => Value::String(s),
        })
    }

    /// The map key as sigs.k8s.io/yaml spells it: strings as they are,
    /// integers in decimal, booleans as `true`/`false`, floats as Go's
    /// `FormatFloat(f, 'g', -1, 32)`. A null key is not supported there.
    pub(crate) fn into_key(self) -> Result<String, String> {
        match self {
            Scalar::Str(s) => Ok(s),
            Scalar::Int(i) => Ok(i.to_string()),
            Scalar::Uint(u) => Ok(u.to_string()),
            Scalar::Bool(b) => Ok(if b { "true" } else { "false" }.to_string()),
            Scalar::Float(f) => Ok(go_float_key(f)),
            Scalar::Null => Err("a null mapping key cannot be converted to JSON".to_string()),
        }
    }
}

/// The core-schema tags that go-yaml v2 resolves (everything else is a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoreTag {
    Str,
    Bool,
    Null,
    Int,
    Float,
    Timestamp,
    Binary,
    Merge,
    /// Any other tag: go-yaml v2 leaves the scalar a string.
    Other,
}

impl CoreTag {
    pub(crate) fn from_full(full: &str) -> CoreTag {
        match full.strip_prefix("tag:yaml.org,2002:") {
            Some("str") => CoreTag::Str,
            Some("bool") => CoreTag::Bool,
            Some("null") => CoreTag::Null,
            Some("int") => CoreTag::Int,
            Some("float") => CoreTag::Float,
            Some("timestamp") => CoreTag::Timestamp,
            Some("binary") => CoreTag::Binary,
            Some("merge") => CoreTag::Merge,
            _ => CoreTag::Other,
        }
    }

    fn short(self) -> &'static str {
        match self {
            CoreTag::Str => "!!str",
            CoreTag::Bool => "!!bool",
            CoreTag::Null => "!!null",
            CoreTag::Int => "!!int",
            CoreTag::Float => "!!float",
            CoreTag::Timestamp => "!!timestamp",
            CoreTag::Binary => "!!binary",
            CoreTag::Merge => "!!merge",
            CoreTag::Other => "!!str",
        }
    }
}

fn scalar_tag(s: &Scalar) -> CoreTag {
    match s {
        Scalar::Null => CoreTag::Null,
        Scalar::Bool(_) => CoreTag::Bool,
        Scalar::Int(_) | Scalar::Uint(_) => CoreTag::Int,
        Scalar::Float(_) => CoreTag::Float,
        Scalar::Str(_) => CoreTag::Str,
    }
}

/// Resolve a scalar with an explicit core tag (`!!int "12"`), as v2 does:
/// the text is resolved as if plain, and must agree with the tag (an int is
/// accepted for `!!float`).
pub(crate) fn resolve_tagged(tag: CoreTag, text: &str) -> Result<Scalar, String> {
    match tag {
        CoreTag::Str | CoreTag::Other | CoreTag::Merge => Ok(Scalar::Str(text.to_string())),
        CoreTag::Binary => decode_base64(text)
            .map(|b| Scalar::Str(String::from_utf8_lossy(&b).into_owned()))
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_string()),
        CoreTag::Timestamp => {
            if looks_like_timestamp(text) {
                Ok(Scalar::Str(text.to_string()))
            } else {
                Err(format!("cannot decode !!str `{text}` as a !!timestamp"))
            }
        }
        CoreTag::Bool | CoreTag::Null | CoreTag::Int | CoreTag::Float => {
            let r = resolve_plain(text);
            let rtag = scalar_tag(&r);
            if rtag == tag {
                return Ok(r);
            }
            match (tag, r) {
                (CoreTag::Float, Scalar::Int(i)) => Ok(Scalar::Float(i as f64)),
                (CoreTag::Float, Scalar::Uint(u)) => Ok(Scalar::Float(u as f64)),
                _ => Err(format!(
                    "cannot decode {} `{text}` as a {}",
                    rtag.short(),
                    tag.short()
                )),
            }
        }
    }
}

/// v2's quick check before `time.Parse`: four digits and a dash.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Resolve an untagged plain scalar (go-yaml v2 `resolve("", in)`).
pub(crate) fn resolve_plain(s: &str) -> Scalar {
    resolve_non_str(s).unwrap_or_else(|| Scalar::Str(s.to_string()))
}

/// Like [`resolve_plain`], but `None` where the scalar is a string, so that
/// the caller can reuse its own buffer.
pub(crate) fn resolve_non_str(s: &str) -> Option<Scalar> {
    let Some(&first) = s.as_bytes().first() else {
        return Some(Scalar::Null);
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            resolve_map(s)
        }
        b'.' => {
            if let Some(v) = resolve_map(s) {
                return Some(v);
            }
            // strconv.ParseFloat on the text; out of range is an error in Go.
            match s.parse::<f64>() {
                Ok(f) if f.is_finite() && go_float_syntax(s) => Some(Scalar::Float(f)),
                _ => None,
            }
        }
        b'+' | b'-' | b'0'..=b'9' => resolve_map(s).or_else(|| resolve_number(s)),
        _ => None,
    }
}

fn resolve_map(s: &str) -> Option<Scalar> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Scalar::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Scalar::Null,
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Go's ParseFloat syntax for text starting with `.` (the only case we hand
/// it unfiltered): digits, optional exponent, no underscores or letters.
fn go_float_syntax(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
}

fn resolve_number(s: &str) -> Option<Scalar> {
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        std::borrow::Cow::Owned(s.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    let plain = plain.as_ref();
    if let Some(i) = go_parse_int(plain) {
        return Some(Scalar::Int(i));
    }
    if let Some(u) = go_parse_uint(plain) {
        return Some(Scalar::Uint(u));
    }
    if yaml_style_float(plain) {
        if let Ok(f) = plain.parse::<f64>() {
            if f.is_finite() {
                return Some(Scalar::Float(f));
            }
        }
    }
    // v2 then retries `0b…` and `-0b…` by hand; Go's base-0 ParseInt above
    // already accepts those prefixes, so nothing more resolves here.
    None
}

/// `strconv.ParseUint(s, 0, 64)` after underscores were removed.
fn go_parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits): (u64, &[u8]) = if b[0] == b'0' {
        if b.len() >= 3 {
            match b[1].to_ascii_lowercase() {
                b'b' => (2, &b[2..]),
                b'o' => (8, &b[2..]),
                b'x' => (16, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (8, &b[1..])
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        if u64::from(d) >= base {
            return None;
        }
        n = n.checked_mul(base)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)` after underscores were removed.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let un = go_parse_uint(rest)?;
    if neg {
        if un > 1u64 << 63 {
            None
        } else {
            Some((un as i64).wrapping_neg())
        }
    } else {
        i64::try_from(un).ok()
    }
}

/// v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The number that Go's `encoding/json` writes for the float64 `f`, as
/// serde_json reads that text back; `None` for infinities and NaN.
///
/// sigs.k8s.io/yaml hands go-yaml's float64 to `json.Marshal`, which writes
/// `strconv.FormatFloat(f, 'f', -1, 64)` when `1e-6 <= |f| < 1e21` (or
/// `f == 0`) and an exponent form (`1e+21`, `1e-7`) otherwise. So an
/// integral float below 1e21 is written as an integer literal: `80.0`,
/// `8e1` and `!!float 80` are all `80`, which Go's typed decoding (and so
/// the API server) accepts for an `int32` field, while `80.5` and `1e+21`
/// stay non-integer literals that it rejects. The literal is the shortest
/// round-trip digits padded with zeros (`2^60` is `1152921504606847000`),
/// which Rust's `Display` for `f64` writes identically; it becomes an `i64`
/// or `u64` when it fits, else (below `i64::MIN`, or from 2^64 up) it
/// stays a float, as a JSON reader would take it. One difference: Go writes `-0`
/// for `-0.0`, here it is the integer `0` (both decode to 0).
pub(crate) fn go_json_number(f: f64) -> Option<serde_json::Number> {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // Below 2^53 every integral float is exact as an i64 and prints as
        // that integer; above, go through the text Go writes.
        if f.abs() < 9_007_199_254_740_992.0 {
            return Some((f as i64).into());
        }
        let text = f.to_string();
        if let Ok(i) = text.parse::<i64>() {
            return Some(i.into());
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(u.into());
        }
    }
    serde_json::Number::from_f64(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` with sigs.k8s.io/yaml's
/// spellings of the special values: `+Inf`, `-Inf` and `NaN` become `.inf`,
/// `-.inf` and `.nan`, also for a finite float64 that overflows float32
/// (the key `1.5e300` is `.inf` in kubectl's JSON).
pub(crate) fn go_float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    let x = f as f32;
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Shortest digits that round-trip as f32, in scientific form: "d.ddde±x".
    let sci = format!("{x:e}");
    let Some((mant, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        // %f with exactly the shortest digits: Rust's Display does that.
        return format!("{x}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.unsigned_abs())
}

/// Go's `base64.StdEncoding.DecodeString` (newlines are ignored).
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut buf = 0u32;
    let mut nbits = 0u32;
    let mut pad = 0usize;
    let mut count = 0usize;
    for c in s.bytes() {
        if c == b'\n' || c == b'\r' {
            continue;
        }
        count += 1;
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((buf >> nbits) as u8);
            buf &= (1 << nbits) - 1;
        }
    }
    if !count.is_multiple_of(4) || pad > 2 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_int_parsing() {
        assert_eq!(go_parse_int("0777"), Some(511));
        assert_eq!(go_parse_int("0o777"), Some(511));
        assert_eq!(go_parse_int("0x1F"), Some(31));
        assert_eq!(go_parse_int("-0x10"), Some(-16));
        assert_eq!(go_parse_int("0b101"), Some(5));
        assert_eq!(go_parse_int("0"), Some(0));
        assert_eq!(go_parse_int("-0"), Some(0));
        assert_eq!(go_parse_int("0x"), None);
        assert_eq!(go_parse_int("0778"), None);
        assert_eq!(go_parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_parse_int("9223372036854775808"), None);
        assert_eq!(go_parse_uint("9223372036854775808"), Some(1u64 << 63));
        assert_eq!(go_parse_int("+"), None);
    }

    #[test]
    fn float_pattern() {
        for ok in ["1e3", "1.", "-.5", "+1.5E-3", "0778", "1.0"] {
            assert!(yaml_style_float(ok), "{ok}");
        }
        for bad in ["e3", ".", "1e", "1.2.3", "1_0", "0x1p3", "inf"] {
            assert!(!yaml_style_float(bad), "{bad}");
        }
    }

    #[test]
    fn resolution_edge_cases() {
        assert_eq!(resolve_plain("0778"), Scalar::Float(778.0));
        assert_eq!(resolve_plain("1e400"), Scalar::Str("1e400".into()));
        assert_eq!(resolve_plain(".5"), Scalar::Float(0.5));
        assert_eq!(resolve_plain("."), Scalar::Str(".".into()));
        assert_eq!(resolve_plain("_1"), Scalar::Str("_1".into()));
        assert_eq!(resolve_plain("1__0"), Scalar::Int(10));
        assert_eq!(
            resolve_plain("2001-12-14"),
            Scalar::Str("2001-12-14".into())
        );
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Scalar::Uint(u64::MAX)
        );
        assert_eq!(resolve_plain("Yes"), Scalar::Bool(true));
        assert_eq!(resolve_plain("yES"), Scalar::Str("yES".into()));
        assert_eq!(resolve_plain("<<"), Scalar::Str("<<".into()));
    }

    #[test]
    fn tagged() {
        assert_eq!(resolve_tagged(CoreTag::Int, "12"), Ok(Scalar::Int(12)));
        assert_eq!(resolve_tagged(CoreTag::Float, "1"), Ok(Scalar::Float(1.0)));
        assert_eq!(
            resolve_tagged(CoreTag::Str, "yes"),
            Ok(Scalar::Str("yes".into()))
        );
        assert_eq!(
            resolve_tagged(CoreTag::Int, "abc"),
            Err("cannot decode !!str `abc` as a !!int".to_string())
        );
        assert_eq!(
            resolve_tagged(CoreTag::Binary, "aGVsbG8="),
            Ok(Scalar::Str("hello".into()))
        );
        assert!(resolve_tagged(CoreTag::Binary, "a").is_err());
    }

    #[test]
    fn float_keys_like_go() {
        assert_eq!(go_float_key(1.5), "1.5");
        assert_eq!(go_float_key(1000.0), "1000");
        assert_eq!(go_float_key(1e6), "1e+06");
        assert_eq!(go_float_key(123456.0), "123456");
        assert_eq!(go_float_key(0.0001), "0.0001");
        assert_eq!(go_float_key(0.00001), "1e-05");
        assert_eq!(go_float_key(0.1), "0.1");
        assert_eq!(go_float_key(f64::INFINITY), ".inf");
        assert_eq!(go_float_key(f64::NAN), ".nan");
        // Finite as float64, infinite as float32: sigs.k8s.io/yaml's ".inf".
        assert_eq!(go_float_key(1.5e300), ".inf");
        assert_eq!(go_float_key(-1.5e300), "-.inf");
        assert_eq!(go_float_key(-0.0), "-0");
        assert_eq!(go_float_key(2147483648.0), "2.1474836e+09");
        assert_eq!(go_float_key(1e-7), "1e-07");
    }

    #[test]
    fn json_numbers_like_go() {
        use serde_json::Number;
        assert_eq!(go_json_number(80.0), Some(Number::from(80)));
        assert_eq!(go_json_number(-80.0), Some(Number::from(-80)));
        assert_eq!(go_json_number(-0.0), Some(Number::from(0)));
        assert_eq!(go_json_number(80.5), Number::from_f64(80.5));
        assert_eq!(
            go_json_number(9007199254740992.0),
            Some(Number::from(9_007_199_254_740_992_i64))
        );
        // Go writes the shortest digits padded with zeros, not the exact
        // value 2^60 = 1152921504606846976.
        assert_eq!(
            go_json_number((1u64 << 60) as f64),
            Some(Number::from(1_152_921_504_606_847_000_i64))
        );
        // 2^63: "9223372036854776000" is too big for i64, fits u64.
        assert_eq!(
            go_json_number((1u64 << 63) as f64),
            Some(Number::from(9_223_372_036_854_776_000_u64))
        );
        assert_eq!(
            go_json_number(-((1u64 << 63) as f64)),
            Number::from_f64(-((1u64 << 63) as f64))
        );
        // Integer literals beyond u64 and exponent forms stay floats.
        assert_eq!(go_json_number(1e20), Number::from_f64(1e20));
        assert_eq!(go_json_number(1e21), Number::from_f64(1e21));
        assert_eq!(go_json_number(1e-7), Number::from_f64(1e-7));
        assert_eq!(go_json_number(f64::INFINITY), None);
        assert_eq!(go_json_number(f64::NAN), None);
    }
}
