//! podgate's additions to PodSecurity admission: image policy, hardening
//! rules and per-workload exceptions. Each has its own [`Mode`]; all are off
//! by default, and when off nothing here runs, so responses are exactly
//! upstream's.
//!
//! Image and rule evaluation sit behind two small traits so that the
//! decision logic does not depend on how the policies are implemented:
//! [`ImageCheck`] and [`RuleCheck`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use podgate_core::image::ImagePolicy;
use podgate_core::model::PodTemplate;
use podgate_core::pss::{CheckId, Violation};
use podgate_core::rules;

use crate::config::{
    pod_controllers, Date, Exception, ExceptionsConfig, FindingId, Mode, Severity, Subject,
};
use crate::policy::go_quote;

/// Audit annotation keys of podgate's additions (no `/`: the API server
/// prefixes them).
pub const IMAGE_VIOLATIONS_ANNOTATION: &str = "podgate-image-violations";
pub const RULE_VIOLATIONS_ANNOTATION: &str = "podgate-rule-violations";
pub const EXCEPTIONS_ANNOTATION: &str = "podgate-exceptions";

/// One image policy violation for one image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFinding {
    /// Stable code, also what exceptions name (`image:<code>`).
    pub code: String,
    pub message: String,
}

/// Evaluates an image reference against the configured image policy.
pub trait ImageCheck: Send + Sync {
    fn check(&self, image: &str) -> Vec<ImageFinding>;
}

/// One hardening-rule finding for a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleHit {
    /// Rule ID, also what exceptions name (`rule:<id>`).
    pub rule: String,
    pub severity: Severity,
    pub message: String,
}

/// Evaluates hardening rules against a pod (metadata and spec) that comes
/// from a workload of `kind` (`Pod`, `Deployment`, `CronJob`, ...).
pub trait RuleCheck: Send + Sync {
    fn check(&self, kind: &str, pod: &PodTemplate) -> Vec<RuleHit>;
}

/// An image violation located in the pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageViolation {
    /// Where: `container "web"` (the finding's message names the image).
    pub location: String,
    pub finding: ImageFinding,
}

/// `container "web": message, ...`
pub(crate) fn format_images(v: &[ImageViolation]) -> String {
    v.iter()
        .map(|x| format!("{}: {}", x.location, x.finding.message))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rule (message), ...`
pub(crate) fn format_rules(v: &[RuleHit]) -> String {
    v.iter()
        .map(|x| format!("{} ({})", x.rule, x.message))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The exceptions that match one workload, and what they waived.
pub(crate) struct Waiver<'a> {
    entries: Vec<(usize, &'a Exception)>,
    /// Exceptions mode is `enforce`: covered findings are removed.
    apply: bool,
    mode: Mode,
    hits: BTreeMap<usize, BTreeSet<String>>,
}

impl<'a> Waiver<'a> {
    pub fn none() -> Waiver<'a> {
        Waiver {
            entries: Vec::new(),
            apply: false,
            mode: Mode::Off,
            hits: BTreeMap::new(),
        }
    }

    /// Exceptions whose selectors match `subject` and that have not
    /// expired by `today`.
    pub fn new(cfg: &'a ExceptionsConfig, subject: &Subject<'_>, today: Date) -> Waiver<'a> {
        let mode = cfg.mode();
        if mode.is_off() {
            return Waiver::none();
        }
        let entries = cfg
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_active(today) && e.applies_to(subject))
            .collect();
        Waiver {
            entries,
            apply: mode == Mode::Enforce,
            mode,
            hits: BTreeMap::new(),
        }
    }

    /// [`Waiver::new`] for `pod` (a pod, or a workload's pod template) of
    /// `kind` named `name` in `namespace`: the labels are the pod's
    /// (template's), the images those of every container. When `is_pod`,
    /// `kinds` and `names` may also match the workloads the pod's
    /// `ownerReferences` name ([`pod_controllers`]), so that an exception
    /// written for a DaemonSet or Deployment, which `podgate scan` applies
    /// to the workload, also applies to its Pods here. That adds no power:
    /// the pod's creator writes its ownerReferences, labels and name alike,
    /// so `namespaces` (and `images`) bound who can use an exception, not
    /// `kinds` and `names` (see [`pod_controllers`]). A workload's template
    /// has no owners of its own: the workload is matched by its own kind
    /// and name.
    pub fn for_pod(
        cfg: &'a ExceptionsConfig,
        namespace: &str,
        kind: &str,
        name: &str,
        pod: &PodTemplate,
        is_pod: bool,
        today: Date,
    ) -> Waiver<'a> {
        // The common case (no exceptions configured) skips collecting the
        // subject's images and controllers.
        if cfg.entries.is_empty() || cfg.mode().is_off() {
            return Waiver::none();
        }
        let subject = Subject {
            namespace,
            kind,
            name,
            controllers: if is_pod {
                pod_controllers(&pod.metadata)
            } else {
                Vec::new()
            },
            labels: &pod.metadata.labels,
            images: pod
                .spec
                .all_containers()
                .map(|(_, _, c)| c.image.as_str())
                .collect(),
        };
        Waiver::new(cfg, &subject, today)
    }

    fn covering(&self, finding: FindingId<'_>) -> Option<usize> {
        self.entries
            .iter()
            .find(|(_, e)| e.covers(finding))
            .map(|(i, _)| *i)
    }

    /// Keep a finding unless an exception in effect covers it; remember
    /// which exception covered what either way.
    fn keep(&mut self, covered_by: Option<usize>, id: String) -> bool {
        match covered_by {
            Some(i) => {
                self.hits.entry(i).or_default().insert(id);
                !self.apply
            }
            None => true,
        }
    }

    pub fn pss(&mut self, v: Vec<Violation>) -> Vec<Violation> {
        if self.entries.is_empty() {
            return v;
        }
        v.into_iter()
            .filter(|x| {
                let id: CheckId = x.check;
                let by = self.covering(FindingId::Check(id));
                self.keep(by, id.as_str().to_string())
            })
            .collect()
    }

    pub fn images(&mut self, v: Vec<ImageViolation>) -> Vec<ImageViolation> {
        if self.entries.is_empty() {
            return v;
        }
        v.into_iter()
            .filter(|x| {
                let by = self.covering(FindingId::Image(&x.finding.code));
                self.keep(by, format!("image:{}", x.finding.code))
            })
            .collect()
    }

    pub fn rules(&mut self, v: Vec<RuleHit>) -> Vec<RuleHit> {
        if self.entries.is_empty() {
            return v;
        }
        v.into_iter()
            .filter(|x| {
                let by = self.covering(FindingId::Rule(&x.rule));
                self.keep(by, format!("rule:{}", x.rule))
            })
            .collect()
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `exceptions[0] waived runAsNonRoot, image:latest (reason: "..."; expires 2027-06-30)`,
    /// one entry per exception that covered something, joined with `; `.
    pub fn report(&self) -> Option<String> {
        if self.hits.is_empty() {
            return None;
        }
        let verb = if self.apply { "waived" } else { "would waive" };
        let parts: Vec<String> = self
            .hits
            .iter()
            .filter_map(|(i, ids)| {
                let e = self.entries.iter().find(|(j, _)| j == i)?.1;
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                let expires = e
                    .expires
                    .map(|d| format!("; expires {d}"))
                    .unwrap_or_default();
                Some(format!(
                    "exceptions[{i}] {verb} {} (reason: {}{expires})",
                    ids.join(", "),
                    go_quote(&e.reason)
                ))
            })
            .collect();
        Some(parts.join("; "))
    }
}

/// [`ImageCheck`] over `podgate_core::image::ImagePolicy`.
struct CoreImagePolicy(ImagePolicy);

impl ImageCheck for CoreImagePolicy {
    fn check(&self, image: &str) -> Vec<ImageFinding> {
        self.0
            .evaluate(image)
            .into_iter()
            .map(|v| ImageFinding {
                code: v.code.as_str().to_string(),
                message: v.message,
            })
            .collect()
    }
}

/// [`RuleCheck`] over `podgate_core::rules`, running the configured rules
/// (or the default ones).
struct CoreRules(Option<Vec<String>>);

impl RuleCheck for CoreRules {
    fn check(&self, kind: &str, pod: &PodTemplate) -> Vec<RuleHit> {
        let enabled = |r: &rules::RuleInfo| match &self.0 {
            Some(ids) => ids.iter().any(|id| id == r.id),
            None => r.default_enabled,
        };
        rules::evaluate(&rules::RuleContext::new(kind), pod, &enabled)
            .into_iter()
            .map(|f| RuleHit {
                rule: f.rule.to_string(),
                severity: f.severity,
                message: f.message,
            })
            .collect()
    }
}

/// The image policy from the configuration.
pub(crate) fn builtin_image_check(cfg: &crate::config::ImageConfig) -> Option<Arc<dyn ImageCheck>> {
    Some(Arc::new(CoreImagePolicy(cfg.policy.clone())))
}

/// The hardening rules from the configuration.
pub(crate) fn builtin_rule_check(cfg: &crate::config::RulesConfig) -> Option<Arc<dyn RuleCheck>> {
    Some(Arc::new(CoreRules(cfg.enabled.clone())))
}
