//! `--format json`: the stable machine-readable report.

use std::io::Write;

use crate::scan::ScanReport;

pub fn write(out: &mut impl Write, report: &ScanReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
