//! What a decision looked like, as bounded metric labels only (never names,
//! namespaces or error text), following upstream `metrics/metrics.go`:
//!
//! * `pod_security_evaluations_total{decision, policy_level, policy_version,
//!   mode, request_operation, resource, subresource}`: one
//!   [`Evaluation`] per upstream `RecordEvaluation` call;
//! * `pod_security_exemptions_total{request_operation, resource, subresource}`:
//!   [`Outcome::exempt`];
//! * `pod_security_errors_total{fatal, request_operation, resource,
//!   subresource}`: [`Outcome::errors`].

use std::fmt;

use podgate_core::pss::{Level, LevelVersion, MAX_KNOWN_MINOR};

/// The overall result of one review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    Deny,
    /// Allowed because of a namespace, user or runtime class exemption.
    Exempt,
    /// The request could not be evaluated (decode failure, unknown
    /// namespace). Pods are denied (fail closed), workloads allowed.
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Exempt => "exempt",
            Decision::Error => "error",
        }
    }
}

/// Evaluation mode (`mode` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvalMode {
    Enforce,
    Audit,
    Warn,
}

impl EvalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EvalMode::Enforce => "enforce",
            EvalMode::Audit => "audit",
            EvalMode::Warn => "warn",
        }
    }
}

/// `policy_version`, clamped as upstream does: `latest` for latest and for
/// privileged (always effectively latest), `v1.N` up to the newest version
/// this build knows, `future` above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionLabel {
    Latest,
    Minor(u32),
    Future,
}

impl VersionLabel {
    pub fn of(lv: LevelVersion) -> VersionLabel {
        match lv.version.minor_number().map(u32::try_from) {
            _ if lv.level == Level::Privileged => VersionLabel::Latest,
            None => VersionLabel::Latest,
            Some(Ok(m)) if m <= MAX_KNOWN_MINOR => VersionLabel::Minor(m),
            Some(_) => VersionLabel::Future,
        }
    }
}

impl fmt::Display for VersionLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionLabel::Latest => f.write_str("latest"),
            VersionLabel::Minor(m) => write!(f, "v1.{m}"),
            VersionLabel::Future => f.write_str("future"),
        }
    }
}

/// `resource` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceLabel {
    Pod,
    Namespace,
    /// Any workload with a pod template.
    Controller,
    /// A resource this admission does not handle (allowed untouched).
    Other,
    /// An `imagepolicy.k8s.io` ImageReview.
    ImageReview,
}

impl ResourceLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceLabel::Pod => "pod",
            ResourceLabel::Namespace => "namespace",
            ResourceLabel::Controller => "controller",
            ResourceLabel::Other => "other",
            ResourceLabel::ImageReview => "imagereview",
        }
    }
}

/// `request_operation` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationLabel {
    Create,
    Update,
    Delete,
    Connect,
    /// Unknown operation, or none (ImageReview).
    Other,
}

impl OperationLabel {
    pub fn parse(op: &str) -> OperationLabel {
        match op {
            "CREATE" => OperationLabel::Create,
            "UPDATE" => OperationLabel::Update,
            "DELETE" => OperationLabel::Delete,
            "CONNECT" => OperationLabel::Connect,
            _ => OperationLabel::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OperationLabel::Create => "create",
            OperationLabel::Update => "update",
            OperationLabel::Delete => "delete",
            OperationLabel::Connect => "connect",
            OperationLabel::Other => "other",
        }
    }
}

/// `subresource` label; unknown subresources collapse into `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubresourceLabel {
    None,
    EphemeralContainers,
    Status,
    Resize,
    Other,
}

impl SubresourceLabel {
    pub fn parse(s: &str) -> SubresourceLabel {
        match s {
            "" => SubresourceLabel::None,
            "ephemeralcontainers" => SubresourceLabel::EphemeralContainers,
            "status" => SubresourceLabel::Status,
            "resize" => SubresourceLabel::Resize,
            _ => SubresourceLabel::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubresourceLabel::None => "",
            SubresourceLabel::EphemeralContainers => "ephemeralcontainers",
            SubresourceLabel::Status => "status",
            SubresourceLabel::Resize => "resize",
            SubresourceLabel::Other => "other",
        }
    }
}

/// One `pod_security_evaluations_total` increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Evaluation {
    /// `allow` or `deny` only.
    pub decision: Decision,
    pub level: Level,
    pub version: VersionLabel,
    pub mode: EvalMode,
}

/// One of podgate's additions that acted on the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    Images,
    Rules,
    Exceptions,
    Mutation,
}

impl Feature {
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Images => "images",
            Feature::Rules => "rules",
            Feature::Exceptions => "exceptions",
            Feature::Mutation => "mutation",
        }
    }
}

/// A podgate addition that found something (`podgate_findings_total{feature,
/// mode}` for example). `mode` is the configured mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureHit {
    pub feature: Feature,
    pub mode: crate::config::Mode,
}

/// The bounded description of one review, for metrics and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The response allowed the request.
    pub allowed: bool,
    pub decision: Decision,
    /// The mode that decided: `Enforce` for an evaluated pod, `Warn`/`Audit`
    /// when only those were evaluated (workloads), `None` when nothing was
    /// evaluated.
    pub mode: Option<EvalMode>,
    /// Level and version of the deciding policy (enforce for pods and
    /// namespaces), when one was evaluated.
    pub level: Option<Level>,
    pub version: Option<VersionLabel>,
    pub resource: ResourceLabel,
    pub operation: OperationLabel,
    pub subresource: SubresourceLabel,
    /// `pod_security_evaluations_total` increments, in upstream's order.
    pub evaluations: Vec<Evaluation>,
    /// `pod_security_exemptions_total` increments (0 or 1).
    pub exempt: bool,
    /// `pod_security_errors_total` increments: `fatal` per error.
    pub errors: Vec<bool>,
    /// podgate additions that found something.
    pub features: Vec<FeatureHit>,
    /// The mutating endpoint returned a patch.
    pub mutated: bool,
    /// The request was a dry run (evaluated the same way).
    pub dry_run: bool,
    /// What the request was about, for log lines.
    pub request: RequestIdentity,
}

/// A request's UID and its object's kind, namespace and name (empty when
/// the request does not say), for log lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestIdentity {
    pub uid: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Outcome {
    /// Copy the request's identity (for log lines).
    pub(crate) fn identify(&mut self, r: &crate::review::AdmissionRequest) {
        self.request = RequestIdentity {
            uid: r.uid.clone(),
            kind: r.kind.kind.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        };
    }

    pub(crate) fn new(
        resource: ResourceLabel,
        operation: OperationLabel,
        subresource: SubresourceLabel,
    ) -> Outcome {
        Outcome {
            allowed: true,
            decision: Decision::Allow,
            mode: None,
            level: None,
            version: None,
            resource,
            operation,
            subresource,
            evaluations: Vec::new(),
            exempt: false,
            errors: Vec::new(),
            features: Vec::new(),
            mutated: false,
            dry_run: false,
            request: RequestIdentity::default(),
        }
    }

    pub(crate) fn record(&mut self, decision: Decision, lv: LevelVersion, mode: EvalMode) {
        self.evaluations.push(Evaluation {
            decision,
            level: lv.level,
            version: VersionLabel::of(lv),
            mode,
        });
    }

    pub(crate) fn decided_by(&mut self, lv: LevelVersion, mode: EvalMode) {
        self.mode = Some(mode);
        self.level = Some(lv.level);
        self.version = Some(VersionLabel::of(lv));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podgate_core::pss::Version;

    #[test]
    fn version_labels_are_clamped() {
        let lv = |l, v| LevelVersion::new(l, v);
        assert_eq!(
            VersionLabel::of(lv(Level::Baseline, Version::minor(25))).to_string(),
            "v1.25"
        );
        assert_eq!(
            VersionLabel::of(lv(Level::Baseline, Version::minor(MAX_KNOWN_MINOR + 1))).to_string(),
            "future"
        );
        assert_eq!(
            VersionLabel::of(lv(Level::Privileged, Version::minor(3))).to_string(),
            "latest"
        );
        assert_eq!(
            VersionLabel::of(lv(Level::Restricted, Version::LATEST)).to_string(),
            "latest"
        );
    }
}
