//! `capabilities_baseline` (baseline, v1.0+).
//!
//! Restricted fields: `spec.*containers[*].securityContext.capabilities.add`.
//! Allowed values: the default container runtime set below (NET_RAW excluded).

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase, join_quote};
use crate::pss::Forbidden;

const ALLOWED_1_0: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut caps: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let Some(cap) = c
            .security_context
            .as_ref()
            .and_then(|s| s.capabilities.as_ref())
        else {
            continue;
        };
        let mut valid = true;
        for (j, a) in cap.add.iter().enumerate() {
            if !ALLOWED_1_0.contains(&a.as_str()) {
                valid = false;
                caps.insert(a);
                fields.push(
                    container_field(kind, i, &["securityContext", "capabilities", "add"]).child(j),
                );
            }
        }
        if !valid {
            bad.push(c.name.as_str());
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "non-default capabilities".into(),
        detail: format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(caps)
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
            run(v1_0, json!({"spec": {"containers": [
                {"name": "a", "securityContext": {"capabilities": {"add": ["NET_RAW", "CHOWN", "SYS_ADMIN"]}}},
                {"name": "b", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}},
                {"name": "c", "securityContext": {"capabilities": {"add": ["KILL"]}}}]}})),
            "non-default capabilities",
            "containers \"a\", \"b\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add",
        );
        assert!(run(v1_0, json!({"spec": {"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"]}}}]}})).is_none());
    }
}
