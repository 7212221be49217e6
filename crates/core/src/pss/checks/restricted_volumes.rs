//! `restrictedVolumes` (restricted, v1.0+; overrides `hostPathVolumes`).
//!
//! Allowed volume sources: configMap, csi, downwardAPI, emptyDir, ephemeral,
//! image, persistentVolumeClaim, projected, secret. Upstream patched `image`
//! into the v1.0 implementation, so it is allowed at every version.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{join_quote, pluralize, spec_field};
use crate::pss::Forbidden;

const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Restricted sources in the order upstream's switch tests them.
const RESTRICTED: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "portworxVolume",
    "photonPersistentDisk",
    "scaleIO",
    "storageos",
];

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut types: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, v) in spec.volumes.iter().enumerate() {
        if ALLOWED.iter().any(|a| v.has_source(a)) {
            continue;
        }
        bad.push(v.name.as_str());
        let path = spec_field(&["volumes"]).child(i);
        match RESTRICTED.iter().find(|r| v.has_source(r)) {
            Some(r) => {
                types.insert(r);
                fields.push(path.child(*r));
            }
            None => {
                types.insert("unknown");
                fields.push(path);
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "restricted volume types".into(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(types)
        ),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn message() {
        assert_forbidden(
            run(v1_0, json!({"spec": {"volumes": [
                {"name": "a", "hostPath": {"path": "/"}},
                {"name": "b", "configMap": {"name": "x"}},
                {"name": "c", "nfs": {"server": "s", "path": "/"}},
                {"name": "d", "somethingNew": {}},
                {"name": "e", "image": {"reference": "x"}}]}})),
            "restricted volume types",
            "volumes \"a\", \"c\", \"d\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\"",
        );
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"volumes": [{"name": "a", "gitRepo": {"repository": "r"}}]}}),
            ),
            "restricted volume types",
            "volume \"a\" uses restricted volume type \"gitRepo\"",
        );
    }
}
