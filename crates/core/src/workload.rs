//! Finding the pods in Kubernetes objects.
//!
//! A manifest document may hold a Pod, a workload with a pod template
//! (ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job,
//! CronJob, PodTemplate), a workload custom resource podgate knows
//! ([`BUILTIN_CUSTOM_KINDS`]: Argo Rollouts, OpenShift DeploymentConfig,
//! OpenKruise, KEDA ScaledJob) or that the configuration declares
//! (`workloadKinds`), a Namespace (whose Pod Security labels matter), a
//! `List` of any of these, or something else, which is skipped. This module
//! walks a document's JSON value and yields what it found, with the field path
//! of each object so findings can be mapped to lines.
//!
//! A skipped object of a kind podgate does not know that nevertheless holds
//! a `containers` list where workloads keep one ([`POD_SHAPES`]) is reported
//! as [`Found::Skipped`], so that a scanner never passes a pod it did not
//! look at without saying so. Only a few map lookups are made for it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{PodSpec, PodTemplate};
use crate::path::{FieldPath, PathSeg};

/// Maximum nesting of `List` inside `List` that is followed.
const MAX_LIST_DEPTH: usize = 8;

/// A workload kind podgate evaluates.
///
/// The Kubernetes kinds are variants of their own; workload custom
/// resources ([`CustomKind`]: built in, or declared in the configuration)
/// are [`WorkloadKind::Custom`], which carries the document's real kind
/// name, so reports say `Rollout`, not a generic name.
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
    /// A custom resource with a pod template (never produced by the
    /// webhook, which classifies requests by resource as upstream does).
    Custom(&'static CustomKind),
}

/// A custom resource kind with a pod template, matched by API group and
/// kind (and version, when one is given).
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomKind {
    /// The API group (`argoproj.io`); never empty.
    pub group: &'static str,
    /// Only this version of the group (`v1`); `None`: every version.
    pub version: Option<&'static str>,
    pub kind: &'static str,
    /// Path from the object root to the pod template (`metadata` +
    /// `spec`); empty: the object itself is pod-shaped.
    pub template: &'static [&'static str],
    /// Runs to completion, as a Job does (probe rules do not apply).
    pub batch: bool,
    /// A field next to the template's last segment that may stand in for
    /// the template (Argo Rollouts' `spec.workloadRef`): when it is set and
    /// the template is absent, the object has no pods of its own.
    pub template_ref: Option<&'static str>,
}

impl CustomKind {
    /// Built into podgate ([`BUILTIN_CUSTOM_KINDS`]; otherwise declared in
    /// the configuration).
    pub fn is_builtin(&self) -> bool {
        BUILTIN_CUSTOM_KINDS.iter().any(|b| std::ptr::eq(b, self))
    }

    /// `template` as a dotted path (`spec.template`; `""` for the object).
    pub fn template_path(&self) -> String {
        self.template.join(".")
    }

    /// Whether `api_version` (`group/version`) and `kind` are this kind.
    pub fn matches(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        self.kind == kind && self.group == group && self.version.is_none_or(|v| v == version)
    }

    /// The one `&'static` copy of a kind declared at run time (the
    /// configuration's `workloadKinds`), so that [`WorkloadKind`] stays
    /// `Copy`. Each distinct declaration is allocated once per process and
    /// kept: loading the same configuration again allocates nothing.
    pub fn intern(
        group: &str,
        version: Option<&str>,
        kind: &str,
        template: &[&str],
        batch: bool,
    ) -> &'static CustomKind {
        use std::sync::{Mutex, PoisonError};
        static TABLE: Mutex<Vec<&'static CustomKind>> = Mutex::new(Vec::new());
        let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
        let same = |k: &&&'static CustomKind| {
            k.group == group
                && k.version == version
                && k.kind == kind
                && k.template == template
                && k.batch == batch
        };
        if let Some(k) = table.iter().find(same) {
            return k;
        }
        fn leak(s: &str) -> &'static str {
            Box::leak(s.to_owned().into_boxed_str())
        }
        let template: Vec<&'static str> = template.iter().map(|s| leak(s)).collect();
        let k: &'static CustomKind = Box::leak(Box::new(CustomKind {
            group: leak(group),
            version: version.map(leak),
            kind: leak(kind),
            template: Box::leak(template.into_boxed_slice()),
            batch,
            template_ref: None,
        }));
        table.push(k);
        k
    }
}

/// Workload custom resources podgate knows, each checked against the
/// project's API types (any version of the group matches):
///
/// | group | kind | template | source |
/// | --- | --- | --- | --- |
/// | `argoproj.io` | `Rollout` | `spec.template`, or none with `spec.workloadRef` | argo-rollouts `pkg/apis/rollouts/v1alpha1/types.go` (`RolloutSpec.Template`, `WorkloadRef`) |
/// | `apps.openshift.io` | `DeploymentConfig` | `spec.template` | openshift/api `apps/v1/types.go` (`DeploymentConfigSpec.Template`) |
/// | `apps.kruise.io` | `CloneSet`, `StatefulSet`, `DaemonSet` | `spec.template` | kruise `apis/apps/v1alpha1/{cloneset,daemonset}_types.go`, `apis/apps/v1beta1/statefulset_types.go` |
/// | `keda.sh` | `ScaledJob` (batch) | `spec.jobTargetRef.template` | keda `apis/keda/v1alpha1/scaledjob_types.go` (`JobTargetRef *batchv1.JobSpec`) |
pub static BUILTIN_CUSTOM_KINDS: &[CustomKind] = &[
    CustomKind {
        group: "argoproj.io",
        version: None,
        kind: "Rollout",
        template: &["spec", "template"],
        batch: false,
        template_ref: Some("workloadRef"),
    },
    CustomKind {
        group: "apps.openshift.io",
        version: None,
        kind: "DeploymentConfig",
        template: &["spec", "template"],
        batch: false,
        template_ref: None,
    },
    CustomKind {
        group: "apps.kruise.io",
        version: None,
        kind: "CloneSet",
        template: &["spec", "template"],
        batch: false,
        template_ref: None,
    },
    CustomKind {
        group: "apps.kruise.io",
        version: None,
        kind: "StatefulSet",
        template: &["spec", "template"],
        batch: false,
        template_ref: None,
    },
    CustomKind {
        group: "apps.kruise.io",
        version: None,
        kind: "DaemonSet",
        template: &["spec", "template"],
        batch: false,
        template_ref: None,
    },
    CustomKind {
        group: "keda.sh",
        version: None,
        kind: "ScaledJob",
        template: &["spec", "jobTargetRef", "template"],
        batch: true,
        template_ref: None,
    },
];

/// The built-in custom kind with this group and kind, if any (whatever
/// the version).
pub fn builtin_custom_kind(group: &str, kind: &str) -> Option<&'static CustomKind> {
    BUILTIN_CUSTOM_KINDS
        .iter()
        .find(|k| k.group == group && k.kind == kind)
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
            WorkloadKind::Custom(c) => c.kind,
        }
    }

    /// The kind qualified by its group when it is not a Kubernetes kind
    /// (`StatefulSet.apps.kruise.io`), so that keys built from it (baseline
    /// fingerprints) never mix up OpenKruise's StatefulSet and apps/v1's.
    pub fn qualified(self) -> std::borrow::Cow<'static, str> {
        match self {
            WorkloadKind::Custom(c) => format!("{}.{}", c.kind, c.group).into(),
            k => k.as_str().into(),
        }
    }

    /// Recognise a kind by `apiVersion` group and `kind`: the Kubernetes
    /// kinds and [`BUILTIN_CUSTOM_KINDS`]. Objects of the same kind name in
    /// another API group (a CRD called `Deployment`) are not ours.
    pub fn from_type(api_version: &str, kind: &str) -> Option<WorkloadKind> {
        Self::from_type_with(api_version, kind, &[])
    }

    /// [`WorkloadKind::from_type`], then the `extra` kinds (declared in the
    /// configuration).
    pub fn from_type_with(
        api_version: &str,
        kind: &str,
        extra: &[&'static CustomKind],
    ) -> Option<WorkloadKind> {
        let group = match api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        };
        let k = match kind {
            "Pod" => Some(WorkloadKind::Pod),
            "PodTemplate" => Some(WorkloadKind::PodTemplate),
            "ReplicationController" => Some(WorkloadKind::ReplicationController),
            "ReplicaSet" => Some(WorkloadKind::ReplicaSet),
            "Deployment" => Some(WorkloadKind::Deployment),
            "StatefulSet" => Some(WorkloadKind::StatefulSet),
            "DaemonSet" => Some(WorkloadKind::DaemonSet),
            "Job" => Some(WorkloadKind::Job),
            "CronJob" => Some(WorkloadKind::CronJob),
            _ => None,
        };
        let group_ok = |k: WorkloadKind| match k {
            WorkloadKind::Pod | WorkloadKind::PodTemplate | WorkloadKind::ReplicationController => {
                group.is_empty()
            }
            WorkloadKind::ReplicaSet
            | WorkloadKind::Deployment
            | WorkloadKind::StatefulSet
            | WorkloadKind::DaemonSet => group == "apps" || group == "extensions",
            WorkloadKind::Job | WorkloadKind::CronJob => group == "batch",
            WorkloadKind::Custom(_) => false,
        };
        if let Some(k) = k.filter(|&k| group_ok(k)) {
            return Some(k);
        }
        // Custom resources always have a group with a dot in it.
        if !group.contains('.') {
            return None;
        }
        BUILTIN_CUSTOM_KINDS
            .iter()
            .chain(extra.iter().copied())
            .find(|c| c.matches(api_version, kind))
            .map(WorkloadKind::Custom)
    }

    /// Path from the object root to its pod template (`metadata` + `spec`).
    pub fn template_path(self) -> &'static [&'static str] {
        match self {
            WorkloadKind::Pod => &[],
            WorkloadKind::PodTemplate => &["template"],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template"],
            WorkloadKind::Custom(c) => c.template,
            _ => &["spec", "template"],
        }
    }

    /// Jobs run to completion; probes and some rules do not apply to them.
    pub fn is_batch(self) -> bool {
        match self {
            WorkloadKind::Job | WorkloadKind::CronJob => true,
            WorkloadKind::Custom(c) => c.batch,
            _ => false,
        }
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

/// An object of a kind podgate does not evaluate that looks as if it runs
/// pods: it has a `containers` list where workloads keep theirs.
#[derive(Clone, Debug, PartialEq)]
pub struct SkippedObject {
    /// Path of the object inside the document.
    pub object_path: FieldPath,
    /// Path of the `containers` list that gave it away.
    pub containers_path: FieldPath,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug)]
pub enum Found {
    Pod(Box<FoundPod>),
    Namespace(FoundNamespace),
    Error(ObjectError),
    /// Not evaluated: an unknown kind that seems to carry pods.
    Skipped(SkippedObject),
}

/// Walk one document and collect the pods and namespaces in it (the
/// Kubernetes workload kinds and [`BUILTIN_CUSTOM_KINDS`]). Objects of
/// other kinds are skipped, like `kubectl` would apply them without
/// involving Pod Security; those that seem to carry pods anyway are
/// reported as [`Found::Skipped`].
pub fn find(doc: &Value) -> Vec<Found> {
    find_with(doc, &[])
}

/// [`find`], also recognising the `extra` kinds (the configuration's
/// `workloadKinds`).
pub fn find_with(doc: &Value, extra: &[&'static CustomKind]) -> Vec<Found> {
    let mut out = Vec::new();
    walk(doc, &FieldPath::root(), None, 0, extra, &mut out);
    out
}

/// Where workloads keep their containers. An object of an unknown kind
/// with a list at one of these paths is reported as skipped rather than
/// passed in silence: the Pod spec itself, a Deployment-like template, a
/// CronJob-like job template, KEDA's `jobTargetRef` shape and a
/// PodTemplate-like top-level template.
pub const POD_SHAPES: &[&[&str]] = &[
    &["spec", "containers"],
    &["spec", "template", "spec", "containers"],
    &[
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "spec",
        "containers",
    ],
    &["spec", "jobTargetRef", "template", "spec", "containers"],
    &["template", "spec", "containers"],
];

/// The first of [`POD_SHAPES`] at which `v` has a list. A handful of map
/// lookups; most objects stop at the first or second key.
fn pod_shape(v: &Value) -> Option<&'static [&'static str]> {
    POD_SHAPES.iter().copied().find(|shape| {
        let mut node = v;
        for seg in *shape {
            match node.get(*seg) {
                Some(n) => node = n,
                None => return false,
            }
        }
        node.is_array()
    })
}

fn str_field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// What a `FooList`'s items inherit when they leave out their own type:
/// its `apiVersion` and the kind `Foo`.
#[derive(Clone, Copy)]
struct Inferred<'a> {
    api_version: &'a str,
    kind: &'a str,
}

fn walk(
    v: &Value,
    path: &FieldPath,
    inferred: Option<Inferred<'_>>,
    depth: usize,
    extra: &[&'static CustomKind],
    out: &mut Vec<Found>,
) {
    let Some(obj) = v.as_object() else {
        return;
    };
    let kind = match obj.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k,
        _ => inferred.map(|i| i.kind).unwrap_or(""),
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
        let item = item_kind.map(|k| Inferred {
            api_version,
            kind: k,
        });
        if let Some(items) = obj.get("items").and_then(Value::as_array) {
            for (i, it) in items.iter().enumerate() {
                walk(
                    it,
                    &path.child(PathSeg::from("items")).child(i),
                    item,
                    depth + 1,
                    extra,
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

    // A typed List's item without apiVersion: the Kubernetes kinds by
    // their usual group (typed lists such as PodList omit item type meta),
    // else the list's own apiVersion (RolloutList).
    let (wk, api_version) = match inferred {
        Some(list) if api_version.is_empty() => {
            match WorkloadKind::from_type_with(default_api_version(kind), kind, extra) {
                Some(k) => (Some(k), api_version),
                None => (
                    WorkloadKind::from_type_with(list.api_version, kind, extra),
                    list.api_version,
                ),
            }
        }
        _ => (
            WorkloadKind::from_type_with(api_version, kind, extra),
            api_version,
        ),
    };
    let Some(wk) = wk else {
        if !kind.is_empty() {
            if let Some(shape) = pod_shape(v) {
                out.push(Found::Skipped(SkippedObject {
                    object_path: path.clone(),
                    containers_path: path.join(shape.iter().copied()),
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                    name,
                    namespace,
                }));
            }
        }
        return;
    };

    let mut template = v;
    let segments = wk.template_path();
    for (i, seg) in segments.iter().enumerate() {
        match template.get(*seg) {
            Some(t) => template = t,
            None => {
                // A Rollout that takes its pods from another workload
                // (`spec.workloadRef`) has none of its own to check.
                let by_ref = match wk {
                    WorkloadKind::Custom(c) => c.template_ref,
                    _ => None,
                };
                let last = i + 1 == segments.len();
                if let (true, Some(r)) = (last, by_ref) {
                    if template.get(r).is_some_and(|x| !x.is_null()) {
                        return;
                    }
                }
                // A workload without a template is invalid for the API server;
                // report it rather than silently passing it.
                out.push(Found::Error(ObjectError {
                    path: path.clone(),
                    kind: kind.to_string(),
                    name,
                    message: match by_ref {
                        Some(r) => format!(
                            "{kind} has neither a pod template at {} nor {}.{r}",
                            segments.join("."),
                            segments[..segments.len() - 1].join(".")
                        ),
                        None => format!("{kind} has no pod template at {}", segments.join(".")),
                    },
                }));
                return;
            }
        }
    }
    let pod_path = path.join(segments.iter().copied());
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

    fn pod_spec() -> Value {
        json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]})
    }

    #[test]
    fn builtin_custom_kinds_are_found_at_their_template() {
        let tpl = json!({"metadata": {"labels": {"a": "b"}}, "spec": pod_spec()});
        let cases = [
            (
                "argoproj.io/v1alpha1",
                "Rollout",
                json!({"template": tpl.clone()}),
                "spec.template",
                false,
            ),
            (
                "apps.openshift.io/v1",
                "DeploymentConfig",
                json!({"template": tpl.clone()}),
                "spec.template",
                false,
            ),
            (
                "apps.kruise.io/v1alpha1",
                "CloneSet",
                json!({"template": tpl.clone()}),
                "spec.template",
                false,
            ),
            (
                "apps.kruise.io/v1beta1",
                "StatefulSet",
                json!({"template": tpl.clone()}),
                "spec.template",
                false,
            ),
            (
                "apps.kruise.io/v1alpha1",
                "DaemonSet",
                json!({"template": tpl.clone()}),
                "spec.template",
                false,
            ),
            (
                "keda.sh/v1alpha1",
                "ScaledJob",
                json!({"jobTargetRef": {"template": tpl.clone()}}),
                "spec.jobTargetRef.template",
                true,
            ),
        ];
        for (api_version, kind, spec, path, batch) in cases {
            let found = pods(
                json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "w"}, "spec": spec}),
            );
            assert_eq!(found.len(), 1, "{kind}");
            let p = &found[0];
            // The document's real kind, not a generic name.
            assert_eq!(p.kind.as_str(), kind);
            assert!(matches!(p.kind, WorkloadKind::Custom(_)), "{kind}");
            assert_eq!(p.kind.is_batch(), batch, "{kind}");
            assert_eq!(p.pod_path.to_string(), path);
            assert_eq!(p.api_version, api_version);
            assert_eq!(p.pod.metadata.labels["a"], "b");
            assert_eq!(p.pod.spec.containers[0].name, "c");
        }
    }

    #[test]
    fn custom_kinds_match_by_group_and_kind() {
        let obj = |api: &str, kind: &str| json!({"apiVersion": api, "kind": kind, "metadata": {"name": "w"}, "spec": {"template": {"spec": pod_spec()}}});
        // Another group's Rollout, or Argo's kind in Kruise's group: not ours.
        for (api, kind) in [
            ("example.com/v1", "Rollout"),
            ("apps.kruise.io/v1alpha1", "Rollout"),
            ("argoproj.io/v1alpha1", "rollout"),
            ("v1", "Rollout"),
        ] {
            let f = find(&obj(api, kind));
            assert!(
                f.iter().all(|f| !matches!(f, Found::Pod(_))),
                "{api} {kind}"
            );
        }
        // OpenKruise's StatefulSet is not apps/v1's, and the reverse.
        let kruise = pods(obj("apps.kruise.io/v1beta1", "StatefulSet"));
        assert!(matches!(kruise[0].kind, WorkloadKind::Custom(c) if c.group == "apps.kruise.io"));
        assert_eq!(kruise[0].kind.qualified(), "StatefulSet.apps.kruise.io");
        let apps = pods(obj("apps/v1", "StatefulSet"));
        assert_eq!(apps[0].kind, WorkloadKind::StatefulSet);
        assert_eq!(apps[0].kind.qualified(), "StatefulSet");
    }

    #[test]
    fn a_rollout_with_a_workload_ref_has_no_pods_and_no_error() {
        let v = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"},
            "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}});
        assert!(find(&v).is_empty(), "{:?}", find(&v));
        // Neither a template nor a reference: invalid, reported.
        let v = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}, "spec": {"replicas": 1}});
        match &find(&v)[..] {
            [Found::Error(e)] => assert_eq!(
                e.message,
                "Rollout has neither a pod template at spec.template nor spec.workloadRef"
            ),
            other => panic!("{other:?}"),
        }
        // A template wins over a reference (Argo refuses both; the pods are checked).
        let v = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"},
            "spec": {"workloadRef": {"name": "web"}, "template": {"spec": pod_spec()}}});
        assert_eq!(pods(v).len(), 1);
        // A ScaledJob without jobTargetRef.template is an error, as a Job's would be.
        let v = json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "s"}, "spec": {"jobTargetRef": {}}});
        assert!(
            matches!(&find(&v)[..], [Found::Error(e)] if e.message == "ScaledJob has no pod template at spec.jobTargetRef.template")
        );
    }

    #[test]
    fn declared_kinds_are_found_only_when_passed() {
        let widget = CustomKind::intern(
            "example.com",
            Some("v1"),
            "Widget",
            &["spec", "podTemplate"],
            false,
        );
        let whole = CustomKind::intern("example.com", None, "Runner", &[], true);
        // Interned: the same declaration is the same kind.
        assert!(std::ptr::eq(
            widget,
            CustomKind::intern(
                "example.com",
                Some("v1"),
                "Widget",
                &["spec", "podTemplate"],
                false
            )
        ));
        let w = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"podTemplate": {"spec": pod_spec()}}});
        assert!(find(&w).iter().all(|f| !matches!(f, Found::Pod(_))));
        let found: Vec<_> = find_with(&w, &[widget, whole]);
        let [Found::Pod(p)] = &found[..] else {
            panic!("{found:?}")
        };
        assert_eq!(
            (p.kind.as_str(), p.pod_path.to_string().as_str()),
            ("Widget", "spec.podTemplate")
        );
        // Another version of the group: not declared.
        let w2 = json!({"apiVersion": "example.com/v2", "kind": "Widget", "spec": {"podTemplate": {"spec": pod_spec()}}});
        assert!(find_with(&w2, &[widget])
            .iter()
            .all(|f| !matches!(f, Found::Pod(_))));
        // Template "": the object itself; any version when none was given.
        let r = json!({"apiVersion": "example.com/v7", "kind": "Runner", "metadata": {"name": "r"}, "spec": pod_spec()});
        let found = find_with(&r, &[widget, whole]);
        let [Found::Pod(p)] = &found[..] else {
            panic!("{found:?}")
        };
        assert_eq!(p.pod_path.to_string(), "");
        assert!(p.kind.is_batch());
    }

    #[test]
    fn unknown_pod_shaped_kinds_are_reported_as_skipped() {
        let shapes = [
            (json!({"containers": []}), "spec.containers"),
            (
                json!({"template": {"spec": pod_spec()}}),
                "spec.template.spec.containers",
            ),
            (
                json!({"jobTemplate": {"spec": {"template": {"spec": pod_spec()}}}}),
                "spec.jobTemplate.spec.template.spec.containers",
            ),
            (
                json!({"jobTargetRef": {"template": {"spec": pod_spec()}}}),
                "spec.jobTargetRef.template.spec.containers",
            ),
        ];
        for (spec, path) in shapes {
            let v = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "n"}, "spec": spec});
            match &find(&v)[..] {
                [Found::Skipped(s)] => {
                    assert_eq!(s.containers_path.to_string(), path);
                    assert_eq!(
                        (s.kind.as_str(), s.api_version.as_str()),
                        ("Widget", "example.com/v1")
                    );
                    assert_eq!((s.name.as_str(), s.namespace.as_str()), ("w", "n"));
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        // A Deployment of another group with a template is skipped, not passed in silence.
        let v = json!({"apiVersion": "example.com/v1", "kind": "Deployment", "spec": {"template": {"spec": pod_spec()}}});
        assert!(matches!(&find(&v)[..], [Found::Skipped(_)]));
        let v =
            json!({"apiVersion": "v1", "kind": "PodTemplateish", "template": {"spec": pod_spec()}});
        assert!(
            matches!(&find(&v)[..], [Found::Skipped(s)] if s.containers_path.to_string() == "template.spec.containers")
        );
        // Not pod-shaped, or not a Kubernetes object at all: nothing.
        for v in [
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": []}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"containers": "not a list"}}),
            json!({"spec": {"containers": []}}),
        ] {
            assert!(find(&v).is_empty(), "{v}");
        }
        // Inside a List, at the item's path.
        let v = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"containers": []}}]});
        assert!(
            matches!(&find(&v)[..], [Found::Skipped(s)] if s.object_path.to_string() == "items[0]")
        );
    }

    #[test]
    fn typed_lists_of_custom_kinds_pass_their_api_version_on() {
        let v = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "RolloutList", "items": [
            {"metadata": {"name": "r"}, "spec": {"template": {"spec": pod_spec()}}}]});
        let found = pods(v);
        assert_eq!(found[0].kind.as_str(), "Rollout");
        assert_eq!(found[0].pod_path.to_string(), "items[0].spec.template");
    }

    #[test]
    fn workload_without_template_is_an_error() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}});
        assert!(matches!(&find(&v)[0], Found::Error(e) if e.message.contains("no pod template")));
    }
}
