//! Fixtures: fake namespace and pod caches, and AdmissionReviews shaped the
//! way kube-apiserver sends them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use podgate_admission::{
    Admission, AdmissionConfig, NamespaceLookup, Outcome, PodListError, PodLister,
};
use podgate_core::model::PodTemplate;
use serde_json::{json, Value};

#[derive(Default)]
pub struct FakeCluster {
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    pub pods: BTreeMap<String, Vec<PodTemplate>>,
    /// Listing pods fails (API server unavailable).
    pub pod_list_fails: bool,
    /// The deadline of every namespace lookup, in order.
    pub lookup_deadlines: std::sync::Mutex<Vec<Instant>>,
}

impl NamespaceLookup for FakeCluster {
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>> {
        self.namespaces.get(name).cloned()
    }

    fn lookup(&self, name: &str, deadline: Instant) -> Result<BTreeMap<String, String>, String> {
        if let Ok(mut d) = self.lookup_deadlines.lock() {
            d.push(deadline);
        }
        self.labels(name)
            .ok_or_else(|| podgate_admission::namespace_not_found(name))
    }
}

impl PodLister for FakeCluster {
    fn pods(&self, namespace: &str, _: Instant) -> Result<Vec<PodTemplate>, PodListError> {
        if self.pod_list_fails {
            return Err(PodListError(
                "the server is currently unable to handle the request".into(),
            ));
        }
        Ok(self.pods.get(namespace).cloned().unwrap_or_default())
    }
}

pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| {
            let key = if k.contains('/') {
                k.to_string()
            } else {
                format!("pod-security.kubernetes.io/{k}")
            };
            (key, v.to_string())
        })
        .collect()
}

/// A cluster with the given namespaces; label keys without a `/` get the
/// `pod-security.kubernetes.io/` prefix.
pub fn cluster(namespaces: &[(&str, &[(&str, &str)])]) -> FakeCluster {
    FakeCluster {
        namespaces: namespaces
            .iter()
            .map(|(n, l)| (n.to_string(), labels(l)))
            .collect(),
        pods: BTreeMap::new(),
        pod_list_fails: false,
        lookup_deadlines: Default::default(),
    }
}

pub fn admission_with(config: Value, cluster: FakeCluster) -> Admission {
    let config = AdmissionConfig::from_yaml_value(config).expect("valid config");
    let cluster = Arc::new(cluster);
    Admission::new(config, cluster.clone(), cluster)
}

pub fn admission(namespaces: &[(&str, &[(&str, &str)])]) -> Admission {
    admission_with(json!({}), cluster(namespaces))
}

/// An AdmissionReview request, as kube-apiserver sends it.
#[derive(Clone)]
pub struct Req {
    pub group: &'static str,
    pub version: &'static str,
    pub resource: &'static str,
    pub kind: &'static str,
    pub sub: &'static str,
    pub op: &'static str,
    pub namespace: String,
    pub name: String,
    pub user: &'static str,
    pub object: Value,
    pub old: Value,
    pub dry_run: bool,
}

impl Req {
    pub fn pod(op: &'static str, namespace: &str, object: Value) -> Req {
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Req {
            group: "",
            version: "v1",
            resource: "pods",
            kind: "Pod",
            sub: "",
            op,
            namespace: namespace.into(),
            name,
            user: "alice",
            object,
            old: Value::Null,
            dry_run: false,
        }
    }

    pub fn workload(
        group: &'static str,
        resource: &'static str,
        kind: &'static str,
        namespace: &str,
        object: Value,
    ) -> Req {
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Req {
            group,
            version: "v1",
            resource,
            kind,
            sub: "",
            op: "CREATE",
            namespace: namespace.into(),
            name,
            user: "alice",
            object,
            old: Value::Null,
            dry_run: false,
        }
    }

    pub fn namespace(
        op: &'static str,
        name: &str,
        labels: &[(&str, &str)],
        old: Option<&[(&str, &str)]>,
    ) -> Req {
        let ns = |l: &[(&str, &str)]| {
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": name, "uid": "6f0c7e33-1111-4e4e-9c9c-000000000001",
                                "labels": crate::common::labels(l)},
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        };
        Req {
            group: "",
            version: "v1",
            resource: "namespaces",
            kind: "Namespace",
            sub: "",
            op,
            namespace: name.into(),
            name: name.into(),
            user: "alice",
            object: ns(labels),
            old: match (op, old) {
                (_, Some(l)) => ns(l),
                ("UPDATE", None) => ns(&[]),
                _ => Value::Null,
            },
            dry_run: false,
        }
    }

    pub fn update(mut self, old: Value) -> Req {
        self.op = "UPDATE";
        self.old = old;
        self
    }

    pub fn sub(mut self, sub: &'static str) -> Req {
        self.sub = sub;
        self
    }

    pub fn user(mut self, user: &'static str) -> Req {
        self.user = user;
        self
    }

    pub fn dry_run(mut self) -> Req {
        self.dry_run = true;
        self
    }

    /// The body with the request's fields in kube-apiserver's order (Go
    /// struct order: `resource` before `object`), which lets the engine
    /// decode a pod in the same pass as the review.
    pub fn body(&self) -> Vec<u8> {
        self.body_in(true)
    }

    /// The same review with the request's keys sorted (as `json!` writes
    /// them): `object` comes before `resource`, so the engine keeps the
    /// object raw and decodes it afterwards, its other path.
    pub fn body_sorted(&self) -> Vec<u8> {
        self.body_in(false)
    }

    fn body_in(&self, apiserver_order: bool) -> Vec<u8> {
        let options_kind = match self.op {
            "CREATE" => "CreateOptions",
            "UPDATE" => "UpdateOptions",
            _ => "DeleteOptions",
        };
        let gvk = json!({"group": self.group, "version": self.version, "kind": self.kind});
        let gvr = json!({"group": self.group, "version": self.version, "resource": self.resource});
        let sub = (!self.sub.is_empty()).then(|| json!(self.sub));
        let mut fields: Vec<(&str, Value)> = vec![
            ("uid", json!("705ab4f5-6393-11e8-b7cc-42010a800002")),
            ("kind", gvk.clone()),
            ("resource", gvr.clone()),
        ];
        fields.extend(sub.clone().map(|s| ("subResource", s)));
        fields.extend([("requestKind", gvk), ("requestResource", gvr)]);
        fields.extend(sub.map(|s| ("requestSubResource", s)));
        fields.extend([
            ("name", json!(self.name)),
            ("namespace", json!(self.namespace)),
            ("operation", json!(self.op)),
            (
                "userInfo",
                json!({"username": self.user, "uid": "014fbff9a07c", "groups": ["system:authenticated"]}),
            ),
            ("object", self.object.clone()),
            ("oldObject", self.old.clone()),
            ("dryRun", json!(self.dry_run)),
            (
                "options",
                json!({"apiVersion": "meta.k8s.io/v1", "kind": options_kind}),
            ),
        ]);
        if !apiserver_order {
            fields.sort_by_key(|(k, _)| *k);
        }
        let request: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}:{}", json!(k), serde_json::to_string(v).unwrap()))
            .collect();
        format!(
            r#"{{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{{{}}}}}"#,
            request.join(",")
        )
        .into_bytes()
    }
}

/// Run the validating decision; returns the `response` object.
pub fn validate(adm: &Admission, req: &Req) -> (Value, Outcome) {
    validate_by(
        adm,
        req,
        Instant::now() + std::time::Duration::from_secs(10),
    )
}

/// Validate with the API server's `deadline` for the call.
pub fn validate_by(adm: &Admission, req: &Req, deadline: Instant) -> (Value, Outcome) {
    let (bytes, outcome) = adm.validate(&req.body(), deadline).expect("a review");
    // Both decode paths (the pod decoded with the review, or kept raw and
    // decoded afterwards) give the same answer, byte for byte.
    let (sorted_bytes, sorted_outcome) = adm
        .validate(&req.body_sorted(), deadline)
        .expect("a review");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&sorted_bytes),
        "single-pass and raw decode disagree"
    );
    assert_eq!(outcome, sorted_outcome);
    let review: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(review["kind"], "AdmissionReview");
    assert_eq!(
        review["response"]["uid"],
        "705ab4f5-6393-11e8-b7cc-42010a800002"
    );
    (review["response"].clone(), outcome)
}

/// A pod with one container and the given container security context.
pub fn pod(name: &str, container_sc: Value) -> Value {
    let mut c = json!({"name": "app", "image": "registry.example/app:1.0", "imagePullPolicy": "IfNotPresent",
                       "resources": {}, "terminationMessagePath": "/dev/termination-log"});
    if !container_sc.is_null() {
        c["securityContext"] = container_sc;
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "team-a", "labels": {"app": "web"}},
        "spec": {"containers": [c], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                 "serviceAccountName": "default", "securityContext": {}},
        "status": {}
    })
}

/// A pod that passes restricted:latest.
pub fn restricted_pod(name: &str) -> Value {
    let mut p = pod(
        name,
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}),
    );
    p["spec"]["securityContext"] =
        json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}});
    p
}

/// A pod that violates baseline (and so restricted).
pub fn privileged_pod(name: &str) -> Value {
    let mut p = pod(name, json!({"privileged": true}));
    p["spec"]["hostNetwork"] = json!(true);
    p
}

/// The upstream restricted message for `pod(name, null)` (container "app").
pub const RESTRICTED_DETAIL: &str = "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

/// The upstream baseline message for `privileged_pod`.
pub const BASELINE_DETAIL: &str = "host namespaces (hostNetwork=true), privileged (container \"app\" must not set securityContext.privileged=true)";
