//! Checks on deploy/ and charts/podgate that need no cluster and no helm:
//! the manifests parse, the webhook configurations say what the comments
//! promise, podgate's own pod passes the restricted level (judged by
//! podgate), and the shipped configuration loads. With `PODGATE_HELM` set to
//! a helm binary (crates/server/scripts/validate-deploy.sh does that), the
//! chart is rendered and compared with the kustomize manifests too. Schema
//! validation is in the script.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use podgate_admission::{Admission, AdmissionConfig, NamespaceLookup, PodLister};
use podgate_core::load::{load, Limits};
use podgate_core::model::PodTemplate;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn docs(text: &str) -> Vec<Value> {
    load(text.as_bytes(), &Limits::default())
        .into_iter()
        .map(|d| d.expect("document parses").value)
        .filter(|v| !v.is_null())
        .collect()
}

fn deploy() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for d in docs(&std::fs::read_to_string(&f).unwrap()) {
            out.push((name.clone(), d));
        }
    }
    out
}

fn find<'a>(all: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|(_, v)| v["kind"] == kind)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn deploy_every_object_has_identity() {
    let all = deploy();
    assert!(all.len() >= 12, "{}", all.len());
    for (file, v) in &all {
        if v["kind"] == "Kustomization" {
            continue;
        }
        assert!(v["apiVersion"].is_string(), "{file}: apiVersion");
        assert!(v["kind"].is_string(), "{file}: kind");
        assert!(v["metadata"]["name"].is_string(), "{file}: name");
    }
    let kust = find(&all, "Kustomization")[0];
    let listed: BTreeSet<&str> = kust["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for (file, _) in &all {
        if file != "kustomization.yaml" && file != "mutating-webhook.yaml" {
            assert!(
                listed.contains(file.as_str()),
                "{file} not in kustomization"
            );
        }
    }
    assert!(
        !listed.contains("mutating-webhook.yaml"),
        "mutation is opt-in"
    );
}

fn exclusions(w: &Value) -> Vec<String> {
    let exprs = w["namespaceSelector"]["matchExpressions"]
        .as_array()
        .unwrap();
    let e = exprs
        .iter()
        .find(|e| e["key"] == "kubernetes.io/metadata.name")
        .unwrap();
    assert_eq!(e["operator"], "NotIn");
    e["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn check_validating(v: &Value, own_ns: &str, expect_pods_policy: &str) {
    let hooks = v["webhooks"].as_array().unwrap();
    let pods = hooks
        .iter()
        .find(|w| w["name"] == "pods.podgate.dev")
        .unwrap();
    assert_eq!(pods["failurePolicy"], expect_pods_policy);
    let resources: BTreeSet<&str> = pods["rules"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        BTreeSet::from(["pods", "pods/ephemeralcontainers", "namespaces"])
    );
    if let Some(workloads) = hooks.iter().find(|w| w["name"] == "workloads.podgate.dev") {
        assert_eq!(workloads["failurePolicy"], "Ignore");
        let groups: BTreeSet<&str> = workloads["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["apiGroups"][0].as_str().unwrap())
            .collect();
        assert_eq!(groups, BTreeSet::from(["", "apps", "batch"]));
    }
    for w in hooks {
        assert_eq!(w["admissionReviewVersions"], json!(["v1"]));
        assert_eq!(w["sideEffects"], "None");
        assert_eq!(w["matchPolicy"], "Equivalent");
        assert_eq!(w["timeoutSeconds"], 5);
        assert_eq!(w["clientConfig"]["service"]["path"], "/validate");
        assert_eq!(w["clientConfig"]["service"]["port"], 443);
        let ex = exclusions(w);
        assert!(ex.iter().any(|n| n == own_ns), "{ex:?}");
        assert!(ex.iter().any(|n| n == "kube-system"), "{ex:?}");
        for r in w["rules"].as_array().unwrap() {
            assert_eq!(r["operations"], json!(["CREATE", "UPDATE"]));
        }
    }
}

#[test]
fn deploy_validating_webhooks() {
    let all = deploy();
    let v = find(&all, "ValidatingWebhookConfiguration")[0];
    assert_eq!(
        v["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "podgate-system/podgate-serving-cert"
    );
    check_validating(v, "podgate-system", "Fail");
    assert_eq!(v["webhooks"].as_array().unwrap().len(), 2);
}

#[test]
fn deploy_mutating_webhook_is_opt_in_and_fails_open() {
    let all = deploy();
    let m = find(&all, "MutatingWebhookConfiguration")[0];
    let w = &m["webhooks"][0];
    assert_eq!(w["failurePolicy"], "Ignore");
    assert_eq!(w["clientConfig"]["service"]["path"], "/mutate");
    assert_eq!(w["sideEffects"], "None");
    let opt_in = w["namespaceSelector"]["matchExpressions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["key"] == "podgate.dev/mutate" && e["operator"] == "In");
    assert!(opt_in);
}

#[test]
fn deploy_cert_manager_matches_the_service_and_secret() {
    let all = deploy();
    let cert = find(&all, "Certificate")[0];
    let issuer = find(&all, "Issuer")[0];
    let deployment = find(&all, "Deployment")[0];
    assert_eq!(cert["apiVersion"], "cert-manager.io/v1");
    assert_eq!(
        cert["spec"]["issuerRef"]["name"],
        issuer["metadata"]["name"]
    );
    assert!(issuer["spec"]["selfSigned"].is_object());
    let secret = cert["spec"]["secretName"].as_str().unwrap();
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(volumes.iter().any(|v| v["secret"]["secretName"] == secret));
    let dns: Vec<&str> = cert["spec"]["dnsNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(dns.contains(&"podgate.podgate-system.svc"));
    // The inject-ca-from annotation names this Certificate.
    let vwc = find(&all, "ValidatingWebhookConfiguration")[0];
    let inject = format!(
        "{}/{}",
        cert["metadata"]["namespace"].as_str().unwrap(),
        cert["metadata"]["name"].as_str().unwrap()
    );
    assert_eq!(
        vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        inject
    );
}

struct OneNamespace(BTreeMap<String, String>);
impl NamespaceLookup for OneNamespace {
    fn labels(&self, _: &str) -> Option<BTreeMap<String, String>> {
        Some(self.0.clone())
    }
}
struct NoPods;
impl PodLister for NoPods {
    fn pods(
        &self,
        _: &str,
        _: std::time::Instant,
    ) -> Result<Vec<PodTemplate>, podgate_admission::PodListError> {
        Ok(Vec::new())
    }
}

/// Ask podgate itself whether its own pod passes the namespace's labels.
fn judge_own_pod(deployment: &Value, namespace: &Value) -> Value {
    let labels: BTreeMap<String, String> =
        serde_json::from_value(namespace["metadata"]["labels"].clone()).unwrap();
    let engine = Admission::new(
        AdmissionConfig::default(),
        Arc::new(OneNamespace(labels)),
        Arc::new(NoPods),
    );
    let template = &deployment["spec"]["template"];
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "podgate-x", "namespace": "podgate-system",
                     "labels": template["metadata"]["labels"]},
        "spec": template["spec"],
    });
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "self-check",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "podgate-system", "name": "podgate-x", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod
        }
    });
    let (body, _) = engine
        .validate(
            &serde_json::to_vec(&review).unwrap(),
            Instant::now() + std::time::Duration::from_secs(10),
        )
        .unwrap();
    serde_json::from_slice::<Value>(&body).unwrap()["response"].clone()
}

#[test]
fn deploy_own_pod_passes_restricted() {
    let all = deploy();
    let ns = find(&all, "Namespace")[0];
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let d = find(&all, "Deployment")[0];
    let r = judge_own_pod(d, ns);
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r["warnings"].is_null(), "{r}");
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(spec["securityContext"]["runAsUser"], 65532);
    assert_eq!(spec["automountServiceAccountToken"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert!(spec["topologySpreadConstraints"].is_array());
    let pdb = find(&all, "PodDisruptionBudget")[0];
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let svc = find(&all, "Service")[0];
    assert_eq!(svc["spec"]["ports"][0]["port"], 443);
    assert_eq!(c["ports"][0]["containerPort"], 8443);
}

#[test]
fn deploy_rbac_is_read_only() {
    let all = deploy();
    let role = find(&all, "ClusterRole")[0];
    for rule in role["rules"].as_array().unwrap() {
        for verb in rule["verbs"].as_array().unwrap() {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str().unwrap()),
                "{verb}"
            );
        }
        for res in rule["resources"].as_array().unwrap() {
            assert!(["namespaces", "pods"].contains(&res.as_str().unwrap()));
        }
    }
}

#[test]
fn deploy_config_loads() {
    let all = deploy();
    let cm = find(&all, "ConfigMap")[0];
    let text = cm["data"]["config.yaml"].as_str().unwrap();
    let value = docs(text).remove(0);
    AdmissionConfig::from_yaml_value(value).unwrap();
}

#[test]
fn chart_metadata_and_values() {
    let chart = root().join("charts/podgate");
    let meta = docs(&std::fs::read_to_string(chart.join("Chart.yaml")).unwrap()).remove(0);
    assert_eq!(meta["apiVersion"], "v2");
    assert_eq!(meta["name"], "podgate");
    let values = docs(&std::fs::read_to_string(chart.join("values.yaml")).unwrap()).remove(0);
    for key in [
        "/image/repository",
        "/replicas",
        "/mode",
        "/certManager/enabled",
        "/mutating/enabled",
    ] {
        assert!(values.pointer(key).is_some(), "values.yaml lacks {key}");
    }
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(chart.join("values.schema.json")).unwrap())
            .unwrap();
    assert_eq!(
        schema["properties"]["mode"]["enum"],
        json!(["enforce", "warn", "audit"])
    );
}

/// Render the chart with helm (when `PODGATE_HELM` names a helm binary) and
/// compare it with deploy/: same objects (but the Namespace), same webhook
/// semantics, own pod restricted-compliant, generated config loads.
#[test]
fn chart_renders_like_deploy() {
    let Some(helm) = std::env::var_os("PODGATE_HELM") else {
        eprintln!("chart_renders_like_deploy: PODGATE_HELM not set, helm render skipped");
        return;
    };
    let render = |args: &[&str]| {
        let out = std::process::Command::new(&helm)
            .args(["template", "podgate"])
            .arg(root().join("charts/podgate"))
            .args(["--namespace", "podgate-system"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        docs(&String::from_utf8(out.stdout).unwrap())
    };
    let all = deploy();
    let ns = find(&all, "Namespace")[0];
    let identity = |v: &Value| {
        (
            v["kind"].as_str().unwrap().to_string(),
            v["metadata"]["name"].as_str().unwrap().to_string(),
        )
    };
    let from_deploy: BTreeSet<_> = all
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v["kind"] != "Kustomization" && v["kind"] != "Namespace")
        .filter(|v| v["kind"] != "MutatingWebhookConfiguration")
        .map(identity)
        .collect();
    let rendered = render(&[]);
    let from_chart: BTreeSet<_> = rendered.iter().map(identity).collect();
    assert_eq!(from_chart, from_deploy);
    let pairs: Vec<(String, Value)> = rendered.into_iter().map(|v| (String::new(), v)).collect();
    check_validating(
        find(&pairs, "ValidatingWebhookConfiguration")[0],
        "podgate-system",
        "Fail",
    );
    let r = judge_own_pod(find(&pairs, "Deployment")[0], ns);
    assert_eq!(r["allowed"], true, "{r}");
    let cm = find(&pairs, "ConfigMap")[0];
    AdmissionConfig::from_yaml_value(docs(cm["data"]["config.yaml"].as_str().unwrap()).remove(0))
        .unwrap();

    // Without cert-manager: a generated Secret and an inline caBundle; warn
    // mode fails open; mutating webhook rendered and configured.
    let rendered = render(&[
        "--set",
        "certManager.enabled=false",
        "--set",
        "mode=warn",
        "--set",
        "level=restricted",
        "--set",
        "mutating.enabled=true",
    ]);
    let pairs: Vec<(String, Value)> = rendered.into_iter().map(|v| (String::new(), v)).collect();
    assert!(find(&pairs, "Certificate").is_empty());
    let secret = find(&pairs, "Secret")[0];
    assert!(secret["data"]["tls.crt"].is_string() && secret["data"]["tls.key"].is_string());
    let vwc = find(&pairs, "ValidatingWebhookConfiguration")[0];
    check_validating(vwc, "podgate-system", "Ignore");
    assert_eq!(
        vwc["webhooks"][0]["clientConfig"]["caBundle"],
        secret["data"]["ca.crt"]
    );
    assert_eq!(find(&pairs, "MutatingWebhookConfiguration").len(), 1);
    let cm = find(&pairs, "ConfigMap")[0];
    let cfg = docs(cm["data"]["config.yaml"].as_str().unwrap()).remove(0);
    assert_eq!(cfg["defaults"]["enforce"], "privileged");
    assert_eq!(cfg["defaults"]["warn"], "restricted");
    assert_eq!(cfg["mutation"]["enabled"], true);
    AdmissionConfig::from_yaml_value(cfg).unwrap();

    // Exceptions through extraConfig, in the format podgate.yaml uses (a
    // bare list: mode enforce), reach the webhook's configuration intact.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        r#"
extraConfig:
  exceptions:
    - reason: "TICKET-42: legacy billing image runs as root"
      namespace: legacy
      names: ["billing-*"]
      checks: [runAsNonRoot, "rule:*"]
      expires: "2027-06-30"
"#,
    )
    .unwrap();
    let rendered = render(&["--values", values.to_str().unwrap()]);
    let pairs: Vec<(String, Value)> = rendered.into_iter().map(|v| (String::new(), v)).collect();
    let cm = find(&pairs, "ConfigMap")[0];
    let cfg = docs(cm["data"]["config.yaml"].as_str().unwrap()).remove(0);
    let cfg = AdmissionConfig::from_yaml_value(cfg).unwrap();
    assert_eq!(cfg.exceptions.mode(), podgate_admission::Mode::Enforce);
    assert_eq!(cfg.exceptions.entries.len(), 1);
    assert_eq!(
        cfg.exceptions.entries[0].reason,
        "TICKET-42: legacy billing image runs as root"
    );
}
