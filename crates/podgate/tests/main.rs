//! Integration tests for the `podgate` binary, compiled into one test binary.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod exceptions;
mod reports;
mod scan_cli;
mod workload_kinds;
