//! podgate-admission: AdmissionReview decisions over the podgate core.
//!
//! This crate turns an `admission.k8s.io/v1` AdmissionReview (bytes in) into
//! an AdmissionReview response (bytes out), with the semantics of the
//! built-in PodSecurity admission controller
//! (`k8s.io/pod-security-admission/admission`), plus podgate's additions
//! (image policy, hardening rules, per-workload exceptions, mutation), each
//! off unless configured.
//!
//! It must not do I/O, spawn threads or use an async runtime: the cluster is
//! reached only through the two lookup traits ([`NamespaceLookup`],
//! [`PodLister`]) that the server implements (informer caches), and the only
//! clock reads are the namespace dry-run deadline and the exception expiry
//! date. Evaluation takes microseconds, so callers run it inline.
//!
//! | request | upstream behaviour reproduced |
//! | --- | --- |
//! | pod CREATE/UPDATE | enforce → 403 Forbidden; audit → `audit-violations`; warn → warning (not on a denied request); `enforce-policy` annotation; updates evaluated only when an image or a seccomp annotation changed, or containers were added |
//! | pod subresource | `exec attach binding eviction log portforward proxy status` ignored; any other (`ephemeralcontainers`, `resize`, …) evaluated as a pod update |
//! | workload CREATE/UPDATE | never denied: warn and audit of the pod template |
//! | namespace CREATE/UPDATE | invalid labels → 422 Invalid; a tightened enforce level → warnings about existing pods (one pod per controller first, ≤ 3000 pods, ≤ 1 s) |
//! | exemptions | namespace, user, runtime class → allowed with `exempt` annotation |
//! | errors | pods fail closed (400/500), workloads fail open (`error` annotation) |
//!
//! See [`validate`](Admission::validate), [`mutate`](Admission::mutate) and
//! [`image_review`](Admission::image_review).

pub mod config;
pub mod extras;
pub mod mutate;
pub mod outcome;
pub mod policy;

mod image_review;
mod resource;
mod review;
mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use podgate_core::model::PodTemplate;

pub use config::{AdmissionConfig, ConfigError, Mode};
pub use extras::{ImageCheck, ImageFinding, RuleCheck, RuleHit};
pub use outcome::{
    Decision, EvalMode, Evaluation, Feature, FeatureHit, OperationLabel, Outcome, RequestIdentity,
    ResourceLabel, SubresourceLabel, VersionLabel,
};
pub use policy::Policy;

/// Namespace labels, from the server's namespace cache.
pub trait NamespaceLookup: Send + Sync {
    /// The labels of namespace `name`; `None` when the namespace is unknown
    /// (treated like upstream's failed lookup: pods are denied with 500,
    /// workloads allowed with an `error` annotation).
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>>;

    /// What the engine calls: the labels, or the lookup error's text (as
    /// Go's `err.Error()`, for the `error` audit annotation). The default
    /// is [`labels`](Self::labels) with upstream's not-found error; a
    /// source that can ask the API server on a cache miss (upstream's
    /// `NamespaceGetterFromListerAndClient`) overrides it.
    /// `deadline` is the API server's deadline for the review: a source that
    /// asks the API server must answer by then (upstream passes the
    /// request's context).
    fn lookup(&self, name: &str, deadline: Instant) -> Result<BTreeMap<String, String>, String> {
        let _ = deadline;
        self.labels(name).ok_or_else(|| namespace_not_found(name))
    }
}

/// `namespaces "x" not found`, the error the API server returns for a
/// namespace that does not exist.
pub fn namespace_not_found(name: &str) -> String {
    format!("namespaces {} not found", policy::go_quote(name))
}

/// The pods of a namespace, for the dry run when a namespace's enforce level
/// is tightened.
pub trait PodLister: Send + Sync {
    /// All the pods of `namespace`, or an error when they could not be
    /// listed by `deadline` (the end of the dry run: upstream lists under
    /// the same deadline). The dry run then warns as upstream does: `failed
    /// to list pods while checking new PodSecurity enforce level`.
    fn pods(&self, namespace: &str, deadline: Instant) -> Result<Vec<PodTemplate>, PodListError>;
}

/// The pods of a namespace could not be listed. The text is for logs only;
/// the response carries upstream's fixed warning.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PodListError(pub String);

/// The request body is not a review at all; the server answers HTTP 400
/// with this message (which never contains internal details).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("unable to decode the request")]
    Decode(#[source] serde_json::Error),
    #[error("unexpected {expected} kind: {found}")]
    UnexpectedKind {
        expected: &'static str,
        /// `group/version, Kind=kind`, as Go prints a GroupVersionKind.
        found: String,
    },
    #[error("AdmissionReview has no request")]
    MissingRequest,
    #[error("unable to encode the response")]
    Encode(#[source] serde_json::Error),
}

/// The admission decision maker. Cheap to share (`Arc<Admission>`); all
/// methods take `&self`.
pub struct Admission {
    pub(crate) config: AdmissionConfig,
    pub(crate) defaults: Policy,
    pub(crate) namespaces: Arc<dyn NamespaceLookup>,
    pub(crate) pods: Arc<dyn PodLister>,
    pub(crate) images: Option<Arc<dyn ImageCheck>>,
    pub(crate) rules: Option<Arc<dyn RuleCheck>>,
    pub(crate) wall_clock: fn() -> SystemTime,
    pub(crate) max_pods_to_check: usize,
    pub(crate) pod_check_timeout: std::time::Duration,
}

/// By when one review must be done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadlines {
    /// The API server's deadline for the call.
    pub request: Instant,
    /// The end of the namespace dry run.
    pub dry_run: Instant,
}

impl Deadlines {
    /// Upstream `EvaluatePodsInNamespace`: the dry run gets `timeout` (1 s),
    /// but never more than half of the time left before the request's
    /// deadline.
    pub(crate) fn new(now: Instant, request: Instant, timeout: std::time::Duration) -> Self {
        let budget = (request.saturating_duration_since(now) / 2).min(timeout);
        Deadlines {
            request,
            dry_run: now + budget,
        }
    }
}

/// Upstream `defaultNamespaceMaxPodsToCheck`.
pub const NAMESPACE_MAX_PODS_TO_CHECK: usize = 3000;
/// Upstream `defaultNamespacePodCheckTimeout`.
pub const NAMESPACE_POD_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

impl Admission {
    pub fn new(
        config: AdmissionConfig,
        namespaces: Arc<dyn NamespaceLookup>,
        pods: Arc<dyn PodLister>,
    ) -> Self {
        let defaults = config.defaults.policy();
        let images = extras::builtin_image_check(&config.images);
        let rules = extras::builtin_rule_check(&config.rules);
        Admission {
            config,
            defaults,
            namespaces,
            pods,
            images,
            rules,
            wall_clock: SystemTime::now,
            max_pods_to_check: NAMESPACE_MAX_PODS_TO_CHECK,
            pod_check_timeout: NAMESPACE_POD_CHECK_TIMEOUT,
        }
    }

    /// Use another image policy implementation (the configured `images.mode`
    /// still decides what its findings do).
    pub fn with_image_check(mut self, check: Arc<dyn ImageCheck>) -> Self {
        self.images = Some(check);
        self
    }

    /// Use another rules implementation (the configured `rules.mode` and
    /// `rules.minSeverity` still apply).
    pub fn with_rule_check(mut self, check: Arc<dyn RuleCheck>) -> Self {
        self.rules = Some(check);
        self
    }

    /// Replace the wall clock used for exception expiry (tests).
    pub fn with_wall_clock(mut self, clock: fn() -> SystemTime) -> Self {
        self.wall_clock = clock;
        self
    }

    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// Validate an AdmissionReview (the validating webhook). `deadline` is
    /// the API server's deadline for the call (its `?timeout=`): a namespace
    /// fetched live must arrive by then, and the namespace dry run gets
    /// upstream's budget, 1 s but at most half of the time left.
    pub fn validate(
        &self,
        review: &[u8],
        deadline: Instant,
    ) -> Result<(Vec<u8>, Outcome), RequestError> {
        let request = review::parse_admission_review(review, true)?;
        let deadlines = Deadlines::new(Instant::now(), deadline, self.pod_check_timeout);
        let (response, outcome) = self.validate_request(&request, deadlines);
        Ok((review::encode_admission_review(&response)?, outcome))
    }

    /// Mutate an AdmissionReview (the mutating webhook): a JSON Patch that
    /// moves pods and pod templates toward the restricted level without
    /// overriding anything set explicitly. See [`mutate`].
    pub fn mutate(
        &self,
        review: &[u8],
        deadline: Instant,
    ) -> Result<(Vec<u8>, Outcome), RequestError> {
        // Mutation looks nothing up.
        let _ = deadline;
        // The patch is computed on the raw object: keep it.
        let request = review::parse_admission_review(review, false)?;
        let (response, outcome) = self.mutate_request(&request);
        Ok((review::encode_admission_review(&response)?, outcome))
    }

    /// Answer an `imagepolicy.k8s.io/v1alpha1` ImageReview (the
    /// ImagePolicyWebhook admission plugin) with the image policy.
    pub fn image_review(&self, review: &[u8]) -> Result<(Vec<u8>, Outcome), RequestError> {
        image_review::handle(self, review)
    }

    pub(crate) fn today(&self) -> config::Date {
        config::Date::from_system_time((self.wall_clock)())
    }

    pub(crate) fn exempt_namespace(&self, ns: &str) -> bool {
        !ns.is_empty() && self.config.exemptions.namespaces.iter().any(|n| n == ns)
    }

    pub(crate) fn exempt_user(&self, user: &str) -> bool {
        !user.is_empty() && self.config.exemptions.usernames.iter().any(|u| u == user)
    }

    pub(crate) fn exempt_runtime_class(&self, rc: Option<&str>) -> bool {
        match rc {
            Some(rc) if !rc.is_empty() => self
                .config
                .exemptions
                .runtime_classes
                .iter()
                .any(|r| r == rc),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Upstream `EvaluatePodsInNamespace`: 1 s, but at most half of the
    /// time left before the request's deadline.
    #[test]
    fn dry_run_takes_at_most_half_the_time_left() {
        let now = Instant::now() + Duration::from_secs(100);
        let full = NAMESPACE_POD_CHECK_TIMEOUT;
        let d = |left_ms: u64| Deadlines::new(now, now + Duration::from_millis(left_ms), full);
        // Plenty of time: the 1 s budget applies.
        assert_eq!(d(10_000).dry_run, now + full);
        assert_eq!(d(10_000).request, now + Duration::from_secs(10));
        // Short timeouts: half of what is left.
        assert_eq!(d(500).dry_run, now + Duration::from_millis(250));
        assert_eq!(d(1500).dry_run, now + Duration::from_millis(750));
        // At or past the deadline: no time at all.
        assert_eq!(d(0).dry_run, now);
        let late = Deadlines::new(now, now - Duration::from_secs(1), full);
        assert_eq!(late.dry_run, now);
    }
}
