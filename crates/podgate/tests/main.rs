//! Integration tests for the `podgate` binary, compiled into one test binary.

mod scan_cli;
