//! Which resources carry a pod spec, and where (upstream's
//! `DefaultPodSpecExtractor`).

use podgate_core::model::PodTemplate;
use serde::Deserialize;
use serde_json::Value;

use crate::outcome::ResourceLabel;
use crate::review::GroupVersionResource;

/// The workload kinds and their template paths are the core's, shared with
/// `podgate scan` so both read templates from the same place.
pub use podgate_core::workload::WorkloadKind;

/// The template is a pointer in Go (`ReplicationControllerSpec.Template`):
/// a missing one means "nothing to evaluate" rather than an empty pod.
fn template_is_optional(kind: WorkloadKind) -> bool {
    kind == WorkloadKind::ReplicationController
}

/// What a request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Pod,
    Namespace,
    Workload(WorkloadKind),
    /// Not ours: allowed untouched (the in-tree plugin skips such requests).
    Other,
}

impl Resource {
    pub fn classify(gvr: &GroupVersionResource) -> Resource {
        use WorkloadKind::*;
        match (gvr.group.as_str(), gvr.resource.as_str()) {
            ("", "pods") => Resource::Pod,
            ("", "namespaces") => Resource::Namespace,
            ("", "podtemplates") => Resource::Workload(PodTemplate),
            ("", "replicationcontrollers") => Resource::Workload(ReplicationController),
            ("apps", "replicasets") => Resource::Workload(ReplicaSet),
            ("apps", "deployments") => Resource::Workload(Deployment),
            ("apps", "statefulsets") => Resource::Workload(StatefulSet),
            ("apps", "daemonsets") => Resource::Workload(DaemonSet),
            ("batch", "jobs") => Resource::Workload(Job),
            ("batch", "cronjobs") => Resource::Workload(CronJob),
            _ => Resource::Other,
        }
    }

    pub fn label(self) -> ResourceLabel {
        match self {
            Resource::Pod => ResourceLabel::Pod,
            Resource::Namespace => ResourceLabel::Namespace,
            Resource::Workload(_) => ResourceLabel::Controller,
            Resource::Other => ResourceLabel::Other,
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Decode a whole object (a Pod) into metadata and spec.
pub fn decode_pod(obj: &Value) -> Result<PodTemplate, String> {
    if !obj.is_object() {
        return Err(format!("expected an object, got {}", type_name(obj)));
    }
    PodTemplate::deserialize(obj).map_err(|e| e.to_string())
}

/// The pod template of a workload: `Ok(None)` when a template that Go
/// models as a pointer is absent; an empty template when a struct-valued
/// one is absent (Go's zero value).
pub fn extract_template(kind: WorkloadKind, obj: &Value) -> Result<Option<PodTemplate>, String> {
    if !obj.is_object() {
        return Err(format!("expected an object, got {}", type_name(obj)));
    }
    let mut node = obj;
    let path = kind.template_path();
    for (i, key) in path.iter().enumerate() {
        match node.get(key) {
            None | Some(Value::Null) => {
                if i == path.len() - 1 && template_is_optional(kind) {
                    return Ok(None);
                }
                return Ok(Some(PodTemplate::default()));
            }
            Some(v @ Value::Object(_)) => node = v,
            Some(other) => {
                return Err(format!(
                    "{}: expected an object, got {}",
                    path[..=i].join("."),
                    type_name(other)
                ))
            }
        }
    }
    PodTemplate::deserialize(node)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.join(".")))
}
