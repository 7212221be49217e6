//! One module per upstream check, named after its ID. Each opens with the
//! fields it restricts and the values it allows; functions carry the policy
//! version they implement (`v1_25` applies from v1.25 until the next one).

pub(crate) mod allow_privilege_escalation;
pub(crate) mod app_armor_profile;
pub(crate) mod capabilities_baseline;
pub(crate) mod capabilities_restricted;
pub(crate) mod host_namespaces;
pub(crate) mod host_path_volumes;
pub(crate) mod host_ports;
pub(crate) mod host_probes_and_host_lifecycle;
pub(crate) mod privileged;
pub(crate) mod proc_mount;
pub(crate) mod restricted_volumes;
pub(crate) mod run_as_non_root;
pub(crate) mod run_as_user;
pub(crate) mod se_linux_options;
pub(crate) mod seccomp_profile_baseline;
pub(crate) mod seccomp_profile_restricted;
pub(crate) mod sysctls;
pub(crate) mod windows_host_process;

#[cfg(test)]
pub(crate) mod testutil;

use super::CheckId;

/// One-line fix hints shown in reports.
pub(crate) fn fix_hint(id: CheckId) -> &'static str {
    match id {
        CheckId::AllowPrivilegeEscalation => {
            "set securityContext.allowPrivilegeEscalation: false on every container"
        }
        CheckId::AppArmorProfile => {
            "use appArmorProfile.type RuntimeDefault or Localhost; remove Unconfined profiles and annotations"
        }
        CheckId::CapabilitiesBaseline => {
            "remove capabilities outside the baseline set from securityContext.capabilities.add (NET_RAW and SYS_ADMIN are not allowed)"
        }
        CheckId::CapabilitiesRestricted => {
            "set securityContext.capabilities.drop: [\"ALL\"] and add at most NET_BIND_SERVICE"
        }
        CheckId::HostNamespaces => "remove hostNetwork, hostPID and hostIPC (or set them to false)",
        CheckId::HostPathVolumes => "replace hostPath volumes with emptyDir, configMap, secret or a PersistentVolumeClaim",
        CheckId::HostPorts => "remove hostPort (use a Service to expose the port)",
        CheckId::HostProbesAndHostLifecycle => {
            "remove the host field from probes and lifecycle handlers (they must target the pod itself)"
        }
        CheckId::Privileged => "remove securityContext.privileged or set it to false",
        CheckId::ProcMount | CheckId::ProcMountRestricted => {
            "remove securityContext.procMount or set it to Default"
        }
        CheckId::RestrictedVolumes => {
            "use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes"
        }
        CheckId::RunAsNonRoot => "set securityContext.runAsNonRoot: true at pod level (and do not set it to false on containers)",
        CheckId::RunAsUser => "set runAsUser to a non-zero UID (for example 10001), or remove it",
        CheckId::SeLinuxOptions => {
            "remove seLinuxOptions.user and .role; use type container_t, container_init_t, container_kvm_t or container_engine_t"
        }
        CheckId::SeccompProfileBaseline => "remove Unconfined seccomp profiles (use RuntimeDefault or Localhost)",
        CheckId::SeccompProfileRestricted => {
            "set securityContext.seccompProfile.type: RuntimeDefault at pod level"
        }
        CheckId::Sysctls => "remove unsafe sysctls from spec.securityContext.sysctls",
        CheckId::WindowsHostProcess => "remove windowsOptions.hostProcess or set it to false",
    }
}
