//! Pods: enforce, audit, warn, updates, subresources, exemptions, errors.

use podgate_admission::{Decision, EvalMode, Evaluation, VersionLabel};
use podgate_core::pss::Level;
use serde_json::{json, Value};

use crate::common::*;

fn ann(resp: &Value) -> Value {
    resp.get("auditAnnotations").cloned().unwrap_or(json!({}))
}

#[test]
fn enforce_denies_with_upstream_status_and_no_warnings() {
    let adm = admission(&[(
        "team-a",
        &[
            ("enforce", "restricted"),
            ("warn", "restricted"),
            ("audit", "baseline"),
        ],
    )]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", pod("web", Value::Null)));
    assert_eq!(resp["allowed"], false);
    assert_eq!(
        resp["status"],
        json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("pods \"web\" is forbidden: violates PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}"),
            "reason": "Forbidden",
            "details": {"name": "web", "kind": "pods"},
            "code": 403
        })
    );
    // Warnings are suppressed on a denied request.
    assert!(resp.get("warnings").is_none());
    assert_eq!(ann(&resp), json!({"enforce-policy": "restricted:latest"}));
    assert_eq!(out.decision, Decision::Deny);
    assert_eq!(out.mode, Some(EvalMode::Enforce));
    assert_eq!(out.level, Some(Level::Restricted));
    assert_eq!(out.version, Some(VersionLabel::Latest));
    assert_eq!(
        out.evaluations,
        vec![Evaluation {
            decision: Decision::Deny,
            level: Level::Restricted,
            version: VersionLabel::Latest,
            mode: EvalMode::Enforce
        }]
    );
}

#[test]
fn audit_and_warn_on_an_allowed_pod() {
    let adm = admission(&[(
        "team-a",
        &[
            ("enforce", "baseline"),
            ("warn", "restricted"),
            ("audit", "restricted"),
            ("audit-version", "v1.30"),
        ],
    )]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", pod("web", Value::Null)));
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("status").is_none());
    assert_eq!(
        resp["warnings"],
        json!([format!(
            "would violate PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}"
        )])
    );
    assert_eq!(
        ann(&resp),
        json!({
            "enforce-policy": "baseline:latest",
            "audit-violations": format!("would violate PodSecurity \"restricted:v1.30\": {RESTRICTED_DETAIL}")
        })
    );
    assert_eq!(out.decision, Decision::Allow);
    let ev = |d, l, v, m| Evaluation {
        decision: d,
        level: l,
        version: v,
        mode: m,
    };
    assert_eq!(
        out.evaluations,
        vec![
            ev(
                Decision::Allow,
                Level::Baseline,
                VersionLabel::Latest,
                EvalMode::Enforce
            ),
            ev(
                Decision::Deny,
                Level::Restricted,
                VersionLabel::Minor(30),
                EvalMode::Audit
            ),
            ev(
                Decision::Deny,
                Level::Restricted,
                VersionLabel::Latest,
                EvalMode::Warn
            ),
        ]
    );
}

#[test]
fn privileged_namespace_short_circuits() {
    let adm = admission(&[("team-a", &[])]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", privileged_pod("web")));
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true,
                             "auditAnnotations": {"enforce-policy": "privileged:latest"}})
    );
    assert_eq!(out.evaluations.len(), 1);
    assert_eq!(out.evaluations[0].level, Level::Privileged);
}

#[test]
fn configured_defaults_apply_to_unlabelled_namespaces_and_labels_win() {
    let c = cluster(&[("plain", &[]), ("opted-out", &[("enforce", "privileged")])]);
    let adm = admission_with(
        json!({"defaults": {"enforce": "baseline", "enforce-version": "v1.28"}}),
        c,
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "plain", privileged_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        format!(
            "pods \"web\" is forbidden: violates PodSecurity \"baseline:v1.28\": {BASELINE_DETAIL}"
        )
    );
    // The label overrides the level; an all-privileged policy short-circuits
    // with upstream's fixed "privileged:latest" annotation.
    let (resp, _) = validate(
        &adm,
        &Req::pod("CREATE", "opted-out", privileged_pod("web")),
    );
    assert_eq!(resp["allowed"], true);
    assert_eq!(ann(&resp), json!({"enforce-policy": "privileged:latest"}));
}

#[test]
fn version_labels_and_future_versions() {
    let adm = admission(&[
        (
            "old",
            &[("enforce", "baseline"), ("enforce-version", "v1.23")],
        ),
        (
            "future",
            &[("enforce", "baseline"), ("enforce-version", "v1.99")],
        ),
    ]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "old", privileged_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        format!(
            "pods \"web\" is forbidden: violates PodSecurity \"baseline:v1.23\": {BASELINE_DETAIL}"
        )
    );
    assert_eq!(out.version, Some(VersionLabel::Minor(23)));
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "future", privileged_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        format!(
            "pods \"web\" is forbidden: violates PodSecurity \"baseline:v1.99\": {BASELINE_DETAIL}"
        )
    );
    assert_eq!(out.version, Some(VersionLabel::Future));
    assert_eq!(
        out.version.map(|v| v.to_string()),
        Some("future".to_string())
    );
}

#[test]
fn invalid_labels_fail_closed_for_enforce_and_open_for_warn() {
    let adm = admission(&[
        ("bad-enforce", &[("enforce", "Restricted")]),
        ("bad-warn", &[("warn", "loud"), ("enforce-version", "1.25")]),
    ]);
    let (resp, out) = validate(
        &adm,
        &Req::pod("CREATE", "bad-enforce", pod("web", Value::Null)),
    );
    assert_eq!(
        resp["status"]["message"],
        format!("pods \"web\" is forbidden: violates PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}")
    );
    assert_eq!(
        ann(&resp),
        json!({
            "enforce-policy": "restricted:latest",
            "error": "Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"Restricted\": must be one of privileged, baseline, restricted"
        })
    );
    assert_eq!(out.errors, vec![false]);

    // An invalid warn level fails open: no warning; the invalid version
    // means latest. Errors are still recorded, and the short-circuit for
    // all-privileged namespaces does not apply.
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "bad-warn", privileged_pod("web")));
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("warnings").is_none());
    assert_eq!(
        ann(&resp),
        json!({
            "enforce-policy": "privileged:latest",
            "error": "Failed to parse policy: [metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: \"1.25\": must be \"latest\" or \"v1.x\", metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"loud\": must be one of privileged, baseline, restricted]"
        })
    );
}

#[test]
fn updates_are_evaluated_only_when_images_or_seccomp_annotations_change() {
    let adm = admission(&[("team-a", &[("enforce", "baseline")])]);
    let old = privileged_pod("web");

    // Labels only: allowed without evaluation (no annotations at all).
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"]["tier"] = json!("frontend");
    let (resp, out) = validate(
        &adm,
        &Req::pod("CREATE", "team-a", relabelled).update(old.clone()),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    assert!(out.evaluations.is_empty());

    // Image changed: evaluated, and denied.
    let mut new_image = old.clone();
    new_image["spec"]["containers"][0]["image"] = json!("registry.example/app:2.0");
    let (resp, out) = validate(
        &adm,
        &Req::pod("CREATE", "team-a", new_image).update(old.clone()),
    );
    assert_eq!(resp["status"]["code"], 403);
    assert_eq!(out.operation.as_str(), "update");

    // Seccomp annotation changed: evaluated.
    let mut annotated = old.clone();
    annotated["metadata"]["annotations"] =
        json!({"container.seccomp.security.alpha.kubernetes.io/app": "runtime/default"});
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", annotated).update(old));
    assert_eq!(resp["allowed"], false);
}

#[test]
fn ephemeral_containers_subresource_is_evaluated() {
    let adm = admission(&[("team-a", &[("enforce", "baseline")])]);
    let old = restricted_pod("web");
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{
        "name": "debugger", "image": "busybox:1.36", "targetContainerName": "app",
        "securityContext": {"privileged": true}, "terminationMessagePolicy": "File"
    }]);
    let req = Req::pod("UPDATE", "team-a", new)
        .update(old)
        .sub("ephemeralcontainers");
    let (resp, out) = validate(&adm, &req);
    assert_eq!(
        resp["status"]["message"],
        "pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"debugger\" must not set securityContext.privileged=true)"
    );
    assert_eq!(out.subresource.as_str(), "ephemeralcontainers");
}

#[test]
fn ignored_subresources_are_allowed_untouched() {
    let adm = admission(&[("team-a", &[("enforce", "restricted")])]);
    for sub in ["status", "binding", "eviction", "exec"] {
        let req = Req::pod("UPDATE", "team-a", privileged_pod("web"))
            .update(privileged_pod("web"))
            .sub(sub);
        let (resp, out) = validate(&adm, &req);
        assert_eq!(
            resp,
            json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}),
            "{sub}"
        );
        assert!(out.evaluations.is_empty());
    }
}

#[test]
fn exemptions() {
    let c = cluster(&[
        ("team-a", &[("enforce", "restricted")]),
        ("kube-system", &[("enforce", "restricted")]),
    ]);
    let adm = admission_with(
        json!({"exemptions": {"namespaces": ["kube-system"], "usernames": ["system:serviceaccount:ci:deployer"],
                              "runtimeClasses": ["kata"]}}),
        c,
    );
    let (resp, out) = validate(
        &adm,
        &Req::pod("CREATE", "kube-system", privileged_pod("web")),
    );
    assert_eq!(resp["auditAnnotations"], json!({"exempt": "namespace"}));
    assert_eq!((out.decision, out.exempt), (Decision::Exempt, true));

    let req = Req::pod("CREATE", "team-a", privileged_pod("web"))
        .user("system:serviceaccount:ci:deployer");
    let (resp, _) = validate(&adm, &req);
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true,
                             "auditAnnotations": {"exempt": "user"}})
    );

    let mut kata = privileged_pod("web");
    kata["spec"]["runtimeClassName"] = json!("kata");
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", kata));
    assert_eq!(resp["auditAnnotations"], json!({"exempt": "runtimeClass"}));
    assert!(out.exempt);
}

#[test]
fn unknown_namespace_fails_closed_for_pods() {
    let adm = admission(&[]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "ghost", restricted_pod("web")));
    assert_eq!(
        resp["status"],
        json!({"metadata": {}, "status": "Failure", "message": "Internal error occurred: failed to lookup namespace \"ghost\"",
               "reason": "InternalError", "details": {"causes": [{"message": "failed to lookup namespace \"ghost\""}]}, "code": 500})
    );
    assert_eq!(
        resp["auditAnnotations"],
        json!({"error": "Internal error occurred: failed to lookup namespace \"ghost\": namespaces \"ghost\" not found"})
    );
    assert_eq!(
        (out.decision, out.errors.clone()),
        (Decision::Error, vec![true])
    );
}

#[test]
fn undecodable_pods_are_bad_requests() {
    let adm = admission(&[("team-a", &[("enforce", "baseline")])]);
    let mut bad = pod("web", json!({"privileged": "yes"}));
    bad["spec"]["hostNetwork"] = json!(true);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", bad));
    assert_eq!(
        resp["status"],
        json!({"metadata": {}, "status": "Failure", "message": "failed to decode object", "reason": "BadRequest", "code": 400})
    );
    let err = resp["auditAnnotations"]["error"].as_str().unwrap();
    // The field path is named; no position inside the object text.
    assert_eq!(
        err,
        "failed to decode object: spec.containers[0].securityContext.privileged: invalid type: string \"yes\", expected a boolean"
    );
    assert_eq!(out.decision, Decision::Error);

    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", Value::Null));
    assert_eq!(resp["status"]["message"], "failed to decode pod");
}

#[test]
fn dry_run_is_evaluated_the_same() {
    let adm = admission(&[("team-a", &[("enforce", "restricted")])]);
    let req = Req::pod("CREATE", "team-a", pod("web", Value::Null));
    let (wet, _) = validate(&adm, &req);
    let (dry, out) = validate(&adm, &req.clone().dry_run());
    assert_eq!(wet, dry);
    assert!(out.dry_run);
}

#[test]
fn generated_names_and_other_operations() {
    let adm = admission(&[("team-a", &[("enforce", "baseline")])]);
    let mut p = privileged_pod("");
    p["metadata"]["generateName"] = json!("web-7d4b9c-");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", p));
    assert_eq!(
        resp["status"]["message"],
        format!("pods is forbidden: violates PodSecurity \"baseline:latest\": {BASELINE_DETAIL}")
    );
    assert_eq!(resp["status"]["details"], json!({"kind": "pods"}));
    let (resp, _) = validate(&adm, &Req::pod("DELETE", "team-a", Value::Null));
    assert_eq!(resp["allowed"], true);
}

#[test]
fn request_errors() {
    let adm = admission(&[]);
    let now = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let err = adm.validate(b"not json", now).unwrap_err();
    assert_eq!(err.to_string(), "unable to decode the request");
    let err = adm
        .validate(
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#,
            now,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected AdmissionReview kind: admission.k8s.io/v1beta1, Kind=AdmissionReview"
    );
    let err = adm
        .validate(
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
            now,
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "AdmissionReview has no request");
}

/// Upstream parses the minor version into a Go int (64 bits): a version past
/// u32 is a valid future version (evaluated as latest, `future` in the
/// metrics), not an invalid label.
#[test]
fn a_minor_version_past_u32_is_a_future_version() {
    let big: &[(&str, &str)] = &[
        ("enforce", "restricted"),
        ("enforce-version", "v1.9999999999"),
    ];
    let adm = admission(&[("team-a", big)]);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", pod("web", Value::Null)));
    assert_eq!(
        resp["status"]["message"],
        json!(format!(
            "pods \"web\" is forbidden: violates PodSecurity \"restricted:v1.9999999999\": {RESTRICTED_DETAIL}"
        ))
    );
    assert_eq!(
        ann(&resp),
        json!({"enforce-policy": "restricted:v1.9999999999"})
    );
    assert_eq!(out.evaluations[0].version, VersionLabel::Future);
    // The namespace label is valid.
    let ns = Req::namespace("CREATE", "team-b", big, None);
    assert_eq!(validate(&adm, &ns).0["allowed"], true);
}

/// A namespace that is not cached is fetched from the API server under the
/// review's own deadline (upstream passes the request's context), and the
/// workloads' lookup gets the same deadline.
#[test]
fn namespace_lookups_get_the_reviews_deadline() {
    let c = std::sync::Arc::new(cluster(&[("team-a", &[("enforce", "baseline")])]));
    let adm = podgate_admission::Admission::new(
        podgate_admission::AdmissionConfig::from_yaml_value(json!({})).unwrap(),
        c.clone(),
        c.clone(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2500);
    let (resp, _) = validate_by(
        &adm,
        &Req::pod("CREATE", "team-a", pod("web", Value::Null)),
        deadline,
    );
    assert_eq!(resp["allowed"], true);
    let (resp, _) = validate_by(
        &adm,
        &Req::pod("CREATE", "ghost", pod("web", Value::Null)),
        deadline,
    );
    assert_eq!(resp["status"]["code"], 500);
    // Each validate_by call decodes the review twice (both decode paths).
    let seen = c.lookup_deadlines.lock().unwrap().clone();
    assert_eq!(seen, vec![deadline; 4]);
}
