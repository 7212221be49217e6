//! Resource rules: CPU and memory requests and limits, per init and regular
//! container.
//!
//! Fields: `spec.{initContainers,containers}[*].resources.{requests,limits}.{cpu,memory}`.
//! A request passes when it is set and non-zero, or when it is absent and a
//! non-zero limit is set (the API server defaults the request to the limit).
//! A limit passes when it is set and non-zero (zero means "no limit"). An
//! unparseable quantity passes here: the API server rejects it anyway.
//! Ephemeral containers are skipped: the API forbids resources on them.

use super::quantity::parse_quantity;
use super::{container_field, container_path, who, Hit, RuleContext, RuleInfo, Severity};
use crate::model::{ContainerKind, PodTemplate, Quantity};

pub(super) const CPU_REQUEST: RuleInfo = RuleInfo {
    id: "resources-cpu-request",
    severity: Severity::Medium,
    title: "Containers request CPU",
    rationale: "The scheduler places pods by their requests. Without a CPU request the \
                container is scheduled as if it used no CPU, lands on busy nodes and gets the \
                smallest CPU share under contention.",
    fix: "Set resources.requests.cpu to the container's typical usage.",
    field: "spec.{initContainers,containers}[*].resources.requests.cpu",
    default_enabled: true,
};

pub(super) const MEMORY_REQUEST: RuleInfo = RuleInfo {
    id: "resources-memory-request",
    severity: Severity::Medium,
    title: "Containers request memory",
    rationale: "Without a memory request the scheduler may overcommit the node, and under \
                memory pressure the kubelet evicts pods that use more than they requested \
                first.",
    fix: "Set resources.requests.memory to the container's typical working set.",
    field: "spec.{initContainers,containers}[*].resources.requests.memory",
    default_enabled: true,
};

pub(super) const MEMORY_LIMIT: RuleInfo = RuleInfo {
    id: "resources-memory-limit",
    severity: Severity::High,
    title: "Containers limit memory",
    rationale: "Memory cannot be throttled, only reclaimed by killing. A container without a \
                memory limit can exhaust the node, triggering the kernel OOM killer and \
                evictions of its neighbours.",
    fix: "Set resources.limits.memory (commonly equal to the memory request).",
    field: "spec.{initContainers,containers}[*].resources.limits.memory",
    default_enabled: true,
};

pub(super) const CPU_LIMIT: RuleInfo = RuleInfo {
    id: "resources-cpu-limit",
    severity: Severity::Low,
    title: "Containers limit CPU",
    rationale: "CPU is compressible: a container without a CPU limit can only use idle CPU \
                beyond its request, while a limit throttles it even on an idle node and adds \
                latency. Off by default; enable it where policy requires limits (for example \
                Guaranteed QoS or namespaces with a LimitRange).",
    fix: "Set resources.limits.cpu, or rely on CPU requests alone.",
    field: "spec.{initContainers,containers}[*].resources.limits.cpu",
    default_enabled: false,
};

pub(super) fn cpu_request(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    check(pod, "cpu", "CPU", Which::Request, out);
}

pub(super) fn memory_request(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    check(pod, "memory", "memory", Which::Request, out);
}

pub(super) fn memory_limit(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    check(pod, "memory", "memory", Which::Limit, out);
}

pub(super) fn cpu_limit(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    check(pod, "cpu", "CPU", Which::Limit, out);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Request,
    Limit,
}

fn is_zero(q: &Quantity) -> bool {
    parse_quantity(&q.0) == Some(0)
}

fn check(pod: &PodTemplate, resource: &'static str, label: &str, which: Which, out: &mut Vec<Hit>) {
    let (list, noun) = match which {
        Which::Request => ("requests", "request"),
        Which::Limit => ("limits", "limit"),
    };
    for (kind, i, c) in pod.spec.all_containers() {
        if kind == ContainerKind::Ephemeral {
            continue;
        }
        let res = c.resources.as_ref();
        let map = res.map(|r| match which {
            Which::Request => &r.requests,
            Which::Limit => &r.limits,
        });
        match map.and_then(|m| m.get(resource)) {
            Some(q) if is_zero(q) => out.push(Hit::new(
                format!("{} has a zero {label} {noun}", who(kind, &c.name)),
                container_field(kind, i, &["resources", list, resource]),
            )),
            Some(_) => {}
            None => {
                if which == Which::Request
                    && res
                        .and_then(|r| r.limits.get(resource))
                        .is_some_and(|q| !is_zero(q))
                {
                    // The API server defaults the request to this limit.
                    continue;
                }
                let field = match (res, map) {
                    (None, _) => container_path(kind, i),
                    (Some(_), Some(m)) if !m.is_empty() => {
                        container_field(kind, i, &["resources", list])
                    }
                    (Some(_), _) => container_field(kind, i, &["resources"]),
                };
                out.push(Hit::new(
                    format!("{} has no {label} {noun}", who(kind, &c.name)),
                    field,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass, run};
    use serde_json::json;

    fn one(resources: serde_json::Value) -> serde_json::Value {
        json!({"spec": {"containers": [{"name": "app", "image": "x", "resources": resources}]}})
    }

    #[test]
    fn cpu_request() {
        let id = "resources-cpu-request";
        assert_pass(id, "Pod", one(json!({"requests": {"cpu": "100m"}})));
        // A limit without a request: the API server defaults the request.
        assert_pass(id, "Pod", one(json!({"limits": {"cpu": "1"}})));
        // An unparseable quantity is validation's business.
        assert_pass(id, "Pod", one(json!({"requests": {"cpu": "lots"}})));
        assert_one(
            id,
            "Pod",
            json!({"spec": {"containers": [{"name": "app"}]}}),
            "container \"app\" has no CPU request",
            &["spec.containers[0]"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"limits": {"memory": "1Gi"}})),
            "container \"app\" has no CPU request",
            &["spec.containers[0].resources"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"memory": "1Gi"}})),
            "container \"app\" has no CPU request",
            &["spec.containers[0].resources.requests"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"cpu": "0"}, "limits": {"cpu": "1"}})),
            "container \"app\" has a zero CPU request",
            &["spec.containers[0].resources.requests.cpu"],
        );
        // A zero limit defaults a zero request.
        assert_one(
            id,
            "Pod",
            one(json!({"limits": {"cpu": "0"}})),
            "container \"app\" has no CPU request",
            &["spec.containers[0].resources"],
        );
    }

    #[test]
    fn memory_request() {
        let id = "resources-memory-request";
        assert_pass(id, "Pod", one(json!({"requests": {"memory": "64Mi"}})));
        assert_pass(id, "Pod", one(json!({"limits": {"memory": "64Mi"}})));
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"cpu": "1"}})),
            "container \"app\" has no memory request",
            &["spec.containers[0].resources.requests"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"memory": "0Mi"}})),
            "container \"app\" has a zero memory request",
            &["spec.containers[0].resources.requests.memory"],
        );
    }

    #[test]
    fn memory_limit() {
        let id = "resources-memory-limit";
        assert_pass(id, "Pod", one(json!({"limits": {"memory": "64Mi"}})));
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"memory": "64Mi"}})),
            "container \"app\" has no memory limit",
            &["spec.containers[0].resources"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"limits": {"cpu": "1"}})),
            "container \"app\" has no memory limit",
            &["spec.containers[0].resources.limits"],
        );
        assert_one(
            id,
            "Pod",
            one(json!({"limits": {"memory": 0}})),
            "container \"app\" has a zero memory limit",
            &["spec.containers[0].resources.limits.memory"],
        );
    }

    #[test]
    fn cpu_limit() {
        let id = "resources-cpu-limit";
        assert_pass(id, "Pod", one(json!({"limits": {"cpu": "500m"}})));
        assert_one(
            id,
            "Pod",
            one(json!({"requests": {"cpu": "500m"}})),
            "container \"app\" has no CPU limit",
            &["spec.containers[0].resources"],
        );
    }

    #[test]
    fn init_containers_count_and_ephemeral_containers_do_not() {
        let p = json!({"spec": {
            "initContainers": [{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "resources": {"limits": {"memory": "1Gi"}}}],
            "ephemeralContainers": [{"name": "debug"}]
        }});
        assert_eq!(
            run("resources-memory-limit", "Pod", p),
            vec![
                (
                    "init container \"setup\" has no memory limit".to_string(),
                    vec!["spec.initContainers[0]".to_string()]
                ),
                (
                    "init container \"proxy\" has no memory limit".to_string(),
                    vec!["spec.initContainers[1]".to_string()]
                ),
            ]
        );
    }
}
