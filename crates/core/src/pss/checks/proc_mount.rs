//! `procMount` (baseline, v1.0+) and `procMount_restricted` (restricted, v1.35+,
//! overrides `procMount`).
//!
//! Restricted fields: `spec.*containers[*].securityContext.procMount`. Allowed
//! values: `Default`, unset. From v1.35 the baseline check allows anything for
//! pods in a user namespace (`spec.hostUsers: false`); the restricted check
//! keeps the unconditional v1.0 rule.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase, join_quote};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut types: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if let Some(pm) = c
            .security_context
            .as_ref()
            .and_then(|s| s.proc_mount.as_deref())
        {
            if pm != "Default" {
                bad.push(c.name.as_str());
                types.insert(pm);
                fields.push(container_field(kind, i, &["securityContext", "procMount"]));
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "procMount".into(),
        detail: format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(types)
        ),
        fields,
    })
}

pub(crate) fn v1_35(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    if spec.host_users == Some(false) {
        return None;
    }
    v1_0(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn message_and_user_namespace_relaxation() {
        let pod = json!({"spec": {"hostUsers": false, "containers": [
            {"name": "a", "securityContext": {"procMount": "Unmasked"}},
            {"name": "b", "securityContext": {"procMount": "Default"}}]}});
        assert_forbidden(
            run(v1_0, pod.clone()),
            "procMount",
            "container \"a\" must not set securityContext.procMount to \"Unmasked\"",
        );
        assert!(run(v1_35, pod).is_none());
        assert!(run(
            v1_35,
            json!({"spec": {"hostUsers": true, "containers": [
            {"name": "a", "securityContext": {"procMount": "Unmasked"}}]}})
        )
        .is_some());
    }
}
