//! The podgate command-line application as a library, so benchmarks and
//! integration tests can drive the same code paths as the binary.

pub mod cli;
pub mod report;
pub mod rules_cmd;
pub mod scan;
