//! Kubernetes `resource.Quantity` parsing, with the semantics of
//! `k8s.io/apimachinery/pkg/api/resource.ParseQuantity`.
//!
//! Grammar: `[+-]? digits? (. digits?)? suffix`, where the suffix is a decimal
//! SI suffix (`n u m "" k M G T P E`), a binary SI suffix (`Ki Mi Gi Ti Pi
//! Ei`) or a decimal exponent (`e3`, `E-2`, `e+6`). The value is exact, then
//! rounded up in magnitude to the nearest 10^-9 (upstream rounds non-zero
//! values up so that "some" never becomes "none") and capped at 2^63-1 in
//! magnitude, which the API documents as the largest quantity.
//!
//! Upstream quirks kept on purpose, because the API server accepts them:
//! surrounding whitespace is ignored (the JSON decoder trims it); a number may
//! have no digits (`"+"`, `"."`, `"Ki"` are zero); an exponent that overflows
//! 32 bits wraps as Go's `int32()` conversion does.
//!
//! Deviation: upstream's int64 fast path does not apply the cap to a few
//! forms with a positive exponent (`"10e18"` stays 10^19); here every value is
//! capped. It only matters above 9.2·10^18, far beyond any real resource.
//! Quantities longer than [`MAX_LEN`] bytes are rejected to bound the cost of
//! the exact arithmetic; upstream has no such limit, but nothing legitimate
//! comes close.

/// Units of a parsed quantity: [`parse_quantity`] returns nano-units.
pub const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// The largest magnitude, in nano-units: (2^63-1)·10^9.
const MAX_NANOS: u128 = (i64::MAX as u128) * (NANOS_PER_UNIT as u128);

/// Longest quantity string accepted.
const MAX_LEN: usize = 1024;

/// Parse a quantity (`"100m"`, `"1.5Gi"`, `"1e3"`) into nano-units (10^-9),
/// so `"1"` is `1_000_000_000` and `"100m"` is `100_000_000`. `None` when
/// the API server would reject the string.
pub fn parse_quantity(s: &str) -> Option<i128> {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_LEN {
        return None;
    }
    let b = s.as_bytes();
    let (negative, mut pos) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    // Upstream returns zero as soon as only zeros remain ("", "0", "-000").
    if b[pos..].iter().all(|&c| c == b'0') {
        return Some(0);
    }
    let int_start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let int_digits = &b[int_start..pos];
    let mut frac_digits: &[u8] = &[];
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let frac_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        frac_digits = &b[frac_start..pos];
    }
    let (base2_exp, base10_exp) = suffix(&s[pos..])?;

    let mut n = Big::default();
    for &d in int_digits.iter().chain(frac_digits) {
        n.mul_add(10, u32::from(d - b'0'));
    }
    if n.is_zero() {
        return Some(0);
    }
    for _ in 0..base2_exp / 10 {
        n.mul_add(1024, 0);
    }
    // Value = n · 10^scale nano-units. Both loops stop early: n only grows
    // past the cap, or only shrinks to zero.
    let scale = i64::from(base10_exp) - frac_digits.len() as i64 + 9;
    let mut inexact = false;
    if scale >= 0 {
        for _ in 0..scale {
            if n.exceeds(MAX_NANOS) {
                break;
            }
            n.mul_add(10, 0);
        }
    } else {
        for _ in 0..scale.unsigned_abs() {
            if n.is_zero() {
                break;
            }
            if n.div_rem(10) != 0 {
                inexact = true;
            }
        }
    }
    let mut v = n.to_u128().map_or(MAX_NANOS, |v| v.min(MAX_NANOS));
    if inexact {
        v = (v + 1).min(MAX_NANOS);
    }
    // v <= MAX_NANOS < i128::MAX, so the conversion cannot fail.
    let v = i128::try_from(v).ok()?;
    Some(if negative { -v } else { v })
}

/// Interpret a suffix as (binary exponent, decimal exponent). `None` when the
/// suffix is malformed or unknown.
fn suffix(suf: &str) -> Option<(u32, i32)> {
    // Shape check, as upstream: [eEinumkKMGTP]* [+-]? [0-9]* and nothing else.
    let letters = suf
        .bytes()
        .take_while(|c| b"eEinumkKMGTP".contains(c))
        .count();
    let mut rest = &suf.as_bytes()[letters..];
    if let Some(b'+' | b'-') = rest.first() {
        rest = &rest[1..];
    }
    if !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let decimal = match suf {
        "n" => Some(-9),
        "u" => Some(-6),
        "m" => Some(-3),
        "" => Some(0),
        "k" => Some(3),
        "M" => Some(6),
        "G" => Some(9),
        "T" => Some(12),
        "P" => Some(15),
        "E" => Some(18),
        _ => None,
    };
    if let Some(e) = decimal {
        return Some((0, e));
    }
    let binary = match suf {
        "Ki" => Some(10),
        "Mi" => Some(20),
        "Gi" => Some(30),
        "Ti" => Some(40),
        "Pi" => Some(50),
        "Ei" => Some(60),
        _ => None,
    };
    if let Some(e) = binary {
        return Some((e, 0));
    }
    let exponent = suf.strip_prefix(['e', 'E'])?;
    if exponent.is_empty() {
        return None;
    }
    // Go: int32(strconv.ParseInt(s, 10, 64)) — parse as 64 bits, then wrap.
    let e: i64 = exponent.parse().ok()?;
    Some((0, e as i32))
}

/// Just enough unsigned bignum for exact parsing: little-endian 32-bit limbs.
#[derive(Default)]
struct Big(Vec<u32>);

impl Big {
    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    /// self = self · m + a
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// self = self / d, returning the remainder.
    fn div_rem(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem as u32
    }

    fn to_u128(&self) -> Option<u128> {
        let mut v: u128 = 0;
        for (i, &limb) in self.0.iter().enumerate() {
            if limb == 0 {
                continue;
            }
            if i >= 4 {
                return None;
            }
            v |= u128::from(limb) << (32 * i);
        }
        Some(v)
    }

    fn exceeds(&self, max: u128) -> bool {
        self.to_u128().is_none_or(|v| v > max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: i128 = NANOS_PER_UNIT;
    const GI: i128 = 1 << 30;

    #[test]
    fn table() {
        let cases: &[(&str, Option<i128>)] = &[
            // the brief's table
            ("100m", Some(N / 10)),
            ("0.1", Some(N / 10)),
            ("1", Some(N)),
            ("1Gi", Some(GI * N)),
            ("1G", Some(1_000_000_000 * N)),
            ("1e3", Some(1000 * N)),
            ("1.5Gi", Some(3 * (GI / 2) * N)),
            ("+1", Some(N)),
            ("1.2.3", None),
            ("abc", None),
            ("1Qi", None),
            // every suffix
            ("1n", Some(1)),
            ("1u", Some(1_000)),
            ("1m", Some(1_000_000)),
            ("1k", Some(1_000 * N)),
            ("1M", Some(1_000_000 * N)),
            ("1T", Some(1_000_000_000_000 * N)),
            ("1P", Some(1_000_000_000_000_000 * N)),
            ("1E", Some(1_000_000_000_000_000_000 * N)),
            ("1Ki", Some(1024 * N)),
            ("1Mi", Some((1 << 20) * N)),
            ("1Ti", Some((1 << 40) * N)),
            ("1Pi", Some((1 << 50) * N)),
            ("1Ei", Some((1 << 60) * N)),
            // exponents
            ("1E3", Some(1000 * N)),
            ("1e+3", Some(1000 * N)),
            ("1e-3", Some(N / 1000)),
            ("1.5e3", Some(1500 * N)),
            ("2e0", Some(2 * N)),
            // signs, fractions, zeros
            ("-1", Some(-N)),
            ("-1.5Ki", Some(-1536 * N)),
            ("0", Some(0)),
            ("000", Some(0)),
            ("-0", Some(0)),
            ("0.000", Some(0)),
            ("0Gi", Some(0)),
            ("1.", Some(N)),
            (".5", Some(N / 2)),
            ("007", Some(7 * N)),
            ("128974848", Some(128_974_848 * N)),
            ("129e6", Some(129_000_000 * N)),
            ("123Mi", Some(123 * (1 << 20) * N)),
            // whitespace is trimmed, as the JSON decoder does
            (" 1Gi ", Some(GI * N)),
            // rounding up to 10^-9, away from zero
            ("0.5n", Some(1)),
            ("1.1n", Some(2)),
            ("0.0000000001", Some(1)),
            ("-0.0000000001", Some(-1)),
            ("1e-100", Some(1)),
            ("0.0000000001Ki", Some(103)), // 102.4 nano-units
            // the cap: 2^63-1 units
            ("8Ei", Some(i64::MAX as i128 * N)),
            ("1e100", Some(i64::MAX as i128 * N)),
            ("-1e100", Some(-(i64::MAX as i128) * N)),
            ("9223372036854775807", Some(i64::MAX as i128 * N)),
            ("9223372036854775808", Some(i64::MAX as i128 * N)),
            // upstream quirks: no digits means zero
            ("+", Some(0)),
            ("-", Some(0)),
            (".", Some(0)),
            ("Ki", Some(0)),
            ("m", Some(0)),
            // invalid
            ("", None),
            ("   ", None),
            ("1e", None),
            ("1e+", None),
            ("1ee3", None),
            ("1ki", None),
            ("1K", None),
            ("1i", None),
            ("1Mi5", None),
            ("1e3x", None),
            ("1 Gi", None),
            ("1,5", None),
            ("--1", None),
            ("0x10", None),
            ("1e99999999999999999999", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_quantity(s), *want, "{s:?}");
        }
    }

    #[test]
    fn exponent_wraps_like_go_int32() {
        // 4294967296 wraps to 0 in 32 bits, so this is 1 (upstream does the same).
        assert_eq!(parse_quantity("1e4294967296"), Some(N));
    }

    #[test]
    fn long_inputs_are_bounded() {
        let long_fraction = format!("0.{}1", "0".repeat(1000));
        assert_eq!(parse_quantity(&long_fraction), Some(1));
        let too_long = "1".repeat(MAX_LEN + 1);
        assert_eq!(parse_quantity(&too_long), None);
        let big = "9".repeat(MAX_LEN);
        assert_eq!(parse_quantity(&big), Some(i64::MAX as i128 * N));
    }

    #[test]
    fn equal_values_in_different_forms_compare_equal() {
        for (a, b) in [
            ("1", "1000m"),
            ("1Gi", "1073741824"),
            ("0.5", "500m"),
            ("1k", "1e3"),
            ("1Ki", "1.024k"),
        ] {
            assert_eq!(parse_quantity(a), parse_quantity(b), "{a} vs {b}");
        }
    }
}
