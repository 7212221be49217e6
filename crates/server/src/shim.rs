//! TEMPORARY stand-in for `podgate-admission`
//! while those crates are being written; removed once they land.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RequestError(String);

#[derive(Default)]
pub struct AdmissionConfig {
    _v: Option<serde_json::Value>,
}
impl AdmissionConfig {
    pub fn from_yaml_value(v: serde_json::Value) -> Result<Self, ConfigError> {
        Ok(AdmissionConfig { _v: Some(v) })
    }
}

pub trait NamespaceLookup: Send + Sync {
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>>;
}
pub trait PodLister: Send + Sync {
    fn pods(&self, namespace: &str) -> Vec<podgate_core::model::PodTemplate>;
}

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub allowed: bool,
}

pub struct Admission {
    ns: Arc<dyn NamespaceLookup>,
}
impl Admission {
    pub fn new(_c: AdmissionConfig, ns: Arc<dyn NamespaceLookup>, _p: Arc<dyn PodLister>) -> Self {
        Admission { ns }
    }
    fn answer(&self, body: &[u8]) -> Result<(Vec<u8>, Outcome), RequestError> {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| RequestError(format!("malformed JSON: {e}")))?;
        let uid = v["request"]["uid"]
            .as_str()
            .ok_or_else(|| RequestError("missing request.uid".into()))?;
        let ns = v["request"]["namespace"].as_str().unwrap_or("");
        let allowed = !self.ns.labels(ns).is_some_and(|l| {
            l.get("pod-security.kubernetes.io/enforce")
                .map(String::as_str)
                == Some("restricted")
        });
        let out = serde_json::json!({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
            "response":{"uid":uid,"allowed":allowed}});
        Ok((serde_json::to_vec(&out).unwrap(), Outcome { allowed }))
    }
    pub fn validate(&self, body: &[u8], _now: Instant) -> Result<(Vec<u8>, Outcome), RequestError> {
        self.answer(body)
    }
    pub fn mutate(&self, body: &[u8], _now: Instant) -> Result<(Vec<u8>, Outcome), RequestError> {
        self.answer(body)
    }
    pub fn image_review(&self, body: &[u8]) -> Result<(Vec<u8>, Outcome), RequestError> {
        self.answer(body)
    }
}
