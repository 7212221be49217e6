//! Hardening rules beyond the Pod Security Standards.
//!
//! Pod Security ([`crate::pss`]) answers "may this pod run at level L?". The
//! rules here answer the questions that kube-score, Polaris, kube-linter and
//! checkov users also expect a scanner to ask: are requests and limits set, are
//! probes present and aimed at ports that exist, are images pinned, does the
//! pod mount its API token, does it write to the host, does it keep secrets in
//! its manifest. Controls that Pod Security already covers (privileged,
//! hostPorts, host namespaces, runAsNonRoot, seccomp, ...) are deliberately not
//! repeated.
//!
//! Every rule is a pure function of the workload kind ([`RuleContext`]) and
//! the pod (metadata and spec): no I/O, no panics. Findings carry the
//! [`FieldPath`] of the offending field, or of the nearest parent that exists
//! when a required field is missing, relative to the pod (`spec....`).
//! Callers prefix them for workload templates.
//!
//! Conventions shared by the rules:
//! * Container order is upstream's: init containers, containers, ephemeral
//!   containers. [`evaluate`] reports in catalogue order, then container order.
//! * Operational rules (resources, probes, images) skip ephemeral containers:
//!   they are debugging sessions added through a subresource and the API
//!   forbids resources, probes and ports on them. Security rules cover every
//!   container kind, as Pod Security does.
//! * Where a field exists at pod and container level (`runAsUser`,
//!   `runAsGroup`), the container value overrides the pod value: a container
//!   inheriting a good pod value passes, a container overriding a good pod
//!   value with a bad one fails.
//! * Linux-only rules skip pods with `spec.os.name: windows`, where the API
//!   rejects the fields they ask for.
//! * In [`RuleInfo::field`], `spec.*containers[*]` means all three container
//!   lists and `spec.{initContainers,containers}[*]` excludes ephemeral ones.
//! * Invalid values (an unparseable quantity, an empty image) are the API
//!   server's validation to report, not a rule finding.

mod env;
mod images;
mod pod;
mod probes;
mod qos;
mod quantity;
mod resources;
mod security_context;
mod service_account;
mod volumes;

#[cfg(test)]
mod testutil;

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::{ContainerKind, PodTemplate};
use crate::path::{FieldPath, PathSeg};

pub use qos::{qos_class, QosClass};
pub use quantity::{parse_quantity, NANOS_PER_UNIT};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("severity must be one of low, medium, high, critical")]
pub struct ParseSeverityError;

impl FromStr for Severity {
    type Err = ParseSeverityError;
    /// The lowercase names [`Display`](fmt::Display) and serde use; case-sensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(ParseSeverityError)
    }
}

/// A rule's description: stable ID, severity and the text a report shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable kebab-case ID; never renamed once released.
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub rationale: &'static str,
    pub fix: &'static str,
    /// The fields the rule reads, e.g. `spec.{initContainers,containers}[*].resources.limits.memory`.
    pub field: &'static str,
    /// Whether the rule runs when the user has not configured it.
    pub default_enabled: bool,
}

/// What a rule may know besides the pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleContext<'a> {
    /// The kind of the workload the pod came from: `Pod`, `Deployment`,
    /// `Job`, `CronJob`, `Rollout`, ...
    pub kind: &'a str,
    /// The workload runs to completion (Job, CronJob, KEDA ScaledJob, ...).
    pub batch: bool,
}

impl<'a> RuleContext<'a> {
    /// The context of a Kubernetes kind: Job and CronJob are batch.
    pub fn new(kind: &'a str) -> Self {
        RuleContext {
            kind,
            batch: matches!(kind, "Job" | "CronJob"),
        }
    }
}

/// One rule violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFinding {
    pub rule: &'static str,
    pub severity: Severity,
    /// Names the container (or says `pod` for pod-level rules).
    pub message: String,
    /// The offending fields, relative to the pod.
    pub fields: Vec<FieldPath>,
}

/// A finding before the rule's ID and severity are attached.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Hit {
    message: String,
    fields: Vec<FieldPath>,
}

impl Hit {
    fn new(message: String, field: FieldPath) -> Self {
        Hit {
            message,
            fields: vec![field],
        }
    }
}

type Check = fn(&RuleContext<'_>, &PodTemplate, &mut Vec<Hit>);

struct Rule {
    info: RuleInfo,
    check: Check,
}

/// Every rule, in catalogue order. The order is part of the output contract.
static RULES: &[Rule] = &[
    Rule {
        info: resources::CPU_REQUEST,
        check: resources::cpu_request,
    },
    Rule {
        info: resources::MEMORY_REQUEST,
        check: resources::memory_request,
    },
    Rule {
        info: resources::MEMORY_LIMIT,
        check: resources::memory_limit,
    },
    Rule {
        info: resources::CPU_LIMIT,
        check: resources::cpu_limit,
    },
    Rule {
        info: probes::READINESS,
        check: probes::readiness,
    },
    Rule {
        info: probes::LIVENESS,
        check: probes::liveness,
    },
    Rule {
        info: probes::NAMED_PORT,
        check: probes::named_port,
    },
    Rule {
        info: images::TAG_LATEST,
        check: images::tag_latest,
    },
    Rule {
        info: images::PULL_POLICY,
        check: images::pull_policy,
    },
    Rule {
        info: images::DIGEST,
        check: images::digest,
    },
    Rule {
        info: service_account::TOKEN_AUTOMOUNT,
        check: service_account::token_automount,
    },
    Rule {
        info: service_account::DEFAULT,
        check: service_account::default_account,
    },
    Rule {
        info: security_context::READ_ONLY_ROOT_FILESYSTEM,
        check: security_context::read_only_root_filesystem,
    },
    Rule {
        info: security_context::RUN_AS_USER_LOW,
        check: security_context::run_as_user_low,
    },
    Rule {
        info: security_context::RUN_AS_GROUP_LOW,
        check: security_context::run_as_group_low,
    },
    Rule {
        info: security_context::NET_RAW,
        check: security_context::net_raw,
    },
    Rule {
        info: security_context::SYS_ADMIN,
        check: security_context::sys_admin,
    },
    Rule {
        info: security_context::MISSING,
        check: security_context::missing,
    },
    Rule {
        info: volumes::HOST_PATH_WRITABLE,
        check: volumes::host_path_writable,
    },
    Rule {
        info: volumes::HOST_PATH_RUNTIME_SOCKET,
        check: volumes::host_path_runtime_socket,
    },
    Rule {
        info: volumes::HOST_PATH_SENSITIVE,
        check: volumes::host_path_sensitive,
    },
    Rule {
        info: env::LITERAL_SECRET,
        check: env::literal_secret,
    },
    Rule {
        info: pod::SHARE_PROCESS_NAMESPACE,
        check: pod::share_process_namespace,
    },
    Rule {
        info: pod::PRIORITY_CLASS,
        check: pod::priority_class,
    },
];

/// Every rule, in a stable order.
pub fn catalogue() -> &'static [RuleInfo] {
    static CATALOGUE: OnceLock<Vec<RuleInfo>> = OnceLock::new();
    CATALOGUE.get_or_init(|| RULES.iter().map(|r| r.info).collect())
}

/// The rule with this ID.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    catalogue().iter().find(|r| r.id == id)
}

/// Run every rule `enabled` accepts; findings come in catalogue order, then
/// container order. Pass `&|r| r.default_enabled` for the defaults.
pub fn evaluate(
    ctx: &RuleContext<'_>,
    pod: &PodTemplate,
    enabled: &dyn Fn(&RuleInfo) -> bool,
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let mut hits = Vec::new();
    for r in RULES {
        if !enabled(&r.info) {
            continue;
        }
        (r.check)(ctx, pod, &mut hits);
        out.extend(hits.drain(..).map(|h| RuleFinding {
            rule: r.info.id,
            severity: r.info.severity,
            message: h.message,
            fields: h.fields,
        }));
    }
    out
}

// ---- helpers shared by the rule files ----

/// `container "app"`, `init container "setup"`, `ephemeral container "debug"`.
fn who(kind: ContainerKind, name: &str) -> String {
    let noun = match kind {
        ContainerKind::Init => "init container",
        ContainerKind::Regular => "container",
        ContainerKind::Ephemeral => "ephemeral container",
    };
    format!("{noun} \"{name}\"")
}

/// `spec.containers[2]`
fn container_path(kind: ContainerKind, index: usize) -> FieldPath {
    FieldPath(vec![
        PathSeg::from("spec"),
        PathSeg::from(kind.field()),
        PathSeg::Index(index),
    ])
}

/// `spec.containers[2].securityContext.privileged`
fn container_field(kind: ContainerKind, index: usize, rest: &[&'static str]) -> FieldPath {
    container_path(kind, index).join(rest.iter().copied())
}

/// `spec.securityContext.runAsUser`
fn spec_field(rest: &[&'static str]) -> FieldPath {
    FieldPath::root().child("spec").join(rest.iter().copied())
}

/// Whether the workload runs until stopped (not a Job, CronJob or a pod
/// that runs to completion), so that probes make sense.
fn long_running(ctx: &RuleContext<'_>, pod: &PodTemplate) -> bool {
    !ctx.batch && matches!(pod.spec.restart_policy.as_str(), "" | "Always")
}

#[cfg(test)]
mod tests {
    use super::testutil::{pod, run_all};
    use super::*;
    use serde_json::json;

    #[test]
    fn catalogue_ids_are_unique_kebab_case_and_documented() {
        let cat = catalogue();
        assert_eq!(cat.len(), RULES.len());
        let mut ids: Vec<&str> = cat.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cat.len(), "duplicate rule IDs");
        for r in cat {
            assert!(
                !r.id.is_empty()
                    && !r.id.starts_with('-')
                    && !r.id.ends_with('-')
                    && !r.id.contains("--")
                    && r.id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                r.id
            );
            for text in [r.title, r.rationale, r.fix, r.field] {
                assert!(!text.is_empty(), "{} has an empty text", r.id);
            }
            assert_eq!(rule(r.id), Some(r));
        }
        assert_eq!(rule("no-such-rule"), None);
    }

    #[test]
    fn catalogue_is_the_documented_table() {
        let table: Vec<(&str, Severity, bool)> = catalogue()
            .iter()
            .map(|r| (r.id, r.severity, r.default_enabled))
            .collect();
        use Severity::*;
        assert_eq!(
            table,
            vec![
                ("resources-cpu-request", Medium, true),
                ("resources-memory-request", Medium, true),
                ("resources-memory-limit", High, true),
                ("resources-cpu-limit", Low, false),
                ("probes-readiness", Medium, true),
                ("probes-liveness", Low, true),
                ("probes-named-port", High, true),
                ("image-tag-latest", High, true),
                ("image-pull-policy-latest", Medium, true),
                ("image-digest", Low, false),
                ("service-account-token-automount", Medium, true),
                ("service-account-default", Low, true),
                ("read-only-root-filesystem", Medium, true),
                ("run-as-user-low", Medium, true),
                ("run-as-group-low", Low, true),
                ("capabilities-net-raw", Medium, true),
                ("capabilities-sys-admin", Critical, true),
                ("security-context-missing", Low, false),
                ("host-path-writable", High, true),
                ("host-path-runtime-socket", Critical, true),
                ("host-path-sensitive", High, true),
                ("env-literal-secret", High, true),
                ("share-process-namespace", Medium, true),
                ("priority-class-missing", Low, false),
            ]
        );
    }

    #[test]
    fn severity_round_trips() {
        for s in Severity::ALL {
            assert_eq!(s.to_string().parse::<Severity>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(json!(s.as_str())),
                "serde name"
            );
        }
        assert_eq!("High".parse::<Severity>(), Err(ParseSeverityError));
        assert_eq!("".parse::<Severity>(), Err(ParseSeverityError));
        assert!(Severity::Low < Severity::Critical);
    }

    #[test]
    fn findings_come_in_catalogue_then_container_order() {
        let p = json!({"spec": {
            "automountServiceAccountToken": false,
            "serviceAccountName": "app",
            "initContainers": [{"name": "init", "image": "busybox:1.36"}],
            "containers": [
                {"name": "a", "image": "nginx:1.25"},
                {"name": "b", "image": "nginx:latest"}
            ]
        }});
        let got: Vec<(String, String)> = run_all("Job", p.clone())
            .into_iter()
            .filter(|f| {
                matches!(
                    f.rule,
                    "resources-memory-limit" | "image-tag-latest" | "read-only-root-filesystem"
                )
            })
            .map(|f| (f.rule.to_string(), f.message))
            .collect();
        let want: Vec<(String, String)> = [
            (
                "resources-memory-limit",
                "init container \"init\" has no memory limit",
            ),
            (
                "resources-memory-limit",
                "container \"a\" has no memory limit",
            ),
            (
                "resources-memory-limit",
                "container \"b\" has no memory limit",
            ),
            (
                "image-tag-latest",
                "container \"b\" image \"nginx:latest\" uses the \"latest\" tag",
            ),
            (
                "read-only-root-filesystem",
                "init container \"init\" does not set readOnlyRootFilesystem: true",
            ),
            (
                "read-only-root-filesystem",
                "container \"a\" does not set readOnlyRootFilesystem: true",
            ),
            (
                "read-only-root-filesystem",
                "container \"b\" does not set readOnlyRootFilesystem: true",
            ),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);

        // Severity and ID are attached from the catalogue.
        let all = run_all("Job", p);
        let f = all.iter().find(|f| f.rule == "image-tag-latest");
        assert_eq!(f.map(|f| f.severity), Some(Severity::High));
    }

    #[test]
    fn enabled_filters_rules() {
        let p = pod(json!({"spec": {"containers": [{"name": "a", "image": "nginx"}]}}));
        let ctx = RuleContext::new("Pod");
        let none = evaluate(&ctx, &p, &|_| false);
        assert!(none.is_empty());
        let defaults = evaluate(&ctx, &p, &|r| r.default_enabled);
        assert!(defaults
            .iter()
            .all(|f| rule(f.rule).is_some_and(|r| r.default_enabled)));
        assert!(!defaults.iter().any(|f| f.rule == "image-digest"));
        let all = evaluate(&ctx, &p, &|_| true);
        assert!(all.iter().any(|f| f.rule == "image-digest"));
        assert!(all.iter().any(|f| f.rule == "resources-cpu-limit"));
    }

    #[test]
    fn a_hardened_pod_passes_every_rule() {
        let p = json!({"spec": {
            "automountServiceAccountToken": false,
            "serviceAccountName": "web",
            "priorityClassName": "high",
            "securityContext": {"runAsUser": 10001, "runAsGroup": 10001, "runAsNonRoot": true},
            "volumes": [{"name": "tmp", "emptyDir": {}}],
            "containers": [{
                "name": "web",
                "image": "registry.example/web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "ports": [{"name": "http", "containerPort": 8080}],
                "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": "1", "memory": "128Mi"}},
                "livenessProbe": {"httpGet": {"port": "http", "path": "/healthz"}},
                "readinessProbe": {"tcpSocket": {"port": 8080}},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                "securityContext": {"readOnlyRootFilesystem": true,
                                    "capabilities": {"drop": ["ALL"]}}
            }]
        }});
        let got: Vec<String> = run_all("Deployment", p)
            .into_iter()
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        assert!(got.is_empty(), "{got:#?}");
    }
}
