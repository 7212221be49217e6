//! `--format junit`: JUnit XML, for CI systems that show test reports
//! (GitLab, Jenkins, Azure Pipelines, ...).
//!
//! One `testsuite` per file (in report order), one `testcase` per resource
//! (`name` = `Kind/name (namespace)`, `classname` = the file). A testcase
//! fails exactly when its resource makes the run fail: it has Pod Security
//! violations, or findings at or above the fail threshold (`--fail-on` /
//! `failOn`; [`ScanReport::finding_fails`], the decision the exit code and
//! `summary.failing_findings` use). Such a testcase has exactly one
//! `failure` (JUnit 4 / Ant schemas allow one per testcase, and several CI
//! parsers show only the first): `type` = the check or rule ID, or when
//! several IDs failed their kind (`pod-security`, `hardening` or
//! `pod-security,hardening`, the SARIF tags); `message` = the reason when
//! there is one failing violation or finding, otherwise a count and the IDs
//! (`2 violations: hostNamespaces, hostPorts`); body = every failing
//! violation and finding, one `file:line:column: [ID] reason` line each,
//! followed by its indented policy or rule line and fix. Input errors are
//! extra testcases with an `error` element; objects of unknown kinds that
//! seem to run pods (`skipped` in JSON) are testcases with a `skipped`
//! element, counted in `skipped`. Findings below the threshold
//! (every finding without one) and waived violations and findings are
//! listed in the testcase's `system-out` and do not fail it, so the JUnit
//! verdict and the exit code agree.
//!
//! Counts follow the usual JUnit meaning: `tests` counts testcases,
//! `failures` the testcases with a failure, `errors` the testcases with an
//! error, so `tests - failures - errors` passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::scan::{FindingOut, InputError, ResourceResult, ScanReport, SkippedOut, ViolationOut};

use super::sarif::resource_label;

pub fn write(out: &mut impl Write, report: &ScanReport) -> io::Result<()> {
    out.write_all(render(report).as_bytes())
}

/// What goes in one testsuite.
#[derive(Default)]
struct Suite<'a> {
    results: Vec<&'a ResourceResult>,
    errors: Vec<&'a InputError>,
    skipped: Vec<&'a SkippedOut>,
}

#[derive(Clone, Copy, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of(report: &ScanReport, suite: &Suite<'_>) -> Counts {
        Counts {
            tests: suite.results.len() + suite.errors.len() + suite.skipped.len(),
            failures: suite
                .results
                .iter()
                .filter(|r| Failing::of(report, r).fails())
                .count(),
            errors: suite.errors.len(),
            skipped: suite.skipped.len(),
        }
    }

    fn add(&mut self, o: Counts) {
        self.tests += o.tests;
        self.failures += o.failures;
        self.errors += o.errors;
        self.skipped += o.skipped;
    }

    fn attrs(self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

fn render(report: &ScanReport) -> String {
    // Files in name order, as the report sorts them.
    let mut suites: BTreeMap<&str, Suite<'_>> = BTreeMap::new();
    for r in &report.results {
        suites.entry(&r.file).or_default().results.push(r);
    }
    for e in &report.errors {
        suites.entry(&e.file).or_default().errors.push(e);
    }
    for sk in &report.skipped {
        suites.entry(&sk.file).or_default().skipped.push(sk);
    }

    let mut total = Counts::default();
    let mut body = String::new();
    for (file, suite) in &suites {
        let counts = Counts::of(report, suite);
        total.add(counts);
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" {}>",
            attr(file),
            counts.attrs()
        );
        for r in &suite.results {
            testcase(&mut body, report, r);
        }
        for e in &suite.errors {
            error_case(&mut body, e);
        }
        for sk in &suite.skipped {
            skipped_case(&mut body, sk);
        }
        body.push_str("  </testsuite>\n");
    }

    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<testsuites name=\"podgate\" {}>", total.attrs());
    xml.push_str(&body);
    xml.push_str("</testsuites>\n");
    xml
}

/// An object of an unknown kind that seems to run pods: a testcase
/// marked `skipped` (not evaluated, not failed).
fn skipped_case(xml: &mut String, sk: &SkippedOut) {
    let name = if sk.name.is_empty() {
        "<unnamed>"
    } else {
        &sk.name
    };
    let label = if sk.namespace.is_empty() {
        format!("{}/{name}", sk.kind)
    } else {
        format!("{}/{name} ({})", sk.kind, sk.namespace)
    };
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>",
        attr(&label),
        attr(&sk.file),
        attr(&sk.file),
        sk.line,
        attr(&format!("not evaluated: {}", sk.message))
    );
}

fn location(file: &str, line: u32, column: u32) -> String {
    match (line, column) {
        (0, _) => file.to_string(),
        (l, 0) => format!("{file}:{l}"),
        (l, c) => format!("{file}:{l}:{c}"),
    }
}

/// What of a resource fails the run, and what is only reported.
struct Failing<'a> {
    violations: &'a [ViolationOut],
    findings: Vec<&'a FindingOut>,
    /// Findings below the fail threshold.
    passing: Vec<&'a FindingOut>,
}

impl<'a> Failing<'a> {
    fn of(report: &ScanReport, r: &'a ResourceResult) -> Failing<'a> {
        let (findings, passing) = r.findings.iter().partition(|f| report.finding_fails(f));
        Failing {
            violations: &r.violations,
            findings,
            passing,
        }
    }

    fn fails(&self) -> bool {
        !self.violations.is_empty() || !self.findings.is_empty()
    }
}

fn testcase(xml: &mut String, report: &ScanReport, r: &ResourceResult) {
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
        attr(&resource_label(r)),
        attr(&r.file),
        attr(&r.file),
        r.line
    );
    let failing = Failing::of(report, r);
    if !failing.fails() && failing.passing.is_empty() && r.suppressed.is_empty() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    if failing.fails() {
        failure(xml, r, &failing);
    }
    if !failing.passing.is_empty() || !r.suppressed.is_empty() {
        let mut out = String::new();
        if !failing.passing.is_empty() {
            let _ = match report.fail_on {
                Some(t) => writeln!(
                    out,
                    "findings below the fail threshold ({t}), not failing the run:"
                ),
                None => writeln!(out, "findings, not failing the run (no fail threshold):"),
            };
        }
        for f in &failing.passing {
            finding_lines(&mut out, r, f);
        }
        for s in &r.suppressed {
            let _ = writeln!(
                out,
                "suppressed {} at {} by {}{}",
                s.id,
                s.field,
                s.by,
                if s.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", s.reason)
                }
            );
        }
        let _ = writeln!(xml, "      <system-out>{}</system-out>", text(&out));
    }
    xml.push_str("    </testcase>\n");
}

/// `file:line:col: [ID] message`, then the rule and the fix, indented.
fn finding_lines(out: &mut String, r: &ResourceResult, f: &FindingOut) {
    let _ = writeln!(
        out,
        "{}: [{}] {}\n  rule: {} (severity {}), field {}\n  fix: {}",
        location(&r.file, f.line, f.column),
        f.rule,
        f.message,
        f.title,
        f.severity,
        f.field,
        f.fix
    );
}

/// The one `failure` of a resource that fails the run: its violations and
/// failing findings.
fn failure(xml: &mut String, r: &ResourceResult, failing: &Failing<'_>) {
    let policy = format!("{}:{}", r.level, r.version);
    // IDs in report order, each once.
    let mut ids: Vec<&str> = Vec::new();
    let mut body = String::new();
    for v in failing.violations {
        let id = v.check.as_str();
        if !ids.contains(&id) {
            ids.push(id);
        }
        let detail = if v.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", v.detail)
        };
        let _ = writeln!(
            body,
            "{}: [{id}] {}{detail}\n  PodSecurity \"{policy}\", field {}\n  fix: {}",
            location(&r.file, v.line, v.column),
            v.reason,
            v.field,
            v.fix
        );
    }
    for f in &failing.findings {
        let id: &str = &f.rule;
        if !ids.contains(&id) {
            ids.push(id);
        }
        finding_lines(&mut body, r, f);
    }
    let message = match (failing.violations, failing.findings.as_slice()) {
        ([v], []) => v.reason.clone(),
        ([], [f]) => f.message.clone(),
        (vs, fs) => {
            let mut counts = Vec::new();
            if !vs.is_empty() {
                counts.push(count(vs.len(), "violation", "violations"));
            }
            if !fs.is_empty() {
                counts.push(count(fs.len(), "finding", "findings"));
            }
            format!("{}: {}", counts.join(", "), ids.join(", "))
        }
    };
    let kind = match (
        ids.as_slice(),
        failing.violations.is_empty(),
        failing.findings.is_empty(),
    ) {
        ([id], _, _) => id,
        (_, false, true) => "pod-security",
        (_, true, false) => "hardening",
        _ => "pod-security,hardening",
    };
    let _ = writeln!(
        xml,
        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
        attr(kind),
        attr(&message),
        text(body.trim_end())
    );
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn error_case(xml: &mut String, e: &InputError) {
    let loc = location(&e.file, e.line, e.column);
    let name = match e.document {
        Some(d) => format!("input error in document {d} at {loc}"),
        None => format!("input error at {loc}"),
    };
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"{}>",
        attr(&name),
        attr(&e.file),
        attr(&e.file),
        if e.line > 0 {
            format!(" line=\"{}\"", e.line)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        xml,
        "      <error type=\"input-error\" message=\"{}\">{}</error>",
        attr(&e.message),
        text(&format!("{loc}: {}", e.message))
    );
    xml.push_str("    </testcase>\n");
}

/// Characters XML 1.0 cannot carry at all, even escaped.
fn xml_char_ok(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escape element text. Characters XML cannot represent become U+FFFD.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char_ok(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escape an attribute value (double-quoted); whitespace other than spaces is
/// kept as character references so parsers do not normalise it away.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if xml_char_ok(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            attr("a<b>&\"c\"'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;\u{FFFD}"
        );
        assert_eq!(
            text("x ]]> <y> & \u{0}\tz\n"),
            "x ]]&gt; &lt;y&gt; &amp; \u{FFFD}\tz\n"
        );
        assert_eq!(text("ü€😀"), "ü€😀");
    }

    #[test]
    fn locations() {
        assert_eq!(location("a.yaml", 0, 0), "a.yaml");
        assert_eq!(location("a.yaml", 3, 0), "a.yaml:3");
        assert_eq!(location("a.yaml", 3, 7), "a.yaml:3:7");
    }
}
