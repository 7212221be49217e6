//! Command-line syntax. These types only parse and validate flags; the work
//! (reading files and config) happens in the subcommand modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use podgate_core::pss::{Level, Version};

#[derive(Debug, Parser)]
#[command(
    name = "podgate",
    version,
    about = "Kubernetes pod-security guard: scan manifests against the Pod Security Standards, hardening rules and an image policy.",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests (files, directories, or - for stdin) against the Pod Security Standards.
    Scan(ScanArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable report (colour on a terminal).
    Text,
    /// Machine-readable report (stable field names).
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories recursively: *.yaml, *.yml, *.json); `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Pod Security level to enforce [default: restricted, or the namespace's enforce label].
    #[arg(long, value_parser = parse_level, value_name = "privileged|baseline|restricted")]
    pub level: Option<Level>,

    /// Policy version: v1.0 to v1.37, or latest [default: latest, or the namespace's enforce-version label].
    #[arg(long, value_parser = parse_version, value_name = "v1.N|latest")]
    pub version: Option<Version>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Never colour the text output (colour is also off when stdout is not a terminal or NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse::<Version>().map_err(|e| e.to_string())
}
