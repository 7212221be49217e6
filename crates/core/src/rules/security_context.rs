//! Security-context rules beyond Pod Security: read-only root filesystem,
//! high UIDs and GIDs, NET_RAW, SYS_ADMIN, and containers with no security
//! context at all.
//!
//! Fields: `spec.securityContext.{runAsUser,runAsGroup}` and
//! `spec.*containers[*].securityContext.{readOnlyRootFilesystem,runAsUser,runAsGroup,capabilities}`.
//!
//! Every container kind is checked, as Pod Security does. For `runAsUser` and
//! `runAsGroup` the container value overrides the pod value; the finding
//! points at whichever field supplies the effective value. An unset value is
//! not a finding (the image decides; `runAsNonRoot` is Pod Security's job).
//! Capability names are compared as container runtimes do: case-insensitively
//! and with an optional `CAP_` prefix. All rules except `security-context-missing`
//! are Linux-only and skip pods with `spec.os.name: windows`.

use super::{
    container_field, container_path, spec_field, who, Hit, RuleContext, RuleInfo, Severity,
};
use crate::model::{Capabilities, ContainerKind, PodTemplate, SecurityContext};
use crate::path::FieldPath;

/// UIDs and GIDs below this are reserved for the host's users and services.
const MIN_ID: i64 = 10000;

pub(super) const READ_ONLY_ROOT_FILESYSTEM: RuleInfo = RuleInfo {
    id: "read-only-root-filesystem",
    severity: Severity::Medium,
    title: "Containers use a read-only root filesystem",
    rationale: "A writable root filesystem lets an attacker drop tools and persist changes \
                inside the container, and lets the application write where nobody expects.",
    fix: "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the application must write.",
    field: "spec.*containers[*].securityContext.readOnlyRootFilesystem",
    default_enabled: true,
};

pub(super) const RUN_AS_USER_LOW: RuleInfo = RuleInfo {
    id: "run-as-user-low",
    severity: Severity::Medium,
    title: "Containers run as a UID of 10000 or more",
    rationale: "Low UIDs belong to the host's system users and services. A container that \
                breaks out, or shares a hostPath, as one of them gets that user's files and \
                privileges; UID 0 is root. Pod Security restricted forbids only 0.",
    fix: "Set securityContext.runAsUser to 10000 or more (pod or container level).",
    field: "spec.securityContext.runAsUser, spec.*containers[*].securityContext.runAsUser",
    default_enabled: true,
};

pub(super) const RUN_AS_GROUP_LOW: RuleInfo = RuleInfo {
    id: "run-as-group-low",
    severity: Severity::Low,
    title: "Containers run as a GID of 10000 or more",
    rationale: "Low GIDs belong to the host's system groups (0 is root, others own devices \
                and logs). A container escaping as one of them gains that group's access.",
    fix: "Set securityContext.runAsGroup to 10000 or more (pod or container level).",
    field: "spec.securityContext.runAsGroup, spec.*containers[*].securityContext.runAsGroup",
    default_enabled: true,
};

pub(super) const NET_RAW: RuleInfo = RuleInfo {
    id: "capabilities-net-raw",
    severity: Severity::Medium,
    title: "Containers drop NET_RAW",
    rationale: "Most runtimes grant NET_RAW by default. It allows crafting raw packets: ARP and \
                DNS spoofing against other pods on the node, and it has been the entry point of \
                kernel exploits. Few applications need it.",
    fix: "Add NET_RAW (or ALL) to securityContext.capabilities.drop and do not add it back.",
    field: "spec.*containers[*].securityContext.capabilities",
    default_enabled: true,
};

pub(super) const SYS_ADMIN: RuleInfo = RuleInfo {
    id: "capabilities-sys-admin",
    severity: Severity::Critical,
    title: "Containers do not add SYS_ADMIN",
    rationale: "CAP_SYS_ADMIN is close to full root on the host: it permits mounts, namespace \
                changes and many kernel interfaces, and is the usual route out of a container. \
                Pod Security baseline forbids it; this rule also catches it where baseline is \
                not enforced. Adding ALL includes it.",
    fix: "Remove SYS_ADMIN (and ALL) from securityContext.capabilities.add.",
    field: "spec.*containers[*].securityContext.capabilities.add",
    default_enabled: true,
};

pub(super) const MISSING: RuleInfo = RuleInfo {
    id: "security-context-missing",
    severity: Severity::Low,
    title: "Containers have a security context",
    rationale: "A container without a securityContext runs with every runtime default: \
                writable root, default capabilities, the image's user. Off by default because \
                the specific rules already say what to set; enable it for parity with checkov \
                CKV_K8S_30.",
    fix:
        "Add a securityContext to the container (readOnlyRootFilesystem, capabilities, runAsUser).",
    field: "spec.*containers[*].securityContext",
    default_enabled: false,
};

/// The path of a container's `securityContext.<rest>` field, or of its
/// nearest existing parent.
fn nearest(
    kind: ContainerKind,
    i: usize,
    sc: Option<&SecurityContext>,
    rest: &[&'static str],
) -> FieldPath {
    match sc {
        None => container_path(kind, i),
        Some(_) => {
            let mut full = vec!["securityContext"];
            full.extend_from_slice(rest);
            container_field(kind, i, &full)
        }
    }
}

pub(super) fn read_only_root_filesystem(
    _: &RuleContext<'_>,
    pod: &PodTemplate,
    out: &mut Vec<Hit>,
) {
    if pod.spec.is_windows() {
        return;
    }
    for (kind, i, c) in pod.spec.all_containers() {
        let sc = c.security_context.as_ref();
        let field = match sc.and_then(|s| s.read_only_root_filesystem) {
            Some(true) => continue,
            Some(false) => nearest(kind, i, sc, &["readOnlyRootFilesystem"]),
            None => nearest(kind, i, sc, &[]),
        };
        out.push(Hit::new(
            format!(
                "{} does not set readOnlyRootFilesystem: true",
                who(kind, &c.name)
            ),
            field,
        ));
    }
}

fn low_id(
    pod: &PodTemplate,
    field: &'static str,
    noun: &str,
    pod_value: Option<i64>,
    container_value: fn(&SecurityContext) -> Option<i64>,
    out: &mut Vec<Hit>,
) {
    if pod.spec.is_windows() {
        return;
    }
    for (kind, i, c) in pod.spec.all_containers() {
        let own = c.security_context.as_ref().and_then(container_value);
        let (value, path, from_pod) = match (own, pod_value) {
            (Some(v), _) => (
                v,
                container_field(kind, i, &["securityContext", field]),
                false,
            ),
            (None, Some(v)) => (v, spec_field(&["securityContext", field]), true),
            (None, None) => continue,
        };
        if value >= MIN_ID {
            continue;
        }
        let source = if from_pod {
            " (from the pod securityContext)"
        } else {
            ""
        };
        out.push(Hit::new(
            format!(
                "{} runs as {noun} {value}{source}, below {MIN_ID}",
                who(kind, &c.name)
            ),
            path,
        ));
    }
}

pub(super) fn run_as_user_low(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    let pod_value = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user);
    low_id(pod, "runAsUser", "user", pod_value, |s| s.run_as_user, out);
}

pub(super) fn run_as_group_low(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    let pod_value = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_group);
    low_id(
        pod,
        "runAsGroup",
        "group",
        pod_value,
        |s| s.run_as_group,
        out,
    );
}

/// `net_raw`, `Net_Raw`, `CAP_NET_RAW` all mean `NET_RAW`.
fn cap_is(written: &str, name: &str) -> bool {
    let upper = written.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper) == name
}

fn caps(sc: Option<&SecurityContext>) -> Option<&Capabilities> {
    sc.and_then(|s| s.capabilities.as_ref())
}

pub(super) fn net_raw(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    if pod.spec.is_windows() {
        return;
    }
    for (kind, i, c) in pod.spec.all_containers() {
        let sc = c.security_context.as_ref();
        let caps = caps(sc);
        let added = caps.and_then(|cp| {
            cp.add
                .iter()
                .enumerate()
                .find(|(_, a)| cap_is(a, "NET_RAW") || cap_is(a, "ALL"))
        });
        if let Some((j, name)) = added {
            out.push(Hit::new(
                format!("{} adds capability \"{name}\"", who(kind, &c.name)),
                container_field(kind, i, &["securityContext", "capabilities", "add"]).child(j),
            ));
            continue;
        }
        let dropped = caps.is_some_and(|cp| {
            cp.drop
                .iter()
                .any(|d| cap_is(d, "NET_RAW") || cap_is(d, "ALL"))
        });
        if dropped {
            continue;
        }
        let field = match caps {
            Some(cp) if !cp.drop.is_empty() => {
                container_field(kind, i, &["securityContext", "capabilities", "drop"])
            }
            Some(_) => container_field(kind, i, &["securityContext", "capabilities"]),
            None => nearest(kind, i, sc, &[]),
        };
        out.push(Hit::new(
            format!("{} does not drop NET_RAW", who(kind, &c.name)),
            field,
        ));
    }
}

pub(super) fn sys_admin(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    if pod.spec.is_windows() {
        return;
    }
    for (kind, i, c) in pod.spec.all_containers() {
        let Some(cp) = caps(c.security_context.as_ref()) else {
            continue;
        };
        let mut names = Vec::new();
        let mut fields = Vec::new();
        for (j, a) in cp.add.iter().enumerate() {
            if cap_is(a, "SYS_ADMIN") || cap_is(a, "ALL") {
                names.push(format!("\"{a}\""));
                fields.push(
                    container_field(kind, i, &["securityContext", "capabilities", "add"]).child(j),
                );
            }
        }
        if names.is_empty() {
            continue;
        }
        let noun = if names.len() == 1 {
            "capability"
        } else {
            "capabilities"
        };
        out.push(Hit {
            message: format!("{} adds {noun} {}", who(kind, &c.name), names.join(", ")),
            fields,
        });
    }
}

pub(super) fn missing(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in pod.spec.all_containers() {
        if c.security_context.is_none() {
            out.push(Hit::new(
                format!("{} has no securityContext", who(kind, &c.name)),
                container_path(kind, i),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass, run};
    use serde_json::json;

    fn sc(pod_sc: serde_json::Value, container_sc: serde_json::Value) -> serde_json::Value {
        json!({"spec": {"securityContext": pod_sc,
                        "containers": [{"name": "app", "securityContext": container_sc}]}})
    }

    #[test]
    fn read_only_root_filesystem() {
        let id = "read-only-root-filesystem";
        assert_pass(
            id,
            "Pod",
            sc(json!(null), json!({"readOnlyRootFilesystem": true})),
        );
        assert_one(
            id,
            "Pod",
            sc(json!(null), json!({"readOnlyRootFilesystem": false})),
            "container \"app\" does not set readOnlyRootFilesystem: true",
            &["spec.containers[0].securityContext.readOnlyRootFilesystem"],
        );
        assert_one(
            id,
            "Pod",
            sc(json!(null), json!({"runAsUser": 10001})),
            "container \"app\" does not set readOnlyRootFilesystem: true",
            &["spec.containers[0].securityContext"],
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"ephemeralContainers": [{"name": "debug"}]}}),
            "ephemeral container \"debug\" does not set readOnlyRootFilesystem: true",
            &["spec.ephemeralContainers[0]"],
        );
        // Windows rejects the field.
        assert_pass(
            id,
            "Pod",
            json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "app"}]}}),
        );
    }

    #[test]
    fn run_as_user_low() {
        let id = "run-as-user-low";
        // Unset everywhere: the image decides; not this rule's business.
        assert_pass(id, "Pod", sc(json!(null), json!(null)));
        assert_pass(id, "Pod", sc(json!({"runAsUser": 10000}), json!(null)));
        assert_pass(id, "Pod", sc(json!(null), json!({"runAsUser": 65534})));
        // Container inherits a good pod value.
        assert_pass(
            id,
            "Pod",
            sc(
                json!({"runAsUser": 20000}),
                json!({"readOnlyRootFilesystem": true}),
            ),
        );
        // Container overrides a bad pod value with a good one.
        assert_pass(
            id,
            "Pod",
            sc(json!({"runAsUser": 0}), json!({"runAsUser": 10001})),
        );
        // Container overrides a good pod value with a bad one.
        assert_one(
            id,
            "Pod",
            sc(json!({"runAsUser": 10001}), json!({"runAsUser": 1000})),
            "container \"app\" runs as user 1000, below 10000",
            &["spec.containers[0].securityContext.runAsUser"],
        );
        // Container inherits a bad pod value.
        assert_one(
            id,
            "Pod",
            sc(json!({"runAsUser": 0}), json!({})),
            "container \"app\" runs as user 0 (from the pod securityContext), below 10000",
            &["spec.securityContext.runAsUser"],
        );
        assert_one(
            id,
            "Pod",
            sc(json!(null), json!({"runAsUser": 9999})),
            "container \"app\" runs as user 9999, below 10000",
            &["spec.containers[0].securityContext.runAsUser"],
        );
    }

    #[test]
    fn run_as_user_precedence_per_container() {
        let p = json!({"spec": {
            "securityContext": {"runAsUser": 1000},
            "initContainers": [{"name": "init", "securityContext": {"runAsUser": 10001}}],
            "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsUser": 2000}}]
        }});
        assert_eq!(
            run("run-as-user-low", "Pod", p),
            vec![
                (
                    "container \"a\" runs as user 1000 (from the pod securityContext), below 10000"
                        .to_string(),
                    vec!["spec.securityContext.runAsUser".to_string()]
                ),
                (
                    "container \"b\" runs as user 2000, below 10000".to_string(),
                    vec!["spec.containers[1].securityContext.runAsUser".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn run_as_group_low() {
        let id = "run-as-group-low";
        assert_pass(id, "Pod", sc(json!(null), json!(null)));
        assert_pass(id, "Pod", sc(json!({"runAsGroup": 10000}), json!({})));
        assert_pass(
            id,
            "Pod",
            sc(json!({"runAsGroup": 0}), json!({"runAsGroup": 30000})),
        );
        assert_one(
            id,
            "Pod",
            sc(json!({"runAsGroup": 10001}), json!({"runAsGroup": 0})),
            "container \"app\" runs as group 0, below 10000",
            &["spec.containers[0].securityContext.runAsGroup"],
        );
        assert_one(
            id,
            "Pod",
            sc(json!({"runAsGroup": 3000}), json!(null)),
            "container \"app\" runs as group 3000 (from the pod securityContext), below 10000",
            &["spec.securityContext.runAsGroup"],
        );
        assert_pass(
            id,
            "Pod",
            json!({"spec": {"os": {"name": "windows"}, "securityContext": {"runAsGroup": 1},
                            "containers": [{"name": "app"}]}}),
        );
    }

    #[test]
    fn net_raw() {
        let id = "capabilities-net-raw";
        let caps = |c: serde_json::Value| sc(json!(null), json!({"capabilities": c}));
        assert_pass(id, "Pod", caps(json!({"drop": ["ALL"]})));
        assert_pass(id, "Pod", caps(json!({"drop": ["NET_RAW"]})));
        assert_pass(id, "Pod", caps(json!({"drop": ["cap_net_raw"]})));
        assert_pass(
            id,
            "Pod",
            caps(json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})),
        );
        assert_one(
            id,
            "Pod",
            json!({"spec": {"containers": [{"name": "app"}]}}),
            "container \"app\" does not drop NET_RAW",
            &["spec.containers[0]"],
        );
        assert_one(
            id,
            "Pod",
            caps(json!({"drop": ["SYS_TIME"]})),
            "container \"app\" does not drop NET_RAW",
            &["spec.containers[0].securityContext.capabilities.drop"],
        );
        assert_one(
            id,
            "Pod",
            caps(json!({"add": ["CHOWN"]})),
            "container \"app\" does not drop NET_RAW",
            &["spec.containers[0].securityContext.capabilities"],
        );
        assert_one(
            id,
            "Pod",
            caps(json!({"drop": ["ALL"], "add": ["CHOWN", "NET_RAW"]})),
            "container \"app\" adds capability \"NET_RAW\"",
            &["spec.containers[0].securityContext.capabilities.add[1]"],
        );
    }

    #[test]
    fn sys_admin() {
        let id = "capabilities-sys-admin";
        let caps = |c: serde_json::Value| sc(json!(null), json!({"capabilities": c}));
        assert_pass(
            id,
            "Pod",
            caps(json!({"add": ["NET_BIND_SERVICE"], "drop": ["SYS_ADMIN"]})),
        );
        assert_pass(
            id,
            "Pod",
            json!({"spec": {"containers": [{"name": "app"}]}}),
        );
        assert_one(
            id,
            "Pod",
            caps(json!({"add": ["SYS_ADMIN"]})),
            "container \"app\" adds capability \"SYS_ADMIN\"",
            &["spec.containers[0].securityContext.capabilities.add[0]"],
        );
        assert_one(
            id,
            "Pod",
            caps(json!({"add": ["CAP_SYS_ADMIN", "CHOWN", "ALL"]})),
            "container \"app\" adds capabilities \"CAP_SYS_ADMIN\", \"ALL\"",
            &[
                "spec.containers[0].securityContext.capabilities.add[0]",
                "spec.containers[0].securityContext.capabilities.add[2]",
            ],
        );
    }

    #[test]
    fn missing() {
        let id = "security-context-missing";
        assert_pass(id, "Pod", sc(json!(null), json!({})));
        assert_one(
            id,
            "Pod",
            json!({"spec": {"securityContext": {"runAsUser": 10001}, "containers": [{"name": "app"}]}}),
            "container \"app\" has no securityContext",
            &["spec.containers[0]"],
        );
    }
}
