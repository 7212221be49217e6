//! The check registry: which implementation of which check runs at each
//! policy version, in upstream's order.
//!
//! Upstream builds per-version tables from `init()` registrations; here the
//! list is one explicit table ([`DEFINITIONS`]) validated once when the
//! registry is built (unique IDs, strictly increasing versions, overrides only
//! from restricted to baseline checks).

use std::sync::OnceLock;

use super::checks;
use super::{CheckId, Forbidden, Level, LevelVersion, Violation, MAX_KNOWN_MINOR};
use crate::model::{ObjectMeta, PodSpec};

pub(crate) type CheckFn = fn(&ObjectMeta, &PodSpec) -> Option<Forbidden>;

pub(crate) struct Versioned {
    pub min_minor: u32,
    pub check: CheckFn,
    /// Baseline checks this (restricted) implementation replaces.
    pub overrides: &'static [CheckId],
}

pub(crate) struct Definition {
    pub id: CheckId,
    pub level: Level,
    pub versions: &'static [Versioned],
}

const fn v(min_minor: u32, check: CheckFn) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides: &[],
    }
}

const fn vo(min_minor: u32, check: CheckFn, overrides: &'static [CheckId]) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides,
    }
}

use CheckId as C;
use Level::{Baseline as B, Restricted as R};

/// Every check, with its versions. Order here does not matter: evaluation
/// order is derived from the IDs, as upstream does.
#[rustfmt::skip]
pub(crate) static DEFINITIONS: &[Definition] = &[
    Definition { id: C::AllowPrivilegeEscalation, level: R, versions: &[
        v(8, checks::allow_privilege_escalation::v1_8),
        v(25, checks::allow_privilege_escalation::v1_25),
    ]},
    Definition { id: C::AppArmorProfile, level: B, versions: &[
        v(0, checks::app_armor_profile::v1_0),
    ]},
    Definition { id: C::CapabilitiesBaseline, level: B, versions: &[
        v(0, checks::capabilities_baseline::v1_0),
    ]},
    Definition { id: C::CapabilitiesRestricted, level: R, versions: &[
        vo(22, checks::capabilities_restricted::v1_22, &[C::CapabilitiesBaseline]),
        vo(25, checks::capabilities_restricted::v1_25, &[C::CapabilitiesBaseline]),
    ]},
    Definition { id: C::HostNamespaces, level: B, versions: &[
        v(0, checks::host_namespaces::v1_0),
    ]},
    Definition { id: C::HostPathVolumes, level: B, versions: &[
        v(0, checks::host_path_volumes::v1_0),
    ]},
    Definition { id: C::HostPorts, level: B, versions: &[
        v(0, checks::host_ports::v1_0),
    ]},
    Definition { id: C::HostProbesAndHostLifecycle, level: B, versions: &[
        v(34, checks::host_probes_and_host_lifecycle::v1_34),
    ]},
    Definition { id: C::Privileged, level: B, versions: &[
        v(0, checks::privileged::v1_0),
    ]},
    Definition { id: C::ProcMount, level: B, versions: &[
        v(0, checks::proc_mount::v1_0),
        v(35, checks::proc_mount::v1_35),
    ]},
    Definition { id: C::ProcMountRestricted, level: R, versions: &[
        vo(35, checks::proc_mount::v1_0, &[C::ProcMount]),
    ]},
    Definition { id: C::RestrictedVolumes, level: R, versions: &[
        vo(0, checks::restricted_volumes::v1_0, &[C::HostPathVolumes]),
    ]},
    Definition { id: C::RunAsNonRoot, level: R, versions: &[
        v(0, checks::run_as_non_root::v1_0),
        v(35, checks::run_as_non_root::v1_35),
    ]},
    Definition { id: C::RunAsUser, level: R, versions: &[
        v(23, checks::run_as_user::v1_23),
        v(35, checks::run_as_user::v1_35),
    ]},
    Definition { id: C::SeLinuxOptions, level: B, versions: &[
        v(0, checks::se_linux_options::v1_0),
        v(31, checks::se_linux_options::v1_31),
    ]},
    Definition { id: C::SeccompProfileBaseline, level: B, versions: &[
        v(0, checks::seccomp_profile_baseline::v1_0),
        v(19, checks::seccomp_profile_baseline::v1_19),
    ]},
    Definition { id: C::SeccompProfileRestricted, level: R, versions: &[
        vo(19, checks::seccomp_profile_restricted::v1_19, &[C::SeccompProfileBaseline]),
        vo(25, checks::seccomp_profile_restricted::v1_25, &[C::SeccompProfileBaseline]),
    ]},
    Definition { id: C::Sysctls, level: B, versions: &[
        v(0, checks::sysctls::v1_0),
        v(27, checks::sysctls::v1_27),
        v(29, checks::sysctls::v1_29),
        v(32, checks::sysctls::v1_32),
        v(37, checks::sysctls::v1_37),
    ]},
    Definition { id: C::WindowsHostProcess, level: B, versions: &[
        v(0, checks::windows_host_process::v1_0),
    ]},
];

pub(crate) fn definition(id: CheckId) -> &'static Definition {
    // DEFINITIONS holds every CheckId (checked by a test and by Registry::build).
    DEFINITIONS
        .iter()
        .find(|d| d.id == id)
        .unwrap_or(&DEFINITIONS[0])
}

/// Per-version evaluation tables.
pub struct Registry {
    /// Index: minor version 0..=MAX_KNOWN_MINOR.
    baseline: Vec<Vec<(CheckId, CheckFn)>>,
    restricted: Vec<Vec<(CheckId, CheckFn)>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("multiple checks registered for ID {0}")]
    Duplicate(&'static str),
    #[error("check {0}: empty")]
    Empty(&'static str),
    #[error("check {0}: versions must be strictly increasing")]
    NotIncreasing(&'static str),
    #[error("check {0}: only restricted checks may override, and only baseline checks")]
    BadOverride(&'static str),
    #[error("check {0}: not registered")]
    Missing(&'static str),
    #[error("check {0}: version newer than the newest known version")]
    TooNew(&'static str),
}

impl Registry {
    pub(crate) fn build(defs: &[Definition]) -> Result<Registry, RegistryError> {
        for (i, d) in defs.iter().enumerate() {
            let id = d.id.as_str();
            if defs[..i].iter().any(|o| o.id == d.id) {
                return Err(RegistryError::Duplicate(id));
            }
            if d.versions.is_empty() {
                return Err(RegistryError::Empty(id));
            }
            if d.versions
                .windows(2)
                .any(|w| w[0].min_minor >= w[1].min_minor)
            {
                return Err(RegistryError::NotIncreasing(id));
            }
            if d.versions.iter().any(|v| v.min_minor > MAX_KNOWN_MINOR) {
                return Err(RegistryError::TooNew(id));
            }
            for ver in d.versions {
                for o in ver.overrides {
                    let target = defs.iter().find(|x| x.id == *o);
                    if d.level != Level::Restricted
                        || !matches!(target, Some(t) if t.level == Level::Baseline)
                    {
                        return Err(RegistryError::BadOverride(id));
                    }
                }
            }
        }
        for id in CheckId::ALL {
            if !defs.iter().any(|d| d.id == id) {
                return Err(RegistryError::Missing(id.as_str()));
            }
        }

        // Baseline IDs sorted, then restricted IDs sorted (Go byte order).
        let mut ordered: Vec<&Definition> = defs.iter().collect();
        ordered.sort_by(|a, b| {
            (a.level != Level::Baseline, a.id.as_str())
                .cmp(&(b.level != Level::Baseline, b.id.as_str()))
        });

        let n = MAX_KNOWN_MINOR as usize + 1;
        let mut baseline = vec![Vec::new(); n];
        let mut restricted = vec![Vec::new(); n];
        for minor in 0..=MAX_KNOWN_MINOR {
            let active = |d: &Definition| d.versions.iter().rev().find(|v| v.min_minor <= minor);
            let overridden: Vec<CheckId> = ordered
                .iter()
                .filter(|d| d.level == Level::Restricted)
                .filter_map(|d| active(d))
                .flat_map(|v| v.overrides.iter().copied())
                .collect();
            for d in &ordered {
                let Some(ver) = active(d) else { continue };
                let entry = (d.id, ver.check);
                if d.level == Level::Baseline {
                    baseline[minor as usize].push(entry);
                    if !overridden.contains(&d.id) {
                        restricted[minor as usize].push(entry);
                    }
                } else {
                    restricted[minor as usize].push(entry);
                }
            }
        }
        Ok(Registry {
            baseline,
            restricted,
        })
    }

    /// The checks that run for `lv`, in evaluation order.
    pub fn checks_for(&self, lv: LevelVersion) -> impl Iterator<Item = CheckId> + '_ {
        self.table(lv).iter().map(|(id, _)| *id)
    }

    fn table(&self, lv: LevelVersion) -> &[(CheckId, CheckFn)] {
        let minor = lv.version.effective_minor() as usize;
        match lv.level {
            Level::Privileged => &[],
            Level::Baseline => &self.baseline[minor],
            Level::Restricted => &self.restricted[minor],
        }
    }

    /// Evaluate a pod; an empty result means allowed.
    pub fn evaluate(&self, lv: LevelVersion, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Violation> {
        let mut out = Vec::new();
        for (id, f) in self.table(lv) {
            if let Some(forbidden) = f(meta, spec) {
                out.push(Violation {
                    check: *id,
                    forbidden,
                });
            }
        }
        out
    }
}

/// The process-wide registry of the built-in checks.
pub fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| match Registry::build(DEFINITIONS) {
        Ok(r) => r,
        // The built-in table is validated by unit tests; reaching this is a
        // programming error in this crate, not an input problem.
        Err(e) => panic!("built-in Pod Security check table is invalid: {e}"),
    })
}

/// Evaluate a pod at a level and version with the built-in checks.
pub fn evaluate_pod(lv: LevelVersion, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Violation> {
    registry().evaluate(lv, meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::Version;

    fn ids(level: Level, minor: u32) -> Vec<&'static str> {
        registry()
            .checks_for(LevelVersion::new(level, Version::minor(minor)))
            .map(CheckId::as_str)
            .collect()
    }

    #[test]
    fn builtin_table_is_valid() {
        assert!(Registry::build(DEFINITIONS).is_ok());
    }

    #[test]
    fn order_and_overrides_match_upstream() {
        assert_eq!(
            ids(Level::Baseline, 37),
            [
                "appArmorProfile",
                "capabilities_baseline",
                "hostNamespaces",
                "hostPathVolumes",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "procMount",
                "seLinuxOptions",
                "seccompProfile_baseline",
                "sysctls",
                "windowsHostProcess"
            ]
        );
        assert_eq!(
            ids(Level::Restricted, 37),
            [
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "procMount_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted"
            ]
        );
        // Before v1.19 the baseline seccomp check still runs at restricted,
        // before v1.22 the baseline capabilities check, before v1.8 no APE check.
        let r0 = ids(Level::Restricted, 0);
        assert!(r0.contains(&"seccompProfile_baseline"));
        assert!(r0.contains(&"capabilities_baseline"));
        assert!(!r0.contains(&"allowPrivilegeEscalation"));
        assert!(!r0.contains(&"hostPathVolumes"));
        assert!(ids(Level::Restricted, 8).contains(&"allowPrivilegeEscalation"));
        assert!(!ids(Level::Restricted, 22).contains(&"capabilities_baseline"));
        assert!(ids(Level::Restricted, 34).contains(&"procMount"));
        assert!(!ids(Level::Baseline, 33).contains(&"hostProbesAndHostLifecycle"));
        assert!(ids(Level::Privileged, 37).is_empty());
    }

    #[test]
    fn invalid_tables_are_rejected() {
        static DUP: &[Definition] = &[
            Definition {
                id: C::Privileged,
                level: B,
                versions: &[v(0, checks::privileged::v1_0)],
            },
            Definition {
                id: C::Privileged,
                level: B,
                versions: &[v(0, checks::privileged::v1_0)],
            },
        ];
        assert_eq!(
            Registry::build(DUP).err(),
            Some(RegistryError::Duplicate("privileged"))
        );
        static ORDER: &[Definition] = &[Definition {
            id: C::Privileged,
            level: B,
            versions: &[
                v(3, checks::privileged::v1_0),
                v(3, checks::privileged::v1_0),
            ],
        }];
        assert_eq!(
            Registry::build(ORDER).err(),
            Some(RegistryError::NotIncreasing("privileged"))
        );
        static OVERRIDE: &[Definition] = &[Definition {
            id: C::Privileged,
            level: B,
            versions: &[vo(0, checks::privileged::v1_0, &[C::HostPorts])],
        }];
        assert_eq!(
            Registry::build(OVERRIDE).err(),
            Some(RegistryError::BadOverride("privileged"))
        );
    }
}
