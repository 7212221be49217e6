//! `seccompProfile_baseline` (baseline; overridden by `seccompProfile_restricted`
//! at restricted from v1.19).
//!
//! v1.0-v1.18: `metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']` and
//! `['container.seccomp.security.alpha.kubernetes.io/<name>']`; allowed
//! `runtime/default`, `docker/default`, `localhost/*`, unset.
//! v1.19+: `seccompProfile.type` at pod level and on every container; allowed
//! `RuntimeDefault`, `Localhost`, unset.

use std::collections::BTreeSet;

use super::app_armor_profile::go_quote;
use crate::model::{ObjectMeta, PodSpec};
use crate::path::FieldPath;
use crate::pss::util::{container_field, containers_phrase, join_quote, pluralize, spec_field};
use crate::pss::Forbidden;

pub(crate) const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const CONTAINER_ANNOTATION_PREFIX: &str =
    "container.seccomp.security.alpha.kubernetes.io/";

fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

pub(crate) fn valid_type(t: &str) -> bool {
    t == "Localhost" || t == "RuntimeDefault"
}

fn annotation_path(key: &str) -> FieldPath {
    FieldPath::root()
        .join(["metadata", "annotations"])
        .child(key.to_string())
}

pub(crate) fn v1_0(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    let mut fields = Vec::new();
    if let Some(v) = meta.annotations.get(POD_ANNOTATION) {
        if !valid_annotation(v) {
            forbidden.insert(format!("{POD_ANNOTATION}={}", go_quote(v)));
            fields.push(annotation_path(POD_ANNOTATION));
        }
    }
    for (_, _, c) in spec.all_containers() {
        let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name);
        if let Some(v) = meta.annotations.get(&key) {
            if !valid_annotation(v) {
                forbidden.insert(format!("{key}={}", go_quote(v)));
                fields.push(annotation_path(&key));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "seccompProfile".into(),
        detail: format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.into_iter().collect::<Vec<_>>().join(", ")
        ),
        fields,
    })
}

pub(crate) fn v1_19(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if !valid_type(&p.type_) {
            setters.push("pod".into());
            values.insert(&p.type_);
            fields.push(spec_field(&["securityContext", "seccompProfile", "type"]));
        }
    }
    let mut bad = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if let Some(p) = c
            .security_context
            .as_ref()
            .and_then(|s| s.seccomp_profile.as_ref())
        {
            if !valid_type(&p.type_) {
                bad.push(c.name.as_str());
                values.insert(&p.type_);
                fields.push(container_field(
                    kind,
                    i,
                    &["securityContext", "seccompProfile", "type"],
                ));
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "seccompProfile".into(),
        detail: format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(values)
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
    fn annotations_before_1_19() {
        assert_forbidden(
            run(v1_0, json!({"metadata": {"annotations": {
                "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/a": "runtime/default",
                "container.seccomp.security.alpha.kubernetes.io/b": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/zzz": "unconfined"}},
                "spec": {"containers": [{"name": "a"}, {"name": "b"}]}})),
            "seccompProfile",
            "forbidden annotations container.seccomp.security.alpha.kubernetes.io/b=\"unconfined\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"",
        );
        assert!(run(v1_0, json!({"metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"}}, "spec": {}})).is_none());
    }

    #[test]
    fn fields_from_1_19() {
        assert_forbidden(
            run(v1_19, json!({"spec": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [
                {"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
                {"name": "b", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
                {"name": "c", "securityContext": {"seccompProfile": {"type": "Bogus"}}}]}})),
            "seccompProfile",
            "pod and containers \"a\", \"c\" must not set securityContext.seccompProfile.type to \"Bogus\", \"Unconfined\"",
        );
    }
}
