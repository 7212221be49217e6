//! hostPath rules: writable mounts, container runtime sockets, sensitive host
//! directories.
//!
//! Fields: `spec.volumes[*].hostPath.path`, `spec.*containers[*].volumeMounts[*].readOnly`.
//!
//! Pod Security baseline forbids hostPath volumes outright; these rules grade
//! them for pods that run where baseline is not enforced (node agents,
//! privileged namespaces). Paths are compared after lexical normalization
//! (repeated and trailing slashes, `.` and `..` segments); symlinks on the
//! host cannot be seen.

use super::{container_field, spec_field, who, Hit, RuleContext, RuleInfo, Severity};
use crate::model::PodTemplate;
use crate::path::FieldPath;

pub(super) const HOST_PATH_WRITABLE: RuleInfo = RuleInfo {
    id: "host-path-writable",
    severity: Severity::High,
    title: "hostPath volumes are mounted read-only",
    rationale: "A writable hostPath mount lets the container change the node's files: plant \
                binaries or cron jobs, alter kubelet or runtime configuration, fill the disk. \
                Most agents only need to read.",
    fix: "Set readOnly: true on the volumeMount, or replace the hostPath with another volume type.",
    field: "spec.*containers[*].volumeMounts[*].readOnly",
    default_enabled: true,
};

pub(super) const HOST_PATH_RUNTIME_SOCKET: RuleInfo = RuleInfo {
    id: "host-path-runtime-socket",
    severity: Severity::Critical,
    title: "Pods do not mount the container runtime socket",
    rationale: "The Docker, containerd or CRI-O socket controls every container on the node: \
                whoever can reach it can start a privileged container and own the host. \
                Mounting a directory that contains the socket (/var/run, /run/containerd) is \
                the same.",
    fix: "Remove the hostPath volume; use the Kubernetes API or a purpose-built agent instead.",
    field: "spec.volumes[*].hostPath.path",
    default_enabled: true,
};

pub(super) const HOST_PATH_SENSITIVE: RuleInfo = RuleInfo {
    id: "host-path-sensitive",
    severity: Severity::High,
    title: "Pods do not mount sensitive host directories",
    rationale: "The host's root, /etc, /proc, /sys, /root and the kubelet's and etcd's state \
                directories hold credentials (kubelet and cluster PKI, service account tokens of \
                every pod on the node, SSH keys) and kernel interfaces. Even read-only, mounting \
                them exposes secrets of other workloads.",
    fix: "Mount only the specific subdirectory the workload needs, read-only, or avoid hostPath.",
    field: "spec.volumes[*].hostPath.path",
    default_enabled: true,
};

/// Container runtime sockets (Docker, containerd, CRI-O, cri-dockerd).
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
];

/// Sensitive only as exactly this directory: their subdirectories are common,
/// legitimate mounts (`/etc/ssl/certs`, `/sys/fs/cgroup`, `/var/lib/kubelet/pods`).
const SENSITIVE_EXACT: &[&str] = &["/", "/etc", "/proc", "/sys", "/var/lib/kubelet"];

/// Sensitive with everything below them.
const SENSITIVE_TREES: &[&str] = &[
    "/root",
    "/etc/kubernetes",
    "/var/lib/etcd",
    "/var/lib/kubelet/pki",
];

/// Lexically normalize an absolute path; `None` for relative paths.
fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// `a` equals `b` or is a directory above it.
fn is_within(path: &str, dir: &str) -> bool {
    path == dir
        || dir == "/"
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn host_paths(pod: &PodTemplate) -> impl Iterator<Item = (usize, &str, &str, String)> {
    pod.spec.volumes.iter().enumerate().filter_map(|(i, v)| {
        let hp = v.host_path.as_ref()?;
        let norm = normalize(&hp.path)?;
        Some((i, v.name.as_str(), hp.path.as_str(), norm))
    })
}

fn volume_path_field(i: usize) -> FieldPath {
    spec_field(&["volumes"]).child(i).join(["hostPath", "path"])
}

pub(super) fn host_path_writable(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in pod.spec.all_containers() {
        for (j, m) in c.volume_mounts.iter().enumerate() {
            if m.read_only {
                continue;
            }
            let Some(hp) = pod
                .spec
                .volumes
                .iter()
                .find(|v| v.name == m.name)
                .and_then(|v| v.host_path.as_ref())
            else {
                continue;
            };
            out.push(Hit::new(
                format!(
                    "{} mounts hostPath volume \"{}\" (\"{}\") without readOnly: true",
                    who(kind, &c.name),
                    m.name,
                    hp.path
                ),
                container_field(kind, i, &["volumeMounts"]).child(j),
            ));
        }
    }
}

pub(super) fn host_path_runtime_socket(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (i, name, path, norm) in host_paths(pod) {
        // The host's root is reported by host-path-sensitive.
        if norm == "/" {
            continue;
        }
        if RUNTIME_SOCKETS.iter().any(|s| is_within(s, &norm)) {
            out.push(Hit::new(
                format!(
                    "volume \"{name}\" mounts host path \"{path}\", which exposes a container runtime socket"
                ),
                volume_path_field(i),
            ));
        }
    }
}

pub(super) fn host_path_sensitive(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (i, name, path, norm) in host_paths(pod) {
        let sensitive = SENSITIVE_EXACT.contains(&norm.as_str())
            || SENSITIVE_TREES.iter().any(|t| is_within(&norm, t));
        if sensitive {
            out.push(Hit::new(
                format!("volume \"{name}\" mounts sensitive host path \"{path}\""),
                volume_path_field(i),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass, messages};
    use super::*;
    use serde_json::json;

    fn host(path: &str) -> serde_json::Value {
        json!({"spec": {"volumes": [{"name": "cfg", "configMap": {"name": "x"}},
                                    {"name": "host", "hostPath": {"path": path}}],
                        "containers": [{"name": "app"}]}})
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("/var//run/").as_deref(), Some("/var/run"));
        assert_eq!(normalize("/var/./run/../run").as_deref(), Some("/var/run"));
        assert_eq!(normalize("/").as_deref(), Some("/"));
        assert_eq!(normalize("//").as_deref(), Some("/"));
        assert_eq!(normalize("/..").as_deref(), Some("/"));
        assert_eq!(normalize("relative"), None);
        assert_eq!(normalize("C:\\Windows"), None);
        assert!(is_within("/var/run/docker.sock", "/var/run"));
        assert!(!is_within("/var/running", "/var/run"));
        assert!(is_within("/x", "/"));
    }

    #[test]
    fn writable() {
        let id = "host-path-writable";
        let mount = |read_only: bool| {
            json!({"spec": {
                "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "logs", "hostPath": {"path": "/var/log"}}],
                "containers": [{"name": "app", "volumeMounts": [
                    {"name": "tmp", "mountPath": "/tmp"},
                    {"name": "logs", "mountPath": "/logs", "readOnly": read_only}
                ]}]
            }})
        };
        assert_pass(id, "Pod", mount(true));
        assert_one(
            id,
            "Pod",
            mount(false),
            "container \"app\" mounts hostPath volume \"logs\" (\"/var/log\") without readOnly: true",
            &["spec.containers[0].volumeMounts[1]"],
        );
        // A mount of an undeclared volume is validation's business.
        assert_pass(
            id,
            "Pod",
            json!({"spec": {"containers": [{"name": "app", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}]}}),
        );
    }

    #[test]
    fn runtime_socket() {
        let id = "host-path-runtime-socket";
        for ok in [
            "/var/log",
            "/var/lib/docker",
            "/run/secrets",
            "/",
            "/var/running",
        ] {
            assert_pass(id, "Pod", host(ok));
        }
        assert_one(
            id,
            "Pod",
            host("/var/run/docker.sock"),
            "volume \"host\" mounts host path \"/var/run/docker.sock\", which exposes a container runtime socket",
            &["spec.volumes[1].hostPath.path"],
        );
        for bad in [
            "/run/containerd/containerd.sock",
            "/var/run/crio/crio.sock",
            "/var/run",
            "/run/containerd/",
            "/var",
            "//var/run//docker.sock",
        ] {
            assert_eq!(messages(id, "Pod", host(bad)).len(), 1, "{bad}");
        }
    }

    #[test]
    fn sensitive() {
        let id = "host-path-sensitive";
        for ok in [
            "/var/log",
            "/etc/ssl/certs",
            "/sys/fs/cgroup",
            "/proc/sys/net",
            "/var/lib/kubelet/pods",
            "/data",
        ] {
            assert_pass(id, "Pod", host(ok));
        }
        assert_one(
            id,
            "Pod",
            host("/etc/"),
            "volume \"host\" mounts sensitive host path \"/etc/\"",
            &["spec.volumes[1].hostPath.path"],
        );
        for bad in [
            "/",
            "/etc",
            "/proc",
            "/sys",
            "/var/lib/kubelet",
            "/root",
            "/root/.ssh",
            "/etc/kubernetes/pki",
            "/var/lib/etcd",
            "/var/lib/kubelet/pki",
        ] {
            assert_eq!(messages(id, "Pod", host(bad)).len(), 1, "{bad}");
        }
    }
}
