//! Baselines: `--write-baseline FILE` records today's violations and findings;
//! `--baseline FILE` then fails only on new ones.
//!
//! A fingerprint names the resource and the field, not the file or line, so
//! moving a manifest or editing other lines keeps it stable:
//! `Kind/namespace/name|check-or-rule|field`. A violation that names several
//! fields (two containers without `allowPrivilegeEscalation: false`, two
//! hostPath volumes) records one fingerprint per field, and counts as old
//! only if all of them are in the baseline: a new offender of a recorded
//! check fails.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::ScanReport;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    fingerprints: BTreeSet<String>,
}

pub fn fingerprint(kind: &str, namespace: &str, name: &str, id: &str, field: &str) -> String {
    format!("{kind}/{namespace}/{name}|{id}|{field}")
}

pub fn write(path: &Path, report: &ScanReport) -> Result<()> {
    let mut fingerprints = BTreeSet::new();
    for r in &report.results {
        let mut record = |id: &str, fields: &[String]| {
            for f in fields {
                fingerprints.insert(fingerprint(r.kind, &r.namespace, &r.name, id, f));
            }
        };
        for v in &r.violations {
            record(v.check.as_str(), &v.fields);
        }
        for f in &r.findings {
            record(&f.rule, &f.fields);
        }
        for s in r.suppressed.iter().filter(|s| s.by == "baseline") {
            record(&s.id, &s.fields);
        }
    }
    let body = serde_json::to_string_pretty(&BaselineFile {
        version: 1,
        fingerprints,
    })?;
    std::fs::write(path, body + "\n")
        .with_context(|| format!("cannot write baseline {}", path.display()))
}

pub fn read(path: &Path) -> Result<BTreeSet<String>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read baseline {}", path.display()))?;
    let b: BaselineFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a podgate baseline file", path.display()))?;
    anyhow::ensure!(
        b.version == 1,
        "{}: unsupported baseline version {}",
        path.display(),
        b.version
    );
    Ok(b.fingerprints)
}
