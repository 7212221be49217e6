//! Workloads with pod templates: never denied, warn and audit only.

use podgate_admission::{Decision, EvalMode};
use serde_json::{json, Value};

use crate::common::*;

fn deployment(name: &str, template_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": template_spec}}
    })
}

fn cronjob(name: &str, template_spec: Value) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {"schedule": "*/5 * * * *",
                 "jobTemplate": {"spec": {"template": {"spec": template_spec}}}}
    })
}

#[test]
fn deployments_are_warned_and_audited_but_never_denied() {
    let adm = admission(&[(
        "team-a",
        &[
            ("enforce", "restricted"),
            ("warn", "baseline"),
            ("audit", "baseline"),
        ],
    )]);
    let spec = privileged_pod("x")["spec"].clone();
    let (resp, out) = validate(
        &adm,
        &Req::workload(
            "apps",
            "deployments",
            "Deployment",
            "team-a",
            deployment("web", spec),
        ),
    );
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("status").is_none());
    assert_eq!(
        resp["warnings"],
        json!([format!(
            "would violate PodSecurity \"baseline:latest\": {BASELINE_DETAIL}"
        )])
    );
    // No enforce-policy annotation: the enforce level is not evaluated.
    assert_eq!(
        resp["auditAnnotations"],
        json!({"audit-violations": format!("would violate PodSecurity \"baseline:latest\": {BASELINE_DETAIL}")})
    );
    assert_eq!(out.resource.as_str(), "controller");
    assert_eq!(out.mode, Some(EvalMode::Warn));
    assert_eq!(out.decision, Decision::Allow);
    assert!(out.evaluations.iter().all(|e| e.mode != EvalMode::Enforce));
}

#[test]
fn cronjobs_use_the_job_template() {
    let adm = admission(&[("team-a", &[("warn", "restricted")])]);
    let spec = pod("x", Value::Null)["spec"].clone();
    let (resp, _) = validate(
        &adm,
        &Req::workload(
            "batch",
            "cronjobs",
            "CronJob",
            "team-a",
            cronjob("report", spec),
        ),
    );
    assert_eq!(
        resp["warnings"],
        json!([format!(
            "would violate PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}"
        )])
    );
}

#[test]
fn privileged_audit_and_warn_short_circuit() {
    let adm = admission(&[("team-a", &[("enforce", "restricted")])]);
    let spec = privileged_pod("x")["spec"].clone();
    let (resp, out) = validate(
        &adm,
        &Req::workload(
            "apps",
            "deployments",
            "Deployment",
            "team-a",
            deployment("web", spec),
        ),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    assert!(out.evaluations.is_empty());
}

#[test]
fn subresources_and_missing_templates_are_ignored() {
    let adm = admission(&[("team-a", &[("warn", "restricted")])]);
    let spec = privileged_pod("x")["spec"].clone();
    let scale = Req::workload(
        "apps",
        "deployments",
        "Deployment",
        "team-a",
        deployment("web", spec),
    )
    .sub("scale");
    let (resp, _) = validate(&adm, &scale);
    assert!(resp.get("warnings").is_none());
    let rc = json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"}, "spec": {"replicas": 1}});
    let (resp, _) = validate(
        &adm,
        &Req::workload(
            "",
            "replicationcontrollers",
            "ReplicationController",
            "team-a",
            rc,
        ),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
}

#[test]
fn workloads_fail_open() {
    let adm = admission(&[("team-a", &[("warn", "restricted")])]);
    let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                     "spec": {"template": {"spec": {"hostNetwork": "yes"}}}});
    let (resp, out) = validate(
        &adm,
        &Req::workload("apps", "deployments", "Deployment", "team-a", bad),
    );
    assert_eq!(resp["allowed"], true);
    let err = resp["auditAnnotations"]["error"].as_str().unwrap();
    assert_eq!(
        err,
        "failed to decode object: spec.template: spec.hostNetwork: invalid type: string \"yes\", expected a boolean"
    );
    assert_eq!(
        (out.decision, out.errors.clone()),
        (Decision::Error, vec![true])
    );

    let spec = privileged_pod("x")["spec"].clone();
    let (resp, _) = validate(
        &adm,
        &Req::workload(
            "apps",
            "deployments",
            "Deployment",
            "ghost",
            deployment("web", spec),
        ),
    );
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["auditAnnotations"]["error"],
        "failed to lookup namespace \"ghost\": namespaces \"ghost\" not found"
    );
}

#[test]
fn every_workload_kind_is_found() {
    let adm = admission(&[("team-a", &[("warn", "baseline")])]);
    let spec = privileged_pod("x")["spec"].clone();
    let t = json!({"spec": spec});
    let cases: Vec<(&'static str, &'static str, &'static str, Value)> = vec![
        (
            "",
            "podtemplates",
            "PodTemplate",
            json!({"metadata": {"name": "a"}, "template": t}),
        ),
        (
            "",
            "replicationcontrollers",
            "ReplicationController",
            json!({"metadata": {"name": "a"}, "spec": {"template": t}}),
        ),
        (
            "apps",
            "replicasets",
            "ReplicaSet",
            json!({"metadata": {"name": "a"}, "spec": {"template": t}}),
        ),
        (
            "apps",
            "statefulsets",
            "StatefulSet",
            json!({"metadata": {"name": "a"}, "spec": {"template": t}}),
        ),
        (
            "apps",
            "daemonsets",
            "DaemonSet",
            json!({"metadata": {"name": "a"}, "spec": {"template": t}}),
        ),
        (
            "batch",
            "jobs",
            "Job",
            json!({"metadata": {"name": "a"}, "spec": {"template": t}}),
        ),
    ];
    for (group, resource, kind, obj) in cases {
        let (resp, _) = validate(&adm, &Req::workload(group, resource, kind, "team-a", obj));
        assert_eq!(
            resp["warnings"],
            json!([format!(
                "would violate PodSecurity \"baseline:latest\": {BASELINE_DETAIL}"
            )]),
            "{resource}"
        );
    }
    // Not a workload: ignored.
    let (resp, out) = validate(
        &adm,
        &Req::workload(
            "",
            "services",
            "Service",
            "team-a",
            json!({"metadata": {"name": "a"}}),
        ),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    assert_eq!(out.resource.as_str(), "other");
}
