//! `--format text`: the report for people. One heading per resource, one line
//! per violation with `file:line:column`, the upstream reason and detail, and a
//! fix hint; then errors and a summary.
//!
//! Every string that comes from the input (file names, names, namespaces,
//! images in messages, reasons, snippets) goes through [`escape`] before it
//! is written, so a manifest cannot move the cursor, recolour, retitle or
//! erase the CI log with control characters; only the colour codes this
//! module adds itself reach the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
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

/// Control characters made visible, as `kubectl` quotes names with Go's
/// `%q`: C0 controls (ESC, CR, BEL, ...), DEL and C1 controls become
/// `\t`, `\n`, `\r`, `\x1b`, `\x7f`, `\u{9b}`; everything else, backslashes
/// included, is kept. Borrowed when there is nothing to escape (the usual case).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An input error as one line, escaped (see [`escape`]); printed on stderr too.
pub fn error_line(e: &InputError) -> String {
    if e.line == 0 {
        format!("error: {}: {}", escape(&e.file), escape(&e.message))
    } else {
        format!(
            "error: {}:{}:{}: {}",
            escape(&e.file),
            e.line,
            e.column,
            escape(&e.message)
        )
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
            // Only regular files are read again: a FIFO or `<(...)` pipe
            // was consumed by the scan (opening it again would block), and
            // a device could be endless.
            let regular = std::fs::metadata(file)
                .is_ok_and(|m| m.is_file() && m.len() <= crate::scan::inputs::MAX_FILE_BYTES);
            if !regular {
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
    // Columns count characters of the line as read; the caret goes under
    // the same characters once escaped.
    let split = text.char_indices().nth(col).map_or(text.len(), |(i, _)| i);
    let (before, rest) = text.split_at(split);
    let width = rest.find([':', ',', '}', ']']).unwrap_or(rest.len()).max(1);
    let width = escape(rest[..width.min(rest.len())].trim_end())
        .chars()
        .count()
        .max(1);
    writeln!(out, "    {}", st.dim(&format!("{pad} |")))?;
    writeln!(
        out,
        "    {} {}",
        st.dim(&format!("{gutter} |")),
        escape(text)
    )?;
    writeln!(
        out,
        "    {} {}{}",
        st.dim(&format!("{pad} |")),
        " ".repeat(escape(before).chars().count()),
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
            format!(" ({})", escape(&r.namespace))
        };
        let name = if r.name.is_empty() {
            Cow::Borrowed("<unnamed>")
        } else {
            escape(&r.name)
        };
        let file = escape(&r.file);
        let verdict = if r.allowed {
            st.green("allowed")
        } else {
            st.red("denied")
        };
        writeln!(
            out,
            "{}:{}: {} {} at {}:{}",
            file,
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
                format!(" ({})", escape(&v.detail))
            };
            writeln!(
                out,
                "  {}:{}:{}: {} {}{}",
                file,
                v.line,
                v.column,
                st.yellow(&format!("[{}]", v.check)),
                escape(&v.reason),
                detail
            )?;
            snippet(out, &st, &mut src, &r.file, v.line, v.column)?;
            writeln!(out, "      {} {}", st.dim("fix:"), v.fix)?;
        }
        for f in &r.findings {
            writeln!(
                out,
                "  {}:{}:{}: {} {}: {}",
                file,
                f.line,
                f.column,
                st.yellow(&format!("[{}]", escape(&f.rule))),
                f.severity,
                escape(&f.message)
            )?;
            snippet(out, &st, &mut src, &r.file, f.line, f.column)?;
            writeln!(out, "      {} {}", st.dim("fix:"), escape(&f.fix))?;
        }
        for s in &r.suppressed {
            writeln!(
                out,
                "  {} [{}] at {} (by {}: {})",
                st.dim("suppressed"),
                escape(&s.id),
                escape(&s.field),
                s.by,
                escape(&s.reason)
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
            escape(&e.reason),
            escape(e.expires.as_deref().unwrap_or("?"))
        )?;
    }
    if let Some(unused) = &report.unused_exceptions {
        for e in unused {
            writeln!(
                out,
                "{} exception #{} ({}; checks {}) matched nothing",
                st.yellow("unused:"),
                e.index,
                escape(&e.reason),
                escape(&e.checks.join(", "))
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
                    .entry(format!("{} ({})", escape(&f.rule), f.severity))
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
