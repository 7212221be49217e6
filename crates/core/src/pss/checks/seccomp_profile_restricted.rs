//! `seccompProfile_restricted` (restricted, v1.19+; overrides `seccompProfile_baseline`).
//!
//! Restricted fields: `spec.securityContext.seccompProfile.type`,
//! `spec.*containers[*].securityContext.seccompProfile.type`. Allowed values:
//! `RuntimeDefault`, `Localhost`; a container may leave it unset when the pod
//! sets a valid one. From v1.25 windows pods are exempt.

use std::collections::BTreeSet;

use super::seccomp_profile_baseline::valid_type;
use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{
    container_field, container_path, containers_phrase, join_quote, spec_field,
};
use crate::pss::Forbidden;

pub(crate) fn v1_19(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    let mut pod_set = false;
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if valid_type(&p.type_) {
            pod_set = true;
        } else {
            setters.push("pod".into());
            values.insert(&p.type_);
            fields.push(spec_field(&["securityContext", "seccompProfile", "type"]));
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let sc = c.security_context.as_ref();
        match sc.and_then(|s| s.seccomp_profile.as_ref()) {
            Some(p) if !valid_type(&p.type_) => {
                explicit.push(c.name.as_str());
                values.insert(&p.type_);
                fields.push(container_field(
                    kind,
                    i,
                    &["securityContext", "seccompProfile", "type"],
                ));
            }
            Some(_) => {}
            None if !pod_set => {
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
            reason: "seccompProfile".into(),
            detail: format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(values)
            ),
            fields,
        });
    }
    if !implicit.is_empty() {
        return Some(Forbidden {
            reason: "seccompProfile".into(),
            detail: format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit)
            ),
            fields: implicit_fields,
        });
    }
    None
}

pub(crate) fn v1_25(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    v1_19(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn messages() {
        assert_forbidden(
            run(v1_19, json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}}]}})),
            "seccompProfile",
            "pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
        );
        assert_forbidden(
            run(
                v1_19,
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]}}),
            ),
            "seccompProfile",
            "container \"b\" must not set securityContext.seccompProfile.type to \"Unconfined\"",
        );
        assert!(run(v1_19, json!({"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [{"name": "a"}]}})).is_none());
        assert!(run(
            v1_25,
            json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}})
        )
        .is_none());
    }
}
