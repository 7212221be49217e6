//! AdmissionReviews shaped as kube-apiserver sends them, through the real
//! engine over HTTPS: exact messages, warnings, audit annotations, patches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::{json, Value};

use crate::common::{
    deployment_create, ephemeral_update, namespace_create, namespace_update, pod_create,
    pod_create_dry_run, restricted_pod, root_pod, Options, TestServer,
};

const ROOT_POD_RESTRICTED: &str = "pods \"bad\" is forbidden: violates PodSecurity \"restricted:v1.33\": \
allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), \
unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), \
runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), \
seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

fn response(v: &Value) -> &Value {
    &v["response"]
}

#[tokio::test]
async fn pod_create_denied_at_restricted_with_the_upstream_message() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review(
            "/validate?timeout=10s",
            &pod_create("uid-deny", root_pod("restricted-ns")),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-deny");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    assert_eq!(r["status"]["reason"], "Forbidden");
    assert_eq!(r["status"]["message"], ROOT_POD_RESTRICTED);
    // No warnings on a denied request (upstream suppresses them).
    assert!(r["warnings"].is_null() || r["warnings"] == json!([]), "{r}");
}

#[tokio::test]
async fn compliant_pod_is_allowed() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review("/validate", &pod_create("uid-ok", restricted_pod()))
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-ok");
    assert_eq!(r["allowed"], true);
    assert!(r["warnings"].is_null() || r["warnings"] == json!([]), "{r}");
}

#[tokio::test]
async fn baseline_namespace_warns_and_audits_restricted() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review(
            "/validate",
            &pod_create("uid-warn", root_pod("baseline-ns")),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["allowed"], true);
    let warning = r["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with(
            "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false"
        ),
        "{warning}"
    );
    let audit = &r["auditAnnotations"];
    assert!(
        audit["audit-violations"]
            .as_str()
            .unwrap()
            .starts_with("would violate PodSecurity \"restricted:latest\""),
        "{audit}"
    );
    assert_eq!(audit["enforce-policy"], "baseline:latest");
}

#[tokio::test]
async fn deployment_gets_a_warning_not_a_denial() {
    let s = TestServer::start().await;
    let spec = root_pod("baseline-ns")["spec"].clone();
    let (code, v) = s
        .review(
            "/validate",
            &deployment_create("uid-deploy", "baseline-ns", spec.clone()),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-deploy");
    assert_eq!(r["allowed"], true);
    let warning = r["warnings"][0].as_str().unwrap_or_else(|| panic!("{r}"));
    assert!(
        warning.starts_with(
            "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false"
        ),
        "{warning}"
    );
    // As upstream: workloads in a namespace whose warn and audit levels are
    // privileged (restricted-ns only sets enforce) are not evaluated at all.
    let (code, v) = s
        .review(
            "/validate",
            &deployment_create("uid-deploy2", "restricted-ns", spec),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(response(&v)["allowed"], true);
    assert!(response(&v)["warnings"].is_null());
}

#[tokio::test]
async fn namespace_with_an_invalid_label_is_rejected() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review(
            "/validate",
            &namespace_create(
                "uid-ns",
                "new-ns",
                json!({"pod-security.kubernetes.io/enforce": "strict"}),
            ),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-ns");
    assert_eq!(r["allowed"], false);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.contains("pod-security.kubernetes.io/enforce"), "{msg}");
    assert!(msg.contains("\"strict\""), "{msg}");
}

#[tokio::test]
async fn namespace_tightening_warns_about_existing_pods() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review(
            "/validate",
            &namespace_update(
                "uid-ns-up",
                "privileged-ns",
                json!({"pod-security.kubernetes.io/enforce": "privileged"}),
                json!({"pod-security.kubernetes.io/enforce": "baseline"}),
            ),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["allowed"], true);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("existing-root-pod"), "{r}");
    assert!(warnings.contains("privileged"), "{r}");
}

#[tokio::test]
async fn ephemeral_container_subresource_is_checked() {
    let s = TestServer::start().await;
    let old = restricted_pod();
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{
        "name": "debugger",
        "image": "busybox",
        "securityContext": {"privileged": true}
    }]);
    let (code, v) = s
        .review("/validate", &ephemeral_update("uid-eph", old, new))
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-eph");
    assert_eq!(r["allowed"], false);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("pods \"good\" is forbidden: violates PodSecurity \"restricted:v1.33\": privileged (container \"debugger\" must not set securityContext.privileged=true)"),
        "{msg}"
    );
}

#[tokio::test]
async fn dry_run_requests_are_evaluated_the_same_way() {
    let s = TestServer::start().await;
    let (code, v) = s
        .review(
            "/validate",
            &pod_create_dry_run("uid-dry", root_pod("restricted-ns")),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-dry");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["message"], ROOT_POD_RESTRICTED);
}

#[tokio::test]
async fn unknown_kind_is_400() {
    let s = TestServer::start().await;
    let reply = s
        .post(
            "/validate",
            serde_json::to_vec(&json!({"kind": "ConfigMap", "apiVersion": "v1"})).unwrap(),
        )
        .await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn mutate_returns_a_base64_json_patch() {
    let s = TestServer::start_with(
        Options {
            config: Some("mutation:\n  enabled: true\n"),
            ..Options::default()
        },
        None,
    )
    .await;
    let (code, v) = s
        .review("/mutate", &pod_create("uid-mut", root_pod("baseline-ns")))
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["uid"], "uid-mut");
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(r["patch"].as_str().expect("patch is a base64 string"))
        .unwrap();
    let ops: Value = serde_json::from_slice(&patch).unwrap();
    let ops = ops.as_array().unwrap();
    assert!(!ops.is_empty());
    assert!(ops
        .iter()
        .all(|op| op["op"].is_string() && op["path"].is_string()));
    assert!(
        String::from_utf8_lossy(&patch).contains("RuntimeDefault"),
        "{}",
        String::from_utf8_lossy(&patch)
    );
}

#[tokio::test]
async fn image_review_is_answered() {
    let s = TestServer::start().await;
    let review = json!({
        "apiVersion": "imagepolicy.k8s.io/v1alpha1",
        "kind": "ImageReview",
        "spec": {
            "containers": [{"image": "registry.example/app:1.0"}],
            "namespace": "restricted-ns"
        }
    });
    let (code, v) = s.review("/imagereview", &review).await;
    assert_eq!(code, 200);
    assert_eq!(v["kind"], "ImageReview");
    assert_eq!(v["status"]["allowed"], true);
}

#[tokio::test]
async fn invalid_config_fails_startup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "defaults:\n  enforce: strict\n").unwrap();
    let err = podgate_server::serve::load_config(Some(&cfg))
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("strict"), "{err:#}");
    // Errors carry the line and column of the field, as scan's do (trial
    // finding 17); an unknown field is located at itself.
    let at = |yaml: &str| {
        std::fs::write(&cfg, yaml).unwrap();
        let err = podgate_server::serve::load_config(Some(&cfg))
            .err()
            .unwrap();
        format!("{err:#}")
    };
    let shown = cfg.display().to_string();
    let e = at("defaults:\n  enforce: strict\n");
    assert!(
        e.starts_with(&format!("{shown}:2:3: defaults.enforce: ")),
        "{e}"
    );
    let e = at("# comment\nimages:\n  policy:\n    deniedImages: []\n    allowedRegistry: [x]\n");
    assert!(
        e.starts_with(&format!(
            "{shown}:5:5: images.policy.allowedRegistry: unknown field"
        )),
        "{e}"
    );
    std::fs::write(&cfg, "").unwrap();
    assert!(podgate_server::serve::load_config(Some(&cfg)).is_ok());
}

#[tokio::test]
async fn exceptions_from_a_podgate_yaml_allow_a_denied_pod() {
    // The same file `podgate scan` reads; --config sets no exceptions mode,
    // so the mode becomes enforce.
    const PODGATE_YAML: &str = "level: restricted\nexceptions:\n  - reason: legacy image runs as root (OPS-42)\n    namespace: restricted-ns\n    name: bad\n    checks: [\"pss:*\"]\n    expires: 2999-12-31\n";
    let s = TestServer::start_with(
        Options {
            exceptions: Some(PODGATE_YAML),
            ..Options::default()
        },
        None,
    )
    .await;
    let (code, v) = s
        .review(
            "/validate",
            &pod_create("uid-exc", root_pod("restricted-ns")),
        )
        .await;
    assert_eq!(code, 200);
    let r = response(&v);
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(
        r["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived allowPrivilegeEscalation, capabilities_restricted, runAsNonRoot, seccompProfile_restricted (reason: \"legacy image runs as root (OPS-42)\"; expires 2999-12-31)"
    );
    assert_eq!(r["auditAnnotations"]["enforce-policy"], "restricted:v1.33");
    // Another name is still denied.
    let mut other = root_pod("restricted-ns");
    other["metadata"]["name"] = json!("other");
    let (_, v) = s.review("/validate", &pod_create("uid-exc2", other)).await;
    assert_eq!(response(&v)["allowed"], false);

    // A configured mode wins: audit only reports what would be waived.
    let s = TestServer::start_with(
        Options {
            config: Some("exceptions:\n  mode: audit\n"),
            exceptions: Some(PODGATE_YAML),
            ..Options::default()
        },
        None,
    )
    .await;
    let (_, v) = s
        .review(
            "/validate",
            &pod_create("uid-exc3", root_pod("restricted-ns")),
        )
        .await;
    let r = response(&v);
    assert_eq!(r["allowed"], false);
    assert!(
        r["auditAnnotations"]["podgate-exceptions"]
            .as_str()
            .unwrap()
            .starts_with("exceptions[0] would waive allowPrivilegeEscalation"),
        "{r}"
    );
}
