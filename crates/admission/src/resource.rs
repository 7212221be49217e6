//! Which resources carry a pod spec, and where (upstream's
//! `DefaultPodSpecExtractor`).

use std::borrow::Cow;

use podgate_core::model::PodTemplate;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

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

/// What a JSON value is, from its first character (the text is valid JSON:
/// the request was parsed before its objects were kept raw).
fn type_name(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        _ => "number",
    }
}

fn expect_object(raw: &RawValue) -> Result<(), String> {
    match type_name(raw) {
        "object" => Ok(()),
        other => Err(format!("expected an object, got {other}")),
    }
}

/// Decode a whole object (a Pod) into metadata and spec.
pub fn decode_pod(obj: &RawValue) -> Result<PodTemplate, String> {
    expect_object(obj)?;
    podgate_core::workload::decode_pod_json(obj.get()).map_err(|(_, msg)| msg)
}

/// The value of `key` in a JSON object (the last one if repeated, as Go's
/// decoder does), without decoding anything else: other members are only
/// skipped over.
fn member<'a>(obj: &'a RawValue, key: &str) -> Result<Option<&'a RawValue>, String> {
    let mut de = serde_json::Deserializer::from_str(obj.get());
    Member(key).deserialize(&mut de).map_err(|e| e.to_string())
}

struct Member<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Option<&'de RawValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<&'de RawValue>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            if k == self.0 {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The pod template of a workload: `Ok(None)` when a template that Go
/// models as a pointer is absent; an empty template when a struct-valued
/// one is absent (Go's zero value).
pub fn extract_template(kind: WorkloadKind, obj: &RawValue) -> Result<Option<PodTemplate>, String> {
    expect_object(obj)?;
    let mut node = obj;
    let path = kind.template_path();
    for (i, key) in path.iter().enumerate() {
        match member(node, key)? {
            Some(v) if type_name(v) == "object" => node = v,
            None => return absent(kind, i == path.len() - 1),
            Some(v) if type_name(v) == "null" => return absent(kind, i == path.len() - 1),
            Some(other) => {
                return Err(format!(
                    "{}: expected an object, got {}",
                    path[..=i].join("."),
                    type_name(other)
                ))
            }
        }
    }
    podgate_core::workload::decode_pod_json(node.get())
        .map(Some)
        .map_err(|(_, msg)| format!("{}: {msg}", path.join(".")))
}

fn absent(kind: WorkloadKind, last: bool) -> Result<Option<PodTemplate>, String> {
    if last && template_is_optional(kind) {
        Ok(None)
    } else {
        Ok(Some(PodTemplate::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn members_are_found_without_decoding_the_rest() {
        let obj = raw(r#"{"a": [1, {"x": "y"}], "spec": {"k": 1}, "z": null}"#);
        assert_eq!(member(&obj, "spec").unwrap().unwrap().get(), r#"{"k": 1}"#);
        assert!(member(&obj, "nope").unwrap().is_none());
        // Escaped keys compare by their value; a repeated key: the last wins.
        let obj = raw(r#"{"sp\u0065c": 1, "spec": 2}"#);
        assert_eq!(member(&obj, "spec").unwrap().unwrap().get(), "2");
    }

    #[test]
    fn templates_by_kind() {
        let cj = raw(
            r#"{"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": true}}}}}}"#,
        );
        let t = extract_template(WorkloadKind::CronJob, &cj)
            .unwrap()
            .unwrap();
        assert!(t.spec.host_pid);
        // Missing struct-valued template: Go's zero value, an empty pod.
        let d = raw(r#"{"spec": {}}"#);
        assert_eq!(
            extract_template(WorkloadKind::Deployment, &d).unwrap(),
            Some(PodTemplate::default())
        );
        // Missing pointer template (ReplicationController): nothing to check.
        let rc = raw(r#"{"spec": {"template": null}}"#);
        assert_eq!(
            extract_template(WorkloadKind::ReplicationController, &rc).unwrap(),
            None
        );
        let bad = raw(r#"{"spec": {"template": []}}"#);
        assert_eq!(
            extract_template(WorkloadKind::Deployment, &bad).unwrap_err(),
            "spec.template: expected an object, got array"
        );
        let bad = raw(r#"{"spec": {"template": {"spec": {"hostPID": "yes"}}}}"#);
        let e = extract_template(WorkloadKind::Deployment, &bad).unwrap_err();
        assert!(
            e.starts_with("spec.template: spec.hostPID: invalid type: string \"yes\""),
            "{e}"
        );
        assert_eq!(
            decode_pod(&raw("\"pod\"")).unwrap_err(),
            "expected an object, got string"
        );
    }
}
