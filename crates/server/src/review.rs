//! The seam between HTTP and the admission engine.
//!
//! Handlers only see [`Reviewer`]: bytes in, response bytes plus bounded
//! metric labels out, or a short client-facing error for a request that is
//! not an AdmissionReview at all. [`EngineReviewer`] adapts
//! `podgate_admission::Admission` to it.

use std::sync::Arc;
use std::time::Instant;

use podgate_admission as admission;

/// Which webhook path a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Validate,
    Mutate,
    ImageReview,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
            Endpoint::ImageReview => "imagereview",
        }
    }
}

/// One Pod Security evaluation (a mode at a level and version) that counts
/// toward `pod_security_evaluations_total`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// `privileged`, `baseline` or `restricted`.
    pub level: &'static str,
    /// `latest` or `v1.N`, clamped to the newest known version.
    pub version: String,
    /// `enforce`, `audit` or `warn`.
    pub mode: &'static str,
}

/// A review the engine answered.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// The serialized `AdmissionReview` (or `ImageReview`) response.
    pub body: Vec<u8>,
    /// `allow`, `deny`, `exempt` or `error` (the engine's overall decision).
    pub decision: &'static str,
    /// Lower-case operation (`create`, `update`, …) or `none`.
    pub operation: &'static str,
    /// Resource (`pods`, `deployments`, …; `other` beyond the known set).
    pub resource: &'static str,
    /// Subresource (`""`, `ephemeralcontainers`, …).
    pub subresource: &'static str,
    pub evaluations: Vec<Evaluation>,
    pub exempt: bool,
    /// One entry per evaluation error; `true` when it was fatal.
    pub errors: Vec<bool>,
    /// What the request was about, for the log line.
    pub request: admission::RequestIdentity,
}

impl Verdict {
    pub fn decision(&self) -> &'static str {
        if self.decision.is_empty() {
            "allow"
        } else {
            self.decision
        }
    }
}

/// A request that could not be answered with an AdmissionResponse (HTTP 400).
/// The message is short and safe to show the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// Answers admission requests. Implementations are synchronous and fast;
/// `deadline` bounds any fan-out (the namespace dry-run).
pub trait Reviewer: Send + Sync + 'static {
    fn review(
        &self,
        endpoint: Endpoint,
        body: &[u8],
        deadline: Instant,
    ) -> Result<Verdict, BadRequest>;
}

/// [`Reviewer`] over the podgate admission engine.
pub struct EngineReviewer {
    engine: admission::Admission,
}

impl EngineReviewer {
    pub fn new(engine: admission::Admission) -> Arc<Self> {
        Arc::new(EngineReviewer { engine })
    }
}

impl Reviewer for EngineReviewer {
    fn review(
        &self,
        endpoint: Endpoint,
        body: &[u8],
        deadline: Instant,
    ) -> Result<Verdict, BadRequest> {
        let result = match endpoint {
            Endpoint::Validate => self.engine.validate(body, deadline),
            Endpoint::Mutate => self.engine.mutate(body, deadline),
            Endpoint::ImageReview => self.engine.image_review(body),
        };
        let (body, mut o) = result.map_err(|e| BadRequest(e.to_string()))?;
        Ok(Verdict {
            request: std::mem::take(&mut o.request),
            body,
            decision: o.decision.as_str(),
            operation: o.operation.as_str(),
            resource: o.resource.as_str(),
            subresource: o.subresource.as_str(),
            evaluations: o
                .evaluations
                .iter()
                .map(|e| Evaluation {
                    decision: e.decision.as_str(),
                    level: e.level.as_str(),
                    version: e.version.to_string(),
                    mode: e.mode.as_str(),
                })
                .collect(),
            exempt: o.exempt,
            errors: o.errors,
        })
    }
}
