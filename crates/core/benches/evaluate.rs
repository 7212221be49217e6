//! Evaluating one typical pod (cargo bench -p podgate-core --bench evaluate).
//! Target: under 1 µs per typical pod at restricted:latest.

// Benchmark harness code: a failed setup should abort loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use podgate_core::model::PodTemplate;
use podgate_core::pss::{evaluate_pod, Level, LevelVersion, Version};
use std::hint::black_box;

fn typical() -> PodTemplate {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "b"}},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{"name": "migrate", "image": "ghcr.io/acme/web:1.4.2",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "containers": [
                {"name": "web", "image": "ghcr.io/acme/web:1.4.2", "ports": [{"containerPort": 8080, "name": "http"}],
                 "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                 "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}},
                {"name": "proxy", "image": "envoyproxy/envoy:v1.30", "ports": [{"containerPort": 9901}],
                 "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}
            ],
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "web"}}]
        }
    }))
    .expect("typical pod decodes")
}

fn violating() -> PodTemplate {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "bad"},
        "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "busybox",
            "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}],
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
    }))
    .expect("violating pod decodes")
}

fn bench(c: &mut Criterion) {
    let lv = LevelVersion::new(Level::Restricted, Version::LATEST);
    let pod = typical();
    assert!(evaluate_pod(lv, &pod.metadata, &pod.spec).is_empty());
    c.bench_function("evaluate typical pod restricted:latest (allowed)", |b| {
        b.iter(|| {
            evaluate_pod(
                black_box(lv),
                black_box(&pod.metadata),
                black_box(&pod.spec),
            )
        })
    });
    let bad = violating();
    c.bench_function(
        "evaluate violating pod restricted:latest (8 violations)",
        |b| {
            b.iter(|| {
                evaluate_pod(
                    black_box(lv),
                    black_box(&bad.metadata),
                    black_box(&bad.spec),
                )
            })
        },
    );
    let json = serde_json::json!({"metadata": {"name": "web"}, "spec": serde_json::to_value(serde_json::json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "web", "image": "i", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
    })).expect("json")});
    c.bench_function("decode + evaluate small pod from JSON value", |b| {
        b.iter(|| {
            let p = podgate_core::workload::decode_pod(black_box(&json)).expect("decodes");
            evaluate_pod(lv, &p.metadata, &p.spec)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
