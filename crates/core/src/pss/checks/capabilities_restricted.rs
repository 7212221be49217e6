//! `capabilities_restricted` (restricted, v1.22+; overrides `capabilities_baseline`).
//!
//! Restricted fields: `spec.*containers[*].securityContext.capabilities.drop` (must include `ALL`)
//! and `.add` (only `NET_BIND_SERVICE`). From v1.25 windows pods are exempt.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, container_path, containers_phrase, join_quote};
use crate::pss::Forbidden;

pub(crate) fn v1_22(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut caps: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let sc = c.security_context.as_ref();
        let Some(cap) = sc.and_then(|s| s.capabilities.as_ref()) else {
            missing_drop.push(c.name.as_str());
            fields.push(if sc.is_some() {
                container_field(kind, i, &["securityContext"])
            } else {
                container_path(kind, i)
            });
            continue;
        };
        if !cap.drop.iter().any(|d| d == "ALL") {
            missing_drop.push(c.name.as_str());
            fields.push(container_field(
                kind,
                i,
                &["securityContext", "capabilities"],
            ));
        }
        let mut forbidden = false;
        for (j, a) in cap.add.iter().enumerate() {
            if a != "NET_BIND_SERVICE" {
                forbidden = true;
                caps.insert(a);
                fields.push(
                    container_field(kind, i, &["securityContext", "capabilities", "add"]).child(j),
                );
            }
        }
        if forbidden {
            adding.push(c.name.as_str());
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "unrestricted capabilities".into(),
        detail: details.join("; "),
        fields,
    })
}

pub(crate) fn v1_25(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    v1_22(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn message() {
        assert_forbidden(
            run(v1_22, json!({"spec": {"containers": [
                {"name": "a"},
                {"name": "b", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["SYS_TIME", "NET_BIND_SERVICE", "CHOWN"]}}},
                {"name": "c", "securityContext": {"capabilities": {"drop": ["NET_RAW"], "add": ["CHOWN"]}}}]}})),
            "unrestricted capabilities",
            "containers \"a\", \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"b\", \"c\" must not include \"CHOWN\", \"SYS_TIME\" in securityContext.capabilities.add",
        );
        assert!(run(v1_22, json!({"spec": {"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}]}})).is_none());
        assert!(run(
            v1_25,
            json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}})
        )
        .is_none());
    }
}
