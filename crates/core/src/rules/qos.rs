//! Pod QoS class, as the API server computes it for `status.qosClass`
//! (`pkg/apis/core/v1/helper/qos.ComputePodQOS`), applied to the pod the
//! API server would store, i.e. after its defaulting:
//!
//! * Only `cpu` and `memory` count; init containers (sidecars included) count,
//!   ephemeral containers do not.
//! * A container limit without a request defaults the request to the limit
//!   (`SetDefaults_Pod`).
//! * Per container: BestEffort when cpu and memory requests and limits are
//!   all zero or absent; Guaranteed when, for both cpu and memory, request
//!   equals limit and is non-zero; otherwise Burstable. The pod is Guaranteed
//!   or BestEffort when every container is, otherwise Burstable (and
//!   BestEffort with no containers).
//! * Pod-level resources (`spec.resources`, KEP-2837, beta and on by default
//!   since v1.34; this module assumes the gate is on): when `spec.resources`
//!   is present at all, the class comes from the pod-level requests and limits
//!   alone, after upstream's pod-level defaulting (hugepage limits, then
//!   requests from the aggregated container requests or else the pod limits,
//!   then limits from the aggregated container limits when every container
//!   sets one). Upstream's "every container" helper was not available to read;
//!   it is taken to mean every init and regular container.
//! * Quantities compare by value (`"1"` equals `"1000m"`). An unparseable
//!   quantity, which the API server would reject, counts as set and equal to
//!   nothing, so the pod is Burstable.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::quantity::parse_quantity;
use crate::model::{Container, PodSpec, Quantity, ResourceRequirements};

/// A pod's quality-of-service class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    /// The API's spelling (`status.qosClass`).
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

impl fmt::Display for QosClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed amount in nano-units; `None` when the quantity does not parse.
type Amount = Option<i128>;
type Resources<'a> = BTreeMap<&'a str, Amount>;

const CPU: &str = "cpu";
const MEMORY: &str = "memory";

static NO_RESOURCES: ResourceRequirements = ResourceRequirements {
    limits: BTreeMap::new(),
    requests: BTreeMap::new(),
};

/// The QoS class the API server would give a pod with this spec.
pub fn qos_class(spec: &PodSpec) -> QosClass {
    if let Some(pod_level) = &spec.resources {
        let (requests, limits) = pod_level_defaults(spec, pod_level);
        return resource_qos(&requests, &limits);
    }
    let mut pod_qos = None;
    for c in spec.init_containers.iter().chain(&spec.containers) {
        let r = resources(c);
        let q = resource_qos(&defaulted_requests(r), &amounts(&r.limits));
        if q == QosClass::Burstable {
            return q;
        }
        match pod_qos {
            None => pod_qos = Some(q),
            Some(p) if p != q => return QosClass::Burstable,
            Some(_) => {}
        }
    }
    pod_qos.unwrap_or(QosClass::BestEffort)
}

/// The class of one set of requests and limits (upstream `resourceQOS`).
fn resource_qos(requests: &Resources<'_>, limits: &Resources<'_>) -> QosClass {
    let mut qos = None;
    for name in [CPU, MEMORY] {
        let request = requests.get(name).copied().unwrap_or(Some(0));
        let limit = limits.get(name).copied().unwrap_or(Some(0));
        let (Some(request), Some(limit)) = (request, limit) else {
            return QosClass::Burstable;
        };
        if request != limit {
            return QosClass::Burstable;
        }
        let best_effort = request == 0;
        match qos {
            None => {
                qos = Some(if best_effort {
                    QosClass::BestEffort
                } else {
                    QosClass::Guaranteed
                })
            }
            Some(q) if (q == QosClass::BestEffort) != best_effort => return QosClass::Burstable,
            Some(_) => {}
        }
    }
    qos.unwrap_or(QosClass::BestEffort)
}

fn resources(c: &Container) -> &ResourceRequirements {
    c.resources.as_ref().unwrap_or(&NO_RESOURCES)
}

fn amounts(list: &BTreeMap<String, Quantity>) -> Resources<'_> {
    list.iter()
        .map(|(k, v)| (k.as_str(), parse_quantity(&v.0)))
        .collect()
}

/// Requests after API defaulting: each limit without a request sets it.
fn defaulted_requests(r: &ResourceRequirements) -> Resources<'_> {
    let mut m = amounts(&r.requests);
    for (k, v) in &r.limits {
        m.entry(k.as_str()).or_insert_with(|| parse_quantity(&v.0));
    }
    m
}

fn add_amount(a: Amount, b: Amount) -> Amount {
    Some(a?.saturating_add(b?))
}

fn add_into<'a>(acc: &mut Resources<'a>, more: &Resources<'a>) {
    for (&k, &v) in more {
        let sum = match acc.get(k) {
            Some(&have) => add_amount(have, v),
            None => v,
        };
        acc.insert(k, sum);
    }
}

fn max_into<'a>(acc: &mut Resources<'a>, more: &Resources<'a>) {
    for (&k, &v) in more {
        let max = match (acc.get(k), v) {
            (None, v) => v,
            (Some(&Some(have)), Some(v)) => Some(have.max(v)),
            (Some(_), _) => None,
        };
        acc.insert(k, max);
    }
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// Upstream `aggregateContainerResourcesByFn`: regular containers and
/// sidecars add up; each init container needs its own amount plus the
/// sidecars started before it; the pod needs the larger of the two.
fn aggregate<'a>(
    spec: &'a PodSpec,
    per_container: impl Fn(&'a ResourceRequirements) -> Resources<'a>,
) -> Resources<'a> {
    let mut total = Resources::new();
    for c in &spec.containers {
        add_into(&mut total, &per_container(resources(c)));
    }
    let mut sidecars = Resources::new();
    let mut init_peak = Resources::new();
    for c in &spec.init_containers {
        let own = per_container(resources(c));
        let during = if is_sidecar(c) {
            add_into(&mut total, &own);
            add_into(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut combined = own;
            add_into(&mut combined, &sidecars);
            combined
        };
        max_into(&mut init_peak, &during);
    }
    max_into(&mut total, &init_peak);
    total
}

fn pod_level_supported(name: &str) -> bool {
    name == CPU || name == MEMORY || name.starts_with("hugepages-")
}

/// Among the resources pod-level limits support, those that may be
/// overcommitted (upstream `IsOvercommitAllowed`: not hugepages).
fn overcommittable(name: &str) -> bool {
    name == CPU || name == MEMORY
}

/// Pod-level requests and limits after upstream's `defaultHugePagePodLimits`,
/// `defaultPodRequests` and `defaultPodLimits`, in that order.
fn pod_level_defaults<'a>(
    spec: &'a PodSpec,
    pod: &'a ResourceRequirements,
) -> (Resources<'a>, Resources<'a>) {
    let mut requests = amounts(&pod.requests);
    let mut limits = amounts(&pod.limits);
    let container_requests = aggregate(spec, defaulted_requests);
    let container_limits = aggregate(spec, |r| amounts(&r.limits));

    if !requests.is_empty() || !limits.is_empty() {
        for (&k, &v) in &container_limits {
            if k.starts_with("hugepages-") && !requests.contains_key(k) {
                limits.entry(k).or_insert(v);
            }
        }
    }

    if !limits.is_empty() {
        for (&k, &v) in &container_requests {
            if pod_level_supported(k) && overcommittable(k) {
                requests.entry(k).or_insert(v);
            }
        }
        for (&k, &v) in &limits {
            if pod_level_supported(k) {
                requests.entry(k).or_insert(v);
            }
        }
    }

    let limits_set = limits.keys().any(|k| pod_level_supported(k));
    let requests_set = requests.keys().any(|k| pod_level_supported(k));
    if !limits_set && requests_set {
        for (&k, &v) in &container_limits {
            if pod_level_supported(k)
                && overcommittable(k)
                && !limits.contains_key(k)
                && every_container_limits(spec, k)
            {
                limits.insert(k, v);
            }
        }
    }
    (requests, limits)
}

fn every_container_limits(spec: &PodSpec, name: &str) -> bool {
    spec.init_containers
        .iter()
        .chain(&spec.containers)
        .all(|c| resources(c).limits.contains_key(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use QosClass::*;

    fn spec(v: serde_json::Value) -> PodSpec {
        match serde_json::from_value(v) {
            Ok(s) => s,
            Err(e) => panic!("test spec must deserialize: {e}"),
        }
    }

    fn ctr(name: &str, resources: serde_json::Value) -> serde_json::Value {
        json!({"name": name, "image": "x", "resources": resources})
    }

    fn guaranteed() -> serde_json::Value {
        json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, serde_json::Value, QosClass)> = vec![
            ("no containers", json!({}), BestEffort),
            (
                "no resources",
                json!({"containers": [{"name": "a"}]}),
                BestEffort,
            ),
            (
                "empty resources",
                json!({"containers": [ctr("a", json!({"requests": {}, "limits": {}}))]}),
                BestEffort,
            ),
            (
                "only other resources",
                json!({"containers": [ctr("a", json!({"requests": {"ephemeral-storage": "1Gi"},
                                                       "limits": {"nvidia.com/gpu": "1"}}))]}),
                BestEffort,
            ),
            (
                "explicit zeros",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "0", "memory": "0"},
                                                       "limits": {"cpu": "0m"}}))]}),
                BestEffort,
            ),
            (
                "requests equal limits",
                json!({"containers": [ctr("a", guaranteed())]}),
                Guaranteed,
            ),
            (
                "equal by value, not by spelling",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "1000m", "memory": "1073741824"},
                                                       "limits": {"cpu": 1, "memory": "1Gi"}}))]}),
                Guaranteed,
            ),
            (
                "limits without requests default the requests",
                json!({"containers": [ctr("a", json!({"limits": {"cpu": "500m", "memory": "256Mi"}}))]}),
                Guaranteed,
            ),
            (
                "a limit defaults only its own missing request",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "250m"},
                                                       "limits": {"cpu": "500m", "memory": "256Mi"}}))]}),
                Burstable,
            ),
            (
                "explicit zero request is not defaulted",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "0"},
                                                       "limits": {"cpu": "1", "memory": "1Gi"}}))]}),
                Burstable,
            ),
            (
                "requests only",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "1", "memory": "1Gi"}}))]}),
                Burstable,
            ),
            (
                "memory only",
                json!({"containers": [ctr("a", json!({"limits": {"memory": "1Gi"}}))]}),
                Burstable,
            ),
            (
                "request below limit",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "1", "memory": "512Mi"},
                                                       "limits": {"cpu": "1", "memory": "1Gi"}}))]}),
                Burstable,
            ),
            (
                "one guaranteed, one best-effort",
                json!({"containers": [ctr("a", guaranteed()), {"name": "b"}]}),
                Burstable,
            ),
            (
                "all containers guaranteed",
                json!({"containers": [ctr("a", guaranteed()), ctr("b", guaranteed())]}),
                Guaranteed,
            ),
            (
                "init container without resources spoils guaranteed",
                json!({"initContainers": [{"name": "init"}], "containers": [ctr("a", guaranteed())]}),
                Burstable,
            ),
            (
                "guaranteed init and main",
                json!({"initContainers": [ctr("init", guaranteed())], "containers": [ctr("a", guaranteed())]}),
                Guaranteed,
            ),
            (
                "init container limits without requests",
                json!({"initContainers": [ctr("init", json!({"limits": {"cpu": "2", "memory": "2Gi"}}))],
                       "containers": [ctr("a", guaranteed())]}),
                Guaranteed,
            ),
            (
                "only an init container has resources",
                json!({"initContainers": [ctr("init", guaranteed())], "containers": [{"name": "a"}]}),
                Burstable,
            ),
            (
                "sidecar counts like an init container",
                json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                       "containers": [ctr("a", guaranteed())]}),
                Burstable,
            ),
            (
                "ephemeral containers do not count",
                json!({"containers": [ctr("a", guaranteed())],
                       "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}),
                Guaranteed,
            ),
            (
                "an invalid quantity is never equal",
                json!({"containers": [ctr("a", json!({"requests": {"cpu": "1x", "memory": "1Gi"},
                                                       "limits": {"cpu": "1x", "memory": "1Gi"}}))]}),
                Burstable,
            ),
            // pod-level resources
            (
                "pod-level limits default pod-level requests",
                json!({"resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
                       "containers": [{"name": "a"}, {"name": "b"}]}),
                Guaranteed,
            ),
            (
                "pod-level resources win over container resources",
                json!({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
                       "containers": [ctr("a", guaranteed())]}),
                Burstable,
            ),
            (
                "pod-level requests default from aggregated container requests",
                json!({"resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
                       "containers": [ctr("a", json!({"requests": {"cpu": "500m"}}))]}),
                Burstable,
            ),
            (
                "aggregation adds sidecars and takes the init peak",
                json!({"resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
                       "initContainers": [
                           {"name": "proxy", "restartPolicy": "Always", "image": "x",
                            "resources": {"requests": {"cpu": "500m"}}},
                           ctr("migrate", json!({"requests": {"cpu": "1"}}))
                       ],
                       "containers": [ctr("a", json!({"requests": {"cpu": "1500m"}}))]}),
                // cpu: regular 1.5 + sidecar 0.5 = 2; init peak 1 + 0.5 = 1.5; max 2 = limit.
                // memory: no container requests it, so the request defaults to the limit.
                Guaranteed,
            ),
            (
                "an init container's peak can exceed the running total",
                json!({"resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
                       "initContainers": [
                           {"name": "proxy", "restartPolicy": "Always", "image": "x",
                            "resources": {"requests": {"cpu": "500m"}}},
                           ctr("migrate", json!({"requests": {"cpu": "2"}}))
                       ],
                       "containers": [ctr("a", json!({"requests": {"cpu": "1500m"}}))]}),
                // init peak 2 + 0.5 = 2.5 > 2: the defaulted pod request differs from the limit.
                Burstable,
            ),
            (
                "pod-level requests only, containers without limits",
                json!({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                       "containers": [{"name": "a"}]}),
                Burstable,
            ),
            (
                "pod-level requests with every container limited default pod limits",
                json!({"resources": {"requests": {"cpu": "2", "memory": "2Gi"}},
                       "containers": [ctr("a", json!({"limits": {"cpu": "1", "memory": "1Gi"}})),
                                      ctr("b", json!({"limits": {"cpu": "1", "memory": "1Gi"}}))]}),
                Guaranteed,
            ),
            (
                "pod-level limits are not defaulted unless every container has one",
                json!({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                       "containers": [ctr("a", json!({"limits": {"cpu": "1", "memory": "1Gi"}})),
                                      {"name": "b"}]}),
                Burstable,
            ),
            (
                "empty pod-level resources: upstream quirk",
                json!({"resources": {}, "containers": [ctr("a", guaranteed())]}),
                BestEffort,
            ),
            (
                "null pod-level resources are unset",
                json!({"resources": null, "containers": [ctr("a", guaranteed())]}),
                Guaranteed,
            ),
        ];
        for (name, s, want) in cases {
            assert_eq!(qos_class(&spec(s)), want, "{name}");
        }
    }

    #[test]
    fn display_matches_the_api() {
        assert_eq!(Guaranteed.to_string(), "Guaranteed");
        assert_eq!(BestEffort.to_string(), "BestEffort");
        assert_eq!(
            serde_json::to_value(Burstable).ok(),
            Some(json!("Burstable"))
        );
    }
}
