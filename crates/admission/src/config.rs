//! Admission configuration.
//!
//! The `defaults` and `exemptions` sections are upstream's
//! `PodSecurityConfiguration` (same keys, same defaults, same validation), so
//! an upstream configuration file's body can be used unchanged; `apiVersion`
//! and `kind` are accepted when they name `PodSecurityConfiguration`. The
//! other sections are podgate's additions, each off by default so that the
//! default configuration behaves exactly like the built-in PodSecurity
//! admission controller:
//!
//! ```yaml
//! defaults:                      # upstream PodSecurityConfiguration defaults
//!   enforce: baseline
//!   enforce-version: latest
//!   audit: restricted
//!   audit-version: latest
//!   warn: restricted
//!   warn-version: latest
//! exemptions:
//!   usernames: ["system:serviceaccount:kube-system:replicaset-controller"]
//!   namespaces: [kube-system]
//!   runtimeClasses: [kata]
//! mutation:                      # used by the mutating endpoint only
//!   enabled: true
//!   runAsNonRoot: false          # opt-in: breaks images whose user is root
//!   dropAllCapabilities: nonRoot # nonRoot | always | never
//! images:
//!   mode: warn                   # enforce | warn | audit | off
//!   policy:                      # podgate_core::image::ImagePolicy
//!     allowedRegistries: ["registry.example.com", "*.gcr.io"]
//!     denyLatest: true
//! rules:
//!   mode: audit
//!   minSeverity: medium          # low | medium | high | critical
//!   enabled: null                # null = the default rules; or rule IDs
//! exceptions:
//!   mode: enforce
//!   entries:
//!     - namespace: legacy
//!       name: "billing-*"
//!       checks: [runAsNonRoot, "image:*"]
//!       reason: "TICKET-42: image runs as root until the Q3 rebuild"
//!       expires: "2027-06-30"
//! ```
//!
//! Every value is validated while it is decoded, so an `AdmissionConfig`
//! that exists is valid, whichever way it was built.

use std::collections::BTreeSet;
use std::fmt;

use podgate_core::image::ImagePolicy;
use podgate_core::pss::{CheckId, Level, Version};
pub use podgate_core::rules::Severity;
use serde::{Deserialize, Deserializer};

use crate::policy::{FieldError, Policy, LEVEL_ERROR, VERSION_ERROR};

/// A configuration that could not be used; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{0}")]
    Root(String),
}

/// How strongly one of podgate's additions acts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny pods (workloads: warn, since they are never denied).
    Enforce,
    /// Return warnings to the client.
    Warn,
    /// Record audit annotations only.
    Audit,
    /// Disabled: behaviour is exactly upstream's.
    #[default]
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
            Mode::Off => "off",
        }
    }

    pub fn is_off(self) -> bool {
        self == Mode::Off
    }
}

/// The configuration of [`crate::Admission`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionConfig {
    /// Accepted so an upstream `PodSecurityConfiguration` can be used as is.
    #[serde(default, deserialize_with = "de_api_version")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "de_kind")]
    pub kind: Option<String>,
    #[serde(default)]
    pub defaults: PolicyDefaults,
    #[serde(default)]
    pub exemptions: Exemptions,
    #[serde(default)]
    pub mutation: MutationConfig,
    #[serde(default)]
    pub images: ImageConfig,
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub exceptions: ExceptionsConfig,
}

impl AdmissionConfig {
    /// Decode and validate a configuration from a JSON value (YAML converted
    /// to JSON). Errors name the offending field.
    pub fn from_yaml_value(v: serde_json::Value) -> Result<Self, ConfigError> {
        if v.is_null() {
            return Ok(AdmissionConfig::default());
        }
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            if path == "." {
                ConfigError::Root(message)
            } else {
                ConfigError::Invalid { path, message }
            }
        })
    }
}

fn de_api_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<String>::deserialize(d)?;
    match v.as_deref() {
        None
        | Some("pod-security.admission.config.k8s.io/v1")
        | Some("pod-security.admission.config.k8s.io/v1beta1")
        | Some("pod-security.admission.config.k8s.io/v1alpha1") => Ok(v),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unsupported apiVersion {other:?}: expected pod-security.admission.config.k8s.io/v1"
        ))),
    }
}

fn de_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<String>::deserialize(d)?;
    match v.as_deref() {
        None | Some("PodSecurityConfiguration") => Ok(v),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unsupported kind {other:?}: expected PodSecurityConfiguration"
        ))),
    }
}

fn privileged() -> Level {
    Level::Privileged
}

/// Upstream defaulting: empty means privileged; otherwise `ParseLevel`.
fn de_level<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    if s.is_empty() {
        return Ok(Level::Privileged);
    }
    s.parse::<Level>()
        .map_err(|_| serde::de::Error::custom(FieldError::invalid("", &s, LEVEL_ERROR).body()))
}

/// Upstream defaulting: empty means latest; otherwise `ParseVersion`.
fn de_version<'de, D: Deserializer<'de>>(d: D) -> Result<Version, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    if s.is_empty() {
        return Ok(Version::LATEST);
    }
    s.parse::<Version>()
        .map_err(|_| serde::de::Error::custom(FieldError::invalid("", &s, VERSION_ERROR).body()))
}

/// Upstream `PodSecurityConfiguration.defaults`: the policy of a namespace
/// without Pod Security labels.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDefaults {
    #[serde(default = "privileged", deserialize_with = "de_level")]
    pub enforce: Level,
    #[serde(default, rename = "enforce-version", deserialize_with = "de_version")]
    pub enforce_version: Version,
    #[serde(default = "privileged", deserialize_with = "de_level")]
    pub audit: Level,
    #[serde(default, rename = "audit-version", deserialize_with = "de_version")]
    pub audit_version: Version,
    #[serde(default = "privileged", deserialize_with = "de_level")]
    pub warn: Level,
    #[serde(default, rename = "warn-version", deserialize_with = "de_version")]
    pub warn_version: Version,
}

impl Default for PolicyDefaults {
    fn default() -> Self {
        PolicyDefaults {
            enforce: Level::Privileged,
            enforce_version: Version::LATEST,
            audit: Level::Privileged,
            audit_version: Version::LATEST,
            warn: Level::Privileged,
            warn_version: Version::LATEST,
        }
    }
}

impl PolicyDefaults {
    pub fn policy(&self) -> Policy {
        use podgate_core::pss::LevelVersion;
        Policy {
            enforce: LevelVersion::new(self.enforce, self.enforce_version),
            audit: LevelVersion::new(self.audit, self.audit_version),
            warn: LevelVersion::new(self.warn, self.warn_version),
        }
    }
}

/// Upstream `PodSecurityConfiguration.exemptions`, validated as upstream does
/// (namespace names, runtime class names, non-empty user names, no
/// duplicates).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawExemptions")]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub namespaces: Vec<String>,
    pub runtime_classes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawExemptions {
    #[serde(default)]
    usernames: Option<Vec<String>>,
    #[serde(default)]
    namespaces: Option<Vec<String>>,
    #[serde(default)]
    runtime_classes: Option<Vec<String>>,
}

const DNS_LABEL_ERROR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS_SUBDOMAIN_ERROR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn dns_label_errors(s: &str) -> Vec<&'static str> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters");
    }
    if !is_dns_label(s) {
        errs.push(DNS_LABEL_ERROR);
    }
    errs
}

fn dns_subdomain_errors(s: &str) -> Vec<&'static str> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters");
    }
    if !s.split('.').all(is_dns_label) {
        errs.push(DNS_SUBDOMAIN_ERROR);
    }
    errs
}

fn validate_list(
    field: &str,
    items: &[String],
    check: impl Fn(&str) -> Vec<&'static str>,
    errs: &mut Vec<FieldError>,
) {
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{field}[{i}]");
        let problems = check(item);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(path, item, problems.join(", ")));
            continue;
        }
        if !seen.insert(item.as_str()) {
            errs.push(FieldError::duplicate(path, item));
        }
    }
}

impl TryFrom<RawExemptions> for Exemptions {
    type Error = String;
    fn try_from(raw: RawExemptions) -> Result<Self, String> {
        let ex = Exemptions {
            usernames: raw.usernames.unwrap_or_default(),
            namespaces: raw.namespaces.unwrap_or_default(),
            runtime_classes: raw.runtime_classes.unwrap_or_default(),
        };
        let mut errs = Vec::new();
        validate_list("namespaces", &ex.namespaces, dns_label_errors, &mut errs);
        validate_list(
            "runtimeClasses",
            &ex.runtime_classes,
            dns_subdomain_errors,
            &mut errs,
        );
        validate_list(
            "usernames",
            &ex.usernames,
            |u| {
                if u.is_empty() {
                    vec!["username must not be empty"]
                } else {
                    vec![]
                }
            },
            &mut errs,
        );
        if errs.is_empty() {
            Ok(ex)
        } else {
            Err(crate::policy::aggregate(&errs))
        }
    }
}

/// What the mutating endpoint may add. See [`crate::mutate`] for why each
/// change is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MutationConfig {
    /// Mutate at all (default true: registering the mutating webhook is the
    /// opt-in).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Add pod-level `runAsNonRoot: true` (default false: a container whose
    /// image runs as root, or names its user, then fails to start).
    #[serde(default)]
    pub run_as_non_root: bool,
    /// When to add `capabilities.drop: ["ALL"]`.
    #[serde(default)]
    pub drop_all_capabilities: DropAllCapabilities,
}

fn yes() -> bool {
    true
}

impl Default for MutationConfig {
    fn default() -> Self {
        MutationConfig {
            enabled: true,
            run_as_non_root: false,
            drop_all_capabilities: DropAllCapabilities::NonRoot,
        }
    }
}

/// When the mutating endpoint adds `capabilities.drop: ["ALL"]` to a
/// container without a drop list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DropAllCapabilities {
    /// Only to containers known to run as non-root (`runAsNonRoot: true` or a
    /// non-zero `runAsUser`, at container or pod level): their processes
    /// hold no capabilities anyway, so nothing can break. A root process
    /// (nginx, most database entrypoints) needs CHOWN/SETUID/SETGID/...
    #[default]
    NonRoot,
    /// To every container (breaks images that run as root and need default
    /// capabilities).
    Always,
    Never,
}

/// podgate's image policy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "RawImageConfig")]
pub struct ImageConfig {
    pub mode: Mode,
    /// `podgate_core::image::ImagePolicy`: `allowedRegistries`,
    /// `deniedRegistries`, `allowedImages`, `deniedImages`,
    /// `requireDigest`, `denyLatest`.
    pub policy: ImagePolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImageConfig {
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    policy: ImagePolicy,
}

impl TryFrom<RawImageConfig> for ImageConfig {
    type Error = String;
    fn try_from(raw: RawImageConfig) -> Result<Self, String> {
        raw.policy
            .validate()
            .map_err(|e| format!("policy: {}", e.replace('\n', "; ")))?;
        Ok(ImageConfig {
            mode: raw.mode,
            policy: raw.policy,
        })
    }
}

/// podgate's hardening rules (`podgate_core::rules`).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawRulesConfig")]
pub struct RulesConfig {
    pub mode: Mode,
    /// Findings below this severity are ignored.
    pub min_severity: Severity,
    /// Rule IDs to run; absent or null means the rules enabled by default.
    pub enabled: Option<Vec<String>>,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            mode: Mode::Off,
            min_severity: Severity::Low,
            enabled: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRulesConfig {
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    min_severity: Option<Severity>,
    #[serde(default)]
    enabled: Option<Vec<String>>,
}

impl TryFrom<RawRulesConfig> for RulesConfig {
    type Error = String;
    fn try_from(raw: RawRulesConfig) -> Result<Self, String> {
        for (i, id) in raw.enabled.iter().flatten().enumerate() {
            if podgate_core::rules::rule(id).is_none() {
                return Err(format!("enabled[{i}]: unknown rule {id:?}"));
            }
        }
        Ok(RulesConfig {
            mode: raw.mode,
            min_severity: raw.min_severity.unwrap_or(Severity::Low),
            enabled: raw.enabled,
        })
    }
}

/// Per-workload exceptions.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionsConfig {
    /// `enforce`: exceptions take effect. `warn`/`audit`: decisions are
    /// unchanged and the exceptions that would apply are reported as
    /// warnings / audit annotations (a dry run). `off`: ignored.
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub entries: Vec<Exception>,
}

/// One exception: the listed checks are waived for workloads whose
/// namespace and name match, until the expiry date.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawException")]
pub struct Exception {
    /// Namespace glob (`*` any run of characters, `?` one character).
    pub namespace: String,
    /// Name glob, matched against the object's name, or its
    /// `generateName` when the name is not set yet.
    pub name: String,
    pub checks: Vec<ExceptionTarget>,
    pub reason: String,
    /// Last day (UTC) on which the exception applies.
    pub expires: Option<Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    namespace: String,
    #[serde(default)]
    name: Option<String>,
    checks: Vec<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

impl TryFrom<RawException> for Exception {
    type Error = String;
    fn try_from(raw: RawException) -> Result<Self, String> {
        if raw.namespace.is_empty() {
            return Err("namespace must not be empty (use \"*\" for every namespace)".into());
        }
        if raw.reason.trim().is_empty() {
            return Err("reason must not be empty".into());
        }
        if raw.checks.is_empty() {
            return Err("checks must list at least one check or rule ID".into());
        }
        let checks = raw
            .checks
            .iter()
            .map(|c| ExceptionTarget::parse(c))
            .collect::<Result<Vec<_>, _>>()?;
        let expires = raw.expires.as_deref().map(Date::parse).transpose()?;
        Ok(Exception {
            namespace: raw.namespace,
            name: raw.name.unwrap_or_else(|| "*".into()),
            checks,
            reason: raw.reason,
            expires,
        })
    }
}

/// What an exception waives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionTarget {
    /// `*`: everything.
    All,
    /// A Pod Security check ID (`runAsNonRoot`, `capabilities_restricted`),
    /// optionally written `pss:<id>`.
    Check(CheckId),
    /// `pss:*`: every Pod Security check.
    AllChecks,
    /// `image:<code>`, or `image:*` (`None`).
    Image(Option<String>),
    /// `rule:<id>`, or `rule:*` (`None`).
    Rule(Option<String>),
}

impl ExceptionTarget {
    fn parse(s: &str) -> Result<Self, String> {
        let sub = |rest: &str| -> Result<Option<String>, String> {
            match rest {
                "" => Err(format!("{s:?}: missing ID after the prefix")),
                "*" => Ok(None),
                id => Ok(Some(id.to_string())),
            }
        };
        if s == "*" {
            Ok(ExceptionTarget::All)
        } else if let Some(rest) = s.strip_prefix("image:") {
            Ok(ExceptionTarget::Image(sub(rest)?))
        } else if let Some(rest) = s.strip_prefix("rule:") {
            Ok(ExceptionTarget::Rule(sub(rest)?))
        } else {
            let id = s.strip_prefix("pss:").unwrap_or(s);
            if id == "*" {
                return Ok(ExceptionTarget::AllChecks);
            }
            CheckId::parse(id).map(ExceptionTarget::Check).ok_or_else(|| {
                format!(
                    "unknown check {s:?}: expected a Pod Security check ID (for example runAsNonRoot), \"pss:*\", \"image:<code>\", \"rule:<id>\" or \"*\""
                )
            })
        }
    }

    pub fn covers_check(&self, id: CheckId) -> bool {
        match self {
            ExceptionTarget::All | ExceptionTarget::AllChecks => true,
            ExceptionTarget::Check(c) => *c == id,
            _ => false,
        }
    }

    pub fn covers_image(&self, code: &str) -> bool {
        match self {
            ExceptionTarget::All | ExceptionTarget::Image(None) => true,
            ExceptionTarget::Image(Some(c)) => c == code,
            _ => false,
        }
    }

    pub fn covers_rule(&self, rule: &str) -> bool {
        match self {
            ExceptionTarget::All | ExceptionTarget::Rule(None) => true,
            ExceptionTarget::Rule(Some(r)) => r == rule,
            _ => false,
        }
    }
}

/// A calendar date (proleptic Gregorian, UTC), as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

impl Date {
    /// `YYYY-MM-DD`, strictly.
    pub fn parse(s: &str) -> Result<Date, String> {
        let err = || format!("invalid date {s:?}: expected YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse::<i64>().map_err(|_| err())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err(err());
        }
        Ok(Date {
            days: days_from_civil(y, m, d),
        })
    }

    /// The UTC date of a point in time.
    pub fn from_system_time(t: std::time::SystemTime) -> Date {
        let secs = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64) - 1,
        };
        Date {
            days: secs.div_euclid(86_400),
        }
    }

    fn civil(self) -> (i64, i64, i64) {
        // Howard Hinnant's civil_from_days.
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (if m <= 2 { y + 1 } else { y }, m, d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `*` matches any run of characters (including none), `?` exactly one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_upstream_defaults() {
        let c = AdmissionConfig::from_yaml_value(json!({})).unwrap();
        assert_eq!(c.defaults.policy(), Policy::default());
        assert!(c.images.mode.is_off() && c.rules.mode.is_off() && c.exceptions.mode.is_off());
    }

    #[test]
    fn the_documented_example_is_valid() {
        let c = AdmissionConfig::from_yaml_value(json!({
            "defaults": {"enforce": "baseline", "enforce-version": "latest", "audit": "restricted",
                         "audit-version": "latest", "warn": "restricted", "warn-version": "latest"},
            "exemptions": {"usernames": ["system:serviceaccount:kube-system:replicaset-controller"],
                           "namespaces": ["kube-system"], "runtimeClasses": ["kata"]},
            "mutation": {"enabled": true, "runAsNonRoot": false, "dropAllCapabilities": "nonRoot"},
            "images": {"mode": "warn", "policy": {"allowedRegistries": ["registry.example.com", "*.gcr.io"],
                                                  "denyLatest": true}},
            "rules": {"mode": "audit", "minSeverity": "medium", "enabled": null},
            "exceptions": {"mode": "enforce", "entries": [
                {"namespace": "legacy", "name": "billing-*", "checks": ["runAsNonRoot", "image:*"],
                 "reason": "TICKET-42: image runs as root until the Q3 rebuild", "expires": "2027-06-30"}]}
        }))
        .unwrap();
        assert_eq!(
            c.exceptions.entries[0].expires.map(|d| d.to_string()),
            Some("2027-06-30".into())
        );
        assert_eq!(c.rules.min_severity, Severity::Medium);
    }

    #[test]
    fn upstream_configuration_body_is_accepted() {
        let c = AdmissionConfig::from_yaml_value(json!({
            "apiVersion": "pod-security.admission.config.k8s.io/v1",
            "kind": "PodSecurityConfiguration",
            "defaults": {"enforce": "baseline", "enforce-version": "v1.30", "warn": "restricted",
                         "audit": "", "audit-version": null},
            "exemptions": {"usernames": ["admin"], "runtimeClasses": [], "namespaces": ["kube-system"]}
        }))
        .unwrap();
        assert_eq!(c.defaults.policy().enforce.to_string(), "baseline:v1.30");
        assert_eq!(c.defaults.policy().warn.to_string(), "restricted:latest");
        assert_eq!(c.defaults.policy().audit.to_string(), "privileged:latest");
    }

    #[test]
    fn errors_name_the_field() {
        let e = AdmissionConfig::from_yaml_value(json!({"defaults": {"enforce": "strict"}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "defaults.enforce: Invalid value: \"strict\": must be one of privileged, baseline, restricted"
        );
        let e = AdmissionConfig::from_yaml_value(json!({"defaults": {"warn-version": "1.30"}}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "defaults.warn-version: Invalid value: \"1.30\": must be \"latest\" or \"v1.x\""
        );
        let e = AdmissionConfig::from_yaml_value(
            json!({"exemptions": {"namespaces": ["a", "a", "B"]}}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("exemptions: [namespaces[1]: Duplicate value: \"a\", namespaces[2]: Invalid value: \"B\": a lowercase RFC 1123 label"), "{e}");
        let e = AdmissionConfig::from_yaml_value(json!({"bogus": 1}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `bogus`"), "{e}");
        let e =
            AdmissionConfig::from_yaml_value(json!({"exceptions": {"mode": "enforce", "entries": [
            {"namespace": "a", "checks": ["runAsRoot"], "reason": "x"}]}}))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("exceptions.entries[0]: unknown check \"runAsRoot\""),
            "{e}"
        );
        let e = AdmissionConfig::from_yaml_value(json!({"exceptions": {"entries": [
            {"namespace": "a", "checks": ["*"], "reason": "x", "expires": "2027-02-30"}]}}))
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "exceptions.entries[0]: invalid date \"2027-02-30\": expected YYYY-MM-DD"
        );
        let e = AdmissionConfig::from_yaml_value(json!({"images": {"mode": "block"}}))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("images.mode: unknown variant `block`"), "{e}");
    }

    #[test]
    fn dates() {
        for s in ["1970-01-01", "2000-02-29", "2027-12-31", "1969-12-31"] {
            assert_eq!(Date::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days, 1);
        assert!(Date::parse("2027-1-01").is_err());
        assert!(Date::parse("2100-02-29").is_err());
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 + 5);
        assert_eq!(Date::from_system_time(t).to_string(), "1971-01-01");
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("web-*", "web-"));
        assert!(glob_match("web-*", "web-5d9c7-abcde"));
        assert!(glob_match("w?b-*-x", "web-a-b-x"));
        assert!(!glob_match("web-*", "api-web-1"));
        assert!(!glob_match("web", "web-1"));
        assert!(glob_match("*-db-*", "billing-db-0"));
    }
}
