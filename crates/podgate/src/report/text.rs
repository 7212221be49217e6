//! `--format text`: the report for people. One heading per resource, one line
//! per violation with `file:line:column`, the upstream reason and detail, and a
//! fix hint; then errors and a summary.

use std::io::{IsTerminal, Write};

use crate::scan::{InputError, ScanReport};

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

pub fn write(out: &mut impl Write, report: &ScanReport, color: bool) -> std::io::Result<()> {
    let st = Style { on: color };
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
            writeln!(out, "      {} {}", st.dim("fix:"), v.fix)?;
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
        "{} {} {} in {} {} ({} {}): {} allowed, {} denied, {} {}",
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
    )
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
