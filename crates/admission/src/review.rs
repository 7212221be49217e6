//! Wire types: `admission.k8s.io/v1` AdmissionReview and
//! `imagepolicy.k8s.io/v1alpha1` ImageReview.
//!
//! Written by hand rather than taken from kube-core because the response's
//! `patch` must be a base64 string next to `patchType: "JSONPatch"` (kube-rs
//! serialises it as an array of numbers, kube-rs#1781), and because only the
//! fields PodSecurity admission reads are needed. Requests are decoded like
//! the API machinery does: unknown fields are ignored, `null` means unset.

use std::collections::BTreeMap;

use podgate_core::model::PodTemplate;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
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

/// A `T` that must be written as a JSON object. serde's derived struct
/// decoders also take an array of the field values in order, which Go's
/// `encoding/json` (and so the API server) rejects: `[]` must not decode
/// as an empty review.
#[derive(Debug)]
pub(crate) struct JsonObject<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = JsonObject<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonObject<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(JsonObject)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The envelope; `R` is [`AdmissionRequest`], or [`PodsDecoded`] for the
/// single-pass decode of pod reviews.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "R: Deserialize<'de>"))]
pub(crate) struct AdmissionReviewIn<R> {
    #[serde(default, deserialize_with = "nd")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nd")]
    pub kind: String,
    #[serde(default)]
    pub request: Option<JsonObject<R>>,
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
    /// `object`, already decoded as a pod by [`PodsDecoded`] (then
    /// `object` is `None`). Only ever set for `pods` requests.
    #[serde(skip)]
    pub pod: Option<Box<PodTemplate>>,
    /// `oldObject`, likewise.
    #[serde(skip)]
    pub old_pod: Option<Box<PodTemplate>>,
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

    /// Whether this is a request on core `pods` (or one of its
    /// subresources).
    pub fn is_pods(&self) -> bool {
        crate::resource::Resource::classify(&self.resource) == crate::resource::Resource::Pod
    }
}

/// An [`AdmissionRequest`] decoded in one pass: when `resource` says `pods`
/// before `object` comes (the order kube-apiserver writes), the objects
/// are decoded straight into [`PodTemplate`]s instead of being kept as raw
/// JSON and decoded again later. Keeping a raw object means scanning it
/// once to find its end and once more to decode it; for a typical pod
/// review that first scan was about a third of the engine's work.
///
/// Accepts exactly what the derived [`AdmissionRequest`] decoder accepts
/// or fails (also on duplicate fields, which serde rejects); it fails
/// where the pod itself does not decode. The caller then decodes the
/// body the usual way, so errors, and what upstream does with an object
/// it never decodes (a privileged namespace), stay as they were.
#[derive(Debug)]
pub(crate) struct PodsDecoded(pub AdmissionRequest);

/// `null` or a JSON object decoded as a [`PodTemplate`]. Only an object:
/// a derived struct decoder would also take an array of field values,
/// which the raw path rejects (`expected an object, got array`).
struct PodObject;

impl<'de> DeserializeSeed<'de> for PodObject {
    type Value = Option<Box<PodTemplate>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Box<PodTemplate>>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a pod object or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(Obj).map(|p| Some(Box::new(p)))
            }
        }
        struct Obj;
        impl<'de> Visitor<'de> for Obj {
            type Value = PodTemplate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a pod object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PodTemplate, A::Error> {
                PodTemplate::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_option(Opt)
    }
}

/// A request field's number in [`PodsDecoded`] (`None`: a field podgate
/// does not read), read without allocating the key.
struct RequestField(Option<u8>);

impl<'de> Deserialize<'de> for RequestField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RequestField;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("field identifier")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RequestField, E> {
                Ok(RequestField(match v {
                    "uid" => Some(0),
                    "kind" => Some(1),
                    "resource" => Some(2),
                    "subResource" => Some(3),
                    "requestSubResource" => Some(4),
                    "name" => Some(5),
                    "namespace" => Some(6),
                    "operation" => Some(7),
                    "userInfo" => Some(8),
                    "object" => Some(9),
                    "oldObject" => Some(10),
                    "dryRun" => Some(11),
                    _ => None,
                }))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for PodsDecoded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PodsDecoded;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("struct AdmissionRequest")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PodsDecoded, A::Error> {
                /// `null` → default, as [`nd`].
                fn nd_value<'de, A: MapAccess<'de>, T: Default + Deserialize<'de>>(
                    map: &mut A,
                ) -> Result<T, A::Error> {
                    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
                }
                // Every field spelled out: adding one to `AdmissionRequest`
                // must not compile until it is decoded here too.
                let mut r = AdmissionRequest {
                    uid: String::new(),
                    kind: GroupVersionKind::default(),
                    resource: GroupVersionResource::default(),
                    sub_resource: None,
                    request_sub_resource: None,
                    name: String::new(),
                    namespace: String::new(),
                    operation: String::new(),
                    user_info: UserInfo::default(),
                    object: None,
                    old_object: None,
                    dry_run: None,
                    pod: None,
                    old_pod: None,
                };
                let mut seen = 0u16;
                while let Some(RequestField(bit)) = map.next_key()? {
                    let Some(bit) = bit else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    if seen & (1 << bit) != 0 {
                        return Err(serde::de::Error::custom("duplicate field"));
                    }
                    seen |= 1 << bit;
                    match bit {
                        0 => r.uid = nd_value(&mut map)?,
                        1 => r.kind = nd_value(&mut map)?,
                        2 => r.resource = nd_value(&mut map)?,
                        3 => r.sub_resource = map.next_value()?,
                        4 => r.request_sub_resource = map.next_value()?,
                        5 => r.name = nd_value(&mut map)?,
                        6 => r.namespace = nd_value(&mut map)?,
                        7 => r.operation = nd_value(&mut map)?,
                        8 => r.user_info = nd_value(&mut map)?,
                        9 if r.is_pods() => r.pod = map.next_value_seed(PodObject)?,
                        9 => r.object = map.next_value()?,
                        10 if r.is_pods() => r.old_pod = map.next_value_seed(PodObject)?,
                        10 => r.old_object = map.next_value()?,
                        _ => r.dry_run = map.next_value()?,
                    }
                }
                Ok(PodsDecoded(r))
            }
        }
        d.deserialize_map(V)
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
///
/// `decode_pods`: decode the objects of a `pods` request straight into
/// [`AdmissionRequest::pod`] and [`AdmissionRequest::old_pod`] (see
/// [`PodsDecoded`]); if that fails for any reason, the body is decoded
/// again with the objects kept raw, so the result is never different.
pub(crate) fn parse_admission_review(
    body: &[u8],
    decode_pods: bool,
) -> Result<AdmissionRequest, crate::RequestError> {
    // UTF-8 is checked once for the whole body, so that neither the raw
    // objects nor each string are validated again (the `str` reader trusts
    // its input); invalid bytes get serde_json's own error and position.
    let text = std::str::from_utf8(body);
    if let (true, Ok(text)) = (decode_pods, text) {
        if let Ok(JsonObject(review)) =
            serde_json::from_str::<JsonObject<AdmissionReviewIn<PodsDecoded>>>(text)
        {
            return check_envelope(AdmissionReviewIn {
                api_version: review.api_version,
                kind: review.kind,
                request: review.request.map(|r| JsonObject(r.0 .0)),
            });
        }
    }
    let review: JsonObject<AdmissionReviewIn<AdmissionRequest>> = match text {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
    .map_err(crate::RequestError::Decode)?;
    check_envelope(review.0)
}

/// The envelope's apiVersion and kind, and the request.
fn check_envelope(
    review: AdmissionReviewIn<AdmissionRequest>,
) -> Result<AdmissionRequest, crate::RequestError> {
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
    review
        .request
        .map(|r| r.0)
        .ok_or(crate::RequestError::MissingRequest)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn review(request: &str) -> String {
        format!(
            r#"{{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{{{request}}}}}"#
        )
    }

    const POD: &str =
        r#"{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"#;
    const PODS: &str = r#""kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"}"#;

    fn parse(body: &str) -> AdmissionRequest {
        parse_admission_review(body.as_bytes(), true).unwrap()
    }

    #[test]
    fn pods_in_apiserver_order_are_decoded_with_the_review() {
        let r = parse(&review(&format!(
            r#""uid":"u",{PODS},"operation":"UPDATE","object":{POD},"oldObject":{POD},"dryRun":false"#
        )));
        assert!(r.object.is_none() && r.old_object.is_none());
        let pod = r.pod.expect("decoded pod");
        assert_eq!(pod.metadata.name, "web");
        assert_eq!(pod.spec.containers[0].image, "nginx");
        assert!(r.old_pod.is_some());
        assert_eq!(r.uid, "u");
        assert_eq!(r.dry_run, Some(false));
    }

    #[test]
    fn other_shapes_keep_the_object_raw() {
        // `object` before `resource`: the type is not known yet.
        let r = parse(&review(&format!(r#""object":{POD},{PODS}"#)));
        assert!(r.pod.is_none() && r.object.is_some());
        // Not pods.
        let r = parse(&review(&format!(
            r#""resource":{{"group":"apps","version":"v1","resource":"deployments"}},"object":{POD}"#
        )));
        assert!(r.pod.is_none() && r.object.is_some());
        // An array is not a pod object (a derived struct decoder would
        // take it as a sequence of fields): the raw path answers.
        let arr = r#"[{"name":"web"},{"containers":[]}]"#;
        let r = parse(&review(&format!(r#"{PODS},"object":{arr}"#)));
        assert!(r.pod.is_none());
        assert_eq!(r.object.as_deref().map(RawValue::get), Some(arr));
        // A pod that does not decode: raw, so the error comes later and
        // only where upstream would decode it.
        let bad = r#"{"spec":{"containers":"nope"}}"#;
        let r = parse(&review(&format!(r#"{PODS},"object":{bad}"#)));
        assert!(r.pod.is_none());
        assert_eq!(r.object.as_deref().map(RawValue::get), Some(bad));
        // null stays unset either way.
        let r = parse(&review(&format!(r#"{PODS},"object":null"#)));
        assert!(r.pod.is_none() && r.object.is_none());
    }

    #[test]
    fn the_single_pass_fails_where_the_derived_decoder_fails() {
        let dup = review(&format!(r#""uid":"a","uid":"b",{PODS},"object":{POD}"#));
        let fast = parse_admission_review(dup.as_bytes(), true).unwrap_err();
        let raw = parse_admission_review(dup.as_bytes(), false).unwrap_err();
        let (fast, raw) = (format!("{fast:?}"), format!("{raw:?}"));
        assert_eq!(fast, raw);
        assert!(fast.contains("duplicate field `uid`"), "{fast}");
    }

    #[test]
    fn reviews_and_requests_must_be_json_objects() {
        // A derived decoder would read these as field values in order.
        for body in [
            "[]".to_string(),
            r#"["admission.k8s.io/v1","AdmissionReview",null]"#.to_string(),
            r#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":["u"]}"#
                .to_string(),
        ] {
            for decode_pods in [true, false] {
                let e = parse_admission_review(body.as_bytes(), decode_pods).unwrap_err();
                let e = format!("{:?}", std::error::Error::source(&e));
                assert!(e.contains("expected a JSON object"), "{body}: {e}");
            }
        }
        // Objects still decode, including an empty one (no request).
        assert!(matches!(
            parse_admission_review(b"{}", true),
            Err(crate::RequestError::MissingRequest)
        ));
    }
}
