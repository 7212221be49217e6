//! The Pod Security Standards engine, with the semantics of the upstream
//! `k8s.io/pod-security-admission` library.
//!
//! * A check ([`CheckId`]) has a level and one or more versioned
//!   implementations; an implementation applies from its minimum version until
//!   the next one starts, and the newest applies to every later version and to
//!   `latest`.
//! * Restricted checks may override baseline checks from a given version on
//!   (`restrictedVolumes` replaces `hostPathVolumes`, ...).
//! * Checks are evaluated in a fixed order (baseline IDs sorted, then
//!   restricted IDs sorted), so messages are stable and identical to upstream.
//!
//! Everything here is a pure function of the pod's metadata and spec: no I/O,
//! no logging, no panics.

mod checks;
mod registry;
mod util;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{ObjectMeta, PodSpec};
use crate::path::FieldPath;

pub use registry::{evaluate_pod, registry, Registry};

/// The newest policy minor version any check defines (`v1.37`).
pub const MAX_KNOWN_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("must be one of privileged, baseline, restricted")]
    Level,
    #[error("must be 'latest' or 'v1.<minor>' (for example v1.30)")]
    Version,
}

impl FromStr for Level {
    type Err = ParseError;
    /// Exactly upstream's `api.ParseLevel`: case-sensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(ParseError::Level),
        }
    }
}

/// A policy version: `latest` or `v1.<minor>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version(Option<u64>);

impl Version {
    pub const LATEST: Version = Version(None);

    pub fn minor(minor: u32) -> Version {
        Version(Some(u64::from(minor)))
    }

    pub fn is_latest(self) -> bool {
        self.0.is_none()
    }

    /// The minor version to evaluate with: `latest` and anything newer than
    /// the newest known version clamp to [`MAX_KNOWN_MINOR`].
    pub fn effective_minor(self) -> u32 {
        match self.0.map(u32::try_from) {
            Some(Ok(m)) if m <= MAX_KNOWN_MINOR => m,
            _ => MAX_KNOWN_MINOR,
        }
    }

    /// The minor version as written (`None` for `latest`); up to Go's
    /// `int` maximum, far beyond any known version.
    pub fn minor_number(self) -> Option<u64> {
        self.0
    }
}

impl Default for Version {
    fn default() -> Self {
        Version::LATEST
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("latest"),
            Some(m) => write!(f, "v1.{m}"),
        }
    }
}

impl FromStr for Version {
    type Err = ParseError;
    /// Exactly upstream's `api.ParseVersion`: `latest` or `v1.<minor>` with no
    /// leading zeros (`^v1\.(0|[1-9][0-9]*)$`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Version::LATEST);
        }
        let minor = s.strip_prefix("v1.").ok_or(ParseError::Version)?;
        if minor.is_empty()
            || !minor.bytes().all(|b| b.is_ascii_digit())
            || (minor.len() > 1 && minor.starts_with('0'))
        {
            return Err(ParseError::Version);
        }
        // Go parses into an int (64 bits on the platforms Kubernetes
        // runs on): `v1.9999999999` is a valid (future) version, and only
        // numbers past the int range fail there.
        match minor.parse::<u64>() {
            Ok(m) if m <= i64::MAX as u64 => Ok(Version(Some(m))),
            _ => Err(ParseError::Version),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A level at a version, printed as upstream does: `restricted:latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub fn new(level: Level, version: Version) -> Self {
        LevelVersion { level, version }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// The upstream check IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    AllowPrivilegeEscalation,
    AppArmorProfile,
    CapabilitiesBaseline,
    CapabilitiesRestricted,
    HostNamespaces,
    HostPathVolumes,
    HostPorts,
    HostProbesAndHostLifecycle,
    Privileged,
    ProcMount,
    ProcMountRestricted,
    RestrictedVolumes,
    RunAsNonRoot,
    RunAsUser,
    SeLinuxOptions,
    SeccompProfileBaseline,
    SeccompProfileRestricted,
    Sysctls,
    WindowsHostProcess,
}

impl CheckId {
    pub const ALL: [CheckId; 19] = [
        CheckId::AllowPrivilegeEscalation,
        CheckId::AppArmorProfile,
        CheckId::CapabilitiesBaseline,
        CheckId::CapabilitiesRestricted,
        CheckId::HostNamespaces,
        CheckId::HostPathVolumes,
        CheckId::HostPorts,
        CheckId::HostProbesAndHostLifecycle,
        CheckId::Privileged,
        CheckId::ProcMount,
        CheckId::ProcMountRestricted,
        CheckId::RestrictedVolumes,
        CheckId::RunAsNonRoot,
        CheckId::RunAsUser,
        CheckId::SeLinuxOptions,
        CheckId::SeccompProfileBaseline,
        CheckId::SeccompProfileRestricted,
        CheckId::Sysctls,
        CheckId::WindowsHostProcess,
    ];

    /// The upstream ID string (`capabilities_baseline`, `runAsNonRoot`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            CheckId::AppArmorProfile => "appArmorProfile",
            CheckId::CapabilitiesBaseline => "capabilities_baseline",
            CheckId::CapabilitiesRestricted => "capabilities_restricted",
            CheckId::HostNamespaces => "hostNamespaces",
            CheckId::HostPathVolumes => "hostPathVolumes",
            CheckId::HostPorts => "hostPorts",
            CheckId::HostProbesAndHostLifecycle => "hostProbesAndHostLifecycle",
            CheckId::Privileged => "privileged",
            CheckId::ProcMount => "procMount",
            CheckId::ProcMountRestricted => "procMount_restricted",
            CheckId::RestrictedVolumes => "restrictedVolumes",
            CheckId::RunAsNonRoot => "runAsNonRoot",
            CheckId::RunAsUser => "runAsUser",
            CheckId::SeLinuxOptions => "seLinuxOptions",
            CheckId::SeccompProfileBaseline => "seccompProfile_baseline",
            CheckId::SeccompProfileRestricted => "seccompProfile_restricted",
            CheckId::Sysctls => "sysctls",
            CheckId::WindowsHostProcess => "windowsHostProcess",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The level a check belongs to.
    pub fn level(self) -> Level {
        registry::definition(self).level
    }

    /// A one-line fix hint for people reading a report (podgate's own words,
    /// not upstream's).
    pub fn fix_hint(self) -> &'static str {
        checks::fix_hint(self)
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a check forbids a pod, in upstream's words, plus the fields at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forbidden {
    /// Short reason, e.g. `runAsNonRoot != true`. Also the grouping key.
    pub reason: String,
    /// Detail, e.g. `pod or container "web" must set securityContext.runAsNonRoot=true`.
    pub detail: String,
    /// Paths (relative to the pod object) of the offending fields, or of the
    /// nearest existing parent where a required field is missing. podgate's
    /// addition; upstream reports no positions.
    pub fields: Vec<FieldPath>,
}

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub check: CheckId,
    pub forbidden: Forbidden,
}

/// Upstream's `AggregateCheckResult.ForbiddenDetail()`:
/// `reason (detail), reason, reason (detail)`.
pub fn forbidden_detail(violations: &[Violation]) -> String {
    let mut out = String::new();
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let reason = if v.forbidden.reason.is_empty() {
            "unknown forbidden reason"
        } else {
            &v.forbidden.reason
        };
        out.push_str(reason);
        if !v.forbidden.detail.is_empty() {
            out.push_str(" (");
            out.push_str(&v.forbidden.detail);
            out.push(')');
        }
    }
    out
}

/// The admission denial message: `violates PodSecurity "restricted:latest": ...`.
pub fn violation_message(lv: LevelVersion, violations: &[Violation]) -> String {
    format!(
        "violates PodSecurity \"{lv}\": {}",
        forbidden_detail(violations)
    )
}

/// The admission warning message: `would violate PodSecurity "restricted:latest": ...`.
pub fn warning_message(lv: LevelVersion, violations: &[Violation]) -> String {
    format!(
        "would violate PodSecurity \"{lv}\": {}",
        forbidden_detail(violations)
    )
}

/// Evaluate with metadata and spec borrowed from a [`crate::model::PodTemplate`].
pub fn evaluate(lv: LevelVersion, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Violation> {
    evaluate_pod(lv, meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_parsing_matches_upstream() {
        assert_eq!("latest".parse::<Version>(), Ok(Version::LATEST));
        assert_eq!("v1.0".parse::<Version>(), Ok(Version::minor(0)));
        assert_eq!("v1.37".parse::<Version>(), Ok(Version::minor(37)));
        assert_eq!("v1.99".parse::<Version>(), Ok(Version::minor(99)));
        // Go's strconv.Atoi into a 64-bit int: past u32 is still a version.
        let big = "v1.9999999999".parse::<Version>().map(|v| v.to_string());
        assert_eq!(big.as_deref(), Ok("v1.9999999999"));
        assert_eq!(
            "v1.9223372036854775807"
                .parse::<Version>()
                .map(|v| v.minor_number()),
            Ok(Some(9223372036854775807))
        );
        assert!("v1.9223372036854775808".parse::<Version>().is_err());
        for bad in [
            "", "1.25", "v1", "v1.", "v1.025", "v2.0", "V1.2", "Latest", "v1.2a", "v1.-1",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert_eq!(Version::minor(99).effective_minor(), MAX_KNOWN_MINOR);
        assert_eq!(Version::LATEST.effective_minor(), MAX_KNOWN_MINOR);
        assert_eq!(Version::minor(3).effective_minor(), 3);
    }

    #[test]
    fn level_parsing_is_case_sensitive() {
        assert_eq!("baseline".parse::<Level>(), Ok(Level::Baseline));
        assert!("Baseline".parse::<Level>().is_err());
        assert!("".parse::<Level>().is_err());
    }

    #[test]
    fn check_ids_round_trip() {
        for id in CheckId::ALL {
            assert_eq!(CheckId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn aggregate_message_format() {
        let v = vec![
            Violation {
                check: CheckId::HostNamespaces,
                forbidden: Forbidden {
                    reason: "host namespaces".into(),
                    detail: "hostNetwork=true".into(),
                    fields: vec![],
                },
            },
            Violation {
                check: CheckId::Privileged,
                forbidden: Forbidden {
                    reason: "privileged".into(),
                    detail: String::new(),
                    fields: vec![],
                },
            },
        ];
        assert_eq!(
            violation_message(LevelVersion::new(Level::Baseline, Version::minor(23)), &v),
            "violates PodSecurity \"baseline:v1.23\": host namespaces (hostNetwork=true), privileged"
        );
        assert_eq!(
            warning_message(
                LevelVersion::new(Level::Restricted, Version::LATEST),
                &v[..1]
            ),
            "would violate PodSecurity \"restricted:latest\": host namespaces (hostNetwork=true)"
        );
    }
}
