//! Mutation: a JSON Patch (RFC 6902) that moves a pod, or a workload's pod
//! template, toward the `restricted` level where that cannot break it.
//!
//! Rules that hold for every change:
//!
//! * Only `add` operations, and only where the field is absent or `null`: a
//!   value the user wrote (even `false`, `Unconfined` or an empty list) is
//!   never replaced. Missing parent objects are added with the patch (one
//!   `add` of the smallest missing object), and pointer segments are escaped
//!   (`~` → `~0`, `/` → `~1`), so every operation applies to the document
//!   as it is.
//! * Pods are mutated on CREATE only: a pod's security context is immutable
//!   after creation, so a patch on UPDATE would make the API server reject
//!   the update. Workloads are mutated on CREATE only as well: a Job's
//!   template is immutable, and adding fields to an existing Deployment's
//!   template would roll out its pods on an unrelated update; pods created
//!   from an unmutated template are mutated when they are created anyway.
//!   Subresources are never mutated.
//! * Windows pods (`spec.os.name: windows`) are left alone: the API server
//!   rejects these Linux-only fields on them.
//! * Exempt namespaces, users and runtime classes are left alone.
//!
//! The changes:
//!
//! 1. Pod `securityContext.seccompProfile: {type: RuntimeDefault}`, when the
//!    pod sets no profile, some container sets none either, and the pod has
//!    no legacy seccomp annotation (`seccomp.security.alpha.kubernetes.io/pod`
//!    or `container.seccomp.security.alpha.kubernetes.io/*`). Safe: it is the
//!    runtime's default profile, which Docker applied to every container for
//!    years and kubelet applies node-wide with `--seccomp-default` (GA in
//!    1.27); containers that set their own profile keep it (container
//!    settings override the pod's), privileged containers are unconfined
//!    regardless, and the annotation case is skipped because the API server
//!    requires annotation and field to agree.
//! 2. Container (init and regular) `securityContext.allowPrivilegeEscalation:
//!    false`, when unset and the container is neither `privileged: true` nor
//!    adds `SYS_ADMIN` (both combinations are rejected by API validation).
//!    Safe for almost everything: it only sets `no_new_privs`, which stops
//!    setuid binaries and file capabilities from *gaining* privileges; a
//!    process keeps what it starts with. (An image that relies on `sudo`/`su`
//!    at run time would notice; such images are rare and already violate
//!    `restricted`.)
//! 3. Container `securityContext.capabilities.drop: ["ALL"]`, when there is
//!    no drop list, and (default `dropAllCapabilities: nonRoot`) only for
//!    containers known to run as non-root (`runAsNonRoot: true` or a non-zero
//!    `runAsUser`, container or pod level, including change 4) that run with
//!    `no_new_privs` (`allowPrivilegeEscalation: false`, written by the user
//!    or added by change 2): a non-root process has no effective
//!    capabilities, and with `no_new_privs` cannot gain them, so dropping the
//!    bounding set changes nothing for it. A container that keeps privilege
//!    escalation (explicit `allowPrivilegeEscalation: true`, `privileged`,
//!    `SYS_ADMIN`) can gain capabilities through setuid binaries or file
//!    capabilities, so it is not touched. Root
//!    processes often need default capabilities (nginx's master needs
//!    SETUID/SETGID, database entrypoints CHOWN), so they are not touched
//!    unless `dropAllCapabilities: always`. Explicit `capabilities.add`
//!    entries keep working (they are applied after the drop).
//! 4. Opt-in (`mutation.runAsNonRoot: true`): pod `securityContext.
//!    runAsNonRoot: true`, when unset and no container or the pod sets
//!    `runAsUser: 0`. Not safe in general — kubelet refuses to start a
//!    container whose image runs as root or names its user without a
//!    `runAsUser` — hence off by default.
//!
//! Nothing else is changed: no annotations, no other fields.

use base64::Engine as _;
use podgate_core::model::{Container, PodTemplate, SecurityContext};
use serde_json::{json, Map, Value};

use crate::config::{DropAllCapabilities, MutationConfig};
use crate::outcome::{Decision, Feature, FeatureHit, OperationLabel, Outcome, SubresourceLabel};
use crate::policy::{ERROR_ANNOTATION, EXEMPTION_REASON_ANNOTATION};
use crate::resource::Resource;
use crate::review::{AdmissionRequest, AdmissionResponse};
use crate::Admission;

/// Escape one JSON Pointer reference token (RFC 6901).
pub fn escape_pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn pointer(base: &str, token: &str) -> String {
    format!("{base}/{}", escape_pointer_token(token))
}

/// Add each leaf of `overlay` under `node` where `node` has nothing (absent
/// or `null`), adding whole missing subtrees in one operation. Values the
/// document already has, of any type, are left alone.
fn emit_adds(
    node: &Map<String, Value>,
    overlay: &Map<String, Value>,
    at: &str,
    ops: &mut Vec<Value>,
) {
    for (key, want) in overlay {
        let path = pointer(at, key);
        match node.get(key) {
            None | Some(Value::Null) => ops.push(json!({"op": "add", "path": path, "value": want})),
            Some(Value::Object(have)) => {
                if let Value::Object(want) = want {
                    emit_adds(have, want, &path, ops);
                }
            }
            Some(_) => {}
        }
    }
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn adds_sys_admin(sc: &SecurityContext) -> bool {
    sc.capabilities.as_ref().is_some_and(|c| {
        c.add
            .iter()
            .any(|a| a == "SYS_ADMIN" || a == "CAP_SYS_ADMIN")
    })
}

/// The JSON Patch operations for the pod template at `template` (a JSON
/// Pointer, `""` for a Pod itself) of `doc`.
pub fn patch_operations(cfg: &MutationConfig, doc: &Value, template: &str) -> Vec<Value> {
    let mut ops = Vec::new();
    let Some(tmpl) = doc.pointer(template) else {
        return ops;
    };
    let Some(spec_json) = tmpl.get("spec").and_then(Value::as_object) else {
        return ops;
    };
    let Ok(pod) = serde_json::from_value::<PodTemplate>(tmpl.clone()) else {
        return ops;
    };
    let spec = &pod.spec;
    if spec.is_windows() {
        return ops;
    }
    let spec_ptr = format!("{template}/spec");
    let pod_sc = spec.security_context.clone().unwrap_or_default();
    let containers = || spec.init_containers.iter().chain(spec.containers.iter());
    let csc = |c: &Container| c.security_context.clone().unwrap_or_default();

    let mut pod_overlay = Map::new();
    let mut pod_sc_overlay = Map::new();

    // 1. seccomp RuntimeDefault at pod level.
    let has_seccomp_annotation =
        pod.metadata.annotations.keys().any(|k| {
            k == SECCOMP_POD_ANNOTATION || k.starts_with(SECCOMP_CONTAINER_ANNOTATION_PREFIX)
        });
    if pod_sc.seccomp_profile.is_none()
        && !has_seccomp_annotation
        && containers().any(|c| csc(c).seccomp_profile.is_none())
    {
        pod_sc_overlay.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
    }

    // 4. runAsNonRoot at pod level (opt-in).
    let mut pod_non_root = pod_sc.run_as_non_root == Some(true);
    if cfg.run_as_non_root
        && pod_sc.run_as_non_root.is_none()
        && pod_sc.run_as_user != Some(0)
        && !containers().any(|c| csc(c).run_as_user == Some(0))
    {
        pod_sc_overlay.insert("runAsNonRoot".into(), Value::Bool(true));
        pod_non_root = true;
    }
    if !pod_sc_overlay.is_empty() {
        pod_overlay.insert("securityContext".into(), Value::Object(pod_sc_overlay));
        emit_adds(spec_json, &pod_overlay, &spec_ptr, &mut ops);
    }

    // 2 and 3, per container.
    for (list, items) in [
        ("initContainers", &spec.init_containers),
        ("containers", &spec.containers),
    ] {
        let Some(raw_list) = spec_json.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in items.iter().enumerate() {
            let Some(raw) = raw_list.get(i).and_then(Value::as_object) else {
                continue;
            };
            let sc = csc(c);
            let mut sc_overlay = Map::new();
            let add_no_new_privs = sc.allow_privilege_escalation.is_none()
                && sc.privileged != Some(true)
                && !adds_sys_admin(&sc);
            if add_no_new_privs {
                sc_overlay.insert("allowPrivilegeEscalation".into(), Value::Bool(false));
            }
            // After the patch: is `no_new_privs` set for this container?
            let no_new_privs = add_no_new_privs || sc.allow_privilege_escalation == Some(false);
            let non_root = match sc.run_as_non_root {
                Some(v) => v,
                None => pod_non_root,
            } || sc
                .run_as_user
                .or(pod_sc.run_as_user)
                .is_some_and(|u| u != 0);
            let drop = match cfg.drop_all_capabilities {
                DropAllCapabilities::Always => true,
                // Without no_new_privs a non-root process can gain
                // capabilities (setuid binaries, file capabilities), which
                // an empty bounding set would break.
                DropAllCapabilities::NonRoot => non_root && no_new_privs,
                DropAllCapabilities::Never => false,
            };
            if drop {
                sc_overlay.insert("capabilities".into(), json!({"drop": ["ALL"]}));
            }
            if !sc_overlay.is_empty() {
                let mut overlay = Map::new();
                overlay.insert("securityContext".into(), Value::Object(sc_overlay));
                let at = format!("{spec_ptr}/{list}/{i}");
                emit_adds(raw, &overlay, &at, &mut ops);
            }
        }
    }
    ops
}

impl Admission {
    pub(crate) fn mutate_request(&self, r: &AdmissionRequest) -> (AdmissionResponse, Outcome) {
        let resource = Resource::classify(&r.resource);
        let mut out = Outcome::new(
            resource.label(),
            OperationLabel::parse(&r.operation),
            SubresourceLabel::parse(r.subresource()),
        );
        out.dry_run = r.dry_run.unwrap_or(false);
        out.identify(r);
        let mut response = self.mutate_inner(r, resource, &mut out);
        response.uid = r.uid.clone();
        (response, out)
    }

    fn mutate_inner(
        &self,
        r: &AdmissionRequest,
        resource: Resource,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        let template = match resource {
            Resource::Pod => "",
            Resource::Workload(kind) => match kind {
                crate::resource::WorkloadKind::PodTemplate => "/template",
                crate::resource::WorkloadKind::CronJob => "/spec/jobTemplate/spec/template",
                _ => "/spec/template",
            },
            _ => return AdmissionResponse::allowed(),
        };
        if !self.config.mutation.enabled || r.operation != "CREATE" || !r.subresource().is_empty() {
            return AdmissionResponse::allowed();
        }
        if self.exempt_namespace(&r.namespace) {
            out.decision = Decision::Exempt;
            return AdmissionResponse::allowed()
                .with_annotation(EXEMPTION_REASON_ANNOTATION, "namespace");
        }
        if self.exempt_user(&r.user_info.username) {
            out.decision = Decision::Exempt;
            return AdmissionResponse::allowed()
                .with_annotation(EXEMPTION_REASON_ANNOTATION, "user");
        }
        let Some(obj) = r.object() else {
            return AdmissionResponse::allowed();
        };
        let pod = match resource {
            Resource::Pod => crate::resource::decode_pod(obj).map(Some),
            Resource::Workload(kind) => crate::resource::extract_template(kind, obj),
            _ => Ok(None),
        };
        let pod = match pod {
            Ok(Some(p)) => p,
            Ok(None) => return AdmissionResponse::allowed(),
            Err(e) => {
                out.decision = Decision::Error;
                out.errors.push(false);
                return AdmissionResponse::allowed()
                    .with_annotation(ERROR_ANNOTATION, format!("failed to decode object: {e}"));
            }
        };
        if self.exempt_runtime_class(pod.spec.runtime_class_name.as_deref()) {
            out.decision = Decision::Exempt;
            return AdmissionResponse::allowed()
                .with_annotation(EXEMPTION_REASON_ANNOTATION, "runtimeClass");
        }
        // The patch needs the object as written (which fields are present,
        // even as null), so mutation reads it as a JSON tree.
        let doc: Value = match serde_json::from_str(obj.get()) {
            Ok(v) => v,
            Err(e) => {
                out.decision = Decision::Error;
                out.errors.push(false);
                return AdmissionResponse::allowed()
                    .with_annotation(ERROR_ANNOTATION, format!("failed to decode object: {e}"));
            }
        };
        let ops = patch_operations(&self.config.mutation, &doc, template);
        let mut response = AdmissionResponse::allowed();
        if !ops.is_empty() {
            let bytes = serde_json::to_vec(&Value::Array(ops)).unwrap_or_default();
            response.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            response.patch_type = Some("JSONPatch");
            out.mutated = true;
            out.features.push(FeatureHit {
                feature: Feature::Mutation,
                mode: crate::config::Mode::Enforce,
            });
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
        assert_eq!(
            pointer("/metadata/annotations", "example.com/x~y"),
            "/metadata/annotations/example.com~1x~0y"
        );
    }

    #[test]
    fn explicit_values_of_any_type_are_left_alone() {
        let doc = json!({"securityContext": {"capabilities": {"drop": []}, "allowPrivilegeEscalation": null}});
        let overlay = json!({"securityContext": {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false}});
        let mut ops = Vec::new();
        emit_adds(
            doc.as_object().unwrap_or(&Map::new()),
            overlay.as_object().unwrap_or(&Map::new()),
            "/c",
            &mut ops,
        );
        assert_eq!(
            ops,
            vec![
                json!({"op": "add", "path": "/c/securityContext/allowPrivilegeEscalation", "value": false})
            ]
        );
    }
}
