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
    /// Run the HTTPS admission webhook (validating, mutating, ImageReview).
    Serve(podgate_server::ServeArgs),
    /// Generate a CA and a serving certificate for the webhook and print the caBundle.
    Certs(podgate_server::CertsArgs),
    /// List the Pod Security checks and hardening rules podgate reports.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::rules_cmd::RulesFormat::Text)]
    pub format: crate::rules_cmd::RulesFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable report (colour on a terminal).
    Text,
    /// Machine-readable report (stable field names).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one testsuite per file, one testcase per resource.
    Junit,
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

    /// Configuration file [default: ./podgate.yaml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Hardening-rule and image-policy findings at or above this severity make the exit code 1
    /// (Pod Security violations always do) [default: the config's failOn, else never].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Only Pod Security: skip the hardening rules and the image policy.
    #[arg(long)]
    pub no_rules: bool,

    /// List the configured exceptions that matched nothing.
    #[arg(long)]
    pub unused_exceptions: bool,

    /// Record today's violations and findings in FILE (a baseline for --baseline).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Ignore the violations and findings recorded in FILE; fail only on new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Print counts per check and rule after the report (text format).
    #[arg(long)]
    pub summary: bool,

    /// When walking a directory, skip files and directories whose name, or
    /// path below that directory, matches GLOB (`*`, `?`; repeatable), e.g.
    /// `--exclude target --exclude 'charts/*/templates'`. Paths given on the
    /// command line are always scanned.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Namespace of objects that do not set metadata.namespace, as with
    /// `kubectl apply -n` or `helm install -n` (rendered charts and
    /// kustomizations usually leave it out). Objects that set one keep it.
    #[arg(long, short = 'n', value_name = "NS", value_parser = parse_namespace)]
    pub namespace: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    pub fn severity(self) -> podgate_core::rules::Severity {
        use podgate_core::rules::Severity;
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

/// A namespace name: an RFC 1123 label (lower-case letters, digits and
/// `-`, at most 63, starting and ending alphanumeric), as the API server
/// requires.
fn parse_namespace(s: &str) -> Result<String, String> {
    let ok = (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a namespace name (at most 63 lower-case letters, digits and '-', \
             starting and ending with a letter or digit)"
        ))
    }
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse::<Version>().map_err(|e| e.to_string())
}
