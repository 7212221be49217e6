//! `privileged` (baseline, v1.0+).
//!
//! Restricted fields: `spec.*containers[*].securityContext.privileged`. Allowed values: false, unset.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if c.security_context.as_ref().and_then(|s| s.privileged) == Some(true) {
            bad.push(c.name.as_str());
            fields.push(container_field(kind, i, &["securityContext", "privileged"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "privileged".into(),
        detail: format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&bad)
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
            run(
                v1_0,
                json!({"spec": {"containers": [{"name": "a", "securityContext": {"privileged": true}}],
                "initContainers": [{"name": "i", "securityContext": {"privileged": true}}],
                "ephemeralContainers": [{"name": "e", "securityContext": {"privileged": false}}]}}),
            ),
            "privileged",
            "containers \"i\", \"a\" must not set securityContext.privileged=true",
        );
    }
}
