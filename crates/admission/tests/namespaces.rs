//! Namespaces: label validation and the dry run of a tightened enforce level.

use std::time::{Duration, Instant};

use podgate_admission::Decision;
use podgate_core::model::PodTemplate;
use serde_json::{json, Value};

use crate::common::*;

fn pod_model(name: &str, v: Value) -> PodTemplate {
    let mut v = v;
    v["metadata"]["name"] = json!(name);
    serde_json::from_value(v).unwrap()
}

#[test]
fn invalid_labels_are_rejected_on_create() {
    let adm = admission(&[]);
    let req = Req::namespace(
        "CREATE",
        "team-a",
        &[("enforce", "strict"), ("warn-version", "v1.2.3")],
        None,
    );
    let (resp, out) = validate(&adm, &req);
    assert_eq!(
        resp["status"],
        json!({
            "metadata": {},
            "status": "Failure",
            "message": "Namespace \"team-a\" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"v1.2.3\": must be \"latest\" or \"v1.x\"]",
            "reason": "Invalid",
            "details": {
                "name": "team-a",
                "kind": "Namespace",
                "causes": [
                    {"reason": "FieldValueInvalid", "message": "Invalid value: \"strict\": must be one of privileged, baseline, restricted",
                     "field": "metadata.labels[pod-security.kubernetes.io/enforce]"},
                    {"reason": "FieldValueInvalid", "message": "Invalid value: \"v1.2.3\": must be \"latest\" or \"v1.x\"",
                     "field": "metadata.labels[pod-security.kubernetes.io/warn-version]"}
                ]
            },
            "code": 422
        })
    );
    assert_eq!(out.decision, Decision::Deny);

    let single = Req::namespace("CREATE", "team-a", &[("audit", "none")], None);
    let (resp, _) = validate(&adm, &single);
    assert_eq!(
        resp["status"]["message"],
        "Namespace \"team-a\" is invalid: metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"none\": must be one of privileged, baseline, restricted"
    );
    let ok = Req::namespace(
        "CREATE",
        "team-a",
        &[("enforce", "restricted"), ("enforce-version", "v1.30")],
        None,
    );
    assert_eq!(validate(&adm, &ok).0["allowed"], true);
}

#[test]
fn invalid_labels_are_rejected_on_update_only_when_changed() {
    let adm = admission(&[]);
    let bad: &[(&str, &str)] = &[("enforce", "strict")];
    let unchanged = Req::namespace(
        "UPDATE",
        "team-a",
        &[("enforce", "strict"), ("team", "a")],
        Some(bad),
    );
    assert_eq!(validate(&adm, &unchanged).0["allowed"], true);
    let changed = Req::namespace("UPDATE", "team-a", &[("enforce", "stricter")], Some(bad));
    assert_eq!(validate(&adm, &changed).0["status"]["code"], 422);
    let newly_bad = Req::namespace("UPDATE", "team-a", bad, Some(&[]));
    assert_eq!(validate(&adm, &newly_bad).0["status"]["code"], 422);
}

fn cluster_with_pods() -> FakeCluster {
    let mut c = cluster(&[]);
    c.pods.insert(
        "team-a".into(),
        vec![
            pod_model("web-b", pod("x", Value::Null)),
            pod_model("web-a", pod("x", Value::Null)),
            pod_model("db-0", privileged_pod("x")),
            pod_model("ok", restricted_pod("x")),
        ],
    );
    c
}

#[test]
fn tightening_enforce_warns_about_existing_pods() {
    let adm = admission_with(json!({}), cluster_with_pods());
    let req = Req::namespace(
        "UPDATE",
        "team-a",
        &[("enforce", "restricted")],
        Some(&[("enforce", "baseline")]),
    );
    let (resp, out) = validate(&adm, &req);
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["warnings"],
        json!([
            "existing pods in namespace \"team-a\" violate the new PodSecurity enforce level \"restricted:latest\"",
            "db-0: host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            "web-a (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
        ])
    );
    assert_eq!(out.decision, Decision::Allow);
    // A dry run gets the same warnings.
    assert_eq!(validate(&adm, &req.clone().dry_run()).0, resp);
}

#[test]
fn no_dry_run_when_not_tightened() {
    let adm = admission_with(json!({}), cluster_with_pods());
    type Labels<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Labels, Labels)] = &[
        (
            &[("enforce", "restricted")],
            &[("enforce", "restricted"), ("team", "a")],
        ), // unchanged
        (&[("enforce", "restricted")], &[("enforce", "baseline")]), // relaxed
        (&[("enforce", "baseline")], &[("enforce", "privileged")]), // to privileged
    ];
    for (old, new) in cases {
        let (resp, _) = validate(&adm, &Req::namespace("UPDATE", "team-a", new, Some(old)));
        assert_eq!(
            resp,
            json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}),
            "{old:?} → {new:?}"
        );
    }
    // A version change at the same level is dry-run.
    let req = Req::namespace(
        "UPDATE",
        "team-a",
        &[("enforce", "restricted"), ("enforce-version", "latest")],
        Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")]),
    );
    assert_eq!(
        validate(&adm, &req).0["warnings"].as_array().map(Vec::len),
        Some(3)
    );
}

#[test]
fn exempt_namespaces_are_not_dry_run() {
    let adm = admission_with(
        json!({"exemptions": {"namespaces": ["team-a"]}}),
        cluster_with_pods(),
    );
    let req = Req::namespace("UPDATE", "team-a", &[("enforce", "restricted")], None);
    let (resp, out) = validate(&adm, &req);
    // Upstream's `exemptNamespaceWarning` instead of the pods' violations.
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true,
               "warnings": ["namespace \"team-a\" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored"]})
    );
    assert_eq!(out.decision, Decision::Exempt);
    assert!(
        !out.exempt,
        "upstream records no exemption metric for namespaces"
    );
}

/// Upstream `exemptNamespaceWarning` (Kubernetes 1.25+), on create and on an
/// update that tightens enforce: only the modes that are not privileged and
/// have a label of their own are named; nothing when the policy is fully
/// privileged or equivalent to the configured defaults.
#[test]
fn labelling_an_exempt_namespace_warns_that_the_policy_is_ignored() {
    let adm = admission_with(
        json!({"defaults": {"enforce": "baseline"}, "exemptions": {"namespaces": ["kube-system"]}}),
        cluster(&[]),
    );
    let warnings = |op: &'static str, labels: &[(&str, &str)], old: Option<&[(&str, &str)]>| {
        let (resp, out) = validate(&adm, &Req::namespace(op, "kube-system", labels, old));
        assert_eq!(resp["allowed"], true);
        assert!(resp.get("auditAnnotations").is_none(), "{resp}");
        assert!(resp.get("status").is_none(), "{resp}");
        assert_eq!(out.decision, Decision::Exempt);
        resp["warnings"].clone()
    };
    let ignored = |policy: &str| {
        json!([format!(
            "namespace \"kube-system\" is exempt from Pod Security, and the policy ({policy}) will be ignored"
        )])
    };
    assert_eq!(
        warnings(
            "CREATE",
            &[("warn", "restricted"), ("audit", "baseline")],
            None
        ),
        ignored("audit=baseline:latest, warn=restricted:latest")
    );
    // enforce comes from the defaults (no label of its own): not named.
    assert_eq!(
        warnings(
            "CREATE",
            &[("warn-version", "v1.30"), ("warn", "baseline")],
            None
        ),
        ignored("warn=baseline:v1.30")
    );
    assert_eq!(
        warnings("UPDATE", &[("enforce", "restricted")], Some(&[])),
        ignored("enforce=restricted:latest")
    );
    assert_eq!(
        warnings(
            "UPDATE",
            &[("enforce", "restricted"), ("enforce-version", "v1.29")],
            Some(&[("enforce", "baseline")])
        ),
        ignored("enforce=restricted:v1.29")
    );
    // No warning: the same policy as the defaults, a fully privileged one,
    // or an update that does not tighten enforce.
    assert_eq!(
        warnings("CREATE", &[("enforce", "baseline")], None),
        Value::Null
    );
    assert_eq!(
        warnings(
            "CREATE",
            &[("enforce", "baseline"), ("enforce-version", "latest")],
            None
        ),
        Value::Null
    );
    let none: &[(&str, &str)] = &[];
    let admp = admission_with(
        json!({"exemptions": {"namespaces": ["kube-system"]}}),
        cluster(&[]),
    );
    let (resp, _) = validate(
        &admp,
        &Req::namespace("CREATE", "kube-system", &[("enforce", "privileged")], None),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    let (resp, _) = validate(&admp, &Req::namespace("CREATE", "kube-system", none, None));
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    let (resp, out) = validate(
        &adm,
        &Req::namespace(
            "UPDATE",
            "kube-system",
            &[("enforce", "baseline"), ("warn", "restricted")],
            Some(&[("enforce", "restricted")]),
        ),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
    assert_eq!(out.decision, Decision::Allow);
    // A namespace that is not exempt gets no such warning on create.
    let (resp, _) = validate(
        &adm,
        &Req::namespace("CREATE", "team-a", &[("enforce", "restricted")], None),
    );
    assert!(resp.get("warnings").is_none(), "{resp}");
}

#[test]
fn dry_run_is_capped_at_3000_pods() {
    let mut c = cluster(&[]);
    c.pods.insert(
        "big".into(),
        (0..3001)
            .map(|i| pod_model(&format!("p-{i:04}"), pod("x", Value::Null)))
            .collect(),
    );
    let adm = admission_with(json!({}), c);
    let (resp, _) = validate(
        &adm,
        &Req::namespace("UPDATE", "big", &[("enforce", "restricted")], None),
    );
    assert_eq!(
        resp["warnings"],
        json!([
            "new PodSecurity enforce level only checked against the first 3000 of 3001 existing pods",
            "existing pods in namespace \"big\" violate the new PodSecurity enforce level \"restricted:latest\"",
            "p-0000 (and 2999 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
        ])
    );
}

#[test]
fn dry_run_stops_at_the_deadline() {
    let adm = admission_with(json!({}), cluster_with_pods());
    // The API server's deadline has passed: no time for the dry run.
    let past = Instant::now() - Duration::from_secs(5);
    let req = Req::namespace("UPDATE", "team-a", &[("enforce", "baseline")], None);
    let (resp, _) = validate_by(&adm, &req, past);
    // The first pod is always checked.
    assert_eq!(
        resp["warnings"],
        json!([
            "new PodSecurity enforce level only checked against the first 1 of 4 existing pods"
        ])
    );
}

#[test]
fn runtime_class_exempt_pods_are_skipped() {
    let mut c = cluster(&[]);
    let mut kata = privileged_pod("x");
    kata["spec"]["runtimeClassName"] = json!("kata");
    c.pods
        .insert("team-a".into(), vec![pod_model("sandboxed", kata)]);
    let adm = admission_with(json!({"exemptions": {"runtimeClasses": ["kata"]}}), c);
    let (resp, _) = validate(
        &adm,
        &Req::namespace("UPDATE", "team-a", &[("enforce", "baseline")], None),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true})
    );
}

/// Upstream `prioritizePods`: one pod per controller first, the other
/// replicas after, so the 3000-pod cap drops replicas, not workloads.
#[test]
fn dry_run_checks_one_pod_per_controller_first() {
    let owned = |name: &str, v: Value, refs: Value| {
        let mut p = v;
        p["metadata"]["ownerReferences"] = refs;
        pod_model(name, p)
    };
    let rs1 = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                      "uid": "uid-rs-1", "controller": true}]);
    let mut pods: Vec<PodTemplate> = (0..3000)
        .map(|i| owned(&format!("r-{i:04}"), pod("x", Value::Null), rs1.clone()))
        .collect();
    pods.push(pod_model("zz-bare", privileged_pod("x")));
    // Controlled by uid-rs-2: a non-controller reference to uid-rs-1 does
    // not count.
    pods.push(owned(
        "zz-other",
        privileged_pod("x"),
        json!([{"uid": "uid-rs-1", "controller": false},
               {"uid": "uid-rs-2", "controller": true}]),
    ));
    let mut c = cluster(&[]);
    c.pods.insert("big".into(), pods);
    let adm = admission_with(json!({}), c);
    let (resp, _) = validate(
        &adm,
        &Req::namespace("UPDATE", "big", &[("enforce", "restricted")], None),
    );
    assert_eq!(
        resp["warnings"],
        json!([
            "new PodSecurity enforce level only checked against the first 3000 of 3002 existing pods",
            "existing pods in namespace \"big\" violate the new PodSecurity enforce level \"restricted:latest\"",
            "r-0000 (and 2997 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            "zz-bare (and 1 other pod): host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
        ])
    );
}

#[test]
fn a_failed_pod_list_is_a_warning() {
    let mut c = cluster_with_pods();
    c.pod_list_fails = true;
    let adm = admission_with(json!({}), c);
    let (resp, out) = validate(
        &adm,
        &Req::namespace("UPDATE", "team-a", &[("enforce", "restricted")], None),
    );
    assert_eq!(
        resp,
        json!({"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true,
               "warnings": ["failed to list pods while checking new PodSecurity enforce level"]})
    );
    assert_eq!(out.decision, Decision::Allow);
}
