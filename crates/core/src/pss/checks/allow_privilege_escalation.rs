//! `allowPrivilegeEscalation` (restricted, v1.8+).
//!
//! Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation`.
//! Allowed values: `false`. From v1.25 pods with `spec.os.name: windows` are exempt.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, container_path, containers_phrase};
use crate::pss::Forbidden;

pub(crate) fn v1_8(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let sc = c.security_context.as_ref();
        match sc.and_then(|s| s.allow_privilege_escalation) {
            Some(false) => {}
            Some(true) => {
                bad.push(c.name.as_str());
                fields.push(container_field(
                    kind,
                    i,
                    &["securityContext", "allowPrivilegeEscalation"],
                ));
            }
            None => {
                bad.push(c.name.as_str());
                fields.push(if sc.is_some() {
                    container_field(kind, i, &["securityContext"])
                } else {
                    container_path(kind, i)
                });
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "allowPrivilegeEscalation != false".into(),
        detail: format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
        fields,
    })
}

pub(crate) fn v1_25(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    v1_8(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn messages() {
        assert_forbidden(
            run(v1_8, json!({"spec": {"containers": [
                {"name": "a"},
                {"name": "b", "securityContext": {"allowPrivilegeEscalation": true}},
                {"name": "c", "securityContext": {"allowPrivilegeEscalation": false}}
            ], "initContainers": [{"name": "i", "securityContext": {}}]}})),
            "allowPrivilegeEscalation != false",
            "containers \"i\", \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false",
        );
        assert_forbidden(
            run(v1_8, json!({"spec": {"containers": [{"name": "a"}]}})),
            "allowPrivilegeEscalation != false",
            "container \"a\" must set securityContext.allowPrivilegeEscalation=false",
        );
    }

    #[test]
    fn windows_exempt_from_1_25() {
        let pod = json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}});
        assert!(run(v1_25, pod.clone()).is_none());
        assert!(run(v1_8, pod).is_some());
    }
}
