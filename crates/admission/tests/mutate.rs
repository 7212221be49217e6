//! Mutation: JSON Patches that apply to the document as sent and bring the
//! pod toward restricted without overriding explicit values.

use std::time::Instant;

use base64::Engine as _;
use podgate_admission::Admission;
use podgate_core::model::PodTemplate;
use podgate_core::pss::{evaluate_pod, Level, LevelVersion, Version};
use serde_json::{json, Value};

use crate::common::*;

/// Run the mutating endpoint; returns (response, decoded patch ops).
fn mutate(adm: &Admission, req: &Req) -> (Value, Vec<Value>) {
    let (bytes, _) = adm.mutate(&req.body(), Instant::now()).unwrap();
    let review: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    let resp = review["response"].clone();
    assert_eq!(resp["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(resp["allowed"], true);
    let ops = match resp.get("patch") {
        Some(Value::String(b64)) => {
            assert_eq!(resp["patchType"], "JSONPatch");
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            serde_json::from_slice(&raw).unwrap()
        }
        None => {
            assert!(resp.get("patchType").is_none());
            vec![]
        }
        Some(other) => panic!("patch must be a base64 string, got {other}"),
    };
    (resp, ops)
}

fn apply(doc: &Value, ops: &[Value]) -> Value {
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops.to_vec())).unwrap();
    let mut doc = doc.clone();
    json_patch::patch(&mut doc, &patch).expect("patch applies to the document as sent");
    doc
}

fn restricted_violations(template: &Value) -> Vec<String> {
    let t: PodTemplate = serde_json::from_value(template.clone()).unwrap();
    evaluate_pod(
        LevelVersion::new(Level::Restricted, Version::LATEST),
        &t.metadata,
        &t.spec,
    )
    .into_iter()
    .map(|v| v.check.as_str().to_string())
    .collect()
}

fn bare_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "team-a"},
        "spec": {
            "initContainers": [{"name": "init", "image": "busybox:1.36"}],
            "containers": [
                {"name": "app", "image": "nginx:1.27"},
                {"name": "side", "image": "envoy:1.30", "securityContext": null}
            ]
        }
    })
}

#[test]
fn default_mutation_adds_seccomp_and_no_new_privs_only() {
    let adm = admission(&[]);
    let doc = bare_pod();
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc.clone()));
    assert_eq!(
        ops,
        vec![
            json!({"op": "add", "path": "/spec/securityContext", "value": {"seccompProfile": {"type": "RuntimeDefault"}}}),
            json!({"op": "add", "path": "/spec/initContainers/0/securityContext", "value": {"allowPrivilegeEscalation": false}}),
            json!({"op": "add", "path": "/spec/containers/0/securityContext", "value": {"allowPrivilegeEscalation": false}}),
            json!({"op": "add", "path": "/spec/containers/1/securityContext", "value": {"allowPrivilegeEscalation": false}}),
        ]
    );
    let patched = apply(&doc, &ops);
    // Root is not assumed away: capabilities and runAsNonRoot stay for the user.
    assert_eq!(
        restricted_violations(&patched),
        vec!["capabilities_restricted", "runAsNonRoot"]
    );
}

#[test]
fn opt_in_run_as_non_root_makes_the_pod_restricted() {
    let adm = admission_with(json!({"mutation": {"runAsNonRoot": true}}), cluster(&[]));
    let doc = bare_pod();
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc.clone()));
    assert_eq!(
        ops[0],
        json!({"op": "add", "path": "/spec/securityContext",
               "value": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}})
    );
    assert_eq!(
        ops[1],
        json!({"op": "add", "path": "/spec/initContainers/0/securityContext",
               "value": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
    );
    let patched = apply(&doc, &ops);
    assert_eq!(restricted_violations(&patched), Vec::<String>::new());
    // Mutating the mutated pod is a no-op.
    let (resp, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", patched));
    assert!(ops.is_empty() && resp.get("patch").is_none());
}

#[test]
fn explicit_values_are_never_overridden_and_parents_are_reused() {
    let adm = admission_with(json!({"mutation": {"runAsNonRoot": true}}), cluster(&[]));
    let doc = json!({
        "metadata": {"name": "web"},
        "spec": {
            "securityContext": {"runAsUser": 1000, "seccompProfile": {"type": "Unconfined"}},
            "containers": [
                {"name": "a", "image": "x:1", "securityContext": {"allowPrivilegeEscalation": true, "capabilities": {"add": ["NET_BIND_SERVICE"]}}},
                {"name": "b", "image": "x:1", "securityContext": {"runAsNonRoot": false, "capabilities": {"drop": []}}},
                {"name": "c", "image": "x:1", "securityContext": {"privileged": true}},
                {"name": "d", "image": "x:1", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}
            ]
        }
    });
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc.clone()));
    // Containers 0, 2 and 3 keep privilege escalation (explicitly, or as
    // privileged / SYS_ADMIN containers), so their capabilities stay too.
    assert_eq!(
        ops,
        vec![
            json!({"op": "add", "path": "/spec/securityContext/runAsNonRoot", "value": true}),
            json!({"op": "add", "path": "/spec/containers/1/securityContext/allowPrivilegeEscalation", "value": false}),
        ]
    );
    let patched = apply(&doc, &ops);
    assert_eq!(
        patched["spec"]["securityContext"]["seccompProfile"]["type"],
        "Unconfined"
    );
    assert_eq!(
        patched["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        true
    );
    assert_eq!(
        patched["spec"]["containers"][1]["securityContext"]["capabilities"]["drop"],
        json!([])
    );
}

#[test]
fn run_as_root_is_respected() {
    let adm = admission_with(
        json!({"mutation": {"runAsNonRoot": true, "dropAllCapabilities": "nonRoot"}}),
        cluster(&[]),
    );
    let doc = json!({"metadata": {"name": "web"}, "spec": {"containers": [
        {"name": "a", "image": "x:1", "securityContext": {"runAsUser": 0}}]}});
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc));
    assert_eq!(
        ops,
        vec![
            json!({"op": "add", "path": "/spec/securityContext", "value": {"seccompProfile": {"type": "RuntimeDefault"}}}),
            json!({"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false}),
        ]
    );
    let adm = admission_with(
        json!({"mutation": {"dropAllCapabilities": "always"}}),
        cluster(&[]),
    );
    let doc = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "a", "image": "x:1"}]}});
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc));
    assert_eq!(
        ops[1],
        json!({"op": "add", "path": "/spec/containers/0/securityContext",
               "value": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
    );
}

#[test]
fn legacy_seccomp_annotations_and_windows_pods_are_left_alone() {
    let adm = admission(&[]);
    let mut doc = bare_pod();
    doc["metadata"]["annotations"] =
        json!({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"});
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc));
    assert!(ops.iter().all(|o| o["path"] != "/spec/securityContext"));
    let mut win = bare_pod();
    win["spec"]["os"] = json!({"name": "windows"});
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", win));
    assert!(ops.is_empty());
}

#[test]
fn workload_templates_are_patched_at_their_own_paths() {
    let adm = admission_with(json!({"mutation": {"runAsNonRoot": true}}), cluster(&[]));
    let spec = bare_pod()["spec"].clone();
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                        "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": spec.clone()}}});
    let (_, ops) = mutate(
        &adm,
        &Req::workload(
            "apps",
            "deployments",
            "Deployment",
            "team-a",
            deploy.clone(),
        ),
    );
    assert_eq!(ops[0]["path"], "/spec/template/spec/securityContext");
    let patched = apply(&deploy, &ops);
    assert!(restricted_violations(&patched["spec"]["template"]).is_empty());

    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                      "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": spec.clone()}}}}});
    let (_, ops) = mutate(
        &adm,
        &Req::workload("batch", "cronjobs", "CronJob", "team-a", cron.clone()),
    );
    assert_eq!(
        ops[0]["path"],
        "/spec/jobTemplate/spec/template/spec/securityContext"
    );
    let patched = apply(&cron, &ops);
    assert!(restricted_violations(&patched["spec"]["jobTemplate"]["spec"]["template"]).is_empty());

    let tmpl = json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": spec}});
    let (_, ops) = mutate(
        &adm,
        &Req::workload("", "podtemplates", "PodTemplate", "team-a", tmpl.clone()),
    );
    assert!(restricted_violations(&apply(&tmpl, &ops)["template"]).is_empty());
}

#[test]
fn only_creates_of_non_exempt_objects_are_mutated() {
    let adm = admission_with(
        json!({"exemptions": {"namespaces": ["kube-system"], "runtimeClasses": ["kata"]}}),
        cluster(&[]),
    );
    let (_, ops) = mutate(
        &adm,
        &Req::pod("UPDATE", "team-a", bare_pod()).update(bare_pod()),
    );
    assert!(ops.is_empty());
    let (resp, ops) = mutate(&adm, &Req::pod("CREATE", "kube-system", bare_pod()));
    assert!(ops.is_empty());
    assert_eq!(resp["auditAnnotations"], json!({"exempt": "namespace"}));
    let mut kata = bare_pod();
    kata["spec"]["runtimeClassName"] = json!("kata");
    assert!(mutate(&adm, &Req::pod("CREATE", "team-a", kata))
        .1
        .is_empty());
    let off = admission_with(json!({"mutation": {"enabled": false}}), cluster(&[]));
    assert!(mutate(&off, &Req::pod("CREATE", "team-a", bare_pod()))
        .1
        .is_empty());
    let ns = Req::namespace("CREATE", "team-a", &[], None);
    assert!(mutate(&adm, &ns).1.is_empty());
}

#[test]
fn capabilities_are_dropped_only_where_no_new_privs_holds() {
    // Non-root containers (pod runAsUser 1000) in the default nonRoot mode.
    let adm = admission(&[]);
    let doc = json!({
        "metadata": {"name": "web"},
        "spec": {
            "securityContext": {"runAsUser": 1000},
            "containers": [
                // setuid helpers or file capabilities need the bounding set.
                {"name": "esc", "image": "x:1", "securityContext": {"allowPrivilegeEscalation": true}},
                {"name": "priv", "image": "x:1", "securityContext": {"privileged": true}},
                {"name": "sysadmin", "image": "x:1", "securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}},
                {"name": "nnp", "image": "x:1", "securityContext": {"allowPrivilegeEscalation": false}},
                {"name": "plain", "image": "x:1"}
            ]
        }
    });
    let (_, ops) = mutate(&adm, &Req::pod("CREATE", "team-a", doc.clone()));
    assert_eq!(
        ops,
        vec![
            json!({"op": "add", "path": "/spec/securityContext/seccompProfile", "value": {"type": "RuntimeDefault"}}),
            json!({"op": "add", "path": "/spec/containers/3/securityContext/capabilities", "value": {"drop": ["ALL"]}}),
            json!({"op": "add", "path": "/spec/containers/4/securityContext", "value": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}),
        ]
    );
    let patched = apply(&doc, &ops);
    assert!(patched["spec"]["containers"][0]["securityContext"]
        .get("capabilities")
        .is_none());
    // `always` still drops for every container without a drop list.
    let always = admission_with(
        json!({"mutation": {"dropAllCapabilities": "always"}}),
        cluster(&[]),
    );
    let (_, ops) = mutate(&always, &Req::pod("CREATE", "team-a", doc));
    assert_eq!(
        ops.iter()
            .filter(|o| o["path"]
                .as_str()
                .is_some_and(|p| p.contains("capabilities"))
                || o["value"].get("capabilities").is_some())
            .count(),
        5
    );
}
