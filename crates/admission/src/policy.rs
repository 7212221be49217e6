//! Namespace policy from labels, and the API-machinery error shapes upstream
//! answers with (`apierrors.NewForbidden`, `NewInvalid`, `NewBadRequest`,
//! `NewInternalError`, `field.Error`), reproduced byte for byte.

use std::collections::BTreeMap;
use std::fmt;

use podgate_core::pss::{Level, LevelVersion, Version};

use crate::review::{AdmissionResponse, EmptyObject, Status, StatusCause, StatusDetails};

pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";
pub const ENFORCE_LEVEL_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT_LEVEL_LABEL: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION_LABEL: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN_LEVEL_LABEL: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION_LABEL: &str = "pod-security.kubernetes.io/warn-version";

/// Audit annotation keys, as upstream returns them. The API server prefixes
/// them: the built-in plugin with `pod-security.kubernetes.io/`, a webhook
/// with its own name (so a webhook named `pod-security.kubernetes.io` yields
/// the same keys as the built-in plugin). A key must not contain `/` itself,
/// or the API server drops it.
pub const EXEMPTION_REASON_ANNOTATION: &str = "exempt";
pub const AUDIT_VIOLATIONS_ANNOTATION: &str = "audit-violations";
pub const ENFORCED_POLICY_ANNOTATION: &str = "enforce-policy";
pub const ERROR_ANNOTATION: &str = "error";

/// Upstream's `ParseLevel` error text.
pub const LEVEL_ERROR: &str = "must be one of privileged, baseline, restricted";
/// Upstream's `ParseVersion` error text.
pub const VERSION_ERROR: &str = "must be \"latest\" or \"v1.x\"";

/// The effective enforce, audit and warn level-versions of a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl Default for Policy {
    /// Upstream's configuration defaults: privileged at latest for all modes.
    fn default() -> Self {
        let lv = LevelVersion::new(Level::Privileged, Version::LATEST);
        Policy {
            enforce: lv,
            audit: lv,
            warn: lv,
        }
    }
}

impl Policy {
    /// Upstream `Policy.FullyPrivileged`: every mode is privileged.
    pub fn fully_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == Level::Privileged)
    }

    /// Upstream `Policy.Equivalent`: each mode is equivalent, that is both
    /// privileged (at any version) or the same level and version.
    pub fn equivalent(&self, other: &Policy) -> bool {
        let same = |a: LevelVersion, b: LevelVersion| {
            (a.level == Level::Privileged && b.level == Level::Privileged) || a == b
        };
        same(self.enforce, other.enforce)
            && same(self.audit, other.audit)
            && same(self.warn, other.warn)
    }
}

/// A `field.Error` of the kinds upstream produces here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub kind: FieldErrorKind,
    pub value: String,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    Invalid,
    Duplicate,
    NotSupported,
}

impl FieldError {
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Invalid,
            value: value.to_string(),
            detail: detail.into(),
        }
    }

    pub fn duplicate(field: impl Into<String>, value: &str) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Duplicate,
            value: value.to_string(),
            detail: String::new(),
        }
    }

    /// `metav1.CauseType` of this error.
    pub fn cause_type(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Invalid => "FieldValueInvalid",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
            FieldErrorKind::NotSupported => "FieldValueNotSupported",
        }
    }

    /// `field.Error.ErrorBody()`: `Invalid value: "foo": must be ...`.
    pub fn body(&self) -> String {
        let kind = match self.kind {
            FieldErrorKind::Invalid => "Invalid value",
            FieldErrorKind::Duplicate => "Duplicate value",
            FieldErrorKind::NotSupported => "Unsupported value",
        };
        let mut s = format!("{kind}: {}", go_quote(&self.value));
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// `field.ErrorList.ToAggregate().Error()`: duplicates removed, one error
/// printed bare, several as `[a, b]`.
pub fn aggregate(errs: &[FieldError]) -> String {
    let mut msgs: Vec<String> = Vec::new();
    for e in errs {
        let m = e.to_string();
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    if msgs.len() == 1 {
        msgs.remove(0)
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

/// Go's `%q` for a string (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Upstream `api.ParseLevel`: invalid → restricted plus an error.
pub fn parse_level(s: &str) -> Result<Level, Level> {
    s.parse::<Level>().map_err(|_| Level::Restricted)
}

/// Upstream `api.ParseVersion`: invalid → latest plus an error.
pub fn parse_version(s: &str) -> Result<Version, Version> {
    s.parse::<Version>().map_err(|_| Version::LATEST)
}

fn label_path(label: &str) -> String {
    format!("metadata.labels[{label}]")
}

/// Upstream `api.PolicyToEvaluate`: labels over defaults. An invalid enforce
/// level fails closed (restricted), an invalid audit or warn level fails open
/// (privileged), an invalid version means latest; every invalid label is
/// reported.
pub fn policy_to_evaluate(
    labels: &BTreeMap<String, String>,
    defaults: Policy,
) -> (Policy, Vec<FieldError>) {
    let mut p = defaults;
    let mut errs = Vec::new();
    if labels.is_empty() {
        return (p, errs);
    }
    if let Some(v) = labels.get(ENFORCE_LEVEL_LABEL) {
        p.enforce.level = parse_level(v).unwrap_or_else(|fallback| {
            errs.push(FieldError::invalid(
                label_path(ENFORCE_LEVEL_LABEL),
                v,
                LEVEL_ERROR,
            ));
            fallback
        });
    }
    if let Some(v) = labels.get(ENFORCE_VERSION_LABEL) {
        p.enforce.version = parse_version(v).unwrap_or_else(|fallback| {
            errs.push(FieldError::invalid(
                label_path(ENFORCE_VERSION_LABEL),
                v,
                VERSION_ERROR,
            ));
            fallback
        });
    }
    if let Some(v) = labels.get(AUDIT_LEVEL_LABEL) {
        p.audit.level = parse_level(v).unwrap_or_else(|_| {
            errs.push(FieldError::invalid(
                label_path(AUDIT_LEVEL_LABEL),
                v,
                LEVEL_ERROR,
            ));
            Level::Privileged // fail open for audit
        });
    }
    if let Some(v) = labels.get(AUDIT_VERSION_LABEL) {
        p.audit.version = parse_version(v).unwrap_or_else(|fallback| {
            errs.push(FieldError::invalid(
                label_path(AUDIT_VERSION_LABEL),
                v,
                VERSION_ERROR,
            ));
            fallback
        });
    }
    if let Some(v) = labels.get(WARN_LEVEL_LABEL) {
        p.warn.level = parse_level(v).unwrap_or_else(|_| {
            errs.push(FieldError::invalid(
                label_path(WARN_LEVEL_LABEL),
                v,
                LEVEL_ERROR,
            ));
            Level::Privileged // fail open for warn
        });
    }
    if let Some(v) = labels.get(WARN_VERSION_LABEL) {
        p.warn.version = parse_version(v).unwrap_or_else(|fallback| {
            errs.push(FieldError::invalid(
                label_path(WARN_VERSION_LABEL),
                v,
                VERSION_ERROR,
            ));
            fallback
        });
    }
    (p, errs)
}

/// `schema.GroupResource.String()`.
pub fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

fn failure(
    code: u16,
    reason: &'static str,
    message: String,
    details: Option<StatusDetails>,
) -> AdmissionResponse {
    AdmissionResponse {
        allowed: false,
        status: Some(Status {
            metadata: EmptyObject {},
            status: "Failure",
            message,
            reason,
            details,
            code,
        }),
        ..Default::default()
    }
}

/// `apierrors.NewForbidden(groupResource, name, err)` as a denial.
pub(crate) fn forbidden_response(
    group: &str,
    resource: &str,
    name: &str,
    err: &str,
) -> AdmissionResponse {
    let gr = group_resource(group, resource);
    let message = if resource.is_empty() && group.is_empty() {
        format!("forbidden: {err}")
    } else if name.is_empty() {
        format!("{gr} is forbidden: {err}")
    } else {
        format!("{gr} {} is forbidden: {err}", go_quote(name))
    };
    failure(
        403,
        "Forbidden",
        message,
        Some(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: resource.to_string(),
            causes: Vec::new(),
        }),
    )
}

/// `apierrors.NewInvalid(groupKind, name, errs)` as a denial.
pub(crate) fn invalid_response(
    group: &str,
    kind: &str,
    name: &str,
    errs: &[FieldError],
) -> AdmissionResponse {
    let gk = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let message = format!("{gk} {} is invalid: {}", go_quote(name), aggregate(errs));
    let causes = errs
        .iter()
        .map(|e| StatusCause {
            reason: e.cause_type(),
            message: e.body(),
            field: e.field.clone(),
        })
        .collect();
    failure(
        422,
        "Invalid",
        message,
        Some(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            causes,
        }),
    )
}

/// Upstream `errorResponse(err, NewBadRequest(msg))`: the status carries
/// only `msg`; the error detail goes to the `error` audit annotation.
pub(crate) fn bad_request_response(msg: &str, err: Option<&str>) -> AdmissionResponse {
    let detail = match err {
        Some(e) => format!("{msg}: {e}"),
        None => msg.to_string(),
    };
    failure(400, "BadRequest", msg.to_string(), None).with_annotation(ERROR_ANNOTATION, detail)
}

/// Upstream `errorResponse(err, NewInternalError(cause))`.
pub(crate) fn internal_error_response(cause: &str, err: &str) -> AdmissionResponse {
    let message = format!("Internal error occurred: {cause}");
    let detail = format!("{message}: {err}");
    failure(
        500,
        "InternalError",
        message,
        Some(StatusDetails {
            causes: vec![StatusCause {
                message: cause.to_string(),
                ..Default::default()
            }],
            ..Default::default()
        }),
    )
    .with_annotation(ERROR_ANNOTATION, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn invalid_labels_fail_closed_for_enforce_and_open_for_audit_warn() {
        let (p, errs) = policy_to_evaluate(
            &labels(&[
                (ENFORCE_LEVEL_LABEL, "bogus"),
                (AUDIT_LEVEL_LABEL, "bogus"),
                (WARN_LEVEL_LABEL, "restricted"),
                (WARN_VERSION_LABEL, "v1.025"),
            ]),
            Policy::default(),
        );
        assert_eq!(p.enforce.to_string(), "restricted:latest");
        assert_eq!(p.audit.to_string(), "privileged:latest");
        assert_eq!(p.warn.to_string(), "restricted:latest");
        assert_eq!(
            aggregate(&errs),
            "[metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted, \
metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted, \
metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"v1.025\": must be \"latest\" or \"v1.x\"]"
        );
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
    }

    #[test]
    fn forbidden_message_shapes() {
        let r = forbidden_response("", "pods", "", "x");
        assert_eq!(
            r.status.map(|s| s.message),
            Some("pods is forbidden: x".into())
        );
        let r = forbidden_response("apps", "deployments", "web", "x");
        assert_eq!(
            r.status.map(|s| s.message),
            Some("deployments.apps \"web\" is forbidden: x".into())
        );
    }
}
