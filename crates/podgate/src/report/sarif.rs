//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF
//! viewers.
//!
//! One run. `tool.driver.rules` lists every Pod Security check, every
//! hardening rule and the image policy, whether or not anything failed, so
//! `ruleIndex` is stable across scans. Each violation and finding is one
//! result located at the offending field (`file:line:column`, columns in
//! Unicode code points, as the loader counts them); a `partialFingerprints`
//! hash of kind, namespace, name, rule and field keeps alerts matched when a
//! manifest moves or other lines change. Waived violations and findings are
//! results with `suppressions`, located at their field as well. Input errors are
//! `invocations[0].toolExecutionNotifications` and make
//! `executionSuccessful` false; objects of unknown kinds that seem to run
//! pods (`skipped`) are warning-level notifications (`unknown-kind`) at the
//! object's line, which leave `executionSuccessful` alone.
//!
//! File names are normalised (`./a.yaml` and `sub/../a.yaml` are `a.yaml`).
//! Those inside the directory podgate ran in stay relative to `%SRCROOT%`,
//! which `run.originalUriBaseIds` defines as that directory's `file://` URI;
//! absolute names and names outside it (`../x/a.yaml`) become absolute
//! `file://` URIs, since viewers cannot resolve them against the root.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use podgate_core::pss::CheckId;
use podgate_core::rules::{self, Severity};

use crate::rules_cmd;
use crate::scan::{InputError, ResourceResult, ScanReport};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// `%SRCROOT%`: relative file names in the report are relative to the
/// directory podgate ran in, normally the repository root.
pub const SRCROOT: &str = "%SRCROOT%";
const FINGERPRINT_KEY: &str = "podgate/v1";
const PSS_HELP_URI: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
const INFORMATION_URI: &str = if env!("CARGO_PKG_REPOSITORY").is_empty() {
    "https://example.invalid/podgate"
} else {
    env!("CARGO_PKG_REPOSITORY")
};

/// The rule ID of image-policy findings (configured, not in the catalogue).
const IMAGE_POLICY: &str = "image-policy";

pub fn write(out: &mut impl Write, report: &ScanReport) -> io::Result<()> {
    let log = build(report, std::env::current_dir().ok().as_deref());
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

// ---- the SARIF object model (only what podgate fills in) ----

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: [Invocation; 1],
    /// `%SRCROOT%`, when a location uses it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    information_uri: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'static str>,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<String>,
    /// GitHub's numeric severity (0.1-10.0), as a string.
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    descriptor: DescriptorRef,
}

#[derive(Serialize)]
struct DescriptorRef {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties {
    kind: &'static str,
    namespace: String,
    name: String,
    field: String,
    document: usize,
    /// `restricted:latest`: the Pod Security level and version the resource was checked at.
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<Severity>,
    #[serde(skip_serializing_if = "str::is_empty")]
    fix: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

// ---- rules ----

/// SARIF `level` for a hardening-rule severity.
pub fn level_of(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` for a hardening-rule severity.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.0",
        Severity::High => "7.0",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
    }
}

/// `allowPrivilegeEscalation` -> `AllowPrivilegeEscalation`,
/// `capabilities_baseline` / `image-tag-latest` -> `CapabilitiesBaseline` / `ImageTagLatest`.
fn pascal(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut upper = true;
    for c in id.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn check_descriptor(id: CheckId) -> Descriptor {
    let doc = rules_cmd::check_doc(id);
    let level = doc.level.as_str();
    Descriptor {
        id: id.as_str().to_string(),
        // Not just the ID re-cased: SARIF wants `name` distinct from `id`.
        name: format!("PodSecurity{}", pascal(id.as_str())),
        short_description: text(doc.title),
        full_description: text(doc.description),
        help: Help {
            text: format!("{}\n\nFix: {}", doc.description, doc.fix),
            markdown: format!("{}\n\n**Fix:** {}", doc.description, doc.fix),
        },
        help_uri: Some(PSS_HELP_URI),
        default_configuration: Configuration {
            level: "error",
            enabled: true,
        },
        properties: DescriptorProperties {
            tags: vec!["security".into(), "pod-security".into(), level.into()],
            security_severity: None,
            since: Some(doc.since.to_string()),
            field: None,
        },
    }
}

fn rule_descriptor(r: &rules::RuleInfo) -> Descriptor {
    Descriptor {
        id: r.id.to_string(),
        name: pascal(r.id),
        short_description: text(r.title),
        full_description: text(r.rationale),
        help: Help {
            text: format!("{}\n\nFix: {}\n\nField: {}", r.rationale, r.fix, r.field),
            markdown: format!(
                "{}\n\n**Fix:** {}\n\n**Field:** `{}`",
                r.rationale, r.fix, r.field
            ),
        },
        help_uri: None,
        default_configuration: Configuration {
            level: level_of(r.severity),
            enabled: r.default_enabled,
        },
        properties: DescriptorProperties {
            tags: vec![
                "security".into(),
                "hardening".into(),
                r.severity.as_str().into(),
            ],
            security_severity: Some(security_severity(r.severity)),
            since: None,
            field: Some(r.field),
        },
    }
}

/// A rule a finding names that no table knows (`image-policy`, or a rule
/// newer than this writer): described from the finding itself.
fn ad_hoc_descriptor(id: &str, title: &str, severity: Severity) -> Descriptor {
    let (short, full) = if id == IMAGE_POLICY {
        (
            "Images are allowed by the image policy".to_string(),
            "Container images must match the image policy of the configuration file \
             (allowed registries and images, digest pinning, no latest tag)."
                .to_string(),
        )
    } else if title.is_empty() {
        (id.to_string(), id.to_string())
    } else {
        (title.to_string(), title.to_string())
    };
    Descriptor {
        id: id.to_string(),
        name: pascal(id),
        help: Help {
            text: full.clone(),
            markdown: full.clone(),
        },
        short_description: text(short),
        full_description: text(full),
        help_uri: None,
        default_configuration: Configuration {
            level: level_of(severity),
            enabled: true,
        },
        properties: DescriptorProperties {
            tags: vec![
                "security".into(),
                "hardening".into(),
                severity.as_str().into(),
            ],
            security_severity: Some(security_severity(severity)),
            since: None,
            field: None,
        },
    }
}

/// `driver.rules` and the index of each ID in it.
struct RuleTable {
    descriptors: Vec<Descriptor>,
    index: BTreeMap<String, usize>,
}

impl RuleTable {
    fn new() -> Self {
        let mut t = RuleTable {
            descriptors: Vec::new(),
            index: BTreeMap::new(),
        };
        for id in CheckId::ALL {
            t.push(check_descriptor(id));
        }
        for r in rules::catalogue() {
            t.push(rule_descriptor(r));
        }
        t.push(ad_hoc_descriptor(IMAGE_POLICY, "", Severity::High));
        t
    }

    fn push(&mut self, d: Descriptor) {
        self.index.insert(d.id.clone(), self.descriptors.len());
        self.descriptors.push(d);
    }

    /// Index of `id`, adding an ad-hoc descriptor the first time an unknown ID is seen.
    fn index_of(&mut self, id: &str, title: &str, severity: Severity) -> usize {
        match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.push(ad_hoc_descriptor(id, title, severity));
                self.descriptors.len() - 1
            }
        }
    }

    /// Default level of the rule at `index`.
    fn level(&self, index: usize) -> &'static str {
        self.descriptors
            .get(index)
            .map_or("warning", |d| d.default_configuration.level)
    }
}

// ---- building ----

/// FNV-1a, 64 bits: small, stable across releases and platforms.
pub fn fnv1a64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            // A separator that cannot occur in the parts keeps ("a","bc") != ("ab","c").
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The `partialFingerprints` value of a result: the resource, the rule and
/// the field, not the file or line.
pub fn fingerprint(r: &ResourceResult, rule_id: &str, field: &str) -> String {
    format!(
        "{:016x}",
        fnv1a64(&[&r.kind_key, &r.namespace, &r.name, rule_id, field])
    )
}

/// `Deployment/web (shop)`, `Pod/<unnamed>` (as the text report names resources).
pub fn resource_label(r: &ResourceResult) -> String {
    let name = if r.name.is_empty() {
        "<unnamed>"
    } else {
        &r.name
    };
    if r.namespace.is_empty() {
        format!("{}/{}", r.kind, name)
    } else {
        format!("{}/{} ({})", r.kind, name, r.namespace)
    }
}

/// Characters kept as they are in a URI path; everything else is %-encoded.
fn uri_path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if uri_path_safe(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `/`-separated path with `.` segments dropped and `a/..` resolved; `..`
/// that climbs above a relative path's start is kept, above a root dropped.
/// `root` is the path's root (`/`, `C:/`, or empty when relative).
fn normalize(root: &str, path: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => match segs.last() {
                Some(&last) if last != ".." => {
                    segs.pop();
                }
                _ if root.is_empty() => segs.push(".."),
                _ => {}
            },
            seg => segs.push(seg),
        }
    }
    format!("{root}{}", segs.join("/"))
}

/// Splits an absolute `/`-separated path into its root (`/` or `C:/`) and
/// the rest; `None` for a relative one.
fn split_root(p: &str) -> Option<(&str, &str)> {
    let b = p.as_bytes();
    if p.starts_with('/') {
        Some(p.split_at(1))
    } else if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        Some(p.split_at(3))
    } else {
        None
    }
}

/// A path as `/`-separated text, without Windows' `\\?\` verbatim prefix
/// (which `canonicalize` adds there).
fn slashed(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("//?/") {
        Some(rest) => match rest.strip_prefix("UNC/") {
            Some(unc) => format!("//{unc}"),
            None => rest.to_string(),
        },
        None => s,
    }
}

/// The `file://` URI of an absolute `/`-separated path (`/a`, `C:/a`, `//host/share/a`).
fn file_uri(abs: &str) -> String {
    match abs.as_bytes() {
        [b'/', b'/', ..] => format!("file:{}", percent_encode(abs)),
        [b'/', ..] => format!("file://{}", percent_encode(abs)),
        [drive, b':', ..] => format!(
            "file:///{}:{}",
            char::from(*drive),
            percent_encode(&abs[2..])
        ),
        _ => format!("file:///{}", percent_encode(abs)),
    }
}

/// `run.originalUriBaseIds["%SRCROOT%"]`: the directory's URI, with the
/// trailing slash SARIF requires (§3.14.14).
fn srcroot_uri(cwd: &Path) -> String {
    let mut uri = file_uri(&slashed(cwd));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The report's file name as an artifact location: names inside `cwd`, the
/// directory podgate ran in, stay relative to `%SRCROOT%`; absolute ones and
/// those outside it become `file://` URIs (canonical when the file exists).
fn artifact(file: &str, cwd: Option<&Path>) -> ArtifactLocation {
    let p = file.replace('\\', "/");
    let absolute = split_root(&p).is_some();
    if !absolute {
        let rel = normalize("", &p);
        let outside = rel == ".." || rel.starts_with("../");
        if !outside || cwd.is_none() {
            return ArtifactLocation {
                uri: percent_encode(&rel),
                uri_base_id: Some(SRCROOT),
            };
        }
    }
    let target = match cwd {
        Some(cwd) => cwd.join(file),
        None => file.into(),
    };
    let abs = match std::fs::canonicalize(target) {
        Ok(c) => slashed(&c),
        // Not there (an input error says it cannot be read): resolve the text.
        Err(_) => {
            let joined = match cwd {
                Some(cwd) if !absolute => format!("{}/{p}", slashed(cwd)),
                _ => p,
            };
            match split_root(&joined) {
                Some((root, rest)) => normalize(root, rest),
                None => joined,
            }
        }
    };
    ArtifactLocation {
        uri: file_uri(&abs),
        uri_base_id: None,
    }
}

fn physical(file: &str, line: u32, column: u32, cwd: Option<&Path>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(file, cwd),
        // Line 0 means "the whole file"; SARIF lines and columns start at 1.
        region: (line > 0).then(|| Region {
            start_line: line,
            start_column: column.max(1),
        }),
    }
}

fn resource_location(r: &ResourceResult, line: u32, column: u32, cwd: Option<&Path>) -> Location {
    let name = if r.name.is_empty() {
        "<unnamed>".to_string()
    } else {
        r.name.clone()
    };
    let fqn = if r.namespace.is_empty() {
        format!("{}/{}", r.kind, name)
    } else {
        format!("{}/{}/{}", r.namespace, r.kind, name)
    };
    Location {
        physical_location: physical(&r.file, line, column, cwd),
        logical_locations: vec![LogicalLocation {
            name,
            fully_qualified_name: fqn,
            kind: "resource",
        }],
    }
}

fn properties(
    r: &ResourceResult,
    field: &str,
    severity: Option<Severity>,
    fix: &str,
) -> ResultProperties {
    ResultProperties {
        kind: r.kind,
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        field: field.to_string(),
        document: r.document,
        policy: format!("{}:{}", r.level, r.version),
        severity,
        fix: fix.to_string(),
    }
}

fn notification(e: &InputError, cwd: Option<&Path>) -> Notification {
    Notification {
        level: "error",
        message: text(e.message.clone()),
        locations: vec![Location {
            physical_location: physical(&e.file, e.line, e.column, cwd),
            logical_locations: Vec::new(),
        }],
        descriptor: DescriptorRef { id: "input-error" },
    }
}

/// The log for `report`; relative file names are relative to `cwd`.
fn build(report: &ScanReport, cwd: Option<&Path>) -> Log {
    let mut table = RuleTable::new();
    let mut results = Vec::new();
    for r in &report.results {
        let label = resource_label(r);
        let policy = format!("{}:{}", r.level, r.version);
        for v in &r.violations {
            let id = v.check.as_str();
            let index = table.index_of(id, "", Severity::High);
            results.push(SarifResult {
                rule_id: id.to_string(),
                rule_index: index,
                level: "error",
                message: text(format!(
                    "{label} violates PodSecurity \"{policy}\": {} ({})",
                    v.reason, v.detail
                )),
                locations: vec![resource_location(r, v.line, v.column, cwd)],
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT_KEY,
                    fingerprint(r, id, &v.field),
                )]),
                suppressions: Vec::new(),
                properties: properties(r, &v.field, None, v.fix),
            });
        }
        for f in &r.findings {
            let index = table.index_of(&f.rule, &f.title, f.severity);
            results.push(SarifResult {
                rule_id: f.rule.to_string(),
                rule_index: index,
                level: level_of(f.severity),
                message: text(format!("{label}: {}", f.message)),
                locations: vec![resource_location(r, f.line, f.column, cwd)],
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT_KEY,
                    fingerprint(r, &f.rule, &f.field),
                )]),
                suppressions: Vec::new(),
                properties: properties(r, &f.field, Some(f.severity), &f.fix),
            });
        }
        for s in &r.suppressed {
            let index = table.index_of(&s.id, "", Severity::Medium);
            let kind = if s.by == "annotation" {
                "inSource"
            } else {
                "external"
            };
            results.push(SarifResult {
                rule_id: s.id.clone(),
                rule_index: index,
                level: table.level(index),
                message: text(format!(
                    "{label}: {} at {} (suppressed by {})",
                    s.id, s.field, s.by
                )),
                locations: vec![resource_location(r, s.line, s.column, cwd)],
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT_KEY,
                    fingerprint(r, &s.id, &s.field),
                )]),
                suppressions: vec![Suppression {
                    kind,
                    justification: if s.reason.is_empty() {
                        format!("suppressed by {}", s.by)
                    } else {
                        s.reason.clone()
                    },
                }],
                properties: properties(r, &s.field, None, ""),
            });
        }
    }

    let mut notifications: Vec<Notification> =
        report.errors.iter().map(|e| notification(e, cwd)).collect();
    // Objects of unknown kinds that seem to run pods: not evaluated, which
    // is not a failure, but must show (as a warning next to input errors).
    for sk in &report.skipped {
        notifications.push(Notification {
            level: "warning",
            message: text(format!(
                "{}/{} not evaluated: {}",
                sk.kind,
                if sk.name.is_empty() {
                    "<unnamed>"
                } else {
                    &sk.name
                },
                sk.message
            )),
            locations: vec![Location {
                physical_location: physical(&sk.file, sk.line, 1, cwd),
                logical_locations: Vec::new(),
            }],
            descriptor: DescriptorRef { id: "unknown-kind" },
        });
    }
    for e in &report.expired_exceptions {
        notifications.push(Notification {
            level: "warning",
            message: text(format!(
                "exception #{} ({}) expired{}; it no longer applies",
                e.index,
                e.reason,
                e.expires
                    .as_deref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default()
            )),
            locations: Vec::new(),
            descriptor: DescriptorRef {
                id: "expired-exception",
            },
        });
    }
    for e in report.unused_exceptions.iter().flatten() {
        notifications.push(Notification {
            level: "note",
            message: text(format!(
                "exception #{} ({}) matched nothing",
                e.index, e.reason
            )),
            locations: Vec::new(),
            descriptor: DescriptorRef {
                id: "unused-exception",
            },
        });
    }

    let uses_srcroot = results
        .iter()
        .flat_map(|r| &r.locations)
        .chain(notifications.iter().flat_map(|n| &n.locations))
        .any(|l| l.physical_location.artifact_location.uri_base_id.is_some());
    let mut original_uri_base_ids = BTreeMap::new();
    if let (true, Some(cwd)) = (uses_srcroot, cwd) {
        original_uri_base_ids.insert(
            SRCROOT,
            ArtifactLocation {
                uri: srcroot_uri(cwd),
                uri_base_id: None,
            },
        );
    }

    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "podgate",
                    information_uri: INFORMATION_URI,
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: table.descriptors,
                },
            },
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids,
            column_kind: "unicodeCodePoints",
            results,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // From the FNV reference test suite (FNV-1a 64).
        assert_eq!(fnv1a64(&[""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(&["foobar"]), 0x8594_4171_f739_67e8);
        assert_ne!(fnv1a64(&["a", "bc"]), fnv1a64(&["ab", "c"]));
    }

    /// A working directory that does not exist, so nothing canonicalises.
    const CWD: &str = "/nonexistent-podgate/repo dir";

    fn uri(file: &str) -> (String, Option<&'static str>) {
        let a = artifact(file, Some(Path::new(CWD)));
        (a.uri, a.uri_base_id)
    }

    #[test]
    fn uris() {
        let rel = |u: &str| (u.to_string(), Some(SRCROOT));
        let abs = |u: &str| (u.to_string(), None);
        assert_eq!(uri("examples/web.yaml"), rel("examples/web.yaml"));
        assert_eq!(uri("./a.yaml"), rel("a.yaml"));
        assert_eq!(uri("sub/../a.yaml"), rel("a.yaml"));
        assert_eq!(uri("sub/./x//a.yaml"), rel("sub/x/a.yaml"));
        assert_eq!(uri("sub\\a.yaml"), rel("sub/a.yaml"));
        assert_eq!(uri("x y/ü.yaml"), rel("x%20y/%C3%BC.yaml"));
        assert_eq!(uri("<stdin>"), rel("%3Cstdin%3E"));
        // A colon in a relative name must not read as a scheme.
        assert_eq!(uri("a:b.yaml"), rel("a%3Ab.yaml"));
        // Outside the working directory: absolute, resolved against it.
        assert_eq!(
            uri("../x y/ü.yaml"),
            abs("file:///nonexistent-podgate/x%20y/%C3%BC.yaml")
        );
        assert_eq!(uri("sub/../../../a.yaml"), abs("file:///a.yaml"));
        assert_eq!(
            uri("../repo dir/a.yaml"),
            abs("file:///nonexistent-podgate/repo%20dir/a.yaml")
        );
        assert_eq!(uri("/tmp/a b.yaml"), abs("file:///tmp/a%20b.yaml"));
        assert_eq!(uri("/tmp/./x/../a.yaml"), abs("file:///tmp/a.yaml"));
        assert_eq!(uri("/../a.yaml"), abs("file:///a.yaml"));
        assert_eq!(uri("C:\\m\\p.yaml"), abs("file:///C:/m/p.yaml"));
        assert_eq!(uri("C:/m/../p.yaml"), abs("file:///C:/p.yaml"));
        // No working directory: relative names stay relative.
        let a = artifact("../a.yaml", None);
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id),
            ("../a.yaml", Some(SRCROOT))
        );
    }

    #[test]
    fn srcroot_is_a_directory_uri() {
        assert_eq!(
            srcroot_uri(Path::new(CWD)),
            "file:///nonexistent-podgate/repo%20dir/"
        );
        assert_eq!(srcroot_uri(Path::new("/")), "file:///");
        assert_eq!(slashed(Path::new(r"\\?\C:\repo")), "C:/repo");
        assert_eq!(
            file_uri(&slashed(Path::new(r"\\?\UNC\host\share\a"))),
            "file://host/share/a"
        );
        assert_eq!(file_uri("C:/repo"), "file:///C:/repo");
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(
            pascal("allowPrivilegeEscalation"),
            "AllowPrivilegeEscalation"
        );
        assert_eq!(pascal("capabilities_baseline"), "CapabilitiesBaseline");
        assert_eq!(pascal("image-tag-latest"), "ImageTagLatest");
        assert_eq!(level_of(Severity::Critical), "error");
        assert_eq!(level_of(Severity::High), "error");
        assert_eq!(level_of(Severity::Medium), "warning");
        assert_eq!(level_of(Severity::Low), "note");
    }

    #[test]
    fn rule_table_has_every_check_and_rule_once() {
        let mut t = RuleTable::new();
        assert_eq!(
            t.descriptors.len(),
            CheckId::ALL.len() + rules::catalogue().len() + 1
        );
        assert_eq!(t.index.len(), t.descriptors.len(), "duplicate rule IDs");
        let n = t.descriptors.len();
        assert_eq!(t.index_of("runAsNonRoot", "", Severity::High), 12);
        assert_eq!(t.index_of("some-future-rule", "Future", Severity::Low), n);
        assert_eq!(t.index_of("some-future-rule", "Future", Severity::Low), n);
        assert_eq!(t.level(n), "note");
    }
}
