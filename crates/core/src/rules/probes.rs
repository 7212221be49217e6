//! Probe rules.
//!
//! Fields: `spec.containers[*].{readinessProbe,livenessProbe,startupProbe}`
//! and the same on native sidecars (`spec.initContainers[*]` with
//! `restartPolicy: Always`).
//!
//! Missing probes are reported only for long-running workloads: not for
//! batch kinds (`Job`, `CronJob`, KEDA's `ScaledJob`, `workloadKinds`
//! entries with `batch: true`; [`RuleContext::batch`](super::RuleContext)),
//! and not for pods whose `restartPolicy` is `Never` or
//! `OnFailure` (bare pods that run to completion). Within such a workload,
//! regular containers and native sidecars are checked: a sidecar runs for the
//! pod's lifetime, its readiness gates the pod's, and a hung sidecar (a proxy,
//! say) breaks the pod as surely as a hung app. Classic init containers run to
//! completion and the API forbids probes on them, as on ephemeral containers.
//!
//! A probe whose `httpGet.port` or `tcpSocket.port` is a name is resolved by
//! the kubelet against the container's own `ports[].name`; an undeclared name
//! fails the probe on every attempt. Like the kubelet, a name that parses as
//! an integer is taken as a port number.

use super::{
    container_field, container_path, long_running, who, Hit, RuleContext, RuleInfo, Severity,
};
use crate::model::{Container, ContainerKind, IntOrString, PodTemplate, Probe};

pub(super) const READINESS: RuleInfo = RuleInfo {
    id: "probes-readiness",
    severity: Severity::Medium,
    title: "Long-running containers have a readiness probe",
    rationale: "Without a readiness probe a container counts as ready as soon as it starts, \
                so Services send it traffic before it can serve and keep sending while it is \
                overloaded or draining, and rolling updates proceed past broken versions. \
                podgate cannot see whether a Service selects the pod, so the rule applies to \
                every long-running workload.",
    fix: "Add a readinessProbe that checks the container can serve requests.",
    field: "spec.{initContainers,containers}[*].readinessProbe",
    default_enabled: true,
};

pub(super) const LIVENESS: RuleInfo = RuleInfo {
    id: "probes-liveness",
    severity: Severity::Low,
    title: "Long-running containers have a liveness probe",
    rationale: "Without a liveness probe a deadlocked container keeps running until someone \
                notices. Low severity: a process that exits on failure is restarted anyway, \
                and a careless liveness probe causes restart storms.",
    fix: "Add a livenessProbe that checks the process can make progress (not its dependencies).",
    field: "spec.{initContainers,containers}[*].livenessProbe",
    default_enabled: true,
};

pub(super) const NAMED_PORT: RuleInfo = RuleInfo {
    id: "probes-named-port",
    severity: Severity::High,
    title: "Probes use port names the container declares",
    rationale: "The kubelet resolves a probe's named port against the container's own \
                ports[].name. A name the container does not declare (often a typo, or a port \
                declared on another container) fails every probe: a liveness probe restarts the \
                container forever, a readiness probe keeps it out of Service endpoints.",
    fix: "Declare the port under the container's ports with that name, or use a port number.",
    field: "spec.{initContainers,containers}[*].{livenessProbe,readinessProbe,startupProbe}.{httpGet,tcpSocket}.port",
    default_enabled: true,
};

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// Containers that run for the pod's lifetime: regular ones and native sidecars.
fn runs_for_pod_lifetime(kind: ContainerKind, c: &Container) -> bool {
    match kind {
        ContainerKind::Regular => true,
        ContainerKind::Init => is_sidecar(c),
        ContainerKind::Ephemeral => false,
    }
}

fn missing(
    ctx: &RuleContext<'_>,
    pod: &PodTemplate,
    probe: fn(&Container) -> &Option<Probe>,
    label: &str,
    out: &mut Vec<Hit>,
) {
    if !long_running(ctx, pod) {
        return;
    }
    for (kind, i, c) in pod.spec.all_containers() {
        if runs_for_pod_lifetime(kind, c) && probe(c).is_none() {
            out.push(Hit::new(
                format!("{} has no {label} probe", who(kind, &c.name)),
                container_path(kind, i),
            ));
        }
    }
}

pub(super) fn readiness(ctx: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    missing(ctx, pod, |c| &c.readiness_probe, "readiness", out);
}

pub(super) fn liveness(ctx: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    missing(ctx, pod, |c| &c.liveness_probe, "liveness", out);
}

pub(super) fn named_port(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in pod.spec.all_containers() {
        if kind == ContainerKind::Ephemeral {
            continue;
        }
        let probes = [
            ("livenessProbe", "liveness", &c.liveness_probe),
            ("readinessProbe", "readiness", &c.readiness_probe),
            ("startupProbe", "startup", &c.startup_probe),
        ];
        for (field, label, probe) in probes {
            let Some(probe) = probe else { continue };
            let ports = [
                (
                    "httpGet",
                    probe.http_get.as_ref().and_then(|a| a.port.as_ref()),
                ),
                (
                    "tcpSocket",
                    probe.tcp_socket.as_ref().and_then(|a| a.port.as_ref()),
                ),
            ];
            for (action, port) in ports {
                let Some(IntOrString::String(name)) = port else {
                    continue;
                };
                // Empty names are a validation error; numeric strings are
                // taken as numbers by the kubelet.
                if name.is_empty() || name.parse::<i64>().is_ok() {
                    continue;
                }
                if c.ports.iter().any(|p| p.name == *name) {
                    continue;
                }
                out.push(Hit::new(
                    format!(
                        "{} {label} probe uses port name \"{name}\", which the container does not declare",
                        who(kind, &c.name)
                    ),
                    container_field(kind, i, &[field, action, "port"]),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass, messages};
    use serde_json::json;

    fn with_probes(readiness: bool, liveness: bool) -> serde_json::Value {
        let mut c = json!({"name": "app", "image": "x"});
        if readiness {
            c["readinessProbe"] = json!({"httpGet": {"port": 8080}});
        }
        if liveness {
            c["livenessProbe"] = json!({"exec": {"command": ["true"]}});
        }
        json!({"spec": {"containers": [c]}})
    }

    #[test]
    fn readiness() {
        let id = "probes-readiness";
        assert_pass(id, "Deployment", with_probes(true, false));
        assert_one(
            id,
            "Deployment",
            with_probes(false, true),
            "container \"app\" has no readiness probe",
            &["spec.containers[0]"],
        );
    }

    #[test]
    fn liveness() {
        let id = "probes-liveness";
        assert_pass(id, "StatefulSet", with_probes(false, true));
        assert_one(
            id,
            "Pod",
            with_probes(true, false),
            "container \"app\" has no liveness probe",
            &["spec.containers[0]"],
        );
    }

    #[test]
    fn batch_workloads_need_no_probes() {
        for id in ["probes-readiness", "probes-liveness"] {
            assert_pass(id, "Job", with_probes(false, false));
            assert_pass(id, "CronJob", with_probes(false, false));
            let mut p = with_probes(false, false);
            p["spec"]["restartPolicy"] = json!("Never");
            assert_pass(id, "Pod", p.clone());
            p["spec"]["restartPolicy"] = json!("OnFailure");
            assert_pass(id, "Pod", p.clone());
            p["spec"]["restartPolicy"] = json!("Always");
            assert_eq!(messages(id, "Pod", p).len(), 1);
        }
    }

    #[test]
    fn batch_custom_kinds_need_no_probes() {
        // KEDA's ScaledJob is batch by its kind's definition, not its name.
        let pod = super::super::testutil::pod(with_probes(false, false));
        let only = |r: &super::super::RuleInfo| r.id.starts_with("probes-");
        let ctx = |batch| super::super::RuleContext {
            kind: "ScaledJob",
            batch,
        };
        assert!(super::super::evaluate(&ctx(true), &pod, &only).is_empty());
        assert_eq!(super::super::evaluate(&ctx(false), &pod, &only).len(), 2);
    }

    #[test]
    fn sidecars_need_probes_init_and_ephemeral_containers_do_not() {
        let p = json!({"spec": {
            "initContainers": [
                {"name": "migrate"},
                {"name": "proxy", "restartPolicy": "Always"}
            ],
            "containers": [{"name": "app", "readinessProbe": {"tcpSocket": {"port": 80}}}],
            "ephemeralContainers": [{"name": "debug"}]
        }});
        assert_one(
            "probes-readiness",
            "Deployment",
            p,
            "init container \"proxy\" has no readiness probe",
            &["spec.initContainers[1]"],
        );
    }

    #[test]
    fn named_port() {
        let id = "probes-named-port";
        let probe_on = |port: serde_json::Value| {
            json!({"spec": {"containers": [{
                "name": "app",
                "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 9090}],
                "livenessProbe": {"httpGet": {"port": port.clone(), "path": "/"}},
                "startupProbe": {"tcpSocket": {"port": port}}
            }]}})
        };
        assert_pass(id, "Deployment", probe_on(json!("http")));
        assert_pass(id, "Deployment", probe_on(json!(8080)));
        assert_pass(id, "Deployment", probe_on(json!("9090")));
        assert_eq!(
            super::super::testutil::run(id, "Deployment", probe_on(json!("metrics"))),
            vec![
                (
                    "container \"app\" liveness probe uses port name \"metrics\", which the container does not declare"
                        .to_string(),
                    vec!["spec.containers[0].livenessProbe.httpGet.port".to_string()]
                ),
                (
                    "container \"app\" startup probe uses port name \"metrics\", which the container does not declare"
                        .to_string(),
                    vec!["spec.containers[0].startupProbe.tcpSocket.port".to_string()]
                ),
            ]
        );
        // A port declared by another container does not count; batch kinds are checked too.
        assert_one(
            id,
            "Job",
            json!({"spec": {"containers": [
                {"name": "a", "ports": [{"name": "http", "containerPort": 80}]},
                {"name": "b", "readinessProbe": {"httpGet": {"port": "http"}}}
            ]}}),
            "container \"b\" readiness probe uses port name \"http\", which the container does not declare",
            &["spec.containers[1].readinessProbe.httpGet.port"],
        );
    }
}
