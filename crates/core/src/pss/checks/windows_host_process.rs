//! `windowsHostProcess` (baseline, v1.0+).
//!
//! Restricted fields: `spec.securityContext.windowsOptions.hostProcess`,
//! `spec.*containers[*].securityContext.windowsOptions.hostProcess`. Allowed values: false, unset.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase, spec_field};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let hp = c
            .security_context
            .as_ref()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process);
        if hp == Some(true) {
            bad.push(c.name.as_str());
            fields.push(container_field(
                kind,
                i,
                &["securityContext", "windowsOptions", "hostProcess"],
            ));
        }
    }
    let mut setters: Vec<String> = Vec::new();
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process);
    if pod == Some(true) {
        setters.push("pod".into());
        fields.insert(
            0,
            spec_field(&["securityContext", "windowsOptions", "hostProcess"]),
        );
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "hostProcess".into(),
        detail: format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
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
            run(v1_0, json!({"spec": {"securityContext": {"windowsOptions": {"hostProcess": true}}, "containers": [
                {"name": "a"}, {"name": "d", "securityContext": {"windowsOptions": {"hostProcess": false}}},
                {"name": "e", "securityContext": {"windowsOptions": {"hostProcess": true}}},
                {"name": "f", "securityContext": {"windowsOptions": {"hostProcess": true}}}]}})),
            "hostProcess",
            "pod and containers \"e\", \"f\" must not set securityContext.windowsOptions.hostProcess=true",
        );
    }
}
