//! Fuzz the manifest loader: any bytes must give results, never a panic, a
//! stack overflow, a hang or an unbounded allocation. Every position lookup
//! on the loaded values must answer too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgate_core::load::{load, Limits};
use podgate_core::path::PathSeg;
use serde_json::Value;

/// Look up every path of `v` (bounded), and one missing child of each.
fn walk(v: &Value, path: &mut Vec<PathSeg>, d: &podgate_core::load::Document, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    assert!(
        d.positions.get(path).is_some(),
        "no position for an existing path"
    );
    path.push(PathSeg::Key("\u{0}missing".into()));
    let _ = d.positions.nearest(path);
    path.pop();
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                path.push(PathSeg::Key(k.clone().into()));
                walk(c, path, d, budget);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                path.push(PathSeg::Index(i));
                walk(c, path, d, budget);
                path.pop();
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    for r in load(data, &Limits::default()) {
        if let Ok(d) = r {
            let mut budget = 10_000;
            walk(&d.value, &mut Vec::new(), &d, &mut budget);
        }
    }
});
