//! Wire types: `admission.k8s.io/v1` AdmissionReview and
//! `imagepolicy.k8s.io/v1alpha1` ImageReview.
//!
//! Written by hand rather than taken from kube-core because the response's
//! `patch` must be a base64 string next to `patchType: "JSONPatch"` (kube-rs
//! serialises it as an array of numbers, kube-rs#1781), and because only the
//! fields PodSecurity admission reads are needed. Requests are decoded like
//! the API machinery does: unknown fields are ignored, `null` means unset.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

pub(crate) const ADMISSION_API_VERSION: &str = "admission.k8s.io/v1";
pub(crate) const ADMISSION_KIND: &str = "AdmissionReview";
pub(crate) const IMAGE_REVIEW_API_VERSION: &str = "imagepolicy.k8s.io/v1alpha1";
pub(crate) const IMAGE_REVIEW_KIND: &str = "ImageReview";

/// `null` → `T::default()`, as Go does for strings, slices and maps.
fn nd<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdmissionReviewIn {
    #[serde(default, deserialize_with = "nd")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
    #[serde(default)]
    pub request: Option<AdmissionRequest>,
}

#[derive(Debug, Default, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct GroupVersionKind {
    #[serde(default, deserialize_with = "nd")]
    pub group: String,
    #[serde(default, deserialize_with = "nd")]
    pub version: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
}

#[derive(Debug, Default, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct GroupVersionResource {
    #[serde(default, deserialize_with = "nd")]
    pub group: String,
    #[serde(default, deserialize_with = "nd")]
    pub version: String,
    #[serde(default, deserialize_with = "nd")]
    pub resource: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UserInfo {
    #[serde(default, deserialize_with = "nd")]
    pub username: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdmissionRequest {
    #[serde(default, deserialize_with = "nd")]
    pub uid: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: GroupVersionKind,
    #[serde(default, deserialize_with = "nd")]
    pub resource: GroupVersionResource,
    #[serde(default)]
    pub sub_resource: Option<String>,
    #[serde(default)]
    pub request_sub_resource: Option<String>,
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nd")]
    pub operation: String,
    #[serde(default, deserialize_with = "nd")]
    pub user_info: UserInfo,
    /// The objects are kept as raw JSON and decoded straight into the typed
    /// model where needed: building a `serde_json::Value` tree first cost
    /// more than the whole Pod Security evaluation. `null` decodes as `None`.
    #[serde(default)]
    pub object: Option<Box<RawValue>>,
    #[serde(default)]
    pub old_object: Option<Box<RawValue>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest {
    /// The subresource as upstream reads it (`requestSubResource`), falling
    /// back to `subResource` for hand-written requests that only set that.
    pub fn subresource(&self) -> &str {
        self.request_sub_resource
            .as_deref()
            .or(self.sub_resource.as_deref())
            .unwrap_or("")
    }

    /// The object (absent or JSON `null`: `None`).
    pub fn object(&self) -> Option<&RawValue> {
        self.object.as_deref()
    }

    pub fn old_object(&self) -> Option<&RawValue> {
        self.old_object.as_deref()
    }
}

/// `metav1.Status`, field order as Go encodes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Status {
    pub metadata: EmptyObject,
    pub status: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    pub code: u16,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct EmptyObject {}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct StatusCause {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub reason: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// `admission.k8s.io/v1` AdmissionResponse.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Base64 of the JSON Patch document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl AdmissionResponse {
    pub fn allowed() -> Self {
        AdmissionResponse {
            allowed: true,
            ..Default::default()
        }
    }

    pub fn with_annotation(mut self, key: &str, value: impl Into<String>) -> Self {
        self.audit_annotations.insert(key.to_string(), value.into());
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdmissionReviewOut<'a> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub response: &'a AdmissionResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageReviewIn {
    #[serde(default, deserialize_with = "nd")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
    #[serde(default, deserialize_with = "nd")]
    pub spec: ImageReviewSpec,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImageReviewSpec {
    #[serde(default, deserialize_with = "nd")]
    pub containers: Vec<ImageReviewContainer>,
    /// Decoded for completeness; the image policy does not read them (no
    /// break-glass annotation is honoured).
    #[serde(default, deserialize_with = "nd")]
    #[allow(dead_code)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nd")]
    pub namespace: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImageReviewContainer {
    #[serde(default, deserialize_with = "nd")]
    pub image: String,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageReviewStatus {
    pub allowed: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageReviewOut<'a> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub status: &'a ImageReviewStatus,
}

/// Go's `GroupVersionKind.String()` for an `apiVersion` and `kind`.
pub(crate) fn gvk_string(api_version: &str, kind: &str) -> String {
    match api_version.split_once('/') {
        Some((g, v)) => format!("{g}/{v}, Kind={kind}"),
        None => format!("/{api_version}, Kind={kind}"),
    }
}

/// Decode an AdmissionReview. Like upstream's decoder with a default kind,
/// a body without `apiVersion`/`kind` is taken as `admission.k8s.io/v1`.
pub(crate) fn parse_admission_review(body: &[u8]) -> Result<AdmissionRequest, crate::RequestError> {
    // UTF-8 is checked once for the whole body, so that neither the raw
    // objects nor each string are validated again (the `str` reader trusts
    // its input); invalid bytes get serde_json's own error and position.
    let review: AdmissionReviewIn = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
    .map_err(crate::RequestError::Decode)?;
    let api_version = if review.api_version.is_empty() {
        ADMISSION_API_VERSION
    } else {
        review.api_version.as_str()
    };
    let kind = if review.kind.is_empty() {
        ADMISSION_KIND
    } else {
        review.kind.as_str()
    };
    if api_version != ADMISSION_API_VERSION || kind != ADMISSION_KIND {
        return Err(crate::RequestError::UnexpectedKind {
            expected: ADMISSION_KIND,
            found: gvk_string(api_version, kind),
        });
    }
    review.request.ok_or(crate::RequestError::MissingRequest)
}

pub(crate) fn encode_admission_review(
    response: &AdmissionResponse,
) -> Result<Vec<u8>, crate::RequestError> {
    serde_json::to_vec(&AdmissionReviewOut {
        api_version: ADMISSION_API_VERSION,
        kind: ADMISSION_KIND,
        response,
    })
    .map_err(crate::RequestError::Encode)
}
