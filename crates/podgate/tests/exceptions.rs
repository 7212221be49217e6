//! Exceptions in `podgate scan`, and the promise that one podgate.yaml
//! waives the same things in CI and at admission: the scan of a workload
//! and the webhook's review of the Pods its controller creates agree.

use std::sync::Arc;
use std::time::Instant;

use assert_cmd::Command;
use assert_fs::prelude::*;
use podgate_admission::Admission;
use podgate_server::serve::load_admission_config;
use podgate_server::source::FileSource;
use podgate_server::ServeArgs;
use serde_json::{json, Value};

fn scan(dir: &assert_fs::TempDir, files: &[&str]) -> (Option<i32>, Value) {
    let out = Command::cargo_bin("podgate")
        .expect("binary built")
        .current_dir(dir.path())
        .args(["scan", "--no-rules", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    (out.status.code(), v)
}

const NAMESPACE: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels:
    pod-security.kubernetes.io/enforce: baseline
"#;

/// A Deployment whose own labels differ from its pod template's.
const TOOL: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: tool, namespace: monitoring, labels: {team: infra}}
spec:
  selector: {matchLabels: {app: tool}}
  template:
    metadata: {labels: {app: tool}}
    spec:
      hostPID: true
      containers: [{name: c, image: "ghcr.io/x/y:1"}]
"#;

/// `selector` matches the pod template's labels, as at admission, where a
/// Pod carries only those: not the workload's own.
#[test]
fn selectors_match_the_pod_template_labels_only() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("ns.yaml").write_str(NAMESPACE).unwrap();
    dir.child("dep.yaml").write_str(TOOL).unwrap();
    let config = |selector: &str| {
        dir.child("podgate.yaml")
            .write_str(&format!(
                "exceptions:\n  - reason: infra team (OPS-9)\n    selector: {selector}\n    checks: [hostNamespaces]\n"
            ))
            .unwrap();
    };

    config("{team: infra}");
    let (code, v) = scan(&dir, &["ns.yaml", "dep.yaml"]);
    let r = &v["results"][0];
    assert_eq!(r["kind"], "Deployment", "{v}");
    assert_eq!(r["violations"][0]["check"], "hostNamespaces", "{r}");
    assert_eq!(r["suppressed"], json!([]), "{r}");
    assert_eq!(code, Some(1));

    config("{app: tool}");
    let (code, v) = scan(&dir, &["ns.yaml", "dep.yaml"]);
    let r = &v["results"][0];
    assert_eq!(r["violations"], json!([]), "{r}");
    assert_eq!(r["suppressed"][0]["id"], "hostNamespaces", "{r}");
    assert_eq!(r["suppressed"][0]["by"], "exception");
    assert_eq!(code, Some(0));
}

/// A Pod manifest (`kubectl get pod -o yaml`) is matched as its controller
/// in the scan too, as the webhook matches it.
#[test]
fn a_pod_manifest_is_matched_as_its_controller() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("ns.yaml").write_str(NAMESPACE).unwrap();
    dir.child("podgate.yaml")
        .write_str("exceptions:\n  - reason: r\n    kinds: [Deployment]\n    names: [web]\n    checks: [hostNamespaces]\n")
        .unwrap();
    let pod = |rs: &str| {
        format!(
            r#"apiVersion: v1
kind: Pod
metadata:
  name: web-5d4f7b9c8-x2x9z
  namespace: monitoring
  labels: {{app: web, pod-template-hash: 5d4f7b9c8}}
  ownerReferences:
    - {{apiVersion: apps/v1, kind: ReplicaSet, name: {rs}, uid: 3e5d9c1a, controller: true}}
spec:
  hostPID: true
  containers: [{{name: c, image: "ghcr.io/x/web:1"}}]
"#
        )
    };
    dir.child("pod.yaml")
        .write_str(&pod("web-5d4f7b9c8"))
        .unwrap();
    let (code, v) = scan(&dir, &["ns.yaml", "pod.yaml"]);
    assert_eq!(
        v["results"][0]["suppressed"][0]["id"], "hostNamespaces",
        "{v}"
    );
    assert_eq!(code, Some(0));
    dir.child("pod.yaml").write_str(&pod("web-abc")).unwrap();
    let (code, v) = scan(&dir, &["ns.yaml", "pod.yaml"]);
    assert_eq!(v["results"][0]["suppressed"], json!([]), "{v}");
    assert_eq!(code, Some(1));
}

/// The node-exporter DaemonSet (hostPID) of the README's example.
const DAEMONSET: &str = r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring, labels: {team: infra}}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      hostPID: true
      containers: [{name: node-exporter, image: "quay.io/prometheus/node-exporter:v1.8.0"}]
"#;

/// The AdmissionReview kube-apiserver sends for the Pod the DaemonSet
/// controller creates from `DAEMONSET` (generated name, empty request
/// name, controller reference).
fn daemonset_pod_review() -> Vec<u8> {
    let pod = json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": "node-exporter-x7k2p", "generateName": "node-exporter-",
            "namespace": "monitoring", "uid": "b7f1a7a4-0c39-4e44-8d7b-2f3c1a0e9d11",
            "labels": {"app": "node-exporter", "controller-revision-hash": "6b9c8d7f5",
                       "pod-template-generation": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "node-exporter",
                                 "uid": "3e5d9c1a-7b7e-4f1e-9a43-6c1c9d1b2f00",
                                 "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "hostPID": true,
            "containers": [{"name": "node-exporter", "image": "quay.io/prometheus/node-exporter:v1.8.0",
                            "imagePullPolicy": "IfNotPresent", "resources": {}}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "securityContext": {}
        },
        "status": {"phase": "Pending"}
    });
    let gvk = json!({"group": "", "version": "v1", "kind": "Pod"});
    let gvr = json!({"group": "", "version": "v1", "resource": "pods"});
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "name": "", "namespace": "monitoring", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:daemon-set-controller",
                         "groups": ["system:serviceaccounts", "system:authenticated"]},
            "object": pod, "oldObject": null, "dryRun": false,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
        }
    }))
    .unwrap()
}

/// One podgate.yaml, read by `podgate scan` and by `podgate serve
/// --exceptions`: the scan of the DaemonSet and the webhook's review of its
/// Pod waive the same, or deny the same.
#[test]
fn one_file_waives_the_same_in_scan_and_at_admission() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("ns.yaml").write_str(NAMESPACE).unwrap();
    dir.child("ds.yaml").write_str(DAEMONSET).unwrap();
    let cases = [
        // The README's example.
        ("namespaces: [monitoring]\n    kinds: [DaemonSet]\n    names: [\"node-exporter*\"]\n    selector: {app: node-exporter}\n    images: [\"quay.io/prometheus/*\"]", true),
        // The exact workload name.
        ("namespaces: [monitoring]\n    kinds: [DaemonSet, Pod]\n    names: [node-exporter]", true),
        ("names: [node-exporter]", true),
        // Neither matches: the DaemonSet's own labels, another kind.
        ("selector: {team: infra}", false),
        ("kinds: [Deployment]\n    names: [node-exporter]", false),
    ];
    for (selectors, waived) in cases {
        dir.child("podgate.yaml")
            .write_str(&format!(
                "exceptions:\n  - reason: node exporter needs the host PID namespace (OPS-123)\n    {selectors}\n    checks: [hostNamespaces]\n"
            ))
            .unwrap();

        let (code, v) = scan(&dir, &["ns.yaml", "ds.yaml"]);
        let r = &v["results"][0];
        assert_eq!(r["kind"], "DaemonSet", "{v}");
        assert_eq!(r["level"], "baseline", "{v}");
        assert_eq!(code, Some(if waived { 0 } else { 1 }), "{selectors}: {r}");
        assert_eq!(
            r["suppressed"].as_array().map(Vec::len),
            Some(usize::from(waived)),
            "{selectors}: {r}"
        );

        let mut args = ServeArgs::new("127.0.0.1:0".parse().unwrap(), None, None);
        args.exceptions = Some(dir.path().join("podgate.yaml"));
        let config = load_admission_config(&args).unwrap();
        let source = Arc::new(FileSource::from_file(&dir.path().join("ns.yaml")).unwrap());
        let adm = Admission::new(config, source.clone(), source);
        let (bytes, _) = adm
            .validate(&daemonset_pod_review(), Instant::now())
            .unwrap();
        let resp = &serde_json::from_slice::<Value>(&bytes).unwrap()["response"];
        assert_eq!(resp["allowed"], waived, "{selectors}: {resp}");
        if waived {
            assert_eq!(
                resp["auditAnnotations"]["podgate-exceptions"],
                "exceptions[0] waived hostNamespaces (reason: \"node exporter needs the host PID namespace (OPS-123)\")"
            );
        } else {
            assert_eq!(
                resp["status"]["message"],
                "pods is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)"
            );
        }
    }
}
