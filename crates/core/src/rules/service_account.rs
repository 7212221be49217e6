//! Service account rules (pod level).
//!
//! Fields: `spec.automountServiceAccountToken`, `spec.serviceAccountName`
//! (and its deprecated alias `spec.serviceAccount`).

use super::{spec_field, Hit, RuleContext, RuleInfo, Severity};
use crate::model::PodTemplate;

pub(super) const TOKEN_AUTOMOUNT: RuleInfo = RuleInfo {
    id: "service-account-token-automount",
    severity: Severity::Medium,
    title: "Pods opt out of API token automounting",
    rationale: "Unless automountServiceAccountToken is false, every container gets a token for \
                the pod's service account, and anyone who compromises a container can call the \
                Kubernetes API with it. The ServiceAccount object can also disable automounting, \
                but podgate evaluates the pod alone and cannot see it, so the pod must say so \
                itself (the pod's setting also wins over the ServiceAccount's).",
    fix: "Set spec.automountServiceAccountToken: false; mount a projected token only where the API is needed.",
    field: "spec.automountServiceAccountToken",
    default_enabled: true,
};

pub(super) const DEFAULT: RuleInfo = RuleInfo {
    id: "service-account-default",
    severity: Severity::Low,
    title: "Pods use a dedicated service account",
    rationale: "Every pod in the namespace that names no service account shares \"default\", \
                so any role bound to it (or to workload identity through it) is granted to all \
                of them. A dedicated account keeps permissions per workload.",
    fix: "Create a ServiceAccount for the workload and set spec.serviceAccountName.",
    field: "spec.serviceAccountName",
    default_enabled: true,
};

pub(super) fn token_automount(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    match pod.spec.automount_service_account_token {
        Some(false) => {}
        Some(true) => out.push(Hit::new(
            "pod sets automountServiceAccountToken: true".into(),
            spec_field(&["automountServiceAccountToken"]),
        )),
        None => out.push(Hit::new(
            "pod does not set automountServiceAccountToken: false".into(),
            spec_field(&[]),
        )),
    }
}

pub(super) fn default_account(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    let spec = &pod.spec;
    if spec.effective_service_account() != "default" {
        return;
    }
    let field = if !spec.service_account_name.is_empty() {
        spec_field(&["serviceAccountName"])
    } else if !spec.service_account.is_empty() {
        spec_field(&["serviceAccount"])
    } else {
        spec_field(&[])
    };
    out.push(Hit::new(
        "pod uses the \"default\" service account".into(),
        field,
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass};
    use serde_json::json;

    #[test]
    fn token_automount() {
        let id = "service-account-token-automount";
        assert_pass(
            id,
            "Pod",
            json!({"spec": {"automountServiceAccountToken": false}}),
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"automountServiceAccountToken": true}}),
            "pod sets automountServiceAccountToken: true",
            &["spec.automountServiceAccountToken"],
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            "pod does not set automountServiceAccountToken: false",
            &["spec"],
        );
    }

    #[test]
    fn default_account() {
        let id = "service-account-default";
        assert_pass(id, "Pod", json!({"spec": {"serviceAccountName": "web"}}));
        assert_pass(id, "Pod", json!({"spec": {"serviceAccount": "web"}}));
        assert_one(
            id,
            "Pod",
            json!({"spec": {}}),
            "pod uses the \"default\" service account",
            &["spec"],
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"serviceAccountName": "default"}}),
            "pod uses the \"default\" service account",
            &["spec.serviceAccountName"],
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"serviceAccount": "default"}}),
            "pod uses the \"default\" service account",
            &["spec.serviceAccount"],
        );
    }
}
