//! The validating decision: upstream `Admission.Validate` (namespaces, pods,
//! pod controllers) step by step, with podgate's additions hooked in where
//! they cannot change anything while off.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use podgate_core::model::{Container, PodTemplate};
use podgate_core::pss::{
    evaluate_pod, violation_message, warning_message, Level, LevelVersion, Version, Violation,
};

use crate::config::Mode;
use crate::extras::{
    format_images, format_rules, ImageViolation, RuleHit, Waiver, EXCEPTIONS_ANNOTATION,
    IMAGE_VIOLATIONS_ANNOTATION, RULE_VIOLATIONS_ANNOTATION,
};
use crate::outcome::{
    Decision, EvalMode, Feature, FeatureHit, OperationLabel, Outcome, SubresourceLabel,
};
use crate::policy::{
    aggregate, bad_request_response, forbidden_response, go_quote, internal_error_response,
    invalid_response, policy_to_evaluate, FieldError, Policy, AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL, AUDIT_VIOLATIONS_ANNOTATION, ENFORCED_POLICY_ANNOTATION,
    ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, ERROR_ANNOTATION, EXEMPTION_REASON_ANNOTATION,
    WARN_LEVEL_LABEL, WARN_VERSION_LABEL,
};
use crate::resource::{decode_pod, extract_template, Resource};
use crate::review::{AdmissionRequest, AdmissionResponse};
use crate::{Admission, Deadlines};

/// Pod subresources that cannot change the pod spec (upstream
/// `ignoredPodSubresources`). Any other subresource is evaluated, so a
/// version-skewed webhook fails safe on a new spec-changing subresource.
const IGNORED_POD_SUBRESOURCES: [&str; 8] = [
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// Upstream's warning when the namespace dry run cannot list the pods.
const FAILED_TO_LIST_PODS: &str =
    "failed to list pods while checking new PodSecurity enforce level";

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn exempt_response(reason: &str) -> AdmissionResponse {
    AdmissionResponse::allowed().with_annotation(EXEMPTION_REASON_ANNOTATION, reason)
}

impl Admission {
    pub(crate) fn validate_request(
        &self,
        r: &AdmissionRequest,
        deadlines: Deadlines,
    ) -> (AdmissionResponse, Outcome) {
        let resource = Resource::classify(&r.resource);
        let mut out = Outcome::new(
            resource.label(),
            OperationLabel::parse(&r.operation),
            SubresourceLabel::parse(r.subresource()),
        );
        out.dry_run = r.dry_run.unwrap_or(false);
        out.identify(r);
        // Only creates and updates are admitted by PodSecurity (the in-tree
        // plugin handles nothing else; a webhook is registered for nothing
        // else). Upstream would misreport a DELETE of a pod as undecodable.
        let mut response = match (resource, r.operation.as_str()) {
            (Resource::Other, _) => AdmissionResponse::allowed(),
            (_, "CREATE" | "UPDATE") => match resource {
                Resource::Namespace => self.validate_namespace(r, deadlines, &mut out),
                Resource::Pod => self.validate_pod(r, deadlines.request, &mut out),
                Resource::Workload(kind) => {
                    self.validate_workload(r, kind, deadlines.request, &mut out)
                }
                Resource::Other => AdmissionResponse::allowed(),
            },
            _ => AdmissionResponse::allowed(),
        };
        response.uid = r.uid.clone();
        if out.decision == Decision::Allow && !response.allowed {
            out.decision = Decision::Deny;
        }
        out.allowed = response.allowed;
        (response, out)
    }

    fn validate_namespace(
        &self,
        r: &AdmissionRequest,
        deadlines: Deadlines,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        if !r.subresource().is_empty() {
            return AdmissionResponse::allowed();
        }
        let Some(obj) = r.object() else {
            out.decision = Decision::Error;
            return bad_request_response("failed to decode namespace", None);
        };
        let (name, labels) = match namespace_meta(obj) {
            Ok(m) => m,
            Err(e) => {
                out.decision = Decision::Error;
                return bad_request_response("failed to decode object", Some(&e));
            }
        };
        let (new_policy, new_errs) = policy_to_evaluate(&labels, self.defaults);
        out.decided_by(new_policy.enforce, EvalMode::Enforce);
        let invalid =
            |errs: &[FieldError]| invalid_response(&r.kind.group, &r.kind.kind, &r.name, errs);
        match r.operation.as_str() {
            "CREATE" => {
                if !new_errs.is_empty() {
                    out.decision = Decision::Deny;
                    return invalid(&new_errs);
                }
                if self.exempt_namespace(&r.namespace) {
                    return self.exempt_namespace_warning(&name, &new_policy, &labels, out);
                }
                AdmissionResponse::allowed()
            }
            _ => {
                // Upstream's message has a doubled space here.
                let Some(old) = r.old_object() else {
                    out.decision = Decision::Error;
                    return bad_request_response("failed to decode  old namespace", None);
                };
                let old_labels = match namespace_meta(old) {
                    Ok((_, l)) => l,
                    Err(e) => {
                        out.decision = Decision::Error;
                        return bad_request_response("failed to decode  old object", Some(&e));
                    }
                };
                let (old_policy, old_errs) = policy_to_evaluate(&old_labels, self.defaults);
                // Invalid labels are rejected only when they changed, so a
                // namespace with bad labels can still be updated otherwise.
                if !new_errs.is_empty() && (old_errs.is_empty() || new_errs != old_errs) {
                    out.decision = Decision::Deny;
                    return invalid(&new_errs);
                }
                // No dry run when the enforce policy is unchanged, is
                // privileged, or was relaxed at the same version, nor for an
                // exempt namespace.
                if new_policy.enforce == old_policy.enforce
                    || new_policy.enforce.level == Level::Privileged
                    || (new_policy.enforce.version == old_policy.enforce.version
                        && new_policy.enforce.level <= old_policy.enforce.level)
                {
                    return AdmissionResponse::allowed();
                }
                if self.exempt_namespace(&r.namespace) {
                    return self.exempt_namespace_warning(&name, &new_policy, &labels, out);
                }
                let mut resp = AdmissionResponse::allowed();
                resp.warnings =
                    self.evaluate_pods_in_namespace(&name, new_policy.enforce, deadlines.dry_run);
                resp
            }
        }
    }

    /// Upstream `exemptNamespaceWarning`: allowed, with a warning when an
    /// exempt namespace is given labels for a policy that is neither fully
    /// privileged nor equivalent to the defaults; it names each mode that is
    /// not privileged and has a level or version label of its own.
    fn exempt_namespace_warning(
        &self,
        name: &str,
        policy: &Policy,
        labels: &BTreeMap<String, String>,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        out.decision = Decision::Exempt;
        let mut resp = AdmissionResponse::allowed();
        if policy.fully_privileged() || policy.equivalent(&self.defaults) {
            return resp;
        }
        let modes = [
            (
                "enforce",
                policy.enforce,
                ENFORCE_LEVEL_LABEL,
                ENFORCE_VERSION_LABEL,
            ),
            (
                "audit",
                policy.audit,
                AUDIT_LEVEL_LABEL,
                AUDIT_VERSION_LABEL,
            ),
            ("warn", policy.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL),
        ];
        let parts: Vec<String> = modes
            .iter()
            .filter(|(_, lv, level_label, version_label)| {
                lv.level != Level::Privileged
                    && (labels.contains_key(*level_label) || labels.contains_key(*version_label))
            })
            .map(|(mode, lv, _, _)| format!("{mode}={lv}"))
            .collect();
        resp.warnings.push(format!(
            "namespace {} is exempt from Pod Security, and the policy ({}) will be ignored",
            go_quote(name),
            parts.join(", ")
        ));
        resp
    }

    /// Upstream `EvaluatePodsInNamespace`: dry-run the new enforce level
    /// against existing pods (one per controller first), at most 3000 of
    /// them and for at most 1 s after the request arrived, and summarise
    /// identical results.
    pub(crate) fn evaluate_pods_in_namespace(
        &self,
        namespace: &str,
        enforce: LevelVersion,
        deadline: Instant,
    ) -> Vec<String> {
        let pods = match self.pods.pods(namespace, deadline) {
            Ok(pods) => self.prioritize_pods(pods),
            Err(_) => return vec![FAILED_TO_LIST_PODS.to_string()],
        };
        let total = pods.len();
        let pods = &pods[..total.min(self.max_pods_to_check)];
        let today = self.today();

        // reason → (lexically first pod name, count), in first-seen order.
        let mut order: Vec<String> = Vec::new();
        let mut counts: HashMap<String, (String, usize)> = HashMap::new();
        let mut checked = pods.len();
        for (i, pod) in pods.iter().enumerate() {
            let mut waiver = if self.config.exceptions.mode() == Mode::Enforce {
                Waiver::for_pod(
                    &self.config.exceptions,
                    namespace,
                    "Pod",
                    workload_name("", pod),
                    pod,
                    true,
                    today,
                )
            } else {
                Waiver::none()
            };
            let v = waiver.pss(evaluate_pod(enforce, &pod.metadata, &pod.spec));
            if !v.is_empty() {
                let reason = forbidden_reason(&v);
                let name = &pod.metadata.name;
                match counts.get_mut(&reason) {
                    None => {
                        order.push(reason.clone());
                        counts.insert(reason, (name.clone(), 1));
                    }
                    Some(c) => {
                        if *name < c.0 {
                            c.0 = name.clone();
                        }
                        c.1 += 1;
                    }
                }
            }
            if Instant::now() >= deadline {
                checked = i + 1;
                break;
            }
        }

        let mut warnings = Vec::new();
        if checked < total {
            warnings.push(format!(
                "new PodSecurity enforce level only checked against the first {checked} of {total} existing pods"
            ));
        }
        if !order.is_empty() {
            warnings.push(format!(
                "existing pods in namespace {} violate the new PodSecurity enforce level {}",
                crate::policy::go_quote(namespace),
                crate::policy::go_quote(&enforce.to_string())
            ));
        }
        let mut pod_warnings: Vec<String> = order
            .into_iter()
            .map(|reason| {
                let (name, count) = &counts[&reason];
                match count {
                    1 => format!("{name}: {reason}"),
                    2 => format!("{name} (and 1 other pod): {reason}"),
                    n => format!("{name} (and {} other pods): {reason}", n - 1),
                }
            })
            .collect();
        pod_warnings.sort();
        warnings.extend(pod_warnings);
        warnings
    }

    /// Upstream `prioritizePods`: pods of an exempt runtime class dropped,
    /// then the first pod of each controller (and every pod without one) in
    /// list order, then the other replicas, so that the 3000-pod cap and the
    /// deadline cut replicas rather than distinct workloads.
    fn prioritize_pods(&self, pods: Vec<PodTemplate>) -> Vec<PodTemplate> {
        let mut first = Vec::with_capacity(pods.len());
        let mut replicas = Vec::new();
        let mut controllers: HashSet<String> = HashSet::new();
        for pod in pods {
            if self.exempt_runtime_class(pod.spec.runtime_class_name.as_deref()) {
                continue;
            }
            match pod.metadata.controller_uid() {
                Some(uid) if controllers.contains(uid) => replicas.push(pod),
                Some(uid) => {
                    controllers.insert(uid.to_string());
                    first.push(pod);
                }
                None => first.push(pod),
            }
        }
        first.extend(replicas);
        first
    }

    /// Are any of podgate's additions on for validation?
    fn extras_active(&self) -> bool {
        (!self.config.images.mode.is_off() && self.images.is_some())
            || (!self.config.rules.mode.is_off() && self.rules.is_some())
    }

    /// Namespace and user exemptions, shared by pods and workloads
    /// (runtimeClass exemptions need the pod spec and are checked later).
    fn request_exemption(
        &self,
        r: &AdmissionRequest,
        out: &mut Outcome,
    ) -> Option<AdmissionResponse> {
        let by = if self.exempt_namespace(&r.namespace) {
            "namespace"
        } else if self.exempt_user(&r.user_info.username) {
            "user"
        } else {
            return None;
        };
        out.exempt = true;
        out.decision = Decision::Exempt;
        Some(exempt_response(by))
    }

    fn validate_pod(
        &self,
        r: &AdmissionRequest,
        deadline: Instant,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        let sub = r.subresource();
        if IGNORED_POD_SUBRESOURCES.contains(&sub) {
            return AdmissionResponse::allowed();
        }
        if let Some(resp) = self.request_exemption(r, out) {
            return resp;
        }
        let labels = match self.namespaces.lookup(&r.namespace, deadline) {
            Ok(labels) => labels,
            Err(e) => {
                out.errors.push(true);
                out.decision = Decision::Error;
                return internal_error_response(
                    &format!("failed to lookup namespace {}", go_quote(&r.namespace)),
                    &e,
                );
            }
        };
        let (policy, errs) = policy_to_evaluate(&labels, self.defaults);
        if errs.is_empty()
            && policy.enforce.level == Level::Privileged
            && policy.warn.level == Level::Privileged
            && policy.audit.level == Level::Privileged
            && !self.extras_active()
        {
            out.record(Decision::Allow, policy.enforce, EvalMode::Enforce);
            out.decided_by(policy.enforce, EvalMode::Enforce);
            return AdmissionResponse::allowed().with_annotation(
                ENFORCED_POLICY_ANNOTATION,
                LevelVersion::new(Level::Privileged, Version::LATEST).to_string(),
            );
        }
        // Decoded with the review (single pass), or now from the raw object.
        let mut decoded = None;
        let pod = match pod_of(r.pod.as_deref(), r.object(), &mut decoded) {
            Ok(Some(p)) => p,
            failed => {
                out.errors.push(true);
                out.decision = Decision::Error;
                return match failed {
                    Err(e) => bad_request_response("failed to decode object", Some(&e)),
                    _ => bad_request_response("failed to decode pod", None),
                };
            }
        };
        if r.operation == "UPDATE" {
            let mut old_decoded = None;
            let old_pod = match pod_of(r.old_pod.as_deref(), r.old_object(), &mut old_decoded) {
                Ok(Some(p)) => p,
                failed => {
                    out.errors.push(true);
                    out.decision = Decision::Error;
                    return match failed {
                        Err(e) => bad_request_response("failed to decode old object", Some(&e)),
                        _ => bad_request_response("failed to decode old pod", None),
                    };
                }
            };
            if !is_significant_pod_update(pod, old_pod) {
                return AdmissionResponse::allowed();
            }
        }
        self.evaluate(r, policy, &errs, pod, true, out)
    }

    fn validate_workload(
        &self,
        r: &AdmissionRequest,
        kind: crate::resource::WorkloadKind,
        deadline: Instant,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        if !r.subresource().is_empty() {
            return AdmissionResponse::allowed();
        }
        if let Some(resp) = self.request_exemption(r, out) {
            return resp;
        }
        // Workloads fail open: errors are only recorded.
        let error = |out: &mut Outcome, msg: String| {
            out.errors.push(true);
            out.decision = Decision::Error;
            AdmissionResponse::allowed().with_annotation(ERROR_ANNOTATION, msg)
        };
        let labels = match self.namespaces.lookup(&r.namespace, deadline) {
            Ok(labels) => labels,
            Err(e) => {
                return error(
                    out,
                    format!("failed to lookup namespace {}: {e}", go_quote(&r.namespace)),
                )
            }
        };
        let (policy, errs) = policy_to_evaluate(&labels, self.defaults);
        if errs.is_empty()
            && policy.warn.level == Level::Privileged
            && policy.audit.level == Level::Privileged
            && !self.extras_active()
        {
            return AdmissionResponse::allowed();
        }
        let Some(obj) = r.object() else {
            return error(
                out,
                "failed to decode object: no object in the request".into(),
            );
        };
        let template = match extract_template(kind, obj) {
            Ok(Some(t)) => t,
            Ok(None) => return AdmissionResponse::allowed(),
            Err(e) => return error(out, format!("failed to decode object: {e}")),
        };
        self.evaluate(r, policy, &errs, &template, false, out)
    }

    /// Upstream `EvaluatePod`, plus podgate's additions. `enforce` is true for
    /// pods (which may be denied) and false for workloads (never denied).
    fn evaluate(
        &self,
        r: &AdmissionRequest,
        policy: Policy,
        policy_errs: &[FieldError],
        pod: &PodTemplate,
        enforce: bool,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        if self.exempt_runtime_class(pod.spec.runtime_class_name.as_deref()) {
            out.exempt = true;
            out.decision = Decision::Exempt;
            return exempt_response("runtimeClass");
        }
        let mut audit: BTreeMap<String, String> = BTreeMap::new();
        if !policy_errs.is_empty() {
            audit.insert(
                ERROR_ANNOTATION.into(),
                format!("Failed to parse policy: {}", aggregate(policy_errs)),
            );
            out.errors.push(false);
        }
        let mut waiver = Waiver::for_pod(
            &self.config.exceptions,
            &r.namespace,
            &r.kind.kind,
            workload_name(&r.name, pod),
            pod,
            enforce,
            self.today(),
        );
        let eval = |lv: LevelVersion, waiver: &mut Waiver| -> Vec<Violation> {
            waiver.pss(evaluate_pod(lv, &pod.metadata, &pod.spec))
        };

        let mut cache: HashMap<LevelVersion, Vec<Violation>> = HashMap::new();
        let mut denials: Vec<String> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        if enforce {
            audit.insert(
                ENFORCED_POLICY_ANNOTATION.into(),
                policy.enforce.to_string(),
            );
            let v = eval(policy.enforce, &mut waiver);
            if v.is_empty() {
                out.record(Decision::Allow, policy.enforce, EvalMode::Enforce);
            } else {
                denials.push(violation_message(policy.enforce, &v));
                out.record(Decision::Deny, policy.enforce, EvalMode::Enforce);
            }
            out.decided_by(policy.enforce, EvalMode::Enforce);
            cache.insert(policy.enforce, v);
        } else {
            out.decided_by(policy.warn, EvalMode::Warn);
        }

        let audit_v = match cache.get(&policy.audit) {
            Some(v) => v.clone(),
            None => {
                let v = eval(policy.audit, &mut waiver);
                cache.insert(policy.audit, v.clone());
                v
            }
        };
        if !audit_v.is_empty() {
            audit.insert(
                AUDIT_VIOLATIONS_ANNOTATION.into(),
                warning_message(policy.audit, &audit_v),
            );
            out.record(Decision::Deny, policy.audit, EvalMode::Audit);
        }

        // podgate additions: findings go to denials, warnings or annotations
        // by mode. Workloads are never denied: enforce warns there instead.
        let mut extra_warnings: Vec<String> = Vec::new();
        let mut route =
            |mode: Mode, key: &str, what: &str, list: String, out: &mut Outcome, feature| {
                out.features.push(FeatureHit { feature, mode });
                match mode {
                    Mode::Enforce if enforce => {
                        let msg = format!("violates {what}: {list}");
                        audit.insert(key.into(), msg.clone());
                        denials.push(msg);
                    }
                    Mode::Enforce => {
                        let msg = format!("would violate {what}: {list}");
                        audit.insert(key.into(), msg.clone());
                        extra_warnings.push(msg);
                    }
                    Mode::Warn => extra_warnings.push(format!("would violate {what}: {list}")),
                    Mode::Audit => {
                        audit.insert(key.into(), format!("would violate {what}: {list}"));
                    }
                    Mode::Off => {}
                }
            };
        let image_mode = self.config.images.mode;
        if let (false, Some(checker)) = (image_mode.is_off(), &self.images) {
            let found: Vec<ImageViolation> = pod
                .spec
                .all_containers()
                .flat_map(|(_, _, c): (_, _, &Container)| {
                    checker.check(&c.image).into_iter().map(|f| ImageViolation {
                        location: format!("container {}", crate::policy::go_quote(&c.name)),
                        finding: f,
                    })
                })
                .collect();
            let found = waiver.images(found);
            if !found.is_empty() {
                route(
                    image_mode,
                    IMAGE_VIOLATIONS_ANNOTATION,
                    "podgate image policy",
                    format_images(&found),
                    out,
                    Feature::Images,
                );
            }
        }
        let rules_mode = self.config.rules.mode;
        if let (false, Some(checker)) = (rules_mode.is_off(), &self.rules) {
            let min = self.config.rules.min_severity;
            let enabled = &self.config.rules.enabled;
            let found: Vec<RuleHit> = checker
                .check(&r.kind.kind, pod)
                .into_iter()
                .filter(|h| h.severity >= min)
                .filter(|h| enabled.as_ref().is_none_or(|e| e.contains(&h.rule)))
                .collect();
            let found = waiver.rules(found);
            if !found.is_empty() {
                route(
                    rules_mode,
                    RULE_VIOLATIONS_ANNOTATION,
                    "podgate rules",
                    format_rules(&found),
                    out,
                    Feature::Rules,
                );
            }
        }

        let mut response = if denials.is_empty() {
            AdmissionResponse::allowed()
        } else {
            forbidden_response(
                &r.resource.group,
                &r.resource.resource,
                &r.name,
                &denials.join("; "),
            )
        };

        // Warnings are not added to a request that is denied anyway.
        if response.allowed {
            let warn_v = match cache.get(&policy.warn) {
                Some(v) => v.clone(),
                None => eval(policy.warn, &mut waiver),
            };
            if !warn_v.is_empty() {
                warnings.push(warning_message(policy.warn, &warn_v));
                out.record(Decision::Deny, policy.warn, EvalMode::Warn);
            }
            warnings.extend(extra_warnings);
        }

        if let Some(report) = waiver.report() {
            out.features.push(FeatureHit {
                feature: Feature::Exceptions,
                mode: waiver.mode(),
            });
            match waiver.mode() {
                Mode::Warn => {
                    if response.allowed {
                        warnings.push(format!("podgate: {report}"));
                    }
                }
                Mode::Off => {}
                _ => {
                    audit.insert(EXCEPTIONS_ANNOTATION.into(), report);
                }
            }
        }

        response.warnings = warnings;
        response.audit_annotations = audit;
        response
    }
}

/// The name exceptions are matched against: the request's name, else the
/// object's name, else its `generateName` (pods created by controllers).
pub(crate) fn workload_name<'a>(request_name: &'a str, pod: &'a PodTemplate) -> &'a str {
    if !request_name.is_empty() {
        request_name
    } else if !pod.metadata.name.is_empty() {
        &pod.metadata.name
    } else {
        &pod.metadata.generate_name
    }
}

/// Upstream `AggregateCheckResult.ForbiddenReason()`: reasons only.
fn forbidden_reason(v: &[Violation]) -> String {
    v.iter()
        .map(|x| {
            if x.forbidden.reason.is_empty() {
                "unknown forbidden reason"
            } else {
                x.forbidden.reason.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Namespace's name and labels, decoded from the raw object.
fn namespace_meta(
    obj: &serde_json::value::RawValue,
) -> Result<(String, BTreeMap<String, String>), String> {
    #[derive(serde::Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        labels: Option<BTreeMap<String, String>>,
    }
    #[derive(serde::Deserialize)]
    struct Ns {
        #[serde(default)]
        metadata: Option<Meta>,
    }
    if !obj.get().trim_start().starts_with('{') {
        return Err("expected an object".into());
    }
    let ns: Ns = serde_json::from_str(obj.get()).map_err(|e| e.to_string())?;
    let meta = ns.metadata.unwrap_or_default();
    Ok((
        meta.name.unwrap_or_default(),
        meta.labels.unwrap_or_default(),
    ))
}

/// Upstream `isSignificantPodUpdate`: only images and seccomp annotations
/// of a pod are mutable, so only their changes (or added containers, which
/// the API server rejects anyway) need a new evaluation.
pub(crate) fn is_significant_pod_update(pod: &PodTemplate, old: &PodTemplate) -> bool {
    let ann = |p: &PodTemplate, k: &str| p.metadata.annotations.get(k).cloned().unwrap_or_default();
    if ann(pod, SECCOMP_POD_ANNOTATION) != ann(old, SECCOMP_POD_ANNOTATION) {
        return true;
    }
    let (spec, old_spec) = (&pod.spec, &old.spec);
    if spec.containers.len() != old_spec.containers.len()
        || spec.init_containers.len() != old_spec.init_containers.len()
    {
        return true;
    }
    let significant = |c: &Container, o: &Container| {
        if c.image != o.image {
            return true;
        }
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name);
        ann(pod, &key) != ann(old, &key)
    };
    if spec
        .containers
        .iter()
        .zip(&old_spec.containers)
        .any(|(c, o)| significant(c, o))
        || spec
            .init_containers
            .iter()
            .zip(&old_spec.init_containers)
            .any(|(c, o)| significant(c, o))
    {
        return true;
    }
    spec.ephemeral_containers.iter().any(|c| {
        match old_spec
            .ephemeral_containers
            .iter()
            .find(|o| o.name == c.name)
        {
            None => true, // ephemeral container added
            Some(o) => significant(c, o),
        }
    })
}

/// The pod the review already decoded (single pass), or `raw` decoded into
/// `slot`; `Ok(None)` when the review has neither.
fn pod_of<'a>(
    decoded: Option<&'a PodTemplate>,
    raw: Option<&serde_json::value::RawValue>,
    slot: &'a mut Option<PodTemplate>,
) -> Result<Option<&'a PodTemplate>, String> {
    match (decoded, raw) {
        (Some(p), _) => Ok(Some(p)),
        (None, Some(raw)) => Ok(Some(slot.insert(decode_pod(raw)?))),
        (None, None) => Ok(None),
    }
}
