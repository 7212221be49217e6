//! The subset of the Kubernetes Pod API that podgate evaluates.
//!
//! Field names and JSON semantics follow `k8s.io/api/core/v1`: unknown fields
//! are ignored (as the API server's non-strict decoder does) and an explicit
//! `null` means "unset", exactly like a nil pointer or empty slice in Go. A
//! value of the wrong type (a string where a bool belongs) is a decoding
//! error, as it is for the API server.
//!
//! These are plain data types with no behaviour beyond small accessors; checks
//! live in [`crate::pss`] and rules in [`crate::rules`].

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// Deserialize `null` as `T::default()`, as Go does for slices, maps and strings.
fn nd<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub generate_name: String,
    #[serde(default, deserialize_with = "nd")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nd")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nd")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "nd")]
    pub volumes: Vec<Volume>,
    #[serde(default, deserialize_with = "nd")]
    pub init_containers: Vec<Container>,
    #[serde(default, deserialize_with = "nd")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nd")]
    pub ephemeral_containers: Vec<Container>,
    #[serde(default, deserialize_with = "nd")]
    pub restart_policy: String,
    #[serde(default, deserialize_with = "nd")]
    pub service_account_name: String,
    /// Deprecated alias of `serviceAccountName`.
    #[serde(default, deserialize_with = "nd")]
    pub service_account: String,
    #[serde(default)]
    pub automount_service_account_token: Option<bool>,
    #[serde(default, deserialize_with = "nd")]
    pub node_name: String,
    #[serde(default, deserialize_with = "nd")]
    pub host_network: bool,
    #[serde(default, deserialize_with = "nd", rename = "hostPID")]
    pub host_pid: bool,
    #[serde(default, deserialize_with = "nd", rename = "hostIPC")]
    pub host_ipc: bool,
    #[serde(default)]
    pub share_process_namespace: Option<bool>,
    #[serde(default)]
    pub security_context: Option<PodSecurityContext>,
    #[serde(default, deserialize_with = "nd")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    #[serde(default, deserialize_with = "nd")]
    pub priority_class_name: String,
    #[serde(default)]
    pub runtime_class_name: Option<String>,
    #[serde(default)]
    pub os: Option<PodOs>,
    #[serde(default)]
    pub host_users: Option<bool>,
    /// Pod-level requests and limits (KEP-2837, beta since v1.34).
    #[serde(default)]
    pub resources: Option<ResourceRequirements>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodOs {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    #[serde(default)]
    pub se_linux_options: Option<SeLinuxOptions>,
    #[serde(default)]
    pub windows_options: Option<WindowsSecurityContextOptions>,
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub run_as_group: Option<i64>,
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    #[serde(default, deserialize_with = "nd")]
    pub supplemental_groups: Vec<i64>,
    #[serde(default)]
    pub fs_group: Option<i64>,
    #[serde(default, deserialize_with = "nd")]
    pub sysctls: Vec<Sysctl>,
    #[serde(default)]
    pub seccomp_profile: Option<SeccompProfile>,
    #[serde(default)]
    pub app_armor_profile: Option<AppArmorProfile>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    #[serde(default)]
    pub privileged: Option<bool>,
    #[serde(default)]
    pub se_linux_options: Option<SeLinuxOptions>,
    #[serde(default)]
    pub windows_options: Option<WindowsSecurityContextOptions>,
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub run_as_group: Option<i64>,
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    #[serde(default)]
    pub read_only_root_filesystem: Option<bool>,
    #[serde(default)]
    pub allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    pub proc_mount: Option<String>,
    #[serde(default)]
    pub seccomp_profile: Option<SeccompProfile>,
    #[serde(default)]
    pub app_armor_profile: Option<AppArmorProfile>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    #[serde(default, deserialize_with = "nd")]
    pub add: Vec<String>,
    #[serde(default, deserialize_with = "nd")]
    pub drop: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeLinuxOptions {
    #[serde(default, deserialize_with = "nd")]
    pub user: String,
    #[serde(default, deserialize_with = "nd")]
    pub role: String,
    #[serde(default, deserialize_with = "nd", rename = "type")]
    pub type_: String,
    #[serde(default, deserialize_with = "nd")]
    pub level: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WindowsSecurityContextOptions {
    #[serde(default)]
    pub host_process: Option<bool>,
    #[serde(default)]
    pub run_as_user_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeccompProfile {
    #[serde(default, deserialize_with = "nd", rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub localhost_profile: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppArmorProfile {
    #[serde(default, deserialize_with = "nd", rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub localhost_profile: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Sysctl {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub value: String,
}

/// A container, init container or ephemeral container (the API's
/// `EphemeralContainerCommon` has the same fields plus `targetContainerName`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub image: String,
    #[serde(default, deserialize_with = "nd")]
    pub command: Vec<String>,
    #[serde(default, deserialize_with = "nd")]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "nd")]
    pub ports: Vec<ContainerPort>,
    #[serde(default, deserialize_with = "nd")]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, deserialize_with = "nd")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(default)]
    pub liveness_probe: Option<Probe>,
    #[serde(default)]
    pub readiness_probe: Option<Probe>,
    #[serde(default)]
    pub startup_probe: Option<Probe>,
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default, deserialize_with = "nd")]
    pub image_pull_policy: String,
    #[serde(default)]
    pub security_context: Option<SecurityContext>,
    /// `Always` marks a native sidecar among init containers.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Ephemeral containers only.
    #[serde(default)]
    pub target_container_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub host_port: i32,
    #[serde(default, deserialize_with = "nd")]
    pub container_port: i32,
    #[serde(default, deserialize_with = "nd")]
    pub protocol: String,
    #[serde(default, rename = "hostIP", deserialize_with = "nd")]
    pub host_ip: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub value_from: Option<Present>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirements {
    #[serde(default, deserialize_with = "nd")]
    pub limits: BTreeMap<String, Quantity>,
    #[serde(default, deserialize_with = "nd")]
    pub requests: BTreeMap<String, Quantity>,
}

/// A resource quantity as written (`"500m"`, `"1Gi"`, `2`). Parsed by the rules
/// that need a number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Quantity, E> {
                Ok(Quantity(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                // As JSON prints the number (`1.0`, `0.5`).
                Ok(Quantity(
                    serde_json::Number::from_f64(v)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| v.to_string()),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub mount_path: String,
    #[serde(default, deserialize_with = "nd")]
    pub read_only: bool,
    #[serde(default, deserialize_with = "nd")]
    pub sub_path: String,
}

/// A port reference that is either a number or an IANA service name.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpGetAction {
    #[serde(default, deserialize_with = "nd")]
    pub host: String,
    #[serde(default)]
    pub port: Option<IntOrString>,
    #[serde(default, deserialize_with = "nd")]
    pub path: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TcpSocketAction {
    #[serde(default, deserialize_with = "nd")]
    pub host: String,
    #[serde(default)]
    pub port: Option<IntOrString>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GrpcAction {
    #[serde(default)]
    pub port: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default)]
    pub http_get: Option<HttpGetAction>,
    #[serde(default)]
    pub tcp_socket: Option<TcpSocketAction>,
    #[serde(default)]
    pub grpc: Option<GrpcAction>,
    #[serde(default)]
    pub exec: Option<Present>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHandler {
    #[serde(default)]
    pub http_get: Option<HttpGetAction>,
    #[serde(default)]
    pub tcp_socket: Option<TcpSocketAction>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    #[serde(default)]
    pub post_start: Option<LifecycleHandler>,
    #[serde(default)]
    pub pre_stop: Option<LifecycleHandler>,
}

/// A pod volume. Only `hostPath` is modelled in full; for every other source
/// the names of the fields that are set (non-null) are kept, which is all the
/// volume checks need.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    pub host_path: Option<HostPathVolumeSource>,
    /// Names of the non-null source fields (`configMap`, `nfs`, ...), in document order.
    pub sources: Vec<String>,
}

impl Volume {
    pub fn has_source(&self, field: &str) -> bool {
        self.sources.iter().any(|s| s == field)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HostPathVolumeSource {
    #[serde(default, deserialize_with = "nd")]
    pub path: String,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Volume;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a volume")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Volume, A::Error> {
                use serde::de::Error;
                let mut v = Volume::default();
                // Keys are read without building a JSON tree; a source is
                // "set" when its value is not null, whatever it holds.
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*k {
                        "name" => {
                            v.name = map
                                .next_value::<Option<String>>()
                                .map_err(|e| {
                                    A::Error::custom(format!(
                                        "volume name: expected a string ({e})"
                                    ))
                                })?
                                .unwrap_or_default();
                        }
                        "hostPath" => {
                            if let Some(hp) = map.next_value::<Option<HostPathVolumeSource>>()? {
                                v.host_path = Some(hp);
                                v.sources.push(k.into_owned());
                            }
                        }
                        _ => {
                            if map.next_value::<Option<Present>>()?.is_some() {
                                v.sources.push(k.into_owned());
                            }
                        }
                    }
                }
                Ok(v)
            }
        }
        d.deserialize_map(V)
    }
}

/// A field whose presence matters but whose content podgate never reads
/// (`exec` probes, `valueFrom`): skipped without being decoded. `null`
/// decodes as absent (`Option::None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// A Pod's metadata and spec, the unit every check evaluates.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    #[serde(default, deserialize_with = "nd")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nd")]
    pub spec: PodSpec,
}

impl PodSpec {
    /// Every container in the order upstream visits them: init containers,
    /// containers, then ephemeral containers, each with its list name and index.
    pub fn all_containers(&self) -> impl Iterator<Item = (ContainerKind, usize, &Container)> {
        self.init_containers
            .iter()
            .enumerate()
            .map(|(i, c)| (ContainerKind::Init, i, c))
            .chain(
                self.containers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (ContainerKind::Regular, i, c)),
            )
            .chain(
                self.ephemeral_containers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (ContainerKind::Ephemeral, i, c)),
            )
    }

    /// The effective service account name (`serviceAccountName`, else the
    /// deprecated `serviceAccount`, else `default`).
    pub fn effective_service_account(&self) -> &str {
        if !self.service_account_name.is_empty() {
            &self.service_account_name
        } else if !self.service_account.is_empty() {
            &self.service_account
        } else {
            "default"
        }
    }

    pub fn is_windows(&self) -> bool {
        self.os.as_ref().is_some_and(|o| o.name == "windows")
    }
}

/// Which list of the pod spec a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The pod-spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_mean_unset_and_unknown_fields_are_ignored() {
        let spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "a", "image": "nginx", "ports": null, "bogus": 1,
                             "securityContext": null}],
            "volumes": [{"name": "v", "hostPath": null, "emptyDir": {}}],
            "hostPID": true, "hostIPC": null, "hostNetwork": false
        }))
        .unwrap();
        assert_eq!(spec.containers[0].name, "a");
        assert!(spec.containers[0].ports.is_empty());
        assert!(spec.containers[0].security_context.is_none());
        assert!(spec.host_pid);
        assert!(!spec.host_ipc);
        assert_eq!(spec.volumes[0].sources, vec!["emptyDir".to_string()]);
        assert!(spec.volumes[0].host_path.is_none());
    }

    #[test]
    fn wrong_types_are_errors() {
        let r: Result<PodSpec, _> = serde_json::from_value(json!({
            "containers": [{"name": "a", "securityContext": {"privileged": "yes"}}]
        }));
        assert!(r.is_err());
    }

    #[test]
    fn quantities_accept_strings_and_numbers() {
        let r: ResourceRequirements =
            serde_json::from_value(json!({"limits": {"cpu": 1, "memory": "128Mi"}})).unwrap();
        assert_eq!(r.limits["cpu"].0, "1");
        assert_eq!(r.limits["memory"].0, "128Mi");
    }
}
