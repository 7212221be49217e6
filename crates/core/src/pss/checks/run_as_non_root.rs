//! `runAsNonRoot` (restricted, v1.0+).
//!
//! Restricted fields: `spec.securityContext.runAsNonRoot`,
//! `spec.*containers[*].securityContext.runAsNonRoot`. Allowed values: true;
//! unset on a container when the pod sets true. From v1.35 pods in a user
//! namespace (`spec.hostUsers: false`) are exempt (KEP-127).

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, container_path, containers_phrase, spec_field};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut setters: Vec<String> = Vec::new();
    let mut fields = Vec::new();
    let mut pod_true = false;
    match spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root)
    {
        Some(false) => {
            setters.push("pod".into());
            fields.push(spec_field(&["securityContext", "runAsNonRoot"]));
        }
        Some(true) => pod_true = true,
        None => {}
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let sc = c.security_context.as_ref();
        match sc.and_then(|s| s.run_as_non_root) {
            Some(false) => {
                explicit.push(c.name.as_str());
                fields.push(container_field(
                    kind,
                    i,
                    &["securityContext", "runAsNonRoot"],
                ));
            }
            Some(true) => {}
            None if !pod_true => {
                implicit.push(c.name.as_str());
                implicit_fields.push(if sc.is_some() {
                    container_field(kind, i, &["securityContext"])
                } else {
                    container_path(kind, i)
                });
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return Some(Forbidden {
            reason: "runAsNonRoot != true".into(),
            detail: format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
            fields,
        });
    }
    if !implicit.is_empty() {
        return Some(Forbidden {
            reason: "runAsNonRoot != true".into(),
            detail: format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
            fields: implicit_fields,
        });
    }
    None
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
    fn explicit_false_wins_over_implicit() {
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"securityContext": {"runAsNonRoot": false}, "containers": [
                {"name": "a", "securityContext": {"runAsNonRoot": false}},
                {"name": "b", "securityContext": {"runAsNonRoot": false}},
                {"name": "c"}]}}),
            ),
            "runAsNonRoot != true",
            "pod and containers \"a\", \"b\" must not set securityContext.runAsNonRoot=false",
        );
    }

    #[test]
    fn implicit() {
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": true}}]}}),
            ),
            "runAsNonRoot != true",
            "pod or container \"a\" must set securityContext.runAsNonRoot=true",
        );
        assert!(run(v1_0, json!({"spec": {"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}]}})).is_none());
    }

    #[test]
    fn container_true_overrides_pod_false_is_still_forbidden() {
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"securityContext": {"runAsNonRoot": false}, "containers": [
                {"name": "a", "securityContext": {"runAsNonRoot": true}}]}}),
            ),
            "runAsNonRoot != true",
            "pod must not set securityContext.runAsNonRoot=false",
        );
    }

    #[test]
    fn user_namespaces_relax_from_1_35() {
        let pod = json!({"spec": {"hostUsers": false, "containers": [{"name": "a"}]}});
        assert!(run(v1_35, pod.clone()).is_none());
        assert!(run(v1_0, pod).is_some());
    }
}
