//! `podgate scan`: read manifests, find pods, evaluate them, report.
//!
//! Files are read, parsed, searched for pods and the pods evaluated in
//! parallel (one rayon task per file), each pod while its document is still
//! in cache, under the policy that the Namespaces read so far in the same
//! file give it (flags, configuration and defaults for the others: a
//! rendered chart or kustomization is one stream with its Namespace first,
//! and is then evaluated once). Parsed documents
//! are dropped right away; keeping every document's positions and pods
//! until all Namespaces were known, and walking them again, cost the scan a
//! third of the loader's time in memory traffic.
//!
//! Once every Namespace in the input is known (its Pod Security labels pick
//! the level and version of the pods inside it), each file that has a pod
//! whose level or version those labels change is read again from the bytes
//! kept in memory and evaluated again, whole, with the final policies; other
//! results only get their `*_source` fields corrected. Results are sorted by
//! file, document and line, so output is deterministic whatever the thread
//! count.

pub mod baseline;
pub(crate) mod inputs;
mod namespaces;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use podgate_core::config::{
    ignore_entry_problem, ignore_target, parse_ignore_annotation, pod_controllers, Config, Date,
    ExceptionTarget, Exceptions, FindingId, Subject, IGNORE_ANNOTATION,
};
use podgate_core::load::{self, Limits, Positions};
use podgate_core::pss::{self, CheckId, Level, Version};
use podgate_core::rules::{self, RuleContext, Severity};
use podgate_core::workload::{self, Found, FoundPod, WorkloadKind};

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
    /// The kind in baseline and SARIF fingerprints: `kind`, qualified by
    /// its group for custom resources (`StatefulSet.apps.kruise.io`).
    #[serde(skip)]
    pub kind_key: Cow<'static, str>,
    pub namespace: String,
    pub name: String,
    pub level: Level,
    pub version: Version,
    pub allowed: bool,
    pub violations: Vec<ViolationOut>,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Where the level and version came from: `flag` (either flag given),
    /// `namespace` or `default`.
    pub policy_source: &'static str,
    /// Where the level came from: `flag`, `namespace` or `default`.
    pub level_source: &'static str,
    /// Where the version came from: `flag`, `namespace` or `default`.
    pub version_source: &'static str,
    /// The pod's QoS class as Kubernetes computes it.
    pub qos: &'static str,
    /// Hardening-rule and image-policy findings.
    pub findings: Vec<FindingOut>,
    /// Violations and findings waived by an exception, an annotation or the baseline.
    pub suppressed: Vec<SuppressedOut>,
}

impl ResourceResult {
    fn set_sources(&mut self, sources: namespaces::PolicySources) {
        self.policy_source = sources.policy();
        self.level_source = sources.level;
        self.version_source = sources.version;
    }
}

/// One hardening-rule or image-policy finding.
#[derive(Debug, Serialize)]
pub struct FindingOut {
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    pub title: Cow<'static, str>,
    pub message: String,
    pub line: u32,
    pub column: u32,
    pub field: String,
    pub fix: Cow<'static, str>,
    /// The baseline key of every offending field (see `baseline::stable_field`).
    #[serde(skip)]
    pub fields: Vec<String>,
}

/// A violation or finding that did not count, and why.
#[derive(Debug, Serialize)]
pub struct SuppressedOut {
    /// Check or rule ID.
    pub id: String,
    pub field: String,
    /// Where the field is, as for unsuppressed violations and findings.
    pub line: u32,
    pub column: u32,
    /// `exception`, `annotation` or `baseline`.
    pub by: &'static str,
    pub reason: String,
    /// Index of the exception in the configuration file (for `by: exception`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<usize>,
    /// The baseline key of every offending field.
    #[serde(skip)]
    pub fields: Vec<String>,
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
    /// The baseline key of every offending field (see `baseline::stable_field`).
    #[serde(skip)]
    pub fields: Vec<String>,
}

/// An object that was not evaluated although it seems to run pods: its
/// kind is neither a Kubernetes workload, nor a built-in workload custom
/// resource, nor declared under `workloadKinds`. Not a failure (the exit
/// code does not change), but never silent.
#[derive(Debug, Serialize)]
pub struct SkippedOut {
    pub file: String,
    pub document: usize,
    /// Where the object starts.
    pub line: u32,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The `containers` list that makes it look like a workload.
    pub field: String,
    /// `unknown-kind`.
    pub reason: &'static str,
    pub message: String,
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
    /// Unsuppressed hardening-rule and image-policy findings.
    pub findings: usize,
    /// Findings at or above the `--fail-on` severity.
    pub failing_findings: usize,
    pub suppressed: usize,
    /// Objects not evaluated although they seem to run pods (`skipped`).
    pub skipped: usize,
}

/// An exception from the configuration file, reported when expired or unused.
#[derive(Debug, Serialize)]
pub struct ExceptionNote {
    pub index: usize,
    pub reason: String,
    pub checks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ScanReport {
    pub results: Vec<ResourceResult>,
    pub errors: Vec<InputError>,
    /// Objects of unknown kinds that seem to run pods: not evaluated.
    pub skipped: Vec<SkippedOut>,
    pub summary: Summary,
    /// Exceptions whose `expires` date has passed: they no longer apply.
    pub expired_exceptions: Vec<ExceptionNote>,
    /// Exceptions that matched nothing (filled with `--unused-exceptions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_exceptions: Option<Vec<ExceptionNote>>,
    /// The severity at or above which findings fail the scan, if any.
    pub fail_on: Option<Severity>,
}

/// Policy choices that apply to every resource unless a namespace says otherwise.
pub struct ScanSettings {
    pub level: Option<Level>,
    pub version: Option<Version>,
    pub default_level: Level,
    pub default_version: Version,
    /// The configuration file's contents (rules, image policy, exceptions).
    pub config: Config,
    /// Run the hardening rules and the image policy.
    pub rules: bool,
    pub fail_on: Option<Severity>,
    /// Today's date, for exception expiry.
    pub today: Date,
    /// Fingerprints of accepted findings (`--baseline`).
    pub baseline: BTreeSet<String>,
    /// Compute every violation's and finding's baseline keys (`fields`)
    /// even without `baseline`: `--write-baseline` records them.
    pub baseline_keys: bool,
    pub report_unused_exceptions: bool,
    /// `--namespace`: the namespace of objects without `metadata.namespace`.
    pub default_namespace: Option<String>,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            level: None,
            version: None,
            default_level: Level::Restricted,
            default_version: Version::LATEST,
            config: Config::default(),
            rules: true,
            fail_on: None,
            today: today(),
            baseline: BTreeSet::new(),
            baseline_keys: false,
            report_unused_exceptions: false,
            default_namespace: None,
        }
    }
}

/// Today's date (UTC).
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_unix_days((secs / 86_400) as i64)
}

/// What one file yielded in the first pass.
struct FileOutcome {
    documents: usize,
    /// Every pod, evaluated under the policy that the Namespaces before it
    /// in the same file give it (none: flags, configuration, defaults).
    results: Vec<ResourceResult>,
    namespaces: Vec<namespaces::NamespaceDecl>,
    errors: Vec<InputError>,
    skipped: Vec<SkippedOut>,
    /// The file's contents, kept when a Namespace elsewhere in the input
    /// could still change the policy of one of its pods.
    bytes: Option<Vec<u8>>,
}

/// A document the pods were found in.
struct DocOutcome<'a> {
    index: usize,
    positions: &'a Positions,
}

pub fn run(args: &ScanArgs) -> Result<u8> {
    let settings = match settings_from_args(args)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let inputs = inputs::collect(&args.paths, &args.exclude);
    if inputs.is_empty() {
        // Not an error (an empty directory is a valid input), but a CI job
        // pointed at the wrong folder should not pass silently.
        let _ = writeln!(
            std::io::stderr(),
            "warning: no manifests (*.yaml, *.yml, *.json) found under the given paths"
        );
    }
    let report = scan(inputs, &settings);
    if let Some(path) = &args.write_baseline {
        baseline::write(path, &report)?;
    }

    // Stdout is line-buffered: without this every report line is a syscall.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match args.format {
        Format::Json => report::json::write(&mut out, &report)?,
        Format::Sarif => report::sarif::write(&mut out, &report)?,
        Format::Junit => report::junit::write(&mut out, &report)?,
        Format::Text => {
            let color = report::text::use_color(args.no_color);
            report::text::write_with(&mut out, &report, color, args.summary)?
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
        for s in &report.skipped {
            let _ = writeln!(err, "{}", report::text::skipped_line(s));
        }
    }
    Ok(exit_code(&report))
}

/// Whether a finding of `severity` fails the run (exit 1) under the fail
/// threshold `fail_on` (`--fail-on` / `failOn`): the one place this is
/// decided, for the exit code, `summary.failing_findings` and the JUnit
/// report. Pod Security violations always fail.
pub fn fails_run(fail_on: Option<Severity>, severity: Severity) -> bool {
    fail_on.is_some_and(|t| severity >= t)
}

impl ScanReport {
    /// Whether finding `f` fails the run (see [`fails_run`]).
    pub fn finding_fails(&self, f: &FindingOut) -> bool {
        fails_run(self.fail_on, f.severity)
    }
}

pub fn exit_code(report: &ScanReport) -> u8 {
    if !report.errors.is_empty() {
        2
    } else if report.results.iter().any(|r| !r.allowed) || report.summary.failing_findings > 0 {
        1
    } else {
        0
    }
}

/// Build the settings: flags win over the configuration file, which wins over
/// the built-in defaults. A bad configuration file is reported (with line and
/// column) and ends the run with exit code 2.
fn settings_from_args(args: &ScanArgs) -> Result<std::result::Result<ScanSettings, u8>> {
    let (config, config_path) = match &args.config {
        Some(p) => (
            Some(
                std::fs::read(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            ),
            Some(p.clone()),
        ),
        None => {
            let p = std::path::PathBuf::from("podgate.yaml");
            match std::fs::read(&p) {
                Ok(b) => (Some(b), Some(p)),
                Err(_) => (None, None),
            }
        }
    };
    let config = match (config, &config_path) {
        (Some(bytes), Some(path)) => match Config::parse(&bytes) {
            Ok(c) => c,
            Err(errors) => {
                let mut err = std::io::stderr().lock();
                for e in errors {
                    let _ = writeln!(
                        err,
                        "error: {}:{}:{}: {}",
                        report::text::escape(&path.display().to_string()),
                        e.line,
                        e.column,
                        report::text::escape(&e.message)
                    );
                }
                return Ok(Err(2));
            }
        },
        _ => Config::default(),
    };
    let baseline = match &args.baseline {
        Some(p) => baseline::read(p)?,
        None => BTreeSet::new(),
    };
    Ok(Ok(ScanSettings {
        level: args.level,
        version: args.version,
        default_level: config.level.unwrap_or(Level::Restricted),
        default_version: config.version.unwrap_or(Version::LATEST),
        fail_on: args.fail_on.map(|f| f.severity()).or(config.fail_on),
        rules: !args.no_rules,
        today: today(),
        baseline_keys: args.write_baseline.is_some(),
        baseline,
        report_unused_exceptions: args.unused_exceptions,
        default_namespace: args.namespace.clone(),
        config,
    }))
}

/// Scan already-collected inputs. Pure apart from the file reads done by
/// [`inputs::collect`] beforehand.
pub fn scan(inputs: Vec<Input>, settings: &ScanSettings) -> ScanReport {
    let limits = Limits::default();
    let exceptions = Exceptions::new(settings.config.exceptions.clone(), settings.today);
    let inline_allowed = settings.config.inline_suppressions.unwrap_or(true);
    let pass = Pass {
        limits: &limits,
        settings,
        exceptions: &exceptions,
    };
    let mut outcomes: Vec<(String, FileOutcome)> = inputs
        .into_par_iter()
        .map(|input| {
            let name = input.name.clone();
            (name, read_one(input, &pass, inline_allowed))
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
            errors.extend(policies.add(file, ns));
        }
    }

    // The Namespaces are known: evaluate again the files with a pod whose
    // policy they change; correct the sources of the others.
    if !policies.is_empty() {
        outcomes.par_iter_mut().for_each(|(file, o)| {
            let mut again = false;
            for r in &mut o.results {
                let (lv, sources) = policies.resolve(&r.namespace, settings);
                if (lv.level, lv.version) != (r.level, r.version) {
                    again = true;
                    break;
                }
                // The same level and version can come from other sources
                // (another file's Namespace declared it first).
                r.set_sources(sources);
            }
            if again {
                if let Some(bytes) = &o.bytes {
                    o.results = evaluate_again(file, bytes, &pass, &policies);
                }
            }
        });
    }
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    for (_, o) in &mut outcomes {
        results.append(&mut o.results);
        errors.append(&mut o.errors);
        skipped.append(&mut o.skipped);
    }
    drop(outcomes);

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
    summary.findings = results.iter().map(|r| r.findings.len()).sum();
    summary.failing_findings = results
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| fails_run(settings.fail_on, f.severity))
        .count();
    summary.suppressed = results.iter().map(|r| r.suppressed.len()).sum();
    skipped.sort_by(|a, b| {
        (a.file.as_str(), a.document, a.line).cmp(&(b.file.as_str(), b.document, b.line))
    });
    summary.skipped = skipped.len();

    let note = |i: usize| {
        let e = &exceptions.list[i];
        ExceptionNote {
            index: i,
            reason: e.reason.clone(),
            checks: e.checks.clone(),
            expires: e.expires.map(|d| d.to_string()),
        }
    };
    let expired_exceptions = exceptions.expired().into_iter().map(note).collect();
    let unused_exceptions = settings.report_unused_exceptions.then(|| {
        let used: BTreeSet<usize> = results
            .iter()
            .flat_map(|r| r.suppressed.iter().filter_map(|s| s.exception))
            .collect();
        let expired = exceptions.expired();
        (0..exceptions.list.len())
            .filter(|i| !used.contains(i) && !expired.contains(i))
            .map(note)
            .collect()
    });
    ScanReport {
        results,
        errors,
        skipped,
        summary,
        expired_exceptions,
        unused_exceptions,
        fail_on: settings.fail_on,
    }
}

/// What every file's evaluation needs.
struct Pass<'a> {
    limits: &'a Limits,
    settings: &'a ScanSettings,
    exceptions: &'a Exceptions,
}

/// Read, parse and evaluate one file (see the module documentation).
/// `check_inline`: report malformed `podgate.io/ignore` entries (inline
/// suppressions are allowed).
fn read_one(input: Input, pass: &Pass, check_inline: bool) -> FileOutcome {
    let input = input.read();
    let mut out = FileOutcome {
        documents: 0,
        results: Vec::new(),
        namespaces: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
        bytes: None,
    };
    // The Namespaces read so far in this file: the first declaration of a
    // namespace usually is the only one, so its pods are evaluated once.
    let mut local = NamespacePolicies::default();
    // With both flags given, no Namespace can change a pod's policy.
    let labels_matter = pass.settings.level.is_none() || pass.settings.version.is_none();
    let mut keep = false;
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
    let mut templated = None;
    for doc in load::load(&bytes, pass.limits) {
        out.documents += 1;
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                let mut message = e.message;
                if *templated.get_or_insert_with(|| looks_templated(&bytes)) {
                    message.push_str(TEMPLATE_HINT);
                }
                out.errors.push(InputError {
                    file: input.name.clone(),
                    line: e.line,
                    column: e.column,
                    message,
                    document: e.document,
                });
                continue;
            }
        };
        let mut pods = Vec::new();
        for found in workload::find_with(&doc.value, &pass.settings.config.custom_kinds) {
            match found {
                Found::Pod(p) => pods.push(with_default_namespace(*p, pass.settings)),
                Found::Namespace(ns) => {
                    let decl = namespaces::NamespaceDecl::new(ns, &doc.positions, doc.index);
                    if labels_matter {
                        // Its label errors are reported once, in `scan`.
                        let _ = local.add(&input.name, &decl);
                    }
                    out.namespaces.push(decl);
                }
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
                Found::Skipped(s) => {
                    let pos = doc.positions.nearest(s.object_path.segments());
                    // The hint names the group: a workloadKinds entry
                    // without a version covers every version.
                    let group = s.api_version.rsplit_once('/').map_or("", |(g, _)| g);
                    let message = format!(
                        "kind {kind} ({api}) is not a workload kind podgate knows, but it has containers at {at}; to evaluate it, declare it in podgate.yaml: workloadKinds: [{{apiVersion: {group}, kind: {kind}, template: <path to its pod template>}}]",
                        kind = s.kind,
                        api = if s.api_version.is_empty() {
                            "no apiVersion"
                        } else {
                            &s.api_version
                        },
                        at = s.containers_path,
                        group = if group.is_empty() { "<group>" } else { group },
                    );
                    out.skipped.push(SkippedOut {
                        file: input.name.clone(),
                        document: doc.index,
                        line: pos.line,
                        api_version: s.api_version,
                        kind: s.kind,
                        namespace: s.namespace,
                        name: s.name,
                        field: s.containers_path.to_string(),
                        reason: "unknown-kind",
                        message,
                    });
                }
            }
        }
        if check_inline {
            for p in &pods {
                inline_entry_errors(&input.name, &doc, p, &mut out.errors);
            }
        }
        let d = DocOutcome {
            index: doc.index,
            positions: &doc.positions,
        };
        keep |= labels_matter && !pods.is_empty();
        for p in &pods {
            out.results
                .push(evaluate_one(&input.name, &d, p, &local, pass));
        }
    }
    if keep {
        out.bytes = Some(bytes);
    }
    out
}

/// Evaluate every pod of a file again, with the final namespace policies.
/// The file was read and checked once already: its errors, Namespaces and
/// broken suppressions were reported then.
fn evaluate_again(
    file: &str,
    bytes: &[u8],
    pass: &Pass,
    policies: &NamespacePolicies,
) -> Vec<ResourceResult> {
    let mut results = Vec::new();
    for doc in load::load(bytes, pass.limits).into_iter().flatten() {
        let d = DocOutcome {
            index: doc.index,
            positions: &doc.positions,
        };
        for found in workload::find_with(&doc.value, &pass.settings.config.custom_kinds) {
            if let Found::Pod(p) = found {
                let p = with_default_namespace(*p, pass.settings);
                results.push(evaluate_one(file, &d, &p, policies, pass));
            }
        }
    }
    results
}

/// A pod of an object without `metadata.namespace` is in `--namespace`,
/// as `kubectl apply -n` would put it: namespace labels, exceptions,
/// baselines and reports all see that namespace.
fn with_default_namespace(mut p: FoundPod, settings: &ScanSettings) -> FoundPod {
    if p.namespace.is_empty() {
        if let Some(ns) = &settings.default_namespace {
            p.namespace.clone_from(ns);
        }
    }
    p
}

/// Added to read errors of a file that contains `{{`.
const TEMPLATE_HINT: &str =
    " (the file contains \"{{\": if it is a Helm or Go template, scan its rendered output, e.g. `helm template . | podgate scan -`)";

/// Whether a file that failed to parse looks like an unrendered template.
fn looks_templated(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == b"{{")
}

/// Where a violation or finding is: the first offending field's path and
/// position, and the baseline keys of every offending field.
struct Located<'a> {
    field: String,
    pos: podgate_core::load::Pos,
    /// [`baseline::stable_field`] of each field; empty when no baseline is
    /// read or written (they are only compared with or written to one).
    keys: Vec<String>,
    /// The fields relative to the pod (empty: the pod itself), for the
    /// indexed paths that baselines recorded before they named containers
    /// and volumes.
    paths: &'a [podgate_core::path::FieldPath],
}

/// Where the offending `paths` (relative to the pod) of `p` are: the first
/// one's path in the document and position (the pod itself when a check
/// names no field), and (`keys`) every path's baseline key.
fn locate<'a>(
    p: &FoundPod,
    doc: &DocOutcome,
    paths: &'a [podgate_core::path::FieldPath],
    keys: bool,
) -> Located<'a> {
    let root = podgate_core::path::FieldPath::root();
    let fields = if paths.is_empty() {
        std::slice::from_ref(&root)
    } else {
        paths
    };
    let first = fields[0].prefixed(&p.pod_path);
    Located {
        pos: doc.positions.nearest(first.segments()),
        field: first.to_string(),
        keys: if keys {
            fields
                .iter()
                .map(|f| baseline::stable_field(&p.pod.spec, f))
                .collect()
        } else {
            Vec::new()
        },
        paths,
    }
}

/// A `podgate.io/ignore` entry that waives nothing (unknown ID, no reason)
/// is an input error at the annotation's line: a suppression that silently
/// does nothing leaves its author guessing.
fn inline_entry_errors(
    file: &str,
    doc: &load::Document,
    p: &FoundPod,
    errors: &mut Vec<InputError>,
) {
    let object = (&p.object_annotations, &p.object_path);
    let template = (&p.pod.metadata.annotations, &p.pod_path);
    let places: &[_] = if p.object_path == p.pod_path {
        &[object]
    } else {
        &[object, template]
    };
    for (annotations, base) in places {
        let Some(value) = annotations.get(IGNORE_ANNOTATION) else {
            continue;
        };
        let path = base.join(["metadata", "annotations", IGNORE_ANNOTATION]);
        let pos = doc.positions.nearest(path.segments());
        for (id, reason) in parse_ignore_annotation(value) {
            if let Some(message) = ignore_entry_problem(&id, &reason) {
                errors.push(InputError {
                    file: file.to_string(),
                    line: pos.line,
                    column: pos.column,
                    message: format!("{}/{}: {message}", p.kind.as_str(), p.name),
                    document: Some(doc.index),
                });
            }
        }
    }
}

fn evaluate_one(
    file: &str,
    doc: &DocOutcome,
    p: &FoundPod,
    policies: &NamespacePolicies,
    pass: &Pass,
) -> ResourceResult {
    let (settings, exceptions) = (pass.settings, pass.exceptions);
    let keys = settings.baseline_keys || !settings.baseline.is_empty();
    let (lv, source) = policies.resolve(&p.namespace, settings);
    let images: Vec<&str> = p
        .pod
        .spec
        .all_containers()
        .map(|(_, _, c)| c.image.as_str())
        .collect();
    // As the webhook matches them: the labels are the pod template's (a
    // workload's own labels never reach its Pods), and a Pod may also be
    // matched as the controller its ownerReferences name (a workload's
    // template has none: the workload is matched as itself).
    let subject = Subject {
        namespace: &p.namespace,
        kind: p.kind.as_str(),
        name: &p.name,
        controllers: if p.kind == WorkloadKind::Pod {
            pod_controllers(&p.pod.metadata)
        } else {
            Vec::new()
        },
        labels: &p.pod.metadata.labels,
        images,
    };
    let exceptions_here = exceptions.select(&subject);
    let kind_key = p.kind.qualified();
    // Entries that waive nothing (unknown ID, no reason) were reported by
    // `inline_entry_errors`.
    let inline: Vec<(ExceptionTarget, String)> =
        if settings.config.inline_suppressions.unwrap_or(true) {
            [&p.object_annotations, &p.pod.metadata.annotations]
                .iter()
                .filter_map(|a| a.get(IGNORE_ANNOTATION))
                .flat_map(|v| parse_ignore_annotation(v))
                .filter(|(_, reason)| !reason.is_empty())
                .filter_map(|(id, reason)| Some((ignore_target(&id).ok()?, reason)))
                .collect()
        } else {
            Vec::new()
        };
    let mut suppressed = Vec::new();
    // `id` is what reports, annotations and baselines call the finding;
    // `finding` is what exceptions match (image findings by code).
    let mut waive = |id: &str, finding: FindingId<'_>, loc: &Located| -> bool {
        let suppressed_by =
            |by: &'static str, reason: String, exception: Option<usize>| SuppressedOut {
                id: id.to_string(),
                field: loc.field.clone(),
                line: loc.pos.line,
                column: loc.pos.column,
                by,
                reason,
                exception,
                fields: loc.keys.clone(),
            };
        if let Some(i) = exceptions_here.matching(finding) {
            let reason = exceptions.list[i].reason.clone();
            suppressed.push(suppressed_by("exception", reason, Some(i)));
            return true;
        }
        if let Some((_, reason)) = inline.iter().find(|(t, _)| t.covers(finding)) {
            suppressed.push(suppressed_by("annotation", reason.clone(), None));
            return true;
        }
        // A violation is old only if every field it names was recorded: a
        // new offender (another container, another hostPath volume) of an
        // already recorded check must still fail. Fields are recorded by
        // name, or (baselines written before that) by indexed path.
        if settings.baseline.is_empty() {
            return false;
        }
        let recorded = |f: &str| {
            let fp = baseline::fingerprint(&kind_key, &p.namespace, &p.name, id, f);
            settings.baseline.contains(&fp)
        };
        let legacy = |i: usize| {
            loc.paths.get(i).map_or_else(
                || p.pod_path.to_string(),
                |f| f.prefixed(&p.pod_path).to_string(),
            )
        };
        let old = loc
            .keys
            .iter()
            .enumerate()
            .all(|(i, key)| recorded(key) || recorded(&legacy(i)));
        if old {
            let reason = "recorded in the baseline".to_string();
            suppressed.push(suppressed_by("baseline", reason, None));
            return true;
        }
        false
    };
    let mut violations = Vec::new();
    for v in pss::evaluate_pod(lv, &p.pod.metadata, &p.pod.spec) {
        let loc = locate(p, doc, &v.forbidden.fields, keys);
        if waive(v.check.as_str(), FindingId::Check(v.check), &loc) {
            continue;
        }
        violations.push(ViolationOut {
            check: v.check,
            fix: v.check.fix_hint(),
            reason: v.forbidden.reason,
            detail: v.forbidden.detail,
            line: loc.pos.line,
            column: loc.pos.column,
            field: loc.field,
            fields: loc.keys,
        });
    }

    let mut findings = Vec::new();
    if settings.rules {
        let ctx = RuleContext {
            kind: p.kind.as_str(),
            batch: p.kind.is_batch(),
        };
        let cfg = &settings.config;
        for f in rules::evaluate(&ctx, &p.pod, &|info| cfg.rule_enabled(info)) {
            let loc = locate(p, doc, &f.fields, keys);
            if waive(f.rule, FindingId::Rule(f.rule), &loc) {
                continue;
            }
            let info = rules::rule(f.rule);
            findings.push(FindingOut {
                rule: Cow::Borrowed(f.rule),
                severity: cfg.rule_severity(f.rule, f.severity),
                title: Cow::Borrowed(info.map(|i| i.title).unwrap_or_default()),
                message: f.message,
                line: loc.pos.line,
                column: loc.pos.column,
                field: loc.field,
                fix: Cow::Borrowed(info.map(|i| i.fix).unwrap_or_default()),
                fields: loc.keys,
            });
        }
        if let Some(policy) = cfg.image_policy.as_ref().filter(|pol| !pol.is_empty()) {
            let severity = cfg
                .image_policy_severity
                .unwrap_or_else(|| cfg.rule_severity("image-policy", Severity::High));
            for (kind, i, c) in p.pod.spec.all_containers() {
                for v in policy.evaluate(&c.image) {
                    let path = podgate_core::path::FieldPath::root()
                        .join(["spec", kind.field()])
                        .child(i)
                        .child("image");
                    let loc = locate(p, doc, std::slice::from_ref(&path), keys);
                    if waive("image-policy", FindingId::Image(v.code.as_str()), &loc) {
                        continue;
                    }
                    findings.push(FindingOut {
                        rule: Cow::Borrowed("image-policy"),
                        severity,
                        title: Cow::Owned(format!("Image policy: {}", v.code.as_str())),
                        message: format!("container {:?}: {}", c.name, v.message),
                        line: loc.pos.line,
                        column: loc.pos.column,
                        field: loc.field,
                        fix: Cow::Borrowed(
                            "use an image allowed by the image policy in the configuration file",
                        ),
                        fields: loc.keys,
                    });
                }
            }
        }
    }

    let obj_pos = doc.positions.nearest(p.object_path.segments());
    ResourceResult {
        file: file.to_string(),
        document: doc.index,
        line: obj_pos.line,
        kind: p.kind.as_str(),
        kind_key,
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        level: lv.level,
        version: lv.version,
        allowed: violations.is_empty(),
        violations,
        api_version: p.api_version.clone(),
        policy_source: source.policy(),
        level_source: source.level,
        version_source: source.version,
        qos: rules::qos_class(&p.pod.spec).as_str(),
        findings,
        suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_earlier_in_the_file_sets_the_first_evaluation() {
        // `helm template | podgate scan -`: one stream, its Namespace first.
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec: {containers: [{name: c, image: nginx}]}\n";
        let settings = ScanSettings::default();
        let limits = Limits::default();
        let exceptions = Exceptions::new(Vec::new(), settings.today);
        let pass = Pass {
            limits: &limits,
            settings: &settings,
            exceptions: &exceptions,
        };
        let out = read_one(Input::new("s", Ok(yaml.as_bytes().to_vec())), &pass, true);
        assert!(out.errors.is_empty());
        let [r] = &out.results[..] else {
            panic!("one result expected");
        };
        // Evaluated once, with the final policy: nothing to evaluate again.
        assert_eq!((r.level, r.level_source), (Level::Baseline, "namespace"));
        assert!(r.allowed);
    }
}
