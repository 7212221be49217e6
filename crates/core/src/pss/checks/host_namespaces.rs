//! `hostNamespaces` (baseline, v1.0+).
//!
//! Restricted fields: `spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`. Allowed values: false, unset.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::spec_field;
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut set = Vec::new();
    let mut fields = Vec::new();
    for (on, text, field) in [
        (spec.host_network, "hostNetwork=true", "hostNetwork"),
        (spec.host_pid, "hostPID=true", "hostPID"),
        (spec.host_ipc, "hostIPC=true", "hostIPC"),
    ] {
        if on {
            set.push(text);
            fields.push(spec_field(&[field]));
        }
    }
    if set.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "host namespaces".into(),
        detail: set.join(", "),
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
                json!({"spec": {"hostNetwork": true, "hostPID": true, "hostIPC": true}}),
            ),
            "host namespaces",
            "hostNetwork=true, hostPID=true, hostIPC=true",
        );
        assert_forbidden(
            run(v1_0, json!({"spec": {"hostIPC": true}})),
            "host namespaces",
            "hostIPC=true",
        );
        assert!(run(v1_0, json!({"spec": {"hostNetwork": false}})).is_none());
    }
}
