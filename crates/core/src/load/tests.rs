//! Tests of the loader: kubectl's reading rules, positions, limits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;
use crate::path::PathSeg;

fn docs(src: &str) -> Vec<Result<Document, LoadError>> {
    load(src.as_bytes(), &Limits::default())
}

fn one(src: &str) -> Document {
    let mut d = docs(src);
    assert_eq!(d.len(), 1, "expected one document in {src:?}: {d:?}");
    d.remove(0).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn value(src: &str) -> Value {
    one(src).value
}

fn err(src: &str) -> LoadError {
    let d = docs(src);
    d.into_iter()
        .find_map(Result::err)
        .unwrap_or_else(|| panic!("expected an error for {src:?}"))
}

fn path(segs: &[&str]) -> Vec<PathSeg> {
    segs.iter()
        .map(|s| match s.parse::<usize>() {
            Ok(i) => PathSeg::Index(i),
            Err(_) => PathSeg::Key(s.to_string().into()),
        })
        .collect()
}

fn at(d: &Document, segs: &[&str]) -> Option<(u32, u32)> {
    d.positions.get(&path(segs)).map(|p| (p.line, p.column))
}

// ---------------------------------------------------------------- scalars

#[test]
fn yaml11_scalars_like_go_yaml_v2() {
    let cases: &[(&str, Value)] = &[
        ("yes", json!(true)),
        ("no", json!(false)),
        ("on", json!(true)),
        ("off", json!(false)),
        ("y", json!(true)),
        ("n", json!(false)),
        ("true", json!(true)),
        ("True", json!(true)),
        ("TRUE", json!(true)),
        ("0777", json!(511)),
        // Go's base-0 ParseInt accepts 0o since Go 1.13, and v2 uses it.
        ("0o777", json!(511)),
        ("0x1F", json!(31)),
        ("1_000", json!(1000)),
        ("0b101", json!(5)),
        ("1:30", json!("1:30")),
        ("~", json!(null)),
        ("1e3", json!(1000)),
        ("null", json!(null)),
        ("", json!(null)),
        ("-0x10", json!(-16)),
        ("+12", json!(12)),
        ("1.5", json!(1.5)),
        ("80.0", json!(80)),
        ("0778", json!(778)),
        ("Yes", json!(true)),
        ("yEs", json!("yEs")),
        ("2001-12-14", json!("2001-12-14")),
        ("'yes'", json!("yes")),
        ("\"0777\"", json!("0777")),
        ("!!str 0777", json!("0777")),
        ("!!int '12'", json!(12)),
        ("!!float 1", json!(1)),
        ("!custom 12", json!("12")),
        ("|\n  yes\n", json!("yes\n")),
        (
            "18446744073709551615",
            json!(18_446_744_073_709_551_615_u64),
        ),
        ("99999999999999999999", json!(1e20)),
        ("1e400", json!("1e400")),
        ("12abc", json!("12abc")),
    ];
    for (text, want) in cases {
        let v = value(&format!("v: {text}\n"));
        assert_eq!(&v["v"], want, "v: {text}");
        // Exact number kinds: integers must not become floats and back.
        assert_eq!(v["v"].is_f64(), want.is_f64(), "number kind of {text}");
    }
}

/// YAML floats become the number Go's `json.Marshal` writes for the float64
/// go-yaml v2 produced, because that is the JSON kubectl sends: `1e3` is the
/// integer literal `1000` there, so it must be an integer here (an `int32`
/// field such as `hostPort` accepts it), while `1.5e3`-style fractions and
/// exponent forms stay floats.
#[test]
fn integral_floats_are_integers() {
    let v = value("v: 1e3\n");
    assert_eq!(v["v"].as_i64(), Some(1000));
    assert!(!v["v"].is_f64());
    let v = value("v: 1.5e3\n");
    assert_eq!(v["v"].as_i64(), Some(1500));
    let v = value("v: 1.25\n");
    assert!(v["v"].is_f64());
}

/// The JSON that sigs.k8s.io/yaml's `YAMLToJSON` returned for each input,
/// and whether Go's `encoding/json` then decoded that JSON into a struct
/// field of type `int32` and of type `int64` (what the API server's typed
/// decoding does with `hostPort`, `runAsUser`, ...). Run with Debian
/// bookworm's golang-k8s-sigs-yaml-dev 1.3.0 over golang-gopkg-yaml.v2-dev
/// 2.4.0 and golang-go 1.19 (November 2026). Go writes a float64 as
/// `strconv.FormatFloat(f, 'f', -1, 64)` when `1e-6 <= |f| < 1e21` and in
/// exponent form otherwise; its integer decoding accepts only a plain
/// integer literal in range (not `80.5`, not `1e+21`).
#[rustfmt::skip]
const GO_YAML_FLOATS: &[(&str, Result<&str, &str>, bool, bool)] = &[
    ("v: 80.0\n", Ok("{\"v\":80}"), true, true),
    ("v: 80.\n", Ok("{\"v\":80}"), true, true),
    ("v: 8e1\n", Ok("{\"v\":80}"), true, true),
    ("v: 8.0e1\n", Ok("{\"v\":80}"), true, true),
    ("v: 80.5\n", Ok("{\"v\":80.5}"), false, false),
    ("v: 1e21\n", Ok("{\"v\":1e+21}"), false, false),
    ("v: 1e20\n", Ok("{\"v\":100000000000000000000}"), false, false),
    ("v: 123456789012345678901234.0\n", Ok("{\"v\":1.2345678901234569e+23}"), false, false),
    ("v: -0.0\n", Ok("{\"v\":-0}"), true, true),
    ("v: 0.0\n", Ok("{\"v\":0}"), true, true),
    ("v: 1_000.0\n", Ok("{\"v\":1000}"), true, true),
    ("v: .5\n", Ok("{\"v\":0.5}"), false, false),
    ("v: 1e-7\n", Ok("{\"v\":1e-7}"), false, false),
    ("v: 100000000000000000000.0\n", Ok("{\"v\":100000000000000000000}"), false, false),
    ("v: 9007199254740993.0\n", Ok("{\"v\":9007199254740992}"), false, true),
    ("v: 0x50\n", Ok("{\"v\":80}"), true, true),
    ("v: 080.0\n", Ok("{\"v\":80}"), true, true),
    ("v: !!float 80\n", Ok("{\"v\":80}"), true, true),
    ("v: -80.0\n", Ok("{\"v\":-80}"), true, true),
    ("v: +80.0\n", Ok("{\"v\":80}"), true, true),
    ("v: 1e3\n", Ok("{\"v\":1000}"), true, true),
    ("v: 1e+2\n", Ok("{\"v\":100}"), true, true),
    ("v: 1E2\n", Ok("{\"v\":100}"), true, true),
    ("v: .5e1\n", Ok("{\"v\":5}"), true, true),
    ("v: 0778\n", Ok("{\"v\":778}"), true, true),
    ("v: !!float \"80.0\"\n", Ok("{\"v\":80}"), true, true),
    ("v: !!float 1e2\n", Ok("{\"v\":100}"), true, true),
    ("v: 2147483647.0\n", Ok("{\"v\":2147483647}"), true, true),
    ("v: 2147483648.0\n", Ok("{\"v\":2147483648}"), false, true),
    ("v: -2147483648.0\n", Ok("{\"v\":-2147483648}"), true, true),
    ("v: -2147483649.0\n", Ok("{\"v\":-2147483649}"), false, true),
    ("v: 9223372036854775807.0\n", Ok("{\"v\":9223372036854776000}"), false, false),
    ("v: 18446744073709551616.0\n", Ok("{\"v\":18446744073709552000}"), false, false),
    ("v: 1152921504606846976.0\n", Ok("{\"v\":1152921504606847000}"), false, true),
    ("v: 99999999999999999999\n", Ok("{\"v\":100000000000000000000}"), false, false),
    ("v: -1e19\n", Ok("{\"v\":-10000000000000000000}"), false, false),
    ("v: 1.5e300\n", Ok("{\"v\":1.5e+300}"), false, false),
    ("v: 0.000001\n", Ok("{\"v\":0.000001}"), false, false),
    ("v: 0.0000001\n", Ok("{\"v\":1e-7}"), false, false),
    ("v: 3.0000000000000004\n", Ok("{\"v\":3.0000000000000004}"), false, false),
    ("v: 1e400\n", Ok("{\"v\":\"1e400\"}"), false, false),
    ("v: \"80.0\"\n", Ok("{\"v\":\"80.0\"}"), false, false),
    ("v: !!int 80.0\n", Err("yaml: cannot decode !!float `80.0` as a !!int"), false, false),
];

/// Go's JSON text as a JSON reader takes it, except that `-0` (which
/// serde_json reads as the float -0.0) is the integer 0: Go's integer
/// decoding accepts `-0`, so podgate's value must decode into `i32` too.
fn go_json(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap();
    if let Some(obj) = v.as_object_mut() {
        for x in obj.values_mut() {
            if x.as_f64() == Some(0.0) && x.is_f64() {
                *x = json!(0);
            }
        }
    }
    v
}

#[test]
fn floats_match_go_yaml_v2_and_encoding_json() {
    for (src, want, int32_ok, int64_ok) in GO_YAML_FLOATS {
        let got = docs(src);
        let got = got
            .first()
            .unwrap_or_else(|| panic!("{src:?}: no document"));
        match (want, got) {
            (Ok(want), Ok(d)) => {
                let want = go_json(want);
                assert_eq!(d.value, want, "{src:?}");
                // Same number kind: an integer literal in Go's JSON must be
                // an integer here, or serde's integer decoding rejects it.
                assert_eq!(d.value["v"].is_f64(), want["v"].is_f64(), "{src:?}");
                let v = &d.value["v"];
                assert_eq!(
                    serde_json::from_value::<i32>(v.clone()).is_ok(),
                    *int32_ok,
                    "{src:?} as i32"
                );
                assert_eq!(
                    serde_json::from_value::<i64>(v.clone()).is_ok(),
                    *int64_ok,
                    "{src:?} as i64"
                );
            }
            (Err(want), Err(e)) => {
                assert_eq!(
                    want.strip_prefix("yaml: "),
                    Some(e.message.as_str()),
                    "{src:?}"
                );
            }
            (want, got) => panic!("{src:?}: want {want:?}, got {got:?}"),
        }
    }
}

/// Float mapping keys, from the same Go runs: sigs.k8s.io/yaml spells them
/// with `strconv.FormatFloat(f, 'g', -1, 32)`, not as JSON numbers, and
/// turns float32 overflow into `.inf`.
const GO_YAML_FLOAT_KEYS: &[(&str, &str)] = &[
    ("80.0: x\n", "{\"80\":\"x\"}"),
    ("1.5e300: x\n", "{\".inf\":\"x\"}"),
    ("-1.5e300: x\n", "{\"-.inf\":\"x\"}"),
    ("1e-7: x\n", "{\"1e-07\":\"x\"}"),
    ("2147483648.0: x\n", "{\"2.1474836e+09\":\"x\"}"),
    ("-0.0: x\n", "{\"-0\":\"x\"}"),
    ("1e21: x\n", "{\"1e+21\":\"x\"}"),
    ("3.0000000000000004: x\n", "{\"3\":\"x\"}"),
];

#[test]
fn float_keys_match_go_yaml_v2() {
    for (src, want) in GO_YAML_FLOAT_KEYS {
        let want: Value = serde_json::from_str(want).unwrap();
        assert_eq!(value(src), want, "{src:?}");
    }
}

#[test]
fn infinity_and_nan_are_errors_as_in_kubectl() {
    for text in [".inf", "-.Inf", ".nan", "!!float .INF"] {
        let e = err(&format!("a: 1\nv: {text}\n"));
        assert_eq!((e.line, e.column), (2, 4), "{text}");
        assert!(
            e.message.contains("cannot be represented in JSON"),
            "{}",
            e.message
        );
    }
}

#[test]
fn tag_mismatch_is_an_error() {
    let e = err("v: !!int abc\n");
    assert_eq!(e.message, "cannot decode !!str `abc` as a !!int");
    assert_eq!((e.line, e.column), (1, 4));
}

#[test]
fn non_string_keys_become_strings() {
    let v = value("1: a\ntrue: b\n1.5: c\n0x10: d\nno: e\n1e6: f\n");
    assert_eq!(
        v,
        json!({"1": "a", "true": "b", "1.5": "c", "16": "d", "false": "e", "1e+06": "f"})
    );
    // The YAML 1.1 classic: the key `y` is the boolean true.
    assert_eq!(value("x: 1\ny: 2\n"), json!({"x": 1, "true": 2}));
}

#[test]
fn null_and_complex_keys_are_errors() {
    let e = err("~: x\n");
    assert!(e.message.contains("null mapping key"), "{}", e.message);
    let e = err("? [a, b]\n: x\n");
    assert!(
        e.message.contains("cannot be used as a mapping key"),
        "{}",
        e.message
    );
    assert_eq!(e.line, 1);
}

// ---------------------------------------------------------- anchors, merge

#[test]
fn anchors_and_aliases() {
    let v = value("base: &b\n  x: 1\n  l: [a, b]\ncopy: *b\nname: &n hello\nagain: *n\n");
    assert_eq!(v["copy"], json!({"x": 1, "l": ["a", "b"]}));
    assert_eq!(v["again"], json!("hello"));
}

#[test]
fn merge_keys_apply_in_document_order() {
    // go-yaml v2 writes a `<<` entry's keys where the `<<` stands: it
    // replaces explicit keys above it, and explicit keys below replace it.
    let src = "\
base: &base
  privileged: true
  runAsUser: 0
over:
  runAsUser: 1000
  <<: *base
under:
  <<: *base
  runAsUser: 1000
";
    let d = one(src);
    assert_eq!(d.value["over"], json!({"privileged": true, "runAsUser": 0}));
    assert_eq!(
        d.value["under"],
        json!({"privileged": true, "runAsUser": 1000})
    );
    // Each key points at the text its value came from.
    assert_eq!(at(&d, &["over", "privileged"]), Some((2, 3)));
    assert_eq!(at(&d, &["over", "runAsUser"]), Some((3, 3)));
    assert_eq!(at(&d, &["under", "privileged"]), Some((2, 3)));
    assert_eq!(at(&d, &["under", "runAsUser"]), Some((9, 3)));
}

/// What sigs.k8s.io/yaml's `YAMLToJSON` (kubectl's reading; go-yaml v2
/// non-strict) returned for each input, run with Debian bookworm's
/// golang-k8s-sigs-yaml-dev 1.3.0 over golang-gopkg-yaml.v2-dev 2.4.0
/// (November 2026). Left out: explicit duplicate keys (kubectl keeps the
/// last; podgate reports an error, see `duplicate_keys_are_errors_with_lines`)
/// and `true: a` merged with `"true": b`, whose JSON depends on Go's map
/// order (podgate keeps the later write, one of kubectl's two results).
const GO_YAML_MERGES: &[(&str, &str, Result<&str, &str>)] = &[
    ("explicit-before-merge", "a: 1\n<<: {a: 2, b: 3}\n", Ok("{\"a\":2,\"b\":3}")),
    ("merge-before-explicit", "<<: {a: 2, b: 3}\na: 1\n", Ok("{\"a\":1,\"b\":3}")),
    ("two-merge-keys", "<<: {a: 1}\n<<: {a: 2, c: 4}\n", Ok("{\"a\":2,\"c\":4}")),
    ("two-merge-keys-disjoint", "<<: {a: 1}\n<<: {c: 4}\n", Ok("{\"a\":1,\"c\":4}")),
    ("merge-list", "<<: [{a: 1}, {a: 2, b: 2}]\n", Ok("{\"a\":1,\"b\":2}")),
    ("merge-list-disjoint", "<<: [{a: 1}, {b: 2}]\n", Ok("{\"a\":1,\"b\":2}")),
    ("anchor-explicit-first", "base: &b {privileged: true}\nsc:\n  privileged: false\n  <<: *b\n", Ok("{\"base\":{\"privileged\":true},\"sc\":{\"privileged\":true}}")),
    ("anchor-merge-first", "base: &b {privileged: true}\nsc:\n  <<: *b\n  privileged: false\n", Ok("{\"base\":{\"privileged\":true},\"sc\":{\"privileged\":false}}")),
    ("alias-list", "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n  b: 3\n", Ok("{\"true\":{\"a\":2,\"b\":2},\"x\":{\"a\":1},\"z\":{\"a\":1,\"b\":3}}")),
    ("alias-list-explicit-first", "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  b: 3\n  <<: [*x, *y]\n", Ok("{\"true\":{\"a\":2,\"b\":2},\"x\":{\"a\":1},\"z\":{\"a\":1,\"b\":2}}")),
    ("merge-scalar", "<<: 1\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-list-scalar", "<<: [1]\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-null", "<<: null\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-empty", "<<:\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-alias-to-scalar", "s: &s 1\nm:\n  <<: *s\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-alias-to-seq", "s: &s [{a: 1}]\nm:\n  <<: *s\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("merge-nested-seq", "<<: [[{a: 1}]]\n", Err("yaml: map merge requires map or sequence of maps as the value")),
    ("tagged-merge", "!!merge <<: {a: 1}\n", Ok("{\"a\":1}")),
    ("tagged-merge-explicit-first", "a: 2\n!!merge <<: {a: 1}\n", Ok("{\"a\":1}")),
    ("quoted-merge-single", "'<<': {a: 1}\n", Ok("{\"<<\":{\"a\":1}}")),
    ("quoted-merge-double", "\"<<\": {a: 1}\n", Ok("{\"<<\":{\"a\":1}}")),
    ("str-tagged-merge", "!!str <<: {a: 1}\n", Ok("{\"<<\":{\"a\":1}}")),
    ("seq-item-merge", "items:\n- a: 1\n  <<: {a: 2}\n- <<: {a: 3}\n  a: 4\n", Ok("{\"items\":[{\"a\":2},{\"a\":4}]}")),
    ("k8s-privileged-flow", "securityContext: {privileged: false, <<: {privileged: true}}\n", Ok("{\"securityContext\":{\"privileged\":true}}")),
    ("k8s-pod", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    securityContext:\n      privileged: false\n      <<: {privileged: true}\n", Ok("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"image\":\"i\",\"name\":\"c\",\"securityContext\":{\"privileged\":true}}]}}")),
    ("merge-nested-map-not-deep", "<<: {sc: {a: 1, b: 1}}\nsc: {a: 2}\n", Ok("{\"sc\":{\"a\":2}}")),
    ("merge-nested-map-explicit-first", "sc: {a: 2}\n<<: {sc: {a: 1, b: 1}}\n", Ok("{\"sc\":{\"a\":1,\"b\":1}}")),
    ("merge-self-alias-nested", "a: &a {x: 1, <<: {x: 2}}\nb:\n  <<: *a\n", Ok("{\"a\":{\"x\":2},\"b\":{\"x\":2}}")),
    ("merge-int-key-conflict", "1: a\n<<: {1: b}\n", Ok("{\"1\":\"b\"}")),
    ("merge-key-in-merge-source", "<<: {<<: {a: 1}, b: 2}\n", Ok("{\"a\":1,\"b\":2}")),
    ("merge-as-value", "a: <<\n", Ok("{\"a\":\"<<\"}")),
    ("merge-empty-map", "a: 1\n<<: {}\n", Ok("{\"a\":1}")),
    ("merge-complex-key-explicit", "? <<\n: {a: 1}\n", Ok("{\"a\":1}")),
    ("alias-list-p-q", "p: &p {a: 1}\nq: &q {a: 2, b: 2}\nz:\n  <<: [*p, *q]\n  b: 3\n", Ok("{\"p\":{\"a\":1},\"q\":{\"a\":2,\"b\":2},\"z\":{\"a\":1,\"b\":3}}")),
    ("alias-list-p-q-explicit-first", "p: &p {a: 1}\nq: &q {a: 2, b: 2}\nz:\n  b: 3\n  <<: [*p, *q]\n", Ok("{\"p\":{\"a\":1},\"q\":{\"a\":2,\"b\":2},\"z\":{\"a\":1,\"b\":2}}")),
    ("tagged-quoted-merge", "!!merge \"<<\": {a: 1}\n", Ok("{\"a\":1}")),
    ("tagged-quoted-merge-explicit-first", "a: 2\n!!merge '<<': {a: 1}\n", Ok("{\"a\":1}")),
    ("merge-then-explicit-then-merge", "<<: {a: 1}\na: 2\n<<: {a: 3}\n", Ok("{\"a\":3}")),
    ("explicit-merge-explicit", "a: 1\n<<: {a: 2}\nb: 1\n", Ok("{\"a\":2,\"b\":1}")),
    ("two-merge-explicit-first", "a: 0\n<<: {a: 1}\n<<: {a: 2}\n", Ok("{\"a\":2}")),
    ("merge-overrides-nonstring-json-collision", "1: x\n<<: {\"1\": y}\n", Ok("{\"1\":true}")),
];

#[test]
fn merge_keys_match_go_yaml_v2() {
    for (name, src, want) in GO_YAML_MERGES {
        let got = docs(src);
        let got = got.first().unwrap_or_else(|| panic!("{name}: no document"));
        match (want, got) {
            (Ok(want), Ok(d)) => {
                let want: Value = serde_json::from_str(want).unwrap();
                assert_eq!(d.value, want, "{name}: {src:?}");
            }
            (Err(want), Err(e)) => {
                assert!(want.contains("map merge requires"), "{name}: {want}");
                assert!(
                    e.message.starts_with("map merge requires a mapping"),
                    "{name}: {src:?}: {}",
                    e.message
                );
            }
            (want, got) => panic!("{name}: {src:?}: want {want:?}, got {got:?}"),
        }
    }
}

/// A pod that sets `privileged: false` and then merges `privileged: true`
/// is privileged for kubectl, so it must be for podgate.
#[test]
fn a_later_merge_cannot_hide_privileged() {
    for sc in [
        "privileged: false\n      <<: {privileged: true}",
        "privileged: false\n      !!merge \"<<\": {privileged: true}",
        "privileged: false\n      <<: [{privileged: true}, {privileged: false}]",
    ] {
        let src = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: i\n    securityContext:\n      {sc}\n"
        );
        let d = one(&src);
        assert_eq!(
            d.value["spec"]["containers"][0]["securityContext"]["privileged"],
            json!(true),
            "{src}"
        );
        assert_eq!(
            at(
                &d,
                &["spec", "containers", "0", "securityContext", "privileged"]
            )
            .map(|p| p.0),
            Some(10),
            "{src}"
        );
    }
}

#[test]
fn merge_list_earlier_maps_win() {
    let src = "\
a: &a {x: 1, v: 1}
b: &b {x: 2, z: 2}
c:
  <<: [*a, *b]
  w: 0
";
    let v = value(src);
    assert_eq!(v["c"], json!({"x": 1, "v": 1, "z": 2, "w": 0}));
}

#[test]
fn merge_of_inline_map_and_nested_merge() {
    let src = "\
a: &a
  <<: {p: 1}
  q: 2
b:
  <<: *a
";
    let d = one(src);
    assert_eq!(d.value["b"], json!({"p": 1, "q": 2}));
    assert_eq!(at(&d, &["b", "p"]), Some((2, 8)));
}

#[test]
fn merge_requires_maps() {
    let e = err("a: &a 1\nb:\n  <<: *a\n");
    assert!(e.message.contains("map merge requires"), "{}", e.message);
    assert_eq!(e.line, 3);
    let e = err("b:\n  <<: [1]\n");
    assert!(e.message.contains("map merge requires"), "{}", e.message);
    // A list must be written in place: an alias to one is refused.
    let e = err("s: &s [{a: 1}]\nm:\n  <<: *s\n");
    assert!(e.message.contains("map merge requires"), "{}", e.message);
    assert_eq!(e.line, 3);
}

#[test]
fn quoted_merge_key_is_a_plain_key() {
    let v = value("a:\n  '<<': {x: 1}\n");
    assert_eq!(v["a"], json!({"<<": {"x": 1}}));
}

#[test]
fn recursive_alias_is_an_error() {
    let e = err("a: &a\n  b: *a\n");
    assert!(e.message.contains("contains it"), "{}", e.message);
    assert_eq!((e.line, e.column), (2, 6));
}

// ------------------------------------------------------------ duplicate keys

#[test]
fn duplicate_keys_are_errors_with_lines() {
    let e = err("metadata:\n  name: a\n  labels: {}\n  name: b\n");
    assert_eq!(e.message, "mapping key \"name\" already defined at line 2");
    assert_eq!((e.line, e.column), (4, 3));
    // Lines are absolute in multi-document files.
    let e = err("a: 1\n---\nx: 1\ny: 2\nx: 3\n");
    assert_eq!(e.message, "mapping key \"x\" already defined at line 3");
    assert_eq!(e.line, 5);
    assert_eq!(e.document, Some(1));
    // Keys equal after stringification are duplicates too.
    let e = err("1: a\n'1': b\n");
    assert_eq!(e.message, "mapping key \"1\" already defined at line 1");
    // An explicit key after a merge replaces the merged value (go-yaml), but
    // two explicit ones are still a duplicate.
    let e = err("<<: {x: 0}\nx: 1\nx: 2\n");
    assert_eq!(e.message, "mapping key \"x\" already defined at line 2");
    assert_eq!(e.line, 3);
}

#[test]
fn merged_key_equal_to_explicit_is_not_a_duplicate() {
    let v = value("b: &b {x: 1}\nc:\n  x: 2\n  <<: *b\nd:\n  <<: *b\n  x: 2\n");
    assert_eq!(v["c"], json!({"x": 1}));
    assert_eq!(v["d"], json!({"x": 2}));
}

// ----------------------------------------------------------------- positions

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
        - name: side
          image: busybox
";

#[test]
fn positions_of_keys_and_items() {
    let d = one(DEPLOY);
    assert_eq!(d.line, 1);
    assert_eq!(at(&d, &[]), Some((1, 1)));
    assert_eq!(at(&d, &["kind"]), Some((2, 1)));
    assert_eq!(at(&d, &["metadata", "name"]), Some((4, 3)));
    let c = ["spec", "template", "spec", "containers"];
    assert_eq!(at(&d, &c), Some((8, 7)));
    assert_eq!(at(&d, &[&c[..], &["0"]].concat()), Some((9, 11)));
    assert_eq!(at(&d, &[&c[..], &["1"]].concat()), Some((13, 11)));
    assert_eq!(
        at(
            &d,
            &[&c[..], &["0", "securityContext", "privileged"]].concat()
        ),
        Some((12, 13))
    );
    assert_eq!(at(&d, &[&c[..], &["1", "image"]].concat()), Some((14, 11)));
    // Absent paths.
    assert_eq!(at(&d, &[&c[..], &["2"]].concat()), None);
    assert_eq!(at(&d, &["kind", "x"]), None);
    assert_eq!(at(&d, &["spec", "0"]), None);
    let missing = path(&[
        "spec",
        "template",
        "spec",
        "containers",
        "1",
        "securityContext",
        "x",
    ]);
    assert_eq!(d.positions.get(&missing), None);
    assert_eq!(
        d.positions.nearest(&missing),
        Pos {
            line: 13,
            column: 11
        }
    );
    assert_eq!(d.positions.nearest(&[]), Pos { line: 1, column: 1 });
}

#[test]
fn positions_in_big_maps_use_sorted_lookup() {
    let mut src = String::from("m:\n");
    for i in (0..40).rev() {
        src.push_str(&format!("  k{i}: {i}\n"));
    }
    let d = one(&src);
    for i in 0..40u32 {
        let k = format!("k{i}");
        assert_eq!(at(&d, &["m", &k]), Some((41 - i, 3)), "{k}");
    }
    assert_eq!(at(&d, &["m", "k40"]), None);
}

#[test]
fn positions_are_absolute_in_multi_document_files() {
    let src = format!("# leading comment\n---\n{DEPLOY}---\n\n---\n{DEPLOY}");
    let d = docs(&src);
    assert_eq!(d.len(), 2);
    let first = d[0].as_ref().unwrap();
    let second = d[1].as_ref().unwrap();
    assert_eq!((first.index, first.line), (0, 3));
    assert_eq!((second.index, second.line), (1, 20));
    assert_eq!(at(first, &["metadata", "name"]), Some((6, 3)));
    assert_eq!(at(second, &["metadata", "name"]), Some((23, 3)));
    assert_eq!(
        at(
            second,
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "0",
                "securityContext",
                "privileged"
            ]
        ),
        Some((31, 13))
    );
}

#[test]
fn positions_inside_aliases_point_at_the_anchor() {
    let src = "\
a: &sc
  privileged: true
b:
  sc: *sc
";
    let d = one(src);
    assert_eq!(at(&d, &["b", "sc"]), Some((4, 3)));
    assert_eq!(at(&d, &["b", "sc", "privileged"]), Some((2, 3)));
}

#[test]
fn positions_of_merged_keys_in_later_documents() {
    let src = "x: 1\n---\nbase: &b\n  hostPID: true\npod:\n  <<: *b\n";
    let d = docs(src);
    let second = d[1].as_ref().unwrap();
    assert_eq!(second.value["pod"], json!({"hostPID": true}));
    assert_eq!(at(second, &["pod", "hostPID"]), Some((4, 3)));
    assert_eq!(at(second, &["pod"]), Some((5, 1)));
}

#[test]
fn columns_count_characters() {
    let d = one("é: {ü: 1, k: 2}\n");
    assert_eq!(at(&d, &["é", "k"]), Some((1, 11)));
}

// --------------------------------------------------------------------- JSON

#[test]
fn json_with_positions() {
    let src = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\"containers\": [\n    {\"name\": \"a\", \"n\": 1, \"f\": 1.5, \"b\": true, \"z\": null}\n  ]}\n}\n";
    let d = one(src);
    assert_eq!(
        d.value,
        json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "n": 1, "f": 1.5, "b": true, "z": null}]}})
    );
    assert!(d.value["spec"]["containers"][0]["n"].is_i64());
    assert_eq!(at(&d, &["kind"]), Some((2, 3)));
    assert_eq!(at(&d, &["spec", "containers"]), Some((3, 12)));
    assert_eq!(at(&d, &["spec", "containers", "0"]), Some((4, 5)));
    assert_eq!(at(&d, &["spec", "containers", "0", "f"]), Some((4, 27)));
}

/// A JSON float is re-encoded as Go's `json.Marshal` writes the float64
/// kubectl's unstructured decoding gives (Go 1.19: `{"v":80.0}` decoded
/// into `interface{}` and marshaled is `{"v":80}`, `1e2` is `100`).
#[test]
fn json_integral_floats_are_integers() {
    let v = value("{\"a\": 80.0, \"b\": 1e2, \"c\": 80.5, \"d\": 1e21}");
    assert_eq!(v, json!({"a": 80, "b": 100, "c": 80.5, "d": 1e21}));
    assert!(v["a"].is_i64() && v["b"].is_i64());
    assert!(v["c"].is_f64() && v["d"].is_f64());
}

#[test]
fn json_concatenated_documents_and_arrays() {
    let d = docs("{\"a\": 1}\n{\"b\": \"x\\u00e9\\ud83d\\ude00\\n\"} [1, 2]\n");
    assert_eq!(d.len(), 3);
    assert_eq!(d[1].as_ref().unwrap().value, json!({"b": "xé😀\n"}));
    assert_eq!(d[1].as_ref().unwrap().line, 2);
    assert_eq!(d[2].as_ref().unwrap().value, json!([1, 2]));
    assert_eq!(at(d[2].as_ref().unwrap(), &["1"]), Some((2, 36)));
}

#[test]
fn json_errors_have_positions() {
    let e = err("{\"a\": 1,\n \"b\" 2}");
    assert_eq!((e.line, e.column), (2, 6));
    assert!(e.message.contains("expected ':'"), "{}", e.message);
    let e = err("{\"a\": 1, \"a\": 2}");
    assert_eq!(e.message, "mapping key \"a\" already defined at line 1");
    let e = err("[1e999]");
    assert!(e.message.contains("out of range"), "{}", e.message);
    let e = err("{\"a\": tru}");
    assert_eq!((e.line, e.column), (1, 7));
    // A good document before a broken one is kept.
    let d = docs("{\"a\": 1} {\"b\": }");
    assert!(d[0].is_ok());
    assert!(d[1].is_err());
}

// ----------------------------------------------------------- stream hygiene

#[test]
fn empty_documents_comments_and_document_end() {
    let src = "# only a comment\n---\n---\n# c\n...\n---\na: 1\n...\n---\n~\n---\nb: 2 # c\n";
    let d = docs(src);
    let vals: Vec<(usize, u32, Value)> = d
        .into_iter()
        .map(|r| {
            let d = r.unwrap();
            (d.index, d.line, d.value)
        })
        .collect();
    assert_eq!(
        vals,
        vec![(0, 7, json!({"a": 1})), (1, 12, json!({"b": 2}))]
    );
    assert!(docs("").is_empty());
    assert!(docs("\n# nothing\n").is_empty());
}

#[test]
fn document_end_marker_without_separator() {
    let d = docs("a: 1\n...\nb: 2\n");
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].as_ref().unwrap().value, json!({"b": 2}));
    assert_eq!(d[1].as_ref().unwrap().line, 3);
}

#[test]
fn directives_stay_with_their_document() {
    let d = docs("%YAML 1.1\n---\na: yes\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].as_ref().unwrap().value, json!({"a": true}));
}

#[test]
fn bom_is_skipped() {
    let d = one("\u{feff}a: 1\nb: 2\n");
    assert_eq!(d.value, json!({"a": 1, "b": 2}));
    assert_eq!(at(&d, &["b"]), Some((2, 1)));
    let d = one("\u{feff}{\"a\": 1}");
    assert_eq!(d.value, json!({"a": 1}));
}

/// UTF-16 with a byte-order mark (Windows PowerShell 5's `>`) is read as
/// kubectl reads it, with the lines and columns of the text (trial finding 12).
#[test]
fn utf16_with_a_bom_is_decoded_with_positions() {
    let utf16 = |text: &str, little: bool| -> Vec<u8> {
        let mut out = if little {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in text.encode_utf16() {
            out.extend(if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        out
    };
    let yaml = "a: 1\r\n---\n# ü😀\nb: {c: \"😀x\", d: 2}\n";
    for little in [true, false] {
        let d = load(&utf16(yaml, little), &Limits::default());
        assert_eq!(d.len(), 2, "{d:?}");
        let b = d[1].as_ref().unwrap();
        assert_eq!(b.value, json!({"b": {"c": "😀x", "d": 2}}));
        assert_eq!(at(b, &["b", "d"]), Some((4, 14)));
        let j = one_of(&utf16("{\"a\": [1]}", little));
        assert_eq!(j.value, json!({"a": [1]}));
    }
    // An unpaired surrogate and an odd byte count are errors at their place.
    let mut bad = utf16("a: 1\nb: x", true);
    bad.extend([0x00, 0xD8, b'\n', 0x00]);
    let e = load(&bad, &Limits::default()).remove(0).unwrap_err();
    assert_eq!((e.line, e.column), (2, 5), "{e:?}");
    assert!(e.message.contains("invalid UTF-16"), "{}", e.message);
    let mut odd = utf16("a: 1\n", false);
    odd.push(0);
    let e = load(&odd, &Limits::default()).remove(0).unwrap_err();
    assert!(e.message.contains("odd number of bytes"), "{}", e.message);
}

fn one_of(bytes: &[u8]) -> Document {
    let mut d = load(bytes, &Limits::default());
    assert_eq!(d.len(), 1, "{d:?}");
    d.remove(0).unwrap()
}

#[test]
fn tabs_as_indentation_are_errors() {
    let e = err("a:\n\tb: 1\n");
    assert_eq!(e.line, 2, "{e:?}");
    assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
}

#[test]
fn invalid_utf8_is_an_error_with_position() {
    let mut src = b"a: 1\n---\nb: \"x".to_vec();
    src.extend_from_slice(&[0xff, b'"', b'\n']);
    src.extend_from_slice(b"---\nc: 3\n");
    let d = load(&src, &Limits::default());
    assert_eq!(d.len(), 3);
    assert!(d[0].is_ok());
    let e = d[1].as_ref().unwrap_err();
    assert_eq!((e.line, e.column, e.document), (3, 6, Some(1)));
    assert!(e.message.contains("invalid UTF-8"), "{}", e.message);
    assert_eq!(d[2].as_ref().unwrap().value, json!({"c": 3}));
}

#[test]
fn broken_document_among_good_ones() {
    let src = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
    let d = docs(src);
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].as_ref().unwrap().value, json!({"a": 1}));
    let e = d[1].as_ref().unwrap_err();
    assert_eq!(e.document, Some(1));
    assert!((3..=5).contains(&e.line), "{e:?}");
    let last = d[2].as_ref().unwrap();
    assert_eq!((last.index, last.line), (2, 6));
    assert_eq!(last.value, json!({"d": 4}));
    assert_eq!(err("a: b: c\n").to_string(), {
        let e = err("a: b: c\n");
        format!("line {}, column {}: {}", e.line, e.column, e.message)
    });
}

#[test]
fn scalar_and_list_roots() {
    assert_eq!(value("- a\n- b\n"), json!(["a", "b"]));
    assert_eq!(value("hello\n"), json!("hello"));
}

// -------------------------------------------------------------------- limits

fn quick<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    r
}

#[test]
fn billion_laughs_fails_fast() {
    let src = "\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
";
    let e = quick(|| err(src));
    assert!(e.message.contains("excessive aliasing"), "{}", e.message);
    assert!((5..=9).contains(&e.line), "{e:?}");
}

#[test]
fn big_string_aliased_many_times_is_bounded() {
    let mut src = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
    for _ in 0..100 {
        src.push_str("*a, ");
    }
    src.push_str("]\n");
    let e = quick(|| err(&src));
    assert!(e.message.contains("excessive aliasing"), "{}", e.message);
}

#[test]
fn deep_nesting_is_rejected() {
    for src in [
        "- ".repeat(50_000),
        "[".repeat(100_000),
        format!("x: {}", "{a: ".repeat(30_000)),
        format!("{{\"a\":{}", "[".repeat(100_000)),
    ] {
        let e = quick(|| err(&src));
        assert!(
            e.message.contains("nesting deeper than 128"),
            "{}",
            e.message
        );
    }
}

#[test]
fn aliases_cannot_nest_past_the_depth_limit() {
    let mut src = String::from("a0: &a0 [[[[[[[[[[x]]]]]]]]]]\n");
    for i in 1..20 {
        src.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
    }
    let e = quick(|| err(&src));
    assert!(e.message.contains("deeper than 128"), "{}", e.message);
}

#[test]
fn small_limits_are_errors_on_the_document() {
    let limits = Limits {
        max_document_bytes: 20,
        ..Limits::default()
    };
    let d = load(
        b"a: 1\n---\nb: 123456789012345678901234567890\n---\nc: 3\n",
        &limits,
    );
    assert_eq!(d.len(), 3);
    let e = d[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert!(
        e.message.contains("larger than the limit of 20 bytes"),
        "{}",
        e.message
    );
    assert!(d[2].is_ok());

    let limits = Limits {
        max_documents: 2,
        ..Limits::default()
    };
    let d = load(b"a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", &limits);
    assert_eq!(d.len(), 3);
    let e = d[2].as_ref().unwrap_err();
    assert_eq!((e.document, e.line), (None, 5));
    assert!(e.message.contains("more than 2 documents"), "{}", e.message);

    let limits = Limits {
        max_nodes: 10,
        ..Limits::default()
    };
    let e = load(b"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", &limits)
        .remove(0)
        .unwrap_err();
    assert!(e.message.contains("more than 10 nodes"), "{}", e.message);
}

#[test]
fn many_small_documents_are_fine() {
    let src = "a: 1\n---\n".repeat(5_000);
    let d = quick(|| docs(&src));
    assert_eq!(d.len(), 5_000);
    assert_eq!(d[4_999].as_ref().unwrap().line, 9_999);
}

#[test]
fn crlf_line_endings() {
    let d = docs("a: 1\r\n---\r\nb:\r\n  c: yes\r\n");
    assert_eq!(d.len(), 2);
    let second = d[1].as_ref().unwrap();
    assert_eq!(second.value, json!({"b": {"c": true}}));
    assert_eq!(at(second, &["b", "c"]), Some((4, 3)));
}

#[test]
fn content_on_the_marker_line_and_explicit_tags() {
    let d = docs("--- {a: 1}\n--- !!str 12\n---\nb: !!binary aGVsbG8=\nm: {!!merge <<: {x: 1}}\n");
    let vals: Vec<Value> = d.into_iter().map(|r| r.unwrap().value).collect();
    assert_eq!(
        vals,
        vec![
            json!({"a": 1}),
            json!("12"),
            json!({"b": "hello", "m": {"x": 1}})
        ]
    );
}

#[test]
fn json_array_input_and_alias_to_other_document() {
    assert_eq!(value("  [\"a\", {\"b\": null}]"), json!(["a", {"b": null}]));
    let d = docs("a: &x 1\n---\nb: *x\n");
    assert!(d[0].is_ok());
    let e = d[1].as_ref().unwrap_err();
    assert_eq!(e.line, 3, "{e:?}");
}
