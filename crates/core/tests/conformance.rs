//! Upstream conformance: every fixture of the Pod Security Admission library's
//! test suite (read from `../shared/pss-fixtures`, never copied into this
//! repository) gets the upstream verdict at its level and version, and every
//! `fail` fixture is denied by the check it is named after (or the restricted
//! check that overrides it).
//!
//! The fixtures live outside the repository. When they are absent the test
//! says so loudly and passes, unless `PODGATE_REQUIRE_FIXTURES=1` (set by CI),
//! which turns their absence into a failure. `PODGATE_PSS_FIXTURES` points at
//! another copy.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use podgate_core::load::{load, Limits};
use podgate_core::pss::{evaluate_pod, CheckId, Level, LevelVersion, Version};
use podgate_core::workload::{find, Found};

fn fixtures_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PODGATE_PSS_FIXTURES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/pss-fixtures")
}

/// Check IDs that may deny a fixture named after `expected` (lower-cased ID).
fn acceptable(expected: &str, level: Level) -> Vec<String> {
    let mut ok = vec![expected.to_string()];
    if level == Level::Restricted {
        let overrides = [
            ("capabilities_baseline", CheckId::CapabilitiesRestricted),
            ("seccompprofile_baseline", CheckId::SeccompProfileRestricted),
            ("hostpathvolumes", CheckId::RestrictedVolumes),
            ("procmount", CheckId::ProcMountRestricted),
        ];
        for (base, restricted) in overrides {
            if expected == base {
                ok.push(restricted.as_str().to_lowercase());
            }
        }
    }
    ok
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn upstream_fixtures() {
    let dir = fixtures_dir();
    if !dir.is_dir() {
        let msg = format!(
            "upstream conformance SKIPPED: fixtures not found at {} (set PODGATE_PSS_FIXTURES)",
            dir.display()
        );
        if std::env::var_os("PODGATE_REQUIRE_FIXTURES").is_some_and(|v| v == "1") {
            panic!("{msg}, and PODGATE_REQUIRE_FIXTURES=1");
        }
        eprintln!("\n*** {msg} ***\n");
        return;
    }
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut failures = Vec::new();
    let (mut pass_n, mut fail_n) = (0usize, 0usize);
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap_or(f);
        let parts: Vec<String> = rel
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        let [level, version, verdict, name] = parts.as_slice() else {
            failures.push(format!("{}: unexpected layout", rel.display()));
            continue;
        };
        let level: Level = level.parse().expect("level directory");
        let version: Version = version.parse().expect("version directory");
        let expect_pass = verdict == "pass";
        let check = name
            .trim_end_matches(".yaml")
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        let bytes = std::fs::read(f).expect("read fixture");
        let docs = load(&bytes, &Limits::default());
        let [Ok(doc)] = docs.as_slice() else {
            failures.push(format!(
                "{}: expected one document, got {docs:?}",
                rel.display()
            ));
            continue;
        };
        let found = find(&doc.value);
        let [Found::Pod(pod)] = found.as_slice() else {
            failures.push(format!(
                "{}: expected one pod, got {found:?}",
                rel.display()
            ));
            continue;
        };
        let lv = LevelVersion::new(level, version);
        let violations = evaluate_pod(lv, &pod.pod.metadata, &pod.pod.spec);
        if expect_pass {
            pass_n += 1;
            if !violations.is_empty() {
                failures.push(format!(
                    "{}: expected allowed at {lv}, got {violations:?}",
                    rel.display()
                ));
            }
        } else {
            fail_n += 1;
            let ok = acceptable(&check, level);
            let ids: Vec<String> = violations
                .iter()
                .map(|v| v.check.as_str().to_lowercase())
                .collect();
            if !ids.iter().any(|id| ok.contains(id)) {
                failures.push(format!(
                    "{}: expected denial by {check} at {lv}, got {ids:?}",
                    rel.display()
                ));
            }
        }
    }
    println!(
        "upstream conformance: {} fixtures ({pass_n} pass, {fail_n} fail) from {}: {} mismatches",
        files.len(),
        dir.display(),
        failures.len()
    );
    assert!(
        files.len() > 4000,
        "too few fixtures found: {}",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
