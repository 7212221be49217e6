//! `--format text`: the report for people. One heading per resource, one line
//! per violation with `file:line:column`, the upstream reason and detail, and a
//! fix hint; then errors and a summary.

use std::io::{IsTerminal, Write};

use crate::scan::{InputError, ScanReport, SkippedOut};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
}

/// Colour only on a terminal, never with `--no-color` or `NO_COLOR` set.
pub fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

pub fn error_line(e: &InputError) -> String {
    if e.line == 0 {
        format!("error: {}: {}", e.file, e.message)
    } else {
        format!("error: {}:{}:{}: {}", e.file, e.line, e.column, e.message)
    }
}

/// `warning: file:line: Kind/name (namespace) not evaluated: message`.
pub fn skipped_line(s: &SkippedOut) -> String {
    let name = if s.name.is_empty() {
        "<unnamed>"
    } else {
        &s.name
    };
    let ns = if s.namespace.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.namespace)
    };
    format!(
        "warning: {}:{}: {}/{name}{ns} not evaluated: {}",
        s.file, s.line, s.kind, s.message
    )
}

/// Source lines of the scanned files, read again for the snippets (stdin
/// and unreadable files get no snippet).
#[derive(Default)]
struct Sources {
    files: std::collections::HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    fn line(&mut self, file: &str, line: u32) -> Option<&str> {
        let lines = self.files.entry(file.to_string()).or_insert_with(|| {
            if file == "<stdin>" {
                return None;
            }
            std::fs::read_to_string(file)
                .ok()
                .map(|t| t.lines().map(str::to_string).collect())
        });
        lines
            .as_ref()?
            .get((line as usize).checked_sub(1)?)
            .map(String::as_str)
    }
}

/// A compiler-style snippet: the line, and a caret run under the key or value
/// at `column`.
fn snippet(
    out: &mut impl Write,
    st: &Style,
    src: &mut Sources,
    file: &str,
    line: u32,
    column: u32,
) -> std::io::Result<()> {
    let Some(text) = src.line(file, line) else {
        return Ok(());
    };
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    let col = (column.max(1) - 1) as usize;
    let rest: String = text.chars().skip(col).collect();
    let width = rest.find([':', ',', '}', ']']).unwrap_or(rest.len()).max(1);
    let width = rest[..width.min(rest.len())]
        .trim_end()
        .chars()
        .count()
        .max(1);
    writeln!(out, "    {}", st.dim(&format!("{pad} |")))?;
    writeln!(out, "    {} {}", st.dim(&format!("{gutter} |")), text)?;
    writeln!(
        out,
        "    {} {}{}",
        st.dim(&format!("{pad} |")),
        " ".repeat(text.chars().take(col).count()),
        st.red(&"^".repeat(width))
    )?;
    Ok(())
}

pub fn write(out: &mut impl Write, report: &ScanReport, color: bool) -> std::io::Result<()> {
    write_with(out, report, color, false)
}

pub fn write_with(
    out: &mut impl Write,
    report: &ScanReport,
    color: bool,
    summary: bool,
) -> std::io::Result<()> {
    let st = Style { on: color };
    let mut src = Sources::default();
    for r in &report.results {
        let ns = if r.namespace.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.namespace)
        };
        let name = if r.name.is_empty() {
            "<unnamed>"
        } else {
            &r.name
        };
        let verdict = if r.allowed {
            st.green("allowed")
        } else {
            st.red("denied")
        };
        writeln!(
            out,
            "{}:{}: {} {} at {}:{}",
            r.file,
            r.line,
            st.bold(&format!("{}/{}{}", r.kind, name, ns)),
            verdict,
            r.level,
            r.version
        )?;
        for v in &r.violations {
            let detail = if v.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.detail)
            };
            writeln!(
                out,
                "  {}:{}:{}: {} {}{}",
                r.file,
                v.line,
                v.column,
                st.yellow(&format!("[{}]", v.check)),
                v.reason,
                detail
            )?;
            snippet(out, &st, &mut src, &r.file, v.line, v.column)?;
            writeln!(out, "      {} {}", st.dim("fix:"), v.fix)?;
        }
        for f in &r.findings {
            writeln!(
                out,
                "  {}:{}:{}: {} {}: {}",
                r.file,
                f.line,
                f.column,
                st.yellow(&format!("[{}]", f.rule)),
                f.severity,
                f.message
            )?;
            snippet(out, &st, &mut src, &r.file, f.line, f.column)?;
            writeln!(out, "      {} {}", st.dim("fix:"), f.fix)?;
        }
        for s in &r.suppressed {
            writeln!(
                out,
                "  {} [{}] at {} (by {}: {})",
                st.dim("suppressed"),
                s.id,
                s.field,
                s.by,
                s.reason
            )?;
        }
    }
    for sk in &report.skipped {
        let line = skipped_line(sk);
        let (head, rest) = line.split_at("warning:".len());
        writeln!(out, "{}{}", st.yellow(head), rest)?;
    }
    for e in &report.expired_exceptions {
        writeln!(
            out,
            "{} exception #{} ({}) expired on {} and no longer applies",
            st.yellow("warning:"),
            e.index,
            e.reason,
            e.expires.as_deref().unwrap_or("?")
        )?;
    }
    if let Some(unused) = &report.unused_exceptions {
        for e in unused {
            writeln!(
                out,
                "{} exception #{} ({}; checks {}) matched nothing",
                st.yellow("unused:"),
                e.index,
                e.reason,
                e.checks.join(", ")
            )?;
        }
    }
    if summary {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for r in &report.results {
            for v in &r.violations {
                *counts.entry(v.check.as_str().to_string()).or_default() += 1;
            }
            for f in &r.findings {
                *counts
                    .entry(format!("{} ({})", f.rule, f.severity))
                    .or_default() += 1;
            }
        }
        writeln!(out)?;
        writeln!(out, "{}", st.bold("Counts per check and rule:"))?;
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (k, n) in rows {
            writeln!(out, "  {n:>6}  {k}")?;
        }
    }
    if !report.errors.is_empty() {
        if !report.results.is_empty() {
            writeln!(out)?;
        }
        for e in &report.errors {
            let line = error_line(e);
            let (head, rest) = line.split_at(6);
            writeln!(out, "{}{}", st.red(head), rest)?;
        }
    }
    let s = &report.summary;
    writeln!(out)?;
    writeln!(
        out,
        "{} {} {} in {} {} ({} {}): {} allowed, {} denied, {} {}, {} {}{}{}",
        st.bold("Scanned"),
        s.resources,
        plural(s.resources, "resource", "resources"),
        s.files,
        plural(s.files, "file", "files"),
        s.documents,
        plural(s.documents, "document", "documents"),
        s.allowed,
        s.denied,
        s.errors,
        plural(s.errors, "error", "errors"),
        s.findings,
        plural(s.findings, "finding", "findings"),
        if s.suppressed > 0 {
            format!(", {} suppressed", s.suppressed)
        } else {
            String::new()
        },
        if s.skipped > 0 {
            format!(
                ", {} {} of unknown kinds not evaluated",
                s.skipped,
                plural(s.skipped, "object", "objects")
            )
        } else {
            String::new()
        },
    )
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
