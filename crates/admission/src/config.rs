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
//!   mode: enforce                # enforce | warn | audit | off
//!   entries:
//!     - namespace: legacy
//!       name: "billing-*"
//!       checks: [runAsNonRoot, "image:*"]
//!       reason: "TICKET-42: image runs as root until the Q3 rebuild"
//!       expires: "2027-06-30"
//! ```
//!
//! `exceptions` entries are the same as in podgate.yaml (`podgate scan`),
//! validated and matched by the same code, `podgate_core::config` (see its
//! "Exceptions" section for every selector and target form):
//! `namespace`/`namespaces`, `name`/`names`, `kinds`, `selector` (matched
//! against the pod template's labels; for a Pod, the pod's), `images`,
//! `checks` (`runAsNonRoot`, `pss:*`, `resources-cpu-limit`, `rule:*`,
//! `image-policy`, `image:*`, `image:<code>`, `*`), `reason`, `expires`.
//! `exceptions` may also be a bare list of entries (podgate.yaml's shape),
//! which means `mode: enforce`; without `exceptions` the mode is `off`.
//! Here `rule:<id>` and `image:<code>` may name IDs podgate does not know
//! (custom checkers report their own); everything else is checked.
//!
//! Every value is validated while it is decoded, so an `AdmissionConfig`
//! that exists is valid, whichever way it was built.

use std::collections::BTreeSet;
use std::fmt;

pub use podgate_core::config::{
    glob_match, pod_controllers, Controller, Date, Exception, ExceptionTarget, FindingId,
    Strictness, Subject,
};
use podgate_core::image::ImagePolicy;
use podgate_core::pss::{Level, Version};
pub use podgate_core::rules::Severity;
use serde::{Deserialize, Deserializer};

use crate::policy::{FieldError, Policy, LEVEL_ERROR, VERSION_ERROR};

/// A configuration that could not be used; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid {
        path: String,
        message: String,
        /// `path` as segments, to look up its line and column in the
        /// loaded document (`podgate_core::load::Positions`).
        segments: Vec<podgate_core::path::PathSeg>,
    },
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

impl ConfigError {
    /// Where the error is in `positions` (those of the document the value
    /// was loaded from): the offending field (for an unknown field, the
    /// field itself), or its nearest existing parent.
    pub fn position(&self, positions: &podgate_core::load::Positions) -> podgate_core::load::Pos {
        match self {
            ConfigError::Root(_) => positions.nearest(&[]),
            ConfigError::Invalid { segments, .. } => positions.nearest(segments),
        }
    }
}

impl AdmissionConfig {
    /// Decode and validate a configuration from a JSON value (YAML converted
    /// to JSON). Errors name the offending field.
    pub fn from_yaml_value(v: serde_json::Value) -> Result<Self, ConfigError> {
        if v.is_null() {
            return Ok(AdmissionConfig::default());
        }
        serde_path_to_error::deserialize(v).map_err(|e| {
            use serde_path_to_error::Segment;
            let path = e.path().to_string();
            let segments = e
                .path()
                .iter()
                .filter_map(|seg| match seg {
                    Segment::Map { key } => Some(podgate_core::path::PathSeg::Key(
                        std::borrow::Cow::Owned(key.clone()),
                    )),
                    Segment::Seq { index } => Some(podgate_core::path::PathSeg::Index(*index)),
                    Segment::Enum { .. } | Segment::Unknown => None,
                })
                .collect();
            let message = e.into_inner().to_string();
            if path == "." {
                ConfigError::Root(message)
            } else {
                ConfigError::Invalid {
                    path,
                    message,
                    segments,
                }
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
    /// non-zero `runAsUser`, at container or pod level) with
    /// `allowPrivilegeEscalation: false` (written or added): their processes
    /// hold no capabilities and cannot gain any, so nothing can break. A root
    /// process (nginx, most database entrypoints) needs
    /// CHOWN/SETUID/SETGID/...
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

/// Per-workload exceptions, in the format `podgate scan` reads from
/// podgate.yaml ([`podgate_core::config`] documents the entry). Either
/// `{mode, entries: [...]}` or a bare list of entries, which means
/// `mode: enforce`.
#[derive(Clone, Debug, Default)]
pub struct ExceptionsConfig {
    /// `enforce`: exceptions take effect. `warn`/`audit`: decisions are
    /// unchanged and the exceptions that would apply are reported as
    /// warnings / audit annotations (a dry run). `off`: ignored. `None`
    /// when the configuration does not say: see [`mode`](Self::mode).
    pub mode: Option<Mode>,
    pub entries: Vec<Exception>,
}

impl ExceptionsConfig {
    /// The mode in effect: as configured, else `off`.
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or(Mode::Off)
    }

    /// Append entries from another source (`podgate serve --exceptions
    /// podgate.yaml`). Their indexes in reports follow the configured
    /// entries. When the configuration set no mode, the mode becomes
    /// `enforce`: asking for the exceptions asks for them to apply.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = Exception>) {
        self.entries.extend(entries);
        self.mode.get_or_insert(Mode::Enforce);
    }
}

/// One entry of `exceptions.entries`: `rule:<id>` and `image:<code>` may
/// name IDs of custom checkers ([`crate::Admission::with_rule_check`],
/// [`crate::Admission::with_image_check`]).
struct Entry(Exception);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Exception::deserialize_with(d, Strictness::AllowCustom).map(Entry)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExceptionsConfig {
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    entries: Vec<Entry>,
}

impl<'de> Deserialize<'de> for ExceptionsConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExceptionsConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of exceptions, or a map with mode and entries")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<ExceptionsConfig, E> {
                Ok(ExceptionsConfig::default())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<ExceptionsConfig, E> {
                Ok(ExceptionsConfig::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<ExceptionsConfig, A::Error> {
                let entries =
                    Vec::<Entry>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(ExceptionsConfig {
                    mode: Some(Mode::Enforce),
                    entries: entries.into_iter().map(|e| e.0).collect(),
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ExceptionsConfig, A::Error> {
                let raw = RawExceptionsConfig::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(ExceptionsConfig {
                    mode: raw.mode,
                    entries: raw.entries.into_iter().map(|e| e.0).collect(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_upstream_defaults() {
        let c = AdmissionConfig::from_yaml_value(json!({})).unwrap();
        assert_eq!(c.defaults.policy(), Policy::default());
        assert!(c.images.mode.is_off() && c.rules.mode.is_off() && c.exceptions.mode().is_off());
        assert_eq!(c.exceptions.mode, None);
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
            e.starts_with("exceptions.entries[0]: checks[0]: unknown check or rule \"runAsRoot\" (did you mean \"runAsNonRoot\"?)"),
            "{e}"
        );
        let e = AdmissionConfig::from_yaml_value(json!({"exceptions": {"entries": [
            {"namespace": "a", "checks": ["*"], "reason": "x", "expires": "2027-02-30"}]}}))
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "exceptions.entries[0]: expires: invalid date \"2027-02-30\": expected YYYY-MM-DD"
        );
        let e = AdmissionConfig::from_yaml_value(json!({"images": {"mode": "block"}}))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("images.mode: unknown variant `block`"), "{e}");
    }

    #[test]
    fn dates() {
        // A re-export of the core's date.
        for s in ["1970-01-01", "2000-02-29", "2027-12-31", "1969-12-31"] {
            assert_eq!(Date::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().unix_days(), 1);
        assert!(Date::parse("2027-1-01").is_none());
        assert!(Date::parse("2100-02-29").is_none());
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 + 5);
        assert_eq!(Date::from_system_time(t).to_string(), "1971-01-01");
    }

    fn exceptions(v: serde_json::Value) -> Result<ExceptionsConfig, String> {
        AdmissionConfig::from_yaml_value(json!({ "exceptions": v }))
            .map(|c| c.exceptions)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn exceptions_take_both_shapes() {
        // podgate.yaml's shape: a bare list, which means enforce.
        let c = exceptions(json!([
            {"reason": "r", "namespaces": ["a", "b-*"], "kinds": ["Deployment"], "names": ["web"],
             "selector": {"app": "web"}, "images": ["ghcr.io/*"],
             "checks": ["pss:*", "rule:*", "image-policy", "resources-cpu-limit"]}
        ]))
        .unwrap();
        assert_eq!(c.mode, Some(Mode::Enforce));
        assert_eq!(c.entries[0].namespaces, vec!["a", "b-*"]);
        assert_eq!(
            c.entries[0].targets[3],
            ExceptionTarget::Rule(Some("resources-cpu-limit".into()))
        );
        // The webhook's shape, with podgate.yaml's keys inside.
        let c = exceptions(json!({"mode": "audit", "entries": [
            {"reason": "r", "namespaces": ["a"], "kinds": ["Pod"], "checks": ["*"]}]}))
        .unwrap();
        assert_eq!(c.mode(), Mode::Audit);
        // Without a mode: off, until entries are appended.
        let mut c =
            exceptions(json!({"entries": [{"namespace": "a", "checks": ["*"], "reason": "r"}]}))
                .unwrap();
        assert_eq!((c.mode, c.mode()), (None, Mode::Off));
        c.extend([]);
        assert_eq!(c.mode(), Mode::Enforce);
        let mut c = exceptions(json!({"mode": "warn"})).unwrap();
        c.extend([]);
        assert_eq!(c.mode(), Mode::Warn);
        assert!(exceptions(serde_json::Value::Null)
            .unwrap()
            .entries
            .is_empty());
        // A missing namespace is every namespace now.
        let c = exceptions(json!([{"checks": ["*"], "reason": "r"}])).unwrap();
        assert!(c.entries[0].namespaces.is_empty());
        // Custom checkers' codes are accepted here.
        let c = exceptions(json!([{"checks": ["image:unpinned", "rule:my-rule"], "reason": "r"}]))
            .unwrap();
        assert!(!c.entries[0].targets[0].is_builtin());
    }

    #[test]
    fn exception_errors_name_the_field() {
        let e = exceptions(
            json!([{"namespace": "a", "namespaces": ["b"], "checks": ["*"], "reason": "r"}]),
        )
        .unwrap_err();
        assert_eq!(e, "exceptions[0]: namespace: namespace and namespaces are both set; use namespace for one glob or namespaces for a list, not both");
        let e = exceptions(json!({"entries": [
            {"namespace": "", "checks": ["pss:runAsNonRot"], "reason": ""}]}))
        .unwrap_err();
        assert_eq!(e, "exceptions.entries[0]: reason: an exception needs a reason; namespace: must not be empty (use \"*\", or leave it out, for every namespace); checks[0]: unknown Pod Security check \"runAsNonRot\" in \"pss:runAsNonRot\" (did you mean \"pss:runAsNonRoot\"?)");
        let e =
            exceptions(json!([{"namespase": "a", "checks": ["*"], "reason": "r"}])).unwrap_err();
        assert!(
            e.starts_with("exceptions[0].namespase: unknown field `namespase`"),
            "{e}"
        );
        let e = exceptions(json!({"mode": "enforce", "entrys": []})).unwrap_err();
        assert!(
            e.starts_with("exceptions.entrys: unknown field `entrys`"),
            "{e}"
        );
        let e = exceptions(json!("all")).unwrap_err();
        assert!(
            e.contains("a list of exceptions, or a map with mode and entries"),
            "{e}"
        );
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
