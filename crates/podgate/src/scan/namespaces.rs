//! Namespace labels in the scanned input, resolved the way the PodSecurity
//! admission controller resolves them (`api.PolicyToEvaluate`).

use std::collections::BTreeMap;

use podgate_core::load::Positions;
use podgate_core::path::PathSeg;
use podgate_core::pss::{Level, LevelVersion, Version};
use podgate_core::workload::FoundNamespace;

use super::{InputError, ScanSettings};

pub const ENFORCE_LEVEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";
const POLICY_LABELS: [&str; 6] = [
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/enforce-version",
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/audit-version",
    "pod-security.kubernetes.io/warn",
    "pod-security.kubernetes.io/warn-version",
];

/// A Namespace from the input with the positions of its policy labels.
pub struct NamespaceDecl {
    pub ns: FoundNamespace,
    /// Index of the document in its file.
    document: usize,
    label_lines: BTreeMap<String, (u32, u32)>,
}

impl NamespaceDecl {
    pub fn new(ns: FoundNamespace, positions: &Positions, document: usize) -> Self {
        let mut label_lines = BTreeMap::new();
        for key in POLICY_LABELS {
            if ns.labels.contains_key(key) {
                let path = ns
                    .object_path
                    .join(["metadata", "labels"])
                    .child(PathSeg::from(key.to_string()));
                let pos = positions.nearest(path.segments());
                label_lines.insert(key.to_string(), (pos.line, pos.column));
            }
        }
        NamespaceDecl {
            ns,
            document,
            label_lines,
        }
    }
}

/// The enforce policy of each namespace found in the input.
#[derive(Default)]
pub struct NamespacePolicies {
    /// namespace -> (level if labelled, version if labelled)
    policies: BTreeMap<String, (Option<Level>, Option<Version>)>,
}

impl NamespacePolicies {
    /// Record a namespace; returns an error for each invalid label value.
    /// As upstream, an invalid level fails closed (restricted) and an
    /// invalid version means latest.
    pub fn add(&mut self, file: &str, decl: &NamespaceDecl) -> Vec<InputError> {
        let labels = &decl.ns.labels;
        let mut problems = Vec::new();
        let level = labels.get(ENFORCE_LEVEL).map(|v| {
            v.parse::<Level>().unwrap_or_else(|e| {
                problems.push((
                    ENFORCE_LEVEL,
                    v.clone(),
                    e.to_string(),
                    "pods are evaluated with restricted, as the admission controller does",
                ));
                Level::Restricted
            })
        });
        let version = labels.get(ENFORCE_VERSION).map(|v| {
            v.parse::<Version>().unwrap_or_else(|e| {
                problems.push((
                    ENFORCE_VERSION,
                    v.clone(),
                    e.to_string(),
                    "pods are evaluated with latest, as the admission controller does",
                ));
                Version::LATEST
            })
        });
        for key in &POLICY_LABELS[2..] {
            if let Some(v) = labels.get(*key) {
                let bad = if key.ends_with("-version") {
                    v.parse::<Version>().err().map(|e| e.to_string())
                } else {
                    v.parse::<Level>().err().map(|e| e.to_string())
                };
                if let Some(e) = bad {
                    problems.push((
                        key,
                        v.clone(),
                        e,
                        "podgate scan does not use warn and audit labels",
                    ));
                }
            }
        }
        self.policies
            .entry(decl.ns.name.clone())
            .or_insert((level, version));
        problems
            .into_iter()
            .map(|(key, value, why, consequence)| {
                let (line, column) = decl.label_lines.get(key).copied().unwrap_or((0, 0));
                InputError {
                    file: file.to_string(),
                    line,
                    column,
                    message: format!(
                        "Namespace/{}: invalid label {key}={value:?}: {why} (the API server rejects it; {consequence})",
                        decl.ns.name
                    ),
                    document: Some(decl.document),
                }
            })
            .collect()
    }

    /// Whether no Namespace in the input was seen.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Level and version for a pod in `namespace`, with their sources.
    pub fn resolve(&self, namespace: &str, s: &ScanSettings) -> (LevelVersion, PolicySources) {
        let (ns_level, ns_version) = self
            .policies
            .get(namespace)
            .copied()
            .unwrap_or((None, None));
        let level = s.level.or(ns_level).unwrap_or(s.default_level);
        let version = s.version.or(ns_version).unwrap_or(s.default_version);
        let part = |flag: bool, ns: bool| match (flag, ns) {
            (true, _) => "flag",
            (false, true) => "namespace",
            (false, false) => "default",
        };
        let sources = PolicySources {
            level: part(s.level.is_some(), ns_level.is_some()),
            version: part(s.version.is_some(), ns_version.is_some()),
        };
        (LevelVersion::new(level, version), sources)
    }
}

/// Where a resource's level and version came from: `flag`, `namespace` or
/// `default`, for each part (with `--version` alone, the level can still come
/// from the namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySources {
    pub level: &'static str,
    pub version: &'static str,
}

impl PolicySources {
    /// The original `policy_source`: `flag` when either flag was given, else
    /// `namespace` when the namespace set either part, else `default`.
    pub fn policy(self) -> &'static str {
        for source in ["flag", "namespace"] {
            if self.level == source || self.version == source {
                return source;
            }
        }
        "default"
    }
}
