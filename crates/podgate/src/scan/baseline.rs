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

/// Write the fingerprints of every violation and finding of `report`, which
/// must come from a scan with `ScanSettings::baseline_keys` set: every
/// violation and finding then names at least one field, and one that names
/// none is refused rather than silently left out of the baseline.
pub fn write(path: &Path, report: &ScanReport) -> Result<()> {
    let mut fingerprints = BTreeSet::new();
    let mut missing = false;
    for r in &report.results {
        let mut record = |id: &str, fields: &[String]| {
            missing |= fields.is_empty();
            for f in fields {
                fingerprints.insert(fingerprint(&r.kind_key, &r.namespace, &r.name, id, f));
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
    if missing {
        anyhow::bail!(
            "cannot write baseline {}: the scan did not record baseline keys (ScanSettings::baseline_keys)",
            path.display()
        );
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
    fn a_scan_without_baseline_keys_cannot_be_written_as_a_baseline() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i, securityContext: {privileged: true}}]\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        let run = |keys: bool| {
            let settings = super::super::ScanSettings {
                baseline_keys: keys,
                ..Default::default()
            };
            let input = super::super::Input::new("p.yaml", Ok(pod.as_bytes().to_vec()));
            write(&path, &super::super::scan(vec![input], &settings))
        };
        let err = run(false).unwrap_err().to_string();
        assert!(err.contains("did not record baseline keys"), "{err}");
        assert!(!path.exists());
        run(true).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(
            written
                .contains("Pod//p|privileged|spec.containers[name=c].securityContext.privileged"),
            "{written}"
        );
    }

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
