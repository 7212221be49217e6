//! Finding the pods in Kubernetes objects.
//!
//! A manifest document may hold a Pod, a workload with a pod template
//! (ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job,
//! CronJob, PodTemplate), a Namespace (whose Pod Security labels matter), a
//! `List` of any of these, or something else, which is skipped. This module
//! walks a document's JSON value and yields what it found, with the field path
//! of each object so findings can be mapped to lines.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{PodSpec, PodTemplate};
use crate::path::{FieldPath, PathSeg};

/// Maximum nesting of `List` inside `List` that is followed.
const MAX_LIST_DEPTH: usize = 8;

/// A workload kind podgate evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    Pod,
    PodTemplate,
    ReplicationController,
    ReplicaSet,
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::PodTemplate => "PodTemplate",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// Recognise a kind by `apiVersion` group and `kind`. Objects of the same
    /// kind name in another API group (a CRD called `Deployment`) are not ours.
    pub fn from_type(api_version: &str, kind: &str) -> Option<WorkloadKind> {
        let group = match api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        };
        let k = match kind {
            "Pod" => WorkloadKind::Pod,
            "PodTemplate" => WorkloadKind::PodTemplate,
            "ReplicationController" => WorkloadKind::ReplicationController,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            _ => return None,
        };
        let group_ok = match k {
            WorkloadKind::Pod | WorkloadKind::PodTemplate | WorkloadKind::ReplicationController => {
                group.is_empty()
            }
            WorkloadKind::ReplicaSet
            | WorkloadKind::Deployment
            | WorkloadKind::StatefulSet
            | WorkloadKind::DaemonSet => group == "apps" || group == "extensions",
            WorkloadKind::Job | WorkloadKind::CronJob => group == "batch",
        };
        group_ok.then_some(k)
    }

    /// Path from the object root to its pod template (`metadata` + `spec`).
    pub fn template_path(self) -> &'static [&'static str] {
        match self {
            WorkloadKind::Pod => &[],
            WorkloadKind::PodTemplate => &["template"],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        }
    }

    /// Jobs run to completion; probes and some rules do not apply to them.
    pub fn is_batch(self) -> bool {
        matches!(self, WorkloadKind::Job | WorkloadKind::CronJob)
    }
}

/// A pod (or pod template) found in a document.
#[derive(Clone, Debug)]
pub struct FoundPod {
    pub kind: WorkloadKind,
    pub api_version: String,
    pub name: String,
    pub namespace: String,
    /// Path of the object inside the document (non-empty for `List` items).
    pub object_path: FieldPath,
    /// Path of the pod template inside the document (object path + template path).
    pub pod_path: FieldPath,
    /// The decoded pod, defaulted as the API server would.
    pub pod: PodTemplate,
    /// Labels and annotations of the object itself (for a Pod, the same as
    /// the pod's; for a workload, those of the Deployment, CronJob, ...).
    pub object_labels: BTreeMap<String, String>,
    pub object_annotations: BTreeMap<String, String>,
}

/// A Namespace found in a document.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundNamespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub object_path: FieldPath,
}

/// Something wrong with one object (a field of the wrong type, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectError {
    /// Path (inside the document) of the offending field, as far as known.
    pub path: FieldPath,
    pub kind: String,
    pub name: String,
    pub message: String,
}

#[derive(Clone, Debug)]
pub enum Found {
    Pod(Box<FoundPod>),
    Namespace(FoundNamespace),
    Error(ObjectError),
}

/// Walk one document and collect the pods and namespaces in it. Objects of
/// other kinds are skipped silently, like `kubectl` would apply them without
/// involving Pod Security.
pub fn find(doc: &Value) -> Vec<Found> {
    let mut out = Vec::new();
    walk(doc, &FieldPath::root(), None, 0, &mut out);
    out
}

fn str_field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn walk(
    v: &Value,
    path: &FieldPath,
    inferred_kind: Option<&str>,
    depth: usize,
    out: &mut Vec<Found>,
) {
    let Some(obj) = v.as_object() else {
        return;
    };
    let kind = match obj.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k,
        _ => inferred_kind.unwrap_or(""),
    };
    let api_version = str_field(v, "apiVersion");

    if kind == "List" || (kind.ends_with("List") && obj.contains_key("items")) {
        if depth >= MAX_LIST_DEPTH {
            out.push(Found::Error(ObjectError {
                path: path.clone(),
                kind: kind.to_string(),
                name: String::new(),
                message: format!("lists nested more than {MAX_LIST_DEPTH} deep are not read"),
            }));
            return;
        }
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        if let Some(items) = obj.get("items").and_then(Value::as_array) {
            for (i, item) in items.iter().enumerate() {
                walk(
                    item,
                    &path.child(PathSeg::from("items")).child(i),
                    item_kind,
                    depth + 1,
                    out,
                );
            }
        }
        return;
    }

    let meta = v.get("metadata");
    let name = meta.map(|m| str_field(m, "name")).unwrap_or("").to_string();
    let namespace = meta
        .map(|m| str_field(m, "namespace"))
        .unwrap_or("")
        .to_string();

    if kind == "Namespace" && (api_version == "v1" || api_version.is_empty()) {
        let labels = string_map(meta.and_then(|m| m.get("labels")));
        out.push(Found::Namespace(FoundNamespace {
            name,
            labels,
            object_path: path.clone(),
        }));
        return;
    }

    // A List item without apiVersion inherits nothing we can check; accept the
    // kind alone there (typed lists such as PodList omit item type meta).
    let wk = if api_version.is_empty() && inferred_kind.is_some() {
        WorkloadKind::from_type(default_api_version(kind), kind)
    } else {
        WorkloadKind::from_type(api_version, kind)
    };
    let Some(wk) = wk else {
        return;
    };

    let mut template = v;
    for seg in wk.template_path() {
        match template.get(*seg) {
            Some(t) => template = t,
            None => {
                // A workload without a template is invalid for the API server;
                // report it rather than silently passing it.
                out.push(Found::Error(ObjectError {
                    path: path.clone(),
                    kind: kind.to_string(),
                    name,
                    message: format!(
                        "{kind} has no pod template at {}",
                        wk.template_path().join(".")
                    ),
                }));
                return;
            }
        }
    }
    let pod_path = path.join(wk.template_path().iter().copied());
    match decode_pod(template) {
        Ok(mut pod) => {
            apply_defaults(&mut pod.spec);
            out.push(Found::Pod(Box::new(FoundPod {
                kind: wk,
                api_version: api_version.to_string(),
                name,
                namespace,
                object_path: path.clone(),
                pod_path,
                pod,
                object_labels: string_map(meta.and_then(|m| m.get("labels"))),
                object_annotations: string_map(meta.and_then(|m| m.get("annotations"))),
            })));
        }
        Err((rel, message)) => out.push(Found::Error(ObjectError {
            path: rel.prefixed(&pod_path),
            kind: kind.to_string(),
            name,
            message,
        })),
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn default_api_version(kind: &str) -> &'static str {
    match kind {
        "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        _ => "v1",
    }
}

/// Decode a pod template, reporting the path of a field with the wrong type.
pub fn decode_pod(v: &Value) -> Result<PodTemplate, (FieldPath, String)> {
    // The fast path decodes without tracking; only a failure pays for a
    // second, path-tracking pass to say where the bad field is.
    if let Ok(p) = PodTemplate::deserialize(v) {
        return Ok(p);
    }
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(v, &mut track);
    match PodTemplate::deserialize(de) {
        Ok(p) => Ok(p),
        Err(e) => Err(located(track, e.to_string())),
    }
}

/// Decode a pod (or pod template: `metadata` and `spec`) straight from JSON
/// text, without building a `Value` tree first (the webhook's path: the
/// object arrives as JSON and is read once). Errors carry the field path,
/// as [`decode_pod`]'s do; the position in the text is left out (it is
/// relative to the object, not to anything the user sent).
pub fn decode_pod_json(json: &str) -> Result<PodTemplate, (FieldPath, String)> {
    if let Ok(p) = serde_json::from_str::<PodTemplate>(json) {
        return Ok(p);
    }
    let mut track = serde_path_to_error::Track::new();
    let mut inner = serde_json::Deserializer::from_str(json);
    let de = serde_path_to_error::Deserializer::new(&mut inner, &mut track);
    match PodTemplate::deserialize(de).and_then(|p| inner.end().map(|()| p)) {
        Ok(p) => Ok(p),
        Err(e) => {
            let msg = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let msg = msg.strip_suffix(&suffix).unwrap_or(&msg).to_string();
            Err(located(track, msg))
        }
    }
}

/// `path: message` from a path-tracking decode that failed.
fn located(track: serde_path_to_error::Track, msg: String) -> (FieldPath, String) {
    let mut fp = FieldPath::root();
    for seg in track.path().iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => fp.0.push(PathSeg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => fp.0.push(PathSeg::from(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => {
                fp.0.push(PathSeg::from(variant.clone()))
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    let msg = if fp.is_empty() {
        msg
    } else {
        format!("{fp}: {msg}")
    };
    (fp, msg)
}

/// Apply the API server's defaulting where it changes a Pod Security result.
///
/// * `SetDefaults_Volume`: a volume with no source at all becomes an
///   `emptyDir` volume (so it passes `restrictedVolumes`). A volume whose only
///   source is a field podgate does not know is kept as is and reported as an
///   `unknown` volume type, which is stricter than dropping the field.
/// * `SetDefaults_PodSpec`: in a `hostNetwork` pod, every container and init
///   container port without a `hostPort` gets `hostPort = containerPort`, so
///   the cluster reports those host ports too.
pub fn apply_defaults(spec: &mut PodSpec) {
    for v in &mut spec.volumes {
        if v.sources.is_empty() {
            v.sources.push("emptyDir".to_string());
        }
    }
    if spec.host_network {
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut())
        {
            for p in &mut c.ports {
                if p.host_port == 0 {
                    p.host_port = p.container_port;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods(v: Value) -> Vec<FoundPod> {
        find(&v)
            .into_iter()
            .filter_map(|f| match f {
                Found::Pod(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_workload_kind_is_found_at_its_template() {
        let tpl = json!({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let cases = [
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": tpl["spec"].clone()}),
                "",
            ),
            (
                json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "p"}, "template": tpl.clone()}),
                "template",
            ),
            (
                json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "p"}, "spec": {"template": tpl.clone()}}),
                "spec.template",
            ),
            (
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "p"}, "spec": {"jobTemplate": {"spec": {"template": tpl.clone()}}}}),
                "spec.jobTemplate.spec.template",
            ),
        ];
        for (obj, path) in cases {
            let found = pods(obj);
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].pod_path.to_string(), path);
            assert_eq!(found[0].name, "p");
            assert_eq!(found[0].pod.spec.containers[0].name, "c");
        }
    }

    #[test]
    fn other_kinds_and_groups_are_skipped() {
        assert!(
            find(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}))
                .is_empty()
        );
        assert!(
            find(&json!({"apiVersion": "example.com/v1", "kind": "Deployment", "spec": {}}))
                .is_empty()
        );
        assert!(find(&json!("just a string")).is_empty());
    }

    #[test]
    fn lists_and_typed_lists() {
        let v = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": []}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}
        ]});
        let f = find(&v);
        assert_eq!(f.len(), 2);
        match &f[0] {
            Found::Pod(p) => assert_eq!(p.pod_path.to_string(), "items[0]"),
            other => panic!("{other:?}"),
        }
        match &f[1] {
            Found::Namespace(n) => {
                assert_eq!(n.labels["pod-security.kubernetes.io/enforce"], "baseline")
            }
            other => panic!("{other:?}"),
        }
        let typed = json!({"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "x"}, "spec": {}}]});
        assert_eq!(pods(typed)[0].kind, WorkloadKind::Pod);
    }

    #[test]
    fn wrong_types_report_the_field() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "securityContext": {"privileged": "yes"}}]}}}});
        match &find(&v)[0] {
            Found::Error(e) => {
                assert_eq!(
                    e.path.to_string(),
                    "spec.template.spec.containers[0].securityContext.privileged"
                );
                assert!(e.message.contains("invalid type"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn host_network_defaults_host_ports() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"hostNetwork": true, "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]}});
        assert_eq!(pods(v)[0].pod.spec.containers[0].ports[0].host_port, 8080);
    }

    #[test]
    fn workload_without_template_is_an_error() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}});
        assert!(matches!(&find(&v)[0], Found::Error(e) if e.message.contains("no pod template")));
    }
}
