//! `podgate scan`: read manifests, find pods, evaluate them, report.
//!
//! Two passes: files are read, parsed and searched for pods in parallel (one
//! rayon task per file); then, once every Namespace in the input is known (its
//! Pod Security labels pick the level and version of the pods inside it), the
//! pods are evaluated in parallel. Results are sorted by file, document and
//! line, so output is deterministic whatever the thread count.

mod inputs;
mod namespaces;

use std::io::Write;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use podgate_core::load::{self, Limits, Positions};
use podgate_core::pss::{self, CheckId, Level, Version};
use podgate_core::workload::{self, Found, FoundPod};

use crate::cli::{Format, ScanArgs};
use crate::report;
pub use inputs::Input;
use namespaces::NamespacePolicies;

/// One evaluated resource. Field names are a contract (`--format json`).
#[derive(Debug, Serialize)]
pub struct ResourceResult {
    pub file: String,
    pub document: usize,
    pub line: u32,
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub level: Level,
    pub version: Version,
    pub allowed: bool,
    pub violations: Vec<ViolationOut>,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Where the level and version came from: `flag`, `namespace` or `default`.
    pub policy_source: &'static str,
}

/// One failed Pod Security check.
#[derive(Debug, Serialize)]
pub struct ViolationOut {
    pub check: CheckId,
    pub reason: String,
    pub detail: String,
    pub line: u32,
    pub column: u32,
    /// Path of the offending field, e.g. `spec.template.spec.containers[0].securityContext`.
    pub field: String,
    pub fix: &'static str,
}

/// Something that could not be read or understood.
#[derive(Debug, Serialize)]
pub struct InputError {
    pub file: String,
    /// 0 when the error concerns the whole file (unreadable, not found).
    pub line: u32,
    pub message: String,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub resources: usize,
    pub allowed: usize,
    pub denied: usize,
    pub errors: usize,
}

#[derive(Debug, Serialize)]
pub struct ScanReport {
    pub results: Vec<ResourceResult>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
}

/// Policy choices that apply to every resource unless a namespace says otherwise.
#[derive(Clone, Copy, Debug)]
pub struct ScanSettings {
    pub level: Option<Level>,
    pub version: Option<Version>,
    pub default_level: Level,
    pub default_version: Version,
}

/// What one file yielded in the first pass.
struct FileOutcome {
    documents: usize,
    docs: Vec<DocOutcome>,
    namespaces: Vec<namespaces::NamespaceDecl>,
    errors: Vec<InputError>,
}

struct DocOutcome {
    index: usize,
    positions: Positions,
    pods: Vec<FoundPod>,
}

pub fn run(args: &ScanArgs) -> Result<u8> {
    let inputs = inputs::collect(&args.paths);
    let settings = ScanSettings {
        level: args.level,
        version: args.version,
        default_level: Level::Restricted,
        default_version: Version::LATEST,
    };
    let report = scan(inputs, &settings);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => report::json::write(&mut out, &report)?,
        Format::Text => {
            let color = report::text::use_color(args.no_color);
            report::text::write(&mut out, &report, color)?
        }
    }
    out.flush()?;
    if args.format != Format::Text {
        // Text output already shows the errors; machine formats keep stdout
        // clean and repeat them on stderr for people watching the CI log.
        let mut err = std::io::stderr().lock();
        for e in &report.errors {
            let _ = writeln!(err, "{}", report::text::error_line(e));
        }
    }
    Ok(exit_code(&report))
}

pub fn exit_code(report: &ScanReport) -> u8 {
    if !report.errors.is_empty() {
        2
    } else if report.results.iter().any(|r| !r.allowed) {
        1
    } else {
        0
    }
}

/// Scan already-collected inputs. Pure apart from the file reads done by
/// [`inputs::collect`] beforehand.
pub fn scan(inputs: Vec<Input>, settings: &ScanSettings) -> ScanReport {
    let limits = Limits::default();
    let outcomes: Vec<(String, FileOutcome)> = inputs
        .into_par_iter()
        .map(|input| {
            let name = input.name.clone();
            (name, read_one(input, &limits))
        })
        .collect();

    let mut policies = NamespacePolicies::default();
    let mut errors = Vec::new();
    let mut summary = Summary {
        files: outcomes.len(),
        ..Summary::default()
    };
    for (file, o) in &outcomes {
        summary.documents += o.documents;
        for ns in &o.namespaces {
            if let Some(e) = policies.add(file, ns) {
                errors.push(e);
            }
        }
    }

    let mut results: Vec<ResourceResult> = outcomes
        .par_iter()
        .flat_map_iter(|(file, o)| {
            let policies = &policies;
            o.docs.iter().flat_map(move |d| {
                d.pods
                    .iter()
                    .map(move |p| evaluate_one(file, d, p, policies, settings))
            })
        })
        .collect();
    for (_, o) in outcomes {
        errors.extend(o.errors);
    }

    results.sort_by(|a, b| {
        (a.file.as_str(), a.document, a.line).cmp(&(b.file.as_str(), b.document, b.line))
    });
    errors.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.column).cmp(&(b.file.as_str(), b.line, b.column))
    });
    summary.resources = results.len();
    summary.denied = results.iter().filter(|r| !r.allowed).count();
    summary.allowed = summary.resources - summary.denied;
    summary.errors = errors.len();
    ScanReport {
        results,
        errors,
        summary,
    }
}

fn read_one(input: Input, limits: &Limits) -> FileOutcome {
    let mut out = FileOutcome {
        documents: 0,
        docs: Vec::new(),
        namespaces: Vec::new(),
        errors: Vec::new(),
    };
    let bytes = match input.bytes {
        Ok(b) => b,
        Err(message) => {
            out.errors.push(InputError {
                file: input.name,
                line: 0,
                column: 0,
                message,
                document: None,
            });
            return out;
        }
    };
    for doc in load::load(&bytes, limits) {
        out.documents += 1;
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                out.errors.push(InputError {
                    file: input.name.clone(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    document: e.document,
                });
                continue;
            }
        };
        let mut pods = Vec::new();
        for found in workload::find(&doc.value) {
            match found {
                Found::Pod(p) => pods.push(*p),
                Found::Namespace(ns) => out
                    .namespaces
                    .push(namespaces::NamespaceDecl::new(ns, &doc.positions)),
                Found::Error(e) => {
                    let pos = doc.positions.nearest(e.path.segments());
                    let what = match (e.kind.is_empty(), e.name.is_empty()) {
                        (false, false) => format!("{}/{}: ", e.kind, e.name),
                        (false, true) => format!("{}: ", e.kind),
                        _ => String::new(),
                    };
                    out.errors.push(InputError {
                        file: input.name.clone(),
                        line: pos.line,
                        column: pos.column,
                        message: format!("{what}{}", e.message),
                        document: Some(doc.index),
                    });
                }
            }
        }
        if !pods.is_empty() {
            out.docs.push(DocOutcome {
                index: doc.index,
                positions: doc.positions,
                pods,
            });
        }
    }
    out
}

fn evaluate_one(
    file: &str,
    doc: &DocOutcome,
    p: &FoundPod,
    policies: &NamespacePolicies,
    settings: &ScanSettings,
) -> ResourceResult {
    let (lv, source) = policies.resolve(&p.namespace, settings);
    let violations = pss::evaluate_pod(lv, &p.pod.metadata, &p.pod.spec);
    let out: Vec<ViolationOut> = violations
        .into_iter()
        .map(|v| {
            let field = v
                .forbidden
                .fields
                .first()
                .map(|f| f.prefixed(&p.pod_path))
                .unwrap_or_else(|| p.pod_path.clone());
            let pos = doc.positions.nearest(field.segments());
            ViolationOut {
                check: v.check,
                fix: v.check.fix_hint(),
                reason: v.forbidden.reason,
                detail: v.forbidden.detail,
                line: pos.line,
                column: pos.column,
                field: field.to_string(),
            }
        })
        .collect();
    let obj_pos = doc.positions.nearest(p.object_path.segments());
    ResourceResult {
        file: file.to_string(),
        document: doc.index,
        line: obj_pos.line,
        kind: p.kind.as_str(),
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        level: lv.level,
        version: lv.version,
        allowed: out.is_empty(),
        violations: out,
        api_version: p.api_version.clone(),
        policy_source: source,
    }
}
