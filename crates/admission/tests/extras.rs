//! podgate's additions: image policy, rules and exceptions, each with a mode.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use podgate_admission::config::Severity;
use podgate_admission::{Admission, Feature, ImageCheck, ImageFinding, Mode, RuleCheck, RuleHit};
use podgate_core::model::PodTemplate;
use serde_json::{json, Value};

use crate::common::*;

/// Flags unpinned images.
struct PinnedTags;

impl ImageCheck for PinnedTags {
    fn check(&self, image: &str) -> Vec<ImageFinding> {
        if image.ends_with(":latest") || !image.contains(':') {
            vec![ImageFinding {
                code: "unpinned".into(),
                message: format!("image {image:?} is not pinned"),
            }]
        } else {
            vec![]
        }
    }
}

/// Flags containers without resource limits (medium) and pods using the
/// default service account (low).
struct Limits;

impl RuleCheck for Limits {
    fn check(&self, _kind: &str, pod: &PodTemplate) -> Vec<RuleHit> {
        let mut hits = Vec::new();
        for c in &pod.spec.containers {
            if c.resources.as_ref().is_none_or(|r| r.limits.is_empty()) {
                hits.push(RuleHit {
                    rule: "resources-memory-limit".into(),
                    severity: Severity::Medium,
                    message: format!("container {:?} has no resource limits", c.name),
                });
            }
        }
        if pod.spec.effective_service_account() == "default" {
            hits.push(RuleHit {
                rule: "service-account-default".into(),
                severity: Severity::Low,
                message: "uses the default service account".into(),
            });
        }
        hits
    }
}

/// 2027-01-15T12:00:00Z
fn jan_15_2027() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(20_833 * 86_400 + 43_200)
}

fn with_extras(config: Value, namespaces: &[(&str, &[(&str, &str)])]) -> Admission {
    admission_with(config, cluster(namespaces))
        .with_image_check(Arc::new(PinnedTags))
        .with_rule_check(Arc::new(Limits))
        .with_wall_clock(jan_15_2027)
}

fn unpinned_pod(name: &str) -> Value {
    let mut p = restricted_pod(name);
    p["spec"]["containers"][0]["image"] = json!("nginx:latest");
    p["spec"]["initContainers"] = json!([{"name": "init", "image": "busybox",
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]);
    p
}

const UNPINNED: &str = "container \"init\": image \"busybox\" is not pinned, container \"app\": image \"nginx:latest\" is not pinned";

#[test]
fn the_clock_is_what_the_tests_think() {
    let d = podgate_admission::config::Date::from_system_time(jan_15_2027());
    assert_eq!(d.to_string(), "2027-01-15");
}

#[test]
fn modes_off_are_byte_identical_to_upstream() {
    let namespaces: &[(&str, &[(&str, &str)])] = &[(
        "team-a",
        &[
            ("enforce", "baseline"),
            ("warn", "restricted"),
            ("audit", "restricted"),
        ],
    )];
    let plain = admission(namespaces);
    let off = with_extras(
        json!({"images": {"mode": "off"}, "rules": {"mode": "off"},
               "exceptions": {"mode": "off", "entries": [{"namespace": "*", "checks": ["*"], "reason": "all"}]}}),
        namespaces,
    );
    let now = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for obj in [
        pod("web", Value::Null),
        privileged_pod("web"),
        unpinned_pod("web"),
    ] {
        let body = Req::pod("CREATE", "team-a", obj).body();
        assert_eq!(
            plain.validate(&body, now).unwrap().0,
            off.validate(&body, now).unwrap().0
        );
    }
    // Privileged namespaces still short-circuit with everything off.
    let body = Req::pod("CREATE", "team-a", unpinned_pod("web")).body();
    let a = admission(&[("team-a", &[])])
        .validate(&body, now)
        .unwrap()
        .0;
    let b = with_extras(json!({}), &[("team-a", &[])])
        .validate(&body, now)
        .unwrap()
        .0;
    assert_eq!(a, b);
}

#[test]
fn image_policy_enforce_denies_pods_and_joins_pod_security() {
    let adm = with_extras(
        json!({"images": {"mode": "enforce"}}),
        &[("team-a", &[("enforce", "baseline")])],
    );
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "team-a", unpinned_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        format!("pods \"web\" is forbidden: violates podgate image policy: {UNPINNED}")
    );
    assert_eq!(
        resp["auditAnnotations"]["podgate-image-violations"],
        format!("violates podgate image policy: {UNPINNED}")
    );
    assert_eq!(out.features[0].feature, Feature::Images);

    let mut both = unpinned_pod("web");
    both["spec"]["hostNetwork"] = json!(true);
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", both));
    assert_eq!(
        resp["status"]["message"],
        format!("pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true); violates podgate image policy: {UNPINNED}")
    );

    // Even in a privileged namespace images are checked when the mode is on.
    let adm = with_extras(json!({"images": {"mode": "enforce"}}), &[("team-a", &[])]);
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", unpinned_pod("web")));
    assert_eq!(resp["allowed"], false);
    assert_eq!(
        resp["auditAnnotations"]["enforce-policy"],
        "privileged:latest"
    );

    // Ephemeral containers are checked too.
    let adm = with_extras(json!({"images": {"mode": "enforce"}}), &[("team-a", &[])]);
    let old = restricted_pod("web");
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox:latest"}]);
    let (resp, _) = validate(
        &adm,
        &Req::pod("UPDATE", "team-a", new)
            .update(old)
            .sub("ephemeralcontainers"),
    );
    assert_eq!(
        resp["status"]["message"],
        "pods \"web\" is forbidden: violates podgate image policy: container \"debug\": image \"busybox:latest\" is not pinned"
    );
}

#[test]
fn image_policy_warn_audit_and_workloads() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[])];
    let (resp, _) = validate(
        &with_extras(json!({"images": {"mode": "warn"}}), ns),
        &Req::pod("CREATE", "team-a", unpinned_pod("web")),
    );
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["warnings"],
        json!([format!("would violate podgate image policy: {UNPINNED}")])
    );

    let (resp, _) = validate(
        &with_extras(json!({"images": {"mode": "audit"}}), ns),
        &Req::pod("CREATE", "team-a", unpinned_pod("web")),
    );
    assert!(resp.get("warnings").is_none());
    assert_eq!(
        resp["auditAnnotations"]["podgate-image-violations"],
        format!("would violate podgate image policy: {UNPINNED}")
    );

    // Workloads are never denied: enforce warns.
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                        "spec": {"template": {"spec": unpinned_pod("x")["spec"]}}});
    let adm = with_extras(json!({"images": {"mode": "enforce"}}), ns);
    let (resp, _) = validate(
        &adm,
        &Req::workload("apps", "deployments", "Deployment", "team-a", deploy),
    );
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["warnings"],
        json!([format!("would violate podgate image policy: {UNPINNED}")])
    );
}

#[test]
fn rules_respect_min_severity_and_enabled_list() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[])];
    let adm = with_extras(
        json!({"rules": {"mode": "warn", "minSeverity": "medium"}}),
        ns,
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", restricted_pod("web")));
    assert_eq!(
        resp["warnings"],
        json!(["would violate podgate rules: resources-memory-limit (container \"app\" has no resource limits)"])
    );
    let adm = with_extras(
        json!({"rules": {"mode": "enforce", "enabled": ["service-account-default"]}}),
        ns,
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", restricted_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        "pods \"web\" is forbidden: violates podgate rules: service-account-default (uses the default service account)"
    );
}

#[test]
fn exceptions_waive_checks_until_they_expire() {
    let ns: &[(&str, &[(&str, &str)])] = &[("legacy", &[("enforce", "restricted")])];
    let mut root = restricted_pod("billing-api-0");
    root["spec"]["securityContext"]["runAsNonRoot"] = Value::Null;
    let config = |expires: &str, mode: &str| {
        json!({"images": {"mode": "enforce"}, "exceptions": {"mode": mode, "entries": [
            {"namespace": "legacy", "name": "billing-*", "checks": ["runAsNonRoot", "image:unpinned"],
             "reason": "TICKET-42 root image", "expires": expires}
        ]}})
    };

    let adm = with_extras(config("2027-01-15", "enforce"), ns);
    let (resp, out) = validate(&adm, &Req::pod("CREATE", "legacy", root.clone()));
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"],
        json!({"enforce-policy": "restricted:latest",
               "podgate-exceptions": "exceptions[0] waived runAsNonRoot (reason: \"TICKET-42 root image\"; expires 2027-01-15)"})
    );
    assert!(out
        .features
        .iter()
        .any(|f| f.feature == Feature::Exceptions && f.mode == Mode::Enforce));

    // Images are waived too.
    let mut both = root.clone();
    both["spec"]["containers"][0]["image"] = json!("nginx");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "legacy", both));
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived image:unpinned, runAsNonRoot (reason: \"TICKET-42 root image\"; expires 2027-01-15)"
    );

    // Other names are not covered.
    let mut other = root.clone();
    other["metadata"]["name"] = json!("api-0");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "legacy", other));
    assert_eq!(resp["allowed"], false);

    // Expired the day before: no longer applies.
    let adm = with_extras(config("2027-01-14", "enforce"), ns);
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "legacy", root.clone()));
    assert_eq!(
        resp["status"]["message"],
        "pods \"billing-api-0\" is forbidden: violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)"
    );

    // Warn mode: a dry run of the exception.
    let adm = with_extras(
        config("2027-12-31", "warn"),
        &[("legacy", &[("warn", "restricted")])],
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "legacy", root));
    assert_eq!(
        resp["warnings"],
        json!([
            "would violate PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
            "podgate: exceptions[0] would waive runAsNonRoot (reason: \"TICKET-42 root image\"; expires 2027-12-31)"
        ])
    );
}

#[test]
fn exceptions_match_generated_names() {
    let adm = with_extras(
        json!({"exceptions": {"mode": "enforce", "entries": [
            {"namespace": "legacy", "name": "billing-*", "checks": ["pss:*"], "reason": "r"}]}}),
        &[("legacy", &[("enforce", "baseline")])],
    );
    let mut p = privileged_pod("");
    p["metadata"]["generateName"] = json!("billing-7c9f-");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "legacy", p));
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived hostNamespaces, privileged (reason: \"r\")"
    );
}

#[test]
fn builtin_image_policy_and_rules_from_the_configuration() {
    // No injected checkers: the core image policy and rules, configured.
    let adm = admission_with(
        json!({"images": {"mode": "enforce", "policy": {"denyLatest": true, "allowedRegistries": ["registry.example"]}},
               "rules": {"mode": "warn", "minSeverity": "high", "enabled": ["resources-memory-limit", "image-tag-latest"]}}),
        cluster(&[("team-a", &[])]),
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", unpinned_pod("web")));
    let msg = resp["status"]["message"].as_str().unwrap();
    assert!(
        msg == "pods \"web\" is forbidden: violates podgate image policy: \
container \"init\": image \"docker.io/library/busybox:latest\" comes from registry \"docker.io\", which is not an allowed registry (\"registry.example\"), \
container \"init\": image \"docker.io/library/busybox:latest\" has no tag, which means \"latest\"; use a specific tag or a digest, \
container \"app\": image \"docker.io/library/nginx:latest\" comes from registry \"docker.io\", which is not an allowed registry (\"registry.example\"), \
container \"app\": image \"docker.io/library/nginx:latest\" uses the tag \"latest\"; use a specific tag or a digest",
        "{msg}"
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", restricted_pod("web")));
    assert_eq!(resp["allowed"], true);
    let warnings = resp["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("would violate podgate rules: resources-memory-limit ("),
        "{warnings:?}"
    );

    let err = podgate_admission::AdmissionConfig::from_yaml_value(
        json!({"rules": {"enabled": ["no-such-rule"]}}),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "rules: enabled[0]: unknown rule \"no-such-rule\"");
    let err = podgate_admission::AdmissionConfig::from_yaml_value(
        json!({"images": {"policy": {"allowedRegistries": [""]}}}),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("images: policy: allowedRegistries[0]"),
        "{err}"
    );
}

#[test]
fn exceptions_as_a_bare_list_are_enforced() {
    // podgate.yaml's shape: a list without a mode means enforce.
    let adm = with_extras(
        json!({"exceptions": [
            {"namespaces": ["legacy"], "names": ["billing-*"], "checks": ["pss:*"], "reason": "r"}]}),
        &[("legacy", &[("enforce", "baseline")])],
    );
    assert_eq!(adm.config().exceptions.mode(), Mode::Enforce);
    let (resp, _) = validate(
        &adm,
        &Req::pod("CREATE", "legacy", privileged_pod("billing-0")),
    );
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived hostNamespaces, privileged (reason: \"r\")"
    );
    // No namespace selector: every namespace.
    let adm = with_extras(
        json!({"exceptions": [{"checks": ["privileged", "hostNamespaces"], "reason": "r"}]}),
        &[("team-b", &[("enforce", "baseline")])],
    );
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-b", privileged_pod("x")));
    assert_eq!(resp["allowed"], true, "{resp}");
}

#[test]
fn exceptions_match_kinds() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[])];
    let adm = with_extras(
        json!({"images": {"mode": "enforce"}, "exceptions": [
            {"kinds": ["deployment"], "checks": ["image:*"], "reason": "rollout in progress"}]}),
        ns,
    );
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                        "spec": {"template": {"spec": unpinned_pod("x")["spec"]}}});
    let (resp, _) = validate(
        &adm,
        &Req::workload("apps", "deployments", "Deployment", "team-a", deploy),
    );
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("warnings").is_none(), "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived image:unpinned (reason: \"rollout in progress\")"
    );
    // A bare Pod is another kind.
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", unpinned_pod("web")));
    assert_eq!(
        resp["status"]["message"],
        format!("pods \"web\" is forbidden: violates podgate image policy: {UNPINNED}")
    );
}

#[test]
fn exceptions_match_the_pod_template_labels() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[("enforce", "baseline")])];
    let adm = with_extras(
        json!({"exceptions": {"mode": "enforce", "entries": [
            {"namespace": "team-a", "selector": {"app": "node-agent"}, "checks": ["pss:hostNamespaces", "privileged"],
             "reason": "node agent"}]}}),
        ns,
    );
    let mut agent = privileged_pod("agent-x1");
    agent["metadata"]["labels"] = json!({"app": "node-agent", "tier": "system"});
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", agent));
    assert_eq!(resp["allowed"], true, "{resp}");
    let mut other = privileged_pod("agent-x1");
    other["metadata"]["labels"] = json!({"app": "web"});
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", other));
    assert_eq!(resp["allowed"], false);

    // For a workload, the pod template's labels.
    let adm = with_extras(
        json!({"exceptions": [{"selector": {"app": "node-agent"}, "checks": ["*"], "reason": "node agent"}]}),
        &[("team-a", &[("warn", "baseline")])],
    );
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                    "spec": {"template": {"metadata": {"labels": {"app": "node-agent"}},
                                          "spec": privileged_pod("x")["spec"]}}});
    let (resp, _) = validate(
        &adm,
        &Req::workload("apps", "daemonsets", "DaemonSet", "team-a", ds),
    );
    assert!(resp.get("warnings").is_none(), "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived hostNamespaces, privileged (reason: \"node agent\")"
    );
}

#[test]
fn exceptions_match_container_images() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[])];
    let adm = with_extras(
        json!({"images": {"mode": "enforce"}, "exceptions": [
            {"images": ["nginx:*", "busybox"], "checks": ["image:unpinned"], "reason": "upstream nginx"}]}),
        ns,
    );
    // Every container's image matches (app nginx, init busybox).
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", unpinned_pod("web")));
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived image:unpinned (reason: \"upstream nginx\")"
    );
    // Ephemeral containers count too: a debug container with another image
    // takes the pod out of the exception.
    let old = unpinned_pod("web");
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "nginx:latest"}]);
    let req = |new: Value| {
        Req::pod("UPDATE", "team-a", new)
            .update(old.clone())
            .sub("ephemeralcontainers")
    };
    let (resp, _) = validate(&adm, &req(new.clone()));
    assert_eq!(resp["allowed"], true, "{resp}");
    new["spec"]["ephemeralContainers"][0]["image"] = json!("docker.io/evil/tools:latest");
    let (resp, _) = validate(&adm, &req(new));
    assert_eq!(resp["allowed"], false, "{resp}");
    // One container outside the globs (a sidecar next to the trusted
    // image): not covered, so an exception cannot be borrowed.
    let nginx_only = with_extras(
        json!({"images": {"mode": "enforce"}, "exceptions": [
            {"images": ["nginx:*"], "checks": ["image:unpinned"], "reason": "upstream nginx"}]}),
        ns,
    );
    let (resp, _) = validate(
        &nginx_only,
        &Req::pod("CREATE", "team-a", unpinned_pod("web")),
    );
    assert_eq!(resp["allowed"], false, "{resp}");
    // A pattern without a tag covers every tag of that image (busybox is
    // docker.io/library/busybox, as in the image policy)...
    let mut p = unpinned_pod("web");
    p["spec"]["containers"][0]["image"] = json!("busybox:latest");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", p.clone()));
    assert_eq!(resp["allowed"], true, "{resp}");
    // ...but never an image of another registry that starts the same.
    p["spec"]["containers"][0]["image"] = json!("nginx.evil.com/nginx:1");
    let (resp, _) = validate(&adm, &Req::pod("CREATE", "team-a", p));
    assert_eq!(resp["allowed"], false);
}

#[test]
fn exceptions_waive_rules_and_image_codes() {
    let ns: &[(&str, &[(&str, &str)])] = &[("team-a", &[])];
    let config = |checks: Value| {
        json!({"images": {"mode": "enforce"}, "rules": {"mode": "enforce"},
               "exceptions": [{"namespace": "team-a", "checks": checks, "reason": "r"}]})
    };
    let req = Req::pod("CREATE", "team-a", unpinned_pod("web"));
    // A bare rule ID, a prefixed one and a custom image code.
    let adm = with_extras(
        config(json!([
            "resources-memory-limit",
            "rule:service-account-default",
            "image:unpinned"
        ])),
        ns,
    );
    let (resp, _) = validate(&adm, &req);
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[0] waived image:unpinned, rule:resources-memory-limit, rule:service-account-default (reason: \"r\")"
    );
    // rule:* waives the rules only.
    let adm = with_extras(config(json!(["rule:*"])), ns);
    let (resp, _) = validate(&adm, &req);
    assert_eq!(
        resp["status"]["message"],
        format!("pods \"web\" is forbidden: violates podgate image policy: {UNPINNED}")
    );
    // image-policy (podgate.yaml's spelling) waives every image finding;
    // another code waives nothing.
    let adm = with_extras(config(json!(["image-policy", "rule:*"])), ns);
    assert_eq!(validate(&adm, &req).0["allowed"], true);
    let adm = with_extras(config(json!(["image:LatestTag", "rule:*"])), ns);
    assert_eq!(validate(&adm, &req).0["allowed"], false);
}

#[test]
fn exceptions_apply_to_the_namespace_dry_run() {
    let mut c = cluster(&[]);
    let mut agent = privileged_pod("agent-0");
    agent["metadata"]["labels"] = json!({"app": "node-agent"});
    c.pods.insert(
        "team-a".into(),
        vec![
            serde_json::from_value(agent).unwrap(),
            serde_json::from_value(privileged_pod("db-0")).unwrap(),
        ],
    );
    let adm = admission_with(
        json!({"exceptions": [{"kinds": ["Pod"], "selector": {"app": "node-agent"},
                               "checks": ["pss:*"], "reason": "node agent"}]}),
        c,
    );
    let req = Req::namespace(
        "UPDATE",
        "team-a",
        &[("enforce", "baseline")],
        Some(&[("enforce", "privileged")]),
    );
    let (resp, _) = validate(&adm, &req);
    assert_eq!(
        resp["warnings"],
        json!([
            "existing pods in namespace \"team-a\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "db-0: host namespaces, privileged"
        ])
    );
}

/// A pod as a controller creates it: `generateName`, the generated name
/// (kube-apiserver sends an empty request name for it), and an owner
/// reference to its controller.
fn controlled_pod(
    generate_name: &str,
    suffix: &str,
    owner: (&str, &str, &str),
    labels: Value,
) -> Req {
    let (api_version, kind, name) = owner;
    let mut p = privileged_pod(&format!("{generate_name}{suffix}"));
    p["metadata"]["generateName"] = json!(generate_name);
    p["metadata"]["labels"] = labels;
    p["metadata"]["ownerReferences"] = json!([{
        "apiVersion": api_version, "kind": kind, "name": name,
        "uid": "3e5d9c1a-7b7e-4f1e-9a43-6c1c9d1b2f00",
        "controller": true, "blockOwnerDeletion": true}]);
    let mut req = Req::pod("CREATE", "monitoring", p);
    req.name = String::new();
    req
}

const WAIVED_BASELINE: &str = "exceptions[0] waived hostNamespaces, privileged (reason: \"r\")";

/// Upstream's denial; the request of a pod with a generated name has no
/// name, nor has the message.
fn baseline_denial(req: &Req) -> String {
    let pods = if req.name.is_empty() {
        "pods".to_string()
    } else {
        format!("pods {:?}", req.name)
    };
    format!("{pods} is forbidden: violates PodSecurity \"baseline:latest\": {BASELINE_DETAIL}")
}

fn monitoring_with(exceptions: Value) -> Admission {
    with_extras(
        json!({ "exceptions": exceptions }),
        &[("monitoring", &[("enforce", "baseline")])],
    )
}

/// The README's exception for the node-exporter DaemonSet waives its Pods
/// at admission as it waives the DaemonSet in `podgate scan`.
#[test]
fn an_exception_for_a_daemonset_applies_to_its_pods() {
    let ds_pod = || {
        controlled_pod(
            "node-exporter-",
            "x7k2p",
            ("apps/v1", "DaemonSet", "node-exporter"),
            json!({"app": "node-exporter", "controller-revision-hash": "6b9c8d7f5", "pod-template-generation": "1"}),
        )
    };
    // Without exceptions the answer is upstream's.
    let (resp, _) = validate(&monitoring_with(json!([])), &ds_pod());
    assert_eq!(resp["allowed"], false);
    assert_eq!(resp["status"]["message"], baseline_denial(&ds_pod()));

    for entry in [
        // The README's example.
        json!({"namespaces": ["monitoring"], "kinds": ["DaemonSet"], "names": ["node-exporter*"]}),
        // The exact workload name, with or without kinds.
        json!({"namespaces": ["monitoring"], "kinds": ["DaemonSet", "Pod"], "names": ["node-exporter"]}),
        json!({"names": ["node-exporter"]}),
        json!({"kinds": ["daemonset"]}),
    ] {
        let mut e = entry.clone();
        e["checks"] = json!(["hostNamespaces", "privileged"]);
        e["reason"] = json!("r");
        let (resp, _) = validate(&monitoring_with(json!([e])), &ds_pod());
        assert_eq!(resp["allowed"], true, "{entry}: {resp}");
        assert_eq!(
            resp["auditAnnotations"]["podgate-exceptions"], WAIVED_BASELINE,
            "{entry}"
        );
    }

    // The kind of the controller with the name of the pod (or the other
    // way round) is not a match; nor is another namespace.
    for entry in [
        json!({"kinds": ["Pod"], "names": ["node-exporter"]}),
        json!({"kinds": ["DaemonSet"], "names": ["node-exporter-x*"]}),
        json!({"kinds": ["Deployment"]}),
        json!({"namespaces": ["kube-system"], "kinds": ["DaemonSet"]}),
    ] {
        let mut e = entry.clone();
        e["checks"] = json!(["pss:*"]);
        e["reason"] = json!("r");
        let (resp, _) = validate(&monitoring_with(json!([e])), &ds_pod());
        assert_eq!(resp["allowed"], false, "{entry}: {resp}");
        assert_eq!(resp["status"]["message"], baseline_denial(&ds_pod()));
    }
}

/// A Deployment's pods belong to it through their ReplicaSet, named
/// `<deployment>-<pod-template-hash>`; a CronJob's through their Job,
/// named `<cronjob>-<scheduled minute>`.
#[test]
fn an_exception_for_a_deployment_or_cronjob_applies_to_their_pods() {
    let adm = monitoring_with(json!([
        {"kinds": ["Deployment"], "names": ["web"], "checks": ["pss:*"], "reason": "r"},
        {"kinds": ["CronJob"], "names": ["backup"], "checks": ["pss:*"], "reason": "r"}]));
    let hash = json!({"app": "web", "pod-template-hash": "5d4f7b9c8"});
    let web = controlled_pod(
        "web-5d4f7b9c8-",
        "x2x9z",
        ("apps/v1", "ReplicaSet", "web-5d4f7b9c8"),
        hash.clone(),
    );
    let (resp, _) = validate(&adm, &web);
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        WAIVED_BASELINE
    );

    let job_labels =
        json!({"batch.kubernetes.io/job-name": "backup-29123460", "job-name": "backup-29123460"});
    let backup = controlled_pod(
        "backup-29123460-",
        "q8z2k",
        ("batch/v1", "Job", "backup-29123460"),
        job_labels,
    );
    let (resp, _) = validate(&adm, &backup);
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(
        resp["auditAnnotations"]["podgate-exceptions"],
        "exceptions[1] waived hostNamespaces, privileged (reason: \"r\")"
    );

    // A ReplicaSet whose name does not end in the pod's hash label, a
    // ReplicaSet without the label, and a Job not named by the CronJob
    // controller belong to no Deployment or CronJob.
    for req in [
        controlled_pod("web-", "x2x9z", ("apps/v1", "ReplicaSet", "web-abc"), hash),
        controlled_pod(
            "web-5d4f7b9c8-",
            "x2x9z",
            ("apps/v1", "ReplicaSet", "web-5d4f7b9c8"),
            json!({"app": "web"}),
        ),
        controlled_pod(
            "backup-manual-",
            "q8z2k",
            ("batch/v1", "Job", "backup-manual"),
            json!({}),
        ),
    ] {
        let (resp, _) = validate(&adm, &req);
        assert_eq!(resp["allowed"], false, "{}: {resp}", req.object["metadata"]);
        assert_eq!(resp["status"]["message"], baseline_denial(&req));
    }
}

/// Only the controller reference counts, and a bare Pod named like the
/// workload is not of the workload's kind.
#[test]
fn a_pod_is_matched_only_as_its_controller() {
    let adm = monitoring_with(json!([
        {"kinds": ["DaemonSet"], "names": ["node-exporter"], "checks": ["pss:*"], "reason": "r"}]));
    let mut not_controller = controlled_pod(
        "node-exporter-",
        "x7k2p",
        ("apps/v1", "DaemonSet", "node-exporter"),
        json!({}),
    );
    not_controller.object["metadata"]["ownerReferences"][0]["controller"] = json!(false);
    let mut bare = Req::pod("CREATE", "monitoring", privileged_pod("node-exporter"));
    bare.object["metadata"]["ownerReferences"] = json!([]);
    for req in [not_controller, bare] {
        let (resp, _) = validate(&adm, &req);
        assert_eq!(resp["status"]["message"], baseline_denial(&req));
    }
}

/// Workload objects (warn and audit only) are matched as themselves, by
/// their own kind and name, not by owners in their pod template.
#[test]
fn workloads_are_matched_as_themselves() {
    let adm = with_extras(
        json!({"exceptions": [{"kinds": ["Deployment"], "names": ["web"], "checks": ["pss:*"], "reason": "r"}]}),
        &[("monitoring", &[("warn", "baseline")])],
    );
    let mut template = privileged_pod("x");
    template["metadata"] = json!({"labels": {"pod-template-hash": "5d4f7b9c8"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d4f7b9c8", "uid": "1", "controller": true}]});
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": "other-5d4f7b9c8"},
                    "spec": {"template": {"metadata": template["metadata"], "spec": template["spec"]}}});
    let (resp, _) = validate(
        &adm,
        &Req::workload("apps", "replicasets", "ReplicaSet", "monitoring", rs),
    );
    assert_eq!(
        resp["warnings"],
        json!([format!(
            "would violate PodSecurity \"baseline:latest\": {BASELINE_DETAIL}"
        )])
    );
}

/// The namespace dry run matches existing pods by their controllers too.
#[test]
fn the_namespace_dry_run_matches_pods_by_their_controllers() {
    let mut c = cluster(&[]);
    let mut ds_pod = privileged_pod("node-exporter-x7k2p");
    ds_pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "DaemonSet",
        "name": "node-exporter", "uid": "1", "controller": true}]);
    c.pods.insert(
        "monitoring".into(),
        vec![
            serde_json::from_value(ds_pod).unwrap(),
            serde_json::from_value(privileged_pod("db-0")).unwrap(),
        ],
    );
    let adm = admission_with(
        json!({"exceptions": [{"kinds": ["DaemonSet"], "names": ["node-exporter*"],
                               "checks": ["pss:*"], "reason": "r"}]}),
        c,
    );
    let req = Req::namespace(
        "UPDATE",
        "monitoring",
        &[("enforce", "baseline")],
        Some(&[("enforce", "privileged")]),
    );
    let (resp, _) = validate(&adm, &req);
    assert_eq!(
        resp["warnings"],
        json!([
            "existing pods in namespace \"monitoring\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "db-0: host namespaces, privileged"
        ])
    );
}
