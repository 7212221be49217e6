//! podgate's own generated conformance cases: for every check and every policy
//! version, a minimal pod that passes the whole level and, for each check,
//! pods that fail exactly that check where the check is active (and pass
//! where it is not). Independent of the upstream fixtures.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use podgate_core::model::PodTemplate;
use podgate_core::pss::{evaluate_pod, CheckId, Level, LevelVersion, Version, MAX_KNOWN_MINOR};
use serde_json::{json, Value};

/// A pod valid at restricted for every version.
fn restricted_pod() -> Value {
    json!({
        "metadata": {"name": "p"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{"name": "init", "image": "i",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "containers": [{"name": "app", "image": "i",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
        }
    })
}

fn eval(level: Level, minor: u32, pod: &Value) -> Vec<CheckId> {
    let p: PodTemplate = serde_json::from_value(pod.clone()).expect("generated pod decodes");
    evaluate_pod(
        LevelVersion::new(level, Version::minor(minor)),
        &p.metadata,
        &p.spec,
    )
    .into_iter()
    .map(|v| v.check)
    .collect()
}

fn set(pod: &mut Value, pointer: &str, value: Value) {
    // Create intermediate objects as needed.
    let mut cur = pod;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        if let Ok(idx) = part.parse::<usize>() {
            cur = &mut cur[idx];
        } else if last {
            cur[*part] = value;
            return;
        } else {
            if cur.get(*part).is_none() {
                cur[*part] = json!({});
            }
            cur = &mut cur[*part];
        }
    }
}

struct Case {
    check: CheckId,
    /// First version at which the mutation is forbidden at the check's level.
    since: u32,
    /// Until (exclusive) which it is forbidden, for relaxations.
    until: Option<u32>,
    mutate: fn(&mut Value),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            check: CheckId::Privileged,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/privileged",
                    json!(true),
                )
            },
        },
        Case {
            check: CheckId::HostNamespaces,
            since: 0,
            until: None,
            mutate: |p| set(p, "/spec/hostIPC", json!(true)),
        },
        Case {
            check: CheckId::HostPathVolumes,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/volumes",
                    json!([{"name": "h", "hostPath": {"path": "/"}}]),
                )
            },
        },
        Case {
            check: CheckId::HostPorts,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/initContainers/0/ports",
                    json!([{"containerPort": 80, "hostPort": 80}]),
                )
            },
        },
        Case {
            check: CheckId::CapabilitiesBaseline,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/capabilities/add",
                    json!(["SYS_ADMIN"]),
                )
            },
        },
        Case {
            check: CheckId::AppArmorProfile,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/securityContext/appArmorProfile",
                    json!({"type": "Unconfined"}),
                )
            },
        },
        Case {
            check: CheckId::SeLinuxOptions,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/seLinuxOptions",
                    json!({"type": "spc_t"}),
                )
            },
        },
        Case {
            check: CheckId::ProcMount,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/procMount",
                    json!("Unmasked"),
                )
            },
        },
        Case {
            check: CheckId::SeccompProfileBaseline,
            since: 19,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/seccompProfile",
                    json!({"type": "Unconfined"}),
                )
            },
        },
        Case {
            check: CheckId::Sysctls,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/securityContext/sysctls",
                    json!([{"name": "kernel.msgmax", "value": "1"}]),
                )
            },
        },
        Case {
            check: CheckId::Sysctls,
            since: 0,
            until: Some(37),
            mutate: |p| {
                set(
                    p,
                    "/spec/securityContext/sysctls",
                    json!([{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]),
                )
            },
        },
        Case {
            check: CheckId::WindowsHostProcess,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/securityContext/windowsOptions",
                    json!({"hostProcess": true}),
                )
            },
        },
        Case {
            check: CheckId::HostProbesAndHostLifecycle,
            since: 34,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/readinessProbe",
                    json!({"httpGet": {"host": "10.0.0.1", "port": 80}}),
                )
            },
        },
        Case {
            check: CheckId::AllowPrivilegeEscalation,
            since: 8,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/allowPrivilegeEscalation",
                    json!(true),
                )
            },
        },
        Case {
            check: CheckId::RunAsNonRoot,
            since: 0,
            until: None,
            mutate: |p| set(p, "/spec/securityContext/runAsNonRoot", json!(false)),
        },
        Case {
            check: CheckId::RunAsUser,
            since: 23,
            until: None,
            mutate: |p| set(p, "/spec/containers/0/securityContext/runAsUser", json!(0)),
        },
        Case {
            check: CheckId::SeccompProfileRestricted,
            since: 19,
            until: None,
            mutate: |p| {
                p["spec"]["securityContext"]
                    .as_object_mut()
                    .map(|m| m.remove("seccompProfile"));
            },
        },
        Case {
            check: CheckId::CapabilitiesRestricted,
            since: 22,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/containers/0/securityContext/capabilities/drop",
                    json!(["NET_RAW"]),
                )
            },
        },
        Case {
            check: CheckId::RestrictedVolumes,
            since: 0,
            until: None,
            mutate: |p| {
                set(
                    p,
                    "/spec/volumes",
                    json!([{"name": "n", "nfs": {"server": "s", "path": "/"}}]),
                )
            },
        },
        Case {
            check: CheckId::ProcMountRestricted,
            since: 35,
            until: None,
            mutate: |p| {
                set(p, "/spec/hostUsers", json!(false));
                set(
                    p,
                    "/spec/containers/0/securityContext/procMount",
                    json!("Unmasked"),
                );
            },
        },
    ]
}

#[test]
fn base_pod_passes_every_level_and_version() {
    for minor in 0..=MAX_KNOWN_MINOR + 2 {
        for level in Level::ALL {
            assert_eq!(
                eval(level, minor, &restricted_pod()),
                vec![],
                "{level} v1.{minor}"
            );
        }
    }
}

#[test]
fn each_generated_violation_is_caught_exactly_where_active() {
    let mut checked = 0;
    for case in cases() {
        let mut pod = restricted_pod();
        (case.mutate)(&mut pod);
        let level = case.check.level();
        for minor in 0..=MAX_KNOWN_MINOR + 2 {
            let active = minor >= case.since && case.until.is_none_or(|u| minor < u);
            let got = eval(level, minor, &pod);
            let hit = got.contains(&case.check) || got.iter().any(|g| overrides(*g, case.check));
            assert_eq!(
                hit, active,
                "{:?} at {level} v1.{minor}: got {got:?}",
                case.check
            );
            // Privileged never denies anything.
            assert!(eval(Level::Privileged, minor, &pod).is_empty());
            checked += 1;
        }
    }
    assert!(checked > 700);
}

/// Restricted checks that replace a baseline twin at the restricted level.
fn overrides(restricted: CheckId, baseline: CheckId) -> bool {
    matches!(
        (restricted, baseline),
        (
            CheckId::CapabilitiesRestricted,
            CheckId::CapabilitiesBaseline
        ) | (
            CheckId::SeccompProfileRestricted,
            CheckId::SeccompProfileBaseline
        ) | (CheckId::RestrictedVolumes, CheckId::HostPathVolumes)
            | (CheckId::ProcMountRestricted, CheckId::ProcMount)
    )
}

#[test]
fn baseline_violations_also_deny_at_restricted() {
    for case in cases()
        .into_iter()
        .filter(|c| c.check.level() == Level::Baseline)
    {
        let mut pod = restricted_pod();
        (case.mutate)(&mut pod);
        let minor = MAX_KNOWN_MINOR;
        if case.until.is_some() {
            continue;
        }
        assert!(
            !eval(Level::Restricted, minor, &pod).is_empty(),
            "{:?}",
            case.check
        );
    }
}

#[test]
fn future_versions_evaluate_as_latest() {
    let mut pod = restricted_pod();
    set(
        &mut pod,
        "/spec/containers/0/readinessProbe",
        json!({"tcpSocket": {"host": "h", "port": 1}}),
    );
    let p: PodTemplate = serde_json::from_value(pod).unwrap();
    let latest = evaluate_pod(
        LevelVersion::new(Level::Baseline, Version::LATEST),
        &p.metadata,
        &p.spec,
    );
    let future = evaluate_pod(
        LevelVersion::new(Level::Baseline, Version::minor(99)),
        &p.metadata,
        &p.spec,
    );
    assert_eq!(latest, future);
    assert_eq!(latest.len(), 1);
}
