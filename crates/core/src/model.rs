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
    /// Read for the webhook's namespace dry run, which checks one pod per
    /// controller before the other replicas (upstream `prioritizePods`), and
    /// to match exceptions written for a workload against its Pods
    /// ([`crate::config::pod_controllers`]).
    #[serde(default, deserialize_with = "nd")]
    pub owner_references: Vec<OwnerReference>,
}

impl ObjectMeta {
    /// The managing controller: the first owner reference with
    /// `controller: true` (`metav1.GetControllerOf`; the API server allows
    /// only one).
    pub fn controller(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|r| r.controller == Some(true))
    }

    /// The UID of the managing controller ([`ObjectMeta::controller`]).
    pub fn controller_uid(&self) -> Option<&str> {
        self.controller().map(|r| r.uid.as_str())
    }
}

/// The fields of a `metav1.OwnerReference` podgate reads.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    #[serde(default, deserialize_with = "nd")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub uid: String,
    #[serde(default)]
    pub controller: Option<bool>,
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
#[derive(Clone, Debug, PartialEq)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

/// What `#[serde(untagged)]` accepted (an integer that fits `i64`, else a
/// string) with its error, but without buffering the value and building
/// a discarded error for every string: a named port cost two error
/// messages, formatted and dropped, on every decode.
impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const NO_MATCH: &str = "data did not match any variant of untagged enum IntOrString";
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(NO_MATCH)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(NO_MATCH))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<IntOrString, E> {
                Err(E::custom(NO_MATCH))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<IntOrString, E> {
                Err(E::custom(NO_MATCH))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<IntOrString, E> {
                Err(E::custom(NO_MATCH))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<IntOrString, E> {
                Err(E::custom(NO_MATCH))
            }
            // Arrays and objects are read to their end first, the way the
            // untagged enum buffered them (`deserialize_any` all the way
            // down, so with the same recursion limit), so that the error
            // and its position stay the same.
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<IntOrString, A::Error> {
                Drain.visit_seq(seq)?;
                Err(serde::de::Error::custom(NO_MATCH))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<IntOrString, A::Error> {
                Drain.visit_map(map)?;
                Err(serde::de::Error::custom(NO_MATCH))
            }
        }
        d.deserialize_any(V)
    }
}

/// Any value, read with `deserialize_any` (as serde's buffered `Content`
/// is) and dropped.
struct Drain;

impl<'de> Deserialize<'de> for Drain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Drain)
    }
}

impl<'de> serde::de::Visitor<'de> for Drain {
    type Value = Drain;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_str<E>(self, _: &str) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_unit<E>(self) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_none<E>(self) -> Result<Drain, E> {
        Ok(Drain)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Drain, D::Error> {
        Drain::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Drain, A::Error> {
        while seq.next_element::<Drain>()?.is_some() {}
        Ok(Drain)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Drain, A::Error> {
        while map.next_entry::<Drain, Drain>()?.is_some() {}
        Ok(Drain)
    }
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

    /// The hand-written `IntOrString` decodes and fails exactly like the
    /// `#[serde(untagged)]` enum it replaced, message and position included.
    #[test]
    fn int_or_string_matches_the_untagged_enum() {
        mod untagged {
            // Same name as the real type: it is part of the error message.
            #[derive(Debug, PartialEq, serde::Deserialize)]
            #[serde(untagged)]
            pub enum IntOrString {
                Int(i64),
                String(String),
            }
        }
        use untagged::IntOrString as Untagged;
        #[derive(Debug, Deserialize)]
        struct Old {
            #[serde(default)]
            #[allow(dead_code)]
            port: Option<Untagged>,
        }
        #[derive(Debug, Deserialize)]
        struct New {
            #[serde(default)]
            #[allow(dead_code)]
            port: Option<IntOrString>,
        }
        fn same(a: &Option<Untagged>, b: &Option<IntOrString>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(Untagged::Int(x)), Some(IntOrString::Int(y))) => x == y,
                (Some(Untagged::String(x)), Some(IntOrString::String(y))) => x == y,
                _ => false,
            }
        }
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let values = [
            "8080",
            "0",
            "-1",
            "-0",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "18446744073709551615",
            "-9223372036854775809",
            "1e400",
            "1.5",
            "1e2",
            "1.0",
            r#""http""#,
            r#""""#,
            r#""\u00e9\n""#,
            r#""\ud800""#,
            "true",
            "false",
            "null",
            "[]",
            r#"[1, "a", {"b": null}]"#,
            "{}",
            r#"{"a": 1, "b": [2]}"#,
            r#"{"a": 1e400}"#,
            "[1e400]",
            &deep,
            "tru",
            "[1,]",
        ];
        for v in values {
            let doc = format!(r#"{{"port": {v}, "x": 1}}"#);
            let old = serde_json::from_str::<Old>(&doc);
            let new = serde_json::from_str::<New>(&doc);
            match (&old, &new) {
                (Ok(a), Ok(b)) => assert!(same(&a.port, &b.port), "{v}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{v}"),
                _ => panic!("{v}: {old:?} vs {new:?}"),
            }
            let mut track = serde_path_to_error::Track::new();
            let old_p = Old::deserialize(serde_path_to_error::Deserializer::new(
                &mut serde_json::Deserializer::from_str(&doc),
                &mut track,
            ))
            .map_err(|e| (e.to_string(), track.path().to_string()));
            let mut track = serde_path_to_error::Track::new();
            let new_p = New::deserialize(serde_path_to_error::Deserializer::new(
                &mut serde_json::Deserializer::from_str(&doc),
                &mut track,
            ))
            .map_err(|e| (e.to_string(), track.path().to_string()));
            assert_eq!(old_p.err(), new_p.err(), "{v}");
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&doc) {
                let old = Old::deserialize(&value);
                let new = New::deserialize(&value);
                match (&old, &new) {
                    (Ok(a), Ok(b)) => assert!(same(&a.port, &b.port), "{v}"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{v}"),
                    _ => panic!("{v}: {old:?} vs {new:?}"),
                }
            }
        }
    }

    #[test]
    fn quantities_accept_strings_and_numbers() {
        let r: ResourceRequirements =
            serde_json::from_value(json!({"limits": {"cpu": 1, "memory": "128Mi"}})).unwrap();
        assert_eq!(r.limits["cpu"].0, "1");
        assert_eq!(r.limits["memory"].0, "128Mi");
    }
}
