//! podgate's configuration file (`podgate.yaml`): default level and version,
//! which hardening rules run and how severe they are, the image policy, the
//! failure threshold, and exceptions.
//!
//! ```yaml
//! level: restricted            # default Pod Security level (flags win)
//! version: latest
//! failOn: high                 # findings at or above this severity fail the scan
//! rules:
//!   enable: [image-digest]     # default-off rules to turn on
//!   disable: [probes-liveness]
//!   severity: {resources-cpu-request: low}
//! imagePolicy:
//!   allowedRegistries: ["ghcr.io", "*.example.com"]
//!   denyLatest: true
//! imagePolicySeverity: high
//! inlineSuppressions: true     # honour podgate.io/ignore annotations
//! exceptions:
//!   - reason: node exporter needs the host PID namespace
//!     namespaces: [monitoring]
//!     kinds: [DaemonSet]
//!     names: ["node-exporter*"]
//!     selector: {app: node-exporter}
//!     images: ["quay.io/prometheus/*"]
//!     checks: [hostNamespaces, hostPorts]   # see "Exceptions" below
//!     expires: 2027-06-30
//! workloadKinds:               # custom resources with a pod template (scan only)
//!   - {apiVersion: example.com/v1, kind: Widget, template: spec.podTemplate}
//! ```
//!
//! Unknown keys and bad values are rejected with the file's line and column
//! and, for misspelt keys and IDs, a suggestion. Everything here is pure.
//!
//! # Workload kinds
//!
//! `podgate scan` evaluates the Kubernetes workload kinds and the workload
//! custom resources in [`crate::workload::BUILTIN_CUSTOM_KINDS`] (Argo
//! Rollouts `Rollout`, OpenShift `DeploymentConfig`, OpenKruise `CloneSet`,
//! `StatefulSet`, `DaemonSet`, KEDA `ScaledJob`). `workloadKinds`
//! ([`WorkloadKindSpec`]) declares more; their objects are evaluated
//! exactly like a Deployment's pod template (checks, rules, image policy,
//! exceptions by `kinds`, baselines, annotations):
//!
//! | key | |
//! | --- | --- |
//! | `apiVersion` (required) | `group/version` (that version only) or the group alone (every version); the group of a custom resource always contains a dot |
//! | `kind` (required) | the kind, exactly as in the manifests (`Widget`); not one ending in `List` |
//! | `template` (required) | dotted path to the PodTemplateSpec (`metadata` + `spec`): `spec.template`, `spec.jobTargetRef.template`; `""` means the object itself is pod-shaped (its `spec` is a PodSpec, as a Pod's); no list indexes |
//! | `batch` | `true` for workloads that run to completion, as a Job (probe rules do not apply) |
//!
//! A kind that is built in cannot be declared again, nor can one kind be
//! declared twice for overlapping versions. An object of a declared kind
//! without anything at `template` is an input error, as a Deployment without
//! a template is. The webhook ignores `workloadKinds`: it classifies
//! requests by resource, as the PodSecurity admission controller does.
//!
//! # Exceptions: one format for CI and the cluster
//!
//! `podgate scan` (this file's `exceptions:`) and the webhook
//! (`podgate serve`: the admission configuration's `exceptions.entries`, or a
//! podgate.yaml given with `--exceptions`) read the same entry,
//! [`ExceptionSpec`], validate it with the same code
//! ([`ExceptionSpec::validate`]) into an [`Exception`], and match it the
//! same way ([`Exception::applies_to`], [`Exception::covers`]).
//!
//! Selectors (all optional; a missing or empty one matches everything, an
//! entry applies when every selector given matches):
//!
//! | key | matches |
//! | --- | --- |
//! | `namespaces` (globs), or `namespace` (one glob) | the object's namespace |
//! | `names` (globs), or `name` (one glob) | the workload's name (webhook, for a Pod: the request's name, else the pod's `name`, else its `generateName`); for a Pod, also its controller's (below) |
//! | `kinds` | the kind, case-insensitively (`Pod`, `Deployment`, `CronJob`, ...); for a Pod, also its controller's (below) |
//! | `selector` (labels) | every pair is among the pod template's labels (for a Pod, the pod's); never the workload's own labels, which its Pods do not carry |
//! | `images` (image patterns) | every container image (init and ephemeral containers included): one container with another image and the entry does not apply, so an exception for a trusted image cannot be borrowed by a sidecar next to it. Patterns are those of the image policy's `allowedImages` (`crate::image::policy`): matched against the normalised reference (`nginx:1.27` is `docker.io/library/nginx:1.27`), the part before the first `/` against the registry only, `*` within one path segment and `**` across them, so `quay.io/prometheus/*` matches `quay.io/prometheus/node-exporter:v1` and `nginx*` is refused (it could be met by `nginx.evil.com/x`) |
//!
//! Globs: `*` is any run of characters, `?` one character. Setting both
//! `namespace` and `namespaces` (or `name` and `names`) is an error.
//!
//! `kinds` and `names` match one (kind, name) together: the subject's own,
//! or, for a Pod, one of the workloads it belongs to ([`pod_controllers`]:
//! its controller from `ownerReferences`, and the Deployment or CronJob
//! behind a ReplicaSet or Job). So `kinds: [DaemonSet], names:
//! [node-exporter]` matches the DaemonSet in a scan and its Pods at
//! admission, while `kinds: [Pod], names: [node-exporter]` matches neither
//! of them, only a Pod named `node-exporter`. A Pod writes its own
//! ownerReferences, labels and name: `kinds`, `names` and `selector` say
//! which pods an exception is for, the namespaces (and `images`) who can
//! use it. An entry without `namespaces` applies in every namespace.
//!
//! `checks` ([`ExceptionTarget`]), at least one:
//!
//! | form | waives |
//! | --- | --- |
//! | `runAsNonRoot`, `pss:runAsNonRoot` | one Pod Security check |
//! | `pss:*` | every Pod Security check |
//! | `resources-cpu-limit`, `rule:resources-cpu-limit` | one hardening rule |
//! | `rule:*` | every hardening rule |
//! | `image-policy`, `image:*` | every image-policy finding |
//! | `image:LatestTag` | one image-policy finding code ([`crate::image::ImageViolationCode`]) |
//! | `*` | everything |
//!
//! `reason` is required; `expires` (`YYYY-MM-DD`, optional) is the last day,
//! in UTC, on which the exception applies.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::image::{ImagePolicy, ImageViolationCode};
use crate::load::{load, Limits, Positions};
use crate::model::ObjectMeta;
use crate::path::{FieldPath, PathSeg};
use crate::pss::{CheckId, Level, Version};
use crate::rules::{self, Severity};
use crate::workload::CustomKind;

/// The inline suppression annotation: `"runAsNonRoot: reason; resources-cpu-limit: reason"`.
pub const IGNORE_ANNOTATION: &str = "podgate.io/ignore";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    pub level: Option<Level>,
    pub version: Option<Version>,
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub rules: RulesConfig,
    pub image_policy: Option<ImagePolicy>,
    pub image_policy_severity: Option<Severity>,
    pub inline_suppressions: Option<bool>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    /// Custom resources with a pod template that `podgate scan` evaluates
    /// like the built-in workloads, as written.
    #[serde(default)]
    pub workload_kinds: Vec<WorkloadKindSpec>,
    /// `workload_kinds`, validated (filled by [`Config::parse`]).
    #[serde(skip)]
    pub custom_kinds: Vec<&'static CustomKind>,
}

/// One `workloadKinds` entry: a custom resource kind whose objects carry a
/// pod template at `template`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadKindSpec {
    /// `group/version` (`example.com/v1`: that version only) or the group
    /// alone (`example.com`: every version).
    pub api_version: String,
    pub kind: String,
    /// Dotted path to the PodTemplateSpec (`metadata` + `spec`), e.g.
    /// `spec.template`; `""`: the object itself is pod-shaped (its `spec`
    /// is a PodSpec, as a Pod's is). Required, so that a forgotten key is
    /// not read as "the object itself".
    pub template: String,
    /// The workload runs to completion, as a Job does (probe rules are not
    /// applied).
    #[serde(default)]
    pub batch: bool,
}

impl WorkloadKindSpec {
    /// Check the entry; every problem with the key it concerns.
    pub fn validate(&self) -> Result<&'static CustomKind, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let (group, version) = match self.api_version.split_once('/') {
            Some((g, v)) => (g, Some(v)),
            None => (self.api_version.as_str(), None),
        };
        let dns = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        };
        if self.api_version.is_empty() {
            errors.push((
                "apiVersion",
                "must not be empty: write the API group (example.com) or group/version (example.com/v1)".to_string(),
            ));
        } else if !dns(group) || !group.contains('.') {
            errors.push((
                "apiVersion",
                format!(
                    "{:?} does not name a custom resource's API group: write the group (a domain such as example.com) or group/version (example.com/v1); the Kubernetes kinds are built in",
                    self.api_version
                ),
            ));
        } else if let Some(v) = version {
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                errors.push((
                    "apiVersion",
                    format!(
                        "{:?}: the version after \"/\" must be a version such as v1 or v1beta1",
                        self.api_version
                    ),
                ));
            }
        }
        if self.kind.is_empty() {
            errors.push(("kind", "must not be empty".to_string()));
        } else if !self.kind.starts_with(|c: char| c.is_ascii_uppercase())
            || !self.kind.chars().all(|c| c.is_ascii_alphanumeric())
        {
            errors.push((
                "kind",
                format!(
                    "{:?} is not a kind name (CamelCase letters and digits, e.g. Widget)",
                    self.kind
                ),
            ));
        } else if self.kind.ends_with("List") {
            errors.push((
                "kind",
                format!(
                    "{:?}: kinds ending in List are read as lists of objects",
                    self.kind
                ),
            ));
        }
        let template: Vec<&str> = if self.template.is_empty() {
            Vec::new()
        } else {
            self.template.split('.').collect()
        };
        let segment_ok = |s: &&str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !template.iter().all(segment_ok) {
            errors.push((
                "template",
                format!(
                    "{:?} is not a field path: write keys separated by dots (spec.template), or \"\" for the object itself; list indexes are not supported",
                    self.template
                ),
            ));
        }
        if errors.is_empty() {
            if let Some(b) = crate::workload::builtin_custom_kind(group, &self.kind) {
                errors.push((
                    "kind",
                    format!(
                        "{} in {} is built in (pod template at {}); remove this entry",
                        b.kind,
                        b.group,
                        b.template_path()
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CustomKind::intern(
            group, version, &self.kind, &template, self.batch,
        ))
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RulesConfig {
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

/// One exception as written: the union of the two released shapes
/// (podgate.yaml's `exceptions[]` and the webhook's `exceptions.entries[]`).
/// [`ExceptionSpec::validate`] checks it and makes an [`Exception`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExceptionSpec {
    pub reason: String,
    /// One namespace glob: `namespace: x` is `namespaces: [x]`.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// One name glob: `name: x` is `names: [x]`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub names: Option<Vec<String>>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub images: Vec<String>,
    pub checks: Vec<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

/// A validated exception. Empty selector lists match everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub reason: String,
    /// Namespace globs (`namespace` and `namespaces` merged).
    pub namespaces: Vec<String>,
    /// Kind names, compared case-insensitively.
    pub kinds: Vec<String>,
    /// Name globs (`name` and `names` merged).
    pub names: Vec<String>,
    /// Labels that must all be present.
    pub selector: BTreeMap<String, String>,
    /// Image globs; any container image may match.
    pub images: Vec<String>,
    /// `checks` as written (for reports).
    pub checks: Vec<String>,
    /// `checks`, parsed, in the same order.
    pub targets: Vec<ExceptionTarget>,
    /// Last day (UTC) on which the exception applies.
    pub expires: Option<Date>,
}

/// Which IDs `rule:<id>` and `image:<code>` may name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strictness {
    /// Only podgate's rules and image-policy codes; anything else is an
    /// error with a suggestion (podgate.yaml, `podgate serve --exceptions`).
    #[default]
    Builtin,
    /// Also IDs podgate does not know: an admission engine may run custom
    /// image and rule checks with their own codes, and the webhook's
    /// configuration has always accepted them. Bare IDs are still checked.
    AllowCustom,
}

/// What an exception waives (one `checks` entry).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionTarget {
    /// `*`: everything.
    All,
    /// A Pod Security check ID (`runAsNonRoot`, `capabilities_restricted`),
    /// optionally written `pss:<id>`.
    Check(CheckId),
    /// `pss:*`: every Pod Security check.
    AllChecks,
    /// `image:<code>`, or `image:*` / `image-policy` (`None`).
    Image(Option<String>),
    /// A rule ID, optionally written `rule:<id>`, or `rule:*` (`None`).
    Rule(Option<String>),
}

/// A finding an exception may waive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingId<'a> {
    /// A Pod Security violation.
    Check(CheckId),
    /// A hardening-rule finding, by rule ID.
    Rule(&'a str),
    /// An image-policy finding, by code (`LatestTag`, ...).
    Image(&'a str),
}

/// A problem in one exception; `path` is relative to the entry
/// (`checks[0]`, `expires`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionError {
    pub path: FieldPath,
    pub message: String,
}

impl std::fmt::Display for ExceptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

const TARGET_FORMS: &str = "expected a Pod Security check ID (runAsNonRoot), a rule ID (resources-cpu-limit), \"image-policy\", \"pss:*\", \"rule:*\", \"image:*\", \"image:<code>\" or \"*\"";

impl ExceptionTarget {
    /// Parse one `checks` entry. Errors name the entry and, for a likely
    /// typo, suggest the intended ID.
    pub fn parse(s: &str, ids: Strictness) -> Result<ExceptionTarget, String> {
        if s == "*" {
            return Ok(ExceptionTarget::All);
        }
        if s == "image-policy" {
            return Ok(ExceptionTarget::Image(None));
        }
        if let Some((prefix, id)) = s.split_once(':') {
            if matches!(prefix, "pss" | "rule" | "image") {
                return Self::parse_prefixed(s, prefix, id, ids);
            }
        }
        if let Some(c) = CheckId::parse(s) {
            return Ok(ExceptionTarget::Check(c));
        }
        if rules::rule(s).is_some() {
            return Ok(ExceptionTarget::Rule(Some(s.to_string())));
        }
        let candidates = CheckId::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(rules::catalogue().iter().map(|r| r.id))
            .chain(["image-policy"]);
        Err(format!(
            "unknown check or rule {s:?}{}; {TARGET_FORMS}",
            hint(s, "", candidates)
        ))
    }

    fn parse_prefixed(s: &str, prefix: &str, id: &str, ids: Strictness) -> Result<Self, String> {
        if id.is_empty() {
            return Err(format!(
                "{s:?} names nothing: write {prefix}:<id>, or {prefix}:* for all"
            ));
        }
        let all = id == "*";
        let custom = ids == Strictness::AllowCustom;
        match prefix {
            "pss" if all => Ok(ExceptionTarget::AllChecks),
            "pss" => CheckId::parse(id)
                .map(ExceptionTarget::Check)
                .ok_or_else(|| {
                    let candidates = CheckId::ALL.iter().map(|c| c.as_str());
                    format!(
                        "unknown Pod Security check {id:?} in {s:?}{}",
                        hint(id, "pss:", candidates)
                    )
                }),
            "rule" if all => Ok(ExceptionTarget::Rule(None)),
            "rule" if custom || rules::rule(id).is_some() => {
                Ok(ExceptionTarget::Rule(Some(id.to_string())))
            }
            "rule" => {
                let candidates = rules::catalogue().iter().map(|r| r.id);
                Err(format!(
                    "unknown rule {id:?} in {s:?}{}",
                    hint(id, "rule:", candidates)
                ))
            }
            _ if all => Ok(ExceptionTarget::Image(None)),
            _ if custom || ImageViolationCode::parse(id).is_some() => {
                Ok(ExceptionTarget::Image(Some(id.to_string())))
            }
            _ => {
                let codes = ImageViolationCode::ALL.iter().map(|c| c.as_str());
                let known = codes.clone().collect::<Vec<_>>().join(", ");
                Err(format!(
                    "unknown image-policy code {id:?} in {s:?}{}; the codes are {known}",
                    hint(id, "image:", codes)
                ))
            }
        }
    }

    /// Whether this target waives `finding`.
    pub fn covers(&self, finding: FindingId<'_>) -> bool {
        match (self, finding) {
            (ExceptionTarget::All, _) => true,
            (ExceptionTarget::AllChecks, FindingId::Check(_)) => true,
            (ExceptionTarget::Check(c), FindingId::Check(id)) => *c == id,
            (ExceptionTarget::Rule(None), FindingId::Rule(_)) => true,
            (ExceptionTarget::Rule(Some(r)), FindingId::Rule(id)) => r == id,
            (ExceptionTarget::Image(None), FindingId::Image(_)) => true,
            (ExceptionTarget::Image(Some(c)), FindingId::Image(code)) => c == code,
            _ => false,
        }
    }

    /// False for `rule:<id>` and `image:<code>` naming something podgate
    /// itself never reports (accepted with [`Strictness::AllowCustom`]).
    pub fn is_builtin(&self) -> bool {
        match self {
            ExceptionTarget::Rule(Some(r)) => rules::rule(r).is_some(),
            ExceptionTarget::Image(Some(c)) => ImageViolationCode::parse(c).is_some(),
            _ => true,
        }
    }
}

impl ExceptionSpec {
    /// Check the entry and build the [`Exception`]; every problem is
    /// returned, each with its path inside the entry.
    pub fn validate(self, ids: Strictness) -> Result<Exception, Vec<ExceptionError>> {
        let mut errors = Vec::new();
        let at = |key: &'static str| FieldPath::root().child(key);
        if self.reason.trim().is_empty() {
            errors.push(ExceptionError {
                path: at("reason"),
                message: "an exception needs a reason".into(),
            });
        }
        let mut one_or_many = |one: Option<String>,
                               many: Option<Vec<String>>,
                               key: &'static str,
                               keys: &'static str| {
            match (one, many) {
                (Some(_), Some(list)) => {
                    errors.push(ExceptionError {
                        path: at(key),
                        message: format!(
                            "{key} and {keys} are both set; use {key} for one glob or {keys} for a list, not both"
                        ),
                    });
                    list
                }
                (Some(one), None) => vec![one],
                (None, many) => many.unwrap_or_default(),
            }
        };
        let empty_namespace = self.namespace.as_deref() == Some("");
        let namespaces = one_or_many(self.namespace, self.namespaces, "namespace", "namespaces");
        let names = one_or_many(self.name, self.names, "name", "names");
        if empty_namespace {
            errors.push(ExceptionError {
                path: at("namespace"),
                message: "must not be empty (use \"*\", or leave it out, for every namespace)"
                    .into(),
            });
        }
        let mut targets = Vec::with_capacity(self.checks.len());
        if self.checks.is_empty() {
            errors.push(ExceptionError {
                path: at("checks"),
                message:
                    "list what this exception waives: check or rule IDs, image-policy, or \"*\""
                        .into(),
            });
        }
        for (j, c) in self.checks.iter().enumerate() {
            match ExceptionTarget::parse(c, ids) {
                Ok(t) => targets.push(t),
                Err(message) => errors.push(ExceptionError {
                    path: at("checks").child(j),
                    message,
                }),
            }
        }
        for (j, p) in self.images.iter().enumerate() {
            if let Err(message) = crate::image::policy::check_image_pattern(p) {
                errors.push(ExceptionError {
                    path: at("images").child(j),
                    message,
                });
            }
        }
        let expires = match self.expires.as_deref().map(str::parse::<Date>).transpose() {
            Ok(d) => d,
            Err(message) => {
                errors.push(ExceptionError {
                    path: at("expires"),
                    message,
                });
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Exception {
            reason: self.reason,
            namespaces,
            kinds: self.kinds,
            names,
            selector: self.selector,
            images: self.images,
            checks: self.checks,
            targets,
            expires,
        })
    }
}

impl Exception {
    /// Decode an [`ExceptionSpec`] and validate it; errors are one message
    /// (`checks[0]: ...; expires: ...`) at the entry's path.
    pub fn deserialize_with<'de, D: serde::Deserializer<'de>>(
        d: D,
        ids: Strictness,
    ) -> Result<Exception, D::Error> {
        ExceptionSpec::deserialize(d)?
            .validate(ids)
            .map_err(|errs| {
                let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
                serde::de::Error::custom(msgs.join("; "))
            })
    }

    /// Not expired on `today` (the expiry day itself still counts).
    pub fn is_active(&self, today: Date) -> bool {
        self.expires.is_none_or(|d| today <= d)
    }

    /// Whether every selector of the entry matches `subject`.
    pub fn applies_to(&self, subject: &Subject<'_>) -> bool {
        (self.namespaces.is_empty()
            || self
                .namespaces
                .iter()
                .any(|p| glob_match(p, subject.namespace)))
            && (self.is_named(subject.kind, subject.name)
                || subject
                    .controllers
                    .iter()
                    .any(|c| self.is_named(c.kind, c.name)))
            && self
                .selector
                .iter()
                .all(|(k, v)| subject.labels.get(k) == Some(v))
            && (self.images.is_empty()
                || (!subject.images.is_empty()
                    && subject
                        .images
                        .iter()
                        .all(|img| crate::image::policy::matches_image_pattern(&self.images, img))))
    }

    /// Whether `kinds` and `names` both match one (kind, name): the
    /// subject's own, or one of its controllers' (never the kind of one and
    /// the name of another).
    fn is_named(&self, kind: &str, name: &str) -> bool {
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
            && (self.names.is_empty() || self.names.iter().any(|p| glob_match(p, name)))
    }

    /// Whether one of the entry's targets waives `finding`.
    pub fn covers(&self, finding: FindingId<'_>) -> bool {
        self.targets.iter().any(|t| t.covers(finding))
    }
}

impl<'de> Deserialize<'de> for Exception {
    /// With [`Strictness::Builtin`].
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Exception::deserialize_with(d, Strictness::Builtin)
    }
}

/// A problem in the configuration file, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A civil date (proleptic Gregorian, UTC), for exception expiry. Orders
/// chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Parse `YYYY-MM-DD`, strictly: four-digit year, two-digit month and
    /// day, and a day that exists (`2027-02-30` is not a date).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let date = Date {
            year: i32::try_from(num(0..4)?).ok()?,
            month: num(5..7)?,
            day: num(8..10)?,
        };
        (date.day >= 1 && date.day <= days_in_month(date.year, date.month)).then_some(date)
    }

    /// The civil date `days` days after 1970-01-01, by Howard Hinnant's
    /// algorithm.
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn unix_days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The UTC date of a point in time.
    pub fn from_system_time(t: std::time::SystemTime) -> Date {
        let secs = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX) - 1,
        };
        Date::from_unix_days(secs.div_euclid(86_400))
    }

    /// Today (UTC).
    pub fn today() -> Date {
        Date::from_system_time(std::time::SystemTime::now())
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    /// [`Date::parse`], with an error message.
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse(s).ok_or_else(|| format!("invalid date {s:?}: expected YYYY-MM-DD"))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lw = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lw, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn did_you_mean(word: &str, candidates: Vec<&'static str>) -> String {
    hint(word, "", candidates)
}

/// ` (did you mean "<prefix><closest>"?)`, or nothing.
fn hint<'a>(word: &str, prefix: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(word, candidates) {
        Some(s) => format!(" (did you mean \"{prefix}{s}\"?)"),
        None => String::new(),
    }
}

impl Config {
    /// Parse and validate a configuration file.
    pub fn parse(bytes: &[u8]) -> Result<Config, Vec<ConfigError>> {
        let docs = load(bytes, &Limits::default());
        let mut docs = docs.into_iter();
        let doc = match docs.next() {
            None => return Ok(Config::default()),
            Some(Err(e)) => {
                return Err(vec![ConfigError {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                }])
            }
            Some(Ok(d)) => d,
        };
        if docs.next().is_some() {
            return Err(vec![ConfigError {
                line: 1,
                column: 1,
                message: "the configuration must be a single YAML document".into(),
            }]);
        }
        if doc.value.is_null() {
            return Ok(Config::default());
        }
        let at = |path: &[PathSeg]| doc.positions.nearest(path);
        let mut track = serde_path_to_error::Track::new();
        let de = serde_path_to_error::Deserializer::new(&doc.value, &mut track);
        let config = match Config::deserialize(de) {
            Ok(c) => c,
            Err(e) => {
                let mut fp = FieldPath::root();
                for seg in track.path().iter() {
                    match seg {
                        serde_path_to_error::Segment::Seq { index } => {
                            fp.0.push(PathSeg::Index(*index))
                        }
                        serde_path_to_error::Segment::Map { key } => {
                            fp.0.push(PathSeg::from(key.clone()))
                        }
                        _ => {}
                    }
                }
                // An exception entry that decoded but failed validation:
                // report every problem of every entry at its own line.
                if let [PathSeg::Key(k), PathSeg::Index(i)] = fp.segments() {
                    if k == "exceptions"
                        && ExceptionSpec::deserialize(&doc.value["exceptions"][*i]).is_ok()
                    {
                        let precise = exception_errors(&doc.value, &doc.positions);
                        if !precise.is_empty() {
                            return Err(precise);
                        }
                    }
                }
                let raw = e.to_string();
                let mut msg = raw.clone();
                // serde: "unknown field `x`, expected one of `a`, `b`"
                if let Some(rest) = raw.strip_prefix("unknown field `") {
                    if let Some((field, expected)) = rest.split_once("`, expected ") {
                        let options: Vec<&str> = expected
                            .split('`')
                            .enumerate()
                            .filter(|(i, _)| i % 2 == 1)
                            .map(|(_, s)| s)
                            .collect();
                        let hint = suggest(field, options.iter().copied())
                            .map(|s| format!(" (did you mean {s:?}?)"))
                            .unwrap_or_default();
                        msg = format!(
                            "unknown key {field:?}{hint}; expected one of {}",
                            options.join(", ")
                        );
                        // The tracked path may already end at the key.
                        let last = PathSeg::from(field.to_string());
                        if fp.0.last() != Some(&last) {
                            fp.0.push(last);
                        }
                    }
                }
                let pos = at(fp.segments());
                let where_ = if fp.is_empty() {
                    String::new()
                } else {
                    format!("{fp}: ")
                };
                return Err(vec![ConfigError {
                    line: pos.line,
                    column: pos.column,
                    message: format!("{where_}{msg}"),
                }]);
            }
        };
        let mut errors = Vec::new();
        let mut err = |path: FieldPath, message: String| {
            let pos = at(path.segments());
            errors.push(ConfigError {
                line: pos.line,
                column: pos.column,
                message: format!("{path}: {message}"),
            });
        };
        let rule_ids: Vec<&'static str> = rules::catalogue().iter().map(|r| r.id).collect();
        for (key, list) in [
            ("enable", &config.rules.enable),
            ("disable", &config.rules.disable),
        ] {
            for (i, id) in list.iter().enumerate() {
                if rules::rule(id).is_none() {
                    err(
                        FieldPath::root().join(["rules", key]).child(i),
                        format!("unknown rule {id:?}{}", did_you_mean(id, rule_ids.clone())),
                    );
                }
            }
        }
        for id in config.rules.severity.keys() {
            if rules::rule(id).is_none() && id != "image-policy" {
                err(
                    FieldPath::root()
                        .join(["rules", "severity"])
                        .child(id.clone()),
                    format!("unknown rule {id:?}{}", did_you_mean(id, rule_ids.clone())),
                );
            }
        }
        if let Some(p) = &config.image_policy {
            if let Err(e) = p.validate() {
                err(FieldPath::root().child("imagePolicy"), e);
            }
        }
        // (entry index, kind) of every valid entry.
        let mut declared: Vec<(usize, &'static CustomKind)> = Vec::new();
        for (i, spec) in config.workload_kinds.iter().enumerate() {
            let entry = FieldPath::root().child("workloadKinds").child(i);
            match spec.validate() {
                // Two entries for one kind: which template would apply?
                Ok(k) => match declared.iter().find(|(_, o)| {
                    o.group == k.group
                        && o.kind == k.kind
                        && (o.version.is_none() || k.version.is_none() || o.version == k.version)
                }) {
                    Some((first, _)) => err(
                        entry.child("kind"),
                        format!(
                            "{} in {} is already declared by workloadKinds[{first}]",
                            k.kind, k.group
                        ),
                    ),
                    None => declared.push((i, k)),
                },
                Err(problems) => {
                    for (key, message) in problems {
                        err(entry.child(key), message);
                    }
                }
            }
        }
        let custom_kinds = declared.into_iter().map(|(_, k)| k).collect();
        // Exceptions were validated while decoding (see `exception_errors`).
        if errors.is_empty() {
            Ok(Config {
                custom_kinds,
                ..config
            })
        } else {
            Err(errors)
        }
    }

    /// Whether a hardening rule runs under this configuration.
    pub fn rule_enabled(&self, info: &rules::RuleInfo) -> bool {
        if self.rules.disable.iter().any(|d| d == info.id) {
            return false;
        }
        info.default_enabled || self.rules.enable.iter().any(|e| e == info.id)
    }

    /// The severity of a rule after overrides.
    pub fn rule_severity(&self, id: &str, default: Severity) -> Severity {
        self.rules.severity.get(id).copied().unwrap_or(default)
    }
}

/// The validation errors of every `exceptions[i]` entry that decodes as an
/// [`ExceptionSpec`], with positions (entries that do not decode are
/// reported by serde).
fn exception_errors(value: &serde_json::Value, positions: &Positions) -> Vec<ConfigError> {
    let Some(list) = value.get("exceptions").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let Ok(spec) = ExceptionSpec::deserialize(entry) else {
            continue;
        };
        if let Err(errs) = spec.validate(Strictness::Builtin) {
            let base = FieldPath::root().child("exceptions").child(i);
            for e in errs {
                let path = e.path.prefixed(&base);
                let pos = positions.nearest(path.segments());
                out.push(ConfigError {
                    line: pos.line,
                    column: pos.column,
                    message: format!("{path}: {}", e.message),
                });
            }
        }
    }
    out
}

/// `*` (any run of characters) and `?` (one character) glob.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What an exception is matched against.
pub struct Subject<'a> {
    pub namespace: &'a str,
    /// `Pod`, `Deployment`, `CronJob`, ...
    pub kind: &'a str,
    pub name: &'a str,
    /// For a Pod, the workloads it belongs to by its own fields
    /// ([`pod_controllers`]); `kinds` and `names` may match one of these
    /// instead of (`kind`, `name`). Empty for workloads.
    pub controllers: Vec<Controller<'a>>,
    /// The pod's labels; for a workload, its pod template's (never the
    /// workload's own: at admission a Pod carries only the template's).
    pub labels: &'a BTreeMap<String, String>,
    /// Every container image (init and ephemeral containers included).
    pub images: Vec<&'a str>,
}

/// A workload a Pod belongs to, as its own fields say ([`pod_controllers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Controller<'a> {
    pub kind: &'a str,
    pub name: &'a str,
}

/// The workloads a Pod belongs to, read from its own metadata only, so that
/// an exception written for a workload (`kinds: [DaemonSet]`,
/// `names: [web]`) waives the same for the workload's Pods at admission as
/// for the workload in `podgate scan`:
///
/// 1. its controller: the `ownerReferences` entry with `controller: true`
///    (kind and name, both non-empty);
/// 2. if that is an `apps` ReplicaSet named `<d>-<h>`, where `h` is the
///    pod's non-empty `pod-template-hash` label, the Deployment `d` (the
///    Deployment controller names its ReplicaSets so);
/// 3. if it is a `batch` Job named `<c>-<digits>`, the CronJob `c` (the
///    CronJob controller names its Jobs `<cronjob>-<scheduled minute>`; a
///    Job created by hand from a CronJob has another name and is not
///    matched as the CronJob).
///
/// Security: the pod's creator writes all of these (ownerReferences,
/// labels, name), and the API server does not check that the owner exists
/// or created the pod. So a Pod can claim any kind and name, as it could
/// already claim any name by being named so: within an exception's
/// namespaces, `kinds` and `names` select, they do not authenticate; the
/// boundary is the namespace (and `images`). Nothing here is looked up, so
/// a pod gains no match that another pod with the same fields would not.
/// Owners are namespaced objects: a claimed owner is always in the pod's
/// namespace, which `namespaces` still has to match.
pub fn pod_controllers(meta: &ObjectMeta) -> Vec<Controller<'_>> {
    let Some(owner) = meta.controller() else {
        return Vec::new();
    };
    if owner.kind.is_empty() || owner.name.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Controller {
        kind: &owner.kind,
        name: &owner.name,
    }];
    let group = owner.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let workload = match (group, owner.kind.as_str()) {
        ("apps", "ReplicaSet") => meta
            .labels
            .get(POD_TEMPLATE_HASH_LABEL)
            .filter(|h| !h.is_empty())
            .and_then(|h| owner.name.strip_suffix(h.as_str()))
            .and_then(|rest| rest.strip_suffix('-'))
            .map(|d| ("Deployment", d)),
        ("batch", "Job") => owner
            .name
            .rsplit_once('-')
            .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(c, _)| ("CronJob", c)),
        _ => None,
    };
    if let Some((kind, name)) = workload.filter(|(_, name)| !name.is_empty()) {
        out.push(Controller { kind, name });
    }
    out
}

/// The label the Deployment controller puts on its ReplicaSets' pods (and
/// at the end of the ReplicaSets' names).
const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// Exceptions with their state for one run (expiry).
pub struct Exceptions {
    pub list: Vec<Exception>,
    active: Vec<bool>,
}

impl Exceptions {
    pub fn new(list: Vec<Exception>, today: Date) -> Self {
        let active = list.iter().map(|e| e.is_active(today)).collect();
        Exceptions { list, active }
    }

    /// Indexes of expired exceptions.
    pub fn expired(&self) -> Vec<usize> {
        (0..self.list.len()).filter(|i| !self.active[*i]).collect()
    }

    /// The first active exception waiving `finding` for `subject`.
    pub fn matching(&self, subject: &Subject, finding: FindingId<'_>) -> Option<usize> {
        self.select(subject).matching(finding)
    }

    /// The active exceptions whose selectors (namespace, name, kind,
    /// labels, images) match `subject`. Selectors are checked once here;
    /// [`Selected::matching`] then only compares finding IDs, so a resource
    /// with many findings does not re-run globs and label selectors per
    /// finding.
    pub fn select(&self, subject: &Subject) -> Selected<'_> {
        let indexes = (0..self.list.len())
            .filter(|&i| self.active[i] && self.list[i].applies_to(subject))
            .collect();
        Selected {
            list: &self.list,
            indexes,
        }
    }
}

/// The exceptions that apply to one resource (from [`Exceptions::select`]).
pub struct Selected<'a> {
    list: &'a [Exception],
    indexes: Vec<usize>,
}

impl Selected<'_> {
    /// The first of these exceptions (in configuration order) that waives
    /// `finding`; its index in the configuration.
    pub fn matching(&self, finding: FindingId<'_>) -> Option<usize> {
        self.indexes
            .iter()
            .copied()
            .find(|&i| self.list[i].covers(finding))
    }
}

/// Parse an inline `podgate.io/ignore` annotation into (id, reason) pairs.
/// Entries are separated by `;` or newlines; each is `ID: reason` (a reason
/// is required; entries without one are returned with an empty reason so the
/// caller can report them). The ID takes every form an exception's `checks`
/// entry does: a prefixed ID (`pss:*`, `rule:resources-cpu-limit`,
/// `image:LatestTag`) ends at the colon after its prefix's, so
/// `rule:*: batch jobs` is `rule:*` with the reason `batch jobs`.
pub fn parse_ignore_annotation(v: &str) -> Vec<(String, String)> {
    v.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (id, reason) = split_ignore_entry(entry);
            (id.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

/// `ID: reason` at the colon that ends the ID. A `pss:`, `rule:` or
/// `image:` prefix directly followed by a name is part of the ID (`rule: x`,
/// with a space, stays the ID `rule` and the reason `x`, as before prefixes
/// were read).
fn split_ignore_entry(entry: &str) -> (&str, &str) {
    let Some((head, rest)) = entry.split_once(':') else {
        return (entry, "");
    };
    let prefixed = matches!(head, "pss" | "rule" | "image")
        && rest.starts_with(|c: char| !c.is_whitespace() && c != ':');
    if !prefixed {
        return (head, rest);
    }
    match rest.split_once(':') {
        Some((name, reason)) => (&entry[..head.len() + 1 + name.len()], reason),
        None => (entry, ""),
    }
}

/// What one `podgate.io/ignore` ID waives: the forms of an exception's
/// `checks` entry, podgate's own IDs only ([`Strictness::Builtin`]).
pub fn ignore_target(id: &str) -> Result<ExceptionTarget, String> {
    ExceptionTarget::parse(id, Strictness::Builtin)
}

/// What is wrong with one `ID: reason` entry of a `podgate.io/ignore`
/// annotation, if anything: an ID that names no check or rule (`*`,
/// `image-policy` and the prefixed forms of [`ignore_target`] are IDs too),
/// or no reason.
pub fn ignore_entry_problem(id: &str, reason: &str) -> Option<String> {
    let prefixed = id
        .split_once(':')
        .is_some_and(|(p, _)| matches!(p, "pss" | "rule" | "image"));
    if prefixed {
        if let Err(e) = ignore_target(id) {
            return Some(format!(
                "{IGNORE_ANNOTATION}: {e}; nothing is waived by this entry"
            ));
        }
    } else if ignore_target(id).is_err() {
        let candidates = CheckId::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(rules::catalogue().iter().map(|r| r.id))
            .chain(["image-policy", "pss:*", "rule:*", "image:*"]);
        return Some(format!(
            "{IGNORE_ANNOTATION}: unknown check or rule {id:?}{}; nothing is waived by this entry",
            hint(id, "", candidates)
        ));
    }
    if reason.is_empty() {
        return Some(format!(
            "{IGNORE_ANNOTATION}: {id:?} has no reason, so it waives nothing; write \"{id}: why it is acceptable\""
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_entries_take_the_prefixed_forms_of_exceptions() {
        let parsed = parse_ignore_annotation(
            "rule:*: all rules; pss:runAsNonRoot:legacy\nimage:LatestTag: pinned later; image:*; \
             runAsNonRoot: x: y; rule: not a prefix; *: everything",
        );
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(i, r)| (i.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("rule:*", "all rules"),
                ("pss:runAsNonRoot", "legacy"),
                ("image:LatestTag", "pinned later"),
                ("image:*", ""),
                ("runAsNonRoot", "x: y"),
                ("rule", "not a prefix"),
                ("*", "everything"),
            ]
        );
        for (id, reason) in &pairs[..3] {
            assert_eq!(ignore_entry_problem(id, reason), None, "{id}");
        }
        assert_eq!(ignore_target("rule:*"), Ok(ExceptionTarget::Rule(None)));
        assert_eq!(ignore_target("pss:*"), Ok(ExceptionTarget::AllChecks));
        assert_eq!(
            ignore_entry_problem("image:*", "").as_deref(),
            Some(
                "podgate.io/ignore: \"image:*\" has no reason, so it waives nothing; write \"image:*: why it is acceptable\""
            )
        );
        assert_eq!(
            ignore_entry_problem("pss:runAsNonRot", "typo").as_deref(),
            Some(
                "podgate.io/ignore: unknown Pod Security check \"runAsNonRot\" in \"pss:runAsNonRot\" (did you mean \"pss:runAsNonRoot\"?); nothing is waived by this entry"
            )
        );
        assert!(ignore_entry_problem("rule", "not a prefix").is_some());
    }

    #[test]
    fn ignore_entries_need_a_known_id_and_a_reason() {
        assert_eq!(ignore_entry_problem("privileged", "legacy"), None);
        assert_eq!(ignore_entry_problem("*", "all of it"), None);
        assert_eq!(ignore_entry_problem("image-policy", "mirror"), None);
        assert_eq!(ignore_entry_problem("resources-cpu-limit", "batch"), None);
        assert_eq!(
            ignore_entry_problem("runAsNonRot", "typo").as_deref(),
            Some(
                "podgate.io/ignore: unknown check or rule \"runAsNonRot\" (did you mean \"runAsNonRoot\"?); nothing is waived by this entry"
            )
        );
        assert_eq!(
            ignore_entry_problem("privileged", "").as_deref(),
            Some(
                "podgate.io/ignore: \"privileged\" has no reason, so it waives nothing; write \"privileged: why it is acceptable\""
            )
        );
    }

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            br#"
level: baseline
version: v1.30
failOn: medium
rules:
  enable: [image-digest]
  disable: [probes-liveness]
  severity: {resources-cpu-request: low}
imagePolicy:
  allowedRegistries: [ghcr.io]
  denyLatest: true
exceptions:
  - reason: node agent
    namespaces: [monitoring]
    checks: [hostNamespaces, "*"]
    expires: 2030-01-31
"#,
        )
        .unwrap();
        assert_eq!(c.level, Some(Level::Baseline));
        assert_eq!(c.fail_on, Some(Severity::Medium));
        let digest = rules::rule("image-digest").unwrap();
        assert!(c.rule_enabled(digest));
        assert!(!c.rule_enabled(rules::rule("probes-liveness").unwrap()));
        assert_eq!(
            c.rule_severity("resources-cpu-request", Severity::Medium),
            Severity::Low
        );
        assert_eq!(c.exceptions.len(), 1);
    }

    #[test]
    fn unknown_keys_have_line_and_suggestion() {
        let e = Config::parse(b"level: baseline\nfailon: high\n").unwrap_err();
        assert_eq!(e[0].line, 2, "{e:?}");
        assert!(
            e[0].message.contains("did you mean \"failOn\""),
            "{}",
            e[0].message
        );
        let e =
            Config::parse(b"exceptions:\n  - reason: r\n    checks: [runAsNonRot]\n").unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(
            e[0].message.contains("did you mean \"runAsNonRoot\""),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn bad_values_are_rejected() {
        let e = Config::parse(b"level: strict\n").unwrap_err();
        assert_eq!(e[0].line, 1);
        assert!(
            e[0].message
                .contains("`privileged`, `baseline`, `restricted`"),
            "{}",
            e[0].message
        );
        let e = Config::parse(
            b"exceptions:\n  - reason: ''\n    checks: []\n    expires: 2027-02-30\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        let e = Config::parse(b"rules:\n  enable: [image-digets]\n").unwrap_err();
        assert!(e[0].message.contains("image-digest"));
        assert!(Config::parse(b"a: 1\n---\nb: 2\n").is_err());
        assert!(Config::parse(b"").is_ok());
    }

    #[test]
    fn workload_kinds_are_parsed() {
        let c = Config::parse(
            b"workloadKinds:\n  - {apiVersion: example.com/v1, kind: Widget, template: spec.podTemplate}\n  - apiVersion: runners.example.com\n    kind: Runner\n    template: \"\"\n    batch: true\n",
        )
        .unwrap();
        let [w, r] = c.custom_kinds[..] else {
            panic!("{:?}", c.custom_kinds)
        };
        assert_eq!(
            (w.group, w.version, w.kind, w.template, w.batch),
            (
                "example.com",
                Some("v1"),
                "Widget",
                &["spec", "podTemplate"][..],
                false
            )
        );
        assert_eq!(
            (r.group, r.version, r.kind, r.template, r.batch),
            ("runners.example.com", None, "Runner", &[][..], true)
        );
        assert!(!w.is_builtin());
        assert!(Config::parse(b"level: baseline\n")
            .unwrap()
            .custom_kinds
            .is_empty());
    }

    #[test]
    fn workload_kind_errors_have_line_and_column() {
        let err = |yaml: &str| -> Vec<(u32, u32, String)> {
            Config::parse(yaml.as_bytes())
                .unwrap_err()
                .into_iter()
                .map(|e| (e.line, e.column, e.message))
                .collect()
        };
        // Unknown key, with a suggestion.
        let e = err("workloadKinds:\n  - apiVersion: example.com/v1\n    kind: Widget\n    templat: spec.template\n");
        assert_eq!((e[0].0, e[0].1), (4, 5), "{e:?}");
        assert!(
            e[0].2.starts_with(
                "workloadKinds[0].templat: unknown key \"templat\" (did you mean \"template\"?)"
            ),
            "{e:?}"
        );
        // Missing template: required, never read as "the object itself".
        let e = err("workloadKinds:\n  - {apiVersion: example.com/v1, kind: Widget}\n");
        assert_eq!(e[0].0, 2, "{e:?}");
        assert!(e[0].2.contains("missing field `template`"), "{e:?}");
        // Empty kind, bad path, bad group: every problem, each at its key.
        let e = err("workloadKinds:\n  - apiVersion: apps/v1\n    kind: \"\"\n    template: spec..template\n");
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!((e[0].0, e[0].1), (2, 5));
        assert!(e[0].2.starts_with("workloadKinds[0].apiVersion: \"apps/v1\" does not name a custom resource's API group"), "{e:?}");
        assert_eq!((e[1].0, e[1].1), (3, 5));
        assert_eq!(e[1].2, "workloadKinds[0].kind: must not be empty");
        assert_eq!((e[2].0, e[2].1), (4, 5));
        assert!(
            e[2].2
                .starts_with("workloadKinds[0].template: \"spec..template\" is not a field path"),
            "{e:?}"
        );
        let e = err("workloadKinds:\n  - {apiVersion: example.com/v1, kind: Widget, template: \"spec.containers[0]\"}\n");
        assert!(e[0].2.contains("list indexes are not supported"), "{e:?}");
        let e = err("workloadKinds:\n  - {apiVersion: example.com/, kind: widget, template: spec.template}\n");
        assert_eq!(e.len(), 2, "{e:?}");
        // A built-in kind cannot be redeclared (whatever the version).
        let e = err("workloadKinds:\n  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, template: spec.other}\n");
        assert_eq!(
            e,
            [(2, 40, "workloadKinds[0].kind: Rollout in argoproj.io is built in (pod template at spec.template); remove this entry".to_string())]
        );
        // Two entries for one kind.
        let e = err("workloadKinds:\n  - {apiVersion: example.com, kind: Widget, template: spec.a}\n  - {apiVersion: example.com/v2, kind: Widget, template: spec.b}\n");
        assert_eq!(
            e,
            [(3, 34, "workloadKinds[1].kind: Widget in example.com is already declared by workloadKinds[0]".to_string())]
        );
        // Other versions of one group may differ.
        assert!(Config::parse(b"workloadKinds:\n  - {apiVersion: example.com/v1, kind: Widget, template: spec.a}\n  - {apiVersion: example.com/v2, kind: Widget, template: spec.b}\n").is_ok());
    }

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2026-11-25"),
            Some(Date {
                year: 2026,
                month: 11,
                day: 25
            })
        );
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("2025-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(20_417).to_string(), "2025-11-25");
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2027-12-31",
            "1969-12-31",
            "0001-01-01",
        ] {
            let d = Date::parse(s).unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(Date::from_unix_days(d.unix_days()), d);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().unix_days(), 1);
        for bad in [
            "2027-02-30",
            "2100-02-29",
            "2027-1-01",
            "2027-01-1",
            "+027-01-01",
            "2027-00-10",
            "2027-01-00",
            "2027/01/01",
            "2027-01-01 ",
            "２０２７-01-01",
            "",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            "2027-02-30".parse::<Date>().unwrap_err(),
            "invalid date \"2027-02-30\": expected YYYY-MM-DD"
        );
        assert!(Date::parse("2027-06-30") < Date::parse("2027-07-01"));
        assert!(Date::parse("2026-12-31") < Date::parse("2027-01-01"));
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 + 5);
        assert_eq!(Date::from_system_time(t).to_string(), "1971-01-01");
        let t = std::time::UNIX_EPOCH - std::time::Duration::from_secs(5);
        assert_eq!(Date::from_system_time(t).to_string(), "1969-12-31");
    }

    #[test]
    fn globs() {
        assert!(glob_match("node-*", "node-exporter"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match(
            "quay.io/prometheus/*",
            "quay.io/prometheus/node-exporter:v1"
        ));
        assert!(!glob_match("web", "web-2"));
    }

    fn spec(yaml: &str) -> Result<Exception, Vec<ExceptionError>> {
        // A document starting with `{` is read as JSON: nest the flow map.
        let doc = load(format!("e: {yaml}").as_bytes(), &Limits::default())
            .remove(0)
            .unwrap();
        ExceptionSpec::deserialize(&doc.value["e"])
            .unwrap()
            .validate(Strictness::Builtin)
    }

    fn target(s: &str) -> Result<ExceptionTarget, String> {
        ExceptionTarget::parse(s, Strictness::Builtin)
    }

    #[test]
    fn every_target_form_parses() {
        use ExceptionTarget as T;
        assert_eq!(target("*"), Ok(T::All));
        assert_eq!(target("runAsNonRoot"), Ok(T::Check(CheckId::RunAsNonRoot)));
        assert_eq!(
            target("pss:capabilities_restricted"),
            Ok(T::Check(CheckId::CapabilitiesRestricted))
        );
        assert_eq!(target("pss:*"), Ok(T::AllChecks));
        assert_eq!(
            target("resources-cpu-limit"),
            Ok(T::Rule(Some("resources-cpu-limit".into())))
        );
        assert_eq!(
            target("rule:resources-cpu-limit"),
            Ok(T::Rule(Some("resources-cpu-limit".into())))
        );
        assert_eq!(target("rule:*"), Ok(T::Rule(None)));
        assert_eq!(target("image-policy"), Ok(T::Image(None)));
        assert_eq!(target("image:*"), Ok(T::Image(None)));
        assert_eq!(
            target("image:LatestTag"),
            Ok(T::Image(Some("LatestTag".into())))
        );
        for code in ImageViolationCode::ALL {
            assert!(target(&format!("image:{}", code.as_str())).is_ok());
        }
    }

    #[test]
    fn bad_targets_suggest_the_intended_id() {
        let e = target("runAsNonRot").unwrap_err();
        assert!(
            e.starts_with(
                "unknown check or rule \"runAsNonRot\" (did you mean \"runAsNonRoot\"?); expected"
            ),
            "{e}"
        );
        let e = target("pss:runAsNonRot").unwrap_err();
        assert!(e.contains("(did you mean \"pss:runAsNonRoot\"?)"), "{e}");
        let e = target("pss:resources-cpu-limit").unwrap_err();
        assert!(e.starts_with("unknown Pod Security check"), "{e}");
        let e = target("rule:resources-cpu-limt").unwrap_err();
        assert!(
            e.contains("(did you mean \"rule:resources-cpu-limit\"?)"),
            "{e}"
        );
        let e = target("image:latesttag").unwrap_err();
        assert!(e.contains("(did you mean \"image:LatestTag\"?)"), "{e}");
        assert!(
            e.contains("the codes are Invalid, RegistryNotAllowed"),
            "{e}"
        );
        assert!(target("rule:").unwrap_err().contains("names nothing"));
        assert!(target("image:").is_err());
        assert!(target("pss:").is_err());
        assert!(target("").is_err());
        // Custom IDs only where custom checkers may report them; bare IDs
        // are always checked.
        let custom = |s| ExceptionTarget::parse(s, Strictness::AllowCustom);
        assert_eq!(
            custom("image:unpinned"),
            Ok(ExceptionTarget::Image(Some("unpinned".into())))
        );
        assert_eq!(
            custom("rule:my-rule"),
            Ok(ExceptionTarget::Rule(Some("my-rule".into())))
        );
        assert!(!custom("rule:my-rule").unwrap().is_builtin());
        assert!(target("rule:*").unwrap().is_builtin());
        assert!(custom("my-rule").is_err());
        assert!(custom("pss:nope").is_err());
    }

    #[test]
    fn targets_cover_their_findings() {
        use FindingId as F;
        let covers = |t: &str, f: F| target(t).unwrap().covers(f);
        assert!(covers("*", F::Image("LatestTag")));
        assert!(covers("pss:*", F::Check(CheckId::Privileged)));
        assert!(!covers("pss:*", F::Rule("resources-cpu-limit")));
        assert!(covers("privileged", F::Check(CheckId::Privileged)));
        assert!(!covers("privileged", F::Check(CheckId::HostPorts)));
        assert!(covers("rule:*", F::Rule("resources-cpu-limit")));
        assert!(covers(
            "resources-cpu-limit",
            F::Rule("resources-cpu-limit")
        ));
        assert!(!covers(
            "rule:resources-cpu-limit",
            F::Rule("resources-memory-limit")
        ));
        assert!(covers("image-policy", F::Image("RegistryDenied")));
        assert!(covers("image:RegistryDenied", F::Image("RegistryDenied")));
        assert!(!covers("image:RegistryDenied", F::Image("LatestTag")));
        assert!(!covers("image:*", F::Check(CheckId::Privileged)));
    }

    #[test]
    fn aliases_and_both_shapes() {
        // The webhook's released shape.
        let e = spec("{namespace: legacy, name: 'billing-*', checks: [runAsNonRoot, 'image:*'], reason: r, expires: '2027-06-30'}").unwrap();
        assert_eq!(e.namespaces, vec!["legacy"]);
        assert_eq!(e.names, vec!["billing-*"]);
        assert_eq!(e.expires, Date::parse("2027-06-30"));
        assert_eq!(e.checks, vec!["runAsNonRoot", "image:*"]);
        // podgate.yaml's released shape.
        let e = spec("{reason: r, namespaces: [a, 'b*'], names: [x], kinds: [Deployment], selector: {app: web}, images: ['ghcr.io/*'], checks: ['*']}").unwrap();
        assert_eq!(e.namespaces, vec!["a", "b*"]);
        assert_eq!(e.kinds, vec!["Deployment"]);
        // Nothing selected: everything matches.
        let e = spec("{reason: r, checks: ['*']}").unwrap();
        assert!(e.namespaces.is_empty() && e.names.is_empty());

        let errs =
            spec("{reason: r, namespace: a, namespaces: [b], name: x, names: [z], checks: ['*']}")
                .unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "namespace: namespace and namespaces are both set; use namespace for one glob or namespaces for a list, not both",
                "name: name and names are both set; use name for one glob or names for a list, not both",
            ]
        );
        let errs = spec(
            "{reason: ' ', namespace: '', checks: [runAsRoot, 'rule:x'], expires: '2027-02-30'}",
        )
        .unwrap_err();
        let paths: Vec<String> = errs.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(
            paths,
            vec!["reason", "namespace", "checks[0]", "checks[1]", "expires"]
        );
        assert_eq!(
            errs[4].message,
            "invalid date \"2027-02-30\": expected YYYY-MM-DD"
        );
        let errs = spec("{reason: r, checks: []}").unwrap_err();
        assert_eq!(errs[0].path.to_string(), "checks");
    }

    #[test]
    fn config_errors_point_at_the_entry_field() {
        let e = Config::parse(
            b"exceptions:\n  - reason: ok\n    checks: ['*']\n  - reason: r\n    namespace: a\n    namespaces: [b]\n    checks:\n      - privileged\n      - 'image:latest'\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[0].line, e[0].column), (5, 5), "{e:?}");
        assert!(
            e[0].message
                .starts_with("exceptions[1].namespace: namespace and namespaces are both set"),
            "{e:?}"
        );
        assert_eq!(e[1].line, 9, "{e:?}");
        assert!(
            e[1].message.starts_with("exceptions[1].checks[1]: unknown image-policy code \"latest\" in \"image:latest\" (did you mean \"image:LatestTag\"?)"),
            "{e:?}"
        );
        // Shape errors still name the key, with a suggestion.
        let e = Config::parse(b"exceptions:\n  - reason: r\n    namespase: a\n    checks: ['*']\n")
            .unwrap_err();
        assert_eq!(e[0].line, 3, "{e:?}");
        assert!(e[0].message.contains("did you mean \"namespace\""), "{e:?}");
        // The new forms are accepted in podgate.yaml.
        let c = Config::parse(
            b"exceptions:\n  - reason: r\n    namespace: shop\n    name: web\n    checks: ['pss:*', 'rule:*', 'image:*', 'rule:resources-cpu-limit', 'image:RegistryDenied']\n",
        )
        .unwrap();
        assert_eq!(c.exceptions[0].targets.len(), 5);
    }

    #[test]
    fn exception_matching_and_expiry() {
        let labels: BTreeMap<String, String> = [("app".to_string(), "ne".to_string())].into();
        let subject = Subject {
            namespace: "monitoring",
            kind: "DaemonSet",
            name: "node-exporter",
            controllers: vec![],
            labels: &labels,
            images: vec!["quay.io/prometheus/node-exporter:v1"],
        };
        let ex = |expires: &str| {
            spec(&format!(
                "{{reason: r, namespaces: ['monitor*'], kinds: [daemonset], names: ['node-*'], selector: {{app: ne}}, images: ['quay.io/prometheus/*'], checks: [hostNamespaces]{expires}}}"
            ))
            .unwrap()
        };
        let today = Date::parse("2026-11-25").unwrap();
        let exs = Exceptions::new(
            vec![
                ex(""),
                ex(", expires: '2026-11-24'"),
                ex(", expires: '2026-11-25'"),
            ],
            today,
        );
        let host = FindingId::Check(CheckId::HostNamespaces);
        assert_eq!(exs.matching(&subject, host), Some(0));
        assert_eq!(
            exs.matching(&subject, FindingId::Check(CheckId::Privileged)),
            None
        );
        // The expiry day itself still applies; the day after it does not.
        assert_eq!(exs.expired(), vec![1]);
        assert!(exs.list[2].is_active(today));
        assert!(!exs.list[1].is_active(today));
        let other = Subject {
            namespace: "default",
            ..subject
        };
        assert_eq!(exs.matching(&other, host), None);

        // Each selector must match on its own.
        let only = |yaml: &str, s: &Subject| spec(yaml).unwrap().applies_to(s);
        let s = Subject {
            namespace: "monitoring",
            kind: "DaemonSet",
            name: "node-exporter",
            controllers: vec![],
            labels: &labels,
            images: vec!["busybox", "quay.io/prometheus/node-exporter:v1"],
        };
        assert!(only("{reason: r, checks: ['*']}", &s));
        assert!(only("{reason: r, kinds: [DAEMONSET], checks: ['*']}", &s));
        assert!(!only("{reason: r, kinds: [Deployment], checks: ['*']}", &s));
        assert!(only("{reason: r, selector: {app: ne}, checks: ['*']}", &s));
        assert!(!only(
            "{reason: r, selector: {app: ne, tier: x}, checks: ['*']}",
            &s
        ));
        // Every image must match: busybox beside the exporter is not covered
        // by an exception for quay.io images.
        assert!(!only(
            "{reason: r, images: ['quay.io/**'], checks: ['*']}",
            &s
        ));
        assert!(only(
            "{reason: r, images: ['quay.io/**', busybox], checks: ['*']}",
            &s
        ));
        assert!(!only(
            "{reason: r, images: ['ghcr.io/*'], checks: ['*']}",
            &s
        ));
        let exporter_only = Subject {
            namespace: s.namespace,
            kind: s.kind,
            name: s.name,
            controllers: vec![],
            labels: s.labels,
            images: vec!["quay.io/prometheus/node-exporter:v1"],
        };
        assert!(only(
            "{reason: r, images: ['quay.io/**'], checks: ['*']}",
            &exporter_only
        ));
        // No containers, no image to match.
        let none = Subject {
            images: vec![],
            namespace: s.namespace,
            kind: s.kind,
            name: s.name,
            controllers: vec![],
            labels: s.labels,
        };
        assert!(!only("{reason: r, images: ['**'], checks: ['*']}", &none));
        assert!(only(
            "{reason: r, namespace: 'mon*', name: 'node-?xporter', checks: ['*']}",
            &s
        ));
        assert!(!only("{reason: r, name: node, checks: ['*']}", &s));
    }

    fn meta(v: serde_json::Value) -> ObjectMeta {
        serde_json::from_value(v).unwrap()
    }

    fn owned_by(
        api_version: &str,
        kind: &str,
        name: &str,
        labels: serde_json::Value,
    ) -> ObjectMeta {
        meta(serde_json::json!({
            "name": "p", "labels": labels,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "not-the-controller", "uid": "0"},
                {"apiVersion": api_version, "kind": kind, "name": name, "uid": "1", "controller": true}
            ]
        }))
    }

    fn controllers(m: &ObjectMeta) -> Vec<(&str, &str)> {
        pod_controllers(m)
            .iter()
            .map(|c| (c.kind, c.name))
            .collect()
    }

    /// A Pod belongs to its controller and, by the controllers' naming
    /// conventions, to the Deployment of its ReplicaSet or the CronJob of
    /// its Job; nothing else.
    #[test]
    fn pod_controllers_come_from_the_controller_reference() {
        let none = serde_json::json!({});
        let hash = serde_json::json!({"app": "web", "pod-template-hash": "5d4f7b9c8"});
        let ds = owned_by("apps/v1", "DaemonSet", "node-exporter", none.clone());
        assert_eq!(controllers(&ds), [("DaemonSet", "node-exporter")]);
        let rs = owned_by("apps/v1", "ReplicaSet", "web-5d4f7b9c8", hash.clone());
        assert_eq!(
            controllers(&rs),
            [("ReplicaSet", "web-5d4f7b9c8"), ("Deployment", "web")]
        );
        let job = owned_by("batch/v1", "Job", "backup-29123460", none.clone());
        assert_eq!(
            controllers(&job),
            [("Job", "backup-29123460"), ("CronJob", "backup")]
        );
        let sts = owned_by("apps/v1", "StatefulSet", "db", none.clone());
        assert_eq!(controllers(&sts), [("StatefulSet", "db")]);

        // No Deployment unless the ReplicaSet's name is `<name>-<hash label>`.
        for (name, labels) in [
            ("other-abc", hash.clone()),
            ("web-5d4f7b9c8", none.clone()),
            (
                "web-5d4f7b9c8",
                serde_json::json!({"pod-template-hash": ""}),
            ),
            ("web5d4f7b9c8", hash.clone()),
            ("-5d4f7b9c8", hash.clone()),
        ] {
            let m = owned_by("apps/v1", "ReplicaSet", name, labels);
            assert_eq!(controllers(&m), [("ReplicaSet", name)], "{name}");
        }
        // Another API group's ReplicaSet or Job is not the controllers'.
        let m = owned_by("example.com/v1", "ReplicaSet", "web-5d4f7b9c8", hash);
        assert_eq!(controllers(&m), [("ReplicaSet", "web-5d4f7b9c8")]);
        let m = owned_by("example.com/v1", "Job", "backup-1", none.clone());
        assert_eq!(controllers(&m), [("Job", "backup-1")]);
        // No CronJob unless the Job's name ends in `-<digits>`.
        for name in [
            "backup-manual-x7",
            "backup-",
            "backup",
            "-123",
            "backup-12a",
        ] {
            let m = owned_by("batch/v1", "Job", name, none.clone());
            assert_eq!(controllers(&m), [("Job", name)], "{name}");
        }
        // Only the controller counts; an owner without kind or name is none.
        let m = meta(serde_json::json!({"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "x", "uid": "1"},
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "y", "uid": "2", "controller": false}]}));
        assert!(controllers(&m).is_empty());
        let m = owned_by("apps/v1", "DaemonSet", "", none.clone());
        assert!(controllers(&m).is_empty());
        let m = owned_by("apps/v1", "", "x", none);
        assert!(controllers(&m).is_empty());
        assert!(controllers(&meta(serde_json::json!({}))).is_empty());
    }

    /// `kinds` and `names` match together, either the Pod itself or one of
    /// its controllers: an exception for a workload covers its Pods, one
    /// for a bare Pod named like the workload does not.
    #[test]
    fn exceptions_match_a_pod_by_its_controllers() {
        let labels = BTreeMap::new();
        let applies = |yaml: &str, meta: &ObjectMeta, name: &str| {
            let subject = Subject {
                namespace: "monitoring",
                kind: "Pod",
                name,
                controllers: pod_controllers(meta),
                labels: &labels,
                images: vec!["quay.io/prometheus/node-exporter:v1"],
            };
            spec(yaml).unwrap().applies_to(&subject)
        };
        let none = serde_json::json!({});
        let ds = owned_by("apps/v1", "DaemonSet", "node-exporter", none.clone());
        // The README's example, and the exact workload name.
        let readme = "{reason: r, namespaces: [monitoring], kinds: [DaemonSet], names: ['node-exporter*'], checks: ['*']}";
        assert!(applies(readme, &ds, "node-exporter-x7k2p"));
        assert!(applies(
            "{reason: r, kinds: [DaemonSet, Pod], names: [node-exporter], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        assert!(applies(
            "{reason: r, names: [node-exporter], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        // The Pod's own kind and name still match, as before.
        assert!(applies(
            "{reason: r, kinds: [Pod], names: ['node-exporter-*'], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        // The kind of one identity and the name of another do not match.
        assert!(!applies(
            "{reason: r, kinds: [Pod], names: [node-exporter], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        assert!(!applies(
            "{reason: r, kinds: [DaemonSet], names: ['node-exporter-x*'], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        assert!(!applies(
            "{reason: r, kinds: [Deployment], checks: ['*']}",
            &ds,
            "node-exporter-x7k2p"
        ));
        // Without a controller a Pod is only itself.
        let bare = meta(serde_json::json!({"name": "node-exporter-x7k2p"}));
        assert!(!applies(readme, &bare, "node-exporter-x7k2p"));

        let hash = serde_json::json!({"pod-template-hash": "5d4f7b9c8"});
        let rs = owned_by("apps/v1", "ReplicaSet", "web-5d4f7b9c8", hash.clone());
        let deployment_web = "{reason: r, kinds: [Deployment], names: [web], checks: ['*']}";
        assert!(applies(deployment_web, &rs, "web-5d4f7b9c8-x2x9z"));
        assert!(applies(
            "{reason: r, kinds: [replicaset], names: ['web-*'], checks: ['*']}",
            &rs,
            "web-5d4f7b9c8-x2x9z"
        ));
        // A ReplicaSet whose name does not end in the hash label: no Deployment.
        let forged = owned_by("apps/v1", "ReplicaSet", "web-abc", hash);
        assert!(!applies(deployment_web, &forged, "web-abc-x2x9z"));

        let job = owned_by("batch/v1", "Job", "backup-29123460", none.clone());
        let cron = "{reason: r, kinds: [CronJob], names: [backup], checks: ['*']}";
        assert!(applies(cron, &job, "backup-29123460-q8z2k"));
        let manual = owned_by("batch/v1", "Job", "backup-manual", none);
        assert!(!applies(cron, &manual, "backup-manual-q8z2k"));
    }

    /// `images` are image-policy patterns, matched against normalised
    /// references with the registry matched on its own: a pattern for
    /// trusted images cannot be met by an image from another registry.
    #[test]
    fn exception_images_are_image_patterns() {
        let labels = BTreeMap::new();
        let with = |image: &'static str| Subject {
            namespace: "web",
            kind: "Deployment",
            name: "web",
            controllers: vec![],
            labels: &labels,
            images: vec![image],
        };
        let applies = |pattern: &str, image: &'static str| {
            spec(&format!(
                "{{reason: r, images: ['{pattern}'], checks: ['*']}}"
            ))
            .unwrap()
            .applies_to(&with(image))
        };
        // Docker Hub short names are normalised on both sides.
        assert!(applies("docker.io/library/nginx*", "nginx:1.27"));
        assert!(applies("nginx:1.27", "docker.io/library/nginx:1.27"));
        assert!(applies("docker.io/library/nginx:*", "nginx"));
        // Another registry never matches, whatever its name starts with.
        for evil in [
            "nginx.evil.com/x:1",
            "nginx.evil.com/library/nginx:1",
            "evil.com/docker.io/library/nginx:1",
        ] {
            assert!(!applies("docker.io/library/nginx*", evil), "{evil}");
        }
        assert!(!applies(
            "quay.io/prometheus/*",
            "quay.io.evil.com/prometheus/x"
        ));
        assert!(!applies("*.example.com/**", "evil.com/x.example.com/app"));
        // `*` stays within one path segment, `**` crosses them.
        assert!(applies(
            "quay.io/prometheus/*",
            "quay.io/prometheus/node-exporter:v1"
        ));
        assert!(!applies("quay.io/*", "quay.io/prometheus/node-exporter:v1"));
        assert!(applies("quay.io/**", "quay.io/prometheus/node-exporter:v1"));
        // Pinned by digest: the digest form matches.
        let digest = "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(applies("registry.example.com/app@*", digest));
        // An invalid reference matches nothing, not even `**`.
        assert!(!applies("**", "registry.example.com/App:1"));
        // Patterns that could be met by another registry are refused.
        for (pattern, says) in [
            ("nginx*", "a pattern without '/' must use `**`"),
            ("*", "a pattern without '/' must use `**`"),
            ("library/nginx*", "write `docker.io/library/nginx*`"),
            ("quay.io/Prometheus/*", "repository names are lowercase"),
        ] {
            let err: Vec<String> = spec(&format!(
                "{{reason: r, images: ['{pattern}'], checks: ['*']}}"
            ))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
            let err = err.join("; ");
            assert!(
                err.contains("images[0]") && err.contains(says),
                "{pattern}: {err}"
            );
        }
    }

    #[test]
    fn ignore_annotation() {
        assert_eq!(
            parse_ignore_annotation("runAsNonRoot: legacy image; resources-cpu-limit: batch\nbare"),
            vec![
                ("runAsNonRoot".to_string(), "legacy image".to_string()),
                ("resources-cpu-limit".to_string(), "batch".to_string()),
                ("bare".to_string(), String::new())
            ]
        );
    }
}
