//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.
//!
//! The `pod_security_*` families keep the names and label names of upstream
//! Pod Security Admission (`k8s.io/pod-security-admission/metrics`), so
//! existing dashboards and alerts work. Every label value is bounded: fixed
//! enums, a clamped policy version, never an object name or error text.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::review::{Endpoint, Verdict};

/// `pod_security_evaluations_total`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EvaluationLabels {
    pub decision: &'static str,
    pub policy_level: &'static str,
    pub policy_version: String,
    pub mode: &'static str,
    pub request_operation: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
}

/// `pod_security_exemptions_total`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExemptionLabels {
    pub request_operation: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
}

/// `pod_security_errors_total`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub fatal: &'static str,
    pub request_operation: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
}

/// `podgate_admission_requests_total`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub endpoint: &'static str,
    pub code: &'static str,
    pub decision: &'static str,
}

/// `podgate_admission_request_duration_seconds`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DurationLabels {
    pub endpoint: &'static str,
}

/// `podgate_tls_certificate_reloads_total`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    pub result: &'static str,
}

/// All metric families and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    evaluations: Family<EvaluationLabels, Counter>,
    exemptions: Family<ExemptionLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    duration: Family<DurationLabels, Histogram>,
    reloads: Family<ReloadLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn duration_histogram() -> Histogram {
    Histogram::new([
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let evaluations = Family::<EvaluationLabels, Counter>::default();
        let exemptions = Family::<ExemptionLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Family::<DurationLabels, Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        // prometheus-client appends `_total` to counter names.
        registry.register(
            "pod_security_evaluations",
            "Number of policy evaluations that occurred, not counting ignored or exempt requests",
            evaluations.clone(),
        );
        registry.register(
            "pod_security_exemptions",
            "Number of exempt requests, not counting ignored or out of scope requests",
            exemptions.clone(),
        );
        registry.register(
            "pod_security_errors",
            "Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation",
            errors.clone(),
        );
        registry.register(
            "podgate_admission_requests",
            "Admission webhook HTTP requests by endpoint, status code and decision",
            requests.clone(),
        );
        registry.register(
            "podgate_admission_request_duration_seconds",
            "Time from request received to response ready, by endpoint",
            duration.clone(),
        );
        registry.register(
            "podgate_tls_certificate_reloads",
            "Serving certificate reload attempts by result",
            reloads.clone(),
        );
        Metrics {
            registry,
            evaluations,
            exemptions,
            errors,
            requests,
            duration,
            reloads,
        }
    }

    /// Record what the engine reported for one review.
    pub fn record_verdict(&self, v: &Verdict) {
        for e in &v.evaluations {
            self.evaluations
                .get_or_create(&EvaluationLabels {
                    decision: e.decision,
                    policy_level: e.level,
                    policy_version: e.version.clone(),
                    mode: e.mode,
                    request_operation: v.operation,
                    resource: v.resource,
                    subresource: v.subresource,
                })
                .inc();
        }
        if v.exempt {
            self.exemptions
                .get_or_create(&ExemptionLabels {
                    request_operation: v.operation,
                    resource: v.resource,
                    subresource: v.subresource,
                })
                .inc();
        }
        for fatal in &v.errors {
            self.errors
                .get_or_create(&ErrorLabels {
                    fatal: if *fatal { "true" } else { "false" },
                    request_operation: v.operation,
                    resource: v.resource,
                    subresource: v.subresource,
                })
                .inc();
        }
    }

    /// Record one HTTP request on an admission endpoint.
    pub fn record_request(
        &self,
        endpoint: Endpoint,
        code: u16,
        decision: &'static str,
        elapsed: Duration,
    ) {
        let code = match code {
            200 => "200",
            400 => "400",
            413 => "413",
            415 => "415",
            500 => "500",
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.as_str(),
                code,
                decision,
            })
            .inc();
        self.duration
            .get_or_create(&DurationLabels {
                endpoint: endpoint.as_str(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Record a certificate reload attempt.
    pub fn record_reload(&self, ok: bool) {
        self.reloads
            .get_or_create(&ReloadLabels {
                result: if ok { "success" } else { "error" },
            })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Shared handle.
pub type SharedMetrics = Arc<Metrics>;
