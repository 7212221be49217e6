//! `runAsUser` (restricted, v1.23+).
//!
//! Restricted fields: `spec.securityContext.runAsUser`,
//! `spec.*containers[*].securityContext.runAsUser`. Allowed values: non-zero,
//! unset. From v1.35 pods in a user namespace (`spec.hostUsers: false`) are exempt.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase, spec_field};
use crate::pss::Forbidden;

pub(crate) fn v1_23(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut setters: Vec<String> = Vec::new();
    let mut fields = Vec::new();
    if spec.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0) {
        setters.push("pod".into());
        fields.push(spec_field(&["securityContext", "runAsUser"]));
    }
    let mut bad = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if c.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0) {
            bad.push(c.name.as_str());
            fields.push(container_field(kind, i, &["securityContext", "runAsUser"]));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "runAsUser=0".into(),
        detail: format!("{} must not set runAsUser=0", setters.join(" and ")),
        fields,
    })
}

pub(crate) fn v1_35(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    if spec.host_users == Some(false) {
        return None;
    }
    v1_23(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn message() {
        assert_forbidden(
            run(
                v1_23,
                json!({"spec": {"securityContext": {"runAsUser": 0}, "containers": [
                {"name": "a", "securityContext": {"runAsUser": 0}}, {"name": "b", "securityContext": {"runAsUser": 1000}}]}}),
            ),
            "runAsUser=0",
            "pod and container \"a\" must not set runAsUser=0",
        );
        assert!(run(v1_23, json!({"spec": {"containers": [{"name": "a"}]}})).is_none());
        assert!(run(v1_35, json!({"spec": {"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [{"name": "a"}]}})).is_none());
    }
}
