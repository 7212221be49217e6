//! Baselines: `--write-baseline FILE` records today's violations and findings;
//! `--baseline FILE` then fails only on new ones.
//!
//! A fingerprint names the resource and the field, not the file or line, so
//! moving a manifest or editing other lines keeps it stable:
//! `Kind/namespace/name|check-or-rule|field`. The field is relative to the
//! pod (template) and names containers and volumes by name
//! (`spec.containers[name=app].securityContext`), so reordering them keeps
//! fingerprints too. Baselines written before that recorded the field's
//! full path with indexes (`spec.template.spec.containers[0]...`); those
//! fingerprints are still honoured. A violation that names several
//! fields (two containers without `allowPrivilegeEscalation: false`, two
//! hostPath volumes) records one fingerprint per field, and counts as old
//! only if all of them are in the baseline: a new offender of a recorded
//! check fails.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use podgate_core::model::PodSpec;
use podgate_core::path::{FieldPath, PathSeg};
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

/// The baseline name of a field given relative to the pod: a container,
/// init container, ephemeral container or volume is named by its `name`
/// instead of its index.
pub fn stable_field(spec: &PodSpec, rel: &FieldPath) -> String {
    let text = rel.to_string();
    if let [PathSeg::Key(top), PathSeg::Key(list), PathSeg::Index(i), ..] = rel.segments() {
        if top == "spec" {
            let name = match list.as_ref() {
                "containers" => spec.containers.get(*i).map(|c| c.name.as_str()),
                "initContainers" => spec.init_containers.get(*i).map(|c| c.name.as_str()),
                "ephemeralContainers" => spec.ephemeral_containers.get(*i).map(|c| c.name.as_str()),
                "volumes" => spec.volumes.get(*i).map(|v| v.name.as_str()),
                _ => None,
            };
            if let Some(name) = name {
                if let Some(rest) = text.strip_prefix(&format!("spec.{list}[{i}]")) {
                    return format!("spec.{list}[name={name}]{rest}");
                }
            }
        }
    }
    text
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

#[cfg(test)]
mod tests {
    use super::*;
    use podgate_core::fpath;

    #[test]
    fn stable_fields_name_containers_and_volumes() {
        let pod: podgate_core::model::PodTemplate = serde_json::from_value(serde_json::json!({
            "spec": {
                "initContainers": [{"name": "init", "image": "i"}],
                "containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i"}],
                "ephemeralContainers": [{"name": "debug", "image": "i"}],
                "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]
            }
        }))
        .unwrap();
        let s = &pod.spec;
        let f = |p: FieldPath| stable_field(s, &p);
        assert_eq!(
            f(fpath![
                "spec",
                "containers",
                1,
                "securityContext",
                "privileged"
            ]),
            "spec.containers[name=b].securityContext.privileged"
        );
        assert_eq!(
            f(fpath!["spec", "initContainers", 0]),
            "spec.initContainers[name=init]"
        );
        assert_eq!(
            f(fpath!["spec", "ephemeralContainers", 0, "image"]),
            "spec.ephemeralContainers[name=debug].image"
        );
        assert_eq!(
            f(fpath!["spec", "volumes", 0, "hostPath"]),
            "spec.volumes[name=logs].hostPath"
        );
        // Pod-level fields, and indexes with no such item, stay as they are.
        assert_eq!(f(fpath!["spec", "hostNetwork"]), "spec.hostNetwork");
        assert_eq!(f(fpath!["spec", "containers", 7]), "spec.containers[7]");
        assert_eq!(
            f(fpath!["spec", "containers", 0, "ports", 0, "hostPort"]),
            "spec.containers[name=a].ports[0].hostPort"
        );
    }
}
